//! The widget's HTTP: create, read (plain or long poll), cancel, parsed into contract types or a
//! `Failure`; and the event stream's URL and message parsing.
//!
//! `fetch` straight from web-sys; JSON is parsed by the browser (`Response.json()`) and mapped by
//! `decode`, so neither a JSON parser nor an HTTP crate is bundled. Every request carries an
//! `AbortSignal` (unmount, timeout, superseded).

use js_sys::{Object, Reflect};
use wallet_checkout_protocol::{CreateSession, Session, Status};
use wasm_bindgen::{JsCast, JsValue};
use wasm_bindgen_futures::JsFuture;
use web_sys::{AbortSignal, RequestInit, Response};

use super::decode;
use crate::machine::Failure;

/// `POST /sessions` with its idempotency key. Requests are built here and sent by the one `send`
/// (one future type for every request keeps the wasm small).
pub fn create_session(
    endpoint: &str,
    body: &CreateSession,
    idempotency_key: &str,
) -> Result<(String, RequestInit), Failure> {
    let json = decode::create_body(body)
        .ok_or_else(|| Failure::network("could not encode the request"))?;
    let headers = Object::new();
    let _ = Reflect::set(&headers, &"Content-Type".into(), &"application/json".into());
    let _ = Reflect::set(&headers, &"Idempotency-Key".into(), &idempotency_key.into());
    let init = RequestInit::new();
    init.set_method("POST");
    init.set_headers(&headers);
    init.set_body(&JsValue::from_str(&json));
    Ok((format!("{endpoint}/sessions"), init))
}

fn session_url(endpoint: &str, id: &str) -> String {
    format!("{endpoint}/sessions/{}", js_sys::encode_uri_component(id))
}

/// `GET /sessions/{id}`; with `wait` a long poll until the session is no longer `status`.
pub fn read_session(
    endpoint: &str,
    id: &str,
    wait: Option<(u32, Status)>,
) -> (String, RequestInit) {
    let mut url = session_url(endpoint, id);
    if let Some((secs, status)) = wait {
        url.push_str(&format!("?wait={secs}&status={}", status.as_str()));
    }
    (url, RequestInit::new())
}

/// `POST /sessions/{id}/cancel`: the session as the server left it (`succeeded` if it was paid).
pub fn cancel_session(endpoint: &str, id: &str) -> (String, RequestInit) {
    let init = RequestInit::new();
    init.set_method("POST");
    (format!("{}/cancel", session_url(endpoint, id)), init)
}

/// The Server-Sent Events stream of a session.
pub fn events_url(endpoint: &str, id: &str) -> String {
    format!("{}/events", session_url(endpoint, id))
}

/// One `session` event's data, parsed by the browser's JSON parser.
pub fn session_from_event(data: &str) -> Result<Session, Failure> {
    let value = js_sys::JSON::parse(data)
        .map_err(|_| Failure::network("an event-stream message is not JSON"))?;
    decode::session(&value)
        .map_err(|e| Failure::network(format!("an event-stream message is not a session: {e}")))
}

fn describe(error: &JsValue) -> String {
    error
        .dyn_ref::<js_sys::Error>()
        .map(|e| String::from(e.message()))
        .unwrap_or_else(|| "no answer".into())
}

/// Sends a request built above; the answer as a session, or a `Failure`.
pub async fn send(url: &str, init: RequestInit, signal: &AbortSignal) -> Result<Session, Failure> {
    init.set_signal(Some(signal));
    let window = web_sys::window().ok_or_else(|| Failure::network("no window"))?;
    let sent = JsFuture::from(window.fetch_with_str_and_init(url, &init)).await;
    let response: Response = sent
        .and_then(|r| r.dyn_into())
        .map_err(|e| Failure::network(format!("request failed: {}", describe(&e))))?;
    let status = response.status();
    let json = match response.json() {
        Ok(promise) => JsFuture::from(promise).await.ok(),
        Err(_) => None,
    };
    let Some(json) = json else {
        return Err(Failure::network(format!(
            "the server's answer is not JSON (HTTP {status})"
        )));
    };
    if response.ok() {
        return decode::session(&json)
            .map_err(|e| Failure::network(format!("the server's answer is not a session: {e}")));
    }
    match decode::error_body(&json) {
        Ok((code, message)) => Err(Failure::api(code, format!("HTTP {status}: {message}"))),
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
