//! Case-insensitive text for playbook matching (`"VP"` = `"vp"`, `"/Pricing"` matches `/pricing*`).
//!
//! Simple one-to-one folding for Latin (ASCII, Latin-1, Latin Extended-A: Polish, Czech, German, French,
//! Nordic…), Greek and Cyrillic; other scripts compare as written. Not `str::to_lowercase`: its Unicode
//! tables cost 18 KB of wasm (about a tenth of the module) for scripts marketing playbooks rarely hold.

use alloc::string::String;

/// The folded form of `text`.
///
/// ```
/// # use rekindle_core::casefold::fold;
/// assert_eq!(fold("Łódź ŻÓŁW Straße"), "łódź żółw straße");
/// assert_eq!(fold("ΑΘΗΝΑ Москва"), "αθηνα москва");
/// ```
pub fn fold(text: &str) -> String {
    text.chars().map(fold_char).collect()
}

/// Where `needle` first occurs in `text` (a byte offset), comparing at each position: `str::find` and
/// `str::contains` with a text pattern bring core's two-way searcher, and the panic formatting behind it, into
/// every wasm build for needles a few bytes long.
///
/// ```
/// # use rekindle_core::casefold::find;
/// assert_eq!((find("https://a.test", "://"), find("/x", "://"), find("ab", "")), (Some(5), None, Some(0)));
/// ```
pub fn find(text: &str, needle: &str) -> Option<usize> {
    if needle.is_empty() {
        return Some(0);
    }
    text.as_bytes().windows(needle.len()).position(|w| w == needle.as_bytes())
}

/// Whether `text` folds to `folded` (a text already folded), without building the folded copy. ASCII text,
/// nearly every field value, folds byte for byte: compared as bytes, lengths first.
///
/// ```
/// # use rekindle_core::casefold::eq_folded;
/// assert!(eq_folded("vp sales", "VP Sales") && eq_folded("łódź", "ŁÓDŹ") && !eq_folded("ceo", "CEOs"));
/// ```
pub fn eq_folded(folded: &str, text: &str) -> bool {
    let (f, t) = (folded.as_bytes(), text.as_bytes());
    let mut i = 0;
    while let (Some(&fb), Some(&tb)) = (f.get(i), t.get(i)) {
        if !tb.is_ascii() {
            // Everything before was the same ASCII in both, so `i` is a character boundary in both.
            let (Some(f), Some(t)) = (folded.get(i..), text.get(i..)) else { return false };
            return f.chars().eq(t.chars().map(fold_char));
        }
        if fb != tb.to_ascii_lowercase() {
            return false; // an ASCII character folds to one ASCII character: this one differs
        }
        i += 1;
    }
    // One ran out with all ASCII so far: equal only if both did (any character left folds to one or more).
    f.len() == t.len()
}

/// Whether `text` starts with `prefix` once folded (`prefix` already folded), without building the copy.
///
/// ```
/// # use rekindle_core::casefold::starts_with_folded;
/// assert!(starts_with_folded("/Pricing/Team", "/pricing") && !starts_with_folded("/pri", "/pricing"));
/// ```
pub fn starts_with_folded(text: &str, prefix: &str) -> bool {
    match text.get(..prefix.len()) {
        Some(head) if head.is_ascii() => eq_folded(prefix, head),
        _ => {
            let mut folded = text.chars().map(fold_char);
            prefix.chars().all(|c| folded.next() == Some(c))
        }
    }
}

/// One character, folded.
pub fn fold_char(c: char) -> char {
    let u = u32::from(c);
    let lower = match u {
        0x41..=0x5A => u + 32,
        0xC0..=0xDE if u != 0xD7 => u + 32,
        0x100..=0x137 | 0x14A..=0x177 if u % 2 == 0 => u + 1,
        0x139..=0x148 | 0x179..=0x17E if u % 2 == 1 => u + 1,
        0x130 => 0x69, // İ → i (the simple mapping)
        0x178 => 0xFF, // Ÿ → ÿ
        0x391..=0x3A9 if u != 0x3A2 => u + 32,
        0x400..=0x40F => u + 80,
        0x410..=0x42F => u + 32,
        _ => u,
    };
    char::from_u32(lower).unwrap_or(c)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn folding_agrees_with_unicode_lowercase_on_the_covered_ranges() {
        let ranges = [0x41..=0x5A, 0xC0..=0xDE, 0x100..=0x17F, 0x391..=0x3A9, 0x400..=0x42F];
        for range in ranges {
            for u in range {
                let Some(c) = char::from_u32(u) else { continue };
                let mut std = c.to_lowercase();
                let (Some(one), None) = (std.next(), std.next()) else { continue }; // İ: two chars in std
                assert_eq!(fold_char(c), one, "U+{u:04X}");
            }
        }
    }

    #[test]
    fn comparing_without_folding_agrees_with_folding_first() {
        // Pairs of every mix: ASCII only, non-ASCII first / middle / last, İ (two bytes folding to one), lengths
        // off by one either way, and each text against every other.
        let texts = [
            "",
            "a",
            "A",
            "ab",
            "AB",
            "abc",
            "vp sales",
            "VP Sales",
            "VP Saless",
            "ceo",
            "CEOs",
            "Łódź",
            "łódź",
            "ŁÓDŹ",
            "łódźx",
            "xŁódź",
            "İ",
            "i",
            "İi",
            "ii",
            "/Pricing/Team",
            "/pricing/team",
            "/pricing/tea",
            "Straße",
            "STRASSE",
            "Москва",
            "москва",
            "МОСКВa",
            "ΑΘΗΝΑ",
            "αθηνα",
            "a\u{e9}",
            "A\u{c9}",
            "a\u{e9}b",
        ];
        for folded in texts.iter().map(|t| fold(t)) {
            for text in texts {
                assert_eq!(eq_folded(&folded, text), fold(text) == folded, "{folded:?} vs {text:?}");
                let prefix_expected = fold(text).starts_with(folded.as_str());
                assert_eq!(starts_with_folded(text, &folded), prefix_expected, "{text:?} starts with {folded:?}");
            }
        }
    }
}
