//! The contact roster: every accepted contact once, deduplicated by normalised email, then by normalised phone
//! (D22), with the ids and emails events may name.
//!
//! Duplicates: a row is the same contact as an earlier one when its email is the same (`duplicate_email`), or,
//! its email being new, when its phone in E.164 (`rekindle_core::import::phone`, with `--default-calling-code`
//! for national numbers) is the same as that contact's current phone (`duplicate_phone`). The phone is the first
//! non-empty of the fields `phone`, `phone_number`, `mobile_phone_number`, `mobile_phone`, `mobile` (any case:
//! HubSpot's `Phone Number` and `Mobile Phone Number`, Klaviyo's and Mailchimp's `Phone Number` land there). A
//! number that cannot be placed (national without a default code, an extension, letters) is no dedup key: never
//! guessed, counted by reason in one warning ([`Roster::phone_warning`]).
//!
//! Merge rule for a duplicate row: it is counted and reported as a warning with its file and line; its non-empty
//! cells are applied in file order (a later non-empty value replaces an earlier one); `created_at` keeps the
//! earliest; the first id stays the contact's id and a different later id becomes an alias events may use; the
//! contact keeps its first email, and a phone duplicate's own email becomes an alias, so its events still reach
//! the contact. A row whose id already belongs to another contact is rejected (`id_conflict`): merging would join
//! two people.
//!
//! Memory: the lookup tables hold no copy of the names. Each maps a 64-bit hash of a name to the contact's index
//! and checks a hit against the contact's own `id` or `email`; the few names a contact does not hold (an alias id,
//! the email it was known by before its export id arrived, a hash shared with another name) live in a small
//! exact map beside it ([`Names`]).

use std::collections::hash_map::Entry;
use std::collections::{BTreeMap, HashMap};
use std::hash::{BuildHasher, BuildHasherDefault, DefaultHasher, Hasher};

use rekindle_core::import::phone::{e164, CallingCode};
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
    /// The line of the contacts file this contact's first row is on: erasure.json names it, so a contact the
    /// export gave no id can be found in the user's own file without rekindle writing the erased address.
    pub line: u64,
    /// The phone field (see the module docs) as written, kept for the dedup and the ad audiences after the
    /// fields go to the fold.
    pub phone: Option<String>,
}

/// Every contact, and the ways events name them.
#[derive(Default)]
pub struct Roster {
    /// Contacts in file order of their first row.
    pub contacts: Vec<Contact>,
    by_id: Names,
    by_email: Names,
    /// E.164 phone (64-bit hash) → the contact whose current phone it is (checked on every hit).
    by_phone: HashMap<u64, u32>,
    /// Places national phone numbers.
    calling_code: Option<CallingCode>,
    /// Rows merged into an earlier row with the same email or phone.
    pub duplicates: u64,
    /// Of those, rows merged by phone.
    pub phone_duplicates: u64,
    /// Phones that are no dedup key, by reason code.
    unplaced: BTreeMap<&'static str, u64>,
}

impl Roster {
    /// An empty roster placing national phone numbers with `calling_code`.
    pub fn new(calling_code: Option<CallingCode>) -> Roster {
        Roster { calling_code, ..Roster::default() }
    }

    /// The contact's phone: the first phone field that places in E.164, as written and in E.164; when none does,
    /// the first as written and no E.164, counted by reason (`no_country_code` first: its fix is a flag).
    fn choose(&mut self, fields: &[(String, Scalar)]) -> (Option<String>, Option<String>) {
        let candidates = phone_fields(fields);
        let mut reasons = Vec::new();
        for raw in &candidates {
            match e164(raw, self.calling_code) {
                Ok(p) => return (Some(raw.clone()), Some(p)),
                Err(e) => reasons.push(e.code()),
            }
        }
        if let Some(first) = reasons.first() {
            let reason = if reasons.contains(&"no_country_code") { "no_country_code" } else { first };
            *self.unplaced.entry(reason).or_insert(0) += 1;
        }
        (candidates.into_iter().next(), None)
    }

    /// The phone field [`Roster::choose`] picks, without counting (for a merged contact).
    fn current_phone(&self, fields: &[(String, Scalar)]) -> Option<String> {
        let candidates = phone_fields(fields);
        let placed = candidates.iter().find(|raw| e164(raw, self.calling_code).is_ok()).cloned();
        placed.or_else(|| candidates.into_iter().next())
    }

    /// The contact whose current phone is `phone` (E.164).
    fn by_phone(&self, phone: &str) -> Option<u32> {
        let i = *self.by_phone.get(&hash(phone))?;
        let c = self.contacts.get(i as usize)?;
        let current = c.phone.as_deref().and_then(|p| e164(p, self.calling_code).ok());
        (current.as_deref() == Some(phone)).then_some(i)
    }

    /// One warning about the phones that could not be deduplicated, if any.
    pub fn phone_warning(&self, file: &str) -> Option<Diagnostic> {
        let total: u64 = self.unplaced.values().sum();
        if total == 0 {
            return None;
        }
        let parts: Vec<String> = self.unplaced.iter().map(|(code, n)| format!("{n} {code}")).collect();
        let hint = match self.unplaced.contains_key("no_country_code") {
            true => "; pass --default-calling-code (e.g. 48) to place national numbers",
            false => "",
        };
        let msg = format!(
            "{total} phone numbers could not be written in E.164 and were not used to find duplicates ({}){hint}",
            parts.join(", ")
        );
        Some(Diagnostic::warning(file, 0, "phone_not_deduplicated", msg))
    }

    /// Adds one accepted row: a new contact, or a merge into the contact with the same email or phone.
    pub fn add(&mut self, file: &str, row: ContactRecord) -> Result<Option<Diagnostic>, Diagnostic> {
        let by_email = self.by_email.get(&row.email, &self.contacts, Key::Email);
        let (raw_phone, phone) = self.choose(&row.fields);
        let by_phone = match by_email {
            None => phone.as_deref().and_then(|p| self.by_phone(p)),
            Some(_) => None,
        };
        let existing = by_email.or(by_phone);
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
            let fields = Fields::pack(&row.fields);
            let (email, created_at, line) = (row.email, row.created_at, row.line);
            let contact = Contact { id, has_export_id, email, created_at, fields, line, phone: raw_phone };
            self.contacts.push(contact);
            self.by_id.insert_held(index, &self.contacts, Key::Id);
            self.by_email.insert_held(index, &self.contacts, Key::Email);
            if let Some(p) = phone {
                self.by_phone.insert(hash(&p), index); // a stale or colliding entry gives way to the current owner
            }
            return Ok(None);
        };
        self.duplicates += 1;
        if by_phone.is_some() {
            self.phone_duplicates += 1;
            self.by_email.insert_other(&row.email, index); // its events still reach the contact
        }
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
        let merged_phone = self.current_phone(&fields);
        let Some(contact) = self.contacts.get_mut(index as usize) else { return Ok(None) };
        contact.phone = merged_phone;
        contact.fields = Fields::pack(&fields);
        // An id that is the email (no export id) is masked as the email is: the contact may be erased later in the
        // run, and diagnostics.ndjson must not hold its address (D9).
        let id = if contact.has_export_id { quote(&contact.id) } else { mask(&contact.id) };
        let email = mask(&contact.email);
        let new_phone = contact.phone.clone();
        if let Some(p) = new_phone.as_deref().and_then(|p| e164(p, self.calling_code).ok()) {
            if self.by_phone(&p).is_none() {
                self.by_phone.insert(hash(&p), index); // a phone that changed in the merge
            }
        }
        let warning = match (by_phone, phone) {
            (Some(_), Some(p)) => {
                let msg = format!("duplicate of contact \"{id}\" ({email}) by phone {}: non-empty cells merged; this row's email {} is an alias of that contact", mask_phone(&p), mask(&row.email));
                Diagnostic::warning(file, row.line, "duplicate_phone", msg)
            }
            _ => {
                let msg = format!("duplicate of contact \"{id}\" ({email}): non-empty cells merged");
                Diagnostic::warning(file, row.line, "duplicate_email", msg)
            }
        };
        Ok(Some(warning))
    }

    /// The contact an event names: an id first, else an email (normalised).
    pub fn find(&self, reference: &str) -> Option<u32> {
        self.by_id.get(reference, &self.contacts, Key::Id).or_else(|| {
            let email = normalise_email(reference).ok()?;
            self.by_email.get(&email, &self.contacts, Key::Email)
        })
    }

    /// Every address a contact holds besides its own email (a phone duplicate's email, D22), as (contact index,
    /// normalised email), sorted. The carried tombstones and suppression list are checked against each, and an
    /// erased or suppressed contact's list entries are written for each: an address a person used stays blocked
    /// whichever of their addresses a later export keeps.
    pub fn aliases(&self) -> Vec<(u32, String)> {
        let mut out: Vec<(u32, String)> = self
            .by_email
            .other
            .iter()
            .filter(|(email, i)| self.contacts.get(**i as usize).is_some_and(|c| c.email != **email))
            .map(|(email, i)| (*i, email.clone()))
            .collect();
        out.sort_unstable();
        out
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
    held: HashMap<u64, u32, BuildHasherDefault<Prehashed>>,
    other: HashMap<String, u32>,
}

/// The hasher of `held`, whose keys are SipHashes already: hashing them again would only cost time (every event
/// is looked up here).
#[derive(Default)]
struct Prehashed(u64);

impl Hasher for Prehashed {
    fn finish(&self) -> u64 {
        self.0
    }

    fn write(&mut self, bytes: &[u8]) {
        for b in bytes {
            self.0 = self.0.rotate_left(8) ^ u64::from(*b);
        }
    }

    fn write_u64(&mut self, n: u64) {
        self.0 = n;
    }
}

fn hash(name: &str) -> u64 {
    BuildHasherDefault::<DefaultHasher>::default().hash_one(name) // SipHash, fixed keys: deterministic runs
}

impl Names {
    fn get(&self, name: &str, contacts: &[Contact], key: Key) -> Option<u32> {
        let held = self.held.get(&hash(name)).copied();
        // `other` is nearly always empty (aliases, hash collisions): skip hashing the name for it then.
        held.filter(|&i| contacts.get(i as usize).is_some_and(|c| key.of(c) == name)).or_else(|| {
            if self.other.is_empty() {
                None
            } else {
                self.other.get(name).copied()
            }
        })
    }

    /// Points the name contact `index` holds at it, replacing whatever the name pointed at.
    fn insert_held(&mut self, index: u32, contacts: &[Contact], key: Key) {
        let Some(name) = contacts.get(index as usize).map(|c| key.of(c)) else { return };
        if !self.other.is_empty() {
            self.other.remove(name);
        }
        // One probe of `held` (an entry), not a lookup and then an insert: a million contacts make it a large
        // table, and each probe there is a cache miss.
        match self.held.entry(hash(name)) {
            Entry::Occupied(mut slot) => {
                let i = *slot.get();
                if i != index && contacts.get(i as usize).is_some_and(|c| key.of(c) != name) {
                    self.other.insert(name.to_string(), index); // another name has this hash
                } else {
                    slot.insert(index);
                }
            }
            Entry::Vacant(slot) => {
                slot.insert(index);
            }
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

/// The fields a phone is read from, in order of preference.
const PHONE_FIELDS: [&str; 5] = ["phone", "phone_number", "mobile_phone_number", "mobile_phone", "mobile"];

/// The phone fields present (any case), in [`PHONE_FIELDS`] order, as text; a cell read as a number is written
/// back in digits.
fn phone_fields(fields: &[(String, Scalar)]) -> Vec<String> {
    PHONE_FIELDS
        .iter()
        .filter_map(|name| fields.iter().find(|(f, _)| f.eq_ignore_ascii_case(name)))
        .map(|(_, v)| match v {
            Scalar::Str(s) => s.clone(),
            Scalar::Num(n) => rekindle_core::time::short_number(*n),
            Scalar::Bool(b) => b.to_string(),
        })
        .filter(|s| !s.trim().is_empty())
        .collect()
}

/// `+48600100200` → `+48******200`: enough to recognise, not a copy of the number.
fn mask_phone(e164: &str) -> String {
    let digits: Vec<char> = e164.chars().skip(1).collect();
    let keep_head = digits.len().min(2);
    let keep_tail = 3.min(digits.len().saturating_sub(keep_head));
    let hidden = digits.len() - keep_head - keep_tail;
    let head: String = digits.iter().take(keep_head).collect();
    let tail: String = digits.iter().skip(keep_head + hidden).collect();
    format!("+{head}{}{tail}", "*".repeat(hidden))
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

    fn with_phone(line: u64, email: &str, phone: &str) -> ContactRecord {
        let mut r = row(line, email, None);
        r.fields.push(("Phone_Number".to_string(), Scalar::Str(phone.into())));
        r
    }

    #[test]
    fn rows_with_a_new_email_but_the_same_phone_merge_and_their_email_becomes_an_alias() {
        let mut r = Roster::new(CallingCode::parse("48").ok());
        assert!(r.add("c.csv", with_phone(2, "ada@acme.test", "+48 600 100 200")).is_ok());
        let merged = r.add("c.csv", with_phone(3, "ada.private@mail.test", "0600-100-200"));
        let warning = merged.ok().flatten();
        assert_eq!(warning.as_ref().map(|d| (d.code, d.line)), Some(("duplicate_phone", 3)));
        let message = warning.map(|d| d.message).unwrap_or_default();
        assert!(message.contains("+48******200") && !message.contains("600100200"), "{message}");
        assert_eq!(r.contacts.len(), 1);
        assert_eq!((r.duplicates, r.phone_duplicates), (1, 1));
        assert_eq!(r.find("ada.private@mail.test"), Some(0), "events to the second address reach the contact");
        assert_eq!(r.aliases(), [(0, "ada.private@mail.test".to_string())], "the contact's other address");
        // The same email with another phone is an email duplicate; the email match wins.
        let same_email = r.add("c.csv", with_phone(4, "ada@acme.test", "+48 600 999 999"));
        assert_eq!(same_email.ok().flatten().map(|d| d.code), Some("duplicate_email"));
        assert!(
            r.add("c.csv", with_phone(5, "ben@acme.test", "600 999 999")).is_ok_and(|w| w.is_some()),
            "the merged-in phone is the contact's now"
        );
    }

    #[test]
    fn phones_that_cannot_be_placed_never_merge_and_are_counted_in_one_warning() {
        let mut r = Roster::new(None);
        assert!(r.add("c.csv", with_phone(2, "a@acme.test", "600 100 200")).is_ok());
        assert!(
            r.add("c.csv", with_phone(3, "b@acme.test", "600 100 200")).is_ok_and(|w| w.is_none()),
            "national, no code: not merged"
        );
        assert!(r.add("c.csv", with_phone(4, "c@acme.test", "+48 22 555 01 00 ext 12")).is_ok());
        assert!(
            r.add("c.csv", with_phone(5, "d@acme.test", "+48 22 555 01 00 ext 13")).is_ok_and(|w| w.is_none()),
            "a switchboard joins no one"
        );
        assert_eq!(r.contacts.len(), 4);
        let w = r.phone_warning("c.csv").map(|d| (d.code, d.message));
        let (code, message) = w.unwrap_or_default();
        assert_eq!(code, "phone_not_deduplicated");
        assert!(
            message.starts_with("4 phone numbers") && message.contains("2 extension, 2 no_country_code"),
            "{message}"
        );
        assert!(message.contains("--default-calling-code"), "{message}");
        assert!(Roster::new(None).phone_warning("c.csv").is_none());
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
