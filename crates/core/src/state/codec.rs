//! The compact, versioned byte form of a `ContactState` (cookie, localStorage, batch spill files).
//!
//! Layout v1: a version byte, then sections in a fixed order. Integers are LEB128 varints unless noted;
//! instants are stored as `base − t` (`base` = the latest event), so they stay small; optional values carry a
//! presence byte. Sections: base, profile, intent rules (`u32` key, `f64` value, last, count, capped; points granted = count × the rule's points), signals (`u32` key,
//! count, first, recent instants, day buckets), funnel, first seen, lifecycle facts, do-not-contact per channel,
//! consents and preferences, marketing sends per channel, nurture enrolments, deal, recycle, handoff attribution
//! (first UTM touch with its texts, last interactions: kind code, optional signal key, instant).
//!
//! Decoding never panics and never allocates more than the input can hold; every failure is a typed
//! [`StateError`] with the byte offset.

use alloc::string::String;
use alloc::vec::Vec;

use super::attribution::{is_kind, FirstTouch, Interaction};
use super::sends::Enrolment;
use super::track::SignalTrack;
use super::{ContactState, DealStatus};
use crate::consent::{Consent, Frequency};
use crate::error::{Error, StateError};
use crate::event::Scalar;
use crate::score::intent::Accumulator;
use crate::stage::Stage;
use crate::suppression::{Dnc, DncReason};
use crate::time::Timestamp;

/// The version byte this build writes and reads.
pub const STATE_VERSION: u8 = 1;

impl ContactState {
    /// Serialises to the compact v1 form.
    pub fn to_bytes(&self) -> Vec<u8> {
        let base = self.updated_at.unwrap_or(Timestamp::EPOCH);
        let mut w = Writer { out: Vec::with_capacity(64), base };
        w.out.push(STATE_VERSION);
        match self.updated_at {
            Some(b) => {
                w.varint(1);
                w.varint(zigzag(b.ms()));
            }
            None => w.varint(0),
        }
        w.varint(self.profile.len() as u64);
        for (key, value) in &self.profile {
            w.bytes(key.as_bytes());
            match value {
                Scalar::Str(s) => {
                    w.out.push(0);
                    w.bytes(s.as_bytes());
                }
                Scalar::Num(n) => {
                    w.out.push(1);
                    w.f64(*n);
                }
                Scalar::Bool(b) => {
                    w.out.push(2);
                    w.out.push(u8::from(*b));
                }
            }
        }
        w.varint(self.rules.len() as u64);
        for (key, a) in &self.rules {
            w.u32(*key);
            w.f64(a.value);
            w.instant(a.last);
            w.varint(u64::from(a.count));
            w.out.push(u8::from(a.capped));
        }
        w.varint(self.signals.len() as u64);
        for (key, s) in &self.signals {
            w.u32(*key);
            w.varint(u64::from(s.count));
            w.opt_instant(s.first);
            w.instants(&s.recent);
            w.varint(s.days.len() as u64);
            for (day, n) in &s.days {
                w.varint(zigzag(*day));
                w.varint(u64::from(*n));
            }
        }
        w.varint(self.funnel.len() as u64);
        for (stage, at) in &self.funnel {
            w.out.push(stage.code());
            w.instant(*at);
        }
        w.opt_instant(self.first_seen);
        let a = &self.activity;
        for t in [a.last_engagement, a.first_open_since_click, a.last_click, a.reactivation_started, a.reactivated] {
            w.opt_instant(t);
        }
        w.opt_instant(a.archived);
        w.opt_instant(a.erased);
        w.varint(u64::from(a.opens_since_click));
        w.out.push(u8::from(a.showed_intent));
        for dnc in [self.suppression.email, self.suppression.sms] {
            match dnc {
                Some(d) => {
                    w.out.push(1 + d.reason.code());
                    w.instant(d.at);
                }
                None => w.out.push(0),
            }
        }
        let p = &self.permissions;
        w.varint(p.consents.len() as u64);
        for (purpose, c) in &p.consents {
            w.bytes(purpose.as_bytes());
            match c {
                Consent::Granted { at } => {
                    w.out.push(1);
                    w.instant(*at);
                }
                Consent::Denied { at } => {
                    w.out.push(0);
                    w.instant(*at);
                }
            }
        }
        w.out.push(p.frequency.map_or(0, |f| 1 + f.code()));
        match p.pause_until {
            // A pause reaches into the future, past `base`: stored absolute.
            Some(t) => {
                w.out.push(1);
                w.varint(zigzag(t.ms()));
            }
            None => w.out.push(0),
        }
        w.varint(p.topics.len() as u64);
        for t in &p.topics {
            w.bytes(t.as_bytes());
        }
        w.opt_instant(p.preferences_at);
        w.instants(&self.sends.email);
        w.instants(&self.sends.sms);
        w.varint(self.enrolments.len() as u64);
        for (key, e) in &self.enrolments {
            w.u32(*key);
            w.instant(e.enrolled_at);
            w.varint(u64::from(e.runs));
            w.varint(e.done.len() as u64);
            for (step, at) in &e.done {
                w.u32(*step);
                w.instant(*at);
            }
            w.opt_instant(e.stopped_at);
        }
        match self.deal {
            Some((status, at)) => {
                w.out.push(1 + status.code());
                w.instant(at);
            }
            None => w.out.push(0),
        }
        w.opt_instant(self.recycled);
        let a = &self.attribution;
        match &a.first_touch {
            Some(f) => {
                w.out.push(1);
                w.instant(f.at);
                for text in [&f.utm_source, &f.utm_medium, &f.utm_campaign, &f.referrer] {
                    w.opt_text(text.as_deref());
                }
            }
            None => w.out.push(0),
        }
        w.varint(a.interactions.len() as u64);
        for i in &a.interactions {
            w.out.push(i.kind);
            match i.signal {
                Some(key) => {
                    w.out.push(1);
                    w.u32(key);
                }
                None => w.out.push(0),
            }
            w.instant(i.at);
        }
        w.out
    }

    /// Reads the compact form; any defect is an `E_STATE_INVALID` error, never a panic.
    pub fn from_bytes(bytes: &[u8]) -> Result<ContactState, Error> {
        decode(bytes).map_err(Error::InvalidState)
    }
}

fn decode(bytes: &[u8]) -> Result<ContactState, StateError> {
    let mut r = Reader { bytes, at: 0, base: 0 };
    let version = r.u8().map_err(|_| StateError::Empty)?;
    if version != STATE_VERSION {
        return Err(StateError::UnknownVersion(version));
    }
    let mut state = ContactState::new();
    let base = match r.varint()? {
        0 => None,
        1 => {
            let at = r.at;
            Some(Timestamp::from_ms(unzigzag(r.varint()?)).ok_or(StateError::Corrupt { at, what: "base instant" })?)
        }
        _ => return Err(StateError::Corrupt { at: r.at.saturating_sub(1), what: "base flag" }),
    };
    state.updated_at = base;
    r.base = base.map_or(0, Timestamp::ms);
    for _ in 0..r.count()? {
        let key = r.text()?;
        let at = r.at;
        let value = match r.u8()? {
            0 => Scalar::Str(r.text()?),
            1 => Scalar::Num(r.finite()?),
            2 => Scalar::Bool(r.flag("boolean")?),
            _ => return Err(StateError::Corrupt { at, what: "profile value tag" }),
        };
        state.profile.insert(key, value);
    }
    for _ in 0..r.count()? {
        let key = r.u32()?;
        let value = r.finite()?;
        let last = r.instant()?;
        let count = r.u32_varint()?;
        let capped = r.flag("capped flag")?;
        state.rules.insert(key, Accumulator { value, last, count, capped });
    }
    for _ in 0..r.count()? {
        let key = r.u32()?;
        let count = r.u32_varint()?;
        let first = r.opt_instant()?;
        let recent = r.instants()?;
        let mut days = Vec::new();
        for _ in 0..r.count()? {
            let day = unzigzag(r.varint()?);
            days.push((day, r.u32_varint()?));
        }
        state.signals.insert(key, SignalTrack { count, first, recent, days });
    }
    for _ in 0..r.count()? {
        let at = r.at;
        let stage = Stage::from_code(r.u8()?).ok_or(StateError::Corrupt { at, what: "stage" })?;
        let when = r.instant()?;
        state.funnel.push((stage, when));
    }
    state.first_seen = r.opt_instant()?;
    let a = &mut state.activity;
    a.last_engagement = r.opt_instant()?;
    a.first_open_since_click = r.opt_instant()?;
    a.last_click = r.opt_instant()?;
    a.reactivation_started = r.opt_instant()?;
    a.reactivated = r.opt_instant()?;
    a.archived = r.opt_instant()?;
    a.erased = r.opt_instant()?;
    a.opens_since_click = r.u32_varint()?;
    a.showed_intent = r.flag("intent flag")?;
    for slot in [&mut state.suppression.email, &mut state.suppression.sms] {
        let at = r.at;
        *slot = match r.u8()? {
            0 => None,
            code => {
                let reason =
                    DncReason::from_code(code - 1).ok_or(StateError::Corrupt { at, what: "do-not-contact reason" })?;
                Some(Dnc { reason, at: r.instant()? })
            }
        };
    }
    let p = &mut state.permissions;
    for _ in 0..r.count()? {
        let purpose = r.text()?;
        let granted = r.flag("consent")?;
        let at = r.instant()?;
        p.consents.insert(purpose, if granted { Consent::Granted { at } } else { Consent::Denied { at } });
    }
    let at = r.at;
    p.frequency = match r.u8()? {
        0 => None,
        code => Some(Frequency::from_code(code - 1).ok_or(StateError::Corrupt { at, what: "frequency" })?),
    };
    p.pause_until = match r.flag("pause flag")? {
        false => None,
        true => {
            let at = r.at;
            Some(Timestamp::from_ms(unzigzag(r.varint()?)).ok_or(StateError::Corrupt { at, what: "pause" })?)
        }
    };
    for _ in 0..r.count()? {
        p.topics.push(r.text()?);
    }
    p.preferences_at = r.opt_instant()?;
    state.sends.email = r.instants()?;
    state.sends.sms = r.instants()?;
    for _ in 0..r.count()? {
        let key = r.u32()?;
        let enrolled_at = r.instant()?;
        let at = r.at;
        let runs = u16::try_from(r.varint()?).map_err(|_| StateError::Corrupt { at, what: "runs" })?;
        let mut done = Vec::new();
        for _ in 0..r.count()? {
            let step = r.u32()?;
            done.push((step, r.instant()?));
        }
        let stopped_at = r.opt_instant()?;
        state.enrolments.insert(key, Enrolment { enrolled_at, runs, done, stopped_at });
    }
    let at = r.at;
    state.deal = match r.u8()? {
        0 => None,
        code => {
            let status = DealStatus::from_code(code - 1).ok_or(StateError::Corrupt { at, what: "deal status" })?;
            Some((status, r.instant()?))
        }
    };
    state.recycled = r.opt_instant()?;
    if r.flag("first touch flag")? {
        let at = r.instant()?;
        let mut texts = [None, None, None, None];
        for slot in &mut texts {
            *slot = r.opt_text()?;
        }
        let [utm_source, utm_medium, utm_campaign, referrer] = texts;
        state.attribution.first_touch = Some(FirstTouch { at, utm_source, utm_medium, utm_campaign, referrer });
    }
    for _ in 0..r.count()? {
        let at = r.at;
        let kind = r.u8()?;
        if !is_kind(kind) {
            return Err(StateError::Corrupt { at, what: "interaction kind" });
        }
        let signal = if r.flag("signal flag")? { Some(r.u32()?) } else { None };
        let when = r.instant()?;
        state.attribution.interactions.push(Interaction { kind, signal, at: when });
    }
    if r.at < bytes.len() {
        return Err(StateError::TrailingBytes { at: r.at, extra: bytes.len() - r.at });
    }
    Ok(state)
}

struct Writer {
    out: Vec<u8>,
    base: Timestamp,
}

impl Writer {
    fn varint(&mut self, mut v: u64) {
        while v >= 0x80 {
            self.out.push((v as u8) | 0x80);
            v >>= 7;
        }
        self.out.push(v as u8);
    }

    fn bytes(&mut self, b: &[u8]) {
        self.varint(b.len() as u64);
        self.out.extend_from_slice(b);
    }

    fn u32(&mut self, v: u32) {
        self.out.extend_from_slice(&v.to_le_bytes());
    }

    fn f64(&mut self, v: f64) {
        self.out.extend_from_slice(&v.to_le_bytes());
    }

    /// Instants at or before `base` as their (non-negative) age; a later one (clock skew) as zigzag of the
    /// negative age, flagged by the low bit.
    fn instant(&mut self, t: Timestamp) {
        self.varint(zigzag(self.base.since(t)));
    }

    fn opt_instant(&mut self, t: Option<Timestamp>) {
        match t {
            Some(t) => {
                self.out.push(1);
                self.instant(t);
            }
            None => self.out.push(0),
        }
    }

    fn opt_text(&mut self, text: Option<&str>) {
        match text {
            Some(t) => {
                self.out.push(1);
                self.bytes(t.as_bytes());
            }
            None => self.out.push(0),
        }
    }

    fn instants(&mut self, list: &[Timestamp]) {
        self.varint(list.len() as u64);
        for t in list {
            self.instant(*t);
        }
    }
}

fn zigzag(v: i64) -> u64 {
    ((v << 1) ^ (v >> 63)) as u64
}

fn unzigzag(v: u64) -> i64 {
    ((v >> 1) as i64) ^ -((v & 1) as i64)
}

struct Reader<'a> {
    bytes: &'a [u8],
    at: usize,
    base: i64,
}

impl Reader<'_> {
    fn take(&mut self, n: usize) -> Result<&[u8], StateError> {
        let end = self.at.checked_add(n).ok_or(StateError::Truncated { at: self.at })?;
        let slice = self.bytes.get(self.at..end).ok_or(StateError::Truncated { at: self.at })?;
        self.at = end;
        Ok(slice)
    }

    fn u8(&mut self) -> Result<u8, StateError> {
        let b = self.bytes.get(self.at).copied().ok_or(StateError::Truncated { at: self.at })?;
        self.at += 1;
        Ok(b)
    }

    fn flag(&mut self, what: &'static str) -> Result<bool, StateError> {
        let at = self.at;
        match self.u8()? {
            0 => Ok(false),
            1 => Ok(true),
            _ => Err(StateError::Corrupt { at, what }),
        }
    }

    fn u32(&mut self) -> Result<u32, StateError> {
        let mut buf = [0u8; 4];
        buf.copy_from_slice(self.take(4)?);
        Ok(u32::from_le_bytes(buf))
    }

    fn finite(&mut self) -> Result<f64, StateError> {
        let at = self.at;
        let mut buf = [0u8; 8];
        buf.copy_from_slice(self.take(8)?);
        let v = f64::from_le_bytes(buf);
        if v.is_finite() {
            Ok(v)
        } else {
            Err(StateError::Corrupt { at, what: "number" })
        }
    }

    fn varint(&mut self) -> Result<u64, StateError> {
        let start = self.at;
        let mut v: u64 = 0;
        for shift in (0..64).step_by(7) {
            let b = self.u8()?;
            v |= u64::from(b & 0x7f) << shift;
            if b & 0x80 == 0 {
                return Ok(v);
            }
        }
        Err(StateError::Corrupt { at: start, what: "varint" })
    }

    fn u32_varint(&mut self) -> Result<u32, StateError> {
        let at = self.at;
        u32::try_from(self.varint()?).map_err(|_| StateError::Corrupt { at, what: "count" })
    }

    /// A length or count: never more than the bytes left, so a forged count cannot allocate gigabytes.
    fn count(&mut self) -> Result<usize, StateError> {
        let at = self.at;
        let n = self.varint()?;
        let left = self.bytes.len().saturating_sub(self.at) as u64;
        if n > left {
            return Err(StateError::Corrupt { at, what: "length" });
        }
        Ok(n as usize)
    }

    fn text(&mut self) -> Result<String, StateError> {
        let n = self.count()?;
        let at = self.at;
        let raw = self.take(n)?;
        core::str::from_utf8(raw).map(String::from).map_err(|_| StateError::Corrupt { at, what: "text" })
    }

    fn instant(&mut self) -> Result<Timestamp, StateError> {
        let at = self.at;
        let age = unzigzag(self.varint()?);
        self.base.checked_sub(age).and_then(Timestamp::from_ms).ok_or(StateError::Corrupt { at, what: "instant" })
    }

    fn opt_instant(&mut self) -> Result<Option<Timestamp>, StateError> {
        if self.flag("presence flag")? {
            Ok(Some(self.instant()?))
        } else {
            Ok(None)
        }
    }

    fn opt_text(&mut self) -> Result<Option<String>, StateError> {
        if self.flag("presence flag")? {
            Ok(Some(self.text()?))
        } else {
            Ok(None)
        }
    }

    fn instants(&mut self) -> Result<Vec<Timestamp>, StateError> {
        let n = self.count()?;
        let mut out = Vec::with_capacity(n);
        for _ in 0..n {
            out.push(self.instant()?);
        }
        Ok(out)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn sample() -> ContactState {
        let t = |ms| Timestamp::from_ms(ms).unwrap_or(Timestamp::EPOCH);
        let mut s = ContactState::new();
        s.updated_at = Some(t(1_764_547_200_000));
        s.profile.insert("role".into(), Scalar::Str("VP".into()));
        s.profile.insert("company_size".into(), Scalar::Num(120.0));
        s.rules.insert(7, Accumulator { value: 21.5, last: t(1_764_547_200_000), count: 2, capped: false });
        s.signals.insert(
            9,
            SignalTrack {
                count: 3,
                first: Some(t(1_764_000_000_000)),
                recent: vec![t(1_764_547_200_000)],
                days: vec![],
            },
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
        // version 1, no base, profile count = 2^62
        let bytes = [1u8, 0, 0x80, 0x80, 0x80, 0x80, 0x80, 0x80, 0x80, 0x80, 0x40];
        assert!(matches!(ContactState::from_bytes(&bytes), Err(Error::InvalidState(StateError::Corrupt { .. }))));
    }
}
