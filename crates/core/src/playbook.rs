//! The playbook: the marketer's configuration, parsed once ("parse, don't validate") into compiled,
//! index-addressed types. A bad playbook fails with every problem listed, each with its path.

pub(crate) mod compiled;
pub mod contacts;
pub(crate) mod instance;
pub(crate) mod reader;
pub mod signal;

use alloc::format;
use alloc::string::String;
use alloc::vec::Vec;

use crate::cta::{parse_ctas, Ctas};
use crate::error::{Error, ProblemCode};
use crate::handoff::{parse_handoff, HandoffRules};
use crate::lifecycle::{parse_lifecycle, LifecycleRules};
use crate::nurture::{parse_sequences, Sequence};
use crate::policy::Policy;
use crate::retention::rules::{parse_retention, RetentionRules};
use crate::score::fit::{parse_fit, FitGroup};
use crate::score::intent::{parse_intent, IntentGroup};
use crate::segment::condition::{Bound, Cond, Scope};
use crate::segment::{parse_segments, Segment};
use crate::stage::{parse_stages, Stages};
use crate::state::track::MAX_EXACT;
use crate::time::{quote, short_number, Span};
use crate::value::Value;
use reader::Reader;
use signal::{parse_signals, Declared, Signal};

/// The playbook format version this build reads.
pub const VERSION: u32 = 1;

/// A validated, compiled playbook. The only constructor is [`Playbook::parse`].
///
/// ```
/// # use rekindle_core::{Playbook, Value};
/// let v = Value::Object(vec![
///     ("version".into(), Value::Number(1.0)),
///     ("signals".into(), Value::Object(vec![])),
/// ]);
/// assert!(Playbook::parse(&v).is_ok());
/// ```
#[derive(Debug, Clone, PartialEq)]
pub struct Playbook {
    pub(crate) signals: Vec<Signal>,
    pub(crate) fit: FitGroup,
    pub(crate) intent: IntentGroup,
    pub(crate) stages: Stages,
    pub(crate) segments: Vec<Segment>,
    pub(crate) lifecycle: LifecycleRules,
    /// Marketing sends kept per channel: the largest cap count of the send policy.
    pub(crate) send_keep: u32,
    pub(crate) policy: Policy,
    /// Nurture sequences (D13–D14, D20–D23, D34, D37), in playbook order.
    pub(crate) sequences: Vec<Sequence>,
    /// CTA candidates and default (D17, D25).
    pub(crate) ctas: Ctas,
    /// The sales handoff packet and SLA (D19); `None` = no packet.
    pub(crate) handoff: Option<HandoffRules>,
    /// Profile fields any rule or condition reads, sorted; the state keeps only these.
    pub(crate) profile_fields: Vec<String>,
    /// Retention analytics (D36–D42): RFM cells, churn thresholds, CLV horizon; defaults when absent.
    pub(crate) retention: RetentionRules,
    /// How a generic contacts CSV's columns map to contacts and profile fields.
    pub(crate) contact_columns: contacts::ContactColumns,
    /// This playbook among the playbooks built in the process (values a state keeps are keyed by it).
    pub(crate) instance: instance::Instance,
}

/// Top-level sections, in documentation order; `$schema` (an editor's JSON Schema, docs/playbook.md § Editor
/// setup) is read as a string and otherwise ignored.
const SECTIONS: [&str; 13] = [
    "version",
    "signals",
    "scores",
    "stages",
    "segments",
    "lifecycle",
    "policy",
    "sequences",
    "ctas",
    "handoff",
    "retention",
    "contacts",
    "$schema",
];

impl Playbook {
    /// Parses and validates a JSON-shaped playbook, reporting every problem with its path.
    pub fn parse(value: &Value) -> Result<Playbook, Error> {
        let mut r = Reader::default();
        let Some(top) = r.object(value, "", &SECTIONS) else {
            return Err(Error::InvalidPlaybook { problems: r.problems });
        };
        if let Some(v) = top.get("$schema") {
            r.string(v, "$schema");
        }
        if let Some(v) = r.required(&top, "version") {
            match v {
                Value::Number(n) if *n == f64::from(VERSION) => {}
                Value::Number(n) => r.problem(
                    "version",
                    ProblemCode::UnsupportedVersion,
                    format!("this build reads playbook version {VERSION}, got {}", short_number(*n)),
                ),
                other => r.problem(
                    "version",
                    ProblemCode::WrongType,
                    format!("expected the number {VERSION}, got {}", other.kind_name()),
                ),
            }
        }
        let declared = match r.required(&top, "signals") {
            Some(s) => parse_signals(&mut r, s),
            None => Declared { signals: Vec::new(), ids: Vec::new() },
        };
        let (mut fit, mut intent) = (FitGroup::default(), IntentGroup::default());
        let before_scores = r.problems.len();
        if let Some(scores) = top.get("scores").and_then(|s| r.object(s, "scores", &["fit", "intent"])) {
            if let Some(f) = scores.get("fit") {
                fit = parse_fit(&mut r, f);
            }
            if let Some(i) = scores.get("intent") {
                intent = parse_intent(&mut r, i, &declared);
            }
        }
        // Scores with a problem of their own are missing rules: what they can reach is then not known.
        let scores_whole = r.problems.len() == before_scores;
        let stages = top.get("stages").map(|s| parse_stages(&mut r, s, &declared)).unwrap_or_default();
        if scores_whole {
            crate::stage::check_reachable(&mut r, &stages, &fit, &intent);
        }
        let segments = top.get("segments").map(|s| parse_segments(&mut r, s, &declared)).unwrap_or_default();
        let lifecycle = top.get("lifecycle").map(|l| parse_lifecycle(&mut r, l, &declared)).unwrap_or_default();
        let policy = top.get("policy").map(|p| crate::policy::parse_policy(&mut r, p)).unwrap_or_default();
        // Conditions may name any segment of the raw section (a segment that failed to parse is reported there).
        let segment_ids: Vec<String> = match top.get("segments") {
            Some(Value::Object(entries)) => entries.iter().map(|(id, _)| id.clone()).collect(),
            _ => Vec::new(),
        };
        let scope = Scope { signals: &declared, segments: &segment_ids };
        let sequences =
            top.get("sequences").map(|s| parse_sequences(&mut r, s, &scope, &policy.topics)).unwrap_or_default();
        let ctas = top.get("ctas").map(|c| parse_ctas(&mut r, c, &scope)).unwrap_or_default();
        let handoff = top.get("handoff").and_then(|h| parse_handoff(&mut r, h, &declared));
        let retention = top.get("retention").map(|v| parse_retention(&mut r, v, &declared)).unwrap_or_default();
        let contact_columns = top.get("contacts").map(|v| contacts::parse_contacts(&mut r, v)).unwrap_or_default();
        let signals = declared.signals;
        check_key_collisions(&mut r, &signals, &intent);
        // With the other problems, so that a playbook's problems are all listed at once.
        let conditions = || {
            let segment_conditions = segments.iter().map(|s| &s.when);
            segment_conditions.chain(sequences.iter().flat_map(Sequence::conditions)).chain(ctas.conditions())
        };
        check_rfm_cells(&mut r, conditions(), &retention);
        if scores_whole {
            crate::stage::check_score_conditions(&mut r, conditions(), &fit, &intent);
        }
        if !r.problems.is_empty() {
            return Err(Error::InvalidPlaybook { problems: r.problems });
        }
        let mut pb = Playbook {
            signals,
            fit,
            intent,
            stages,
            segments,
            lifecycle,
            send_keep: policy.keep(),
            profile_fields: Vec::new(),
            policy,
            sequences,
            ctas,
            handoff,
            retention,
            contact_columns,
            instance: instance::Instance::fresh(),
        };
        pb.size_state();
        pb.mark_rises();
        Ok(pb)
    }

    /// Records which sequence conditions can turn true with time alone, so folding never re-derives it.
    fn mark_rises(&mut self) {
        let rises: Vec<crate::nurture::Rises> = self
            .sequences
            .iter()
            .map(|s| crate::nurture::Rises {
                start: s.start.may_rise(self),
                stop: s.stop.iter().map(|c| c.may_rise(self)).collect(),
            })
            .collect();
        for (seq, r) in self.sequences.iter_mut().zip(rises) {
            seq.rises = r;
        }
    }

    /// Works out what the state must keep: recent instants per signal (the largest count any condition
    /// needs), day buckets for large counts, and the profile fields conditions read.
    fn size_state(&mut self) {
        let mut needs: Vec<(usize, u32, Span)> = Vec::new();
        for bar in [&self.stages.mql, &self.stages.sql].into_iter().flatten() {
            for c in bar.conditions() {
                needs.push((c.signal, c.at_least, c.within));
            }
        }
        let mut fields: Vec<String> = self.fit.fields().map(String::from).collect();
        fields.push(self.policy.timezone_field.clone());
        for cond in self.conditions() {
            cond.walk(&mut |c| match c {
                Cond::Count { signal, within, bound, .. } => {
                    let n = match bound {
                        Bound::AtLeast(n) => *n,
                        Bound::AtMost(n) => n.saturating_add(1),
                    };
                    needs.push((*signal, n, *within));
                }
                Cond::Field { field, .. } => fields.push(field.clone()),
                Cond::Rfm { .. } => fields.push(String::from(crate::retention::RFM_CELL_FIELD)),
                _ => {}
            });
        }
        for (signal, n, within) in needs {
            let Some(s) = self.signals.get_mut(signal) else { continue };
            if n > MAX_EXACT {
                s.keep = MAX_EXACT;
                let days = u32::try_from(within.ms() / 86_400_000 + 2).unwrap_or(u32::MAX);
                s.bucket_days = s.bucket_days.max(days);
            } else {
                s.keep = s.keep.max(n);
            }
        }
        crate::vecmap::sort_small_by(&mut fields, |a, b| a < b);
        fields.dedup();
        self.profile_fields = fields;
    }

    /// Keeps `fields` of every contact's profile in its state too, beyond those the rules read, for a host that
    /// reports them: the CLI's retention alert list names the owner and the stated churn reason (D39, D41,
    /// [`crate::retention::stated::KEPT_FIELDS`]). Call it before folding. Only hosts that call it carry it.
    pub fn keep_profile_fields(&mut self, fields: &[&str]) {
        self.profile_fields.extend(fields.iter().map(|f| String::from(*f)));
        crate::vecmap::sort_small_by(&mut self.profile_fields, |a, b| a < b);
        self.profile_fields.dedup();
    }

    /// The retention section (defaults when the playbook has none).
    pub fn retention(&self) -> &RetentionRules {
        &self.retention
    }

    /// Every condition tree of the playbook: segments, sequences (start, stop, branch rules) and CTAs.
    pub(crate) fn conditions(&self) -> impl Iterator<Item = &Cond> {
        self.segments
            .iter()
            .map(|s| &s.when)
            .chain(self.sequences.iter().flat_map(Sequence::conditions))
            .chain(self.ctas.conditions())
    }

    /// True when, without new events, every score can only fall or stay: intent points are non-negative
    /// (decay and expiry only take away) and no fit rule reads a relative date.
    pub(crate) fn scores_only_fall(&self) -> bool {
        self.intent.rules.iter().all(|r| r.points >= 0.0) && !self.fit.reads_relative_dates()
    }

    /// The profile fields its rules and conditions read (fit rules, `field` conditions, the time-zone field),
    /// sorted: what a contacts file must name exactly for them to count.
    pub fn profile_fields(&self) -> &[String] {
        &self.profile_fields
    }

    /// How a generic contacts CSV's columns map to contacts and profile fields (`contacts.columns`).
    pub fn contact_columns(&self) -> &contacts::ContactColumns {
        &self.contact_columns
    }

    /// The signals, in playbook order.
    pub fn signals(&self) -> &[Signal] {
        &self.signals
    }

    /// The segments, in playbook order.
    pub fn segments(&self) -> &[Segment] {
        &self.segments
    }

    /// The nurture sequences, in playbook order.
    pub fn sequences(&self) -> &[Sequence] {
        &self.sequences
    }

    /// The topics of `policy.topics` as `(id, label)`, in playbook order: what a preference center offers (D27).
    ///
    /// ```
    /// # use rekindle_core::{Playbook, Value};
    /// let v: Value = serde_json::from_str(r#"{"version": 1, "signals": {},
    ///     "policy": {"topics": {"news": "Product news", "events": "Events"}, "topics_opt_in": true}}"#).unwrap();
    /// let pb = Playbook::parse(&v).unwrap();
    /// assert_eq!(pb.topics().collect::<Vec<_>>(), [("news", "Product news"), ("events", "Events")]);
    /// assert!(pb.topics_opt_in());
    /// ```
    pub fn topics(&self) -> impl Iterator<Item = (&str, &str)> {
        self.policy.topics_with_labels()
    }

    /// Whether a contact who never chose topics gets none (`policy.topics_opt_in`) rather than all.
    pub fn topics_opt_in(&self) -> bool {
        self.policy.topics_opt_in()
    }
}

/// State is keyed by 32-bit hashes of ids; two ids with one hash would share data, so refuse them.
fn check_key_collisions(r: &mut Reader, signals: &[Signal], intent: &IntentGroup) {
    for (i, s) in signals.iter().enumerate() {
        if let Some(other) = signals.iter().take(i).find(|o| o.key == s.key) {
            r.key_clash(format!("signals.{}", s.id), &other.id);
        }
    }
    for (i, rule) in intent.rules.iter().enumerate() {
        if let Some(other) = intent.rules.iter().take(i).find(|o| o.key == rule.key && o.id != rule.id) {
            r.key_clash(format!("{}.id", rule.path), &other.id);
        }
    }
}

/// `{ "rfm": [cells] }` must name cells of `retention.rfm.cells` (or the default cells).
fn check_rfm_cells<'a>(r: &mut Reader, conditions: impl Iterator<Item = &'a Cond>, retention: &RetentionRules) {
    let known: Vec<&str> = retention.cells.iter().map(|c| c.id.as_str()).collect();
    for cond in conditions {
        cond.walk(&mut |c| {
            if let Cond::Rfm { path, cells } = c {
                for cell in cells.iter().filter(|id| !known.contains(&id.as_str())) {
                    r.problem(
                        format!("{path}.rfm"),
                        ProblemCode::UnknownReference,
                        format!("unknown RFM cell \"{}\"; the cells are {}", quote(cell), known.join(", ")),
                    );
                }
            }
        });
    }
}

compiled::compiled_struct!(Playbook {
    signals,
    fit,
    intent,
    stages,
    segments,
    lifecycle,
    send_keep,
    policy,
    sequences,
    ctas,
    handoff,
    profile_fields,
    retention,
    contact_columns,
    instance,
});
