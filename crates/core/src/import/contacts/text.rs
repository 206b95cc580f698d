//! Cell text: bytes to `String` (UTF-8, else Windows-1252), header labels to field names, vendor dates.

use alloc::format;
use alloc::string::String;

use crate::time::Timestamp;
use crate::value::Value;
use crate::zone::civil::civil_from_days;

/// Windows-1252's 0x80–0x9F (0 where the code page leaves a hole: read as the C1 control of that number).
const CP1252_HIGH: [u16; 32] = [
    0x20AC, 0, 0x201A, 0x0192, 0x201E, 0x2026, 0x2020, 0x2021, 0x02C6, 0x2030, 0x0160, 0x2039, 0x0152, 0, 0x017D, 0, 0,
    0x2018, 0x2019, 0x201C, 0x201D, 0x2022, 0x2013, 0x2014, 0x02DC, 0x2122, 0x0161, 0x203A, 0x0153, 0, 0x017E, 0x0178,
];

/// A field's text, and whether it had to be read as Windows-1252 (it was not UTF-8: Excel's "CSV" on Windows).
///
/// ```
/// # use rekindle_core::import::contacts::decode_field;
/// assert_eq!(decode_field(b"K\xF6ln \x80"), ("Köln €".to_string(), true));
/// assert_eq!(decode_field("Köln".as_bytes()), ("Köln".to_string(), false));
/// ```
pub fn decode_field(bytes: &[u8]) -> (String, bool) {
    match core::str::from_utf8(bytes) {
        Ok(s) => (String::from(s), false),
        Err(_) => (bytes.iter().map(|&b| cp1252(b)).collect(), true),
    }
}

fn cp1252(b: u8) -> char {
    let code = match b {
        0x80..=0x9F => match CP1252_HIGH.get(usize::from(b - 0x80)) {
            Some(0) | None => u32::from(b),
            Some(&c) => u32::from(c),
        },
        _ => u32::from(b),
    };
    char::from_u32(code).unwrap_or('\u{FFFD}')
}

/// `First Name` → `first_name`, `MEMBER_RATING` → `member_rating`, `Opted out of email: News` →
/// `opted_out_of_email_news`, `$email` → `email`: lower-case letters and digits (any script), runs of anything
/// else become one `_`, none at the ends.
pub(crate) fn snake_case(label: &str) -> String {
    let mut out = String::with_capacity(label.len());
    let mut gap = false;
    let mut prev_lower = false;
    for c in label.trim().chars() {
        if c.is_alphanumeric() {
            // camelCase boundaries (`firstName` → `first_name`)
            if (gap || (prev_lower && c.is_uppercase())) && !out.is_empty() {
                out.push('_');
            }
            gap = false;
            prev_lower = c.is_lowercase() || c.is_ascii_digit();
            out.extend(c.to_lowercase());
        } else {
            gap = true;
            prev_lower = false;
        }
    }
    out
}

/// A vendor date read as UTC (formats in the module docs of `contacts`).
pub(crate) fn vendor_time(text: &str) -> Option<Timestamp> {
    let t = text.trim();
    let b = t.as_bytes();
    if (12..=13).contains(&b.len()) && b.iter().all(u8::is_ascii_digit) {
        return t.parse::<i64>().ok().and_then(Timestamp::from_ms);
    }
    if let Ok(ts) = Timestamp::from_value(&Value::String(t.into())) {
        return Some(ts);
    }
    let (date, time) = match t.split_once([' ', 'T']) {
        Some((d, rest)) => (d, Some(rest.trim())),
        None => (t, None),
    };
    let (year, month, day) = if date.contains('-') {
        let mut parts = date.split('-');
        let y = number(parts.next()?, 4, 4)?;
        let m = number(parts.next()?, 1, 2)?;
        let d = number(parts.next()?, 1, 2)?;
        parts.next().is_none().then_some((y, m, d))?
    } else {
        let mut parts = date.split('/');
        let m = number(parts.next()?, 1, 2)?;
        let d = number(parts.next()?, 1, 2)?;
        let y = number(parts.next()?, 4, 4)?;
        parts.next().is_none().then_some((y, m, d))?
    };
    let (hour, minute, second) = match time {
        None | Some("") => (0, 0, 0),
        Some(time) => clock(time)?,
    };
    let iso = format!("{year:04}-{month:02}-{day:02}T{hour:02}:{minute:02}:{second:02}Z");
    Timestamp::from_value(&Value::String(iso)).ok()
}

/// `14:40:47`, `09:14`, `2:30 PM`, `12:05 am`; a trailing `Z` or `UTC` is allowed.
fn clock(text: &str) -> Option<(i64, i64, i64)> {
    let text = text.trim_end_matches('Z').trim_end_matches("UTC").trim();
    let (hms, meridiem) = match text.rsplit_once(' ') {
        Some((hms, m)) if m.eq_ignore_ascii_case("am") => (hms.trim(), Some(false)),
        Some((hms, m)) if m.eq_ignore_ascii_case("pm") => (hms.trim(), Some(true)),
        _ => (text, None),
    };
    let mut parts = hms.split(':');
    let mut hour = number(parts.next()?, 1, 2)?;
    let minute = number(parts.next()?, 2, 2)?;
    let second = match parts.next() {
        Some(s) => number(s, 2, 2)?,
        None => 0,
    };
    if parts.next().is_some() {
        return None;
    }
    if let Some(pm) = meridiem {
        if !(1..=12).contains(&hour) {
            return None;
        }
        hour = hour % 12 + if pm { 12 } else { 0 };
    }
    Some((hour, minute, second))
}

fn number(text: &str, min: usize, max: usize) -> Option<i64> {
    let ok = (min..=max).contains(&text.len()) && text.bytes().all(|b| b.is_ascii_digit());
    ok.then(|| text.parse().ok()).flatten()
}

/// `2015-03-16T14:40:47Z` (milliseconds only when there are some).
pub(crate) fn rfc3339(t: Timestamp) -> String {
    let ms = t.ms();
    let days = ms.div_euclid(86_400_000);
    let rest = ms.rem_euclid(86_400_000);
    let (y, m, d) = civil_from_days(days);
    let (h, min, s, milli) = (rest / 3_600_000, rest / 60_000 % 60, rest / 1000 % 60, rest % 1000);
    if milli == 0 {
        format!("{y:04}-{m:02}-{d:02}T{h:02}:{min:02}:{s:02}Z")
    } else {
        format!("{y:04}-{m:02}-{d:02}T{h:02}:{min:02}:{s:02}.{milli:03}Z")
    }
}
