//! An oracle for fit and intent scores and readiness (D15, D17; docs/playbook.md § Signals, § scores.fit,
//! § scores.intent, § stages (readiness), § Time, § Events, § Decision): random small playbooks (signals matching
//! page paths by glob, forms, scroll bounds, machine opens; intent rules with half-life or linear decay,
//! `expire_after`, caps, negative points, a group `max`; fit rules with every op over text, number, boolean and date
//! fields, relative dates, `min` / `max`; readiness on intent, fit or total) and random histories (matching and
//! non-matching events, profile changes of every type and `null`, stamped at whole hours, at another event's
//! instant, and at an expiry, decay span or date span after an event ± 1 ms), folded in one batch and in up to
//! three time-ordered batches with the state through its byte form between them. A brute-force reference written
//! from the docs alone computes, at random `now`s (before, at and after events, at expiry and date edges ± 1 ms),
//! the scores, readiness and the score reasons (`fitRule`, `fitUnknown`, `capReached`, `intentRule` with its
//! count, points, `decayedTo`, `lastAt`, `capped`, `ruleExpired` with `expiredAt`, the readiness `threshold`s), in
//! order, compared with `decide` (numbers to a relative 1e-9). It also walks the 60 days after each `now` (steps,
//! every expiry, linear floor and relative date ± 1 ms, then bisection) for the first instant readiness changes with
//! no new event, which `validUntil` must not be later than (only that way: other parts of a decision, such as the
//! lifecycle, may change first).
//!
//! Where the docs were silent, the reference follows what docs/playbook.md now says:
//! - an event stamped after `now` counts as folded (§ scores.intent): the rule's accumulator, as it stands after
//!   every event, is read at `now` undecayed when its last event is after `now`; one that restarted after an
//!   expiry at such an event holds only the points since then;
//! - a profile event stamped after `now` has set its fields for a decision at an earlier `now` (§ scores.fit: the
//!   state keeps each field's latest value);
//! - `capped` says the cap clipped the accumulator at some event since the rule last expired (§ Decision).
//!
//! Left out of the comparison: readiness, clamps and `capped` when a score or an accumulator lies within rounding
//! of the bound that decides them (the engine's deterministic `exp2` and the reference's `powf` may differ in the
//! last bits); `in` / `not_in` over sets mixing types (the docs do not say which member decides comparability),
//! and duplicate deliveries of one event (the docs do not say that ids dedupe: identical events are folded twice).
//!
//! `PROPTEST_CASES` raises the case count (debug default: 200; hunt in release with thousands).
#![allow(clippy::expect_used, clippy::unwrap_used, clippy::indexing_slicing, missing_docs)]

use proptest::prelude::*;
use rekindle_core::{decide, Event, Playbook, Readiness, Reason, ScoreKind, Timestamp, UnknownCause, Value};

mod support;
use support::{civil, fold_batches};

const MIN: i64 = 60_000;
const H: i64 = 3_600_000;
const DAY: i64 = 86_400_000;
/// 2026-09-21T00:00:00Z.
const BASE: i64 = 1_789_948_800_000;

// ---------------------------------------------------------------------------------------------------------------
// Playbooks.

/// Signals, by index: (id, JSON).
fn signals_json(machine: bool) -> serde_json::Value {
    serde_json::json!({
        "pricing": { "kind": "page_view", "match": { "path": "/pricing*" } },
        "demo": { "kind": "form_submit", "match": { "form": "demo" } },
        "deep_read": { "kind": "page_leave", "match": { "path": "/blog/*", "scroll": { "ge": 75 } } },
        "opened": { "kind": "email_open", "include_machine": machine },
        "careers": { "kind": "page_view", "match": { "path": "/careers*" } }
    })
}
const SIGNALS: [&str; 5] = ["pricing", "demo", "deep_read", "opened", "careers"];

#[derive(Debug, Clone, Copy, PartialEq)]
enum Decay {
    None,
    HalfLife(i64),
    Linear(i64),
}

#[derive(Debug, Clone)]
struct Rule {
    /// `None`: the id defaults to the signal id.
    id: Option<String>,
    signal: usize,
    points: f64,
    decay: Decay,
    expire: Option<i64>,
    cap: Option<f64>,
}

/// A profile value, as a profile event sets it (`Date` as epoch ms, `Text` for RFC 3339 or other text).
#[derive(Debug, Clone, PartialEq)]
enum Val {
    Text(String),
    Num(f64),
    Bool(bool),
}

#[derive(Debug, Clone)]
enum Op {
    Eq(Val),
    Ne(Val),
    In(Vec<Val>),
    NotIn(Vec<Val>),
    Lt(f64),
    Le(f64),
    Gt(f64),
    Ge(f64),
    Between(f64, f64),
    Contains(&'static str),
    StartsWith(&'static str),
    EndsWith(&'static str),
    Exists,
    Missing,
    Before(i64),
    After(i64),
    WithinLast(i64),
    OlderThan(i64),
}

#[derive(Debug, Clone)]
struct FitRule {
    id: Option<String>,
    field: &'static str,
    op: Op,
    points: f64,
}

#[derive(Debug, Clone)]
struct Spec {
    machine: bool,
    fit: Vec<FitRule>,
    fit_min: Option<f64>,
    fit_max: Option<f64>,
    rules: Vec<Rule>,
    max: Option<f64>,
    /// (`on`, or `None` for the default, warm, hot).
    readiness: Option<(Option<ScoreKind>, f64, f64)>,
}

const FIELDS: [&str; 4] = ["role", "size", "signed_up", "newsletter"];

fn span(ms: i64) -> String {
    if ms % DAY == 0 {
        format!("{}d", ms / DAY)
    } else if ms % H == 0 {
        format!("{}h", ms / H)
    } else if ms % MIN == 0 {
        format!("{}min", ms / MIN)
    } else {
        format!("{}s", ms / 1000)
    }
}

fn val_json(v: &Val) -> serde_json::Value {
    match v {
        Val::Text(s) => serde_json::json!(s),
        Val::Num(n) => serde_json::json!(n),
        Val::Bool(b) => serde_json::json!(b),
    }
}

fn kind_name(k: ScoreKind) -> &'static str {
    match k {
        ScoreKind::Fit => "fit",
        ScoreKind::Intent => "intent",
        ScoreKind::Total => "total",
    }
}

fn fit_rule_json(r: &FitRule) -> serde_json::Value {
    let (op, value): (&str, Option<serde_json::Value>) = match &r.op {
        Op::Eq(v) => ("eq", Some(val_json(v))),
        Op::Ne(v) => ("ne", Some(val_json(v))),
        Op::In(vs) => ("in", Some(vs.iter().map(val_json).collect())),
        Op::NotIn(vs) => ("not_in", Some(vs.iter().map(val_json).collect())),
        Op::Lt(n) => ("lt", Some(serde_json::json!(n))),
        Op::Le(n) => ("le", Some(serde_json::json!(n))),
        Op::Gt(n) => ("gt", Some(serde_json::json!(n))),
        Op::Ge(n) => ("ge", Some(serde_json::json!(n))),
        Op::Between(a, b) => ("between", Some(serde_json::json!([a, b]))),
        Op::Contains(s) => ("contains", Some(serde_json::json!(s))),
        Op::StartsWith(s) => ("starts_with", Some(serde_json::json!(s))),
        Op::EndsWith(s) => ("ends_with", Some(serde_json::json!(s))),
        Op::Exists => ("exists", None),
        Op::Missing => ("missing", None),
        Op::Before(t) => ("before", Some(serde_json::json!(t))),
        Op::After(t) => ("after", Some(serde_json::json!(rfc3339(*t, 0)))),
        Op::WithinLast(d) => ("within_last", Some(serde_json::json!(span(*d)))),
        Op::OlderThan(d) => ("older_than", Some(serde_json::json!(span(*d)))),
    };
    let mut o = serde_json::json!({ "field": r.field, "op": op, "points": r.points });
    if let Some(v) = value {
        o["value"] = v;
    }
    if let Some(id) = &r.id {
        o["id"] = serde_json::json!(id);
    }
    o
}

fn playbook_json(s: &Spec) -> serde_json::Value {
    let mut fit = serde_json::json!({ "rules": s.fit.iter().map(fit_rule_json).collect::<Vec<_>>() });
    if let Some(m) = s.fit_min {
        fit["min"] = serde_json::json!(m);
    }
    if let Some(m) = s.fit_max {
        fit["max"] = serde_json::json!(m);
    }
    let rules: Vec<serde_json::Value> = s
        .rules
        .iter()
        .map(|r| {
            let mut o = serde_json::json!({ "signal": SIGNALS[r.signal], "points": r.points });
            if let Some(id) = &r.id {
                o["id"] = serde_json::json!(id);
            }
            match r.decay {
                Decay::None => {}
                Decay::HalfLife(h) => o["decay"] = serde_json::json!({ "half_life": span(h) }),
                Decay::Linear(l) => o["decay"] = serde_json::json!({ "linear": span(l) }),
            }
            if let Some(e) = r.expire {
                o["expire_after"] = serde_json::json!(span(e));
            }
            if let Some(c) = r.cap {
                o["cap"] = serde_json::json!(c);
            }
            o
        })
        .collect();
    let mut intent = serde_json::json!({ "rules": rules });
    if let Some(m) = s.max {
        intent["max"] = serde_json::json!(m);
    }
    let mut pb = serde_json::json!({
        "version": 1,
        "signals": signals_json(s.machine),
        "scores": { "fit": fit, "intent": intent },
    });
    if let Some((on, warm, hot)) = s.readiness {
        let mut r = serde_json::json!({ "warm": warm, "hot": hot });
        if let Some(on) = on {
            r["on"] = serde_json::json!(kind_name(on));
        }
        pb["stages"] = serde_json::json!({ "readiness": r });
    }
    pb
}

// ---------------------------------------------------------------------------------------------------------------
// Events.

#[derive(Debug, Clone, PartialEq)]
enum Ev {
    /// A page view with this `path`, or (`true`) this `url`.
    View(&'static str, bool),
    Form(&'static str),
    /// A page leave: path and scroll depth.
    Leave(&'static str, i64),
    /// An email open, a machine one when true.
    Open(bool),
    Webinar,
    /// A profile field set (or cleared, `None`). A date field's number is an offset from the event's instant.
    Profile(usize, Option<Val>),
    /// `signed_up` set to the event's instant plus this offset, written as epoch ms (`None`) or as RFC 3339 with
    /// this offset from UTC in minutes.
    SignedUp(i64, Option<i64>),
}

fn event_json(id: usize, at: i64, e: &Ev) -> serde_json::Value {
    let (kind, props, machine) = match e {
        Ev::View(p, false) => ("page_view", serde_json::json!({ "path": p }), false),
        Ev::View(p, true) => {
            ("page_view", serde_json::json!({ "url": format!("https://acme.test{p}?plan=pro#top") }), false)
        }
        Ev::Form(f) => ("form_submit", serde_json::json!({ "form": f }), false),
        Ev::Leave(p, s) => ("page_leave", serde_json::json!({ "path": p, "scroll": s, "seconds": 30 }), false),
        Ev::Open(m) => ("email_open", serde_json::json!({}), *m),
        Ev::Webinar => ("webinar_attended", serde_json::json!({}), false),
        Ev::Profile(f, v) => {
            let mut o = serde_json::Map::new();
            o.insert(FIELDS[*f].into(), v.as_ref().map_or(serde_json::Value::Null, val_json));
            ("profile", serde_json::Value::Object(o), false)
        }
        Ev::SignedUp(off, None) => ("profile", serde_json::json!({ "signed_up": at + off }), false),
        Ev::SignedUp(off, Some(zone)) => {
            ("profile", serde_json::json!({ "signed_up": rfc3339(at + off, *zone) }), false)
        }
    };
    let mut o = serde_json::json!({ "id": format!("e{id:03}"), "at": at, "kind": kind, "props": props });
    if machine {
        o["machine"] = serde_json::json!(true);
    }
    o
}

/// `ms` as RFC 3339 with milliseconds, written at `offset` minutes from UTC.
fn rfc3339(ms: i64, offset: i64) -> String {
    let local = ms + offset * MIN;
    let (y, m, d, h, min, sec) = civil(local);
    let zone = if offset == 0 {
        "Z".to_string()
    } else {
        let sign = if offset < 0 { '-' } else { '+' };
        format!("{sign}{:02}:{:02}", offset.abs() / 60, offset.abs() % 60)
    };
    format!("{y:04}-{m:02}-{d:02}T{h:02}:{min:02}:{sec:02}.{:03}{zone}", local.rem_euclid(1000))
}

// ---------------------------------------------------------------------------------------------------------------
// The reference, from docs/playbook.md alone.

/// docs § Signals: a string is a case-insensitive glob where `*` matches any run of characters.
fn glob(pattern: &str, text: &str) -> bool {
    fn go(p: &[u8], t: &[u8]) -> bool {
        match p.split_first() {
            None => t.is_empty(),
            Some((b'*', rest)) => (0..=t.len()).any(|k| go(rest, &t[k..])),
            Some((c, rest)) => t.first().is_some_and(|x| x.eq_ignore_ascii_case(c)) && go(rest, &t[1..]),
        }
    }
    go(pattern.as_bytes(), text.as_bytes())
}

/// Whether the event is one of signal `s` (docs § Signals; § Events: a page view's `url` gives its path, machine
/// opens count only with `include_machine`).
fn matches(spec: &Spec, s: usize, e: &Ev) -> bool {
    match (SIGNALS[s], e) {
        ("pricing", Ev::View(p, _)) => glob("/pricing*", p),
        ("careers", Ev::View(p, _)) => glob("/careers*", p),
        ("demo", Ev::Form(f)) => glob("demo", f),
        ("deep_read", Ev::Leave(p, scroll)) => glob("/blog/*", p) && *scroll >= 75,
        ("opened", Ev::Open(machine)) => !machine || spec.machine,
        _ => false,
    }
}

fn decayed(d: Decay, points: f64, value: f64, dt: i64) -> f64 {
    if dt <= 0 {
        return value;
    }
    match d {
        Decay::None => value,
        Decay::HalfLife(h) => value * 2f64.powf(-(dt as f64) / h as f64),
        Decay::Linear(l) => {
            let drained = points.abs() * dt as f64 / l as f64;
            if value > 0.0 {
                (value - drained).max(0.0)
            } else {
                (value + drained).min(0.0)
            }
        }
    }
}

/// A reason as the reference expects it (the score reasons of § Decision).
#[derive(Debug, Clone, PartialEq)]
enum R {
    Fit { rule: String, id: String, field: String, points: f64 },
    Unknown { rule: String, id: String, field: String, cause: UnknownCause },
    Cap { group: String, cap: f64, dropped: f64 },
    Intent { rule: String, id: String, signal: String, count: u32, points: f64, decayed: f64, last: i64, capped: bool },
    Expired { rule: String, id: String, signal: String, last: i64, expired_at: i64 },
    Threshold { bar: String, score: ScoreKind, needed: f64, actual: f64, met: bool },
}

#[derive(Debug)]
struct Expected {
    scores: [f64; 3],
    readiness: Readiness,
    reasons: Vec<R>,
    /// Within rounding of a bound that decides readiness, a clamp or `capped`: compare only the scores.
    near: bool,
}

fn close(a: f64, b: f64) -> bool {
    (a - b).abs() <= 1e-9 * a.abs().max(b.abs()).max(1.0)
}

fn near(a: f64, b: f64) -> bool {
    (a - b).abs() <= 1e-7 * a.abs().max(b.abs()).max(1.0)
}

/// A field value read as an instant (§ scores.fit: epoch ms or RFC 3339; whole milliseconds).
fn instant(v: &Val) -> Option<i64> {
    match v {
        Val::Num(n) if n.fract() == 0.0 => Some(*n as i64),
        Val::Text(s) => parse_rfc3339(s),
        _ => None,
    }
}

/// The RFC 3339 forms [`rfc3339`] writes (and nothing else: any other text is not an instant here).
fn parse_rfc3339(s: &str) -> Option<i64> {
    let b = s.as_bytes();
    if b.len() < 24 || b[4] != b'-' || b[10] != b'T' {
        return None;
    }
    let num = |r: std::ops::Range<usize>| s.get(r)?.parse::<i64>().ok();
    let (y, m, d) = (num(0..4)?, num(5..7)?, num(8..10)?);
    let (hh, mm, ss, ms) = (num(11..13)?, num(14..16)?, num(17..19)?, num(20..23)?);
    let offset = match &s[23..] {
        "Z" => 0,
        z if z.len() == 6 => {
            let sign = if z.starts_with('-') { -1 } else { 1 };
            sign * (num(24..26)? * 60 + num(27..29)?)
        }
        _ => return None,
    };
    // Civil date to days since the epoch (Howard Hinnant's algorithm).
    let y2 = if m <= 2 { y - 1 } else { y };
    let era = y2.div_euclid(400);
    let yoe = y2 - era * 400;
    let mp = if m > 2 { m - 3 } else { m + 9 };
    let doy = (153 * mp + 2) / 5 + d - 1;
    let doe = yoe * 365 + yoe / 4 - yoe / 100 + doy;
    let days = era * 146_097 + doe - 719_468;
    Some(days * DAY + hh * H + mm * MIN + ss * 1000 + ms - offset * MIN)
}

/// § scores.fit: three-valued, no coercion; text compares case-insensitively.
fn eval(op: &Op, value: Option<&Val>, now: i64) -> Result<bool, UnknownCause> {
    let Some(v) = value else {
        return match op {
            Op::Exists => Ok(false),
            Op::Missing => Ok(true),
            _ => Err(UnknownCause::Missing),
        };
    };
    let mismatch = Err(UnknownCause::TypeMismatch);
    let eq = |want: &Val| match (want, v) {
        (Val::Text(a), Val::Text(b)) => Some(a.to_lowercase() == b.to_lowercase()),
        (Val::Num(a), Val::Num(b)) => Some(a == b),
        (Val::Bool(a), Val::Bool(b)) => Some(a == b),
        _ => None,
    };
    let num = |f: &dyn Fn(f64) -> bool| match v {
        Val::Num(n) => Ok(f(*n)),
        _ => mismatch,
    };
    let text = |f: &dyn Fn(&str) -> bool| match v {
        Val::Text(s) => Ok(f(&s.to_lowercase())),
        _ => mismatch,
    };
    let date = |f: &dyn Fn(i64) -> bool| instant(v).map_or(mismatch, |t| Ok(f(t)));
    match op {
        Op::Exists => Ok(true),
        Op::Missing => Ok(false),
        Op::Eq(w) => eq(w).ok_or(UnknownCause::TypeMismatch),
        Op::Ne(w) => eq(w).map(|b| !b).ok_or(UnknownCause::TypeMismatch),
        // Sets are of one type (see the module docs).
        Op::In(set) | Op::NotIn(set) => {
            let found: Option<Vec<bool>> = set.iter().map(eq).collect();
            let found = found.ok_or(UnknownCause::TypeMismatch)?.into_iter().any(|b| b);
            Ok(found == matches!(op, Op::In(_)))
        }
        Op::Lt(b) => num(&|n| n < *b),
        Op::Le(b) => num(&|n| n <= *b),
        Op::Gt(b) => num(&|n| n > *b),
        Op::Ge(b) => num(&|n| n >= *b),
        Op::Between(lo, hi) => num(&|n| *lo <= n && n <= *hi),
        Op::Contains(s) => text(&|t| t.contains(&s.to_lowercase())),
        Op::StartsWith(s) => text(&|t| t.starts_with(&s.to_lowercase())),
        Op::EndsWith(s) => text(&|t| t.ends_with(&s.to_lowercase())),
        Op::Before(b) => date(&|t| t < *b),
        Op::After(b) => date(&|t| t > *b),
        Op::WithinLast(d) => date(&|t| 0 <= now - t && now - t < *d),
        Op::OlderThan(d) => date(&|t| now - t >= *d),
    }
}

/// A rule's accumulator after every matching event (§ scores.intent).
#[derive(Debug, Clone, Copy)]
struct Acc {
    value: f64,
    last: i64,
    count: u32,
    capped: bool,
    /// A clip decided within rounding of the cap.
    near: bool,
}

/// Clamps `raw` to `[min, max]` (§ scores.fit, § scores.intent), with its `capReached` reason; `near` when `raw`
/// lies within rounding of a bound.
fn clamp(group: &str, raw: f64, min: Option<f64>, max: Option<f64>, out: &mut Vec<R>, near_: &mut bool) -> f64 {
    for b in [min, max].into_iter().flatten() {
        *near_ |= near(raw, b);
    }
    let bound = match (min, max) {
        (_, Some(max)) if raw > max => max,
        (Some(min), _) if raw < min => min,
        _ => return raw,
    };
    out.push(R::Cap { group: group.into(), cap: bound, dropped: raw - bound });
    bound
}

/// What the fold leaves, as the docs describe it: the profile and each rule's accumulator.
struct Folded {
    profile: [Option<Val>; 4],
    accs: Vec<Option<Acc>>,
}

fn fold(spec: &Spec, events: &[(i64, usize, Ev)]) -> Folded {
    // § Events: a fold reads events in `(at, kind, id)` order; the profile keeps each field's latest value, every
    // event folded (see the module docs for those stamped after `now`).
    let mut sorted: Vec<&(i64, usize, Ev)> = events.iter().collect();
    sorted.sort_by_key(|(at, id, _)| (*at, *id));
    let mut profile: [Option<Val>; 4] = Default::default();
    for (at, _, e) in &sorted {
        match e {
            Ev::Profile(f, v) => profile[*f] = v.clone(),
            Ev::SignedUp(off, None) => profile[2] = Some(Val::Num((at + off) as f64)),
            Ev::SignedUp(off, Some(zone)) => profile[2] = Some(Val::Text(rfc3339(at + off, *zone))),
            _ => {}
        }
    }
    let accs = spec.rules.iter().map(|r| accumulate(spec, r, &sorted)).collect();
    Folded { profile, accs }
}

/// A rule's accumulator after the events, in fold order (§ scores.intent).
fn accumulate(spec: &Spec, r: &Rule, sorted: &[&(i64, usize, Ev)]) -> Option<Acc> {
    let mut acc: Option<Acc> = None;
    for (t, _, _) in sorted.iter().filter(|(_, _, e)| matches(spec, r.signal, e)) {
        // `expire_after` elapsed since the last matching event: the accumulator dropped to 0.
        let live = acc.filter(|a| r.expire.is_none_or(|x| t - a.last < x));
        let mut a = live.map_or(Acc { value: 0.0, last: *t, count: 0, capped: false, near: false }, |a| Acc {
            value: decayed(r.decay, r.points, a.value, t - a.last),
            ..a
        });
        a.value += r.points;
        a.last = *t;
        a.count += 1;
        if let Some(cap) = r.cap {
            a.near |= near(a.value, cap);
            if a.value > cap {
                a.value = cap;
                a.capped = true;
            }
        }
        acc = Some(a);
    }
    acc
}

/// The scores, readiness and reasons a decision at `now` reports for what the fold left.
fn read(spec: &Spec, folded: &Folded, now: i64) -> Expected {
    let mut reasons = Vec::new();
    let mut is_near = false;
    let profile = &folded.profile;
    let mut fit = 0.0;
    for (i, r) in spec.fit.iter().enumerate() {
        let field = FIELDS.iter().position(|f| *f == r.field).unwrap();
        let rule = format!("scores.fit.rules[{i}]");
        let id = r.id.clone().unwrap_or_else(|| r.field.to_string());
        match eval(&r.op, profile[field].as_ref(), now) {
            Ok(true) => {
                fit += r.points;
                reasons.push(R::Fit { rule, id, field: r.field.into(), points: r.points });
            }
            Ok(false) => {}
            Err(cause) => reasons.push(R::Unknown { rule, id, field: r.field.into(), cause }),
        }
    }
    let fit = clamp("scores.fit", fit, spec.fit_min, spec.fit_max, &mut reasons, &mut is_near);
    let mut intent = 0.0;
    for (i, r) in spec.rules.iter().enumerate() {
        let Some(a) = folded.accs[i] else { continue };
        is_near |= a.near;
        let rule = format!("scores.intent.rules[{i}]");
        let id = r.id.clone().unwrap_or_else(|| SIGNALS[r.signal].to_string());
        let signal = SIGNALS[r.signal].to_string();
        match r.expire {
            Some(x) if now - a.last >= x => {
                reasons.push(R::Expired { rule, id, signal, last: a.last, expired_at: a.last + x });
            }
            _ => {
                // Stamped after `now`: counts undecayed (§ scores.intent).
                let v = decayed(r.decay, r.points, a.value, now - a.last);
                intent += v;
                reasons.push(R::Intent {
                    rule,
                    id,
                    signal,
                    count: a.count,
                    points: f64::from(a.count) * r.points,
                    decayed: v,
                    last: a.last,
                    capped: a.capped,
                });
            }
        }
    }
    let intent = clamp("scores.intent", intent, None, spec.max, &mut reasons, &mut is_near);
    let scores = [fit, intent, fit + intent];
    let mut readiness = Readiness::Cold;
    if let Some((on, warm, hot)) = spec.readiness {
        let on = on.unwrap_or(ScoreKind::Intent);
        let actual = match on {
            ScoreKind::Fit => scores[0],
            ScoreKind::Intent => scores[1],
            ScoreKind::Total => scores[2],
        };
        for (name, needed) in [("warm", warm), ("hot", hot)] {
            is_near |= near(actual, needed);
            let bar = format!("stages.readiness.{name}");
            reasons.push(R::Threshold { bar, score: on, needed, actual, met: actual >= needed });
        }
        readiness = if actual >= hot {
            Readiness::Hot
        } else if actual >= warm {
            Readiness::Warm
        } else {
            Readiness::Cold
        };
    }
    Expected { scores, readiness, reasons, near: is_near }
}

/// The score readiness reads at `t`, without reasons (as [`read`] computes it).
fn readiness_score(spec: &Spec, folded: &Folded, on: ScoreKind, t: i64) -> f64 {
    let mut fit = 0.0;
    for r in &spec.fit {
        let field = FIELDS.iter().position(|f| *f == r.field).unwrap();
        if eval(&r.op, folded.profile[field].as_ref(), t) == Ok(true) {
            fit += r.points;
        }
    }
    let fit = clamp("", fit, spec.fit_min, spec.fit_max, &mut Vec::new(), &mut false);
    let mut intent = 0.0;
    for (r, a) in spec.rules.iter().zip(&folded.accs) {
        if let Some(a) = a.filter(|a| r.expire.is_none_or(|x| t - a.last < x)) {
            intent += decayed(r.decay, r.points, a.value, t - a.last);
        }
    }
    let intent = clamp("", intent, None, spec.max, &mut Vec::new(), &mut false);
    match on {
        ScoreKind::Fit => fit,
        ScoreKind::Intent => intent,
        ScoreKind::Total => fit + intent,
    }
}

/// The first instant in `(now, until]` at which readiness differs from its value at `now`, no event arriving:
/// stepping through the gap and on every instant where a score jumps or a linear decay bottoms out, then bisecting.
/// `None` when none is found, or when the first one found lies within rounding of a threshold (a score that only
/// grazes it). A brief change between steps may be stepped over: the instant found is then a later one, which
/// only loosens the check (`validUntil` ≤ the first change).
fn readiness_flip(spec: &Spec, folded: &Folded, events: &[(i64, usize, Ev)], now: i64, until: i64) -> Option<i64> {
    let (on, warm, hot) = spec.readiness?;
    let on = on.unwrap_or(ScoreKind::Intent);
    let level = |t: i64| {
        let v = readiness_score(spec, folded, on, t);
        (u8::from(v >= warm) + u8::from(v >= hot), near(v, warm) || near(v, hot))
    };
    let (start, grazing) = level(now);
    if grazing {
        return None;
    }
    let step = ((until - now) / 400).max(MIN);
    let mut probes: Vec<i64> = (1..).map(|k| now + k * step).take_while(|t| *t < until).collect();
    probes.push(until);
    let mut edges: Vec<i64> = events.iter().map(|(t, _, _)| *t).collect();
    for (r, a) in spec.rules.iter().zip(&folded.accs) {
        let Some(a) = a else { continue };
        if let Some(x) = r.expire {
            edges.push(a.last + x);
        }
        if let Decay::Linear(l) = r.decay {
            edges.push(a.last + (a.value.abs() / r.points.abs() * l as f64).ceil() as i64);
        }
    }
    for (at, _, e) in events {
        if let Ev::SignedUp(off, _) = e {
            for r in &spec.fit {
                if let Op::WithinLast(d) | Op::OlderThan(d) = r.op {
                    edges.extend([at + off, at + off + d]);
                }
            }
        }
    }
    probes.extend(edges.into_iter().flat_map(|t| [t - 1, t, t + 1]).filter(|t| *t > now && *t <= until));
    probes.sort_unstable();
    probes.dedup();
    let mut lo = now;
    for p in probes {
        let (l, grazing) = level(p);
        if l == start {
            lo = p;
            continue;
        }
        if grazing {
            return None;
        }
        let mut hi = p;
        while hi - lo > 1 {
            let mid = lo + (hi - lo) / 2;
            if level(mid).0 == start {
                lo = mid;
            } else {
                hi = mid;
            }
        }
        return Some(hi);
    }
    None
}

/// The decision's score reasons, in the reference's form.
fn got_reasons(d: &rekindle_core::Decision) -> Vec<R> {
    d.reasons
        .iter()
        .filter_map(|r| match r {
            Reason::FitRule { rule, id, field, points } => {
                Some(R::Fit { rule: rule.clone(), id: id.clone(), field: field.clone(), points: *points })
            }
            Reason::FitUnknown { rule, id, field, cause } => {
                Some(R::Unknown { rule: rule.clone(), id: id.clone(), field: field.clone(), cause: *cause })
            }
            Reason::CapReached { group, cap, dropped } => {
                Some(R::Cap { group: group.clone(), cap: *cap, dropped: *dropped })
            }
            Reason::IntentRule { rule, id, signal, count, points, decayed_to, last_at, capped } => Some(R::Intent {
                rule: rule.clone(),
                id: id.clone(),
                signal: signal.clone(),
                count: *count,
                points: *points,
                decayed: *decayed_to,
                last: last_at.ms(),
                capped: *capped,
            }),
            Reason::RuleExpired { rule, id, signal, last_at, expired_at } => Some(R::Expired {
                rule: rule.clone(),
                id: id.clone(),
                signal: signal.clone(),
                last: last_at.ms(),
                expired_at: expired_at.ms(),
            }),
            Reason::Threshold { bar, score, needed, actual, met } if bar.starts_with("stages.readiness.") => {
                Some(R::Threshold { bar: bar.clone(), score: *score, needed: *needed, actual: *actual, met: *met })
            }
            _ => None,
        })
        .collect()
}

/// Reasons equal, numbers to a relative 1e-9.
fn same_reason(g: &R, w: &R) -> bool {
    match (g, w) {
        (R::Fit { rule, id, field, points }, R::Fit { rule: r2, id: i2, field: f2, points: p2 }) => {
            (rule, id, field) == (r2, i2, f2) && close(*points, *p2)
        }
        (R::Cap { group: ga, cap: ca, dropped: da }, R::Cap { group: gb, cap: cb, dropped: db }) => {
            ga == gb && close(*ca, *cb) && close(*da, *db)
        }
        (
            R::Intent { rule, id, signal, count, points, decayed, last, capped },
            R::Intent { rule: r2, id: i2, signal: s2, count: c2, points: p2, decayed: d2, last: l2, capped: k2 },
        ) => {
            (rule, id, signal, count, last, capped) == (r2, i2, s2, c2, l2, k2)
                && close(*points, *p2)
                && close(*decayed, *d2)
        }
        (
            R::Threshold { bar, score, needed, actual, met },
            R::Threshold { bar: b2, score: s2, needed: n2, actual: a2, met: m2 },
        ) => (bar, score, met) == (b2, s2, m2) && close(*needed, *n2) && close(*actual, *a2),
        _ => g == w,
    }
}

// ---------------------------------------------------------------------------------------------------------------
// Strategies.

/// Spans the playbooks use: rule decays and expiries, relative fit dates.
fn span_strategy() -> impl Strategy<Value = i64> {
    prop_oneof![
        Just(45_000),
        Just(90 * MIN),
        Just(H),
        Just(6 * H),
        Just(DAY),
        Just(36 * H),
        Just(3 * DAY),
        Just(7 * DAY),
        Just(14 * DAY),
        Just(42 * DAY),
    ]
}

fn points_strategy() -> impl Strategy<Value = f64> {
    prop_oneof![
        20 => (1..=40i64, any::<bool>()).prop_map(|(p, half)| if half { p as f64 + 0.5 } else { p as f64 }),
        1 => Just(0.001),
        1 => Just(1_000_000.0),
    ]
}

fn rule_strategy() -> impl Strategy<Value = Rule> {
    let decay = prop_oneof![
        1 => Just(Decay::None),
        2 => span_strategy().prop_map(Decay::HalfLife),
        2 => span_strategy().prop_map(Decay::Linear),
    ];
    (
        0..SIGNALS.len(),
        points_strategy(),
        prop::bool::weighted(0.2),
        decay,
        prop::option::weighted(0.5, span_strategy()),
        prop::option::weighted(0.4, 1..=60i64),
        prop::bool::weighted(0.25),
    )
        .prop_map(|(signal, p, negative, decay, expire, cap, default_id)| {
            let negative = negative || SIGNALS[signal] == "careers";
            let points = if negative { -p } else { p };
            Rule {
                // Named in `spec_strategy`, unless it takes the signal id.
                id: (!default_id).then(String::new),
                signal,
                points,
                decay,
                expire,
                cap: cap.filter(|_| !negative).map(|c| c as f64),
            }
        })
}

fn text_strategy() -> impl Strategy<Value = Val> {
    prop_oneof![
        Just(Val::Text("VP".into())),
        Just(Val::Text("vp".into())),
        Just(Val::Text("Head of Marketing".into())),
        Just(Val::Text("student".into())),
        Just(Val::Text("CTO".into())),
        Just(Val::Text("Head of Médecine".into())),
        Just(Val::Text("HEAD OF MÉDECINE".into())),
    ]
}

fn num_strategy() -> impl Strategy<Value = Val> {
    prop_oneof![
        Just(Val::Num(10.0)),
        Just(Val::Num(49.0)),
        Just(Val::Num(50.0)),
        Just(Val::Num(50.5)),
        Just(Val::Num(200.0))
    ]
}

/// A fit rule on one of the fields, sometimes with an op or value of the wrong type for what the field holds.
fn fit_rule_strategy() -> impl Strategy<Value = FitRule> {
    let op = prop_oneof![
        // role: text
        text_strategy().prop_map(|v| ("role", Op::Eq(v))),
        text_strategy().prop_map(|v| ("role", Op::Ne(v))),
        Just(("role", Op::In(vec![Val::Text("vp".into()), Val::Text("CTO".into())]))),
        Just(("role", Op::NotIn(vec![Val::Text("Student".into()), Val::Text("intern".into())]))),
        Just(("role", Op::Contains("MARKET"))),
        Just(("role", Op::Contains("médecine"))),
        Just(("role", Op::Eq(Val::Text("head of médecine".into())))),
        Just(("role", Op::StartsWith("head"))),
        Just(("role", Op::EndsWith("P"))),
        Just(("role", Op::Exists)),
        Just(("role", Op::Missing)),
        Just(("role", Op::Eq(Val::Num(50.0)))),
        // size: number
        Just(("size", Op::Ge(50.0))),
        Just(("size", Op::Gt(50.0))),
        Just(("size", Op::Lt(50.0))),
        Just(("size", Op::Le(49.0))),
        Just(("size", Op::Between(50.0, 200.0))),
        num_strategy().prop_map(|v| ("size", Op::Eq(v))),
        Just(("size", Op::Ne(Val::Num(200.0)))),
        Just(("size", Op::In(vec![Val::Num(10.0), Val::Num(200.0)]))),
        Just(("size", Op::NotIn(vec![Val::Num(50.0)]))),
        Just(("size", Op::Contains("5"))),
        // signed_up: a date
        span_strategy().prop_map(|d| ("signed_up", Op::WithinLast(d))),
        span_strategy().prop_map(|d| ("signed_up", Op::OlderThan(d))),
        (0..20 * 24i64).prop_map(|h| ("signed_up", Op::Before(BASE + h * H))),
        (0..20 * 24i64).prop_map(|h| ("signed_up", Op::After(BASE + h * H))),
        Just(("signed_up", Op::Missing)),
        // newsletter: a boolean
        any::<bool>().prop_map(|b| ("newsletter", Op::Eq(Val::Bool(b)))),
        Just(("newsletter", Op::Ne(Val::Bool(false)))),
        Just(("newsletter", Op::Exists)),
    ];
    (op, (-60..=60i64).prop_filter("nonzero", |p| *p != 0), prop::bool::weighted(0.3)).prop_map(
        |((field, op), points, default_id)| FitRule {
            // Named in `spec_strategy`, unless it takes the field name.
            id: (!default_id).then(String::new),
            field,
            op,
            points: points as f64 / 2.0,
        },
    )
}

fn spec_strategy() -> impl Strategy<Value = Spec> {
    let clamps = (prop::option::weighted(0.3, -20..=0i64), prop::option::weighted(0.3, 5..=60i64));
    let readiness = prop::option::weighted(
        0.85,
        (
            prop::option::weighted(
                0.7,
                prop_oneof![Just(ScoreKind::Fit), Just(ScoreKind::Intent), Just(ScoreKind::Total)],
            ),
            -20..=40i64,
            1..=50i64,
        ),
    );
    (
        any::<bool>(),
        prop::collection::vec(fit_rule_strategy(), 0..=4),
        clamps,
        prop::collection::vec(rule_strategy(), 1..=4),
        prop::option::weighted(0.3, -10..=100i64),
        readiness,
    )
        .prop_map(|(machine, fit, (min, max), rules, intent_max, readiness)| {
            // Most rules carry an id; a few default to their field or signal (two of those on one field or signal
            // are a duplicate id, refused by the parser: such cases are skipped).
            let mut fit = fit;
            let mut rules = rules;
            for (i, r) in fit.iter_mut().enumerate() {
                if r.id.is_some() {
                    r.id = Some(format!("f{i}"));
                }
            }
            for (i, r) in rules.iter_mut().enumerate() {
                if r.id.is_some() {
                    r.id = Some(format!("r{i}"));
                }
            }
            Spec {
                machine,
                fit,
                fit_min: min.map(|m| m as f64),
                fit_max: max.map(|m| m as f64),
                rules,
                max: intent_max.map(|m| m as f64),
                // Halves: thresholds need not be whole, and may be negative (a fit with negative points).
                readiness: readiness.map(|(on, warm, gap)| (on, warm as f64 / 2.0, (warm + gap) as f64 / 2.0)),
            }
        })
}

/// When an event happens: a whole hour, the instant of an earlier event, or a span of the playbook after an
/// earlier event, ± 1 ms (resolved against the playbook in [`resolve`]).
#[derive(Debug, Clone)]
enum When {
    Hour(i64),
    Same(usize),
    Edge(usize, usize, i64),
}

fn ev_strategy() -> impl Strategy<Value = Ev> {
    let path = prop_oneof![
        Just("/pricing"),
        Just("/PRICING/enterprise"),
        Just("/pricing-old"),
        Just("/price"),
        Just("/careers/eng"),
        Just("/blog/x"),
    ];
    let date = prop_oneof![Just(Val::Text("soon".into())), Just(Val::Bool(true)),];
    prop_oneof![
        6 => (path, prop::bool::weighted(0.3)).prop_map(|(p, url)| Ev::View(p, url)),
        3 => prop_oneof![Just("demo"), Just("DEMO"), Just("contact"), Just("demo-2")].prop_map(Ev::Form),
        3 => prop_oneof![Just(("/blog/a", 74)), Just(("/blog/a", 75)), Just(("/Blog/b", 100)), Just(("/pricing", 90))]
            .prop_map(|(p, s)| Ev::Leave(p, s)),
        2 => any::<bool>().prop_map(Ev::Open),
        1 => Just(Ev::Webinar),
        1 => prop::option::weighted(0.85, prop_oneof![4 => text_strategy(), 1 => Just(Val::Num(50.0))]).prop_map(|v| Ev::Profile(0, v)),
        1 => prop::option::weighted(0.85, prop_oneof![4 => num_strategy(), 1 => Just(Val::Text("50".into())), 1 => Just(Val::Bool(true))])
            .prop_map(|v| Ev::Profile(1, v)),
        1 => prop::option::weighted(0.5, date).prop_map(|v| Ev::Profile(2, v)),
        2 => (-30 * 24..=3 * 24i64, prop::option::weighted(0.4, prop_oneof![Just(0i64), Just(120), Just(-330)]))
            .prop_map(|(h, zone)| Ev::SignedUp(h * H, zone)),
        1 => prop::option::weighted(0.85, prop_oneof![3 => any::<bool>().prop_map(Val::Bool), 1 => Just(Val::Text("true".into()))])
            .prop_map(|v| Ev::Profile(3, v)),
    ]
}

fn when_strategy() -> impl Strategy<Value = When> {
    prop_oneof![
        4 => (0..20 * 24i64).prop_map(When::Hour),
        1 => (0..32usize).prop_map(When::Same),
        3 => (0..32usize, 0..8usize, -1..=1i64).prop_map(|(j, d, delta)| When::Edge(j, d, delta)),
    ]
}

/// The spans a playbook reads (decays, expiries, relative fit dates): where scores and rules change.
fn spans(spec: &Spec) -> Vec<i64> {
    let mut out: Vec<i64> = spec
        .rules
        .iter()
        .flat_map(|r| {
            let d = match r.decay {
                Decay::None => None,
                Decay::HalfLife(s) | Decay::Linear(s) => Some(s),
            };
            [d, r.expire]
        })
        .flatten()
        .collect();
    out.extend(spec.fit.iter().filter_map(|r| match r.op {
        Op::WithinLast(d) | Op::OlderThan(d) => Some(d),
        _ => None,
    }));
    if out.is_empty() {
        out.push(DAY);
    }
    out
}

/// The events' instants, in the order generated (ids follow it, so not time order).
fn resolve(spec: &Spec, list: &[(When, Ev)]) -> Vec<(i64, usize, Ev)> {
    let spans = spans(spec);
    let mut out: Vec<(i64, usize, Ev)> = Vec::new();
    for (i, (w, e)) in list.iter().enumerate() {
        let earlier = |j: usize| if i == 0 { BASE } else { out[j % i].0 };
        let at = match w {
            When::Hour(h) => BASE + h * H,
            When::Same(j) => earlier(*j),
            When::Edge(j, d, delta) => earlier(*j) + spans[d % spans.len()] + delta,
        };
        out.push((at, i, e.clone()));
    }
    out
}

/// Decision instants: arbitrary ones, and edges (an event's instant, or a span after it, ± 1 ms), and every
/// relative date's own edges.
fn resolve_nows(
    spec: &Spec,
    events: &[(i64, usize, Ev)],
    nows: &[(usize, Option<usize>, i64)],
    abs: &[i64],
) -> Vec<i64> {
    let spans = spans(spec);
    let mut out: Vec<i64> = abs.iter().map(|n| BASE + n).collect();
    for (j, d, delta) in nows {
        let t = events[j % events.len()].0;
        out.push(t + d.map_or(0, |d| spans[d % spans.len()]) + delta);
    }
    let dates: Vec<i64> = events
        .iter()
        .filter_map(|(at, _, e)| match e {
            Ev::SignedUp(off, _) => Some(at + off),
            _ => None,
        })
        .collect();
    for r in &spec.fit {
        if let Op::WithinLast(d) | Op::OlderThan(d) = r.op {
            for t in dates.iter().take(2) {
                out.extend([t - 1, *t, t + d - 1, t + d]);
            }
        }
    }
    out
}

fn check(spec: &Spec, events: &[(i64, usize, Ev)], nows: &[i64], cuts: &[usize]) -> Result<(), TestCaseError> {
    let json = playbook_json(spec);
    let pb = match Playbook::parse(&serde_json::from_value::<Value>(json.clone()).unwrap()) {
        Ok(pb) => pb,
        Err(e) => return Err(TestCaseError::reject(format!("{e}"))),
    };
    // In time order, so batches cut it into chronological parts. A cut may split an instant: a later batch's events
    // at an instant the state holds apply after the earlier batch's (§ Events), which is the order of their ids here.
    let mut timed: Vec<&(i64, usize, Ev)> = events.iter().collect();
    timed.sort_by_key(|(at, id, _)| (*at, *id));
    let list: Vec<serde_json::Value> = timed.iter().map(|(at, id, e)| event_json(*id, *at, e)).collect();
    let parsed =
        Event::parse_list(&serde_json::from_value::<Value>(serde_json::Value::Array(list.clone())).unwrap(), "e")
            .unwrap();
    let cuts: Vec<usize> = cuts.iter().copied().filter(|c| (1..timed.len()).contains(c)).collect();
    let one = fold_batches(&pb, &parsed, &[]);
    let split = fold_batches(&pb, &parsed, &cuts);
    // One event at a time (a tracker's or a webhook's path, which skips the batch's sort).
    let singly = fold_batches(&pb, &parsed, &(1..parsed.len()).collect::<Vec<usize>>());
    let folded = fold(spec, events);
    for &now in nows {
        let want = read(spec, &folded, now);
        let flip = readiness_flip(spec, &folded, events, now, now + 60 * DAY);
        for (label, state) in [("one batch", &one), ("batches", &split), ("one at a time", &singly)] {
            let d = decide(&pb, state, Timestamp::from_ms(now).unwrap());
            let ctx = || {
                format!(
                    "{label} {cuts:?}, now = {now} (BASE {:+} h)\nplaybook: {json}\nevents: {}\nwant: {want:#?}",
                    (now - BASE) as f64 / H as f64,
                    serde_json::Value::Array(list.clone())
                )
            };
            let got = [d.scores.fit, d.scores.intent, d.scores.total];
            for (g, w) in got.iter().zip(want.scores) {
                prop_assert!(close(*g, w), "scores {got:?} — {}", ctx());
            }
            if want.near {
                continue;
            }
            prop_assert_eq!(d.readiness, want.readiness, "readiness — {}", ctx());
            // § Decision: `validUntil` is the first instant the decision changes on its own; readiness is part of
            // it (other parts, like the lifecycle, may change first).
            if let Some(flip) = flip {
                let until = d.valid_until.map(|t| t.ms());
                prop_assert!(
                    until.is_some_and(|u| u <= flip + 2),
                    "validUntil {until:?} after readiness changes at {flip} (BASE {:+} h) — {}",
                    (flip - BASE) as f64 / H as f64,
                    ctx()
                );
            }
            let reasons = got_reasons(&d);
            let same = reasons.len() == want.reasons.len()
                && reasons.iter().zip(&want.reasons).all(|(g, w)| same_reason(g, w));
            prop_assert!(same, "reasons {reasons:#?} — {}", ctx());
        }
    }
    Ok(())
}

fn cases() -> u32 {
    std::env::var("PROPTEST_CASES").ok().and_then(|n| n.parse().ok()).unwrap_or(200)
}

proptest! {
    #![proptest_config(ProptestConfig { cases: cases(), max_global_rejects: 100_000, ..ProptestConfig::default() })]

    #[test]
    fn scores_readiness_and_their_reasons_match_the_docs(
        spec in spec_strategy(),
        list in prop::collection::vec((when_strategy(), ev_strategy()), 1..16),
        abs in prop::collection::vec(prop_oneof![4 => -DAY..25 * DAY, 1 => 25 * DAY..1000 * DAY], 1..4),
        edges in prop::collection::vec((0..32usize, prop::option::weighted(0.6, 0..8usize), -1..=1i64), 0..6),
        cuts in prop::collection::vec(0..16usize, 0..3),
    ) {
        let events = resolve(&spec, &list);
        let nows = resolve_nows(&spec, &events, &edges, &abs);
        let mut cuts = cuts;
        cuts.sort_unstable();
        check(&spec, &events, &nows, &cuts)?;
    }
}

/// Found by the oracle: readiness on fit, a `within_last 1d` rule on a date ten days after `now`: fit is 10 (hot) for
/// that one day, which `validUntil` did not name (the fit search probed at doubling distances and stepped over it;
/// it now tries each instant a relative fit date flips, `moment/flip.rs`).
#[test]
fn a_fit_date_window_after_now_changes_readiness() {
    let spec = Spec {
        machine: false,
        fit: vec![FitRule { id: Some("trial".into()), field: "signed_up", op: Op::WithinLast(DAY), points: 10.0 }],
        fit_min: None,
        fit_max: None,
        rules: vec![Rule { id: None, signal: 0, points: 1.0, decay: Decay::None, expire: None, cap: None }],
        max: None,
        readiness: Some((Some(ScoreKind::Fit), 5.0, 8.0)),
    };
    let events = [(BASE, 0, Ev::SignedUp(10 * DAY, None))];
    let now = BASE + H;
    let folded = fold(&spec, &events);
    assert_eq!(readiness_flip(&spec, &folded, &events, now, now + 60 * DAY), Some(BASE + 10 * DAY));
    check(&spec, &events, &[now, BASE + 10 * DAY - 1, BASE + 10 * DAY, BASE + 11 * DAY], &[]).unwrap();
}
