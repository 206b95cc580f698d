//! Input adapters: each turns one kind of file into contact records or core [`Event`]s, and every row it cannot
//! use into a [`Diagnostic`]. The plan only sees these two traits, so a vendor export (Mailchimp, HubSpot,
//! Klaviyo CSV with their column names) or a webhook log decoded by `rekindle_core::import` is one more
//! implementation, chosen by a flag, with nothing else changing.
//!
//! Both traits stream: a contact source yields one record at a time; an event source yields blocks of raw lines
//! that the plan parses on every core ([`EventSource::parse`] is `Sync`) and routes in file order.

pub mod generic_csv;
pub mod hubspot;
pub mod klaviyo;
pub mod mailchimp;
pub mod ndjson;
pub mod read_ahead;
pub mod vendor_csv;
pub mod webhooks;

use rekindle_core::{Event, Scalar, Timestamp, Value};

use crate::diagnostic::Diagnostic;
use crate::error::CliError;

/// One contact row, normalised: the email trimmed and lower-cased (D22), empty cells gone — core's record, so
/// vendor decoders and the generic CSV adapter hand the planner the same type.
pub use rekindle_core::import::contacts::ContactRecord;

/// A stream of contact rows.
pub trait ContactSource {
    /// The file, as named in diagnostics.
    fn name(&self) -> &str;
    /// The next row: `Ok(None)` at the end, `Ok(Some(Err(_)))` for a rejected row, `Err` when reading failed.
    fn next_record(&mut self) -> Result<Option<Result<ContactRecord, Diagnostic>>, CliError>;
    /// Warnings about accepted rows or the whole file gathered so far (a Latin-1 file, an unknown status).
    fn take_warnings(&mut self) -> Vec<Diagnostic> {
        Vec::new()
    }
    /// The profile field each column becomes, with its header (for a near-miss hint). Default: none known.
    fn columns(&self) -> Vec<(String, String)> {
        Vec::new()
    }
}

/// A column whose field name misses one the playbook reads only by letter case or punctuation (`ROLE`, `Role `,
/// `company-size`): field names are exact, so that column would silently count for nothing.
pub fn near_misses(file: &str, columns: &[(String, String)], reads: &[String]) -> Vec<Diagnostic> {
    let loose =
        |s: &str| s.chars().filter(char::is_ascii_alphanumeric).map(|c| c.to_ascii_lowercase()).collect::<String>();
    let mut out = Vec::new();
    for wanted in reads {
        if columns.iter().any(|(_, field)| field == wanted) {
            continue;
        }
        if let Some((header, field)) = columns.iter().find(|(_, field)| loose(field) == loose(wanted)) {
            let msg = format!(
                "the playbook reads profile field `{wanted}`, but column \"{}\" becomes field `{}` (names are exact): \
                 name the column {wanted}, or map it in the playbook's contacts.columns.fields",
                crate::diagnostic::quote(header),
                crate::diagnostic::quote(field)
            );
            out.push(Diagnostic::warning(file, 1, "field_name_mismatch", msg));
        }
    }
    out
}

/// One raw record of an event source (a line of NDJSON, one webhook body), borrowed from its [`Block`].
#[derive(Debug, Clone, Copy)]
pub struct RawRecord<'a> {
    /// 1-based line where it starts.
    pub line: u64,
    /// The text.
    pub text: &'a str,
}

/// A block of raw records: their texts one after another in one buffer (one allocation per block, not one per
/// line), and each record's line and end offset.
#[derive(Debug, Default)]
pub struct Block {
    text: String,
    ends: Vec<(u64, usize)>,
}

impl Block {
    /// Appends one record.
    pub fn push(&mut self, line: u64, text: &str) {
        self.text.push_str(text);
        self.ends.push((line, self.text.len()));
    }

    /// Forgets every record, keeping the buffers' capacity (a fresh 4 MB block per 32k lines cost a page fault
    /// per 4 KB of it, each time).
    pub fn clear(&mut self) {
        self.text.clear();
        self.ends.clear();
    }

    /// How many records.
    pub fn len(&self) -> usize {
        self.ends.len()
    }

    /// Whether there are none.
    pub fn is_empty(&self) -> bool {
        self.ends.is_empty()
    }

    /// The records, in order.
    pub fn records(&self) -> Vec<RawRecord<'_>> {
        let mut start = 0;
        let mut out = Vec::with_capacity(self.ends.len());
        for &(line, end) in &self.ends {
            out.push(RawRecord { line, text: self.text.get(start..end).unwrap_or_default() });
            start = end;
        }
        out
    }
}

/// What one raw record held: an NDJSON line holds one event; a webhook body may hold several, some of them bad.
#[derive(Debug, Default)]
pub struct Parsed {
    /// Events naming their contact, in record order.
    pub events: Vec<Event>,
    /// Each rejects one vendor record, or the whole line.
    pub rejects: Vec<Diagnostic>,
    /// Valid vendor records rekindle does not fold, as `vendor:kind` (`sendgrid:delivered`).
    pub skipped: Vec<String>,
    /// When each skipped delivery record was delivered (the complaint rate's denominator, D5).
    pub deliveries: Vec<rekindle_core::Timestamp>,
}

impl Parsed {
    /// A line that is rejected as a whole.
    pub fn reject(d: Diagnostic) -> Parsed {
        Parsed { rejects: vec![d], ..Parsed::default() }
    }
}

/// A stream of events, read in blocks and parsed in parallel.
pub trait EventSource {
    /// The file, as named in diagnostics.
    fn name(&self) -> &str;
    /// Up to `max` raw records into `block` (emptied first: its buffers are reused from block to block); an empty
    /// block means the end. Records that cannot even be read as text (not UTF-8) come back as diagnostics.
    fn next_block(&mut self, max: usize, block: &mut Block) -> Result<Vec<Diagnostic>, CliError>;
    /// Bytes consumed so far (progress).
    fn position(&self) -> u64;
    /// Parses one record into the events it holds, each naming its contact.
    fn parse(&self, raw: &RawRecord<'_>) -> Parsed;
    /// The event's idempotency key, when the source has one: the plan folds the first event with a key and
    /// counts later ones as duplicates. Default: none (every event is folded).
    fn idempotency_key(&self, _event: &Event) -> Option<u64> {
        None
    }
    /// Warnings about the whole file once it is read (counts of what was not checked). Default: none.
    fn finish(&self) -> Vec<Diagnostic> {
        Vec::new()
    }
}

/// D22: trims and lower-cases an email, then checks its shape: one local part and a dotted domain, no spaces,
/// within the 254-character limit. The error says what is wrong, never repeating the whole address.
pub fn normalise_email(raw: &str) -> Result<String, String> {
    let email = raw.trim().to_lowercase();
    if email.is_empty() {
        return Err("missing email".into());
    }
    let bad = |why: &str| Err(format!("invalid email {}: {why}", crate::diagnostic::mask(&email)));
    if email.len() > 254 {
        return bad("longer than 254 characters");
    }
    if email.chars().any(|c| c.is_whitespace() || c.is_control() || matches!(c, '<' | '>' | ',' | ';')) {
        return bad("contains spaces, separators or control characters");
    }
    let Some((local, domain)) = email.rsplit_once('@') else { return bad("no @") };
    if local.is_empty() || local.len() > 64 || local.contains('@') {
        return bad("the part before @ must be 1–64 characters without another @");
    }
    let labels_ok = domain.split('.').all(|l| !l.is_empty() && !l.starts_with('-') && !l.ends_with('-'));
    if !domain.contains('.') || !labels_ok {
        return bad("the domain must be dotted, like example.com");
    }
    Ok(email)
}

/// An instant given as epoch milliseconds or RFC 3339 (cells, `--now`), parsed by core.
pub fn parse_instant(text: &str, path: &str) -> Result<Timestamp, rekindle_core::Error> {
    let text = text.trim();
    let value = match text.parse::<f64>() {
        Ok(n) if text.bytes().all(|b| b.is_ascii_digit() || b == b'-' || b == b'.') => Value::Number(n),
        _ => Value::String(text.to_string()),
    };
    Timestamp::parse(&value, path)
}

/// A cell as a profile value, as core reads a vendor export's ([`rekindle_core::import::contacts::cell_value`]): a
/// number when the whole cell is one a double holds exactly (`120`, `-3.5`, `1e3`), else text as written (`0042`
/// is an identifier, and a 20-digit id would come back with other digits as a number).
pub fn cell_value(cell: &str) -> Scalar {
    rekindle_core::import::contacts::cell_value(cell)
}
