//! `report.html` through the real binary: written, listed in the manifest, showing plan.json's funnel, free of
//! scripts, network references and personal data, escaping what it quotes, and counting complaints, sends and
//! person engagement by the documented rules.
#![allow(clippy::expect_used, clippy::indexing_slicing, clippy::panic)] // test helpers: a failed setup aborts the test

use std::collections::BTreeMap;
use std::path::{Path, PathBuf};
use std::process::{Command, Output};

use sha2::{Digest, Sha256};

const SAAS: &str = "examples/playbooks/saas.json";
const CONTACTS: &str = "examples/data/plan/contacts.csv";
const EVENTS: &str = "examples/data/plan/events.ndjson";
const NOW: &str = "2026-11-26T12:00:00Z";
const NOW_MS: i64 = 1_795_694_400_000;
const DAY_MS: i64 = 86_400_000;

fn repo() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("../..")
}

fn plan(contacts: &str, events: &str, out: &Path, extra: &[&str]) -> Output {
    let out = out.to_str().expect("utf-8 path");
    let mut args = vec!["plan", "--playbook", SAAS, "--contacts", contacts, "--events", events, "--now", NOW];
    args.extend(["--out", out, "--quiet"]);
    args.extend(extra);
    Command::new(env!("CARGO_BIN_EXE_rekindle")).args(&args).current_dir(repo()).output().expect("run rekindle")
}

fn ok(run: &Output) {
    assert_eq!(run.status.code(), Some(0), "{}", String::from_utf8_lossy(&run.stderr));
}

fn read(path: &Path) -> String {
    std::fs::read_to_string(path).unwrap_or_else(|e| panic!("read {}: {e}", path.display()))
}

/// The data cells of the table row `data-key="<key>"`.
fn row(html: &str, key: &str) -> Vec<String> {
    let start = html.find(&format!("<tr data-key=\"{key}\">")).unwrap_or_else(|| panic!("no row {key}"));
    let end = start + html[start..].find("</tr>").expect("row end");
    html[start..end].split("<td>").skip(1).map(|c| c.split("</td>").next().expect("cell").to_string()).collect()
}

#[test]
fn report_is_listed_in_the_manifest_and_shows_the_lifecycle_funnel_of_plan_json() {
    let tmp = tempfile::tempdir().expect("tempdir");
    let out = tmp.path().join("plan");
    ok(&plan(CONTACTS, EVENTS, &out, &[]));
    let bytes = std::fs::read(out.join("report.html")).expect("report.html exists");
    let manifest: serde_json::Value = serde_json::from_str(&read(&out.join("manifest.json"))).expect("manifest");
    let listed = manifest["files"].as_array().expect("files").iter().find(|f| f["path"] == "report.html");
    let listed = listed.expect("report.html is listed in the manifest");
    assert_eq!(listed["sha256"].as_str(), Some(format!("{:x}", Sha256::digest(&bytes)).as_str()));

    let html = String::from_utf8(bytes).expect("utf-8");
    let plan_json: serde_json::Value = serde_json::from_str(&read(&out.join("plan.json"))).expect("plan.json");
    let mut funnel: BTreeMap<String, u64> = BTreeMap::new();
    for r in plan_json.as_array().expect("array") {
        *funnel.entry(r["lifecycle"]["state"].as_str().expect("state").to_string()).or_insert(0) += 1;
    }
    assert_eq!(funnel.len(), 7, "the sample covers every phase: {funnel:?}");
    for (state, n) in &funnel {
        assert_eq!(row(&html, state)[0], n.to_string(), "phase {state}");
    }
    // The look back ends at --now with the same counts, in funnel order.
    let order = ["active", "cooling", "cold", "soft_reactivation", "break_up", "archived", "erased"];
    let at_now = row(&html, NOW);
    for (i, state) in order.iter().enumerate() {
        assert_eq!(at_now[i], funnel[*state].to_string(), "{state} at --now in the look back");
    }
    assert_eq!(html.matches("<tr data-key=\"20").count(), 13, "13 monthly instants");
    assert!(html.starts_with("<!doctype html>\n<html lang=\"en\">"));
    assert_eq!(html.matches("<figure>").count(), html.matches("<figcaption>").count());
    assert_eq!(html.matches("<figure>").count(), html.matches("<svg ").count(), "one chart per figure");
    assert!(html.matches("<table>").count() >= html.matches("<figure>").count(), "every chart has a table");
}

#[test]
fn report_has_no_script_no_network_reference_and_no_contact_id_or_email() {
    let tmp = tempfile::tempdir().expect("tempdir");
    let out = tmp.path().join("plan");
    ok(&plan(CONTACTS, EVENTS, &out, &[]));
    let html = read(&out.join("report.html"));
    let lower = html.to_lowercase();
    for banned in ["<script", " src=", "href=", "http:", "https:", "url(", "@import", "//"] {
        assert!(!lower.contains(banned), "report.html contains {banned:?}");
    }
    let contacts = read(&repo().join(CONTACTS));
    let mut personal: Vec<String> = Vec::new();
    for line in contacts.lines().skip(1) {
        let cells: Vec<&str> = line.split(',').collect();
        personal.push(cells[0].to_lowercase()); // id
        personal.push(cells[1].trim().to_lowercase()); // email
        personal.push(format!(">{}<", cells[2].to_lowercase())); // first name as a whole cell
    }
    for line in read(&repo().join(EVENTS)).lines() {
        let event: serde_json::Value = serde_json::from_str(line).expect("sample event");
        personal.push(event["contact"].as_str().expect("contact").to_lowercase());
    }
    personal.retain(|p| p.len() > 2);
    for p in &personal {
        assert!(!lower.contains(p.as_str()), "report.html contains personal data {p:?}");
    }
    assert!(!html.contains('@'), "no address of any kind");
}

#[test]
fn report_escapes_input_names_and_is_byte_identical_on_rerun_with_the_price_flags() {
    let tmp = tempfile::tempdir().expect("tempdir");
    let odd = tmp.path().join("a<b>&\"c\".csv");
    std::fs::copy(repo().join(CONTACTS), &odd).expect("copy contacts");
    let odd = odd.to_str().expect("utf-8");
    let (a, b) = (tmp.path().join("a"), tmp.path().join("b"));
    let price = ["--cost-per-contact", "0.5", "--currency", "eur"];
    ok(&plan(odd, EVENTS, &a, &price));
    ok(&plan(odd, EVENTS, &b, &price));
    let html = read(&a.join("report.html"));
    assert_eq!(html, read(&b.join("report.html")), "same input and --now, same bytes");
    assert!(html.contains("a&lt;b&gt;&amp;&quot;c&quot;.csv") && !html.contains("a<b>"), "the file name is escaped");
    // The sample archives 6 and erases 6 contacts: 12 × 0.5 EUR.
    assert!(html.contains("<strong>6.00 EUR</strong>"), "saving estimate with the given price and currency");
    assert!(html.contains("estimate"));

    let bad = plan(CONTACTS, EVENTS, &tmp.path().join("c"), &["--currency", "euros"]);
    assert_eq!(bad.status.code(), Some(2), "a currency that is not an ISO 4217 code is a usage error");
    assert!(String::from_utf8_lossy(&bad.stderr).contains("ISO 4217"));
    let bad = plan(CONTACTS, EVENTS, &tmp.path().join("d"), &["--cost-per-contact", "-1"]);
    assert_eq!(bad.status.code(), Some(2), "a negative price is a usage error");
}

#[test]
fn complaint_rate_counts_marketing_sends_of_the_last_30_days_and_engagement_ignores_machine_opens() {
    let tmp = tempfile::tempdir().expect("tempdir");
    let contacts = tmp.path().join("contacts.csv");
    std::fs::write(&contacts, "id,email\nk-1,one@example.test\nk-2,two@example.test\n").expect("contacts");
    let at = |ms: i64| serde_json::json!(ms);
    let mut lines = Vec::new();
    for i in 0..500 {
        // One send an hour over the last ~21 days, plus receipts and old sends that must not count.
        let t = NOW_MS - (i + 1) * 3_600_000;
        lines.push(serde_json::json!({"contact": "k-1", "at": at(t), "kind": "email_sent"}));
    }
    for i in 0..50 {
        let t = NOW_MS - (i + 1) * 3_600_000;
        let receipt = serde_json::json!({"transactional": true});
        lines.push(serde_json::json!({"contact": "k-1", "at": at(t), "kind": "email_sent", "props": receipt}));
        lines.push(
            serde_json::json!({"contact": "k-2", "at": at(NOW_MS - 40 * DAY_MS - t % 1000), "kind": "email_sent"}),
        );
    }
    lines.push(serde_json::json!({"contact": "k-1", "at": at(NOW_MS - 2 * DAY_MS), "kind": "spam_complaint"}));
    lines.push(serde_json::json!({"contact": "k-2", "at": at(NOW_MS - DAY_MS), "kind": "email_open", "machine": true}));
    lines.push(serde_json::json!({"contact": "k-2", "at": at(NOW_MS - 60 * DAY_MS), "kind": "email_click"}));
    let events = tmp.path().join("events.ndjson");
    let text: Vec<String> = lines.iter().map(|l| l.to_string()).collect();
    std::fs::write(&events, text.join("\n") + "\n").expect("events");
    let out = tmp.path().join("plan");
    ok(&plan(contacts.to_str().expect("utf-8"), events.to_str().expect("utf-8"), &out, &[]));
    let html = read(&out.join("report.html"));
    assert_eq!(row(&html, "complaints"), ["1"]);
    assert_eq!(row(&html, "sends"), ["500"], "receipts and sends older than 30 days are not counted");
    assert_eq!(row(&html, "rate"), ["0.20 %"]);
    assert!(html.contains("class=\"status-warn\">warning: at or above 0.1 %"), "between the two lines: a warning");
    assert_eq!(row(&html, "open"), ["0.0 % (0)"; 3], "a machine open is not a person's");
    assert_eq!(row(&html, "click"), ["0.0 % (0)", "50.0 % (1)", "50.0 % (1)"]);
}

#[test]
fn a_per_send_price_estimates_the_saving_at_the_lists_own_mailing_rate() {
    // Three contacts mailed 10 times each in the last 30 days, one erased: 1 removed × (30 mailed / 3 on the
    // list = 10 emails a month) × 0.002 = 0.02 a month per send; per contact at the default 0.01: 0.01.
    let tmp = tempfile::tempdir().expect("tempdir");
    let contacts = tmp.path().join("contacts.csv");
    let csv = "id,email\nk-1,one@example.test\nk-2,two@example.test\nk-3,three@example.test\nk-4,four@example.test\n";
    std::fs::write(&contacts, csv).expect("contacts");
    let mut lines = Vec::new();
    for contact in ["k-1", "k-2", "k-3"] {
        for i in 0..10 {
            let at = NOW_MS - (i + 1) * 2 * DAY_MS;
            lines.push(serde_json::json!({"contact": contact, "at": at, "kind": "email_sent"}).to_string());
        }
    }
    lines.push(serde_json::json!({"contact": "k-4", "at": NOW_MS - DAY_MS, "kind": "erasure_request"}).to_string());
    let events = tmp.path().join("events.ndjson");
    std::fs::write(&events, lines.join("\n") + "\n").expect("events");
    let (contacts, events) = (contacts.to_str().expect("utf-8"), events.to_str().expect("utf-8"));
    let out = tmp.path().join("plan");
    ok(&plan(contacts, events, &out, &["--cost-per-send", "0.002", "--currency", "eur"]));
    let html = read(&out.join("report.html"));
    assert!(html.contains("<caption>Billed per send instead (D3)</caption>"), "the per-send table");
    assert!(html.contains("<td>30</td>") && html.contains("<td>10.00</td>"), "30 mailed, 10 per contact and month");
    assert!(html.contains("Billed per send: <strong>0.02 EUR</strong> a month (1 contacts × 10.00 emails × 0.002 EUR)"));
    assert!(html.contains("<strong>0.01 EUR</strong> (1 contacts × 0.01 EUR)"), "the per-contact estimate stays");

    let without = tmp.path().join("plain");
    ok(&plan(contacts, events, &without, &[]));
    assert!(!read(&without.join("report.html")).contains("Billed per send"), "only with --cost-per-send");
    let bad = plan(contacts, events, &tmp.path().join("bad"), &["--cost-per-send", "NaN"]);
    assert_eq!(bad.status.code(), Some(2), "a price that is not a number is a usage error");
    assert!(String::from_utf8_lossy(&bad.stderr).contains("price per email sent"));
}
