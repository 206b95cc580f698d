//! Property tests of nurture enrolment (DESIGN §7 "Sequences"): enrolment is the first instant the start
//! condition holds, whichever way the history arrives — folded one instant at a time or all at once — and a
//! decision's virtual catch-up up to `now` agrees with what a later fold records.
#![allow(clippy::expect_used, clippy::unwrap_used, clippy::indexing_slicing, missing_docs)]

use proptest::prelude::*;
use rekindle_core::{decide, ContactState, Event, Playbook, Timestamp, Value};

const PLAYBOOK: &str = r#"{
  "version": 1,
  "signals": {
    "ebook": { "kind": "form_submit", "match": { "form": "ebook" } },
    "purchase": { "kind": "purchase" },
    "attended": { "kind": "webinar_attended" },
    "pricing": { "kind": "page_view", "match": { "path": "/pricing*" } }
  },
  "segments": { "pricing_twice": { "when": { "signal": "pricing", "within": "3d", "at_least": 2 } } },
  "sequences": {
    "welcome": {
      "start": { "signal": "ebook", "within": "1d" }, "stop": [ { "ever": "purchase" } ],
      "reenrol_after": "10d", "inactive_stop": "20d",
      "steps": [ { "id": "a", "channel": "email", "content": "w/a" },
                 { "id": "b", "after": "2d", "channel": "email", "content": "w/b" },
                 { "id": "c", "after": "3d", "from": "previous", "when": { "ever": "attended" }, "channel": "email", "content": "w/c" } ] },
    "thanks": {
      "start": { "first": "purchase", "more_than": "7d" }, "reenrol_after": "15d",
      "steps": [ { "id": "a", "channel": "email", "content": "t/a" }, { "id": "b", "after": "4d", "channel": "sms", "content": "t/b" } ] },
    "pricing": {
      "start": { "segment": "pricing_twice" }, "stop": [ { "last": "pricing", "more_than": "5d" } ],
      "steps": [ { "id": "a", "after": "1d", "channel": "email", "content": "p/a" } ] }
  }
}"#;

fn playbook() -> Playbook {
    let v: Value = serde_json::from_str(PLAYBOOK).unwrap();
    Playbook::parse(&v).unwrap()
}

const HOUR: i64 = 3_600_000;
const BASE: i64 = 1_790_000_000_000;

fn event_strategy() -> impl Strategy<Value = serde_json::Value> {
    let kinds = prop_oneof![
        Just(serde_json::json!({ "kind": "form_submit", "props": { "form": "ebook" } })),
        Just(serde_json::json!({ "kind": "purchase" })),
        Just(serde_json::json!({ "kind": "webinar_attended" })),
        Just(serde_json::json!({ "kind": "page_view", "props": { "path": "/pricing" } })),
        Just(serde_json::json!({ "kind": "email_click" })),
        Just(serde_json::json!({ "kind": "unsubscribe", "props": { "channel": "email" } })),
        Just(serde_json::json!({ "kind": "email_sent", "props": { "sequence": "welcome", "step": "a" } })),
        Just(serde_json::json!({ "kind": "email_sent", "props": { "sequence": "welcome", "step": "b" } })),
        Just(serde_json::json!({ "kind": "email_sent", "props": { "sequence": "thanks", "step": "a" } })),
    ];
    // Whole hours over 60 days, so several events often share an instant.
    (0..60 * 24i64, kinds, 0u32..1_000_000).prop_map(|(h, mut kind, id)| {
        kind["at"] = serde_json::json!(BASE + h * HOUR);
        kind["id"] = serde_json::json!(format!("e{id}"));
        kind
    })
}

fn events(list: &[serde_json::Value]) -> Vec<Event> {
    let v: Value = serde_json::from_value(serde_json::Value::Array(list.to_vec())).unwrap();
    Event::parse_list(&v, "events").unwrap()
}

/// `(status, enrolledAt, runs, stoppedAt, completedAt, doneSteps)` of every sequence, as JSON.
fn sequences(pb: &Playbook, state: &ContactState, now: Timestamp) -> serde_json::Value {
    let d = decide(pb, state, now);
    serde_json::json!({ "sequences": serde_json::to_value(&d.sequences).unwrap(),
                        "next": serde_json::to_value(&d.next_step).unwrap() })
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(150))]

    #[test]
    fn enrolment_folded_one_instant_at_a_time_equals_enrolment_from_the_full_history(
        list in prop::collection::vec(event_strategy(), 1..30),
        extra_hours in 0i64..400,
    ) {
        let pb = playbook();
        let evs = events(&list);
        let mut batch = ContactState::new();
        batch.fold(&pb, &evs);
        let mut instants: Vec<Timestamp> = evs.iter().map(|e| e.at).collect();
        instants.sort();
        instants.dedup();
        let mut incremental = ContactState::new();
        for t in instants {
            let at_t: Vec<Event> = evs.iter().filter(|e| e.at == t).cloned().collect();
            incremental.fold(&pb, &at_t);
        }
        prop_assert_eq!(&incremental, &batch);
        let now = Timestamp::from_ms(batch.updated_at().unwrap().ms() + extra_hours * HOUR).unwrap();
        prop_assert_eq!(sequences(&pb, &incremental, now), sequences(&pb, &batch, now));
    }

    #[test]
    fn a_decision_enrols_virtually_exactly_as_a_later_fold_records(
        list in prop::collection::vec(event_strategy(), 1..30),
        gap_hours in 1i64..600,
    ) {
        let pb = playbook();
        let evs = events(&list);
        let mut state = ContactState::new();
        state.fold(&pb, &evs);
        let now = Timestamp::from_ms(state.updated_at().unwrap().ms() + gap_hours * HOUR).unwrap();
        // An event no signal matches and that is no engagement: it changes no condition, so folding it one
        // millisecond after `now` records exactly the transitions up to `now` the decision computed virtually.
        let mut later = state.clone();
        later.fold(&pb, &events(&[serde_json::json!({ "at": now.ms() + 1, "kind": "custom:noop" })]));
        prop_assert_eq!(sequences(&pb, &later, now), sequences(&pb, &state, now));
    }

    #[test]
    fn one_fold_with_cuts_leaves_the_states_of_folding_in_parts_split_at_the_cuts(
        list in prop::collection::vec(event_strategy(), 1..30),
        cut_hours in prop::collection::vec((0i64..60 * 24, -1i64..=1), 0..6),
    ) {
        let pb = playbook();
        let mut evs = events(&list);
        let mut cuts: Vec<Timestamp> =
            cut_hours.iter().map(|(h, ms)| Timestamp::from_ms(BASE + h * HOUR + ms).unwrap()).collect();
        cuts.sort();
        cuts.dedup();
        // In parts: the events up to each cut the batch passes (a cut at an event's instant includes it), then the
        // rest.
        evs.sort_by_key(|e| e.at);
        let last = evs.last().map(|e| e.at).unwrap();
        let mut parts = ContactState::new();
        let mut at_cuts = Vec::new();
        let mut start = 0;
        for (k, cut) in cuts.iter().enumerate().filter(|(_, c)| **c < last) {
            let end = start + evs[start..].partition_point(|e| e.at <= *cut);
            parts.fold(&pb, &evs[start..end]);
            at_cuts.push((k, parts.to_bytes()));
            start = end;
        }
        parts.fold(&pb, &evs[start..]);
        // In one fold, the input in any order.
        evs.reverse();
        let mut one = ContactState::new();
        let mut seen = Vec::new();
        one.fold_with_cuts(&pb, &evs, &cuts, &mut |k, s| seen.push((k, s.to_bytes())));
        prop_assert_eq!(seen, at_cuts);
        prop_assert_eq!(one, parts);
    }
}
