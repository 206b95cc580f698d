//! `cargo bench -p rekindle-core --bench retention`: BG/NBD + Gamma-Gamma fits of the native core (STYLE §8:
//! figures printed, nothing asserted). Run by `npm run bench:retention`, which adds wasm-in-Node and lifetimes.
//!
//! Data sets:
//! - CDNOW (crates/core/tests/fixtures/cdnow): 2,357 customers, the published 39-week summary with mean spend;
//! - synthetic: BENCH_CUSTOMERS (default 1,000,000) customers drawn from BG/NBD with the paper's CDNOW estimates
//!   (r 0.243, α 4.414, a 0.793, b 2.426, weeks) and Gamma-Gamma (p 6.25, q 3.74, γ 15.44), first purchases spread
//!   over a year, recency and T at whole days (in weeks, like CDNOW), seeded. Written to
//!   target/retention-bench/synthetic.f64 (n, then the frequency, recency, T and monetary columns as f64 LE) so
//!   the wasm bench fits the very same numbers.
//!
//! Figures: median and min–max of BENCH_RUNS (default 21) fits on CDNOW and 3 on the synthetic set, each
//! BG/NBD then Gamma-Gamma from in-memory summaries; the fitted parameters. The last line is `BENCH_JSON {…}`.
#![allow(clippy::expect_used, clippy::unwrap_used, clippy::indexing_slicing, clippy::panic, missing_docs)]

use std::fs;
use std::hint::black_box;
use std::io::Write;
use std::path::PathBuf;
use std::time::Instant;

use rekindle_core::retention::{BgNbd, GammaGamma, History};

const SEED: u64 = 0x5eed_2026_0008;

fn root() -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("../..")
}

/// xorshift64* — the bench's only randomness, seeded.
struct Rng(u64);

impl Rng {
    fn next(&mut self) -> u64 {
        self.0 ^= self.0 >> 12;
        self.0 ^= self.0 << 25;
        self.0 ^= self.0 >> 27;
        self.0.wrapping_mul(0x2545_f491_4f6c_dd1d)
    }
    /// Uniform in (0, 1).
    fn uniform(&mut self) -> f64 {
        ((self.next() >> 11) as f64 + 0.5) / (1u64 << 53) as f64
    }
    fn normal(&mut self) -> f64 {
        let (u, v) = (self.uniform(), self.uniform());
        (-2.0 * u.ln()).sqrt() * (2.0 * std::f64::consts::PI * v).cos()
    }
    /// Gamma(shape, rate) by Marsaglia–Tsang (boosted below shape 1).
    fn gamma(&mut self, shape: f64, rate: f64) -> f64 {
        if shape < 1.0 {
            return self.gamma(shape + 1.0, rate) * self.uniform().powf(1.0 / shape);
        }
        let d = shape - 1.0 / 3.0;
        let c = 1.0 / (9.0 * d).sqrt();
        loop {
            let x = self.normal();
            let v = (1.0 + c * x).powi(3);
            if v > 0.0 && self.uniform().ln() < 0.5 * x * x + d - d * v + d * v.ln() {
                return d * v / rate;
            }
        }
    }
    fn beta(&mut self, a: f64, b: f64) -> f64 {
        let x = self.gamma(a, 1.0);
        x / (x + self.gamma(b, 1.0))
    }
}

/// One synthetic customer: (x, tₓ, T, mean spend), tₓ and T at whole days, in weeks.
fn customer(rng: &mut Rng) -> (u32, f64, f64, f64) {
    let (r, alpha, a, b) = (0.243, 4.414, 0.793, 2.426);
    let (p, q, gamma) = (6.25, 3.74, 15.44);
    let age_days = 1 + (rng.next() % 365) as u32;
    let age = f64::from(age_days) / 7.0;
    let lambda = rng.gamma(r, alpha);
    let drop = rng.beta(a, b);
    let (mut t, mut x, mut last) = (0.0, 0u32, 0.0);
    loop {
        t += -rng.uniform().ln() / lambda;
        if t > age {
            break;
        }
        x += 1;
        last = t;
        if rng.uniform() < drop {
            break;
        }
    }
    let recency_days = ((last * 7.0).floor() as u32).min(age_days);
    let recency = if x == 0 { 0.0 } else { f64::from(recency_days) / 7.0 };
    let spend = if x == 0 {
        0.0
    } else {
        let nu = rng.gamma(q, gamma);
        (0..x).map(|_| rng.gamma(p, nu)).sum::<f64>() / f64::from(x)
    };
    (x, recency, age, spend)
}

struct Set {
    histories: Vec<History>,
    spend: Vec<(u32, f64)>,
}

fn cdnow() -> Set {
    let text = fs::read_to_string(
        root().join("crates/core/tests/fixtures/cdnow/cdnow_customers_summary_with_transactions.csv"),
    )
    .expect("CDNOW fixture");
    let rows: Vec<Vec<f64>> =
        text.lines().skip(1).map(|l| l.split(',').map(|v| v.parse().expect("number")).collect()).collect();
    Set {
        histories: rows.iter().map(|r| History::new(r[1] as u32, r[2], r[3])).collect(),
        spend: rows.iter().map(|r| (r[1] as u32, r[4])).collect(),
    }
}

fn synthetic(n: usize) -> Set {
    let mut rng = Rng(SEED);
    let rows: Vec<(u32, f64, f64, f64)> = (0..n).map(|_| customer(&mut rng)).collect();
    let dir = root().join("target/retention-bench");
    fs::create_dir_all(&dir).expect("target dir");
    let mut bytes = Vec::with_capacity(8 * (1 + 4 * n));
    bytes.extend_from_slice(&(n as f64).to_le_bytes());
    for column in 0..4 {
        for r in &rows {
            let v = match column {
                0 => f64::from(r.0),
                1 => r.1,
                2 => r.2,
                _ => r.3,
            };
            bytes.extend_from_slice(&v.to_le_bytes());
        }
    }
    fs::File::create(dir.join("synthetic.f64")).and_then(|mut f| f.write_all(&bytes)).expect("write synthetic set");
    Set {
        histories: rows.iter().map(|r| History::new(r.0, r.1, r.2)).collect(),
        spend: rows.iter().map(|r| (r.0, r.3)).collect(),
    }
}

struct Stats {
    median: f64,
    min: f64,
    max: f64,
}

fn stats(mut v: Vec<f64>) -> Stats {
    v.sort_by(f64::total_cmp);
    Stats { median: v[v.len() / 2], min: v[0], max: v[v.len() - 1] }
}

fn json(s: &Stats) -> String {
    format!("{{\"median\":{},\"min\":{},\"max\":{}}}", s.median, s.min, s.max)
}

/// Times `runs` fits after one warm-up; returns (BG/NBD ms, Gamma-Gamma ms, the last fits as JSON).
#[allow(clippy::disallowed_methods)] // a benchmark reads the clock; core never does
fn time(set: &Set, runs: usize) -> (Stats, Stats, String) {
    let once = || (BgNbd::fit(&set.histories).expect("bgnbd"), GammaGamma::fit(&set.spend).expect("gamma-gamma"));
    black_box(once());
    let (mut bg_ms, mut gg_ms) = (Vec::new(), Vec::new());
    let mut last = None;
    for _ in 0..runs {
        let t = Instant::now();
        let bg = black_box(BgNbd::fit(black_box(&set.histories)).expect("bgnbd"));
        bg_ms.push(t.elapsed().as_secs_f64() * 1e3);
        let t = Instant::now();
        let gg = black_box(GammaGamma::fit(black_box(&set.spend)).expect("gamma-gamma"));
        gg_ms.push(t.elapsed().as_secs_f64() * 1e3);
        last = Some((bg, gg));
    }
    let (bg, gg) = last.expect("at least one run");
    let p = bg.params;
    let g = gg.params;
    let fits = format!(
        "{{\"bgnbd\":{{\"r\":{},\"alpha\":{},\"a\":{},\"b\":{},\"logLikelihood\":{},\"iterations\":{},\"converged\":{}}},\
         \"gammaGamma\":{{\"p\":{},\"q\":{},\"gamma\":{},\"iterations\":{},\"converged\":{}}}}}",
        p.r, p.alpha, p.a, p.b, bg.log_likelihood, bg.iterations, bg.converged, g.p, g.q, g.gamma, gg.iterations, gg.converged
    );
    (stats(bg_ms), stats(gg_ms), fits)
}

#[allow(clippy::disallowed_methods)] // a benchmark reads the clock; core never does
fn main() {
    let env = |k: &str, d: usize| std::env::var(k).ok().and_then(|v| v.parse().ok()).unwrap_or(d);
    let customers = env("BENCH_CUSTOMERS", 1_000_000);
    let runs = env("BENCH_RUNS", 21);
    let small = cdnow();
    let t = Instant::now();
    let big = synthetic(customers);
    eprintln!("generated {customers} synthetic customers in {:.1} s", t.elapsed().as_secs_f64());
    let (cb, cg, cfit) = time(&small, runs);
    println!(
        "CDNOW ({} customers): BG/NBD {:.3} ms (min {:.3}, max {:.3}), Gamma-Gamma {:.3} ms",
        small.histories.len(),
        cb.median,
        cb.min,
        cb.max,
        cg.median
    );
    let big_runs = 3;
    let (sb, sg, sfit) = time(&big, big_runs);
    println!(
        "synthetic ({customers} customers): BG/NBD {:.1} ms (min {:.1}, max {:.1}), Gamma-Gamma {:.1} ms",
        sb.median, sb.min, sb.max, sg.median
    );
    println!(
        "BENCH_JSON {{\"runs\":{runs},\"cdnow\":{{\"customers\":{},\"bgnbdMs\":{},\"gammaGammaMs\":{},\"fits\":{cfit}}},\
         \"synthetic\":{{\"customers\":{customers},\"runs\":{big_runs},\"seed\":{SEED},\"bgnbdMs\":{},\"gammaGammaMs\":{},\"fits\":{sfit}}}}}",
        small.histories.len(),
        json(&cb),
        json(&cg),
        json(&sb),
        json(&sg)
    );
}
