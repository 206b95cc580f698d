//! The contact roster: every accepted contact once, deduplicated by normalised email (D22), with the ids and
//! emails events may name.
//!
//! Merge rule for a duplicate row (same email): it is counted and reported as a warning; its non-empty cells
//! are applied in file order (a later non-empty value replaces an earlier one); `created_at` keeps the earliest;
//! the first id stays the contact's id and a different later id becomes an alias events may use. A row whose id
//! already belongs to a contact with another email is rejected (`id_conflict`): merging would join two people.
//!
//! Memory: the lookup tables hold no copy of the names. Each maps a 64-bit hash of a name to the contact's index
//! and checks a hit against the contact's own `id` or `email`; the few names a contact does not hold (an alias id,
//! the email it was known by before its export id arrived, a hash shared with another name) live in a small
//! exact map beside it ([`Names`]).

use std::collections::HashMap;
use std::hash::{BuildHasher, BuildHasherDefault, DefaultHasher};

use rekindle_core::{Scalar, Timestamp};

use super::packed::Fields;
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
    /// Profile fields, merged over duplicates; packed until they are folded.
    pub fields: Fields,
    /// The `phone` field (any case) as written, kept for the ad audiences after the fields go to the fold.
    pub phone: Option<String>,
}

/// Every contact, and the ways events name them.
#[derive(Default)]
pub struct Roster {
    /// Contacts in file order of their first row.
    pub contacts: Vec<Contact>,
    by_id: Names,
    by_email: Names,
    /// Rows merged into an earlier row with the same email.
    pub duplicates: u64,
}

impl Roster {
    /// Adds one accepted row: a new contact, or a merge into the contact with the same email.
    pub fn add(&mut self, file: &str, row: ContactRecord) -> Result<Option<Diagnostic>, Diagnostic> {
        let existing = self.by_email.get(&row.email, &self.contacts, Key::Email);
        if let Some(owner) = row.id.as_ref().and_then(|id| self.by_id.get(id, &self.contacts, Key::Id)) {
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
            let phone = phone_field(&row.fields);
            let fields = Fields::pack(&row.fields);
            let contact = Contact { id, has_export_id, email: row.email, created_at: row.created_at, fields, phone };
            self.contacts.push(contact);
            self.by_id.insert_held(index, &self.contacts, Key::Id);
            self.by_email.insert_held(index, &self.contacts, Key::Email);
            return Ok(None);
        };
        self.duplicates += 1;
        if let Some(id) = &row.id {
            if self.by_id.get(id, &self.contacts, Key::Id).is_none() {
                self.by_id.insert_other(id, index); // an alias, or the contact's id just below
            }
        }
        let Some(contact) = self.contacts.get_mut(index as usize) else { return Ok(None) };
        if let Some(id) = row.id.filter(|_| !contact.has_export_id) {
            // The first export id the contact gets becomes its id; the name it had stays a name of it.
            let old = std::mem::replace(&mut contact.id, id);
            contact.has_export_id = true;
            self.by_id.rename(index, &old, &self.contacts);
        }
        let Some(contact) = self.contacts.get_mut(index as usize) else { return Ok(None) };
        contact.created_at = match (contact.created_at, row.created_at) {
            (Some(a), Some(b)) => Some(a.min(b)),
            (a, b) => a.or(b),
        };
        let mut fields = contact.fields.unpack();
        for (field, value) in row.fields {
            match fields.iter_mut().find(|(f, _)| *f == field) {
                Some(slot) => slot.1 = value,
                None => fields.push((field, value)),
            }
        }
        contact.phone = phone_field(&fields);
        contact.fields = Fields::pack(&fields);
        let msg = format!(
            "duplicate of contact \"{}\" ({}): non-empty cells merged",
            quote(&contact.id),
            mask(&contact.email)
        );
        Ok(Some(Diagnostic::warning(file, row.line, "duplicate_email", msg)))
    }

    /// The contact an event names: an id first, else an email (normalised).
    pub fn find(&self, reference: &str) -> Option<u32> {
        self.by_id.get(reference, &self.contacts, Key::Id).or_else(|| {
            let email = normalise_email(reference).ok()?;
            self.by_email.get(&email, &self.contacts, Key::Email)
        })
    }

    /// Drops the lookup tables once every event is routed.
    pub fn into_contacts(self) -> Vec<Contact> {
        self.contacts
    }

    /// Gives back the spare room the contact list grew with, once every row is read.
    pub fn shrink(&mut self) {
        self.contacts.shrink_to_fit();
    }
}

/// Which name of a contact a table looks up.
#[derive(Clone, Copy)]
enum Key {
    Id,
    Email,
}

impl Key {
    fn of(self, contact: &Contact) -> &str {
        match self {
            Key::Id => &contact.id,
            Key::Email => &contact.email,
        }
    }
}

/// Names to contact indices without copies of the names: `held` maps a name's hash to a contact that holds the
/// name itself (checked on every hit); `other` keeps, exactly, the names no contact holds or whose hash is taken.
#[derive(Default)]
struct Names {
    held: HashMap<u64, u32>,
    other: HashMap<String, u32>,
}

fn hash(name: &str) -> u64 {
    BuildHasherDefault::<DefaultHasher>::default().hash_one(name) // SipHash, fixed keys: deterministic runs
}

impl Names {
    fn get(&self, name: &str, contacts: &[Contact], key: Key) -> Option<u32> {
        let held = self.held.get(&hash(name)).copied();
        held.filter(|&i| contacts.get(i as usize).is_some_and(|c| key.of(c) == name))
            .or_else(|| self.other.get(name).copied())
    }

    /// Points the name contact `index` holds at it, replacing whatever the name pointed at.
    fn insert_held(&mut self, index: u32, contacts: &[Contact], key: Key) {
        let Some(name) = contacts.get(index as usize).map(|c| key.of(c)) else { return };
        self.other.remove(name);
        let h = hash(name);
        let taken = self
            .held
            .get(&h)
            .is_some_and(|&i| i != index && contacts.get(i as usize).is_some_and(|c| key.of(c) != name));
        if taken {
            self.other.insert(name.to_string(), index); // another name has this hash
        } else {
            self.held.insert(h, index);
        }
    }

    /// Adds a name no contact holds (a name not known yet).
    fn insert_other(&mut self, name: &str, index: u32) {
        self.other.insert(name.to_string(), index);
    }

    /// Contact `index` held `old` and now holds another id: `old` moves to the exact map (it still names the
    /// contact) and the new id is entered if no name took it first.
    fn rename(&mut self, index: u32, old: &str, contacts: &[Contact]) {
        let h = hash(old);
        if self.held.get(&h) == Some(&index) {
            self.held.remove(&h);
            self.other.insert(old.to_string(), index);
        }
        let Some(new) = contacts.get(index as usize).map(|c| c.id.clone()) else { return };
        if self.other.get(&new) == Some(&index) {
            self.other.remove(&new); // entered as an alias just before: now the contact holds it
        } else if self.get(&new, contacts, Key::Id).is_some() {
            return;
        }
        self.insert_held(index, contacts, Key::Id);
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

#[cfg(test)]
mod tests {
    use super::*;

    fn row(line: u64, email: &str, id: Option<&str>) -> ContactRecord {
        let fields = vec![("role".to_string(), Scalar::Str(format!("r{line}")))];
        ContactRecord {
            line,
            email: email.into(),
            id: id.map(str::to_string),
            created_at: None,
            fields,
            events: vec![],
        }
    }

    #[test]
    fn events_find_contacts_by_id_alias_old_email_id_and_any_case_email() {
        let mut r = Roster::default();
        assert!(r.add("c.csv", row(2, "ada@acme.test", None)).is_ok()); // id: the email
        assert!(r.add("c.csv", row(3, "ben@acme.test", Some("b-1"))).is_ok());
        assert!(r.add("c.csv", row(4, "ada@acme.test", Some("a-1"))).is_ok()); // ada gets an export id
        assert!(r.add("c.csv", row(5, "ben@acme.test", Some("b-2"))).is_ok()); // an alias of ben
        assert_eq!(r.contacts.first().map(|c| c.id.as_str()), Some("a-1"));
        assert_eq!(r.find("a-1"), Some(0));
        assert_eq!(r.find("ada@acme.test"), Some(0));
        assert_eq!(r.find(" ADA@Acme.test "), Some(0));
        assert_eq!(r.find("b-1"), Some(1));
        assert_eq!(r.find("b-2"), Some(1));
        assert_eq!(r.find("c-1"), None);
        assert_eq!(r.duplicates, 2);
        let merged = r.contacts.first().map(|c| c.fields.unpack());
        assert_eq!(merged, Some(vec![("role".to_string(), Scalar::Str("r4".into()))]));
    }

    #[test]
    fn an_id_taken_by_another_email_is_a_conflict_and_an_email_named_like_an_id_takes_that_name() {
        let mut r = Roster::default();
        assert!(r.add("c.csv", row(2, "ada@acme.test", Some("x@y.test"))).is_ok());
        let conflict = r.add("c.csv", row(3, "ben@acme.test", Some("x@y.test")));
        assert_eq!(conflict.err().map(|d| d.code), Some("id_conflict"));
        // A contact without an export id is named by its email, even when another contact's id reads the same.
        assert!(r.add("c.csv", row(4, "x@y.test", None)).is_ok());
        assert_eq!(r.find("x@y.test"), Some(1));
        assert_eq!(r.find("ada@acme.test"), Some(0));
    }
}
