//! HubSpot contacts export (formats.md §2.2, described, not verbatim): headers are property **labels in the
//! export's language** (or internal names when the export asks for them), so the labels are an explicit input:
//! [`HubspotLabels::english`], [`HubspotLabels::internal`], or your own for a German or Polish export.
//!
//! | column (English) | rekindle |
//! |---|---|
//! | `Record ID` (older: `Contact ID`) | the record id |
//! | `Email` | the email (required) |
//! | `Create Date` | `created_at` |
//! | `Last Activity Date`, `Last Modified Date`, `Became a … Date` | fields as RFC 3339 (`last_activity_date`, …) |
//! | `Lifecycle Stage`, `Marketing contact status` | fields `lifecycle_stage`, `marketing_contact_status` as written |
//! | `Unsubscribed from all email` = true / yes | an `unsubscribe` event (`channel: email`, `reason: unsubscribed_from_all`) |
//!
//! The export gives no unsubscribe date, so the event is placed at `Last Modified Date`, else `Last Activity
//! Date`, else `Create Date`; a row with none of them is rejected (`missing_field`). A value of `Unsubscribed
//! from all email` that is neither yes nor no is a warning (`unknown_value`) and no event. HubSpot's counters
//! (`Marketing emails opened`, …) are already bot-filtered (formats.md §2.2) and are kept as plain fields.

use alloc::format;
use alloc::string::String;
use alloc::vec::Vec;

use super::{text, ContactRecord, Header, Row, RowDiagnostic};
use crate::event::EventKind;
use crate::time::quote;
use crate::Error;

/// The header labels of one HubSpot export language; each concept lists the labels it may have.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct HubspotLabels {
    /// The record id column.
    pub record_id: Vec<String>,
    /// The email column.
    pub email: Vec<String>,
    /// The creation date.
    pub create_date: Vec<String>,
    /// The last activity date.
    pub last_activity_date: Vec<String>,
    /// The last modification date.
    pub last_modified_date: Vec<String>,
    /// "Unsubscribed from all email".
    pub unsubscribed_from_all: Vec<String>,
    /// Values that mean yes in that column (compared in any ASCII case).
    pub yes: Vec<String>,
    /// Values that mean no.
    pub no: Vec<String>,
    /// Other columns holding dates (stored as RFC 3339 fields).
    pub dates: Vec<String>,
}

fn strings(items: &[&str]) -> Vec<String> {
    items.iter().map(|s| String::from(*s)).collect()
}

impl HubspotLabels {
    /// An export in English (HubSpot's default).
    pub fn english() -> HubspotLabels {
        HubspotLabels {
            record_id: strings(&["Record ID", "Contact ID"]),
            email: strings(&["Email"]),
            create_date: strings(&["Create Date"]),
            last_activity_date: strings(&["Last Activity Date"]),
            last_modified_date: strings(&["Last Modified Date"]),
            unsubscribed_from_all: strings(&["Unsubscribed from all email"]),
            yes: strings(&["true", "yes"]),
            no: strings(&["false", "no"]),
            dates: strings(&[
                "Last Engagement Date",
                "Became a Subscriber Date",
                "Became a Lead Date",
                "Became a Marketing Qualified Lead Date",
                "Became a Sales Qualified Lead Date",
                "Became a Customer Date",
                "Time First Seen",
                "Time Last Seen",
            ]),
        }
    }

    /// An export with internal property names (`exportInternalValuesOptions`).
    pub fn internal() -> HubspotLabels {
        HubspotLabels {
            record_id: strings(&["hs_object_id"]),
            email: strings(&["email"]),
            create_date: strings(&["createdate"]),
            last_activity_date: strings(&["notes_last_updated"]),
            last_modified_date: strings(&["lastmodifieddate"]),
            unsubscribed_from_all: strings(&["hs_email_optout"]),
            yes: strings(&["true"]),
            no: strings(&["false"]),
            dates: strings(&["hs_lifecyclestage_lead_date", "hs_lifecyclestage_customer_date"]),
        }
    }
}

fn refs(v: &[String]) -> Vec<&str> {
    v.iter().map(String::as_str).collect()
}

#[derive(Debug)]
pub(super) struct Layout {
    email: usize,
    id: Option<usize>,
    create: Option<usize>,
    activity: Option<usize>,
    modified: Option<usize>,
    unsubscribed: Option<usize>,
    yes: Vec<String>,
    no: Vec<String>,
    dates: Vec<Option<usize>>,
}

impl Layout {
    pub(super) fn new(h: &Header, labels: &HubspotLabels, file: &str) -> Result<Layout, Error> {
        let email = h.require(file, &refs(&labels.email), "HubSpot")?;
        let find = |v: &[String]| h.find(&refs(v));
        let (create, activity, modified) =
            (find(&labels.create_date), find(&labels.last_activity_date), find(&labels.last_modified_date));
        let mut dates = alloc::vec![create, activity, modified];
        dates.extend(labels.dates.iter().map(|d| h.find(&[d.as_str()])));
        Ok(Layout {
            email,
            id: find(&labels.record_id),
            create,
            activity,
            modified,
            unsubscribed: find(&labels.unsubscribed_from_all),
            yes: labels.yes.clone(),
            no: labels.no.clone(),
            dates,
        })
    }

    /// The columns that are no profile field (email, id, creation date), and those named otherwise than their label.
    pub(super) fn columns(&self) -> super::Columns {
        (alloc::vec![Some(self.email), self.id, self.create], alloc::vec![])
    }

    pub(super) fn row(&self, r: &mut Row<'_>) -> Result<ContactRecord, RowDiagnostic> {
        let email = r.email(self.email)?;
        let created_at = r.soft_time(self.create);
        let mut events = Vec::new();
        if let (Some(column), Some(value)) = (self.unsubscribed, r.cell(self.unsubscribed)) {
            let is = |set: &[String]| set.iter().any(|s| s.eq_ignore_ascii_case(value));
            if is(&self.yes) {
                let at = [self.modified, self.activity, self.create]
                    .into_iter()
                    .find(|c| r.cell(*c).is_some())
                    .map(|c| r.time(c))
                    .transpose()?
                    .flatten();
                let Some(at) = at else {
                    let message = "an unsubscribed contact needs a Last Modified Date, Last Activity Date or Create \
                                   Date to date the unsubscribe; all are empty"
                        .into();
                    return Err(r.problem(column, "missing_field", message));
                };
                let props = [("channel", text("email")), ("reason", text("unsubscribed_from_all"))];
                events.push(r.event(EventKind::Unsubscribe, at, &email, &props));
            } else if !is(&self.no) {
                let message =
                    format!("expected yes/true or no/false, got \"{}\": no unsubscribe recorded", quote(value));
                r.warn(column, "unknown_value", message);
            }
        }
        let id = r.cell(self.id).map(Into::into);
        let fields = r.fields(&self.columns().0, &self.dates);
        Ok(ContactRecord { line: r.line, email, id, created_at, fields, events })
    }
}
