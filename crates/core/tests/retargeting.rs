//! The retargeting audience (D10, D22, DESIGN §7 "Retargeting audience"): its window — from break-up until
//! `keep_for` (30 d) after break-up ended without a reaction, half-open — and every exclusion with its code.
//!
//! Timeline with the default lifecycle (DESIGN §7): one page view at `T`; cooling at 90 d, cold and soft
//! reactivation at 180 d, break-up at 194 d, archived at 197 d (72 h later), out of the audience at 227 d.
#![allow(clippy::expect_used, clippy::unwrap_used, missing_docs)]

use rekindle_core::lifecycle::Phase;
use rekindle_core::state::retargeting::{window_end, Excluded, Retargeting, AD_PURPOSES, KEEP_FOR_DAYS};
use rekindle_core::{ContactState, Event, Playbook, Timestamp, Value};
use serde_json::json;

const DAY: i64 = 86_400_000;
const T: i64 = 1_704_067_200_000; // 2024-01-01T00:00:00Z
const BREAK_UP: i64 = T + 194 * DAY;
const ARCHIVED: i64 = T + 197 * DAY;
const OUT: i64 = ARCHIVED + 30 * DAY;

fn playbook(policy: serde_json::Value) -> Playbook {
    let json = json!({ "version": 1, "signals": {}, "policy": policy });
    Playbook::parse(&serde_json::from_value::<Value>(json).unwrap()).unwrap()
}

fn at(ms: i64) -> Timestamp {
    Timestamp::from_ms(ms).unwrap()
}

/// The page view at `T`, then `more` (kind, at, props).
fn state(pb: &Playbook, more: &[(&str, i64, serde_json::Value)]) -> ContactState {
    let mut list = vec![json!({ "id": "visit", "kind": "page_view", "at": T, "props": { "path": "/" } })];
    for (i, (kind, at, props)) in more.iter().enumerate() {
        list.push(json!({ "id": format!("e{i}"), "kind": kind, "at": at, "props": props }));
    }
    let events = Event::parse_list(&serde_json::from_value::<Value>(json!(list)).unwrap(), "events").unwrap();
    let mut s = ContactState::new();
    s.fold(pb, &events);
    // What a later run reads back from state.csv must say the same.
    let back = ContactState::from_bytes(&s.to_bytes()).unwrap();
    assert_eq!(back, s);
    s
}

fn why(s: &ContactState, pb: &Playbook, t: i64) -> Option<Excluded> {
    match s.retargeting(pb, at(t)) {
        Retargeting::Member { until } => {
            assert_eq!(until, at(OUT), "the window ends keep_for after break-up ended");
            assert!(s.retargetable(pb, at(t)));
            None
        }
        Retargeting::Excluded { why } => {
            assert!(!s.retargetable(pb, at(t)));
            Some(why)
        }
    }
}

#[test]
fn d10_the_window_opens_with_break_up_and_closes_30_days_after_it_ends() {
    let pb = playbook(json!({}));
    let s = state(&pb, &[]);
    assert_eq!(KEEP_FOR_DAYS, 30, "DESIGN §7's keep_for default");
    assert_eq!(why(&s, &pb, BREAK_UP - 1), Some(Excluded::OutsideWindow), "still in soft reactivation");
    assert_eq!(why(&s, &pb, BREAK_UP), None, "break-up start is inside");
    assert_eq!(why(&s, &pb, ARCHIVED - 1), None);
    assert_eq!(s.lifecycle_at(&pb, at(ARCHIVED)).state, Phase::Archived);
    assert_eq!(why(&s, &pb, ARCHIVED), None, "left break-up without reaction: stays in");
    assert_eq!(why(&s, &pb, ARCHIVED + 29 * DAY), None, "29 days after");
    assert_eq!(why(&s, &pb, OUT - 1), None, "one ms before keep_for has elapsed");
    assert_eq!(why(&s, &pb, OUT), Some(Excluded::OutsideWindow), "keep_for has elapsed: half-open");
    assert_eq!(why(&s, &pb, OUT + 365 * DAY), Some(Excluded::OutsideWindow));
}

#[test]
fn d10_a_materialised_archive_keeps_the_same_window() {
    let pb = playbook(json!({}));
    // A visit after the archive instant does not bring the contact back; it makes the archive a fact.
    let s = state(&pb, &[("page_view", ARCHIVED + 5 * DAY, json!({ "path": "/blog" }))]);
    assert_eq!(s.lifecycle_at(&pb, at(ARCHIVED + 6 * DAY)).since, Some(at(ARCHIVED)));
    assert_eq!(why(&s, &pb, ARCHIVED + 6 * DAY), None);
    assert_eq!(why(&s, &pb, OUT), Some(Excluded::OutsideWindow));
}

#[test]
fn d10_a_reaction_during_break_up_or_an_opt_in_after_it_leaves_the_audience() {
    let pb = playbook(json!({}));
    let clicked = state(&pb, &[("email_click", BREAK_UP + DAY, json!({}))]);
    assert_eq!(why(&clicked, &pb, BREAK_UP + DAY), Some(Excluded::OutsideWindow), "active again");
    let back = state(&pb, &[("form_submit", ARCHIVED + 3 * DAY, json!({ "form": "signup" }))]);
    assert_eq!(why(&back, &pb, ARCHIVED + 3 * DAY), Some(Excluded::OutsideWindow), "the fresh sign-up happened");
}

#[test]
fn d10_unsubscribes_complaints_and_bounces_exclude_an_email_identifier() {
    let pb = playbook(json!({}));
    let t = BREAK_UP + DAY;
    let case = |kind: &str, props: serde_json::Value| why(&state(&pb, &[(kind, BREAK_UP, props)]), &pb, t);
    assert_eq!(case("unsubscribe", json!({ "channel": "all" })), Some(Excluded::Unsubscribed));
    assert_eq!(case("unsubscribe", json!({})), Some(Excluded::Unsubscribed), "email is the default channel");
    assert_eq!(case("unsubscribe", json!({ "reason": "manual" })), Some(Excluded::Unsubscribed));
    assert_eq!(case("unsubscribe", json!({ "channel": "sms" })), None, "SMS only: email marketing still fine");
    assert_eq!(case("spam_complaint", json!({})), Some(Excluded::Complained));
    assert_eq!(case("email_bounce", json!({ "type": "hard" })), Some(Excluded::Bounced));
    assert_eq!(case("email_bounce", json!({ "type": "spam_trap" })), Some(Excluded::Bounced));
    assert_eq!(case("email_bounce", json!({ "type": "soft" })), None, "a soft bounce suppresses nothing");
    // An unsubscribe long before break-up still holds when the contact reaches it.
    let early = state(&pb, &[("unsubscribe", T + DAY, json!({ "channel": "all" }))]);
    assert_eq!(why(&early, &pb, ARCHIVED + DAY), Some(Excluded::Unsubscribed));
    // A resubscribe lifts the unsubscribe (D4) and with it the exclusion.
    let lifted = state(
        &pb,
        // Before the page view: a subscribe is engagement, and the timeline stays anchored at T.
        &[
            ("unsubscribe", T - 2 * DAY, json!({ "channel": "all" })),
            ("subscribe", T - DAY, json!({ "channel": "all" })),
        ],
    );
    assert_eq!(why(&lifted, &pb, ARCHIVED + DAY), None);
}

#[test]
fn d10_withdrawn_ads_consent_excludes_under_any_ad_purpose_and_a_later_grant_restores() {
    let pb = playbook(json!({}));
    let t = ARCHIVED + DAY;
    for purpose in AD_PURPOSES {
        let s = state(&pb, &[("consent", T + DAY, json!({ "purpose": purpose, "granted": false }))]);
        assert_eq!(why(&s, &pb, t), Some(Excluded::AdsConsentWithdrawn), "{purpose}");
    }
    let other = state(&pb, &[("consent", T + DAY, json!({ "purpose": "analytics", "granted": false }))]);
    assert_eq!(why(&other, &pb, t), None, "analytics is not about ads");
    let again = state(
        &pb,
        &[
            ("consent", T + DAY, json!({ "purpose": "ads", "granted": false })),
            ("consent", T + 2 * DAY, json!({ "purpose": "ads", "granted": true })),
        ],
    );
    assert_eq!(why(&again, &pb, t), None, "the latest decision per purpose wins");
}

#[test]
fn d10_an_opt_in_playbook_needs_an_explicit_ads_grant() {
    // policy.consent.email names a purpose: mail needs explicit consent, and so do ads.
    let pb = playbook(json!({ "consent": { "email": "email_marketing" } }));
    let t = ARCHIVED + DAY;
    let email_only = state(&pb, &[("consent", T, json!({ "purpose": "email_marketing", "granted": true }))]);
    assert_eq!(why(&email_only, &pb, t), Some(Excluded::AdsConsentMissing));
    let ads = state(&pb, &[("consent", T, json!({ "purpose": "ads", "granted": true }))]);
    assert_eq!(why(&ads, &pb, t), None);
    let one_signal = state(&pb, &[("consent", T, json!({ "purpose": "ad_user_data", "granted": true }))]);
    assert_eq!(why(&one_signal, &pb, t), Some(Excluded::AdsConsentMissing), "Customer Match needs both signals");
    let both = state(
        &pb,
        &[
            ("consent", T, json!({ "purpose": "ad_user_data", "granted": true })),
            ("consent", T, json!({ "purpose": "ad_personalization", "granted": true })),
        ],
    );
    assert_eq!(why(&both, &pb, t), None);
    // Without the opt-in regime an unknown ads consent is no exclusion.
    assert_eq!(why(&state(&playbook(json!({})), &[]), &playbook(json!({})), t), None);
}

#[test]
fn d22_an_open_deal_excludes_until_it_closes_and_erasure_always_does() {
    let pb = playbook(json!({ "stop_during_sales": false }));
    let t = ARCHIVED + DAY;
    let open = state(&pb, &[("sales_status", BREAK_UP, json!({ "status": "open" }))]);
    assert_eq!(why(&open, &pb, t), Some(Excluded::SalesConversation), "whatever the mail policy says");
    let lost = state(
        &pb,
        &[
            ("sales_status", BREAK_UP, json!({ "status": "open" })),
            ("sales_status", ARCHIVED, json!({ "status": "lost" })),
        ],
    );
    assert_eq!(why(&lost, &pb, t), None);
    let erased = state(&pb, &[("erasure_request", BREAK_UP + 1, json!({}))]);
    assert_eq!(why(&erased, &pb, BREAK_UP), None, "before the request");
    assert_eq!(why(&erased, &pb, t), Some(Excluded::Erased));
    assert_eq!(Excluded::AdsConsentWithdrawn.code(), "ads_consent_withdrawn");
}

#[test]
fn window_end_reads_the_lifecycle_status_alone() {
    let pb = playbook(json!({}));
    let s = state(&pb, &[]);
    assert_eq!(window_end(&s.lifecycle_at(&pb, at(BREAK_UP))), Some(at(OUT)));
    assert_eq!(window_end(&s.lifecycle_at(&pb, at(OUT + DAY))), Some(at(OUT)), "the end, already passed");
    assert_eq!(window_end(&s.lifecycle_at(&pb, at(BREAK_UP - 1))), None);
}

#[test]
fn d10_an_exclusion_named_inside_the_window_gives_way_to_outside_window_at_its_end_and_the_decision_says_when() {
    let pb = playbook(json!({}));
    let s = state(&pb, &[("unsubscribe", T + DAY, json!({ "channel": "email" }))]);
    let now = ARCHIVED + DAY;
    assert_eq!(why(&s, &pb, now), Some(Excluded::Unsubscribed));
    assert_eq!(why(&s, &pb, OUT), Some(Excluded::OutsideWindow));
    let d = rekindle_core::decide(&pb, &s, at(now));
    assert_eq!(d.valid_until, Some(at(OUT)), "was null: nothing else changes for an archived, unsubscribed contact");
}
