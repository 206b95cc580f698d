//! The special functions retention models need, built from `+ − × ÷` and bit manipulation only.
//!
//! `core` has no `ln`/`exp` on stable without std, and std's versions call the platform's libm, whose last bit
//! may differ between glibc and the wasm build. These give the same bits on every target (Rust never contracts
//! to FMA), so a fitted model is byte-identical in Node, Chromium, workerd and the CLI. Accuracy: `ln`, `exp`
//! within 2 ulp; `ln_gamma`, `digamma` within ~1e-15 relative for x ≥ 1e-6 (checked against std in the tests).

/// ln 2 split so that `k·LN2_HI` is exact for |k| < 2^20 (Cody–Waite).
const LN2_HI: f64 = 6.931_471_803_691_238e-1;
const LN2_LO: f64 = 1.908_214_929_270_587_7e-10;
/// ½·ln(2π), Stirling's constant.
const HALF_LN_2PI: f64 = 0.918_938_533_204_672_8;

// Minimax coefficients of fdlibm's e_log.c and e_exp.c (Sun Microsystems, 1993: "Permission to use, copy,
// modify, and distribute this software is freely granted, provided that this notice is preserved"), as bits.
const LG: [f64; 7] = [
    f64::from_bits(0x3FE5_5555_5555_5593),
    f64::from_bits(0x3FD9_9999_9997_FA04),
    f64::from_bits(0x3FD2_4924_9422_9359),
    f64::from_bits(0x3FCC_71C5_1D8E_78AF),
    f64::from_bits(0x3FC7_4664_96CB_03DE),
    f64::from_bits(0x3FC3_9A09_D078_C69F),
    f64::from_bits(0x3FC2_F112_DF3E_5244),
];
const P: [f64; 5] = [
    f64::from_bits(0x3FC5_5555_5555_553E),
    f64::from_bits(0xBF66_C16C_16BE_BD93),
    f64::from_bits(0x3F11_566A_AF25_DE2C),
    f64::from_bits(0xBEBB_BD41_C5D2_6BF1),
    f64::from_bits(0x3E66_3769_72BE_A4D0),
];

/// Natural logarithm; `NaN` for x < 0 or NaN, −∞ for 0, ∞ for ∞.
///
/// ```
/// # use rekindle_core::retention::math::ln;
/// assert_eq!(ln(1.0), 0.0);
/// assert!((ln(10.0) - core::f64::consts::LN_10).abs() < 1e-15);
/// ```
pub fn ln(x: f64) -> f64 {
    if x.is_nan() || x < 0.0 {
        return f64::NAN;
    }
    if x == 0.0 {
        return f64::NEG_INFINITY;
    }
    if x == f64::INFINITY {
        return x;
    }
    let (mut m, mut e) = split(x);
    // m in [1, 2): move it to [√½, √2) so that |s| below is at most 0.1716.
    if m > core::f64::consts::SQRT_2 {
        m *= 0.5;
        e += 1;
    }
    let f = m - 1.0; // exact (Sterbenz)
                     // ln m = 2·atanh(s) with s = f/(2+f), |s| ≤ 0.1716: fdlibm's degree-14 minimax polynomial in s.
    let s = f / (2.0 + f);
    let [l1, l2, l3, l4, l5, l6, l7] = LG;
    let z = s * s;
    let w = z * z;
    let r = z * (l1 + w * (l3 + w * (l5 + w * l7))) + w * (l2 + w * (l4 + w * l6));
    let k = f64::from(e);
    k * LN2_HI - ((s * (f - r) - k * LN2_LO) - f)
}

/// `ln(1 + u)` accurate for small `u` (u > −1).
///
/// ```
/// # use rekindle_core::retention::math::ln_1p;
/// assert!((ln_1p(1e-12) / (1e-12 - 5e-25) - 1.0).abs() < 1e-15);
/// ```
pub fn ln_1p(u: f64) -> f64 {
    let w = 1.0 + u;
    if w == 1.0 {
        return u;
    }
    // ln(w) is ln(1+u) at the rounded w; the first-order correction puts back what rounding lost.
    ln(w) - ((w - 1.0) - u) / w
}

/// `e^x`; 0 below −745.2, ∞ above 709.8.
///
/// ```
/// # use rekindle_core::retention::math::exp;
/// assert_eq!(exp(0.0), 1.0);
/// assert!((exp(1.0) - core::f64::consts::E).abs() < 1e-15);
/// ```
pub fn exp(x: f64) -> f64 {
    if x.is_nan() {
        return x;
    }
    if x > 709.782_712_893_384 {
        return f64::INFINITY;
    }
    if x < -745.2 {
        return 0.0;
    }
    let k = round(x * core::f64::consts::LOG2_E);
    let hi = x - k * LN2_HI;
    let lo = k * LN2_LO;
    let r = hi - lo; // |r| ≤ 0.35
                     // fdlibm: e^r = 1 + 2r/(2 − c) with c = r − r²·P(r²), a degree-10 minimax fit.
    let [p1, p2, p3, p4, p5] = P;
    let t = r * r;
    let c = r - t * (p1 + t * (p2 + t * (p3 + t * (p4 + t * p5))));
    let y = 1.0 - ((lo - (r * c) / (2.0 - c)) - hi);
    scale(y, k as i32)
}

/// `x^y` for x > 0 as `exp(y·ln x)`.
///
/// ```
/// # use rekindle_core::retention::math::pow;
/// assert!((pow(2.0, 10.0) - 1024.0).abs() < 1e-12);
/// ```
pub fn pow(x: f64, y: f64) -> f64 {
    exp(y * ln(x))
}

/// `(ln(1 + e^d), 1/(1 + e^−d))` — softplus and the logistic function together, from one `exp`, computed on
/// the side that cannot overflow.
pub fn softplus_sigmoid(d: f64) -> (f64, f64) {
    let e = exp(-abs(d));
    let soft = if d > 0.0 { d + ln_1p(e) } else { ln_1p(e) };
    let sig = if d >= 0.0 { 1.0 / (1.0 + e) } else { e / (1.0 + e) };
    (soft, sig)
}

/// The logistic function `1 / (1 + e^−d)`.
pub fn sigmoid(d: f64) -> f64 {
    softplus_sigmoid(d).1
}

/// `ln Γ(x)` for x > 0 (`NaN` otherwise): the recurrence moves x to ≥ 10, where Stirling's series with seven
/// Bernoulli terms is below 1e-16 relative.
///
/// ```
/// # use rekindle_core::retention::math::ln_gamma;
/// assert!((ln_gamma(5.0) - 24f64.ln()).abs() < 1e-14);
/// assert!(ln_gamma(1.0).abs() < 1e-14);
/// ```
pub fn ln_gamma(x: f64) -> f64 {
    if x.is_nan() || x <= 0.0 {
        return f64::NAN;
    }
    if x == f64::INFINITY {
        return x;
    }
    let mut y = x;
    let mut product = 1.0;
    while y < 10.0 {
        product *= y;
        y += 1.0;
    }
    stirling(y) - ln(product)
}

fn stirling(y: f64) -> f64 {
    let inv = 1.0 / y;
    let inv2 = inv * inv;
    let series = inv
        * (1.0 / 12.0
            + inv2
                * (-1.0 / 360.0
                    + inv2
                        * (1.0 / 1260.0
                            + inv2
                                * (-1.0 / 1680.0
                                    + inv2 * (1.0 / 1188.0 + inv2 * (-691.0 / 360_360.0 + inv2 / 156.0))))));
    (y - 0.5) * ln(y) - y + HALF_LN_2PI + series
}

/// The digamma function ψ(x) = d/dx ln Γ(x), for x > 0.
///
/// ```
/// # use rekindle_core::retention::math::digamma;
/// assert!((digamma(1.0) + 0.577_215_664_901_532_9).abs() < 1e-14); // −γ
/// ```
pub fn digamma(x: f64) -> f64 {
    if x.is_nan() || x <= 0.0 {
        return f64::NAN;
    }
    let mut y = x;
    let mut shift = 0.0;
    while y < 10.0 {
        shift += 1.0 / y;
        y += 1.0;
    }
    let inv = 1.0 / y;
    let inv2 = inv * inv;
    let series = inv2
        * (1.0 / 12.0
            - inv2
                * (1.0 / 120.0
                    - inv2 * (1.0 / 252.0 - inv2 * (1.0 / 240.0 - inv2 * (1.0 / 132.0 - inv2 * (691.0 / 32_760.0))))));
    ln(y) - 0.5 * inv - series - shift
}

/// The trigamma function ψ′(x) = d²/dx² ln Γ(x), for x > 0.
///
/// ```
/// # use rekindle_core::retention::math::trigamma;
/// assert!((trigamma(1.0) - core::f64::consts::PI * core::f64::consts::PI / 6.0).abs() < 1e-13); // π²/6
/// ```
pub fn trigamma(x: f64) -> f64 {
    if x.is_nan() || x <= 0.0 {
        return f64::NAN;
    }
    let mut y = x;
    let mut shift = 0.0;
    while y < 10.0 {
        shift += 1.0 / (y * y);
        y += 1.0;
    }
    let inv = 1.0 / y;
    let inv2 = inv * inv;
    // 1/y + 1/(2y²) + Σ B₂ₖ/y^(2k+1)
    let series = inv
        * (1.0
            + inv * 0.5
            + inv2
                * (1.0 / 6.0
                    - inv2
                        * (1.0 / 30.0
                            - inv2
                                * (1.0 / 42.0 - inv2 * (1.0 / 30.0 - inv2 * (5.0 / 66.0 - inv2 * (691.0 / 2730.0)))))));
    series + shift
}

/// Most terms a hypergeometric series may take before it is declared divergent for our purposes.
pub const HYP2F1_MAX_TERMS: u32 = 200_000;

/// Gauss's hypergeometric function ₂F₁(a, b; c; z) for 0 ≤ z < 1 and c > 0, `None` when the series does not
/// settle within [`HYP2F1_MAX_TERMS`] terms.
///
/// The series converges like z^n·n^(a+b−c−1); when a + b − c > 0 (always so in BG/NBD's conditional
/// expectation) Euler's transformation ₂F₁(a,b;c;z) = (1−z)^(c−a−b)·₂F₁(c−a, c−b; c; z) is summed instead,
/// whose terms shrink like n^(c−a−b−1). This is the same identity `lifetimes` falls back to.
///
/// ```
/// # use rekindle_core::retention::math::hyp2f1;
/// // ₂F₁(1, 1; 2; z) = −ln(1 − z)/z
/// let z = 0.5;
/// assert!((hyp2f1(1.0, 1.0, 2.0, z).unwrap() - (-(1.0f64 - z).ln() / z)).abs() < 1e-14);
/// ```
pub fn hyp2f1(a: f64, b: f64, c: f64, z: f64) -> Option<f64> {
    if !(0.0..1.0).contains(&z) || c <= 0.0 || !(a.is_finite() && b.is_finite() && c.is_finite()) {
        return None;
    }
    if a + b - c > 0.0 {
        let s = series(c - a, c - b, c, z)?;
        Some(s * exp((c - a - b) * ln_1p(-z)))
    } else {
        series(a, b, c, z)
    }
}

fn series(a: f64, b: f64, c: f64, z: f64) -> Option<f64> {
    let mut term = 1.0;
    let mut sum = 1.0;
    let mut n = 0u32;
    while n < HYP2F1_MAX_TERMS {
        let k = f64::from(n);
        let ratio = (a + k) * (b + k) / ((c + k) * (k + 1.0)) * z;
        term *= ratio;
        sum += term;
        n += 1;
        // Stop once terms are negligible and shrinking (the ratio tends to z < 1 from here on).
        if abs(term) <= 1e-17 * abs(sum) && abs(ratio) < 1.0 {
            return sum.is_finite().then_some(sum);
        }
        if term == 0.0 {
            return Some(sum);
        }
    }
    None
}

fn abs(x: f64) -> f64 {
    if x < 0.0 {
        -x
    } else {
        x
    }
}

/// Splits a positive finite x into m·2^e with m in [1, 2), subnormals included.
fn split(x: f64) -> (f64, i32) {
    let mut bits = x.to_bits();
    let mut bias = 0;
    if bits >> 52 == 0 {
        // Subnormal: scale by 2^54 first.
        bits = (x * f64::from_bits(((54 + 1023) as u64) << 52)).to_bits();
        bias = -54;
    }
    let e = ((bits >> 52) & 0x7ff) as i32 - 1023 + bias;
    let m = f64::from_bits((bits & 0x000f_ffff_ffff_ffff) | (1023u64 << 52));
    (m, e)
}

/// Round half away from zero for |x| < 2^52, without libm.
fn round(x: f64) -> f64 {
    let t = if x < 0.0 { x - 0.5 } else { x + 0.5 };
    (t as i64) as f64
}

/// `p · 2^n` by exponent arithmetic, in two steps so subnormal and near-overflow results stay exact.
fn scale(p: f64, n: i32) -> f64 {
    let pow2 = |e: i32| f64::from_bits(((e.clamp(-1022, 1023) + 1023) as u64) << 52);
    if n > 1023 {
        p * pow2(1023) * pow2(n - 1023)
    } else if n >= -1022 {
        p * pow2(n)
    } else {
        p * pow2(-1022) * pow2(n + 1022)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn close(got: f64, want: f64, rel: f64) {
        assert!((got - want).abs() <= rel * want.abs().max(1e-300), "{got} vs {want}");
    }

    #[test]
    fn ln_and_exp_match_std_within_two_ulp() {
        let mut x = 1e-300;
        while x < 1e300 {
            close(ln(x), x.ln(), 2.0 * f64::EPSILON);
            x *= 1.37;
        }
        let mut y = -740.0;
        while y < 709.0 {
            close(exp(y), y.exp(), 2.0 * f64::EPSILON);
            y += 0.7131;
        }
        close(ln(5e-324), (5e-324f64).ln(), 4.0 * f64::EPSILON);
        assert_eq!(exp(-800.0), 0.0);
        assert_eq!(exp(800.0), f64::INFINITY);
        assert!(ln(-1.0).is_nan());
    }

    #[test]
    fn ln_1p_keeps_tiny_arguments() {
        for u in [1e-18, 1e-10, 1e-5, 0.3, 1.0, 5.0, -0.5] {
            close(ln_1p(u), u.ln_1p(), 4.0 * f64::EPSILON);
        }
    }

    #[test]
    fn ln_gamma_matches_factorials_and_half_integers() {
        let mut fact = 1.0f64;
        for n in 1..60 {
            assert!((ln_gamma(f64::from(n)) - fact.ln()).abs() <= 1e-14 * fact.ln().max(1.0), "{n}");
            fact *= f64::from(n);
        }
        close(ln_gamma(0.5), core::f64::consts::PI.sqrt().ln(), 1e-14);
        close(ln_gamma(1e-6), 13.815_509_980_749_43, 1e-14);
        close(ln_gamma(1234.5), 7_550.550_901_077_896, 1e-14);
    }

    #[test]
    fn digamma_obeys_its_recurrence() {
        for x in [1e-3, 0.3, 1.0, 2.5, 9.9, 10.0, 55.0] {
            close(digamma(x + 1.0) - digamma(x), 1.0 / x, 1e-12);
        }
        close(digamma(0.5), -1.963_510_026_021_423_5, 1e-14);
    }

    #[test]
    fn trigamma_obeys_its_recurrence() {
        for x in [1e-3, 0.3, 1.0, 2.5, 9.9, 10.0, 55.0] {
            close(trigamma(x) - trigamma(x + 1.0), 1.0 / (x * x), 1e-12);
        }
        close(trigamma(0.5), core::f64::consts::PI * core::f64::consts::PI / 2.0, 1e-14);
    }

    #[test]
    fn hyp2f1_matches_closed_forms() {
        for z in [0.0, 0.1, 0.5, 0.9, 0.99] {
            close(hyp2f1(1.0, 1.0, 2.0, z).unwrap(), if z == 0.0 { 1.0 } else { -(1.0f64 - z).ln() / z }, 1e-13);
            // ₂F₁(a, b; b; z) = (1−z)^−a, through the Euler branch (a + b − c = a > 0).
            close(hyp2f1(2.5, 3.0, 3.0, z).unwrap(), (1.0f64 - z).powf(-2.5), 1e-13);
        }
        assert!(hyp2f1(1.0, 1.0, 2.0, 1.0).is_none());
        assert!(hyp2f1(1.0, 1.0, -2.0, 0.5).is_none());
    }
}
