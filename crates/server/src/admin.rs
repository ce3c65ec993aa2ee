//! The admin API: refunds. Authenticated with a bearer token from the environment, and refused to
//! anything that looks like a browser (an `Origin` or `Sec-Fetch-*` header), so a shopper's page can
//! never reach it even on the same origin.
//!
//! `POST /admin/sessions/{id}/refunds` `{ "amount": 500?, "reason": "…"? }` refunds in full (no amount)
//! or in part, never beyond what was paid; `GET /admin/sessions/{id}/refunds`; `GET /admin/refunds/{id}`
//! asks the gateway for a refund still processing.

use axum::extract::{Path, State};
use axum::http::{HeaderMap, StatusCode};
use axum::routing::{get, post};
use axum::{Json, Router};
use serde::Deserialize;
use wallet_checkout_protocol::{ErrorCode, Money, Status};

use crate::clock::rfc3339;
use crate::error::{ApiError, ApiJson};
use crate::gateway::{constant_time_eq, PaymentRef, RefundRequest, RefundStatus};
use crate::store::{random_id, RefundRecord, SessionRecord};
use crate::AppState;

pub fn router() -> Router<AppState> {
    Router::new()
        .route("/admin/sessions/{id}/refunds", post(create).get(list))
        .route("/admin/refunds/{id}", get(read))
}

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
struct CreateRefund {
    /// Minor units of the session's currency; the whole remainder when absent.
    amount: Option<u64>,
    #[serde(default)]
    reason: Option<String>,
}

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
    if headers.contains_key("origin")
        || headers.keys().any(|k| k.as_str().starts_with("sec-fetch-"))
    {
        return Err(forbidden("the admin API is not reachable from a browser"));
    }
    let given = headers
        .get("authorization")
        .and_then(|v| v.to_str().ok())
        .and_then(|v| v.strip_prefix("Bearer "))
        .unwrap_or_default();
    if !constant_time_eq(given.as_bytes(), token.as_bytes()) {
        tracing::warn!("admin request with a wrong or missing token");
        return Err(ApiError::new(
            StatusCode::UNAUTHORIZED,
            ErrorCode::InvalidRequest,
            "a valid bearer token is required",
        ));
    }
    Ok(())
}

fn payment(record: &SessionRecord) -> PaymentRef<'_> {
    PaymentRef {
        gateway_ref: &record.gateway_ref,
        merchant_ref: &record.merchant_ref,
        amount: &record.session.amount,
    }
}

async fn create(
    State(state): State<AppState>,
    Path(id): Path<String>,
    headers: HeaderMap,
    ApiJson(req): ApiJson<CreateRefund>,
) -> Result<(StatusCode, Json<RefundRecord>), ApiError> {
    authorize(&state, &headers)?;
    // One refund at a time per session, so two requests cannot both fit under the paid amount.
    let _guard = state
        .idempotency_locks
        .lock_for(&format!("refund:{id}"))
        .lock_owned()
        .await;
    let record = state
        .store
        .get(&id)?
        .ok_or_else(ApiError::session_not_found)?;
    if record.session.status != Status::Succeeded {
        return Err(ApiError::new(
            StatusCode::CONFLICT,
            ErrorCode::InvalidRequest,
            "only a succeeded session can be refunded",
        ));
    }
    let refunded: u64 = state
        .store
        .refunds(&id)?
        .iter()
        .filter(|r| r.status != RefundStatus::Failed)
        .map(|r| r.amount.value)
        .sum();
    let left = record.session.amount.value.saturating_sub(refunded);
    let value = req.amount.unwrap_or(left);
    if value == 0 || value > left {
        let left = Money {
            value: left,
            currency: record.session.amount.currency.clone(),
        };
        return Err(ApiError::invalid(format!(
            "a refund must be between 0 and what is left to refund ({left}), exclusive of 0"
        )));
    }
    let connector = state
        .connectors
        .get(&record.session.gateway)
        .ok_or_else(|| ApiError::internal("the session's gateway is not configured"))?;
    let amount = Money {
        value,
        currency: record.session.amount.currency.clone(),
    };
    let reason = req.reason.unwrap_or_else(|| "Refund".into());
    let mut refund = RefundRecord {
        id: format!("rf_{}", random_id(20)),
        session_id: id.clone(),
        amount: amount.clone(),
        reason: reason.chars().take(128).collect(),
        status: RefundStatus::Processing,
        gateway_ref: None,
        created_at: rfc3339(state.clock.now()),
    };
    // Persist first: if the gateway call's outcome is lost, the refund is still on record.
    state.store.insert_refund(refund.clone())?;
    let outcome = connector
        .refund(
            payment(&record),
            RefundRequest {
                refund_ref: &refund.id,
                amount: &amount,
                reason: &refund.reason,
            },
        )
        .await;
    match outcome {
        Ok(o) => {
            state
                .store
                .update_refund(&refund.id, o.status, Some(&o.gateway_ref))?;
            refund.status = o.status;
            refund.gateway_ref = Some(o.gateway_ref);
            tracing::info!(session = %id, refund = %refund.id, amount = %amount, status = o.status.as_str(), "refund made");
            Ok((StatusCode::CREATED, Json(refund)))
        }
        Err(crate::gateway::GatewayError::Declined { code, message }) => {
            state
                .store
                .update_refund(&refund.id, RefundStatus::Failed, None)?;
            Err(ApiError::new(
                StatusCode::BAD_GATEWAY,
                ErrorCode::GatewayError,
                format!("the gateway refused the refund: {code}: {message}"),
            ))
        }
        // Timed out or unreadable: the refund may or may not exist; it stays `processing` on record.
        Err(e) => Err(e.into()),
    }
}

async fn list(
    State(state): State<AppState>,
    Path(id): Path<String>,
    headers: HeaderMap,
) -> Result<Json<Vec<RefundRecord>>, ApiError> {
    authorize(&state, &headers)?;
    state
        .store
        .get(&id)?
        .ok_or_else(ApiError::session_not_found)?;
    Ok(Json(state.store.refunds(&id)?))
}

async fn read(
    State(state): State<AppState>,
    Path(id): Path<String>,
    headers: HeaderMap,
) -> Result<Json<RefundRecord>, ApiError> {
    authorize(&state, &headers)?;
    let not_found = || {
        ApiError::new(
            StatusCode::NOT_FOUND,
            ErrorCode::InvalidRequest,
            "no such refund",
        )
    };
    let mut refund = state.store.get_refund(&id)?.ok_or_else(not_found)?;
    if refund.status == RefundStatus::Processing {
        if let (Some(gateway_ref), Some(record)) = (
            refund.gateway_ref.clone(),
            state.store.get(&refund.session_id)?,
        ) {
            if let Some(connector) = state.connectors.get(&record.session.gateway) {
                let status = connector
                    .refund_status(payment(&record), &refund.id, &gateway_ref)
                    .await?;
                state.store.update_refund(&refund.id, status, None)?;
                refund.status = status;
            }
        }
    }
    Ok(Json(refund))
}
