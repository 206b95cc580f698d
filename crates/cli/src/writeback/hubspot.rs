//! HubSpot (D45): `hubspot_contacts_import.csv`, a contacts import keyed by `Email` (and `Record ID` when the
//! export was HubSpot's), with the plan as custom properties named `rekindle_…`; and `hubspot_properties.json`,
//! the definitions HubSpot needs before the import can map those columns (it maps a header only to a property
//! that exists), as the body of `POST /crm/v3/properties/contacts/batch/create`
//! (developers.hubspot.com/docs/api/crm/properties: `name`, `label`, `type`, `fieldType`, `groupName`,
//! `options`). Import files: knowledge.hubspot.com/import-and-export/set-up-your-import-file.

use std::borrow::Cow;

use serde::Serialize;

use super::{rows, write_csv, Row, NONE};
use crate::error::CliError;
use crate::output::OutDir;
use crate::plan::Plan;

/// The import file.
pub const IMPORT: &str = "hubspot_contacts_import.csv";
/// The property definitions.
pub const PROPERTIES: &str = "hubspot_properties.json";

/// The property group the definitions go to: HubSpot's default "Contact information".
const GROUP: &str = "contactinformation";

/// The custom properties, in column order: internal name, label, HubSpot `type` and `fieldType`.
const COLUMNS: [(&str, &str, &str, &str); 11] = [
    ("rekindle_lifecycle", "rekindle lifecycle", "enumeration", "select"),
    ("rekindle_lifecycle_since", "rekindle lifecycle since", "datetime", "date"),
    ("rekindle_stage", "rekindle stage", "enumeration", "select"),
    ("rekindle_readiness", "rekindle readiness", "enumeration", "select"),
    ("rekindle_fit_score", "rekindle fit score", "number", "number"),
    ("rekindle_intent_score", "rekindle intent score", "number", "number"),
    ("rekindle_total_score", "rekindle total score", "number", "number"),
    ("rekindle_segments", "rekindle segments", "enumeration", "checkbox"),
    ("rekindle_next_step", "rekindle next step", "string", "text"),
    ("rekindle_next_due_at", "rekindle next step due", "datetime", "date"),
    ("rekindle_email_verdict", "rekindle email verdict", "enumeration", "select"),
];

/// Writes both files. `record_ids`: the export was HubSpot's, so its ids are HubSpot Record IDs.
pub fn write(plan: &Plan, out: &mut OutDir, record_ids: bool) -> Result<(), CliError> {
    write_properties(plan, out)?;
    let mut header = vec!["Record ID", "Email"];
    header.extend(COLUMNS.iter().map(|c| c.0));
    write_csv(out, IMPORT, &header, |w| {
        let mut n = 0;
        for row in rows(plan) {
            w.write_record(cells(&row, record_ids).iter().map(|c| c.as_bytes()))?;
            n += 1;
        }
        Ok(n)
    })
}

/// One import row. Multiple checkbox values are separated by `;`, as HubSpot's import reads them.
fn cells<'a>(row: &Row<'a>, record_ids: bool) -> Vec<Cow<'a, str>> {
    let id = if record_ids { row.export_id.unwrap_or_default() } else { "" };
    let [fit, intent, total] = row.scores();
    let segments = if row.segments.is_empty() { NONE.to_string() } else { row.segments.join(";") };
    vec![
        Cow::Borrowed(id),
        Cow::Borrowed(row.email),
        row.lifecycle(),
        Cow::Owned(row.lifecycle_since()),
        row.stage(),
        row.readiness(),
        Cow::Owned(fit),
        Cow::Owned(intent),
        Cow::Owned(total),
        Cow::Owned(segments),
        Cow::Owned(row.next_step()),
        Cow::Owned(row.next_due_at()),
        Cow::Borrowed(row.email_verdict()),
    ]
}

#[derive(Serialize)]
#[serde(rename_all = "camelCase")]
struct Property {
    name: &'static str,
    label: &'static str,
    #[serde(rename = "type")]
    kind: &'static str,
    field_type: &'static str,
    group_name: &'static str,
    description: String,
    #[serde(skip_serializing_if = "Vec::is_empty")]
    options: Vec<Choice>,
}

#[derive(Serialize)]
#[serde(rename_all = "camelCase")]
struct Choice {
    label: String,
    value: String,
    display_order: usize,
}

/// `hubspot_properties.json`: `{"inputs": [...]}`, one definition per custom column, with the options of each
/// dropdown (the segments: this playbook's, plus `none`).
fn write_properties(plan: &Plan, out: &mut OutDir) -> Result<(), CliError> {
    let options = |name: &str| -> Vec<Cow<'_, str>> {
        match name {
            "rekindle_lifecycle" => super::lifecycle_names(),
            "rekindle_stage" => super::stage_names(),
            "rekindle_readiness" => super::readiness_names(),
            "rekindle_email_verdict" => ["allow", "defer", "deny"].map(Cow::Borrowed).to_vec(),
            "rekindle_segments" => {
                plan.segment_ids.iter().map(|s| Cow::Owned(s.clone())).chain([Cow::Borrowed(NONE)]).collect()
            }
            _ => Vec::new(),
        }
    };
    let inputs: Vec<Property> = COLUMNS
        .iter()
        .map(|&(name, label, kind, field_type)| Property {
            name,
            label,
            kind,
            field_type,
            group_name: GROUP,
            description: format!("Written by rekindle plan ({name}); imported from {IMPORT}."),
            options: options(name)
                .into_iter()
                .enumerate()
                .map(|(i, v)| Choice { label: v.to_string(), value: v.into_owned(), display_order: i })
                .collect(),
        })
        .collect();
    out.write(PROPERTIES, |w| {
        serde_json::to_writer_pretty(&mut *w, &serde_json::json!({ "inputs": inputs }))?;
        w.write_all(b"\n")?;
        Ok(inputs.len() as u64)
    })
}
