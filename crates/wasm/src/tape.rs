//! Results cross into JS as a *tape*: a compact byte encoding written by a tiny serde `Serializer` here and
//! read by `js/tape.js` into plain objects, in one call.
//!
//! Why not serde-wasm-bindgen: it builds the object with one JS call per field and value (a decision is
//! hundreds), and its generic glue was 14 KB gzip of the module. The tape is bytes in linear memory, decoded by
//! a page of JS. Numbers are IEEE doubles (every instant is within JS's safe-integer range), so decisions stay
//! byte-identical to what every other runtime prints.
//!
//! Results repeat themselves from call to call (field names, enum values, segment ids, rule paths): a batch of
//! decisions is the same few hundred strings and a few dozen object shapes. So the writer and the reader keep
//! two tables *across* tapes: short strings (sent once per process, then by index) and struct shapes (a
//! struct's field names in order, sent once; then the struct is its values and a shape index, and the reader
//! builds it in one step). Before these, reading a decision in JS cost about as much as deciding and writing it in
//! wasm (issue 4's bench: wasm decide 5.5-7.8x native; 2.9-4.3x with them, same machine).
//!
//! The same encoding carries playbooks and events the other way (`encodeTape` in `pkg/tape.js`, called by the
//! facade; `read` here): one copy into linear memory instead of a JS call per property. Events are read
//! straight into core's `Event`s, without a `Value` tree (`read::events`). Inputs use tags 0-8 and 13.
//!
//! Encoding: `0` null · `1` false · `2` true · `3` f64 LE · `4` string (varint length, UTF-8; joins this tape's
//! string table) · `5` array … `8` · `6` object (key, value)… `8` · `7` varint index into this tape's string
//! table · `9` string like `4` that joins the kept table · `10` varint index into the kept table · `11` struct:
//! values… `8` then a varint shape (`0`: spelled here once, n and n keys; `k + 1`: kept shape k, spelled here
//! when k is the next new one) · `12` (first byte only) kept strings and kept shapes the writer expects, each a
//! varint, then the value: the reader drops what it holds beyond them (the writer started over) · `13` (inputs
//! only, written by JS for events) a one-byte code of an event field name, as a key (`read::EVENT_FIELDS`).

use std::cell::RefCell;

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
/// An index into the tape's own string table: written by the facade's encoder (inputs), read by `read`.
const REF: u8 = 7;
const END: u8 = 8;
const KEEP: u8 = 9;
const KEPT: u8 = 10;
const STRUCT: u8 = 11;
const SYNC: u8 = 12;
/// An event field's one-byte code as a key: written only by the facade's event encoder (`pkg/tape.js`), read by
/// `read`; results never carry it.
const KEY: u8 = 13;

/// Strings up to this length are kept (keys, tags, enum values, ids, rule paths); longer ones are sent each time.
const KEEP_MAX: usize = 48;
/// At most this many kept strings; a tape that starts with more than half of them starts the table over, so
/// strings that never repeat (an import's emails) cannot crowd out the ones that do for long.
const STRINGS_MAX: usize = 4096;
/// Open-addressing slots over the kept strings (twice their cap, so probes stay short).
const SLOTS: usize = 2 * STRINGS_MAX;
/// At most this many kept shapes (a decision has a few dozen), started over like the strings.
const SHAPES_MAX: usize = 1024;
const SHAPE_SLOTS: usize = 2 * SHAPES_MAX;
/// Direct-mapped field-name cache size (a decision has about 120 distinct field names).
const KEY_SLOTS: usize = 256;

/// What the writer and `js/tape.js` both hold between tapes (the reader mirrors it from the tapes alone).
struct Kept {
    /// Kept strings' bytes, end to end, and each one's (offset, length) in them, in the order the reader got them.
    bytes: Vec<u8>,
    strings: Vec<(u32, u32)>,
    /// `strings` index + 1 by hash; 0 is empty.
    slots: [u32; SLOTS],
    /// Field names and variant names by address: (address, length, `strings` index + 1), direct-mapped. They
    /// are `'static`, so the same address and length is the same text, found without hashing or comparing it.
    /// (All-zero empty entries keep `Kept` out of the module's data section.)
    keys: [(usize, usize, u32); KEY_SLOTS],
    /// Kept shapes: (start, length) of their field names in `names` (compared by address and length).
    shapes: Vec<(u32, u32)>,
    names: Vec<&'static str>,
    /// `shapes` index + 1 by hash; 0 is empty.
    shape_slots: [u32; SHAPE_SLOTS],
}

impl Kept {
    const fn new() -> Self {
        Kept {
            bytes: Vec::new(),
            strings: Vec::new(),
            slots: [0; SLOTS],
            keys: [(0, 0, 0); KEY_SLOTS],
            shapes: Vec::new(),
            names: Vec::new(),
            shape_slots: [0; SHAPE_SLOTS],
        }
    }

    /// Forgets kept strings from `strings` on and kept shapes from `shapes` on.
    #[inline(never)]
    fn truncate(&mut self, strings: usize, shapes: usize) {
        let bytes = self.strings.get(strings).map_or(self.bytes.len(), |&(at, _)| at as usize);
        self.bytes.truncate(bytes);
        self.strings.truncate(strings);
        let limit = u32::try_from(strings).unwrap_or(u32::MAX);
        self.slots.iter_mut().filter(|e| **e > limit).for_each(|e| *e = 0);
        self.keys.iter_mut().filter(|k| k.2 > limit).for_each(|k| *k = (0, 0, 0));
        let names = self.shapes.get(shapes).map_or(self.names.len(), |&(at, _)| at as usize);
        self.names.truncate(names);
        self.shapes.truncate(shapes);
        let limit = u32::try_from(shapes).unwrap_or(u32::MAX);
        self.shape_slots.iter_mut().filter(|e| **e > limit).for_each(|e| *e = 0);
    }
}

thread_local! {
    static KEPT_TABLES: RefCell<Kept> = const { RefCell::new(Kept::new()) };
}

/// Encodes `value` as a tape, adding to the kept tables what the reader will keep from it.
pub(crate) fn encode<T: Serialize + ?Sized>(value: &T) -> Result<Vec<u8>, TapeError> {
    with_tape(&mut |tape| value.serialize(tape))
}

/// The part of [`encode`] that is the same for every result type, written once instead of once per type.
#[inline(never)]
fn with_tape(write: &mut dyn FnMut(&mut Tape<'_>) -> R) -> Result<Vec<u8>, TapeError> {
    KEPT_TABLES.with(|kept| {
        let mut kept = kept.try_borrow_mut().map_err(|_| TapeError("the tape writer is busy".to_owned()))?;
        if kept.strings.len() > STRINGS_MAX / 2 || kept.shapes.len() > SHAPES_MAX / 2 {
            kept.truncate(0, 0);
        }
        let base = (kept.strings.len(), kept.shapes.len());
        let mut tape = Tape { out: Vec::with_capacity(1024), kept: &mut kept, fields: Vec::new(), frames: Vec::new() };
        tape.out.push(SYNC);
        tape.varint(base.0);
        tape.varint(base.1);
        let done = write(&mut tape);
        // A tape never sent adds nothing: its reader never sees it.
        if done.is_err() {
            tape.kept.truncate(base.0, base.1);
        }
        done.map(|()| tape.out)
    })
}

/// Starts the kept tables over: a reader that fails drops its own (`js/tape.js`), and the next tape says so.
pub(crate) fn forget() {
    KEPT_TABLES.with(|kept| {
        if let Ok(mut kept) = kept.try_borrow_mut() {
            kept.truncate(0, 0);
        }
    });
}

struct Tape<'k> {
    out: Vec<u8>,
    kept: &'k mut Kept,
    /// The field names of the structs being written: each struct's from its frame on.
    fields: Vec<&'static str>,
    frames: Vec<usize>,
}

fn fnv(bytes: impl Iterator<Item = u8>) -> usize {
    bytes.fold(0x811c_9dc5_u32, |h, b| (h ^ u32::from(b)).wrapping_mul(0x0100_0193)) as usize
}

impl Tape<'_> {
    fn varint(&mut self, mut v: usize) {
        while v >= 0x80 {
            self.out.push((v as u8) | 0x80);
            v >>= 7;
        }
        self.out.push(v as u8);
    }

    /// The slot holding `s`, or the empty slot where it belongs; `None` when the probe window is full.
    fn slot(&self, s: &str) -> Option<usize> {
        let start = fnv(s.bytes());
        (0..16).map(|i| (start + i) % SLOTS).find(|&slot| {
            let entry = self.kept.slots.get(slot).copied().unwrap_or(0);
            entry == 0 || self.text(entry as usize - 1) == s.as_bytes()
        })
    }

    /// The bytes of a kept string.
    fn text(&self, index: usize) -> &[u8] {
        let (at, len) = self.kept.strings.get(index).copied().unwrap_or_default();
        self.kept.bytes.get(at as usize..(at + len) as usize).unwrap_or_default()
    }

    /// Writes `s`: as a kept string's index, as a new kept string, or spelled out (long, or the table full).
    /// Returns its kept index, if it has one.
    fn string(&mut self, s: &str) -> Option<u32> {
        if s.len() <= KEEP_MAX && self.kept.strings.len() < STRINGS_MAX {
            let slot = self.slot(s);
            let entry = slot.and_then(|i| self.kept.slots.get(i)).copied().unwrap_or(0);
            if entry != 0 {
                self.out.push(KEPT);
                self.varint(entry as usize - 1);
                return Some(entry - 1);
            }
            if let Some(free) = slot.and_then(|i| self.kept.slots.get_mut(i)) {
                let index = self.kept.strings.len();
                *free = u32::try_from(index + 1).unwrap_or(0);
                let at = u32::try_from(self.kept.bytes.len()).unwrap_or(u32::MAX);
                self.kept.strings.push((at, s.len() as u32));
                self.kept.bytes.extend_from_slice(s.as_bytes());
                self.out.push(KEEP);
                self.varint(s.len());
                self.out.extend_from_slice(s.as_bytes());
                return u32::try_from(index).ok();
            }
        }
        self.out.push(STRING);
        self.varint(s.len());
        self.out.extend_from_slice(s.as_bytes());
        None
    }

    /// A field or variant name: by address when it was kept before, else like any string.
    fn key(&mut self, key: &'static str) {
        let address = key.as_ptr() as usize;
        let slot = (address ^ (address >> 8) ^ key.len()) % KEY_SLOTS;
        match self.kept.keys.get(slot) {
            // The length too: two names may start at one address when one is the other's prefix.
            Some(&(at, len, entry)) if at == address && len == key.len() && entry != 0 => {
                self.out.push(KEPT);
                self.varint(entry as usize - 1);
            }
            _ => {
                if let (Some(index), Some(cell)) = (self.string(key), self.kept.keys.get_mut(slot)) {
                    *cell = (address, key.len(), index + 1);
                }
            }
        }
    }

    fn number(&mut self, v: f64) {
        self.out.push(NUMBER);
        self.out.extend_from_slice(&v.to_le_bytes());
    }

    /// Starts a struct: its values follow, its field names are collected for its shape.
    #[inline(never)]
    fn open_struct(&mut self) {
        self.out.push(STRUCT);
        self.frames.push(self.fields.len());
    }

    /// Records a field's name for its struct's shape. Not inlined: there is a call per field of every struct
    /// type, and an inlined `Vec::push` at each took 8 KB of the edge module.
    #[inline(never)]
    fn name(&mut self, key: &'static str) {
        self.fields.push(key);
    }

    #[inline(never)]
    /// Ends a struct with its shape: a kept one's index, or its field names (kept as a new shape if there is room).
    fn close_struct(&mut self) {
        self.out.push(END);
        let from = self.frames.pop().unwrap_or(0);
        let fields = std::mem::take(&mut self.fields);
        let names = fields.get(from..).unwrap_or_default();
        let start = fnv(names.iter().flat_map(|name| (name.as_ptr() as usize ^ (name.len() << 24)).to_le_bytes()));
        let kept = &*self.kept;
        let found = (0..16).map(|i| (start + i) % SHAPE_SLOTS).find(|&slot| {
            let entry = kept.shape_slots.get(slot).copied().unwrap_or(0) as usize;
            entry == 0
                || kept.shapes.get(entry - 1).is_some_and(|&(at, len)| {
                    kept.names.get(at as usize..(at + len) as usize).is_some_and(|kept| {
                        kept.len() == names.len() && kept.iter().zip(names).all(|(a, b)| std::ptr::eq(*a, *b))
                    })
                })
        });
        let entry = found.and_then(|i| kept.shape_slots.get(i)).copied().unwrap_or(0) as usize;
        if entry != 0 {
            self.varint(entry);
        } else {
            let room = found.filter(|_| kept.shapes.len() < SHAPES_MAX);
            match room.and_then(|i| self.kept.shape_slots.get_mut(i)) {
                Some(free) => {
                    let index = self.kept.shapes.len();
                    *free = u32::try_from(index + 1).unwrap_or(0);
                    let at = u32::try_from(self.kept.names.len()).unwrap_or(u32::MAX);
                    self.kept.shapes.push((at, names.len() as u32));
                    self.kept.names.extend_from_slice(names);
                    self.varint(index + 1);
                }
                None => self.out.push(0),
            }
            self.varint(names.len());
            for name in names {
                self.key(name);
            }
        }
        self.fields = fields;
        self.fields.truncate(from);
    }
}

type R = Result<(), TapeError>;

impl ser::Serializer for &mut Tape<'_> {
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
        self.open_struct();
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
        self.open_struct();
        Ok(self)
    }
}

impl ser::SerializeSeq for &mut Tape<'_> {
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

impl ser::SerializeTuple for &mut Tape<'_> {
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

impl ser::SerializeTupleStruct for &mut Tape<'_> {
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

impl ser::SerializeTupleVariant for &mut Tape<'_> {
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

impl ser::SerializeMap for &mut Tape<'_> {
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

impl ser::SerializeStruct for &mut Tape<'_> {
    type Ok = ();
    type Error = TapeError;
    fn serialize_field<T: Serialize + ?Sized>(&mut self, key: &'static str, value: &T) -> R {
        self.name(key);
        value.serialize(&mut **self)
    }
    fn end(self) -> R {
        self.close_struct();
        Ok(())
    }
}

impl ser::SerializeStructVariant for &mut Tape<'_> {
    type Ok = ();
    type Error = TapeError;
    fn serialize_field<T: Serialize + ?Sized>(&mut self, key: &'static str, value: &T) -> R {
        self.name(key);
        value.serialize(&mut **self)
    }
    fn end(self) -> R {
        self.close_struct();
        self.out.push(END);
        Ok(())
    }
}

#[cfg(test)]
mod tests;
