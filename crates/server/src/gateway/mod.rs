//! The `Connector` trait that every gateway implements, and the types that cross it.
//!
//! Only `gateway/<name>/` knows a gateway's JSON, fields and signing; everything above this
//! module speaks the contract's words (wallet, flow, status, money, action).

pub mod alphapay;

use axum::http::HeaderMap;
use axum::response::Response;
use time::OffsetDateTime;
use wallet_checkout_protocol::{Action, Flow, Money, Status, Wallet};

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
    #[error("{0}")]
    Refused(String),
    #[error("gateway did not answer in time")]
    Timeout,
    #[error("gateway unreachable: {0}")]
    Transport(String),
    /// The answer was not signed, badly signed, or not in the gateway's format.
    #[error("gateway answer rejected: {0}")]
    BadResponse(String),
    /// The gateway answered with an error of its own.
    #[error("gateway error {code}: {message}")]
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
    #[error("body is not a valid notification: {0}")]
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
}
