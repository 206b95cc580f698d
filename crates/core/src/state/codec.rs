//! The compact, versioned byte form of a `ContactState` (cookie, localStorage, batch spill files).
//!
//! Layout v2: a version byte, then sections in a fixed order. Integers are LEB128 varints unless noted. An
//! instant is stored as its age `base − t` (`base` = the latest event), zigzag-encoded so clock skew survives;
//! a list of instants stores the first by age and each next one as the zigzag gap to the one before it, so a
//! list sorted newest first costs a byte or two per entry instead of five. A number is a varint `2·zigzag(n)`
//! when it is a whole number of at most 2^53 (points, caps, company sizes), else the tag `1` and the IEEE
//! double. State keys of rules, signals, steps and sequences are `u32` LE (hashes of ids, see `state`).
//!
//! Sections: base, profile, intent rules (key, value, last, `2·count + capped`), signals (key, count, recent
//! instants, first occurrence as a gap from the oldest recent one, day buckets), funnel (stage, instant as a
//! chain), first seen, lifecycle facts (one presence mask for seven instants and the intent flag, opens since the
//! last click, the start of the campaign last come back from), do-not-contact
//! per channel, consents and preferences, marketing sends per channel, nurture enrolments (steps as a chain from
//! the enrolment, then the stop: none, its instant, or its cause and instant), deal, recycle, handoff
//! attribution (first UTM touch with its texts, last interactions: kind code with a signal flag, the signal as
//! an index into this state's signals, instant chain), then the
//! extensions (`codec/extension.rs`): tagged sections written only when they hold something, so bytes written
//! before an extension existed read unchanged.
//!
//! Measured on the benchmark workload (`cargo bench --bench fold_decide`, 10k contacts × 50 events), v1 → v2 bytes
//! per contact, mean / p95 / max: saas 502 / 587 / 680 → 433 / 507 / 592 (DESIGN's budget: ≤ 512 for a typical
//! playbook), ecommerce 177 / 214 / 249 → 154 / 187 / 220, reengagement 156 / 187 / 216 → 137 / 160 / 187.
//! v1 was never published, so v1 bytes are refused as an unknown version.
//!
//! Decoding never panics and never allocates more than the input can hold; every failure is a typed
//! [`StateError`] with the byte offset.

use alloc::vec::Vec;

use super::attribution::{is_kind, FirstTouch, Interaction};
use super::sends::{Enrolment, StopBy};
use super::track::SignalTrack;
use super::{ContactState, DealStatus};
use crate::consent::{Consent, Frequency};
use crate::error::{Error, StateError};
use crate::event::Scalar;
use crate::score::intent::Accumulator;
use crate::stage::Stage;
use crate::suppression::{Dnc, DncReason};
use crate::time::Timestamp;

mod extension;
mod wire;
use wire::{unzigzag, zigzag, Reader, Writer};

/// The version byte this build writes and reads.
pub const STATE_VERSION: u8 = 2;

/// Interaction kind byte: the interaction names a signal.
const HAS_SIGNAL: u8 = 0x80;

/// Entries a decoded map reserves at most before they are read (the example playbooks' maps hold under 20).
const RESERVE: usize = 64;

impl ContactState {
    /// Serialises to the compact form (room for 512 bytes up front: the example playbooks' states measure
    /// 140–430 bytes on average, 590 at most, so nearly every state is written without growing the buffer).
    pub fn to_bytes(&self) -> Vec<u8> {
        self.append_bytes(Vec::with_capacity(512))
    }

    /// The compact form appended to `out` (a sealed cookie writes its header first, then this: one buffer).
    pub(crate) fn append_bytes(&self, out: Vec<u8>) -> Vec<u8> {
        let base = self.updated_at.unwrap_or(Timestamp::EPOCH);
        let mut w = Writer { out, base: base.ms() };
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
                    w.number(*n);
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
            w.number(a.value);
            w.instant(a.last);
            w.varint((u64::from(a.count) << 1) | u64::from(a.capped));
        }
        w.varint(self.signals.len() as u64);
        for (key, s) in &self.signals {
            w.u32(*key);
            w.varint(u64::from(s.count));
            let oldest = w.instants(&s.recent);
            match s.first {
                Some(first) => {
                    w.out.push(1);
                    w.gap(oldest, first);
                }
                None => w.out.push(0),
            }
            w.varint(s.days.len() as u64);
            for (day, n) in &s.days {
                w.varint(zigzag(*day));
                w.varint(u64::from(*n));
            }
        }
        w.varint(self.funnel.len() as u64);
        let mut prev = w.base;
        for (stage, at) in &self.funnel {
            w.out.push(stage.code());
            prev = w.gap(prev, *at);
        }
        w.opt_instant(self.first_seen);
        let a = &self.activity;
        let facts = [
            a.last_engagement,
            a.first_open_since_click,
            a.last_click,
            a.reactivation_started,
            a.reactivated,
            a.archived,
            a.erased,
        ];
        let mask =
            facts.iter().enumerate().fold(u8::from(a.showed_intent) << 7, |m, (i, t)| m | (u8::from(t.is_some()) << i));
        w.out.push(mask);
        for t in facts.into_iter().flatten() {
            w.instant(t);
        }
        w.varint(u64::from(a.opens_since_click));
        w.opt_instant(a.campaign_started);
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
            let mut prev = e.enrolled_at.ms();
            for (step, at) in &e.done {
                w.u32(*step);
                prev = w.gap(prev, *at);
            }
            // The stop: 0 none, 1 its instant (a state written before causes were kept), 2 + the cause's code
            // then its instant; as varints, so 0 and 1 are the bytes they always were.
            match (e.stopped_at, e.stopped_by) {
                (None, _) => w.varint(0),
                (Some(at), by) => {
                    w.varint(by.map_or(1, |b| 2 + b.code()));
                    w.instant(at);
                }
            }
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
        let mut prev = w.base;
        for i in &a.interactions {
            match i.signal {
                Some(key) => {
                    w.out.push(i.kind | HAS_SIGNAL);
                    // The signal an interaction matched is tracked in `signals`: its index there is one byte,
                    // where the key is four; a key not found there (never written by `fold`) follows in full.
                    match self.signals.iter().position(|(k, _)| *k == key) {
                        Some(index) => w.varint(index as u64),
                        None => {
                            w.varint(self.signals.len() as u64);
                            w.u32(key);
                        }
                    }
                }
                None => w.out.push(i.kind),
            }
            prev = w.gap(prev, i.at);
        }
        extension::write(self, &mut w);
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
    // Each map is sized from its count before its entries are read (growing it by doubling moved every entry
    // 2–3 times per state), up to RESERVE: a count is bounded by the bytes left, and a hostile state must not
    // buy a large allocation with a few bytes.
    let n = r.count()?;
    state.profile.reserve(n.min(RESERVE));
    for _ in 0..n {
        let key = r.text()?;
        let at = r.at;
        let value = match r.u8()? {
            0 => Scalar::Str(r.text()?),
            1 => Scalar::Num(r.number()?),
            2 => Scalar::Bool(r.flag("boolean")?),
            _ => return Err(StateError::Corrupt { at, what: "profile value tag" }),
        };
        state.profile.insert(key, value);
    }
    let n = r.count()?;
    state.rules.reserve(n.min(RESERVE));
    for _ in 0..n {
        let key = r.u32()?;
        let value = r.number()?;
        let last = r.instant()?;
        let at = r.at;
        let packed = r.varint()?;
        let count = u32::try_from(packed >> 1).map_err(|_| StateError::Corrupt { at, what: "count" })?;
        state.rules.insert(key, Accumulator { value, last, count, capped: packed & 1 == 1 });
    }
    let n = r.count()?;
    state.signals.reserve(n.min(RESERVE));
    for _ in 0..n {
        let key = r.u32()?;
        let count = r.u32_varint()?;
        let (recent, oldest) = r.instants()?;
        let first = if r.flag("presence flag")? { Some(r.gap(oldest)?) } else { None };
        let mut days = Vec::new();
        for _ in 0..r.count()? {
            let day = unzigzag(r.varint()?);
            days.push((day, r.u32_varint()?));
        }
        state.signals.insert(key, SignalTrack { count, first, recent, days });
    }
    let mut prev = r.base;
    for _ in 0..r.count()? {
        let at = r.at;
        let stage = Stage::from_code(r.u8()?).ok_or(StateError::Corrupt { at, what: "stage" })?;
        let when = r.gap(prev)?;
        prev = when.ms();
        state.funnel.push((stage, when));
    }
    state.first_seen = r.opt_instant()?;
    let mask = r.u8()?;
    let mut facts = [None; 7];
    for (i, slot) in facts.iter_mut().enumerate() {
        if mask & (1 << i) != 0 {
            *slot = Some(r.instant()?);
        }
    }
    let a = &mut state.activity;
    [
        a.last_engagement,
        a.first_open_since_click,
        a.last_click,
        a.reactivation_started,
        a.reactivated,
        a.archived,
        a.erased,
    ] = facts;
    a.showed_intent = mask & 0x80 != 0;
    a.opens_since_click = r.u32_varint()?;
    a.campaign_started = r.opt_instant()?;
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
    state.sends.email = r.instants()?.0;
    state.sends.sms = r.instants()?.0;
    let n = r.count()?;
    state.enrolments.reserve(n.min(RESERVE));
    for _ in 0..n {
        let key = r.u32()?;
        let enrolled_at = r.instant()?;
        let at = r.at;
        let runs = u16::try_from(r.varint()?).map_err(|_| StateError::Corrupt { at, what: "runs" })?;
        let steps = r.count()?;
        let mut done = Vec::with_capacity(steps.min(RESERVE));
        let mut prev = enrolled_at.ms();
        for _ in 0..steps {
            let step = r.u32()?;
            let when = r.gap(prev)?;
            prev = when.ms();
            done.push((step, when));
        }
        let at = r.at;
        let (stopped_at, stopped_by) = match r.varint()? {
            0 => (None, None),
            1 => (Some(r.instant()?), None),
            code => {
                let by = StopBy::from_code(code - 2).ok_or(StateError::Corrupt { at, what: "stop cause" })?;
                (Some(r.instant()?), Some(by))
            }
        };
        state.enrolments.insert(
            key,
            Enrolment { enrolled_at, runs, done, stopped_at, stopped_by, completed_at: None, judged: Vec::new() },
        );
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
    let mut prev = r.base;
    for _ in 0..r.count()? {
        let at = r.at;
        let byte = r.u8()?;
        let kind = byte & !HAS_SIGNAL;
        if !is_kind(kind) {
            return Err(StateError::Corrupt { at, what: "interaction kind" });
        }
        let signal = if byte & HAS_SIGNAL == 0 {
            None
        } else {
            let at = r.at;
            let index = usize::try_from(r.varint()?).unwrap_or(usize::MAX);
            Some(match state.signals.keys().nth(index) {
                Some(key) => *key,
                None if index == state.signals.len() => r.u32()?,
                None => return Err(StateError::Corrupt { at, what: "interaction signal" }),
            })
        };
        let when = r.gap(prev)?;
        prev = when.ms();
        state.attribution.interactions.push(Interaction { kind, signal, at: when });
    }
    extension::read(&mut state, &mut r, bytes.len())?;
    if r.at < bytes.len() {
        return Err(StateError::TrailingBytes { at: r.at, extra: bytes.len() - r.at });
    }
    Ok(state)
}

#[cfg(test)]
mod tests;
