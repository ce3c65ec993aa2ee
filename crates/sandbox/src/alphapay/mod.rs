//! AlphaPay Open API v2 simulator: checks the merchant's RSA signature and clock; serves `pay` for
//! the QR, web, WAP and JSAPI scenarios, `inquiryPayment`, `cancel`, `refund` and `inquiryRefund`;
//! signs its answers with its own key; expires orders after 5 minutes; pushes signed notifications.
//!
//! Choices where AlphaPay's behaviour is unknown (gateways.md §5) are marked "unknown upstream".

pub mod signature;

use std::collections::BTreeMap;

use axum::body::Bytes;
use axum::extract::{Path, State};
use axum::http::{HeaderMap, HeaderValue, StatusCode};
use axum::response::{IntoResponse, Response};
use rsa::{RsaPrivateKey, RsaPublicKey};
use serde_json::{json, Value};
use time::macros::format_description;
use time::{Duration, OffsetDateTime};

use crate::control::Operation;
use crate::ledger::{random_string, Change, Gateway, PayState, Payment, Refund, RefundState};
use crate::notifier::Outgoing;
use crate::Sandbox;

const SKEW: Duration = Duration::minutes(5);
/// "Each unpaid order will be valid for 5 minutes."
pub const ORDER_LIFETIME: Duration = Duration::minutes(5);
const SCENARIOS: [&str; 7] = [
    "ONLINE_QRCODE",
    "ONLINE_WEB",
    "ONLINE_WAP",
    "JSAPI",
    "NATIVE_JSAPI",
    "OFFLINE_QRCODE",
    "OFFLINE",
];

/// Every `resultCode` AlphaPay documents; `next` may answer any of them (with `resultStatus` F),
/// or `U:<code>` (the outcome unknown: the order is made, closed or refunded, answered `U`).
pub const CODES: [&str; 16] = [
    "PAYMENT_IN_PROCESS",
    "ORDER_MISMATCH",
    "ORDER_PAID",
    "SYSTEMERROR",
    "INVALID_MERCHANT_CODE",
    "SIGN_TIMEOUT",
    "INVALID_SIGN",
    "PARAM_INVALID",
    "INVALID_METHOD_TYPE",
    "EXIST_PROCESSING_REFUND",
    "REFUND_VALID_DATE_EXCEED",
    "REFUND_NEED_REVIEW",
    "INVALID_REFUND_AMOUNT",
    "REFUND_NOT_ENOUGH_BALANCE",
    "FULL_REFUND_COMPLETED",
    "INVALID_PAYMENT_CODE",
];

/// Whether `next` may set `answer` for `op`: a documented code; `U:<code>` for create, close and
/// refund; `NO_REFUND_ID` (a refund made, answered without its id) for refund; `SUCCESS` or
/// `FAILED` for refund_query (the refund under review ends so).
pub fn knows(op: Operation, answer: &str) -> bool {
    if CODES.contains(&answer) {
        return true;
    }
    match op {
        Operation::Create | Operation::Close | Operation::Refund => {
            answer
                .strip_prefix("U:")
                .is_some_and(|c| CODES.contains(&c))
                || (op == Operation::Refund && answer == "NO_REFUND_ID")
        }
        Operation::RefundQuery => matches!(answer, "SUCCESS" | "FAILED"),
        Operation::Query => false,
    }
}

/// A short message of the sandbox's own for a code (the gateway's wording is not copied).
fn message(code: &str) -> &'static str {
    match code {
        "SYSTEMERROR" => "sandbox: internal error",
        "INVALID_SIGN" => "sandbox: signature does not verify",
        "SIGN_TIMEOUT" => "sandbox: request time too far from the gateway's",
        "INVALID_MERCHANT_CODE" => "sandbox: no such merchant",
        "PARAM_INVALID" => "sandbox: a parameter is not acceptable",
        "ORDER_MISMATCH" => "sandbox: no such order for this merchant",
        "INVALID_METHOD_TYPE" => "sandbox: payment method not enabled",
        "ORDER_PAID" => "sandbox: the order is paid",
        "REFUND_NEED_REVIEW" => "sandbox: refund submitted for review",
        "EXIST_PROCESSING_REFUND" => "sandbox: another refund is in progress",
        "FULL_REFUND_COMPLETED" => "sandbox: the order is fully refunded",
        "REFUND_VALID_DATE_EXCEED" => "sandbox: too late to refund this order",
        "INVALID_REFUND_AMOUNT" => "sandbox: refund amount not acceptable",
        "REFUND_NOT_ENOUGH_BALANCE" => "sandbox: not enough unsettled balance",
        _ => "sandbox: forced answer",
    }
}

pub struct Simulator {
    merchant_code: String,
    merchant_key: RsaPublicKey,
    key: RsaPrivateKey,
}

pub fn fmt_time(t: OffsetDateTime) -> String {
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
    random_string(32, b"0123456789abcdef")
}

fn wire_status(p: &Payment) -> &'static str {
    match p.state {
        PayState::Pending => "PAYMENT_IN_PROCESS",
        PayState::Paid => match p.refunded_minor() {
            0 => "SUCCESS",
            r if r >= p.amount_minor => "FULL_REFUND",
            _ => "PARTIAL_REFUND",
        },
        PayState::Failed => "FAILED",
        PayState::Expired | PayState::Cancelled => "CLOSED",
    }
}

fn refund_status(r: &Refund) -> &'static str {
    match r.state {
        RefundState::Processing => "REFUND_IN_PROCESS",
        RefundState::Succeeded => "SUCCESS",
        RefundState::Failed => "FAILED",
    }
}

impl Simulator {
    pub fn new(merchant_code: String, merchant_key: RsaPublicKey, key: RsaPrivateKey) -> Simulator {
        Simulator {
            merchant_code,
            merchant_key,
            key,
        }
    }

    pub fn public_key(&self) -> RsaPublicKey {
        self.key.to_public_key()
    }

    fn signed(&self, uri: &str, body: Value, now: OffsetDateTime) -> Response {
        let text = body.to_string();
        let time = fmt_time(now);
        let nonce = nonce();
        let header = signature::signature_header(
            &self.key,
            &signature::string_to_sign(uri, &self.merchant_code, &time, &nonce, text.as_bytes()),
        );
        let mut response =
            (StatusCode::OK, [("content-type", "application/json")], text).into_response();
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
        self.signed(uri, body, now)
    }

    fn ok_result(code: &str) -> Value {
        json!({ "resultCode": code, "resultStatus": "S", "resultMessage": "success" })
    }

    /// The inquiry answer's fields (also the notification body, which has no `result`).
    fn payment_fields(p: &Payment) -> Value {
        let mut body = json!({
            "scenarioCode": p.method,
            "paymentRequestId": p.merchant_ref,
            "order": { "orderAmount": { "value": p.amount_minor.to_string(), "currency": p.currency }, "description": p.description },
            "paymentCreateTime": fmt_time(p.created),
            "paymentExpireTime": fmt_time(p.expires),
            "paymentId": p.id,
            "paymentStatus": wire_status(p),
        });
        if let Some(paid) = p.paid_at {
            body["paymentTime"] = Value::String(fmt_time(paid));
        }
        body
    }

    fn pay(
        &self,
        sandbox: &Sandbox,
        uri: &str,
        body: &Value,
        now: OffsetDateTime,
        forced: Option<&str>,
    ) -> Response {
        match self.pay_answer(sandbox, uri, body, now) {
            // `U:<code>`: the order is made, but the answer cannot say how it stands.
            Ok(mut answer) => {
                if let Some(code) = forced.and_then(|f| f.strip_prefix("U:")) {
                    answer["result"] = json!({ "resultCode": code, "resultStatus": "U", "resultMessage": message(code) });
                    if let Some(a) = answer.as_object_mut() {
                        a.remove("paymentInfo");
                    }
                }
                self.signed(uri, answer, now)
            }
            Err(r) => *r,
        }
    }

    fn pay_answer(
        &self,
        sandbox: &Sandbox,
        uri: &str,
        body: &Value,
        now: OffsetDateTime,
    ) -> Result<Value, Box<Response>> {
        let fail = |code: &str, msg: &str| Err(Box::new(self.fail(uri, code, msg, now)));
        let s = |v: &Value| v.as_str().map(str::to_string);
        let scenario = s(&body["scenarioCode"]).unwrap_or_default();
        if !SCENARIOS.contains(&scenario.as_str()) {
            return fail(
                "PARAM_INVALID",
                "scenarioCode is not one the sandbox serves",
            );
        }
        let Some(request_id) =
            s(&body["paymentRequestId"]).filter(|r| !r.is_empty() && r.len() <= 64)
        else {
            return fail("PARAM_INVALID", "paymentRequestId is required");
        };
        let value = s(&body["order"]["orderAmount"]["value"]).unwrap_or_default();
        let amount = match value.parse::<u64>() {
            Ok(v) if value.len() <= 7 && value.bytes().all(|b| b.is_ascii_digit()) && v > 0 => v,
            _ => {
                return fail(
                    "PARAM_INVALID",
                    "order.orderAmount.value must match ^\\d{1,7}$",
                )
            }
        };
        let currency = s(&body["order"]["orderAmount"]["currency"]).unwrap_or_default();
        if !matches!(currency.as_str(), "CAD" | "USD" | "CNY") {
            return fail("PARAM_INVALID", "currency must be CAD, USD or CNY");
        }
        // "Offline pay can not set payment method" (the in-store QR: any wallet scans it).
        let in_store_qr = scenario == "OFFLINE_QRCODE";
        if in_store_qr && !body["paymentMethod"].is_null() {
            return fail("PARAM_INVALID", "OFFLINE_QRCODE takes no paymentMethod");
        }
        let method = if in_store_qr {
            "Alipay".to_string()
        } else {
            s(&body["paymentMethod"]["paymentMethodType"]).unwrap_or_default()
        };
        let code = s(&body["paymentMethod"]["paymentCode"]).unwrap_or_default();
        if scenario == "OFFLINE" && code.is_empty() {
            return fail("PARAM_INVALID", "OFFLINE needs paymentMethod.paymentCode");
        }
        if !matches!(method.as_str(), "Alipay" | "Wechat" | "UnionPay") {
            return fail(
                "PARAM_INVALID",
                "paymentMethod.paymentMethodType must be Alipay, Wechat or UnionPay",
            );
        }
        if scenario == "NATIVE_JSAPI" && method == "UnionPay" {
            return fail("PARAM_INVALID", "NATIVE_JSAPI is for Alipay and Wechat");
        }
        let payment_id = format!(
            "{}{}",
            random_string(1, b"123456789"),
            random_string(24, b"0123456789")
        );
        let payment = Payment {
            id: payment_id.clone(),
            gateway: Gateway::AlphaPay,
            merchant_ref: request_id,
            amount_minor: amount,
            currency,
            description: s(&body["order"]["description"]).unwrap_or_default(),
            wallet: if method == "Wechat" {
                "WeChat Pay".into()
            } else {
                method.clone()
            },
            method: scenario.clone(),
            redirect: !matches!(
                scenario.as_str(),
                "ONLINE_QRCODE" | "NATIVE_JSAPI" | "OFFLINE_QRCODE" | "OFFLINE"
            ),
            notify_url: s(&body["order"]["notifyUrl"]),
            return_url: s(&body["order"]["redirectUrl"]),
            created: now,
            expires: now + sandbox.lifetime(Gateway::AlphaPay, ORDER_LIFETIME),
            paid_at: None,
            state: PayState::Pending,
            refunds: Vec::new(),
            extra: BTreeMap::new(),
            expiry_announced: false,
        };
        // A code the sandbox did not issue, or issued to decline, is refused as AlphaPay refuses a
        // bad code: no order is made.
        let outcome = if scenario == "OFFLINE" {
            match sandbox.inner.codes.spend(&code, &payment_id) {
                Some(crate::codes::Outcome::Declined) | None => {
                    return fail(
                        "INVALID_PAYMENT_CODE",
                        "the payment code is invalid or expired",
                    )
                }
                Some(o) => Some(o),
            }
        } else {
            None
        };
        // Unknown upstream: how AlphaPay treats a repeated paymentRequestId. The sandbox refuses it.
        if !sandbox.inner.ledger.insert(payment.clone()) {
            return fail("PARAM_INVALID", "paymentRequestId already used");
        }
        // Charged at once: the answer says `SUCCESS` (and the notification follows, as for any
        // payment).
        if outcome == Some(crate::codes::Outcome::Paid) {
            if let Some((_, paid)) = sandbox.inner.ledger.settle(&payment_id, true, now) {
                sandbox.state_changed(paid.clone());
                let mut answer = Self::payment_fields(&paid);
                answer["result"] = Self::ok_result("SUCCESS");
                answer["paymentMethod"] = json!({ "paymentMethodType": method });
                answer["order"]["payAmount"] =
                    json!({ "value": paid.amount_minor.to_string(), "currency": paid.currency });
                return Ok(answer);
            }
        }
        let wallet_url = sandbox.wallet_url(&payment_id);
        let info = match scenario.as_str() {
            "ONLINE_QRCODE" => json!({ "paymentUrl": wallet_url, "payUrl": wallet_url }),
            "OFFLINE_QRCODE" => json!({ "paymentUrl": wallet_url }),
            // The shopper confirms on their phone: nothing to show.
            "OFFLINE" => json!({}),
            "ONLINE_WAP" => json!({ "payUrl": wallet_url, "channelPayUrl": wallet_url }),
            "NATIVE_JSAPI" if method == "Wechat" => json!({ "sdkParams": {
                "appId": "wxsandbox0000000001",
                "timeStamp": now.unix_timestamp().to_string(),
                "nonceStr": nonce(),
                "package": format!("prepay_id={payment_id}"),
                "signType": "RSA",
                "paySign": "sandbox",
            }}),
            "NATIVE_JSAPI" => json!({ "sdkParams": { "tradeNO": payment_id } }),
            _ => json!({ "payUrl": wallet_url }),
        };
        let mut answer = Self::payment_fields(&payment);
        answer["result"] = json!({ "resultCode": "PAYMENT_IN_PROCESS", "resultStatus": "U", "resultMessage": "success" });
        answer["paymentMethod"] = json!({ "paymentMethodType": method });
        answer["paymentInfo"] = info;
        Ok(answer)
    }

    fn by_payment_id(
        &self,
        sandbox: &Sandbox,
        uri: &str,
        body: &Value,
        now: OffsetDateTime,
    ) -> Result<Payment, Box<Response>> {
        let id = body["paymentId"].as_str().unwrap_or_default();
        match sandbox.inner.ledger.get(id, now) {
            Some(p) if p.gateway == Gateway::AlphaPay => Ok(p),
            _ => Err(Box::new(self.fail(
                uri,
                "ORDER_MISMATCH",
                "no payment with this paymentId",
                now,
            ))),
        }
    }

    fn inquiry(&self, sandbox: &Sandbox, uri: &str, body: &Value, now: OffsetDateTime) -> Response {
        match self.by_payment_id(sandbox, uri, body, now) {
            Ok(p) => {
                let mut answer = Self::payment_fields(&p);
                answer["result"] = Self::ok_result("SUCCESS");
                self.signed(uri, answer, now)
            }
            Err(r) => *r,
        }
    }

    fn cancel(
        &self,
        sandbox: &Sandbox,
        uri: &str,
        body: &Value,
        now: OffsetDateTime,
        forced: Option<&str>,
    ) -> Response {
        let p = match self.by_payment_id(sandbox, uri, body, now) {
            Ok(p) => p,
            Err(r) => return *r,
        };
        match sandbox.inner.ledger.close(&p.id, now) {
            Some((Change::NotAllowed(PayState::Paid), _)) => {
                self.fail(uri, "ORDER_PAID", "the order is paid", now)
            }
            // Closed, but answered `U`: only an inquiry tells the merchant it worked.
            Some((_, p)) if forced.is_some_and(|f| f.starts_with("U:")) => {
                let code = forced
                    .and_then(|f| f.strip_prefix("U:"))
                    .unwrap_or_default();
                self.signed(
                    uri,
                    json!({ "result": { "resultCode": code, "resultStatus": "U", "resultMessage": message(code) },
                            "paymentId": p.id, "paymentRequestId": p.merchant_ref }),
                    now,
                )
            }
            // Unknown upstream: cancelling a closed order; the sandbox answers SUCCESS (nothing to do).
            Some((_, p)) => self.signed(
                uri,
                json!({ "result": Self::ok_result("SUCCESS"), "paymentId": p.id,
                        "paymentRequestId": p.merchant_ref, "cancelTime": fmt_time(now) }),
                now,
            ),
            None => self.fail(uri, "ORDER_MISMATCH", "no payment with this paymentId", now),
        }
    }

    fn refund(
        &self,
        sandbox: &Sandbox,
        uri: &str,
        body: &Value,
        now: OffsetDateTime,
        forced: Option<&str>,
    ) -> Response {
        let p = match self.by_payment_id(sandbox, uri, body, now) {
            Ok(p) => p,
            Err(r) => return *r,
        };
        let value = body["refund"]["refundAmount"]["value"]
            .as_str()
            .unwrap_or_default();
        let Ok(amount) = value.parse::<u64>() else {
            return self.fail(uri, "PARAM_INVALID", "refund.refundAmount.value", now);
        };
        if let Some(c) = body["refund"]["refundAmount"]["currency"].as_str() {
            if c != p.currency {
                return self.fail(
                    uri,
                    "INVALID_REFUND_AMOUNT",
                    "refund currency must be the payment's",
                    now,
                );
            }
        }
        let request_id = body["refundRequestId"]
            .as_str()
            .unwrap_or_default()
            .to_string();
        let refund_id = random_string(25, b"0123456789");
        let outcome = sandbox.inner.ledger.update(&p.id, now, |p| {
            if p.state != PayState::Paid {
                return Err(("PARAM_INVALID", "only a paid order can be refunded"));
            }
            if amount == 0 || p.refunded_minor() + amount > p.amount_minor {
                return Err((
                    "INVALID_REFUND_AMOUNT",
                    "refunds would exceed the paid amount",
                ));
            }
            if p.refunds.iter().any(|r| r.state == RefundState::Processing) {
                return Err((
                    "EXIST_PROCESSING_REFUND",
                    "another refund of this order is in progress",
                ));
            }
            // Under review (`REFUND_NEED_REVIEW`) or answered `U`: kept, and still processing.
            let held =
                matches!(forced, Some(f) if f == "REFUND_NEED_REVIEW" || f.starts_with("U:"));
            p.refunds.push(Refund {
                id: refund_id.clone(),
                merchant_ref: request_id.clone(),
                amount_minor: amount,
                state: if held {
                    RefundState::Processing
                } else {
                    RefundState::Succeeded
                },
                created: now,
            });
            Ok(())
        });
        match outcome {
            Some((Ok(()), _)) if forced == Some("REFUND_NEED_REVIEW") => self.fail(
                uri,
                "REFUND_NEED_REVIEW",
                message("REFUND_NEED_REVIEW"),
                now,
            ),
            Some((Ok(()), p)) => {
                let mut answer = json!({ "result": Self::ok_result("SUCCESS"), "refundId": refund_id, "paymentId": p.id,
                        "refundRequestId": request_id,
                        "refund": { "refundAmount": { "value": amount.to_string(), "currency": p.currency } },
                        "refundTime": fmt_time(now) });
                if let Some(code) = forced.and_then(|f| f.strip_prefix("U:")) {
                    answer["result"] = json!({ "resultCode": code, "resultStatus": "U", "resultMessage": message(code) });
                }
                // A refund done at once is pushed to `refund.notifyUrl`, once ("never retried"):
                // the refund-inquiry answer without `result`, its id always there.
                let held = matches!(forced, Some(f) if f.starts_with("U:"));
                if let (false, Some(url)) = (held, body["refund"]["notifyUrl"].as_str()) {
                    let mut pushed = answer.clone();
                    if let Some(a) = pushed.as_object_mut() {
                        a.remove("result");
                        a.insert("refundStatus".into(), json!("SUCCESS"));
                    }
                    if let Some(out) = self.signed_push(url, &pushed.to_string(), now) {
                        crate::notifier::push_once(sandbox, Gateway::AlphaPay, out);
                    }
                }
                if forced == Some("NO_REFUND_ID") {
                    if let Some(a) = answer.as_object_mut() {
                        a.remove("refundId");
                    }
                }
                self.signed(uri, answer, now)
            }
            Some((Err((code, msg)), _)) => self.fail(uri, code, msg, now),
            None => self.fail(uri, "ORDER_MISMATCH", "no payment with this paymentId", now),
        }
    }

    fn inquiry_refund(
        &self,
        sandbox: &Sandbox,
        uri: &str,
        body: &Value,
        now: OffsetDateTime,
        forced: Option<&str>,
    ) -> Response {
        // By AlphaPay's id, or by the merchant's when it has none.
        let id = body["refundId"].as_str().unwrap_or_default();
        let request_id = body["refundRequestId"].as_str().unwrap_or_default();
        let mut found = sandbox.inner.ledger.find_refund(Gateway::AlphaPay, |r| {
            if id.is_empty() {
                !request_id.is_empty() && r.merchant_ref == request_id
            } else {
                r.id == id
            }
        });
        // A review that ends (`next.refund_query` = `SUCCESS` or `FAILED`).
        if let (Some(end), Some((p, r))) = (forced, &found) {
            if r.state == RefundState::Processing {
                let state = if end == "SUCCESS" {
                    RefundState::Succeeded
                } else {
                    RefundState::Failed
                };
                let refund_id = r.id.clone();
                let updated = sandbox.inner.ledger.update(&p.id, now, |p| {
                    for x in p.refunds.iter_mut().filter(|x| x.id == refund_id) {
                        x.state = state;
                    }
                });
                if let Some(((), p)) = updated {
                    found = p
                        .refunds
                        .iter()
                        .find(|x| x.id == refund_id)
                        .cloned()
                        .map(|r| (p.clone(), r));
                }
            }
        }
        match found {
            Some((p, r)) => self.signed(
                uri,
                json!({ "result": Self::ok_result("SUCCESS"), "refundId": r.id, "paymentId": p.id,
                        "refundRequestId": r.merchant_ref,
                        "refund": { "refundAmount": { "value": r.amount_minor.to_string(), "currency": p.currency } },
                        "refundTime": fmt_time(r.created), "refundStatus": refund_status(&r) }),
                now,
            ),
            None => self.fail(uri, "ORDER_MISMATCH", "no refund with this refundId", now),
        }
    }

    /// `body` pushed to `url`, signed as AlphaPay signs its notifications.
    fn signed_push(&self, url: &str, body: &str, now: OffsetDateTime) -> Option<Outgoing> {
        // Unknown upstream: the URI in a notification's signed content; the path (and query) of notifyUrl.
        let path = reqwest::Url::parse(url)
            .map(|u| match u.query() {
                Some(q) => format!("{}?{}", u.path(), q),
                None => u.path().to_string(),
            })
            .ok()?;
        let time = fmt_time(now);
        let nonce = nonce();
        let sig = signature::signature_header(
            &self.key,
            &signature::string_to_sign(&path, &self.merchant_code, &time, &nonce, body.as_bytes()),
        );
        Some(Outgoing {
            url: url.to_string(),
            content_type: "application/json; charset=UTF-8",
            headers: vec![
                ("Merchant-Code", self.merchant_code.clone()),
                ("Request-Time", time),
                ("Nonce", nonce),
                ("Signature", sig),
            ],
            body: body.as_bytes().to_vec(),
        })
    }

    /// The signed payment notification; `corrupt` changes the amount after signing.
    pub(crate) fn notification(
        &self,
        p: &Payment,
        now: OffsetDateTime,
        corrupt: bool,
    ) -> Option<Outgoing> {
        let url = p.notify_url.as_deref()?;
        let body = Self::payment_fields(p).to_string();
        let mut out = self.signed_push(url, &body, now)?;
        if corrupt {
            out.body = body
                .replacen(
                    &format!("\"value\":\"{}\"", p.amount_minor),
                    &format!("\"value\":\"{}\"", p.amount_minor + 1),
                    1,
                )
                .into_bytes();
        }
        Some(out)
    }
}

/// `POST /sandbox/alphapay/api/v2.0/payments/{operation}`.
pub async fn api(
    State(sandbox): State<Sandbox>,
    Path(operation): Path<String>,
    headers: HeaderMap,
    body: Bytes,
) -> Response {
    let answer = answer(&sandbox, &operation, &headers, &body).await;
    if operation == "pay" {
        return sandbox.lose_create_answer(Gateway::AlphaPay, answer).await;
    }
    answer
}

async fn answer(sandbox: &Sandbox, operation: &str, headers: &HeaderMap, body: &Bytes) -> Response {
    let sandbox = sandbox.clone();
    let operation = operation.to_string();
    if let Some(r) = sandbox.misbehave(Gateway::AlphaPay).await {
        return r;
    }
    let Some(sim) = sandbox.inner.alphapay.as_ref() else {
        return (StatusCode::NOT_FOUND, "AlphaPay is not simulated here").into_response();
    };
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
        return sim.fail(&uri, "INVALID_MERCHANT_CODE", "unknown Merchant-Code", now);
    }
    if nonce.len() < 16
        || !signature::check(
            &sim.merchant_key,
            &sig,
            &signature::string_to_sign(&uri, &code, &time, &nonce, body),
        )
    {
        return sim.fail(&uri, "INVALID_SIGN", "signature verification failed", now);
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
    let Ok(json) = serde_json::from_slice::<Value>(body) else {
        return sim.fail(&uri, "PARAM_INVALID", "body is not JSON", now);
    };
    let op = match operation.as_str() {
        "pay" => Some(Operation::Create),
        "inquiryPayment" => Some(Operation::Query),
        "cancel" => Some(Operation::Close),
        "refund" => Some(Operation::Refund),
        "inquiryRefund" => Some(Operation::RefundQuery),
        _ => None,
    };
    let forced = op.and_then(|op| sandbox.inner.controls.take_next(Gateway::AlphaPay, op));
    let forced = forced.as_deref();
    // A documented code is answered as the gateway's refusal (`F`), changing nothing; but a
    // refund under review is kept, and the end of a review is the inquiry's own answer.
    if let Some(code) = forced.filter(|c| CODES.contains(c)) {
        let keeps = op == Some(Operation::Refund) && code == "REFUND_NEED_REVIEW";
        if !keeps && op != Some(Operation::RefundQuery) {
            return sim.fail(&uri, code, message(code), now);
        }
    }
    match operation.as_str() {
        "pay" => sim.pay(&sandbox, &uri, &json, now, forced),
        "inquiryPayment" => sim.inquiry(&sandbox, &uri, &json, now),
        "cancel" => sim.cancel(&sandbox, &uri, &json, now, forced),
        "refund" => sim.refund(&sandbox, &uri, &json, now, forced),
        "inquiryRefund" => {
            let ends = forced.filter(|f| matches!(*f, "SUCCESS" | "FAILED"));
            if let Some(code) = forced.filter(|c| CODES.contains(c)) {
                return sim.fail(&uri, code, message(code), now);
            }
            sim.inquiry_refund(&sandbox, &uri, &json, now, ends)
        }
        _ => sim.fail(
            &uri,
            "PARAM_INVALID",
            "the sandbox does not implement this operation",
            now,
        ),
    }
}
