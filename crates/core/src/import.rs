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
//! When a vendor record has no key of its own (Mailgun test events without `id`, bare SES opens), the key is
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

use alloc::string::String;
use alloc::vec::Vec;

use crate::event::Event;
#[cfg(doc)]
use crate::Error;

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
