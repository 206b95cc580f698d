//! A state keeps only as many sends per channel as the playbook of its time needed (its largest cap, D24). Read
//! under a playbook whose cap was raised later, the kept sends can be fewer than those in the window: the engine
//! must not count them as all there were (an allow on an undercount), but hold the cap — `unsure` — until every
//! dropped send has surely left the window. A longer window needs nothing more: the dropped sends are older than
//! the kept ones, so when the kept ones fill the window the answer is exact.
#![allow(clippy::expect_used, clippy::unwrap_used, clippy::indexing_slicing, missing_docs)]

use rekindle_core::{decide, ContactState, Event, Playbook, Timestamp, Value};

const NOW: i64 = 1_764_547_200_000; // 2025-12-01T00:00:00Z
const DAY: i64 = 86_400_000;

fn playbook(max: u32, per: &str) -> Playbook {
    let json = serde_json::json!({ "version": 1, "signals": {},
        "policy": { "caps": [{ "channel": "email", "max": max, "per": per }] } });
    Playbook::parse(&serde_json::from_value::<Value>(json).unwrap()).unwrap()
}

/// Email sends at now − `days` for each of `days`, folded under `pb`, then written and read back as stored bytes.
fn stored(pb: &Playbook, days: &[i64]) -> ContactState {
    let events: Vec<serde_json::Value> = days
        .iter()
        .enumerate()
        .map(|(i, d)| serde_json::json!({ "id": format!("s{i}"), "at": NOW - d * DAY, "kind": "email_sent" }))
        .collect();
    let value: Value = serde_json::from_value(serde_json::Value::Array(events)).unwrap();
    let mut s = ContactState::new();
    s.fold(pb, &Event::parse_list(&value, "events").unwrap());
    ContactState::from_bytes(&s.to_bytes()).unwrap()
}

fn email(pb: &Playbook, s: &ContactState) -> serde_json::Value {
    let d = serde_json::to_value(decide(pb, s, Timestamp::from_ms(NOW).unwrap())).unwrap();
    d["send"]["email"].clone()
}

#[test]
fn a_raised_cap_holds_while_sends_the_old_playbook_dropped_may_be_in_its_window() {
    // Five sends in the last week under 3 / 7d: the state keeps the newest three (now − 1d, 2d, 3d).
    let s = stored(&playbook(3, "7d"), &[1, 2, 3, 4, 5]);
    // Raised to 4 / 7d, five sends fill it: the 4th newest (now − 4d) leaves the window at now + 3d. The dropped
    // ones are not placed any more, so the engine holds until the newest dropped one (now − 4d) has left it.
    let v = email(&playbook(4, "7d"), &s);
    assert_eq!(v["verdict"], "defer", "{v}");
    assert_eq!(v["until"], NOW + 3 * DAY, "{v}");
    assert_eq!(v["reasons"][0]["gate"], "cap", "{v}");
    assert_eq!(v["reasons"][0]["unsure"], true, "{v}");
    assert_eq!(v["reasons"][0]["sent"], 3, "{v}");
    // Raised to 10 / 7d, five sends leave room, but the state cannot show it: held the same way (never an allow
    // on an undercount); folded under 10 / 7d from the start, it allows.
    assert_eq!(email(&playbook(10, "7d"), &s)["until"], NOW + 3 * DAY);
    assert_eq!(email(&playbook(10, "7d"), &stored(&playbook(10, "7d"), &[1, 2, 3, 4, 5]))["verdict"], "allow");
}

#[test]
fn a_longer_window_counts_exactly_from_the_kept_sends() {
    // Under 3 / 1d the state keeps the newest three of five (now − 2d, 3d, 4d). Read under 3 / 7d they fill the
    // window: full until the 3rd newest (now − 4d) leaves it at now + 3d — exact, not unsure.
    let s = stored(&playbook(3, "1d"), &[2, 3, 4, 5, 6]);
    let v = email(&playbook(3, "7d"), &s);
    assert_eq!(v["verdict"], "defer", "{v}");
    assert_eq!(v["until"], NOW + 3 * DAY, "{v}");
    assert_eq!(v["reasons"][0].get("unsure"), None, "{v}");
    // Nothing dropped (two sends under 3 / 1d): a 3 / 7d cap has room.
    assert_eq!(email(&playbook(3, "7d"), &stored(&playbook(3, "1d"), &[2, 3]))["verdict"], "allow");
}
