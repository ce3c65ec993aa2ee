//! The benchmark's peer: a plain axum server with nothing of ours in it, measured by `cargo xtask
//! bench` in the same run, on the same core, with the same load generator as the checkout server.
//! It answers `GET /api/checkout/sessions/{id}` with the same session JSON from an in-memory map and
//! `GET /api/checkout/sessions/{id}/events` with axum's own `Sse` (one event, then idle with axum's
//! default keep-alive, as axum's SSE example does). `PEER_SESSION` holds the session's JSON (as our
//! server answered it); the address is printed as `running at http://…`.
//! Run: `PEER_SESSION='{"id":"cs_1",…}' cargo run -p wallet-checkout-server --example axum_peer`.

use std::collections::HashMap;
use std::convert::Infallible;
use std::sync::{Arc, RwLock};

use axum::extract::{Path, State};
use axum::http::StatusCode;
use axum::response::sse::{Event, KeepAlive, Sse};
use axum::response::IntoResponse;
use axum::routing::get;
use axum::{Json, Router};
use futures_util::stream::{self, Stream, StreamExt};
use serde_json::Value;

type Sessions = Arc<RwLock<HashMap<String, Value>>>;

async fn status(State(map): State<Sessions>, Path(id): Path<String>) -> impl IntoResponse {
    let found = map.read().ok().and_then(|m| m.get(&id).cloned());
    match found {
        Some(session) => Json(session).into_response(),
        None => StatusCode::NOT_FOUND.into_response(),
    }
}

async fn events(
    State(map): State<Sessions>,
    Path(id): Path<String>,
) -> Sse<impl Stream<Item = Result<Event, Infallible>>> {
    let found = map.read().ok().and_then(|m| m.get(&id).cloned());
    let first = Event::default()
        .event("session")
        .json_data(found.unwrap_or(Value::Null))
        .unwrap_or_default();
    let events = stream::once(async move { Ok(first) }).chain(stream::pending());
    Sse::new(events).keep_alive(KeepAlive::default())
}

#[tokio::main]
async fn main() {
    let session: Value = std::env::var("PEER_SESSION")
        .ok()
        .and_then(|s| serde_json::from_str(&s).ok())
        .unwrap_or_else(|| serde_json::json!({ "id": "cs_peer", "status": "pending" }));
    let id = session
        .get("id")
        .and_then(Value::as_str)
        .unwrap_or("cs_peer")
        .to_owned();
    let map: Sessions = Arc::new(RwLock::new(HashMap::from([(id, session)])));
    let app = Router::new()
        .route("/api/checkout/sessions/{id}", get(status))
        .route("/api/checkout/sessions/{id}/events", get(events))
        .with_state(map);
    let addr = std::env::var("PEER_LISTEN").unwrap_or_else(|_| "127.0.0.1:0".into());
    let listener = match tokio::net::TcpListener::bind(&addr).await {
        Ok(l) => l,
        Err(e) => {
            eprintln!("axum_peer: cannot listen on {addr}: {e}");
            std::process::exit(1);
        }
    };
    if let Ok(bound) = listener.local_addr() {
        println!("axum peer running at http://{bound}");
    }
    if let Err(e) = axum::serve(listener, app).await {
        eprintln!("axum_peer: {e}");
        std::process::exit(1);
    }
}
