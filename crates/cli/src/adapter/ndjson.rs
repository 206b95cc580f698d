//! NDJSON events: one rekindle event per line, `{"contact": "<email or id>", "at", "kind", "props"}`, read by
//! core's `EventReader`. The file is read ahead and cut into blocks of lines on threads of their own ([`lines`];
//! it is never loaded whole); blank lines are skipped; a line that is not UTF-8, not JSON or not a valid event is
//! a diagnostic with its line, and a line longer than [`EVENT_LINE_BYTES`] is a `line_too_long` reject, read
//! through and dropped as it streams, never held.
//!
//! Speed: a line is streamed from the JSON parser straight into core's `EventReader` (the fields in document
//! order, as `Event::parse` gives them), building no `Value` tree. Only a line that fails that way is parsed again
//! through a `Value` tree and `Event::parse`, whose diagnostic it gets: both paths read the same fields into the
//! same reader, so an accepted line gives the same event either way, and a rejected line the same diagnostic.

use std::borrow::Cow;
use std::fmt;
use std::path::Path;

use rekindle_core::event::{EventProblem, EventReader};
use rekindle_core::value::ValueRef;
use rekindle_core::{Event, Value};
use serde::de::{self, DeserializeSeed, Deserializer, MapAccess, Visitor};

use super::read_ahead::ReadAhead;
use super::{Block, EventSource, Parsed, RawRecord};

mod lines;
mod scan;
use crate::diagnostic::Diagnostic;
use crate::error::CliError;
pub use lines::LineLimit;
use lines::{Lines, SplitAhead};

/// The longest `--events` line read, in bytes without its line end: 16 MiB.
///
/// Core bounds an event by nothing a line's length could be derived from: it takes any number of props and
/// strings of any length (only a consent's `purpose` and a `custom:` kind's name stop at 64 bytes), and nothing
/// nests (props are flat scalars; `id` and `contact` are strings). So the cap comes from the largest event rekindle
/// itself reads from a file: a contact export's row, which core's contact import takes up to a 4 MiB record under
/// a header of up to 1 MiB (`import::contacts`' `MAX_RECORD` and `MAX_HEADER`), every column a prop of a `profile`
/// event. Written as JSON, text grows at most threefold by its escapes (an ASCII-only writer turns `é`, 2 bytes,
/// into the 6 bytes `\u00e9`, an emoji's 4 into a 12-byte surrogate pair), so values and names take at most
/// 3 × (4 + 1) = 15 MiB; the last MiB is headroom for the punctuation between them and for `contact`, `at`,
/// `kind` and `id`. A real event (a page view, an order, a consent) is under 4 KiB, thousands of times under the
/// cap; a longer line is a corrupt export, a log holding a blob, or a file made to exhaust memory.
pub const EVENT_LINE_BYTES: usize = 16 << 20;

/// How an `--events` line over [`EVENT_LINE_BYTES`] is rejected: `line_too_long`, naming its length and the limit.
fn event_line_limit() -> LineLimit {
    let message = |len: u64| {
        format!(
            "line too long: {len} bytes, over the {EVENT_LINE_BYTES}-byte limit of an events line (an event is a \
             few KB; this is no event rekindle reads); skipped unread"
        )
    };
    LineLimit { bytes: EVENT_LINE_BYTES, code: "line_too_long", field: None, message: Box::new(message) }
}

/// An NDJSON events file being read.
pub struct Ndjson {
    name: String,
    lines: SplitAhead,
    position: u64,
}

impl Ndjson {
    /// Opens an `--events` file: a line over [`EVENT_LINE_BYTES`] is rejected unread.
    pub fn open(path: &Path) -> Result<Ndjson, CliError> {
        Ndjson::open_limited(path, Some(event_line_limit()))
    }

    /// Opens the file; with a `limit`, a longer line is rejected as the limit says and never held in memory.
    pub fn open_limited(path: &Path, limit: Option<LineLimit>) -> Result<Ndjson, CliError> {
        let file = crate::output::open(path)?;
        let name = path.display().to_string();
        let mut lines = Lines::new(name.clone(), ReadAhead::new(file));
        if let Some(limit) = limit {
            lines = lines.limited(limit);
        }
        Ok(Ndjson { name, lines: SplitAhead::new(lines), position: 0 })
    }
}

impl EventSource for Ndjson {
    fn name(&self) -> &str {
        &self.name
    }

    fn next_block(&mut self, max: usize, records: &mut Block) -> Result<Vec<Diagnostic>, CliError> {
        let (problems, position) = self.lines.next(max, records)?;
        self.position = position;
        Ok(problems)
    }

    fn position(&self) -> u64 {
        self.position
    }

    fn parse(&self, raw: &RawRecord<'_>) -> Parsed {
        match self.event(raw) {
            Ok(event) => Parsed { events: vec![event], ..Parsed::default() },
            Err(d) => Parsed::reject(d),
        }
    }

    /// An event with an `id` is the same event wherever it comes again for the same contact reference, in this
    /// file or another `--events` file (two exports that overlap); an event without one has no key.
    fn idempotency_key(&self, event: &Event) -> Option<u64> {
        use std::hash::{Hash, Hasher};
        if event.id.is_empty() {
            return None;
        }
        let mut h = std::collections::hash_map::DefaultHasher::new();
        ("events", event.id.as_str(), event.contact.as_str()).hash(&mut h);
        Some(h.finish())
    }
}

impl Ndjson {
    /// Parses one line into an event that names its contact.
    fn event(&self, raw: &RawRecord<'_>) -> Result<Event, Diagnostic> {
        let event = match streamed(raw.text) {
            Some(event) => event,
            None => self.event_from_tree(raw)?,
        };
        if event.contact.trim().is_empty() {
            let msg = "missing `contact`: each line needs the contact's email or id";
            return Err(
                Diagnostic::reject(&self.name, raw.line, "missing_contact", msg).at(None, Some("contact".into()))
            );
        }
        Ok(event)
    }

    /// The line through a `Value` tree and `Event::parse`: the path that names what is wrong.
    fn event_from_tree(&self, raw: &RawRecord<'_>) -> Result<Event, Diagnostic> {
        let value: Value = serde_json::from_str(raw.text).map_err(|e| {
            Diagnostic::reject(&self.name, raw.line, "bad_json", format!("not valid JSON: {e}"))
                .at(Some(e.column() as u64), None)
        })?;
        Event::parse(&value, "event").map_err(|e| {
            let (field, reason) = match &e {
                rekindle_core::Error::InvalidInput { path, reason } => (path.clone(), reason.clone()),
                other => ("event".to_string(), other.to_string()),
            };
            let field = field.strip_prefix("event.").map(str::to_string);
            let msg = match &field {
                Some(f) => format!("{f}: {reason}"),
                None => reason,
            };
            Diagnostic::reject(&self.name, raw.line, "bad_event", msg).at(None, field)
        })
    }
}

/// The line streamed into an `EventReader`; `None` at the first problem (bad JSON or a bad event).
fn streamed(text: &str) -> Option<Event> {
    let mut reader = EventReader::new();
    if scan::scan(text, &mut reader).is_some() {
        return reader.finish().ok();
    }
    let mut de = serde_json::Deserializer::from_str(text);
    let mut reader = EventReader::new();
    Fields(&mut reader).deserialize(&mut de).ok()?;
    de.end().ok()?;
    reader.finish().ok()
}

/// A problem in the event stops the streamed line; the tree path then reports it.
fn stop<E: de::Error>(_: EventProblem) -> E {
    E::custom("event problem")
}

/// The top-level object: each field given to the reader in document order, `props` entry by entry. The reader
/// is borrowed, never moved, through the visitors (moving it per field cost more than reading the field).
struct Fields<'r>(&'r mut EventReader);

impl<'de> DeserializeSeed<'de> for Fields<'_> {
    type Value = ();

    fn deserialize<D: Deserializer<'de>>(self, d: D) -> Result<(), D::Error> {
        d.deserialize_map(self)
    }
}

impl<'de> Visitor<'de> for Fields<'_> {
    type Value = ();

    fn expecting(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("an event object")
    }

    fn visit_map<A: MapAccess<'de>>(self, mut map: A) -> Result<(), A::Error> {
        while let Some(Text(key)) = map.next_key::<Text<'de>>()? {
            map.next_value_seed(Field { key: &key, reader: &mut *self.0 })?;
        }
        Ok(())
    }
}

/// One top-level field's value: a scalar, or the `props` object. Any other container stops the line (core
/// refuses them all; the tree path says so).
struct Field<'k, 'r> {
    key: &'k str,
    reader: &'r mut EventReader,
}

impl Field<'_, '_> {
    fn give<E: de::Error>(self, v: ValueRef<'_>) -> Result<(), E> {
        self.reader.field(self.key, v).map_err(stop)
    }
}

impl<'de> DeserializeSeed<'de> for Field<'_, '_> {
    type Value = ();

    fn deserialize<D: Deserializer<'de>>(self, d: D) -> Result<(), D::Error> {
        d.deserialize_any(self)
    }
}

impl<'de> Visitor<'de> for Field<'_, '_> {
    type Value = ();

    fn expecting(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("an event field")
    }
    fn visit_bool<E: de::Error>(self, v: bool) -> Result<(), E> {
        self.give(ValueRef::Bool(v))
    }
    // Numbers as `Value`'s deserializer makes them: every integer through `as f64`.
    fn visit_i64<E: de::Error>(self, v: i64) -> Result<(), E> {
        self.give(ValueRef::Number(v as f64))
    }
    fn visit_u64<E: de::Error>(self, v: u64) -> Result<(), E> {
        self.give(ValueRef::Number(v as f64))
    }
    fn visit_f64<E: de::Error>(self, v: f64) -> Result<(), E> {
        self.give(ValueRef::Number(v))
    }
    fn visit_str<E: de::Error>(self, v: &str) -> Result<(), E> {
        self.give(ValueRef::Str(v))
    }
    fn visit_unit<E: de::Error>(self) -> Result<(), E> {
        self.give(ValueRef::Null)
    }
    fn visit_map<A: MapAccess<'de>>(self, mut map: A) -> Result<(), A::Error> {
        if self.key != "props" {
            return Err(de::Error::custom("a container"));
        }
        self.reader.field(self.key, ValueRef::Object).map_err(stop)?;
        while let Some(Text(key)) = map.next_key::<Text<'de>>()? {
            let v = map.next_value::<Prop<'de>>()?;
            self.reader.prop(&key, v.as_ref()).map_err(stop)?;
        }
        Ok(())
    }
}

/// A string, borrowed from the line when it has no escapes.
struct Text<'de>(Cow<'de, str>);

impl<'de> de::Deserialize<'de> for Text<'de> {
    fn deserialize<D: Deserializer<'de>>(d: D) -> Result<Text<'de>, D::Error> {
        d.deserialize_str(TextVisitor)
    }
}

struct TextVisitor;

impl<'de> Visitor<'de> for TextVisitor {
    type Value = Text<'de>;

    fn expecting(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("a string")
    }
    fn visit_borrowed_str<E: de::Error>(self, v: &'de str) -> Result<Text<'de>, E> {
        Ok(Text(Cow::Borrowed(v)))
    }
    fn visit_str<E: de::Error>(self, v: &str) -> Result<Text<'de>, E> {
        Ok(Text(Cow::Owned(v.to_string())))
    }
}

/// One property value: a scalar or `null`; a container stops the line.
enum Prop<'de> {
    Null,
    Bool(bool),
    Number(f64),
    Str(Cow<'de, str>),
}

impl Prop<'_> {
    fn as_ref(&self) -> ValueRef<'_> {
        match self {
            Prop::Null => ValueRef::Null,
            Prop::Bool(b) => ValueRef::Bool(*b),
            Prop::Number(n) => ValueRef::Number(*n),
            Prop::Str(s) => ValueRef::Str(s),
        }
    }
}

impl<'de> de::Deserialize<'de> for Prop<'de> {
    fn deserialize<D: Deserializer<'de>>(d: D) -> Result<Prop<'de>, D::Error> {
        d.deserialize_any(PropVisitor)
    }
}

struct PropVisitor;

impl<'de> Visitor<'de> for PropVisitor {
    type Value = Prop<'de>;

    fn expecting(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("a property value")
    }
    fn visit_bool<E: de::Error>(self, v: bool) -> Result<Prop<'de>, E> {
        Ok(Prop::Bool(v))
    }
    fn visit_i64<E: de::Error>(self, v: i64) -> Result<Prop<'de>, E> {
        Ok(Prop::Number(v as f64))
    }
    fn visit_u64<E: de::Error>(self, v: u64) -> Result<Prop<'de>, E> {
        Ok(Prop::Number(v as f64))
    }
    fn visit_f64<E: de::Error>(self, v: f64) -> Result<Prop<'de>, E> {
        Ok(Prop::Number(v))
    }
    fn visit_borrowed_str<E: de::Error>(self, v: &'de str) -> Result<Prop<'de>, E> {
        Ok(Prop::Str(Cow::Borrowed(v)))
    }
    fn visit_str<E: de::Error>(self, v: &str) -> Result<Prop<'de>, E> {
        Ok(Prop::Str(Cow::Owned(v.to_string())))
    }
    fn visit_unit<E: de::Error>(self) -> Result<Prop<'de>, E> {
        Ok(Prop::Null)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn lines_are_read_whole_across_buffer_ends_with_their_numbers() {
        // CRLF, a blank line, bytes that are not UTF-8, a line longer than the 1 MB read buffer, lines ending on
        // both sides of the buffer's edge, and a last line without a newline.
        let long = format!("{{\"pad\":\"{}\"}}", "x".repeat((1 << 20) + 10));
        let mut file: Vec<u8> = b"one\r\n\n  \ntwo\n".to_vec();
        file.extend_from_slice(b"bad \xff\xfe\n");
        file.extend_from_slice(long.as_bytes());
        file.push(b'\n');
        let mut expected = vec![(1, "one".to_string()), (4, "two".to_string()), (6, long.clone())];
        for i in 0..30_000u64 {
            let text = format!("line {i} {}", "y".repeat((i % 97) as usize));
            file.extend_from_slice(text.as_bytes());
            file.push(b'\n');
            expected.push((7 + i, text));
        }
        file.extend_from_slice(b"last");
        expected.push((30_007, "last".to_string()));
        let dir = tempfile::tempdir().expect("temp dir");
        let path = dir.path().join("events.ndjson");
        std::fs::write(&path, &file).expect("write");
        let mut source = Ndjson::open(&path).expect("open");
        let (mut got, mut problems, mut block) = (Vec::new(), Vec::new(), Block::default());
        loop {
            let bad = source.next_block(7, &mut block).expect("read");
            assert!(block.len() <= 7);
            problems.extend(bad);
            if block.is_empty() {
                break;
            }
            got.extend(block.records().iter().map(|r| (r.line, r.text.to_string())));
        }
        assert_eq!(got.len(), expected.len());
        assert!(got == expected, "records differ");
        assert_eq!(problems.len(), 1);
        let problem = serde_json::to_value(&problems[0]).expect("json");
        assert_eq!((problem["line"].as_u64(), problem["code"].as_str()), (Some(5), Some("not_utf8")));
        assert_eq!(source.position(), file.len() as u64);
    }

    /// A line's contact (its event's), or the code and message of its reject.
    type Outcome = Result<String, (&'static str, String)>;

    /// Every line of the file at `path` through `Ndjson::open`, as the plan reads it, with its outcome.
    fn outcomes(path: &Path) -> Vec<(u64, Outcome)> {
        let mut source = Ndjson::open(path).expect("open");
        let (mut got, mut block) = (Vec::new(), Block::default());
        loop {
            let problems = source.next_block(3, &mut block).expect("read");
            got.extend(problems.into_iter().map(|d| (d.line, Err((d.code, d.message)))));
            if block.is_empty() {
                break;
            }
            for raw in block.records() {
                let parsed = source.parse(&raw);
                let outcome = match (parsed.events.as_slice(), parsed.rejects.as_slice()) {
                    ([event], []) => Ok(event.contact.clone()),
                    ([], [d]) => Err((d.code, d.message.clone())),
                    _ => panic!("line {}: not one event or one reject", raw.line),
                };
                got.push((raw.line, outcome));
            }
        }
        got.sort_by_key(|(line, _)| *line);
        got
    }

    fn event_line(contact: &str, len: usize) -> Vec<u8> {
        let mut line = format!(r#"{{"contact":"{contact}","at":1767225600000,"kind":"page_view"}}"#).into_bytes();
        assert!(line.len() <= len);
        line.resize(len, b' '); // still one valid event: JSON allows the spaces after it
        line
    }

    #[test]
    fn events_lines_over_the_cap_are_line_too_long_rejects_and_the_lines_around_them_are_read() {
        let mut file = event_line("c-1", 60);
        file.push(b'\n');
        file.extend(event_line("c-at-cap", EVENT_LINE_BYTES)); // exactly the cap: an event
        file.extend_from_slice(b"\r\n");
        file.extend(event_line("c-over", EVENT_LINE_BYTES + 1)); // one byte over: refused though it holds one
        file.extend_from_slice(b"\r\n");
        file.extend(event_line("c-4", 60)); // the last line, without a line end
        let dir = tempfile::tempdir().expect("temp dir");
        let path = dir.path().join("events.ndjson");
        std::fs::write(&path, &file).expect("write");
        let got = outcomes(&path);
        let message = format!(
            "line too long: {} bytes, over the 16777216-byte limit of an events line (an event is a few KB; this is \
             no event rekindle reads); skipped unread",
            EVENT_LINE_BYTES + 1
        );
        let expected = [
            (1, Ok("c-1".to_string())),
            (2, Ok("c-at-cap".to_string())),
            (3, Err(("line_too_long", message))),
            (4, Ok("c-4".to_string())),
        ];
        assert_eq!(got, expected);
    }

    #[test]
    fn bom_crlf_blank_nul_and_bad_utf8_lines_are_read_or_rejected_naming_their_line() {
        let lines: [&[u8]; 9] = [
            b"\xef\xbb\xbf{\"contact\":\"c-bom\",\"at\":1,\"kind\":\"page_view\"}\r\n", // BOM, CRLF: read
            b"\n",                                                                      // empty: skipped
            b" \t \r\n",                                                                // blank: skipped
            b"{\"contact\":\"c-\x00\",\"at\":1,\"kind\":\"page_view\"}\n",              // NUL in a string
            b"{\"contact\":\"c-5\",\"at\":1,\"kind\":\"page_view\"}\x00\n",             // NUL after the event
            b"{\"contact\":\"c-\xff\",\"at\":1,\"kind\":\"page_view\"}\n",              // not UTF-8
            b"\xef\xbb\xbf{\"contact\":\"c-7\",\"at\":1,\"kind\":\"page_view\"}\n",     // a BOM after line 1
            b"{\"contact\":\"c-8\",\"at\":1,\"kind\":\"page_view\"}\r\r\n",             // a CR left: JSON space
            b"{\"contact\":\"c-last\",\"at\":1,\"kind\":\"page_view\"}",                // no line end: read
        ];
        let dir = tempfile::tempdir().expect("temp dir");
        let path = dir.path().join("events.ndjson");
        std::fs::write(&path, lines.concat()).expect("write");
        let got: Vec<(u64, Result<String, &str>)> =
            outcomes(&path).into_iter().map(|(line, o)| (line, o.map_err(|(code, _)| code))).collect();
        let expected = [
            (1, Ok("c-bom".to_string())),
            (4, Err("bad_json")),
            (5, Err("bad_json")),
            (6, Err("not_utf8")),
            (7, Err("bad_json")),
            (8, Ok("c-8".to_string())),
            (9, Ok("c-last".to_string())),
        ];
        assert_eq!(got, expected);
    }

    fn tree(text: &str) -> Option<Event> {
        let value: Value = serde_json::from_str(text).ok()?;
        Event::parse(&value, "event").ok()
    }

    #[test]
    fn streamed_lines_read_as_the_tree_path_does() {
        let accepted = [
            r#"{"contact":"c-1","at":"2026-01-14T22:24:00Z","kind":"consent","props":{"purpose":"email_marketing","granted":true}}"#,
            r#"{"contact":"A@B.test","at":1767225600000,"kind":"page_view","props":{"url":"https://acme.test/pricing?x=1#top"}}"#,
            r#"{"kind":"purchase","at":1.5e12,"id":"o-\u00e9\n1","contact":"c\"2","props":{"value":-0.0,"n":18446744073709551615,"i":-7,"x":null}}"#,
            r#" {"contact":"c-3","at":"2026-02-01T00:00:00Z","kind":"email_open","machine":true,"props":null} "#,
            r#"{"contact":"c-4","at":1,"at":2,"kind":"custom:trial_started","props":{"a":1},"props":{"b":"\ud83d\ude80"}}"#,
            r#"{"contact":"c-5","at":1,"kind":"page_view","machine":null,"props":{"path":"/x","path":"/y"}}"#,
            "\t{ \"contact\" : \"c-6\" ,\"at\":\"2026-03-01T00:00:00Z\",\"kind\":\"email_sent\",\"props\":{}}\r",
            r#"{"contact":"Zoë","at":1767225600000,"kind":"purchase","props":{"a":-0,"b":0,"c":-12,"d":123456789012345,"e":1234567890123456,"f":1.0,"g":2e3,"h":true,"i":false}}"#,
            r#"{"contact":"c-7","at":1,"kind":"page_view","props":{}}"#,
            r#"{"contact":"c-8","at":1,"kind":"page_view","props":{"q":"tab\there"}}"#,
        ];
        for line in accepted {
            let want = tree(line);
            assert!(want.is_some(), "{line}");
            // Debug shows what equality hides: the sign of a zero.
            assert_eq!(format!("{:?}", streamed(line)), format!("{want:?}"), "{line}");
        }
        let rejected = [
            r#"{"contact":"c-1","at":1,"kind":"page_view"} x"#,
            r#"{"contact":"c-1","at":1,"kind":"pageview"}"#,
            r#"{"contact":"c-1","at":1,"kind":"page_view","props":{"items":[1]}}"#,
            r#"{"contact":"c-1","at":{"ms":1},"kind":"page_view"}"#,
            r#"{"contact":"c-1","at":1,"kind":"page_view","props":[]}"#,
            r#"{"contact":"c-1","at":1,"kind":"consent","props":{"purpose":"p","granted":"yes"}}"#,
            r#"[{"contact":"c-1","at":1,"kind":"page_view"}]"#,
            r#"{"contact":"c-1","at":1,"kind":"page_view","extra":1}"#,
            r#"{"contact":"c-1","at":1,"kind":"page_view","#,
            r#"{"contact":"c-1","at":01,"kind":"page_view"}"#,
            r#"{"contact":"c-1","at":1,"kind":"page_view","props":{"a":tru}}"#,
            "{\"contact\":\"c-1\u{1}\",\"at\":1,\"kind\":\"page_view\"}",
            r#"{"contact":"c-1","at":1,"kind":"page_view"}{}"#,
        ];
        for line in rejected {
            assert_eq!(tree(line), None, "{line}");
            assert_eq!(streamed(line), None, "{line}");
        }
    }
}
