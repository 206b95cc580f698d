//! A decision names whether each segment's condition could be decided (`unknown`), so it is valid only until
//! that changes, even when membership does not flip (`nextFlipAt` names only flips).
#![allow(clippy::expect_used, clippy::unwrap_used, clippy::indexing_slicing, missing_docs)]

use rekindle_core::{decide, ContactState, Event, Playbook, Timestamp, Value};

const NOW: i64 = 1_764_547_200_000; // 2025-12-01T00:00:00Z
const HOUR: i64 = 3_600_000;
const DAY: i64 = 24 * HOUR;

fn playbook(when: serde_json::Value) -> Playbook {
    let json = serde_json::json!({ "version": 1,
        "signals": { "visit": { "kind": "page_view" }, "cart": { "kind": "custom:cart_updated" } },
        "segments": { "s": { "when": when } } });
    Playbook::parse(&serde_json::from_value::<Value>(json).unwrap()).unwrap()
}

fn state(pb: &Playbook, events: serde_json::Value) -> ContactState {
    let mut s = ContactState::new();
    s.fold(pb, &Event::parse_list(&serde_json::from_value::<Value>(events).unwrap(), "events").unwrap());
    s
}

/// `(member, unknown, nextFlipAt)` of the segment, and `validUntil`, at `t`.
fn at(pb: &Playbook, s: &ContactState, t: i64) -> ((bool, bool, Option<i64>), Option<i64>) {
    let d = decide(pb, s, Timestamp::from_ms(t).unwrap());
    let m = &d.segments[0];
    ((m.member, m.unknown, m.next_flip_at.map(Timestamp::ms)), d.valid_until.map(Timestamp::ms))
}

#[test]
fn a_non_member_whose_condition_turns_decidable_is_valid_only_until_then() {
    // First seen 10 d ago; a visit stamped 5 d ahead. "At most 0 visits in 30 d" is unknown on the short history,
    // false (known) from the visit on, and true when the visit leaves the window at now + 35 d.
    let pb = playbook(serde_json::json!({ "signal": "visit", "within": "30d", "at_most": 0 }));
    let s = state(
        &pb,
        serde_json::json!([
            { "id": "a", "at": NOW - 10 * DAY, "kind": "email_sent" },
            { "id": "b", "at": NOW + 5 * DAY, "kind": "page_view", "props": { "path": "/" } }
        ]),
    );
    let (m, valid_until) = at(&pb, &s, NOW);
    assert_eq!(m, (false, true, Some(NOW + 35 * DAY)));
    assert_eq!(valid_until, Some(NOW + 5 * DAY), "was the flip at now + 35 d");
    assert_eq!(at(&pb, &s, NOW + 5 * DAY).0, (false, false, Some(NOW + 35 * DAY)));
}

#[test]
fn a_non_member_whose_condition_turns_undecidable_is_valid_only_until_then() {
    // A cart updated now, its value never recorded: "value > 0 and last update more than 2 h ago" is false for
    // 2 h, then unknown (the missing field decides nothing); it never holds.
    let pb = playbook(serde_json::json!({ "all": [ { "field": "cart_value", "op": "gt", "value": 0 },
        { "last": "cart", "more_than": "2h" } ] }));
    let s = state(&pb, serde_json::json!([{ "id": "a", "at": NOW, "kind": "custom:cart_updated" }]));
    let (m, valid_until) = at(&pb, &s, NOW);
    assert_eq!(m, (false, false, None));
    assert_eq!(valid_until, Some(NOW + 2 * HOUR), "was now + 90 d, when the lifecycle cools: nothing flips");
    assert_eq!(at(&pb, &s, NOW + 2 * HOUR).0, (false, true, None));
}
