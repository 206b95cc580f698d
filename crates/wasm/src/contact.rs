//! `Contact`: one contact's state held in wasm memory. For per-event work (a tracker, a stream of webhooks,
//! a batch) it saves decoding and encoding the state bytes on every call; `toBytes()` persists it.

use std::rc::Rc;

use rekindle_core::{decide, ContactState, Event, Playbook};
use wasm_bindgen::prelude::*;

use crate::convert;
use crate::exchange::Exchange;

/// The events buffer a held contact keeps between calls: a page's or a webhook's batch.
const KEEP_EVENTS: usize = 64;

/// A contact's state and the playbook it is read with (JS class `Contact`).
#[wasm_bindgen(js_name = Contact)]
pub struct JsContact {
    playbook: Rc<Playbook>,
    state: ContactState,
    /// The events of the call in progress; kept between calls for its capacity only (emptied after each).
    events: Vec<Event>,
    /// Where the facade writes per-event tapes; its address is kept by the facade between calls.
    tape: Exchange,
    /// Where the facade reads segment codes; apart from `tape`, so writing codes never moves the tape's bytes.
    codes: Exchange,
    /// The state bytes it was opened from (`None`: a new contact's), for `changed`: kept as given rather than
    /// encoded at open, so a request that changes nothing costs one encoding, when it asks.
    opened: Option<Vec<u8>>,
}

/// `foldExchange`'s result bits: the events were folded (else the facade repeats the call through `fold` for the
/// error).
const FOLDED: u8 = 1;
/// `foldExchange`'s result bits: the tape buffer was given back (`Exchange::trim`); the facade asks `exchange` for
/// room again next time.
const RELEASED: u8 = 2;

impl JsContact {
    pub(crate) fn new(playbook: Rc<Playbook>, state: ContactState, opened: Option<Vec<u8>>) -> JsContact {
        JsContact { playbook, state, events: Vec::new(), tape: Exchange::default(), codes: Exchange::default(), opened }
    }

    /// Folds the events just read into the buffer, then empties it.
    fn fold_read(&mut self) {
        self.state.fold(&self.playbook, &self.events);
        self.release_events();
    }

    /// Empties the events buffer after a call; one a large batch grew is given back, so a long-held contact does
    /// not keep it.
    fn release_events(&mut self) {
        if self.events.capacity() > KEEP_EVENTS {
            self.events = Vec::new();
        } else {
            self.events.clear();
        }
    }

    /// The held state (for sealing it into a cookie without a byte round trip through JS).
    #[cfg(not(feature = "browser"))]
    pub(crate) fn state(&self) -> &ContactState {
        &self.state
    }
}

#[wasm_bindgen(js_class = Contact)]
impl JsContact {
    /// Folds events (a tape of an array of events) into the held state.
    pub fn fold(&mut self, events: &[u8]) -> Result<(), JsValue> {
        convert::events_into(events, &mut self.events)?;
        self.fold_read();
        Ok(())
    }

    /// Room for a `len`-byte events tape in this contact's exchange buffer: its address, valid until the next call
    /// here or until `foldExchange` says it released the buffer.
    pub fn exchange(&mut self, len: usize) -> usize {
        self.tape.room(len)
    }

    /// Folds the events tape the facade wrote into the exchange buffer (`len` bytes). Returns bits: `FOLDED` unless
    /// it is not a valid list of events, the state untouched (the facade then calls `fold` for the error);
    /// `RELEASED` when the buffer was given back.
    #[wasm_bindgen(js_name = foldExchange)]
    pub fn fold_exchange(&mut self, len: usize) -> u8 {
        let read = convert::events_into(self.tape.written(len), &mut self.events).is_ok();
        let released = self.tape.trim();
        if read {
            self.fold_read();
        }
        (if read { FOLDED } else { 0 }) | (if released { RELEASED } else { 0 })
    }

    /// Segment codes at `now` (as `segmentCodes`) written into the exchange buffer; returns their address, or 0
    /// when `now` is invalid (the facade then calls `segmentCodes` for the error).
    #[wasm_bindgen(js_name = segmentCodesExchange)]
    pub fn segment_codes_exchange(&mut self, now: f64) -> usize {
        let Ok(now) = convert::now(now) else { return 0 };
        let (playbook, state) = (&self.playbook, &self.state);
        self.codes.fill(|out| crate::engine::write_segment_codes(playbook, state, now, out))
    }

    /// Folds events and returns the segment enter/exit deltas.
    pub fn update(&mut self, events: &[u8]) -> Result<JsValue, JsValue> {
        convert::events_into(events, &mut self.events)?;
        let deltas = self.state.fold_with_deltas(&self.playbook, &self.events);
        self.release_events();
        Ok(convert::to_js(&deltas)?)
    }

    /// The decision at `now` (epoch ms).
    pub fn decide(&self, now: f64) -> Result<JsValue, JsValue> {
        Ok(convert::to_js(&decide(&self.playbook, &self.state, convert::now(now)?))?)
    }

    /// Only the call to action at `now` (what `decide` would return as `cta`), or `null`: the cheap call for a
    /// page view at the edge.
    pub fn cta(&self, now: f64) -> Result<JsValue, JsValue> {
        Ok(convert::to_js(&rekindle_core::choose_cta(&self.playbook, &self.state, convert::now(now)?))?)
    }

    /// Segment truths at `now` as codes in `segmentIds()` order: 0 out, 1 in, 2 unknown.
    #[wasm_bindgen(js_name = segmentCodes)]
    pub fn segment_codes(&self, now: f64) -> Result<Vec<u8>, JsValue> {
        Ok(crate::engine::segment_codes(&self.playbook, &self.state, convert::now(now)?))
    }

    /// The latest event folded (epoch ms), or `undefined` for a contact nothing is known about: when the visitor
    /// was last seen, for `since_last_visit`.
    #[wasm_bindgen(js_name = updatedAt)]
    pub fn updated_at(&self) -> Option<f64> {
        self.state.updated_at().map(|t| t.ms() as f64)
    }

    /// The state's compact bytes (for a cookie, localStorage or a store).
    #[wasm_bindgen(js_name = toBytes)]
    pub fn to_bytes(&self) -> Vec<u8> {
        self.state.to_bytes()
    }

    /// Whether the state's bytes differ from the bytes it was opened from (a new contact's: from an empty state's):
    /// what decides whether a cookie or a stored copy must be written again. Bytes of an older layout count as
    /// changed, so writing them again upgrades them.
    pub fn changed(&self) -> bool {
        let now = self.state.to_bytes();
        match &self.opened {
            Some(bytes) => now != *bytes,
            None => now != ContactState::new().to_bytes(),
        }
    }

    /// A readable view of the state.
    pub fn inspect(&self) -> Result<JsValue, JsValue> {
        Ok(convert::to_js(&self.state.view(&self.playbook))?)
    }
}
