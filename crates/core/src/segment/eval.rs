//! Evaluating a condition tree at one instant (three-valued, never coerced), naming the leaves that decided,
//! and listing the instants after which a leaf can flip on its own — so the next flip of a whole tree is
//! found by evaluating it at those instants only, never by polling.

use alloc::string::String;
use alloc::vec::Vec;
use core::cell::OnceCell;

use super::condition::{Age, Bound, Cmp, Cond};
use crate::explain::UnknownCause;
use crate::field::FieldTest;
use crate::field::Truth;
use crate::moment::{next_score_flip, stage_rises, Meets, Moment, Searches};
use crate::playbook::Playbook;
use crate::stage::Scores;
use crate::state::track::Latest;
use crate::state::ContactState;
use crate::time::Timestamp;

/// Whether [`Cond::changes_after`] searches for stages a bar reaches on its own (a costly search), or the
/// state's funnel already records them (a fold records them before each event instant).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum StageRises {
    Search,
    Recorded,
}

/// 365 days: rekindle's year (DESIGN §7: no calendar months or years).
const YEAR_MS: i64 = 365 * 86_400_000;

/// One UTC day, the width of a large count's buckets.
const DAY_MS: i64 = 86_400_000;

/// The moment a condition reads: given, or computed on first use (most conditions need only the instant and
/// the state, so the next-flip search never pays for scores it does not read).
enum At<'a> {
    Given(&'a Moment),
    Lazy(LazyMoment),
    Shared(&'a LazyMoment),
}

/// A contact's moment at one instant, computed on first use and then shared by every context made with
/// [`Cx::shared`]: a fold's instant checks each sequence's start and stops against one moment instead of
/// computing scores and bars once per sequence. Valid for one state as far as a moment reads it (profile,
/// rules, signals, funnel, activity; enrolments may change meanwhile).
pub(crate) struct LazyMoment {
    at: Timestamp,
    /// The scores at `at` and which bars hold there, when the caller already computed them on this state.
    known: Option<(Scores, Meets)>,
    cell: OnceCell<Moment>,
    /// The lifecycle phase alone, when conditions read it before (or without) the whole moment.
    phase: OnceCell<crate::lifecycle::Phase>,
}

impl LazyMoment {
    /// The moment at `at`, with its scores and bars when already known.
    pub(crate) fn new(at: Timestamp, known: Option<(Scores, Meets)>) -> LazyMoment {
        LazyMoment { at, known, cell: OnceCell::new(), phase: OnceCell::new() }
    }

    fn known_scores(&self) -> Option<Scores> {
        self.cell.get().map(|m| m.scores).or(self.known.map(|(scores, _)| scores))
    }

    fn get(&self, pb: &Playbook, state: &ContactState) -> &Moment {
        self.cell.get_or_init(|| match self.known {
            Some((scores, meets)) => Moment::with_meets(pb, state, self.at, scores, meets),
            None => Moment::later(pb, state, self.at),
        })
    }
}

/// What a condition is evaluated against.
pub(crate) struct Cx<'a> {
    pub(crate) pb: &'a Playbook,
    pub(crate) state: &'a ContactState,
    at: At<'a>,
    /// Segment truths already computed at this moment (segment-of-segment).
    memo: Memo,
    /// Set when a day-bucket count was used.
    pub(crate) approximate: bool,
    /// The score searches from the instant ([`crate::moment::next_score_flip`]): bounds and answers, shared by
    /// this context's conditions, or with other contexts at the same instant on the same state (`shared`).
    searches: Searches,
    shared: Option<&'a Searches>,
}

impl<'a> Cx<'a> {
    pub(crate) fn new(pb: &'a Playbook, state: &'a ContactState, m: &'a Moment) -> Cx<'a> {
        Cx::sharing(pb, state, m, None)
    }

    /// [`Cx::new`] sharing `searches` (when given) with the other contexts of a decision at `m` on `state`.
    pub(crate) fn sharing(
        pb: &'a Playbook,
        state: &'a ContactState,
        m: &'a Moment,
        searches: Option<&'a Searches>,
    ) -> Cx<'a> {
        Cx {
            pb,
            state,
            at: At::Given(m),
            memo: Memo::default(),
            approximate: false,
            searches: Searches::default(),
            shared: searches,
        }
    }

    /// A context at `t` whose moment (scores, stage, lifecycle) is computed only if a condition reads it.
    pub(crate) fn lazy(pb: &'a Playbook, state: &'a ContactState, t: Timestamp) -> Cx<'a> {
        Cx {
            pb,
            state,
            at: At::Lazy(LazyMoment::new(t, None)),
            memo: Memo::default(),
            approximate: false,
            searches: Searches::default(),
            shared: None,
        }
    }

    /// A context whose moment is `shared` with other contexts at the same instant on the same state.
    pub(crate) fn shared(pb: &'a Playbook, state: &'a ContactState, shared: &'a LazyMoment) -> Cx<'a> {
        Cx {
            pb,
            state,
            at: At::Shared(shared),
            memo: Memo::default(),
            approximate: false,
            searches: Searches::default(),
            shared: None,
        }
    }

    /// The instant.
    pub(crate) fn now(&self) -> Timestamp {
        match &self.at {
            At::Given(m) => m.at,
            At::Lazy(lazy) => lazy.at,
            At::Shared(lazy) => lazy.at,
        }
    }

    /// The contact at the instant.
    /// The scores at the instant, when they are already at hand (never computed for the asking).
    pub(crate) fn known_scores(&self) -> Option<Scores> {
        match &self.at {
            At::Given(m) => Some(m.scores),
            At::Lazy(lazy) => lazy.known_scores(),
            At::Shared(lazy) => lazy.known_scores(),
        }
    }

    pub(crate) fn moment(&self) -> &Moment {
        match &self.at {
            At::Given(m) => m,
            At::Lazy(lazy) => lazy.get(self.pb, self.state),
            At::Shared(lazy) => lazy.get(self.pb, self.state),
        }
    }

    /// The lifecycle at the instant: from the moment when there is one already, else computed alone (a
    /// lifecycle condition needs no scores, bars or stage).
    fn lifecycle(&self) -> crate::lifecycle::Phase {
        let lazy = match &self.at {
            At::Given(m) => return m.lifecycle.state,
            At::Lazy(lazy) => lazy,
            At::Shared(lazy) => *lazy,
        };
        match lazy.cell.get() {
            Some(m) => m.lifecycle.state,
            None => *lazy.phase.get_or_init(|| self.state.lifecycle_at(self.pb, lazy.at).state),
        }
    }

    /// The truth of segment `i` at this moment, memoised.
    pub(crate) fn segment(&mut self, i: usize) -> Truth {
        if let Some(t) = self.memo.get(i) {
            return t;
        }
        let Some(def) = self.pb.segments.get(i) else { return Truth::Unknown(UnknownCause::Missing) };
        let t = def.when.eval(self);
        self.memo.set(i, t);
        t
    }

    fn track(&self, signal: usize) -> Option<&'a crate::state::track::SignalTrack> {
        let s = self.pb.signals.get(signal)?;
        self.state.signals.get(&s.key)
    }

    /// The latest occurrence of a signal at or before now.
    fn last(&self, signal: usize) -> Latest {
        self.track(signal).map_or(Latest::Never, |t| t.latest_by(self.now()))
    }

    /// The first occurrence of a signal, if it is not in the future.
    fn first(&self, signal: usize) -> Option<Timestamp> {
        self.track(signal)?.first.filter(|t| *t <= self.now())
    }
}

/// Segment truths by index: the first 32 inline, so the many short-lived contexts of a fold (one per
/// candidate instant) allocate nothing for them; more segments than that spill into a `Vec`.
#[derive(Default)]
struct Memo {
    first: [Option<Truth>; 32],
    more: Vec<Option<Truth>>,
}

impl Memo {
    fn get(&self, i: usize) -> Option<Truth> {
        match self.first.get(i) {
            Some(t) => *t,
            None => self.more.get(i - self.first.len()).copied().flatten(),
        }
    }

    fn set(&mut self, i: usize, t: Truth) {
        if let Some(slot) = self.first.get_mut(i) {
            *slot = Some(t);
            return;
        }
        let j = i - self.first.len();
        if self.more.len() <= j {
            self.more.resize(j + 1, None);
        }
        if let Some(slot) = self.more.get_mut(j) {
            *slot = Some(t);
        }
    }
}

/// Kleene `and` (`decisive` = `False`) or `or` (`decisive` = `True`) of every item, each one evaluated: the
/// decisive value if any item has it, else the first unknown, else the other value. No short-circuit, so every
/// leaf leaves its mark on the context (day-bucket approximation, segment memo) whatever its siblings say.
fn combine(cx: &mut Cx<'_>, list: &[Cond], decisive: Truth) -> Truth {
    let mut decided = false;
    let mut unknown = None;
    for c in list {
        match c.eval(cx) {
            Truth::Unknown(cause) => unknown = unknown.or(Some(cause)),
            t => decided |= t == decisive,
        }
    }
    match (decided, unknown) {
        (true, _) => decisive,
        (false, Some(cause)) => Truth::Unknown(cause),
        (false, None) => decisive.negate(),
    }
}

fn age_holds(age: Age, since: i64) -> bool {
    match age {
        Age::MoreThan(d) => since >= d.ms(),
        Age::LessThan(d) => (0..d.ms()).contains(&since),
    }
}

impl Cond {
    /// The truth at the context's moment.
    pub(crate) fn eval(&self, cx: &mut Cx<'_>) -> Truth {
        let now = cx.now();
        match self {
            Cond::All(_, list) => combine(cx, list, Truth::False),
            Cond::Any(_, list) => combine(cx, list, Truth::True),
            Cond::Not(_, c) => c.eval(cx).negate(),
            Cond::Field { field, test, .. } => test.eval(cx.state.profile.get(field), now),
            Cond::Count { signal, within, bound, .. } => {
                let counted = cx.track(*signal).map(|t| t.count_within(*within, now));
                let (n, unsure, approximate) = counted.map_or((0, 0, false), |c| (c.n, c.unsure, c.approximate));
                cx.approximate |= approximate;
                // The count lies in n..=n + unsure (dropped instants, see `Counted`): decided only when the whole
                // range gives one answer.
                let dropped = Truth::Unknown(UnknownCause::Dropped);
                match bound {
                    Bound::AtLeast(min) if n < *min && n.saturating_add(unsure) >= *min => dropped,
                    Bound::AtMost(max) if n <= *max && n.saturating_add(unsure) > *max => dropped,
                    Bound::AtLeast(min) => Truth::of(n >= *min),
                    // "At most N in the last D" says nothing about a contact whose history is shorter than D
                    // (Customer.io's data-sufficiency rule): unknown, so a brand-new lead is not "inactive".
                    Bound::AtMost(max)
                        if n <= *max && cx.state.first_seen.is_none_or(|f| now.since(f) < within.ms()) =>
                    {
                        Truth::Unknown(UnknownCause::ShortHistory)
                    }
                    Bound::AtMost(max) => Truth::of(n <= *max),
                }
            }
            Cond::Last { signal, age, .. } => match cx.last(*signal) {
                Latest::Never => Truth::False,
                Latest::At(t) => Truth::of(age_holds(*age, now.since(t))),
                // Either age test is monotone in the instant: decided when both ends of the range agree.
                Latest::Between(from, to) => match (age_holds(*age, now.since(from)), age_holds(*age, now.since(to))) {
                    (a, b) if a == b => Truth::of(a),
                    _ => Truth::Unknown(UnknownCause::Dropped),
                },
            },
            Cond::First { signal, age, .. } => {
                cx.first(*signal).map_or(Truth::False, |t| Truth::of(age_holds(*age, now.since(t))))
            }
            Cond::Anniversary { signal, within, .. } => cx.first(*signal).map_or(Truth::False, |f| {
                let since = now.since(f);
                Truth::of(since >= YEAR_MS && since % YEAR_MS < within.ms())
            }),
            Cond::Ever { signal, ever, .. } => Truth::of(cx.first(*signal).is_some() == *ever),
            Cond::Segment { index, .. } => cx.segment(*index),
            Cond::Stage { any_of, .. } => Truth::of(any_of.contains(&cx.moment().stage)),
            Cond::StageAtLeast { stage, .. } => Truth::of(cx.moment().stage >= *stage),
            Cond::Readiness { any_of, .. } => Truth::of(any_of.contains(&cx.moment().readiness)),
            Cond::Lifecycle { any_of, .. } => Truth::of(any_of.contains(&cx.lifecycle())),
            Cond::Score { score, cmp, .. } => Truth::of(cmp.holds(cx.moment().score(*score))),
            Cond::Rfm { cells, .. } => crate::retention::rfm_truth(cx.state, cells),
            // Always known: a contact sales never reported on has no deal (`none`), as the send policy reads it.
            Cond::Deal { any_of, .. } => Truth::of(any_of.contains(&cx.state.deal.map(|(status, _)| status))),
            Cond::Ghost { is, .. } => Truth::of(cx.pb.lifecycle.ghost_at(&cx.state.activity, now) == *is),
        }
    }

    /// The paths of the leaves that decided `truth` (the value `eval` returned for this node).
    pub(crate) fn decided_by(&self, cx: &mut Cx<'_>, truth: Truth, out: &mut Vec<String>) {
        match self {
            Cond::All(_, list) | Cond::Any(_, list) => {
                let is_all = matches!(self, Cond::All(..));
                for c in list {
                    let t = c.eval(cx);
                    let decisive = match (is_all, truth) {
                        (true, Truth::True) | (false, Truth::False) => true,
                        (_, Truth::Unknown(_)) => matches!(t, Truth::Unknown(_)),
                        _ => t == truth,
                    };
                    if decisive {
                        c.decided_by(cx, t, out);
                    }
                }
            }
            Cond::Not(_, c) => {
                let t = c.eval(cx);
                c.decided_by(cx, t, out);
            }
            leaf => out.push(String::from(leaf.path())),
        }
    }

    /// Instants in `(after, until]` at which this condition may flip without new events (a few beyond `until`
    /// may be offered too: callers filter). `rises` says whether stages a bar reaches on its own must be
    /// searched for, or are already in the funnel (a fold records them before each instant).
    ///
    /// `until` bounds the work, not only the answer: a fold asks at every event instant, and the lifecycle's
    /// chain of next transitions (each a status computation) past the next event was most of a fold's cost for
    /// a playbook whose sequences start on a lifecycle phase (the re-engagement example).
    pub(crate) fn changes_after(
        &self,
        cx: &Cx<'_>,
        (after, until): (Timestamp, Timestamp),
        rises: StageRises,
        out: &mut Vec<Timestamp>,
        depth: u8,
    ) {
        // A score search from the context's own instant starts from its scores and shares its answers.
        let score_flip = |score, cmp| {
            let at_cx = cx.now() == after;
            let known = cx.known_scores().filter(|_| at_cx);
            let elsewhere = Searches::default();
            let searches = if at_cx { cx.shared.unwrap_or(&cx.searches) } else { &elsewhere };
            next_score_flip(cx.pb, cx.state, after, known.as_ref(), searches, score, cmp)
        };
        let push = |out: &mut Vec<Timestamp>, t: Option<Timestamp>| {
            if let Some(t) = t.filter(|t| *t > after && *t <= until) {
                out.push(t);
            }
        };
        match self {
            Cond::All(_, list) | Cond::Any(_, list) => {
                list.iter().for_each(|c| c.changes_after(cx, (after, until), rises, out, depth));
            }
            Cond::Not(_, c) => c.changes_after(cx, (after, until), rises, out, depth),
            Cond::Field { field, test, .. } => test.flips_after(cx.state.profile.get(field), after, out),
            Cond::Count { signal, within, .. } => {
                if let Some(track) = cx.track(*signal) {
                    track.changes_after(*within, after, out);
                    // A day bucket counts while the window's first millisecond (`now − within + 1`) lies in its day
                    // or before: it leaves when its day's last millisecond does, one before its end plus `within`.
                    for (day, _) in &track.days {
                        let end = (day + 1).checked_mul(DAY_MS).and_then(|e| e.checked_add(within.ms() - 1));
                        push(out, end.and_then(Timestamp::from_ms));
                    }
                }
                if let Some(f) = cx.state.first_seen {
                    push(out, Some(f.plus(*within))); // the history becomes long enough
                }
            }
            Cond::Last { signal, age, .. } | Cond::First { signal, age, .. } => {
                let Some(track) = cx.track(*signal) else { return };
                let span = match age {
                    Age::MoreThan(d) | Age::LessThan(d) => *d,
                };
                let (recent, first) = match self {
                    // With dropped instants, the latest may be placed only between the first and now.
                    Cond::Last { .. } => (&track.recent[..], track.first.filter(|_| track.dropped() > 0)),
                    _ => (&[][..], track.first),
                };
                for t in recent.iter().copied().chain(first) {
                    push(out, Some(t));
                    push(out, Some(t.plus(span)));
                }
            }
            Cond::Anniversary { signal, within, .. } => {
                let Some(f) = cx.track(*signal).and_then(|t| t.first) else { return };
                let k = (after.since(f) / YEAR_MS).max(0);
                for n in [k, k + 1, k + 2] {
                    let start = Timestamp::from_ms(f.ms().saturating_add(n.saturating_mul(YEAR_MS)));
                    push(out, start.filter(|_| n >= 1));
                    push(out, start.filter(|_| n >= 1).map(|s| s.plus(*within)));
                }
            }
            // Flips only where the first occurrence comes into view; `recent` may have dropped a future-stamped
            // first one (it keeps the newest), so offer `first` itself.
            Cond::Ever { signal, .. } => push(out, cx.track(*signal).and_then(|t| t.first)),
            Cond::Segment { index, .. } => {
                if let Some(def) = cx.pb.segments.get(*index).filter(|_| depth < 16) {
                    def.when.changes_after(cx, (after, until), rises, out, depth + 1);
                }
            }
            // A stage moves with time alone where the funnel records a later stage (a batch folded in the past, a
            // stage recorded between events) and where a bar starts to hold on its own (a negative score fading).
            Cond::Stage { .. } | Cond::StageAtLeast { .. } => {
                cx.state.funnel.iter().for_each(|(_, t)| push(out, Some(*t)));
                // A recycle ends (D21): a bar holding then counts then.
                push(out, cx.state.recycle_end(cx.pb));
                if rises == StageRises::Search {
                    for (_, t) in stage_rises(cx.pb, cx.state, (after, until), false, None) {
                        push(out, Some(t));
                    }
                }
            }
            // Only an event changes these: a deal status never moves with time alone.
            Cond::Rfm { .. } | Cond::Deal { .. } => {}
            // Opens without a click turn into ghost opens with time alone, at one instant.
            Cond::Ghost { .. } => push(out, cx.pb.lifecycle.ghost_from(&cx.state.activity)),
            Cond::Readiness { .. } => {
                if let Some(r) = &cx.pb.stages.readiness {
                    for threshold in r.thresholds() {
                        push(out, score_flip(r.on(), Cmp::Ge(threshold)));
                    }
                }
            }
            Cond::Lifecycle { .. } => {
                // An erasure the state holds, stamped ahead of `after`, ends any phase at its own instant; the
                // phase's `next_transition_at` names only the phase's own end.
                push(out, cx.state.activity.erased);
                let mut t = after;
                for _ in 0..6 {
                    match cx.state.lifecycle_at(cx.pb, t).next_transition_at.filter(|n| *n > t && *n <= until) {
                        Some(next) => {
                            out.push(next);
                            t = next;
                        }
                        None => break,
                    }
                }
            }
            Cond::Score { score, cmp, .. } => {
                push(out, score_flip(*score, *cmp));
            }
        }
    }
}

impl Cond {
    /// Whether this condition can turn from false to true with time alone (no new events): windows of
    /// "at most N" emptying, "more than D ago" elapsing, decay pulling a score under a ceiling, a lifecycle
    /// phase changing. Lets callers skip searching for an entry that cannot happen.
    pub(crate) fn may_rise(&self, pb: &Playbook) -> bool {
        self.drifts(pb, true)
    }

    /// `polarity` true: can it become true with time alone; false: can it become false.
    fn drifts(&self, pb: &Playbook, polarity: bool) -> bool {
        let falls_only = pb.scores_only_fall();
        match self {
            Cond::All(_, list) | Cond::Any(_, list) => list.iter().any(|c| c.drifts(pb, polarity)),
            Cond::Not(_, c) => c.drifts(pb, !polarity),
            Cond::Field { test, .. } => match test {
                FieldTest::WithinLast(_) => !polarity,
                FieldTest::OlderThan(_) => polarity,
                _ => false,
            },
            Cond::Count { bound: Bound::AtLeast(_), .. } => !polarity,
            // "At most N" rises as events leave the window, and as a short history grows long enough.
            Cond::Count { bound: Bound::AtMost(_), .. } => polarity,
            Cond::Last { age, .. } | Cond::First { age, .. } => match age {
                Age::MoreThan(_) => polarity,
                Age::LessThan(_) => !polarity,
            },
            Cond::Anniversary { .. } | Cond::Lifecycle { .. } => true,
            Cond::Ever { .. } | Cond::Rfm { .. } | Cond::Deal { .. } => false,
            // Time alone only makes a contact a ghost opener, never undoes it.
            Cond::Ghost { is, .. } => polarity == *is,
            // Stages only move forward: a bar can start to hold on its own while scores can rise, and when a
            // recycle ends (D21) a bar holding then counts then.
            Cond::Stage { .. } | Cond::StageAtLeast { .. } => {
                polarity && (!falls_only || pb.stages.mql.is_some() || pb.stages.sql.is_some())
            }
            Cond::Segment { index, .. } => pb.segments.get(*index).is_some_and(|s| s.when.drifts(pb, polarity)),
            // Scores that only fall: "≥" can only become false, "≤" only true, readiness only cooler.
            Cond::Score { cmp, .. } => {
                let ceiling =
                    matches!(cmp, crate::segment::condition::Cmp::Le(_) | crate::segment::condition::Cmp::Lt(_));
                !falls_only || ceiling == polarity
            }
            Cond::Readiness { .. } => true,
        }
    }
}
