//! Fit: rules over profile fields (role, company size, industry) → points. No decay; three-valued logic
//! (a missing field or a type mismatch is *unknown*, never coerced, and adds nothing).

use alloc::collections::BTreeMap;
use alloc::format;
use alloc::string::String;
use alloc::vec::Vec;

use crate::error::ProblemCode;
use crate::event::Scalar;
use crate::explain::{Reason, Sink, UnknownCause};
use crate::playbook::reader::{index, Reader};
use crate::time::{quote, short_number};
use crate::value::Value;

/// A compiled fit rule.
#[derive(Debug, Clone, PartialEq)]
pub struct FitRule {
    pub(crate) id: String,
    pub(crate) path: String,
    pub(crate) field: String,
    pub(crate) test: FieldTest,
    pub(crate) points: f64,
}

/// The comparison a fit rule makes. Text compares case-insensitively (values are stored lower-case).
#[derive(Debug, Clone, PartialEq)]
pub(crate) enum FieldTest {
    Eq(Scalar),
    Ne(Scalar),
    In(Vec<Scalar>),
    NotIn(Vec<Scalar>),
    Lt(f64),
    Le(f64),
    Gt(f64),
    Ge(f64),
    Contains(String),
    StartsWith(String),
    EndsWith(String),
    Exists,
    Missing,
}

/// The fit group: rules plus optional clamps.
#[derive(Debug, Clone, PartialEq, Default)]
pub struct FitGroup {
    pub(crate) rules: Vec<FitRule>,
    pub(crate) min: Option<f64>,
    pub(crate) max: Option<f64>,
}

/// Outcome of one rule against one profile.
enum Outcome {
    Match,
    NoMatch,
    Unknown(UnknownCause),
}

impl FieldTest {
    fn eval(&self, value: Option<&Scalar>) -> Outcome {
        use FieldTest as T;
        let Some(value) = value else {
            return match self {
                T::Missing => Outcome::Match,
                T::Exists => Outcome::NoMatch,
                _ => Outcome::Unknown(UnknownCause::Missing),
            };
        };
        let text = |f: &dyn Fn(&str) -> bool| match value {
            Scalar::Str(s) => bool_outcome(f(&s.to_lowercase())),
            _ => Outcome::Unknown(UnknownCause::TypeMismatch),
        };
        match self {
            T::Exists => Outcome::Match,
            T::Missing => Outcome::NoMatch,
            T::Eq(want) => same(want, value).map_or(Outcome::Unknown(UnknownCause::TypeMismatch), bool_outcome),
            T::Ne(want) => {
                same(want, value).map_or(Outcome::Unknown(UnknownCause::TypeMismatch), |eq| bool_outcome(!eq))
            }
            T::In(set) | T::NotIn(set) => {
                let mut comparable = false;
                let mut found = false;
                for want in set {
                    if let Some(eq) = same(want, value) {
                        comparable = true;
                        found |= eq;
                    }
                }
                match (comparable, matches!(self, T::In(_))) {
                    (false, _) => Outcome::Unknown(UnknownCause::TypeMismatch),
                    (true, true) => bool_outcome(found),
                    (true, false) => bool_outcome(!found),
                }
            }
            T::Lt(b) => cmp_num(value, |n| n < *b),
            T::Le(b) => cmp_num(value, |n| n <= *b),
            T::Gt(b) => cmp_num(value, |n| n > *b),
            T::Ge(b) => cmp_num(value, |n| n >= *b),
            T::Contains(s) => text(&|v| v.contains(s.as_str())),
            T::StartsWith(s) => text(&|v| v.starts_with(s.as_str())),
            T::EndsWith(s) => text(&|v| v.ends_with(s.as_str())),
        }
    }
}

fn cmp_num(value: &Scalar, f: impl Fn(f64) -> bool) -> Outcome {
    match value {
        Scalar::Num(n) => bool_outcome(f(*n)),
        _ => Outcome::Unknown(UnknownCause::TypeMismatch),
    }
}

fn bool_outcome(b: bool) -> Outcome {
    if b {
        Outcome::Match
    } else {
        Outcome::NoMatch
    }
}

/// Equality without coercion: `None` when the types differ. `want` text is already lower-case.
fn same(want: &Scalar, value: &Scalar) -> Option<bool> {
    match (want, value) {
        (Scalar::Str(a), Scalar::Str(b)) => Some(*a == b.to_lowercase()),
        (Scalar::Num(a), Scalar::Num(b)) => Some(a == b),
        (Scalar::Bool(a), Scalar::Bool(b)) => Some(a == b),
        _ => None,
    }
}

impl FitGroup {
    /// The profile fields the rules read (the state keeps only these).
    pub(crate) fn fields(&self) -> impl Iterator<Item = &str> {
        self.rules.iter().map(|r| r.field.as_str())
    }

    /// Score and reasons for a profile.
    pub(crate) fn score(&self, profile: &BTreeMap<String, Scalar>, reasons: &mut Sink<'_>) -> f64 {
        let mut sum = 0.0;
        for rule in &self.rules {
            match rule.test.eval(profile.get(&rule.field)) {
                Outcome::Match => {
                    sum += rule.points;
                    reasons.push(|| Reason::FitRule {
                        rule: rule.path.clone(),
                        id: rule.id.clone(),
                        field: rule.field.clone(),
                        points: rule.points,
                    });
                }
                Outcome::NoMatch => {}
                Outcome::Unknown(cause) => reasons.push(|| Reason::FitUnknown {
                    rule: rule.path.clone(),
                    id: rule.id.clone(),
                    field: rule.field.clone(),
                    cause,
                }),
            }
        }
        super::clamp("scores.fit", sum, self.min, self.max, reasons)
    }
}

const OPS: &str = "eq, ne, in, not_in, lt, le, gt, ge, contains, starts_with, ends_with, exists, missing";

pub(crate) fn parse_fit(r: &mut Reader, v: &Value) -> FitGroup {
    let mut group = FitGroup::default();
    let Some(obj) = r.object(v, "scores.fit", &["rules", "min", "max"]) else {
        return group;
    };
    group.min = obj.get("min").and_then(|m| r.number(m, &obj.at("min")));
    group.max = obj.get("max").and_then(|m| r.number(m, &obj.at("max")));
    if let (Some(min), Some(max)) = (group.min, group.max) {
        if min >= max {
            r.problem(
                obj.at("max"),
                ProblemCode::ThresholdOrder,
                format!("max ({}) must be greater than min ({})", short_number(max), short_number(min)),
            );
        }
    }
    let Some(rules) = r.required(&obj, "rules").and_then(|v| r.array(v, &obj.at("rules"))) else {
        return group;
    };
    let mut seen: Vec<String> = Vec::new();
    for (i, rule) in rules.iter().enumerate() {
        let path = index(&obj.at("rules"), i);
        let Some(ro) = r.object(rule, &path, &["id", "field", "op", "value", "points"]) else {
            continue;
        };
        let field = r.required(&ro, "field").and_then(|f| r.string(f, &ro.at("field"))).map(String::from);
        let points = r.required(&ro, "points").and_then(|p| r.number(p, &ro.at("points")));
        let test =
            r.required(&ro, "op").and_then(|op| r.string(op, &ro.at("op"))).and_then(|op| parse_test(r, &ro, op));
        let id = r.rule_id(&ro, field.as_deref(), &mut seen, "scores.fit.rules");
        if let (Some(id), Some(field), Some(points), Some(test)) = (id, field, points, test) {
            group.rules.push(FitRule { id, path, field, test, points });
        }
    }
    group
}

fn parse_test(r: &mut Reader, ro: &crate::playbook::reader::Obj<'_>, op: &str) -> Option<FieldTest> {
    let at = ro.at("value");
    let needs_value = !matches!(op, "exists" | "missing");
    let value = ro.get("value");
    if !needs_value {
        if value.is_some() {
            r.problem(at, ProblemCode::UnknownField, format!("\"{op}\" takes no value"));
            return None;
        }
        return Some(if op == "exists" { FieldTest::Exists } else { FieldTest::Missing });
    }
    let known = matches!(
        op,
        "eq" | "ne" | "in" | "not_in" | "lt" | "le" | "gt" | "ge" | "contains" | "starts_with" | "ends_with"
    );
    if !known {
        r.problem(ro.at("op"), ProblemCode::UnknownOp, format!("unknown op \"{}\"; expected one of {OPS}", quote(op)));
        return None;
    }
    let value = r.required(ro, "value")?;
    Some(match op {
        "eq" => FieldTest::Eq(scalar(r, value, &at)?),
        "ne" => FieldTest::Ne(scalar(r, value, &at)?),
        "in" | "not_in" => {
            let items = r.array(value, &at)?;
            if items.is_empty() {
                r.problem(&at, ProblemCode::OutOfRange, "expected a non-empty array");
                return None;
            }
            let set: Vec<Scalar> = items.iter().enumerate().filter_map(|(i, v)| scalar(r, v, &index(&at, i))).collect();
            if set.len() != items.len() {
                return None;
            }
            if op == "in" {
                FieldTest::In(set)
            } else {
                FieldTest::NotIn(set)
            }
        }
        "lt" => FieldTest::Lt(r.number(value, &at)?),
        "le" => FieldTest::Le(r.number(value, &at)?),
        "gt" => FieldTest::Gt(r.number(value, &at)?),
        "ge" => FieldTest::Ge(r.number(value, &at)?),
        "contains" => FieldTest::Contains(r.string(value, &at)?.to_lowercase()),
        "starts_with" => FieldTest::StartsWith(r.string(value, &at)?.to_lowercase()),
        _ => FieldTest::EndsWith(r.string(value, &at)?.to_lowercase()),
    })
}

fn scalar(r: &mut Reader, v: &Value, path: &str) -> Option<Scalar> {
    match v {
        Value::String(s) => Some(Scalar::Str(s.to_lowercase())),
        Value::Bool(b) => Some(Scalar::Bool(*b)),
        Value::Number(_) => r.number(v, path).map(Scalar::Num),
        other => {
            r.problem(
                path,
                ProblemCode::WrongType,
                format!("expected a string, number or boolean, got {}", other.kind_name()),
            );
            None
        }
    }
}
