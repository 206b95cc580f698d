//! Arbitrary bytes as a contact export → `import::contacts`: byte 0 picks the vendor (Mailchimp subscribed /
//! unsubscribed / cleaned, HubSpot English / internal labels, Klaviyo), byte 1 seeds the chunking, the rest is
//! the file. Never a panic; a file unusable as a whole is `E_IMPORT_INVALID` placed as `<file>:<line>`.
//!
//! Streaming oracle: the file fed in one piece, one byte at a time, and in three seeded runs of random chunk sizes
//! (small, up to a few hundred bytes, and small with empty chunks among them) must give the same rows, warnings and
//! error. Otherwise every row
//! diagnostic and warning is placed in the file with a stable code, every record has a normalised email and a
//! line within the file, and the rows' events fold and decide with the saas playbook.
#![no_main]

#[path = "common.rs"]
mod common;

use libfuzzer_sys::fuzz_target;
use rekindle_core::import::contacts::{self, ContactBatch, ContactDecoder, HubspotLabels, MailchimpStatus, Vendor};
use rekindle_core::{ContactState, Error, ErrorCode};

const FILE: &str = "contacts.csv";

const ROW_CODES: &[&str] = &[
    "column_count",
    "unclosed_quote",
    "missing_email",
    "invalid_email",
    "redacted_email",
    "bad_timestamp",
    "missing_field",
];
const WARNING_CODES: &[&str] = &["decoded_as_windows_1252", "unknown_value", "bad_timestamp"];

fn vendor(selector: u8) -> Vendor {
    match selector % 6 {
        0 => Vendor::Mailchimp(MailchimpStatus::Subscribed),
        1 => Vendor::Mailchimp(MailchimpStatus::Unsubscribed),
        2 => Vendor::Mailchimp(MailchimpStatus::Cleaned),
        3 => Vendor::Hubspot(Box::new(HubspotLabels::english())),
        4 => Vendor::Hubspot(Box::new(HubspotLabels::internal())),
        _ => Vendor::Klaviyo,
    }
}

/// Chunk sizes from a seed (xorshift), each in `1..=max`.
fn sizes(seed: u8, max: usize) -> impl FnMut() -> usize {
    let mut x = u32::from(seed).wrapping_mul(2_654_435_761) | 1;
    move || {
        x ^= x << 13;
        x ^= x >> 17;
        x ^= x << 5;
        1 + x as usize % max
    }
}

/// Feeds `body` in chunks of `next()` bytes, then finishes; the first error ends the file.
fn chunked(vendor: Vendor, body: &[u8], mut next: impl FnMut() -> usize) -> Result<ContactBatch, Error> {
    let mut decoder = ContactDecoder::new(FILE, vendor);
    let mut out = ContactBatch::default();
    let mut rest = body;
    while !rest.is_empty() {
        let (chunk, tail) = rest.split_at(next().min(rest.len()));
        decoder.feed(chunk, &mut out)?;
        rest = tail;
    }
    decoder.finish(&mut out)?;
    Ok(out)
}

fn assert_placed(line: u64, at: &str, lines: u64) {
    assert!(line >= 1 && line <= lines, "line {line} outside a file of {lines} lines");
    assert!(at.starts_with(&format!("{FILE}:{line}")), "diagnostic at {at:?} is not placed at line {line}");
}

fuzz_target!(|data: &[u8]| {
    let [selector, seed, body @ ..] = data else { return };
    let whole = contacts::decode(FILE, vendor(*selector), body);
    let runs = [
        ("one byte at a time", chunked(vendor(*selector), body, || 1)),
        ("chunks of 1..=7", chunked(vendor(*selector), body, sizes(*seed, 7))),
        ("chunks of 1..=300", chunked(vendor(*selector), body, sizes(seed.wrapping_add(1), 300))),
        // A stream may hand over an empty chunk anywhere (a fetch body, a Node stream): it must change nothing.
        ("chunks of 0..=6 (empty ones among them)", chunked(vendor(*selector), body, {
            let mut next = sizes(seed.wrapping_add(2), 7);
            move || next() - 1
        })),
    ];
    for (how, run) in &runs {
        assert_eq!(run, &whole, "fed {how}, the file decodes differently from fed whole");
    }
    let batch = match whole {
        Ok(batch) => batch,
        Err(err) => {
            common::assert_error(&err, ErrorCode::ImportInvalid);
            let at = err.path().unwrap_or_default();
            assert!(at.starts_with(&format!("{FILE}:")), "whole-file error at {at:?} does not name the file");
            return;
        }
    };
    let lines = 1 + body.iter().filter(|&&b| b == b'\n').count() as u64;
    let mut events = Vec::new();
    for row in &batch.rows {
        match row {
            Ok(record) => {
                assert!(record.line >= 1 && record.line <= lines, "record line {} of {lines}", record.line);
                assert_eq!(record.email, record.email.trim().to_lowercase(), "email not normalised");
                assert!(!record.email.is_empty(), "a record without an email");
                events.extend(record.events.iter().cloned());
            }
            Err(d) => {
                assert_placed(d.line, &d.diagnostic.at, lines);
                common::assert_diagnostic(&d.diagnostic, ROW_CODES);
            }
        }
    }
    for w in &batch.warnings {
        assert_placed(w.line, &w.diagnostic.at, lines);
        common::assert_diagnostic(&w.diagnostic, WARNING_CODES);
    }
    let pb = common::saas_cached();
    let mut state = ContactState::new();
    state.fold(pb, &events);
    common::exercise(pb, &state);
});
