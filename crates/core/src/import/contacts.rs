//! Vendor contact exports in, contact records out: Mailchimp audience CSVs, HubSpot contact CSVs and Klaviyo
//! profile CSVs (formats.md §2), decoded by a pure, streaming state machine: feed the file's bytes chunk by
//! chunk ([`ContactDecoder::feed`]), then [`ContactDecoder::finish`]; each call appends what it completed to a
//! [`ContactBatch`]. Memory holds one record at a time, whatever the file size.
//!
//! Bytes: a UTF-8 BOM is stripped; UTF-16 (a UTF-16 BOM, or NUL bytes in the header line) is refused as a
//! whole ([`Error::InvalidImport`], "save the export as CSV UTF-8"); a field that is not valid UTF-8 is read as
//! Windows-1252 (the Latin-1 superset Excel writes), said once per file in a `decoded_as_windows_1252` warning.
//! The delimiter is the most frequent of `,` `;` and tab outside quotes in the header line (ties: `,`). Quoted
//! fields may hold delimiters, doubled quotes and newlines; a record's line is the line it starts on, lines ending
//! at LF, CRLF or a lone CR (old Mac exports, a CR inside a quoted field) alike.
//!
//! Records: the email is trimmed, lower-cased and checked (D22); the vendor's record id and creation date are
//! read; every other non-empty cell becomes a profile field named by the snake_case of its header (`First
//! Name` → `first_name`; a label with no letter or digit → `column_<n>`; a name an earlier column already
//! fills → `<name>_<n>`, with a `duplicate_field` warning), a number when the whole cell is one a double holds
//! exactly ([`cell_value`]), an RFC 3339 string when the column is a known date; and the vendor's status columns
//! become events (unsubscribe, hard bounce, consent) folded with the contact. The mapping per vendor: [`mailchimp`], [`hubspot`], [`klaviyo`]. What lives outside the rows — the
//! Mailchimp file's role, HubSpot's label language — is an explicit input ([`Vendor`]), never guessed.
//!
//! Problems are data: a row that cannot be used is an `Err(RowDiagnostic)` in [`ContactBatch::rows`] with its
//! line and column (`contacts.csv:12:3`), and the file goes on. Row codes (stable): `column_count`,
//! `unclosed_quote` (a row spanning lines whose quote is still open at the end of the file, or whose column count
//! is wrong: it and every line it swallowed),
//! `missing_email`, `invalid_email`, `redacted_email`, `bad_timestamp`, `missing_field`. Warning codes:
//! `decoded_as_windows_1252`, `unknown_value`, `bad_timestamp` (an informational date kept as text),
//! `duplicate_field` (at the header: a column kept under another name).
//!
//! Vendor dates carry no zone; they are read as **UTC**: `YYYY-MM-DD HH:MM[:SS]`, `YYYY-MM-DD`, RFC 3339,
//! `M/D/YYYY[ h:mm[ AM|PM]]` (HubSpot's English exports), and 12–13 digit epoch milliseconds (HubSpot's
//! internal values).

mod head;
pub mod hubspot;
pub mod klaviyo;
pub mod mailchimp;
#[cfg(test)]
mod tests;
mod text;

use head::{delimiter, header_end};
pub use head::{detect, header_delimiter, mailchimp_status, utf16, VendorKind};

use alloc::format;
use alloc::string::String;
use alloc::vec::Vec;

use csv_core::{ReadRecordResult, Reader, ReaderBuilder};

pub use hubspot::HubspotLabels;
pub use mailchimp::MailchimpStatus;
pub use text::decode_field;

use super::record::{email, Fnv};
use super::Diagnostic;
use crate::event::{Event, EventKind, Scalar};
use crate::time::{quote, Timestamp};
use crate::vecmap::VecMap;
use crate::Error;
use text::{rfc3339, snake_case, vendor_time};

/// The `decoded_as_windows_1252` warning, said once per file at the first field that is not UTF-8.
pub const WINDOWS_1252: &str = "not UTF-8: read as Windows-1252 (Latin-1) from here on where a field is not UTF-8; \
                                save the export as \"CSV UTF-8\" to be sure";

/// A record larger than this (an unterminated quote swallowing the file) makes the file unusable.
const MAX_RECORD: usize = 4 << 20;
/// A header line longer than this is not a CSV header.
const MAX_HEADER: usize = 1 << 20;

/// One contact row, normalised.
#[derive(Debug, Clone, PartialEq)]
pub struct ContactRecord {
    /// 1-based line where the row starts.
    pub line: u64,
    /// The email, trimmed and lower-cased (the dedup key, D22).
    pub email: String,
    /// The vendor's record id (Mailchimp `EUID`, HubSpot `Record ID`, Klaviyo `Klaviyo ID`).
    pub id: Option<String>,
    /// When the contact was created or opted in.
    pub created_at: Option<Timestamp>,
    /// Every other non-empty cell, as profile fields (snake_case names, in column order).
    pub fields: Vec<(String, Scalar)>,
    /// Status the export states, as events for this contact (`unsubscribe`, `email_bounce`, `consent`, …).
    pub events: Vec<Event>,
}

/// A problem placed in the file.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct RowDiagnostic {
    /// 1-based line (where the row starts).
    pub line: u64,
    /// 1-based field number, when one field is to blame.
    pub column: Option<u32>,
    /// That field's header.
    pub field: Option<String>,
    /// `at` = `<file>:<line>[:<column>]`, code and message.
    pub diagnostic: Diagnostic,
}

/// What one [`ContactDecoder::feed`] or [`ContactDecoder::finish`] call completed.
#[derive(Debug, Clone, PartialEq, Default)]
pub struct ContactBatch {
    /// Rows in file order: a record, or why the row was rejected.
    pub rows: Vec<Result<ContactRecord, RowDiagnostic>>,
    /// Notes about accepted rows or the whole file (the row is used).
    pub warnings: Vec<RowDiagnostic>,
}

/// Which export, with what the rows themselves do not say.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Vendor {
    /// A Mailchimp audience export file; its role (subscribed / unsubscribed / cleaned) is the file's, not a
    /// column's.
    Mailchimp(MailchimpStatus),
    /// A HubSpot contacts export with headers in the given language.
    Hubspot(alloc::boxed::Box<HubspotLabels>),
    /// A Klaviyo profiles export.
    Klaviyo,
}

impl Vendor {
    /// Which vendor, without what the rows do not say.
    pub fn kind(&self) -> VendorKind {
        match self {
            Vendor::Mailchimp(_) => VendorKind::Mailchimp,
            Vendor::Hubspot(_) => VendorKind::Hubspot,
            Vendor::Klaviyo => VendorKind::Klaviyo,
        }
    }
}

/// Decodes a whole export held in memory (tests, small files, the Worker).
///
/// # Errors
/// As [`ContactDecoder::feed`] and [`ContactDecoder::finish`].
pub fn decode(file: &str, vendor: Vendor, bytes: &[u8]) -> Result<ContactBatch, Error> {
    let mut decoder = ContactDecoder::new(file, vendor);
    let mut out = ContactBatch::default();
    decoder.feed(bytes, &mut out)?;
    decoder.finish(&mut out)?;
    Ok(out)
}

/// The header once read: labels as written and their snake_case field names.
#[derive(Debug, Clone)]
pub(crate) struct Header {
    pub(crate) labels: Vec<String>,
    pub(crate) names: Vec<String>,
}

impl Header {
    /// The column whose label is one of `wanted` (trimmed, any ASCII case), first match in `wanted` order.
    pub(crate) fn find(&self, wanted: &[&str]) -> Option<usize> {
        wanted.iter().find_map(|w| self.labels.iter().position(|l| l.eq_ignore_ascii_case(w)))
    }

    fn require(&self, file: &str, wanted: &[&str], vendor: &str) -> Result<usize, Error> {
        self.find(wanted).ok_or_else(|| {
            let shown: Vec<String> = self.labels.iter().take(8).map(|l| format!("\"{}\"", quote(l))).collect();
            Error::InvalidImport {
                at: format!("{file}:1"),
                reason: format!(
                    "no \"{}\" column in the header of this {vendor} export (got {}); check --contacts-format",
                    wanted.first().copied().unwrap_or_default(),
                    shown.join(", ")
                ),
            }
        })
    }
}

/// A vendor's columns that are no profile field (email, id, creation date), and those it names otherwise than
/// their label.
pub(crate) type Columns = (Vec<Option<usize>>, Vec<(Option<usize>, &'static str)>);

/// The per-vendor column plan, resolved once from the header.
#[derive(Debug)]
enum Layout {
    Mailchimp(mailchimp::Layout),
    Hubspot(hubspot::Layout),
    Klaviyo(klaviyo::Layout),
}

/// One data row being mapped: cells, place, and where warnings go.
pub(crate) struct Row<'a> {
    pub(crate) file: &'a str,
    pub(crate) line: u64,
    pub(crate) header: &'a Header,
    pub(crate) cells: &'a [String],
    pub(crate) warnings: &'a mut Vec<RowDiagnostic>,
    pub(crate) provider: &'static str,
}

impl<'a> Row<'a> {
    /// A cell, trimmed; `None` when the column is absent or the cell empty.
    pub(crate) fn cell(&self, column: Option<usize>) -> Option<&'a str> {
        column.and_then(|c| self.cells.get(c)).map(|s| s.trim()).filter(|s| !s.is_empty())
    }

    pub(crate) fn problem(&self, column: usize, code: &'static str, message: String) -> RowDiagnostic {
        let at = format!("{}:{}:{}", self.file, self.line, column + 1);
        RowDiagnostic {
            line: self.line,
            column: u32::try_from(column + 1).ok(),
            field: self.header.labels.get(column).cloned(),
            diagnostic: Diagnostic { at, code, message },
        }
    }

    pub(crate) fn warn(&mut self, column: usize, code: &'static str, message: String) {
        let d = self.problem(column, code, message);
        self.warnings.push(d);
    }

    /// The normalised email in `column`.
    pub(crate) fn email(&self, column: usize) -> Result<String, RowDiagnostic> {
        match self.cell(Some(column)) {
            None => Err(self.problem(column, "missing_email", "missing email".into())),
            Some(raw) => email(raw, "").map_err(|d| self.problem(column, d.code, d.message)),
        }
    }

    /// A vendor date in `column`: `Ok(None)` when empty, a `bad_timestamp` problem when unreadable.
    pub(crate) fn time(&self, column: Option<usize>) -> Result<Option<Timestamp>, RowDiagnostic> {
        let Some(text) = self.cell(column) else { return Ok(None) };
        match vendor_time(text) {
            Some(t) => Ok(Some(t)),
            None => Err(self.problem(column.unwrap_or(0), "bad_timestamp", bad_time(text))),
        }
    }

    /// Like [`Row::time`], but an unreadable informational date is a warning (the cell is kept as text).
    pub(crate) fn soft_time(&mut self, column: Option<usize>) -> Option<Timestamp> {
        match self.time(column) {
            Ok(t) => t,
            Err(d) => {
                self.warnings.push(d);
                None
            }
        }
    }

    /// Every non-empty cell not in `used` as a profile field named as [`field_names`] says; `dates` are stored as
    /// RFC 3339 when they parse.
    pub(crate) fn fields(&self, used: &[Option<usize>], dates: &[Option<usize>]) -> Vec<(String, Scalar)> {
        let mut out = Vec::new();
        for (i, name) in self.header.names.iter().enumerate() {
            if used.contains(&Some(i)) {
                continue;
            }
            let Some(text) = self.cell(Some(i)) else { continue };
            let value = match dates.contains(&Some(i)).then(|| vendor_time(text)).flatten() {
                Some(t) => Scalar::Str(rfc3339(t)),
                None => cell_value(text),
            };
            out.push((String::from(name), value));
        }
        out
    }

    /// A status event for `contact`, keyed `<provider>-export:<kind>:<FNV of the email>` so a re-import of
    /// the same export gives the same event id (and no email in the id).
    pub(crate) fn event(&self, kind: EventKind, at: Timestamp, contact: &str, props: &[(&str, Scalar)]) -> Event {
        let id = format!("{}-export:{kind}:{}", self.provider, Fnv::new().field(contact.as_bytes()).hex());
        let mut map = VecMap::new();
        map.insert(String::from("provider"), Some(Scalar::Str(self.provider.into())));
        for (k, v) in props {
            map.insert(String::from(*k), Some(v.clone()));
        }
        Event { at, kind, id, contact: contact.into(), machine: false, props: map }
    }
}

pub(crate) fn bad_time(text: &str) -> String {
    format!(
        "expected a date like \"2024-03-12 09:14:00\" or \"3/15/2024 2:30 PM\" (read as UTC), got \"{}\"",
        quote(text)
    )
}

pub(crate) fn text(s: &str) -> Scalar {
    Scalar::Str(s.into())
}

/// A cell as a profile value: a number when the whole cell is a plain decimal that a double holds exactly (`120`,
/// `-3.5`, `1e3`; at most 15 significant digits), else text exactly as written: `0042` and `-0042` are identifiers,
/// and a 20-digit id or phone number would come back with other digits as a number.
///
/// ```
/// # use rekindle_core::import::contacts::cell_value;
/// # use rekindle_core::Scalar;
/// assert_eq!(cell_value("-3.5"), Scalar::Num(-3.5));
/// assert_eq!(cell_value("12345678901234567890"), Scalar::Str("12345678901234567890".into()));
/// assert_eq!(cell_value("-0042"), Scalar::Str("-0042".into()));
/// ```
pub fn cell_value(cell: &str) -> Scalar {
    match exact_number(cell) {
        Some(n) => Scalar::Num(n),
        None => Scalar::Str(cell.into()),
    }
}

/// `cell` as a number when it is `-?(0|[1-9][0-9]*)(\.[0-9]+)?([eE][+-]?[0-9]+)?` with at most 15 significant
/// digits (any such decimal survives the trip through a double and back) and neither overflows nor underflows.
fn exact_number(cell: &str) -> Option<f64> {
    let unsigned = cell.strip_prefix('-').unwrap_or(cell);
    let (mantissa, exponent) = match unsigned.split_once(['e', 'E']) {
        Some((m, e)) => (m, Some(e.strip_prefix(['+', '-']).unwrap_or(e))),
        None => (unsigned, None),
    };
    let (int, frac) = match mantissa.split_once('.') {
        Some((i, f)) => (i, Some(f)),
        None => (mantissa, None),
    };
    let digits = |s: &str| !s.is_empty() && s.bytes().all(|b| b.is_ascii_digit());
    let shape =
        digits(int) && (int == "0" || !int.starts_with('0')) && frac.is_none_or(digits) && exponent.is_none_or(digits);
    let significant = int.bytes().chain(frac.unwrap_or_default().bytes()).skip_while(|b| *b == b'0').count();
    let zero = significant == 0;
    match cell.parse::<f64>() {
        Ok(n) if shape && significant <= 15 && n.is_finite() && (zero || n.is_normal()) => Some(n),
        _ => None,
    }
}

/// The streaming decoder of one export file.
#[derive(Debug)]
pub struct ContactDecoder {
    file: String,
    vendor: Vendor,
    /// Bytes before the header line is complete (then empty).
    head: Vec<u8>,
    reader: Option<Reader>,
    record: Vec<u8>,
    ends: Vec<usize>,
    nout: usize,
    nend: usize,
    /// Line ends (LF, CRLF or a lone CR) consumed so far.
    newlines: u64,
    /// The last byte consumed was a CR: an LF next ends the same line (a CRLF cut between two chunks).
    after_cr: bool,
    /// The line the record in progress started on.
    start: Option<u64>,
    /// `"` bytes in the record in progress: odd at the end of the file when its quote was never closed.
    quotes: u64,
    header: Option<Header>,
    layout: Option<Layout>,
    latin1_noted: bool,
    finished: bool,
}

impl ContactDecoder {
    /// A decoder for `file` (the name used in diagnostics) of the given vendor.
    pub fn new(file: &str, vendor: Vendor) -> ContactDecoder {
        ContactDecoder {
            file: file.into(),
            vendor,
            head: Vec::new(),
            reader: None,
            record: alloc::vec![0; 4096],
            ends: alloc::vec![0; 64],
            nout: 0,
            nend: 0,
            newlines: 0,
            after_cr: false,
            start: None,
            quotes: 0,
            header: None,
            layout: None,
            latin1_noted: false,
            finished: false,
        }
    }

    /// Feeds the next chunk of the file (any size, any boundary).
    ///
    /// # Errors
    /// [`Error::InvalidImport`] when the file is unusable as a whole: UTF-16, no header line within 1 MiB, a
    /// header without the vendor's email column, a record over 4 MiB (an unterminated quote).
    pub fn feed(&mut self, chunk: &[u8], out: &mut ContactBatch) -> Result<(), Error> {
        if chunk.is_empty() {
            return Ok(()); // csv-core reads an empty input as end of file: mid-file it must change nothing
        }
        if self.reader.is_none() {
            self.head.extend_from_slice(chunk);
            if header_end(&self.head).is_none() {
                if self.head.len() > MAX_HEADER {
                    return Err(self.unusable(1, "no header line within the first 1 MiB: not a CSV export".into()));
                }
                return Ok(());
            }
            let head = core::mem::take(&mut self.head);
            return self.start_body(&head, out);
        }
        self.consume(chunk, out)
    }

    /// Ends the input: decodes the last record (a file need not end with a newline).
    ///
    /// # Errors
    /// As [`ContactDecoder::feed`]; also an empty file or one with only a header is fine (no rows).
    pub fn finish(&mut self, out: &mut ContactBatch) -> Result<(), Error> {
        if self.finished {
            return Ok(());
        }
        if self.reader.is_none() {
            let head = core::mem::take(&mut self.head);
            if head.iter().all(u8::is_ascii_whitespace) {
                self.finished = true;
                return Err(self.unusable(1, "empty file: expected a header row and contact rows".into()));
            }
            self.start_body(&head, out)?;
        }
        self.finished = true;
        self.consume(&[], out)
    }

    fn unusable(&self, line: u64, reason: String) -> Error {
        Error::InvalidImport { at: format!("{}:{line}", self.file), reason }
    }

    /// Checks the encoding, picks the delimiter from the header line and feeds the buffered bytes.
    fn start_body(&mut self, head: &[u8], out: &mut ContactBatch) -> Result<(), Error> {
        if let Some(why) = utf16(head) {
            return Err(self.unusable(1, why.into()));
        }
        let body = head.strip_prefix(b"\xEF\xBB\xBF".as_slice()).unwrap_or(head);
        let line = body.get(..header_end(body).unwrap_or(body.len())).unwrap_or(body);
        let mut builder = ReaderBuilder::new();
        builder.delimiter(delimiter(line));
        self.reader = Some(builder.build());
        self.consume(body, out)
    }

    /// Runs csv-core over `input`; an empty `input` means the end of the file.
    fn consume(&mut self, mut input: &[u8], out: &mut ContactBatch) -> Result<(), Error> {
        let at_end = input.is_empty();
        loop {
            let Some(reader) = self.reader.as_mut() else { return Ok(()) };
            let (res, nin, nout, nend) = reader.read_record(
                input,
                self.record.get_mut(self.nout..).unwrap_or_default(),
                self.ends.get_mut(self.nend..).unwrap_or_default(),
            );
            let (used, rest) = input.split_at(nin.min(input.len()));
            self.track_lines(used);
            input = rest;
            self.nout += nout;
            self.nend += nend;
            match res {
                ReadRecordResult::InputEmpty => {
                    if input.is_empty() && !at_end {
                        return Ok(());
                    }
                }
                ReadRecordResult::OutputFull => {
                    if self.record.len() >= MAX_RECORD {
                        let line = self.start.unwrap_or(self.newlines + 1);
                        return Err(self.unusable(
                            line,
                            "a record longer than 4 MiB: probably an unterminated quote starting here".into(),
                        ));
                    }
                    let len = self.record.len() * 2;
                    self.record.resize(len, 0);
                }
                ReadRecordResult::OutputEndsFull => {
                    let len = self.ends.len() * 2;
                    self.ends.resize(len, 0);
                }
                ReadRecordResult::Record => {
                    self.complete(out, at_end)?;
                    if input.is_empty() && !at_end {
                        return Ok(());
                    }
                }
                ReadRecordResult::End => return Ok(()),
            }
        }
    }

    /// Counts line ends and notes where the next record starts (its first byte that is not a line end).
    fn track_lines(&mut self, used: &[u8]) {
        for &b in used {
            if self.start.is_none() && b != b'\n' && b != b'\r' {
                self.start = Some(self.newlines + 1);
            }
            self.newlines += u64::from(line_end(b, &mut self.after_cr));
            self.quotes += u64::from(b == b'"');
        }
    }

    /// One record is in `record[..nout]` with `ends[..nend]`: the header, or a row to map.
    /// `at_end`: the input has ended (a quote still open then was never closed).
    fn complete(&mut self, out: &mut ContactBatch, at_end: bool) -> Result<(), Error> {
        let line = self.start.take().unwrap_or(self.newlines.max(1));
        let open_at_end = at_end && self.quotes % 2 == 1;
        self.quotes = 0;
        let mut cells = Vec::with_capacity(self.nend);
        let mut from = 0;
        let mut latin1 = false;
        for &end in self.ends.get(..self.nend).unwrap_or_default() {
            let bytes = self.record.get(from..end).unwrap_or_default();
            let (cell, was_latin1) = decode_field(bytes);
            latin1 |= was_latin1;
            cells.push(cell);
            from = end;
        }
        // Line breaks inside the record's fields: a row whose column count is wrong and that spans lines is a quote
        // never closed, which swallowed the lines after it (up to the end of the file: its last line end is not a
        // line of its own).
        let bytes = self.record.get(..self.nout).unwrap_or_default();
        let bytes = bytes.strip_suffix(b"\n").unwrap_or(bytes);
        let bytes = bytes.strip_suffix(b"\r").unwrap_or(bytes);
        let mut after_cr = false;
        let spanned = bytes.iter().filter(|b| line_end(**b, &mut after_cr)).count();
        self.nout = 0;
        self.nend = 0;
        if latin1 && !self.latin1_noted {
            self.latin1_noted = true;
            let message = WINDOWS_1252.into();
            let at = format!("{}:{line}", self.file);
            out.warnings.push(RowDiagnostic {
                line,
                column: None,
                field: None,
                diagnostic: Diagnostic { at, code: "decoded_as_windows_1252", message },
            });
        }
        let Some(header) = self.header.as_ref() else {
            let labels: Vec<String> = cells.iter().map(|c| String::from(c.trim())).collect();
            let mut header = Header { labels, names: Vec::new() };
            let layout = self.layout_for(&header)?;
            let (used, renamed) = match &layout {
                Layout::Mailchimp(l) => l.columns(),
                Layout::Hubspot(l) => l.columns(),
                Layout::Klaviyo(l) => l.columns(),
            };
            header.names = field_names(&self.file, line, &header.labels, &used, &renamed, &mut out.warnings);
            self.layout = Some(layout);
            self.header = Some(header);
            return Ok(());
        };
        if cells.len() == 1 && cells.first().is_some_and(|c| c.trim().is_empty()) {
            return Ok(()); // a line of spaces
        }
        if cells.len() != header.labels.len() || (spanned > 0 && open_at_end) {
            let (expected, got) = (header.labels.len(), cells.len());
            let reject = |line: u64, code: &'static str, message: String| {
                let at = format!("{}:{line}", self.file);
                Err(RowDiagnostic { line, column: None, field: None, diagnostic: Diagnostic { at, code, message } })
            };
            if spanned == 0 {
                let message = format!("expected {expected} columns like the header, got {got}");
                out.rows.push(reject(line, "column_count", message));
                return Ok(());
            }
            let last = line + spanned as u64;
            let message = unclosed_quote(line, last, expected, got);
            out.rows.push(reject(line, "unclosed_quote", message));
            for swallowed in line + 1..=last {
                let message = format!("read into the row of line {line}, whose quote is never closed (see there)");
                out.rows.push(reject(swallowed, "unclosed_quote", message));
            }
            return Ok(());
        }
        let provider = match self.vendor {
            Vendor::Mailchimp(_) => "mailchimp",
            Vendor::Hubspot(_) => "hubspot",
            Vendor::Klaviyo => "klaviyo",
        };
        let mut row = Row { file: &self.file, line, header, cells: &cells, warnings: &mut out.warnings, provider };
        let result = match self.layout.as_ref() {
            Some(Layout::Mailchimp(l)) => l.row(&mut row),
            Some(Layout::Hubspot(l)) => l.row(&mut row),
            Some(Layout::Klaviyo(l)) => l.row(&mut row),
            None => return Ok(()),
        };
        out.rows.push(result);
        Ok(())
    }

    fn layout_for(&self, header: &Header) -> Result<Layout, Error> {
        if let Some(named) = head::kind_of(&header.labels).filter(|k| *k != self.vendor.kind()) {
            return Err(self.unusable(1, named.mismatch(self.vendor.kind())));
        }
        Ok(match &self.vendor {
            Vendor::Mailchimp(status) => Layout::Mailchimp(mailchimp::Layout::new(header, *status, &self.file)?),
            Vendor::Hubspot(labels) => Layout::Hubspot(hubspot::Layout::new(header, labels, &self.file)?),
            Vendor::Klaviyo => Layout::Klaviyo(klaviyo::Layout::new(header, &self.file)?),
        })
    }
}

/// The profile field name of each column: the snake_case of its label, the vendor's own name for a column it
/// renames (`renamed`), `column_<n>` for a label with no letter or digit (an empty header cell over filled cells:
/// dropping them would lose data). A field column (not in `used`) whose name an earlier field column already has
/// gets `<name>_<n>` and a `duplicate_field` warning at the header: two fields of one name would leave the
/// profile one of the two values.
fn field_names(
    file: &str,
    line: u64,
    labels: &[String],
    used: &[Option<usize>],
    renamed: &[(Option<usize>, &str)],
    warnings: &mut Vec<RowDiagnostic>,
) -> Vec<String> {
    let mut names: Vec<String> = Vec::with_capacity(labels.len());
    for (i, label) in labels.iter().enumerate() {
        let mut name = match renamed.iter().find(|(c, _)| *c == Some(i)) {
            Some((_, n)) => String::from(*n),
            None => snake_case(label),
        };
        if name.is_empty() {
            name = format!("column_{}", i + 1);
        }
        let field = |j: usize| !used.contains(&Some(j));
        let taken = |n: &str, names: &[String]| names.iter().enumerate().position(|(j, m)| field(j) && m == n);
        if let Some(first) = taken(&name, &names).filter(|_| field(i)) {
            let mut kept = format!("{name}_{}", i + 1);
            while taken(&kept, &names).is_some() {
                kept = format!("{kept}_{}", i + 1);
            }
            let other = labels.get(first).map_or("", String::as_str);
            let message = format!(
                "column {} \"{}\" would fill the profile field `{name}`, which column {} \"{}\" fills: kept as `{kept}`",
                i + 1,
                quote(label),
                first + 1,
                quote(other)
            );
            warnings.push(RowDiagnostic {
                line,
                column: u32::try_from(i + 1).ok(),
                field: Some(label.clone()),
                diagnostic: Diagnostic { at: format!("{file}:{line}:{}", i + 1), code: "duplicate_field", message },
            });
            name = kept;
        }
        names.push(name);
    }
    names
}

/// Whether byte `b` ends a line: every CR, and an LF not right after one (`after_cr` carries that across calls,
/// so a CRLF cut between two chunks is one line end).
fn line_end(b: u8, after_cr: &mut bool) -> bool {
    let end = b == b'\r' || (b == b'\n' && !*after_cr);
    *after_cr = b == b'\r';
    end
}

/// Why a row that spans lines `first..=last` is rejected: a quote that opens a field and is never closed reads
/// every line after it into that field, to the end of the file (or the next stray quote: then the row has `got`
/// columns instead of `expected`). Each of the lines gets its own rejection, so the summary counts them and
/// `rejects.csv` lists them.
pub fn unclosed_quote(first: u64, last: u64, expected: usize, got: usize) -> String {
    let lines = last - first + 1;
    let read = match got == expected {
        true => format!("lines {first}–{last} ({lines} lines, to the end of the file) were read into one field"),
        false => {
            format!("lines {first}–{last} ({lines} lines) were read as one row of {got} columns instead of {expected}")
        }
    };
    format!("a quote in this row is never closed: {read}, so all are rejected; write a quote inside a field as two (\"\"), or close it")
}
