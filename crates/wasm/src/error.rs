//! The bindings' error: a core error, or a JS value that could not be read. Converted to a real JS `Error`
//! with `name = "RekindleError"`, a stable `code`, the `path` and `details` — never a thrown string.

use js_sys::{Array, Object, Reflect};
use rekindle_core::ErrorCode;
use wasm_bindgen::JsValue;

/// What a binding call can fail with.
#[derive(Debug)]
pub enum Error {
    /// An error from core (playbook, input, state).
    Core(rekindle_core::Error),
    /// A JS value that does not have the expected shape.
    Input {
        /// Where, e.g. `now` or `state`.
        at: String,
        /// What was expected and what arrived.
        reason: String,
    },
}

impl From<rekindle_core::Error> for Error {
    fn from(e: rekindle_core::Error) -> Self {
        Error::Core(e)
    }
}

fn set(target: &JsValue, key: &str, value: &JsValue) {
    // Reflect.set only fails on frozen or proxy targets; ours are fresh objects, so the result carries nothing.
    let _ = Reflect::set(target, &JsValue::from_str(key), value);
}

impl From<Error> for JsValue {
    fn from(e: Error) -> JsValue {
        let (code, message, path, problems) = match &e {
            Error::Core(core) => (core.code(), core.to_string(), core.path(), core.problems()),
            Error::Input { at, reason } => {
                (ErrorCode::InputInvalid, format!("{at}: {reason}"), Some(at.clone()), &[][..])
            }
        };
        let err: JsValue = js_sys::Error::new(&message).into();
        set(&err, "name", &JsValue::from_str("RekindleError"));
        set(&err, "code", &JsValue::from_str(code.as_str()));
        set(&err, "path", &path.map_or(JsValue::UNDEFINED, |p| JsValue::from_str(&p)));
        if !problems.is_empty() {
            let list = Array::new();
            for p in problems {
                let item: JsValue = Object::new().into();
                set(&item, "path", &JsValue::from_str(&p.path));
                set(&item, "code", &JsValue::from_str(p.code.as_str()));
                set(&item, "message", &JsValue::from_str(&p.message));
                list.push(&item);
            }
            let details: JsValue = Object::new().into();
            set(&details, "problems", &list);
            set(&err, "details", &details);
        }
        err
    }
}
