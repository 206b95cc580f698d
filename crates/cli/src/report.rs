//! Writes the plan to the output directory: every file atomically (`crate::output`), rows sorted by contact id,
//! instants as RFC 3339 UTC in CSV and epoch milliseconds in JSON, and `manifest.json` last, listing every file
//! with its row count and SHA-256. The same input gives byte-identical files.
//!
//! The files: `plan.csv` / `plan.json`; `segments/<id>.csv`; `audiences/{soft_reactivation,break_up}.csv`
//! (D6–D8); `audiences/{meta_custom_audience,google_customer_match,linkedin_matched_audience}.csv` (D10, D35:
//! hashed identifiers only, [`ads`]); `archive.csv` (D9, consent proof); `erasure.json` and `tombstones.csv` (D9: ids and salted hashes
//! only); `state.csv`, `suppressed.csv` and `deliveries.csv` (for the next run's `--previous`; the second salted
//! hashes only, D4; the third the complaint rate's counts per hour, D5); `handoff.csv` (D19); `retention.csv` (D36–D42, when someone ordered); `diagnostics.ndjson` and `rejects.csv`; `report.html` (aggregates and charts, no
//! personal data); `salt.txt` when the salt lives in the directory. An erased contact's email appears in none of
//! them.

pub mod ab_tests;
pub mod ads;
pub mod chart;
pub mod complaint_rate;
pub mod csv;
pub mod funnel_progress;
pub mod html;
pub mod json;
mod name;
pub mod nps_change;
pub mod segment_audiences;
pub mod summary_csv;

pub use name::name;

use std::collections::BTreeMap;

use serde::Serialize;

use crate::args::{Format, PlanArgs};
use crate::error::CliError;
use crate::output::{OutDir, Written};
use crate::plan::{tally, Counts, Plan};

/// The run's summary: printed on stdout with `--format`, and embedded in `manifest.json`.
#[derive(Debug, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct Summary {
    /// The instant decided at (epoch ms).
    pub now: i64,
    /// Contacts planned (after dedup).
    pub contacts: u64,
    /// Rows and lines.
    pub counts: Counts,
    /// Rows and lines rejected in all.
    pub rejected: u64,
    /// Contacts per lifecycle state.
    pub lifecycle: BTreeMap<String, u64>,
    /// Contacts per stage.
    pub stages: BTreeMap<String, u64>,
    /// Members per segment.
    pub segments: BTreeMap<String, u64>,
    /// The spam-complaint rate of the last 30 days against the 0.1 % / 0.3 % lines (D5).
    pub complaint_rate: complaint_rate::ComplaintRate,
    /// Funnel progress in the last 30, 90 and 180 days (D26, D19): stages reached, cohort conversions, median
    /// times and the SQL handoffs against their SLA due time.
    pub funnel_progress: funnel_progress::FunnelProgress,
    /// The A/B tests of this run's events, per variant with a verdict (D26: a minimum sample, never opens).
    pub ab_tests: Vec<ab_tests::AbTest>,
    /// NPS per month from the events' `custom:nps` answers, as core computes it (D42): `months` with answers,
    /// promoters, passives, detractors, `nps` and `lowSample`; `superseded`, `outside`.
    pub nps: rekindle_core::retention::nps::Nps,
    /// Referrals per month from the events' `custom:referral`, as core computes them (D38): `months` with
    /// referrals, newCustomers, referred, referredShare; `outside`.
    pub referrals: rekindle_core::retention::nps::Referrals,
    /// NPS against the `--previous` plan's published figures: each plan's latest month and every month either
    /// has, previous and current side by side (only with `--previous`).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub nps_change: Option<nps_change::NpsChange>,
    /// Referrals against the `--previous` plan's (only with `--previous`).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub referrals_change: Option<nps_change::ReferralsChange>,
    /// What `--start-reactivation` did: picked, and why the others were not (only with the flag).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub reactivation: Option<crate::plan::campaign::Started>,
    /// Contacts archived since the `--previous` plan without any plan listing them in break-up (only with
    /// `--previous`).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub break_up_unseen: Option<crate::plan::campaign::Unseen>,
    /// Every file written (the manifest itself aside), sorted by path.
    pub files: Vec<Written>,
}

/// Writes every file, then the manifest; returns the summary.
pub fn write_all(plan: &Plan, out: &mut OutDir, args: &PlanArgs) -> Result<Summary, CliError> {
    // Two threads write the files, each about half of the work (plan.json is the largest file, plan.csv the
    // next). Both stage their files, which are renamed into place once all are complete; the manifest, written
    // last, lists every file sorted by path whichever thread wrote it.
    let (mut side, mut rest) = (out.stage(), out.stage());
    let (side_done, rest_done) = std::thread::scope(|s| {
        let side_done = s.spawn(|| write_side(plan, &mut side));
        let rest_done = write_rest(plan, &mut rest, args);
        // A writer panics only on a bug; the join error is re-raised as a panic.
        (side_done.join().unwrap_or_else(|e| std::panic::resume_unwind(e)), rest_done)
    });
    side_done?;
    rest_done?;
    out.publish(rest)?;
    out.publish(side)?;
    let summary = summary(plan, out.written());
    json::write_manifest(out, &summary, &args.playbook, &plan.salt)?;
    Ok(summary)
}

/// `plan.json` and the D9 / D19 files.
fn write_side(plan: &Plan, out: &mut OutDir) -> Result<(), CliError> {
    json::write_plan(plan, out)?;
    csv::write_handoff(plan, out)?;
    csv::write_archive(plan, out)?;
    csv::write_state(plan, out)?;
    csv::write_suppressed(plan, out)?;
    csv::write_mailed(plan, out)?;
    json::write_erasure(plan, out)
}

/// Every file but those of [`write_side`] and the manifest.
fn write_rest(plan: &Plan, out: &mut OutDir, args: &PlanArgs) -> Result<(), CliError> {
    csv::write_plan(plan, out)?;
    for (index, id) in plan.segment_ids.iter().enumerate() {
        csv::write_segment(plan, out, id, index)?;
    }
    csv::write_audiences(plan, out)?;
    csv::write_unseen_break_up(plan, out)?;
    ads::write(plan, out, args.previous.as_deref())?;
    segment_audiences::write(plan, out, args)?;
    csv::write_tombstones(plan, out)?;
    csv::write_retention(plan, out)?;
    csv::write_alerts(plan, out)?;
    json::write_diagnostics(plan, out)?;
    csv::write_rejects(plan, out)?;
    crate::writeback::write(plan, out, args)?;
    if plan.salt.in_out_dir {
        let text = plan.salt.text();
        out.write("salt.txt", |w| w.write_all(format!("{text}\n").as_bytes()).map(|()| 1))?;
    }
    html::write_report(plan, out, args, &segment_sizes(plan))
}

/// Members per segment id (erased contacts never).
fn segment_sizes(plan: &Plan) -> BTreeMap<String, u64> {
    let mut segments: BTreeMap<String, u64> = plan.segment_ids.iter().map(|id| (id.clone(), 0)).collect();
    for p in plan.planned.iter().filter(|p| !p.erased()) {
        for i in &p.segments {
            if let Some(n) = plan.segment_ids.get(usize::from(*i)).and_then(|id| segments.get_mut(id)) {
                *n += 1;
            }
        }
    }
    segments
}

fn summary(plan: &Plan, files: Vec<Written>) -> Summary {
    let segments = segment_sizes(plan);
    let changes = plan.previous_now.map(|p| nps_change::compare(p.ms(), plan.previous_voice.as_ref(), &plan.voice));
    let (nps_change, referrals_change) = changes.map_or((None, None), |(n, r)| (Some(n), Some(r)));
    Summary {
        now: plan.now.ms(),
        contacts: plan.contacts.len() as u64,
        counts: plan.counts.clone(),
        rejected: plan.rejected(),
        lifecycle: tally(plan.planned.iter().map(|p| name(&p.lifecycle.state))),
        // An erased contact has no stage (plan.csv leaves it empty; report.html counts the living only).
        stages: tally(plan.planned.iter().filter(|p| !p.erased()).map(|p| name(&p.stage))),
        segments,
        complaint_rate: complaint_rate::ComplaintRate::of(plan),
        funnel_progress: funnel_progress::FunnelProgress::of(plan),
        ab_tests: plan.ab_tests.clone(),
        nps: plan.voice.nps.clone(),
        referrals: plan.voice.referrals.clone(),
        nps_change,
        referrals_change,
        reactivation: plan.start_reactivation.then(|| {
            let picks = plan.planned.iter().filter_map(|p| p.pick);
            crate::plan::campaign::Started::of(picks, plan.now, plan.windows)
        }),
        break_up_unseen: plan.previous_now.map(|previous| crate::plan::campaign::Unseen {
            contacts: plan.planned.iter().filter(|p| p.unseen_break_up.is_some()).count() as u64,
            listed: plan.planned.iter().filter(|p| p.break_up_unseen_listed()).count() as u64,
            previous_now: previous.ms(),
            breakup_deadline_ms: plan.windows.1.ms(),
        }),
        files,
    }
}

/// Prints the summary on stdout: one JSON line, or `key,value` CSV rows ([`summary_csv`]).
pub fn print_summary(format: Option<Format>, summary: &Summary) -> Result<(), CliError> {
    use std::io::Write;
    let stdout_err = |source| CliError::Io { path: "<stdout>".into(), source };
    let mut out = std::io::stdout().lock();
    match format {
        None => return Ok(()),
        Some(Format::Json) => {
            serde_json::to_writer(&mut out, summary).map_err(|e| stdout_err(e.into()))?;
            writeln!(out).map_err(stdout_err)?;
        }
        Some(Format::Csv) => summary_csv::write(&mut out, summary).map_err(stdout_err)?,
    }
    out.flush().map_err(stdout_err)
}

/// Epoch ms as RFC 3339 UTC: `2026-11-26T12:00:00Z`, with `.123` when the milliseconds are not zero.
pub fn rfc3339(ms: i64) -> String {
    let (secs, milli) = (ms.div_euclid(1000), ms.rem_euclid(1000));
    let (days, rest) = (secs.div_euclid(86_400), secs.rem_euclid(86_400));
    let (year, month, day) = rekindle_core::zone::civil_from_days(days);
    let (h, m, s) = (rest / 3600, rest % 3600 / 60, rest % 60);
    if !(0..=9999).contains(&year) {
        let frac = if milli == 0 { String::new() } else { format!(".{milli:03}") };
        return format!("{year:04}-{month:02}-{day:02}T{h:02}:{m:02}:{s:02}{frac}Z");
    }
    // CSV rows write several instants each: digits pushed by hand cost a fraction of `format!`'s machinery
    // (1.5 % of a 100k plan's CPU); years outside 0..=9999 (never in practice) take the general path above.
    let mut out = String::with_capacity(24);
    let parts = [(year, 4, '-'), (i64::from(month), 2, '-'), (i64::from(day), 2, 'T'), (h, 2, ':'), (m, 2, ':')];
    for (n, width, sep) in parts {
        push_digits(&mut out, n, width);
        out.push(sep);
    }
    push_digits(&mut out, s, 2);
    if milli != 0 {
        out.push('.');
        push_digits(&mut out, milli, 3);
    }
    out.push('Z');
    out
}

/// Appends `n` (0 ≤ n < 10^width) as exactly `width` decimal digits.
fn push_digits(out: &mut String, n: i64, width: u32) {
    for k in (0..width).rev() {
        let digit = u32::try_from(n / 10_i64.pow(k) % 10).unwrap_or(0);
        out.push(char::from_digit(digit, 10).unwrap_or('0'));
    }
}

#[cfg(test)]
mod tests {
    use super::rfc3339;

    #[test]
    fn rfc3339_formats_utc_with_milliseconds_only_when_present() {
        assert_eq!(rfc3339(0), "1970-01-01T00:00:00Z");
        assert_eq!(rfc3339(1_764_547_200_000), "2025-12-01T00:00:00Z");
        assert_eq!(rfc3339(951_782_400_123), "2000-02-29T00:00:00.123Z");
        assert_eq!(rfc3339(-1), "1969-12-31T23:59:59.999Z");
        assert_eq!(rfc3339(253_402_300_799_999), "9999-12-31T23:59:59.999Z");
        assert_eq!(rfc3339(253_402_300_800_000), "10000-01-01T00:00:00Z", "past year 9999: the general path");
        assert_eq!(rfc3339(-62_167_219_200_001), "-001-12-31T23:59:59.999Z", "before year 0: the general path");
    }
}
