//! A playbook is JSON, and tools that rewrite it (`jq -S`, Python's `sort_keys`, serde_json without
//! `preserve_order`) sort keys. The order of the id-keyed sections (signals, segments, sequences, …) is the
//! playbook's order by design (docs/playbook.md: priority, reasons); the keys of one condition or rule are not
//! ordered: `{"at_least": 2, "signal": "pricing_visit", "within": "7d"}` is the same condition.
#![allow(clippy::expect_used, clippy::panic)] // test setup: a failure aborts the test

use rekindle_core::{Playbook, Value};
use serde_json::{Map, Value as Json};

/// Puts an object's entries in some order.
type Order = dyn Fn(&mut Vec<(String, Json)>);

/// Keys of conditions and rules that take parameters beside them.
const HEADS: [&str; 6] = ["signal", "field", "score", "last", "first", "anniversary"];

/// `v` with the keys of every condition or rule (an object with one of [`HEADS`] and more keys) in the order
/// `order` gives them.
fn reordered(v: &Json, order: &Order) -> Json {
    match v {
        Json::Object(map) => {
            let mut entries: Vec<(String, Json)> = map.iter().map(|(k, v)| (k.clone(), reordered(v, order))).collect();
            if map.len() > 1 && map.keys().any(|k| HEADS.contains(&k.as_str())) {
                order(&mut entries);
            }
            Json::Object(entries.into_iter().collect::<Map<String, Json>>())
        }
        Json::Array(items) => Json::Array(items.iter().map(|v| reordered(v, order)).collect()),
        other => other.clone(),
    }
}

fn parse(text: &str) -> Playbook {
    Playbook::parse(&serde_json::from_str::<Value>(text).expect("JSON")).expect("a valid playbook")
}

#[test]
fn every_example_playbook_means_the_same_with_its_conditions_keys_sorted_or_reversed() {
    let dir = std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("../../examples/playbooks");
    let mut seen = 0;
    for entry in std::fs::read_dir(&dir).expect("examples/playbooks") {
        let path = entry.expect("entry").path();
        if path.extension().is_none_or(|e| e != "json") {
            continue;
        }
        let text = std::fs::read_to_string(&path).expect("read");
        let original = parse(&text);
        let json: Json = serde_json::from_str(&text).expect("JSON");
        let sorted: &Order = &|e| e.sort_by(|a, b| a.0.cmp(&b.0));
        let reversed: &Order = &|e| e.reverse();
        for (how, order) in [("sorted", sorted), ("reversed", reversed)] {
            let rewritten = serde_json::to_string(&reordered(&json, order)).expect("JSON");
            assert_ne!(rewritten, serde_json::to_string(&json).expect("JSON"), "{how} changed nothing");
            assert!(parse(&rewritten) == original, "{} with its keys {how} means something else", path.display());
        }
        seen += 1;
    }
    assert!(seen >= 3, "only {seen} example playbooks found");
}
