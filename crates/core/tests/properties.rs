//! Property tests of the fold and the decision (STYLE §7.2): order does not matter, incremental equals batch,
//! silence never raises a score, the byte form round-trips, and reasons add up to the totals.
#![allow(clippy::expect_used, clippy::unwrap_used, clippy::indexing_slicing, missing_docs)]

use proptest::prelude::*;
use rekindle_core::{decide, ContactState, Event, Playbook, Reason, Timestamp, Value};

mod support;
use support::shuffle;

const PLAYBOOK: &str = r#"{
  "version": 1,
  "signals": {
    "pricing": { "kind": "page_view", "match": { "path": "/pricing*" } },
    "blog": { "kind": "page_view", "match": { "path": "/blog/*" } },
    "demo": { "kind": "form_submit", "match": { "form": "demo" } },
    "click": { "kind": "email_click" }
  },
  "scores": {
    "fit": { "max": 40, "rules": [
      { "field": "role", "op": "in", "value": ["vp", "cto"], "points": 25 },
      { "field": "company_size", "op": "ge", "value": 50, "points": 20 },
      { "id": "student", "field": "role", "op": "eq", "value": "student", "points": -30 } ] },
    "intent": { "max": 80, "rules": [
      { "signal": "pricing", "points": 15, "decay": { "half_life": "7d" }, "expire_after": "30d", "cap": 45 },
      { "signal": "blog", "points": 3, "decay": { "linear": "14d" }, "cap": 12 },
      { "signal": "demo", "points": 40, "decay": { "half_life": "14d" } },
      { "signal": "click", "points": 5 } ] }
  },
  "stages": {
    "readiness": { "warm": 15, "hot": 40 },
    "mql": { "min": { "fit": 20, "intent": 15 } },
    "sql": { "min": { "total": 60 }, "any": [ { "signal": "pricing", "within": "7d", "at_least": 2 } ],
             "direct": [ { "signal": "demo", "within": "7d" } ] }
  }
}"#;

fn playbook() -> Playbook {
    let v: Value = serde_json::from_str(PLAYBOOK).unwrap();
    Playbook::parse(&v).unwrap()
}

const DAY: i64 = 86_400_000;
const BASE: i64 = 1_790_000_000_000;

fn event_strategy() -> impl Strategy<Value = serde_json::Value> {
    let kinds = prop_oneof![
        Just(("page_view", "path", "/pricing")),
        Just(("page_view", "path", "/blog/post-1")),
        Just(("page_view", "path", "/careers")),
        Just(("form_submit", "form", "demo")),
        Just(("email_click", "link", "x")),
        Just(("profile", "role", "VP")),
        Just(("profile", "role", "student")),
    ];
    // Unique ids so that ties within one millisecond have a total order.
    (0..60 * DAY / 1000, kinds, 0u32..1_000_000).prop_map(|(secs, (kind, key, val), id)| {
        serde_json::json!({ "at": BASE + secs * 1000, "kind": kind, "id": format!("e{id}"), "props": { key: val } })
    })
}

/// A playbook reading the last-writer-wins facts of an instant: a segment on a profile field and the send
/// policy's stop during an open sales conversation.
const TIES_PLAYBOOK: &str = r#"{
  "version": 1,
  "signals": { "pricing": { "kind": "page_view", "match": { "path": "/pricing*" } } },
  "scores": { "fit": { "rules": [ { "field": "role", "op": "eq", "value": "vp", "points": 20 } ] } },
  "segments": {
    "vp": { "when": { "field": "role", "op": "eq", "value": "vp" } },
    "pricing_week": { "when": { "signal": "pricing", "within": "7d", "at_least": 1 } }
  },
  "policy": { "stop_during_sales": true, "caps": [ { "channel": "email", "max": 1, "per": "7d" } ] }
}"#;

/// Events that often share a millisecond and mostly carry no id (or one of two shared ids), so ties on
/// `(at, kind, id)` between different events are common.
fn tied_event_strategy() -> impl Strategy<Value = serde_json::Value> {
    let kinds = prop_oneof![
        Just(("profile", "role", serde_json::json!("vp"))),
        Just(("profile", "role", serde_json::json!("student"))),
        Just(("profile", "role", serde_json::Value::Null)),
        Just(("profile", "company_size", serde_json::json!(50))),
        Just(("sales_status", "status", serde_json::json!("open"))),
        Just(("sales_status", "status", serde_json::json!("lost"))),
        Just(("sales_status", "status", serde_json::json!("won"))),
        Just(("page_view", "path", serde_json::json!("/pricing"))),
        Just(("email_sent", "subject", serde_json::json!("a"))),
        Just(("email_sent", "subject", serde_json::json!("b"))),
    ];
    let id = prop_oneof![3 => Just(None), 1 => Just(Some("x")), 1 => Just(Some("y"))];
    (0..4i64, kinds, id, any::<bool>()).prop_map(|(slot, (kind, key, val), id, machine)| {
        let mut e = serde_json::json!({ "at": BASE + slot * DAY, "kind": kind, "props": { key: val } });
        if let Some(id) = id {
            e["id"] = serde_json::json!(id);
        }
        if machine {
            e["machine"] = serde_json::json!(true);
        }
        e
    })
}

fn events(list: &[serde_json::Value]) -> Vec<Event> {
    let v: Value = serde_json::from_value(serde_json::Value::Array(list.to_vec())).unwrap();
    Event::parse_list(&v, "events").unwrap()
}

fn folded(pb: &Playbook, evs: &[Event]) -> ContactState {
    let mut s = ContactState::new();
    s.fold(pb, evs);
    s
}

fn now_after(evs: &[Event], extra: i64) -> Timestamp {
    let last = evs.iter().map(|e| e.at.ms()).max().unwrap_or(BASE);
    Timestamp::from_ms(last + extra).unwrap()
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(200))]

    #[test]
    fn shuffling_the_input_changes_nothing(list in prop::collection::vec(event_strategy(), 0..25), seed in any::<u64>()) {
        let pb = playbook();
        let evs = events(&list);
        let mut shuffled = evs.clone();
        shuffle(&mut shuffled, seed);
        prop_assert_eq!(folded(&pb, &evs), folded(&pb, &shuffled));
    }

    #[test]
    fn shuffling_events_that_tie_on_instant_kind_and_id_changes_nothing(
        list in prop::collection::vec(tied_event_strategy(), 0..16),
        seed in any::<u64>(),
        later in 0..10i64,
    ) {
        let pb: Playbook = Playbook::parse(&serde_json::from_str(TIES_PLAYBOOK).unwrap()).unwrap();
        let evs = events(&list);
        let mut shuffled = evs.clone();
        shuffle(&mut shuffled, seed);
        let (a, b) = (folded(&pb, &evs), folded(&pb, &shuffled));
        prop_assert_eq!(a.to_bytes(), b.to_bytes(), "state bytes differ for a reordered batch");
        let now = Timestamp::from_ms(BASE + later * DAY).unwrap();
        let da = serde_json::to_string(&decide(&pb, &a, now)).unwrap();
        let db = serde_json::to_string(&decide(&pb, &b, now)).unwrap();
        prop_assert_eq!(da, db);
    }

    #[test]
    fn folding_one_at_a_time_in_time_order_equals_one_batch(list in prop::collection::vec(event_strategy(), 0..25)) {
        let pb = playbook();
        let mut evs = events(&list);
        evs.sort_by(|a, b| (a.at, &a.kind, &a.id).cmp(&(b.at, &b.kind, &b.id)));
        let batch = folded(&pb, &evs);
        // Events of one millisecond go in together: bars are checked per instant.
        let mut one_by_one = ContactState::new();
        let mut i = 0;
        while i < evs.len() {
            let j = evs[i..].iter().position(|e| e.at != evs[i].at).map_or(evs.len(), |k| i + k);
            one_by_one.fold(&pb, &evs[i..j]);
            i = j;
        }
        prop_assert_eq!(batch, one_by_one);
    }

    #[test]
    fn silence_never_raises_intent_or_stage(list in prop::collection::vec(event_strategy(), 1..25), gap in 0..120i64) {
        let pb = playbook();
        let evs = events(&list);
        let state = folded(&pb, &evs);
        let now = now_after(&evs, 0);
        let a = decide(&pb, &state, now);
        let b = decide(&pb, &state, Timestamp::from_ms(now.ms() + gap * DAY).unwrap());
        prop_assert!(b.scores.intent <= a.scores.intent, "{} > {}", b.scores.intent, a.scores.intent);
        prop_assert!(b.readiness <= a.readiness);
        prop_assert_eq!(a.stage, b.stage, "stages are forward-only");
    }

    #[test]
    fn state_bytes_round_trip_and_decide_identically(list in prop::collection::vec(event_strategy(), 0..25), later in 0..90i64) {
        let pb = playbook();
        let evs = events(&list);
        let state = folded(&pb, &evs);
        let bytes = state.to_bytes();
        let back = ContactState::from_bytes(&bytes).unwrap();
        prop_assert_eq!(&back, &state);
        let now = now_after(&evs, later * DAY);
        let a = serde_json::to_string(&decide(&pb, &state, now)).unwrap();
        let b = serde_json::to_string(&decide(&pb, &back, now)).unwrap();
        prop_assert_eq!(a, b);
        prop_assert!(bytes.len() <= 512, "state of {} bytes exceeds the 512-byte budget", bytes.len());
    }

    #[test]
    fn reasons_add_up_to_the_scores(list in prop::collection::vec(event_strategy(), 0..25), later in 0..90i64) {
        let pb = playbook();
        let evs = events(&list);
        let d = decide(&pb, &folded(&pb, &evs), now_after(&evs, later * DAY));
        let (mut fit, mut intent) = (0.0, 0.0);
        for r in &d.reasons {
            match r {
                Reason::FitRule { points, .. } => fit += points,
                Reason::IntentRule { decayed_to, .. } => intent += decayed_to,
                Reason::CapReached { group, dropped, .. } if group == "scores.fit" => fit -= dropped,
                Reason::CapReached { group, dropped, .. } if group == "scores.intent" => intent -= dropped,
                _ => {}
            }
        }
        prop_assert!((fit - d.scores.fit).abs() < 1e-9, "fit {} vs {}", fit, d.scores.fit);
        prop_assert!((intent - d.scores.intent).abs() < 1e-9, "intent {} vs {}", intent, d.scores.intent);
        prop_assert!((d.scores.total - (d.scores.fit + d.scores.intent)).abs() < 1e-12);
    }

    #[test]
    fn arbitrary_bytes_never_panic_the_decoder(bytes in prop::collection::vec(any::<u8>(), 0..200)) {
        let _ = ContactState::from_bytes(&bytes);
    }

    #[test]
    fn arbitrary_json_never_panics_the_parser(json in arb_json(3)) {
        let v: Value = serde_json::from_value(json).unwrap();
        let _ = Playbook::parse(&v);
        let _ = Event::parse_list(&v, "events");
    }
}

fn arb_json(depth: u32) -> BoxedStrategy<serde_json::Value> {
    let leaf = prop_oneof![
        Just(serde_json::Value::Null),
        any::<bool>().prop_map(serde_json::Value::from),
        (-1e6f64..1e6).prop_map(serde_json::Value::from),
        prop_oneof![Just("7d"), Just("-1d"), Just("page_view"), Just("version"), Just(""), Just("x*")]
            .prop_map(serde_json::Value::from),
    ];
    if depth == 0 {
        return leaf.boxed();
    }
    let keys = prop_oneof![
        Just("version"),
        Just("signals"),
        Just("scores"),
        Just("stages"),
        Just("fit"),
        Just("intent"),
        Just("rules"),
        Just("signal"),
        Just("points"),
        Just("decay"),
        Just("half_life"),
        Just("kind"),
        Just("at"),
        Just("mql"),
        Just("min"),
        Just("any"),
        Just("within"),
        Just("op"),
        Just("field"),
        Just("value")
    ];
    prop_oneof![
        leaf,
        prop::collection::vec(arb_json(depth - 1), 0..4).prop_map(serde_json::Value::Array),
        prop::collection::vec((keys, arb_json(depth - 1)), 0..5)
            .prop_map(|kv| { serde_json::Value::Object(kv.into_iter().map(|(k, v)| (k.to_string(), v)).collect()) }),
    ]
    .boxed()
}

#[test]
fn reactivation_candidate_after_decay_pushes_an_mql_under_the_bar() {
    // D11: a VP who read pricing became MQL; 30 silent days later intent has decayed under the MQL bar.
    let pb = playbook();
    let evs = events(&[
        serde_json::json!({ "at": BASE, "kind": "profile", "props": { "role": "VP", "company_size": 200 } }),
        serde_json::json!({ "at": BASE + 1000, "kind": "page_view", "props": { "path": "/pricing" } }),
    ]);
    let state = folded(&pb, &evs);
    let fresh = decide(&pb, &state, Timestamp::from_ms(BASE + 1000).unwrap());
    assert!(fresh.meets.mql && !fresh.reactivation_candidate, "{}", serde_json::to_string_pretty(&fresh).unwrap());
    let later = decide(&pb, &state, Timestamp::from_ms(BASE + 30 * DAY).unwrap());
    assert!(!later.meets.mql);
    assert!(later.reactivation_candidate);
    assert_eq!(later.stage, rekindle_core::Stage::Mql, "stage is forward-only");
}
