//! The `Connector` trait that every gateway implements, and the types that cross it.
//!
//! Only `gateway/<name>/` knows a gateway's JSON, fields and signing; everything above this
//! module speaks the contract's words (wallet, flow, status, money, action).

pub mod alphapay;
pub mod form;
pub mod http;
pub mod metered;
pub mod pass2pay;
pub mod registry;
pub mod yabandpay;

use axum::http::HeaderMap;
use axum::response::Response;
use time::OffsetDateTime;
use wallet_checkout_protocol::{Action, Flow, Money, Status, Wallet};

pub use crate::core::domain::RefundStatus;
use crate::core::printable::printable;

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
    pub customer: Option<&'a crate::core::domain::Customer>,
    /// Flow `payment_code`: the shopper's code, checked, for this request only.
    pub payment_code: Option<&'a crate::core::payment_code::PaymentCode>,
    /// A QR on a cashier's screen (AlphaPay `OFFLINE_QRCODE`).
    pub in_store: bool,
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
    /// `{public_url}/notify/{gateway}`, for a gateway that pushes a refund's end (AlphaPay).
    pub notify_url: &'a str,
}

/// The refund a status query is about: ours, the gateway's id when it gave one, its amount.
#[derive(Debug, Clone, Copy)]
pub struct RefundAsked<'a> {
    pub refund_ref: &'a str,
    pub gateway_refund_ref: Option<&'a str>,
    pub amount: &'a Money,
}

impl RefundAsked<'_> {
    /// `Err` when an answer names another refund than this one: `ours` and `theirs` are the ids it
    /// names (empty: not said), `amount` the amount it names.
    pub fn check(
        &self,
        ours: &str,
        theirs: &str,
        amount: Option<&Money>,
    ) -> Result<(), GatewayError> {
        let other_ours = !ours.is_empty() && ours != self.refund_ref;
        let other_theirs =
            !theirs.is_empty() && self.gateway_refund_ref.is_some_and(|g| g != theirs);
        let other_amount = amount.is_some_and(|a| a != self.amount);
        if other_ours || other_theirs || other_amount {
            return Err(GatewayError::BadResponse(
                "the refund answer is about another refund".into(),
            ));
        }
        Ok(())
    }
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct RefundOutcome {
    /// The gateway's refund id, when it gave one; without it the refund is asked about by ours.
    pub gateway_ref: Option<String>,
    pub status: RefundStatus,
    /// What the gateway said about it when that is worth keeping (a refund under review).
    pub said: Option<Said>,
}

/// A gateway's own code and message, as it sent them (shown through `printable` only).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Said {
    pub code: String,
    pub message: String,
}

/// What the gateway created.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct GatewayPayment {
    /// The gateway's id (AlphaPay `paymentId`), needed for queries and cancels.
    pub gateway_ref: String,
    /// The flow actually served (may differ from the one asked for).
    pub flow: Flow,
    /// What the shopper does next; `None` only when the order is already final (`settled`).
    pub action: Option<Action>,
    pub expires_at: OffsetDateTime,
    /// The order ended at once: paid at create (Pass2Pay `orderState` 2) or failed there (3).
    pub settled: Option<Status>,
    /// The gateway's own words about the order (Pass2Pay `errCode`/`errMsg`), for the admin view.
    pub said: Option<Said>,
    /// Why it failed at once, in the contract's words (a declined payment code).
    pub failure: Option<wallet_checkout_protocol::FailureCode>,
}

impl GatewayPayment {
    /// An order waiting for the shopper.
    pub fn pending(
        gateway_ref: String,
        flow: Flow,
        action: Action,
        expires_at: OffsetDateTime,
    ) -> GatewayPayment {
        GatewayPayment {
            gateway_ref,
            flow,
            action: Some(action),
            expires_at,
            settled: None,
            said: None,
            failure: None,
        }
    }
}

/// What kind of "no" a gateway's code is: each connector's own table (`gateway/<name>/codes.rs`)
/// says, with an arm for codes this build does not know. The contract's table ("Gateway refusals
/// → codes") turns each kind into what the widget gets.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Refusal {
    /// The gateway failed (AlphaPay `SYSTEMERROR`, YabandPay `-1000`): a new attempt may work.
    Transient,
    /// The merchant's account, keys or clock are wrong (`INVALID_SIGN`, `-403`): an operator acts.
    Setup,
    /// The gateway refuses this order's data (`PARAM_INVALID`, `-3001`, Pass2Pay `code ≠ 0`).
    Order,
    /// The wallet is not enabled for this merchant (`INVALID_METHOD_TYPE`, `-4011`).
    Wallet,
    /// The gateway says the order is paid (`ORDER_PAID`).
    Paid,
    /// A code this build does not know: treated as transient, logged by name.
    Unknown,
}

/// The client every connector calls its gateway with: `timeout` for a whole call, and no redirect
/// followed (a `307` to `http:` would send a signed body in clear, and one elsewhere to whoever it
/// names): a redirect is an answer the connector refuses.
pub fn http_client(timeout: std::time::Duration) -> Result<reqwest::Client, reqwest::Error> {
    reqwest::Client::builder()
        .timeout(timeout)
        .redirect(reqwest::redirect::Policy::none())
        .build()
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
    /// A refund's status, as the gateway pushed it: the payment's id (`gateway_ref`), our refund
    /// id, the gateway's, the status, and the amount when the gateway says it.
    Refund {
        gateway_ref: String,
        refund_ref: String,
        gateway_refund_ref: Option<String>,
        status: RefundStatus,
        amount: Option<Money>,
    },
    /// Verified, but nothing the checkout acts on.
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
    /// The gateway answered with an error of its own; `refusal` is what its table says it means.
    #[error("gateway error {}: {}", printable(.code), printable(.message))]
    Declined {
        code: String,
        message: String,
        refusal: Refusal,
    },
    /// The gateway made an order (`gateway_ref`) but could not say its state (AlphaPay `U` with a
    /// code other than `PAYMENT_IN_PROCESS`): it is kept, closed and asked about, never shown.
    #[error("gateway order {} in an unknown state: {}: {}", printable(.gateway_ref), printable(.code), printable(.message))]
    Unsettled {
        gateway_ref: String,
        code: String,
        message: String,
    },
}

impl GatewayError {
    /// A refusal by the gateway's own code.
    pub fn declined(code: impl Into<String>, message: impl Into<String>, refusal: Refusal) -> Self {
        GatewayError::Declined {
            code: code.into(),
            message: message.into(),
            refusal,
        }
    }

    /// The gateway's own words, when this error carries them.
    pub fn said(&self) -> Option<Said> {
        match self {
            GatewayError::Declined { code, message, .. }
            | GatewayError::Unsettled { code, message, .. } => Some(Said {
                code: code.clone(),
                message: message.clone(),
            }),
            _ => None,
        }
    }
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
    /// Whether `create` takes flow `payment_code` (the gateway has a payment-code API).
    fn takes_payment_codes(&self) -> bool {
        false
    }
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
    /// Whether the gateway documents a refund query by our refund id alone, for a refund it
    /// answered without its own id (Pass2Pay's `mchRefundNo`; AlphaPay's `inquiryRefund` requires
    /// its `refundId`, YabandPay documents only `refund_id`).
    fn finds_refunds_by_ours(&self) -> bool {
        false
    }
    /// The refund's current status at the gateway, by its id when the gateway gave one, else ours.
    /// An answer about another refund (its ids, or its amount where the gateway says one) is
    /// `BadResponse`: a replayed answer must not end this one.
    async fn refund_status(
        &self,
        payment: PaymentRef<'_>,
        refund: RefundAsked<'_>,
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
