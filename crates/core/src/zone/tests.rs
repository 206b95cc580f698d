//! Known instants, each checked once against the system tz database (`TZ=… date -d @…`, tzdata 2025b).

use super::*;
use crate::value::Value;

fn zone(name: &str) -> Zone {
    Zone::find(name).unwrap_or_else(|| panic!("no zone {name}"))
}

/// Every name in the table, whole, in table order.
pub(super) fn table_names() -> Vec<String> {
    table::GROUPS
        .iter()
        .flat_map(|(prefix, records)| {
            records.split_terminator(',').map(move |r| [*prefix, record(r).unwrap().0].concat())
        })
        .collect()
}

fn at(rfc3339: &str) -> Timestamp {
    Timestamp::parse(&Value::String(rfc3339.into()), "t").unwrap()
}

/// `"2026-03-29T02:30"` → the reading `zone.from_local` takes.
fn local(text: &str) -> (LocalDate, LocalTime) {
    let (date, time) = text.split_once('T').unwrap();
    let ymd: Vec<i32> = date.split('-').map(|s| s.parse().unwrap()).collect();
    let date = LocalDate::new(ymd[0], ymd[1] as u8, ymd[2] as u8).unwrap();
    (date, LocalTime::parse(time).unwrap())
}

fn to_local_test(name: &str, utc: &str, expected: &str, offset_hours: f64) {
    let z = zone(name);
    assert_eq!(z.to_local(at(utc)).to_string(), expected, "{name} at {utc}");
    assert_eq!(f64::from(z.offset_at(at(utc))) / 3600.0, offset_hours, "{name} offset at {utc}");
}

fn from_local_test(name: &str, wall: &str, expected_utc: &str) {
    let (date, time) = local(wall);
    assert_eq!(zone(name).from_local(date, time), at(expected_utc), "{name} {wall}");
}

fn next_local_test(name: &str, after: &str, time: &str, expected_utc: &str) {
    let t = next_local(&zone(name), at(after), LocalTime::parse(time).unwrap());
    assert_eq!(t, at(expected_utc), "{name} next {time} after {after}");
}

/// `(contains, next_start, next_end)` of a window at `t`.
fn window_test(window: &str, days: &str, name: &str, t: &str, expected: (bool, &str, &str)) {
    let w = LocalWindow::parse(window).unwrap().on(Weekdays::parse(days).unwrap()).unwrap();
    let (z, t) = (zone(name), at(t));
    let got = (w.contains(&z, t), w.next_start(&z, t), w.next_end(&z, t));
    assert_eq!(got, (expected.0, at(expected.1), at(expected.2)), "{window} {days} in {name} at {t:?}");
}

#[test]
fn table_names_are_sorted_and_each_is_found_by_bisection() {
    let prefixes: Vec<&str> = table::GROUPS.iter().map(|(prefix, _)| *prefix).collect();
    assert!(prefixes.windows(2).all(|w| w[0] < w[1]), "groups not sorted");
    let names = table_names();
    assert_eq!(names.len(), 597);
    for (prefix, records) in table::GROUPS {
        let rests: Vec<&str> = records.split_terminator(',').map(|r| record(r).unwrap().0).collect();
        assert!(rests.windows(2).all(|w| w[0] < w[1]), "group {prefix:?} not sorted");
        assert!(rests.iter().all(|rest| !rest.contains('/')), "group {prefix:?} holds a name of another group");
    }
    for name in names {
        assert_eq!(Zone::find(&name).map(|z| z.name().to_owned()), Some(name.clone()));
        assert_eq!(Zone::find(&name.to_ascii_lowercase()).map(|z| z.name().to_owned()), Some(name));
    }
}

#[test]
fn every_table_rule_parses() {
    for tz in table::RULES {
        assert!(parse_posix(tz).is_ok(), "{tz}: {:?}", parse_posix(tz));
    }
    let records = || table::GROUPS.iter().flat_map(|(p, r)| r.split_terminator(',').map(move |r| (*p, record(r))));
    assert!(records().all(|(_, r)| r.is_some_and(|(_, i, _)| i < table::RULES.len())));
    let listed: Vec<String> =
        records().filter_map(|(p, r)| r.filter(|(.., c)| c.is_some()).map(|(n, ..)| [p, n].concat())).collect();
    assert_eq!(listed, ["Africa/Casablanca", "Africa/El_Aaiun", "Asia/Gaza", "Asia/Hebron"]);
    assert!(listed.iter().all(|name| !zone(name).changes.is_empty()));
}

#[test]
fn find_knows_canonical_names_aliases_and_etc_zones() {
    assert_eq!(zone("Europe/Warsaw").rule(), &parse_posix("CET-1CEST,M3.5.0,M10.5.0/3").unwrap());
    assert_eq!(zone("US/Eastern").rule(), zone("America/New_York").rule());
    assert_eq!(zone("Asia/Calcutta").rule(), zone("Asia/Kolkata").rule());
    assert_eq!(zone("UTC"), Zone::UTC);
    assert_eq!(zone("Etc/GMT+5").rule().standard_offset(), -5 * 3600); // POSIX counts west
    assert_eq!(zone("Etc/GMT-14").rule().standard_offset(), 14 * 3600);
    assert_eq!(zone("Africa/Abidjan").name(), "Africa/Abidjan"); // first record
    assert_eq!(zone("Zulu").name(), "Zulu"); // last record
}

#[test]
fn find_falls_back_to_case_insensitive_names_and_keeps_the_table_spelling() {
    assert_eq!(zone("europe/warsaw").name(), "Europe/Warsaw");
    assert_eq!(zone("AMERICA/NEW_YORK").name(), "America/New_York");
    assert_eq!(zone("utc").name(), "UTC");
}

#[test]
fn find_refuses_unknown_and_malformed_names() {
    for name in
        ["", "Warsaw", "Europe/", "Europe/Warsaw ", "Europe/Warsaw:52", "Europe/Warsaw,", ":", ",", "posixrules"]
    {
        assert!(Zone::find(name).is_none(), "{name:?}");
    }
    assert!(Zone::parse("Europe/Warsw").unwrap_err().contains("\"Europe/Warsaw\""));
}

#[test]
fn zones_display_and_serialise_as_their_names() {
    assert_eq!(zone("Asia/Kolkata").to_string(), "Asia/Kolkata");
    assert_eq!(serde_json::to_string(&zone("US/Eastern")).unwrap(), "\"US/Eastern\"");
    assert_eq!(Zone::fixed(0).unwrap().name(), "+00:00");
    assert_eq!(Zone::fixed(5 * 3600 + 30 * 60 + 15).unwrap().name(), "+05:30:15");
    assert_eq!(Zone::fixed(-86_400).unwrap().name(), "-24:00");
    assert!(Zone::fixed(-86_401).is_none());
    assert!(Zone::from_posix("EST5EDT").is_err());
}

#[test]
fn readings_at_dst_switches() {
    to_local_test("Europe/Warsaw", "2026-03-29T00:59:59Z", "2026-03-29T01:59:59", 1.0);
    to_local_test("Europe/Warsaw", "2026-03-29T01:00:00Z", "2026-03-29T03:00:00", 2.0);
    to_local_test("Europe/Warsaw", "2026-10-25T00:59:59Z", "2026-10-25T02:59:59", 2.0);
    to_local_test("Europe/Warsaw", "2026-10-25T01:00:00Z", "2026-10-25T02:00:00", 1.0);
    to_local_test("America/New_York", "2026-03-08T06:59:59Z", "2026-03-08T01:59:59", -5.0);
    to_local_test("America/New_York", "2026-03-08T07:00:00Z", "2026-03-08T03:00:00", -4.0);
    to_local_test("America/New_York", "2026-11-01T05:59:59Z", "2026-11-01T01:59:59", -4.0);
    to_local_test("America/New_York", "2026-11-01T06:00:00Z", "2026-11-01T01:00:00", -5.0);
    to_local_test("Europe/Dublin", "2026-01-15T12:00:00Z", "2026-01-15T12:00:00", 0.0); // negative DST
    to_local_test("Europe/Dublin", "2026-07-15T12:00:00Z", "2026-07-15T13:00:00", 1.0);
}

#[test]
fn southern_hemisphere_dst_wraps_the_year() {
    to_local_test("Australia/Sydney", "2026-04-04T15:59:59Z", "2026-04-05T02:59:59", 11.0);
    to_local_test("Australia/Sydney", "2026-04-04T16:00:00Z", "2026-04-05T02:00:00", 10.0);
    to_local_test("Australia/Sydney", "2026-10-03T15:59:59Z", "2026-10-04T01:59:59", 10.0);
    to_local_test("Australia/Sydney", "2026-10-03T16:00:00Z", "2026-10-04T03:00:00", 11.0);
    to_local_test("Australia/Sydney", "2026-12-31T14:00:00Z", "2027-01-01T01:00:00", 11.0);
}

#[test]
fn half_hour_offsets_and_half_hour_dst() {
    to_local_test("Asia/Kolkata", "2026-01-15T12:00:00Z", "2026-01-15T17:30:00", 5.5);
    to_local_test("Asia/Kolkata", "2026-07-15T12:00:00Z", "2026-07-15T17:30:00", 5.5);
    to_local_test("Australia/Lord_Howe", "2026-04-04T14:59:59Z", "2026-04-05T01:59:59", 11.0);
    to_local_test("Australia/Lord_Howe", "2026-04-04T15:00:00Z", "2026-04-05T01:30:00", 10.5);
    to_local_test("Australia/Lord_Howe", "2026-10-03T15:29:59Z", "2026-10-04T01:59:59", 10.5);
    to_local_test("Australia/Lord_Howe", "2026-10-03T15:30:00Z", "2026-10-04T02:30:00", 11.0);
}

#[test]
fn zones_without_dst_now_keep_one_offset() {
    to_local_test("America/Sao_Paulo", "2026-01-15T12:00:00Z", "2026-01-15T09:00:00", -3.0);
    to_local_test("America/Sao_Paulo", "2026-07-15T12:00:00Z", "2026-07-15T09:00:00", -3.0);
    to_local_test("Etc/GMT+5", "2026-07-15T12:00:00Z", "2026-07-15T07:00:00", -5.0);
    to_local_test("US/Eastern", "2026-07-15T12:00:00Z", "2026-07-15T08:00:00", -4.0);
}

#[test]
fn readings_before_the_epoch_and_at_the_ends_of_time() {
    to_local_test("Europe/Warsaw", "1969-12-31T23:59:59Z", "1970-01-01T00:59:59", 1.0);
    let max = Timestamp::from_ms(MAX_MS).unwrap();
    assert_eq!(zone("Pacific/Kiritimati").to_local(max).to_string(), "275760-09-13T14:00:00");
    assert_eq!(Zone::UTC.to_local(Timestamp::from_ms(-MAX_MS).unwrap()).to_string(), "-271821-04-20T00:00:00");
    let (date, time) = (LocalDate::new(275_760, 12, 31).unwrap(), LocalTime::END_OF_DAY);
    assert_eq!(zone("Europe/Warsaw").from_local(date, time), max);
    assert_eq!(next_local(&zone("America/New_York"), max, time), max);
}

#[test]
fn gap_times_skip_forward_by_the_gap() {
    from_local_test("Europe/Warsaw", "2026-03-29T01:59", "2026-03-29T00:59:00Z");
    from_local_test("Europe/Warsaw", "2026-03-29T02:00", "2026-03-29T01:00:00Z");
    from_local_test("Europe/Warsaw", "2026-03-29T02:30", "2026-03-29T01:30:00Z"); // 03:30 CEST
    from_local_test("Europe/Warsaw", "2026-03-29T03:00", "2026-03-29T01:00:00Z");
    from_local_test("America/New_York", "2026-03-08T02:30", "2026-03-08T07:30:00Z");
    from_local_test("Australia/Sydney", "2026-10-04T02:30", "2026-10-03T16:30:00Z");
    from_local_test("Australia/Lord_Howe", "2026-10-04T02:15", "2026-10-03T15:45:00Z");
    from_local_test("Europe/Dublin", "2026-03-29T01:30", "2026-03-29T01:30:00Z"); // 02:30 IST
    from_local_test("America/Santiago", "2026-09-06T00:30", "2026-09-06T04:30:00Z");
    // gap at midnight
}

#[test]
fn repeated_times_mean_their_first_occurrence() {
    from_local_test("Europe/Warsaw", "2026-10-25T01:59", "2026-10-24T23:59:00Z");
    from_local_test("Europe/Warsaw", "2026-10-25T02:00", "2026-10-25T00:00:00Z");
    from_local_test("Europe/Warsaw", "2026-10-25T02:30", "2026-10-25T00:30:00Z"); // CEST, not CET
    from_local_test("Europe/Warsaw", "2026-10-25T03:00", "2026-10-25T02:00:00Z");
    from_local_test("America/New_York", "2026-11-01T01:30", "2026-11-01T05:30:00Z");
    from_local_test("Australia/Sydney", "2026-04-05T02:30", "2026-04-04T15:30:00Z");
    from_local_test("Australia/Lord_Howe", "2026-04-05T01:45", "2026-04-04T14:45:00Z");
    from_local_test("Asia/Kolkata", "2026-01-15T17:30", "2026-01-15T12:00:00Z");
    from_local_test("Asia/Kolkata", "2026-01-15T24:00", "2026-01-15T18:30:00Z");
}

#[test]
fn next_local_finds_the_next_wall_time_through_gaps_and_overlaps() {
    next_local_test("Europe/Warsaw", "2026-01-15T08:00:00Z", "09:00", "2026-01-15T08:00:00Z"); // exactly now
    next_local_test("Europe/Warsaw", "2026-01-15T08:00:01Z", "09:00", "2026-01-16T08:00:00Z");
    next_local_test("Europe/Warsaw", "2026-01-15T12:00:00Z", "24:00", "2026-01-15T23:00:00Z");
    next_local_test("Europe/Warsaw", "2026-03-28T12:00:00Z", "02:30", "2026-03-29T01:30:00Z"); // in the gap
    next_local_test("Europe/Warsaw", "2026-10-24T12:00:00Z", "02:30", "2026-10-25T00:30:00Z"); // first of two
    next_local_test("Europe/Warsaw", "2026-10-25T00:31:00Z", "02:30", "2026-10-26T01:30:00Z"); // not the second
    next_local_test("America/Santiago", "2026-09-05T12:00:00Z", "00:30", "2026-09-06T04:30:00Z");
    next_local_test("Pacific/Kiritimati", "2026-01-15T09:59:00Z", "00:00", "2026-01-15T10:00:00Z"); // +14
    next_local_test("Pacific/Pago_Pago", "2026-01-15T10:59:00Z", "00:00", "2026-01-15T11:00:00Z");
    // −11
}

#[test]
fn quiet_hours_wrap_midnight() {
    let all = "mon-sun";
    window_test(
        "22:00-08:00",
        all,
        "Europe/Warsaw",
        "2026-01-15T20:00:00Z",
        (false, "2026-01-15T21:00:00Z", "2026-01-16T07:00:00Z"),
    );
    window_test(
        "22:00-08:00",
        all,
        "Europe/Warsaw",
        "2026-01-15T21:00:00Z",
        (true, "2026-01-15T21:00:00Z", "2026-01-16T07:00:00Z"),
    );
    window_test(
        "22:00-08:00",
        all,
        "Europe/Warsaw",
        "2026-01-15T23:30:00Z",
        (true, "2026-01-16T21:00:00Z", "2026-01-16T07:00:00Z"),
    );
    window_test(
        "22:00-08:00",
        all,
        "Europe/Warsaw",
        "2026-01-16T07:00:00Z",
        (false, "2026-01-16T21:00:00Z", "2026-01-17T07:00:00Z"),
    );
    window_test(
        "22:00-00:00",
        all,
        "Asia/Kolkata",
        "2026-01-15T18:00:00Z",
        (true, "2026-01-16T16:30:00Z", "2026-01-15T18:30:00Z"),
    );
    window_test(
        "00:00-24:00",
        all,
        "Asia/Kolkata",
        "2026-01-15T18:00:00Z",
        (true, "2026-01-15T18:30:00Z", "2026-01-15T18:30:00Z"),
    );
}

#[test]
fn quiet_hours_across_dst_switches() {
    let all = "mon-sun";
    // Spring forward: the night of 28→29 March is an hour shorter in Warsaw (22:00 CET to 08:00 CEST).
    window_test(
        "22:00-08:00",
        all,
        "Europe/Warsaw",
        "2026-03-28T22:00:00Z",
        (true, "2026-03-29T20:00:00Z", "2026-03-29T06:00:00Z"),
    );
    // Fall back: 02:30 CET (the second 02:30) is still quiet; the night ends at 08:00 CET.
    window_test(
        "22:00-08:00",
        all,
        "Europe/Warsaw",
        "2026-10-25T01:30:00Z",
        (true, "2026-10-25T21:00:00Z", "2026-10-25T07:00:00Z"),
    );
    window_test(
        "22:00-08:00",
        all,
        "America/New_York",
        "2026-03-08T02:00:00Z",
        (false, "2026-03-08T03:00:00Z", "2026-03-08T12:00:00Z"),
    );
    // Southern spring: 22:00 AEST on 3 October to 08:00 AEDT on the 4th.
    window_test(
        "22:00-08:00",
        all,
        "Australia/Sydney",
        "2026-10-03T11:00:00Z",
        (false, "2026-10-03T12:00:00Z", "2026-10-03T21:00:00Z"),
    );
    // A boundary inside the gap is crossed when the clock jumps past it: 02:30 on the gap day opens at 03:00 CEST.
    window_test(
        "02:30-06:00",
        all,
        "Europe/Warsaw",
        "2026-03-29T01:00:00Z",
        (true, "2026-03-29T01:00:00Z", "2026-03-29T04:00:00Z"),
    );
}

#[test]
fn business_hours_skip_the_weekend() {
    let office = ("09:00-17:00", "mon-fri");
    // Friday 16 January 2026, 18:00 in Warsaw → Monday 19 January 09:00.
    window_test(
        office.0,
        office.1,
        "Europe/Warsaw",
        "2026-01-16T17:00:00Z",
        (false, "2026-01-19T08:00:00Z", "2026-01-19T16:00:00Z"),
    );
    window_test(
        office.0,
        office.1,
        "Europe/Warsaw",
        "2026-01-17T12:00:00Z",
        (false, "2026-01-19T08:00:00Z", "2026-01-19T16:00:00Z"),
    );
    window_test(
        office.0,
        office.1,
        "Europe/Warsaw",
        "2026-01-16T09:00:00Z",
        (true, "2026-01-19T08:00:00Z", "2026-01-16T16:00:00Z"),
    );
    // Friday 6 March 2026 in New York (EST); the Monday after is already EDT.
    window_test(
        office.0,
        office.1,
        "America/New_York",
        "2026-03-06T23:00:00Z",
        (false, "2026-03-09T13:00:00Z", "2026-03-09T21:00:00Z"),
    );
    // Monday morning in Sydney is still Sunday in UTC.
    window_test(
        office.0,
        office.1,
        "Australia/Sydney",
        "2026-01-18T21:59:00Z",
        (false, "2026-01-18T22:00:00Z", "2026-01-19T06:00:00Z"),
    );
}

#[test]
fn weekday_windows_that_wrap_belong_to_the_day_they_start() {
    // Friday night 22:00–08:00 only: Saturday 03:00 is inside, Sunday 03:00 is not.
    window_test(
        "22:00-08:00",
        "fri",
        "Europe/Warsaw",
        "2026-01-17T02:00:00Z",
        (true, "2026-01-23T21:00:00Z", "2026-01-17T07:00:00Z"),
    );
    window_test(
        "22:00-08:00",
        "fri",
        "Europe/Warsaw",
        "2026-01-18T02:00:00Z",
        (false, "2026-01-23T21:00:00Z", "2026-01-24T07:00:00Z"),
    );
}

// Africa/Casablanca from `zdump -v -c 2025,2046 Africa/Casablanca` (tzdata 2025b):
//   Sun Feb 15 01:59:59 2026 UT = Sun Feb 15 02:59:59 2026 +01 isdst=0 gmtoff=3600
//   Sun Feb 15 02:00:00 2026 UT = Sun Feb 15 02:00:00 2026 +00 isdst=1 gmtoff=0
//   Sun Mar 22 01:59:59 2026 UT = Sun Mar 22 01:59:59 2026 +00 isdst=1 gmtoff=0
//   Sun Mar 22 02:00:00 2026 UT = Sun Mar 22 03:00:00 2026 +01 isdst=0 gmtoff=3600
//   Sun Feb  7 01:59:59 2027 UT = Sun Feb  7 02:59:59 2027 +01 isdst=0 gmtoff=3600
//   Sun Feb  7 02:00:00 2027 UT = Sun Feb  7 02:00:00 2027 +00 isdst=1 gmtoff=0
//   Sun Mar 14 01:59:59 2027 UT = Sun Mar 14 01:59:59 2027 +00 isdst=1 gmtoff=0
//   Sun Mar 14 02:00:00 2027 UT = Sun Mar 14 03:00:00 2027 +01 isdst=0 gmtoff=3600
// Its POSIX footer is `<+01>-1`: without the listed changes every reading below would be +01.

#[test]
fn casablanca_is_utc_during_ramadan_and_plus_one_otherwise() {
    to_local_test("Africa/Casablanca", "2026-01-15T12:00:00Z", "2026-01-15T13:00:00", 1.0);
    to_local_test("Africa/Casablanca", "2026-02-15T01:59:59Z", "2026-02-15T02:59:59", 1.0);
    to_local_test("Africa/Casablanca", "2026-02-15T02:00:00Z", "2026-02-15T02:00:00", 0.0);
    to_local_test("Africa/Casablanca", "2026-03-01T07:30:00Z", "2026-03-01T07:30:00", 0.0);
    to_local_test("Africa/Casablanca", "2026-03-22T01:59:59Z", "2026-03-22T01:59:59", 0.0);
    to_local_test("Africa/Casablanca", "2026-03-22T02:00:00Z", "2026-03-22T03:00:00", 1.0);
    to_local_test("Africa/Casablanca", "2026-07-15T12:00:00Z", "2026-07-15T13:00:00", 1.0);
    to_local_test("Africa/Casablanca", "2027-02-07T01:59:59Z", "2027-02-07T02:59:59", 1.0);
    to_local_test("Africa/Casablanca", "2027-02-07T02:00:00Z", "2027-02-07T02:00:00", 0.0);
    to_local_test("Africa/Casablanca", "2027-03-14T01:59:59Z", "2027-03-14T01:59:59", 0.0);
    to_local_test("Africa/Casablanca", "2027-03-14T02:00:00Z", "2027-03-14T03:00:00", 1.0);
    to_local_test("Africa/El_Aaiun", "2026-03-01T07:30:00Z", "2026-03-01T07:30:00", 0.0);
    // Outside the window [2025, 2045) the footer decides again: +01 in Ramadan 2045 (zdump: +00 from 9 July).
    to_local_test("Africa/Casablanca", "2045-07-15T12:00:00Z", "2045-07-15T13:00:00", 1.0);
    to_local_test("Africa/Casablanca", "2024-03-20T12:00:00Z", "2024-03-20T13:00:00", 1.0);
}

#[test]
fn casablanca_local_times_across_ramadan() {
    from_local_test("Africa/Casablanca", "2026-01-15T09:00", "2026-01-15T08:00:00Z");
    from_local_test("Africa/Casablanca", "2026-03-01T09:00", "2026-03-01T09:00:00Z");
    from_local_test("Africa/Casablanca", "2027-02-20T09:00", "2027-02-20T09:00:00Z");
    from_local_test("Africa/Casablanca", "2027-04-01T09:00", "2027-04-01T08:00:00Z");
    // Ramadan starts by turning 03:00 back to 02:00: 02:00–02:59 happen twice, the first (+01) counts.
    from_local_test("Africa/Casablanca", "2026-02-15T01:59", "2026-02-15T00:59:00Z");
    from_local_test("Africa/Casablanca", "2026-02-15T02:30", "2026-02-15T01:30:00Z");
    from_local_test("Africa/Casablanca", "2026-02-15T03:00", "2026-02-15T03:00:00Z");
    next_local_test("Africa/Casablanca", "2026-02-15T01:31:00Z", "02:30", "2026-02-16T02:30:00Z"); // not the second
                                                                                                   // It ends by skipping 02:00–02:59: 02:30 is read as 03:30 +01.
    from_local_test("Africa/Casablanca", "2026-03-22T01:59", "2026-03-22T01:59:00Z");
    from_local_test("Africa/Casablanca", "2026-03-22T02:30", "2026-03-22T02:30:00Z");
    from_local_test("Africa/Casablanca", "2026-03-22T03:00", "2026-03-22T02:00:00Z");
    from_local_test("Africa/Casablanca", "2027-03-14T02:00", "2027-03-14T02:00:00Z");
}

#[test]
fn quiet_hours_in_casablanca_follow_ramadan() {
    // 07:30Z is 07:30 local in Ramadan, still quiet; the rule alone said 08:30 and let the email out.
    window_test(
        "22:00-08:00",
        "mon-sun",
        "Africa/Casablanca",
        "2026-03-01T07:30:00Z",
        (true, "2026-03-01T22:00:00Z", "2026-03-01T08:00:00Z"),
    );
    window_test(
        "22:00-08:00",
        "mon-sun",
        "Africa/Casablanca",
        "2026-04-01T07:30:00Z",
        (false, "2026-04-01T21:00:00Z", "2026-04-02T07:00:00Z"),
    );
    // The night Ramadan ends is an hour shorter: 22:00 +00 to 08:00 +01.
    window_test(
        "22:00-08:00",
        "mon-sun",
        "Africa/Casablanca",
        "2026-03-21T23:00:00Z",
        (true, "2026-03-22T21:00:00Z", "2026-03-22T07:00:00Z"),
    );
    // A settled zone (what quiet hours and SLAs use) answers the same inside and across the window's edges.
    for t in ["2026-02-15T01:59:59Z", "2026-02-15T02:00:00Z", "2026-03-22T02:00:00Z", "2024-12-31T23:59:59Z"] {
        let z = zone("Africa/Casablanca");
        let settled = z.clone().settled(at(t));
        for probe in [-50, -30, -1, 0, 1, 30, 50].map(|days: i64| at(t).ms() + days * 86_400_000) {
            let probe = Timestamp::from_ms(probe).unwrap();
            assert_eq!(settled.offset_at(probe), z.offset_at(probe), "settled at {t}, probe {probe:?}");
        }
    }
}

#[test]
fn gaza_starts_dst_after_ramadan() {
    // zdump: 2025-04-12 00:00:00 UT → +03 (EEST); the footer `EET-2EEST,M3.4.4/50,M10.4.4/50` says 29 March.
    to_local_test("Asia/Gaza", "2025-04-01T12:00:00Z", "2025-04-01T14:00:00", 2.0);
    to_local_test("Asia/Gaza", "2025-04-12T00:00:00Z", "2025-04-12T03:00:00", 3.0);
    from_local_test("Asia/Gaza", "2025-04-12T02:30", "2025-04-12T00:30:00Z"); // in the gap: 03:30 EEST
                                                                              // zdump: 2037-10-09 23:00:00 UT → +02, two weeks before the footer's 24 October.
    to_local_test("Asia/Gaza", "2037-10-15T12:00:00Z", "2037-10-15T14:00:00", 2.0);
}

/// DESIGN §7: quiet hours are local `[from, to)`, so a boundary is where the wall clock reaches it. One that falls
/// in a spring-forward gap is reached at the gap's end, when the clock jumps past it (not a gap's length later,
/// which is where a send *scheduled* at that time goes); one in a fall-back overlap at its first occurrence.
#[test]
fn a_window_boundary_in_a_dst_gap_is_crossed_at_the_gap_end() {
    let all = "mon-sun";
    // Warsaw skips 02:00–03:00 on 29 March 2026 (01:00Z). At 03:10 CEST the clock reads past 02:30: quiet.
    window_test(
        "02:30-06:00",
        all,
        "Europe/Warsaw",
        "2026-03-29T01:10:00Z",
        (true, "2026-03-30T00:30:00Z", "2026-03-29T04:00:00Z"),
    );
    // A minute before the jump (01:59 CET) it is not yet quiet, and quiet hours start at the jump.
    window_test(
        "02:30-06:00",
        all,
        "Europe/Warsaw",
        "2026-03-29T00:59:00Z",
        (false, "2026-03-29T01:00:00Z", "2026-03-29T04:00:00Z"),
    );
    // New York skips 02:00–03:00 on 8 March 2026 (07:00Z): quiet hours ending 02:30 end at 03:00 EDT.
    window_test(
        "22:00-02:30",
        all,
        "America/New_York",
        "2026-03-08T06:00:00Z",
        (true, "2026-03-09T02:00:00Z", "2026-03-08T07:00:00Z"),
    );
    // Santiago skips 00:00–01:00 on 6 September 2026 (04:00Z): 00:30 is reached at 01:00 -03.
    window_test(
        "00:30-06:00",
        all,
        "America/Santiago",
        "2026-09-06T03:59:00Z",
        (false, "2026-09-06T04:00:00Z", "2026-09-06T09:00:00Z"),
    );
    // New York repeats 01:00–02:00 on 1 November 2026 (06:00Z = 02:00 EDT → 01:00 EST). A start at 01:30 is its
    // first occurrence (05:30Z) and the night holds through the repeat; an end at 01:30 is its first occurrence
    // too, and the repeated 01:15 EST is no longer quiet.
    window_test(
        "01:30-05:00",
        all,
        "America/New_York",
        "2026-11-01T06:15:00Z",
        (true, "2026-11-02T06:30:00Z", "2026-11-01T10:00:00Z"),
    );
    window_test(
        "22:00-01:30",
        all,
        "America/New_York",
        "2026-11-01T06:15:00Z",
        (false, "2026-11-02T03:00:00Z", "2026-11-02T06:30:00Z"),
    );
}
