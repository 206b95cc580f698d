//! The retargeting audiences over time (D10, D22, D35; DESIGN §7 "Retargeting audience"): a monthly run sees the
//! contacts archived without a reaction in the last 30 days (not only the 72 hours of break-up), leaves out those
//! who unsubscribed, withdrew ads consent or were erased, and writes per platform a removal file the platform must
//! get (GDPR Art. 17(2)): who left since the previous plan's audience, and who objected while in the window.
#![allow(clippy::expect_used, clippy::indexing_slicing, clippy::panic)] // test helpers: a failed setup aborts the test

#[path = "support/audiences.rs"]
mod audiences;
#[path = "support/plan_cli.rs"]
mod plan_cli;

use std::path::Path;

use audiences::{hashed, platform_files};
use plan_cli::{rekindle, stderr, write, SAAS};

/// Everyone clicked in March 2025 and was picked by the campaign of 1 November 2026 (saas.json: manual entry,
/// 14 d soft reactivation, 72 h break-up): break-up from 15 November, archived on 18 November 00:00 without a
/// reaction, out of the audience on 18 December 00:00.
const PEOPLE: [&str; 5] = ["keep@x.test", "unsub@x.test", "ads@x.test", "gone@x.test", "late@x.test"];

fn contacts() -> String {
    let mut text = String::from("email,created_at\n");
    for p in PEOPLE {
        text.push_str(&format!("{p},2025-01-01T00:00:00Z\n"));
    }
    text
}

fn q1_events() -> String {
    let mut lines = String::new();
    for p in PEOPLE {
        lines.push_str(&format!("{{\"contact\":\"{p}\",\"at\":\"2025-03-01T10:00:00Z\",\"kind\":\"email_click\"}}\n"));
        lines.push_str(&format!(
            "{{\"contact\":\"{p}\",\"at\":\"2026-11-01T00:00:00Z\",\"kind\":\"reactivation_started\"}}\n"
        ));
    }
    lines
}

/// In December one unsubscribes from everything, one withdraws ads consent, one asks to be erased.
const Q2_EVENTS: &str = "\
{\"contact\":\"unsub@x.test\",\"at\":\"2026-12-01T10:00:00Z\",\"kind\":\"unsubscribe\",\"props\":{\"channel\":\"all\"}}
{\"contact\":\"ads@x.test\",\"at\":\"2026-12-01T10:00:00Z\",\"kind\":\"consent\",\"props\":{\"purpose\":\"ads\",\"granted\":false}}
{\"contact\":\"gone@x.test\",\"at\":\"2026-12-01T10:00:00Z\",\"kind\":\"erasure_request\"}
";

fn plan_at(dir: &Path, now: &str, events: &str, out: &str, previous: Option<&str>) {
    let contacts = write(dir, "contacts.csv", &contacts());
    let events = write(dir, &format!("{out}-events.ndjson"), events);
    let salt = write(dir, "salt.txt", "a-salt-kept-apart-from-the-plans\n");
    let out = dir.join(out);
    let out = out.to_str().expect("utf-8 path");
    let mut args = vec!["plan", "--playbook", SAAS, "--contacts", &contacts, "--events", &events, "--now", now];
    args.extend(["--out", out, "--quiet", "--salt-file", &salt]);
    let previous = previous.map(|p| dir.join(p).to_str().expect("utf-8 path").to_string());
    if let Some(previous) = &previous {
        args.extend(["--previous", previous.as_str()]);
    }
    let run = rekindle(&args);
    assert_eq!(run.status.code(), Some(0), "{}", stderr(&run));
}

#[test]
fn d10_a_monthly_run_sees_contacts_archived_in_the_last_30_days() {
    let tmp = tempfile::tempdir().expect("tempdir");
    plan_at(tmp.path(), "2026-11-26T12:00:00Z", &q1_events(), "nov", None);
    for (audience, remove) in platform_files(&tmp.path().join("nov"), "") {
        assert_eq!(audience, hashed(&PEOPLE), "archived 8.5 days ago without a reaction: all five");
        assert!(remove.is_empty(), "{remove:?}");
    }
}

#[test]
fn d10_d22_objections_leave_the_audience_and_are_listed_for_removal_with_or_without_a_previous_plan() {
    let tmp = tempfile::tempdir().expect("tempdir");
    plan_at(tmp.path(), "2026-11-26T12:00:00Z", &q1_events(), "nov", None);
    plan_at(tmp.path(), "2026-12-10T00:00:00Z", Q2_EVENTS, "dec", Some("nov"));
    // The same without --previous (all events): the objections alone say who must go.
    plan_at(tmp.path(), "2026-12-10T00:00:00Z", &format!("{}{Q2_EVENTS}", q1_events()), "dec-alone", None);
    for out in ["dec", "dec-alone"] {
        for (audience, remove) in platform_files(&tmp.path().join(out), "") {
            assert_eq!(audience, hashed(&["keep@x.test", "late@x.test"]), "{out}: 22 days after the archive");
            assert_eq!(remove, hashed(&["unsub@x.test", "ads@x.test", "gone@x.test"]), "{out}");
        }
    }

    // 18 December: 30 days after the archive the audience is empty; the platform is told to drop who was in it.
    plan_at(tmp.path(), "2026-12-20T00:00:00Z", "", "jan", Some("dec"));
    for (audience, remove) in platform_files(&tmp.path().join("jan"), "") {
        assert!(audience.is_empty(), "{audience:?}");
        assert_eq!(remove, hashed(&["keep@x.test", "late@x.test"]), "only the previous audience's members");
    }
}
