//! `rekindle plan --webhooks`: webhook logs built from the vendor fixtures (tests/fixtures/vendor), addressed to
//! the sample contacts, are folded with the sample events; repeats are folded once; bad bodies and records are
//! reported with file:line; and the ad-platform audiences hold hashed break-up contacts only.
#![allow(clippy::expect_used, clippy::indexing_slicing, clippy::panic)] // test helpers: a failed setup aborts the test

use std::path::{Path, PathBuf};
use std::process::{Command, Output};

use serde_json::{json, Value};
use sha2::{Digest, Sha256};

const SAAS: &str = "examples/playbooks/saas.json";
const CONTACTS: &str = "examples/data/plan/contacts.csv";
const EVENTS: &str = "examples/data/plan/events.ndjson";
const NOW: &str = "2026-11-26T12:00:00Z";

/// Sample contacts (examples/data/plan/contacts.csv) and where the sample plan puts them.
const ACTIVE_A: &str = "mia.ito0@acme.test"; // c-0001, active, email allowed
const ACTIVE_B: &str = "grace.archer2@initech.test"; // c-0003, active, email allowed
const ACTIVE_C: &str = "iris.gray4@initech.test"; // c-0005, active, email allowed
const BREAK_UP: [&str; 3] = ["nils.archer10@umbrella.test", "iris.baker26@globex.test", "mia.jones42@vandelay.test"];
/// The sample contacts archived without a reaction within 30 days before `NOW` (3–19 November 2026): still in the
/// retargeting audience (D10, DESIGN §7 `keep_for`); those archived on 15–24 October are not.
const ARCHIVED_LATELY: [&str; 3] =
    ["jon.archer12@vandelay.test", "iris.evans27@globex.test", "iris.baker44@initech.test"];

fn repo() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("../..")
}

fn fixture(name: &str) -> Value {
    let path = repo().join("tests/fixtures/vendor").join(name);
    serde_json::from_slice(&std::fs::read(&path).expect("read fixture")).expect("fixture is JSON")
}

/// The fixture entry whose `key` is `name` (`{test, payload}`, `{name, fields}`), its body.
fn entry(list: &Value, key: &str, name: &str, body: &str) -> Value {
    let all = list.as_array().expect("a list of entries");
    all.iter().find(|e| e[key] == name).map(|e| e[body].clone()).unwrap_or_else(|| panic!("no fixture {name}"))
}

fn write(dir: &Path, name: &str, lines: &[String]) -> String {
    let path = dir.join(name);
    std::fs::write(&path, lines.join("\n") + "\n").expect("write input");
    path.to_str().expect("utf-8 path").to_string()
}

/// `application/x-www-form-urlencoded`, as Mailchimp posts it.
fn urlencode(fields: &Value) -> String {
    let enc = |s: &str| {
        s.bytes()
            .map(|b| match b {
                b'A'..=b'Z' | b'a'..=b'z' | b'0'..=b'9' | b'-' | b'.' | b'_' | b'~' => (b as char).to_string(),
                _ => format!("%{b:02X}"),
            })
            .collect::<String>()
    };
    let pairs = fields.as_object().expect("fields");
    pairs.iter().map(|(k, v)| format!("{}={}", enc(k), enc(v.as_str().expect("text")))).collect::<Vec<_>>().join("&")
}

fn rekindle(args: &[&str]) -> Output {
    Command::new(env!("CARGO_BIN_EXE_rekindle")).args(args).current_dir(repo()).output().expect("run rekindle")
}

fn stderr(out: &Output) -> String {
    String::from_utf8_lossy(&out.stderr).into_owned()
}

fn sha256(text: &str) -> String {
    format!("{:x}", Sha256::digest(text.as_bytes()))
}

fn csv_rows(path: &Path) -> Vec<Vec<String>> {
    let text = std::fs::read_to_string(path).expect("read csv");
    text.lines().map(|l| l.split(',').map(str::to_string).collect()).collect()
}

/// The plan.csv row of a contact, as header → cell.
fn plan_row(out: &Path, email: &str) -> std::collections::BTreeMap<String, String> {
    let rows = csv_rows(&out.join("plan.csv"));
    let row = rows.iter().find(|r| r.get(1).is_some_and(|e| e == email)).expect("contact in plan.csv");
    rows[0].iter().cloned().zip(row.iter().cloned()).collect()
}

/// One webhook log per vendor, every line addressed to sample contacts (or deliberately broken).
fn webhook_logs(dir: &Path) -> Vec<String> {
    let sendgrid = fixture("sendgrid-events.json");
    let pick =
        |event: &str| sendgrid.as_array().expect("array").iter().find(|e| e["event"] == event).expect("event").clone();
    let mut spam = pick("spamreport");
    spam["email"] = json!(ACTIVE_A.to_uppercase()); // matched by normalised email
    spam["sg_event_id"] = json!("sg-spam-1");
    let mut delivered = pick("delivered");
    delivered["email"] = json!(ACTIVE_A);
    let mut in_ms = spam.clone();
    in_ms["timestamp"] = json!(1_513_299_569_000_u64);
    let mut ghost = spam.clone();
    ghost["email"] = json!("ghost@nowhere.test");
    ghost["sg_event_id"] = json!("sg-ghost");
    let sg = write(
        dir,
        "sendgrid.ndjson",
        &[
            json!([spam, delivered]).to_string(),
            json!([spam, delivered]).to_string(), // a retried POST: the spam report is a duplicate
            r#"[{"event":"open","email":"#.to_string(),
            json!([in_ms]).to_string(),
            String::new(), // blank lines are skipped
            json!([ghost]).to_string(),
        ],
    );

    let mut complained = entry(&fixture("mailgun-webhooks.json")["events"], "test", "test_complained_event", "payload");
    complained["event-data"]["recipient"] = json!(BREAK_UP[2]);
    let mg = write(dir, "mailgun.ndjson", &[complained.to_string(), complained.to_string()]);

    let mut unsubscribe = entry(&fixture("postmark-webhooks.json"), "test", "test_unsubscribe", "payload");
    unsubscribe["Recipient"] = json!(ACTIVE_C);
    let pm = write(dir, "postmark.ndjson", &[unsubscribe.to_string()]);

    let mut unsub = entry(&fixture("mailchimp-webhooks.json"), "name", "unsubscribe", "fields");
    unsub["data[email]"] = json!(ACTIVE_B);
    unsub["data[merges][EMAIL]"] = json!(ACTIVE_B);
    let mc = write(dir, "mailchimp.txt", &[urlencode(&unsub)]);

    let envelope = fixture("ses-anymail-events.json")["sns_envelope_example"].to_string();
    let ses = write(dir, "ses.ndjson", &[envelope.replace("jane@example.com", BREAK_UP[0])]);

    [format!("sendgrid:{sg}"), format!("mailgun:{mg}"), format!("postmark:{pm}"), format!("mailchimp:{mc}")]
        .into_iter()
        .chain([format!("ses:{ses}")])
        .collect()
}

fn plan(contacts: &str, events: &[&str], webhooks: &[String], out: &Path) -> Output {
    let mut args = vec!["plan", "--playbook", SAAS, "--contacts", contacts, "--now", NOW, "--quiet"];
    args.extend(["--out", out.to_str().expect("utf-8"), "--format", "json"]);
    for e in events {
        args.extend(["--events", e]);
    }
    for w in webhooks {
        args.extend(["--webhooks", w.as_str()]);
    }
    rekindle(&args)
}

#[test]
fn webhook_events_are_folded_once_and_bad_bodies_are_reported_with_file_and_line() {
    let tmp = tempfile::tempdir().expect("tempdir");
    let logs = webhook_logs(tmp.path());
    let out = tmp.path().join("out");
    let run = plan(CONTACTS, &[EVENTS], &logs, &out);
    assert_eq!(run.status.code(), Some(4), "bad records make exit 4: {}", stderr(&run));
    let summary: Value = serde_json::from_slice(&run.stdout).expect("JSON summary");
    let counts = &summary["counts"];
    assert_eq!(counts["duplicateEvents"], 2, "the retried SendGrid spam report and the repeated Mailgun complaint");
    assert_eq!(counts["skippedRecords"], json!({"sendgrid:delivered": 2}), "{counts}");
    assert_eq!(counts["rejectedEventLines"], 3, "bad body, ms timestamp, unknown contact: {counts}");

    let folded = [
        (ACTIVE_A, "SendGrid spam report"),
        (ACTIVE_B, "Mailchimp unsubscribe"),
        (ACTIVE_C, "Postmark unsubscribe"),
        (BREAK_UP[0], "SES permanent bounce in an SNS envelope"),
    ];
    for (email, why) in folded {
        assert_eq!(plan_row(&out, email)["email_verdict"], "deny", "{why} folded");
    }
    assert_eq!(plan_row(&out, "finn.archer1@vandelay.test")["email_verdict"], "defer", "others untouched");

    let text = std::fs::read_to_string(out.join("diagnostics.ndjson")).expect("diagnostics");
    let found: Vec<(String, u64, String, Value)> = text
        .lines()
        .map(|l| serde_json::from_str::<Value>(l).expect("ndjson"))
        .filter(|d| d["severity"] == "reject")
        .map(|d| {
            let file = Path::new(d["file"].as_str().expect("file")).file_name().expect("name").to_string_lossy();
            (
                file.into_owned(),
                d["line"].as_u64().expect("line"),
                d["code"].as_str().expect("code").into(),
                d["field"].clone(),
            )
        })
        .collect();
    assert_eq!(
        found,
        vec![
            ("sendgrid.ndjson".into(), 3, "bad_body".into(), Value::Null),
            ("sendgrid.ndjson".into(), 4, "timestamp_looks_like_ms".into(), json!("[0].timestamp")),
            ("sendgrid.ndjson".into(), 6, "unknown_contact".into(), json!("contact")),
        ]
    );
    assert!(!text.contains("ghost@"), "emails are masked in diagnostics");
    let rejects = std::fs::read_to_string(out.join("rejects.csv")).expect("rejects");
    assert_eq!(rejects.lines().count(), 4, "{rejects}");
}

#[test]
fn ad_audiences_hold_hashed_break_up_contacts_without_open_deals_or_complaints() {
    let tmp = tempfile::tempdir().expect("tempdir");
    // D22: sales opens a deal with the second break-up contact; the third complains through Mailgun.
    let deal = json!({"contact": BREAK_UP[1], "at": "2026-11-25T09:00:00Z", "kind": "sales_status", "props": {"status": "open"}});
    let sales = write(tmp.path(), "sales.ndjson", &[deal.to_string()]);
    let logs = webhook_logs(tmp.path());
    let out = tmp.path().join("out");
    let run = plan(CONTACTS, &[EVENTS, &sales], &logs, &out);
    assert_eq!(run.status.code(), Some(4), "{}", stderr(&run));

    // The first break-up contact hard-bounced (the SES log): a dead address, possibly recycled to someone else, is
    // not uploaded either.
    let mut hashed: Vec<Vec<String>> = ARCHIVED_LATELY.iter().map(|e| vec![sha256(e)]).collect();
    hashed.sort();
    let meta = csv_rows(&out.join("audiences/meta_custom_audience.csv"));
    assert_eq!(meta[0], ["EMAIL"], "no phone column in the sample contacts");
    assert_eq!(meta[1..], hashed[..]);
    let google = csv_rows(&out.join("audiences/google_customer_match.csv"));
    assert_eq!(google[0], ["Email"]);
    assert_eq!(google[1..], hashed[..]);
    let linkedin = csv_rows(&out.join("audiences/linkedin_matched_audience.csv"));
    assert_eq!(linkedin[0].join(","), "email,firstname,lastname,jobtitle,employeecompany,country,googleaid");
    let padded: Vec<Vec<String>> =
        hashed.iter().map(|h| h.iter().cloned().chain(std::iter::repeat_n(String::new(), 6)).collect()).collect();
    assert_eq!(linkedin[1..], padded[..]);

    let manifest: Value =
        serde_json::from_slice(&std::fs::read(out.join("manifest.json")).expect("manifest")).expect("json");
    let listed: Vec<(&str, u64)> = manifest["files"]
        .as_array()
        .expect("files")
        .iter()
        .map(|f| (f["path"].as_str().expect("path"), f["rows"].as_u64().expect("rows")))
        .filter(|(p, _)| p.contains("audiences/") && !p.contains("reactivation") && !p.contains("break_up"))
        .collect();
    // The three break-up contacts left out (bounce, open deal, complaint) are in the window: the platforms are told
    // to drop them, should an earlier upload hold them; so are the sample's 6 erased contacts (without --previous
    // nothing says which were already reported, GDPR Art. 17(2)).
    assert_eq!(
        listed,
        vec![
            ("audiences/google_customer_match.csv", 3),
            ("audiences/google_customer_match_remove.csv", 9),
            ("audiences/linkedin_matched_audience.csv", 3),
            ("audiences/linkedin_matched_audience_remove.csv", 9),
            ("audiences/meta_custom_audience.csv", 3),
            ("audiences/meta_custom_audience_remove.csv", 9),
        ]
    );
}

#[test]
fn meta_audience_adds_hashed_international_phones_when_contacts_have_a_phone_column() {
    let tmp = tempfile::tempdir().expect("tempdir");
    let sample = std::fs::read_to_string(repo().join(CONTACTS)).expect("sample contacts");
    let mut lines = sample.lines();
    let mut with_phone = vec![format!("{},phone", lines.next().expect("header"))];
    for line in lines {
        // The first break-up contact has an international number, the second a national one, the third none.
        let phone = if line.contains(BREAK_UP[0]) {
            "+48 600 100 200"
        } else if line.contains(BREAK_UP[1]) {
            "600 100 201"
        } else {
            ""
        };
        with_phone.push(format!("{line},{phone}"));
    }
    let contacts = write(tmp.path(), "contacts.csv", &with_phone);
    let out = tmp.path().join("out");
    let run = plan(&contacts, &[EVENTS], &[], &out);
    assert_eq!(run.status.code(), Some(0), "{}", stderr(&run));

    let meta = csv_rows(&out.join("audiences/meta_custom_audience.csv"));
    let mut expected: Vec<Vec<String>> = vec![
        vec![sha256(BREAK_UP[0]), sha256("48600100200")],
        vec![sha256(BREAK_UP[1]), String::new()],
        vec![sha256(BREAK_UP[2]), String::new()],
    ];
    expected.extend(ARCHIVED_LATELY.iter().map(|e| vec![sha256(e), String::new()]));
    expected.sort();
    assert_eq!(meta[0], ["EMAIL", "PHONE"]);
    assert_eq!(meta[1..], expected[..], "sorted by email hash");
    assert!(!std::fs::read_to_string(out.join("audiences/meta_custom_audience.csv")).expect("read").contains('@'));
}

#[test]
fn unknown_webhook_vendor_is_a_usage_error() {
    let run = rekindle(&[
        "plan",
        "--playbook",
        SAAS,
        "--contacts",
        CONTACTS,
        "--now",
        NOW,
        "--out",
        "target/x",
        "--webhooks",
        "sparkpost:x.ndjson",
    ]);
    assert_eq!(run.status.code(), Some(2));
    assert!(stderr(&run).contains("unknown webhook vendor \"sparkpost\""), "{}", stderr(&run));
}
