//! `Engine`: a compiled playbook. Build once per page or isolate, then fold and decide many times.

use rekindle_core::{decide, ContactState, Playbook};
use wasm_bindgen::prelude::*;

use crate::convert;

/// A compiled playbook (JS class `Engine`).
#[wasm_bindgen(js_name = Engine)]
pub struct JsEngine {
    playbook: Playbook,
}

#[wasm_bindgen(js_class = Engine)]
impl JsEngine {
    /// Parses and compiles a playbook object; throws `E_PLAYBOOK_INVALID` listing every problem.
    #[wasm_bindgen(constructor)]
    pub fn new(playbook: JsValue) -> Result<JsEngine, JsValue> {
        let value = convert::value(playbook, "playbook")?;
        Ok(JsEngine { playbook: Playbook::parse(&value).map_err(crate::Error::from)? })
    }

    /// Folds events into a state (`undefined` = fresh) and returns the new state's bytes.
    pub fn fold(&self, state: Option<Vec<u8>>, events: JsValue) -> Result<Vec<u8>, JsValue> {
        let mut state = convert::state(state)?;
        state.fold(&self.playbook, &convert::events(events)?);
        Ok(state.to_bytes())
    }

    /// Folds events like `fold` and also reports segment enter/exit deltas: `{ state, deltas }`.
    pub fn update(&self, state: Option<Vec<u8>>, events: JsValue) -> Result<JsValue, JsValue> {
        let mut state = convert::state(state)?;
        let deltas = state.fold_with_deltas(&self.playbook, &convert::events(events)?);
        let out = js_sys::Object::new();
        let bytes = js_sys::Uint8Array::from(state.to_bytes().as_slice());
        // Fresh plain objects: Reflect.set cannot fail on them.
        let _ = js_sys::Reflect::set(&out, &"state".into(), &bytes);
        let _ = js_sys::Reflect::set(&out, &"deltas".into(), &convert::to_js(&deltas)?);
        Ok(out.into())
    }

    /// The decision for a state (`undefined` = fresh) at `now` (epoch ms).
    pub fn decide(&self, state: Option<Vec<u8>>, now: f64) -> Result<JsValue, JsValue> {
        let state = convert::state(state)?;
        Ok(convert::to_js(&decide(&self.playbook, &state, convert::now(now)?))?)
    }

    /// Folds `events` into a fresh state and decides at `now`, without returning the state.
    pub fn evaluate(&self, events: JsValue, now: f64) -> Result<JsValue, JsValue> {
        let now = convert::now(now)?;
        let mut state = ContactState::new();
        state.fold(&self.playbook, &convert::events(events)?);
        Ok(convert::to_js(&decide(&self.playbook, &state, now))?)
    }

    /// Segment memberships at `now` only (no reasons, no next flips): `{ "<segment id>": true | false | null }`,
    /// `null` when the condition cannot be decided. The cheap call for classifying a visitor.
    pub fn segments(&self, state: Option<Vec<u8>>, now: f64) -> Result<JsValue, JsValue> {
        let state = convert::state(state)?;
        let out = js_sys::Object::new();
        for (id, truth) in rekindle_core::segment::memberships_at(&self.playbook, &state, convert::now(now)?) {
            let value = match truth {
                rekindle_core::field::Truth::True => JsValue::TRUE,
                rekindle_core::field::Truth::False => JsValue::FALSE,
                rekindle_core::field::Truth::Unknown(_) => JsValue::NULL,
            };
            // A fresh plain object: Reflect.set cannot fail on it.
            let _ = js_sys::Reflect::set(&out, &JsValue::from_str(id), &value);
        }
        Ok(out.into())
    }

    /// A readable view of a state, ids resolved through this playbook.
    pub fn inspect(&self, state: Option<Vec<u8>>) -> Result<JsValue, JsValue> {
        Ok(convert::to_js(&convert::state(state)?.view(&self.playbook))?)
    }
}
