//! Base64url without padding (RFC 4648 §5), strict: the decoder accepts exactly the strings the encoder writes.
//!
//! Strictness matters for signed text: a lenient decoder (padding, whitespace, non-zero trailing bits) would let
//! several strings verify as the same token, so a token could not be used as a key (replay lists, logs).

#[cfg(test)]
use alloc::string::String;
use alloc::vec::Vec;

const ALPHABET: &[u8; 64] = b"ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_";

/// Encodes `bytes` as base64url without padding (tests; sealing appends with [`encode_into`]).
#[cfg(test)]
pub(crate) fn encode(bytes: &[u8]) -> String {
    let mut out = Vec::with_capacity(bytes.len().div_ceil(3) * 4);
    encode_into(bytes, &mut out);
    // Every byte written is from ALPHABET (ASCII), so this is always valid UTF-8.
    String::from_utf8(out).unwrap_or_default()
}

/// Appends `bytes` as base64url without padding to `out`: whole 3-byte groups first, then the 1 or 2 left
/// (a per-character `String::push` and a generic chunk iterator were 8 % of the edge's per-page time at opt-level z).
pub(crate) fn encode_into(bytes: &[u8], out: &mut Vec<u8>) {
    let sextet = |v: u32| ALPHABET.get((v & 0x3f) as usize).copied().unwrap_or(b'A');
    let groups = bytes.chunks_exact(3);
    let rest = groups.remainder();
    for group in groups {
        if let [a, b, c] = *group {
            let n = (u32::from(a) << 16) | (u32::from(b) << 8) | u32::from(c);
            out.extend_from_slice(&[sextet(n >> 18), sextet(n >> 12), sextet(n >> 6), sextet(n)]);
        }
    }
    match *rest {
        [a] => {
            let n = u32::from(a) << 16;
            out.extend_from_slice(&[sextet(n >> 18), sextet(n >> 12)]);
        }
        [a, b] => {
            let n = (u32::from(a) << 16) | (u32::from(b) << 8);
            out.extend_from_slice(&[sextet(n >> 18), sextet(n >> 12), sextet(n >> 6)]);
        }
        _ => {}
    }
}

/// Why a base64url string was refused: the offset (within the string) and what was expected there.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) struct DecodeError {
    pub(crate) at: usize,
    pub(crate) expected: &'static str,
}

#[inline(always)]
fn value(c: u8) -> Option<u32> {
    let v = match c {
        b'A'..=b'Z' => c - b'A',
        b'a'..=b'z' => c - b'a' + 26,
        b'0'..=b'9' => c - b'0' + 52,
        b'-' => 62,
        b'_' => 63,
        _ => return None,
    };
    Some(u32::from(v))
}

/// Decodes strict base64url: alphabet `A–Z a–z 0–9 - _`, no padding, no whitespace, unused trailing bits zero.
pub(crate) fn decode(text: &[u8]) -> Result<Vec<u8>, DecodeError> {
    if text.len() % 4 == 1 {
        return Err(DecodeError { at: text.len().saturating_sub(1), expected: "a base64url length (not 4n+1)" });
    }
    let mut out = Vec::with_capacity(text.len() / 4 * 3 + 2);
    // Whole groups of four first, straight into three bytes; a group with a character outside the alphabet, and
    // the last short group, go through the checking loop below, which says where (a generic chunk iterator per
    // character was a twelfth of the edge's per-page time at opt-level z).
    let mut done = 0;
    for group in text.chunks_exact(4) {
        let [a, b, c, d] = *group else { break };
        let (Some(a), Some(b), Some(c), Some(d)) = (value(a), value(b), value(c), value(d)) else { break };
        let n = (a << 18) | (b << 12) | (c << 6) | d;
        out.extend_from_slice(&[(n >> 16) as u8, (n >> 8) as u8, n as u8]);
        done += 1;
    }
    let rest = text.get(done * 4..).unwrap_or_default();
    for (index, chunk) in rest.chunks(4).enumerate() {
        let start = (done + index) * 4;
        let mut n = 0u32;
        for (i, &c) in chunk.iter().enumerate() {
            let v =
                value(c).ok_or(DecodeError { at: start + i, expected: "a base64url character (A-Z a-z 0-9 - _)" })?;
            n |= v << (18 - 6 * i);
        }
        let bytes = [(n >> 16) as u8, (n >> 8) as u8, n as u8];
        // A chunk of k characters carries k-1 whole bytes; the bits after them must be zero (canonical form).
        let whole = chunk.len() - 1;
        let unused_mask = match chunk.len() {
            2 => 0x00_ffff,
            3 => 0x00_00ff,
            _ => 0,
        };
        if n & unused_mask != 0 {
            return Err(DecodeError {
                at: start + chunk.len() - 1,
                expected: "canonical base64url (unused bits zero)",
            });
        }
        out.extend(bytes.iter().take(whole));
    }
    Ok(out)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn encodes_the_rfc_4648_test_vectors_without_padding() {
        // RFC 4648 §10, padding removed (base64 and base64url agree on these).
        for (plain, coded) in [
            ("", ""),
            ("f", "Zg"),
            ("fo", "Zm8"),
            ("foo", "Zm9v"),
            ("foob", "Zm9vYg"),
            ("fooba", "Zm9vYmE"),
            ("foobar", "Zm9vYmFy"),
        ] {
            assert_eq!(encode(plain.as_bytes()), coded);
            assert_eq!(decode(coded.as_bytes()).unwrap(), plain.as_bytes());
        }
    }

    #[test]
    fn uses_the_url_safe_alphabet() {
        assert_eq!(encode(&[0xfb, 0xff]), "-_8");
        assert_eq!(decode(b"-_8").unwrap(), [0xfb, 0xff]);
    }

    #[test]
    fn refuses_padding_foreign_characters_bad_lengths_and_non_canonical_tails() {
        assert_eq!(decode(b"Zg==").unwrap_err().at, 2);
        assert_eq!(decode(b"Zm+v").unwrap_err().at, 2);
        assert_eq!(decode(b"Zm9vY").unwrap_err().at, 4);
        // "Zh" decodes to "f" too if the low bits were ignored; only "Zg" is canonical.
        assert_eq!(
            decode(b"Zh").unwrap_err(),
            DecodeError { at: 1, expected: "canonical base64url (unused bits zero)" }
        );
        assert_eq!(decode(b"Zm9").unwrap_err().at, 2);
    }

    #[test]
    fn round_trips_every_length_and_names_a_foreign_character_wherever_it_is() {
        let bytes: Vec<u8> = (0..=255u8).rev().chain(0..=255).collect();
        for len in 0..bytes.len() {
            let plain = bytes.get(..len).unwrap_or_default();
            let coded = encode(plain);
            assert_eq!(decode(coded.as_bytes()).as_deref(), Ok(plain), "length {len}");
        }
        // In a whole group or the last short one, first or last group: the offset of the character itself.
        let coded = encode(&bytes[..50]).into_bytes();
        for at in [0, 3, 4, 30, coded.len() - 5, coded.len() - 1] {
            let mut bad = coded.clone();
            bad[at] = b'=';
            assert_eq!(decode(&bad).unwrap_err().at, at, "{}", String::from_utf8_lossy(&bad));
        }
    }
}
