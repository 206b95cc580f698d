//! A small, strict JSON parser (RFC 8259) producing [`Value`], for webhook bodies: core may not depend on
//! `serde_json`, and vendor bodies arrive as bytes.
//!
//! Strict: no trailing commas, no comments, no control characters in strings, no lone surrogates, no
//! `NaN`/`Infinity`, nothing after the value but whitespace. Lenient in one place: a leading UTF-8 byte-order
//! mark is skipped. Numbers become `f64` (as in JS; a number too large for `f64` is an error, not infinity).
//! Duplicate keys are kept in document order, as [`Value::Object`] does. Nesting is limited to
//! [`MAX_DEPTH`] levels, so hostile input cannot overflow the stack. Every error names its byte offset, line
//! and column.
//!
//! ```
//! # use rekindle_core::import::json;
//! # use rekindle_core::Value;
//! assert_eq!(json::parse(br#"{"a":[1,"\u00e9"]}"#).unwrap().get("a"),
//!            Some(&Value::Array(vec![Value::Number(1.0), Value::String("é".into())])));
//! let err = json::parse(b"[1,2,]").unwrap_err();
//! assert_eq!((err.line, err.column), (1, 6));
//! ```

use alloc::format;
use alloc::string::String;
use alloc::vec::Vec;
use core::fmt;

use crate::value::Value;

/// Deepest nesting of arrays and objects accepted.
pub const MAX_DEPTH: usize = 64;

/// Why and where a body is not JSON.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct JsonError {
    /// Byte offset of the problem.
    pub offset: usize,
    /// 1-based line.
    pub line: usize,
    /// 1-based column, in characters.
    pub column: usize,
    /// What was expected and what arrived.
    pub reason: String,
}

impl fmt::Display for JsonError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "line {}, column {}: {}", self.line, self.column, self.reason)
    }
}

/// Parses one JSON document.
pub fn parse(bytes: &[u8]) -> Result<Value, JsonError> {
    parse_limited(bytes, usize::MAX)
}

/// Parses one JSON document of at most `max_values` values (objects, arrays and scalars, each counted once as
/// it is read): what the tree costs is then bounded by the limit, not by how many `[]` fit in the bytes. The
/// parse stops at the first value past the limit.
pub fn parse_limited(bytes: &[u8], max_values: usize) -> Result<Value, JsonError> {
    let text = match core::str::from_utf8(bytes) {
        Ok(t) => t,
        // A gzip stream (an HTTP body read without undoing its Content-Encoding) is named, with the fix.
        Err(_) if bytes.starts_with(&[0x1f, 0x8b]) => {
            let reason = "a gzip-compressed body: decompress it first (its Content-Encoding: gzip), then pass the JSON";
            return Err(locate(bytes, 0, reason.into()));
        }
        Err(e) => return Err(locate(bytes, e.valid_up_to(), "invalid UTF-8".into())),
    };
    let start = if text.starts_with('\u{feff}') { 3 } else { 0 };
    let mut p = Parser { text, b: text.as_bytes(), i: start, depth: 0, values: 0, max_values };
    p.ws();
    let value = p.value().map_err(|(at, reason)| locate(bytes, at, reason))?;
    p.ws();
    if p.i < p.b.len() {
        let reason = format!("unexpected {} after the JSON value", p.describe_here());
        return Err(locate(bytes, p.i, reason));
    }
    Ok(value)
}

fn locate(bytes: &[u8], offset: usize, reason: String) -> JsonError {
    let before = bytes.get(..offset).unwrap_or(bytes);
    let line = 1 + before.iter().filter(|&&c| c == b'\n').count();
    let line_start = before.iter().rposition(|&c| c == b'\n').map_or(0, |i| i + 1);
    let line_bytes = before.get(line_start..).unwrap_or_default();
    // Count characters, not bytes: continuation bytes (10xx_xxxx) do not start a character.
    let column = 1 + line_bytes.iter().filter(|&&c| c & 0xC0 != 0x80).count();
    JsonError { offset, line, column, reason }
}

type Res<T> = Result<T, (usize, String)>;

struct Parser<'a> {
    text: &'a str,
    b: &'a [u8],
    i: usize,
    depth: usize,
    /// Values read so far, and how many may be.
    values: usize,
    max_values: usize,
}

impl Parser<'_> {
    fn peek(&self) -> Option<u8> {
        self.b.get(self.i).copied()
    }

    fn ws(&mut self) {
        while matches!(self.peek(), Some(b' ' | b'\t' | b'\n' | b'\r')) {
            self.i += 1;
        }
    }

    fn describe_here(&self) -> String {
        match self.text.get(self.i..).and_then(|rest| rest.chars().next()) {
            None => "end of input".into(),
            Some(c) if c.is_control() => format!("control character U+{:04X}", u32::from(c)),
            Some(c) => format!("'{c}'"),
        }
    }

    fn fail<T>(&self, expected: &str) -> Res<T> {
        Err((self.i, format!("expected {expected}, got {}", self.describe_here())))
    }

    fn value(&mut self) -> Res<Value> {
        if self.values >= self.max_values {
            return Err((self.i, format!("more than {} JSON values", self.max_values)));
        }
        self.values += 1;
        match self.peek() {
            Some(b'{') => self.nested(true),
            Some(b'[') => self.nested(false),
            Some(b'"') => self.string().map(Value::String),
            Some(b't') => self.literal("true", Value::Bool(true)),
            Some(b'f') => self.literal("false", Value::Bool(false)),
            Some(b'n') => self.literal("null", Value::Null),
            Some(b'-' | b'0'..=b'9') => self.number(),
            _ => self.fail("a JSON value"),
        }
    }

    fn literal(&mut self, word: &str, v: Value) -> Res<Value> {
        if self.b.get(self.i..self.i + word.len()) == Some(word.as_bytes()) {
            self.i += word.len();
            Ok(v)
        } else {
            self.fail(&format!("`{word}`"))
        }
    }

    /// An object (`is_object`) or an array, after checking the depth limit.
    fn nested(&mut self, is_object: bool) -> Res<Value> {
        if self.depth >= MAX_DEPTH {
            return Err((self.i, format!("nesting deeper than {MAX_DEPTH} levels")));
        }
        self.depth += 1;
        self.i += 1; // '{' or '['
        let close = if is_object { b'}' } else { b']' };
        let mut entries = Vec::new();
        let mut items = Vec::new();
        self.ws();
        if self.peek() == Some(close) {
            self.i += 1;
        } else {
            loop {
                self.ws();
                if is_object {
                    if self.peek() != Some(b'"') {
                        return self.fail("a string key");
                    }
                    let key = self.string()?;
                    self.ws();
                    if self.peek() != Some(b':') {
                        return self.fail("':' after an object key");
                    }
                    self.i += 1;
                    self.ws();
                    entries.push((key, self.value()?));
                } else {
                    items.push(self.value()?);
                }
                self.ws();
                match self.peek() {
                    Some(b',') => {
                        self.i += 1;
                        self.ws();
                        if self.peek() == Some(close) {
                            return Err((self.i, format!("trailing comma before '{}'", char::from(close))));
                        }
                    }
                    Some(c) if c == close => {
                        self.i += 1;
                        break;
                    }
                    _ => return self.fail(if is_object { "',' or '}'" } else { "',' or ']'" }),
                }
            }
        }
        self.depth -= 1;
        Ok(if is_object { Value::Object(entries) } else { Value::Array(items) })
    }

    fn digits(&mut self) -> usize {
        let from = self.i;
        while matches!(self.peek(), Some(b'0'..=b'9')) {
            self.i += 1;
        }
        self.i - from
    }

    fn number(&mut self) -> Res<Value> {
        let start = self.i;
        if self.peek() == Some(b'-') {
            self.i += 1;
        }
        match self.peek() {
            Some(b'0') => {
                self.i += 1;
                if matches!(self.peek(), Some(b'0'..=b'9')) {
                    return Err((self.i - 1, "a number may not start with a leading zero".into()));
                }
            }
            Some(b'1'..=b'9') => {
                self.digits();
            }
            _ => return self.fail("a digit"),
        }
        if self.peek() == Some(b'.') {
            self.i += 1;
            if self.digits() == 0 {
                return self.fail("a digit after '.'");
            }
        }
        if matches!(self.peek(), Some(b'e' | b'E')) {
            self.i += 1;
            if matches!(self.peek(), Some(b'+' | b'-')) {
                self.i += 1;
            }
            if self.digits() == 0 {
                return self.fail("a digit in the exponent");
            }
        }
        let text = self.text.get(start..self.i).unwrap_or_default();
        match text.parse::<f64>() {
            Ok(n) if n.is_finite() => Ok(Value::Number(n)),
            _ => Err((start, format!("number {} is too large", clip(text)))),
        }
    }

    /// A string starting at the opening quote; the cursor ends after the closing quote.
    fn string(&mut self) -> Res<String> {
        self.i += 1;
        let mut out = String::new();
        let mut run = self.i; // start of the current unescaped run
        loop {
            let Some(c) = self.peek() else {
                return Err((self.i, "unterminated string".into()));
            };
            match c {
                b'"' => {
                    out.push_str(self.text.get(run..self.i).unwrap_or_default());
                    self.i += 1;
                    return Ok(out);
                }
                b'\\' => {
                    out.push_str(self.text.get(run..self.i).unwrap_or_default());
                    self.escape(&mut out)?;
                    run = self.i;
                }
                0x00..=0x1F => {
                    return Err((self.i, format!("control character U+{c:04X} in a string; escape it")));
                }
                _ => self.i += 1,
            }
        }
    }

    /// One escape sequence starting at the backslash.
    fn escape(&mut self, out: &mut String) -> Res<()> {
        let at = self.i;
        self.i += 1;
        let c = self.peek().ok_or((self.i, String::from("unterminated string")))?;
        self.i += 1;
        let simple = match c {
            b'"' => '"',
            b'\\' => '\\',
            b'/' => '/',
            b'b' => '\u{8}',
            b'f' => '\u{c}',
            b'n' => '\n',
            b'r' => '\r',
            b't' => '\t',
            b'u' => {
                let hi = self.hex4()?;
                let code = if (0xD800..0xDC00).contains(&hi) {
                    if self.b.get(self.i..self.i + 2) != Some(b"\\u") {
                        return Err((at, format!("lone surrogate \\u{hi:04X}: a high surrogate needs a low one")));
                    }
                    self.i += 2;
                    let lo = self.hex4()?;
                    if !(0xDC00..0xE000).contains(&lo) {
                        return Err((at, format!("lone surrogate \\u{hi:04X}: followed by \\u{lo:04X}")));
                    }
                    0x10000 + ((hi - 0xD800) << 10) + (lo - 0xDC00)
                } else if (0xDC00..0xE000).contains(&hi) {
                    return Err((at, format!("lone surrogate \\u{hi:04X}: a low surrogate without a high one")));
                } else {
                    hi
                };
                char::from_u32(code).ok_or((at, String::from("invalid \\u escape")))?
            }
            _ => return Err((at, format!("invalid escape '\\{}'", char::from(c).escape_default()))),
        };
        out.push(simple);
        Ok(())
    }

    fn hex4(&mut self) -> Res<u32> {
        let mut n = 0u32;
        for _ in 0..4 {
            let d = match self.peek() {
                Some(c @ b'0'..=b'9') => c - b'0',
                Some(c @ b'a'..=b'f') => c - b'a' + 10,
                Some(c @ b'A'..=b'F') => c - b'A' + 10,
                _ => return self.fail("4 hex digits after \\u"),
            };
            n = n * 16 + u32::from(d);
            self.i += 1;
        }
        Ok(n)
    }
}

fn clip(s: &str) -> String {
    crate::time::quote(s)
}

#[cfg(test)]
mod tests {
    use super::*;
    use alloc::vec;

    fn ok(s: &str) -> Value {
        parse(s.as_bytes()).unwrap_or_else(|e| panic!("{s}: {e}"))
    }

    fn err(s: &[u8]) -> JsonError {
        parse(s).expect_err("should fail")
    }

    fn s(v: &str) -> Value {
        Value::String(v.into())
    }

    #[test]
    fn scalars_arrays_and_objects_parse() {
        assert_eq!(ok(" true "), Value::Bool(true));
        assert_eq!(ok("null"), Value::Null);
        assert_eq!(ok("-0.5e2"), Value::Number(-50.0));
        assert_eq!(ok("1534108637.153125"), Value::Number(1_534_108_637.153_125));
        assert_eq!(ok("[]"), Value::Array(vec![]));
        assert_eq!(ok("{}"), Value::Object(vec![]));
        assert_eq!(ok(r#"{"a": [1, {"b": null}]}"#).get("a").map(Value::kind_name), Some("an array"));
    }

    #[test]
    fn duplicate_keys_are_kept_in_order() {
        let v = ok(r#"{"a":1,"a":2}"#);
        assert_eq!(v, Value::Object(vec![("a".into(), Value::Number(1.0)), ("a".into(), Value::Number(2.0))]));
    }

    #[test]
    fn escapes_and_surrogate_pairs_decode() {
        assert_eq!(ok(r#""a\"b\\c\/d\b\f\n\r\t""#), s("a\"b\\c/d\u{8}\u{c}\n\r\t"));
        assert_eq!(ok(r#""\u00e9\u20AC""#), s("é€"));
        assert_eq!(ok(r#""\ud83d\ude00 ok""#), s("😀 ok"));
        assert_eq!(ok("\"zażółć\""), s("zażółć"));
    }

    #[test]
    fn lone_surrogates_are_refused() {
        assert!(err(br#""\ud83d""#).reason.contains("lone surrogate"));
        assert!(err(br#""\ud83dx""#).reason.contains("lone surrogate"));
        assert!(err(br#""\ude00""#).reason.contains("low surrogate"));
        assert!(err(br#""\ud83d\u0041""#).reason.contains("followed by"));
    }

    #[test]
    fn trailing_commas_are_refused_with_their_place() {
        let e = err(b"{\n  \"a\": 1,\n}");
        assert_eq!((e.line, e.column), (3, 1));
        assert!(e.reason.contains("trailing comma"), "{e}");
        assert!(err(b"[1,]").reason.contains("trailing comma"));
    }

    #[test]
    fn control_characters_in_strings_are_refused() {
        let e = err(b"\"a\nb\"");
        assert!(e.reason.contains("U+000A"), "{e}");
        assert_eq!(e.offset, 2);
    }

    #[test]
    fn deep_nesting_stops_at_the_limit() {
        let deep = "[".repeat(10_000);
        assert!(err(deep.as_bytes()).reason.contains("nesting deeper than 64"));
        let limit = format!("{}{}", "[".repeat(MAX_DEPTH), "]".repeat(MAX_DEPTH));
        assert!(parse(limit.as_bytes()).is_ok());
        let over = format!("{}{}", "[".repeat(MAX_DEPTH + 1), "]".repeat(MAX_DEPTH + 1));
        assert!(parse(over.as_bytes()).is_err());
    }

    #[test]
    fn values_stop_at_the_limit_where_the_next_one_starts() {
        // `[1,2]` is three values: the array and its two items.
        assert_eq!(parse_limited(b"[1,2]", 3), Ok(Value::Array(vec![Value::Number(1.0), Value::Number(2.0)])));
        let e = parse_limited(b"[1,2]", 2).unwrap_err();
        assert_eq!((e.offset, e.reason.as_str()), (3, "more than 2 JSON values"));
        let empties = format!("[{}[]]", "[],".repeat(50_000));
        assert!(parse_limited(empties.as_bytes(), 1_000).is_err_and(|e| e.reason.contains("more than 1000")));
        assert!(parse(empties.as_bytes()).is_ok());
    }

    #[test]
    fn malformed_numbers_and_literals_are_refused() {
        for bad in ["01", "1.", ".5", "-", "1e", "+1", "NaN", "Infinity", "tru", "nul", "0x10"] {
            assert!(parse(bad.as_bytes()).is_err(), "{bad}");
        }
        assert!(err(b"1e400").reason.contains("too large"));
        assert_eq!(ok("1e308"), Value::Number(1e308));
    }

    #[test]
    fn garbage_truncation_and_trailing_text_are_refused() {
        assert!(err(b"").reason.contains("end of input"));
        assert!(err(b"{\"a\":1").reason.contains("',' or '}'"));
        assert!(err(b"\"abc").reason.contains("unterminated"));
        assert!(err(b"[1] x").reason.contains("after the JSON value"));
        assert!(err(b"{a:1}").reason.contains("string key"));
        assert!(err(br#""\x""#).reason.contains("invalid escape"));
        assert!(err(b"// c\n1").reason.contains("JSON value"));
    }

    #[test]
    fn invalid_utf8_is_located() {
        let e = err(b"[\"ok\", \"\xff\"]");
        assert_eq!(e.offset, 8);
        assert!(e.reason.contains("UTF-8"));
        // A body still gzip-compressed (1f 8b …) is named as such, with the fix.
        let gz = err(&[0x1f, 0x8b, 0x08, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x03, 0xab, 0xae, 0x05, 0x00]);
        assert_eq!(gz.offset, 0);
        assert!(gz.reason.contains("gzip-compressed") && gz.reason.contains("decompress"), "{}", gz.reason);
    }

    #[test]
    fn columns_count_characters_and_a_bom_is_skipped() {
        let e = err("[\"é\", x]".as_bytes());
        assert_eq!((e.line, e.column), (1, 7));
        assert_eq!(ok("\u{feff}[1]"), Value::Array(vec![Value::Number(1.0)]));
    }
}
