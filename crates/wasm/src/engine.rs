//! `Engine`: a compiled playbook. Build once per page or isolate, then fold and decide many times.

use std::rc::Rc;

use rekindle_core::field::Truth;
use rekindle_core::{decide, ContactState, Playbook, Timestamp};
use wasm_bindgen::prelude::*;

use crate::contact::JsContact;
use crate::convert;

/// A compiled playbook (JS class `Engine`). Shared with the contacts it opens, hence the `Rc`.
#[wasm_bindgen(js_name = Engine)]
pub struct JsEngine {
    playbook: Rc<Playbook>,
}

/// Segment truths as bytes in playbook order: 0 out, 1 in, 2 unknown (the facade names them).
pub(crate) fn segment_codes(playbook: &Playbook, state: &ContactState, now: Timestamp) -> Vec<u8> {
    let mut out = Vec::new();
    write_segment_codes(playbook, state, now, &mut out);
    out
}

/// [`segment_codes`] appended to `out`.
pub(crate) fn write_segment_codes(playbook: &Playbook, state: &ContactState, now: Timestamp, out: &mut Vec<u8>) {
    out.extend(rekindle_core::segment::memberships_at(playbook, state, now).map(|(_, truth)| match truth {
        Truth::False => 0,
        Truth::True => 1,
        Truth::Unknown(_) => 2,
    }));
}

#[cfg(feature = "playbook-json")]
fn read_json(tape: &[u8]) -> Result<Playbook, JsValue> {
    let value = convert::value(tape, "playbook")?;
    Ok(Playbook::parse(&value).map_err(crate::Error::from)?)
}

#[cfg(not(feature = "playbook-json"))]
fn read_json(_: &[u8]) -> Result<Playbook, JsValue> {
    Err(not_read(
        "reads compiled playbooks only: compile this one with `rekindle compile --playbook p.json --out \
         p.rkp` or compilePlaybook() from \"rekindle\" in Node, and pass the bytes",
    ))
}

#[cfg(feature = "playbook-compiled")]
fn read_compiled(bytes: &[u8]) -> Result<Playbook, JsValue> {
    Ok(Playbook::from_compiled(bytes).map_err(crate::Error::from)?)
}

#[cfg(not(feature = "playbook-compiled"))]
fn read_compiled(_: &[u8]) -> Result<Playbook, JsValue> {
    Err(not_read("reads JSON playbooks only: pass the playbook object (or its JSON text)"))
}

/// The refusal of a playbook form this build does not read, as `E_PLAYBOOK_INVALID` with a `bad_compiled` problem.
#[cfg(not(all(feature = "playbook-json", feature = "playbook-compiled")))]
fn not_read(what: &str) -> JsValue {
    use rekindle_core::error::{Problem, ProblemCode};
    let message = format!("this build of rekindle ({}) {what}", crate::FLAVOUR);
    crate::Error::from(rekindle_core::Error::InvalidPlaybook {
        problems: vec![Problem::new("", ProblemCode::BadCompiled, message)],
    })
    .into()
}

/// A playbook compiled to bytes for `new Engine(bytes)` in the browser and edge builds: the Node build compiles,
/// where a bad playbook's every problem is reported at build time. Throws `E_PLAYBOOK_INVALID` like `Engine`.
/// Only in a build that reads both forms (Node): the others would carry the encoder for nothing.
#[cfg(all(feature = "playbook-json", feature = "playbook-compiled"))]
#[wasm_bindgen(js_name = compilePlaybook)]
pub fn compile_playbook(tape: &[u8]) -> Result<Vec<u8>, JsValue> {
    Ok(read_json(tape)?.to_compiled())
}

#[wasm_bindgen(js_class = Engine)]
impl JsEngine {
    /// An engine from a playbook: compiled bytes (`compiled`, as `rekindle compile` and `compilePlaybook` write
    /// them) or the tape of a JSON playbook. Each build reads the forms its features name (`playbook-json`,
    /// `playbook-compiled`); the other is refused with what to do. Throws `E_PLAYBOOK_INVALID` listing every problem.
    #[wasm_bindgen(constructor)]
    pub fn new(playbook: &[u8], compiled: bool) -> Result<JsEngine, JsValue> {
        let playbook = if compiled { read_compiled(playbook)? } else { read_json(playbook)? };
        Ok(JsEngine { playbook: Rc::new(playbook) })
    }

    /// Folds events (a tape of an array of events) into a state (`undefined` = fresh) and returns the new
    /// state's bytes.
    pub fn fold(&self, state: Option<Vec<u8>>, events: &[u8]) -> Result<Vec<u8>, JsValue> {
        let mut state = convert::state(state)?;
        state.fold(&self.playbook, &convert::events(events)?);
        Ok(state.to_bytes())
    }

    /// Folds events like `fold` and also reports segment enter/exit deltas: `{ state, deltas }`.
    pub fn update(&self, state: Option<Vec<u8>>, events: &[u8]) -> Result<JsValue, JsValue> {
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

    /// Only the call to action for a state at `now` (decide's `cta`), or `null`.
    pub fn cta(&self, state: Option<Vec<u8>>, now: f64) -> Result<JsValue, JsValue> {
        let state = convert::state(state)?;
        Ok(convert::to_js(&rekindle_core::choose_cta(&self.playbook, &state, convert::now(now)?))?)
    }

    /// Folds `events` into a fresh state and decides at `now`, without returning the state.
    pub fn evaluate(&self, events: &[u8], now: f64) -> Result<JsValue, JsValue> {
        let now = convert::now(now)?;
        let mut state = ContactState::new();
        state.fold(&self.playbook, &convert::events(events)?);
        Ok(convert::to_js(&decide(&self.playbook, &state, now))?)
    }

    /// Segment memberships at `now` only (no reasons, no next flips), as `segmentIds()`-ordered codes: 0 out,
    /// 1 in, 2 unknown. The cheap call for classifying a visitor.
    #[wasm_bindgen(js_name = segmentCodes)]
    pub fn segment_codes(&self, state: Option<Vec<u8>>, now: f64) -> Result<Vec<u8>, JsValue> {
        let state = convert::state(state)?;
        Ok(segment_codes(&self.playbook, &state, convert::now(now)?))
    }

    /// The segment ids, in playbook order.
    #[wasm_bindgen(js_name = segmentIds)]
    pub fn segment_ids(&self) -> Vec<String> {
        self.playbook.segments().iter().map(|s| s.id().to_owned()).collect()
    }

    /// The playbook's topics for a preference center (D27): `{ topics: [{ id, label }], optIn }`, from either
    /// form of the playbook — the edge reads it compiled, so it cannot read the labels from the JSON.
    pub fn topics(&self) -> Result<JsValue, JsValue> {
        #[derive(serde::Serialize)]
        struct Topic<'a> {
            id: &'a str,
            label: &'a str,
        }
        #[derive(serde::Serialize)]
        #[serde(rename_all = "camelCase")]
        struct Topics<'a> {
            topics: Vec<Topic<'a>>,
            opt_in: bool,
        }
        let topics = self.playbook.topics().map(|(id, label)| Topic { id, label }).collect();
        Ok(convert::to_js(&Topics { topics, opt_in: self.playbook.topics_opt_in() })?)
    }

    /// The compiled playbook, shared with the contacts opened from it.
    #[cfg(not(feature = "browser"))]
    pub(crate) fn playbook(&self) -> &Rc<Playbook> {
        &self.playbook
    }

    /// Opens a contact held in wasm memory (`undefined` = fresh): folding and deciding on it skip the state
    /// bytes' decode and encode on every call.
    pub fn contact(&self, state: Option<Vec<u8>>) -> Result<JsContact, JsValue> {
        let read = match &state {
            Some(bytes) => ContactState::from_bytes(bytes).map_err(crate::Error::from)?,
            None => ContactState::new(),
        };
        Ok(JsContact::new(Rc::clone(&self.playbook), read, state))
    }

    /// A readable view of a state, ids resolved through this playbook.
    pub fn inspect(&self, state: Option<Vec<u8>>) -> Result<JsValue, JsValue> {
        Ok(convert::to_js(&convert::state(state)?.view(&self.playbook))?)
    }
}
