//! CTA choice (D17, D25): the first candidate, in priority order, whose `when` holds and whose `unless`
//! (suppression: never "book a demo" to an open opportunity) does not; else the default. The decision names
//! the winner, the conditions it won by, and why each higher-priority candidate was skipped.
//!
//! ```text
//! "ctas": { "candidates": [ { "id", "when": <condition>?, "unless": <condition>?, "variant": "<template>"? } ],
//!           "default": "<candidate id>"? }
//! ```
//!
//! Three-valued: a `when` that cannot be decided skips the candidate (`condition_unknown`); an `unless` that
//! cannot be decided suppresses it, since a suppression exists to prevent a wrong offer.

use alloc::format;
use alloc::string::String;
use alloc::vec::Vec;

use serde::Serialize;

use crate::error::ProblemCode;
use crate::field::Truth;
use crate::moment::{Moment, Searches, HORIZON};
use crate::playbook::compiled::compiled_struct;
use crate::playbook::reader::{index, Reader};
use crate::playbook::Playbook;
use crate::segment::condition::{parse, Cond, Scope};
use crate::segment::eval::{Cx, StageRises};
use crate::state::ContactState;
use crate::time::{quote, Timestamp};
use crate::value::Value;

/// One compiled CTA candidate.
#[derive(Debug, Clone, PartialEq)]
pub(crate) struct Candidate {
    pub(crate) id: String,
    pub(crate) when: Option<Cond>,
    pub(crate) unless: Option<Cond>,
    pub(crate) variant: Option<String>,
}

compiled_struct!(Candidate { id, when, unless, variant });

/// The `ctas` section, compiled.
#[derive(Debug, Clone, PartialEq, Default)]
pub struct Ctas {
    pub(crate) candidates: Vec<Candidate>,
    /// Index of the default candidate.
    pub(crate) default: Option<usize>,
}

compiled_struct!(Ctas { candidates, default });

impl Ctas {
    /// Every condition tree of the section.
    pub(crate) fn conditions(&self) -> impl Iterator<Item = &Cond> {
        self.candidates.iter().flat_map(|c| c.when.iter().chain(c.unless.iter()))
    }
}

/// Why a candidate was not chosen.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum SkipWhy {
    /// Its `when` does not hold.
    ConditionFalse,
    /// Its `when` cannot be decided (missing field, short history, not computed).
    ConditionUnknown,
    /// Its `unless` holds, or cannot be decided.
    Suppressed,
}

/// A candidate passed over, with the conditions that decided it.
#[derive(Debug, Clone, PartialEq, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct Skipped {
    /// The candidate id.
    pub id: String,
    /// Why.
    pub why: SkipWhy,
    /// Paths of the leaf conditions that decided.
    pub decided_by: Vec<String>,
}

/// The chosen call to action.
///
/// ```
/// # use rekindle_core::{decide, ContactState, Playbook, Timestamp, Value};
/// let pb = Playbook::parse(&Value::Object(vec![
///     ("version".into(), Value::Number(1.0)),
///     ("signals".into(), Value::Object(vec![])),
///     ("ctas".into(), Value::Object(vec![
///         ("candidates".into(), Value::Array(vec![Value::Object(vec![
///             ("id".into(), Value::String("checklist".into()))])])),
///     ])),
/// ])).unwrap();
/// let d = decide(&pb, &ContactState::new(), Timestamp::EPOCH);
/// assert_eq!(d.cta.unwrap().id, "checklist");
/// ```
#[derive(Debug, Clone, PartialEq, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct CtaChoice {
    /// The candidate id.
    pub id: String,
    /// Its template reference.
    pub variant: Option<String>,
    /// Paths of the leaf conditions of its `when` that made it eligible (empty without `when`).
    pub because: Vec<String>,
    /// Higher-priority candidates passed over (every candidate when the default is a fallback).
    pub skipped: Vec<Skipped>,
    /// True when no candidate was eligible and the default was taken.
    pub fallback: bool,
}

/// Why a decision has no call to action (the `noCta` reason): the site then shows its own markup. A playbook
/// without candidates gets no reason: it asked for no calls to action, and every decision would repeat that.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum NoCtaWhy {
    /// The contact is erased: terminal for everything (D9), no call to action of ours.
    Erased,
    /// No candidate is eligible and the playbook names no default.
    NoneEligible,
}

/// No call to action, and why: what a decision says instead of a bare `null` (the candidates passed over, in
/// priority order, with `NoneEligible`).
#[derive(Debug, Clone, PartialEq)]
pub(crate) struct NoCta {
    pub(crate) why: NoCtaWhy,
    pub(crate) skipped: Vec<Skipped>,
}

/// The choice at moment `m`; `None` when no candidate is eligible and there is no default.
pub(crate) fn choose(pb: &Playbook, state: &ContactState, m: &Moment) -> Option<CtaChoice> {
    choose_or_why(pb, state, m).ok()
}

/// The choice at moment `m`, or why there is none (`None` for a playbook without candidates).
pub(crate) fn choose_or_why(pb: &Playbook, state: &ContactState, m: &Moment) -> Result<CtaChoice, Option<NoCta>> {
    // Erased is terminal for everything (D9): the site shows its own default markup, no call to action of ours.
    if m.lifecycle.state == crate::lifecycle::Phase::Erased {
        return Err(Some(NoCta { why: NoCtaWhy::Erased, skipped: Vec::new() }));
    }
    let ctas = &pb.ctas;
    if ctas.candidates.is_empty() {
        return Err(None);
    }
    let mut cx = Cx::new(pb, state, m);
    let mut skipped = Vec::new();
    for c in &ctas.candidates {
        let mut decided_by = Vec::new();
        let when = c.when.as_ref().map_or(Truth::True, |w| w.eval(&mut cx));
        let why = match when {
            Truth::False => Some(SkipWhy::ConditionFalse),
            Truth::Unknown(_) => Some(SkipWhy::ConditionUnknown),
            Truth::True => None,
        };
        if let (Some(why), Some(w)) = (why, &c.when) {
            w.decided_by(&mut cx, when, &mut decided_by);
            skipped.push(Skipped { id: c.id.clone(), why, decided_by });
            continue;
        }
        if let Some(u) = &c.unless {
            let t = u.eval(&mut cx);
            if t != Truth::False {
                u.decided_by(&mut cx, t, &mut decided_by);
                skipped.push(Skipped { id: c.id.clone(), why: SkipWhy::Suppressed, decided_by });
                continue;
            }
        }
        let mut because = Vec::new();
        if let Some(w) = &c.when {
            w.decided_by(&mut cx, when, &mut because);
        }
        return Ok(CtaChoice { id: c.id.clone(), variant: c.variant.clone(), because, skipped, fallback: false });
    }
    match ctas.default.and_then(|d| ctas.candidates.get(d)) {
        Some(d) => {
            Ok(CtaChoice { id: d.id.clone(), variant: d.variant.clone(), because: Vec::new(), skipped, fallback: true })
        }
        None => Err(Some(NoCta { why: NoCtaWhy::NoneEligible, skipped })),
    }
}

/// The first instant after `m.at` at which the chosen CTA changes on its own (a window closes, decay crosses a
/// readiness bar …): another id, the same id reached another way (its rule holding vs the default's fallback), or
/// a candidate before it passed over for another reason (its `when` failing instead of its `unless` holding).
/// Every edge is evaluated, however many: a cap on them hid a change that came after it.
pub(crate) fn next_change(
    pb: &Playbook,
    state: &ContactState,
    m: &Moment,
    chosen: Option<&CtaChoice>,
    searches: &Searches,
) -> Option<Timestamp> {
    if pb.ctas.candidates.is_empty() {
        return None;
    }
    let cx = Cx::sharing(pb, state, m, Some(searches));
    let mut candidates = Vec::new();
    let horizon = m.at.plus(HORIZON);
    for cond in pb.ctas.conditions() {
        cond.changes_after(&cx, (m.at, horizon), StageRises::Search, &mut candidates, 0);
    }
    candidates.retain(|t| *t > m.at && *t <= horizon);
    crate::time::sort_instants(&mut candidates);
    candidates.dedup();
    candidates.into_iter().find(|t| {
        let later = Moment::later(pb, state, *t);
        !same_choice(choose(pb, state, &later).as_ref(), chosen)
    })
}

/// Whether two choices say the same, less the leaf paths that explain them (`because`, `decidedBy`): the id, how
/// it was reached, and why each candidate before it was passed over.
fn same_choice(a: Option<&CtaChoice>, b: Option<&CtaChoice>) -> bool {
    match (a, b) {
        (None, None) => true,
        (Some(a), Some(b)) => {
            a.id == b.id
                && a.fallback == b.fallback
                && a.skipped.len() == b.skipped.len()
                && a.skipped.iter().zip(&b.skipped).all(|(x, y)| x.id == y.id && x.why == y.why)
        }
        (Some(_), None) | (None, Some(_)) => false,
    }
}

/// Parses `ctas`: `{ "candidates": [ { "id", "when"?, "unless"?, "variant"? } ], "default"? }`.
pub(crate) fn parse_ctas(r: &mut Reader, v: &Value, scope: &Scope<'_>) -> Ctas {
    let mut out = Ctas::default();
    let Some(o) = r.object(v, "ctas", &["candidates", "default"]) else { return out };
    let mut seen: Vec<String> = Vec::new();
    // Each kept candidate's index in the playbook's list (a candidate with a problem is not kept).
    let mut listed_at: Vec<usize> = Vec::new();
    let list = r.required(&o, "candidates").and_then(|c| r.array(c, &o.at("candidates")));
    for (i, item) in list.unwrap_or_default().iter().enumerate() {
        let path = index(&o.at("candidates"), i);
        let Some(c) = r.object(item, &path, &["id", "when", "unless", "variant", "description"]) else { continue };
        let before = r.problems.len();
        if c.get("id").is_none() {
            r.problem(c.at("id"), ProblemCode::MissingField, "missing required field \"id\"");
        }
        let id = r.rule_id(&c, None, &mut seen, "ctas.candidates");
        let when = c.get("when").and_then(|w| parse(r, w, &c.at("when"), scope));
        let unless = c.get("unless").and_then(|u| parse(r, u, &c.at("unless"), scope));
        let variant = c.get("variant").and_then(|v| r.string(v, &c.at("variant"))).map(String::from);
        if let Some(desc) = c.get("description") {
            r.string(desc, &c.at("description"));
        }
        if let (Some(id), true) = (id, r.problems.len() == before) {
            out.candidates.push(Candidate { id, when, unless, variant });
            listed_at.push(i);
        }
    }
    // A candidate without `when` or `unless` is always eligible: the ones after it could never be shown.
    let always = out.candidates.iter().position(|c| c.when.is_none() && c.unless.is_none());
    if let Some((i, c, at)) = always.and_then(|i| Some((i, out.candidates.get(i)?, listed_at.get(i)?))) {
        let hidden: Vec<String> = out.candidates.iter().skip(i + 1).map(|h| format!("\"{}\"", quote(&h.id))).collect();
        if !hidden.is_empty() {
            r.problem(
                index(&o.at("candidates"), *at),
                ProblemCode::OutOfRange,
                format!(
                    "\"{}\" has neither when nor unless, so it is always eligible and the candidates after it ({}) are \
                     never shown; give it a when, or move it last",
                    quote(&c.id),
                    hidden.join(", ")
                ),
            );
        }
    }
    if let Some(name) = o.get("default").and_then(|d| r.string(d, &o.at("default"))) {
        out.default = seen.iter().position(|s| s == name);
        // The fallback is taken when nothing is eligible, `when` and `unless` unread: a suppression on it would be
        // passed over exactly when it matters (a default "book a demo" shown during an open deal).
        if out.candidates.iter().any(|c| c.id == name && c.unless.is_some()) {
            r.problem(
                o.at("default"),
                ProblemCode::OutOfRange,
                format!(
                    "the default \"{}\" has an unless, which the fallback does not read (it is shown when no \
                     candidate is eligible); name a candidate without unless as the default",
                    quote(name)
                ),
            );
        }
        if out.default.is_none() {
            r.problem(
                o.at("default"),
                ProblemCode::UnknownReference,
                format!("unknown CTA \"{}\"; the default must be one of the candidates' ids", quote(name)),
            );
        }
    }
    out
}

#[cfg(test)]
mod tests {
    #![allow(clippy::unwrap_used, clippy::indexing_slicing)]
    use super::*;
    use crate::{decide, Event};

    const DAY: i64 = 86_400_000;

    fn pb() -> Playbook {
        let v: Value = serde_json::from_str(
            r#"{ "version": 1, "signals": { "webinar": { "kind": "webinar_attended" } },
                 "ctas": { "candidates": [
                   { "id": "review", "when": { "signal": "webinar", "within": "7d" }, "unless": { "stage": "opportunity" } },
                   { "id": "guide", "when": { "field": "role", "op": "eq", "value": "cto" } },
                   { "id": "newsletter", "when": { "never": "webinar" } } ], "default": "newsletter" } }"#,
        )
        .unwrap();
        Playbook::parse(&v).unwrap()
    }

    fn state(events: &str) -> ContactState {
        let v: Value = serde_json::from_str(events).unwrap();
        let mut s = ContactState::new();
        s.fold(&pb(), &Event::parse_list(&v, "events").unwrap());
        s
    }

    #[test]
    fn the_choice_changes_when_the_winning_window_closes() {
        let s = state(r#"[ { "at": 0, "kind": "webinar_attended" } ]"#);
        let d = decide(&pb(), &s, Timestamp::from_ms(DAY).unwrap());
        assert_eq!(d.cta.as_ref().map(|c| c.id.as_str()), Some("review"));
        assert_eq!(d.valid_until, Timestamp::from_ms(7 * DAY), "review ends 7 d after the webinar");
        let d = decide(&pb(), &s, Timestamp::from_ms(7 * DAY).unwrap());
        let cta = d.cta.unwrap();
        assert!(cta.fallback, "nothing else holds: the default, as a fallback");
        let whys: Vec<SkipWhy> = cta.skipped.iter().map(|s| s.why).collect();
        assert_eq!(whys, [SkipWhy::ConditionFalse, SkipWhy::ConditionUnknown, SkipWhy::ConditionFalse]);
    }

    #[test]
    fn an_open_deal_suppresses_and_names_the_unless() {
        let s = state(
            r#"[ { "at": 0, "kind": "webinar_attended" }, { "at": 1, "kind": "sales_status", "props": { "status": "open" } } ]"#,
        );
        let cta = decide(&pb(), &s, Timestamp::from_ms(DAY).unwrap()).cta.unwrap();
        assert_eq!(
            cta.skipped[0],
            Skipped {
                id: "review".into(),
                why: SkipWhy::Suppressed,
                decided_by: alloc::vec!["ctas.candidates[0].unless".into()]
            }
        );
    }
}
