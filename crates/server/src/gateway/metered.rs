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
    fn count<T>(
        &self,
        operation: &str,
        started: Instant,
        result: Result<T, GatewayError>,
    ) -> Result<T, GatewayError> {
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
        let started = Instant::now();
        let result = self.0.create(req).await;
        self.count("create", started, result)
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
        let started = Instant::now();
        let result = self.0.query(payment).await;
        self.count("query", started, result)
    }
    async fn close(&self, payment: PaymentRef<'_>) -> Result<Status, GatewayError> {
        let started = Instant::now();
        let result = self.0.close(payment).await;
        self.count("close", started, result)
    }
    async fn refund(
        &self,
        payment: PaymentRef<'_>,
        refund: RefundRequest<'_>,
    ) -> Result<RefundOutcome, GatewayError> {
        let started = Instant::now();
        let result = self.0.refund(payment, refund).await;
        self.count("refund", started, result)
    }
    fn finds_refunds_by_ours(&self) -> bool {
        self.0.finds_refunds_by_ours()
    }
    async fn refund_status(
        &self,
        payment: PaymentRef<'_>,
        refund: RefundAsked<'_>,
    ) -> Result<RefundStatus, GatewayError> {
        let started = Instant::now();
        let result = self.0.refund_status(payment, refund).await;
        self.count("refund_status", started, result)
    }
}
