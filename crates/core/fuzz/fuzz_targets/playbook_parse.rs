//! Arbitrary bytes → JSON → `Value` → `Playbook::parse`: never a panic, and every failure is an
//! `E_PLAYBOOK_INVALID` with located, explained problems. A playbook that parses must decide without panicking.
//!
//! Second, structure-aware path: the saas playbook with one slot replaced by the fuzz input (as a string, or as
//! an f64 including NaN and infinities, which JSON cannot carry but a JS caller can), so the fuzzer spends its
//! time inside durations, globs, ids, ops and thresholds instead of on JSON syntax.
#![no_main]

#[path = "common.rs"]
mod common;

use libfuzzer_sys::fuzz_target;
use rekindle_core::{ContactState, ErrorCode, Playbook, Value};

/// Where the fuzz input is spliced into the saas playbook: a path of object keys / array indices.
const SLOTS: &[&[&str]] = &[
    &["scores", "intent", "rules", "0", "decay", "half_life"],
    &["scores", "intent", "rules", "5", "decay", "linear"],
    &["scores", "intent", "rules", "0", "expire_after"],
    &["scores", "intent", "rules", "0", "cap"],
    &["scores", "intent", "rules", "1", "points"],
    &["scores", "intent", "rules", "1", "signal"],
    &["scores", "intent", "rules", "2", "id"],
    &["scores", "intent", "max"],
    &["signals", "pricing_visit", "match", "path"],
    &["signals", "pricing_visit", "kind"],
    &["signals", "demo_request", "match", "form"],
    &["scores", "fit", "rules", "0", "op"],
    &["scores", "fit", "rules", "0", "field"],
    &["scores", "fit", "rules", "2", "value"],
    &["scores", "fit", "rules", "2", "points"],
    &["scores", "fit", "max"],
    &["scores", "fit", "min"],
    &["stages", "readiness", "on"],
    &["stages", "readiness", "warm"],
    &["stages", "readiness", "hot"],
    &["stages", "mql", "min", "intent"],
    &["stages", "sql", "any", "0", "within"],
    &["stages", "sql", "any", "0", "at_least"],
    &["stages", "sql", "direct", "0", "signal"],
    // The decision engine's sections (issue 4): conditions, sequences, policy, CTAs, lifecycle, handoff.
    &["segments", "mid_market", "when", "op"],
    &["segments", "mid_market", "when", "value"],
    &["segments", "pricing_intent", "when", "within"],
    &["segments", "pricing_intent", "when", "at_least"],
    &["segments", "pricing_intent", "when"],
    &["segments", "reactivation_pool", "when", "lifecycle"],
    &["sequences", "welcome", "start"],
    &["sequences", "welcome", "stop", "1", "stage_at_least"],
    &["sequences", "welcome", "reenrol_after"],
    &["sequences", "welcome", "inactive_stop"],
    &["sequences", "welcome", "steps", "1", "after"],
    &["sequences", "welcome", "steps", "1", "channel"],
    &["sequences", "welcome", "steps", "1", "id"],
    &["sequences", "webinar", "steps", "0", "when", "within"],
    &["sequences", "webinar", "steps", "1", "when"],
    &["policy", "caps", "0", "max"],
    &["policy", "caps", "0", "per"],
    &["policy", "quiet_hours"],
    &["policy", "default_timezone"],
    &["ctas", "candidates", "0", "when"],
    &["ctas", "candidates", "0", "unless"],
    &["ctas", "default"],
    &["lifecycle", "sales_cycle"],
    &["lifecycle", "reactivation_entry"],
    &["lifecycle", "erase_on"],
    &["handoff", "sla"],
    &["handoff", "business_hours"],
    &["handoff", "days"],
    &["handoff", "timezone"],
    &["version"],
];

/// The value at `path`; a missing key of an object is added (as null) first.
fn slot_mut<'a>(mut v: &'a mut Value, path: &[&str]) -> Option<&'a mut Value> {
    for key in path {
        v = match v {
            Value::Object(entries) => {
                if !entries.iter().any(|(k, _)| k == key) {
                    entries.push(((*key).to_owned(), Value::Null));
                }
                entries.iter_mut().find(|(k, _)| k == key).map(|(_, v)| v)?
            }
            Value::Array(items) => items.get_mut(key.parse::<usize>().ok()?)?,
            _ => return None,
        };
    }
    Some(v)
}

fn check(value: &Value) {
    match Playbook::parse(value) {
        Ok(pb) => {
            let mut state = ContactState::new();
            common::exercise(&pb, &state);
            state.fold(&pb, &common::ordinary_events());
            common::exercise(&pb, &state);
        }
        Err(err) => common::assert_error(&err, ErrorCode::PlaybookInvalid),
    }
}

fuzz_target!(|data: &[u8]| {
    if let Ok(value) = serde_json::from_slice::<Value>(data) {
        check(&value);
    }
    let Some((&selector, rest)) = data.split_first() else { return };
    let mut pb = common::saas_value();
    let Some(path) = SLOTS.get(usize::from(selector >> 1) % SLOTS.len()) else { return };
    let replacement = match (selector & 1, <[u8; 8]>::try_from(rest)) {
        (1, Ok(raw)) => Value::Number(f64::from_le_bytes(raw)),
        _ => Value::String(String::from_utf8_lossy(rest).into_owned()),
    };
    if let Some(slot) = slot_mut(&mut pb, path) {
        *slot = replacement;
        check(&pb);
    }
});
