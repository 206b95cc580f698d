//! The funnel and recycling (D16, D21, docs/playbook.md § stages): the stages reached with their instants, the
//! disqualifications that recycle a contact, and the stages a bar reaches on its own between events — also at the
//! instant `recycle_for` ends, when a bar holds then.

use alloc::borrow::Cow;
use alloc::vec::Vec;

use super::ContactState;
use crate::moment::{stage_rises, Peak};
use crate::playbook::Playbook;
use crate::stage::Stage;
use crate::time::Timestamp;

impl ContactState {
    /// Records that `stage` was reached at `at` (and every funnel stage below it, which it passes through).
    pub(super) fn reach(&mut self, stage: Stage, at: Timestamp) {
        reach_in(&mut self.funnel, self.recycled, stage, at);
    }

    /// Sales disqualified the contact at `at` (statuses are applied in time order). A decision at an instant
    /// before `at` (a CRM clock ahead of the caller's) reads the disqualification before it, so that one is kept
    /// in `recycled_before` — unless no stage was reached since the one kept before it, which then reads the same
    /// (a stage counts only after the disqualification in effect): one kept per recycle re-qualified from, plus
    /// the first of the current run.
    pub(super) fn disqualify(&mut self, at: Timestamp) {
        if let Some(previous) = self.recycled.filter(|p| *p < at) {
            let kept = self.recycled_before.last().copied();
            if kept.is_none_or(|k| self.funnel.iter().any(|(_, t)| k < *t && *t <= previous)) {
                self.recycled_before.push(previous);
            }
        }
        self.recycled = Some(at);
    }

    /// The disqualification in effect at `at`: the latest at or before it (or an earlier one with no stage
    /// reached in between, which reads the same).
    pub(crate) fn recycled_at(&self, at: Timestamp) -> Option<Timestamp> {
        // Plain loops, not iterator adaptors: this is on the edge bundle's path, within bytes of its budget.
        if let Some(r) = self.recycled.filter(|r| *r <= at) {
            return Some(r);
        }
        let mut found = None;
        for r in &self.recycled_before {
            if *r <= at {
                found = Some(*r); // ascending: the last one at or before `at`
            }
        }
        found
    }

    /// The disqualifications a decision at `now` has not seen happen yet: the first changes the stage.
    pub(crate) fn recycled_after(&self, now: Timestamp) -> Option<Timestamp> {
        for r in &self.recycled_before {
            if *r > now {
                return Some(*r);
            }
        }
        self.recycled.filter(|r| *r > now)
    }

    /// When the bars count again for a contact recycled and not re-qualified since (D21: `recycle_for` after the
    /// latest disqualification).
    pub(crate) fn recycle_end(&self, playbook: &Playbook) -> Option<Timestamp> {
        self.recycled().map(|r| r.plus(playbook.stages.recycle_for))
    }

    /// Records the stages a bar reached on its own between the latest event and `at` (exclusive), at the instant
    /// each was reached: a negative score fading lets the MQL bar hold on day 20 with no event that day.
    pub(super) fn record_rises(&mut self, playbook: &Playbook, at: Timestamp, peak: Option<Peak>) {
        let before = Timestamp::from_ms(at.ms().saturating_sub(1)).unwrap_or(at);
        for (stage, t) in self.rises_until(playbook, before, peak) {
            self.reach(stage, t);
        }
    }

    /// The stages a bar reached on its own after the latest event, up to `until` (included). While recycled, the
    /// search starts where `recycle_for` ends, when that is after the latest event, and a bar holding there
    /// counts there (docs § stages: how long its bars do not count) — not at the next event.
    fn rises_until(&self, playbook: &Playbook, until: Timestamp, peak: Option<Peak>) -> Vec<(Stage, Timestamp)> {
        let Some(latest) = self.updated_at.filter(|_| self.activity.erased.is_none()) else { return Vec::new() };
        match self.recycle_end(playbook).filter(|end| *end > latest) {
            Some(end) => stage_rises(playbook, self, (end, until), true, peak),
            None => stage_rises(playbook, self, (latest, until), false, peak),
        }
    }

    /// The funnel as the fold will record it at `now`: with the stages a bar reached on its own since the latest
    /// event (a decision shows them; nearly always none, and then nothing is copied).
    pub(crate) fn funnel_at(&self, playbook: &Playbook, now: Timestamp) -> Cow<'_, [(Stage, Timestamp)]> {
        let rises = self.rises_until(playbook, now, None);
        if rises.is_empty() {
            return Cow::Borrowed(&self.funnel);
        }
        let mut funnel = self.funnel.clone();
        for (stage, at) in rises {
            reach_in(&mut funnel, self.recycled, stage, at);
        }
        Cow::Owned(funnel)
    }

    /// Whether the contact is recycled (after its latest event) and has not re-qualified since.
    pub fn recycled(&self) -> Option<Timestamp> {
        let r = self.recycled?;
        (!self.funnel.iter().any(|(_, t)| *t > r)).then_some(r)
    }

    /// The highest stage reached (since the last recycle), with when.
    pub fn stage(&self) -> Option<(Stage, Timestamp)> {
        let since = self.recycled;
        self.funnel.iter().filter(|(_, t)| since.is_none_or(|r| *t > r)).max().copied()
    }
}

/// Records in `funnel` that `stage` was reached at `at`, and every stage below it, which it passes through (only
/// stages not reached since the last recycle, `since`; nothing at or before it, which is past history). A stage the
/// funnel holds from a later instant (a purchase folded in a late batch, stamped before the MQL its bar reached)
/// was first reached at `at`: it moves there, so the funnel never shows a stage without those below it.
fn reach_in(funnel: &mut Vec<(Stage, Timestamp)>, since: Option<Timestamp>, stage: Stage, at: Timestamp) {
    if since.is_some_and(|r| at <= r) {
        return;
    }
    for s in [Stage::Mql, Stage::Sql, Stage::Opportunity, Stage::Customer] {
        if s > stage {
            break;
        }
        if let Some(i) = funnel.iter().position(|(f, t)| *f == s && since.is_none_or(|r| *t > r)) {
            if funnel.get(i).is_some_and(|(_, t)| *t <= at) {
                continue;
            }
            funnel.remove(i);
        }
        let pos = funnel.iter().position(|(fs, ft)| (*ft, *fs) > (at, s)).unwrap_or(funnel.len());
        funnel.insert(pos, (s, at));
    }
}
