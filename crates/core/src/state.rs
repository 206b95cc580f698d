//! ContactState: everything a decision needs, folded from events — so a decision needs no history and the
//! state fits in a cookie (DESIGN §2).
//!
//! Data is keyed by stable 32-bit hashes of rule and signal ids, so editing one part of a playbook never
//! scrambles what a stored state says about another; entries whose id left the playbook are kept (and
//! ignored) until the state is rebuilt.

pub mod attribution;
pub mod codec;
pub(crate) mod fit_memo;
mod funnel;
mod order;
pub mod retargeting;
pub mod sends;
pub mod track;
pub mod view;

use alloc::string::String;
use alloc::vec::Vec;

use serde::Serialize;

use crate::consent::Permissions;
use crate::event::{Event, EventKind, Scalar};
use crate::explain::Sink;
use crate::lifecycle::{Activity, LifecycleStatus};
use crate::moment::{scores_with_peak, Meets, Peak};
use crate::playbook::signal::Signal;
use crate::playbook::Playbook;
use crate::score::intent::Accumulator;
use crate::stage::{Bar, Occurrences, Scores, Stage};
use crate::suppression::Suppression;
use crate::time::{Span, Timestamp};
use crate::vecmap::VecMap;
use sends::{sent_step, Enrolment, SendLog};
use track::SignalTrack;

/// The status of the contact's deal, as sales last reported it (`sales_status` events).
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum DealStatus {
    /// An active sales conversation: marketing stops (D22, D24).
    Open,
    /// Won: the contact is a customer.
    Won,
    /// Lost: back to nurturing.
    Lost,
    /// Disqualified: recycled (D21).
    Disqualified,
}

crate::playbook::compiled::compiled_enum!(DealStatus { 0 => Open, 1 => Won, 2 => Lost, 3 => Disqualified });

impl DealStatus {
    /// A `sales_status` event's `status` (and a `deal` condition's names).
    pub(crate) fn parse(name: &str) -> Option<DealStatus> {
        match name {
            "open" => Some(DealStatus::Open),
            "won" => Some(DealStatus::Won),
            "lost" => Some(DealStatus::Lost),
            "disqualified" => Some(DealStatus::Disqualified),
            _ => None,
        }
    }

    pub(crate) fn code(self) -> u8 {
        match self {
            DealStatus::Open => 0,
            DealStatus::Won => 1,
            DealStatus::Lost => 2,
            DealStatus::Disqualified => 3,
        }
    }

    pub(crate) fn from_code(c: u8) -> Option<DealStatus> {
        [DealStatus::Open, DealStatus::Won, DealStatus::Lost, DealStatus::Disqualified]
            .into_iter()
            .find(|d| d.code() == c)
    }
}

/// One contact's folded state.
///
/// ```
/// # use rekindle_core::{ContactState, Event, Playbook, Value};
/// # let pb = Playbook::parse(&Value::Object(vec![
/// #     ("version".into(), Value::Number(1.0)), ("signals".into(), Value::Object(vec![]))])).unwrap();
/// let mut state = ContactState::new();
/// state.fold(&pb, &[]);
/// let bytes = state.to_bytes();
/// assert_eq!(ContactState::from_bytes(&bytes).unwrap(), state);
/// ```
#[derive(Debug, Clone, PartialEq, Default)]
pub struct ContactState {
    pub(crate) profile: VecMap<String, Scalar>,
    pub(crate) rules: VecMap<u32, Accumulator>,
    pub(crate) signals: VecMap<u32, SignalTrack>,
    /// Stages reached, each with the instant its bar was met; ascending by instant. After a recycle only the
    /// entries after `recycled` count.
    pub(crate) funnel: Vec<(Stage, Timestamp)>,
    /// The latest event folded.
    pub(crate) updated_at: Option<Timestamp>,
    /// The earliest event folded: how far back this contact's history reaches (data sufficiency).
    pub(crate) first_seen: Option<Timestamp>,
    pub(crate) activity: Activity,
    pub(crate) suppression: Suppression,
    pub(crate) permissions: Permissions,
    pub(crate) sends: SendLog,
    pub(crate) enrolments: VecMap<u32, Enrolment>,
    pub(crate) deal: Option<(DealStatus, Timestamp)>,
    /// When sales last disqualified the contact (D21); stages count again only when re-reached after it.
    pub(crate) recycled: Option<Timestamp>,
    /// Earlier disqualifications a decision before `recycled` still needs (one stamped after `now` has not
    /// happened at `now`), ascending: see `state/funnel.rs`.
    pub(crate) recycled_before: Vec<Timestamp>,
    /// Lead source and last interactions for the sales handoff (D19); folded only with a `handoff` section.
    pub(crate) attribution: attribution::Attribution,
    /// The fit score for this profile, when a fold computed it (not part of the bytes or of equality).
    pub(crate) fit_memo: fit_memo::FitMemo,
}

impl Occurrences for ContactState {
    /// The occurrences known to be in the window: a stage bar ("at least N") is met only when the kept instants
    /// prove it, never on occurrences the state dropped and can no longer place (stages are forward-only).
    fn count_within(&self, signal: &Signal, within: Span, now: Timestamp) -> u32 {
        self.signals.get(&signal.key).map_or(0, |track| track.count_within(within, now).n)
    }
}

impl ContactState {
    /// An empty state: a contact nothing is known about.
    pub fn new() -> ContactState {
        ContactState::default()
    }

    /// The latest event folded, if any.
    pub fn updated_at(&self) -> Option<Timestamp> {
        self.updated_at
    }

    /// The fit score at `at` without its reasons: the one a fold kept for this playbook and profile, if any.
    pub(crate) fn fit_at(&self, playbook: &Playbook, at: Timestamp) -> f64 {
        self.fit_memo.get(playbook).unwrap_or_else(|| playbook.fit.score(&self.profile, at, &mut Sink::discard()))
    }

    /// Folds a batch of events. The batch is ordered by `(at, kind, id)` first and then by the rest of each
    /// event (contact, machine flag, properties: see `state/order.rs`), a total order, so the input order never
    /// matters, even among id-less events of one kind at one millisecond; stage bars and nurture triggers are
    /// checked after each distinct instant.
    ///
    /// Batches are applied in the order they are folded. A later batch's events at an instant the state already
    /// holds (or an earlier one) are applied after the events folded before: where a fact is last-writer-wins
    /// (a profile field, the deal status at one instant), the later batch wins. Folding `A` then `B` equals
    /// folding `A ∪ B` at once whenever every event of `B` is later than every event of `A`.
    pub fn fold(&mut self, playbook: &Playbook, events: &[Event]) {
        self.fold_with_cuts(playbook, events, &[], &mut |_, _| {});
    }

    /// Folds like [`ContactState::fold`] and, at each of `cuts` (ascending) that the batch passes, hands
    /// `passed(k, state)` the state with every event at or before `cuts[k]` folded and none after — the states
    /// folding the batch in parts split at the cuts would leave, in one fold (a batch plan looks back at monthly
    /// instants; a fold per part repeated the per-batch work, the fit score first). A cut is passed when an event
    /// after it is folded; cuts at or after the batch's last event are left to the caller.
    ///
    /// ```
    /// # use rekindle_core::{ContactState, Event, Playbook, Timestamp, Value};
    /// # let pb = Playbook::parse(&Value::Object(vec![
    /// #     ("version".into(), Value::Number(1.0)), ("signals".into(), Value::Object(vec![]))])).unwrap();
    /// let at = |ms| Timestamp::from_ms(ms).unwrap();
    /// let view = |ms| Event::parse(&Value::Object(vec![
    ///     ("kind".into(), Value::String("page_view".into())), ("at".into(), Value::Number(ms as f64))]), "e").unwrap();
    /// let (mut state, mut seen) = (ContactState::new(), Vec::new());
    /// state.fold_with_cuts(&pb, &[view(30), view(10)], &[at(5), at(20), at(40)], &mut |k, s| seen.push((k, s.updated_at())));
    /// assert_eq!(seen, [(0, None), (1, Some(at(10)))]); // 40 is not passed: a later batch may hold events before it
    /// ```
    pub fn fold_with_cuts(
        &mut self,
        playbook: &Playbook,
        events: &[Event],
        cuts: &[Timestamp],
        passed: &mut dyn FnMut(usize, &ContactState),
    ) {
        // One event (the per-event path: a tracker, a webhook) needs no ordering, nor its allocation.
        let (one, mut many);
        let sorted: &[&Event] = match events {
            [event] => {
                one = [event];
                &one
            }
            _ => {
                many = events.iter().collect::<Vec<&Event>>();
                many.sort_by(|a, b| order::fold_order(a, b));
                &many
            }
        };
        // The fit score is kept in `fit_memo` from instant to instant and fold to fold until a profile event
        // changes it (recomputed every time when a fit rule is relative to now): a third of a batch's fold time
        // otherwise.
        let mut fit = FitCache { reads_now: playbook.fit.reads_relative_dates(), peak: None };
        // The signals each event matched, in one buffer for the whole batch, inline (no allocation per fold: a
        // contact folded one event at a time paid one per event).
        let mut matched = Matched::default();
        // The instant's step sends, held until its enrolments are known (see `apply`).
        let mut held_sends = Vec::new();
        let (mut i, mut cut) = (0, 0);
        while let Some(first) = sorted.get(i) {
            let at = first.at;
            while cuts.get(cut).is_some_and(|c| *c < at) {
                passed(cut, self);
                cut += 1;
            }
            // Stages a bar reached on its own, and time-driven enrolments, between the previous event and this one
            // happen before it.
            self.record_rises(playbook, at, fit.peak.filter(|(t, _)| Some(*t) == self.updated_at).map(|(_, p)| p));
            crate::nurture::catch_up(playbook, self, at);
            while let Some(e) = sorted.get(i).filter(|e| e.at == at) {
                if self.apply(playbook, e, &mut matched, &mut held_sends) {
                    self.fit_memo.clear();
                }
                i += 1;
            }
            // A late batch is checked at the state's latest instant: bars are not re-run in the past.
            let check_at = self.updated_at.map_or(at, |u| u.max(at));
            let known = self.record_stages(playbook, check_at, &mut fit);
            crate::nurture::on_instant(playbook, self, check_at, known);
            // A send counts for a run its start condition began by the send's instant (the start event and the
            // first send are often stamped the same millisecond, and a re-enrolment's first send is stamped with its
            // due time, the re-enrolment's own instant); a send never enrols (DESIGN §7: enrolment is the first
            // instant the start condition holds).
            let mut begun = Vec::new();
            for (sequence, step, sent) in held_sends.drain(..) {
                if crate::nurture::ended_before(playbook, self, sequence, sent) {
                    continue;
                }
                if let Some(run) = self.enrolments.get_mut(&sequence).filter(|r| r.enrolled_at <= sent) {
                    mark_done(run, step, sent);
                    if run.enrolled_at == sent && !begun.contains(&sequence) {
                        begun.push(sequence);
                    }
                }
            }
            if !begun.is_empty() {
                crate::nurture::stop_after_first_sends(playbook, self, check_at, known, &begun);
            }
        }
    }

    /// Folds a batch like [`ContactState::fold`] and reports the segments entered and exited, comparing
    /// membership before and after at the batch's latest instant.
    pub fn fold_with_deltas(&mut self, playbook: &Playbook, events: &[Event]) -> Vec<crate::segment::Delta> {
        let Some(latest) = events.iter().map(|e| e.at).max() else { return Vec::new() };
        // The fold moves `updated_at` to exactly this instant (or leaves it, for an erased contact, where it is
        // already the later one), so the memberships before can be read first, instead of from a clone of the state.
        let at = self.updated_at.map_or(latest, |u| u.max(latest));
        let was: Vec<crate::field::Truth> =
            crate::segment::memberships_at(playbook, self, at).map(|(_, t)| t).collect();
        self.fold(playbook, events);
        crate::segment::changes(playbook, was.into_iter(), self, at)
    }

    /// Records one event; true when it changed the profile (the fold's fit score is then stale). `matched` is
    /// scratch space for the indices of the signals the event matches.
    fn apply(
        &mut self,
        playbook: &Playbook,
        event: &Event,
        matched: &mut Matched,
        held_sends: &mut Vec<(u32, u32, Timestamp)>,
    ) -> bool {
        if let Some(erased) = self.activity.erased {
            // Erased is absorbing: nothing about this contact is recorded again. An event older than the erasure,
            // folded after it (a late bounce webhook, an earlier erasure request), changes only what the erasure
            // keeps, as a fold in time order would have: the suppression entries, the first event, the erasure
            // instant itself. A bounce or complaint of the erasure's own millisecond is kept too, whichever was
            // folded first (suppression entries are for good, so one more is never wrong).
            if event.at <= erased {
                self.suppression.on_event(event);
            }
            if event.at < erased {
                self.first_seen = Some(self.first_seen.map_or(event.at, |f| f.min(event.at)));
                if playbook.lifecycle.erases(event) {
                    self.activity.erased = Some(event.at);
                }
            }
            return false;
        }
        let mut profile_changed = false;
        self.updated_at = Some(self.updated_at.map_or(event.at, |u| u.max(event.at)));
        self.first_seen = Some(self.first_seen.map_or(event.at, |f| f.min(event.at)));
        if event.kind == EventKind::Profile {
            for (field, value) in &event.props {
                if playbook.profile_fields.binary_search(field).is_ok() {
                    profile_changed = true;
                    match value {
                        Some(v) => self.profile.insert(field.clone(), v.clone()),
                        None => self.profile.remove(field),
                    };
                }
            }
        }
        matched.clear();
        for (index, signal) in playbook.signals.iter().enumerate() {
            if !signal.matches(event) {
                continue;
            }
            matched.push(index);
            if let Some(track) = self.signals.get_or_insert_with(signal.key, SignalTrack::default) {
                track.record(event.at, signal.keep, signal.bucket_days);
            }
            for rule in playbook.intent.rules.iter().filter(|r| r.signal == index) {
                let acc = rule.grant(self.rules.get(&rule.key).copied(), event.at);
                self.rules.insert(rule.key, acc);
            }
        }
        if playbook.handoff.is_some() {
            let first = matched.as_slice().first().and_then(|i| playbook.signals.get(*i)).map(|s| s.key);
            self.attribution.on_event(event, first);
        }
        playbook.lifecycle.on_event(&mut self.activity, event, matched.as_slice(), self.first_seen);
        self.suppression.on_event(event);
        if self.activity.erased.is_some() {
            self.erase();
            return true; // the profile is gone with the rest
        }
        self.permissions.on_event(event);
        self.sends.on_event(event, playbook.send_keep);
        if let Some((sequence, step)) = sent_step(event) {
            // Marked at once for the run the contact is in (a send that completes it at this instant does so before
            // the instant's stops are checked), and held for the run the instant's enrolments leave current.
            // A run that ended before the send takes no step (its done steps and completion stay as they were).
            if !crate::nurture::ended_before(playbook, self, sequence, event.at) {
                if let Some(run) = self.enrolments.get_mut(&sequence) {
                    mark_done(run, step, event.at);
                }
            }
            held_sends.push((sequence, step, event.at));
        }
        match event.kind {
            EventKind::SalesStatus => {
                // The deal is the newest status by stamp; a status older than it, folded late, still happened:
                // the deal it opened or won moves the funnel (forward-only) at its own instant. An older
                // disqualification is not re-run: which bars `recycle_for` would have held back is past history.
                let Some(status) = event.prop_str("status").and_then(DealStatus::parse) else { return profile_changed };
                let newest = self.deal.is_none_or(|(_, at)| at <= event.at);
                if newest {
                    self.deal = Some((status, event.at));
                }
                match status {
                    DealStatus::Open => self.reach(Stage::Opportunity, event.at),
                    DealStatus::Won => self.reach(Stage::Customer, event.at),
                    DealStatus::Disqualified if newest => self.disqualify(event.at),
                    DealStatus::Disqualified | DealStatus::Lost => {}
                }
            }
            EventKind::Purchase => self.reach(Stage::Customer, event.at),
            _ => {}
        }
        profile_changed
    }

    /// Erasure (D9): personal data and history go; the suppression entries stay so a re-import cannot bring
    /// the address back, and the erasure instant stays as proof the request was fulfilled.
    fn erase(&mut self) {
        let keep = ContactState {
            activity: crate::lifecycle::Activity { erased: self.activity.erased, ..Default::default() },
            suppression: self.suppression,
            updated_at: self.updated_at,
            first_seen: self.first_seen,
            ..ContactState::default()
        };
        *self = keep;
    }

    /// Reaches the stages whose bars hold at `at`; returns the scores it read there and which bars hold (none
    /// when it had no need to), which reaching a stage does not change.
    fn record_stages(&mut self, playbook: &Playbook, at: Timestamp, cache: &mut FitCache) -> Option<(Scores, Meets)> {
        if self.activity.erased.is_some() {
            return None;
        }
        // D21: a recycled contact's bars count again only after `recycle_for`.
        if self.recycled.is_some_and(|r| at < r.plus(playbook.stages.recycle_for)) {
            return None;
        }
        let fit = match self.fit_memo.get(playbook) {
            Some(score) if !cache.reads_now => score,
            _ => {
                let score = playbook.fit.score(&self.profile, at, &mut Sink::discard());
                if !cache.reads_now {
                    self.fit_memo.set(playbook, score);
                }
                score
            }
        };
        let (scores, peak) = scores_with_peak(playbook, self, at, fit);
        cache.peak = Some((at, peak));
        let signals = &playbook.signals;
        let check =
            |bar: &Option<Bar>| bar.as_ref().is_some_and(|b| b.check(&scores, signals, self, at, &mut Sink::discard()));
        let meets = Meets { mql: check(&playbook.stages.mql), sql: check(&playbook.stages.sql) };
        if meets.sql {
            self.reach(Stage::Sql, at);
        } else if meets.mql {
            self.reach(Stage::Mql, at);
        }
        Some((scores, meets))
    }

    /// The lifecycle at `t`. A contact who never engaged is anchored at its first event (an imported list).
    pub fn lifecycle_at(&self, playbook: &Playbook, t: Timestamp) -> LifecycleStatus {
        playbook.lifecycle.status_from(&self.activity, self.activity.last_engagement.or(self.first_seen), t)
    }

    /// When the contact's latest reactivation campaign began (D12): the current one's start while in soft
    /// reactivation, break-up or the archive it ended in, else the one the contact last came back from.
    pub fn campaign_started_at(&self, playbook: &Playbook, now: Timestamp) -> Option<Timestamp> {
        let status = self.lifecycle_at(playbook, now);
        playbook.lifecycle.campaign_start(&status).or(self.activity.campaign_started).filter(|t| *t <= now)
    }

    /// In the retargeting audience at `t` (D10, D22, DESIGN §7): from break-up until `keep_for` after it ended
    /// without a reaction, never erased, unsubscribed, complaining, bounced, without ads consent or with an open
    /// deal. [`ContactState::retargeting`] says why not.
    ///
    /// ```
    /// # use rekindle_core::{ContactState, Playbook, Timestamp, Value};
    /// # let pb = Playbook::parse(&Value::Object(vec![
    /// #     ("version".into(), Value::Number(1.0)), ("signals".into(), Value::Object(vec![]))])).unwrap();
    /// assert!(!ContactState::new().retargetable(&pb, Timestamp::EPOCH));
    /// ```
    pub fn retargetable(&self, playbook: &Playbook, t: Timestamp) -> bool {
        matches!(self.retargeting(playbook, t), retargeting::Retargeting::Member { .. })
    }
}

/// Records that `step` of `run` was sent at `at` (once per step, in send order). A send before the run began is
/// an earlier run's, folded late: it is not this run's, and must not stand in for this run's own send of the step
/// (which would then be asked for again).
fn mark_done(run: &mut Enrolment, step: u32, at: Timestamp) {
    if at < run.enrolled_at {
        return;
    }
    if !run.done.iter().any(|(s, t)| *s == step && *t >= run.enrolled_at) {
        let pos = run.done.iter().position(|(_, t)| *t > at).unwrap_or(run.done.len());
        run.done.insert(pos, (step, at));
    }
}

/// The indices of the signals one event matched: up to [`Matched::INLINE`] without an allocation (an event
/// matches a few), the rest spilled to a list.
struct Matched {
    inline: [usize; Matched::INLINE],
    len: usize,
    spill: Vec<usize>,
}

impl Matched {
    const INLINE: usize = 16;

    fn clear(&mut self) {
        self.len = 0;
        self.spill.clear();
    }

    fn push(&mut self, index: usize) {
        if self.spill.is_empty() {
            if let Some(slot) = self.inline.get_mut(self.len) {
                *slot = index;
                self.len += 1;
                return;
            }
            self.spill.extend_from_slice(&self.inline);
        }
        self.spill.push(index);
    }

    fn as_slice(&self) -> &[usize] {
        if self.spill.is_empty() {
            self.inline.get(..self.len).unwrap_or_default()
        } else {
            &self.spill
        }
    }
}

impl Default for Matched {
    fn default() -> Matched {
        Matched { inline: [0; Matched::INLINE], len: 0, spill: Vec::new() }
    }
}

/// What a fold keeps between instants (see [`ContactState::fold`]).
struct FitCache {
    /// A fit rule is relative to now: never reuse the score.
    reads_now: bool,
    /// The positive intent contributions at the latest instant checked (see `moment::scores_with_peak`).
    peak: Option<(Timestamp, Peak)>,
}

/// A stage and the instant it was reached.
#[derive(Debug, Clone, Copy, PartialEq, Serialize)]
pub struct FunnelStep {
    /// The stage.
    pub stage: Stage,
    /// When.
    pub at: Timestamp,
}

#[cfg(test)]
mod tests {
    use super::Matched;

    #[test]
    fn matched_signals_spill_past_the_inline_ones_in_order_and_clear() {
        let mut m = Matched::default();
        for i in 0..Matched::INLINE + 4 {
            m.push(i * 3);
        }
        assert_eq!(m.as_slice(), (0..Matched::INLINE + 4).map(|i| i * 3).collect::<alloc::vec::Vec<_>>());
        m.clear();
        assert!(m.as_slice().is_empty());
        m.push(7);
        m.push(2);
        assert_eq!(m.as_slice(), [7, 2]);
    }
}
