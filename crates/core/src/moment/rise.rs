//! Stages a bar reaches on its own, between events: a negative intent rule fading lets intent climb back over a
//! minimum with no event that instant. The fold records them at their instant, conditions name them as flips.

use alloc::vec::Vec;
use core::cell::OnceCell;

use super::{held, intent_parts, next_score_flip, scores_at, Searches};
use crate::explain::Sink;
use crate::playbook::Playbook;
use crate::segment::condition::Cmp;
use crate::stage::{Bar, ScoreKind, Scores, Stage};
use crate::state::ContactState;
use crate::time::Timestamp;

/// What a search for a stage rise can reuse from the scores at its start (see [`stage_rises`]).
#[derive(Debug, Clone, Copy, PartialEq)]
pub(crate) struct Peak {
    /// The fit score (fixed in time when no fit rule reads a relative date).
    pub(crate) fit: f64,
    /// The sum of the positive intent contributions: the part of intent that only falls with time.
    pub(crate) positive: f64,
}

/// [`super::scores_with_fit`], and what bounds how high the scores can climb before the next event: the fold keeps it.
pub(crate) fn scores_with_peak(playbook: &Playbook, state: &ContactState, at: Timestamp, fit: f64) -> (Scores, Peak) {
    let (intent, positive) = intent_parts(held(playbook, state), playbook.intent.max, at, &mut Sink::discard());
    (Scores { fit, intent, total: fit + intent }, Peak { fit, positive })
}

/// Whether this contact's scores can rise with time alone: a negative contribution still fading toward 0, or a
/// fit rule reading a relative date. Only then can a stage bar start to hold between events.
fn scores_may_rise(playbook: &Playbook, state: &ContactState) -> bool {
    playbook.fit.reads_relative_dates() || negative_fading(playbook, state)
}

/// A negative intent contribution of this contact still fading toward 0 (a playbook with a negative rule is
/// monotone for every contact that never triggered it).
pub(super) fn negative_fading(playbook: &Playbook, state: &ContactState) -> bool {
    playbook.intent.rules.iter().any(|rule| {
        rule.points < 0.0 && !rule.is_permanent() && state.rules.get(&rule.key).is_some_and(|acc| acc.value < 0.0)
    })
}

/// The stages the bars reach on their own in `(after, until]`, each with the first instant it holds; empty
/// unless scores can rise with time (the usual case costs one pass over the intent rules). `opens`: `after` is
/// the end of a recycle (D21), the first instant the bars count again, so a bar holding there counts there and
/// the range is `[after, until]`. `peak`: the fit and the positive intent contributions at or before `after`,
/// when the caller has them (see [`scores_with_peak`]).
pub(crate) fn stage_rises(
    playbook: &Playbook,
    state: &ContactState,
    (after, until): (Timestamp, Timestamp),
    opens: bool,
    peak: Option<Peak>,
) -> Vec<(Stage, Timestamp)> {
    let mut out = Vec::new();
    let empty = if opens { until < after } else { until <= after };
    if empty || !(opens || scores_may_rise(playbook, state)) {
        return out;
    }
    let recorded = state.stage().map(|(s, _)| s);
    let ceiling = OnceCell::new();
    let ceiling = || *ceiling.get_or_init(|| intent_ceiling(playbook, state, (after, until), peak));
    for (stage, bar) in [(Stage::Mql, &playbook.stages.mql), (Stage::Sql, &playbook.stages.sql)] {
        if recorded.is_some_and(|r| r >= stage) {
            continue;
        }
        if let Some(t) = bar.as_ref().and_then(|b| bar_rises(playbook, state, b, (after, until, opens), peak, &ceiling))
        {
            out.push((stage, t));
        }
    }
    // In time order, as the funnel records them: an SQL bar may hold before the MQL bar does (a direct request
    // when a recycle ends, with intent under the MQL minimum), and reaching SQL passes through MQL then.
    if let [mql, sql] = out.as_mut_slice() {
        if sql.1 < mql.1 {
            core::mem::swap(mql, sql);
        }
    }
    out
}

/// The most intent can be anywhere in `(after, until]`: positive contributions only fall and negative ones only
/// rise, so their values at the two ends bound it. Over the gap between two events (the fold's case, with the
/// positive part known) it reads only the negative rules.
fn intent_ceiling(
    playbook: &Playbook,
    state: &ContactState,
    (after, until): (Timestamp, Timestamp),
    peak: Option<Peak>,
) -> f64 {
    let discard = &mut Sink::discard();
    let mut sum = peak.map_or(0.0, |p| p.positive);
    for rule in &playbook.intent.rules {
        let negative = rule.points < 0.0;
        if !negative && peak.is_some() {
            continue;
        }
        if let (Some(acc), Some(signal)) = (state.rules.get(&rule.key), playbook.signals.get(rule.signal_index())) {
            sum += rule.contribution(acc, signal, if negative { until } else { after }, discard);
        }
    }
    playbook.intent.max.map_or(sum, |m| sum.min(m))
}

/// The first instant in `(after, until]` at which `bar` holds when it does not at `after` (with `opens`, the
/// first in `[after, until]`). Its windows only empty with time, so only a minimum score rising can make it hold:
/// each round moves to the first instant an unmet minimum is met and checks the whole bar there (at most one
/// round per minimum, plus one).
fn bar_rises(
    playbook: &Playbook,
    state: &ContactState,
    bar: &Bar,
    (after, until, opens): (Timestamp, Timestamp, bool),
    peak: Option<Peak>,
    ceiling: &dyn Fn() -> f64,
) -> Option<Timestamp> {
    let discard = &mut Sink::discard();
    // Bounded by the most the scores can be in the range: this rules nearly every contact out without a search
    // (not where a recycle ends: the bar may hold there by a direct request, which the bound ignores).
    if !opens && !playbook.fit.reads_relative_dates() {
        let intent = ceiling();
        if bar.minimums().any(|(kind, needed)| kind == ScoreKind::Intent && intent < needed) {
            return None;
        }
        // Fit is fixed in time here: read only when a minimum needs it (matching text fields costs).
        if bar.minimums().any(|(kind, _)| kind != ScoreKind::Intent) {
            let fit = peak.map_or_else(|| state.fit_at(playbook, after), |p| p.fit);
            let ceiling = Scores { fit, intent, total: fit + intent };
            if bar.minimums().any(|(kind, needed)| ceiling.get(kind) < needed) {
                return None;
            }
        }
    }
    // With every minimum met, do its windows hold? They only empty with time, so if not, it never holds.
    let unbounded = Scores { fit: f64::INFINITY, intent: f64::INFINITY, total: f64::INFINITY };
    if !bar.check(&unbounded, &playbook.signals, state, after, discard) {
        return None;
    }
    let mut cursor = after;
    for _ in 0..=bar.minimums().count() {
        let scores = scores_at(playbook, state, cursor, discard);
        if bar.check(&scores, &playbook.signals, state, cursor, discard) {
            return (cursor > after || opens).then_some(cursor);
        }
        let next = bar
            .minimums()
            .filter(|(kind, needed)| scores.get(*kind) < *needed)
            .filter_map(|(kind, needed)| {
                next_score_flip(playbook, state, cursor, Some(&scores), &Searches::default(), kind, Cmp::Ge(needed))
            })
            .min()?;
        if next > until {
            return None;
        }
        cursor = next;
    }
    None
}
