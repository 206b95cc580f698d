//! An opt-out stops a run once no step that could still be sent can reach the contact (DESIGN §7 "Sequences",
//! D13: stop on opt-out; D22, D23: branch rules decide which steps apply). A step its branch rule skipped can
//! no longer be sent, so its channel no longer keeps the run going: an email-only opt-out with the run's SMS
//! step skipped stops it, at the instant the last reachable step became skipped (or at the opt-out, whichever
//! is later), and a decision says so exactly as a later fold records it.
#![allow(clippy::expect_used, clippy::unwrap_used, clippy::indexing_slicing, missing_docs)]

use rekindle_core::{decide, ContactState, Event, Playbook, Timestamp, Value};

const H: i64 = 3_600_000;
/// 2025-11-28T10:00Z: the e-book, so enrolment.
const ENROL: i64 = 1_764_324_000_000;

fn playbook() -> Playbook {
    let text = r#"{ "version": 1,
        "signals": { "ebook": { "kind": "form_submit", "match": { "form": "ebook" } },
                      "attended": { "kind": "webinar_attended" } },
        "policy": { "consent": { "sms": null } },
        "sequences": { "mixed": { "start": { "ever": "ebook" },
          "steps": [ { "id": "mail", "channel": "email", "content": "m/1" },
                     { "id": "text", "after": "1d", "channel": "sms", "when": { "ever": "attended" }, "content": "m/2" },
                     { "id": "mail_again", "after": "3d", "channel": "email", "content": "m/3" } ] } } }"#;
    Playbook::parse(&serde_json::from_str::<Value>(text).unwrap()).unwrap()
}

fn events(list: serde_json::Value) -> Vec<Event> {
    Event::parse_list(&serde_json::from_value::<Value>(list).unwrap(), "events").unwrap()
}

fn ts(ms: i64) -> Timestamp {
    Timestamp::from_ms(ms).unwrap()
}

/// `(status, stoppedAt, stoppedBy, nextStep)` of the only sequence at `now`, as JSON.
fn answer(pb: &Playbook, state: &ContactState, now: i64) -> serde_json::Value {
    let d = decide(pb, state, ts(now));
    let s = serde_json::to_value(&d.sequences[0]).unwrap();
    serde_json::json!([s["status"], s["stoppedAt"], s["stoppedBy"], serde_json::to_value(&d.next_step).unwrap()])
}

fn history(unsubscribe_at: i64) -> Vec<Event> {
    events(serde_json::json!([
        { "at": ENROL, "kind": "form_submit", "props": { "form": "ebook" } },
        { "at": ENROL + 60_000, "kind": "email_sent", "props": { "sequence": "mixed", "step": "mail" } },
        { "at": unsubscribe_at, "kind": "unsubscribe", "props": { "channel": "email" } },
    ]))
}

/// Decided at `now`, and after folding an event nothing reacts to one millisecond later: both say `stopped`.
fn assert_stopped(pb: &Playbook, evs: &[Event], now: i64, at: i64) {
    let mut state = ContactState::new();
    state.fold(pb, evs);
    let expected = serde_json::json!(["stopped", at, "opt_out:email", null]);
    assert_eq!(answer(pb, &state, now), expected, "decided at {now}");
    let mut later = state.clone();
    later.fold(pb, &events(serde_json::json!([{ "at": now + 1, "kind": "custom:noop" }])));
    assert_eq!(answer(pb, &later, now + 1), expected, "folded past {now}");
}

#[test]
fn an_email_opt_out_stops_the_run_when_its_sms_step_is_skipped_by_its_branch() {
    let pb = playbook();
    // Unsubscribed at 12:00, before the SMS step's due time (2025-11-29T10:00Z): the SMS step could still
    // apply then, so the run goes on until its branch is judged false at its due time.
    let evs = history(ENROL + 2 * H);
    let mut state = ContactState::new();
    state.fold(&pb, &evs);
    assert_eq!(answer(&pb, &state, ENROL + 20 * H)[0], "enrolled", "the SMS step may still apply");
    assert_stopped(&pb, &evs, ENROL + 2 * 24 * H, ENROL + 24 * H);
}

#[test]
fn an_email_opt_out_after_the_sms_step_was_skipped_stops_the_run_at_once() {
    let pb = playbook();
    let unsubscribe = ENROL + 30 * H;
    assert_stopped(&pb, &history(unsubscribe), unsubscribe + H, unsubscribe);
}

#[test]
fn an_sms_step_whose_branch_holds_keeps_the_run_going_after_an_email_opt_out() {
    let pb = playbook();
    let mut evs = history(ENROL + 2 * H);
    evs.extend(events(serde_json::json!([{ "at": ENROL + 3 * H, "kind": "webinar_attended" }])));
    let mut state = ContactState::new();
    state.fold(&pb, &evs);
    let a = answer(&pb, &state, ENROL + 2 * 24 * H);
    assert_eq!(a[0], "enrolled");
    assert_eq!(a[3]["step"], "text", "the SMS step applies and SMS can reach the contact");
}
