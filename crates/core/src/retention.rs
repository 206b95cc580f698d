//! Retention analytics (DOMAIN D36–D42): who is still a customer, what they are worth, who is slipping away.
//!
//! Models: [`BgNbd`] (purchase rate and dropout → P(alive), expected purchases), [`GammaGamma`] (expected order
//! value), CLV over a horizon. All numbers are computed with [`math`]'s own functions, so a fit is
//! byte-identical in every runtime.

pub mod bgnbd;
pub mod clv;
pub mod fit;
pub mod gamma_gamma;
pub mod math;
pub mod optimise;
pub mod transaction;

pub use bgnbd::BgNbd;
pub use fit::{Fit, FitError, FitWarning, History, Unfit};
pub use gamma_gamma::GammaGamma;
pub use transaction::{summarise, Period, Summary, Transaction};
