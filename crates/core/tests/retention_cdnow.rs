//! The CDNOW sample (2,357 customers, 39-week calibration) that `lifetimes` ships: rekindle's BG/NBD fit
//! reproduces Fader, Hardie & Lee (2005) and its Gamma-Gamma fit and predictions match lifetimes 0.11.3
//! (crates/core/tests/fixtures/cdnow, numbers written by scripts/cdnow-reference.py). D38, D40.
#![allow(clippy::expect_used, clippy::unwrap_used, clippy::indexing_slicing, clippy::panic, missing_docs)]

use std::fs;
use std::path::PathBuf;

use rekindle_core::retention::clv::{clv, Horizon};
use rekindle_core::retention::{summarise, BgNbd, GammaGamma, History, Period, Transaction};
use rekindle_core::{Timestamp, Value};
use serde_json::Value as Json;

fn fixture(name: &str) -> String {
    let path = PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("tests/fixtures/cdnow").join(name);
    fs::read_to_string(&path).unwrap_or_else(|e| panic!("{}: {e}", path.display()))
}

/// (id, x, tₓ, T, m) rows of a lifetimes summary CSV with a header.
fn rows(name: &str) -> Vec<(u32, u32, f64, f64, f64)> {
    fixture(name)
        .lines()
        .skip(1)
        .map(|line| {
            let f: Vec<&str> = line.split(',').collect();
            let num = |i: usize| f.get(i).map_or(0.0, |v| v.parse::<f64>().unwrap());
            (f[0].parse().unwrap(), num(1) as u32, num(2), num(3), num(4))
        })
        .collect()
}

fn reference() -> Json {
    serde_json::from_str(&fixture("lifetimes-reference.json")).unwrap()
}

fn sig3(x: f64) -> String {
    format!("{:.2e}", x)
}

fn rel(a: f64, b: f64) -> f64 {
    (a - b).abs() / b.abs()
}

fn histories() -> Vec<History> {
    rows("cdnow_customers_summary.csv").iter().map(|r| History::new(r.1, r.2, r.3)).collect()
}

#[test]
fn bgnbd_on_cdnow_reproduces_the_papers_estimates_to_three_significant_figures() {
    let data = histories();
    assert_eq!(data.len(), 2357);
    let fit = BgNbd::fit(&data).unwrap();
    let p = fit.params;
    let paper = &reference()["paper"];
    for (name, got) in [("r", p.r), ("alpha", p.alpha), ("a", p.a), ("b", p.b)] {
        let want = paper[name].as_f64().unwrap();
        assert_eq!(sig3(got), sig3(want), "{name}: {got} vs the paper's {want}");
    }
    assert!((fit.log_likelihood - -9582.4).abs() < 0.05, "log-likelihood {}", fit.log_likelihood);
    assert!(fit.converged, "{fit:?}");
    assert!(fit.warnings.is_empty(), "{:?}", fit.warnings);
}

#[test]
fn bgnbd_on_cdnow_matches_lifetimes_to_five_digits_and_has_at_least_its_likelihood() {
    let fit = BgNbd::fit(&histories()).unwrap();
    let lt = &reference()["bgnbd"];
    let p = fit.params;
    for (name, got) in [("r", p.r), ("alpha", p.alpha), ("a", p.a), ("b", p.b)] {
        let want = lt[name].as_f64().unwrap();
        assert!(rel(got, want) < 1e-4, "{name}: {got} vs lifetimes {want}");
    }
    assert!(fit.log_likelihood >= lt["logLikelihood"].as_f64().unwrap() - 1e-9);
}

#[test]
fn gamma_gamma_on_cdnow_matches_lifetimes_within_1e_3_relative() {
    let data: Vec<(u32, f64)> =
        rows("cdnow_customers_summary_with_transactions.csv").iter().map(|r| (r.1, r.4)).collect();
    let fit = GammaGamma::fit(&data).unwrap();
    let lt = &reference()["gammaGamma"];
    assert_eq!(fit.customers as u64, lt["customers"].as_u64().unwrap());
    let p = fit.params;
    for (name, got) in [("p", p.p), ("q", p.q), ("gamma", p.gamma)] {
        let want = lt[name].as_f64().unwrap();
        assert!(rel(got, want) < 1e-3, "{name}: {got} vs lifetimes {want}");
    }
    assert!(fit.converged);
}

#[test]
fn predictions_on_cdnow_match_lifetimes_customer_by_customer() {
    let reference = reference();
    let bg = BgNbd::fit(&histories()).unwrap().params;
    let spend: Vec<(u32, f64)> =
        rows("cdnow_customers_summary_with_transactions.csv").iter().map(|r| (r.1, r.4)).collect();
    let gg = GammaGamma::fit(&spend).unwrap().params;
    let horizon = Horizon { months: 12, periods_per_month: 4.345, monthly_discount: 0.01 };
    let new = bg.expected_purchases(39.0).unwrap();
    assert!(rel(new, reference["expectedPurchasesNewCustomer39"].as_f64().unwrap()) < 1e-4, "{new}");
    for c in reference["customers"].as_array().unwrap() {
        let f = |k: &str| c[k].as_f64().unwrap();
        let h = History::new(f("frequency") as u32, f("recency"), f("T"));
        let id = &c["id"];
        let p_alive = bg.p_alive(h.frequency, h.recency, h.age);
        assert!((p_alive - f("pAlive")).abs() < 1e-4, "customer {id}: P(alive) {p_alive} vs {}", f("pAlive"));
        let e = bg.conditional_expected_purchases(39.0, h.frequency, h.recency, h.age).unwrap();
        assert!(rel(e, f("expectedPurchases39")) < 1e-4, "customer {id}: E[purchases] {e}");
        let v = gg.expected_average_value(h.frequency, f("monetary")).unwrap();
        assert!(rel(v, f("expectedAverageValue")) < 1e-3, "customer {id}: E[value] {v}");
        let value = clv(&bg, &h, v, &horizon).unwrap();
        assert!(rel(value, f("clv12Months")) < 1e-3, "customer {id}: CLV {value} vs {}", f("clv12Months"));
    }
}

/// CDNOW_sample.txt: master id, sample id, YYYYMMDD, CDs, dollars.
fn cdnow_log() -> Vec<Transaction> {
    fixture("CDNOW_sample.txt")
        .lines()
        .map(|line| {
            let f: Vec<&str> = line.split_whitespace().collect();
            let d = f[2];
            let iso = format!("{}-{}-{}T00:00:00Z", &d[..4], &d[4..6], &d[6..8]);
            let at = Timestamp::parse(&Value::String(iso), "date").unwrap();
            Transaction::new(f[1].trim_start_matches('0'), at, f[4].parse().unwrap()).unwrap()
        })
        .collect()
}

fn summary_matches_lifetimes(period: Period, unit_days: u32, file: &str) {
    let end = Timestamp::parse(&Value::String("1997-09-30T00:00:00Z".into()), "end").unwrap();
    let ours = summarise(&cdnow_log(), period, unit_days, end);
    let mut theirs = rows(file);
    theirs.sort_by_key(|r| r.0.to_string());
    assert_eq!(ours.len(), theirs.len());
    for (s, t) in ours.iter().zip(&theirs) {
        assert_eq!(s.customer, t.0.to_string());
        let h = s.history;
        assert_eq!(h.frequency, t.1, "customer {}", t.0);
        assert!((h.recency - t.2).abs() < 1e-12 && (h.age - t.3).abs() < 1e-12, "customer {}: {h:?} vs {t:?}", t.0);
        assert!((s.monetary - t.4).abs() <= 1e-12 * t.4.max(1.0), "customer {}: {} vs {}", t.0, s.monetary, t.4);
    }
}

#[test]
fn transaction_log_summary_matches_lifetimes_daily_periods_in_weeks() {
    summary_matches_lifetimes(Period::Day, 7, "lifetimes-summary-day-weeks.csv");
}

#[test]
fn transaction_log_summary_matches_lifetimes_weekly_periods() {
    summary_matches_lifetimes(Period::Week, 7, "lifetimes-summary-week.csv");
}

#[test]
fn summary_of_the_log_rounds_to_the_published_cdnow_summary() {
    let end = Timestamp::parse(&Value::String("1997-09-30T00:00:00Z".into()), "end").unwrap();
    let ours = summarise(&cdnow_log(), Period::Day, 7, end);
    let mut published = rows("cdnow_customers_summary_with_transactions.csv");
    published.sort_by_key(|r| r.0.to_string());
    for (s, p) in ours.iter().zip(&published) {
        let h = s.history;
        assert_eq!((s.customer.clone(), h.frequency), (p.0.to_string(), p.1));
        let round2 = |v: f64| (v * 100.0).round() / 100.0;
        assert_eq!((round2(h.recency), round2(h.age)), (p.2, p.3), "customer {}", p.0);
        assert!((s.monetary - p.4).abs() <= 0.005 + 1e-9, "customer {}: {} vs {}", p.0, s.monetary, p.4);
    }
}
