//! `rekindle plan` as the re-engagement campaign tool (gap analysis of the batch job on real exports): with
//! `reactivation_entry: manual` (every example playbook) a cold contact waits for "a campaign picks it" (design §7,
//! D11), which no ESP export records — `--start-reactivation` is that campaign. Core moves the phases after cold
//! on time alone, so a monthly run never sees a 72 h break-up (D8): such contacts are listed and warned about.
//! Also: `--events` is optional, and the D5 complaint rate is in the summary and on stderr.
#![allow(clippy::expect_used, clippy::indexing_slicing, clippy::panic)] // test helpers: a failed setup aborts the test

#[path = "support/plan_cli.rs"]
mod plan_cli;

use std::collections::BTreeMap;
use std::path::Path;
use std::process::Output;

use plan_cli::{rekindle, repo, stderr, write, SAAS};

const NOW: &str = "2026-11-26T12:00:00Z";

/// Everyone listed in 2025. `cold` clicked in March 2025 (cold since September 2025); `unsub` too, then
/// unsubscribed; `active` clicked last week; `started` was picked by an earlier campaign on 20 November (still in
/// soft reactivation); `gone` was archived by a campaign in 2026 (picked 1 September, archived 18 September).
const CONTACTS: &str = "email,created_at\n\
    cold@x.test,2025-01-01T00:00:00Z\n\
    unsub@x.test,2025-01-01T00:00:00Z\n\
    active@x.test,2025-01-01T00:00:00Z\n\
    started@x.test,2025-01-01T00:00:00Z\n\
    gone@x.test,2025-01-01T00:00:00Z\n";

const EVENTS: &str = "\
{\"contact\":\"cold@x.test\",\"at\":\"2025-03-01T10:00:00Z\",\"kind\":\"email_click\"}
{\"contact\":\"unsub@x.test\",\"at\":\"2025-03-01T10:00:00Z\",\"kind\":\"email_click\"}
{\"contact\":\"unsub@x.test\",\"at\":\"2025-04-01T10:00:00Z\",\"kind\":\"unsubscribe\"}
{\"contact\":\"active@x.test\",\"at\":\"2026-11-19T10:00:00Z\",\"kind\":\"email_click\"}
{\"contact\":\"started@x.test\",\"at\":\"2025-03-01T10:00:00Z\",\"kind\":\"email_click\"}
{\"contact\":\"started@x.test\",\"at\":\"2026-11-20T10:00:00Z\",\"kind\":\"reactivation_started\"}
{\"contact\":\"gone@x.test\",\"at\":\"2025-03-01T10:00:00Z\",\"kind\":\"email_click\"}
{\"contact\":\"gone@x.test\",\"at\":\"2026-09-01T10:00:00Z\",\"kind\":\"reactivation_started\"}
";

fn run(dir: &Path, playbook: &str, now: &str, out: &str, extra: &[&str]) -> Output {
    let contacts = write(dir, "contacts.csv", CONTACTS);
    let events = write(dir, "events.ndjson", EVENTS);
    let salt = write(dir, "salt.txt", "a-salt-kept-apart-from-the-plans\n");
    let out = dir.join(out);
    let out = out.to_str().expect("utf-8 path");
    let mut args = vec!["plan", "--playbook", playbook, "--contacts", &contacts, "--events", &events, "--now", now];
    args.extend(["--out", out, "--quiet", "--salt-file", &salt, "--format", "json"]);
    args.extend(extra);
    rekindle(&args)
}

fn summary(run: &Output) -> serde_json::Value {
    serde_json::from_slice(&run.stdout).unwrap_or_else(|e| panic!("summary JSON ({e}): {}", stderr(run)))
}

/// plan.csv as email → lifecycle.
fn phases(dir: &Path) -> BTreeMap<String, String> {
    let text = std::fs::read_to_string(dir.join("plan.csv")).expect("plan.csv");
    let mut lines = text.lines();
    let header: Vec<&str> = lines.next().expect("header").split(',').collect();
    let col = |name: &str| header.iter().position(|h| *h == name).expect("column");
    let (email, lifecycle) = (col("email"), col("lifecycle"));
    lines.map(|l| l.split(',').collect::<Vec<_>>()).map(|c| (c[email].to_string(), c[lifecycle].to_string())).collect()
}

/// The emails a CSV lists (its `email` column), sorted.
fn emails(path: &Path) -> Vec<String> {
    let text = std::fs::read_to_string(path).unwrap_or_else(|e| panic!("{}: {e}", path.display()));
    let mut lines = text.lines();
    let header: Vec<&str> = lines.next().expect("header").split(',').collect();
    let col = header.iter().position(|h| *h == "email").expect("email column");
    let mut out: Vec<String> = lines.map(|l| l.split(',').nth(col).expect("cell").to_string()).collect();
    out.sort();
    out
}

fn arg(dir: &Path, name: &str) -> String {
    dir.join(name).to_str().expect("utf-8 path").to_string()
}

#[test]
fn start_reactivation_picks_the_cold_contacts_that_may_be_emailed_and_says_why_not_the_others() {
    // D11: "a quarterly mini-campaign picks the new cold group"; design §7: manual entry waits for a campaign.
    let tmp = tempfile::tempdir().expect("tempdir");
    let without = run(tmp.path(), SAAS, NOW, "plain", &[]);
    assert_eq!(without.status.code(), Some(0), "{}", stderr(&without));
    assert_eq!(phases(&tmp.path().join("plain"))["cold@x.test"], "cold", "without the flag nobody starts");
    assert!(summary(&without).get("reactivation").is_none(), "no campaign, no reactivation summary");

    let picked = run(tmp.path(), SAAS, NOW, "picked", &["--start-reactivation"]);
    assert_eq!(picked.status.code(), Some(0), "{}", stderr(&picked));
    let dir = tmp.path().join("picked");
    let p = phases(&dir);
    assert_eq!(p["cold@x.test"], "soft_reactivation");
    assert_eq!(p["unsub@x.test"], "cold", "an unsubscribed contact is not mailed a campaign (D4)");
    assert_eq!(p["active@x.test"], "active");
    assert_eq!(p["started@x.test"], "soft_reactivation");
    assert_eq!(p["gone@x.test"], "archived", "an archived contact is never picked again (D11)");
    assert_eq!(emails(&dir.join("audiences/soft_reactivation.csv")), ["cold@x.test", "started@x.test"]);
    let s = summary(&picked);
    assert_eq!(s["reactivation"]["picked"], 1);
    let not: BTreeMap<String, u64> = serde_json::from_value(s["reactivation"]["notPicked"].clone()).expect("counts");
    let expected = [("already_started", 1), ("archived", 1), ("not_cold", 1), ("suppressed", 1)];
    assert_eq!(not, expected.iter().map(|(k, n)| (k.to_string(), *n)).collect::<BTreeMap<_, _>>());
    // Break-up 14 d after --now, archived 72 h later (saas.json: the defaults).
    assert_eq!(s["reactivation"]["breakUpFrom"], 1_796_904_000_000_i64, "2026-12-10T12:00:00Z");
    assert_eq!(s["reactivation"]["breakUpUntil"], 1_797_163_200_000_i64, "2026-12-13T12:00:00Z");
    let manifest = plan_cli::json(&dir.join("manifest.json"));
    assert_eq!(manifest["reactivation"], s["reactivation"], "the manifest keeps what the run started");
    let err = stderr(&picked);
    assert!(err.contains("started the reactivation campaign for 1 cold contact(s)"), "{err}");
    assert!(err.contains("2026-12-10T12:00:00Z to 2026-12-13T12:00:00Z"), "{err}");
    let html = std::fs::read_to_string(dir.join("report.html")).expect("report.html");
    assert!(html.contains("This run's campaign") && html.contains("Not picked: suppressed"), "report says it too");

    // The started campaign is in state.csv: the next --previous run continues it without the flag.
    let later = run(tmp.path(), SAAS, "2026-12-11T12:00:00Z", "next", &["--previous", &arg(tmp.path(), "picked")]);
    assert_eq!(later.status.code(), Some(0), "{}", stderr(&later));
    let next = tmp.path().join("next");
    assert_eq!(phases(&next)["cold@x.test"], "break_up", "14 d after the campaign started (D8)");
    assert_eq!(emails(&next.join("audiences/break_up.csv")), ["cold@x.test"]);
    // `started` (picked on 20 November) had its break-up from 4 to 7 December, between the two runs.
    assert_eq!(emails(&next.join("audiences/break_up_unseen.csv")), ["started@x.test"]);
    assert_eq!(summary(&later)["breakUpUnseen"]["contacts"], 1);

    // Picked again next quarter: the contact is already in the campaign, not started twice.
    let again = run(tmp.path(), SAAS, "2026-12-01T12:00:00Z", "again", &["--previous", &arg(tmp.path(), "picked")]);
    assert_eq!(again.status.code(), Some(0), "{}", stderr(&again));
    let again = run(
        tmp.path(),
        SAAS,
        "2026-12-02T12:00:00Z",
        "again2",
        &["--previous", &arg(tmp.path(), "again"), "--start-reactivation"],
    );
    assert_eq!(again.status.code(), Some(0), "{}", stderr(&again));
    let s = summary(&again);
    assert_eq!(s["reactivation"]["picked"], 0);
    assert_eq!(s["reactivation"]["notPicked"]["already_started"], 2);
}

#[test]
fn start_reactivation_is_refused_for_a_playbook_whose_contacts_enter_on_their_own() {
    let tmp = tempfile::tempdir().expect("tempdir");
    let mut playbook = plan_cli::json(&repo().join(SAAS));
    playbook["lifecycle"]["reactivation_entry"] = "on_cold".into();
    let path = write(tmp.path(), "on-cold.json", &playbook.to_string());
    let refused = run(tmp.path(), &path, NOW, "out", &["--start-reactivation"]);
    assert_eq!(refused.status.code(), Some(2), "a usage error: {}", stderr(&refused));
    let err = stderr(&refused);
    assert!(err.contains("reactivation_entry is on_cold") && err.contains("drop the flag"), "{err}");
    assert!(!tmp.path().join("out/manifest.json").exists(), "refused before anything is written");
    let fine = run(tmp.path(), &path, NOW, "out", &[]);
    assert_eq!(fine.status.code(), Some(0), "{}", stderr(&fine));
    assert_eq!(phases(&tmp.path().join("out"))["cold@x.test"], "archived", "on_cold: the campaign ran on its own");
}

#[test]
fn a_break_up_that_falls_between_two_runs_is_listed_and_warned_about() {
    // D8: "Break-up … unless they click/reply within 48–72 h". A month between runs never sees a 72 h break-up.
    let tmp = tempfile::tempdir().expect("tempdir");
    let first = run(tmp.path(), SAAS, NOW, "m1", &["--start-reactivation"]);
    assert_eq!(first.status.code(), Some(0), "{}", stderr(&first));
    let month = run(tmp.path(), SAAS, "2026-12-26T12:00:00Z", "m2", &["--previous", &arg(tmp.path(), "m1")]);
    assert_eq!(month.status.code(), Some(0), "{}", stderr(&month));
    let dir = tmp.path().join("m2");
    let p = phases(&dir);
    assert_eq!(p["cold@x.test"], "archived", "core's timing stands (every runtime's)");
    assert_eq!(p["started@x.test"], "archived");
    // `gone` was archived before the previous plan: seen then, not listed now.
    assert_eq!(emails(&dir.join("audiences/break_up_unseen.csv")), ["cold@x.test", "started@x.test"]);
    let s = summary(&month);
    assert_eq!(s["breakUpUnseen"]["contacts"], 2);
    assert_eq!(s["breakUpUnseen"]["listed"], 2);
    assert_eq!(s["breakUpUnseen"]["breakupDeadlineMs"], 72 * 3_600_000);
    let err = stderr(&month);
    assert!(err.contains("warning: 2 contact(s) went through break-up") && err.contains("every 72 h"), "{err}");
    let html = std::fs::read_to_string(dir.join("report.html")).expect("report.html");
    assert!(html.contains("without any plan listing them in break_up.csv"), "the report warns too");

    // A run inside the break-up window lists the contact in break_up.csv; the archive after it is no surprise.
    let inside = run(tmp.path(), SAAS, "2026-12-11T12:00:00Z", "w", &["--previous", &arg(tmp.path(), "m1")]);
    assert_eq!(inside.status.code(), Some(0), "{}", stderr(&inside));
    let after = run(tmp.path(), SAAS, "2026-12-26T12:00:00Z", "w2", &["--previous", &arg(tmp.path(), "w")]);
    assert_eq!(after.status.code(), Some(0), "{}", stderr(&after));
    assert_eq!(phases(&tmp.path().join("w2"))["cold@x.test"], "archived");
    assert_eq!(summary(&after)["breakUpUnseen"]["contacts"], 0);
    assert!(emails(&tmp.path().join("w2/audiences/break_up_unseen.csv")).is_empty());
    assert!(!stderr(&after).contains("went through break-up"));
}

#[test]
fn the_b2b_sample_without_campaign_events_starts_its_cold_tail() {
    // The vendor sample's site events carry synthetic reactivation_started events no ESP export has; without them
    // its cold tail stays cold until the campaign is started.
    let tmp = tempfile::tempdir().expect("tempdir");
    let site = std::fs::read_to_string(repo().join("examples/data/b2b/site-events.ndjson")).expect("site events");
    let site: String = site.lines().filter(|l| !l.contains("reactivation_started")).map(|l| format!("{l}\n")).collect();
    let site = write(tmp.path(), "site.ndjson", &site);
    let b2b = |out: &str, extra: &[&str]| {
        let out = arg(tmp.path(), out);
        let mut args = vec!["plan", "--playbook", SAAS, "--contacts", "examples/data/b2b/hubspot-contacts.csv"];
        args.extend(["--webhooks", "sendgrid:examples/data/b2b/sendgrid-events.ndjson"]);
        args.extend(["--webhooks", "mailgun:examples/data/b2b/mailgun-events.ndjson", "--events", &site]);
        args.extend(["--default-calling-code", "1", "--now", NOW, "--out", &out, "--quiet", "--format", "json"]);
        args.extend(extra);
        rekindle(&args)
    };
    let plain = summary(&b2b("plain", &[]));
    let cold = plain["lifecycle"]["cold"].as_u64().expect("cold contacts");
    assert!(cold > 0);
    assert!(plain["lifecycle"].get("soft_reactivation").is_none(), "nobody starts on their own");
    let started = summary(&b2b("started", &["--start-reactivation"]));
    let picked = started["reactivation"]["picked"].as_u64().expect("picked");
    let denied = ["suppressed", "no_consent", "sales_conversation", "important_only", "email_denied"];
    let denied: u64 = denied.iter().filter_map(|k| started["reactivation"]["notPicked"][k].as_u64()).sum();
    assert_eq!(picked + denied, cold, "every cold contact is picked or denied email");
    assert_eq!(started["lifecycle"]["soft_reactivation"], picked);
    assert_eq!(emails(&tmp.path().join("started/audiences/soft_reactivation.csv")).len() as u64, picked);
}

#[test]
fn events_are_optional_for_a_contacts_export_alone() {
    let tmp = tempfile::tempdir().expect("tempdir");
    let contacts = write(tmp.path(), "contacts.csv", CONTACTS);
    let out = arg(tmp.path(), "out");
    let args = ["plan", "--playbook", SAAS, "--contacts", &contacts, "--now", NOW, "--out", &out, "--quiet"];
    let run = rekindle(&args);
    assert_eq!(run.status.code(), Some(0), "{}", stderr(&run));
    assert_eq!(phases(&tmp.path().join("out")).len(), 5);
}

#[test]
fn the_complaint_rate_over_the_lines_is_in_the_summary_the_manifest_and_on_stderr() {
    // D5: complaints under 0.1 % of what a bulk sender mails, never 0.3 %. 1 complaint over 200 sends: 0.5 %.
    let tmp = tempfile::tempdir().expect("tempdir");
    let contacts = write(tmp.path(), "contacts.csv", "email\na@x.test\nb@x.test\n");
    let mut events = String::new();
    for i in 0..200 {
        let who = if i % 2 == 0 { "a" } else { "b" };
        events.push_str(&format!(
            "{{\"contact\":\"{who}@x.test\",\"at\":{},\"kind\":\"email_sent\"}}\n",
            1_795_000_000_000_i64 + i * 60_000
        ));
    }
    let ok = write(tmp.path(), "ok.ndjson", &events);
    events.push_str("{\"contact\":\"b@x.test\",\"at\":\"2026-11-25T10:00:00Z\",\"kind\":\"spam_complaint\"}\n");
    let bad = write(tmp.path(), "bad.ndjson", &events);
    let plan = |events: &str, out: &str| {
        let out = arg(tmp.path(), out);
        let args = ["plan", "--playbook", SAAS, "--contacts", &contacts, "--events", events, "--now", NOW];
        rekindle(&[&args[..], &["--out", &out, "--quiet", "--format", "json"]].concat())
    };
    let clean = plan(&ok, "ok");
    assert_eq!(clean.status.code(), Some(0), "{}", stderr(&clean));
    assert_eq!(summary(&clean)["complaintRate"]["status"], "ok");
    assert!(!stderr(&clean).contains("spam-complaint rate"));
    let alarm = plan(&bad, "bad");
    assert_eq!(alarm.status.code(), Some(0), "the exit codes stay as they are: {}", stderr(&alarm));
    let s = summary(&alarm);
    assert_eq!(s["complaintRate"]["status"], "alarm");
    assert_eq!(s["complaintRate"]["complaints"], 1);
    assert_eq!(s["complaintRate"]["sends"], 200);
    assert_eq!(s["complaintRate"]["rate"], 0.005);
    let manifest = plan_cli::json(&tmp.path().join("bad/manifest.json"));
    assert_eq!(manifest["complaintRate"], s["complaintRate"]);
    let err = stderr(&alarm);
    assert_eq!(err.lines().filter(|l| l.contains("spam-complaint rate 0.50 %")).count(), 1, "{err}");
}

/// `run` with the summary as `key,value` rows (`--format csv`) instead of JSON: the rows, and the manifest's JSON.
fn run_csv(dir: &Path, now: &str, out: &str, extra: &[&str]) -> (BTreeMap<String, String>, serde_json::Value) {
    let (contacts, events) = (write(dir, "contacts.csv", CONTACTS), write(dir, "events.ndjson", EVENTS));
    let salt = write(dir, "salt.txt", "a-salt-kept-apart-from-the-plans\n");
    let out = dir.join(out);
    let mut args = vec!["plan", "--playbook", SAAS, "--contacts", &contacts, "--events", &events, "--now", now];
    args.extend(["--out", out.to_str().expect("utf-8 path"), "--quiet", "--salt-file", &salt, "--format", "csv"]);
    args.extend(extra);
    let run = rekindle(&args);
    assert_eq!(run.status.code(), Some(0), "{}", stderr(&run));
    let text = String::from_utf8(run.stdout).expect("utf-8");
    let rows = text.lines().skip(1).filter_map(|l| l.split_once(',')).map(|(k, v)| (k.into(), v.into())).collect();
    (rows, plan_cli::json(&out.join("manifest.json")))
}

#[test]
fn csv_summary_carries_the_campaign_and_the_unseen_break_up_as_the_json_does() {
    let tmp = tempfile::tempdir().expect("tempdir");
    let (rows, manifest) = run_csv(tmp.path(), NOW, "picked", &["--start-reactivation"]);
    let r = &manifest["reactivation"];
    assert_eq!(rows["reactivation.picked"], "1");
    assert_eq!(rows["reactivation.picked"], r["picked"].to_string());
    for reason in ["already_started", "archived", "not_cold", "suppressed"] {
        assert_eq!(rows[&format!("reactivation.not_picked.{reason}")], "1", "{reason}");
    }
    // The JSON's epoch ms as RFC 3339, as every CSV of the plan writes instants.
    assert_eq!(rows["reactivation.break_up_from"], "2026-12-10T12:00:00Z");
    assert_eq!(r["breakUpFrom"], 1_796_904_000_000_i64);
    assert_eq!(rows["reactivation.break_up_until"], "2026-12-13T12:00:00Z");
    assert!(!rows.contains_key("break_up_unseen.contacts"), "no --previous, no unseen break-up");

    let previous = arg(tmp.path(), "picked");
    let (rows, manifest) = run_csv(tmp.path(), "2026-12-11T12:00:00Z", "next", &["--previous", &previous]);
    assert_eq!(rows["break_up_unseen.contacts"], "1", "started@x.test's break-up ran 4 to 7 December");
    assert_eq!(rows["break_up_unseen.listed"], manifest["breakUpUnseen"]["listed"].to_string());
    assert_eq!(rows["break_up_unseen.previous_now"], NOW);
    assert_eq!(rows["break_up_unseen.breakup_deadline_ms"], "259200000", "72 h");
    assert!(!rows.contains_key("reactivation.picked"), "no campaign started in this run");
}
