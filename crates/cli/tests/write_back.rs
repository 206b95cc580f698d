//! Write-back files (D45: "write segments, scores, audiences and the archive/erasure files back in formats those
//! systems import"): HubSpot, Mailchimp and Klaviyo import files from the vendor samples, their headers checked
//! against the vendors' documented import columns, every row against plan.csv, no erased address anywhere, and
//! erasure.json naming the contacts-file line of a contact the export gave no id (D9).
#![allow(clippy::expect_used, clippy::indexing_slicing, clippy::panic)] // test helpers: a failed setup aborts the test

#[path = "support/plan_cli.rs"]
mod plan_cli;

use std::collections::BTreeMap;
use std::path::Path;

use plan_cli::{json, rekindle, repo, snapshot, stderr, write, NOW, SAAS};

/// HubSpot's import identifies a contact by `Email`, or by `Record ID` (knowledge.hubspot.com/import-and-export/
/// set-up-your-import-file: "Unique identifier: … Record ID … Email"); the rest are custom properties.
const HUBSPOT_KEYS: [&str; 2] = ["Record ID", "Email"];
/// Mailchimp: "you must include an email address column" (mailchimp.com/help/format-guidelines-for-your-import-
/// file), written `Email Address` as in Mailchimp's own export (tests/fixtures/mailchimp-export-subscribed.csv);
/// tags are one comma-separated column.
const MAILCHIMP_KEYS: [&str; 2] = ["Email Address", "TAGS"];
/// Klaviyo: "The header of the first column in your CSV should be … Email, Email Address, Phone Number"
/// (help.klaviyo.com/hc/en-us/articles/115005078967).
const KLAVIYO_FIRST: [&str; 3] = ["Email", "Email Address", "Phone Number"];

fn b2b(out: &Path, extra: &[&str]) -> std::process::Output {
    let out = out.to_str().expect("utf-8");
    let mut args = vec!["plan", "--playbook", SAAS, "--contacts", "examples/data/b2b/hubspot-contacts.csv"];
    args.extend(["--webhooks", "sendgrid:examples/data/b2b/sendgrid-events.ndjson"]);
    args.extend(["--webhooks", "mailgun:examples/data/b2b/mailgun-events.ndjson"]);
    args.extend(["--events", "examples/data/b2b/site-events.ndjson", "--default-calling-code", "1"]);
    args.extend(["--now", NOW, "--out", out, "--quiet"]);
    args.extend(extra);
    rekindle(&args)
}

fn shop(out: &Path, extra: &[&str]) -> std::process::Output {
    let out = out.to_str().expect("utf-8");
    let mut args = vec!["plan", "--playbook", "examples/playbooks/ecommerce.json"];
    args.extend(["--contacts", "examples/data/shop/klaviyo-profiles.csv"]);
    args.extend(["--webhooks", "postmark:examples/data/shop/postmark-events.ndjson"]);
    args.extend(["--webhooks", "mailchimp:examples/data/shop/mailchimp-webhooks.txt"]);
    args.extend(["--events", "examples/data/shop/orders.ndjson", "--default-calling-code", "44"]);
    args.extend(["--now", NOW, "--out", out, "--quiet"]);
    args.extend(extra);
    rekindle(&args)
}

/// A CSV as header + rows of cells.
fn csv(path: &Path) -> (Vec<String>, Vec<Vec<String>>) {
    let mut r = csv::Reader::from_path(path).unwrap_or_else(|e| panic!("{}: {e}", path.display()));
    let header = r.headers().expect("header").iter().map(str::to_string).collect();
    let rows = r.records().map(|rec| rec.expect("row").iter().map(str::to_string).collect()).collect();
    (header, rows)
}

/// plan.csv's living contacts: id → (email, lifecycle, stage, segments `;`-joined, email_verdict).
fn plan_rows(out: &Path) -> BTreeMap<String, Vec<String>> {
    let (h, rows) = csv(&out.join("plan.csv"));
    let col = |name: &str| h.iter().position(|c| c == name).expect(name);
    let pick = ["email", "lifecycle", "stage", "segments", "email_verdict"].map(col);
    rows.into_iter()
        .filter(|r| !r[col("email")].is_empty())
        .map(|r| (r[0].clone(), pick.map(|i| r[i].clone()).to_vec()))
        .collect()
}

/// The emails of the sample's contacts of one archetype (expected.csv), looked up in the export by id.
fn emails_of(sample: &str, export: &str, id_col: usize, email_col: usize, archetypes: &[&str]) -> Vec<String> {
    let dir = repo().join("examples/data").join(sample);
    let (_, expected) = csv(&dir.join("expected.csv"));
    let ids: Vec<&String> = expected.iter().filter(|r| archetypes.contains(&r[1].as_str())).map(|r| &r[0]).collect();
    let (_, rows) = csv(&dir.join(export));
    let emails: Vec<String> =
        rows.iter().filter(|r| ids.contains(&&r[id_col])).map(|r| r[email_col].trim().to_lowercase()).collect();
    assert!(!emails.is_empty(), "no {archetypes:?} in {sample}");
    emails
}

/// No file of the plan holds an erased address, nor its local part.
fn no_erased_address_anywhere(out: &Path, erased: &[String]) {
    for (name, bytes) in snapshot(out) {
        let text = String::from_utf8_lossy(&bytes).to_lowercase();
        for email in erased {
            assert!(!text.contains(email.as_str()), "{email} found in {name}");
            let local = &email[..email.find('@').expect("@")];
            assert!(!text.contains(&format!("{local}@")), "{email}'s local part in {name}");
        }
    }
}

/// The manifest lists `file` with its rows and the SHA-256 of its bytes.
fn listed_in_manifest(out: &Path, file: &str, rows: usize) {
    use sha2::{Digest, Sha256};
    let manifest = json(&out.join("manifest.json"));
    let entry = manifest["files"].as_array().expect("files").iter().find(|f| f["path"] == file);
    let entry = entry.unwrap_or_else(|| panic!("{file} not in manifest.json"));
    assert_eq!(entry["rows"].as_u64(), Some(rows as u64), "{file}");
    let digest = Sha256::digest(std::fs::read(out.join(file)).expect("read"));
    let hex: String = digest.iter().map(|b| format!("{b:02x}")).collect();
    assert_eq!(entry["sha256"].as_str(), Some(hex.as_str()), "{file}");
}

#[test]
fn hubspot_export_is_written_back_as_a_hubspot_contacts_import_with_property_definitions() {
    let tmp = tempfile::tempdir().expect("tempdir");
    let out = tmp.path().join("b2b");
    let run = b2b(&out, &[]);
    assert_eq!(run.status.code(), Some(4), "{}", stderr(&run)); // the sample's rejected rows
    let (header, rows) = csv(&out.join("hubspot_contacts_import.csv"));
    assert_eq!(header[..2], HUBSPOT_KEYS);
    assert!(header[2..].iter().all(|h| h.starts_with("rekindle_")), "{header:?}");
    let plan = plan_rows(&out);
    assert_eq!(rows.len(), plan.len(), "every living contact, erased never");
    let ids: Vec<&String> = rows.iter().map(|r| &r[0]).collect();
    assert!(ids.windows(2).all(|w| w[0] < w[1]), "sorted by id");
    let col = |name: &str| header.iter().position(|c| c == name).expect(name);
    for r in &rows {
        let p = &plan[&r[0]];
        assert_eq!(r[1], p[0], "Record ID {} keys its email", r[0]);
        assert_eq!(r[col("rekindle_lifecycle")], p[1]);
        assert_eq!(r[col("rekindle_stage")], p[2]);
        let segments = if p[3].is_empty() { "none" } else { p[3].as_str() };
        assert_eq!(r[col("rekindle_segments")], segments, "HubSpot's multiple checkboxes, ;-separated");
        assert_eq!(r[col("rekindle_email_verdict")], p[4]);
    }
    // Every custom column has a definition; every value an enumeration takes is one of its options.
    let props = json(&out.join("hubspot_properties.json"));
    let inputs = props["inputs"].as_array().expect("inputs");
    assert_eq!(inputs.len(), header.len() - 2);
    for (i, name) in header.iter().enumerate().skip(2) {
        let def = inputs.iter().find(|d| d["name"] == name.as_str()).unwrap_or_else(|| panic!("{name} undefined"));
        for key in ["label", "type", "fieldType", "groupName"] {
            assert!(def[key].as_str().is_some_and(|v| !v.is_empty()), "{name}.{key}");
        }
        if def["type"] == "enumeration" {
            let options: Vec<&str> = def["options"]
                .as_array()
                .expect("options")
                .iter()
                .map(|o| o["value"].as_str().expect("value"))
                .collect();
            for r in &rows {
                for value in r[i].split(';') {
                    assert!(options.contains(&value), "{name}: {value} not an option of {options:?}");
                }
            }
        }
    }
    listed_in_manifest(&out, "hubspot_contacts_import.csv", rows.len());
    listed_in_manifest(&out, "hubspot_properties.json", inputs.len());
    no_erased_address_anywhere(&out, &emails_of("b2b", "hubspot-contacts.csv", 0, 3, &["erased"]));
    // Same input and --now: same bytes.
    let again = tmp.path().join("again");
    b2b(&again, &["--salt-file", out.join("salt.txt").to_str().expect("utf-8")]);
    for file in ["hubspot_contacts_import.csv", "hubspot_properties.json"] {
        assert_eq!(std::fs::read(out.join(file)).ok(), std::fs::read(again.join(file)).ok(), "{file}");
    }
}

#[test]
fn klaviyo_export_is_written_back_as_a_profile_import_and_list_uploads_without_suppressed_addresses() {
    let tmp = tempfile::tempdir().expect("tempdir");
    let out = tmp.path().join("shop");
    // The sample erases nobody: one loyal customer asks to be erased here.
    let erased = emails_of("shop", "klaviyo-profiles.csv", 1, 0, &["loyal"])[..1].to_vec();
    let line =
        format!("{{\"contact\":\"{}\",\"at\":\"2026-11-20T10:00:00Z\",\"kind\":\"erasure_request\"}}\n", erased[0]);
    let erasure = write(tmp.path(), "erasure.ndjson", &line);
    let run = shop(&out, &["--events", &erasure]);
    assert_eq!(run.status.code(), Some(4), "{}", stderr(&run));
    let (header, rows) = csv(&out.join("klaviyo_profiles_import.csv"));
    assert!(KLAVIYO_FIRST.contains(&header[0].as_str()), "{header:?}");
    assert!(header[1..].iter().all(|h| h.starts_with("rekindle_")), "{header:?}");
    assert!(!header.iter().any(|h| h.to_lowercase().contains("consent")), "no consent column: {header:?}");
    let plan = plan_rows(&out);
    let by_email: BTreeMap<&String, &Vec<String>> = plan.values().map(|p| (&p[0], p)).collect();
    assert_eq!(rows.len(), plan.len());
    let emails: Vec<&String> = rows.iter().map(|r| &r[0]).collect();
    let in_plan_order: Vec<&String> = plan.values().map(|p| &p[0]).collect();
    assert_eq!(emails, in_plan_order, "sorted by contact id");
    for r in &rows {
        let p = by_email[&r[0]];
        assert_eq!((&r[1], &r[3]), (&p[1], &p[2]), "{}", r[0]);
    }
    // Suppressed addresses keep their profile (with email_verdict deny) but are on no list.
    let archetypes =
        ["complained", "hard_bounce", "klaviyo_bounced", "klaviyo_unsub", "mailchimp_cleaned", "mailchimp_unsub"];
    let suppressed = emails_of("shop", "klaviyo-profiles.csv", 1, 0, &archetypes);
    let verdict = header.iter().position(|h| h == "rekindle_email_verdict").expect("verdict");
    for email in &suppressed {
        let row = rows.iter().find(|r| &r[0] == email).unwrap_or_else(|| panic!("{email} has no profile row"));
        assert_eq!(row[verdict], "deny", "{email}");
    }
    let segments = json(&out.join("manifest.json"))["segments"].as_object().expect("segments").clone();
    assert!(!segments.is_empty());
    let mut listed = 0;
    for (segment, _) in &segments {
        let file = format!("klaviyo_list_{segment}.csv");
        let (h, members) = csv(&out.join(&file));
        assert_eq!(h, ["Email"], "{file}");
        for m in &members {
            assert!(!suppressed.contains(&m[0]), "{} is suppressed but on {file}", m[0]);
            assert!(by_email[&m[0]][3].split(';').any(|s| s == segment), "{} not in {segment}", m[0]);
        }
        listed += members.len();
        listed_in_manifest(&out, &file, members.len());
    }
    assert!(listed > 0, "the lists hold someone");
    assert!(!emails.contains(&&erased[0]), "the erased customer has no profile row");
    no_erased_address_anywhere(&out, &erased);
}

/// A Mailchimp export: the verbatim fixture's header and row, then rows on the same header.
fn mailchimp_export(dir: &Path) -> String {
    let fixture = std::fs::read_to_string(repo().join("crates/cli/tests/fixtures/mailchimp-export-subscribed.csv"))
        .expect("fixture");
    let mut text = fixture.trim_end().to_string();
    for (i, who) in ["ann", "bob", "eve", "zoe"].iter().enumerate() {
        text.push_str(&format!(
            "\n{who}@shop.test,{who},,2,,,\"2025-01-0{d} 10:00:00\",,,,,,,,,\"2025-01-0{d} 10:00:00\",l{i},e{i},",
            d = i + 1
        ));
    }
    text.push('\n');
    write(dir, "subscribed_members_export.csv", &text)
}

#[test]
fn mailchimp_export_is_written_back_as_an_audience_import_with_tags_and_a_tag_removal_list() {
    let tmp = tempfile::tempdir().expect("tempdir");
    let contacts = mailchimp_export(tmp.path());
    let events = write(
        tmp.path(),
        "events.ndjson",
        "{\"contact\":\"ann@shop.test\",\"at\":\"2026-11-20T10:00:00Z\",\"kind\":\"email_click\"}\n\
         {\"contact\":\"eve@shop.test\",\"at\":\"2026-11-01T10:00:00Z\",\"kind\":\"erasure_request\"}\n\
         {\"contact\":\"zoe@shop.test\",\"at\":\"2026-11-02T10:00:00Z\",\"kind\":\"unsubscribe\",\"props\":{\"channel\":\"all\"}}\n",
    );
    let out = tmp.path().join("plan");
    let run = rekindle(&[
        "plan",
        "--playbook",
        SAAS,
        "--contacts",
        &contacts,
        "--events",
        &events,
        "--now",
        NOW,
        "--quiet",
        "--out",
        out.to_str().expect("utf-8"),
    ]);
    assert_eq!(run.status.code(), Some(0), "{}", stderr(&run));
    let (header, rows) = csv(&out.join("mailchimp_audience_import.csv"));
    assert_eq!(header[..2], MAILCHIMP_KEYS);
    assert!(header[2..].iter().all(|h| h.starts_with("RK_") && h.len() <= 10), "merge tags: {header:?}");
    let plan = plan_rows(&out);
    let emails: Vec<&str> = rows.iter().map(|r| r[0].as_str()).collect();
    // Sorted by contact id, Mailchimp's EUID here (e0, e1, e3, then the fixture's `some-other-value`); eve erased.
    assert_eq!(emails, ["ann@shop.test", "bob@shop.test", "zoe@shop.test", "mail@example.com"]);
    for r in &rows {
        let p = plan.values().find(|p| p[0] == r[0]).expect("in plan.csv");
        let tags: Vec<&str> = r[1].split(',').collect();
        assert!(tags.contains(&format!("rekindle:lifecycle:{}", p[1]).as_str()), "{tags:?}");
        for segment in p[3].split(';').filter(|s| !s.is_empty()) {
            assert!(tags.contains(&format!("rekindle:{segment}").as_str()), "{segment} missing from {tags:?}");
        }
        assert_eq!(tags.len(), p[3].split(';').filter(|s| !s.is_empty()).count() + 1, "{tags:?}");
    }
    // The removal list: per contact, every rekindle tag it does not hold now, and none it does.
    let (h, removals) = csv(&out.join("mailchimp_tags_remove.csv"));
    assert_eq!(h, MAILCHIMP_KEYS);
    for r in &removals {
        let held: Vec<&str> = rows.iter().find(|x| x[0] == r[0]).expect("imported")[1].split(',').collect();
        let stale: Vec<&str> = r[1].split(',').collect();
        assert!(stale.iter().all(|t| t.starts_with("rekindle:") && !held.contains(t)), "{stale:?} vs {held:?}");
        for other in ["active", "cooling", "cold", "archived"] {
            let tag = format!("rekindle:lifecycle:{other}");
            assert!(held.contains(&tag.as_str()) || stale.contains(&tag.as_str()), "{tag} neither held nor removed");
        }
    }
    assert_eq!(removals.len(), rows.len());
    listed_in_manifest(&out, "mailchimp_audience_import.csv", rows.len());
    no_erased_address_anywhere(&out, &["eve@shop.test".to_string()]);
}

#[test]
fn write_back_follows_the_flag_and_the_input_vendor() {
    let tmp = tempfile::tempdir().expect("tempdir");
    let vendor_files = |out: &Path| -> Vec<String> {
        let prefixes = ["hubspot_", "mailchimp_", "klaviyo_"];
        snapshot(out).into_keys().filter(|k| prefixes.iter().any(|p| k.starts_with(p))).collect()
    };
    let none = tmp.path().join("none");
    b2b(&none, &["--write-back", "none"]);
    assert!(vendor_files(&none).is_empty(), "{:?}", vendor_files(&none));
    // A HubSpot export written back for Klaviyo: Klaviyo's files only.
    let cross = tmp.path().join("cross");
    b2b(&cross, &["--write-back", "klaviyo"]);
    let files = vendor_files(&cross);
    assert!(
        files.iter().all(|f| f.starts_with("klaviyo_")) && files.contains(&"klaviyo_profiles_import.csv".to_string()),
        "{files:?}"
    );
    // A generic CSV gets none by default; asked for HubSpot, its ids are no HubSpot Record IDs: left empty.
    let contacts = write(tmp.path(), "contacts.csv", "id,email\nc-1,ann@x.test\nc-2,bob@x.test\n");
    let generic = tmp.path().join("generic");
    let args = |out: &Path, extra: &[&str]| {
        let mut a = vec!["plan", "--playbook", SAAS, "--contacts", &contacts, "--now", NOW, "--quiet", "--out"];
        let out = out.to_str().expect("utf-8").to_string();
        let mut v: Vec<String> = a.drain(..).map(str::to_string).collect();
        v.push(out);
        v.extend(extra.iter().map(|s| s.to_string()));
        v
    };
    let run = |v: Vec<String>| rekindle(&v.iter().map(String::as_str).collect::<Vec<_>>());
    assert_eq!(run(args(&generic, &[])).status.code(), Some(0));
    assert!(vendor_files(&generic).is_empty());
    let asked = tmp.path().join("asked");
    assert_eq!(run(args(&asked, &["--write-back", "hubspot"])).status.code(), Some(0));
    let (_, rows) = csv(&asked.join("hubspot_contacts_import.csv"));
    assert_eq!(
        rows.iter().map(|r| (r[0].as_str(), r[1].as_str())).collect::<Vec<_>>(),
        [("", "ann@x.test"), ("", "bob@x.test")]
    );
    // Run again into the same directory without write-back: the stale import is removed (manifest-listed).
    assert_eq!(run(args(&asked, &["--write-back", "none"])).status.code(), Some(0));
    assert!(vendor_files(&asked).is_empty(), "{:?}", vendor_files(&asked));
}

#[test]
fn erasure_json_names_the_contacts_line_when_the_export_has_no_id_and_never_the_address() {
    let tmp = tempfile::tempdir().expect("tempdir");
    let contacts = write(
        tmp.path(),
        "contacts.csv",
        "email,created_at\nann@x.test,2025-01-01T00:00:00Z\ngone.person@x.test,2025-01-01T00:00:00Z\n",
    );
    let events = write(
        tmp.path(),
        "events.ndjson",
        "{\"contact\":\"gone.person@x.test\",\"at\":\"2026-11-01T10:00:00Z\",\"kind\":\"erasure_request\"}\n",
    );
    let out = tmp.path().join("plan");
    let run = rekindle(&[
        "plan",
        "--playbook",
        SAAS,
        "--contacts",
        &contacts,
        "--events",
        &events,
        "--now",
        NOW,
        "--quiet",
        "--out",
        out.to_str().expect("utf-8"),
        "--write-back",
        "mailchimp",
    ]);
    assert_eq!(run.status.code(), Some(0), "{}", stderr(&run));
    let erasure = json(&out.join("erasure.json"));
    let rows = erasure.as_array().expect("array");
    assert_eq!(rows.len(), 1, "{erasure}");
    assert_eq!(rows[0]["id"], serde_json::Value::Null);
    assert_eq!(rows[0]["contactsLine"], 3, "the header is line 1, ann line 2");
    assert!(rows[0]["tombstone"].as_str().is_some_and(|t| t.len() == 64));
    no_erased_address_anywhere(&out, &["gone.person@x.test".to_string()]);
}
