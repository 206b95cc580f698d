//! Sections added to the v2 layout after it was first written, at its end: a tag byte, then the section, in
//! increasing tag order, each only when it holds something. A state without them keeps the bytes it had, and
//! bytes written before a section existed read as "nothing recorded" for it.
//!
//! | tag | section |
//! |---|---|
//! | 1 | nurture verdicts: runs with any (count; per run its sequence key, a count, then step key and verdict byte) |
//! | 2 | when each preference was last set: frequency, pause, topics (three optional instants); absent when all three are the latest `preferences` event's |
//! | 3 | the latest `subscribe` per channel: email, sms (two optional instants) |
//! | 4 | the latest opt-out per channel when later than its entry's: email, sms (each an optional instant, then its reason byte when present) |
//! | 5 | the newest marketing send dropped per channel, once one was: email, sms (two optional instants) |
//! | 6 | earlier disqualifications still read before the latest (`recycled_before`): a chain of instants |
//! | 7 | the opt-out (or complaint) in effect beneath a bounce per channel: email, sms (as section 4) |

use super::wire::{Reader, Writer};
use crate::error::StateError;
use crate::explain::UnknownCause;
use crate::field::Truth;
use crate::state::ContactState;
use crate::suppression::{Dnc, DncReason};
use crate::time::Timestamp;

const VERDICTS: u8 = 1;
const PREFERENCE_TIMES: u8 = 2;
const RESUBSCRIBED: u8 = 3;
const LATEST_OPT_OUT: u8 = 4;
const SENDS_DROPPED: u8 = 5;
const RECYCLED_BEFORE: u8 = 6;
const WISH_UNDER_BOUNCE: u8 = 7;
const COMPLETED: u8 = 8;

pub(super) fn write(state: &ContactState, w: &mut Writer) {
    let runs = state.enrolments.iter().filter(|(_, e)| !e.judged.is_empty()).count();
    if runs > 0 {
        w.out.push(VERDICTS);
        w.varint(runs as u64);
        for (key, e) in state.enrolments.iter().filter(|(_, e)| !e.judged.is_empty()) {
            w.u32(*key);
            w.varint(e.judged.len() as u64);
            for (step, truth) in &e.judged {
                w.u32(*step);
                w.out.push(verdict_code(*truth));
            }
        }
    }
    let p = &state.permissions;
    if p.field_at != [p.preferences_at; 3] {
        w.out.push(PREFERENCE_TIMES);
        p.field_at.iter().for_each(|t| w.opt_instant(*t));
    }
    write_pair(w, RESUBSCRIBED, state.suppression.resubscribed);
    write_dncs(w, LATEST_OPT_OUT, state.suppression.latest_opt_out);
    write_pair(w, SENDS_DROPPED, state.sends.dropped);
    if !state.recycled_before.is_empty() {
        w.out.push(RECYCLED_BEFORE);
        w.instants(&state.recycled_before);
    }
    write_dncs(w, WISH_UNDER_BOUNCE, state.suppression.wish_under_bounce);
    let completed = state.enrolments.iter().filter(|(_, e)| e.completed_at.is_some()).count();
    if completed > 0 {
        w.out.push(COMPLETED);
        w.varint(completed as u64);
        for (key, e) in state.enrolments.iter() {
            if let Some(at) = e.completed_at {
                w.u32(*key);
                w.instant(at);
            }
        }
    }
}

/// The runs the fold saw complete: `(sequence key, instant)` each, for runs the state holds.
fn read_completed(state: &mut ContactState, r: &mut Reader) -> Result<(), StateError> {
    for _ in 0..r.count()? {
        let at = r.at;
        let key = r.u32()?;
        let when = r.instant()?;
        let run = state.enrolments.get_mut(&key).ok_or(StateError::Corrupt { at, what: "completed run" })?;
        run.completed_at = Some(when);
    }
    Ok(())
}

/// A section of two optional do-not-contact entries (email, sms): each an optional instant, then its reason byte
/// when present; written when either is set.
fn write_dncs(w: &mut Writer, tag: u8, pair: [Option<Dnc>; 2]) {
    if pair.iter().any(Option::is_some) {
        w.out.push(tag);
        for d in pair {
            w.opt_instant(d.map(|d| d.at));
            if let Some(d) = d {
                w.out.push(d.reason.code());
            }
        }
    }
}

fn read_dncs(r: &mut Reader, pair: &mut [Option<Dnc>; 2]) -> Result<(), StateError> {
    for slot in pair {
        *slot = match r.opt_instant()? {
            Some(t) => {
                let at = r.at;
                let reason = DncReason::from_code(r.u8()?).ok_or(StateError::Corrupt { at, what: "reason" })?;
                Some(Dnc { reason, at: t })
            }
            None => None,
        };
    }
    Ok(())
}

/// A section of two optional instants (email, sms), written when either is set.
fn write_pair(w: &mut Writer, tag: u8, pair: [Option<Timestamp>; 2]) {
    if pair.iter().any(Option::is_some) {
        w.out.push(tag);
        pair.iter().for_each(|t| w.opt_instant(*t));
    }
}

fn read_pair(r: &mut Reader, pair: &mut [Option<Timestamp>; 2]) -> Result<(), StateError> {
    for slot in pair {
        *slot = r.opt_instant()?;
    }
    Ok(())
}

/// Reads the extensions up to `end`; without a preference-times section, every field dates from the latest
/// `preferences` event (what states written before it meant).
pub(super) fn read(state: &mut ContactState, r: &mut Reader, end: usize) -> Result<(), StateError> {
    state.permissions.field_at = [state.permissions.preferences_at; 3];
    let mut last = 0;
    while r.at < end {
        let at = r.at;
        let tag = r.u8()?;
        if tag == 0 {
            return Err(StateError::TrailingBytes { at, extra: end - at });
        }
        if tag <= last {
            return Err(StateError::Corrupt { at, what: "extension order" });
        }
        last = tag;
        match tag {
            VERDICTS => read_verdicts(state, r)?,
            PREFERENCE_TIMES => {
                for slot in &mut state.permissions.field_at {
                    *slot = r.opt_instant()?;
                }
            }
            RESUBSCRIBED => read_pair(r, &mut state.suppression.resubscribed)?,
            LATEST_OPT_OUT => read_dncs(r, &mut state.suppression.latest_opt_out)?,
            SENDS_DROPPED => read_pair(r, &mut state.sends.dropped)?,
            RECYCLED_BEFORE => state.recycled_before = r.instants()?.0,
            WISH_UNDER_BOUNCE => read_dncs(r, &mut state.suppression.wish_under_bounce)?,
            COMPLETED => read_completed(state, r)?,
            _ => return Err(StateError::Corrupt { at, what: "extension" }),
        }
    }
    Ok(())
}

fn read_verdicts(state: &mut ContactState, r: &mut Reader) -> Result<(), StateError> {
    for _ in 0..r.count()? {
        let at = r.at;
        let key = r.u32()?;
        let verdicts = r.count()?;
        let run = state.enrolments.get_mut(&key).ok_or(StateError::Corrupt { at, what: "verdict's sequence" })?;
        for _ in 0..verdicts {
            let step = r.u32()?;
            let at = r.at;
            let truth = verdict_of(r.u8()?).ok_or(StateError::Corrupt { at, what: "verdict" })?;
            run.judged.push((step, truth));
        }
    }
    Ok(())
}

/// The byte of a recorded branch-rule verdict: false, true, then unknown by cause.
fn verdict_code(truth: Truth) -> u8 {
    match truth {
        Truth::False => 0,
        Truth::True => 1,
        Truth::Unknown(UnknownCause::Missing) => 2,
        Truth::Unknown(UnknownCause::TypeMismatch) => 3,
        Truth::Unknown(UnknownCause::ShortHistory) => 4,
        Truth::Unknown(UnknownCause::NotComputed) => 5,
        Truth::Unknown(UnknownCause::Dropped) => 6,
    }
}

fn verdict_of(code: u8) -> Option<Truth> {
    Some(match code {
        0 => Truth::False,
        1 => Truth::True,
        2 => Truth::Unknown(UnknownCause::Missing),
        3 => Truth::Unknown(UnknownCause::TypeMismatch),
        4 => Truth::Unknown(UnknownCause::ShortHistory),
        5 => Truth::Unknown(UnknownCause::NotComputed),
        6 => Truth::Unknown(UnknownCause::Dropped),
        _ => return None,
    })
}
