//! Every contact's events waiting to be folded, in one buffer for the whole run.
//!
//! Why one buffer: with a byte vector per contact, the routing thread grew 10,000s of small vectors per flush
//! (a `realloc` every few events) and the folding threads freed them, and glibc's allocator serialises the free
//! of memory that another thread allocated (it locks that thread's arena, contended while it routes). Here the
//! routing thread appends every packed event ([`super::packed`]) to one buffer that keeps its capacity from
//! flush to flush, and the folding threads only read it.
//!
//! Each record names its contact and links to that contact's previous record, so a contact's batch is read by
//! walking its chain back from its latest record ([`Pending::unpack`]), in time linear in the batch, whether a
//! flush folds every contact or one contact's batch is full. A batch folded on its own (`PER_CONTACT`) leaves
//! its records dead until the next [`Pending::clear`]; [`Pending::compact`] moves the live records down over
//! the dead ones in place, so the buffer never holds more than the live bound plus that many dead records.

use rekindle_core::Event;

/// A contact's latest pending record, or none.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Link(u32);

impl Link {
    /// No record: the end of a chain.
    pub const NONE: Link = Link(u32::MAX);
}

impl Default for Link {
    fn default() -> Self {
        Link::NONE
    }
}

/// One packed event: its contact (`u32::MAX` once folded), the contact's previous record, and its bytes.
#[derive(Debug, Clone, Copy)]
struct Record {
    slot: u32,
    prev: Link,
    start: usize,
    end: usize,
}

/// The buffer of packed events and their records, in arrival order.
#[derive(Debug, Default)]
pub struct Pending {
    bytes: Vec<u8>,
    records: Vec<Record>,
    dead: usize,
}

impl Pending {
    /// Appends one packed event for `slot`, after the slot's latest record `last`; returns the new latest.
    pub fn push(&mut self, slot: u32, last: Link, packed: &[u8]) -> Link {
        let start = self.bytes.len();
        self.bytes.extend_from_slice(packed);
        self.records.push(Record { slot, prev: last, start, end: self.bytes.len() });
        Link(u32::try_from(self.records.len() - 1).unwrap_or(u32::MAX))
    }

    /// Appends the events of the chain ending at `last` to `out`, oldest first; `None` if their bytes are not
    /// what `packed::pack_event` wrote.
    pub fn unpack(&self, last: Link, out: &mut Vec<Event>) -> Option<()> {
        let from = out.len();
        let mut at = last;
        while let Some(r) = self.records.get(at.0 as usize) {
            out.push(super::packed::unpack_event(self.bytes.get(r.start..r.end)?)?);
            at = r.prev;
        }
        out.get_mut(from..)?.reverse(); // read newest first along the chain
        Some(())
    }

    /// Marks the records of the chain ending at `last` folded.
    pub fn retire(&mut self, last: Link) {
        let mut at = last;
        while let Some(r) = self.records.get_mut(at.0 as usize) {
            r.slot = u32::MAX;
            self.dead += 1;
            at = r.prev;
        }
    }

    /// Records, live and dead.
    pub fn len(&self) -> usize {
        self.records.len()
    }

    /// Records folded on their own since the last [`Pending::clear`] or [`Pending::compact`].
    pub fn dead(&self) -> usize {
        self.dead
    }

    /// Moves the live records down over the dead ones, in order, and relinks every chain. `latest` is the field
    /// of a slot that holds its latest record; a slot without live records must already hold [`Link::NONE`].
    pub fn compact<S>(&mut self, slots: &mut [S], latest: impl Fn(&mut S) -> &mut Link) {
        for r in self.records.iter().filter(|r| r.slot != u32::MAX) {
            if let Some(s) = slots.get_mut(r.slot as usize) {
                *latest(s) = Link::NONE;
            }
        }
        let (mut kept, mut to) = (0, 0);
        for i in 0..self.records.len() {
            let Some(r) = self.records.get(i).copied().filter(|r| r.slot != u32::MAX) else { continue };
            let Some(link) = slots.get_mut(r.slot as usize).map(&latest) else { continue };
            self.bytes.copy_within(r.start..r.end, to); // `to` never passes `r.start`: records only move down
            let end = to + (r.end - r.start);
            if let Some(w) = self.records.get_mut(kept) {
                *w = Record { slot: r.slot, prev: *link, start: to, end };
            }
            *link = Link(u32::try_from(kept).unwrap_or(u32::MAX));
            (kept, to) = (kept + 1, end);
        }
        self.records.truncate(kept);
        self.bytes.truncate(to);
        self.dead = 0;
    }

    /// Forgets every record, keeping the buffer's capacity for the next flush.
    pub fn clear(&mut self) {
        self.bytes.clear();
        self.records.clear();
        self.dead = 0;
    }
}

#[cfg(test)]
mod tests {
    use rekindle_core::{EventKind, Timestamp};

    use super::*;

    fn event(ms: i64) -> Event {
        Event {
            at: Timestamp::from_ms(ms).unwrap_or(Timestamp::EPOCH),
            kind: EventKind::PageView,
            id: format!("e{ms}"),
            contact: String::new(),
            machine: false,
            props: Default::default(),
        }
    }

    fn push(pending: &mut Pending, links: &mut [Link], slot: u32, ms: i64) {
        let mut bytes = Vec::new();
        super::super::packed::pack_event(&event(ms), &mut bytes);
        if let Some(link) = links.get_mut(slot as usize) {
            *link = pending.push(slot, *link, &bytes);
        }
    }

    fn ids(pending: &Pending, last: Link) -> Vec<String> {
        let mut out = Vec::new();
        assert_eq!(pending.unpack(last, &mut out), Some(()));
        out.into_iter().map(|e| e.id).collect()
    }

    #[test]
    fn each_contact_reads_back_its_own_events_in_arrival_order() {
        let (mut pending, mut links) = (Pending::default(), [Link::NONE; 3]);
        for (slot, ms) in [(0, 1), (1, 2), (0, 3), (2, 4), (1, 5), (0, 6)] {
            push(&mut pending, &mut links, slot, ms);
        }
        assert_eq!(ids(&pending, links[0]), ["e1", "e3", "e6"]);
        assert_eq!(ids(&pending, links[1]), ["e2", "e5"]);
        assert_eq!(ids(&pending, links[2]), ["e4"]);
        assert_eq!(ids(&pending, Link::NONE), Vec::<String>::new());
    }

    #[test]
    fn compacting_drops_retired_records_and_keeps_every_chain() {
        let (mut pending, mut links) = (Pending::default(), [Link::NONE; 3]);
        for (slot, ms) in [(0, 1), (1, 2), (0, 3), (2, 4), (1, 5), (0, 6)] {
            push(&mut pending, &mut links, slot, ms);
        }
        pending.retire(links[1]);
        links[1] = Link::NONE;
        assert_eq!(pending.dead(), 2);
        pending.compact(&mut links, |l| l);
        assert_eq!((pending.dead(), pending.records.len()), (0, 4));
        assert_eq!(ids(&pending, links[0]), ["e1", "e3", "e6"]);
        assert_eq!(ids(&pending, links[2]), ["e4"]);
        push(&mut pending, &mut links, 1, 7);
        push(&mut pending, &mut links, 2, 8);
        assert_eq!(ids(&pending, links[1]), ["e7"]);
        assert_eq!(ids(&pending, links[2]), ["e4", "e8"]);
    }
}
