//! `rekindle compile`: a playbook validated and written as the compiled bytes the browser and edge builds read.
#![allow(clippy::expect_used, clippy::indexing_slicing, clippy::panic)] // test helpers: a failed setup aborts the test

#[path = "support/plan_cli.rs"]
mod plan_cli;

use plan_cli::{rekindle, repo, stderr, write, SAAS};
use rekindle_core::Playbook;

#[test]
fn compile_writes_bytes_that_read_back_as_the_playbook() {
    let tmp = tempfile::tempdir().expect("tempdir");
    let out_file = tmp.path().join("saas.rkp");
    let out = rekindle(&["compile", "--playbook", SAAS, "--out", out_file.to_str().expect("utf-8")]);
    assert_eq!(out.status.code(), Some(0), "{}", stderr(&out));
    assert!(out.stdout.is_empty(), "data goes to the file, not stdout");
    let bytes = std::fs::read(&out_file).expect("compiled file");
    #[cfg(unix)]
    {
        use std::os::unix::fs::PermissionsExt;
        let mode = std::fs::metadata(&out_file).expect("metadata").permissions().mode() & 0o777;
        assert_eq!(mode, 0o644, "a web server running as another user must be able to read it");
    }
    assert!(stderr(&out).contains(&format!("compiled to {} ({} bytes)", out_file.display(), bytes.len())));
    let json: rekindle_core::Value =
        serde_json::from_str(&std::fs::read_to_string(repo().join(SAAS)).expect("saas.json")).expect("JSON");
    assert_eq!(Playbook::from_compiled(&bytes).expect("reads back"), Playbook::parse(&json).expect("parses"));
}

#[test]
fn the_yaml_and_json_examples_compile_to_the_same_bytes_on_stdout() {
    let json = rekindle(&["compile", "--playbook", SAAS]);
    let yaml = rekindle(&["compile", "--playbook", "examples/playbooks/saas.yaml"]);
    assert_eq!(json.status.code(), Some(0), "{}", stderr(&json));
    assert_eq!(yaml.status.code(), Some(0), "{}", stderr(&yaml));
    assert!(json.stdout.starts_with(b"RKPB"));
    assert!(json.stdout == yaml.stdout, "saas.yaml is saas.json written as YAML: the compiled bytes must agree");
}

#[test]
fn an_invalid_playbook_is_refused_and_nothing_is_written() {
    let tmp = tempfile::tempdir().expect("tempdir");
    let bad = write(tmp.path(), "bad.json", r#"{"version": 1, "signals": {"s": {"kind": "no_such_kind"}}}"#);
    let out_file = tmp.path().join("bad.rkp");
    let out = rekindle(&["compile", "--playbook", &bad, "--out", out_file.to_str().expect("utf-8")]);
    assert_eq!(out.status.code(), Some(3), "{}", stderr(&out));
    assert!(stderr(&out).contains("signals.s.kind"), "{}", stderr(&out));
    assert!(!out_file.exists(), "no file for a playbook that does not compile");
}
