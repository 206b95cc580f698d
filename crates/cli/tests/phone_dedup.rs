//! `rekindle plan` deduplicates contacts by phone in E.164 as well as by email (D22): a HubSpot export (the
//! described fixture's columns plus `Phone Number` and `Mobile Phone Number`) where one person appears under two
//! emails, with national numbers placed by `--default-calling-code`; duplicates are reported with file and line
//! like email duplicates, events to the second email reach the merged contact, and numbers that cannot be placed
//! (an extension, a national number without a code) never merge anyone.
#![allow(clippy::expect_used, clippy::indexing_slicing, clippy::panic)] // test helpers: a failed setup aborts the test

use std::path::{Path, PathBuf};
use std::process::{Command, Output};

use serde_json::Value;

const SAAS: &str = "examples/playbooks/saas.json";
const NOW: &str = "2026-11-26T12:00:00Z";

const EXPORT: &str = "\
Record ID,First Name,Last Name,Email,Phone Number,Mobile Phone Number,Create Date,Lifecycle Stage,Unsubscribed from all email\r
51,Ada,Lovelace,ada@acme.test,+48 22 555 01 00 ext. 12,600 100 200,2024-03-12 09:14,Lead,false\r
52,Ada,Lovelace,ada.private@mail.test,,+48 600-100-200,2024-05-01 10:00,Lead,false\r
53,Ben,Okafor,ben@acme.test,+48 22 555 01 00 ext. 13,,2024-03-12 09:20,Lead,false\r
54,Cy,Nowak,cy@acme.test,0048 (0) 601 000 000,,2024-04-01 08:00,Lead,false\r
55,Cy,Nowak,cy.nowak@mail.test,601000000,,2024-04-02 08:00,Lead,false\r
56,Dee,Park,dee@acme.test,1-800-FLOWERS,,2024-04-03 08:00,Lead,false\r
";

fn repo() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("../..")
}

fn run(dir: &Path, extra: &[&str]) -> (Output, PathBuf) {
    let contacts = dir.join("hubspot.csv");
    std::fs::write(&contacts, EXPORT).expect("write export");
    let events = dir.join("events.ndjson");
    let click = r#"{"contact":"ada.private@mail.test","at":"2026-11-20T10:00:00Z","kind":"page_view","props":{"path":"/pricing"}}"#;
    std::fs::write(&events, format!("{click}\n")).expect("write events");
    let out = dir.join("out");
    let mut args = vec!["plan", "--playbook", SAAS, "--now", NOW, "--quiet", "--format", "json"];
    for (flag, path) in [("--contacts", &contacts), ("--events", &events), ("--out", &out)] {
        args.extend([flag, path.to_str().expect("utf-8")]);
    }
    args.extend(extra);
    let output = Command::new(env!("CARGO_BIN_EXE_rekindle")).args(&args).current_dir(repo()).output().expect("run");
    (output, out)
}

fn diagnostics(out: &Path) -> Vec<Value> {
    let text = std::fs::read_to_string(out.join("diagnostics.ndjson")).expect("diagnostics");
    text.lines().map(|l| serde_json::from_str(l).expect("ndjson")).collect()
}

#[test]
fn one_person_under_two_emails_is_merged_by_phone_and_reported_with_file_and_line() {
    let tmp = tempfile::tempdir().expect("tempdir");
    let (output, out) = run(tmp.path(), &["--default-calling-code", "48"]);
    assert_eq!(output.status.code(), Some(0), "{}", String::from_utf8_lossy(&output.stderr));
    let summary: Value = serde_json::from_slice(&output.stdout).expect("summary");
    assert_eq!(summary["contacts"], 4, "Ada and Cy merged; Ben (a switchboard extension) and Dee stay apart");
    assert_eq!(
        (summary["counts"]["duplicateRows"].as_u64(), summary["counts"]["duplicatePhoneRows"].as_u64()),
        (Some(2), Some(2))
    );

    let found: Vec<(u64, String, String)> = diagnostics(&out)
        .iter()
        .map(|d| {
            (
                d["line"].as_u64().expect("line"),
                d["code"].as_str().expect("code").into(),
                d["message"].as_str().expect("m").into(),
            )
        })
        .collect();
    let codes: Vec<(u64, &str)> = found.iter().map(|(l, c, _)| (*l, c.as_str())).collect();
    assert_eq!(codes, [(0, "phone_not_deduplicated"), (3, "duplicate_phone"), (6, "duplicate_phone")]);
    assert!(
        found[0].2.starts_with("2 phone numbers") && found[0].2.contains("1 extension, 1 not_a_number"),
        "{}",
        found[0].2
    );
    assert!(
        found[1].2.contains("duplicate of contact \"51\"") && found[1].2.contains("+48******200"),
        "{}",
        found[1].2
    );
    assert!(found.iter().all(|(_, _, m)| !m.contains("600100200") && !m.contains("ada.private@")), "masked");

    let plan: Value = serde_json::from_slice(&std::fs::read(out.join("plan.json")).expect("plan.json")).expect("json");
    let ids: Vec<&str> = plan.as_array().expect("rows").iter().map(|r| r["id"].as_str().expect("id")).collect();
    assert_eq!(ids, ["51", "53", "54", "56"]);
    let ada = &plan[0];
    assert_eq!(ada["email"], "ada@acme.test", "the contact keeps its first email");
    assert!(
        ada["scores"]["intent"].as_f64().expect("intent") > 0.0,
        "the pricing visit sent to the second email was folded"
    );
}

#[test]
fn without_a_calling_code_national_numbers_merge_no_one_and_the_warning_says_how_to_place_them() {
    let tmp = tempfile::tempdir().expect("tempdir");
    let (output, out) = run(tmp.path(), &[]);
    assert_eq!(output.status.code(), Some(0), "{}", String::from_utf8_lossy(&output.stderr));
    let summary: Value = serde_json::from_slice(&output.stdout).expect("summary");
    assert_eq!(summary["contacts"], 6, "Ada's and Cy's second numbers are national: no key, no merge");
    let warning = diagnostics(&out).into_iter().find(|d| d["code"] == "phone_not_deduplicated").expect("warning");
    let message = warning["message"].as_str().expect("message");
    assert!(message.contains("1 extension, 2 no_country_code, 1 not_a_number"), "{message}");
    assert!(message.contains("--default-calling-code"), "{message}");
    let bad = Command::new(env!("CARGO_BIN_EXE_rekindle"))
        .args(["plan", "--playbook", SAAS, "--contacts", "x.csv", "--events", "x", "--now", NOW, "--out", "x"])
        .args(["--default-calling-code", "048"])
        .current_dir(repo())
        .output()
        .expect("run");
    assert_eq!(bad.status.code(), Some(2));
    assert!(String::from_utf8_lossy(&bad.stderr).contains("country calling code"));
}
