//! The `contacts` section: how a generic contacts CSV's columns map to a contact (its email, export id and
//! creation instant) and to profile fields, for exports whose headers are not `email`, `id` and `created_at`
//! (`"E-mail Address"`, `"Customer ID"`, `"Job Title"`). Vendor exports (Mailchimp, HubSpot, Klaviyo) have
//! their own known columns and do not read it.
//!
//! Headers are matched trimmed and in any letter case, as the generic reader always matched `email`. A column
//! the playbook names must be in the header (a typo is an unusable file, not contacts without ids); the
//! defaults are looked for and may be absent, except `email`.

use alloc::format;
use alloc::string::String;
use alloc::vec::Vec;

use super::compiled::compiled_struct;
use super::reader::{join, Reader};
use crate::error::ProblemCode;
use crate::time::quote;
use crate::value::Value;

/// One of a contact's own columns.
#[derive(Debug, Clone, PartialEq)]
pub struct Column {
    /// The header that holds it.
    pub header: String,
    /// Named by the playbook: the file must have it.
    pub named: bool,
}

compiled_struct!(Column { header, named });

/// The generic contacts CSV's columns. The default maps `email`, `id` and `created_at` and keeps every other
/// column as a profile field under its own header.
#[derive(Debug, Clone, PartialEq)]
pub struct ContactColumns {
    /// The contact's email (required in every file).
    pub email: Column,
    /// The export's id for the contact.
    pub id: Column,
    /// When the contact was created (RFC 3339 or epoch ms).
    pub created_at: Column,
    /// Headers renamed as profile fields (`"Job Title"` → `role`), in playbook order.
    fields: Vec<(String, String)>,
}

compiled_struct!(ContactColumns { email, id, created_at, fields });

impl Default for ContactColumns {
    fn default() -> Self {
        let column = |header: &str| Column { header: header.into(), named: false };
        ContactColumns {
            email: column("email"),
            id: column("id"),
            created_at: column("created_at"),
            fields: Vec::new(),
        }
    }
}

impl ContactColumns {
    /// The profile field a column's values go to: its name in `fields`, else the header itself.
    ///
    /// ```
    /// # use rekindle_core::{Playbook, Value};
    /// let text = r#"{"version": 1, "signals": {}, "contacts": {"columns": {"fields": {"Job Title": "role"}}}}"#;
    /// let pb = Playbook::parse(&serde_json::from_str::<Value>(text).unwrap()).unwrap();
    /// assert_eq!(pb.contact_columns().field_for(" job title "), "role");
    /// assert_eq!(pb.contact_columns().field_for("company_size"), "company_size");
    /// ```
    pub fn field_for<'a>(&'a self, header: &'a str) -> &'a str {
        let header = header.trim();
        self.fields.iter().find(|(h, _)| h.eq_ignore_ascii_case(header)).map_or(header, |(_, field)| field)
    }

    /// The headers `fields` renames, with their field names.
    pub fn renamed(&self) -> impl Iterator<Item = (&str, &str)> {
        self.fields.iter().map(|(h, f)| (h.as_str(), f.as_str()))
    }
}

/// Parses `contacts` (`{ "columns": { "email", "id", "created_at", "fields" } }`).
pub(crate) fn parse_contacts(r: &mut Reader, v: &Value) -> ContactColumns {
    let mut out = ContactColumns::default();
    let Some(section) = r.object(v, "contacts", &["columns"]) else { return out };
    let Some(columns) = section.get("columns") else { return out };
    let path = section.at("columns");
    let Some(columns) = r.object(columns, &path, &["email", "id", "created_at", "fields"]) else { return out };
    for (key, slot) in [("email", &mut out.email), ("id", &mut out.id), ("created_at", &mut out.created_at)] {
        let Some(v) = columns.get(key) else { continue };
        if let Some(header) = header(r, v, &columns.at(key)) {
            *slot = Column { header, named: true };
        }
    }
    let own = [("email", &out.email), ("id", &out.id), ("created_at", &out.created_at)];
    for (i, (key, c)) in own.iter().enumerate() {
        if c.named && own.iter().take(i).any(|(_, o)| o.named && o.header.eq_ignore_ascii_case(&c.header)) {
            let msg = format!("\"{}\" is already named for another of email, id and created_at", quote(&c.header));
            r.problem(columns.at(key), ProblemCode::DuplicateId, msg);
        }
    }
    let Some(fields) = columns.get("fields") else { return out };
    let fields_path = columns.at("fields");
    let Some(fields) = r.object(fields, &fields_path, &[]) else { return out };
    for (raw, v) in fields.entries() {
        let at = join(&fields_path, raw);
        let Some(h) = header_text(r, raw, &at) else { continue };
        let Some(field) = r.string(v, &at) else { continue };
        if !r.id(field, &at) {
            continue;
        }
        if own.iter().any(|(_, c)| c.header.eq_ignore_ascii_case(&h)) {
            let msg = format!("\"{}\" is the email, id or created_at column; it cannot be a profile field", quote(&h));
            r.problem(at, ProblemCode::DuplicateId, msg);
        } else if out.fields.iter().any(|(seen, _)| seen.eq_ignore_ascii_case(&h)) {
            let msg = format!("\"{}\" is mapped twice (headers match in any letter case)", quote(&h));
            r.problem(at, ProblemCode::DuplicateId, msg);
        } else if out.fields.iter().any(|(_, f)| f == field) {
            r.problem(at, ProblemCode::DuplicateId, format!("two columns are mapped to the field \"{field}\""));
        } else {
            out.fields.push((h, String::from(field)));
        }
    }
    out
}

/// A header named by a string value.
fn header(r: &mut Reader, v: &Value, path: &str) -> Option<String> {
    let text = r.string(v, path)?;
    header_text(r, text, path)
}

/// A header: 1 to 256 characters once trimmed.
fn header_text(r: &mut Reader, text: &str, path: &str) -> Option<String> {
    let trimmed = text.trim();
    if trimmed.is_empty() || trimmed.chars().count() > 256 {
        r.refused(path, ProblemCode::OutOfRange, "a column header of 1 to 256 characters", text);
        return None;
    }
    Some(String::from(trimmed))
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::error::Error;
    use crate::Playbook;
    use alloc::string::ToString;

    fn playbook(contacts: Value) -> Result<Playbook, Error> {
        Playbook::parse(&Value::Object(alloc::vec![
            ("version".to_string(), Value::Number(1.0)),
            ("signals".to_string(), Value::Object(alloc::vec![])),
            ("contacts".to_string(), contacts),
        ]))
    }

    fn text(s: &str) -> Value {
        Value::String(s.into())
    }

    fn object(entries: &[(&str, Value)]) -> Value {
        Value::Object(entries.iter().map(|(k, v)| (k.to_string(), v.clone())).collect())
    }

    /// Each problem's path and code.
    fn problems(contacts: Value) -> Vec<(String, ProblemCode)> {
        match playbook(contacts) {
            Err(Error::InvalidPlaybook { problems }) => problems.iter().map(|p| (p.path.clone(), p.code)).collect(),
            other => panic!("expected problems, got {other:?}"),
        }
    }

    #[test]
    fn columns_name_headers_and_rename_fields() {
        let columns = object(&[
            ("email", text(" E-mail Address ")),
            ("created_at", text("Signed up")),
            ("fields", object(&[("Job Title", text("role")), ("Employees", text("company_size"))])),
        ]);
        let pb = playbook(object(&[("columns", columns)])).expect("valid");
        let c = pb.contact_columns();
        assert_eq!(c.email, Column { header: "E-mail Address".into(), named: true });
        assert_eq!(c.id, Column { header: "id".into(), named: false });
        assert_eq!(c.created_at, Column { header: "Signed up".into(), named: true });
        assert_eq!(
            (c.field_for("JOB TITLE"), c.field_for("employees"), c.field_for("Plan")),
            ("role", "company_size", "Plan")
        );
        assert_eq!(playbook(object(&[])).expect("valid").contact_columns(), &ContactColumns::default());
    }

    #[test]
    fn bad_mappings_are_named_with_their_paths() {
        let got = problems(object(&[(
            "columns",
            object(&[
                ("email", text("  ")),
                ("id", Value::Number(3.0)),
                ("phone", text("Phone")),
                (
                    "fields",
                    object(&[
                        ("Job Title", text("Role!")),
                        ("Title", text("role")),
                        ("TITLE", text("title")),
                        ("Seats", text("role")),
                        ("created_at", text("signup")),
                        ("", text("blank")),
                    ]),
                ),
            ]),
        )]));
        let want = [
            ("contacts.columns.phone", ProblemCode::UnknownField),
            ("contacts.columns.email", ProblemCode::OutOfRange),
            ("contacts.columns.id", ProblemCode::WrongType),
            ("contacts.columns.fields.Job Title", ProblemCode::BadId),
            ("contacts.columns.fields.TITLE", ProblemCode::DuplicateId),
            ("contacts.columns.fields.Seats", ProblemCode::DuplicateId),
            ("contacts.columns.fields.created_at", ProblemCode::DuplicateId),
            ("contacts.columns.fields.", ProblemCode::OutOfRange),
        ];
        for (path, code) in want {
            assert!(got.iter().any(|(p, c)| p == path && *c == code), "{path} {code:?} not in {got:?}");
        }
        let twice = problems(object(&[("columns", object(&[("email", text("Mail")), ("id", text("mail"))]))]));
        assert_eq!(twice, alloc::vec![("contacts.columns.id".to_string(), ProblemCode::DuplicateId)]);
        assert_eq!(problems(text("x")), alloc::vec![("contacts".to_string(), ProblemCode::WrongType)]);
    }
}
