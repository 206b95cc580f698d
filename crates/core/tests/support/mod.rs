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

/// `(year, month, day, hour, minute, second)` of epoch milliseconds in UTC (Howard Hinnant's `civil_from_days`):
/// the reference the import audits write vendor dates from, independent of the crate's own calendar code.
#[allow(dead_code)]
pub fn civil(ms: i64) -> (i64, i64, i64, i64, i64, i64) {
    let days = ms.div_euclid(86_400_000);
    let secs = ms.rem_euclid(86_400_000) / 1000;
    let z = days + 719_468;
    let era = z.div_euclid(146_097);
    let doe = z - era * 146_097;
    let yoe = (doe - doe / 1460 + doe / 36_524 - doe / 146_096) / 365;
    let doy = doe - (365 * yoe + yoe / 4 - yoe / 100);
    let mp = (5 * doy + 2) / 153;
    let d = doy - (153 * mp + 2) / 5 + 1;
    let m = if mp < 10 { mp + 3 } else { mp - 9 };
    let y = yoe + era * 400 + i64::from(m <= 2);
    (y, m, d, secs / 3600, secs / 60 % 60, secs % 60)
}
