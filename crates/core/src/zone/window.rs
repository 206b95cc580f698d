//! Daily local-time windows: quiet hours (`22:00-08:00`, wrapping midnight) and business hours
//! (`09:00-17:00` on `mon-fri`).
//!
//! A window is `[from, to)` in wall-clock time. The window *of* a day starts on that day at `from` and ends at
//! the next `to` (the same day, or the next day when `to <= from`); a weekday restriction picks the days whose
//! windows exist, so Friday's `22:00-08:00` window ends on Saturday morning. Each end is the first instant the wall
//! clock reads it: a boundary in a DST gap is crossed at the gap's end (the clock jumps past it), a repeated one
//! at its first occurrence.

use alloc::format;
use alloc::string::String;
use core::iter::FromIterator;

use super::civil::{LocalTime, Weekday};
use super::{clamp, Zone, MAX_MS};
use crate::playbook::compiled::{Compiled, In, Out};
use crate::time::{quote, Timestamp};

/// A set of weekdays.
///
/// ```
/// # use rekindle_core::zone::{Weekday, Weekdays};
/// let days = Weekdays::parse("mon-fri").unwrap();
/// assert!(days.contains(Weekday::Friday) && !days.contains(Weekday::Saturday));
/// assert_eq!(Weekdays::parse("fri-mon").unwrap(), [Weekday::Friday, Weekday::Saturday, Weekday::Sunday, Weekday::Monday].into_iter().collect());
/// ```
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub struct Weekdays(u8); // bit i = Weekday with index i

impl Weekdays {
    /// Every day.
    pub const ALL: Weekdays = Weekdays(0b111_1111);
    /// Monday to Friday.
    pub const MONDAY_TO_FRIDAY: Weekdays = Weekdays(0b001_1111);

    /// True when `day` is in the set.
    pub fn contains(self, day: Weekday) -> bool {
        self.0 & (1 << day.index()) != 0
    }

    /// True when no day is in the set.
    ///
    /// ```
    /// # use rekindle_core::zone::Weekdays;
    /// assert!([].into_iter().collect::<Weekdays>().is_empty());
    /// ```
    pub fn is_empty(self) -> bool {
        self.0 == 0
    }

    /// Parses comma-separated days and day ranges: `"mon-fri"`, `"mon,wed,fri"`, `"sat-sun"`, `"fri-mon"`
    /// (a range may wrap the week), `"monday-friday,sunday"`; any case.
    ///
    /// ```
    /// # use rekindle_core::zone::Weekdays;
    /// assert_eq!(Weekdays::parse("monday - friday"), Ok(Weekdays::MONDAY_TO_FRIDAY));
    /// assert!(Weekdays::parse("weekdays").unwrap_err().contains("\"mon-fri\""));
    /// ```
    pub fn parse(text: &str) -> Result<Weekdays, String> {
        let bad = || format!("expected days like \"mon-fri\" or \"mon,wed,fri\", got \"{}\"", quote(text));
        let mut bits = 0u8;
        for item in text.split(',') {
            let (first, last) = match item.split_once('-') {
                Some((a, b)) => (Weekday::parse(a), Weekday::parse(b)),
                None => (Weekday::parse(item), Weekday::parse(item)),
            };
            let (first, last) = first.and_then(|f| last.map(|l| (f.index(), l.index()))).map_err(|_| bad())?;
            let mut i = first;
            loop {
                bits |= 1 << i;
                if i == last {
                    break;
                }
                i = (i + 1) % 7;
            }
        }
        Ok(Weekdays(bits))
    }
}

/// The day bits; a bit above Sunday's is refused.
impl Compiled for Weekdays {
    fn put(&self, out: &mut Out) {
        self.0.put(out);
    }
    fn get(r: &mut In<'_>) -> Self {
        let bits = u8::get(r);
        if bits & !Weekdays::ALL.0 != 0 {
            r.fail("weekday bits above Sunday's");
            return Weekdays::ALL;
        }
        Weekdays(bits)
    }
}

impl FromIterator<Weekday> for Weekdays {
    fn from_iter<I: IntoIterator<Item = Weekday>>(days: I) -> Weekdays {
        Weekdays(days.into_iter().fold(0, |bits, d| bits | 1 << d.index()))
    }
}

/// A daily local-time window `[from, to)` that may wrap midnight, optionally on some weekdays only.
///
/// ```
/// # use rekindle_core::{Timestamp, zone::{LocalWindow, Zone}};
/// let quiet = LocalWindow::parse("22:00-08:00").unwrap();
/// let warsaw = Zone::find("Europe/Warsaw").unwrap();
/// let t = Timestamp::from_ms(1_767_222_000_000).unwrap(); // 2025-12-31T23:00Z = midnight in Warsaw
/// assert!(quiet.contains(&warsaw, t));
/// assert_eq!(warsaw.to_local(quiet.next_end(&warsaw, t)).to_string(), "2026-01-01T08:00:00");
/// ```
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub struct LocalWindow {
    from: LocalTime,
    to: LocalTime,
    days: Weekdays,
}

/// Start, end and days, read back through [`LocalWindow::new`] and [`LocalWindow::on`]: an empty window, one
/// starting at `24:00` or one on no day is refused.
impl Compiled for LocalWindow {
    fn put(&self, out: &mut Out) {
        let LocalWindow { from, to, days } = self;
        from.put(out);
        to.put(out);
        days.put(out);
    }
    fn get(r: &mut In<'_>) -> Self {
        let (from, to, days) = (LocalTime::get(r), LocalTime::get(r), Weekdays::get(r));
        LocalWindow::new(from, to).and_then(|w| w.on(days)).unwrap_or_else(|_| {
            r.fail("a local window its constructor refuses (empty, from 24:00 or on no day)");
            // A placeholder never used (the playbook is refused): the fields as read, unchecked.
            LocalWindow { from, to, days }
        })
    }
}

impl LocalWindow {
    /// The window `[from, to)` every day; `to <= from` wraps midnight. An empty window (`from == to`) or
    /// one starting at `24:00` is refused.
    ///
    /// ```
    /// # use rekindle_core::zone::{LocalTime, LocalWindow};
    /// let nine = LocalTime::parse("09:00").unwrap();
    /// assert_eq!(LocalWindow::new(nine, nine).unwrap_err(), "expected a window like \"22:00-08:00\" that is not empty, got \"09:00-09:00\"");
    /// ```
    pub fn new(from: LocalTime, to: LocalTime) -> Result<LocalWindow, String> {
        if from == to {
            return Err(format!("expected a window like \"22:00-08:00\" that is not empty, got \"{from}-{to}\""));
        }
        if from == LocalTime::END_OF_DAY {
            return Err(format!("a window cannot start at 24:00; write \"00:00-{to}\""));
        }
        Ok(LocalWindow { from, to, days: Weekdays::ALL })
    }

    /// Parses `"22:00-08:00"` (an en dash or spaces around the dash are fine too).
    ///
    /// ```
    /// # use rekindle_core::zone::LocalWindow;
    /// assert_eq!(LocalWindow::parse("9:00 – 17:30").unwrap().to().to_string(), "17:30");
    /// assert_eq!(LocalWindow::parse("22:00").unwrap_err(), r#"expected a window like "22:00-08:00", got "22:00""#);
    /// assert_eq!(LocalWindow::parse("22:00-25:00").unwrap_err(), r#"expected a time like "22:00", got "25:00""#);
    /// ```
    pub fn parse(text: &str) -> Result<LocalWindow, String> {
        let (from, to) = text
            .split_once('-')
            .or_else(|| text.split_once('–'))
            .ok_or_else(|| format!("expected a window like \"22:00-08:00\", got \"{}\"", quote(text)))?;
        LocalWindow::new(LocalTime::parse(from.trim())?, LocalTime::parse(to.trim())?)
    }

    /// The same window on `days` only (their windows start on those days); refuses an empty set.
    ///
    /// ```
    /// # use rekindle_core::zone::{LocalWindow, Weekdays};
    /// let office = LocalWindow::parse("09:00-17:00").unwrap().on(Weekdays::MONDAY_TO_FRIDAY).unwrap();
    /// assert_eq!(office.days(), Weekdays::MONDAY_TO_FRIDAY);
    /// ```
    pub fn on(self, days: Weekdays) -> Result<LocalWindow, String> {
        if days.is_empty() {
            return Err("expected at least one day like \"mon-fri\", got none".into());
        }
        Ok(LocalWindow { days, ..self })
    }

    /// The start time.
    pub fn from(&self) -> LocalTime {
        self.from
    }

    /// The end time (exclusive).
    pub fn to(&self) -> LocalTime {
        self.to
    }

    /// The days whose windows exist.
    pub fn days(&self) -> Weekdays {
        self.days
    }

    /// True when `t` is inside a window: `start <= t < end`.
    ///
    /// ```
    /// # use rekindle_core::{Timestamp, zone::{LocalWindow, Zone}};
    /// let quiet = LocalWindow::parse("22:00-08:00").unwrap();
    /// assert!(!quiet.contains(&Zone::UTC, Timestamp::from_ms(8 * 3_600_000).unwrap())); // 08:00 is outside
    /// ```
    pub fn contains(&self, zone: &Zone, t: Timestamp) -> bool {
        let today = zone.to_local(t).date().days();
        (today - 2..=today + 1).filter_map(|day| self.window_of(zone, day)).any(|(start, end)| start <= t && t < end)
    }

    /// The first window start at or after `t` (the next window's, when `t` is inside one that began earlier).
    ///
    /// ```
    /// # use rekindle_core::{Timestamp, zone::{LocalWindow, Zone}};
    /// let quiet = LocalWindow::parse("22:00-08:00").unwrap();
    /// assert_eq!(quiet.next_start(&Zone::UTC, Timestamp::EPOCH).ms(), 22 * 3_600_000);
    /// ```
    pub fn next_start(&self, zone: &Zone, t: Timestamp) -> Timestamp {
        self.windows_around(zone, t).map(|(start, _)| start).find(|&start| start >= t).unwrap_or_else(|| clamp(MAX_MS))
    }

    /// The end of the window containing `t`, or else of the next window.
    ///
    /// ```
    /// # use rekindle_core::{Timestamp, zone::{LocalWindow, Zone}};
    /// let quiet = LocalWindow::parse("22:00-08:00").unwrap();
    /// assert_eq!(quiet.next_end(&Zone::UTC, Timestamp::EPOCH).ms(), 8 * 3_600_000);
    /// ```
    pub fn next_end(&self, zone: &Zone, t: Timestamp) -> Timestamp {
        self.windows_around(zone, t).map(|(_, end)| end).find(|&end| end > t).unwrap_or_else(|| clamp(MAX_MS))
    }

    /// Windows of the days from two before `t`'s local date to nine after, in order: enough to hold one that
    /// contains `t` and the next one whatever the weekdays.
    fn windows_around<'a>(&'a self, zone: &'a Zone, t: Timestamp) -> impl Iterator<Item = (Timestamp, Timestamp)> + 'a {
        let today = zone.to_local(t).date().days();
        (today - 2..=today + 9).filter_map(move |day| self.window_of(zone, day))
    }

    /// The window of local day number `day`, if that weekday has one and DST did not squeeze it to nothing.
    fn window_of(&self, zone: &Zone, day: i64) -> Option<(Timestamp, Timestamp)> {
        if !self.days.contains(Weekday::of_day(day)) {
            return None;
        }
        let end_day = if self.to <= self.from { day + 1 } else { day };
        let start = zone.instant_passing_local(day * 86_400 + i64::from(self.from.minutes()) * 60);
        let end = zone.instant_passing_local(end_day * 86_400 + i64::from(self.to.minutes()) * 60);
        (start < end).then_some((start, end))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn days(text: &str) -> u8 {
        Weekdays::parse(text).map(|d| d.0).unwrap_or(0xff)
    }

    #[test]
    fn weekday_sets_parse_lists_and_wrapping_ranges() {
        assert_eq!(days("mon"), 0b000_0001);
        assert_eq!(days("sun"), 0b100_0000);
        assert_eq!(days("mon-fri"), 0b001_1111);
        assert_eq!(days("sat-sun"), 0b110_0000);
        assert_eq!(days("fri-mon"), 0b111_0001);
        assert_eq!(days("mon,wed,fri"), 0b001_0101);
        assert_eq!(days("Mon-Tue, Sunday"), 0b100_0011);
        assert_eq!(days("mon-sun"), 0b111_1111);
        for bad in ["", "mon,", "mon-", "-fri", "mon-fri-sat", "holidays"] {
            assert_eq!(days(bad), 0xff, "{bad}");
        }
    }

    #[test]
    fn windows_refuse_empty_and_late_starts() {
        assert!(LocalWindow::parse("09:00-09:00").unwrap_err().contains("not empty"));
        assert!(LocalWindow::parse("24:00-08:00").unwrap_err().contains("write \"00:00-08:00\""));
        assert!(LocalWindow::parse("00:00-24:00").is_ok());
        assert!(LocalWindow::parse("22:00-00:00").is_ok());
        assert_eq!(LocalWindow::parse("7pm-8am").unwrap_err(), r#"expected a time like "22:00", got "7pm""#);
        let w = LocalWindow::parse("09:00-17:00").unwrap();
        assert!(w.on(Weekdays::parse("mon").unwrap()).is_ok());
        assert!(w.on([].into_iter().collect()).unwrap_err().contains("at least one day"));
    }
}
