//! Round trips, exact numbers, chains in any order, refused versions and hostile bytes of the state codec.

use super::*;
use crate::explain::UnknownCause;
use crate::field::Truth;

fn sample() -> ContactState {
    let t = |ms| Timestamp::from_ms(ms).unwrap_or(Timestamp::EPOCH);
    let mut s = ContactState::new();
    s.updated_at = Some(t(1_764_547_200_000));
    s.profile.insert("role".into(), Scalar::Str("VP".into()));
    s.profile.insert("company_size".into(), Scalar::Num(120.0));
    s.rules.insert(7, Accumulator { value: 21.5, last: t(1_764_547_200_000), count: 2, capped: false });
    s.signals.insert(
        9,
        SignalTrack { count: 3, first: Some(t(1_764_000_000_000)), recent: vec![t(1_764_547_200_000)], days: vec![] },
    );
    s.funnel.push((Stage::Mql, t(1_764_500_000_000)));
    s
}

#[test]
fn state_round_trips_through_bytes() {
    let s = sample();
    let bytes = s.to_bytes();
    assert_eq!(ContactState::from_bytes(&bytes), Ok(s));
    assert!(bytes.len() < 120, "{} bytes", bytes.len());
}

#[test]
fn unknown_version_is_a_typed_error() {
    let mut bytes = sample().to_bytes();
    bytes[0] = 9;
    assert_eq!(ContactState::from_bytes(&bytes), Err(Error::InvalidState(StateError::UnknownVersion(9))));
    assert_eq!(ContactState::from_bytes(&[]), Err(Error::InvalidState(StateError::Empty)));
    // The argument is the place (bindings report it as the error's path); the message says where in it.
    assert_eq!(ContactState::from_bytes(&bytes).unwrap_err().path().as_deref(), Some("state"));
}

#[test]
fn garbage_bytes_are_named_as_possibly_not_a_state_with_the_expected_first_byte() {
    let err = ContactState::from_bytes(&[1, 2, 3, 4, 5]).unwrap_err().to_string();
    assert!(err.contains("not rekindle state bytes, or a state of an unknown version"), "{err}");
    assert!(err.contains("the first byte is 1"), "{err}");
    assert!(err.contains(&format!("bytes that start with {STATE_VERSION}")), "{err}");
}

#[test]
fn numbers_round_trip_to_the_bit() {
    // Whole numbers take the short form; fractions, -0.0 and the largest doubles the long one.
    for n in [0.0, -0.0, 15.0, -40.0, 120.0, 21.5, 0.1, 9_007_199_254_740_992.0, -9_007_199_254_740_994.0, 1e300] {
        let mut s = ContactState::new();
        s.profile.insert("n".into(), Scalar::Num(n));
        let back = ContactState::from_bytes(&s.to_bytes()).unwrap_or_default();
        let got = match back.profile.get("n") {
            Some(Scalar::Num(v)) => *v,
            _ => f64::NAN,
        };
        assert_eq!(got.to_bits(), n.to_bits(), "{n}");
    }
    let mut s = ContactState::new();
    s.profile.insert("n".into(), Scalar::Num(120.0));
    // version, no base, one entry "n", tag 1, varint 2·zigzag(120) = 480 (two bytes).
    assert_eq!(s.to_bytes().get(..7), Some(&[STATE_VERSION, 0, 1, 1, b'n', 1, 0xe0][..]));
}

#[test]
fn instant_chains_round_trip_in_any_order_and_with_clock_skew() {
    let t = |ms| Timestamp::from_ms(ms).unwrap_or(Timestamp::EPOCH);
    let mut s = sample();
    // Newest first (as kept), out of order, and one later than the base (a skewed clock).
    s.sends.email = vec![t(1_764_547_300_000), t(1_764_547_100_000), t(1_764_547_150_000), t(1_000)];
    s.attribution.interactions = vec![
        Interaction { kind: 0, signal: Some(9), at: t(1_764_547_200_000) },
        Interaction { kind: 4, signal: None, at: t(1_764_500_000_000) },
        // A key this state does not track is written in full after the escape index.
        Interaction { kind: 11, signal: Some(0xdead_beef), at: t(1_764_400_000_000) },
    ];
    assert_eq!(ContactState::from_bytes(&s.to_bytes()), Ok(s));
}

#[test]
fn version_1_bytes_are_refused_as_an_unknown_version() {
    let mut bytes = sample().to_bytes();
    bytes[0] = 1;
    assert_eq!(ContactState::from_bytes(&bytes), Err(Error::InvalidState(StateError::UnknownVersion(1))));
}

#[test]
fn every_truncation_is_an_error_not_a_panic() {
    let bytes = sample().to_bytes();
    for n in 0..bytes.len() {
        assert!(ContactState::from_bytes(&bytes[..n]).is_err(), "prefix of {n} bytes accepted");
    }
    let mut long = bytes.clone();
    long.push(0);
    assert!(matches!(ContactState::from_bytes(&long), Err(Error::InvalidState(StateError::TrailingBytes { .. }))));
}

#[test]
fn forged_huge_counts_are_refused_without_allocating() {
    // version 2, no base, profile count = 2^62
    let bytes = [STATE_VERSION, 0, 0x80, 0x80, 0x80, 0x80, 0x80, 0x80, 0x80, 0x80, 0x40];
    assert!(matches!(ContactState::from_bytes(&bytes), Err(Error::InvalidState(StateError::Corrupt { .. }))));
}

#[test]
fn branch_verdicts_round_trip_and_states_without_them_keep_their_bytes() {
    let t = |ms| Timestamp::from_ms(ms).unwrap_or(Timestamp::EPOCH);
    let mut s = sample();
    let run = Enrolment {
        enrolled_at: t(1_764_000_000_000),
        runs: 1,
        done: vec![],
        stopped_at: None,
        stopped_by: None,
        completed_at: None,
        judged: vec![],
    };
    s.enrolments.insert(3, run.clone());
    s.enrolments.insert(4, run);
    let without = s.to_bytes();
    assert_eq!(ContactState::from_bytes(&without), Ok(s.clone()), "bytes written before verdicts existed");
    if let Some(e) = s.enrolments.get_mut(&4) {
        e.judged = vec![(11, Truth::False), (12, Truth::True), (13, Truth::Unknown(UnknownCause::Missing))];
    }
    let with = s.to_bytes();
    assert_eq!(with.get(..without.len()), Some(&without[..]), "the verdicts are a section appended at the end");
    // Its tag, one run with verdicts: its key, three (step key, verdict byte) pairs.
    assert_eq!(with.len(), without.len() + 1 + 1 + 4 + 1 + 3 * 5);
    assert_eq!(ContactState::from_bytes(&with), Ok(s));
    // A verdict for a run the state does not have, or an unknown verdict byte, is corrupt, not a panic.
    let mut orphan = without.clone();
    orphan.extend_from_slice(&[1, 1, 9, 0, 0, 0, 0]);
    assert!(matches!(
        ContactState::from_bytes(&orphan),
        Err(Error::InvalidState(StateError::Corrupt { what: "verdict's sequence", .. }))
    ));
    let mut bad = with.clone();
    if let Some(last) = bad.last_mut() {
        *last = 0xff;
    }
    assert!(matches!(
        ContactState::from_bytes(&bad),
        Err(Error::InvalidState(StateError::Corrupt { what: "verdict", .. }))
    ));
}

#[test]
fn preference_times_and_resubscribes_round_trip_in_their_sections() {
    let t = |ms| Timestamp::from_ms(ms).unwrap_or(Timestamp::EPOCH);
    let mut s = sample();
    // All three preferences from one event: no section, the bytes as before the sections existed.
    s.permissions.preferences_at = Some(t(1_764_500_000_000));
    s.permissions.field_at = [Some(t(1_764_500_000_000)); 3];
    let plain = s.to_bytes();
    assert_eq!(ContactState::from_bytes(&plain), Ok(s.clone()));
    // A frequency chosen later than the pause, no topics ever: each field keeps its own instant.
    s.permissions.field_at = [Some(t(1_764_500_000_000)), Some(t(1_764_400_000_000)), None];
    s.suppression.resubscribed = [None, Some(t(1_764_450_000_000))];
    let both = s.to_bytes();
    assert_eq!(both.get(..plain.len()), Some(&plain[..]));
    assert_eq!(ContactState::from_bytes(&both), Ok(s.clone()));
    // Sections out of order, repeated or unknown are corrupt, never a panic.
    let mut repeated = both.clone();
    repeated.extend_from_slice(&[3, 0, 0]);
    assert!(matches!(
        ContactState::from_bytes(&repeated),
        Err(Error::InvalidState(StateError::Corrupt { what: "extension order", .. }))
    ));
    let mut unknown = plain.clone();
    unknown.push(9);
    assert!(matches!(
        ContactState::from_bytes(&unknown),
        Err(Error::InvalidState(StateError::Corrupt { what: "extension", .. }))
    ));
    // A prefix cut between sections is a state without the later ones (and writes itself back); inside one, an error.
    for n in plain.len()..both.len() {
        if let Ok(cut) = ContactState::from_bytes(&both[..n]) {
            assert_eq!(cut.to_bytes(), both[..n].to_vec(), "prefix of {n} bytes read as something else");
        }
    }
}

#[test]
fn dropped_sends_round_trip_in_their_section_and_a_log_that_dropped_none_keeps_its_bytes() {
    let t = |ms| Timestamp::from_ms(ms).unwrap_or(Timestamp::EPOCH);
    let mut s = sample();
    let plain = s.to_bytes();
    s.sends.dropped = [Some(t(1_764_000_000_000)), None];
    let dropped = s.to_bytes();
    assert_eq!(dropped.get(..plain.len()), Some(&plain[..]));
    assert_eq!(dropped.get(plain.len()), Some(&5), "tag 5 after the sections before it");
    assert_eq!(ContactState::from_bytes(&dropped), Ok(s));
}

#[test]
fn earlier_disqualifications_round_trip_in_their_section_and_bytes_written_before_it_read_unchanged() {
    let t = |ms| Timestamp::from_ms(ms).unwrap_or(Timestamp::EPOCH);
    // A state disqualified once (MQL, then disqualified at its latest event), as the codec wrote it before the
    // section existed: the funnel, deal (4 = 1 + disqualified) and recycle instant, no extension.
    let old: [u8; 37] = [
        2, 1, 128, 144, 172, 243, 218, 102, 0, 0, 0, 1, 1, 128, 220, 129, 45, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0,
        4, 0, 1, 0, 0, 0,
    ];
    let mut s = ContactState::new();
    s.updated_at = Some(t(1_764_547_200_000));
    s.funnel.push((Stage::Mql, t(1_764_500_000_000)));
    s.deal = Some((DealStatus::Disqualified, t(1_764_547_200_000)));
    s.recycled = Some(t(1_764_547_200_000));
    assert_eq!(ContactState::from_bytes(&old), Ok(s.clone()), "no earlier disqualification kept");
    assert_eq!(s.to_bytes(), old.to_vec(), "one disqualification keeps the bytes it had");
    // One kept from before the latest: tag 6, a chain of one instant (its age from the base, zigzag).
    s.recycled_before = vec![t(1_764_540_000_000)];
    let with = s.to_bytes();
    assert_eq!(with.get(..old.len()), Some(&old[..]));
    assert_eq!(with.get(old.len()..old.len() + 2), Some(&[6, 1][..]), "tag 6, one instant");
    assert_eq!(ContactState::from_bytes(&with), Ok(s));
}

#[test]
fn an_opt_out_beneath_a_bounce_round_trips_in_its_section_and_a_state_without_one_keeps_its_bytes() {
    use crate::suppression::{Dnc, DncReason};
    let t = |ms| Timestamp::from_ms(ms).unwrap_or(Timestamp::EPOCH);
    let mut s = sample();
    s.suppression.email = Some(Dnc { reason: DncReason::Bounced, at: t(1_764_100_000_000) });
    s.suppression.sms = Some(Dnc { reason: DncReason::Bounced, at: t(1_764_100_000_000) });
    let plain = s.to_bytes();
    assert_eq!(ContactState::from_bytes(&plain), Ok(s.clone()));
    s.suppression.wish_under_bounce = [
        Some(Dnc { reason: DncReason::Manual, at: t(1_764_000_000_000) }),
        Some(Dnc { reason: DncReason::Unsubscribed, at: t(1_764_050_000_000) }),
    ];
    let kept = s.to_bytes();
    assert_eq!(kept.get(..plain.len()), Some(&plain[..]), "the section is appended; the bytes before it unchanged");
    assert_eq!(kept.get(plain.len()), Some(&7), "tag 7 after the sections before it");
    assert_eq!(ContactState::from_bytes(&kept), Ok(s));
    // A reason byte no reason has (the last byte: the SMS entry's) is corrupt, never a panic.
    let mut bad = kept.clone();
    if let Some(last) = bad.last_mut() {
        *last = 0xff;
    }
    assert!(matches!(
        ContactState::from_bytes(&bad),
        Err(Error::InvalidState(StateError::Corrupt { what: "reason", .. }))
    ));
}

#[test]
fn a_recorded_completion_round_trips_in_its_section_and_states_without_one_keep_their_bytes() {
    let t = |ms| Timestamp::from_ms(ms).unwrap_or(Timestamp::EPOCH);
    let mut s = sample();
    let run = Enrolment {
        enrolled_at: t(1_764_000_000_000),
        runs: 1,
        done: vec![(7, t(1_764_000_060_000))],
        stopped_at: None,
        stopped_by: None,
        completed_at: None,
        judged: vec![],
    };
    s.enrolments.insert(3, run);
    let without = s.to_bytes();
    assert_eq!(ContactState::from_bytes(&without), Ok(s.clone()), "bytes written before completions were kept");
    if let Some(e) = s.enrolments.get_mut(&3) {
        e.completed_at = Some(t(1_764_400_000_000));
    }
    let with = s.to_bytes();
    assert_eq!(with.get(..without.len()), Some(&without[..]), "the completions are a section appended at the end");
    assert_eq!(ContactState::from_bytes(&with), Ok(s));
    // A completion for a run the state does not have is corrupt, not a panic.
    let mut orphan = without.clone();
    orphan.extend_from_slice(&[8, 1, 9, 0, 0, 0]);
    orphan.extend_from_slice(&with[with.len() - (with.len() - without.len() - 6)..]);
    assert!(matches!(
        ContactState::from_bytes(&orphan),
        Err(Error::InvalidState(StateError::Corrupt { what: "completed run", .. }))
    ));
}
