//! A stage is reached at the instant its bar first holds, which the fold records; the scores read at `now` already
//! hold the points of events stamped after it (a clock ahead, a CRM's batch), so a bar that holds at `now` only
//! through them does not make the contact SQL before that event: no handoff whose `sqlAt` and `dueAt` follow
//! `now`, and `validUntil` names the event's instant.
#![allow(clippy::expect_used, clippy::unwrap_used, missing_docs)]

use rekindle_core::{decide, ContactState, Event, Playbook, Stage, Timestamp, Value};

const NOW: i64 = 1_790_000_000_000; // 2026-09-21T14:13:20Z, a Monday (10:13 in New York, business hours)
const HOUR: i64 = 3_600_000;

fn saas() -> Playbook {
    let text = std::fs::read_to_string(concat!(env!("CARGO_MANIFEST_DIR"), "/../../examples/playbooks/saas.json"));
    Playbook::parse(&serde_json::from_str::<Value>(&text.unwrap()).unwrap()).unwrap()
}

/// A webinar attended and a pricing visit now; a demo request stamped 6 h ahead (40 points).
fn state(pb: &Playbook) -> ContactState {
    let events = serde_json::json!([
        { "id": "a", "at": NOW - 1, "kind": "webinar_attended" },
        { "id": "b", "at": NOW, "kind": "page_view", "props": { "path": "/pricing" } },
        { "id": "c", "at": NOW + 6 * HOUR, "kind": "form_submit", "props": { "form": "demo" } }
    ]);
    let mut s = ContactState::new();
    s.fold(pb, &Event::parse_list(&serde_json::from_value::<Value>(events).unwrap(), "events").unwrap());
    s
}

#[test]
fn a_bar_that_holds_now_only_through_points_stamped_after_now_is_reached_at_their_instant() {
    let pb = saas();
    let s = state(&pb);
    for t in [NOW, NOW + 1, NOW + 6 * HOUR - 1] {
        let d = decide(&pb, &s, Timestamp::from_ms(t).unwrap());
        assert_eq!(
            d.stage,
            Stage::Lead,
            "at now + {} ms (was sql, with sqlAt = now and dueAt moving with it)",
            t - NOW
        );
        assert!(d.handoff.is_none());
        assert!(d.valid_until.is_some_and(|v| v.ms() <= NOW + 6 * HOUR));
    }
    let d = decide(&pb, &s, Timestamp::from_ms(NOW + 6 * HOUR).unwrap());
    assert_eq!(d.stage, Stage::Sql);
    assert_eq!(d.handoff.map(|h| (h.sql_at.ms(), h.due_at.ms())), Some((NOW + 6 * HOUR, NOW + 6 * HOUR + HOUR / 4)));
}
