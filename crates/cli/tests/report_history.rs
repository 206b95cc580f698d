//! `report.html`'s look back: contacts by lifecycle phase at the 13 monthly instants up to `--now`, each decided
//! by core from the events that had happened by then (a later reactivation does not rewrite a past cold month),
//! the last instant equal to the funnel; and the D12 revenue of reactivated contacts within 90 days, per currency.
#![allow(clippy::expect_used, clippy::indexing_slicing, clippy::panic)] // test helpers: a failed setup aborts the test

use std::path::{Path, PathBuf};
use std::process::{Command, Output};

use serde_json::json;

const SAAS: &str = "examples/playbooks/saas.json"; // sales_cycle 90d: cooling after 90 d, cold after 180 d
const NOW: &str = "2026-11-26T12:00:00Z";

fn repo() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("../..")
}

fn plan(contacts: &Path, events: &Path, out: &Path) -> Output {
    let mut args = vec!["plan", "--playbook", SAAS, "--now", NOW, "--quiet"];
    for (flag, path) in [("--contacts", contacts), ("--events", events), ("--out", out)] {
        args.extend([flag, path.to_str().expect("utf-8")]);
    }
    Command::new(env!("CARGO_BIN_EXE_rekindle")).args(&args).current_dir(repo()).output().expect("run rekindle")
}

/// The data cells of the table row `data-key="<key>"`.
fn row(html: &str, key: &str) -> Vec<String> {
    let start = html.find(&format!("<tr data-key=\"{key}\">")).unwrap_or_else(|| panic!("no row {key}"));
    let end = start + html[start..].find("</tr>").expect("row end");
    html[start..end].split("<td>").skip(1).map(|c| c.split("</td>").next().expect("cell").to_string()).collect()
}

fn numbers(cells: Vec<String>) -> Vec<u64> {
    cells.iter().map(|c| c.replace(',', "").parse().expect("a count")).collect()
}

#[test]
fn phases_over_time_are_decided_from_the_events_up_to_each_instant_and_revenue_follows_reactivation() {
    let tmp = tempfile::tempdir().expect("tempdir");
    let contacts = tmp.path().join("contacts.csv");
    let csv = "id,email,created_at\nh-1,one@example.test,2025-11-01T09:00:00Z\nh-2,two@example.test,2026-06-10T09:00:00Z\nh-3,three@example.test,\n";
    std::fs::write(&contacts, csv).expect("contacts");
    let e = |contact: &str, at: &str, kind: &str, props: serde_json::Value| {
        json!({"contact": contact, "at": at, "kind": kind, "props": props}).to_string()
    };
    let none = json!({});
    let events = [
        // h-1: a click and an order while active (cooling from 11 May, cold from 9 August: manual entry keeps it
        // cold), back on 1 October — August and September stay cold although the contact is active at --now.
        e("h-1", "2025-12-01T10:00:00Z", "email_click", none.clone()),
        e("h-1", "2026-02-10T10:00:00Z", "purchase", json!({"value": 50, "currency": "EUR"})),
        e("h-1", "2026-10-01T10:00:00Z", "page_view", json!({"path": "/blog"})),
        e("h-1", "2026-10-15T10:00:00Z", "purchase", json!({"value": 100, "currency": "eur"})),
        e("h-1", "2026-11-20T10:00:00Z", "purchase", json!({"value": 30.5, "currency": "USD"})),
        e("h-1", "2026-11-21T10:00:00Z", "purchase", json!({"currency": "USD"})),
        e("h-1", "2026-12-01T10:00:00Z", "purchase", json!({"value": 999, "currency": "USD"})),
        // h-3: known from its first click, then erased.
        e("h-3", "2026-01-01T10:00:00Z", "email_click", none.clone()),
        e("h-3", "2026-08-01T10:00:00Z", "erasure_request", none),
    ];
    let events_path = tmp.path().join("events.ndjson");
    std::fs::write(&events_path, events.join("\n") + "\n").expect("events");
    let out = tmp.path().join("out");
    let run = plan(&contacts, &events_path, &out);
    assert_eq!(run.status.code(), Some(0), "{}", String::from_utf8_lossy(&run.stderr));
    let html = std::fs::read_to_string(out.join("report.html")).expect("report.html");

    // Active, cooling, cold, soft reactivation, break-up, archived, erased, on the list, not yet on the list.
    let expected: [(&str, [u64; 9]); 13] = [
        ("2025-11-26", [1, 0, 0, 0, 0, 0, 0, 1, 2]),
        ("2025-12-26", [1, 0, 0, 0, 0, 0, 0, 1, 2]),
        ("2026-01-26", [2, 0, 0, 0, 0, 0, 0, 2, 1]),
        ("2026-02-26", [2, 0, 0, 0, 0, 0, 0, 2, 1]),
        ("2026-03-26", [2, 0, 0, 0, 0, 0, 0, 2, 1]),
        ("2026-04-26", [1, 1, 0, 0, 0, 0, 0, 2, 1]),
        ("2026-05-26", [0, 2, 0, 0, 0, 0, 0, 2, 1]),
        ("2026-06-26", [1, 2, 0, 0, 0, 0, 0, 3, 0]),
        ("2026-07-26", [1, 1, 1, 0, 0, 0, 0, 3, 0]),
        ("2026-08-26", [1, 0, 1, 0, 0, 0, 1, 3, 0]),
        ("2026-09-26", [0, 1, 1, 0, 0, 0, 1, 3, 0]),
        ("2026-10-26", [1, 1, 0, 0, 0, 0, 1, 3, 0]),
        ("2026-11-26", [1, 1, 0, 0, 0, 0, 1, 3, 0]),
    ];
    for (day, counts) in expected {
        assert_eq!(numbers(row(&html, &format!("{day}T12:00:00Z"))), counts, "{day}");
    }
    assert!(html.contains("<th scope=\"row\">2026-11-26 (--now)</th>"));
    // The last instant is the funnel at --now.
    for (i, phase) in
        ["active", "cooling", "cold", "soft_reactivation", "break_up", "archived", "erased"].iter().enumerate()
    {
        assert_eq!(row(&html, phase)[0], expected[12].1[i].to_string(), "{phase}");
    }

    // Revenue: the February order came while active (no reactivation), the October and November ones within 90 days
    // of the 1 October return; an order without a value and one after --now count for nothing.
    assert_eq!(row(&html, "EUR"), ["1", "100.00"]);
    assert_eq!(row(&html, "USD"), ["1", "30.50"]);
    assert!(html.contains("1 contacts ordered within 90 days"), "one contact brought the revenue");
}

#[test]
fn a_purchase_that_brings_a_cold_contact_back_counts_and_one_after_90_days_does_not() {
    let tmp = tempfile::tempdir().expect("tempdir");
    let contacts = tmp.path().join("contacts.csv");
    std::fs::write(&contacts, "id,email\nr-1,r@example.test\n").expect("contacts");
    let order = |at: &str, value: u32| json!({"contact": "r-1", "at": at, "kind": "purchase", "props": {"value": value, "currency": "PLN"}});
    let visit = |at: &str| json!({"contact": "r-1", "at": at, "kind": "page_view", "props": {"path": "/shop"}});
    let events = [
        json!({"contact": "r-1", "at": "2025-12-01T10:00:00Z", "kind": "email_click"}), // cold from 30 May
        order("2026-07-01T10:00:00Z", 80), // brings the contact back: day 0 of the window
        order("2026-08-01T10:00:00Z", 7),  // day 31
        visit("2026-08-15T10:00:00Z"),     // visits keep the contact active: no new reactivation
        visit("2026-09-20T10:00:00Z"),
        order("2026-10-05T10:00:00Z", 1000), // day 96: a plain customer's order
    ];
    let text: Vec<String> = events.iter().map(|e| e.to_string()).collect();
    let events_path = tmp.path().join("events.ndjson");
    std::fs::write(&events_path, text.join("\n") + "\n").expect("events");
    let out = tmp.path().join("out");
    let run = plan(&contacts, &events_path, &out);
    assert_eq!(run.status.code(), Some(0), "{}", String::from_utf8_lossy(&run.stderr));
    let html = std::fs::read_to_string(out.join("report.html")).expect("report.html");
    assert_eq!(row(&html, "PLN"), ["2", "87.00"]);
}

#[test]
fn with_entry_on_cold_a_contact_back_from_the_campaign_still_counts_in_its_kpis() {
    // D12 with `reactivation_entry: on_cold` (the default): the campaign starts when a contact turns cold, and
    // core remembers that start after a click brings the contact back; the archive a campaign ends in counts too.
    let tmp = tempfile::tempdir().expect("tempdir");
    let playbook = tmp.path().join("playbook.json");
    let pb = json!({"version": 1, "signals": {}, "lifecycle": {"cooling_after": "30d", "cold_after": "60d"}});
    std::fs::write(&playbook, pb.to_string()).expect("playbook");
    let contacts = tmp.path().join("contacts.csv");
    std::fs::write(&contacts, "id,email\nb-1,back@example.test\nb-2,gone@example.test\nb-3,fresh@example.test\n")
        .expect("contacts");
    let e = |contact: &str, at: &str, kind: &str| json!({"contact": contact, "at": at, "kind": kind}).to_string();
    let events = [
        // b-1: cold on 30 September, in the campaign, clicks on 5 October: back to active (cooling at --now, not
        // cold again), counted in the campaign.
        e("b-1", "2026-08-01T10:00:00Z", "email_click"),
        e("b-1", "2026-10-05T10:00:00Z", "email_click"),
        // b-2: cold on 30 June; soft reactivation, break-up, archived without a reaction.
        e("b-2", "2026-05-01T10:00:00Z", "email_click"),
        // b-3: active all along, never in a campaign.
        e("b-3", "2026-11-20T10:00:00Z", "email_click"),
    ];
    let ndjson = tmp.path().join("events.ndjson");
    std::fs::write(&ndjson, events.join("\n") + "\n").expect("events");
    let out = tmp.path().join("out");
    let mut args = vec!["plan", "--now", NOW, "--quiet"];
    for (flag, path) in [("--playbook", &playbook), ("--contacts", &contacts), ("--events", &ndjson), ("--out", &out)] {
        args.extend([flag, path.to_str().expect("utf-8")]);
    }
    let run = Command::new(env!("CARGO_BIN_EXE_rekindle")).args(&args).current_dir(repo()).output().expect("run");
    assert!(run.status.success(), "{}", String::from_utf8_lossy(&run.stderr));
    let html = std::fs::read_to_string(out.join("report.html")).expect("report");
    assert!(html.contains("2 contacts are in the campaign"), "b-1 (back) and b-2 (archived), not b-3");
    assert_eq!(row(&html, "reactivated"), vec!["1".to_string(), "50.0 %".to_string()]);
    assert_eq!(row(&html, "clicked"), vec!["1".to_string(), "50.0 %".to_string()]);
}
