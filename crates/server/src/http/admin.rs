//! The admin API, the shop's backend's side: orders and refunds. Authenticated with a bearer token
//! from the environment (at least 32 characters), and refused to anything that looks like a browser
//! (`Origin`, `Sec-Fetch-Site` or `Sec-Fetch-Dest`), so a shopper's page can never reach it even on
//! the same origin. `Sec-Fetch-Mode` alone is allowed: Node's own `fetch` sends it from a backend.
//!
//! `PUT /admin/orders/{reference}` stores the shop's order (`201` new, `200` updated, `409 order_locked`
//! for a new amount once a session exists); `GET /admin/orders/{reference}` shows it with its sessions;
//! `GET /admin/events?after=&limit=` lists the events (webhooks) oldest first, for a shop catching up.
//! `POST /admin/sessions/{id}/refunds` `{ "amount": 500?, "reason": "…"? }` refunds in full (no amount)
//! or in part, never beyond what was paid; `GET /admin/sessions/{id}/refunds`; `GET /admin/refunds/{id}`
//! asks the gateway for a refund still processing.

use axum::body::Bytes;
use axum::extract::{Path, State};
use axum::http::{HeaderMap, StatusCode};
use axum::routing::{get, post, put};
use axum::{Json, Router};
use serde::Deserialize;
use wallet_checkout_protocol::ErrorCode;

use crate::checkout;
use crate::core::ids::{OrderRef, RefundId, SessionId};
use crate::gateway::constant_time_eq;
use crate::http::error::{ApiError, ApiJson};
use crate::orders::{OrderView, PutOrder};
use crate::store::RefundRecord;
use crate::AppState;
use sha2::Digest;

/// Every route behind `guard`, which runs before any extractor: a browser or a wrong token is
/// refused before the body is even parsed.
pub fn router(state: AppState) -> Router<AppState> {
    Router::new()
        .route("/admin/orders/{reference}", put(put_order).get(get_order))
        .route("/admin/events", get(list_events))
        .route("/admin/sessions/{id}/refunds", post(create).get(list))
        .route("/admin/refunds/{id}", get(read))
        .route("/metrics", get(metrics))
        .route_layer(axum::middleware::from_fn_with_state(state, guard))
}

async fn guard(
    State(state): State<AppState>,
    req: axum::extract::Request,
    next: axum::middleware::Next,
) -> axum::response::Response {
    use axum::response::IntoResponse;
    match authorize(&state, req.headers()) {
        Ok(()) => next.run(req).await,
        Err(e) => e.into_response(),
    }
}

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
struct CreateRefund {
    /// Minor units of the session's currency; the whole remainder when absent.
    amount: Option<u64>,
    #[serde(default)]
    reason: Option<String>,
}

/// Headers only a browser sends with every request. Not `Sec-Fetch-Mode`: Node's built-in `fetch`
/// (undici) sends `sec-fetch-mode: cors` from a shop's backend, and must not be refused.
const BROWSER_ONLY: [&str; 3] = ["origin", "sec-fetch-site", "sec-fetch-dest"];

fn forbidden(message: &str) -> ApiError {
    ApiError::new(StatusCode::FORBIDDEN, ErrorCode::InvalidRequest, message)
}

fn authorize(state: &AppState, headers: &HeaderMap) -> Result<(), ApiError> {
    let Some(token) = state.admin_token.as_deref() else {
        return Err(ApiError::new(
            StatusCode::NOT_FOUND,
            ErrorCode::InvalidRequest,
            "no admin API is configured",
        ));
    };
    if headers.contains_key("origin") || BROWSER_ONLY.iter().any(|h| headers.contains_key(*h)) {
        return Err(forbidden("the admin API is not reachable from a browser"));
    }
    let given = headers
        .get("authorization")
        .and_then(|v| v.to_str().ok())
        .and_then(|v| v.strip_prefix("Bearer "))
        .unwrap_or_default();
    // Digests of both, compared without an early exit: neither the token nor its length leaks.
    let digest = |t: &str| sha2::Sha256::digest(t.as_bytes());
    if !constant_time_eq(&digest(given), &digest(token)) {
        tracing::warn!("admin request with a wrong or missing token");
        return Err(ApiError::new(
            StatusCode::UNAUTHORIZED,
            ErrorCode::Unauthorized,
            "a valid bearer token is required: Authorization: Bearer <the token in the variable [admin] token_env names>",
        ));
    }
    Ok(())
}

/// `GET /metrics`: the Prometheus text format, with the gauges read now (the webhook backlog's age).
async fn metrics(State(state): State<AppState>) -> Result<axum::response::Response, ApiError> {
    use axum::response::IntoResponse;
    let now = state.clock.now();
    let m = crate::core::metrics::metrics();
    // A store that cannot be read leaves the gauge as it was: the metrics (store errors among them)
    // are most wanted exactly then.
    match checkout::oldest_undelivered_age(&state, now).await {
        Ok(oldest) => {
            m.webhook_oldest_undelivered.set(oldest);
        }
        Err(e) => {
            tracing::warn!(error = %e.message, "metrics: the webhook backlog's age is unknown")
        }
    }
    let text = m
        .encode(now.unix_timestamp())
        .map_err(|_| ApiError::internal("metrics cannot be written"))?;
    Ok((
        [(
            axum::http::header::CONTENT_TYPE,
            "application/openmetrics-text; version=1.0.0; charset=utf-8",
        )],
        text,
    )
        .into_response())
}

async fn create(
    State(state): State<AppState>,
    Path(id): Path<SessionId>,
    headers: HeaderMap,
    ApiJson(req): ApiJson<CreateRefund>,
) -> Result<(StatusCode, Json<RefundRecord>), ApiError> {
    let key = crate::http::error::idempotency_key(&headers)?;
    let refund = checkout::refund(&state, &id, req.amount, req.reason, key).await?;
    Ok((StatusCode::CREATED, Json(refund)))
}

async fn list(
    State(state): State<AppState>,
    Path(id): Path<SessionId>,
) -> Result<Json<Vec<RefundRecord>>, ApiError> {
    Ok(Json(checkout::refunds(&state, &id).await?))
}

async fn read(
    State(state): State<AppState>,
    Path(id): Path<RefundId>,
) -> Result<Json<RefundRecord>, ApiError> {
    Ok(Json(checkout::refund_status(&state, &id).await?))
}

/// The body is read as bytes and parsed here, so every mistake (not JSON, a float, an unknown field)
/// is a `400 invalid_request` whose message names the field.
async fn put_order(
    State(state): State<AppState>,
    Path(reference): Path<OrderRef>,
    body: Bytes,
) -> Result<(StatusCode, Json<OrderView>), ApiError> {
    let order = PutOrder::parse(&body).map_err(ApiError::invalid)?;
    let (created, view) = checkout::put_order(&state, &reference, order).await?;
    let status = if created {
        StatusCode::CREATED
    } else {
        StatusCode::OK
    };
    Ok((status, Json(view)))
}

async fn get_order(
    State(state): State<AppState>,
    Path(reference): Path<OrderRef>,
) -> Result<Json<OrderView>, ApiError> {
    Ok(Json(checkout::order(&state, &reference).await?))
}

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
struct EventsQuery {
    after: Option<String>,
    limit: Option<usize>,
}

async fn list_events(
    State(state): State<AppState>,
    query: Result<axum::extract::Query<EventsQuery>, axum::extract::rejection::QueryRejection>,
) -> Result<Json<checkout::EventPage>, ApiError> {
    let axum::extract::Query(q) = query?;
    let page = checkout::events(&state, q.after.as_deref(), q.limit.unwrap_or(100)).await?;
    Ok(Json(page))
}
