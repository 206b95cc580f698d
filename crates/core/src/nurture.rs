//! Nurture sequences (D13–D14, D20–D23, D34, D37; DESIGN §7 "Sequences"): enrolment when a start condition
//! first holds, steps due at offsets from enrolment, from the previous step or from any earlier step, branch
//! rules, stop conditions, re-enrolment after a cool-down, and the next step due for a contact.
//!
//! ```text
//! "sequences": { "<id>": {
//!   "start": <condition>,                 enrolment = the first instant it holds (DESIGN §7)
//!   "stop": [<condition>, …],             any holds → the run stops (purchase, handoff at a score …)
//!   "reenrol_after": "30d",               a new run may start this long after the last one ended (D14);
//!                                         absent = never: no double enrolment (D22)
//!   "inactive_stop": "60d",               stop after this long without engagement (D13)
//!   "steps": [ { "id", "after": "2d", "from": "enrolment" | "previous" | "<an earlier step's id>",
//!                "channel": "email" | "sms" | "call" | "linkedin",
//!                "content": "<content ref>", "when": <condition>, "topic": "<policy.topics id>",
//!                "important": false } ] } }
//! ```
//!
//! A `call` or `linkedin` step is a task for a person (D20: attempts across email, phone and LinkedIn after
//! SQL), not a marketing send: caps, the preference center's frequency, pause and "only important", topics,
//! email/SMS consent and an open deal do not hold it back; archiving, do-not-contact on every channel and a
//! denial of the task channel's purpose (`policy.consent.call`, default `call`: a do-not-call request) deny
//! it, and a call waits out quiet hours and the calling hours (see [`crate::policy`]). The CRM marks it done with
//! a `custom:task_done` event carrying `sequence` and `step`, as a send carries them. An erased contact has no
//! run at all (erasure wipes the enrolments), so no task is named for them.
//!
//! Invariants: the fold records an enrolment at the first instant its start condition holds — at an event
//! instant ([`on_instant`]) or, for conditions that become true on their own, at the exact instant between
//! two events ([`catch_up`], searching only the instants where the condition may flip). A decision runs the
//! same search up to `now` on a copy of the state, so deciding and a later fold agree. An opt-out stops a
//! run like a stop condition does once every channel its remaining steps use is do-not-contact (a step its branch
//! rule skipped is not remaining: it will never be sent); until then a step on a suppressed channel is shown as
//! denied by the send policy.

#[cfg(test)]
mod anchor_tests;
mod parse;
mod plan;
mod run;
#[cfg(test)]
mod tests;

use alloc::string::String;
use alloc::vec::Vec;

use serde::Serialize;

use crate::moment::Meets;
use crate::playbook::compiled::{compiled_enum, compiled_struct};
use crate::playbook::Playbook;
use crate::segment::condition::Cond;
use crate::segment::eval::{Cx, LazyMoment};
use crate::stage::Scores;
use crate::state::sends::Enrolment;
use crate::state::ContactState;
use crate::suppression::Channel;
use crate::time::{Span, Timestamp};

pub(crate) use parse::parse_sequences;
pub(crate) use plan::{caught_up, plan};
pub use plan::{NextStep, SequenceStatus, Status};

/// How a step reaches the contact: a marketing send, or a task for a person (D20). Serialised as its name.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum StepChannel {
    /// An email send.
    Email,
    /// A text message.
    Sms,
    /// A phone call task.
    Call,
    /// A LinkedIn touch task (a connection request or message, sent by a person).
    Linkedin,
}

compiled_enum!(StepChannel { 0 => Email, 1 => Sms, 2 => Call, 3 => Linkedin });

impl StepChannel {
    /// The names, as in playbooks, in declaration order (that of the policy's consent slots).
    pub(crate) const NAMES: [&'static str; 4] = ["email", "sms", "call", "linkedin"];

    /// Parses a step's `channel`.
    pub fn parse(name: &str) -> Option<StepChannel> {
        match name {
            "email" => Some(StepChannel::Email),
            "sms" => Some(StepChannel::Sms),
            "call" => Some(StepChannel::Call),
            "linkedin" => Some(StepChannel::Linkedin),
            _ => None,
        }
    }

    /// The marketing channel of a send; `None` for a task.
    pub fn send(self) -> Option<Channel> {
        match self {
            StepChannel::Email => Some(Channel::Email),
            StepChannel::Sms => Some(Channel::Sms),
            StepChannel::Call | StepChannel::Linkedin => None,
        }
    }
}

impl Serialize for StepChannel {
    fn serialize<S: serde::Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        let i = *self as usize;
        s.serialize_unit_variant("StepChannel", i as u32, StepChannel::NAMES.get(i).copied().unwrap_or_default())
    }
}

impl From<Channel> for StepChannel {
    fn from(c: Channel) -> StepChannel {
        match c {
            Channel::Email => StepChannel::Email,
            Channel::Sms => StepChannel::Sms,
        }
    }
}

/// What a step's delay counts from: a step's `from`, resolved when the playbook is read, so a step can only
/// count from one that comes before it (D34: gaps relative to the first, or any earlier, email).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Anchor {
    /// The run's enrolment instant.
    Enrolment,
    /// The previous step's send (or, when it was not sent, its due time).
    Previous,
    /// An earlier step of the same sequence, by its index in `steps`: its send, or, when it was not sent, its
    /// due time — as [`Anchor::Previous`] reads the previous step. Always below the step's own index (the
    /// reader refuses anything else, the compiled decoder too).
    Step(usize),
}

compiled_enum!(Anchor { 0 => Enrolment, 1 => Previous, 2 => Step(index) });

/// One compiled step.
#[derive(Debug, Clone, PartialEq)]
pub(crate) struct Step {
    pub(crate) id: String,
    pub(crate) key: u32,
    pub(crate) path: String,
    pub(crate) after: Option<Span>,
    pub(crate) from: Anchor,
    pub(crate) channel: StepChannel,
    pub(crate) content: String,
    /// A branch rule: the step applies only if this holds at its due time (D23).
    pub(crate) when: Option<Cond>,
    /// The topic (subscription type) the step belongs to: a contact not subscribed to it skips the step (D27).
    pub(crate) topic: Option<String>,
    /// A service notice: it goes out to a contact who chose "only important messages".
    pub(crate) important: bool,
}

compiled_struct!(Step { id, key, path, after, from, channel, content, when, topic, important });

/// One compiled sequence.
#[derive(Debug, Clone, PartialEq)]
pub struct Sequence {
    pub(crate) id: String,
    pub(crate) key: u32,
    pub(crate) path: String,
    pub(crate) start: Cond,
    pub(crate) stop: Vec<Cond>,
    /// Whether `start`, and each of `stop`, can turn true with time alone ([`Cond::may_rise`]): set once the
    /// whole playbook is parsed (a condition may name a segment), read at every folded instant.
    pub(crate) rises: Rises,
    pub(crate) reenrol_after: Option<Span>,
    pub(crate) inactive_stop: Option<Span>,
    pub(crate) steps: Vec<Step>,
}

compiled_struct!(Sequence { id, key, path, start, stop, rises, reenrol_after, inactive_stop, steps });

/// [`Sequence::rises`].
#[derive(Debug, Clone, PartialEq, Default)]
pub(crate) struct Rises {
    pub(crate) start: bool,
    pub(crate) stop: Vec<bool>,
}

compiled_struct!(Rises { start, stop });

impl Sequence {
    /// The sequence's id.
    ///
    /// ```
    /// # use rekindle_core::{Playbook, Value};
    /// let pb: Value = Value::Object(vec![
    ///     ("version".into(), Value::Number(1.0)),
    ///     ("signals".into(), Value::Object(vec![("ebook".into(), Value::Object(vec![
    ///         ("kind".into(), Value::String("form_submit".into()))]))])),
    ///     ("sequences".into(), Value::Object(vec![("welcome".into(), Value::Object(vec![
    ///         ("start".into(), Value::Object(vec![("ever".into(), Value::String("ebook".into()))])),
    ///         ("steps".into(), Value::Array(vec![Value::Object(vec![
    ///             ("id".into(), Value::String("deliver".into())),
    ///             ("channel".into(), Value::String("email".into())),
    ///             ("content".into(), Value::String("welcome/1".into()))])])),
    ///     ]))])),
    /// ]);
    /// assert_eq!(Playbook::parse(&pb).unwrap().sequences()[0].id(), "welcome");
    /// ```
    pub fn id(&self) -> &str {
        &self.id
    }

    /// Whether every step timed from a named step names an earlier one: what the reader guarantees, checked
    /// again on compiled bytes (a later or missing anchor would have no instant to count from).
    pub(crate) fn anchors_ordered(&self) -> bool {
        self.steps.iter().enumerate().all(|(own, s)| !matches!(s.from, Anchor::Step(i) if i >= own))
    }

    /// Every condition tree of the sequence: start, stops and branch rules.
    pub(crate) fn conditions(&self) -> impl Iterator<Item = &Cond> {
        core::iter::once(&self.start).chain(self.stop.iter()).chain(self.steps.iter().filter_map(|s| s.when.as_ref()))
    }
}

/// Records enrolments, stops and re-enrolments that happened on their own between the state's latest event
/// and `at` (exclusive: `at`'s own events are folded next, then [`on_instant`] checks `at` itself), and the
/// verdicts of branch rules that fell due before `at`.
pub(crate) fn catch_up(playbook: &Playbook, state: &mut ContactState, at: Timestamp) {
    let Some(after) = state.updated_at.filter(|u| *u < at) else { return };
    if state.activity.erased.is_some() {
        return;
    }
    for seq in &playbook.sequences {
        let current = state.enrolments.get(&seq.key);
        let mut next = run::advance(playbook, seq, state, current.cloned(), after, at, run::CatchUp::Fold);
        if let Some(e) = next.as_mut() {
            run::judge_due(playbook, seq, state, e, at);
        }
        if next.as_ref() != current {
            if let Some(e) = next {
                state.enrolments.insert(seq.key, e);
            }
        }
    }
}

/// Whether the contact's run of the sequence `key` had ended (stopped or completed) before `at`. A send stamped
/// after that is no step of it (DESIGN §7: a send counts for a run the contact is in by the send's instant): it
/// neither joins the run's done steps nor moves the instant the run completed (and with it the cool-down).
pub(crate) fn ended_before(playbook: &Playbook, state: &ContactState, key: u32, at: Timestamp) -> bool {
    let Some((seq, e)) = playbook.sequences.iter().find(|s| s.key == key).zip(state.enrolments.get(&key)) else {
        return false;
    };
    let before = Timestamp::from_ms(at.ms().saturating_sub(1)).unwrap_or(at);
    e.stopped_at.or(e.completed_at).is_some_and(|s| s < at)
        || run::completed_at(playbook, seq, state, e, before).is_some_and(|c| c < at)
}

/// Records enrolments, stops and re-enrolments at an event instant, after its events were folded. `scores`
/// are the contact's at `at` when the caller already computed them.
pub(crate) fn on_instant(playbook: &Playbook, state: &mut ContactState, at: Timestamp, known: Option<(Scores, Meets)>) {
    if playbook.sequences.is_empty() || state.activity.erased.is_some() {
        return;
    }
    // Every sequence is judged on the same state at the same instant, against one moment and one segment
    // memo (no sequence reads another's enrolment); the changes are written after.
    let moment = LazyMoment::new(at, known);
    let mut cx = Cx::shared(playbook, state, &moment);
    let changes: Vec<(u32, Enrolment)> = playbook
        .sequences
        .iter()
        .filter_map(|seq| {
            let current = state.enrolments.get(&seq.key);
            let next = run::at_instant(&mut cx, seq, current)?;
            (Some(&next) != current).then_some((seq.key, next))
        })
        .collect();
    for (key, e) in changes {
        state.enrolments.insert(key, e);
    }
}

/// Checks again, at an instant where runs began (`keys`: their sequences), their stops once the sends stamped
/// with their enrolment were marked: a step sent at once can leave a run only channels the contact opted out of,
/// and a run whose stop holds when it starts stops at once (DESIGN §7); one already stopped then says why with
/// those sends counted (the channels its remaining steps use), and is not stopped when, with them, no stop holds.
pub(crate) fn stop_after_first_sends(
    playbook: &Playbook,
    state: &mut ContactState,
    at: Timestamp,
    known: Option<(Scores, Meets)>,
    keys: &[u32],
) {
    let moment = LazyMoment::new(at, known);
    let mut cx = Cx::shared(playbook, state, &moment);
    let changes: Vec<(u32, Enrolment)> = playbook
        .sequences
        .iter()
        .filter(|seq| keys.contains(&seq.key))
        .filter_map(|seq| {
            let e = state.enrolments.get(&seq.key)?;
            let stopped_now = e.stopped_at == Some(at);
            if !stopped_now && run::phase(playbook, seq, state, Some(e), at) != run::Phase::Active {
                return None;
            }
            let next = match run::stop_cause(&mut cx, seq, e) {
                Some(by) => Enrolment { stopped_at: Some(at), stopped_by: Some(by), ..e.clone() },
                // Stopped for an opt-out of the channels of steps that went out in that very instant: nothing is
                // left to stop (the run completed if those were its last).
                None if stopped_now => Enrolment { stopped_at: None, stopped_by: None, ..e.clone() },
                None => return None,
            };
            Some((seq.key, next))
        })
        .collect();
    for (key, e) in changes {
        state.enrolments.insert(key, e);
    }
}
