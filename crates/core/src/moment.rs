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

mod rise;
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
        // A disqualification stamped after `at` (clock skew, a CRM ahead of the caller) has not happened at `at`;
        // one before it holds until a stage is reached again by `at`.
        let since = state.recycled.filter(|r| *r <= at);
        let recycled = since.is_some_and(|r| !state.funnel.iter().any(|(_, t)| *t > r && *t <= at));
        // The stages recorded by `at` (since the last recycle), with those a bar reached on its own since the
        // latest event: reached is reached (forward-only) even when the bar has stopped holding by `at` (a negative
        // rule expiring lifts intent over the SQL minimum for a minute, until a positive one expires too). Searched
        // only when it could raise the stage.
        let recorded = |funnel: &[(Stage, Timestamp)]| {
            funnel.iter().filter(|(_, t)| *t <= at && since.is_none_or(|r| *t > r)).max().copied()
        };
        let mut reached = recorded(&state.funnel);
        if !meets.sql && reached.is_none_or(|(s, _)| s < Stage::Sql) {
            reached = recorded(&state.funnel_at(playbook, at));
        }
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

/// The lowest and highest intent reachable after `at` without new events: positive contributions can only
/// fall (to their permanent part), negative ones only rise toward 0 (unless permanent).
fn intent_bounds(playbook: &Playbook, state: &ContactState, at: Timestamp) -> (f64, f64) {
    let (mut low, mut high) = (0.0, 0.0);
    for (rule, acc, signal) in held(playbook, state) {
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

/// What the score searches from one instant on one state share ([`next_score_flip`]): the intent bounds there,
/// computed on first use, and the answers found so far. The conditions of one context ask the same search more than
/// once (each `readiness` condition searches every threshold; a segment and a CTA read the same bar): the saas
/// example's decision ran 12 searches, 5 of them distinct, and the searches were 40 % of its time.
#[derive(Default)]
pub(crate) struct Searches {
    bounds: OnceCell<(f64, f64)>,
    found: RefCell<Vec<(ScoreKind, Cmp, Option<Timestamp>)>>,
}

/// The first instant after `after` at which `holds(t)` differs from `holds(after)`.
///
/// `known`: the scores at `after`, when the caller has them; `searches`: shared by every search from the same
/// instant on the same state (a decision runs a dozen), which answers one asked before at once. When every intent
/// rule has non-negative points and
/// no fit rule reads a relative date, scores can only fall
/// as time passes (decay, expiry), so the answer is found by bisection over `(after, after + HORIZON]`, after
/// one look at the horizon shows whether anything changes at all. Otherwise rekindle probes at doubling
/// distances (1 s, 2 s, 4 s, …), at the expiry instants and at the millisecond before each, then bisects to the
/// millisecond.
pub(crate) fn next_score_flip(
    playbook: &Playbook,
    state: &ContactState,
    after: Timestamp,
    known: Option<&Scores>,
    searches: &Searches,
    kind: ScoreKind,
    cmp: Cmp,
) -> Option<Timestamp> {
    let asked = searches.found.borrow().iter().find(|(k, c, _)| *k == kind && *c == cmp).map(|(_, _, t)| *t);
    if let Some(found) = asked {
        return found;
    }
    let found = search_score_flip(playbook, state, after, known, &searches.bounds, kind, cmp);
    searches.found.borrow_mut().push((kind, cmp, found));
    found
}

/// [`next_score_flip`]'s search itself.
fn search_score_flip(
    playbook: &Playbook,
    state: &ContactState,
    after: Timestamp,
    known: Option<&Scores>,
    bounds: &OnceCell<(f64, f64)>,
    kind: ScoreKind,
    cmp: Cmp,
) -> Option<Timestamp> {
    // Fit is fixed in time unless a rule reads a relative date: computed once, not at every probe (and not at
    // all when the caller knows the scores at `after`).
    let fixed_fit =
        (!playbook.fit.reads_relative_dates()).then(|| known.map_or_else(|| state.fit_at(playbook, after), |s| s.fit));
    // The held rules looked up once: a search probes a dozen instants.
    let rules: Vec<Held<'_>> = held(playbook, state).collect();
    let value = |t: Timestamp| {
        let fit = fixed_fit.unwrap_or_else(|| playbook.fit.score(&state.profile, t, &mut Sink::discard()));
        let intent = intent_of(rules.iter().copied(), playbook.intent.max, t, &mut Sink::discard());
        Scores { fit, intent, total: fit + intent }.get(kind)
    };
    let at = |t: Timestamp| cmp.holds(value(t));
    let v_after = known.map_or_else(|| value(after), |s| s.get(kind));
    let initial = cmp.holds(v_after);
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
    // nothing can flip and no probe is needed (the test is a threshold, monotone in each score).
    if let Some(fit_now) = fixed_fit {
        let (low, high) = *bounds.get_or_init(|| intent_bounds(playbook, state, after));
        let bound = |intent: f64| cmp.holds(Scores { fit: fit_now, intent, total: fit_now + intent }.get(kind));
        if bound(low) == initial && bound(high) == initial {
            return None;
        }
    }
    // Monotone when fit is fixed and no negative contribution is still rising toward 0 for this contact.
    if fixed_fit.is_some() && !negative_fading(playbook, state) {
        let v_end = value(end);
        if cmp.holds(v_end) == initial {
            return None;
        }
        let mut breaks = Vec::new();
        score_breaks(playbook, state, after, &mut breaks);
        crate::time::sort_instants(&mut breaks);
        return Some(narrow((after, v_after), (end, v_end), &breaks, &value, cmp, initial));
    }
    // Intent alone does not read fit, which may then move with a relative date.
    if let Some(fit) = fixed_fit.or((kind == ScoreKind::Intent).then_some(0.0)) {
        return first_flip(&rules, playbook.intent.max, (fit, kind, cmp, initial), (after, end), &at);
    }
    if kind == ScoreKind::Total {
        // Fit moves only when a relative date passes: searched piece by piece between those instants.
        let mut breaks = Vec::new();
        for rule in &playbook.fit.rules {
            rule.test.flips_after(state.profile.get(&rule.field), after, &mut breaks);
        }
        breaks.retain(|b| *b <= end);
        crate::time::sort_instants(&mut breaks);
        breaks.dedup();
        let mut low = after;
        for b in breaks.into_iter().map(Some).chain([None]) {
            let high = b.and_then(|b| Timestamp::from_ms(b.ms() - 1)).unwrap_or(end);
            if high > low {
                let fit = playbook.fit.score(&state.profile, high, &mut Sink::discard());
                let found = first_flip(&rules, playbook.intent.max, (fit, kind, cmp, initial), (low, high), &at);
                if found.is_some() {
                    return found;
                }
            }
            let b = b?;
            if at(b) != initial {
                return Some(b);
            }
            low = b;
        }
    }
    let mut probes: Vec<Timestamp> = Vec::new();
    score_breaks(playbook, state, after, &mut probes);
    // A window that closes at a jump (an expiry) may open and close between two probes, so probe the
    // millisecond before each jump that moves the score back to the side it starts on: a positive rule
    // expiring closes a window above the bound, a negative one a window below it. (Only those: each probe is
    // a full intent computation.)
    let above = matches!(cmp, Cmp::Ge(_) | Cmp::Gt(_));
    for (rule, acc, _) in rules.iter().filter(|_| kind != ScoreKind::Fit) {
        let closes = (rule.points > 0.0) == (above != initial);
        let before = rule.expire_after.and_then(|e| Timestamp::from_ms(acc.last.plus(e).ms() - 1));
        probes.extend(before.filter(|t| closes && *t > after));
    }
    let mut step: i64 = 1_000;
    while let Some(t) = Timestamp::from_ms(after.ms().saturating_add(step)).filter(|t| *t <= end) {
        probes.push(t);
        step = step.saturating_mul(2);
    }
    probes.push(end);
    crate::time::sort_instants(&mut probes);
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

/// The first millisecond in `(low, high]` at which `at` stops answering `initial` (it does at `low`), when fit is
/// fixed and intent may rise and fall (a negative rule fading under positive ones decaying): a hump can cross the
/// bound and come back between any two probes (a day over the MQL bar, four days after the events), so each half
/// is searched only when the most and least intent can be there could flip the answer — positive contributions
/// only fall and negative ones only rise, so the ends bound them. Halving narrows to the hump in a few dozen steps.
fn first_flip(
    rules: &[Held<'_>],
    max: Option<f64>,
    (fit, kind, cmp, initial): (f64, ScoreKind, Cmp, bool),
    (low, high): (Timestamp, Timestamp),
    at: &dyn Fn(Timestamp) -> bool,
) -> Option<Timestamp> {
    let discard = &mut Sink::discard();
    let (mut least, mut most) = (0.0, 0.0);
    for (rule, acc, signal) in rules {
        let (a, b) = (rule.contribution(acc, signal, low, discard), rule.contribution(acc, signal, high, discard));
        least += a.min(b);
        most += a.max(b);
    }
    let score = |intent: f64| {
        let intent = max.map_or(intent, |m| intent.min(m));
        Scores { fit, intent, total: fit + intent }.get(kind)
    };
    if cmp.holds(score(least)) == initial && cmp.holds(score(most)) == initial {
        return None;
    }
    if high.since(low) <= 1 {
        return (at(high) != initial).then_some(high);
    }
    let mid = Timestamp::from_ms(low.ms() + high.since(low) / 2).unwrap_or(high);
    let flipped = at(mid) != initial;
    let bound = (fit, kind, cmp, initial);
    first_flip(rules, max, bound, (low, mid), at).or(flipped.then_some(mid)).or_else(|| {
        if flipped {
            None
        } else {
            first_flip(rules, max, bound, (mid, high), at)
        }
    })
}

/// The first millisecond in `(low, high]` at which `cmp` on `value` stops answering `initial`, given that it
/// answers `initial` at `low` and not at `high`, for a `value` monotone on the interval (so the flip is unique)
/// and continuous but for jumps at `breaks` (sorted; intent rules expiring).
///
/// Halving alone takes 35 evaluations over a year of milliseconds, each a full intent computation. Here the
/// jumps are checked first, which leaves a continuous piece; there each step probes where the line between the
/// ends' values meets the threshold, on a log scale while values are positive (a single decay is then a
/// straight line), as regula falsi (Illinois variant: an end kept twice in a row counts half); two steps that
/// fail to halve the piece are followed by a plain halving. The flip is unique and every step keeps it
/// inside, so the answer is halving's, in about 8 evaluations (the unit test measures it).
fn narrow(
    (mut low, mut v_low): (Timestamp, f64),
    (mut high, mut v_high): (Timestamp, f64),
    breaks: &[Timestamp],
    value: &dyn Fn(Timestamp) -> f64,
    cmp: Cmp,
    initial: bool,
) -> Timestamp {
    let mut jump_at_high = false;
    for &b in breaks {
        if b <= low || b >= high {
            continue;
        }
        let v = value(b);
        if cmp.holds(v) == initial {
            (low, v_low) = (b, v);
        } else {
            (high, v_high, jump_at_high) = (b, v, true);
            break;
        }
    }
    if jump_at_high && high.since(low) > 1 {
        let just_before = Timestamp::from_ms(high.ms() - 1).unwrap_or(low);
        let v = value(just_before);
        if cmp.holds(v) == initial {
            return high; // the jump itself flips it
        }
        (high, v_high) = (just_before, v);
    }
    let bound = cmp.bound();
    let (mut w_low, mut w_high) = (1.0, 1.0);
    let mut moved_low: Option<bool> = None;
    let (mut mark, mut slow) = (high.since(low), 0u8);
    while high.since(low) > 1 {
        let width = high.since(low);
        let line = crossing(v_low, v_high, bound, w_low, w_high);
        let halve = slow >= 2 || !(0.0..=1.0).contains(&line);
        let step = if halve { width / 2 } else { (line * width as f64) as i64 };
        let mid = Timestamp::from_ms(low.ms() + step.clamp(1, width - 1)).unwrap_or(high);
        let v = value(mid);
        let moved = cmp.holds(v) == initial;
        if moved {
            (low, v_low, w_low) = (mid, v, 1.0);
        } else {
            (high, v_high, w_high) = (mid, v, 1.0);
        }
        if moved_low == Some(moved) {
            if moved {
                w_high /= 2.0;
            } else {
                w_low /= 2.0;
            }
        }
        moved_low = Some(moved);
        if halve || high.since(low) <= mark / 2 {
            (mark, slow) = (high.since(low), 0);
        } else {
            slow += 1;
        }
    }
    high
}

/// Where between two ends (0 = low, 1 = high) the line through their weighted distances to `bound` crosses it;
/// NaN or out of range when it does not.
fn crossing(v_low: f64, v_high: f64, bound: f64, w_low: f64, w_high: f64) -> f64 {
    let (f_low, f_high) = if v_low > 0.0 && v_high > 0.0 && bound > 0.0 {
        let b = rough_log2(bound);
        (rough_log2(v_low) - b, rough_log2(v_high) - b)
    } else {
        (v_low - bound, v_high - bound)
    };
    let (f_low, f_high) = (f_low * w_low, f_high * w_high);
    f_low / (f_low - f_high)
}

/// `log2(x)` for a positive normal `x`, to about 1e-5: for guesses only (no answer depends on its bits).
fn rough_log2(x: f64) -> f64 {
    let bits = x.to_bits();
    let exponent = ((bits >> 52) & 0x7ff) as i64 - 1023;
    let m = f64::from_bits((bits & 0x000f_ffff_ffff_ffff) | 0x3ff0_0000_0000_0000); // in [1, 2)
                                                                                    // log2(m) = 2/ln 2 · atanh(t) with t = (m − 1)/(m + 1) ≤ 1/3: four terms of its series.
    let t = (m - 1.0) / (m + 1.0);
    let t2 = t * t;
    exponent as f64 + 2.885_390_081_777_927 * t * (1.0 + t2 * (1.0 / 3.0 + t2 * (0.2 + t2 / 7.0)))
}

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
