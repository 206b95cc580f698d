//! The handoff SLA (D19; docs/playbook.md § handoff, DESIGN §7) against a brute-force reference: `dueAt` is the
//! instant at which `min(sla, max)` of **business time** has passed since `sqlAt`, business time being the instants
//! at which the sales team's wall clock has reached a listed day's `from` and not yet that window's `to` (docs §
//! policy, which `business_hours` is written as: a window holds while the clock reads `[from, to)`, an end in a
//! gap is passed when the clock jumps over it, an end in a repeated hour at its first occurrence; a window that
//! wraps midnight belongs to the day it starts on).
//!
//! The reference knows nothing of windows as intervals of instants. It walks UTC a minute at a time, reads the wall
//! clock through [`Zone::to_local`] (checked against zdump in `zone/zdump_tests.rs`), keeps the latest reading so
//! far (a clock that fell back has still *reached* the times it showed before), and counts a minute as business
//! time when that reading lies in a listed day's `[from, to)`. Every offset of the zones below is a whole number of
//! minutes and changes at a whole UTC minute, so whether the clock has reached a whole local minute can only change
//! at a whole UTC minute: the walk is exact to the millisecond once the partial minute after `sqlAt` is counted in
//! part. Days are counted from 1970-01-01, a Thursday; weekday sets are written out as the playbook text sales-ops
//! would type (`"sun-thu"`, `"mon,wed,fri"`, `"Friday-Monday"`) and read back as bits by the reference alone.
//!
//! Then `decide` is asked at `sqlAt`, a millisecond after it, around `dueAt` (± 1 ms), between, and long after:
//! `sqlAt` and `dueAt` never move with `now`, `overdue` is `now ≥ dueAt`, and while `dueAt` is ahead the decision's
//! `validUntil` is no later than it (a cached decision would otherwise miss the SLA falling due).
//!
//! Cases: SQL instants around the zones' DST changes (New York, London, Sydney, Lord Howe's half hour, Chatham's
//! +12:45/+13:45, Santiago's midnight changes, New Year in southern summer time, Casablanca's listed Ramadan change,
//! London in 2101), in +5:30, +5:45 and UTC, before the epoch, on a leap day, at business-hours edges ± 1 ms, anywhere
//! to the millisecond, on closed days; windows of any minutes, night shifts wrapping midnight, ends in the DST
//! hours, `00:00-24:00`; SLAs from 30 s to 30 days (up to 8 weeks of business hours in debug, 60 in release).
//! `PROPTEST_CASES` raises the count (release: thousands).
#![allow(clippy::expect_used, clippy::unwrap_used, clippy::indexing_slicing, clippy::panic, missing_docs)]

use proptest::prelude::*;
use rekindle_core::zone::{days_from_civil, Zone};
use rekindle_core::{decide, ContactState, Error, Event, Playbook, ProblemCode, Timestamp, Value};

const MINUTE: i64 = 60_000;
const HOUR: i64 = 60 * MINUTE;
const DAY: i64 = 24 * HOUR;

/// Cases: a few dozen in debug (CI's `cargo test --workspace`), more in release; `PROPTEST_CASES` overrides both.
fn cases() -> u32 {
    let default = if cfg!(debug_assertions) { 96 } else { 3000 };
    std::env::var("PROPTEST_CASES").ok().and_then(|v| v.parse().ok()).unwrap_or(default)
}

/// `y-m-d hh:mm` UTC in ms.
fn utc(y: i64, m: u8, d: u8, h: i64, min: i64) -> i64 {
    days_from_civil(y, m, d) * DAY + h * HOUR + min * MINUTE
}

/// The zones, each with the instants it changes its clocks at (none for the zones without DST: a plain date).
fn anchors() -> Vec<(&'static str, i64)> {
    vec![
        ("America/New_York", utc(2026, 3, 8, 7, 0)),   // springs forward at 02:00 EST
        ("America/New_York", utc(2026, 11, 1, 6, 0)),  // falls back at 02:00 EDT
        ("Europe/London", utc(2026, 3, 29, 1, 0)),     // springs forward at 01:00 GMT
        ("Europe/London", utc(2026, 10, 25, 1, 0)),    // falls back at 02:00 BST
        ("Australia/Sydney", utc(2026, 4, 4, 16, 0)),  // falls back at 03:00 AEDT (Sunday)
        ("Australia/Sydney", utc(2026, 10, 3, 16, 0)), // springs forward at 02:00 AEST (Sunday)
        ("Australia/Lord_Howe", utc(2026, 4, 4, 15, 0)), // falls back half an hour at 02:00 +11
        ("Australia/Lord_Howe", utc(2026, 10, 3, 15, 30)), // springs forward half an hour at 02:00 +1030
        ("Pacific/Chatham", utc(2026, 4, 4, 14, 0)),   // falls back at 03:45 +1345
        ("Pacific/Chatham", utc(2026, 9, 26, 14, 0)),  // springs forward at 02:45 +1245
        ("America/Santiago", utc(2026, 4, 5, 3, 0)),   // falls back at midnight
        ("America/Santiago", utc(2026, 9, 6, 4, 0)),   // springs forward at midnight
        ("Asia/Kolkata", utc(2026, 3, 6, 3, 30)),      // +5:30, a Friday
        ("Asia/Kathmandu", utc(2026, 6, 12, 12, 15)),  // +5:45, a Friday
        ("UTC", utc(2026, 1, 2, 16, 59)),              // a Friday
        ("Europe/London", utc(2026, 12, 24, 12, 0)),   // a quiet Thursday
        ("Australia/Sydney", utc(2026, 12, 31, 13, 0)), // New Year in summer time
        ("Pacific/Chatham", utc(2026, 12, 31, 10, 15)), // New Year at +13:45
        ("America/Santiago", utc(2026, 12, 31, 21, 0)), // New Year in summer time
        ("Africa/Casablanca", utc(2026, 2, 15, 2, 0)), // Ramadan's +00 (a listed change, not a rule)
        ("America/New_York", utc(1969, 12, 31, 23, 0)), // before the epoch: negative milliseconds
        ("Asia/Kathmandu", utc(1970, 1, 1, 0, 0)),     // the epoch
        ("Australia/Sydney", utc(2028, 2, 29, 1, 0)),  // a leap day
        ("Europe/London", utc(2101, 3, 27, 1, 0)),     // springs forward, past the table's change lists
    ]
}

/// Business hours in local minutes (`to` 1440 is `24:00`) on the days of `days` (bit i: Monday + i).
#[derive(Debug, Clone, Copy)]
struct Hours {
    from: u16,
    to: u16,
    days: u8,
}

impl Hours {
    /// Whether a wall clock that has reached local minute `reached` (minutes since 1970-01-01T00:00 local) is
    /// inside a window: one of a listed day `d` (this day or, wrapping midnight, the day before) whose start
    /// `d + from` it has reached and whose end (`d + to`, or the next day's `to` for a window that wraps) it has not.
    fn open_at(&self, reached: i64) -> bool {
        let day = reached.div_euclid(1440);
        (day - 1..=day).any(|d| {
            let listed = self.days & (1 << (d + 3).rem_euclid(7)) != 0;
            let start = d * 1440 + i64::from(self.from);
            let end = if self.to <= self.from { d + 1 } else { d } * 1440 + i64::from(self.to);
            listed && start <= reached && reached < end
        })
    }

    fn text(&self) -> String {
        let hm = |m: u16| format!("{:02}:{:02}", m / 60, m % 60);
        format!("{}-{}", hm(self.from), hm(self.to))
    }
}

/// The wall clock's reading at UTC minute `minute`, in local minutes since 1970-01-01T00:00 local.
fn reading(zone: &Zone, minute: i64) -> i64 {
    let l = zone.to_local(Timestamp::from_ms(minute * MINUTE).unwrap());
    days_from_civil(i64::from(l.year()), l.month(), l.day()) * 1440 + i64::from(l.hour()) * 60 + i64::from(l.minute())
}

/// The wall clock walked a UTC minute at a time from `minute`: yields `(minute, the latest reading so far)`. It
/// starts reading two days early, further back than any clock falls back.
fn walk(zone: &Zone, minute: i64) -> impl Iterator<Item = (i64, i64)> + '_ {
    let mut reached = (minute - 2 * 1440..minute).map(|m| reading(zone, m)).max().unwrap();
    (minute..).map(move |m| {
        reached = reached.max(reading(zone, m));
        (m, reached)
    })
}

/// The instant `budget` ms of business time after `sql_at`, if within `horizon` minutes.
fn reference_due(zone: &Zone, hours: Hours, sql_at: i64, budget: i64, horizon: i64) -> Option<i64> {
    let first = sql_at.div_euclid(MINUTE);
    let mut left = budget;
    for (m, reached) in walk(zone, first).take_while(|(m, _)| *m < first + horizon) {
        if hours.open_at(reached) {
            let from = (m * MINUTE).max(sql_at);
            let open = (m + 1) * MINUTE - from;
            if left <= open {
                return Some(from + left);
            }
            left -= open;
        }
    }
    None
}

/// The instants within two days of `anchor` at which business hours open or close.
fn edges(zone: &Zone, hours: Hours, anchor: i64) -> Vec<i64> {
    let first = anchor.div_euclid(MINUTE) - 2 * 1440;
    let mut was = None;
    let mut out = Vec::new();
    for (m, reached) in walk(zone, first).take(4 * 1440) {
        let open = hours.open_at(reached);
        if was.is_some_and(|w| w != open) {
            out.push(m * MINUTE);
        }
        was = Some(open);
    }
    out
}

const DAY_NAMES: [(&str, &str); 7] = [
    ("mon", "Monday"),
    ("tue", "Tuesday"),
    ("wed", "Wednesday"),
    ("thu", "Thursday"),
    ("fri", "Friday"),
    ("sat", "Saturday"),
    ("sun", "Sunday"),
];

/// `days` as a playbook writes them: maximal runs as ranges (`"sun-thu"`, wrapping the week) or every day listed
/// (`"mon,wed,fri"`), in short or long names.
fn days_text(days: u8, runs: bool, long: bool) -> String {
    let name = |i: usize| if long { DAY_NAMES[i].1 } else { DAY_NAMES[i].0 };
    if !runs || days == 0x7f {
        if days == 0x7f && runs {
            return format!("{}-{}", name(0), name(6));
        }
        return (0..7).filter(|i| days & (1 << i) != 0).map(name).collect::<Vec<_>>().join(",");
    }
    // Start after a closed day, so no run is cut in two by the week's start.
    let start = (0..7).find(|i| days & (1 << ((i + 6) % 7)) == 0).unwrap();
    let mut parts = Vec::new();
    let mut i = 0;
    while i < 7 {
        let d = (start + i) % 7;
        if days & (1 << d) == 0 {
            i += 1;
            continue;
        }
        let mut len = 1;
        while len + i < 7 && days & (1 << ((d + len) % 7)) != 0 {
            len += 1;
        }
        let last = (d + len - 1) % 7;
        parts.push(if len == 1 { name(d).to_owned() } else { format!("{}-{}", name(d), name(last)) });
        i += len;
    }
    parts.join(",")
}

/// SLA and max texts with their lengths in ms.
const SPANS: [(&str, i64); 18] = [
    ("30s", 30_000),
    ("90s", 90_000),
    ("1min", MINUTE),
    ("5min", 5 * MINUTE),
    ("15min", 15 * MINUTE),
    ("15min", 15 * MINUTE),
    ("45min", 45 * MINUTE),
    ("1h", HOUR),
    ("90min", 90 * MINUTE),
    ("2h", 2 * HOUR),
    ("2h", 2 * HOUR),
    ("4h", 4 * HOUR),
    ("8h", 8 * HOUR),
    ("1d", DAY),
    ("36h", 36 * HOUR),
    ("3d", 3 * DAY),
    ("1w", 7 * DAY),
    ("30d", 30 * DAY),
];

#[derive(Debug, Clone)]
struct Case {
    zone: &'static str,
    hours: Hours,
    days_text: String,
    sla: (&'static str, i64),
    max: (&'static str, i64),
    sql_at: i64,
    /// Where between `sqlAt` and `dueAt` to ask too, in thousandths.
    between: i64,
}

impl Case {
    fn budget(&self) -> i64 {
        self.sla.1.min(self.max.1)
    }

    fn playbook(&self) -> Playbook {
        let json = serde_json::json!({ "version": 1,
            "signals": { "demo": { "kind": "form_submit", "match": { "form": "demo" } } },
            "stages": { "sql": { "any": [ { "signal": "demo", "within": "3650d" } ] } },
            "handoff": { "business_hours": self.hours.text(), "days": self.days_text, "sla": self.sla.0,
                         "max": self.max.0, "timezone": self.zone } });
        Playbook::parse(&serde_json::from_value::<Value>(json).unwrap()).unwrap()
    }

    fn state(&self, pb: &Playbook) -> ContactState {
        let events = serde_json::json!([{ "id": "d", "at": self.sql_at, "kind": "form_submit",
            "props": { "form": "demo" } }]);
        let mut s = ContactState::new();
        s.fold(pb, &Event::parse_list(&serde_json::from_value::<Value>(events).unwrap(), "events").unwrap());
        s
    }

    /// The reference's due instant; cases are drawn so it lies within [`weeks`] and a few more.
    fn due(&self) -> i64 {
        let zone = Zone::find(self.zone).unwrap();
        let horizon = (weeks() + 4) * 7 * 1440;
        reference_due(&zone, self.hours, self.sql_at, self.budget(), horizon).expect("due within the weeks drawn")
    }
}

/// The decision's handoff `(sqlAt, dueAt, overdue)` and `validUntil` at `now`.
fn engine(pb: &Playbook, s: &ContactState, now: i64) -> (Option<(i64, i64, bool)>, Option<i64>) {
    let d = serde_json::to_value(decide(pb, s, Timestamp::from_ms(now).unwrap())).unwrap();
    let h = &d["handoff"];
    let packet = (!h.is_null())
        .then(|| (h["sqlAt"].as_i64().unwrap(), h["dueAt"].as_i64().unwrap(), h["overdue"].as_bool().unwrap()));
    (packet, d["validUntil"].as_i64())
}

fn hours_strategy() -> impl Strategy<Value = (u16, u16)> {
    let quarter = |q: u16| q * 15;
    prop_oneof![
        // Office hours on quarter hours.
        3 => (24..48u16, 4..49u16).prop_map(move |(f, len)| (quarter(f), quarter(f + len).min(1440))),
        // Night shifts wrapping midnight.
        2 => (68..96u16, 0..44u16).prop_map(move |(f, t)| (quarter(f), quarter(t))),
        // Any whole minutes, `24:00` as an end.
        2 => (0..1440u16, 1..=1440u16),
        // An end in the small hours, where the clocks change.
        2 => (0..20u16, 0..96u16, any::<bool>()).prop_map(move |(n, other, starts)| {
            if starts { (quarter(n), quarter(other).max(15)) } else { (quarter(other), quarter(n) + 15) }
        }),
        1 => Just((0, 1440)),
    ]
    .prop_filter("not empty", |(f, t)| f != t)
}

fn days_strategy() -> impl Strategy<Value = u8> {
    prop_oneof![
        3 => Just(0b001_1111u8), // mon-fri
        1 => Just(0b111_1111),   // every day
        1 => Just(0b100_1111),   // sun-thu
        1 => Just(0b001_0101),   // mon,wed,fri
        1 => Just(0b110_0000),   // sat-sun
        3 => 1..128u8,
    ]
}

/// How many weeks of business hours an SLA may last: 8 in debug, where the reference walks each minute of them
/// slowly; 60 in release, so SLAs of weeks (`"30d"`) run across several DST changes too.
fn weeks() -> i64 {
    if cfg!(debug_assertions) {
        8
    } else {
        60
    }
}

/// A day's worth of business minutes at most once a week would keep the reference walking for years: drawn cases
/// are due within [`weeks`] by the weekly business time (DST moves that by an hour or so).
fn plausible(hours: Hours, budget: i64) -> bool {
    let len = if hours.to <= hours.from { 1440 - hours.from + hours.to } else { hours.to - hours.from };
    let weekly = i64::from(len) * i64::from(hours.days.count_ones()) * MINUTE;
    budget <= weeks() * weekly
}

/// Business hours with an end a few quarter hours around the anchor's clock change (the wall-clock minute it
/// leaves), on a set of days holding the change's day and, for a window wrapping midnight, the day before: windows
/// that start or end in a gap or a repeated hour, or are squeezed to nothing by one.
fn at_the_change(zone: &Zone, anchor: i64, (a, b): (i64, i64), days: u8, wrap_day: bool) -> Hours {
    let left = reading(zone, anchor.div_euclid(MINUTE) - 1) + 1;
    let at = |q: i64| u16::try_from((left + q * 15).rem_euclid(1440)).unwrap();
    let (from, to) = (at(a), at(b));
    let to = if to == 0 { 1440 } else { to };
    let day = left.div_euclid(1440);
    let bit = |d: i64| 1u8 << (d + 3).rem_euclid(7);
    let days = days | bit(day) | if wrap_day && to <= from { bit(day - 1) } else { 0 };
    Hours { from, to, days }
}

fn case_strategy() -> impl Strategy<Value = Case> {
    let anchor = prop::sample::select(anchors());
    let sql = prop_oneof![
        // At an edge of business hours near the anchor, ± 1 ms or a minute.
        3 => (any::<prop::sample::Index>(), prop::sample::select(vec![-MINUTE, -1, 0, 1, MINUTE]))
            .prop_map(|(i, d)| (Some(i), d)),
        // Anywhere within three days of the anchor, to the millisecond.
        2 => (-3 * DAY..3 * DAY).prop_map(|d| (None, d)),
        // On a quarter hour within a week of the anchor.
        1 => (-7 * 96..7 * 96i64).prop_map(|q| (None, q * 15 * MINUTE)),
        // At the anchor's clock change ± 1 ms.
        1 => (-1..=1i64).prop_map(|d| (None, d)),
    ];
    let change = prop::option::weighted(0.4, ((-8..=8i64, -8..=8i64), any::<bool>()));
    (
        (anchor, change),
        hours_strategy(),
        days_strategy(),
        (any::<bool>(), any::<bool>()),
        prop::sample::select(SPANS.to_vec()),
        prop::sample::select(SPANS.to_vec()),
        sql,
        0..1000i64,
    )
        .prop_filter_map(
            "due within weeks",
            |(((zone, anchor), change), (from, to), days, (runs, long), sla, max, sql, between)| {
                let z = Zone::find(zone).unwrap();
                let hours = match change {
                    Some((ends, wrap_day)) => at_the_change(&z, anchor, ends, days, wrap_day),
                    None => Hours { from, to, days },
                };
                if hours.from == hours.to || !plausible(hours, sla.1.min(max.1)) {
                    return None;
                }
                let sql_at = match sql {
                    (Some(i), d) => {
                        let edges = edges(&z, hours, anchor);
                        if edges.is_empty() {
                            anchor + d
                        } else {
                            edges[i.index(edges.len())] + d
                        }
                    }
                    (None, d) => anchor + d,
                };
                let days_text = days_text(hours.days, runs, long);
                Some(Case { zone, hours, days_text, sla, max, sql_at, between })
            },
        )
}

proptest! {
    #![proptest_config(ProptestConfig { cases: cases(), ..ProptestConfig::default() })]

    /// `dueAt` is `min(sla, max)` of business time after `sqlAt`, the same at every `now`; `overdue` is
    /// `now ≥ dueAt`; while `dueAt` is ahead, the decision is valid no later than it.
    #[test]
    fn due_is_the_sla_of_business_time_after_sql(case in case_strategy()) {
        let pb = case.playbook();
        let s = case.state(&pb);
        let due = case.due();
        let sql = case.sql_at;
        let nows = [sql, sql + 1, sql + (due - sql) * case.between / 1000, due - 1, due, due + 1, due + 9 * DAY];
        for now in nows.into_iter().filter(|n| *n >= sql) {
            let (packet, valid_until) = engine(&pb, &s, now);
            let Some((sql_at, due_at, overdue)) = packet else {
                return Err(TestCaseError::fail(format!("no packet at {now}: {case:?}")));
            };
            prop_assert_eq!(sql_at, sql, "sqlAt at {} {:?}", now, case);
            prop_assert_eq!(due_at, due, "dueAt at {} (reference {} min after sqlAt) {:?}", now, (due - sql) / MINUTE, case);
            prop_assert_eq!(overdue, now >= due, "overdue at {} {:?}", now, case);
            if due > now {
                prop_assert!(valid_until.is_some_and(|v| now < v && v <= due), "validUntil {:?} at {} {:?}", valid_until, now, case);
            }
        }
    }
}

/// The reference itself, on the examples docs/playbook.md § handoff gives and the engine's own tests pin: a
/// reference that got these wrong would prove nothing. The engine is held to it by the property above.
#[test]
fn the_reference_reads_the_documented_examples() {
    let office = Hours { from: 9 * 60, to: 17 * 60, days: 0b001_1111 };
    let warsaw = Zone::find("Europe/Warsaw").unwrap();
    let due =
        |zone: &Zone, hours: Hours, sql: i64, budget: i64| reference_due(zone, hours, sql, budget, 60 * 1440).unwrap();
    // Warsaw in November is UTC+1: local `h:m` is UTC `h − 1`.
    let fifteen = 15 * MINUTE;
    assert_eq!(due(&warsaw, office, utc(2025, 11, 26, 9, 0), fifteen), utc(2025, 11, 26, 9, 15)); // within hours
    assert_eq!(due(&warsaw, office, utc(2025, 11, 28, 17, 0), fifteen), utc(2025, 12, 1, 8, 15)); // Fri 18:00 → Mon
    assert_eq!(due(&warsaw, office, utc(2025, 11, 25, 15, 50), fifteen), utc(2025, 11, 26, 8, 5)); // 16:50 → 09:05
    assert_eq!(due(&warsaw, office, utc(2025, 11, 25, 15, 45), fifteen), utc(2025, 11, 25, 16, 0)); // at closing
    assert_eq!(due(&warsaw, office, utc(2025, 11, 27, 15, 0), 2 * HOUR), utc(2025, 11, 28, 9, 0)); // 1 h + 1 h
                                                                                                   // Warsaw's spring-forward weekend: Monday opens at 09:00 CEST (07:00Z).
    assert_eq!(due(&warsaw, office, utc(2026, 3, 27, 17, 0), fifteen), utc(2026, 3, 30, 7, 15));
    // A night shift from Friday 22:00 runs into Saturday; Saturday has none of its own.
    let nights = Hours { from: 22 * 60, to: 6 * 60, days: 0b001_1111 };
    assert_eq!(due(&Zone::UTC, nights, utc(2026, 1, 3, 5, 50), fifteen), utc(2026, 1, 5, 22, 5)); // Sat 05:50
                                                                                                  // New York falls back at 02:00 EDT on Sunday 2026-11-01: a 00:00-03:00 window that day runs four hours, and
                                                                                                  // 01:00-01:30 counts once.
    let ny = Zone::find("America/New_York").unwrap();
    let small = Hours { from: 0, to: 180, days: 0b100_0000 };
    assert_eq!(due(&ny, small, utc(2026, 11, 1, 4, 0), 4 * HOUR), utc(2026, 11, 1, 8, 0));
    let repeated = Hours { from: 60, to: 90, days: 0b100_0000 };
    assert_eq!(due(&ny, repeated, utc(2026, 11, 1, 5, 0), 30 * MINUTE), utc(2026, 11, 1, 5, 30));
    assert_eq!(due(&ny, repeated, utc(2026, 11, 1, 5, 30), MINUTE), utc(2026, 11, 8, 6, 1));
    // It springs forward at 02:00 EST on 2026-03-08: 02:15-02:45 does not exist, 02:30-04:00 opens at 03:00 EDT.
    let gap = Hours { from: 150, to: 240, days: 0b100_0000 };
    assert_eq!(due(&ny, gap, utc(2026, 3, 8, 6, 0), 30 * MINUTE), utc(2026, 3, 8, 7, 30));
    // A night shift lasts 7 hours the night New York springs forward (Saturday 2026-03-07) and 9 the night it
    // falls back (Saturday 2026-10-31), as docs/playbook.md § handoff says.
    let nights = Hours { from: 22 * 60, to: 6 * 60, days: 0b111_1111 };
    assert_eq!(due(&ny, nights, utc(2026, 3, 8, 3, 0), 7 * HOUR), utc(2026, 3, 8, 10, 0));
    assert_eq!(due(&ny, nights, utc(2026, 3, 8, 3, 0), 7 * HOUR + MINUTE), utc(2026, 3, 9, 2, 1));
    assert_eq!(due(&ny, nights, utc(2026, 11, 1, 2, 0), 9 * HOUR), utc(2026, 11, 1, 11, 0));
    assert_eq!(days_text(0b100_1111, true, false), "sun-thu");
    assert_eq!(days_text(0b001_0101, true, true), "Monday,Wednesday,Friday");
    assert_eq!(days_text(0b111_0001, true, false), "fri-mon");
    assert_eq!(days_text(0b111_1111, false, false), "mon,tue,wed,thu,fri,sat,sun");
}

/// The handoff section's problems as `(path, code)`, none when the playbook parses.
fn handoff_problems(hours: &str, days: &str, sla: &str, max: &str) -> Vec<(String, ProblemCode)> {
    let json = serde_json::json!({ "version": 1, "signals": {},
        "handoff": { "business_hours": hours, "days": days, "sla": sla, "max": max } });
    match Playbook::parse(&serde_json::from_value::<Value>(json).unwrap()) {
        Ok(_) => Vec::new(),
        Err(Error::InvalidPlaybook { problems }) => problems.into_iter().map(|p| (p.path, p.code)).collect(),
        Err(other) => panic!("not a playbook error: {other}"),
    }
}

/// Defect (found by this oracle, hunting with long SLAs): the engine walks the SLA window by window for 1000 turns
/// at most, enough for 500 windows, and past them named the instant it had reached as `dueAt`. An hour-long window
/// on weekdays with `sla` and `max` of `30d` (720 windows) was due after 698 days instead of 1006 (2 years and 9
/// months), a 1-minute window every day with `1d` (1440 windows) after 500 days instead of 1440; `overdue` came
/// that early.
/// An SLA of more than 365 windows of business hours (2920 h for `09:00-17:00`) is now refused where it is written:
/// at `sla`, or at `max` when that is the smaller.
#[test]
fn an_sla_beyond_365_windows_of_business_hours_is_refused() {
    let out_of_range = |path: &str| vec![(path.to_owned(), ProblemCode::OutOfRange)];
    assert_eq!(handoff_problems("12:00-13:00", "mon-fri", "30d", "30d"), out_of_range("handoff.sla"));
    assert_eq!(handoff_problems("09:00-09:01", "mon-sun", "1d", "2d"), out_of_range("handoff.sla"));
    assert_eq!(handoff_problems("09:00-17:00", "mon-fri", "200d", "2921h"), out_of_range("handoff.max"));
    assert_eq!(handoff_problems("22:00-06:00", "sat", "2921h", "2921h"), out_of_range("handoff.sla"));
    // 365 windows exactly: accepted, however few days hold them, and due at the 365th window's end.
    for (hours, days, budget) in [("09:00-17:00", "mon-fri", "2920h"), ("00:00-24:00", "sun", "365d")] {
        assert_eq!(handoff_problems(hours, days, budget, budget), vec![], "{hours} {days} {budget}");
    }
    let json = serde_json::json!({ "version": 1,
        "signals": { "demo": { "kind": "form_submit", "match": { "form": "demo" } } },
        "stages": { "sql": { "any": [ { "signal": "demo", "within": "36500d" } ] } },
        "handoff": { "business_hours": "09:00-09:01", "days": "mon-sun", "sla": "365min", "max": "365min" } });
    let pb = Playbook::parse(&serde_json::from_value::<Value>(json).unwrap()).unwrap();
    let sql = utc(2026, 1, 5, 12, 0);
    let events = serde_json::json!([{ "at": sql, "kind": "form_submit", "props": { "form": "demo" } }]);
    let mut s = ContactState::new();
    s.fold(&pb, &Event::parse_list(&serde_json::from_value::<Value>(events).unwrap(), "events").unwrap());
    assert_eq!(engine(&pb, &s, sql).0.map(|p| p.1), Some(utc(2026, 1, 5, 9, 1) + 365 * DAY));
}
