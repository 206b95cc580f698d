//! The BG/NBD model (Fader, Hardie & Lee 2005, "Counting Your Customers the Easy Way"): while alive a customer
//! buys at a Poisson rate λ ~ Gamma(r, α); after each purchase they drop out with probability p ~ Beta(a, b).
//! Fitted by maximum likelihood from (frequency x, recency tₓ, age T) per customer.
//!
//! The log-likelihood is the paper's equation (6) written in log space (`A₁ + A₂ + ln(e^A₃ + [x>0]·e^A₄)`, as in
//! `lifetimes`). Because x is a whole number, lnΓ(r+x) − lnΓ(r) is Σₖ ln(r+k) and the digamma differences of the
//! gradient are Σₖ 1/(r+k): one table per evaluation over the distinct frequencies, no special functions per
//! customer. Customers with the same (x, tₓ, T) are pooled with a weight, and ln(α+T), ln(α+tₓ) are computed once
//! per distinct value, so an evaluation costs one `exp` and one `ln` per distinct repeat buyer.

use alloc::vec::Vec;

use serde::Serialize;

use super::fit::{Fit, FitError, FitWarning, History};
use super::math::{exp, hyp2f1, ln, sigmoid, softplus_sigmoid};
use super::optimise::minimise_newton;
use super::transaction::{float_key, sorted, Key};

/// Fitted BG/NBD parameters: purchase rate λ ~ Gamma(shape `r`, rate `alpha`), dropout p ~ Beta(`a`, `b`).
/// `alpha` is in the time unit of the data it was fitted on.
///
/// ```
/// # use rekindle_core::retention::BgNbd;
/// let m = BgNbd { r: 0.243, alpha: 4.414, a: 0.793, b: 2.426 }; // the paper's CDNOW estimates (weeks)
/// assert_eq!(m.p_alive(0, 0.0, 38.86), 1.0);
/// assert!((m.p_alive(2, 30.43, 38.86) - 0.7266).abs() < 1e-3);
/// ```
#[derive(Debug, Clone, Copy, PartialEq, Serialize)]
pub struct BgNbd {
    /// Shape of the purchase-rate distribution.
    pub r: f64,
    /// Rate (scale⁻¹) of the purchase-rate distribution, in the data's time unit.
    pub alpha: f64,
    /// First Beta parameter of the dropout probability.
    pub a: f64,
    /// Second Beta parameter of the dropout probability.
    pub b: f64,
}

/// Repeat buyers: (x, index into `ages`, index into `recencies`, weight).
type Repeat = (u32, usize, usize, f64);

/// Customers pooled by identical (x, tₓ, T), with the distinct ages and recencies tabulated.
struct Pooled {
    /// One-time buyers (x = 0) by distinct age: (index into `ages`, weight).
    once: Vec<(usize, f64)>,
    repeat: Vec<Repeat>,
    ages: Vec<f64>,
    recencies: Vec<f64>,
    max_x: u32,
    weight: f64,
}

impl Pooled {
    fn new(data: &[History]) -> Pooled {
        // Non-negative finite floats order like their bit patterns (+ 0.0 turns −0 into 0): sort integers.
        let mut keys: Vec<Key> =
            data.iter().map(|h| (u64::from(h.frequency), float_key(h.age), float_key(h.recency))).collect();
        keys.sort_unstable();
        let rows: Vec<(u32, f64, f64)> =
            keys.iter().map(|k| (k.0 as u32, f64::from_bits(k.1), f64::from_bits(k.2))).collect();
        let mut ages = sorted(rows.iter().map(|r| r.1));
        ages.dedup_by(|a, b| a.total_cmp(b).is_eq());
        let mut recencies = sorted(rows.iter().filter(|r| r.0 > 0).map(|r| r.2));
        recencies.dedup_by(|a, b| a.total_cmp(b).is_eq());
        let find = |list: &[f64], v: f64| list.binary_search_by(|p| p.total_cmp(&v)).unwrap_or(0);
        let mut once: Vec<(usize, f64)> = Vec::new();
        let mut repeat: Vec<Repeat> = Vec::new();
        let mut i = 0;
        while let Some(&(x, age, rec)) = rows.get(i) {
            let mut n = 0usize;
            while rows.get(i).is_some_and(|r| r.0 == x && r.1.total_cmp(&age).is_eq() && r.2.total_cmp(&rec).is_eq()) {
                n += 1;
                i += 1;
            }
            if x == 0 {
                match once.last_mut() {
                    Some(last) if last.0 == find(&ages, age) => last.1 += n as f64,
                    _ => once.push((find(&ages, age), n as f64)),
                }
            } else {
                repeat.push((x, find(&ages, age), find(&recencies, rec), n as f64));
            }
        }
        let max_x = repeat.iter().map(|r| r.0).max().unwrap_or(0);
        Pooled { once, repeat, ages, recencies, max_x, weight: data.len() as f64 }
    }

    /// Mean negative log-likelihood at log-parameters `theta`, with its gradient and, when asked, its Hessian
    /// (both with respect to the log-parameters).
    fn objective(&self, theta: &[f64; 4], grad: &mut [f64; 4], hess: Option<&mut [[f64; 4]; 4]>) -> f64 {
        let [r, alpha, a, b] = theta.map(exp);
        let ln_alpha = ln(alpha);
        let la: Vec<f64> = self.ages.iter().map(|t| ln(alpha + t)).collect();
        let ia: Vec<f64> = self.ages.iter().map(|t| 1.0 / (alpha + t)).collect();
        let lr: Vec<f64> = self.recencies.iter().map(|t| ln(alpha + t)).collect();
        let ir: Vec<f64> = self.recencies.iter().map(|t| 1.0 / (alpha + t)).collect();
        let per_x = PerX::new(r, a, b, self.max_x);
        let want_h = hess.is_some();
        // Log-likelihood, its gradient g and Hessian h with respect to (r, α, a, b).
        let mut ll = 0.0;
        let mut g = [0.0; 4];
        let mut h = [[0.0; 4]; 4];
        for &(t, w) in &self.once {
            let (lt, it) = (la.get(t).copied().unwrap_or(0.0), ia.get(t).copied().unwrap_or(0.0));
            ll += w * r * (ln_alpha - lt);
            g[0] += w * (ln_alpha - lt);
            g[1] += w * r * (1.0 / alpha - it);
            if want_h {
                h[0][1] += w * (1.0 / alpha - it);
                h[1][1] += w * r * (it * it - 1.0 / (alpha * alpha));
            }
        }
        for &(x, t, tx, w) in &self.repeat {
            let Some(row) = per_x.rows.get(x as usize) else { continue };
            let (lt, it) = (la.get(t).copied().unwrap_or(0.0), ia.get(t).copied().unwrap_or(0.0));
            let (lx, ix) = (lr.get(tx).copied().unwrap_or(0.0), ir.get(tx).copied().unwrap_or(0.0));
            let rx = r + f64::from(x);
            let d = row.ln_a_over - rx * (lx - lt); // A₄ − A₃
            let (soft, s) = softplus_sigmoid(d); // s: the weight of the A₄ term
            ll += w * (row.ln_poch + r * ln_alpha - rx * lt + soft);
            // d's partial derivatives.
            let dd = [lt - lx, rx * (it - ix), 1.0 / a, -row.inv_b];
            g[0] += w * (row.psi_r + ln_alpha - lt + s * dd[0]);
            g[1] += w * (r / alpha - rx * it + s * dd[1]);
            g[2] += w * (row.psi_a + s * dd[2]);
            g[3] += w * (row.psi_b + s * dd[3]);
            if want_h {
                let ss = s * (1.0 - s);
                for (i, hi) in h.iter_mut().enumerate() {
                    let di = dd.get(i).copied().unwrap_or(0.0);
                    for (j, hij) in hi.iter_mut().enumerate().skip(i) {
                        *hij += w * ss * di * dd.get(j).copied().unwrap_or(0.0);
                    }
                }
                h[0][0] += w * row.tri_r;
                h[0][1] += w * (1.0 / alpha - it + s * (it - ix));
                h[1][1] += w * (rx * it * it - r / (alpha * alpha) + s * rx * (ix * ix - it * it));
                h[2][2] += w * (row.tri_ab - s / (a * a));
                h[2][3] += w * row.tri_ab;
                h[3][3] += w * (row.tri_b + s * row.inv_b * row.inv_b);
            }
        }
        // θ = ln param: ∂/∂θᵢ = pᵢ·∂/∂pᵢ, ∂²/∂θᵢ∂θⱼ = pᵢpⱼ·∂²/∂pᵢ∂pⱼ + δᵢⱼ·pᵢ·∂/∂pᵢ; the objective is −LL per customer.
        let n = self.weight;
        let p = [r, alpha, a, b];
        for ((gi, pi), out) in g.iter().zip(&p).zip(grad.iter_mut()) {
            *out = -gi * pi / n;
        }
        if let Some(hess) = hess {
            for i in 0..4 {
                for j in 0..4 {
                    let (lo, hi) = if i <= j { (i, j) } else { (j, i) };
                    let hij = h.get(lo).and_then(|row| row.get(hi)).copied().unwrap_or(0.0);
                    let (pi, pj) = (p.get(i).copied().unwrap_or(0.0), p.get(j).copied().unwrap_or(0.0));
                    let diag = if i == j { pi * g.get(i).copied().unwrap_or(0.0) } else { 0.0 };
                    if let Some(cell) = hess.get_mut(i).and_then(|row| row.get_mut(j)) {
                        *cell = -(pi * pj * hij + diag) / n;
                    }
                }
            }
        }
        -ll / n
    }
}

/// The parts of one customer's log-likelihood that depend only on x.
#[derive(Default, Clone, Copy)]
struct Row {
    /// lnΓ(r+x) − lnΓ(r) + lnΓ(a+b) + lnΓ(b+x) − lnΓ(b) − lnΓ(a+b+x).
    ln_poch: f64,
    /// ln a − ln(b + x − 1).
    ln_a_over: f64,
    /// ψ(r+x) − ψ(r).
    psi_r: f64,
    /// ψ(a+b) − ψ(a+b+x).
    psi_a: f64,
    /// ψ(a+b) − ψ(a+b+x) + ψ(b+x) − ψ(b).
    psi_b: f64,
    /// 1 / (b + x − 1).
    inv_b: f64,
    /// ψ′(r+x) − ψ′(r) = −Σ 1/(r+k)².
    tri_r: f64,
    /// ∂²A₂/∂a² = ∂²A₂/∂a∂b = Σ 1/(a+b+k)².
    tri_ab: f64,
    /// ∂²A₂/∂b² = Σ 1/(a+b+k)² − Σ 1/(b+k)².
    tri_b: f64,
}

struct PerX {
    rows: Vec<Row>,
}

impl PerX {
    fn new(r: f64, a: f64, b: f64, max_x: u32) -> PerX {
        let mut rows = Vec::with_capacity(max_x as usize + 1);
        let mut acc = Row::default();
        let ln_a = ln(a);
        rows.push(acc);
        for k in 0..max_x {
            let k = f64::from(k);
            acc.ln_poch += ln(r + k) + ln(b + k) - ln(a + b + k);
            acc.psi_r += 1.0 / (r + k);
            acc.psi_a -= 1.0 / (a + b + k);
            acc.psi_b += 1.0 / (b + k) - 1.0 / (a + b + k);
            let (ir, iab, ib) = (1.0 / (r + k), 1.0 / (a + b + k), 1.0 / (b + k));
            acc.tri_r -= ir * ir;
            acc.tri_ab += iab * iab;
            acc.tri_b += iab * iab - ib * ib;
            // b + x − 1 with x = k + 1
            acc.ln_a_over = ln_a - ln(b + k);
            acc.inv_b = 1.0 / (b + k);
            rows.push(acc);
        }
        PerX { rows }
    }
}

impl BgNbd {
    /// Maximum-likelihood fit. Needs at least two customers, some observation time and at least one repeat
    /// buyer (without one the purchase rate and the dropout cannot be told apart).
    ///
    /// ```
    /// # use rekindle_core::retention::{BgNbd, History};
    /// let data = [History::new(2, 30.0, 38.0), History::new(0, 0.0, 38.0), History::new(1, 5.0, 20.0)];
    /// let fit = BgNbd::fit(&data).unwrap();
    /// assert!(fit.params.r > 0.0 && fit.log_likelihood.is_finite());
    /// ```
    pub fn fit(data: &[History]) -> Result<Fit<BgNbd>, FitError> {
        super::fit::check(data)?;
        if data.len() < 2 {
            return Err(FitError::TooFewCustomers { customers: data.len() });
        }
        if !data.iter().any(|h| h.age > 0.0) {
            return Err(FitError::NoObservationTime);
        }
        if !data.iter().any(|h| h.frequency > 0) {
            return Err(FitError::NoRepeatBuyers);
        }
        let pooled = Pooled::new(data);
        let mean_age = data.iter().map(|h| h.age).sum::<f64>() / data.len() as f64;
        let start = [0.0, ln(mean_age.max(1e-6)), 0.0, 0.0];
        let out = minimise_newton(|t, g, h| pooled.objective(t, g, Some(h)), start).ok_or(FitError::NotFinite)?;
        let [r, alpha, a, b] = out.theta.map(exp);
        let params = BgNbd { r, alpha, a, b };
        let mut warnings = super::fit::warnings(data.len(), &out);
        if out.at_bound {
            warnings.push(FitWarning::AtBound);
        }
        Ok(Fit {
            params,
            log_likelihood: -out.value * pooled.weight,
            customers: data.len(),
            excluded: 0,
            iterations: out.iterations,
            evaluations: out.evaluations,
            converged: out.converged,
            warnings,
        })
    }

    /// The total log-likelihood of `data` under these parameters.
    pub fn log_likelihood(&self, data: &[History]) -> f64 {
        let pooled = Pooled::new(data);
        let theta = [self.r, self.alpha, self.a, self.b].map(ln);
        -pooled.objective(&theta, &mut [0.0; 4], None) * pooled.weight
    }

    /// The probability that a customer with this history is still alive (has not dropped out) at T. A customer
    /// with no repeat purchase is alive with probability 1 in BG/NBD: dropout happens only after a purchase.
    pub fn p_alive(&self, frequency: u32, recency: f64, age: f64) -> f64 {
        if frequency == 0 {
            return 1.0;
        }
        let x = f64::from(frequency);
        let log_odds =
            (self.r + x) * (ln(self.alpha + age) - ln(self.alpha + recency)) + ln(self.a) - ln(self.b + x - 1.0);
        sigmoid(-log_odds)
    }

    /// The age T at which P(alive) falls to `threshold` with no further purchase (`None` for one-time buyers,
    /// who stay alive in BG/NBD, and for thresholds outside (0, 1)).
    pub fn age_when_p_alive_falls_to(&self, threshold: f64, frequency: u32, recency: f64) -> Option<f64> {
        if frequency == 0 || !(threshold > 0.0 && threshold < 1.0) {
            return None;
        }
        let x = f64::from(frequency);
        // 1/p − 1 = (a/(b+x−1))·((α+T)/(α+tₓ))^(r+x)  ⇒  T = (α+tₓ)·e^{(ln(1/p − 1) − ln a + ln(b+x−1))/(r+x)} − α
        let rhs = (ln(1.0 / threshold - 1.0) - ln(self.a) + ln(self.b + x - 1.0)) / (self.r + x);
        let age = (self.alpha + recency) * exp(rhs) - self.alpha;
        age.is_finite().then_some(age.max(recency))
    }

    /// Expected purchases in (0, t] for a new customer: E[X(t)] = (a+b−1)/(a−1)·[1 − (α/(α+t))^r·₂F₁(r, b; a+b−1;
    /// t/(α+t))]. `None` when the series cannot be evaluated.
    pub fn expected_purchases(&self, t: f64) -> Option<f64> {
        self.with_a_off_one(|m| {
            let (r, alpha, a, b) = (m.r, m.alpha, m.a, m.b);
            let z = t / (alpha + t);
            let h = hyp2f1(r, b, a + b - 1.0, z)?;
            Some((a + b - 1.0) / (a - 1.0) * (1.0 - exp(r * (ln(alpha) - ln(alpha + t))) * h))
        })
    }

    /// Expected purchases in the next `t` for a customer with this history (the paper's equation 10).
    pub fn conditional_expected_purchases(&self, t: f64, frequency: u32, recency: f64, age: f64) -> Option<f64> {
        if t <= 0.0 {
            return Some(0.0);
        }
        self.with_a_off_one(|m| {
            let x = f64::from(frequency);
            let (r, alpha, a, b) = (m.r, m.alpha, m.a, m.b);
            let z = t / (alpha + age + t);
            let h = hyp2f1(r + x, b + x, a + b + x - 1.0, z)?;
            let first = (a + b + x - 1.0) / (a - 1.0);
            let second = 1.0 - exp((r + x) * (ln(alpha + age) - ln(alpha + age + t))) * h;
            let odds = if frequency > 0 {
                exp(ln(a) - ln(b + x - 1.0) + (r + x) * (ln(alpha + age) - ln(alpha + recency)))
            } else {
                0.0
            };
            Some(first * second / (1.0 + odds))
        })
    }

    /// Both expectations have a removable singularity at a = 1: evaluate on either side and average.
    fn with_a_off_one(&self, f: impl Fn(&BgNbd) -> Option<f64>) -> Option<f64> {
        let v = if (self.a - 1.0).abs() < 1e-6 {
            let lo = f(&BgNbd { a: 1.0 - 1e-6, ..*self })?;
            let hi = f(&BgNbd { a: 1.0 + 1e-6, ..*self })?;
            0.5 * (lo + hi)
        } else {
            f(self)?
        };
        v.is_finite().then_some(v.max(0.0))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn sample() -> Vec<History> {
        [(2, 30.43, 38.86), (1, 1.71, 38.86), (0, 0.0, 38.86), (0, 0.0, 20.0), (5, 35.0, 37.0), (1, 10.0, 12.0)]
            .iter()
            .map(|&(x, tx, t)| History::new(x, tx, t))
            .collect()
    }

    #[test]
    fn gradient_matches_finite_differences() {
        let pooled = Pooled::new(&sample());
        let theta = [-1.2, 1.5, -0.2, 0.9];
        let mut g = [0.0; 4];
        pooled.objective(&theta, &mut g, None);
        for i in 0..4 {
            let (mut up, mut down) = (theta, theta);
            up[i] += 1e-6;
            down[i] -= 1e-6;
            let numeric =
                (pooled.objective(&up, &mut [0.0; 4], None) - pooled.objective(&down, &mut [0.0; 4], None)) / 2e-6;
            assert!((numeric - g[i]).abs() < 1e-7, "d{i}: {numeric} vs {}", g[i]);
        }
    }

    #[test]
    fn hessian_matches_finite_differences_of_the_gradient() {
        let pooled = Pooled::new(&sample());
        let theta = [-1.2, 1.5, -0.2, 0.9];
        let mut h = [[0.0; 4]; 4];
        pooled.objective(&theta, &mut [0.0; 4], Some(&mut h));
        for j in 0..4 {
            let (mut up, mut down) = (theta, theta);
            up[j] += 1e-6;
            down[j] -= 1e-6;
            let (mut gu, mut gd) = ([0.0; 4], [0.0; 4]);
            pooled.objective(&up, &mut gu, None);
            pooled.objective(&down, &mut gd, None);
            for i in 0..4 {
                let numeric = (gu[i] - gd[i]) / 2e-6;
                assert!((numeric - h[i][j]).abs() < 1e-6, "h{i}{j}: {numeric} vs {}", h[i][j]);
            }
        }
    }

    #[test]
    fn pooling_identical_customers_changes_nothing() {
        let mut doubled = sample();
        doubled.extend(sample());
        let m = BgNbd { r: 0.3, alpha: 4.0, a: 0.8, b: 2.5 };
        assert!((m.log_likelihood(&doubled) - 2.0 * m.log_likelihood(&sample())).abs() < 1e-9);
    }

    #[test]
    fn p_alive_falls_to_the_threshold_at_the_age_it_predicts() {
        let m = BgNbd { r: 0.243, alpha: 4.414, a: 0.793, b: 2.426 };
        let age = m.age_when_p_alive_falls_to(0.3, 3, 10.0).unwrap();
        assert!((m.p_alive(3, 10.0, age) - 0.3).abs() < 1e-12);
        assert!(m.p_alive(3, 10.0, age - 1.0) > 0.3);
        assert_eq!(m.age_when_p_alive_falls_to(0.3, 0, 0.0), None);
        assert_eq!(m.age_when_p_alive_falls_to(1.5, 3, 10.0), None);
    }

    #[test]
    fn expectations_are_finite_at_the_removable_singularity_a_equals_one() {
        let m = BgNbd { r: 0.5, alpha: 5.0, a: 1.0, b: 2.0 };
        let near = BgNbd { a: 1.0 + 1e-4, ..m };
        let got = m.conditional_expected_purchases(20.0, 2, 10.0, 30.0).unwrap();
        let want = near.conditional_expected_purchases(20.0, 2, 10.0, 30.0).unwrap();
        assert!((got - want).abs() < 1e-3 * want, "{got} vs {want}");
        assert!(m.expected_purchases(20.0).unwrap().is_finite());
    }

    #[test]
    fn degenerate_data_are_typed_errors() {
        assert_eq!(BgNbd::fit(&[]), Err(FitError::NoCustomers));
        assert_eq!(BgNbd::fit(&[History::new(3, 5.0, 9.0)]), Err(FitError::TooFewCustomers { customers: 1 }));
        assert_eq!(BgNbd::fit(&[History::new(0, 0.0, 0.0); 3]), Err(FitError::NoObservationTime));
        assert_eq!(BgNbd::fit(&[History::new(0, 0.0, 4.0); 3]), Err(FitError::NoRepeatBuyers));
        let bad = [History::new(1, 9.0, 4.0), History::new(0, 0.0, 4.0)];
        assert_eq!(BgNbd::fit(&bad), Err(FitError::BadHistory { index: 0, reason: "recency must not exceed T" }));
        let nan = [History::new(0, 0.0, 4.0), History::new(1, f64::NAN, 4.0)];
        assert!(matches!(BgNbd::fit(&nan), Err(FitError::BadHistory { index: 1, .. })));
    }

    #[test]
    fn two_customers_fit_with_warnings_and_finite_numbers() {
        let fit = BgNbd::fit(&[History::new(3, 20.0, 30.0), History::new(0, 0.0, 30.0)]).unwrap();
        let p = fit.params;
        assert!([p.r, p.alpha, p.a, p.b, fit.log_likelihood].iter().all(|v| v.is_finite()), "{fit:?}");
        assert!(fit.warnings.contains(&FitWarning::SmallBase { customers: 2, advised: 500 }));
        assert!(p.p_alive(3, 20.0, 30.0).is_finite());
        assert!(p.conditional_expected_purchases(10.0, 3, 20.0, 30.0).is_some_and(f64::is_finite));
    }
}
