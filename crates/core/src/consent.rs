//! Consent per purpose and the preference center's choices (D27, DESIGN §2): what the contact agreed to,
//! how often they want to hear from us, and until when they paused.

use alloc::string::String;
use alloc::vec::Vec;

use serde::Serialize;

use crate::event::{Event, EventKind, Scalar};
use crate::time::Timestamp;
use crate::vecmap::VecMap;

/// Consent for one purpose. Absent means unknown.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(tag = "status", rename_all = "camelCase")]
pub enum Consent {
    /// Given at `at`.
    Granted {
        /// When.
        at: Timestamp,
    },
    /// Refused or withdrawn at `at`.
    Denied {
        /// When.
        at: Timestamp,
    },
}

impl Consent {
    fn at(self) -> Timestamp {
        match self {
            Consent::Granted { at } | Consent::Denied { at } => at,
        }
    }
}

/// How often the contact wants marketing messages (preference center).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum Frequency {
    /// At most one a week.
    Weekly,
    /// At most one a month (30 d).
    Monthly,
    /// Only messages the playbook marks important (no regular marketing).
    ImportantOnly,
}

impl Frequency {
    /// Parses a preference value.
    pub fn parse(name: &str) -> Option<Frequency> {
        match name {
            "weekly" => Some(Frequency::Weekly),
            "monthly" => Some(Frequency::Monthly),
            "important_only" => Some(Frequency::ImportantOnly),
            _ => None,
        }
    }

    pub(crate) fn code(self) -> u8 {
        match self {
            Frequency::Weekly => 0,
            Frequency::Monthly => 1,
            Frequency::ImportantOnly => 2,
        }
    }

    pub(crate) fn from_code(c: u8) -> Option<Frequency> {
        [Frequency::Weekly, Frequency::Monthly, Frequency::ImportantOnly].into_iter().find(|f| f.code() == c)
    }
}

/// Consent and preferences, folded from `consent` and `preferences` events.
#[derive(Debug, Clone, PartialEq, Default)]
pub struct Permissions {
    /// Consent by purpose (`email_marketing`, `sms_marketing`, `analytics`, `personalisation`, …).
    pub consents: VecMap<String, Consent>,
    /// Chosen frequency; `None` = the playbook's caps only.
    pub frequency: Option<Frequency>,
    /// Paused until this instant.
    pub pause_until: Option<Timestamp>,
    /// Chosen topics, sorted; empty = all.
    pub topics: Vec<String>,
    /// When the preferences last changed (the latest `preferences` event).
    pub preferences_at: Option<Timestamp>,
    /// When each preference was last set — frequency, pause, topics — so each field follows its own latest
    /// event whatever order events arrive in: a late event never undoes a newer choice, and a newer event never
    /// discards what an older one set in a field it does not name.
    pub(crate) field_at: [Option<Timestamp>; 3],
}

impl Permissions {
    /// When topics were last chosen (a `preferences` event naming `topics`), or `None` if never.
    pub fn topics_chosen_at(&self) -> Option<Timestamp> {
        self.field_at[2]
    }

    /// Folds one event. Props were validated when the event was parsed.
    pub(crate) fn on_event(&mut self, e: &Event) {
        match e.kind {
            EventKind::Consent => {
                let (Some(purpose), Some(Some(Scalar::Bool(granted)))) =
                    (e.prop_str("purpose"), e.props.get("granted"))
                else {
                    return;
                };
                let c = if *granted { Consent::Granted { at: e.at } } else { Consent::Denied { at: e.at } };
                // The latest decision per purpose wins, whatever order events are folded in.
                if self.consents.get(purpose).is_none_or(|old| old.at() <= e.at) {
                    self.consents.insert(purpose.into(), c);
                }
            }
            EventKind::Preferences => {
                self.preferences_at = self.preferences_at.max(Some(e.at));
                // A field takes this event's value unless a later event already set it (ties: the later in fold
                // order wins, as in one sorted batch).
                let [frequency_at, pause_at, topics_at] = &mut self.field_at;
                let newer = |at: &mut Option<Timestamp>| {
                    let newer = at.is_none_or(|t| t <= e.at);
                    if newer {
                        *at = Some(e.at);
                    }
                    newer
                };
                if let Some(v) = e.props.get("frequency").filter(|_| newer(frequency_at)) {
                    self.frequency = match v {
                        Some(Scalar::Str(s)) => Frequency::parse(s),
                        _ => None,
                    };
                }
                if let Some(v) = e.props.get("pause_until").filter(|_| newer(pause_at)) {
                    self.pause_until = match v {
                        Some(Scalar::Num(n)) => Timestamp::from_f64(*n),
                        Some(Scalar::Str(s)) => Timestamp::parse(&crate::Value::String(s.clone()), "").ok(),
                        _ => None,
                    };
                }
                if let Some(v) = e.props.get("topics").filter(|_| newer(topics_at)) {
                    let mut topics: Vec<String> = match v {
                        Some(Scalar::Str(s)) => {
                            s.split(',').map(str::trim).filter(|t| !t.is_empty()).map(String::from).collect()
                        }
                        _ => Vec::new(),
                    };
                    crate::vecmap::sort_small_by(&mut topics, |a, b| a < b);
                    topics.dedup();
                    self.topics = topics;
                }
            }
            _ => {}
        }
    }

    /// The consent recorded for a purpose.
    pub fn consent(&self, purpose: &str) -> Option<Consent> {
        self.consents.get(purpose).copied()
    }
}
