//! `decide(&Playbook, &ContactState, now) -> Decision`: everything rekindle decides for one contact at one
//! instant, from one pass, so the reasons are exactly what produced the values.

use alloc::vec::Vec;

use serde::Serialize;

use crate::cta::CtaChoice;
use crate::explain::{Reason, Sink};
use crate::handoff::Handoff;
use crate::lifecycle::LifecycleStatus;
use crate::moment::{Meets, Moment, Searches};
use crate::nurture::{NextStep, SequenceStatus};
use crate::playbook::Playbook;
use crate::policy::SendVerdict;
use crate::segment::{memberships, Membership};
use crate::stage::{Readiness, Scores, Stage};
use crate::state::retargeting::{window_end, Excluded, Retargeting};
use crate::state::{ContactState, FunnelStep};
use crate::suppression::Channel;
use crate::time::Timestamp;

/// Only the call to action at `now` — what an edge Worker needs per page — without the rest of [`decide`]
/// (segments' next flips, send policy, nurture, handoff, reasons). Always the same choice as `decide(…).cta`.
pub fn choose_cta(playbook: &Playbook, state: &ContactState, now: Timestamp) -> Option<CtaChoice> {
    let m = Moment::at(playbook, state, now, &mut Sink::discard());
    crate::cta::choose(playbook, state, &m)
}

/// May a marketing message of no topic, not marked important, go out now, per channel.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct Send {
    /// Email.
    pub email: SendVerdict,
    /// Text messages.
    pub sms: SendVerdict,
}

/// What rekindle decides for one contact at one instant.
///
/// ```
/// # use rekindle_core::{decide, ContactState, Playbook, Readiness, Stage, Timestamp, Value};
/// # let pb = Playbook::parse(&Value::Object(vec![
/// #     ("version".into(), Value::Number(1.0)), ("signals".into(), Value::Object(vec![]))])).unwrap();
/// let d = decide(&pb, &ContactState::new(), Timestamp::EPOCH);
/// assert_eq!((d.readiness, d.stage, d.scores.total), (Readiness::Cold, Stage::Lead, 0.0));
/// ```
#[derive(Debug, Clone, PartialEq, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct Decision {
    /// Fit, intent (after decay at `now`) and total.
    pub scores: Scores,
    /// Cold / warm / hot (D17).
    pub readiness: Readiness,
    /// The highest stage reached since the last recycle (forward-only).
    pub stage: Stage,
    /// Disqualified by sales and not re-qualified since (D21).
    pub recycled: bool,
    /// Which bars hold now.
    pub meets: Meets,
    /// Reached MQL once, and intent has decayed under the MQL bar while the SQL bar does not hold (D11).
    pub reactivation_candidate: bool,
    /// Stages reached, with when.
    pub funnel: Vec<FunnelStep>,
    /// The re-engagement lifecycle (D1–D2, D6–D9).
    pub lifecycle: LifecycleStatus,
    /// Segment memberships with their next flips (D18, D28–D34).
    pub segments: Vec<Membership>,
    /// May a marketing message go out now (D22, D24, D27).
    pub send: Send,
    /// The next nurture step due, with the instant the send policy allows it; `null` when none (the
    /// `nextStep` reason says why).
    pub next_step: Option<NextStep>,
    /// Every sequence's status (D13–D14, D20–D23).
    pub sequences: Vec<SequenceStatus>,
    /// The call to action to show, and why (D17, D25); `null` without candidates or default.
    pub cta: Option<CtaChoice>,
    /// The sales handoff packet for an SQL (D19); `null` below SQL or without a `handoff` section.
    pub handoff: Option<Handoff>,
    /// In the retargeting audience (D10, D22, D35: break-up and the 30 days after it ended without a reaction),
    /// until when, or why not — the same verdict the batch plan's ad audience files use.
    pub retargeting: Retargeting,
    /// The first instant this decision changes on its own (a window closes, decay crosses a bar, a phase
    /// ends, a deferral lifts); `null` when nothing will change without new events.
    pub valid_until: Option<Timestamp>,
    /// Why, in the order documented in docs/playbook.md.
    pub reasons: Vec<Reason>,
}

/// Decides for one contact at `now`. Pure: same inputs, same bytes, in every runtime.
pub fn decide(playbook: &Playbook, state: &ContactState, now: Timestamp) -> Decision {
    decide_with(playbook, state, now, Ahead::Search)
}

/// Everything [`decide`] says about `now` itself, without when it changes on its own: for a caller that decides
/// each contact once and schedules nothing (the CLI's batch plan). The look-ahead it skips — each segment's
/// next flip, `valid_until` — is 43 % of a decision with the saas example playbook (9.8 → 5.6 µs per contact,
/// native). Always equal to `decide(…).into_snapshot()`.
pub fn snapshot(playbook: &Playbook, state: &ContactState, now: Timestamp) -> Snapshot {
    decide_with(playbook, state, now, Ahead::Skip).into_snapshot()
}

/// A [`Decision`] less its look-ahead: the fields of the same names mean the same, and segment memberships
/// are booleans in playbook order (unknown is not membership; the `segment` reasons say why).
#[derive(Debug, Clone, PartialEq)]
pub struct Snapshot {
    /// Fit, intent (after decay at `now`) and total.
    pub scores: Scores,
    /// Cold / warm / hot (D17).
    pub readiness: Readiness,
    /// The highest stage reached since the last recycle (forward-only).
    pub stage: Stage,
    /// Disqualified by sales and not re-qualified since (D21).
    pub recycled: bool,
    /// Which bars hold now.
    pub meets: Meets,
    /// See [`Decision::reactivation_candidate`] (D11).
    pub reactivation_candidate: bool,
    /// Stages reached, with when.
    pub funnel: Vec<FunnelStep>,
    /// The re-engagement lifecycle (D1–D2, D6–D9).
    pub lifecycle: LifecycleStatus,
    /// Membership of each playbook segment, in playbook order (D18, D28–D34).
    pub members: Vec<bool>,
    /// May a marketing message go out now (D22, D24, D27).
    pub send: Send,
    /// The next nurture step due (see [`Decision::next_step`]).
    pub next_step: Option<NextStep>,
    /// Every sequence's status (D13–D14, D20–D23).
    pub sequences: Vec<SequenceStatus>,
    /// The call to action to show (D17, D25).
    pub cta: Option<CtaChoice>,
    /// The sales handoff packet for an SQL (D19).
    pub handoff: Option<Handoff>,
    /// Why, as in [`Decision::reasons`].
    pub reasons: Vec<Reason>,
}

impl Decision {
    /// What the decision says about its instant, dropping when it changes.
    pub fn into_snapshot(self) -> Snapshot {
        Snapshot {
            scores: self.scores,
            readiness: self.readiness,
            stage: self.stage,
            recycled: self.recycled,
            meets: self.meets,
            reactivation_candidate: self.reactivation_candidate,
            funnel: self.funnel,
            lifecycle: self.lifecycle,
            members: self.segments.iter().map(|s| s.member).collect(),
            send: self.send,
            next_step: self.next_step,
            sequences: self.sequences,
            cta: self.cta,
            handoff: self.handoff,
            reasons: self.reasons,
        }
    }
}

/// Whether a decision also searches when it changes on its own.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Ahead {
    /// Next flips and `valid_until` are searched.
    Search,
    /// They are left `None` (only for [`snapshot`], which drops them).
    Skip,
}

fn decide_with(playbook: &Playbook, state: &ContactState, now: Timestamp, ahead: Ahead) -> Decision {
    let mut reasons = Vec::new();
    let mut sink = Sink::to(&mut reasons);
    let m = Moment::at(playbook, state, now, &mut sink);
    // The score searches from `now` on `state`, shared by the segments, the CTA and the moment's own look-ahead
    // (they ask the same ones: readiness thresholds, bar minimums). Not by nurture, which reads a caught-up state.
    let searches = Searches::default();
    // The first instant a membership flips, or a condition turns decidable or undecidable without a flip.
    let mut segments_change = None;
    let segments = memberships(playbook, state, &m, &mut sink, ahead, &searches, &mut segments_change);
    let zone = playbook.policy.zone_of(state);
    let verdict = |c| playbook.policy.verdict(state, c, false, now, &m.lifecycle, &zone);
    let send = Send { email: verdict(Channel::Email), sms: verdict(Channel::Sms) };
    // Enrolments, stops and re-enrolments that happened on their own since the last event, as a later fold
    // would record them.
    let caught_up = crate::nurture::caught_up(playbook, state, now);
    let nurture = crate::nurture::plan(playbook, caught_up.as_ref().unwrap_or(state), &m, &zone, &mut sink, ahead);
    let cta = match crate::cta::choose_or_why(playbook, state, &m) {
        Ok(choice) => Some(choice),
        Err(none) => {
            if let Some(none) = none {
                sink.push(|| Reason::NoCta { why: none.why, skipped: none.skipped });
            }
            None
        }
    };
    // The funnel up to `now` (docs/playbook.md § stages: a stage read at an instant counts the funnel up to
    // that instant); a future-stamped entry shows once reached, and `validUntil` names that instant.
    let recorded = state.funnel_at(playbook, now);
    let handoff = crate::handoff::packet(playbook, state, &recorded, m.stage, m.scores, &reasons, now);
    let retargeting = state.retargeting_in(playbook, &m.lifecycle, now);
    let funnel = recorded.iter().filter(|(_, at)| *at <= now).map(|(stage, at)| FunnelStep { stage: *stage, at: *at });
    let funnel: Vec<FunnelStep> = funnel.collect();
    let valid_until = match ahead {
        Ahead::Skip => None,
        Ahead::Search => {
            let cta_change = crate::cta::next_change(playbook, state, &m, cta.as_ref(), &searches);
            let handoff_due = handoff.as_ref().map(|h| h.due_at).filter(|t| *t > now);
            let handoff_event = handoff.as_ref().and_then(|_| crate::handoff::next_change(playbook, state, now));
            // A future-stamped funnel entry, or a disqualification, moves the stage at its instant; so does the end
            // of a recycle when a bar holds then (a bar starting to hold later flips `meets` first).
            let recycle_end = state
                .recycle_end(playbook)
                .filter(|end| m.recycled && *end > now && !Moment::later(playbook, state, *end).recycled);
            let funnel_entry = recorded.iter().map(|(_, at)| *at).filter(|at| *at > now).chain(recycle_end);
            let funnel_entry = funnel_entry.chain(state.recycled_after(now)).min();
            // A deferral ends at its `until`, and its reasons change before when a rule stops or starts holding;
            // an allow ends when quiet hours begin or a send stamped ahead fills a cap.
            let deferrals =
                [(Channel::Email, &send.email), (Channel::Sms, &send.sms)].into_iter().filter_map(|(c, v)| match v {
                    SendVerdict::Defer { until, .. } => {
                        playbook.policy.defer_changes(state, c.into(), now, &zone, *until).or(Some(*until))
                    }
                    SendVerdict::Allow => playbook.policy.allow_ends(state, c.into(), now, &zone),
                    SendVerdict::Deny { .. } => None,
                });
            segments_change
                .into_iter()
                .chain(m.next_change(playbook, state, &searches))
                .chain(deferrals)
                .chain(nurture.next_change)
                .chain(cta_change)
                .chain(handoff_due)
                .chain(handoff_event)
                .chain(match retargeting {
                    Retargeting::Member { until } => Some(until),
                    Retargeting::Excluded { why: Excluded::OutsideWindow | Excluded::Erased } => None,
                    // An objection is named while the window lasts; `outside_window` takes over at its end.
                    Retargeting::Excluded { .. } => window_end(&m.lifecycle).filter(|end| *end > now),
                })
                .chain(funnel_entry)
                .min()
        }
    };
    Decision {
        scores: m.scores,
        readiness: m.readiness,
        stage: m.stage,
        recycled: m.recycled,
        meets: m.meets,
        reactivation_candidate: m.reactivation_candidate(playbook),
        funnel,
        lifecycle: m.lifecycle,
        segments,
        send,
        next_step: nurture.next_step,
        sequences: nurture.sequences,
        cta,
        handoff,
        retargeting,
        valid_until,
        reasons,
    }
}
