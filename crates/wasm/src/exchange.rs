//! The exchange buffers: bytes in linear memory, owned by a held contact, that the facade writes an events tape
//! into and reads segment codes out of (`Contact.fold`, `Contact.segments`). The generic wasm-bindgen route costs,
//! per call, an allocation and a free for the argument, another pair for the result, a JS copy of the result and a
//! JS array for the two return values: on a one-event fold plus a membership read that was a tenth of the time
//! (`npm run bench`). Errors never travel this way: a call that fails returns a sentinel and the facade repeats it
//! through the ordinary export, which fails the same way (nothing changed) and throws the located error.

use wasm_bindgen::prelude::*;

/// The capacity an exchange buffer keeps between calls: a per-event tape is under 200 bytes, a page's batch a few KB.
const KEEP: usize = 64 * 1024;

/// Kept for its capacity between calls.
#[derive(Debug, Default)]
pub(crate) struct Exchange(Vec<u8>);

impl Exchange {
    /// Room for `len` bytes at the returned address. The bytes stay there until the next `room` asks for more or
    /// `trim` gives them back, so the facade can keep the address between calls (one call per event fewer).
    pub(crate) fn room(&mut self, len: usize) -> usize {
        if self.0.len() < len {
            self.0.resize(len, 0);
        }
        self.0.as_mut_ptr() as usize
    }

    /// The first `len` bytes the facade wrote.
    pub(crate) fn written(&self, len: usize) -> &[u8] {
        self.0.get(..len).unwrap_or_default()
    }

    /// Gives back a buffer a large batch grew past [`KEEP`] bytes: a long-held contact should not keep megabytes
    /// for the one call that needed them. True when it did (an address `room` returned is then no longer valid).
    pub(crate) fn trim(&mut self) -> bool {
        let large = self.0.capacity() > KEEP;
        if large {
            self.0 = Vec::new();
        }
        large
    }

    /// `write` fills the buffer from its start; returns the address.
    pub(crate) fn fill(&mut self, write: impl FnOnce(&mut Vec<u8>)) -> usize {
        self.0.clear();
        write(&mut self.0);
        self.0.as_mut_ptr() as usize
    }
}

/// The module's linear memory, for the facade's view of the exchange buffers.
#[wasm_bindgen(js_name = linearMemory)]
pub fn linear_memory() -> JsValue {
    wasm_bindgen::memory()
}
