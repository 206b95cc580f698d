//! Rolling windows over the send log (D24, DESIGN §7): when a cap or the preference center's frequency is full
//! at an instant, and when it frees a slot. Sends are newest first, as [`crate::state::sends::SendLog`] keeps them.

use crate::time::{Span, Timestamp};

/// Two newest-first send lists as one, newest first.
pub(super) fn newest_first<'a>(a: &'a [Timestamp], b: &'a [Timestamp]) -> impl Iterator<Item = Timestamp> + 'a {
    let (mut a, mut b) = (a.iter().copied().peekable(), b.iter().copied().peekable());
    core::iter::from_fn(move || match (a.peek(), b.peek()) {
        (Some(x), Some(y)) if y > x => b.next(),
        (Some(_), _) => a.next(),
        (None, _) => b.next(),
    })
}

/// A full cap window: how many sends it holds, when it frees a slot, and whether dropped sends may be in it.
#[derive(Debug, PartialEq)]
pub(super) struct Full {
    pub(super) sent: u32,
    pub(super) until: Timestamp,
    pub(super) unsure: bool,
}

/// With `sends` newest first: when `max` sends already fall within `per` at `t`, how many do and the instant the
/// `max`-th newest of them leaves the window (DESIGN §7: within iff `0 ≤ t − s < per`). Sends the state dropped,
/// all at or before `dropped` (see [`crate::state::sends::SendLog::dropped_until`]), are older than every kept
/// one: they never change a full window's answer, but while they may lie in a window the kept sends leave
/// room in, the window counts as full until `dropped + per` (an undercount must never allow a send).
pub(super) fn window_full(
    sends: impl Iterator<Item = Timestamp>,
    dropped: Option<Timestamp>,
    max: u32,
    per: Span,
    t: Timestamp,
) -> Option<Full> {
    let mut sent = 0u32;
    let mut until = None;
    for s in sends.filter(|s| s.is_within(per, t)) {
        sent += 1;
        if sent == max.max(1) {
            until = Some(s.plus(per));
        }
    }
    match (until, dropped.map(|d| d.plus(per)).filter(|u| *u > t)) {
        (Some(until), _) => Some(Full { sent, until, unsure: false }),
        (None, Some(until)) => Some(Full { sent, until, unsure: true }),
        (None, None) => None,
    }
}
