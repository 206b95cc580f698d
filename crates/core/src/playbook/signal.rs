//! Signals: named matchers over events ("pricing-page visit" = a `page_view` whose `path` matches `/pricing*`).

use alloc::format;
use alloc::string::String;
use alloc::vec::Vec;

use super::compiled::{compiled_enum, Compiled, In, Out};
use super::reader::{join, Reader};
use crate::casefold::fold;
use crate::error::ProblemCode;
use crate::event::{Event, EventKind, Scalar};
use crate::state::track::MAX_EXACT;
use crate::time::quote;
use crate::value::Value;

/// One compiled signal.
#[derive(Debug, Clone, PartialEq)]
pub struct Signal {
    pub(crate) id: String,
    pub(crate) key: u32,
    pub(crate) kind: EventKind,
    pub(crate) matchers: Vec<(String, Matcher)>,
    pub(crate) include_machine: bool,
    /// How many recent timestamps the state keeps for this signal (the largest count any condition needs,
    /// at most `MAX_EXACT`).
    pub(crate) keep: u32,
    /// Days of per-day buckets kept for windows whose counts exceed `MAX_EXACT` (0 = none).
    pub(crate) bucket_days: u32,
}

/// The key is not written: it is rebuilt from the id, as the reader builds it. `keep` is refused outside
/// 1..=`MAX_EXACT` (the state keeps that many instants per signal).
impl Compiled for Signal {
    fn put(&self, out: &mut Out) {
        let Signal { id, key: _, kind, matchers, include_machine, keep, bucket_days } = self;
        id.put(out);
        kind.put(out);
        matchers.put(out);
        include_machine.put(out);
        keep.put(out);
        bucket_days.put(out);
    }
    fn get(r: &mut In<'_>) -> Self {
        let id = String::get(r);
        let kind = EventKind::get(r);
        let matchers = Vec::get(r);
        let include_machine = bool::get(r);
        let keep = u32::get(r);
        if !(1..=MAX_EXACT).contains(&keep) {
            r.fail("a signal keeping a number of instants outside 1 to its maximum");
        }
        let bucket_days = u32::get(r);
        let key = key_of("signal", &id);
        Signal { id, key, kind, matchers, include_machine, keep, bucket_days }
    }
}

/// A test on one event property.
#[derive(Debug, Clone, PartialEq)]
pub(crate) enum Matcher {
    /// Case-insensitive glob, stored lower-case; `*` matches any run of characters.
    Glob(Glob),
    Num(f64),
    Bool(bool),
    /// A number within bounds (`{ "ge": 75 }`, `{ "gt": 0, "lt": 172800 }`): for measured props such as scroll
    /// depth, seconds on a page or the time since the last visit.
    Range(Range),
}

compiled_enum!(Matcher { 0 => Glob(glob), 1 => Num(n), 2 => Bool(b), 3 => Range(range) });

/// A folded glob by shape, sorted out when the playbook is parsed: nearly every playbook glob is an exact text
/// or a prefix (`/pricing*`), which match without allocating; the shape is not re-derived per event.
#[derive(Debug, Clone, PartialEq)]
pub(crate) enum Glob {
    Exact(String),
    Prefix(String),
    Pattern(String),
}

/// A glob is written as its folded text and its shape sorted out again on reading, as the reader does.
impl Compiled for Glob {
    fn put(&self, out: &mut Out) {
        let text = match self {
            Glob::Prefix(prefix) => format!("{prefix}*"),
            Glob::Exact(text) | Glob::Pattern(text) => text.clone(),
        };
        text.put(out);
    }
    fn get(r: &mut In<'_>) -> Self {
        Glob::new(String::get(r))
    }
}

impl Glob {
    fn new(folded: String) -> Glob {
        match folded.split_once('*') {
            None => Glob::Exact(folded),
            Some((prefix, "")) => Glob::Prefix(String::from(prefix)),
            Some(_) => Glob::Pattern(folded),
        }
    }

    fn matches(&self, text: &str) -> bool {
        match self {
            Glob::Exact(exact) => crate::casefold::eq_folded(exact, text),
            Glob::Prefix(prefix) => crate::casefold::starts_with_folded(text, prefix),
            Glob::Pattern(pattern) => glob(pattern, &fold(text)),
        }
    }
}

/// Numeric bounds; each is `(value, inclusive)`.
#[derive(Debug, Clone, Copy, PartialEq)]
pub(crate) struct Range {
    low: Option<(f64, bool)>,
    high: Option<(f64, bool)>,
}

/// Refused on reading as the reader refuses it: no bound, a bound that is not a finite number, or bounds no
/// number falls within.
impl Compiled for Range {
    fn put(&self, out: &mut Out) {
        let Range { low, high } = self;
        low.put(out);
        high.put(out);
    }
    fn get(r: &mut In<'_>) -> Self {
        let low: Option<(f64, bool)> = Compiled::get(r);
        let high: Option<(f64, bool)> = Compiled::get(r);
        let finite = [low, high].iter().flatten().all(|(n, _)| n.is_finite());
        let empty = match (low, high) {
            (None, None) => true,
            (Some((lo, a)), Some((hi, b))) => lo > hi || (lo == hi && !(a && b)),
            _ => false,
        };
        if !finite || empty {
            r.fail("bounds that are not finite or that no number is within");
        }
        Range { low, high }
    }
}

impl Range {
    fn contains(&self, v: f64) -> bool {
        self.low.is_none_or(|(lo, inclusive)| if inclusive { v >= lo } else { v > lo })
            && self.high.is_none_or(|(hi, inclusive)| if inclusive { v <= hi } else { v < hi })
    }
}

impl Signal {
    /// The signal's id.
    pub fn id(&self) -> &str {
        &self.id
    }

    /// True when `event` is an occurrence of this signal.
    pub fn matches(&self, event: &Event) -> bool {
        if event.kind != self.kind || (event.machine && !self.include_machine) {
            return false;
        }
        self.matchers.iter().all(|(prop, m)| match (m, event.props.get(prop)) {
            (Matcher::Glob(pattern), Some(Some(Scalar::Str(s)))) => pattern.matches(s),
            (Matcher::Num(n), Some(Some(Scalar::Num(v)))) => n == v,
            (Matcher::Range(range), Some(Some(Scalar::Num(v)))) => range.contains(*v),
            (Matcher::Bool(b), Some(Some(Scalar::Bool(v)))) => b == v,
            _ => false,
        })
    }
}

/// Glob match where `*` is any run of characters (including none); iterative, O(len·len) worst case.
fn glob(pattern: &str, text: &str) -> bool {
    let p: Vec<char> = pattern.chars().collect();
    let t: Vec<char> = text.chars().collect();
    let (mut pi, mut ti) = (0usize, 0usize);
    let mut star: Option<(usize, usize)> = None;
    while ti < t.len() {
        match p.get(pi) {
            Some('*') => {
                star = Some((pi, ti));
                pi += 1;
            }
            Some(c) if Some(c) == t.get(ti) => {
                pi += 1;
                ti += 1;
            }
            _ => match star {
                Some((sp, st)) => {
                    pi = sp + 1;
                    ti = st + 1;
                    star = Some((sp, st + 1));
                }
                None => return false,
            },
        }
    }
    p.get(pi..).is_some_and(|rest| rest.iter().all(|c| *c == '*'))
}

/// 32-bit FNV-1a: the stable key under which state keeps a rule's or signal's data, so that editing other
/// parts of a playbook never scrambles a stored state.
pub(crate) fn key_of(namespace: &str, id: &str) -> u32 {
    let mut h: u32 = 0x811c_9dc5;
    for b in namespace.bytes().chain([b':']).chain(id.bytes()) {
        h ^= u32::from(b);
        h = h.wrapping_mul(0x0100_0193);
    }
    h
}

/// The compiled signals, plus every id the playbook declared — including those that failed to compile, so a
/// reference to a broken signal is not reported a second time as unknown.
pub(crate) struct Declared {
    pub(crate) signals: Vec<Signal>,
    pub(crate) ids: Vec<String>,
}

impl Declared {
    /// Resolves a reference: `Some(index)`, or `None` after recording `unknown_signal` when it was never declared.
    pub(crate) fn resolve(&self, r: &mut Reader, name: &str, path: &str) -> Option<usize> {
        let found = self.signals.iter().position(|s| s.id == name);
        if found.is_none() && !self.ids.iter().any(|id| id == name) {
            r.problem(
                path,
                ProblemCode::UnknownSignal,
                format!(
                    "unknown signal \"{}\"{}; define it under \"signals\"",
                    quote(name),
                    super::reader::did_you_mean(name, self.ids.iter().map(String::as_str))
                ),
            );
        }
        found
    }
}

pub(crate) fn parse_signals(r: &mut Reader, v: &Value) -> Declared {
    let mut out = Vec::new();
    let Some(obj) = r.object(v, "signals", &[]) else {
        return Declared { signals: out, ids: Vec::new() };
    };
    let ids = obj.entries().iter().map(|(id, _)| id.clone()).collect();
    for (id, def) in obj.entries() {
        let path = obj.at(id);
        let id_ok = r.id(id, &path);
        let Some(def) = r.object(def, &path, &["kind", "match", "include_machine"]) else {
            continue;
        };
        let kind = r.required(&def, "kind").and_then(|k| {
            let name = r.string(k, &def.at("kind"))?;
            let kind = EventKind::parse(name);
            if kind.is_none() {
                r.problem(
                    def.at("kind"),
                    ProblemCode::UnknownKind,
                    format!("unknown event kind \"{}\"; expected one of {}", quote(name), EventKind::known_names()),
                );
            }
            kind
        });
        let mut matchers = Vec::new();
        if let Some(m) = def.get("match").and_then(|m| r.object(m, &def.at("match"), &[])) {
            for (prop, want) in m.entries() {
                let at = join(&m.path, prop);
                let matcher = match want {
                    Value::String(s) => Some(Matcher::Glob(Glob::new(fold(s)))),
                    Value::Number(n) if n.is_finite() => Some(Matcher::Num(*n)),
                    Value::Bool(b) => Some(Matcher::Bool(*b)),
                    Value::Object(_) => parse_range(r, want, &at).map(Matcher::Range),
                    other => {
                        r.problem(
                            at.as_str(),
                            ProblemCode::WrongType,
                            format!(
                                "expected a string glob, number, boolean or bounds like {{\"ge\": 75}}, got {}",
                                other.kind_name()
                            ),
                        );
                        None
                    }
                };
                if let (Some(m), Some(values)) = (&matcher, kind.as_ref().and_then(|k| closed_prop(k, prop))) {
                    // A value no event can carry: the signal could never match.
                    let meets_one = match m {
                        Matcher::Glob(g) => values.iter().any(|v| g.matches(v)),
                        _ => false,
                    };
                    if !meets_one {
                        let kind = kind.as_ref().map(|k| format!("{k}")).unwrap_or_default();
                        let wrote = match want {
                            Value::String(s) => format!("\"{}\"", quote(s)),
                            other => String::from(other.kind_name()),
                        };
                        r.problem(
                            at.as_str(),
                            ProblemCode::OutOfRange,
                            format!(
                                "a {kind} event's {prop} is one of {} (others are refused when the event is read): \
                                 {wrote} matches none, so this signal would never match",
                                values.join(", ")
                            ),
                        );
                    }
                }
                matchers.extend(matcher.map(|m| (prop.clone(), m)));
            }
        }
        let include_machine = r.boolean_at(&def, "include_machine").unwrap_or(false);
        if let (true, Some(kind)) = (id_ok, kind) {
            let key = key_of("signal", id);
            out.push(Signal { key, id: id.clone(), kind, matchers, include_machine, keep: 1, bucket_days: 0 });
        }
    }
    Declared { signals: out, ids }
}

/// The values a prop of `kind` can hold, where the event reader admits only a closed set (its lists).
fn closed_prop(kind: &EventKind, prop: &str) -> Option<&'static [&'static str]> {
    use crate::event::{BOUNCE_TYPES, CHANNELS, DEAL_STATUSES, FREQUENCIES};
    Some(match (kind, prop) {
        (EventKind::EmailBounce, "type") => BOUNCE_TYPES,
        (EventKind::SalesStatus, "status") => DEAL_STATUSES,
        (EventKind::Unsubscribe | EventKind::Subscribe, "channel") => CHANNELS,
        (EventKind::Preferences, "frequency") => FREQUENCIES,
        _ => return None,
    })
}

/// `{ "gt" | "ge": n, "lt" | "le": n }`: at least one bound, at most one per side, and a range that some
/// number can fall in.
fn parse_range(r: &mut Reader, v: &Value, path: &str) -> Option<Range> {
    let obj = r.object(v, path, &["gt", "ge", "lt", "le"])?;
    let mut bound = |key: &str| obj.get(key).map(|n| r.number(n, &obj.at(key)));
    let (gt, ge, lt, le) = (bound("gt"), bound("ge"), bound("lt"), bound("le"));
    if [gt, ge, lt, le].iter().any(|b| matches!(b, Some(None))) {
        return None;
    }
    let side = |open: Option<Option<f64>>, closed: Option<Option<f64>>| match (open.flatten(), closed.flatten()) {
        (Some(n), None) => Ok(Some((n, false))),
        (None, Some(n)) => Ok(Some((n, true))),
        (None, None) => Ok(None),
        (Some(_), Some(_)) => Err(()),
    };
    let (Ok(low), Ok(high)) = (side(gt, ge), side(lt, le)) else {
        r.problem(
            path,
            ProblemCode::ThresholdOrder,
            "give at most one lower bound (gt or ge) and one upper (lt or le)",
        );
        return None;
    };
    let range = Range { low, high };
    match (low, high) {
        (None, None) => {
            r.problem(path, ProblemCode::MissingField, "give a bound: gt, ge, lt or le");
            None
        }
        (Some((lo, a)), Some((hi, b))) if lo > hi || (lo == hi && !(a && b)) => {
            r.problem(
                path,
                ProblemCode::ThresholdOrder,
                "no number is within these bounds: the lower exceeds the upper",
            );
            None
        }
        _ => Some(range),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn glob_matches_prefixes_infixes_and_exact_text() {
        assert!(glob("/pricing*", "/pricing"));
        assert!(glob("/pricing*", "/pricing/enterprise"));
        assert!(!glob("/pricing*", "/blog/pricing"));
        assert!(glob("*pricing*", "/blog/pricing-guide"));
        assert!(glob("/blog/*/comments", "/blog/a/b/comments"));
        assert!(!glob("/blog/*", "/blog"));
        assert!(glob("demo", "demo"));
        assert!(!glob("demo", "demo2"));
        assert!(glob("*", ""));
    }

    /// A playbook with one signal of each matcher shape, from JSON.
    fn playbook() -> crate::Playbook {
        let text = r#"{ "version": 1, "signals": {
            "pricing": { "kind": "page_view", "match": { "path": "/Pricing*", "title": "Plans", "ref": "*ads*" } },
            "deep": { "kind": "page_leave", "match": { "scroll": { "ge": 75 }, "seconds": { "gt": 0, "lt": 60 } } },
            "trial": { "kind": "custom:trial_started", "match": { "plan": 2, "paid": true } } } }"#;
        crate::Playbook::parse(&serde_json::from_str(text).unwrap()).unwrap()
    }

    /// The message of a compiled playbook's refusal.
    fn refusal(pb: &crate::Playbook) -> String {
        match crate::Playbook::from_compiled(&pb.to_compiled()) {
            Err(crate::Error::InvalidPlaybook { problems }) => problems.iter().map(|p| p.message.clone()).collect(),
            other => panic!("expected a refusal, got {other:?}"),
        }
    }

    #[test]
    fn signals_read_back_with_their_glob_shapes_and_keys() {
        let pb = playbook();
        let back = crate::Playbook::from_compiled(&pb.to_compiled()).unwrap();
        assert_eq!(back, pb);
        let globs: Vec<&Matcher> = back.signals[0].matchers.iter().map(|(_, m)| m).collect();
        assert_eq!(
            globs,
            [
                &Matcher::Glob(Glob::Prefix("/pricing".into())),
                &Matcher::Glob(Glob::Exact("plans".into())),
                &Matcher::Glob(Glob::Pattern("*ads*".into()))
            ]
        );
        assert_eq!(back.signals[2].kind, EventKind::Custom("trial_started".into()));
        // The key is not in the bytes: it is the id's, whatever the playbook held.
        let mut odd = pb.clone();
        odd.signals[1].key = 7;
        let back = crate::Playbook::from_compiled(&odd.to_compiled()).unwrap();
        assert_eq!(back.signals[1].key, key_of("signal", "deep"));
    }

    #[test]
    fn bounds_keeps_and_kinds_the_reader_refuses_are_refused() {
        let with_range = |low, high| {
            let mut pb = playbook();
            pb.signals[1].matchers[0].1 = Matcher::Range(Range { low, high });
            pb
        };
        for (low, high) in
            [(None, None), (Some((5.0, false)), Some((1.0, false))), (Some((5.0, true)), Some((5.0, false)))]
        {
            let message = refusal(&with_range(low, high));
            assert!(
                message.contains("bounds that are not finite or that no number is within"),
                "{low:?} {high:?}: {message}"
            );
        }
        // A NaN bound is refused as every number that is not finite is, before the range is judged.
        let message = refusal(&with_range(Some((f64::NAN, true)), None));
        assert!(message.contains("a number that is not finite"), "{message}");
        let one = with_range(Some((5.0, true)), Some((5.0, true)));
        assert_eq!(crate::Playbook::from_compiled(&one.to_compiled()).unwrap(), one);
        for keep in [0, MAX_EXACT + 1] {
            let mut pb = playbook();
            pb.signals[0].keep = keep;
            assert!(
                refusal(&pb).contains("a signal keeping a number of instants outside 1 to its maximum"),
                "keep {keep}"
            );
        }
        let mut pb = playbook();
        pb.signals[2].kind = EventKind::Custom("Trial Started".into());
        assert!(refusal(&pb).contains("a custom event kind name that is not one"));
    }

    #[test]
    fn every_named_kind_reads_back_by_its_code() {
        let mut pb = playbook();
        let mut code = 0;
        while let Some(kind) = EventKind::from_code(code) {
            pb.signals[0].kind = kind.clone();
            let back = crate::Playbook::from_compiled(&pb.to_compiled()).unwrap();
            assert_eq!(back.signals[0].kind, kind);
            code += 1;
        }
        assert_eq!(code, 23, "every named kind");
    }

    #[test]
    fn keys_are_stable_and_namespaced() {
        assert_eq!(key_of("signal", "pricing_visit"), key_of("signal", "pricing_visit"));
        assert_ne!(key_of("signal", "pricing_visit"), key_of("intent", "pricing_visit"));
    }
}
