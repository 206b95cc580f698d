//! Compact byte forms for what the plan holds between reading and folding: a contact's profile fields and its
//! pending events. A parsed `Event` takes a few hundred bytes (the struct, its property map, a heap string per
//! key and text value); packed it takes about as many bytes as its JSON line without the `contact`. Packing is
//! exact: unpacking gives back an equal value (the tests say so), so folding packed events gives the same state.
//!
//! Layout (little-endian, lengths as LEB128): an event is `at` (8 bytes, epoch ms), its kind (one byte: core's
//! `EventKind::code`, or 255 and the custom kind's name), its `id`,
//! `machine` (1 byte) and its properties; a property is its key, then a tag (0 `null`, 1 text, 2 number as 8
//! bytes of f64, 3 boolean as 1 byte) and the value. Fields are a count, then each key with a tagged value.

use rekindle_core::{Event, EventKind, Scalar, Timestamp};

/// Appends `event` (without its `contact`) to `out`.
pub fn pack_event(event: &Event, out: &mut Vec<u8>) {
    out.extend_from_slice(&event.at.ms().to_le_bytes());
    // A named kind is its one-byte code; a custom kind the byte 255 and its name.
    match (event.kind.code(), &event.kind) {
        (Some(code), _) => out.push(code),
        (None, EventKind::Custom(name)) => {
            out.push(CUSTOM);
            text(out, name);
        }
        (None, _) => out.push(UNNAMED),
    }
    text(out, &event.id);
    out.push(u8::from(event.machine));
    varint(out, event.props.len() as u64);
    for (key, value) in event.props.iter() {
        text(out, key);
        match value {
            None => out.push(0),
            Some(v) => scalar(out, v),
        }
    }
}

/// The kind byte of a custom kind (its name follows).
const CUSTOM: u8 = 255;
/// The kind byte of a named kind without a code: none exists (core's codes cover every named kind), and it reads
/// back as damaged bytes.
const UNNAMED: u8 = 254;

/// Reads the one event packed in `bytes`; `None` if they are not exactly what [`pack_event`] wrote for it.
pub fn unpack_event(bytes: &[u8]) -> Option<Event> {
    let mut r = Reader(bytes);
    let event = r.event()?;
    r.0.is_empty().then_some(event)
}

/// Profile fields, packed; merged over duplicate rows by unpacking and packing again.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct Fields(Box<[u8]>);

impl Fields {
    /// Packs the fields, in order.
    pub fn pack(fields: &[(String, Scalar)]) -> Fields {
        let mut out = Vec::new();
        varint(&mut out, fields.len() as u64);
        for (key, value) in fields {
            text(&mut out, key);
            scalar(&mut out, value);
        }
        Fields(out.into_boxed_slice())
    }

    /// The fields, in order (none if the bytes were damaged, which only a bug in this file can do).
    pub fn unpack(&self) -> Vec<(String, Scalar)> {
        let mut r = Reader(&self.0);
        let mut fields = Vec::new();
        let Some(n) = r.varint() else { return fields };
        for _ in 0..n {
            let Some(field) = r.text().map(str::to_string).and_then(|k| Some((k, r.byte().and_then(|t| r.scalar(t))?)))
            else {
                return fields;
            };
            fields.push(field);
        }
        fields
    }
}

fn varint(out: &mut Vec<u8>, mut n: u64) {
    while n >= 0x80 {
        out.push((n as u8 & 0x7f) | 0x80);
        n >>= 7;
    }
    out.push(n as u8);
}

fn text(out: &mut Vec<u8>, s: &str) {
    varint(out, s.len() as u64);
    out.extend_from_slice(s.as_bytes());
}

fn scalar(out: &mut Vec<u8>, value: &Scalar) {
    match value {
        Scalar::Str(s) => {
            out.push(1);
            text(out, s);
        }
        Scalar::Num(n) => {
            out.push(2);
            out.extend_from_slice(&n.to_le_bytes());
        }
        Scalar::Bool(b) => {
            out.push(3);
            out.push(u8::from(*b));
        }
    }
}

struct Reader<'a>(&'a [u8]);

impl<'a> Reader<'a> {
    fn take(&mut self, n: usize) -> Option<&'a [u8]> {
        let (head, rest) = self.0.split_at_checked(n)?;
        self.0 = rest;
        Some(head)
    }

    fn byte(&mut self) -> Option<u8> {
        self.take(1)?.first().copied()
    }

    fn varint(&mut self) -> Option<u64> {
        let mut n = 0u64;
        for shift in (0..64).step_by(7) {
            let b = self.byte()?;
            n |= u64::from(b & 0x7f) << shift;
            if b < 0x80 {
                return Some(n);
            }
        }
        None
    }

    fn text(&mut self) -> Option<&'a str> {
        let n = usize::try_from(self.varint()?).ok()?;
        std::str::from_utf8(self.take(n)?).ok()
    }

    fn event(&mut self) -> Option<Event> {
        let at = Timestamp::from_ms(i64::from_le_bytes(self.take(8)?.try_into().ok()?))?;
        let kind = match self.byte()? {
            CUSTOM => EventKind::Custom(self.text()?.to_string()),
            code => EventKind::from_code(code)?,
        };
        let id = self.text()?.to_string();
        let machine = self.byte()? != 0;
        let n = usize::try_from(self.varint()?).ok()?;
        // Each entry takes two bytes at least: a count the bytes cannot hold is damage, not an allocation.
        let props = rekindle_core::vecmap::VecMap::with_capacity(n.min(self.0.len() / 2));
        let mut event = Event { at, kind, id, contact: String::new(), machine, props };
        for _ in 0..n {
            let key = self.text()?.to_string();
            let value = match self.byte()? {
                0 => None,
                tag => Some(self.scalar(tag)?),
            };
            event.props.insert(key, value);
        }
        Some(event)
    }

    fn scalar(&mut self, tag: u8) -> Option<Scalar> {
        match tag {
            1 => Some(Scalar::Str(self.text()?.to_string())),
            2 => Some(Scalar::Num(f64::from_le_bytes(self.take(8)?.try_into().ok()?))),
            3 => Some(Scalar::Bool(self.byte()? != 0)),
            _ => None,
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// Every event packed one after another in `bytes`; `None` if one does not read back.
    fn unpack_events(bytes: &[u8], capacity: usize) -> Option<Vec<Event>> {
        let mut r = Reader(bytes);
        let mut events = Vec::with_capacity(capacity);
        while !r.0.is_empty() {
            events.push(r.event()?);
        }
        Some(events)
    }

    fn event(kind: EventKind, ms: i64, id: &str, machine: bool, props: Vec<(&str, Option<Scalar>)>) -> Event {
        let mut e = Event {
            at: Timestamp::from_ms(ms).unwrap_or(Timestamp::EPOCH),
            kind,
            id: id.into(),
            contact: String::new(),
            machine,
            props: Default::default(),
        };
        for (k, v) in props {
            e.props.insert(k.into(), v);
        }
        e
    }

    #[test]
    fn packed_events_unpack_equal_in_order() {
        let events = vec![
            event(
                EventKind::PageView,
                1_795_694_400_123,
                "",
                false,
                vec![("path", Some(Scalar::Str("/pricing".into())))],
            ),
            event(EventKind::Custom("trial_started".into()), -5, "ev-1", true, vec![]),
            event(
                EventKind::Profile,
                0,
                "",
                false,
                vec![
                    ("role", None),
                    ("size", Some(Scalar::Num(0.1 + 0.2))),
                    ("vip", Some(Scalar::Bool(true))),
                    ("name", Some(Scalar::Str("Zoë «ü» 🚀".into()))),
                ],
            ),
        ];
        let mut bytes = Vec::new();
        for e in &events {
            pack_event(e, &mut bytes);
        }
        assert_eq!(unpack_events(&bytes, 1), Some(events));
        assert_eq!(unpack_events(&[], 0), Some(Vec::new()));
    }

    #[test]
    fn truncated_packed_events_are_refused_not_misread() {
        let mut bytes = Vec::new();
        pack_event(&event(EventKind::EmailOpen, 7, "x", false, vec![("a", Some(Scalar::Num(1.0)))]), &mut bytes);
        for cut in 0..bytes.len() {
            let head = bytes.get(..cut).unwrap_or_default();
            assert!(cut == 0 || unpack_events(head, 0).is_none(), "cut at {cut}");
        }
    }

    #[test]
    fn packed_fields_unpack_equal_in_order() {
        let fields = vec![
            ("role".to_string(), Scalar::Str("CMO".into())),
            ("company_size".to_string(), Scalar::Num(120.0)),
            ("opted".to_string(), Scalar::Bool(false)),
        ];
        assert_eq!(Fields::pack(&fields).unpack(), fields);
        assert_eq!(Fields::pack(&[]).unpack(), Vec::new());
    }
}
