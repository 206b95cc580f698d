//! A/B tests (D26): which contact was sent which variant of which test, and what those contacts did after it,
//! read from the events as they are routed. The verdicts are `crate::report::ab_tests`'.
//!
//! Rules (the README's **A/B tests** paragraph says the same):
//! - A *send* is an `email_sent` with a variant, `props.variant`. ESP webhook logs hold no sends (the adapters
//!   skip `processed` and `delivered` records, keeping a delivery's instant only), so sends come from the user's
//!   send log as NDJSON; a vendor's own A/B field on an open or click (SendGrid's `marketing_campaign_version`,
//!   kept as `raw.marketing_campaign_version`) has no send to count against and defines nothing.
//! - Its *test* is `props.ab_test`, else `props.campaign`, else `props.sequence` + `/` + `props.step`.
//! - A contact is in the variant of its first send of the test; one sent two variants of a test is excluded
//!   from it (counted).
//! - An open, click, reply or bounce counts for the test when it carries one of the keys the contact's send
//!   carried (the same `ab_test`, `campaign` or `sequence` + `step`) and is at or after that first send; machine
//!   opens and scanner clicks never count (D2). Each contact counts once per measure (unique).
//!
//! Memory: one entry per (test, contact) sent a variant, and one per (key, contact) that engaged with a keyed
//! message; events without such props cost nothing.

use std::collections::HashMap;

use rekindle_core::{Event, EventKind, Scalar, Timestamp};

/// The prop a send's variant is read from.
pub const VARIANT_PROP: &str = "variant";

/// What an engagement event is.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Kind {
    Open = 0,
    Click = 1,
    Reply = 2,
    Bounce = 3,
}

/// Where a test's id came from.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub enum Source {
    AbTest,
    Campaign,
    SequenceStep,
}

impl Source {
    pub fn name(self) -> &'static str {
        match self {
            Source::AbTest => "ab_test",
            Source::Campaign => "campaign",
            Source::SequenceStep => "sequence_step",
        }
    }
}

/// A test key: where it came from and its value.
pub type Key = (Source, Box<str>);

/// What one event tells the A/B tests (found while parsing, applied in routing order).
#[derive(Debug)]
pub struct Touch {
    at: Timestamp,
    /// The event's keys, in [`Source`] order (the first names a send's test).
    keys: Vec<Key>,
    /// A send: its variant; else the engagement kind.
    what: Result<Box<str>, Kind>,
}

/// A scalar prop as text: a string, or a whole number.
fn text(e: &Event, prop: &str) -> Option<Box<str>> {
    match e.props.get(prop) {
        Some(Some(Scalar::Str(s))) if !s.trim().is_empty() => Some(s.trim().into()),
        Some(Some(Scalar::Num(n))) if n.fract() == 0.0 && n.abs() < 9e15 => Some(format!("{}", *n as i64).into()),
        _ => None,
    }
}

fn keys(e: &Event) -> Vec<Key> {
    let mut keys = Vec::new();
    if let Some(t) = text(e, "ab_test") {
        keys.push((Source::AbTest, t));
    }
    if let Some(c) = text(e, "campaign") {
        keys.push((Source::Campaign, c));
    }
    if let (Some(s), Some(step)) = (text(e, "sequence"), text(e, "step")) {
        keys.push((Source::SequenceStep, format!("{s}/{step}").into()));
    }
    keys
}

/// What `e` tells the A/B tests, if anything: a send with a variant and a test key, or a person's open, click,
/// reply or bounce carrying a test key.
pub fn touch(e: &Event) -> Option<Touch> {
    let what = match e.kind {
        EventKind::EmailSent => Ok(text(e, VARIANT_PROP)?),
        EventKind::EmailOpen if !e.machine => Err(Kind::Open),
        EventKind::EmailClick if !e.machine => Err(Kind::Click),
        EventKind::EmailReply => Err(Kind::Reply),
        EventKind::EmailBounce => Err(Kind::Bounce),
        _ => return None,
    };
    let keys = keys(e);
    (!keys.is_empty()).then_some(Touch { at: e.at, keys, what })
}

/// A contact's place in a test.
#[derive(Debug, Clone)]
pub struct Member {
    /// Its first send of the test.
    pub first: Timestamp,
    /// That send's variant (an index of [`AbLog::variants`]).
    pub variant: u32,
    /// Sent another variant of the test too: excluded.
    pub mixed: bool,
    /// The keys its sends carried (indices of [`AbLog::keys`]).
    keys: Vec<u32>,
    /// Ordered within the conversion window after `first` (set by [`AbLog::orders`]).
    pub ordered: bool,
}

/// Every send with a variant and every keyed engagement of this run's events.
#[derive(Debug, Default)]
pub struct AbLog {
    index: HashMap<Key, u32>,
    /// The interned keys.
    pub keys: Vec<Key>,
    variant_index: HashMap<Box<str>, u32>,
    /// The interned variant names.
    pub variants: Vec<Box<str>>,
    /// (test key, contact) → its place in the test.
    pub members: HashMap<(u32, u32), Member>,
    /// (key, contact) → the latest open, click, reply and bounce carrying the key.
    engaged: HashMap<(u32, u32), [Option<Timestamp>; 4]>,
}

impl AbLog {
    fn key(&mut self, key: Key) -> u32 {
        if let Some(i) = self.index.get(&key) {
            return *i;
        }
        let i = self.keys.len() as u32;
        self.keys.push(key.clone());
        self.index.insert(key, i);
        i
    }

    fn variant(&mut self, name: Box<str>) -> u32 {
        if let Some(i) = self.variant_index.get(&name) {
            return *i;
        }
        let i = self.variants.len() as u32;
        self.variants.push(name.clone());
        self.variant_index.insert(name, i);
        i
    }

    /// Records one routed event of contact `contact`.
    pub fn apply(&mut self, contact: u32, touch: Touch) {
        let keys: Vec<u32> = touch.keys.into_iter().map(|k| self.key(k)).collect();
        match touch.what {
            Ok(variant) => {
                let variant = self.variant(variant);
                let Some(test) = keys.first().copied() else { return };
                let member = self.members.entry((test, contact)).or_insert_with(|| Member {
                    first: touch.at,
                    variant,
                    mixed: false,
                    keys: Vec::new(),
                    ordered: false,
                });
                member.mixed |= member.variant != variant;
                if touch.at < member.first {
                    member.first = touch.at;
                    member.variant = variant;
                }
                for k in keys {
                    if !member.keys.contains(&k) {
                        member.keys.push(k);
                    }
                }
            }
            Err(kind) => {
                for k in keys {
                    let latest = self.engaged.entry((k, contact)).or_default();
                    if let Some(slot) = latest.get_mut(kind as usize) {
                        *slot = Some(slot.map_or(touch.at, |t| t.max(touch.at)));
                    }
                }
            }
        }
    }

    /// Whether member `(test, contact)` did `kind` at or after its first send, by any key its sends carried.
    pub fn did(&self, contact: u32, member: &Member, kind: Kind) -> bool {
        member.keys.iter().any(|k| {
            let latest = self.engaged.get(&(*k, contact)).and_then(|l| l.get(kind as usize).copied().flatten());
            latest.is_some_and(|t| t >= member.first)
        })
    }

    /// Marks the members who ordered within `window_ms` after their first send; `orders(contact)` lists a
    /// contact's orders. Call once every event is folded, before the orders are taken for retention.
    pub fn orders<'a>(&mut self, window_ms: i64, orders: impl Fn(u32) -> &'a [(Timestamp, f64)]) {
        for ((_, contact), member) in &mut self.members {
            let from = member.first.ms();
            member.ordered = orders(*contact).iter().any(|(t, _)| (from..=from + window_ms).contains(&t.ms()));
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn ev(at: i64, kind: EventKind, props: &[(&str, &str)]) -> Event {
        let mut e = Event {
            at: Timestamp::from_ms(at).unwrap_or(Timestamp::EPOCH),
            kind,
            id: String::new(),
            contact: String::new(),
            machine: false,
            props: Default::default(),
        };
        for (k, v) in props {
            e.props.insert((*k).into(), Some(Scalar::Str((*v).into())));
        }
        e
    }

    #[test]
    fn a_click_counts_by_any_key_the_send_carried_and_only_after_it() {
        let mut log = AbLog::default();
        let send = ev(1_000, EventKind::EmailSent, &[("ab_test", "t"), ("campaign", "c"), ("variant", "B")]);
        let before = ev(500, EventKind::EmailClick, &[("campaign", "c")]);
        let open = ev(2_000, EventKind::EmailOpen, &[("campaign", "c")]);
        let other = ev(2_000, EventKind::EmailReply, &[("campaign", "other")]);
        for e in [&send, &before, &open, &other] {
            if let Some(t) = touch(e) {
                log.apply(7, t);
            }
        }
        assert!(touch(&ev(1, EventKind::EmailSent, &[("campaign", "c")])).is_none(), "no variant: no test");
        assert!(touch(&ev(1, EventKind::EmailClick, &[])).is_none(), "no key: nothing");
        let (&(test, contact), member) = log.members.iter().next().expect("a member");
        assert_eq!(log.keys.get(test as usize), Some(&(Source::AbTest, "t".into())));
        assert!(log.did(contact, member, Kind::Open));
        assert!(!log.did(contact, member, Kind::Click), "the click came before the send");
        assert!(!log.did(contact, member, Kind::Reply), "another campaign's");
    }
}
