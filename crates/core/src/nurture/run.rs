//! One contact's run through one sequence: where it is at an instant (not enrolled, active, ended), when each
//! step is due and whether it was done or skipped, and the time-driven transitions (enrolment, stop,
//! completion, re-enrolment) found by evaluating conditions only at the instants where they may flip.

use alloc::format;
use alloc::string::String;
use alloc::vec::Vec;

use super::{Anchor, Sequence, Step};
use crate::consent::Frequency;
use crate::field::Truth;
use crate::playbook::Playbook;
use crate::policy::Gate;
use crate::segment::condition::Cond;
use crate::segment::eval::{Cx, StageRises};
use crate::state::sends::{Enrolment, StopBy};
use crate::state::ContactState;
use crate::suppression::Channel;
use crate::time::Timestamp;

/// How many transitions one catch-up applies at most (enrol, stop, re-enrol … within one gap): a safety bound.
/// Repeating cycles of re-enrolment are jumped over ([`repeat`]), so it is reached only by a run with more than
/// this many condition edges in one gap.
const MAX_TRANSITIONS: usize = 1024;

/// Where a run is at an instant.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Phase {
    NotEnrolled,
    Active,
    /// Stopped (`stopped`) or completed, at `at`.
    Ended {
        at: Timestamp,
        stopped: bool,
    },
}

/// What became of one step of a run.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Outcome {
    /// Sent at this instant.
    Done(Timestamp),
    /// Its `when` did not hold at its due time.
    Skipped(Truth),
    /// The contact does not want it: passed over, as HubSpot and Klaviyo pass over an email of a type the
    /// contact unsubscribed from, and the run goes on (D5, D27).
    Unwanted(Unwanted),
    /// Not yet sent.
    Pending,
}

/// Why a contact does not want a step, by the preference center's choices as they stand.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Unwanted {
    /// Not its topic ([`Gate::Topic`]'s status).
    Topic(&'static str),
    /// Only important messages, and the step is not marked important.
    NotImportant,
}

impl Unwanted {
    /// The step's answer, read against the contact's choices.
    fn of(pb: &Playbook, state: &ContactState, step: &Step) -> Option<Unwanted> {
        // A task is not a marketing message: the preference center's choices are not asked.
        step.channel.send()?;
        let p = &state.permissions;
        let topic = step.topic.as_deref().and_then(|t| pb.policy.topic_refused(p, t));
        topic.map(Unwanted::Topic).or_else(|| {
            (!step.important && p.frequency == Some(Frequency::ImportantOnly)).then_some(Unwanted::NotImportant)
        })
    }

    /// As the send policy's gate.
    pub(crate) fn gate(self, step: &Step) -> Gate {
        match self {
            Unwanted::Topic(status) => Gate::Topic { topic: step.topic.clone().unwrap_or_default(), status },
            Unwanted::NotImportant => Gate::ImportantOnly,
        }
    }
}

/// One step with its due time and outcome.
#[derive(Debug, Clone, Copy)]
pub(crate) struct Slot<'a> {
    pub(crate) step: &'a Step,
    pub(crate) due: Timestamp,
    pub(crate) outcome: Outcome,
}

/// How the decision prints why a run stopped: the stop condition's path, `opt_out:<channels>` or `inactive`;
/// `None` for a condition the playbook no longer has.
pub(crate) fn stop_label(seq: &Sequence, by: StopBy) -> Option<String> {
    match by {
        StopBy::Condition(i) => seq.stop.get(usize::from(i)).map(|c| String::from(c.path())),
        StopBy::OptOut { email, sms } => {
            let names = [(email, Channel::Email), (sms, Channel::Sms)].into_iter().filter(|(on, _)| *on);
            let names: Vec<&str> = names.map(|(_, c)| c.name()).collect();
            Some(format!("opt_out:{}", names.join(",")))
        }
        StopBy::Inactive => Some(String::from("inactive")),
    }
}

/// A time-driven change of a run.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Transition {
    Enrol,
    Stop,
    Complete,
    Reenrol,
}

fn eval_at(pb: &Playbook, state: &ContactState, cond: &Cond, t: Timestamp) -> Truth {
    cond.eval(&mut Cx::lazy(pb, state, t))
}

/// When the step was sent in this run, if it was.
fn done_at(e: &Enrolment, step: &Step) -> Option<Timestamp> {
    e.done.iter().find(|(k, at)| *k == step.key && *at >= e.enrolled_at).map(|(_, at)| *at)
}

/// The verdict the fold recorded for the step's `when`, if it judged it.
fn judged(e: &Enrolment, step: &Step) -> Option<Truth> {
    e.judged.iter().find(|(k, _)| *k == step.key).map(|(_, truth)| *truth)
}

/// The run's steps in order with due times, up to and including the first pending one. A `when` is judged
/// at the step's due time: the fold's recorded verdict when it judged it (see [`judge_due`]), else on this
/// state; with `horizon`, only for due times up to it (later ones stay pending). Lazy: checking whether a run
/// completed walks it without collecting it.
pub(crate) fn schedule<'a>(
    pb: &'a Playbook,
    seq: &'a Sequence,
    state: &'a ContactState,
    e: &'a Enrolment,
    horizon: Option<Timestamp>,
) -> impl Iterator<Item = Slot<'a>> + 'a {
    let mut previous = e.enrolled_at;
    let mut pending = false;
    // Each step's anchor instant for later steps (its send, else its due time), kept only when a step counts
    // from a named earlier one: most sequences count from enrolment or the previous step and allocate nothing.
    let named = seq.steps.iter().any(|s| matches!(s.from, Anchor::Step(_)));
    let mut reached: Vec<Timestamp> = Vec::new();
    seq.steps.iter().map_while(move |step| {
        if pending {
            return None;
        }
        let anchor = match step.from {
            Anchor::Enrolment => e.enrolled_at,
            Anchor::Previous => previous,
            // The walk stops after the first pending step, so every earlier step has its instant here (the
            // reader and the decoder refuse a step naming itself or a later one); enrolment is never reached.
            Anchor::Step(i) => reached.get(i).copied().unwrap_or(e.enrolled_at),
        };
        let due = step.after.map_or(anchor, |a| anchor.plus(a));
        let outcome = match done_at(e, step) {
            Some(at) => Outcome::Done(at),
            None if horizon.is_some_and(|h| due > h) => Outcome::Pending,
            // The branch rule as judged at the due time; then whether the contact wants the step, judged on their
            // choices as they stand (an opt-out is honoured at once, overdue steps included).
            None => match step
                .when
                .as_ref()
                .map_or(Truth::True, |w| judged(e, step).unwrap_or_else(|| eval_at(pb, state, w, due)))
            {
                Truth::True => Unwanted::of(pb, state, step).map_or(Outcome::Pending, Outcome::Unwanted),
                other => Outcome::Skipped(other),
            },
        };
        previous = match outcome {
            Outcome::Done(at) => at,
            Outcome::Skipped(_) | Outcome::Unwanted(_) | Outcome::Pending => due,
        };
        if named {
            reached.push(previous);
        }
        pending = outcome == Outcome::Pending;
        Some(Slot { step, due, outcome })
    })
}

/// Records the verdict of every branch rule whose step fell due before `until` and is not judged yet. The fold
/// calls it before folding the events at `until`, so the state holds exactly the events up to each due time
/// (events at the due time count): the verdict is the one an engine running at that instant would have given.
///
/// Every step whose due time is known is judged, not only those up to the first step not yet sent: a step timed
/// from enrolment, or from a step sent or skipped, has its due time whatever an earlier step still waiting does,
/// and once that one goes out the state no longer holds the contact as it was at this step's due time (a score
/// read in the past reads the accumulator as it is now).
pub(crate) fn judge_due(pb: &Playbook, seq: &Sequence, state: &ContactState, e: &mut Enrolment, until: Timestamp) {
    if e.stopped_at.is_some() || e.completed_at.is_some() || !seq.steps.iter().any(|s| s.when.is_some()) {
        return;
    }
    // Each step's instant for the steps timed from it: its send, or its due time when its branch skipped it;
    // `None` while it waits to be sent (or is not due yet), so the steps timed from it are not due yet either.
    let mut reached: Vec<Option<Timestamp>> = Vec::with_capacity(seq.steps.len());
    let mut verdicts: Vec<(u32, Truth)> = Vec::new();
    for step in &seq.steps {
        let anchor = match step.from {
            Anchor::Enrolment => Some(e.enrolled_at),
            Anchor::Previous => reached.last().copied().unwrap_or(Some(e.enrolled_at)),
            Anchor::Step(i) => reached.get(i).copied().flatten(),
        };
        let due = anchor.map(|a| step.after.map_or(a, |after| a.plus(after)));
        let instant = match (done_at(e, step), due) {
            (Some(sent), _) => Some(sent),
            (None, Some(due)) if due < until => {
                let truth = match (step.when.as_ref(), judged(e, step)) {
                    (None, _) => Truth::True,
                    (Some(_), Some(truth)) => truth,
                    (Some(w), None) => {
                        let truth = eval_at(pb, state, w, due);
                        verdicts.push((step.key, truth));
                        truth
                    }
                };
                (truth != Truth::True).then_some(due)
            }
            (None, _) => None,
        };
        reached.push(instant);
    }
    e.judged.extend(verdicts);
}

/// When every step of the run was done or skipped, judged at `t`.
pub(crate) fn completed_at(
    pb: &Playbook,
    seq: &Sequence,
    state: &ContactState,
    e: &Enrolment,
    t: Timestamp,
) -> Option<Timestamp> {
    let (mut slots, mut latest) = (0, None);
    for slot in schedule(pb, seq, state, e, Some(t)) {
        if slot.outcome == Outcome::Pending {
            return None;
        }
        slots += 1;
        latest = latest.max(Some(match slot.outcome {
            Outcome::Done(at) => at,
            Outcome::Skipped(_) | Outcome::Unwanted(_) | Outcome::Pending => slot.due,
        }));
    }
    if slots < seq.steps.len() {
        return None;
    }
    latest.map(|c| c.max(e.enrolled_at))
}

/// Where the run is at `t`.
pub(crate) fn phase(pb: &Playbook, seq: &Sequence, state: &ContactState, e: Option<&Enrolment>, t: Timestamp) -> Phase {
    let Some(e) = e else { return Phase::NotEnrolled };
    if let Some(at) = e.stopped_at {
        return Phase::Ended { at, stopped: true };
    }
    // A completion the fold recorded after `t` (events stamped after a decision's `now`) has not happened at `t`.
    if let Some(at) = e.completed_at.filter(|c| *c <= t) {
        return Phase::Ended { at, stopped: false };
    }
    match completed_at(pb, seq, state, e, t) {
        Some(at) => Phase::Ended { at, stopped: false },
        None => Phase::Active,
    }
}

/// The instant `inactive_stop` elapses: counted from the later of enrolment and the last engagement.
fn inactivity_deadline(seq: &Sequence, state: &ContactState, e: &Enrolment) -> Option<Timestamp> {
    let reference = state.activity.last_engagement.map_or(e.enrolled_at, |l| l.max(e.enrolled_at));
    seq.inactive_stop.map(|d| reference.plus(d))
}

/// The first reason the run stops at the context's instant, if any: stop conditions in order, then an opt-out
/// on every channel a step that could still be sent uses, then inactivity.
pub(crate) fn stop_cause(cx: &mut Cx<'_>, seq: &Sequence, e: &Enrolment) -> Option<StopBy> {
    let (pb, state, t) = (cx.pb, cx.state, cx.now());
    if let Some(i) = seq.stop.iter().position(|c| c.eval(cx).holds()) {
        return Some(StopBy::Condition(u16::try_from(i).unwrap_or(u16::MAX)));
    }
    // An opt-out stops the run once no channel its remaining steps need can reach the contact; while one
    // still can, a step on a suppressed channel is reported as denied by the send policy. A task still to do
    // (a call, a LinkedIn touch) keeps the run going: its own gates say whether it may happen. A step its
    // branch rule skipped by `t` will never be sent, so its channel is not needed (an email opt-out with the
    // run's SMS step skipped stops the run); one not yet due may still apply, so it is.
    let suppressed = |c: Channel| state.suppression.get(c).is_some_and(|d| d.at <= t);
    let mut skipped: Vec<u32> = Vec::new();
    if Channel::ALL.into_iter().any(suppressed) && seq.steps.iter().any(|s| s.when.is_some()) {
        let slots = schedule(pb, seq, state, e, Some(t));
        skipped.extend(slots.filter(|slot| matches!(slot.outcome, Outcome::Skipped(_))).map(|slot| slot.step.key));
    }
    let needs = |c: Option<Channel>| {
        seq.steps.iter().any(|s| s.channel.send() == c && done_at(e, s).is_none() && !skipped.contains(&s.key))
    };
    let needed = || Channel::ALL.into_iter().filter(|c| needs(Some(*c)));
    if !needs(None) && needed().next().is_some() && needed().all(suppressed) {
        return Some(StopBy::OptOut { email: needs(Some(Channel::Email)), sms: needs(Some(Channel::Sms)) });
    }
    inactivity_deadline(seq, state, e).filter(|d| *d <= t).map(|_| StopBy::Inactive)
}

fn enrol(previous: Option<&Enrolment>, t: Timestamp) -> Enrolment {
    Enrolment {
        enrolled_at: t,
        runs: previous.map_or(1, |p| p.runs.saturating_add(1)),
        done: Vec::new(),
        stopped_at: None,
        stopped_by: None,
        completed_at: None,
        judged: Vec::new(),
    }
}

/// Enrols (or re-enrols) at the context's instant; a run whose stop already holds then ends at once.
fn enrol_checked(cx: &mut Cx<'_>, seq: &Sequence, previous: Option<&Enrolment>) -> Enrolment {
    let t = cx.now();
    let mut e = enrol(previous, t);
    if let Some(by) = stop_cause(cx, seq, &e) {
        e.stopped_at = Some(t);
        e.stopped_by = Some(by);
    }
    e
}

/// The level check at an event instant (its events folded): enrol, stop or re-enrol at the context's
/// instant. The run after the check when it changed, `None` when it stays as it is.
pub(crate) fn at_instant(cx: &mut Cx<'_>, seq: &Sequence, e: Option<&Enrolment>) -> Option<Enrolment> {
    let (pb, state, t) = (cx.pb, cx.state, cx.now());
    match phase(pb, seq, state, e, t) {
        Phase::NotEnrolled if seq.start.eval(cx).holds() => Some(enrol_checked(cx, seq, e)),
        Phase::Active => {
            let run = e?;
            let by = stop_cause(cx, seq, run)?;
            Some(Enrolment { stopped_at: Some(t), stopped_by: Some(by), ..run.clone() })
        }
        Phase::Ended { at, .. }
            if seq.reenrol_after.is_some_and(|cool| t >= at.plus(cool)) && seq.start.eval(cx).holds() =>
        {
            Some(enrol_checked(cx, seq, e))
        }
        // Completed by this instant and not yet recorded: recorded, so that a later change of the contact's
        // choices does not reopen it.
        Phase::Ended { at, stopped: false } => {
            let run = e?;
            run.completed_at.is_none().then(|| Enrolment { completed_at: Some(at), ..run.clone() })
        }
        Phase::NotEnrolled | Phase::Ended { .. } => None,
    }
}

/// The first candidate at which `holds` is true, candidates sorted and deduplicated. Every candidate is
/// evaluated, however many: a cap on them (256) answered "never" for an enrolment or a stop that came after it.
/// They are bounded by what the state keeps (the kept instants of each counted signal and its day buckets,
/// times the windows that count them), so the search ends.
fn first_of(mut candidates: Vec<Timestamp>, holds: impl Fn(Timestamp) -> bool) -> Option<Timestamp> {
    crate::time::sort_instants(&mut candidates);
    candidates.dedup();
    candidates.into_iter().find(|t| holds(*t))
}

/// The instants in `(cursor, until]` at which `cond` may flip on its own; `rises` is its [`super::Rises`] flag.
/// Only conditions that can turn true with time alone are searched: a windowed "at least" or an `ever` cannot
/// start (or stop) a run between events, nor a stage unless a bar can start to hold on its own (scores that can
/// rise, a recycle ending), so most playbooks skip the search entirely.
fn flips(
    pb: &Playbook,
    state: &ContactState,
    cond: &Cond,
    rises: bool,
    (cursor, until, by): (Timestamp, Timestamp, CatchUp),
    out: &mut Vec<Timestamp>,
) {
    if rises {
        let stages = if by == CatchUp::Fold { StageRises::Recorded } else { StageRises::Search };
        cond.changes_after(&Cx::lazy(pb, state, cursor), (cursor, until), stages, out, 0);
    }
}

/// Who catches a run up: what the range includes and what the state already holds.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum CatchUp {
    /// The fold, before folding the events at `until`: `until` itself is judged after them, and the stages bars
    /// reached on their own before it are already in the funnel (`ContactState::record_rises`), so no search
    /// for them is needed.
    Fold,
    /// A decision at `until`, included, on a state that records only what events did.
    Decide,
}

/// The first time-driven transition of the run in `(cursor, until)` (`until` included for a decision).
pub(crate) fn next_transition(
    pb: &Playbook,
    seq: &Sequence,
    state: &ContactState,
    e: Option<&Enrolment>,
    cursor: Timestamp,
    until: Timestamp,
    by: CatchUp,
) -> Option<(Timestamp, Transition)> {
    let in_range = |t: Timestamp| t > cursor && (t < until || (by == CatchUp::Decide && t == until));
    let search = |from: Timestamp| (from, until, by);
    let holds = |cond: &Cond, t: Timestamp| eval_at(pb, state, cond, t).holds();
    match phase(pb, seq, state, e, cursor) {
        Phase::NotEnrolled => {
            let mut c = Vec::new();
            flips(pb, state, &seq.start, seq.rises.start, search(cursor), &mut c);
            c.retain(|t| in_range(*t));
            first_of(c, |t| holds(&seq.start, t)).map(|t| (t, Transition::Enrol))
        }
        Phase::Active => {
            let e = e?;
            let done = completed_at(pb, seq, state, e, until).filter(|c| in_range(*c));
            let mut c = Vec::new();
            for (i, cond) in seq.stop.iter().enumerate() {
                let rises = seq.rises.stop.get(i).copied().unwrap_or(true);
                flips(pb, state, cond, rises, search(cursor), &mut c);
            }
            c.extend(inactivity_deadline(seq, state, e));
            // A branch judged false at its step's due time may leave only opted-out channels to the run.
            if Channel::ALL.into_iter().any(|ch| state.suppression.get(ch).is_some()) {
                let slots = schedule(pb, seq, state, e, Some(until));
                c.extend(slots.filter(|s| matches!(s.outcome, Outcome::Skipped(_))).map(|s| s.due));
            }
            c.retain(|t| in_range(*t) && done.is_none_or(|d| *t < d));
            let stop = first_of(c, |t| stop_cause(&mut Cx::lazy(pb, state, t), seq, e).is_some());
            stop.map(|t| (t, Transition::Stop)).or(done.map(|d| (d, Transition::Complete)))
        }
        Phase::Ended { at, .. } => {
            let from = at.plus(seq.reenrol_after?);
            let mut c = alloc::vec![from];
            flips(pb, state, &seq.start, seq.rises.start, search(cursor.max(from)), &mut c);
            c.retain(|t| in_range(*t) && *t >= from);
            first_of(c, |t| holds(&seq.start, t)).map(|t| (t, Transition::Reenrol))
        }
    }
}

/// Applies every time-driven transition in `(after, until)` (`until` included for a decision).
pub(crate) fn advance(
    pb: &Playbook,
    seq: &Sequence,
    state: &ContactState,
    mut e: Option<Enrolment>,
    after: Timestamp,
    until: Timestamp,
    by: CatchUp,
) -> Option<Enrolment> {
    let mut cursor = after;
    // The run as it was right after the previous (re-)enrolment of this catch-up.
    let mut started: Option<Enrolment> = None;
    for _ in 0..MAX_TRANSITIONS {
        let Some((t, transition)) = next_transition(pb, seq, state, e.as_ref(), cursor, until, by) else {
            break;
        };
        e = match transition {
            Transition::Enrol | Transition::Reenrol => {
                Some(enrol_checked(&mut Cx::lazy(pb, state, t), seq, e.as_ref()))
            }
            Transition::Stop => e.map(|mut run| {
                run.stopped_by = stop_cause(&mut Cx::lazy(pb, state, t), seq, &run);
                run.stopped_at = Some(t);
                run
            }),
            Transition::Complete => e.map(|mut run| {
                run.completed_at = Some(t);
                run
            }),
        };
        cursor = t;
        if matches!(transition, Transition::Enrol | Transition::Reenrol) {
            let run = e.clone();
            if let Some(jumped) =
                started.as_ref().zip(run.as_ref()).and_then(|(p, r)| repeat(pb, seq, state, p, r, (until, by)))
            {
                cursor = jumped.enrolled_at;
                e = Some(jumped);
                started = None;
            } else {
                started = run;
            }
        }
    }
    e
}

/// A cycle of re-enrolment repeated in one step. Between events the state is fixed, so once a run began exactly
/// as the one before it, shifted by the period between their enrolments, every later run does the same until a
/// condition of the sequence may change (a window edge, a score crossing, a dated opt-out or engagement) or the
/// range ends: the run after the last whole period before then, which the walk would reach one transition at a
/// time (a 12 h cool-down over years of silence is thousands of them; 1 s, billions). `None` when the two runs
/// differ, or no whole period fits.
fn repeat(
    pb: &Playbook,
    seq: &Sequence,
    state: &ContactState,
    before: &Enrolment,
    run: &Enrolment,
    (until, by): (Timestamp, CatchUp),
) -> Option<Enrolment> {
    let period = run.enrolled_at.ms().checked_sub(before.enrolled_at.ms()).filter(|p| *p > 0)?;
    // How long after its enrolment a run was stopped, if it was.
    let lasted = |r: &Enrolment| {
        let since = |at: Option<Timestamp>| at.map(|s| s.ms() - r.enrolled_at.ms());
        (since(r.stopped_at), since(r.completed_at))
    };
    let same = run.runs == before.runs.saturating_add(1)
        && lasted(run) == lasted(before)
        && run.stopped_by == before.stopped_by
        && run.done == before.done
        && run.judged == before.judged;
    if !same {
        return None;
    }
    let t0 = before.enrolled_at;
    let mut edges = Vec::new();
    let stages = if by == CatchUp::Fold { StageRises::Recorded } else { StageRises::Search };
    let cx = Cx::lazy(pb, state, t0);
    for cond in seq.conditions() {
        cond.changes_after(&cx, (t0, until), stages, &mut edges, 0);
    }
    let dated = Channel::ALL.into_iter().filter_map(|c| state.suppression.get(c).map(|d| d.at));
    edges.extend(dated.chain(state.activity.last_engagement).filter(|t| *t > t0));
    // The last instant a copied run may begin at: before the next edge, within the range.
    let end = if by == CatchUp::Decide { until.ms() } else { until.ms().saturating_sub(1) };
    let last = edges.into_iter().map(|t| t.ms().saturating_sub(1)).fold(end, i64::min);
    let k = last.checked_sub(run.enrolled_at.ms())? / period;
    if k < 1 {
        return None;
    }
    let jump = k.checked_mul(period)?;
    let mut next = run.clone();
    next.enrolled_at = Timestamp::from_ms(run.enrolled_at.ms().checked_add(jump)?)?;
    next.runs = run.runs.saturating_add(u16::try_from(k).unwrap_or(u16::MAX));
    next.stopped_at = match run.stopped_at {
        Some(at) => Some(Timestamp::from_ms(at.ms().checked_add(jump)?)?),
        None => None,
    };
    next.completed_at = match run.completed_at {
        Some(at) => Some(Timestamp::from_ms(at.ms().checked_add(jump)?)?),
        None => None,
    };
    Some(next)
}
