//! Occurrences of one signal: enough to answer windowed questions exactly to the millisecond (DESIGN §2, §7).
//!
//! The state keeps the last `keep` instants, where `keep` is the largest count any condition of the compiled
//! playbook needs (`at_least N` → N, `at_most N` → N + 1). Only conditions with counts above
//! [`MAX_EXACT`] fall back to per-day buckets, and then the count says it is approximate.

use alloc::vec::Vec;

use crate::time::{Span, Timestamp};

/// Counts above this use day buckets instead of exact instants (keeps a state under its 512-byte budget).
pub const MAX_EXACT: u32 = 32;

const DAY_MS: i64 = 86_400_000;

/// One signal's occurrences.
#[derive(Debug, Clone, PartialEq, Default)]
pub struct SignalTrack {
    /// All occurrences folded.
    pub count: u32,
    /// The first occurrence.
    pub first: Option<Timestamp>,
    /// The most recent occurrences, newest first, at most the signal's `keep`.
    pub recent: Vec<Timestamp>,
    /// `(UTC day number, occurrences)` for large-count windows, newest first; empty unless the playbook needs it.
    pub days: Vec<(i64, u32)>,
}

/// A windowed count and whether it is exact.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Counted {
    /// Occurrences within the window (capped at what the state keeps when exact).
    pub n: u32,
    /// True when day buckets were used.
    pub approximate: bool,
}

fn day_of(t: Timestamp) -> i64 {
    t.ms().div_euclid(DAY_MS)
}

impl SignalTrack {
    /// Folds one occurrence; `keep` exact instants and `bucket_days` days of buckets are retained.
    pub(crate) fn record(&mut self, t: Timestamp, keep: u32, bucket_days: u32) {
        self.count = self.count.saturating_add(1);
        self.first = Some(self.first.map_or(t, |f| f.min(t)));
        let pos = self.recent.iter().position(|r| *r < t).unwrap_or(self.recent.len());
        self.recent.insert(pos, t);
        self.recent.truncate(keep as usize);
        if bucket_days > 0 {
            let d = day_of(t);
            match self.days.iter().position(|(day, _)| *day <= d) {
                Some(i) if self.days.get(i).is_some_and(|(day, _)| *day == d) => {
                    if let Some(slot) = self.days.get_mut(i) {
                        slot.1 = slot.1.saturating_add(1);
                    }
                }
                Some(i) => self.days.insert(i, (d, 1)),
                None => self.days.push((d, 1)),
            }
            let newest = self.days.first().map_or(d, |(day, _)| *day);
            self.days.retain(|(day, _)| newest - *day < i64::from(bucket_days));
        }
    }

    /// Occurrences `t` with `0 ≤ now − t < within`, exact unless more occurred than the state keeps.
    pub(crate) fn count_within(&self, within: Span, now: Timestamp, keep: u32) -> Counted {
        let exact = self.recent.iter().filter(|t| t.is_within(within, now)).count() as u32;
        // Exact when the kept instants reach back past the window, or nothing was ever dropped.
        let complete = (self.recent.len() as u32) < keep
            || self.recent.last().is_some_and(|oldest| now.since(*oldest) >= within.ms())
            || self.count as usize == self.recent.len();
        if complete || self.days.is_empty() {
            return Counted { n: exact, approximate: false };
        }
        let (from, to) = (day_of(Timestamp::from_ms(now.ms() - within.ms() + 1).unwrap_or(now)), day_of(now));
        let bucketed: u32 = self.days.iter().filter(|(d, _)| (from..=to).contains(d)).map(|(_, n)| *n).sum();
        Counted { n: bucketed.max(exact), approximate: true }
    }

    /// Instants after `after` at which a count within `within` changes on its own: kept instants leaving the
    /// window, and future-stamped instants entering it.
    pub(crate) fn changes_after(&self, within: Span, after: Timestamp, out: &mut Vec<Timestamp>) {
        for t in &self.recent {
            for c in [*t, t.plus(within)] {
                if c > after {
                    out.push(c);
                }
            }
        }
        for (day, _) in &self.days {
            let end = Timestamp::from_ms((day + 1) * DAY_MS).map(|d| d.plus(within));
            if let Some(c) = end.filter(|c| *c > after) {
                out.push(c);
            }
        }
    }

    /// The latest occurrence.
    pub fn last(&self) -> Option<Timestamp> {
        self.recent.first().copied()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn t(ms: i64) -> Timestamp {
        Timestamp::from_ms(ms).unwrap_or(Timestamp::EPOCH)
    }

    #[test]
    fn counts_are_exact_at_the_window_boundary() {
        let mut track = SignalTrack::default();
        for ms in [100, 200, 300] {
            track.record(t(ms), 3, 0);
        }
        let w = Span::from_ms(100).unwrap_or(Span::days(1));
        assert_eq!(track.count_within(w, t(300), 3).n, 1, "200 is exactly 100 ms old: outside");
        let w101 = Span::from_ms(101).unwrap_or(Span::days(1));
        assert_eq!(track.count_within(w101, t(300), 3).n, 2);
        assert_eq!(track.count_within(w101, t(299), 3).n, 1, "300 is in the future at 299: not counted");
        let mut flips = Vec::new();
        track.changes_after(w, t(300), &mut flips);
        flips.sort();
        assert_eq!(flips, vec![t(400)]);
    }

    #[test]
    fn large_counts_fall_back_to_day_buckets_and_say_so() {
        let mut track = SignalTrack::default();
        for i in 0..100 {
            track.record(t(i * 3_600_000), 2, 10);
        }
        let c = track.count_within(Span::days(10), t(100 * 3_600_000), 2);
        assert!(c.approximate);
        assert_eq!(c.n, 100);
        let exact = track.count_within(Span::from_ms(3_600_000).unwrap_or(Span::days(1)), t(99 * 3_600_000), 2);
        assert_eq!(exact, Counted { n: 1, approximate: false }, "a window inside the kept instants stays exact");
    }
}
