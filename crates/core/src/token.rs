//! Signed, expiring, single-purpose tokens for RFC 8058 one-click unsubscribe, the preference center and the
//! break-up email's "keep me subscribed" link.
//!
//! Text form (URL-safe, no escaping needed in a query string): `v1.<kid>.<payload>.<signature>`, where
//! `payload` and `signature` are strict base64url without padding, and
//!
//! ```text
//! payload   = version (1 byte, 1) ‖ purpose (1 byte: 1 unsubscribe, 2 preferences, 3 keep)
//!           ‖ issued_at (i64 big-endian, epoch ms) ‖ expires_at (i64 big-endian, epoch ms)
//!           ‖ contact length (1 byte, 1–255) ‖ contact (UTF-8)
//!           ‖ topic length (1 byte, 0 = no topic, else 1–64) ‖ topic (UTF-8)
//! signature = first 16 bytes of HMAC-SHA256(key[kid], "rekindle-token-v1" ‖ payload)
//! ```
//!
//! The payload is signed, not encrypted: anyone who sees the URL can read the contact, so name contacts by an
//! opaque ESP id, not an email (docs/tokens.md). Sixteen bytes of tag keep 128-bit forgery resistance (an
//! attacker must guess a tag: 2⁻¹²⁸ per try, and online guesses are rate-limited) while saving 22 characters in
//! every URL; NIST SP 800-107 permits truncated HMAC output, and 128 bits is far above its minimum.
//!
//! Invariants: [`Token::verify`] never panics, refuses text over [`MAX_TOKEN_LEN`] bytes before any work, checks
//! the signature in constant time **before** reading the payload, and reads no clock (`now` is an argument).
//! Every token [`Token::sign`] writes is at most 511 bytes, so it always passes the length check.

mod base64url;
mod keyring;
#[cfg(test)]
mod tests;

use alloc::format;
use alloc::string::String;
use alloc::vec::Vec;
use core::fmt;

use hmac::{Hmac, Mac};
use serde::Serialize;
use sha2::{Digest, Sha256};

pub use keyring::{Keyring, MAX_KEY_BYTES, MIN_KEY_BYTES};

use crate::{Error, Timestamp};

/// Longest token text accepted by [`Token::verify`], in bytes; longer input is refused unread.
pub const MAX_TOKEN_LEN: usize = 1024;
/// Bytes of the HMAC-SHA256 tag kept in the token (128 bits).
pub const SIGNATURE_BYTES: usize = 16;
/// How far in the future `issued_at` may be (clock skew between the signer and the verifier), in ms: 5 minutes.
pub const MAX_CLOCK_SKEW_MS: i64 = 5 * 60 * 1000;
/// Longest key id, in characters.
pub const MAX_KID_LEN: usize = 32;
/// Longest contact reference, in UTF-8 bytes.
pub const MAX_CONTACT_LEN: usize = 255;
/// Longest topic, in UTF-8 bytes.
pub const MAX_TOPIC_LEN: usize = 64;

/// Domain separation: a MAC made for another rekindle structure (a state cookie) can never pass as a token.
const DOMAIN: &[u8] = b"rekindle-token-v1";
const PREFIX: &str = "v1.";
const PAYLOAD_VERSION: u8 = 1;
const SHA256_BLOCK: usize = 64;

/// What a token may be used for. A token is good for exactly one purpose.
///
/// ```
/// # use rekindle_core::token::Purpose;
/// assert_eq!(Purpose::parse("preferences"), Ok(Purpose::Preferences));
/// assert_eq!(Purpose::Unsubscribe.to_string(), "unsubscribe");
/// ```
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize)]
#[serde(rename_all = "lowercase")]
pub enum Purpose {
    /// RFC 8058 one-click unsubscribe (and its GET confirmation page).
    Unsubscribe,
    /// Open and save the preference center (D27).
    Preferences,
    /// Stay subscribed: the break-up email's "keep me" button (D8), an explicit opt-in.
    Keep,
}

impl Purpose {
    /// Parses `unsubscribe`, `preferences` or `keep`.
    pub fn parse(text: &str) -> Result<Purpose, String> {
        match text {
            "unsubscribe" => Ok(Purpose::Unsubscribe),
            "preferences" => Ok(Purpose::Preferences),
            "keep" => Ok(Purpose::Keep),
            other => Err(format!("expected unsubscribe, preferences or keep, got \"{}\"", crate::time::quote(other))),
        }
    }

    /// The name as written on the command line and in JSON.
    pub fn as_str(self) -> &'static str {
        match self {
            Purpose::Unsubscribe => "unsubscribe",
            Purpose::Preferences => "preferences",
            Purpose::Keep => "keep",
        }
    }

    fn byte(self) -> u8 {
        match self {
            Purpose::Unsubscribe => 1,
            Purpose::Preferences => 2,
            Purpose::Keep => 3,
        }
    }

    fn from_byte(b: u8) -> Option<Purpose> {
        match b {
            1 => Some(Purpose::Unsubscribe),
            2 => Some(Purpose::Preferences),
            3 => Some(Purpose::Keep),
            _ => None,
        }
    }
}

impl fmt::Display for Purpose {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

/// A key id: 1–32 ASCII letters, digits, `-` or `_` (a date like `2026-11` reads well in rotation).
///
/// ```
/// # use rekindle_core::token::KeyId;
/// assert_eq!(KeyId::parse("2026-11").unwrap().as_str(), "2026-11");
/// assert!(KeyId::parse("2026.11").is_err());
/// ```
#[derive(Debug, Clone, PartialEq, Eq, Hash, Serialize)]
pub struct KeyId(String);

impl KeyId {
    /// Parses a key id; the error says what is allowed.
    pub fn parse(text: &str) -> Result<KeyId, String> {
        match kid_problem(text.as_bytes()) {
            None => Ok(KeyId(String::from(text))),
            Some(_) => Err(format!(
                "expected a key id of 1 to {MAX_KID_LEN} letters, digits, '-' or '_' (like 2026-11), got \"{}\"",
                crate::time::quote(text)
            )),
        }
    }

    /// The id.
    pub fn as_str(&self) -> &str {
        &self.0
    }
}

impl fmt::Display for KeyId {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.0)
    }
}

/// The offset of the first problem in a key id, if any.
fn kid_problem(kid: &[u8]) -> Option<usize> {
    if kid.is_empty() {
        return Some(0);
    }
    if let Some(i) = kid.iter().position(|&c| !(c.is_ascii_alphanumeric() || c == b'-' || c == b'_')) {
        return Some(i);
    }
    (kid.len() > MAX_KID_LEN).then_some(MAX_KID_LEN)
}

/// How a token names its contact: 1–255 bytes of UTF-8 without control characters. Prefer the ESP's opaque id
/// (`cus_8a7f3e9d`) to an email: the token is readable by anyone who sees the URL.
///
/// ```
/// # use rekindle_core::token::ContactRef;
/// assert_eq!(ContactRef::parse("cus_8a7f3e9d").unwrap().as_str(), "cus_8a7f3e9d");
/// assert!(ContactRef::parse("").is_err());
/// ```
#[derive(Debug, Clone, PartialEq, Eq, Hash, Serialize)]
pub struct ContactRef(String);

impl ContactRef {
    /// Parses a contact reference.
    pub fn parse(text: &str) -> Result<ContactRef, String> {
        label(text, MAX_CONTACT_LEN, "contact").map(ContactRef)
    }

    /// The reference.
    pub fn as_str(&self) -> &str {
        &self.0
    }
}

/// The list or topic a token is scoped to: 1–64 bytes of UTF-8 without control characters.
///
/// ```
/// # use rekindle_core::token::Topic;
/// assert_eq!(Topic::parse("newsletter").unwrap().as_str(), "newsletter");
/// assert!(Topic::parse(&"x".repeat(65)).is_err());
/// ```
#[derive(Debug, Clone, PartialEq, Eq, Hash, Serialize)]
pub struct Topic(String);

impl Topic {
    /// Parses a topic.
    pub fn parse(text: &str) -> Result<Topic, String> {
        label(text, MAX_TOPIC_LEN, "topic").map(Topic)
    }

    /// The topic.
    pub fn as_str(&self) -> &str {
        &self.0
    }
}

fn label(text: &str, max: usize, what: &str) -> Result<String, String> {
    if text.is_empty() {
        return Err(format!("expected a {what} of 1 to {max} bytes, got an empty string"));
    }
    if text.len() > max {
        return Err(format!("expected a {what} of at most {max} bytes, got {} bytes", text.len()));
    }
    if text.chars().any(char::is_control) {
        return Err(format!("expected a {what} without control characters"));
    }
    Ok(String::from(text))
}

/// Why a token was refused. Callers at the edge answer every case the same way to the visitor (a generic
/// "this link is invalid or expired" page); the kinds are for logs and counters.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[non_exhaustive]
pub enum TokenError {
    /// Longer than the limit ([`MAX_TOKEN_LEN`] for a token, [`crate::cookie::MAX_COOKIE_LEN`] for a state
    /// cookie); not read at all.
    #[error("{len} bytes long; at most {max} are accepted")]
    TooLong {
        /// Length of the text, in bytes.
        len: usize,
        /// The limit, in bytes.
        max: usize,
    },
    /// Not of the form `v1.<kid>.<payload>.<signature>`, or (after a valid signature) a payload this build
    /// cannot read.
    #[error("malformed at byte {at}: expected {expected}")]
    Malformed {
        /// Byte offset in the token text.
        at: usize,
        /// What should have been there.
        expected: &'static str,
    },
    /// The key id is not among the verifier's keys (rotated out, or never configured).
    #[error("unknown key id \"{kid}\" (rotated out, or never configured)")]
    UnknownKey {
        /// The key id from the token (validated: at most 32 letters, digits, `-`, `_`).
        kid: String,
    },
    /// The signature does not match the payload under the key the kid names (forged or tampered).
    #[error("signature does not match")]
    BadSignature,
    /// `now >= expires_at`.
    #[error("expired at {} ms, now is {} ms", .expires_at.ms(), .now.ms())]
    Expired {
        /// When it expired.
        expires_at: Timestamp,
        /// The instant of the check.
        now: Timestamp,
    },
    /// Issued more than 5 minutes after `now` (a clock far ahead, or a forged future token).
    #[error("issued at {} ms, more than 5 minutes after now ({} ms)", .issued_at.ms(), .now.ms())]
    NotYetValid {
        /// When the token says it was issued.
        issued_at: Timestamp,
        /// The instant of the check.
        now: Timestamp,
    },
    /// A valid token for another purpose (a preference-center token used to unsubscribe, a keep-me token used to
    /// open the preference center, …).
    #[error("made for {found}, not for {expected}")]
    WrongPurpose {
        /// The purpose the caller asked for.
        expected: Purpose,
        /// The purpose in the token.
        found: Purpose,
    },
}

impl TokenError {
    /// A stable short name per kind, for counters and logs: `too_long`, `malformed`, `unknown_key`,
    /// `bad_signature`, `expired`, `not_yet_valid`, `wrong_purpose`.
    pub fn kind(&self) -> &'static str {
        match self {
            TokenError::TooLong { .. } => "too_long",
            TokenError::Malformed { .. } => "malformed",
            TokenError::UnknownKey { .. } => "unknown_key",
            TokenError::BadSignature => "bad_signature",
            TokenError::Expired { .. } => "expired",
            TokenError::NotYetValid { .. } => "not_yet_valid",
            TokenError::WrongPurpose { .. } => "wrong_purpose",
        }
    }
}

/// A signed, expiring, single-purpose token: what the signature vouches for.
///
/// ```
/// # use rekindle_core::{Timestamp, token::{ContactRef, KeyId, Purpose, Token}};
/// let key = [7u8; 32];
/// let t = Token {
///     purpose: Purpose::Unsubscribe,
///     contact: ContactRef::parse("cus_8a7f3e9d").unwrap(),
///     topic: None,
///     issued_at: Timestamp::from_ms(1_793_491_200_000).unwrap(),
///     expires_at: Timestamp::from_ms(1_796_083_200_000).unwrap(),
/// };
/// let text = t.sign(&KeyId::parse("2026-11").unwrap(), &key);
/// let keys = |kid: &str| (kid == "2026-11").then_some(&key[..]);
/// let now = Timestamp::from_ms(1_794_000_000_000).unwrap();
/// assert_eq!(Token::verify(&text, &keys, now, Purpose::Unsubscribe), Ok(t));
/// assert!(Token::verify(&text, &keys, now, Purpose::Preferences).is_err());
/// ```
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct Token {
    /// What the token may be used for.
    pub purpose: Purpose,
    /// Who it is for.
    pub contact: ContactRef,
    /// The list or topic it is scoped to; `None` for every list.
    pub topic: Option<Topic>,
    /// When it was signed.
    pub issued_at: Timestamp,
    /// The first instant at which it is no longer valid.
    pub expires_at: Timestamp,
}

impl Token {
    /// The token text, signed with `key` under key id `kid` (sign with the newest key: [`Keyring::newest`]).
    /// Use a random key of 32 bytes; HMAC accepts any length, [`Keyring`] insists on 16–64.
    pub fn sign(&self, kid: &KeyId, key: &[u8]) -> String {
        self.sign_with(kid, keyed_mac(key))
    }

    /// [`Token::sign`] with a MAC already keyed (a [`Keyring`]'s).
    fn sign_with(&self, kid: &KeyId, mac: KeyedMac) -> String {
        ENVELOPE.seal(kid, mac, &self.payload())
    }

    /// Checks `text` and returns the token it carries, or why not.
    ///
    /// Order: length, shape (offsets are bytes of `text`), key lookup by kid, signature (constant-time), payload,
    /// purpose, then time: refused when `issued_at` is more than 5 minutes after `now` or when
    /// `now >= expires_at`. Every failure is [`Error::InvalidToken`] (`E_SIGNATURE_INVALID`).
    pub fn verify<'k>(
        text: &str,
        keys: &dyn Fn(&str) -> Option<&'k [u8]>,
        now: Timestamp,
        purpose: Purpose,
    ) -> Result<Token, Error> {
        Token::check(text, &|kid| keys(kid).map(keyed_mac), now, purpose).map_err(Error::InvalidToken)
    }

    /// [`Token::verify`] with MACs already keyed, looked up by key id.
    fn check(
        text: &str,
        macs: &dyn Fn(&str) -> Option<KeyedMac>,
        now: Timestamp,
        purpose: Purpose,
    ) -> Result<Token, TokenError> {
        let parts = Parts::verified(text, &ENVELOPE, macs)?;
        let token = Token::read_payload(&parts.payload, parts.payload_at)?;
        if token.purpose != purpose {
            return Err(TokenError::WrongPurpose { expected: purpose, found: token.purpose });
        }
        if token.issued_at.since(now) > MAX_CLOCK_SKEW_MS {
            return Err(TokenError::NotYetValid { issued_at: token.issued_at, now });
        }
        if now >= token.expires_at {
            return Err(TokenError::Expired { expires_at: token.expires_at, now });
        }
        Ok(token)
    }

    fn payload(&self) -> Vec<u8> {
        let contact = self.contact.0.as_bytes();
        let topic = self.topic.as_ref().map_or(&[][..], |t| t.0.as_bytes());
        let mut out = Vec::with_capacity(20 + contact.len() + topic.len());
        out.push(PAYLOAD_VERSION);
        out.push(self.purpose.byte());
        out.extend_from_slice(&self.issued_at.ms().to_be_bytes());
        out.extend_from_slice(&self.expires_at.ms().to_be_bytes());
        // Lengths fit a byte: ContactRef and Topic cap them at 255 and 64.
        out.push(u8::try_from(contact.len()).unwrap_or(u8::MAX));
        out.extend_from_slice(contact);
        out.push(u8::try_from(topic.len()).unwrap_or(u8::MAX));
        out.extend_from_slice(topic);
        out
    }

    /// Reads a payload whose signature already verified; `base` is its offset in the text, for messages.
    fn read_payload(bytes: &[u8], base: usize) -> Result<Token, TokenError> {
        let mut r = Reader { bytes, pos: 0, base };
        if r.byte("payload version 1")? != PAYLOAD_VERSION {
            return Err(r.error_before(1, "payload version 1"));
        }
        let purpose =
            Purpose::from_byte(r.byte("a purpose")?).ok_or_else(|| r.error_before(1, "a purpose (1, 2 or 3)"))?;
        let issued_at = r.timestamp("issued_at")?;
        let expires_at = r.timestamp("expires_at")?;
        let contact = r.text(1, "a contact")?.map(ContactRef).ok_or_else(|| r.error_before(1, "a contact"))?;
        let topic = r.text(0, "a topic")?.map(Topic);
        if r.pos != bytes.len() {
            return Err(r.error_before(0, "the end of the payload"));
        }
        Ok(Token { purpose, contact, topic, issued_at, expires_at })
    }
}

/// The signed text form shared by tokens and state cookies: `<prefix><kid>.<payload>.<signature>`, each kind with
/// its own prefix, length limit and MAC domain, so one kind can never pass as the other.
pub(crate) struct Envelope {
    /// `"v1."` for tokens, `"c1."` for state cookies.
    pub(crate) prefix: &'static str,
    /// What the prefix looks like, for messages.
    pub(crate) expected_prefix: &'static str,
    /// Longest text read at all, in bytes.
    pub(crate) max_len: usize,
    /// MAC domain separation string.
    pub(crate) domain: &'static [u8],
}

const ENVELOPE: Envelope =
    Envelope { prefix: PREFIX, expected_prefix: "the prefix \"v1.\"", max_len: MAX_TOKEN_LEN, domain: DOMAIN };

impl Envelope {
    /// The text of `payload` signed with `mac` (keyed with the key of `kid`) under `kid`.
    pub(crate) fn seal(&self, kid: &KeyId, mac: KeyedMac, payload: &[u8]) -> String {
        let tag = tag(mac, self.domain, payload);
        let mut out =
            Vec::with_capacity(self.prefix.len() + kid.as_str().len() + 2 + (payload.len() + tag.len()) * 4 / 3 + 2);
        out.extend_from_slice(self.prefix.as_bytes());
        out.extend_from_slice(kid.as_str().as_bytes());
        out.push(b'.');
        base64url::encode_into(payload, &mut out);
        out.push(b'.');
        base64url::encode_into(&tag, &mut out);
        // The prefix and key id are str and base64url is ASCII: always valid UTF-8.
        String::from_utf8(out).unwrap_or_default()
    }
}

/// A signed text cut into its parts; nothing here is trusted until [`Parts::verified`] returns.
pub(crate) struct Parts<'a> {
    kid: &'a str,
    pub(crate) payload: Vec<u8>,
    /// The payload's offset in the text, for messages.
    pub(crate) payload_at: usize,
    signature: Vec<u8>,
}

impl<'a> Parts<'a> {
    /// Splits `text` and checks its signature in constant time: only then is the payload returned.
    pub(crate) fn verified(
        text: &'a str,
        envelope: &Envelope,
        macs: &dyn Fn(&str) -> Option<KeyedMac>,
    ) -> Result<Parts<'a>, TokenError> {
        let parts = Parts::split(text, envelope)?;
        let mut mac = macs(parts.kid).ok_or_else(|| TokenError::UnknownKey { kid: String::from(parts.kid) })?;
        mac.update(envelope.domain);
        mac.update(&parts.payload);
        mac.verify_truncated_left(&parts.signature).map_err(|_| TokenError::BadSignature)?;
        Ok(parts)
    }

    fn split(text: &'a str, envelope: &Envelope) -> Result<Parts<'a>, TokenError> {
        if text.len() > envelope.max_len {
            return Err(TokenError::TooLong { len: text.len(), max: envelope.max_len });
        }
        let malformed = |at: usize, expected: &'static str| TokenError::Malformed { at, expected };
        let rest = text.strip_prefix(envelope.prefix).ok_or_else(|| malformed(0, envelope.expected_prefix))?;
        let kid_at = envelope.prefix.len();
        let (kid, rest) = rest.split_once('.').ok_or_else(|| malformed(text.len(), "'.' after the key id"))?;
        if let Some(i) = kid_problem(kid.as_bytes()) {
            return Err(malformed(kid_at + i, "a key id of 1 to 32 letters, digits, '-' or '_'"));
        }
        let payload_at = kid_at + kid.len() + 1;
        let (payload_text, sig_text) =
            rest.split_once('.').ok_or_else(|| malformed(text.len(), "'.' after the payload"))?;
        if payload_text.is_empty() {
            return Err(malformed(payload_at, "a base64url payload"));
        }
        let payload =
            base64url::decode(payload_text.as_bytes()).map_err(|e| malformed(payload_at + e.at, e.expected))?;
        let sig_at = payload_at + payload_text.len() + 1;
        let signature = base64url::decode(sig_text.as_bytes()).map_err(|e| malformed(sig_at + e.at, e.expected))?;
        if signature.len() != SIGNATURE_BYTES {
            return Err(malformed(sig_at, "a 16-byte signature (22 base64url characters)"));
        }
        Ok(Parts { kid, payload, payload_at, signature })
    }
}

/// A cursor over a verified payload; errors point at the token text (a byte of payload ≈ 4/3 characters).
struct Reader<'a> {
    bytes: &'a [u8],
    pos: usize,
    base: usize,
}

impl Reader<'_> {
    fn error_before(&self, back: usize, expected: &'static str) -> TokenError {
        TokenError::Malformed { at: self.base + self.pos.saturating_sub(back) * 4 / 3, expected }
    }

    fn take(&mut self, n: usize, expected: &'static str) -> Result<&[u8], TokenError> {
        let end = self.pos.checked_add(n).filter(|&end| end <= self.bytes.len());
        match end.and_then(|end| self.bytes.get(self.pos..end)) {
            Some(slice) => {
                self.pos += n;
                Ok(slice)
            }
            None => Err(self.error_before(0, expected)),
        }
    }

    fn byte(&mut self, expected: &'static str) -> Result<u8, TokenError> {
        self.take(1, expected).map(|b| b.first().copied().unwrap_or(0))
    }

    fn timestamp(&mut self, expected: &'static str) -> Result<Timestamp, TokenError> {
        let mut be = [0u8; 8];
        be.copy_from_slice(self.take(8, expected)?);
        Timestamp::from_ms(i64::from_be_bytes(be))
            .ok_or_else(|| self.error_before(8, "an instant within the JS Date range"))
    }

    /// A length byte and that many bytes of text; `None` when the length is 0. `min` is the least length allowed.
    fn text(&mut self, min: usize, expected: &'static str) -> Result<Option<String>, TokenError> {
        let len = usize::from(self.byte(expected)?);
        if len < min {
            return Err(self.error_before(1, expected));
        }
        if len == 0 {
            return Ok(None);
        }
        let raw = self.take(len, expected)?;
        let max = if min == 0 { MAX_TOPIC_LEN } else { MAX_CONTACT_LEN };
        match core::str::from_utf8(raw).ok().and_then(|s| label(s, max, "").ok()) {
            Some(s) => Ok(Some(s)),
            None => Err(self.error_before(len, expected)),
        }
    }
}

/// The 16-byte tag of `payload` under `mac`'s key in `domain`.
fn tag(mut mac: KeyedMac, domain: &[u8], payload: &[u8]) -> [u8; SIGNATURE_BYTES] {
    mac.update(domain);
    mac.update(payload);
    let full = mac.finalize().into_bytes();
    let mut out = [0u8; SIGNATURE_BYTES];
    out.iter_mut().zip(full.iter()).for_each(|(o, b)| *o = *b);
    out
}

/// HMAC-SHA256 with its key already absorbed: the inner and outer pads are hashed when it is keyed, so a clone
/// signs or verifies with two SHA-256 blocks fewer than keying afresh (a [`Keyring`] keeps one per key: 28 % of an
/// HMAC over a state cookie, measured natively).
pub(crate) type KeyedMac = Hmac<Sha256>;

/// HMAC-SHA256 keyed with `key` of any length, without a fallible constructor: RFC 2104 §2 hashes a key longer
/// than the 64-byte block and zero-pads a shorter one, which is what `Hmac::new_from_slice` does (it cannot fail,
/// but returns a `Result`, and core denies `unwrap`). The known-answer tests pin both branches.
pub(crate) fn keyed_mac(key: &[u8]) -> KeyedMac {
    let mut block = [0u8; SHA256_BLOCK];
    if key.len() > SHA256_BLOCK {
        block.iter_mut().zip(Sha256::digest(key).iter()).for_each(|(b, k)| *b = *k);
    } else {
        block.iter_mut().zip(key.iter()).for_each(|(b, k)| *b = *k);
    }
    <Hmac<Sha256> as Mac>::new(&block.into())
}
