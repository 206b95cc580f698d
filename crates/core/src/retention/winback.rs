//! The win-back plan measured (D42): of lapsed customers a win-back campaign started for, how many bought again
//! within the window, and the revenue those returners brought, per month of the campaign start.
//!
//! Definitions, the analysis's own: a customer is **lapsed** at a start `s` when their last order before `s` is
//! at least `window` old (the playbook's `active_within`, default 90 days: the same line between active and
//! dormant the RFM classes and monthly churn draw). A lapsed customer **returned** when they ordered in
//! `[s, s + window)` (an order at `s` itself counts: the campaign's first touch can be the purchase). Their
//! **revenue** is the sum of those orders. A start whose window has not ended at `now` and brought no order yet
//! is **open**: neither returned nor lost, so the returned share is `returned / (returned + lost)` over the
//! decided starts only, `None` before any is decided. Every start is counted once somewhere: starts after
//! `now`, starts for customers with no order before them (not customers yet, so not lapsed), starts for
//! customers still active, and a second start inside the window of the same customer's counted one (the first
//! campaign's window already covers it) are counted apart, never dropped silently.

use alloc::string::String;
use alloc::vec::Vec;

use serde::Serialize;

use super::kpi::{label, month_index};
use super::transaction::{int_key, Key};
use crate::time::{Span, Timestamp};

/// The outcome of one group of win-back starts.
#[derive(Debug, Clone, PartialEq, Default, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct Tally {
    /// Lapsed customers a campaign started for (n).
    pub entered: u32,
    /// Of those, who ordered within the window.
    pub returned: u32,
    /// Window over, no order.
    pub lost: u32,
    /// Window still running at `now`, no order yet.
    pub open: u32,
    /// `returned / (returned + lost)`; `None` while nothing is decided.
    pub returned_share: Option<f64>,
    /// The returners' orders within their windows (up to `now`).
    pub revenue: f64,
}

impl Tally {
    fn finish(&mut self) {
        let decided = self.returned + self.lost;
        self.returned_share = (decided > 0).then(|| f64::from(self.returned) / f64::from(decided));
    }
}

/// The starts of one UTC calendar month.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct MonthTally {
    /// `"YYYY-MM"` of the campaign start.
    pub month: String,
    /// Its outcome.
    #[serde(flatten)]
    pub tally: Tally,
}

/// The win-back measurement of one analysis.
#[derive(Debug, Clone, PartialEq, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct Winback {
    /// The return window (and the lapse line): `active_within`.
    pub window: Span,
    /// Every month together.
    pub total: Tally,
    /// Per month of the start, oldest first; months without a lapsed start are left out.
    pub months: Vec<MonthTally>,
    /// Starts after `now`: not happened yet.
    pub after_now: u32,
    /// Starts for someone with no order before them: not a lapsed customer.
    pub not_customers: u32,
    /// Starts for a customer who ordered within the window before them: not lapsed.
    pub active_at_start: u32,
    /// A start inside the window of the same customer's earlier counted start.
    pub repeat_starts: u32,
}

/// Measures `starts` (customer, instant) against each customer's orders (`customers` sorted by id, orders
/// ascending) at `now`.
///
/// ```
/// # use rekindle_core::{retention::winback::measure, Span, Timestamp};
/// let day = |d: i64| Timestamp::from_ms(d * 86_400_000).unwrap();
/// let orders = [(day(0), 50.0), (day(130), 30.0)];
/// let w = measure(&[("a".into(), day(120))], &[("a", &orders[..])], Span::days(90), day(200));
/// assert_eq!((w.total.entered, w.total.returned, w.total.revenue), (1, 1, 30.0));
/// ```
pub fn measure(
    starts: &[(String, Timestamp)],
    customers: &[(&str, &[(Timestamp, f64)])],
    window: Span,
    now: Timestamp,
) -> Winback {
    // Starts by (customer rank, instant) with the one retention sort key (each sort type costs wasm); a start
    // for someone not in the log ranks last and is no customer's.
    let none = customers.len() as u64;
    let mut keys: Vec<Key> = starts
        .iter()
        .enumerate()
        .map(|(i, (customer, at))| {
            let rank = customers.binary_search_by(|c| c.0.cmp(customer.as_str())).map_or(none, |r| r as u64);
            (rank, int_key(at.ms()), i as u64)
        })
        .collect();
    keys.sort_unstable();
    let mut out = Winback {
        window,
        total: Tally::default(),
        months: Vec::new(),
        after_now: 0,
        not_customers: 0,
        active_at_start: 0,
        repeat_starts: 0,
    };
    // Months with a lapsed start, kept ascending by insertion.
    let mut months: Vec<(i64, Tally)> = Vec::new();
    // The latest counted start of the customer being walked.
    let mut counted: Option<(u64, Timestamp)> = None;
    for (rank, _, i) in keys {
        let Some(&(_, s)) = starts.get(i as usize) else { continue };
        if s > now {
            out.after_now += 1;
            continue;
        }
        let orders: &[(Timestamp, f64)] = customers.get(rank as usize).map_or(&[], |c| c.1);
        let before = orders.partition_point(|(t, _)| *t < s);
        let Some(&(last, _)) = before.checked_sub(1).and_then(|i| orders.get(i)) else {
            out.not_customers += 1;
            continue;
        };
        if counted.is_some_and(|(c, t)| c == rank && s < t.plus(window)) {
            out.repeat_starts += 1;
            continue;
        }
        if s.since(last) < window.ms() {
            out.active_at_start += 1;
            continue;
        }
        counted = Some((rank, s));
        let end = s.plus(window);
        let inside = orders.iter().skip(before).take_while(|(t, _)| *t < end && *t <= now);
        let (n, revenue) = inside.fold((0u32, 0.0), |(n, sum), (_, v)| (n + 1, sum + v));
        let month = month_index(s.ms());
        let at = match months.binary_search_by_key(&month, |(m, _)| *m) {
            Ok(at) => at,
            Err(at) => {
                months.insert(at, (month, Tally::default()));
                at
            }
        };
        let Some((_, slot)) = months.get_mut(at) else { continue };
        for t in [slot, &mut out.total] {
            t.entered += 1;
            if n > 0 {
                t.returned += 1;
                t.revenue += revenue;
            } else if end <= now {
                t.lost += 1;
            } else {
                t.open += 1;
            }
        }
    }
    out.total.finish();
    out.months = months
        .into_iter()
        .map(|(m, mut tally)| {
            tally.finish();
            MonthTally { month: label(m), tally }
        })
        .collect();
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    fn day(d: i64) -> Timestamp {
        Timestamp::from_ms(d * 86_400_000).unwrap()
    }

    #[test]
    fn every_start_is_counted_once_and_only_decided_starts_make_the_share() {
        // a: lapsed at day 120 (last order day 0), back on day 150 with 40 → returned.
        // b: lapsed at day 100, nothing in [100, 190) and day 190 ≤ now → lost.
        // c: lapsed at day 180, window to 270 > now 200, nothing yet → open.
        // d: ordered day 50, start day 100 → active at start. e: no order at all → not a customer.
        // a again at day 130: inside a's counted window → repeat. f: start day 300 > now → after now.
        let a = [(day(0), 10.0), (day(150), 40.0)];
        let b = [(day(0), 10.0)];
        let c = [(day(10), 10.0)];
        let d = [(day(50), 10.0)];
        let customers: [(&str, &[(Timestamp, f64)]); 4] = [("a", &a), ("b", &b), ("c", &c), ("d", &d)];
        let starts: Vec<(String, Timestamp)> =
            [("a", 120), ("b", 100), ("c", 180), ("d", 100), ("e", 90), ("a", 130), ("f", 300)]
                .iter()
                .map(|(c, t)| (String::from(*c), day(*t)))
                .collect();
        let w = measure(&starts, &customers, Span::days(90), day(200));
        let t = &w.total;
        assert_eq!((t.entered, t.returned, t.lost, t.open, t.revenue), (3, 1, 1, 1, 40.0));
        assert_eq!(t.returned_share, Some(0.5));
        assert_eq!((w.after_now, w.not_customers, w.active_at_start, w.repeat_starts), (1, 1, 1, 1));
        // Days 100 and 120 are in 1970-04 and 1970-05, day 180 in 1970-06.
        let months: Vec<(&str, u32, u32)> =
            w.months.iter().map(|m| (m.month.as_str(), m.tally.entered, m.tally.returned)).collect();
        assert_eq!(months, [("1970-04", 1, 0), ("1970-05", 1, 1), ("1970-06", 1, 0)]);
        assert_eq!(w.months[2].tally.returned_share, None);
    }

    #[test]
    fn an_order_at_the_window_end_is_outside_and_at_the_start_inside() {
        let late = [(day(0), 10.0), (day(190), 5.0)];
        let w = measure(&[("a".into(), day(100))], &[("a", &late)], Span::days(90), day(400));
        assert_eq!((w.total.returned, w.total.lost), (0, 1));
        let at_start = [(day(0), 10.0), (day(100), 5.0)];
        let w = measure(&[("a".into(), day(100))], &[("a", &at_start)], Span::days(90), day(400));
        assert_eq!((w.total.returned, w.total.revenue), (1, 5.0));
    }
}
