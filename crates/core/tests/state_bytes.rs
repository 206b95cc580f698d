//! State bytes written before the fold kept a total order and windows learned about dropped instants still
//! decode, and re-encode to the same bytes: neither fix changed the byte form (no field was added).
#![allow(clippy::expect_used, clippy::unwrap_used, missing_docs)]

use rekindle_core::ContactState;

/// A v2 state written by commit 958ade2 (before these fixes): a profile, an intent rule, one signal track, an
/// MQL step, two email sends and one SMS send.
const V2_BEFORE: &str = "02018090acf3da66020c636f6d70616e795f73697a6501e00304726f6c65000256500107000000010000000000803540000401090000000301000180f0ec890400010180dc812d0000000000000000000000020080f0b2520180f0ec89040000000000";

fn unhex(s: &str) -> Vec<u8> {
    (0..s.len()).step_by(2).map(|i| u8::from_str_radix(&s[i..i + 2], 16).unwrap()).collect()
}

#[test]
fn bytes_written_before_the_fixes_decode_and_re_encode_unchanged() {
    let bytes = unhex(V2_BEFORE);
    let state = ContactState::from_bytes(&bytes).expect("old bytes decode");
    assert_eq!(state.to_bytes(), bytes);
    assert_eq!(state.updated_at().map(|t| t.ms()), Some(1_764_547_200_000));
}
