//! `Metered`: a connector around a connector that times every gateway call and counts the failed
//! ones by kind (`core::metrics`), so each gateway is measured the same way without a line in it.
//! The composition root wraps every connector in one.

use std::sync::Arc;
use std::time::Instant;

use axum::response::Response;
use wallet_checkout_protocol::Status;

use super::{
    Connector, CreatePayment, GatewayError, GatewayPayment, IncomingNotification, Notification,
    NotifyError, Observed, PaymentRef, RefundAsked, RefundOutcome, RefundRequest, RefundStatus,
};
use crate::core::metrics::{metrics, CallErrorLabels, CallLabels};

pub struct Metered(pub Arc<dyn Connector>);

/// The kind of a failed call: a label of our own, never the gateway's text.
fn kind(e: &GatewayError) -> &'static str {
    match e {
        GatewayError::Refused(_) => "refused",
        GatewayError::Timeout => "timeout",
        GatewayError::Transport(_) => "transport",
        GatewayError::BadResponse(_) => "bad_response",
        GatewayError::Declined { .. } => "declined",
        GatewayError::Unsettled { .. } => "unsettled",
    }
}

impl Metered {
    /// `call` timed and, if it fails, counted, under `operation`.
    async fn timed<T>(
        &self,
        operation: &str,
        call: impl std::future::Future<Output = Result<T, GatewayError>>,
    ) -> Result<T, GatewayError> {
        let started = Instant::now();
        let result = call.await;
        let m = metrics();
        let gateway = self.0.name().to_string();
        m.gateway_seconds
            .get_or_create(&CallLabels {
                gateway: gateway.clone(),
                operation: operation.to_string(),
            })
            .observe(started.elapsed().as_secs_f64());
        if let Err(e) = &result {
            m.gateway_errors
                .get_or_create(&CallErrorLabels {
                    gateway,
                    operation: operation.to_string(),
                    code: kind(e).to_string(),
                })
                .inc();
        }
        result
    }
}

#[async_trait::async_trait]
impl Connector for Metered {
    fn name(&self) -> &'static str {
        self.0.name()
    }
    async fn create(&self, req: CreatePayment<'_>) -> Result<GatewayPayment, GatewayError> {
        self.timed("create", self.0.create(req)).await
    }
    fn takes_payment_codes(&self) -> bool {
        self.0.takes_payment_codes()
    }
    fn verify_notification(
        &self,
        n: IncomingNotification<'_>,
    ) -> Result<Notification, NotifyError> {
        self.0.verify_notification(n)
    }
    fn acknowledge(&self, accepted: bool) -> Response {
        self.0.acknowledge(accepted)
    }
    async fn query(&self, payment: PaymentRef<'_>) -> Result<Observed, GatewayError> {
        self.timed("query", self.0.query(payment)).await
    }
    async fn close(&self, payment: PaymentRef<'_>) -> Result<Status, GatewayError> {
        self.timed("close", self.0.close(payment)).await
    }
    async fn refund(
        &self,
        payment: PaymentRef<'_>,
        refund: RefundRequest<'_>,
    ) -> Result<RefundOutcome, GatewayError> {
        self.timed("refund", self.0.refund(payment, refund)).await
    }
    fn finds_refunds_by_ours(&self) -> bool {
        self.0.finds_refunds_by_ours()
    }
    async fn refund_status(
        &self,
        payment: PaymentRef<'_>,
        refund: RefundAsked<'_>,
    ) -> Result<RefundStatus, GatewayError> {
        self.timed("refund_status", self.0.refund_status(payment, refund))
            .await
    }
}
