//! `POST /notify/{gateway}`: hands the raw request to `checkout::notified` and answers in the
//! gateway's own acknowledgement format (or 503, so the gateway sends it again).

use axum::body::Bytes;
use axum::extract::{OriginalUri, Path, State};
use axum::http::{HeaderMap, StatusCode};
use axum::response::{IntoResponse, Response};
use axum::routing::post;
use axum::Router;

use crate::checkout::{self, Verdict};
use crate::gateway::IncomingNotification;
use crate::AppState;

pub fn router() -> Router<AppState> {
    Router::new().route("/notify/{gateway}", post(notify))
}

async fn notify(
    State(state): State<AppState>,
    Path(gateway): Path<String>,
    OriginalUri(uri): OriginalUri,
    headers: HeaderMap,
    body: Bytes,
) -> Response {
    let Some(connector) = state.connectors.get(&gateway).cloned() else {
        return (StatusCode::NOT_FOUND, "unknown gateway").into_response();
    };
    let path = uri
        .path_and_query()
        .map(|p| p.as_str())
        .unwrap_or(uri.path());
    let incoming = IncomingNotification {
        path,
        headers: &headers,
        body: &body,
        now: state.clock.now(),
    };
    match checkout::notified(&state, connector.as_ref(), incoming).await {
        Verdict::Accepted => connector.acknowledge(true),
        Verdict::Refused => connector.acknowledge(false),
        Verdict::Retry => (StatusCode::SERVICE_UNAVAILABLE, "try again").into_response(),
    }
}
