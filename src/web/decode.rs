//! The browser's parsed JSON (`Response.json()`, `JSON.parse`) as the contract codec's tree: `JsValue`
//! implements `codec::JsonIn` and `codec::JsonOut`, so the wasm reads and writes every message with
//! the code the host tests check against the serde types (`crates/protocol/src/codec.rs`). No JSON
//! parser and no serde in the wasm.

use js_sys::{Object, Reflect};
use wallet_checkout_protocol::codec::{self, JsonIn, JsonOut, Parsed};
use wallet_checkout_protocol::{Action, CreateSession, ErrorCode, Session};
use wasm_bindgen::{JsCast, JsValue};

/// The browser's JSON value, under a name of ours (the codec's traits are foreign to `JsValue`).
#[derive(Debug, Clone)]
pub struct Js(pub JsValue);

impl JsonIn for Js {
    fn field(&self, key: &str) -> Option<Js> {
        if !self.0.is_object() {
            return None;
        }
        let v = Reflect::get(&self.0, &JsValue::from_str(key)).ok()?;
        (!v.is_undefined() && !v.is_null()).then_some(Js(v))
    }
    fn string(&self) -> Option<String> {
        self.0.as_string()
    }
    fn number(&self) -> Option<f64> {
        self.0.as_f64()
    }
    fn is_object(&self) -> bool {
        self.0.is_object() && !js_sys::Array::is_array(&self.0)
    }
    fn keys(&self) -> Vec<String> {
        match self.0.dyn_ref::<Object>() {
            Some(o) => Object::keys(o)
                .iter()
                .filter_map(|k| k.as_string())
                .collect(),
            None => Vec::new(),
        }
    }
}

impl JsonOut for Js {
    fn object() -> Js {
        Js(Object::new().into())
    }
    fn string(s: &str) -> Js {
        Js(JsValue::from_str(s))
    }
    fn number(n: f64) -> Js {
        Js(JsValue::from_f64(n))
    }
    fn boolean(b: bool) -> Js {
        Js(JsValue::from_bool(b))
    }
    fn set(&mut self, key: &str, value: Js) {
        let _ = Reflect::set(&self.0, &JsValue::from_str(key), &value.0);
    }
}

/// A session as the contract shapes it.
pub fn session(v: &JsValue) -> Parsed<Session> {
    codec::session(&Js(v.clone()))
}

/// The contract's error body; an unknown code is kept as `Unknown`.
pub fn error_body(v: &JsValue) -> Parsed<(ErrorCode, String)> {
    codec::error_body(&Js(v.clone()))
}

/// `POST /sessions`'s body as JSON text.
pub fn create_body(body: &CreateSession) -> Option<String> {
    let Js(obj) = codec::create_body(body);
    js_sys::JSON::stringify(&obj).ok()?.as_string()
}

pub fn action_to_js(action: &Action) -> JsValue {
    codec::action_out::<Js>(action).0
}

/// The session for the merchant's callbacks and events, in the contract's own shape.
pub fn session_to_js(s: &Session) -> JsValue {
    codec::session_out::<Js>(s).0
}
