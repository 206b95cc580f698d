//! NDJSON events: one rekindle event per line, `{"contact": "<email or id>", "at", "kind", "props"}`, parsed by
//! `rekindle_core::Event::parse`. Read line by line through a `BufRead` (the file is never loaded whole); blank
//! lines are skipped; a line that is not UTF-8, not JSON or not a valid event is a diagnostic with its line.

use std::fs::File;
use std::io::{BufRead, BufReader};
use std::path::Path;

use rekindle_core::{Event, Value};

use super::{EventSource, Parsed, RawRecord};
use crate::diagnostic::Diagnostic;
use crate::error::CliError;

/// An NDJSON events file being read.
pub struct Ndjson {
    name: String,
    reader: BufReader<File>,
    line: u64,
    position: u64,
    buf: Vec<u8>,
}

impl Ndjson {
    /// Opens the file.
    pub fn open(path: &Path) -> Result<Ndjson, CliError> {
        let file = crate::output::open(path)?;
        let reader = BufReader::with_capacity(1 << 16, file);
        Ok(Ndjson { name: path.display().to_string(), reader, line: 0, position: 0, buf: Vec::new() })
    }
}

impl EventSource for Ndjson {
    fn name(&self) -> &str {
        &self.name
    }

    fn next_block(&mut self, max: usize) -> Result<(Vec<RawRecord>, Vec<Diagnostic>), CliError> {
        let mut records = Vec::new();
        let mut problems = Vec::new();
        while records.len() < max {
            self.buf.clear();
            let n = self
                .reader
                .read_until(b'\n', &mut self.buf)
                .map_err(|source| CliError::Io { path: self.name.clone().into(), source })?;
            if n == 0 {
                break;
            }
            self.line += 1;
            self.position += n as u64;
            let bytes = self.buf.strip_suffix(b"\n").unwrap_or(&self.buf);
            let bytes = bytes.strip_suffix(b"\r").unwrap_or(bytes);
            match std::str::from_utf8(bytes) {
                Ok(text) if text.trim().is_empty() => {}
                Ok(text) => records.push(RawRecord { line: self.line, text: text.to_string() }),
                Err(e) => problems.push(
                    Diagnostic::reject(&self.name, self.line, "not_utf8", "not UTF-8 text; write events as UTF-8")
                        .at(Some(e.valid_up_to() as u64 + 1), None),
                ),
            }
        }
        Ok((records, problems))
    }

    fn position(&self) -> u64 {
        self.position
    }

    fn parse(&self, raw: &RawRecord) -> Parsed {
        match self.event(raw) {
            Ok(event) => Parsed { events: vec![event], ..Parsed::default() },
            Err(d) => Parsed::reject(d),
        }
    }
}

impl Ndjson {
    /// Parses one line into an event that names its contact.
    fn event(&self, raw: &RawRecord) -> Result<Event, Diagnostic> {
        let value: Value = serde_json::from_str(&raw.text).map_err(|e| {
            Diagnostic::reject(&self.name, raw.line, "bad_json", format!("not valid JSON: {e}"))
                .at(Some(e.column() as u64), None)
        })?;
        let event = Event::parse(&value, "event").map_err(|e| {
            let (field, reason) = match &e {
                rekindle_core::Error::InvalidInput { path, reason } => (path.clone(), reason.clone()),
                other => ("event".to_string(), other.to_string()),
            };
            let field = field.strip_prefix("event.").map(str::to_string);
            let msg = match &field {
                Some(f) => format!("{f}: {reason}"),
                None => reason,
            };
            Diagnostic::reject(&self.name, raw.line, "bad_event", msg).at(None, field)
        })?;
        if event.contact.trim().is_empty() {
            let msg = "missing `contact`: each line needs the contact's email or id";
            return Err(
                Diagnostic::reject(&self.name, raw.line, "missing_contact", msg).at(None, Some("contact".into()))
            );
        }
        Ok(event)
    }
}
