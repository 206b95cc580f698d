//! Webhook authenticity against the vendors' own vectors: SendGrid's Signed Event Webhook (ECDSA P-256, the
//! test vectors of sendgrid-python and sendgrid-nodejs in `tests/fixtures/vendor/sendgrid-signed-webhook-vectors.json`)
//! and Mailgun's HMAC (anymail's signed fixtures), each with the reason a delivery is refused: forged, tampered
//! with, signed by another key, malformed, unsigned, expired or from the future.
#![allow(clippy::expect_used, clippy::unwrap_used, clippy::indexing_slicing, clippy::panic, missing_docs)]

use rekindle_core::import::signature::{check_age, SignatureError, DEFAULT_TOLERANCE};
use rekindle_core::import::{mailgun, sendgrid};
use rekindle_core::Timestamp;
use serde_json::Value as Json;

fn fixture(name: &str) -> Json {
    let path = format!("{}/../../tests/fixtures/vendor/{name}", env!("CARGO_MANIFEST_DIR"));
    serde_json::from_slice(&std::fs::read(&path).unwrap_or_else(|e| panic!("{path}: {e}"))).unwrap()
}

struct Vector {
    source: String,
    key: String,
    signature: String,
    timestamp: String,
    body: Vec<u8>,
    valid: bool,
}

fn vectors() -> Vec<Vector> {
    let doc = fixture("sendgrid-signed-webhook-vectors.json");
    assert_eq!(doc["headers"]["signature"], sendgrid::SIGNATURE_HEADER);
    assert_eq!(doc["headers"]["timestamp"], sendgrid::TIMESTAMP_HEADER);
    doc["vectors"]
        .as_array()
        .unwrap()
        .iter()
        .map(|v| Vector {
            source: v["source"].as_str().unwrap().into(),
            key: v["public_key"].as_str().unwrap().into(),
            signature: v["signature"].as_str().unwrap().into(),
            timestamp: v["timestamp"].as_str().unwrap().into(),
            body: v["body"].as_str().unwrap().as_bytes().to_vec(),
            valid: v["expect_valid"].as_bool().unwrap(),
        })
        .collect()
}

fn check(v: &Vector, timestamp: &str, body: &[u8], signature: &str) -> Result<(), &'static str> {
    let key = sendgrid::PublicKey::parse(&v.key).map_err(|e| e.code())?;
    sendgrid::verify(&key, timestamp, body, signature).map_err(|e| e.code())
}

#[test]
fn sendgrid_vendor_vectors_verify_exactly_as_the_sdks_expect() {
    let all = vectors();
    assert_eq!(all.iter().filter(|v| v.valid).count(), 2);
    for v in &all {
        let got = check(v, &v.timestamp, &v.body, &v.signature);
        match v.valid {
            true => assert_eq!(got, Ok(()), "{}", v.source),
            false => assert_eq!(got, Err("signature_mismatch"), "{}", v.source),
        }
    }
}

#[test]
fn sendgrid_one_changed_byte_of_body_or_timestamp_is_a_mismatch() {
    for v in vectors().iter().filter(|v| v.valid) {
        for i in [0, v.body.len() / 2, v.body.len() - 1] {
            let mut body = v.body.clone();
            body[i] ^= 0x01;
            assert_eq!(check(v, &v.timestamp, &body, &v.signature), Err("signature_mismatch"), "{} byte {i}", v.source);
        }
        let later = (v.timestamp.parse::<u64>().unwrap() + 1).to_string();
        assert_eq!(check(v, &later, &v.body, &v.signature), Err("signature_mismatch"), "{}", v.source);
        // Re-serialising loses the Python vector's trailing CRLF: the bytes as delivered are what is signed.
        let trimmed = v.body.strip_suffix(b"\r\n").unwrap_or(&v.body[..v.body.len() - 1]);
        assert_eq!(check(v, &v.timestamp, trimmed, &v.signature), Err("signature_mismatch"), "{}", v.source);
    }
}

#[test]
fn sendgrid_malformed_missing_signatures_and_unusable_keys_say_why() {
    let v = vectors().into_iter().find(|v| v.valid).unwrap();
    assert_eq!(check(&v, &v.timestamp, &v.body, ""), Err("unsigned"));
    assert_eq!(check(&v, "", &v.body, &v.signature), Err("unsigned"));
    assert_eq!(check(&v, &v.timestamp, &v.body, "not base64!"), Err("malformed_signature"));
    assert_eq!(check(&v, &v.timestamp, &v.body, "AAAA"), Err("malformed_signature"), "base64, not DER");
    let key = sendgrid::PublicKey::parse(&v.key).unwrap();
    let err = sendgrid::verify(&key, &v.timestamp, &v.body, "").unwrap_err();
    assert!(err.to_string().contains("X-Twilio-Email-Event-Webhook-Signature"), "{err}");
    for bad in ["", "MFkw", "bm90IGEga2V5", "MFkwEwYHKoZIzj0CAQYIKoZIzj0DAQcDQgAE"] {
        let e = sendgrid::PublicKey::parse(bad).unwrap_err();
        assert_eq!(e.code(), "bad_key", "{bad:?}");
    }
    // The same key saved as PEM reads the same.
    let pem = format!("-----BEGIN PUBLIC KEY-----\n{}\n{}\n-----END PUBLIC KEY-----\n", &v.key[..64], &v.key[64..]);
    assert_eq!(sendgrid::PublicKey::parse(&pem), Ok(key));
}

#[test]
fn signed_timestamps_older_or_newer_than_the_tolerance_are_refused() {
    let v = vectors().into_iter().find(|v| v.valid).unwrap();
    let signed: i64 = v.timestamp.parse().unwrap();
    let at = |s: i64| Timestamp::from_ms(s * 1000).unwrap();
    assert_eq!(check_age(&v.timestamp, at(signed + 2), DEFAULT_TOLERANCE).map(Timestamp::ms), Ok(signed * 1000));
    let err = check_age(&v.timestamp, at(signed + 3600), DEFAULT_TOLERANCE).unwrap_err();
    assert_eq!(err.code(), "signature_expired");
    assert!(err.to_string().contains("more than 300 s later"), "{err}");
    let err = check_age(&v.timestamp, at(signed - 3600), DEFAULT_TOLERANCE).unwrap_err();
    assert_eq!(err.code(), "signature_from_future");
    let ms = format!("{}000", v.timestamp); // milliseconds are not what SendGrid signs
    assert_eq!(check_age(&ms, at(signed), DEFAULT_TOLERANCE).unwrap_err().code(), "bad_signature_timestamp");
    assert_eq!(check_age("soon", at(signed), DEFAULT_TOLERANCE).unwrap_err().code(), "bad_signature_timestamp");
}

#[test]
fn mailgun_check_gives_the_reason_a_delivery_is_refused() {
    let doc = fixture("mailgun-webhooks.json");
    let key = doc["signing_key_used_for_signature_field"].as_str().unwrap().to_string();
    for entry in doc["events"].as_array().or(doc.as_array()).unwrap() {
        let body = serde_json::to_vec(&entry["payload"]).unwrap();
        let s = mailgun::signature(&body).unwrap();
        assert_eq!(mailgun::check(key.as_bytes(), &s), Ok(()));
        assert_eq!(mailgun::check(b"another key", &s), Err(SignatureError::Mismatch));
        let tampered = mailgun::Signature { token: format!("{}x", s.token), ..s.clone() };
        assert_eq!(mailgun::check(key.as_bytes(), &tampered), Err(SignatureError::Mismatch));
        let short = mailgun::Signature { signature: "abc".into(), ..s.clone() };
        assert_eq!(mailgun::check(key.as_bytes(), &short).map_err(|e| e.code()), Err("malformed_signature"));
        let unsigned = mailgun::Signature { signature: String::new(), ..s };
        assert_eq!(mailgun::check(key.as_bytes(), &unsigned).map_err(|e| e.code()), Err("unsigned"));
    }
}

mod hostile {
    use super::*;
    use proptest::prelude::*;

    proptest! {
        /// Keys, signatures and timestamps from anywhere are refused with a reason, never a panic.
        #[test]
        fn arbitrary_keys_signatures_and_timestamps_are_refused_not_panicked_on(
            key in ".{0,120}", sig in "[A-Za-z0-9+/=]{0,100}", ts in ".{0,16}", body in proptest::collection::vec(any::<u8>(), 0..64)
        ) {
            let _ = sendgrid::PublicKey::parse(&key);
            let v = vectors().into_iter().find(|v| v.valid).unwrap();
            let good = sendgrid::PublicKey::parse(&v.key).unwrap();
            prop_assert!(sendgrid::verify(&good, &ts, &body, &sig).is_err());
            let _ = check_age(&ts, Timestamp::EPOCH, DEFAULT_TOLERANCE);
        }
    }
}
