//! `rekindle plan` run again next quarter (found by running the CLI as marketing-ops do, every quarter on fresh
//! exports): the webhook logs have rolled over, archived, bounced and erased contacts are still (or again) in the
//! contacts export. `--previous DIR` carries the previous plan's contact states and tombstones, so what the
//! previous run knew — archived (D11), suppressed (D4), erased (D9), last engaged (D1) — still holds.
#![allow(clippy::expect_used, clippy::indexing_slicing, clippy::panic)] // test helpers: a failed setup aborts the test

#[path = "support/plan_cli.rs"]
mod plan_cli;

use std::collections::BTreeMap;
use std::path::Path;
use std::process::Output;

use plan_cli::{json, rekindle, snapshot, stderr, write, SAAS};

const Q1: &str = "2026-11-26T12:00:00Z";
const Q2: &str = "2027-02-26T12:00:00Z";

/// The export every quarter: the same four people (the ESP still lists archived, bounced and erased contacts).
const CONTACTS: &str = "email,created_at\n\
    arch@x.test,2025-01-01T00:00:00Z\n\
    bounce@x.test,2025-01-01T00:00:00Z\n\
    gone@x.test,2025-01-01T00:00:00Z\n\
    recent@x.test,2025-01-01T00:00:00Z\n";

/// Q1's logs: `arch` clicked once in March 2025, a campaign picked it on 1 September 2026 (manual entry in
/// saas.json) and it never reacted: archived on 18 September. `bounce` hard-bounced, `gone` asked to be erased,
/// `recent` clicked a week before the plan.
const Q1_EVENTS: &str = "\
{\"contact\":\"arch@x.test\",\"at\":\"2025-03-01T10:00:00Z\",\"kind\":\"email_click\"}
{\"contact\":\"arch@x.test\",\"at\":\"2026-09-01T10:00:00Z\",\"kind\":\"reactivation_started\"}
{\"contact\":\"bounce@x.test\",\"at\":\"2026-11-01T10:00:00Z\",\"kind\":\"email_click\"}
{\"contact\":\"bounce@x.test\",\"at\":\"2026-11-10T10:00:00Z\",\"kind\":\"email_bounce\",\"props\":{\"type\":\"hard\"}}
{\"contact\":\"gone@x.test\",\"at\":\"2026-11-20T10:00:00Z\",\"kind\":\"erasure_request\"}
{\"contact\":\"recent@x.test\",\"at\":\"2026-11-19T10:00:00Z\",\"kind\":\"email_click\"}
";

/// Q2's logs keep the last 30 days only: `arch` visited the blog (a visit, not an opt-in).
const Q2_EVENTS: &str = "\
{\"contact\":\"arch@x.test\",\"at\":\"2027-02-10T10:00:00Z\",\"kind\":\"page_view\",\"props\":{\"path\":\"/blog/x\"}}
";

fn plan_at(dir: &Path, now: &str, contacts: &str, events: &str, out: &str, extra: &[&str]) -> Output {
    let contacts = write(dir, &format!("{out}-contacts.csv"), contacts);
    let events = write(dir, &format!("{out}-events.ndjson"), events);
    let salt = write(dir, "salt.txt", "a-salt-kept-apart-from-the-plans\n");
    let out = dir.join(out);
    let out = out.to_str().expect("utf-8 path");
    let mut args = vec!["plan", "--playbook", SAAS, "--contacts", &contacts, "--events", &events, "--now", now];
    args.extend(["--out", out, "--quiet", "--salt-file", &salt]);
    args.extend(extra);
    rekindle(&args)
}

/// plan.csv as email → (lifecycle, email_verdict); erased rows (no email) under their id.
fn rows(dir: &Path) -> BTreeMap<String, (String, String)> {
    let text = std::fs::read_to_string(dir.join("plan.csv")).expect("plan.csv");
    let mut lines = text.lines();
    let header: Vec<&str> = lines.next().expect("header").split(',').collect();
    let col = |name: &str| header.iter().position(|h| *h == name).expect("column");
    let (id, email, lifecycle, verdict) = (col("id"), col("email"), col("lifecycle"), col("email_verdict"));
    lines
        .map(|l| l.split(',').collect::<Vec<_>>())
        .map(|c| {
            let key = if c[email].is_empty() { c[id] } else { c[email] };
            (key.to_string(), (c[lifecycle].to_string(), c[verdict].to_string()))
        })
        .collect()
}

fn q1(dir: &Path) {
    let run = plan_at(dir, Q1, CONTACTS, Q1_EVENTS, "q1", &[]);
    assert_eq!(run.status.code(), Some(0), "{}", stderr(&run));
    let q1 = rows(&dir.join("q1"));
    assert_eq!(q1["arch@x.test"].0, "archived");
    assert_eq!(q1["bounce@x.test"].1, "deny");
    assert_eq!(q1["recent@x.test"].0, "active");
    assert!(!q1.contains_key("gone@x.test"));
}

#[test]
fn next_quarter_with_previous_keeps_archived_suppressed_erased_and_last_engaged_contacts() {
    let tmp = tempfile::tempdir().expect("tempdir");
    q1(tmp.path());
    let previous = tmp.path().join("q1");
    let run = plan_at(
        tmp.path(),
        Q2,
        CONTACTS,
        Q2_EVENTS,
        "q2",
        &["--previous", previous.to_str().expect("utf-8"), "--format", "json"],
    );
    assert_eq!(run.status.code(), Some(0), "{}", stderr(&run));
    let q2 = rows(&tmp.path().join("q2"));
    // D11: archived, and a visit is no opt-in: not re-cycled into the next campaign.
    assert_eq!(q2["arch@x.test"], ("archived".into(), "deny".into()), "{q2:?}");
    // D4: the hard bounce rolled out of the log, the suppression did not.
    assert_eq!(q2["bounce@x.test"].1, "deny", "{q2:?}");
    // D1: clicked 99 days before Q2: cooling, not cold from its created_at.
    assert_eq!(q2["recent@x.test"].0, "cooling", "{q2:?}");
    // D9: re-imported, erased again; its address is in no file.
    assert!(!q2.contains_key("gone@x.test"), "{q2:?}");
    assert_eq!(q2.values().filter(|(l, _)| l == "erased").count(), 1, "{q2:?}");
    for (name, bytes) in snapshot(&tmp.path().join("q2")) {
        let text = String::from_utf8_lossy(&bytes);
        assert!(!text.contains("gone@x.test"), "the erased address is in {name}");
    }
    let archive = std::fs::read_to_string(tmp.path().join("q2/archive.csv")).expect("archive");
    assert!(archive.contains("arch@x.test,2026-09-18T10:00:00Z"), "{archive}");
    // No input recorded a consent of `arch` (a CSV export without consent columns): the archive says so.
    assert!(archive.lines().any(|l| l.starts_with("arch@x.test,") && l.ends_with(",none_recorded")), "{archive}");
    let summary: serde_json::Value = serde_json::from_slice(&run.stdout).expect("summary");
    assert_eq!(summary["counts"]["previousContacts"], 3, "{summary}");
    assert_eq!(summary["counts"]["previousTombstones"], 1, "{summary}");
}

#[test]
fn without_previous_the_rolled_over_history_is_lost_and_the_run_says_how_to_keep_it() {
    let tmp = tempfile::tempdir().expect("tempdir");
    q1(tmp.path());
    // Next quarter into the same directory, without --previous: the state is rebuilt from Q2's logs alone.
    let run = plan_at(tmp.path(), Q2, CONTACTS, Q2_EVENTS, "q1", &[]);
    assert_eq!(run.status.code(), Some(0), "{}", stderr(&run));
    assert!(stderr(&run).contains("--previous"), "{}", stderr(&run));
    assert_eq!(rows(&tmp.path().join("q1"))["arch@x.test"].0, "active", "the visit re-cycles it without its history");
}

#[test]
fn tombstones_are_carried_through_a_quarter_the_address_is_absent_and_overlapping_logs_fold_once() {
    let tmp = tempfile::tempdir().expect("tempdir");
    q1(tmp.path());
    let arg = |d: &str| tmp.path().join(d).to_str().expect("utf-8").to_string();
    // Q2: `gone` is not in the export; its tombstone still goes to Q2's tombstones.csv.
    let without = CONTACTS.replace("gone@x.test,2025-01-01T00:00:00Z\n", "");
    let run = plan_at(tmp.path(), Q2, &without, Q2_EVENTS, "q2", &["--previous", &arg("q1")]);
    assert_eq!(run.status.code(), Some(0), "{}", stderr(&run));
    let tombstones = |d: &str| std::fs::read_to_string(tmp.path().join(d).join("tombstones.csv")).expect("tombstones");
    assert_eq!(tombstones("q2"), tombstones("q1"));
    assert_eq!(tombstones("q2").lines().count(), 2);
    // Q3 from Q2, `gone` back (a CRM re-import): erased again, its address nowhere.
    let q3 = "2027-05-26T12:00:00Z";
    let back = plan_at(tmp.path(), q3, CONTACTS, "", "q3-back", &["--previous", &arg("q2")]);
    assert_eq!(back.status.code(), Some(0), "{}", stderr(&back));
    let lifecycles = rows(&tmp.path().join("q3-back"));
    assert!(!lifecycles.contains_key("gone@x.test"), "{lifecycles:?}");
    assert_eq!(lifecycles.values().filter(|(l, _)| l == "erased").count(), 1, "{lifecycles:?}");
    // A log that still holds every Q1 and Q2 line: the events the carried states already hold are not folded
    // again, so Q3 equals Q3 from the rolled-over log.
    let all = format!("{Q1_EVENTS}{Q2_EVENTS}");
    let full = plan_at(tmp.path(), q3, &without, &all, "q3-full", &["--previous", &arg("q2"), "--format", "json"]);
    let rolled = plan_at(tmp.path(), q3, &without, "", "q3-rolled", &["--previous", &arg("q2")]);
    assert_eq!(full.status.code(), Some(4), "gone's line names nobody in this export: {}", stderr(&full));
    assert_eq!(rolled.status.code(), Some(0), "{}", stderr(&rolled));
    let read = |d: &str, f: &str| std::fs::read_to_string(tmp.path().join(d).join(f)).expect("output");
    for file in ["plan.csv", "archive.csv", "tombstones.csv", "state.csv"] {
        assert_eq!(read("q3-full", file), read("q3-rolled", file), "{file}");
    }
    let summary: serde_json::Value = serde_json::from_slice(&full.stdout).expect("summary");
    // arch 3 (2 from Q1, 1 from Q2), bounce 2, recent 1; gone's line names nobody in this export.
    assert_eq!(summary["counts"]["previousEvents"], 6, "{summary}");
}

#[test]
fn a_previous_plan_that_cannot_be_carried_is_refused_with_its_path_and_code() {
    let tmp = tempfile::tempdir().expect("tempdir");
    q1(tmp.path());
    let q1 = tmp.path().join("q1");
    let arg = q1.to_str().expect("utf-8");
    // A previous plan decided after this one's --now: time would run backwards.
    let run = plan_at(tmp.path(), "2026-10-01T00:00:00Z", CONTACTS, "", "early", &["--previous", arg]);
    assert_eq!(run.status.code(), Some(3), "{}", stderr(&run));
    assert!(stderr(&run).contains("previous_after_now"), "{}", stderr(&run));
    assert!(stderr(&run).contains("manifest.json"), "{}", stderr(&run));
    // Tombstones hashed with another salt would let every erased address back in.
    let other = write(tmp.path(), "other-salt.txt", "another-salt-of-enough-length\n");
    let contacts = write(tmp.path(), "c.csv", CONTACTS);
    let events = write(tmp.path(), "e.ndjson", "");
    let out = tmp.path().join("other");
    let out = out.to_str().expect("utf-8");
    let args = ["plan", "--playbook", SAAS, "--contacts", &contacts, "--events", &events, "--now", Q2, "--out", out];
    let run = rekindle(&[&args[..], &["--quiet", "--salt-file", &other, "--previous", arg]].concat());
    assert_eq!(run.status.code(), Some(3), "{}", stderr(&run));
    assert!(stderr(&run).contains("salt_mismatch"), "{}", stderr(&run));
    // A state row that does not read back names its file and line.
    let state = std::fs::read_to_string(q1.join("state.csv")).expect("state.csv");
    let mut lines: Vec<String> = state.lines().map(str::to_string).collect();
    lines[2] = lines[2].replace(',', ",zz");
    std::fs::write(q1.join("state.csv"), lines.join("\n") + "\n").expect("write");
    let run = plan_at(tmp.path(), Q2, CONTACTS, "", "bad", &["--previous", arg]);
    assert_eq!(run.status.code(), Some(3), "{}", stderr(&run));
    assert!(stderr(&run).contains("state.csv:3"), "{}", stderr(&run));
    assert!(stderr(&run).contains("bad_state"), "{}", stderr(&run));
    // A directory that holds no plan.
    let run = plan_at(tmp.path(), Q2, CONTACTS, "", "none", &["--previous", tmp.path().to_str().expect("utf-8")]);
    assert_eq!(run.status.code(), Some(3), "{}", stderr(&run));
    assert!(stderr(&run).contains("not_a_plan"), "{}", stderr(&run));
    // A file of the plan where its directory belongs: named as given, said to be a file (it was an I/O error, exit 1).
    let file = q1.join("manifest.json");
    let run = plan_at(tmp.path(), Q2, CONTACTS, "", "file", &["--previous", file.to_str().expect("utf-8")]);
    assert_eq!(run.status.code(), Some(3), "{}", stderr(&run));
    let message = stderr(&run);
    assert!(message.contains(&format!("{}: not a rekindle plan directory: a file", file.display())), "{message}");
    assert!(message.contains("(not_a_plan)"), "{message}");
    assert!(json(&q1.join("manifest.json"))["saltCheck"].is_string());
}

/// The salt every `plan_at` run hashes with.
const SALT: &str = "a-salt-kept-apart-from-the-plans";

/// `hex(SHA-256(salt ‖ email))`, as tombstones.csv and suppressed.csv write an address.
fn hashed(email: &str) -> String {
    use sha2::{Digest, Sha256};
    let digest = Sha256::new().chain_update(SALT).chain_update(email).finalize();
    digest.iter().map(|b| format!("{b:02x}")).collect()
}

/// suppressed.csv's rows, header aside.
fn suppressed(dir: &Path) -> Vec<String> {
    let text = std::fs::read_to_string(dir.join("suppressed.csv")).expect("suppressed.csv");
    assert_eq!(text.lines().next(), Some("sha256,channel,reason,since"), "{text}");
    text.lines().skip(1).map(str::to_string).collect()
}

#[test]
fn a_suppressed_address_absent_from_an_export_is_still_suppressed_when_it_comes_back() {
    let tmp = tempfile::tempdir().expect("tempdir");
    q1(tmp.path());
    let arg = |d: &str| tmp.path().join(d).to_str().expect("utf-8").to_string();
    let bounce = format!("{},email,bounced,2026-11-10T10:00:00Z", hashed("bounce@x.test"));
    assert_eq!(suppressed(&tmp.path().join("q1")), [bounce.as_str()], "Q1 lists the bounce, by hash only");
    // Q2: the ESP dropped the bounced address from its export; the list keeps it (and never the address).
    let without = CONTACTS.replace("bounce@x.test,2025-01-01T00:00:00Z\n", "");
    let run = plan_at(tmp.path(), Q2, &without, Q2_EVENTS, "q2", &["--previous", &arg("q1")]);
    assert_eq!(run.status.code(), Some(0), "{}", stderr(&run));
    assert_eq!(suppressed(&tmp.path().join("q2")), [bounce.as_str()]);
    assert!(!std::fs::read_to_string(tmp.path().join("q2/state.csv")).expect("state").contains("bounce@x.test"));
    let manifest = json(&tmp.path().join("q2/manifest.json"));
    let files = manifest["files"].as_array().expect("files");
    assert!(files.iter().any(|f| f["path"] == "suppressed.csv" && f["rows"] == 1), "{manifest}");
    // Q3: re-imported from the CRM, clicking as if nothing happened: still denied email, for the bounce of Q1.
    let q3 = "2027-05-26T12:00:00Z";
    let click = "{\"contact\":\"bounce@x.test\",\"at\":\"2027-05-20T10:00:00Z\",\"kind\":\"email_click\"}\n";
    let run = plan_at(tmp.path(), q3, CONTACTS, click, "q3", &["--previous", &arg("q2"), "--format", "json"]);
    assert_eq!(run.status.code(), Some(0), "{}", stderr(&run));
    let rows = rows(&tmp.path().join("q3"));
    assert_eq!(rows["bounce@x.test"], ("active".into(), "deny".into()), "{rows:?}");
    assert_eq!(suppressed(&tmp.path().join("q3")), [bounce], "the contact's own suppression, as core folded it");
    let summary: serde_json::Value = serde_json::from_slice(&run.stdout).expect("summary");
    assert_eq!(summary["counts"]["previousSuppressions"], 1, "{summary}");
}

#[test]
fn an_unsubscribe_carried_through_an_absence_is_lifted_by_a_later_resubscribe_only() {
    let tmp = tempfile::tempdir().expect("tempdir");
    let arg = |d: &str| tmp.path().join(d).to_str().expect("utf-8").to_string();
    let contacts = "email,created_at\nstays@x.test,2025-01-01T00:00:00Z\nback@x.test,2025-01-01T00:00:00Z\n";
    let unsubscribes = "\
{\"contact\":\"stays@x.test\",\"at\":\"2026-11-01T10:00:00Z\",\"kind\":\"unsubscribe\"}
{\"contact\":\"back@x.test\",\"at\":\"2026-11-02T10:00:00Z\",\"kind\":\"unsubscribe\",\"props\":{\"channel\":\"all\"}}
";
    let run = plan_at(tmp.path(), Q1, contacts, unsubscribes, "u1", &[]);
    assert_eq!(run.status.code(), Some(0), "{}", stderr(&run));
    assert_eq!(suppressed(&tmp.path().join("u1")).len(), 3, "stays: email; back: email and sms");
    let run = plan_at(tmp.path(), Q2, "email\nother@x.test\n", "", "u2", &["--previous", &arg("u1")]);
    assert_eq!(run.status.code(), Some(0), "{}", stderr(&run));
    assert_eq!(suppressed(&tmp.path().join("u2")), suppressed(&tmp.path().join("u1")));
    // Both come back; `back` resubscribed to email in the meantime (a preference center of another system).
    let q3 = "2027-05-26T12:00:00Z";
    let subscribe = "{\"contact\":\"back@x.test\",\"at\":\"2027-05-01T10:00:00Z\",\"kind\":\"subscribe\"}\n";
    let run = plan_at(tmp.path(), q3, contacts, subscribe, "u3", &["--previous", &arg("u2")]);
    assert_eq!(run.status.code(), Some(0), "{}", stderr(&run));
    let rows = rows(&tmp.path().join("u3"));
    assert_eq!(rows["stays@x.test"].1, "deny", "{rows:?}");
    assert_ne!(rows["back@x.test"].1, "deny", "{rows:?}");
    let (stays, back) = (hashed("stays@x.test"), hashed("back@x.test"));
    let mut expected = vec![
        format!("{back},sms,unsubscribed,2026-11-02T10:00:00Z"),
        format!("{stays},email,unsubscribed,2026-11-01T10:00:00Z"),
    ];
    expected.sort();
    assert_eq!(suppressed(&tmp.path().join("u3")), expected, "the resubscribe lifted email only");
}

#[test]
fn a_suppression_list_that_does_not_read_back_is_refused_with_its_line() {
    let tmp = tempfile::tempdir().expect("tempdir");
    q1(tmp.path());
    let q1 = tmp.path().join("q1");
    let arg = q1.to_str().expect("utf-8");
    let good = std::fs::read_to_string(q1.join("suppressed.csv")).expect("suppressed.csv");
    let hash = hashed("bounce@x.test");
    for bad in [
        "0123,email,bounced,2026-11-10T10:00:00Z",
        &format!("{hash},fax,bounced,2026-11-10T10:00:00Z"),
        &format!("{hash},email,annoyed,2026-11-10T10:00:00Z"),
        &format!("{hash},email,bounced,last tuesday"),
        &format!("{hash},sms,complained,2026-11-10T10:00:00Z"),
        &format!("{hash},email"),
    ] {
        std::fs::write(q1.join("suppressed.csv"), format!("{good}{bad}\n")).expect("write");
        let run = plan_at(tmp.path(), Q2, CONTACTS, "", "bad", &["--previous", arg]);
        assert_eq!(run.status.code(), Some(3), "{bad}: {}", stderr(&run));
        assert!(stderr(&run).contains("suppressed.csv:3"), "{bad}: {}", stderr(&run));
        assert!(stderr(&run).contains("bad_suppression"), "{bad}: {}", stderr(&run));
    }
    // Listed in the manifest but gone: the plan is incomplete, not one without suppressions.
    std::fs::remove_file(q1.join("suppressed.csv")).expect("remove");
    let run = plan_at(tmp.path(), Q2, CONTACTS, "", "bad", &["--previous", arg]);
    assert_eq!(run.status.code(), Some(3), "{}", stderr(&run));
    assert!(stderr(&run).contains("not_a_plan"), "{}", stderr(&run));
}

#[test]
fn without_salt_file_the_previous_plans_own_salt_is_used_and_said() {
    let tmp = tempfile::tempdir().expect("tempdir");
    let contacts = write(tmp.path(), "contacts.csv", CONTACTS);
    let events = write(tmp.path(), "q1.ndjson", Q1_EVENTS);
    let none = write(tmp.path(), "none.ndjson", "");
    let run_into = |out: &str, now: &str, events: &str, extra: &[&str]| {
        let out = tmp.path().join(out);
        let out = out.to_str().expect("utf-8").to_string();
        let args = ["plan", "--playbook", SAAS, "--contacts", &contacts, "--events", events, "--now", now];
        rekindle(&[&args[..], &["--out", &out, "--quiet"], extra].concat())
    };
    // Q1 without --salt-file: the salt is generated into q1/salt.txt.
    let run = run_into("q1", Q1, &events, &[]);
    assert_eq!(run.status.code(), Some(0), "{}", stderr(&run));
    let q1 = tmp.path().join("q1");
    let previous = q1.to_str().expect("utf-8");
    // Q2 from it, again without --salt-file: Q1's salt, not a new one that salt_mismatch would refuse.
    let run = run_into("q2", Q2, &none, &["--previous", previous]);
    assert_eq!(run.status.code(), Some(0), "{}", stderr(&run));
    let said: Vec<String> = stderr(&run).lines().filter(|l| l.contains("salt")).map(str::to_string).collect();
    assert_eq!(said.len(), 1, "{said:?}");
    assert!(said[0].contains(&q1.join("salt.txt").display().to_string()), "{said:?}");
    let read = |d: &str, f: &str| std::fs::read_to_string(tmp.path().join(d).join(f)).expect("output");
    assert_eq!(read("q2", "salt.txt"), read("q1", "salt.txt"), "kept with the plan it hashed, for the next run");
    assert_eq!(read("q2", "tombstones.csv"), read("q1", "tombstones.csv"));
    assert!(!rows(&tmp.path().join("q2")).contains_key("gone@x.test"), "erased again");
    // A salt.txt that did not hash the previous plan is not taken: refused as before.
    std::fs::write(q1.join("salt.txt"), "some-other-salt-of-enough-length\n").expect("write");
    let run = run_into("q2b", Q2, &none, &["--previous", previous]);
    assert_eq!(run.status.code(), Some(3), "{}", stderr(&run));
    assert!(stderr(&run).contains("salt_mismatch"), "{}", stderr(&run));
}

#[test]
fn an_earlier_now_over_a_later_plan_in_the_same_out_is_refused_and_leaves_it_whole() {
    let tmp = tempfile::tempdir().expect("tempdir");
    q1(tmp.path());
    let before = snapshot(&tmp.path().join("q1"));
    // Without --previous: the Q1 plan in `q1` would be replaced by one of October, losing `gone`'s tombstone.
    let run = plan_at(tmp.path(), "2026-10-01T00:00:00Z", CONTACTS, Q1_EVENTS, "q1", &[]);
    assert_eq!(run.status.code(), Some(3), "{}", stderr(&run));
    assert!(stderr(&run).contains("out_after_now"), "{}", stderr(&run));
    assert!(stderr(&run).contains("2026-11-26T12:00:00Z"), "names the later plan's --now: {}", stderr(&run));
    assert!(snapshot(&tmp.path().join("q1")) == before, "the later plan is untouched");
    // The same --now again is a rerun, and a later one plans forward (warned that it forgets the earlier).
    let run = plan_at(tmp.path(), Q1, CONTACTS, Q1_EVENTS, "q1", &[]);
    assert_eq!(run.status.code(), Some(0), "{}", stderr(&run));
    let run = plan_at(tmp.path(), Q2, CONTACTS, Q2_EVENTS, "later", &[]);
    assert_eq!(run.status.code(), Some(0), "{}", stderr(&run));
    // With --previous too (Q1, before --now): an --out holding a later plan than --now is not written over.
    let q1 = tmp.path().join("q1");
    let run = plan_at(
        tmp.path(),
        "2027-01-01T00:00:00Z",
        CONTACTS,
        "",
        "later",
        &["--previous", q1.to_str().expect("utf-8")],
    );
    assert_eq!(run.status.code(), Some(3), "{}", stderr(&run));
    assert!(stderr(&run).contains("out_after_now"), "{}", stderr(&run));
}

/// erasure.json's `erasedAt` of its only row (epoch ms).
fn erased_at(dir: &Path) -> i64 {
    json(&dir.join("erasure.json"))[0]["erasedAt"].as_i64().expect("erasedAt")
}

/// 2026-11-20T10:00:00Z, when `gone` asked to be erased, and Q1's --now, in epoch ms.
const GONE_ERASED: i64 = 1_795_168_800_000;
const Q1_MS: i64 = 1_795_694_400_000;

#[test]
fn a_re_erased_address_keeps_the_date_it_was_first_erased_and_old_tombstone_lists_still_read() {
    let tmp = tempfile::tempdir().expect("tempdir");
    q1(tmp.path());
    let q1 = tmp.path().join("q1");
    let arg = q1.to_str().expect("utf-8");
    let gone = hashed("gone@x.test");
    let tombstones = |d: &Path| std::fs::read_to_string(d.join("tombstones.csv")).expect("tombstones");
    assert_eq!(tombstones(&q1), format!("sha256,erased_at\n{gone},2026-11-20T10:00:00Z\n"));
    assert_eq!(erased_at(&q1), GONE_ERASED);
    // Q2 re-imports `gone`: erased again as of 20 November (the request), not as of Q1's --now.
    let run = plan_at(tmp.path(), Q2, CONTACTS, Q2_EVENTS, "q2", &["--previous", arg]);
    assert_eq!(run.status.code(), Some(0), "{}", stderr(&run));
    assert_eq!(erased_at(&tmp.path().join("q2")), GONE_ERASED);
    assert_eq!(tombstones(&tmp.path().join("q2")), tombstones(&q1));
    // A list written before erased_at (the hash alone) still reads: the erasure is dated at that plan's --now,
    // and this run's list has the column, with that date.
    std::fs::write(q1.join("tombstones.csv"), format!("sha256\n{gone}\n")).expect("write");
    let run = plan_at(tmp.path(), Q2, CONTACTS, Q2_EVENTS, "q2-old", &["--previous", arg]);
    assert_eq!(run.status.code(), Some(0), "{}", stderr(&run));
    assert_eq!(erased_at(&tmp.path().join("q2-old")), Q1_MS);
    assert_eq!(tombstones(&tmp.path().join("q2-old")), format!("sha256,erased_at\n{gone},2026-11-26T12:00:00Z\n"));
    // A date that does not read back is refused with its line.
    std::fs::write(q1.join("tombstones.csv"), format!("sha256,erased_at\n{gone},someday\n")).expect("write");
    let run = plan_at(tmp.path(), Q2, CONTACTS, "", "bad", &["--previous", arg]);
    assert_eq!(run.status.code(), Some(3), "{}", stderr(&run));
    assert!(stderr(&run).contains("tombstones.csv:2"), "{}", stderr(&run));
    assert!(stderr(&run).contains("bad_tombstone"), "{}", stderr(&run));
}

#[test]
fn a_contact_merged_by_phone_is_checked_against_the_carried_lists_under_every_address() {
    let tmp = tempfile::tempdir().expect("tempdir");
    let arg = |d: &str| tmp.path().join(d).to_str().expect("utf-8").to_string();
    // Q1: three people, each alone: `z-alias` complained, `gone` asked to be erased, `a-main` clicked.
    let q1_contacts = "email,created_at\n\
        a-main@x.test,2025-01-01T00:00:00Z\n\
        z-alias@x.test,2025-01-01T00:00:00Z\n\
        gone@x.test,2025-01-01T00:00:00Z\n";
    let q1_events = "\
{\"contact\":\"a-main@x.test\",\"at\":\"2026-11-19T10:00:00Z\",\"kind\":\"email_click\"}
{\"contact\":\"z-alias@x.test\",\"at\":\"2026-11-12T10:00:00Z\",\"kind\":\"spam_complaint\"}
{\"contact\":\"gone@x.test\",\"at\":\"2026-11-20T10:00:00Z\",\"kind\":\"erasure_request\"}
";
    let run = plan_at(tmp.path(), Q1, q1_contacts, q1_events, "m1", &[]);
    assert_eq!(run.status.code(), Some(0), "{}", stderr(&run));
    // Q2: a CRM export joins them by phone: `z-alias` into `a-main` (carried from Q1), `gone` into `b-new`.
    let q2_contacts = "email,phone,created_at\n\
        a-main@x.test,+1 415 555 0100,2025-01-01T00:00:00Z\n\
        z-alias@x.test,+1 415 555 0100,2025-01-01T00:00:00Z\n\
        b-new@x.test,+1 212 555 0100,2025-01-01T00:00:00Z\n\
        gone@x.test,+1 212 555 0100,2025-01-01T00:00:00Z\n";
    let run = plan_at(tmp.path(), Q2, q2_contacts, "", "m2", &["--previous", &arg("m1"), "--format", "json"]);
    assert_eq!(run.status.code(), Some(0), "{}", stderr(&run));
    let rows = rows(&tmp.path().join("m2"));
    // The complaint under the merged address holds for the person (D4), though a-main's own state lacked it.
    assert_eq!(rows["a-main@x.test"].1, "deny", "{rows:?}");
    // The erased address merged into another erases the person again (D9): no row with an address.
    assert!(!rows.contains_key("b-new@x.test") && !rows.contains_key("gone@x.test"), "{rows:?}");
    assert_eq!(rows.values().filter(|(l, _)| l == "erased").count(), 1, "{rows:?}");
    for (name, bytes) in snapshot(&tmp.path().join("m2")) {
        let text = String::from_utf8_lossy(&bytes);
        assert!(!text.contains("gone@x.test") && !text.contains("b-new@x.test"), "an erased address is in {name}");
    }
    // Both lists hold every address of the person: whichever a later export keeps stays blocked.
    let tombstones = std::fs::read_to_string(tmp.path().join("m2/tombstones.csv")).expect("tombstones");
    for email in ["gone@x.test", "b-new@x.test"] {
        assert!(tombstones.contains(&format!("{},2026-11-20T10:00:00Z", hashed(email))), "{email}: {tombstones}");
    }
    let listed = suppressed(&tmp.path().join("m2"));
    for email in ["a-main@x.test", "z-alias@x.test"] {
        let row = format!("{},email,complained,2026-11-12T10:00:00Z", hashed(email));
        assert!(listed.contains(&row), "{email}: {listed:?}");
    }
    let summary: serde_json::Value = serde_json::from_slice(&run.stdout).expect("summary");
    assert_eq!(summary["counts"]["previousSuppressions"], 1, "{summary}");
    assert_eq!(summary["counts"]["previousTombstones"], 1, "{summary}");
}

/// The data cells of report.html's table row `data-key="<key>"`.
fn report_row(dir: &Path, key: &str) -> Vec<String> {
    let html = std::fs::read_to_string(dir.join("report.html")).expect("report.html");
    let start = html.find(&format!("<tr data-key=\"{key}\">")).unwrap_or_else(|| panic!("no row {key}"));
    let end = start + html[start..].find("</tr>").expect("row end");
    html[start..end].split("<td>").skip(1).map(|c| c.split("</td>").next().expect("cell").to_string()).collect()
}

#[test]
fn report_rates_count_what_rolled_out_of_the_logs_and_each_complaint_once() {
    let tmp = tempfile::tempdir().expect("tempdir");
    let arg = |d: &str| tmp.path().join(d).to_str().expect("utf-8").to_string();
    let both = "email,created_at\nopens@x.test,2025-01-01T00:00:00Z\nspam@x.test,2025-01-01T00:00:00Z\n";
    let complaint = "{\"contact\":\"spam@x.test\",\"at\":\"2026-11-20T10:00:00Z\",\"kind\":\"spam_complaint\"}\n";
    let q1_events = format!(
        "{{\"contact\":\"opens@x.test\",\"at\":\"2026-11-20T10:00:00Z\",\"kind\":\"email_open\"}}\n{complaint}"
    );
    let run = plan_at(tmp.path(), Q1, both, &q1_events, "r1", &[]);
    assert_eq!(run.status.code(), Some(0), "{}", stderr(&run));
    assert_eq!(report_row(&tmp.path().join("r1"), "open")[0], "50.0 % (1)");
    assert_eq!(report_row(&tmp.path().join("r1"), "complaints"), ["1"]);
    // Five days on, the export lacks `spam` (the ESP dropped the complainer); the log rolled over.
    let run =
        plan_at(tmp.path(), "2026-12-01T12:00:00Z", "email\nopens@x.test\n", "", "r2", &["--previous", &arg("r1")]);
    assert_eq!(run.status.code(), Some(0), "{}", stderr(&run));
    assert_eq!(report_row(&tmp.path().join("r2"), "open")[0], "100.0 % (1)", "the carried open of 20 November");
    // Ten days on, `spam` is back and a log that still holds its complaint: the list gives the complaint back at
    // its since and the log repeats it — one complaint, 20 days before --now. `opens` opened 20 days before,
    // though no log of this run says so.
    let q3 = "2026-12-10T12:00:00Z";
    let run = plan_at(tmp.path(), q3, both, complaint, "r3", &["--previous", &arg("r2")]);
    assert_eq!(run.status.code(), Some(0), "{}", stderr(&run));
    let r3 = tmp.path().join("r3");
    assert_eq!(report_row(&r3, "complaints"), ["1"]);
    assert_eq!(report_row(&r3, "open"), ["50.0 % (1)", "50.0 % (1)", "50.0 % (1)"]);
    // And a run whose log lost the complaint counts it still, from the carried state: by its own time.
    let run = plan_at(tmp.path(), "2026-12-15T12:00:00Z", both, "", "r4", &["--previous", &arg("r3")]);
    assert_eq!(run.status.code(), Some(0), "{}", stderr(&run));
    assert_eq!(report_row(&tmp.path().join("r4"), "complaints"), ["1"]);
    // 21 December 10:00 is 31 days after it: out of the window.
    let run = plan_at(tmp.path(), "2026-12-21T10:00:00Z", both, "", "r5", &["--previous", &arg("r4")]);
    assert_eq!(run.status.code(), Some(0), "{}", stderr(&run));
    assert_eq!(report_row(&tmp.path().join("r5"), "complaints"), ["0"]);
    assert_eq!(report_row(&tmp.path().join("r5"), "open")[1], "50.0 % (1)", "31 days: within 90");
}
