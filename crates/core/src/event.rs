//! Events: what happened to a contact, when. Parsed once from JSON-shaped input with located errors.
//!
//! Machine / privacy-proxy opens are flagged (`machine`), never dropped: signals decide whether they count.

use alloc::format;
use alloc::string::String;
use alloc::vec::Vec;
use core::fmt;

use crate::playbook::compiled::{compiled_enum, Compiled, In, Out};
use crate::time::Timestamp;
use crate::value::{Value, ValueRef};
use crate::vecmap::VecMap;
use crate::Error;

mod read;

pub use read::{EventProblem, EventReader};
pub(crate) use read::{BOUNCE_TYPES, CHANNELS, DEAL_STATUSES, FREQUENCIES};

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
    /// We sent an email (`transactional: true` exempts it from caps; `sequence` + `step` mark a nurture step).
    EmailSent,
    /// An email was opened (see `machine`).
    EmailOpen,
    /// A link in an email was clicked (`machine: true` for link scanners).
    EmailClick,
    /// The contact replied to an email.
    EmailReply,
    /// Delivery failed (`type`: hard / soft / spam_trap).
    EmailBounce,
    /// The contact marked an email as spam.
    SpamComplaint,
    /// The contact unsubscribed (`channel`: email / sms / all; default email).
    Unsubscribe,
    /// An order (`value`, `currency`).
    Purchase,
    /// Registered for a webinar.
    WebinarRegistered,
    /// Attended a webinar.
    WebinarAttended,
    /// Profile fields changed: props are field values (`null` clears).
    Profile,
    /// Consent given or withdrawn for a purpose (`purpose`, `granted`).
    Consent,
    /// Preference-center choices (`frequency`, `pause_until`, `topics`).
    Preferences,
    /// An explicit opt-in or resubscribe (`channel`: email / sms / all).
    Subscribe,
    /// The contact asked to be erased (GDPR art. 17).
    ErasureRequest,
    /// A campaign put the contact into soft reactivation (`reactivation_entry: manual`).
    ReactivationStarted,
    /// Sales changed the deal status (`status`: open / won / lost / disqualified).
    SalesStatus,
    /// We sent a text message (`transactional`, `sequence`, `step` as for email).
    SmsSent,
    /// The contact replied to a text message.
    SmsReply,
    /// The visitor left a page (the browser tracker sends it on `pagehide`): `path`, `seconds` of active time
    /// on it, `scroll` as the deepest point reached in percent (0–100). Not engagement on its own: the
    /// visit's `page_view` already is.
    PageLeave,
    /// A site-defined event, written `custom:<name>`.
    Custom(String),
}

const NAMED: [(&str, EventKind); 23] = [
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
    ("consent", EventKind::Consent),
    ("preferences", EventKind::Preferences),
    ("subscribe", EventKind::Subscribe),
    ("erasure_request", EventKind::ErasureRequest),
    ("reactivation_started", EventKind::ReactivationStarted),
    ("sales_status", EventKind::SalesStatus),
    ("sms_sent", EventKind::SmsSent),
    ("sms_reply", EventKind::SmsReply),
    ("page_leave", EventKind::PageLeave),
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

    /// The kind's position among the named kinds, `None` for a custom kind: a one-byte code for a process's own
    /// buffers (the batch plan keeps pending events packed), never for data kept across versions.
    pub fn code(&self) -> Option<u8> {
        NAMED.iter().position(|(_, k)| k == self).and_then(|i| u8::try_from(i).ok())
    }

    /// The named kind with `code` ([`EventKind::code`]).
    pub fn from_code(code: u8) -> Option<EventKind> {
        NAMED.get(usize::from(code)).map(|(_, k)| k.clone())
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

/// Named kinds by their [`EventKind::code`] (declaration order), a custom kind by the tag after them and its
/// name, refused unless [`EventKind::parse`] would make it.
impl Compiled for EventKind {
    fn put(&self, out: &mut Out) {
        match (self, self.code()) {
            (EventKind::Custom(name), _) => {
                out.tag(CUSTOM_TAG);
                name.put(out);
            }
            (_, code) => out.tag(code.unwrap_or(CUSTOM_TAG)),
        }
    }
    fn get(r: &mut In<'_>) -> Self {
        let tag = r.tag();
        if tag != CUSTOM_TAG {
            return EventKind::from_code(tag).unwrap_or_else(|| {
                r.bad_tag("an unknown EventKind variant");
                EventKind::PageView
            });
        }
        let name = String::get(r);
        match EventKind::parse(&format!("custom:{name}")) {
            Some(kind @ EventKind::Custom(_)) => kind,
            _ => {
                r.fail("a custom event kind name that is not one");
                EventKind::PageView
            }
        }
    }
}

/// The tag of a custom kind: the first after the named kinds' codes.
const CUSTOM_TAG: u8 = NAMED.len() as u8;

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

compiled_enum!(Scalar { 0 => Str(text), 1 => Num(n), 2 => Bool(b) });

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
    pub props: VecMap<String, Option<Scalar>>,
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
            return Err(Event::not_a_list(path, value.as_value_ref()));
        };
        // Paths are built only for the event that fails: formatting one per event and field cost a fifth of
        // a batch fold.
        let mut out = Vec::with_capacity(items.len());
        for (i, v) in items.iter().enumerate() {
            out.push(Event::read(v).map_err(|problem| problem.at(&format!("{path}[{i}]")))?);
        }
        Ok(out)
    }

    /// Parses one event object; errors name `path` and the field.
    pub fn parse(value: &Value, path: &str) -> Result<Event, Error> {
        Event::read(value).map_err(|problem| problem.at(path))
    }

    /// The error for a list of events that is not an array.
    pub fn not_a_list(path: &str, got: ValueRef<'_>) -> Error {
        Error::input(path, format!("expected an array of events, got {}", got.kind_name()))
    }

    /// One event from a `Value` tree, through the same [`EventReader`] the bindings drive from their own encoding.
    fn read(value: &Value) -> Result<Event, EventProblem> {
        let Value::Object(entries) = value else { return Err(EventProblem::not_an_object(value.as_value_ref())) };
        let mut reader = EventReader::new();
        for (key, v) in entries {
            reader.field(key, v.as_value_ref())?;
            if let (Value::Object(props), "props") = (v, key.as_str()) {
                for (k, p) in props {
                    reader.prop(k, p.as_value_ref())?;
                }
            }
        }
        reader.finish()
    }
}

/// The path of an absolute or relative URL, without query or fragment.
fn path_of_url(url: &str) -> Option<String> {
    let no_frag = url.split('#').next().unwrap_or(url);
    let no_query = no_frag.split('?').next().unwrap_or(no_frag);
    let after_scheme = match crate::casefold::find(no_query, "://") {
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
    fn every_named_kind_has_a_code_that_reads_back_and_custom_kinds_have_none() {
        for (name, kind) in NAMED.iter() {
            let code = kind.code();
            assert!(code.is_some_and(|c| EventKind::from_code(c).as_ref() == Some(kind)), "{name}");
        }
        let codes: Vec<Option<u8>> = NAMED.iter().map(|(_, k)| k.code()).collect();
        assert!(codes.windows(2).all(|w| w[0] < w[1]), "distinct codes: {codes:?}");
        assert_eq!(EventKind::Custom("trial_started".into()).code(), None);
        assert_eq!(EventKind::from_code(NAMED.len() as u8), None);
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
    fn non_finite_prop_is_named_nan_or_infinity_not_a_number() {
        for (n, got) in [(f64::NAN, "NaN"), (f64::INFINITY, "Infinity"), (f64::NEG_INFINITY, "-Infinity")] {
            let mut r = EventReader::new();
            let err = r.prop("n", ValueRef::Number(n)).unwrap_err().at("events[0]");
            assert_eq!(
                err.to_string(),
                format!("events[0].props.n: expected a string, number, boolean or null, got {got}")
            );
        }
    }

    #[test]
    fn missing_kind_is_named() {
        let v = obj(&[("at", Value::Number(1.0))]);
        assert_eq!(Event::parse(&v, "events[0]").unwrap_err().path().as_deref(), Some("events[0].kind"));
    }
}
