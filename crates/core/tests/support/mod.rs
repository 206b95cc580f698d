//! Helpers shared by the property tests (`mod support;` in each test crate that needs them).

/// A deterministic Fisher-Yates shuffle from `seed` (xorshift64): the same seed, the same order, so a failing
/// proptest case replays exactly.
pub fn shuffle<T>(list: &mut [T], seed: u64) {
    let mut x = seed | 1;
    for i in (1..list.len()).rev() {
        x ^= x << 13;
        x ^= x >> 7;
        x ^= x << 17;
        list.swap(i, (x % (i as u64 + 1)) as usize);
    }
}
