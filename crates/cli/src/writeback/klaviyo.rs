//! Klaviyo (D45): `klaviyo_profiles_import.csv`, a profile import (the first column `Email`, one of the headers
//! Klaviyo's upload accepts there; the other columns custom properties named `rekindle_…`, mapped by their
//! header), and `klaviyo_list_<segment>.csv` per segment, a list upload of the members Klaviyo may email.
//! Requirements: help.klaviyo.com/hc/en-us/articles/115005078967 ("The header of the first column … Email,
//! Email Address, Phone Number"; "Name each column with the intended custom property name").
//!
//! Neither file has a consent column: Klaviyo reads a blank `Email Marketing Consent` as "never subscribed"
//! (help.klaviyo.com/hc/en-us/articles/360043841811), so rekindle leaves consent out entirely and an upload
//! changes no profile's subscription. Klaviyo's profile id is not written: a list upload matches profiles by
//! email, and any other header would become a custom property.

use std::borrow::Cow;

use super::{rows, write_csv};
use crate::error::CliError;
use crate::output::OutDir;
use crate::plan::Plan;

/// The profile import.
pub const IMPORT: &str = "klaviyo_profiles_import.csv";

/// The profile import's header.
pub const HEADER: [&str; 11] = [
    "Email",
    "rekindle_lifecycle",
    "rekindle_lifecycle_since",
    "rekindle_stage",
    "rekindle_readiness",
    "rekindle_fit_score",
    "rekindle_intent_score",
    "rekindle_total_score",
    "rekindle_segments",
    "rekindle_next_step",
    "rekindle_email_verdict",
];

/// The list file of a segment.
pub fn list_file(segment: &str) -> String {
    format!("klaviyo_list_{segment}.csv")
}

/// Writes the profile import and one list file per segment (empty segments too: the manifest then says so).
pub fn write(plan: &Plan, out: &mut OutDir) -> Result<(), CliError> {
    write_csv(out, IMPORT, &HEADER, |w| {
        let mut n = 0;
        for row in rows(plan) {
            let [fit, intent, total] = row.scores();
            let cells: [Cow<'_, str>; 11] = [
                Cow::Borrowed(row.email),
                row.lifecycle(),
                Cow::Owned(row.lifecycle_since()),
                row.stage(),
                row.readiness(),
                Cow::Owned(fit),
                Cow::Owned(intent),
                Cow::Owned(total),
                Cow::Owned(if row.segments.is_empty() { super::NONE.to_string() } else { row.segments.join(",") }),
                Cow::Owned(row.next_step()),
                Cow::Borrowed(row.email_verdict()),
            ];
            w.write_record(cells.iter().map(|c| c.as_bytes()))?;
            n += 1;
        }
        Ok(n)
    })?;
    for segment in &plan.segment_ids {
        write_csv(out, &list_file(segment), &["Email"], |w| {
            let mut n = 0;
            // A list is what a campaign is sent to: suppressed addresses stay off it (their profile keeps them).
            for row in rows(plan).filter(|r| !r.suppressed() && r.segments.contains(&segment.as_str())) {
                w.write_record([row.email])?;
                n += 1;
            }
            Ok(n)
        })?;
    }
    Ok(())
}
