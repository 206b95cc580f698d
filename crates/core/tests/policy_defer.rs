//! A deferral ends at the earliest instant every send rule allows (DESIGN §7), however many boundaries it has to
//! pass: here a pause, then a cap that frees and fills again with every one of 60 sends already scheduled ahead.
#![allow(clippy::expect_used, clippy::unwrap_used, clippy::indexing_slicing, missing_docs)]

use rekindle_core::{decide, ContactState, Event, Playbook, Timestamp, Value};

const NOW: i64 = 1_764_547_200_000; // 2025-12-01T00:00:00Z
const MINUTE: i64 = 60_000;

fn playbook() -> Playbook {
    let json = r#"{ "version": 1, "signals": {}, "policy": { "caps": [
        { "channel": "any", "max": 1, "per": "30min" }, { "channel": "sms", "max": 32, "per": "1h" } ] } }"#;
    Playbook::parse(&serde_json::from_str::<Value>(json).unwrap()).unwrap()
}

/// A pause until now + 1 h, then 60 sends every 20 minutes from now + 1 h, email and SMS in turn.
fn state(pb: &Playbook) -> ContactState {
    let mut events = vec![serde_json::json!({ "id": "p", "at": NOW, "kind": "preferences",
        "props": { "pause_until": NOW + 60 * MINUTE } })];
    for k in 0..60 {
        let kind = if k % 2 == 0 { "email_sent" } else { "sms_sent" };
        events.push(
            serde_json::json!({ "id": format!("s{k}"), "at": NOW + 60 * MINUTE + k * 20 * MINUTE, "kind": kind }),
        );
    }
    let value: Value = serde_json::from_value(serde_json::Value::Array(events)).unwrap();
    let mut s = ContactState::new();
    s.fold(pb, &Event::parse_list(&value, "events").unwrap());
    s
}

/// The email verdict at `ms`: ("allow" | "defer" | "deny", until).
fn email(pb: &Playbook, s: &ContactState, ms: i64) -> (String, Option<i64>) {
    let d = serde_json::to_value(decide(pb, s, Timestamp::from_ms(ms).unwrap())).unwrap();
    let v = d.get("send").and_then(|s| s.get("email")).unwrap();
    let verdict = v.get("verdict").and_then(serde_json::Value::as_str).unwrap().to_owned();
    (verdict, v.get("until").and_then(serde_json::Value::as_i64))
}

#[test]
fn a_deferral_past_many_boundaries_ends_where_every_rule_allows() {
    let pb = playbook();
    let s = state(&pb);
    let (verdict, until) = email(&pb, &s, NOW);
    assert_eq!(verdict, "defer");
    let until = until.expect("a deferral names its end");
    // The last send is at now + 1 h + 59 × 20 min = now + 20 h 40 min; the any-channel cap frees 30 min later.
    assert_eq!(until, NOW + 60 * MINUTE + 59 * 20 * MINUTE + 30 * MINUTE);
    assert_eq!(email(&pb, &s, until).0, "allow", "allowed where the deferral ends");
    assert_ne!(email(&pb, &s, until - 1).0, "allow", "and not a millisecond before");
    // Earliest: no minute between now and then allows (the 60 sends leave no 30-minute gap).
    for ms in (NOW..until).step_by(usize::try_from(MINUTE).unwrap()) {
        assert_ne!(email(&pb, &s, ms).0, "allow", "allowed at {ms}, before the deferral's end {until}");
    }
}

#[test]
fn quiet_hours_covering_the_whole_day_are_refused() {
    let json = r#"{ "version": 1, "signals": {}, "policy": { "quiet_hours": "00:00-24:00" } }"#;
    let err = Playbook::parse(&serde_json::from_str::<Value>(json).unwrap()).unwrap_err();
    assert_eq!(err.path(), Some("policy.quiet_hours".to_owned()));
    assert!(err.to_string().contains("whole day"), "{err}");
}

/// Quiet hours 08:00-21:30 and the calling hours (no call 21:00-08:00) leave no minute of the day for a call: the
/// call step has no send instant (never a `sendAt` inside either window), and its gates say why. Due at 00:00Z
/// (UTC, no zone), the calling hours hold it until 08:00Z = 1764576000000, where quiet hours take over until 21:30,
/// inside the next night's calling hours, and so on for ever.
#[test]
fn a_call_that_quiet_and_calling_hours_leave_no_time_for_is_never_placed() {
    let json = r#"{ "version": 1, "signals": { "demo": { "kind": "form_submit", "match": { "form": "demo" } } },
        "stages": { "sql": { "any": [{ "signal": "demo", "within": "14d" }] } },
        "policy": { "quiet_hours": "08:00-21:30" },
        "sequences": { "after_sql": { "start": { "stage_at_least": "sql" },
            "steps": [ { "id": "call", "channel": "call", "content": "tasks/call" } ] } } }"#;
    let pb = Playbook::parse(&serde_json::from_str::<Value>(json).unwrap()).unwrap();
    let demo = serde_json::json!([{ "id": "d", "at": NOW, "kind": "form_submit", "props": { "form": "demo" } }]);
    let mut s = ContactState::new();
    s.fold(&pb, &Event::parse_list(&serde_json::from_value::<Value>(demo).unwrap(), "events").unwrap());
    let d = serde_json::to_value(decide(&pb, &s, Timestamp::from_ms(NOW).unwrap())).unwrap();
    let step = d.get("nextStep").unwrap();
    assert_eq!(step.get("step").unwrap(), "call");
    assert_eq!(step.get("sendAt"), Some(&serde_json::Value::Null), "{step}");
    let gates = serde_json::json!([{ "gate": "quietHours", "window": "21:00-08:00", "zone": "UTC",
        "until": 1_764_576_000_000i64 }]);
    assert_eq!(step.get("gates").unwrap(), &gates);
    // Email has its evenings: at 00:00Z it is allowed at once.
    assert_eq!(email(&pb, &s, NOW).0, "allow");
}

/// UTC, quiet hours 21:00–08:00, paused until 2025-12-01T22:00Z: at 12:00Z email is deferred to 08:00Z the next
/// morning because of the pause alone; quiet hours join the reasons at 21:00Z and the pause leaves them at 22:00Z.
fn paused_into_the_night() -> (Playbook, ContactState) {
    let json = r#"{ "version": 1, "signals": {}, "policy": { "quiet_hours": "21:00-08:00" } }"#;
    let pb = Playbook::parse(&serde_json::from_str::<Value>(json).unwrap()).unwrap();
    let events = serde_json::json!([{ "id": "p", "at": NOW - 86_400_000, "kind": "preferences",
        "props": { "pause_until": NOW + 22 * 60 * MINUTE } }]);
    let mut s = ContactState::new();
    s.fold(&pb, &Event::parse_list(&serde_json::from_value::<Value>(events).unwrap(), "events").unwrap());
    (pb, s)
}

fn email_reasons(pb: &Playbook, s: &ContactState, ms: i64) -> (Vec<String>, Option<i64>) {
    let d = decide(pb, s, Timestamp::from_ms(ms).unwrap());
    let v = serde_json::to_value(&d).unwrap();
    let gates = v["send"]["email"]["reasons"].as_array().unwrap().iter();
    (gates.map(|g| g["gate"].as_str().unwrap().to_owned()).collect(), d.valid_until.map(Timestamp::ms))
}

#[test]
fn a_deferral_is_valid_only_until_quiet_hours_join_its_reasons() {
    let (pb, s) = paused_into_the_night();
    let (reasons, valid_until) = email_reasons(&pb, &s, NOW + 12 * 60 * MINUTE);
    assert_eq!(reasons, ["paused"]);
    assert_eq!(valid_until, Some(NOW + 21 * 60 * MINUTE), "was the deferral's end, 08:00Z the next day");
    assert_eq!(email_reasons(&pb, &s, NOW + 21 * 60 * MINUTE).0, ["paused", "quietHours"]);
}

#[test]
fn a_deferral_is_valid_only_until_a_rule_in_its_reasons_stops_holding() {
    let (pb, s) = paused_into_the_night();
    let (reasons, valid_until) = email_reasons(&pb, &s, NOW + 21 * 60 * MINUTE);
    assert_eq!(reasons, ["paused", "quietHours"]);
    assert_eq!(valid_until, Some(NOW + 22 * 60 * MINUTE), "the pause ends at 22:00Z");
    assert_eq!(email_reasons(&pb, &s, NOW + 22 * 60 * MINUTE).0, ["quietHours"]);
}
