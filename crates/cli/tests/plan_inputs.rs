//! `rekindle plan` through the real binary, on the input files marketing-ops get wrong (found by running the CLI
//! as its users do): a quote never closed, a JSON array or another vendor's log as events, `;` and tab CSVs, a
//! byte-order mark, events after `--now` or in epoch seconds, the same events twice.
#![allow(clippy::expect_used, clippy::indexing_slicing, clippy::panic)] // test helpers: a failed setup aborts the test

#[path = "support/plan_cli.rs"]
mod plan_cli;

use std::path::Path;

use plan_cli::{diagnostics, json, plan, rekindle, repo, stderr, write, CONTACTS, EVENTS, NOW, SAAS};

#[test]
fn a_quote_never_closed_rejects_every_line_it_swallowed_in_generic_and_vendor_files() {
    let tmp = tempfile::tempdir().expect("tempdir");
    let events = write(tmp.path(), "events.ndjson", "");
    let files = [
        ("generic.csv", "id,email,first_name\nb1,b1@x.test,Al\nb2,b2@x.test,\"Bob\nb3,b3@x.test,Cy\nb4,b4@x.test,Di\n"),
        (
            "klaviyo.csv",
            "Email,First Name,Klaviyo ID\nb1@x.test,Al,K1\nb2@x.test,\"Bob,K2\nb3@x.test,Cy,K3\nb4@x.test,Di,K4\n",
        ),
    ];
    for (name, text) in files {
        let contacts = write(tmp.path(), name, text);
        let out = tmp.path().join(format!("out-{name}"));
        let run = plan(&contacts, &events, &out, &[]);
        assert_eq!(run.status.code(), Some(4), "{name}: {}", stderr(&run));
        assert!(stderr(&run).contains("planned 1 contacts; rejected 3 rows"), "{name}: {}", stderr(&run));
        let found: Vec<(u64, String)> = diagnostics(&out)
            .iter()
            .map(|d| (d["line"].as_u64().expect("line"), d["code"].as_str().expect("code").to_string()))
            .collect();
        let unclosed = |l: u64| (l, "unclosed_quote".to_string());
        assert_eq!(found, [unclosed(3), unclosed(4), unclosed(5)], "{name}");
        let first = &diagnostics(&out)[0];
        assert!(first["message"].as_str().expect("message").contains("lines 3–5 (3 lines"), "{first}");
    }
}

#[test]
fn an_events_file_none_of_whose_lines_is_an_event_exits_3_naming_the_fix() {
    let tmp = tempfile::tempdir().expect("tempdir");
    let one = r#"{"contact":"c-0001","at":"2026-11-20T10:00:00Z","kind":"page_view","props":{"path":"/pricing"}}"#;
    let event: serde_json::Value = serde_json::from_str(one).expect("event");
    let pretty = serde_json::to_string_pretty(&serde_json::json!([event, event])).expect("json");
    for (name, text, lines) in [("one.json", format!("[{one},{one}]\n"), 1), ("pretty.json", pretty, 18)] {
        let array = write(tmp.path(), name, &text);
        let out = tmp.path().join(name.replace('.', "-"));
        let run = plan(CONTACTS, &array, &out, &[]);
        assert_eq!(run.status.code(), Some(3), "{}", stderr(&run));
        let want = format!("none of its {lines} line(s) is a rekindle event");
        assert!(stderr(&run).contains(&want), "{}", stderr(&run));
        assert!(stderr(&run).contains("jq -c '.[]'"), "a JSON array gets its fix: {}", stderr(&run));
        assert!(!out.join("plan.csv").exists());
    }
    // One good line among bad ones is a file with bad rows: planned, exit 4.
    let mixed = write(tmp.path(), "mixed.ndjson", &format!("{one}\nnot json\n"));
    assert_eq!(plan(CONTACTS, &mixed, &tmp.path().join("m"), &[]).status.code(), Some(4));
    // Valid events for nobody in the contacts file are not a wrong file either.
    let strangers = write(tmp.path(), "strangers.ndjson", &one.replace("c-0001", "nobody@x.test"));
    assert_eq!(plan(CONTACTS, &strangers, &tmp.path().join("s"), &[]).status.code(), Some(4));
    // A webhook log named with another vendor.
    let sendgrid = write(
        tmp.path(),
        "sendgrid.ndjson",
        r#"[{"email":"a@x.test","timestamp":1795600000,"event":"open","sg_event_id":"e1"}]"#,
    );
    let run = rekindle(&[
        "plan",
        "--playbook",
        SAAS,
        "--contacts",
        CONTACTS,
        "--webhooks",
        &format!("mailgun:{sendgrid}"),
        "--now",
        NOW,
        "--out",
        &tmp.path().join("w").to_string_lossy(),
        "--quiet",
    ]);
    assert_eq!(run.status.code(), Some(3), "{}", stderr(&run));
    assert!(
        stderr(&run).contains("is a mailgun webhook body (is `mailgun:` the vendor that wrote it?)"),
        "{}",
        stderr(&run)
    );
}

#[test]
fn a_generic_csv_with_semicolons_or_tabs_is_read_like_one_with_commas() {
    let tmp = tempfile::tempdir().expect("tempdir");
    let events = write(tmp.path(), "events.ndjson", "");
    let comma = "id,email,role,note\nk1,ann@acme.test,CMO,\"a;b\"\nk2,bob@acme.test,CEO,x\n";
    let mut plans = Vec::new();
    for (name, text) in [
        ("comma", comma.to_string()),
        ("semi", comma.replace(',', ";").replace("a;b", "a,b")),
        ("tab", comma.replace(',', "\t")),
    ] {
        let contacts = write(tmp.path(), &format!("{name}.csv"), &format!("\u{feff}{text}"));
        let out = tmp.path().join(name);
        let run = plan(&contacts, &events, &out, &[]);
        assert_eq!(run.status.code(), Some(0), "{name}: {}", stderr(&run));
        let csv = std::fs::read_to_string(out.join("plan.csv")).expect("plan.csv");
        assert!(csv.contains("ann@acme.test") && csv.contains("bob@acme.test"), "{name}: {csv}");
        plans.push(std::fs::read_to_string(out.join("segments/decision_makers.csv")).expect("segment"));
    }
    assert!(plans[0].contains("k1,ann@acme.test") && plans[0].contains("k2,bob@acme.test"), "{}", plans[0]);
    assert_eq!(plans[0], plans[1], "the role column was read from the semicolon file");
    assert_eq!(plans[0], plans[2], "and from the tab file");
}

#[test]
fn events_after_now_are_not_folded_and_epoch_seconds_are_rejected() {
    let tmp = tempfile::tempdir().expect("tempdir");
    let events = write(
        tmp.path(),
        "events.ndjson",
        "{\"contact\":\"c-0004\",\"at\":\"2027-01-01T00:00:00Z\",\"kind\":\"form_submit\",\"props\":{\"form\":\"demo\"}}\n\
         {\"contact\":\"c-0004\",\"at\":1795600000,\"kind\":\"page_view\"}\n\
         {\"contact\":\"c-0004\",\"at\":\"2026-11-01T00:00:00Z\",\"kind\":\"page_view\"}\n\
         {\"contact\":\"c-0004\",\"at\":\"2026-12-24T00:00:00Z\",\"kind\":\"page_view\"}\n",
    );
    let out = tmp.path().join("out");
    let run = plan(CONTACTS, &events, &out, &["--format", "json"]);
    assert_eq!(run.status.code(), Some(4), "{}", stderr(&run));
    let summary: serde_json::Value = serde_json::from_slice(&run.stdout).expect("summary");
    assert_eq!((summary["counts"]["futureEvents"].as_u64(), summary["counts"]["events"].as_u64()), (Some(2), Some(1)));
    let found: Vec<(u64, String)> = diagnostics(&out)
        .iter()
        .filter(|d| d["file"].as_str().is_some_and(|f| f.ends_with("events.ndjson")))
        .map(|d| (d["line"].as_u64().expect("line"), d["code"].as_str().expect("code").to_string()))
        .collect();
    assert_eq!(found, [(1, "after_now".to_string()), (2, "at_looks_like_seconds".to_string())]);
    let rows = json(&out.join("plan.json"));
    let ada = rows.as_array().expect("rows").iter().find(|r| r["id"] == "c-0004").expect("c-0004");
    assert_eq!(ada["stage"], "lead", "the demo form of 2027 is not history at --now");
    assert_eq!(ada["lifecycle"]["since"], 1_793_491_200_000_i64, "the page view of 2026-11-01");
}

#[test]
fn events_with_an_id_are_folded_once_across_overlapping_files() {
    let tmp = tempfile::tempdir().expect("tempdir");
    let line = |id: &str, day: u32| {
        format!("{{\"id\":\"{id}\",\"contact\":\"c-0001\",\"at\":\"2026-11-{day:02}T10:00:00Z\",\"kind\":\"page_view\",\"props\":{{\"path\":\"/pricing\"}}}}\n")
    };
    let october = write(tmp.path(), "a.ndjson", &[line("v1", 20), line("v2", 21), line("v2", 21)].concat());
    let november = write(tmp.path(), "b.ndjson", &[line("v2", 21), line("v3", 22)].concat());
    let once = write(tmp.path(), "once.ndjson", &[line("v1", 20), line("v2", 21), line("v3", 22)].concat());
    let intent = |out: &Path| {
        let rows = json(&out.join("plan.json"));
        let row = rows.as_array().expect("rows").iter().find(|r| r["id"] == "c-0001").cloned().expect("c-0001");
        row["scores"]["intent"].as_f64().expect("intent")
    };
    let both = tmp.path().join("both");
    let run = plan(CONTACTS, &october, &both, &["--events", &november, "--format", "json"]);
    assert_eq!(run.status.code(), Some(0), "{}", stderr(&run));
    let summary: serde_json::Value = serde_json::from_slice(&run.stdout).expect("summary");
    assert_eq!(summary["counts"]["duplicateEvents"], 2, "v2 again in a.ndjson, and in b.ndjson");
    let single = tmp.path().join("single");
    assert_eq!(plan(CONTACTS, &once, &single, &[]).status.code(), Some(0));
    assert_eq!(intent(&both), intent(&single));
}

#[test]
fn the_same_events_file_given_twice_is_a_usage_error() {
    let tmp = tempfile::tempdir().expect("tempdir");
    let out = tmp.path().join("out");
    let again = format!("{}/./{EVENTS}", repo().display());
    let run = plan(CONTACTS, EVENTS, &out, &["--events", &again]);
    assert_eq!(run.status.code(), Some(2), "{}", stderr(&run));
    assert!(stderr(&run).contains("is the same file as examples/data/plan/events.ndjson"), "{}", stderr(&run));
    assert!(!out.join("plan.csv").exists());
}

#[test]
fn a_byte_order_mark_on_the_playbook_events_or_webhook_log_is_read_past() {
    let tmp = tempfile::tempdir().expect("tempdir");
    let bom = "\u{feff}";
    let playbook = std::fs::read_to_string(repo().join(SAAS)).expect("playbook");
    let playbook = write(tmp.path(), "saas.json", &format!("{bom}{playbook}"));
    let one = r#"{"contact":"c-0001","at":"2026-11-20T10:00:00Z","kind":"page_view","props":{"path":"/pricing"}}"#;
    let events = write(tmp.path(), "events.ndjson", &format!("{bom}{one}\n"));
    let log = r#"[{"email":"mia.ito0@acme.test","timestamp":1795600000,"event":"click","sg_event_id":"e1","url":"https://acme.test/pricing"}]"#;
    let log = write(tmp.path(), "sendgrid.ndjson", &format!("{bom}{log}\n"));
    let out = tmp.path().join("out");
    let run = rekindle(&[
        "plan",
        "--playbook",
        &playbook,
        "--contacts",
        CONTACTS,
        "--events",
        &events,
        "--webhooks",
        &format!("sendgrid:{log}"),
        "--now",
        NOW,
        "--out",
        &out.to_string_lossy(),
        "--quiet",
    ]);
    assert_eq!(run.status.code(), Some(0), "{}", stderr(&run));
    assert!(rekindle(&["check", "--playbook", &playbook]).status.success());
}

#[test]
fn a_now_in_epoch_seconds_is_refused_before_anything_is_written() {
    // `date +%s` gives seconds; read as milliseconds it is January 1970, when no event had happened yet.
    let tmp = tempfile::tempdir().expect("tempdir");
    let out = tmp.path().join("out");
    let args = ["plan", "--playbook", SAAS, "--contacts", CONTACTS, "--events", EVENTS, "--now", "1795694400"];
    let run = rekindle(&[&args[..], &["--out", out.to_str().expect("utf-8"), "--quiet"]].concat());
    assert_eq!(run.status.code(), Some(2), "{}", stderr(&run));
    let message = stderr(&run);
    assert!(message.contains("--now: 1795694400 is 1970-01-21T18:48:14.400Z read as epoch milliseconds"), "{message}");
    assert!(message.contains("(now_looks_like_seconds)"), "{message}");
    assert!(!out.exists(), "nothing written");
    // The same instant in milliseconds plans.
    let ms = ["--now", "1795694400000", "--out", out.to_str().expect("utf-8"), "--quiet"];
    let run = rekindle(&[&args[..7], &ms[..]].concat());
    assert_eq!(run.status.code(), Some(0), "{}", stderr(&run));
}

#[test]
fn a_purchase_value_that_is_no_amount_is_warned_with_its_line_and_field() {
    // A European export's "12,50" and a refund written as a negative purchase: core's order log leaves both out,
    // which report.html only counted; the warning says where, and the exit code stays 0 (nothing is rejected).
    let tmp = tempfile::tempdir().expect("tempdir");
    let contacts = write(tmp.path(), "c.csv", "email\nbuyer@x.test\n");
    let events = write(
        tmp.path(),
        "orders.ndjson",
        "{\"contact\":\"buyer@x.test\",\"at\":\"2026-10-01T10:00:00Z\",\"kind\":\"purchase\",\"props\":{\"value\":40}}\n\
         {\"contact\":\"buyer@x.test\",\"at\":\"2026-11-01T10:00:00Z\",\"kind\":\"purchase\",\"props\":{\"value\":\"12,50\"}}\n\
         {\"contact\":\"buyer@x.test\",\"at\":\"2026-11-02T10:00:00Z\",\"kind\":\"purchase\",\"props\":{\"value\":-40}}\n\
         {\"contact\":\"buyer@x.test\",\"at\":\"2026-11-03T10:00:00Z\",\"kind\":\"purchase\"}\n",
    );
    let out = tmp.path().join("out");
    let run = rekindle(&[
        "plan",
        "--playbook",
        "examples/playbooks/ecommerce.json",
        "--contacts",
        &contacts,
        "--events",
        &events,
        "--now",
        NOW,
        "--out",
        out.to_str().expect("utf-8"),
        "--quiet",
    ]);
    assert_eq!(run.status.code(), Some(0), "{}", stderr(&run));
    let warned: Vec<(u64, String, String)> = diagnostics(&out)
        .iter()
        .filter(|d| d["code"] == "bad_order_value")
        .map(|d| {
            let message = d["message"].as_str().expect("message");
            let got = message.split("got ").nth(1).and_then(|m| m.split(':').next()).expect("value").to_string();
            (d["line"].as_u64().expect("line"), d["field"].as_str().expect("field").to_string(), got)
        })
        .collect();
    let expected = [(2, "props.value".to_string(), "\"12,50\"".to_string()), (3, "props.value".into(), "-40".into())];
    assert_eq!(warned, expected);
    assert!(diagnostics(&out).iter().all(|d| d["severity"] == "warning"), "warned, not rejected");
    // The two good orders (40 and a purchase without a value, 0) are the customer's orders.
    let retention = std::fs::read_to_string(out.join("retention.csv")).expect("retention.csv");
    let row: Vec<&str> = retention.lines().nth(1).expect("a customer").split(',').collect();
    assert_eq!((row[1], row[2]), ("2", "40"), "{retention}");
}

#[test]
fn a_generic_csv_with_two_email_columns_is_refused_naming_both() {
    let tmp = tempfile::tempdir().expect("tempdir");
    let contacts = write(tmp.path(), "c.csv", "Email,name,email\na@x.test,Al,b@x.test\n");
    let out = tmp.path().join("out");
    let run = plan(&contacts, EVENTS, &out, &[]);
    assert_eq!(run.status.code(), Some(3), "{}", stderr(&run));
    let message = stderr(&run);
    assert!(
        message.contains("c.csv:1: the header has the email column \"email\" twice (columns 1 and 3)"),
        "{message}"
    );
    assert!(!out.join("plan.csv").exists(), "nothing planned from a guess");
}

#[test]
fn a_generic_csv_with_a_profile_column_twice_is_refused_naming_both_and_the_file() {
    // Two `company` columns: the later cell silently won, and which one holds the contact's company is a guess.
    let tmp = tempfile::tempdir().expect("tempdir");
    let contacts = write(tmp.path(), "c.csv", "email,company,name,company\na@x.test,Acme,Al,Initech\n");
    let out = tmp.path().join("out");
    let run = plan(&contacts, EVENTS, &out, &[]);
    assert_eq!(run.status.code(), Some(3), "{}", stderr(&run));
    let message = stderr(&run);
    assert!(message.contains("c.csv:1: the header has the column \"company\" twice (columns 2 and 4)"), "{message}");
    assert!(!out.join("plan.csv").exists(), "nothing planned from a guess");
    // The record id twice, in any letter case (as the email column), is refused alike.
    let contacts = write(tmp.path(), "d.csv", "id,email,ID\n1,a@x.test,2\n");
    let run = plan(&contacts, EVENTS, &out, &[]);
    assert_eq!(run.status.code(), Some(3), "{}", stderr(&run));
    assert!(
        stderr(&run).contains("d.csv:1: the header has the id column \"id\" twice (columns 1 and 3)"),
        "{}",
        stderr(&run)
    );
}
