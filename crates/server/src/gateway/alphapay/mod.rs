//! AlphaPay Open API v2 connector: `pay` (QR, web, WAP, JSAPI, native JSAPI), `inquiryPayment`,
//! `cancel`, `refund`, `inquiryRefund`; every answer's signature verified; signed notifications.
//!
//! Unknowns (gateways.md §5) are stated where they bite: the notify acknowledgement body and
//! the URI placed in a notification's signed content (we use the path as received).

pub mod codes;
mod config;
pub mod sign;
pub mod wire;

pub use config::AlphaPayConfig;

use axum::http::{header, StatusCode};
use axum::response::{IntoResponse, Response};
use rsa::{RsaPrivateKey, RsaPublicKey};
use time::Duration;
use wallet_checkout_protocol::{Action, Flow, Money, Status, Wallet};

use super::{
    http, CreatePayment, GatewayError, GatewayPayment, IncomingNotification, Notification,
    NotifyError, Observed, PaymentRef, RefundAsked, RefundOutcome, RefundRequest, RefundStatus,
    Refusal, Said,
};
use crate::core::clock::Clock;
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
    /// Desktop shoppers go to AlphaPay's web cashier (`ONLINE_WEB`) instead of seeing a QR.
    pub desktop_page: bool,
    /// Inside WeChat, ask for `NATIVE_JSAPI` and let the widget call `WeixinJSBridge`, instead of
    /// opening AlphaPay's JSAPI cashier page. Off by default: whether AlphaPay needs the shopper's
    /// openid for it is unknown upstream (gateways.md); the sandbox answers without one.
    pub wechat_jsapi: bool,
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
        let nonce = crate::core::domain::random_id(32);
        let content = sign::content("POST", uri, &self.merchant_code, &time, &nonce, &body);
        let signature = sign::header_value(&sign::sign(&self.private_key, &content));
        let url = format!("{}{}", self.base_url.trim_end_matches('/'), uri);
        let answer = http::send(
            self.http
                .post(url)
                .header(header::CONTENT_TYPE, "application/json; charset=UTF-8")
                .header(header::ACCEPT, "application/json")
                .header("Merchant-Code", &self.merchant_code)
                .header("Request-Time", time)
                .header("Nonce", nonce)
                .header("Signature", signature)
                .body(body),
        )
        .await?;
        let status = answer.status;
        // The SDK skips verification when a header is missing; we refuse instead.
        let get = |name: &'static str| {
            answer
                .headers
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
            &answer.body,
        );
        if !sign::verify(&self.gateway_key, &content, &signature) {
            return Err(GatewayError::BadResponse(
                "response signature does not verify".into(),
            ));
        }
        Ok(answer.body)
    }

    /// Calls `uri` with `body` and parses the common answer; a `resultStatus` of `F` is an error.
    async fn call_answer(
        &self,
        uri: &str,
        body: &impl serde::Serialize,
    ) -> Result<wire::Answer, GatewayError> {
        let body = serde_json::to_string(body).map_err(|e| GatewayError::Refused(e.to_string()))?;
        let text = self.call(uri, body).await?;
        let answer: wire::Answer = serde_json::from_str(&text)
            .map_err(|e| GatewayError::BadResponse(format!("{uri} answer: {e}")))?;
        if answer.result.result_status == "F" {
            return Err(refused(answer.result));
        }
        Ok(answer)
    }

    /// The scenario for a wallet and flow, and the flow actually served.
    fn scenario(&self, wallet: Wallet, flow: Flow) -> (&'static str, Flow) {
        scenario(self.desktop_page, self.wechat_jsapi, wallet, flow)
    }
}

/// The scenario for a wallet and flow, and the flow actually served.
fn scenario(
    desktop_page: bool,
    wechat_jsapi: bool,
    wallet: Wallet,
    flow: Flow,
) -> (&'static str, Flow) {
    match (flow, wallet) {
        // A counter scanning the shopper's code.
        (Flow::PaymentCode, _) => ("OFFLINE", Flow::PaymentCode),
        // The web cashier is for Alipay and UnionPay on a PC; WeChat Pay keeps its QR.
        (Flow::Qr, Wallet::Alipay | Wallet::Unionpay) if desktop_page => {
            ("ONLINE_WEB", Flow::Redirect)
        }
        (Flow::Qr, _) => ("ONLINE_QRCODE", Flow::Qr),
        (Flow::Redirect, _) => ("ONLINE_WAP", Flow::Redirect),
        // Alipay's in-app bridge takes the trade number NATIVE_JSAPI answers.
        (Flow::AlipayInApp, Wallet::Alipay) => ("NATIVE_JSAPI", Flow::AlipayInApp),
        (Flow::WechatInApp, Wallet::WechatPay) if wechat_jsapi => {
            ("NATIVE_JSAPI", Flow::WechatInApp)
        }
        // WeChat's NATIVE_JSAPI needs the shopper's openid, which a web checkout does not have;
        // the JSAPI cashier page opened inside WeChat calls the bridge itself.
        (Flow::WechatInApp, Wallet::WechatPay) => ("JSAPI", Flow::WechatInApp),
        // Alipay's pages are blocked inside WeChat and the reverse: offer the QR instead.
        (Flow::WechatInApp | Flow::AlipayInApp, _) => ("ONLINE_QRCODE", Flow::Qr),
    }
}

/// A refused call: its code's kind by the table, a setup problem logged for the operator.
fn refused(result: wire::ResultInfo) -> GatewayError {
    let refusal = codes::refusal(&result.result_code);
    match refusal {
        Refusal::Setup => {
            tracing::error!(code = %crate::core::printable::printable(&result.result_code), hint = codes::setup_hint(&result.result_code), "AlphaPay refused the merchant's setup")
        }
        Refusal::Unknown => {
            tracing::warn!(code = %crate::core::printable::printable(&result.result_code), "AlphaPay answered a resultCode this build does not know")
        }
        _ => {}
    }
    GatewayError::declined(result.result_code, result.result_message, refusal)
}

/// `paymentQRImage` as a data URL: AlphaPay's own, or raw base64 (which some answers carry) made
/// one; anything else is dropped (the widget draws the QR from `paymentUrl` anyway).
fn qr_image(image: String) -> Option<String> {
    if image.starts_with("data:image/png;base64,") || image.starts_with("data:image/jpeg;base64,") {
        return Some(image);
    }
    let raw = image.trim();
    let base64 = !raw.is_empty()
        && raw
            .bytes()
            .all(|b| b.is_ascii_alphanumeric() || matches!(b, b'+' | b'/' | b'='));
    base64.then(|| format!("data:image/png;base64,{raw}"))
}

fn action_for(scenario: &str, info: wire::PaymentInfo) -> Result<Action, GatewayError> {
    let missing = |f: &str| GatewayError::BadResponse(format!("{scenario} answer has no {f}"));
    match scenario {
        // The shopper confirms on their phone (a password, a large amount): nothing to show.
        "OFFLINE" => Ok(Action::Wait),
        // The cashier's screen: the same QR (`paymentUrl`, `paymentQRImage`), no cashier page.
        "ONLINE_QRCODE" | "OFFLINE_QRCODE" => {
            let content = info.payment_url.ok_or_else(|| missing("paymentUrl"))?;
            Ok(Action::Qr {
                content: Some(content),
                matrix: None,
                image: info.payment_qr_image.and_then(qr_image),
                url: info.pay_url,
            })
        }
        "NATIVE_JSAPI" => {
            let params = info.sdk_params.ok_or_else(|| missing("sdkParams"))?;
            let text = |k: &str| params.get(k).and_then(|v| v.as_str()).map(str::to_string);
            if let Some(trade_no) = text("tradeNO").or_else(|| text("tradeNo")) {
                return Ok(Action::AlipayJsapi { trade_no });
            }
            let params = wallet_checkout_protocol::WechatJsapiParams {
                app_id: text("appId").ok_or_else(|| missing("sdkParams.appId"))?,
                time_stamp: text("timeStamp").ok_or_else(|| missing("sdkParams.timeStamp"))?,
                nonce_str: text("nonceStr").ok_or_else(|| missing("sdkParams.nonceStr"))?,
                package: text("package").ok_or_else(|| missing("sdkParams.package"))?,
                sign_type: text("signType").ok_or_else(|| missing("sdkParams.signType"))?,
                pay_sign: text("paySign").ok_or_else(|| missing("sdkParams.paySign"))?,
            };
            Ok(Action::WechatJsapi { params })
        }
        // ONLINE_WEB, ONLINE_WAP and JSAPI all answer a cashier page to open.
        _ => Ok(Action::Redirect {
            url: info.pay_url.ok_or_else(|| missing("payUrl"))?,
        }),
    }
}

fn refund_status(s: &str) -> RefundStatus {
    match s {
        "SUCCESS" => RefundStatus::Succeeded,
        "FAILED" => RefundStatus::Failed,
        _ => RefundStatus::Processing,
    }
}

pub(crate) fn truncate_chars(s: &str, max: usize) -> &str {
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

    fn takes_payment_codes(&self) -> bool {
        true
    }

    async fn create(&self, req: CreatePayment<'_>) -> Result<GatewayPayment, GatewayError> {
        Self::check_amount(req.amount)?;
        let (scenario, flow) = match self.scenario(req.wallet, req.flow) {
            // A QR on the cashier's screen: AlphaPay's in-store QR.
            (_, Flow::Qr) if req.in_store => ("OFFLINE_QRCODE", Flow::Qr),
            other => other,
        };
        let payment_method = match scenario {
            "OFFLINE_QRCODE" => None,
            _ => Some(wire::PaymentMethod {
                payment_method_type: Self::method_type(req.wallet),
                payment_code: req.payment_code.map(|c| c.expose()),
            }),
        };
        let body = serde_json::to_string(&wire::PayRequest {
            scenario_code: scenario,
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
            payment_method,
        })
        .map_err(|e| GatewayError::Refused(e.to_string()))?;
        let text = self.call(wire::PAY, body).await?;
        let resp: wire::PayResponse = serde_json::from_str(&text)
            .map_err(|e| GatewayError::BadResponse(format!("pay answer: {e}")))?;
        let now = self.clock.now();
        if resp.result.result_status == "F" {
            // A code the wallet refuses (bad, expired, used) fails the session: the cashier scans
            // again. Any other refusal is an error, as for every create.
            if scenario == "OFFLINE" && codes::declines_the_code(&resp.result.result_code) {
                return Ok(GatewayPayment {
                    gateway_ref: resp.payment_id.unwrap_or_default(),
                    flow,
                    action: None,
                    expires_at: now,
                    settled: Some(wallet_checkout_protocol::Status::Failed),
                    said: Some(super::Said {
                        code: resp.result.result_code,
                        message: resp.result.result_message,
                    }),
                    failure: Some(wallet_checkout_protocol::FailureCode::PaymentCodeDeclined),
                });
            }
            return Err(refused(resp.result));
        }
        if resp.payment_request_id.as_deref() != Some(req.merchant_ref) {
            return Err(GatewayError::BadResponse(
                "answer is for another paymentRequestId".into(),
            ));
        }
        // Charged at once (a counter's usual answer): `S` with `SUCCESS`, or `paymentStatus`
        // saying so. Kept as paid only once a signed query confirms it, amount included.
        let paid_at_once = resp.result.result_status == "S"
            && (resp.result.result_code == "SUCCESS"
                || resp.payment_status.as_deref() == Some("SUCCESS"));
        if scenario == "OFFLINE" && paid_at_once {
            let gateway_ref = resp
                .payment_id
                .filter(|id| !id.is_empty())
                .ok_or_else(|| GatewayError::BadResponse("no paymentId".into()))?;
            return Ok(GatewayPayment {
                gateway_ref,
                flow,
                action: None,
                expires_at: now,
                settled: Some(wallet_checkout_protocol::Status::Succeeded),
                said: None,
                failure: None,
            });
        }
        if resp.result.result_code != "PAYMENT_IN_PROCESS" {
            // `U` (or `S`) with another code: the order's state is unknown. An order it names is
            // kept to be closed and asked about; none named is a plain refusal.
            return Err(match resp.payment_id {
                Some(gateway_ref) if !gateway_ref.is_empty() => GatewayError::Unsettled {
                    gateway_ref,
                    code: resp.result.result_code,
                    message: resp.result.result_message,
                },
                _ => refused(resp.result),
            });
        }
        let gateway_ref = resp
            .payment_id
            .filter(|id| !id.is_empty())
            .ok_or_else(|| GatewayError::BadResponse("no paymentId".into()))?;
        let expires_at = resp
            .payment_expire_time
            .as_deref()
            .and_then(sign::parse_time)
            .unwrap_or_else(|| self.clock.now() + DEFAULT_EXPIRY);
        Ok(GatewayPayment::pending(
            gateway_ref,
            flow,
            action_for(scenario, resp.payment_info)?,
            expires_at,
        ))
    }

    async fn query(&self, payment: PaymentRef<'_>) -> Result<Observed, GatewayError> {
        let answer = self
            .call_answer(
                wire::INQUIRY,
                &wire::ByPaymentId {
                    payment_id: payment.gateway_ref,
                },
            )
            .await?;
        if answer.payment_id.as_deref() != Some(payment.gateway_ref) {
            return Err(GatewayError::BadResponse(
                "inquiry answer is for another payment".into(),
            ));
        }
        let amount = answer.order.and_then(|o| {
            let v = o.order_amount.value.parse::<u64>().ok()?;
            Money::new(v, &o.order_amount.currency).ok()
        });
        Ok(Observed {
            status: answer.payment_status.and_then(|s| s.to_status()),
            amount,
        })
    }

    async fn close(&self, payment: PaymentRef<'_>) -> Result<Status, GatewayError> {
        let body = wire::ByPaymentId {
            payment_id: payment.gateway_ref,
        };
        match self.call_answer(wire::CANCEL, &body).await {
            // `U`: the cancel's outcome is unknown; only a query says what the order became.
            Ok(answer) if answer.result.result_status == "U" => {
                match self.query(payment).await?.status {
                    Some(Status::Pending) | None => Err(GatewayError::declined(
                        answer.result.result_code,
                        "cancel answered U and the order is still open",
                        Refusal::Transient,
                    )),
                    Some(Status::Expired) => Ok(Status::Cancelled),
                    Some(done) => Ok(done),
                }
            }
            Ok(_) => Ok(Status::Cancelled),
            // Paid: the caller confirms the amount by a query before the session moves.
            Err(GatewayError::Declined {
                refusal: Refusal::Paid,
                ..
            }) => Ok(Status::Succeeded),
            // A signed "this merchant has no such order": nothing there can be paid, so the close
            // is as good as confirmed.
            Err(GatewayError::Declined { code, .. }) if code == "ORDER_MISMATCH" => {
                Ok(Status::Cancelled)
            }
            Err(e) => Err(e),
        }
    }

    async fn refund(
        &self,
        payment: PaymentRef<'_>,
        refund: RefundRequest<'_>,
    ) -> Result<RefundOutcome, GatewayError> {
        let answer = match self
            .call_answer(
                wire::REFUND,
                &wire::RefundRequest {
                    payment_id: payment.gateway_ref,
                    refund_request_id: refund.refund_ref,
                    refund: wire::RefundDetail {
                        refund_amount: wire::Amount {
                            value: refund.amount.value.to_string(),
                            currency: refund.amount.currency.clone(),
                        },
                        description: truncate_chars(refund.reason, DESCRIPTION_LIMIT),
                        notify_url: refund.notify_url,
                    },
                },
            )
            .await
        {
            Ok(answer) => answer,
            // Under review, one already in progress, or the order already fully refunded: not a
            // failure (a failed record would invite a second refund).
            Err(GatewayError::Declined { code, message, .. })
                if codes::refund_outcome(&code).is_some() =>
            {
                return Ok(RefundOutcome {
                    gateway_ref: None,
                    status: codes::refund_outcome(&code).unwrap_or(RefundStatus::Processing),
                    said: Some(Said { code, message }),
                });
            }
            Err(e) => return Err(e),
        };
        let said = (answer.result.result_status == "U").then(|| Said {
            code: answer.result.result_code.clone(),
            message: answer.result.result_message.clone(),
        });
        // `U`: submitted, outcome unknown; asked about later. No `refundId`: asked by ours.
        let status = match (&said, answer.refund_status.as_deref()) {
            (Some(_), _) | (None, None) => RefundStatus::Processing,
            (None, Some(s)) => refund_status(s),
        };
        Ok(RefundOutcome {
            gateway_ref: answer.refund_id.filter(|id| !id.is_empty()),
            status,
            said,
        })
    }

    async fn refund_status(
        &self,
        _payment: PaymentRef<'_>,
        refund: RefundAsked<'_>,
    ) -> Result<RefundStatus, GatewayError> {
        let asked = self
            .call_answer(
                wire::INQUIRY_REFUND,
                &wire::InquiryRefundRequest {
                    refund_id: refund.gateway_refund_ref,
                    refund_request_id: refund.refund_ref,
                },
            )
            .await;
        if let Ok(answer) = &asked {
            refund.check(
                answer.refund_request_id.as_deref().unwrap_or_default(),
                answer.refund_id.as_deref().unwrap_or_default(),
                None,
            )?;
        }
        match asked {
            Ok(answer) => Ok(answer
                .refund_status
                .as_deref()
                .map_or(RefundStatus::Processing, refund_status)),
            // A signed "no such refund for this merchant": it was never made (a refund refused
            // with EXIST_PROCESSING_REFUND that the gateway did not keep), so it clearly failed.
            Err(GatewayError::Declined { code, .. }) if code == "ORDER_MISMATCH" => {
                Ok(RefundStatus::Failed)
            }
            Err(e) => Err(e),
        }
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
            // A refund's end (AlphaPay pushes successful refunds once): ours by `refundRequestId`.
            let r: wire::RefundNotification =
                serde_json::from_value(value).map_err(|e| NotifyError::Body(e.to_string()))?;
            let amount = match r.refund {
                Some(echo) => Some(
                    echo.refund_amount
                        .value
                        .parse::<u64>()
                        .ok()
                        .and_then(|v| Money::new(v, &echo.refund_amount.currency).ok())
                        .ok_or_else(|| NotifyError::Body("refund.refundAmount".into()))?,
                ),
                None => None,
            };
            return Ok(Notification::Refund {
                gateway_ref: r.payment_id,
                refund_ref: r.refund_request_id,
                gateway_refund_ref: Some(r.refund_id).filter(|id| !id.is_empty()),
                status: refund_status(&r.refund_status),
                amount,
            });
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

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn descriptions_are_cut_at_128_characters_never_inside_one() {
        let long: String = "绿茶🍵".repeat(100);
        let cut = truncate_chars(&long, DESCRIPTION_LIMIT);
        assert_eq!(cut.chars().count(), 128);
        assert!(long.starts_with(cut));
        assert_eq!(truncate_chars("Green tea", DESCRIPTION_LIMIT), "Green tea");
        let exactly: String = "é".repeat(128);
        assert_eq!(truncate_chars(&exactly, DESCRIPTION_LIMIT), exactly);
    }

    #[test]
    fn wechat_pay_never_goes_to_the_web_cashier() {
        for wallet in [Wallet::Alipay, Wallet::Unionpay] {
            assert_eq!(
                scenario(true, false, wallet, Flow::Qr),
                ("ONLINE_WEB", Flow::Redirect)
            );
        }
        assert_eq!(
            scenario(true, false, Wallet::WechatPay, Flow::Qr),
            ("ONLINE_QRCODE", Flow::Qr)
        );
    }

    #[test]
    fn qr_images_are_data_urls_or_raw_base64_made_one() {
        assert_eq!(
            qr_image("data:image/png;base64,iVBO".into()).as_deref(),
            Some("data:image/png;base64,iVBO")
        );
        assert_eq!(
            qr_image("iVBORw0KGgo=".into()).as_deref(),
            Some("data:image/png;base64,iVBORw0KGgo=")
        );
        assert_eq!(qr_image("javascript:alert(1)".into()), None);
        assert_eq!(qr_image("https://x/y.png".into()), None);
        assert_eq!(qr_image(String::new()), None);
    }
}
