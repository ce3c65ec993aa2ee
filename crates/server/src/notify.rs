//! `POST /notify/{gateway}`: verify over the raw body, check amount and currency, move the session forward, wake waiters.

use axum::body::Bytes;
use axum::extract::{OriginalUri, Path, State};
use axum::http::{HeaderMap, StatusCode};
use axum::response::{IntoResponse, Response};
use axum::routing::post;
use axum::Router;

use crate::gateway::{IncomingNotification, Notification};
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
    let Some(connector) = state.connectors.get(&gateway) else {
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
    let notification = match connector.verify_notification(incoming) {
        Ok(n) => n,
        Err(e) => {
            // Only the reason is logged: never the body, a signature or a string-to-sign.
            tracing::warn!(gateway = %gateway, reason = %e, "notification rejected");
            return connector.acknowledge(false);
        }
    };
    let Notification::Payment {
        gateway_ref,
        merchant_ref,
        status,
        amount,
    } = notification
    else {
        return connector.acknowledge(true);
    };
    let record = match state.store.get(&merchant_ref) {
        Ok(Some(r)) if r.session.gateway == gateway && r.gateway_ref == gateway_ref => r,
        Ok(_) => {
            tracing::warn!(gateway = %gateway, "notification for an unknown payment");
            return connector.acknowledge(false);
        }
        Err(e) => {
            tracing::error!(error = %e, "store failure on notify");
            return (StatusCode::SERVICE_UNAVAILABLE, "try again").into_response();
        }
    };
    if record.session.amount != amount {
        // Never fulfil on a mismatch: this is exactly what a forged or confused notification looks like.
        tracing::error!(session = %record.session.id, expected = %record.session.amount, got = %amount, "notification amount mismatch");
        return connector.acknowledge(false);
    }
    match state.store.transition(&record.session.id, status) {
        Ok(Some((_, changed))) => {
            if changed {
                tracing::info!(session = %record.session.id, status = status.as_str(), "session updated by notification");
                state.hub.changed(&record.session.id);
            }
            connector.acknowledge(true)
        }
        Ok(None) => connector.acknowledge(false),
        Err(e) => {
            tracing::error!(error = %e, "store failure on notify");
            (StatusCode::SERVICE_UNAVAILABLE, "try again").into_response()
        }
    }
}
