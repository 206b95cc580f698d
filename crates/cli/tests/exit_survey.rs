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

/// Plans `events` for `contacts` into `dir/out`, on from `previous`.
fn plan_contacts(dir: &Path, now: &str, contacts: &str, events: &str, out: &str, previous: Option<&Path>) -> PathBuf {
    let file = dir.join(format!("{out}-contacts.csv"));
    std::fs::write(&file, contacts).unwrap();
    let previous = previous.map(|p| p.to_str().unwrap().to_string());
    let extra: Vec<&str> = previous.iter().flat_map(|p| ["--previous", p.as_str()]).collect();
    let contacts = file.to_str().unwrap().to_string();
    let log = dir.join(format!("{out}.ndjson"));
    std::fs::write(&log, events).unwrap();
    let salt = dir.join("salt.txt");
    std::fs::write(&salt, "a-salt-kept-apart-from-the-plans\n").unwrap();
    let out = dir.join(out);
    let mut args = vec!["plan", "--now", now, "--quiet", "--out", out.to_str().unwrap()];
    args.extend(["--playbook", "examples/playbooks/ecommerce.json", "--contacts", &contacts]);
    args.extend(["--events", log.to_str().unwrap(), "--salt-file", salt.to_str().unwrap()]);
    args.extend(extra);
    let output = Command::new(env!("CARGO_BIN_EXE_rekindle")).args(&args).current_dir(repo()).output().unwrap();
    assert_eq!(output.status.code(), Some(0), "{}", String::from_utf8_lossy(&output.stderr));
    out
}

#[test]
fn d39_a_crm_column_repeated_by_every_export_does_not_overwrite_a_reason_a_survey_stated_since() {
    let dir = tempfile::tempdir().unwrap();
    let now = ms("2026-11-26T12:00:00Z");
    let mut orders = String::new();
    for who in ["a@x.test", "b@x.test", "d@x.test"] {
        for back in [200, 170] {
            orders.push_str(&event(who, now - back * DAY, "purchase", "{\"value\":10}"));
        }
    }
    // The CRM says "price" for everyone. a answered the exit survey 100 days ago; b never did; d's record was
    // created the instant it answered (the export's profile and the survey at one millisecond: the dated survey
    // states the reason, whichever way the fold orders the two).
    let survey_d = now - 90 * DAY;
    let contacts = format!(
        "email,id,churn_reason_stated,created_at\na@x.test,a,price,\nb@x.test,b,price,\nd@x.test,d,price,{}\n",
        iso(survey_d)
    );
    let mut events = orders.clone();
    events.push_str(&event("a@x.test", now - 100 * DAY, "custom:exit_survey", "{\"reason\":\"switched to a rival\"}"));
    events.push_str(&event("d@x.test", survey_d, "custom:exit_survey", "{\"reason\":\"a rival\"}"));
    let first = plan_contacts(dir.path(), "2026-11-26T12:00:00Z", &contacts, &events, "first", None);
    let reasons = |out: &Path| {
        let s = stated(out);
        [s["a"].clone(), s["b"].clone(), s["d"].clone()]
    };
    assert_eq!(reasons(&first), ["switched to a rival", "price", "a rival"]);

    // A week later: the survey left the logs and the export still says "price". Before the fix the carried
    // contacts' profile was folded again at --now and a's reason read "price".
    let next = plan_contacts(dir.path(), "2026-12-03T12:00:00Z", &contacts, &orders, "next", Some(&first));
    assert_eq!(reasons(&next), ["switched to a rival", "price", "a rival"], "an unchanged cell is no new statement");
    let state = std::fs::read_to_string(next.join("state.csv")).unwrap();
    assert!(state.lines().next().unwrap().ends_with(",stated_reason_cell"), "{state}");
    assert!(state.lines().any(|l| l.starts_with("a@x.test,") && l.ends_with(",price")), "{state}");

    // The CRM's cell changes (a call with the customer): a new statement, it replaces the survey's.
    let changed = contacts.replace("a@x.test,a,price", "a@x.test,a,moved abroad");
    let third = plan_contacts(dir.path(), "2026-12-10T12:00:00Z", &changed, &orders, "third", Some(&next));
    assert_eq!(reasons(&third), ["moved abroad", "price", "a rival"]);
    // And a newer survey replaces that, the unchanged cell notwithstanding.
    let mut later = orders.clone();
    later.push_str(&event("a@x.test", ms("2026-12-12T09:00:00Z"), "custom:exit_survey", "{\"reason\":\"back soon\"}"));
    let fourth = plan_contacts(dir.path(), "2026-12-17T12:00:00Z", &changed, &later, "fourth", Some(&third));
    assert_eq!(reasons(&fourth), ["back soon", "price", "a rival"]);
    let fifth = plan_contacts(dir.path(), "2026-12-24T12:00:00Z", &changed, &orders, "fifth", Some(&fourth));
    assert_eq!(reasons(&fifth), ["back soon", "price", "a rival"], "kept after the survey left the logs");
}

#[test]
fn d39_a_state_file_from_before_the_cell_column_keeps_the_stated_reason_it_holds() {
    let dir = tempfile::tempdir().unwrap();
    let now = ms("2026-11-26T12:00:00Z");
    let mut orders = String::new();
    for who in ["a@x.test", "b@x.test"] {
        for back in [200, 170] {
            orders.push_str(&event(who, now - back * DAY, "purchase", "{\"value\":10}"));
        }
    }
    let contacts = "email,id,churn_reason_stated\na@x.test,a,price\nb@x.test,b,\n";
    let mut events = orders.clone();
    events.push_str(&event("a@x.test", now - 100 * DAY, "custom:exit_survey", "{\"reason\":\"switched to a rival\"}"));
    let first = plan_contacts(dir.path(), "2026-11-26T12:00:00Z", contacts, &events, "first", None);
    // The state.csv an older rekindle wrote: six columns.
    let state = std::fs::read_to_string(first.join("state.csv")).unwrap();
    let old: Vec<String> = state.lines().map(|l| l.rsplit_once(',').unwrap().0.to_string()).collect();
    assert_eq!(old[0], "email,state,last_open,last_click,last_reply,complaints");
    std::fs::write(first.join("state.csv"), old.join("\n") + "\n").unwrap();
    // b's cell is new to its state, which holds no reason: it is stated.
    let contacts = contacts.replace("b@x.test,b,", "b@x.test,b,too slow");
    let next = plan_contacts(dir.path(), "2026-12-03T12:00:00Z", &contacts, &orders, "next", Some(&first));
    assert_eq!(stated(&next)["a"], "switched to a rival");
    assert_eq!(stated(&next)["b"], "too slow");
}
