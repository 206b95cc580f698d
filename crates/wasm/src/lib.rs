//! rekindle-wasm: the low-level wasm-bindgen API over `rekindle-core`.
//!
//! Bindings translate; they do not decide: every export converts its JS arguments, calls one core function
//! and converts the result. The hand-written facade in `pkg/` wraps this module; users never import it.
//! Three builds come from this crate: `edge` (workerd), `node` (`--features import,retention`: edge plus the vendor
//! adapters and retention analytics) and `web` (`--features browser`: storage, no signing).

mod contact;
mod convert;
mod engine;
mod error;
mod exchange;
mod tape;

#[cfg(feature = "browser")]
mod browser;
#[cfg(feature = "import")]
mod import;
#[cfg(feature = "retention")]
mod retention;
// Keys never belong in a page: signing is in the edge build (Node, workerd) only.
#[cfg(not(feature = "browser"))]
mod signing;

pub use contact::JsContact;
pub use engine::JsEngine;

/// Which build this is, for messages that tell a user why a call is refused here.
#[cfg(not(all(feature = "playbook-json", feature = "playbook-compiled")))]
pub(crate) const FLAVOUR: &str = if cfg!(feature = "browser") {
    "browser"
} else if cfg!(feature = "import") {
    "Node"
} else {
    "edge"
};
pub use error::Error;

use wasm_bindgen::prelude::*;

/// talc instead of Rust's default dlmalloc: 6.9 KB raw / 2.9 KB gzip smaller edge module, for 1–7 % more time
/// per call in `npm run bench` (measured in one process, interleaved, 2026-11-26): the size budget is the
/// tighter limit.
#[cfg(all(target_family = "wasm", not(target_feature = "atomics")))]
#[global_allocator]
static TALC: talc::wasm::WasmDynamicTalc = talc::wasm::new_wasm_dynamic_allocator();

/// Every stable error code, in documentation order (the facade's `ERROR_CODES`).
#[wasm_bindgen(js_name = errorCodes)]
pub fn error_codes() -> Vec<String> {
    rekindle_core::ErrorCode::ALL.iter().map(|c| c.as_str().to_owned()).collect()
}

/// The crate version, e.g. `"0.1.0"`.
#[wasm_bindgen]
pub fn version() -> String {
    env!("CARGO_PKG_VERSION").to_owned()
}
