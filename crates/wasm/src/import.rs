//! The CLI's vendor adapters for plugin authors in Node (`node` build, feature `import`): ESP webhook bodies and
//! contact exports decoded by `rekindle_core::import` into rekindle events and contact records — the same
//! decoders `rekindle plan` uses, so a Node plugin and the CLI read a vendor file identically.

use rekindle_core::event::Scalar;
use rekindle_core::import::contacts::{self, HubspotLabels, MailchimpStatus, RowDiagnostic, Vendor};
use rekindle_core::import::{mailgun, sendgrid, Diagnostic, Imported, Webhook};
use rekindle_core::Event;
use serde::ser::{SerializeMap, SerializeStruct};
use serde::{Serialize, Serializer};
use wasm_bindgen::prelude::*;

use crate::convert;
use crate::error::Error;

/// An event as the plain object `fold` takes back: `{ id?, at, kind, contact?, machine?, props }`.
struct EventOut<'a>(&'a Event);

impl Serialize for EventOut<'_> {
    fn serialize<S: Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        let e = self.0;
        let mut m = s.serialize_map(None)?;
        if !e.id.is_empty() {
            m.serialize_entry("id", &e.id)?;
        }
        m.serialize_entry("at", &e.at)?;
        m.serialize_entry("kind", &e.kind.to_string())?;
        if !e.contact.is_empty() {
            m.serialize_entry("contact", &e.contact)?;
        }
        if e.machine {
            m.serialize_entry("machine", &true)?;
        }
        m.serialize_entry("props", &Props(e))?;
        m.end()
    }
}

struct Props<'a>(&'a Event);

impl Serialize for Props<'_> {
    fn serialize<S: Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        let mut m = s.serialize_map(None)?;
        for (key, value) in &self.0.props {
            m.serialize_entry(key, &value.as_ref().map(ScalarOut))?;
        }
        m.end()
    }
}

struct ScalarOut<'a>(&'a Scalar);

impl Serialize for ScalarOut<'_> {
    fn serialize<S: Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        match self.0 {
            Scalar::Str(t) => s.serialize_str(t),
            Scalar::Num(n) => s.serialize_f64(*n),
            Scalar::Bool(b) => s.serialize_bool(*b),
        }
    }
}

struct DiagnosticOut<'a>(&'a Diagnostic);

impl Serialize for DiagnosticOut<'_> {
    fn serialize<S: Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        let mut st = s.serialize_struct("Diagnostic", 3)?;
        st.serialize_field("at", &self.0.at)?;
        st.serialize_field("code", self.0.code)?;
        st.serialize_field("message", &self.0.message)?;
        st.end()
    }
}

struct ImportedOut<'a>(&'a Imported);

impl Serialize for ImportedOut<'_> {
    fn serialize<S: Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        let i = self.0;
        let mut st = s.serialize_struct("Imported", 3)?;
        st.serialize_field("events", &i.events.iter().map(EventOut).collect::<Vec<_>>())?;
        st.serialize_field("diagnostics", &i.diagnostics.iter().map(DiagnosticOut).collect::<Vec<_>>())?;
        let skipped: Vec<_> = i
            .skipped
            .iter()
            .map(|k| Skipped { at: &k.at, provider_kind: &k.provider_kind, reason: &k.reason })
            .collect();
        st.serialize_field("skipped", &skipped)?;
        st.end()
    }
}

#[derive(Serialize)]
#[serde(rename_all = "camelCase")]
struct Skipped<'a> {
    at: &'a str,
    provider_kind: &'a str,
    reason: &'a str,
}

#[derive(Serialize)]
#[serde(rename_all = "camelCase")]
struct RowOut<'a> {
    line: u64,
    column: Option<u32>,
    field: Option<&'a str>,
    at: &'a str,
    code: &'static str,
    message: &'a str,
}

fn row(d: &RowDiagnostic) -> RowOut<'_> {
    RowOut {
        line: d.line,
        column: d.column,
        field: d.field.as_deref(),
        at: &d.diagnostic.at,
        code: d.diagnostic.code,
        message: &d.diagnostic.message,
    }
}

fn webhook(vendor: &str) -> Result<Webhook, Error> {
    Webhook::from_name(vendor).ok_or_else(|| Error::Input {
        at: "vendor".into(),
        reason: format!("unknown vendor \"{vendor}\"; expected sendgrid, mailgun, postmark, mailchimp or ses"),
    })
}

/// Decodes one ESP webhook body (`sendgrid`, `mailgun`, `postmark`, `mailchimp`, `ses`) into
/// `{ events, diagnostics, skipped }`; a body that is not the vendor's shape, or longer than the vendor sends
/// (`Webhook::max_body_bytes`; the message names the size and the limit), throws `E_IMPORT_INVALID` at `body`.
#[wasm_bindgen(js_name = importWebhook)]
pub fn import_webhook(vendor: &str, body: &[u8]) -> Result<JsValue, JsValue> {
    let vendor = webhook(vendor)?;
    vendor.check_size(body.len() as u64).map_err(|t| Error::from(rekindle_core::Error::from(t)))?;
    let imported = vendor.decode(body).map_err(Error::from)?;
    Ok(convert::to_js(&ImportedOut(&imported))?)
}

/// Throws what `importWebhook` would for a body of `size` bytes (unknown vendor, too large), before the caller
/// copies the body into wasm memory: a 2 GB body must be refused while it is still a JS value, since copying it
/// in can exhaust the wasm memory, and a failed allocation traps.
#[wasm_bindgen(js_name = checkWebhookSize)]
pub fn check_webhook_size(vendor: &str, size: f64) -> Result<(), JsValue> {
    let vendor = webhook(vendor)?;
    // `as u64` saturates: NaN and negatives read as 0, sizes past 2^64 as u64::MAX (the facade passes lengths).
    vendor.check_size(size as u64).map_err(|t| Error::from(rekindle_core::Error::from(t)))?;
    Ok(())
}

/// Decodes a contact export (`mailchimp`, `mailchimp-unsubscribed`, `mailchimp-cleaned`, `hubspot`, `klaviyo`)
/// held in memory: `{ contacts: [{ line, email, id, createdAt, fields, events }], rejected: [row diagnostics],
/// warnings }`. Bad rows are reported with line and column and the rest of the file goes on.
#[wasm_bindgen(js_name = importContacts)]
pub fn import_contacts(vendor: &str, file: &str, bytes: &[u8]) -> Result<JsValue, JsValue> {
    let vendor = match vendor {
        "mailchimp" => Vendor::Mailchimp(MailchimpStatus::Subscribed),
        "mailchimp-unsubscribed" => Vendor::Mailchimp(MailchimpStatus::Unsubscribed),
        "mailchimp-cleaned" => Vendor::Mailchimp(MailchimpStatus::Cleaned),
        "hubspot" => Vendor::Hubspot(Box::new(HubspotLabels::english())),
        "klaviyo" => Vendor::Klaviyo,
        other => {
            return Err(Error::Input {
                at: "vendor".into(),
                reason: format!(
                    "unknown export \"{other}\"; expected mailchimp, mailchimp-unsubscribed, mailchimp-cleaned, \
                     hubspot or klaviyo"
                ),
            }
            .into())
        }
    };
    let batch = contacts::decode(file, vendor, bytes).map_err(Error::from)?;
    let mut accepted = Vec::new();
    let mut rejected = Vec::new();
    for r in &batch.rows {
        match r {
            Ok(c) => accepted.push(Contact {
                line: c.line,
                email: &c.email,
                id: c.id.as_deref(),
                created_at: c.created_at,
                fields: Fields(&c.fields),
                events: c.events.iter().map(EventOut).collect(),
            }),
            Err(d) => rejected.push(row(d)),
        }
    }
    let warnings: Vec<_> = batch.warnings.iter().map(row).collect();
    Ok(convert::to_js(&Contacts { contacts: accepted, rejected, warnings })?)
}

/// Verifies a Mailgun webhook's HMAC-SHA256 (`signature.timestamp` + `signature.token` under the signing key):
/// `true` or `false`, in constant time.
#[wasm_bindgen(js_name = verifyMailgun)]
pub fn verify_mailgun(signing_key: &str, timestamp: &str, token: &str, signature: &str) -> bool {
    mailgun::verify(signing_key.as_bytes(), timestamp, token, signature)
}

/// Verifies a SendGrid Signed Event Webhook delivery (ECDSA P-256 over timestamp + raw body; the key as
/// SendGrid shows it, base64 DER or PEM): `{ ok: true }` or `{ ok: false, reason, message }`. A body longer than
/// SendGrid sends throws `E_IMPORT_INVALID` as `importWebhook` does.
#[wasm_bindgen(js_name = verifySendgrid)]
pub fn verify_sendgrid(key: &str, timestamp: &str, body: &[u8], signature: &str) -> Result<JsValue, JsValue> {
    Webhook::Sendgrid.check_size(body.len() as u64).map_err(|t| Error::from(rekindle_core::Error::from(t)))?;
    let outcome = sendgrid::PublicKey::parse(key).and_then(|k| sendgrid::verify(&k, timestamp, body, signature));
    let (ok, reason, message) = match &outcome {
        Ok(()) => (true, None, None),
        Err(e) => (false, Some(e.code()), Some(e.to_string())),
    };
    Ok(convert::to_js(&Verified { ok, reason, message })?)
}

/// The age rule of a signed delivery (core's `check_age`, what `rekindle plan --signature-tolerance` applies): a
/// signature is fresh when signed (Unix seconds, as the vendor sends it) within `tolerance` either side of
/// `received_at` (epoch ms) — `{ ok: true }` or `{ ok: false, reason, message }`. A verified signature says who
/// signed; this says the delivery is not an old one replayed.
#[wasm_bindgen(js_name = checkSignatureAge)]
pub fn check_signature_age(timestamp: &str, received_at: f64, tolerance: &str) -> Result<JsValue, JsValue> {
    let received_at = convert::instant(received_at, "options.receivedAt")?;
    let tolerance = rekindle_core::Span::parse_str(tolerance)
        .map_err(|reason| crate::error::Error::Input { at: "options.tolerance".to_owned(), reason })?;
    let outcome = rekindle_core::import::signature::check_age(timestamp, received_at, tolerance);
    let (ok, reason, message) = match &outcome {
        Ok(_) => (true, None, None),
        Err(e) => (false, Some(e.code()), Some(e.to_string())),
    };
    Ok(convert::to_js(&Verified { ok, reason, message })?)
}

#[derive(Serialize)]
struct Verified {
    ok: bool,
    #[serde(skip_serializing_if = "Option::is_none")]
    reason: Option<&'static str>,
    #[serde(skip_serializing_if = "Option::is_none")]
    message: Option<String>,
}

#[derive(Serialize)]
#[serde(rename_all = "camelCase")]
struct Contact<'a> {
    line: u64,
    email: &'a str,
    id: Option<&'a str>,
    created_at: Option<rekindle_core::Timestamp>,
    fields: Fields<'a>,
    events: Vec<EventOut<'a>>,
}

struct Fields<'a>(&'a [(String, Scalar)]);

impl Serialize for Fields<'_> {
    fn serialize<S: Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        let mut m = s.serialize_map(Some(self.0.len()))?;
        for (k, v) in self.0 {
            m.serialize_entry(k, &ScalarOut(v))?;
        }
        m.end()
    }
}

#[derive(Serialize)]
struct Contacts<'a> {
    contacts: Vec<Contact<'a>>,
    rejected: Vec<RowOut<'a>>,
    warnings: Vec<RowOut<'a>>,
}
