//! The common shape of an event line, scanned by hand into core's `EventReader`: one object whose values are
//! strings without escapes, integers of at most 15 digits, `true`, `false` or `null`, and a flat `props` object
//! of the same. Anything else — an escape, a fraction or exponent, a longer number, a nested container, bad JSON,
//! a field the reader refuses — gives `None`, and the line goes to the general paths (serde_json), which read it
//! as they always did. On the lines it accepts, the scanner gives the reader the same calls in the same order as
//! the general paths: the keys and strings are the line's own bytes (no escapes), and an integer is converted as
//! serde_json converts one (`as f64` from `u64` / `i64`; 15 digits always fit and are exact).

use rekindle_core::event::EventReader;
use rekindle_core::value::ValueRef;

/// Feeds the line's fields to `reader`; `None` when the line is not of the common shape or the reader refuses
/// a field.
pub fn scan(text: &str, reader: &mut EventReader) -> Option<()> {
    let mut s = Scanner { text, at: 0 };
    s.object(|s, key| match s.peek()? {
        b'{' if key == "props" => {
            reader.field(key, ValueRef::Object).ok()?;
            s.object(|s, prop| {
                let v = s.scalar()?;
                reader.prop(prop, v).ok()
            })
        }
        _ => {
            let v = s.scalar()?;
            reader.field(key, v).ok()
        }
    })?;
    s.space();
    (s.at == text.len()).then_some(())
}

struct Scanner<'a> {
    text: &'a str,
    at: usize,
}

impl<'a> Scanner<'a> {
    fn peek(&self) -> Option<u8> {
        self.text.as_bytes().get(self.at).copied()
    }

    /// JSON whitespace, as serde_json skips it.
    fn space(&mut self) {
        while matches!(self.peek(), Some(b' ' | b'\t' | b'\n' | b'\r')) {
            self.at += 1;
        }
    }

    fn eat(&mut self, byte: u8) -> Option<()> {
        self.space();
        (self.peek()? == byte).then(|| self.at += 1)
    }

    /// `{ "key": value, … }`, each value read by `value` after its key and colon.
    fn object(&mut self, mut value: impl FnMut(&mut Self, &'a str) -> Option<()>) -> Option<()> {
        self.eat(b'{')?;
        self.space();
        if self.peek()? == b'}' {
            self.at += 1;
            return Some(());
        }
        loop {
            self.space();
            let key = self.string()?;
            self.eat(b':')?;
            self.space();
            value(self, key)?;
            self.space();
            match self.peek()? {
                b',' => self.at += 1,
                b'}' => {
                    self.at += 1;
                    return Some(());
                }
                _ => return None,
            }
        }
    }

    /// A string without escapes or control characters.
    fn string(&mut self) -> Option<&'a str> {
        if self.peek()? != b'"' {
            return None;
        }
        let start = self.at + 1;
        let len = self.text.as_bytes().get(start..)?.iter().position(|&b| b == b'"' || b == b'\\' || b < 0x20)?;
        let end = start + len;
        if self.text.as_bytes().get(end) != Some(&b'"') {
            return None;
        }
        self.at = end + 1;
        self.text.get(start..end)
    }

    fn literal(&mut self, word: &str) -> Option<()> {
        let rest = self.text.get(self.at..)?;
        rest.starts_with(word).then(|| self.at += word.len())
    }

    /// A string, a short integer, `true`, `false` or `null`.
    fn scalar(&mut self) -> Option<ValueRef<'a>> {
        match self.peek()? {
            b'"' => self.string().map(ValueRef::Str),
            b't' => self.literal("true").map(|()| ValueRef::Bool(true)),
            b'f' => self.literal("false").map(|()| ValueRef::Bool(false)),
            b'n' => self.literal("null").map(|()| ValueRef::Null),
            b'-' | b'0'..=b'9' => self.integer(),
            _ => None,
        }
    }

    /// `-?(0|[1-9][0-9]*)` of at most 15 digits, not followed by a fraction or exponent.
    fn integer(&mut self) -> Option<ValueRef<'a>> {
        let negative = self.peek()? == b'-';
        if negative {
            self.at += 1;
        }
        let bytes = self.text.as_bytes().get(self.at..)?;
        let digits = bytes.iter().take_while(|b| b.is_ascii_digit()).count();
        if digits == 0 || digits > 15 || (digits > 1 && bytes.first() == Some(&b'0')) {
            return None;
        }
        if matches!(bytes.get(digits), Some(b'.' | b'e' | b'E')) {
            return None;
        }
        let n: u64 = self.text.get(self.at..self.at + digits)?.parse().ok()?;
        if negative && n == 0 {
            return None; // serde_json reads `-0` as the float -0.0, not as an integer
        }
        self.at += digits;
        // As serde_json gives it: a negative integer as i64, a non-negative one as u64, then `as f64`.
        let n = match negative {
            true => -i64::try_from(n).ok()? as f64,
            false => n as f64,
        };
        Some(ValueRef::Number(n))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn scanned(line: &str) -> bool {
        scan(line, &mut EventReader::new()).is_some()
    }

    #[test]
    fn common_lines_are_scanned_and_the_rest_left_to_serde_json() {
        assert!(scanned(
            r#"{"contact":"c-0001","at":"2026-02-03T22:28:00Z","kind":"page_view","props":{"path":"/blog/x"}}"#
        ));
        assert!(scanned(r#"{"contact":"A@B.TEST","at":1767225600000,"kind":"email_open","machine":true}"#));
        assert!(scanned(r#" { } "#));
        for other in [
            r#"{"contact":"c\"1","at":1,"kind":"page_view"}"#,
            r#"{"contact":"c-1","at":1.5,"kind":"page_view"}"#,
            r#"{"contact":"c-1","at":1e3,"kind":"page_view"}"#,
            r#"{"contact":"c-1","at":-0,"kind":"page_view"}"#,
            r#"{"contact":"c-1","at":1234567890123456,"kind":"page_view"}"#,
            r#"{"contact":"c-1","at":1,"kind":"page_view","props":{"a":{}}}"#,
            r#"{"contact":"c-1","at":1,"kind":"page_view","x":[]}"#,
            r#"{"contact":"c-1","at":1,"kind":"page_view",}"#,
            r#"{"contact":"c-1","at":1,"kind":"nope"}"#,
            r#"[]"#,
        ] {
            assert!(!scanned(other), "{other}");
        }
    }
}
