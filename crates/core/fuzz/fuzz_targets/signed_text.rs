//! Attacker-controlled signed text: state cookies (`c1.<kid>.<payload>.<tag>`) and unsubscribe / preference tokens
//! (`v1.…`), the edge Worker's and the preference center's inputs. Byte 0 picks how the rest is used:
//! - even: the rest *is* the text (lossy UTF-8), read by `StateCookie::open` and by `Token::verify` for every
//!   purpose, with the test key under kid `fuzz` (the fuzzer learns the prefixes and the kid from the seeds);
//! - odd: the rest is a *payload* sealed with that key exactly as core seals (HMAC-SHA256 over the MAC domain and
//!   the payload, a 16-byte tag, strict base64url), as a cookie and as a token, so the readers behind the
//!   signature check are what is fuzzed: the cookie's envelope version, expiry and state bytes, the token's
//!   purpose, instants, contact and topic.
//!
//! Never a panic; every refusal is `E_SIGNATURE_INVALID` with a stable kind. A cookie that opens re-seals to a
//! cookie that opens to the same state; a token that verifies re-signs to the very same text (one text per token:
//! the strict envelope is what lets a token be used as a key).
#![no_main]

#[path = "common.rs"]
mod common;

use hmac::{Hmac, Mac};
use libfuzzer_sys::fuzz_target;
use rekindle_core::cookie::StateCookie;
use rekindle_core::token::{KeyId, Purpose, Token};
use rekindle_core::{Error, ErrorCode, Timestamp};
use sha2::Sha256;

const KEY: [u8; 32] = [0x5a; 32];
const KID: &str = "fuzz";
/// 2026-11-26T12:00:00Z: tokens and cookies in the seeds expire after it.
const NOW: i64 = 1_795_694_400_000;
const PURPOSES: [Purpose; 3] = [Purpose::Unsubscribe, Purpose::Preferences, Purpose::Keep];

fn keys(kid: &str) -> Option<&'static [u8]> {
    (kid == KID).then_some(&KEY[..])
}

/// Base64url without padding, written here independently of core's encoder.
fn base64url(bytes: &[u8]) -> String {
    const ALPHABET: &[u8; 64] = b"ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_";
    let mut out = String::new();
    for chunk in bytes.chunks(3) {
        let n = chunk.iter().enumerate().fold(0u32, |n, (i, &b)| n | u32::from(b) << (16 - 8 * i));
        for i in 0..=chunk.len() {
            out.push(char::from(ALPHABET[(n >> (18 - 6 * i)) as usize & 63]));
        }
    }
    out
}

/// `payload` sealed as core seals it: `<prefix><kid>.<payload>.<tag>`, the tag the first 16 bytes of
/// HMAC-SHA256(key, domain ‖ payload).
fn sealed(prefix: &str, domain: &[u8], payload: &[u8]) -> String {
    let mut mac = <Hmac<Sha256> as Mac>::new_from_slice(&KEY).expect("HMAC takes any key length");
    mac.update(domain);
    mac.update(payload);
    let tag = mac.finalize().into_bytes();
    format!("{prefix}{KID}.{}.{}", base64url(payload), base64url(&tag[..16]))
}

fn refused(err: &Error) {
    common::assert_error(err, ErrorCode::SignatureInvalid);
    let kind = match err {
        Error::InvalidCookie(e) => e.kind(),
        Error::InvalidToken(e) => e.kind(),
        other => panic!("not a signature error: {other:?}"),
    };
    assert!(!kind.is_empty() && kind.bytes().all(|b| b.is_ascii_lowercase() || b == b'_'), "kind {kind:?}");
}

fn check(cookie: &str, token: &str, now: Timestamp) {
    match StateCookie::open(cookie, &keys, now) {
        Ok(state) => {
            let kid = KeyId::parse(KID).expect("a valid kid");
            let later = Timestamp::from_ms(NOW + 86_400_000).expect("an instant");
            match StateCookie::seal(&state, &kid, &KEY, later) {
                Ok(again) => {
                    let reopened = StateCookie::open(&again, &keys, now).expect("a re-sealed cookie opens");
                    assert_eq!(reopened, state, "open(seal(s)) != s");
                }
                // Sealed bytes need not be canonical state bytes, so the canonical form may be longer than a
                // cookie holds: then sealing refuses it by name, never writes a cookie the browser would drop.
                Err(err) => {
                    refused(&err);
                    assert!(matches!(&err, Error::InvalidCookie(e) if e.kind() == "too_large"), "{err}");
                }
            }
            common::exercise(common::saas_cached(), &state);
        }
        Err(err) => refused(&err),
    }
    for purpose in PURPOSES {
        match Token::verify(token, &keys, now, purpose) {
            Ok(t) => {
                assert_eq!(t.purpose, purpose);
                assert!(now < t.expires_at, "a verified token is not expired");
                let kid = KeyId::parse(KID).expect("a valid kid");
                assert_eq!(t.sign(&kid, &KEY), token, "a token has one text");
            }
            Err(err) => refused(&err),
        }
    }
}

fuzz_target!(|data: &[u8]| {
    let [how, rest @ ..] = data else { return };
    let now = Timestamp::from_ms(NOW).expect("an instant");
    if how % 2 == 0 {
        let text = String::from_utf8_lossy(rest);
        check(&text, &text, now);
    } else {
        check(&sealed("c1.", b"rekindle-cookie-v1", rest), &sealed("v1.", b"rekindle-token-v1", rest), now);
    }
});
