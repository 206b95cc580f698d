//! NPS and referrals (D38, D42) for a CSV user, on the committed shop sample in its vendors' formats (Klaviyo
//! profiles, Postmark and Mailchimp webhook logs, orders) plus a survey export (`fixtures/shop-nps.ndjson`):
//! `--format csv` carries the same per-month figures as `--format json` and `manifest.json`. Expected figures
//! are worked by hand from the fixture (see its README).
#![allow(clippy::expect_used, clippy::indexing_slicing, clippy::panic)] // test helpers: a failed setup aborts the test

use std::collections::BTreeMap;
use std::path::{Path, PathBuf};
use std::process::{Command, Output};

use serde_json::Value;

fn repo() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("../..")
}

/// Plans the shop sample with the survey export at `now` into `out`, printing the summary in `format`.
fn shop(now: &str, out: &Path, format: &str, extra: &[&str]) -> Output {
    let salt = out.with_extension("salt");
    std::fs::write(&salt, "shop-nps-csv-test-salt-0123456789\n").expect("salt");
    let mut args = vec![
        "plan",
        "--playbook",
        "examples/playbooks/ecommerce.json",
        "--contacts",
        "examples/data/shop/klaviyo-profiles.csv",
        "--webhooks",
        "postmark:examples/data/shop/postmark-events.ndjson",
        "--webhooks",
        "mailchimp:examples/data/shop/mailchimp-webhooks.txt",
        "--events",
        "examples/data/shop/orders.ndjson",
        "--events",
        "crates/cli/tests/fixtures/shop-nps.ndjson",
        "--default-calling-code",
        "44",
        "--now",
        now,
        "--quiet",
        "--format",
        format,
        "--salt-file",
        salt.to_str().expect("utf-8"),
        "--out",
        out.to_str().expect("utf-8"),
    ];
    args.extend(extra);
    let run = Command::new(env!("CARGO_BIN_EXE_rekindle")).args(&args).current_dir(repo()).output().expect("run");
    // 4: the sample's rows made to be rejected (crates/cli/tests/examples.rs).
    assert_eq!(run.status.code(), Some(4), "{}", String::from_utf8_lossy(&run.stderr));
    run
}

/// stdout's `key,value` rows, checking the header and that no key repeats.
fn rows(run: &Output) -> BTreeMap<String, String> {
    let text = String::from_utf8(run.stdout.clone()).expect("utf-8");
    let mut lines = text.lines();
    assert_eq!(lines.next(), Some("key,value"));
    let mut rows = BTreeMap::new();
    for line in lines {
        let (k, v) = line.split_once(',').unwrap_or_else(|| panic!("not a key,value row: {line}"));
        assert!(rows.insert(k.to_string(), v.to_string()).is_none(), "key {k} twice");
    }
    rows
}

fn manifest(out: &Path) -> Value {
    serde_json::from_slice(&std::fs::read(out.join("manifest.json")).expect("manifest")).expect("json")
}

/// The rows under `prefix` (`nps.2026-10.`), without it.
fn under(rows: &BTreeMap<String, String>, prefix: &str) -> BTreeMap<String, String> {
    rows.iter().filter_map(|(k, v)| Some((k.strip_prefix(prefix)?.to_string(), v.clone()))).collect()
}

fn map(pairs: &[(&str, &str)]) -> BTreeMap<String, String> {
    pairs.iter().map(|(k, v)| (k.to_string(), v.to_string())).collect()
}

#[test]
fn csv_summary_carries_nps_and_referrals_per_month_as_the_json_does() {
    let tmp = tempfile::tempdir().expect("tempdir");
    let out = tmp.path().join("nov");
    let rows = rows(&shop("2026-11-26T12:00:00Z", &out, "csv", &[]));

    // 2026-10: 10, 9, 3 and (on the 28th) 9 → 3 promoters, 1 detractor of 4: (3 − 1) / 4 = +50.
    let october = [
        ("answers", "4"),
        ("promoters", "3"),
        ("passives", "0"),
        ("detractors", "1"),
        ("nps", "50"),
        ("low_sample", "true"),
    ];
    assert_eq!(under(&rows, "nps.2026-10."), map(&october));
    // 2026-11: omar's latest is 9 (his 6 superseded), anna 8, zoe 10, ivan 0 → (2 − 1) / 4 = +25.
    let november = [
        ("answers", "4"),
        ("promoters", "2"),
        ("passives", "1"),
        ("detractors", "1"),
        ("nps", "25"),
        ("low_sample", "true"),
    ];
    assert_eq!(under(&rows, "nps.2026-11."), map(&november));
    assert_eq!((rows["nps.superseded"].as_str(), rows["nps.outside"].as_str()), ("1", "0"));
    // 2026-10: two referrals; new customers piotr.dubois42 (10-09), zoe.moreau2 (10-10) and nora.rossi106
    // (10-14); only nora was referred before her first order (piotr's referral, by Klaviyo ID, came after his).
    let referrals = [("referrals", "2"), ("new_customers", "3"), ("referred", "1"), ("referred_share", "0.333333")];
    assert_eq!(under(&rows, "referrals.2026-10."), map(&referrals));
    // 2026-11: one referral of an unknown address, no new customer among the contacts: no share (empty cell).
    let referrals = [("referrals", "1"), ("new_customers", "0"), ("referred", "0"), ("referred_share", "")];
    assert_eq!(under(&rows, "referrals.2026-11."), map(&referrals));
    assert_eq!(rows["now"], "2026-11-26T12:00:00Z");

    // Every month of the JSON is in the CSV with the same figures (rounded to 6 places).
    let m = manifest(&out);
    let months = m["nps"]["months"].as_array().expect("nps months");
    assert_eq!(months.len(), 2, "{months:?}");
    for month in months {
        let key = |f: &str| format!("nps.{}.{f}", month["month"].as_str().expect("month"));
        assert_eq!(rows[&key("answers")], month["answers"].to_string());
        let nps: f64 = rows[&key("nps")].parse().expect("a number");
        assert!((nps - month["nps"].as_f64().expect("nps")).abs() < 1e-6);
    }
    let referral_months = m["referrals"]["months"].as_array().expect("referral months");
    for month in referral_months {
        let key = |f: &str| format!("referrals.{}.{f}", month["month"].as_str().expect("month"));
        assert_eq!(rows[&key("new_customers")], month["newCustomers"].to_string(), "{month}");
    }
    assert_eq!(under(&rows, "referrals.").keys().filter(|k| k.ends_with(".referrals")).count(), referral_months.len());
    // The rest of the summary the CSV used to leave out: the complaint rate (the sample's 6 complaints over 114
    // deliveries) and the instant decided at.
    let rate = &m["complaintRate"];
    assert_eq!(rows["complaint_rate.complaints"], rate["complaints"].to_string());
    assert_eq!(rows["complaint_rate.deliveries"], rate["deliveries"].to_string());
    assert_eq!(rows["complaint_rate.status"], rate["status"].as_str().expect("status"));
    assert_eq!(rows["complaint_rate.rate"], "0.052632");
}
