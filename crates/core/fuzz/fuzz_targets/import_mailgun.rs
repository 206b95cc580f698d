//! Arbitrary bytes as a Mailgun webhook body → `import::mailgun::decode` (oracle: `common::check_webhook`) and
//! `mailgun::signature`: never a panic; a failure is `E_IMPORT_INVALID` with a place. When the body has a
//! `signature` object, `mailgun::verify` must agree with an HMAC-SHA256 recomputed here: the right hex
//! (lower or upper case) verifies, any other text (or a different key) does not.
#![no_main]

#[path = "common.rs"]
mod common;

use hmac::{Hmac, Mac};
use libfuzzer_sys::fuzz_target;
use rekindle_core::import::mailgun;
use rekindle_core::ErrorCode;
use sha2::Sha256;

const KEY: &[u8] = b"TEST_WEBHOOK_SIGNING_KEY";

fn expected_hex(key: &[u8], timestamp: &str, token: &str) -> String {
    let mut mac = Hmac::<Sha256>::new_from_slice(key).expect("HMAC takes any key length");
    mac.update(timestamp.as_bytes());
    mac.update(token.as_bytes());
    mac.finalize().into_bytes().iter().map(|b| format!("{b:02x}")).collect()
}

fuzz_target!(|data: &[u8]| {
    common::check_webhook(data, "mailgun", mailgun::decode);
    match mailgun::signature(data) {
        Ok(sig) => {
            let hex = expected_hex(KEY, &sig.timestamp, &sig.token);
            assert!(mailgun::verify(KEY, &sig.timestamp, &sig.token, &hex), "the right signature is refused");
            assert!(mailgun::verify(KEY, &sig.timestamp, &sig.token, &hex.to_uppercase()), "upper-case hex refused");
            assert!(!mailgun::verify(b"another key", &sig.timestamp, &sig.token, &hex), "a wrong key verifies");
            let claimed = sig.signature.trim().to_ascii_lowercase() == hex;
            assert_eq!(
                mailgun::verify(KEY, &sig.timestamp, &sig.token, &sig.signature),
                claimed,
                "verify disagrees with HMAC-SHA256 for {:?}",
                sig.signature
            );
            // The body's own text as key and signature: anything but the right hex is false, without panicking.
            let key = sig.token.as_bytes();
            let right = expected_hex(key, &sig.timestamp, &sig.token);
            let claimed = sig.signature.trim().to_ascii_lowercase() == right;
            assert_eq!(mailgun::verify(key, &sig.timestamp, &sig.token, &sig.signature), claimed);
        }
        Err(err) => common::assert_error(&err, ErrorCode::ImportInvalid),
    }
});
