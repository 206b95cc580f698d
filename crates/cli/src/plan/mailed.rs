//! What the spam-complaint rate (D5, `crate::report::complaint_rate`) counts, carried across runs:
//! `deliveries.csv`, per hour, the marketing sends, the deliveries the webhook logs report and the spam complaints
//! of the 30 days before `--now`.
//!
//! Why: the rate is complaints over what was mailed in the 30 days before `--now`, and with `--previous` this
//! run's logs lack what rolled over since the previous plan (ESP logs keep about 30 days), while the events they
//! still hold from before the previous `--now` are counted as repeats. Counted from this run's logs alone, the
//! rate of a weekly run was a share of one week's mail, or 0/0.
//!
//! Rule (the same split as `previousEvents`, by instant): what happened at or before the previous plan's `--now`
//! comes from its `deliveries.csv`; what happened after it, from this run's events. Each message is counted once,
//! whichever logs repeat it; a plan whose manifest does not list the file (older plans) hands on nothing, and the
//! rate counts this run's events in the whole window, as before.
//!
//! An hour is the hour ending at `until` (after `until` − 1 h, up to and including `until`), so an instant `t`
//! counts in the hour ending at `t` rounded up to the hour. A carried hour counts while it ends after the start of
//! the window (`now` − 30 days): with `--now` on the hour, as a schedule runs it, the window is exact; otherwise
//! it is exact to the hour at its start.

use std::collections::BTreeMap;

use rekindle_core::{Span, Timestamp};

use super::engagement::COMPLAINT_WINDOW_DAYS;

/// The file every plan writes and `--previous` reads.
pub const MAILED_FILE: &str = "deliveries.csv";

/// Its header: the hour's end (RFC 3339), then the counts.
pub const HEADER: [&str; 4] = ["until", "sends", "deliveries", "complaints"];

/// One hour, in epoch ms.
const HOUR: i64 = 3_600_000;

/// Counts of one hour, or of a window.
#[derive(Debug, Default, Clone, Copy, PartialEq, Eq, serde::Serialize)]
pub struct Tally {
    /// Marketing sends (transactional mail is not one).
    pub sends: u64,
    /// Deliveries the webhook logs report (every recipient in them).
    pub deliveries: u64,
    /// Spam complaints, each once.
    pub complaints: u64,
}

impl Tally {
    fn add(&mut self, other: Tally) {
        self.sends += other.sends;
        self.deliveries += other.deliveries;
        self.complaints += other.complaints;
    }
}

/// Counts per hour, by the hour's end (epoch ms, a multiple of an hour).
#[derive(Debug, Default, Clone, PartialEq, Eq)]
pub struct Hours(BTreeMap<i64, Tally>);

/// The end of the hour `t` counts in: `t` rounded up to the hour.
pub fn hour_of(t: Timestamp) -> i64 {
    t.ms().div_euclid(HOUR) * HOUR + if t.ms().rem_euclid(HOUR) == 0 { 0 } else { HOUR }
}

impl Hours {
    /// Counts one instant in its hour.
    pub fn add(&mut self, t: Timestamp, tally: Tally) {
        self.0.entry(hour_of(t)).or_default().add(tally);
    }

    /// Every hour, oldest first.
    pub fn rows(&self) -> impl Iterator<Item = (i64, Tally)> + '_ {
        self.0.iter().map(|(until, tally)| (*until, *tally))
    }

    /// The sum over every hour.
    pub fn total(&self) -> Tally {
        let mut total = Tally::default();
        for tally in self.0.values() {
            total.add(*tally);
        }
        total
    }

    /// Keeps the hours that end after the start of the window ending at `now`.
    fn keep_window(&mut self, now: Timestamp) {
        let start = now.ms() - Span::days(COMPLAINT_WINDOW_DAYS).ms();
        self.0.retain(|until, _| *until > start);
    }
}

/// One row of `deliveries.csv`: the hour's end and its counts. The error says what is wrong.
pub fn parse_row(cells: &[&str]) -> Result<(i64, Tally), String> {
    let [until, sends, deliveries, complaints] = cells else {
        return Err(format!("expected {} cells ({}), got {}", HEADER.len(), HEADER.join(","), cells.len()));
    };
    let until = crate::adapter::parse_instant(until, "until").map_err(|e| e.to_string())?;
    if until.ms().rem_euclid(HOUR) != 0 {
        return Err(format!("`until` {} is not on the hour", crate::report::rfc3339(until.ms())));
    }
    let count = |text: &str, what: &str| {
        text.parse::<u64>().map_err(|_| format!("`{what}` {text:?} is not a count (a whole number, 0 or more)"))
    };
    let tally = Tally {
        sends: count(sends, "sends")?,
        deliveries: count(deliveries, "deliveries")?,
        complaints: count(complaints, "complaints")?,
    };
    Ok((until.ms(), tally))
}

/// The previous plan's hours, as [`Previous`](super::previous::Previous) read them: every row checked.
#[derive(Debug, Default)]
pub struct Carried {
    /// The previous plan's `--now`: its hours hold what happened up to it, this run's events what came after.
    pub until: Option<Timestamp>,
    hours: Hours,
}

impl Carried {
    /// The previous plan decided at `until`; its rows come with [`Carried::row`].
    pub fn new(until: Timestamp) -> Carried {
        Carried { until: Some(until), hours: Hours::default() }
    }

    /// Adds one row; an hour listed twice, or one that ends after the plan's own `--now` rounded up to the hour
    /// (that plan counted nothing later), is refused.
    pub fn row(&mut self, until: i64, tally: Tally) -> Result<(), String> {
        if let Some(now) = self.until.filter(|now| until > hour_of(*now)) {
            let (at, now) = (crate::report::rfc3339(until), crate::report::rfc3339(now.ms()));
            return Err(format!("`until` {at} is after the hour of that plan's --now {now}"));
        }
        match self.hours.0.entry(until) {
            std::collections::btree_map::Entry::Occupied(_) => {
                Err(format!("the hour until {} is listed twice", crate::report::rfc3339(until)))
            }
            std::collections::btree_map::Entry::Vacant(hour) => {
                hour.insert(tally);
                Ok(())
            }
        }
    }
}

/// The complaint rate's counts of this run: this run's events after the split (the previous plan's `--now`, when
/// it handed on its hours), and the previous plan's hours in the window.
#[derive(Debug)]
pub struct Mailed {
    now: Timestamp,
    /// What the previous plan handed on (`None`: no `--previous`, or a plan from before the file).
    carried: Option<(Timestamp, Hours)>,
    /// This run's sends and deliveries after the split, in the window.
    hours: Hours,
}

impl Mailed {
    /// Counts at `now`, on from `carried` (the previous plan's hours, when it wrote them).
    pub fn new(now: Timestamp, carried: Option<Carried>) -> Mailed {
        let carried = carried.and_then(|c| {
            let mut hours = c.hours;
            hours.keep_window(now);
            Some((c.until?, hours))
        });
        Mailed { now, carried, hours: Hours::default() }
    }

    /// Whether `t` is this run's to count: in the window, and after the previous plan's `--now` when that plan
    /// counted what came before.
    pub fn counts(&self, t: Timestamp) -> bool {
        t.is_within(Span::days(COMPLAINT_WINDOW_DAYS), self.now) && self.carried.as_ref().is_none_or(|(p, _)| t > *p)
    }

    /// A marketing send of this run's events at `t`.
    pub fn send(&mut self, t: Timestamp) {
        if self.counts(t) {
            self.hours.add(t, Tally { sends: 1, ..Tally::default() });
        }
    }

    /// A delivery a webhook log of this run reports at `t`.
    pub fn delivery(&mut self, t: Timestamp) {
        if self.counts(t) {
            self.hours.add(t, Tally { deliveries: 1, ..Tally::default() });
        }
    }

    /// Adds the spam complaints (every contact's, each once: `super::engagement`) at the instants `complaints`,
    /// once every event is folded.
    pub fn complaints(&mut self, complaints: impl Iterator<Item = Timestamp>) {
        for t in complaints {
            if self.counts(t) {
                self.hours.add(t, Tally { complaints: 1, ..Tally::default() });
            }
        }
    }

    /// The previous plan's `--now` and its counts in the window, when it handed them on.
    pub fn previous_counts(&self) -> Option<(Timestamp, Tally)> {
        self.carried.as_ref().map(|(until, hours)| (*until, hours.total()))
    }

    /// Every count in the window: this run's and the previous plan's.
    pub fn total(&self) -> Tally {
        let mut total = self.hours.total();
        if let Some((_, carried)) = self.previous_counts() {
            total.add(carried);
        }
        total
    }

    /// The hours `deliveries.csv` lists: both, merged.
    pub fn hours(&self) -> Hours {
        let mut all = self.hours.clone();
        for (until, tally) in self.carried.iter().flat_map(|(_, hours)| hours.rows()) {
            all.0.entry(until).or_default().add(tally);
        }
        all
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    const DAY: i64 = 86_400_000;

    fn at(ms: i64) -> Timestamp {
        Timestamp::from_ms(ms).unwrap_or(Timestamp::EPOCH)
    }

    #[test]
    fn an_instant_counts_in_the_hour_it_ends_and_the_window_is_exact_on_the_hour() {
        assert_eq!(hour_of(at(0)), 0);
        assert_eq!(hour_of(at(1)), HOUR);
        assert_eq!(hour_of(at(HOUR)), HOUR);
        assert_eq!(hour_of(at(-1)), 0);
        let now = at(100 * DAY);
        let mut carried = Carried::new(at(90 * DAY));
        let one = |n| Tally { sends: n, deliveries: 2 * n, complaints: 0 };
        assert_eq!(carried.row(70 * DAY, one(1)), Ok(()), "exactly 30 days before now: outside");
        assert_eq!(carried.row(70 * DAY + HOUR, one(10)), Ok(()), "the first hour inside");
        assert_eq!(carried.row(90 * DAY, one(100)), Ok(()));
        assert!(carried.row(90 * DAY, one(1)).is_err(), "listed twice");
        assert!(carried.row(90 * DAY + HOUR, one(1)).is_err(), "after the plan's --now");
        let mut mailed = Mailed::new(now, Some(carried));
        assert_eq!(mailed.previous_counts(), Some((at(90 * DAY), one(110))));
        // This run's events: at or before the previous --now they are the previous plan's to count.
        mailed.send(at(90 * DAY));
        mailed.send(at(90 * DAY + 1));
        mailed.delivery(at(100 * DAY));
        mailed.delivery(at(100 * DAY + 1));
        mailed.complaints([at(80 * DAY), at(95 * DAY)].into_iter());
        assert_eq!(mailed.total(), Tally { sends: 111, deliveries: 221, complaints: 1 });
        let rows: Vec<i64> = mailed.hours().rows().map(|(until, _)| until).collect();
        assert_eq!(rows, [70 * DAY + HOUR, 90 * DAY, 90 * DAY + HOUR, 95 * DAY, 100 * DAY]);
        // Without the previous plan's hours, this run counts its whole window.
        let mut alone = Mailed::new(now, None);
        alone.send(at(80 * DAY));
        alone.send(at(70 * DAY));
        assert_eq!(alone.total().sends, 1);
        assert_eq!(alone.previous_counts(), None);
    }

    #[test]
    fn a_row_reads_back_or_says_what_is_wrong() {
        assert_eq!(parse_row(&["2026-11-26T12:00:00Z", "3", "4", "0"]).map(|(_, t)| t.deliveries), Ok(4));
        for bad in [
            vec!["2026-11-26T12:30:00Z", "3", "4", "0"],
            vec!["yesterday", "3", "4", "0"],
            vec!["2026-11-26T12:00:00Z", "-3", "4", "0"],
            vec!["2026-11-26T12:00:00Z", "3", "4"],
            vec!["2026-11-26T12:00:00Z", "3", "4", "0", "1"],
        ] {
            assert!(parse_row(&bad).is_err(), "{bad:?}");
        }
    }
}
