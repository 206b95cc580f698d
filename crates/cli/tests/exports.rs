//! `rekindle plan` over vendor contact exports through the real binary: the Mailchimp fixture (detected, and
//! as an unsubscribed file), a hand-written HubSpot export with a bad row, a Klaviyo export, and a UTF-16 file.
#![allow(clippy::expect_used, clippy::indexing_slicing, clippy::panic)] // test helpers: a failed setup aborts the test

use std::path::{Path, PathBuf};
use std::process::{Command, Output};

const SAAS: &str = "examples/playbooks/saas.json";
const NOW: &str = "2026-11-26T12:00:00Z";

fn repo() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("../..")
}

fn plan(contacts: &str, events: &str, out: &Path, extra: &[&str]) -> Output {
    let out = out.to_str().expect("utf-8 path");
    let mut args = vec!["plan", "--playbook", SAAS, "--contacts", contacts, "--events", events, "--now", NOW];
    args.extend(["--out", out, "--quiet"]);
    args.extend(extra);
    Command::new(env!("CARGO_BIN_EXE_rekindle")).args(&args).current_dir(repo()).output().expect("run rekindle")
}

fn write(dir: &Path, name: &str, body: &[u8]) -> String {
    let path = dir.join(name);
    std::fs::write(&path, body).expect("write input");
    path.to_str().expect("utf-8 path").to_string()
}

fn stderr(out: &Output) -> String {
    String::from_utf8_lossy(&out.stderr).into_owned()
}

/// `plan.csv` rows as header → value maps, by id.
fn plan_rows(dir: &Path) -> Vec<std::collections::BTreeMap<String, String>> {
    let mut reader = csv::Reader::from_path(dir.join("plan.csv")).expect("plan.csv");
    let headers = reader.headers().expect("header").clone();
    reader
        .records()
        .map(|r| {
            let r = r.expect("row");
            headers.iter().zip(r.iter()).map(|(h, v)| (h.to_string(), v.to_string())).collect()
        })
        .collect()
}

fn read(dir: &Path, name: &str) -> String {
    std::fs::read_to_string(dir.join(name)).expect("output file")
}

#[test]
fn a_mailchimp_file_is_read_as_the_file_its_header_names_and_a_contradicting_status_is_refused() {
    let tmp = tempfile::tempdir().expect("tempdir");
    let events = write(tmp.path(), "events.ndjson", b"");
    let out = tmp.path().join("plan");
    let run = plan("tests/fixtures/vendor/mailchimp-export-subscribed.csv", &events, &out, &[]);
    assert_eq!(run.status.code(), Some(0), "{}", stderr(&run));
    let rows = plan_rows(&out);
    assert_eq!(rows.len(), 1);
    assert_eq!((rows[0]["id"].as_str(), rows[0]["email"].as_str()), ("some-other-value", "mail@example.com"));
    assert_ne!(rows[0]["email_verdict"], "deny", "a subscribed member may be emailed");

    // The unsubscribed file of the same ZIP (UNSUB_* columns): read as such without being told, and its member
    // may not be emailed.
    let unsub = write(
        tmp.path(),
        "unsubscribed_members_export.csv",
        b"\"Email Address\",\"First Name\",LAST_CHANGED,LEID,EUID,UNSUB_TIME,UNSUB_CAMPAIGN_TITLE,UNSUB_CAMPAIGN_ID,UNSUB_REASON\n\
          gone@example.com,Gus,2025-01-02 10:00:00,7,e7,2025-01-01 09:00:00,Spring,c1,NORMAL\n",
    );
    let out = tmp.path().join("unsub");
    let run = plan(&unsub, &events, &out, &[]);
    assert_eq!(run.status.code(), Some(0), "{}", stderr(&run));
    assert_eq!(plan_rows(&out)[0]["email_verdict"], "deny");

    // Told it is the subscribed file, which would make Gus mailable: refused as a whole.
    let out = tmp.path().join("told");
    let run = plan(&unsub, &events, &out, &["--mailchimp-status", "subscribed"]);
    assert_eq!(run.status.code(), Some(3), "{}", stderr(&run));
    assert!(stderr(&run).contains("this is Mailchimp's unsubscribed members file"), "{}", stderr(&run));
    assert!(stderr(&run).contains("--mailchimp-status unsubscribed"), "{}", stderr(&run));
    assert!(!out.join("plan.csv").exists());
}

#[test]
fn a_vendor_export_read_as_another_vendors_is_refused() {
    let tmp = tempfile::tempdir().expect("tempdir");
    let events = write(tmp.path(), "events.ndjson", b"");
    let contacts = write(tmp.path(), "hubspot.csv", HUBSPOT.as_bytes());
    for format in ["klaviyo", "mailchimp"] {
        let out = tmp.path().join(format);
        let run = plan(&contacts, &events, &out, &["--contacts-format", format]);
        assert_eq!(run.status.code(), Some(3), "{format}: {}", stderr(&run));
        assert!(stderr(&run).contains("this header is a HubSpot export's"), "{}", stderr(&run));
        assert!(stderr(&run).contains("--contacts-format hubspot"), "{}", stderr(&run));
    }
}

const HUBSPOT: &str = "\u{feff}Record ID;First Name;Email;Create Date;Last Modified Date;Lifecycle Stage;Unsubscribed from all email;Notes\r\n\
101;Ada;Ada@Example.com;2024-03-12 09:14;2024-06-01 10:00;Lead;false;\"likes\r\npricing\"\r\n\
102;Jan;jan@example.pl;2023-11-02 08:00;2024-05-20 16:45;Subscriber;true;\r\n\
103;Bad;not-an-email;2023-11-02 08:00;;Lead;false;\r\n";

#[test]
fn a_hubspot_export_is_planned_with_its_ids_unsubscribes_and_located_rejects() {
    let tmp = tempfile::tempdir().expect("tempdir");
    let contacts = write(tmp.path(), "hubspot.csv", HUBSPOT.as_bytes());
    // Events name contacts by HubSpot's Record ID.
    let events = write(
        tmp.path(),
        "events.ndjson",
        b"{\"contact\":\"101\",\"at\":\"2026-11-20T10:00:00Z\",\"kind\":\"page_view\",\"props\":{\"url\":\"https://acme.test/pricing\"}}\n",
    );
    let out = tmp.path().join("plan");
    let run = plan(&contacts, &events, &out, &["--format", "json"]);
    assert_eq!(run.status.code(), Some(4), "one row rejected: {}", stderr(&run));
    let summary: serde_json::Value = serde_json::from_slice(&run.stdout).expect("json summary");
    assert_eq!(summary["counts"]["contactRows"], 3);
    assert_eq!(summary["counts"]["rejectedContactRows"], 1);
    let rows = plan_rows(&out);
    let ids: Vec<&str> = rows.iter().map(|r| r["id"].as_str()).collect();
    assert_eq!(ids, ["101", "102"]);
    assert_eq!(rows[0]["email"], "ada@example.com");
    assert_ne!(rows[0]["email_verdict"], "deny");
    assert_eq!(rows[1]["email_verdict"], "deny", "Unsubscribed from all email = true");
    // The bad row: its line (the quoted newline counts) and column, the email masked.
    let diagnostics = read(&out, "diagnostics.ndjson");
    let bad: serde_json::Value = serde_json::from_str(diagnostics.lines().next().expect("a diagnostic")).expect("json");
    assert_eq!((bad["line"].as_u64(), bad["column"].as_u64()), (Some(5), Some(3)), "{bad}");
    assert_eq!((bad["code"].as_str(), bad["field"].as_str()), (Some("invalid_email"), Some("Email")));
    assert!(!diagnostics.contains("not-an-email"));
    assert!(read(&out, "rejects.csv").contains("invalid_email"));
}

#[test]
fn a_klaviyo_export_is_detected_and_its_suppressions_deny_email() {
    let tmp = tempfile::tempdir().expect("tempdir");
    let events = write(tmp.path(), "events.ndjson", b"");
    let out = tmp.path().join("plan");
    let run = plan("tests/fixtures/vendor/klaviyo-profiles-described.csv", &events, &out, &[]);
    assert_eq!(run.status.code(), Some(4), "the redacted profile is rejected: {}", stderr(&run));
    let rows = plan_rows(&out);
    let verdict = |email: &str| rows.iter().find(|r| r["email"] == email).map(|r| r["email_verdict"].clone());
    assert_eq!(rows.len(), 3);
    assert_eq!(verdict("tom@example.com").as_deref(), Some("deny"));
    assert_eq!(verdict("lee@example.net").as_deref(), Some("deny"));
    assert_ne!(verdict("maria@example.com").as_deref(), Some("deny"));
    assert!(read(&out, "diagnostics.ndjson").contains("redacted_email"));
}

#[test]
fn a_utf16_export_is_unusable_with_a_clear_reason() {
    let tmp = tempfile::tempdir().expect("tempdir");
    let mut bytes = vec![0xFF, 0xFE];
    bytes.extend("Email,Klaviyo ID\r\na@example.com,1\r\n".encode_utf16().flat_map(u16::to_le_bytes));
    let contacts = write(tmp.path(), "utf16.csv", &bytes);
    let events = write(tmp.path(), "events.ndjson", b"");
    let run = plan(&contacts, &events, &tmp.path().join("plan"), &["--contacts-format", "klaviyo"]);
    assert_eq!(run.status.code(), Some(3));
    assert!(stderr(&run).contains("UTF-16") && stderr(&run).contains("utf16.csv:1"), "{}", stderr(&run));
}

#[test]
fn a_utf16_generic_csv_is_unusable_with_the_same_reason() {
    // A spreadsheet's "Unicode text": with a byte-order mark, and without one (NUL bytes in the header line).
    let tmp = tempfile::tempdir().expect("tempdir");
    let text: Vec<u8> = "email,id\r\na@example.com,c-1\r\n".encode_utf16().flat_map(u16::to_le_bytes).collect();
    for (name, bytes) in [("bom.csv", [[0xFF, 0xFE].as_slice(), &text].concat()), ("nul.csv", text.clone())] {
        let contacts = write(tmp.path(), name, &bytes);
        let events = write(tmp.path(), "events.ndjson", b"");
        let run = plan(&contacts, &events, &tmp.path().join("plan"), &[]);
        assert_eq!(run.status.code(), Some(3), "{name}");
        let err = stderr(&run);
        assert!(err.contains(&format!("{name}:1: UTF-16 text")) && err.contains("CSV UTF-8"), "{err}");
    }
}

/// saas.json with a `contacts.columns` section, written to `dir`.
fn mapped_playbook(dir: &Path, columns: serde_json::Value) -> String {
    let mut playbook: serde_json::Value =
        serde_json::from_slice(&std::fs::read(repo().join(SAAS)).expect("saas.json")).expect("json");
    playbook["contacts"] = serde_json::json!({ "columns": columns });
    write(dir, "mapped.json", &serde_json::to_vec(&playbook).expect("json"))
}

fn plan_with(playbook: &str, contacts: &str, events: &str, out: &Path) -> Output {
    let out = out.to_str().expect("utf-8 path");
    let args = ["plan", "--playbook", playbook, "--contacts", contacts, "--events", events, "--now", NOW, "--out", out];
    Command::new(env!("CARGO_BIN_EXE_rekindle")).args(args).arg("--quiet").current_dir(repo()).output().expect("run")
}

#[test]
fn a_column_that_misses_a_playbook_field_by_letter_case_is_named_in_a_warning() {
    let tmp = tempfile::tempdir().expect("tempdir");
    let events = write(tmp.path(), "events.ndjson", b"");
    let contacts = write(tmp.path(), "crm.csv", b"id,email,ROLE,Company-Size\nk1,ann@acme.test,CMO,120\n");
    let out = tmp.path().join("plan");
    let run = plan(&contacts, &events, &out, &[]);
    assert_eq!(run.status.code(), Some(0), "{}", stderr(&run));
    let diagnostics = read(&out, "diagnostics.ndjson");
    let hints: Vec<&str> = diagnostics.lines().filter(|l| l.contains("field_name_mismatch")).collect();
    assert_eq!(hints.len(), 2, "{diagnostics}");
    assert!(hints[0].contains("`company_size`") && hints[0].contains("\\\"Company-Size\\\""), "{}", hints[0]);
    assert!(hints[1].contains("`role`") && hints[1].contains("`ROLE`"), "{}", hints[1]);
    assert_eq!(plan_rows(&out)[0]["segments"], "", "the fields do not count: hence the warning");
}

#[test]
fn a_generic_csv_saved_as_windows_1252_is_read_with_one_warning() {
    let tmp = tempfile::tempdir().expect("tempdir");
    let events = write(tmp.path(), "events.ndjson", b"");
    // Excel's "CSV" on Windows: Köln, a Unicode-less € and “quotes” in Windows-1252; the role decides a segment.
    let contacts = write(
        tmp.path(),
        "crm.csv",
        b"id,email,role,city\nk1,zoe@acme.test,CEO,K\xf6ln\nk2,li@acme.test,\x93Head of Growth\x94 \x80,Malm\xf6\n",
    );
    let out = tmp.path().join("plan");
    let run = plan(&contacts, &events, &out, &["--format", "json"]);
    assert_eq!(run.status.code(), Some(0), "{}", stderr(&run));
    assert_eq!(plan_rows(&out).len(), 2, "no row rejected as not UTF-8");
    assert_eq!(plan_rows(&out)[0]["segments"], "decision_makers", "the CEO row read whole");
    let diagnostics = read(&out, "diagnostics.ndjson");
    assert_eq!(diagnostics.lines().count(), 1, "{diagnostics}");
    assert!(diagnostics.contains("\"line\":2") && diagnostics.contains("decoded_as_windows_1252"), "{diagnostics}");
}

#[test]
fn a_generic_csv_is_read_through_the_playbooks_column_mapping() {
    let tmp = tempfile::tempdir().expect("tempdir");
    let playbook = mapped_playbook(
        tmp.path(),
        serde_json::json!({
            "email": "E-mail Address", "id": "Customer ID", "created_at": "Signed up",
            "fields": { "Job Title": "role", "EMPLOYEES": "company_size", "Fax": "fax" }
        }),
    );
    let contacts = write(
        tmp.path(),
        "crm.csv",
        b"E-mail Address,Customer ID,Signed up,Job Title,Employees,Favourite colour\n\
          Ann@Acme.test,cust-1,2026-01-05T10:00:00Z,CEO,120,green\n\
          bob@acme.test,cust-2,2026-02-01T10:00:00Z,Student,3,\n",
    );
    let events = write(
        tmp.path(),
        "events.ndjson",
        br#"{"contact":"cust-1","at":"2026-11-20T10:00:00Z","kind":"page_view","props":{"path":"/pricing"}}"#,
    );
    let out = tmp.path().join("plan");
    let run = plan_with(&playbook, &contacts, &events, &out);
    assert_eq!(run.status.code(), Some(0), "{}", stderr(&run));
    let rows = plan_rows(&out);
    let row = |id: &str| rows.iter().find(|r| r["id"] == id).unwrap_or_else(|| panic!("no row {id}: {rows:?}"));
    // The export's ids and emails; `role` and `company_size` from the renamed columns (decision_makers: a CEO;
    // mid_market: 50–999 employees); the event found its contact by the mapped id.
    assert_eq!(row("cust-1")["email"], "ann@acme.test");
    assert_eq!(row("cust-1")["segments"], "decision_makers;mid_market");
    assert_eq!(row("cust-1")["lifecycle"], "active");
    assert_eq!(row("cust-2")["segments"], "reactivation_pool");
    let diagnostics = read(&out, "diagnostics.ndjson");
    assert!(diagnostics.contains("mapped_column_missing") && diagnostics.contains("\\\"Fax\\\""), "{diagnostics}");

    // A column the playbook names must be in the header: the file is unusable, and says which.
    let playbook = mapped_playbook(tmp.path(), serde_json::json!({ "email": "E-mail Address", "id": "Account" }));
    let run = plan_with(&playbook, &contacts, &events, &tmp.path().join("plan2"));
    assert_eq!(run.status.code(), Some(3), "{}", stderr(&run));
    assert!(
        stderr(&run).contains("crm.csv:1: no \"Account\" column (the playbook's contacts.columns.id)"),
        "{}",
        stderr(&run)
    );
}

#[test]
fn a_mapped_header_filling_the_field_another_column_has_is_refused_naming_both() {
    // `Job Title` → role beside a `role` column: two columns for one profile field, the later cell silently won.
    let tmp = tempfile::tempdir().expect("tempdir");
    let events = write(tmp.path(), "events.ndjson", b"");
    let contacts = write(tmp.path(), "crm.csv", b"email,Job Title,role\nann@acme.test,CMO,intern\n");
    let playbook = mapped_playbook(tmp.path(), serde_json::json!({ "fields": { "Job Title": "role" } }));
    let out = tmp.path().join("plan");
    let run = plan_with(&playbook, &contacts, &events, &out);
    assert_eq!(run.status.code(), Some(3), "{}", stderr(&run));
    assert!(
        stderr(&run).contains(
            "crm.csv:1: columns 2 \"Job Title\" and 3 \"role\" both fill the profile field `role` (contacts.columns.fields)"
        ),
        "{}",
        stderr(&run)
    );
    assert!(!out.join("plan.csv").exists(), "nothing planned from a guess");
}
