//! Reading one event field by field, in input order: the one place that knows an event's fields, their types
//! and every message. [`Event::parse`] drives it from a `Value` tree; the wasm bindings drive it straight from
//! their byte tape, so a per-event call builds no tree (which cost more than the fold of a simple playbook).

use alloc::format;
use alloc::string::String;

use super::{path_of_url, Event, EventKind, Scalar};
use crate::time::{quote, Timestamp};
use crate::value::ValueRef;
use crate::vecmap::VecMap;
use crate::Error;

/// A problem inside one event: where, relative to the event (`at`, `props.when`; empty for the event itself),
/// and why. Paths are only formatted when [`EventProblem::at`] turns it into an error.
#[derive(Debug, Clone, PartialEq)]
pub struct EventProblem {
    field: String,
    reason: String,
}

impl EventProblem {
    fn new(field: impl Into<String>, reason: String) -> EventProblem {
        EventProblem { field: field.into(), reason }
    }

    /// An event that is not an object.
    pub fn not_an_object(got: ValueRef<'_>) -> EventProblem {
        EventProblem::new("", format!("expected an event object, got {}", got.kind_name()))
    }

    /// Core's `E_INPUT_INVALID` for this problem in the event at `path` (`events[3]` → `events[3].at`).
    pub fn at(self, path: &str) -> Error {
        Error::input(located(path, &self.field), self.reason)
    }

    /// The same problem inside `props`.
    fn in_props(self) -> EventProblem {
        EventProblem { field: located("props", &self.field), reason: self.reason }
    }
}

/// Builds one event from its fields, given in input order: [`EventReader::field`] for each top-level field
/// (a repeated one: the last counts), [`EventReader::prop`] for each property of a `props` object, then
/// [`EventReader::finish`]. The first problem is returned and the event is abandoned.
///
/// ```
/// # use rekindle_core::event::EventReader;
/// # use rekindle_core::value::ValueRef;
/// let mut r = EventReader::new();
/// r.field("at", ValueRef::Number(1_000.0)).unwrap();
/// r.field("kind", ValueRef::Str("page_view")).unwrap();
/// r.field("props", ValueRef::Object).unwrap();
/// r.prop("path", ValueRef::Str("/pricing")).unwrap();
/// assert_eq!(r.finish().unwrap().prop_str("path"), Some("/pricing"));
/// ```
#[derive(Debug)]
pub struct EventReader {
    at: Option<Timestamp>,
    kind: Option<EventKind>,
    event: Event,
}

impl Default for EventReader {
    fn default() -> Self {
        EventReader::new()
    }
}

impl EventReader {
    /// A reader for one event.
    pub fn new() -> EventReader {
        EventReader {
            at: None,
            kind: None,
            event: Event {
                at: Timestamp::EPOCH,
                kind: EventKind::PageView,
                id: String::new(),
                contact: String::new(),
                machine: false,
                props: VecMap::new(),
            },
        }
    }

    /// One top-level field. `props` given as [`ValueRef::Object`] starts an empty property set that
    /// [`EventReader::prop`] fills; any other container is refused here.
    pub fn field(&mut self, key: &str, v: ValueRef<'_>) -> Result<(), EventProblem> {
        let problem = |reason: String| EventProblem::new(key, reason);
        match key {
            "at" => self.at = Some(Timestamp::from_ref(v).map_err(problem)?),
            "kind" => {
                let ValueRef::Str(name) = v else {
                    return Err(problem(format!("expected an event kind string, got {}", v.kind_name())));
                };
                self.kind = Some(EventKind::parse(name).ok_or_else(|| {
                    let known = EventKind::known_names();
                    problem(format!("unknown event kind \"{}\"; expected one of {known}", quote(name)))
                })?);
            }
            "id" => self.event.id = text(v, "an event id").map_err(problem)?,
            "contact" => self.event.contact = text(v, "a contact id").map_err(problem)?,
            "machine" => match v {
                ValueRef::Bool(b) => self.event.machine = b,
                ValueRef::Null => {}
                other => return Err(problem(format!("expected a boolean, got {}", other.kind_name()))),
            },
            "props" => match v {
                ValueRef::Null | ValueRef::Object => self.event.props = VecMap::new(),
                other => {
                    let reason = format!("expected an object of properties, got {}", other.kind_name());
                    return Err(problem(reason));
                }
            },
            other => {
                let reason =
                    format!("unknown field \"{}\"; an event has at, kind, id, contact, machine, props", quote(other));
                return Err(problem(reason));
            }
        }
        Ok(())
    }

    /// One property of the `props` object: a scalar or `null` (nested objects and arrays are refused).
    pub fn prop(&mut self, key: &str, v: ValueRef<'_>) -> Result<(), EventProblem> {
        let scalar = match v {
            ValueRef::Null => None,
            ValueRef::Bool(b) => Some(Scalar::Bool(b)),
            ValueRef::Number(n) if n.is_finite() => Some(Scalar::Num(n)),
            ValueRef::Str(s) => Some(Scalar::Str(s.into())),
            other => {
                let reason = format!("expected a string, number, boolean or null, got {}", other.kind_name());
                return Err(EventProblem::new(located("props", key), reason));
            }
        };
        self.event.props.insert(key.into(), scalar);
        Ok(())
    }

    /// The event, once `at` and `kind` were given and the props rekindle reads have their documented shape.
    pub fn finish(self) -> Result<Event, EventProblem> {
        let mut event = self.event;
        event.at = self.at.ok_or_else(|| EventProblem::new("at", "missing: every event needs `at`".into()))?;
        event.kind = self.kind.ok_or_else(|| EventProblem::new("kind", "missing: every event needs `kind`".into()))?;
        check_props(&event).map_err(EventProblem::in_props)?;
        if matches!(event.kind, EventKind::PageView | EventKind::PageLeave) && !event.props.contains_key("path") {
            if let Some(p) = event.prop_str("url").and_then(path_of_url) {
                event.props.insert("path".into(), Some(Scalar::Str(p)));
            }
        }
        Ok(event)
    }
}

/// `base.rel` (or `base` when `rel` is empty).
fn located(base: &str, rel: &str) -> String {
    if rel.is_empty() {
        base.into()
    } else {
        format!("{base}.{rel}")
    }
}

/// The closed sets of values the reader admits for a prop: the lists events are checked against, and the ones a
/// playbook's signal `match` is checked against (a match on another value could never fire).
pub(crate) const BOUNCE_TYPES: &[&str] = &["hard", "soft", "spam_trap"];
/// `sales_status` `status`.
pub(crate) const DEAL_STATUSES: &[&str] = &["open", "won", "lost", "disqualified"];
/// `subscribe` / `unsubscribe` `channel`.
pub(crate) const CHANNELS: &[&str] = &["email", "sms", "all"];
/// `preferences` `frequency`.
pub(crate) const FREQUENCIES: &[&str] = &["weekly", "monthly", "important_only"];

/// Props that rekindle reads for a kind must have the documented shape: a typo in `granted` or `status` must
/// not silently leave consent or a deal unrecorded.
fn check_props(e: &Event) -> Result<(), EventProblem> {
    let one_of = |key: &str, allowed: &[&str], required: bool| -> Result<(), EventProblem> {
        match e.props.get(key) {
            None | Some(None) if !required => Ok(()),
            Some(Some(Scalar::Str(s))) if allowed.contains(&s.as_str()) => Ok(()),
            other => Err(EventProblem::new(
                key,
                format!("{} event: expected one of {}, got {}", e.kind, allowed.join(", "), describe(other)),
            )),
        }
    };
    match e.kind {
        EventKind::Consent => {
            match e.props.get("purpose") {
                Some(Some(Scalar::Str(p))) if !p.is_empty() && p.len() <= 64 => {}
                other => {
                    return Err(EventProblem::new(
                        "purpose",
                        format!("consent event: expected a purpose like \"email_marketing\", got {}", describe(other)),
                    ))
                }
            }
            match e.props.get("granted") {
                Some(Some(Scalar::Bool(_))) => Ok(()),
                other => Err(EventProblem::new(
                    "granted",
                    format!("consent event: expected true or false, got {}", describe(other)),
                )),
            }
        }
        EventKind::Preferences => {
            one_of("frequency", FREQUENCIES, false)?;
            match e.props.get("pause_until") {
                None | Some(None) => Ok(()),
                // Epoch seconds where milliseconds belong would pause until 1970, that is not at all.
                Some(Some(Scalar::Num(n))) if Timestamp::from_f64(*n).is_some_and(Timestamp::looks_like_seconds) => {
                    Err(EventProblem::new(
                        "pause_until",
                        format!(
                            "preferences event: expected epoch milliseconds (like Date.now()), got {}: epoch \
                             seconds? (× 1000)",
                            crate::time::short_number(*n)
                        ),
                    ))
                }
                Some(Some(Scalar::Num(n))) if Timestamp::from_f64(*n).is_some() => Ok(()),
                Some(Some(Scalar::Str(t))) if Timestamp::from_ref(ValueRef::Str(t)).is_ok() => Ok(()),
                other => Err(EventProblem::new(
                    "pause_until",
                    format!("preferences event: expected an instant or null, got {}", describe(other)),
                )),
            }
        }
        EventKind::Unsubscribe | EventKind::Subscribe => one_of("channel", CHANNELS, false),
        EventKind::EmailBounce => one_of("type", BOUNCE_TYPES, false),
        EventKind::SalesStatus => one_of("status", DEAL_STATUSES, true),
        EventKind::PageLeave => {
            let number_in = |key: &str, max: f64, expected: &str| match e.props.get(key) {
                None | Some(None) => Ok(()),
                Some(Some(Scalar::Num(n))) if (0.0..=max).contains(n) => Ok(()),
                other => Err(EventProblem::new(
                    key,
                    format!("page_leave event: expected {expected}, got {}", describe(other)),
                )),
            };
            number_in("seconds", 31_536_000.0, "seconds from 0 to 31536000")?;
            number_in("scroll", 100.0, "a scroll depth from 0 to 100 (percent)")
        }
        _ => Ok(()),
    }
}

fn describe(v: Option<&Option<Scalar>>) -> String {
    match v {
        None => "nothing (missing)".into(),
        Some(None) => "null".into(),
        Some(Some(Scalar::Str(s))) => format!("\"{}\"", quote(s)),
        Some(Some(Scalar::Num(n))) => crate::time::short_number(*n),
        Some(Some(Scalar::Bool(b))) => format!("{b}"),
    }
}

fn text(v: ValueRef<'_>, what: &str) -> Result<String, String> {
    match v {
        ValueRef::Str(s) => Ok(s.into()),
        ValueRef::Number(n) if n.is_finite() && (n as i64) as f64 == n => Ok(format!("{}", n as i64)),
        other => Err(format!("expected {what} (a string), got {}", other.kind_name())),
    }
}
