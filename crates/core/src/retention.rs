//! Retention analytics (DOMAIN D36–D42): who is still a customer, what they are worth, who is slipping away.
//!
//! Models: [`BgNbd`] (purchase rate and dropout → P(alive), expected purchases), [`GammaGamma`] (expected order
//! value), CLV over a horizon. All numbers are computed with [`math`]'s own functions, so a fit is
//! byte-identical in every runtime.

pub mod alerts;
pub mod analysis;
pub mod bgnbd;
pub mod churn;
pub mod clv;
pub mod fit;
pub mod gamma_gamma;
pub mod kpi;
pub mod math;
pub mod nps;
pub mod optimise;
pub mod options;
pub mod rfm;
pub mod rules;
pub mod stated;
pub mod transaction;
pub mod winback;

pub use analysis::{analyse, Analysis, Figures, Options, Profile};
pub use bgnbd::BgNbd;
pub use fit::{Fit, FitError, FitWarning, History, Unfit};
pub use gamma_gamma::GammaGamma;
pub use stated::{owner_of, stated_reason_of, StatedReason};
pub use transaction::{summarise, Period, Summary, Transaction};

/// The profile field that holds a contact's RFM cell: written by the analysis (or imported from a CRM with that
/// name), read by `{ "rfm": [cells] }` conditions.
pub const RFM_CELL_FIELD: &str = "rfm_cell";

/// The truth of `{ "rfm": [cells] }` for a contact: its recorded cell is one of `cells`; unknown (`notComputed`)
/// when no cell is recorded, a type mismatch when the field is not text.
pub(crate) fn rfm_truth(state: &crate::ContactState, cells: &[alloc::string::String]) -> crate::field::Truth {
    use crate::explain::UnknownCause;
    use crate::field::Truth;
    match state.profile.get(RFM_CELL_FIELD) {
        Some(crate::Scalar::Str(cell)) => Truth::of(cells.iter().any(|c| c == cell)),
        Some(_) => Truth::Unknown(UnknownCause::TypeMismatch),
        None => Truth::Unknown(UnknownCause::NotComputed),
    }
}

/// The order a `purchase` event records: `Some(Ok(amount))` (its `value`, 0 when absent), `Some(Err(reason))`
/// for a value that is not a finite amount ≥ 0 (a refund is not an order), `None` for other events.
///
/// ```
/// # use rekindle_core::{retention::order_of, Event, Value};
/// let v = Value::Object(vec![("at".into(), Value::Number(0.0)), ("kind".into(), Value::String("purchase".into())),
///     ("props".into(), Value::Object(vec![("value".into(), Value::Number(25.0))]))]);
/// assert_eq!(order_of(&Event::parse(&v, "e").unwrap()), Some(Ok(25.0)));
/// ```
pub fn order_of(event: &crate::Event) -> Option<Result<f64, &'static str>> {
    if event.kind != crate::EventKind::Purchase {
        return None;
    }
    Some(match event.props.get("value") {
        None | Some(None) => Ok(0.0),
        Some(Some(crate::Scalar::Num(v))) if v.is_finite() && *v >= 0.0 => Ok(*v),
        Some(Some(_)) => Err("a purchase's value must be a finite amount ≥ 0"),
    })
}

/// The latest negative rating folded into a contact: the last occurrence, at or before `now`, of the signal
/// `retention.churn.negative_rating` names (`None` without one).
pub fn latest_negative_rating(
    playbook: &crate::Playbook,
    state: &crate::ContactState,
    now: crate::Timestamp,
) -> Option<crate::Timestamp> {
    let (index, _) = playbook.retention().churn.negative_rating?;
    let signal = playbook.signals().get(index)?;
    let track = state.signals.get(&signal.key)?;
    track.recent.iter().copied().filter(|t| *t <= now).max()
}
