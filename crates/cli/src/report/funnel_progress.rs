//! Funnel progress (D26: measure the funnel, not opens): for the last 30, 90 and 180 days before `--now`, the
//! contacts who reached each stage, the stage-to-stage conversion of each window's cohort, the median time from
//! lead to MQL and from MQL to SQL, and where the SQL handoffs stand against their SLA due time (D19). Counted
//! only from what the decisions say — each contact's `funnel` (stage and instant reached, as core records it)
//! and `handoff` (`sqlAt`, `dueAt`) — and the contacts file's `created_at`; no domain rule is repeated here.
//!
//! Definitions (`report.html` states them too):
//! - A window of N days holds `t` when `0 ≤ now − t < N days` (the engagement rates' windows).
//! - A contact *becomes a lead* at its `created_at`; contacts without one are in no lead cohort (counted in
//!   [`FunnelProgress::leads_without_created_at`]). MQL, SQL, opportunity (a `sales_status: open`) and customer (a
//!   purchase or `sales_status: won`) are reached at the instants of the decision's funnel.
//! - *Reached in the window*: the contacts with an instant of that stage in it (a contact once per stage).
//! - *Cohort conversion A → B*: of the contacts who reached A in the window (at the window's first such instant
//!   `a`), the share that reached B at or after `a`, by `--now`. Lead → MQL also counts an MQL reached before
//!   `created_at` (events older than the export's record); its time is left out of the median. Recent cohorts
//!   are immature: a contact who reached A yesterday has had one day to reach B.
//! - *Median time*: the middle of the converted contacts' times from `a` to their first B (the mean of the two
//!   middle ones for an even count).
//! - A rate over fewer than [`MIN_COHORT`] contacts is marked *too few to compare*.
//! - *Handoff SLA*: no event kind records a sales touch (a call, meeting or sales email; `sales_status` is the
//!   deal's status), so whether sales met the due time cannot be shown. For SQLs whose handoff `sqlAt` lies in
//!   the window: how many due times have passed at `--now` (`overdue` in the decision) and how many are still
//!   ahead, and the median time from `sqlAt` to `dueAt`.
//!
//! Erased contacts (D9) keep no funnel and count nowhere. Meeting rate and pipeline are not shown: no event kind
//! records a meeting and `sales_status` carries no deal value.

use serde::Serialize;

use rekindle_core::{Stage, Timestamp};

use crate::plan::engagement::within;
use crate::plan::Plan;

/// The windows, in days (those of the engagement rates).
pub const WINDOWS: [i64; 3] = [30, 90, 180];
/// Rates over fewer contacts than this are too few to compare.
pub const MIN_COHORT: u64 = 30;
/// The funnel's stages in order.
pub const STAGES: [Stage; 5] = [Stage::Lead, Stage::Mql, Stage::Sql, Stage::Opportunity, Stage::Customer];
/// The median times shown: lead → MQL and MQL → SQL.
const TIMED: [(Stage, Stage); 2] = [(Stage::Lead, Stage::Mql), (Stage::Mql, Stage::Sql)];

/// The funnel KPIs of every window.
#[derive(Debug, Clone, PartialEq, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct FunnelProgress {
    /// One per [`WINDOWS`] entry, shortest first.
    pub windows: Vec<Window>,
    /// The smallest cohort whose rate is compared.
    pub min_cohort: u64,
    /// Contacts (erased aside) the contacts file gives no `created_at`: in no lead cohort.
    pub leads_without_created_at: u64,
}

/// One window's figures.
#[derive(Debug, Clone, PartialEq, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct Window {
    /// Its length in days.
    pub days: i64,
    /// Contacts who reached each stage in the window, in [`STAGES`] order.
    pub reached: Vec<Reached>,
    /// Cohort conversions lead → MQL → SQL → opportunity → customer.
    pub conversions: Vec<Conversion>,
    /// Median times lead → MQL and MQL → SQL.
    pub times: Vec<Time>,
    /// The SQL handoffs of the window against their SLA due time.
    pub handoff: Sla,
}

/// Contacts who reached a stage in a window.
#[derive(Debug, Clone, PartialEq, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct Reached {
    /// `lead`, `mql`, `sql`, `opportunity`, `customer`.
    pub stage: &'static str,
    /// How many.
    pub contacts: u64,
}

/// A cohort's conversion from one stage to the next.
#[derive(Debug, Clone, PartialEq, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct Conversion {
    /// The stage the cohort reached in the window.
    pub from: &'static str,
    /// The next stage.
    pub to: &'static str,
    /// Contacts who reached `from` in the window (n).
    pub cohort: u64,
    /// Of them, those who reached `to` at or after it by `--now`.
    pub converted: u64,
    /// `converted / cohort`; `None` for an empty cohort.
    pub rate: Option<f64>,
    /// The cohort is under [`MIN_COHORT`].
    pub too_few: bool,
}

/// A median time between two stages.
#[derive(Debug, Clone, PartialEq, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct Time {
    /// From.
    pub from: &'static str,
    /// To.
    pub to: &'static str,
    /// Times measured (n).
    pub n: u64,
    /// The median, in milliseconds; `None` when nothing was measured.
    pub median_ms: Option<i64>,
    /// `n` is under [`MIN_COHORT`].
    pub too_few: bool,
}

/// SQL handoffs against their SLA due time (D19).
#[derive(Debug, Clone, PartialEq, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct Sla {
    /// SQLs with a handoff packet whose `sqlAt` lies in the window.
    pub handed_off: u64,
    /// Of them, due at or before `--now` (`overdue`): check these against the CRM's first touch.
    pub due_passed: u64,
    /// Of them, due after `--now`: sales can still make it.
    pub due_ahead: u64,
    /// The median time from `sqlAt` to `dueAt` (business-time SLA, in wall-clock ms); `None` without handoffs.
    pub median_due_ms: Option<i64>,
}

/// One contact's stage instants: `created_at`, then the funnel's.
struct Path<'a> {
    lead: Option<Timestamp>,
    funnel: &'a [(Stage, Timestamp)],
}

impl Path<'_> {
    /// The instants the contact reached `stage` at, ascending.
    fn at(&self, stage: Stage) -> impl Iterator<Item = Timestamp> + '_ {
        let lead = self.lead.filter(|_| stage == Stage::Lead);
        let funnel = self.funnel.iter().filter(move |(s, _)| *s == stage && stage != Stage::Lead).map(|(_, t)| *t);
        lead.into_iter().chain(funnel)
    }
}

impl FunnelProgress {
    /// The plan's.
    pub fn of(plan: &Plan) -> FunnelProgress {
        let now = plan.now;
        let paths: Vec<Path<'_>> = plan
            .planned
            .iter()
            .zip(&plan.contacts)
            .filter(|(p, _)| !p.erased())
            .map(|(p, c)| Path { lead: c.created_at, funnel: &p.funnel })
            .collect();
        let handoffs: Vec<(Timestamp, Timestamp)> = plan
            .planned
            .iter()
            .filter(|p| !p.erased())
            .filter_map(|p| p.handoff.as_deref().map(|h| (h.sql_at, h.due_at)))
            .collect();
        let windows = WINDOWS.iter().map(|days| window(*days, now, &paths, &handoffs)).collect();
        let leads_without_created_at = paths.iter().filter(|p| p.lead.is_none()).count() as u64;
        FunnelProgress { windows, min_cohort: MIN_COHORT, leads_without_created_at }
    }
}

fn window(days: i64, now: Timestamp, paths: &[Path<'_>], handoffs: &[(Timestamp, Timestamp)]) -> Window {
    let inside = |t: Timestamp| within(Some(t), days, now);
    let reached = STAGES
        .iter()
        .map(|s| Reached {
            stage: stage_name(*s),
            contacts: paths.iter().filter(|p| p.at(*s).any(|t| t <= now && inside(t))).count() as u64,
        })
        .collect();
    let mut conversions = Vec::new();
    let mut times = Vec::new();
    for pair in STAGES.windows(2) {
        let [from, to] = [pair.first().copied().unwrap_or(Stage::Lead), pair.get(1).copied().unwrap_or(Stage::Mql)];
        let (mut cohort, mut converted, mut spans) = (0u64, 0u64, Vec::new());
        for p in paths {
            let Some(a) = p.at(from).find(|t| *t <= now && inside(*t)) else { continue };
            cohort += 1;
            match p.at(to).find(|t| *t >= a && *t <= now) {
                Some(b) => {
                    converted += 1;
                    spans.push(b.ms() - a.ms());
                }
                // An MQL before `created_at`: reached, not timed.
                None if from == Stage::Lead && p.at(to).any(|t| t <= now) => converted += 1,
                None => {}
            }
        }
        let rate = (cohort > 0).then(|| converted as f64 / cohort as f64);
        conversions.push(Conversion {
            from: stage_name(from),
            to: stage_name(to),
            cohort,
            converted,
            rate,
            too_few: cohort < MIN_COHORT,
        });
        if TIMED.contains(&(from, to)) {
            let n = spans.len() as u64;
            times.push(Time {
                from: stage_name(from),
                to: stage_name(to),
                n,
                median_ms: median(&mut spans),
                too_few: n < MIN_COHORT,
            });
        }
    }
    let mut due_spans = Vec::new();
    let mut sla = Sla { handed_off: 0, due_passed: 0, due_ahead: 0, median_due_ms: None };
    for (sql_at, due_at) in handoffs.iter().filter(|(sql_at, _)| *sql_at <= now && inside(*sql_at)) {
        sla.handed_off += 1;
        if now >= *due_at {
            sla.due_passed += 1;
        } else {
            sla.due_ahead += 1;
        }
        due_spans.push(due_at.ms() - sql_at.ms());
    }
    sla.median_due_ms = median(&mut due_spans);
    Window { days, reached, conversions, times, handoff: sla }
}

/// The middle value (the mean of the two middle ones for an even count, rounded down); `None` for none.
pub fn median(values: &mut [i64]) -> Option<i64> {
    values.sort_unstable();
    let n = values.len();
    let upper = *values.get(n / 2)?;
    if n % 2 == 1 {
        return Some(upper);
    }
    let lower = *values.get(n / 2 - 1)?;
    Some(lower + (upper - lower).div_euclid(2))
}

/// The stage's name in the outputs (`lead`, `mql`, …).
pub fn stage_name(stage: Stage) -> &'static str {
    match stage {
        Stage::Lead => "lead",
        Stage::Mql => "mql",
        Stage::Sql => "sql",
        Stage::Opportunity => "opportunity",
        Stage::Customer => "customer",
    }
}

#[cfg(test)]
mod tests {
    use super::median;

    #[test]
    fn median_takes_the_middle_or_the_mean_of_the_two_middle_values() {
        assert_eq!(median(&mut []), None);
        assert_eq!(median(&mut [7]), Some(7));
        assert_eq!(median(&mut [9, 1, 5]), Some(5));
        assert_eq!(median(&mut [10, 1, 4, 2]), Some(3));
        assert_eq!(median(&mut [1, 2]), Some(1), "1.5 rounds down");
    }
}
