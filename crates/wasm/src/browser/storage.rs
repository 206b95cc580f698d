//! A contact state in `localStorage`, base64-encoded. Storage can be absent, full or blocked (Safari private
//! mode, sandboxed iframes, a user's settings): every call degrades to "nothing stored" instead of throwing,
//! and a stored value that is not a valid state is treated as absent — the page never breaks because of us.

use rekindle_core::ContactState;
use wasm_bindgen::prelude::*;

fn storage() -> Option<web_sys::Storage> {
    web_sys::window()?.local_storage().ok().flatten()
}

/// The state stored under `key`, or `undefined` when absent, unreadable or not a valid state.
#[wasm_bindgen(js_name = loadState)]
pub fn load_state(key: &str) -> Option<Vec<u8>> {
    let text = storage()?.get_item(key).ok().flatten()?;
    let bytes = decode(&text)?;
    ContactState::from_bytes(&bytes).ok().map(|_| bytes)
}

/// Stores state bytes under `key`; `false` when storage is unavailable or full.
#[wasm_bindgen(js_name = saveState)]
pub fn save_state(key: &str, bytes: &[u8]) -> bool {
    storage().is_some_and(|s| s.set_item(key, &encode(bytes)).is_ok())
}

/// Removes the state under `key`; `false` when storage is unavailable.
#[wasm_bindgen(js_name = clearState)]
pub fn clear_state(key: &str) -> bool {
    storage().is_some_and(|s| s.remove_item(key).is_ok())
}

const ALPHABET: &[u8; 64] = b"ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/";

fn encode(bytes: &[u8]) -> String {
    let mut out = String::with_capacity(bytes.len().div_ceil(3) * 4);
    for chunk in bytes.chunks(3) {
        let b = [
            chunk.first().copied().unwrap_or(0),
            chunk.get(1).copied().unwrap_or(0),
            chunk.get(2).copied().unwrap_or(0),
        ];
        let n = (u32::from(b[0]) << 16) | (u32::from(b[1]) << 8) | u32::from(b[2]);
        for (i, shift) in [18u32, 12, 6, 0].into_iter().enumerate() {
            if i <= chunk.len() {
                out.push(char::from(ALPHABET.get(((n >> shift) & 63) as usize).copied().unwrap_or(b'A')));
            } else {
                out.push('=');
            }
        }
    }
    out
}

fn decode(text: &str) -> Option<Vec<u8>> {
    let digits: Vec<u32> = text
        .trim_end_matches('=')
        .bytes()
        .map(|c| ALPHABET.iter().position(|a| *a == c).map(|p| p as u32))
        .collect::<Option<_>>()?;
    let mut out = Vec::with_capacity(digits.len() * 3 / 4);
    for chunk in digits.chunks(4) {
        let n = chunk.iter().enumerate().fold(0u32, |n, (i, d)| n | (d << (18 - 6 * i as u32)));
        let bytes = [(n >> 16) as u8, (n >> 8) as u8, n as u8];
        match chunk.len() {
            4 => out.extend_from_slice(&bytes),
            3 => out.extend_from_slice(bytes.get(..2)?),
            2 => out.extend_from_slice(bytes.get(..1)?),
            _ => return None,
        }
    }
    Some(out)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn base64_round_trips_every_length() {
        for len in 0..40u8 {
            let bytes: Vec<u8> = (0..len).map(|i| i.wrapping_mul(37)).collect();
            assert_eq!(decode(&encode(&bytes)), Some(bytes));
        }
        assert_eq!(encode(b"Man"), "TWFu");
        assert_eq!(encode(b"Ma"), "TWE=");
        assert_eq!(decode("not base64!"), None);
    }
}
