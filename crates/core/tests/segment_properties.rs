//! Segment membership from the folded state equals membership recomputed naively from the full event history
//! (an independent oracle), whether the state was folded at once or event by event; and `nextFlipAt` is
//! exactly the first instant the membership changes.
#![allow(clippy::expect_used, clippy::unwrap_used, clippy::indexing_slicing, missing_docs)]

use proptest::prelude::*;
use rekindle_core::{decide, ContactState, Event, Playbook, Timestamp, Value};

const PLAYBOOK: &str = r#"{
  "version": 1,
  "signals": {
    "pricing": { "kind": "page_view", "match": { "path": "/pricing*" } },
    "order": { "kind": "purchase" },
    "click": { "kind": "email_click" }
  },
  "segments": {
    "pricing_twice_7d": { "when": { "signal": "pricing", "within": "7d", "at_least": 2 } },
    "no_order_30d": { "when": { "signal": "order", "within": "30d", "at_most": 0 } },
    "ordered_recently": { "when": { "last": "order", "less_than": "14d" } },
    "lapsed_buyer": { "when": { "all": [ { "ever": "order" }, { "last": "order", "more_than": "60d" } ] } },
    "clicked_3_in_10d_not_recent_buyer": { "when": { "all": [
      { "signal": "click", "within": "10d", "at_least": 3 }, { "not": { "segment": "ordered_recently" } } ] } }
  }
}"#;

const DAY: i64 = 86_400_000;
const BASE: i64 = 1_790_000_000_000;

fn playbook() -> Playbook {
    Playbook::parse(&serde_json::from_str::<Value>(PLAYBOOK).unwrap()).unwrap()
}

fn event_strategy() -> impl Strategy<Value = (i64, u8)> {
    (0..90 * 24i64, 0u8..3).prop_map(|(hour, kind)| (BASE + hour * 3_600_000, kind))
}

fn to_events(list: &[(i64, u8)]) -> Vec<Event> {
    let json: Vec<serde_json::Value> = list
        .iter()
        .enumerate()
        .map(|(i, (at, kind))| match kind {
            0 => serde_json::json!({ "at": at, "id": format!("e{i}"), "kind": "page_view", "props": { "path": "/pricing" } }),
            1 => serde_json::json!({ "at": at, "id": format!("e{i}"), "kind": "purchase" }),
            _ => serde_json::json!({ "at": at, "id": format!("e{i}"), "kind": "email_click" }),
        })
        .collect();
    let v: Value = serde_json::from_value(serde_json::Value::Array(json)).unwrap();
    Event::parse_list(&v, "events").unwrap()
}

/// The oracle: each segment's membership computed from the raw history, straight from DESIGN §7.
fn naive(history: &[(i64, u8)], now: i64) -> Vec<(String, bool)> {
    let within =
        |kind: u8, d: i64| history.iter().filter(|(t, k)| *k == kind && now - t >= 0 && now - t < d * DAY).count();
    let last = |kind: u8| history.iter().filter(|(t, k)| *k == kind && *t <= now).map(|(t, _)| *t).max();
    let first = history.iter().map(|(t, _)| *t).min();
    let long_enough = first.is_some_and(|f| now - f >= 30 * DAY);
    let ordered_recently = last(1).is_some_and(|l| now - l < 14 * DAY);
    vec![
        ("pricing_twice_7d".into(), within(0, 7) >= 2),
        ("no_order_30d".into(), within(1, 30) == 0 && long_enough),
        ("ordered_recently".into(), ordered_recently),
        ("lapsed_buyer".into(), last(1).is_some_and(|l| now - l >= 60 * DAY)),
        ("clicked_3_in_10d_not_recent_buyer".into(), within(2, 10) >= 3 && !ordered_recently),
    ]
}

fn memberships(pb: &Playbook, state: &ContactState, now: i64) -> Vec<(String, bool)> {
    decide(pb, state, Timestamp::from_ms(now).unwrap()).segments.into_iter().map(|m| (m.id, m.member)).collect()
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(150))]

    #[test]
    fn membership_from_state_equals_membership_from_full_history(
        history in prop::collection::vec(event_strategy(), 1..30),
        later_hours in 0..(120 * 24i64),
    ) {
        let pb = playbook();
        let events = to_events(&history);
        let mut at_once = ContactState::new();
        at_once.fold(&pb, &events);
        let mut sorted: Vec<Event> = events.clone();
        sorted.sort_by_key(|e| (e.at, e.id.clone()));
        let mut incremental = ContactState::new();
        for e in &sorted {
            incremental.fold(&pb, std::slice::from_ref(e));
        }
        let latest = history.iter().map(|(t, _)| *t).max().unwrap();
        let now = latest + later_hours * 3_600_000;
        let expected = naive(&history, now);
        prop_assert_eq!(memberships(&pb, &at_once, now), expected.clone());
        prop_assert_eq!(memberships(&pb, &incremental, now), expected);
    }

    #[test]
    fn next_flip_is_the_first_instant_membership_changes(
        history in prop::collection::vec(event_strategy(), 1..20),
        later_hours in 0..(60 * 24i64),
    ) {
        let pb = playbook();
        let mut state = ContactState::new();
        state.fold(&pb, &to_events(&history));
        let now = history.iter().map(|(t, _)| *t).max().unwrap() + later_hours * 3_600_000;
        let d = decide(&pb, &state, Timestamp::from_ms(now).unwrap());
        for (i, m) in d.segments.iter().enumerate() {
            let Some(flip) = m.next_flip_at else {
                // Never flips: still the same a year later.
                prop_assert_eq!(memberships(&pb, &state, now + 365 * DAY)[i].1, m.member);
                continue;
            };
            let flip = flip.ms();
            prop_assert!(flip > now);
            prop_assert_eq!(memberships(&pb, &state, flip - 1)[i].1, m.member, "{} changed before its flip", m.id);
            prop_assert_ne!(memberships(&pb, &state, flip)[i].1, m.member, "{} did not change at its flip", m.id);
        }
    }
}
