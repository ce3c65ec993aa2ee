//! The widget's HTTP: `POST /sessions` and the long poll, parsed into contract types or a `Failure`.
//!
//! JSON is parsed by the browser (`Response.json()`) and mapped with serde-wasm-bindgen, so no JSON
//! parser is bundled. Every request carries an `AbortSignal` (unmount, timeout, superseded).

use gloo_net::http::Request;
use wallet_checkout_protocol::{CreateSession, ErrorBody, Session, Status};
use wasm_bindgen::JsCast;
use wasm_bindgen_futures::JsFuture;
use web_sys::AbortSignal;

use crate::machine::Failure;

pub async fn create_session(
    endpoint: &str,
    body: &CreateSession,
    idempotency_key: &str,
    signal: &AbortSignal,
) -> Result<Session, Failure> {
    let json = serde_wasm_bindgen::to_value(body)
        .ok()
        .and_then(|v| js_sys::JSON::stringify(&v).ok())
        .and_then(|s| s.as_string())
        .ok_or_else(|| Failure::network("could not encode the request"))?;
    let request = Request::post(&format!("{endpoint}/sessions"))
        .header("Content-Type", "application/json")
        .header("Idempotency-Key", idempotency_key)
        .abort_signal(Some(signal))
        .body(json)
        .map_err(|e| Failure::network(e.to_string()))?;
    session_from(request.send().await).await
}

pub async fn read_session(
    endpoint: &str,
    id: &str,
    wait_secs: u32,
    status: Status,
    signal: &AbortSignal,
) -> Result<Session, Failure> {
    let url = format!(
        "{endpoint}/sessions/{}?wait={wait_secs}&status={}",
        js_sys::encode_uri_component(id),
        status.as_str()
    );
    session_from(Request::get(&url).abort_signal(Some(signal)).send().await).await
}

async fn session_from(
    sent: Result<gloo_net::http::Response, gloo_net::Error>,
) -> Result<Session, Failure> {
    let response = sent.map_err(|e| Failure::network(format!("request failed: {e}")))?;
    let status = response.status();
    let ok = response.ok();
    let raw: web_sys::Response = response.into();
    let json = match raw.json() {
        Ok(promise) => JsFuture::from(promise).await.ok(),
        Err(_) => None,
    };
    let Some(json) = json else {
        return Err(Failure::network(format!(
            "the server's answer is not JSON (HTTP {status})"
        )));
    };
    if ok {
        return serde_wasm_bindgen::from_value::<Session>(json)
            .map_err(|e| Failure::network(format!("the server's answer is not a session: {e}")));
    }
    match serde_wasm_bindgen::from_value::<ErrorBody>(json) {
        Ok(body) => Err(Failure::api(
            body.error.code,
            format!("HTTP {status}: {}", body.error.message),
        )),
        Err(_) => Err(Failure::network(format!(
            "HTTP {status} without the contract's error shape"
        ))),
    }
}

/// Resolves after `ms` milliseconds (a `setTimeout` promise).
pub async fn sleep(ms: u32) {
    let promise = js_sys::Promise::new(&mut |resolve, _| {
        if let Some(w) = web_sys::window() {
            let _ = w.set_timeout_with_callback_and_timeout_and_arguments_0(
                resolve.unchecked_ref(),
                ms as i32,
            );
        }
    });
    let _ = JsFuture::from(promise).await;
}
