//! JS ⇄ core conversions. Structured data goes through serde-wasm-bindgen into core's `Value` tree (so core
//! locates every problem); results come back as plain objects (`json_compatible`: maps become objects).

use rekindle_core::{ContactState, Event, Timestamp, Value};
use serde::Serialize;
use wasm_bindgen::prelude::*;
use wasm_bindgen::JsCast;

use crate::error::Error;

/// A JS value as core's JSON-shaped `Value`, read with `js_sys` directly.
///
/// Not serde-wasm-bindgen's deserializer: its error path keeps serde's `Unexpected` and with it core's float
/// formatting (~14 KB of the module), and it cannot say *where* a bad value is. This walk names the path
/// (`events[2].props.when`), refuses what JSON cannot hold (functions, symbols, BigInt, `Date`) and stops at a
/// depth that only a cycle reaches, so a self-referencing object is an error, not a stack overflow.
pub(crate) fn value(js: JsValue, at: &str) -> Result<Value, Error> {
    read(&js, at, 0)
}

/// Deeper than any playbook or event list; only a cyclic object gets here.
const MAX_DEPTH: usize = 64;

fn read(js: &JsValue, at: &str, depth: usize) -> Result<Value, Error> {
    let bad = |reason: &str| Error::Input { at: at.to_owned(), reason: reason.to_owned() };
    if depth > MAX_DEPTH {
        return Err(bad("nested more than 64 levels deep (is the object cyclic?)"));
    }
    if js.is_null() || js.is_undefined() {
        return Ok(Value::Null);
    }
    if let Some(b) = js.as_bool() {
        return Ok(Value::Bool(b));
    }
    if let Some(n) = js.as_f64() {
        return Ok(Value::Number(n));
    }
    if let Some(s) = js.as_string() {
        return Ok(Value::String(s));
    }
    if js.is_bigint() {
        return Err(bad("expected a number, got a BigInt: pass Number(value)"));
    }
    if js.is_function() || js.is_symbol() {
        return Err(bad("expected plain JSON data, got a function or symbol"));
    }
    if js.is_instance_of::<js_sys::Date>() {
        return Err(bad("expected epoch milliseconds, got a Date: pass date.getTime()"));
    }
    if js_sys::Array::is_array(js) {
        let array: &js_sys::Array = js.unchecked_ref();
        let mut items = Vec::with_capacity(array.length() as usize);
        for (i, item) in array.iter().enumerate() {
            items.push(read(&item, &format!("{at}[{i}]"), depth + 1)?);
        }
        return Ok(Value::Array(items));
    }
    if js.is_object() {
        let mut entries = Vec::new();
        for pair in js_sys::Object::entries(js.unchecked_ref()).iter() {
            let pair: js_sys::Array = pair.unchecked_into();
            let key = pair.get(0).as_string().unwrap_or_default();
            let here = if at.is_empty() { key.clone() } else { format!("{at}.{key}") };
            entries.push((key, read(&pair.get(1), &here, depth + 1)?));
        }
        return Ok(Value::Object(entries));
    }
    Err(bad("expected plain JSON data"))
}

/// A JS array of events.
pub(crate) fn events(js: JsValue) -> Result<Vec<Event>, Error> {
    Ok(Event::parse_list(&value(js, "events")?, "events")?)
}

/// `now` as epoch milliseconds: rejects NaN, infinities and fractions.
pub(crate) fn now(ms: f64) -> Result<Timestamp, Error> {
    Timestamp::from_f64(ms).ok_or_else(|| Error::Input {
        at: "now".to_owned(),
        reason: format!(
            "expected whole epoch milliseconds (like Date.now()), got {}",
            rekindle_core::time::short_number(ms)
        ),
    })
}

/// State bytes, or a fresh state when absent.
pub(crate) fn state(bytes: Option<Vec<u8>>) -> Result<ContactState, Error> {
    match bytes {
        Some(b) => Ok(ContactState::from_bytes(&b)?),
        None => Ok(ContactState::new()),
    }
}

#[wasm_bindgen(module = "/js/tape.js")]
extern "C" {
    #[wasm_bindgen(js_name = decodeTape, catch)]
    fn decode_tape(bytes: &[u8]) -> Result<JsValue, JsValue>;
}

/// A result as a plain JS object, sent as one tape (see `tape.rs`).
pub(crate) fn to_js<T: Serialize>(value: &T) -> Result<JsValue, Error> {
    let bytes = crate::tape::encode(value)
        .map_err(|e| Error::Input { at: "result".to_owned(), reason: format!("could not encode the result: {e}") })?;
    decode_tape(&bytes).map_err(|e| Error::Input {
        at: "result".to_owned(),
        reason: format!("could not decode the result: {}", e.as_string().unwrap_or_default()),
    })
}
