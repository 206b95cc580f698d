//! A lost-data audit of the contact-export decoder (`rekindle_core::import::contacts`), as properties: generated
//! Mailchimp (subscribed / unsubscribed / cleaned), HubSpot and Klaviyo CSV files with awkward cells (quotes,
//! delimiters, CR / LF / CRLF inside quoted fields, non-ASCII, long cells), a BOM or not, blank lines, rows with
//! too few or too many columns, bad and redacted emails, the same contact twice, the vendors' status columns in
//! the spellings the code accepts (header labels too: `Contact ID`, `$email`, `$id`, `Created`, any case) and dates
//! in every accepted format and malformed ones. A simple reference built from the generated rows says what each
//! row must become; the decoder must agree row by row:
//! - every data row is exactly one entry of `rows`, in file order, on the line it starts on: a record, or a
//!   rejection naming its line (and column and header, when one cell is to blame);
//! - a record's email, id, `created_at`, profile fields (every other non-empty cell, by its snake_case name, with
//!   its text exactly, trimmed) and status events are what the row says;
//! - the result does not depend on where the bytes are cut into chunks (inside a multi-byte character, a CRLF, a
//!   quoted field).
//!
//! CR-only line ends are generated too (old Mac exports), with LF, CRLF and all three mixed.
//!
//! Deliberate choices, documented in the module docs and not flagged here: cells are trimmed; an empty cell is
//! no field; a cell that is wholly a number a double holds exactly becomes a number (`1.50` → 1.5); blank lines
//! are not rows; a row whose quote spans lines and whose column count is wrong is reported as an unclosed quote
//! (an unclosed quote ended by a stray one looks the same, so the two cannot be told apart; generated rows with the
//! wrong column count keep to one line); the same contact twice gives two records (deduplication is the
//! caller's); an unreadable informational date is a warning and the cell is kept as text.
//!
//! Cases: 64 by default (a few seconds in debug); `PROPTEST_CASES` raises them (thousands in release to hunt).
#![allow(clippy::unwrap_used, clippy::expect_used, clippy::indexing_slicing, clippy::panic, missing_docs)]

use proptest::prelude::*;
use rekindle_core::import::contacts::{
    decode, ContactBatch, ContactDecoder, ContactRecord, HubspotLabels, MailchimpStatus, RowDiagnostic, Vendor,
};
use rekindle_core::{EventKind, Scalar};

mod support;
use support::civil;

fn cases() -> u32 {
    std::env::var("PROPTEST_CASES").ok().and_then(|v| v.parse().ok()).unwrap_or(64)
}

const FILE: &str = "c.csv";

/// Which export is generated.
#[derive(Debug, Clone, Copy, PartialEq)]
enum Kind {
    Mailchimp(MailchimpStatus),
    Hubspot,
    Klaviyo,
}

impl Kind {
    fn vendor(self) -> Vendor {
        match self {
            Kind::Mailchimp(s) => Vendor::Mailchimp(s),
            Kind::Hubspot => Vendor::Hubspot(Box::new(HubspotLabels::english())),
            Kind::Klaviyo => Vendor::Klaviyo,
        }
    }

    /// The vendor's columns: email, id, the creation date, the status date(s), the status value.
    fn columns(self) -> Vec<&'static str> {
        match self {
            Kind::Mailchimp(MailchimpStatus::Subscribed) => {
                vec!["Email Address", "EUID", "OPTIN_TIME", "CONFIRM_TIME", "LAST_CHANGED", "LEID"]
            }
            Kind::Mailchimp(MailchimpStatus::Unsubscribed) => {
                vec!["Email Address", "EUID", "OPTIN_TIME", "UNSUB_TIME", "LAST_CHANGED", "LEID", "UNSUB_REASON"]
            }
            Kind::Mailchimp(MailchimpStatus::Cleaned) => {
                vec!["Email Address", "EUID", "OPTIN_TIME", "CLEAN_TIME", "LAST_CHANGED", "LEID"]
            }
            Kind::Hubspot => {
                vec!["Email", "Record ID", "Create Date", "Last Modified Date", "Unsubscribed from all email"]
            }
            Kind::Klaviyo => vec![
                "Email",
                "Klaviyo ID",
                "First Active",
                "Email Marketing Consent Timestamp",
                "Email Marketing Consent",
            ],
        }
    }
}

/// Extra profile columns (label, field name): none collides with a vendor column's name.
const EXTRAS: [(&str, &str); 6] = [
    ("First Name", "first_name"),
    ("Notes", "notes"),
    ("Ville / Città", "ville_città"),
    ("Имя", "имя"),
    ("customerId", "customer_id"),
    ("Opted out of email: News", "opted_out_of_email_news"),
];

/// A date cell: the instant it means (`None` when malformed) and its text.
#[derive(Debug, Clone)]
struct Date {
    ms: Option<i64>,
    text: String,
}

/// A cell of an extra column, with the value the profile must hold (`None`: no field).
#[derive(Debug, Clone)]
struct Cell {
    text: String,
    value: Option<Scalar>,
}

/// One generated line of the file.
#[derive(Debug, Clone)]
enum Line {
    /// Nothing on it (`""` or spaces).
    Blank(String),
    /// A data row.
    Row(Row),
    /// A row with `n` cells where the header has another count.
    Ragged(usize),
}

#[derive(Debug, Clone)]
struct Row {
    /// The email cell as written.
    email: String,
    id: String,
    created: Option<Date>,
    /// The status date (the vendor's own status time: `CONFIRM_TIME`, `UNSUB_TIME`, `CLEAN_TIME`, Last Modified
    /// Date, Email Marketing Consent Timestamp).
    status_date: Option<Date>,
    /// `LAST_CHANGED` (Mailchimp only).
    last_changed: Option<Date>,
    /// The status value (HubSpot's flag, Klaviyo's consent, Mailchimp's `UNSUB_REASON`).
    status: String,
    extras: Vec<Cell>,
}

fn rfc3339(ms: i64) -> String {
    let (y, mo, d, h, mi, s) = civil(ms);
    match ms.rem_euclid(1000) {
        0 => format!("{y:04}-{mo:02}-{d:02}T{h:02}:{mi:02}:{s:02}Z"),
        f => format!("{y:04}-{mo:02}-{d:02}T{h:02}:{mi:02}:{s:02}.{f:03}Z"),
    }
}

/// A date in one of the accepted formats (read as UTC), or a malformed one.
fn date() -> impl Strategy<Value = Date> {
    let good = (631_152_000i64..2_840_140_800, 0usize..8, 0i64..1000).prop_map(|(secs, format, frac)| {
        let ms = secs * 1000;
        let (y, mo, d, h, mi, s) = civil(ms);
        let (h12, pm) = (if h % 12 == 0 { 12 } else { h % 12 }, if h >= 12 { "PM" } else { "am" });
        let day = ms - ms.rem_euclid(86_400_000);
        let (ms, text) = match format {
            0 => (ms, format!("{y:04}-{mo:02}-{d:02} {h:02}:{mi:02}:{s:02}")),
            1 => (ms - s * 1000, format!("{y:04}-{mo:02}-{d:02} {h:02}:{mi:02}")),
            2 => (day, format!("{y:04}-{mo:02}-{d:02}")),
            3 => (ms + frac, format!("{y:04}-{mo:02}-{d:02}T{h:02}:{mi:02}:{s:02}.{frac:03}Z")),
            // The same instant written in another offset: 05:30 ahead.
            4 => {
                let (y, mo, d, h, mi, s) = civil(ms + 19_800_000);
                (ms, format!("{y:04}-{mo:02}-{d:02}T{h:02}:{mi:02}:{s:02}+05:30"))
            }
            5 => (ms - s * 1000, format!("{mo}/{d}/{y} {h12}:{mi:02} {pm}")),
            6 => (day, format!("{mo}/{d}/{y}")),
            _ => (ms + frac, format!("{}", ms + frac)),
        };
        Date { ms: Some(ms), text }
    });
    let bad =
        prop::sample::select(vec!["2024-13-01", "yesterday", "3/15/24", "2024-02-30 10:00", "12:00", "2024-1-1x"])
            .prop_map(|t| Date { ms: None, text: t.into() });
    prop_oneof![4 => good, 1 => bad]
}

/// Text that is not a number: awkward characters, sometimes long.
fn text() -> impl Strategy<Value = String> {
    let piece = prop::sample::select(vec![
        "a", "Zoë", "Łódź", "東京", "😀", "\"", "\"\"", ",", ";", "\t", "\n", "\r\n", "\r", " ", "x y", "'", "=1+2",
    ]);
    (prop::sample::select(vec!["A", "é", "Ж", "k"]), prop::collection::vec(piece, 0..8), 0usize..4).prop_map(
        |(first, rest, long)| {
            let mut s = format!("{first}{}", rest.concat());
            if long == 0 {
                s.push_str(&"long ".repeat(2000));
            }
            s
        },
    )
}

fn extra_cell() -> impl Strategy<Value = Cell> {
    prop_oneof![
        4 => text().prop_map(|t| Cell { value: Some(Scalar::Str(t.trim().into())), text: t }),
        1 => (-99_999i64..99_999).prop_map(|n| Cell { text: n.to_string(), value: Some(Scalar::Num(n as f64)) }),
        1 => prop::sample::select(vec!["", "  "]).prop_map(|t| Cell { text: t.into(), value: None }),
        1 => "0[0-9]{1,6}".prop_map(|t| Cell { value: Some(Scalar::Str(t.clone())), text: t }),
        // Ids and phone numbers longer than a double holds, identifiers with a sign: text as written.
        1 => "-?([1-9][0-9]{15,24}|0[0-9]{1,5})".prop_map(|t| Cell { value: Some(Scalar::Str(t.clone())), text: t }),
        1 => "-?[1-9][0-9]{0,6}\\.[0-9]{1,7}".prop_map(|t| Cell { value: Some(Scalar::Num(t.parse().unwrap())), text: t }),
    ]
}

/// An email cell as written (case, spaces, non-ASCII) or a bad one.
fn email() -> impl Strategy<Value = String> {
    let local =
        prop::collection::vec(prop::sample::select(vec!["a", "B", "ñ", "Ö", "ж", "İ", ".x", "+tag", "_", "7"]), 1..6);
    let domain = prop::sample::select(vec!["example.com", "EXAMPLE.org", "bücher.de", "почта.рф", "x.co.uk"]);
    let good = (local, domain, prop::sample::select(vec!["", " ", "  "]))
        .prop_map(|(l, d, pad)| format!("{pad}{}@{d}{pad}", l.concat()));
    let bad = prop::sample::select(vec!["", "no-at-sign", "a b@example.com", "x@localhost", "redacted12@example.com"])
        .prop_map(String::from);
    prop_oneof![6 => good, 1 => bad]
}

fn status(kind: Kind) -> BoxedStrategy<String> {
    let values: Vec<&str> = match kind {
        Kind::Hubspot => vec!["true", "TRUE", "yes", "Yes", "false", "no", "NO", "", "maybe"],
        Kind::Klaviyo => vec!["SUBSCRIBED", "subscribed", "UNSUBSCRIBED", "NEVER_SUBSCRIBED", "", "pending"],
        Kind::Mailchimp(_) => vec!["", "too many emails", "Łódź, \"quoted\""],
    };
    prop::sample::select(values).prop_map(String::from).boxed()
}

fn row(kind: Kind, extras: usize) -> impl Strategy<Value = Row> {
    let opt_date = || prop::option::weighted(0.7, date());
    (
        email(),
        "[0-9a-f]{0,12}",
        opt_date(),
        opt_date(),
        opt_date(),
        status(kind),
        prop::collection::vec(extra_cell(), extras),
    )
        .prop_map(|(email, id, created, status_date, last_changed, status, extras)| Row {
            email,
            id,
            created,
            status_date,
            last_changed,
            status,
            extras,
        })
}

/// A generated file: vendor, extra columns, lines, delimiter, line ends, BOM, final newline.
#[derive(Debug, Clone)]
struct File {
    kind: Kind,
    extras: usize,
    lines: Vec<Line>,
    delimiter: u8,
    /// Per line: `\n`, `\r\n` or `\r` (old Mac exports).
    ends: Vec<&'static str>,
    bom: bool,
    final_newline: bool,
    /// Quote every cell, not only those that need it.
    quote_all: bool,
    /// Which of the labels the code accepts each vendor column has (`Contact ID` for `Record ID`, `$email` for
    /// `Email`, …), and whether the vendor labels are upper-cased (labels match in any ASCII case).
    spelling: (usize, bool),
}

/// The labels the code accepts for a vendor column, by its usual label.
fn spellings(label: &str) -> &'static [&'static str] {
    match label {
        "Record ID" => &["Record ID", "Contact ID"],
        "Klaviyo ID" => &["Klaviyo ID", "Id", "$id"],
        "First Active" => &["First Active", "Created"],
        _ => &[],
    }
}

fn file() -> impl Strategy<Value = File> {
    let kinds = prop::sample::select(vec![
        Kind::Mailchimp(MailchimpStatus::Subscribed),
        Kind::Mailchimp(MailchimpStatus::Unsubscribed),
        Kind::Mailchimp(MailchimpStatus::Cleaned),
        Kind::Hubspot,
        Kind::Klaviyo,
    ]);
    (kinds, 0..=EXTRAS.len()).prop_flat_map(|(kind, extras)| {
        let width = kind.columns().len() + extras;
        let line = prop_oneof![
            8 => row(kind, extras).prop_map(Line::Row),
            1 => prop::sample::select(vec!["", "   "]).prop_map(|s| Line::Blank(s.into())),
            1 => prop::sample::select(vec![1, width - 1, width + 1, width + 3]).prop_map(Line::Ragged),
        ];
        let lines = prop::collection::vec(line, 0..12);
        let ends = prop::collection::vec(prop::sample::select(vec!["\n", "\r\n", "\r"]), 13);
        (
            Just(kind),
            Just(extras),
            lines,
            prop::sample::select(vec![b',', b';', b'\t']),
            ends,
            any::<(bool, bool, bool)>(),
            (0usize..3, any::<bool>()),
        )
            .prop_map(|(kind, extras, lines, delimiter, ends, (bom, final_newline, quote_all), spelling)| {
                File { kind, extras, lines, delimiter, ends, bom, final_newline, quote_all, spelling }
            })
    })
}

impl File {
    fn header(&self) -> Vec<String> {
        let (which, upper) = self.spelling;
        let email: &[&str] = match self.kind {
            Kind::Mailchimp(_) => &["Email Address", "Email"],
            Kind::Hubspot => &["Email"],
            Kind::Klaviyo => &["Email", "Email Address", "$email"],
        };
        let label = |l: &&str| {
            let options = if *l == "Email" || *l == "Email Address" { email } else { spellings(l) };
            let l = options.get(which % options.len().max(1)).unwrap_or(l);
            if upper {
                l.to_ascii_uppercase()
            } else {
                l.to_string()
            }
        };
        let mut h: Vec<String> = self.kind.columns().iter().map(label).collect();
        h.extend(EXTRAS.iter().take(self.extras).map(|(l, _)| l.to_string()));
        h
    }

    fn cells(&self, row: &Row) -> Vec<String> {
        let d = |d: &Option<Date>| d.as_ref().map_or(String::new(), |d| d.text.clone());
        let mut cells = match self.kind {
            Kind::Mailchimp(s) => {
                let mut c = vec![row.email.clone(), row.id.clone(), d(&row.created), d(&row.status_date)];
                c.extend([d(&row.last_changed), "leid-1".into()]);
                if s == MailchimpStatus::Unsubscribed {
                    c.push(row.status.clone());
                }
                c
            }
            Kind::Hubspot | Kind::Klaviyo => {
                vec![row.email.clone(), row.id.clone(), d(&row.created), d(&row.status_date), row.status.clone()]
            }
        };
        cells.extend(row.extras.iter().map(|c| c.text.clone()));
        cells
    }

    fn write_cell(&self, out: &mut String, cell: &str) {
        let d = self.delimiter as char;
        let needs = cell.contains(['"', '\n', '\r', d]) || cell.starts_with(' ') || cell.ends_with(' ');
        if needs || self.quote_all {
            out.push('"');
            out.push_str(&cell.replace('"', "\"\""));
            out.push('"');
        } else {
            out.push_str(cell);
        }
    }

    /// The file's bytes, and each data row's line with what it must become.
    fn render(&self) -> (Vec<u8>, Vec<(u64, &Line)>) {
        let mut out = String::new();
        if self.bom {
            out.push('\u{FEFF}');
        }
        let mut line = 1u64;
        let mut rows = Vec::new();
        let write = |out: &mut String, cells: &[String], line: &mut u64| {
            for (i, c) in cells.iter().enumerate() {
                if i > 0 {
                    out.push(self.delimiter as char);
                }
                self.write_cell(out, c);
                *line += (c.matches('\n').count() + c.matches('\r').count() - c.matches("\r\n").count()) as u64;
            }
        };
        // A line end: after a lone CR (an empty line) an LF would make a CRLF, one line end, so it is a CRLF.
        let end = |out: &mut String, i: usize| match self.ends[i % self.ends.len()] {
            "\n" if out.ends_with('\r') => out.push_str("\r\n"),
            e => out.push_str(e),
        };
        write(&mut out, &self.header(), &mut line);
        for (i, l) in self.lines.iter().enumerate() {
            end(&mut out, i);
            line += 1;
            let start = line;
            match l {
                Line::Blank(s) => out.push_str(s),
                Line::Row(r) => write(&mut out, &self.cells(r), &mut line),
                Line::Ragged(n) => write(&mut out, &vec!["x@example.com".to_string(); *n], &mut line),
            }
            if !matches!(l, Line::Blank(_)) {
                rows.push((start, l));
            }
        }
        if self.final_newline {
            end(&mut out, self.lines.len());
        }
        (out.into_bytes(), rows)
    }
}

/// The reference email rule (D22): trimmed, lower-cased, one `@`, a dotted domain of letters, digits and `-`.
fn normalised(raw: &str) -> Option<String> {
    let e = raw.trim().to_lowercase();
    let (local, domain) = e.rsplit_once('@')?;
    let ok = !local.is_empty()
        && !local.contains('@')
        && domain.contains('.')
        && !e.chars().any(char::is_whitespace)
        && domain.chars().all(|c| c.is_alphanumeric() || c == '.' || c == '-');
    ok.then_some(e)
}

/// What a data row must become: `Ok((email, created_at, events as (kind, ms), fields))` or `Err((column, code))`
/// (column 0 when the row as a whole is to blame).
type Expected = Result<(String, Option<i64>, Vec<(EventKind, i64)>, Vec<(String, Scalar)>), (usize, &'static str)>;

fn expected(file: &File, line: &Line) -> Expected {
    let row = match line {
        Line::Ragged(_) => return Err((0, "column_count")),
        Line::Blank(_) => unreachable!("blank lines are not rows"),
        Line::Row(r) => r,
    };
    let kind = file.kind;
    if kind == Kind::Klaviyo && row.email.trim().to_ascii_lowercase().starts_with("redacted") {
        return Err((1, "redacted_email"));
    }
    let email = match (row.email.trim(), normalised(&row.email)) {
        ("", _) => return Err((1, "missing_email")),
        (_, None) => return Err((1, "invalid_email")),
        (_, Some(e)) => e,
    };
    let ms = |d: &Option<Date>| d.as_ref().and_then(|d| d.ms);
    let present = |d: &Option<Date>| d.as_ref().is_some_and(|d| !d.text.is_empty());
    // A status date: the first present column of `dates` (1-based columns); unreadable rejects the row.
    let dated = |dates: &[(usize, &Option<Date>)]| -> Result<Option<i64>, (usize, &'static str)> {
        match dates.iter().find(|(_, d)| present(d)) {
            None => Ok(None),
            Some((c, d)) => ms(d).map(Some).ok_or((*c, "bad_timestamp")),
        }
    };
    let mut events = Vec::new();
    let created;
    match kind {
        Kind::Mailchimp(MailchimpStatus::Subscribed) => {
            created = ms(&row.created).or(ms(&row.status_date));
            if let Some(t) = ms(&row.status_date).or(ms(&row.created)) {
                events.push((EventKind::Consent, t));
            }
        }
        Kind::Mailchimp(s) => {
            created = ms(&row.created);
            let own = if present(&row.status_date) { (4, &row.status_date) } else { (5, &row.last_changed) };
            let kind = if s == MailchimpStatus::Cleaned { EventKind::EmailBounce } else { EventKind::Unsubscribe };
            match dated(&[own])? {
                Some(t) => events.push((kind, t)),
                None => return Err((4, "missing_field")),
            }
        }
        Kind::Hubspot => {
            created = ms(&row.created);
            if ["true", "yes"].contains(&row.status.to_ascii_lowercase().as_str()) {
                match dated(&[(4, &row.status_date), (3, &row.created)])? {
                    Some(t) => events.push((EventKind::Unsubscribe, t)),
                    None => return Err((5, "missing_field")),
                }
            }
        }
        Kind::Klaviyo => {
            created = ms(&row.created);
            let when = dated(&[(4, &row.status_date), (3, &row.created)]);
            match row.status.to_ascii_uppercase().as_str() {
                "SUBSCRIBED" => {
                    if let Ok(Some(t)) = when {
                        events.push((EventKind::Consent, t));
                    }
                }
                "UNSUBSCRIBED" => match when? {
                    Some(t) => events.push((EventKind::Unsubscribe, t)),
                    None => return Err((5, "missing_field")),
                },
                _ => {}
            }
        }
    }
    // Fields: every other non-empty cell, trimmed, dates as RFC 3339 where the column is a known date.
    let header = file.header();
    let cells = file.cells(row);
    let names: Vec<String> = header
        .iter()
        .map(|l| EXTRAS.iter().find(|(x, _)| x == l).map_or_else(|| vendor_name(l), |(_, n)| n.to_string()))
        .collect();
    let used: &[usize] = match kind {
        Kind::Mailchimp(_) => &[0, 1],
        Kind::Hubspot | Kind::Klaviyo => &[0, 1, 2],
    };
    let date_columns: &[usize] = match kind {
        Kind::Mailchimp(_) => &[2, 3, 4],
        Kind::Hubspot => &[2, 3],
        Kind::Klaviyo => &[3],
    };
    let dates = [None, None, Some(&row.created), Some(&row.status_date), Some(&row.last_changed)];
    let mut fields = Vec::new();
    for (i, cell) in cells.iter().enumerate() {
        if used.contains(&i) || cell.trim().is_empty() {
            continue;
        }
        let value = if i >= kind.columns().len() {
            match row.extras[i - kind.columns().len()].value.clone() {
                Some(v) => v,
                None => continue,
            }
        } else if date_columns.contains(&i) {
            match dates[i].and_then(|d| d.as_ref()).and_then(|d| d.ms) {
                Some(t) => Scalar::Str(rfc3339(t)),
                None => Scalar::Str(cell.trim().into()),
            }
        } else {
            Scalar::Str(cell.trim().into())
        };
        fields.push((names[i].clone(), value));
    }
    Ok((email, created, events, fields))
}

/// snake_case of a vendor column label (ASCII labels only here).
fn vendor_name(label: &str) -> String {
    label
        .split(|c: char| !c.is_ascii_alphanumeric())
        .filter(|s| !s.is_empty())
        .collect::<Vec<_>>()
        .join("_")
        .to_lowercase()
}

fn feed(kind: Kind, bytes: &[u8], cuts: &[usize]) -> ContactBatch {
    let mut d = ContactDecoder::new(FILE, kind.vendor());
    let mut out = ContactBatch::default();
    let mut from = 0;
    let mut cuts: Vec<usize> = cuts.iter().map(|c| c % (bytes.len() + 1)).collect();
    cuts.sort_unstable();
    for cut in cuts.into_iter().chain([bytes.len()]) {
        d.feed(&bytes[from..cut], &mut out).unwrap();
        from = cut;
    }
    d.finish(&mut out).unwrap();
    out
}

fn check_row(file: &File, line: u64, spec: &Line, got: &Result<ContactRecord, RowDiagnostic>) {
    let header = file.header();
    match (expected(file, spec), got) {
        (Ok((email, created, events, fields)), Ok(r)) => {
            assert_eq!(r.line, line, "line of {spec:?}");
            assert_eq!(r.email, email, "line {line}");
            let Line::Row(row) = spec else { unreachable!() };
            assert_eq!(r.id.as_deref(), Some(row.id.as_str()).filter(|s| !s.is_empty()), "line {line}");
            assert_eq!(r.created_at.map(|t| t.ms()), created, "created_at, line {line}");
            let got: Vec<(EventKind, i64)> = r.events.iter().map(|e| (e.kind.clone(), e.at.ms())).collect();
            assert_eq!(got, events, "events, line {line}");
            assert!(r.events.iter().all(|e| e.contact == email));
            assert_eq!(r.fields, fields, "fields, line {line}");
        }
        (Err((column, code)), Err(d)) => {
            assert_eq!((d.line, d.diagnostic.code), (line, code), "{d:?} for {spec:?}");
            if column == 0 {
                assert_eq!(d.diagnostic.at, format!("{FILE}:{line}"));
            } else {
                assert_eq!(d.diagnostic.at, format!("{FILE}:{line}:{column}"), "{d:?}");
                assert_eq!(d.field.as_deref(), Some(header[column - 1].as_str()));
            }
        }
        (want, got) => panic!("line {line}: expected {want:?}, got {got:?} for {spec:?}"),
    }
}

proptest! {
    #![proptest_config(ProptestConfig { cases: cases(), ..ProptestConfig::default() })]

    /// Every data row is one entry, on its line, with exactly the values it holds; chunking changes nothing.
    #[test]
    fn every_row_is_a_record_or_a_located_rejection_with_its_values_intact(
        file in file(),
        cuts in prop::collection::vec(any::<usize>(), 0..6),
    ) {
        let (bytes, rows) = file.render();
        let whole = decode(FILE, file.kind.vendor(), &bytes).unwrap();
        prop_assert_eq!(whole.rows.len(), rows.len(), "{:?}", whole.rows);
        for ((line, spec), got) in rows.iter().zip(&whole.rows) {
            check_row(&file, *line, spec, got);
        }
        let lines: Vec<u64> = rows.iter().map(|(l, _)| *l).collect();
        for w in &whole.warnings {
            prop_assert!(lines.contains(&w.line), "a warning on a line that is no row: {:?}", w);
        }
        prop_assert_eq!(&feed(file.kind, &bytes, &cuts), &whole);
        let every: Vec<usize> = (0..bytes.len()).collect();
        if bytes.len() < 4096 {
            prop_assert_eq!(&feed(file.kind, &bytes, &every), &whole, "byte by byte");
        }
    }
}

fn lines_and_codes(out: &ContactBatch) -> Vec<(u64, &str)> {
    out.rows.iter().map(|r| r.as_ref().map_or_else(|d| (d.line, d.diagnostic.code), |r| (r.line, "ok"))).collect()
}

/// Old Mac exports end lines with a lone CR, and a quoted cell may hold one: each row is named by the line it
/// starts on, a lone CR, an LF and a CRLF (also cut between two chunks) each ending one line. Before, only LFs
/// were counted: every row of a CR file was "line 1", and a rejection named the wrong line.
#[test]
fn lone_cr_line_ends_count_as_lines() {
    let kind = Kind::Hubspot;
    let bytes = b"Email,Record ID,Notes\rnope,1,x\rb@example.com,2,\"two\rlines\"\r\nc@example.com,3,y\r\rd,4,z\n";
    let want = [(2, "invalid_email"), (3, "ok"), (5, "ok"), (7, "invalid_email")];
    let whole = decode(FILE, kind.vendor(), bytes).unwrap();
    assert_eq!(lines_and_codes(&whole), want);
    let every: Vec<usize> = (0..bytes.len()).collect();
    assert_eq!(feed(kind, bytes, &every), whole);
}

fn hubspot(bytes: &str) -> ContactBatch {
    decode(FILE, Kind::Hubspot.vendor(), bytes.as_bytes()).unwrap()
}

fn fields(out: &ContactBatch) -> Vec<Vec<(String, Scalar)>> {
    out.rows.iter().map(|r| r.as_ref().unwrap().fields.clone()).collect()
}

fn s(name: &str, text: &str) -> (String, Scalar) {
    (name.into(), Scalar::Str(text.into()))
}

/// A number is kept as a number only when a double holds it exactly. Before, a 20-digit id came back as
/// 12345678901234567000, `-0042` (an identifier, as `0042` is) as -42 and `1e-400` as 0.
#[test]
fn cells_a_double_cannot_hold_exactly_stay_text() {
    let out = hubspot("Record ID,Email,Phone\n1,a@example.com,12345678901234567890\n2,b@example.com,-0042\n3,c@example.com,1e-400\n4,d@example.com,-3.25e2\n5,e@example.com,123456789012345\n");
    let want = vec![
        vec![s("phone", "12345678901234567890")],
        vec![s("phone", "-0042")],
        vec![s("phone", "1e-400")],
        vec![("phone".into(), Scalar::Num(-325.0))],
        vec![("phone".into(), Scalar::Num(123_456_789_012_345.0))],
    ];
    assert_eq!(fields(&out), want);
}

/// A column whose header cell is empty (or has no letter or digit) keeps its cells as `column_<n>`. Before, they
/// were dropped without a word.
#[test]
fn cells_under_a_header_without_a_name_are_kept() {
    let out = hubspot("Record ID,Email,,#\n1,a@example.com,kept,this too\n2,b@example.com,,\n");
    assert_eq!(fields(&out), vec![vec![s("column_3", "kept"), s("column_4", "this too")], vec![]]);
    assert!(out.warnings.is_empty());
}

/// Two columns whose labels give one field name keep both values: the later is `<name>_<n>`, said once at the
/// header. Before, both became the same field and the profile kept only one of them. Columns that are no field
/// (the email, the id) do not count: a second `Email` column is the field `email`.
#[test]
fn two_columns_of_one_field_name_keep_both_values() {
    let out = hubspot("Record ID,Email,Note,note,Email,NOTE\n1,a@example.com,first,second,b@example.com,third\n");
    let want = vec![s("note", "first"), s("note_4", "second"), s("email", "b@example.com"), s("note_6", "third")];
    assert_eq!(fields(&out), vec![want]);
    let warned: Vec<(&str, &str, Option<&str>)> =
        out.warnings.iter().map(|w| (w.diagnostic.at.as_str(), w.diagnostic.code, w.field.as_deref())).collect();
    assert_eq!(
        warned,
        [("c.csv:1:4", "duplicate_field", Some("note")), ("c.csv:1:6", "duplicate_field", Some("NOTE"))]
    );
    assert!(out.warnings[0].diagnostic.message.contains("column 3 \"Note\""), "{:?}", out.warnings[0]);
    // Mailchimp's CC is the field `country`: a merge field "Country" is kept beside it.
    let mc = "Email Address,CC,Country,LEID\na@example.com,PT,Portugal,x1\n";
    let out = decode(FILE, Vendor::Mailchimp(MailchimpStatus::Subscribed), mc.as_bytes()).unwrap();
    assert_eq!(fields(&out), vec![vec![s("country", "PT"), s("country_3", "Portugal"), s("leid", "x1")]]);
    assert_eq!(out.warnings.len(), 1);
}

/// A CR-only export over 1 MiB is read row by row. Before, its header line was taken to end at the first LF, so
/// the whole file was buffered as a header and refused ("no header line within the first 1 MiB").
#[test]
fn a_large_file_with_lone_cr_line_ends_is_read() {
    let mut text = String::from("Record ID,Email,Notes\r");
    let rows = 30_000;
    for i in 0..rows {
        text.push_str(&format!("{i},c{i}@example.com,some notes about contact {i}\r"));
    }
    assert!(text.len() > 1 << 20);
    for cut in [64 * 1024, text.len()] {
        let cuts: Vec<usize> = (cut..text.len()).step_by(cut).collect();
        let out = feed(Kind::Hubspot, text.as_bytes(), &cuts);
        assert_eq!(out.rows.len(), rows);
        let last = out.rows.last().unwrap().as_ref().unwrap();
        assert_eq!((last.line, last.email.as_str()), (rows as u64 + 1, "c29999@example.com"));
    }
}

/// Klaviyo: a SUBSCRIBED profile whose consent date cannot be read gives no consent event (no proof to keep) and
/// says so at that cell. Before, the consent vanished without a word.
#[test]
fn an_unreadable_klaviyo_consent_date_is_warned() {
    let text = "Email,Email Marketing Consent,Email Marketing Consent Timestamp\na@example.com,SUBSCRIBED,yesterday\n";
    let out = decode(FILE, Vendor::Klaviyo, text.as_bytes()).unwrap();
    let record = out.rows[0].as_ref().unwrap();
    assert!(record.events.is_empty());
    assert!(record.fields.contains(&s("email_marketing_consent_timestamp", "yesterday")), "{:?}", record.fields);
    let warned: Vec<(&str, &str)> =
        out.warnings.iter().map(|w| (w.diagnostic.at.as_str(), w.diagnostic.code)).collect();
    assert_eq!(warned, [("c.csv:2:3", "bad_timestamp")]);
}
