//! The codec's primitives: LEB128 varints, zigzag, instants as ages from the base and gap chains, whole numbers as
//! varints, texts — written by `Writer`, read back by `Reader` with the byte offset of every defect.

use alloc::string::String;
use alloc::vec::Vec;

use crate::error::StateError;
use crate::time::Timestamp;

pub(super) struct Writer {
    pub(super) out: Vec<u8>,
    /// The latest event's instant (ms): ages are counted back from it.
    pub(super) base: i64,
}

impl Writer {
    pub(super) fn varint(&mut self, mut v: u64) {
        while v >= 0x80 {
            self.out.push((v as u8) | 0x80);
            v >>= 7;
        }
        self.out.push(v as u8);
    }

    pub(super) fn bytes(&mut self, b: &[u8]) {
        self.varint(b.len() as u64);
        self.out.extend_from_slice(b);
    }

    pub(super) fn u32(&mut self, v: u32) {
        self.out.extend_from_slice(&v.to_le_bytes());
    }

    /// A finite number: whole numbers up to 2^53 as a zigzag varint (tag bit 0), anything else as the tag `1`
    /// and the IEEE double (`-0.0` included, so the round trip is exact to the bit).
    pub(super) fn number(&mut self, v: f64) {
        const EXACT: f64 = 9_007_199_254_740_992.0;
        let whole = v as i64;
        if (-EXACT..=EXACT).contains(&v) && whole as f64 == v && !(whole == 0 && v.is_sign_negative()) {
            self.varint(zigzag(whole) << 1);
        } else {
            self.out.push(1);
            self.out.extend_from_slice(&v.to_le_bytes());
        }
    }

    /// An instant as its age: `base − t`, zigzag (a later instant, from clock skew, stays exact).
    pub(super) fn instant(&mut self, t: Timestamp) {
        self.gap(self.base, t);
    }

    /// `t` as the zigzag gap back from `prev` (ms); returns `t` in ms, the `prev` of the next entry of a chain.
    pub(super) fn gap(&mut self, prev: i64, t: Timestamp) -> i64 {
        self.varint(zigzag(prev - t.ms()));
        t.ms()
    }

    pub(super) fn opt_instant(&mut self, t: Option<Timestamp>) {
        match t {
            Some(t) => {
                self.out.push(1);
                self.instant(t);
            }
            None => self.out.push(0),
        }
    }

    pub(super) fn opt_text(&mut self, text: Option<&str>) {
        match text {
            Some(t) => {
                self.out.push(1);
                self.bytes(t.as_bytes());
            }
            None => self.out.push(0),
        }
    }

    /// A list of instants as a chain from `base`; returns the last one's ms (`base` when empty).
    pub(super) fn instants(&mut self, list: &[Timestamp]) -> i64 {
        self.varint(list.len() as u64);
        list.iter().fold(self.base, |prev, t| self.gap(prev, *t))
    }
}

pub(super) fn zigzag(v: i64) -> u64 {
    ((v << 1) ^ (v >> 63)) as u64
}

pub(super) fn unzigzag(v: u64) -> i64 {
    ((v >> 1) as i64) ^ -((v & 1) as i64)
}

pub(super) struct Reader<'a> {
    pub(super) bytes: &'a [u8],
    pub(super) at: usize,
    pub(super) base: i64,
}

impl Reader<'_> {
    pub(super) fn take(&mut self, n: usize) -> Result<&[u8], StateError> {
        let end = self.at.checked_add(n).ok_or(StateError::Truncated { at: self.at })?;
        let slice = self.bytes.get(self.at..end).ok_or(StateError::Truncated { at: self.at })?;
        self.at = end;
        Ok(slice)
    }

    pub(super) fn u8(&mut self) -> Result<u8, StateError> {
        let b = self.bytes.get(self.at).copied().ok_or(StateError::Truncated { at: self.at })?;
        self.at += 1;
        Ok(b)
    }

    pub(super) fn flag(&mut self, what: &'static str) -> Result<bool, StateError> {
        let at = self.at;
        match self.u8()? {
            0 => Ok(false),
            1 => Ok(true),
            _ => Err(StateError::Corrupt { at, what }),
        }
    }

    pub(super) fn u32(&mut self) -> Result<u32, StateError> {
        let mut buf = [0u8; 4];
        buf.copy_from_slice(self.take(4)?);
        Ok(u32::from_le_bytes(buf))
    }

    /// The counterpart of `Writer::number`: only finite values are accepted.
    pub(super) fn number(&mut self) -> Result<f64, StateError> {
        let at = self.at;
        let head = self.varint()?;
        let v = if head & 1 == 0 {
            unzigzag(head >> 1) as f64
        } else if head == 1 {
            let mut buf = [0u8; 8];
            buf.copy_from_slice(self.take(8)?);
            f64::from_le_bytes(buf)
        } else {
            return Err(StateError::Corrupt { at, what: "number" });
        };
        if v.is_finite() {
            Ok(v)
        } else {
            Err(StateError::Corrupt { at, what: "number" })
        }
    }

    /// At most ten bytes (shifts 0, 7, …, 63). A plain loop over the slice: the `step_by` iterator and a call per
    /// byte were a tenth of opening a cookie in the size-first edge build, where neither is inlined.
    pub(super) fn varint(&mut self) -> Result<u64, StateError> {
        let start = self.at;
        let mut v: u64 = 0;
        let mut shift = 0;
        while shift < 64 {
            let Some(&b) = self.bytes.get(self.at) else {
                return Err(StateError::Truncated { at: self.at });
            };
            self.at += 1;
            v |= u64::from(b & 0x7f) << shift;
            if b & 0x80 == 0 {
                return Ok(v);
            }
            shift += 7;
        }
        Err(StateError::Corrupt { at: start, what: "varint" })
    }

    pub(super) fn u32_varint(&mut self) -> Result<u32, StateError> {
        let at = self.at;
        u32::try_from(self.varint()?).map_err(|_| StateError::Corrupt { at, what: "count" })
    }

    /// A length or count: never more than the bytes left, so a forged count cannot allocate gigabytes.
    pub(super) fn count(&mut self) -> Result<usize, StateError> {
        let at = self.at;
        let n = self.varint()?;
        let left = self.bytes.len().saturating_sub(self.at) as u64;
        if n > left {
            return Err(StateError::Corrupt { at, what: "length" });
        }
        Ok(n as usize)
    }

    pub(super) fn text(&mut self) -> Result<String, StateError> {
        let n = self.count()?;
        let at = self.at;
        let raw = self.take(n)?;
        core::str::from_utf8(raw).map(String::from).map_err(|_| StateError::Corrupt { at, what: "text" })
    }

    pub(super) fn instant(&mut self) -> Result<Timestamp, StateError> {
        self.gap(self.base)
    }

    /// An instant stored as the zigzag gap back from `prev` (ms).
    pub(super) fn gap(&mut self, prev: i64) -> Result<Timestamp, StateError> {
        let at = self.at;
        let back = unzigzag(self.varint()?);
        prev.checked_sub(back).and_then(Timestamp::from_ms).ok_or(StateError::Corrupt { at, what: "instant" })
    }

    pub(super) fn opt_instant(&mut self) -> Result<Option<Timestamp>, StateError> {
        if self.flag("presence flag")? {
            Ok(Some(self.instant()?))
        } else {
            Ok(None)
        }
    }

    pub(super) fn opt_text(&mut self) -> Result<Option<String>, StateError> {
        if self.flag("presence flag")? {
            Ok(Some(self.text()?))
        } else {
            Ok(None)
        }
    }

    /// A chain of instants from `base`, and the last one's ms (`base` when empty).
    pub(super) fn instants(&mut self) -> Result<(Vec<Timestamp>, i64), StateError> {
        let n = self.count()?;
        let mut out = Vec::with_capacity(n);
        let mut prev = self.base;
        for _ in 0..n {
            let t = self.gap(prev)?;
            prev = t.ms();
            out.push(t);
        }
        Ok((out, prev))
    }
}
