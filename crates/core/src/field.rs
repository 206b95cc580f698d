//! Tests on one profile field, shared by fit rules and segment conditions. Three-valued: a missing field or a
//! type mismatch is *unknown* — never coerced (`"50"` is not `50`), unlike JS-based rule engines (see the
//! GrowthBook vector where `null > -10` is true).

use alloc::format;
use alloc::string::String;
use alloc::vec::Vec;

use crate::casefold::fold;
use crate::error::ProblemCode;
use crate::event::Scalar;
use crate::explain::UnknownCause;
use crate::playbook::reader::{index, Obj, Reader};
use crate::time::{quote, Span, Timestamp};
use crate::value::Value;

/// A three-valued outcome.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Truth {
    /// Holds.
    True,
    /// Does not hold.
    False,
    /// Cannot be decided from the data (and counts as not holding for membership).
    Unknown(UnknownCause),
}

impl Truth {
    /// `true` → `True`, `false` → `False`.
    pub fn of(b: bool) -> Truth {
        if b {
            Truth::True
        } else {
            Truth::False
        }
    }

    /// Kleene negation: unknown stays unknown.
    pub fn negate(self) -> Truth {
        match self {
            Truth::True => Truth::False,
            Truth::False => Truth::True,
            u @ Truth::Unknown(_) => u,
        }
    }

    /// Only `True` holds.
    pub fn holds(self) -> bool {
        self == Truth::True
    }
}

/// The comparison a rule or condition makes on a field. Text compares case-insensitively (stored lower-case).
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
    /// Inclusive on both ends.
    Between(f64, f64),
    Contains(String),
    StartsWith(String),
    EndsWith(String),
    Exists,
    Missing,
    /// The field holds an instant (epoch ms or RFC 3339) before / after a fixed instant.
    Before(Timestamp),
    After(Timestamp),
    /// The field's instant is within the last span at `now` (`0 ≤ now − t < span`).
    WithinLast(Span),
    /// The field's instant is at least `span` before `now`.
    OlderThan(Span),
}

crate::playbook::compiled::compiled_enum!(FieldTest {
    0 => Eq(want),
    1 => Ne(want),
    2 => In(set),
    3 => NotIn(set),
    4 => Lt(bound),
    5 => Le(bound),
    6 => Gt(bound),
    7 => Ge(bound),
    8 => Between(low, high),
    9 => Contains(text),
    10 => StartsWith(text),
    11 => EndsWith(text),
    12 => Exists,
    13 => Missing,
    14 => Before(at),
    15 => After(at),
    16 => WithinLast(span),
    17 => OlderThan(span),
});

impl FieldTest {
    /// Evaluates against a field value at `now` (relative date tests need it).
    pub(crate) fn eval(&self, value: Option<&Scalar>, now: Timestamp) -> Truth {
        use FieldTest as T;
        let Some(value) = value else {
            return match self {
                T::Missing => Truth::True,
                T::Exists => Truth::False,
                _ => Truth::Unknown(UnknownCause::Missing),
            };
        };
        let mismatch = Truth::Unknown(UnknownCause::TypeMismatch);
        let text = |f: &dyn Fn(&str) -> bool| match value {
            Scalar::Str(s) => Truth::of(f(&fold(s))),
            _ => mismatch,
        };
        let num = |f: &dyn Fn(f64) -> bool| match value {
            Scalar::Num(n) => Truth::of(f(*n)),
            _ => mismatch,
        };
        let date = |f: &dyn Fn(Timestamp) -> bool| instant_of(value).map_or(mismatch, |t| Truth::of(f(t)));
        match self {
            T::Exists => Truth::True,
            T::Missing => Truth::False,
            T::Eq(want) => same(want, value).map_or(mismatch, Truth::of),
            T::Ne(want) => same(want, value).map_or(mismatch, |eq| Truth::of(!eq)),
            T::In(set) | T::NotIn(set) => {
                let mut comparable = false;
                let mut found = false;
                for want in set {
                    if let Some(eq) = same(want, value) {
                        comparable = true;
                        found = eq;
                        if found {
                            break; // the answer is settled; the rest of the set cannot change it
                        }
                    }
                }
                match (comparable, matches!(self, T::In(_))) {
                    (false, _) => mismatch,
                    (true, true) => Truth::of(found),
                    (true, false) => Truth::of(!found),
                }
            }
            T::Lt(b) => num(&|n| n < *b),
            T::Le(b) => num(&|n| n <= *b),
            T::Gt(b) => num(&|n| n > *b),
            T::Ge(b) => num(&|n| n >= *b),
            T::Between(lo, hi) => num(&|n| *lo <= n && n <= *hi),
            T::Contains(s) => text(&|v| crate::casefold::find(v, s).is_some()),
            T::StartsWith(s) => text(&|v| v.starts_with(s.as_str())),
            T::EndsWith(s) => text(&|v| v.ends_with(s.as_str())),
            T::Before(b) => date(&|t| t < *b),
            T::After(b) => date(&|t| t > *b),
            T::WithinLast(span) => date(&|t| t.is_within(*span, now)),
            T::OlderThan(span) => date(&|t| now.since(t) >= span.ms()),
        }
    }

    /// Pushes the instants after `after` at which a relative date test may flip on its own: the date itself
    /// (`within_last` starts to hold) and the date plus the span (`within_last` stops, `older_than` starts).
    /// Both, not only the first: a date in the future passes the first and still has the second to come.
    pub(crate) fn flips_after(&self, value: Option<&Scalar>, after: Timestamp, out: &mut Vec<Timestamp>) {
        let (FieldTest::WithinLast(span) | FieldTest::OlderThan(span)) = self else { return };
        let Some(t) = value.and_then(instant_of) else { return };
        out.extend([t, t.plus(*span)].into_iter().filter(|c| *c > after));
    }
}

/// A field value read as an instant: epoch ms, or an RFC 3339 string.
fn instant_of(v: &Scalar) -> Option<Timestamp> {
    match v {
        Scalar::Num(n) => Timestamp::from_f64(*n),
        Scalar::Str(s) => Timestamp::from_value(&Value::String(s.clone())).ok(),
        Scalar::Bool(_) => None,
    }
}

/// Equality without coercion: `None` when the types differ. `want` text is already lower-case.
fn same(want: &Scalar, value: &Scalar) -> Option<bool> {
    match (want, value) {
        (Scalar::Str(a), Scalar::Str(b)) => Some(crate::casefold::eq_folded(a, b)),
        (Scalar::Num(a), Scalar::Num(b)) => Some(a == b),
        (Scalar::Bool(a), Scalar::Bool(b)) => Some(a == b),
        _ => None,
    }
}

const OPS: &str = "eq, ne, in, not_in, lt, le, gt, ge, between, contains, starts_with, ends_with, exists, missing, \
                   before, after, within_last, older_than";

/// Parses `op` + `value` of an object that holds a field test.
pub(crate) fn parse_test(r: &mut Reader, o: &Obj<'_>, op: &str) -> Option<FieldTest> {
    let at = o.at("value");
    if matches!(op, "exists" | "missing") {
        if o.get("value").is_some() {
            r.problem(at, ProblemCode::UnknownField, format!("\"{op}\" takes no value"));
            return None;
        }
        return Some(if op == "exists" { FieldTest::Exists } else { FieldTest::Missing });
    }
    if !OPS.split(',').any(|known| known.trim() == op) {
        r.problem(o.at("op"), ProblemCode::UnknownOp, format!("unknown op \"{}\"; expected one of {OPS}", quote(op)));
        return None;
    }
    let value = r.required(o, "value")?;
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
        "between" => {
            let bounds = r.array(value, &at)?;
            let (Some(lo), Some(hi), 2) = (bounds.first(), bounds.get(1), bounds.len()) else {
                r.problem(&at, ProblemCode::WrongType, "expected [low, high]");
                return None;
            };
            let (lo, hi) = (r.number(lo, &index(&at, 0))?, r.number(hi, &index(&at, 1))?);
            if lo > hi {
                r.problem(&at, ProblemCode::ThresholdOrder, "low must not be greater than high");
                return None;
            }
            FieldTest::Between(lo, hi)
        }
        "contains" => FieldTest::Contains(fold(r.string(value, &at)?)),
        "starts_with" => FieldTest::StartsWith(fold(r.string(value, &at)?)),
        "ends_with" => FieldTest::EndsWith(fold(r.string(value, &at)?)),
        "before" | "after" => {
            let t = Timestamp::from_value(value).map_err(|msg| r.problem(&at, ProblemCode::BadTimestamp, msg)).ok()?;
            if op == "before" {
                FieldTest::Before(t)
            } else {
                FieldTest::After(t)
            }
        }
        "within_last" => FieldTest::WithinLast(r.span(value, &at)?),
        _ => FieldTest::OlderThan(r.span(value, &at)?),
    })
}

fn scalar(r: &mut Reader, v: &Value, path: &str) -> Option<Scalar> {
    match v {
        Value::String(s) => Some(Scalar::Str(fold(s))),
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

#[cfg(test)]
mod tests {
    use super::*;

    fn t(ms: i64) -> Timestamp {
        Timestamp::from_ms(ms).unwrap_or(Timestamp::EPOCH)
    }

    #[test]
    fn missing_fields_are_unknown_except_for_exists_and_missing() {
        assert_eq!(FieldTest::Exists.eval(None, t(0)), Truth::False);
        assert_eq!(FieldTest::Missing.eval(None, t(0)), Truth::True);
        assert_eq!(FieldTest::Ne(Scalar::Num(1.0)).eval(None, t(0)), Truth::Unknown(UnknownCause::Missing));
    }

    #[test]
    fn no_coercion_between_text_and_numbers() {
        let fifty = Scalar::Str("50".into());
        assert_eq!(FieldTest::Ge(10.0).eval(Some(&fifty), t(0)), Truth::Unknown(UnknownCause::TypeMismatch));
        assert_eq!(FieldTest::Between(1.0, 5.0).eval(Some(&Scalar::Num(5.0)), t(0)), Truth::True);
    }

    #[test]
    fn relative_dates_use_the_half_open_window() {
        let signup = Scalar::Num(1_000.0);
        assert_eq!(FieldTest::WithinLast(Span::days(1)).eval(Some(&signup), t(1_000)), Truth::True);
        let day = Span::days(1).ms();
        assert_eq!(FieldTest::WithinLast(Span::days(1)).eval(Some(&signup), t(1_000 + day)), Truth::False);
        assert_eq!(FieldTest::OlderThan(Span::days(1)).eval(Some(&signup), t(1_000 + day)), Truth::True);
        let mut flips = Vec::new();
        FieldTest::OlderThan(Span::days(1)).flips_after(Some(&signup), t(2_000), &mut flips);
        assert_eq!(flips, [t(1_000 + day)]);
        // A date still to come: both the date and the date plus the span lie ahead.
        flips.clear();
        FieldTest::OlderThan(Span::days(1)).flips_after(Some(&signup), t(500), &mut flips);
        assert_eq!(flips, [t(1_000), t(1_000 + day)]);
        let text = Scalar::Str("2026-01-01T00:00:00Z".into());
        assert_eq!(FieldTest::Before(t(1_800_000_000_000)).eval(Some(&text), t(0)), Truth::True);
    }
}
