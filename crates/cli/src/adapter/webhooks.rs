//! Webhook logs (`--webhooks <vendor>:<file>`): one webhook body per line, exactly as the vendor POSTed it, each
//! decoded by `rekindle_core::import` (formats.md §1, §8):
//!
//! | vendor | one line is |
//! |---|---|
//! | `sendgrid` | a JSON array of events (one POST; a single object is read as a batch of one) |
//! | `mailgun` | a JSON object `{"signature": …, "event-data": …}` |
//! | `postmark` | a JSON object with `RecordType` |
//! | `mailchimp` | an `application/x-www-form-urlencoded` body (`type=unsubscribe&data%5Bemail%5D=…`) |
//! | `ses` | an SNS envelope (`"Type": "Notification"`, the record as a JSON string in `Message`) or a bare record |
//!
//! Lines are read through the NDJSON reader (never the whole file; blank lines skipped, non-UTF-8 lines
//! reported). A body that cannot be decoded at all is one `bad_body` diagnostic; each bad record inside a good
//! body is a diagnostic with core's code (`timestamp_looks_like_ms`, `invalid_email`, …) and its path inside the
//! body as the field, so a problem reads `events.ndjson:12 [3].timestamp: …`. Valid records rekindle does not
//! fold (delivered, processed, …) are counted per `vendor:kind`.
//!
//! Limits: a body longer than its vendor sends (core's `Webhook::max_body_bytes`: 1 MiB, Postmark 16 MiB) is a
//! `bad_body` reject naming its size and the limit, and a line longer than [`line_limit`] (the body limit three
//! times over, plus 64 KiB) is rejected the same way without being held in memory: it is read through and
//! dropped, so a 2 GB line costs its read, not 2 GB.
//!
//! Idempotency: vendors retry, and logs get replayed, so the same `(vendor, event id, contact)` is folded once
//! across every webhook file of the run; later copies are counted as duplicates.
//!
//! Signatures ([`signed`]): a line may be an envelope `{"received_at", "headers", "body"}` that keeps what the
//! check needs; with `--webhook-key sendgrid:<file>` or `mailgun:<file>` every delivery of that vendor is verified
//! by core before it is decoded, and one that fails is rejected whole with the reason. Without a key, nothing is
//! checked (a log is then taken as verified at the endpoint), and signed SendGrid deliveries are counted in a
//! warning that says so.

pub mod signed;

use std::collections::HashSet;
use std::hash::{Hash, Hasher};
use std::path::{Path, PathBuf};
use std::sync::atomic::{AtomicU64, Ordering};

use rekindle_core::import::{self, Imported};
use rekindle_core::{Event, Span};

use super::ndjson::{LineLimit, Ndjson};
use super::{Block, EventSource, Parsed, RawRecord};
use crate::diagnostic::Diagnostic;
use crate::error::CliError;

/// A webhook vendor whose bodies core decodes.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Vendor {
    /// SendGrid Event Webhook.
    Sendgrid,
    /// Mailgun JSON webhooks.
    Mailgun,
    /// Postmark webhooks.
    Postmark,
    /// Mailchimp audience webhooks (form-urlencoded).
    Mailchimp,
    /// Amazon SES (SNS envelope or bare record).
    Ses,
}

impl Vendor {
    const ALL: [Vendor; 5] = [Vendor::Sendgrid, Vendor::Mailgun, Vendor::Postmark, Vendor::Mailchimp, Vendor::Ses];

    /// The name used on the command line and in counts.
    pub fn name(self) -> &'static str {
        match self {
            Vendor::Sendgrid => "sendgrid",
            Vendor::Mailgun => "mailgun",
            Vendor::Postmark => "postmark",
            Vendor::Mailchimp => "mailchimp",
            Vendor::Ses => "ses",
        }
    }

    /// Core's name for the vendor, which knows its decoder and limits.
    fn webhook(self) -> import::Webhook {
        match self {
            Vendor::Sendgrid => import::Webhook::Sendgrid,
            Vendor::Mailgun => import::Webhook::Mailgun,
            Vendor::Postmark => import::Webhook::Postmark,
            Vendor::Mailchimp => import::Webhook::Mailchimp,
            Vendor::Ses => import::Webhook::Ses,
        }
    }

    fn decode(self, body: &[u8]) -> Result<Imported, rekindle_core::Error> {
        self.webhook().decode(body)
    }
}

/// The longest line of a `vendor` log: the vendor's body limit three times over, since a body in an envelope is a
/// JSON string and an escape can triple it (a 2-byte character written as the 6 bytes `\u00e9`), plus 64 KiB for
/// the envelope's headers and `received_at`. A longer line cannot hold a body core would read: it is rejected as
/// `bad_body`, unread.
pub fn line_limit(vendor: Vendor) -> LineLimit {
    let body = vendor.webhook().max_body_bytes();
    let bytes = body.saturating_mul(3).saturating_add(64 << 10);
    let name = vendor.name();
    let message = move |len: u64| {
        format!(
            "not a {name} webhook body: too large: the line holds {len} bytes, over the {bytes}-byte limit of a \
             {name} log line (a body of at most {body} bytes, escaped in a delivery envelope); skipped unread"
        )
    };
    LineLimit { bytes, code: "bad_body", field: Some("body".into()), message: Box::new(message) }
}

/// One `--webhooks <vendor>:<file>` argument.
#[derive(Debug, Clone)]
pub struct WebhookLog {
    /// Whose bodies the file holds.
    pub vendor: Vendor,
    /// The file.
    pub path: PathBuf,
}

impl WebhookLog {
    /// Parses `sendgrid:logs/sg.ndjson` (clap `value_parser`; an error is a usage error, exit 2).
    pub fn parse(arg: &str) -> Result<WebhookLog, String> {
        let names = Vendor::ALL.map(Vendor::name).join(", ");
        let Some((vendor, path)) = arg.split_once(':') else {
            return Err(format!("expected <vendor>:<file> with vendor one of {names}, got \"{arg}\""));
        };
        let vendor = Vendor::ALL
            .into_iter()
            .find(|v| v.name() == vendor.trim().to_ascii_lowercase())
            .ok_or_else(|| format!("unknown webhook vendor \"{vendor}\"; expected one of {names}"))?;
        if path.is_empty() {
            return Err(format!("missing file after \"{}:\"", vendor.name()));
        }
        Ok(WebhookLog { vendor, path: PathBuf::from(path) })
    }
}

/// A webhook log being read.
pub struct Webhooks {
    vendor: Vendor,
    lines: Ndjson,
    /// The vendor's key, when deliveries must verify.
    verifier: Option<signed::Verifier>,
    /// How far a signed timestamp may lie from `received_at`.
    tolerance: Span,
    /// Signed SendGrid deliveries read without a key (nothing checked them).
    unchecked: AtomicU64,
    /// Verified deliveries without `received_at` (their age could not be checked).
    ageless: AtomicU64,
}

impl Webhooks {
    /// Opens the file; with a `verifier`, every delivery must verify.
    pub fn open(
        vendor: Vendor,
        path: &Path,
        verifier: Option<signed::Verifier>,
        tolerance: Span,
    ) -> Result<Webhooks, CliError> {
        let (unchecked, ageless) = (AtomicU64::new(0), AtomicU64::new(0));
        let lines = Ndjson::open_limited(path, Some(line_limit(vendor)))?;
        Ok(Webhooks { vendor, lines, verifier, tolerance, unchecked, ageless })
    }

    /// The delivery a line holds, verified when there is a key; `Err` rejects the line with the reason.
    fn delivery(&self, raw: &RawRecord<'_>) -> Result<signed::Delivery, Diagnostic> {
        let vendor = self.vendor.name();
        let delivery = signed::Delivery::read(raw.text).map_err(|reason| {
            let msg = format!("{vendor} delivery envelope: {reason}");
            Diagnostic::reject(self.name(), raw.line, "bad_envelope", msg).at(None, Some("received_at".into()))
        })?;
        let Some(verifier) = &self.verifier else {
            if delivery.carries_sendgrid_signature() {
                self.unchecked.fetch_add(1, Ordering::Relaxed);
            }
            return Ok(delivery);
        };
        if let Err((e, at)) = verifier.check(&delivery, self.tolerance) {
            let msg = format!("{vendor} delivery refused, none of its events is folded: {e}");
            return Err(Diagnostic::reject(self.name(), raw.line, e.code(), msg).at(None, Some(at)));
        }
        if delivery.received_at.is_none() {
            self.ageless.fetch_add(1, Ordering::Relaxed);
        }
        Ok(delivery)
    }

    fn diagnostic(&self, line: u64, d: import::Diagnostic) -> Diagnostic {
        let message = format!("{} {}: {}", self.vendor.name(), d.at, d.message);
        Diagnostic::reject(self.name(), line, d.code, message).at(None, Some(d.at))
    }
}

impl EventSource for Webhooks {
    fn name(&self) -> &str {
        self.lines.name()
    }

    fn next_block(&mut self, max: usize, block: &mut Block) -> Result<Vec<Diagnostic>, CliError> {
        self.lines.next_block(max, block)
    }

    fn position(&self) -> u64 {
        self.lines.position()
    }

    fn parse(&self, raw: &RawRecord<'_>) -> Parsed {
        let vendor = self.vendor.name();
        let delivery = match self.delivery(raw) {
            Ok(d) => d,
            Err(d) => return Parsed::reject(d),
        };
        match self.vendor.decode(&delivery.body) {
            Ok(imported) => Parsed {
                events: imported.events,
                rejects: imported.diagnostics.into_iter().map(|d| self.diagnostic(raw.line, d)).collect(),
                deliveries: imported.skipped.iter().filter_map(|s| s.delivered).collect(),
                skipped: imported.skipped.into_iter().map(|s| format!("{vendor}:{}", s.provider_kind)).collect(),
            },
            Err(e) => {
                let (at, reason) = match e {
                    rekindle_core::Error::InvalidImport { at, reason } => (at, reason),
                    other => (String::new(), other.to_string()),
                };
                // `body:<line>:<column>` places a syntax error inside the (one-line) body.
                let column =
                    at.strip_prefix("body:").and_then(|lc| lc.split_once(':')).and_then(|(_, c)| c.parse().ok());
                let message = format!("not a {vendor} webhook body: {reason}");
                let field = (column.is_none() && !at.is_empty()).then_some(at);
                Parsed::reject(Diagnostic::reject(self.name(), raw.line, "bad_body", message).at(column, field))
            }
        }
    }

    fn idempotency_key(&self, event: &Event) -> Option<u64> {
        Some(idempotency_key(self.vendor, &event.id, &event.contact))
    }

    fn finish(&self) -> Vec<Diagnostic> {
        let vendor = self.vendor.name();
        let mut out = Vec::new();
        let unchecked = self.unchecked.load(Ordering::Relaxed);
        if unchecked > 0 {
            let msg = format!("{unchecked} signed {vendor} deliveries were read without checking their signatures; pass --webhook-key {vendor}:<verification key file> to verify them");
            out.push(Diagnostic::warning(self.name(), 0, "signature_not_checked", msg));
        }
        let ageless = self.ageless.load(Ordering::Relaxed);
        if ageless > 0 {
            let msg = format!("{ageless} {vendor} deliveries verified, but their age was not checked: the log has no received_at for them");
            out.push(Diagnostic::warning(self.name(), 0, "signature_age_not_checked", msg));
        }
        out
    }
}

/// The 64-bit hash of `(vendor, event id, contact)`: SipHash-1-3 with fixed keys (`DefaultHasher::new()`), so
/// every run hashes alike; `Hash for str` ends each part with a 0xFF byte (never in UTF-8), so
/// `("ab","c")` ≠ `("a","bc")`.
pub fn idempotency_key(vendor: Vendor, id: &str, contact: &str) -> u64 {
    let mut h = std::collections::hash_map::DefaultHasher::new();
    (vendor.name(), id, contact).hash(&mut h);
    h.finish()
}

/// The keys seen so far: a 64-bit hash per distinct event, never the strings, so the set costs 9–18 bytes per
/// event (key, control byte, the table's slack) whatever the ids' lengths: under 200 MB for 10 M events.
///
/// Two distinct events share a 64-bit key with probability ≈ n²/2⁶⁵ over n events (birthday bound):
/// 2.7·10⁻⁸ for a million events, 2.7·10⁻⁶ for ten million. A collision drops one real event as a duplicate.
#[derive(Default)]
pub struct Seen {
    keys: HashSet<u64>,
}

impl Seen {
    /// Whether `key` is new (and records it).
    pub fn first(&mut self, key: u64) -> bool {
        self.keys.insert(key)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn webhook_arguments_name_a_known_vendor_and_a_file() {
        let log = WebhookLog::parse("SendGrid:logs/a:b.ndjson").map_err(|e| e.to_string());
        assert_eq!(log.as_ref().map(|l| (l.vendor, l.path.clone())), Ok((Vendor::Sendgrid, "logs/a:b.ndjson".into())));
        assert!(WebhookLog::parse("sparkpost:x.ndjson").is_err_and(|e| e.contains("unknown webhook vendor")));
        assert!(WebhookLog::parse("x.ndjson").is_err_and(|e| e.contains("<vendor>:<file>")));
        assert!(WebhookLog::parse("ses:").is_err_and(|e| e.contains("missing file")));
    }

    #[test]
    fn idempotency_keys_separate_vendor_id_and_contact() {
        let k = idempotency_key(Vendor::Sendgrid, "e1", "a@x.test");
        assert_eq!(k, idempotency_key(Vendor::Sendgrid, "e1", "a@x.test"));
        assert_ne!(k, idempotency_key(Vendor::Mailgun, "e1", "a@x.test"));
        assert_ne!(k, idempotency_key(Vendor::Sendgrid, "e2", "a@x.test"));
        assert_ne!(k, idempotency_key(Vendor::Sendgrid, "e1", "b@x.test"));
        assert_ne!(idempotency_key(Vendor::Ses, "ab", "c"), idempotency_key(Vendor::Ses, "a", "bc"));
        let mut seen = Seen::default();
        assert!(seen.first(k));
        assert!(!seen.first(k));
    }
}
