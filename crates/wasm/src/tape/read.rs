//! Reading a tape written by the facade's `encodeTape` (pkg/tape.js): playbooks into core's `Value` tree (the
//! playbook parser locates every problem in it), events straight into core's `Event`s through its
//! `EventReader` — no tree per event, and strings borrowed from the tape until an event keeps them.

use rekindle_core::event::{EventProblem, EventReader};
use rekindle_core::value::ValueRef;
use rekindle_core::Event;
#[cfg(feature = "playbook-json")]
use rekindle_core::Value;

use super::{ARRAY, END, FALSE, KEY, NULL, NUMBER, OBJECT, REF, STRING, TRUE};
use crate::error::Error;

/// Deeper than the encoder writes (64): only a hand-made tape gets here.
const MAX_DEPTH: usize = 70;

/// The field names of an event by the code the facade writes after `KEY` (`fieldCode` in pkg/tape.js): a key the
/// reader gets without reading or checking its text (with its value, the field names were a third of a small
/// event's tape).
const EVENT_FIELDS: [&str; 6] = ["at", "kind", "id", "contact", "machine", "props"];

/// A tape as core's `Value`; a malformed tape is an input error at `at`. For JSON playbooks only.
#[cfg(feature = "playbook-json")]
pub(crate) fn value(bytes: &[u8], at: &str) -> Result<Value, Error> {
    let mut r = Reader::new(bytes);
    let malformed = |reason: String| Error::Input { at: at.to_owned(), reason };
    let v = r.value(0).map_err(malformed)?;
    r.finished().map_err(malformed)?;
    Ok(v)
}

/// A tape holding an array of events as core's events, appended to `out` (empty: a held contact reuses its
/// buffer), located like `Event::parse_list(value, path)`: the same reader, the same messages, the same paths.
pub(crate) fn events(bytes: &[u8], path: &str, out: &mut Vec<Event>) -> Result<(), Error> {
    let mut r = Reader::new(bytes);
    let malformed = |reason: String| Error::Input { at: path.to_owned(), reason };
    let list = r.open().map_err(malformed)?;
    if list != ValueRef::Array {
        return Err(Event::not_a_list(path, list).into());
    }
    let first = out.len();
    while !r.end() {
        let event = r.event().map_err(|e| match e {
            Failure::Tape(reason) => malformed(reason),
            Failure::Event(problem) => problem.at(&format!("{path}[{}]", out.len() - first)).into(),
        })?;
        out.push(event);
    }
    r.finished().map_err(malformed)
}

/// Why reading an event stopped.
enum Failure {
    /// The tape itself is malformed.
    Tape(String),
    /// The event is not what core accepts.
    Event(EventProblem),
}

impl From<String> for Failure {
    fn from(reason: String) -> Self {
        Failure::Tape(reason)
    }
}

impl From<EventProblem> for Failure {
    fn from(problem: EventProblem) -> Self {
        Failure::Event(problem)
    }
}

struct Reader<'a> {
    bytes: &'a [u8],
    at: usize,
    /// Every string the tape has spelled out so far, in order: `REF n` names the n-th.
    table: Table<'a>,
}

/// The reader's string table: the first strings inline (an event spells out about eight), more in a `Vec`,
/// so reading one event allocates nothing for it.
struct Table<'a> {
    first: [&'a str; 16],
    len: usize,
    more: Vec<&'a str>,
}

impl<'a> Table<'a> {
    fn push(&mut self, s: &'a str) {
        match self.first.get_mut(self.len) {
            Some(slot) => *slot = s,
            None => self.more.push(s),
        }
        self.len += 1;
    }

    fn get(&self, i: usize) -> Option<&'a str> {
        let inline = self.first.len();
        if i >= self.len {
            return None;
        }
        match self.first.get(i) {
            Some(s) => Some(*s),
            None => self.more.get(i - inline).copied(),
        }
    }
}

impl<'a> Reader<'a> {
    fn new(bytes: &'a [u8]) -> Reader<'a> {
        Reader { bytes, at: 0, table: Table { first: [""; 16], len: 0, more: Vec::new() } }
    }

    fn byte(&mut self) -> Result<u8, String> {
        let b = self.bytes.get(self.at).copied().ok_or_else(|| format!("tape: truncated at byte {}", self.at))?;
        self.at += 1;
        Ok(b)
    }

    /// Consumes an `END` if one is next. At the end of the tape it is not, and the next read reports the
    /// truncation.
    fn end(&mut self) -> bool {
        let end = self.bytes.get(self.at) == Some(&END);
        self.at += usize::from(end);
        end
    }

    fn finished(&self) -> Result<(), String> {
        match self.bytes.len() - self.at.min(self.bytes.len()) {
            0 => Ok(()),
            n => Err(format!("tape: {n} trailing bytes")),
        }
    }

    fn varint(&mut self) -> Result<usize, String> {
        let mut v: usize = 0;
        for shift in (0..64).step_by(7) {
            let b = self.byte()?;
            v |= usize::from(b & 0x7f).checked_shl(shift).unwrap_or(0);
            if b & 0x80 == 0 {
                return Ok(v);
            }
        }
        Err(format!("tape: bad length at byte {}", self.at))
    }

    /// The string after a `STRING` tag; it joins the table.
    fn string(&mut self) -> Result<&'a str, String> {
        let n = self.varint()?;
        let end = self.at.checked_add(n).filter(|e| *e <= self.bytes.len()).ok_or("tape: string past the end")?;
        let s = std::str::from_utf8(self.bytes.get(self.at..end).unwrap_or_default())
            .map_err(|_| "tape: invalid UTF-8".to_owned())?;
        self.at = end;
        self.table.push(s);
        Ok(s)
    }

    /// The string after a `REF` tag.
    fn reference(&mut self) -> Result<&'a str, String> {
        let i = self.varint()?;
        self.table.get(i).ok_or_else(|| format!("tape: unknown string {i}"))
    }

    fn key(&mut self) -> Result<&'a str, String> {
        match self.byte()? {
            STRING => self.string(),
            REF => self.reference(),
            KEY => {
                let code = self.byte()?;
                EVENT_FIELDS.get(usize::from(code)).copied().ok_or_else(|| format!("tape: unknown field code {code}"))
            }
            other => Err(format!("tape: expected a key, got tag {other}")),
        }
    }

    /// The next value one level deep: a scalar read whole, or a container opened (its items follow, then `END`).
    fn open(&mut self) -> Result<ValueRef<'a>, String> {
        Ok(match self.byte()? {
            NULL => ValueRef::Null,
            FALSE => ValueRef::Bool(false),
            TRUE => ValueRef::Bool(true),
            NUMBER => {
                let raw = self.bytes.get(self.at..self.at + 8).ok_or("tape: number past the end")?;
                let mut buf = [0u8; 8];
                buf.copy_from_slice(raw);
                self.at += 8;
                ValueRef::Number(f64::from_le_bytes(buf))
            }
            STRING => ValueRef::Str(self.string()?),
            REF => ValueRef::Str(self.reference()?),
            ARRAY => ValueRef::Array,
            OBJECT => ValueRef::Object,
            other => return Err(format!("tape: unknown tag {other}")),
        })
    }

    /// The rest of a container just opened, read and dropped (its strings still join the table).
    fn skip(&mut self, opened: ValueRef<'a>, depth: usize) -> Result<(), String> {
        if depth > MAX_DEPTH {
            return Err("tape: nested too deep".to_owned());
        }
        match opened {
            ValueRef::Array => {
                while !self.end() {
                    let item = self.open()?;
                    self.skip(item, depth + 1)?;
                }
            }
            ValueRef::Object => {
                while !self.end() {
                    self.key()?;
                    let item = self.open()?;
                    self.skip(item, depth + 1)?;
                }
            }
            _ => {}
        }
        Ok(())
    }

    #[cfg(feature = "playbook-json")]
    fn value(&mut self, depth: usize) -> Result<Value, String> {
        if depth > MAX_DEPTH {
            return Err("tape: nested too deep".to_owned());
        }
        Ok(match self.open()? {
            ValueRef::Null => Value::Null,
            ValueRef::Bool(b) => Value::Bool(b),
            ValueRef::Number(n) => Value::Number(n),
            ValueRef::Str(s) => Value::String(s.to_owned()),
            ValueRef::Array => {
                let mut items = Vec::new();
                while !self.end() {
                    items.push(self.value(depth + 1)?);
                }
                Value::Array(items)
            }
            ValueRef::Object => {
                let mut entries = Vec::new();
                while !self.end() {
                    let key = self.key()?.to_owned();
                    entries.push((key, self.value(depth + 1)?));
                }
                Value::Object(entries)
            }
        })
    }

    /// One event, each field handed to core's reader as it comes.
    fn event(&mut self) -> Result<Event, Failure> {
        let first = self.open()?;
        if first != ValueRef::Object {
            return Err(EventProblem::not_an_object(first).into());
        }
        let mut reader = EventReader::new();
        while !self.end() {
            let key = self.key()?;
            let v = self.open()?;
            reader.field(key, v)?;
            if v == ValueRef::Object && key == "props" {
                while !self.end() {
                    let name = self.key()?;
                    let p = self.open()?;
                    reader.prop(name, p)?;
                    self.skip(p, 2)?; // core refuses containers in props; kept in step if it ever did not
                }
            } else {
                self.skip(v, 1)?; // likewise: core refuses every other container
            }
        }
        Ok(reader.finish()?)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn tape_of(v: &Value, out: &mut Vec<u8>) {
        match v {
            Value::Null => out.push(NULL),
            Value::Bool(b) => out.push(if *b { TRUE } else { FALSE }),
            Value::Number(n) => {
                out.push(NUMBER);
                out.extend_from_slice(&n.to_le_bytes());
            }
            Value::String(s) => {
                out.extend_from_slice(&[STRING, s.len() as u8]);
                out.extend_from_slice(s.as_bytes());
            }
            Value::Array(items) => {
                out.push(ARRAY);
                items.iter().for_each(|i| tape_of(i, out));
                out.push(END);
            }
            Value::Object(entries) => {
                out.push(OBJECT);
                for (k, v) in entries {
                    tape_of(&Value::String(k.clone()), out);
                    tape_of(v, out);
                }
                out.push(END);
            }
        }
    }

    fn tape(v: &Value) -> Vec<u8> {
        let mut out = Vec::new();
        tape_of(v, &mut out);
        out
    }

    fn obj(entries: &[(&str, Value)]) -> Value {
        Value::Object(entries.iter().map(|(k, v)| ((*k).to_owned(), v.clone())).collect())
    }

    fn s(text: &str) -> Value {
        Value::String(text.to_owned())
    }

    #[test]
    fn a_tape_reads_back_into_the_same_value() {
        let mut tape = vec![OBJECT, STRING, 2, b'a', b't', NUMBER];
        tape.extend_from_slice(&1.5f64.to_le_bytes());
        tape.extend_from_slice(&[
            STRING, 4, b'k', b'i', b'n', b'd', REF, 0, STRING, 1, b'x', ARRAY, NULL, TRUE, END, END,
        ]);
        let v = value(&tape, "t").unwrap_or(Value::Null);
        assert_eq!(v.get("at"), Some(&Value::Number(1.5)));
        assert_eq!(v.get("kind"), Some(&s("at")));
        assert_eq!(v.get("x"), Some(&Value::Array(vec![Value::Null, Value::Bool(true)])));
        assert!(value(&tape[..tape.len() - 1], "t").is_err(), "truncated");
        assert!(value(&[9], "t").is_err(), "unknown tag");
        let mut trailing = tape.clone();
        trailing.push(NULL);
        assert!(value(&trailing, "t").is_err(), "trailing bytes");
    }

    /// The tape reader and `Event::parse_list` on the same input give the same events or the same error.
    fn same_as_core(list: &Value) {
        let mut read = Vec::new();
        let from_tape = events(&tape(list), "events", &mut read).map(|()| read).map_err(|e| match e {
            Error::Core(core) => (core.path(), core.to_string()),
            Error::Input { at, reason } => (Some(at), reason),
        });
        let from_value = Event::parse_list(list, "events").map_err(|e| (e.path(), e.to_string()));
        assert_eq!(from_tape, from_value, "{list:?}");
    }

    #[test]
    fn events_read_from_a_tape_equal_core_parsing_the_same_value() {
        let page = obj(&[
            ("id", s("e1")),
            ("at", Value::Number(1_000.0)),
            ("kind", s("page_view")),
            ("props", obj(&[("url", s("https://acme.test/pricing?x=1")), ("n", Value::Number(2.0))])),
        ]);
        let open = obj(&[
            ("at", s("2026-11-01T09:30:00Z")),
            ("kind", s("email_open")),
            ("machine", Value::Bool(true)),
            ("contact", Value::Number(42.0)),
            ("props", Value::Null),
        ]);
        let twice = obj(&[
            ("at", Value::Number(1.0)),
            ("kind", s("profile")),
            ("props", obj(&[("role", s("CEO"))])),
            ("props", obj(&[("company_size", Value::Number(50.0)), ("role", Value::Null)])),
            ("at", Value::Number(2.0)),
        ]);
        same_as_core(&Value::Array(vec![page.clone(), open.clone(), twice.clone()]));
        same_as_core(&Value::Array(vec![]));
    }

    #[test]
    fn every_event_error_is_located_like_core_parsing_the_same_value() {
        let at = ("at", Value::Number(1.0));
        let bad = [
            obj(&[("at", s("yesterday")), ("kind", s("page_view"))]),
            obj(&[at.clone(), ("kind", s("pageview"))]),
            obj(std::slice::from_ref(&at)),
            obj(&[("kind", s("page_view"))]),
            obj(&[at.clone(), ("kind", s("page_view")), ("props", obj(&[("items", Value::Array(vec![]))]))]),
            obj(&[at.clone(), ("kind", s("page_view")), ("props", obj(&[("", obj(&[]))]))]),
            obj(&[at.clone(), ("kind", s("page_view")), ("props", Value::Array(vec![Value::Null]))]),
            obj(&[at.clone(), ("kind", s("page_view")), ("extra", obj(&[("a", s("b"))]))]),
            obj(&[at.clone(), ("kind", Value::Array(vec![s("page_view")]))]),
            obj(&[at.clone(), ("kind", s("page_view")), ("machine", s("yes"))]),
            obj(&[at.clone(), ("kind", s("page_view")), ("id", Value::Number(1.5))]),
            obj(&[at.clone(), ("kind", s("sales_status")), ("props", obj(&[("status", s("closed"))]))]),
            obj(&[at.clone(), ("kind", s("consent")), ("props", obj(&[("purpose", s("email_marketing"))]))]),
            s("page_view"),
            Value::Array(vec![]),
        ];
        let good = obj(&[at.clone(), ("kind", s("page_view"))]);
        for event in bad {
            same_as_core(&Value::Array(vec![good.clone(), event]));
        }
        same_as_core(&obj(&[("events", Value::Array(vec![]))]));
        same_as_core(&Value::Null);
    }

    /// `tape` with the keys that name an event field written as the facade's field codes (`KEY`, code).
    fn coded(v: &Value, out: &mut Vec<u8>, depth: usize) {
        match v {
            Value::Array(items) => {
                out.push(ARRAY);
                items.iter().for_each(|i| coded(i, out, depth + 1));
                out.push(END);
            }
            Value::Object(entries) => {
                out.push(OBJECT);
                for (k, v) in entries {
                    match EVENT_FIELDS.iter().position(|f| f == k) {
                        Some(code) if depth == 1 => out.extend_from_slice(&[KEY, code as u8]),
                        _ => tape_of(&Value::String(k.clone()), out),
                    }
                    coded(v, out, depth + 1);
                }
                out.push(END);
            }
            scalar => tape_of(scalar, out),
        }
    }

    #[test]
    fn field_codes_read_as_the_field_names_they_stand_for() {
        let list = Value::Array(vec![
            obj(&[
                ("id", s("e1")),
                ("at", Value::Number(1_000.0)),
                ("kind", s("page_view")),
                ("contact", s("c1")),
                ("machine", Value::Bool(false)),
                ("props", obj(&[("id", s("x")), ("url", s("https://acme.test/a"))])),
            ]),
            obj(&[("at", Value::Number(2.0)), ("kind", s("email_open")), ("extra", Value::Null)]),
        ]);
        let mut with_codes = Vec::new();
        coded(&list, &mut with_codes, 0);
        assert!(with_codes.windows(2).any(|w| w == [KEY, 5]), "props went as a code");
        let (mut a, mut b) = (Vec::new(), Vec::new());
        let from_codes = events(&with_codes, "events", &mut a).map(|()| a).map_err(|e| format!("{e:?}"));
        let spelled = events(&tape(&list), "events", &mut b).map(|()| b).map_err(|e| format!("{e:?}"));
        assert_eq!(from_codes, spelled);
        let unknown = [ARRAY, OBJECT, KEY, EVENT_FIELDS.len() as u8, NULL, END, END];
        match events(&unknown, "events", &mut Vec::new()) {
            Err(Error::Input { at, reason }) => assert!(at == "events" && reason.starts_with("tape: "), "{reason}"),
            other => panic!("{other:?}"),
        }
    }

    /// Every tape one byte away from a valid one (each byte set to each tag and to edge values, a byte inserted
    /// before each, each prefix) reads as events or as an error: the exported functions take any bytes a caller
    /// hands them, not only what the facade writes.
    #[test]
    fn every_tape_one_byte_from_a_valid_one_reads_or_is_refused_without_a_panic() {
        let list = Value::Array(vec![
            obj(&[
                ("id", s("e1")),
                ("at", Value::Number(1_000.0)),
                ("kind", s("page_view")),
                ("props", obj(&[("url", s("https://acme.test/a?utm_source=x")), ("n", Value::Number(2.0))])),
            ]),
            obj(&[("at", s("2026-11-01T09:30:00Z")), ("kind", s("email_open")), ("machine", Value::Bool(true))]),
            obj(&[("at", Value::Number(2.0)), ("kind", s("profile")), ("props", obj(&[("role", Value::Null)]))]),
        ]);
        let mut valid = Vec::new();
        coded(&list, &mut valid, 0);
        assert!(events(&valid, "events", &mut Vec::new()).is_ok(), "the valid tape reads");
        let values: Vec<u8> = (0..=KEY + 1).chain([0x7f, 0x80, 0xfe, 0xff]).collect();
        // A panic fails the test; what a damaged tape reads as is not asserted beyond that, except for prefixes.
        let read = |tape: &[u8]| {
            let read = events(tape, "events", &mut Vec::new()).is_ok();
            #[cfg(feature = "playbook-json")]
            let _ = value(tape, "playbook");
            read
        };
        for at in 0..valid.len() {
            assert!(!read(&valid[..at]), "a tape cut at byte {at} is refused, not read short");
            for &b in &values {
                let mut set = valid.clone();
                set[at] = b;
                read(&set);
                let mut inserted = valid.clone();
                inserted.insert(at, b);
                read(&inserted);
            }
        }
    }

    #[test]
    fn a_malformed_events_tape_is_an_input_error_at_the_list() {
        for bad in [&[ARRAY][..], &[ARRAY, OBJECT, REF, 3, NULL, END, END], &[ARRAY, END, NULL], &[9]] {
            match events(bad, "events", &mut Vec::new()) {
                Err(Error::Input { at, reason }) => assert!(at == "events" && reason.starts_with("tape: "), "{reason}"),
                other => panic!("{bad:?}: {other:?}"),
            }
        }
    }
}
