//! Civil (proleptic Gregorian) dates and wall-clock times, and the integer maths between them and day numbers.
//!
//! Day numbers count days since 1970-01-01. The conversions are Howard Hinnant's `days_from_civil` and
//! `civil_from_days` (<https://howardhinnant.github.io/date_algorithms.html>): exact for every year, no
//! tables, no clock, no chrono.

use alloc::format;
use alloc::string::String;
use core::fmt;

use crate::playbook::compiled::{Compiled, In, Out};
use crate::time::quote;

/// Days since 1970-01-01 of a civil date (Hinnant's `days_from_civil`).
pub fn days_from_civil(year: i64, month: u8, day: u8) -> i64 {
    let (m, d) = (i64::from(month), i64::from(day));
    let y = if m <= 2 { year - 1 } else { year };
    let era = y.div_euclid(400);
    let yoe = y - era * 400; // [0, 399]
    let doy = (153 * (if m > 2 { m - 3 } else { m + 9 }) + 2) / 5 + d - 1; // [0, 365]
    let doe = yoe * 365 + yoe / 4 - yoe / 100 + doy; // [0, 146096]
    era * 146_097 + doe - 719_468
}

/// The civil date of a day number (Hinnant's `civil_from_days`).
pub fn civil_from_days(days: i64) -> (i64, u8, u8) {
    let z = days + 719_468;
    let era = z.div_euclid(146_097);
    let doe = z - era * 146_097; // [0, 146096]
    let yoe = (doe - doe / 1460 + doe / 36_524 - doe / 146_096) / 365; // [0, 399]
    let doy = doe - (365 * yoe + yoe / 4 - yoe / 100); // [0, 365]
    let mp = (5 * doy + 2) / 153; // [0, 11], March = 0
    let day = doy - (153 * mp + 2) / 5 + 1;
    let month = if mp < 10 { mp + 3 } else { mp - 9 };
    let year = yoe + era * 400 + i64::from(month <= 2);
    (year, u8::try_from(month).unwrap_or(1), u8::try_from(day).unwrap_or(1))
}

pub(super) fn year_of_day(days: i64) -> i64 {
    civil_from_days(days).0
}

pub(super) fn is_leap(year: i64) -> bool {
    year % 4 == 0 && (year % 100 != 0 || year % 400 == 0)
}

/// Days in a month of the proleptic Gregorian calendar.
pub fn month_length(year: i64, month: u8) -> i64 {
    match month {
        2 if is_leap(year) => 29,
        2 => 28,
        4 | 6 | 9 | 11 => 30,
        _ => 31,
    }
}

/// 0 = Sunday (POSIX `Mm.w.d` numbering); 1970-01-01 was a Thursday.
pub(super) fn weekday_sun0(days: i64) -> i64 {
    (days + 4).rem_euclid(7)
}

/// A day of the week; [`Weekday::index`] counts from Monday = 0 (ISO 8601).
///
/// ```
/// # use rekindle_core::zone::Weekday;
/// assert_eq!(Weekday::parse("fri"), Ok(Weekday::Friday));
/// assert_eq!(Weekday::Friday.index(), 4);
/// ```
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub enum Weekday {
    /// Monday, index 0.
    Monday,
    /// Tuesday, index 1.
    Tuesday,
    /// Wednesday, index 2.
    Wednesday,
    /// Thursday, index 3.
    Thursday,
    /// Friday, index 4.
    Friday,
    /// Saturday, index 5.
    Saturday,
    /// Sunday, index 6.
    Sunday,
}

const WEEKDAYS: [(Weekday, &str); 7] = [
    (Weekday::Monday, "monday"),
    (Weekday::Tuesday, "tuesday"),
    (Weekday::Wednesday, "wednesday"),
    (Weekday::Thursday, "thursday"),
    (Weekday::Friday, "friday"),
    (Weekday::Saturday, "saturday"),
    (Weekday::Sunday, "sunday"),
];

impl Weekday {
    /// 0 = Monday … 6 = Sunday.
    ///
    /// ```
    /// # use rekindle_core::zone::Weekday;
    /// assert_eq!(Weekday::Sunday.index(), 6);
    /// ```
    pub fn index(self) -> u8 {
        self as u8
    }

    /// The weekday of a day number (days since 1970-01-01, a Thursday).
    pub(super) fn of_day(days: i64) -> Weekday {
        let i = (days + 3).rem_euclid(7);
        WEEKDAYS.iter().find(|(d, _)| i64::from(d.index()) == i).map_or(Weekday::Monday, |(d, _)| *d)
    }

    /// Parses `"mon"` or `"monday"`, any case.
    ///
    /// ```
    /// # use rekindle_core::zone::Weekday;
    /// assert_eq!(Weekday::parse("Sunday"), Ok(Weekday::Sunday));
    /// assert!(Weekday::parse("funday").unwrap_err().contains("\"mon\""));
    /// ```
    pub fn parse(text: &str) -> Result<Weekday, String> {
        let t = text.trim();
        WEEKDAYS
            .iter()
            .find(|(_, name)| t.eq_ignore_ascii_case(name) || name.get(..3).is_some_and(|s| t.eq_ignore_ascii_case(s)))
            .map(|(d, _)| *d)
            .ok_or_else(|| format!("expected a weekday like \"mon\" or \"monday\", got \"{}\"", quote(text)))
    }
}

/// A civil date: year, month 1..=12, day 1..=31 (always a real day).
///
/// ```
/// # use rekindle_core::zone::LocalDate;
/// let d = LocalDate::new(2028, 2, 29).unwrap();
/// assert_eq!(d.to_string(), "2028-02-29");
/// assert!(LocalDate::new(2026, 2, 29).is_none());
/// ```
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub struct LocalDate {
    year: i32,
    month: u8,
    day: u8,
}

impl LocalDate {
    /// The date, or `None` when the month or day does not exist.
    pub fn new(year: i32, month: u8, day: u8) -> Option<LocalDate> {
        let valid = (1..=12).contains(&month) && day >= 1 && i64::from(day) <= month_length(i64::from(year), month);
        valid.then_some(LocalDate { year, month, day })
    }

    /// The year.
    pub fn year(self) -> i32 {
        self.year
    }

    /// The month, 1..=12.
    pub fn month(self) -> u8 {
        self.month
    }

    /// The day of the month, 1..=31.
    pub fn day(self) -> u8 {
        self.day
    }

    /// The day of the week.
    ///
    /// ```
    /// # use rekindle_core::zone::{LocalDate, Weekday};
    /// assert_eq!(LocalDate::new(2026, 3, 29).unwrap().weekday(), Weekday::Sunday);
    /// ```
    pub fn weekday(self) -> Weekday {
        Weekday::of_day(self.days())
    }

    /// Days since 1970-01-01.
    pub(super) fn days(self) -> i64 {
        days_from_civil(i64::from(self.year), self.month, self.day)
    }

    /// The date of a day number; the year saturates at the `i32` range (far beyond any `Timestamp`).
    pub(super) fn from_days(days: i64) -> LocalDate {
        let (year, month, day) = civil_from_days(days);
        let year = i32::try_from(year).unwrap_or(if year < 0 { i32::MIN } else { i32::MAX });
        LocalDate { year, month, day }
    }
}

impl fmt::Display for LocalDate {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{:04}-{:02}-{:02}", self.year, self.month, self.day)
    }
}

/// A wall-clock time of day to the minute, `00:00` ..= `24:00` (`24:00` is the end of the day).
///
/// ```
/// # use rekindle_core::zone::LocalTime;
/// let t = LocalTime::parse("22:30").unwrap();
/// assert_eq!((t.hour(), t.minute()), (22, 30));
/// assert_eq!(LocalTime::parse("24:00").unwrap(), LocalTime::END_OF_DAY);
/// assert_eq!(LocalTime::parse("25:00").unwrap_err(), r#"expected a time like "22:00", got "25:00""#);
/// ```
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub struct LocalTime {
    /// Minutes since midnight, 0..=1440.
    minutes: u16,
}

/// Minutes since midnight; more than 1440 (`24:00`) is refused, as [`LocalTime::new`] refuses it.
impl Compiled for LocalTime {
    fn put(&self, out: &mut Out) {
        self.minutes.put(out);
    }
    fn get(r: &mut In<'_>) -> Self {
        let minutes = u16::get(r);
        if minutes > LocalTime::END_OF_DAY.minutes {
            r.fail("a time of day past 24:00");
            return LocalTime::END_OF_DAY;
        }
        LocalTime { minutes }
    }
}

impl LocalTime {
    /// `00:00`.
    pub const MIDNIGHT: LocalTime = LocalTime { minutes: 0 };
    /// `24:00`: midnight at the end of the day, the same instant as the next day's `00:00`.
    pub const END_OF_DAY: LocalTime = LocalTime { minutes: 1440 };

    /// `hour:minute`, or `None` outside `00:00` ..= `24:00`.
    ///
    /// ```
    /// # use rekindle_core::zone::LocalTime;
    /// assert_eq!(LocalTime::new(9, 0).unwrap().to_string(), "09:00");
    /// assert!(LocalTime::new(24, 1).is_none());
    /// ```
    pub fn new(hour: u8, minute: u8) -> Option<LocalTime> {
        let minutes = u16::from(hour) * 60 + u16::from(minute);
        (minute < 60 && minutes <= 1440).then_some(LocalTime { minutes })
    }

    /// Parses `"HH:MM"` (`"9:30"` is accepted too); `"24:00"` is the end of the day.
    pub fn parse(text: &str) -> Result<LocalTime, String> {
        let bad = || format!("expected a time like \"22:00\", got \"{}\"", quote(text));
        let (h, m) = text.trim().split_once(':').ok_or_else(bad)?;
        let digits = |s: &str, lens: &[usize]| {
            (lens.contains(&s.len()) && s.bytes().all(|b| b.is_ascii_digit())).then(|| s.parse::<u8>().ok()).flatten()
        };
        let (hour, minute) = digits(h, &[1, 2]).zip(digits(m, &[2])).ok_or_else(bad)?;
        LocalTime::new(hour, minute).ok_or_else(bad)
    }

    /// The hour, 0..=24.
    pub fn hour(self) -> u8 {
        u8::try_from(self.minutes / 60).unwrap_or(24)
    }

    /// The minute, 0..=59.
    pub fn minute(self) -> u8 {
        u8::try_from(self.minutes % 60).unwrap_or(0)
    }

    /// Minutes since midnight, 0..=1440.
    ///
    /// ```
    /// # use rekindle_core::zone::LocalTime;
    /// assert_eq!(LocalTime::parse("01:30").unwrap().minutes(), 90);
    /// ```
    pub fn minutes(self) -> u16 {
        self.minutes
    }
}

impl fmt::Display for LocalTime {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{:02}:{:02}", self.hour(), self.minute())
    }
}

/// A wall-clock reading in some zone, to the second (see [`Zone::to_local`](super::Zone::to_local)).
///
/// ```
/// # use rekindle_core::{Timestamp, zone::{Weekday, Zone}};
/// let t = Zone::find("Asia/Kolkata").unwrap().to_local(Timestamp::EPOCH);
/// assert_eq!(t.to_string(), "1970-01-01T05:30:00");
/// assert_eq!((t.hour(), t.minute(), t.weekday()), (5, 30, Weekday::Thursday));
/// ```
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub struct LocalDateTime {
    date: LocalDate,
    /// Seconds since local midnight, 0..86400.
    second_of_day: u32,
}

impl LocalDateTime {
    /// The reading at `seconds` local seconds since 1970-01-01T00:00 (local).
    pub(super) fn from_local_seconds(seconds: i64) -> LocalDateTime {
        let second_of_day = u32::try_from(seconds.rem_euclid(86_400)).unwrap_or(0);
        LocalDateTime { date: LocalDate::from_days(seconds.div_euclid(86_400)), second_of_day }
    }

    /// The date.
    pub fn date(self) -> LocalDate {
        self.date
    }

    /// The time of day, truncated to the minute.
    pub fn time(self) -> LocalTime {
        LocalTime { minutes: u16::try_from(self.second_of_day / 60).unwrap_or(0) }
    }

    /// The year.
    pub fn year(self) -> i32 {
        self.date.year
    }

    /// The month, 1..=12.
    pub fn month(self) -> u8 {
        self.date.month
    }

    /// The day of the month, 1..=31.
    pub fn day(self) -> u8 {
        self.date.day
    }

    /// The hour, 0..=23.
    pub fn hour(self) -> u8 {
        u8::try_from(self.second_of_day / 3600).unwrap_or(0)
    }

    /// The minute, 0..=59.
    pub fn minute(self) -> u8 {
        u8::try_from(self.second_of_day / 60 % 60).unwrap_or(0)
    }

    /// The second, 0..=59.
    pub fn second(self) -> u8 {
        u8::try_from(self.second_of_day % 60).unwrap_or(0)
    }

    /// The day of the week ([`Weekday::index`]: 0 = Monday).
    pub fn weekday(self) -> Weekday {
        self.date.weekday()
    }
}

impl fmt::Display for LocalDateTime {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{}T{:02}:{:02}:{:02}", self.date, self.hour(), self.minute(), self.second())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn day_numbers_round_trip_across_eras_and_leap_days() {
        for (y, m, d, days) in [
            (1970, 1, 1, 0),
            (2000, 2, 29, 11_016),
            (2026, 3, 29, 20_541),
            (1969, 12, 31, -1),
            (1600, 3, 1, -135_080),
            (-1, 12, 31, -719_529),
        ] {
            assert_eq!(days_from_civil(y, m, d), days, "{y}-{m}-{d}");
            assert_eq!(civil_from_days(days), (y, m, d), "{days}");
        }
        for days in (-800_000..800_000).step_by(997) {
            let (y, m, d) = civil_from_days(days);
            assert_eq!(days_from_civil(y, m, d), days);
        }
    }

    #[test]
    fn weekdays_follow_the_calendar() {
        assert_eq!(Weekday::of_day(0), Weekday::Thursday);
        assert_eq!(Weekday::of_day(-1), Weekday::Wednesday);
        assert_eq!(LocalDate::new(2026, 11, 1).map(LocalDate::weekday), Some(Weekday::Sunday));
        assert_eq!(weekday_sun0(days_from_civil(2026, 11, 1)), 0);
        assert_eq!(Weekday::parse(" TUE "), Ok(Weekday::Tuesday));
        assert!(Weekday::parse("mo").is_err());
    }

    #[test]
    fn local_times_parse_strictly() {
        let ok = |s: &str| LocalTime::parse(s).map(LocalTime::minutes);
        assert_eq!(ok("00:00"), Ok(0));
        assert_eq!(ok("9:05"), Ok(545));
        assert_eq!(ok("23:59"), Ok(1439));
        assert_eq!(ok("24:00"), Ok(1440));
        for bad in ["24:01", "25:00", "12:60", "12", "12:5", "123:00", "ab:cd", "-1:00", "+1:00", "12:00:00", ""] {
            assert_eq!(LocalTime::parse(bad), Err(format!("expected a time like \"22:00\", got \"{bad}\"")));
        }
    }

    #[test]
    fn dates_reject_days_that_do_not_exist() {
        assert!(LocalDate::new(2026, 4, 31).is_none());
        assert!(LocalDate::new(2026, 13, 1).is_none());
        assert!(LocalDate::new(2026, 1, 0).is_none());
        assert!(LocalDate::new(2100, 2, 29).is_none());
        assert!(LocalDate::new(2000, 2, 29).is_some());
    }

    #[test]
    fn readings_split_local_seconds_before_the_epoch() {
        assert_eq!(LocalDateTime::from_local_seconds(-1).to_string(), "1969-12-31T23:59:59");
        assert_eq!(LocalDateTime::from_local_seconds(86_400 + 3_661).to_string(), "1970-01-02T01:01:01");
    }
}
