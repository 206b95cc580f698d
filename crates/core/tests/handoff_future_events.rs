//! The sales handoff packet (D19) is the packet as of the decision's `now`: events stamped after it (a skewed
//! clock, a late batch carrying tomorrow's timestamps) are not yet interactions, assets or pages, and do not
//! move the SLA. Brute-force reference: the packet of the same history without the events after `now`.
#![allow(clippy::expect_used, clippy::unwrap_used, clippy::indexing_slicing, missing_docs)]

use rekindle_core::{decide, ContactState, Event, Playbook, Value};

/// 2025-12-01T10:00Z, a Monday inside Warsaw's business hours.
const NOW: i64 = 1_764_583_200_000;
const H: i64 = 3_600_000;

fn playbook() -> Playbook {
    let text = r#"{ "version": 1,
      "signals": { "pricing_visit": { "kind": "page_view", "match": { "path": "/pricing*" } },
                   "blog_visit": { "kind": "page_view", "match": { "path": "/blog/*" } },
                   "demo_request": { "kind": "form_submit", "match": { "form": "demo" } },
                   "ebook": { "kind": "form_submit", "match": { "form": "ebook" } } },
      "scores": { "intent": { "rules": [ { "signal": "pricing_visit", "points": 15 },
                                          { "signal": "demo_request", "points": 40 } ] } },
      "stages": { "sql": { "any": [ { "signal": "demo_request", "within": "7d" } ] } },
      "handoff": { "timezone": "Europe/Warsaw" } }"#;
    Playbook::parse(&serde_json::from_str::<Value>(text).unwrap()).unwrap()
}

fn events(list: &[(i64, &str, serde_json::Value)]) -> Vec<Event> {
    let list: Vec<serde_json::Value> =
        list.iter().map(|(at, kind, props)| serde_json::json!({ "at": at, "kind": kind, "props": props })).collect();
    Event::parse_list(&serde_json::from_value::<Value>(serde_json::Value::Array(list)).unwrap(), "events").unwrap()
}

fn packet(pb: &Playbook, evs: &[Event]) -> serde_json::Value {
    let mut state = ContactState::new();
    state.fold(pb, evs);
    let d = decide(pb, &state, rekindle_core::Timestamp::from_ms(NOW).unwrap());
    serde_json::to_value(&d.handoff).unwrap()
}

fn past() -> Vec<(i64, &'static str, serde_json::Value)> {
    vec![
        (NOW - 72 * H, "page_view", serde_json::json!({ "path": "/blog/a", "utm_source": "linkedin" })),
        (NOW - 48 * H, "page_view", serde_json::json!({ "path": "/pricing" })),
        (NOW - 30 * H, "form_submit", serde_json::json!({ "form": "ebook" })),
        (NOW - 3 * H, "form_submit", serde_json::json!({ "form": "demo" })),
    ]
}

#[test]
fn future_stamped_events_are_not_in_the_packet_as_of_now() {
    let pb = playbook();
    let mut all = past();
    all.extend([
        (NOW + H, "page_view", serde_json::json!({ "path": "/pricing", "utm_source": "google" })),
        (NOW + 2 * H, "form_submit", serde_json::json!({ "form": "ebook" })),
        (NOW + 3 * H, "page_view", serde_json::json!({ "path": "/blog/b" })),
    ]);
    let reference = packet(&pb, &events(&past()));
    let got = packet(&pb, &events(&all));
    // The state keeps the 5 newest interactions: the 3 stamped after now left room for 2 before it, the
    // newest 2 of the reference's 4.
    let known = got["lastInteractions"].as_array().unwrap();
    assert_eq!(known.as_slice(), &reference["lastInteractions"].as_array().unwrap()[..2], "none after now");
    assert_eq!(got["assets"], reference["assets"], "an asset downloaded after now is not yet downloaded");
    assert_eq!(got["pages"], reference["pages"], "a page visited after now is not yet visited");
    assert_eq!(got["source"], reference["source"], "the first UTM visit by now is the source");
    assert_eq!((&got["sqlAt"], &got["dueAt"]), (&reference["sqlAt"], &reference["dueAt"]));
}

/// Not a defect (checked): stage entries stamped after `now` never moved the SLA, which counts from the
/// earliest SQL-or-later entry; the packet reads only entries up to `now` all the same.
#[test]
fn a_purchase_stamped_after_now_does_not_move_the_sla() {
    let pb = playbook();
    let mut all = past();
    all.push((NOW + H, "purchase", serde_json::json!({})));
    let reference = packet(&pb, &events(&past()));
    let got = packet(&pb, &events(&all));
    assert_eq!(reference["sqlAt"], NOW - 3 * H);
    assert_eq!((&got["sqlAt"], &got["dueAt"]), (&reference["sqlAt"], &reference["dueAt"]));
}

#[test]
fn when_future_events_crowd_older_ones_out_of_the_state_the_packet_lists_only_what_it_knows() {
    let pb = playbook();
    let mut all = past();
    // Six future interactions fill the five-slot ring: nothing known before `now` is left in it.
    all.extend((1..=6).map(|i| (NOW + i * H, "page_view", serde_json::json!({ "path": "/blog/c" }))));
    let got = packet(&pb, &events(&all));
    assert_eq!(got["lastInteractions"], serde_json::json!([]));
    let blog = got["pages"].as_array().unwrap().iter().find(|p| p["signal"] == "blog_visit").unwrap();
    // The blog signal keeps one instant (no condition counts it): its latest at or before now was dropped for a
    // future one, and only the first visit is known to lie before now.
    assert_eq!(
        (&blog["count"], &blog["firstAt"], &blog["lastAt"]),
        (&1.into(), &(NOW - 72 * H).into(), &serde_json::Value::Null)
    );
}

#[test]
fn the_packet_is_valid_until_an_event_stamped_after_now_joins_it() {
    let pb = playbook();
    let mut all = past();
    all.push((NOW + 3 * H, "page_view", serde_json::json!({ "path": "/blog/b" })));
    let mut state = ContactState::new();
    state.fold(&pb, &events(&all));
    let d = decide(&pb, &state, rekindle_core::Timestamp::from_ms(NOW).unwrap());
    // At NOW + 3 h the blog visit becomes the latest interaction and the blog page's latest visit: a decision
    // cached until later would show a packet without it.
    assert_eq!(d.valid_until.map(|t| t.ms()), Some(NOW + 3 * H));
}
