//! Occurrences of one signal: enough to answer windowed questions exactly to the millisecond (DESIGN §2, §7).
//!
//! The state keeps the last `keep` instants, where `keep` is the largest count any condition of the compiled
//! playbook needs (`at_least N` → N, `at_most N` → N + 1). Only conditions with counts above
//! [`MAX_EXACT`] fall back to per-day buckets, and then the count says it is approximate.
//!
//! The newest instants kept may lie after the instant a decision is made at (a future-stamped event, a skewed
//! clock): then the instants dropped to make room for them — all between the first occurrence and the oldest
//! kept one, `count − recent.len()` of them — may be the ones the window needs. Answers say so ([`Counted::unsure`],
//! [`Latest::Between`]) instead of counting what is kept as if it were everything.

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
    /// Occurrences known to be within the window (capped at what the state keeps when exact).
    pub n: u32,
    /// Dropped occurrences that may also be within it: the count is between `n` and `n + unsure`. Zero whenever
    /// what is kept proves the count — always, unless a kept instant lies after `now`.
    pub unsure: u32,
    /// True when day buckets were used.
    pub approximate: bool,
}

/// The latest occurrence at or before an instant, as far as the kept instants tell.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Latest {
    /// None happened at or before it.
    Never,
    /// Exactly this one.
    At(Timestamp),
    /// One dropped from the state, somewhere in `[from, to]` (every kept one is later than the instant).
    Between(Timestamp, Timestamp),
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

    /// Occurrences `t` with `0 ≤ now − t < within`, exact unless more occurred than the state keeps and the
    /// dropped ones may fall in the window (see [`Counted`]).
    pub(crate) fn count_within(&self, within: Span, now: Timestamp) -> Counted {
        let mut n = self.recent.iter().filter(|t| t.is_within(within, now)).count() as u32;
        let dropped = self.dropped();
        let mut unsure = 0;
        if dropped > 0 {
            // Dropped instants lie in [first, oldest kept]. All of them at the oldest kept one when the first is
            // that instant; else the first is one of them and the rest lie in between.
            let (from, to) = (self.first.unwrap_or(Timestamp::EPOCH), self.recent.last().copied());
            let in_window = |t: Timestamp| t.is_within(within, now);
            let rest = if to.is_some_and(|to| from >= to) {
                n = n.saturating_add(if in_window(from) { dropped } else { 0 });
                0
            } else {
                n = n.saturating_add(u32::from(in_window(from)));
                dropped - 1
            };
            let disjoint = from > now || to.is_some_and(|t| now.since(t) >= within.ms());
            if in_window(from) && to.is_some_and(in_window) {
                n = n.saturating_add(rest);
            } else if !disjoint {
                unsure = rest;
            }
        }
        if unsure == 0 || self.days.is_empty() {
            return Counted { n, unsure, approximate: false };
        }
        let (from, to) = (day_of(Timestamp::from_ms(now.ms() - within.ms() + 1).unwrap_or(now)), day_of(now));
        let bucketed: u32 = self.days.iter().filter(|(d, _)| (from..=to).contains(d)).map(|(_, n)| *n).sum();
        Counted { n: bucketed.max(n), unsure: 0, approximate: true }
    }

    /// How many occurrences the state no longer keeps the instant of.
    pub(crate) fn dropped(&self) -> u32 {
        self.count.saturating_sub(self.recent.len() as u32)
    }

    /// The latest occurrence at or before `now`: a kept one when any is, else the one dropped occurrence there
    /// is (the first), else somewhere between the first and `now`.
    pub(crate) fn latest_by(&self, now: Timestamp) -> Latest {
        if let Some(t) = self.recent.iter().find(|t| **t <= now) {
            return Latest::At(*t);
        }
        match self.first.filter(|f| *f <= now && self.dropped() > 0) {
            None => Latest::Never,
            Some(f) if self.dropped() == 1 => Latest::At(f),
            Some(f) => Latest::Between(f, now),
        }
    }

    /// Instants after `after` at which a count within `within` changes on its own: kept instants leaving the
    /// window, and future-stamped instants entering it; with dropped instants, also the first occurrence
    /// entering and leaving it (the range the dropped ones lie in begins there).
    pub(crate) fn changes_after(&self, within: Span, after: Timestamp, out: &mut Vec<Timestamp>) {
        let first = self.first.filter(|_| self.dropped() > 0);
        for t in self.recent.iter().chain(first.as_ref()) {
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
        assert_eq!(track.count_within(w, t(300)).n, 1, "200 is exactly 100 ms old: outside");
        let w101 = Span::from_ms(101).unwrap_or(Span::days(1));
        assert_eq!(track.count_within(w101, t(300)).n, 2);
        assert_eq!(track.count_within(w101, t(299)).n, 1, "300 is in the future at 299: not counted");
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
        // 98 dropped instants between the first (hour 0) and the oldest kept (hour 98): in a 10-day window all of
        // them, exactly; in a 2-day window some, so the day buckets of days 2–4 (hours 48–99) answer.
        let c = track.count_within(Span::days(10), t(100 * 3_600_000));
        assert_eq!(c, Counted { n: 100, unsure: 0, approximate: false });
        let c = track.count_within(Span::days(2), t(100 * 3_600_000));
        assert_eq!(c, Counted { n: 52, unsure: 0, approximate: true });
        let exact = track.count_within(Span::from_ms(3_600_000).unwrap_or(Span::days(1)), t(99 * 3_600_000));
        assert_eq!(
            exact,
            Counted { n: 1, unsure: 0, approximate: false },
            "a window inside the kept instants stays exact"
        );
    }

    const H: i64 = 3_600_000;
    const D: i64 = 24 * H;

    #[test]
    fn a_future_instant_never_hides_a_past_one_it_displaced() {
        // Audit repro: visits a day ago and an hour ahead, one instant kept; decided now.
        let mut track = SignalTrack::default();
        let now = 100 * D;
        for ms in [now - D, now + H] {
            track.record(t(ms), 1, 0);
        }
        assert_eq!(track.recent, vec![t(now + H)]);
        let week = Span::days(7);
        assert_eq!(track.count_within(week, t(now)), Counted { n: 1, unsure: 0, approximate: false }, "the first");
        assert_eq!(track.latest_by(t(now)), Latest::At(t(now - D)));
        assert_eq!(track.latest_by(t(now - D - 1)), Latest::Never);
    }

    #[test]
    fn dropped_instants_between_first_and_the_oldest_kept_make_the_count_a_range() {
        let mut track = SignalTrack::default();
        let now = 100 * D;
        for ms in [now - 20 * D, now - 3 * D, now - 2 * D, now + H] {
            track.record(t(ms), 1, 0);
        }
        let week = Span::days(7);
        // First is 20 d old (outside), two more lie somewhere in [now − 20d, now + 1h]: 0 to 2 in the week.
        assert_eq!(track.count_within(week, t(now)), Counted { n: 0, unsure: 2, approximate: false });
        assert_eq!(track.latest_by(t(now)), Latest::Between(t(now - 20 * D), t(now)));
        // A 30-day window holds the first, but the two others may lie after now.
        assert_eq!(track.count_within(Span::days(30), t(now)), Counted { n: 1, unsure: 2, approximate: false });
        // An hour later the window holds the whole range: exact.
        assert_eq!(track.count_within(Span::days(30), t(now + H)), Counted { n: 4, unsure: 0, approximate: false });
        // Once the kept instant is past, it proves the latest again.
        assert_eq!(track.latest_by(t(now + H)), Latest::At(t(now + H)));
        // Instants at which the range's bounds cross the window are flip candidates.
        let mut flips = Vec::new();
        track.changes_after(week, t(now), &mut flips);
        flips.sort();
        assert_eq!(flips, vec![t(now + H), t(now + 7 * D + H)]);
        let mut early = Vec::new();
        track.changes_after(week, t(now - 21 * D), &mut early);
        assert!(early.contains(&t(now - 20 * D)) && early.contains(&t(now - 13 * D)), "{early:?}");
    }

    #[test]
    fn dropped_instants_equal_to_the_oldest_kept_are_counted_exactly() {
        let mut track = SignalTrack::default();
        for ms in [500, 500, 500] {
            track.record(t(ms), 1, 0);
        }
        assert_eq!(track.count_within(Span::days(1), t(600)), Counted { n: 3, unsure: 0, approximate: false });
        assert_eq!(track.count_within(Span::days(1), t(499)), Counted { n: 0, unsure: 0, approximate: false });
    }
}
