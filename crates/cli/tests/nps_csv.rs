//! NPS and referrals (D38, D42) for a CSV user, on the committed shop sample in its vendors' formats (Klaviyo
//! profiles, Postmark and Mailchimp webhook logs, orders) plus a survey export (`fixtures/shop-nps.ndjson`):
//! `--format csv` carries the same per-month figures as `--format json` and `manifest.json`, and a run with
//! `--previous` compares its NPS and referrals with the figures that plan published, month by month and
//! latest month against latest month. Expected figures are worked by hand from the fixture (see its README).
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
    assert!(!rows.keys().any(|k| k.starts_with("nps_change.")), "no --previous, no comparison");

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

#[test]
fn previous_plan_comparison_shows_nps_and_referrals_then_and_now() {
    let tmp = tempfile::tempdir().expect("tempdir");
    let (october, november) = (tmp.path().join("oct"), tmp.path().join("nov"));
    shop("2026-10-26T12:00:00Z", &october, "json", &[]);
    let before = manifest(&october);
    // The October plan saw 10, 9, 3 (the 28th's answer is after its --now): (2 − 1) / 3.
    assert_eq!(before["nps"]["months"][0]["answers"], 3);

    let previous = october.to_str().expect("utf-8");
    let run = shop("2026-11-26T12:00:00Z", &november, "csv", &["--previous", previous]);
    let rows = rows(&run);
    assert_eq!(rows["nps_change.previous_now"], "2026-10-26T12:00:00Z");
    assert_eq!(rows["nps_change.previous_known"], "true");
    let latest = [
        ("previous_month", "2026-10"),
        ("previous", "33.333333"),
        ("current_month", "2026-11"),
        ("current", "25"),
        ("change", "-8.333333"),
        ("low_sample", "true"),
    ];
    assert_eq!(under(&rows, "nps_change.latest."), map(&latest));
    // October restated: the answer of the 28th arrived after the previous plan, +50 against +33.3.
    let restated = [
        ("previous_answers", "3"),
        ("answers", "4"),
        ("previous_nps", "33.333333"),
        ("nps", "50"),
        ("change", "16.666667"),
    ];
    assert_eq!(under(&rows, "nps_change.2026-10."), map(&restated));
    let new_month = [("previous_answers", ""), ("answers", "4"), ("previous_nps", ""), ("nps", "25"), ("change", "")];
    assert_eq!(under(&rows, "nps_change.2026-11."), map(&new_month));
    let referrals = [
        ("previous_month", "2026-10"),
        ("previous", "2"),
        ("current_month", "2026-11"),
        ("current", "1"),
        ("change", "-1"),
    ];
    assert_eq!(under(&rows, "referrals_change.latest."), map(&referrals));
    assert_eq!(
        under(&rows, "referrals_change.2026-10."),
        map(&[("previous_referrals", "2"), ("referrals", "2"), ("change", "0")])
    );

    // The same comparison in manifest.json (and `--format json`), instants as epoch ms.
    let m = manifest(&november);
    // The rest of what --previous adds to the summary is in the CSV too: the complaint rate's counts taken from
    // the October plan, and the contacts archived since it without a plan listing them in break-up.
    let from = &m["complaintRate"]["fromPrevious"];
    assert_eq!(rows["complaint_rate.from_previous.previous_now"], "2026-10-26T12:00:00Z");
    for field in ["complaints", "sends", "deliveries"] {
        assert_eq!(rows[&format!("complaint_rate.from_previous.{field}")], from[field].to_string(), "{field}");
    }
    assert_eq!(rows["break_up_unseen.contacts"], m["breakUpUnseen"]["contacts"].to_string());
    let change = &m["npsChange"];
    assert_eq!(change["previousNow"], 1_793_016_000_000_i64);
    assert_eq!(change["latest"]["previousMonth"], "2026-10");
    assert_eq!(change["latest"]["current"], 25.0);
    let october_row = change["months"].as_array().expect("months").iter().find(|r| r["month"] == "2026-10");
    let october_row = october_row.expect("2026-10 compared");
    assert_eq!(october_row["previous"]["answers"], 3);
    assert_eq!(october_row["current"]["answers"], 4);
    assert_eq!(m["referralsChange"]["latest"]["change"], -1);

    // And in report.html's NPS section, beside this plan's months.
    let html = std::fs::read_to_string(november.join("report.html")).expect("report.html");
    assert_eq!(cells(&html, "nps-change-2026-10"), ["+33.3 (n = 3)", "+50.0 (n = 4)", "+16.7 · too few to compare"]);
    assert_eq!(cells(&html, "nps-change-2026-11"), ["—", "+25.0 (n = 4)", "—"]);
    assert_eq!(cells(&html, "nps-change-latest"), ["+33.3 (2026-10)", "+25.0 (2026-11)", "-8.3 · too few to compare"]);
}

#[test]
fn previous_plan_without_nps_figures_is_said_so_and_a_bad_figure_is_refused() {
    let tmp = tempfile::tempdir().expect("tempdir");
    let (october, november) = (tmp.path().join("oct"), tmp.path().join("nov"));
    shop("2026-10-26T12:00:00Z", &october, "json", &[]);
    let path = october.join("manifest.json");
    let mut m = manifest(&october);
    // A plan written before NPS existed: its manifest has neither key.
    let object = m.as_object_mut().expect("object");
    let (nps, referrals) = (object.remove("nps").expect("nps"), object.remove("referrals").expect("referrals"));
    std::fs::write(&path, serde_json::to_vec(&m).expect("json")).expect("write");
    let previous = october.to_str().expect("utf-8");
    let rows = rows(&shop("2026-11-26T12:00:00Z", &november, "csv", &["--previous", previous]));
    assert_eq!(rows["nps_change.previous_known"], "false");
    assert!(!rows.keys().any(|k| k.starts_with("nps_change.20") || k.starts_with("nps_change.latest")));
    assert_eq!(rows["nps.2026-11.nps"], "25", "this run's own figures are there all the same");

    // A figure that does not read back: refused as the previous plan's other files are (exit 3), naming the file
    // and the month.
    let mut nps = nps;
    nps["months"][0]["answers"] = Value::from("three");
    m.as_object_mut().expect("object").extend([("nps".to_string(), nps), ("referrals".to_string(), referrals)]);
    std::fs::write(&path, serde_json::to_vec(&m).expect("json")).expect("write");
    let salt = november.with_extension("salt");
    let run = Command::new(env!("CARGO_BIN_EXE_rekindle"))
        .args(["plan", "--playbook", "examples/playbooks/ecommerce.json", "--now", "2026-11-26T12:00:00Z", "--quiet"])
        .args(["--contacts", "examples/data/shop/klaviyo-profiles.csv", "--previous", previous])
        .args(["--salt-file", salt.to_str().expect("utf-8"), "--out", november.to_str().expect("utf-8")])
        .current_dir(repo())
        .output()
        .expect("run");
    assert_eq!(run.status.code(), Some(3));
    let stderr = String::from_utf8_lossy(&run.stderr);
    assert!(stderr.contains("manifest.json") && stderr.contains("bad_figures"), "{stderr}");
    assert!(stderr.contains("nps.months[0]: invalid type: string \"three\""), "{stderr}");
}

/// The data cells of report.html's row `data-key="<key>"`.
fn cells(html: &str, key: &str) -> Vec<String> {
    let start = html.find(&format!("<tr data-key=\"{key}\">")).unwrap_or_else(|| panic!("no row {key}"));
    let end = start + html[start..].find("</tr>").expect("row end");
    html[start..end].split("<td>").skip(1).map(|c| c.split("</td>").next().expect("cell").to_string()).collect()
}
