//! Write-back files (D45): the plan in the formats the contacts' ESP or CRM imports as is, so segments, scores,
//! stage, readiness, lifecycle and the next step reach the system the campaign is sent from without a mapping
//! spreadsheet in between. `--write-back hubspot|mailchimp|klaviyo|none` picks the format; by default it is the
//! vendor the contacts export came from (`--contacts-format`, else detected from its header), and a generic CSV
//! gets none.
//!
//! What every format shares: erased contacts never appear (D9); suppressed contacts keep their status fields
//! (a bounced or unsubscribed contact's record should still say so) but no file carries a subscription or
//! consent column, so importing one can never subscribe anybody (D4; the README names each vendor's import
//! options that keep statuses as they are); rows are sorted by contact id and the same input and `--now` give
//! the same bytes. Files sit at the top of the output directory, so the manifest lists them and a later run
//! that writes another format removes them.

pub mod hubspot;
pub mod klaviyo;
pub mod mailchimp;

use std::borrow::Cow;
use std::io::Read;

use rekindle_core::import::contacts::VendorKind;

use crate::adapter::vendor_csv::ContactsFormat;
use crate::args::PlanArgs;
use crate::error::CliError;
use crate::output::OutDir;
use crate::plan::outcome::{EmailVerdict, Planned};
use crate::plan::Plan;
pub(crate) use crate::report::csv::write_csv;
use crate::report::{name, rfc3339};

/// `--write-back`: which system's import files to write.
#[derive(Clone, Copy, Debug, PartialEq, Eq, clap::ValueEnum)]
pub enum WriteBack {
    /// A HubSpot contacts import and the custom property definitions it needs.
    Hubspot,
    /// A Mailchimp audience import with tags and merge fields, and the tags to remove.
    Mailchimp,
    /// A Klaviyo profile import and one list import per segment.
    Klaviyo,
    /// No write-back files.
    None,
}

/// The write-back format of this run: the flag, else the contacts export's vendor (generic: none).
pub fn target(args: &PlanArgs) -> Result<WriteBack, CliError> {
    if let Some(given) = args.write_back {
        return Ok(given);
    }
    Ok(match input_vendor(args)? {
        ContactsFormat::Hubspot => WriteBack::Hubspot,
        ContactsFormat::Mailchimp => WriteBack::Mailchimp,
        ContactsFormat::Klaviyo => WriteBack::Klaviyo,
        ContactsFormat::Generic => WriteBack::None,
    })
}

/// The contacts export's format as the reader chose it: `--contacts-format`, else detected from the header.
fn input_vendor(args: &PlanArgs) -> Result<ContactsFormat, CliError> {
    if let Some(given) = args.contacts_format {
        return Ok(given);
    }
    let mut head = Vec::new();
    crate::output::open(&args.contacts)?
        .take(64 * 1024)
        .read_to_end(&mut head)
        .map_err(|source| CliError::Io { path: args.contacts.clone(), source })?;
    Ok(match rekindle_core::import::contacts::detect(&head) {
        Some(VendorKind::Mailchimp) => ContactsFormat::Mailchimp,
        Some(VendorKind::Hubspot) => ContactsFormat::Hubspot,
        Some(VendorKind::Klaviyo) => ContactsFormat::Klaviyo,
        None => ContactsFormat::Generic,
    })
}

/// Writes the files of the chosen format (nothing for `none`).
pub fn write(plan: &Plan, out: &mut OutDir, args: &PlanArgs) -> Result<(), CliError> {
    let target = target(args)?;
    // The export's id is the target's record id only when the export came from the same system.
    let same_system = target != WriteBack::None && input_vendor(args)? == format_of(target);
    match target {
        WriteBack::Hubspot => hubspot::write(plan, out, same_system),
        WriteBack::Mailchimp => mailchimp::write(plan, out),
        WriteBack::Klaviyo => klaviyo::write(plan, out),
        WriteBack::None => Ok(()),
    }
}

fn format_of(target: WriteBack) -> ContactsFormat {
    match target {
        WriteBack::Hubspot => ContactsFormat::Hubspot,
        WriteBack::Mailchimp => ContactsFormat::Mailchimp,
        WriteBack::Klaviyo => ContactsFormat::Klaviyo,
        WriteBack::None => ContactsFormat::Generic,
    }
}

/// The value written for "no next step" and "in no segment": an empty cell would leave the value of the last
/// import in place (imports skip blank cells), so a contact that left every segment would keep the old ones.
pub const NONE: &str = "none";

/// What one contact's write-back row says, borrowed from the plan.
pub struct Row<'a> {
    /// The contact's id in the export (`None`: the export had none, the id is the email).
    pub export_id: Option<&'a str>,
    /// Normalised email.
    pub email: &'a str,
    /// The plan of the contact.
    pub planned: &'a Planned,
    /// Segment ids, playbook order.
    pub segments: Vec<&'a str>,
}

impl Row<'_> {
    /// Lifecycle state (`cold`, `soft_reactivation`, …).
    pub fn lifecycle(&self) -> Cow<'static, str> {
        name(&self.planned.lifecycle.state)
    }

    /// Since when, RFC 3339 UTC (empty when core gives no instant).
    pub fn lifecycle_since(&self) -> String {
        self.planned.lifecycle.since.map(|t| rfc3339(t.ms())).unwrap_or_default()
    }

    /// Stage (`lead` … `customer`).
    pub fn stage(&self) -> Cow<'static, str> {
        name(&self.planned.stage)
    }

    /// Readiness (`cold`, `warm`, `hot`).
    pub fn readiness(&self) -> Cow<'static, str> {
        name(&self.planned.readiness)
    }

    /// The three scores as plan.csv writes them.
    pub fn scores(&self) -> [String; 3] {
        let s = &self.planned.scores;
        [s.fit, s.intent, s.total].map(rekindle_core::time::short_number)
    }

    /// The next step as `sequence/step`, else [`NONE`].
    pub fn next_step(&self) -> String {
        self.planned.next_step.as_ref().map_or_else(|| NONE.to_string(), |s| format!("{}/{}", s.sequence, s.step))
    }

    /// When the next step is due (empty without one).
    pub fn next_due_at(&self) -> String {
        self.planned.next_step.as_ref().map(|s| rfc3339(s.due_at.ms())).unwrap_or_default()
    }

    /// The send policy's verdict on email: `allow`, `defer` or `deny`.
    pub fn email_verdict(&self) -> &'static str {
        match self.planned.email {
            EmailVerdict::Allow => "allow",
            EmailVerdict::Defer(_) => "defer",
            EmailVerdict::Deny => "deny",
        }
    }

    /// Email suppressed (bounced, complained, unsubscribed): kept in property imports, left out of send lists.
    pub fn suppressed(&self) -> bool {
        self.planned.email_suppressed()
    }
}

/// Every contact that may be written back (erased never), sorted by contact id.
pub fn rows(plan: &Plan) -> impl Iterator<Item = Row<'_>> + '_ {
    plan.order.iter().filter_map(|&i| {
        let (c, p) = (plan.contacts.get(i)?, plan.planned.get(i)?);
        if p.erased() {
            return None;
        }
        let segments =
            p.segments.iter().filter_map(|s| plan.segment_ids.get(usize::from(*s)).map(String::as_str)).collect();
        Some(Row { export_id: c.has_export_id.then_some(c.id.as_str()), email: &c.email, planned: p, segments })
    })
}

/// The lifecycle states, stages and readinesses core decides, as the files write them (HubSpot's dropdown
/// options; Mailchimp's lifecycle tags).
pub fn lifecycle_names() -> Vec<Cow<'static, str>> {
    use rekindle_core::lifecycle::Phase;
    [Phase::Active, Phase::Cooling, Phase::Cold, Phase::SoftReactivation, Phase::BreakUp, Phase::Archived]
        .iter()
        .map(name)
        .collect()
}

/// The stages, lead to customer.
pub fn stage_names() -> Vec<Cow<'static, str>> {
    use rekindle_core::Stage;
    [Stage::Lead, Stage::Mql, Stage::Sql, Stage::Opportunity, Stage::Customer].iter().map(name).collect()
}

/// The readiness levels.
pub fn readiness_names() -> Vec<Cow<'static, str>> {
    use rekindle_core::Readiness;
    [Readiness::Cold, Readiness::Warm, Readiness::Hot].iter().map(name).collect()
}
