//! Token round trips, every refusal kind, rotation, tampering, bounds, and known answers computed outside rekindle.

#![allow(clippy::unwrap_used, clippy::expect_used, clippy::indexing_slicing, clippy::panic)]

use alloc::string::ToString;

use proptest::prelude::*;

use super::*;
use crate::ErrorCode;

const NOV_1: i64 = 1_793_491_200_000; // 2026-11-01T00:00:00Z
const DEC_1: i64 = 1_796_083_200_000; // 2026-12-01T00:00:00Z, NOV_1 + 30 d
const KEY_A: [u8; 32] = [0xa1; 32];
const KEY_B: [u8; 32] = [0xb2; 32];

fn ts(ms: i64) -> Timestamp {
    Timestamp::from_ms(ms).unwrap()
}

fn kid(s: &str) -> KeyId {
    KeyId::parse(s).unwrap()
}

fn token(purpose: Purpose, topic: Option<&str>) -> Token {
    Token {
        purpose,
        contact: ContactRef::parse("cus_8a7f3e9d").unwrap(),
        topic: topic.map(|t| Topic::parse(t).unwrap()),
        issued_at: ts(NOV_1),
        expires_at: ts(DEC_1),
    }
}

/// Keys "a" (old) and "b" (new).
fn both(k: &str) -> Option<&'static [u8]> {
    match k {
        "a" => Some(&KEY_A),
        "b" => Some(&KEY_B),
        _ => None,
    }
}

fn only_b(k: &str) -> Option<&'static [u8]> {
    (k == "b").then_some(&KEY_B[..])
}

fn verify(text: &str, now: i64, purpose: Purpose) -> Result<Token, TokenError> {
    match Token::verify(text, &both, ts(now), purpose) {
        Ok(t) => Ok(t),
        Err(Error::InvalidToken(e)) => Err(e),
        Err(other) => panic!("not a token error: {other}"),
    }
}

fn refusal(text: &str) -> TokenError {
    verify(text, NOV_1, Purpose::Unsubscribe).unwrap_err()
}

fn malformed_at(text: &str) -> usize {
    match refusal(text) {
        TokenError::Malformed { at, .. } => at,
        other => panic!("expected malformed, got {other}"),
    }
}

/// Replaces the character at `i` (ASCII) with `c`.
fn with_char(text: &str, i: usize, c: char) -> String {
    let mut s = String::from(text);
    s.replace_range(i..=i, c.encode_utf8(&mut [0; 4]));
    s
}

/// A token text around a raw payload, validly signed with key "b": exercises what follows the signature check.
fn signed_raw(payload: &[u8]) -> String {
    format!("v1.b.{}.{}", base64url::encode(payload), base64url::encode(&tag(keyed_mac(&KEY_B), DOMAIN, payload)))
}

#[test]
fn known_answer_matches_python_hmac_and_openssl() {
    // Computed outside rekindle (Python `hmac.new(key, b"rekindle-token-v1" + payload, hashlib.sha256)`, and
    // `openssl dgst -sha256 -mac HMAC -macopt hexkey:000102…1f` over the same bytes), key = bytes 0x00..=0x1f:
    // payload 0101000001a19467e800000001a22ee6b0000c6375735f38613766336539640a6e6577736c6574746572
    // HMAC    320c57070ca2cf7d7301abfbbb7db6eda4d4e92db83af083d32a95e43d2c5049 → first 16 bytes, base64url.
    let key: Vec<u8> = (0u8..32).collect();
    let expected = "v1.2026-11.AQEAAAGhlGfoAAAAAaIu5rAADGN1c184YTdmM2U5ZApuZXdzbGV0dGVy.MgxXBwyiz31zAav7u3227Q";
    let t = token(Purpose::Unsubscribe, Some("newsletter"));
    assert_eq!(t.sign(&kid("2026-11"), &key), expected);
    let keys = |k: &str| (k == "2026-11").then_some(key.as_slice());
    assert_eq!(Token::verify(expected, &keys, ts(NOV_1), Purpose::Unsubscribe), Ok(t));
}

#[test]
fn known_answer_with_a_key_longer_than_the_block_is_hashed_first() {
    // Python: key = bytes(range(100)), purpose 2, contact "c", no topic, issued 0, expires 1 →
    // HMAC 2d8c760df2e2090f1829caf3c66ef6c65fb1f6f426a35d09f8158fe83617f7cd.
    let key: Vec<u8> = (0u8..100).collect();
    let t = Token {
        purpose: Purpose::Preferences,
        contact: ContactRef::parse("c").unwrap(),
        topic: None,
        issued_at: ts(0),
        expires_at: ts(1),
    };
    assert_eq!(t.sign(&kid("k"), &key), "v1.k.AQIAAAAAAAAAAAAAAAAAAAABAWMA.LYx2DfLiCQ8YKcrzxm72xg");
}

#[test]
fn signed_tokens_verify_back_to_the_same_fields() {
    for t in [
        token(Purpose::Unsubscribe, None),
        token(Purpose::Unsubscribe, Some("newsletter")),
        token(Purpose::Preferences, Some("product updates ✉")),
    ] {
        let text = t.sign(&kid("b"), &KEY_B);
        assert_eq!(verify(&text, NOV_1 + 1000, t.purpose), Ok(t.clone()));
        assert!(text.bytes().all(|c| c.is_ascii_alphanumeric() || b"-_.".contains(&c)), "URL-safe: {text}");
    }
}

#[test]
fn refusals_carry_the_signature_invalid_code() {
    let err = Token::verify("nope", &both, ts(NOV_1), Purpose::Unsubscribe).unwrap_err();
    assert_eq!(err.code(), ErrorCode::SignatureInvalid);
    assert_eq!(err.to_string(), "token: malformed at byte 0: expected the prefix \"v1.\"");
    assert_eq!(err.path(), None);
}

#[test]
fn old_and_new_keys_verify_during_rotation_and_a_retired_key_is_unknown() {
    let old = token(Purpose::Unsubscribe, None).sign(&kid("a"), &KEY_A);
    let new = token(Purpose::Unsubscribe, None).sign(&kid("b"), &KEY_B);
    assert!(verify(&old, NOV_1, Purpose::Unsubscribe).is_ok());
    assert!(verify(&new, NOV_1, Purpose::Unsubscribe).is_ok());
    assert!(Token::verify(&new, &only_b, ts(NOV_1), Purpose::Unsubscribe).is_ok());
    assert_eq!(
        Token::verify(&old, &only_b, ts(NOV_1), Purpose::Unsubscribe),
        Err(Error::InvalidToken(TokenError::UnknownKey { kid: "a".into() }))
    );
}

#[test]
fn a_token_relabelled_with_another_known_kid_fails_the_signature() {
    let text = token(Purpose::Unsubscribe, None).sign(&kid("a"), &KEY_A);
    assert_eq!(refusal(&text.replacen("v1.a.", "v1.b.", 1)), TokenError::BadSignature);
    assert_eq!(refusal(&text.replacen("v1.a.", "v1.zz.", 1)), TokenError::UnknownKey { kid: "zz".into() });
}

#[test]
fn tampered_payload_or_signature_fails_the_signature() {
    let text = token(Purpose::Preferences, Some("newsletter")).sign(&kid("b"), &KEY_B);
    let payload_at = "v1.b.".len();
    let sig_at = text.rfind('.').unwrap() + 1;
    // Change whole characters inside the payload (not the last, whose spare bits must stay zero).
    for i in payload_at..sig_at - 2 {
        let c = if text.as_bytes()[i] == b'A' { 'B' } else { 'A' };
        assert_eq!(refusal(&with_char(&text, i, c)), TokenError::BadSignature, "payload char {i}");
    }
    for i in sig_at..text.len() - 1 {
        let c = if text.as_bytes()[i] == b'A' { 'B' } else { 'A' };
        assert_eq!(refusal(&with_char(&text, i, c)), TokenError::BadSignature, "signature char {i}");
    }
}

#[test]
fn every_truncation_of_a_valid_token_is_refused() {
    let text = token(Purpose::Unsubscribe, Some("newsletter")).sign(&kid("b"), &KEY_B);
    for end in 0..text.len() {
        assert!(verify(&text[..end], NOV_1, Purpose::Unsubscribe).is_err(), "prefix of {end} bytes");
    }
    assert_eq!(malformed_at(&text[..text.len() - 2]), text.rfind('.').unwrap() + 1);
    assert_eq!(malformed_at("v1.b"), 4);
    assert_eq!(malformed_at("v1.b.AQE"), 8);
}

#[test]
fn text_over_one_kib_is_refused_unread_and_one_kib_is_read() {
    assert_eq!(refusal(&"v".repeat(1025)), TokenError::TooLong { len: 1025, max: 1024 });
    assert_eq!(malformed_at(&"v".repeat(1024)), 0);
    let longest = Token {
        contact: ContactRef::parse(&"c".repeat(MAX_CONTACT_LEN)).unwrap(),
        topic: Some(Topic::parse(&"t".repeat(MAX_TOPIC_LEN)).unwrap()),
        ..token(Purpose::Unsubscribe, None)
    };
    let text = longest.sign(&kid(&"k".repeat(MAX_KID_LEN)), &KEY_B);
    assert_eq!(text.len(), 511, "3 + 32 + 1 + base64(339 bytes) = 452 + 1 + 22");
}

#[test]
fn a_token_is_valid_until_the_millisecond_before_expiry() {
    let text = token(Purpose::Unsubscribe, None).sign(&kid("a"), &KEY_A);
    assert!(verify(&text, DEC_1 - 1, Purpose::Unsubscribe).is_ok());
    assert_eq!(
        verify(&text, DEC_1, Purpose::Unsubscribe),
        Err(TokenError::Expired { expires_at: ts(DEC_1), now: ts(DEC_1) })
    );
}

#[test]
fn a_token_issued_up_to_five_minutes_ahead_is_accepted_and_beyond_is_not_yet_valid() {
    let text = token(Purpose::Unsubscribe, None).sign(&kid("a"), &KEY_A);
    let edge = NOV_1 - MAX_CLOCK_SKEW_MS;
    assert!(verify(&text, edge, Purpose::Unsubscribe).is_ok());
    assert_eq!(
        verify(&text, edge - 1, Purpose::Unsubscribe),
        Err(TokenError::NotYetValid { issued_at: ts(NOV_1), now: ts(edge - 1) })
    );
}

#[test]
fn a_preferences_token_cannot_unsubscribe_and_the_reverse() {
    let prefs = token(Purpose::Preferences, None).sign(&kid("a"), &KEY_A);
    let unsub = token(Purpose::Unsubscribe, None).sign(&kid("a"), &KEY_A);
    let err = verify(&prefs, NOV_1, Purpose::Unsubscribe).unwrap_err();
    assert_eq!(err, TokenError::WrongPurpose { expected: Purpose::Unsubscribe, found: Purpose::Preferences });
    assert_eq!(err.to_string(), "made for preferences, not for unsubscribe");
    assert!(verify(&unsub, NOV_1, Purpose::Preferences).is_err());
}

/// D8: the break-up email's "keep me subscribed" link is its own purpose, written and read as `keep`.
#[test]
fn the_keep_purpose_parses_displays_and_round_trips_as_byte_3() {
    assert_eq!(Purpose::parse("keep"), Ok(Purpose::Keep));
    assert_eq!(Purpose::Keep.to_string(), "keep");
    assert!(Purpose::parse("Keep").is_err(), "names are exact");
    let t = token(Purpose::Keep, None);
    assert_eq!(t.payload()[1], 3, "the purpose byte");
    let text = t.sign(&kid("b"), &KEY_B);
    assert_eq!(verify(&text, NOV_1, Purpose::Keep), Ok(t));
}

/// A keep link must not stand in for an unsubscribe or the preference center, nor they for it (D5, D8, D27):
/// a "keep me" click is an opt-in, so only a token made for it may record one.
#[test]
fn a_keep_token_is_good_for_keep_only_and_no_other_token_is_good_for_keep() {
    let keep = token(Purpose::Keep, None).sign(&kid("a"), &KEY_A);
    for other in [Purpose::Unsubscribe, Purpose::Preferences] {
        assert_eq!(
            verify(&keep, NOV_1, other),
            Err(TokenError::WrongPurpose { expected: other, found: Purpose::Keep })
        );
        let text = token(other, None).sign(&kid("a"), &KEY_A);
        let err = verify(&text, NOV_1, Purpose::Keep).unwrap_err();
        assert_eq!(err, TokenError::WrongPurpose { expected: Purpose::Keep, found: other });
        assert_eq!(err.kind(), "wrong_purpose");
    }
    assert_eq!(
        verify(&keep, NOV_1, Purpose::Unsubscribe).unwrap_err().to_string(),
        "made for keep, not for unsubscribe"
    );
    assert!(matches!(verify(&keep, DEC_1, Purpose::Keep), Err(TokenError::Expired { .. })));
}

#[test]
fn malformed_text_names_the_byte_offset() {
    assert_eq!(malformed_at(""), 0);
    assert_eq!(malformed_at("v2.b.AQE.AAAAAAAAAAAAAAAAAAAAAA"), 0);
    assert_eq!(malformed_at("v1..AQE.AAAAAAAAAAAAAAAAAAAAAA"), 3);
    assert_eq!(malformed_at("v1.b/c.AQE.AAAAAAAAAAAAAAAAAAAAAA"), 4);
    assert_eq!(malformed_at(&format!("v1.{}.AQE.AAAAAAAAAAAAAAAAAAAAAA", "k".repeat(33))), 3 + 32);
    assert_eq!(malformed_at("v1.b..AAAAAAAAAAAAAAAAAAAAAA"), 5);
    assert_eq!(malformed_at("v1.b.AQ=E.AAAAAAAAAAAAAAAAAAAAAA"), 7);
    assert_eq!(malformed_at("v1.b.AQE.AAAA"), 9);
    assert_eq!(malformed_at("v1.b.AQE.AAAAAAAAAAAAAAAAAAAAAA.x"), 31);
    assert_eq!(malformed_at("v1.b.AQE.AAAAAAAAAAAAAAAAAAAAAB"), 30);
}

#[test]
fn a_validly_signed_but_unreadable_payload_is_malformed_not_trusted() {
    let good = token(Purpose::Unsubscribe, None).payload();
    let mut trailing = good.clone();
    trailing.push(0);
    let mut version = good.clone();
    version[0] = 2;
    let mut purpose = good.clone();
    purpose[1] = 9;
    let mut empty_contact = good[..18].to_vec();
    empty_contact.extend([0, 0]);
    let mut bad_utf8 = good[..18].to_vec();
    bad_utf8.extend([1, 0xff, 0]);
    let mut control = good[..18].to_vec();
    control.extend([1, b'\n', 0]);
    let mut huge_instant = good.clone();
    huge_instant[2..10].copy_from_slice(&i64::MAX.to_be_bytes());
    for (name, payload) in [
        ("trailing byte", trailing),
        ("version 2", version),
        ("purpose 9", purpose),
        ("empty contact", empty_contact),
        ("contact not UTF-8", bad_utf8),
        ("control character", control),
        ("instant out of range", huge_instant),
        ("short", good[..12].to_vec()),
    ] {
        match refusal(&signed_raw(&payload)) {
            TokenError::Malformed { .. } => {}
            other => panic!("{name}: expected malformed, got {other}"),
        }
    }
    assert!(verify(&signed_raw(&good), NOV_1, Purpose::Unsubscribe).is_ok(), "the helper itself signs validly");
}

#[test]
fn contact_and_topic_refuse_empty_oversized_and_control_characters() {
    assert!(ContactRef::parse(&"c".repeat(255)).is_ok());
    assert_eq!(
        ContactRef::parse(&"c".repeat(256)).unwrap_err(),
        "expected a contact of at most 255 bytes, got 256 bytes"
    );
    assert!(Topic::parse("a\tb").unwrap_err().contains("control"));
    assert!(Topic::parse("").unwrap_err().contains("empty"));
    assert!(Purpose::parse("unsub").unwrap_err().contains("unsubscribe, preferences or keep"));
}

fn arb_token() -> impl Strategy<Value = Token> {
    (
        prop_oneof![Just(Purpose::Unsubscribe), Just(Purpose::Preferences), Just(Purpose::Keep)],
        "[^\\p{Cc}]{1,60}",
        proptest::option::of("[a-z0-9_ -]{1,64}"),
        -8_640_000_000_000_000i64..=8_640_000_000_000_000,
        -8_640_000_000_000_000i64..=8_640_000_000_000_000,
    )
        .prop_filter_map("fits the limits", |(purpose, contact, topic, issued, expires)| {
            Some(Token {
                purpose,
                contact: ContactRef::parse(&contact).ok()?,
                topic: match topic {
                    Some(t) => Some(Topic::parse(&t).ok()?),
                    None => None,
                },
                issued_at: ts(issued),
                expires_at: ts(expires),
            })
        })
}

proptest! {
    #[test]
    fn arbitrary_text_never_panics_and_never_verifies(text in "\\PC{0,300}") {
        prop_assert!(Token::verify(&text, &both, ts(NOV_1), Purpose::Unsubscribe).is_err());
    }

    #[test]
    fn arbitrary_token_shaped_text_never_verifies(kid in "[ab]", payload in "[A-Za-z0-9_-]{0,80}", sig in "[A-Za-z0-9_-]{0,30}") {
        let text = format!("v1.{kid}.{payload}.{sig}");
        prop_assert!(Token::verify(&text, &both, ts(NOV_1), Purpose::Unsubscribe).is_err());
    }

    #[test]
    fn every_signed_token_round_trips_within_the_length_limit(t in arb_token()) {
        let text = t.sign(&kid("b"), &KEY_B);
        prop_assert!(text.len() <= MAX_TOKEN_LEN);
        prop_assert_eq!(Token::read_payload(&t.payload(), 0), Ok(t.clone()));
        let now = t.issued_at;
        if now < t.expires_at {
            prop_assert_eq!(Token::verify(&text, &both, now, t.purpose), Ok(t));
        }
    }

    #[test]
    fn changing_any_single_byte_of_a_token_makes_it_fail(i in 0usize..200, c in proptest::char::range('!', '~')) {
        let text = token(Purpose::Unsubscribe, Some("newsletter")).sign(&kid("b"), &KEY_B);
        let i = i % text.len();
        let mutated = with_char(&text, i, c);
        prop_assume!(mutated != text);
        prop_assert!(verify(&mutated, NOV_1, Purpose::Unsubscribe).is_err());
    }
}
