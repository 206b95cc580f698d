//! A contact at one instant: scores after decay, readiness, stage, which bars hold, and the lifecycle. Every
//! decision starts from one, and the search for the next instant anything flips evaluates many.

use alloc::vec::Vec;
use core::cell::{OnceCell, RefCell};

use serde::Serialize;

use crate::explain::{Reason, Sink};
use crate::lifecycle::LifecycleStatus;
use crate::playbook::signal::Signal;
use crate::playbook::Playbook;
use crate::score::clamp;
use crate::score::intent::{Accumulator, IntentRule};
use crate::segment::condition::Cmp;
use crate::stage::{Bar, Readiness, ScoreKind, Scores, Stage};
use crate::state::ContactState;
use crate::time::{Span, Timestamp};

mod flip;
mod rise;
pub(crate) use flip::{next_score_flip, Searches};
use rise::negative_fading;
pub(crate) use rise::{scores_with_peak, stage_rises, Peak};

/// Which stage bars hold at an instant.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
pub struct Meets {
    /// The MQL bar holds.
    pub mql: bool,
    /// The SQL bar holds.
    pub sql: bool,
}

/// Everything about a contact at one instant that conditions can read.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct Moment {
    /// The instant.
    pub at: Timestamp,
    /// Fit, intent after decay, total.
    pub scores: Scores,
    /// Cold / warm / hot.
    pub readiness: Readiness,
    /// The highest stage reached since the last recycle (forward-only), or `Lead`.
    pub stage: Stage,
    /// Disqualified by sales and not re-qualified since (D21).
    pub recycled: bool,
    /// Which bars hold now.
    pub meets: Meets,
    /// The lifecycle.
    pub lifecycle: LifecycleStatus,
}

/// Fit and intent at `at`, clamped, with their reasons.
pub(crate) fn scores_at(playbook: &Playbook, state: &ContactState, at: Timestamp, reasons: &mut Sink<'_>) -> Scores {
    let fit =
        if reasons.collects() { playbook.fit.score(&state.profile, at, reasons) } else { state.fit_at(playbook, at) };
    scores_with_fit(playbook, state, at, fit, reasons)
}

/// [`scores_at`] when the fit score at `at` is already known (the fold keeps it while the profile is unchanged).
pub(crate) fn scores_with_fit(
    playbook: &Playbook,
    state: &ContactState,
    at: Timestamp,
    fit: f64,
    reasons: &mut Sink<'_>,
) -> Scores {
    let intent = intent_at(playbook, state, at, reasons);
    Scores { fit, intent, total: fit + intent }
}

/// An intent rule the contact has an accumulator for, with the accumulator and the rule's signal.
type Held<'a> = (&'a IntentRule, &'a Accumulator, &'a Signal);

/// The contact's held intent rules, in playbook order.
fn held<'a>(playbook: &'a Playbook, state: &'a ContactState) -> impl Iterator<Item = Held<'a>> + 'a {
    playbook
        .intent
        .rules
        .iter()
        .filter_map(|rule| Some((rule, state.rules.get(&rule.key)?, playbook.signals.get(rule.signal_index())?)))
}

/// Intent at `at` after decay, clamped to the group's `max`.
fn intent_at(playbook: &Playbook, state: &ContactState, at: Timestamp, reasons: &mut Sink<'_>) -> f64 {
    intent_of(held(playbook, state), playbook.intent.max, at, reasons)
}

/// Intent at `at` from `rules` (see [`held`]), after decay, clamped to `max`.
fn intent_of<'a>(
    rules: impl Iterator<Item = Held<'a>>,
    max: Option<f64>,
    at: Timestamp,
    reasons: &mut Sink<'_>,
) -> f64 {
    intent_parts(rules, max, at, reasons).0
}

/// [`intent_of`], and the sum of the positive rules' contributions before clamping (see [`Peak`]).
fn intent_parts<'a>(
    rules: impl Iterator<Item = Held<'a>>,
    max: Option<f64>,
    at: Timestamp,
    reasons: &mut Sink<'_>,
) -> (f64, f64) {
    let (mut raw, mut positive) = (0.0, 0.0);
    for (rule, acc, signal) in rules {
        let c = rule.contribution(acc, signal, at, reasons);
        raw += c;
        if rule.points >= 0.0 {
            positive += c;
        }
    }
    (clamp("scores.intent", raw, None, max, reasons), positive)
}

impl Moment {
    /// The contact at `at`; the reasons for scores, readiness and bars go to `reasons`.
    pub(crate) fn at(playbook: &Playbook, state: &ContactState, at: Timestamp, reasons: &mut Sink<'_>) -> Moment {
        let scores = scores_at(playbook, state, at, reasons);
        Moment::with_scores(playbook, state, at, scores, reasons)
    }

    /// The contact at `at` when its scores there are already known (computed by `scores_at` on this state).
    pub(crate) fn with_scores(
        playbook: &Playbook,
        state: &ContactState,
        at: Timestamp,
        scores: Scores,
        reasons: &mut Sink<'_>,
    ) -> Moment {
        let readiness = playbook.stages.readiness.as_ref().map_or(Readiness::Cold, |r| r.evaluate(&scores, reasons));
        let signals = &playbook.signals;
        let mut check = |bar: &Option<Bar>| bar.as_ref().is_some_and(|b| b.check(&scores, signals, state, at, reasons));
        let meets = Meets { mql: check(&playbook.stages.mql), sql: check(&playbook.stages.sql) };
        Moment::assemble(playbook, state, at, (scores, readiness, meets), reasons)
    }

    /// The contact at `at` when its scores and which bars hold there are already known (the fold checks the
    /// bars at every instant, then the sequences read the same moment). A bar reads scores and signal
    /// windows, never the stage reached, so bars checked before a stage is reached still hold after.
    pub(crate) fn with_meets(
        playbook: &Playbook,
        state: &ContactState,
        at: Timestamp,
        scores: Scores,
        meets: Meets,
    ) -> Moment {
        let discard = &mut Sink::discard();
        let readiness = playbook.stages.readiness.as_ref().map_or(Readiness::Cold, |r| r.evaluate(&scores, discard));
        Moment::assemble(playbook, state, at, (scores, readiness, meets), discard)
    }

    fn assemble(
        playbook: &Playbook,
        state: &ContactState,
        at: Timestamp,
        (scores, readiness, meets): (Scores, Readiness, Meets),
        reasons: &mut Sink<'_>,
    ) -> Moment {
        // A disqualification stamped after `at` (clock skew, a CRM ahead of the caller) has not happened at `at`:
        // the one in effect is the latest before it, until a stage is reached again by `at`.
        let since = state.recycled_at(at);
        // The stages recorded by `at` (since the last recycle), with those a bar reached on its own since the
        // latest event: reached is reached (forward-only) even when the bar has stopped holding by `at` (a negative
        // rule expiring lifts intent over the SQL minimum for a minute, until a positive one expires too), and a
        // bar holding when `recycle_for` ends counts then. Searched only when it could raise the stage.
        let recorded = |funnel: &[(Stage, Timestamp)]| {
            funnel.iter().filter(|(_, t)| *t <= at && since.is_none_or(|r| *t > r)).max().copied()
        };
        let mut reached = recorded(&state.funnel);
        let lifts = (!meets.sql || since.is_some()) && reached.is_none_or(|(s, _)| s < Stage::Sql);
        if lifts {
            reached = recorded(&state.funnel_at(playbook, at));
        }
        let recycled = since.is_some() && reached.is_none();
        // Before the state's latest event the fold has recorded every stage reached by `at` (it checks the bars
        // at each event and records rises between events at their instants), while the scores read at `at` already
        // hold the points of events stamped after it: a bar that holds only through them is not reached yet.
        let ahead = state.updated_at.is_some_and(|u| u > at);
        let current = match (recycled || ahead, meets.sql, meets.mql) {
            (true, _, _) | (false, false, false) => Stage::Lead,
            (false, true, _) => Stage::Sql,
            (false, false, true) => Stage::Mql,
        };
        let stage = reached.map_or(current, |(s, _)| s.max(current));
        if let Some((stage, at)) = reached {
            reasons.push(|| Reason::StageReached { stage, at });
        }
        Moment { at, scores, readiness, stage, recycled, meets, lifecycle: state.lifecycle_at(playbook, at) }
    }

    /// The same contact, later (no reasons): for searching when something flips.
    pub(crate) fn later(playbook: &Playbook, state: &ContactState, at: Timestamp) -> Moment {
        Moment::at(playbook, state, at, &mut Sink::discard())
    }

    /// A score by kind.
    pub fn score(&self, kind: ScoreKind) -> f64 {
        self.scores.get(kind)
    }

    /// D11: reached MQL by this instant (the funnel up to it, or the bar holding now), the SQL bar not
    /// holding, not recycled, and the behaviour score slipped under the MQL bar. Read from the moment, not the
    /// whole funnel, so a future-stamped purchase does not make a lead a reactivation candidate before it.
    pub(crate) fn reactivation_candidate(&self, playbook: &Playbook) -> bool {
        let slipped = playbook.stages.mql.as_ref().is_some_and(|bar| bar.score_slipped(&self.scores, self.meets.mql));
        self.stage >= Stage::Mql && !self.meets.sql && !self.recycled && slipped
    }
}

/// How far ahead rekindle looks for the next flip (10 years): beyond it, "never" is the honest answer.
pub(crate) const HORIZON: Span = Span::DAYS_3650;

impl Moment {
    /// The first instant after this one at which readiness, a bar, the reactivation-candidate flag, the
    /// lifecycle phase or its ghost flag changes on its own (a future-stamped funnel entry, which moves the
    /// stage, is the caller's: the decision lists the funnel).
    pub(crate) fn next_change(
        &self,
        playbook: &Playbook,
        state: &ContactState,
        searches: &Searches,
    ) -> Option<Timestamp> {
        let after = self.at;
        let mut candidates: Vec<Timestamp> = Vec::new();
        // When a score first reaches `at_least`: readiness thresholds and the bars' minimums alike.
        let reaches = |kind, at_least| {
            next_score_flip(playbook, state, after, Some(&self.scores), searches, kind, Cmp::Ge(at_least))
        };
        if let Some(r) = &playbook.stages.readiness {
            let on = r.on();
            for threshold in r.thresholds() {
                candidates.extend(reaches(on, threshold));
            }
        }
        for bar in [&playbook.stages.mql, &playbook.stages.sql].into_iter().flatten() {
            for (kind, needed) in bar.minimums() {
                candidates.extend(reaches(kind, needed));
            }
            for c in bar.conditions() {
                let track = playbook.signals.get(c.signal).and_then(|s| state.signals.get(&s.key));
                if let Some(track) = track {
                    track.changes_after(c.within, after, &mut candidates);
                }
            }
        }
        candidates.extend(self.lifecycle.next_transition_at);
        // `next_transition_at` is the phase's own end: an erasure the state holds after this instant (stamped ahead
        // of the caller's clock) ends the phase first.
        candidates.extend(state.activity.erased);
        candidates.extend(playbook.lifecycle.ghost_from(&state.activity));
        candidates.retain(|c| *c > after && *c <= after.plus(HORIZON));
        crate::time::sort_instants(&mut candidates);
        candidates.dedup();
        let key = |m: &Moment| {
            let phase = (m.lifecycle.state, m.lifecycle.ghost);
            (m.readiness, m.meets, m.reactivation_candidate(playbook), phase)
        };
        let now = key(self);
        candidates.into_iter().take(256).find(|c| key(&Moment::later(playbook, state, *c)) != now)
    }
}

#[cfg(test)]
mod tests {
    use super::flip::*;
    use super::*;

    /// Plain halving, the reference `narrow` must agree with.
    fn halving(
        mut low: Timestamp,
        mut high: Timestamp,
        value: &dyn Fn(Timestamp) -> f64,
        cmp: Cmp,
        initial: bool,
    ) -> Timestamp {
        while high.since(low) > 1 {
            let mid = Timestamp::from_ms(low.ms() + high.since(low) / 2).unwrap_or(high);
            if cmp.holds(value(mid)) == initial {
                low = mid;
            } else {
                high = mid;
            }
        }
        high
    }

    #[test]
    fn narrowing_finds_the_same_millisecond_as_halving_in_few_steps() {
        const DAY: f64 = 86_400_000.0;
        let after = Timestamp::from_ms(1_795_694_400_000).unwrap_or(Timestamp::EPOCH);
        let end = after.plus(HORIZON);
        let mut seed: u64 = 0x5eed;
        let mut next = move || {
            seed = seed.wrapping_mul(6_364_136_223_846_793_005).wrapping_add(1_442_695_040_888_963_407);
            (seed >> 11) as f64 / (1u64 << 53) as f64
        };
        let (mut cases, mut evaluations) = (0u32, 0u32);
        for _ in 0..400 {
            // Decaying scores as intent makes them: a sum of halvings with different half-lives, a part that
            // expires (a jump down), a cap, and thresholds met with every comparison.
            let parts: Vec<(f64, f64)> = (0..3).map(|_| (next() * 60.0, 1.0 + next() * 120.0)).collect();
            let expires = next() * 400.0;
            let jump = next() * 30.0;
            let cap = 40.0 + next() * 60.0;
            let value = |t: Timestamp| {
                let days = t.since(after) as f64 / DAY;
                let decayed: f64 = parts.iter().map(|(v, half)| v * crate::decay::exp2(-days / half)).sum();
                let held = if days < expires { jump } else { 0.0 };
                (decayed + held).min(cap)
            };
            let bound = next() * 80.0;
            for cmp in [Cmp::Ge(bound), Cmp::Gt(bound), Cmp::Le(bound), Cmp::Lt(bound)] {
                let initial = cmp.holds(value(after));
                if cmp.holds(value(end)) == initial {
                    continue;
                }
                let count = core::cell::Cell::new(0u32);
                let counted = |t: Timestamp| {
                    count.set(count.get() + 1);
                    value(t)
                };
                let breaks = [after.plus(crate::time::Span::from_ms((expires * DAY) as i64 + 1).unwrap_or(HORIZON))];
                let ends = ((after, value(after)), (end, value(end)));
                let found = narrow(ends.0, ends.1, &breaks, &counted, cmp, initial);
                assert_eq!(found, halving(after, end, &value, cmp, initial), "{cmp:?}");
                assert!(count.get() <= 40, "{} evaluations", count.get());
                cases += 1;
                evaluations += count.get();
            }
        }
        assert!(cases > 200, "only {cases} cases flipped");
        // Halving takes 35 evaluations per case here (a year in milliseconds); narrowing about 8 (8.2 measured).
        assert!(evaluations < cases * 10, "{evaluations} evaluations for {cases} cases");
    }
}
