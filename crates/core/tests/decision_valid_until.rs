//! An oracle for the whole decision's `validUntil` (pkg/decision.d.ts: "the first instant this decision changes
//! on its own"). Callers schedule the next recompute at `validUntil` instead of polling, so a `validUntil` later
//! than a real change is a defect: a readiness change, a segment exit, a send that becomes allowed, a nurture step
//! falling due, a CTA change, a lifecycle move or a handoff SLA would be missed.
//!
//! Random histories (the kinds the example playbooks use, instants before `now` and some stamped after it,
//! profile changes, deals, consents, opt-outs, preferences, sends with and without a sequence step) are folded
//! over `examples/playbooks/{saas,ecommerce,reengagement}.json` and a dense inline playbook whose windows, decay,
//! lifecycle phases, caps, quiet hours, handoff hours and steps are all hours to days long, so they cross inside a
//! short history. Then `decide(now)` is compared with `decide(t)` on the same state for instants `t` in
//! `(now, validUntil)`: `validUntil − 1 ms`, random points, and the instants where things typically flip — each
//! event's instant, and that instant plus every window length of the playbooks ± 1 ms; local midnights,
//! quiet-hours and business-hours edges in the zones in play ± 1 ms; and every instant the decision itself names
//! (next flips, next transitions, deferrals' ends, due times) ± 1 ms. Without `validUntil` every such instant after
//! `now` is checked, plus `now + 1 y` and `now + 5 y`. `validUntil`, when present, lies after `now`.
//!
//! **What is compared (the discrete parts).** Everything in the serialized decision, except:
//! - `scores` (fit, intent, total) and the handoff packet's `score`: decayed scores change every millisecond. A
//!   *bar* crossing is discrete and is compared: `readiness`, `stage`, `meets`, `reactivationCandidate`, segment
//!   memberships and CTA choices on `score` conditions.
//! - the handoff packet's `topReasons`: the largest decayed contributions with their points, a continuous
//!   ranking for the sales rep (its presence, `sqlAt`, `dueAt`, `overdue`, source, interactions, assets and pages
//!   are compared).
//! - `reasons`: the explanation carries decayed points at `now`; the values it explains are compared.
//! - the CTA's `because` and each skipped candidate's `decidedBy`: paths of the leaves that explain the choice,
//!   not the choice (the CTA's `id`, `variant`, `fallback`, and each skipped candidate's `id` and `why` are
//!   compared).
//! - `nextStep.sendAt` when it is at or before the decision's instant: "send now" is then reported as the
//!   instant itself, so it moves with `t`; it is compared as "now" (a later `sendAt` is compared as is).
//! - `validUntil` itself.
#![allow(clippy::expect_used, clippy::unwrap_used, clippy::indexing_slicing, missing_docs)]

use proptest::prelude::*;
use rekindle_core::zone::{civil_from_days, days_from_civil, LocalDate, LocalTime, Zone};
use rekindle_core::{decide, ContactState, Event, Playbook, Timestamp, Value};
use serde_json::json;
use std::sync::OnceLock;

mod support;
use support::shuffle;

const MINUTE: i64 = 60_000;
const HOUR: i64 = 60 * MINUTE;
const DAY: i64 = 24 * HOUR;
const YEAR: i64 = 365 * DAY;
/// 2026-09-21T13:46:40Z: `now` lies within a week after it.
const BASE: i64 = 1_790_000_000_000;

/// Cases per playbook: thousands in release, a handful in debug (the CI's `cargo test --workspace` runs this in
/// debug). `PROPTEST_CASES` overrides both.
fn cases() -> u32 {
    let default = if cfg!(debug_assertions) { 40 } else { 1200 };
    std::env::var("PROPTEST_CASES").ok().and_then(|v| v.parse().ok()).unwrap_or(default)
}

/// Every window, decay, phase, SLA and step length of the playbooks below, so `event + span ± 1 ms` lands on
/// their edges.
const SPANS: [i64; 28] = [
    15 * MINUTE,
    30 * MINUTE,
    HOUR,
    2 * HOUR,
    6 * HOUR,
    12 * HOUR,
    DAY,
    46 * HOUR,
    2 * DAY,
    3 * DAY,
    4 * DAY,
    5 * DAY,
    6 * DAY,
    7 * DAY,
    8 * DAY,
    10 * DAY,
    12 * DAY,
    14 * DAY,
    166 * HOUR,
    21 * DAY,
    30 * DAY,
    31 * DAY,
    45 * DAY,
    60 * DAY,
    90 * DAY,
    180 * DAY,
    270 * DAY,
    365 * DAY,
];

/// Zones in play: the playbooks' defaults and handoff zones, and ones a profile may name.
const ZONES: [&str; 4] = ["America/New_York", "Europe/Warsaw", "UTC", "Asia/Kolkata"];

/// Local hours at which quiet hours, business hours or a day begin or end in the playbooks.
const LOCAL_HOURS: [u8; 8] = [0, 7, 8, 9, 17, 20, 21, 22];

/// A dense playbook: every window, decay, phase, cap, quiet hour, handoff hour and step is hours to days long.
const DENSE: &str = r#"{
  "version": 1,
  "signals": {
    "pricing": { "kind": "page_view", "match": { "path": "/pricing*" } },
    "visit": { "kind": "page_view" },
    "demo": { "kind": "form_submit", "match": { "form": "demo" } },
    "click": { "kind": "email_click" },
    "open": { "kind": "email_open" },
    "purchase": { "kind": "purchase" },
    "cart": { "kind": "custom:cart_updated" },
    "lost": { "kind": "sales_status", "match": { "status": "lost" } }
  },
  "scores": {
    "fit": { "max": 40, "rules": [
      { "field": "role", "op": "eq", "value": "CEO", "points": 20 },
      { "field": "company_size", "op": "ge", "value": 50, "points": 10 } ] },
    "intent": { "max": 100, "rules": [
      { "signal": "pricing", "points": 15, "decay": { "half_life": "1d" }, "expire_after": "3d", "cap": 45 },
      { "signal": "demo", "points": 40, "decay": { "linear": "2d" } },
      { "signal": "click", "points": 5, "decay": { "half_life": "12h" }, "expire_after": "2d" } ] }
  },
  "stages": {
    "readiness": { "on": "intent", "warm": 10, "hot": 30 },
    "mql": { "min": { "fit": 20, "intent": 15 } },
    "sql": { "min": { "total": 45 }, "any": [ { "signal": "pricing", "within": "1d" }, { "signal": "demo", "within": "1d" } ],
             "direct": [ { "signal": "demo", "within": "6h" } ] }
  },
  "segments": {
    "on_site": { "when": { "last": "visit", "less_than": "30min" } },
    "pricing2": { "when": { "signal": "pricing", "within": "1d", "at_least": 2 } },
    "no_opens": { "when": { "signal": "open", "within": "2d", "at_most": 0 } },
    "warm": { "when": { "readiness": "warm" } },
    "cooling": { "when": { "lifecycle": "cooling" } },
    "scored": { "when": { "score": "intent", "op": "ge", "value": 20 } },
    "cart": { "when": { "all": [ { "field": "cart_value", "op": "gt", "value": 0 }, { "last": "cart", "more_than": "2h" },
                                 { "not": { "segment": "on_site" } } ] } }
  },
  "lifecycle": {
    "cooling_after": "2d", "cold_after": "4d", "reactivation_entry": "on_cold", "soft_reactivation_for": "1d",
    "breakup_deadline": "12h", "ghost": { "min_opens": 2, "no_click_for": "1d" }, "erase_on": ["spam_trap"],
    "intent_signals": ["demo"]
  },
  "policy": {
    "caps": [ { "channel": "email", "max": 2, "per": "1d" }, { "channel": "any", "max": 3, "per": "2d" },
              { "channel": "sms", "max": 1, "per": "12h" } ],
    "quiet_hours": "22:00-07:00",
    "default_timezone": "Europe/Warsaw",
    "stop_during_sales": true,
    "consent": { "email": null, "sms": "sms_marketing" }
  },
  "sequences": {
    "onboard": {
      "start": { "segment": "pricing2" },
      "stop": [ { "ever": "purchase" } ],
      "reenrol_after": "2d",
      "inactive_stop": "3d",
      "steps": [
        { "id": "a", "channel": "email", "content": "a" },
        { "id": "b", "after": "6h", "channel": "email", "content": "b", "when": { "not": { "segment": "on_site" } } },
        { "id": "c", "after": "1d", "from": "previous", "channel": "sms", "content": "c" }
      ]
    },
    "rescue": {
      "start": { "lifecycle": "soft_reactivation" },
      "stop": [ { "not": { "lifecycle": "soft_reactivation" } } ],
      "steps": [
        { "id": "r1", "channel": "email", "content": "r1" },
        { "id": "r2", "after": "12h", "channel": "email", "content": "r2" }
      ]
    },
    "win_back": {
      "start": { "last": "lost", "more_than": "2d" },
      "stop": [ { "ever": "purchase" } ],
      "steps": [ { "id": "w1", "channel": "email", "content": "w1" } ]
    }
  },
  "ctas": {
    "candidates": [
      { "id": "demo", "when": { "all": [ { "readiness": "hot" }, { "score": "total", "op": "ge", "value": 40 } ] },
        "unless": { "deal": "open" } },
      { "id": "keep", "when": { "lifecycle": "break_up" } },
      { "id": "pricing", "when": { "signal": "pricing", "within": "12h", "at_least": 1 } },
      { "id": "guide", "when": { "readiness": "warm" } },
      { "id": "basics" }
    ],
    "default": "basics"
  },
  "handoff": { "business_hours": "09:00-17:00", "days": "mon-fri", "sla": "15min", "max": "2h",
               "timezone": "Europe/Warsaw", "assets": ["demo"] }
}"#;

fn example(name: &str) -> Playbook {
    let path = std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("../../examples/playbooks").join(name);
    let text = std::fs::read_to_string(&path).unwrap();
    Playbook::parse(&serde_json::from_str::<Value>(&text).unwrap()).unwrap()
}

fn dense() -> Playbook {
    Playbook::parse(&serde_json::from_str::<Value>(DENSE).unwrap()).unwrap()
}

/// `(sequence, step)` pairs a send may carry, across the playbooks (unknown ones are plain sends).
const STEPS: [(&str, &str); 18] = [
    ("welcome", "deliver"),
    ("welcome", "goal"),
    ("trial", "getting_started"),
    ("webinar", "recording"),
    ("post_sql", "intro"),
    ("post_sql", "sms_nudge"),
    ("win_back", "what_changed"),
    ("win_back", "whats_new"),
    ("win_back", "w1"),
    ("post_purchase", "confirmation"),
    ("abandoned_cart", "reminder_2h"),
    ("soft_reactivation", "value"),
    ("break_up", "last_call"),
    ("onboard", "a"),
    ("onboard", "b"),
    ("onboard", "c"),
    ("rescue", "r1"),
    ("rescue", "r2"),
];

/// One event's kind and props (without `at` and `id`).
fn what() -> impl Strategy<Value = serde_json::Value> {
    let page = prop::sample::select(vec![
        "/pricing",
        "/pricing/team",
        "/blog/a",
        "/integrations",
        "/careers",
        "/products/x",
        "/",
    ]);
    let form = prop::sample::select(vec!["demo", "ebook-1", "trial", "contact-us"]);
    let status = prop::sample::select(vec!["open", "won", "lost", "disqualified"]);
    let channel = prop::sample::select(vec!["email", "sms", "all"]);
    let purpose = prop::sample::select(vec!["sms_marketing", "ads", "email"]);
    let profile = prop_oneof![
        prop::sample::select(vec!["CEO", "Student", "Marketing Manager"]).prop_map(|r| json!({ "role": r })),
        prop::sample::select(vec![5, 60, 2000]).prop_map(|n| json!({ "company_size": n })),
        prop::sample::select(vec!["SaaS", "Retail"]).prop_map(|i| json!({ "industry": i })),
        prop::sample::select(vec!["America/New_York", "Europe/Warsaw", "Asia/Kolkata", "Mars/Base"])
            .prop_map(|z| json!({ "timezone": z })),
        prop::sample::select(vec![0, 49]).prop_map(|v| json!({ "cart_value": v })),
        Just(json!({ "utm_source": "linkedin", "utm_medium": "cpc" })),
        Just(json!({ "cart_value": null })),
    ];
    let step = prop::sample::select(STEPS.to_vec());
    prop_oneof![
        8 => page.prop_map(|p| json!({ "kind": "page_view", "props": { "path": p } })),
        3 => form.prop_map(|f| json!({ "kind": "form_submit", "props": { "form": f } })),
        3 => any::<bool>().prop_map(|m| json!({ "kind": "email_open", "machine": m })),
        2 => Just(json!({ "kind": "email_click" })),
        1 => Just(json!({ "kind": "email_reply" })),
        1 => Just(json!({ "kind": "webinar_registered" })),
        1 => Just(json!({ "kind": "webinar_attended" })),
        1 => Just(json!({ "kind": "custom:webinar_absent" })),
        1 => Just(json!({ "kind": "custom:login" })),
        1 => Just(json!({ "kind": "custom:key_action" })),
        2 => Just(json!({ "kind": "custom:cart_updated" })),
        2 => Just(json!({ "kind": "purchase", "props": { "value": 30 } })),
        2 => status.prop_map(|s| json!({ "kind": "sales_status", "props": { "status": s } })),
        3 => profile.prop_map(|p| json!({ "kind": "profile", "props": p })),
        4 => (step, any::<bool>(), any::<bool>()).prop_map(|((seq, st), tagged, tx)| {
            let sms = ["sms_nudge", "c"].contains(&st);
            let kind = if sms { "sms_sent" } else { "email_sent" };
            let mut props = serde_json::Map::new();
            if tagged {
                props.insert("sequence".into(), seq.into());
                props.insert("step".into(), st.into());
            }
            if tx {
                props.insert("transactional".into(), true.into());
            }
            json!({ "kind": kind, "props": props })
        }),
        1 => Just(json!({ "kind": "sms_sent" })),
        1 => channel.clone().prop_map(|c| json!({ "kind": "unsubscribe", "props": { "channel": c } })),
        1 => channel.prop_map(|c| json!({ "kind": "subscribe", "props": { "channel": c } })),
        2 => (purpose, any::<bool>()).prop_map(|(p, g)| json!({ "kind": "consent", "props": { "purpose": p, "granted": g } })),
        1 => prop::sample::select(vec!["weekly", "monthly", "important_only"])
            .prop_map(|f| json!({ "kind": "preferences", "props": { "frequency": f } })),
        1 => (1..72i64).prop_map(|h| json!({ "kind": "preferences", "props": { "pause_until": BASE + h * HOUR } })),
        1 => prop::sample::select(vec!["hard", "soft", "spam_trap"])
            .prop_map(|t| json!({ "kind": "email_bounce", "props": { "type": t } })),
        1 => Just(json!({ "kind": "spam_complaint" })),
        1 => Just(json!({ "kind": "reactivation_started" })),
        1 => Just(json!({ "kind": "cta_click", "props": { "cta": "keep-me" } })),
    ]
}

/// An offset from `now`: mostly before it, on the hour grid or a millisecond either side, at the scale of the
/// playbook (`unit`), and sometimes after `now`.
fn offset(unit: i64, reach: i64) -> impl Strategy<Value = i64> {
    let jitter = prop_oneof![3 => Just(0i64), 1 => Just(1), 1 => Just(-1), 1 => 0..HOUR];
    prop_oneof![
        8 => (0..reach, jitter.clone()).prop_map(move |(n, j)| -(n * unit) + j),
        3 => (0..48i64, jitter.clone()).prop_map(|(n, j)| -(n * HOUR) + j),
        2 => (1..reach / 4 + 2, jitter).prop_map(move |(n, j)| n * unit / 4 + j),
    ]
}

#[derive(Debug, Clone)]
struct Case {
    now: i64,
    events: Vec<(i64, serde_json::Value)>,
    /// Fractions of `(now, validUntil)` to sample (per mille).
    points: Vec<u16>,
    seed: u64,
}

fn case(unit: i64, reach: i64) -> impl Strategy<Value = Case> {
    (
        0..7 * DAY,
        prop_oneof![Just(0i64), Just(1), Just(-1)],
        prop::collection::vec((offset(unit, reach), what()), 0..14),
        prop::collection::vec(1..1000u16, 4),
        any::<u64>(),
    )
        .prop_map(|(n, j, events, points, seed)| {
            let now = BASE + n / HOUR * HOUR + j;
            let events = events.into_iter().map(|(o, w)| (now + o, w)).collect();
            Case { now, events, points, seed }
        })
}

fn fold(pb: &Playbook, c: &Case) -> ContactState {
    let list: Vec<serde_json::Value> = c
        .events
        .iter()
        .enumerate()
        .map(|(i, (at, w))| {
            let mut e = w.clone();
            e["at"] = json!(at);
            e["id"] = json!(format!("e{i}"));
            e
        })
        .collect();
    let v: Value = serde_json::from_value(serde_json::Value::Array(list)).unwrap();
    let mut s = ContactState::new();
    s.fold(pb, &Event::parse_list(&v, "events").unwrap());
    s
}

/// The discrete parts of the decision at `at` (see the module doc for what is left out, and why).
fn discrete(pb: &Playbook, s: &ContactState, at: i64) -> (serde_json::Value, Option<i64>) {
    let d = decide(pb, s, Timestamp::from_ms(at).unwrap());
    let valid_until = d.valid_until.map(Timestamp::ms);
    let mut v = serde_json::to_value(&d).unwrap();
    let o = v.as_object_mut().unwrap();
    for k in ["scores", "reasons", "validUntil"] {
        o.remove(k);
    }
    if let Some(h) = o.get_mut("handoff").and_then(|h| h.as_object_mut()) {
        h.remove("score");
        h.remove("topReasons");
    }
    if let Some(c) = o.get_mut("cta").and_then(|c| c.as_object_mut()) {
        c.remove("because");
        for s in c.get_mut("skipped").and_then(|s| s.as_array_mut()).into_iter().flatten() {
            s.as_object_mut().unwrap().remove("decidedBy");
        }
    }
    if let Some(n) = o.get_mut("nextStep").and_then(|n| n.as_object_mut()) {
        if n.get("sendAt").and_then(serde_json::Value::as_i64).is_some_and(|t| t <= at) {
            n.insert("sendAt".into(), "now".into());
        }
    }
    (v, valid_until)
}

/// Every instant (a number that reads as one) the decision names.
fn instants(v: &serde_json::Value, out: &mut Vec<i64>) {
    match v {
        serde_json::Value::Number(n) => out.extend(n.as_i64().filter(|t| *t > 1_000_000_000_000)),
        serde_json::Value::Array(a) => a.iter().for_each(|v| instants(v, out)),
        serde_json::Value::Object(o) => o.values().for_each(|v| instants(v, out)),
        _ => {}
    }
}

/// The first path at which two values differ, for the failure message.
fn first_difference(a: &serde_json::Value, b: &serde_json::Value, path: &str) -> Option<String> {
    match (a, b) {
        (serde_json::Value::Object(x), serde_json::Value::Object(y)) => {
            for k in x.keys().chain(y.keys()) {
                let (va, vb) =
                    (x.get(k).unwrap_or(&serde_json::Value::Null), y.get(k).unwrap_or(&serde_json::Value::Null));
                if let Some(p) = first_difference(va, vb, &format!("{path}.{k}")) {
                    return Some(p);
                }
            }
            None
        }
        (serde_json::Value::Array(x), serde_json::Value::Array(y)) if x.len() == y.len() => {
            x.iter().zip(y).enumerate().find_map(|(i, (va, vb))| first_difference(va, vb, &format!("{path}[{i}]")))
        }
        _ => (a != b).then(|| format!("{path}: {a} then {b}")),
    }
}

/// Local `hour:00` on each day from `from`'s local date for `days` days, in `zone`.
fn local_edges(zone: &Zone, from: i64, days: i64, out: &mut Vec<i64>) {
    let l = zone.to_local(Timestamp::from_ms(from).unwrap());
    let day0 = days_from_civil(i64::from(l.year()), l.month(), l.day());
    for day in day0 - 1..day0 + days {
        let (y, m, d) = civil_from_days(day);
        let date = LocalDate::new(i32::try_from(y).unwrap(), m, d).unwrap();
        for h in LOCAL_HOURS {
            out.push(zone.from_local(date, LocalTime::new(h, 0).unwrap()).ms());
        }
    }
}

/// The instants to check: see the module doc.
fn samples(c: &Case, now_discrete: &serde_json::Value, valid_until: Option<i64>) -> Vec<i64> {
    let end = valid_until.unwrap_or(i64::MAX);
    let mut must = Vec::new();
    let mut edges = Vec::new();
    match valid_until {
        Some(v) => {
            must.push(v - 1);
            let len = v - c.now;
            must.extend(c.points.iter().map(|p| c.now + (len / 1000).max(1) * i64::from(*p)));
        }
        None => must.extend([c.now + 1, c.now + YEAR, c.now + 5 * YEAR]),
    }
    let mut named = Vec::new();
    instants(now_discrete, &mut named);
    for t in named {
        must.extend([t - 1, t, t + 1]);
    }
    for (at, _) in &c.events {
        for t in core::iter::once(*at).chain(SPANS.iter().map(|s| at + s)) {
            edges.extend([t - 1, t, t + 1]);
        }
    }
    let mut local = Vec::new();
    for z in ZONES {
        local_edges(&Zone::find(z).unwrap(), c.now, 10, &mut local);
    }
    for t in local {
        edges.extend([t - 1, t, t + 1]);
    }
    edges.retain(|t| *t > c.now && *t < end);
    edges.sort_unstable();
    edges.dedup();
    shuffle(&mut edges, c.seed);
    edges.truncate(if cfg!(debug_assertions) { 40 } else { 80 });
    must.retain(|t| *t > c.now && *t < end);
    must.extend(edges);
    must.sort_unstable();
    must.dedup();
    must
}

fn check(pb: &Playbook, c: &Case) -> Result<(), TestCaseError> {
    let state = fold(pb, c);
    let (at_now, valid_until) = discrete(pb, &state, c.now);
    if let Some(v) = valid_until {
        prop_assert!(v > c.now, "validUntil {} is not after now {}", v, c.now);
    }
    for t in samples(c, &at_now, valid_until) {
        let (at_t, _) = discrete(pb, &state, t);
        if at_t != at_now {
            let diff = first_difference(&at_now, &at_t, "decision").unwrap_or_default();
            prop_assert!(
                false,
                "now {} validUntil {:?}: the decision changed by {} ({} ms after now): {}",
                c.now,
                valid_until,
                t,
                t - c.now,
                diff
            );
        }
    }
    Ok(())
}

proptest! {
    #![proptest_config(ProptestConfig { cases: cases(), ..ProptestConfig::default() })]

    #[test]
    fn the_dense_playbook_decision_holds_until_valid_until(c in case(HOUR, 24 * 8)) {
        static PB: OnceLock<Playbook> = OnceLock::new();
        check(PB.get_or_init(dense), &c)?;
    }

    #[test]
    fn the_saas_decision_holds_until_valid_until(c in case(DAY, 200)) {
        static PB: OnceLock<Playbook> = OnceLock::new();
        check(PB.get_or_init(|| example("saas.json")), &c)?;
    }

    #[test]
    fn the_ecommerce_decision_holds_until_valid_until(c in case(DAY, 400)) {
        static PB: OnceLock<Playbook> = OnceLock::new();
        check(PB.get_or_init(|| example("ecommerce.json")), &c)?;
    }

    #[test]
    fn the_reengagement_decision_holds_until_valid_until(c in case(DAY, 400)) {
        static PB: OnceLock<Playbook> = OnceLock::new();
        check(PB.get_or_init(|| example("reengagement.json")), &c)?;
    }
}

/// Found by the score oracle's run of this file (a random seed): under "only important messages", the trial's
/// important step is allowed at once in the morning; its `sendAt` reads `now` until quiet hours begin at 20:00 New
/// York time, then the next morning. `validUntil` missed that (60 days later): it named the allow's end only for the
/// marketing verdict, which "only important" denies. A step already due now names its own allow's end (D24, D34).
#[test]
fn an_important_step_allowed_now_is_valid_until_quiet_hours_begin() {
    let pb = example("saas.json");
    let now = 1_790_165_600_000; // 2026-09-23 12:13:20 UTC, 08:13 in New York (the playbook's default zone)
    let c = Case {
        now,
        events: vec![
            (now, json!({ "kind": "preferences", "props": { "frequency": "important_only" } })),
            (now - 13 * DAY, json!({ "kind": "form_submit", "props": { "form": "trial" } })),
        ],
        points: vec![1, 10, 100, 500, 900, 999],
        seed: 0,
    };
    let state = fold(&pb, &c);
    let d = decide(&pb, &state, Timestamp::from_ms(now).unwrap());
    let next = d.next_step.as_ref().expect("the trial's important step is next");
    assert_eq!((next.step.as_str(), next.send_at.map(Timestamp::ms)), ("trial_ending", Some(now)));
    let quiet = 1_790_208_000_000; // 2026-09-24 00:00 UTC: 20:00 in New York
    assert_eq!(d.valid_until.map(Timestamp::ms), Some(quiet));
    let later = decide(&pb, &state, Timestamp::from_ms(quiet).unwrap());
    assert_ne!(later.next_step.and_then(|n| n.send_at).map(Timestamp::ms), Some(quiet), "held through the night");
    check(&pb, &c).unwrap();
}
