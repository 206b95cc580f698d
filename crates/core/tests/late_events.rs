//! Events that arrive late (folded in a later batch than newer ones) count by their own time: preferences field by
//! field, and a subscribe lifting an unsubscribe stamped before it (docs/playbook.md § Events: "Events may arrive
//! in any order"). Each case folds the events in one batch and split with the newer event first — also through
//! the state bytes between the batches — and asks for the same send verdict. Found by a differential test.
#![allow(clippy::expect_used, clippy::unwrap_used, missing_docs)]

use rekindle_core::{decide, ContactState, Event, Playbook, Timestamp, Value};

const DAY: i64 = 86_400_000;
const T: i64 = 1_772_323_200_000; // 2026-03-01T00:00:00Z

fn playbook() -> Playbook {
    let json =
        r#"{ "version": 1, "signals": {}, "policy": { "caps": [{ "channel": "email", "max": 3, "per": "7d" }] } }"#;
    Playbook::parse(&serde_json::from_str::<Value>(json).unwrap()).unwrap()
}

fn events(list: serde_json::Value) -> Vec<Event> {
    Event::parse_list(&serde_json::from_value::<Value>(list).unwrap(), "events").unwrap()
}

/// The email verdict (verdict, until) at `now` after folding `batches` in order, the state crossing its bytes
/// between batches.
fn email_after(pb: &Playbook, batches: &[serde_json::Value], now: i64) -> (String, Option<i64>) {
    let mut state = ContactState::new();
    for batch in batches {
        state.fold(pb, &events(batch.clone()));
        state = ContactState::from_bytes(&state.to_bytes()).unwrap();
    }
    let d = serde_json::to_value(decide(pb, &state, Timestamp::from_ms(now).unwrap())).unwrap();
    let v = d.get("send").and_then(|s| s.get("email")).unwrap();
    let verdict = v.get("verdict").and_then(serde_json::Value::as_str).unwrap().to_owned();
    (verdict, v.get("until").and_then(serde_json::Value::as_i64))
}

fn same_in_any_order(older: serde_json::Value, newer: serde_json::Value, now: i64) -> (String, Option<i64>) {
    let pb = playbook();
    let together = serde_json::Value::Array([older.clone(), newer.clone()].into());
    let one = email_after(&pb, &[together], now);
    assert_eq!(email_after(&pb, &[serde_json::json!([older.clone()]), serde_json::json!([newer.clone()])], now), one);
    assert_eq!(email_after(&pb, &[serde_json::json!([newer]), serde_json::json!([older])], now), one, "newer first");
    one
}

#[test]
fn a_late_preferences_event_keeps_its_pause_when_a_newer_one_set_only_the_frequency() {
    let pause =
        serde_json::json!({ "id": "a", "at": T, "kind": "preferences", "props": { "pause_until": T + 31 * DAY } });
    let weekly =
        serde_json::json!({ "id": "b", "at": T + DAY, "kind": "preferences", "props": { "frequency": "weekly" } });
    assert_eq!(same_in_any_order(pause, weekly, T + 2 * DAY), ("defer".to_owned(), Some(T + 31 * DAY)));
}

#[test]
fn a_late_preferences_event_does_not_undo_a_newer_choice_of_the_same_field() {
    let old =
        serde_json::json!({ "id": "a", "at": T, "kind": "preferences", "props": { "pause_until": T + 31 * DAY } });
    let lifted =
        serde_json::json!({ "id": "b", "at": T + DAY, "kind": "preferences", "props": { "pause_until": null } });
    assert_eq!(same_in_any_order(old, lifted, T + 2 * DAY).0, "allow");
}

#[test]
fn a_late_unsubscribe_stamped_before_a_subscribe_stays_lifted() {
    let unsubscribe = serde_json::json!({ "id": "u", "at": T, "kind": "unsubscribe", "props": { "channel": "email" } });
    let subscribe =
        serde_json::json!({ "id": "s", "at": T + DAY, "kind": "subscribe", "props": { "channel": "email" } });
    assert_eq!(same_in_any_order(unsubscribe, subscribe, T + 2 * DAY).0, "allow");
}

#[test]
fn a_late_subscribe_stamped_before_an_unsubscribe_lifts_nothing() {
    let subscribe = serde_json::json!({ "id": "s", "at": T, "kind": "subscribe", "props": { "channel": "email" } });
    let unsubscribe =
        serde_json::json!({ "id": "u", "at": T + DAY, "kind": "unsubscribe", "props": { "channel": "email" } });
    assert_eq!(same_in_any_order(subscribe, unsubscribe, T + 2 * DAY).0, "deny");
}

#[test]
fn a_hard_bounce_stamped_before_a_subscribe_still_suppresses() {
    let bounce = serde_json::json!({ "id": "b", "at": T, "kind": "email_bounce", "props": { "type": "hard" } });
    let subscribe =
        serde_json::json!({ "id": "s", "at": T + DAY, "kind": "subscribe", "props": { "channel": "email" } });
    assert_eq!(same_in_any_order(bounce, subscribe, T + 2 * DAY).0, "deny");
}

/// The email verdict's first reason at `now` after folding `batches` in order (the state crossing its bytes).
fn email_reason_after(batches: &[serde_json::Value], now: i64) -> serde_json::Value {
    let pb = playbook();
    let mut state = ContactState::new();
    for batch in batches {
        state.fold(&pb, &events(batch.clone()));
        state = ContactState::from_bytes(&state.to_bytes()).unwrap();
    }
    let d = serde_json::to_value(decide(&pb, &state, Timestamp::from_ms(now).unwrap())).unwrap();
    d.get("send").and_then(|s| s.get("email")).cloned().unwrap()
}

/// Unsubscribed at T, resubscribed at T + 1d, unsubscribed again at T + 2d: in time order the contact ends
/// unsubscribed since T + 2d. The resubscribe arriving last must lift only the unsubscribe before it, not the
/// newer one, in whatever batches the three arrive.
#[test]
fn a_late_subscribe_between_two_unsubscribes_leaves_the_newer_one() {
    let unsubscribe = |id: &str, at: i64, reason: Option<&str>| {
        let mut props = serde_json::json!({ "channel": "email" });
        if let Some(r) = reason {
            props["reason"] = r.into();
        }
        serde_json::json!({ "id": id, "at": at, "kind": "unsubscribe", "props": props })
    };
    let subscribe =
        serde_json::json!({ "id": "s", "at": T + DAY, "kind": "subscribe", "props": { "channel": "email" } });
    let expected = serde_json::json!({ "verdict": "deny", "reasons": [
        { "gate": "doNotContact", "reason": "unsubscribed", "since": T + 2 * DAY } ] });
    for first in [None, Some("manual")] {
        let (old, new) = (unsubscribe("u1", T, first), unsubscribe("u2", T + 2 * DAY, None));
        let all = serde_json::json!([old.clone(), subscribe.clone(), new.clone()]);
        let orders = [
            vec![all],
            vec![serde_json::json!([old.clone(), new.clone()]), serde_json::json!([subscribe.clone()])],
            vec![
                serde_json::json!([new.clone()]),
                serde_json::json!([old.clone()]),
                serde_json::json!([subscribe.clone()]),
            ],
            vec![serde_json::json!([new.clone(), subscribe.clone()]), serde_json::json!([old.clone()])],
        ];
        for batches in orders {
            assert_eq!(email_reason_after(&batches, T + 3 * DAY), expected, "{first:?} {batches:?}");
        }
    }
}

/// Unsubscribed twice (a one-click unsubscribe, then the link in the footer) with no subscribe between: unsubscribed
/// since the first, whichever arrives first; the latest is kept only for a subscribe that may come between them.
#[test]
fn two_unsubscribes_count_from_the_first() {
    let first = serde_json::json!({ "id": "u1", "at": T, "kind": "unsubscribe" });
    let second = serde_json::json!({ "id": "u2", "at": T + 2 * DAY, "kind": "unsubscribe" });
    let expected = serde_json::json!({ "verdict": "deny", "reasons": [
        { "gate": "doNotContact", "reason": "unsubscribed", "since": T } ] });
    for batches in [
        vec![serde_json::json!([first.clone(), second.clone()])],
        vec![serde_json::json!([second.clone()]), serde_json::json!([first.clone()])],
        vec![serde_json::json!([first.clone()]), serde_json::json!([second.clone()])],
    ] {
        assert_eq!(email_reason_after(&batches, T + 3 * DAY), expected, "{batches:?}");
    }
}

/// A welcome run enrolled at T stops at the first of two unsubscribes (T + 2d, then T + 5d) and says it was the
/// opt-out: the second unsubscribe does not move when the contact opted out.
#[test]
fn a_run_stopped_by_the_first_of_two_unsubscribes_names_the_opt_out() {
    let json = r#"{ "version": 1, "signals": { "ebook": { "kind": "form_submit", "match": { "form": "ebook" } } },
        "sequences": { "welcome": { "start": { "signal": "ebook", "within": "1d" }, "steps": [
            { "id": "a", "after": "1d", "channel": "email", "content": "a" },
            { "id": "b", "after": "10d", "channel": "email", "content": "b" } ] } } }"#;
    let pb = Playbook::parse(&serde_json::from_str::<Value>(json).unwrap()).unwrap();
    let mut state = ContactState::new();
    state.fold(
        &pb,
        &events(serde_json::json!([
            { "id": "e", "at": T, "kind": "form_submit", "props": { "form": "ebook" } },
            { "id": "u1", "at": T + 2 * DAY, "kind": "unsubscribe" },
            { "id": "u2", "at": T + 5 * DAY, "kind": "unsubscribe" } ])),
    );
    let d = serde_json::to_value(decide(&pb, &state, Timestamp::from_ms(T + 6 * DAY).unwrap())).unwrap();
    let run = d.get("sequences").and_then(|s| s.get(0)).unwrap();
    assert_eq!(run.get("stoppedAt"), Some(&serde_json::json!(T + 2 * DAY)), "{run}");
    assert_eq!(run.get("stoppedBy"), Some(&serde_json::json!("opt_out:email")), "{run}");
}

/// An erasure request and a hard bounce of the same millisecond: folded together (the bounce sorts first) the
/// address stays on the suppression list beside the erasure; the bounce's webhook folded in a later batch was
/// dropped (the erased contact kept only events older than the erasure), so a re-import could mail it (D4, D9).
/// Found by the lifecycle oracle.
#[test]
fn a_bounce_of_the_erasures_millisecond_folded_later_still_suppresses() {
    let erasure = serde_json::json!({ "id": "e", "at": T, "kind": "erasure_request" });
    let bounce = serde_json::json!({ "id": "b", "at": T, "kind": "email_bounce", "props": { "type": "hard" } });
    let now = T + DAY;
    let together = email_reason_after(&[serde_json::json!([erasure.clone(), bounce.clone()])], now);
    let gates = |v: &serde_json::Value| -> Vec<String> {
        let reasons = v.get("reasons").and_then(serde_json::Value::as_array).cloned().unwrap_or_default();
        reasons.iter().filter_map(|r| r.get("gate").and_then(serde_json::Value::as_str).map(str::to_owned)).collect()
    };
    assert!(gates(&together).iter().any(|g| g == "doNotContact"), "{together}");
    let bounce_later =
        email_reason_after(&[serde_json::json!([erasure.clone()]), serde_json::json!([bounce.clone()])], now);
    assert_eq!(bounce_later, together, "the bounce folded after the erasure");
    let erasure_later = email_reason_after(&[serde_json::json!([bounce]), serde_json::json!([erasure])], now);
    assert_eq!(erasure_later, together, "the erasure folded after the bounce");
}
