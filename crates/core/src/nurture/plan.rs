//! The nurture part of a decision: every sequence's status and the next step due, with the instant the send
//! policy lets it go out (DESIGN §7: `next_step` is the first step not done).

use alloc::string::String;
use alloc::vec::Vec;

use serde::Serialize;

use super::run::{next_transition, phase, schedule, stop_cause, stop_label, CatchUp, Outcome, Phase};
use super::{Sequence, StepChannel};
use crate::decide::Ahead;
use crate::explain::{NurtureOutcome, Reason, Sink};
use crate::field::Truth;
use crate::moment::{Moment, HORIZON};
use crate::playbook::Playbook;
use crate::policy::{Gate, SendVerdict};
use crate::segment::eval::Cx;
use crate::state::sends::Enrolment;
use crate::state::sends::StopBy;
use crate::state::ContactState;
use crate::time::{Span, Timestamp};
use crate::zone::Zone;

/// A contact's status in one sequence at `now`.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum Status {
    /// The start condition has not held yet (or, after a run, not again since the cool-down).
    NotEnrolled,
    /// In a run with steps still to come.
    Enrolled,
    /// The run was stopped (a stop condition, an opt-out, inactivity).
    Stopped,
    /// Every step of the run was done or skipped.
    Completed,
}

/// One sequence in a decision.
#[derive(Debug, Clone, PartialEq, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct SequenceStatus {
    /// The sequence id.
    pub id: String,
    /// Where the contact is.
    pub status: Status,
    /// When the current (or last) run began.
    pub enrolled_at: Option<Timestamp>,
    /// How many runs the contact has had (re-enrolment only with `reenrol_after`, D14, D22).
    pub runs: u16,
    /// When the run stopped.
    pub stopped_at: Option<Timestamp>,
    /// Why: a stop condition's path, `opt_out:email` / `opt_out:sms`, or `inactive`.
    pub stopped_by: Option<String>,
    /// When the run completed.
    pub completed_at: Option<Timestamp>,
    /// Steps sent in this run, in send order.
    pub done_steps: Vec<String>,
}

/// The next nurture step due (DESIGN §4 `next_step`).
#[derive(Debug, Clone, PartialEq, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct NextStep {
    /// The sequence.
    pub sequence: String,
    /// The step.
    pub step: String,
    /// Its channel: `email` / `sms` (a send), `call` / `linkedin` (a task for a person, D20).
    pub channel: StepChannel,
    /// Its content reference.
    pub content: String,
    /// When it is due (its anchor — enrolment, or the previous or a named earlier step's send — + `after`); may
    /// lie before `now` when overdue.
    pub due_at: Timestamp,
    /// The first instant at or after `max(dueAt, now)` the send policy allows; `null` when it denies.
    pub send_at: Option<Timestamp>,
    /// The policy gates that deferred or denied the send.
    pub gates: Vec<Gate>,
}

/// The nurture part of a decision.
pub(crate) struct Plan {
    pub(crate) next_step: Option<NextStep>,
    pub(crate) sequences: Vec<SequenceStatus>,
    /// The first instant after `now` at which a status or the next step changes on its own (with `Ahead::Skip`:
    /// only the steps' due times are counted, and the caller drops it).
    pub(crate) next_change: Option<Timestamp>,
}

/// Step ids of the run's sends, in send order (ids no longer in the sequence are left out).
fn done_ids(seq: &Sequence, e: &Enrolment) -> Vec<String> {
    let mut done: Vec<&(u32, Timestamp)> = e.done.iter().filter(|(_, at)| *at >= e.enrolled_at).collect();
    crate::vecmap::sort_small_by(&mut done, |a, b| a.1 < b.1);
    done.iter().filter_map(|(k, _)| seq.steps.iter().find(|s| s.key == *k)).map(|s| s.id.clone()).collect()
}

/// Why the run stopped: as the fold recorded it, else (a state written before it recorded why) re-judged at the
/// stop instant.
fn stopped_by(pb: &Playbook, seq: &Sequence, state: &ContactState, e: &Enrolment, at: Timestamp) -> Option<String> {
    let cause = e.stopped_by.or_else(|| stop_cause(&mut Cx::lazy(pb, state, at), seq, e));
    cause.or(seq.inactive_stop.map(|_| StopBy::Inactive)).and_then(|c| stop_label(seq, c))
}

/// The send instant for a step due at `due`: allow → at once; defer → the deferral's end, checked once more;
/// deny → none. A task's instant is the one its gates let a person do it at.
fn send_at(
    pb: &Playbook,
    state: &ContactState,
    channel: StepChannel,
    due: Timestamp,
    zone: &Zone,
) -> (Option<Timestamp>, Vec<Gate>) {
    // As an important message: a step the contact does not want ("only important" and the step is not marked
    // so) was skipped before it could be next.
    let verdict = |t: Timestamp| pb.policy.step_verdict(state, channel, true, t, &state.lifecycle_at(pb, t), zone);
    match verdict(due) {
        SendVerdict::Allow => (Some(due), Vec::new()),
        SendVerdict::Deny { reasons } => (None, reasons),
        SendVerdict::Defer { until, reasons } => match verdict(until) {
            SendVerdict::Allow => (Some(until), reasons),
            SendVerdict::Defer { until: later, .. } => (Some(later), reasons),
            SendVerdict::Deny { reasons: denied } => (None, denied),
        },
    }
}

/// Statuses and the next step at `m.at`, for a state already caught up to it; each run's next time-driven
/// transition is searched only with `Ahead::Search`.
pub(crate) fn plan(
    pb: &Playbook,
    state: &ContactState,
    m: &Moment,
    zone: &Zone,
    reasons: &mut Sink<'_>,
    ahead: Ahead,
) -> Plan {
    let now = m.at;
    let mut sequences = Vec::with_capacity(pb.sequences.len());
    let mut best: Option<(Timestamp, &Sequence, &super::Step)> = None;
    let mut changes: Vec<Timestamp> = Vec::new();
    for seq in &pb.sequences {
        let e = state.enrolments.get(&seq.key);
        let ph = phase(pb, seq, state, e, now);
        let status = match ph {
            Phase::NotEnrolled => Status::NotEnrolled,
            Phase::Active => Status::Enrolled,
            Phase::Ended { stopped: true, .. } => Status::Stopped,
            Phase::Ended { stopped: false, .. } => Status::Completed,
        };
        if ahead == Ahead::Search {
            changes.extend(next_transition(pb, seq, state, e, now, now.plus(HORIZON), CatchUp::Decide).map(|(t, _)| t));
        }
        let (stopped_at, completed_at) = match ph {
            Phase::Ended { at, stopped: true } => (Some(at), None),
            Phase::Ended { at, stopped: false } => (None, Some(at)),
            Phase::NotEnrolled | Phase::Active => (None, None),
        };
        sequences.push(SequenceStatus {
            id: seq.id.clone(),
            status,
            enrolled_at: e.map(|e| e.enrolled_at),
            runs: e.map_or(0, |e| e.runs),
            stopped_at,
            stopped_by: e.zip(stopped_at).and_then(|(e, at)| stopped_by(pb, seq, state, e, at)),
            completed_at,
            done_steps: e.map(|e| done_ids(seq, e)).unwrap_or_default(),
        });
        let (Phase::Active, Some(e)) = (ph, e) else { continue };
        for slot in schedule(pb, seq, state, e, None) {
            match slot.outcome {
                Outcome::Skipped(_) | Outcome::Unwanted(_) => {
                    reasons.push(|| {
                        let (mut truth, mut gates) = (Truth::False, Vec::new());
                        match slot.outcome {
                            Outcome::Unwanted(why) => gates.push(why.gate(slot.step)),
                            Outcome::Skipped(t) => truth = t,
                            Outcome::Done(_) | Outcome::Pending => {}
                        }
                        let mut decided_by = Vec::new();
                        if let Some(w) = slot.step.when.as_ref().filter(|_| gates.is_empty()) {
                            let later = Moment::later(pb, state, slot.due);
                            w.decided_by(&mut Cx::new(pb, state, &later), truth, &mut decided_by);
                        }
                        Reason::StepSkipped {
                            sequence: seq.id.clone(),
                            step: slot.step.id.clone(),
                            due_at: slot.due,
                            unknown: match truth {
                                Truth::Unknown(c) => Some(c),
                                Truth::True | Truth::False => None,
                            },
                            decided_by,
                            gates,
                        }
                    });
                    if slot.due > now {
                        changes.push(slot.due);
                    }
                }
                Outcome::Pending if best.is_none_or(|(due, _, _)| slot.due < due) => {
                    best = Some((slot.due, seq, slot.step));
                }
                Outcome::Pending | Outcome::Done(_) => {}
            }
        }
    }
    let next_step = best.map(|(due, seq, step)| {
        let (send_at, gates) = send_at(pb, state, step.channel, due.max(now), zone);
        NextStep {
            sequence: seq.id.clone(),
            step: step.id.clone(),
            channel: step.channel,
            content: step.content.clone(),
            due_at: due,
            send_at,
            gates,
        }
    });
    if !pb.sequences.is_empty() {
        let outcome = match &next_step {
            Some(n) => match n.send_at {
                None => NurtureOutcome::Denied,
                Some(t) if t > n.due_at.max(now) => NurtureOutcome::Deferred,
                Some(_) => NurtureOutcome::Due,
            },
            None if sequences.iter().all(|s| s.status == Status::NotEnrolled) => NurtureOutcome::NotEnrolled,
            None if sequences.iter().any(|s| s.status == Status::Stopped) => NurtureOutcome::Stopped,
            None => NurtureOutcome::Completed,
        };
        let (mut sequence, step) = next_step.as_ref().map(|n| (n.sequence.clone(), n.step.clone())).unzip();
        if outcome == NurtureOutcome::Stopped {
            // Which stop explains it: the latest (its `stoppedBy` in `sequences` says why).
            let stopped = sequences.iter().filter(|s| s.status == Status::Stopped);
            sequence = stopped.max_by_key(|s| s.stopped_at).map(|s| s.id.clone());
        }
        reasons.push(|| Reason::NextStep { outcome, sequence, step });
    }
    if let Some(n) = &next_step {
        changes.extend([Some(n.due_at), n.send_at].into_iter().flatten());
        // A step already due is judged at `now`, so its `sendAt` and gates move with it: an allow ends when quiet
        // hours begin or a send ahead fills a cap, a deferral's reasons change as its rules start or stop holding.
        // A call denied for want of time (quiet hours and the calling hours leave none) shows the nights holding
        // now, which change within a day. (A step due later is judged at its due time, fixed.)
        if n.due_at <= now {
            changes.extend(match n.send_at {
                Some(t) if t == now => pb.policy.allow_ends(state, n.channel, now, zone),
                Some(until) => pb.policy.defer_changes(state, n.channel, now, zone, until),
                None if n.gates.iter().all(|g| matches!(g, Gate::QuietHours { .. })) => {
                    pb.policy.defer_changes(state, n.channel, now, zone, now.plus(Span::days(2)))
                }
                None => None,
            });
        }
    }
    let next_change = changes.into_iter().filter(|t| *t > now).min();
    Plan { next_step, sequences, next_change }
}

/// The state with the enrolments, stops and re-enrolments that happened on their own up to `now` included:
/// what a fold of any later event would record first. `None` when nothing did (the state is already that): the
/// state is copied only when a run changed.
pub(crate) fn caught_up(pb: &Playbook, state: &ContactState, now: Timestamp) -> Option<ContactState> {
    let after = state.updated_at.filter(|u| *u < now && !pb.sequences.is_empty() && state.activity.erased.is_none())?;
    let mut changed = Vec::new();
    for seq in &pb.sequences {
        let current = state.enrolments.get(&seq.key);
        if let Some(e) = super::run::advance(pb, seq, state, current.cloned(), after, now, CatchUp::Decide) {
            if current != Some(&e) {
                changed.push((seq.key, e));
            }
        }
    }
    if changed.is_empty() {
        return None;
    }
    let mut out = state.clone();
    for (key, e) in changed {
        out.enrolments.insert(key, e);
    }
    Some(out)
}
