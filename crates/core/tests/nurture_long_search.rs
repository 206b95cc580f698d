//! Nurture's search for a run's next time-driven transition (enrolment, stop, completion, re-enrolment) finds it
//! however many instants where its conditions might flip come first (DESIGN §7 "Sequences": enrolment is the
//! first instant the start condition holds). It stopped after 256 candidate instants and answered "never", as
//! the segment and CTA searches did before they were fixed: the enrolment was then missing from `validUntil`
//! and from the virtual catch-up of a later decision.
#![allow(clippy::expect_used, clippy::unwrap_used, clippy::indexing_slicing, missing_docs)]

use rekindle_core::{decide, ContactState, Event, Playbook, Timestamp, Value};

/// 2025-12-01T00:00Z: the newest of the 32 visits.
const NOW: i64 = 1_764_547_200_000;
const MIN: i64 = 60_000;
const H: i64 = 60 * MIN;

/// A win-back that starts once the contact has not visited recently: no visit within 1 h … 9 h, and fewer than
/// 32 visits within 10 h. Each visit gives ten window edges.
fn playbook() -> Playbook {
    let windows: Vec<String> =
        (1..=9).map(|h| format!(r#"{{ "signal": "visit", "within": "{h}h" }}"#)).collect::<Vec<_>>();
    let text = format!(
        r#"{{ "version": 1, "signals": {{ "visit": {{ "kind": "page_view" }} }},
        "sequences": {{ "win_back": {{ "start": {{ "not": {{ "any": [ {},
            {{ "signal": "visit", "within": "10h", "at_least": 32 }} ] }} }},
            "steps": [ {{ "id": "miss_you", "channel": "email", "content": "w/1" }} ] }} }} }}"#,
        windows.join(", ")
    );
    Playbook::parse(&serde_json::from_str::<Value>(&text).unwrap()).unwrap()
}

fn state(pb: &Playbook) -> ContactState {
    let visits: Vec<serde_json::Value> = (0..32)
        .map(|i| serde_json::json!({ "id": format!("v{i}"), "at": NOW - i * MIN, "kind": "page_view", "props": { "path": "/" } }))
        .collect();
    let evs = Event::parse_list(&serde_json::from_value::<Value>(serde_json::Value::Array(visits)).unwrap(), "events")
        .unwrap();
    let mut s = ContactState::new();
    s.fold(pb, &evs);
    s
}

/// The oldest visit (now − 31 min) leaves the 10 h window at now + 9 h 29 min; every shorter window emptied by
/// now + 9 h. That is the 289th of the 320 edges (the 9 × 32 edges of the shorter windows come first).
const ENROLS: i64 = NOW - 31 * MIN + 10 * H;

#[test]
fn the_enrolment_after_hundreds_of_window_edges_is_the_next_change() {
    let pb = playbook();
    let d = decide(&pb, &state(&pb), Timestamp::from_ms(NOW).unwrap());
    assert_eq!(serde_json::to_value(&d.sequences[0]).unwrap()["status"], "not_enrolled");
    assert_eq!(d.valid_until.map(|t| t.ms()), Some(ENROLS));
}

#[test]
fn a_later_decision_enrols_at_that_instant() {
    let pb = playbook();
    let d = decide(&pb, &state(&pb), Timestamp::from_ms(NOW + 10 * H).unwrap());
    let s = serde_json::to_value(&d.sequences[0]).unwrap();
    assert_eq!((&s["status"], &s["enrolledAt"]), (&"enrolled".into(), &ENROLS.into()));
    assert_eq!(d.next_step.map(|n| n.due_at.ms()), Some(ENROLS));
}

#[test]
fn a_later_fold_records_the_enrolment_at_that_instant() {
    let pb = playbook();
    let mut s = state(&pb);
    let noop = serde_json::json!([{ "at": NOW + 10 * H, "kind": "custom:noop" }]);
    s.fold(&pb, &Event::parse_list(&serde_json::from_value::<Value>(noop).unwrap(), "events").unwrap());
    let d = decide(&pb, &s, Timestamp::from_ms(NOW + 10 * H).unwrap());
    assert_eq!(serde_json::to_value(&d.sequences[0]).unwrap()["enrolledAt"], ENROLS);
}

/// A catch-up applies at most 1024 transitions between two events; a run that ends as it starts and re-enrols
/// every 12 h was counted right for 512 days only (600 days later: runs 1025). Repeating cycles are now jumped
/// over in one step.
#[test]
fn re_enrolment_catches_up_past_1024_cool_downs() {
    let pb = Playbook::parse(
        &serde_json::from_str::<Value>(
            r#"{ "version": 1, "signals": { "purchase": { "kind": "purchase" } },
            "sequences": { "s": { "start": { "ever": "purchase" }, "stop": [ { "ever": "purchase" } ],
                "reenrol_after": "12h", "steps": [ { "id": "x", "channel": "email", "content": "s/x" } ] } } }"#,
        )
        .unwrap(),
    )
    .unwrap();
    let purchase = serde_json::json!([{ "at": NOW, "kind": "purchase" }]);
    let mut s = ContactState::new();
    s.fold(&pb, &Event::parse_list(&serde_json::from_value::<Value>(purchase).unwrap(), "events").unwrap());
    // 600 days later: enrolled and stopped at the purchase and every 12 h since, 1 + 1200 runs.
    let d = decide(&pb, &s, Timestamp::from_ms(NOW + 600 * 24 * H).unwrap());
    let seq = serde_json::to_value(&d.sequences[0]).unwrap();
    assert_eq!((&seq["runs"], &seq["enrolledAt"]), (&1201.into(), &(NOW + 600 * 24 * H).into()));
}

/// Brute-force reference for the jump over repeating cycles: the same history with a no-op event every quarter
/// day, so no catch-up spans two re-enrolments and every cycle is walked one transition at a time. Cycles that
/// stop at once, stop on inactivity, complete at once (a skipped branch), and change where a window closes (the
/// start's 20 days after the purchase, a stop's 3 days after the visit), after an unsubscribe.
#[test]
fn jumped_cycles_equal_cycles_walked_one_at_a_time() {
    let sequences = [
        r#"{ "start": { "ever": "purchase" }, "stop": [ { "ever": "purchase" } ], "reenrol_after": "13h",
             "steps": [ { "id": "x", "channel": "email", "content": "x" } ] }"#,
        r#"{ "start": { "ever": "purchase" }, "inactive_stop": "1d", "reenrol_after": "19h",
             "steps": [ { "id": "x", "after": "5d", "channel": "email", "content": "x" } ] }"#,
        r#"{ "start": { "signal": "purchase", "within": "20d" }, "reenrol_after": "1d",
             "steps": [ { "id": "x", "when": { "ever": "visit" }, "channel": "email", "content": "x" } ] }"#,
        r#"{ "start": { "ever": "purchase" }, "stop": [ { "last": "visit", "less_than": "3d" } ], "reenrol_after": "17h",
             "steps": [ { "id": "x", "when": { "ever": "visit" }, "channel": "email", "content": "x" },
                        { "id": "y", "after": "2d", "channel": "sms", "content": "y" } ] }"#,
    ];
    let history = serde_json::json!([
        { "at": NOW, "kind": "purchase" },
        { "at": NOW + 14 * 24 * H + 5 * MIN, "kind": "page_view", "props": { "path": "/" } },
        { "at": NOW + 15 * 24 * H + 7 * MIN, "kind": "unsubscribe", "props": { "channel": "email" } },
    ]);
    let parse =
        |v: serde_json::Value| Event::parse_list(&serde_json::from_value::<Value>(v).unwrap(), "events").unwrap();
    for seq in sequences {
        let text = format!(
            r#"{{ "version": 1, "signals": {{ "purchase": {{ "kind": "purchase" }}, "visit": {{ "kind": "page_view" }} }},
               "policy": {{ "consent": {{ "sms": null }} }}, "sequences": {{ "s": {seq} }} }}"#
        );
        let pb = Playbook::parse(&serde_json::from_str::<Value>(&text).unwrap()).unwrap();
        let mut jumped = ContactState::new();
        jumped.fold(&pb, &parse(history.clone()));
        let mut walked = jumped.clone();
        let mut t = NOW + 15 * 24 * H + 7 * MIN;
        for step in 1..=200 {
            let now = NOW + 15 * 24 * H + 7 * MIN + step * 7 * H;
            while t + 6 * H < now {
                t += 6 * H;
                walked.fold(&pb, &parse(serde_json::json!([{ "at": t, "kind": "custom:noop" }])));
            }
            let at = Timestamp::from_ms(now).unwrap();
            let (a, b) = (decide(&pb, &jumped, at), decide(&pb, &walked, at));
            assert_eq!(
                serde_json::to_value((&a.sequences, &a.next_step)).unwrap(),
                serde_json::to_value((&b.sequences, &b.next_step)).unwrap(),
                "{seq} at step {step}"
            );
        }
    }
}
