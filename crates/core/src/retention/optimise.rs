//! Maximum likelihood by a bounded Newton search on the logarithms of the parameters, with the exact Hessian
//! (damped where it is not positive definite) and a backtracking (Armijo) line search, inside a box.
//!
//! Logarithms make every parameter positive without constraints and put r, α, a, b (or p, q, γ) on comparable
//! scales. The box [`LOG_MIN`, `LOG_MAX`] (parameters between ~2·10⁻⁹ and ~5·10⁸) keeps a degenerate data set
//! from driving a parameter to 0 or ∞, where the likelihood's terms overflow: a fit that ends on the box is
//! reported (`at_bound`) instead of producing NaN.
//!
//! Both models' Hessians are cheap (per-frequency tables, no special function per customer), so Newton's method
//! converges in a handful of iterations where BFGS needed a few dozen (CDNOW: 6 for BG/NBD against 22).
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

/// Minimises `f` (which returns the value and writes the gradient and the Hessian) from `start`; `None` when the
/// objective is not finite there. Where the Hessian is not positive definite (far from the optimum) it is damped,
/// H + μI with μ growing tenfold until Cholesky succeeds (Levenberg–Marquardt); should that fail too, the step is
/// steepest descent.
pub fn minimise_newton<const N: usize>(
    mut f: impl FnMut(&[f64; N], &mut [f64; N], &mut [[f64; N]; N]) -> f64,
    start: [f64; N],
) -> Option<Outcome<N>> {
    let mut theta = start.map(|t| t.clamp(LOG_MIN, LOG_MAX));
    let (mut g, mut h) = ([0.0; N], [[0.0; N]; N]);
    let mut value = f(&theta, &mut g, &mut h);
    let mut evaluations = 1;
    let finite = |v: f64, g: &[f64; N], h: &[[f64; N]; N]| {
        v.is_finite() && g.iter().all(|x| x.is_finite()) && h.iter().flatten().all(|x| x.is_finite())
    };
    if !finite(value, &g, &h) {
        return None;
    }
    let (mut iterations, mut converged) = (0, false);
    while iterations < MAX_ITERATIONS {
        let pg = projected_norm(&theta, &g);
        if pg <= GRADIENT_TOLERANCE {
            converged = true;
            break;
        }
        iterations += 1;
        let mut d = newton_direction(&h, &g, &theta);
        if dot(&g, &d) >= 0.0 {
            d = direction(&identity::<N>(1.0), &g, &theta);
        }
        let slope = dot(&g, &d);
        if slope >= 0.0 {
            converged = pg <= STALL_TOLERANCE;
            break;
        }
        let longest = d.iter().fold(0.0f64, |m, v| m.max(v.abs()));
        let mut step = (MAX_STEP / longest).min(1.0).min(room(&theta, &d));
        let mut accepted = None;
        for _ in 0..60 {
            let trial = add(&theta, &d, step);
            let (mut tg, mut th) = ([0.0; N], [[0.0; N]; N]);
            let tv = f(&trial, &mut tg, &mut th);
            evaluations += 1;
            if finite(tv, &tg, &th) && tv <= value + 1e-4 * step * slope {
                accepted = Some((trial, tv, tg, th));
                break;
            }
            step *= 0.5;
        }
        let Some((next, next_value, next_g, next_h)) = accepted else {
            converged = pg <= STALL_TOLERANCE;
            break;
        };
        let moved = sub(&next, &theta).iter().fold(0.0f64, |m, v| m.max(v.abs()));
        let decrease = value - next_value;
        (theta, value, g, h) = (next, next_value, next_g, next_h);
        if decrease <= 1e-15 * (1.0 + value.abs()) && moved <= 1e-10 {
            converged = projected_norm(&theta, &g) <= STALL_TOLERANCE;
            break;
        }
    }
    let at_bound = theta.iter().any(|t| *t <= LOG_MIN || *t >= LOG_MAX);
    Some(Outcome { theta, value, gradient: projected_norm(&theta, &g), iterations, evaluations, converged, at_bound })
}

/// Solves (H + μI)·d = −g for the free components (blocked ones stay 0), with the smallest μ ∈ {0, 1e-8·s,
/// 1e-7·s, …} (s = 1 + the largest diagonal entry) for which Cholesky succeeds; −g when none does.
fn newton_direction<const N: usize>(h: &[[f64; N]; N], g: &[f64; N], theta: &[f64; N]) -> [f64; N] {
    let free: [bool; N] =
        core::array::from_fn(|i| !blocked(theta.get(i).copied().unwrap_or(0.0), g.get(i).copied().unwrap_or(0.0)));
    let is_free = |i: usize| free.get(i).copied().unwrap_or(false);
    let scale = 1.0 + h.iter().enumerate().fold(0.0f64, |m, (i, row)| m.max(row.get(i).map_or(0.0, |v| v.abs())));
    let mut mu = 0.0;
    for _ in 0..24 {
        let m: [[f64; N]; N] = core::array::from_fn(|i| {
            core::array::from_fn(|j| match (is_free(i) && is_free(j), i == j) {
                (true, true) => h.get(i).and_then(|r| r.get(j)).copied().unwrap_or(0.0) + mu,
                (true, false) => h.get(i).and_then(|r| r.get(j)).copied().unwrap_or(0.0),
                (false, true) => 1.0,
                (false, false) => 0.0,
            })
        });
        let rhs: [f64; N] = core::array::from_fn(|i| if is_free(i) { -g.get(i).copied().unwrap_or(0.0) } else { 0.0 });
        if let Some(d) = cholesky_solve(&m, &rhs) {
            return d;
        }
        mu = if mu == 0.0 { 1e-8 * scale } else { mu * 10.0 };
    }
    direction(&identity::<N>(1.0), g, theta)
}

/// Solves m·x = b for a symmetric positive-definite m; `None` when it is not.
fn cholesky_solve<const N: usize>(m: &[[f64; N]; N], b: &[f64; N]) -> Option<[f64; N]> {
    let at = |l: &[[f64; N]; N], i: usize, j: usize| l.get(i).and_then(|r| r.get(j)).copied().unwrap_or(0.0);
    let mut l = [[0.0; N]; N];
    for i in 0..N {
        for j in 0..=i {
            let sum: f64 = (0..j).map(|k| at(&l, i, k) * at(&l, j, k)).sum();
            let v = if i == j {
                let diag = at(m, i, i) - sum;
                if !(diag > 0.0 && diag.is_finite()) {
                    return None;
                }
                crate::retention::math::exp(0.5 * crate::retention::math::ln(diag))
            } else {
                (at(m, i, j) - sum) / at(&l, j, j)
            };
            *l.get_mut(i)?.get_mut(j)? = v;
        }
    }
    // L·y = b, then Lᵀ·x = y.
    let mut y = [0.0; N];
    for i in 0..N {
        let sum: f64 = (0..i).map(|k| at(&l, i, k) * y.get(k).copied().unwrap_or(0.0)).sum();
        *y.get_mut(i)? = (b.get(i).copied().unwrap_or(0.0) - sum) / at(&l, i, i);
    }
    let mut x = [0.0; N];
    for i in (0..N).rev() {
        let sum: f64 = (i + 1..N).map(|k| at(&l, k, i) * x.get(k).copied().unwrap_or(0.0)).sum();
        *x.get_mut(i)? = (y.get(i).copied().unwrap_or(0.0) - sum) / at(&l, i, i);
    }
    x.iter().all(|v| v.is_finite()).then_some(x)
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

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn finds_the_minimum_of_the_rosenbrock_valley() {
        let f = |t: &[f64; 2], g: &mut [f64; 2], h: &mut [[f64; 2]; 2]| {
            let (x, y) = (t[0], t[1]);
            g[0] = -2.0 * (1.0 - x) - 400.0 * x * (y - x * x);
            g[1] = 200.0 * (y - x * x);
            h[0] = [2.0 - 400.0 * (y - 3.0 * x * x), -400.0 * x];
            h[1] = [-400.0 * x, 200.0];
            (1.0 - x) * (1.0 - x) + 100.0 * (y - x * x) * (y - x * x)
        };
        let out = minimise_newton(f, [-1.2, 1.0]).unwrap();
        assert!(out.converged, "{out:?}");
        assert!((out.theta[0] - 1.0).abs() < 1e-8 && (out.theta[1] - 1.0).abs() < 1e-8, "{out:?}");
        assert!(out.iterations < 40, "{out:?}");
    }

    #[test]
    fn newton_damps_an_indefinite_hessian_into_a_descent_step() {
        // f = x⁴ − x² + y²: the Hessian at x = 0.1 has a negative entry; damping still descends to x = ±1/√2.
        let f = |t: &[f64; 2], g: &mut [f64; 2], h: &mut [[f64; 2]; 2]| {
            let (x, y) = (t[0], t[1]);
            g[0] = 4.0 * x * x * x - 2.0 * x;
            g[1] = 2.0 * y;
            h[0] = [12.0 * x * x - 2.0, 0.0];
            h[1] = [0.0, 2.0];
            x.powi(4) - x * x + y * y
        };
        let out = minimise_newton(f, [0.1, 0.5]).unwrap();
        assert!(out.converged && (out.theta[0] - 0.5f64.sqrt()).abs() < 1e-8, "{out:?}");
    }

    #[test]
    fn a_minimum_outside_the_box_ends_on_the_bound_and_says_so() {
        let f = |t: &[f64; 1], g: &mut [f64; 1], h: &mut [[f64; 1]; 1]| {
            g[0] = 1.0;
            h[0][0] = 0.0;
            t[0]
        };
        let out = minimise_newton(f, [0.0]).unwrap();
        assert!(out.at_bound && out.converged, "{out:?}");
        assert_eq!(out.theta[0], LOG_MIN);
    }

    #[test]
    fn a_non_finite_start_is_refused() {
        assert!(minimise_newton(|_: &[f64; 1], _: &mut [f64; 1], _: &mut [[f64; 1]; 1]| f64::NAN, [0.0]).is_none());
    }
}
