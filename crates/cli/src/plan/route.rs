//! Reading one events source: blocks of raw records are parsed on every core, and each worker also finds every
//! event's contact and packs the event ([`super::packed`]), so the single routing thread only checks idempotency
//! keys (in file order: the first occurrence wins) and appends packed bytes to the contact's pending batch.
//! Diagnostics, counts and the order of each contact's events are exactly those of parsing and routing one
//! record after another.

use rekindle_core::Timestamp;

use crate::adapter::webhooks::Seen;
use crate::adapter::{EventSource, RawRecord};
use crate::diagnostic::{mask, Diagnostic};
use crate::error::CliError;

use super::engagement::COMPLAINT_WINDOW_DAYS;
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
    /// The complaint rate's sends and deliveries (D5).
    pub mailed: &'a mut super::mailed::Mailed,
    /// The A/B tests' sends and engagement (D26).
    pub ab: &'a mut super::ab::AbLog,
}

/// One record, parsed: what it rejected and skipped, and how many of the chunk's events it holds.
struct Record {
    line: u64,
    rejects: Vec<Diagnostic>,
    skipped: Vec<String>,
    deliveries: Vec<Timestamp>,
    /// Events after `--now`, not folded.
    future: usize,
    events: usize,
}

/// One event, routed: its contact (or the reference no contact has), its idempotency key, where its packed
/// bytes end in the chunk's buffer, and its instant when it is a marketing send (the complaint rate's).
struct Routed {
    contact: Result<u32, String>,
    key: Option<u64>,
    end: usize,
    sent: Option<Timestamp>,
    /// What the event tells the A/B tests (most events: nothing).
    ab: Option<super::ab::Touch>,
    /// The NPS answer or referral it is (most events: neither).
    said: Option<super::nps::Said>,
    /// A purchase whose `value` is no amount: the value as given, for its warning (most events: `None`).
    bad_order: Option<Box<str>>,
}

/// A worker's share of a block.
#[derive(Default)]
struct Chunk {
    records: Vec<Record>,
    events: Vec<Routed>,
    bytes: Vec<u8>,
}

fn parse_chunk(source: &(dyn EventSource + Sync), roster: &Roster, raws: &[RawRecord<'_>], now: Timestamp) -> Chunk {
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
        let mut found = source.parse(raw);
        let (mut events, mut future) = (0, 0);
        for event in std::mem::take(&mut found.events) {
            // A plan decides at --now: what happened after it is not history yet (a wrong --now, or a clock).
            if event.at > now {
                future += 1;
                continue;
            }
            if event.at.looks_like_seconds() {
                let msg = format!(
                    "`at` {} is in {}: it looks like epoch seconds; events take epoch milliseconds (× 1000) or RFC 3339",
                    event.at.ms(),
                    super::super::report::rfc3339(event.at.ms()).get(..7).unwrap_or("1970")
                );
                let d = Diagnostic::reject(source.name(), raw.line, "at_looks_like_seconds", msg);
                found.rejects.push(d.at(None, Some("at".into())));
                continue;
            }
            // A bad survey answer or referral is refused here, where its line is known, rather than folded.
            let said = match super::nps::said(&event, roster) {
                Some(Err(refused)) => {
                    found.rejects.push(refused.reject(source.name(), raw.line));
                    continue;
                }
                Some(Ok(said)) => Some(said),
                None => None,
            };
            let bad_order = match rekindle_core::retention::order_of(&event) {
                Some(Err(_)) => Some(given_value(&event)),
                _ => None,
            };
            events += 1;
            let key = source.idempotency_key(&event);
            let sent = super::engagement::marketing_send(&event).then_some(event.at);
            let found = match &last {
                Some((reference, index)) if *reference == event.contact => *index,
                _ => {
                    let index = roster.find(&event.contact);
                    last = Some((event.contact.clone(), index));
                    index
                }
            };
            let (contact, ab) = match found {
                Some(index) => {
                    super::packed::pack_event(&event, &mut out.bytes);
                    (Ok(index), super::ab::touch(&event))
                }
                None => (Err(event.contact), None),
            };
            out.events.push(Routed { contact, key, end: out.bytes.len(), sent, ab, said, bad_order });
        }
        let (skipped, deliveries) = (found.skipped, found.deliveries);
        out.records.push(Record { line: raw.line, rejects: found.rejects, skipped, deliveries, future, events });
    }
    out
}

/// Streams one events source: blocks of records parsed and routed on every core, then queued in record order
/// ([`route`]), each block's routing overlapping the next block's parsing.
pub fn read_events(
    source: &mut (dyn EventSource + Sync),
    roster: &Roster,
    folder: &mut Folder<'_>,
    sink: Sink<'_>,
    progress: impl Fn(u64),
) -> Result<(), CliError> {
    let Sink { counts, diagnostics, seen, mailed, ab } = sink;
    let mut block = crate::adapter::Block::default();
    let unreadable = source.next_block(BLOCK, &mut block)?;
    take_unreadable(counts, diagnostics, &block, unreadable);
    if block.is_empty() {
        return Ok(());
    }
    let now = folder.now();
    let (future_before, mut future) = (counts.future_events, None);
    let mut chunks = parse_block(&*source, roster, &block, now);
    loop {
        // The next block is parsed on the pool while this one's events are routed (one core routes, the other
        // parses, and both fold when routing flushes): routing alone left a core idle for 0.26 s at 1M contacts.
        let unreadable = source.next_block(BLOCK, &mut block)?;
        let parser = &*source;
        let (next, routed) = rayon::join(
            || (!block.is_empty()).then(|| parse_block(parser, roster, &block, now)),
            || {
                let sink = Sink {
                    counts: &mut *counts,
                    diagnostics: &mut *diagnostics,
                    seen: &mut *seen,
                    mailed: &mut *mailed,
                    ab: &mut *ab,
                };
                route(parser, chunks, folder, sink, &mut future)
            },
        );
        routed?;
        // The next block's unreadable lines come after this block's diagnostics, in line order.
        take_unreadable(counts, diagnostics, &block, unreadable);
        progress(source.position());
        match next {
            Some(parsed) => chunks = parsed,
            None => break,
        }
    }
    if let Some(line) = future {
        let n = counts.future_events - future_before;
        let msg = format!(
            "{n} event(s) after --now (the first on this line) were not folded: a plan decides at --now, before they \
             happened; check --now, or the clock that stamped them"
        );
        diagnostics.push(Diagnostic::warning(source.name(), line, "after_now", msg));
    }
    Ok(())
}

/// Counts a block's lines and keeps the diagnostics of those that could not be read as text.
fn take_unreadable(
    counts: &mut Counts,
    diagnostics: &mut Vec<Diagnostic>,
    block: &crate::adapter::Block,
    unreadable: Vec<Diagnostic>,
) {
    counts.event_lines += (block.len() + unreadable.len()) as u64;
    counts.rejected_event_lines += unreadable.len() as u64;
    diagnostics.extend(unreadable);
}

/// A block's records parsed and their events packed, on every core.
fn parse_block(
    parser: &(dyn EventSource + Sync),
    roster: &Roster,
    block: &crate::adapter::Block,
    now: Timestamp,
) -> Vec<Chunk> {
    super::parallel_chunks(&block.records(), |raws| parse_chunk(parser, roster, raws, now))
}

/// Queues a parsed block's events in record order; an event whose idempotency key came earlier is counted, not
/// folded.
fn route(
    source: &(dyn EventSource + Sync),
    chunks: Vec<Chunk>,
    folder: &mut Folder<'_>,
    sink: Sink<'_>,
    future: &mut Option<u64>,
) -> Result<(), CliError> {
    let Sink { counts, diagnostics, seen, mailed, ab } = sink;
    for chunk in chunks {
        let mut events = chunk.events.into_iter();
        let mut start = 0;
        for record in chunk.records {
            counts.rejected_event_lines += record.rejects.len() as u64;
            diagnostics.extend(record.rejects);
            if record.future > 0 {
                counts.future_events += record.future as u64;
                future.get_or_insert(record.line);
            }
            for kind in record.skipped {
                *counts.skipped_records.entry(kind).or_insert(0) += 1;
            }
            let now = folder.now();
            let recent = |t: &&Timestamp| super::engagement::within(Some(**t), COMPLAINT_WINDOW_DAYS, now);
            counts.deliveries_30d += record.deliveries.iter().filter(recent).count() as u64;
            for t in &record.deliveries {
                mailed.delivery(*t);
            }
            for routed in events.by_ref().take(record.events) {
                let packed = chunk.bytes.get(start..routed.end).unwrap_or_default();
                start = routed.end;
                if routed.key.is_some_and(|key| !seen.first(key)) {
                    counts.duplicate_events += 1;
                    continue;
                }
                match routed.contact {
                    Ok(index) => {
                        if let Some(t) = routed.sent {
                            mailed.send(t);
                        }
                        if let Some(touch) = routed.ab {
                            ab.apply(index, touch);
                        }
                        if let Some(said) = routed.said {
                            diagnostics.extend(said.warning(source.name(), record.line));
                            folder.said.push(index, said);
                        }
                        if let Some(value) = routed.bad_order {
                            diagnostics.push(bad_order(source.name(), record.line, &value));
                        }
                        folder.push_packed(index, packed)?;
                    }
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
    Ok(())
}

/// A purchase's `value` as the line gave it (text quoted), for [`bad_order`].
fn given_value(event: &rekindle_core::Event) -> Box<str> {
    match event.props.get("value") {
        Some(Some(rekindle_core::Scalar::Str(text))) => format!("\"{}\"", crate::diagnostic::quote(text)).into(),
        Some(Some(rekindle_core::Scalar::Num(n))) => rekindle_core::time::short_number(*n).into(),
        Some(Some(rekindle_core::Scalar::Bool(b))) => b.to_string().into(),
        Some(None) | None => "nothing".into(),
    }
}

/// The warning of a purchase whose `value` is no amount ≥ 0 (text like "12,50", a refund's negative amount): the
/// purchase still counts as engagement, but core's order log (`retention::order_of`) leaves it out, so
/// retention.csv and the retention figures miss it. Said with its line and field rather than only counted in
/// report.html, so the export can be fixed.
fn bad_order(file: &str, line: u64, value: &str) -> Diagnostic {
    let message = format!(
        "a purchase's value must be a finite amount ≥ 0, got {value}: the purchase is folded but left out of the \
         order log (retention.csv and the retention figures); write the amount as a number like 12.5, and a refund \
         not as a purchase"
    );
    Diagnostic::warning(file, line, "bad_order_value", message).at(None, Some("props.value".into()))
}

fn unknown(reference: &str) -> String {
    format!("no contact {} in the contacts file; add the contact or fix the event's `contact`", mask(reference))
}
