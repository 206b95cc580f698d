use super::*;

fn t(ms: i64) -> Timestamp {
    Timestamp::from_ms(ms).unwrap_or(Timestamp::EPOCH)
}

#[test]
fn a_full_window_frees_when_the_oldest_counted_send_leaves_it() {
    let day = Span::days(1).ms();
    let per = Span::days(7);
    let sends = [t(5 * day), t(3 * day), t(day)];
    let full =
        |max, now| window_full(sends.iter().copied(), None, max, per, t(now)).map(|f| (f.sent, f.until, f.unsure));
    assert_eq!(full(3, 6 * day), Some((3, t(8 * day), false)));
    assert_eq!(full(2, 6 * day), Some((3, t(10 * day), false)), "the 2nd newest leaves first; all 3 counted");
    assert_eq!(full(4, 6 * day), None);
    assert_eq!(full(3, 8 * day), None, "the send of day 1 left at day 8");
    assert_eq!(full(1, 2 * day), Some((1, t(8 * day), false)), "the future sends of days 3 and 5 are not within");
}

#[test]
fn dropped_sends_that_may_be_in_the_window_hold_the_cap_until_they_surely_left() {
    let day = Span::days(1).ms();
    let per = Span::days(7);
    // One send kept (a cap of 1), stamped at day 10; an older one was dropped for it, at or before day 10.
    let kept = [t(10 * day)];
    let full = |now| window_full(kept.iter().copied(), Some(t(10 * day)), 1, per, t(now));
    assert_eq!(full(9 * day), Some(Full { sent: 0, until: t(17 * day), unsure: true }), "undercount held");
    assert_eq!(full(12 * day), Some(Full { sent: 1, until: t(17 * day), unsure: false }), "the kept one proves it");
    assert_eq!(full(17 * day), None, "everything dropped is out of the window");
    // Nothing dropped: the future send leaves room now.
    assert_eq!(window_full(kept.iter().copied(), None, 1, per, t(9 * day)), None);
}

#[test]
fn both_channels_merge_newest_first() {
    let day = Span::days(1).ms();
    let email = [t(9 * day), t(4 * day), t(day)];
    let sms = [t(7 * day), t(4 * day), t(2 * day)];
    let merged: Vec<i64> = newest_first(&email, &sms).map(|s| s.ms() / day).collect();
    assert_eq!(merged, [9, 7, 4, 4, 2, 1]);
    assert_eq!(newest_first(&[], &sms).count(), 3);
    assert_eq!(newest_first(&email, &[]).count(), 3);
}

/// Compiled bytes after an edit, sealed again (FNV-1a 32 of all before the last 4 bytes, as
/// `playbook::compiled` seals them) so the decoder itself judges the edit.
fn reseal(mut bytes: Vec<u8>) -> Vec<u8> {
    let n = bytes.len() - 4;
    let sum = bytes[..n].iter().fold(0x811c_9dc5u32, |h, b| (h ^ u32::from(*b)).wrapping_mul(0x0100_0193));
    bytes[n..].copy_from_slice(&sum.to_le_bytes());
    bytes
}

/// `bytes` with the one occurrence of `from` replaced by `to` (same length), resealed.
fn edited(bytes: &[u8], from: &[u8], to: &[u8]) -> Vec<u8> {
    let at: Vec<usize> = (0..bytes.len()).filter(|i| bytes[*i..].starts_with(from)).collect();
    assert_eq!(at.len(), 1, "{from:?} occurs once");
    let mut out = bytes.to_vec();
    out[at[0]..at[0] + to.len()].copy_from_slice(to);
    reseal(out)
}

/// The message of a compiled playbook's refusal.
fn refusal(bytes: &[u8]) -> String {
    match crate::Playbook::from_compiled(bytes) {
        Err(crate::Error::InvalidPlaybook { problems }) => problems.iter().map(|p| p.message.clone()).collect(),
        other => panic!("expected a refusal, got {other:?}"),
    }
}

fn playbook(policy: &str) -> crate::Playbook {
    let text = format!(
        r#"{{ "version": 1, "signals": {{}}, "policy": {policy},
              "handoff": {{ "timezone": "Asia/Gaza", "business_hours": "22:00-06:00", "days": "fri-mon" }} }}"#
    );
    crate::Playbook::parse(&serde_json::from_str(&text).unwrap()).unwrap()
}

#[test]
fn zones_and_windows_read_back_from_compiled_bytes() {
    for policy in [r#"{}"#, r#"{ "default_timezone": "us/eastern", "quiet_hours": "00:00-23:59" }"#] {
        let pb = playbook(policy);
        assert_eq!(crate::Playbook::from_compiled(&pb.to_compiled()).unwrap(), pb, "{policy}");
    }
    // A zone with listed offset changes gets them back with its name: +00 for Ramadan 2026, +01 after.
    let pb = playbook(r#"{ "default_timezone": "africa/casablanca", "quiet_hours": "21:30-07:15" }"#);
    let back = crate::Playbook::from_compiled(&pb.to_compiled()).unwrap();
    assert_eq!(back, pb);
    let zone = &back.policy.default_zone;
    assert_eq!(zone.name(), "Africa/Casablanca");
    let day = Span::days(1).ms();
    let offsets: Vec<i32> = (0..365).map(|d| zone.offset_at(t(1_767_225_600_000 + d * day))).collect();
    let expected: Vec<i32> =
        (0..365).map(|d| pb.policy.default_zone.offset_at(t(1_767_225_600_000 + d * day))).collect();
    assert_eq!(offsets, expected);
    assert!(offsets.contains(&0) && offsets.contains(&3600), "{offsets:?}");
    assert_eq!(back.policy.quiet_hours.map(|w| (w.from().minutes(), w.to().minutes())), Some((1290, 435)));
}

#[test]
fn unknown_zones_and_broken_windows_in_compiled_bytes_are_refused() {
    let bytes = playbook(r#"{ "default_timezone": "Europe/Warsaw", "quiet_hours": "21:30-07:15" }"#).to_compiled();
    let message = refusal(&edited(&bytes, b"Europe/Warsaw", b"Europe/Warsaq"));
    assert!(message.contains("a time zone this build does not know"), "{message}");
    // The table would match it case-insensitively, but compiled bytes spell the table's name.
    let message = refusal(&edited(&bytes, b"Europe/Warsaw", b"europe/warsaw"));
    assert!(message.contains("a time zone this build does not know"), "{message}");
    // 21:30-07:15 every day: 1290 and 435 minutes as varints, then the day bits.
    let quiet = [0x8a, 0x0a, 0xb3, 0x03, 0x7f];
    let message = refusal(&edited(&bytes, &quiet, &[0x8a, 0x0a, 0x8a, 0x0a, 0x7f]));
    assert!(message.contains("a local window its constructor refuses"), "{message}");
    let message = refusal(&edited(&bytes, &quiet, &[0x8a, 0x0a, 0xa1, 0x0b, 0x7f]));
    assert!(message.contains("a time of day past 24:00"), "{message}");
    let message = refusal(&edited(&bytes, &quiet, &[0xa0, 0x0b, 0xb3, 0x03, 0x7f]));
    assert!(message.contains("a local window its constructor refuses"), "{message}");
    let message = refusal(&edited(&bytes, &quiet, &[0x8a, 0x0a, 0xb3, 0x03, 0x00]));
    assert!(message.contains("a local window its constructor refuses"), "no day at all: {message}");
    let message = refusal(&edited(&bytes, &quiet, &[0x8a, 0x0a, 0xb3, 0x03, 0x80]));
    assert!(message.contains("weekday bits above Sunday's"), "{message}");
}
