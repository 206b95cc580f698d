//! ContactState: everything a decision needs, folded from events — so a decision needs no history and the
//! state fits in a cookie (DESIGN §2).
//!
//! Data is keyed by stable 32-bit hashes of rule and signal ids, so editing one part of a playbook never
//! scrambles what a stored state says about another; entries whose id left the playbook are kept (and
//! ignored) until the state is rebuilt.

pub mod codec;

use alloc::collections::BTreeMap;
use alloc::string::String;
use alloc::vec::Vec;

use serde::Serialize;

use crate::decide::scores_at;
use crate::event::{Event, EventKind, Scalar};
use crate::explain::Sink;
use crate::playbook::signal::Signal;
use crate::playbook::Playbook;
use crate::score::intent::Accumulator;
use crate::stage::{Bar, Occurrences, Stage};
use crate::time::{Span, Timestamp};

/// Occurrences of one signal: total, first, and the last `keep` instants for exact windows.
#[derive(Debug, Clone, PartialEq)]
pub struct SignalTrack {
    /// All occurrences folded.
    pub count: u32,
    /// The first occurrence.
    pub first: Timestamp,
    /// The most recent occurrences, newest first, at most the signal's `keep`.
    pub recent: Vec<Timestamp>,
}

/// One contact's folded state.
///
/// ```
/// # use rekindle_core::{ContactState, Event, Playbook, Value};
/// # let pb = Playbook::parse(&Value::Object(vec![
/// #     ("version".into(), Value::Number(1.0)), ("signals".into(), Value::Object(vec![]))])).unwrap();
/// let mut state = ContactState::new();
/// state.fold(&pb, &[]);
/// let bytes = state.to_bytes();
/// assert_eq!(ContactState::from_bytes(&bytes).unwrap(), state);
/// ```
#[derive(Debug, Clone, PartialEq, Default)]
pub struct ContactState {
    pub(crate) profile: BTreeMap<String, Scalar>,
    pub(crate) rules: BTreeMap<u32, Accumulator>,
    pub(crate) signals: BTreeMap<u32, SignalTrack>,
    /// Stages reached, each with the first instant its bar was met; ascending by stage.
    pub(crate) funnel: Vec<(Stage, Timestamp)>,
    /// The latest event folded.
    pub(crate) updated_at: Option<Timestamp>,
}

impl Occurrences for ContactState {
    fn count_within(&self, signal: &Signal, within: Span, now: Timestamp) -> u32 {
        self.signals
            .get(&signal.key)
            .map_or(0, |track| track.recent.iter().filter(|t| t.is_within(within, now)).count() as u32)
    }
}

impl ContactState {
    /// An empty state: a contact nothing is known about.
    pub fn new() -> ContactState {
        ContactState::default()
    }

    /// The latest event folded, if any.
    pub fn updated_at(&self) -> Option<Timestamp> {
        self.updated_at
    }

    /// Folds a batch of events. The batch is ordered by `(at, kind, id)` first, so the input order does not
    /// matter; stage bars are checked after each distinct instant.
    pub fn fold(&mut self, playbook: &Playbook, events: &[Event]) {
        let mut sorted: Vec<&Event> = events.iter().collect();
        sorted.sort_by(|a, b| (a.at, &a.kind, &a.id).cmp(&(b.at, &b.kind, &b.id)));
        let mut i = 0;
        while let Some(first) = sorted.get(i) {
            let at = first.at;
            while let Some(e) = sorted.get(i).filter(|e| e.at == at) {
                self.apply(playbook, e);
                i += 1;
            }
            // A late batch is checked at the state's latest instant: bars are not re-run in the past.
            let check_at = self.updated_at.map_or(at, |u| u.max(at));
            self.record_stages(playbook, check_at);
        }
    }

    fn apply(&mut self, playbook: &Playbook, event: &Event) {
        self.updated_at = Some(self.updated_at.map_or(event.at, |u| u.max(event.at)));
        if event.kind == EventKind::Profile {
            for (field, value) in &event.props {
                if playbook.profile_fields.contains(field) {
                    match value {
                        Some(v) => self.profile.insert(field.clone(), v.clone()),
                        None => self.profile.remove(field),
                    };
                }
            }
        }
        for (index, signal) in playbook.signals.iter().enumerate() {
            if !signal.matches(event) {
                continue;
            }
            let track =
                self.signals.entry(signal.key).or_insert(SignalTrack { count: 0, first: event.at, recent: Vec::new() });
            track.count = track.count.saturating_add(1);
            track.first = track.first.min(event.at);
            let pos = track.recent.iter().position(|t| *t < event.at).unwrap_or(track.recent.len());
            track.recent.insert(pos, event.at);
            track.recent.truncate(signal.keep as usize);
            for rule in playbook.intent.rules.iter().filter(|r| r.signal == index) {
                let acc = rule.grant(self.rules.get(&rule.key).copied(), event.at);
                self.rules.insert(rule.key, acc);
            }
        }
    }

    fn record_stages(&mut self, playbook: &Playbook, at: Timestamp) {
        let scores = scores_at(playbook, self, at, &mut Sink::discard());
        let signals = &playbook.signals;
        let check =
            |bar: &Option<Bar>| bar.as_ref().is_some_and(|b| b.check(&scores, signals, self, at, &mut Sink::discard()));
        let sql = check(&playbook.stages.sql);
        let mql = sql || check(&playbook.stages.mql);
        for (stage, met) in [(Stage::Mql, mql), (Stage::Sql, sql)] {
            if met && !self.funnel.iter().any(|(s, _)| *s == stage) {
                self.funnel.push((stage, at));
            }
        }
        self.funnel.sort();
    }

    /// The highest stage reached, with when.
    pub fn stage(&self) -> Option<(Stage, Timestamp)> {
        self.funnel.iter().max().copied()
    }

    /// A readable view for debugging and demos, with ids resolved through the playbook.
    pub fn view(&self, playbook: &Playbook) -> StateView {
        let rules = playbook
            .intent
            .rules
            .iter()
            .filter_map(|r| {
                self.rules.get(&r.key).map(|a| RuleView {
                    id: r.id.clone(),
                    value: a.value,
                    last_at: a.last,
                    count: a.count,
                    granted: a.granted,
                    capped: a.capped,
                })
            })
            .collect();
        let signals = playbook
            .signals
            .iter()
            .filter_map(|s| {
                self.signals.get(&s.key).map(|t| SignalView {
                    id: s.id.clone(),
                    count: t.count,
                    first_at: t.first,
                    recent: t.recent.clone(),
                })
            })
            .collect();
        let known = |k: &u32| playbook.intent.rules.iter().any(|r| r.key == *k);
        let known_signal = |k: &u32| playbook.signals.iter().any(|s| s.key == *k);
        StateView {
            updated_at: self.updated_at,
            profile: self.profile.iter().map(|(k, v)| (k.clone(), ScalarView(v.clone()))).collect(),
            rules,
            signals,
            funnel: self.funnel.iter().map(|(stage, at)| FunnelStep { stage: *stage, at: *at }).collect(),
            orphans: self.rules.keys().filter(|k| !known(k)).count()
                + self.signals.keys().filter(|k| !known_signal(k)).count(),
            bytes: self.to_bytes().len(),
        }
    }
}

/// A stage and the instant it was first reached.
#[derive(Debug, Clone, Copy, PartialEq, Serialize)]
pub struct FunnelStep {
    /// The stage.
    pub stage: Stage,
    /// First reached.
    pub at: Timestamp,
}

/// Readable state (`engine.inspect(state)` in JS).
#[derive(Debug, Clone, PartialEq, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct StateView {
    /// The latest event folded.
    pub updated_at: Option<Timestamp>,
    /// Profile fields the playbook reads.
    pub profile: BTreeMap<String, ScalarView>,
    /// Intent accumulators by rule id.
    pub rules: Vec<RuleView>,
    /// Signal occurrences by signal id.
    pub signals: Vec<SignalView>,
    /// Stages reached.
    pub funnel: Vec<FunnelStep>,
    /// Entries for ids no longer in the playbook.
    pub orphans: usize,
    /// Size of the serialised state.
    pub bytes: usize,
}

/// One intent accumulator, readable.
#[derive(Debug, Clone, PartialEq, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct RuleView {
    /// Rule id.
    pub id: String,
    /// Value at `lastAt`.
    pub value: f64,
    /// Last matching event.
    pub last_at: Timestamp,
    /// Matching events since the last expiry.
    pub count: u32,
    /// Points granted before decay and cap.
    pub granted: f64,
    /// Whether the cap clipped.
    pub capped: bool,
}

/// One signal's occurrences, readable.
#[derive(Debug, Clone, PartialEq, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct SignalView {
    /// Signal id.
    pub id: String,
    /// All occurrences.
    pub count: u32,
    /// First occurrence.
    pub first_at: Timestamp,
    /// Most recent occurrences kept, newest first.
    pub recent: Vec<Timestamp>,
}

/// A profile value as plain JSON.
#[derive(Debug, Clone, PartialEq)]
pub struct ScalarView(pub Scalar);

impl Serialize for ScalarView {
    fn serialize<S: serde::Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        match &self.0 {
            Scalar::Str(v) => s.serialize_str(v),
            Scalar::Num(v) => s.serialize_f64(*v),
            Scalar::Bool(v) => s.serialize_bool(*v),
        }
    }
}
