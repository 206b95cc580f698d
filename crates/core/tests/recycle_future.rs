//! A disqualification (D21: `sales_status` `disqualified`) recycles the contact from its own instant. One stamped
//! after the decision's `now` (a CRM clock ahead of the caller's, a late batch carrying tomorrow's timestamps) has
//! not happened yet at `now`: the stage reached stays, `recycled` is false, and `validUntil` names the instant the
//! disqualification takes effect. Reference: the same history without the future event, and a decision at or after
//! its instant.
#![allow(clippy::expect_used, clippy::unwrap_used, clippy::indexing_slicing, missing_docs)]

use rekindle_core::{decide, ContactState, Event, Playbook, Stage, Timestamp, Value};

/// 2025-12-01T10:00Z.
const NOW: i64 = 1_764_583_200_000;
const H: i64 = 3_600_000;

fn playbook() -> Playbook {
    let text = r#"{ "version": 1,
      "signals": { "demo_request": { "kind": "form_submit", "match": { "form": "demo" } } },
      "scores": { "intent": { "rules": [ { "signal": "demo_request", "points": 40 } ] } },
      "stages": { "sql": { "any": [ { "signal": "demo_request", "within": "7d" } ] } } }"#;
    Playbook::parse(&serde_json::from_str::<Value>(text).unwrap()).unwrap()
}

fn state(pb: &Playbook, list: &[(i64, &str, serde_json::Value)]) -> ContactState {
    let list: Vec<serde_json::Value> =
        list.iter().map(|(at, kind, props)| serde_json::json!({ "at": at, "kind": kind, "props": props })).collect();
    let events =
        Event::parse_list(&serde_json::from_value::<Value>(serde_json::Value::Array(list)).unwrap(), "events").unwrap();
    let mut state = ContactState::new();
    state.fold(pb, &events);
    state
}

fn at(ms: i64) -> Timestamp {
    Timestamp::from_ms(ms).unwrap()
}

#[test]
fn a_disqualification_stamped_after_now_recycles_only_from_its_instant() {
    let pb = playbook();
    let demo = (NOW - 3 * H, "form_submit", serde_json::json!({ "form": "demo" }));
    let disqualified = (NOW + 2 * H, "sales_status", serde_json::json!({ "status": "disqualified" }));
    let with = state(&pb, &[demo.clone(), disqualified]);
    let without = state(&pb, &[demo]);

    let now = decide(&pb, &with, at(NOW));
    let reference = decide(&pb, &without, at(NOW));
    assert_eq!((now.stage, now.recycled), (Stage::Sql, false), "not yet disqualified at now");
    assert_eq!((reference.stage, reference.recycled), (now.stage, now.recycled));
    assert_eq!(now.valid_until, Some(at(NOW + 2 * H)), "valid until the disqualification takes effect");

    let before = decide(&pb, &with, at(NOW + 2 * H - 1));
    assert_eq!((before.stage, before.recycled), (Stage::Sql, false), "1 ms before it");
    let then = decide(&pb, &with, at(NOW + 2 * H));
    assert_eq!((then.stage, then.recycled), (Stage::Lead, true), "recycled at its instant");
}

#[test]
fn a_requalification_stamped_after_now_does_not_lift_a_recycle_before_it() {
    let pb = playbook();
    let history = [
        (NOW - 30 * H, "form_submit", serde_json::json!({ "form": "demo" })),
        (NOW - 20 * H, "sales_status", serde_json::json!({ "status": "disqualified" })),
        // Reached again only after recycle_for (60 d): a purchase stamped ahead records `customer` then.
        (NOW + 61 * 24 * H, "purchase", serde_json::json!({ "value": 10 })),
    ];
    let s = state(&pb, &history);
    let now = decide(&pb, &s, at(NOW));
    assert_eq!((now.stage, now.recycled), (Stage::Lead, true), "the future purchase has not happened at now");
    let later = decide(&pb, &s, at(NOW + 61 * 24 * H));
    assert_eq!((later.stage, later.recycled), (Stage::Customer, false), "re-qualified at the purchase");
}
