//! Webhook authenticity, shared by the vendors that sign their deliveries: why a delivery was refused
//! ([`SignatureError`], one stable code each) and the age rule for signed timestamps ([`check_age`]).
//!
//! The cryptography is per vendor: [`super::sendgrid::verify`] (ECDSA P-256 over `timestamp + raw body`) and
//! [`super::mailgun::check`] (HMAC-SHA256 over `timestamp + token`). Both vendors sign a Unix-seconds timestamp;
//! a signature is only worth something if that timestamp is recent when the delivery arrives, or a captured
//! delivery could be replayed for ever. Core has no clock, so the caller passes the instant of receipt.

use alloc::string::String;
use alloc::vec::Vec;

use crate::time::{Span, Timestamp};

/// The skew [`check_age`] allows by default: 5 minutes each way (what Stripe and Slack use; neither SendGrid nor
/// Mailgun publishes a number).
pub const DEFAULT_TOLERANCE: Span = Span::minutes(5);

/// Why a signed webhook delivery was refused. Each variant has a stable [`SignatureError::code`]; all of them
/// mean `E_SIGNATURE_INVALID` to a binding. Deliberately not a [`crate::Error`] variant: the wasm builds format
/// every `Error`, so a variant would link this code (and its messages) into every `.wasm` although no export
/// verifies webhooks — as it is, the shipped `.wasm` is byte-for-byte the same size with or without it.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[non_exhaustive]
pub enum SignatureError {
    /// The verification key cannot be used (not base64, not a P-256 public key, empty).
    #[error("unusable verification key: {reason}")]
    BadKey {
        /// What is wrong with it.
        reason: String,
    },
    /// The delivery carries no signature or no timestamp (a header or field is missing).
    #[error("unsigned: no {what}")]
    Missing {
        /// The header or field that is missing, e.g. `X-Twilio-Email-Event-Webhook-Signature`.
        what: String,
    },
    /// The signature is not in the vendor's encoding (base64 DER for SendGrid, 64 hex digits for Mailgun).
    #[error("malformed signature: {reason}")]
    Malformed {
        /// What was expected and what arrived.
        reason: String,
    },
    /// The signature does not match the signed bytes under this key: forged, tampered with (one changed byte of
    /// the body or the timestamp is enough), or signed with another key.
    #[error("signature does not match the body and timestamp (forged, tampered with, or another key)")]
    Mismatch,
    /// The signed timestamp is not Unix seconds.
    #[error("timestamp \"{text}\" is not Unix seconds")]
    BadTimestamp {
        /// The timestamp as sent (at most 40 characters).
        text: String,
    },
    /// Signed longer before receipt than the tolerance allows: a stale or replayed delivery.
    #[error("expired: signed at {} ms, received at {} ms, more than {} s later", .signed_at.ms(), .received_at.ms(), .tolerance.ms() / 1000)]
    Expired {
        /// The signed timestamp.
        signed_at: Timestamp,
        /// When the delivery arrived.
        received_at: Timestamp,
        /// The allowed age.
        tolerance: Span,
    },
    /// Signed after it arrived, by more than the tolerance: a clock far off, or a forged timestamp.
    #[error("signed at {} ms, more than {} s after it was received ({} ms)", .signed_at.ms(), .tolerance.ms() / 1000, .received_at.ms())]
    FromTheFuture {
        /// The signed timestamp.
        signed_at: Timestamp,
        /// When the delivery arrived.
        received_at: Timestamp,
        /// The allowed skew.
        tolerance: Span,
    },
}

impl SignatureError {
    /// A stable snake_case code: `bad_key`, `unsigned`, `malformed_signature`, `signature_mismatch`,
    /// `bad_signature_timestamp`, `signature_expired`, `signature_from_future`.
    pub fn code(&self) -> &'static str {
        match self {
            SignatureError::BadKey { .. } => "bad_key",
            SignatureError::Missing { .. } => "unsigned",
            SignatureError::Malformed { .. } => "malformed_signature",
            SignatureError::Mismatch => "signature_mismatch",
            SignatureError::BadTimestamp { .. } => "bad_signature_timestamp",
            SignatureError::Expired { .. } => "signature_expired",
            SignatureError::FromTheFuture { .. } => "signature_from_future",
        }
    }
}

/// Reads a signed Unix-seconds timestamp (`"1600112502"`: digits only, as both vendors send it).
///
/// # Errors
/// [`SignatureError::BadTimestamp`] for anything else (signs, fractions, milliseconds past year 9999).
pub fn signed_at(text: &str) -> Result<Timestamp, SignatureError> {
    let bad = || SignatureError::BadTimestamp { text: text.chars().take(40).collect() };
    let t = text.trim();
    if t.is_empty() || t.len() > 12 || !t.bytes().all(|b| b.is_ascii_digit()) {
        return Err(bad());
    }
    let secs: i64 = t.parse().map_err(|_| bad())?;
    secs.checked_mul(1000).and_then(Timestamp::from_ms).ok_or_else(bad)
}

/// The age rule: a delivery signed at `signed` (Unix seconds, as sent) and received at `received_at` is fresh
/// when `|received_at − signed| ≤ tolerance`. Returns the signed instant.
///
/// ```
/// use rekindle_core::import::signature::{check_age, SignatureError, DEFAULT_TOLERANCE};
/// use rekindle_core::Timestamp;
/// let received = Timestamp::from_ms(1_600_112_802_000).unwrap(); // 300 s after signing
/// assert!(check_age("1600112502", received, DEFAULT_TOLERANCE).is_ok());
/// let late = Timestamp::from_ms(1_600_112_803_000).unwrap();
/// assert_eq!(check_age("1600112502", late, DEFAULT_TOLERANCE).unwrap_err().code(), "signature_expired");
/// ```
///
/// # Errors
/// [`SignatureError::BadTimestamp`], [`SignatureError::Expired`] or [`SignatureError::FromTheFuture`].
pub fn check_age(signed: &str, received_at: Timestamp, tolerance: Span) -> Result<Timestamp, SignatureError> {
    let signed_at = signed_at(signed)?;
    let age = received_at.since(signed_at);
    if age > tolerance.ms() {
        return Err(SignatureError::Expired { signed_at, received_at, tolerance });
    }
    if -age > tolerance.ms() {
        return Err(SignatureError::FromTheFuture { signed_at, received_at, tolerance });
    }
    Ok(signed_at)
}

/// Decodes standard base64 (RFC 4648 §4, `+` `/`, `=` padding required), as SendGrid writes keys and
/// signatures. Whitespace is refused: callers trim the ends.
pub(crate) fn base64(text: &str) -> Result<Vec<u8>, String> {
    let b = text.as_bytes();
    if b.is_empty() || b.len() % 4 != 0 {
        return Err(alloc::format!("expected base64 (a multiple of 4 characters), got {} characters", b.len()));
    }
    let value = |c: u8| match c {
        b'A'..=b'Z' => Some(c - b'A'),
        b'a'..=b'z' => Some(c - b'a' + 26),
        b'0'..=b'9' => Some(c - b'0' + 52),
        b'+' => Some(62),
        b'/' => Some(63),
        _ => None,
    };
    let pad = b.iter().rev().take_while(|&&c| c == b'=').count();
    if pad > 2 {
        return Err("expected at most two '=' at the end".into());
    }
    let mut out = Vec::with_capacity(b.len() / 4 * 3);
    let (mut acc, mut bits) = (0u32, 0u32);
    for (i, &c) in b.iter().enumerate().take(b.len() - pad) {
        let v = value(c).ok_or_else(|| alloc::format!("expected a base64 character at offset {i}"))?;
        acc = (acc << 6) | u32::from(v);
        bits += 6;
        if bits >= 8 {
            bits -= 8;
            out.push((acc >> bits) as u8);
            acc &= (1 << bits) - 1;
        }
    }
    if acc != 0 {
        return Err("expected canonical base64 (unused bits zero)".into());
    }
    Ok(out)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn base64_reads_rfc4648_vectors_and_refuses_what_is_not_canonical() {
        // RFC 4648 §10.
        for (text, bytes) in
            [("Zg==", "f"), ("Zm8=", "fo"), ("Zm9v", "foo"), ("Zm9vYmE=", "fooba"), ("Zm9vYmFy", "foobar")]
        {
            assert_eq!(base64(text).as_deref(), Ok(bytes.as_bytes()));
        }
        assert!(base64("").is_err());
        assert!(base64("Zm9").is_err(), "length not a multiple of 4");
        assert!(base64("Zh==").is_err(), "unused bits set");
        assert!(base64("Zm9v\n").is_err());
        assert!(base64("Zm-v").is_err(), "base64url alphabet");
        assert!(base64("Z===").is_err());
    }

    #[test]
    fn signed_timestamps_are_unix_seconds_only() {
        assert_eq!(signed_at("1600112502").map(Timestamp::ms), Ok(1_600_112_502_000));
        for bad in ["", "-1", "1.5", "16e8", "abc", "9999999999999"] {
            assert_eq!(signed_at(bad).map_err(|e| e.code()), Err("bad_signature_timestamp"), "{bad}");
        }
    }

    #[test]
    fn age_is_checked_both_ways_with_the_bound_inclusive() {
        let at = |s: i64| Timestamp::from_ms(s * 1000).unwrap_or(Timestamp::EPOCH);
        let five = DEFAULT_TOLERANCE;
        assert!(check_age("1000", at(1300), five).is_ok());
        assert!(check_age("1000", at(700), five).is_ok());
        assert_eq!(check_age("1000", at(1301), five).map_err(|e| e.code()), Err("signature_expired"));
        assert_eq!(check_age("1000", at(699), five).map_err(|e| e.code()), Err("signature_from_future"));
    }
}
