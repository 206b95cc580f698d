//! Mailgun JSON webhooks: one `{signature, event-data}` object per request (formats.md §1.2).
//!
//! | `event-data.event` | rekindle |
//! |---|---|
//! | `opened` / `clicked` | `email_open` / `email_click`; a non-empty `client-info.bot` (`apple`, `gmail`, `generic`) sets `machine` and `props.bot` |
//! | `failed` | `email_bounce`, `type: hard` (`severity: permanent`) or `soft` (`temporary`) |
//! | `complained` | `spam_complaint` |
//! | `unsubscribed` | `unsubscribe` (`channel: email`) |
//! | `accepted`, `delivered`, `rejected`, `stored`, anything else | skipped |
//!
//! `event-data.timestamp` is float seconds (kept exact to the millisecond). The key is `event-data.id`
//! ("unique within a day"); without one, `mailgun:` + FNV-64 of `signature.token` and the event data.
//! `user-variables` are kept as `raw.user-variables.<key>`. Authenticity: [`verify`] / [`check`] (HMAC-SHA256
//! over `timestamp + token` with the webhook signing key); the age of the timestamp is
//! [`super::signature::check_age`] against the instant of receipt the caller knows, and refusing reused tokens
//! needs a store, so it is the caller's.
//!
//! ```
//! let body = br#"{"signature":{"timestamp":"1","token":"t","signature":"00"},
//!   "event-data":{"event":"opened","id":"x1","timestamp":1534109600.089676,"recipient":"a@example.com",
//!                 "client-info":{"bot":"apple"}}}"#;
//! let out = rekindle_core::import::mailgun::decode(body).unwrap();
//! assert!(out.events[0].machine);
//! assert_eq!(out.events[0].at.ms(), 1_534_109_600_089);
//! ```

use alloc::format;
use alloc::string::String;

use hmac::{Hmac, Mac};
use sha2::Sha256;

use super::record::{diag, email, event, join, keep, parse_body, seconds, set, Fnv, Rec, Res};
use super::signature::SignatureError;
use super::{refuse_foreign, Imported, Webhook, MAX_VALUES};
use crate::event::EventKind;
use crate::time::quote;
use crate::value::Value;
use crate::Error;

const PROVIDER: &str = "mailgun";
const USED: [&str; 5] = ["event", "recipient", "timestamp", "id", "url"];

/// The `signature` object of a Mailgun webhook.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Signature {
    /// Unix seconds, as text.
    pub timestamp: String,
    /// The random token (cache it to refuse replays).
    pub token: String,
    /// Hex HMAC-SHA256 of `timestamp + token`.
    pub signature: String,
}

/// Decodes one Mailgun webhook body.
///
/// # Errors
/// [`Error::InvalidImport`] when the body is not JSON, has no `event-data` object (another vendor's body is named),
/// or is over [`super::MAX_BODY_BYTES`] or [`MAX_VALUES`].
pub fn decode(body: &[u8]) -> Result<Imported, Error> {
    let v = parse_body(body, "body", Webhook::Mailgun, MAX_VALUES)?;
    let data = event_data(&v)?;
    let token = v.get("signature").and_then(|s| s.get("token"));
    let token = if let Some(Value::String(t)) = token { t.as_str() } else { "" };
    let mut out = Imported::default();
    if let Err(d) = read(data, token, &mut out) {
        out.diagnostics.push(d);
    }
    Ok(out)
}

/// The `signature` fields of a body, to pass to [`verify`].
///
/// # Errors
/// [`Error::InvalidImport`] when the body is not JSON or `signature.timestamp`, `.token` or `.signature` is
/// missing or not a string.
pub fn signature(body: &[u8]) -> Result<Signature, Error> {
    let v = parse_body(body, "body", Webhook::Mailgun, MAX_VALUES)?;
    let field = |key: &str| match v.get("signature").and_then(|s| s.get(key)) {
        Some(Value::String(s)) => Ok(s.clone()),
        other => Err(Error::InvalidImport {
            at: format!("signature.{key}"),
            reason: format!("expected a string, got {}", other.map_or("nothing (missing)", Value::kind_name)),
        }),
    };
    Ok(Signature { timestamp: field("timestamp")?, token: field("token")?, signature: field("signature")? })
}

/// True iff `signature_hex` is the HMAC-SHA256 of `timestamp + token` under `signing_key` (the "HTTP webhook
/// signing key", not the API key). The comparison is constant-time; malformed hex is simply false.
///
/// ```
/// use hmac::Mac;
/// # use rekindle_core::import::mailgun::verify;
/// let key = b"key-1";
/// let mut mac = hmac::Hmac::<sha2::Sha256>::new_from_slice(key).unwrap();
/// mac.update(b"1534108637abc");
/// let hex: String = mac.finalize().into_bytes().iter().map(|b| format!("{b:02x}")).collect();
/// assert!(verify(key, "1534108637", "abc", &hex));
/// assert!(!verify(key, "1534108638", "abc", &hex));
/// ```
pub fn verify(signing_key: &[u8], timestamp: &str, token: &str, signature_hex: &str) -> bool {
    let Some(expected) = unhex32(signature_hex) else {
        return false;
    };
    let Ok(mut mac) = Hmac::<Sha256>::new_from_slice(signing_key) else {
        return false;
    };
    mac.update(timestamp.as_bytes());
    mac.update(token.as_bytes());
    mac.verify_slice(&expected).is_ok()
}

/// [`verify`] with the reason when it fails, for callers that report it: a signature that is not 64 hex
/// digits is [`SignatureError::Malformed`], one that does not match [`SignatureError::Mismatch`]. The age of
/// `timestamp` is [`super::signature::check_age`].
///
/// # Errors
/// As above, and [`SignatureError::Missing`] when the token or signature is empty.
pub fn check(signing_key: &[u8], s: &Signature) -> Result<(), SignatureError> {
    for (field, value) in [("signature.token", &s.token), ("signature.signature", &s.signature)] {
        if value.trim().is_empty() {
            return Err(SignatureError::Missing { what: field.into() });
        }
    }
    if unhex32(&s.signature).is_none() {
        let reason = format!("signature.signature: expected 64 hex digits, got {} characters", s.signature.len());
        return Err(SignatureError::Malformed { reason });
    }
    match verify(signing_key, &s.timestamp, &s.token, &s.signature) {
        true => Ok(()),
        false => Err(SignatureError::Mismatch),
    }
}

fn unhex32(hex: &str) -> Option<[u8; 32]> {
    let b = hex.trim().as_bytes();
    if b.len() != 64 {
        return None;
    }
    let nibble = |c: u8| match c {
        b'0'..=b'9' => Some(c - b'0'),
        b'a'..=b'f' => Some(c - b'a' + 10),
        b'A'..=b'F' => Some(c - b'A' + 10),
        _ => None,
    };
    let mut out = [0u8; 32];
    for (o, pair) in out.iter_mut().zip(b.chunks_exact(2)) {
        let [hi, lo] = pair else { return None };
        *o = (nibble(*hi)? << 4) | nibble(*lo)?;
    }
    Some(out)
}

fn event_data(v: &Value) -> Result<&Value, Error> {
    let shape = |reason: String| Error::InvalidImport { at: "body".into(), reason };
    refuse_foreign(Webhook::Mailgun, Some(v))?;
    match v {
        Value::Object(_) => {}
        other => return Err(shape(format!("expected a Mailgun webhook object, got {}", other.kind_name()))),
    }
    match v.get("event-data") {
        Some(d @ Value::Object(_)) => Ok(d),
        Some(other) => Err(Error::InvalidImport {
            at: "event-data".into(),
            reason: format!("expected an object, got {}", other.kind_name()),
        }),
        None => Err(shape(
            "missing \"event-data\": expected a Mailgun JSON webhook {signature, event-data} (legacy form-encoded webhooks are not read)"
                .into(),
        )),
    }
}

fn read(v: &Value, token: &str, out: &mut Imported) -> Res<()> {
    let at = "event-data";
    let r = Rec::new(v, at, "Mailgun event data")?;
    let name = r.str("event")?;
    let (kind, bounce) = match name {
        "opened" => (EventKind::EmailOpen, None),
        "clicked" => (EventKind::EmailClick, None),
        "failed" => match r.str("severity")? {
            "permanent" => (EventKind::EmailBounce, Some("hard")),
            "temporary" => (EventKind::EmailBounce, Some("soft")),
            other => {
                let message = format!("expected severity \"permanent\" or \"temporary\", got \"{}\"", quote(other));
                return Err(diag(r.path("severity"), "unknown_value", message));
            }
        },
        "complained" => (EventKind::SpamComplaint, None),
        "unsubscribed" => (EventKind::Unsubscribe, None),
        "delivered" => {
            let time = r.get("timestamp").and_then(|t| seconds(t, "timestamp").ok());
            out.skip_delivery(at, name, "delivery status, not engagement: rekindle does not fold it", time);
            return Ok(());
        }
        "accepted" | "rejected" | "stored" => {
            out.skip(at, name, "delivery status, not engagement: rekindle does not fold it");
            return Ok(());
        }
        _ => {
            out.skip(at, name, "an event type rekindle does not fold");
            return Ok(());
        }
    };
    let contact = email(r.str("recipient")?, &r.path("recipient"))?;
    let time = r.get("timestamp").ok_or_else(|| diag(r.path("timestamp"), "missing_field", "missing"))?;
    let time = seconds(time, &r.path("timestamp"))?;
    let id = match r.opt_str("id")? {
        Some(id) if !id.is_empty() => String::from(id),
        _ => format!("{PROVIDER}:{}", Fnv::new().field(token.as_bytes()).value(v).hex()),
    };
    let mut e = event(kind.clone(), time, contact, id, PROVIDER);
    if matches!(kind, EventKind::EmailOpen | EventKind::EmailClick) {
        let info_at = r.path("client-info");
        let bot = match r.opt_obj("client-info", &info_at)? {
            None => None,
            Some(info) => match info.get("bot") {
                None => None,
                Some(Value::Null) => Some(""),
                Some(Value::String(s)) => Some(s.as_str()),
                Some(other) => {
                    let message = format!("expected a bot name or \"\", got {}", other.kind_name());
                    return Err(diag(join(&info_at, "bot"), "wrong_type", message));
                }
            },
        };
        let flag = match bot {
            None => "unknown",
            Some("") => "no",
            Some(b) => {
                set(&mut e, "bot", b);
                "yes"
            }
        };
        e.machine = flag == "yes";
        set(&mut e, "machine_open", flag);
    }
    if let Some(t) = bounce {
        set(&mut e, "type", t);
    }
    if kind == EventKind::Unsubscribe {
        set(&mut e, "channel", "email");
    }
    let message_id = v.get("message").and_then(|m| m.get("headers")).and_then(|h| h.get("message-id"));
    if let Some(Value::String(m)) = message_id {
        set(&mut e, "message_ref", m.trim_matches(|c| c == '<' || c == '>'));
    }
    if let Some(url) = r.opt_str("url")? {
        set(&mut e, "url", url);
    }
    if let Some(Value::Array(campaigns)) = r.get("campaigns") {
        if let Some(Value::String(id)) = campaigns.first().and_then(|c| c.get("id")) {
            set(&mut e, "campaign", id);
        }
    }
    keep(&mut e, r.entries, &USED, "");
    if let Some(Value::Object(vars)) = r.get("user-variables") {
        keep(&mut e, vars, &[], "user-variables.");
    }
    out.events.push(e);
    Ok(())
}
