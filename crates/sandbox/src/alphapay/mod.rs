//! AlphaPay Open API v2 simulator: checks the merchant's RSA signature and clock, creates QR orders,
//! signs its answers with its own key, expires orders after 5 minutes, and pushes signed notifications.
//!
//! Choices where AlphaPay's behaviour is unknown (gateways.md §5) are marked "unknown upstream".

mod signature;

use std::collections::HashMap;
use std::sync::Mutex;

use axum::body::Bytes;
use axum::extract::{Path, State};
use axum::http::{HeaderMap, HeaderValue, StatusCode};
use axum::response::{IntoResponse, Response};
use rand::Rng;
use rsa::{RsaPrivateKey, RsaPublicKey};
use serde_json::{json, Value};
use time::macros::format_description;
use time::{Duration, OffsetDateTime};

use crate::Sandbox;

const SKEW: Duration = Duration::minutes(5);
const ORDER_LIFETIME: Duration = Duration::minutes(5);

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum OrderState {
    InProcess,
    Success,
    Failed,
    Closed,
}

impl OrderState {
    fn wire(self) -> &'static str {
        match self {
            OrderState::InProcess => "PAYMENT_IN_PROCESS",
            OrderState::Success => "SUCCESS",
            OrderState::Failed => "FAILED",
            OrderState::Closed => "CLOSED",
        }
    }
}

#[derive(Debug, Clone)]
pub struct Order {
    pub payment_id: String,
    pub payment_request_id: String,
    pub scenario: String,
    pub method_type: String,
    pub amount_value: String,
    pub currency: String,
    pub description: String,
    pub notify_url: Option<String>,
    pub redirect_url: Option<String>,
    pub created: OffsetDateTime,
    pub expires: OffsetDateTime,
    pub paid: Option<OffsetDateTime>,
    pub state: OrderState,
}

pub struct Simulator {
    merchant_code: String,
    merchant_key: RsaPublicKey,
    key: RsaPrivateKey,
    orders: Mutex<HashMap<String, Order>>,
}

fn fmt_time(t: OffsetDateTime) -> String {
    t.format(format_description!(
        "[year]-[month]-[day]T[hour]:[minute]:[second][offset_hour sign:mandatory]:[offset_minute]"
    ))
    .unwrap_or_default()
}

fn parse_time(s: &str) -> Option<OffsetDateTime> {
    let sdk = format_description!(
        "[year]-[month]-[day]T[hour]:[minute]:[second][offset_hour sign:mandatory]:[offset_minute]"
    );
    OffsetDateTime::parse(s, sdk)
        .or_else(|_| OffsetDateTime::parse(s, &time::format_description::well_known::Rfc3339))
        .ok()
}

fn nonce() -> String {
    let mut rng = rand::thread_rng();
    (0..32)
        .map(|_| char::from(b"0123456789abcdef"[rng.gen_range(0..16)]))
        .collect()
}

impl Simulator {
    pub fn new(merchant_code: String, merchant_key: RsaPublicKey, key: RsaPrivateKey) -> Simulator {
        Simulator {
            merchant_code,
            merchant_key,
            key,
            orders: Mutex::new(HashMap::new()),
        }
    }

    pub fn public_key(&self) -> RsaPublicKey {
        self.key.to_public_key()
    }

    fn lock(&self) -> std::sync::MutexGuard<'_, HashMap<String, Order>> {
        self.orders.lock().unwrap_or_else(|p| p.into_inner())
    }

    /// The order, with expiry applied as of `now`.
    pub fn order(&self, payment_id: &str, now: OffsetDateTime) -> Option<Order> {
        let mut orders = self.lock();
        let order = orders.get_mut(payment_id)?;
        if order.state == OrderState::InProcess && now >= order.expires {
            order.state = OrderState::Closed;
        }
        Some(order.clone())
    }

    /// The shopper's decision on the wallet page; `None` if the order cannot take it (paid, closed).
    pub fn settle(&self, payment_id: &str, pay: bool, now: OffsetDateTime) -> Option<Order> {
        let mut orders = self.lock();
        let order = orders.get_mut(payment_id)?;
        if order.state == OrderState::InProcess && now >= order.expires {
            order.state = OrderState::Closed;
        }
        if order.state != OrderState::InProcess {
            return None;
        }
        if pay {
            order.state = OrderState::Success;
            order.paid = Some(now);
        } else {
            order.state = OrderState::Failed;
        }
        Some(order.clone())
    }

    fn signed(&self, uri: &str, status: StatusCode, body: Value, now: OffsetDateTime) -> Response {
        let text = body.to_string();
        let time = fmt_time(now);
        let nonce = nonce();
        let header = signature::signature_header(
            &self.key,
            &signature::string_to_sign(uri, &self.merchant_code, &time, &nonce, text.as_bytes()),
        );
        let mut response = (status, [("content-type", "application/json")], text).into_response();
        let h = response.headers_mut();
        for (name, value) in [
            ("Signature", header),
            ("Response-Time", time),
            ("Nonce", nonce),
        ] {
            if let Ok(v) = HeaderValue::from_str(&value) {
                h.insert(name, v);
            }
        }
        response
    }

    fn fail(&self, uri: &str, code: &str, message: &str, now: OffsetDateTime) -> Response {
        let body = json!({ "result": { "resultCode": code, "resultStatus": "F", "resultMessage": message } });
        self.signed(uri, StatusCode::OK, body, now)
    }

    fn pay(&self, sandbox: &Sandbox, uri: &str, body: &Value, now: OffsetDateTime) -> Response {
        let s = |v: &Value| v.as_str().map(str::to_string);
        let scenario = s(&body["scenarioCode"]).unwrap_or_default();
        let Some(request_id) =
            s(&body["paymentRequestId"]).filter(|r| !r.is_empty() && r.len() <= 64)
        else {
            return self.fail(uri, "PARAM_ILLEGAL", "paymentRequestId is required", now);
        };
        let value = s(&body["order"]["orderAmount"]["value"]).unwrap_or_default();
        if value.is_empty() || value.len() > 7 || !value.bytes().all(|b| b.is_ascii_digit()) {
            return self.fail(
                uri,
                "PARAM_ILLEGAL",
                "order.orderAmount.value must match ^\\d{1,7}$",
                now,
            );
        }
        let currency = s(&body["order"]["orderAmount"]["currency"]).unwrap_or_default();
        if !matches!(currency.as_str(), "CAD" | "USD" | "CNY") {
            return self.fail(
                uri,
                "CURRENCY_NOT_SUPPORT",
                "currency must be CAD, USD or CNY",
                now,
            );
        }
        let method = s(&body["paymentMethod"]["paymentMethodType"]).unwrap_or_default();
        if !matches!(method.as_str(), "Alipay" | "Wechat" | "UnionPay") {
            return self.fail(
                uri,
                "PARAM_ILLEGAL",
                "paymentMethod.paymentMethodType must be Alipay, Wechat or UnionPay",
                now,
            );
        }
        if scenario != "ONLINE_QRCODE" {
            return self.fail(
                uri,
                "PARAM_ILLEGAL",
                "the sandbox serves ONLINE_QRCODE so far",
                now,
            );
        }
        let mut orders = self.lock();
        // Unknown upstream: how AlphaPay treats a repeated paymentRequestId. The sandbox refuses it.
        if orders.values().any(|o| o.payment_request_id == request_id) {
            return self.fail(uri, "REPEAT_REQUEST", "paymentRequestId already used", now);
        }
        let mut rng = rand::thread_rng();
        let payment_id: String = (0..25)
            .map(|i| char::from(b'0' + rng.gen_range(u8::from(i == 0)..10)))
            .collect();
        let order = Order {
            payment_id: payment_id.clone(),
            payment_request_id: request_id,
            scenario,
            method_type: method,
            amount_value: value,
            currency,
            description: s(&body["order"]["description"]).unwrap_or_default(),
            notify_url: s(&body["order"]["notifyUrl"]),
            redirect_url: s(&body["order"]["redirectUrl"]),
            created: now,
            expires: now + ORDER_LIFETIME,
            paid: None,
            state: OrderState::InProcess,
        };
        orders.insert(payment_id.clone(), order.clone());
        drop(orders);
        let wallet_url = sandbox.wallet_url(&payment_id);
        let answer = json!({
            "result": { "resultCode": "PAYMENT_IN_PROCESS", "resultStatus": "U", "resultMessage": "success" },
            "paymentId": payment_id,
            "paymentRequestId": order.payment_request_id,
            "scenarioCode": order.scenario,
            "paymentCreateTime": fmt_time(order.created),
            "paymentExpireTime": fmt_time(order.expires),
            "order": { "orderAmount": { "value": order.amount_value, "currency": order.currency }, "description": order.description },
            "paymentMethod": { "paymentMethodType": order.method_type },
            "paymentInfo": { "paymentUrl": wallet_url, "payUrl": wallet_url },
        });
        self.signed(uri, StatusCode::OK, answer, now)
    }

    /// The notification body: the inquiry answer without `result`.
    fn notification_body(order: &Order) -> String {
        let mut body = json!({
            "scenarioCode": order.scenario,
            "paymentRequestId": order.payment_request_id,
            "order": { "orderAmount": { "value": order.amount_value, "currency": order.currency }, "description": order.description },
            "paymentCreateTime": fmt_time(order.created),
            "paymentExpireTime": fmt_time(order.expires),
            "paymentId": order.payment_id,
            "paymentStatus": order.state.wire(),
        });
        if let Some(paid) = order.paid {
            body["paymentTime"] = Value::String(fmt_time(paid));
        }
        body.to_string()
    }
}

/// `POST /sandbox/alphapay/api/v2.0/payments/{operation}`.
pub async fn api(
    State(sandbox): State<Sandbox>,
    Path(operation): Path<String>,
    headers: HeaderMap,
    body: Bytes,
) -> Response {
    let sim = &sandbox.inner.alphapay;
    let now = sandbox.now();
    let uri = format!("/api/v2.0/payments/{operation}");
    let header = |name: &str| {
        headers
            .get(name)
            .and_then(|v| v.to_str().ok())
            .unwrap_or_default()
            .to_string()
    };
    let (code, time, nonce, sig) = (
        header("Merchant-Code"),
        header("Request-Time"),
        header("Nonce"),
        header("Signature"),
    );
    if code != sim.merchant_code {
        return sim.fail(&uri, "MERCHANT_NOT_EXIST", "unknown Merchant-Code", now);
    }
    if nonce.len() < 16
        || !signature::check(
            &sim.merchant_key,
            &sig,
            &signature::string_to_sign(&uri, &code, &time, &nonce, &body),
        )
    {
        return sim.fail(&uri, "SIGN_ERROR", "signature verification failed", now);
    }
    match parse_time(&time) {
        Some(t) if (now - t).abs() <= SKEW => {}
        _ => {
            return sim.fail(
                &uri,
                "SIGN_TIMEOUT",
                "Request-Time is more than 5 minutes off",
                now,
            )
        }
    }
    let Ok(json) = serde_json::from_slice::<Value>(&body) else {
        return sim.fail(&uri, "PARAM_ILLEGAL", "body is not JSON", now);
    };
    match operation.as_str() {
        "pay" => sim.pay(&sandbox, &uri, &json, now),
        _ => sim.fail(
            &uri,
            "NOT_SUPPORTED",
            "the sandbox does not implement this operation yet",
            now,
        ),
    }
}

/// Pushes the signed notification of a settled order: at once, then up to two more tries a second apart.
/// AlphaPay then retries every 30 minutes for 24 hours; that schedule lands with the retry clock.
pub(crate) fn spawn_notification(sandbox: &Sandbox, order: Order) {
    let Some(url) = order.notify_url.clone() else {
        return;
    };
    if order.state != OrderState::Success {
        return; // AlphaPay notifies successful payments (and refunds) only.
    }
    let sandbox = sandbox.clone();
    tokio::spawn(async move {
        let body = Simulator::notification_body(&order);
        let path = reqwest::Url::parse(&url)
            .map(|u| match u.query() {
                Some(q) => format!("{}?{}", u.path(), q),
                None => u.path().to_string(),
            })
            .unwrap_or_default();
        for attempt in 0..3u32 {
            if attempt > 0 {
                tokio::time::sleep(std::time::Duration::from_secs(1)).await;
            }
            let sim = &sandbox.inner.alphapay;
            let time = fmt_time(sandbox.now());
            let nonce = nonce();
            let sig = signature::signature_header(
                &sim.key,
                &signature::string_to_sign(
                    &path,
                    &sim.merchant_code,
                    &time,
                    &nonce,
                    body.as_bytes(),
                ),
            );
            let sent = sandbox
                .inner
                .http
                .post(&url)
                .header("Content-Type", "application/json; charset=UTF-8")
                .header("Merchant-Code", &sim.merchant_code)
                .header("Request-Time", time)
                .header("Nonce", nonce)
                .header("Signature", sig)
                .body(body.clone())
                .send()
                .await;
            match sent {
                Ok(r) if r.status().is_success() => {
                    let text = r.text().await.unwrap_or_default();
                    if text.contains("\"SUCCESS\"") {
                        return;
                    }
                    tracing::warn!(attempt, "alphapay sandbox: notification not acknowledged");
                }
                Ok(r) => {
                    tracing::warn!(attempt, status = %r.status(), "alphapay sandbox: notification refused")
                }
                Err(e) => {
                    tracing::warn!(attempt, error = %e.without_url(), "alphapay sandbox: notification not delivered")
                }
            }
        }
    });
}
