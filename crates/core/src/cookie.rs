//! The visitor's state in a signed cookie (D44, DESIGN §2): what an edge Worker reads and writes on every
//! request, so it can classify a visitor with no store and no third-party call.
//!
//! Text form: `c1.<kid>.<payload>.<signature>` — the token envelope (`crate::token`: strict base64url, key id for
//! rotation, 16-byte HMAC-SHA256 tag checked in constant time before anything is read) with its own prefix and
//! MAC domain (`rekindle-cookie-v1`), so a cookie can never pass as an unsubscribe token or the reverse.
//!
//! ```text
//! payload = version (1 byte, 1) ‖ expires_at (i64 big-endian, epoch ms) ‖ state bytes (`ContactState::to_bytes`)
//! ```
//!
//! A cookie is at most [`MAX_COOKIE_LEN`] bytes (browsers keep 4096 per cookie, name and attributes included);
//! [`StateCookie::seal`] refuses a state that would not fit rather than write a cookie the browser would drop.
//! Every refusal of [`StateCookie::open`] has a kind for counters ([`CookieError::kind`]); the caller treats them
//! all as a fresh visitor (DESIGN §9: never an error page).

use alloc::string::String;
use alloc::vec::Vec;

use crate::error::StateError;
use crate::state::ContactState;
use crate::time::Timestamp;
use crate::token::{keyed_mac, Envelope, KeyId, KeyedMac, Parts, TokenError};
use crate::Error;

/// Longest cookie value written or read, in bytes: 4096 less room for the name and attributes.
pub const MAX_COOKIE_LEN: usize = 3800;

const PAYLOAD_VERSION: u8 = 1;
/// The payload's version byte and big-endian expiry, before the state bytes.
const HEADER: usize = 9;
const ENVELOPE: Envelope = Envelope {
    prefix: "c1.",
    expected_prefix: "the prefix \"c1.\"",
    max_len: MAX_COOKIE_LEN,
    domain: b"rekindle-cookie-v1",
};

/// Why a cookie was refused (or could not be written).
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[non_exhaustive]
pub enum CookieError {
    /// The signed envelope: too long, malformed, unknown key id, or a signature that does not match.
    #[error("{0}")]
    Envelope(TokenError),
    /// Signed, but past its expiry.
    #[error("expired at {} ms, now is {} ms", .expires_at.ms(), .now.ms())]
    Expired {
        /// When it expired.
        expires_at: Timestamp,
        /// The instant of the check.
        now: Timestamp,
    },
    /// Signed by us, but not a payload or state this build reads (another version, or a key reused elsewhere).
    #[error("payload: {0}")]
    Payload(StateError),
    /// Signed by us, but with an envelope payload version this build does not read (the state's own version is
    /// checked separately, as [`StateError::UnknownVersion`]).
    #[error("payload: envelope version {0}; this build reads version {PAYLOAD_VERSION}")]
    PayloadVersion(u8),
    /// The state is too large for a cookie ([`StateCookie::seal`]).
    #[error("the sealed state would be {len} bytes; a cookie holds at most {MAX_COOKIE_LEN}")]
    TooLarge {
        /// The length the cookie would have had.
        len: usize,
    },
}

impl CookieError {
    /// A stable short name per kind, for counters: `too_long`, `malformed`, `unknown_key`, `bad_signature`,
    /// `expired`, `payload`, `too_large`.
    pub fn kind(&self) -> &'static str {
        match self {
            CookieError::Envelope(TokenError::TooLong { .. }) => "too_long",
            CookieError::Envelope(TokenError::UnknownKey { .. }) => "unknown_key",
            CookieError::Envelope(TokenError::BadSignature) => "bad_signature",
            CookieError::Envelope(_) => "malformed",
            CookieError::Expired { .. } => "expired",
            CookieError::Payload(_) | CookieError::PayloadVersion(_) => "payload",
            CookieError::TooLarge { .. } => "too_large",
        }
    }
}

/// Seals and opens state cookies.
///
/// ```
/// # use rekindle_core::{ContactState, Timestamp, cookie::StateCookie, token::KeyId};
/// let key = [9u8; 32];
/// let kid = KeyId::parse("2026-11").unwrap();
/// let now = Timestamp::from_ms(1_795_694_400_000).unwrap();
/// let later = Timestamp::from_ms(1_795_694_400_000 + 30 * 86_400_000).unwrap();
/// let text = StateCookie::seal(&ContactState::new(), &kid, &key, later).unwrap();
/// assert!(text.starts_with("c1.2026-11."));
/// let keys = |id: &str| (id == "2026-11").then_some(&key[..]);
/// assert_eq!(StateCookie::open(&text, &keys, now).unwrap(), ContactState::new());
/// ```
pub struct StateCookie;

impl StateCookie {
    /// The cookie value for `state`, signed with `key` under `kid` (sign with the newest key), valid until
    /// `expires_at`; `TooLarge` when it would exceed [`MAX_COOKIE_LEN`].
    pub fn seal(state: &ContactState, kid: &KeyId, key: &[u8], expires_at: Timestamp) -> Result<String, Error> {
        Self::seal_with(state, kid, keyed_mac(key), expires_at)
    }

    /// [`StateCookie::seal`] with a MAC already keyed (a [`Keyring`](crate::token::Keyring)'s).
    pub(crate) fn seal_with(
        state: &ContactState,
        kid: &KeyId,
        mac: KeyedMac,
        expires_at: Timestamp,
    ) -> Result<String, Error> {
        let mut header = Vec::with_capacity(HEADER + 512);
        header.push(PAYLOAD_VERSION);
        header.extend_from_slice(&expires_at.ms().to_be_bytes());
        let payload = state.append_bytes(header);
        let text = ENVELOPE.seal(kid, mac, &payload);
        if text.len() > MAX_COOKIE_LEN {
            return Err(Error::InvalidCookie(CookieError::TooLarge { len: text.len() }));
        }
        Ok(text)
    }

    /// The state a cookie carries, or why it was refused. Checks, in order: length, shape, key id, signature
    /// (constant time), payload version, expiry (`now >= expires_at` is expired), state bytes.
    pub fn open<'k>(
        text: &str,
        keys: &dyn Fn(&str) -> Option<&'k [u8]>,
        now: Timestamp,
    ) -> Result<ContactState, Error> {
        Self::open_with(text, &|kid| keys(kid).map(keyed_mac), now).map(|(state, _)| state)
    }

    /// [`StateCookie::open`] with MACs already keyed, looked up by key id.
    pub(crate) fn open_with(
        text: &str,
        macs: &dyn Fn(&str) -> Option<KeyedMac>,
        now: Timestamp,
    ) -> Result<(ContactState, Vec<u8>), Error> {
        Self::check(text, macs, now).map_err(Error::InvalidCookie)
    }

    /// The state and the state bytes as the cookie carried them (the payload after its version and expiry).
    fn check(
        text: &str,
        macs: &dyn Fn(&str) -> Option<KeyedMac>,
        now: Timestamp,
    ) -> Result<(ContactState, Vec<u8>), CookieError> {
        let mut payload = Parts::verified(text, &ENVELOPE, macs).map_err(CookieError::Envelope)?.payload;
        let state = Self::read_payload(&payload, now)?;
        payload.drain(..HEADER);
        Ok((state, payload))
    }

    /// The payload's version and expiry checked, its state read.
    fn read_payload(payload: &[u8], now: Timestamp) -> Result<ContactState, CookieError> {
        let (version, rest) = payload.split_first().ok_or(CookieError::Payload(StateError::Empty))?;
        if *version != PAYLOAD_VERSION {
            return Err(CookieError::PayloadVersion(*version));
        }
        let (expiry, state) =
            rest.split_first_chunk::<8>().ok_or(CookieError::Payload(StateError::Truncated { at: 1 }))?;
        let expires_at = Timestamp::from_ms(i64::from_be_bytes(*expiry))
            .ok_or(CookieError::Payload(StateError::Corrupt { at: 1, what: "expiry" }))?;
        if now >= expires_at {
            return Err(CookieError::Expired { expires_at, now });
        }
        match ContactState::from_bytes(state) {
            Ok(state) => Ok(state),
            Err(Error::InvalidState(e)) => Err(CookieError::Payload(e)),
            Err(_) => Err(CookieError::Payload(StateError::Empty)),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::token::Token;

    const KEY: [u8; 32] = [7; 32];
    const OLD: [u8; 32] = [3; 32];
    const NOW: i64 = 1_795_694_400_000;

    fn t(ms: i64) -> Timestamp {
        Timestamp::from_ms(ms).unwrap_or(Timestamp::EPOCH)
    }

    fn keys(kid: &str) -> Option<&'static [u8]> {
        match kid {
            "new" => Some(&KEY),
            "old" => Some(&OLD),
            _ => None,
        }
    }

    fn kid(text: &str) -> KeyId {
        let parsed = KeyId::parse(text);
        assert!(parsed.is_ok(), "{text}");
        parsed.unwrap_or_else(|_| kid("x"))
    }

    fn state() -> ContactState {
        let mut s = ContactState::new();
        s.updated_at = Some(t(NOW - 3_600_000));
        s.first_seen = Some(t(NOW - 86_400_000));
        s
    }

    fn refusal(text: &str) -> String {
        match StateCookie::open(text, &keys, t(NOW)) {
            Err(Error::InvalidCookie(e)) => String::from(e.kind()),
            other => alloc::format!("{other:?}"),
        }
    }

    #[test]
    fn a_sealed_state_opens_with_the_key_that_signed_it_and_with_a_rotated_key() {
        for (id, key) in [("new", &KEY), ("old", &OLD)] {
            let text = StateCookie::seal(&state(), &kid(id), key, t(NOW + 1)).unwrap_or_default();
            assert_eq!(StateCookie::open(&text, &keys, t(NOW)), Ok(state()));
        }
    }

    #[test]
    fn every_hostile_cookie_class_is_refused_with_its_kind() {
        let good = StateCookie::seal(&state(), &kid("new"), &KEY, t(NOW + 1)).unwrap_or_default();
        // Tampered: one payload character changed.
        let mut tampered = good.clone().into_bytes();
        if let Some(b) = tampered.get_mut(12) {
            *b = if *b == b'A' { b'B' } else { b'A' };
        }
        assert_eq!(refusal(&String::from_utf8(tampered).unwrap_or_default()), "bad_signature");
        // Truncated anywhere: never a panic, always refused.
        for n in 0..good.len() {
            assert_ne!(refusal(good.get(..n).unwrap_or("")), "Ok", "prefix {n}");
        }
        assert_eq!(refusal(&"c".repeat(MAX_COOKIE_LEN + 1)), "too_long");
        assert_eq!(refusal("garbage"), "malformed");
        assert_eq!(refusal(&good.replacen("c1.new.", "c1.gone.", 1)), "unknown_key");
        let expired = StateCookie::seal(&state(), &kid("new"), &KEY, t(NOW)).unwrap_or_default();
        assert_eq!(refusal(&expired), "expired");
    }

    #[test]
    fn a_signed_payload_of_another_envelope_version_names_that_version_not_the_states() {
        let mut payload = alloc::vec![9];
        payload.extend_from_slice(&(NOW + 1).to_be_bytes());
        let text = ENVELOPE.seal(&kid("new"), keyed_mac(&KEY), &state().append_bytes(payload));
        assert_eq!(refusal(&text), "payload");
        let err = StateCookie::open(&text, &keys, t(NOW)).map(|_| ()).unwrap_err().to_string();
        assert!(err.contains("envelope version 9; this build reads version 1"), "{err}");
    }

    fn kid_as_contact() -> crate::token::ContactRef {
        crate::token::ContactRef::parse("fallback").unwrap_or_else(|_| kid_as_contact())
    }

    #[test]
    fn a_token_never_passes_as_a_cookie_nor_a_cookie_as_a_token() {
        let token = Token {
            purpose: crate::token::Purpose::Unsubscribe,
            contact: crate::token::ContactRef::parse("cus_1").unwrap_or_else(|_| kid_as_contact()),
            topic: None,
            issued_at: t(NOW),
            expires_at: t(NOW + 1),
        }
        .sign(&kid("new"), &KEY);
        // Same key, same shape after the prefix: the MAC domain still tells them apart.
        assert_eq!(refusal(&token.replacen("v1.", "c1.", 1)), "bad_signature");
        let cookie = StateCookie::seal(&state(), &kid("new"), &KEY, t(NOW + 1)).unwrap_or_default();
        let as_token = cookie.replacen("c1.", "v1.", 1);
        assert!(Token::verify(&as_token, &keys, t(NOW), crate::token::Purpose::Unsubscribe).is_err());
    }

    #[test]
    fn a_state_too_large_for_a_cookie_is_refused_when_sealing() {
        let mut big = state();
        for i in 0..200 {
            big.profile.insert(alloc::format!("field_{i}"), crate::event::Scalar::Str("x".repeat(20)));
        }
        let sealed = StateCookie::seal(&big, &kid("new"), &KEY, t(NOW + 1));
        assert!(
            matches!(&sealed, Err(Error::InvalidCookie(e)) if e.kind() == "too_large"),
            "expected too_large, got {sealed:?}"
        );
    }
}
