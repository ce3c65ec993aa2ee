//! The `Connector` trait that every gateway implements, and the types that cross it.
//!
//! Only `gateway/<name>/` knows a gateway's JSON, fields and signing; everything above this
//! module speaks the contract's words (wallet, flow, status, money, action).

pub mod alphapay;
pub mod form;
pub mod http;
pub mod pass2pay;
pub mod yabandpay;

use axum::http::HeaderMap;
use axum::response::Response;
use time::OffsetDateTime;
use wallet_checkout_protocol::{Action, Flow, Money, Status, Wallet};

pub use crate::domain::RefundStatus;
use crate::error::printable;

/// What the server asks a gateway to create.
#[derive(Debug, Clone)]
pub struct CreatePayment<'a> {
    /// Our id for this gateway order; unique per attempt (a new QR is a new id).
    pub merchant_ref: &'a str,
    pub amount: &'a Money,
    pub description: &'a str,
    pub wallet: Wallet,
    pub flow: Flow,
    pub notify_url: &'a str,
    pub return_url: Option<&'a str>,
    /// The shopper's IP as the merchant's edge saw it (`X-Forwarded-For`), when known.
    pub client_ip: Option<&'a str>,
    /// The shop's order reference.
    pub order: &'a str,
    /// The shopper as the shop's order names them (`PUT /admin/orders`' `customer`), when it does.
    pub customer: Option<&'a crate::domain::Customer>,
}

/// The payment a later call is about: the gateway's id, ours, and what we expect it to be worth.
#[derive(Debug, Clone, Copy)]
pub struct PaymentRef<'a> {
    pub gateway_ref: &'a str,
    pub merchant_ref: &'a str,
    pub amount: &'a Money,
}

/// What a gateway query says about a payment.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Observed {
    /// `None` when the gateway answered a status this build does not know.
    pub status: Option<Status>,
    /// The amount the gateway holds for the order, when it says.
    pub amount: Option<Money>,
}

#[derive(Debug, Clone)]
pub struct RefundRequest<'a> {
    /// Our id for the refund (unique; the gateway's idempotency handle where it has one).
    pub refund_ref: &'a str,
    pub amount: &'a Money,
    pub reason: &'a str,
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct RefundOutcome {
    /// The gateway's refund id (queries need it).
    pub gateway_ref: String,
    pub status: RefundStatus,
}

/// What the gateway created.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct GatewayPayment {
    /// The gateway's id (AlphaPay `paymentId`), needed for queries and cancels.
    pub gateway_ref: String,
    /// The flow actually served (may differ from the one asked for).
    pub flow: Flow,
    pub action: Action,
    pub expires_at: OffsetDateTime,
}

/// A notification after its signature and freshness were checked.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Notification {
    Payment {
        gateway_ref: String,
        merchant_ref: String,
        status: Status,
        amount: Money,
    },
    /// Verified, but nothing the checkout acts on (e.g. a refund).
    Other,
}

/// An incoming `POST /notify/{gateway}`, raw, as received.
#[derive(Debug, Clone, Copy)]
pub struct IncomingNotification<'a> {
    /// The path (and query) as received, e.g. `/notify/alphapay`.
    pub path: &'a str,
    pub headers: &'a HeaderMap,
    pub body: &'a [u8],
    pub now: OffsetDateTime,
}

#[derive(Debug, thiserror::Error)]
pub enum GatewayError {
    /// The request cannot be served by this gateway (amount out of range, currency, flow).
    #[error("{}", printable(.0))]
    Refused(String),
    #[error("gateway did not answer in time")]
    Timeout,
    #[error("gateway unreachable: {}", printable(.0))]
    Transport(String),
    /// The answer was not signed, badly signed, or not in the gateway's format.
    #[error("gateway answer rejected: {}", printable(.0))]
    BadResponse(String),
    /// The gateway answered with an error of its own.
    #[error("gateway error {}: {}", printable(.code), printable(.message))]
    Declined { code: String, message: String },
}

#[derive(Debug, thiserror::Error)]
pub enum NotifyError {
    #[error("missing or malformed header {0}")]
    Header(&'static str),
    #[error("signature does not verify")]
    Signature,
    #[error("notification time is outside the allowed window")]
    Stale,
    /// What was wrong, from an unverified body: shown through `printable` only.
    #[error("body is not a valid notification: {}", printable(.0))]
    Body(String),
}

#[async_trait::async_trait]
pub trait Connector: Send + Sync {
    /// The gateway's name in config and URLs (`alphapay`).
    fn name(&self) -> &'static str;
    /// Creates and signs a gateway order; verifies the signed answer.
    async fn create(&self, req: CreatePayment<'_>) -> Result<GatewayPayment, GatewayError>;
    /// Checks a notification's signature over the raw body (before parsing) and its freshness.
    fn verify_notification(&self, n: IncomingNotification<'_>)
        -> Result<Notification, NotifyError>;
    /// The gateway's acknowledgement format: `accepted` tells it to stop retrying.
    fn acknowledge(&self, accepted: bool) -> Response;
    /// Asks the gateway for the payment's status (reconciliation when a notification is lost).
    async fn query(&self, payment: PaymentRef<'_>) -> Result<Observed, GatewayError>;
    /// Closes an unpaid order so it can no longer be paid. Answers the status the order ends in:
    /// `Succeeded` if it turned out to be paid (it is then left alone), else a closed status.
    async fn close(&self, payment: PaymentRef<'_>) -> Result<Status, GatewayError>;
    /// Refunds part or all of a paid payment.
    async fn refund(
        &self,
        payment: PaymentRef<'_>,
        refund: RefundRequest<'_>,
    ) -> Result<RefundOutcome, GatewayError>;
    /// The refund's current status at the gateway.
    async fn refund_status(
        &self,
        payment: PaymentRef<'_>,
        refund_ref: &str,
        gateway_refund_ref: &str,
    ) -> Result<RefundStatus, GatewayError>;
}

/// Compares two secrets' digests without an early exit (signature checks).
/// A plain-text acknowledgement: 200 with the word the gateway waits for, or 400 with `refused`.
pub fn text_ack(accepted: bool, ok: &'static str, refused: &'static str) -> Response {
    use axum::http::{header, StatusCode};
    use axum::response::IntoResponse;
    let (status, body) = if accepted {
        (StatusCode::OK, ok)
    } else {
        (StatusCode::BAD_REQUEST, refused)
    };
    (status, [(header::CONTENT_TYPE, "text/plain")], body).into_response()
}

pub fn constant_time_eq(a: &[u8], b: &[u8]) -> bool {
    if a.len() != b.len() {
        return false;
    }
    a.iter().zip(b).fold(0u8, |acc, (x, y)| acc | (x ^ y)) == 0
}

/// Lowercase hex.
pub fn hex(bytes: &[u8]) -> String {
    use std::fmt::Write;
    bytes
        .iter()
        .fold(String::with_capacity(bytes.len() * 2), |mut s, b| {
            let _ = write!(s, "{b:02x}");
            s
        })
}
