//! A step timed `from` a named earlier step (D34): how the name is resolved, every refusal, and the instant the
//! step counts from — the named step's send, or its due time when it was not sent.
#![allow(clippy::unwrap_used, clippy::expect_used, clippy::indexing_slicing)]

use alloc::string::String;
use alloc::vec::Vec;

use super::tests::{ev, fold, pb, problems, ts, D, H, T0};
use super::Anchor;
use crate::error::Error;
use crate::{decide, Playbook, Value};

/// The problems of a playbook with these sequences, with their messages.
fn refusals(sequences: &str) -> Vec<(String, &'static str, String)> {
    let text = format!(
        r#"{{ "version": 1, "signals": {{ "ebook": {{ "kind": "form_submit" }} }}, "sequences": {sequences} }}"#
    );
    match Playbook::parse(&serde_json::from_str::<Value>(&text).unwrap()) {
        Err(Error::InvalidPlaybook { problems }) => {
            problems.iter().map(|p| (p.path.clone(), p.code.as_str(), p.message.clone())).collect()
        }
        other => panic!("expected an invalid playbook, got {other:?}"),
    }
}

/// A sequence whose third step (`c`) is timed from `from`, the JSON text of its value.
fn third_from(from: &str) -> String {
    format!(
        r#"{{ "w": {{ "start": {{ "ever": "ebook" }}, "steps": [
        {{ "id": "a", "channel": "email", "content": "a" }}, {{ "id": "b", "after": "1d", "channel": "email", "content": "b" }},
        {{ "id": "c", "after": "2d", "from": {from}, "channel": "email", "content": "c" }},
        {{ "id": "d", "after": "3d", "channel": "email", "content": "d" }} ] }} }}"#
    )
}

#[test]
fn from_resolves_to_an_earlier_step_index_and_the_keywords_stay() {
    for (from, anchor) in [
        (r#""a""#, Anchor::Step(0)),
        (r#""b""#, Anchor::Step(1)),
        (r#""enrolment""#, Anchor::Enrolment),
        (r#""previous""#, Anchor::Previous),
    ] {
        let pb = pb(&third_from(from));
        assert_eq!(pb.sequences[0].steps[2].from, anchor, "from {from}");
    }
    let pb = pb(&third_from(r#""a""#));
    assert_eq!(pb.sequences[0].steps[3].from, Anchor::Enrolment, "absent is enrolment");
}

#[test]
fn a_step_named_like_a_keyword_cannot_be_named_the_keyword_wins() {
    let pb = pb(r#"{ "w": { "start": { "ever": "ebook" }, "steps": [
        { "id": "previous", "channel": "email", "content": "p" },
        { "id": "enrolment", "after": "1d", "channel": "email", "content": "e" },
        { "id": "x", "after": "1d", "from": "previous", "channel": "email", "content": "x" },
        { "id": "y", "after": "1d", "from": "enrolment", "channel": "email", "content": "y" } ] } }"#);
    let steps = &pb.sequences[0].steps;
    assert_eq!((steps[2].from, steps[3].from), (Anchor::Previous, Anchor::Enrolment));
    // Seen in the due times: "x" counts from "enrolment" (the step before it), not from the step "previous".
    let state = fold(
        &pb,
        &[
            ev(T0, "form_submit", &[("form", "ebook")]),
            ev(T0 + H, "email_sent", &[("sequence", "w"), ("step", "previous")]),
            ev(T0 + D + 2 * H, "email_sent", &[("sequence", "w"), ("step", "enrolment")]),
        ],
    );
    let next = decide(&pb, &state, ts(T0 + 2 * D)).next_step.unwrap();
    assert_eq!((next.step.as_str(), next.due_at), ("x", ts(T0 + 2 * D + 2 * H)));
}

#[test]
fn from_an_unknown_step_is_an_unknown_reference_at_from() {
    let p = refusals(&third_from(r#""welcome""#));
    assert_eq!(p.len(), 1, "{p:?}");
    assert_eq!((p[0].0.as_str(), p[0].1), ("sequences.w.steps[2].from", "unknown_reference"));
    assert!(p[0].2.contains("an earlier step") && p[0].2.contains("\"welcome\""), "{}", p[0].2);
}

#[test]
fn from_the_step_itself_or_a_later_step_is_refused_saying_only_earlier_steps_count() {
    for (from, says) in [(r#""c""#, "is the step itself (steps[2])"), (r#""d""#, "is a later step (steps[3])")] {
        let p = refusals(&third_from(from));
        assert_eq!(p.len(), 1, "{p:?}");
        assert_eq!((p[0].0.as_str(), p[0].1), ("sequences.w.steps[2].from", "unknown_reference"));
        assert!(p[0].2.contains(says) && p[0].2.contains("only an earlier step"), "{}", p[0].2);
    }
}

#[test]
fn from_that_is_not_text_is_wrong_type() {
    for from in ["0", "true", r#"["a"]"#, r#"{ "step": "a" }"#, "null"] {
        assert_eq!(
            problems(&third_from(from)),
            [(String::from("sequences.w.steps[2].from"), "wrong_type")],
            "from {from}"
        );
    }
}

/// A four-step welcome series: the last step counts 7 days from the welcome email, whichever step came between.
const SERIES: &str = r#"{ "welcome": { "start": { "ever": "ebook" }, "steps": [
    { "id": "welcome", "after": "1h", "when": { "never": "attended" }, "channel": "email", "content": "w" },
    { "id": "tip", "after": "1d", "channel": "email", "content": "t" },
    { "id": "case", "after": "2d", "from": "previous", "channel": "email", "content": "c" },
    { "id": "offer", "after": "7d", "from": "welcome", "channel": "email", "content": "o" } ] } }"#;

fn sent(step: &str, at: i64) -> crate::Event {
    ev(at, "email_sent", &[("sequence", "welcome"), ("step", step)])
}

#[test]
fn a_step_from_the_first_email_counts_from_its_send_not_from_the_steps_between() {
    let pb = pb(SERIES);
    // Enrolled at T0; welcome due T0 + 1h, sent at T0 + 3h (late); tip and case sent, case much later.
    let events = [
        ev(T0, "form_submit", &[("form", "ebook")]),
        sent("welcome", T0 + 3 * H),
        sent("tip", T0 + D),
        sent("case", T0 + 5 * D),
    ];
    let next = decide(&pb, &fold(&pb, &events), ts(T0 + 6 * D)).next_step.unwrap();
    // Welcome's send + 7 d (not enrolment + 7 d = T0 + 7d, nor case's send + 7 d = T0 + 12 d).
    assert_eq!((next.step.as_str(), next.due_at), ("offer", ts(T0 + 3 * H + 7 * D)));
}

#[test]
fn a_step_from_a_skipped_step_counts_from_its_due_time() {
    let pb = pb(SERIES);
    // Attended before welcome's due time (T0 + 1h): the branch skips it; its due time anchors "offer".
    let events = [
        ev(T0, "form_submit", &[("form", "ebook")]),
        ev(T0 + 30 * 60_000, "webinar_attended", &[]),
        sent("tip", T0 + D + 4 * H),
        sent("case", T0 + 4 * D),
    ];
    let next = decide(&pb, &fold(&pb, &events), ts(T0 + 5 * D)).next_step.unwrap();
    assert_eq!((next.step.as_str(), next.due_at), ("offer", ts(T0 + H + 7 * D)));
}

#[test]
fn a_step_from_an_unsent_step_waits_for_it() {
    let pb = pb(SERIES);
    // Welcome due and not sent: it is the next step, however late; "offer" is not reached before it.
    let events = [ev(T0, "form_submit", &[("form", "ebook")]), sent("tip", T0 + D), sent("case", T0 + 3 * D)];
    let next = decide(&pb, &fold(&pb, &events), ts(T0 + 9 * D)).next_step.unwrap();
    assert_eq!((next.step.as_str(), next.due_at), ("welcome", ts(T0 + H)));
}
