//! Klaviyo profiles export (formats.md §2.3, described, not verbatim: the columns are the properties chosen in
//! the UI).
//!
//! | column | rekindle |
//! |---|---|
//! | `Email` (or `Email Address`, `$email`) | the email (required); a deleted profile's `redacted…@example.com` is rejected (`redacted_email`) |
//! | `Klaviyo ID` (or `Id`, `$id`) | the record id |
//! | `First Active` (or `Created`) | `created_at` |
//! | `Last Active`, `Email Marketing Consent Timestamp` | fields as RFC 3339 |
//! | `Email Marketing Consent` | `SUBSCRIBED` → `consent` (`purpose: email_marketing`, `granted: true`, `source: klaviyo`); `UNSUBSCRIBED` → `unsubscribe`; `NEVER_SUBSCRIBED` and empty → nothing; else a warning |
//! | `Suppressions` (a list: `,` `;` or `\|`) | `UNSUBSCRIBE`, `USER_SUPPRESSED` → `unsubscribe` (`reason`); `SPAM_COMPLAINT` → `spam_complaint`; `HARD_BOUNCE`, `INVALID_EMAIL` → `email_bounce` `type: hard`; else a warning |
//!
//! Status events are dated by `Email Marketing Consent Timestamp`, else `Last Active`, else `First Active`. A
//! consent with no date gives no event (there is no proof to keep; an unreadable one is a `bad_timestamp` warning,
//! the cell kept as text); a suppression or unsubscribe with no date rejects the row (`missing_field`), since it
//! cannot be placed in the contact's history.

use alloc::format;
use alloc::vec::Vec;

use super::{text, ContactRecord, Header, Row, RowDiagnostic};
use crate::event::{EventKind, Scalar};
use crate::time::quote;
use crate::Error;

#[derive(Debug)]
pub(super) struct Layout {
    email: usize,
    id: Option<usize>,
    first_active: Option<usize>,
    last_active: Option<usize>,
    consent: Option<usize>,
    consent_time: Option<usize>,
    suppressions: Option<usize>,
}

impl Layout {
    pub(super) fn new(h: &Header, file: &str) -> Result<Layout, Error> {
        Ok(Layout {
            email: h.require(file, &["Email", "Email Address", "$email"], "Klaviyo")?,
            id: h.find(&["Klaviyo ID", "Id", "$id"]),
            first_active: h.find(&["First Active", "Created"]),
            last_active: h.find(&["Last Active"]),
            consent: h.find(&["Email Marketing Consent"]),
            consent_time: h.find(&["Email Marketing Consent Timestamp"]),
            suppressions: h.find(&["Suppressions"]),
        })
    }

    /// The columns that are no profile field (email, id, creation date), and those named otherwise than their label.
    pub(super) fn columns(&self) -> super::Columns {
        (alloc::vec![Some(self.email), self.id, self.first_active], alloc::vec![])
    }

    pub(super) fn row(&self, r: &mut Row<'_>) -> Result<ContactRecord, RowDiagnostic> {
        if let Some(raw) = r.cell(Some(self.email)) {
            let lower = raw.to_ascii_lowercase();
            if lower.starts_with("redacted") && lower.ends_with("@example.com") {
                let message = "a deleted Klaviyo profile (its email was replaced by a redacted address): nothing to \
                               plan; erase it on your side too"
                    .into();
                return Err(r.problem(self.email, "redacted_email", message));
            }
        }
        let email = r.email(self.email)?;
        let created_at = r.soft_time(self.first_active);
        let dated = [self.consent_time, self.last_active, self.first_active].into_iter().find(|c| r.cell(*c).is_some());
        // Needed only when the row states a status: an unreadable date rejects the row only then.
        let when = dated.map(|c| r.time(c)).transpose().map(Option::flatten);
        r.soft_time(self.last_active); // warns when the informational date is unreadable
        let mut events = Vec::new();
        let mut push = |r: &Row<'_>, kind: EventKind, column: usize, props: &[(&str, Scalar)]| {
            let Some(at) = when.clone()? else {
                let message = format!(
                    "\"{}\" needs a date (Email Marketing Consent Timestamp, Last Active or First Active); all are empty",
                    quote(r.cell(Some(column)).unwrap_or_default())
                );
                return Err(r.problem(column, "missing_field", message));
            };
            if !events.iter().any(|e: &crate::event::Event| e.kind == kind) {
                events.push(r.event(kind, at, &email, props));
            }
            Ok(())
        };
        if let (Some(column), Some(value)) = (self.consent, r.cell(self.consent)) {
            match value.to_ascii_uppercase().as_str() {
                "SUBSCRIBED" if matches!(when, Ok(Some(_))) => {
                    let granted = [
                        ("purpose", text("email_marketing")),
                        ("granted", Scalar::Bool(true)),
                        ("source", text("klaviyo")),
                    ];
                    push(r, EventKind::Consent, column, &granted)?;
                }
                // An unreadable consent date: no proof to keep, and said (the other dates warn where they are read).
                "SUBSCRIBED" => {
                    if let (Err(d), true) = (&when, dated == Some(self.consent_time)) {
                        r.warnings.push(d.clone());
                    }
                }
                "NEVER_SUBSCRIBED" => {}
                "UNSUBSCRIBED" => push(r, EventKind::Unsubscribe, column, &[("channel", text("email"))])?,
                _ => r.warn(column, "unknown_value", unknown(value, "SUBSCRIBED, UNSUBSCRIBED or NEVER_SUBSCRIBED")),
            }
        }
        if let (Some(column), Some(list)) = (self.suppressions, r.cell(self.suppressions)) {
            for item in list.split([',', ';', '|']).map(str::trim).filter(|s| !s.is_empty()) {
                let reason = item.to_ascii_lowercase();
                match item.to_ascii_uppercase().as_str() {
                    "UNSUBSCRIBE" | "USER_SUPPRESSED" => {
                        let props = [("channel", text("email")), ("reason", text(&reason))];
                        push(r, EventKind::Unsubscribe, column, &props)?;
                    }
                    "SPAM_COMPLAINT" => push(r, EventKind::SpamComplaint, column, &[])?,
                    "HARD_BOUNCE" | "INVALID_EMAIL" => {
                        push(r, EventKind::EmailBounce, column, &[("type", text("hard")), ("reason", text(&reason))])?;
                    }
                    _ => r.warn(
                        column,
                        "unknown_value",
                        unknown(item, "UNSUBSCRIBE, SPAM_COMPLAINT, HARD_BOUNCE, INVALID_EMAIL or USER_SUPPRESSED"),
                    ),
                }
            }
        }
        let id = r.cell(self.id).map(Into::into);
        let dates = [self.last_active, self.consent_time];
        let fields = r.fields(&self.columns().0, &dates);
        Ok(ContactRecord { line: r.line, email, id, created_at, fields, events })
    }
}

fn unknown(value: &str, expected: &str) -> alloc::string::String {
    format!("expected {expected}, got \"{}\": ignored", quote(value))
}
