//! `audiences/break_up_unseen.csv` (D8) is a list for an email send: it holds only the contacts whose break-up
//! lay wholly between two `--previous` runs and whom core's send policy would mail at `--now` but for the archive
//! itself — never one whose email is denied for another reason (suppressed, a sales conversation, …).
#![allow(clippy::expect_used, clippy::indexing_slicing, clippy::panic)] // test helpers: a failed setup aborts the test

#[path = "support/plan_cli.rs"]
mod plan_cli;

use std::path::Path;
use std::process::Output;

use plan_cli::{rekindle, stderr, write, SAAS};

/// Three contacts picked by a campaign on 20 November 2026: break-up 4–7 December, between the two runs below.
/// `unsub` unsubscribed on 21 November, `deal` has an open deal since 21 November (the SaaS playbook stops
/// marketing during sales, D22).
const CONTACTS: &str = "email,created_at\n\
    started@x.test,2025-01-01T00:00:00Z\n\
    unsub@x.test,2025-01-01T00:00:00Z\n\
    deal@x.test,2025-01-01T00:00:00Z\n";

const EVENTS: &str = "\
{\"contact\":\"started@x.test\",\"at\":\"2025-03-01T10:00:00Z\",\"kind\":\"email_click\"}
{\"contact\":\"started@x.test\",\"at\":\"2026-11-20T10:00:00Z\",\"kind\":\"reactivation_started\"}
{\"contact\":\"unsub@x.test\",\"at\":\"2025-03-01T10:00:00Z\",\"kind\":\"email_click\"}
{\"contact\":\"unsub@x.test\",\"at\":\"2026-11-20T10:00:00Z\",\"kind\":\"reactivation_started\"}
{\"contact\":\"unsub@x.test\",\"at\":\"2026-11-21T10:00:00Z\",\"kind\":\"unsubscribe\"}
{\"contact\":\"deal@x.test\",\"at\":\"2025-03-01T10:00:00Z\",\"kind\":\"email_click\"}
{\"contact\":\"deal@x.test\",\"at\":\"2026-11-20T10:00:00Z\",\"kind\":\"reactivation_started\"}
{\"contact\":\"deal@x.test\",\"at\":\"2026-11-21T10:00:00Z\",\"kind\":\"sales_status\",\"props\":{\"status\":\"open\"}}
";

fn run(dir: &Path, now: &str, out: &str, extra: &[&str]) -> Output {
    let contacts = write(dir, "contacts.csv", CONTACTS);
    let events = write(dir, "events.ndjson", EVENTS);
    let salt = write(dir, "salt.txt", "a-salt-kept-apart-from-the-plans\n");
    let out = dir.join(out);
    let out = out.to_str().expect("utf-8 path");
    let mut args = vec!["plan", "--playbook", SAAS, "--contacts", &contacts, "--events", &events, "--now", now];
    args.extend(["--out", out, "--quiet", "--salt-file", &salt, "--format", "json"]);
    args.extend(extra);
    rekindle(&args)
}

/// The `email` column of a CSV, sorted.
fn emails(path: &Path) -> Vec<String> {
    let text = std::fs::read_to_string(path).unwrap_or_else(|e| panic!("{}: {e}", path.display()));
    let mut lines = text.lines();
    let header: Vec<&str> = lines.next().expect("header").split(',').collect();
    let col = header.iter().position(|h| *h == "email").expect("email column");
    let mut out: Vec<String> = lines.map(|l| l.split(',').nth(col).expect("cell").to_string()).collect();
    out.sort();
    out
}

#[test]
fn break_up_unseen_lists_only_contacts_the_send_policy_would_mail_but_for_the_archive() {
    let tmp = tempfile::tempdir().expect("tempdir");
    let first = run(tmp.path(), "2026-11-26T12:00:00Z", "first", &[]);
    assert_eq!(first.status.code(), Some(0), "{}", stderr(&first));
    let previous = tmp.path().join("first");
    let previous = previous.to_str().expect("utf-8 path");
    let next = run(tmp.path(), "2026-12-11T12:00:00Z", "next", &["--previous", previous]);
    assert_eq!(next.status.code(), Some(0), "{}", stderr(&next));
    let dir = tmp.path().join("next");
    let summary: serde_json::Value = serde_json::from_slice(&next.stdout).expect("summary JSON");
    assert_eq!(summary["breakUpUnseen"]["contacts"], 3, "all three went through break-up unseen");
    assert_eq!(
        emails(&dir.join("audiences/break_up_unseen.csv")),
        ["started@x.test"],
        "neither the unsubscribed contact nor the one in a sales conversation may be mailed"
    );
    assert_eq!(summary["breakUpUnseen"]["listed"], 1, "the summary counts what the list holds");
}
