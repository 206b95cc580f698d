//! Arbitrary bytes → JSON → `Value` → `Event::parse_list`: never a panic; a failure is `E_INPUT_INVALID` with a
//! path. Events that parse are folded with the saas playbook (as one batch, and one event at a time) and
//! decided on; the state must survive its byte form.
#![no_main]

#[path = "common.rs"]
mod common;

use std::sync::OnceLock;

use libfuzzer_sys::fuzz_target;
use rekindle_core::{ContactState, ErrorCode, Event, Playbook, Value};

static SAAS: OnceLock<Playbook> = OnceLock::new();

fuzz_target!(|data: &[u8]| {
    let pb = SAAS.get_or_init(common::saas);
    let Ok(value) = serde_json::from_slice::<Value>(data) else { return };
    match Event::parse_list(&value, "events") {
        Ok(events) => {
            let mut batch = ContactState::new();
            batch.fold(pb, &events);
            common::exercise(pb, &batch);
            let mut one_by_one = ContactState::new();
            for e in &events {
                one_by_one.fold(pb, std::slice::from_ref(e));
            }
            common::exercise(pb, &one_by_one);
        }
        Err(err) => {
            common::assert_error(&err, ErrorCode::InputInvalid);
            let path = err.path().unwrap_or_default();
            assert!(path.starts_with("events"), "error path {path:?} does not start at the argument");
        }
    }
});
