//! The widget's HTTP, as data: the contract's requests (create, read or long poll, cancel, the event
//! stream's URL) for the shell to send, and the shell's reports read back into contract types or a
//! `Failure`.
//!
//! The shell (`www/shell.js`) does the `fetch`, and the browser parses the JSON (`Response.json()`);
//! `decode` maps it, so neither a JSON parser nor an HTTP crate is bundled.

use js_sys::Reflect;
use wallet_checkout_protocol::{CreateSession, Session, Status};
use wasm_bindgen::JsValue;

use super::decode;
use crate::machine::Failure;

/// One request for the shell: `body` (JSON) always travels with its idempotency key.
#[derive(Debug)]
pub struct Request {
    pub method: &'static str,
    pub url: String,
    pub body: Option<String>,
    pub key: Option<String>,
}

/// `POST /sessions` with its idempotency key.
pub fn create_session(
    endpoint: &str,
    body: &CreateSession,
    idempotency_key: String,
) -> Result<Request, Failure> {
    let json = decode::create_body(body)
        .ok_or_else(|| Failure::network("could not encode the request"))?;
    Ok(Request {
        method: "POST",
        url: format!("{endpoint}/sessions"),
        body: Some(json),
        key: Some(idempotency_key),
    })
}

fn session_url(endpoint: &str, id: &str) -> String {
    format!("{endpoint}/sessions/{}", js_sys::encode_uri_component(id))
}

fn without_body(method: &'static str, url: String) -> Request {
    Request {
        method,
        url,
        body: None,
        key: None,
    }
}

/// `GET /sessions/{id}`; with `wait` a long poll until the session is no longer `status`.
pub fn read_session(endpoint: &str, id: &str, wait: Option<(u32, Status)>) -> Request {
    let mut url = session_url(endpoint, id);
    if let Some((secs, status)) = wait {
        url.push_str(&format!("?wait={secs}&status={}", status.as_str()));
    }
    without_body("GET", url)
}

/// `POST /sessions/{id}/cancel` with `{}` as JSON (the server refuses any other content type, so a
/// form on another site cannot cancel): the session as the server left it (`succeeded` if paid).
pub fn cancel_session(endpoint: &str, id: &str) -> Request {
    Request {
        method: "POST",
        url: format!("{}/cancel", session_url(endpoint, id)),
        body: Some("{}".into()),
        key: None,
    }
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

fn number(obj: &JsValue, key: &str) -> Option<u32> {
    let n = Reflect::get(obj, &JsValue::from_str(key)).ok()?.as_f64()?;
    // Integers the shell measured or the browser reported; anything else is not an answer.
    (n >= 0.0 && n <= f64::from(u32::MAX)).then_some(n as u32)
}

/// The shell's report on a request (`{ status, json, ms }` or `{ failed }`): the session and how long
/// the server held the request, or a `Failure` that says what went wrong.
pub fn answer(report: &JsValue) -> Result<(Session, u32), Failure> {
    if let Some(why) = Reflect::get(report, &JsValue::from_str("failed"))
        .ok()
        .and_then(|v| v.as_string())
    {
        return Err(Failure::network(why));
    }
    let (Some(status), Some(ms)) = (number(report, "status"), number(report, "ms")) else {
        return Err(Failure::network("no answer"));
    };
    let json = Reflect::get(report, &JsValue::from_str("json")).unwrap_or(JsValue::UNDEFINED);
    if json.is_undefined() {
        return Err(Failure::network(format!(
            "the server's answer is not JSON (HTTP {status})"
        )));
    }
    if (200..300).contains(&status) {
        return decode::session(&json)
            .map(|s| (s, ms))
            .map_err(|e| Failure::network(format!("the server's answer is not a session: {e}")));
    }
    match decode::error_body(&json) {
        Ok((code, message)) => Err(Failure::api(code, format!("HTTP {status}: {message}"))),
        Err(_) => Err(Failure::network(format!(
            "HTTP {status} without the contract's error shape"
        ))),
    }
}
