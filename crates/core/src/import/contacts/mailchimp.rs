//! Mailchimp audience export (formats.md §2.1, a verbatim header in `tests/fixtures/vendor/`): merge-field
//! columns by their label, then `MEMBER_RATING, OPTIN_TIME, OPTIN_IP, CONFIRM_TIME, CONFIRM_IP, LATITUDE,
//! LONGITUDE, GMTOFF, DSTOFF, TIMEZONE, CC, REGION, LAST_CHANGED, LEID, EUID, NOTES` (+ `TAGS` in newer files;
//! `UNSUB_*` in the unsubscribed file, `CLEAN_*` in the cleaned one).
//!
//! | column | rekindle |
//! |---|---|
//! | `Email Address` | the email (required) |
//! | `EUID` | the record id (Mailchimp's `unique_email_id`); `LEID` stays a field (`leid`) |
//! | `OPTIN_TIME`, else `CONFIRM_TIME` | `created_at` |
//! | `CC` | field `country`; every other column its snake_case name (`TIMEZONE` → `timezone`, which quiet hours read) |
//! | `*_TIME`, `LAST_CHANGED` | fields as RFC 3339 |
//!
//! The file's role is the [`MailchimpStatus`] input (Mailchimp puts subscribed, unsubscribed and cleaned
//! members in separate files of one ZIP; no row says which, but the header does: `UNSUB_*` columns only in the
//! unsubscribed file, `CLEAN_*` only in the cleaned one — a file read with another role than its header names is
//! refused as a whole, and [`super::mailchimp_status`] tells a caller which to pass):
//! - subscribed: a `consent` event (`purpose: email_marketing`, `granted: true`) at `CONFIRM_TIME` (double
//!   opt-in, `source: mailchimp_confirm`), else `OPTIN_TIME` (`source: mailchimp_optin`): the consent proof D9
//!   keeps. No time, no event.
//! - unsubscribed: an `unsubscribe` event (`channel: email`, `reason` = `UNSUB_REASON`, `campaign` =
//!   `UNSUB_CAMPAIGN_ID`) at `UNSUB_TIME`, else `LAST_CHANGED`; a row with neither is rejected
//!   (`missing_field`): an unsubscribe with no date cannot be placed in the contact's history.
//! - cleaned: an `email_bounce` event (`type: hard`, `campaign` = `CLEAN_CAMPAIGN_ID`) at `CLEAN_TIME`, else
//!   `LAST_CHANGED`; same rule.

use alloc::format;
use alloc::vec::Vec;

use super::{text, ContactRecord, Header, Row, RowDiagnostic};
use crate::event::{EventKind, Scalar};
use crate::Error;

/// Which file of the export: Mailchimp writes one CSV per member status.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub enum MailchimpStatus {
    /// `subscribed_members_export_*.csv`.
    #[default]
    Subscribed,
    /// `unsubscribed_members_export_*.csv`.
    Unsubscribed,
    /// `cleaned_members_export_*.csv` (hard bounces).
    Cleaned,
}

impl MailchimpStatus {
    /// The file's name for it: `subscribed`, `unsubscribed`, `cleaned`.
    pub fn name(self) -> &'static str {
        match self {
            MailchimpStatus::Subscribed => "subscribed",
            MailchimpStatus::Unsubscribed => "unsubscribed",
            MailchimpStatus::Cleaned => "cleaned",
        }
    }

    /// The header column that tells the file's status (for messages).
    fn evidence(self) -> &'static str {
        match self {
            MailchimpStatus::Subscribed => "neither UNSUB_TIME nor CLEAN_TIME",
            MailchimpStatus::Unsubscribed => "UNSUB_TIME",
            MailchimpStatus::Cleaned => "CLEAN_TIME",
        }
    }

    /// The Node adapter's export name for this file.
    fn vendor_name(self) -> &'static str {
        match self {
            MailchimpStatus::Subscribed => "mailchimp",
            MailchimpStatus::Unsubscribed => "mailchimp-unsubscribed",
            MailchimpStatus::Cleaned => "mailchimp-cleaned",
        }
    }
}

#[derive(Debug)]
pub(super) struct Layout {
    status: MailchimpStatus,
    email: usize,
    euid: Option<usize>,
    optin: Option<usize>,
    confirm: Option<usize>,
    last_changed: Option<usize>,
    unsub_time: Option<usize>,
    unsub_reason: Option<usize>,
    unsub_campaign: Option<usize>,
    clean_time: Option<usize>,
    clean_campaign: Option<usize>,
    cc: Option<usize>,
    dates: Vec<Option<usize>>,
}

impl Layout {
    pub(super) fn new(h: &Header, status: MailchimpStatus, file: &str) -> Result<Layout, Error> {
        let email = h.require(file, &["Email Address", "Email"], "Mailchimp")?;
        let named = super::head::status_of(&h.labels);
        if named != status {
            // Read as the subscribed file, an unsubscribed or cleaned one would make its contacts mailable.
            return Err(Error::InvalidImport {
                at: format!("{file}:1"),
                reason: format!(
                    "this is Mailchimp's {} members file (its header has {}), but it is read as the {} one; read it \
                     as {} (CLI: --mailchimp-status {}; Node: importContacts(\"{}\", …))",
                    named.name(),
                    named.evidence(),
                    status.name(),
                    named.name(),
                    named.name(),
                    named.vendor_name()
                ),
            });
        }
        let f = |name: &str| h.find(&[name]);
        let dates = ["OPTIN_TIME", "CONFIRM_TIME", "LAST_CHANGED", "UNSUB_TIME", "CLEAN_TIME"].map(f).to_vec();
        Ok(Layout {
            status,
            email,
            euid: f("EUID"),
            optin: f("OPTIN_TIME"),
            confirm: f("CONFIRM_TIME"),
            last_changed: f("LAST_CHANGED"),
            unsub_time: f("UNSUB_TIME"),
            unsub_reason: f("UNSUB_REASON"),
            unsub_campaign: f("UNSUB_CAMPAIGN_ID"),
            clean_time: f("CLEAN_TIME"),
            clean_campaign: f("CLEAN_CAMPAIGN_ID"),
            cc: f("CC"),
            dates,
        })
    }

    /// The columns that are no profile field (email, id, creation date), and those named otherwise than their label.
    pub(super) fn columns(&self) -> super::Columns {
        (alloc::vec![Some(self.email), self.euid], alloc::vec![(self.cc, "country")])
    }

    pub(super) fn row(&self, r: &mut Row<'_>) -> Result<ContactRecord, RowDiagnostic> {
        let email = r.email(self.email)?;
        let optin = r.soft_time(self.optin);
        let confirm = r.soft_time(self.confirm);
        let mut events = Vec::new();
        match self.status {
            MailchimpStatus::Subscribed => {
                let proof = match (confirm, optin) {
                    (Some(t), _) => Some((t, "mailchimp_confirm")),
                    (None, Some(t)) => Some((t, "mailchimp_optin")),
                    (None, None) => None,
                };
                if let Some((at, source)) = proof {
                    let props = [
                        ("purpose", text("email_marketing")),
                        ("granted", Scalar::Bool(true)),
                        ("source", text(source)),
                    ];
                    events.push(r.event(EventKind::Consent, at, &email, &props));
                }
            }
            MailchimpStatus::Unsubscribed => {
                let at = self.status_time(r, self.unsub_time, "UNSUB_TIME")?;
                let mut props = alloc::vec![("channel", text("email"))];
                props.extend(r.cell(self.unsub_reason).map(|v| ("reason", text(v))));
                props.extend(r.cell(self.unsub_campaign).map(|v| ("campaign", text(v))));
                events.push(r.event(EventKind::Unsubscribe, at, &email, &props));
            }
            MailchimpStatus::Cleaned => {
                let at = self.status_time(r, self.clean_time, "CLEAN_TIME")?;
                let mut props = alloc::vec![("type", text("hard"))];
                props.extend(r.cell(self.clean_campaign).map(|v| ("campaign", text(v))));
                events.push(r.event(EventKind::EmailBounce, at, &email, &props));
            }
        }
        let id = r.cell(self.euid).map(Into::into);
        let fields = r.fields(&self.columns().0, &self.dates);
        Ok(ContactRecord { line: r.line, email, id, created_at: optin.or(confirm), fields, events })
    }

    /// The status change's time: its own column, else `LAST_CHANGED`; required.
    fn status_time(
        &self,
        r: &Row<'_>,
        own: Option<usize>,
        own_name: &str,
    ) -> Result<crate::time::Timestamp, RowDiagnostic> {
        let column = if r.cell(own).is_some() { own } else { self.last_changed };
        match r.time(column)? {
            Some(t) => Ok(t),
            None => {
                let message = format!(
                    "a {} member needs {own_name} or LAST_CHANGED to date the change; both are empty",
                    match self.status {
                        MailchimpStatus::Subscribed => "subscribed",
                        MailchimpStatus::Unsubscribed => "unsubscribed",
                        MailchimpStatus::Cleaned => "cleaned",
                    }
                );
                Err(r.problem(own.or(self.last_changed).unwrap_or(self.email), "missing_field", message))
            }
        }
    }
}
