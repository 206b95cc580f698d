//! Segments (D18, D28–D34): named condition trees, their membership at `now`, the next instant each
//! membership flips on its own (so callers schedule instead of polling), and enter/exit deltas when a fold
//! changes them.

pub(crate) mod condition;
pub(crate) mod eval;

use alloc::format;
use alloc::string::String;
use alloc::vec::Vec;

use serde::Serialize;

use crate::decide::Ahead;
use crate::error::ProblemCode;
use crate::explain::{Reason, Sink};
use crate::field::Truth;
use crate::moment::{Moment, Searches};
use crate::playbook::reader::Reader;
use crate::playbook::signal::Declared;
use crate::playbook::Playbook;
use crate::state::ContactState;
use crate::time::{quote, Timestamp};
use crate::value::Value;
use condition::{parse, Cond, Scope};
use eval::Cx;

/// One compiled segment.
#[derive(Debug, Clone, PartialEq)]
pub struct Segment {
    pub(crate) id: String,
    pub(crate) path: String,
    pub(crate) when: Cond,
}

crate::playbook::compiled::compiled_struct!(Segment { id, path, when });

impl Segment {
    /// The segment's id.
    pub fn id(&self) -> &str {
        &self.id
    }
}

/// A contact's membership of one segment at `now`.
#[derive(Debug, Clone, PartialEq, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct Membership {
    /// The segment.
    pub id: String,
    /// The condition holds (unknown is not membership).
    pub member: bool,
    /// The condition could not be decided (missing data, short history, not yet computed).
    pub unknown: bool,
    /// The next instant membership flips if nothing else happens; `null` when it never will.
    pub next_flip_at: Option<Timestamp>,
    /// A large-count window was answered from day buckets.
    pub approximate: bool,
}

/// Entering or leaving a segment.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "camelCase")]
pub enum Change {
    /// Became a member.
    Entered,
    /// Stopped being a member.
    Exited,
}

/// A membership change caused by folding events.
#[derive(Debug, Clone, PartialEq, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct Delta {
    /// The segment.
    pub segment: String,
    /// Entered or exited.
    pub change: Change,
    /// The instant compared (the latest event folded).
    pub at: Timestamp,
}

/// Memberships at `m` with their next flips (searched only with `Ahead::Search`); one `segment` reason each.
pub(crate) fn memberships(
    pb: &Playbook,
    state: &ContactState,
    m: &Moment,
    reasons: &mut Sink<'_>,
    ahead: Ahead,
    searches: &Searches,
    next_change: &mut Option<Timestamp>,
) -> Vec<Membership> {
    let mut out = Vec::with_capacity(pb.segments.len());
    for (i, def) in pb.segments.iter().enumerate() {
        let mut cx = Cx::sharing(pb, state, m, Some(searches));
        let truth = cx.segment(i);
        let mut decided = Vec::new();
        def.when.decided_by(&mut cx, truth, &mut decided);
        let approximate = cx.approximate;
        let unknown = matches!(truth, Truth::Unknown(_));
        let next_flip_at = match ahead {
            Ahead::Search => {
                let (flip, change) = next_flip(pb, state, m, i, (truth.holds(), unknown));
                *next_change = match (*next_change, change) {
                    (Some(a), Some(b)) => Some(a.min(b)),
                    (a, b) => a.or(b),
                };
                flip
            }
            Ahead::Skip => None,
        };
        let cause = match truth {
            Truth::Unknown(c) => Some(c),
            Truth::True | Truth::False => None,
        };
        reasons.push(|| Reason::Segment {
            segment: def.id.clone(),
            member: truth.holds(),
            unknown: cause,
            decided_by: decided,
        });
        out.push(Membership { id: def.id.clone(), member: truth.holds(), unknown, next_flip_at, approximate });
    }
    out
}

/// The first instant after `m.at` at which segment `i`'s membership differs from `member`, and the first at
/// which `(member, unknown)` does (a non-member's condition turning undecidable, or decidable, changes the
/// decision without a flip: the `validUntil` of the decision). Every edge is evaluated, however many: a cap on
/// them answered "never" for a flip that came after it.
fn next_flip(
    pb: &Playbook,
    state: &ContactState,
    m: &Moment,
    i: usize,
    (member, unknown): (bool, bool),
) -> (Option<Timestamp>, Option<Timestamp>) {
    let Some(def) = pb.segments.get(i) else { return (None, None) };
    let cx = Cx::new(pb, state, m);
    let mut candidates = Vec::new();
    let horizon = m.at.plus(crate::moment::HORIZON);
    def.when.changes_after(&cx, (m.at, horizon), eval::StageRises::Search, &mut candidates, 0);
    crate::time::sort_instants(&mut candidates);
    candidates.dedup();
    let mut change = None;
    for c in candidates.into_iter().filter(|c| *c <= horizon) {
        let truth = Cx::lazy(pb, state, c).segment(i);
        if truth.holds() != member {
            return (Some(c), change.or(Some(c)));
        }
        if change.is_none() && matches!(truth, Truth::Unknown(_)) != unknown {
            change = Some(c);
        }
    }
    (None, change)
}

/// Every segment's membership at `now`, in playbook order, without reasons or next flips: the fast path for
/// classifying a visitor at the edge (`engine.segments(state)`). Lazy, so a caller collects only what it keeps.
///
/// ```
/// # use rekindle_core::{ContactState, Playbook, Timestamp, Value};
/// # let pb = Playbook::parse(&Value::Object(vec![
/// #     ("version".into(), Value::Number(1.0)), ("signals".into(), Value::Object(vec![]))])).unwrap();
/// let members: Vec<_> = rekindle_core::segment::memberships_at(&pb, &ContactState::new(), Timestamp::EPOCH).collect();
/// assert!(members.is_empty()); // this playbook has no segments
/// ```
pub fn memberships_at<'p, 's>(
    pb: &'p Playbook,
    state: &'s ContactState,
    now: Timestamp,
) -> impl Iterator<Item = (&'p str, Truth)> + use<'p, 's>
where
    'p: 's,
{
    let mut cx: Cx<'s> = Cx::lazy(pb, state, now);
    pb.segments.iter().enumerate().map(move |(i, def)| (def.id.as_str(), cx.segment(i)))
}

/// Segments entered and exited between two states of one contact, compared at `at`.
pub fn deltas(pb: &Playbook, before: &ContactState, after: &ContactState, at: Timestamp) -> Vec<Delta> {
    changes(pb, memberships_at(pb, before, at).map(|(_, t)| t), after, at)
}

/// Segments entered and exited since the memberships `was` (in playbook order, at `at`), by `after`'s at `at`.
pub(crate) fn changes(
    pb: &Playbook,
    was: impl Iterator<Item = Truth>,
    after: &ContactState,
    at: Timestamp,
) -> Vec<Delta> {
    let is = memberships_at(pb, after, at).map(|(_, t)| t);
    let mut out = Vec::new();
    for ((def, w), n) in pb.segments.iter().zip(was).zip(is) {
        let change = match (w.holds(), n.holds()) {
            (false, true) => Change::Entered,
            (true, false) => Change::Exited,
            _ => continue,
        };
        out.push(Delta { segment: def.id.clone(), change, at });
    }
    out
}

/// Parses the `segments` section: `{ "<id>": { "when": <condition>, "description": "…" } }`.
pub(crate) fn parse_segments(r: &mut Reader, v: &Value, signals: &Declared) -> Vec<Segment> {
    let Some(o) = r.object(v, "segments", &[]) else { return Vec::new() };
    let ids: Vec<String> = o.entries().iter().map(|(id, _)| id.clone()).collect();
    let scope = Scope { signals, segments: &ids };
    let mut out = Vec::new();
    let mut ok = true;
    for (id, def) in o.entries() {
        let path = o.at(id);
        ok &= r.id(id, &path);
        let Some(d) = r.object(def, &path, &["when", "description"]) else {
            ok = false;
            continue;
        };
        if let Some(desc) = d.get("description") {
            r.string(desc, &d.at("description"));
        }
        match r.required(&d, "when").and_then(|w| parse(r, w, &d.at("when"), &scope)) {
            Some(when) => out.push(Segment { id: id.clone(), path, when }),
            None => ok = false,
        }
    }
    if ok {
        check_cycles(r, &out);
    }
    out
}

/// Segment-of-segment references must form no loop (a segment cannot be defined by itself).
fn check_cycles(r: &mut Reader, segments: &[Segment]) {
    let Some(cycle) = find_cycle(segments) else { return };
    let names: Vec<&str> = cycle.iter().filter_map(|i| segments.get(*i)).map(|s| s.id.as_str()).collect();
    let first = cycle.first().and_then(|i| segments.get(*i));
    r.problem(
        first.map_or(String::from("segments"), |s| s.path.clone()),
        ProblemCode::CyclicReference,
        format!(
            "segments refer to each other in a loop: {} → {}",
            names.join(" → "),
            quote(names.first().copied().unwrap_or(""))
        ),
    );
}

/// The first loop of segments defined through each other (their indices, in order), if any: evaluating one would
/// never end. The JSON reader reports it; a compiled playbook carrying one is refused.
pub(crate) fn find_cycle(segments: &[Segment]) -> Option<Vec<usize>> {
    let refs = |s: &Segment| {
        let mut out = Vec::new();
        s.when.walk(&mut |c| {
            if let Cond::Segment { index, .. } = c {
                out.push(*index);
            }
        });
        out
    };
    let edges: Vec<Vec<usize>> = segments.iter().map(refs).collect();
    // Colour-marking DFS from every node: 0 = new, 1 = on the stack, 2 = done.
    let mut colour = alloc::vec![0u8; segments.len()];
    fn visit(n: usize, edges: &[Vec<usize>], colour: &mut [u8], stack: &mut Vec<usize>) -> Option<Vec<usize>> {
        match colour.get(n) {
            Some(1) => {
                let from = stack.iter().position(|s| *s == n).unwrap_or(0);
                return Some(stack.get(from..).map(<[usize]>::to_vec).unwrap_or_default());
            }
            Some(0) => {}
            _ => return None,
        }
        if let Some(c) = colour.get_mut(n) {
            *c = 1;
        }
        stack.push(n);
        for next in edges.get(n).into_iter().flatten() {
            if let Some(cycle) = visit(*next, edges, colour, stack) {
                return Some(cycle);
            }
        }
        stack.pop();
        if let Some(c) = colour.get_mut(n) {
            *c = 2;
        }
        None
    }
    (0..segments.len()).find_map(|start| visit(start, &edges, &mut colour, &mut Vec::new()))
}
