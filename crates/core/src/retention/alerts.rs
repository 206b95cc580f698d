//! The early-warning alerts as a work list (D41): one row per customer with an alert, naming the signal that
//! fired first, every signal that holds, why in figures, since when, and the owner from the contact's profile —
//! a person to act before the customer is gone (`None`: unassigned, so somebody must pick it up). The customer's
//! stated churn reason (D39) rides along, beside the behavioural signals and never replaced by them.
//!
//! Order: the oldest alert first (the longest without an answer), ties by customer id.

use alloc::format;
use alloc::string::String;
use alloc::vec::Vec;

use serde::Serialize;

use super::analysis::Figures;
use super::churn::ChurnReason;
use super::stated::StatedReason;
use super::transaction::{int_key, Key};
use crate::time::{short_number, Timestamp};
use crate::zone::civil_from_days;

/// One actionable alert.
#[derive(Debug, Clone, PartialEq, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct OwnedAlert {
    /// The customer id.
    pub customer: String,
    /// The signal that fired first (`churn_reason` code: p_alive, purchase_gap, activity_drop,
    /// negative_rating, no_repeat).
    pub kind: &'static str,
    /// Every signal that holds, in the alert's order.
    pub signals: Vec<&'static str>,
    /// Why, in figures: each signal's sentence, joined by "; ".
    pub why: String,
    /// When the alert fired.
    pub since: Timestamp,
    /// The contact's owner; `None`: unassigned.
    pub owner: Option<String>,
    /// The churn reason the customer stated, if any.
    pub stated_reason: Option<StatedReason>,
    /// CLV × P(return), to rank within an owner's list.
    pub winback_priority: Option<f64>,
}

/// `x` rounded to `decimals` places, as short text (`12.5`, `3`).
fn round(x: f64, decimals: i32) -> String {
    let scale = match decimals {
        0 => 1.0,
        1 => 10.0,
        _ => 100.0,
    };
    let scaled = x * scale;
    let whole = if scaled < 0.0 { scaled - 0.5 } else { scaled + 0.5 } as i64;
    short_number(whole as f64 / scale)
}

/// `YYYY-MM-DD` (UTC) of an instant.
fn date(t: Timestamp) -> String {
    let (y, m, d) = civil_from_days(t.ms().div_euclid(86_400_000));
    format!("{y:04}-{m:02}-{d:02}")
}

/// One signal in words, with its figures.
///
/// ```
/// # use rekindle_core::{retention::{alerts::why, churn::ChurnReason}, Timestamp};
/// let gap = ChurnReason::PurchaseGap { days: 75.0, average_gap_days: 30.0, factor: 2.0, since: Timestamp::EPOCH };
/// assert_eq!(why(&gap), "75 days since the last order, over 2 × the customer's average gap of 30 days");
/// ```
pub fn why(reason: &ChurnReason) -> String {
    match reason {
        ChurnReason::PAlive { p_alive, threshold, .. } if *p_alive < 0.005 => {
            format!("P(alive) under 0.01, below {}", short_number(*threshold))
        }
        ChurnReason::PAlive { p_alive, threshold, .. } => {
            format!("P(alive) {} is below {}", round(*p_alive, 2), short_number(*threshold))
        }
        ChurnReason::PurchaseGap { days, average_gap_days, factor, .. } => format!(
            "{} days since the last order, over {} × the customer's average gap of {} days",
            round(*days, 0),
            short_number(*factor),
            round(*average_gap_days, 1)
        ),
        ChurnReason::ActivityDrop { recent, expected, window, .. } => format!(
            "{recent} orders in the last {} days where the customer's earlier pace predicts {}",
            window.ms() / 86_400_000,
            round(*expected, 1)
        ),
        ChurnReason::NegativeRating { since } => format!("a negative rating on {}", date(*since)),
        ChurnReason::NoRepeat { days, typical_repeat_days, threshold_days, .. } => match typical_repeat_days {
            Some(t) => format!(
                "one purchase {} days ago and none since; repeat buyers came back after {} days (median), \
                 the alert comes after {} days",
                round(*days, 0),
                round(*t, 1),
                round(*threshold_days, 1)
            ),
            None => format!(
                "one purchase {} days ago and none since; nobody bought twice, the alert comes after {} days \
                 (active_within)",
                round(*days, 0),
                round(*threshold_days, 1)
            ),
        },
    }
}

/// The alert list of an analysis' customers.
pub fn alert_list(customers: &[Figures]) -> Vec<OwnedAlert> {
    // Oldest first, ties by customer (customers are sorted by id), with the one retention sort key.
    let mut keys: Vec<Key> = customers
        .iter()
        .enumerate()
        .filter_map(|(i, c)| c.churn.as_ref().map(|a| (int_key(a.fired_at.ms()), i as u64, 0)))
        .collect();
    keys.sort_unstable();
    keys.iter()
        .filter_map(|(_, i, _)| {
            let c = customers.get(*i as usize)?;
            let a = c.churn.as_ref()?;
            // The signal that fired first; ties go to the alert's own order.
            let first = a.reasons.iter().min_by_key(|r| r.since())?;
            Some(OwnedAlert {
                customer: c.summary.customer.clone(),
                kind: first.code(),
                signals: a.reasons.iter().map(ChurnReason::code).collect(),
                why: a.reasons.iter().map(why).collect::<Vec<_>>().join("; "),
                since: a.fired_at,
                owner: c.owner.clone(),
                stated_reason: c.stated_reason.clone(),
                winback_priority: c.winback_priority,
            })
        })
        .collect()
}
