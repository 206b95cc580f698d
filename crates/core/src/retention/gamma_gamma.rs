//! The Gamma-Gamma spend model (Fader, Hardie & Lee 2005, "RFM and CLV"; Hardie's note 025): each
//! transaction's value is Gamma(p, ν), with ν ~ Gamma(q, γ) across customers; a customer's mean spend m over x
//! repeat transactions then has the likelihood of note 025's equation (1a), the same one `lifetimes` uses.
//! Fitted on repeat buyers with a positive mean spend; the expected average order value shrinks each
//! customer's own mean towards the population mean by how many transactions it rests on.

use alloc::vec::Vec;

use serde::Serialize;

use super::fit::{Fit, FitError, FitWarning};
use super::math::{digamma, exp, ln, ln_gamma, trigamma};
use super::optimise::minimise_newton;

/// Fitted Gamma-Gamma parameters (`gamma` is lifetimes' `v`).
///
/// ```
/// # use rekindle_core::retention::GammaGamma;
/// let m = GammaGamma { p: 6.25, q: 3.74, gamma: 15.44 };
/// // one-time buyers get the population mean p·γ/(q−1)
/// assert!((m.expected_average_value(0, 0.0).unwrap() - 6.25 * 15.44 / 2.74).abs() < 1e-9);
/// ```
#[derive(Debug, Clone, Copy, PartialEq, Serialize)]
pub struct GammaGamma {
    /// Shape of a transaction's value.
    pub p: f64,
    /// Shape of the spend-rate distribution across customers.
    pub q: f64,
    /// Rate of the spend-rate distribution across customers.
    pub gamma: f64,
}

/// One repeat buyer: (x, mean spend m) with ln m and ln x precomputed.
struct Buyer {
    x: u32,
    m: f64,
    ln_m: f64,
    ln_x: f64,
}

/// Mean negative log-likelihood at log-parameters `theta`, with its gradient and, when asked, its Hessian (both
/// with respect to the log-parameters).
fn objective(
    buyers: &[Buyer],
    max_x: u32,
    theta: &[f64; 3],
    grad: &mut [f64; 3],
    hess: Option<&mut [[f64; 3]; 3]>,
) -> f64 {
    let [p, q, gamma] = theta.map(exp);
    let (lg_q, psi_q, tri_q, ln_gamma_v) = (ln_gamma(q), digamma(q), trigamma(q), ln(gamma));
    let want_h = hess.is_some();
    // Per distinct x: lnΓ(px+q) − lnΓ(px) − lnΓ(q), ψ(px+q) − ψ(px), ψ(px+q) − ψ(q), ψ′(px+q), ψ′(px).
    let rows: Vec<[f64; 5]> = (0..=max_x)
        .map(|x| {
            if x == 0 {
                return [0.0; 5];
            }
            let px = p * f64::from(x);
            let psi_pxq = digamma(px + q);
            let (t1, t2) = if want_h { (trigamma(px + q), trigamma(px)) } else { (0.0, 0.0) };
            [ln_gamma(px + q) - ln_gamma(px) - lg_q, psi_pxq - digamma(px), psi_pxq - psi_q, t1, t2]
        })
        .collect();
    let mut ll = 0.0;
    let mut g = [0.0; 3];
    let mut h = [[0.0; 3]; 3];
    for b in buyers {
        let Some(&[lg, dp, dq, t_pxq, t_px]) = rows.get(b.x as usize) else { continue };
        let x = f64::from(b.x);
        let px = p * x;
        let denom = gamma + b.m * x;
        let ln_denom = ln(denom);
        ll += lg + q * ln_gamma_v + (px - 1.0) * b.ln_m + px * b.ln_x - (px + q) * ln_denom;
        g[0] += x * (dp + b.ln_m + b.ln_x - ln_denom);
        g[1] += dq + ln_gamma_v - ln_denom;
        g[2] += q / gamma - (px + q) / denom;
        if want_h {
            let inv = 1.0 / denom;
            h[0][0] += x * x * (t_pxq - t_px);
            h[0][1] += x * t_pxq;
            h[0][2] -= x * inv;
            h[1][1] += t_pxq - tri_q;
            h[1][2] += 1.0 / gamma - inv;
            h[2][2] += (px + q) * inv * inv - q / (gamma * gamma);
        }
    }
    // θ = ln param (see bgnbd): the objective is −LL per buyer.
    let n = buyers.len() as f64;
    let params = [p, q, gamma];
    for ((gi, pi), out) in g.iter().zip(&params).zip(grad.iter_mut()) {
        *out = -gi * pi / n;
    }
    if let Some(hess) = hess {
        for i in 0..3 {
            for j in 0..3 {
                let (lo, hi) = if i <= j { (i, j) } else { (j, i) };
                let hij = h.get(lo).and_then(|row| row.get(hi)).copied().unwrap_or(0.0);
                let (pi, pj) = (params.get(i).copied().unwrap_or(0.0), params.get(j).copied().unwrap_or(0.0));
                let diag = if i == j { pi * g.get(i).copied().unwrap_or(0.0) } else { 0.0 };
                if let Some(cell) = hess.get_mut(i).and_then(|row| row.get_mut(j)) {
                    *cell = -(pi * pj * hij + diag) / n;
                }
            }
        }
    }
    -ll / n
}

impl GammaGamma {
    /// Maximum-likelihood fit on `(frequency, mean repeat spend)` pairs. Customers without a repeat purchase or
    /// with a mean spend of 0 are left out and counted in `excluded` (their ln m is −∞); a spend that is negative
    /// or not finite is an error.
    ///
    /// ```
    /// # use rekindle_core::retention::GammaGamma;
    /// let fit = GammaGamma::fit(&[(1, 20.0), (3, 35.0), (2, 12.5), (0, 0.0), (5, 80.0)]).unwrap();
    /// assert_eq!((fit.customers, fit.excluded), (4, 1));
    /// ```
    pub fn fit(data: &[(u32, f64)]) -> Result<Fit<GammaGamma>, FitError> {
        if data.is_empty() {
            return Err(FitError::NoCustomers);
        }
        if let Some(index) = data.iter().position(|(_, m)| !(m.is_finite() && *m >= 0.0)) {
            return Err(FitError::BadHistory { index, reason: "mean spend must be a finite amount ≥ 0" });
        }
        let buyers: Vec<Buyer> = data
            .iter()
            .filter(|(x, m)| *x > 0 && *m > 0.0)
            .map(|&(x, m)| Buyer { x, m, ln_m: ln(m), ln_x: ln(f64::from(x)) })
            .collect();
        if buyers.is_empty() {
            return Err(FitError::NoSpend);
        }
        if buyers.len() < 2 {
            return Err(FitError::TooFewCustomers { customers: buyers.len() });
        }
        let max_x = buyers.iter().map(|b| b.x).max().unwrap_or(1);
        let mean = buyers.iter().map(|b| b.m).sum::<f64>() / buyers.len() as f64;
        // Start at p = 1, q = 2, γ = mean spend: the population mean pγ/(q−1) equals the observed mean.
        let start = [0.0, ln(2.0), ln(mean)];
        let out =
            minimise_newton(|t, g, h| objective(&buyers, max_x, t, g, Some(h)), start).ok_or(FitError::NotFinite)?;
        let [p, q, gamma] = out.theta.map(exp);
        let mut warnings = super::fit::warnings(buyers.len(), &out);
        if out.at_bound {
            warnings.push(FitWarning::AtBound);
        }
        if q <= 1.0 {
            warnings.push(FitWarning::NoFiniteMean);
        }
        let n = buyers.len();
        Ok(Fit {
            params: GammaGamma { p, q, gamma },
            log_likelihood: -out.value * n as f64,
            customers: n,
            excluded: data.len() - n,
            iterations: out.iterations,
            evaluations: out.evaluations,
            converged: out.converged,
            warnings,
        })
    }

    /// The expected value of one transaction of a customer with `frequency` repeat purchases of mean `mean`
    /// (note 025's equation 5): a weighted average of the customer's mean and the population mean p·γ/(q−1).
    /// `None` when q ≤ 1: the population mean is then infinite, and no expectation exists.
    pub fn expected_average_value(&self, frequency: u32, mean: f64) -> Option<f64> {
        if self.q <= 1.0 {
            return None;
        }
        let px = self.p * f64::from(frequency);
        let own = px / (px + self.q - 1.0);
        let population = self.gamma * self.p / (self.q - 1.0);
        let v = (1.0 - own) * population + own * mean;
        v.is_finite().then_some(v)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn gradient_matches_finite_differences() {
        let buyers: Vec<Buyer> = [(1u32, 20.0f64), (3, 35.0), (2, 12.5), (5, 80.0)]
            .iter()
            .map(|&(x, m)| Buyer { x, m, ln_m: m.ln(), ln_x: f64::from(x).ln() })
            .collect();
        let theta = [0.3, 0.7, 2.1];
        let mut g = [0.0; 3];
        objective(&buyers, 5, &theta, &mut g, None);
        for i in 0..3 {
            let (mut up, mut down) = (theta, theta);
            up[i] += 1e-6;
            down[i] -= 1e-6;
            let numeric = (objective(&buyers, 5, &up, &mut [0.0; 3], None)
                - objective(&buyers, 5, &down, &mut [0.0; 3], None))
                / 2e-6;
            assert!((numeric - g[i]).abs() < 1e-7, "d{i}: {numeric} vs {}", g[i]);
        }
    }

    #[test]
    fn hessian_matches_finite_differences_of_the_gradient() {
        let buyers: Vec<Buyer> = [(1u32, 20.0f64), (3, 35.0), (2, 12.5), (5, 80.0)]
            .iter()
            .map(|&(x, m)| Buyer { x, m, ln_m: m.ln(), ln_x: f64::from(x).ln() })
            .collect();
        let theta = [0.3, 0.7, 2.1];
        let mut h = [[0.0; 3]; 3];
        objective(&buyers, 5, &theta, &mut [0.0; 3], Some(&mut h));
        for j in 0..3 {
            let (mut up, mut down) = (theta, theta);
            up[j] += 1e-6;
            down[j] -= 1e-6;
            let (mut gu, mut gd) = ([0.0; 3], [0.0; 3]);
            objective(&buyers, 5, &up, &mut gu, None);
            objective(&buyers, 5, &down, &mut gd, None);
            for i in 0..3 {
                let numeric = (gu[i] - gd[i]) / 2e-6;
                assert!((numeric - h[i][j]).abs() < 1e-6, "h{i}{j}: {numeric} vs {}", h[i][j]);
            }
        }
    }

    #[test]
    fn without_repeat_spend_the_fit_is_refused() {
        assert_eq!(GammaGamma::fit(&[(0, 0.0), (2, 0.0)]), Err(FitError::NoSpend));
        assert_eq!(GammaGamma::fit(&[]), Err(FitError::NoCustomers));
        assert_eq!(GammaGamma::fit(&[(2, 10.0)]), Err(FitError::TooFewCustomers { customers: 1 }));
        assert!(matches!(GammaGamma::fit(&[(2, f64::NAN)]), Err(FitError::BadHistory { index: 0, .. })));
    }

    #[test]
    fn a_heavy_tailed_spend_has_no_expected_value() {
        assert_eq!(GammaGamma { p: 1.0, q: 0.9, gamma: 10.0 }.expected_average_value(3, 20.0), None);
    }
}
