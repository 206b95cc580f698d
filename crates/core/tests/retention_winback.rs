//! Win-back measured, alerts with an owner and the stated churn reason (D39, D41, D42), end to end through
//! `analyse`, every number worked by hand in the comments.
#![allow(
    clippy::expect_used,
    clippy::unwrap_used,
    clippy::indexing_slicing,
    clippy::panic,
    clippy::type_complexity,
    missing_docs
)]

use rekindle_core::retention::analysis::{analyse, Analysis, Options};
use rekindle_core::retention::rules::RetentionRules;
use rekindle_core::retention::{owner_of, stated_reason_of, StatedReason, Transaction};
use rekindle_core::{ContactState, Event, Playbook, Scalar, Span, Timestamp, Value};

const DAY: i64 = 86_400_000;

/// Day `d` at 09:00 UTC (day 0 = 1970-01-01).
fn day(d: i64) -> Timestamp {
    Timestamp::from_ms(d * DAY + 9 * 3_600_000).unwrap()
}

fn order(customer: &str, d: i64, amount: f64) -> Transaction {
    Transaction::new(customer, day(d), amount).unwrap()
}

fn pairs(list: &[(&str, i64)]) -> Vec<(String, Timestamp)> {
    list.iter().map(|(c, d)| (String::from(*c), day(*d))).collect()
}

/// Repeat buyers a (first to second order 30 days), c (10) and e (120): the lower median is 30, so a one-time
/// buyer is alerted (`no_repeat`) 2 × 30 = 60 days after their order. P(alive) is switched off (threshold 0) so
/// every alert below is a rule worked by hand, not a model figure.
fn analysis() -> Analysis {
    let log = vec![
        order("a", 0, 100.0),
        order("a", 30, 100.0),
        order("b", 100, 50.0),
        order("c", 0, 20.0),
        order("c", 10, 20.0),
        order("c", 190, 20.0),
        order("d", 195, 80.0),
        order("e", 0, 40.0),
        order("e", 120, 60.0),
        order("f", 150, 10.0),
        order("k", 0, 30.0),
    ];
    let mut rules = RetentionRules::default();
    rules.churn.p_alive_below = 0.0;
    rules.churn.negative_rating = Some((0, Span::days(30)));
    let options = Options {
        negative_ratings: pairs(&[("d", 196)]),
        owners: vec![("a".into(), "Jane Doe".into()), ("d".into(), "12345".into())],
        stated_reasons: vec![("b".into(), StatedReason { reason: "too expensive".into(), at: Some(day(160)) })],
        // a: last order day 30, start day 150 (120 days lapsed), nothing by day 200, window to day 240: open.
        // e: last order day 0, start day 100, back on day 120 with 60: returned; its second start (day 150) is
        //    inside the first one's window: a repeat. k: last order day 0, start day 95, nothing in [95, 185) and
        //    185 ≤ 200: lost. b: last order day 100, start day 195 (95 days ≥ 90): open.
        // f: ordered day 150, start day 180: active. g: no order: not a customer. h: day 300 > now.
        winback_starts: pairs(&[
            ("a", 150),
            ("e", 100),
            ("e", 150),
            ("k", 95),
            ("b", 195),
            ("f", 180),
            ("g", 120),
            ("h", 300),
        ]),
        ..Options::default()
    };
    analyse(&log, &rules, &options, day(200))
}

#[test]
fn d42_the_winback_plan_is_measured_on_lapsed_customers_with_n_and_open_windows() {
    let w = analysis().winback;
    let t = &w.total;
    assert_eq!((t.entered, t.returned, t.lost, t.open), (4, 1, 1, 2));
    // Only decided starts make the share: 1 returned of 2 decided.
    assert_eq!((t.returned_share, t.revenue), (Some(0.5), 60.0));
    assert_eq!((w.after_now, w.not_customers, w.active_at_start, w.repeat_starts), (1, 1, 1, 1));
    assert_eq!(w.window, Span::days(90));
    // Day 95 = 1970-04-06, day 100 = 04-11, day 150 = 05-31, day 195 = 07-15.
    let months: Vec<(&str, u32, u32, u32, u32, Option<f64>, f64)> = w
        .months
        .iter()
        .map(|m| {
            let t = &m.tally;
            (m.month.as_str(), t.entered, t.returned, t.lost, t.open, t.returned_share, t.revenue)
        })
        .collect();
    assert_eq!(
        months,
        [
            ("1970-04", 2, 1, 1, 0, Some(0.5), 60.0),
            ("1970-05", 1, 0, 0, 1, None, 0.0),
            ("1970-07", 1, 0, 0, 1, None, 0.0)
        ]
    );
}

#[test]
fn d41_every_alert_names_its_signal_why_since_when_and_its_owner() {
    let a = analysis();
    let list: Vec<(&str, &str, Timestamp, Option<&str>)> =
        a.alert_list.iter().map(|x| (x.customer.as_str(), x.kind, x.since, x.owner.as_deref())).collect();
    // k: one order day 0, alerted day 0 + 60. a: average gap 30 days, alerted day 30 + 2 × 30 = 90.
    // b: one order day 100, alerted day 160. d: a negative rating on day 196. c, e, f: no alert.
    assert_eq!(
        list,
        [
            ("k", "no_repeat", day(60), None),
            ("a", "purchase_gap", day(90), Some("Jane Doe")),
            ("b", "no_repeat", day(160), None),
            ("d", "negative_rating", day(196), Some("12345")),
        ]
    );
    assert_eq!(a.alerts as usize, a.alert_list.len());
    // a: 170 days since day 30; the 90-day window (day 110 to 200) has no order where 2 orders over the
    // 110 days before it predict 2 × 90 / 110 = 1.6.
    assert_eq!(a.alert_list[1].signals, ["purchase_gap", "activity_drop"]);
    assert_eq!(
        a.alert_list[1].why,
        "170 days since the last order, over 2 × the customer's average gap of 30 days; 0 orders in the last 90 \
         days where the customer's earlier pace predicts 1.6"
    );
    assert_eq!(
        a.alert_list[0].why,
        "one purchase 200 days ago and none since; repeat buyers came back after 30 days (median), the alert \
         comes after 60 days"
    );
    assert_eq!(a.alert_list[3].why, "a negative rating on 1970-07-16");
}

#[test]
fn d39_the_stated_reason_stands_beside_the_behavioural_one() {
    let a = analysis();
    let b = a.customers.iter().find(|c| c.summary.customer == "b").unwrap();
    let field = |c: &rekindle_core::retention::Figures, key: &str| {
        c.profile.0.iter().find(|(k, _)| *k == key).map(|(_, v)| v.clone())
    };
    assert_eq!(field(b, "churn_reason"), Some(Some(Scalar::Str("no_repeat".into()))));
    assert_eq!(field(b, "churn_reason_stated"), Some(Some(Scalar::Str("too expensive".into()))));
    assert_eq!(
        a.alert_list[2].stated_reason.as_ref().map(|s| (s.reason.as_str(), s.at)),
        Some(("too expensive", Some(day(160))))
    );
    // Without a stated reason the analysis writes no such field at all: folding its facts cannot clear one.
    let k = a.customers.iter().find(|c| c.summary.customer == "k").unwrap();
    assert_eq!(field(k, "churn_reason_stated"), None);
}

fn event(kind: &str, d: i64, props: Vec<(&str, Value)>) -> Event {
    let props = props.into_iter().map(|(k, v)| (String::from(k), v)).collect();
    let v = Value::Object(vec![
        ("at".into(), Value::Number(day(d).ms() as f64)),
        ("kind".into(), Value::String(kind.into())),
        ("props".into(), Value::Object(props)),
    ]);
    Event::parse(&v, "e").unwrap()
}

#[test]
fn d39_d41_owner_and_stated_reason_are_read_from_the_contacts_profile_and_survive_the_analysis_facts() {
    let mut pb = Playbook::parse(&Value::Object(vec![
        ("version".into(), Value::Number(1.0)),
        ("signals".into(), Value::Object(vec![])),
    ]))
    .unwrap();
    pb.keep_profile_fields(&rekindle_core::retention::stated::KEPT_FIELDS);
    let mut state = ContactState::new();
    assert_eq!((owner_of(&state), stated_reason_of(&state)), (None, None));
    // A HubSpot export keeps "Contact owner" under its header; an exit survey writes churn_reason_stated.
    state.fold(
        &pb,
        &[event(
            "profile",
            1,
            vec![
                ("Contact owner", Value::String("Ann Lee".into())),
                ("churn_reason_stated", Value::String("moved abroad".into())),
            ],
        )],
    );
    assert_eq!(owner_of(&state).as_deref(), Some("Ann Lee"));
    // The analysis' facts for a customer with a behavioural reason and no stated one, folded later.
    let a = analysis();
    let k = a.customers.iter().find(|c| c.summary.customer == "k").unwrap();
    let facts: Vec<(&str, Value)> = k
        .profile
        .0
        .iter()
        .map(|(key, v)| {
            let v = match v {
                Some(Scalar::Str(s)) => Value::String(s.clone()),
                Some(Scalar::Num(n)) => Value::Number(*n),
                Some(Scalar::Bool(b)) => Value::Bool(*b),
                None => Value::Null,
            };
            (*key, v)
        })
        .collect();
    state.fold(&pb, &[event("profile", 2, facts)]);
    assert_eq!(stated_reason_of(&state).as_deref(), Some("moved abroad"));
    // A generic `owner` column wins over HubSpot's header; a numeric owner id reads as its digits.
    state.fold(&pb, &[event("profile", 3, vec![("owner", Value::Number(71.0))])]);
    assert_eq!(owner_of(&state).as_deref(), Some("71"));
}

#[test]
fn new_options_are_parsed_with_located_errors() {
    let item =
        |pairs: Vec<(&str, Value)>| Value::Object(pairs.into_iter().map(|(k, v)| (String::from(k), v)).collect());
    let v = item(vec![
        (
            "owners",
            Value::Array(vec![item(vec![
                ("customer", Value::String("a".into())),
                ("owner", Value::String("Jo".into())),
            ])]),
        ),
        (
            "winbackStarts",
            Value::Array(vec![item(vec![
                ("customer", Value::String("a".into())),
                ("at", Value::Number(day(5).ms() as f64)),
            ])]),
        ),
        (
            "statedReasons",
            Value::Array(vec![item(vec![
                ("customer", Value::String("a".into())),
                ("reason", Value::String("price".into())),
            ])]),
        ),
    ]);
    let o = Options::parse(&v, "options").unwrap();
    assert_eq!((o.owners.len(), o.winback_starts, o.stated_reasons[0].1.at), (1, vec![("a".into(), day(5))], None));
    let bad = item(vec![(
        "statedReasons",
        Value::Array(vec![item(vec![("customer", Value::String("a".into())), ("reason", Value::String(" ".into()))])]),
    )]);
    let err = Options::parse(&bad, "options").unwrap_err();
    assert_eq!(err.path().as_deref(), Some("options.statedReasons[0].reason"));
}
