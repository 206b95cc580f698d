//! The stated churn reason from an exit survey (D39): a `custom:exit_survey` event with a `reason` prop in
//! `--events` is the customer's `churn_reason_stated` at its `at` — the latest statement wins, the model's
//! behavioural reason never replaces it, and a `--previous` run keeps it after the survey left the logs.
#![allow(clippy::expect_used, clippy::unwrap_used, clippy::indexing_slicing, clippy::panic, missing_docs)]

use std::collections::BTreeMap;
use std::path::{Path, PathBuf};
use std::process::Command;

const DAY: i64 = 86_400_000;

fn repo() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("../..")
}

fn ms(text: &str) -> i64 {
    rekindle_core::Timestamp::parse(&rekindle_core::Value::String(text.into()), "t").unwrap().ms()
}

fn iso(t: i64) -> String {
    let (y, m, d) = rekindle_core::zone::civil_from_days(t.div_euclid(DAY));
    format!("{y:04}-{m:02}-{d:02}T09:00:00Z")
}

fn plan(dir: &Path, now: &str, events: &str, out: &str, extra: &[&str]) -> PathBuf {
    let contacts = dir.join("contacts.csv");
    std::fs::write(&contacts, "email,id,churn_reason_stated\na@x.test,a,\nb@x.test,b,\nc@x.test,c,\n").unwrap();
    let log = dir.join(format!("{out}.ndjson"));
    std::fs::write(&log, events).unwrap();
    let out = dir.join(out);
    let mut args = vec!["plan", "--now", now, "--quiet", "--out", out.to_str().unwrap()];
    args.extend(["--playbook", "examples/playbooks/ecommerce.json", "--contacts", contacts.to_str().unwrap()]);
    args.extend(["--events", log.to_str().unwrap()]);
    args.extend(extra);
    let output = Command::new(env!("CARGO_BIN_EXE_rekindle")).args(&args).current_dir(repo()).output().unwrap();
    assert_eq!(output.status.code(), Some(0), "{}", String::from_utf8_lossy(&output.stderr));
    out
}

/// alerts.csv as id → stated_reason.
fn stated(out: &Path) -> BTreeMap<String, String> {
    let mut r = csv::Reader::from_path(out.join("alerts.csv")).unwrap();
    let header: Vec<String> = r.headers().unwrap().iter().map(String::from).collect();
    let (id, reason) =
        (header.iter().position(|h| h == "id").unwrap(), header.iter().position(|h| h == "stated_reason").unwrap());
    r.records().map(|rec| rec.unwrap()).map(|rec| (rec[id].to_string(), rec[reason].to_string())).collect()
}

fn event(who: &str, at: i64, kind: &str, props: &str) -> String {
    format!("{{\"contact\":\"{who}\",\"at\":\"{}\",\"kind\":\"{kind}\",\"props\":{props}}}\n", iso(at))
}

#[test]
fn d39_an_exit_survey_event_is_the_stated_reason_the_latest_wins_and_a_previous_run_keeps_it() {
    let dir = tempfile::tempdir().unwrap();
    let now = ms("2026-11-26T12:00:00Z");
    // Two orders 200 and 170 days ago, then silence: every customer is alerted (purchase gap).
    let mut events = String::new();
    for who in ["a@x.test", "b@x.test", "c@x.test"] {
        for back in [200, 170] {
            events.push_str(&event(who, now - back * DAY, "purchase", "{\"value\":10}"));
        }
    }
    let orders = events.clone();
    // a: two surveys, the later one first in the file; b: one with a number (the survey's option); c: a survey
    // without a reason, which states nothing.
    events.push_str(&event("a@x.test", now - 100 * DAY, "custom:exit_survey", "{\"reason\":\"switched to a rival\"}"));
    events.push_str(&event("a@x.test", now - 120 * DAY, "custom:exit_survey", "{\"reason\":\"too expensive\"}"));
    events.push_str(&event("b@x.test", now - 90 * DAY, "custom:exit_survey", "{\"reason\":3}"));
    events.push_str(&event("c@x.test", now - 90 * DAY, "custom:exit_survey", "{\"reason\":\"  \"}"));
    let first = plan(dir.path(), "2026-11-26T12:00:00Z", &events, "first", &[]);
    let want: BTreeMap<String, String> = [("a", "switched to a rival"), ("b", "3"), ("c", "")]
        .iter()
        .map(|(k, v)| (k.to_string(), v.to_string()))
        .collect();
    assert_eq!(stated(&first), want);

    // A week later the logs hold the orders only: the stated reasons come from the carried states.
    let previous = first.to_str().unwrap().to_string();
    let next = plan(dir.path(), "2026-12-03T12:00:00Z", &orders, "next", &["--previous", &previous]);
    assert_eq!(stated(&next), want, "kept through a --previous run, never replaced by the model's reason");

    // A later survey after the previous plan states a new reason.
    let mut later = orders.clone();
    later.push_str(&event("b@x.test", ms("2026-12-05T09:00:00Z"), "custom:exit_survey", "{\"reason\":\"moved\"}"));
    let previous = next.to_str().unwrap().to_string();
    let last = plan(dir.path(), "2026-12-10T12:00:00Z", &later, "last", &["--previous", &previous]);
    assert_eq!(stated(&last)["b"], "moved");
    assert_eq!(stated(&last)["a"], "switched to a rival");
}
