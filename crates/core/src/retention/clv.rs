//! Customer lifetime value over a horizon (D38, D40): expected purchases month by month from BG/NBD, times the
//! expected order value from Gamma-Gamma, discounted monthly — the computation `lifetimes` uses
//! (`customer_lifetime_value`), so the two can be compared.

use serde::Serialize;

use super::bgnbd::BgNbd;
use super::fit::History;

/// How far ahead, and how the future is discounted.
///
/// ```
/// # use rekindle_core::retention::clv::Horizon;
/// let h = Horizon { months: 12, periods_per_month: 30.0, monthly_discount: 0.01 };
/// assert_eq!(h.months, 12);
/// ```
#[derive(Debug, Clone, Copy, PartialEq, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct Horizon {
    /// Months ahead.
    pub months: u32,
    /// Length of a month in the model's time unit (30 for days; lifetimes uses 4.345 for weeks).
    pub periods_per_month: f64,
    /// Discount rate per month (0.01 = 1 %).
    pub monthly_discount: f64,
}

/// The discounted value of a customer's expected purchases over the horizon, each worth `value`.
/// `None` when an expectation cannot be evaluated.
///
/// ```
/// # use rekindle_core::retention::{clv::{clv, Horizon}, BgNbd, History};
/// let m = BgNbd { r: 0.243, alpha: 4.414, a: 0.793, b: 2.426 };
/// let h = Horizon { months: 12, periods_per_month: 4.345, monthly_discount: 0.01 };
/// let v = clv(&m, &History::new(2, 30.43, 38.86), 24.66, &h).unwrap();
/// assert!(v > 30.0 && v < 40.0);
/// ```
pub fn clv(model: &BgNbd, history: &History, value: f64, horizon: &Horizon) -> Option<f64> {
    let (x, tx, age) = (history.frequency, history.recency, history.age);
    let mut total = 0.0;
    let mut before = 0.0;
    let mut discount = 1.0;
    for month in 1..=horizon.months {
        let upto = model.conditional_expected_purchases(f64::from(month) * horizon.periods_per_month, x, tx, age)?;
        discount *= 1.0 + horizon.monthly_discount;
        total += value * (upto - before) / discount;
        before = upto;
    }
    total.is_finite().then_some(total)
}
