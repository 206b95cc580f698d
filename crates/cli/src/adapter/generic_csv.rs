//! The generic contacts CSV: a header row (`,` `;` or tab between fields, as the vendor readers detect it); an `email` column (required, header matched case-insensitively), an
//! optional `id` and `created_at` (RFC 3339 or epoch ms); every other column is a profile field. The playbook's
//! `contacts.columns` names other headers for these and renames columns as profile fields (core's
//! `ContactColumns`). Cells that are not UTF-8 are read as Windows-1252 (one `decoded_as_windows_1252` warning), as
//! the vendor readers read them. Streamed row by row; a bad row is a diagnostic with its line and column, and the file goes on;
//! a quote never closed rejects its row and each line it swallowed (`unclosed_quote`), as the vendor readers do.
//! A row's line is the line its first byte is on, LF, CRLF and a lone CR (Excel for Mac) each ending a line and
//! blank lines before it counted, as the vendor readers count them.

use std::collections::VecDeque;
use std::fs::File;
use std::io::{BufRead, BufReader, Read};
use std::path::Path;

use std::borrow::Cow;

use rekindle_core::import::contacts::{self, decode_field};
use rekindle_core::playbook::contacts::{Column, ContactColumns};
use rekindle_core::Timestamp;

use super::{cell_value, normalise_email, parse_instant, ContactRecord, ContactSource};
use crate::diagnostic::{quote, Diagnostic};
use crate::error::CliError;

/// A generic contacts CSV being read.
pub struct GenericCsv {
    name: String,
    path: std::path::PathBuf,
    reader: csv::Reader<LineEnds<BufReader<File>>>,
    headers: Vec<String>,
    email: usize,
    id: Option<usize>,
    created_at: Option<usize>,
    /// Each column's profile field (the header, or the playbook's name for it); empty for the contact's own.
    fields: Vec<String>,
    /// Mapped headers the file does not have (reported once).
    warnings: Vec<Diagnostic>,
    record: csv::ByteRecord,
    /// Whether a field was read as Windows-1252 yet (said once per file, as the vendor readers do).
    latin1_noted: bool,
    /// Rejections still to hand out: the lines a quote never closed swallowed.
    swallowed: std::collections::VecDeque<Diagnostic>,
}

/// The column after `at` whose header is `at`'s, in any letter case (headers match case-insensitively).
fn twice(headers: &[String], at: usize) -> Option<usize> {
    let header = headers.get(at)?;
    headers.iter().skip(at + 1).position(|h| h.eq_ignore_ascii_case(header)).map(|n| at + 1 + n)
}

/// The first two columns that fill the same (non-empty) profile field.
fn same_field(fields: &[String]) -> Option<(usize, usize)> {
    fields
        .iter()
        .enumerate()
        .filter(|(_, f)| !f.is_empty())
        .find_map(|(i, f)| fields.iter().skip(i + 1).position(|g| g == f).map(|n| (i, i + 1 + n)))
}

impl GenericCsv {
    /// Opens the file and reads its header. No email column, or no column the playbook names, makes the whole
    /// file unusable (exit 3).
    pub fn open(path: &Path, columns: &ContactColumns) -> Result<GenericCsv, CliError> {
        let name = path.display().to_string();
        let mut file = BufReader::new(crate::output::open(path)?);
        // UTF-16 (a spreadsheet's "Unicode text") is refused as the vendor exports refuse it, not reported as a
        // CSV that is not UTF-8 at byte 0.
        let head = file.fill_buf().map_err(|source| CliError::Io { path: path.to_path_buf(), source })?;
        if let Some(why) = rekindle_core::import::contacts::utf16(head) {
            return Err(CliError::Unusable { file: path.to_path_buf(), line: 1, reason: why.into() });
        }
        let delimiter = rekindle_core::import::contacts::header_delimiter(head);
        let file = LineEnds::new(file);
        let mut reader = csv::ReaderBuilder::new().flexible(true).delimiter(delimiter).from_reader(file);
        let headers: Vec<String> = match reader.byte_headers() {
            Ok(h) => h.iter().map(|h| decode_field(h).0.trim().trim_start_matches('\u{feff}').to_string()).collect(),
            Err(e) => return Err(csv_error(&name, e)),
        };
        if headers.iter().all(String::is_empty) {
            let reason = "empty: no header row; the generic CSV needs one with an `email` column".to_string();
            return Err(CliError::Unusable { file: path.to_path_buf(), line: 1, reason });
        }
        let find = |wanted: &str| headers.iter().position(|h| h.eq_ignore_ascii_case(wanted));
        let shown = || headers.iter().take(8).map(|h| format!("\"{}\"", quote(h))).collect::<Vec<_>>().join(", ");
        let unusable = |reason: String| CliError::Unusable { file: path.to_path_buf(), line: 1, reason };
        let Some(email) = find(&columns.email.header) else {
            return Err(unusable(match columns.email.named {
                true => format!(
                    "no \"{}\" column (the playbook's contacts.columns.email) in the header (got {})",
                    quote(&columns.email.header),
                    shown()
                ),
                false => format!(
                    "no `email` column in the header (got {}); the generic CSV needs one, any letter case, or name \
                     yours in the playbook's contacts.columns.email",
                    shown()
                ),
            }));
        };
        // Two columns of that name (two exports pasted side by side, `Email` beside `email`): which one holds the
        // contact's address would be a guess, and a wrong guess mails, suppresses or erases someone else.
        if let Some(again) = twice(&headers, email) {
            return Err(unusable(format!(
                "the header has the email column \"{}\" twice (columns {} and {}): which holds the contact's address \
                 is a guess; keep one, or name the other in the playbook's contacts.columns",
                quote(&columns.email.header),
                email + 1,
                again + 1
            )));
        }
        // A column the playbook names must be there; a default one may be absent (and is never the email column).
        let own = |column: &Column, key: &str| -> Result<Option<usize>, CliError> {
            match (find(&column.header).filter(|i| *i != email), column.named) {
                (None, true) => Err(unusable(format!(
                    "no \"{}\" column (the playbook's contacts.columns.{key}) in the header (got {})",
                    quote(&column.header),
                    shown()
                ))),
                (found, _) => Ok(found),
            }
        };
        let id = own(&columns.id, "id")?;
        let created_at = own(&columns.created_at, "created_at")?.filter(|i| Some(*i) != id);
        // The record id or creation date twice: which one is the contact's is as much a guess as two email columns.
        for (key, first) in [("id", id), ("created_at", created_at)] {
            if let Some((first, again)) = first.and_then(|i| Some((i, twice(&headers, i)?))) {
                return Err(unusable(format!(
                    "the header has the {key} column \"{}\" twice (columns {} and {}): which holds the contact's \
                     {key} is a guess; keep one, or name the other in the playbook's contacts.columns",
                    quote(headers.get(first).map_or("", String::as_str)),
                    first + 1,
                    again + 1
                )));
            }
        }
        let fields: Vec<String> = headers
            .iter()
            .enumerate()
            .map(|(i, h)| match [Some(email), id, created_at].contains(&Some(i)) {
                true => String::new(),
                false => columns.field_for(h).to_string(),
            })
            .collect();
        // Two columns filling one profile field (`company` twice, two exports pasted side by side, or a header the
        // playbook maps onto another's field): the later cell silently won, and which is right is a guess.
        if let Some((first, again)) = same_field(&fields) {
            let header = |i: usize| headers.get(i).map_or("", String::as_str);
            let (a, b, field) = (header(first), header(again), fields.get(first).map_or("", String::as_str));
            let place = match a == b {
                true => format!(
                    "the header has the column \"{}\" twice (columns {} and {})",
                    quote(a),
                    first + 1,
                    again + 1
                ),
                false => format!(
                    "columns {} \"{}\" and {} \"{}\" both fill the profile field `{}` (contacts.columns.fields)",
                    first + 1,
                    quote(a),
                    again + 1,
                    quote(b),
                    quote(field)
                ),
            };
            return Err(unusable(format!(
                "{place}: which holds the contact's `{}` is a guess; keep one, or map one to another field in the \
                 playbook's contacts.columns.fields",
                quote(field)
            )));
        }
        let warnings = columns
            .renamed()
            .filter(|(h, _)| find(h).is_none())
            .map(|(h, f)| {
                let msg = format!(
                    "the playbook maps \"{}\" to `{f}` (contacts.columns.fields), but the header has no such column",
                    quote(h)
                );
                Diagnostic::warning(&name, 1, "mapped_column_missing", msg)
            })
            .collect();
        Ok(GenericCsv {
            name,
            path: path.to_path_buf(),
            reader,
            headers,
            email,
            id,
            created_at,
            fields,
            warnings,
            record: csv::ByteRecord::new(),
            latin1_noted: false,
            swallowed: std::collections::VecDeque::new(),
        })
    }

    fn row(&mut self, line: u64) -> Result<ContactRecord, Diagnostic> {
        let r = &self.record;
        // Line breaks inside its fields (up to the end of the file, whose last line end is no line of its own).
        let trailing = usize::from(r.iter().next_back().is_some_and(|f| f.ends_with(b"\n") || f.ends_with(b"\r")));
        let spanned = r.iter().map(line_ends).sum::<usize>().saturating_sub(trailing);
        // A row spanning lines with the wrong column count, or still inside a quote at the end of the file, is a quote
        // never closed, which read the lines after it into this row (as the vendor exports' reader says).
        if r.len() != self.headers.len() || (spanned > 0 && self.open_at_end()) {
            let (expected, got) = (self.headers.len(), r.len());
            if spanned == 0 {
                let msg = format!("expected {expected} columns like the header, got {got}");
                return Err(Diagnostic::reject(&self.name, line, "column_count", msg));
            }
            let last = line + spanned as u64;
            for swallowed in line + 1..=last {
                let msg = format!("read into the row of line {line}, whose quote is never closed (see there)");
                self.swallowed.push_back(Diagnostic::reject(&self.name, swallowed, "unclosed_quote", msg));
            }
            let msg = rekindle_core::import::contacts::unclosed_quote(line, last, expected, got);
            return Err(Diagnostic::reject(&self.name, line, "unclosed_quote", msg));
        }
        // UTF-8 cells are borrowed; one that is not is read as Windows-1252 (Excel's CSV on Windows), said once.
        let latin1 = !self.latin1_noted && r.iter().any(|f| std::str::from_utf8(f).is_err());
        if latin1 {
            self.latin1_noted = true;
            let w = Diagnostic::warning(&self.name, line, "decoded_as_windows_1252", contacts::WINDOWS_1252);
            self.warnings.push(w);
        }
        let r = &self.record;
        let cell = |i: usize| -> Cow<'_, str> {
            match r.get(i).map(std::str::from_utf8) {
                None => Cow::Borrowed(""),
                Some(Ok(text)) => Cow::Borrowed(text.trim()),
                Some(Err(_)) => Cow::Owned(decode_field(r.get(i).unwrap_or_default()).0.trim().to_string()),
            }
        };
        let place = |i: usize| (Some(i as u64 + 1), self.headers.get(i).cloned());
        let email = normalise_email(&cell(self.email)).map_err(|msg| {
            let code = if cell(self.email).is_empty() { "missing_email" } else { "invalid_email" };
            let (column, field) = place(self.email);
            Diagnostic::reject(&self.name, line, code, msg).at(column, field)
        })?;
        let created_at: Option<Timestamp> = match self.created_at.map(cell).filter(|c| !c.is_empty()) {
            None => None,
            Some(text) => Some(parse_instant(&text, "created_at").map_err(|_| {
                let (column, field) = place(self.created_at.unwrap_or(0));
                let msg = format!("bad created_at \"{}\": expected RFC 3339 or epoch milliseconds", quote(&text));
                Diagnostic::reject(&self.name, line, "bad_created_at", msg).at(column, field)
            })?),
        };
        let id = self.id.map(cell).filter(|c| !c.is_empty()).map(Cow::into_owned);
        let fields = (0..r.len())
            .filter_map(|i| {
                let c = cell(i);
                let field = self.fields.get(i)?;
                (!c.is_empty() && !field.is_empty()).then(|| (field.clone(), cell_value(&c)))
            })
            .collect();
        Ok(ContactRecord { line, email, id, created_at, fields, events: Vec::new() })
    }
}

impl GenericCsv {
    /// Whether the record just read ran to the end of the file inside a quote: its raw bytes hold an odd number of
    /// `"` (the csv reader closes such a field at the end without saying so). Read again from the record's start,
    /// only for a last record that spans lines.
    fn open_at_end(&self) -> bool {
        use std::io::{Read, Seek, SeekFrom};
        let Some(start) = self.record.position().map(csv::Position::byte) else { return false };
        let Ok(mut file) = std::fs::File::open(&self.path) else { return false };
        let at_end = file.metadata().is_ok_and(|m| self.reader.position().byte() >= m.len());
        if !at_end {
            return false;
        }
        let mut raw = Vec::new();
        if file.seek(SeekFrom::Start(start)).and_then(|_| file.read_to_end(&mut raw)).is_err() {
            return false;
        }
        raw.iter().filter(|b| **b == b'"').count() % 2 == 1
    }
}

impl ContactSource for GenericCsv {
    fn name(&self) -> &str {
        &self.name
    }

    fn take_warnings(&mut self) -> Vec<Diagnostic> {
        std::mem::take(&mut self.warnings)
    }

    fn columns(&self) -> Vec<(String, String)> {
        let named = self.headers.iter().zip(&self.fields).filter(|(_, f)| !f.is_empty());
        named.map(|(h, f)| (h.clone(), f.clone())).collect()
    }

    fn next_record(&mut self) -> Result<Option<Result<ContactRecord, Diagnostic>>, CliError> {
        if let Some(d) = self.swallowed.pop_front() {
            return Ok(Some(Err(d)));
        }
        let mut record = std::mem::take(&mut self.record);
        let read = self.reader.read_byte_record(&mut record);
        self.record = record;
        match read {
            Ok(false) => Ok(None),
            Ok(true) => {
                let byte = self.record.position().map_or(0, csv::Position::byte);
                let line = self.reader.get_mut().line(byte);
                Ok(Some(self.row(line)))
            }
            Err(e) => Err(csv_error(&self.name, e)),
        }
    }
}

/// Line ends in `bytes`: every CR, and every LF not right after one (LF, CRLF and a lone CR each end a line).
fn line_ends(bytes: &[u8]) -> usize {
    let mut after_cr = false;
    bytes
        .iter()
        .filter(|&&b| {
            let end = b == b'\r' || (b == b'\n' && !after_cr);
            after_cr = b == b'\r';
            end
        })
        .count()
}

/// The file as the csv reader reads it, noting where its line ends are, so a record is named by the line its first
/// byte is on. The csv reader's own line count is not that: it counts LFs only (a lone CR, Excel for Mac's line end,
/// is no line to it), and a record's position is where the blank lines before it start.
struct LineEnds<R> {
    inner: R,
    /// Bytes read so far.
    offset: u64,
    /// The last byte read was a CR (an LF next is the same line end).
    after_cr: bool,
    /// CR and LF bytes at or after the record last asked about: offset, and whether it ends a line (an LF after a
    /// CR does not).
    ends: VecDeque<(u64, bool)>,
    /// Line ends before the record last asked about.
    before: u64,
}

impl<R> LineEnds<R> {
    fn new(inner: R) -> LineEnds<R> {
        LineEnds { inner, offset: 0, after_cr: false, ends: VecDeque::new(), before: 0 }
    }

    /// The 1-based line of the first byte at or after `at` that is not a line end (records are asked about in
    /// file order).
    fn line(&mut self, at: u64) -> u64 {
        while let Some((_, ends)) = self.ends.front().filter(|(o, _)| *o < at) {
            self.before += u64::from(*ends);
            self.ends.pop_front();
        }
        let blank = self.ends.iter().enumerate().take_while(|(k, (o, _))| *o == at + *k as u64);
        self.before + blank.filter(|(_, (_, ends))| *ends).count() as u64 + 1
    }
}

impl<R: Read> Read for LineEnds<R> {
    fn read(&mut self, buf: &mut [u8]) -> std::io::Result<usize> {
        let n = self.inner.read(buf)?;
        for &b in buf.get(..n).unwrap_or_default() {
            if b == b'\r' || b == b'\n' {
                self.ends.push_back((self.offset, b == b'\r' || !self.after_cr));
            }
            self.after_cr = b == b'\r';
            self.offset += 1;
        }
        Ok(n)
    }
}

fn csv_error(name: &str, e: csv::Error) -> CliError {
    let line = e.position().map_or(0, csv::Position::line);
    let reason = format!("unreadable CSV: {e}");
    match e.into_kind() {
        csv::ErrorKind::Io(source) => CliError::Io { path: name.into(), source },
        _ => CliError::Unusable { file: name.into(), line, reason },
    }
}
