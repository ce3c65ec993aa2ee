//! AlphaPay Open API v2 connector: `pay` (ONLINE_QRCODE for now), signed responses, signed notifications.
//!
//! Unknowns (gateways.md §5) are stated where they bite: the notify acknowledgement body and
//! the URI placed in a notification's signed content (we use the path as received).

pub mod sign;
pub mod wire;

use axum::http::{header, StatusCode};
use axum::response::{IntoResponse, Response};
use rsa::{RsaPrivateKey, RsaPublicKey};
use time::Duration;
use wallet_checkout_protocol::{Action, Flow, Money, Wallet};

use super::{
    CreatePayment, GatewayError, GatewayPayment, IncomingNotification, Notification, NotifyError,
};
use crate::clock::Clock;
use std::sync::Arc;

/// A request or notification whose `Request-Time` is further than this from our clock is refused.
pub const TIME_WINDOW: Duration = Duration::minutes(5);
/// AlphaPay: "Each unpaid order will be valid for 5 minutes".
pub const DEFAULT_EXPIRY: Duration = Duration::minutes(5);
/// Amounts are `^\d{1,7}$` minor units.
pub const MAX_AMOUNT: u64 = 9_999_999;
const DESCRIPTION_LIMIT: usize = 128;

pub struct AlphaPay {
    pub base_url: String,
    pub merchant_code: String,
    pub private_key: RsaPrivateKey,
    pub gateway_key: RsaPublicKey,
    pub http: reqwest::Client,
    pub clock: Arc<dyn Clock>,
}

impl AlphaPay {
    fn check_amount(amount: &Money) -> Result<(), GatewayError> {
        if amount.value == 0 || amount.value > MAX_AMOUNT {
            return Err(GatewayError::Refused(format!(
                "AlphaPay takes 1 to {MAX_AMOUNT} minor units; the order is {amount}"
            )));
        }
        if !matches!(amount.currency.as_str(), "CAD" | "USD" | "CNY") {
            return Err(GatewayError::Refused(format!(
                "AlphaPay takes CAD, USD or CNY, not {}",
                amount.currency
            )));
        }
        Ok(())
    }

    fn method_type(wallet: Wallet) -> &'static str {
        match wallet {
            Wallet::Alipay => "Alipay",
            Wallet::WechatPay => "Wechat",
            Wallet::Unionpay => "UnionPay",
        }
    }

    /// Signs and sends one API call; returns the raw body once the response signature verifies.
    async fn call(&self, uri: &str, body: String) -> Result<String, GatewayError> {
        let time = sign::format_time(self.clock.now());
        let nonce = crate::store::random_id(32);
        let content = sign::content("POST", uri, &self.merchant_code, &time, &nonce, &body);
        let signature = sign::header_value(&sign::sign(&self.private_key, &content));
        let url = format!("{}{}", self.base_url.trim_end_matches('/'), uri);
        let response = self
            .http
            .post(url)
            .header(header::CONTENT_TYPE, "application/json; charset=UTF-8")
            .header(header::ACCEPT, "application/json")
            .header("Merchant-Code", &self.merchant_code)
            .header("Request-Time", time)
            .header("Nonce", nonce)
            .header("Signature", signature)
            .body(body)
            .send()
            .await
            .map_err(|e| {
                if e.is_timeout() {
                    GatewayError::Timeout
                } else {
                    GatewayError::Transport(without_url(e))
                }
            })?;
        let status = response.status();
        let headers = response.headers().clone();
        let text = response.text().await.map_err(|e| {
            if e.is_timeout() {
                GatewayError::Timeout
            } else {
                GatewayError::Transport(without_url(e))
            }
        })?;
        if status.is_server_error() {
            return Err(GatewayError::BadResponse(format!("HTTP {status}")));
        }
        // The SDK skips verification when a header is missing; we refuse instead.
        let get = |name: &'static str| {
            headers
                .get(name)
                .and_then(|v| v.to_str().ok())
                .ok_or_else(|| {
                    GatewayError::BadResponse(format!(
                        "unsigned answer (no {name} header, HTTP {status})"
                    ))
                })
        };
        let (sig_header, response_time, nonce) =
            (get("Signature")?, get("Response-Time")?, get("Nonce")?);
        let signature = sign::parse_header(sig_header)
            .ok_or_else(|| GatewayError::BadResponse("malformed Signature header".into()))?;
        let content = sign::content(
            "POST",
            uri,
            &self.merchant_code,
            response_time,
            nonce,
            &text,
        );
        if !sign::verify(&self.gateway_key, &content, &signature) {
            return Err(GatewayError::BadResponse(
                "response signature does not verify".into(),
            ));
        }
        Ok(text)
    }
}

/// reqwest's errors name the URL; keep messages short and free of query strings.
fn without_url(e: reqwest::Error) -> String {
    e.without_url().to_string()
}

fn truncate_chars(s: &str, max: usize) -> &str {
    match s.char_indices().nth(max) {
        Some((i, _)) => &s[..i],
        None => s,
    }
}

#[async_trait::async_trait]
impl super::Connector for AlphaPay {
    fn name(&self) -> &'static str {
        "alphapay"
    }

    async fn create(&self, req: CreatePayment<'_>) -> Result<GatewayPayment, GatewayError> {
        Self::check_amount(req.amount)?;
        // Only the QR scenario so far; every flow is served as a QR until H5/JSAPI land.
        let flow = Flow::Qr;
        let body = serde_json::to_string(&wire::PayRequest {
            scenario_code: "ONLINE_QRCODE",
            payment_request_id: req.merchant_ref,
            order: wire::OrderRequest {
                order_amount: wire::Amount {
                    value: req.amount.value.to_string(),
                    currency: req.amount.currency.clone(),
                },
                description: truncate_chars(req.description, DESCRIPTION_LIMIT),
                notify_url: req.notify_url,
                redirect_url: req.return_url,
            },
            payment_method: wire::PaymentMethod {
                payment_method_type: Self::method_type(req.wallet),
            },
        })
        .map_err(|e| GatewayError::Refused(e.to_string()))?;
        let text = self.call(wire::PAY, body).await?;
        let resp: wire::PayResponse = serde_json::from_str(&text)
            .map_err(|e| GatewayError::BadResponse(format!("pay answer: {e}")))?;
        if resp.result.result_status == "F" || resp.result.result_code != "PAYMENT_IN_PROCESS" {
            return Err(GatewayError::Declined {
                code: resp.result.result_code,
                message: resp.result.result_message,
            });
        }
        if resp.payment_request_id.as_deref() != Some(req.merchant_ref) {
            return Err(GatewayError::BadResponse(
                "answer is for another paymentRequestId".into(),
            ));
        }
        let gateway_ref = resp
            .payment_id
            .ok_or_else(|| GatewayError::BadResponse("no paymentId".into()))?;
        let content = resp
            .payment_info
            .payment_url
            .ok_or_else(|| GatewayError::BadResponse("no paymentUrl".into()))?;
        let image = resp.payment_info.payment_qr_image.filter(|i| {
            i.starts_with("data:image/png;base64,") || i.starts_with("data:image/jpeg;base64,")
        });
        let expires_at = resp
            .payment_expire_time
            .as_deref()
            .and_then(sign::parse_time)
            .unwrap_or_else(|| self.clock.now() + DEFAULT_EXPIRY);
        Ok(GatewayPayment {
            gateway_ref,
            flow,
            action: Action::Qr {
                content,
                image,
                url: resp.payment_info.pay_url,
            },
            expires_at,
        })
    }

    fn verify_notification(
        &self,
        n: IncomingNotification<'_>,
    ) -> Result<Notification, NotifyError> {
        let get = |name: &'static str| {
            n.headers
                .get(name)
                .and_then(|v| v.to_str().ok())
                .ok_or(NotifyError::Header(name))
        };
        let (sig_header, time, nonce) = (get("Signature")?, get("Request-Time")?, get("Nonce")?);
        // The merchant code is ours; a notification naming another merchant is not for us.
        let code = get("Merchant-Code")?;
        if code != self.merchant_code {
            return Err(NotifyError::Header("Merchant-Code"));
        }
        let signature = sign::parse_header(sig_header).ok_or(NotifyError::Header("Signature"))?;
        let body =
            std::str::from_utf8(n.body).map_err(|_| NotifyError::Body("not UTF-8".into()))?;
        // Unknown upstream: which URI AlphaPay signs for a notification. We use the path as received.
        let content = sign::content("POST", n.path, &self.merchant_code, time, nonce, body);
        if !sign::verify(&self.gateway_key, &content, &signature) {
            return Err(NotifyError::Signature);
        }
        let sent = sign::parse_time(time).ok_or(NotifyError::Header("Request-Time"))?;
        if (n.now - sent).abs() > TIME_WINDOW {
            return Err(NotifyError::Stale);
        }
        let value: serde_json::Value =
            serde_json::from_str(body).map_err(|e| NotifyError::Body(e.to_string()))?;
        if value.get("refundId").is_some() {
            return Ok(Notification::Other);
        }
        let p: wire::PaymentNotification =
            serde_json::from_value(value).map_err(|e| NotifyError::Body(e.to_string()))?;
        let Some(status) = p.payment_status.to_status() else {
            return Ok(Notification::Other);
        };
        let value = p
            .order
            .order_amount
            .value
            .parse::<u64>()
            .map_err(|_| NotifyError::Body("orderAmount.value".into()))?;
        let amount = Money::new(value, &p.order.order_amount.currency)
            .map_err(|e| NotifyError::Body(e.to_string()))?;
        Ok(Notification::Payment {
            gateway_ref: p.payment_id,
            merchant_ref: p.payment_request_id,
            status,
            amount,
        })
    }

    fn acknowledge(&self, accepted: bool) -> Response {
        let status = if accepted {
            StatusCode::OK
        } else {
            StatusCode::BAD_REQUEST
        };
        (
            status,
            [(header::CONTENT_TYPE, "application/json")],
            wire::ack_body(accepted),
        )
            .into_response()
    }
}
