//! The committed vendor-format samples (examples/data/b2b and examples/data/shop, written by
//! examples/data/gen-vendor-sample.mjs) through `rekindle plan` as a marketing-ops user runs it: every contact
//! lands in the lifecycle state its archetype was generated for (expected.csv), the rows and deliveries the
//! generator adds to exercise the adapters are merged, rejected or folded once, and report.html shows the
//! campaign's KPIs and reactivation revenue (D12).
#![allow(clippy::expect_used, clippy::indexing_slicing, clippy::panic)] // test helpers: a failed setup aborts the test

use std::collections::BTreeMap;
use std::path::{Path, PathBuf};
use std::process::{Command, Output};

use serde_json::{json, Value};

const NOW: &str = "2026-11-26T12:00:00Z";

fn repo() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("../..")
}

fn run(args: &[&str], out: &Path) -> (Output, Value) {
    let mut all = vec!["plan", "--now", NOW, "--quiet", "--format", "json", "--out", out.to_str().expect("utf-8")];
    all.extend(args);
    let output = Command::new(env!("CARGO_BIN_EXE_rekindle")).args(&all).current_dir(repo()).output().expect("run");
    let summary = serde_json::from_slice(&output.stdout).unwrap_or(Value::Null);
    (output, summary)
}

fn b2b(out: &Path, extra: &[&str]) -> (Output, Value) {
    let mut args = vec![
        "--playbook",
        "examples/playbooks/saas.json",
        "--contacts",
        "examples/data/b2b/hubspot-contacts.csv",
        "--webhooks",
        "sendgrid:examples/data/b2b/sendgrid-events.ndjson",
        "--webhooks",
        "mailgun:examples/data/b2b/mailgun-events.ndjson",
        "--events",
        "examples/data/b2b/site-events.ndjson",
        "--default-calling-code",
        "1",
    ];
    args.extend(extra);
    run(&args, out)
}

fn shop(out: &Path) -> (Output, Value) {
    let args = [
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
        "--default-calling-code",
        "44",
    ];
    run(&args, out)
}

/// Every contact of expected.csv is in plan.json in its expected lifecycle state; returns how many.
fn every_contact_in_its_archetype_state(sample: &str, out: &Path) -> usize {
    let expected =
        std::fs::read_to_string(repo().join("examples/data").join(sample).join("expected.csv")).expect("csv");
    let plan: Value = serde_json::from_slice(&std::fs::read(out.join("plan.json")).expect("plan.json")).expect("json");
    let states: BTreeMap<&str, &str> = plan
        .as_array()
        .expect("rows")
        .iter()
        .map(|r| (r["id"].as_str().expect("id"), r["lifecycle"]["state"].as_str().expect("state")))
        .collect();
    let mut n = 0;
    for line in expected.lines().skip(1) {
        let cells: Vec<&str> = line.split(',').collect();
        let (id, archetype, state) = (cells[0], cells[1], cells[2]);
        assert_eq!(states.get(id).copied(), Some(state), "{sample} contact {id} ({archetype})");
        n += 1;
    }
    assert_eq!(n, states.len(), "{sample}: every planned contact is one of the generated ones");
    n
}

/// `(file name, severity, code)` of every diagnostic, in order.
fn diagnostics(out: &Path) -> Vec<(String, String, String)> {
    let text = std::fs::read_to_string(out.join("diagnostics.ndjson")).expect("diagnostics");
    text.lines()
        .map(|l| serde_json::from_str::<Value>(l).expect("ndjson"))
        .map(|d| {
            let file = Path::new(d["file"].as_str().expect("file")).file_name().expect("name").to_string_lossy().into();
            (file, d["severity"].as_str().expect("s").into(), d["code"].as_str().expect("c").into())
        })
        .collect()
}

/// The data cells of report.html's table row `data-key="<key>"`.
fn row(out: &Path, key: &str) -> Vec<String> {
    let html = std::fs::read_to_string(out.join("report.html")).expect("report.html");
    let start = html.find(&format!("<tr data-key=\"{key}\">")).unwrap_or_else(|| panic!("no row {key}"));
    let end = start + html[start..].find("</tr>").expect("row end");
    html[start..end].split("<td>").skip(1).map(|c| c.split("</td>").next().expect("cell").to_string()).collect()
}

#[test]
fn b2b_sample_hubspot_sendgrid_mailgun_plans_a_cold_tail_with_signatures_verified() {
    let tmp = tempfile::tempdir().expect("tempdir");
    let out = tmp.path().join("b2b");
    let key = "mailgun:examples/data/b2b/mailgun-webhook-signing.key";
    let (output, summary) = b2b(&out, &["--webhook-key", key]);
    assert_eq!(output.status.code(), Some(4), "rejected rows: exit 4; {}", String::from_utf8_lossy(&output.stderr));
    assert_eq!(every_contact_in_its_archetype_state("b2b", &out), 130);
    // The HubSpot export carries no dated consent (the sample has no consent events either): each of the 10
    // archived rows says so rather than leaving its proof cell empty.
    let archive = std::fs::read_to_string(out.join("archive.csv")).expect("archive.csv");
    let proofs: Vec<&str> = archive.lines().skip(1).filter_map(|l| l.rsplit(',').next()).collect();
    assert_eq!(proofs, ["none_recorded"; 10], "{archive}");
    assert_eq!(
        summary["lifecycle"],
        json!({"active": 55, "cooling": 15, "cold": 30, "soft_reactivation": 10, "break_up": 5, "archived": 10, "erased": 5})
    );
    // An erased contact has no stage: the stage tally is the 125 others, as plan.csv and report.html have it.
    let staged: u64 = summary["stages"].as_object().expect("stages").values().filter_map(Value::as_u64).sum();
    assert_eq!(staged, 125, "{}", summary["stages"]);
    let c = &summary["counts"];
    assert_eq!(
        (c["contactRows"].as_u64(), c["duplicateRows"].as_u64(), c["duplicatePhoneRows"].as_u64()),
        (Some(133), Some(2), Some(1))
    );
    assert_eq!((c["rejectedContactRows"].as_u64(), c["rejectedEventLines"].as_u64()), (Some(1), Some(4)));
    assert_eq!(c["duplicateEvents"], 4, "a retried SendGrid POST and a retried Mailgun delivery");
    assert_eq!(c["skippedRecords"], json!({"sendgrid:delivered": 312}));
    // D5: the logs hold deliveries, not sends; 56 of them in the last 30 days make 5 complaints an 8.93 % rate
    // (with sends alone there were none, and the report said "no marketing sends in the window").
    assert_eq!(c["deliveries30d"], 56);
    assert_eq!((row(&out, "deliveries"), row(&out, "complaints")), (vec!["56".to_string()], vec!["5".to_string()]));
    assert_eq!(row(&out, "rate"), ["8.93 %"]);
    let found = diagnostics(&out);
    let expect = |file: &str, severity: &str, code: &str| (file.to_string(), severity.to_string(), code.to_string());
    assert_eq!(
        found,
        vec![
            expect("hubspot-contacts.csv", "warning", "duplicate_email"),
            expect("hubspot-contacts.csv", "warning", "duplicate_phone"),
            expect("hubspot-contacts.csv", "reject", "invalid_email"),
            expect("sendgrid-events.ndjson", "reject", "unknown_contact"),
            expect("sendgrid-events.ndjson", "reject", "timestamp_looks_like_ms"),
            expect("sendgrid-events.ndjson", "reject", "bad_body"),
            expect("mailgun-events.ndjson", "reject", "signature_mismatch"),
        ]
    );
    // D12: the campaign (35 contacts picked while cold) and the revenue of the five won back into deals.
    assert_eq!(row(&out, "opened"), ["10", "28.6 %"]);
    assert_eq!(row(&out, "requalified"), ["5", "14.3 %"]);
    assert_eq!(row(&out, "USD"), ["5", "60,000.00"]);

    // Without the key the forged Mailgun unsubscribe is folded like any other delivery.
    let (output, summary) = b2b(&tmp.path().join("unchecked"), &[]);
    assert_eq!(output.status.code(), Some(4));
    assert_eq!(summary["counts"]["rejectedEventLines"], 3);
}

#[test]
fn shop_sample_klaviyo_postmark_mailchimp_orders_plans_a_win_back_with_its_revenue() {
    let tmp = tempfile::tempdir().expect("tempdir");
    let out = tmp.path().join("shop");
    let (output, summary) = shop(&out);
    assert_eq!(output.status.code(), Some(4), "{}", String::from_utf8_lossy(&output.stderr));
    assert_eq!(every_contact_in_its_archetype_state("shop", &out), 132);
    assert_eq!(
        summary["lifecycle"],
        json!({"active": 66, "cooling": 18, "cold": 30, "soft_reactivation": 6, "break_up": 6, "archived": 6})
    );
    let c = &summary["counts"];
    assert_eq!(
        (c["contactRows"].as_u64(), c["duplicateRows"].as_u64(), c["duplicatePhoneRows"].as_u64()),
        (Some(134), Some(1), Some(1))
    );
    assert_eq!((c["rejectedContactRows"].as_u64(), c["rejectedEventLines"].as_u64()), (Some(1), Some(2)));
    assert_eq!(c["duplicateEvents"], 1, "a retried Postmark delivery");
    assert_eq!(c["skippedRecords"], json!({"postmark:Delivery": 114}));
    let codes: Vec<String> = diagnostics(&out).into_iter().map(|(f, s, c)| format!("{f} {s} {c}")).collect();
    assert_eq!(
        codes,
        [
            "klaviyo-profiles.csv warning duplicate_phone",
            "klaviyo-profiles.csv reject redacted_email",
            "orders.ndjson reject bad_json",
            "orders.ndjson reject unknown_contact",
        ]
    );
    // Unsubscribes, cleaned addresses, hard bounces and complaints from three tools all stop email (D4), as does
    // the archive (D9): six contacts of each of those six archetypes, and the six archived.
    let plan: Value = serde_json::from_slice(&std::fs::read(out.join("plan.json")).expect("plan.json")).expect("json");
    let denied = plan.as_array().expect("rows").iter().filter(|r| r["emailVerdict"]["verdict"] == "deny").count();
    assert_eq!(denied, 42);
    assert_eq!(row(&out, "reactivated"), ["12", "40.0 %"]);
    assert_eq!(row(&out, "GBP"), ["6", "980.00"]);
}
