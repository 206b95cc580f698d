//! JS ⇄ core conversions. Playbooks and events cross as one byte tape, encoded by the facade (playbooks into
//! core's `Value` tree, so core locates every problem; events straight into core's events); results come back
//! as one tape decoded into plain objects (`tape.rs`).

#[cfg(feature = "playbook-json")]
use rekindle_core::Value;
use rekindle_core::{ContactState, Event, Timestamp};
use serde::Serialize;
use wasm_bindgen::prelude::*;

use crate::error::Error;

/// A playbook as core's JSON-shaped `Value`, from the tape the facade encoded (`encodeTape` in pkg/tape.js:
/// one pass in JS, one copy into linear memory; it refuses what JSON cannot hold, naming the path). Only the builds
/// that read JSON playbooks need it.
#[cfg(feature = "playbook-json")]
pub(crate) fn value(tape: &[u8], at: &str) -> Result<Value, Error> {
    crate::tape::value(tape, at)
}

/// A tape of an array of events, read straight into core's events.
pub(crate) fn events(tape: &[u8]) -> Result<Vec<Event>, Error> {
    let mut out = Vec::new();
    crate::tape::events(tape, "events", &mut out)?;
    Ok(out)
}

/// Like [`events`], into `buffer` (cleared first, and again on failure): a held contact's per-event calls
/// reuse one allocation.
pub(crate) fn events_into(tape: &[u8], buffer: &mut Vec<Event>) -> Result<(), Error> {
    buffer.clear();
    crate::tape::events(tape, "events", buffer).inspect_err(|_| buffer.clear())
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
}

/// A result as a plain JS object, sent as one tape (see `tape.rs`).
pub(crate) fn to_js<T: Serialize>(value: &T) -> Result<JsValue, Error> {
    let bytes = crate::tape::encode(value)
        .map_err(|e| Error::Input { at: "result".to_owned(), reason: format!("could not encode the result: {e}") })?;
    decode_tape(&bytes).map_err(|e| {
        // The reader dropped the strings and shapes it keeps across tapes; the writer must too.
        crate::tape::forget();
        Error::Input {
            at: "result".to_owned(),
            reason: format!("could not decode the result: {}", e.as_string().unwrap_or_default()),
        }
    })
}
