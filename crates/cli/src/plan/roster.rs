//! The contact roster: every accepted contact once, deduplicated by normalised email (D22), with the ids and
//! emails events may name.
//!
//! Merge rule for a duplicate row (same email): it is counted and reported as a warning; its non-empty cells
//! are applied in file order (a later non-empty value replaces an earlier one); `created_at` keeps the earliest;
//! the first id stays the contact's id and a different later id becomes an alias events may use. A row whose id
//! already belongs to a contact with another email is rejected (`id_conflict`): merging would join two people.

use std::collections::HashMap;

use rekindle_core::{Scalar, Timestamp};

use crate::adapter::{normalise_email, ContactRecord};
use crate::diagnostic::{mask, quote, Diagnostic};

/// One contact as read from the export.
#[derive(Debug, Clone)]
pub struct Contact {
    /// The contact's id in every output: the export's id, else the normalised email.
    pub id: String,
    /// Whether `id` came from the export (an ESP record id) rather than the email.
    pub has_export_id: bool,
    /// Normalised email.
    pub email: String,
    /// When the contact was created, if the export says.
    pub created_at: Option<Timestamp>,
    /// Profile fields, merged over duplicates.
    pub fields: Vec<(String, Scalar)>,
    /// The `phone` field (any case) as written, kept for the ad audiences after the fields go to the fold.
    pub phone: Option<String>,
}

/// Every contact, and the ways events name them.
#[derive(Default)]
pub struct Roster {
    /// Contacts in file order of their first row.
    pub contacts: Vec<Contact>,
    by_id: HashMap<String, u32>,
    by_email: HashMap<String, u32>,
    /// Rows merged into an earlier row with the same email.
    pub duplicates: u64,
}

impl Roster {
    /// Adds one accepted row: a new contact, or a merge into the contact with the same email.
    pub fn add(&mut self, file: &str, row: ContactRecord) -> Result<Option<Diagnostic>, Diagnostic> {
        let existing = self.by_email.get(&row.email).copied();
        if let Some(owner) = row.id.as_ref().and_then(|id| self.by_id.get(id)).copied() {
            if Some(owner) != existing {
                let msg = format!(
                    "id \"{}\" already belongs to another contact; this row's email {} differs",
                    quote(row.id.as_deref().unwrap_or("")),
                    mask(&row.email)
                );
                return Err(Diagnostic::reject(file, row.line, "id_conflict", msg).at(None, Some("id".into())));
            }
        }
        let Some(index) = existing else {
            let index = u32::try_from(self.contacts.len()).unwrap_or(u32::MAX);
            let has_export_id = row.id.is_some();
            let id = row.id.unwrap_or_else(|| row.email.clone());
            self.by_id.insert(id.clone(), index);
            self.by_email.insert(row.email.clone(), index);
            let phone = phone_field(&row.fields);
            let contact =
                Contact { id, has_export_id, email: row.email, created_at: row.created_at, fields: row.fields, phone };
            self.contacts.push(contact);
            return Ok(None);
        };
        self.duplicates += 1;
        if let Some(id) = &row.id {
            self.by_id.entry(id.clone()).or_insert(index);
        }
        let Some(contact) = self.contacts.get_mut(index as usize) else { return Ok(None) };
        if let Some(id) = row.id.filter(|_| !contact.has_export_id) {
            contact.id = id; // the first export id the contact gets becomes its id
            contact.has_export_id = true;
        }
        contact.created_at = match (contact.created_at, row.created_at) {
            (Some(a), Some(b)) => Some(a.min(b)),
            (a, b) => a.or(b),
        };
        for (field, value) in row.fields {
            match contact.fields.iter_mut().find(|(f, _)| *f == field) {
                Some(slot) => slot.1 = value,
                None => contact.fields.push((field, value)),
            }
        }
        contact.phone = phone_field(&contact.fields);
        let msg = format!(
            "duplicate of contact \"{}\" ({}): non-empty cells merged",
            quote(&contact.id),
            mask(&contact.email)
        );
        Ok(Some(Diagnostic::warning(file, row.line, "duplicate_email", msg)))
    }

    /// The contact an event names: an id first, else an email (normalised).
    pub fn find(&self, reference: &str) -> Option<u32> {
        self.by_id
            .get(reference)
            .or_else(|| normalise_email(reference).ok().and_then(|e| self.by_email.get(&e)))
            .copied()
    }

    /// Drops the lookup tables once every event is routed.
    pub fn into_contacts(self) -> Vec<Contact> {
        self.contacts
    }
}

/// The profile field named `phone` (any case) as text; a cell read as a number is written back in digits.
fn phone_field(fields: &[(String, Scalar)]) -> Option<String> {
    fields.iter().find(|(f, _)| f.eq_ignore_ascii_case("phone")).map(|(_, v)| match v {
        Scalar::Str(s) => s.clone(),
        Scalar::Num(n) => rekindle_core::time::short_number(*n),
        Scalar::Bool(b) => b.to_string(),
    })
}
