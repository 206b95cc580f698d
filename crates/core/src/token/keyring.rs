//! Token keys by key id, read from `kid:hexkey` lines — the same text in a CLI key file and a Worker secret.
//!
//! Invariants: every key id is a valid [`KeyId`], every key is 16–64 bytes, ids are unique, and the order is
//! the order of the lines: the **last** key is the newest and is the one that signs. Keys never appear in a
//! message or a `Debug` dump.

use alloc::format;
use alloc::string::String;
use alloc::vec::Vec;
use core::fmt;

use super::{keyed_mac, KeyId, KeyedMac, Purpose, Token};
use crate::cookie::StateCookie;
use crate::{ContactState, Error, Timestamp};

/// Shortest key accepted, in bytes: 128 bits, the strength of the truncated signature.
pub const MIN_KEY_BYTES: usize = 16;
/// Longest key accepted, in bytes: one SHA-256 block (a longer key would be hashed down to 32 bytes anyway).
pub const MAX_KEY_BYTES: usize = 64;

/// Token keys by key id, oldest first; the newest signs, all of them verify.
///
/// ```
/// # use rekindle_core::token::Keyring;
/// let ring = Keyring::parse("# example only\n2026-10:000102030405060708090a0b0c0d0e0f\n\
///                            2026-11:101112131415161718191a1b1c1d1e1f\n").unwrap();
/// assert_eq!(ring.newest().map(|(kid, _)| kid.as_str()), Some("2026-11"));
/// assert_eq!(ring.get("2026-10").map(<[u8]>::len), Some(16));
/// assert!(ring.get("2026-09").is_none());
/// ```
///
/// Each key is kept keyed for HMAC too, so the signing and checking methods here ([`Keyring::open_state`],
/// [`Keyring::seal_state`], [`Keyring::verify_token`], [`Keyring::sign_token`]) skip re-hashing its pads on every
/// cookie and token — the edge does two per page.
#[derive(Clone, Default)]
pub struct Keyring {
    keys: Vec<Entry>,
}

#[derive(Clone)]
struct Entry {
    kid: KeyId,
    key: Vec<u8>,
    mac: KeyedMac,
}

impl PartialEq for Keyring {
    fn eq(&self, other: &Keyring) -> bool {
        self.keys.len() == other.keys.len()
            && self.keys.iter().zip(&other.keys).all(|(a, b)| a.kid == b.kid && a.key == b.key)
    }
}

impl Eq for Keyring {}

impl Keyring {
    /// An empty keyring.
    pub fn new() -> Keyring {
        Keyring::default()
    }

    /// Reads `kid:hexkey` lines. Blank lines and lines starting with `#` are skipped; spaces around the kid and
    /// the key are trimmed. A problem is an [`Error::InvalidInput`] whose path is `line N` (1-based); the message
    /// never quotes key material.
    pub fn parse(text: &str) -> Result<Keyring, Error> {
        let mut ring = Keyring::new();
        for (index, raw) in text.lines().enumerate() {
            let line = raw.trim();
            if line.is_empty() || line.starts_with('#') {
                continue;
            }
            let at = format!("line {}", index + 1);
            let Some((kid, hex)) = line.split_once(':') else {
                return Err(Error::input(at, "expected kid:hexkey, like 2026-11:<64 hex digits> (no ':' found)"));
            };
            let kid = KeyId::parse(kid.trim()).map_err(|reason| Error::input(at.clone(), reason))?;
            let key = unhex(hex.trim()).map_err(|reason| Error::input(at.clone(), reason))?;
            ring.insert(kid, key).map_err(|reason| Error::input(at, reason))?;
        }
        Ok(ring)
    }

    /// Adds a key as the newest. The same id with the same key again is ignored (a key listed in two files);
    /// the same id with another key is refused: which one would verify?
    pub fn insert(&mut self, kid: KeyId, key: Vec<u8>) -> Result<(), String> {
        if !(MIN_KEY_BYTES..=MAX_KEY_BYTES).contains(&key.len()) {
            return Err(format!(
                "key \"{kid}\" is {} bytes; expected {MIN_KEY_BYTES} to {MAX_KEY_BYTES} (generate 32 with `openssl rand -hex 32`)",
                key.len()
            ));
        }
        match self.keys.iter().find(|e| e.kid == kid) {
            Some(existing) if existing.key == key => Ok(()),
            Some(_) => Err(format!("key id \"{kid}\" appears twice with different keys")),
            None => {
                let mac = keyed_mac(&key);
                self.keys.push(Entry { kid, key, mac });
                Ok(())
            }
        }
    }

    /// Adds every key of `other` after this ring's keys (so `other`'s last key becomes the newest).
    pub fn extend(&mut self, other: Keyring) -> Result<(), String> {
        other.keys.into_iter().try_for_each(|e| self.insert(e.kid, e.key))
    }

    /// The key with this id, for [`Token::verify`](super::Token::verify)'s lookup.
    pub fn get(&self, kid: &str) -> Option<&[u8]> {
        self.entry(kid).map(|e| e.key.as_slice())
    }

    /// The key that signs: the last one listed.
    pub fn newest(&self) -> Option<(&KeyId, &[u8])> {
        self.keys.last().map(|e| (&e.kid, e.key.as_slice()))
    }

    /// The key ids, oldest first.
    pub fn ids(&self) -> impl Iterator<Item = &KeyId> {
        self.keys.iter().map(|e| &e.kid)
    }

    /// [`StateCookie::open`] with this ring's keys.
    pub fn open_state(&self, text: &str, now: Timestamp) -> Result<ContactState, Error> {
        self.open_state_bytes(text, now).map(|(state, _)| state)
    }

    /// [`Keyring::open_state`], also answering the state bytes as the cookie carried them: a contact opened at the
    /// edge keeps them to tell whether a request changed its state without encoding it when it is opened.
    pub fn open_state_bytes(&self, text: &str, now: Timestamp) -> Result<(ContactState, Vec<u8>), Error> {
        StateCookie::open_with(text, &|kid| self.mac(kid), now)
    }

    /// [`StateCookie::seal`] with the newest key; `E_INPUT_INVALID` at `keys` when the ring is empty.
    pub fn seal_state(&self, state: &ContactState, expires_at: Timestamp) -> Result<String, Error> {
        let newest = self.keys.last().ok_or_else(no_key)?;
        StateCookie::seal_with(state, &newest.kid, newest.mac.clone(), expires_at)
    }

    /// [`Token::verify`] with this ring's keys.
    pub fn verify_token(&self, text: &str, now: Timestamp, purpose: Purpose) -> Result<Token, Error> {
        Token::check(text, &|kid| self.mac(kid), now, purpose).map_err(Error::InvalidToken)
    }

    /// [`Token::sign`] with the newest key; `E_INPUT_INVALID` at `keys` when the ring is empty, and at
    /// `token.expiresAt` when the token would expire when it is issued or before (every link made with it would be
    /// refused as expired, and nothing would say why until a recipient clicked).
    pub fn sign_token(&self, token: &Token) -> Result<String, Error> {
        if token.expires_at <= token.issued_at {
            return Err(Error::input(
                "token.expiresAt",
                format!(
                    "expires at {} ms, not after it is issued ({} ms): a token valid for no time at all",
                    token.expires_at.ms(),
                    token.issued_at.ms()
                ),
            ));
        }
        let newest = self.keys.last().ok_or_else(no_key)?;
        Ok(token.sign_with(&newest.kid, newest.mac.clone()))
    }

    fn entry(&self, kid: &str) -> Option<&Entry> {
        self.keys.iter().find(|e| e.kid.as_str() == kid)
    }

    fn mac(&self, kid: &str) -> Option<KeyedMac> {
        self.entry(kid).map(|e| e.mac.clone())
    }

    /// True when there is no key.
    pub fn is_empty(&self) -> bool {
        self.keys.is_empty()
    }
}

impl fmt::Debug for Keyring {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        // Key ids only: a Debug dump in a log must not leak the secrets.
        f.debug_struct("Keyring").field("ids", &self.keys.iter().map(|e| e.kid.as_str()).collect::<Vec<_>>()).finish()
    }
}

fn no_key() -> Error {
    Error::input("keys", "no key to sign with: expected lines of kid:hexkey")
}

fn unhex(hex: &str) -> Result<Vec<u8>, String> {
    let digit = |c: u8| match c {
        b'0'..=b'9' => Some(c - b'0'),
        b'a'..=b'f' => Some(c - b'a' + 10),
        b'A'..=b'F' => Some(c - b'A' + 10),
        _ => None,
    };
    let bytes = hex.as_bytes();
    if bytes.len() % 2 != 0 {
        return Err(format!("the key has an odd number of hex digits ({})", bytes.len()));
    }
    bytes
        .chunks(2)
        .enumerate()
        .map(|(i, pair)| match pair {
            [hi, lo] => match (digit(*hi), digit(*lo)) {
                (Some(h), Some(l)) => Ok(h << 4 | l),
                (None, _) => Err(format!("the key is not hex: character {} is not 0-9 or a-f", 2 * i + 1)),
                (_, None) => Err(format!("the key is not hex: character {} is not 0-9 or a-f", 2 * i + 2)),
            },
            _ => Err(String::from("the key has an odd number of hex digits")),
        })
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    const K16: &str = "000102030405060708090a0b0c0d0e0f";

    fn err(text: &str) -> String {
        Keyring::parse(text).unwrap_err().to_string()
    }

    #[test]
    fn last_line_is_the_newest_key_and_comments_are_skipped() {
        let ring = Keyring::parse(&format!("# example only\n\n a:{K16} \nb : {}\n", "ff".repeat(32))).unwrap();
        assert_eq!(ring.ids().map(KeyId::as_str).collect::<Vec<_>>(), ["a", "b"]);
        assert_eq!(ring.newest().map(|(_, key)| key.len()), Some(32));
        assert_eq!(ring.get("a").and_then(|k| k.get(15)).copied(), Some(0x0f));
    }

    #[test]
    fn the_rings_keyed_macs_sign_and_check_exactly_as_the_raw_keys_do() {
        let ring = Keyring::parse(&format!("old:{K16}\nnew:{}\n", "ab".repeat(32))).unwrap();
        let (new, new_key) = ring.newest().unwrap();
        let (old, old_key) = (KeyId::parse("old").unwrap(), ring.get("old").unwrap());
        let raw = |kid: &str| ring.get(kid);
        let now = Timestamp::from_ms(1_795_694_400_000).unwrap();
        let later = Timestamp::from_ms(1_795_694_400_000 + 86_400_000).unwrap();
        let state = ContactState::new();
        let sealed = ring.seal_state(&state, later).unwrap();
        assert_eq!(sealed, StateCookie::seal(&state, new, new_key, later).unwrap());
        assert_eq!(ring.open_state(&sealed, now).unwrap(), state);
        let by_old = StateCookie::seal(&state, &old, old_key, later).unwrap();
        assert_eq!(ring.open_state(&by_old, now).unwrap(), state, "an older key still opens what it sealed");
        let stranger = StateCookie::seal(&state, &KeyId::parse("gone").unwrap(), old_key, later).unwrap();
        assert_eq!(
            ring.open_state(&stranger, now).unwrap_err().code(),
            StateCookie::open(&stranger, &raw, now).unwrap_err().code()
        );
        let token = Token {
            purpose: Purpose::Unsubscribe,
            contact: super::super::ContactRef::parse("cus_1").unwrap(),
            topic: None,
            issued_at: now,
            expires_at: later,
        };
        let signed = ring.sign_token(&token).unwrap();
        assert_eq!(signed, token.sign(new, new_key));
        assert_eq!(ring.verify_token(&signed, now, Purpose::Unsubscribe), Ok(token.clone()));
        assert_eq!(ring.verify_token(&token.sign(&old, old_key), now, Purpose::Unsubscribe), Ok(token.clone()));
        let last = if signed.ends_with('A') { 'B' } else { 'A' };
        let forged = format!("{}{last}", &signed[..signed.len() - 1]);
        assert!(ring.verify_token(&forged, now, Purpose::Unsubscribe).is_err());
        assert!(Token::verify(&signed, &raw, now, Purpose::Preferences).is_err());
        assert!(ring.verify_token(&signed, now, Purpose::Preferences).is_err());
        let empty = Keyring::new();
        assert_eq!(
            empty.seal_state(&state, later).unwrap_err().to_string(),
            "keys: no key to sign with: expected lines of kid:hexkey"
        );
        assert!(empty.sign_token(&token).is_err());
        assert!(empty.open_state(&sealed, now).is_err());
    }

    #[test]
    fn bad_lines_name_the_line_and_never_quote_the_key() {
        assert_eq!(
            err(&format!("a:{K16}\nnope")),
            "line 2: expected kid:hexkey, like 2026-11:<64 hex digits> (no ':' found)"
        );
        assert!(err("a.b:00").starts_with("line 1: expected a key id of 1 to 32 letters"), "{}", err("a.b:00"));
        let secret = "00112233445566778899aabbccddeefg";
        let message = err(&format!("a:{secret}"));
        assert_eq!(message, "line 1: the key is not hex: character 32 is not 0-9 or a-f");
        assert!(!message.contains("0011"));
        assert!(err("a:abc").contains("odd number of hex digits"));
        assert!(err("a:00ff").contains("is 2 bytes; expected 16 to 64"));
        assert!(err(&format!("a:{}", "00".repeat(65))).contains("is 65 bytes"));
    }

    #[test]
    fn a_key_id_twice_is_fine_with_the_same_key_and_refused_with_another() {
        assert_eq!(Keyring::parse(&format!("a:{K16}\na:{K16}")).unwrap().ids().count(), 1);
        assert_eq!(
            err(&format!("a:{K16}\na:{}", "11".repeat(16))),
            "line 2: key id \"a\" appears twice with different keys"
        );
    }

    #[test]
    fn a_token_that_would_expire_when_issued_or_before_is_refused_at_expires_at() {
        let ring = Keyring::parse(&format!("a:{K16}")).unwrap();
        let at = |ms| Timestamp::from_ms(ms).unwrap();
        let token = |issued, expires| Token {
            purpose: Purpose::Unsubscribe,
            contact: super::super::ContactRef::parse("cus_1").unwrap(),
            topic: None,
            issued_at: at(issued),
            expires_at: at(expires),
        };
        for expires in [1_000, 999] {
            let e = ring.sign_token(&token(1_000, expires)).unwrap_err();
            assert_eq!((e.code().as_str(), e.path().as_deref()), ("E_INPUT_INVALID", Some("token.expiresAt")));
            assert_eq!(
                e.to_string(),
                format!("token.expiresAt: expires at {expires} ms, not after it is issued (1000 ms): a token valid for no time at all")
            );
        }
        assert!(ring.sign_token(&token(1_000, 1_001)).is_ok(), "one millisecond is a (short) validity");
    }

    #[test]
    fn debug_output_lists_ids_but_not_keys() {
        let ring = Keyring::parse(&format!("a:{K16}")).unwrap();
        assert_eq!(format!("{ring:?}"), "Keyring { ids: [\"a\"] }");
    }
}
