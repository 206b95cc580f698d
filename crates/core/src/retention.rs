//! Retention analytics (DOMAIN D36–D42): who is still a customer, what they are worth, who is slipping away.
//!
//! Models: [`BgNbd`] (purchase rate and dropout → P(alive), expected purchases), [`GammaGamma`] (expected order
//! value), CLV over a horizon. All numbers are computed with [`math`]'s own functions, so a fit is
//! byte-identical in every runtime.

pub mod analysis;
pub mod bgnbd;
pub mod churn;
pub mod clv;
pub mod fit;
pub mod gamma_gamma;
pub mod kpi;
pub mod math;
pub mod optimise;
pub mod rfm;
pub mod rules;
pub mod transaction;

pub use analysis::{analyse, Analysis, Figures, Options, Profile};
pub use bgnbd::BgNbd;
pub use fit::{Fit, FitError, FitWarning, History, Unfit};
pub use gamma_gamma::GammaGamma;
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
