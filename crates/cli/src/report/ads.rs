//! Ad-platform retargeting audiences (D10, D22, D35; DESIGN §7 "Retargeting audience"): the contacts core puts
//! in the audience at `--now` (`ContactState::retargetable`: from break-up until `keep_for` after it ended without
//! a reaction; never erased, unsubscribed, complaining, bounced, without ads consent, or with an open deal). Each
//! file holds SHA-256 (lower-case hex) of normalised identifiers only, deduplicated and sorted by hash, so the file
//! says nothing about the plan's order and a rerun writes the same bytes:
//!
//! | file | header | normalisation (formats.md) |
//! |---|---|---|
//! | `audiences/meta_custom_audience.csv` | `EMAIL` (+ `PHONE` when the contacts file has a `phone` column) | §3.1 |
//! | `audiences/google_customer_match.csv` | `Email` | §3.2 |
//! | `audiences/linkedin_matched_audience.csv` | LinkedIn's contact template, `email` filled | §3.3 |
//!
//! Beside each, `…_remove.csv` with the same header lists whom the platform must remove (formats.md §7, GDPR
//! Art. 17(2)): see [`leaving`] and [`audience`]. Upload limits are the platforms' business and not checked here
//! (LinkedIn wants ≥ 300 rows, Meta and Google match rates drop on small lists).

use std::io::{self, Write};
use std::path::Path;

use rekindle_core::import::phone::{e164, CallingCode};
use rekindle_core::state::retargeting::window_end;
use sha2::{Digest, Sha256};

use crate::output::{hex, OutDir};
use crate::plan::outcome::Planned;
use crate::plan::Plan;
use crate::CliError;

/// LinkedIn's contact-list template header, which "must not be changed or removed" (formats.md §3.3; the
/// official `LinkedIn_Ads_Contact_Match_Template.csv`).
const LINKEDIN_HEADER: [&str; 7] =
    ["email", "firstname", "lastname", "jobtitle", "employeecompany", "country", "googleaid"];

/// Lower-case hex SHA-256 of the UTF-8 bytes.
pub fn sha256(text: &str) -> String {
    hex(&Sha256::digest(text.as_bytes()))
}

/// Meta `EMAIL` (formats.md §3.1, Meta's normalisation table): "Trim leading and trailing white space and
/// convert all characters to lowercase". `None` when nothing is left.
pub fn meta_email(raw: &str) -> Option<String> {
    Some(raw.trim().to_lowercase()).filter(|e| !e.is_empty())
}

/// Meta `PHONE` (formats.md §3.1, Meta's table): "Remove symbols, letters, and any leading zeroes. You should
/// prefix the country code if COUNTRY field is not specified". We send no COUNTRY, so the number is placed in
/// E.164 by core (`import::phone::e164`: `+48 600 100 200`, `0048 600 100 200`, or a national number with
/// `--default-calling-code`) and sent as its digits; a number that cannot be placed is `None`: hashed without
/// its country code it could never match.
pub fn meta_phone(raw: &str, calling_code: Option<CallingCode>) -> Option<String> {
    e164(raw, calling_code).ok().map(|p| p.trim_start_matches('+').to_string())
}

/// Google Customer Match `Email` (formats.md §3.2): trim and lowercase, and "Take out any whitespace from … email
/// address values" (DV360 Customer Match). Gmail dot removal is documented only for Enhanced Conversions ("remove
/// all periods (.) preceding the domain name in gmail.com and googlemail.com email addresses"); §3.2 records the
/// Customer Match pages as not mentioning it (n/v), and no `+tag` rule is stated at all, so neither is applied.
pub fn google_email(raw: &str) -> Option<String> {
    Some(raw.chars().filter(|c| !c.is_whitespace()).collect::<String>().to_lowercase()).filter(|e| !e.is_empty())
}

/// LinkedIn `email` as SHA-256 (formats.md §3.3: "emails plain or SHA-256"; the API's `SHA256_EMAIL`): §3.3 states
/// no normalisation, so the common one — trimmed, lower-cased — is hashed.
pub fn linkedin_email(raw: &str) -> Option<String> {
    Some(raw.trim().to_lowercase()).filter(|e| !e.is_empty())
}

/// The three platforms' audience file names (`audiences/<name>.csv`; the removal file is `<name>_remove.csv`).
const PLATFORMS: [&str; 3] = ["meta_custom_audience", "google_customer_match", "linkedin_matched_audience"];

/// Writes the three audience files and their removal files; `previous` is the `--previous` plan directory.
pub fn write(plan: &Plan, out: &mut OutDir, previous: Option<&Path>) -> Result<(), CliError> {
    // Core's verdict at --now (`Planned::retarget`): in the window, no objection, no open deal. Erased contacts are
    // never members.
    let members: Vec<usize> =
        (0..plan.planned.len()).filter(|i| plan.planned.get(*i).is_some_and(|p| p.retarget)).collect();
    let leaving = leaving(plan, previous);
    write_platforms(plan, out, previous, "", &members, &leaving)
}

/// Writes `audiences/<prefix><platform>.csv` and `…_remove.csv` for each platform: `members` (contact indices)
/// hashed as the platform wants them, and the removal rows of `leaving` (every address merged into them too) and
/// of the previous plan's file of the same name (see [`audience`]).
pub fn write_platforms(
    plan: &Plan,
    out: &mut OutDir,
    previous: Option<&Path>,
    prefix: &str,
    members: &[usize],
    leaving: &[usize],
) -> Result<(), CliError> {
    let with_phone = plan.contacts.iter().any(|c| c.phone.is_some());
    let [meta, google, linkedin] =
        PLATFORMS.map(|name| (format!("audiences/{prefix}{name}.csv"), format!("audiences/{prefix}{name}_remove.csv")));

    let meta_rows = |indices: &[usize], merged| -> Vec<Vec<String>> {
        addresses(plan, indices, merged)
            .filter_map(|(email, phone)| {
                let mut row = vec![sha256(&meta_email(email)?)];
                if with_phone {
                    row.push(
                        phone.and_then(|p| meta_phone(p, plan.calling_code)).map(|p| sha256(&p)).unwrap_or_default(),
                    );
                }
                Some(row)
            })
            .collect()
    };
    let header: &[&str] = if with_phone { &["EMAIL", "PHONE"] } else { &["EMAIL"] };
    audience(out, &meta, header, meta_rows(members, false), meta_rows(leaving, true), previous)?;

    let google_rows = |indices: &[usize], merged| -> Vec<Vec<String>> {
        addresses(plan, indices, merged).filter_map(|(email, _)| Some(vec![sha256(&google_email(email)?)])).collect()
    };
    audience(out, &google, &["Email"], google_rows(members, false), google_rows(leaving, true), previous)?;

    let linkedin_rows = |indices: &[usize], merged| -> Vec<Vec<String>> {
        addresses(plan, indices, merged)
            .filter_map(|(email, _)| {
                let mut row = vec![String::new(); LINKEDIN_HEADER.len()];
                *row.first_mut()? = sha256(&linkedin_email(email)?);
                Some(row)
            })
            .collect()
    };
    audience(out, &linkedin, &LINKEDIN_HEADER, linkedin_rows(members, false), linkedin_rows(leaving, true), previous)
}

/// (email, phone) of each contact of `indices`: its own email and, with `merged`, the addresses merged into it by
/// phone too (an audience holds the contact's own address; a removal names every address the person may have been
/// uploaded by). The phone goes with the own email.
fn addresses<'a>(
    plan: &'a Plan,
    indices: &'a [usize],
    merged: bool,
) -> impl Iterator<Item = (&'a str, Option<&'a str>)> + 'a {
    indices.iter().flat_map(move |i| {
        let phone = plan.contacts.get(*i).and_then(|c| c.phone.as_deref());
        let all = plan.addresses(*i).take(if merged { usize::MAX } else { 1 });
        all.enumerate().map(move |(k, email)| (email, phone.filter(|_| k == 0)))
    })
}

/// Contacts of this run a platform must be told to remove even if no previous audience file names them (an upload
/// by an earlier run that was not carried, or by hand): those in the retargeting window (core's
/// `retargeting::window_end`) whom core excludes — unsubscribed, complaining, bounced, ads consent withdrawn or
/// missing, an open deal (D22) — and erased contacts ([`erased_since_previous`]).
fn leaving(plan: &Plan, previous: Option<&Path>) -> Vec<usize> {
    let erased = erased_since_previous(plan, previous);
    (0..plan.planned.len())
        .filter(|i| {
            plan.planned.get(*i).is_some_and(|p| match p.erased() {
                true => erased(p),
                false => !p.retarget && window_end(&p.lifecycle).is_some_and(|end| plan.now < end),
            })
        })
        .collect()
}

/// Whether an erased contact goes in a removal file (D9, GDPR Art. 17(2)): erased since the previous plan's
/// `--now` with `--previous`, every one without (nothing says which were already reported).
pub fn erased_since_previous(plan: &Plan, previous: Option<&Path>) -> impl Fn(&Planned) -> bool {
    let since = previous.and_then(|dir| crate::plan::previous::earlier_plan(dir, plan.now));
    move |p: &Planned| p.erased() && since.is_none_or(|s| p.lifecycle.since.is_none_or(|at| at >= s))
}

/// Writes one platform's audience and its removal file: the removal rows are `leaving`'s and every row of the
/// previous plan's audience file whose identifier is not in this audience, minus anyone in it (a person listed
/// twice, once by an address that stays, is kept).
fn audience(
    out: &mut OutDir,
    (file, remove_file): &(String, String),
    header: &[&str],
    mut members: Vec<Vec<String>>,
    mut remove: Vec<Vec<String>>,
    previous: Option<&Path>,
) -> Result<(), CliError> {
    sort_rows(&mut members);
    if let Some(dir) = previous {
        remove.extend(previous_rows(&dir.join(file), header.len())?);
    }
    sort_rows(&mut remove);
    remove.retain(|row| members.binary_search_by(|m| m.first().cmp(&row.first())).is_err());
    write_rows(out, file, header, &members)?;
    write_rows(out, remove_file, header, &remove)
}

/// The rows of a previous plan's audience file, padded or cut to `width` cells (the Meta file gains or loses its
/// `PHONE` column with the contacts file); none when the plan has no such file (written before it existed).
fn previous_rows(path: &Path, width: usize) -> Result<Vec<Vec<String>>, CliError> {
    let file = match std::fs::File::open(path) {
        Ok(file) => file,
        Err(e) if e.kind() == io::ErrorKind::NotFound => return Ok(Vec::new()),
        Err(source) => return Err(CliError::Io { path: path.to_path_buf(), source }),
    };
    let unusable = |line: u64, reason: String| CliError::Unusable { file: path.to_path_buf(), line, reason };
    let mut rows = Vec::new();
    for (i, record) in csv::ReaderBuilder::new().flexible(true).from_reader(file).records().enumerate() {
        let line = i as u64 + 2; // after the header
        let record = record.map_err(|e| unusable(line, format!("not a rekindle audience file: {e}")))?;
        let mut row: Vec<String> = record.iter().map(str::to_string).collect();
        if !row.first().is_some_and(|h| is_sha256(h)) {
            return Err(unusable(line, "not a rekindle audience file: the first cell is not a SHA-256 in hex".into()));
        }
        row.resize(width, String::new());
        rows.push(row);
    }
    Ok(rows)
}

/// 64 lower-case hex digits, as [`sha256`] writes.
fn is_sha256(text: &str) -> bool {
    text.len() == 64 && text.bytes().all(|b| b.is_ascii_digit() || (b'a'..=b'f').contains(&b))
}

/// Sorts rows by their first cell (the email hash) and drops repeats of it.
fn sort_rows(rows: &mut Vec<Vec<String>>) {
    rows.sort();
    rows.dedup_by(|a, b| a.first() == b.first());
}

/// Writes sorted rows under `header`.
fn write_rows(out: &mut OutDir, rel: &str, header: &[&str], rows: &[Vec<String>]) -> Result<(), CliError> {
    out.write(rel, |w: &mut dyn Write| {
        let mut csv = csv::Writer::from_writer(w);
        csv.write_record(header).map_err(io::Error::from)?;
        for row in rows {
            csv.write_record(row).map_err(io::Error::from)?;
        }
        csv.flush()?;
        Ok(rows.len() as u64)
    })
}

#[cfg(test)]
mod tests {
    //! Expected digests were computed outside this code: `printf %s 'jane.doe@example.com' | sha256sum`.
    use super::*;

    #[test]
    fn meta_trims_and_lowercases_emails_and_keeps_only_international_phone_digits() {
        let email = meta_email("  Jane.Doe+news@Example.COM \t").unwrap_or_default();
        assert_eq!(email, "jane.doe+news@example.com");
        assert_eq!(sha256(&email), "dbf1912b4cad4df9823f627874244e64b50a6ac550b9cb33b17df671a26679db");
        for raw in ["+48 (600) 100-200", "0048 600 100 200", " +48.600.100.200 "] {
            assert_eq!(meta_phone(raw, None).as_deref(), Some("48600100200"), "{raw}");
        }
        assert_eq!(
            sha256("48600100200"),
            "a9e90a53df41a976bf8e365b5eadb5db593fd0f79db2370a36064f87da357128",
            "the digits, not the written form, are hashed"
        );
        assert_eq!(meta_phone("600 100 200", None), None, "no country code: cannot match, not sent");
        let pl = CallingCode::parse("48").ok();
        assert_eq!(meta_phone("600 100 200", pl).as_deref(), Some("48600100200"), "placed with the list's code");
        assert_eq!(meta_phone("+44 (0)20 7946 0000", None).as_deref(), Some("442079460000"), "the (0) goes");
        assert_eq!(meta_phone("+ ()", None), None);
        assert_eq!(meta_email("   "), None);
    }

    #[test]
    fn google_customer_match_removes_whitespace_and_keeps_gmail_dots() {
        let gmail = google_email(" Jane.Doe@GMail.com ").unwrap_or_default();
        assert_eq!(gmail, "jane.doe@gmail.com", "dot removal is an Enhanced Conversions rule, not Customer Match");
        assert_eq!(sha256(&gmail), "831f6494ad6be4fcb3a724c3d5fef22d3ceffa3c62ef3a7984e45a0ea177f982");
        let spaced = google_email("Jane Doe@Example.com").unwrap_or_default();
        assert_eq!(spaced, "janedoe@example.com");
        assert_eq!(sha256(&spaced), "c4d25e9c90ff23e9145397bc6fbd5385ca5fbe78211222ccbecd0b369ebb19a6");
    }

    #[test]
    fn linkedin_hashes_the_trimmed_lowercased_email() {
        let email = linkedin_email("  Jane.Doe@Example.COM").unwrap_or_default();
        assert_eq!(email, "jane.doe@example.com");
        assert_eq!(sha256(&email), "86e0b9e56c17cc4d12387e1949b85053fbe73bc3ce5a1188713a9d300cc6133d");
        assert_eq!(LINKEDIN_HEADER.join(","), "email,firstname,lastname,jobtitle,employeecompany,country,googleaid");
    }
}
