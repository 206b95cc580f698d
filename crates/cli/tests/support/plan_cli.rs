//! Shared by the `rekindle plan` test files (tests/plan.rs, tests/plan_inputs.rs), included with `#[path]`: the
//! sample's paths and the helpers that run the real binary and read its outputs. Each file uses its own subset.
#![allow(dead_code)]

use std::collections::BTreeMap;
use std::path::{Path, PathBuf};
use std::process::{Command, Output};

pub const SAAS: &str = "examples/playbooks/saas.json";
pub const CONTACTS: &str = "examples/data/plan/contacts.csv";
pub const EVENTS: &str = "examples/data/plan/events.ndjson";
pub const NOW: &str = "2026-11-26T12:00:00Z";

pub fn repo() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("../..")
}

pub fn rekindle(args: &[&str]) -> Output {
    Command::new(env!("CARGO_BIN_EXE_rekindle")).args(args).current_dir(repo()).output().expect("run rekindle")
}

pub fn plan(contacts: &str, events: &str, out: &Path, extra: &[&str]) -> Output {
    let out = out.to_str().expect("utf-8 path");
    let mut args = vec!["plan", "--playbook", SAAS, "--contacts", contacts, "--events", events, "--now", NOW];
    args.extend(["--out", out, "--quiet"]);
    args.extend(extra);
    rekindle(&args)
}

pub fn stderr(out: &Output) -> String {
    String::from_utf8_lossy(&out.stderr).into_owned()
}

pub fn write(dir: &Path, name: &str, body: &str) -> String {
    let path = dir.join(name);
    std::fs::write(&path, body).expect("write input");
    path.to_str().expect("utf-8 path").to_string()
}

pub fn json(path: &Path) -> serde_json::Value {
    serde_json::from_slice(&std::fs::read(path).expect("read json")).expect("valid json")
}

pub fn diagnostics(dir: &Path) -> Vec<serde_json::Value> {
    let text = std::fs::read_to_string(dir.join("diagnostics.ndjson")).expect("diagnostics");
    text.lines().map(|l| serde_json::from_str(l).expect("ndjson line")).collect()
}

/// Every file under `dir` (relative path → bytes).
pub fn snapshot(dir: &Path) -> BTreeMap<String, Vec<u8>> {
    let mut files = BTreeMap::new();
    let mut stack = vec![dir.to_path_buf()];
    while let Some(d) = stack.pop() {
        for entry in std::fs::read_dir(&d).expect("read dir") {
            let path = entry.expect("dir entry").path();
            if path.is_dir() {
                stack.push(path);
            } else {
                let rel = path.strip_prefix(dir).expect("under dir").to_string_lossy().replace('\\', "/");
                files.insert(rel, std::fs::read(&path).expect("read output"));
            }
        }
    }
    files
}

/// `rekindle plan --format csv`'s `key,value` rows on stdout, checking the header and that no key repeats.
#[allow(dead_code)] // not every test file that includes this module reads the CSV summary
pub fn summary_rows(stdout: &[u8]) -> std::collections::BTreeMap<String, String> {
    let mut reader = csv::Reader::from_reader(stdout);
    assert_eq!(reader.headers().expect("header").iter().collect::<Vec<_>>(), ["key", "value"]);
    let mut rows = std::collections::BTreeMap::new();
    for record in reader.records() {
        let record = record.expect("a key,value row");
        let (key, value) = (record[0].to_string(), record[1].to_string());
        assert!(rows.insert(key.clone(), value).is_none(), "{key} twice");
    }
    rows
}

/// Asserts the CSV summary's `key` holds the JSON summary's `value`: `null` an empty cell, a boolean `true` /
/// `false`, text as it is, a number the same to the CSV's 6 decimal places.
#[allow(dead_code)]
pub fn assert_row(rows: &std::collections::BTreeMap<String, String>, key: &str, value: &serde_json::Value) {
    let cell = rows.get(key).unwrap_or_else(|| panic!("no CSV row {key}"));
    match value {
        serde_json::Value::Null => assert_eq!(cell, "", "{key}"),
        serde_json::Value::Bool(b) => assert_eq!(cell, &b.to_string(), "{key}"),
        serde_json::Value::String(s) => assert_eq!(cell, s, "{key}"),
        serde_json::Value::Number(n) => {
            let (want, got) = (n.as_f64().expect("number"), cell.parse::<f64>().unwrap_or(f64::NAN));
            assert!((want - got).abs() <= 5e-7, "{key}: CSV {cell}, JSON {n}");
        }
        other => panic!("{key}: not a figure: {other}"),
    }
}
