//! Maximum likelihood by a bounded quasi-Newton search: BFGS on the logarithms of the parameters, with a
//! backtracking (Armijo) line search, inside a box.
//!
//! Logarithms make every parameter positive without constraints and put r, α, a, b (or p, q, γ) on comparable
//! scales. The box [`LOG_MIN`, `LOG_MAX`] (parameters between ~2·10⁻⁹ and ~5·10⁸) keeps a degenerate data set
//! from driving a parameter to 0 or ∞, where the likelihood's terms overflow: a fit that ends on the box is
//! reported (`at_bound`) instead of producing NaN.
//!
//! **Stopping rule** (documented in docs/retention.md): the objective is the mean negative log-likelihood per
//! customer. The search stops as converged when the largest component of its projected gradient with respect to
//! the log-parameters is at most [`GRADIENT_TOLERANCE`], or when the line search can no longer decrease the
//! objective and that gradient is at most [`STALL_TOLERANCE`] (the optimum is flat to machine precision). It
//! stops unconverged after [`MAX_ITERATIONS`] iterations or when the line search fails with a larger gradient;
//! the best point found is returned either way, and the caller reports `converged: false`.

/// Lower bound of every log-parameter.
pub const LOG_MIN: f64 = -20.0;
/// Upper bound of every log-parameter.
pub const LOG_MAX: f64 = 20.0;
/// Converged when the projected gradient's largest component is at most this.
pub const GRADIENT_TOLERANCE: f64 = 1e-9;
/// Converged when the line search stalls with a gradient at most this.
pub const STALL_TOLERANCE: f64 = 1e-6;
/// Iterations before giving up.
pub const MAX_ITERATIONS: u32 = 400;
/// No single step moves a log-parameter by more than this (a factor of e³ on the parameter).
const MAX_STEP: f64 = 3.0;

/// Where the search ended.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct Outcome<const N: usize> {
    /// The log-parameters.
    pub theta: [f64; N],
    /// The objective there.
    pub value: f64,
    /// Largest component of the projected gradient there.
    pub gradient: f64,
    /// Iterations taken.
    pub iterations: u32,
    /// Objective evaluations (each with its gradient).
    pub evaluations: u32,
    /// The stopping rule was met.
    pub converged: bool,
    /// Some log-parameter sits on the box.
    pub at_bound: bool,
}

/// Minimises `f` (which returns the value and writes the gradient) from `start`. `None` when the objective is
/// not finite at the start.
pub fn minimise<const N: usize>(
    mut f: impl FnMut(&[f64; N], &mut [f64; N]) -> f64,
    start: [f64; N],
) -> Option<Outcome<N>> {
    let mut theta = start.map(|t| t.clamp(LOG_MIN, LOG_MAX));
    let mut g = [0.0; N];
    let mut value = f(&theta, &mut g);
    let mut evaluations = 1;
    if !value.is_finite() || g.iter().any(|v| !v.is_finite()) {
        return None;
    }
    let mut h = identity::<N>(1.0);
    let mut scaled = false;
    let mut iterations = 0;
    let mut converged = false;
    while iterations < MAX_ITERATIONS {
        let pg = projected_norm(&theta, &g);
        if pg <= GRADIENT_TOLERANCE {
            converged = true;
            break;
        }
        iterations += 1;
        let mut d = direction(&h, &g, &theta);
        let mut slope = dot(&g, &d);
        if slope >= 0.0 {
            // Not a descent direction (curvature information went bad): restart from steepest descent.
            h = identity::<N>(1.0);
            scaled = false;
            d = direction(&h, &g, &theta);
            slope = dot(&g, &d);
            if slope >= 0.0 {
                converged = pg <= STALL_TOLERANCE;
                break;
            }
        }
        let longest = d.iter().fold(0.0f64, |m, v| m.max(v.abs()));
        let mut step = (MAX_STEP / longest).min(1.0).min(room(&theta, &d));
        let mut accepted = None;
        for _ in 0..60 {
            let trial = add(&theta, &d, step);
            let mut tg = [0.0; N];
            let tv = f(&trial, &mut tg);
            evaluations += 1;
            if tv.is_finite() && tg.iter().all(|v| v.is_finite()) && tv <= value + 1e-4 * step * slope {
                accepted = Some((trial, tv, tg));
                break;
            }
            step *= 0.5;
        }
        let Some((next, next_value, next_g)) = accepted else {
            converged = pg <= STALL_TOLERANCE;
            break;
        };
        let s = sub(&next, &theta);
        let y = sub(&next_g, &g);
        let sy = dot(&s, &y);
        if sy > 1e-12 * norm(&s) * norm(&y) {
            if !scaled {
                // Shanno–Phua: scale the first inverse Hessian to the observed curvature.
                h = identity::<N>(sy / dot(&y, &y));
                scaled = true;
            }
            update(&mut h, &s, &y, sy);
        }
        let decrease = value - next_value;
        theta = next;
        value = next_value;
        g = next_g;
        let moved = s.iter().fold(0.0f64, |m, v| m.max(v.abs()));
        if decrease <= 1e-15 * (1.0 + value.abs()) && moved <= 1e-10 {
            converged = projected_norm(&theta, &g) <= STALL_TOLERANCE;
            break;
        }
    }
    let at_bound = theta.iter().any(|t| *t <= LOG_MIN || *t >= LOG_MAX);
    Some(Outcome { theta, value, gradient: projected_norm(&theta, &g), iterations, evaluations, converged, at_bound })
}

fn identity<const N: usize>(scale: f64) -> [[f64; N]; N] {
    let mut h = [[0.0; N]; N];
    for (i, row) in h.iter_mut().enumerate() {
        for (j, v) in row.iter_mut().enumerate() {
            *v = if i == j { scale } else { 0.0 };
        }
    }
    h
}

/// Whether component `i` is held by the box: on a bound with the gradient pushing outward.
fn blocked(theta: f64, g: f64) -> bool {
    (theta <= LOG_MIN && g > 0.0) || (theta >= LOG_MAX && g < 0.0)
}

fn projected_norm<const N: usize>(theta: &[f64; N], g: &[f64; N]) -> f64 {
    theta.iter().zip(g).filter(|(t, gi)| !blocked(**t, **gi)).fold(0.0f64, |m, (_, gi)| m.max(gi.abs()))
}

/// −H·g with blocked components removed.
fn direction<const N: usize>(h: &[[f64; N]; N], g: &[f64; N], theta: &[f64; N]) -> [f64; N] {
    let free: [f64; N] = core::array::from_fn(|i| {
        let (t, gi) = (theta.get(i).copied().unwrap_or(0.0), g.get(i).copied().unwrap_or(0.0));
        if blocked(t, gi) {
            0.0
        } else {
            gi
        }
    });
    let mut d = [0.0; N];
    for ((di, row), (t, gi)) in d.iter_mut().zip(h).zip(theta.iter().zip(g)) {
        *di = if blocked(*t, *gi) { 0.0 } else { -dot(row, &free) };
    }
    d
}

/// The largest step along `d` that stays in the box.
fn room<const N: usize>(theta: &[f64; N], d: &[f64; N]) -> f64 {
    theta.iter().zip(d).fold(f64::INFINITY, |m, (t, di)| {
        if *di > 0.0 {
            m.min((LOG_MAX - t) / di)
        } else if *di < 0.0 {
            m.min((LOG_MIN - t) / di)
        } else {
            m
        }
    })
}

fn add<const N: usize>(x: &[f64; N], d: &[f64; N], step: f64) -> [f64; N] {
    let mut out = *x;
    for (o, di) in out.iter_mut().zip(d) {
        *o = (*o + step * di).clamp(LOG_MIN, LOG_MAX);
    }
    out
}

fn sub<const N: usize>(a: &[f64; N], b: &[f64; N]) -> [f64; N] {
    let mut out = *a;
    for (o, bi) in out.iter_mut().zip(b) {
        *o -= bi;
    }
    out
}

fn dot<const N: usize>(a: &[f64; N], b: &[f64; N]) -> f64 {
    a.iter().zip(b).map(|(x, y)| x * y).sum()
}

fn norm<const N: usize>(a: &[f64; N]) -> f64 {
    crate::retention::math::exp(0.5 * crate::retention::math::ln(dot(a, a).max(f64::MIN_POSITIVE)))
}

/// BFGS update of the inverse Hessian: H ← H − ρ(s·(Hy)ᵀ + (Hy)·sᵀ) + (ρ²·yᵀHy + ρ)·s·sᵀ, ρ = 1/sᵀy.
fn update<const N: usize>(h: &mut [[f64; N]; N], s: &[f64; N], y: &[f64; N], sy: f64) {
    let rho = 1.0 / sy;
    let mut hy = [0.0; N];
    for (v, row) in hy.iter_mut().zip(h.iter()) {
        *v = dot(row, y);
    }
    let yhy = dot(y, &hy);
    let k = rho * rho * yhy + rho;
    for (row, (si, hyi)) in h.iter_mut().zip(s.iter().zip(&hy)) {
        for (v, (sj, hyj)) in row.iter_mut().zip(s.iter().zip(&hy)) {
            *v += k * si * sj - rho * (si * hyj + hyi * sj);
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn finds_the_minimum_of_the_rosenbrock_valley() {
        let f = |t: &[f64; 2], g: &mut [f64; 2]| {
            let (x, y) = (t[0], t[1]);
            g[0] = -2.0 * (1.0 - x) - 400.0 * x * (y - x * x);
            g[1] = 200.0 * (y - x * x);
            (1.0 - x) * (1.0 - x) + 100.0 * (y - x * x) * (y - x * x)
        };
        let out = minimise(f, [-1.2, 1.0]).unwrap();
        assert!(out.converged, "{out:?}");
        assert!((out.theta[0] - 1.0).abs() < 1e-6 && (out.theta[1] - 1.0).abs() < 1e-6, "{out:?}");
    }

    #[test]
    fn a_minimum_outside_the_box_ends_on_the_bound_and_says_so() {
        let f = |t: &[f64; 1], g: &mut [f64; 1]| {
            g[0] = 1.0;
            t[0]
        };
        let out = minimise(f, [0.0]).unwrap();
        assert!(out.at_bound && out.converged, "{out:?}");
        assert_eq!(out.theta[0], LOG_MIN);
    }

    #[test]
    fn a_non_finite_start_is_refused() {
        assert!(minimise(|_: &[f64; 1], _: &mut [f64; 1]| f64::NAN, [0.0]).is_none());
    }
}
