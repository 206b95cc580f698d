//! Arbitrary bytes as an SNS envelope or SES record body → `import::ses::decode`: never a panic; a body unusable as a whole is
//! `E_IMPORT_INVALID` with a place; otherwise diagnostics and skips are coded and explained and the events
//! (vendor-named, keyed, normalised contact) fold and decide with the saas playbook (`common::check_webhook`).
#![no_main]

#[path = "common.rs"]
mod common;

use libfuzzer_sys::fuzz_target;
use rekindle_core::import::ses;

fuzz_target!(|data: &[u8]| {
    common::check_webhook(data, "ses", ses::decode);
});
