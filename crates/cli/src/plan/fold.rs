//! Folding streamed events into per-contact states, in bounded memory.
//!
//! Rule: each contact's events wait in a pending batch and are folded in time order (core sorts a batch by
//! `(at, kind, id)`). A contact's batch is folded when it reaches [`PER_CONTACT`] events; every batch is folded
//! when all pending events together reach [`TOTAL`], and at the end of the input. Memory therefore grows with
//! the number of contacts (one `ContactState` each), not with the number of events. An event older than what
//! its contact already folded is a *late* event: core applies it (stage bars are checked at the state's latest
//! instant, not re-run in the past) and the run counts it; an input sorted by time, or grouped by contact with
//! fewer than [`PER_CONTACT`] events each, has none.
//!
//! The first batch of a contact also carries its profile: one `profile` event with the export's fields, at
//! `created_at`, else at the earliest event of that batch, else at `--now` (a contact with no events).

use rekindle_core::{ContactState, Event, EventKind, Playbook, Scalar, Timestamp};

use super::engagement::Engagement;
use super::roster::Contact;

/// A contact's pending batch is folded at this many events.
pub const PER_CONTACT: usize = 1_000;
/// All pending batches are folded when they hold this many events together.
pub const TOTAL: usize = 200_000;

/// A contact's export fields and `created_at`, folded as one `profile` event with its first batch.
type Profile = (Option<Timestamp>, Vec<(String, Scalar)>);

/// One contact being folded.
#[derive(Default)]
pub struct Slot {
    /// The folded state.
    pub state: ContactState,
    pending: Vec<Event>,
    /// The profile still to fold (taken with the first batch).
    profile: Option<Profile>,
    /// What the report needs that the state does not expose (`report.html`).
    pub engagement: Engagement,
}

/// Every contact's slot, and the counts the summary reports.
pub struct Folder<'p> {
    playbook: &'p Playbook,
    now: Timestamp,
    /// One slot per roster contact, same order.
    pub slots: Vec<Slot>,
    pending: usize,
    /// Events accepted.
    pub events: u64,
    /// Events older than their contact's already folded history.
    pub late: u64,
}

impl<'p> Folder<'p> {
    /// A slot per contact, holding its profile until the first fold.
    pub fn new(playbook: &'p Playbook, now: Timestamp, contacts: &mut [Contact]) -> Folder<'p> {
        let slots = contacts
            .iter_mut()
            .map(|c| Slot { profile: Some((c.created_at, std::mem::take(&mut c.fields))), ..Slot::default() })
            .collect();
        Folder { playbook, now, slots, pending: 0, events: 0, late: 0 }
    }

    /// Queues one event for contact `index`, folding when a bound is reached.
    pub fn push(&mut self, index: u32, event: Event) {
        let Some(slot) = self.slots.get_mut(index as usize) else { return };
        slot.engagement.record(&event, self.now);
        slot.pending.push(event);
        self.events += 1;
        self.pending += 1;
        if slot.pending.len() >= PER_CONTACT {
            self.pending -= slot.pending.len();
            self.late += fold_slot(self.playbook, self.now, slot, false);
        }
        if self.pending >= TOTAL {
            self.flush(false);
        }
    }

    /// Folds every pending batch, on all cores. At the end of the input (`last`), contacts without events get
    /// their profile folded too.
    pub fn flush(&mut self, last: bool) {
        let (playbook, now) = (self.playbook, self.now);
        let late = super::parallel_map(&mut self.slots, |slot| fold_slot(playbook, now, slot, last));
        self.late += late.into_iter().sum::<u64>();
        self.pending = 0;
    }
}

/// Folds a slot's pending batch (with its profile the first time); returns how many events were late.
fn fold_slot(playbook: &Playbook, now: Timestamp, slot: &mut Slot, last: bool) -> u64 {
    if slot.pending.is_empty() && !last {
        return 0; // the profile waits for the contact's first events, which may anchor it
    }
    let mut batch = std::mem::take(&mut slot.pending);
    let folded_until = slot.state.updated_at();
    let late = folded_until.map_or(0, |u| batch.iter().filter(|e| e.at < u).count() as u64);
    if let Some((created_at, fields)) = slot.profile.take() {
        let at = created_at.or_else(|| batch.iter().map(|e| e.at).min()).unwrap_or(now);
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
        slot.state.fold(playbook, &batch);
    }
    late
}
