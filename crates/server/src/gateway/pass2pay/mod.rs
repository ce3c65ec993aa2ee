//! Pass2Pay connector (Jeepay merchant API, version 1.1): `unifiedOrder` (`ALI_QR`, `ALI_WAP`,
//! `ALI_PC`, `WX_NATIVE`, `WX_H5`, `QR_CASHIER`) and `cashierOrder`, `query`, `close`, refunds;
//! MD5 signatures on requests, answers' `data` and form-encoded notifications.
//!
//! Unknowns (gateways.md §5) that bite here: whether `close` and the refund APIs are exposed by
//! Pass2Pay (they are Jeepay's; we call them and report the gateway's answer), whether `reqTime`
//! is checked for freshness (we always send the current time), and the exact production host.

mod config;
pub mod sign;

pub use config::{default_client_ip, Pass2PayConfig};

use std::collections::BTreeMap;
use std::sync::Arc;

use axum::http::header;
use axum::response::Response;
use serde_json::Value;
use time::Duration;
use wallet_checkout_protocol::{Action, Flow, Money, Status, Wallet};

use super::{
    constant_time_eq, http, CreatePayment, GatewayError, GatewayPayment, IncomingNotification,
    Notification, NotifyError, Observed, PaymentRef, RefundAsked, RefundOutcome, RefundRequest,
    RefundStatus, Refusal, Said,
};
use crate::core::clock::Clock;

/// How long a Pass2Pay order may be paid; the widget's countdown follows it.
pub const ORDER_LIFETIME: Duration = Duration::minutes(15);
/// Notifications whose `reqTime` is further than this from now are refused. Jeepay signs `reqTime`
/// once and resends the same notification at 0, 30, … 150 s, so 10 minutes covers every retry and a
/// few minutes of clock skew; anything later is learnt by reconciliation's query instead.
pub const NOTIFY_WINDOW: Duration = Duration::minutes(10);

pub struct Pass2Pay {
    pub base_url: String,
    pub mch_no: String,
    pub app_id: String,
    pub secret: String,
    /// A mainland-China IPv4 Pass2Pay accepts as `clientIp` when the shopper's is unknown.
    pub client_ip: String,
    /// WeChat H5 is enrolled for this merchant; without it phones get the QR.
    pub wechat_h5: bool,
    /// Desktop Alipay shoppers go to Alipay's PC cashier (`ALI_PC`, an HTML form) instead of a QR.
    pub desktop_page: bool,
    pub http: reqwest::Client,
    pub clock: Arc<dyn Clock>,
}

/// How to create the order for a wallet and flow.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
struct Plan {
    cashier: bool,
    way_code: &'static str,
    data_type: &'static str,
    flow: Flow,
}

/// Jeepay's order `state` in the contract's words (`None`: a value this build does not know).
pub fn status_of(state: &str) -> Option<Status> {
    match state {
        "0" | "1" => Some(Status::Pending),
        // 5 is "fully refunded": it was paid.
        "2" | "5" => Some(Status::Succeeded),
        "3" => Some(Status::Failed),
        "4" => Some(Status::Cancelled),
        "6" => Some(Status::Expired),
        _ => None,
    }
}

fn refund_status_of(state: &str) -> RefundStatus {
    match state {
        "2" => RefundStatus::Succeeded,
        "3" | "4" => RefundStatus::Failed,
        _ => RefundStatus::Processing,
    }
}

/// A loopback URL (the sandbox's pages in the demo and tests).
fn loopback(u: &reqwest::Url) -> bool {
    matches!(u.host_str(), Some("127.0.0.1" | "localhost" | "[::1]"))
}

fn millis(t: time::OffsetDateTime) -> String {
    (t.unix_timestamp_nanos() / 1_000_000).to_string()
}

/// `data`'s values as Pass2Pay signs them: a string's text, and any other value (a number, an
/// object such as `payOrderInfo`) as its JSON text exactly as sent; `null` is not signed.
fn signed_fields(body: &str) -> Option<Vec<(String, String)>> {
    #[derive(serde::Deserialize)]
    struct Raw<'a> {
        #[serde(borrow)]
        data: Option<BTreeMap<String, &'a serde_json::value::RawValue>>,
    }
    let raw: Raw<'_> = serde_json::from_str(body).ok()?;
    let mut out = Vec::new();
    for (k, v) in raw.data.unwrap_or_default() {
        let t = v.get();
        if t == "null" {
            continue;
        }
        let value = if t.starts_with('"') {
            serde_json::from_str::<String>(t).ok()?
        } else {
            t.to_string()
        };
        out.push((k, value));
    }
    Some(out)
}

fn text(v: &Value) -> Option<String> {
    match v {
        Value::String(s) => Some(s.clone()),
        Value::Number(n) => Some(n.to_string()),
        Value::Bool(b) => Some(b.to_string()),
        _ => None,
    }
}

impl Pass2Pay {
    fn plan(&self, wallet: Wallet, flow: Flow) -> Plan {
        let order = |way_code, data_type, flow| Plan {
            cashier: false,
            way_code,
            data_type,
            flow,
        };
        match (wallet, flow) {
            // A counter scanning the shopper's code (`channelExtra` carries it as `authCode`).
            (Wallet::Alipay, Flow::PaymentCode) => order("ALI_BAR", "", Flow::PaymentCode),
            (Wallet::WechatPay, Flow::PaymentCode) => order("WX_BAR", "", Flow::PaymentCode),
            (Wallet::Unionpay, Flow::PaymentCode) => order("YSF_BAR", "", Flow::PaymentCode),
            (Wallet::Alipay, Flow::Qr) if self.desktop_page => {
                order("ALI_PC", "form", Flow::Redirect)
            }
            (Wallet::Alipay, Flow::Qr | Flow::WechatInApp) => order("ALI_QR", "codeUrl", Flow::Qr),
            (Wallet::Alipay, Flow::Redirect) => order("ALI_WAP", "payUrl", Flow::Redirect),
            (Wallet::Alipay, Flow::AlipayInApp) => order("ALI_WAP", "payUrl", Flow::AlipayInApp),
            (Wallet::WechatPay, Flow::Redirect) if self.wechat_h5 => {
                order("WX_H5", "payUrl", Flow::Redirect)
            }
            // WX_JSAPI needs the shopper's openid; without H5 a phone gets the QR to save and scan.
            (Wallet::WechatPay, _) => order("WX_NATIVE", "codeUrl", Flow::Qr),
            (Wallet::Unionpay, Flow::Redirect) => Plan {
                cashier: true,
                way_code: "",
                data_type: "payurl",
                flow: Flow::Redirect,
            },
            // The aggregated QR cashier: the shopper scans it with the UnionPay (YSF) app.
            (Wallet::Unionpay, _) => order("QR_CASHIER", "codeUrl", Flow::Qr),
        }
    }

    /// Signs and posts `params` (JSON) to `path`; checks `code` and the signature over `data`.
    async fn call(
        &self,
        path: &str,
        mut params: BTreeMap<&'static str, String>,
    ) -> Result<serde_json::Map<String, Value>, GatewayError> {
        params.insert("mchNo", self.mch_no.clone());
        params.insert("appId", self.app_id.clone());
        params.insert("reqTime", millis(self.clock.now()));
        params.insert("version", "1.1".into());
        params.insert("signType", "MD5".into());
        // Empty values are neither signed nor sent, so both sides agree on what was signed.
        params.retain(|_, v| !v.is_empty());
        let signature = sign::sign(params.iter().map(|(k, v)| (*k, v.as_str())), &self.secret);
        params.insert("sign", signature);
        let url = format!("{}{}", self.base_url.trim_end_matches('/'), path);
        let payload =
            serde_json::to_string(&params).map_err(|e| GatewayError::Refused(e.to_string()))?;
        let answer = http::send(
            self.http
                .post(url)
                .header(header::CONTENT_TYPE, "application/json; charset=UTF-8")
                .body(payload),
        )
        .await?;
        let body: Value = serde_json::from_str(&answer.body).map_err(|e| {
            GatewayError::BadResponse(format!("{path}: not JSON (HTTP {}): {e}", answer.status))
        })?;
        let code = body.get("code").and_then(text).unwrap_or_default();
        if code != "0" {
            // The contract's table: any `code ≠ 0` refuses this order as sent (Pass2Pay documents
            // no code list; `msg` says why, e.g. a signature or a field).
            return Err(GatewayError::declined(
                if code.is_empty() { "?".into() } else { code },
                body.get("msg")
                    .and_then(text)
                    .unwrap_or_else(|| "no message".into()),
                Refusal::Order,
            ));
        }
        let data = match body.get("data") {
            Some(Value::Object(m)) => m.clone(),
            None | Some(Value::Null) => serde_json::Map::new(),
            Some(_) => {
                return Err(GatewayError::BadResponse(format!(
                    "{path}: data is not an object"
                )))
            }
        };
        // "If data is empty, sign is not returned": an empty answer (a close that worked) is
        // unsigned and carries nothing to trust, so nothing is read from it but `code` (a close is
        // confirmed by a signed query). A sign that is there anyway must verify.
        if data.is_empty() && body.get("sign").is_none() {
            return Ok(data);
        }
        let given = body
            .get("sign")
            .and_then(Value::as_str)
            .ok_or_else(|| GatewayError::BadResponse(format!("{path}: unsigned answer")))?;
        let fields = signed_fields(&answer.body)
            .ok_or_else(|| GatewayError::BadResponse(format!("{path}: data is not readable")))?;
        let expected = sign::sign(
            fields.iter().map(|(k, v)| (k.as_str(), v.as_str())),
            &self.secret,
        );
        if !constant_time_eq(expected.as_bytes(), given.to_ascii_uppercase().as_bytes()) {
            return Err(GatewayError::BadResponse(format!(
                "{path}: answer signature does not verify"
            )));
        }
        Ok(data)
    }

    fn by_id(payment: &PaymentRef<'_>) -> BTreeMap<&'static str, String> {
        BTreeMap::from([
            ("payOrderId", payment.gateway_ref.to_string()),
            ("mchOrderNo", payment.merchant_ref.to_string()),
        ])
    }

    fn action(plan: Plan, data_type: &str, pay_data: String) -> Result<Action, GatewayError> {
        // payDataType comes as `payUrl` and `payurl` alike: compare case-insensitively.
        match data_type.to_ascii_lowercase().as_str() {
            "codeurl" => Ok(Action::Qr {
                content: Some(pay_data),
                matrix: None,
                image: None,
                url: None,
            }),
            // A picture of the QR, hosted by Pass2Pay: the widget shows it as it is (an https URL;
            // the widget checks the scheme, as it does for every URL it is given).
            // https only (plain http to loopback: the sandbox), as the widget shows no other.
            "codeimgurl" => match reqwest::Url::parse(&pay_data) {
                Ok(u) if u.scheme() == "https" || (u.scheme() == "http" && loopback(&u)) => {
                    Ok(Action::Qr {
                        content: None,
                        matrix: None,
                        image: Some(u.to_string()),
                        url: None,
                    })
                }
                _ => Err(GatewayError::BadResponse(
                    "codeImgUrl payData is not a URL".into(),
                )),
            },
            "payurl" if plan.flow == Flow::Qr => Ok(Action::Qr {
                content: Some(pay_data.clone()),
                matrix: None,
                image: None,
                url: Some(pay_data),
            }),
            "payurl" => Ok(Action::Redirect { url: pay_data }),
            "form" => {
                let (url, fields) = super::form::parse(&pay_data).ok_or_else(|| {
                    GatewayError::BadResponse("payData form has no form action".into())
                })?;
                Ok(Action::Form { url, fields })
            }
            other => Err(GatewayError::BadResponse(format!(
                "payDataType {other:?} cannot be shown to a shopper"
            ))),
        }
    }
}

#[async_trait::async_trait]
impl super::Connector for Pass2Pay {
    fn name(&self) -> &'static str {
        "pass2pay"
    }

    fn takes_payment_codes(&self) -> bool {
        true
    }

    async fn create(&self, req: CreatePayment<'_>) -> Result<GatewayPayment, GatewayError> {
        if req.amount.value == 0 {
            return Err(GatewayError::Refused(
                "Pass2Pay takes at least 1 minor unit".into(),
            ));
        }
        if wallet_checkout_protocol::currency_exponent(&req.amount.currency) != 2 {
            return Err(GatewayError::Refused(format!(
                "Pass2Pay amounts are in cents; {} has no cents",
                req.amount.currency
            )));
        }
        let plan = self.plan(req.wallet, req.flow);
        let now = self.clock.now();
        let client_ip = req
            .client_ip
            .filter(|ip| ip.parse::<std::net::Ipv4Addr>().is_ok())
            .unwrap_or(&self.client_ip)
            .to_string();
        let mut p = BTreeMap::from([
            ("mchOrderNo", req.merchant_ref.to_string()),
            ("amount", req.amount.value.to_string()),
            ("currency", req.amount.currency.to_ascii_lowercase()),
            ("notifyUrl", req.notify_url.to_string()),
            ("returnUrl", req.return_url.unwrap_or_default().to_string()),
            ("expiredTime", ORDER_LIFETIME.whole_seconds().to_string()),
            ("extParam", String::new()),
        ]);
        // Pass2Pay v1.1 asks who pays: the order's customer (`PUT /admin/orders`' `customer`).
        match req.customer {
            Some(c) => {
                let registered = c
                    .registered_at
                    .as_deref()
                    .and_then(crate::core::clock::parse_rfc3339)
                    .unwrap_or(now);
                p.insert("custNo", c.id.clone());
                p.insert("registerTime", millis(registered));
                for (field, value) in [
                    ("userName", &c.name),
                    ("mbrTel", &c.phone),
                    ("idNo", &c.id_number),
                ] {
                    if let Some(v) = value {
                        p.insert(field, v.clone());
                    }
                }
            }
            None => {
                // A guest: the order stands in for the customer (never the session id, which
                // changes with every attempt), registered now.
                let guest = format!("guest-{}", req.order);
                tracing::info!(order = %req.order, cust_no = %guest, "Pass2Pay: the order names no customer; sending a guest custNo and registerTime now");
                p.insert("custNo", guest);
                p.insert("registerTime", millis(now));
            }
        }
        let path = if plan.cashier {
            "/api/pay/cashierOrder"
        } else {
            p.insert("wayCode", plan.way_code.to_string());
            p.insert("clientIp", client_ip);
            // The docs ask for these fixed values.
            p.insert("subject", "商品".to_string());
            p.insert("body", "0".to_string());
            let extra = match req.payment_code {
                // `*_BAR`: the shopper's code (digits only: checked), as the document's example.
                Some(code) => serde_json::json!({ "authCode": code.expose() }).to_string(),
                None => serde_json::json!({ "payDataType": plan.data_type }).to_string(),
            };
            p.insert("channelExtra", extra);
            "/api/pay/unifiedOrder"
        };
        let data = self.call(path, p).await?;
        let get = |k: &str| data.get(k).and_then(text).unwrap_or_default();
        if get("mchOrderNo") != req.merchant_ref {
            return Err(GatewayError::BadResponse(
                "answer is for another mchOrderNo".into(),
            ));
        }
        let gateway_ref = get("payOrderId");
        if gateway_ref.is_empty() {
            return Err(GatewayError::BadResponse("no payOrderId".into()));
        }
        // The channel's own words (`errCode`/`errMsg`), kept for the shop's order view.
        let said = Some(Said {
            code: get("errCode"),
            message: get("errMsg"),
        })
        .filter(|s| !s.code.is_empty() || !s.message.is_empty());
        let expires_at = now + ORDER_LIFETIME;
        let counter = plan.flow == Flow::PaymentCode;
        let settled = |status| GatewayPayment {
            gateway_ref: gateway_ref.clone(),
            flow: plan.flow,
            action: None,
            expires_at,
            settled: Some(status),
            said: said.clone(),
            failure: (counter && status == Status::Failed)
                .then_some(wallet_checkout_protocol::FailureCode::PaymentCodeDeclined),
        };
        match status_of(&get("orderState")) {
            // A channel failure still answers code 0, with the order failed (at a counter: the
            // code was refused, e.g. `ACQ.PAYMENT_AUTH_CODE_INVALID`).
            Some(Status::Failed) => return Ok(settled(Status::Failed)),
            // Paid at once (`payOrderInfo`): the session ends succeeded, if the amount agrees.
            Some(Status::Succeeded) => {
                // An object, or (signed like every other value) its JSON text.
                let info = match data.get("payOrderInfo") {
                    Some(Value::Object(m)) => Some(m.clone()),
                    Some(Value::String(t)) => serde_json::from_str(t).ok(),
                    _ => None,
                };
                let amount = info.as_ref().and_then(|i| i.get("amount")).and_then(text);
                if amount.is_some_and(|a| a != req.amount.value.to_string()) {
                    tracing::error!(order = %req.order, "ALERT: Pass2Pay says paid at create for another amount");
                }
                // Kept either way (money may have moved); the caller confirms it by a signed query.
                return Ok(settled(Status::Succeeded));
            }
            Some(Status::Cancelled | Status::Expired) => {
                return Err(GatewayError::BadResponse(
                    "the order was closed as it was made".into(),
                ))
            }
            // At a counter, "paying" is the shopper confirming on their phone; an unknown state
            // is asked about the same way (never taken as failed).
            Some(Status::Pending) | None if counter => {
                return Ok(GatewayPayment {
                    said,
                    ..GatewayPayment::pending(
                        gateway_ref.clone(),
                        plan.flow,
                        Action::Wait,
                        expires_at,
                    )
                })
            }
            Some(Status::Pending) | None => {}
        }
        let pay_data = get("payData");
        if pay_data.is_empty() {
            return Err(GatewayError::BadResponse("no payData".into()));
        }
        Ok(GatewayPayment {
            said,
            ..GatewayPayment::pending(
                gateway_ref.clone(),
                plan.flow,
                Self::action(plan, &get("payDataType"), pay_data)?,
                expires_at,
            )
        })
    }

    fn verify_notification(
        &self,
        n: IncomingNotification<'_>,
    ) -> Result<Notification, NotifyError> {
        let fields: Vec<(String, String)> = serde_urlencoded::from_bytes(n.body)
            .map_err(|e| NotifyError::Body(format!("not a form: {e}")))?;
        let mut map = BTreeMap::new();
        for (k, v) in fields {
            if map.insert(k, v).is_some() {
                return Err(NotifyError::Body("a field appears twice".into()));
            }
        }
        let given = map.remove("sign").ok_or(NotifyError::Header("sign"))?;
        let expected = sign::sign(
            map.iter().map(|(k, v)| (k.as_str(), v.as_str())),
            &self.secret,
        );
        if !constant_time_eq(expected.as_bytes(), given.to_ascii_uppercase().as_bytes()) {
            return Err(NotifyError::Signature);
        }
        let get = |k: &'static str| {
            map.get(k)
                .map(String::as_str)
                .ok_or(NotifyError::Body(format!("no {k}")))
        };
        if get("mchNo")? != self.mch_no || get("appId")? != self.app_id {
            return Err(NotifyError::Body("for another merchant or app".into()));
        }
        let sent = get("reqTime")?
            .parse::<i128>()
            .map_err(|_| NotifyError::Body("reqTime".into()))?;
        let sent = sent
            .checked_mul(1_000_000)
            .and_then(|nanos| time::OffsetDateTime::from_unix_timestamp_nanos(nanos).ok())
            .ok_or_else(|| NotifyError::Body("reqTime".into()))?;
        if (n.now - sent).abs() > NOTIFY_WINDOW {
            return Err(NotifyError::Stale);
        }
        if map.contains_key("refundOrderId") {
            // A refund's end, with the refund-query fields (Jeepay's mechanism for refunds).
            let amount = get("refundAmount")?
                .parse::<u64>()
                .ok()
                .and_then(|v| Money::new(v, &get("currency").ok()?.to_ascii_uppercase()).ok())
                .ok_or_else(|| NotifyError::Body("refundAmount".into()))?;
            return Ok(Notification::Refund {
                gateway_ref: get("payOrderId")?.to_string(),
                refund_ref: get("mchRefundNo")?.to_string(),
                gateway_refund_ref: Some(get("refundOrderId")?.to_string()),
                status: refund_status_of(get("state")?),
                amount: Some(amount),
            });
        }
        let Some(status) = status_of(get("state")?) else {
            return Ok(Notification::Other);
        };
        let value = get("amount")?
            .parse::<u64>()
            .map_err(|_| NotifyError::Body("amount".into()))?;
        let amount = Money::new(value, &get("currency")?.to_ascii_uppercase())
            .map_err(|e| NotifyError::Body(e.to_string()))?;
        Ok(Notification::Payment {
            gateway_ref: get("payOrderId")?.to_string(),
            merchant_ref: get("mchOrderNo")?.to_string(),
            status,
            amount,
        })
    }

    fn acknowledge(&self, accepted: bool) -> Response {
        // Jeepay stops retrying only on the text `success`.
        super::text_ack(accepted, "success", "fail")
    }

    async fn query(&self, payment: PaymentRef<'_>) -> Result<Observed, GatewayError> {
        let data = self.call("/api/pay/query", Self::by_id(&payment)).await?;
        let get = |k: &str| data.get(k).and_then(text).unwrap_or_default();
        // A counter's create whose answer was lost has no payOrderId yet: asked by ours.
        let other = if payment.gateway_ref.is_empty() {
            get("mchOrderNo") != payment.merchant_ref
        } else {
            get("payOrderId") != payment.gateway_ref
        };
        if other {
            return Err(GatewayError::BadResponse(
                "query answer is for another order".into(),
            ));
        }
        let amount = get("amount")
            .parse::<u64>()
            .ok()
            .and_then(|v| Money::new(v, &get("currency").to_ascii_uppercase()).ok());
        Ok(Observed {
            status: status_of(&get("state")),
            amount,
        })
    }

    async fn close(&self, payment: PaymentRef<'_>) -> Result<Status, GatewayError> {
        match self.call("/api/pay/close", Self::by_id(&payment)).await {
            // An unsigned "done": a signed query says what the order became.
            Ok(_) => match self.query(payment).await?.status {
                Some(Status::Pending) | None => Err(GatewayError::declined(
                    "close",
                    "the close was answered but the order is still open",
                    Refusal::Transient,
                )),
                Some(Status::Expired) => Ok(Status::Cancelled),
                Some(done) => Ok(done),
            },
            // "当前订单不可关闭": not open any more; ask what it became.
            Err(refused @ GatewayError::Declined { .. }) => {
                let observed = self.query(payment).await?;
                match observed.status {
                    Some(s) if s != Status::Pending => Ok(s),
                    // Still open: the refusal stands (its words kept for the admin view).
                    _ => Err(refused),
                }
            }
            Err(e) => Err(e),
        }
    }

    async fn refund(
        &self,
        payment: PaymentRef<'_>,
        refund: RefundRequest<'_>,
    ) -> Result<RefundOutcome, GatewayError> {
        let mut p = Self::by_id(&payment);
        p.insert("mchRefundNo", refund.refund_ref.to_string());
        p.insert("refundAmount", refund.amount.value.to_string());
        p.insert("currency", refund.amount.currency.to_ascii_lowercase());
        p.insert(
            "refundReason",
            super::alphapay::truncate_chars(refund.reason, 64).to_string(),
        );
        p.insert("clientIp", self.client_ip.clone());
        p.insert("notifyUrl", refund.notify_url.to_string());
        let data = self.call("/api/refund/refundOrder", p).await?;
        let get = |k: &str| data.get(k).and_then(text).unwrap_or_default();
        // Without `refundOrderId` it is asked about by ours (`mchRefundNo`), which Jeepay takes.
        let gateway_ref = Some(get("refundOrderId")).filter(|r| !r.is_empty());
        let said = Some(Said {
            code: get("errCode"),
            message: get("errMsg"),
        })
        .filter(|s| !s.code.is_empty());
        Ok(RefundOutcome {
            status: match &gateway_ref {
                Some(_) => refund_status_of(&get("state")),
                None => RefundStatus::Processing,
            },
            gateway_ref,
            said,
        })
    }

    fn finds_refunds_by_ours(&self) -> bool {
        true
    }

    async fn refund_status(
        &self,
        _payment: PaymentRef<'_>,
        refund: RefundAsked<'_>,
    ) -> Result<RefundStatus, GatewayError> {
        let p = BTreeMap::from([
            ("mchRefundNo", refund.refund_ref.to_string()),
            (
                "refundOrderId",
                refund.gateway_refund_ref.unwrap_or_default().to_string(),
            ),
        ]);
        let data = self.call("/api/refund/query", p).await?;
        let get = |k: &str| data.get(k).and_then(text).unwrap_or_default();
        let amount = get("refundAmount")
            .parse::<u64>()
            .ok()
            .and_then(|v| Money::new(v, &get("currency").to_ascii_uppercase()).ok());
        refund.check(&get("mchRefundNo"), &get("refundOrderId"), amount.as_ref())?;
        Ok(refund_status_of(&get("state")))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn states_map_through_one_table() {
        assert_eq!(status_of("0"), Some(Status::Pending));
        assert_eq!(status_of("1"), Some(Status::Pending));
        assert_eq!(status_of("2"), Some(Status::Succeeded));
        assert_eq!(status_of("5"), Some(Status::Succeeded));
        assert_eq!(status_of("3"), Some(Status::Failed));
        assert_eq!(status_of("4"), Some(Status::Cancelled));
        assert_eq!(status_of("6"), Some(Status::Expired));
        assert_eq!(status_of("7"), None);
        assert_eq!(status_of(""), None);
    }

    #[test]
    fn pay_data_types_are_read_case_insensitively_and_forms_are_parsed() {
        let plan = Plan {
            cashier: false,
            way_code: "ALI_WAP",
            data_type: "payUrl",
            flow: Flow::Redirect,
        };
        for t in ["payUrl", "payurl", "PAYURL"] {
            assert_eq!(
                Pass2Pay::action(plan, t, "https://p.example/x".into()).expect("ok"),
                Action::Redirect {
                    url: "https://p.example/x".into()
                }
            );
        }
        let form = r#"<form action="https://p.example/go" method="POST"><input name="t" value="1"></form><script>evil()</script>"#;
        assert_eq!(
            Pass2Pay::action(plan, "form", form.into()).expect("ok"),
            Action::Form {
                url: "https://p.example/go".into(),
                fields: BTreeMap::from([("t".to_string(), "1".to_string())])
            }
        );
        assert!(Pass2Pay::action(plan, "none", String::new()).is_err());
        assert_eq!(
            Pass2Pay::action(plan, "codeImgUrl", "https://x.example/y.png".into()).expect("ok"),
            Action::Qr {
                content: None,
                matrix: None,
                image: Some("https://x.example/y.png".into()),
                url: None
            }
        );
        assert!(Pass2Pay::action(plan, "codeImgUrl", "javascript:alert(1)".into()).is_err());
        assert!(Pass2Pay::action(plan, "codeImgUrl", "http://x.example/y.png".into()).is_err());
    }
}
