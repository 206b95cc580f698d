//! Property tests of the re-engagement lifecycle and the sequences that run on it (D1–D2, D6–D9, D11, D13–D14;
//! DESIGN §7), on short durations so that histories cross every phase: the input order of a batch and a split
//! into time-ordered batches never change the phase, and `nextTransitionAt` is exact to the millisecond.
//!
//! A batch holding events older than ones already folded is not covered: a fold keeps no history, so a late
//! click cannot re-run an archive or a ghost-open verdict already recorded (docs/playbook.md § lifecycle).
#![allow(clippy::expect_used, clippy::unwrap_used, clippy::indexing_slicing, missing_docs)]

use proptest::prelude::*;
use rekindle_core::{ContactState, Event, Playbook, Timestamp, Value};

mod support;
use support::shuffle;

const DAY: i64 = 86_400_000;
const BASE: i64 = 1_790_000_000_000;

fn playbook(manual: bool) -> Playbook {
    let entry = if manual { "manual" } else { "on_cold" };
    let json = format!(
        r#"{{ "version": 1,
  "signals": {{ "demo": {{ "kind": "form_submit", "match": {{ "form": "demo" }} }} }},
  "lifecycle": {{ "cooling_after": "10d", "cold_after": "20d", "soft_reactivation_for": "5d", "breakup_deadline": "2d",
    "reactivation_entry": "{entry}", "ghost": {{ "min_opens": 2, "no_click_for": "6d" }},
    "erase_on": ["spam_trap"], "intent_signals": ["demo"] }} }}"#
    );
    Playbook::parse(&serde_json::from_str::<Value>(&json).unwrap()).unwrap()
}

fn event_strategy() -> impl Strategy<Value = serde_json::Value> {
    let kinds = prop_oneof![
        4 => Just(serde_json::json!({ "kind": "email_open" })),
        2 => Just(serde_json::json!({ "kind": "email_open", "machine": true })),
        2 => Just(serde_json::json!({ "kind": "email_click" })),
        1 => Just(serde_json::json!({ "kind": "email_reply" })),
        2 => Just(serde_json::json!({ "kind": "page_view", "props": { "path": "/x" } })),
        1 => Just(serde_json::json!({ "kind": "form_submit", "props": { "form": "demo" } })),
        1 => Just(serde_json::json!({ "kind": "purchase" })),
        3 => Just(serde_json::json!({ "kind": "email_sent" })),
        2 => Just(serde_json::json!({ "kind": "reactivation_started" })),
        1 => Just(serde_json::json!({ "kind": "email_bounce", "props": { "type": "spam_trap" } })),
        1 => Just(serde_json::json!({ "kind": "email_bounce", "props": { "type": "hard" } })),
    ];
    (0..80i64, 0..3i64, kinds, 0u32..1000).prop_map(|(d, h, mut e, id)| {
        e["at"] = serde_json::json!(BASE + d * DAY + h * 3_600_000);
        e["id"] = serde_json::json!(format!("e{id}"));
        e
    })
}

fn events(list: &[serde_json::Value]) -> Vec<Event> {
    let v: Value = serde_json::from_value(serde_json::Value::Array(list.to_vec())).unwrap();
    Event::parse_list(&v, "events").unwrap()
}

/// The lifecycle at `now` after folding `batches` in turn, the state crossing its bytes between them.
fn status(pb: &Playbook, batches: &[Vec<Event>], now: i64) -> serde_json::Value {
    let mut s = ContactState::new();
    for b in batches {
        s.fold(pb, b);
        s = ContactState::from_bytes(&s.to_bytes()).unwrap();
    }
    serde_json::to_value(s.lifecycle_at(pb, Timestamp::from_ms(now).unwrap())).unwrap()
}

/// An erasure already folded but stamped after the instant asked about (a request stamped ahead of the caller's
/// clock) is when the decision changes: `validUntil` named cooling, 90 days on, so a caller kept showing an erased
/// contact's decision. `nextTransitionAt` stays the phase's own end (the retargeting window reads it so).
#[test]
fn a_decision_before_an_erasure_the_state_holds_is_valid_until_the_erasure() {
    let pb = Playbook::parse(&serde_json::from_str::<Value>(r#"{ "version": 1, "signals": {} }"#).unwrap()).unwrap();
    let list = [
        serde_json::json!({ "at": BASE + DAY, "kind": "email_click" }),
        serde_json::json!({ "at": BASE + 10 * DAY, "kind": "erasure_request" }),
    ];
    let mut s = ContactState::new();
    s.fold(&pb, &events(&list));
    let at = |t: i64| serde_json::to_value(rekindle_core::decide(&pb, &s, Timestamp::from_ms(t).unwrap())).unwrap();
    let before = at(BASE + 5 * DAY);
    assert_eq!(before["lifecycle"]["state"], "active");
    assert_eq!(before["lifecycle"]["nextTransitionAt"], BASE + 91 * DAY, "cooling, 90 days after the click");
    assert_eq!(before["validUntil"], BASE + 10 * DAY);
    assert_eq!(at(BASE + 10 * DAY)["lifecycle"]["state"], "erased");
}

/// An erased contact keeps its erasure instant and its suppression entries (D4, D9). Events older than the erasure
/// that arrive after it (a bounce webhook delivered late, a second erasure request stamped earlier) change those
/// as a fold in time order would have: the erasure happened at the earlier request, and the bounce stays on the
/// suppression list.
#[test]
fn events_older_than_an_erasure_folded_after_it_leave_what_a_fold_in_time_order_leaves() {
    let pb = Playbook::parse(&serde_json::from_str::<Value>(r#"{ "version": 1, "signals": {} }"#).unwrap()).unwrap();
    let click = serde_json::json!({ "at": BASE, "kind": "email_click" });
    let bounce = serde_json::json!({ "at": BASE + DAY, "kind": "email_bounce", "props": { "type": "hard" } });
    let first = serde_json::json!({ "at": BASE + 3 * DAY, "kind": "erasure_request" });
    let again = serde_json::json!({ "at": BASE + 5 * DAY, "kind": "erasure_request", "id": "again" });
    let now = BASE + 6 * DAY;
    let view = |batches: &[Vec<Event>]| {
        let mut s = ContactState::new();
        for b in batches {
            s.fold(&pb, b);
        }
        let d = serde_json::to_value(rekindle_core::decide(&pb, &s, Timestamp::from_ms(now).unwrap())).unwrap();
        let v = serde_json::to_value(s.view(&pb)).unwrap();
        (d["lifecycle"].clone(), d["send"].clone(), v["dnc"].clone(), v["erased"].clone(), v["firstSeen"].clone())
    };
    let in_order = view(&[events(&[click.clone(), bounce.clone(), first.clone(), again.clone()])]);
    assert_eq!(in_order.0["since"], BASE + 3 * DAY);
    let late = view(&[events(&[click, again]), events(&[bounce, first])]);
    assert_eq!(late, in_order);
}

/// `evs` in time order, cut into batches at `cuts` (indices, any order) moved back to the nearest boundary between
/// instants: a later batch's events at an instant already folded go after it (docs/playbook.md § Events).
fn time_ordered_batches(mut evs: Vec<Event>, cuts: Vec<usize>) -> Vec<Vec<Event>> {
    evs.sort_by_key(|e| e.at);
    let mut cuts: Vec<usize> = cuts.into_iter().map(|c| c.min(evs.len())).collect();
    cuts.sort_unstable();
    let mut batches = Vec::new();
    let mut prev = 0;
    for mut c in cuts.into_iter().chain([evs.len()]) {
        while c > prev && c < evs.len() && evs[c].at == evs[c - 1].at {
            c -= 1;
        }
        batches.push(evs[prev..c].to_vec());
        prev = c;
    }
    batches
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(1000))]

    #[test]
    /// Any input order of one batch, and any split of the events into batches folded in time order, leave
    /// the same lifecycle at a fixed `now`.
    fn shuffled_and_time_ordered_splits(list in prop::collection::vec(event_strategy(), 1..16), manual in any::<bool>(), cuts in prop::collection::vec(0usize..16, 0..4), later in 0..40i64, seed in any::<u64>()) {
        let pb = playbook(manual);
        let evs = events(&list);
        let now = BASE + 80 * DAY + later * DAY;
        let one = status(&pb, std::slice::from_ref(&evs), now);
        let mut shuffled = evs.clone();
        shuffle(&mut shuffled, seed);
        prop_assert_eq!(status(&pb, &[shuffled], now), one.clone());
        let batches = time_ordered_batches(evs, cuts);
        prop_assert_eq!(status(&pb, &batches, now), one);
    }

    #[test]
    /// `nextTransitionAt` is exact: from the latest event on, the phase holds from `now` to one millisecond
    /// before it and has changed at it, the new phase beginning there; without one the phase holds for good
    /// (checked 400 days on).
    fn next_transition_is_exact(list in prop::collection::vec(event_strategy(), 0..16), manual in any::<bool>(), later in 0..40i64, probe in 0u64..u64::MAX) {
        let pb = playbook(manual);
        let evs = events(&list);
        let mut s = ContactState::new();
        s.fold(&pb, &evs);
        let latest = evs.iter().map(|e| e.at.ms()).max().unwrap_or(BASE);
        let now = latest + later * DAY;
        let at = |t: i64| s.lifecycle_at(&pb, Timestamp::from_ms(t).unwrap());
        let here = at(now);
        if let Some(next) = here.next_transition_at {
            let n = next.ms();
            prop_assert!(n > now);
            prop_assert_eq!(at(n - 1).state, here.state);
            prop_assert_eq!(at(n - 1).since, here.since);
            let mid = now + (probe % ((n - now) as u64)) as i64;
            prop_assert_eq!(at(mid).state, here.state);
            prop_assert_ne!(at(n).state, here.state);
            prop_assert_eq!(at(n).since, Some(next));
        } else {
            prop_assert_eq!(at(now + 400 * DAY).state, here.state);
        }
    }
}

/// The re-engagement example's shape (docs/playbook.md § sequences) on short durations, with a welcome
/// sequence beside it.
fn reengagement(manual: bool) -> Playbook {
    let entry = if manual { "manual" } else { "on_cold" };
    let json = format!(
        r#"{{ "version": 1,
  "signals": {{ "demo": {{ "kind": "form_submit", "match": {{ "form": "demo" }} }}, "buy": {{ "kind": "purchase" }} }},
  "lifecycle": {{ "cooling_after": "10d", "cold_after": "20d", "soft_reactivation_for": "5d", "breakup_deadline": "2d",
    "reactivation_entry": "{entry}", "ghost": {{ "min_opens": 2, "no_click_for": "6d" }},
    "erase_on": ["spam_trap"], "intent_signals": ["demo"] }},
  "policy": {{ "caps": [{{ "channel": "email", "max": 2, "per": "3d" }}] }},
  "sequences": {{
    "soft": {{ "start": {{ "lifecycle": "soft_reactivation" }}, "stop": [{{ "not": {{ "lifecycle": "soft_reactivation" }} }}],
      "reenrol_after": "9d",
      "steps": [{{ "id": "value", "channel": "email", "content": "v" }},
                {{ "id": "still", "after": "1d", "channel": "email", "content": "s", "when": {{ "ever": "demo" }} }},
                {{ "id": "case", "after": "3d", "channel": "email", "content": "c" }}] }},
    "bye": {{ "start": {{ "lifecycle": "break_up" }}, "stop": [{{ "not": {{ "lifecycle": "break_up" }} }}],
      "steps": [{{ "id": "last", "channel": "email", "content": "l" }},
                {{ "id": "remind", "after": "1d", "channel": "email", "content": "r" }}] }},
    "welcome": {{ "start": {{ "signal": "demo", "within": "1d" }}, "stop": [{{ "ever": "buy" }}], "reenrol_after": "10d",
      "inactive_stop": "8d",
      "steps": [{{ "id": "a", "channel": "email", "content": "a" }},
                {{ "id": "b", "after": "2d", "from": "previous", "channel": "email", "content": "b" }}] }} }} }}"#
    );
    Playbook::parse(&serde_json::from_str::<Value>(&json).unwrap()).unwrap()
}

fn sequence_event_strategy() -> impl Strategy<Value = serde_json::Value> {
    let kinds = prop_oneof![
        3 => Just(serde_json::json!({ "kind": "email_open" })),
        1 => Just(serde_json::json!({ "kind": "email_open", "machine": true })),
        2 => Just(serde_json::json!({ "kind": "email_click" })),
        1 => Just(serde_json::json!({ "kind": "page_view", "props": { "path": "/x" } })),
        2 => Just(serde_json::json!({ "kind": "form_submit", "props": { "form": "demo" } })),
        1 => Just(serde_json::json!({ "kind": "purchase" })),
        2 => Just(serde_json::json!({ "kind": "reactivation_started" })),
        1 => Just(serde_json::json!({ "kind": "email_sent", "props": { "sequence": "soft", "step": "value" } })),
        1 => Just(serde_json::json!({ "kind": "email_sent", "props": { "sequence": "soft", "step": "still" } })),
        1 => Just(serde_json::json!({ "kind": "email_sent", "props": { "sequence": "bye", "step": "last" } })),
        1 => Just(serde_json::json!({ "kind": "email_sent", "props": { "sequence": "welcome", "step": "a" } })),
        1 => Just(serde_json::json!({ "kind": "email_sent", "props": { "sequence": "welcome", "step": "b" } })),
        1 => Just(serde_json::json!({ "kind": "unsubscribe", "props": { "channel": "email" } })),
        1 => Just(serde_json::json!({ "kind": "subscribe", "props": { "channel": "email" } })),
    ];
    (0..60i64, 0..4i64, kinds, 0u32..1000).prop_map(|(d, q, mut e, id)| {
        e["at"] = serde_json::json!(BASE + d * DAY + q * 6 * 3_600_000);
        e["id"] = serde_json::json!(format!("e{id}"));
        e
    })
}

/// What a decision says of the lifecycle and the sequences at `now` after folding `batches` in turn.
fn decision(pb: &Playbook, batches: &[Vec<Event>], now: i64) -> serde_json::Value {
    let mut s = ContactState::new();
    for b in batches {
        s.fold(pb, b);
        s = ContactState::from_bytes(&s.to_bytes()).unwrap();
    }
    let d = serde_json::to_value(rekindle_core::decide(pb, &s, Timestamp::from_ms(now).unwrap())).unwrap();
    serde_json::json!({ "lifecycle": d["lifecycle"], "nextStep": d["nextStep"], "sequences": d["sequences"] })
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(500))]

    #[test]
    /// Sequences on lifecycle phases: batch order, time-ordered splits and a decision's virtual catch-up up to
    /// `now` (against a fold of one more, non-engaging, event at `now`) all agree.
    fn sequences_time_ordered_splits_and_virtual_catch_up(list in prop::collection::vec(sequence_event_strategy(), 1..14), manual in any::<bool>(), cuts in prop::collection::vec(0usize..14, 0..3), later in 0..30i64, seed in any::<u64>()) {
        let pb = reengagement(manual);
        let evs = events(&list);
        let now = BASE + 60 * DAY + later * DAY;
        let one = decision(&pb, std::slice::from_ref(&evs), now);
        let mut shuffled = evs.clone();
        shuffle(&mut shuffled, seed);
        prop_assert_eq!(decision(&pb, &[shuffled], now), one.clone(), "shuffled");
        let mut batches = time_ordered_batches(evs, cuts);
        prop_assert_eq!(decision(&pb, &batches, now), one.clone(), "split");
        // A non-engaging event at now changes nothing the decision says about the lifecycle and sequences.
        let noop = events(&[serde_json::json!({ "at": now, "kind": "consent", "props": { "purpose": "x", "granted": true } })]);
        batches.push(noop);
        prop_assert_eq!(decision(&pb, &batches, now), one, "virtual catch-up");
    }
}
