//! Mistakes a marketer makes that a playbook once took without a word: settings that can never take effect
//! (a bar above the highest score, a match no event can meet, a purpose no consent event can name), a
//! suppression the fallback would ignore, and points so large the scores became NaN. Each is refused at its
//! path with what to write instead.
#![allow(clippy::expect_used, clippy::panic, clippy::indexing_slicing)] // test setup: a failure aborts the test

use rekindle_core::{Error, Playbook, Value};
use serde_json::{json, Value as Json};

/// examples/playbooks/saas.json with `change` applied.
fn saas(change: impl FnOnce(&mut Json)) -> Json {
    let path = std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("../../examples/playbooks/saas.json");
    let mut pb: Json = serde_json::from_str(&std::fs::read_to_string(path).expect("saas.json")).expect("JSON");
    change(&mut pb);
    pb
}

/// `(path, code, message)` of every problem, in order.
fn problems(pb: &Json) -> Vec<(String, String, String)> {
    let value: Value = serde_json::from_value(pb.clone()).expect("a Value");
    match Playbook::parse(&value) {
        Ok(_) => Vec::new(),
        Err(Error::InvalidPlaybook { problems }) => {
            problems.into_iter().map(|p| (p.path, p.code.as_str().to_owned(), p.message)).collect()
        }
        Err(other) => panic!("not a playbook error: {other}"),
    }
}

/// The one problem `pb` has.
fn one(pb: &Json) -> (String, String, String) {
    let found = problems(pb);
    assert_eq!(found.len(), 1, "{found:?}");
    found.into_iter().next().expect("one")
}

/// `points: 1e308` on two rules summed to infinity (and with a −1e308 rule to NaN): the decision printed
/// `"intent": null`, and NaN compared as hot.
#[test]
fn points_too_large_to_add_up_are_refused() {
    let (path, code, message) = one(&saas(|pb| pb["scores"]["intent"]["rules"][0]["points"] = json!(1e308)));
    assert_eq!((path.as_str(), code.as_str()), ("scores.intent.rules[0].points", "out_of_range"));
    assert!(message.contains("expected points from -1000000 to 1000000, got"), "{message}");
    let (path, ..) = one(&saas(|pb| pb["scores"]["fit"]["rules"][0]["points"] = json!(-2e9)));
    assert_eq!(path, "scores.fit.rules[0].points");
    let (path, ..) = one(&saas(|pb| pb["scores"]["intent"]["rules"][0]["cap"] = json!(1e300)));
    assert_eq!(path, "scores.intent.rules[0].cap");
    assert!(problems(&saas(|pb| pb["scores"]["fit"]["rules"][0]["points"] = json!(-1_000_000))).is_empty());
}

/// Readiness `hot: 140` with `scores.intent.max: 100` never turns hot, and an MQL minimum above the fit that
/// the rules can give never qualifies anyone.
#[test]
fn a_threshold_above_the_highest_score_is_refused() {
    let (path, code, message) = one(&saas(|pb| pb["stages"]["readiness"]["hot"] = json!(140)));
    assert_eq!((path.as_str(), code.as_str()), ("stages.readiness.hot", "threshold_order"));
    assert!(message.contains("hot (140) is above the highest intent score (100, scores.intent.max)"), "{message}");
    // Fit: max 50.
    let (path, _, message) = one(&saas(|pb| pb["stages"]["mql"]["min"]["fit"] = json!(60)));
    assert_eq!(path, "stages.mql.min.fit");
    assert!(message.contains("fit (60) is above the highest fit score (50"), "{message}");
    // Without a max, fit is bounded by the sum of its positive points (20 + 10 + 15 + 10 + 10 = 65).
    let found = one(&saas(|pb| {
        pb["scores"]["fit"].as_object_mut().expect("fit").remove("max");
        pb["stages"]["sql"]["min"] = json!({ "fit": 66 });
    }));
    assert_eq!(found.0, "stages.sql.min.fit", "{found:?}");
    assert!(found.2.contains("(65, the sum of the positive points)"), "{}", found.2);
    // Total: 50 + 100.
    let (path, ..) = one(&saas(|pb| pb["stages"]["sql"]["min"]["total"] = json!(151)));
    assert_eq!(path, "stages.sql.min.total");
    // Reachable exactly, or unbounded (an uncapped intent rule without a max), is fine.
    assert!(problems(&saas(|pb| pb["stages"]["readiness"]["hot"] = json!(100))).is_empty());
    assert!(problems(&saas(|pb| {
        pb["scores"]["intent"].as_object_mut().expect("intent").remove("max");
        pb["scores"]["intent"]["rules"][0].as_object_mut().expect("rule").remove("cap");
        pb["stages"]["readiness"]["hot"] = json!(1000);
    }))
    .is_empty());
}

/// `"status": "closed_lost"` (HubSpot's word) on a sales_status signal: rekindle refuses any other status than
/// open, won, lost, disqualified when it reads the event, so the signal could never match.
#[test]
fn a_match_no_value_of_a_closed_prop_can_meet_is_refused() {
    let (path, code, message) = one(&saas(|pb| pb["signals"]["deal_lost"]["match"]["status"] = json!("closed_lost")));
    assert_eq!((path.as_str(), code.as_str()), ("signals.deal_lost.match.status", "out_of_range"));
    assert!(message.contains("open, won, lost, disqualified"), "{message}");
    let (path, ..) = one(&saas(|pb| pb["signals"]["x"] = json!({ "kind": "email_bounce", "match": { "type": 1 } })));
    assert_eq!(path, "signals.x.match.type");
    for fine in [json!("Lost"), json!("*lost"), json!("*")] {
        assert!(problems(&saas(|pb| pb["signals"]["deal_lost"]["match"]["status"] = fine.clone())).is_empty());
    }
}

/// The default is shown when no candidate is eligible, and then its `unless` is not read: a default "book a
/// demo" with `unless: open deal` went to contacts with an open deal.
#[test]
fn a_default_cta_with_an_unless_is_refused() {
    let (path, code, message) = one(&saas(|pb| pb["ctas"]["default"] = json!("book_demo")));
    assert_eq!((path.as_str(), code.as_str()), ("ctas.default", "out_of_range"));
    assert!(message.contains("has an unless"), "{message}");
    // A default with only a `when` is meaningful: it wins in its place when the `when` holds, and is the fallback.
    assert!(problems(&saas(|pb| pb["ctas"]["default"] = json!("comparison"))).is_empty());
}

/// A candidate with neither `when` nor `unless` is always eligible: placed before others, it hid them for every
/// contact (D17: a "newsletter" first meant no contact ever saw "book a demo").
#[test]
fn a_cta_that_always_wins_before_others_is_refused() {
    let (path, code, message) = one(&saas(|pb| {
        let list = pb["ctas"]["candidates"].as_array_mut().expect("candidates");
        list.insert(1, json!({ "id": "newsletter", "variant": "cta/newsletter" }));
    }));
    assert_eq!((path.as_str(), code.as_str()), ("ctas.candidates[1]", "out_of_range"));
    assert!(
        message.contains(
            "\"newsletter\" has neither when nor unless, so it is always eligible and the candidates after it \
             (\"data_review\", \"case_study\", \"comparison\", \"checklist\") are never shown"
        ),
        "{message}"
    );
    // Last, it is a catch-all that hides nothing; with an unless it is not always eligible.
    assert!(problems(&saas(|pb| {
        let list = pb["ctas"]["candidates"].as_array_mut().expect("candidates");
        list.push(json!({ "id": "newsletter" }));
    }))
    .is_empty());
    assert!(problems(&saas(|pb| {
        let list = pb["ctas"]["candidates"].as_array_mut().expect("candidates");
        list.insert(0, json!({ "id": "newsletter", "unless": { "stage": "customer" } }));
    }))
    .is_empty());
}

/// A `score` condition beyond the highest score the rules can give never holds: the segment (or CTA, or
/// sequence rule) it sits in was quietly empty (D18).
#[test]
fn a_score_condition_beyond_the_highest_score_is_refused() {
    let segment = |cond: Json| {
        saas(move |pb| pb["segments"]["unreachable"] = json!({ "when": { "all": [ { "stage": "lead" }, cond ] } }))
    };
    // Fit: max 50.
    let (path, code, message) = one(&segment(json!({ "score": "fit", "op": "ge", "value": 60 })));
    assert_eq!((path.as_str(), code.as_str()), ("segments.unreachable.when.all[1].value", "threshold_order"));
    assert!(
        message
            .contains("at least 60 is beyond the highest fit score (50, scores.fit.max): this condition never holds"),
        "{message}"
    );
    // Above the top itself never holds; at least the top does.
    let (path, _, message) = one(&segment(json!({ "score": "total", "op": "gt", "value": 150 })));
    assert_eq!(path, "segments.unreachable.when.all[1].value");
    assert!(message.contains("above 150 is beyond the highest total score (150"), "{message}");
    assert!(problems(&segment(json!({ "score": "total", "op": "ge", "value": 150 }))).is_empty());
    // Upper bounds always hold there; harmless, so not refused. Nor is anything over an unbounded intent.
    assert!(problems(&segment(json!({ "score": "fit", "op": "le", "value": 500 }))).is_empty());
    let unbounded = saas(|pb| {
        pb["scores"]["intent"].as_object_mut().expect("intent").remove("max");
        pb["scores"]["intent"]["rules"][0].as_object_mut().expect("rule").remove("cap");
        pb["segments"]["unreachable"] = json!({ "when": { "score": "intent", "op": "ge", "value": 1000 } });
    });
    assert!(problems(&unbounded).is_empty());
    // In a CTA's when, too.
    let (path, ..) = one(&saas(|pb| pb["ctas"]["candidates"][0]["when"]["all"][1]["value"] = json!(51)));
    assert_eq!(path, "ctas.candidates[0].when.all[1].value");
}

/// A consent event needs a purpose of 1–64 characters: an empty purpose could never be granted, so the channel
/// was denied for every contact.
#[test]
fn an_empty_consent_purpose_is_refused() {
    let (path, code, _) = one(&saas(|pb| pb["policy"]["consent"] = json!({ "email": "" })));
    assert_eq!((path.as_str(), code.as_str()), ("policy.consent.email", "out_of_range"));
    assert!(problems(&saas(|pb| pb["policy"]["consent"] = json!({ "email": null }))).is_empty());
}

/// Anniversaries are 365 days apart: a window of 365 d or more holds every day after the first year.
#[test]
fn an_anniversary_window_of_a_year_or_more_is_refused() {
    let seg = |within: &str| {
        saas(|pb| pb["segments"]["t"] = json!({ "when": { "anniversary": "purchase", "within": within } }))
    };
    let (path, code, message) = one(&seg("365d"));
    assert_eq!((path.as_str(), code.as_str()), ("segments.t.when.within", "out_of_range"));
    assert!(message.contains("\"first\""), "{message}");
    assert!(problems(&seg("364d")).is_empty());
}

/// A key, condition, signal or segment one or two letters off a known one names it; the list of what is
/// accepted stays at the end of the message.
#[test]
fn a_name_one_letter_off_names_the_one_meant() {
    let found = one(&saas(|pb| pb["lifecycle"]["cooling_afer"] = json!("10d")));
    assert_eq!(found.0, "lifecycle.cooling_afer");
    assert!(
        found.2.starts_with(
            "unknown field \"cooling_afer\" (did you mean \"cooling_after\"?); expected one of sales_cycle,"
        ),
        "{}",
        found.2
    );
    let found = one(&saas(|pb| pb["segments"]["t"] = json!({ "when": { "sigal": "pricing_visit", "within": "7d" } })));
    assert!(
        found.2.starts_with("unknown condition \"sigal\" (did you mean \"signal\"?); expected one of"),
        "{}",
        found.2
    );
    let found = one(&saas(|pb| pb["segments"]["t"] = json!({ "when": { "ever": "pricing_vist" } })));
    assert_eq!(found.0, "segments.t.when.ever");
    assert!(found.2.contains("unknown signal \"pricing_vist\" (did you mean \"pricing_visit\"?)"), "{}", found.2);
    let found = one(&saas(|pb| pb["ctas"]["candidates"][1]["unless"] = json!({ "segment": "pricing_intnet" })));
    assert_eq!(found.0, "ctas.candidates[1].unless.segment");
    assert!(found.2.contains("(did you mean \"pricing_intent\"?)"), "{}", found.2);
    // Nothing close: no guess.
    let found = one(&saas(|pb| pb["lifecycle"]["zz_probe"] = json!(1)));
    assert!(found.2.starts_with("unknown field \"zz_probe\"; expected one of"), "{}", found.2);
}

/// `"per": 7` said only "expected a string, got a number": the unit is what is missing.
#[test]
fn a_duration_written_as_a_number_asks_for_its_unit() {
    let (path, code, message) = one(&saas(|pb| pb["policy"]["caps"][0]["per"] = json!(7)));
    assert_eq!((path.as_str(), code.as_str()), ("policy.caps[0].per", "wrong_type"));
    assert_eq!(message, "expected a duration text with its unit, like \"7d\" or \"7h\", got the number 7");
}

/// An asset listed twice was listed twice in every handoff packet (`assets`: two `demo_request` entries, each
/// with the same count), as if the contact had downloaded two things.
#[test]
fn a_handoff_asset_listed_twice_is_refused() {
    let (path, code, message) =
        one(&saas(|pb| pb["handoff"]["assets"] = json!(["demo_request", "ebook_download", "demo_request"])));
    assert_eq!((path.as_str(), code.as_str()), ("handoff.assets[2]", "duplicate_id"));
    assert_eq!(message, "\"demo_request\" is listed twice");
}
