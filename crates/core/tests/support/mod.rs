//! Helpers shared by the property tests (`mod support;` in each test crate that needs them).

/// A deterministic Fisher-Yates shuffle from `seed` (xorshift64): the same seed, the same order, so a failing
/// proptest case replays exactly.
#[allow(dead_code)]
pub fn shuffle<T>(list: &mut [T], seed: u64) {
    let mut x = seed | 1;
    for i in (1..list.len()).rev() {
        x ^= x << 13;
        x ^= x >> 7;
        x ^= x << 17;
        list.swap(i, (x % (i as u64 + 1)) as usize);
    }
}

/// Folds `events` in batches cut at `cuts` (clamped, in order), the state going through its byte form between
/// batches as a cookie or a database row holds it. Not every test crate that includes this module folds in batches.
#[allow(dead_code)]
pub fn fold_batches(
    pb: &rekindle_core::Playbook,
    events: &[rekindle_core::Event],
    cuts: &[usize],
) -> rekindle_core::ContactState {
    let mut s = rekindle_core::ContactState::new();
    let mut start = 0;
    for &c in cuts.iter().chain([&events.len()]) {
        let c = c.clamp(start, events.len());
        s.fold(pb, &events[start..c]);
        s = rekindle_core::ContactState::from_bytes(&s.to_bytes()).expect("a state reads back its own bytes");
        start = c;
    }
    s
}
