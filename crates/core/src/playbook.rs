//! The playbook: the marketer's configuration, parsed once ("parse, don't validate") into compiled,
//! index-addressed types. A bad playbook fails with every problem listed, each with its path.

pub(crate) mod reader;
pub mod signal;

use alloc::collections::BTreeSet;
use alloc::format;
use alloc::string::String;
use alloc::vec::Vec;

use crate::error::{Error, ProblemCode};
use crate::score::fit::{parse_fit, FitGroup};
use crate::score::intent::{parse_intent, IntentGroup};
use crate::stage::{parse_stages, Stages};
use crate::time::short_number;
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
    /// Profile fields any rule reads, sorted; the state keeps only these.
    pub(crate) profile_fields: BTreeSet<String>,
}

impl Playbook {
    /// Parses and validates a JSON-shaped playbook, reporting every problem with its path.
    pub fn parse(value: &Value) -> Result<Playbook, Error> {
        let mut r = Reader::default();
        let Some(top) = r.object(value, "", &["version", "signals", "scores", "stages"]) else {
            return Err(Error::InvalidPlaybook { problems: r.problems });
        };
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
        if let Some(scores) = top.get("scores").and_then(|s| r.object(s, "scores", &["fit", "intent"])) {
            if let Some(f) = scores.get("fit") {
                fit = parse_fit(&mut r, f);
            }
            if let Some(i) = scores.get("intent") {
                intent = parse_intent(&mut r, i, &declared);
            }
        }
        let stages = top.get("stages").map(|s| parse_stages(&mut r, s, &declared)).unwrap_or_default();
        let mut signals = declared.signals;
        check_key_collisions(&mut r, &signals, &intent);
        if !r.problems.is_empty() {
            return Err(Error::InvalidPlaybook { problems: r.problems });
        }
        for bar in [&stages.mql, &stages.sql].into_iter().flatten() {
            for c in bar.conditions() {
                if let Some(s) = signals.get_mut(c.signal) {
                    s.keep = s.keep.max(c.at_least);
                }
            }
        }
        let profile_fields = fit.fields().map(String::from).collect();
        Ok(Playbook { signals, fit, intent, stages, profile_fields })
    }

    /// The signals, in playbook order.
    pub fn signals(&self) -> &[Signal] {
        &self.signals
    }
}

/// State is keyed by 32-bit hashes of ids; two ids with one hash would share data, so refuse them.
fn check_key_collisions(r: &mut Reader, signals: &[Signal], intent: &IntentGroup) {
    for (i, s) in signals.iter().enumerate() {
        if let Some(other) = signals.iter().take(i).find(|o| o.key == s.key) {
            r.problem(
                format!("signals.{}", s.id),
                ProblemCode::DuplicateId,
                format!("id hashes to the same state key as \"{}\"; rename one of them", other.id),
            );
        }
    }
    for (i, rule) in intent.rules.iter().enumerate() {
        if let Some(other) = intent.rules.iter().take(i).find(|o| o.key == rule.key && o.id != rule.id) {
            r.problem(
                format!("{}.id", rule.path),
                ProblemCode::DuplicateId,
                format!("id hashes to the same state key as \"{}\"; rename one of them", other.id),
            );
        }
    }
}
