//! Damaged bytes never panic and never read as a state or playbook the engine cannot write back (STYLE §7.4,
//! D44). State bytes come back from places rekindle does not sign: `localStorage` in the browser (any script or
//! extension on the page can edit it), a CRM field, a database row. Compiled playbooks (`.rkp`) are checksummed, but
//! a file edited by hand or written by another tool can carry a matching checksum over bytes `rekindle compile`
//! never writes.
//!
//! The corpus is every shared vector with events (`tests/vectors`, each area of the engine): its playbook,
//! compiled, and its events folded, as bytes. Each case damages one of them with a few mutations (a bit flipped, a
//! byte set to an edge value, a byte inserted or removed, a range repeated, the tail cut off) and checks:
//! - state bytes: `from_bytes` answers an error or a state; a state writes bytes that read back as the same state,
//!   and folding one more event into it, deciding at the vector's `now` and a year later (with its own playbook
//!   and with another vector's: a playbook changed under stored states), and serialising the decision all finish;
//! - compiled playbooks (the checksum recomputed, so the reader gets past it): `from_compiled` answers an error
//!   or a playbook; a playbook compiles to bytes that read back as the same playbook, and folds and decides the
//!   vector's events as above.
//!
//! Two deterministic sweeps add what random damage rarely hits: every number in every distinct state and compiled
//! playbook set, in turn, to the largest, smallest and subnormal finite values (a playbook whose points summed to
//! an infinity folded state bytes no reader accepts, before the compiled reader bounded points as the JSON reader
//! does).
//!
//! `PROPTEST_CASES` raises the case count (debug default: 48 per property; hunt in release with thousands).
#![allow(clippy::expect_used, clippy::unwrap_used, clippy::indexing_slicing, missing_docs)]

use std::fs;
use std::path::{Path, PathBuf};
use std::sync::OnceLock;

use proptest::prelude::*;
use proptest::sample::Index;
use rekindle_core::{decide, ContactState, Event, Playbook, Timestamp, Value};

const YEAR: i64 = 365 * 86_400_000;

/// One vector with events, as bytes: what the mutations start from.
struct Sample {
    name: String,
    playbook: Playbook,
    compiled: Vec<u8>,
    events: Vec<Event>,
    state: Vec<u8>,
    now: Timestamp,
}

fn repo_root() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("../..")
}

fn json_files(dir: &Path, out: &mut Vec<PathBuf>) {
    let mut entries: Vec<PathBuf> = fs::read_dir(dir).unwrap().map(|e| e.unwrap().path()).collect();
    entries.sort();
    for path in entries {
        if path.is_dir() {
            json_files(&path, out);
        } else if path.extension().is_some_and(|x| x == "json") {
            out.push(path);
        }
    }
}

fn value(json: &serde_json::Value) -> Value {
    serde_json::from_value(json.clone()).unwrap()
}

/// The vectors whose playbook parses and whose events and `now` are valid, folded.
fn corpus() -> &'static [Sample] {
    static CORPUS: OnceLock<Vec<Sample>> = OnceLock::new();
    CORPUS.get_or_init(|| {
        let root = repo_root();
        let mut files = Vec::new();
        json_files(&root.join("tests/vectors"), &mut files);
        let mut out = Vec::new();
        for file in files {
            let text = fs::read_to_string(&file).unwrap();
            let Ok(vector) = serde_json::from_str::<serde_json::Value>(&text) else { continue };
            let Some(input) = vector.get("input") else { continue };
            let (Some(events), Some(now)) = (input.get("events"), input.get("now")) else { continue };
            let playbook = match input.get("playbook") {
                Some(serde_json::Value::String(rel)) => {
                    serde_json::from_str(&fs::read_to_string(root.join(rel)).unwrap()).unwrap()
                }
                Some(p) => p.clone(),
                None => continue,
            };
            let Ok(playbook) = Playbook::parse(&value(&playbook)) else { continue };
            let Ok(events) = Event::parse_list(&value(events), "events") else { continue };
            let Some(now) = now.as_i64().and_then(Timestamp::from_ms) else { continue };
            let mut state = ContactState::new();
            state.fold(&playbook, &events);
            let name = file.strip_prefix(&root).unwrap_or(&file).display().to_string();
            out.push(Sample { name, compiled: playbook.to_compiled(), playbook, events, state: state.to_bytes(), now });
        }
        assert!(out.len() >= 300, "only {} vectors with events: is tests/vectors there?", out.len());
        out
    })
}

/// One damage to a byte string.
#[derive(Debug, Clone)]
enum Mutation {
    FlipBit(Index, u8),
    Set(Index, u8),
    Insert(Index, u8),
    Remove(Index),
    Repeat(Index, u8),
    Cut(Index),
}

fn mutation() -> impl Strategy<Value = Mutation> {
    // Edge values a decoder mishandles: lengths and counts that overflow, varint continuation, 0 and 1.
    let byte = prop_oneof![Just(0u8), Just(1), Just(0x7f), Just(0x80), Just(0xff), any::<u8>()];
    prop_oneof![
        4 => (any::<Index>(), 0u8..8).prop_map(|(i, bit)| Mutation::FlipBit(i, bit)),
        4 => (any::<Index>(), byte.clone()).prop_map(|(i, b)| Mutation::Set(i, b)),
        2 => (any::<Index>(), byte).prop_map(|(i, b)| Mutation::Insert(i, b)),
        2 => any::<Index>().prop_map(Mutation::Remove),
        1 => (any::<Index>(), 1u8..16).prop_map(|(i, n)| Mutation::Repeat(i, n)),
        1 => any::<Index>().prop_map(Mutation::Cut),
    ]
}

/// `bytes` from `keep` on damaged by `mutations` (the first `keep` bytes — a header the test gets past — are left).
fn damage(bytes: &[u8], keep: usize, mutations: &[Mutation]) -> Vec<u8> {
    let mut out = bytes.to_vec();
    for m in mutations {
        let span = out.len().saturating_sub(keep);
        if span == 0 {
            break;
        }
        let at = |i: &Index| keep + i.index(span);
        match m {
            Mutation::FlipBit(i, bit) => {
                let at = at(i);
                out[at] ^= 1 << bit;
            }
            Mutation::Set(i, b) => {
                let at = at(i);
                out[at] = *b;
            }
            Mutation::Insert(i, b) => out.insert(at(i), *b),
            Mutation::Remove(i) => {
                out.remove(at(i));
            }
            Mutation::Repeat(i, n) => {
                let from = at(i);
                let to = (from + usize::from(*n)).min(out.len());
                let copy = out[from..to].to_vec();
                out.splice(to..to, copy);
            }
            Mutation::Cut(i) => out.truncate(at(i)),
        }
    }
    out
}

/// FNV-1a, as `to_compiled` seals its body (docs/playbook.md § compiled playbooks: a checksum, not a signature).
fn reseal(body: &[u8]) -> Vec<u8> {
    let sum = body.iter().fold(0x811c_9dc5u32, |h, b| (h ^ u32::from(*b)).wrapping_mul(0x0100_0193));
    let mut out = body.to_vec();
    out.extend_from_slice(&sum.to_le_bytes());
    out
}

/// Where a compiled playbook's body starts past its magic, format and release: damage there is the reader's, not
/// the envelope's (which refuses it before reading anything).
fn compiled_header(compiled: &[u8]) -> usize {
    // "RKPB", the format tag, the release string (a length byte and the text).
    let release = usize::from(compiled[5]);
    6 + release
}

/// What the engine must do with any state it accepted, under `pb`: write it back as itself, fold, decide.
fn exercise(pb: &Playbook, state: &ContactState, events: &[Event], now: Timestamp) -> Result<(), TestCaseError> {
    let bytes = state.to_bytes();
    let back = ContactState::from_bytes(&bytes);
    prop_assert!(back.is_ok(), "the state does not read back its own bytes: {back:?}");
    prop_assert_eq!(&back.unwrap(), state, "the state changes when written back and read");
    for at in [now, Timestamp::from_ms(now.ms() + YEAR).unwrap()] {
        let d = decide(pb, state, at);
        serde_json::to_string(&d).unwrap();
    }
    let mut more = state.clone();
    more.fold(pb, events.get(..1).unwrap_or_default());
    let d = decide(pb, &more, now);
    serde_json::to_string(&d).unwrap();
    let again = ContactState::from_bytes(&more.to_bytes());
    prop_assert!(again.is_ok(), "one more event folded, the state writes bytes that do not read: {again:?}");
    Ok(())
}

proptest! {
    #![proptest_config(ProptestConfig { cases: env_cases(48), ..ProptestConfig::default() })]

    #[test]
    fn damaged_state_bytes_are_refused_or_read_as_a_state_the_engine_can_use(
        pick in any::<Index>(),
        other in any::<Index>(),
        mutations in prop::collection::vec(mutation(), 1..4),
    ) {
        let corpus = corpus();
        let sample = &corpus[pick.index(corpus.len())];
        let bytes = damage(&sample.state, 1, &mutations);
        let Ok(state) = ContactState::from_bytes(&bytes) else { return Ok(()) };
        exercise(&sample.playbook, &state, &sample.events, sample.now)
            .map_err(|e| TestCaseError::fail(format!("{}: {e}", sample.name)))?;
        // The same state under another vector's playbook: stored states outlive a playbook change.
        let changed = &corpus[other.index(corpus.len())];
        exercise(&changed.playbook, &state, &changed.events, sample.now)
            .map_err(|e| TestCaseError::fail(format!("{} under {}'s playbook: {e}", sample.name, changed.name)))?;
    }

    #[test]
    fn damaged_compiled_playbooks_are_refused_or_read_as_a_playbook_the_engine_can_use(
        pick in any::<Index>(),
        mutations in prop::collection::vec(mutation(), 1..4),
    ) {
        let corpus = corpus();
        let sample = &corpus[pick.index(corpus.len())];
        let body = &sample.compiled[..sample.compiled.len() - 4];
        let bytes = reseal(&damage(body, compiled_header(body), &mutations));
        let Ok(pb) = Playbook::from_compiled(&bytes) else { return Ok(()) };
        let back = Playbook::from_compiled(&pb.to_compiled());
        prop_assert!(back.is_ok(), "{}: a playbook read from damaged bytes does not read back its own: {back:?}", sample.name);
        prop_assert_eq!(&back.unwrap(), &pb, "{}: a playbook read from damaged bytes changes when compiled again", sample.name);
        let mut state = ContactState::new();
        state.fold(&pb, &sample.events);
        exercise(&pb, &state, &sample.events, sample.now)
            .map_err(|e| TestCaseError::fail(format!("{}: {e}", sample.name)))?;
        let stored = ContactState::from_bytes(&sample.state).unwrap();
        exercise(&pb, &stored, &sample.events, sample.now)
            .map_err(|e| TestCaseError::fail(format!("{} (its stored state): {e}", sample.name)))?;
    }
}

fn env_cases(default: u32) -> u32 {
    std::env::var("PROPTEST_CASES").ok().and_then(|v| v.parse().ok()).unwrap_or(default)
}

#[test]
fn the_corpus_round_trips_undamaged() {
    // Without damage every sample must pass the checks the properties apply, or a failure would say nothing.
    for s in corpus() {
        let state = ContactState::from_bytes(&s.state).unwrap();
        exercise(&s.playbook, &state, &s.events, s.now).unwrap_or_else(|e| panic!("{}: {e}", s.name));
        let body = &s.compiled[..s.compiled.len() - 4];
        assert_eq!(reseal(body), s.compiled, "{}: reseal is to_compiled's checksum", s.name);
        assert_eq!(Playbook::from_compiled(&s.compiled).unwrap(), s.playbook, "{}", s.name);
    }
}

/// At each offset in `positions` where 8 bytes read as a number the bytes plausibly hold (0, or a magnitude from
/// `smallest` to 10⁷), the bytes with that number set to each of `extremes`: `(offset, number, extreme, bytes)`.
fn with_extremes<'a>(
    bytes: &'a [u8],
    positions: std::ops::Range<usize>,
    smallest: f64,
    extremes: &'a [f64],
) -> impl Iterator<Item = (usize, f64, f64, Vec<u8>)> + 'a {
    positions
        .map(move |i| (i, f64::from_le_bytes(bytes[i..i + 8].try_into().unwrap())))
        .filter(move |(_, x)| *x == 0.0 || (smallest..1e7).contains(&x.abs()))
        .flat_map(move |(i, x)| {
            extremes.iter().map(move |&extreme| {
                let mut changed = bytes.to_vec();
                changed[i..i + 8].copy_from_slice(&extreme.to_le_bytes());
                (i, x, extreme, changed)
            })
        })
}

/// Every number of every distinct compiled playbook in the corpus set, in turn, to an extreme its reader must
/// refuse or the engine must carry: points of `f64::MAX` once added up to an infinity, and a state holding one wrote
/// bytes that no reader accepts (the contact's history lost at the next read). The JSON reader bounds points to
/// ±1,000,000; the compiled reader now does too.
#[test]
fn extreme_numbers_in_a_compiled_playbook_are_refused_or_carried() {
    let mut seen = std::collections::HashSet::new();
    let mut failures = Vec::new();
    for s in corpus() {
        if !seen.insert(s.compiled.as_slice()) {
            continue;
        }
        let body = &s.compiled[..s.compiled.len() - 4];
        let positions = compiled_header(body)..body.len().saturating_sub(8);
        for (i, x, extreme, changed) in with_extremes(body, positions, 1e-2, &[f64::MAX, -1e300, 1e300, 1e-300]) {
            let Ok(pb) = Playbook::from_compiled(&reseal(&changed)) else { continue };
            let mut state = ContactState::new();
            state.fold(&pb, &s.events);
            state.fold(&pb, &s.events);
            if let Err(e) = exercise(&pb, &state, &s.events, s.now) {
                failures.push(format!("{} byte {i}: {x} set to {extreme:e}: {e}", s.name));
            }
        }
    }
    assert!(failures.is_empty(), "{} failures, first: {:?}", failures.len(), &failures[..failures.len().min(3)]);
}

/// Every number of every distinct state in the corpus set, in turn, to an extreme (the largest and smallest
/// finite numbers, subnormals): a state that reads must go on folding, deciding and writing bytes that read.
#[test]
fn extreme_numbers_in_state_bytes_are_refused_or_carried() {
    let mut seen = std::collections::HashSet::new();
    let mut failures = Vec::new();
    for s in corpus() {
        if !seen.insert(s.state.as_slice()) {
            continue;
        }
        let extremes = [f64::MAX, -f64::MAX, 1e300, -1e300, 1e-300, 5e-324];
        for (i, x, extreme, changed) in with_extremes(&s.state, 1..s.state.len().saturating_sub(7), 1e-3, &extremes) {
            let Ok(mut state) = ContactState::from_bytes(&changed) else { continue };
            state.fold(&s.playbook, &s.events);
            if let Err(e) = exercise(&s.playbook, &state, &s.events, s.now) {
                failures.push(format!("{} byte {i}: {x} set to {extreme:e}: {e}", s.name));
            }
        }
    }
    assert!(failures.is_empty(), "{} failures, first: {:?}", failures.len(), &failures[..failures.len().min(3)]);
}
