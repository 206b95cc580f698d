//! Segments synced to ad platforms (D35, D22; `rekindle plan --ad-audience`): per named segment and platform an
//! upload file in the retargeting audience's format (hashed, normalised identifiers), members at `--now` minus
//! anyone ads exclude, a removal file per platform across runs, and an unknown segment refused before anything is
//! written.
#![allow(clippy::expect_used, clippy::indexing_slicing, clippy::panic)] // test helpers: a failed setup aborts the test

#[path = "support/audiences.rs"]
mod audiences;
#[path = "support/plan_cli.rs"]
mod plan_cli;

use std::path::Path;

use audiences::{hashed, platform_files, PLATFORMS};
use plan_cli::{json, rekindle, stderr, write, SAAS};

/// Runs `rekindle plan` on saas.json; returns the output directory.
fn plan_at(dir: &Path, contacts: &str, events: &str, now: &str, out: &str, extra: &[&str]) -> std::process::Output {
    let contacts = write(dir, &format!("{out}-contacts.csv"), contacts);
    let events = write(dir, &format!("{out}-events.ndjson"), events);
    let salt = write(dir, "salt.txt", "a-salt-kept-apart-from-the-plans\n");
    let out = dir.join(out);
    let out = out.to_str().expect("utf-8 path");
    let mut args = vec!["plan", "--playbook", SAAS, "--contacts", &contacts, "--events", &events, "--now", now];
    args.extend(["--out", out, "--quiet", "--salt-file", &salt]);
    args.extend(extra);
    rekindle(&args)
}

fn ok(run: &std::process::Output) {
    assert_eq!(run.status.code(), Some(0), "{}", stderr(run));
}

/// Each platform's (audience, removal) first cells for `segment`, after checking both headers.
fn files(out: &Path, segment: &str) -> Vec<(Vec<String>, Vec<String>)> {
    platform_files(out, &format!("segment-{segment}."))
}

const PEOPLE: &str = "\
email,role,created_at
\"  Ceo.One@X.test \",CEO,2026-01-01T00:00:00Z
cto@x.test,CTO,2026-01-01T00:00:00Z
intern@x.test,Intern,2026-01-01T00:00:00Z
unsub@x.test,CMO,2026-01-01T00:00:00Z
ads@x.test,VP Sales,2026-01-01T00:00:00Z
";

const OBJECTIONS: &str = "\
{\"contact\":\"unsub@x.test\",\"at\":\"2026-11-20T10:00:00Z\",\"kind\":\"unsubscribe\",\"props\":{\"channel\":\"email\"}}
{\"contact\":\"ads@x.test\",\"at\":\"2026-11-20T10:00:00Z\",\"kind\":\"consent\",\"props\":{\"purpose\":\"ads\",\"granted\":false}}
";

#[test]
fn d35_segment_members_are_hashed_per_platform_and_listed_in_the_manifest() {
    let tmp = tempfile::tempdir().expect("tempdir");
    // A comma list and a repeat, one segment named twice: each written once.
    let extra = ["--ad-audience", "decision_makers,mid_market", "--ad-audience", "decision_makers"];
    ok(&plan_at(tmp.path(), PEOPLE, "", "2026-11-26T12:00:00Z", "out", &extra));
    let out = tmp.path().join("out");
    let members = ["ceo.one@x.test", "cto@x.test", "unsub@x.test", "ads@x.test"];
    for (audience, remove) in files(&out, "decision_makers") {
        assert_eq!(audience, hashed(&members), "trimmed, lower-cased, hashed; the intern is no decision maker");
        assert!(remove.is_empty(), "{remove:?}");
    }
    for (audience, _) in files(&out, "mid_market") {
        assert!(audience.is_empty(), "nobody has a company size: {audience:?}");
    }
    let manifest = json(&out.join("manifest.json"));
    let listed: Vec<&str> =
        manifest["files"].as_array().expect("files").iter().filter_map(|f| f["path"].as_str()).collect();
    for segment in ["decision_makers", "mid_market"] {
        for (name, _) in PLATFORMS {
            for suffix in ["", "_remove"] {
                let rel = format!("audiences/segment-{segment}.{name}{suffix}.csv");
                assert!(listed.contains(&rel.as_str()), "{rel} not in the manifest: {listed:?}");
            }
        }
    }
    assert!(!listed.iter().any(|p| p.contains("segment-pricing_intent")), "only the named segments: {listed:?}");

    // Deterministic: the same run writes the same bytes.
    ok(&plan_at(tmp.path(), PEOPLE, "", "2026-11-26T12:00:00Z", "again", &extra));
    let again = tmp.path().join("again");
    for (name, _) in PLATFORMS {
        let rel = format!("audiences/segment-decision_makers.{name}.csv");
        assert_eq!(std::fs::read(out.join(&rel)).ok(), std::fs::read(again.join(&rel)).ok(), "{rel}");
    }
}

#[test]
fn d22_unsubscribed_and_ads_consent_withdrawn_members_are_left_out_and_removed() {
    let tmp = tempfile::tempdir().expect("tempdir");
    let extra = ["--ad-audience", "decision_makers"];
    ok(&plan_at(tmp.path(), PEOPLE, OBJECTIONS, "2026-11-26T12:00:00Z", "out", &extra));
    for (audience, remove) in files(&tmp.path().join("out"), "decision_makers") {
        assert_eq!(audience, hashed(&["ceo.one@x.test", "cto@x.test"]));
        assert_eq!(remove, hashed(&["unsub@x.test", "ads@x.test"]), "excluded members go to the removal file");
    }
}

/// Pricing visits for `people`, two on `day` (2026-11-DD), which put them in pricing_intent for 7 days.
fn pricing_visits(people: &[&str], day: u32) -> String {
    let mut lines = String::new();
    for p in people {
        for hour in [10, 11] {
            lines.push_str(&format!(
                "{{\"contact\":\"{p}\",\"at\":\"2026-11-{day:02}T{hour}:00:00Z\",\"kind\":\"page_view\",\"props\":{{\"path\":\"/pricing\"}}}}\n"
            ));
        }
    }
    lines
}

const VISITORS: &str = "\
email,created_at
stays@x.test,2026-01-01T00:00:00Z
leaves@x.test,2026-01-01T00:00:00Z
erased@x.test,2026-01-01T00:00:00Z
";

#[test]
fn d35_a_second_run_removes_who_left_the_segment_and_who_was_erased() {
    let tmp = tempfile::tempdir().expect("tempdir");
    let extra = ["--ad-audience", "pricing_intent"];
    let first = pricing_visits(&["stays@x.test", "leaves@x.test", "erased@x.test"], 2);
    ok(&plan_at(tmp.path(), VISITORS, &first, "2026-11-03T00:00:00Z", "w1", &extra));
    for (audience, remove) in files(&tmp.path().join("w1"), "pricing_intent") {
        assert_eq!(audience, hashed(&["stays@x.test", "leaves@x.test", "erased@x.test"]));
        assert!(remove.is_empty(), "{remove:?}");
    }

    // Ten days on only one visited again; one asked to be erased.
    let erasure = "{\"contact\":\"erased@x.test\",\"at\":\"2026-11-12T09:00:00Z\",\"kind\":\"erasure_request\"}\n";
    let second = format!("{}{erasure}", pricing_visits(&["stays@x.test"], 12));
    let previous = tmp.path().join("w1");
    let with_previous = ["--ad-audience", "pricing_intent", "--previous", previous.to_str().expect("utf-8 path")];
    ok(&plan_at(tmp.path(), VISITORS, &second, "2026-11-13T00:00:00Z", "w2", &with_previous));
    for (audience, remove) in files(&tmp.path().join("w2"), "pricing_intent") {
        assert_eq!(audience, hashed(&["stays@x.test"]));
        assert_eq!(remove, hashed(&["leaves@x.test", "erased@x.test"]), "left since the previous file; erased");
    }

    // The same run without --previous (every event): only the erasure says who must go, nothing who left.
    let all = format!("{first}{second}");
    ok(&plan_at(tmp.path(), VISITORS, &all, "2026-11-13T00:00:00Z", "w2-alone", &extra));
    for (audience, remove) in files(&tmp.path().join("w2-alone"), "pricing_intent") {
        assert_eq!(audience, hashed(&["stays@x.test"]));
        assert_eq!(remove, hashed(&["erased@x.test"]), "no previous file: who left is unknown");
    }

    // The third run's own members stay off its removal file, and nobody is removed twice for leaving.
    let previous = tmp.path().join("w2");
    let third = ["--ad-audience", "pricing_intent", "--previous", previous.to_str().expect("utf-8 path")];
    ok(&plan_at(tmp.path(), VISITORS, &pricing_visits(&["stays@x.test"], 14), "2026-11-15T00:00:00Z", "w3", &third));
    for (audience, remove) in files(&tmp.path().join("w3"), "pricing_intent") {
        assert_eq!(audience, hashed(&["stays@x.test"]));
        assert!(remove.is_empty(), "{remove:?}");
    }
}

#[test]
fn d35_files_of_a_segment_no_longer_named_are_removed_from_a_reused_directory() {
    let tmp = tempfile::tempdir().expect("tempdir");
    ok(&plan_at(tmp.path(), PEOPLE, "", "2026-11-26T12:00:00Z", "out", &["--ad-audience", "decision_makers"]));
    let file = tmp.path().join("out/audiences/segment-decision_makers.meta_custom_audience.csv");
    assert!(file.is_file(), "written");
    ok(&plan_at(tmp.path(), PEOPLE, "", "2026-11-26T12:00:00Z", "out", &[]));
    assert!(!file.exists(), "an audience no longer asked for must not be uploaded as this plan's");
}

#[test]
fn an_unknown_segment_is_refused_naming_it_and_the_playbooks_segments_before_anything_is_written() {
    let tmp = tempfile::tempdir().expect("tempdir");
    let run =
        plan_at(tmp.path(), PEOPLE, "", "2026-11-26T12:00:00Z", "out", &["--ad-audience", "decision_makers,vips"]);
    assert_eq!(run.status.code(), Some(2), "{}", stderr(&run));
    let message = stderr(&run);
    assert!(message.contains("\"vips\""), "{message}");
    for id in ["decision_makers", "mid_market", "pricing_intent", "content_readers", "paid_social", "reactivation_pool"]
    {
        assert!(message.contains(id), "lists {id}: {message}");
    }
    assert!(!tmp.path().join("out").exists(), "nothing written");
}

#[test]
fn a_playbook_from_a_pipe_serves_the_segment_audiences_too() {
    // The plan reads the playbook once and keeps it: a pipe (the playbook generated by another tool) works with
    // --ad-audience as without it (it was refused as "reads the playbook twice").
    use std::io::Write as _;
    use std::process::{Command, Stdio};
    let tmp = tempfile::tempdir().expect("tempdir");
    let contacts = write(tmp.path(), "contacts.csv", PEOPLE);
    let out = tmp.path().join("out");
    let mut child = Command::new(env!("CARGO_BIN_EXE_rekindle"))
        .args(["plan", "--playbook", "/dev/stdin", "--contacts", &contacts, "--now", "2026-11-26T12:00:00Z"])
        .args(["--out", out.to_str().expect("utf-8 path"), "--quiet", "--ad-audience", "decision_makers"])
        .current_dir(plan_cli::repo())
        .stdin(Stdio::piped())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .expect("run rekindle");
    let playbook = std::fs::read(plan_cli::repo().join(SAAS)).expect("saas.json");
    child.stdin.take().expect("stdin").write_all(&playbook).expect("pipe the playbook");
    let run = child.wait_with_output().expect("rekindle ends");
    ok(&run);
    for (audience, _) in files(&out, "decision_makers") {
        assert_eq!(audience, hashed(&["ceo.one@x.test", "cto@x.test", "unsub@x.test", "ads@x.test"]));
    }
}
