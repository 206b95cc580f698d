//! Arbitrary bytes → `import::json::parse` (the strict JSON parser behind every webhook decoder): never a
//! panic. An error's offset lies within the input and its line and column are those of that offset. A value
//! re-serialises to JSON that parses back to the same value (and serialises identically), and serde_json
//! agrees: it accepts exactly what core accepts (leading BOM and nesting beyond `MAX_DEPTH` aside) and reads
//! the same value, number for number.
#![no_main]

use libfuzzer_sys::fuzz_target;
use rekindle_core::import::json;
use rekindle_core::Value;

/// Compact JSON for a value (numbers in Rust's shortest round-trip form, which is valid JSON).
fn write(v: &Value, out: &mut String) {
    match v {
        Value::Null => out.push_str("null"),
        Value::Bool(b) => out.push_str(if *b { "true" } else { "false" }),
        Value::Number(n) => out.push_str(&format!("{n}")),
        Value::String(s) => write_str(s, out),
        Value::Array(items) => {
            out.push('[');
            for (i, item) in items.iter().enumerate() {
                if i > 0 {
                    out.push(',');
                }
                write(item, out);
            }
            out.push(']');
        }
        Value::Object(entries) => {
            out.push('{');
            for (i, (k, item)) in entries.iter().enumerate() {
                if i > 0 {
                    out.push(',');
                }
                write_str(k, out);
                out.push(':');
                write(item, out);
            }
            out.push('}');
        }
    }
}

fn write_str(s: &str, out: &mut String) {
    out.push('"');
    for c in s.chars() {
        match c {
            '"' => out.push_str("\\\""),
            '\\' => out.push_str("\\\\"),
            c if u32::from(c) < 0x20 => out.push_str(&format!("\\u{:04x}", u32::from(c))),
            c => out.push(c),
        }
    }
    out.push('"');
}

fn serialise(v: &Value) -> String {
    let mut out = String::new();
    write(v, &mut out);
    out
}

fuzz_target!(|data: &[u8]| {
    let ours = json::parse(data);
    match &ours {
        Ok(v) => {
            let text = serialise(v);
            let back =
                json::parse(text.as_bytes()).unwrap_or_else(|e| panic!("re-serialised JSON {text:?} fails: {e}"));
            assert_eq!(&back, v, "value changed through its JSON form {text:?}");
            assert_eq!(serialise(&back), text, "serialisation is not a fixed point");
        }
        Err(e) => {
            assert!(e.offset <= data.len(), "offset {} beyond the {} input bytes", e.offset, data.len());
            assert!(!e.reason.is_empty(), "an error without a reason");
            let before = &data[..e.offset];
            let line = 1 + before.iter().filter(|&&c| c == b'\n').count();
            assert_eq!(e.line, line, "line of offset {}", e.offset);
            let line_start = before.iter().rposition(|&c| c == b'\n').map_or(0, |i| i + 1);
            assert!(
                e.column >= 1 && e.column <= e.offset - line_start + 1,
                "column {} of offset {}",
                e.column,
                e.offset
            );
        }
    }
    // serde_json as a second opinion (it refuses a BOM, and nests to 128 levels instead of 64).
    let body = data.strip_prefix(b"\xEF\xBB\xBF".as_slice()).unwrap_or(data);
    let theirs = serde_json::from_slice::<Value>(body);
    match (&ours, &theirs) {
        (Ok(a), Ok(b)) => assert_eq!(a, b, "core and serde_json read different values"),
        (Ok(a), Err(e)) => panic!("core accepts what serde_json refuses ({e}): {a:?}"),
        (Err(e), Ok(b)) if !e.reason.contains("nesting deeper") => {
            panic!("core refuses what serde_json accepts ({e}): {b:?}")
        }
        _ => {}
    }
});
