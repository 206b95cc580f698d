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
}

impl Suppression {
    /// The entry for a channel.
    pub fn get(&self, channel: Channel) -> Option<Dnc> {
        match channel {
            Channel::Email => self.email,
            Channel::Sms => self.sms,
        }
    }

    fn slot(&mut self, channel: Channel) -> &mut Option<Dnc> {
        match channel {
            Channel::Email => &mut self.email,
            Channel::Sms => &mut self.sms,
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
        let (entry, last) = match *self.slot(channel) {
            None => (new, None),
            Some(old) => match (old.reason.is_permanent(), reason.is_permanent()) {
                (true, false) => (old, None),
                (false, true) => (new, None),
                // For good since the first: a later bounce or complaint changes nothing (ties: complained).
                (true, true) => (core::cmp::min_by_key(old, new, |d| (d.at, core::cmp::Reverse(d.reason))), None),
                // Two opt-outs: since the first (ties: manual), and the latest kept for a subscribe between them.
                (false, false) => {
                    let first = core::cmp::min_by_key(old, new, |d| (d.at, core::cmp::Reverse(d.reason)));
                    let last = core::cmp::max_by_key(latest.unwrap_or(old), new, |d| (d.at, d.reason));
                    (first, Some(last).filter(|l| l.at > first.at))
                }
            },
        };
        *self.slot(channel) = Some(entry);
        if let Some(l) = self.latest_opt_out.get_mut(i) {
            *l = last;
        }
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
                    let slot = self.slot(*c);
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
