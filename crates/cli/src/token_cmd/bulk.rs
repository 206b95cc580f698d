//! `rekindle unsubscribe-token --contacts FILE`: one token per row of a contact list, for a send the plan did not
//! make. Every token is issued at the same instant with the same key, so a rerun with the same `--now` prints the
//! same bytes (HMAC-SHA256 has no randomness). A row that cannot be signed is named with its line on stderr and
//! left out of the output, never dropped silently; the exit code then says so (4).

use std::path::Path;

use rekindle_core::token::{ContactRef, KeyId, Token};
use rekindle_core::Timestamp;

use super::{query_separator, write_stdout, SignArgs};
use crate::CliError;

/// The header names that hold the contact, in order of preference (any case).
const COLUMNS: [&str; 2] = ["id", "contact"];

/// A row left out, with its 1-based line in the file.
struct Rejected {
    line: u64,
    reason: String,
}

pub(super) fn sign(args: &SignArgs, file: &Path, kid: &KeyId, key: &[u8], now: Timestamp) -> Result<u8, CliError> {
    let io = |source| CliError::Io { path: file.into(), source };
    let mut reader = csv::ReaderBuilder::new().flexible(true).from_path(file).map_err(|e| io(e.into()))?;
    let headers = reader.headers().map_err(|e| unusable(file, 1, format!("the header row cannot be read: {e}")))?;
    let column = COLUMNS
        .iter()
        .find_map(|name| headers.iter().position(|h| h.trim().eq_ignore_ascii_case(name)))
        .ok_or_else(|| {
            unusable(
                file,
                1,
                format!(
                    "expected a header naming an id or contact column, got \"{}\"",
                    headers.iter().collect::<Vec<_>>().join(",")
                ),
            )
        })?;
    let mut out = csv::Writer::from_writer(Vec::new());
    let value_column = if args.base_url.is_some() { "url" } else { "token" };
    out.write_record(["contact", value_column]).map_err(|e| io(e.into()))?;
    let mut rejected = Vec::new();
    let mut signed = 0u64;
    for row in reader.records() {
        let row = match row {
            Ok(row) => row,
            Err(e) if e.is_io_error() => return Err(io(e.into())),
            Err(e) => {
                let line = e.position().map_or(0, csv::Position::line);
                rejected.push(Rejected { line, reason: format!("unreadable row: {e}") });
                continue;
            }
        };
        let line = row.position().map_or(0, csv::Position::line);
        let Some(cell) = row.get(column) else {
            rejected.push(Rejected {
                line,
                reason: format!("no cell in column {} ({})", column + 1, COLUMNS.join(" or ")),
            });
            continue;
        };
        let contact = match ContactRef::parse(cell) {
            Ok(contact) => contact,
            Err(reason) => {
                rejected.push(Rejected { line, reason });
                continue;
            }
        };
        let token = Token {
            purpose: args.purpose,
            contact,
            topic: args.topic.clone(),
            issued_at: now,
            expires_at: now.plus(args.ttl),
        };
        let text = token.sign(kid, key);
        let value = match &args.base_url {
            Some(base) => format!("{base}{}t={text}", query_separator(base)),
            None => text,
        };
        out.write_record([cell, value.as_str()]).map_err(|e| io(e.into()))?;
        signed += 1;
    }
    let bytes = out.into_inner().map_err(|e| io(e.into_error()))?;
    write_stdout(&bytes)?;
    for r in &rejected {
        eprintln!("rekindle: {}:{}: row left out: {}", file.display(), r.line, r.reason);
    }
    if rejected.is_empty() {
        return Ok(0);
    }
    eprintln!(
        "rekindle: {signed} token(s) signed, {} row(s) of {} left out (listed above)",
        rejected.len(),
        file.display()
    );
    Ok(4)
}

fn unusable(file: &Path, line: u64, reason: String) -> CliError {
    CliError::Unusable { file: file.into(), line, reason }
}
