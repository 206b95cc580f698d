//! Vendor webhooks in, rekindle [`Event`]s out: pure functions of the request body (bytes in, records and
//! diagnostics out; no I/O, no clock), shared by the CLI, Node and the Worker (STYLE §1).
//!
//! | module | body | idempotency key (`Event::id`) | time |
//! |---|---|---|---|
//! | [`sendgrid`] | JSON array (a single object is read as a batch of one) | `sg_event_id` | integer seconds |
//! | [`mailgun`] | `{signature, event-data}` | `event-data.id` | float seconds |
//! | [`postmark`] | one object, `RecordType` | `RecordType:ID` or `RecordType:MessageID:time` | ISO 8601 + offset |
//! | [`mailchimp`] | form-urlencoded, `data[merges][FNAME]` | `mailchimp:` + FNV-64 of the decoded pairs | `YYYY-MM-DD HH:MM:SS`, read as UTC |
//! | [`ses`] | SNS envelope, bare event-publishing record or legacy notification | SNS `MessageId`, else `feedbackId` | ISO 8601 `Z` |
//!
//! When a vendor record has no key of its own (Mailgun test events without `id`, bare SES opens; an empty id is
//! none, or every such event of a contact would share the key `""`), the key is
//! `<provider>:` + FNV-64 of the record's canonical form, so the same record twice gets the same key. A record
//! that yields one event per recipient (SES) suffixes `#<n>` when there is more than one. Deduplication by key
//! is the caller's job: the fold does not deduplicate.
//!
//! Each event has `contact` = the recipient's email, trimmed and lower-cased; `props.provider`; where the vendor
//! gives them `message_ref`, `url`, `campaign`; `type` (`hard`/`soft`) on bounces; `channel: "email"` on
//! unsubscribes and subscribes; `machine_open` (`yes`/`no`/`unknown`) on opens and clicks, with `machine` set
//! when the vendor flags a machine (`sg_machine_open`, Mailgun `client-info.bot`). Every other scalar field of
//! the record is kept as `raw.<vendor key>` (prefixed so a vendor `reason` or `type` never reads as rekindle's).
//!
//! Problems are data: a structurally bad record becomes a [`Diagnostic`] and the rest of the batch goes on; a
//! valid record rekindle does not fold (delivered, processed, deferred, …) becomes a [`Skipped`]. Only a body
//! that is unusable as a whole (not JSON, not the vendor's shape) is an [`Error::InvalidImport`].
//!
//! Diagnostic codes (stable): `wrong_type`, `missing_field`, `invalid_email`, `bad_timestamp`,
//! `timestamp_looks_like_ms`, `unknown_value`, `invalid_json`.
//!
//! Contact exports (Mailchimp, HubSpot, Klaviyo CSV) are decoded by [`contacts`], a streaming decoder with its
//! own record and row-diagnostic types.
//!
//! Limits: a body is refused unread, as a whole, when it is longer than its vendor could send
//! ([`Webhook::max_body_bytes`]: 1 MiB, 16 MiB for Postmark; [`TooLarge`] names the size and the limit), and a
//! SendGrid batch may hold at most [`sendgrid::MAX_EVENTS`] records, a Mailchimp form [`mailchimp::MAX_FIELDS`]
//! pairs, a single-record JSON body (Mailgun, Postmark, SES) [`MAX_VALUES`] JSON values: what a hostile body
//! could make the decoder allocate is bounded by a small multiple of the limit. Nesting stops at
//! [`json::MAX_DEPTH`]. A JSON body that is plainly another vendor's (`event-data`, `RecordType`, an SNS envelope,
//! an SES record, `sg_event_id`) is refused naming that vendor, so a webhook pointed at the wrong endpoint is an error the
//! receiver answers with a 4xx, not a stream of `missing_field` diagnostics.
//!
//! Authenticity ([`signature`]): SendGrid's ECDSA P-256 signature ([`sendgrid::verify`]) and Mailgun's
//! HMAC-SHA256 ([`mailgun::check`]) are checked over the bytes as delivered, with the key the caller passes and
//! the age rule [`signature::check_age`] against the instant of receipt the caller knows. Not done here: SNS
//! message signatures (fetching the signing certificate is I/O, the caller's job); Postmark and Mailchimp do not
//! sign (HTTP Basic auth, a secret in the URL).

pub mod contacts;
pub mod json;
pub mod mailchimp;
pub mod mailgun;
pub mod phone;
pub mod postmark;
mod record;
pub mod sendgrid;
pub mod ses;
pub mod signature;

use alloc::format;
use alloc::string::String;
use alloc::vec::Vec;
use core::fmt;

use crate::event::Event;
use crate::value::Value;
use crate::Error;

/// A webhook vendor whose bodies core decodes: one name for the CLI's `--webhooks <vendor>:<file>`, Node's
/// `importWebhook(vendor, body)` and the limits.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum Webhook {
    /// SendGrid Event Webhook ([`sendgrid`]).
    Sendgrid,
    /// Mailgun JSON webhooks ([`mailgun`]).
    Mailgun,
    /// Postmark webhooks ([`postmark`]).
    Postmark,
    /// Mailchimp audience webhooks, form-urlencoded ([`mailchimp`]).
    Mailchimp,
    /// Amazon SES, an SNS envelope or a bare record ([`ses`]).
    Ses,
}

/// Bytes of one SendGrid, Mailgun, Mailchimp or SES body, past which it is refused unread. Why 1 MiB:
/// SendGrid posts a batch "when the batch size reaches 768 kilobytes" (its Event Webhook docs), so a batch is
/// 768 KB plus the event that crossed the line; Mailgun, Postmark and Mailchimp post one record per request (a few
/// KB); SNS delivers messages of at most 256 KiB to HTTP endpoints (larger topics serve only SQS, Lambda and
/// Firehose), and the envelope carries the SES record JSON-escaped, which at most about doubles it.
pub const MAX_BODY_BYTES: usize = 1 << 20;

/// Bytes of one Postmark body. Postmark's bounce webhook can include the bounce itself (`Content`, "Include
/// bounce content"), which may quote the whole bounced message, and Postmark sends messages of up to 10 MB; as a
/// JSON string that grows by its escapes. rekindle drops `Content`: turn the option off and bodies stay a few KB.
pub const MAX_POSTMARK_BODY_BYTES: usize = 16 << 20;

/// JSON values (objects, arrays and scalars, counted as parsed) in a body that holds one record (Mailgun,
/// Postmark, the SNS envelope and the SES record in it): a real record has tens to a few hundred; the limit keeps
/// a 16 MiB Postmark body of `[[],[],…]` from becoming hundreds of MB of tree.
pub const MAX_VALUES: usize = 100_000;

impl Webhook {
    /// Every vendor, in documentation order.
    pub const ALL: [Webhook; 5] =
        [Webhook::Sendgrid, Webhook::Mailgun, Webhook::Postmark, Webhook::Mailchimp, Webhook::Ses];

    /// The lower-case name used on the command line, in Node and in messages.
    pub fn name(self) -> &'static str {
        match self {
            Webhook::Sendgrid => "sendgrid",
            Webhook::Mailgun => "mailgun",
            Webhook::Postmark => "postmark",
            Webhook::Mailchimp => "mailchimp",
            Webhook::Ses => "ses",
        }
    }

    /// The vendor named `name` (exactly as [`Webhook::name`] spells it).
    pub fn from_name(name: &str) -> Option<Webhook> {
        match name {
            "sendgrid" => Some(Webhook::Sendgrid),
            "mailgun" => Some(Webhook::Mailgun),
            "postmark" => Some(Webhook::Postmark),
            "mailchimp" => Some(Webhook::Mailchimp),
            "ses" => Some(Webhook::Ses),
            _ => None,
        }
    }

    /// The longest body this vendor sends, in bytes ([`MAX_BODY_BYTES`], [`MAX_POSTMARK_BODY_BYTES`]).
    pub fn max_body_bytes(self) -> usize {
        match self {
            Webhook::Postmark => MAX_POSTMARK_BODY_BYTES,
            Webhook::Sendgrid | Webhook::Mailgun | Webhook::Mailchimp | Webhook::Ses => MAX_BODY_BYTES,
        }
    }

    /// Whether a body of `size` bytes may be decoded; callers that know the size before they hold the bytes
    /// (a `Content-Length`, a file's length, a JS string) ask first and never copy an oversized body.
    ///
    /// ```
    /// # use rekindle_core::import::Webhook;
    /// assert!(Webhook::Sendgrid.check_size(768 * 1024).is_ok());
    /// let e = Webhook::Sendgrid.check_size(50 << 20).unwrap_err();
    /// assert_eq!((e.size, e.limit), (50 << 20, 1 << 20));
    /// ```
    ///
    /// # Errors
    /// [`TooLarge`] when `size` is over [`Webhook::max_body_bytes`].
    pub fn check_size(self, size: u64) -> Result<(), TooLarge> {
        let limit = self.max_body_bytes() as u64;
        if size > limit {
            return Err(TooLarge { vendor: self, size, limit });
        }
        Ok(())
    }

    /// Decodes one body of this vendor.
    ///
    /// # Errors
    /// [`Error::InvalidImport`] as the vendor's decoder says, and for a body over the limits above.
    pub fn decode(self, body: &[u8]) -> Result<Imported, Error> {
        match self {
            Webhook::Sendgrid => sendgrid::decode(body),
            Webhook::Mailgun => mailgun::decode(body),
            Webhook::Postmark => postmark::decode(body),
            Webhook::Mailchimp => mailchimp::decode(body),
            Webhook::Ses => ses::decode(body),
        }
    }
}

impl fmt::Display for Webhook {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.name())
    }
}

/// A body longer than its vendor sends ([`Webhook::check_size`]): refused unread, with the size and the limit,
/// so a receiver answers 413 and logs why. It converts to [`Error::InvalidImport`] at `body` (`E_IMPORT_INVALID`).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct TooLarge {
    /// Whose body it was meant to be.
    pub vendor: Webhook,
    /// The body's length in bytes.
    pub size: u64,
    /// The most this vendor's body may have ([`Webhook::max_body_bytes`]).
    pub limit: u64,
}

impl fmt::Display for TooLarge {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(
            f,
            "too large: {} bytes, over the {}-byte limit of a {} webhook body",
            self.size, self.limit, self.vendor
        )
    }
}

impl From<TooLarge> for Error {
    fn from(e: TooLarge) -> Error {
        Error::InvalidImport { at: "body".into(), reason: format!("{e}") }
    }
}

/// Keys only one vendor's webhook has at its top: Mailgun's `event-data`, Postmark's `RecordType`, an SNS
/// envelope's `TopicArn`, an SES record's `eventType` / `notificationType`, SendGrid's `sg_event_id`.
const SIGNS: [(&str, Webhook); 6] = [
    ("event-data", Webhook::Mailgun),
    ("RecordType", Webhook::Postmark),
    ("TopicArn", Webhook::Ses),
    ("eventType", Webhook::Ses),
    ("notificationType", Webhook::Ses),
    ("sg_event_id", Webhook::Sendgrid),
];

/// Refuses `record` (a body; an array is judged by its first item) when one of [`SIGNS`] says it is another vendor's
/// webhook than `vendor`'s. A decoder passes `None` when the record has its own vendor's key, so a SendGrid
/// custom argument called `RecordType` does not make a SendGrid event Postmark's.
pub(crate) fn refuse_foreign(vendor: Webhook, record: Option<&Value>) -> Result<(), Error> {
    let record = match record {
        Some(Value::Array(items)) => items.first(),
        other => other,
    };
    let other = record.and_then(|r| SIGNS.iter().find(|(key, _)| r.get(key).is_some())).map(|(_, w)| *w);
    match other {
        Some(other) if other != vendor => Err(Error::InvalidImport {
            at: "body".into(),
            reason: format!("this is a {other} webhook body, not a {vendor} one"),
        }),
        _ => Ok(()),
    }
}

/// What one webhook body decoded to.
#[derive(Debug, Clone, PartialEq, Default)]
pub struct Imported {
    /// The events, in body order.
    pub events: Vec<Event>,
    /// Records that could not be read, each with its place and reason.
    pub diagnostics: Vec<Diagnostic>,
    /// Valid vendor records that rekindle does not fold (counted, not errors).
    pub skipped: Vec<Skipped>,
}

/// A record that could not be read. The rest of the body is still decoded.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Diagnostic {
    /// Where, e.g. `[3].timestamp` or `event-data.recipient`.
    pub at: String,
    /// Stable snake_case code, e.g. `timestamp_looks_like_ms`.
    pub code: &'static str,
    /// What was expected and what arrived (emails masked).
    pub message: String,
}

/// A valid vendor record that rekindle does not turn into an event.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Skipped {
    /// Where the record is, e.g. `[2]`.
    pub at: String,
    /// The vendor's own name for the record, e.g. `delivered`.
    pub provider_kind: String,
    /// Why it is not folded.
    pub reason: String,
    /// For a delivery (the message reached the recipient's mail server): when, if the record says. Deliveries are
    /// not engagement, but they are what a complaint rate is a share of (a CLI report reads them).
    pub delivered: Option<crate::Timestamp>,
}

impl Imported {
    pub(crate) fn skip(&mut self, at: &str, provider_kind: &str, reason: &str) {
        self.skip_delivery(at, provider_kind, reason, None);
    }

    /// Skips a delivery record delivered at `time`.
    pub(crate) fn skip_delivery(
        &mut self,
        at: &str,
        provider_kind: &str,
        reason: &str,
        time: Option<crate::Timestamp>,
    ) {
        let (at, provider_kind, reason) = (at.into(), provider_kind.into(), reason.into());
        self.skipped.push(Skipped { at, provider_kind, reason, delivered: time });
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use alloc::string::ToString;
    use alloc::vec;

    /// `body` padded with trailing spaces (JSON whitespace) to exactly `len` bytes.
    fn padded(body: &str, len: usize) -> Vec<u8> {
        let mut b = body.as_bytes().to_vec();
        b.resize(len, b' ');
        b
    }

    fn refused(vendor: Webhook, body: &[u8]) -> (String, String) {
        match vendor.decode(body) {
            Err(Error::InvalidImport { at, reason }) => (at, reason),
            other => panic!("{vendor}: expected E_IMPORT_INVALID, got {other:?}"),
        }
    }

    const BODIES: [(Webhook, &str); 5] = [
        (Webhook::Sendgrid, r#"[{"email":"a@example.com","timestamp":1513299569,"event":"open","sg_event_id":"e1"}]"#),
        (
            Webhook::Mailgun,
            r#"{"event-data":{"event":"opened","id":"x1","timestamp":1534109600.5,"recipient":"a@example.com"}}"#,
        ),
        (
            Webhook::Postmark,
            r#"{"RecordType":"Open","MessageID":"m1","Recipient":"a@example.com","ReceivedAt":"2016-04-27T16:21:41Z"}"#,
        ),
        (Webhook::Mailchimp, "type=unsubscribe&fired_at=2009-03-26+21%3A40%3A57&data%5Bemail%5D=a%40example.com"),
        (
            Webhook::Ses,
            r#"{"eventType":"Open","open":{"timestamp":"2017-08-09T22:00:19.652Z"},"mail":{"destination":["a@example.com"]}}"#,
        ),
    ];

    #[test]
    fn a_body_at_its_limit_decodes_and_one_byte_more_is_refused_unread_naming_size_and_limit() {
        for (vendor, body) in BODIES {
            let limit = vendor.max_body_bytes();
            let at_limit = if vendor == Webhook::Mailchimp {
                let mut b = body.as_bytes().to_vec();
                b.resize(limit, b'&'); // empty pairs are skipped
                b
            } else {
                padded(body, limit)
            };
            let ok = vendor.decode(&at_limit).map(|i| i.events.len());
            assert_eq!(ok, Ok(1), "{vendor}");
            let mut over = at_limit;
            over.push(b' ');
            let (at, reason) = refused(vendor, &over);
            assert_eq!(at, "body");
            let expected = format!("too large: {} bytes, over the {limit}-byte", limit + 1);
            assert!(reason.starts_with(&expected), "{vendor}: {reason}");
            assert!(reason.contains(vendor.name()), "{reason}");
        }
        assert_eq!((MAX_BODY_BYTES, MAX_POSTMARK_BODY_BYTES), (1_048_576, 16_777_216));
        let e = Webhook::Ses.check_size(2 << 30).unwrap_err();
        assert_eq!((e.vendor, e.size, e.limit), (Webhook::Ses, 2 << 30, 1 << 20));
        assert_eq!(e.to_string(), "too large: 2147483648 bytes, over the 1048576-byte limit of a ses webhook body");
        assert_eq!(Webhook::ALL.map(|w| Webhook::from_name(w.name())), Webhook::ALL.map(Some));
        assert_eq!(Webhook::from_name("SendGrid"), None);
    }

    #[test]
    fn a_sendgrid_batch_over_max_events_is_refused_and_one_at_it_decodes() {
        let record = r#"{"event":"x"}"#; // small enough for 20,000 to fit in 1 MiB
        let batch = |n: usize| format!("[{}]", vec![record; n].join(","));
        let at = sendgrid::decode(batch(sendgrid::MAX_EVENTS).as_bytes()).map(|i| i.skipped.len());
        assert_eq!(at, Ok(sendgrid::MAX_EVENTS));
        let (_, reason) = refused(Webhook::Sendgrid, batch(sendgrid::MAX_EVENTS + 1).as_bytes());
        assert!(reason.contains("too many events: 20001, over 20000"), "{reason}");
        // Half a million tiny items fit in 1 MiB: refused whole, not half a million diagnostics.
        let zeros = format!("[{}0]", "0,".repeat(500_000));
        assert!(refused(Webhook::Sendgrid, zeros.as_bytes()).1.contains("too many events"));
    }

    #[test]
    fn single_record_bodies_stop_at_max_values() {
        let empties = format!(r#"{{"RecordType":"Open","x":[{}[]]}}"#, "[],".repeat(MAX_VALUES));
        assert!(empties.len() < MAX_POSTMARK_BODY_BYTES);
        let (at, reason) = refused(Webhook::Postmark, empties.as_bytes());
        assert!(at.starts_with("body:1:") && reason.contains("more than 100000 JSON values"), "{at}: {reason}");
        let many = format!("type=profile&{}", "a=1&".repeat(mailchimp::MAX_FIELDS));
        assert!(refused(Webhook::Mailchimp, many.as_bytes()).1.contains("too many fields: over 10000"));
    }

    #[test]
    fn another_vendors_body_is_refused_naming_that_vendor() {
        for (vendor, _) in BODIES {
            for (other, body) in BODIES {
                if vendor == other {
                    continue;
                }
                let (at, reason) = refused(vendor, body.as_bytes());
                let named = if other == Webhook::Mailchimp {
                    // A form is not JSON: the JSON decoders say where it stops being JSON.
                    at.starts_with("body:1:1") && reason.contains("not valid JSON")
                } else if vendor == Webhook::Mailchimp {
                    reason.contains("a JSON body: Mailchimp posts forms")
                } else {
                    reason.contains(&format!("this is a {other} webhook body, not a {vendor} one"))
                };
                assert!(named, "{other} body to {vendor}: {at}: {reason}");
            }
        }
        // A SendGrid record keeps its own keys even when a custom argument is called `RecordType`.
        let custom = r#"{"event":"open","email":"a@example.com","timestamp":1,"sg_event_id":"e","RecordType":"x"}"#;
        assert_eq!(sendgrid::decode(custom.as_bytes()).map(|i| i.events.len()), Ok(1));
        // JSON nobody's: Mailchimp still says it wants a form.
        assert!(refused(Webhook::Mailchimp, b" {\"a\":1}").1.contains("Mailchimp posts forms"));
    }

    #[test]
    fn an_event_id_twice_in_one_sendgrid_body_gives_two_events_for_the_caller_to_deduplicate() {
        let open = r#"{"event":"open","email":"a@example.com","timestamp":1513299569,"sg_event_id":"e1"}"#;
        let out = sendgrid::decode(format!("[{open},{open}]").as_bytes()).unwrap_or_default();
        assert_eq!(out.events.iter().map(|e| e.id.as_str()).collect::<Vec<_>>(), ["e1", "e1"]);
        assert!(out.diagnostics.is_empty() && out.skipped.is_empty());
    }

    #[test]
    fn deep_nesting_and_bytes_that_are_not_utf8_are_whole_body_errors_for_every_vendor() {
        let deep = "[".repeat(100_000);
        for vendor in Webhook::ALL {
            let (_, reason) = refused(vendor, deep.as_bytes());
            let expected =
                if vendor == Webhook::Mailchimp { "Mailchimp posts forms" } else { "nesting deeper than 64" };
            assert!(reason.contains(expected), "{vendor}: {reason}");
            let (_, reason) = refused(vendor, b"{\"a\":\"\xff\xfe\"}");
            let expected = if vendor == Webhook::Mailchimp { "Mailchimp posts forms" } else { "invalid UTF-8" };
            assert!(reason.contains(expected), "{vendor}: {reason}");
        }
        assert!(refused(Webhook::Mailchimp, b"type=profile&data%5Bemail%5D=%FF").1.contains("not UTF-8"));
    }
}
