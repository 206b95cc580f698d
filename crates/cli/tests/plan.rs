//! `rekindle plan` through the real binary: the sample plan, byte-identical reruns, rejected rows, unusable
//! input, erasure leaving no personal data, a killed run leaving no half file, and dedup.
#![allow(clippy::expect_used, clippy::indexing_slicing, clippy::panic)] // test helpers: a failed setup aborts the test

use std::collections::BTreeMap;
use std::io::{BufRead, BufReader};
use std::path::Path;
use std::process::{Command, Stdio};

use sha2::{Digest, Sha256};

#[path = "support/plan_cli.rs"]
mod plan_cli;

use plan_cli::{diagnostics, json, plan, rekindle, repo, snapshot, stderr, write, CONTACTS, EVENTS, NOW, SAAS};

#[test]
fn sample_plan_writes_every_file_and_the_manifest_matches_them() {
    let tmp = tempfile::tempdir().expect("tempdir");
    let out = tmp.path().join("plan");
    let run = plan(CONTACTS, EVENTS, &out, &["--format", "json"]);
    assert_eq!(run.status.code(), Some(0), "{}", stderr(&run));
    let summary: serde_json::Value = serde_json::from_slice(&run.stdout).expect("stdout is the JSON summary");
    assert_eq!(summary["contacts"], 50);
    assert!(stderr(&run).trim_end().ends_with(&format!(
        "planned 50 contacts; rejected 0 rows (see {})",
        out.join("diagnostics.ndjson").display()
    )));

    let files = snapshot(&out);
    for name in [
        "plan.csv",
        "plan.json",
        "audiences/soft_reactivation.csv",
        "audiences/break_up.csv",
        "archive.csv",
        "erasure.json",
        "tombstones.csv",
        "suppressed.csv",
        "handoff.csv",
        "diagnostics.ndjson",
        "rejects.csv",
        "manifest.json",
        "salt.txt",
        "segments/decision_makers.csv",
        "segments/reactivation_pool.csv",
    ] {
        assert!(files.contains_key(name), "{name} missing; got {:?}", files.keys().collect::<Vec<_>>());
    }
    assert!(files.keys().all(|k| !k.contains(".tmp-rekindle-")), "no stray temp files after a clean run");

    let manifest = json(&out.join("manifest.json"));
    let listed = manifest["files"].as_array().expect("files");
    assert_eq!(listed.len(), files.len() - 1, "the manifest lists every file but itself");
    for f in listed {
        let bytes = &files[f["path"].as_str().expect("path")];
        assert_eq!(f["sha256"].as_str(), Some(format!("{:x}", Sha256::digest(bytes)).as_str()), "{f}");
    }
    let plan_json = json(&out.join("plan.json"));
    let rows = plan_json.as_array().expect("plan.json is an array");
    assert_eq!(rows.len(), 50);
    let ids: Vec<&str> = rows.iter().map(|r| r["id"].as_str().expect("id")).collect();
    assert!(ids.windows(2).all(|w| w[0] < w[1]), "rows sorted by contact id");
    let states: Vec<&str> = rows.iter().map(|r| r["lifecycle"]["state"].as_str().expect("state")).collect();
    for state in ["active", "cooling", "cold", "soft_reactivation", "break_up", "archived", "erased"] {
        assert!(states.contains(&state), "the sample covers {state}");
    }
    let plan_csv = String::from_utf8_lossy(&files["plan.csv"]).into_owned();
    assert_eq!(plan_csv.lines().count(), 51, "header + one row per contact");
    assert!(plan_csv.contains(",2026-"), "CSV instants are RFC 3339");
    let archive = String::from_utf8_lossy(&files["archive.csv"]).into_owned();
    assert!(archive.lines().skip(1).all(|l| l.contains("email_marketing=granted@")), "{archive}");
    let handoff = String::from_utf8_lossy(&files["handoff.csv"]).into_owned();
    assert!(handoff.lines().skip(1).any(|l| l.contains(",sql,")), "{handoff}");
}

#[test]
fn rerun_over_the_same_input_writes_byte_identical_files() {
    let tmp = tempfile::tempdir().expect("tempdir");
    let (a, b) = (tmp.path().join("a"), tmp.path().join("b"));
    assert_eq!(plan(CONTACTS, EVENTS, &a, &[]).status.code(), Some(0));
    let first = snapshot(&a);
    assert_eq!(plan(CONTACTS, EVENTS, &a, &[]).status.code(), Some(0), "the stored salt is reused");
    assert_eq!(snapshot(&a), first);
    let salt = a.join("salt.txt");
    let run = plan(CONTACTS, EVENTS, &b, &["--salt-file", salt.to_str().expect("utf-8")]);
    assert_eq!(run.status.code(), Some(0), "{}", stderr(&run));
    let mut second = snapshot(&b);
    assert!(!second.contains_key("salt.txt"), "a salt given by --salt-file is not copied into the plan");
    second.insert("salt.txt".into(), first["salt.txt"].clone());
    let differs: Vec<&String> =
        first.keys().filter(|k| *k != "manifest.json" && first.get(*k) != second.get(*k)).collect();
    assert!(differs.is_empty(), "{differs:?}");
}

#[test]
fn bad_rows_are_rejected_with_their_place_and_the_good_rows_still_planned() {
    let tmp = tempfile::tempdir().expect("tempdir");
    let contacts = write(
        tmp.path(),
        "contacts.csv",
        "id,Email,role,created_at\n\
         a1,ann@acme.test,VP Marketing,2026-01-01T00:00:00Z\n\
         a2,not-an-email,CMO,\n\
         a3,bob@acme.test,CMO,last tuesday\n\
         a4,cy@acme.test,CMO\n\
         a5,,CMO,\n\
         a6,dee@acme.test,,1767225600000\n",
    );
    let events = write(
        tmp.path(),
        "events.ndjson",
        "{\"contact\":\"a1\",\"at\":\"2026-11-20T10:00:00Z\",\"kind\":\"page_view\",\"props\":{\"path\":\"/pricing\"}}\n\
         {\"contact\":\"ghost@nowhere.test\",\"at\":\"2026-11-20T10:00:00Z\",\"kind\":\"page_view\"}\n\
         {\"contact\":\"a1\",\"at\":\n\
         \n\
         {\"contact\":\"DEE@acme.test\",\"at\":\"yesterday\",\"kind\":\"page_view\"}\n\
         {\"at\":\"2026-11-20T10:00:00Z\",\"kind\":\"page_view\"}\n\
         {\"contact\":\"DEE@ACME.TEST\",\"at\":\"2026-11-21T10:00:00Z\",\"kind\":\"email_click\"}\n",
    );
    let out = tmp.path().join("out");
    let run = plan(&contacts, &events, &out, &[]);
    assert_eq!(run.status.code(), Some(4), "{}", stderr(&run));
    assert!(stderr(&run).contains("planned 2 contacts; rejected 8 rows"), "{}", stderr(&run));

    let found: Vec<(String, u64, String)> = diagnostics(&out)
        .iter()
        .map(|d| {
            let file = d["file"].as_str().expect("file");
            let short = if file.ends_with(".csv") { "contacts" } else { "events" };
            (short.to_string(), d["line"].as_u64().expect("line"), d["code"].as_str().expect("code").to_string())
        })
        .collect();
    let expected: Vec<(String, u64, String)> = [
        ("contacts", 3, "invalid_email"),
        ("contacts", 4, "bad_created_at"),
        ("contacts", 5, "column_count"),
        ("contacts", 6, "missing_email"),
        ("events", 2, "unknown_contact"),
        ("events", 3, "bad_json"),
        ("events", 5, "bad_event"),
        ("events", 6, "missing_contact"),
    ]
    .iter()
    .map(|(f, l, c)| (f.to_string(), *l, c.to_string()))
    .collect();
    assert_eq!(found, expected);
    let all = diagnostics(&out);
    assert_eq!(all[0]["column"], 2, "the CSV column of the bad email");
    assert_eq!(all[0]["field"], "Email");
    assert_eq!(all[6]["field"], "at", "the core error's path");
    assert!(!std::fs::read_to_string(out.join("diagnostics.ndjson")).expect("read").contains("ghost@"), "masked");
    let rejects = std::fs::read_to_string(out.join("rejects.csv")).expect("rejects");
    assert_eq!(rejects.lines().count(), 9, "{rejects}");

    let rows = json(&out.join("plan.json"));
    let ids: Vec<&str> = rows.as_array().expect("array").iter().map(|r| r["id"].as_str().expect("id")).collect();
    assert_eq!(ids, ["a1", "a6"]);
    assert!(rows[0]["scores"]["intent"].as_f64().expect("intent") > 0.0, "a1's pricing visit was folded");
    assert_eq!(rows[1]["lifecycle"]["since"], 1_795_255_200_000_i64, "dee's click (named by email) was folded");
}

#[test]
fn a_rerun_into_the_same_directory_removes_what_the_previous_plan_wrote_and_this_one_does_not() {
    let tmp = tempfile::tempdir().expect("tempdir");
    let out = tmp.path().join("out");
    let run = plan(CONTACTS, EVENTS, &out, &[]);
    assert!(run.status.success() || run.status.code() == Some(4), "{}", stderr(&run));
    assert!(out.join("segments/decision_makers.csv").exists());
    std::fs::write(out.join("notes.txt"), "mine").expect("a file of the user's");
    std::fs::write(tmp.path().join("outside.csv"), "keep").expect("a file outside");
    // A manifest edited to name files elsewhere, or not of ours, must not make the next run delete them.
    let manifest = std::fs::read_to_string(out.join("manifest.json")).expect("manifest");
    let tampered = manifest.replacen(
        "\"files\": [",
        "\"files\": [{\"path\": \"../outside.csv\"}, {\"path\": \"notes.txt/../../outside.csv\"}, {\"path\": \"/etc/hostname\"},",
        1,
    );
    assert_ne!(tampered, manifest);
    std::fs::write(out.join("manifest.json"), tampered).expect("tamper");

    let args =
        ["plan", "--playbook", "examples/playbooks/reengagement.json", "--contacts", CONTACTS, "--events", EVENTS];
    let out_s = out.to_str().expect("utf-8");
    let run = rekindle(
        &[
            &args[..],
            &["--now", NOW, "--out", out_s, "--quiet", "--salt-file", &out.join("salt.txt").to_string_lossy()],
        ]
        .concat(),
    );
    assert!(run.status.success() || run.status.code() == Some(4), "{}", stderr(&run));
    assert!(stderr(&run).contains("removed 5 file(s) of the previous plan"), "{}", stderr(&run));
    assert!(!out.join("segments/decision_makers.csv").exists(), "saas's segments are not this plan's");
    assert!(out.join("segments/break_up.csv").exists());
    assert!(out.join("notes.txt").exists() && out.join("salt.txt").exists(), "the user's file and the salt stay");
    assert!(tmp.path().join("outside.csv").exists());
    let listed = std::fs::read_to_string(out.join("manifest.json")).expect("manifest");
    let mut on_disk: Vec<String> = Vec::new();
    for dir in ["", "segments", "audiences"] {
        for entry in std::fs::read_dir(out.join(dir)).expect("dir") {
            let entry = entry.expect("entry");
            if entry.file_type().expect("type").is_file() {
                let name = entry.file_name().to_string_lossy().into_owned();
                on_disk.push(if dir.is_empty() { name } else { format!("{dir}/{name}") });
            }
        }
    }
    for file in on_disk {
        let expected = ["manifest.json", "notes.txt", "salt.txt"].contains(&file.as_str());
        assert!(expected || listed.contains(&format!("\"{file}\"")), "{file} is on disk but not in the manifest");
    }
}

#[test]
fn an_invalid_playbook_or_a_contacts_file_without_email_exits_3() {
    let tmp = tempfile::tempdir().expect("tempdir");
    let bad = write(tmp.path(), "bad.json", r#"{"version": 1, "signals": {"p": {"kind": "nope"}}}"#);
    let out = tmp.path().join("out");
    let run = rekindle(&[
        "plan",
        "--playbook",
        &bad,
        "--contacts",
        CONTACTS,
        "--events",
        EVENTS,
        "--now",
        NOW,
        "--out",
        out.to_str().expect("utf-8"),
    ]);
    assert_eq!(run.status.code(), Some(3), "{}", stderr(&run));
    assert!(stderr(&run).contains("signals.p.kind"), "{}", stderr(&run));

    let contacts = write(tmp.path(), "no-email.csv", "id,mail,role\n1,a@b.test,CMO\n");
    let run = plan(&contacts, EVENTS, &out, &[]);
    assert_eq!(run.status.code(), Some(3), "{}", stderr(&run));
    assert!(stderr(&run).contains("no-email.csv:1: no `email` column"), "{}", stderr(&run));
    assert!(!out.join("manifest.json").exists(), "nothing is planned from unusable input");

    for (name, text) in [("empty.csv", ""), ("blank.csv", "\n\n")] {
        let contacts = write(tmp.path(), name, text);
        let run = plan(&contacts, EVENTS, &out, &[]);
        assert_eq!(run.status.code(), Some(3), "{}", stderr(&run));
        assert!(stderr(&run).contains(&format!("{name}:1: empty: no header row")), "{}", stderr(&run));
    }

    let file = write(tmp.path(), "not-a-dir", "");
    let run = plan(CONTACTS, EVENTS, Path::new(&file), &[]);
    assert_eq!(run.status.code(), Some(1), "{}", stderr(&run));
    assert!(stderr(&run).contains("not-a-dir: exists and is not a directory"), "{}", stderr(&run));
}

#[test]
fn erased_contacts_leave_no_personal_data_in_any_output() {
    let tmp = tempfile::tempdir().expect("tempdir");
    // The sample's erased contacts: erasure requests and spam traps (saas.json erases on spam_trap).
    let csv = std::fs::read_to_string(repo().join(CONTACTS)).expect("contacts");
    let emails: BTreeMap<String, String> = csv
        .lines()
        .skip(1)
        .map(|l| l.split(',').map(str::to_string).collect::<Vec<_>>())
        .filter(|c| !c[0].is_empty())
        .map(|c| (c[0].clone(), c[1].clone()))
        .collect();
    let events = std::fs::read_to_string(repo().join(EVENTS)).expect("events");
    let mut erased: Vec<String> = events
        .lines()
        .filter(|l| l.contains("erasure_request") || l.contains("spam_trap"))
        .map(|l| serde_json::from_str::<serde_json::Value>(l).expect("event")["contact"].as_str().expect("c").into())
        .map(|c: String| emails.get(&c).cloned().unwrap_or_else(|| c.to_lowercase()))
        .collect();
    assert!(erased.len() >= 4, "the sample erases contacts: {erased:?}");
    // One more, in a file without ids: its plan row is keyed by tombstone, not by email.
    let contacts = write(tmp.path(), "c.csv", "email,first_name\nzed.secret@acme.test,Zed\nok@acme.test,Ok\n");
    let ev = write(
        tmp.path(),
        "e.ndjson",
        "{\"contact\":\"zed.secret@acme.test\",\"at\":\"2026-11-01T10:00:00Z\",\"kind\":\"page_view\"}\n\
         {\"contact\":\"Zed.Secret@acme.test\",\"at\":\"2026-11-02T10:00:00Z\",\"kind\":\"erasure_request\"}\n",
    );
    let (a, b) = (tmp.path().join("a"), tmp.path().join("b"));
    assert_eq!(plan(CONTACTS, EVENTS, &a, &[]).status.code(), Some(0));
    assert_eq!(plan(&contacts, &ev, &b, &[]).status.code(), Some(0));
    erased.push("zed.secret@acme.test".into());
    for dir in [&a, &b] {
        for (name, bytes) in snapshot(dir) {
            let text = String::from_utf8_lossy(&bytes).to_lowercase();
            for email in &erased {
                assert!(!text.contains(email.as_str()), "{email} found in {name}");
                assert!(!text.contains(&email[..email.find('@').expect("@")]), "{email}'s local part in {name}");
            }
        }
    }
    let erasure = json(&a.join("erasure.json"));
    let listed = erasure.as_array().expect("array");
    assert_eq!(listed.len(), erased.len() - 1);
    assert!(listed.iter().all(|e| e["id"].as_str().is_some_and(|id| id.starts_with("c-"))), "{erasure}");
    let tombstones = std::fs::read_to_string(a.join("tombstones.csv")).expect("tombstones");
    assert_eq!(tombstones.lines().count(), listed.len() + 1);
    let row = json(&b.join("plan.json"))[0].clone();
    assert!(row["id"].as_str().is_some_and(|id| id.starts_with("erased-")), "{row}");
    assert_eq!(row["email"], serde_json::Value::Null);
}

#[test]
fn a_killed_run_leaves_the_previous_complete_plan_and_no_half_file() {
    let tmp = tempfile::tempdir().expect("tempdir");
    let out = tmp.path().join("plan");
    assert_eq!(plan(CONTACTS, EVENTS, &out, &[]).status.code(), Some(0));
    let before = snapshot(&out);
    let mut child = Command::new(env!("CARGO_BIN_EXE_rekindle"))
        .args(["plan", "--playbook", SAAS, "--contacts", CONTACTS, "--events", EVENTS, "--quiet"])
        .args(["--now", "2026-12-24T12:00:00Z", "--out", out.to_str().expect("utf-8")])
        .env("REKINDLE_TEST_PAUSE_AFTER_FIRST_FILE", "1")
        .current_dir(repo())
        .stdout(Stdio::null())
        .stderr(Stdio::piped())
        .spawn()
        .expect("spawn rekindle");
    if cfg!(debug_assertions) {
        // The binary stops after the first file's temp copy is synced and before its rename; kill it there.
        let mut lines = BufReader::new(child.stderr.take().expect("stderr")).lines();
        let line = lines.next().expect("a line on stderr").expect("utf-8");
        assert!(line.contains("test pause before renaming"), "{line}");
        child.kill().expect("kill -9");
        let _ = child.wait().expect("reaped"); // the exit status of a killed process says nothing more
        let after = snapshot(&out);
        let temps: Vec<&String> = after.keys().filter(|k| k.contains(".tmp-rekindle-")).collect();
        // The files are written on two threads and renamed together once all are complete: the run was
        // stopped before the first rename, so the new files exist only as temp files.
        assert!(!temps.is_empty(), "the interrupted files exist only as temp files: {after:?}");
        let kept: BTreeMap<String, Vec<u8>> = after.into_iter().filter(|(k, _)| !k.contains(".tmp-")).collect();
        assert_eq!(kept, before, "every visible file is the previous run's, whole");
    } else {
        assert_eq!(child.wait().expect("run").code(), Some(0), "release builds ignore the pause");
    }
}

#[test]
fn duplicate_rows_are_merged_in_file_order_and_counted() {
    let tmp = tempfile::tempdir().expect("tempdir");
    let contacts = write(
        tmp.path(),
        "c.csv",
        "id,email,role,company_size\n\
         p1,Pat@Acme.test,,20\n\
         p2,  pat@acme.TEST ,VP Marketing,\n\
         ,PAT@ACME.TEST,,200\n\
         q1,quinn@acme.test,,\n",
    );
    let events = write(
        tmp.path(),
        "e.ndjson",
        "{\"contact\":\"p2\",\"at\":\"2026-11-20T10:00:00Z\",\"kind\":\"page_view\",\"props\":{\"path\":\"/pricing\"}}\n",
    );
    let out = tmp.path().join("out");
    let run = plan(&contacts, &events, &out, &["--format", "csv"]);
    assert_eq!(run.status.code(), Some(0), "{}", stderr(&run));
    let stdout = String::from_utf8_lossy(&run.stdout).into_owned();
    assert!(stdout.starts_with("key,value\n"), "{stdout}");
    assert!(stdout.contains("\ncontacts,2\n") && stdout.contains("\nduplicate_rows,2\n"), "{stdout}");
    let warnings: Vec<u64> = diagnostics(&out)
        .iter()
        .filter(|d| d["code"] == "duplicate_email" && d["severity"] == "warning")
        .map(|d| d["line"].as_u64().expect("line"))
        .collect();
    assert_eq!(warnings, [3, 4]);
    let rows = json(&out.join("plan.json"));
    let pat = &rows[0];
    assert_eq!(pat["id"], "p1", "the first id stays the contact's id");
    assert_eq!(pat["email"], "pat@acme.test");
    // role from row 2 (decision_maker +20) and company_size 200 from row 3 (mid_market +15) were merged.
    assert_eq!(pat["scores"]["fit"], 35.0, "{pat}");
    assert!(pat["scores"]["intent"].as_f64().expect("intent") > 0.0, "the event named by the alias id p2 was folded");
}

#[test]
fn plan_help_examples_run_against_the_committed_sample() {
    let help = String::from_utf8_lossy(&rekindle(&["plan", "--help"]).stdout).into_owned();
    let examples = help.split("Examples:").nth(1).expect("--help ends with examples");
    let commands: Vec<Vec<String>> = examples
        .replace("\\\n", " ")
        .lines()
        .map(|l| l.split_whitespace().map(str::to_string).collect::<Vec<_>>())
        .filter(|w| w.first().is_some_and(|w| w == "rekindle"))
        .collect();
    assert_eq!(commands.len(), 3, "{examples}");
    let tmp = tempfile::tempdir().expect("tempdir");
    for mut words in commands {
        let at = words.iter().position(|w| w == "--out").expect("--out") + 1;
        words[at] = tmp.path().join("out").to_str().expect("utf-8").to_string();
        let args: Vec<&str> = words.iter().skip(1).map(String::as_str).collect();
        let run = rekindle(&args);
        // 4: done, with the rows the vendor samples reject on purpose (see crates/cli/tests/examples.rs).
        assert!(matches!(run.status.code(), Some(0 | 4)), "{words:?}: {}", stderr(&run));
    }
}

/// `.cargo/config.toml` compiles mimalloc with transparent huge pages off for the process: a `rekindle` run (held
/// open on an events pipe that has not ended) shows `THP_enabled: 0` in its `/proc` status. Skipped where the
/// build did not get that define (a `CFLAGS` of the user's own replaces it) or the kernel has no such line.
#[cfg(target_os = "linux")]
#[test]
fn the_cli_runs_with_transparent_huge_pages_off() {
    if !option_env!("CFLAGS").is_some_and(|f| f.contains("MI_DEFAULT_ALLOW_THP=0")) {
        eprintln!("skipped: this build's CFLAGS do not carry MI_DEFAULT_ALLOW_THP=0");
        return;
    }
    let tmp = tempfile::tempdir().expect("tempdir");
    let out = tmp.path().join("plan");
    let mut child = Command::new(env!("CARGO_BIN_EXE_rekindle"))
        .args(["plan", "--playbook", SAAS, "--contacts", CONTACTS, "--events", "/dev/stdin", "--quiet"])
        .args(["--now", "2026-12-24T12:00:00Z", "--out", out.to_str().expect("utf-8")])
        .current_dir(repo())
        .stdin(Stdio::piped())
        .stdout(Stdio::null())
        .stderr(Stdio::null())
        .spawn()
        .expect("spawn rekindle");
    // The run has started (past the allocator's set-up, which comes before `main`) once it made its output
    // directory; it then waits for events on the pipe.
    for _ in 0..400 {
        if out.exists() {
            break;
        }
        std::thread::sleep(std::time::Duration::from_millis(25));
    }
    assert!(out.exists(), "rekindle never made its output directory");
    let status = std::fs::read_to_string(format!("/proc/{}/status", child.id())).expect("proc status");
    drop(child.stdin.take()); // the events end: the run finishes
    assert_eq!(child.wait().expect("run").code(), Some(0));
    match status.lines().find_map(|l| l.strip_prefix("THP_enabled:")) {
        Some(value) => assert_eq!(value.trim(), "0", "{status}"),
        None => eprintln!("skipped: this kernel's status has no THP_enabled line"),
    }
}

#[test]
fn plan_csv_names_the_lifecycle_columns_as_plan_json_and_the_audiences_do() {
    // plan.csv had `lifecycle_next_at` where the audiences have `next_transition_at` (plan.json: nextTransitionAt),
    // and no `showed_intent` (plan.json: showedIntent), which picks who gets the "still looking?" mail.
    let tmp = tempfile::tempdir().expect("tempdir");
    let out = tmp.path().join("plan");
    let run = plan(CONTACTS, EVENTS, &out, &[]);
    assert_eq!(run.status.code(), Some(0), "{}", stderr(&run));
    let mut reader = csv::Reader::from_path(out.join("plan.csv")).expect("plan.csv");
    let header: Vec<String> = reader.headers().expect("header").iter().map(String::from).collect();
    let audience = std::fs::read_to_string(out.join("audiences/soft_reactivation.csv")).expect("audience");
    let audience_header: Vec<&str> = audience.lines().next().expect("header").split(',').collect();
    for column in ["next_transition_at", "showed_intent"] {
        assert!(header.iter().any(|h| h == column), "plan.csv lacks {column}: {header:?}");
        assert!(audience_header.contains(&column), "the audience lacks {column}: {audience_header:?}");
    }
    assert!(!header.iter().any(|h| h == "lifecycle_next_at"), "{header:?}");
    // Each living row's cells say what plan.json says of the same contact.
    let plan_json = json(&out.join("plan.json"));
    let by_id: BTreeMap<&str, &serde_json::Value> =
        plan_json.as_array().expect("array").iter().map(|r| (r["id"].as_str().expect("id"), r)).collect();
    let col = |name: &str| header.iter().position(|h| h == name).expect("column");
    let (next, intent) = (col("next_transition_at"), col("showed_intent"));
    let mut intents = BTreeMap::new();
    for row in reader.records() {
        let row = row.expect("row");
        let lifecycle = &by_id[&row[0]]["lifecycle"];
        if lifecycle["state"] == "erased" {
            continue;
        }
        let shown = lifecycle["showedIntent"].as_bool().expect("showedIntent");
        assert_eq!(&row[intent], if shown { "true" } else { "false" }, "{}", &row[0]);
        assert_eq!(row[next].is_empty(), lifecycle["nextTransitionAt"].is_null(), "{}", &row[0]);
        *intents.entry(shown).or_insert(0) += 1;
    }
    assert_eq!(intents.len(), 2, "the sample has contacts who showed intent and some who did not: {intents:?}");
}
