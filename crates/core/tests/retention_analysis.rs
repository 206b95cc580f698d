//! Retention analysis end to end (D36–D42): degenerate order logs get typed reasons or documented fallbacks and
//! never a non-finite number; the CDNOW log gives the paper's model; the analysis is deterministic.
#![allow(clippy::expect_used, clippy::unwrap_used, clippy::indexing_slicing, clippy::panic, missing_docs)]

use std::fs;
use std::path::PathBuf;

use rekindle_core::retention::analysis::{analyse, Analysis, Model, Options};
use rekindle_core::retention::rules::RetentionRules;
use rekindle_core::retention::{summarise, BgNbd, Period, Transaction};
use rekindle_core::{Timestamp, Value};

const DAY: i64 = 86_400_000;

fn day(d: i64) -> Timestamp {
    Timestamp::from_ms(d * DAY + 9 * 3_600_000).unwrap()
}

fn order(customer: &str, d: i64, amount: f64) -> Transaction {
    Transaction::new(customer, day(d), amount).unwrap()
}

fn run(log: &[Transaction], now: i64) -> Analysis {
    analyse(log, &RetentionRules::default(), &Options::default(), day(now))
}

fn unfit_code<P>(m: &Model<P>) -> Option<&'static str> {
    match m {
        Model::Unfit(u) => Some(u.code),
        Model::Fitted(_) => None,
    }
}

/// Every number in the analysis is finite.
fn assert_finite(a: &Analysis) {
    let mut all: Vec<f64> = vec![a.kpis.revenue, a.kpis.returning_revenue, a.kpis.returning_revenue_share];
    for c in &a.customers {
        all.extend([c.summary.monetary, c.summary.total, c.summary.history.recency, c.summary.history.age]);
        all.extend(
            [c.p_alive, c.p_return, c.expected_purchases, c.expected_order_value, c.clv, c.winback_priority]
                .into_iter()
                .flatten(),
        );
    }
    for m in &a.kpis.months {
        all.extend([m.revenue, m.returning_revenue, m.churn_rate]);
    }
    for c in &a.kpis.cohorts {
        all.extend(c.retained.iter().copied());
    }
    if let Model::Fitted(f) = &a.bgnbd {
        all.extend([f.params.r, f.params.alpha, f.params.a, f.params.b, f.log_likelihood]);
    }
    if let Model::Fitted(f) = &a.gamma_gamma {
        all.extend([f.params.p, f.params.q, f.params.gamma, f.log_likelihood]);
    }
    assert!(all.iter().all(|v| v.is_finite()), "{all:?}");
}

#[test]
fn an_empty_log_is_an_empty_analysis_with_both_models_unfit() {
    let a = run(&[], 100);
    assert!(a.customers.is_empty());
    assert_eq!((unfit_code(&a.bgnbd), unfit_code(&a.gamma_gamma)), (Some("no_customers"), Some("no_customers")));
    assert_eq!(a.kpis.revenue, 0.0);
    assert_finite(&a);
}

#[test]
fn one_customer_gets_rfm_and_alerts_but_no_model() {
    let log = [order("solo", 0, 10.0), order("solo", 20, 15.0), order("solo", 40, 12.0)];
    let a = run(&log, 200);
    assert_eq!(unfit_code(&a.bgnbd), Some("too_few_customers"));
    assert_eq!(a.rfm.breakpoints.levels, 3, "a small base scores 1–3");
    let c = &a.customers[0];
    assert_eq!((c.p_alive, c.clv, c.winback_priority), (None, None, None));
    assert_eq!(c.churn.as_ref().unwrap().reasons[0].code(), "purchase_gap");
    assert!(!c.active);
    assert_finite(&a);
}

#[test]
fn without_repeat_buyers_bgnbd_says_so_and_spend_has_nothing_to_fit() {
    let log: Vec<Transaction> = (0..50).map(|i| order(&format!("c{i}"), i, 10.0 + i as f64)).collect();
    let a = run(&log, 100);
    assert_eq!(unfit_code(&a.bgnbd), Some("no_repeat_buyers"));
    assert_eq!(unfit_code(&a.gamma_gamma), Some("no_spend"));
    assert!(a.customers.iter().all(|c| !c.returning && c.p_alive.is_none()));
    assert_eq!(a.kpis.returning_revenue_share, 0.0);
    assert_finite(&a);
}

#[test]
fn when_every_first_order_is_on_the_last_day_there_is_no_observation_time() {
    let log = [order("a", 10, 5.0), order("b", 10, 6.0), order("a", 10, 7.0)];
    let a = run(&log, 10);
    assert_eq!(unfit_code(&a.bgnbd), Some("no_observation_time"));
    assert_finite(&a);
}

#[test]
fn zero_amounts_fit_bgnbd_but_leave_spend_and_clv_unknown() {
    let log: Vec<Transaction> =
        (0..40).flat_map(|i| [order(&format!("c{i}"), i, 0.0), order(&format!("c{i}"), i + 5 + i % 7, 0.0)]).collect();
    let mut more: Vec<Transaction> = (40..80).map(|i| order(&format!("c{i}"), i, 0.0)).collect();
    more.extend(log);
    let a = run(&more, 120);
    assert!(a.bgnbd.params().is_some());
    assert_eq!(unfit_code(&a.gamma_gamma), Some("no_spend"));
    assert!(a.customers.iter().all(|c| c.clv.is_none() && c.expected_order_value.is_none()));
    // P(alive) for repeat buyers only: BG/NBD holds a one-time buyer alive whatever their silence.
    assert!(a.customers.iter().all(|c| c.p_alive.is_some() == c.returning));
    assert_finite(&a);
}

#[test]
fn orders_after_now_are_left_out_and_customers_who_start_later_are_absent() {
    let log = [order("a", 0, 5.0), order("a", 50, 6.0), order("b", 60, 7.0)];
    let a = run(&log, 40);
    assert_eq!(a.customers.len(), 1);
    assert_eq!((a.customers[0].summary.orders, a.customers[0].summary.total), (1, 5.0));
}

fn cdnow_log() -> Vec<Transaction> {
    let path = PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("tests/fixtures/cdnow/CDNOW_sample.txt");
    fs::read_to_string(path)
        .unwrap()
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

#[test]
fn the_cdnow_log_analysed_in_weeks_fits_the_papers_model() {
    let end = Timestamp::parse(&Value::String("1997-09-30T00:00:00Z".into()), "end").unwrap();
    let log = cdnow_log();
    let options = Options { unit_days: Some(7), ..Options::default() };
    let a = analyse(&log, &RetentionRules::default(), &options, end);
    let Model::Fitted(fit) = &a.bgnbd else { panic!("{:?}", a.bgnbd) };
    let direct: Vec<_> = summarise(&log, Period::Day, 7, end).iter().map(|s| s.history).collect();
    assert_eq!(fit.params, BgNbd::fit(&direct).unwrap().params);
    let p = fit.params;
    // Full-precision recency and T (the published summary rounds them to 0.01 week).
    for (got, paper) in [(p.r, 0.243), (p.alpha, 4.414), (p.a, 0.793), (p.b, 2.426)] {
        assert!((got - paper).abs() / paper < 0.01, "{p:?}");
    }
    assert_eq!(a.customers.len(), 2357);
    assert_eq!(a.rfm.breakpoints.levels, 5);
    assert_eq!(a.rfm.cells.iter().map(|c| c.customers).sum::<u32>(), 2357);
    assert!(a.alerts > 0 && a.customers.iter().any(|c| c.winback_priority.is_some()));
    assert_eq!(a.p_alive_histogram.iter().sum::<u32>() + a.one_time_buyers, 2357);
    assert_finite(&a);
}

#[test]
fn the_analysis_is_deterministic() {
    let end = Timestamp::parse(&Value::String("1997-09-30T00:00:00Z".into()), "end").unwrap();
    let log = cdnow_log();
    let mut shuffled = log.clone();
    shuffled.reverse();
    let options = Options { unit_days: Some(7), ..Options::default() };
    let one = serde_json::to_string(&analyse(&log, &RetentionRules::default(), &options, end)).unwrap();
    let two = serde_json::to_string(&analyse(&shuffled, &RetentionRules::default(), &options, end)).unwrap();
    assert!(one == two, "input order changed the analysis");
}

#[test]
fn one_time_buyers_have_no_p_alive_and_a_no_repeat_alert_past_twice_the_bases_time_to_a_second_order() {
    // 21 repeat buyers came back 10, 11, …, 30 days after their first order: median 20 days, so a one-time buyer
    // is flagged 2 × 20 = 40 days after their order (default gap_factor 2).
    let mut log: Vec<Transaction> = (0..21)
        .flat_map(|i| [order(&format!("r{i:02}"), i, 30.0), order(&format!("r{i:02}"), i + 10 + i, 40.0)])
        .collect();
    // 20 one-time buyers, ordering every 15 days from day 100: at day 400, 18 of them are older than 40 days.
    log.extend((0..20).map(|i| order(&format!("o{i:02}"), 100 + 15 * i, 25.0)));
    let a = run(&log, 400);
    assert!(a.bgnbd.params().is_some(), "{:?}", a.bgnbd);
    assert_eq!(a.typical_repeat_days, Some(20.0));
    let once: Vec<_> = a.customers.iter().filter(|c| !c.returning).collect();
    assert_eq!(once.len(), 20);
    // BG/NBD would say 1 for each of them: a threshold on P(alive) could never catch one.
    assert!(once.iter().all(|c| c.p_alive.is_none() && c.profile.0.contains(&("p_alive", None))));
    let flagged: Vec<_> = once.iter().filter(|c| c.churn.is_some()).collect();
    assert_eq!(flagged.len(), 18);
    for c in flagged {
        let alert = c.churn.as_ref().unwrap();
        let reason = serde_json::to_value(&alert.reasons[0]).unwrap();
        assert_eq!(reason["kind"], "noRepeat");
        assert_eq!((reason["typicalRepeatDays"].as_f64(), reason["thresholdDays"].as_f64()), (Some(20.0), Some(40.0)));
        assert_eq!(alert.fired_at.ms(), c.summary.first.ms() + 40 * DAY, "{}", c.summary.customer);
        assert!(c.profile.0.contains(&("churn_reason", Some(rekindle_core::Scalar::Str("no_repeat".into())))));
    }
    assert!(a.customers.iter().filter(|c| c.returning).all(|c| c.p_alive.is_some()));
    assert_finite(&a);
}

#[test]
fn without_repeat_buyers_a_one_time_buyer_is_flagged_after_active_within() {
    let log: Vec<Transaction> = (0..10).map(|i| order(&format!("c{i}"), 20 * i, 10.0)).collect();
    let a = run(&log, 200); // default active_within: 90 days
    assert_eq!(a.typical_repeat_days, None);
    let flagged: Vec<&str> =
        a.customers.iter().filter(|c| c.churn.is_some()).map(|c| c.summary.customer.as_str()).collect();
    assert_eq!(flagged, ["c0", "c1", "c2", "c3", "c4", "c5"]); // ordered on days 0–100, more than 90 days ago
}

#[test]
fn a_spend_without_finite_mean_is_reported_as_such_not_as_fitted() {
    // 200 repeat buyers whose mean spends spread over two decades (10 to 1,000): the fit gives q ≈ 0.78 < 1.
    let log: Vec<Transaction> = (0..200u32)
        .flat_map(|i| {
            let spend = 10.0 * 10f64.powf(2.0 * (f64::from(i) * 0.618_034).fract());
            let id = format!("c{i:03}");
            let first = order(&id, i64::from(i % 30), 20.0);
            core::iter::once(first).chain((1..=1 + i % 5).map(move |k| order(&id, i64::from(i % 30 + 7 * k), spend)))
        })
        .collect();
    let a = run(&log, 200);
    let Model::Fitted(fit) = &a.gamma_gamma else { panic!("{:?}", a.gamma_gamma) };
    assert!(fit.params.q <= 1.0, "{:?}", fit.params);
    assert!(fit.warnings.contains(&rekindle_core::retention::FitWarning::NoFiniteMean), "{:?}", fit.warnings);
    let json = serde_json::to_value(&a.gamma_gamma).unwrap();
    assert_eq!(json["status"], "noFiniteMean");
    assert!(json["warnings"].as_array().unwrap().iter().any(|w| w["kind"] == "noFiniteMean"));
    assert!(a.customers.iter().all(|c| c.expected_order_value.is_none() && c.clv.is_none()));
    assert_eq!(serde_json::to_value(&a.bgnbd).unwrap()["status"], "fitted");
    assert_finite(&a);
}
