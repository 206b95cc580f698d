//! What the start of a contacts file says before any row is read: its encoding (UTF-16 is refused), its
//! delimiter, and the vendor its header names.

use alloc::format;
use alloc::string::String;
use alloc::vec::Vec;

use csv_core::ReaderBuilder;

use super::text::decode_field;
use super::MailchimpStatus;

/// The vendor a header line looks like (see [`detect`]).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum VendorKind {
    /// `Email Address` and `LEID`.
    Mailchimp,
    /// `Record ID` (or `Contact ID`).
    Hubspot,
    /// `Klaviyo ID` or `$email`.
    Klaviyo,
}

/// Why a file starting with `head` cannot be read as a CSV export: it is UTF-16 text (a UTF-16 byte-order mark,
/// or NUL bytes in the header line), as spreadsheet programs save "Unicode text". `None` for anything else.
///
/// ```
/// # use rekindle_core::import::contacts::utf16;
/// assert!(utf16(b"\xFF\xFEe\0m\0").is_some_and(|why| why.contains("CSV UTF-8")));
/// assert_eq!(utf16(b"email,id\n"), None);
/// ```
pub fn utf16(head: &[u8]) -> Option<&'static str> {
    let bom = head.starts_with(b"\xFF\xFE") || head.starts_with(b"\xFE\xFF");
    let line = head.get(..header_end(head).unwrap_or(head.len())).unwrap_or(head);
    (bom || line.contains(&0)).then_some(
        "UTF-16 text (a UTF-16 byte-order mark or NUL bytes in the header): save the export as \"CSV UTF-8\"",
    )
}

/// Guesses the vendor from the start of a file (at least its header line): `Email Address` + `LEID` →
/// Mailchimp, `Record ID` / `Contact ID` → HubSpot, `Klaviyo ID` / `$email` → Klaviyo; `None` otherwise (a
/// generic CSV, or not CSV at all).
pub fn detect(head: &[u8]) -> Option<VendorKind> {
    kind_of(&header_labels(head))
}

/// Which file of a Mailchimp export ZIP a header belongs to: `UNSUB_TIME` → unsubscribed, `CLEAN_TIME` →
/// cleaned, neither → subscribed (Mailchimp writes those columns only into those files).
///
/// ```
/// # use rekindle_core::import::contacts::{mailchimp_status, MailchimpStatus};
/// let head = b"Email Address,First Name,UNSUB_TIME,UNSUB_CAMPAIGN_TITLE,LEID\n";
/// assert_eq!(mailchimp_status(head), MailchimpStatus::Unsubscribed);
/// ```
pub fn mailchimp_status(head: &[u8]) -> MailchimpStatus {
    status_of(&header_labels(head))
}

fn header_labels(head: &[u8]) -> Vec<String> {
    let head = head.strip_prefix(b"\xEF\xBB\xBF".as_slice()).unwrap_or(head);
    split_line(head.get(..header_end(head).unwrap_or(head.len())).unwrap_or(head))
}

/// The vendor whose identifying columns `labels` has, as [`detect`] says.
pub(super) fn kind_of(labels: &[String]) -> Option<VendorKind> {
    let has = |want: &str| labels.iter().any(|l| l.eq_ignore_ascii_case(want));
    if has("Email Address") && has("LEID") {
        Some(VendorKind::Mailchimp)
    } else if has("Record ID") || has("Contact ID") {
        Some(VendorKind::Hubspot)
    } else if has("Klaviyo ID") || has("$email") {
        Some(VendorKind::Klaviyo)
    } else {
        None
    }
}

/// The Mailchimp file `labels` belong to, as [`mailchimp_status`] says.
pub(super) fn status_of(labels: &[String]) -> MailchimpStatus {
    let has = |want: &str| labels.iter().any(|l| l.eq_ignore_ascii_case(want));
    if has("UNSUB_TIME") {
        MailchimpStatus::Unsubscribed
    } else if has("CLEAN_TIME") {
        MailchimpStatus::Cleaned
    } else {
        MailchimpStatus::Subscribed
    }
}

impl VendorKind {
    /// The vendor's name in messages.
    pub fn name(self) -> &'static str {
        match self {
            VendorKind::Mailchimp => "Mailchimp",
            VendorKind::Hubspot => "HubSpot",
            VendorKind::Klaviyo => "Klaviyo",
        }
    }

    /// The column that named it (for messages).
    fn evidence(self) -> &'static str {
        match self {
            VendorKind::Mailchimp => "\"Email Address\" and \"LEID\"",
            VendorKind::Hubspot => "\"Record ID\"",
            VendorKind::Klaviyo => "\"Klaviyo ID\"",
        }
    }

    /// Why a file whose header is `self`'s cannot be read as `asked`'s: its columns would be mapped wrongly (a
    /// HubSpot unsubscribe flag read as Klaviyo's is no unsubscribe).
    pub(super) fn mismatch(self, asked: VendorKind) -> String {
        format!(
            "this header is a {} export's (it has {}), not {}'s: its status columns would be misread; read it as {} \
             (CLI: --contacts-format {}, or leave the format out to detect it)",
            self.name(),
            self.evidence(),
            asked.name(),
            self.name(),
            self.name().to_ascii_lowercase()
        )
    }
}

/// The end of the header line: the first `\n` or `\r` outside quotes (a lone CR ends lines in old Mac exports:
/// waiting for an LF would read such a file whole as its header, and refuse it past 1 MiB).
pub(super) fn header_end(bytes: &[u8]) -> Option<usize> {
    let mut quoted = false;
    bytes.iter().position(|&b| {
        if b == b'"' {
            quoted = !quoted;
        }
        matches!(b, b'\n' | b'\r') && !quoted
    })
}

/// The delimiter of a CSV file starting with `head` (at least its header line; a UTF-8 byte-order mark is
/// skipped): the most frequent of `,` `;` tab outside quotes in the header line (ties and none: `,`). Excel
/// writes `;` where the decimal separator is a comma, and "Unicode text" exports use tabs.
///
/// ```
/// # use rekindle_core::import::contacts::header_delimiter;
/// assert_eq!(header_delimiter(b"\xEF\xBB\xBFid;email;\"a,b\"\n1;x@y.z;3\n"), b';');
/// assert_eq!(header_delimiter(b"email\n"), b',');
/// ```
pub fn header_delimiter(head: &[u8]) -> u8 {
    let head = head.strip_prefix(b"\xEF\xBB\xBF".as_slice()).unwrap_or(head);
    delimiter(head.get(..header_end(head).unwrap_or(head.len())).unwrap_or(head))
}

/// The most frequent of `,` `;` tab outside quotes (ties and none: `,`).
pub(super) fn delimiter(line: &[u8]) -> u8 {
    let mut counts = [(b',', 0usize), (b';', 0), (b'\t', 0)];
    let mut quoted = false;
    for &b in line {
        if b == b'"' {
            quoted = !quoted;
        } else if !quoted {
            for (d, n) in &mut counts {
                if *d == b {
                    *n += 1;
                }
            }
        }
    }
    counts.iter().fold((b',', 0), |best, &(d, n)| if n > best.1 { (d, n) } else { best }).0
}

/// The fields of one header line (for [`detect`]).
fn split_line(line: &[u8]) -> Vec<String> {
    let mut reader = ReaderBuilder::new().delimiter(delimiter(line)).build();
    let mut fields = Vec::new();
    // A terminated line, so every field ends within one call (csv-core writes a field's bytes as it goes).
    let terminated = [line, b"\n"].concat();
    let mut input = terminated.as_slice();
    let mut field = alloc::vec![0u8; terminated.len()];
    loop {
        let (res, nin, nout) = reader.read_field(input, &mut field);
        input = input.get(nin..).unwrap_or_default();
        let bytes = field.get(..nout).unwrap_or_default();
        match res {
            csv_core::ReadFieldResult::Field { record_end } => {
                fields.push(String::from(decode_field(bytes).0.trim()));
                if record_end {
                    return fields;
                }
            }
            csv_core::ReadFieldResult::InputEmpty => {}
            csv_core::ReadFieldResult::OutputFull | csv_core::ReadFieldResult::End => return fields,
        }
    }
}
