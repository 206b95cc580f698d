//! The suppression list (`suppressed.csv`, D4, design §7): a hard bounce, a spam complaint or an unsubscribe must
//! outlive the contact's presence in the export. ESPs drop bounced and complaining addresses from their exports,
//! `state.csv` carries only the contacts a run saw, and a CRM re-imports the address a quarter later: without a
//! list kept for the absent, that address would be mailed again. The list holds, per address, only
//! `hex(SHA-256(salt ‖ normalised email))` (the tombstone hash, [`crate::tombstone::Salt::tombstone`]), the channel,
//! core's reason and since when: never the address.
//!
//! Rules:
//! - Every run writes the list: the do-not-contact entries core holds for each contact of this run (erased ones
//!   too: erasure keeps them, design §7), then every entry of the previous list whose address is not in this
//!   run's export, carried unchanged. A permanent entry (bounce, complaint) therefore never leaves the list; an
//!   unsubscribe leaves it only when a contact of this run was seen to resubscribe, as core decides.
//! - A contact whose address the previous list names, and whose state was not carried from the previous plan
//!   (a carried state already holds everything that plan knew), gets core's own suppression back by folding the
//!   event that records it at its `since`: a hard `email_bounce`, a `spam_complaint`, an `unsubscribe` (with its
//!   channel; `reason: manual` for a manual one). No second do-not-contact mechanism: core decides as it would
//!   have had the event stayed in the logs, and a later `subscribe` lifts an unsubscribe as it always does.

use std::collections::BTreeMap;

use rekindle_core::suppression::{Channel, Dnc, DncReason};
use rekindle_core::{Event, EventKind, Scalar, Timestamp};

/// The file, in every plan directory.
pub const SUPPRESSED_FILE: &str = "suppressed.csv";

/// Its header.
pub const HEADER: [&str; 4] = ["sha256", "channel", "reason", "since"];

/// One address's entries, by channel in [`Channel::ALL`] order (email, sms).
pub type Entries = [Option<Dnc>; 2];

/// Salted address hash → do-not-contact entries; iterated in hash order (the file's row order).
#[derive(Debug, Default)]
pub struct SuppressedList {
    by_hash: BTreeMap<String, Entries>,
}

impl SuppressedList {
    /// Whether it lists no address.
    pub fn is_empty(&self) -> bool {
        self.by_hash.is_empty()
    }

    /// Adds an entry. An address listed twice on a channel (two lists joined by hand) keeps the stronger: a
    /// permanent reason over one a resubscribe lifts, else the earlier `since` (then the reason's order), so the
    /// result does not depend on row order.
    pub fn insert(&mut self, hash: String, channel: Channel, dnc: Dnc) {
        let entries = self.by_hash.entry(hash).or_default();
        let Some(slot) = entries.get_mut(slot(channel)) else { return };
        let rank = |d: &Dnc| (!d.reason.is_permanent(), d.at, d.reason);
        if slot.is_none_or(|existing| rank(&dnc) < rank(&existing)) {
            *slot = Some(dnc);
        }
    }

    /// Adds every entry of one address.
    pub fn insert_all(&mut self, hash: &str, entries: &Entries) {
        for (channel, dnc) in Channel::ALL.into_iter().zip(entries) {
            if let Some(dnc) = dnc {
                self.insert(hash.to_string(), channel, *dnc);
            }
        }
    }

    /// Removes and returns an address's entries (a contact of this run: its state says what holds now).
    pub fn take(&mut self, hash: &str) -> Option<Entries> {
        self.by_hash.remove(hash)
    }

    /// Every entry, in file order: by hash, then channel.
    pub fn rows(&self) -> impl Iterator<Item = (&str, Channel, Dnc)> + '_ {
        self.by_hash.iter().flat_map(|(hash, entries)| {
            Channel::ALL.into_iter().zip(entries).filter_map(|(c, d)| d.map(|d| (hash.as_str(), c, d)))
        })
    }
}

fn slot(channel: Channel) -> usize {
    match channel {
        Channel::Email => 0,
        Channel::Sms => 1,
    }
}

/// The reason as the file writes it (core's serde name).
pub fn reason_name(reason: DncReason) -> &'static str {
    match reason {
        DncReason::Unsubscribed => "unsubscribed",
        DncReason::Manual => "manual",
        DncReason::Bounced => "bounced",
        DncReason::Complained => "complained",
    }
}

fn parse_reason(name: &str) -> Option<DncReason> {
    [DncReason::Unsubscribed, DncReason::Manual, DncReason::Bounced, DncReason::Complained]
        .into_iter()
        .find(|r| reason_name(*r) == name)
}

/// Reads one row (`sha256,channel,reason,since`); the error says what is wrong with it.
pub fn parse_row(cells: &[&str]) -> Result<(String, Channel, Dnc), String> {
    let [hash, channel, reason, since] = cells else {
        return Err(format!("expected {} cells, got {}", HEADER.join(","), cells.len()));
    };
    if hash.len() != 64 || !hash.bytes().all(|b| b.is_ascii_hexdigit()) {
        return Err("the address hash is not 64 hex digits".into());
    }
    let channel = Channel::parse(channel).ok_or_else(|| format!("unknown channel `{channel}` (email, sms)"))?;
    let reason = parse_reason(reason)
        .ok_or_else(|| format!("unknown reason `{reason}` (unsubscribed, manual, bounced, complained)"))?;
    if reason.is_permanent() && channel != Channel::Email {
        return Err(format!("core records {} for email only", reason_name(reason)));
    }
    let at = crate::adapter::parse_instant(since, "since").map_err(|e| e.to_string())?;
    Ok((hash.to_ascii_lowercase(), channel, Dnc { reason, at }))
}

/// The event whose fold records `dnc` on `channel` in core, at its `since`.
pub fn event(channel: Channel, dnc: Dnc) -> Event {
    let text = |s: &str| Some(Scalar::Str(s.to_string()));
    let mut e = Event {
        at: dnc.at,
        kind: EventKind::Unsubscribe,
        id: String::new(),
        contact: String::new(),
        machine: false,
        props: Default::default(),
    };
    match dnc.reason {
        DncReason::Bounced => {
            e.kind = EventKind::EmailBounce;
            e.props.insert("type".into(), text("hard"));
        }
        DncReason::Complained => e.kind = EventKind::SpamComplaint,
        DncReason::Unsubscribed | DncReason::Manual => {
            e.props.insert("channel".into(), text(channel.name()));
            if dnc.reason == DncReason::Manual {
                e.props.insert("reason".into(), text("manual"));
            }
        }
    }
    e
}

/// The entries core holds for a contact: read from its decision (every `do_not_contact` gate names its reason and
/// since), so nothing of the state is decoded twice. `None` when the contact is suppressed on no channel.
pub fn of_decision(send: &rekindle_core::decide::Send) -> Option<Box<Entries>> {
    use rekindle_core::policy::{Gate, SendVerdict};
    let dnc = |v: &SendVerdict| match v {
        SendVerdict::Deny { reasons } => reasons.iter().find_map(|g| match g {
            Gate::DoNotContact { reason, since } => Some(Dnc { reason: *reason, at: *since }),
            _ => None,
        }),
        SendVerdict::Allow | SendVerdict::Defer { .. } => None,
    };
    let entries = [dnc(&send.email), dnc(&send.sms)];
    entries.iter().any(Option::is_some).then(|| Box::new(entries))
}

/// The instant as the file writes it.
pub fn since(at: Timestamp) -> String {
    crate::report::rfc3339(at.ms())
}

#[cfg(test)]
mod tests {
    use super::*;

    fn at(ms: i64) -> Timestamp {
        Timestamp::from_ms(ms).unwrap_or(Timestamp::EPOCH)
    }

    #[test]
    fn a_permanent_entry_beats_an_unsubscribe_and_the_earlier_since_wins_in_any_order() {
        let hash = "a".repeat(64);
        let unsub = Dnc { reason: DncReason::Unsubscribed, at: at(1) };
        let bounce = Dnc { reason: DncReason::Bounced, at: at(5) };
        let earlier = Dnc { reason: DncReason::Complained, at: at(3) };
        for order in [[unsub, bounce, earlier], [earlier, bounce, unsub], [bounce, unsub, earlier]] {
            let mut list = SuppressedList::default();
            for d in order {
                list.insert(hash.clone(), Channel::Email, d);
            }
            let rows: Vec<_> = list.rows().collect();
            assert_eq!(rows, [(hash.as_str(), Channel::Email, earlier)], "{order:?}");
        }
    }

    #[test]
    fn every_reason_reads_back_and_its_event_is_the_one_core_suppresses_for() {
        for reason in [DncReason::Unsubscribed, DncReason::Manual, DncReason::Bounced, DncReason::Complained] {
            let hash = "B".repeat(64);
            let row = [hash.as_str(), "email", reason_name(reason), "2026-11-10T10:00:00Z"];
            let read = parse_row(&row).map(|(h, channel, dnc)| (h, channel, dnc.reason, dnc.at.ms()));
            assert_eq!(read, Ok(("b".repeat(64), Channel::Email, reason, 1_794_304_800_000)), "{reason:?}");
            let e = event(Channel::Email, Dnc { reason, at: at(7) });
            assert_eq!(e.at, at(7));
            let kind = match reason {
                DncReason::Bounced => EventKind::EmailBounce,
                DncReason::Complained => EventKind::SpamComplaint,
                DncReason::Unsubscribed | DncReason::Manual => EventKind::Unsubscribe,
            };
            assert_eq!(e.kind, kind, "{reason:?}");
            assert_eq!(e.prop_str("reason") == Some("manual"), reason == DncReason::Manual);
        }
    }
}
