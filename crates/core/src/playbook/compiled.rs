//! The compiled playbook: a [`Playbook`] as bytes, read back without the JSON reader.
//!
//! Why: the JSON reader — every check, hint and message a marketer's mistake deserves — is a fifth of the
//! browser's wasm (about 60 KB raw, 20 KB gzip) and most of an isolate's first-request cost (compiling the
//! reader's code). A site compiles its playbook once, at build time, where the messages belong (`rekindle
//! compile`, or `compilePlaybook` in Node); the page and the Worker read the bytes with this decoder alone.
//!
//! ```text
//! compiled = "RKPB" ‖ format (1 byte) ‖ rekindle version (text) ‖ body ‖ FNV-1a 32 of everything before it (LE)
//! ```
//!
//! The body is the playbook's fields in declaration order, each type writing itself ([`Compiled`]): varints for
//! counts, indices and tags, zigzag varints for signed whole numbers, IEEE doubles, length-prefixed UTF-8. The
//! bytes are read by the same rekindle version that wrote them (the version text is compared): the layout follows
//! the types, so a playbook compiled by another release is refused with a message saying to compile it again,
//! never misread. The checksum turns a truncated or damaged file into a clear refusal; the decoder still checks
//! every tag, length and nesting depth, so hostile bytes get a typed error, never a panic.

use alloc::boxed::Box;
use alloc::format;
use alloc::string::String;
use alloc::vec::Vec;

use crate::error::{Error, Problem, ProblemCode};
use crate::time::{Span, Timestamp};
use crate::vecmap::VecMap;

use super::reader::POINTS_LIMIT;
use super::Playbook;

const MAGIC: &[u8; 4] = b"RKPB";
/// The envelope's format; the body's layout is pinned by the rekindle version instead.
const FORMAT: u8 = 1;
const RELEASE: &str = env!("CARGO_PKG_VERSION");
/// Deepest nesting of lists and boxes the decoder follows (the JSON reader allows 64 levels of conditions, each a
/// list or a box here, plus the few lists above the condition tree).
const MAX_DEPTH: u32 = 100;

/// Why compiled bytes were refused: where (byte offset) and what.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) struct Defect {
    at: usize,
    /// Static text: formatting values here would link float and integer formatting into every build (kilobytes).
    what: &'static str,
}

/// The writer of a compiled body.
#[derive(Default)]
pub(crate) struct Out {
    bytes: Vec<u8>,
}

impl Out {
    /// A whole number ≥ 0 as a LEB128 varint.
    pub(crate) fn varint(&mut self, mut v: u64) {
        while v >= 0x80 {
            self.bytes.push((v as u8) | 0x80);
            v >>= 7;
        }
        self.bytes.push(v as u8);
    }

    /// A variant tag or a small code.
    pub(crate) fn tag(&mut self, t: u8) {
        self.bytes.push(t);
    }

    fn raw(&mut self, b: &[u8]) {
        self.bytes.extend_from_slice(b);
    }
}

/// The reader of a compiled body. A read past a defect (a short input, a bad tag, a value out of range) records
/// the first defect, skips to the end and answers a placeholder (0, empty, the first variant), so every `get`
/// returns a value and the caller checks [`In::defect`] once at the end. Why not `Result` and `?`: every early
/// return had to drop the fields already read, and that drop code was most of the decoder — the largest function
/// of the browser and edge builds, and the one V8 compiles on an isolate's first request.
pub(crate) struct In<'a> {
    bytes: &'a [u8],
    at: usize,
    depth: u32,
    defect: Option<Defect>,
}

impl<'a> In<'a> {
    fn take(&mut self, n: usize) -> &'a [u8] {
        let end = self.at.checked_add(n).filter(|end| *end <= self.bytes.len());
        match end.and_then(|end| self.bytes.get(self.at..end)) {
            Some(slice) => {
                self.at += n;
                slice
            }
            None => {
                self.fail("truncated");
                &[]
            }
        }
    }

    /// A rule's points or cap: within ±[`POINTS_LIMIT`], as the JSON reader holds them, so that no sum of them
    /// overflows to an infinity that state bytes cannot carry (0 past a defect).
    pub(crate) fn points(&mut self) -> f64 {
        let at = self.at;
        let n = f64::get(self);
        if n.abs() <= POINTS_LIMIT {
            return n;
        }
        self.fail_at(at, "points outside -1000000 to 1000000");
        0.0
    }

    /// [`In::points`] behind an option tag.
    pub(crate) fn points_if_any(&mut self) -> Option<f64> {
        let at = self.at;
        let n = Option::<f64>::get(self)?;
        if n.abs() <= POINTS_LIMIT {
            return Some(n);
        }
        self.fail_at(at, "points outside -1000000 to 1000000");
        None
    }

    /// Records a defect at the current offset (only the first counts) and skips to the end, where every read
    /// answers a placeholder: with nothing left, lists are empty and tags 0, so decoding winds down at once.
    pub(crate) fn fail(&mut self, what: &'static str) {
        self.fail_at(self.at, what);
    }

    fn fail_at(&mut self, at: usize, what: &'static str) {
        if self.defect.is_none() {
            self.defect = Some(Defect { at, what });
        }
        self.at = self.bytes.len();
    }

    /// An unknown variant tag, read just before: `what` it was.
    pub(crate) fn bad_tag(&mut self, what: &'static str) {
        self.fail_at(self.at.saturating_sub(1), what);
    }

    /// The first defect met, if any: what [`Playbook::from_compiled`] refuses with.
    fn defect(&self) -> Option<&Defect> {
        self.defect.as_ref()
    }

    /// A variant tag or a small code (0 past a defect).
    pub(crate) fn tag(&mut self) -> u8 {
        self.take(1).first().copied().unwrap_or(0)
    }

    /// A LEB128 varint of at most 10 bytes (0 past a defect).
    pub(crate) fn varint(&mut self) -> u64 {
        let mut v: u64 = 0;
        for shift in (0..70).step_by(7) {
            let b = self.tag();
            if shift == 63 && b > 1 {
                self.fail("a varint that overflows 64 bits");
                return 0;
            }
            v |= u64::from(b & 0x7f) << shift;
            if b & 0x80 == 0 {
                return v;
            }
        }
        self.fail("a varint longer than 10 bytes");
        0
    }

    /// A count of items that each take at least one byte: never more than the bytes left, so a hostile length
    /// cannot reserve memory the input does not back.
    pub(crate) fn count(&mut self) -> usize {
        let n = self.varint();
        let left = self.bytes.len().saturating_sub(self.at) as u64;
        if n > left {
            self.fail("a list longer than the bytes left (more items than bytes)");
            return 0;
        }
        n as usize
    }

    /// One level deeper into lists and boxes; past [`MAX_DEPTH`] a defect (and, with nothing left to read, the
    /// levels below are empty).
    fn enter(&mut self) {
        self.depth += 1;
        if self.depth > MAX_DEPTH {
            self.fail("nested deeper than the decoder follows");
        }
    }

    fn leave(&mut self) {
        self.depth = self.depth.saturating_sub(1);
    }
}

/// A type that writes itself into a compiled playbook and reads itself back: `get(put(x)) == x`. `get` always
/// returns a value; a defect is recorded in the reader (see [`In`]), and a value read past one is a placeholder
/// that is never used.
pub(crate) trait Compiled: Sized {
    fn put(&self, out: &mut Out);
    fn get(r: &mut In<'_>) -> Self;
}

/// [`Compiled`] for a struct with named fields, written in the order listed (list every field: a field left
/// out does not compile).
macro_rules! compiled_struct {
    ($ty:ident { $($field:ident),* $(,)? }) => {
        impl $crate::playbook::compiled::Compiled for $ty {
            fn put(&self, out: &mut $crate::playbook::compiled::Out) {
                let $ty { $($field),* } = self;
                $( $crate::playbook::compiled::Compiled::put($field, out); )*
            }
            fn get(r: &mut $crate::playbook::compiled::In<'_>) -> Self {
                $ty { $( $field: $crate::playbook::compiled::Compiled::get(r), )* }
            }
        }
    };
}

/// [`Compiled`] for an enum: each variant with a fixed tag and its fields, unit (`0 => A`), tuple
/// (`1 => B(x, y)`, any names) or named (`2 => C { p, q }`). Tags are the format: never reuse one. An unknown tag
/// is a defect; the placeholder is the first variant, read from nothing, so that variant must not contain the
/// enum itself except through a list (a list read from nothing is empty, and the reading ends).
macro_rules! compiled_enum {
    ($ty:ident {
        $tag0:literal => $variant0:ident $(( $($t0:ident),+ ))? $({ $($f0:ident),+ })?
        $(, $tag:literal => $variant:ident $(( $($t:ident),+ ))? $({ $($f:ident),+ })?)* $(,)?
    }) => {
        impl $crate::playbook::compiled::Compiled for $ty {
            fn put(&self, out: &mut $crate::playbook::compiled::Out) {
                match self {
                    $ty::$variant0 $(( $($t0),+ ))? $({ $($f0),+ })? => {
                        out.tag($tag0);
                        $( $( $crate::playbook::compiled::Compiled::put($t0, out); )+ )?
                        $( $( $crate::playbook::compiled::Compiled::put($f0, out); )+ )?
                    }
                    $(
                        $ty::$variant $(( $($t),+ ))? $({ $($f),+ })? => {
                            out.tag($tag);
                            $( $( $crate::playbook::compiled::Compiled::put($t, out); )+ )?
                            $( $( $crate::playbook::compiled::Compiled::put($f, out); )+ )?
                        }
                    )*
                }
            }
            fn get(r: &mut $crate::playbook::compiled::In<'_>) -> Self {
                match r.tag() {
                    $(
                        $tag => $ty::$variant
                            $(( $( { let $t = $crate::playbook::compiled::Compiled::get(r); $t } ),+ ))?
                            $({ $( $f: $crate::playbook::compiled::Compiled::get(r) ),+ })?,
                    )*
                    other => {
                        if other != $tag0 {
                            r.bad_tag(concat!("an unknown ", stringify!($ty), " variant"));
                        }
                        $ty::$variant0
                            $(( $( { let $t0 = $crate::playbook::compiled::Compiled::get(r); $t0 } ),+ ))?
                            $({ $( $f0: $crate::playbook::compiled::Compiled::get(r) ),+ })?
                    }
                }
            }
        }
    };
}

pub(crate) use {compiled_enum, compiled_struct};

impl Compiled for bool {
    fn put(&self, out: &mut Out) {
        out.tag(u8::from(*self));
    }
    fn get(r: &mut In<'_>) -> Self {
        match r.tag() {
            0 => false,
            1 => true,
            _ => {
                r.bad_tag("a bool that is neither 0 nor 1");
                false
            }
        }
    }
}

impl Compiled for u8 {
    fn put(&self, out: &mut Out) {
        out.tag(*self);
    }
    fn get(r: &mut In<'_>) -> Self {
        r.tag()
    }
}

/// Unsigned whole numbers as varints, refused when they do not fit the type.
macro_rules! compiled_unsigned {
    ($($ty:ty),+) => {$(
        impl Compiled for $ty {
            fn put(&self, out: &mut Out) {
                out.varint(*self as u64);
            }
            fn get(r: &mut In<'_>) -> Self {
                let v = r.varint();
                <$ty>::try_from(v).unwrap_or_else(|_| {
                    r.fail(concat!("a number too large for ", stringify!($ty)));
                    0
                })
            }
        }
    )+};
}
compiled_unsigned!(u16, u32, u64, usize);

impl Compiled for i64 {
    fn put(&self, out: &mut Out) {
        out.varint(((*self << 1) ^ (*self >> 63)) as u64);
    }
    fn get(r: &mut In<'_>) -> Self {
        let v = r.varint();
        (v >> 1) as i64 ^ -((v & 1) as i64)
    }
}

impl Compiled for i32 {
    fn put(&self, out: &mut Out) {
        i64::from(*self).put(out);
    }
    fn get(r: &mut In<'_>) -> Self {
        let v = i64::get(r);
        i32::try_from(v).unwrap_or_else(|_| {
            r.fail("a number outside i32");
            0
        })
    }
}

impl Compiled for f64 {
    fn put(&self, out: &mut Out) {
        out.raw(&self.to_le_bytes());
    }
    /// Every number a playbook holds is finite (the JSON reader refuses NaN and infinities, `out_of_range`): a
    /// damaged or hand-made file with one would score contacts to NaN and write state bytes no reader accepts.
    fn get(r: &mut In<'_>) -> Self {
        let at = r.at;
        let n = r.take(8).first_chunk::<8>().map_or(0.0, |b| f64::from_le_bytes(*b));
        if n.is_finite() {
            return n;
        }
        r.fail_at(at, "a number that is not finite (NaN or an infinity)");
        0.0
    }
}

impl Compiled for String {
    fn put(&self, out: &mut Out) {
        out.varint(self.len() as u64);
        out.raw(self.as_bytes());
    }
    fn get(r: &mut In<'_>) -> Self {
        let n = r.count();
        let start = r.at;
        let bytes = r.take(n);
        match core::str::from_utf8(bytes) {
            Ok(text) => String::from(text),
            Err(_) => {
                r.fail_at(start, "text that is not UTF-8");
                String::new()
            }
        }
    }
}

impl<T: Compiled> Compiled for Vec<T> {
    fn put(&self, out: &mut Out) {
        out.varint(self.len() as u64);
        for item in self {
            item.put(out);
        }
    }
    fn get(r: &mut In<'_>) -> Self {
        let n = r.count();
        r.enter();
        let mut list = Vec::with_capacity(n);
        for _ in 0..n {
            list.push(T::get(r));
        }
        r.leave();
        list
    }
}

impl<T: Compiled> Compiled for Option<T> {
    fn put(&self, out: &mut Out) {
        match self {
            None => out.tag(0),
            Some(v) => {
                out.tag(1);
                v.put(out);
            }
        }
    }
    fn get(r: &mut In<'_>) -> Self {
        match r.tag() {
            0 => None,
            1 => Some(T::get(r)),
            _ => {
                r.bad_tag("an option tag that is neither 0 nor 1");
                None
            }
        }
    }
}

impl<T: Compiled> Compiled for Box<T> {
    fn put(&self, out: &mut Out) {
        (**self).put(out);
    }
    fn get(r: &mut In<'_>) -> Self {
        r.enter();
        let v = T::get(r);
        r.leave();
        Box::new(v)
    }
}

impl<A: Compiled, B: Compiled> Compiled for (A, B) {
    fn put(&self, out: &mut Out) {
        self.0.put(out);
        self.1.put(out);
    }
    fn get(r: &mut In<'_>) -> Self {
        (A::get(r), B::get(r))
    }
}

impl<A: Compiled, B: Compiled, C: Compiled> Compiled for (A, B, C) {
    fn put(&self, out: &mut Out) {
        self.0.put(out);
        self.1.put(out);
        self.2.put(out);
    }
    fn get(r: &mut In<'_>) -> Self {
        (A::get(r), B::get(r), C::get(r))
    }
}

impl<T: Compiled, const N: usize> Compiled for [T; N] {
    fn put(&self, out: &mut Out) {
        for item in self {
            item.put(out);
        }
    }
    fn get(r: &mut In<'_>) -> Self {
        core::array::from_fn(|_| T::get(r))
    }
}

impl<K: Compiled + Ord, V: Compiled> Compiled for VecMap<K, V> {
    fn put(&self, out: &mut Out) {
        out.varint(self.len() as u64);
        for (k, v) in self.iter() {
            k.put(out);
            v.put(out);
        }
    }
    fn get(r: &mut In<'_>) -> Self {
        let n = r.count();
        let mut map = VecMap::new();
        for _ in 0..n {
            let at = r.at;
            let (k, v) = (K::get(r), V::get(r));
            if map.insert(k, v).is_some() {
                r.fail_at(at, "a map key twice");
            }
        }
        map
    }
}

impl Compiled for Timestamp {
    fn put(&self, out: &mut Out) {
        self.ms().put(out);
    }
    fn get(r: &mut In<'_>) -> Self {
        let ms = i64::get(r);
        Timestamp::from_ms(ms).unwrap_or_else(|| {
            r.fail("an instant outside the JS Date range");
            Timestamp::EPOCH
        })
    }
}

impl Compiled for Span {
    fn put(&self, out: &mut Out) {
        self.ms().put(out);
    }
    fn get(r: &mut In<'_>) -> Self {
        let ms = i64::get(r);
        match Span::from_ms(ms).filter(|s| *s <= Span::LONGEST) {
            Some(span) => span,
            None => {
                r.fail("a duration outside 1 ms to 100 years");
                Span::LONGEST
            }
        }
    }
}

/// FNV-1a, 32 bits: catches truncation and damage in transit; not a signature (the site compiles its own file).
fn checksum(bytes: &[u8]) -> u32 {
    bytes.iter().fold(0x811c_9dc5u32, |h, b| (h ^ u32::from(*b)).wrapping_mul(0x0100_0193))
}

fn refused(at: Option<usize>, message: impl core::fmt::Display) -> Error {
    let message = match at {
        Some(at) => format!("compiled playbook, byte {at}: {message}"),
        None => format!("compiled playbook: {message}"),
    };
    Error::InvalidPlaybook { problems: alloc::vec![Problem::new("", ProblemCode::BadCompiled, message)] }
}

impl Playbook {
    /// The playbook compiled to bytes for [`Playbook::from_compiled`]: what `rekindle compile` writes and the
    /// browser and edge builds read.
    pub fn to_compiled(&self) -> Vec<u8> {
        let mut out = Out::default();
        out.raw(MAGIC);
        out.tag(FORMAT);
        String::from(RELEASE).put(&mut out);
        self.put(&mut out);
        let sum = checksum(&out.bytes);
        out.raw(&sum.to_le_bytes());
        out.bytes
    }

    /// A playbook from [`Playbook::to_compiled`]'s bytes, compiled by this rekindle version. Refusals are
    /// `E_PLAYBOOK_INVALID` with one `bad_compiled` problem naming the byte and the defect.
    ///
    /// ```
    /// # use rekindle_core::{Playbook, Value};
    /// let pb = Playbook::parse(&Value::Object(vec![
    ///     ("version".into(), Value::Number(1.0)), ("signals".into(), Value::Object(vec![]))])).unwrap();
    /// let bytes = pb.to_compiled();
    /// assert_eq!(Playbook::from_compiled(&bytes).unwrap(), pb);
    /// assert!(Playbook::from_compiled(&bytes[..bytes.len() - 1]).is_err());
    /// ```
    pub fn from_compiled(bytes: &[u8]) -> Result<Playbook, Error> {
        if bytes.get(..MAGIC.len()) != Some(&MAGIC[..]) {
            let hint = if bytes.first() == Some(&b'{') {
                "this is JSON: compile it first (`rekindle compile playbook.json`, or compilePlaybook in Node)"
            } else {
                "not a compiled rekindle playbook (it starts with \"RKPB\")"
            };
            return Err(refused(None, String::from(hint)));
        }
        let Some((body, sum)) = bytes.split_last_chunk::<4>() else {
            return Err(refused(None, String::from("truncated")));
        };
        let mut r = In { bytes: body, at: MAGIC.len(), depth: 0, defect: None };
        let format = r.tag();
        if let Some(d) = r.defect() {
            return Err(refused(Some(d.at), d.what));
        }
        if format != FORMAT {
            return Err(refused(Some(4), format!("envelope format {format}; this build reads format {FORMAT}")));
        }
        let release = String::get(&mut r);
        if let Some(d) = r.defect() {
            return Err(refused(Some(d.at), d.what));
        }
        if release != RELEASE {
            return Err(refused(
                None,
                format!(
                    "compiled by rekindle {release}; this is rekindle {RELEASE}: compile the playbook again with it"
                ),
            ));
        }
        if checksum(body) != u32::from_le_bytes(*sum) {
            return Err(refused(None, String::from("checksum mismatch: the file is truncated or damaged")));
        }
        let pb = Playbook::get(&mut r);
        if let Some(d) = r.defect() {
            return Err(refused(Some(d.at), d.what));
        }
        if r.at != body.len() {
            return Err(refused(Some(r.at), format!("{} unexpected trailing bytes", body.len() - r.at)));
        }
        // What one type cannot see alone: segments defined through each other would never finish evaluating.
        if crate::segment::find_cycle(&pb.segments).is_some() {
            return Err(refused(None, String::from("segments refer to each other in a loop")));
        }
        if !pb.sequences.iter().all(crate::nurture::Sequence::anchors_ordered) {
            return Err(refused(None, String::from("a sequence step is timed from itself or a later step")));
        }
        Ok(pb)
    }
}

#[cfg(test)]
mod tests;
