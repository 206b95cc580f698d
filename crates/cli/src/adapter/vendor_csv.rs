//! Vendor contact exports (Mailchimp, HubSpot, Klaviyo CSV) read through `rekindle_core::import::contacts`:
//! this file does the I/O — chunks of the file into the core decoder, its rows out one at a time — and picks
//! the format (`--contacts-format`, else detected from the header). The mapping of columns and statuses is
//! core's, the same in Node and the Worker.

use std::collections::VecDeque;
use std::fs::File;
use std::io::Read;
use std::path::{Path, PathBuf};

use rekindle_core::import::contacts::{self, ContactBatch, ContactDecoder, RowDiagnostic, Vendor, VendorKind};
use rekindle_core::Error;

use super::{ContactRecord, ContactSource};
use crate::diagnostic::{Diagnostic, Severity};
use crate::error::CliError;

/// Bytes read per chunk.
const CHUNK: usize = 64 * 1024;

/// `--contacts-format`.
#[derive(Clone, Copy, Debug, PartialEq, Eq, clap::ValueEnum)]
pub enum ContactsFormat {
    /// A header with an `email` column (any case), optional `id` and `created_at`.
    Generic,
    /// A Mailchimp audience export (one of the subscribed / unsubscribed / cleaned files).
    Mailchimp,
    /// A HubSpot contacts export with English headers.
    Hubspot,
    /// A Klaviyo profiles export.
    Klaviyo,
}

/// `--mailchimp-status`: which file of Mailchimp's export ZIP this is (by default the one its header names).
#[derive(Clone, Copy, Debug, PartialEq, Eq, clap::ValueEnum)]
pub enum MailchimpStatusArg {
    /// `subscribed_members_export_*.csv`.
    Subscribed,
    /// `unsubscribed_members_export_*.csv`: every row gets an unsubscribe.
    Unsubscribed,
    /// `cleaned_members_export_*.csv`: every row gets a hard bounce.
    Cleaned,
}

/// Opens the contacts file in the given format, or the one its header names (`Email Address` + `LEID` →
/// Mailchimp, `Record ID` → HubSpot, `Klaviyo ID` / `$email` → Klaviyo, else generic). A Mailchimp file without
/// `--mailchimp-status` is read as the file its header names (`UNSUB_TIME` → unsubscribed, `CLEAN_TIME` →
/// cleaned, else subscribed); a format or status that contradicts the header is refused by core (exit 3).
pub fn open_contacts(
    path: &Path,
    format: Option<ContactsFormat>,
    status: Option<MailchimpStatusArg>,
    columns: &rekindle_core::playbook::contacts::ContactColumns,
) -> Result<Box<dyn ContactSource + Send>, CliError> {
    let mut head = Vec::new();
    crate::output::open(path)?
        .take(CHUNK as u64)
        .read_to_end(&mut head)
        .map_err(|source| CliError::Io { path: path.to_path_buf(), source })?;
    let format = format.unwrap_or(match contacts::detect(&head) {
        Some(VendorKind::Mailchimp) => ContactsFormat::Mailchimp,
        Some(VendorKind::Hubspot) => ContactsFormat::Hubspot,
        Some(VendorKind::Klaviyo) => ContactsFormat::Klaviyo,
        None => ContactsFormat::Generic,
    });
    let vendor = match format {
        ContactsFormat::Generic => return Ok(Box::new(super::generic_csv::GenericCsv::open(path, columns)?)),
        ContactsFormat::Mailchimp => super::mailchimp::vendor(status, contacts::mailchimp_status(&head)),
        ContactsFormat::Hubspot => super::hubspot::vendor(),
        ContactsFormat::Klaviyo => super::klaviyo::vendor(),
    };
    Ok(Box::new(VendorCsv::open(path, vendor)?))
}

/// A vendor export being read in chunks.
pub struct VendorCsv {
    name: String,
    path: PathBuf,
    file: File,
    decoder: ContactDecoder,
    rows: VecDeque<Result<contacts::ContactRecord, RowDiagnostic>>,
    warnings: Vec<Diagnostic>,
    buf: Vec<u8>,
    done: bool,
}

impl VendorCsv {
    /// Opens the file and reads up to its header: a header without the vendor's email column, or a UTF-16
    /// file, is unusable (exit 3).
    pub fn open(path: &Path, vendor: Vendor) -> Result<VendorCsv, CliError> {
        let name = path.display().to_string();
        let file = crate::output::open(path)?;
        let decoder = ContactDecoder::new(&name, vendor);
        let mut source = VendorCsv {
            name,
            path: path.to_path_buf(),
            file,
            decoder,
            rows: VecDeque::new(),
            warnings: Vec::new(),
            buf: vec![0; CHUNK],
            done: false,
        };
        source.fill()?; // the first chunk holds the header of any real export: fail early
        Ok(source)
    }

    /// Reads one more chunk into the decoder.
    fn fill(&mut self) -> Result<(), CliError> {
        let n = self.file.read(&mut self.buf).map_err(|source| CliError::Io { path: self.path.clone(), source })?;
        let mut batch = ContactBatch::default();
        let fed = match self.buf.get(..n) {
            Some(chunk) if n > 0 => self.decoder.feed(chunk, &mut batch),
            _ => {
                self.done = true;
                self.decoder.finish(&mut batch)
            }
        };
        fed.map_err(|e| self.unusable(e))?;
        self.rows.extend(batch.rows);
        let warnings = batch.warnings.into_iter().map(|w| diagnostic(&self.name, w, Severity::Warning));
        self.warnings.extend(warnings);
        Ok(())
    }

    fn unusable(&self, e: Error) -> CliError {
        let line = e.path().and_then(|at| at.rsplit(':').next()?.parse().ok()).unwrap_or(1);
        let reason = match e {
            Error::InvalidImport { reason, .. } => reason,
            other => other.to_string(),
        };
        CliError::Unusable { file: self.path.clone(), line, reason }
    }
}

impl ContactSource for VendorCsv {
    fn name(&self) -> &str {
        &self.name
    }

    fn next_record(&mut self) -> Result<Option<Result<ContactRecord, Diagnostic>>, CliError> {
        loop {
            if let Some(row) = self.rows.pop_front() {
                return Ok(Some(match row {
                    Ok(r) => Ok(r),
                    Err(d) => Err(diagnostic(&self.name, d, Severity::Reject)),
                }));
            }
            if self.done {
                return Ok(None);
            }
            self.fill()?;
        }
    }

    fn take_warnings(&mut self) -> Vec<Diagnostic> {
        std::mem::take(&mut self.warnings)
    }
}

fn diagnostic(file: &str, d: RowDiagnostic, severity: Severity) -> Diagnostic {
    let base = match severity {
        Severity::Reject => Diagnostic::reject(file, d.line, d.diagnostic.code, d.diagnostic.message),
        Severity::Warning => Diagnostic::warning(file, d.line, d.diagnostic.code, d.diagnostic.message),
    };
    base.at(d.column.map(u64::from), d.field)
}
