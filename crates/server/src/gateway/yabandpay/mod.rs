//! YabandPay API v3 connector: one endpoint, `method` chooses the call; HMAC-SHA256 over the
//! flattened envelope; amounts as exact major-unit decimals; notifications in all three transports
//! the official SDK accepts (raw JSON, `resultData=` + JSON, a `resultData` form field), verified
//! over the `data` fields and answered `ok`.
//!
//! Unknowns (gateways.md §5): API answers carry no signature, so they are trusted as far as TLS
//! goes and every decision that moves money is re-checked by query; the error-code table, the
//! acknowledgement text (we answer `ok`, as the official plugins do) and the retry schedule.

pub mod codes;
mod config;
pub mod sign;

pub use config::YabandPayConfig;

use std::collections::BTreeMap;
use std::sync::Arc;

use axum::http::header;
use axum::response::Response;
use serde_json::{json, Map, Value};
use time::Duration;
use wallet_checkout_protocol::{Action, Flow, Money, Status, Wallet};

use super::{
    constant_time_eq, http, CreatePayment, GatewayError, GatewayPayment, IncomingNotification,
    Notification, NotifyError, Observed, PaymentRef, RefundAsked, RefundOutcome, RefundRequest,
    RefundStatus, Refusal,
};
use crate::core::clock::Clock;

/// Minutes an order may be paid (`timeout`); the widget's countdown follows it.
pub const TIMEOUT_MINUTES: i64 = 15;

pub struct YabandPay {
    pub base_url: String,
    pub user: String,
    pub secret: String,
    /// WeChat H5 is enabled for this account; without it phones get the QR.
    pub wechat_h5: bool,
    pub http: reqwest::Client,
    pub clock: Arc<dyn Clock>,
}

/// YabandPay's payment `state` in the contract's words (case-insensitive; `None` if unknown).
pub fn status_of(state: &str) -> Option<Status> {
    match state.to_ascii_lowercase().as_str() {
        // `verify`: paid but under risk review; not money yet.
        "pending" | "processing" | "verify" | "authorized" | "02" | "03" | "04" | "01" => {
            Some(Status::Pending)
        }
        "paid" | "00" => Some(Status::Succeeded),
        "failed" | "declined" | "05" | "06" => Some(Status::Failed),
        "expired" | "07" => Some(Status::Expired),
        "cancelled" | "canceled" | "08" => Some(Status::Cancelled),
        _ => None,
    }
}

fn refund_status_of(state: &str) -> RefundStatus {
    match state.to_ascii_lowercase().as_str() {
        "23" | "refunded" | "success" => RefundStatus::Succeeded,
        // Code 24 and after were cut off in the docs; presumed failures.
        "24" | "25" | "failed" => RefundStatus::Failed,
        _ => RefundStatus::Processing,
    }
}

/// The smallest amount YabandPay takes (documented: EUR 0.10, CNY 1).
fn minimum(currency: &str) -> u64 {
    match currency {
        "EUR" | "CHF" | "GBP" => 10,
        "CNY" | "HKD" => 100,
        _ => 1,
    }
}

fn text(v: &Value) -> Option<String> {
    match v {
        Value::String(s) => Some(s.clone()),
        Value::Number(n) => Some(n.to_string()),
        Value::Null => Some(String::new()),
        _ => None,
    }
}

impl YabandPay {
    fn method(&self, wallet: Wallet, flow: Flow) -> (&'static str, Option<&'static str>, Flow) {
        match (wallet, flow) {
            (Wallet::Alipay, Flow::Qr | Flow::WechatInApp) => {
                ("v3.CreatePaymentsAlipayWeb", None, Flow::Qr)
            }
            // Inside the Alipay app: the mini-program pay's trade number, for `tradePay`.
            (Wallet::Alipay, Flow::AlipayInApp) => {
                ("v3.CreatePaymentsAlipayMiniPay", None, Flow::AlipayInApp)
            }
            (Wallet::Alipay, f) => ("v3.CreatePaymentsAlipayWap", None, f),
            (Wallet::WechatPay, Flow::Redirect) if self.wechat_h5 => {
                ("v3.CreatePaymentsWechatH5Pay", None, Flow::Redirect)
            }
            // The hosted page opened inside WeChat pays through WeChat's own bridge.
            (Wallet::WechatPay, Flow::WechatInApp) => {
                ("v3.CreatePayments", Some("WeChat Pay"), Flow::WechatInApp)
            }
            (Wallet::WechatPay, _) => ("v3.CreateWechatNativePay", None, Flow::Qr),
            (Wallet::Unionpay, f) => ("v3.CreatePayments", Some("UnionPayWap"), f),
        }
    }

    /// Signs and posts one call; answers `data` when `status` is true.
    async fn call(
        &self,
        method: &str,
        data: BTreeMap<&str, String>,
    ) -> Result<Map<String, Value>, GatewayError> {
        // Empty fields are never sent: the SDK signs them, some doc examples do not.
        let data: BTreeMap<&str, String> =
            data.into_iter().filter(|(_, v)| !v.is_empty()).collect();
        let time = self.clock.now().unix_timestamp().to_string();
        let mut flat: Vec<(&str, &str)> = data.iter().map(|(k, v)| (*k, v.as_str())).collect();
        flat.extend([
            ("user", self.user.as_str()),
            ("method", method),
            ("time", time.as_str()),
        ]);
        let signature = sign::sign(flat, &self.secret);
        let body = json!({ "user": self.user, "sign": signature, "method": method, "time": time, "data": data });
        let url = format!("{}/Payments", self.base_url.trim_end_matches('/'));
        let payload =
            serde_json::to_string(&body).map_err(|e| GatewayError::Refused(e.to_string()))?;
        let answer = http::send(
            self.http
                .post(url)
                .header(header::CONTENT_TYPE, "application/json; charset=UTF-8")
                .body(payload),
        )
        .await?;
        let reply: Value = serde_json::from_str(&answer.body).map_err(|e| {
            GatewayError::BadResponse(format!("{method}: not JSON (HTTP {}): {e}", answer.status))
        })?;
        // Anything but `status: true` is a refusal (the docs even spell the false one `fales`).
        let ok = reply.get("status").and_then(Value::as_bool) == Some(true);
        if !ok {
            let code = reply
                .get("code")
                .and_then(text)
                .filter(|c| !c.is_empty())
                .unwrap_or_else(|| "?".into());
            let refusal = codes::refusal(&code);
            match refusal {
                Refusal::Setup => {
                    tracing::error!(code = %crate::core::printable::printable(&code), "YabandPay refused our signature: check the secret")
                }
                Refusal::Unknown => {
                    tracing::warn!(code = %crate::core::printable::printable(&code), "YabandPay answered a code this build does not know")
                }
                _ => {}
            }
            let message = reply
                .get("message")
                .and_then(text)
                .filter(|m| !m.is_empty())
                .unwrap_or_else(|| "no message".into());
            return Err(GatewayError::declined(code, message, refusal));
        }
        match reply.get("data") {
            Some(Value::Object(d)) if !d.is_empty() => Ok(d.clone()),
            _ => Err(GatewayError::BadResponse(format!(
                "{method}: status true without data"
            ))),
        }
    }

    fn amount(value: Option<&Value>, currency: Option<&Value>) -> Option<Money> {
        let currency = currency.and_then(text)?;
        Money::from_decimal(&value.and_then(text)?, &currency).ok()
    }
}

#[async_trait::async_trait]
impl super::Connector for YabandPay {
    fn name(&self) -> &'static str {
        "yabandpay"
    }

    async fn create(&self, req: CreatePayment<'_>) -> Result<GatewayPayment, GatewayError> {
        let min = minimum(&req.amount.currency);
        if req.amount.value < min {
            let least = Money {
                value: min,
                currency: req.amount.currency.clone(),
            };
            return Err(GatewayError::Refused(format!(
                "YabandPay takes at least {least}; the order is {}",
                req.amount
            )));
        }
        let (method, sub_pay_method, flow) = self.method(req.wallet, req.flow);
        let mut data = BTreeMap::from([
            ("order_id", req.merchant_ref.to_string()),
            ("amount", req.amount.to_decimal()),
            ("currency", req.amount.currency.clone()),
            ("description", req.description.to_string()),
            ("notify_url", req.notify_url.to_string()),
            (
                "redirect_url",
                req.return_url.unwrap_or_default().to_string(),
            ),
            ("timeout", TIMEOUT_MINUTES.to_string()),
        ]);
        if method == "v3.CreateWechatNativePay" {
            // 02: the raw WeChat QR text, which the widget draws itself.
            data.insert("url_type", "02".into());
        } else {
            data.insert("pay_method", "online".into());
            data.insert(
                "sub_pay_method",
                sub_pay_method
                    .unwrap_or(if req.wallet == Wallet::Alipay {
                        "Alipay"
                    } else {
                        "WeChat Pay"
                    })
                    .into(),
            );
            // The mini-program pay alone may go without one (its answer is a trade number).
            if data["redirect_url"].is_empty() && method != "v3.CreatePaymentsAlipayMiniPay" {
                // Required by every hosted method (the API layer always passes one).
                return Err(GatewayError::Refused(
                    "YabandPay needs a return URL for this wallet".into(),
                ));
            }
        }
        if method == "v3.CreatePaymentsWechatH5Pay" {
            data.insert(
                "ip_address",
                req.client_ip.unwrap_or("127.0.0.1").to_string(),
            );
        }
        let now = self.clock.now();
        let d = self.call(method, data).await?;
        let get = |k: &str| d.get(k).and_then(text).unwrap_or_default();
        if get("order_id") != req.merchant_ref {
            return Err(GatewayError::BadResponse(
                "answer is for another order_id".into(),
            ));
        }
        if let Some(amount) = Self::amount(d.get("amount"), d.get("currency")) {
            if amount != *req.amount {
                return Err(GatewayError::BadResponse(format!(
                    "answer is for {amount}, not {}",
                    req.amount
                )));
            }
        }
        let gateway_ref = get("trade_id");
        if gateway_ref.is_empty() {
            return Err(GatewayError::BadResponse("no trade_id".into()));
        }
        let expires_at = now + Duration::minutes(TIMEOUT_MINUTES);
        if method == "v3.CreatePaymentsAlipayMiniPay" {
            // No `url`: `parameters.transaction_id` is the trade number `tradePay` takes.
            let trade_no = d
                .get("parameters")
                .and_then(|p| p.get("transaction_id"))
                .and_then(text)
                .filter(|t| !t.is_empty())
                .ok_or_else(|| GatewayError::BadResponse("no parameters.transaction_id".into()))?;
            return Ok(GatewayPayment::pending(
                gateway_ref,
                flow,
                Action::AlipayJsapi { trade_no },
                expires_at,
            ));
        }
        let url = get("url");
        if url.is_empty() {
            return Err(GatewayError::BadResponse("no url".into()));
        }
        let action = match flow {
            Flow::Qr if method == "v3.CreateWechatNativePay" => Action::Qr {
                content: Some(url),
                matrix: None,
                image: None,
                url: None,
            },
            Flow::Qr => Action::Qr {
                content: Some(url.clone()),
                matrix: None,
                image: None,
                url: Some(url),
            },
            _ => Action::Redirect { url },
        };
        Ok(GatewayPayment::pending(
            gateway_ref,
            flow,
            action,
            expires_at,
        ))
    }

    fn verify_notification(
        &self,
        n: IncomingNotification<'_>,
    ) -> Result<Notification, NotifyError> {
        let body =
            std::str::from_utf8(n.body).map_err(|_| NotifyError::Body("not UTF-8".into()))?;
        let trimmed = body.trim_start();
        // Three transports: raw JSON; `resultData=` + JSON (URL-encoded by newer senders);
        // a form whose `resultData` field holds the JSON.
        let json_text = if trimmed.starts_with('{') {
            trimmed.to_string()
        } else {
            let fields: Vec<(String, String)> = serde_urlencoded::from_str(trimmed)
                .map_err(|e| NotifyError::Body(format!("neither JSON nor a form: {e}")))?;
            match fields.into_iter().find(|(k, _)| k == "resultData") {
                Some((_, v)) => v,
                None => {
                    // Older SDKs post `resultData=` followed by raw, unencoded JSON.
                    trimmed
                        .strip_prefix("resultData=")
                        .ok_or_else(|| NotifyError::Body("no resultData".into()))?
                        .to_string()
                }
            }
        };
        let envelope: Value = serde_json::from_str(&json_text)
            .map_err(|e| NotifyError::Body(format!("resultData is not JSON: {e}")))?;
        let given = envelope
            .get("sign")
            .and_then(Value::as_str)
            .ok_or(NotifyError::Header("sign"))?;
        let Some(Value::Object(data)) = envelope.get("data") else {
            return Err(NotifyError::Body("no data".into()));
        };
        let mut fields = Vec::with_capacity(data.len());
        for (k, v) in data {
            fields.push((
                k.as_str(),
                text(v).ok_or_else(|| NotifyError::Body(format!("data.{k} is not a scalar")))?,
            ));
        }
        let expected = sign::sign(fields.iter().map(|(k, v)| (*k, v.as_str())), &self.secret);
        if !constant_time_eq(expected.as_bytes(), given.to_ascii_lowercase().as_bytes()) {
            return Err(NotifyError::Signature);
        }
        let get = |k: &'static str| {
            data.get(k)
                .and_then(text)
                .ok_or(NotifyError::Body(format!("no {k}")))
        };
        if get("user")? != self.user {
            return Err(NotifyError::Body("for another user".into()));
        }
        if !get("type")?.eq_ignore_ascii_case("payment") {
            return Ok(Notification::Other);
        }
        let Some(status) = status_of(&get("state")?) else {
            return Ok(Notification::Other);
        };
        let amount = Self::amount(data.get("amount"), data.get("currency"))
            .ok_or(NotifyError::Body("amount or currency".into()))?;
        Ok(Notification::Payment {
            gateway_ref: get("trade_id")?,
            merchant_ref: get("order_id")?,
            status,
            amount,
        })
    }

    fn acknowledge(&self, accepted: bool) -> Response {
        super::text_ack(accepted, "ok", "bad")
    }

    async fn query(&self, payment: PaymentRef<'_>) -> Result<Observed, GatewayError> {
        let d = self
            .call(
                "v3.QueryOrder",
                BTreeMap::from([("trade_id", payment.gateway_ref.to_string())]),
            )
            .await?;
        let info = match d.get("transaction_info") {
            Some(Value::Object(i)) => i,
            _ => return Err(GatewayError::BadResponse("no transaction_info".into())),
        };
        if info.get("trade_id").and_then(text).as_deref() != Some(payment.gateway_ref) {
            return Err(GatewayError::BadResponse(
                "query answer is for another trade".into(),
            ));
        }
        Ok(Observed {
            status: info.get("state").and_then(text).and_then(|s| status_of(&s)),
            amount: Self::amount(info.get("amount"), info.get("currency")),
        })
    }

    async fn close(&self, payment: PaymentRef<'_>) -> Result<Status, GatewayError> {
        // CancelPayment also reverses a *paid* order, so look first and never cancel a payment.
        let observed = self.query(payment).await?;
        match observed.status {
            Some(Status::Pending) | None => {}
            Some(final_status) => return Ok(final_status),
        }
        self.call(
            "v3.CancelPayment",
            BTreeMap::from([("trade_id", payment.gateway_ref.to_string())]),
        )
        .await?;
        Ok(Status::Cancelled)
    }

    async fn refund(
        &self,
        payment: PaymentRef<'_>,
        refund: RefundRequest<'_>,
    ) -> Result<RefundOutcome, GatewayError> {
        let d = self
            .call(
                "v3.CreateRefund",
                BTreeMap::from([
                    ("trade_id", payment.gateway_ref.to_string()),
                    ("m_refund_id", refund.refund_ref.to_string()),
                    ("refund_amount", refund.amount.to_decimal()),
                    ("refund_currency", refund.amount.currency.clone()),
                    ("refund_description", refund.reason.to_string()),
                ]),
            )
            .await?;
        // Accepted without a `refund_id`: processing, and asked about by ours (`m_refund_id`).
        let gateway_ref = d.get("refund_id").and_then(text).filter(|r| !r.is_empty());
        Ok(RefundOutcome {
            status: match &gateway_ref {
                Some(_) => refund_status_of(&d.get("state").and_then(text).unwrap_or_default()),
                None => RefundStatus::Processing,
            },
            gateway_ref,
            said: None,
        })
    }

    async fn refund_status(
        &self,
        _payment: PaymentRef<'_>,
        refund: RefundAsked<'_>,
    ) -> Result<RefundStatus, GatewayError> {
        // Unknown upstream: whether QueryRefundOrder takes `m_refund_id` (documented: `refund_id`);
        // it is the only handle on a refund whose answer named none. A refusal leaves it processing.
        let by = match refund.gateway_refund_ref {
            Some(id) => ("refund_id", id.to_string()),
            None => ("m_refund_id", refund.refund_ref.to_string()),
        };
        let d = self
            .call("v3.QueryRefundOrder", BTreeMap::from([by]))
            .await?;
        let get = |k: &str| d.get(k).and_then(text).unwrap_or_default();
        // YabandPay's answers are unsigned: every id and the amount it names must be this refund's.
        let amount = Self::amount(d.get("refund_amount"), d.get("refund_currency"));
        refund.check(&get("m_refund_id"), &get("refund_id"), amount.as_ref())?;
        Ok(refund_status_of(&get("state")))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn states_map_case_insensitively_through_one_table() {
        for (s, want) in [
            ("pending", Some(Status::Pending)),
            ("Processing", Some(Status::Pending)),
            ("verify", Some(Status::Pending)),
            ("Paid", Some(Status::Succeeded)),
            ("paid", Some(Status::Succeeded)),
            ("declined", Some(Status::Failed)),
            ("failed", Some(Status::Failed)),
            ("expired", Some(Status::Expired)),
            ("cancelled", Some(Status::Cancelled)),
            ("something-new", None),
        ] {
            assert_eq!(status_of(s), want, "{s}");
        }
    }

    #[test]
    fn decimal_amounts_convert_exactly_by_exponent() {
        let m = |v, c| YabandPay::amount(Some(&Value::String(v)), Some(&Value::String(c)));
        assert_eq!(
            m("24.99".into(), "EUR".into()),
            Money::new(2499, "EUR").ok()
        );
        assert_eq!(m("500".into(), "JPY".into()), Money::new(500, "JPY").ok());
        assert_eq!(m("1.00".into(), "EUR".into()), Money::new(100, "EUR").ok());
        assert_eq!(m("1.5".into(), "JPY".into()), None);
        assert_eq!(m("0.101".into(), "EUR".into()), None);
    }
}
