//! Instants and durations. No clock: `now` is always an argument.
//!
//! `Timestamp` is UTC milliseconds since the Unix epoch — the same number as JS `Date.now()`. `Span` is a
//! positive duration written with one unit: `s`, `min`, `h`, `d` (exactly 86 400 s), `w`. No months.

use alloc::format;
use alloc::string::String;
use core::fmt;

use serde::{Serialize, Serializer};

use crate::value::{Value, ValueRef};

/// Milliseconds in a second, minute, hour, day, week.
const SECOND: i64 = 1_000;
const MINUTE: i64 = 60 * SECOND;
const HOUR: i64 = 60 * MINUTE;
const DAY: i64 = 24 * HOUR;
const WEEK: i64 = 7 * DAY;

/// Largest instant accepted: year 275760, the end of the JS `Date` range.
const MAX_MS: i64 = 8_640_000_000_000_000;

/// An instant: UTC milliseconds since the Unix epoch.
///
/// ```
/// # use rekindle_core::{Timestamp, Value};
/// let t = Timestamp::parse(&Value::String("2026-11-01T00:00:00Z".into()), "now").unwrap();
/// assert_eq!(t, Timestamp::from_ms(1_793_491_200_000).unwrap());
/// ```
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub struct Timestamp(i64);

/// Epoch milliseconds below this (1973-03-03) are epoch seconds of today written where milliseconds belong
/// ([`Timestamp::looks_like_seconds`]).
pub const SECONDS_NOT_MS: i64 = 100_000_000_000;

impl Timestamp {
    /// 1970-01-01T00:00:00Z.
    pub const EPOCH: Timestamp = Timestamp(0);

    /// Whether this is an instant before [`SECONDS_NOT_MS`] (1973-03-03) but not before the epoch: epoch seconds of
    /// today (1.7e9) read as milliseconds. Retention refuses such order instants and the CLI such events, alike.
    ///
    /// ```
    /// # use rekindle_core::Timestamp;
    /// assert!(Timestamp::from_ms(1_764_547_200).unwrap().looks_like_seconds());
    /// assert!(!Timestamp::from_ms(1_764_547_200_000).unwrap().looks_like_seconds());
    /// ```
    pub fn looks_like_seconds(self) -> bool {
        (0..SECONDS_NOT_MS).contains(&self.0)
    }

    /// An instant from epoch milliseconds; `None` outside the JS `Date` range.
    pub fn from_ms(ms: i64) -> Option<Timestamp> {
        (-MAX_MS..=MAX_MS).contains(&ms).then_some(Timestamp(ms))
    }

    /// An instant from a JS number: rejects NaN, infinities, fractions and values outside the `Date` range.
    pub fn from_f64(ms: f64) -> Option<Timestamp> {
        if !ms.is_finite() || ms != (ms as i64) as f64 {
            return None;
        }
        Timestamp::from_ms(ms as i64)
    }

    /// Epoch milliseconds.
    pub fn ms(self) -> i64 {
        self.0
    }

    /// Parses a number of epoch milliseconds or an RFC 3339 string; the error names `path`.
    pub fn parse(value: &Value, path: &str) -> Result<Timestamp, crate::Error> {
        Timestamp::from_value(value).map_err(|reason| crate::Error::input(path, reason))
    }

    /// The reason text of a failed parse, shared by event and playbook parsing.
    pub(crate) fn from_value(value: &Value) -> Result<Timestamp, String> {
        Timestamp::from_ref(value.as_value_ref())
    }

    /// [`Timestamp::from_value`] on a borrowed value (events read without a `Value` tree).
    pub(crate) fn from_ref(value: ValueRef<'_>) -> Result<Timestamp, String> {
        match value {
            ValueRef::Number(n) => Timestamp::from_f64(n).ok_or_else(|| {
                format!("expected whole epoch milliseconds within the JS Date range, got {}", short_number(n))
            }),
            ValueRef::Str(s) => parse_rfc3339(s).and_then(Timestamp::from_ms).ok_or_else(|| {
                format!(
                    "expected epoch milliseconds or an RFC 3339 instant like \"2026-11-01T09:30:00Z\", got \"{}\"",
                    quote(s)
                )
            }),
            other => Err(format!("expected epoch milliseconds or an RFC 3339 string, got {}", other.kind_name())),
        }
    }

    /// `self + span`, saturating at the end of the representable range.
    pub fn plus(self, span: Span) -> Timestamp {
        Timestamp(self.0.saturating_add(span.0).min(MAX_MS))
    }

    /// Milliseconds from `earlier` to `self` (negative when `earlier` is later).
    pub fn since(self, earlier: Timestamp) -> i64 {
        self.0 - earlier.0
    }

    /// True iff `self` is within the last `span` at `now`: `0 ≤ now − self < span` (DESIGN §7).
    ///
    /// ```
    /// # use rekindle_core::{Timestamp, Span};
    /// let t = Timestamp::from_ms(0).unwrap();
    /// let d = Span::parse_str("7d").unwrap();
    /// assert!(t.is_within(d, t.plus(Span::parse_str("6d").unwrap())));
    /// assert!(!t.is_within(d, t.plus(d))); // exactly D ago is outside
    /// ```
    pub fn is_within(self, span: Span, now: Timestamp) -> bool {
        let age = now.since(self);
        (0..span.0).contains(&age)
    }
}

impl Serialize for Timestamp {
    fn serialize<S: Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        // Always within ±8.64e15, inside JS's safe-integer range: serde-wasm-bindgen gives a plain number.
        s.serialize_i64(self.0)
    }
}

/// A positive duration in milliseconds, parsed from `"90d"`, `"48h"`, `"30min"`, `"45s"`, `"2w"`.
///
/// ```
/// # use rekindle_core::Span;
/// assert_eq!(Span::parse_str("48h").unwrap(), Span::parse_str("2d").unwrap());
/// assert_eq!(Span::parse_str("36h").unwrap().to_string(), "36h");
/// assert!(Span::parse_str("1 month").unwrap_err().contains("30d"));
/// ```
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub struct Span(i64);

/// Why a duration string was refused.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum SpanError {
    Malformed,
    NotPositive,
}

impl Span {
    /// Ten years of 365 days: how far ahead rekindle looks for the next flip.
    pub const DAYS_3650: Span = Span(3650 * DAY);
    /// The longest duration a playbook may write: 100 years of 365.25 days.
    pub const LONGEST: Span = Span(36_525 * DAY);

    /// A span of whole days.
    pub fn days(n: i64) -> Span {
        Span(n.saturating_mul(DAY))
    }

    /// A span of whole hours.
    pub fn hours(n: i64) -> Span {
        Span(n.saturating_mul(HOUR))
    }

    /// A span of whole minutes.
    pub const fn minutes(n: i64) -> Span {
        Span(n.saturating_mul(MINUTE))
    }

    /// A span of `ms` milliseconds; `None` unless positive.
    pub fn from_ms(ms: i64) -> Option<Span> {
        (ms > 0).then_some(Span(ms))
    }

    /// Milliseconds.
    pub fn ms(self) -> i64 {
        self.0
    }

    /// Parses a duration string; the error is a message with the fix when one is known.
    pub fn parse_str(text: &str) -> Result<Span, String> {
        Span::parse_checked(text).map_err(|(_, msg)| msg)
    }

    /// The fix for a duration written another way: ISO 8601 (`P2D`, `PT90M`), a fraction (`1.5d`), or several
    /// units (`1h30min`) — each as the one whole unit it equals; empty when none is known.
    fn hint(body: &str) -> String {
        let (iso, rest) = match body.strip_prefix(['P', 'p']) {
            Some(rest) => (true, rest.strip_prefix(['T', 't']).unwrap_or(rest)),
            None => (false, body),
        };
        // Number-and-unit pairs, summed; ISO's M after T is minutes. Integer arithmetic only: `str::parse::<f64>`
        // would link the float parser into the edge and web builds (+17 KB gzip) for an error message.
        let mut ms: i64 = 0;
        let mut left = rest;
        while !left.is_empty() {
            let end = left.find(|c: char| !(c.is_ascii_digit() || c == '.')).unwrap_or(left.len());
            let (number, tail) = left.split_at_checked(end).unwrap_or((left, ""));
            let unit_end = tail.find(|c: char| c.is_ascii_digit()).unwrap_or(tail.len());
            let (unit, next) = tail.split_at_checked(unit_end).unwrap_or((tail, ""));
            let per = match unit.to_ascii_lowercase().as_str() {
                "s" => SECOND,
                "min" => MINUTE,
                "m" if iso => MINUTE,
                "h" => HOUR,
                "d" => DAY,
                "w" => WEEK,
                _ => return String::new(),
            };
            let (whole, fraction) = number.split_once('.').unwrap_or((number, ""));
            let (Ok(whole), Some(scale)) = (whole.parse::<i64>(), 10i64.checked_pow(fraction.len() as u32)) else {
                return String::new();
            };
            let fraction = if fraction.is_empty() { 0 } else { fraction.parse::<i64>().unwrap_or(-1) };
            let part = whole.checked_mul(per).zip(fraction.checked_mul(per)).filter(|_| fraction >= 0);
            let Some((whole_ms, fraction_ms)) = part else { return String::new() };
            ms = ms.saturating_add(whole_ms).saturating_add(fraction_ms / scale);
            left = next;
        }
        if !(1..=1_000_000_000_000_000).contains(&ms) {
            return String::new();
        }
        let what = if iso { "ISO 8601 durations are not read" } else { "one whole number and one unit" };
        format!(": {what}, write \"{}\"", Span(ms))
    }

    pub(crate) fn parse_checked(text: &str) -> Result<Span, (SpanError, String)> {
        let t = text.trim();
        let malformed = |hint: &str| {
            (
                SpanError::Malformed,
                format!("expected a duration like \"7d\" (units s, min, h, d, w), got \"{}\"{hint}", quote(text)),
            )
        };
        let (sign, body) = match t.strip_prefix('-') {
            Some(rest) => (-1i64, rest),
            None => (1, t),
        };
        let digits_end = body.find(|c: char| !c.is_ascii_digit()).unwrap_or(body.len());
        // Checked (a digit's end is always a char boundary): `split_at`'s panic path alone links the panic message
        // formatting for chars into the wasm.
        let (digits, unit) = body.split_at_checked(digits_end).unwrap_or((body, ""));
        let lower_unit = unit.trim().to_ascii_lowercase();
        let unit_ms = match unit {
            "s" => SECOND,
            "min" => MINUTE,
            "h" => HOUR,
            "d" => DAY,
            "w" => WEEK,
            _ if lower_unit.starts_with("mo") => return Err(malformed(": months vary in length, write \"30d\"")),
            _ if lower_unit.starts_with('y') => return Err(malformed(": years vary in length, write \"365d\"")),
            "m" => return Err(malformed(": \"m\" is ambiguous, write \"min\" for minutes or \"30d\" for a month")),
            _ if lower_unit.starts_with("day") => return Err(malformed(&format!(": write \"{digits}d\""))),
            _ if lower_unit.starts_with("hour") => return Err(malformed(&format!(": write \"{digits}h\""))),
            _ if lower_unit.starts_with("week") => return Err(malformed(&format!(": write \"{digits}w\""))),
            _ if ["s", "min", "h", "d", "w"].contains(&lower_unit.as_str()) => {
                return Err(malformed(&format!(": units are lower-case, write \"{digits}{lower_unit}\"")))
            }
            _ => return Err(malformed(&Span::hint(body))),
        };
        if digits.is_empty() || digits.len() > 12 {
            return Err(malformed(""));
        }
        let n: i64 = digits.parse().map_err(|_| malformed(""))?;
        // Twelve digits of weeks overflow i64 milliseconds (wrapping to a few hours in a release build), and
        // anything near that would overflow the instant it is added to: a bound no marketing window reaches.
        let ms = n.checked_mul(unit_ms).filter(|ms| *ms <= Span::LONGEST.0).ok_or_else(|| {
            (
                SpanError::Malformed,
                format!("expected a duration of at most 36525d (100 years), got \"{}\"", quote(text)),
            )
        })?;
        if sign < 0 || ms == 0 {
            return Err((SpanError::NotPositive, format!("expected a positive duration, got \"{}\"", quote(text))));
        }
        Ok(Span(ms))
    }
}

impl fmt::Display for Span {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        for (unit, name) in [(DAY, "d"), (HOUR, "h"), (MINUTE, "min"), (SECOND, "s")] {
            if self.0 % unit == 0 {
                return write!(f, "{}{name}", self.0 / unit);
            }
        }
        write!(f, "{}ms", self.0)
    }
}

impl Serialize for Span {
    fn serialize<S: Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        s.collect_str(self)
    }
}

/// Epoch milliseconds of an RFC 3339 instant: `YYYY-MM-DDTHH:MM:SS[.frac](Z|±HH:MM)` (`t`, `z` and a space
/// separator accepted, as the RFC allows). Digits past milliseconds are dropped (floor). Hand-written: chrono's
/// parser cost 6 KB of wasm for this one call.
fn parse_rfc3339(text: &str) -> Option<i64> {
    let b = text.as_bytes();
    let num = |from: usize, len: usize| -> Option<i64> {
        let digits = b.get(from..from + len)?;
        digits.iter().try_fold(0i64, |n, d| d.is_ascii_digit().then(|| n * 10 + i64::from(d - b'0')))
    };
    let sep = |at: usize, allowed: &[u8]| b.get(at).is_some_and(|c| allowed.contains(c));
    if !(sep(4, b"-") && sep(7, b"-") && sep(10, b"Tt ") && sep(13, b":") && sep(16, b":")) {
        return None;
    }
    let (year, month, day) = (num(0, 4)?, u8::try_from(num(5, 2)?).ok()?, u8::try_from(num(8, 2)?).ok()?);
    let (hour, minute, second) = (num(11, 2)?, num(14, 2)?, num(17, 2)?);
    if !(1..=12).contains(&month) || hour > 23 || minute > 59 || second > 60 {
        return None;
    }
    if day == 0 || i64::from(day) > crate::zone::civil::month_length(year, month) {
        return None; // 2026-02-30
    }
    let days = crate::zone::civil::days_from_civil(year, month, day);
    let mut at = 19;
    let mut millis = 0i64;
    if sep(at, b".") {
        let digits = b.get(at + 1..)?.iter().take_while(|c| c.is_ascii_digit()).count();
        if digits == 0 {
            return None;
        }
        for i in 0..3 {
            millis = millis * 10 + if i < digits { num(at + 1 + i, 1)? } else { 0 };
        }
        at += 1 + digits;
    }
    let offset_minutes = match b.get(at..)? {
        [b'Z' | b'z'] => 0,
        [sign @ (b'+' | b'-'), ..] if b.len() == at + 6 && sep(at + 3, b":") => {
            let (h, m) = (num(at + 1, 2)?, num(at + 4, 2)?);
            if h > 23 || m > 59 {
                return None;
            }
            if *sign == b'-' {
                -(h * 60 + m)
            } else {
                h * 60 + m
            }
        }
        _ => return None,
    };
    let second = second.min(59); // a leap second is the last second of its minute
    let seconds = days * 86_400 + hour * 3_600 + minute * 60 + second - offset_minutes * 60;
    seconds.checked_mul(1_000)?.checked_add(millis)
}

/// At most ~40 characters of a user's value in a message.
pub(crate) fn quote(s: &str) -> String {
    const MAX: usize = 40;
    if s.chars().count() <= MAX {
        s.replace('"', "\\\"")
    } else {
        let head: String = s.chars().take(MAX).collect();
        format!("{}…", head.replace('"', "\\\""))
    }
}

/// A number for a message, e.g. `"12.5"`. Written by hand because core's float formatting (Grisu/Dragon)
/// costs ~17 KB of wasm, a tenth of the module, for error messages alone.
///
/// ```
/// # use rekindle_core::time::short_number;
/// assert_eq!(short_number(12.5), "12.5");
/// assert_eq!(short_number(-3.0), "-3");
/// assert_eq!(short_number(0.1234567), "0.123457");
/// assert_eq!(short_number(1e300), "about 1e300");
/// assert_eq!(short_number(9_007_199_254_740_991.0), "9007199254740991"); // whole numbers stay exact
/// assert_eq!(short_number(-8.9e25), "about -9e25");
/// ```
pub fn short_number(n: f64) -> String {
    if n.is_nan() {
        return "NaN".into();
    }
    let sign = if n < 0.0 { "-" } else { "" };
    let abs = if n < 0.0 { -n } else { n };
    if abs == f64::INFINITY {
        return format!("{sign}Infinity");
    }
    if abs >= 1e15 {
        // A whole number a u64 holds is written exactly (a date 290 000 years out is 9007199254740991, and the
        // reader should see that number); larger ones by their leading digit and power of ten.
        if abs < 1e19 && abs == (abs as u64) as f64 {
            return format!("{sign}{}", abs as u64);
        }
        let mut exp = 0;
        let mut m = abs;
        while m >= 10.0 {
            m /= 10.0;
            exp += 1;
        }
        let mut lead = (m + 0.5) as u32;
        if lead >= 10 {
            (lead, exp) = (1, exp + 1);
        }
        return format!("about {sign}{lead}e{exp}");
    }
    let micros = (abs * 1e6 + 0.5) as u64;
    let (whole, frac) = (micros / 1_000_000, micros % 1_000_000);
    if frac == 0 {
        return format!("{sign}{whole}");
    }
    let digits = format!("{frac:06}");
    format!("{sign}{whole}.{}", digits.trim_end_matches('0'))
}

/// Sorts instants ascending (see [`crate::heapsort`]): every list sorted with it is a short list of candidate
/// instants (condition flips, score breaks, probes).
pub(crate) fn sort_instants(v: &mut [Timestamp]) {
    crate::heapsort::sort_by(v, |a, b| a < b);
}

#[cfg(test)]
mod tests {
    use super::*;

    fn span(s: &str) -> i64 {
        Span::parse_str(s).map(Span::ms).unwrap_or(-1)
    }

    #[test]
    fn units_parse_to_milliseconds() {
        assert_eq!(span("45s"), 45_000);
        assert_eq!(span("30min"), 1_800_000);
        assert_eq!(span("48h"), 172_800_000);
        assert_eq!(span("90d"), 7_776_000_000);
        assert_eq!(span("2w"), 1_209_600_000);
    }

    #[test]
    fn words_months_and_zero_are_refused_with_hints() {
        assert!(Span::parse_str("14 days").unwrap_err().contains("write \"14d\""));
        for (text, fix) in
            [("7D", "7d"), ("2H", "2h"), ("P2D", "2d"), ("PT90M", "90min"), ("1.5d", "36h"), ("1h30min", "90min")]
        {
            let err = Span::parse_str(text).unwrap_err();
            assert!(err.contains(&format!("write \"{fix}\"")), "{text}: {err}");
        }
        assert!(!Span::parse_str("soon").unwrap_err().contains("write"));
        assert!(Span::parse_str("1 month").unwrap_err().contains("30d"));
        assert!(Span::parse_str("5m").unwrap_err().contains("ambiguous"));
        assert_eq!(Span::parse_checked("0d").unwrap_err().0, SpanError::NotPositive);
        assert_eq!(Span::parse_checked("-7d").unwrap_err().0, SpanError::NotPositive);
        // Twelve digits of weeks overflowed i64 and wrapped ("30500568905w" read as about 9.6 hours).
        for long in ["30500568905w", "999999999999d", "36526d", "999999999999w"] {
            let (code, msg) = Span::parse_checked(long).unwrap_err();
            assert_eq!(code, SpanError::Malformed, "{long}");
            assert!(msg.contains("at most 36525d (100 years)"), "{long}: {msg}");
        }
        assert_eq!(Span::parse_checked("36525d").unwrap(), Span::LONGEST);
        assert_eq!(Span::parse_checked("-999999999999w").unwrap_err().0, SpanError::Malformed);
        assert_eq!(Span::parse_checked("d").unwrap_err().0, SpanError::Malformed);
        assert_eq!(Span::parse_checked("9999999999999d").unwrap_err().0, SpanError::Malformed);
    }

    #[test]
    fn display_uses_largest_exact_unit() {
        assert_eq!(Span::parse_str("2w").unwrap().to_string(), "14d");
        assert_eq!(Span::parse_str("90min").unwrap().to_string(), "90min");
        assert_eq!(Span::parse_str("120min").unwrap().to_string(), "2h");
    }

    #[test]
    fn timestamps_reject_fractions_nan_and_garbage() {
        assert!(Timestamp::from_f64(1.5).is_none());
        assert!(Timestamp::from_f64(f64::NAN).is_none());
        assert!(Timestamp::from_f64(1e300).is_none());
        assert!(Timestamp::parse(&Value::String("yesterday".into()), "events[0].at").is_err());
        assert_eq!(
            Timestamp::parse(&Value::String("2026-11-01T01:00:00+01:00".into()), "at").map(Timestamp::ms),
            Ok(1_793_491_200_000)
        );
    }

    #[test]
    fn rfc3339_parses_offsets_fractions_and_refuses_impossible_dates() {
        let ms = |s: &str| parse_rfc3339(s);
        assert_eq!(ms("2026-11-01T00:00:00Z"), Some(1_793_491_200_000));
        assert_eq!(ms("2026-11-01t01:00:00+01:00"), Some(1_793_491_200_000));
        assert_eq!(ms("2026-11-01 00:00:00.1239z"), Some(1_793_491_200_123));
        assert_eq!(ms("1969-12-31T23:59:59.5Z"), Some(-500));
        assert!(ms("2024-02-29T00:00:00Z").is_some());
        assert!(ms("2026-04-30T00:00:00Z").is_some() && ms("2000-02-29T00:00:00Z").is_some());
        for bad in [
            "2026-02-29T00:00:00Z",
            "1900-02-29T00:00:00Z",
            "2026-04-31T00:00:00Z",
            "2026-01-00T00:00:00Z",
            "2026-00-10T00:00:00Z",
            "2026-13-01T00:00:00Z",
            "2026-11-01T24:00:00Z",
            "2026-11-01T00:00:00",
            "2026-11-01T00:00:00+1:00",
            "2026-11-01T00:00:00.Z",
            "2026-11-01",
            "yesterday",
            "2026-11-01T00:00:00Zx",
        ] {
            assert_eq!(ms(bad), None, "{bad}");
        }
    }

    #[test]
    fn window_boundary_is_half_open() {
        let t = Timestamp(1_000);
        let d = Span(100);
        assert!(t.is_within(d, Timestamp(1_000)));
        assert!(t.is_within(d, Timestamp(1_099)));
        assert!(!t.is_within(d, Timestamp(1_100)));
        assert!(!t.is_within(d, Timestamp(999)), "an event after now is not within the last D");
    }
}
