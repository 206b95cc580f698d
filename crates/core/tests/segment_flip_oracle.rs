//! Random condition trees (windowed counts, first/last ages, ever/never, relative dates, segment-of-segment,
//! not/all/any) over random small histories, some events stamped after `now`, instants on and one millisecond
//! either side of every window edge. Membership (three-valued) is compared with an oracle read straight from
//! DESIGN §7 over the full history, and `nextFlipAt` with a brute-force scan of every instant at which any
//! leaf can change (each event, each event plus each span, the first event plus each span, the date field and
//! the date plus each span): the first of them at which the oracle's membership differs from `now`'s.
#![allow(clippy::expect_used, clippy::unwrap_used, clippy::indexing_slicing, missing_docs)]

use proptest::prelude::*;
use rekindle_core::field::Truth;
use rekindle_core::{decide, ContactState, Event, Playbook, Timestamp, Value};

const HOUR: i64 = 3_600_000;
const BASE: i64 = 1_790_000_000_000;
/// Window lengths, in hours: short ones so edges coincide with events and with each other.
const SPANS: [i64; 5] = [1, 2, 3, 24, 48];

#[derive(Debug, Clone, Copy, PartialEq)]
enum T {
    True,
    False,
    Unknown,
}

impl T {
    fn of(b: bool) -> T {
        if b {
            T::True
        } else {
            T::False
        }
    }
    fn not(self) -> T {
        match self {
            T::True => T::False,
            T::False => T::True,
            T::Unknown => T::Unknown,
        }
    }
}

#[derive(Debug, Clone)]
enum C {
    AtLeast(usize, i64, u32),
    AtMost(usize, i64, u32),
    LastMore(usize, i64),
    LastLess(usize, i64),
    FirstMore(usize, i64),
    FirstLess(usize, i64),
    Ever(usize, bool),
    /// `field d within_last` (true) or `older_than` (false).
    Date(bool, i64),
    /// `field x eq "a"`: the field is never set, so unknown.
    Missing,
    Seg(usize),
    Not(Box<C>),
    All(Vec<C>),
    Any(Vec<C>),
}

const SIGNALS: [&str; 2] = ["a", "b"];

fn span(h: i64) -> String {
    format!("{h}h")
}

impl C {
    fn json(&self) -> serde_json::Value {
        use serde_json::json;
        match self {
            C::AtLeast(s, d, n) => json!({ "signal": SIGNALS[*s], "within": span(*d), "at_least": n }),
            C::AtMost(s, d, n) => json!({ "signal": SIGNALS[*s], "within": span(*d), "at_most": n }),
            C::LastMore(s, d) => json!({ "last": SIGNALS[*s], "more_than": span(*d) }),
            C::LastLess(s, d) => json!({ "last": SIGNALS[*s], "less_than": span(*d) }),
            C::FirstMore(s, d) => json!({ "first": SIGNALS[*s], "more_than": span(*d) }),
            C::FirstLess(s, d) => json!({ "first": SIGNALS[*s], "less_than": span(*d) }),
            C::Ever(s, true) => json!({ "ever": SIGNALS[*s] }),
            C::Ever(s, false) => json!({ "never": SIGNALS[*s] }),
            C::Date(true, d) => json!({ "field": "d", "op": "within_last", "value": span(*d) }),
            C::Date(false, d) => json!({ "field": "d", "op": "older_than", "value": span(*d) }),
            C::Missing => json!({ "field": "x", "op": "eq", "value": "a" }),
            C::Seg(i) => json!({ "segment": format!("s{i}") }),
            C::Not(c) => json!({ "not": c.json() }),
            C::All(list) => json!({ "all": list.iter().map(C::json).collect::<Vec<_>>() }),
            C::Any(list) => json!({ "any": list.iter().map(C::json).collect::<Vec<_>>() }),
        }
    }

    fn walk(&self, f: &mut dyn FnMut(&C)) {
        f(self);
        match self {
            C::Not(c) => c.walk(f),
            C::All(l) | C::Any(l) => l.iter().for_each(|c| c.walk(f)),
            _ => {}
        }
    }
}

/// A history: `(instant, what)` with what 0 = signal a, 1 = signal b, 2 = an unmatched event, 3 = the profile
/// event setting the date field `d` to the carried instant.
#[derive(Debug, Clone)]
struct History {
    events: Vec<(i64, u8)>,
    date: Option<i64>,
}

struct World<'a> {
    segs: &'a [C],
    h: &'a History,
}

impl World<'_> {
    fn times(&self, s: usize) -> impl Iterator<Item = i64> + '_ {
        self.h.events.iter().filter(move |(_, k)| usize::from(*k) == s).map(|(t, _)| *t)
    }

    fn first_seen(&self) -> Option<i64> {
        self.h.events.iter().map(|(t, _)| *t).min()
    }

    /// DESIGN §7 read literally: within the last D iff 0 ≤ now − t < D; elapsed iff now − t ≥ D.
    fn eval(&self, c: &C, now: i64) -> T {
        let within = |t: i64, d: i64| now - t >= 0 && now - t < d * HOUR;
        match c {
            C::AtLeast(s, d, n) => T::of(self.times(*s).filter(|t| within(*t, *d)).count() as u32 >= *n),
            C::AtMost(s, d, n) => {
                let k = self.times(*s).filter(|t| within(*t, *d)).count() as u32;
                if k > *n {
                    T::False
                } else if self.first_seen().is_none_or(|f| now - f < d * HOUR) {
                    T::Unknown // history shorter than the window
                } else {
                    T::True
                }
            }
            C::LastMore(s, d) | C::LastLess(s, d) => match self.times(*s).filter(|t| *t <= now).max() {
                None => T::False,
                Some(l) => T::of(if matches!(c, C::LastMore(..)) { now - l >= d * HOUR } else { within(l, *d) }),
            },
            C::FirstMore(s, d) | C::FirstLess(s, d) => match self.times(*s).min().filter(|f| *f <= now) {
                None => T::False,
                Some(f) => T::of(if matches!(c, C::FirstMore(..)) { now - f >= d * HOUR } else { within(f, *d) }),
            },
            C::Ever(s, ever) => T::of(self.times(*s).any(|t| t <= now) == *ever),
            C::Date(within_last, d) => match self.h.date {
                None => T::Unknown,
                Some(t) => T::of(if *within_last { within(t, *d) } else { now - t >= d * HOUR }),
            },
            C::Missing => T::Unknown,
            C::Seg(i) => self.eval(&self.segs[*i], now),
            C::Not(c) => self.eval(c, now).not(),
            C::All(list) => {
                let ts: Vec<T> = list.iter().map(|c| self.eval(c, now)).collect();
                if ts.contains(&T::False) {
                    T::False
                } else if ts.contains(&T::Unknown) {
                    T::Unknown
                } else {
                    T::True
                }
            }
            C::Any(list) => {
                let ts: Vec<T> = list.iter().map(|c| self.eval(c, now)).collect();
                if ts.contains(&T::True) {
                    T::True
                } else if ts.contains(&T::Unknown) {
                    T::Unknown
                } else {
                    T::False
                }
            }
        }
    }

    /// Every instant after `now` at which some leaf may change.
    fn edges(&self, now: i64) -> Vec<i64> {
        let mut spans = Vec::new();
        for c in self.segs {
            c.walk(&mut |c| match c {
                C::AtLeast(_, d, _)
                | C::AtMost(_, d, _)
                | C::LastMore(_, d)
                | C::LastLess(_, d)
                | C::FirstMore(_, d)
                | C::FirstLess(_, d)
                | C::Date(_, d) => spans.push(*d * HOUR),
                _ => {}
            });
        }
        let mut out = Vec::new();
        for t in self.h.events.iter().map(|(t, _)| *t).chain(self.h.date) {
            out.push(t);
            out.extend(spans.iter().map(|d| t + d));
        }
        out.retain(|t| *t > now);
        out.sort_unstable();
        out.dedup();
        out
    }
}

fn leaf() -> impl Strategy<Value = C> {
    let d = prop::sample::select(SPANS.to_vec());
    let s = 0usize..2;
    prop_oneof![
        (s.clone(), d.clone(), 1u32..4).prop_map(|(s, d, n)| C::AtLeast(s, d, n)),
        (s.clone(), d.clone(), 0u32..3).prop_map(|(s, d, n)| C::AtMost(s, d, n)),
        (s.clone(), d.clone()).prop_map(|(s, d)| C::LastMore(s, d)),
        (s.clone(), d.clone()).prop_map(|(s, d)| C::LastLess(s, d)),
        (s.clone(), d.clone()).prop_map(|(s, d)| C::FirstMore(s, d)),
        (s.clone(), d.clone()).prop_map(|(s, d)| C::FirstLess(s, d)),
        (s, any::<bool>()).prop_map(|(s, e)| C::Ever(s, e)),
        (any::<bool>(), d).prop_map(|(w, d)| C::Date(w, d)),
        Just(C::Missing),
    ]
}

/// A tree for segment `i`, which may refer to segments before it.
fn tree(i: usize) -> impl Strategy<Value = C> {
    let base = if i == 0 { leaf().boxed() } else { prop_oneof![4 => leaf(), 1 => (0..i).prop_map(C::Seg)].boxed() };
    base.prop_recursive(3, 8, 3, |inner| {
        prop_oneof![
            inner.clone().prop_map(|c| C::Not(Box::new(c))),
            prop::collection::vec(inner.clone(), 2..=3).prop_map(C::All),
            prop::collection::vec(inner, 2..=3).prop_map(C::Any),
        ]
    })
}

/// An instant on the hour grid, or one millisecond either side of it.
fn instant(hours: i64) -> impl Strategy<Value = i64> {
    (0..hours, prop::sample::select(vec![0i64, 0, 0, 1, -1])).prop_map(|(h, e)| BASE + h * HOUR + e)
}

fn history() -> impl Strategy<Value = History> {
    (prop::collection::vec((instant(96), 0u8..3), 1..8), prop::option::of(instant(96)), instant(96)).prop_map(
        |(events, date, profile_at)| {
            let mut events = events;
            if date.is_some() {
                events.push((profile_at, 3));
            }
            History { events, date }
        },
    )
}

fn playbook(segs: &[C]) -> Playbook {
    playbook_with(segs, serde_json::Value::Null)
}

fn playbook_with(segs: &[C], ctas: serde_json::Value) -> Playbook {
    let segments: serde_json::Map<String, serde_json::Value> =
        segs.iter().enumerate().map(|(i, c)| (format!("s{i}"), serde_json::json!({ "when": c.json() }))).collect();
    let mut pb = serde_json::json!({
        "version": 1,
        "signals": {
            "a": { "kind": "page_view", "match": { "path": "/a" } },
            "b": { "kind": "purchase" }
        },
        "segments": segments
    });
    if !ctas.is_null() {
        pb["ctas"] = ctas;
    }
    Playbook::parse(&serde_json::from_value::<Value>(pb).unwrap()).unwrap()
}

/// The instants the state keeps per signal: the largest count a condition needs, at least one.
fn keep(segs: &[C], s: usize) -> usize {
    let mut k = 1;
    for c in segs {
        c.walk(&mut |c| match c {
            C::AtLeast(x, _, n) if *x == s => k = k.max(*n as usize),
            C::AtMost(x, _, n) if *x == s => k = k.max(*n as usize + 1),
            _ => {}
        });
    }
    k
}

/// The history with no more occurrences of a signal than the state keeps instants of: every answer is then
/// exact (with more, an event stamped after `now` may hide which instants were dropped, and answers say so).
fn within_keep(segs: &[C], mut h: History) -> History {
    let mut seen = [0usize; 2];
    h.events.retain(|(_, k)| match usize::from(*k) {
        s @ (0 | 1) => {
            seen[s] += 1;
            seen[s] <= keep(segs, s)
        }
        _ => true,
    });
    h
}

fn fold(pb: &Playbook, h: &History) -> ContactState {
    let json: Vec<serde_json::Value> = h
        .events
        .iter()
        .enumerate()
        .map(|(i, (at, k))| match k {
            0 => serde_json::json!({ "at": at, "id": format!("e{i}"), "kind": "page_view", "props": { "path": "/a" } }),
            1 => serde_json::json!({ "at": at, "id": format!("e{i}"), "kind": "purchase" }),
            2 => serde_json::json!({ "at": at, "id": format!("e{i}"), "kind": "email_click" }),
            _ => serde_json::json!({ "at": at, "id": format!("e{i}"), "kind": "profile", "props": { "d": h.date } }),
        })
        .collect();
    let v: Value = serde_json::from_value(serde_json::Value::Array(json)).unwrap();
    let mut state = ContactState::new();
    state.fold(pb, &Event::parse_list(&v, "events").unwrap());
    state
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(400))]

    #[test]
    fn membership_and_next_flip_match_a_brute_force_scan_of_every_window_edge(
        segs in (tree(0), tree(1), tree(2)).prop_map(|(a, b, c)| vec![a, b, c]),
        h in history(),
        now in instant(120),
    ) {
        let h = within_keep(&segs, h);
        let pb = playbook(&segs);
        let state = fold(&pb, &h);
        let world = World { segs: &segs, h: &h };
        let d = decide(&pb, &state, Timestamp::from_ms(now).unwrap());
        let edges = world.edges(now);
        for (i, m) in d.segments.iter().enumerate() {
            let truth = world.eval(&segs[i], now);
            prop_assert_eq!((m.member, m.unknown), (truth == T::True, truth == T::Unknown), "{} at {}", m.id, now);
            let expected = edges.iter().copied().find(|t| (world.eval(&segs[i], *t) == T::True) != m.member);
            prop_assert_eq!(m.next_flip_at.map(Timestamp::ms), expected, "next flip of {}", m.id);
        }
    }
}

/// The engine's truths at `t`, as the oracle spells them.
fn engine(pb: &Playbook, state: &ContactState, t: i64) -> Vec<T> {
    rekindle_core::segment::memberships_at(pb, state, Timestamp::from_ms(t).unwrap())
        .map(|(_, truth)| match truth {
            Truth::True => T::True,
            Truth::False => T::False,
            Truth::Unknown(_) => T::Unknown,
        })
        .collect()
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(300))]

    /// With more occurrences than the state keeps, an event stamped after `now` hides where the dropped ones lie:
    /// the engine may then answer unknown, but a known answer is the oracle's, and `nextFlipAt` is still the first
    /// window edge at which the engine's own membership changes.
    #[test]
    fn with_dropped_instants_known_answers_are_right_and_the_next_flip_is_the_first_change(
        segs in (tree(0), tree(1), tree(2)).prop_map(|(a, b, c)| vec![a, b, c]),
        h in history(),
        now in instant(120),
    ) {
        let pb = playbook(&segs);
        let state = fold(&pb, &h);
        let world = World { segs: &segs, h: &h };
        let d = decide(&pb, &state, Timestamp::from_ms(now).unwrap());
        let edges = world.edges(now);
        for t in core::iter::once(now).chain(edges.iter().copied()) {
            for (i, got) in engine(&pb, &state, t).into_iter().enumerate() {
                let exact = world.eval(&segs[i], t);
                prop_assert!(got == T::Unknown || got == exact, "s{} at {}: engine {:?}, exact {:?}", i, t, got, exact);
            }
        }
        for (i, m) in d.segments.iter().enumerate() {
            let expected = edges.iter().copied().find(|t| (engine(&pb, &state, *t)[i] == T::True) != m.member);
            prop_assert_eq!(m.next_flip_at.map(Timestamp::ms), expected, "next flip of {}", m.id);
        }
    }
}

/// A CTA candidate: its `when` and `unless`, each optional.
type Cand = (Option<C>, Option<C>);

/// The choice straight from docs/playbook.md § CTA: the first candidate whose `when` holds (or is absent) and
/// whose `unless` is false (or absent); else the default, as a fallback; else none.
fn oracle_choice(world: &World<'_>, cands: &[Cand], default: Option<usize>, t: i64) -> Option<(String, bool)> {
    let eligible = |(when, unless): &Cand| {
        when.as_ref().is_none_or(|w| world.eval(w, t) == T::True)
            && unless.as_ref().is_none_or(|u| world.eval(u, t) == T::False)
    };
    match cands.iter().position(eligible) {
        Some(i) => Some((format!("c{i}"), false)),
        None => default.map(|d| (format!("c{d}"), true)),
    }
}

fn cta_json(cands: &[Cand], default: Option<usize>) -> serde_json::Value {
    let list: Vec<serde_json::Value> = cands
        .iter()
        .enumerate()
        .map(|(i, (when, unless))| {
            let mut o = serde_json::Map::new();
            o.insert("id".into(), format!("c{i}").into());
            if let Some(w) = when {
                o.insert("when".into(), w.json());
            }
            if let Some(u) = unless {
                o.insert("unless".into(), u.json());
            }
            serde_json::Value::Object(o)
        })
        .collect();
    match default {
        Some(d) => serde_json::json!({ "candidates": list, "default": format!("c{d}") }),
        None => serde_json::json!({ "candidates": list }),
    }
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(300))]

    /// The CTA is the oracle's choice at `now`, and the decision is valid no longer than until the first window
    /// edge at which the oracle's choice (id, or the same id reached as a fallback) changes.
    #[test]
    fn the_cta_and_its_validity_match_a_brute_force_scan_of_every_window_edge(
        segs in (tree(0), tree(1), tree(2)).prop_map(|(a, b, c)| vec![a, b, c]),
        cands in prop::collection::vec((prop::option::of(tree(3)), prop::option::of(tree(3))), 1..4),
        default in prop::option::of(0usize..3),
        h in history(),
        now in instant(120),
    ) {
        // A candidate with neither `when` nor `unless` is refused before others (it would hide them): last only.
        let mut cands = cands;
        if let Some(always) = cands.iter().position(|(w, u)| w.is_none() && u.is_none()) {
            cands.truncate(always + 1);
        }
        // A default with an `unless` is refused (its suppression would be ignored as the fallback).
        let default = default.filter(|d| cands.get(*d).is_some_and(|(_, unless)| unless.is_none()));
        let mut all: Vec<C> = segs.clone();
        all.extend(cands.iter().flat_map(|(w, u)| w.iter().chain(u.iter()).cloned()));
        let h = within_keep(&all, h);
        let pb = playbook_with(&segs, cta_json(&cands, default));
        let state = fold(&pb, &h);
        let world = World { segs: &segs, h: &h };
        let d = decide(&pb, &state, Timestamp::from_ms(now).unwrap());
        let chosen = oracle_choice(&world, &cands, default, now);
        prop_assert_eq!(d.cta.as_ref().map(|c| (c.id.clone(), c.fallback)), chosen.clone());
        let mut edges = World { segs: &all, h: &h }.edges(now);
        edges.retain(|t| *t > now);
        if let Some(change) = edges.iter().copied().find(|t| oracle_choice(&world, &cands, default, *t) != chosen) {
            let valid_until = d.valid_until.map(Timestamp::ms);
            prop_assert!(valid_until.is_some_and(|v| v <= change), "valid until {:?}, the CTA changes at {}", valid_until, change);
        }
    }
}
