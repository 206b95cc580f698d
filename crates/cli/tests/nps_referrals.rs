//! NPS answers and referrals in `rekindle plan` (D38, D42), through the real binary on NDJSON events built here:
//! `custom:nps` answers and `custom:referral` events become `nps` and `referrals` per month in the summary and
//! `manifest.json` exactly as core computes them, and an "NPS and referrals" section of report.html; a referral's
//! `referred` is found through the roster (id, email, an address merged by phone); a bad answer or referral is
//! refused naming file, line and field, never folded and never counted. Expected figures are worked by hand.
#![allow(clippy::expect_used, clippy::unwrap_used, clippy::indexing_slicing, clippy::panic, missing_docs)]

use std::path::{Path, PathBuf};
use std::process::{Command, Output};

use serde_json::{json, Value};

const NOW: &str = "2026-11-26T12:00:00Z";

fn repo() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("../..")
}

fn event(who: &str, at: &str, kind: &str, props: Value) -> String {
    format!("{}\n", json!({ "contact": who, "at": at, "kind": kind, "props": props }))
}

fn answer(who: &str, at: &str, score: i64) -> String {
    event(who, at, "custom:nps", json!({ "score": score }))
}

fn referral(who: &str, at: &str, referred: Option<&str>) -> String {
    let props = referred.map_or_else(|| json!({}), |r| json!({ "referred": r }));
    event(who, at, "custom:referral", props)
}

fn order(who: &str, at: &str) -> String {
    event(who, at, "purchase", json!({ "value": 40 }))
}

/// Runs the plan on `contacts` and `events` (written to `dir`) into `dir/out`.
fn plan(dir: &Path, contacts: &str, events: &str) -> (Output, PathBuf) {
    let (c, e, out, salt) = (dir.join("contacts.csv"), dir.join("events.ndjson"), dir.join("out"), dir.join("salt"));
    std::fs::write(&c, contacts).unwrap();
    std::fs::write(&e, events).unwrap();
    std::fs::write(&salt, "nps-referrals-test-salt-0123456789\n").unwrap();
    let output = Command::new(env!("CARGO_BIN_EXE_rekindle"))
        .args(["plan", "--playbook", "examples/playbooks/ecommerce.json", "--now", NOW, "--quiet", "--format", "json"])
        .arg("--contacts")
        .arg(&c)
        .arg("--events")
        .arg(&e)
        .arg("--salt-file")
        .arg(&salt)
        .arg("--out")
        .arg(&out)
        .current_dir(repo())
        .output()
        .unwrap();
    (output, out)
}

fn manifest(out: &Path) -> Value {
    serde_json::from_slice(&std::fs::read(out.join("manifest.json")).unwrap()).unwrap()
}

fn diagnostics(out: &Path) -> Vec<Value> {
    let text = std::fs::read_to_string(out.join("diagnostics.ndjson")).unwrap();
    text.lines().map(|l| serde_json::from_str(l).unwrap()).collect()
}

/// The `<tr data-key="…">` row of report.html as its cells' text.
fn row(html: &str, key: &str) -> Vec<String> {
    let start = html.find(&format!("<tr data-key=\"{key}\">")).unwrap_or_else(|| panic!("no row {key}"));
    let end = start + html[start..].find("</tr>").unwrap();
    html[start..end]
        .split(['<', '>'])
        .enumerate()
        .filter(|(i, _)| i % 2 == 0)
        .map(|(_, t)| t.to_string())
        .filter(|t| !t.is_empty())
        .collect()
}

const CONTACTS: &str = "email,id,phone\n\
a@x.test,a,\nb@x.test,b,\nc@x.test,c,\nd@x.test,d,\ne@x.test,e,\nf@x.test,f,\ng@x.test,g,\n\
n1@x.test,n1,+48 601 234 567\nn2@x.test,n2,\nn1-old@x.test,n1old,+48601234567\n";

#[test]
fn nps_answers_and_referrals_in_the_events_are_the_plans_nps_and_referrals_per_month() {
    let dir = tempfile::tempdir().unwrap();
    let mut events = String::new();
    // October: 10, 9, 9 promoters; 7 passive; 3 detractor → n 5, NPS (3 − 1) / 5 = +40.
    for (who, score) in [("a@x.test", 10), ("b", 9), ("c@x.test", 9), ("d@x.test", 7), ("e@x.test", 3)] {
        events.push_str(&answer(who, "2026-10-12T09:00:00Z", score));
    }
    // November: a answers 6, then 9 (the latest counts: 1 superseded); b 10; f 2 (its line twice with one id:
    // folded and counted once); g 7 → n 4: promoters a, b; passive g; detractor f → (2 − 1) / 4 = +25.
    events.push_str(&answer("a@x.test", "2026-11-02T09:00:00Z", 6));
    events.push_str(&answer("a", "2026-11-20T09:00:00Z", 9));
    events.push_str(&answer("b@x.test", "2026-11-03T09:00:00Z", 10));
    let f = format!(
        "{}\n",
        json!({"contact": "f@x.test", "id": "nps-f-1", "at": "2026-11-04T09:00:00Z", "kind": "custom:nps", "props": {"score": 2}})
    );
    events.push_str(&f);
    events.push_str(&f);
    events.push_str(&answer("g@x.test", "2026-11-05T09:00:00Z", 7));
    // Before the last 24 months (2024-12 … 2026-11): outside.
    events.push_str(&answer("c@x.test", "2024-06-01T09:00:00Z", 10));
    // Orders: first orders a in September, e in October, n1 and n2 in November.
    for (who, at) in [("a@x.test", "2026-09-10T09:00:00Z"), ("e", "2026-10-20T09:00:00Z")] {
        events.push_str(&order(who, at));
    }
    events.push_str(&order("n1@x.test", "2026-11-05T09:00:00Z"));
    events.push_str(&order("n2@x.test", "2026-11-08T09:00:00Z"));
    // Referrals: c names nobody (October); a names n1 under the address merged into it by phone, before its
    // first order (referred); b names n2 by id after its first order (not why n2 came); d names someone no
    // contact is (a referral made, with a warning, naming no new customer).
    events.push_str(&referral("c@x.test", "2026-10-15T09:00:00Z", None));
    events.push_str(&referral("a@x.test", "2026-11-01T09:00:00Z", Some("n1-old@x.test")));
    events.push_str(&referral("b@x.test", "2026-11-10T09:00:00Z", Some("n2")));
    let unknown_line = events.lines().count() as u64 + 1;
    events.push_str(&referral("d@x.test", "2026-11-03T09:00:00Z", Some("zed@x.test")));

    let (output, out) = plan(dir.path(), CONTACTS, &events);
    assert_eq!(output.status.code(), Some(0), "{}", String::from_utf8_lossy(&output.stderr));
    let m = manifest(&out);
    let nps = json!({
        "months": [
            {"month": "2026-10", "answers": 5, "promoters": 3, "passives": 1, "detractors": 1, "nps": 40.0, "lowSample": true},
            {"month": "2026-11", "answers": 4, "promoters": 2, "passives": 1, "detractors": 1, "nps": 25.0, "lowSample": true},
        ],
        "superseded": 1,
        "outside": 1,
    });
    assert_eq!(m["nps"], nps);
    // September: a's first order, no referral; October: c's referral, e new and not referred; November: three
    // referrals, n1 and n2 new, n1 referred → 1 of 2.
    let referrals = json!({
        "months": [
            {"month": "2026-09", "referrals": 0, "newCustomers": 1, "referred": 0, "referredShare": 0.0},
            {"month": "2026-10", "referrals": 1, "newCustomers": 1, "referred": 0, "referredShare": 0.0},
            {"month": "2026-11", "referrals": 3, "newCustomers": 2, "referred": 1, "referredShare": 0.5},
        ],
        "outside": 0,
    });
    assert_eq!(m["referrals"], referrals);
    assert_eq!(m["counts"]["duplicateEvents"], 1);
    let summary: Value = serde_json::from_slice(&output.stdout).unwrap();
    assert_eq!((&summary["nps"], &summary["referrals"]), (&nps, &referrals), "stdout's summary is the manifest's");

    let warnings: Vec<Value> = diagnostics(&out).into_iter().filter(|d| d["code"] == "unknown_referred").collect();
    let [w] = warnings.as_slice() else { panic!("one unknown_referred warning: {warnings:?}") };
    assert_eq!(
        (&w["line"], &w["field"], &w["severity"]),
        (&json!(unknown_line), &json!("props.referred"), &json!("warning"))
    );
    assert!(w["message"].as_str().unwrap().contains("z***@x.test"), "masked: {w}");

    let html = std::fs::read_to_string(out.join("report.html")).unwrap();
    assert!(html.contains("<h2 id=\"nps\">NPS and referrals</h2>"));
    assert_eq!(row(&html, "nps-2026-10"), ["2026-10", "5", "3", "1", "1", "+40.0 · too few to compare"]);
    assert_eq!(row(&html, "nps-2026-11"), ["2026-11", "4", "2", "1", "1", "+25.0 · too few to compare"]);
    assert_eq!(row(&html, "referrals-2026-11"), ["2026-11", "3", "2", "1", "50.0 %"]);
    assert_eq!(row(&html, "referrals-2026-09"), ["2026-09", "0", "1", "0", "0.0 %"]);
}

#[test]
fn a_bad_answer_or_referral_is_refused_with_file_line_and_field_and_never_counted() {
    let dir = tempfile::tempdir().unwrap();
    let lines = [
        answer("a@x.test", "2026-11-02T09:00:00Z", 11),
        event("a@x.test", "2026-11-02T09:00:00Z", "custom:nps", json!({ "score": 7.5 })),
        event("b@x.test", "2026-11-02T09:00:00Z", "custom:nps", json!({ "score": "9" })),
        event("b@x.test", "2026-11-02T09:00:00Z", "custom:nps", json!({})),
        format!("{}\n", json!({"at": "2026-11-02T09:00:00Z", "kind": "custom:referral", "props": {"referred": "b"}})),
        referral("a@x.test", "last tuesday", Some("b")),
        event("a@x.test", "2026-11-02T09:00:00Z", "custom:referral", json!({ "referred": true })),
        event("a@x.test", "2026-11-02T09:00:00Z", "custom:referral", json!({ "referred": "  " })),
        answer("c@x.test", "not a time", 9),
        answer("c@x.test", "2026-11-09T09:00:00Z", 0), // the one good line: no orders, NPS all the same
    ];
    let (output, out) = plan(dir.path(), CONTACTS, &lines.concat());
    assert_eq!(output.status.code(), Some(4), "done, rows rejected: {}", String::from_utf8_lossy(&output.stderr));
    let rejects: Vec<(u64, String, String)> = diagnostics(&out)
        .iter()
        .filter(|d| d["severity"] == "reject")
        .map(|d| {
            assert_eq!(d["file"], json!(dir.path().join("events.ndjson").display().to_string()));
            (
                d["line"].as_u64().unwrap(),
                d["field"].as_str().unwrap().to_string(),
                d["code"].as_str().unwrap().to_string(),
            )
        })
        .collect();
    let want: Vec<(u64, String, String)> = [
        (1, "props.score", "bad_nps_score"),
        (2, "props.score", "bad_nps_score"),
        (3, "props.score", "bad_nps_score"),
        (4, "props.score", "bad_nps_score"),
        (5, "contact", "missing_contact"),
        (6, "at", "bad_event"),
        (7, "props.referred", "bad_referral"),
        (8, "props.referred", "bad_referral"),
        (9, "at", "bad_event"),
    ]
    .iter()
    .map(|(l, f, c)| (*l, f.to_string(), c.to_string()))
    .collect();
    assert_eq!(rejects, want);
    let messages: Vec<String> = diagnostics(&out)
        .iter()
        .filter(|d| d["severity"] == "reject")
        .map(|d| d["message"].as_str().unwrap().to_string())
        .collect();
    assert_eq!(messages[0], "expected a whole number from 0 to 10 (the NPS answer), got 11");
    assert!(messages[1].ends_with("got 7.5") && messages[2].contains("got text \"9\""), "{messages:?}");
    let rejects_csv = std::fs::read_to_string(out.join("rejects.csv")).unwrap();
    assert!(rejects_csv.contains(",1,,props.score,bad_nps_score,"), "{rejects_csv}");
    let m = manifest(&out);
    assert_eq!((m["rejected"].clone(), m["counts"]["rejectedEventLines"].clone()), (json!(9), json!(9)));
    assert_eq!(
        m["nps"]["months"],
        json!([{"month": "2026-11", "answers": 1, "promoters": 0, "passives": 0, "detractors": 1, "nps": -100.0, "lowSample": true}]),
        "only the good answer counts; the refused ones are nowhere"
    );
    assert_eq!(m["referrals"], json!({ "months": [], "outside": 0 }), "every referral was refused");
    let html = std::fs::read_to_string(out.join("report.html")).unwrap();
    assert_eq!(row(&html, "nps-2026-11"), ["2026-11", "1", "0", "0", "1", "-100.0 · too few to compare"]);
    assert!(html.contains("No referral in the events"));
}
