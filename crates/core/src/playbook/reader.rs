//! Walks a `Value` tree and collects **every** problem with its path, instead of stopping at the first.
//!
//! Each reader returns `Option`: `None` means "a problem was recorded here", and the caller goes on with the
//! next field, so one pass reports wrong types, unknown fields, bad durations and dangling references together.

use alloc::format;
use alloc::string::String;
use alloc::vec::Vec;

use crate::error::{Problem, ProblemCode};
use crate::time::{quote, short_number, Span, SpanError};
use crate::value::Value;

/// The largest points a rule may give or cap at, either sign ([`Reader::points`]).
pub(crate) const POINTS_LIMIT: f64 = 1_000_000.0;

/// `a.b` (or `b` at the root).
pub(crate) fn join(path: &str, key: &str) -> String {
    if path.is_empty() {
        key.into()
    } else {
        format!("{path}.{key}")
    }
}

/// `a[3]`.
pub(crate) fn index(path: &str, i: usize) -> String {
    format!("{path}[{i}]")
}

/// The one of `known` that `written` most likely meant: within two edits (a letter missing, extra, wrong, or two
/// swapped; letter case ignored) and fewer than half its letters. `None` when none is, or when two are as close.
pub(crate) fn nearest<'a>(written: &str, known: impl IntoIterator<Item = &'a str>) -> Option<&'a str> {
    let written: Vec<char> = written.chars().map(|c| c.to_ascii_lowercase()).collect();
    let mut best: Option<(usize, &str)> = None;
    let mut tie = false;
    for k in known {
        let d = edits(&written, &k.chars().map(|c| c.to_ascii_lowercase()).collect::<Vec<char>>());
        if d == 0 || d > 2 || 2 * d >= written.len() {
            continue;
        }
        match best {
            Some((b, _)) if b < d => {}
            Some((b, _)) if b == d => tie = true,
            _ => (best, tie) = (Some((d, k)), false),
        }
    }
    best.filter(|_| !tie).map(|(_, k)| k)
}

/// Optimal string alignment distance: insertions, deletions, substitutions and swaps of neighbours.
fn edits(a: &[char], b: &[char]) -> usize {
    let width = b.len() + 1;
    let mut d: Vec<usize> = Vec::with_capacity((a.len() + 1) * width);
    for i in 0..=a.len() {
        for j in 0..=b.len() {
            let v = if i == 0 || j == 0 {
                i + j
            } else {
                let at = |i: usize, j: usize| d.get(i * width + j).copied().unwrap_or(usize::MAX);
                let cost = usize::from(a.get(i - 1) != b.get(j - 1));
                let mut v = (at(i - 1, j) + 1).min(at(i, j - 1) + 1).min(at(i - 1, j - 1) + cost);
                if i > 1 && j > 1 && a.get(i - 1) == b.get(j - 2) && a.get(i - 2) == b.get(j - 1) {
                    v = v.min(at(i - 2, j - 2) + 1);
                }
                v
            };
            d.push(v);
        }
    }
    d.last().copied().unwrap_or(0)
}

/// `; did you mean "x"?` for [`nearest`], or nothing.
pub(crate) fn did_you_mean<'a>(written: &str, known: impl IntoIterator<Item = &'a str>) -> String {
    nearest(written, known).map(|k| format!(" (did you mean \"{k}\"?)")).unwrap_or_default()
}

/// The problems found so far.
#[derive(Default)]
pub(crate) struct Reader {
    pub(crate) problems: Vec<Problem>,
}

/// An object whose keys were checked against the allowed set.
pub(crate) struct Obj<'a> {
    entries: &'a [(String, Value)],
    pub(crate) path: String,
}

impl<'a> Obj<'a> {
    pub(crate) fn get(&self, key: &str) -> Option<&'a Value> {
        self.entries.iter().find(|(k, _)| k == key).map(|(_, v)| v)
    }

    pub(crate) fn at(&self, key: &str) -> String {
        join(&self.path, key)
    }

    pub(crate) fn is_empty(&self) -> bool {
        self.entries.is_empty()
    }

    pub(crate) fn entries(&self) -> &'a [(String, Value)] {
        self.entries
    }
}

impl Reader {
    pub(crate) fn problem(&mut self, path: impl Into<String>, code: ProblemCode, message: impl Into<String>) {
        self.push(path.into(), code, message.into());
    }

    /// [`Reader::problem`] without its generics: one body for every caller's argument types.
    #[inline(never)]
    fn push(&mut self, path: String, code: ProblemCode, message: String) {
        self.problems.push(Problem::new(path, code, message));
    }

    /// `o`'s optional text `key` (absent: `None`; not text: reported, `None`). One call instead of a lookup, a
    /// path and a check at each of the many optional keys.
    pub(crate) fn string_at<'a>(&mut self, o: &Obj<'a>, key: &str) -> Option<&'a str> {
        self.string(o.get(key)?, &o.at(key))
    }

    /// `o`'s optional boolean `key`, as [`Reader::string_at`].
    pub(crate) fn boolean_at(&mut self, o: &Obj<'_>, key: &str) -> Option<bool> {
        self.boolean(o.get(key)?, &o.at(key))
    }

    /// `o`'s optional duration `key`, as [`Reader::string_at`].
    pub(crate) fn span_at(&mut self, o: &Obj<'_>, key: &str) -> Option<Span> {
        self.span(o.get(key)?, &o.at(key))
    }

    /// `o`'s required text `key` (absent: `missing_field`; not text: `wrong_type`).
    pub(crate) fn required_string<'a>(&mut self, o: &Obj<'a>, key: &str) -> Option<&'a str> {
        let v = self.required(o, key)?;
        self.string(v, &o.at(key))
    }

    /// `got` at `path` is not what was expected (`expected` reads after "expected": "email or sms").
    pub(crate) fn refused(&mut self, path: impl Into<String>, code: ProblemCode, expected: &str, got: &str) {
        self.refuse(path.into(), code, expected, got);
    }

    #[inline(never)]
    fn refuse(&mut self, path: String, code: ProblemCode, expected: &str, got: &str) {
        let message = format!("expected {expected}, got \"{}\"", quote(got));
        self.push(path, code, message);
    }

    /// An id whose 32-bit state key equals `other`'s: state is keyed by the hashes, so the two would share data.
    pub(crate) fn key_clash(&mut self, path: impl Into<String>, other: &str) {
        let message = format!("id hashes to the same state key as \"{}\"; rename one of them", quote(other));
        self.problem(path, ProblemCode::DuplicateId, message);
    }

    fn wrong_type(&mut self, path: &str, expected: &str, got: &Value) {
        self.problem(path, ProblemCode::WrongType, format!("expected {expected}, got {}", got.kind_name()));
    }

    /// An object with only `allowed` keys (others are `unknown_field`) and no repeated key.
    pub(crate) fn object<'a>(&mut self, v: &'a Value, path: &str, allowed: &[&str]) -> Option<Obj<'a>> {
        let Value::Object(entries) = v else {
            self.wrong_type(path, "an object", v);
            return None;
        };
        for (i, (key, _)) in entries.iter().enumerate() {
            if !allowed.is_empty() && !allowed.contains(&key.as_str()) {
                self.problem(
                    join(path, key),
                    ProblemCode::UnknownField,
                    format!(
                        "unknown field \"{}\"{}; expected one of {}",
                        quote(key),
                        did_you_mean(key, allowed.iter().copied()),
                        allowed.join(", ")
                    ),
                );
            }
            if entries.iter().take(i).any(|(k, _)| k == key) {
                self.problem(join(path, key), ProblemCode::DuplicateKey, "this key appears more than once");
            }
        }
        Some(Obj { entries, path: path.into() })
    }

    /// A key that must be present.
    pub(crate) fn required<'a>(&mut self, obj: &Obj<'a>, key: &str) -> Option<&'a Value> {
        let v = obj.get(key);
        if v.is_none() {
            self.problem(obj.at(key), ProblemCode::MissingField, format!("missing required field \"{key}\""));
        }
        v
    }

    /// A finite number.
    pub(crate) fn number(&mut self, v: &Value, path: &str) -> Option<f64> {
        match v {
            Value::Number(n) if n.is_finite() => Some(*n),
            Value::Number(n) => {
                self.problem(
                    path,
                    ProblemCode::OutOfRange,
                    format!("expected a finite number, got {}", short_number(*n)),
                );
                None
            }
            other => {
                self.wrong_type(path, "a number", other);
                None
            }
        }
    }

    /// Points (a rule's points or cap): a number from −1,000,000 to 1,000,000. Beyond that, two rules add up
    /// to infinity (`1e308 + 1e308`) and a positive and a negative one to NaN: a score of `null`.
    pub(crate) fn points(&mut self, v: &Value, path: &str) -> Option<f64> {
        let n = self.number(v, path)?;
        if n.abs() > POINTS_LIMIT {
            self.problem(
                path,
                ProblemCode::OutOfRange,
                format!("expected points from -1000000 to 1000000, got {}", short_number(n)),
            );
            return None;
        }
        Some(n)
    }

    /// A whole number ≥ `min` (up to a million).
    pub(crate) fn count(&mut self, v: &Value, path: &str, min: u32) -> Option<u32> {
        self.count_in(v, path, min, 1_000_000)
    }

    /// A whole number from `min` to `max`; the message names the range either side.
    pub(crate) fn count_in(&mut self, v: &Value, path: &str, min: u32, max: u32) -> Option<u32> {
        let n = self.number(v, path)?;
        if n < f64::from(min) || n > f64::from(max) || (n as u32) as f64 != n {
            self.problem(
                path,
                ProblemCode::OutOfRange,
                format!("expected a whole number from {min} to {max}, got {}", short_number(n)),
            );
            return None;
        }
        Some(n as u32)
    }

    /// A string.
    pub(crate) fn string<'a>(&mut self, v: &'a Value, path: &str) -> Option<&'a str> {
        match v {
            Value::String(s) => Some(s),
            other => {
                self.wrong_type(path, "a string", other);
                None
            }
        }
    }

    /// A boolean.
    pub(crate) fn boolean(&mut self, v: &Value, path: &str) -> Option<bool> {
        match v {
            Value::Bool(b) => Some(*b),
            other => {
                self.wrong_type(path, "a boolean", other);
                None
            }
        }
    }

    /// An array.
    pub(crate) fn array<'a>(&mut self, v: &'a Value, path: &str) -> Option<&'a [Value]> {
        match v {
            Value::Array(items) => Some(items),
            other => {
                self.wrong_type(path, "an array", other);
                None
            }
        }
    }

    /// A positive duration like `"7d"`.
    pub(crate) fn span(&mut self, v: &Value, path: &str) -> Option<Span> {
        if let Value::Number(n) = v {
            // `"per": 7`: the unit is what is missing, and only the author knows it.
            let n = short_number(*n);
            let message =
                format!("expected a duration text with its unit, like \"{n}d\" or \"{n}h\", got the number {n}");
            self.problem(path, ProblemCode::WrongType, message);
            return None;
        }
        let text = self.string(v, path)?;
        match Span::parse_checked(text) {
            Ok(span) => Some(span),
            Err((SpanError::Malformed, msg)) => {
                self.problem(path, ProblemCode::BadDuration, msg);
                None
            }
            Err((SpanError::NotPositive, msg)) => {
                self.problem(path, ProblemCode::NegativeDuration, msg);
                None
            }
        }
    }

    /// An id: 1–64 characters of `a-z 0-9 _ - .`, except `__proto__`: results keyed by ids become JS objects
    /// (`segments()`: `{ [segmentId]: … }`), where that key sets the object's prototype instead of adding a member,
    /// so the segment would vanish from every answer without a word.
    pub(crate) fn id(&mut self, text: &str, path: &str) -> bool {
        let ok = !text.is_empty() && text.len() <= 64 && text.chars().all(crate::event::is_id_char);
        if !ok {
            self.refused(path, ProblemCode::BadId, "an id of 1 to 64 characters a-z, 0-9, _, - or .", text);
        } else if text == "__proto__" {
            self.refused(
                path,
                ProblemCode::BadId,
                "an id other than __proto__ (JavaScript objects cannot hold it as a key)",
                text,
            );
        }
        ok && text != "__proto__"
    }

    /// A rule's id: its `id` key, else `default`; unique within `list` (ids seen so far are in `seen`).
    pub(crate) fn rule_id(
        &mut self,
        rule: &Obj<'_>,
        default: Option<&str>,
        seen: &mut Vec<String>,
        list: &str,
    ) -> Option<String> {
        let id = match rule.get("id") {
            Some(id) => self.string(id, &rule.at("id")).filter(|id| self.id(id, &rule.at("id"))).map(String::from),
            None => default.map(String::from),
        };
        if let Some(id) = &id {
            if seen.contains(id) {
                let at = if rule.get("id").is_some() { rule.at("id") } else { rule.path.clone() };
                self.problem(at, ProblemCode::DuplicateId, format!("duplicate id \"{}\" in {list}", quote(id)));
            }
            seen.push(id.clone());
        }
        id
    }
}
