//! Results cross into JS as a *tape*: a compact byte encoding written by a tiny serde `Serializer` here and
//! read by `js/tape.js` into plain objects, in one call.
//!
//! Why not serde-wasm-bindgen: it builds the object with one JS call per field and value (a decision is
//! hundreds), and its generic glue was 14 KB gzip of the module. The tape is bytes in linear memory, decoded by
//! 60 lines of JS; keys repeat, so each distinct string is sent once and referred to by index after that.
//! Numbers are IEEE doubles (every instant is within JS's safe-integer range), so decisions stay byte-identical
//! to what every other runtime prints.
//!
//! The same encoding carries playbooks and events the other way (`encodeTape` in `pkg/tape.js`, called by the
//! facade; `read` here): one copy into linear memory instead of a JS call per property. Events are read
//! straight into core's `Event`s, without a `Value` tree (`read::events`).
//!
//! Encoding: `0` null · `1` false · `2` true · `3` f64 LE · `4` string (varint length, UTF-8; joins the
//! string table) · `5` array … `8` · `6` object (key, value)… `8` · `7` varint index into the string table ·
//! `9` a one-byte code of an event field name, as a key (`read::EVENT_FIELDS`; only JS writes it, for events).

use serde::ser::{self, Serialize};

mod read;

pub(crate) use read::events;
#[cfg(feature = "playbook-json")]
pub(crate) use read::value;

/// A serialization failure (only `collect_str` of a failing `Display` can produce one).
#[derive(Debug)]
pub(crate) struct TapeError(String);

impl std::fmt::Display for TapeError {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(&self.0)
    }
}

impl std::error::Error for TapeError {}

impl ser::Error for TapeError {
    fn custom<T: std::fmt::Display>(msg: T) -> Self {
        TapeError(msg.to_string())
    }
}

const NULL: u8 = 0;
const FALSE: u8 = 1;
const TRUE: u8 = 2;
const NUMBER: u8 = 3;
const STRING: u8 = 4;
const ARRAY: u8 = 5;
const OBJECT: u8 = 6;
const REF: u8 = 7;
const END: u8 = 8;
const KEY: u8 = 9;

/// Strings up to this length are interned (keys, tags, enum values, rule paths).
const INTERN_MAX: usize = 48;

/// Encodes `value` as a tape.
pub(crate) fn encode<T: Serialize + ?Sized>(value: &T) -> Result<Vec<u8>, TapeError> {
    let mut tape = Tape {
        out: Vec::with_capacity(512),
        table: Vec::with_capacity(64),
        slots: [0; SLOTS],
        keys: [(0, u32::MAX); KEY_SLOTS],
    };
    value.serialize(&mut tape)?;
    Ok(tape.out)
}

/// Open-addressing index over the interned strings (a linear search was 5 % of a decision's time).
const SLOTS: usize = 512;

struct Tape {
    out: Vec<u8>,
    /// Interned strings, in the order the reader will see them, as (offset, length) of their bytes in `out`
    /// (no copy: a copy per distinct string was an allocation each).
    table: Vec<(usize, usize)>,
    /// `table` index + 1 by hash; 0 is empty. When full, further strings are simply not interned.
    slots: [u32; SLOTS],
    /// Field names by address: (address, `table` index; `u32::MAX` for none), direct-mapped. A struct's field names are
    /// `'static` strings, so the same address is the same text, found without hashing or comparing it.
    keys: [(usize, u32); KEY_SLOTS],
}

/// Direct-mapped field-name cache size (a decision has about 120 distinct field names).
const KEY_SLOTS: usize = 256;

fn fnv(s: &str) -> usize {
    s.bytes().fold(0x811c_9dc5_u32, |h, b| (h ^ u32::from(b)).wrapping_mul(0x0100_0193)) as usize
}

impl Tape {
    fn varint(&mut self, mut v: usize) {
        while v >= 0x80 {
            self.out.push((v as u8) | 0x80);
            v >>= 7;
        }
        self.out.push(v as u8);
    }

    /// The slot holding `s`, or the empty slot where it belongs; `None` when the probe window is full.
    fn slot(&self, s: &str) -> Option<usize> {
        let start = fnv(s);
        (0..16).map(|i| (start + i) % SLOTS).find(|&slot| {
            let entry = self.slots.get(slot).copied().unwrap_or(0);
            entry == 0
                || self.table.get(entry as usize - 1).is_some_and(|&(at, len)| self.text(at, len) == s.as_bytes())
        })
    }

    /// Writes `s` (spelled out, or as a `REF` to where it was) and returns its table index.
    fn string(&mut self, s: &str) -> u32 {
        if s.len() <= INTERN_MAX {
            let slot = self.slot(s);
            if let Some(entry) = slot.and_then(|i| self.slots.get(i)).copied().filter(|e| *e != 0) {
                self.out.push(REF);
                self.varint(entry as usize - 1);
                return entry - 1;
            }
            if let Some(free) = slot.and_then(|i| self.slots.get_mut(i)) {
                *free = u32::try_from(self.table.len() + 1).unwrap_or(0);
            }
        }
        // Every STRING joins the reader's table, so each gets an entry here too (long ones are never looked up).
        self.out.push(STRING);
        self.varint(s.len());
        self.table.push((self.out.len(), s.len()));
        self.out.extend_from_slice(s.as_bytes());
        u32::try_from(self.table.len() - 1).unwrap_or(u32::MAX)
    }

    /// The bytes of an interned string.
    fn text(&self, at: usize, len: usize) -> &[u8] {
        self.out.get(at..at + len).unwrap_or_default()
    }

    /// A struct field name: by address when it was sent before, else like any string.
    fn key(&mut self, key: &'static str) {
        let address = key.as_ptr() as usize;
        let slot = (address ^ (address >> 8) ^ key.len()) % KEY_SLOTS;
        match self.keys.get(slot) {
            // The length too: two field names may start at one address when one is the other's prefix.
            Some(&(at, index))
                if at == address && self.table.get(index as usize).is_some_and(|&(_, len)| len == key.len()) =>
            {
                self.out.push(REF);
                self.varint(index as usize);
            }
            _ => {
                let index = self.string(key);
                if let Some(cell) = self.keys.get_mut(slot) {
                    *cell = (address, index);
                }
            }
        }
    }

    fn number(&mut self, v: f64) {
        self.out.push(NUMBER);
        self.out.extend_from_slice(&v.to_le_bytes());
    }
}

type R = Result<(), TapeError>;

impl ser::Serializer for &mut Tape {
    type Ok = ();
    type Error = TapeError;
    type SerializeSeq = Self;
    type SerializeTuple = Self;
    type SerializeTupleStruct = Self;
    type SerializeTupleVariant = Self;
    type SerializeMap = Self;
    type SerializeStruct = Self;
    type SerializeStructVariant = Self;

    fn serialize_bool(self, v: bool) -> R {
        self.out.push(if v { TRUE } else { FALSE });
        Ok(())
    }
    fn serialize_i8(self, v: i8) -> R {
        self.serialize_f64(f64::from(v))
    }
    fn serialize_i16(self, v: i16) -> R {
        self.serialize_f64(f64::from(v))
    }
    fn serialize_i32(self, v: i32) -> R {
        self.serialize_f64(f64::from(v))
    }
    fn serialize_i64(self, v: i64) -> R {
        self.serialize_f64(v as f64)
    }
    fn serialize_u8(self, v: u8) -> R {
        self.serialize_f64(f64::from(v))
    }
    fn serialize_u16(self, v: u16) -> R {
        self.serialize_f64(f64::from(v))
    }
    fn serialize_u32(self, v: u32) -> R {
        self.serialize_f64(f64::from(v))
    }
    fn serialize_u64(self, v: u64) -> R {
        self.serialize_f64(v as f64)
    }
    fn serialize_f32(self, v: f32) -> R {
        self.serialize_f64(f64::from(v))
    }
    fn serialize_f64(self, v: f64) -> R {
        self.number(v);
        Ok(())
    }
    fn serialize_char(self, v: char) -> R {
        let _ = self.string(v.encode_utf8(&mut [0; 4]));
        Ok(())
    }
    fn serialize_str(self, v: &str) -> R {
        let _ = self.string(v);
        Ok(())
    }
    fn serialize_bytes(self, v: &[u8]) -> R {
        self.out.push(ARRAY);
        for b in v {
            self.number(f64::from(*b));
        }
        self.out.push(END);
        Ok(())
    }
    fn serialize_none(self) -> R {
        self.out.push(NULL);
        Ok(())
    }
    fn serialize_some<T: Serialize + ?Sized>(self, value: &T) -> R {
        value.serialize(self)
    }
    fn serialize_unit(self) -> R {
        self.serialize_none()
    }
    fn serialize_unit_struct(self, _: &'static str) -> R {
        self.serialize_none()
    }
    fn serialize_unit_variant(self, _: &'static str, _: u32, variant: &'static str) -> R {
        self.key(variant);
        Ok(())
    }
    fn serialize_newtype_struct<T: Serialize + ?Sized>(self, _: &'static str, value: &T) -> R {
        value.serialize(self)
    }
    fn serialize_newtype_variant<T: Serialize + ?Sized>(
        self,
        _: &'static str,
        _: u32,
        variant: &'static str,
        value: &T,
    ) -> R {
        self.out.push(OBJECT);
        self.key(variant);
        value.serialize(&mut *self)?;
        self.out.push(END);
        Ok(())
    }
    fn serialize_seq(self, _: Option<usize>) -> Result<Self, TapeError> {
        self.out.push(ARRAY);
        Ok(self)
    }
    fn serialize_tuple(self, _: usize) -> Result<Self, TapeError> {
        self.serialize_seq(None)
    }
    fn serialize_tuple_struct(self, _: &'static str, _: usize) -> Result<Self, TapeError> {
        self.serialize_seq(None)
    }
    fn serialize_tuple_variant(
        self,
        _: &'static str,
        _: u32,
        variant: &'static str,
        _: usize,
    ) -> Result<Self, TapeError> {
        self.out.push(OBJECT);
        self.key(variant);
        self.out.push(ARRAY);
        Ok(self)
    }
    fn serialize_map(self, _: Option<usize>) -> Result<Self, TapeError> {
        self.out.push(OBJECT);
        Ok(self)
    }
    fn serialize_struct(self, _: &'static str, _: usize) -> Result<Self, TapeError> {
        self.out.push(OBJECT);
        Ok(self)
    }
    fn serialize_struct_variant(
        self,
        _: &'static str,
        _: u32,
        variant: &'static str,
        _: usize,
    ) -> Result<Self, TapeError> {
        self.out.push(OBJECT);
        self.key(variant);
        self.out.push(OBJECT);
        Ok(self)
    }
}

impl ser::SerializeSeq for &mut Tape {
    type Ok = ();
    type Error = TapeError;
    fn serialize_element<T: Serialize + ?Sized>(&mut self, value: &T) -> R {
        value.serialize(&mut **self)
    }
    fn end(self) -> R {
        self.out.push(END);
        Ok(())
    }
}

impl ser::SerializeTuple for &mut Tape {
    type Ok = ();
    type Error = TapeError;
    fn serialize_element<T: Serialize + ?Sized>(&mut self, value: &T) -> R {
        value.serialize(&mut **self)
    }
    fn end(self) -> R {
        self.out.push(END);
        Ok(())
    }
}

impl ser::SerializeTupleStruct for &mut Tape {
    type Ok = ();
    type Error = TapeError;
    fn serialize_field<T: Serialize + ?Sized>(&mut self, value: &T) -> R {
        value.serialize(&mut **self)
    }
    fn end(self) -> R {
        self.out.push(END);
        Ok(())
    }
}

impl ser::SerializeTupleVariant for &mut Tape {
    type Ok = ();
    type Error = TapeError;
    fn serialize_field<T: Serialize + ?Sized>(&mut self, value: &T) -> R {
        value.serialize(&mut **self)
    }
    fn end(self) -> R {
        self.out.extend_from_slice(&[END, END]);
        Ok(())
    }
}

impl ser::SerializeMap for &mut Tape {
    type Ok = ();
    type Error = TapeError;
    fn serialize_key<T: Serialize + ?Sized>(&mut self, key: &T) -> R {
        key.serialize(&mut **self)
    }
    fn serialize_value<T: Serialize + ?Sized>(&mut self, value: &T) -> R {
        value.serialize(&mut **self)
    }
    fn end(self) -> R {
        self.out.push(END);
        Ok(())
    }
}

impl ser::SerializeStruct for &mut Tape {
    type Ok = ();
    type Error = TapeError;
    fn serialize_field<T: Serialize + ?Sized>(&mut self, key: &'static str, value: &T) -> R {
        self.key(key);
        value.serialize(&mut **self)
    }
    fn end(self) -> R {
        self.out.push(END);
        Ok(())
    }
}

impl ser::SerializeStructVariant for &mut Tape {
    type Ok = ();
    type Error = TapeError;
    fn serialize_field<T: Serialize + ?Sized>(&mut self, key: &'static str, value: &T) -> R {
        self.key(key);
        value.serialize(&mut **self)
    }
    fn end(self) -> R {
        self.out.extend_from_slice(&[END, END]);
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[derive(serde::Serialize)]
    #[serde(rename_all = "camelCase")]
    struct Sample {
        stage: &'static str,
        valid_until: Option<i64>,
        scores: Vec<f64>,
        flag: bool,
    }

    #[test]
    fn repeated_strings_are_sent_once_then_referred_to() {
        let tape = encode(&vec!["mql", "mql"]).unwrap_or_default();
        assert_eq!(tape, [ARRAY, STRING, 3, b'm', b'q', b'l', REF, 0, END]);
    }

    #[derive(serde::Serialize)]
    struct Pair {
        stage: u8,
        stage_history: u8,
    }

    #[test]
    fn field_names_are_sent_once_then_referred_to_by_address() {
        let tape =
            encode(&vec![Pair { stage: 1, stage_history: 2 }, Pair { stage: 3, stage_history: 4 }]).unwrap_or_default();
        let number = |n: f64| [&[NUMBER][..], &n.to_le_bytes()[..]].concat();
        let mut expected = vec![ARRAY, OBJECT, STRING, 5];
        expected.extend_from_slice(b"stage");
        expected.extend(number(1.0));
        expected.extend_from_slice(&[STRING, 13]);
        expected.extend_from_slice(b"stage_history");
        expected.extend(number(2.0));
        expected.extend_from_slice(&[END, OBJECT, REF, 0]);
        expected.extend(number(3.0));
        expected.extend_from_slice(&[REF, 1]);
        expected.extend(number(4.0));
        expected.extend_from_slice(&[END, END]);
        assert_eq!(tape, expected);
    }

    #[test]
    fn structs_are_keyed_objects_and_none_is_null() {
        let tape =
            encode(&Sample { stage: "sql", valid_until: None, scores: vec![0.5], flag: true }).unwrap_or_default();
        let mut expected = vec![OBJECT, STRING, 5];
        expected.extend_from_slice(b"stage");
        expected.extend_from_slice(&[STRING, 3, b's', b'q', b'l', STRING, 10]);
        expected.extend_from_slice(b"validUntil");
        expected.extend_from_slice(&[NULL, STRING, 6]);
        expected.extend_from_slice(b"scores");
        expected.extend_from_slice(&[ARRAY, NUMBER]);
        expected.extend_from_slice(&0.5f64.to_le_bytes());
        expected.extend_from_slice(&[END, STRING, 4]);
        expected.extend_from_slice(b"flag");
        expected.extend_from_slice(&[TRUE, END]);
        assert_eq!(tape, expected);
    }
}
