//! Send policy (D22, D24, D27, DESIGN §7): may we send this contact a marketing message on this channel at
//! this instant? `deny` for any do-not-contact reason (erased, archived, unsubscribed, bounced, complained,
//! no consent, an active sales conversation, "only important" chosen for a message not marked important);
//! otherwise `defer` until the earliest instant at which **every** time rule allows (rolling caps per channel and
//! overall, the preference center's frequency and pause, quiet hours in the contact's own time zone); otherwise
//! `allow`. Topics (D27) are read by nurture, which skips a step of a topic the contact does not receive.
//!
//! A sales task (a `call` or `linkedin` step, D20) is no marketing send: [`Policy::step_verdict`] denies it for
//! erasure, archiving, do-not-contact on every channel (a bounce is no wish) and a denial of its channel's
//! purpose (`consent.call`, default `call`: do-not-call; no prior opt-in), and defers a call out of quiet hours
//! and 21:00–08:00 local (the US TCPA's calling hours, 47 CFR 64.1200(c)(1)). Caps and the rest do not apply.

use alloc::format;
use alloc::string::String;
use alloc::vec::Vec;

use serde::Serialize;

use crate::consent::{Consent, Frequency, Permissions};
use crate::event::Scalar;
use crate::lifecycle::{LifecycleStatus, Phase};
use crate::nurture::StepChannel;
use crate::playbook::compiled::compiled_struct;
use crate::state::{ContactState, DealStatus};
use crate::suppression::{Channel, DncReason};
use crate::time::{Span, Timestamp};
use crate::zone::{LocalWindow, Zone};

mod parse;
mod rolling;
pub(crate) use parse::parse_policy;
use rolling::{newest_first, window_full, Full};

/// A rolling frequency cap: at most `max` marketing sends on `channel` (or on any channel) per `per`.
#[derive(Debug, Clone, PartialEq)]
pub struct Cap {
    path: String,
    channel: Option<Channel>,
    max: u32,
    per: Span,
}

compiled_struct!(Cap { path, channel, max, per });

/// The `policy` section, compiled.
#[derive(Debug, Clone, PartialEq)]
pub struct Policy {
    caps: Vec<Cap>,
    quiet_hours: Option<LocalWindow>,
    /// 21:00-08:00 local, when a call waits (the calling hours; always set).
    calling_hours: Option<LocalWindow>,
    /// The profile field holding the contact's IANA zone.
    pub(crate) timezone_field: String,
    default_zone: Zone,
    /// The consent purpose each step channel needs (`None` = no explicit consent needed), in
    /// [`StepChannel::ALL`] order; a sales task's (call, LinkedIn) needs only not to be denied.
    consent: [Option<String>; 4],
    stop_during_sales: bool,
    /// The topics (subscription types) steps may belong to, in playbook order (D27).
    pub(crate) topics: Vec<String>,
    /// Each topic's label, as `topics` is ordered: what the preference center shows (the edge reads a compiled
    /// playbook, so the labels travel in it).
    topic_labels: Vec<String>,
    /// A contact who never chose topics gets none (opt-in) rather than all (opt-out, the default).
    topics_opt_in: bool,
}

compiled_struct!(Policy {
    caps,
    quiet_hours,
    calling_hours,
    timezone_field,
    default_zone,
    consent,
    stop_during_sales,
    topics,
    topic_labels,
    topics_opt_in,
});

impl Default for Policy {
    /// No caps, no quiet hours, zone from the `timezone` field else UTC, SMS needs `sms_marketing` consent,
    /// email needs none (soft opt-in; unsubscribes still deny), marketing stops during an open deal.
    fn default() -> Self {
        Policy {
            caps: Vec::new(),
            quiet_hours: None,
            calling_hours: LocalWindow::parse("21:00-08:00").ok(),
            timezone_field: String::from("timezone"),
            default_zone: Zone::UTC,
            consent: [
                None,
                Some(String::from("sms_marketing")),
                Some(String::from("call")),
                Some(String::from("linkedin")),
            ],
            stop_during_sales: true,
            topics: Vec::new(),
            topic_labels: Vec::new(),
            topics_opt_in: false,
        }
    }
}

/// Why a channel is denied or deferred.
#[derive(Debug, Clone, PartialEq, Serialize)]
#[serde(tag = "gate", rename_all = "camelCase", rename_all_fields = "camelCase")]
#[non_exhaustive]
pub enum Gate {
    /// The contact was erased.
    Erased {
        /// When.
        since: Option<Timestamp>,
    },
    /// The contact was archived: no more campaigns (D9, D11).
    Archived {
        /// When.
        since: Option<Timestamp>,
    },
    /// Unsubscribed, bounced, complained or manually suppressed on this channel.
    DoNotContact {
        /// Why.
        reason: DncReason,
        /// Since when.
        since: Timestamp,
    },
    /// The channel needs consent the contact has not given.
    NoConsent {
        /// The purpose.
        purpose: String,
        /// `denied`, `unknown`, or `pending`: a grant stamped after the decision's instant (a deferral).
        status: &'static str,
        /// When a pending grant takes effect. Written only for `pending`.
        #[serde(skip_serializing_if = "Option::is_none")]
        until: Option<Timestamp>,
    },
    /// A deal is open: marketing pauses while sales talks to the contact (D22, D24).
    SalesConversation {
        /// Since when; `null` while a close stamped after the decision's instant is pending (the state keeps the
        /// latest status only, so the opening it follows is gone).
        since: Option<Timestamp>,
        /// When a pending close lifts the stop (a deferral). Written only then.
        #[serde(skip_serializing_if = "Option::is_none")]
        until: Option<Timestamp>,
    },
    /// The contact chose "only important messages" in the preference center, and the message is not marked
    /// important.
    ImportantOnly,
    /// A step's topic is not one the contact receives (D5, D27): the step is skipped (a `stepSkipped` reason).
    Topic {
        /// The topic.
        topic: String,
        /// `opted_out` (the contact chose topics without it) or `not_opted_in` (topics are opt-in and the
        /// contact chose none).
        status: &'static str,
    },
    /// The contact paused messages.
    Paused {
        /// Until when.
        until: Timestamp,
    },
    /// A rolling cap is full.
    Cap {
        /// The cap's path in the playbook.
        path: String,
        /// `email`, `sms` or `any`.
        channel: &'static str,
        /// Sends allowed per window.
        max: u32,
        /// The window.
        per: Span,
        /// Sends in the window now (with `unsure`: the kept sends in it, fewer than `max`).
        sent: u32,
        /// When the window frees a slot (with `unsure`: when every send the state dropped has left it).
        until: Timestamp,
        /// The state dropped older sends that may fall in the window (some kept ones lie after the decision's
        /// instant): the cap cannot be shown to have room, so it holds until they have surely left the window.
        /// Written only when true.
        #[serde(skip_serializing_if = "core::ops::Not::not")]
        unsure: bool,
    },
    /// The preference center's frequency (weekly / monthly) is used up.
    Frequency {
        /// The chosen frequency.
        frequency: Frequency,
        /// When the next message fits.
        until: Timestamp,
    },
    /// Quiet hours in the contact's zone.
    QuietHours {
        /// The window, local time.
        window: String,
        /// The zone used.
        zone: Zone,
        /// When quiet hours end.
        until: Timestamp,
    },
}

/// The answer for one channel.
#[derive(Debug, Clone, PartialEq, Serialize)]
#[serde(tag = "verdict", rename_all = "camelCase")]
pub enum SendVerdict {
    /// Send now.
    Allow,
    /// Never, until the contact changes something (`reasons` say what).
    Deny {
        /// Every rule that denies.
        reasons: Vec<Gate>,
    },
    /// Not before `until`, the earliest instant every time rule allows.
    Defer {
        /// The earliest instant.
        until: Timestamp,
        /// The rules that defer, as they stand now.
        reasons: Vec<Gate>,
    },
}

impl Policy {
    /// The topics with their labels, in playbook order.
    pub(crate) fn topics_with_labels(&self) -> impl Iterator<Item = (&str, &str)> {
        self.topics.iter().map(String::as_str).zip(self.topic_labels.iter().map(String::as_str))
    }

    /// Whether topics are opt-in.
    pub(crate) fn topics_opt_in(&self) -> bool {
        self.topics_opt_in
    }

    /// The consent purpose `channel` needs, if the playbook names one (`None`: no explicit consent needed).
    pub(crate) fn consent_purpose(&self, channel: Channel) -> Option<&str> {
        self.consent.get(usize::from(channel.code())).and_then(Option::as_deref)
    }

    /// How many marketing sends per channel the state must keep for the caps (at least 1, for frequency).
    pub(crate) fn keep(&self) -> u32 {
        self.caps.iter().map(|c| c.max).max().unwrap_or(1).max(1)
    }

    /// The contact's zone: its profile field when it names a known zone, else the playbook's default.
    pub(crate) fn zone_of(&self, state: &ContactState) -> Zone {
        match state.profile.get(&self.timezone_field) {
            Some(Scalar::Str(name)) => Zone::find(name).unwrap_or_else(|| self.default_zone.clone()),
            _ => self.default_zone.clone(),
        }
    }

    /// Why a message of `topic` may not go to the contact, if it may not: topics are opt-out (no choice yet =
    /// every topic) unless the playbook makes them opt-in; a choice of no topic at all (`null`, `""`) is every
    /// topic in both (an unsubscribe is how a contact leaves them all).
    /// The answer is the [`Gate::Topic`] status.
    pub(crate) fn topic_refused(&self, p: &Permissions, topic: &str) -> Option<&'static str> {
        match (p.topics_chosen_at(), p.topics.is_empty()) {
            (None, _) if self.topics_opt_in => Some("not_opted_in"),
            (_, false) if !p.topics.iter().any(|t| t == topic) => Some("opted_out"),
            _ => None,
        }
    }

    /// Whether and when a marketing message may go out on `channel` at `t`, given the lifecycle at `t` and the
    /// contact's zone (`zone_of`, looked up once per decision: a lookup is 0.25 µs, a decision asks up to four
    /// verdicts). An `important` message (a step marked so) goes out under "only important messages".
    pub(crate) fn verdict(
        &self,
        state: &ContactState,
        channel: Channel,
        important: bool,
        t: Timestamp,
        lifecycle: &LifecycleStatus,
        zone: &Zone,
    ) -> SendVerdict {
        self.step_verdict(state, channel.into(), important, t, lifecycle, zone)
    }

    /// [`Policy::verdict`] for a step's channel: a sales task (a call or LinkedIn step) is judged by its own
    /// denials and, for a call, by quiet hours and the calling hours as two more nights (see the module docs).
    pub(crate) fn step_verdict(
        &self,
        state: &ContactState,
        channel: StepChannel,
        important: bool,
        t: Timestamp,
        lifecycle: &LifecycleStatus,
        zone: &Zone,
    ) -> SendVerdict {
        let mut deny = self.denials(state, channel, lifecycle);
        if !important && state.permissions.frequency == Some(Frequency::ImportantOnly) {
            deny.push(Gate::ImportantOnly);
        }
        if !deny.is_empty() {
            return SendVerdict::Deny { reasons: deny };
        }
        let zone = zone.clone().settled(t);
        // Fixpoint: each time rule answers "not before u"; move to the latest answer until all agree. Each step
        // passes a boundary (a counted send leaving a window, a pause ending, a night ending), so the bound only
        // has to exceed the boundaries one deferral can meet: a pause then 60 sends scheduled ahead take 61 steps
        // (tests/policy_defer.rs); 32 cut such a search short and named an instant still blocked.
        let mut at = t;
        // A task meets only nights: two windows that leave time between them chain at most twice a day, so a
        // call still held after 4 steps has no time at all (quiet hours 08:00-21:30 and the calling hours).
        let steps = if channel.send().is_some() { MAX_DEFER_STEPS } else { 4 };
        let mut settled = false;
        for _ in 0..steps {
            let mut next: Option<Timestamp> = None;
            self.holds(state, channel, at, &zone, &mut |hold| next = next.max(Some(hold.until())));
            match next.filter(|n| *n > at) {
                Some(n) => at = n,
                None => {
                    settled = true;
                    break;
                }
            }
        }
        if at == t && settled {
            return SendVerdict::Allow;
        }
        let mut reasons = Vec::new();
        self.holds(state, channel, t, &zone, &mut |hold| reasons.push(hold.gate(&zone)));
        // No instant found where every rule allows: never name one that is still held (a call at 21:30).
        if !settled {
            return SendVerdict::Deny { reasons };
        }
        SendVerdict::Defer { until: at, reasons }
    }

    /// When an `allow` of a marketing send or a step on `step` at `t` stops being one with no new event, if it does:
    /// the next quiet-hours (for a call, calling-hours) start, or a send stamped after `t` that fills a cap or the frequency as it enters their
    /// window (counts only grow at a send's instant; a pause never begins on its own). A decision's `validUntil`
    /// includes it, so a caller caching an allow (the Worker's cookie, the CLI's re-check) does not send through
    /// the night.
    pub(crate) fn allow_ends(
        &self,
        state: &ContactState,
        step: StepChannel,
        t: Timestamp,
        zone: &Zone,
    ) -> Option<Timestamp> {
        let zone = zone.clone().settled(t);
        let night = self.nights(step).into_iter().flatten().map(|w| w.next_start(&zone, t)).filter(|s| *s > t).min();
        let Some(channel) = step.send() else { return night };
        // The earliest send ahead that fills a rule; no sort (core's pulls 7 KB into the edge module).
        let fills = state
            .sends
            .email
            .iter()
            .chain(&state.sends.sms)
            .copied()
            .filter(|s| *s > t && night.is_none_or(|n| *s < n));
        let fills = fills
            .filter(|s| {
                let mut full = false;
                self.send_holds(state, channel, *s, &mut |_| full = true);
                full
            })
            .min();
        fills.or(night)
    }

    /// When the reasons of a `defer` on `step` at `t` (until `until`) change with no new event, if before
    /// `until`: a rule stops holding at its own end, quiet hours begin, or a send enters or leaves a cap's or the
    /// frequency's window. `until` itself stays (every blocked instant before it has the same earliest allowed
    /// one), but the reasons are the rules "as they stand now", so a decision showing them is valid only until
    /// they change (a pause ending at 20:13 under quiet hours 20:00-08:00 reads `quietHours` from 20:00).
    pub(crate) fn defer_changes(
        &self,
        state: &ContactState,
        step: StepChannel,
        t: Timestamp,
        zone: &Zone,
        until: Timestamp,
    ) -> Option<Timestamp> {
        let zone = zone.clone().settled(t);
        let gates = |x: Timestamp| {
            let mut out = Vec::new();
            self.holds(state, step, x, &zone, &mut |hold| out.push(hold.gate(&zone)));
            out
        };
        let mut at: Vec<Timestamp> = Vec::new();
        self.holds(state, step, t, &zone, &mut |hold| at.push(hold.until()));
        at.extend(self.quiet_hours.map(|w| w.next_start(&zone, t)));
        at.extend(self.calling_hours.map(|w| w.next_start(&zone, t)));
        let pers = self.caps.iter().map(|c| c.per).chain([Span::days(7), Span::days(30)]);
        let pers: Vec<Span> = pers.collect();
        for s in state.sends.email.iter().chain(&state.sends.sms) {
            at.push(*s);
            at.extend(pers.iter().map(|p| s.plus(*p)));
        }
        at.retain(|x| *x > t && *x < until);
        crate::vecmap::sort_small_by(&mut at, |a, b| a < b);
        let now = gates(t);
        at.into_iter().find(|x| gates(*x) != now)
    }

    /// The denials of a send on `channel`; of a task, erasure, archiving, do-not-contact on every channel (a
    /// bounce is no wish) and a denied purpose (no prior opt-in).
    fn denials(&self, state: &ContactState, channel: StepChannel, lifecycle: &LifecycleStatus) -> Vec<Gate> {
        let mut out = Vec::new();
        match lifecycle.state {
            Phase::Erased => out.push(Gate::Erased { since: lifecycle.since }),
            Phase::Archived => out.push(Gate::Archived { since: lifecycle.since }),
            Phase::Active | Phase::Cooling | Phase::Cold | Phase::SoftReactivation | Phase::BreakUp => {}
        }
        let send = channel.send();
        let dnc = match send {
            Some(c) => state.suppression.get(c),
            None => match (state.suppression.wish(Channel::Email), state.suppression.wish(Channel::Sms)) {
                (Some(e), Some(s)) => Some(if s.at > e.at { s } else { e }),
                _ => None,
            },
        };
        if let Some(d) = dnc {
            out.push(Gate::DoNotContact { reason: d.reason, since: d.at });
        }
        if let Some(purpose) = self.consent.get(channel as usize).and_then(Option::as_ref) {
            match state.permissions.consent(purpose) {
                Some(Consent::Granted { .. }) => {}
                Some(Consent::Denied { .. }) => {
                    out.push(Gate::NoConsent { purpose: purpose.clone(), status: "denied", until: None })
                }
                None if send.is_some() => {
                    out.push(Gate::NoConsent { purpose: purpose.clone(), status: "unknown", until: None })
                }
                None => {}
            }
        }
        if let Some((DealStatus::Open, since)) = state.deal.filter(|_| self.stop_during_sales && send.is_some()) {
            out.push(Gate::SalesConversation { since: Some(since), until: None });
        }
        out
    }

    /// The time rules that block at `t`, each with the instant it stops blocking, handed to `each` in the
    /// order their reasons are listed.
    fn holds<'p>(
        &'p self,
        state: &ContactState,
        step: StepChannel,
        t: Timestamp,
        zone: &Zone,
        each: &mut dyn FnMut(Hold<'p>),
    ) {
        if let Some(channel) = step.send() {
            self.send_holds(state, channel, t, each);
        }
        for window in self.nights(step).iter().flatten().filter(|w| w.contains(zone, t)) {
            each(Hold::QuietHours { window: *window, until: window.next_end(zone, t) });
        }
    }

    /// The windows `step` waits out: quiet hours, and for a call the calling hours too; a LinkedIn touch waits for
    /// nothing.
    fn nights(&self, step: StepChannel) -> [Option<LocalWindow>; 2] {
        [
            self.quiet_hours.filter(|_| step != StepChannel::Linkedin),
            self.calling_hours.filter(|_| step == StepChannel::Call),
        ]
    }

    /// The holds of a marketing send alone: a lift stamped after `t`, the pause, caps and the preference
    /// center's frequency.
    ///
    /// A consent grant or a deal's close stamped after `t` (a clock ahead, a CRM's batch) lifts its denial at its
    /// own instant, not before: until then the send waits for it (what held before is not kept, so it may still
    /// hold). A restriction stamped ahead (an opt-out, a denial, an opened deal) denies at once (`denials`).
    fn send_holds<'p>(&'p self, state: &ContactState, channel: Channel, t: Timestamp, each: &mut dyn FnMut(Hold<'p>)) {
        if let Some(purpose) = self.consent_purpose(channel) {
            match state.permissions.consent(purpose) {
                Some(Consent::Granted { at }) if at > t => each(Hold::ConsentPending { purpose, until: at }),
                _ => {}
            }
        }
        if let Some((_, until)) =
            state.deal.filter(|(s, at)| self.stop_during_sales && *s != DealStatus::Open && *at > t)
        {
            each(Hold::DealClosing { until });
        }
        if let Some(until) = state.permissions.pause_until.filter(|u| *u > t) {
            each(Hold::Paused { until });
        }
        let sends = &state.sends;
        let keep = self.keep();
        for cap in self.caps.iter().filter(|c| c.channel.is_none_or(|c| c == channel)) {
            let dropped = sends.dropped_until(cap.channel, keep);
            let full = match cap.channel {
                Some(c) => window_full(sends.of(c).iter().copied(), dropped, cap.max, cap.per, t),
                None => {
                    let both = newest_first(sends.email.as_slice(), sends.sms.as_slice());
                    window_full(both, dropped, cap.max, cap.per, t)
                }
            };
            if let Some(Full { sent, until, unsure }) = full {
                each(Hold::Cap { cap, sent, until, unsure });
            }
        }
        let per = match state.permissions.frequency {
            Some(Frequency::Weekly) => Some(Span::days(7)),
            Some(Frequency::Monthly) => Some(Span::days(30)),
            Some(Frequency::ImportantOnly) | None => None,
        };
        if let (Some(per), Some(frequency)) = (per, state.permissions.frequency) {
            let all = newest_first(sends.email.as_slice(), sends.sms.as_slice());
            if let Some(Full { until, .. }) = window_full(all, sends.dropped_until(None, keep), 1, per, t) {
                each(Hold::Frequency { frequency, until });
            }
        }
    }
}

/// How many boundaries one deferral search may pass (see [`Policy::verdict`]).
const MAX_DEFER_STEPS: usize = 512;

/// A time rule blocking at an instant, before it is spelled out as a [`Gate`]: the fixpoint of
/// [`Policy::verdict`] asks only when each stops blocking, up to MAX_DEFER_STEPS times, and spelling one out allocates (the
/// cap's path, the window's text).
enum Hold<'p> {
    ConsentPending { purpose: &'p str, until: Timestamp },
    DealClosing { until: Timestamp },
    Paused { until: Timestamp },
    Cap { cap: &'p Cap, sent: u32, until: Timestamp, unsure: bool },
    Frequency { frequency: Frequency, until: Timestamp },
    QuietHours { window: LocalWindow, until: Timestamp },
}

impl Hold<'_> {
    fn until(&self) -> Timestamp {
        match self {
            Hold::ConsentPending { until, .. }
            | Hold::DealClosing { until }
            | Hold::Paused { until }
            | Hold::Cap { until, .. }
            | Hold::Frequency { until, .. }
            | Hold::QuietHours { until, .. } => *until,
        }
    }

    fn gate(self, zone: &Zone) -> Gate {
        match self {
            Hold::ConsentPending { purpose, until } => {
                Gate::NoConsent { purpose: purpose.into(), status: "pending", until: Some(until) }
            }
            Hold::DealClosing { until } => Gate::SalesConversation { since: None, until: Some(until) },
            Hold::Paused { until } => Gate::Paused { until },
            Hold::Cap { cap, sent, until, unsure } => Gate::Cap {
                path: cap.path.clone(),
                channel: cap.channel.map_or("any", Channel::name),
                max: cap.max,
                per: cap.per,
                sent,
                until,
                unsure,
            },
            Hold::Frequency { frequency, until } => Gate::Frequency { frequency, until },
            Hold::QuietHours { window, until } => {
                Gate::QuietHours { window: format!("{}-{}", window.from(), window.to()), zone: zone.clone(), until }
            }
        }
    }
}

#[cfg(test)]
mod tests;
