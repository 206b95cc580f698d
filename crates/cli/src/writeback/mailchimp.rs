//! Mailchimp (D45): `mailchimp_audience_import.csv`, an audience import keyed by `Email Address` (the only
//! column Mailchimp requires) whose `TAGS` column carries the plan as tags — `rekindle:<segment>` for each
//! segment and `rekindle:lifecycle:<state>` — comma-separated in one cell as Mailchimp's import reads tags, and
//! the scores, stage, readiness and next step as merge fields (`RK_…`: merge tags hold at most 10 characters).
//! Format guidelines: mailchimp.com/help/format-guidelines-for-your-import-file.
//!
//! An import adds tags and never takes one away, so a contact that left a segment would keep its tag:
//! `mailchimp_tags_remove.csv` lists, per contact, every rekindle tag it does not hold now, for the Marketing
//! API's member tags endpoint (`status: "inactive"`) or the audience's bulk "Remove tags" action.

use std::borrow::Cow;

use super::{rows, write_csv, Row};
use crate::error::CliError;
use crate::output::OutDir;
use crate::plan::Plan;

/// The import file.
pub const IMPORT: &str = "mailchimp_audience_import.csv";
/// The tags each contact must lose.
pub const REMOVE: &str = "mailchimp_tags_remove.csv";

/// The import's header: the email, the tags, then the merge fields.
pub const HEADER: [&str; 11] = [
    "Email Address",
    "TAGS",
    "RK_LIFE",
    "RK_STAGE",
    "RK_READY",
    "RK_FIT",
    "RK_INTENT",
    "RK_TOTAL",
    "RK_NEXT",
    "RK_DUE",
    "RK_EMAIL",
];

/// Every tag rekindle writes for this playbook: one per segment, one per lifecycle state.
fn all_tags(plan: &Plan) -> Vec<String> {
    let segments = plan.segment_ids.iter().map(|s| segment_tag(s));
    segments.chain(super::lifecycle_names().iter().map(|l| lifecycle_tag(l))).collect()
}

fn segment_tag(segment: &str) -> String {
    format!("rekindle:{segment}")
}

fn lifecycle_tag(state: &str) -> String {
    format!("rekindle:lifecycle:{state}")
}

/// The tags a contact holds now, segments first (playbook order), then its lifecycle.
fn tags(row: &Row<'_>) -> Vec<String> {
    let mut tags: Vec<String> = row.segments.iter().map(|s| segment_tag(s)).collect();
    tags.push(lifecycle_tag(&row.lifecycle()));
    tags
}

/// Writes the import and the removal list.
pub fn write(plan: &Plan, out: &mut OutDir) -> Result<(), CliError> {
    write_csv(out, IMPORT, &HEADER, |w| {
        let mut n = 0;
        for row in rows(plan) {
            let [fit, intent, total] = row.scores();
            let cells: [Cow<'_, str>; 11] = [
                Cow::Borrowed(row.email),
                Cow::Owned(tags(&row).join(",")),
                row.lifecycle(),
                row.stage(),
                row.readiness(),
                Cow::Owned(fit),
                Cow::Owned(intent),
                Cow::Owned(total),
                Cow::Owned(row.next_step()),
                Cow::Owned(row.next_due_at()),
                Cow::Borrowed(row.email_verdict()),
            ];
            w.write_record(cells.iter().map(|c| c.as_bytes()))?;
            n += 1;
        }
        Ok(n)
    })?;
    let every = all_tags(plan);
    write_csv(out, REMOVE, &["Email Address", "TAGS"], |w| {
        let mut n = 0;
        for row in rows(plan) {
            let held = tags(&row);
            let stale: Vec<&str> = every.iter().filter(|t| !held.contains(t)).map(String::as_str).collect();
            if stale.is_empty() {
                continue; // holds every tag: nothing to remove
            }
            w.write_record([row.email, &stale.join(",")])?;
            n += 1;
        }
        Ok(n)
    })
}
