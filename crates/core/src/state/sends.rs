//! What we sent: recent marketing sends per channel (for rolling frequency caps, D24) and nurture steps done
//! per sequence (so a step is never sent twice and `next_step` knows where the contact is, D22).

use alloc::vec::Vec;

use crate::event::{Event, EventKind, Scalar};
use crate::field::Truth;
use crate::playbook::signal::key_of;
use crate::suppression::Channel;
use crate::time::Timestamp;

/// Recent marketing sends per channel, newest first.
#[derive(Debug, Clone, PartialEq, Default)]
pub struct SendLog {
    /// Email sends (transactional mail excluded: it is exempt from caps, DESIGN §7).
    pub email: Vec<Timestamp>,
    /// SMS sends, likewise.
    pub sms: Vec<Timestamp>,
    /// Per channel (email, sms), the newest send this log dropped, if it dropped any: a playbook whose caps are
    /// raised later keeps more sends than the one that folded these needed, and only this says the kept ones
    /// are not all there were.
    pub(crate) dropped: [Option<Timestamp>; 2],
}

impl SendLog {
    /// The sends of one channel, newest first.
    pub fn of(&self, channel: Channel) -> &[Timestamp] {
        match channel {
            Channel::Email => &self.email,
            Channel::Sms => &self.sms,
        }
    }

    pub(crate) fn of_mut(&mut self, channel: Channel) -> &mut Vec<Timestamp> {
        match channel {
            Channel::Email => &mut self.email,
            Channel::Sms => &mut self.sms,
        }
    }

    /// The latest instant sends this log dropped may lie at, if it may have dropped any: `channel`'s sends, or
    /// both channels' for `None`. A channel drops only beyond the `keep` (the largest cap) of the playbook that
    /// folded it, and whatever it dropped is at or before its oldest kept send: the newest one dropped, as
    /// recorded, or the oldest kept one when the channel holds `keep` (bytes written before the record existed).
    /// A cap counting the kept sends alone would undercount when some kept ones lie after the decision's
    /// instant (future-stamped sends), or when the cap was raised since (fewer kept than it counts), and the
    /// dropped ones may be in its window.
    pub(crate) fn dropped_until(&self, channel: Option<Channel>, keep: u32) -> Option<Timestamp> {
        let of = |c: Channel| {
            let list = self.of(c);
            let full = list.last().copied().filter(|_| list.len() >= keep as usize);
            let [email, sms] = self.dropped;
            full.max(match c {
                Channel::Email => email,
                Channel::Sms => sms,
            })
        };
        match channel {
            Some(c) => of(c),
            None => of(Channel::Email).max(of(Channel::Sms)),
        }
    }

    /// Folds a send; keeps the newest `keep` per channel.
    pub(crate) fn on_event(&mut self, e: &Event, keep: u32) {
        let channel = match e.kind {
            EventKind::EmailSent => Channel::Email,
            EventKind::SmsSent => Channel::Sms,
            _ => return,
        };
        if matches!(e.props.get("transactional"), Some(Some(Scalar::Bool(true)))) {
            return;
        }
        let list = self.of_mut(channel);
        let pos = list.iter().position(|t| *t < e.at).unwrap_or(list.len());
        list.insert(pos, e.at);
        let newest_dropped = list.get(keep as usize).copied();
        list.truncate(keep as usize);
        let [email, sms] = &mut self.dropped;
        let dropped = match channel {
            Channel::Email => email,
            Channel::Sms => sms,
        };
        *dropped = (*dropped).max(newest_dropped);
    }
}

/// One contact's enrolment in one nurture sequence.
#[derive(Debug, Clone, PartialEq)]
pub struct Enrolment {
    /// The first instant the start condition held (DESIGN §7), for the current run.
    pub enrolled_at: Timestamp,
    /// How many times the contact was enrolled (re-enrolment only when the playbook allows it).
    pub runs: u16,
    /// Steps sent in this run: `(step key, when)`, in send order.
    pub done: Vec<(u32, Timestamp)>,
    /// When a stop condition ended this run, if one did.
    pub stopped_at: Option<Timestamp>,
    /// Why, recorded when it stopped (`None` in states written before it was): a stop on a score, a deal or a
    /// profile field cannot be judged again later, when the state holds only their latest values.
    pub stopped_by: Option<StopBy>,
    /// When the fold saw this run complete (every step done, skipped or not wanted), once an event came after it.
    /// Recorded because "not wanted" reads the contact's choices as they stand: without it, a topic taken back
    /// after the run completed reopened it, naming its overdue step due at once (a send months late), and a step
    /// sent after the completion counted again.
    pub completed_at: Option<Timestamp>,
    /// Branch rules (`when`) judged at their step's due time by the fold, `(step key, verdict)`: once judged on
    /// the state as it was then, a later event (an MQL reached the day after) never reopens a skipped step or
    /// skips a step that was due to go out. Steps due after the latest event are judged when decided.
    pub judged: Vec<(u32, Truth)>,
}

/// Why a run stopped (the decision's `stoppedBy`).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum StopBy {
    /// The sequence's `stop[i]` held.
    Condition(u16),
    /// Do-not-contact on every channel the run's remaining steps use.
    OptOut {
        /// Email was one of them.
        email: bool,
        /// SMS was one of them.
        sms: bool,
    },
    /// `inactive_stop` elapsed without engagement.
    Inactive,
}

impl StopBy {
    /// The state byte: 0 inactive, 1–3 the opt-out's channels (email 1, sms 2), 4 + i the stop condition `i`.
    pub(crate) fn code(self) -> u64 {
        match self {
            StopBy::Inactive => 0,
            StopBy::OptOut { email, sms } => u64::from(email) + 2 * u64::from(sms),
            StopBy::Condition(i) => 4 + u64::from(i),
        }
    }

    /// [`StopBy::code`] read back.
    pub(crate) fn from_code(code: u64) -> Option<StopBy> {
        Some(match code {
            0 => StopBy::Inactive,
            1..=3 => StopBy::OptOut { email: code & 1 == 1, sms: code & 2 == 2 },
            _ => StopBy::Condition(u16::try_from(code - 4).ok()?),
        })
    }
}

/// The stable state key of a sequence id.
pub fn sequence_key(id: &str) -> u32 {
    key_of("sequence", id)
}

/// The stable state key of a step id.
pub fn step_key(id: &str) -> u32 {
    key_of("step", id)
}

/// The `(sequence key, step key)` a send carries (`props.sequence`, `props.step`), if any; a sales task done
/// (`custom:task_done`: the CRM reports a call or LinkedIn step done, D20) carries them the same way.
pub(crate) fn sent_step(e: &Event) -> Option<(u32, u32)> {
    match &e.kind {
        EventKind::EmailSent | EventKind::SmsSent => {}
        EventKind::Custom(name) if name == "task_done" => {}
        _ => return None,
    }
    let step = match e.props.get("step") {
        Some(Some(Scalar::Str(s))) => step_key(s),
        Some(Some(Scalar::Num(n))) => step_key(&crate::time::short_number(*n)),
        _ => return None,
    };
    Some((sequence_key(e.prop_str("sequence")?), step))
}
