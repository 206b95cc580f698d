//! Every zone against the system tz database's own dump: `scripts/gen-zones.mjs` ran `zdump -i -c 2025,2045`
//! for every zone and kept, in `zdump.txt`, an FNV-1a 64 digest of each zone's offset changes over the window
//! (`"first,t:offset,…"`, UTC seconds, abbreviation-only changes dropped). Here the Rust code rebuilds the same
//! sequence from its own offsets and must hash the same. A mismatch names the zone and prints the changes
//! rekindle computed, to compare with `zdump -i -c 2025,2045 <zone>`.

use super::changes::Changes;
use super::table::WINDOW;
use super::*;

/// Sampling step: `gen-zones.mjs` checks that no two changes in the window are this close (the closest are a
/// week apart), so a sample cannot miss one, and a change is then found to the second by bisection.
const STEP: i64 = 6 * 3600;

fn fnv1a(text: &str) -> String {
    let hash = text.bytes().fold(0xcbf2_9ce4_8422_2325_u64, |h, b| (h ^ u64::from(b)).wrapping_mul(0x0100_0000_01b3));
    format!("{hash:016x}")
}

/// `"first,t:offset,…"` for `zone` over the window, from its offsets sampled every `STEP` and bisected.
fn changes_text(zone: &Zone) -> String {
    let (from, to) = (i64::from(WINDOW.0), i64::from(WINDOW.1));
    let mut offset = zone.offset_at_seconds(from);
    let mut text = offset.to_string();
    let mut before = from;
    while before < to {
        let sample = (before + STEP).min(to - 1);
        let now = zone.offset_at_seconds(sample);
        if now != offset {
            // The change is in (before, sample]: bisect for the first second with the new offset.
            let (mut lo, mut hi) = (before, sample);
            while hi - lo > 1 {
                let mid = lo + (hi - lo) / 2;
                if zone.offset_at_seconds(mid) == offset {
                    lo = mid;
                } else {
                    hi = mid;
                }
            }
            text.push_str(&format!(",{hi}:{now}"));
            offset = now;
        }
        before = sample.max(before + 1);
    }
    text
}

#[test]
fn every_zone_changes_offset_when_zdump_says() {
    let fixture = include_str!("zdump.txt");
    // Zones sharing a rule and a change list give the same sequence: compute it once per pair.
    let mut seen: Vec<(Rule, Changes, String)> = Vec::new();
    let mut zones = 0;
    for line in fixture.lines().filter(|l| !l.starts_with('#')) {
        let (digest, names) = line.split_once(' ').unwrap();
        for name in names.split(' ') {
            let zone = Zone::find(name).unwrap_or_else(|| panic!("zdump.txt names {name}, the table does not"));
            let text = match seen.iter().find(|(r, c, _)| *r == zone.rule && *c == zone.changes) {
                Some((.., text)) => text.clone(),
                None => {
                    let text = changes_text(&zone);
                    seen.push((zone.rule, zone.changes, text.clone()));
                    text
                }
            };
            assert_eq!(fnv1a(&text), digest, "{name}: rekindle's changes {text}");
            zones += 1;
        }
    }
    assert_eq!(zones, super::tests::table_names().len(), "zdump.txt covers every zone");
}

#[test]
fn fnv1a_matches_the_generators() {
    // FNV-1a 64's published vectors; the generator's `fnv1a` gives the same.
    assert_eq!(fnv1a(""), "cbf29ce484222325");
    assert_eq!(fnv1a("a"), "af63dc4c8601ec8c");
}

/// At every listed change: a skipped local time is read forward by the gap, a repeated one at its first
/// occurrence, and the readings just outside either are plain.
#[test]
fn listed_changes_skip_gaps_and_take_first_occurrences() {
    for name in ["Africa/Casablanca", "Africa/El_Aaiun", "Asia/Gaza", "Asia/Hebron"] {
        let zone = Zone::find(name).unwrap();
        // (UTC seconds, offset in seconds) from the packed (hours since the previous, minutes) form.
        let mut at = i64::from(WINDOW.0);
        let list: Vec<(i64, i64)> = zone
            .changes
            .iter()
            .map(|&(hours, minutes)| {
                at += i64::from(hours) * 3600;
                (at, i64::from(minutes) * 60)
            })
            .collect();
        assert!(list.len() > 40, "{name}: {} changes", list.len());
        let instant = |local: i64| zone.instant_at_local(local).ms() / 1000;
        for pair in list.windows(2) {
            let [(_, before), (at, after)] = [pair[0], pair[1]];
            // Readings before the change's local time in the old offset, and after it in the new one.
            assert_eq!(instant(at + before - 60), at - 60, "{name} at {at}");
            assert_eq!(instant(at + before.max(after)), at + before.max(after) - after, "{name} at {at}");
            let (low, high) = (before.min(after), before.max(after));
            for local in [at + low, at + (low + high) / 2, at + high - 1] {
                // Gap (after > before): skipped forward, `local − before`. Repeat: first occurrence, also
                // `local − before`, the old offset's instant.
                assert_eq!(instant(local), local - before, "{name} change at {at}, local {local}");
            }
        }
    }
}
