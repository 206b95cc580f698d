//! What every fitted retention model shares: the per-customer history it is fitted on, the result with its
//! diagnostics, and the typed reasons a fit is refused.

use alloc::vec::Vec;
use core::fmt;

use serde::Serialize;

use super::optimise::Outcome;

/// Below this many customers a fit is returned with a `smallBase` warning (Klaviyo refuses below 500).
pub const ADVISED_CUSTOMERS: usize = 500;

/// One customer's purchases in model terms (lifetimes' `frequency`, `recency`, `T`): repeat purchase periods
/// after the first, time from the first to the last purchase, time from the first purchase to the end of
/// observation, both in the data's time unit.
///
/// ```
/// # use rekindle_core::retention::History;
/// let h = History::new(2, 30.43, 38.86);
/// assert_eq!((h.frequency, h.recency, h.age), (2, 30.43, 38.86));
/// ```
#[derive(Debug, Clone, Copy, PartialEq, Serialize)]
pub struct History {
    /// Repeat purchase periods (x).
    pub frequency: u32,
    /// First to last purchase (tₓ); 0 when `frequency` is 0.
    pub recency: f64,
    /// First purchase to the end of observation (T), at least `recency`.
    pub age: f64,
}

impl History {
    /// A history; [`check`] validates it when a model is fitted.
    pub fn new(frequency: u32, recency: f64, age: f64) -> History {
        History { frequency, recency, age }
    }
}

impl History {
    /// Histories as columns (lifetimes' `frequency`, `recency`, `T`), checked: frequency a whole number ≥ 0,
    /// 0 ≤ recency ≤ T, recency 0 without repeat purchases. Problems name `frequency[i]`, `recency[i]`, `T[i]`.
    pub fn from_columns(frequency: &[f64], recency: &[f64], age: &[f64]) -> Result<Vec<History>, crate::Error> {
        let n = frequency.len();
        for (name, len) in [("recency", recency.len()), ("T", age.len())] {
            if len != n {
                return Err(crate::Error::input(name, alloc::format!("expected {n} values like frequency, got {len}")));
            }
        }
        let mut out = Vec::with_capacity(n);
        for (i, ((x, tx), t)) in frequency.iter().zip(recency).zip(age).enumerate() {
            let bad = |name: &str, reason: &str| crate::Error::input(alloc::format!("{name}[{i}]"), reason);
            if !(x.is_finite() && *x >= 0.0 && *x <= f64::from(u32::MAX) && (*x as u32) as f64 == *x) {
                return Err(bad("frequency", "expected a whole number ≥ 0"));
            }
            if !(t.is_finite() && *t >= 0.0) {
                return Err(bad("T", "expected a finite number ≥ 0"));
            }
            if !(tx.is_finite() && *tx >= 0.0 && tx <= t) {
                return Err(bad("recency", "expected a finite number from 0 to T"));
            }
            if *x == 0.0 && *tx != 0.0 {
                return Err(bad("recency", "expected 0 when frequency is 0"));
            }
            out.push(History { frequency: *x as u32, recency: *tx + 0.0, age: *t + 0.0 });
        }
        Ok(out)
    }
}

/// A fitted model with what the fit saw and how it went.
#[derive(Debug, Clone, PartialEq, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct Fit<P> {
    /// The maximum-likelihood parameters.
    pub params: P,
    /// The total log-likelihood at `params` (comparable with the paper's tables).
    pub log_likelihood: f64,
    /// Customers the fit used.
    pub customers: usize,
    /// Customers left out (Gamma-Gamma: no repeat purchase, or no positive spend).
    pub excluded: usize,
    /// Optimiser iterations.
    pub iterations: u32,
    /// Likelihood evaluations.
    pub evaluations: u32,
    /// The stopping rule was met (see `optimise`).
    pub converged: bool,
    /// What a reader of the estimates should know.
    pub warnings: Vec<FitWarning>,
}

/// Something to know about a fit that did succeed.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(tag = "kind", rename_all = "camelCase", rename_all_fields = "camelCase")]
#[non_exhaustive]
pub enum FitWarning {
    /// Fewer customers than [`ADVISED_CUSTOMERS`]: wide uncertainty.
    SmallBase {
        /// Customers fitted.
        customers: usize,
        /// The advised minimum.
        advised: usize,
    },
    /// A parameter ended on the optimiser's box: the data do not pin it down (e.g. nobody seems to drop out).
    AtBound,
    /// The stopping rule was not met; the estimates are the best point found.
    NotConverged {
        /// Iterations taken.
        iterations: u32,
    },
    /// Gamma-Gamma's q ≤ 1: the spend rates' distribution has no finite mean (p·γ/(q−1) does not exist), so
    /// there is no expected order value and no CLV. The model's status is `noFiniteMean`, not `fitted`. Usually
    /// a few customers spend orders of magnitude more than the rest (wholesale or test orders, amounts summed
    /// over several orders): leave them out or analyse them apart, or cap amounts at a high percentile.
    NoFiniteMean,
}

/// Why a model cannot be fitted. Each kind has a stable [`FitError::code`].
///
/// ```
/// # use rekindle_core::retention::{BgNbd, FitError, History};
/// let err = BgNbd::fit(&[History::new(0, 0.0, 10.0), History::new(0, 0.0, 5.0)]).unwrap_err();
/// assert_eq!(err, FitError::NoRepeatBuyers);
/// assert_eq!(err.code(), "no_repeat_buyers");
/// ```
#[derive(Debug, Clone, Copy, PartialEq, Eq, thiserror::Error)]
#[non_exhaustive]
pub enum FitError {
    /// No customers at all.
    #[error("no customers to fit")]
    NoCustomers,
    /// One customer cannot identify a population's parameters.
    #[error("{customers} customer cannot be fitted; at least 2 are needed (and {ADVISED_CUSTOMERS} advised)")]
    TooFewCustomers {
        /// How many there were.
        customers: usize,
    },
    /// Every customer's observation time T is 0 (all first purchases on the last day).
    #[error("no observation time: every customer's first purchase is at the end of the observation")]
    NoObservationTime,
    /// Nobody bought twice: purchase rate and dropout cannot be told apart.
    #[error(
        "no repeat buyers: nobody bought in more than one period, so purchase rate and dropout cannot be told apart"
    )]
    NoRepeatBuyers,
    /// Gamma-Gamma needs repeat buyers with a positive mean spend.
    #[error("no repeat buyer with a positive spend: the spend model needs amounts on repeat purchases")]
    NoSpend,
    /// A history is impossible (negative, non-finite, recency after T, recency without repeat purchases).
    #[error("customers[{index}]: {reason}")]
    BadHistory {
        /// Which one.
        index: usize,
        /// What is wrong.
        reason: &'static str,
    },
    /// The likelihood is not finite at the starting point (extreme values in the data).
    #[error("the likelihood is not finite at the starting point; check for extreme values")]
    NotFinite,
}

impl FitError {
    /// The stable code.
    pub fn code(&self) -> &'static str {
        match self {
            FitError::NoCustomers => "no_customers",
            FitError::TooFewCustomers { .. } => "too_few_customers",
            FitError::NoObservationTime => "no_observation_time",
            FitError::NoRepeatBuyers => "no_repeat_buyers",
            FitError::NoSpend => "no_spend",
            FitError::BadHistory { .. } => "bad_history",
            FitError::NotFinite => "not_finite",
        }
    }
}

/// A refused fit as data: `{ code, message }`.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct Unfit {
    /// [`FitError::code`].
    pub code: &'static str,
    /// The error's message.
    pub message: alloc::string::String,
}

impl From<FitError> for Unfit {
    fn from(e: FitError) -> Unfit {
        Unfit { code: e.code(), message: alloc::format!("{e}") }
    }
}

impl fmt::Display for Unfit {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.message)
    }
}

/// Refuses empty data and impossible histories.
pub(crate) fn check(data: &[History]) -> Result<(), FitError> {
    if data.is_empty() {
        return Err(FitError::NoCustomers);
    }
    for (index, h) in data.iter().enumerate() {
        let reason = if !(h.recency.is_finite() && h.age.is_finite()) {
            "recency and T must be finite"
        } else if h.recency < 0.0 {
            "recency must not be negative"
        } else if h.recency > h.age {
            "recency must not exceed T"
        } else if h.frequency == 0 && h.recency != 0.0 {
            "recency must be 0 when frequency is 0"
        } else {
            continue;
        };
        return Err(FitError::BadHistory { index, reason });
    }
    Ok(())
}

/// Warnings every fit shares.
pub(crate) fn warnings<const N: usize>(customers: usize, out: &Outcome<N>) -> Vec<FitWarning> {
    let mut w = Vec::new();
    if customers < ADVISED_CUSTOMERS {
        w.push(FitWarning::SmallBase { customers, advised: ADVISED_CUSTOMERS });
    }
    if !out.converged {
        w.push(FitWarning::NotConverged { iterations: out.iterations });
    }
    w
}
