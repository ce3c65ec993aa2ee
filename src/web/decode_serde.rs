//! The `serde-codec` feature's `decode`: the same functions as `decode.rs` through serde +
//! serde-wasm-bindgen, built only by `cargo xtask bench codec` to weigh that route against the codec.
use serde::Serialize;
use wallet_checkout_protocol::codec::Parsed;
use wallet_checkout_protocol::{Action, CreateSession, ErrorBody, ErrorCode, Session};
use wasm_bindgen::JsValue;

pub fn session(v: &JsValue) -> Parsed<Session> {
    serde_wasm_bindgen::from_value(v.clone()).map_err(|e| e.to_string())
}
pub fn error_body(v: &JsValue) -> Parsed<(ErrorCode, String)> {
    let b: ErrorBody = serde_wasm_bindgen::from_value(v.clone()).map_err(|e| e.to_string())?;
    Ok((b.error.code, b.error.message))
}
fn out<T: Serialize>(t: &T) -> JsValue {
    t.serialize(&serde_wasm_bindgen::Serializer::json_compatible())
        .unwrap_or(JsValue::NULL)
}
pub fn create_body(body: &CreateSession) -> Option<String> {
    js_sys::JSON::stringify(&out(body)).ok()?.as_string()
}
pub fn action_to_js(action: &Action) -> JsValue {
    out(action)
}
pub fn session_to_js(s: &Session) -> JsValue {
    out(s)
}
