//! Reading one events source: blocks of raw records are parsed on every core, and each worker also finds every
//! event's contact and packs the event ([`super::packed`]), so the single routing thread only checks idempotency
//! keys (in file order: the first occurrence wins) and appends packed bytes to the contact's pending batch.
//! Diagnostics, counts and the order of each contact's events are exactly those of parsing and routing one
//! record after another.

use crate::adapter::webhooks::Seen;
use crate::adapter::{EventSource, RawRecord};
use crate::diagnostic::{mask, Diagnostic};
use crate::error::CliError;

use super::fold::Folder;
use super::roster::Roster;
use super::Counts;

/// Raw event records read per block (parsed in parallel).
const BLOCK: usize = 32_768;

/// Where [`read_events`] counts and reports.
pub struct Sink<'a> {
    /// Counts.
    pub counts: &'a mut Counts,
    /// Diagnostics, in line order.
    pub diagnostics: &'a mut Vec<Diagnostic>,
    /// Idempotency keys seen across every source of the run.
    pub seen: &'a mut Seen,
}

/// One record, parsed: what it rejected and skipped, and how many of the chunk's events it holds.
struct Record {
    line: u64,
    rejects: Vec<Diagnostic>,
    skipped: Vec<String>,
    events: usize,
}

/// One event, routed: its contact (or the reference no contact has), its idempotency key, and where its packed
/// bytes end in the chunk's buffer.
struct Routed {
    contact: Result<u32, String>,
    key: Option<u64>,
    end: usize,
}

/// A worker's share of a block.
#[derive(Default)]
struct Chunk {
    records: Vec<Record>,
    events: Vec<Routed>,
    bytes: Vec<u8>,
}

fn parse_chunk(source: &(dyn EventSource + Sync), roster: &Roster, raws: &[RawRecord<'_>]) -> Chunk {
    // Sized up front (a packed event takes about as many bytes as its line): grown by doubling, the three
    // vectors were copied a dozen times each per block.
    let text: usize = raws.iter().map(|r| r.text.len()).sum();
    let mut out = Chunk {
        records: Vec::with_capacity(raws.len()),
        events: Vec::with_capacity(raws.len()),
        bytes: Vec::with_capacity(text),
    };
    // The roster does not change while events are read, so the contact the previous event named is reused when
    // the next names it the same way (exports group events by contact).
    let mut last: Option<(String, Option<u32>)> = None;
    for raw in raws {
        let found = source.parse(raw);
        let events = found.events.len();
        for event in found.events {
            let key = source.idempotency_key(&event);
            let found = match &last {
                Some((reference, index)) if *reference == event.contact => *index,
                _ => {
                    let index = roster.find(&event.contact);
                    last = Some((event.contact.clone(), index));
                    index
                }
            };
            let contact = match found {
                Some(index) => {
                    super::packed::pack_event(&event, &mut out.bytes);
                    Ok(index)
                }
                None => Err(event.contact),
            };
            out.events.push(Routed { contact, key, end: out.bytes.len() });
        }
        out.records.push(Record { line: raw.line, rejects: found.rejects, skipped: found.skipped, events });
    }
    out
}

/// Streams one events source: blocks of records parsed and routed on every core, then queued in record order;
/// an event whose idempotency key came earlier is counted, not folded.
pub fn read_events(
    source: &mut (dyn EventSource + Sync),
    roster: &Roster,
    folder: &mut Folder<'_>,
    sink: Sink<'_>,
    progress: impl Fn(u64),
) -> Result<(), CliError> {
    let Sink { counts, diagnostics, seen } = sink;
    let mut block = crate::adapter::Block::default();
    loop {
        let unreadable = source.next_block(BLOCK, &mut block)?;
        counts.event_lines += (block.len() + unreadable.len()) as u64;
        counts.rejected_event_lines += unreadable.len() as u64;
        diagnostics.extend(unreadable);
        if block.is_empty() {
            return Ok(());
        }
        let parser = &*source;
        let chunks = super::parallel_chunks(&block.records(), |raws| parse_chunk(parser, roster, raws));
        for chunk in chunks {
            let mut events = chunk.events.into_iter();
            let mut start = 0;
            for record in chunk.records {
                counts.rejected_event_lines += record.rejects.len() as u64;
                diagnostics.extend(record.rejects);
                for kind in record.skipped {
                    *counts.skipped_records.entry(kind).or_insert(0) += 1;
                }
                for routed in events.by_ref().take(record.events) {
                    let packed = chunk.bytes.get(start..routed.end).unwrap_or_default();
                    start = routed.end;
                    if routed.key.is_some_and(|key| !seen.first(key)) {
                        counts.duplicate_events += 1;
                        continue;
                    }
                    match routed.contact {
                        Ok(index) => folder.push_packed(index, packed)?,
                        Err(reference) => {
                            counts.rejected_event_lines += 1;
                            diagnostics.push(
                                Diagnostic::reject(source.name(), record.line, "unknown_contact", unknown(&reference))
                                    .at(None, Some("contact".into())),
                            );
                        }
                    }
                }
            }
        }
        progress(source.position());
    }
}

fn unknown(reference: &str) -> String {
    format!("no contact {} in the contacts file; add the contact or fix the event's `contact`", mask(reference))
}
