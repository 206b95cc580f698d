//! JS ⇄ core conversions. Playbooks and events cross as one byte tape into core's `Value` tree (so core
//! locates every problem); results come back as one tape decoded into plain objects (`tape.rs`).

use rekindle_core::{ContactState, Event, Timestamp, Value};
use serde::Serialize;
use wasm_bindgen::prelude::*;

use crate::error::Error;

/// A JS value as core's JSON-shaped `Value`: encoded by `encodeTape` in JS (one pass, one copy into linear
/// memory), read by `tape::read`. The encoder refuses what JSON cannot hold (functions, symbols, BigInt,
/// `Date`) and cycles, naming the path (`events[2].props.when`).
pub(crate) fn value(js: JsValue, at: &str) -> Result<Value, Error> {
    let bytes = encode_tape(&js, at).map_err(|e| {
        let field = |k: &str| js_sys::Reflect::get(&e, &JsValue::from_str(k)).ok().and_then(|v| v.as_string());
        Error::Input {
            at: field("at").unwrap_or_else(|| at.to_owned()),
            reason: field("reason").unwrap_or_else(|| "expected plain JSON data".to_owned()),
        }
    })?;
    crate::tape::read(&bytes.to_vec()).map_err(|reason| Error::Input { at: at.to_owned(), reason })
}

/// A JS array of events.
pub(crate) fn events(js: JsValue) -> Result<Vec<Event>, Error> {
    Ok(Event::parse_list(&value(js, "events")?, "events")?)
}

/// `now` as epoch milliseconds: rejects NaN, infinities and fractions.
pub(crate) fn now(ms: f64) -> Result<Timestamp, Error> {
    instant(ms, "now")
}

/// An instant argument named `at` as epoch milliseconds: rejects NaN, infinities and fractions.
pub(crate) fn instant(ms: f64, at: &str) -> Result<Timestamp, Error> {
    Timestamp::from_f64(ms).ok_or_else(|| Error::Input {
        at: at.to_owned(),
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
    #[wasm_bindgen(js_name = encodeTape, catch)]
    fn encode_tape(value: &JsValue, base: &str) -> Result<js_sys::Uint8Array, JsValue>;
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
