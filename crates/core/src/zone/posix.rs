//! POSIX TZ strings (`CET-1CEST,M3.5.0,M10.5.0/3`): the parser and the offset a rule gives at an instant.
//!
//! Grammar per POSIX.1-2017 §8.3 with the RFC 8536 §3.3.1 extensions that TZif footers use: transition times
//! from −167 h to +167 h (`M3.4.4/26`, `M3.5.0/-1`) and DST all year (`0/0,J365/25`). Offsets in the string
//! count hours *west* of Greenwich (`EST5`); [`Rule`] stores seconds *east* (−5 h), like every other offset
//! in rekindle. Abbreviations are checked but not kept: nothing in rekindle shows them.

use alloc::format;
use alloc::string::String;

use super::civil::{days_from_civil, is_leap, month_length, weekday_sun0, year_of_day};
use crate::time::quote;

const DAY: i64 = 86_400;

/// A zone's current rule: a standard offset and, optionally, a yearly daylight-saving period.
///
/// ```
/// # use rekindle_core::zone::parse_posix;
/// let warsaw = parse_posix("CET-1CEST,M3.5.0,M10.5.0/3").unwrap();
/// assert_eq!(warsaw.standard_offset(), 3600);
/// assert_eq!(warsaw.dst_offset(), Some(7200));
/// ```
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Rule {
    /// Seconds east of UTC outside DST.
    std: i32,
    dst: Option<Dst>,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
struct Dst {
    /// Seconds east of UTC during DST (usually `std + 3600`; Europe/Dublin's is lower, Lord Howe's +30 min).
    offset: i32,
    /// When DST starts, in standard local time.
    start: Change,
    /// When DST ends, in daylight local time.
    end: Change,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
struct Change {
    day: Day,
    /// Seconds after local midnight of `day`; −167 h ..= +167 h.
    time: i32,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Day {
    /// `Jn`: day 1..=365, February 29 never counted.
    Julian(u16),
    /// `n`: day 0..=365, February 29 counted.
    Zero(u16),
    /// `Mm.w.d`: weekday `d` (0 = Sunday) of week `w` (5 = last) of month `m`.
    Month { month: u8, week: u8, weekday: u8 },
}

impl Rule {
    /// A rule without DST.
    pub(super) const fn fixed(offset: i32) -> Rule {
        Rule { std: offset, dst: None }
    }

    /// Seconds east of UTC outside DST.
    ///
    /// ```
    /// # use rekindle_core::zone::parse_posix;
    /// assert_eq!(parse_posix("EST5EDT,M3.2.0,M11.1.0").unwrap().standard_offset(), -5 * 3600);
    /// ```
    pub fn standard_offset(&self) -> i32 {
        self.std
    }

    /// Seconds east of UTC during DST, or `None` for a zone without DST.
    ///
    /// ```
    /// # use rekindle_core::zone::parse_posix;
    /// assert_eq!(parse_posix("IST-5:30").unwrap().dst_offset(), None);
    /// ```
    pub fn dst_offset(&self) -> Option<i32> {
        self.dst.map(|d| d.offset)
    }

    /// The lower and the higher of the two offsets (equal without DST).
    pub(super) fn offset_bounds(&self) -> (i32, i32) {
        match self.dst {
            Some(d) => (self.std.min(d.offset), self.std.max(d.offset)),
            None => (self.std, self.std),
        }
    }

    /// Seconds east of UTC at `t`, in UTC seconds since the epoch.
    pub(super) fn offset_at(&self, t: i64) -> i32 {
        let Some(dst) = self.dst else { return self.std };
        // The last transition at or before `t` decides; on a tie the DST start wins, so DST all year (end of
        // year y == start of y + 1) stays DST. It is one of the local year's own two, unless `t` is near the
        // year's ends: a transition lands within ±167 h (plus the offsets) of its year, so the next year's
        // can only come first in the last days, and the previous year's can only be the latest when this
        // year's at or before `t` are not clearly past the first days. Computing each transition costs a
        // calendar conversion, and quiet hours ask for offsets a few dozen times per decision.
        let year = year_of_day((t + i64::from(self.std)).div_euclid(DAY));
        let mut last: Option<(i64, bool)> = None;
        let consider = |y: i64, last: &mut Option<(i64, bool)>| {
            let start = dst.start.local_seconds(y) - i64::from(self.std);
            let end = dst.end.local_seconds(y) - i64::from(dst.offset);
            for change in [(end, false), (start, true)] {
                if change.0 <= t && last.is_none_or(|l| change > l) {
                    *last = Some(change);
                }
            }
        };
        consider(year, &mut last);
        if t >= days_from_civil(year + 1, 1, 1) * DAY - REACH {
            consider(year + 1, &mut last);
        }
        if last.is_none_or(|(at, _)| at <= days_from_civil(year, 1, 1) * DAY + REACH) {
            consider(year - 1, &mut last);
        }
        match last {
            Some((_, true)) => dst.offset,
            _ => self.std,
        }
    }

    /// The span around `t` (UTC seconds), at most `reach` seconds either side, over which the offset stays
    /// `offset_at(t)`: `(from, to, offset)`, `from ≤ t < to`. `reach` must stay under a year less `REACH`: the
    /// transitions of the local years before, of and after `t`'s are then every transition in the span.
    pub(super) fn steady_around(&self, t: i64, reach: i64) -> (i64, i64, i32) {
        let (mut from, mut to) = (t.saturating_sub(reach), t.saturating_add(reach));
        if let Some(dst) = self.dst {
            let year = year_of_day((t + i64::from(self.std)).div_euclid(DAY));
            for y in year - 1..=year + 1 {
                for change in
                    [dst.start.local_seconds(y) - i64::from(self.std), dst.end.local_seconds(y) - i64::from(dst.offset)]
                {
                    if change <= t {
                        from = from.max(change);
                    } else {
                        to = to.min(change);
                    }
                }
            }
        }
        (from, to, self.offset_at(t))
    }
}

/// How far from its local year a transition can land in UTC: ±167 h of transition time (RFC 8536), a day for
/// `n`/`Jn` day 365 of a leap year, and more than any offset (at most ±26 h).
const REACH: i64 = 167 * 3600 + 3 * DAY;

impl Change {
    /// Local seconds since the epoch at which this change happens in `year`.
    fn local_seconds(self, year: i64) -> i64 {
        let jan1 = days_from_civil(year, 1, 1);
        let day = match self.day {
            Day::Julian(n) => jan1 + i64::from(n) - 1 + i64::from(is_leap(year) && n >= 60),
            Day::Zero(n) => jan1 + i64::from(n),
            Day::Month { month, week, weekday } => {
                let first = days_from_civil(year, month, 1);
                let mut day = first
                    + (i64::from(weekday) - weekday_sun0(first)).rem_euclid(7)
                    + 7 * i64::from(week.saturating_sub(1));
                // Week 5 means the last such weekday: step back while it falls into the next month.
                while day >= first + month_length(year, month) {
                    day -= 7;
                }
                day
            }
        };
        day * DAY + i64::from(self.time)
    }
}

/// Parses a POSIX TZ string such as `"CET-1CEST,M3.5.0,M10.5.0/3"`, `"IST-5:30"` or `"<+0545>-5:45"`.
///
/// The error says what was expected where; DST without transition rules (`"EST5EDT"` alone) is refused
/// rather than guessed.
///
/// ```
/// # use rekindle_core::zone::parse_posix;
/// assert_eq!(parse_posix("<+0545>-5:45").unwrap().standard_offset(), 5 * 3600 + 45 * 60);
/// assert!(parse_posix("EST5EDT").unwrap_err().contains("transition rules"));
/// ```
pub fn parse_posix(tz: &str) -> Result<Rule, String> {
    let mut p = Parser { rest: tz.as_bytes() };
    let fail = |what: &str| format!("expected {what} in the TZ string \"{}\"", quote(tz));
    p.name().ok_or_else(|| fail("a zone abbreviation like \"CET\" or \"<+0530>\""))?;
    let std = -p.hms(24).ok_or_else(|| fail("a standard offset like \"-1\" or \"5:30\""))?;
    if p.rest.is_empty() {
        return Ok(Rule::fixed(std));
    }
    p.name().ok_or_else(|| fail("a DST abbreviation like \"CEST\""))?;
    let offset = match p.rest.first() {
        Some(b',') | None => std + 3600,
        Some(_) => -p.hms(24).ok_or_else(|| fail("a DST offset like \"-2\""))?,
    };
    let change = |p: &mut Parser| -> Option<Change> {
        p.eat(b',')?;
        let day = p.day()?;
        let time = if p.eat(b'/').is_some() { p.hms(167)? } else { 7200 };
        Some(Change { day, time })
    };
    if p.rest.is_empty() {
        return Err(fail("transition rules like \",M3.5.0,M10.5.0/3\" after the DST abbreviation"));
    }
    let start = change(&mut p).ok_or_else(|| fail("a DST start like \",M3.5.0\""))?;
    let end = change(&mut p).ok_or_else(|| fail("a DST end like \",M10.5.0/3\""))?;
    if !p.rest.is_empty() {
        return Err(fail("nothing after the DST end"));
    }
    Ok(Rule { std, dst: Some(Dst { offset, start, end }) })
}

struct Parser<'a> {
    rest: &'a [u8],
}

impl Parser<'_> {
    fn eat(&mut self, b: u8) -> Option<()> {
        let (&first, rest) = self.rest.split_first()?;
        (first == b).then(|| self.rest = rest)
    }

    fn take_while(&mut self, keep: impl Fn(u8) -> bool) -> &[u8] {
        let n = self.rest.iter().take_while(|&&b| keep(b)).count();
        let (head, rest) = self.rest.split_at(n.min(self.rest.len()));
        self.rest = rest;
        head
    }

    /// `CET` (three or more letters) or `<+0530>` (three or more of letters, digits, `+`, `-`).
    fn name(&mut self) -> Option<()> {
        let len = if self.eat(b'<').is_some() {
            let n = self.take_while(|b| b.is_ascii_alphanumeric() || b == b'+' || b == b'-').len();
            self.eat(b'>')?;
            n
        } else {
            self.take_while(|b| b.is_ascii_alphabetic()).len()
        };
        (len >= 3).then_some(())
    }

    fn number(&mut self, max: u32) -> Option<u32> {
        let digits = self.take_while(|b| b.is_ascii_digit());
        if digits.is_empty() || digits.len() > 3 {
            return None;
        }
        let n = digits.iter().fold(0, |n, &d| n * 10 + u32::from(d - b'0'));
        (n <= max).then_some(n)
    }

    /// `[+-]hh[:mm[:ss]]` in seconds, hours at most `max_hours`.
    fn hms(&mut self, max_hours: u32) -> Option<i32> {
        let sign = if self.eat(b'-').is_some() {
            -1
        } else {
            let _ = self.eat(b'+'); // an explicit plus is optional
            1
        };
        let mut seconds = self.number(max_hours)? * 3600;
        if self.eat(b':').is_some() {
            seconds += self.number(59)? * 60;
            if self.eat(b':').is_some() {
                seconds += self.number(59)?;
            }
        }
        Some(sign * i32::try_from(seconds).ok()?)
    }

    fn day(&mut self) -> Option<Day> {
        if self.eat(b'J').is_some() {
            let n = self.number(365)?;
            return (n >= 1).then_some(Day::Julian(u16::try_from(n).ok()?));
        }
        if self.eat(b'M').is_some() {
            let month = self.number(12)?;
            self.eat(b'.')?;
            let week = self.number(5)?;
            self.eat(b'.')?;
            let weekday = self.number(6)?;
            if month == 0 || week == 0 {
                return None;
            }
            let [month, week, weekday] = [month, week, weekday].map(|n| u8::try_from(n).unwrap_or(0));
            return Some(Day::Month { month, week, weekday });
        }
        Some(Day::Zero(u16::try_from(self.number(365)?).ok()?))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    const H: i32 = 3600;

    /// UTC seconds of a UTC wall time.
    fn utc(y: i64, m: u8, d: u8, hh: i64, mm: i64) -> i64 {
        days_from_civil(y, m, d) * DAY + hh * 3600 + mm * 60
    }

    fn offset_test(tz: &str, at: i64, expected: i32) {
        let rule = parse_posix(tz).unwrap_or_else(|e| panic!("{tz}: {e}"));
        assert_eq!(rule.offset_at(at), expected, "{tz} at {at}");
    }

    fn error_test(tz: &str, fragment: &str) {
        let err = parse_posix(tz).expect_err(tz);
        assert!(err.contains(fragment), "{tz}: {err}");
    }

    #[test]
    fn fixed_offsets_invert_the_posix_sign() {
        assert_eq!(parse_posix("UTC0"), Ok(Rule::fixed(0)));
        assert_eq!(parse_posix("<-05>5"), Ok(Rule::fixed(-5 * H)));
        assert_eq!(parse_posix("IST-5:30"), Ok(Rule::fixed(5 * H + 30 * 60)));
        assert_eq!(parse_posix("<+0545>-5:45"), Ok(Rule::fixed(5 * H + 45 * 60)));
        assert_eq!(parse_posix("<-00>0"), Ok(Rule::fixed(0)));
        assert_eq!(parse_posix("ChST-10"), Ok(Rule::fixed(10 * H)));
        assert_eq!(parse_posix("LMT+0:19:32"), Ok(Rule::fixed(-(19 * 60 + 32))));
    }

    #[test]
    fn dst_offset_defaults_to_one_hour_ahead() {
        let rule = parse_posix("EST5EDT,M3.2.0,M11.1.0").unwrap();
        assert_eq!((rule.standard_offset(), rule.dst_offset()), (-5 * H, Some(-4 * H)));
        let rule = parse_posix("<+1030>-10:30<+11>-11,M10.1.0,M4.1.0").unwrap();
        assert_eq!(rule.dst_offset(), Some(11 * H));
    }

    #[test]
    fn month_week_day_rules_switch_at_the_right_instant() {
        // Europe/Warsaw 2026: last Sunday of March 01:00Z, last Sunday of October 01:00Z.
        let warsaw = "CET-1CEST,M3.5.0,M10.5.0/3";
        offset_test(warsaw, utc(2026, 3, 29, 0, 59), H);
        offset_test(warsaw, utc(2026, 3, 29, 1, 0), 2 * H);
        offset_test(warsaw, utc(2026, 10, 25, 0, 59), 2 * H);
        offset_test(warsaw, utc(2026, 10, 25, 1, 0), H);
        offset_test(warsaw, utc(2026, 12, 31, 23, 30), H); // local already 2027
                                                           // Week 5 in a month with only four such weekdays: last Sunday of March 2025 is the 30th.
        offset_test(warsaw, utc(2025, 3, 30, 0, 59), H);
        offset_test(warsaw, utc(2025, 3, 30, 1, 0), 2 * H);
    }

    #[test]
    fn extended_and_negative_transition_times() {
        // Asia/Jerusalem: Friday before the last Sunday of March, written as Thursday 26:00.
        let jerusalem = "IST-2IDT,M3.4.4/26,M10.5.0";
        offset_test(jerusalem, utc(2026, 3, 27, 0, 0) - 1, 2 * H);
        offset_test(jerusalem, utc(2026, 3, 27, 0, 0), 3 * H);
        // America/Nuuk: last Saturday of March at 22:00 local (Sunday −1:00), i.e. 01:00Z on Sunday.
        let nuuk = "<-02>2<-01>,M3.5.0/-1,M10.5.0/0";
        offset_test(nuuk, utc(2026, 3, 29, 0, 59), -2 * H);
        offset_test(nuuk, utc(2026, 3, 29, 1, 0), -H);
        offset_test(nuuk, utc(2026, 10, 25, 0, 59), -H);
        offset_test(nuuk, utc(2026, 10, 25, 1, 0), -2 * H);
    }

    #[test]
    fn julian_day_forms_skip_or_count_february_29() {
        // J60 is March 1 in every year; 59 (zero-based) is February 29 in a leap year, March 1 otherwise.
        let j = "AAA0BBB,J60/0,J300/0";
        offset_test(j, utc(2028, 2, 29, 23, 59), 0);
        offset_test(j, utc(2028, 3, 1, 0, 0), H);
        let n = "AAA0BBB,59/0,300/0";
        offset_test(n, utc(2028, 2, 28, 23, 59), 0);
        offset_test(n, utc(2028, 2, 29, 0, 0), H);
        offset_test(n, utc(2027, 3, 1, 0, 0), H);
        offset_test(n, utc(2027, 2, 28, 23, 59), 0);
        // Zero-based 300 in 2027 is October 28 (local midnight DST = 23:00Z on the 27th).
        offset_test(n, utc(2027, 10, 27, 22, 59), H);
        offset_test(n, utc(2027, 10, 27, 23, 0), 0);
    }

    #[test]
    fn dst_all_year_never_leaves_dst() {
        // RFC 8536 §3.3.1's example: EST with DST all year.
        let tz = "EST5EDT,0/0,J365/25";
        for t in [utc(2026, 1, 1, 0, 0), utc(2026, 1, 1, 5, 0), utc(2026, 12, 31, 23, 59), utc(2027, 1, 1, 4, 0)] {
            offset_test(tz, t, -4 * H);
        }
    }

    #[test]
    fn southern_hemisphere_dst_wraps_the_year() {
        let sydney = "AEST-10AEDT,M10.1.0,M4.1.0/3";
        offset_test(sydney, utc(2026, 1, 15, 0, 0), 11 * H);
        offset_test(sydney, utc(2026, 7, 1, 0, 0), 10 * H);
        offset_test(sydney, utc(2026, 12, 31, 14, 0), 11 * H);
    }

    /// The three-year scan `offset_at` skips parts of: every transition of the local year and both neighbours.
    fn offset_by_full_scan(rule: &Rule, t: i64) -> i32 {
        let Some(dst) = rule.dst else { return rule.std };
        let year = year_of_day((t + i64::from(rule.std)).div_euclid(DAY));
        let mut last: Option<(i64, bool)> = None;
        for y in year - 1..=year + 1 {
            let start = dst.start.local_seconds(y) - i64::from(rule.std);
            let end = dst.end.local_seconds(y) - i64::from(dst.offset);
            for change in [(end, false), (start, true)] {
                if change.0 <= t && last.is_none_or(|l| change > l) {
                    last = Some(change);
                }
            }
        }
        if matches!(last, Some((_, true))) {
            dst.offset
        } else {
            rule.std
        }
    }

    /// Rules whose transitions sit at the year's edges (±167 h, day 0 / 365, DST all year, southern hemisphere,
    /// offsets beyond ±12 h), and plain ones.
    const EDGE_RULES: [&str; 10] = [
        "CET-1CEST,M3.5.0,M10.5.0/3",
        "AEST-10AEDT,M10.1.0,M4.1.0/3",
        "EST5EDT,0/0,J365/25",
        "AAA0BBB,J1/-167,J365/167",
        "AAA-14BBB-15,0/-167,365/167",
        "AAA12BBB11,J365/-100,J1/100",
        "IST-2IDT,M3.4.4/26,M10.5.0",
        "<-02>2<-01>,M3.5.0/-1,M10.5.0/0",
        "<+1030>-10:30<+11>-11,M10.1.0,M4.1.0",
        "AAA0BBB,59/0,300/0",
    ];

    #[test]
    fn skipping_far_years_gives_the_full_scans_offset() {
        // Every 7 h 13 min across four years (leap year included), and every minute around each New Year.
        for tz in EDGE_RULES {
            let rule = parse_posix(tz).unwrap_or_else(|e| panic!("{tz}: {e}"));
            let mut t = utc(2026, 1, 1, 0, 0) - 2 * 365 * DAY;
            while t < utc(2029, 1, 1, 0, 0) {
                assert_eq!(rule.offset_at(t), offset_by_full_scan(&rule, t), "{tz} at {t}");
                t += 7 * 3600 + 13 * 60;
            }
            for year in 2025..=2029 {
                let new_year = utc(year, 1, 1, 0, 0);
                for minute in -(9 * 24 * 60)..=(9 * 24 * 60) {
                    let t = new_year + minute * 60;
                    assert_eq!(rule.offset_at(t), offset_by_full_scan(&rule, t), "{tz} at {t}");
                }
            }
        }
    }

    #[test]
    fn a_steady_span_holds_its_offset_and_ends_at_transitions() {
        // The edge rules and one without DST; instants every 5 h 7 min across three years; each span checked
        // against the full scan at its ends, around its ends, and at points inside.
        let reach = 40 * DAY;
        for tz in EDGE_RULES.into_iter().chain(["IST-5:30"]) {
            let rule = parse_posix(tz).unwrap_or_else(|e| panic!("{tz}: {e}"));
            let mut t = utc(2026, 1, 1, 0, 0) - 365 * DAY;
            while t < utc(2028, 1, 1, 0, 0) {
                let (from, to, offset) = rule.steady_around(t, reach);
                assert!(from <= t && t < to && t - from <= reach && to - t <= reach, "{tz} at {t}: {from}..{to}");
                assert_eq!(offset, offset_by_full_scan(&rule, t), "{tz} at {t}");
                for inside in [from, (from + t) / 2, t, (t + to) / 2, to - 1] {
                    assert_eq!(offset_by_full_scan(&rule, inside), offset, "{tz}: {inside} in {from}..{to} of {t}");
                }
                // For rules whose every transition changes the offset, a span shorter than its reach ends at one.
                if tz.starts_with("CET") || tz.starts_with("AEST") {
                    assert!(to - t == reach || offset_by_full_scan(&rule, to) != offset, "{tz}: {t} ends at {to}");
                    assert!(
                        t - from == reach || offset_by_full_scan(&rule, from - 1) != offset,
                        "{tz}: {t} from {from}"
                    );
                }
                t += 5 * 3600 + 7 * 60;
            }
        }
    }

    #[test]
    fn malformed_strings_say_what_was_expected() {
        error_test("", "a zone abbreviation");
        error_test("CE-1", "a zone abbreviation");
        error_test("<+05", "a zone abbreviation");
        error_test("CET", "a standard offset");
        error_test("CET25", "a standard offset");
        error_test("CET-1:60", "a standard offset");
        error_test("EST5EDT", "transition rules");
        error_test("CET-1CEST,M3.5.0", "a DST end");
        error_test("CET-1CEST,M13.5.0,M10.5.0", "a DST start");
        error_test("CET-1CEST,M3.6.0,M10.5.0", "a DST start");
        error_test("CET-1CEST,M3.5.7,M10.5.0", "a DST start");
        error_test("CET-1CEST,J0,M10.5.0", "a DST start");
        error_test("CET-1CEST,366,M10.5.0", "a DST start");
        error_test("CET-1CEST,M3.5.0/168,M10.5.0", "a DST start");
        error_test("CET-1CEST,M3.5.0,M10.5.0/3x", "nothing after");
        error_test("CET-1CE", "a DST abbreviation");
        error_test("CET-1CEST-2x", "a DST start");
    }
}
