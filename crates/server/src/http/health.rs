//! Health for load balancers and supervisors: `GET /healthz` (readiness: the store answers) and
//! `GET /livez` (liveness: the process serves).

use std::time::Duration;

use axum::extract::State;
use axum::routing::get;
use axum::{Json, Router};

use crate::http::error::ApiError;
use crate::AppState;

/// `GET /healthz`: `200 {"status":"ok"}` only when the store answers (readiness: a load balancer
/// sends no shopper to an instance that cannot read or write); `503` with the error shape otherwise.
/// `GET /livez`: `200` while the process serves at all (liveness: restart it when this fails).
pub fn router() -> Router<AppState> {
    Router::new()
        .route("/healthz", get(healthz))
        .route(
            "/livez",
            get(|| async { Json(serde_json::json!({ "status": "ok" })) }),
        )
        .layer(tower_http::set_header::SetResponseHeaderLayer::overriding(
            axum::http::header::CACHE_CONTROL,
            axum::http::HeaderValue::from_static("no-store"),
        ))
}

async fn healthz(State(state): State<AppState>) -> Result<Json<serde_json::Value>, ApiError> {
    // The store's own limits hold (PostgreSQL: 5 s for a connection); this one bounds the rest.
    match tokio::time::timeout(Duration::from_secs(5), state.store.ping()).await {
        Ok(Ok(())) => Ok(Json(serde_json::json!({ "status": "ok" }))),
        Ok(Err(e)) => Err(crate::core::error::ServiceError::from(e).into()),
        Err(_) => Err(crate::core::error::ServiceError::from(
            crate::store::StoreError::Unavailable("no answer within 5 s".into()),
        )
        .into()),
    }
}
