//! Offset changes no POSIX rule can express, listed one by one for the years scheduling looks at.
//!
//! A TZif footer is one yearly rule. Morocco's zones are +01 but +00 for about five weeks around Ramadan, and
//! Palestine's start DST late or end it early around Ramadan; tzdata lists those years one by one as explicit
//! transitions. `scripts/gen-zones.mjs` copies them into `table::CHANGES` for the zones whose transitions and
//! footer disagree somewhere in `table::WINDOW` (2025–2044). Inside the window the list decides the offset;
//! outside it the footer does, as for every other zone.
//!
//! A change is `(hours after the previous one, offset in minutes from then on)`, the first `(0, offset at the
//! window's start)`: 4 bytes a change where UTC seconds and an offset in seconds take 8, and the small,
//! repeating numbers gzip well (the generator checks every change falls on a whole UTC hour). The lists are
//! short (44 and 51 changes), so a linear scan finds an offset faster than the rule's calendar arithmetic.

use super::table::WINDOW;

/// One zone's changes in the window, as in `table::CHANGES`; empty for a zone its rule describes fully.
pub(super) type Changes = &'static [(u16, i16)];

/// The offset at `t` (UTC seconds), or `None` when `changes` does not decide it (empty, or `t` outside the
/// window).
pub(super) fn offset_at(changes: Changes, t: i64) -> Option<i32> {
    let mut at = i64::from(WINDOW.0);
    if t < at || t >= i64::from(WINDOW.1) {
        return None;
    }
    let mut offset = None;
    for &(hours, minutes) in changes {
        at += i64::from(hours) * 3600;
        if at > t {
            break;
        }
        offset = Some(i32::from(minutes) * 60);
    }
    offset
}

/// The highest offset in `changes`, in seconds; `i32::MIN` when empty.
pub(super) fn highest(changes: Changes) -> i32 {
    changes.iter().map(|&(_, minutes)| i32::from(minutes) * 60).max().unwrap_or(i32::MIN)
}
