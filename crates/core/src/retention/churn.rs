//! Churn early warning (D41): an alert per customer while at least one reason holds, with each reason's data
//! and the instant it started to hold, so the alert says why and since when — before the customer is gone.
//!
//! Reasons, each against the customer's own history or the fitted model:
//! - `pAlive`: BG/NBD's P(alive) is below the playbook's threshold (repeat buyers; one-time buyers are alive
//!   with probability 1 in BG/NBD, so this reason never fires for them). It started when P(alive) crossed the
//!   threshold, which the model gives in closed form.
//! - `purchaseGap`: the time since the last order exceeds `gap_factor` × the customer's average gap between
//!   purchase periods; it started at last order + factor × gap.
//! - `activityDrop`: orders in the last `window` are fewer than `ratio` × what the customer's own rate before the
//!   window predicts (needs a baseline of at least one window and two orders). It started at the instant an
//!   order left the window and the condition has held since.
//! - `negativeRating`: a negative rating (a playbook signal) within `within`; it started at the rating.
//! - `noRepeat`: a one-time buyer (one purchase period) with no second purchase `gap_factor` × the base's typical
//!   time to a second purchase after the first: the median, over repeat buyers, of first order to first order in
//!   a later period ([`RepeatNorm`]); `active_within` when nobody bought twice. BG/NBD cannot see a one-time
//!   buyer leave (P(alive) is 1 without a repeat purchase), and with a single order there is no own gap to
//!   compare with, so the base's habit is the yardstick. It started at the first order + that span.

use alloc::vec::Vec;

use serde::Serialize;

use super::bgnbd::BgNbd;
use super::fit::History;
use super::rules::ChurnRules;
use crate::time::{Span, Timestamp};

const DAY_MS: f64 = 86_400_000.0;

/// Why an alert is up.
#[derive(Debug, Clone, PartialEq, Serialize)]
#[serde(tag = "kind", rename_all = "camelCase", rename_all_fields = "camelCase")]
#[non_exhaustive]
pub enum ChurnReason {
    /// P(alive) below the threshold.
    PAlive {
        /// P(alive) now.
        p_alive: f64,
        /// The playbook's threshold.
        threshold: f64,
        /// When P(alive) fell below it.
        since: Timestamp,
    },
    /// A longer gap than usual since the last order.
    PurchaseGap {
        /// Days since the last order.
        days: f64,
        /// The customer's average gap between purchase periods, in days.
        average_gap_days: f64,
        /// The playbook's factor.
        factor: f64,
        /// When the gap passed factor × average.
        since: Timestamp,
    },
    /// Fewer recent orders than the customer's own rate predicts.
    ActivityDrop {
        /// Orders in the window.
        recent: u32,
        /// Orders the earlier rate predicts for the window.
        expected: f64,
        /// The window.
        window: Span,
        /// When the drop began to hold.
        since: Timestamp,
    },
    /// A negative rating within the playbook's span.
    NegativeRating {
        /// The rating's instant (also when the reason started).
        since: Timestamp,
    },
    /// A one-time buyer silent for longer than the base's repeat buyers took to come back.
    NoRepeat {
        /// Days since the (only) purchase period's first order.
        days: f64,
        /// The base's median time from a first order to a second purchase, in days (`None`: nobody bought twice,
        /// and the threshold is `active_within`).
        typical_repeat_days: Option<f64>,
        /// The silence that raises the alert, in days.
        threshold_days: f64,
        /// When the silence passed the threshold.
        since: Timestamp,
    },
}

impl ChurnReason {
    /// When this reason started to hold.
    pub fn since(&self) -> Timestamp {
        match self {
            ChurnReason::PAlive { since, .. }
            | ChurnReason::PurchaseGap { since, .. }
            | ChurnReason::ActivityDrop { since, .. }
            | ChurnReason::NegativeRating { since }
            | ChurnReason::NoRepeat { since, .. } => *since,
        }
    }

    /// The reason's stable name, as kept on the contact (`churn_reason`).
    pub fn code(&self) -> &'static str {
        match self {
            ChurnReason::PAlive { .. } => "p_alive",
            ChurnReason::PurchaseGap { .. } => "purchase_gap",
            ChurnReason::ActivityDrop { .. } => "activity_drop",
            ChurnReason::NegativeRating { .. } => "negative_rating",
            ChurnReason::NoRepeat { .. } => "no_repeat",
        }
    }
}

/// An early-warning alert: every reason that holds, and when the alert fired (the earliest `since`).
#[derive(Debug, Clone, PartialEq, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct Alert {
    /// When the alert fired.
    pub fired_at: Timestamp,
    /// The reasons, in the order above.
    pub reasons: Vec<ChurnReason>,
}

/// What the early warning reads of one customer.
pub struct Customer<'a> {
    /// Model terms in `unit_days` units.
    pub history: History,
    /// The first order's period start (where T is measured from), epoch ms.
    pub origin_ms: i64,
    /// Every order instant, ascending.
    pub orders: &'a [Timestamp],
    /// The latest negative rating, if any.
    pub negative_rating: Option<Timestamp>,
}

/// When a one-time buyer's silence raises `noRepeat`: a fact of the whole base, computed once per analysis.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct RepeatNorm {
    /// The median time from a repeat buyer's first order to their first order in a later period, in ms
    /// (`None`: nobody bought twice).
    pub typical_ms: Option<f64>,
    /// The silence after a one-time buyer's first order that raises the alert, in ms.
    pub after_ms: f64,
}

impl RepeatNorm {
    /// `gap_factor` × the median of `to_second` (ms from first order to second purchase, one per repeat buyer),
    /// or `fallback` (the playbook's `active_within`) when the list is empty.
    ///
    /// ```
    /// # use rekindle_core::{retention::churn::RepeatNorm, Span};
    /// let day = 86_400_000.0;
    /// let n = RepeatNorm::of(&[10.0 * day, 30.0 * day, 20.0 * day], 2.0, Span::days(90));
    /// assert_eq!((n.typical_ms, n.after_ms), (Some(20.0 * day), 40.0 * day));
    /// assert_eq!(RepeatNorm::of(&[], 2.0, Span::days(90)).after_ms, 90.0 * day);
    /// ```
    pub fn of(to_second: &[f64], gap_factor: f64, fallback: Span) -> RepeatNorm {
        let sorted = super::transaction::sorted(to_second.iter().map(|v| v.max(0.0)));
        // The lower median (rank ⌈n/2⌉), the quantile rule RFM uses: a value from the data, no interpolation.
        let typical_ms = sorted.get(sorted.len().saturating_sub(1) / 2).copied();
        RepeatNorm { typical_ms, after_ms: typical_ms.map_or(fallback.ms() as f64, |t| gap_factor * t) }
    }
}

/// The alert for one customer at `now`, or `None` when no reason holds.
pub fn alert(
    c: &Customer<'_>,
    model: Option<&BgNbd>,
    rules: &ChurnRules,
    rating_within: Option<Span>,
    unit_days: u32,
    norm: &RepeatNorm,
    now: Timestamp,
) -> Option<Alert> {
    let mut reasons = Vec::new();
    let unit_ms = f64::from(unit_days) * DAY_MS;
    let h = c.history;
    if let Some(m) = model.filter(|_| h.frequency > 0) {
        let p = m.p_alive(h.frequency, h.recency, h.age);
        if p < rules.p_alive_below {
            let since = m
                .age_when_p_alive_falls_to(rules.p_alive_below, h.frequency, h.recency)
                .map_or(now.ms(), |age| c.origin_ms.saturating_add((age * unit_ms) as i64));
            let since = Timestamp::from_ms(since.min(now.ms())).unwrap_or(now);
            reasons.push(ChurnReason::PAlive { p_alive: p, threshold: rules.p_alive_below, since });
        }
    }
    if let (Some(first), Some(last)) = (c.orders.first(), c.orders.last()) {
        if h.frequency > 0 {
            let gap_ms = h.recency * unit_ms / f64::from(h.frequency);
            let days = now.since(*last) as f64 / DAY_MS;
            if gap_ms > 0.0 && days * DAY_MS > rules.gap_factor * gap_ms {
                let since = Timestamp::from_ms(last.ms().saturating_add((rules.gap_factor * gap_ms) as i64));
                reasons.push(ChurnReason::PurchaseGap {
                    days,
                    average_gap_days: gap_ms / DAY_MS,
                    factor: rules.gap_factor,
                    since: since.unwrap_or(now).min(now),
                });
            }
        }
        if let Some(r) = activity_drop(c.orders, *first, rules, now) {
            reasons.push(r);
        }
        if h.frequency == 0 && norm.after_ms > 0.0 {
            let days = now.since(*first) as f64 / DAY_MS;
            if days * DAY_MS > norm.after_ms {
                let since = Timestamp::from_ms(first.ms().saturating_add(norm.after_ms as i64));
                reasons.push(ChurnReason::NoRepeat {
                    days,
                    typical_repeat_days: norm.typical_ms.map(|t| t / DAY_MS),
                    threshold_days: norm.after_ms / DAY_MS,
                    since: since.unwrap_or(now).min(now),
                });
            }
        }
    }
    if let (Some(at), Some(within)) = (c.negative_rating, rating_within) {
        if at.is_within(within, now) {
            reasons.push(ChurnReason::NegativeRating { since: at });
        }
    }
    let fired_at = reasons.iter().map(ChurnReason::since).min()?;
    Some(Alert { fired_at, reasons })
}

/// Orders in `[from, to)`.
fn count(orders: &[Timestamp], from: i64, to: i64) -> u32 {
    let lo = orders.partition_point(|t| t.ms() < from);
    let hi = orders.partition_point(|t| t.ms() < to);
    hi.saturating_sub(lo) as u32
}

/// (recent orders, expected) when the drop condition holds at `t` (window (t − w, t]).
fn drop_at(orders: &[Timestamp], first: i64, w: i64, ratio: f64, t: i64) -> Option<(u32, f64)> {
    let start = t - w + 1;
    let baseline = start - first;
    if baseline < w {
        return None;
    }
    let before = count(orders, first, start);
    if before < 2 {
        return None;
    }
    let recent = count(orders, start, t + 1);
    let expected = f64::from(before) * w as f64 / baseline as f64;
    (f64::from(recent) < ratio * expected).then_some((recent, expected))
}

fn activity_drop(orders: &[Timestamp], first: Timestamp, rules: &ChurnRules, now: Timestamp) -> Option<ChurnReason> {
    let w = rules.drop_window.ms();
    let (recent, expected) = drop_at(orders, first.ms(), w, rules.drop_ratio, now.ms())?;
    // Between the instants an order leaves the window the recent count is fixed and the baseline rate only
    // falls, so the condition holds on a whole interval iff it holds at the interval's end: walk back over
    // those instants while the interval before each one held throughout.
    let mut since = now.ms();
    let leaves = orders.iter().rev().map(|o| o.ms().saturating_add(w)).filter(|c| *c <= now.ms());
    for c in leaves {
        if c > since {
            continue;
        }
        if drop_at(orders, first.ms(), w, rules.drop_ratio, c - 1).is_some() {
            since = c - 1;
        } else {
            since = c;
            break;
        }
    }
    // The condition needs one full window of baseline first.
    let earliest = first.ms().saturating_add(2 * w - 1);
    Some(ChurnReason::ActivityDrop {
        recent,
        expected,
        window: rules.drop_window,
        since: Timestamp::from_ms(since.max(earliest).min(now.ms())).unwrap_or(now),
    })
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::retention::rules::RetentionRules;

    const DAY: i64 = 86_400_000;

    fn at(day: i64) -> Timestamp {
        Timestamp::from_ms(day * DAY).unwrap()
    }

    /// Nobody in the base bought twice: one-time buyers are judged against the default 90-day `active_within`.
    fn norm() -> RepeatNorm {
        RepeatNorm::of(&[], 2.0, Span::days(90))
    }

    fn customer(orders: &[Timestamp]) -> Customer<'_> {
        Customer { history: History::new(0, 0.0, 0.0), origin_ms: 0, orders, negative_rating: None }
    }

    #[test]
    fn a_gap_twice_the_usual_fires_at_last_order_plus_twice_the_average_gap() {
        let orders = [at(0), at(10), at(20), at(30)];
        let mut c = customer(&orders);
        c.history = History::new(3, 30.0, 100.0);
        let rules = RetentionRules::default().churn;
        let a = alert(&c, None, &rules, None, 1, &norm(), at(100)).unwrap();
        let gap = a.reasons.iter().find(|r| r.code() == "purchase_gap").unwrap();
        assert_eq!(gap.since(), at(50));
        assert!(alert(&c, None, &rules, None, 1, &norm(), at(49))
            .is_none_or(|a| a.reasons.iter().all(|r| r.code() != "purchase_gap")));
    }

    #[test]
    fn an_activity_drop_starts_when_the_last_order_that_kept_it_away_leaves_the_window() {
        // Weekly orders for 200 days, then silence: the 90-day window empties out.
        let orders: Vec<Timestamp> = (0..=28).map(|w| at(w * 7)).collect();
        let rules = RetentionRules::default().churn;
        let mut c = customer(&orders);
        c.history = History::new(28, 196.0, 300.0);
        let a = activity_drop(&orders, orders[0], &rules, at(300)).unwrap();
        let ChurnReason::ActivityDrop { recent, since, .. } = a else { panic!() };
        assert_eq!(recent, 0);
        // It holds at `since` and not 1 ms before.
        assert!(drop_at(&orders, 0, 90 * DAY, 0.5, since.ms()).is_some());
        assert!(drop_at(&orders, 0, 90 * DAY, 0.5, since.ms() - 1).is_none());
        assert!(alert(&c, None, &rules, None, 1, &norm(), at(150)).is_none());
    }

    #[test]
    fn p_alive_below_the_threshold_fires_when_it_crossed() {
        let m = BgNbd { r: 0.243, alpha: 4.414, a: 0.793, b: 2.426 };
        let orders = [at(0), at(7), at(14)];
        let mut c = customer(&orders);
        c.history = History::new(2, 2.0, 30.0); // weeks
        let rules = RetentionRules::default().churn;
        let a = alert(&c, Some(&m), &rules, None, 7, &norm(), at(210)).unwrap();
        let ChurnReason::PAlive { p_alive, since, .. } = a.reasons[0] else { panic!("{a:?}") };
        assert!(p_alive < 0.5);
        let age_then = since.ms() as f64 / (7.0 * DAY as f64);
        assert!((m.p_alive(2, 2.0, age_then) - 0.5).abs() < 1e-6);
    }

    #[test]
    fn a_recent_negative_rating_fires_at_the_rating() {
        let orders = [at(0)];
        let mut c = customer(&orders);
        c.negative_rating = Some(at(5));
        let rules = RetentionRules::default().churn;
        let a = alert(&c, None, &rules, Some(Span::days(30)), 1, &norm(), at(20)).unwrap();
        assert_eq!((a.fired_at, a.reasons.len()), (at(5), 1));
        assert!(alert(&c, None, &rules, Some(Span::days(30)), 1, &norm(), at(40)).is_none());
    }

    #[test]
    fn a_one_time_buyer_silent_past_twice_the_bases_time_to_a_second_order_gets_a_no_repeat_alert() {
        // Repeat buyers came back after 10, 20 and 40 days: median 20, so the alert comes 40 days after the order.
        let n = RepeatNorm::of(&[10.0 * DAY as f64, 40.0 * DAY as f64, 20.0 * DAY as f64], 2.0, Span::days(90));
        let orders = [at(100)];
        let rules = RetentionRules::default().churn;
        let c = customer(&orders);
        assert!(alert(&c, None, &rules, None, 1, &n, at(140)).is_none());
        let a = alert(&c, None, &rules, None, 1, &n, at(500)).unwrap();
        let ChurnReason::NoRepeat { days, typical_repeat_days, threshold_days, since } = a.reasons[0] else {
            panic!("{a:?}")
        };
        assert_eq!((days, typical_repeat_days, threshold_days, since), (400.0, Some(20.0), 40.0, at(140)));
        assert_eq!(a.reasons[0].code(), "no_repeat");
        // A repeat buyer is judged on its own gaps, never on the base's.
        let repeat = [at(100), at(101)];
        let mut r = customer(&repeat);
        r.history = History::new(1, 1.0, 400.0);
        assert!(alert(&r, None, &rules, None, 1, &n, at(500)).unwrap().reasons.iter().all(|x| x.code() != "no_repeat"));
    }
}
