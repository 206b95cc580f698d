//! SendGrid Event Webhook: a JSON array of events (formats.md §1.1).
//!
//! | `event` | rekindle |
//! |---|---|
//! | `open` / `click` | `email_open` / `email_click`; `sg_machine_open: true` sets `machine` (Apple MPP) |
//! | `bounce` | `email_bounce`, `type: hard` (SendGrid `type: bounce`) or `soft` (`type: blocked`) |
//! | `spamreport` | `spam_complaint` |
//! | `unsubscribe`, `group_unsubscribe` | `unsubscribe` (`channel: email`; `group` = `asm_group_id`) |
//! | `group_resubscribe` | `subscribe` (`channel: email`, `group`) |
//! | `processed`, `delivered`, `deferred`, `dropped`, anything else | skipped |
//!
//! Event names are matched case-insensitively (the docs show `"Processed"`). `timestamp` must be a number of
//! seconds; a value that looks like milliseconds (the docs' Single Send example) is a diagnostic, never a
//! silent guess. Custom arguments (flattened into the event by SendGrid) are kept as `raw.<key>`, and so is every
//! known key whose value the event does not hold: `asm_group_id` outside (un)subscribes, `type` outside bounces,
//! `singlesend_id` beside a `marketing_campaign_id`, a campaign id that is no id (a fraction, a boolean).
//!
//! Signature ("Signed Event Webhook"): SendGrid signs `timestamp + raw body` with ECDSA P-256 over SHA-256 and
//! sends the base64 DER signature in [`SIGNATURE_HEADER`], the Unix-seconds timestamp in [`TIMESTAMP_HEADER`];
//! the verification key is the base64 DER SubjectPublicKeyInfo shown in Mail Settings ([`PublicKey::parse`]).
//! [`verify`] checks the bytes exactly as they arrived: re-serialising the JSON (or dropping the trailing
//! `\r\n` SendGrid's Python SDK test sends) breaks the signature, as it should. Whether the timestamp is recent
//! is [`super::signature::check_age`], with the instant of receipt the caller knows.
//!
//! ```
//! let body = br#"[{"email":"Jane@Example.com","timestamp":1513299569,"event":"open","sg_event_id":"e1","sg_machine_open":true}]"#;
//! let out = rekindle_core::import::sendgrid::decode(body).unwrap();
//! assert_eq!((out.events[0].contact.as_str(), out.events[0].machine), ("jane@example.com", true));
//! ```

use alloc::format;
use alloc::string::String;

use p256::ecdsa::signature::Verifier;
use p256::ecdsa::{Signature, VerifyingKey};
use p256::pkcs8::DecodePublicKey;

use super::record::{diag, email, event, keep, parse_body, seconds, set, Fnv, Rec, Res};
use super::signature::{base64, SignatureError};
use super::{refuse_foreign, Imported, Webhook};
use crate::event::EventKind;
use crate::time::quote;
use crate::value::Value;
use crate::Error;

const PROVIDER: &str = "sendgrid";

/// Keys read into the event whatever their value; the others of [`read`] (`type`, `asm_group_id`, the campaign
/// ids) count as read only where their value was, and are otherwise kept as `raw.<key>` like any custom argument.
const USED: [&str; 7] = ["event", "email", "timestamp", "sg_event_id", "sg_message_id", "url", "sg_machine_open"];

/// The header holding the base64 DER ECDSA signature of a delivery.
pub const SIGNATURE_HEADER: &str = "X-Twilio-Email-Event-Webhook-Signature";
/// The header holding the Unix-seconds timestamp that was signed with the body.
pub const TIMESTAMP_HEADER: &str = "X-Twilio-Email-Event-Webhook-Timestamp";

/// The Event Webhook verification key (P-256).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct PublicKey(VerifyingKey);

impl PublicKey {
    /// Reads the key as SendGrid shows it: base64 of a DER SubjectPublicKeyInfo (`MFkwEwYHKoZIzj0CAQYI…`).
    /// Surrounding whitespace is ignored; a PEM block's `-----BEGIN PUBLIC KEY-----` lines and line breaks are
    /// accepted too, since that is how people often save it.
    ///
    /// # Errors
    /// [`SignatureError::BadKey`] when the text is not base64 or not a P-256 public key.
    pub fn parse(text: &str) -> Result<PublicKey, SignatureError> {
        let body: String = text
            .lines()
            .map(str::trim)
            .filter(|l| !l.starts_with("-----BEGIN") && !l.starts_with("-----END"))
            .collect();
        let bad = |reason: String| SignatureError::BadKey { reason };
        let der = base64(&body).map_err(|r| bad(format!("the key is not base64: {r}")))?;
        VerifyingKey::from_public_key_der(&der).map(PublicKey).map_err(|_| {
            bad("expected a P-256 public key as DER SubjectPublicKeyInfo (SendGrid's \"Verification Key\")".into())
        })
    }
}

/// Checks a delivery's signature: ECDSA P-256 / SHA-256 of `timestamp` (the [`TIMESTAMP_HEADER`] value, as
/// sent) followed by the raw `body`, against `signature` (the [`SIGNATURE_HEADER`] value, base64 DER).
///
/// ```
/// use rekindle_core::import::sendgrid::{verify, PublicKey};
/// // sendgrid-nodejs eventwebhook.spec.js
/// let key = PublicKey::parse("MFkwEwYHKoZIzj0CAQYIKoZIzj0DAQcDQgAEEDr2LjtURuePQzplybdC+u4CwrqDqBaWjcMMsTbhdbcwHBcepxo7yAQGhHPTnlvFYPAZFceEu/1FwCM/QmGUhA==").unwrap();
/// let sig = "MEUCIQCtIHJeH93Y+qpYeWrySphQgpNGNr/U+UyUlBkU6n7RAwIgJTz2C+8a8xonZGi6BpSzoQsbVRamr2nlxFDWYNH2j/0=";
/// let body = br#"{"category":"example_payload","event":"test_event","message_id":"message_id"}"#;
/// assert!(verify(&key, "1588788367", body, sig).is_ok());
/// assert_eq!(verify(&key, "1588788368", body, sig).unwrap_err().code(), "signature_mismatch");
/// ```
///
/// # Errors
/// [`SignatureError::Missing`] for an empty signature or timestamp, [`SignatureError::Malformed`] when the
/// signature is not base64 DER, [`SignatureError::Mismatch`] when it does not verify.
pub fn verify(key: &PublicKey, timestamp: &str, body: &[u8], signature: &str) -> Result<(), SignatureError> {
    if signature.trim().is_empty() {
        return Err(SignatureError::Missing { what: SIGNATURE_HEADER.into() });
    }
    if timestamp.is_empty() {
        return Err(SignatureError::Missing { what: TIMESTAMP_HEADER.into() });
    }
    let malformed = |reason: String| SignatureError::Malformed { reason };
    let der = base64(signature.trim()).map_err(|r| malformed(format!("{SIGNATURE_HEADER} is not base64: {r}")))?;
    let sig = Signature::from_der(&der)
        .map_err(|_| malformed(format!("{SIGNATURE_HEADER} is not a DER ECDSA signature (SEQUENCE of r, s)")))?;
    let mut signed = alloc::vec::Vec::with_capacity(timestamp.len() + body.len());
    signed.extend_from_slice(timestamp.as_bytes());
    signed.extend_from_slice(body);
    key.0.verify(&signed, &sig).map_err(|_| SignatureError::Mismatch)
}

/// Records in one batch, past which the body is refused: SendGrid cuts a batch at 768 KB, and its smallest
/// event (`email`, `timestamp`, `event`, a 22-character `sg_event_id`) is over 90 bytes, so a real batch holds
/// under 9,000; a body of 1 MiB of `{}` or `0` would hold half a million, each a diagnostic.
pub const MAX_EVENTS: usize = 20_000;

/// Decodes a SendGrid webhook body. A single event object (as in the marketing docs) is read as a batch of one.
///
/// Records are decoded one by one, repeats included: an event id twice in one body (a record repeated, or SendGrid's
/// docs example, where every event has the placeholder id `"sg_event_id"`) gives two events, and deduplication is
/// the caller's, within a body as across bodies.
///
/// # Errors
/// [`Error::InvalidImport`] when the body is not JSON, is neither an array nor an object, is another vendor's
/// webhook, is over [`super::MAX_BODY_BYTES`] or holds more than [`MAX_EVENTS`] records.
pub fn decode(body: &[u8]) -> Result<Imported, Error> {
    let v = parse_body(body, "body", Webhook::Sendgrid, usize::MAX)?;
    // A SendGrid record always has `event`; one without it that is plainly another vendor's is refused whole.
    let first = if let Value::Array(items) = &v { items.first() } else { Some(&v) };
    refuse_foreign(Webhook::Sendgrid, first.filter(|r| r.get("event").is_none()))?;
    let mut out = Imported::default();
    match &v {
        Value::Array(items) if items.len() > MAX_EVENTS => {
            return Err(Error::InvalidImport {
                at: "body".into(),
                reason: format!("too many events: {}, over {MAX_EVENTS}", items.len()),
            })
        }
        Value::Array(items) => {
            for (i, item) in items.iter().enumerate() {
                let at = format!("[{i}]");
                if let Err(d) = read(item, &at, &mut out) {
                    out.diagnostics.push(d);
                }
            }
        }
        Value::Object(_) => {
            if let Err(d) = read(&v, "", &mut out) {
                out.diagnostics.push(d);
            }
        }
        other => {
            return Err(Error::InvalidImport {
                at: "body".into(),
                reason: format!("expected a JSON array of SendGrid events, got {}", other.kind_name()),
            })
        }
    }
    Ok(out)
}

fn read(v: &Value, at: &str, out: &mut Imported) -> Res<()> {
    let r = Rec::new(v, at, "a SendGrid event")?;
    let name = r.str("event")?;
    let (kind, bounce) = match name.to_ascii_lowercase().as_str() {
        "open" => (EventKind::EmailOpen, None),
        "click" => (EventKind::EmailClick, None),
        "bounce" => match r.opt_str("type")? {
            None | Some("bounce") => (EventKind::EmailBounce, Some("hard")),
            Some("blocked") => (EventKind::EmailBounce, Some("soft")),
            Some(other) => {
                let message = format!("expected a bounce type \"bounce\" or \"blocked\", got \"{}\"", quote(other));
                return Err(diag(r.path("type"), "unknown_value", message));
            }
        },
        "spamreport" => (EventKind::SpamComplaint, None),
        "unsubscribe" | "group_unsubscribe" => (EventKind::Unsubscribe, None),
        "group_resubscribe" => (EventKind::Subscribe, None),
        "delivered" => {
            let time = r.get("timestamp").and_then(|t| seconds(t, "timestamp").ok());
            out.skip_delivery(at, name, "delivery status, not engagement: rekindle does not fold it", time);
            return Ok(());
        }
        "processed" | "deferred" | "dropped" => {
            out.skip(at, name, "delivery status, not engagement: rekindle does not fold it");
            return Ok(());
        }
        _ => {
            out.skip(at, name, "an event type rekindle does not fold");
            return Ok(());
        }
    };
    let contact = email(r.str("email")?, &r.path("email"))?;
    let time = r.get("timestamp").ok_or_else(|| diag(r.path("timestamp"), "missing_field", "missing"))?;
    let time = seconds(time, &r.path("timestamp"))?;
    // An empty id is none: every such event of a contact would share the key "" and be folded once.
    let id = match r.opt_str("sg_event_id")?.filter(|id| !id.is_empty()) {
        Some(id) => String::from(id),
        None => format!("{PROVIDER}:{}", Fnv::new().value(v).hex()),
    };
    let mut e = event(kind.clone(), time, contact, id, PROVIDER);
    if matches!(kind, EventKind::EmailOpen | EventKind::EmailClick) {
        let flag = match r.get("sg_machine_open") {
            None | Some(Value::Null) => "unknown",
            Some(Value::Bool(true)) => "yes",
            Some(Value::Bool(false)) => "no",
            Some(other) => {
                let message = format!("expected true or false, got {}", other.kind_name());
                return Err(diag(r.path("sg_machine_open"), "wrong_type", message));
            }
        };
        e.machine = flag == "yes";
        set(&mut e, "machine_open", flag);
    }
    let mut used = alloc::vec::Vec::from(USED);
    if let Some(t) = bounce {
        set(&mut e, "type", t);
        used.push("type");
    }
    if matches!(kind, EventKind::Unsubscribe | EventKind::Subscribe) {
        set(&mut e, "channel", "email");
        if let Some(group) = r.get("asm_group_id").and_then(text) {
            set(&mut e, "group", &group);
            used.push("asm_group_id");
        }
    }
    if let Some(m) = r.opt_str("sg_message_id")? {
        set(&mut e, "message_ref", m);
    }
    if let Some(url) = r.opt_str("url")? {
        set(&mut e, "url", url);
    }
    // The campaign: the first of these keys whose value is an id; a value that is none (a fraction, a number past
    // 2^53, a boolean) stays as `raw.<key>` rather than vanish.
    let campaign = ["marketing_campaign_id", "singlesend_id"]
        .into_iter()
        .find_map(|key| Some((key, r.get(key).and_then(text)?)))
        .or_else(|| Some(("newsletter", r.get("newsletter")?.get("newsletter_id").and_then(text)?)));
    if let Some((key, c)) = campaign {
        set(&mut e, "campaign", &c);
        used.push(key);
    }
    keep(&mut e, r.entries, &used, "");
    out.events.push(e);
    Ok(())
}

/// A string, or a whole number written as text (`asm_group_id: 10` → `"10"`).
pub(crate) fn text(v: &Value) -> Option<String> {
    match v {
        Value::String(s) if !s.is_empty() => Some(s.clone()),
        Value::Number(n) if n.is_finite() && -9e15 < *n && *n < 9e15 && (*n as i64) as f64 == *n => {
            Some(format!("{}", *n as i64))
        }
        _ => None,
    }
}
