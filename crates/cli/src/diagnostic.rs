//! Row-level problems as data (STYLE §4): a bad row or line is reported with file, line, column and reason,
//! counted, and the run goes on. Personal data in messages is masked (`j***@example.com`).

use serde::Serialize;

/// A rejected row, or a warning about an accepted one.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum Severity {
    /// The row or line was not used.
    Reject,
    /// The row was used; something about it deserves a look (a merged duplicate, a late event).
    Warning,
}

/// One diagnostic, as written to `diagnostics.ndjson` and (rejects only) `rejects.csv`.
#[derive(Debug, Clone, Serialize)]
pub struct Diagnostic {
    /// The input file as given on the command line.
    pub file: String,
    /// 1-based line (of the record's start, for CSV).
    pub line: u64,
    /// 1-based column: the CSV field number, or the character column of a JSON syntax error.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub column: Option<u64>,
    /// The CSV header, or the event field's path (`props.granted`).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub field: Option<String>,
    /// Reject or warning.
    pub severity: Severity,
    /// Stable snake_case code (`invalid_email`, `unknown_contact`, …).
    pub code: &'static str,
    /// What was expected and what arrived.
    pub message: String,
}

impl Diagnostic {
    /// A rejected row.
    pub fn reject(file: &str, line: u64, code: &'static str, message: impl Into<String>) -> Diagnostic {
        Diagnostic {
            file: file.to_string(),
            line,
            column: None,
            field: None,
            severity: Severity::Reject,
            code,
            message: message.into(),
        }
    }

    /// A warning about an accepted row.
    pub fn warning(file: &str, line: u64, code: &'static str, message: impl Into<String>) -> Diagnostic {
        Diagnostic { severity: Severity::Warning, ..Diagnostic::reject(file, line, code, message) }
    }

    /// Places the problem in a column (1-based) and/or field.
    pub fn at(mut self, column: Option<u64>, field: Option<String>) -> Diagnostic {
        self.column = column;
        self.field = field;
        self
    }
}

/// `jane@example.com` → `j***@example.com`; text without `@` keeps its first character only. Short, never the
/// whole value: diagnostics must not become a copy of the personal data they complain about.
pub fn mask(text: &str) -> String {
    let text = text.trim();
    let first: String = text.chars().take(1).collect();
    match text.rsplit_once('@') {
        Some((_, domain)) => format!("{first}***@{}", quote(domain)),
        None if text.is_empty() => "(empty)".into(),
        None => format!("{first}***"),
    }
}

/// At most ~40 characters of a value for a message.
pub fn quote(text: &str) -> String {
    let mut chars = text.chars();
    let head: String = chars.by_ref().take(40).collect();
    if chars.next().is_some() {
        format!("{head}…")
    } else {
        head
    }
}
