//! YabandPay API v3 simulator: one endpoint dispatching on `method`, HMAC-SHA256 over the flattened
//! envelope, decimal major-unit amounts, `{status, code, data, message}` answers (unsigned, as the
//! real API's are), and signed `{sign, data}` notifications on every state change until `ok`.
//!
//! Failures answer `status: false` with the codes the mini-program page documents: `-3001` for a
//! missing or unacceptable field, `-403` for the signature (and an unknown user), `-4011` for a
//! method not offered, `-1000` for anything else; `next` can force any of them.
//!
//! Unknown upstream (gateways.md §5): the freshness window on `time` (the sandbox allows 5 minutes,
//! in seconds), duplicate `order_id` handling (refused here) and the notification retry schedule.

pub mod signature;

use std::collections::BTreeMap;

use axum::extract::State;
use axum::http::StatusCode;
use axum::response::{IntoResponse, Response};
use axum::Json;
use serde_json::{json, Map, Value};
use time::{Duration, OffsetDateTime};

use crate::control::Operation;
use crate::ledger::{
    decimal, parse_decimal, random_string, uuid, Change, Gateway, PayState, Payment, Refund,
    RefundState,
};
use crate::notifier::Outgoing;
use crate::{Sandbox, YabandPayMerchant};

/// `timeout = 0` means 1440 minutes.
pub const DEFAULT_TIMEOUT_MINUTES: i64 = 1440;
const SKEW_SECS: i64 = 300;

pub struct Simulator {
    merchant: YabandPayMerchant,
}

/// Digits after the point (the sandbox's own table of what YabandPay settles in).
fn exponent(currency: &str) -> Option<u32> {
    match currency {
        "JPY" | "KRW" => Some(0),
        "EUR" | "CHF" | "CNY" | "HKD" | "GBP" | "USD" | "CAD" | "AUD" | "SEK" | "DKK" | "NOK" => {
            Some(2)
        }
        _ => None,
    }
}

/// Documented minimums: EUR 0.10, CNY 1.
fn minimum(currency: &str) -> u64 {
    match currency {
        "EUR" => 10,
        "CNY" => 100,
        _ => 1,
    }
}

fn wire_state(p: &Payment) -> &'static str {
    match p.state {
        PayState::Pending => "pending",
        PayState::Paid => "paid",
        PayState::Failed => "failed",
        PayState::Expired => "expired",
        PayState::Cancelled => "cancelled",
    }
}

fn as_text(v: &Value) -> Option<String> {
    match v {
        Value::String(s) => Some(s.clone()),
        Value::Number(n) => Some(n.to_string()),
        Value::Bool(true) => Some("1".into()),
        Value::Bool(false) | Value::Null => Some(String::new()),
        _ => None,
    }
}

impl Simulator {
    pub fn new(merchant: YabandPayMerchant) -> Simulator {
        Simulator { merchant }
    }

    /// A refusal about a field (`-3001`).
    fn fail(message: &str) -> Response {
        Self::refuse("-3001", message)
    }

    fn refuse(code: &str, message: &str) -> Response {
        Json(json!({ "status": false, "code": code, "data": [], "message": message }))
            .into_response()
    }

    fn ok(data: Value) -> Response {
        Json(json!({ "status": true, "code": "200", "data": data, "message": "" })).into_response()
    }

    fn amount_text(p: &Payment) -> String {
        decimal(p.amount_minor, exponent(&p.currency).unwrap_or(2))
    }

    /// The notification's `data` (and the query's `transaction_info`).
    fn fields(&self, p: &Payment) -> Map<String, Value> {
        let mut m = Map::new();
        let mut put = |k: &str, v: String| {
            m.insert(k.to_string(), Value::String(v));
        };
        put("type", "payment".into());
        put("user", self.merchant.user.clone());
        put("order_id", p.merchant_ref.clone());
        put("trade_id", p.id.clone());
        put(
            "transaction_id",
            if p.paid_at.is_some() {
                format!("42000{}", &p.id.replace('-', "")[..20])
            } else {
                String::new()
            },
        );
        put("amount", Self::amount_text(p));
        put("currency", p.currency.clone());
        put("description", p.description.clone());
        put("state", wire_state(p).into());
        put("demo", p.extra.get("demo").cloned().unwrap_or_default());
        put("pay_method", "online".into());
        put("sub_pay_method", p.wallet.clone());
        put("createDate", p.created.unix_timestamp().to_string());
        put(
            "paid_time",
            p.paid_at
                .map(|t| t.unix_timestamp().to_string())
                .unwrap_or_default(),
        );
        m
    }

    fn create(
        &self,
        sandbox: &Sandbox,
        method: &str,
        d: &BTreeMap<String, String>,
        now: OffsetDateTime,
    ) -> Response {
        let get = |k: &str| d.get(k).cloned().unwrap_or_default();
        let wechat_native = method == "v3.CreateWechatNativePay";
        let mut required = vec![
            "order_id",
            "amount",
            "currency",
            "description",
            "notify_url",
        ];
        let mini = method == "v3.CreatePaymentsAlipayMiniPay";
        if !wechat_native {
            required.extend(["pay_method", "sub_pay_method"]);
        }
        // The mini-program pay's redirect_url is optional; every other hosted method needs one.
        if !wechat_native && !mini {
            required.push("redirect_url");
        }
        if method == "v3.CreatePaymentsWechatH5Pay" {
            required.push("ip_address");
        }
        if let Some(k) = required.iter().find(|k| get(k).is_empty()) {
            return Self::fail(&format!("{k} is required"));
        }
        let currency = get("currency");
        let Some(exp) = exponent(&currency) else {
            return Self::fail("currency is not supported");
        };
        let Some(amount) = parse_decimal(&get("amount"), exp) else {
            return Self::fail("amount must be a decimal in major units");
        };
        if amount < minimum(&currency) {
            return Self::fail("amount is below the minimum for this currency");
        }
        let wallet = match method {
            "v3.CreatePaymentsAlipayWeb"
            | "v3.CreatePaymentsAlipayWap"
            | "v3.CreatePaymentsAlipayMiniPay" => "Alipay".to_string(),
            "v3.CreateWechatNativePay" | "v3.CreatePaymentsWechatH5Pay" => "WeChat Pay".to_string(),
            _ => get("sub_pay_method"),
        };
        let url_type = get("url_type");
        if wechat_native && !url_type.is_empty() && url_type != "01" && url_type != "02" {
            return Self::fail("url_type must be 01 or 02");
        }
        let minutes = match get("timeout").parse::<i64>() {
            Ok(0) | Err(_) => DEFAULT_TIMEOUT_MINUTES,
            Ok(m) if (1..=1440).contains(&m) => m,
            Ok(_) => return Self::fail("timeout must be 0 to 1440 minutes"),
        };
        let id = uuid();
        let mut extra = BTreeMap::new();
        extra.insert("demo".to_string(), get("demo"));
        // The mini-program pay answers Alipay's trade number, which `tradePay` takes.
        let trade_no = format!("2088{}", random_string(24, b"0123456789"));
        if mini {
            extra.insert("trade_no".to_string(), trade_no.clone());
        }
        let payment = Payment {
            id: id.clone(),
            gateway: Gateway::YabandPay,
            merchant_ref: get("order_id"),
            amount_minor: amount,
            currency: currency.clone(),
            description: get("description"),
            wallet,
            method: method.to_string(),
            redirect: !wechat_native && !mini,
            notify_url: Some(get("notify_url")),
            return_url: d.get("redirect_url").filter(|u| !u.is_empty()).cloned(),
            created: now,
            expires: now + sandbox.lifetime(Gateway::YabandPay, Duration::minutes(minutes)),
            paid_at: None,
            state: PayState::Pending,
            refunds: Vec::new(),
            extra,
            expiry_announced: false,
        };
        if !sandbox.inner.ledger.insert(payment.clone()) {
            return Self::fail("order_id already exists");
        }
        if mini {
            return Self::ok(json!({
                "order_id": payment.merchant_ref, "trade_id": id, "amount": Self::amount_text(&payment),
                "currency": currency, "parameters": { "transaction_id": trade_no }, "state": "processing",
            }));
        }
        // url_type 02 is the raw WeChat QR text; in the sandbox every QR leads to the wallet page.
        let url = sandbox.wallet_url(&id);
        Self::ok(json!({
            "order_id": payment.merchant_ref, "trade_id": id, "amount": Self::amount_text(&payment),
            "currency": currency, "state": "pending", "url": url,
        }))
    }

    fn payment(
        sandbox: &Sandbox,
        d: &BTreeMap<String, String>,
        now: OffsetDateTime,
    ) -> Option<Payment> {
        let id = d.get("trade_id")?;
        sandbox
            .inner
            .ledger
            .get(id, now)
            .filter(|p| p.gateway == Gateway::YabandPay)
    }

    fn refund_fields(p: &Payment, r: &Refund) -> Value {
        let exp = exponent(&p.currency).unwrap_or(2);
        let state = match r.state {
            RefundState::Processing => "22",
            RefundState::Succeeded => "23",
            RefundState::Failed => "24",
        };
        json!({ "transaction_id": p.id, "refund_id": r.id, "m_refund_id": r.merchant_ref,
                "refund_time": r.created.unix_timestamp().to_string(), "state": state,
                "refund_amount": decimal(r.amount_minor, exp), "refund_currency": p.currency })
    }

    fn dispatch(
        &self,
        sandbox: &Sandbox,
        method: &str,
        d: &BTreeMap<String, String>,
        now: OffsetDateTime,
    ) -> Response {
        match method {
            "v3.CreatePayments"
            | "v3.CreatePaymentsAlipayWeb"
            | "v3.CreatePaymentsAlipayWap"
            | "v3.CreateWechatNativePay"
            | "v3.CreatePaymentsWechatH5Pay"
            | "v3.CreatePaymentsAlipayMiniPay" => self.create(sandbox, method, d, now),
            "v3.QueryOrder" => match Self::payment(sandbox, d, now) {
                Some(p) => Self::ok(json!({ "transaction_info": Value::Object(self.fields(&p)) })),
                None => Self::fail("trade_id not found"),
            },
            "v3.CancelPayment" => {
                let Some(p) = Self::payment(sandbox, d, now) else {
                    return Self::fail("trade_id not found");
                };
                // YabandPay cancels unpaid and (same-day, unrefunded) paid orders alike.
                let out = sandbox.inner.ledger.update(&p.id, now, |x| match x.state {
                    PayState::Pending => {
                        x.state = PayState::Cancelled;
                        Change::Moved
                    }
                    PayState::Paid if x.refunds.is_empty() => {
                        x.state = PayState::Cancelled;
                        Change::Moved
                    }
                    s => Change::NotAllowed(s),
                });
                match out {
                    Some((Change::Moved, after)) => {
                        sandbox.state_changed(after.clone());
                        let mut f = self.fields(&after);
                        f.insert("state".into(), Value::String("cancelled".into()));
                        Self::ok(Value::Object(f))
                    }
                    Some((Change::NotAllowed(s), after))
                        if s == PayState::Cancelled || s == PayState::Expired =>
                    {
                        Self::ok(Value::Object(self.fields(&after)))
                    }
                    _ => Self::fail("this order cannot be cancelled"),
                }
            }
            "v3.CreateRefund" => {
                let Some(p) = Self::payment(sandbox, d, now) else {
                    return Self::fail("trade_id not found");
                };
                let exp = exponent(&p.currency).unwrap_or(2);
                let Some(amount) = d.get("refund_amount").and_then(|a| parse_decimal(a, exp))
                else {
                    return Self::fail("refund_amount must be a decimal in major units");
                };
                if d.get("refund_currency") != Some(&p.currency) {
                    return Self::fail("refund_currency must be the order's currency");
                }
                let id = random_string(20, b"0123456789");
                let m_refund = d.get("m_refund_id").cloned().unwrap_or_default();
                let out = sandbox.inner.ledger.update(&p.id, now, |x| {
                    if x.state != PayState::Paid {
                        return Err("only a paid order can be refunded");
                    }
                    if x.refunds.len() >= 29 {
                        return Err("too many refunds for this order");
                    }
                    if amount == 0 || x.refunded_minor() + amount > x.amount_minor {
                        return Err("refund_amount exceeds what is left to refund");
                    }
                    x.refunds.push(Refund {
                        id: id.clone(),
                        merchant_ref: m_refund.clone(),
                        amount_minor: amount,
                        state: RefundState::Succeeded,
                        created: now,
                    });
                    Ok(())
                });
                match out {
                    Some((Ok(()), after)) => match after.refunds.iter().find(|r| r.id == id) {
                        Some(r) => Self::ok(Self::refund_fields(&after, r)),
                        None => Self::fail("internal"),
                    },
                    Some((Err(m), _)) => Self::fail(m),
                    None => Self::fail("trade_id not found"),
                }
            }
            "v3.QueryRefundOrder" => {
                // Unknown upstream: a query by `m_refund_id`; the sandbox answers it.
                let id = d.get("refund_id").cloned().unwrap_or_default();
                let ours = d.get("m_refund_id").cloned().unwrap_or_default();
                let found = sandbox.inner.ledger.find_refund(Gateway::YabandPay, |r| {
                    if id.is_empty() {
                        !ours.is_empty() && r.merchant_ref == ours
                    } else {
                        r.id == id
                    }
                });
                match found {
                    Some((p, r)) => Self::ok(Self::refund_fields(&p, &r)),
                    None => Self::fail("refund_id not found"),
                }
            }
            _ => Self::refuse("-4011", "method not offered"),
        }
    }

    /// `{"sign", "data"}` JSON, signed over the `data` fields only.
    pub(crate) fn notification(&self, p: &Payment, corrupt: bool) -> Option<Outgoing> {
        let url = p.notify_url.clone()?;
        let mut data = self.fields(p);
        let sign = signature::sign(
            data.iter()
                .map(|(k, v)| (k.as_str(), v.as_str().unwrap_or_default())),
            &self.merchant.secret,
        );
        if corrupt {
            data.insert(
                "amount".into(),
                Value::String(decimal(
                    p.amount_minor + 1,
                    exponent(&p.currency).unwrap_or(2),
                )),
            );
        }
        let body = json!({ "sign": sign, "data": data }).to_string();
        Some(Outgoing {
            url,
            content_type: "application/json",
            headers: Vec::new(),
            body: body.into_bytes(),
        })
    }

    /// Signs `data` fields the way YabandPay does, for tests that forge or replay a notification.
    pub fn sign(&self, data: &BTreeMap<String, String>) -> String {
        signature::sign(
            data.iter().map(|(k, v)| (k.as_str(), v.as_str())),
            &self.merchant.secret,
        )
    }
}

/// `POST /sandbox/yabandpay/Payments`.
pub async fn api(State(sandbox): State<Sandbox>, body: axum::body::Bytes) -> Response {
    if let Some(r) = sandbox.misbehave(Gateway::YabandPay).await {
        return r;
    }
    let Some(sim) = sandbox.inner.yabandpay.as_ref() else {
        return (StatusCode::NOT_FOUND, "YabandPay is not simulated here").into_response();
    };
    let now = sandbox.now();
    let Ok(Value::Object(env)) = serde_json::from_slice::<Value>(&body) else {
        return Simulator::fail("body must be a JSON object");
    };
    let text = |k: &str| env.get(k).and_then(as_text).unwrap_or_default();
    let (user, method, time, sign) = (text("user"), text("method"), text("time"), text("sign"));
    let Some(Value::Object(data)) = env.get("data") else {
        return Simulator::fail("data is required");
    };
    let mut d = BTreeMap::new();
    for (k, v) in data {
        match as_text(v) {
            Some(t) => {
                d.insert(k.clone(), t);
            }
            None => return Simulator::fail(&format!("data.{k} must be a scalar")),
        }
    }
    if user != sim.merchant.user {
        return Simulator::refuse("-403", "unknown user");
    }
    let mut flat: Vec<(&str, &str)> = d.iter().map(|(k, v)| (k.as_str(), v.as_str())).collect();
    flat.extend([
        ("user", user.as_str()),
        ("method", method.as_str()),
        ("time", time.as_str()),
    ]);
    if signature::sign(flat, &sim.merchant.secret) != sign.to_ascii_lowercase() {
        return Simulator::refuse("-403", "signature error");
    }
    match time.parse::<i64>() {
        Ok(t) if (now.unix_timestamp() - t).abs() <= SKEW_SECS => {}
        _ => return Simulator::fail("time is missing or more than 5 minutes off"),
    }
    let op = match method.as_str() {
        "v3.QueryOrder" => Operation::Query,
        "v3.CancelPayment" => Operation::Close,
        "v3.CreateRefund" => Operation::Refund,
        "v3.QueryRefundOrder" => Operation::RefundQuery,
        _ => Operation::Create,
    };
    if let Some(code) = sandbox.forced(Gateway::YabandPay, op) {
        if code == PAID_WITHOUT_AMOUNT {
            // What an answer altered on its way would say (YabandPay's answers are unsigned).
            return match Simulator::payment(&sandbox, &d, now) {
                Some(p) => {
                    let mut info = sim.fields(&p);
                    info.remove("amount");
                    info.remove("currency");
                    info.insert("state".into(), Value::String("paid".into()));
                    Simulator::ok(json!({ "transaction_info": Value::Object(info) }))
                }
                None => Simulator::fail("trade_id not found"),
            };
        }
        return Simulator::refuse(&code, "sandbox: forced refusal");
    }
    sim.dispatch(&sandbox, &method, &d, now)
}

/// Every failure code YabandPay documents; `next` may answer any of them to any call.
pub const CODES: [&str; 4] = ["-1000", "-3001", "-403", "-4011"];

/// `next` on query only: the order "paid", with no amount or currency.
pub const PAID_WITHOUT_AMOUNT: &str = "paid_without_amount";

/// Whether `next` may set `answer` for `op`.
pub fn knows(op: Operation, answer: &str) -> bool {
    CODES.contains(&answer) || (op == Operation::Query && answer == PAID_WITHOUT_AMOUNT)
}
