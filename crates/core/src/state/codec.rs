//! The compact, versioned byte form of a `ContactState` (cookie, localStorage, batch spill files).
//!
//! Layout v1 (all integers LEB128 varints unless noted; instants are stored as `base − t` where `base` is the
//! latest event, so they stay small):
//! ```text
//! u8 version=1 | varint has_base (0/1) [zigzag varint base_ms]
//! varint n_profile { varint len, utf8 key, u8 tag (0 str, 1 f64 LE, 2 bool), value }
//! varint n_rules   { u32 LE key, f64 LE value, varint base−last, varint count, f64 LE granted, u8 capped }
//! varint n_signals { u32 LE key, varint count, varint base−first, varint n_recent { varint base−t } }
//! varint n_funnel  { u8 stage, varint base−at }
//! ```
//! Decoding never panics and never allocates more than the input can hold; every failure is a typed
//! [`StateError`] with the byte offset.

use alloc::string::String;
use alloc::vec::Vec;

use super::{ContactState, SignalTrack};
use crate::error::{Error, StateError};
use crate::event::Scalar;
use crate::score::intent::Accumulator;
use crate::stage::Stage;
use crate::time::Timestamp;

/// The version byte this build writes and reads.
pub const STATE_VERSION: u8 = 1;

impl ContactState {
    /// Serialises to the compact v1 form.
    pub fn to_bytes(&self) -> Vec<u8> {
        let mut w = Writer(Vec::with_capacity(64));
        w.0.push(STATE_VERSION);
        let base = self.updated_at.unwrap_or(Timestamp::EPOCH);
        match self.updated_at {
            Some(b) => {
                w.varint(1);
                w.varint(zigzag(b.ms()));
            }
            None => w.varint(0),
        }
        let age = |t: Timestamp| base.since(t).max(0) as u64;
        w.varint(self.profile.len() as u64);
        for (key, value) in &self.profile {
            w.bytes(key.as_bytes());
            match value {
                Scalar::Str(s) => {
                    w.0.push(0);
                    w.bytes(s.as_bytes());
                }
                Scalar::Num(n) => {
                    w.0.push(1);
                    w.0.extend_from_slice(&n.to_le_bytes());
                }
                Scalar::Bool(b) => {
                    w.0.push(2);
                    w.0.push(u8::from(*b));
                }
            }
        }
        w.varint(self.rules.len() as u64);
        for (key, a) in &self.rules {
            w.0.extend_from_slice(&key.to_le_bytes());
            w.0.extend_from_slice(&a.value.to_le_bytes());
            w.varint(age(a.last));
            w.varint(u64::from(a.count));
            w.0.extend_from_slice(&a.granted.to_le_bytes());
            w.0.push(u8::from(a.capped));
        }
        w.varint(self.signals.len() as u64);
        for (key, s) in &self.signals {
            w.0.extend_from_slice(&key.to_le_bytes());
            w.varint(u64::from(s.count));
            w.varint(age(s.first));
            w.varint(s.recent.len() as u64);
            for t in &s.recent {
                w.varint(age(*t));
            }
        }
        w.varint(self.funnel.len() as u64);
        for (stage, at) in &self.funnel {
            w.0.push(stage.code());
            w.varint(age(*at));
        }
        w.0
    }

    /// Reads the compact form; any defect is an `E_STATE_INVALID` error, never a panic.
    pub fn from_bytes(bytes: &[u8]) -> Result<ContactState, Error> {
        decode(bytes).map_err(Error::InvalidState)
    }
}

fn decode(bytes: &[u8]) -> Result<ContactState, StateError> {
    let mut r = Reader { bytes, at: 0 };
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
    let base_ms = base.map_or(0, Timestamp::ms);
    let n = r.count()?;
    for _ in 0..n {
        let key = r.text()?;
        let at = r.at;
        let value = match r.u8()? {
            0 => Scalar::Str(r.text()?),
            1 => Scalar::Num(r.finite()?),
            2 => match r.u8()? {
                0 => Scalar::Bool(false),
                1 => Scalar::Bool(true),
                _ => return Err(StateError::Corrupt { at: r.at - 1, what: "boolean" }),
            },
            _ => return Err(StateError::Corrupt { at, what: "profile value tag" }),
        };
        state.profile.insert(key, value);
    }
    let n = r.count()?;
    for _ in 0..n {
        let key = r.u32()?;
        let value = r.finite()?;
        let last = r.instant(base_ms)?;
        let count = r.u32_varint()?;
        let granted = r.finite()?;
        let at = r.at;
        let capped = match r.u8()? {
            0 => false,
            1 => true,
            _ => return Err(StateError::Corrupt { at, what: "capped flag" }),
        };
        state.rules.insert(key, Accumulator { value, last, count, granted, capped });
    }
    let n = r.count()?;
    for _ in 0..n {
        let key = r.u32()?;
        let count = r.u32_varint()?;
        let first = r.instant(base_ms)?;
        let k = r.count()?;
        let mut recent = Vec::with_capacity(k);
        for _ in 0..k {
            recent.push(r.instant(base_ms)?);
        }
        state.signals.insert(key, SignalTrack { count, first, recent });
    }
    let n = r.count()?;
    for _ in 0..n {
        let at = r.at;
        let stage = Stage::from_code(r.u8()?).ok_or(StateError::Corrupt { at, what: "stage" })?;
        let when = r.instant(base_ms)?;
        state.funnel.push((stage, when));
    }
    if r.at < bytes.len() {
        return Err(StateError::TrailingBytes { at: r.at, extra: bytes.len() - r.at });
    }
    Ok(state)
}

struct Writer(Vec<u8>);

impl Writer {
    fn varint(&mut self, mut v: u64) {
        while v >= 0x80 {
            self.0.push((v as u8) | 0x80);
            v >>= 7;
        }
        self.0.push(v as u8);
    }

    fn bytes(&mut self, b: &[u8]) {
        self.varint(b.len() as u64);
        self.0.extend_from_slice(b);
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

    fn instant(&mut self, base_ms: i64) -> Result<Timestamp, StateError> {
        let at = self.at;
        let age = self.varint()?;
        i64::try_from(age)
            .ok()
            .and_then(|a| base_ms.checked_sub(a))
            .and_then(Timestamp::from_ms)
            .ok_or(StateError::Corrupt { at, what: "instant" })
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
        s.rules
            .insert(7, Accumulator { value: 21.5, last: t(1_764_547_200_000), count: 2, granted: 30.0, capped: false });
        s.signals.insert(9, SignalTrack { count: 3, first: t(1_764_000_000_000), recent: vec![t(1_764_547_200_000)] });
        s.funnel.push((Stage::Mql, t(1_764_500_000_000)));
        s
    }

    #[test]
    fn state_round_trips_through_bytes() {
        let s = sample();
        let bytes = s.to_bytes();
        assert_eq!(ContactState::from_bytes(&bytes), Ok(s));
        assert!(bytes.len() < 100, "{} bytes", bytes.len());
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
