//! Postmark webhooks: one JSON object per request, discriminated by `RecordType` (formats.md §1.3).
//!
//! | `RecordType` | rekindle |
//! |---|---|
//! | `Open` / `Click` | `email_open` / `email_click` (`machine_open: unknown`: Postmark flags no MPP opens) |
//! | `Bounce` | by `Type`: `HardBounce`, `BadEmailAddress` → `email_bounce` hard; `SoftBounce`, `Transient`, `DnsError` → soft; `SpamComplaint` → `spam_complaint`; `Unsubscribe` → `unsubscribe`; `Subscribe` → `subscribe`; others (`AutoResponder`, `DMARCPolicy`, …) skipped |
//! | `SpamComplaint` | `spam_complaint` |
//! | `SubscriptionChange` | `SuppressSending: true` → by `SuppressionReason`: `HardBounce` → `email_bounce` hard, `SpamComplaint` → `spam_complaint`, otherwise `unsubscribe` (`reason: manual` when `Origin` is `Customer` or `Admin`); `false` → `subscribe` |
//! | `Delivery`, `Inbound`, anything else | skipped |
//!
//! Times are ISO 8601 with an offset and up to 7 fraction digits (`BouncedAt`, `ReceivedAt`, `ChangedAt`),
//! floored to the millisecond. Postmark has no event id for opens and clicks, so the key is
//! `RecordType:ID` when `ID` is given, else `RecordType:MessageID:<ms>`. `Tag` becomes `campaign`; `Metadata` is
//! kept as `raw.Metadata.<key>`; `Content` (the bounced message) is dropped; an `ID` that is no id and an `Email`
//! beside the `Recipient` read are kept as `raw.ID`, `raw.Email`. Authenticity is HTTP Basic auth on the webhook
//! URL (the caller's).

use alloc::format;
use alloc::string::String;

use super::record::{diag, email, event, keep, parse_body, set, Rec, Res};
use super::{refuse_foreign, Imported, Webhook, MAX_VALUES};
use crate::event::EventKind;
use crate::value::Value;
use crate::Error;

const PROVIDER: &str = "postmark";
/// Keys read into the event whatever their value. `ID`, `Recipient` and `Email` count as read only where their
/// value was (an `ID` that is no id, the `Email` beside a `Recipient`), and are otherwise kept as `raw.<key>`.
const USED: [&str; 10] = [
    "RecordType",
    "Type",
    "MessageID",
    "BouncedAt",
    "ReceivedAt",
    "ChangedAt",
    "OriginalLink",
    "SuppressSending",
    "Content",
    "Tag",
];

/// Decodes one Postmark webhook body.
///
/// # Errors
/// [`Error::InvalidImport`] when the body is not JSON, not an object, another vendor's webhook (no `RecordType`
/// and that vendor's keys), or over [`super::MAX_POSTMARK_BODY_BYTES`] or [`MAX_VALUES`].
///
/// ```
/// let body = br#"{"RecordType":"Open","MessageID":"m1","Recipient":"a@example.com","ReceivedAt":"2016-04-27T16:21:41.2493688-04:00"}"#;
/// let out = rekindle_core::import::postmark::decode(body).unwrap();
/// assert_eq!(out.events[0].at.ms(), 1_461_788_501_249);
/// assert_eq!(out.events[0].id, "Open:m1:1461788501249");
/// ```
pub fn decode(body: &[u8]) -> Result<Imported, Error> {
    let v = parse_body(body, "body", Webhook::Postmark, MAX_VALUES)?;
    refuse_foreign(Webhook::Postmark, Some(&v))?;
    if !matches!(v, Value::Object(_)) {
        return Err(Error::InvalidImport {
            at: "body".into(),
            reason: format!("expected a Postmark webhook object, got {}", v.kind_name()),
        });
    }
    let mut out = Imported::default();
    if let Err(d) = read(&v, &mut out) {
        out.diagnostics.push(d);
    }
    Ok(out)
}

enum Map {
    Fold(EventKind, Option<&'static str>),
    Skip(&'static str),
}

fn bounce(kind: &str) -> Map {
    match kind {
        "HardBounce" | "BadEmailAddress" => Map::Fold(EventKind::EmailBounce, Some("hard")),
        "SoftBounce" | "Transient" | "DnsError" => Map::Fold(EventKind::EmailBounce, Some("soft")),
        "SpamComplaint" => Map::Fold(EventKind::SpamComplaint, None),
        "Unsubscribe" => Map::Fold(EventKind::Unsubscribe, None),
        "Subscribe" => Map::Fold(EventKind::Subscribe, None),
        _ => Map::Skip("a bounce type that says nothing about the address (auto-responder, policy, …)"),
    }
}

fn read(v: &Value, out: &mut Imported) -> Res<()> {
    let r = Rec::new(v, "", "a Postmark webhook")?;
    let record = r.str("RecordType")?;
    let mut manual = false;
    let (map, time_key) = match record {
        "Open" => (Map::Fold(EventKind::EmailOpen, None), "ReceivedAt"),
        "Click" => (Map::Fold(EventKind::EmailClick, None), "ReceivedAt"),
        "Bounce" => (bounce(r.str("Type")?), "BouncedAt"),
        "SpamComplaint" => (Map::Fold(EventKind::SpamComplaint, None), "BouncedAt"),
        "SubscriptionChange" => {
            let map = match r.get("SuppressSending") {
                Some(Value::Bool(false)) => Map::Fold(EventKind::Subscribe, None),
                Some(Value::Bool(true)) => match r.opt_str("SuppressionReason")? {
                    Some("HardBounce") => Map::Fold(EventKind::EmailBounce, Some("hard")),
                    Some("SpamComplaint") => Map::Fold(EventKind::SpamComplaint, None),
                    _ => {
                        manual = matches!(r.opt_str("Origin")?, Some("Customer" | "Admin"));
                        Map::Fold(EventKind::Unsubscribe, None)
                    }
                },
                Some(other) => {
                    let message = format!("expected true or false, got {}", other.kind_name());
                    return Err(diag("SuppressSending", "wrong_type", message));
                }
                None => return Err(diag("SuppressSending", "missing_field", "missing")),
            };
            (map, "ChangedAt")
        }
        "Delivery" | "Inbound" => {
            (Map::Skip("delivery status, not engagement: rekindle does not fold it"), "DeliveredAt")
        }
        _ => (Map::Skip("a record type rekindle does not fold"), ""),
    };
    let (kind, bounce_type) = match map {
        Map::Fold(kind, t) => (kind, t),
        Map::Skip(reason) => {
            let name = match (record, r.opt_str("Type")) {
                ("Bounce", Ok(Some(t))) => format!("Bounce:{t}"),
                _ => String::from(record),
            };
            let delivered = (record == "Delivery")
                .then(|| r.get(time_key).and_then(|t| super::record::iso(t, time_key).ok()))
                .flatten();
            out.skip_delivery("", &name, reason, delivered);
            return Ok(());
        }
    };
    let (key, raw) = match (r.opt_str("Recipient")?, r.opt_str("Email")?) {
        (Some(raw), _) => ("Recipient", raw),
        (None, Some(raw)) => ("Email", raw),
        (None, None) => {
            return Err(diag("Recipient", "missing_field", "missing: neither Recipient nor Email is given"))
        }
    };
    let contact = email(raw, key)?;
    let time = r.get(time_key).ok_or_else(|| diag(time_key, "missing_field", "missing"))?;
    let time = super::record::iso(time, time_key)?;
    let message = r.opt_str("MessageID")?;
    let mut used = alloc::vec::Vec::from(USED);
    used.push(key);
    let id = match r.get("ID").and_then(super::sendgrid::text) {
        Some(id) => {
            used.push("ID");
            format!("{record}:{id}")
        }
        None => format!("{record}:{}:{}", message.unwrap_or(""), time.ms()),
    };
    let mut e = event(kind.clone(), time, contact, id, PROVIDER);
    if matches!(kind, EventKind::EmailOpen | EventKind::EmailClick) {
        set(&mut e, "machine_open", "unknown");
    }
    if let Some(t) = bounce_type {
        set(&mut e, "type", t);
    }
    if matches!(kind, EventKind::Unsubscribe | EventKind::Subscribe) {
        set(&mut e, "channel", "email");
        if manual {
            set(&mut e, "reason", "manual");
        }
    }
    if let Some(m) = message {
        set(&mut e, "message_ref", m);
    }
    if let Some(tag) = r.opt_str("Tag")?.filter(|t| !t.is_empty()) {
        set(&mut e, "campaign", tag);
    }
    if let Some(url) = r.opt_str("OriginalLink")? {
        set(&mut e, "url", url);
    }
    keep(&mut e, r.entries, &used, "");
    if let Some(Value::Object(meta)) = r.get("Metadata") {
        keep(&mut e, meta, &[], "Metadata.");
    }
    out.events.push(e);
    Ok(())
}
