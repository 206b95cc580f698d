//! The plan's look back for `report.html`: each contact's lifecycle phase at monthly instants before `--now`
//! ("contacts by state over time") and the revenue of reactivated contacts (D12). Both are core's answers at
//! past instants: the fold splits a contact's time-ordered batch at each instant, folds the events up to it and
//! asks `ContactState::lifecycle_at` there, so the phase at an instant is decided from exactly the events that
//! had happened by then. The CLI only chooses the instants.
//!
//! Instants: `--now` and the same day and time 1 to 12 calendar months before it (a day past a month's end is
//! that month's last day: 31 March → 28 February). A contact nothing is known about yet at an instant (no event,
//! no `created_at` by then) is not counted there. An event older than its contact's already folded history (a
//! *late* event, counted in the summary) cannot change an instant already recorded; time-ordered input has none.
//!
//! Revenue (D12): a `purchase` at `t` with a numeric `value` counts for the reactivation when core's latest
//! return to active (`LifecycleStatus::reactivated_at`, D7) known once the purchase is folded is `r` with
//! `r ≤ t < r + 90 days` and `t ≤ --now`, summed per `currency` (upper-cased; none: `—`). A purchase that itself
//! brings a contact back counts (it is the reactivation). With several reactivations between two instants,
//! the latest one is the one purchases are measured from.

use rekindle_core::lifecycle::Phase;
use rekindle_core::zone::{civil_from_days, days_from_civil, month_length};
use rekindle_core::{ContactState, Event, EventKind, Playbook, Scalar, Span, Timestamp};

/// How many instants: `--now` and 12 months back.
pub const INSTANTS: usize = 13;
/// The attribution window of reactivation revenue (D12).
pub const REVENUE_DAYS: i64 = 90;

/// The phases, in funnel order; a history code is an index into it.
pub const PHASES: [Phase; 7] = [
    Phase::Active,
    Phase::Cooling,
    Phase::Cold,
    Phase::SoftReactivation,
    Phase::BreakUp,
    Phase::Archived,
    Phase::Erased,
];
/// Code of "not on the list yet".
pub const UNKNOWN: u8 = 7;
/// Code of an instant not recorded yet.
const PENDING: u8 = u8::MAX;

/// The instants, oldest first: 12 calendar months before `now`, …, 1 month before, `now`.
pub fn instants(now: Timestamp) -> [Timestamp; INSTANTS] {
    let mut out = [now; INSTANTS];
    for (i, slot) in out.iter_mut().enumerate() {
        let back = (INSTANTS - 1 - i) as i64;
        *slot = Timestamp::from_ms(months_before(now.ms(), back)).unwrap_or(Timestamp::EPOCH);
    }
    out
}

/// `ms` moved `months` calendar months back, keeping the time of day; the day is clamped to the month's length.
fn months_before(ms: i64, months: i64) -> i64 {
    let (days, time) = (ms.div_euclid(86_400_000), ms.rem_euclid(86_400_000));
    let (y, m, d) = civil_from_days(days);
    let index = y * 12 + i64::from(m) - 1 - months;
    let (y, m) = (index.div_euclid(12), u8::try_from(index.rem_euclid(12) + 1).unwrap_or(1));
    let d = u8::try_from(i64::from(d).min(month_length(y, m))).unwrap_or(1);
    days_from_civil(y, m, d) * 86_400_000 + time
}

/// One contact's phase code at each instant ([`PHASES`] index, [`UNKNOWN`]), filled oldest first.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct History([u8; INSTANTS]);

impl Default for History {
    fn default() -> Self {
        History([PENDING; INSTANTS])
    }
}

impl History {
    /// The first instant not recorded yet.
    fn next(&self) -> usize {
        self.0.iter().position(|c| *c == PENDING).unwrap_or(INSTANTS)
    }

    fn record(&mut self, k: usize, state: &ContactState, playbook: &Playbook, t: Timestamp) {
        let code = match state.updated_at() {
            None => UNKNOWN,
            Some(_) => {
                let phase = state.lifecycle_at(playbook, t).state;
                PHASES.iter().position(|p| *p == phase).and_then(|i| u8::try_from(i).ok()).unwrap_or(UNKNOWN)
            }
        };
        if let Some(slot) = self.0.get_mut(k) {
            *slot = code;
        }
    }

    /// Records every instant still open from the contact's final state (all its events are at or before them).
    pub fn complete(&mut self, state: &ContactState, playbook: &Playbook, at: &[Timestamp; INSTANTS]) {
        for k in self.next()..INSTANTS {
            if let Some(t) = at.get(k) {
                self.record(k, state, playbook, *t);
            }
        }
    }

    /// The codes, oldest instant first.
    pub fn codes(&self) -> &[u8; INSTANTS] {
        &self.0
    }
}

/// Purchases attributed to a contact's reactivation: `(currency, orders, value)`. Most contacts have none, so
/// the list is boxed: one pointer per contact until there is something to hold.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct Revenue(Option<Box<[Orders]>>);

/// `(currency, orders, value)`.
pub type Orders = (Box<str>, u32, f64);

impl Revenue {
    fn add(&mut self, currency: &str, value: f64) {
        let mut items = self.0.take().map(Vec::from).unwrap_or_default();
        match items.iter_mut().find(|(c, _, _)| &**c == currency) {
            Some((_, n, v)) => {
                *n = n.saturating_add(1);
                *v += value;
            }
            None => items.push((currency.into(), 1, value)),
        }
        self.0 = Some(items.into_boxed_slice());
    }

    /// `(currency, orders, value)` per currency, in the order first seen.
    pub fn items(&self) -> &[Orders] {
        self.0.as_deref().unwrap_or_default()
    }
}

/// The currency of a purchase, as the report groups it.
pub fn currency(e: &Event) -> String {
    e.prop_str("currency")
        .map(|c| c.trim().to_ascii_uppercase())
        .filter(|c| !c.is_empty())
        .unwrap_or_else(|| "—".into())
}

/// Counts the purchases of `events` (just folded into `state`) that fall within 90 days of the reactivation.
fn attribute(events: &[Event], state: &ContactState, playbook: &Playbook, now: Timestamp, revenue: &mut Revenue) {
    let mut purchases = events.iter().filter(|e| e.kind == EventKind::Purchase && e.at <= now).peekable();
    if purchases.peek().is_none() {
        return;
    }
    let Some(r) = state.lifecycle_at(playbook, now).reactivated_at else { return };
    for e in purchases.filter(|e| r <= e.at && e.at.since(r) < Span::days(REVENUE_DAYS).ms()) {
        if let Some(Some(Scalar::Num(v))) = e.props.get("value") {
            if v.is_finite() {
                revenue.add(&currency(e), *v);
            }
        }
    }
}

/// What a fold needs to look back: the playbook, the instants and `--now`.
pub struct LookBack<'a> {
    /// The playbook.
    pub playbook: &'a Playbook,
    /// [`instants`] of `now`.
    pub at: &'a [Timestamp; INSTANTS],
    /// `--now`.
    pub now: Timestamp,
}

impl LookBack<'_> {
    /// Folds `batch` into `state` and records the phase at each instant the batch passes, from the state with the
    /// events up to that instant folded (core's `fold_with_cuts`: one fold, not one per part). An instant the
    /// batch does not pass stays open unless this is the `last` batch (no later event can be at or before it).
    /// Purchases are attributed as they are folded.
    pub fn fold(
        &self,
        state: &mut ContactState,
        mut batch: Vec<Event>,
        last: bool,
        history: &mut History,
        revenue: &mut Revenue,
    ) {
        batch.sort_by_key(|e| e.at); // stable; core orders by (at, kind, id) again
        let first = history.next();
        let cuts = self.at.get(first..).unwrap_or_default();
        let mut start = 0;
        state.fold_with_cuts(self.playbook, &batch, cuts, &mut |k, state| {
            let Some(t) = cuts.get(k).copied() else { return };
            let rest = batch.get(start..).unwrap_or_default();
            let end = start + rest.partition_point(|e| e.at <= t);
            attribute(batch.get(start..end).unwrap_or_default(), state, self.playbook, self.now, revenue);
            history.record(first + k, state, self.playbook, t);
            start = end;
        });
        attribute(batch.get(start..).unwrap_or_default(), state, self.playbook, self.now, revenue);
        if last {
            for k in history.next()..INSTANTS {
                if let Some(t) = self.at.get(k) {
                    history.record(k, state, self.playbook, *t);
                }
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn utc(text: &str) -> i64 {
        crate::adapter::parse_instant(text, "t").map(Timestamp::ms).unwrap_or(i64::MIN)
    }

    #[test]
    fn instants_step_back_by_calendar_months_clamping_the_day() {
        let now = Timestamp::from_ms(utc("2026-03-31T12:00:00Z")).unwrap_or(Timestamp::EPOCH);
        let at = instants(now);
        let text: Vec<String> = at.iter().map(|t| crate::report::rfc3339(t.ms())).collect();
        assert_eq!(text.first().map(String::as_str), Some("2025-03-31T12:00:00Z"));
        assert_eq!(text.get(11).map(String::as_str), Some("2026-02-28T12:00:00Z"), "31 March → 28 February");
        assert_eq!(text.get(12).map(String::as_str), Some("2026-03-31T12:00:00Z"));
        assert_eq!(months_before(utc("2024-03-30T00:00:00Z"), 1), utc("2024-02-29T00:00:00Z"), "leap year");
        assert_eq!(months_before(utc("2026-01-15T08:30:00Z"), 1), utc("2025-12-15T08:30:00Z"));
        assert!(at.windows(2).all(|w| w.first() < w.get(1)));
    }
}
