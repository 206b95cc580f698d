//! A readable view of a state (`engine.inspect(state)`), ids resolved through the playbook: for debugging,
//! demos and support tickets — never an input to a decision.

use alloc::string::String;
use alloc::vec::Vec;

use serde::Serialize;

use super::{ContactState, DealStatus, FunnelStep};
use crate::consent::{Consent, Frequency};
use crate::event::Scalar;
use crate::playbook::Playbook;
use crate::time::Timestamp;

/// Readable state.
#[derive(Debug, Clone, PartialEq, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct StateView {
    /// The latest event folded.
    pub updated_at: Option<Timestamp>,
    /// The earliest event folded.
    pub first_seen: Option<Timestamp>,
    /// The last real engagement.
    pub last_engagement: Option<Timestamp>,
    /// Profile fields the playbook reads.
    pub profile: Vec<FieldView>,
    /// Intent accumulators by rule id.
    pub rules: Vec<RuleView>,
    /// Signal occurrences by signal id.
    pub signals: Vec<SignalView>,
    /// Stages reached.
    pub funnel: Vec<FunnelStep>,
    /// Do-not-contact per channel.
    pub dnc: Vec<DncView>,
    /// Consent by purpose.
    pub consents: Vec<ConsentView>,
    /// Preference-center frequency.
    pub frequency: Option<Frequency>,
    /// Paused until.
    pub pause_until: Option<Timestamp>,
    /// Chosen topics (empty: every topic, or none chosen yet).
    pub topics: Vec<String>,
    /// When the contact last chose topics, or `None` if never: under `topics_opt_in` no choice means no topic,
    /// while a choice of none (`null`, `""`) means every topic — both are an empty `topics`.
    pub topics_chosen_at: Option<Timestamp>,
    /// Marketing sends kept per channel, newest first.
    pub sends: SendsView,
    /// The deal status and when it was set.
    pub deal: Option<DealView>,
    /// When the contact was recycled.
    pub recycled: Option<Timestamp>,
    /// When the contact was erased.
    pub erased: Option<Timestamp>,
    /// Entries for ids no longer in the playbook.
    pub orphans: usize,
    /// Size of the serialised state.
    pub bytes: usize,
}

/// One profile field. (Views use lists, not maps: a map in any output links serde-wasm-bindgen's map
/// serializer, about 10 KB of wasm gzip together with this view.)
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct FieldView {
    /// Field name.
    pub field: String,
    /// Value.
    pub value: ScalarView,
}

/// A do-not-contact entry.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct DncView {
    /// The channel.
    pub channel: crate::suppression::Channel,
    /// Why.
    pub reason: crate::suppression::DncReason,
    /// Since when.
    pub since: Timestamp,
}

/// Consent for one purpose.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct ConsentView {
    /// The purpose.
    pub purpose: String,
    /// Given (true) or refused / withdrawn (false).
    pub granted: bool,
    /// When.
    pub at: Timestamp,
}

/// Marketing sends per channel.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct SendsView {
    /// Email sends, newest first.
    pub email: Vec<Timestamp>,
    /// SMS sends, newest first.
    pub sms: Vec<Timestamp>,
}

/// The deal.
#[derive(Debug, Clone, Copy, PartialEq, Serialize)]
pub struct DealView {
    /// Its status.
    pub status: DealStatus,
    /// When it was set.
    pub at: Timestamp,
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
    pub first_at: Option<Timestamp>,
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

impl ContactState {
    /// A readable view, ids resolved through the playbook.
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
                    granted: f64::from(a.count) * r.points,
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
        let dnc = crate::suppression::Channel::ALL
            .iter()
            .filter_map(|c| self.suppression.get(*c).map(|d| DncView { channel: *c, reason: d.reason, since: d.at }))
            .collect();
        let consents = self
            .permissions
            .consents
            .iter()
            .map(|(purpose, c)| {
                let (granted, at) = match c {
                    Consent::Granted { at } => (true, *at),
                    Consent::Denied { at } => (false, *at),
                };
                ConsentView { purpose: purpose.clone(), granted, at }
            })
            .collect();
        StateView {
            updated_at: self.updated_at,
            first_seen: self.first_seen,
            last_engagement: self.activity.last_engagement,
            profile: self
                .profile
                .iter()
                .map(|(k, v)| FieldView { field: k.clone(), value: ScalarView(v.clone()) })
                .collect(),
            rules,
            signals,
            funnel: self.funnel.iter().map(|(stage, at)| FunnelStep { stage: *stage, at: *at }).collect(),
            dnc,
            consents,
            frequency: self.permissions.frequency,
            pause_until: self.permissions.pause_until,
            topics: self.permissions.topics.clone(),
            topics_chosen_at: self.permissions.topics_chosen_at(),
            sends: SendsView { email: self.sends.email.clone(), sms: self.sends.sms.clone() },
            deal: self.deal.map(|(status, at)| DealView { status, at }),
            recycled: self.recycled,
            erased: self.activity.erased,
            orphans: self.rules.keys().filter(|k| !known(k)).count()
                + self.signals.keys().filter(|k| !known_signal(k)).count(),
            bytes: self.to_bytes().len(),
        }
    }
}
