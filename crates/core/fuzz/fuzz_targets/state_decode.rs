//! Arbitrary bytes → `ContactState::from_bytes`: never a panic; a failure is `E_STATE_INVALID`. A state that
//! decodes must re-encode to bytes that decode to an equal state (and re-encode identically), and deciding
//! on it with the saas playbook, or folding more events into it, must not panic.
#![no_main]

#[path = "common.rs"]
mod common;

use std::sync::OnceLock;

use libfuzzer_sys::fuzz_target;
use rekindle_core::{ContactState, ErrorCode, Playbook};

static SAAS: OnceLock<Playbook> = OnceLock::new();

fuzz_target!(|data: &[u8]| {
    let pb = SAAS.get_or_init(common::saas);
    match ContactState::from_bytes(data) {
        Ok(state) => {
            let bytes = state.to_bytes();
            let again = ContactState::from_bytes(&bytes).expect("re-encoded state decodes");
            assert_eq!(again, state, "decode(encode(s)) != s");
            assert_eq!(again.to_bytes(), bytes, "encoding is not a fixed point");
            common::exercise(pb, &state);
            let mut more = state;
            more.fold(pb, &common::ordinary_events());
            common::exercise(pb, &more);
        }
        Err(err) => common::assert_error(&err, ErrorCode::StateInvalid),
    }
});
