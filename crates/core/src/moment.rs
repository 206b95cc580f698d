//! A contact at one instant: scores after decay, readiness, stage, which bars hold, and the lifecycle. Every
//! decision starts from one, and the search for the next instant anything flips evaluates many.

use alloc::vec::Vec;

use serde::Serialize;

use crate::explain::{Reason, Sink};
use crate::lifecycle::LifecycleStatus;
use crate::playbook::Playbook;
use crate::score::clamp;
use crate::stage::{Bar, Readiness, ScoreKind, Scores, Stage};
use crate::state::ContactState;
use crate::time::{Span, Timestamp};

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
    let fit = playbook.fit.score(&state.profile, at, reasons);
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

/// Intent at `at` after decay, clamped to the group's `max`.
fn intent_at(playbook: &Playbook, state: &ContactState, at: Timestamp, reasons: &mut Sink<'_>) -> f64 {
    let mut raw = 0.0;
    for rule in &playbook.intent.rules {
        let (Some(acc), Some(signal)) = (state.rules.get(&rule.key), playbook.signals.get(rule.signal_index())) else {
            continue;
        };
        raw += rule.contribution(acc, signal, at, reasons);
    }
    clamp("scores.intent", raw, None, playbook.intent.max, reasons)
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
        let mql = check(&playbook.stages.mql);
        let sql = check(&playbook.stages.sql);
        let recycled = state.recycled().is_some();
        let reached = state.stage();
        let current = match (recycled, sql, mql) {
            (true, _, _) | (false, false, false) => Stage::Lead,
            (false, true, _) => Stage::Sql,
            (false, false, true) => Stage::Mql,
        };
        let stage = reached.map_or(current, |(s, _)| s.max(current));
        if let Some((stage, at)) = reached {
            reasons.push(|| Reason::StageReached { stage, at });
        }
        Moment {
            at,
            scores,
            readiness,
            stage,
            recycled,
            meets: Meets { mql, sql },
            lifecycle: state.lifecycle_at(playbook, at),
        }
    }

    /// The same contact, later (no reasons): for searching when something flips.
    pub(crate) fn later(playbook: &Playbook, state: &ContactState, at: Timestamp) -> Moment {
        Moment::at(playbook, state, at, &mut Sink::discard())
    }

    /// A score by kind.
    pub fn score(&self, kind: ScoreKind) -> f64 {
        self.scores.get(kind)
    }
}

/// How far ahead rekindle looks for the next flip (10 years): beyond it, "never" is the honest answer.
pub(crate) const HORIZON: Span = Span::DAYS_3650;

/// The lowest and highest intent reachable after `at` without new events: positive contributions can only
/// fall (to their permanent part), negative ones only rise toward 0 (unless permanent).
fn intent_bounds(playbook: &Playbook, state: &ContactState, at: Timestamp) -> (f64, f64) {
    let (mut low, mut high) = (0.0, 0.0);
    for rule in &playbook.intent.rules {
        let (Some(acc), Some(signal)) = (state.rules.get(&rule.key), playbook.signals.get(rule.signal_index())) else {
            continue;
        };
        let now = rule.contribution(acc, signal, at, &mut Sink::discard());
        let permanent = rule.is_permanent();
        if now >= 0.0 {
            high += now;
            low += if permanent { now } else { 0.0 };
        } else {
            low += now;
            high += if permanent { now } else { 0.0 };
        }
    }
    let clamp = |v: f64| playbook.intent.max.map_or(v, |m| if v > m { m } else { v });
    (clamp(low), clamp(high))
}

/// Instants after `after` where scores jump on their own: intent rules expiring.
pub(crate) fn score_breaks(playbook: &Playbook, state: &ContactState, after: Timestamp, out: &mut Vec<Timestamp>) {
    for rule in &playbook.intent.rules {
        if let (Some(acc), Some(e)) = (state.rules.get(&rule.key), rule.expire_after) {
            let t = acc.last.plus(e);
            if t > after {
                out.push(t);
            }
        }
    }
}

/// The first instant after `after` at which `holds(t)` differs from `holds(after)`.
///
/// When every intent rule has non-negative points and no fit rule reads a relative date, scores can only fall
/// as time passes (decay, expiry), so the answer is found by bisection over `(after, after + HORIZON]`, after
/// one look at the horizon shows whether anything changes at all. Otherwise rekindle probes at doubling
/// distances (1 s, 2 s, 4 s, …) and at the expiry instants, then bisects to the millisecond.
pub(crate) fn next_score_flip(
    playbook: &Playbook,
    state: &ContactState,
    after: Timestamp,
    holds: &dyn Fn(&Scores) -> bool,
) -> Option<Timestamp> {
    // Fit is fixed in time unless a rule reads a relative date: computed once, not at every probe.
    let fixed_fit =
        (!playbook.fit.reads_relative_dates()).then(|| playbook.fit.score(&state.profile, after, &mut Sink::discard()));
    let at = |t: Timestamp| {
        let fit = fixed_fit.unwrap_or_else(|| playbook.fit.score(&state.profile, t, &mut Sink::discard()));
        let intent = intent_at(playbook, state, t, &mut Sink::discard());
        holds(&Scores { fit, intent, total: fit + intent })
    };
    let initial = at(after);
    let end = after.plus(HORIZON);
    let bisect = |mut low: Timestamp, mut high: Timestamp| {
        // Invariant: at(low) == initial, at(high) != initial.
        while high.since(low) > 1 {
            let mid = Timestamp::from_ms(low.ms() + high.since(low) / 2).unwrap_or(high);
            if at(mid) == initial {
                low = mid;
            } else {
                high = mid;
            }
        }
        high
    };
    // Bounds on every future score: if even the highest and the lowest reachable scores give the same answer,
    // nothing can flip and no probe is needed (holds is a threshold test, monotone in each score).
    let fit_now = fixed_fit.unwrap_or_else(|| playbook.fit.score(&state.profile, after, &mut Sink::discard()));
    if fixed_fit.is_some() {
        let (low, high) = intent_bounds(playbook, state, after);
        let bound = |intent: f64| holds(&Scores { fit: fit_now, intent, total: fit_now + intent });
        if bound(low) == initial && bound(high) == initial {
            return None;
        }
    }
    // Monotone when fit is fixed and no negative contribution is still rising toward 0 for this contact
    // (a playbook with a negative rule is monotone for every contact that never triggered it).
    let rising = playbook.intent.rules.iter().any(|rule| {
        rule.points < 0.0 && !rule.is_permanent() && state.rules.get(&rule.key).is_some_and(|acc| acc.value < 0.0)
    });
    if fixed_fit.is_some() && !rising {
        return (at(end) != initial).then(|| bisect(after, end));
    }
    let mut probes: Vec<Timestamp> = Vec::new();
    score_breaks(playbook, state, after, &mut probes);
    let mut step: i64 = 1_000;
    while let Some(t) = Timestamp::from_ms(after.ms().saturating_add(step)).filter(|t| *t <= end) {
        probes.push(t);
        step = step.saturating_mul(2);
    }
    probes.push(end);
    probes.sort();
    probes.dedup();
    let mut low = after;
    for p in probes {
        if at(p) != initial {
            return Some(bisect(low, p));
        }
        low = p;
    }
    None
}

impl Moment {
    /// The first instant after this one at which readiness, a bar or the lifecycle phase changes on its own.
    pub(crate) fn next_change(&self, playbook: &Playbook, state: &ContactState) -> Option<Timestamp> {
        let after = self.at;
        let mut candidates: Vec<Timestamp> = Vec::new();
        if let Some(r) = &playbook.stages.readiness {
            let on = r.on();
            for threshold in r.thresholds() {
                candidates.extend(next_score_flip(playbook, state, after, &|s| s.get(on) >= threshold));
            }
        }
        for bar in [&playbook.stages.mql, &playbook.stages.sql].into_iter().flatten() {
            for (kind, needed) in bar.minimums() {
                candidates.extend(next_score_flip(playbook, state, after, &|s| s.get(kind) >= needed));
            }
            for c in bar.conditions() {
                let track = playbook.signals.get(c.signal).and_then(|s| state.signals.get(&s.key));
                if let Some(track) = track {
                    track.changes_after(c.within, after, &mut candidates);
                }
            }
        }
        candidates.extend(self.lifecycle.next_transition_at);
        candidates.retain(|c| *c > after && *c <= after.plus(HORIZON));
        candidates.sort();
        candidates.dedup();
        candidates.into_iter().take(256).find(|c| {
            let later = Moment::later(playbook, state, *c);
            (later.readiness, later.meets, later.lifecycle.state) != (self.readiness, self.meets, self.lifecycle.state)
        })
    }
}
