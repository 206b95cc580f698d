//! When a score first crosses a bound without new events: the search behind readiness, bar and `score`
//! condition flips (bounded by what decay can still reach, halving toward the first crossing).

use alloc::vec::Vec;

use super::*;
/// The lowest and highest intent reachable after `at` without new events: positive contributions can only
/// fall (to their permanent part), negative ones only rise toward 0 (unless permanent).
pub(super) fn intent_bounds(playbook: &Playbook, state: &ContactState, at: Timestamp) -> (f64, f64) {
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
pub(super) fn score_breaks(playbook: &Playbook, state: &ContactState, after: Timestamp, out: &mut Vec<Timestamp>) {
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
pub(super) fn search_score_flip(
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
    // Fit moves only when a relative date passes, so fit alone can flip only at those instants: a window of a day
    // ten days out lies between doubling probes.
    let breaks = fit_breaks(playbook, state, after, end);
    if kind == ScoreKind::Fit {
        return breaks.into_iter().find(|b| at(*b) != initial);
    }
    if kind == ScoreKind::Total {
        // Searched piece by piece between the instants fit moves.
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

/// The instants in `(after, end]` at which a fit rule reading a relative date changes its answer, in order.
fn fit_breaks(playbook: &Playbook, state: &ContactState, after: Timestamp, end: Timestamp) -> Vec<Timestamp> {
    let mut breaks = Vec::new();
    for rule in &playbook.fit.rules {
        rule.test.flips_after(state.profile.get(&rule.field), after, &mut breaks);
    }
    breaks.retain(|b| *b <= end);
    crate::time::sort_instants(&mut breaks);
    breaks.dedup();
    breaks
}

/// The first millisecond in `(low, high]` at which `at` stops answering `initial` (it does at `low`), when fit is
/// fixed and intent may rise and fall (a negative rule fading under positive ones decaying): a hump can cross the
/// bound and come back between any two probes (a day over the MQL bar, four days after the events), so each half
/// is searched only when the most and least intent can be there could flip the answer — positive contributions
/// only fall and negative ones only rise, so the ends bound them. Halving narrows to the hump in a few dozen steps.
pub(super) fn first_flip(
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
pub(super) fn narrow(
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
pub(super) fn crossing(v_low: f64, v_high: f64, bound: f64, w_low: f64, w_high: f64) -> f64 {
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
pub(super) fn rough_log2(x: f64) -> f64 {
    let bits = x.to_bits();
    let exponent = ((bits >> 52) & 0x7ff) as i64 - 1023;
    let m = f64::from_bits((bits & 0x000f_ffff_ffff_ffff) | 0x3ff0_0000_0000_0000); // in [1, 2)
                                                                                    // log2(m) = 2/ln 2 · atanh(t) with t = (m − 1)/(m + 1) ≤ 1/3: four terms of its series.
    let t = (m - 1.0) / (m + 1.0);
    let t2 = t * t;
    exponent as f64 + 2.885_390_081_777_927 * t * (1.0 + t2 * (1.0 / 3.0 + t2 * (0.2 + t2 / 7.0)))
}
