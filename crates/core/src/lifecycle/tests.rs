//! The lifecycle's fold and phases, on hand-built events.

use super::*;
use crate::vecmap::VecMap;
use alloc::string::String;

fn day(n: i64) -> Timestamp {
    Timestamp::EPOCH.plus(Span::days(n))
}

fn event(kind: EventKind, at: Timestamp) -> Event {
    Event { at, kind, id: String::new(), contact: String::new(), machine: false, props: VecMap::new() }
}

fn phase(rules: &LifecycleRules, a: &Activity, t: Timestamp) -> Phase {
    rules.status_from(a, a.last_engagement, t).state
}

#[test]
fn silence_walks_active_cooling_cold_reactivation_breakup_archived() {
    let rules = LifecycleRules::default();
    let mut a = Activity::default();
    rules.on_event(&mut a, &event(EventKind::EmailClick, day(0)), &[], None);
    assert_eq!(phase(&rules, &a, day(89)), Phase::Active);
    assert_eq!(phase(&rules, &a, day(90)), Phase::Cooling);
    assert_eq!(phase(&rules, &a, day(180)), Phase::SoftReactivation, "on_cold enters at once");
    assert_eq!(phase(&rules, &a, day(194)), Phase::BreakUp);
    assert_eq!(phase(&rules, &a, day(196)), Phase::BreakUp);
    assert_eq!(phase(&rules, &a, day(197)), Phase::Archived, "72 h after break-up began");
}

#[test]
fn engagement_during_breakup_reactivates() {
    let rules = LifecycleRules::default();
    let mut a = Activity::default();
    rules.on_event(&mut a, &event(EventKind::EmailClick, day(0)), &[], None);
    rules.on_event(&mut a, &event(EventKind::PageView, day(195)), &[], None);
    let s = rules.status_from(&a, a.last_engagement, day(195));
    assert_eq!((s.state, s.reactivated_at), (Phase::Active, Some(day(195))));
}

#[test]
fn the_campaign_a_contact_came_back_from_is_remembered_for_its_kpis() {
    // D12: with entry on cold, the campaign starts when the contact turns cold (day 180); a click in soft
    // reactivation or in break-up brings the contact back, and the campaign's start stays known.
    let rules = LifecycleRules::default();
    for back_on in [day(185), day(195)] {
        let mut a = Activity::default();
        rules.on_event(&mut a, &event(EventKind::EmailClick, day(0)), &[], None);
        assert_eq!(a.campaign_started, None);
        rules.on_event(&mut a, &event(EventKind::EmailClick, back_on), &[], None);
        assert_eq!(phase(&rules, &a, back_on), Phase::Active);
        assert_eq!(a.campaign_started, Some(day(180)), "back on {back_on:?}");
    }
    // A return from cooling is no campaign; an archived contact's opt-in points at the campaign it ended.
    let mut a = Activity::default();
    rules.on_event(&mut a, &event(EventKind::EmailClick, day(0)), &[], None);
    rules.on_event(&mut a, &event(EventKind::EmailClick, day(100)), &[], None);
    assert_eq!(a.campaign_started, None);
    rules.on_event(&mut a, &event(EventKind::Subscribe, day(400)), &[], None);
    assert_eq!(a.campaign_started, Some(day(280)), "archived on 297 = 280 + 14 d + 72 h");
}

#[test]
fn archived_contacts_return_only_through_an_explicit_opt_in() {
    let rules = LifecycleRules::default();
    let mut a = Activity::default();
    rules.on_event(&mut a, &event(EventKind::EmailClick, day(0)), &[], None);
    rules.on_event(&mut a, &event(EventKind::PageView, day(300)), &[], None);
    assert_eq!(phase(&rules, &a, day(300)), Phase::Archived);
    assert_eq!(a.archived, Some(day(197)));
    rules.on_event(&mut a, &event(EventKind::Subscribe, day(301)), &[], None);
    assert_eq!(phase(&rules, &a, day(301)), Phase::Active);
}

#[test]
fn manual_entry_waits_in_cold_for_a_campaign() {
    let rules = LifecycleRules { entry: Entry::Manual, ..LifecycleRules::default() };
    let mut a = Activity::default();
    rules.on_event(&mut a, &event(EventKind::EmailClick, day(0)), &[], None);
    assert_eq!(phase(&rules, &a, day(400)), Phase::Cold);
    rules.on_event(&mut a, &event(EventKind::ReactivationStarted, day(400)), &[], None);
    assert_eq!(phase(&rules, &a, day(400)), Phase::SoftReactivation);
}

#[test]
fn ghost_opens_stop_counting_as_engagement() {
    let rules = LifecycleRules { ghost_min_opens: 3, ghost_no_click_for: Span::days(30), ..LifecycleRules::default() };
    let mut a = Activity::default();
    for d in [0, 10, 20] {
        rules.on_event(&mut a, &event(EventKind::EmailOpen, day(d)), &[], None);
    }
    assert_eq!(a.last_engagement, Some(day(20)));
    rules.on_event(&mut a, &event(EventKind::EmailOpen, day(40)), &[], None);
    assert_eq!(a.last_engagement, Some(day(20)), "the fourth open, 40 days without a click, is a ghost open");
    assert!(rules.status_from(&a, a.last_engagement, day(40)).ghost);
    rules.on_event(&mut a, &event(EventKind::EmailClick, day(41)), &[], None);
    assert!(!rules.status_from(&a, a.last_engagement, day(41)).ghost);
}

#[test]
fn machine_opens_never_engage_and_erasure_is_absorbing() {
    let rules = LifecycleRules::default();
    let mut a = Activity::default();
    let mut open = event(EventKind::EmailOpen, day(1));
    open.machine = true;
    rules.on_event(&mut a, &open, &[], None);
    assert_eq!(a.last_engagement, None);
    rules.on_event(&mut a, &event(EventKind::ErasureRequest, day(2)), &[], None);
    rules.on_event(&mut a, &event(EventKind::Subscribe, day(3)), &[], None);
    assert_eq!(phase(&rules, &a, day(3)), Phase::Erased);
}

#[test]
fn listed_custom_signals_engage_and_reactivate_but_never_unarchive() {
    // Signal 0 is listed in engagement_signals, signal 1 is not.
    let rules = LifecycleRules { engagement_signals: alloc::vec![0], ..LifecycleRules::default() };
    let login = |d| event(EventKind::Custom("login".into()), day(d));
    let mut a = Activity::default();
    rules.on_event(&mut a, &login(0), &[0], None);
    assert_eq!(a.last_engagement, Some(day(0)));
    rules.on_event(&mut a, &login(10), &[1], None);
    assert_eq!(a.last_engagement, Some(day(0)), "a custom event no listed signal matched is not engagement");
    let mut scripted = login(20);
    scripted.machine = true;
    rules.on_event(&mut a, &scripted, &[0], None);
    assert_eq!(a.last_engagement, Some(day(0)), "a machine event never engages");
    rules.on_event(&mut a, &login(100), &[0], None);
    let s = rules.status_from(&a, a.last_engagement, day(100));
    assert_eq!((s.state, s.reactivated_at), (Phase::Active, Some(day(100))), "back from cooling (D7)");
    rules.on_event(&mut a, &login(400), &[0], None);
    assert_eq!(phase(&rules, &a, day(400)), Phase::Archived, "a login is no explicit opt-in");
}
