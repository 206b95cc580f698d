//! `rekindle plan --events`: a line longer than any event can be (16 MiB) is a `line_too_long` reject with file,
//! line, its length and the limit, read through without being folded; the lines around it are folded as usual.
#![allow(clippy::expect_used, clippy::indexing_slicing, clippy::panic)] // test helpers: a failed setup aborts the test

use std::path::{Path, PathBuf};
use std::process::{Command, Output};

use serde_json::{json, Value};

const SAAS: &str = "examples/playbooks/saas.json";
const CONTACTS: &str = "examples/data/plan/contacts.csv";
const NOW: &str = "2026-11-26T12:00:00Z";
const ACTIVE_A: &str = "mia.ito0@acme.test"; // c-0001, active, email allowed
const ACTIVE_B: &str = "grace.archer2@initech.test"; // c-0003, active, email allowed
const OTHER: &str = "ada.cole3@initech.test"; // c-0004: only the over-long line names them
/// The cap (`adapter::ndjson::EVENT_LINE_BYTES`).
const CAP: usize = 16 << 20;

fn repo() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("../..")
}

fn complaint(email: &str, id: &str) -> Vec<u8> {
    json!({"contact": email, "at": "2026-11-20T09:00:00Z", "kind": "spam_complaint", "id": id}).to_string().into_bytes()
}

fn plan_row(out: &Path, email: &str) -> std::collections::BTreeMap<String, String> {
    let text = std::fs::read_to_string(out.join("plan.csv")).expect("plan.csv");
    let rows: Vec<Vec<String>> = text.lines().map(|l| l.split(',').map(str::to_string).collect()).collect();
    let row = rows.iter().find(|r| r.get(1).is_some_and(|e| e == email)).expect("contact in plan.csv");
    rows[0].iter().cloned().zip(row.iter().cloned()).collect()
}

fn run(events: &Path, out: &Path) -> Output {
    let args = ["plan", "--playbook", SAAS, "--contacts", CONTACTS, "--now", NOW, "--quiet", "--format", "json"];
    Command::new(env!("CARGO_BIN_EXE_rekindle"))
        .args(args)
        .args(["--out", out.to_str().expect("utf-8"), "--events", events.to_str().expect("utf-8")])
        .current_dir(repo())
        .output()
        .expect("run rekindle")
}

#[test]
fn a_line_over_the_cap_is_a_line_too_long_reject_and_the_events_around_it_are_folded() {
    let tmp = tempfile::tempdir().expect("tempdir");
    let mut file = complaint(ACTIVE_A, "e-a");
    file.push(b'\n');
    // Line 2: a valid event padded with spaces (JSON allows them) to one byte over the cap: read through and
    // dropped, so its complaint is never folded.
    let mut over = complaint(OTHER, "e-over");
    over.resize(CAP + 1, b' ');
    file.extend_from_slice(&over);
    file.extend_from_slice(b"\r\n");
    file.extend_from_slice(&complaint(ACTIVE_B, "e-b"));
    file.push(b'\n');
    let path = tmp.path().join("events.ndjson");
    std::fs::write(&path, &file).expect("write events");

    let out = tmp.path().join("out");
    let result = run(&path, &out);
    assert_eq!(result.status.code(), Some(4), "a bad line makes exit 4: {}", String::from_utf8_lossy(&result.stderr));
    let summary: Value = serde_json::from_slice(&result.stdout).expect("JSON summary");
    assert_eq!(summary["counts"]["rejectedEventLines"], 1, "{}", summary["counts"]);
    for email in [ACTIVE_A, ACTIVE_B] {
        assert_eq!(plan_row(&out, email)["email_verdict"], "deny", "{email}: the complaint around the long line");
    }
    assert_ne!(plan_row(&out, OTHER)["email_verdict"], "deny", "the over-long line's complaint was folded");

    let mut rejects = csv::Reader::from_path(out.join("rejects.csv")).expect("rejects.csv");
    let rows: Vec<csv::StringRecord> = rejects.records().map(|r| r.expect("rejects row")).collect();
    assert_eq!(rows.len(), 1, "{rows:?}");
    let row = &rows[0];
    assert!(row[0].ends_with("events.ndjson"), "file: {}", &row[0]);
    assert_eq!((&row[1], &row[4]), ("2", "line_too_long"), "{row:?}");
    let expected = format!("line too long: {} bytes, over the {CAP}-byte limit of an events line", CAP + 1);
    assert!(row[5].starts_with(&expected), "{}", &row[5]);
}
