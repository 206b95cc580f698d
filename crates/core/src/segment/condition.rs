//! The condition language shared by segments, CTAs and nurture sequences: a typed tree parsed once from the
//! playbook. Every node keeps its path, so reasons and errors point back at the rule that decided.
//!
//! ```text
//! { "all": [c, …] }  { "any": [c, …] }  { "not": c }
//! { "field": "country", "op": "eq", "value": "PL" }          ops as fit rules, plus between, before, after,
//!                                                             within_last, older_than (dates in the field)
//! { "signal": "pricing_visit", "within": "7d", "at_least": 2 }   or "at_most": N (0 = "zero times")
//! { "last": "purchase", "more_than": "90d" }                  or "less_than"; never happened → false
//! { "first": "purchase", "more_than": "30d" }                 "30 days after the first order"
//! { "anniversary": "purchase", "within": "7d" }               within 7 d after each 365-day anniversary
//! { "ever": "purchase" }  { "never": "purchase" }
//! { "segment": "active_12m" }
//! { "stage": ["mql", "sql"] }  { "stage_at_least": "sql" }  { "readiness": "hot" }  { "lifecycle": ["cold"] }
//! { "score": "intent", "op": "ge", "value": 20 }
//! { "rfm": ["champions", "loyal"] }                           the contact's recorded RFM cell (profile rfm_cell)
//! { "deal": ["open"] }                                        the deal status sales last reported; "none" if never
//! ```

use alloc::boxed::Box;
use alloc::format;
use alloc::string::String;
use alloc::vec::Vec;

use crate::error::ProblemCode;
use crate::field::{parse_test, FieldTest};
use crate::lifecycle::{parse_phase, Phase, PHASE_NAMES};
use crate::playbook::compiled::compiled_enum;
use crate::playbook::reader::{index, Obj, Reader};
use crate::playbook::signal::Declared;
use crate::stage::{Readiness, ScoreKind, Stage};
use crate::state::DealStatus;
use crate::time::{quote, Span};
use crate::value::Value;

/// A bound on a windowed count.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Bound {
    AtLeast(u32),
    AtMost(u32),
}

compiled_enum!(Bound { 0 => AtLeast(n), 1 => AtMost(n) });

/// How old the first or last occurrence must be.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Age {
    MoreThan(Span),
    LessThan(Span),
}

compiled_enum!(Age { 0 => MoreThan(span), 1 => LessThan(span) });

/// A numeric comparison on a score.
#[derive(Debug, Clone, Copy, PartialEq)]
pub(crate) enum Cmp {
    Ge(f64),
    Gt(f64),
    Le(f64),
    Lt(f64),
}

compiled_enum!(Cmp { 0 => Ge(bound), 1 => Gt(bound), 2 => Le(bound), 3 => Lt(bound) });

impl Cmp {
    /// The threshold.
    pub(crate) fn bound(self) -> f64 {
        match self {
            Cmp::Ge(b) | Cmp::Gt(b) | Cmp::Le(b) | Cmp::Lt(b) => b,
        }
    }

    pub(crate) fn holds(self, v: f64) -> bool {
        match self {
            Cmp::Ge(b) => v >= b,
            Cmp::Gt(b) => v > b,
            Cmp::Le(b) => v <= b,
            Cmp::Lt(b) => v < b,
        }
    }
}

/// One node of a condition tree.
#[derive(Debug, Clone, PartialEq)]
pub(crate) enum Cond {
    All(String, Vec<Cond>),
    Any(String, Vec<Cond>),
    Not(String, Box<Cond>),
    Field {
        path: String,
        field: String,
        test: FieldTest,
    },
    Count {
        path: String,
        signal: usize,
        within: Span,
        bound: Bound,
    },
    Last {
        path: String,
        signal: usize,
        age: Age,
    },
    First {
        path: String,
        signal: usize,
        age: Age,
    },
    Anniversary {
        path: String,
        signal: usize,
        within: Span,
    },
    Ever {
        path: String,
        signal: usize,
        ever: bool,
    },
    Segment {
        path: String,
        index: usize,
    },
    Stage {
        path: String,
        any_of: Vec<Stage>,
    },
    StageAtLeast {
        path: String,
        stage: Stage,
    },
    Readiness {
        path: String,
        any_of: Vec<Readiness>,
    },
    Lifecycle {
        path: String,
        any_of: Vec<Phase>,
    },
    Score {
        path: String,
        score: ScoreKind,
        cmp: Cmp,
    },
    Rfm {
        path: String,
        cells: Vec<String>,
    },
    Deal {
        path: String,
        any_of: Vec<Option<DealStatus>>,
    },
    /// The lifecycle's ghost-open flag (D2): opens, but no click for long enough.
    Ghost {
        path: String,
        is: bool,
    },
}

compiled_enum!(Cond {
    0 => All(path, list),
    1 => Any(path, list),
    2 => Not(path, cond),
    3 => Field { path, field, test },
    4 => Count { path, signal, within, bound },
    5 => Last { path, signal, age },
    6 => First { path, signal, age },
    7 => Anniversary { path, signal, within },
    8 => Ever { path, signal, ever },
    9 => Segment { path, index },
    10 => Stage { path, any_of },
    11 => StageAtLeast { path, stage },
    12 => Readiness { path, any_of },
    13 => Lifecycle { path, any_of },
    14 => Score { path, score, cmp },
    15 => Rfm { path, cells },
    16 => Deal { path, any_of },
    17 => Ghost { path, is },
});

impl Cond {
    /// The playbook path of this node.
    pub(crate) fn path(&self) -> &str {
        match self {
            Cond::All(p, _) | Cond::Any(p, _) | Cond::Not(p, _) => p,
            Cond::Field { path, .. }
            | Cond::Count { path, .. }
            | Cond::Last { path, .. }
            | Cond::First { path, .. }
            | Cond::Anniversary { path, .. }
            | Cond::Ever { path, .. }
            | Cond::Segment { path, .. }
            | Cond::Stage { path, .. }
            | Cond::StageAtLeast { path, .. }
            | Cond::Readiness { path, .. }
            | Cond::Lifecycle { path, .. }
            | Cond::Score { path, .. }
            | Cond::Rfm { path, .. }
            | Cond::Deal { path, .. }
            | Cond::Ghost { path, .. } => path,
        }
    }

    /// Visits every node.
    pub(crate) fn walk(&self, f: &mut dyn FnMut(&Cond)) {
        f(self);
        match self {
            Cond::All(_, list) | Cond::Any(_, list) => list.iter().for_each(|c| c.walk(f)),
            Cond::Not(_, c) => c.walk(f),
            _ => {}
        }
    }
}

/// What a condition may refer to while it is parsed.
pub(crate) struct Scope<'a> {
    pub(crate) signals: &'a Declared,
    /// Segment ids, in playbook order (segments may reference each other; cycles are refused later).
    pub(crate) segments: &'a [String],
}

/// The keys that name a condition's kind, in the order error messages list them.
const KIND_KEYS: [&str; 19] = [
    "all",
    "any",
    "not",
    "field",
    "signal",
    "last",
    "first",
    "anniversary",
    "ever",
    "never",
    "segment",
    "stage",
    "stage_at_least",
    "readiness",
    "lifecycle",
    "score",
    "rfm",
    "deal",
    "ghost",
];

/// Parses one condition; `None` after recording problems.
pub(crate) fn parse(r: &mut Reader, v: &Value, path: &str, scope: &Scope<'_>) -> Option<Cond> {
    let Value::Object(entries) = v else {
        r.problem(path, ProblemCode::WrongType, format!("expected a condition object, got {}", v.kind_name()));
        return None;
    };
    // The condition's kind is its key that names one, wherever it stands: JSON objects have no order, and tools
    // that sort keys (`jq -S`, Python's `sort_keys`) write `{"at_least": 2, "signal": "pricing_visit", …}`.
    let Some((head, _)) = entries.iter().find(|(k, _)| KIND_KEYS.contains(&k.as_str())).or(entries.first()) else {
        r.problem(
            path,
            ProblemCode::MissingField,
            format!("an empty condition; expected one of {}", KIND_KEYS.join(", ")),
        );
        return None;
    };
    let kinds: Vec<&str> = entries.iter().map(|(k, _)| k.as_str()).filter(|k| KIND_KEYS.contains(k)).collect();
    if let [first, second, ..] = kinds.as_slice() {
        let message = format!(
            "one condition per object, and this has \"{first}\" and \"{second}\": put each in its own object inside \
             {{ \"all\": [ … ] }} (both hold) or {{ \"any\": [ … ] }} (either holds)"
        );
        r.problem(path, ProblemCode::UnknownField, message);
        return None;
    }
    let allowed: &[&str] = match head.as_str() {
        "all" | "any" | "not" | "ever" | "never" | "segment" | "stage" | "stage_at_least" | "readiness"
        | "lifecycle" | "rfm" | "deal" | "ghost" => &[],
        "field" => &["field", "op", "value"],
        "signal" => &["signal", "within", "at_least", "at_most"],
        "last" => &["last", "more_than", "less_than"],
        "first" => &["first", "more_than", "less_than"],
        "anniversary" => &["anniversary", "within"],
        "score" => &["score", "op", "value"],
        other => {
            r.problem(
                index_key(path, other),
                ProblemCode::UnknownField,
                format!(
                    "unknown condition \"{}\"{}; expected one of {}",
                    quote(other),
                    crate::playbook::reader::did_you_mean(other, KIND_KEYS.iter().copied()),
                    KIND_KEYS.join(", ")
                ),
            );
            return None;
        }
    };
    let single = allowed.is_empty();
    let head_only = [head.as_str()];
    let o = r.object(v, path, if single { &head_only } else { allowed })?;
    let head_value = o.get(head)?;
    let at = o.at(head);
    let p = String::from(path);
    match head.as_str() {
        "all" | "any" => {
            let items = r.array(head_value, &at)?;
            if items.is_empty() {
                r.problem(&at, ProblemCode::OutOfRange, format!("\"{head}\" needs at least one condition"));
                return None;
            }
            let list: Vec<Cond> =
                items.iter().enumerate().filter_map(|(i, c)| parse(r, c, &index(&at, i), scope)).collect();
            (list.len() == items.len()).then(|| if head == "all" { Cond::All(p, list) } else { Cond::Any(p, list) })
        }
        "not" => parse(r, head_value, &at, scope).map(|c| Cond::Not(p, Box::new(c))),
        "field" => {
            let field = r.string(head_value, &at)?;
            let op = r.required(&o, "op").and_then(|op| r.string(op, &o.at("op")))?;
            let test = parse_test(r, &o, op)?;
            Some(Cond::Field { path: p, field: field.into(), test })
        }
        "signal" => {
            let signal = signal_ref(r, head_value, &at, scope);
            let within = r.required(&o, "within").and_then(|w| r.span(w, &o.at("within")));
            let bound = match (o.get("at_least"), o.get("at_most")) {
                (Some(_), Some(_)) => {
                    r.problem(path, ProblemCode::UnknownField, "give at_least or at_most, not both");
                    None
                }
                (Some(n), None) => r.count(n, &o.at("at_least"), 1).map(Bound::AtLeast),
                (None, Some(n)) => r.count(n, &o.at("at_most"), 0).map(Bound::AtMost),
                (None, None) => Some(Bound::AtLeast(1)),
            };
            Some(Cond::Count { path: p, signal: signal?, within: within?, bound: bound? })
        }
        "last" | "first" => {
            let signal = signal_ref(r, head_value, &at, scope);
            let age = age(r, &o, path);
            let (signal, age) = (signal?, age?);
            Some(if head == "last" {
                Cond::Last { path: p, signal, age }
            } else {
                Cond::First { path: p, signal, age }
            })
        }
        "anniversary" => {
            let signal = signal_ref(r, head_value, &at, scope);
            let mut within = r.required(&o, "within").and_then(|w| r.span(w, &o.at("within")));
            // Anniversaries are 365 days apart: a window as long holds every day after the first one.
            if within.is_some_and(|w| w >= Span::days(365)) {
                r.problem(
                    o.at("within"),
                    ProblemCode::OutOfRange,
                    "anniversaries are 365 days apart, so a window of 365d or more holds every day after the first; \
                     write less than 365d, or {\"first\": …, \"more_than\": \"365d\"} for \"a year after\"",
                );
                within = None;
            }
            Some(Cond::Anniversary { path: p, signal: signal?, within: within? })
        }
        "ever" | "never" => {
            let signal = signal_ref(r, head_value, &at, scope)?;
            Some(Cond::Ever { path: p, signal, ever: head == "ever" })
        }
        "segment" => {
            let name = r.string(head_value, &at)?;
            let found = scope.segments.iter().position(|s| s == name);
            if found.is_none() {
                let hint = crate::playbook::reader::did_you_mean(name, scope.segments.iter().map(String::as_str));
                r.problem(&at, ProblemCode::UnknownReference, format!("unknown segment \"{}\"{hint}", quote(name)));
            }
            Some(Cond::Segment { path: p, index: found? })
        }
        "stage" => names(r, head_value, &at, "lead, mql, sql, opportunity, customer", Stage::parse)
            .map(|any_of| Cond::Stage { path: p, any_of }),
        "stage_at_least" => {
            let name = r.string(head_value, &at)?;
            let stage = Stage::parse(name);
            if stage.is_none() {
                let message =
                    format!("unknown stage \"{}\"; expected one of lead, mql, sql, opportunity, customer", quote(name));
                r.problem(&at, ProblemCode::OutOfRange, message);
            }
            Some(Cond::StageAtLeast { path: p, stage: stage? })
        }
        "readiness" => names(r, head_value, &at, "cold, warm, hot", parse_readiness)
            .map(|any_of| Cond::Readiness { path: p, any_of }),
        "lifecycle" => {
            names(r, head_value, &at, PHASE_NAMES, parse_phase).map(|any_of| Cond::Lifecycle { path: p, any_of })
        }
        "rfm" => {
            names(r, head_value, &at, "cell names", |s| Some(String::from(s))).map(|cells| Cond::Rfm { path: p, cells })
        }
        "deal" => names(r, head_value, &at, "open, won, lost, disqualified or none", parse_deal)
            .map(|any_of| Cond::Deal { path: p, any_of }),
        "ghost" => r.boolean(head_value, &at).map(|is| Cond::Ghost { path: p, is }),
        _ => {
            let score = match r.string(head_value, &at)? {
                "fit" => Some(ScoreKind::Fit),
                "intent" => Some(ScoreKind::Intent),
                "total" => Some(ScoreKind::Total),
                other => {
                    r.problem(
                        &at,
                        ProblemCode::OutOfRange,
                        format!("expected fit, intent or total, got \"{}\"", quote(other)),
                    );
                    None
                }
            };
            let op = r.required(&o, "op").and_then(|op| r.string(op, &o.at("op")));
            let value = r.required(&o, "value").and_then(|v| r.number(v, &o.at("value")));
            let cmp = match op? {
                "ge" => Cmp::Ge(value?),
                "gt" => Cmp::Gt(value?),
                "le" => Cmp::Le(value?),
                "lt" => Cmp::Lt(value?),
                other => {
                    r.problem(
                        o.at("op"),
                        ProblemCode::UnknownOp,
                        format!("expected ge, gt, le or lt, got \"{}\"", quote(other)),
                    );
                    return None;
                }
            };
            Some(Cond::Score { path: p, score: score?, cmp })
        }
    }
}

fn index_key(path: &str, key: &str) -> String {
    crate::playbook::reader::join(path, key)
}

fn parse_readiness(name: &str) -> Option<Readiness> {
    match name {
        "cold" => Some(Readiness::Cold),
        "warm" => Some(Readiness::Warm),
        "hot" => Some(Readiness::Hot),
        _ => None,
    }
}

/// A `sales_status` name, or `none` for a contact sales never reported on (`Some(None)`). `deal` exists because
/// stages only move forward: `stage` cannot tell an open deal from a lost one, and a CTA suppression has to read
/// what the send policy reads.
fn parse_deal(name: &str) -> Option<Option<DealStatus>> {
    match name {
        "none" => Some(None),
        status => DealStatus::parse(status).map(Some),
    }
}

fn signal_ref(r: &mut Reader, v: &Value, path: &str, scope: &Scope<'_>) -> Option<usize> {
    let name = r.string(v, path)?;
    scope.signals.resolve(r, name, path)
}

fn age(r: &mut Reader, o: &Obj<'_>, path: &str) -> Option<Age> {
    match (o.get("more_than"), o.get("less_than")) {
        (Some(s), None) => r.span(s, &o.at("more_than")).map(Age::MoreThan),
        (None, Some(s)) => r.span(s, &o.at("less_than")).map(Age::LessThan),
        _ => {
            r.problem(path, ProblemCode::MissingField, "give exactly one of more_than or less_than");
            None
        }
    }
}

/// One name or a non-empty list of names, each parsed by `parse`.
fn names<T>(
    r: &mut Reader,
    v: &Value,
    path: &str,
    expected: &str,
    parse: impl Fn(&str) -> Option<T>,
) -> Option<Vec<T>> {
    let items: Vec<(String, &Value)> = match v {
        Value::Array(list) if !list.is_empty() => list.iter().enumerate().map(|(i, v)| (index(path, i), v)).collect(),
        Value::String(_) => alloc::vec![(String::from(path), v)],
        other => {
            r.problem(
                path,
                ProblemCode::WrongType,
                format!("expected a name or a non-empty list, got {}", other.kind_name()),
            );
            return None;
        }
    };
    let mut out = Vec::new();
    for (at, item) in items {
        let name = r.string(item, &at)?;
        match parse(name) {
            Some(x) => out.push(x),
            None => {
                r.problem(at, ProblemCode::OutOfRange, format!("unknown \"{}\"; expected {expected}", quote(name)));
                return None;
            }
        }
    }
    Some(out)
}
