//! The JSON files: `plan.json` (an array, one contact per line), `erasure.json`, `diagnostics.ndjson` and
//! `manifest.json`. Field names are the camelCase of the JS DTOs; instants are epoch milliseconds.

use std::borrow::Cow;
use std::path::Path;

use serde::Serialize;

use super::{name, Summary};
use crate::output::OutDir;
use crate::plan::outcome::{EmailVerdict, Reasons};
use crate::plan::Plan;
use crate::CliError;

#[derive(Serialize)]
#[serde(rename_all = "camelCase")]
struct Lifecycle {
    state: Cow<'static, str>,
    since: Option<i64>,
    next_transition_at: Option<i64>,
    reactivated_at: Option<i64>,
    showed_intent: bool,
}

#[derive(Serialize)]
#[serde(rename_all = "camelCase")]
struct Step<'a> {
    sequence: &'a str,
    step: &'a str,
    channel: Cow<'static, str>,
    due_at: i64,
    send_at: Option<i64>,
}

#[derive(Serialize)]
struct Email {
    verdict: &'static str,
    #[serde(skip_serializing_if = "Option::is_none")]
    until: Option<i64>,
}

#[derive(Serialize)]
#[serde(rename_all = "camelCase")]
struct Row<'a> {
    id: &'a str,
    email: Option<&'a str>,
    lifecycle: Lifecycle,
    #[serde(skip_serializing_if = "Option::is_none")]
    stage: Option<Cow<'static, str>>,
    #[serde(skip_serializing_if = "Option::is_none")]
    readiness: Option<Cow<'static, str>>,
    #[serde(skip_serializing_if = "Option::is_none")]
    scores: Option<rekindle_core::Scores>,
    segments: Vec<&'a str>,
    next_step: Option<Step<'a>>,
    #[serde(skip_serializing_if = "Option::is_none")]
    email_verdict: Option<Email>,
    cta: Option<&'a str>,
    reasons: &'a Reasons,
}

/// Writes a JSON array with one item per line. Each item is serialized into one reused buffer and written whole:
/// serde_json writes a row in some forty pieces, each a dynamic call into the file's writer otherwise.
fn write_array<T: Serialize>(out: &mut OutDir, rel: &str, items: impl Iterator<Item = T>) -> Result<(), CliError> {
    out.write(rel, |w| {
        let mut n = 0u64;
        let mut line = Vec::with_capacity(1024);
        w.write_all(b"[")?;
        for item in items {
            line.clear();
            line.extend_from_slice(if n == 0 { b"\n" } else { b",\n" });
            serde_json::to_writer(&mut line, &item)?;
            w.write_all(&line)?;
            n += 1;
        }
        w.write_all(b"\n]\n")?;
        Ok(n)
    })
}

/// `plan.json`: the same contacts as `plan.csv`. An erased contact: its id, `email: null` and its lifecycle.
pub fn write_plan(plan: &Plan, out: &mut OutDir) -> Result<(), CliError> {
    let no_reasons = &Reasons::default();
    let rows = plan.order.iter().filter_map(|&i| {
        let (c, p, id) = (plan.contacts.get(i)?, plan.planned.get(i)?, plan.out_ids.get(i)?);
        let l = &p.lifecycle;
        let lifecycle = Lifecycle {
            state: name(&l.state),
            since: l.since.map(|t| t.ms()),
            next_transition_at: l.next_transition_at.map(|t| t.ms()),
            reactivated_at: l.reactivated_at.map(|t| t.ms()),
            showed_intent: l.showed_intent,
        };
        if p.erased() {
            let empty = Row {
                id,
                email: None,
                lifecycle,
                stage: None,
                readiness: None,
                scores: None,
                segments: Vec::new(),
                next_step: None,
                email_verdict: None,
                cta: None,
                reasons: no_reasons,
            };
            return Some(empty);
        }
        let email_verdict = match p.email {
            EmailVerdict::Allow => Email { verdict: "allow", until: None },
            EmailVerdict::Defer(t) => Email { verdict: "defer", until: Some(t.ms()) },
            EmailVerdict::Deny => Email { verdict: "deny", until: None },
        };
        Some(Row {
            id,
            email: Some(&c.email),
            lifecycle,
            stage: Some(name(&p.stage)),
            readiness: Some(name(&p.readiness)),
            scores: Some(p.scores),
            segments: p
                .segments
                .iter()
                .filter_map(|s| plan.segment_ids.get(usize::from(*s)).map(String::as_str))
                .collect(),
            next_step: p.next_step.as_ref().map(|s| Step {
                sequence: &s.sequence,
                step: &s.step,
                channel: name(&s.channel),
                due_at: s.due_at.ms(),
                send_at: s.send_at.map(|t| t.ms()),
            }),
            email_verdict: Some(email_verdict),
            cta: p.cta.as_deref(),
            reasons: &p.reasons,
        })
    });
    write_array(out, "plan.json", rows)
}

#[derive(Serialize)]
#[serde(rename_all = "camelCase")]
struct Erasure<'a> {
    /// The ESP's record id; `null` when the contacts file had none for this contact.
    id: Option<&'a str>,
    /// The line of the contacts file the contact came from: without an id, the ESP record is the one whose
    /// address that line of the user's own export holds (the address itself is written nowhere, D9).
    contacts_line: u64,
    erased_at: Option<i64>,
    tombstone: String,
}

/// `erasure.json` (D9): the ESP records to erase, by id (else by the contacts file's line), with the tombstone that
/// proves it was done. No email.
pub fn write_erasure(plan: &Plan, out: &mut OutDir) -> Result<(), CliError> {
    let rows = plan.order.iter().filter_map(|&i| {
        let (c, p) = (plan.contacts.get(i)?, plan.planned.get(i)?);
        p.erased().then(|| Erasure {
            id: c.has_export_id.then_some(c.id.as_str()),
            contacts_line: c.line,
            erased_at: p.lifecycle.since.map(|t| t.ms()),
            tombstone: plan.salt.tombstone(&c.email),
        })
    });
    write_array(out, "erasure.json", rows)
}

/// `diagnostics.ndjson`: every diagnostic, rejects and warnings, one JSON object per line.
pub fn write_diagnostics(plan: &Plan, out: &mut OutDir) -> Result<(), CliError> {
    out.write("diagnostics.ndjson", |w| {
        for d in &plan.diagnostics {
            serde_json::to_writer(&mut *w, d)?;
            w.write_all(b"\n")?;
        }
        Ok(plan.diagnostics.len() as u64)
    })
}

#[derive(Serialize)]
#[serde(rename_all = "camelCase")]
struct Manifest<'a> {
    version: u32,
    generator: String,
    playbook: String,
    /// `Salt::check`: a later run given this plan as `--previous` refuses it when its salt differs.
    salt_check: String,
    #[serde(flatten)]
    summary: &'a Summary,
}

/// `manifest.json`, written last: every other file with its rows and SHA-256, and the run's counts.
pub fn write_manifest(
    out: &mut OutDir,
    summary: &Summary,
    playbook: &Path,
    salt: &crate::tombstone::Salt,
) -> Result<(), CliError> {
    let manifest = Manifest {
        version: 1,
        generator: format!("rekindle {}", env!("CARGO_PKG_VERSION")),
        playbook: playbook.display().to_string(),
        salt_check: salt.check(),
        summary,
    };
    out.write("manifest.json", |w| {
        serde_json::to_writer_pretty(&mut *w, &manifest)?;
        w.write_all(b"\n")?;
        Ok(summary.files.len() as u64)
    })
}
