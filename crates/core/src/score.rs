//! Fit + intent: rules → contributions → caps → totals, each step leaving its reason.

pub mod fit;
pub mod intent;

use crate::explain::{Reason, Sink};

/// Clamps a group's raw sum to `[min, max]`, recording a `capReached` reason when a bound applies.
pub(crate) fn clamp(group: &str, raw: f64, min: Option<f64>, max: Option<f64>, reasons: &mut Sink<'_>) -> f64 {
    let bound = match (min, max) {
        (_, Some(max)) if raw > max => max,
        (Some(min), _) if raw < min => min,
        _ => return raw,
    };
    reasons.push(|| Reason::CapReached { group: group.into(), cap: bound, dropped: raw - bound });
    bound
}
