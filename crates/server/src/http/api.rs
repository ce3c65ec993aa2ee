//! The checkout endpoints: create a session, read it (long poll or Server-Sent Events), cancel it.
//! Each handler extracts, calls `checkout`, and responds; the rules live in `checkout.rs`.
//!
//! The amount always comes from `OrderSource`, never from the request. A retry with the same
//! `Idempotency-Key` gets the same session, never a second gateway order.

use std::time::Duration as StdDuration;

use axum::extract::{Path, Query, State};
use axum::http::{HeaderMap, StatusCode};
use axum::response::sse::{Event as SseEvent, KeepAlive, Sse};
use axum::routing::{get, post};
use axum::{Json, Router};
use serde::Deserialize;
use wallet_checkout_protocol::{CreateSession, Session, Status, MAX_WAIT_SECS};

use crate::checkout::{self, Created, NewSession};
use crate::core::clock::parse_rfc3339;
use crate::core::ids::SessionId;
use crate::http::error::{not_found, ApiError, ApiJson};
use crate::AppState;

/// Every answer carries `Cache-Control: no-store`: a session is never kept by a browser or a proxy.
pub fn router() -> Router<AppState> {
    Router::new()
        .route("/sessions", post(create))
        .route("/sessions/{id}", get(read))
        .route("/sessions/{id}/events", get(events))
        .route("/sessions/{id}/cancel", post(cancel))
        .fallback(not_found)
        .layer(tower_http::set_header::SetResponseHeaderLayer::overriding(
            axum::http::header::CACHE_CONTROL,
            axum::http::HeaderValue::from_static("no-store"),
        ))
}

/// Past `[limits] streams_per_session`.
fn too_many_waiters(_: crate::core::hub::Full) -> ApiError {
    ApiError::rate_limited(
        5,
        "too many event streams and long polls on this session; close one or try again",
    )
}

async fn create(
    State(state): State<AppState>,
    extensions: axum::http::Extensions,
    headers: HeaderMap,
    ApiJson(req): ApiJson<CreateSession>,
) -> Result<(StatusCode, Json<Session>), ApiError> {
    // The shopper's address: the peer's, or `X-Forwarded-For` from a trusted proxy only.
    let client = state
        .limits
        .client_ip(crate::http::serve::peer(&extensions), &headers);
    let idempotency_key = crate::http::error::idempotency_key(&headers)?;
    let client_ip = client.map(|ip| ip.to_string());
    let asked = NewSession {
        order: req.order,
        wallet: req.wallet,
        flow: req.flow,
        payment_code: req
            .payment_code
            .map(crate::core::payment_code::PaymentCode::given),
        in_store: req.in_store,
        return_url: req.return_url,
        idempotency_key,
        client_ip,
        client_secret: req.client_secret,
    };
    Ok(match checkout::create(&state, asked).await? {
        Created::New(s) => (StatusCode::CREATED, Json(s)),
        Created::Replayed(s) => (StatusCode::OK, Json(s)),
    })
}

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
struct ReadQuery {
    wait: Option<u64>,
    status: Option<Status>,
}

async fn read(
    State(state): State<AppState>,
    Path(id): Path<SessionId>,
    query: Result<Query<ReadQuery>, axum::extract::rejection::QueryRejection>,
) -> Result<Json<Session>, ApiError> {
    let Query(q) = query?;
    let wait = q.wait.unwrap_or(0).min(MAX_WAIT_SECS);
    let Some(waiting_on) = q.status.filter(|_| wait > 0) else {
        return Ok(Json(checkout::read(&state, &id).await?));
    };
    // Subscribe before reading, so a change between the read and the wait is not missed.
    let mut changes = state.hub.subscribe(&id).map_err(too_many_waiters)?;
    let session = checkout::read(&state, &id).await?;
    if session.status != waiting_on {
        return Ok(Json(session));
    }
    // Wake at the latest when the session would expire, so the client hears of it at once.
    let mut budget = StdDuration::from_secs(wait);
    if let Some(exp) = parse_rfc3339(&session.expires_at) {
        let left = exp - state.clock.now();
        if session.status == Status::Pending && left.is_positive() {
            budget = budget.min(StdDuration::from_millis(
                left.whole_milliseconds().unsigned_abs() as u64 + 50,
            ));
        }
    }
    let _ = tokio::time::timeout(budget, changes.changed()).await;
    drop(changes);
    Ok(Json(checkout::read(&state, &id).await?))
}

/// Server-Sent Events: one `session` event at once, then one per change; the stream ends after a
/// final status, or with a `: closing` comment when the server shuts down (the widget reconnects).
/// Comments every 15 s keep proxies from closing an idle stream.
async fn events(
    State(state): State<AppState>,
    Path(id): Path<SessionId>,
) -> Result<impl axum::response::IntoResponse, ApiError> {
    // Subscribe before the first read, so no change between the two is missed.
    let waiter = state.hub.subscribe(&id).map_err(too_many_waiters)?;
    let first = checkout::read(&state, &id).await?;
    struct Stream {
        state: AppState,
        id: String,
        waiter: crate::core::hub::Waiter,
        next: Option<Session>,
        last: Option<Session>,
    }
    let start = Stream {
        state,
        id: id.to_string(),
        waiter,
        next: Some(first),
        last: None,
    };
    let stream = futures_util::stream::unfold(Some(start), |st| async move {
        let mut st = st?;
        loop {
            if let Some(session) = st.next.take() {
                let event = SseEvent::default()
                    .event("session")
                    .json_data(&session)
                    .unwrap_or_else(|_| SseEvent::default().comment("unencodable session"));
                let done = session.status.is_final();
                st.last = Some(session);
                return Some((
                    Ok::<_, std::convert::Infallible>(event),
                    (!done).then_some(st),
                ));
            }
            st.waiter.changed().await;
            if st.state.hub.is_closing() {
                let last =
                    SseEvent::default().comment("closing: the server is restarting; reconnect");
                return Some((Ok(last), None));
            }
            match checkout::read(&st.state, &SessionId::from(&st.id)).await {
                Ok(session) => {
                    if st.last.as_ref() != Some(&session) {
                        st.next = Some(session);
                    }
                }
                // The store failed or lost the session: end the stream; the widget falls back to reads.
                Err(_) => return None,
            }
        }
    });
    // Tells nginx-style proxies not to buffer the stream (the widget falls back if one does).
    Ok((
        [("X-Accel-Buffering", "no")],
        Sse::new(stream).keep_alive(KeepAlive::default()),
    ))
}

/// Only with `Content-Type: application/json` (the widget sends it; a plain form on another site
/// cannot), else `415`; the body may be `{}` or empty.
async fn cancel(
    State(state): State<AppState>,
    Path(id): Path<SessionId>,
    headers: HeaderMap,
) -> Result<Json<Session>, ApiError> {
    let json = headers
        .get(axum::http::header::CONTENT_TYPE)
        .and_then(|v| v.to_str().ok())
        .and_then(|v| v.split(';').next())
        .is_some_and(|v| v.trim().eq_ignore_ascii_case("application/json"));
    if !json {
        return Err(ApiError::new(
            StatusCode::UNSUPPORTED_MEDIA_TYPE,
            wallet_checkout_protocol::ErrorCode::InvalidRequest,
            "cancel needs Content-Type: application/json",
        ));
    }
    Ok(Json(checkout::cancel(&state, &id).await?))
}
