//! Runs the real `rekindle` binary: exit codes, stdout is data only, every playbook problem is listed.
#![allow(clippy::expect_used, clippy::indexing_slicing)] // test helpers: a failed setup should abort the test

use std::path::{Path, PathBuf};
use std::process::{Command, Output};

fn repo() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("../..")
}

fn rekindle(args: &[&str]) -> Output {
    Command::new(env!("CARGO_BIN_EXE_rekindle")).args(args).current_dir(repo()).output().expect("run rekindle")
}

/// A file holding `body`, ending like `name` (the CLI reads `.json`, `.yaml`, …), removed when dropped: every run
/// used to leave a directory behind in the system's temp dir.
fn temp_file(name: &str, body: &str) -> tempfile::TempPath {
    let file = tempfile::Builder::new().prefix("rekindle-cli-test-").suffix(name).tempfile().expect("temp file");
    std::fs::write(file.path(), body).expect("write temp file");
    file.into_temp_path()
}

#[test]
fn check_accepts_the_example_playbook() {
    let out = rekindle(&["check", "--playbook", "examples/playbooks/saas.json"]);
    assert_eq!(out.status.code(), Some(0), "{}", String::from_utf8_lossy(&out.stderr));
    assert!(out.stdout.is_empty(), "check writes nothing to stdout");
}

#[test]
fn check_lists_every_problem_and_exits_3() {
    let bad = temp_file(
        "bad.json",
        r#"{"version": 1, "signals": {"p": {"kind": "page_view"}},
            "scores": {"intent": {"rules": [
              {"signal": "nope", "points": 5},
              {"signal": "p", "points": "ten", "decay": {"half_life": "-7d"}}]}}}"#,
    );
    let out = rekindle(&["check", "--playbook", bad.to_str().expect("utf-8 path")]);
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert_eq!(out.status.code(), Some(3), "{stderr}");
    assert!(stderr.contains("scores.intent.rules[0].signal: unknown signal \"nope\""), "{stderr}");
    assert!(stderr.contains("scores.intent.rules[1].points"), "{stderr}");
    assert!(stderr.contains("scores.intent.rules[1].decay.half_life"), "{stderr}");
}

#[test]
fn decide_prints_the_decision_as_json_on_stdout() {
    let events = temp_file(
        "events.json",
        r#"[{"at": "2026-11-20T10:00:00Z", "kind": "page_view", "props": {"path": "/pricing"}},
            {"at": "2026-11-21T10:00:00Z", "kind": "form_submit", "props": {"form": "demo"}}]"#,
    );
    let out = rekindle(&[
        "decide",
        "--playbook",
        "examples/playbooks/saas.json",
        "--events",
        events.to_str().expect("utf-8 path"),
        "--now",
        "2026-11-22T10:00:00Z",
    ]);
    assert_eq!(out.status.code(), Some(0), "{}", String::from_utf8_lossy(&out.stderr));
    let decision: serde_json::Value = serde_json::from_slice(&out.stdout).expect("stdout is JSON");
    assert!(decision["scores"]["intent"].as_f64().is_some_and(|i| i > 0.0), "{decision}");
    assert!(decision["reasons"].as_array().is_some_and(|r| !r.is_empty()));
}

#[test]
fn bad_now_is_a_usage_error_and_missing_file_an_io_error() {
    let events = temp_file("empty.json", "[]");
    let path = events.to_str().expect("utf-8 path");
    let out = rekindle(&["decide", "--playbook", "examples/playbooks/saas.json", "--events", path, "--now", "soon"]);
    assert_eq!(out.status.code(), Some(2));
    let out =
        rekindle(&["decide", "--playbook", "does/not/exist.json", "--events", path, "--now", "2026-11-26T12:00:00Z"]);
    assert_eq!(out.status.code(), Some(1));
    assert!(String::from_utf8_lossy(&out.stderr).contains("does/not/exist.json"));
}

#[test]
fn malformed_event_names_the_file_and_event_path() {
    let events = temp_file("bad-events.json", r#"[{"at": "yesterday", "kind": "page_view"}]"#);
    let out = rekindle(&[
        "decide",
        "--playbook",
        "examples/playbooks/saas.json",
        "--events",
        events.to_str().expect("utf-8 path"),
        "--now",
        "0",
    ]);
    assert_eq!(out.status.code(), Some(3));
    assert!(String::from_utf8_lossy(&out.stderr).contains("events[0].at"));
}

#[test]
fn decide_leaves_out_events_after_now_and_says_so() {
    let events = temp_file(
        "later.json",
        r#"[{"at": "2026-11-20T10:00:00Z", "kind": "page_view", "props": {"path": "/pricing"}},
            {"at": "2026-12-20T10:00:00Z", "kind": "form_submit", "props": {"form": "demo"}}]"#,
    );
    let path = events.to_str().expect("utf-8 path");
    let args = ["decide", "--playbook", "examples/playbooks/saas.json", "--events", path, "--now"];
    let out = rekindle(&[&args[..], &["2026-11-22T10:00:00Z"]].concat());
    assert_eq!(out.status.code(), Some(0), "{}", String::from_utf8_lossy(&out.stderr));
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert!(stderr.contains("1 event(s) after --now were not folded (the first: 2026-12-20T10:00:00Z)"), "{stderr}");
    let decision: serde_json::Value = serde_json::from_slice(&out.stdout).expect("stdout is JSON");
    assert_eq!(decision["stage"], "lead", "the December demo form is not history on 22 November: {decision}");
}

#[test]
fn a_comment_in_a_playbook_is_named_as_the_problem() {
    let text = std::fs::read_to_string(repo().join("examples/playbooks/saas.json")).expect("saas.json");
    let commented = text.replacen("{\n", "{\n  // our B2B funnel\n", 1);
    assert_ne!(commented, text);
    let playbook = temp_file("commented.json", &commented);
    let out = rekindle(&["check", "--playbook", playbook.to_str().expect("utf-8 path")]);
    assert_eq!(out.status.code(), Some(3));
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert!(stderr.contains("line 2") && stderr.contains("JSON has no comments"), "{stderr}");
}

#[test]
fn decide_with_rfc3339_writes_every_instant_as_text() {
    let events = temp_file(
        "iso.json",
        r#"[{"at": "2026-11-20T10:00:00Z", "kind": "page_view", "props": {"path": "/pricing"}},
            {"at": "2026-11-25T15:00:00Z", "kind": "form_submit", "props": {"form": "demo"}}]"#,
    );
    let path = events.to_str().expect("utf-8 path");
    let args = ["decide", "--playbook", "examples/playbooks/saas.json", "--events", path];
    let out = rekindle(&[&args[..], &["--now", "2026-11-26T12:00:00Z", "--rfc3339"]].concat());
    assert_eq!(out.status.code(), Some(0), "{}", String::from_utf8_lossy(&out.stderr));
    let decision: serde_json::Value = serde_json::from_slice(&out.stdout).expect("stdout is JSON");
    // 12:00Z is 07:00 in New York, inside quiet hours 20:00-08:00: email waits until 08:00 there.
    assert_eq!(decision["send"]["email"]["until"], "2026-11-26T13:00:00Z", "{decision}");
    assert_eq!(decision["validUntil"], "2026-11-26T13:00:00Z");
    assert_eq!(decision["handoff"]["dueAt"], "2026-11-25T15:15:00Z");
    let text = decision.to_string();
    assert!(!text.contains(":1795"), "no epoch milliseconds of these days are left: {text}");
    assert!(decision["scores"]["intent"].is_number(), "other numbers stay numbers");
}

#[test]
fn every_command_taking_now_refuses_epoch_seconds_with_exit_2() {
    // `date +%s` gives seconds; read as milliseconds they are January 1970. `plan` refused them while `decide`
    // decided as of 1970 (only warning that the events were after --now) and the token commands signed and
    // verified as of 1970.
    let keys = "examples/data/keys/example-current.keys";
    let token = "v1.2026-11.AQIAAAGhlGfoAAAAAaIu5rAADGN1c184YTdmM2U5ZAA.p1RQ5nX-C60KcfGJ2rFjZQ";
    let runs: [&[&str]; 3] = [
        &["decide", "--playbook", "examples/playbooks/saas.json", "--events", "examples/data/contact-events.json"],
        &["unsubscribe-token", "--key-file", keys, "--contact", "cus_8a7f3e9d"],
        &["verify-token", "--key-file", keys, "--token", token, "--purpose", "preferences"],
    ];
    for args in runs {
        let out = rekindle(&[args, &["--now", "1795694400"]].concat());
        let stderr = String::from_utf8_lossy(&out.stderr);
        assert_eq!(out.status.code(), Some(2), "{args:?}: {stderr}");
        assert!(
            stderr.contains("--now: 1795694400 is 1970-01-21T18:48:14.400Z read as epoch milliseconds"),
            "{stderr}"
        );
        assert!(stderr.contains("(now_looks_like_seconds)"), "{args:?}: {stderr}");
        assert!(out.stdout.is_empty(), "{args:?}: nothing decided or signed as of 1970");
        // The same instant in milliseconds is accepted.
        let out = rekindle(&[args, &["--now", "1795694400000"]].concat());
        assert_ne!(out.status.code(), Some(2), "{args:?}: {}", String::from_utf8_lossy(&out.stderr));
    }
}
