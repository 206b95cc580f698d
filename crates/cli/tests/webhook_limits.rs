//! `rekindle plan --webhooks`: a body longer than its vendor sends is a `bad_body` reject with file, line and the
//! size against the limit, and a line too long to hold any body is rejected the same way without being read into
//! memory; the lines around them are folded as usual.
#![allow(clippy::expect_used, clippy::indexing_slicing, clippy::panic)] // test helpers: a failed setup aborts the test

use std::path::{Path, PathBuf};
use std::process::{Command, Output};

use serde_json::{json, Value};

const SAAS: &str = "examples/playbooks/saas.json";
const CONTACTS: &str = "examples/data/plan/contacts.csv";
const NOW: &str = "2026-11-26T12:00:00Z";
const ACTIVE_A: &str = "mia.ito0@acme.test"; // c-0001, active, email allowed
const ACTIVE_B: &str = "grace.archer2@initech.test"; // c-0003, active, email allowed

fn repo() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("../..")
}

fn spam(email: &str, id: &str) -> Value {
    json!({"email": email, "timestamp": 1_764_000_000, "event": "spamreport", "sg_event_id": id, "sg_message_id": "m"})
}

fn plan_row(out: &Path, email: &str) -> std::collections::BTreeMap<String, String> {
    let text = std::fs::read_to_string(out.join("plan.csv")).expect("plan.csv");
    let rows: Vec<Vec<String>> = text.lines().map(|l| l.split(',').map(str::to_string).collect()).collect();
    let row = rows.iter().find(|r| r.get(1).is_some_and(|e| e == email)).expect("contact in plan.csv");
    rows[0].iter().cloned().zip(row.iter().cloned()).collect()
}

fn run(log: &Path, out: &Path) -> Output {
    let webhooks = format!("sendgrid:{}", log.display());
    let args = ["plan", "--playbook", SAAS, "--contacts", CONTACTS, "--now", NOW, "--quiet", "--format", "json"];
    Command::new(env!("CARGO_BIN_EXE_rekindle"))
        .args(args)
        .args(["--out", out.to_str().expect("utf-8"), "--webhooks", &webhooks])
        .current_dir(repo())
        .output()
        .expect("run rekindle")
}

#[test]
fn oversized_bodies_and_lines_are_bad_body_rejects_and_the_lines_after_them_are_folded() {
    let tmp = tempfile::tempdir().expect("tempdir");
    let mut log = Vec::new();
    log.extend_from_slice(json!([spam(ACTIVE_A, "sg-a")]).to_string().as_bytes());
    log.push(b'\n');
    // Line 2: a real event padded to 1.5 MiB: over SendGrid's 1 MiB, within the 3 MiB + 64 KiB line limit.
    let mut padded = json!([spam(ACTIVE_B, "sg-padded")]).to_string().into_bytes();
    padded.resize(3 << 19, b' ');
    log.extend_from_slice(&padded);
    log.extend_from_slice(b"\r\n");
    // Line 3: 8 MiB, longer than any SendGrid delivery can be: read through and dropped.
    log.extend(std::iter::repeat_n(b' ', 8 << 20));
    log.push(b'\n');
    log.extend_from_slice(json!([spam(ACTIVE_B, "sg-b")]).to_string().as_bytes());
    log.push(b'\n');
    let path = tmp.path().join("sendgrid.ndjson");
    std::fs::write(&path, &log).expect("write log");

    let out = tmp.path().join("out");
    let result = run(&path, &out);
    assert_eq!(result.status.code(), Some(4), "bad records make exit 4: {}", String::from_utf8_lossy(&result.stderr));
    let summary: Value = serde_json::from_slice(&result.stdout).expect("JSON summary");
    assert_eq!(summary["counts"]["rejectedEventLines"], 2, "{}", summary["counts"]);
    for email in [ACTIVE_A, ACTIVE_B] {
        assert_eq!(plan_row(&out, email)["email_verdict"], "deny", "{email}: the spam report around the bad lines");
    }

    let text = std::fs::read_to_string(out.join("diagnostics.ndjson")).expect("diagnostics");
    let rejects: Vec<Value> = text
        .lines()
        .map(|l| serde_json::from_str::<Value>(l).expect("ndjson"))
        .filter(|d| d["severity"] == "reject")
        .collect();
    let placed: Vec<(u64, &str, &str)> = rejects
        .iter()
        .map(|d| {
            (d["line"].as_u64().expect("line"), d["code"].as_str().expect("code"), d["field"].as_str().unwrap_or(""))
        })
        .collect();
    assert_eq!(placed, [(2, "bad_body", "body"), (3, "bad_body", "body")]);
    for d in &rejects {
        assert!(d["file"].as_str().expect("file").ends_with("sendgrid.ndjson"));
    }
    let message = |i: usize| rejects[i]["message"].as_str().expect("message");
    assert!(
        message(0).contains("too large: 1572864 bytes, over the 1048576-byte limit of a sendgrid webhook body"),
        "{}",
        message(0)
    );
    assert!(message(1).contains("the line holds 8388608 bytes, over the 3211264-byte limit"), "{}", message(1));
}
