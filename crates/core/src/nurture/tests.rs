#![allow(clippy::unwrap_used, clippy::expect_used, clippy::indexing_slicing)]

use alloc::string::String;
use alloc::vec::Vec;

use crate::error::Error;
use crate::explain::{NurtureOutcome, Reason};
use crate::nurture::Status;
use crate::{decide, ContactState, Event, Playbook, Timestamp, Value};

pub(super) const H: i64 = 3_600_000;
pub(super) const D: i64 = 24 * H;
pub(super) const T0: i64 = 1_764_547_200_000; // 2025-12-01T00:00Z

pub(super) fn pb(sequences: &str) -> Playbook {
    let text = format!(
        r#"{{ "version": 1,
        "signals": {{ "ebook": {{ "kind": "form_submit", "match": {{ "form": "ebook" }} }},
                      "purchase": {{ "kind": "purchase" }},
                      "attended": {{ "kind": "webinar_attended" }},
                      "click": {{ "kind": "email_click" }} }},
        "sequences": {sequences} }}"#
    );
    let v: Value = serde_json::from_str(&text).unwrap();
    Playbook::parse(&v).unwrap()
}

pub(super) fn problems(sequences: &str) -> Vec<(String, &'static str)> {
    let text = format!(
        r#"{{ "version": 1, "signals": {{ "ebook": {{ "kind": "form_submit" }} }}, "sequences": {sequences} }}"#
    );
    let v: Value = serde_json::from_str(&text).unwrap();
    match Playbook::parse(&v) {
        Err(Error::InvalidPlaybook { problems }) => {
            problems.iter().map(|p| (p.path.clone(), p.code.as_str())).collect()
        }
        other => panic!("expected an invalid playbook, got {other:?}"),
    }
}

pub(super) fn ev(at: i64, kind: &str, props: &[(&str, &str)]) -> Event {
    let props: Vec<(String, Value)> = props.iter().map(|(k, v)| ((*k).into(), Value::String((*v).into()))).collect();
    let v = Value::Object(alloc::vec![
        ("at".into(), Value::Number(at as f64)),
        ("kind".into(), Value::String(kind.into())),
        ("props".into(), Value::Object(props)),
    ]);
    Event::parse(&v, "e").unwrap()
}

pub(super) fn ts(ms: i64) -> Timestamp {
    Timestamp::from_ms(ms).unwrap()
}

pub(super) fn fold(pb: &Playbook, events: &[Event]) -> ContactState {
    let mut s = ContactState::new();
    s.fold(pb, events);
    s
}

const WELCOME: &str = r#"{ "welcome": { "start": { "signal": "ebook", "within": "1d" }, "stop": [ { "ever": "purchase" } ],
    "steps": [ { "id": "deliver", "channel": "email", "content": "w/1" },
               { "id": "goal", "after": "1d", "channel": "email", "content": "w/2" },
               { "id": "case", "after": "2d", "from": "previous", "channel": "email", "content": "w/3" } ] } }"#;

#[test]
fn steps_fall_due_at_offsets_from_enrolment_and_from_the_previous_send() {
    let pb = pb(WELCOME);
    let ebook = ev(T0 - 10 * H, "form_submit", &[("form", "ebook")]);
    let d = decide(&pb, &fold(&pb, core::slice::from_ref(&ebook)), ts(T0));
    let next = d.next_step.unwrap();
    assert_eq!((next.step.as_str(), next.due_at, next.send_at), ("deliver", ts(T0 - 10 * H), Some(ts(T0))));
    let sent = ev(T0 - 9 * H, "email_sent", &[("sequence", "welcome"), ("step", "deliver")]);
    let d = decide(&pb, &fold(&pb, &[ebook.clone(), sent.clone()]), ts(T0));
    assert_eq!(d.next_step.unwrap().due_at, ts(T0 + 14 * H), "goal: enrolment + 1d");
    let goal = ev(T0 + 15 * H, "email_sent", &[("sequence", "welcome"), ("step", "goal")]);
    let d = decide(&pb, &fold(&pb, &[ebook, sent, goal]), ts(T0 + 16 * H));
    assert_eq!(d.next_step.unwrap().due_at, ts(T0 + 15 * H + 2 * D), "case: the goal send + 2d");
}

#[test]
fn enrolment_lands_on_the_exact_instant_a_condition_becomes_true_between_events() {
    let pb = pb(r#"{ "thanks": { "start": { "first": "purchase", "more_than": "30d" },
        "steps": [ { "id": "feedback", "channel": "email", "content": "p/1" } ] } }"#);
    let buy = ev(T0, "purchase", &[]);
    let later = ev(T0 + 45 * D, "page_view", &[("path", "/")]);
    let folded = fold(&pb, &[buy.clone(), later]);
    assert_eq!(folded.enrolments.iter().next().map(|(_, e)| e).map(|e| e.enrolled_at), Some(ts(T0 + 30 * D)));
    let virtual_only = decide(&pb, &fold(&pb, &[buy]), ts(T0 + 45 * D));
    assert_eq!(virtual_only.sequences[0].enrolled_at, Some(ts(T0 + 30 * D)), "decide agrees with a later fold");
    assert_eq!(virtual_only.sequences[0].status, Status::Enrolled);
}

#[test]
fn a_second_trigger_never_enrols_twice_without_reenrol_after() {
    let pb = pb(WELCOME);
    let s =
        fold(&pb, &[ev(T0, "form_submit", &[("form", "ebook")]), ev(T0 + 10 * D, "form_submit", &[("form", "ebook")])]);
    let e = s.enrolments.iter().next().map(|(_, e)| e).unwrap();
    assert_eq!((e.enrolled_at, e.runs), (ts(T0), 1));
}

#[test]
fn a_completed_run_re_enrols_once_the_cool_down_has_passed_and_the_start_holds() {
    let pb = pb(r#"{ "w": { "start": { "ever": "ebook" }, "reenrol_after": "30d",
        "steps": [ { "id": "one", "channel": "email", "content": "x" } ] } }"#);
    let events =
        [ev(T0, "form_submit", &[("form", "ebook")]), ev(T0 + H, "email_sent", &[("sequence", "w"), ("step", "one")])];
    let d = decide(&pb, &fold(&pb, &events), ts(T0 + 10 * D));
    assert_eq!((d.sequences[0].status, d.sequences[0].completed_at), (Status::Completed, Some(ts(T0 + H))));
    assert_eq!(d.valid_until, Some(ts(T0 + H + 30 * D)), "the re-enrolment is the next change");
    let d = decide(&pb, &fold(&pb, &events), ts(T0 + 40 * D));
    assert_eq!((d.sequences[0].enrolled_at, d.sequences[0].runs), (Some(ts(T0 + H + 30 * D)), 2));
    assert!(d.sequences[0].done_steps.is_empty());
}

#[test]
fn a_stop_condition_ends_the_run_and_says_which() {
    let pb = pb(WELCOME);
    let events = [ev(T0, "form_submit", &[("form", "ebook")]), ev(T0 + 5 * H, "purchase", &[])];
    let d = decide(&pb, &fold(&pb, &events), ts(T0 + D));
    let s = &d.sequences[0];
    assert_eq!(
        (s.status, s.stopped_at, s.stopped_by.as_deref()),
        (Status::Stopped, Some(ts(T0 + 5 * H)), Some("sequences.welcome.stop[0]"))
    );
    assert!(d.next_step.is_none());
    // The reason names the stopped sequence, so a reader need not search `sequences` for it.
    let reason = Reason::NextStep { outcome: NurtureOutcome::Stopped, sequence: Some("welcome".into()), step: None };
    assert!(d.reasons.contains(&reason), "{:?}", d.reasons);
}

#[test]
fn inactivity_stops_the_run_exactly_when_the_silence_elapses() {
    let pb = pb(r#"{ "w": { "start": { "ever": "ebook" }, "inactive_stop": "60d",
        "steps": [ { "id": "one", "channel": "email", "content": "x" }, { "id": "two", "after": "90d", "channel": "email", "content": "y" } ] } }"#);
    let events = [ev(T0, "form_submit", &[("form", "ebook")]), ev(T0 + 20 * D, "email_click", &[])];
    let folded = fold(&pb, &[events[0].clone(), events[1].clone(), ev(T0 + 100 * D, "page_view", &[("path", "/")])]);
    assert_eq!(folded.enrolments.iter().next().map(|(_, e)| e).unwrap().stopped_at, Some(ts(T0 + 80 * D)));
    let d = decide(&pb, &fold(&pb, &events), ts(T0 + 100 * D));
    assert_eq!(
        (d.sequences[0].stopped_at, d.sequences[0].stopped_by.as_deref()),
        (Some(ts(T0 + 80 * D)), Some("inactive"))
    );
}

#[test]
fn an_opt_out_stops_only_when_no_remaining_channel_can_reach_the_contact() {
    let seq = r#"{ "w": { "start": { "ever": "ebook" }, "steps": [
        { "id": "mail", "channel": "email", "content": "x" }, { "id": "text", "after": "1d", "channel": "sms", "content": "y" } ] } }"#;
    let pb = pb(seq);
    let base = [ev(T0, "form_submit", &[("form", "ebook")]), ev(T0 + H, "unsubscribe", &[("channel", "email")])];
    let d = decide(&pb, &fold(&pb, &base), ts(T0 + 2 * H));
    assert_eq!(d.sequences[0].status, Status::Enrolled, "sms is still reachable");
    assert_eq!(
        d.next_step.as_ref().map(|n| (n.step.as_str(), n.send_at)),
        Some(("mail", None)),
        "the email step is denied"
    );
    let mut all = base.to_vec();
    all.push(ev(T0 + 2 * H, "unsubscribe", &[("channel", "sms")]));
    let d = decide(&pb, &fold(&pb, &all), ts(T0 + 3 * H));
    assert_eq!(d.sequences[0].stopped_by.as_deref(), Some("opt_out:email,sms"));
}

#[test]
fn a_branch_rule_is_judged_at_the_step_due_time() {
    let pb = pb(r#"{ "web": { "start": { "ever": "ebook" }, "steps": [
        { "id": "consult", "after": "2d", "when": { "ever": "attended" }, "channel": "email", "content": "c" },
        { "id": "highlights", "after": "2d", "when": { "never": "attended" }, "channel": "email", "content": "h" } ] } }"#);
    let reg = ev(T0, "form_submit", &[("form", "ebook")]);
    let attended_late = ev(T0 + 3 * D, "webinar_attended", &[]);
    let d = decide(&pb, &fold(&pb, &[reg.clone(), attended_late]), ts(T0 + 4 * D));
    assert_eq!(d.next_step.map(|n| n.step), Some("highlights".into()), "attending after the due time is a no-show");
    assert!(d.reasons.iter().any(|r| matches!(r, Reason::StepSkipped { step, .. } if step == "consult")));
    let d = decide(&pb, &fold(&pb, &[reg, ev(T0 + D, "webinar_attended", &[])]), ts(T0 + 4 * D));
    assert_eq!(d.next_step.map(|n| n.step), Some("consult".into()));
}

#[test]
fn sequence_problems_are_located() {
    let p = problems(
        r#"{ "w": { "start": { "segment": "nope" }, "steps": [
        { "id": "a", "channel": "fax", "content": "x" }, { "id": "a", "channel": "email", "content": "" },
        { "channel": "email", "content": "y", "from": "start" } ] } }"#,
    );
    for (path, code) in [
        ("sequences.w.start.segment", "unknown_reference"),
        ("sequences.w.steps[0].channel", "out_of_range"),
        ("sequences.w.steps[1].id", "duplicate_id"),
        ("sequences.w.steps[1].content", "out_of_range"),
        ("sequences.w.steps[2].id", "missing_field"),
        ("sequences.w.steps[2].from", "unknown_reference"),
    ] {
        assert!(p.contains(&(path.into(), code)), "{path} {code} missing from {p:?}");
    }
    assert_eq!(
        problems(r#"{ "w": { "start": { "ever": "ebook" }, "steps": [] } }"#),
        [("sequences.w.steps".into(), "out_of_range")]
    );
}

/// A fold asks, at each event, which time-driven transitions fell between the previous event and this one; the
/// lifecycle's chain of phases is followed only up to the event (the search is bounded by it), never past it.
/// Folding one event at a time, all at once, or deciding later must agree on the instant.
#[test]
fn a_run_starting_on_a_lifecycle_phase_enrols_when_the_phase_began_between_events_however_folded() {
    let pb = pb(r#"{ "winback": { "start": { "lifecycle": "soft_reactivation" },
        "stop": [ { "not": { "lifecycle": "soft_reactivation" } } ],
        "steps": [ { "id": "one", "channel": "email", "content": "x" } ] } }"#);
    let click = ev(T0, "email_click", &[]);
    let near = ev(T0 + 10 * D, "email_sent", &[]);
    let far = ev(T0 + 185 * D, "email_sent", &[]);
    let enrolled = |s: &ContactState| s.enrolments.iter().next().map(|(_, e)| (e.enrolled_at, e.stopped_at));
    // Nothing happens before the next event: no candidate past it is looked at, and none is recorded.
    assert_eq!(enrolled(&fold(&pb, &[click.clone(), near.clone()])), None);
    let mut one_by_one = ContactState::new();
    for e in [&click, &near, &far] {
        one_by_one.fold(&pb, core::slice::from_ref(e));
    }
    let batch = fold(&pb, &[click.clone(), near.clone(), far]);
    assert_eq!(
        enrolled(&one_by_one),
        Some((ts(T0 + 180 * D), None)),
        "cooling at 90 d, cold and reactivation at 180 d"
    );
    assert_eq!(one_by_one, batch);
    let d = decide(&pb, &fold(&pb, &[click, near]), ts(T0 + 185 * D));
    assert_eq!(d.sequences[0].enrolled_at, Some(ts(T0 + 180 * D)), "decide agrees with the folds");
}

#[test]
fn a_late_send_of_an_earlier_run_does_not_stand_in_for_the_current_run() {
    // Run 1 enrols at the ebook (T0) and completes at its send (T0 + 1 h); run 2 enrols 30 d later. A second
    // export of run 1's send arrives after that: it belongs to run 1, so run 2's own send of the step, folded next,
    // must still mark run 2's step done, or the step is asked for again (D22).
    let pb = pb(r#"{ "reminder": { "start": { "ever": "ebook" }, "reenrol_after": "30d",
        "steps": [ { "id": "nudge", "channel": "email", "content": "c/nudge" } ] } }"#);
    let sent = |at| ev(at, "email_sent", &[("sequence", "reminder"), ("step", "nudge")]);
    let run2 = T0 + H + 30 * D;
    let mut s = fold(&pb, &[ev(T0, "form_submit", &[("form", "ebook")])]);
    s.fold(&pb, &[sent(T0 + H)]);
    s.fold(&pb, &[ev(run2 + D, "page_view", &[("path", "/")])]);
    s.fold(&pb, &[sent(T0 + H)]); // the late duplicate export of run 1's send
    s.fold(&pb, &[sent(run2 + 2 * D)]);
    let d = decide(&pb, &s, ts(run2 + 3 * D));
    let seq = &d.sequences[0];
    assert_eq!((seq.runs, seq.status, seq.completed_at), (2, Status::Completed, Some(ts(run2 + 2 * D))));
    assert_eq!(d.next_step, None);
}

#[test]
fn a_run_stopped_by_an_open_deal_still_says_so_after_the_deal_is_lost() {
    // D20's sales follow-up: the stop on an open deal fired; the deal lost a week later must not erase why (the
    // state keeps only the latest deal status, so re-judging the stop at its instant read "lost").
    let pb = pb(r#"{ "sales": { "start": { "ever": "ebook" }, "stop": [ { "deal": "open" } ],
        "steps": [ { "id": "one", "channel": "email", "content": "x" },
                   { "id": "two", "after": "10d", "channel": "email", "content": "y" } ] } }"#);
    let events = [
        ev(T0, "form_submit", &[("form", "ebook")]),
        ev(T0 + D, "sales_status", &[("status", "open")]),
        ev(T0 + 8 * D, "sales_status", &[("status", "lost")]),
    ];
    let state = fold(&pb, &events);
    for state in [state.clone(), ContactState::from_bytes(&state.to_bytes()).unwrap()] {
        let s = &decide(&pb, &state, ts(T0 + 9 * D)).sequences[0];
        assert_eq!(
            (s.status, s.stopped_at, s.stopped_by.as_deref()),
            (Status::Stopped, Some(ts(T0 + D)), Some("sequences.sales.stop[0]"))
        );
    }
}

#[test]
fn a_send_after_the_run_completed_neither_joins_it_nor_delays_the_re_enrolment() {
    // `two` is skipped at its due time (no webinar), which completes the run at T0 + 1d; a late manual send of it
    // on day 2 is no step of a run that had ended, so the 3-day cool-down still ends on day 4.
    let pb = pb(r#"{ "w": { "start": { "ever": "ebook" }, "reenrol_after": "3d",
        "steps": [ { "id": "one", "channel": "email", "content": "x" },
                   { "id": "two", "after": "1d", "when": { "ever": "attended" }, "channel": "email", "content": "y" } ] } }"#);
    let events = [
        ev(T0, "form_submit", &[("form", "ebook")]),
        ev(T0 + H, "email_sent", &[("sequence", "w"), ("step", "one")]),
        ev(T0 + 2 * D, "email_sent", &[("sequence", "w"), ("step", "two")]),
    ];
    let state = fold(&pb, &events);
    let s = &decide(&pb, &state, ts(T0 + 3 * D)).sequences[0];
    assert_eq!(
        (s.status, s.completed_at, s.done_steps.clone()),
        (Status::Completed, Some(ts(T0 + D)), vec!["one".into()])
    );
    let s = &decide(&pb, &state, ts(T0 + 4 * D)).sequences[0];
    assert_eq!((s.status, s.enrolled_at, s.runs), (Status::Enrolled, Some(ts(T0 + 4 * D)), 2));
}

#[test]
fn a_send_after_the_run_stopped_is_not_one_of_its_steps() {
    let pb = pb(WELCOME);
    let events = [
        ev(T0, "form_submit", &[("form", "ebook")]),
        ev(T0 + 5 * H, "purchase", &[]),
        ev(T0 + D, "email_sent", &[("sequence", "welcome"), ("step", "goal")]),
    ];
    let s = &decide(&pb, &fold(&pb, &events), ts(T0 + 2 * D)).sequences[0];
    assert_eq!((s.status, s.stopped_at, s.done_steps.len()), (Status::Stopped, Some(ts(T0 + 5 * H)), 0));
}

#[test]
fn a_first_send_stamped_with_the_start_that_leaves_only_an_opted_out_channel_stops_the_run_at_once() {
    // Email was unsubscribed before the run began; its SMS step went out in the start's millisecond, so from that
    // instant every step left is an email: the run stops there, as one whose stop holds when it starts.
    let pb = pb(r#"{ "w": { "start": { "ever": "ebook" },
        "steps": [ { "id": "text", "channel": "sms", "content": "x" },
                   { "id": "mail", "after": "1d", "channel": "email", "content": "y" } ] } }"#);
    let events = [
        ev(T0 - D, "unsubscribe", &[("channel", "email")]),
        ev(T0, "form_submit", &[("form", "ebook")]),
        ev(T0, "sms_sent", &[("sequence", "w"), ("step", "text")]),
    ];
    let d = decide(&pb, &fold(&pb, &events), ts(T0 + H));
    let s = &d.sequences[0];
    assert_eq!(
        (s.status, s.stopped_at, s.stopped_by.as_deref(), s.done_steps.clone()),
        (Status::Stopped, Some(ts(T0)), Some("opt_out:email"), vec![String::from("text")])
    );
    assert!(d.next_step.is_none());
}

#[test]
fn a_run_stopped_as_it_began_names_only_the_channels_its_steps_still_needed_after_its_first_send() {
    let pb = pb(r#"{ "w": { "start": { "ever": "ebook" },
        "steps": [ { "id": "text", "channel": "sms", "content": "x" },
                   { "id": "mail", "after": "1d", "channel": "email", "content": "y" } ] } }"#);
    let events = [
        ev(T0 - D, "unsubscribe", &[("channel", "email")]),
        ev(T0 - D, "unsubscribe", &[("channel", "sms")]),
        ev(T0, "form_submit", &[("form", "ebook")]),
        ev(T0, "sms_sent", &[("sequence", "w"), ("step", "text")]),
    ];
    let s = &decide(&pb, &fold(&pb, &events), ts(T0 + H)).sequences[0];
    assert_eq!((s.stopped_at, s.stopped_by.as_deref()), (Some(ts(T0)), Some("opt_out:email")));
}

#[test]
fn a_run_whose_only_step_went_out_with_its_start_completes_even_with_that_channel_opted_out_since() {
    // SMS was unsubscribed before; the one SMS step was still sent in the start's millisecond (the ESP had it
    // queued): nothing is left to stop, so the run completed there rather than stopping for the opt-out.
    let pb = pb(r#"{ "w": { "start": { "ever": "ebook" },
        "steps": [ { "id": "text", "channel": "sms", "content": "x" } ] } }"#);
    let events = [
        ev(T0 - D, "unsubscribe", &[("channel", "sms")]),
        ev(T0, "form_submit", &[("form", "ebook")]),
        ev(T0, "sms_sent", &[("sequence", "w"), ("step", "text")]),
    ];
    let s = &decide(&pb, &fold(&pb, &events), ts(T0 + H)).sequences[0];
    assert_eq!((s.status, s.completed_at, s.stopped_by.as_deref()), (Status::Completed, Some(ts(T0)), None));
}
