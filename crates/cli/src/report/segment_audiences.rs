//! Segments synced to ad platforms (D35, D22; `--ad-audience <segment>[,<segment>…]`): per named segment and
//! platform, `audiences/segment-<id>.<platform>.csv` in exactly the retargeting audience's format ([`super::ads`]:
//! same normalisation, SHA-256, headers and sort), holding the segment's members at `--now` minus everyone core
//! excludes from ads (`ContactState::ad_exclusion`: erased, unsubscribed, complaining, bounced, ads consent
//! withdrawn or missing where the playbook needs it, an open deal), and `…_remove.csv` beside it: the previous
//! plan's rows of that file no longer in it (`--previous`), members core excludes, and erased contacts.
//!
//! The `segment-` prefix keeps every name a plain file in `audiences/` (a segment id may start with `.`), so the
//! manifest lists it and the next run's stale-file cleanup removes the files of a segment no longer named.

use std::collections::BTreeSet;

use rekindle_core::state::retargeting::Excluded;
use rekindle_core::{ContactState, Playbook};

use super::ads;
use crate::args::PlanArgs;
use crate::output::OutDir;
use crate::plan::outcome::Planned;
use crate::plan::Plan;
use crate::CliError;

/// Refuses (exit 2) an `--ad-audience` naming a segment the playbook does not have, before anything is read
/// besides the playbook or written.
pub fn check(args: &PlanArgs, playbook: &Playbook) -> Result<(), CliError> {
    if args.ad_audience.is_empty() {
        return Ok(());
    }
    let ids: Vec<&str> = playbook.segments().iter().map(|s| s.id()).collect();
    selected(args, &ids).map(|_| ())
}

/// The named segments, each once, sorted; an unknown one is a usage error naming it and listing `ids`.
fn selected<'a>(args: &'a PlanArgs, ids: &[&str]) -> Result<BTreeSet<&'a str>, CliError> {
    let mut names = BTreeSet::new();
    for name in args.ad_audience.iter().map(|n| n.trim()) {
        if !ids.contains(&name) {
            let known = match ids.is_empty() {
                true => "the playbook has no segments".to_string(),
                false => format!("the playbook's segments: {}", ids.join(", ")),
            };
            let quoted = crate::diagnostic::quote(name);
            return Err(CliError::Usage(format!("--ad-audience: no segment \"{quoted}\" in the playbook ({known})")));
        }
        names.insert(name);
    }
    Ok(names)
}

/// Writes each named segment's audience and removal files per platform.
pub fn write(plan: &Plan, out: &mut OutDir, args: &PlanArgs) -> Result<(), CliError> {
    if args.ad_audience.is_empty() {
        return Ok(());
    }
    let playbook = &plan.playbook;
    let ids: Vec<&str> = plan.segment_ids.iter().map(String::as_str).collect();
    let previous = args.previous.as_deref();
    let erased = ads::erased_since_previous(plan, previous);
    // Core's exclusion of each living contact of a named segment, decided once.
    let mut exclusions: Vec<Option<Option<Excluded>>> = vec![None; plan.planned.len()];
    for id in selected(args, &ids)? {
        let Some(index) = ids.iter().position(|s| *s == id) else { continue }; // `selected` checked it
        let (mut members, mut leaving) = (Vec::new(), Vec::new());
        for (i, p) in plan.planned.iter().enumerate() {
            if p.erased() {
                if erased(p) {
                    leaving.push(i);
                }
                continue;
            }
            if !p.segments.iter().any(|s| usize::from(*s) == index) {
                continue;
            }
            let excluded = match exclusions.get(i).copied() {
                Some(Some(known)) => known,
                _ => {
                    let why = exclusion(p, playbook, plan)?;
                    if let Some(slot) = exclusions.get_mut(i) {
                        *slot = Some(why);
                    }
                    why
                }
            };
            match excluded {
                None => members.push(i),
                Some(_) => leaving.push(i),
            }
        }
        ads::write_platforms(plan, out, previous, &format!("segment-{id}."), &members, &leaving)?;
    }
    Ok(())
}

/// Why core keeps a living contact out of every ad audience at `--now`, from its folded state.
fn exclusion(p: &Planned, playbook: &Playbook, plan: &Plan) -> Result<Option<Excluded>, CliError> {
    let state = match p.state.is_empty() {
        true => ContactState::new(),
        false => ContactState::from_bytes(&p.state).map_err(|e| CliError::Io {
            path: "<plan memory>".into(),
            source: std::io::Error::other(format!(
                "a folded contact state ({e}) written by rekindle does not read back; please report this"
            )),
        })?,
    };
    Ok(state.ad_exclusion(playbook, plan.now))
}
