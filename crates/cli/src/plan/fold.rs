//! Folding streamed events into per-contact states, in bounded memory.
//!
//! Rule: each contact's events wait in a pending batch and are folded in time order (core sorts a batch by
//! `(at, kind, id)`). A contact's batch is folded when it reaches [`PER_CONTACT`] events; every batch is folded
//! when all pending events together reach [`TOTAL`], and at the end of the input. Memory therefore grows with
//! the number of contacts (a small slot each), not with the number of events. An event older than what
//! its contact already folded is a *late* event: core applies it (stage bars are checked at the state's latest
//! instant, not re-run in the past) and the run counts it; an input sorted by time, or grouped by contact with
//! fewer than [`PER_CONTACT`] events each, has none.
//!
//! Memory per contact (measured with massif on the generated sample, `saas.json`): between batches the state is
//! kept in core's compact byte form (`ContactState::to_bytes`, ~200 bytes) rather than as a `ContactState`
//! (600 bytes inline plus its maps: ~1.5 KB), and read back for the next batch and for the decision; pending
//! events and the export's fields wait packed ([`super::packed`], ~70 bytes an event instead of ~450), the
//! events of every contact in one buffer ([`Pending`]).
//!
//! The first batch of a contact also carries its profile: one `profile` event with the export's fields, at
//! `created_at`, else at the earliest event of that batch, else at `--now` (a contact with no events).
//!
//! A batch is folded in parts split at the report's monthly instants ([`super::history`]), so each contact's
//! phase at those instants is core's answer from the events up to them; the parts together fold exactly what
//! the batch would (core orders by time, and the split is by time).

use rekindle_core::{ContactState, Event, EventKind, Playbook, Timestamp};

use super::engagement::Engagement;
use super::history::{History, LookBack, Revenue, INSTANTS};
use super::packed::Fields;
use super::pending::{Link, Pending};
use super::roster::Contact;
use crate::error::CliError;

/// A contact's pending batch is folded at this many events.
pub const PER_CONTACT: usize = 1_000;
/// All pending batches are folded when they hold this many events together.
pub const TOTAL: usize = 200_000;

/// A contact's export fields and `created_at`, folded as one `profile` event with its first batch.
type Profile = (Option<Timestamp>, Fields);

/// One contact being folded.
#[derive(Default)]
pub struct Slot {
    /// The folded state, compact (`ContactState::to_bytes`); empty until the first batch.
    state: Box<[u8]>,
    /// The latest of the events waiting for the next batch (in [`Folder`]'s pending buffer), and how many.
    latest: Link,
    waiting: u32,
    /// The profile still to fold (taken with the first batch).
    profile: Option<Box<Profile>>,
    /// The state came from the previous plan (`--previous`): it holds every event up to that plan's `--now`.
    carried: bool,
    /// What the report needs that the state does not expose (`report.html`).
    pub engagement: Engagement,
    /// The contact's phase at the report's monthly instants (completed when the contact is decided).
    pub history: History,
    /// Purchases within 90 days of a reactivation (D12).
    pub revenue: Revenue,
    /// Every order (instant, amount), for retention analytics; most contacts have none.
    pub orders: Vec<(Timestamp, f64)>,
    /// The stated churn reason's sources (D39): this run's latest exit survey, the contacts file's cell.
    pub stated: Option<Box<Stated>>,
    /// The state came from a `state.csv` older than its `stated_reason_cell` column: which cell that plan read
    /// is unknown.
    cell_unknown: bool,
    /// The retention facts to keep on the contact, folded at `--now` before it is decided
    /// (`plan::retention`, when the playbook has a `retention` section).
    pub facts: Option<Box<Event>>,
}

/// Where a contact's stated churn reason (`churn_reason_stated`, D39) came from, besides the state that holds it.
#[derive(Debug, Default, Clone, PartialEq, Eq)]
pub struct Stated {
    /// The latest exit survey folded this run (`super::retention::exit_survey`): its instant and stated reason.
    pub survey: Option<(Timestamp, String)>,
    /// The contacts file's `churn_reason_stated` cell: the previous plan's until this run's profile is folded,
    /// then this run's (written to `state.csv`).
    pub cell: Option<String>,
}

impl Slot {
    /// The folded state, read back; the slot keeps it.
    pub fn state(&self) -> Result<ContactState, CliError> {
        read(&self.state)
    }

    /// The folded state, read back, and its bytes (for `state.csv`); the slot keeps nothing of it afterwards.
    pub fn take_state(&mut self) -> Result<(ContactState, Box<[u8]>), CliError> {
        let bytes = std::mem::take(&mut self.state);
        Ok((read(&bytes)?, bytes))
    }
}

/// Reads a state this run wrote. A failure is a bug in rekindle, reported as an internal failure (exit 1).
fn read(bytes: &[u8]) -> Result<ContactState, CliError> {
    if bytes.is_empty() {
        return Ok(ContactState::new());
    }
    ContactState::from_bytes(bytes).map_err(|e| internal(&format!("a folded contact state ({e})")))
}

/// Bytes this run packed that do not read back: a bug in rekindle (exit 1).
fn internal(what: &str) -> CliError {
    CliError::Io {
        path: "<plan memory>".into(),
        source: std::io::Error::other(format!("{what} written by rekindle do not read back; please report this")),
    }
}

/// Every contact's slot, and the counts the summary reports.
pub struct Folder<'p> {
    playbook: &'p Playbook,
    now: Timestamp,
    /// The report's monthly instants (`history::instants`).
    pub at: [Timestamp; INSTANTS],
    /// One slot per roster contact, same order.
    pub slots: Vec<Slot>,
    /// Every slot's events waiting for its next batch.
    pending: Pending,
    /// Slots that received an event since their last fold (maybe twice; a flush visits only these).
    waiting: Vec<u32>,
    /// Events accepted.
    pub events: u64,
    /// Events older than their contact's already folded history.
    pub late: u64,
    /// The previous plan's `--now`, when states were carried from it (`super::previous`).
    previous: Option<Timestamp>,
    /// Events of carried contacts at or before `previous`: already in their state, not folded again.
    pub already_folded: u64,
    /// Purchase events whose value is not an order amount (negative, not a number): kept out of the analysis.
    pub bad_orders: u64,
    /// Orders per currency (upper-cased; none: `—`): the analysis sums amounts as given.
    pub currencies: std::collections::BTreeMap<String, u64>,
    /// The NPS answers and referrals routed (`super::nps`), for the retention analysis.
    pub said: super::nps::Log,
}

impl<'p> Folder<'p> {
    /// The plan's `--now`.
    pub fn now(&self) -> Timestamp {
        self.now
    }

    /// A slot per contact, holding its profile until the first fold.
    pub fn new(playbook: &'p Playbook, now: Timestamp, contacts: &mut [Contact]) -> Folder<'p> {
        let slots = contacts
            .iter_mut()
            .map(|c| Slot { profile: Some(Box::new((c.created_at, std::mem::take(&mut c.fields)))), ..Slot::default() })
            .collect();
        let at = super::history::instants(now);
        let currencies = std::collections::BTreeMap::new();
        Folder {
            playbook,
            now,
            at,
            slots,
            pending: Pending::default(),
            waiting: Vec::new(),
            events: 0,
            late: 0,
            previous: None,
            already_folded: 0,
            bad_orders: 0,
            currencies,
            said: super::nps::Log::default(),
        }
    }

    /// Starts contact `index` from the previous plan's state of it, what the report knew of its engagement and
    /// the `churn_reason_stated` cell it read (read back by `super::previous`), which hold every event up to
    /// `previous`; call before any event is queued. A contact carried twice (two previous contacts merged by
    /// phone this run) keeps the first.
    pub fn carry(
        &mut self,
        index: u32,
        state: Box<[u8]>,
        engagement: Engagement,
        cell: super::previous::PreviousCell,
        previous: Timestamp,
    ) -> bool {
        self.previous = Some(previous);
        match self.slots.get_mut(index as usize) {
            Some(slot) if !slot.carried => {
                slot.state = state;
                slot.engagement = engagement;
                slot.carried = true;
                slot.cell_unknown = cell.is_none();
                slot.stated = cell.flatten().map(|cell| Box::new(Stated { survey: None, cell: Some(cell) }));
                true
            }
            _ => false,
        }
    }

    /// Folds `events` straight into carried contact `index`'s state, which otherwise takes only events after the
    /// previous `--now`: what the previous plan knew of another address of the contact (a suppression recorded
    /// under an address merged into it by phone this run) is history that state does not hold yet.
    pub fn fold_into_carried(&mut self, index: u32, events: &[Event]) -> Result<(), CliError> {
        let Some(slot) = self.slots.get_mut(index as usize).filter(|s| s.carried && !events.is_empty()) else {
            return Ok(());
        };
        let mut state = read(&slot.state)?;
        state.fold(self.playbook, events);
        slot.state = state.to_bytes().into_boxed_slice();
        Ok(())
    }

    /// Whether contact `index` started from the previous plan's state of it ([`Folder::carry`]).
    pub fn is_carried(&self, index: u32) -> bool {
        self.slots.get(index as usize).is_some_and(|s| s.carried)
    }

    /// Queues one event for contact `index` (packed, without its `contact`), folding when a bound is reached.
    pub fn push(&mut self, index: u32, event: Event) -> Result<(), CliError> {
        let mut packed = Vec::new();
        super::packed::pack_event(&event, &mut packed);
        self.push_packed(index, &packed)
    }

    /// Events queued and not folded yet.
    fn live(&self) -> usize {
        self.pending.len() - self.pending.dead()
    }

    /// Queues one event for contact `index`, already packed (`packed::pack_event`), folding when a bound is
    /// reached. What the report and the retention analysis read of it is taken when it is folded.
    pub fn push_packed(&mut self, index: u32, packed: &[u8]) -> Result<(), CliError> {
        let Some(slot) = self.slots.get_mut(index as usize) else { return Ok(()) };
        slot.latest = self.pending.push(index, slot.latest, packed);
        if slot.waiting == 0 {
            self.waiting.push(index);
        }
        slot.waiting += 1;
        self.events += 1;
        if slot.waiting as usize >= PER_CONTACT {
            let look = LookBack { playbook: self.playbook, at: &self.at, now: self.now };
            let previous = self.previous;
            let latest = slot.latest;
            let folded = fold_slot(&look, slot, &self.pending, false, previous)?;
            self.pending.retire(latest);
            self.count(folded);
            // Dead records stay until the flush; past the live bound they are squeezed out, so the buffer
            // holds at most twice `TOTAL` events whatever the input.
            if self.pending.dead() >= TOTAL {
                self.pending.compact(&mut self.slots, |s| &mut s.latest);
            }
        }
        if self.live() >= TOTAL {
            self.flush(false)?;
        }
        Ok(())
    }

    fn count(&mut self, folded: Folded) {
        self.late += folded.late;
        self.already_folded += folded.already;
        self.bad_orders += folded.bad_orders;
        for currency in folded.currencies {
            *self.currencies.entry(currency).or_insert(0) += 1;
        }
    }

    /// Folds every pending batch, on all cores. At the end of the input (`last`), contacts without events get
    /// their profile folded too. A flush before the end visits only the slots with pending events, so flushing
    /// costs what the pending events cost, not a pass over every contact.
    pub fn flush(&mut self, last: bool) -> Result<(), CliError> {
        let look = LookBack { playbook: self.playbook, at: &self.at, now: self.now };
        let (look, pending, previous) = (&look, &self.pending, self.previous);
        let mut wanted = std::mem::take(&mut self.waiting);
        let late = if last {
            super::parallel_map(&mut self.slots, |slot| fold_slot(look, slot, pending, true, previous))
        } else {
            wanted.sort_unstable();
            wanted.dedup();
            // Steps straight to each wanted slot (a slice iterator's `nth` is O(1)): no pass over every contact,
            // which at 1M contacts cost more than the folds (one pass per 200,000 events).
            let mut rest = self.slots.iter_mut();
            let mut slots: Vec<&mut Slot> = Vec::with_capacity(wanted.len());
            let mut at = 0;
            for &w in &wanted {
                let Some(skip) = (w as usize).checked_sub(at) else { continue };
                if let Some(slot) = rest.nth(skip) {
                    slots.push(slot);
                }
                at = w as usize + 1;
            }
            super::parallel_map(&mut slots, |slot| fold_slot(look, slot, pending, false, previous))
        };
        for folded in late {
            self.count(folded?);
        }
        self.pending.clear();
        Ok(())
    }
}

/// What folding one batch found besides the state.
#[derive(Default)]
struct Folded {
    /// Events older than the contact's already folded history.
    late: u64,
    /// Events a carried state already holds (at or before the previous plan's `--now`).
    already: u64,
    /// Purchases whose value is not an order amount.
    bad_orders: u64,
    /// The currency of each order, in batch order.
    currencies: Vec<String>,
}

/// Decides whether the contacts file's `churn_reason_stated` cell, in `fields`, states the churn reason (D39) when
/// the profile is folded at `at`, and keeps the cell in the slot for `state.csv`. The cell carries no date, and a
/// CRM export repeats it every run: the latest statement wins only if the cell is one. So the cell is left out
/// - for a carried contact, when the previous plan read the same cell (it is no new statement: the carried state
///   holds it, or what an exit survey or a `profile` event stated after it), or, for a state from before
///   `stated_reason_cell`, when that state holds a stated reason already (which cell it came from is unknown);
/// - when an exit survey of this batch is at or after `at` (a survey at the same instant is the dated
///   statement; otherwise the fold's order by properties would pick between the two).
///
/// A cell that changed since the previous plan is a new statement, folded with the profile at `at`.
fn stated_cell(
    slot: &mut Slot,
    state: &ContactState,
    fields: &mut Vec<(String, rekindle_core::Scalar)>,
    at: Timestamp,
    latest_survey: Option<Timestamp>,
) {
    use rekindle_core::retention::stated::STATED_REASON_FIELD;
    let place = fields.iter().position(|(f, _)| f == STATED_REASON_FIELD);
    let cell = place.and_then(|i| fields.get(i)).and_then(|(_, value)| match value {
        rekindle_core::Scalar::Str(s) if !s.trim().is_empty() => Some(s.trim().to_string()),
        rekindle_core::Scalar::Num(n) => Some(rekindle_core::time::short_number(*n)),
        _ => None,
    });
    let before = slot.stated.as_ref().and_then(|s| s.cell.as_ref());
    let unchanged = slot.carried
        && match slot.cell_unknown {
            false => before == cell.as_ref(),
            true => rekindle_core::retention::stated_reason_of(state).is_some(),
        };
    if let Some(i) = place.filter(|_| unchanged || latest_survey.is_some_and(|s| s >= at)) {
        fields.remove(i);
    }
    match (&mut slot.stated, cell) {
        (Some(stated), cell) => stated.cell = cell,
        (None, Some(cell)) => slot.stated = Some(Box::new(Stated { survey: None, cell: Some(cell) })),
        (None, None) => {}
    }
}

/// Folds a slot's pending batch (with its profile the first time). The batch's events, in the order they were
/// queued, are also recorded for the report ([`Engagement`]) and the retention analysis (orders), which read the
/// logs as they are; a carried state folds only the events after the previous plan's `--now`.
fn fold_slot(
    look: &LookBack<'_>,
    slot: &mut Slot,
    pending: &Pending,
    last: bool,
    previous: Option<Timestamp>,
) -> Result<Folded, CliError> {
    let mut folded = Folded::default();
    if slot.waiting == 0 && !(last && slot.profile.is_some()) {
        return Ok(folded); // the profile waits for the contact's first events, which may anchor it
    }
    let mut batch = Vec::with_capacity(slot.waiting as usize + usize::from(slot.profile.is_some()));
    pending.unpack(std::mem::take(&mut slot.latest), &mut batch).ok_or_else(|| internal("pending events"))?;
    slot.waiting = 0;
    for event in &batch {
        slot.engagement.record(event, look.now);
        match rekindle_core::retention::order_of(event) {
            Some(Ok(amount)) => {
                slot.orders.push((event.at, amount));
                folded.currencies.push(super::history::currency(event));
            }
            Some(Err(_)) => folded.bad_orders += 1,
            None => {}
        }
    }
    if let Some(previous) = previous.filter(|_| slot.carried) {
        let before = batch.len();
        batch.retain(|e| e.at > previous);
        folded.already = (before - batch.len()) as u64;
    }
    // An exit survey states the churn reason at its instant (D39); one older than a survey this run already
    // folded (a late event) states nothing newer and is folded without it.
    let mut surveys: Vec<(String, Event)> = batch.iter().filter_map(super::retention::exit_survey).collect();
    surveys.sort_by_key(|(_, e)| e.at);
    let latest_survey = surveys.last().map(|(_, e)| e.at);
    for (reason, survey) in surveys {
        if slot.stated.as_ref().and_then(|s| s.survey.as_ref()).is_some_and(|s| s.0 > survey.at) {
            continue;
        }
        slot.stated.get_or_insert_with(Box::default).survey = Some((survey.at, reason));
        batch.push(survey);
    }
    let mut state = read(&slot.state)?;
    let folded_until = state.updated_at();
    folded.late = folded_until.map_or(0, |u| batch.iter().filter(|e| e.at < u).count() as u64);
    if let Some(profile) = slot.profile.take() {
        let (created_at, fields) = *profile;
        let mut fields = fields.unpack();
        let at = created_at.or_else(|| batch.iter().map(|e| e.at).min()).unwrap_or(look.now);
        stated_cell(slot, &state, &mut fields, at, latest_survey);
        let mut profile = Event {
            at,
            kind: EventKind::Profile,
            id: String::new(),
            contact: String::new(),
            machine: false,
            props: Default::default(),
        };
        for (field, value) in fields {
            profile.props.insert(field, Some(value));
        }
        batch.push(profile);
    }
    if !batch.is_empty() {
        look.fold(&mut state, batch, last, &mut slot.history, &mut slot.revenue);
        slot.state = state.to_bytes().into_boxed_slice();
    }
    Ok(folded)
}
