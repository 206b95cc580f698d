//! Signed deliveries in a webhook log: how the signature, its timestamp and the key reach core's checks.
//!
//! A line of a log is either the body exactly as the vendor POSTed it, or an **envelope** that also keeps what
//! arrived beside the body — the form a receiving endpoint writes when it logs requests for a later check:
//!
//! ```json
//! {"received_at": "2020-09-14T19:41:44Z",
//!  "headers": {"X-Twilio-Email-Event-Webhook-Signature": "MEUCIG…", "X-Twilio-Email-Event-Webhook-Timestamp": "1600112502"},
//!  "body": "[{\"email\":\"hello@world.com\",…}]\r\n"}
//! ```
//!
//! `body` is the raw body as a JSON string (every byte kept: SendGrid signs the bytes, so a re-serialised body
//! fails, as it should); `headers` (names in any case) and `received_at` (RFC 3339 or epoch ms: when the endpoint
//! received it) are optional. An object with only these keys and a string `body` is an envelope; no vendor body
//! has that shape.
//!
//! With `--webhook-key sendgrid:<file>` (the Verification Key as SendGrid shows it, base64 DER or PEM) every
//! SendGrid delivery must carry both `X-Twilio-Email-Event-Webhook-*` headers and verify
//! (`rekindle_core::import::sendgrid::verify`); with `--webhook-key mailgun:<file>` (the HTTP webhook signing key)
//! every Mailgun body's `signature` must verify (`mailgun::check`). When the envelope says `received_at`, the
//! signed timestamp must lie within `--signature-tolerance` of it (`signature::check_age`). A delivery that fails
//! is rejected as a whole — none of its events is folded — with the reason's code (`signature_mismatch`,
//! `unsigned`, `signature_expired`, …), the file and line. Postmark, Mailchimp and SES do not sign bodies
//! (HTTP Basic auth, a URL secret, SNS certificates), so they take no key.
//!
//! What a signature proves differs by vendor: SendGrid's covers the timestamp and every byte of the body;
//! Mailgun's covers only `timestamp + token`, so it proves the delivery came from Mailgun at that time but not
//! that `event-data` is unchanged (Mailgun's scheme, not ours to fix; a copied token with edited event data
//! still verifies, which is why endpoints must also refuse reused tokens).

use std::collections::BTreeMap;
use std::path::PathBuf;

use rekindle_core::import::signature::{check_age, SignatureError};
use rekindle_core::import::{mailgun, sendgrid};
use rekindle_core::{Span, Timestamp};

use super::Vendor;
use crate::error::CliError;

/// One `--webhook-key <vendor>:<file>` argument.
#[derive(Debug, Clone)]
pub struct KeyArg {
    /// Whose deliveries the key checks.
    pub vendor: Vendor,
    /// The key file.
    pub path: PathBuf,
}

impl KeyArg {
    /// Parses `sendgrid:keys/sendgrid.pub` (clap `value_parser`; an error is a usage error, exit 2).
    pub fn parse(arg: &str) -> Result<KeyArg, String> {
        let log = super::WebhookLog::parse(arg)?;
        match log.vendor {
            Vendor::Sendgrid | Vendor::Mailgun => Ok(KeyArg { vendor: log.vendor, path: log.path }),
            Vendor::Postmark => {
                Err("postmark does not sign webhook bodies (secure the endpoint with HTTP Basic auth); no key to give"
                    .into())
            }
            Vendor::Mailchimp => {
                Err("mailchimp does not sign webhook bodies (use a secret in the webhook URL); no key to give".into())
            }
            Vendor::Ses => {
                Err("ses deliveries are signed by SNS with a certificate rekindle does not fetch; no key to give"
                    .into())
            }
        }
    }
}

/// A vendor's verification key.
#[derive(Debug, Clone)]
pub enum Verifier {
    /// SendGrid's Event Webhook public key.
    Sendgrid(sendgrid::PublicKey),
    /// Mailgun's HTTP webhook signing key.
    Mailgun(Vec<u8>),
}

impl Verifier {
    /// Reads the key file (surrounding whitespace ignored). An unusable key stops the run (exit 3).
    pub fn load(arg: &KeyArg) -> Result<Verifier, CliError> {
        let text =
            std::fs::read_to_string(&arg.path).map_err(|source| CliError::Io { path: arg.path.clone(), source })?;
        let unusable = |reason: String| CliError::Unusable { file: arg.path.clone(), line: 1, reason };
        match arg.vendor {
            Vendor::Mailgun if text.trim().is_empty() => Err(unusable("empty Mailgun signing key".into())),
            Vendor::Mailgun => Ok(Verifier::Mailgun(text.trim().as_bytes().to_vec())),
            _ => sendgrid::PublicKey::parse(&text).map(Verifier::Sendgrid).map_err(|e| unusable(e.to_string())),
        }
    }

    /// Checks one delivery; `Err` names the reason and the place (a header, `signature`, `received_at`).
    pub fn check(&self, d: &Delivery, tolerance: Span) -> Result<(), (SignatureError, String)> {
        let signed_ts = match self {
            Verifier::Sendgrid(key) => {
                let sig = d.header(sendgrid::SIGNATURE_HEADER);
                let ts = d.header(sendgrid::TIMESTAMP_HEADER);
                let place = |h: &str| format!("headers.{h}");
                let missing = |h: &str| (SignatureError::Missing { what: h.to_string() }, place(h));
                let sig = sig.ok_or_else(|| missing(sendgrid::SIGNATURE_HEADER))?;
                let ts = ts.ok_or_else(|| missing(sendgrid::TIMESTAMP_HEADER))?;
                sendgrid::verify(key, ts, &d.body, sig).map_err(|e| {
                    let at = match e {
                        SignatureError::Missing { ref what } => place(what),
                        SignatureError::Malformed { .. } => place(sendgrid::SIGNATURE_HEADER),
                        _ => "body".to_string(),
                    };
                    (e, at)
                })?;
                ts.to_string()
            }
            Verifier::Mailgun(key) => {
                let s = mailgun::signature(&d.body).map_err(|e| {
                    let at = e.path().unwrap_or_else(|| "signature".into());
                    (SignatureError::Missing { what: at.clone() }, at)
                })?;
                mailgun::check(key, &s).map_err(|e| (e, "signature.signature".to_string()))?;
                s.timestamp
            }
        };
        if let Some(received) = d.received_at {
            check_age(&signed_ts, received, tolerance).map_err(|e| (e, "received_at".to_string()))?;
        }
        Ok(())
    }
}

/// One line of a log, with what arrived beside the body when it is an envelope.
#[derive(Debug)]
pub struct Delivery {
    /// The body bytes as delivered.
    pub body: Vec<u8>,
    /// Header names lower-cased → values.
    headers: BTreeMap<String, String>,
    /// When the endpoint received it.
    pub received_at: Option<Timestamp>,
}

/// The envelope as written; `deny_unknown_fields` keeps every vendor body from reading as one.
#[derive(serde::Deserialize)]
#[serde(deny_unknown_fields)]
struct Envelope {
    body: String,
    #[serde(default)]
    headers: BTreeMap<String, String>,
    #[serde(default)]
    received_at: Option<serde_json::Value>,
}

impl Delivery {
    /// Reads a line: an envelope, else the line itself is the body. `Err` is a malformed `received_at`.
    pub fn read(line: &str) -> Result<Delivery, String> {
        let envelope = match line.trim_start().starts_with('{') {
            true => serde_json::from_str::<Envelope>(line).ok(),
            false => None,
        };
        let Some(e) = envelope else {
            return Ok(Delivery { body: line.as_bytes().to_vec(), headers: BTreeMap::new(), received_at: None });
        };
        let received_at = match e.received_at {
            None | Some(serde_json::Value::Null) => None,
            Some(serde_json::Value::Number(n)) => Some(crate::adapter::parse_instant(&n.to_string(), "received_at")),
            Some(serde_json::Value::String(s)) => Some(crate::adapter::parse_instant(&s, "received_at")),
            Some(other) => return Err(format!("received_at: expected RFC 3339 or epoch ms, got {other}")),
        };
        let received_at = received_at.transpose().map_err(|e| e.to_string())?;
        let headers = e.headers.into_iter().map(|(k, v)| (k.to_ascii_lowercase(), v)).collect();
        Ok(Delivery { body: e.body.into_bytes(), headers, received_at })
    }

    /// A header's value, by name in any case.
    pub fn header(&self, name: &str) -> Option<&str> {
        self.headers.get(&name.to_ascii_lowercase()).map(String::as_str)
    }

    /// Whether the delivery carries a signature a key could check (SendGrid headers; a Mailgun body always has
    /// its `signature` object, so only SendGrid's is looked for).
    pub fn carries_sendgrid_signature(&self) -> bool {
        self.header(sendgrid::SIGNATURE_HEADER).is_some()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn envelopes_are_told_from_bodies_by_their_keys_and_keep_every_byte() {
        let line = r#"{"body":"[{\"a\":1}]\r\n","headers":{"x-twilio-email-event-webhook-timestamp":"1"},"received_at":"2020-09-14T19:41:44Z"}"#;
        let d = Delivery::read(line).map_err(|e| e.to_string());
        let d = d.as_ref().map(|d| {
            (d.body.clone(), d.header("X-Twilio-Email-Event-Webhook-Timestamp"), d.received_at.map(Timestamp::ms))
        });
        assert_eq!(d, Ok((b"[{\"a\":1}]\r\n".to_vec(), Some("1"), Some(1_600_112_504_000))));
        for body in [r#"{"RecordType":"Open","body":"x"}"#, r#"[{"email":"a@b.c"}]"#, r#"{"body":{"x":1}}"#] {
            assert_eq!(Delivery::read(body).map(|d| d.body).ok(), Some(body.as_bytes().to_vec()), "{body}");
        }
        assert!(Delivery::read(r#"{"body":"x","received_at":"yesterday"}"#).is_err());
    }

    #[test]
    fn only_vendors_that_sign_bodies_take_a_key() {
        assert!(KeyArg::parse("sendgrid:k.pub").is_ok_and(|k| k.vendor == Vendor::Sendgrid));
        assert!(KeyArg::parse("Mailgun:k.txt").is_ok_and(|k| k.vendor == Vendor::Mailgun));
        for v in ["postmark", "mailchimp", "ses"] {
            assert!(KeyArg::parse(&format!("{v}:k")).is_err_and(|e| e.contains("no key to give")), "{v}");
        }
    }
}
