//! What the start of a contacts file says before any row is read: its encoding (UTF-16 is refused) and the
//! vendor its header names.

use super::{header_end, split_line};

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
    let head = head.strip_prefix(b"\xEF\xBB\xBF".as_slice()).unwrap_or(head);
    let line = head.get(..header_end(head).unwrap_or(head.len())).unwrap_or(head);
    let labels = split_line(line);
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
