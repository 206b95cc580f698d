//! JS ⇄ core conversions. Structured data goes through serde-wasm-bindgen into core's `Value` tree (so core
//! locates every problem); results come back as plain objects (`json_compatible`: maps become objects).

use rekindle_core::{ContactState, Event, Timestamp, Value};
use serde::Serialize;
use wasm_bindgen::JsValue;

use crate::error::Error;

/// A JS value as core's JSON-shaped `Value`.
pub(crate) fn value(js: JsValue, at: &str) -> Result<Value, Error> {
    serde_wasm_bindgen::from_value(js).map_err(|e| Error::Input {
        at: at.to_owned(),
        reason: format!("expected plain JSON data (objects, arrays, strings, numbers, booleans, null): {e}"),
    })
}

/// A JS array of events.
pub(crate) fn events(js: JsValue) -> Result<Vec<Event>, Error> {
    Ok(Event::parse_list(&value(js, "events")?, "events")?)
}

/// `now` as epoch milliseconds: rejects NaN, infinities and fractions.
pub(crate) fn now(ms: f64) -> Result<Timestamp, Error> {
    Timestamp::from_f64(ms).ok_or_else(|| Error::Input {
        at: "now".to_owned(),
        reason: format!("expected whole epoch milliseconds (like Date.now()), got {ms}"),
    })
}

/// State bytes, or a fresh state when absent.
pub(crate) fn state(bytes: Option<Vec<u8>>) -> Result<ContactState, Error> {
    match bytes {
        Some(b) => Ok(ContactState::from_bytes(&b)?),
        None => Ok(ContactState::new()),
    }
}

/// A result as a plain JS object.
pub(crate) fn to_js<T: Serialize>(value: &T) -> Result<JsValue, Error> {
    value.serialize(&serde_wasm_bindgen::Serializer::json_compatible()).map_err(|e| Error::Input {
        at: "result".to_owned(),
        reason: format!("could not convert the result to JS: {e}"),
    })
}
