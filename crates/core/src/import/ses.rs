//! Amazon SES events: an SNS envelope whose `Message` is the SES record as a JSON **string**, or a bare record
//! (event publishing, `eventType`; or a legacy identity notification, `notificationType`) — formats.md §1.5.
//!
//! | SES type | rekindle |
//! |---|---|
//! | `Bounce` | `email_bounce` per bounced recipient: `Permanent` → `type: hard`, `Transient`/`Undetermined` → `soft` |
//! | `Complaint` | `spam_complaint` per complained recipient |
//! | `Open` / `Click` | `email_open` / `email_click` per `mail.destination` (`machine_open: unknown`: SES flags none) |
//! | `Subscription` | `unsubscribe` when `newTopicPreferences.unsubscribeAll`; `subscribe` when it was set before and is not now; otherwise `preferences` with `topics` = the opted-in topic names |
//! | `Delivery`, `Send`, `Reject`, `Rendering Failure`, `DeliveryDelay`, anything else | skipped |
//! | SNS `SubscriptionConfirmation` / `UnsubscribeConfirmation` | skipped, saying what to do (confirm via `SubscribeURL`) |
//!
//! Key: the SNS `MessageId`, else `feedbackId` (bounces, complaints), else `ses:` + FNV-64 of the record; `#<n>`
//! is appended when a record names more than one recipient. A recipient whose address is bad is a diagnostic at
//! its place (the others are still events); a record whose recipient list is empty is `missing_field` at the
//! list, since it would otherwise vanish without an event or a word. Times are ISO 8601 `Z` (the type's own
//! `timestamp`, else `mail.timestamp`). SNS signatures (certificate fetch) are the caller's.
//!
//! ```
//! let inner = r#"{"eventType":"Complaint","complaint":{"complainedRecipients":[{"emailAddress":"a@example.com"}],"timestamp":"2017-08-05T00:41:02.669Z"},"mail":{"messageId":"m"}}"#;
//! let body = format!(r#"{{"Type":"Notification","MessageId":"sns-1","Message":{}}}"#, serde_json::to_string(inner).unwrap());
//! let out = rekindle_core::import::ses::decode(body.as_bytes()).unwrap();
//! assert_eq!((out.events[0].id.as_str(), out.events[0].at.ms()), ("sns-1", 1_501_893_662_669));
//! ```

use alloc::format;
use alloc::string::String;
use alloc::vec::Vec;

use super::record::{diag, email, event, iso, join, keep, parse_body, set, Fnv, Rec, Res};
use super::{json, refuse_foreign, Imported, Webhook, MAX_VALUES};
use crate::event::EventKind;
use crate::time::quote;
use crate::value::Value;
use crate::Error;

const PROVIDER: &str = "ses";

/// Decodes an SNS HTTP notification body, or a bare SES record.
///
/// # Errors
/// [`Error::InvalidImport`] when the body is not JSON, not an object, another vendor's webhook, or over
/// [`super::MAX_BODY_BYTES`] or [`MAX_VALUES`] (the record in `Message` has its own [`MAX_VALUES`]).
pub fn decode(body: &[u8]) -> Result<Imported, Error> {
    let v = parse_body(body, "body", Webhook::Ses, MAX_VALUES)?;
    refuse_foreign(Webhook::Ses, Some(&v))?;
    if !matches!(v, Value::Object(_)) {
        return Err(Error::InvalidImport {
            at: "body".into(),
            reason: format!("expected an SNS notification or an SES event object, got {}", v.kind_name()),
        });
    }
    let mut out = Imported::default();
    let result = match v.get("Type") {
        Some(Value::String(t)) => envelope(&v, t, &mut out),
        _ => record(&v, "", None, &mut out),
    };
    if let Err(d) = result {
        out.diagnostics.push(d);
    }
    Ok(out)
}

fn envelope(v: &Value, sns_type: &str, out: &mut Imported) -> Res<()> {
    let r = Rec::new(v, "", "an SNS message")?;
    match sns_type {
        "Notification" => {
            let message = r.str("Message")?;
            let inner = json::parse_limited(message.as_bytes(), MAX_VALUES)
                .map_err(|e| diag("Message", "invalid_json", format!("expected an SES record as JSON text: {e}")))?;
            let id = r.opt_str("MessageId")?.filter(|id| !id.is_empty());
            record(&inner, "Message", id, out)
        }
        "SubscriptionConfirmation" => {
            let url = r.opt_str("SubscribeURL")?.unwrap_or("(missing)");
            let reason = format!("SNS subscription confirmation needed: confirm by fetching SubscribeURL {url}");
            out.skip("", sns_type, &reason);
            Ok(())
        }
        "UnsubscribeConfirmation" => {
            out.skip("", sns_type, "SNS says the subscription was removed: no event");
            Ok(())
        }
        other => {
            out.skip("", other, "an SNS message type rekindle does not read");
            Ok(())
        }
    }
}

/// What one SES type folds to.
struct Plan<'a> {
    kind: EventKind,
    /// The type's own object, e.g. `bounce`.
    detail: Rec<'a>,
    detail_key: &'static str,
    /// Recipients as `(path, raw address)`.
    recipients: Vec<(String, &'a str)>,
    bounce: Option<&'static str>,
    url: Option<&'a str>,
    topics: Option<String>,
}

fn record(v: &Value, at: &str, sns_id: Option<&str>, out: &mut Imported) -> Res<()> {
    let r = Rec::new(v, at, "an SES event")?;
    let name = match (r.opt_str("eventType")?, r.opt_str("notificationType")?) {
        (Some(n), _) | (None, Some(n)) => n,
        (None, None) => {
            return Err(diag(r.path("eventType"), "missing_field", "missing: neither eventType nor notificationType"))
        }
    };
    let mail_at = r.path("mail");
    let mail = r.opt_obj("mail", &mail_at)?;
    let (detail_key, kind) = match name {
        "Bounce" => ("bounce", EventKind::EmailBounce),
        "Complaint" => ("complaint", EventKind::SpamComplaint),
        "Open" => ("open", EventKind::EmailOpen),
        "Click" => ("click", EventKind::EmailClick),
        "Subscription" => ("subscription", EventKind::Unsubscribe),
        "Delivery" => {
            // `delivery.timestamp` (event publishing), else the mail's own.
            let delivery_at = r.path("delivery");
            let delivery = r.opt_obj("delivery", &delivery_at).ok().flatten();
            let time = [delivery.and_then(|d| d.get("timestamp")), mail.and_then(|m| m.get("timestamp"))]
                .into_iter()
                .flatten()
                .find_map(|t| super::record::iso(t, "timestamp").ok());
            out.skip_delivery(at, name, "delivery status, not engagement: rekindle does not fold it", time);
            return Ok(());
        }
        "Send" | "Reject" | "Rendering Failure" | "DeliveryDelay" => {
            out.skip(at, name, "delivery status, not engagement: rekindle does not fold it");
            return Ok(());
        }
        _ => {
            out.skip(at, name, "an SES event type rekindle does not fold");
            return Ok(());
        }
    };
    let detail_at = r.path(detail_key);
    let detail =
        r.opt_obj(detail_key, &detail_at)?.ok_or_else(|| diag(detail_at.clone(), "missing_field", "missing"))?;
    let mut plan = Plan { kind, detail, detail_key, recipients: Vec::new(), bounce: None, url: None, topics: None };
    match name {
        "Bounce" => {
            plan.bounce = Some(match detail.str("bounceType")? {
                "Permanent" => "hard",
                "Transient" | "Undetermined" => "soft",
                other => {
                    let message = format!("expected Permanent, Transient or Undetermined, got \"{}\"", quote(other));
                    return Err(diag(detail.path("bounceType"), "unknown_value", message));
                }
            });
            plan.recipients = listed(detail, "bouncedRecipients")?;
        }
        "Complaint" => plan.recipients = listed(detail, "complainedRecipients")?,
        _ => {
            plan.recipients = destination(mail, &mail_at)?;
            plan.url = detail.opt_str("link")?;
            if name == "Subscription" {
                subscription(&mut plan)?;
            }
        }
    }
    let time_value = detail.get("timestamp").or_else(|| mail.and_then(|m| m.get("timestamp")));
    let time_at =
        if detail.get("timestamp").is_some() { detail.path("timestamp") } else { join(&mail_at, "timestamp") };
    let time = match time_value {
        Some(t) => iso(t, &time_at)?,
        None => return Err(diag(detail.path("timestamp"), "missing_field", "missing (and no mail.timestamp)")),
    };
    let base_id = match (sns_id, detail.opt_str("feedbackId")?.filter(|id| !id.is_empty())) {
        (Some(id), _) | (None, Some(id)) => String::from(id),
        (None, None) => format!("{PROVIDER}:{}", Fnv::new().value(v).hex()),
    };
    let message_ref = match mail {
        Some(m) => m.opt_str("messageId")?,
        None => None,
    };
    let many = plan.recipients.len() > 1;
    for (n, (path, raw)) in plan.recipients.iter().enumerate() {
        let contact = match email(raw, path) {
            Ok(c) => c,
            Err(d) => {
                out.diagnostics.push(d);
                continue;
            }
        };
        let id = if many { format!("{base_id}#{n}") } else { base_id.clone() };
        let mut e = event(plan.kind.clone(), time, contact, id, PROVIDER);
        if matches!(plan.kind, EventKind::EmailOpen | EventKind::EmailClick) {
            set(&mut e, "machine_open", "unknown");
        }
        if let Some(t) = plan.bounce {
            set(&mut e, "type", t);
        }
        if matches!(plan.kind, EventKind::Unsubscribe | EventKind::Subscribe) {
            set(&mut e, "channel", "email");
        }
        if let Some(topics) = &plan.topics {
            set(&mut e, "topics", topics);
        }
        if let Some(m) = message_ref {
            set(&mut e, "message_ref", m);
        }
        if let Some(url) = plan.url {
            set(&mut e, "url", url);
        }
        let prefix = format!("{}.", plan.detail_key);
        keep(&mut e, plan.detail.entries, &["timestamp", "link", "feedbackId"], &prefix);
        out.events.push(e);
    }
    Ok(())
}

/// `bouncedRecipients` / `complainedRecipients`: objects with `emailAddress`.
fn listed<'a>(detail: Rec<'a>, key: &str) -> Res<Vec<(String, &'a str)>> {
    let at = detail.path(key);
    let Some(Value::Array(items)) = detail.get(key) else {
        return Err(diag(at, "missing_field", "missing: expected an array of recipients"));
    };
    let mut out = Vec::new();
    for (i, item) in items.iter().enumerate() {
        let item_at = format!("{at}[{i}]");
        let addr = match item.get("emailAddress") {
            Some(Value::String(s)) => s.as_str(),
            _ => return Err(diag(join(&item_at, "emailAddress"), "missing_field", "missing or not a string")),
        };
        out.push((join(&item_at, "emailAddress"), addr));
    }
    none_is_missing(out, at)
}

/// A record with no recipient would give no event and no diagnostic: it would vanish. It is `missing_field`.
fn none_is_missing<T>(recipients: Vec<T>, at: String) -> Res<Vec<T>> {
    match recipients.is_empty() {
        true => Err(diag(at, "missing_field", "empty: expected at least one recipient")),
        false => Ok(recipients),
    }
}

/// `mail.destination`: the addresses an open, click or subscription applies to.
fn destination<'a>(mail: Option<Rec<'a>>, mail_at: &str) -> Res<Vec<(String, &'a str)>> {
    let at = join(mail_at, "destination");
    let Some(Value::Array(items)) = mail.and_then(|m| m.get("destination")) else {
        return Err(diag(at, "missing_field", "missing: expected an array of addresses"));
    };
    let mut out = Vec::new();
    for (i, item) in items.iter().enumerate() {
        match item {
            Value::String(s) => out.push((format!("{at}[{i}]"), s.as_str())),
            other => {
                let message = format!("expected an address string, got {}", other.kind_name());
                return Err(diag(format!("{at}[{i}]"), "wrong_type", message));
            }
        }
    }
    none_is_missing(out, at)
}

/// SES list management: unsubscribe-all, resubscribe, or a change of topics.
fn subscription(plan: &mut Plan<'_>) -> Res<()> {
    let all = |key: &str| -> Res<Option<bool>> {
        match plan.detail.get(key).and_then(|p| p.get("unsubscribeAll")) {
            None | Some(Value::Null) => Ok(None),
            Some(Value::Bool(b)) => Ok(Some(*b)),
            Some(other) => Err(diag(
                join(&plan.detail.path(key), "unsubscribeAll"),
                "wrong_type",
                format!("expected true or false, got {}", other.kind_name()),
            )),
        }
    };
    let (new_all, old_all) = (all("newTopicPreferences")?, all("oldTopicPreferences")?);
    plan.kind = match (new_all, old_all) {
        (Some(true), _) => EventKind::Unsubscribe,
        (_, Some(true)) => EventKind::Subscribe,
        _ => {
            let statuses = plan.detail.get("newTopicPreferences").and_then(|p| p.get("topicSubscriptionStatus"));
            let mut topics = Vec::new();
            if let Some(Value::Array(items)) = statuses {
                for item in items {
                    let opted_in = matches!(item.get("subscriptionStatus"), Some(Value::String(s)) if s == "OptIn" || s == "OPT_IN");
                    if let (true, Some(Value::String(name))) = (opted_in, item.get("topicName")) {
                        topics.push(name.as_str());
                    }
                }
            }
            plan.topics = Some(topics.join(","));
            EventKind::Preferences
        }
    };
    Ok(())
}
