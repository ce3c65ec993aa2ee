//! The widget's HTTP: create, read (plain or long poll), cancel, parsed into contract types or a
//! `Failure`; and the event stream's URL and message parsing.
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

fn session_url(endpoint: &str, id: &str) -> String {
    format!("{endpoint}/sessions/{}", js_sys::encode_uri_component(id))
}

/// `GET /sessions/{id}`; with `wait` a long poll until the session is no longer `status`.
pub async fn read_session(
    endpoint: &str,
    id: &str,
    wait: Option<(u32, Status)>,
    signal: &AbortSignal,
) -> Result<Session, Failure> {
    let mut url = session_url(endpoint, id);
    if let Some((secs, status)) = wait {
        url.push_str(&format!("?wait={secs}&status={}", status.as_str()));
    }
    session_from(Request::get(&url).abort_signal(Some(signal)).send().await).await
}

/// `POST /sessions/{id}/cancel`: the session as the server left it (`succeeded` if it was paid).
pub async fn cancel_session(
    endpoint: &str,
    id: &str,
    signal: &AbortSignal,
) -> Result<Session, Failure> {
    let url = format!("{}/cancel", session_url(endpoint, id));
    session_from(Request::post(&url).abort_signal(Some(signal)).send().await).await
}

/// The Server-Sent Events stream of a session.
pub fn events_url(endpoint: &str, id: &str) -> String {
    format!("{}/events", session_url(endpoint, id))
}

/// One `session` event's data, parsed by the browser's JSON parser.
pub fn session_from_event(data: &str) -> Result<Session, Failure> {
    js_sys::JSON::parse(data)
        .ok()
        .and_then(|v| serde_wasm_bindgen::from_value::<Session>(v).ok())
        .ok_or_else(|| Failure::network("an event-stream message is not a session"))
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
