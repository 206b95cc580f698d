//! The mistakes of crates/core/tests/playbook_mistakes.rs written in YAML (examples/playbooks/saas.yaml with three
//! edits): `check`, `compile` and `plan` exit 3, and each problem is at the JSON path, placed at its line and column.
#![allow(clippy::expect_used, clippy::indexing_slicing, clippy::panic)] // test helpers: a failed setup aborts the test

#[path = "support/plan_cli.rs"]
mod plan_cli;

use plan_cli::{rekindle, stderr, write, CONTACTS, NOW};

/// saas.yaml with a status no event carries, a hot bar above intent's max and a misspelt lifecycle key.
fn mistaken() -> String {
    let yaml = std::fs::read_to_string(
        std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("../../examples/playbooks/saas.yaml"),
    )
    .expect("saas.yaml");
    let edits = [
        ("match: { status: lost }", "match: { status: closed_lost }"),
        ("readiness: { on: intent, warm: 15, hot: 40 }", "readiness: { on: intent, warm: 15, hot: 140 }"),
        ("  sales_cycle: 90d", "  sales_cyle: 90d"),
    ];
    edits.iter().fold(yaml, |y, (from, to)| {
        assert!(y.contains(from), "saas.yaml no longer has {from:?}");
        y.replacen(from, to, 1)
    })
}

#[test]
fn yaml_mistakes_exit_3_with_their_paths_lines_and_columns() {
    let tmp = tempfile::tempdir().expect("tempdir");
    let yaml = write(tmp.path(), "mistaken.yaml", &mistaken());
    let events = write(tmp.path(), "events.json", "[]");
    let out = tmp.path().join("out.rkp");
    let out = out.to_str().expect("utf-8 path");
    let plan_out = tmp.path().join("plan");
    let plan_out = plan_out.to_str().expect("utf-8 path");
    for args in [
        vec!["check", "--playbook", yaml.as_str()],
        vec!["compile", "--playbook", yaml.as_str(), "--out", out],
        vec!["plan", "--playbook", &yaml, "--contacts", CONTACTS, "--events", &events, "--now", NOW, "--out", plan_out],
    ] {
        let run = rekindle(&args);
        let err = stderr(&run);
        assert_eq!(run.status.code(), Some(3), "{args:?}: {err}");
        let lines: Vec<&str> = err.lines().collect();
        assert_eq!(lines.len(), 3, "{args:?}: {err}");
        assert!(
            lines[0].contains("mistaken.yaml:31:62: invalid playbook: signals.deal_lost.match.status: a sales_status"),
            "{err}"
        );
        assert!(
            lines[1].contains("mistaken.yaml:83:43: stages.readiness.hot: hot (140) is above the highest intent"),
            "{err}"
        );
        assert!(
            lines[2].contains("lifecycle.sales_cyle: unknown field \"sales_cyle\" (did you mean \"sales_cycle\"?)"),
            "{err}"
        );
    }
    assert!(!std::path::Path::new(out).exists(), "no compiled playbook is written");
}
