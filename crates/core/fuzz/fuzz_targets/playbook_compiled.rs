//! Arbitrary bytes as the body of a compiled playbook → `Playbook::from_compiled`: never a panic; a refusal is
//! `E_PLAYBOOK_INVALID` with one located `bad_compiled` problem. The bytes are sealed with this build's envelope
//! and a correct checksum first, so the decoder itself is fuzzed (unsealed bytes would stop at the checksum). A
//! playbook that decodes must compile back to bytes that decode to an equal playbook, and folding and deciding
//! with it must not panic.
#![no_main]

#[path = "common.rs"]
mod common;

use std::sync::OnceLock;

use libfuzzer_sys::fuzz_target;
use rekindle_core::{ContactState, ErrorCode, Playbook};

/// The envelope of this build (magic, format, release text) taken from a compiled playbook.
fn header() -> &'static [u8] {
    static HEADER: OnceLock<Vec<u8>> = OnceLock::new();
    HEADER.get_or_init(|| {
        let bytes = common::saas().to_compiled();
        let len = 4 + 1 + 1 + usize::from(bytes[5]);
        bytes[..len].to_vec()
    })
}

/// FNV-1a 32, as the format's checksum.
fn checksum(bytes: &[u8]) -> u32 {
    bytes.iter().fold(0x811c_9dc5u32, |h, b| (h ^ u32::from(*b)).wrapping_mul(0x0100_0193))
}

fuzz_target!(|data: &[u8]| {
    let mut bytes = header().to_vec();
    bytes.extend_from_slice(data);
    let sum = checksum(&bytes);
    bytes.extend_from_slice(&sum.to_le_bytes());
    match Playbook::from_compiled(&bytes) {
        Ok(pb) => {
            let again = pb.to_compiled();
            assert_eq!(Playbook::from_compiled(&again).expect("re-compiled playbook decodes"), pb);
            let mut state = ContactState::new();
            state.fold(&pb, &common::ordinary_events());
            common::exercise(&pb, &state);
        }
        Err(err) => {
            common::assert_error(&err, ErrorCode::PlaybookInvalid);
            assert_eq!(err.problems().len(), 1);
            assert_eq!(err.problems()[0].code.as_str(), "bad_compiled");
        }
    }
});
