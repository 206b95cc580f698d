//! Events: what happened to a contact, when. Parsed once from JSON-shaped input with located errors.
//!
//! Machine / privacy-proxy opens are flagged (`machine`), never dropped: signals decide whether they count.

use alloc::collections::BTreeMap;
use alloc::format;
use alloc::string::String;
use alloc::vec::Vec;
use core::fmt;

use crate::time::{quote, Timestamp};
use crate::value::Value;
use crate::Error;

/// The closed set of event kinds, plus site-defined `custom:<name>` events.
///
/// ```
/// # use rekindle_core::EventKind;
/// assert_eq!(EventKind::parse("page_view"), Some(EventKind::PageView));
/// assert_eq!(EventKind::parse("custom:trial_started").map(|k| k.to_string()).as_deref(), Some("custom:trial_started"));
/// assert_eq!(EventKind::parse("pageview"), None);
/// ```
#[derive(Debug, Clone, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub enum EventKind {
    /// A page was viewed (`path`, `url`, `title`, `referrer`, `utm_*`).
    PageView,
    /// A form was submitted (`form`: its id; never field values).
    FormSubmit,
    /// A call to action was clicked (`cta`).
    CtaClick,
    /// A marketing or transactional email was sent by us.
    EmailSent,
    /// An email was opened (see `machine`).
    EmailOpen,
    /// A link in an email was clicked.
    EmailClick,
    /// The contact replied to an email.
    EmailReply,
    /// Delivery failed (`type`: hard / soft).
    EmailBounce,
    /// The contact marked an email as spam.
    SpamComplaint,
    /// The contact unsubscribed.
    Unsubscribe,
    /// An order (`value`, `currency`).
    Purchase,
    /// Registered for a webinar.
    WebinarRegistered,
    /// Attended a webinar.
    WebinarAttended,
    /// Profile fields changed: props are field values (`null` clears).
    Profile,
    /// A site-defined event, written `custom:<name>`.
    Custom(String),
}

const NAMED: [(&str, EventKind); 14] = [
    ("page_view", EventKind::PageView),
    ("form_submit", EventKind::FormSubmit),
    ("cta_click", EventKind::CtaClick),
    ("email_sent", EventKind::EmailSent),
    ("email_open", EventKind::EmailOpen),
    ("email_click", EventKind::EmailClick),
    ("email_reply", EventKind::EmailReply),
    ("email_bounce", EventKind::EmailBounce),
    ("spam_complaint", EventKind::SpamComplaint),
    ("unsubscribe", EventKind::Unsubscribe),
    ("purchase", EventKind::Purchase),
    ("webinar_registered", EventKind::WebinarRegistered),
    ("webinar_attended", EventKind::WebinarAttended),
    ("profile", EventKind::Profile),
];

impl EventKind {
    /// Parses a kind name; `None` for unknown names.
    pub fn parse(name: &str) -> Option<EventKind> {
        if let Some(custom) = name.strip_prefix("custom:") {
            let ok = !custom.is_empty() && custom.len() <= 64 && custom.chars().all(is_id_char);
            return ok.then(|| EventKind::Custom(custom.into()));
        }
        NAMED.iter().find(|(n, _)| *n == name).map(|(_, k)| k.clone())
    }

    /// The list of known names, for error messages.
    pub(crate) fn known_names() -> String {
        let mut s: String = NAMED.iter().map(|(n, _)| *n).collect::<Vec<_>>().join(", ");
        s.push_str(" or custom:<name>");
        s
    }
}

impl fmt::Display for EventKind {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        if let EventKind::Custom(name) = self {
            return write!(f, "custom:{name}");
        }
        let name = NAMED.iter().find(|(_, k)| k == self).map_or("?", |(n, _)| *n);
        f.write_str(name)
    }
}

/// Characters allowed in ids and custom event names.
pub(crate) fn is_id_char(c: char) -> bool {
    c.is_ascii_lowercase() || c.is_ascii_digit() || matches!(c, '_' | '-' | '.')
}

/// A scalar property value. Nested objects and arrays are refused at parse time.
#[derive(Debug, Clone, PartialEq)]
pub enum Scalar {
    /// Text.
    Str(String),
    /// A finite number.
    Num(f64),
    /// A boolean.
    Bool(bool),
}

/// One thing that happened to one contact.
///
/// ```
/// # use rekindle_core::{Event, Value};
/// let v: Value = Value::Array(vec![Value::Object(vec![
///     ("at".into(), Value::Number(1_000.0)),
///     ("kind".into(), Value::String("page_view".into())),
///     ("props".into(), Value::Object(vec![("url".into(), Value::String("https://acme.test/pricing?x=1".into()))])),
/// ])]);
/// let events = Event::parse_list(&v, "events").unwrap();
/// assert_eq!(events[0].prop_str("path"), Some("/pricing"));
/// ```
#[derive(Debug, Clone, PartialEq)]
pub struct Event {
    /// When it happened.
    pub at: Timestamp,
    /// What happened.
    pub kind: EventKind,
    /// Caller's id (idempotency, ordering of ties); empty when not given.
    pub id: String,
    /// Which contact (batch inputs); empty when not given.
    pub contact: String,
    /// A machine or privacy-proxy event (e.g. Apple MPP opens).
    pub machine: bool,
    /// Scalar properties by name; `None` is an explicit `null` (meaningful for `profile`).
    pub props: BTreeMap<String, Option<Scalar>>,
}

impl Event {
    /// A property as text, if it is a string.
    pub fn prop_str(&self, key: &str) -> Option<&str> {
        match self.props.get(key) {
            Some(Some(Scalar::Str(s))) => Some(s),
            _ => None,
        }
    }

    /// Parses a JSON array of events; the first problem is reported with its path (`events[3].at`).
    pub fn parse_list(value: &Value, path: &str) -> Result<Vec<Event>, Error> {
        let Value::Array(items) = value else {
            return Err(Error::input(path, format!("expected an array of events, got {}", value.kind_name())));
        };
        items.iter().enumerate().map(|(i, v)| Event::parse(v, &format!("{path}[{i}]"))).collect()
    }

    /// Parses one event object.
    pub fn parse(value: &Value, path: &str) -> Result<Event, Error> {
        let Value::Object(entries) = value else {
            return Err(Error::input(path, format!("expected an event object, got {}", value.kind_name())));
        };
        let mut at = None;
        let mut kind = None;
        let mut event = Event {
            at: Timestamp::EPOCH,
            kind: EventKind::PageView,
            id: String::new(),
            contact: String::new(),
            machine: false,
            props: BTreeMap::new(),
        };
        for (key, v) in entries {
            let here = format!("{path}.{key}");
            match key.as_str() {
                "at" => at = Some(Timestamp::parse(v, &here)?),
                "kind" => {
                    let Value::String(name) = v else {
                        return Err(Error::input(
                            here,
                            format!("expected an event kind string, got {}", v.kind_name()),
                        ));
                    };
                    kind = Some(EventKind::parse(name).ok_or_else(|| {
                        Error::input(
                            &here,
                            format!(
                                "unknown event kind \"{}\"; expected one of {}",
                                quote(name),
                                EventKind::known_names()
                            ),
                        )
                    })?);
                }
                "id" => event.id = text(v, &here, "an event id")?,
                "contact" => event.contact = text(v, &here, "a contact id")?,
                "machine" => match v {
                    Value::Bool(b) => event.machine = *b,
                    Value::Null => {}
                    other => return Err(Error::input(here, format!("expected a boolean, got {}", other.kind_name()))),
                },
                "props" => event.props = props(v, &here)?,
                other => {
                    return Err(Error::input(
                        here,
                        format!(
                            "unknown field \"{}\"; an event has at, kind, id, contact, machine, props",
                            quote(other)
                        ),
                    ))
                }
            }
        }
        event.at = at.ok_or_else(|| Error::input(format!("{path}.at"), "missing: every event needs `at`"))?;
        event.kind = kind.ok_or_else(|| Error::input(format!("{path}.kind"), "missing: every event needs `kind`"))?;
        if event.kind == EventKind::PageView && !event.props.contains_key("path") {
            if let Some(p) = event.prop_str("url").and_then(path_of_url) {
                event.props.insert("path".into(), Some(Scalar::Str(p)));
            }
        }
        Ok(event)
    }
}

fn text(v: &Value, path: &str, what: &str) -> Result<String, Error> {
    match v {
        Value::String(s) => Ok(s.clone()),
        Value::Number(n) if n.is_finite() && (*n as i64) as f64 == *n => Ok(format!("{}", *n as i64)),
        other => Err(Error::input(path, format!("expected {what} (a string), got {}", other.kind_name()))),
    }
}

fn props(v: &Value, path: &str) -> Result<BTreeMap<String, Option<Scalar>>, Error> {
    match v {
        Value::Null => Ok(BTreeMap::new()),
        Value::Object(entries) => {
            let mut out = BTreeMap::new();
            for (k, v) in entries {
                let scalar = match v {
                    Value::Null => None,
                    Value::Bool(b) => Some(Scalar::Bool(*b)),
                    Value::Number(n) if n.is_finite() => Some(Scalar::Num(*n)),
                    Value::String(s) => Some(Scalar::Str(s.clone())),
                    other => {
                        return Err(Error::input(
                            format!("{path}.{k}"),
                            format!("expected a string, number, boolean or null, got {}", other.kind_name()),
                        ))
                    }
                };
                out.insert(k.clone(), scalar);
            }
            Ok(out)
        }
        other => Err(Error::input(path, format!("expected an object of properties, got {}", other.kind_name()))),
    }
}

/// The path of an absolute or relative URL, without query or fragment.
fn path_of_url(url: &str) -> Option<String> {
    let no_frag = url.split('#').next().unwrap_or(url);
    let no_query = no_frag.split('?').next().unwrap_or(no_frag);
    let after_scheme = match no_query.find("://") {
        Some(i) => {
            let rest = no_query.get(i + 3..)?;
            match rest.find('/') {
                Some(j) => rest.get(j..)?,
                None => "/",
            }
        }
        None => no_query,
    };
    after_scheme.starts_with('/').then(|| after_scheme.into())
}

#[cfg(test)]
mod tests {
    use super::*;

    fn obj(entries: &[(&str, Value)]) -> Value {
        Value::Object(entries.iter().map(|(k, v)| ((*k).into(), v.clone())).collect())
    }

    #[test]
    fn url_without_path_gets_its_path_derived() {
        assert_eq!(path_of_url("https://acme.test/pricing?plan=pro#top").as_deref(), Some("/pricing"));
        assert_eq!(path_of_url("https://acme.test").as_deref(), Some("/"));
        assert_eq!(path_of_url("/blog/post").as_deref(), Some("/blog/post"));
        assert_eq!(path_of_url("mailto:x"), None);
    }

    #[test]
    fn bad_at_is_reported_with_its_index() {
        let v = Value::Array(vec![
            obj(&[("at", Value::Number(1.0)), ("kind", Value::String("page_view".into()))]),
            obj(&[("at", Value::String("yesterday".into())), ("kind", Value::String("page_view".into()))]),
        ]);
        let err = Event::parse_list(&v, "events").unwrap_err();
        assert_eq!(err.path().as_deref(), Some("events[1].at"));
    }

    #[test]
    fn nested_props_and_unknown_kinds_are_refused() {
        let nested = obj(&[
            ("at", Value::Number(1.0)),
            ("kind", Value::String("purchase".into())),
            ("props", obj(&[("items", Value::Array(vec![]))])),
        ]);
        assert_eq!(Event::parse(&nested, "e").unwrap_err().path().as_deref(), Some("e.props.items"));
        let unknown = obj(&[("at", Value::Number(1.0)), ("kind", Value::String("pageview".into()))]);
        let err = Event::parse(&unknown, "e").unwrap_err();
        assert!(err.to_string().contains("page_view"), "{err}");
    }

    #[test]
    fn missing_kind_is_named() {
        let v = obj(&[("at", Value::Number(1.0))]);
        assert_eq!(Event::parse(&v, "events[0]").unwrap_err().path().as_deref(), Some("events[0].kind"));
    }
}
