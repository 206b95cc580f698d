//! `Keys`: the server side of signing (edge build only — a page must never hold a key): state cookies
//! (`rekindle_core::cookie`) and unsubscribe / preference tokens (`rekindle_core::token`). Hostile cookies and
//! tokens are expected at the edge, so opening and verifying answer `{ ok, … }` instead of throwing; only a
//! caller's mistake (bad arguments, a state too large to seal) throws.

use rekindle_core::token::{ContactRef, Keyring, Purpose, Token, Topic};
use rekindle_core::{ContactState, Error as CoreError, Timestamp};
use serde::Serialize;
use wasm_bindgen::prelude::*;

use crate::contact::JsContact;
use crate::convert;
use crate::engine::JsEngine;
use crate::error::Error;

/// Keys by key id, from the `kid:hexkey` lines of a Worker secret (JS class `Keys`); the last line signs.
#[wasm_bindgen(js_name = Keys)]
pub struct JsKeys {
    ring: Keyring,
    /// Why the last `openContact` refused its cookie, until `takeRefusal` takes it.
    refusal: std::cell::RefCell<Option<(&'static str, String)>>,
}

/// `{ ok: true, … }` or `{ ok: false, reason }`, as a plain object.
#[derive(Serialize)]
#[serde(rename_all = "camelCase")]
struct Opened<'a> {
    ok: bool,
    #[serde(skip_serializing_if = "Option::is_none")]
    reason: Option<&'static str>,
    #[serde(skip_serializing_if = "Option::is_none")]
    message: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    token: Option<&'a Token>,
}

fn refused(reason: &'static str, e: &CoreError) -> Result<JsValue, JsValue> {
    Ok(convert::to_js(&Opened { ok: false, reason: Some(reason), message: Some(e.to_string()), token: None })?)
}

#[wasm_bindgen(js_class = Keys)]
impl JsKeys {
    /// Parses `kid:hexkey` lines (comments with `#`); throws `E_INPUT_INVALID` naming the line.
    #[wasm_bindgen(constructor)]
    pub fn new(text: &str) -> Result<JsKeys, JsValue> {
        let ring = Keyring::parse(text).map_err(Error::from)?;
        if ring.is_empty() {
            return Err(
                Error::Input { at: "keys".into(), reason: "no key: expected lines of kid:hexkey".into() }.into()
            );
        }
        Ok(JsKeys { ring, refusal: std::cell::RefCell::new(None) })
    }

    /// The key ids, oldest first (the last one signs).
    pub fn ids(&self) -> Vec<String> {
        self.ring.ids().map(|k| k.as_str().to_owned()).collect()
    }

    /// A contact's state sealed for a cookie with the newest key, valid until `expires_at` (epoch ms).
    #[wasm_bindgen(js_name = sealState)]
    pub fn seal_state(&self, contact: &JsContact, expires_at: f64) -> Result<String, JsValue> {
        self.seal(contact.state(), expires_at)
    }

    /// Like `sealState`, from state bytes.
    #[wasm_bindgen(js_name = sealBytes)]
    pub fn seal_bytes(&self, state: Option<Vec<u8>>, expires_at: f64) -> Result<String, JsValue> {
        self.seal(&convert::state(state)?, expires_at)
    }

    /// The state bytes a cookie carries: `{ ok: true, state }` or `{ ok: false, reason, message }`.
    #[wasm_bindgen(js_name = openState)]
    pub fn open_state(&self, text: &str, now: f64) -> Result<JsValue, JsValue> {
        let now = convert::now(now)?;
        match self.ring.open_state_bytes(text, now) {
            Ok((_, state)) => {
                let out = js_sys::Object::new();
                let _ = js_sys::Reflect::set(&out, &"ok".into(), &JsValue::TRUE);
                let bytes = js_sys::Uint8Array::from(state.as_slice());
                let _ = js_sys::Reflect::set(&out, &"state".into(), &bytes);
                Ok(out.into())
            }
            Err(CoreError::InvalidCookie(e)) => refused(e.kind(), &CoreError::InvalidCookie(e.clone())),
            Err(e) => Err(Error::from(e).into()),
        }
    }

    /// A cookie opened straight into a contact held in wasm memory, read with `engine`'s playbook; a new visitor's
    /// contact when there is no cookie (`undefined`) or it is refused, and then why is kept for `takeRefusal`.
    /// The Worker's per-page path: the state never crosses to JS as bytes to be decoded a second time, and the
    /// answer is the contact alone (building a JS object here cost a call per key and value).
    #[wasm_bindgen(js_name = openContact)]
    pub fn open_contact(&self, engine: &JsEngine, text: Option<String>, now: f64) -> Result<JsContact, JsValue> {
        let now = convert::now(now)?;
        let (state, opened) = match text.as_deref() {
            None => (ContactState::new(), None),
            Some(text) => match self.ring.open_state_bytes(text, now) {
                Ok((state, bytes)) => (state, Some(bytes)),
                Err(CoreError::InvalidCookie(e)) => {
                    let reason = e.kind();
                    *self.refusal.borrow_mut() = Some((reason, CoreError::InvalidCookie(e).to_string()));
                    (ContactState::new(), None)
                }
                Err(e) => return Err(Error::from(e).into()),
            },
        };
        Ok(JsContact::new(std::rc::Rc::clone(engine.playbook()), state, opened))
    }

    /// `[reason, message]` of the refusal of the last `openContact`, once; `undefined` when nothing was refused
    /// since. The facade asks right after `openContact` (JS runs one call at a time).
    #[wasm_bindgen(js_name = takeRefusal)]
    pub fn take_refusal(&self) -> Option<Vec<String>> {
        self.refusal.borrow_mut().take().map(|(reason, message)| vec![reason.to_owned(), message])
    }

    /// A token signed with the newest key.
    #[wasm_bindgen(js_name = signToken)]
    pub fn sign_token(
        &self,
        purpose: &str,
        contact: &str,
        topic: Option<String>,
        issued_at: f64,
        expires_at: f64,
    ) -> Result<String, JsValue> {
        let purpose = Purpose::parse(purpose).map_err(|reason| Error::Input { at: "purpose".into(), reason })?;
        let contact = ContactRef::parse(contact).map_err(|reason| Error::Input { at: "contact".into(), reason })?;
        let topic = match topic {
            Some(t) => Some(Topic::parse(&t).map_err(|reason| Error::Input { at: "topic".into(), reason })?),
            None => None,
        };
        let issued_at = convert::instant(issued_at, "issuedAt")?;
        let expires_at = convert::instant(expires_at, "expiresAt")?;
        Ok(self.ring.sign_token(&Token { purpose, contact, topic, issued_at, expires_at }).map_err(Error::from)?)
    }

    /// `{ ok: true, token: { purpose, contact, topic, issuedAt, expiresAt } }` or `{ ok: false, reason, message }`.
    #[wasm_bindgen(js_name = verifyToken)]
    pub fn verify_token(&self, text: &str, now: f64, purpose: &str) -> Result<JsValue, JsValue> {
        let now = convert::now(now)?;
        let purpose = Purpose::parse(purpose).map_err(|reason| Error::Input { at: "purpose".into(), reason })?;
        match self.ring.verify_token(text, now, purpose) {
            Ok(token) => Ok(convert::to_js(&Opened { ok: true, reason: None, message: None, token: Some(&token) })?),
            Err(CoreError::InvalidToken(e)) => refused(e.kind(), &CoreError::InvalidToken(e.clone())),
            Err(e) => Err(Error::from(e).into()),
        }
    }
}

impl JsKeys {
    fn seal(&self, state: &ContactState, expires_at: f64) -> Result<String, JsValue> {
        let expires_at: Timestamp = convert::instant(expires_at, "expiresAt")?;
        Ok(self.ring.seal_state(state, expires_at).map_err(Error::from)?)
    }
}
