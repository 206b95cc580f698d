//! Do-not-contact per channel (D4, DESIGN §7): hard bounces and spam complaints stop email at once and for
//! good; unsubscribes stop a channel until an explicit resubscribe. Email suppression never touches SMS.

use serde::Serialize;

use crate::event::{Event, EventKind};
use crate::playbook::compiled::compiled_enum;
use crate::time::Timestamp;

/// A channel rekindle plans messages for.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize)]
#[serde(rename_all = "lowercase")]
pub enum Channel {
    /// Email.
    Email,
    /// Text messages.
    Sms,
}

compiled_enum!(Channel { 0 => Email, 1 => Sms });

impl Channel {
    /// Both channels, in output order.
    pub const ALL: [Channel; 2] = [Channel::Email, Channel::Sms];

    /// Parses `"email"` / `"sms"`.
    pub fn parse(name: &str) -> Option<Channel> {
        match name {
            "email" => Some(Channel::Email),
            "sms" => Some(Channel::Sms),
            _ => None,
        }
    }

    /// The name, as in playbooks.
    pub fn name(self) -> &'static str {
        match self {
            Channel::Email => "email",
            Channel::Sms => "sms",
        }
    }

    pub(crate) fn code(self) -> u8 {
        match self {
            Channel::Email => 0,
            Channel::Sms => 1,
        }
    }
}

/// Why a channel may not be used.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum DncReason {
    /// The contact unsubscribed (lifted by an explicit resubscribe).
    Unsubscribed,
    /// Manually suppressed (lifted by an explicit resubscribe).
    Manual,
    /// The address hard-bounced or is a spam trap: permanent.
    Bounced,
    /// The contact reported spam: permanent.
    Complained,
}

impl DncReason {
    /// Bounces and complaints are never lifted (D4).
    pub fn is_permanent(self) -> bool {
        matches!(self, DncReason::Bounced | DncReason::Complained)
    }

    pub(crate) fn code(self) -> u8 {
        match self {
            DncReason::Unsubscribed => 0,
            DncReason::Manual => 1,
            DncReason::Bounced => 2,
            DncReason::Complained => 3,
        }
    }

    pub(crate) fn from_code(c: u8) -> Option<DncReason> {
        [DncReason::Unsubscribed, DncReason::Manual, DncReason::Bounced, DncReason::Complained]
            .into_iter()
            .find(|r| r.code() == c)
    }
}

/// A do-not-contact entry.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
pub struct Dnc {
    /// Why.
    pub reason: DncReason,
    /// Since when.
    pub at: Timestamp,
}

/// Do-not-contact per channel.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub struct Suppression {
    pub(crate) email: Option<Dnc>,
    pub(crate) sms: Option<Dnc>,
    /// The latest `subscribe` per channel (email, sms): an unsubscribe that arrives late, stamped before it, was
    /// already lifted by it, as it would have been had the events come in order.
    pub(crate) resubscribed: [Option<Timestamp>; 2],
    /// Per channel (email, sms), the latest opt-out when it is later than the entry's `at` (a second unsubscribe):
    /// a subscribe stamped between the two lifts only the first, whichever order the three arrive in. The entry
    /// itself keeps the first opt-out, so `since` is when the contact opted out.
    pub(crate) latest_opt_out: [Option<Dnc>; 2],
    /// Per channel (email, sms), the opt-out in effect beneath a bounce (the entry then says `bounced`): a bounced
    /// address says nothing of the person's wishes, so a sales task reads this instead (docs § sequences), and it
    /// follows subscribes as the entry would have. `None` while the entry is itself an opt-out or a complaint.
    pub(crate) wish_under_bounce: [Option<Dnc>; 2],
}

impl Suppression {
    /// The entry for a channel.
    pub fn get(&self, channel: Channel) -> Option<Dnc> {
        match channel {
            Channel::Email => self.email,
            Channel::Sms => self.sms,
        }
    }

    /// The contact's own wish on a channel: its entry unless that is a bounce, else the opt-out in effect beneath
    /// the bounce. A bounced address says nothing of the person's wishes (a sales task is denied only by wishes).
    pub fn wish(&self, channel: Channel) -> Option<Dnc> {
        match self.get(channel) {
            Some(d) if d.reason == DncReason::Bounced => {
                self.wish_under_bounce.get(usize::from(channel.code())).copied().flatten()
            }
            other => other,
        }
    }

    fn slot(&mut self, channel: Channel) -> &mut Option<Dnc> {
        match channel {
            Channel::Email => &mut self.email,
            Channel::Sms => &mut self.sms,
        }
    }

    /// The slot an opt-out or a subscribe works on: the entry, or, beneath a bounce, the wish kept under it.
    fn wish_slot(&mut self, channel: Channel) -> &mut Option<Dnc> {
        let under = self.get(channel).is_some_and(|d| d.reason == DncReason::Bounced);
        match (channel, under) {
            (Channel::Email, true) => &mut self.wish_under_bounce[0],
            (Channel::Sms, true) => &mut self.wish_under_bounce[1],
            (_, false) => self.slot(channel),
        }
    }

    fn suppress(&mut self, channel: Channel, reason: DncReason, at: Timestamp) {
        let i = usize::from(channel.code());
        // At one instant a subscribe folds after an unsubscribe (kind order), so it lifts it: `>=`.
        let lifted = self.resubscribed.get(i).copied().flatten().is_some_and(|s| s >= at);
        if lifted && !reason.is_permanent() {
            return;
        }
        let new = Dnc { reason, at };
        let latest = self.latest_opt_out.get(i).copied().flatten();
        let old = *self.slot(channel);
        let bounced = |d: Option<Dnc>| d.is_some_and(|d| d.reason == DncReason::Bounced);
        // Beneath a bounce the contact's wishes fold as if it were not there (a complaint earlier than the bounce
        // takes the entry's place: for good since the first).
        if bounced(old) && !(reason == DncReason::Complained && old.is_some_and(|o| at <= o.at)) {
            if reason == DncReason::Bounced {
                let first = old.map_or(new, |o| core::cmp::min_by_key(o, new, |d| d.at));
                *self.slot(channel) = Some(first);
                return;
            }
            let under = self.wish_under_bounce.get(i).copied().flatten();
            let (wish, last) = Suppression::merge(under, new, latest);
            if let Some(w) = self.wish_under_bounce.get_mut(i) {
                *w = Some(wish);
            }
            if let Some(l) = self.latest_opt_out.get_mut(i) {
                *l = last;
            }
            return;
        }
        let (entry, last) = Suppression::merge(old, new, latest);
        *self.slot(channel) = Some(entry);
        if let Some(w) = self.wish_under_bounce.get_mut(i) {
            // A bounce over the opt-out (or none) in effect keeps it beneath; any other entry needs nothing kept.
            *w = if bounced(Some(entry)) && !bounced(old) { old } else { None };
        }
        if let Some(l) = self.latest_opt_out.get_mut(i) {
            // The latest opt-out belongs to the opt-out now beneath the bounce.
            *l = if bounced(Some(entry)) && !bounced(old) { latest } else { last };
        }
    }

    /// `new` folded over the entry `old` (`latest`: the latest opt-out when later than it): the entry and the
    /// latest opt-out to keep.
    fn merge(old: Option<Dnc>, new: Dnc, latest: Option<Dnc>) -> (Dnc, Option<Dnc>) {
        match old {
            None => (new, None),
            Some(old) => match (old.reason.is_permanent(), new.reason.is_permanent()) {
                (true, false) => (old, None),
                (false, true) => (new, None),
                // For good since the first: a later bounce or complaint changes nothing (ties: complained).
                (true, true) => (core::cmp::min_by_key(old, new, |d| (d.at, core::cmp::Reverse(d.reason))), None),
                (false, false) => Suppression::opt_outs(Some(old), new, latest),
            },
        }
    }

    /// An opt-out folded over the opt-out in effect (if any): since the first (ties: manual), and the latest kept
    /// for a subscribe between them.
    fn opt_outs(old: Option<Dnc>, new: Dnc, latest: Option<Dnc>) -> (Dnc, Option<Dnc>) {
        let Some(old) = old else { return (new, None) };
        let first = core::cmp::min_by_key(old, new, |d| (d.at, core::cmp::Reverse(d.reason)));
        let last = core::cmp::max_by_key(latest.unwrap_or(old), new, |d| (d.at, d.reason));
        (first, Some(last).filter(|l| l.at > first.at))
    }

    /// The channels an `unsubscribe` / `subscribe` event names (`channel`: email, sms or all; default email).
    fn channels(e: &Event) -> &'static [Channel] {
        match e.prop_str("channel") {
            Some("sms") => &[Channel::Sms],
            Some("all") => &Channel::ALL,
            _ => &[Channel::Email],
        }
    }

    /// Folds one event.
    pub(crate) fn on_event(&mut self, e: &Event) {
        match e.kind {
            EventKind::EmailBounce if matches!(e.prop_str("type"), None | Some("hard") | Some("spam_trap")) => {
                self.suppress(Channel::Email, DncReason::Bounced, e.at);
            }
            EventKind::SpamComplaint => self.suppress(Channel::Email, DncReason::Complained, e.at),
            EventKind::Unsubscribe => {
                let reason =
                    if e.prop_str("reason") == Some("manual") { DncReason::Manual } else { DncReason::Unsubscribed };
                for c in Suppression::channels(e) {
                    self.suppress(*c, reason, e.at);
                }
            }
            EventKind::Subscribe => {
                for c in Suppression::channels(e) {
                    if let Some(s) = self.resubscribed.get_mut(usize::from(c.code())) {
                        *s = (*s).max(Some(e.at));
                    }
                    let i = usize::from(c.code());
                    let latest = self.latest_opt_out.get(i).copied().flatten();
                    let slot = self.wish_slot(*c);
                    // A resubscribe lifts only what the contact chose, and only what came before it: an opt-out
                    // after it (known as the latest) stays, counted from that latest one (any between is unknown).
                    let Some(d) = slot.filter(|d| !d.reason.is_permanent() && d.at <= e.at) else { continue };
                    let last = latest.unwrap_or(d);
                    *slot = Some(last).filter(|l| l.at > e.at);
                    if let Some(l) = self.latest_opt_out.get_mut(i) {
                        *l = None;
                    }
                }
            }
            _ => {}
        }
    }
}
