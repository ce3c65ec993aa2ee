//! The checkout endpoints: create a session, read it (long poll or Server-Sent Events), cancel it.
//!
//! The amount always comes from `OrderSource`, never from the request. A retry with the same
//! `Idempotency-Key` gets the same session, never a second gateway order.

use std::collections::HashMap;
use std::sync::{Arc, Mutex};
use std::time::Duration as StdDuration;

use axum::extract::{Path, Query, State};
use axum::http::{HeaderMap, StatusCode};
use axum::response::sse::{Event as SseEvent, KeepAlive, Sse};
use axum::routing::{get, post};
use axum::{Json, Router};
use serde::Deserialize;
use wallet_checkout_protocol::{CreateSession, ErrorCode, Session, Status, MAX_WAIT_SECS};

use crate::clock::{parse_rfc3339, rfc3339};
use crate::error::{not_found, ApiError, ApiJson};
use crate::gateway::{CreatePayment, GatewayError, PaymentRef};
use crate::reconcile;
use crate::store::{random_id, SessionRecord, StoreError};
use crate::AppState;

pub fn router() -> Router<AppState> {
    Router::new()
        .route("/sessions", post(create))
        .route("/sessions/{id}", get(read))
        .route("/sessions/{id}/events", get(events))
        .route("/sessions/{id}/cancel", post(cancel))
        .fallback(not_found)
}

/// One async lock per idempotency key, so two concurrent retries cannot both reach the gateway.
#[derive(Default)]
pub struct KeyLocks {
    locks: Mutex<HashMap<String, Arc<tokio::sync::Mutex<()>>>>,
}

impl KeyLocks {
    pub(crate) fn lock_for(&self, key: &str) -> Arc<tokio::sync::Mutex<()>> {
        let mut map = self.locks.lock().unwrap_or_else(|p| p.into_inner());
        map.retain(|_, l| Arc::strong_count(l) > 1);
        map.entry(key.to_string()).or_default().clone()
    }
}

const MAX_KEY_LEN: usize = 255;

impl From<StoreError> for ApiError {
    fn from(e: StoreError) -> ApiError {
        tracing::error!(error = %e, "store failure");
        ApiError::internal("session store unavailable")
    }
}

impl From<GatewayError> for ApiError {
    fn from(e: GatewayError) -> ApiError {
        tracing::warn!(error = %e, "gateway call failed");
        match e {
            GatewayError::Refused(m) => ApiError::invalid(m),
            GatewayError::Timeout => ApiError::new(
                StatusCode::GATEWAY_TIMEOUT,
                ErrorCode::GatewayTimeout,
                "gateway timed out",
            ),
            GatewayError::Transport(_) | GatewayError::BadResponse(_) => ApiError::new(
                StatusCode::BAD_GATEWAY,
                ErrorCode::GatewayError,
                e.to_string(),
            ),
            GatewayError::Declined { code, message } => ApiError::new(
                StatusCode::BAD_GATEWAY,
                ErrorCode::GatewayError,
                format!("{code}: {message}"),
            ),
        }
    }
}

async fn create(
    State(state): State<AppState>,
    headers: HeaderMap,
    ApiJson(req): ApiJson<CreateSession>,
) -> Result<(StatusCode, Json<Session>), ApiError> {
    let key = match headers.get("Idempotency-Key") {
        None => None,
        Some(v) => match v.to_str() {
            Ok(k) if !k.is_empty() && k.len() <= MAX_KEY_LEN => Some(k.to_string()),
            _ => {
                return Err(ApiError::invalid(format!(
                    "Idempotency-Key must be 1 to {MAX_KEY_LEN} visible ASCII characters"
                )))
            }
        },
    };
    let _guard = match &key {
        Some(k) => Some(state.idempotency_locks.lock_for(k).lock_owned().await),
        None => None,
    };
    if let Some(k) = &key {
        if let Some(existing) = state.store.by_idempotency_key(k)? {
            if existing.session.order != req.order || existing.session.wallet != req.wallet {
                return Err(ApiError::invalid(
                    "Idempotency-Key was already used for another request",
                ));
            }
            return Ok((StatusCode::OK, Json(present(existing))));
        }
    }
    if let Some(url) = &req.return_url {
        if !(url.starts_with("https://") || url.starts_with("http://")) || url.len() > 2048 {
            return Err(ApiError::invalid(
                "return_url must be an absolute http(s) URL",
            ));
        }
    }
    let order = state.orders.order(&req.order).ok_or_else(|| {
        ApiError::new(
            StatusCode::NOT_FOUND,
            ErrorCode::OrderNotFound,
            format!("no order {:?}", req.order),
        )
    })?;
    // One order, one payment: close every earlier attempt that could still be paid first.
    let _order_guard = state
        .idempotency_locks
        .lock_for(&format!("order:{}", order.reference))
        .lock_owned()
        .await;
    for earlier in state.store.by_order(&order.reference)? {
        if earlier.session.status == Status::Pending {
            close_at_gateway(&state, &earlier, Status::Cancelled).await?;
        }
    }
    let paid = |r: &SessionRecord| r.session.status == Status::Succeeded;
    if state.store.by_order(&order.reference)?.iter().any(paid) {
        return Err(ApiError::new(
            StatusCode::CONFLICT,
            ErrorCode::OrderAlreadyPaid,
            "this order is already paid",
        ));
    }
    let gateway_name = state.routing.get(&req.wallet).ok_or_else(|| {
        ApiError::new(
            StatusCode::UNPROCESSABLE_ENTITY,
            ErrorCode::WalletUnavailable,
            format!("{} is not offered", req.wallet),
        )
    })?;
    let connector = state.connectors.get(gateway_name).ok_or_else(|| {
        tracing::error!(gateway = %gateway_name, "routing names a gateway that is not configured");
        ApiError::new(
            StatusCode::UNPROCESSABLE_ENTITY,
            ErrorCode::WalletUnavailable,
            format!("{} is not offered", req.wallet),
        )
    })?;

    let id = format!("cs_{}", random_id(24));
    let notify_url = format!(
        "{}/notify/{}",
        state.public_url.trim_end_matches('/'),
        connector.name()
    );
    let now = state.clock.now();
    // The shopper's address as the merchant's proxy reports it (some gateways want it).
    let client_ip = headers
        .get("x-forwarded-for")
        .and_then(|v| v.to_str().ok())
        .and_then(|v| v.split(',').next())
        .map(|v| v.trim().to_string())
        .filter(|v| v.parse::<std::net::IpAddr>().is_ok());
    // Where the wallet sends the shopper back: the page that asked, else the shop's front page.
    let return_url = req
        .return_url
        .clone()
        .unwrap_or_else(|| format!("{}/", state.public_url.trim_end_matches('/')));
    let payment = connector
        .create(CreatePayment {
            merchant_ref: &id,
            amount: &order.amount,
            description: &order.description,
            wallet: req.wallet,
            flow: req.flow,
            notify_url: &notify_url,
            return_url: Some(return_url.as_str()),
            client_ip: client_ip.as_deref(),
        })
        .await?;
    let record = SessionRecord {
        session: Session {
            id: id.clone(),
            order: order.reference,
            status: Status::Pending,
            wallet: req.wallet,
            flow: payment.flow,
            gateway: connector.name().to_string(),
            amount: order.amount,
            description: order.description,
            created_at: rfc3339(now),
            expires_at: rfc3339(payment.expires_at),
            action: Some(payment.action),
        },
        gateway_ref: payment.gateway_ref,
        merchant_ref: id,
        idempotency_key: key,
        return_url: req.return_url,
    };
    state.store.insert(record.clone())?;
    tracing::info!(session = %record.session.id, order = %record.session.order, gateway = %record.session.gateway, "session created");
    Ok((StatusCode::CREATED, Json(present(record))))
}

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
struct ReadQuery {
    wait: Option<u64>,
    status: Option<Status>,
}

async fn read(
    State(state): State<AppState>,
    Path(id): Path<String>,
    query: Result<Query<ReadQuery>, axum::extract::rejection::QueryRejection>,
) -> Result<Json<Session>, ApiError> {
    let Query(q) = query?;
    let wait = q.wait.unwrap_or(0).min(MAX_WAIT_SECS);
    // Subscribe before reading, so a change between the read and the wait is not missed.
    let mut changes = state.hub.subscribe(&id);
    let record = state
        .store
        .get(&id)?
        .ok_or_else(ApiError::session_not_found)?;
    let session = present(record);
    let Some(waiting_on) = q.status else {
        return Ok(Json(session));
    };
    if wait == 0 || session.status != waiting_on {
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
    let record = state
        .store
        .get(&id)?
        .ok_or_else(ApiError::session_not_found)?;
    Ok(Json(present(record)))
}

/// Server-Sent Events: one `session` event at once, then one per change; the stream ends after a
/// final status. Comments every 15 s keep proxies from closing an idle stream.
async fn events(
    State(state): State<AppState>,
    Path(id): Path<String>,
) -> Result<impl axum::response::IntoResponse, ApiError> {
    // Subscribe before the first read, so no change between the two is missed.
    let waiter = state.hub.subscribe(&id);
    let first = present(
        state
            .store
            .get(&id)?
            .ok_or_else(ApiError::session_not_found)?,
    );
    struct Stream {
        state: AppState,
        id: String,
        waiter: crate::hub::Waiter,
        next: Option<Session>,
        last: Option<Session>,
    }
    let start = Stream {
        state,
        id,
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
            match st.state.store.get(&st.id) {
                Ok(Some(record)) => {
                    let session = present(record);
                    if st.last.as_ref() != Some(&session) {
                        st.next = Some(session);
                    }
                }
                // The store failed or lost the session: end the stream; the widget falls back to reads.
                Ok(None) | Err(_) => return None,
            }
        }
    });
    // Tells nginx-style proxies not to buffer the stream (the widget falls back if one does).
    Ok((
        [("X-Accel-Buffering", "no")],
        Sse::new(stream).keep_alive(KeepAlive::default()),
    ))
}

async fn cancel(
    State(state): State<AppState>,
    Path(id): Path<String>,
) -> Result<Json<Session>, ApiError> {
    let record = state
        .store
        .get(&id)?
        .ok_or_else(ApiError::session_not_found)?;
    if record.session.status == Status::Pending {
        close_at_gateway(&state, &record, Status::Cancelled).await?;
    }
    let record = state
        .store
        .get(&id)?
        .ok_or_else(ApiError::session_not_found)?;
    Ok(Json(present(record)))
}

/// Closes a pending session's gateway order, then moves the session to what the gateway says:
/// `succeeded` if it was paid meanwhile, else `closed_as`. If the gateway cannot be reached the
/// session is still closed here; a payment that lands later moves it to `succeeded`.
async fn close_at_gateway(
    state: &AppState,
    record: &SessionRecord,
    closed_as: Status,
) -> Result<(), ApiError> {
    let outcome = match state.connectors.get(&record.session.gateway) {
        Some(connector) => {
            connector
                .close(PaymentRef {
                    gateway_ref: &record.gateway_ref,
                    merchant_ref: &record.merchant_ref,
                    amount: &record.session.amount,
                })
                .await
        }
        None => Ok(closed_as),
    };
    let next = match outcome {
        Ok(Status::Succeeded) => Status::Succeeded,
        Ok(Status::Failed) => Status::Failed,
        Ok(_) => closed_as,
        Err(e) => {
            tracing::warn!(session = %record.session.id, error = %e, "could not close the gateway order");
            closed_as
        }
    };
    reconcile::apply(state, &record.session.id, next, "close");
    Ok(())
}

/// The session as the widget sees it: no action once final. Expiry is the reconciler's to decide,
/// after it closed the gateway order (see `reconcile.rs`).
fn present(mut record: SessionRecord) -> Session {
    if record.session.status.is_final() {
        record.session.action = None;
    }
    record.session
}
