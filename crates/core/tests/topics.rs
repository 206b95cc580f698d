//! Topic preferences and "only important messages" gate what nurture sends (D5, D27): what the vectors in
//! tests/vectors/topics show for one decision, here across folds, stored bytes and changes of mind.
#![allow(clippy::expect_used, clippy::unwrap_used, clippy::indexing_slicing, missing_docs)]

use rekindle_core::{decide, ContactState, Error, Event, Playbook, Timestamp, Value};
use serde_json::{json, Value as Json};

const NOW: i64 = 1_764_547_200_000; // 2025-12-01T00:00:00Z
const DAY: i64 = 86_400_000;
const ENROL: i64 = NOW - 3 * DAY;

fn playbook(opt_in: bool) -> Playbook {
    let v = json!({ "version": 1, "signals": { "ebook": { "kind": "form_submit", "match": { "form": "ebook" } } },
        "policy": { "topics": { "newsletter": "Newsletter", "product": "Product news" }, "topics_opt_in": opt_in },
        "sequences": { "welcome": { "start": { "ever": "ebook" }, "steps": [
            { "id": "deliver", "channel": "email", "content": "welcome/deliver" },
            { "id": "digest", "after": "1d", "channel": "email", "content": "welcome/digest", "topic": "newsletter" },
            { "id": "tour", "after": "2d", "channel": "email", "content": "welcome/tour", "topic": "product" },
            { "id": "notice", "after": "5d", "channel": "email", "content": "welcome/notice", "topic": "product",
              "important": true } ] } } });
    Playbook::parse(&serde_json::from_value::<Value>(v).unwrap()).unwrap()
}

/// Enrolled at ENROL with `deliver` sent, then `more`.
fn state(pb: &Playbook, more: &[Json]) -> ContactState {
    let mut events = vec![
        json!({ "id": "e", "at": ENROL, "kind": "form_submit", "props": { "form": "ebook" } }),
        json!({ "id": "d", "at": ENROL + 60_000, "kind": "email_sent",
                "props": { "sequence": "welcome", "step": "deliver" } }),
    ];
    events.extend(more.iter().cloned());
    let mut s = ContactState::new();
    s.fold(pb, &Event::parse_list(&serde_json::from_value(Json::Array(events)).unwrap(), "events").unwrap());
    s
}

fn prefs(at: i64, props: Json) -> Json {
    json!({ "id": format!("p{at}"), "at": at, "kind": "preferences", "props": props })
}

/// The decision at `ms` as JSON.
fn decision(pb: &Playbook, s: &ContactState, ms: i64) -> Json {
    serde_json::to_value(decide(pb, s, Timestamp::from_ms(ms).unwrap())).unwrap()
}

/// The next step's id, or "" without one.
fn next(d: &Json) -> String {
    d["nextStep"]["step"].as_str().unwrap_or_default().to_owned()
}

/// (step, the gate that made it unwanted) for every stepSkipped reason, each with exactly one gate.
fn skipped(d: &Json) -> Vec<(String, Json)> {
    let reasons = d["reasons"].as_array().unwrap();
    let skips = reasons.iter().filter(|r| r["kind"] == "stepSkipped");
    skips
        .map(|r| {
            let gates = r["gates"].as_array().unwrap();
            assert_eq!(gates.len(), 1, "one gate per unwanted step: {r}");
            (r["step"].as_str().unwrap().to_owned(), gates[0].clone())
        })
        .collect()
}

#[test]
fn a_topic_opt_out_is_honoured_at_once_and_a_later_fold_agrees() {
    let pb = playbook(false);
    // The contact drops the newsletter at now − 1 h; digest was due at ENROL + 1 d, still unsent.
    let s = state(&pb, &[prefs(NOW - 3_600_000, json!({ "topics": "product" }))]);
    let d = decision(&pb, &s, NOW);
    assert_eq!(next(&d), "tour");
    let gate = json!({ "gate": "topic", "topic": "newsletter", "status": "opted_out" });
    assert_eq!(skipped(&d), [("digest".to_owned(), gate.clone())]);
    // Folding an unrelated later event (and storing the state as bytes) changes nothing about the skip.
    let mut later = ContactState::from_bytes(&s.to_bytes()).unwrap();
    let visit = json!([{ "id": "v", "at": NOW, "kind": "page_view", "props": { "path": "/blog" } }]);
    later.fold(&pb, &Event::parse_list(&serde_json::from_value(visit).unwrap(), "events").unwrap());
    let d2 = decision(&pb, &later, NOW + 1);
    assert_eq!((next(&d2), skipped(&d2)), ("tour".to_owned(), vec![("digest".to_owned(), gate)]));
}

#[test]
fn taking_a_topic_back_brings_its_unsent_steps_back() {
    // Documented (docs/playbook.md § sequences): the choice as it stands decides, so a contact who subscribes
    // to the newsletter again while the run goes on gets the passed-over digest, overdue, first.
    let pb = playbook(false);
    let s = state(
        &pb,
        &[prefs(ENROL + DAY / 2, json!({ "topics": "product" })), prefs(NOW - DAY / 2, json!({ "topics": null }))],
    );
    let d = decision(&pb, &s, NOW);
    assert_eq!(next(&d), "digest");
    assert_eq!(d["nextStep"]["dueAt"], json!(ENROL + DAY));
    assert!(skipped(&d).is_empty());
}

#[test]
fn opt_in_topics_tell_a_choice_of_every_topic_from_no_choice_even_from_stored_bytes() {
    let pb = playbook(true);
    // A frequency choice is no topic choice: topics stay opted out of.
    let s = state(&pb, &[prefs(ENROL + DAY / 2, json!({ "frequency": "weekly" }))]);
    for s in [s.clone(), ContactState::from_bytes(&s.to_bytes()).unwrap()] {
        let d = decision(&pb, &s, NOW);
        let skips: Vec<(String, Json)> = skipped(&d).into_iter().map(|(id, g)| (id, g["status"].clone())).collect();
        let not_opted_in = |id: &str| (id.to_owned(), json!("not_opted_in"));
        // notice, due later, too: it is important, but important lifts only "only important messages".
        assert_eq!(skips, [not_opted_in("digest"), not_opted_in("tour"), not_opted_in("notice")]);
        assert_eq!(next(&d), "", "nothing left to send until a choice");
    }
    // `topics: null` (the preference center's "every topic") is a choice: everything is received.
    let s = state(&pb, &[prefs(ENROL + DAY / 2, json!({ "topics": null }))]);
    for s in [s.clone(), ContactState::from_bytes(&s.to_bytes()).unwrap()] {
        let d = decision(&pb, &s, NOW);
        assert!(skipped(&d).is_empty());
        assert_eq!(next(&d), "digest");
    }
}

#[test]
fn important_only_lets_only_important_steps_through_and_lifting_it_resumes_the_run() {
    let pb = playbook(false);
    let s = state(&pb, &[prefs(ENROL + DAY / 2, json!({ "frequency": "important_only" }))]);
    let d = decision(&pb, &s, NOW);
    // digest and tour are passed over; notice (important) is next, due ENROL + 5 d.
    assert_eq!(next(&d), "notice");
    assert_eq!(d["nextStep"]["dueAt"], json!(ENROL + 5 * DAY));
    let gates: Vec<Json> = skipped(&d).into_iter().map(|(_, g)| g).collect();
    assert_eq!(gates, [json!({ "gate": "importantOnly" }), json!({ "gate": "importantOnly" })]);
    // At its due time it is sent, not denied (the send policy lets an important step through).
    let at_due = decision(&pb, &s, ENROL + 5 * DAY + 9 * 3_600_000);
    assert_eq!(at_due["nextStep"]["gates"], json!([]));
    assert_eq!(at_due["nextStep"]["sendAt"], json!(ENROL + 5 * DAY + 9 * 3_600_000));
    // Back to every message: the regular steps are due again.
    let back = state(
        &pb,
        &[prefs(ENROL + DAY / 2, json!({ "frequency": "important_only" })), prefs(NOW, json!({ "frequency": null }))],
    );
    assert_eq!(next(&decision(&pb, &back, NOW)), "digest");
}

#[test]
fn a_step_topic_is_checked_against_the_declared_topics_at_its_path() {
    let v = json!({ "version": 1, "signals": {}, "policy": { "topics": { "news": "News", "bad id": "Bad", "tips": 1 } },
        "sequences": { "s": { "start": { "stage_at_least": "mql" }, "steps": [
            { "id": "a", "channel": "email", "content": "c", "topic": "newz", "important": "yes" } ] } } });
    let Err(Error::InvalidPlaybook { problems }) = Playbook::parse(&serde_json::from_value::<Value>(v).unwrap()) else {
        panic!("refused as an invalid playbook")
    };
    let found: Vec<(&str, &str)> = problems.iter().map(|p| (p.path.as_str(), p.code.as_str())).collect();
    assert_eq!(
        found,
        [
            ("policy.topics.bad id", "bad_id"),
            ("policy.topics.tips", "wrong_type"),
            ("sequences.s.steps[0].topic", "unknown_reference"),
            ("sequences.s.steps[0].important", "wrong_type"),
        ]
    );
}

#[test]
fn a_run_completed_for_want_of_wanted_steps_stays_completed_when_a_topic_comes_back() {
    // Opt-in topics and no choice: digest, tour and notice are not wanted, so the run completes at notice's due
    // time (ENROL + 5 d: each step counts from enrolment). Days later the contact takes every topic: the run is over, and its
    // steps do not come back as overdue (before, the state did not record the completion: digest was named due
    // at once, a week late).
    let pb = playbook(true);
    let done = ENROL + 5 * DAY;
    let choice = done + 2 * DAY;
    let before = state(&pb, &[prefs(ENROL + DAY / 2, json!({ "frequency": "weekly" }))]);
    let d = decision(&pb, &before, done + DAY);
    assert_eq!(d["sequences"][0]["status"], json!("completed"), "{}", d["sequences"]);
    assert_eq!(d["sequences"][0]["completedAt"], json!(done));
    let after = state(
        &pb,
        &[prefs(ENROL + DAY / 2, json!({ "frequency": "weekly" })), prefs(choice, json!({ "topics": null }))],
    );
    for s in [after.clone(), ContactState::from_bytes(&after.to_bytes()).unwrap()] {
        let d = decision(&pb, &s, choice + 1);
        assert_eq!(d["sequences"][0]["status"], json!("completed"), "{}", d["sequences"]);
        assert_eq!(d["sequences"][0]["completedAt"], json!(done));
        assert_eq!(next(&d), "", "no step of a completed run is due again");
    }
    // The choice folded in a later batch, after the state was stored, gives the same answer.
    let mut later = ContactState::from_bytes(&before.to_bytes()).unwrap();
    let choice_event = json!([prefs(choice, json!({ "topics": null }))]);
    later.fold(&pb, &Event::parse_list(&serde_json::from_value(choice_event).unwrap(), "events").unwrap());
    assert_eq!(decision(&pb, &later, choice + 1)["sequences"], decision(&pb, &after, choice + 1)["sequences"]);
}
