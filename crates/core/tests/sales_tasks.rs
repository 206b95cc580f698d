//! Sales-task steps (D20): a `call` or `linkedin` step is a person's task, planned like any step but judged by its
//! own gates — calling hours in the contact's zone at every hour of the day, the task channel's purpose (renamed or
//! removed by `policy.consent`), and the opt-out stop that a task still to do holds off.
#![allow(clippy::expect_used, clippy::unwrap_used, missing_docs)]

use rekindle_core::{decide, ContactState, Event, Playbook, Timestamp, Value};

const NOW: i64 = 1_764_547_200_000; // 2025-12-01T00:00:00Z
const HOUR: i64 = 3_600_000;

fn playbook(policy: &str, steps: &str) -> Playbook {
    let json = format!(
        r#"{{ "version": 1, "signals": {{ "demo": {{ "kind": "form_submit", "match": {{ "form": "demo" }} }} }},
        "stages": {{ "sql": {{ "any": [{{ "signal": "demo", "within": "14d" }}] }} }},
        "policy": {policy},
        "sequences": {{ "after_sql": {{ "start": {{ "stage_at_least": "sql" }}, "steps": {steps} }} }} }}"#
    );
    Playbook::parse(&serde_json::from_str::<Value>(&json).unwrap()).unwrap()
}

const CALL_THEN_EMAIL: &str = r#"[ { "id": "call", "channel": "call", "content": "tasks/call" },
    { "id": "mail", "after": "2d", "channel": "email", "content": "content/mail" } ]"#;

fn state(pb: &Playbook, events: serde_json::Value) -> ContactState {
    let value: Value = serde_json::from_value(events).unwrap();
    let mut s = ContactState::new();
    s.fold(pb, &Event::parse_list(&value, "events").unwrap());
    s
}

fn next_step(pb: &Playbook, s: &ContactState, ms: i64) -> serde_json::Value {
    let d = serde_json::to_value(decide(pb, s, Timestamp::from_ms(ms).unwrap())).unwrap();
    d.get("nextStep").cloned().unwrap()
}

fn demo(at: i64) -> serde_json::Value {
    serde_json::json!({ "id": "demo", "at": at, "kind": "form_submit", "props": { "form": "demo" } })
}

#[test]
fn a_call_is_placed_only_between_8_and_21_local_at_whatever_hour_it_is_due() {
    let pb = playbook(r#"{ "default_timezone": "Europe/Warsaw" }"#, CALL_THEN_EMAIL);
    // December: Warsaw is UTC+1. Due at every quarter hour of one local day.
    for quarter in 0..96 {
        let due = NOW - HOUR + quarter * HOUR / 4; // from 2025-12-01T00:00 local
        let s = state(&pb, serde_json::json!([demo(due)]));
        let step = next_step(&pb, &s, due);
        assert_eq!(step["step"], "call");
        let send = step["sendAt"].as_i64().expect("a call is deferred, never denied, by the hours");
        let local_minutes = ((send + HOUR).rem_euclid(24 * HOUR)) / 60_000;
        assert!((8 * 60..21 * 60).contains(&local_minutes), "due {due}: placed at local minute {local_minutes}");
        let inside = (8 * 60..21 * 60).contains(&(((due + HOUR).rem_euclid(24 * HOUR)) / 60_000));
        assert_eq!(send == due, inside, "due {due}: at once exactly within calling hours");
        // Deferred to the first instant of 08:00 local: the same day before 08:00, the next day after 21:00.
        if !inside {
            assert_eq!(local_minutes, 8 * 60);
            assert!(send > due && send - due <= 11 * HOUR, "due {due}: sent {send}");
        }
    }
}

#[test]
fn the_call_purpose_is_the_one_policy_consent_names() {
    let denied = |purpose: &str| {
        serde_json::json!({ "id": "c", "at": NOW - HOUR, "kind": "consent",
            "props": { "purpose": purpose, "granted": false } })
    };
    let midday = NOW + 12 * HOUR;
    let gates = |policy: &str, purpose: &str| {
        let pb = playbook(policy, CALL_THEN_EMAIL);
        let s = state(&pb, serde_json::json!([demo(NOW - 2 * HOUR), denied(purpose)]));
        let step = next_step(&pb, &s, midday);
        (step["sendAt"].clone(), step["gates"].clone())
    };
    let (send, why) = gates(r#"{ "consent": { "call": "phone_calls" } }"#, "phone_calls");
    assert_eq!(send, serde_json::Value::Null);
    assert_eq!(why, serde_json::json!([{ "gate": "noConsent", "purpose": "phone_calls", "status": "denied" }]));
    // The default purpose is no longer asked once the playbook names another.
    assert_eq!(gates(r#"{ "consent": { "call": "phone_calls" } }"#, "call").0, midday);
    // Without a purpose nothing is asked; with the default, the denial of `call` denies.
    assert_eq!(gates(r#"{ "consent": { "call": null } }"#, "call").0, midday);
    assert_eq!(gates("{}", "call").0, serde_json::Value::Null);
    // A LinkedIn touch has its own purpose: a do-not-call request does not deny it.
    let pb = playbook("{}", r#"[ { "id": "connect", "channel": "linkedin", "content": "tasks/connect" } ]"#);
    let s = state(&pb, serde_json::json!([demo(NOW - 2 * HOUR), denied("call")]));
    assert_eq!(next_step(&pb, &s, midday)["sendAt"], midday);
    let s = state(&pb, serde_json::json!([demo(NOW - 2 * HOUR), denied("linkedin")]));
    assert_eq!(next_step(&pb, &s, midday)["sendAt"], serde_json::Value::Null);
}

#[test]
fn an_opt_out_stops_a_run_only_when_no_task_is_left_to_do() {
    let pb = playbook("{}", CALL_THEN_EMAIL);
    let unsubscribed = serde_json::json!({ "id": "u", "at": NOW - HOUR, "kind": "unsubscribe" });
    let status = |events: serde_json::Value| {
        let s = state(&pb, events);
        let d = serde_json::to_value(decide(&pb, &s, Timestamp::from_ms(NOW + 12 * HOUR).unwrap())).unwrap();
        let seq = d["sequences"][0].clone();
        (seq["status"].as_str().unwrap().to_owned(), seq["stoppedBy"].clone())
    };
    // The call is still to do: the email opt-out does not stop the run.
    assert_eq!(status(serde_json::json!([demo(NOW - 2 * HOUR), unsubscribed])).0, "enrolled");
    // The call done, only the email is left, and email is do-not-contact: the run stops.
    let done = serde_json::json!({ "id": "t", "at": NOW - 90 * 60_000, "kind": "custom:task_done",
        "props": { "sequence": "after_sql", "step": "call" } });
    let (status, by) = status(serde_json::json!([demo(NOW - 2 * HOUR), done, unsubscribed]));
    assert_eq!((status.as_str(), by), ("stopped", serde_json::json!("opt_out:email")));
}

#[test]
fn a_task_done_for_another_sequence_or_step_marks_nothing() {
    let pb = playbook("{}", CALL_THEN_EMAIL);
    let done = |sequence: &str, step: &str| {
        serde_json::json!({ "id": "t", "at": NOW - HOUR, "kind": "custom:task_done",
            "props": { "sequence": sequence, "step": step } })
    };
    for (sequence, step) in [("other", "call"), ("after_sql", "mail_x")] {
        let s = state(&pb, serde_json::json!([demo(NOW - 2 * HOUR), done(sequence, step)]));
        assert_eq!(next_step(&pb, &s, NOW + 12 * HOUR)["step"], "call", "{sequence}/{step}");
    }
    let s = state(&pb, serde_json::json!([demo(NOW - 2 * HOUR), done("after_sql", "call")]));
    assert_eq!(next_step(&pb, &s, NOW + 12 * HOUR)["step"], "mail");
}

/// An unsubscribe from every channel, then a hard bounce: the email entry turns `bounced` (for good), but the
/// person's opt-out is still theirs, so the call stays denied. The bounce used to replace the opt-out, and a task
/// (denied only by wishes: a bounce says nothing of them) was named due again. The opt-out beneath the bounce
/// keeps following subscribes, whatever batch brings the events, and survives the byte form.
#[test]
fn a_bounce_after_an_opt_out_from_every_channel_leaves_the_call_denied() {
    let pb = playbook("{}", CALL_THEN_EMAIL);
    let ev = |id: &str, at: i64, kind: &str, props: serde_json::Value| serde_json::json!({ "id": id, "at": at, "kind": kind, "props": props });
    let all = ev("u", NOW - HOUR, "unsubscribe", serde_json::json!({ "channel": "all" }));
    let bounce = ev("b", NOW - HOUR / 2, "email_bounce", serde_json::json!({ "type": "hard" }));
    let resubscribed = ev("s", NOW - HOUR / 4, "subscribe", serde_json::json!({ "channel": "email" }));
    let midday = NOW + 12 * HOUR;
    let fold = |batches: &[serde_json::Value]| {
        let mut s = ContactState::new();
        for b in batches {
            s.fold(&pb, &Event::parse_list(&serde_json::from_value::<Value>(b.clone()).unwrap(), "events").unwrap());
            s = ContactState::from_bytes(&s.to_bytes()).unwrap();
        }
        s
    };
    let denied = serde_json::json!([{ "gate": "doNotContact", "reason": "unsubscribed", "since": NOW - HOUR }]);
    for batches in [
        vec![serde_json::json!([demo(NOW - 2 * HOUR), all.clone(), bounce.clone()])],
        vec![serde_json::json!([demo(NOW - 2 * HOUR), all.clone()]), serde_json::json!([bounce.clone()])],
        vec![serde_json::json!([demo(NOW - 2 * HOUR), bounce.clone()]), serde_json::json!([all.clone()])],
    ] {
        let step = next_step(&pb, &fold(&batches), midday);
        assert_eq!((step["sendAt"].clone(), step["gates"].clone()), (serde_json::Value::Null, denied.clone()));
    }
    // A later email subscribe lifts the email opt-out beneath the bounce: the person may be called again.
    let s = fold(&[serde_json::json!([demo(NOW - 2 * HOUR), all, bounce]), serde_json::json!([resubscribed])]);
    assert_eq!(next_step(&pb, &s, midday)["sendAt"], midday);
}
