//! What a playbook author is told about the mistakes they make (found by writing playbooks from docs/playbook.md
//! alone): every problem at once, at its path, with what to write instead.
#![allow(clippy::expect_used, clippy::panic, clippy::indexing_slicing)] // test setup: a failure aborts the test

use rekindle_core::{Error, Playbook, Value};
use serde_json::{json, Value as Json};

/// examples/playbooks/saas.json with `change` applied.
fn saas(change: impl FnOnce(&mut Json)) -> Json {
    let path = std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("../../examples/playbooks/saas.json");
    let mut pb: Json = serde_json::from_str(&std::fs::read_to_string(path).expect("saas.json")).expect("JSON");
    change(&mut pb);
    pb
}

/// `(path, message)` of every problem, in order.
fn problems(pb: &Json) -> Vec<(String, String)> {
    let value: Value = serde_json::from_value(pb.clone()).expect("a Value");
    match Playbook::parse(&value) {
        Ok(_) => Vec::new(),
        Err(Error::InvalidPlaybook { problems }) => problems.into_iter().map(|p| (p.path, p.message)).collect(),
        Err(other) => panic!("not a playbook error: {other}"),
    }
}

#[test]
fn an_unknown_rfm_cell_is_listed_with_the_other_problems_at_its_key() {
    let found = problems(&saas(|pb| {
        pb["segments"]["vip"] = json!({ "when": { "rfm": ["champion"] } });
        pb["policy"]["quiet_hours"] = json!("25:00-07:00");
    }));
    let paths: Vec<&str> = found.iter().map(|(p, _)| p.as_str()).collect();
    assert_eq!(paths, ["policy.quiet_hours", "segments.vip.when.rfm"], "{found:?}");
    assert!(found[1].1.contains("unknown RFM cell \"champion\"; the cells are champions"), "{}", found[1].1);
}

#[test]
fn an_sql_minimum_below_the_mql_minimum_on_the_same_score_is_refused() {
    let found = problems(&saas(|pb| {
        pb["stages"]["mql"] = json!({ "min": { "total": 80 } });
        pb["stages"]["sql"] = json!({ "min": { "total": 60 } });
    }));
    assert_eq!(found.len(), 1, "{found:?}");
    assert_eq!(found[0].0, "stages.sql.min.total");
    assert!(found[0].1.contains("sql's total minimum (60) is below mql's (80)"), "{}", found[0].1);
    // Different scores, or SQL above MQL, are fine.
    assert!(problems(&saas(|pb| pb["stages"]["sql"] = json!({ "min": { "total": 90 } }))).is_empty());
}

#[test]
fn a_lifecycle_threshold_conflict_names_where_each_value_came_from() {
    let found = problems(&saas(|pb| pb["lifecycle"] = json!({ "sales_cycle": "120d", "cold_after": "100d" })));
    assert_eq!(found.len(), 1, "{found:?}");
    assert!(
        found[0].1.contains("cold_after (100d) must be longer than cooling_after (120d, one from sales_cycle)"),
        "{}",
        found[0].1
    );
}

#[test]
fn two_conditions_in_one_object_point_to_all_and_any() {
    let found = problems(&saas(|pb| {
        pb["segments"]["both"] = json!({ "when": { "ever": "pricing_visit", "never": "demo_request" } });
    }));
    assert_eq!(found.len(), 1, "{found:?}");
    assert_eq!(found[0].0, "segments.both.when");
    assert!(found[0].1.contains("has \"ever\" and \"never\"") && found[0].1.contains("\"all\""), "{}", found[0].1);
}

#[test]
fn range_and_name_messages_say_what_is_allowed() {
    let found = problems(&saas(|pb| {
        pb["segments"]["late"] = json!({ "when": { "stage_at_least": "SQL" } });
        pb["policy"]["caps"][0]["max"] = json!(0);
    }));
    let messages: Vec<&str> = found.iter().map(|(_, m)| m.as_str()).collect();
    assert!(messages.iter().any(|m| m.contains("expected a whole number from 1 to 32, got 0")), "{messages:?}");
    assert!(
        messages.iter().any(|m| m.contains("unknown stage \"SQL\"; expected one of lead, mql, sql")),
        "{messages:?}"
    );
}

#[test]
fn durations_written_another_way_get_the_one_unit_they_equal() {
    for (written, fix) in [("P2D", "2d"), ("7D", "7d"), ("1.5d", "36h"), ("1h30min", "90min")] {
        let found = problems(&saas(|pb| pb["stages"]["recycle_for"] = json!(written)));
        assert_eq!(found.len(), 1, "{written}: {found:?}");
        assert_eq!(found[0].0, "stages.recycle_for");
        assert!(found[0].1.contains(&format!("write \"{fix}\"")), "{written}: {}", found[0].1);
    }
}

/// `segments()` answers `{ [segmentId]: … }` in JS, where a `__proto__` key sets the prototype instead: the
/// segment vanished from every answer. Refused where it is written, for every kind of id.
#[test]
fn the_id_proto_is_refused_where_it_is_written() {
    let found = problems(&saas(|pb| {
        pb["segments"]["__proto__"] = json!({ "when": { "signal": "pricing_visit", "within": "7d" } });
        pb["signals"]["__proto__"] = json!({ "kind": "page_view" });
    }));
    let at: Vec<&str> = found.iter().map(|(p, _)| p.as_str()).collect();
    assert!(at.contains(&"segments.__proto__") && at.contains(&"signals.__proto__"), "{found:?}");
    let message = &found.iter().find(|(p, _)| p == "segments.__proto__").expect("placed").1;
    assert_eq!(
        message,
        "expected an id other than __proto__ (JavaScript objects cannot hold it as a key), got \"__proto__\""
    );
    assert!(problems(&saas(|pb| pb["segments"]["proto"] = json!({ "when": { "ever": "purchase" } }))).is_empty());
}
