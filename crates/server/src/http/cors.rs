//! CORS for the checkout API alone (`[checkout] allowed_origins`): a shop whose pages are on another
//! origin than the server calls `/api/checkout/…` (event streams included) from the shopper's
//! browser. Only the listed exact origins get CORS headers; any other origin, `null` included, gets
//! none at all (so the browser refuses it), and credentials are never allowed: the checkout API
//! needs no cookie. The admin API and the iframe page never pass through here.
//!
//! Written out rather than `tower_http::cors`, whose preflight answer carries the methods, headers
//! and max-age to every origin: the contract says another origin gets no CORS header.

use std::sync::Arc;

use axum::extract::{Request, State};
use axum::http::header::{
    ACCESS_CONTROL_ALLOW_HEADERS, ACCESS_CONTROL_ALLOW_METHODS, ACCESS_CONTROL_ALLOW_ORIGIN,
    ACCESS_CONTROL_MAX_AGE, ACCESS_CONTROL_REQUEST_HEADERS, ACCESS_CONTROL_REQUEST_METHOD, ORIGIN,
    VARY,
};
use axum::http::{HeaderValue, Method, StatusCode};
use axum::middleware::Next;
use axum::response::{IntoResponse, Response};

/// What a preflight allows: the widget's methods and the headers it sends.
const METHODS: &str = "GET, POST";
const HEADERS: &str = "content-type, idempotency-key";
/// How long a browser may keep a preflight's answer (10 minutes; Chromium keeps at most 2 hours).
const MAX_AGE: &str = "600";

/// The origins allowed, exactly as a browser writes them (`https://shop.example`, no path).
#[derive(Debug, Clone, Default)]
pub struct AllowedOrigins(pub Arc<Vec<String>>);

impl AllowedOrigins {
    fn allows(&self, origin: &str) -> bool {
        self.0.iter().any(|o| o == origin)
    }
}

/// The layer's function: answers an allowed origin's preflight itself, adds the allowed origin to
/// every other answer, and `Vary: Origin` to all (a cache must not give one origin's answer to another).
pub async fn cors(State(allowed): State<AllowedOrigins>, req: Request, next: Next) -> Response {
    let origin = req
        .headers()
        .get(ORIGIN)
        .and_then(|v| v.to_str().ok())
        .filter(|o| allowed.allows(o))
        .and_then(|o| HeaderValue::from_str(o).ok());
    let preflight = req.method() == Method::OPTIONS
        && req.headers().contains_key(ACCESS_CONTROL_REQUEST_METHOD);
    if preflight {
        if let Some(origin) = origin.clone().filter(|_| asks_only_what_we_allow(&req)) {
            let mut res = StatusCode::NO_CONTENT.into_response();
            let h = res.headers_mut();
            h.insert(ACCESS_CONTROL_ALLOW_ORIGIN, origin);
            h.insert(
                ACCESS_CONTROL_ALLOW_METHODS,
                HeaderValue::from_static(METHODS),
            );
            h.insert(
                ACCESS_CONTROL_ALLOW_HEADERS,
                HeaderValue::from_static(HEADERS),
            );
            h.insert(ACCESS_CONTROL_MAX_AGE, HeaderValue::from_static(MAX_AGE));
            h.append(VARY, HeaderValue::from_static("Origin"));
            return res;
        }
    }
    let mut res = next.run(req).await;
    let h = res.headers_mut();
    h.append(VARY, HeaderValue::from_static("Origin"));
    if let Some(origin) = origin {
        h.insert(ACCESS_CONTROL_ALLOW_ORIGIN, origin);
    }
    res
}

/// A preflight for GET or POST with no header beyond the widget's.
fn asks_only_what_we_allow(req: &Request) -> bool {
    let headers = req.headers();
    let method_ok = headers
        .get(ACCESS_CONTROL_REQUEST_METHOD)
        .and_then(|v| v.to_str().ok())
        .is_some_and(|m| m == "GET" || m == "POST");
    let headers_ok = headers
        .get_all(ACCESS_CONTROL_REQUEST_HEADERS)
        .iter()
        .all(|v| {
            v.to_str().is_ok_and(|list| {
                list.split(',')
                    .map(|h| h.trim().to_ascii_lowercase())
                    .filter(|h| !h.is_empty())
                    .all(|h| h == "content-type" || h == "idempotency-key")
            })
        });
    method_ok && headers_ok
}
