//! The send policy against a brute-force reference (DESIGN §7): a deferral ends at the **earliest** instant at
//! which every time rule allows — caps per channel and overall, the preference center's frequency and pause, and
//! quiet hours in the contact's zone (DST gaps and overlaps, 30/45-minute offsets, southern-hemisphere DST, odd
//! or unknown zone names) — and an allow is never given on an instant some rule blocks.
//!
//! The reference knows nothing of the engine's fixpoint: it counts every send of the history in each window, reads
//! quiet hours day by day as the instants the wall clock reaches their ends, through [`Zone::from_local`] and
//! [`Zone::to_local`] (checked against zdump in `zone/zdump_tests.rs`) a minute at a time across gaps, and
//! tries every instant at which a blocking rule can stop blocking (a send leaving a window, the pause's end, a
//! quiet-hours end, and `now`); the earliest allowed one is the answer, since the allowed instants form intervals
//! that open only at those instants.
#![allow(clippy::expect_used, clippy::unwrap_used, clippy::indexing_slicing, missing_docs)]

use proptest::prelude::*;
use rekindle_core::zone::{civil_from_days, days_from_civil, LocalDate, LocalTime, Zone};
use rekindle_core::{decide, ContactState, Event, Playbook, Timestamp, Value};

const MINUTE: i64 = 60_000;
const HOUR: i64 = 60 * MINUTE;
const DAY: i64 = 24 * HOUR;

/// `y-m-d hh:mm` UTC in ms.
fn utc(y: i64, m: u8, d: u8, h: i64, min: i64) -> i64 {
    days_from_civil(y, m, d) * DAY + h * HOUR + min * MINUTE
}

/// Instants near DST changes (both hemispheres, 30- and 45-minute zones, midnight changes) and one quiet date,
/// each with the zone that changes there.
fn anchors() -> Vec<(i64, Option<&'static str>)> {
    vec![
        (utc(2026, 3, 8, 7, 0), Some("America/New_York")), // springs forward (02:00 EST)
        (utc(2026, 11, 1, 6, 0), Some("America/New_York")), // falls back (02:00 EDT)
        (utc(2026, 3, 29, 1, 0), Some("Europe/Warsaw")),   // springs forward
        (utc(2026, 10, 25, 1, 0), Some("Europe/Warsaw")),  // falls back
        (utc(2026, 4, 4, 16, 30), Some("Australia/Adelaide")), // falls back (03:00 ACDT)
        (utc(2026, 10, 3, 16, 30), Some("Australia/Adelaide")), // springs forward (02:00 ACST)
        (utc(2026, 4, 4, 15, 0), Some("Australia/Lord_Howe")), // falls back half an hour (02:00 +11)
        (utc(2026, 4, 5, 3, 0), Some("America/Santiago")), // falls back at midnight
        (utc(2026, 9, 6, 4, 0), Some("America/Santiago")), // springs forward at midnight
        (utc(2026, 4, 4, 14, 0), Some("Pacific/Chatham")), // falls back (03:45 +1345)
        (utc(2026, 3, 8, 5, 30), Some("America/St_Johns")), // springs forward (02:00 -0330)
        (utc(2026, 2, 18, 2, 0), Some("Africa/Casablanca")), // Ramadan change (listed, not a rule)
        (utc(2025, 12, 1, 0, 0), None),                    // nothing happens
    ]
}

/// Zone names a contact's profile may hold: canonical, odd case, unknown (→ the default zone), or none.
const ZONES: [Option<&str>; 14] = [
    Some("America/New_York"),
    Some("Europe/Warsaw"),
    Some("Australia/Adelaide"),
    Some("Australia/Lord_Howe"),
    Some("America/Santiago"),
    Some("Pacific/Chatham"),
    Some("America/St_Johns"),
    Some("Asia/Kathmandu"),
    Some("Asia/Kolkata"),
    Some("Africa/Casablanca"),
    Some("america/new_york"),
    Some("Mars/Olympus_Mons"),
    Some("UTC"),
    None,
];

const DEFAULT_ZONES: [&str; 3] = ["UTC", "Europe/Warsaw", "Australia/Lord_Howe"];

const PERS: [(&str, i64); 7] = [
    ("30min", 30 * MINUTE),
    ("1h", HOUR),
    ("6h", 6 * HOUR),
    ("1d", DAY),
    ("2d", 2 * DAY),
    ("7d", 7 * DAY),
    ("90min", 90 * MINUTE),
];

#[derive(Debug, Clone, Copy, PartialEq)]
enum Ch {
    Email,
    Sms,
}

#[derive(Debug, Clone)]
struct Cap {
    channel: Option<Ch>,
    max: u32,
    per: usize,
}

#[derive(Debug, Clone)]
struct Case {
    now: i64,
    zone: Option<&'static str>,
    default_zone: &'static str,
    quiet: Option<(u16, u16)>,
    caps: Vec<Cap>,
    frequency: Option<&'static str>,
    pause: Option<i64>,
    /// `(channel, at, transactional)`.
    sends: Vec<(Ch, i64, bool)>,
}

impl Case {
    fn keep(&self) -> usize {
        self.caps.iter().map(|c| c.max as usize).max().unwrap_or(1)
    }

    /// The marketing sends of `ch` (both for `None`).
    fn counted(&self, ch: Option<Ch>) -> impl Iterator<Item = i64> + '_ {
        self.sends.iter().filter(move |(c, _, tx)| !tx && ch.is_none_or(|ch| ch == *c)).map(|(_, at, _)| *at)
    }

    /// The latest instant sends the state may have dropped lie at, for `ch` (both channels for `None`): a
    /// channel holding as many sends as the state keeps may have dropped older ones, all at or before its oldest
    /// kept send, and the state cannot tell. A rule counting that channel holds until they have surely left its
    /// window (the `unsure` cap of docs/playbook.md § policy): never an allow on an undercount.
    fn dropped_until(&self, ch: Option<Ch>) -> Option<i64> {
        let of = |c: Ch| {
            let mut kept: Vec<i64> = self.counted(Some(c)).collect();
            kept.sort_unstable_by(|a, b| b.cmp(a));
            kept.truncate(self.keep());
            kept.last().copied().filter(|_| kept.len() == self.keep())
        };
        match ch {
            Some(c) => of(c),
            None => of(Ch::Email).max(of(Ch::Sms)),
        }
    }

    fn playbook(&self) -> Playbook {
        let caps: Vec<serde_json::Value> = self
            .caps
            .iter()
            .map(|c| {
                let channel = match c.channel {
                    Some(Ch::Email) => "email",
                    Some(Ch::Sms) => "sms",
                    None => "any",
                };
                serde_json::json!({ "channel": channel, "max": c.max, "per": PERS[c.per].0 })
            })
            .collect();
        let mut policy = serde_json::json!({ "caps": caps, "default_timezone": self.default_zone,
            "consent": { "sms": null } });
        if let Some((from, to)) = self.quiet {
            let hm = |m: u16| format!("{:02}:{:02}", m / 60, m % 60);
            policy["quiet_hours"] = serde_json::Value::String(format!("{}-{}", hm(from), hm(to)));
        }
        let json = serde_json::json!({ "version": 1, "signals": {}, "policy": policy });
        Playbook::parse(&serde_json::from_value::<Value>(json).unwrap()).unwrap()
    }

    fn state(&self, pb: &Playbook) -> ContactState {
        let first = self.sends.iter().map(|s| s.1).chain([self.now - 10 * DAY]).min().unwrap();
        let mut events = Vec::new();
        if let Some(zone) = self.zone {
            events
                .push(serde_json::json!({ "id": "z", "at": first, "kind": "profile", "props": { "timezone": zone } }));
        }
        let mut prefs = serde_json::Map::new();
        if let Some(f) = self.frequency {
            prefs.insert("frequency".into(), f.into());
        }
        if let Some(p) = self.pause {
            prefs.insert("pause_until".into(), p.into());
        }
        if !prefs.is_empty() {
            events.push(serde_json::json!({ "id": "p", "at": first, "kind": "preferences", "props": prefs }));
        }
        for (i, (ch, at, tx)) in self.sends.iter().enumerate() {
            let kind = if *ch == Ch::Email { "email_sent" } else { "sms_sent" };
            let mut e = serde_json::json!({ "id": format!("s{i}"), "at": at, "kind": kind });
            if *tx {
                e["props"] = serde_json::json!({ "transactional": true });
            }
            events.push(e);
        }
        let v: Value = serde_json::from_value(serde_json::Value::Array(events)).unwrap();
        let mut s = ContactState::new();
        s.fold(pb, &Event::parse_list(&v, "events").unwrap());
        s
    }

    /// The zone the contact's rules use.
    fn zone(&self) -> Zone {
        self.zone.and_then(Zone::find).unwrap_or_else(|| Zone::find(self.default_zone).unwrap())
    }

    /// The instant local day `day` reads `minutes` (1440 = the next day's 00:00).
    fn local(zone: &Zone, day: i64, minutes: u16) -> i64 {
        let (day, minutes) = if minutes == 1440 { (day + 1, 0) } else { (day, minutes) };
        let (y, m, d) = civil_from_days(day);
        let date = LocalDate::new(i32::try_from(y).unwrap(), m, d).unwrap();
        let time = LocalTime::new(u8::try_from(minutes / 60).unwrap(), u8::try_from(minutes % 60).unwrap()).unwrap();
        zone.from_local(date, time).ms()
    }

    fn local_day(zone: &Zone, t: i64) -> i64 {
        let l = zone.to_local(Timestamp::from_ms(t).unwrap());
        days_from_civil(i64::from(l.year()), l.month(), l.day())
    }

    /// The first instant the wall clock reads local day `day`'s `minutes` or later: [`Case::local`], stepped back
    /// a minute at a time while the clock already read that far (a time in a spring-forward gap is passed at the
    /// gap's end; every offset change of these zones falls on a whole minute).
    fn passing(zone: &Zone, day: i64, minutes: u16) -> i64 {
        let target = day * 1440 + i64::from(minutes);
        let reads = |t: i64| {
            let l = zone.to_local(Timestamp::from_ms(t).unwrap());
            days_from_civil(i64::from(l.year()), l.month(), l.day()) * 1440
                + i64::from(l.hour()) * 60
                + i64::from(l.minute())
        };
        let mut t = Case::local(zone, day, minutes);
        while reads(t - MINUTE) >= target {
            t -= MINUTE;
        }
        t
    }

    /// Quiet hours `[start, end)` of local day `day`: from when the wall clock reaches `from` to when it reaches
    /// `to` (DESIGN §7: local `[from, to)`).
    fn quiet_window(zone: &Zone, day: i64, (from, to): (u16, u16)) -> (i64, i64) {
        let end_day = if to <= from { day + 1 } else { day };
        (Case::passing(zone, day, from), Case::passing(zone, end_day, to))
    }

    /// Whether every time rule allows a marketing send on `ch` at `t`, counting the whole history.
    fn allows(&self, ch: Ch, t: i64) -> bool {
        let within = |s: i64, per: i64| 0 <= t - s && t - s < per;
        if self.pause.is_some_and(|p| p > t) {
            return false;
        }
        for cap in self.caps.iter().filter(|c| c.channel.is_none_or(|c| c == ch)) {
            let per = PERS[cap.per].1;
            if self.counted(cap.channel).filter(|s| within(*s, per)).count() >= cap.max as usize {
                return false;
            }
            if self.dropped_until(cap.channel).is_some_and(|d| t < d + per) {
                return false;
            }
        }
        let per = match self.frequency {
            Some("weekly") => Some(7 * DAY),
            Some("monthly") => Some(30 * DAY),
            _ => None,
        };
        if let Some(per) = per {
            if self.counted(None).any(|s| within(s, per)) || self.dropped_until(None).is_some_and(|d| t < d + per) {
                return false;
            }
        }
        if let Some(q) = self.quiet {
            let zone = self.zone();
            let today = Case::local_day(&zone, t);
            if (today - 2..=today + 1).map(|d| Case::quiet_window(&zone, d, q)).any(|(s, e)| s <= t && t < e) {
                return false;
            }
        }
        true
    }

    /// Every instant at which a blocking rule can stop blocking, from `now` on.
    fn candidates(&self) -> Vec<i64> {
        let mut out = vec![self.now];
        let pers: Vec<i64> = PERS.iter().map(|p| p.1).chain([7 * DAY, 30 * DAY]).collect();
        for (_, s, _) in &self.sends {
            out.extend(pers.iter().map(|p| s + p));
        }
        out.extend(self.pause);
        if let Some(q) = self.quiet {
            let zone = self.zone();
            let today = Case::local_day(&zone, self.now);
            out.extend((today - 2..today + 80).map(|d| Case::quiet_window(&zone, d, q).1));
        }
        out.retain(|t| *t >= self.now);
        out.sort_unstable();
        out.dedup();
        out
    }

    /// The first instant after `now` at which some rule blocks, searched where a block can begin: a quiet-hours
    /// start or a send stamped after `now` entering its windows (a pause never begins on its own).
    fn first_block(&self, ch: Ch) -> Option<i64> {
        let mut starts: Vec<i64> = self.sends.iter().map(|s| s.1).collect();
        if let Some(q) = self.quiet {
            let zone = self.zone();
            let today = Case::local_day(&zone, self.now);
            starts.extend((today - 2..today + 80).map(|d| Case::quiet_window(&zone, d, q).0));
        }
        starts.retain(|t| *t > self.now);
        starts.sort_unstable();
        starts.into_iter().find(|t| !self.allows(ch, *t))
    }

    /// The earliest instant at or after `now` at which every rule allows.
    fn earliest(&self, ch: Ch) -> i64 {
        self.candidates().into_iter().find(|t| self.allows(ch, *t)).expect("some candidate allows")
    }
}

/// The engine's verdict on `ch` at `t`: ("allow" | "defer" | "deny", until).
fn verdict(pb: &Playbook, s: &ContactState, ch: Ch, t: i64) -> (String, Option<i64>) {
    verdict_and_valid_until(pb, s, ch, t).0
}

/// The verdict and the decision's `validUntil`.
fn verdict_and_valid_until(pb: &Playbook, s: &ContactState, ch: Ch, t: i64) -> ((String, Option<i64>), Option<i64>) {
    let d = serde_json::to_value(decide(pb, s, Timestamp::from_ms(t).unwrap())).unwrap();
    let v = &d["send"][if ch == Ch::Email { "email" } else { "sms" }];
    ((v["verdict"].as_str().unwrap().to_owned(), v["until"].as_i64()), d["validUntil"].as_i64())
}

fn cap_strategy() -> impl Strategy<Value = Cap> {
    let channel = prop_oneof![Just(Some(Ch::Email)), Just(Some(Ch::Sms)), Just(None)];
    (channel, 1..=3u32, 0..PERS.len()).prop_map(|(channel, max, per)| Cap { channel, max, per })
}

/// Quiet hours on quarter hours (so they meet sends, pauses and 30/45-minute offsets), `24:00` as an end too;
/// often with an end inside the anchors' DST gaps and overlaps (00:00–03:00 local).
fn quiet_strategy() -> impl Strategy<Value = Option<(u16, u16)>> {
    let quarter = (0..96u16, 1..=96u16).prop_map(|(f, t)| (f * 15, t * 15));
    let night = (0..12u16, 1..=96u16, any::<bool>()).prop_map(|(n, other, starts)| {
        if starts {
            (n * 15, other * 15)
        } else {
            (other * 15 % 1440, n * 15 + 15)
        }
    });
    let not_empty = |(f, t): &(u16, u16)| f != t && !(*f == 0 && *t == 1440) && !(*f == 0 && *t == 0);
    prop_oneof![
        1 => Just(None),
        2 => quarter.prop_filter("not empty", not_empty).prop_map(Some),
        2 => night.prop_filter("not empty", not_empty).prop_map(Some),
    ]
}

/// A case with `most` marketing sends per channel at most beyond what the caps keep.
fn case_strategy(extra: usize) -> impl Strategy<Value = Case> {
    // The anchor's own zone most often, so its change meets the quiet hours' ends.
    let anchor = (prop::sample::select(anchors()), prop::sample::select(ZONES.to_vec()), prop::bool::weighted(0.6))
        .prop_map(|((at, own), other, mine)| (at, if mine && own.is_some() { own } else { other }));
    let shift = -3 * 96..3 * 96i64; // quarter hours around the anchor
    let sends = prop::collection::vec((any::<bool>(), -8 * 96..96i64, prop::bool::weighted(0.15)), 0..8);
    (
        (anchor, shift, prop::sample::select(DEFAULT_ZONES.to_vec())),
        quiet_strategy(),
        prop::collection::vec(cap_strategy(), 0..3),
        prop::sample::select(vec![None, None, Some("weekly"), Some("monthly")]),
        prop::option::weighted(0.3, -2 * 96..60 * 96i64),
        sends,
    )
        .prop_map(move |(((anchor, zone), shift, default_zone), quiet, caps, frequency, pause, sends)| {
            let now = anchor + shift * 15 * MINUTE;
            let mut case = Case {
                now,
                zone,
                default_zone,
                quiet,
                caps,
                frequency,
                pause: pause.map(|p| now + p * 15 * MINUTE),
                sends: sends
                    .into_iter()
                    .map(|(email, q, tx)| (if email { Ch::Email } else { Ch::Sms }, now + q * 15 * MINUTE, tx))
                    .collect(),
            };
            // Keep at most `keep + extra` marketing sends per channel, the newest.
            let keep = case.keep() + extra;
            case.sends.sort_by_key(|s| -s.1);
            let mut seen = [0usize; 2];
            case.sends.retain(|(ch, _, tx)| {
                let n = &mut seen[usize::from(*ch == Ch::Sms)];
                *n += usize::from(!tx);
                *tx || *n <= keep
            });
            case
        })
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(2000))]

    /// The verdict is exactly the reference's; a deferral's end allows and no instant before it does (not even a
    /// millisecond before), and asking again at any instant a rule could free inside the deferral names the same end;
    /// an allow's decision is valid no longer than until a rule begins to block.
    #[test]
    fn a_deferral_ends_at_the_earliest_instant_every_rule_allows(case in (0..=3usize).prop_flat_map(case_strategy)) {
        let pb = case.playbook();
        let s = case.state(&pb);
        for ch in [Ch::Email, Ch::Sms] {
            let earliest = case.earliest(ch);
            let ((v, until), valid_until) = verdict_and_valid_until(&pb, &s, ch, case.now);
            if earliest == case.now {
                prop_assert_eq!((v.as_str(), until), ("allow", None), "{:?} {:?}", ch, case);
                // The allow is not cached past the instant a rule begins to block.
                if let Some(block) = case.first_block(ch) {
                    prop_assert!(valid_until.is_some_and(|v| v <= block), "{:?} valid {:?} past {} {:?}", ch, valid_until, block, case);
                }
                continue;
            }
            prop_assert_eq!((v.as_str(), until), ("defer", Some(earliest)), "{:?} {:?}", ch, case);
            prop_assert_eq!(verdict(&pb, &s, ch, earliest).0, "allow", "allowed at its end {:?}", case);
            prop_assert_ne!(verdict(&pb, &s, ch, earliest - 1).0, "allow", "not a ms before {:?}", case);
            for t in case.candidates().into_iter().filter(|t| *t < earliest) {
                prop_assert_eq!(verdict(&pb, &s, ch, t), ("defer".to_owned(), Some(earliest)), "at {} {:?}", t, case);
            }
        }
    }
}

/// One do-not-contact event on email: (kind, reason prop, at in days).
fn dnc_event() -> impl Strategy<Value = (&'static str, Option<&'static str>, i64)> {
    let kind = prop_oneof![
        3 => Just(("unsubscribe", None)),
        2 => Just(("unsubscribe", Some("manual"))),
        4 => Just(("subscribe", None)),
        1 => Just(("email_bounce", None)),
        1 => Just(("spam_complaint", None)),
    ];
    (kind, 0..6i64).prop_map(|((k, r), at)| (k, r, at))
}

/// Do-not-contact as a function of the events' times alone (DESIGN §7, docs/playbook.md § policy): a bounce or a
/// complaint denies email for good from the first one; otherwise the opt-outs after the latest subscribe deny (at
/// one instant the subscribe wins), since the first of them: `(permanent, reason, first, latest)`.
fn dnc_reference(list: &[(&'static str, Option<&'static str>, i64)]) -> Option<(bool, &'static str, i64, i64)> {
    let permanent = list
        .iter()
        .filter_map(|(k, _, at)| match *k {
            "email_bounce" => Some((*at, 1, "bounced")),
            "spam_complaint" => Some((*at, 0, "complained")),
            _ => None,
        })
        .min();
    if let Some((at, _, reason)) = permanent {
        return Some((true, reason, at, at));
    }
    let subscribed = list.iter().filter(|(k, ..)| *k == "subscribe").map(|(.., at)| *at).max();
    // At one instant a manual suppression is named over an unsubscribe (either denies): `false` sorts first.
    let opt_outs = || {
        list.iter()
            .filter(|(k, _, at)| *k == "unsubscribe" && subscribed.is_none_or(|s| s < *at))
            .map(|(_, r, at)| (*at, r.is_none()))
    };
    let (first, unsubscribed) = opt_outs().min()?;
    let latest = opt_outs().map(|o| o.0).max()?;
    Some((false, if unsubscribed { "unsubscribed" } else { "manual" }, first, latest))
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(500))]

    /// Whatever batches the events arrive in (the state crossing its bytes between them), email's do-not-contact
    /// follows the events' own times.
    #[test]
    fn do_not_contact_follows_the_events_times_in_any_batches(
        list in prop::collection::vec(dnc_event(), 1..7),
        cuts in prop::collection::vec(any::<bool>(), 7),
        seed in any::<u64>(),
    ) {
        let pb = Playbook::parse(&serde_json::from_str::<Value>(r#"{ "version": 1, "signals": {} }"#).unwrap()).unwrap();
        let base = utc(2026, 3, 1, 0, 0);
        // A seeded shuffle, then cut into batches.
        let mut order: Vec<usize> = (0..list.len()).collect();
        let mut x = seed | 1;
        for i in (1..order.len()).rev() {
            x ^= x << 13;
            x ^= x >> 7;
            x ^= x << 17;
            order.swap(i, usize::try_from(x % (i as u64 + 1)).unwrap());
        }
        let mut state = ContactState::new();
        let mut batch = Vec::new();
        for (n, i) in order.iter().enumerate() {
            let (kind, reason, at) = list[*i];
            let mut e = serde_json::json!({ "id": format!("e{i}"), "at": base + at * DAY, "kind": kind });
            if let Some(r) = reason {
                e["props"] = serde_json::json!({ "reason": r });
            }
            batch.push(e);
            if cuts[n] || n + 1 == order.len() {
                let v: Value = serde_json::from_value(serde_json::Value::Array(core::mem::take(&mut batch))).unwrap();
                state.fold(&pb, &Event::parse_list(&v, "events").unwrap());
                state = ContactState::from_bytes(&state.to_bytes()).unwrap();
            }
        }
        let d = serde_json::to_value(decide(&pb, &state, Timestamp::from_ms(base + 10 * DAY).unwrap())).unwrap();
        let email = &d["send"]["email"];
        let got = match email["verdict"].as_str().unwrap() {
            "allow" => None,
            _ => Some((email["reasons"][0]["reason"].as_str().unwrap().to_owned(), email["reasons"][0]["since"].as_i64().unwrap())),
        };
        let why = format!("{list:?} in order {order:?}, cuts {cuts:?}: {got:?}");
        match (got, dnc_reference(&list)) {
            (None, None) => {}
            (Some((reason, since)), Some((permanent, want, first, latest))) => {
                let one_batch = cuts[..list.len() - 1].iter().all(|c| !c);
                if permanent || one_batch {
                    // In time order (and for good), exactly since the first.
                    prop_assert_eq!((reason.as_str(), since), (want, base + first * DAY), "{}", why);
                } else {
                    // A subscribe arriving after opt-outs on both sides of it cannot know the ones between: since
                    // is then the latest, an opt-out of that instant.
                    prop_assert!((base + first * DAY..=base + latest * DAY).contains(&since), "{}", why);
                    let named = if reason == "manual" { Some("manual") } else { None };
                    let day = (since - base) / DAY;
                    prop_assert!(list.contains(&("unsubscribe", named, day)), "{}", why);
                }
            }
            (_, want) => prop_assert!(false, "{} want {:?}", why, want.map(|w| w.1)),
        }
    }
}
