//! YAML playbooks through the real binary: `--playbook x.yaml` in check, decide and plan means what the JSON
//! playbook means, and every problem is reported as for JSON, placed at its line and column.
#![allow(clippy::expect_used, clippy::indexing_slicing, clippy::panic)] // test helpers: a failed setup aborts the test

use std::path::Path;

#[path = "support/plan_cli.rs"]
mod plan_cli;

use plan_cli::{rekindle, snapshot, stderr, write, CONTACTS, EVENTS, NOW, SAAS};

const SAAS_YAML: &str = "examples/playbooks/saas.yaml";

fn path(p: &Path) -> &str {
    p.to_str().expect("utf-8 path")
}

#[test]
fn check_reads_the_yaml_example() {
    let out = rekindle(&["check", "--playbook", SAAS_YAML]);
    assert_eq!(out.status.code(), Some(0), "{}", stderr(&out));
    assert_eq!(stderr(&out), "examples/playbooks/saas.yaml: ok (15 signals)\n");
    assert!(out.stdout.is_empty());
}

#[test]
fn decide_with_the_yaml_playbook_prints_the_json_playbooks_decision() {
    let tmp = tempfile::tempdir().expect("tempdir");
    let events = write(
        tmp.path(),
        "events.json",
        r#"[{"at": "2026-11-20T10:00:00Z", "kind": "page_view", "props": {"path": "/pricing"}},
            {"at": "2026-11-21T10:00:00Z", "kind": "webinar_attended", "props": {}},
            {"at": "2026-11-24T10:00:00Z", "kind": "form_submit", "props": {"form": "demo"}}]"#,
    );
    let decide = |playbook: &str| {
        let out = rekindle(&["decide", "--playbook", playbook, "--events", &events, "--now", NOW, "--rfc3339"]);
        assert_eq!(out.status.code(), Some(0), "{}", stderr(&out));
        out.stdout
    };
    let json = decide(SAAS);
    assert!(String::from_utf8_lossy(&json).contains("\"stage\":\"sql\""), "a decision worth comparing");
    assert_eq!(String::from_utf8_lossy(&decide(SAAS_YAML)), String::from_utf8_lossy(&json));
}

#[test]
fn plan_with_the_yaml_playbook_writes_the_json_playbooks_plan() {
    let tmp = tempfile::tempdir().expect("tempdir");
    let salt = write(tmp.path(), "salt.txt", "a-test-salt-of-enough-length\n");
    let run = |playbook: &str, out: &Path| {
        let args = ["plan", "--playbook", playbook, "--contacts", CONTACTS, "--events", EVENTS, "--now", NOW];
        let out = rekindle(&[&args[..], &["--out", path(out), "--quiet", "--salt-file", &salt]].concat());
        assert_eq!(out.status.code(), Some(0), "{}", stderr(&out));
    };
    let (json_dir, yaml_dir) = (tmp.path().join("json"), tmp.path().join("yaml"));
    run(SAAS, &json_dir);
    run(SAAS_YAML, &yaml_dir);
    let json = snapshot(&json_dir);
    let yaml = snapshot(&yaml_dir);
    assert_eq!(json.keys().collect::<Vec<_>>(), yaml.keys().collect::<Vec<_>>());
    assert!(json.len() > 10, "{:?}", json.keys());
    for (name, bytes) in &json {
        // The manifest and the report name the playbook file (and the manifest has the report's checksum).
        let named = |b: &[u8]| String::from_utf8_lossy(b).replace(SAAS_YAML, SAAS);
        match name.as_str() {
            "manifest.json" => {}
            _ => assert!(named(bytes) == named(&yaml[name]), "{name} differs"),
        }
    }
}

/// A playbook with three problems, as JSON and as the same YAML (each problem's place noted).
const BAD_JSON: &str = r#"{"version": 1, "signals": {"p.v": {"kind": "page_view"}},
  "scores": {"intent": {"rules": [{"signal": "nope", "points": 5}, {"signal": "p.v", "points": "ten"}]}},
  "policy": {"stop_during_sales": "yes"}}"#;
const BAD_YAML: &str = "\
version: 1
signals:
  p.v: { kind: page_view }
scores:
  intent:
    rules:
      - signal: nope          # 7:17
        points: 5
      - { signal: p.v, points: ten }   # 9:32
policy:
  stop_during_sales: yes      # 11:22
";

#[test]
fn yaml_problems_are_listed_as_json_ones_are_with_their_line_and_column() {
    let tmp = tempfile::tempdir().expect("tempdir");
    let json = write(tmp.path(), "bad.json", BAD_JSON);
    let yaml = write(tmp.path(), "bad.yaml", BAD_YAML);
    let json_out = rekindle(&["check", "--playbook", &json]);
    let yaml_out = rekindle(&["check", "--playbook", &yaml]);
    assert_eq!(json_out.status.code(), Some(3), "{}", stderr(&json_out));
    assert_eq!(yaml_out.status.code(), Some(3), "{}", stderr(&yaml_out));
    assert!(yaml_out.stdout.is_empty());
    let json_err = stderr(&json_out);
    let yaml_err = stderr(&yaml_out);
    let json_lines: Vec<&str> = json_err.lines().collect();
    let yaml_lines: Vec<&str> = yaml_err.lines().collect();
    assert_eq!(json_lines.len(), 3, "{json_err}");
    assert_eq!(yaml_lines.len(), 3, "{yaml_err}");
    // The same messages, each YAML one placed: "<file>:<line>:<column>: " where JSON has "<file>: " (first line)
    // or nothing ("also:" lines); the boolean one carries a YAML hint.
    let places = ["7:17", "9:32", "11:22"];
    assert_eq!(yaml_lines[0], json_lines[0].replacen(&format!("{json}: "), &format!("{yaml}:{}: ", places[0]), 1));
    assert_eq!(yaml_lines[1], json_lines[1].replacen("also: ", &format!("also: {yaml}:{}: ", places[1]), 1));
    let hinted = format!("{} (YAML 1.2 reads yes, no, on and off as text: write true or false)", json_lines[2]);
    assert_eq!(yaml_lines[2], hinted.replacen("also: ", &format!("also: {yaml}:{}: ", places[2]), 1));
    assert!(yaml_lines[0].contains("scores.intent.rules[0].signal: unknown signal \"nope\""), "{yaml_err}");
}

#[test]
fn every_command_that_takes_a_playbook_places_its_yaml_problems() {
    let tmp = tempfile::tempdir().expect("tempdir");
    let yaml = write(tmp.path(), "bad.yml", BAD_YAML);
    let events = write(tmp.path(), "events.json", "[]");
    let out_dir = tmp.path().join("plan");
    let commands: [Vec<&str>; 3] = [
        vec!["check", "--playbook", &yaml],
        vec!["decide", "--playbook", &yaml, "--events", &events, "--now", NOW],
        vec![
            "plan",
            "--playbook",
            &yaml,
            "--contacts",
            CONTACTS,
            "--events",
            EVENTS,
            "--now",
            NOW,
            "--out",
            path(&out_dir),
        ],
    ];
    for args in commands {
        let out = rekindle(&args);
        assert_eq!(out.status.code(), Some(3), "{args:?}: {}", stderr(&out));
        assert!(stderr(&out).starts_with(&format!("rekindle: {yaml}:7:17: invalid playbook: ")), "{}", stderr(&out));
    }
    assert!(!out_dir.exists(), "plan stops before writing");
}

#[test]
fn a_file_that_is_not_a_usable_yaml_playbook_names_file_line_and_column() {
    let tmp = tempfile::tempdir().expect("tempdir");
    for (name, body, first, also) in [
        ("syntax.yaml", "version: 1\nsignals: [a, b\nscores: {}\n", ":3:7: not valid YAML: ", 0),
        ("tab.yaml", "version: 1\nsignals:\n\tp: {kind: page_view}\n", ":3:2: not valid YAML: ", 0),
        ("dup.yaml", "version: 1\nsignals: {}\nversion: 1\n", ":3:1: the key \"version\" appears twice", 0),
        ("pitfalls.yaml", "version: !!int 1\nsignals: .nan\n7: x\n---\n", ":1:10: the tag !!int is not read", 3),
    ] {
        let file = write(tmp.path(), name, body);
        let out = rekindle(&["check", "--playbook", &file]);
        let err = stderr(&out);
        assert_eq!(out.status.code(), Some(3), "{err}");
        assert!(err.starts_with(&format!("rekindle: {file}{first}")), "{name}: {err}");
        assert_eq!(err.lines().filter(|l| l.starts_with(&format!("  also: {file}:"))).count(), also, "{err}");
    }
}

#[test]
fn the_format_follows_the_extension_unless_given() {
    let tmp = tempfile::tempdir().expect("tempdir");
    let yaml_text = std::fs::read_to_string(plan_cli::repo().join(SAAS_YAML)).expect("saas.yaml");
    let upper = write(tmp.path(), "saas.YML", &yaml_text);
    let out = rekindle(&["check", "--playbook", &upper]);
    assert_eq!(out.status.code(), Some(0), "{}", stderr(&out));

    let txt = write(tmp.path(), "playbook.txt", &yaml_text);
    let out = rekindle(&["check", "--playbook", &txt]);
    assert_eq!(out.status.code(), Some(3), "JSON by default");
    assert!(stderr(&out).contains("not valid JSON") && stderr(&out).contains("it looks like YAML"), "{}", stderr(&out));
    let out = rekindle(&["check", "--playbook", &txt, "--playbook-format", "yaml"]);
    assert_eq!(out.status.code(), Some(0), "{}", stderr(&out));

    let out = rekindle(&["check", "--playbook", SAAS_YAML, "--playbook-format", "json"]);
    assert_eq!(out.status.code(), Some(3));
    assert!(stderr(&out).contains("not valid JSON"), "{}", stderr(&out));

    let out = rekindle(&["check", "--playbook", SAAS, "--playbook-format", "yaml"]);
    assert_eq!(out.status.code(), Some(0), "JSON is YAML too: {}", stderr(&out));

    let out = rekindle(&["check", "--playbook", SAAS, "--playbook-format", "toml"]);
    assert_eq!(out.status.code(), Some(2), "{}", stderr(&out));
}
