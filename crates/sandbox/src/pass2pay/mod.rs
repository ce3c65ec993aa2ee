//! Pass2Pay (Jeepay merchant API, version 1.1) simulator: MD5 signatures over the fields its beans
//! know, `unifiedOrder` and `cashierOrder`, `query`, `close`, refunds, signed `data`, form-encoded
//! notifications retried until the merchant answers `success`.
//!
//! Unknown upstream (gateways.md §5): whether Pass2Pay checks `reqTime` freshness (Jeepay does not;
//! the sandbox refuses times more than 5 minutes off, so a connector that sends a stale time fails
//! here first), and which exact mainland-China IP ranges `clientIp` must fall in (the sandbox
//! checks IPv4 syntax only).

pub mod signature;

use std::collections::BTreeMap;

use axum::body::Bytes;
use axum::extract::{Path, State};
use axum::http::{header, HeaderMap, StatusCode};
use axum::response::{IntoResponse, Redirect, Response};
use axum::Json;
use serde_json::{json, Map, Value};
use time::{Duration, OffsetDateTime};

use crate::control::Operation;
use crate::ledger::{random_string, Change, Gateway, PayState, Payment, Refund, RefundState};
use crate::notifier::Outgoing;
use crate::{Pass2PayMerchant, Sandbox};

/// Jeepay's default order lifetime.
pub const ORDER_LIFETIME: Duration = Duration::hours(2);
/// The cashier never gives less than 15 minutes.
const CASHIER_MIN_LIFETIME: Duration = Duration::minutes(15);
const SKEW_MS: i128 = 5 * 60 * 1000;

const COMMON: &[&str] = &["mchNo", "appId", "reqTime", "version", "signType"];
const ORDER_FIELDS: &[&str] = &[
    "mchOrderNo",
    "wayCode",
    "amount",
    "currency",
    "clientIp",
    "subject",
    "body",
    "notifyUrl",
    "returnUrl",
    "expiredTime",
    "channelExtra",
    "extParam",
    "divisionMode",
    "custNo",
    "registerTime",
    "userName",
    "mbrTel",
    "idNo",
];
const QUERY_FIELDS: &[&str] = &["payOrderId", "mchOrderNo"];
const REFUND_FIELDS: &[&str] = &[
    "payOrderId",
    "mchOrderNo",
    "mchRefundNo",
    "refundAmount",
    "currency",
    "refundReason",
    "clientIp",
    "notifyUrl",
    "channelExtra",
    "extParam",
];
const REFUND_QUERY_FIELDS: &[&str] = &["mchRefundNo", "refundOrderId"];
const WAY_CODES: &[&str] = &[
    "ALI_QR",
    "ALI_WAP",
    "ALI_PC",
    "WX_NATIVE",
    "WX_H5",
    "YSF_JSAPI",
    "UP_QR",
    "UP_WAP",
    "QR_CASHIER",
    // A counter scanning the shopper's payment code (`channelExtra` `{"authCode": …}`).
    "ALI_BAR",
    "WX_BAR",
    "YSF_BAR",
];

pub struct Simulator {
    merchant: Pass2PayMerchant,
}

type Params = BTreeMap<String, String>;

fn state_code(p: &Payment) -> u8 {
    match p.state {
        PayState::Pending if p.method == "CASHIER" => 0,
        PayState::Pending => 1,
        PayState::Paid if p.refunded_minor() >= p.amount_minor => 5,
        PayState::Paid => 2,
        PayState::Failed => 3,
        PayState::Expired | PayState::Cancelled => 6,
    }
}

fn wallet_of(way: &str) -> &'static str {
    match way.split('_').next().unwrap_or_default() {
        "ALI" => "Alipay",
        "WX" => "WeChat Pay",
        "YSF" | "UP" => "UnionPay",
        _ => "Cashier (any wallet)",
    }
}

fn millis(t: OffsetDateTime) -> String {
    (t.unix_timestamp_nanos() / 1_000_000).to_string()
}

impl Simulator {
    pub fn new(merchant: Pass2PayMerchant) -> Simulator {
        Simulator { merchant }
    }

    fn fail(msg: &str) -> Response {
        Json(json!({ "code": 9999, "msg": msg, "traceId": random_string(16, b"0123456789abcdef") }))
            .into_response()
    }

    fn ok(&self, data: Map<String, Value>) -> Response {
        // "If data is empty, sign is not returned" (the unifiedOrder page): nor is data.
        if data.is_empty() {
            return Json(json!({ "code": 0, "msg": "SUCCESS",
                                 "traceId": random_string(16, b"0123456789abcdef") }))
            .into_response();
        }
        // Every non-empty value is signed: a string as its text, anything else (the paid-at-once
        // answer's `payOrderInfo` object) as its JSON text exactly as it is sent.
        let texts: Vec<(String, String)> = data
            .iter()
            .map(|(k, v)| {
                let t = match v {
                    Value::String(s) => s.clone(),
                    Value::Null => String::new(),
                    other => other.to_string(),
                };
                (k.clone(), t)
            })
            .collect();
        let sign = signature::sign(
            texts.iter().map(|(k, v)| (k.as_str(), v.as_str())),
            &self.merchant.secret,
        );
        Json(
            json!({ "code": 0, "msg": "SUCCESS", "sign": sign, "data": data,
                     "traceId": random_string(16, b"0123456789abcdef") }),
        )
        .into_response()
    }

    /// The query answer's `data` (also the notification's fields, without `reqTime`), numbers as strings.
    fn order_fields(&self, p: &Payment) -> Map<String, Value> {
        let mut m = Map::new();
        let mut put = |k: &str, v: String| {
            if !v.is_empty() {
                m.insert(k.to_string(), Value::String(v));
            }
        };
        put("payOrderId", p.id.clone());
        put("mchNo", self.merchant.mch_no.clone());
        put("appId", self.merchant.app_id.clone());
        put("mchOrderNo", p.merchant_ref.clone());
        put("ifCode", "sandbox".into());
        put(
            "wayCode",
            p.extra.get("wayCode").cloned().unwrap_or_default(),
        );
        put("amount", p.amount_minor.to_string());
        put("currency", p.currency.to_lowercase());
        put("state", state_code(p).to_string());
        put(
            "clientIp",
            p.extra.get("clientIp").cloned().unwrap_or_default(),
        );
        put(
            "subject",
            p.extra.get("subject").cloned().unwrap_or_default(),
        );
        put("body", p.extra.get("body").cloned().unwrap_or_default());
        put(
            "extParam",
            p.extra.get("extParam").cloned().unwrap_or_default(),
        );
        put("createdAt", millis(p.created));
        if let Some(paid) = p.paid_at {
            put("channelOrderNo", format!("SBX{}", p.id));
            put("successTime", millis(paid));
        }
        m
    }

    fn create(
        &self,
        sandbox: &Sandbox,
        p: &Params,
        cashier: bool,
        now: OffsetDateTime,
        forced: Option<&str>,
    ) -> Response {
        let get = |k: &str| p.get(k).cloned().unwrap_or_default();
        if get("version") != "1.1" {
            return Self::fail("version must be 1.1");
        }
        let required: &[&str] = if cashier {
            &["mchOrderNo", "amount", "currency", "registerTime", "custNo"]
        } else {
            &[
                "mchOrderNo",
                "wayCode",
                "amount",
                "currency",
                "clientIp",
                "subject",
                "body",
                "custNo",
                "registerTime",
            ]
        };
        if let Some(missing) = required.iter().find(|k| get(k).is_empty()) {
            return Self::fail(&format!("参数[{missing}]不能为空"));
        }
        let way = get("wayCode");
        if !cashier && !WAY_CODES.contains(&way.as_str()) {
            return Self::fail(&format!("不支持的支付方式[{way}]"));
        }
        let amount = match get("amount").parse::<u64>() {
            Ok(a) if a >= 1 => a,
            _ => return Self::fail("amount must be an integer number of cents, at least 1"),
        };
        let ip = get("clientIp");
        if !ip.is_empty() && ip.parse::<std::net::Ipv4Addr>().is_err() {
            return Self::fail("clientIp must be an IPv4 address");
        }
        let requested = get("expiredTime")
            .parse::<i64>()
            .ok()
            .map(Duration::seconds);
        let mut lifetime = requested.unwrap_or(ORDER_LIFETIME);
        if cashier && lifetime < CASHIER_MIN_LIFETIME {
            lifetime = CASHIER_MIN_LIFETIME;
        }
        lifetime = sandbox.lifetime(Gateway::Pass2Pay, lifetime);
        let data_type = serde_json::from_str::<Value>(&get("channelExtra"))
            .ok()
            .and_then(|v| v["payDataType"].as_str().map(str::to_string));
        let data_type = match (cashier, way.as_str(), data_type) {
            (_, _, _) if forced == Some("codeImgUrl") => "codeImgUrl".to_string(),
            (true, _, _) => "payurl".to_string(),
            (_, "ALI_QR" | "WX_NATIVE" | "UP_QR" | "QR_CASHIER", None) => "codeUrl".into(),
            (_, _, None) => "payUrl".into(),
            (_, _, Some(t)) => t,
        };
        let id = format!("P{}", random_string(19, b"0123456789"));
        let mut extra = BTreeMap::new();
        for k in [
            "wayCode",
            "clientIp",
            "subject",
            "body",
            "extParam",
            "custNo",
            "registerTime",
            "userName",
            "mbrTel",
            "idNo",
        ] {
            extra.insert(k.to_string(), get(k));
        }
        let payment = Payment {
            id: id.clone(),
            gateway: Gateway::Pass2Pay,
            merchant_ref: get("mchOrderNo"),
            amount_minor: amount,
            currency: get("currency").to_uppercase(),
            description: format!("Order {}", get("mchOrderNo")),
            wallet: wallet_of(&way).to_string(),
            method: if cashier {
                "CASHIER".into()
            } else {
                way.clone()
            },
            redirect: !data_type.eq_ignore_ascii_case("codeUrl"),
            notify_url: p.get("notifyUrl").filter(|u| !u.is_empty()).cloned(),
            return_url: p.get("returnUrl").filter(|u| !u.is_empty()).cloned(),
            created: now,
            expires: now + lifetime,
            paid_at: None,
            state: PayState::Pending,
            refunds: Vec::new(),
            extra,
            expiry_announced: false,
        };
        if !sandbox.inner.ledger.insert(payment.clone()) {
            return Self::fail(&format!("商户订单[{}]已存在", payment.merchant_ref));
        }
        let wallet = sandbox.wallet_url(&id);
        // A payment code plays the outcome it was issued with; one the sandbox never issued is
        // refused as the channel refuses a bad code.
        let counter = way.ends_with("_BAR");
        let outcome = if counter {
            let code = serde_json::from_str::<Value>(&get("channelExtra"))
                .ok()
                .and_then(|v| v["authCode"].as_str().map(str::to_string))
                .unwrap_or_default();
            Some(sandbox.inner.codes.spend(&code, &id))
        } else {
            None
        };
        let forced = match outcome {
            Some(Some(crate::codes::Outcome::Paid)) => Some("paid"),
            Some(Some(crate::codes::Outcome::Declined) | None) => Some("failed"),
            _ => forced,
        };
        // Paid or failed as it is made (a payment code's order does that): no payment data.
        let settled = match forced {
            Some("paid") => sandbox.inner.ledger.settle(&id, true, now),
            Some("failed") => sandbox.inner.ledger.settle(&id, false, now),
            _ => None,
        };
        if let Some((_, after)) = settled {
            sandbox.state_changed(after.clone());
            let mut data = Map::new();
            let mut put = |k: &str, v: String| {
                data.insert(k.to_string(), Value::String(v));
            };
            put("payOrderId", id.clone());
            put("mchOrderNo", after.merchant_ref.clone());
            put("orderState", state_code(&after).to_string());
            put("payDataType", "none".into());
            if after.state == PayState::Paid {
                // An object, as Pass2Pay answers it, signed over its JSON text as sent.
                data.insert(
                    "payOrderInfo".into(),
                    Value::Object(self.order_fields(&after)),
                );
            } else if counter {
                put("errCode", "ACQ.PAYMENT_AUTH_CODE_INVALID".into());
                put(
                    "errMsg",
                    "sandbox: the payment code is invalid or expired".into(),
                );
            } else {
                put("errCode", "SANDBOX.CHANNEL_DECLINED".into());
                put("errMsg", "sandbox: the channel declined the payment".into());
            }
            return self.ok(data);
        }
        // At a counter the shopper confirms on their phone: the order waits, with nothing to show.
        if counter {
            let mut data = Map::new();
            data.insert("payOrderId".into(), Value::String(id));
            data.insert(
                "mchOrderNo".into(),
                Value::String(payment.merchant_ref.clone()),
            );
            data.insert("orderState".into(), Value::String("1".into()));
            data.insert("payDataType".into(), Value::String("none".into()));
            return self.ok(data);
        }
        let pay_data = if forced == Some("codeImgUrl") {
            format!("{}/sandbox/qr/{id}", sandbox.inner.public_url)
        } else if cashier {
            format!("{}/sandbox/pass2pay/cashier/{id}", sandbox.inner.public_url)
        } else if data_type.eq_ignore_ascii_case("form") {
            // An HTML form, as Alipay's PC/WAP channels answer; the merchant must not inject it.
            format!(
                r#"<form id="alipaysubmit" name="alipaysubmit" action="{wallet}/open" method="POST"><input type="hidden" name="payOrderId" value="{id}"/><input type="hidden" name="token" value="{}"/><input type="submit" value="ok" style="display:none"></form><script>document.forms['alipaysubmit'].submit();</script>"#,
                random_string(24, b"abcdefghijklmnopqrstuvwxyz0123456789")
            )
        } else {
            wallet
        };
        let mut data = Map::new();
        data.insert("payOrderId".into(), Value::String(id));
        data.insert(
            "mchOrderNo".into(),
            Value::String(payment.merchant_ref.clone()),
        );
        data.insert(
            "orderState".into(),
            Value::String(state_code(&payment).to_string()),
        );
        data.insert("payDataType".into(), Value::String(data_type));
        data.insert("payData".into(), Value::String(pay_data));
        self.ok(data)
    }

    fn find(&self, sandbox: &Sandbox, p: &Params, now: OffsetDateTime) -> Option<Payment> {
        let by_id = p.get("payOrderId").filter(|v| !v.is_empty());
        let found = match by_id {
            Some(id) => sandbox.inner.ledger.get(id, now),
            None => sandbox.inner.ledger.find(
                Gateway::Pass2Pay,
                p.get("mchOrderNo").map(String::as_str).unwrap_or_default(),
                now,
            ),
        };
        found.filter(|x| x.gateway == Gateway::Pass2Pay)
    }

    fn query(&self, sandbox: &Sandbox, p: &Params, now: OffsetDateTime) -> Response {
        match self.find(sandbox, p, now) {
            Some(pay) => self.ok(self.order_fields(&pay)),
            None => Self::fail("订单不存在"),
        }
    }

    fn close(&self, sandbox: &Sandbox, p: &Params, now: OffsetDateTime) -> Response {
        let Some(pay) = self.find(sandbox, p, now) else {
            return Self::fail("订单不存在");
        };
        match sandbox.inner.ledger.close(&pay.id, now) {
            Some((Change::Moved, after)) => {
                sandbox.state_changed(after);
                self.ok(Map::new())
            }
            _ => Self::fail("当前订单不可关闭"),
        }
    }

    fn refund_fields(&self, pay: &Payment, r: &Refund) -> Map<String, Value> {
        let state = match r.state {
            RefundState::Processing => "1",
            RefundState::Succeeded => "2",
            RefundState::Failed => "3",
        };
        let mut m = Map::new();
        for (k, v) in [
            ("refundOrderId", r.id.clone()),
            ("payOrderId", pay.id.clone()),
            ("mchNo", self.merchant.mch_no.clone()),
            ("appId", self.merchant.app_id.clone()),
            ("mchRefundNo", r.merchant_ref.clone()),
            ("payAmount", pay.amount_minor.to_string()),
            ("refundAmount", r.amount_minor.to_string()),
            ("currency", pay.currency.to_lowercase()),
            ("state", state.to_string()),
            ("createdAt", millis(r.created)),
        ] {
            m.insert(k.to_string(), Value::String(v));
        }
        if r.state == RefundState::Succeeded {
            m.insert("successTime".into(), Value::String(millis(r.created)));
        }
        m
    }

    fn refund(&self, sandbox: &Sandbox, p: &Params, now: OffsetDateTime) -> Response {
        let get = |k: &str| p.get(k).cloned().unwrap_or_default();
        for k in ["mchRefundNo", "refundAmount", "currency", "refundReason"] {
            if get(k).is_empty() {
                return Self::fail(&format!("参数[{k}]不能为空"));
            }
        }
        let Some(pay) = self.find(sandbox, p, now) else {
            return Self::fail("订单不存在");
        };
        let Ok(amount) = get("refundAmount").parse::<u64>() else {
            return Self::fail("refundAmount must be an integer number of cents");
        };
        let refund_no = get("mchRefundNo");
        let taken = sandbox
            .inner
            .ledger
            .find_refund(Gateway::Pass2Pay, |r| r.merchant_ref == refund_no)
            .is_some();
        if taken {
            return Self::fail(&format!("商户退款订单号[{refund_no}]已存在"));
        }
        let id = format!("R{}", random_string(19, b"0123456789"));
        let outcome = sandbox.inner.ledger.update(&pay.id, now, |x| {
            if x.state != PayState::Paid || x.refunded_minor() >= x.amount_minor {
                return Err("订单状态不正确， 无法完成退款");
            }
            if !get("currency").eq_ignore_ascii_case(&x.currency) {
                return Err("退款币种与支付币种不一致");
            }
            if amount == 0 || x.refunded_minor() + amount > x.amount_minor {
                return Err("退款金额超过订单可退款金额！");
            }
            x.refunds.push(Refund {
                id: id.clone(),
                merchant_ref: refund_no.clone(),
                amount_minor: amount,
                state: RefundState::Succeeded,
                created: now,
            });
            Ok(())
        });
        match outcome {
            Some((Ok(()), after)) => {
                let r = after.refunds.iter().find(|r| r.id == id).cloned();
                match r {
                    Some(r) => {
                        // Jeepay notifies a refund's end with the refund-query fields, like a payment.
                        let url = get("notifyUrl");
                        if !url.is_empty() {
                            let fields = self.refund_fields(&after, &r);
                            if let Some(out) = self.signed_form(url, fields, now, None) {
                                crate::notifier::push_once(sandbox, Gateway::Pass2Pay, out);
                            }
                        }
                        self.ok(self.refund_fields(&after, &r))
                    }
                    None => Self::fail("系统异常"),
                }
            }
            Some((Err(m), _)) => Self::fail(m),
            None => Self::fail("订单不存在"),
        }
    }

    fn refund_query(&self, sandbox: &Sandbox, p: &Params, forced: Option<&str>) -> Response {
        let wanted = |r: &Refund| {
            p.get("refundOrderId").is_some_and(|v| *v == r.id)
                || p.get("mchRefundNo").is_some_and(|v| *v == r.merchant_ref)
        };
        let found = sandbox.inner.ledger.find_refund(Gateway::Pass2Pay, wanted);
        match found {
            // A signed answer about another refund, "failed" (a replay of an old answer).
            Some((x, r)) if forced == Some(ANOTHER_REFUND) => {
                let mut fields = self.refund_fields(&x, &r);
                fields.insert("mchRefundNo".into(), Value::String("rf_another".into()));
                fields.insert("refundOrderId".into(), Value::String("R0000000000".into()));
                fields.insert("state".into(), Value::String("3".into()));
                fields.remove("successTime");
                self.ok(fields)
            }
            Some((x, r)) => self.ok(self.refund_fields(&x, &r)),
            None => Self::fail("退款订单不存在"),
        }
    }

    /// `fields` posted to `url` as a form, with `reqTime` and `sign`, as Jeepay notifies; `altered`
    /// (a field and its value) is written after signing (a notification changed on its way).
    fn signed_form(
        &self,
        url: String,
        fields: Map<String, Value>,
        now: OffsetDateTime,
        altered: Option<(&str, String)>,
    ) -> Option<Outgoing> {
        let mut fields: BTreeMap<String, String> = fields
            .into_iter()
            .map(|(k, v)| (k, v.as_str().unwrap_or_default().to_string()))
            .collect();
        fields.insert("reqTime".into(), millis(now));
        let sign = signature::sign(
            fields.iter().map(|(k, v)| (k.as_str(), v.as_str())),
            &self.merchant.secret,
        );
        fields.insert("sign".into(), sign);
        if let Some((k, v)) = altered {
            fields.insert(k.to_string(), v);
        }
        let body = serde_urlencoded::to_string(&fields).ok()?;
        Some(Outgoing {
            url,
            content_type: "application/x-www-form-urlencoded",
            headers: Vec::new(),
            body: body.into_bytes(),
        })
    }

    /// The form-encoded notification: the query fields plus `reqTime` and `sign`; `corrupt` changes
    /// the amount after signing.
    pub(crate) fn notification(
        &self,
        p: &Payment,
        now: OffsetDateTime,
        corrupt: bool,
    ) -> Option<Outgoing> {
        let url = p.notify_url.clone()?;
        let altered = corrupt.then(|| ("amount", (p.amount_minor + 1).to_string()));
        self.signed_form(url, self.order_fields(p), now, altered)
    }

    /// Signs fields the way Pass2Pay does, for tests that forge or replay a notification.
    pub fn sign(&self, fields: &BTreeMap<String, String>) -> String {
        signature::sign(
            fields.iter().map(|(k, v)| (k.as_str(), v.as_str())),
            &self.merchant.secret,
        )
    }
}

/// Reads a JSON or form body into strings (numbers in decimal), as Jeepay's `RequestKitBean` does.
fn params(headers: &HeaderMap, body: &[u8]) -> Option<Params> {
    let ct = headers
        .get(header::CONTENT_TYPE)
        .and_then(|v| v.to_str().ok())
        .unwrap_or_default();
    if ct.starts_with("application/x-www-form-urlencoded") {
        return serde_urlencoded::from_bytes::<Vec<(String, String)>>(body)
            .ok()
            .map(|v| v.into_iter().collect());
    }
    let Value::Object(map) = serde_json::from_slice::<Value>(body).ok()? else {
        return None;
    };
    Some(
        map.into_iter()
            .filter_map(|(k, v)| match v {
                Value::String(s) => Some((k, s)),
                Value::Number(n) => Some((k, n.to_string())),
                Value::Bool(b) => Some((k, b.to_string())),
                Value::Null => None,
                other => Some((k, other.to_string())),
            })
            .collect(),
    )
}

/// `POST /sandbox/pass2pay/api/{group}/{operation}`.
pub async fn api(
    State(sandbox): State<Sandbox>,
    Path((group, operation)): Path<(String, String)>,
    headers: HeaderMap,
    body: Bytes,
) -> Response {
    let create = group == "pay" && matches!(operation.as_str(), "unifiedOrder" | "cashierOrder");
    let answer = checked_call(&sandbox, &group, &operation, &headers, &body).await;
    if create {
        return sandbox.lose_create_answer(Gateway::Pass2Pay, answer).await;
    }
    answer
}

async fn checked_call(
    sandbox: &Sandbox,
    group: &str,
    operation: &str,
    headers: &HeaderMap,
    body: &Bytes,
) -> Response {
    let sandbox = sandbox.clone();
    let (group, operation) = (group.to_string(), operation.to_string());
    if let Some(r) = sandbox.misbehave(Gateway::Pass2Pay).await {
        return r;
    }
    let Some(sim) = sandbox.inner.pass2pay.as_ref() else {
        return (StatusCode::NOT_FOUND, "Pass2Pay is not simulated here").into_response();
    };
    let now = sandbox.now();
    let Some(all) = params(headers, body) else {
        return Simulator::fail("请求参数格式错误");
    };
    let known: &[&str] = match (group.as_str(), operation.as_str()) {
        ("pay", "unifiedOrder" | "cashierOrder") => ORDER_FIELDS,
        ("pay", "query" | "close") => QUERY_FIELDS,
        ("refund", "refundOrder") => REFUND_FIELDS,
        ("refund", "query") => REFUND_QUERY_FIELDS,
        _ => return (StatusCode::NOT_FOUND, "no such API").into_response(),
    };
    // Like Jeepay: only the fields its bean knows are signed; an unknown extra field breaks the sign.
    let p: Params = all
        .iter()
        .filter(|(k, _)| COMMON.contains(&k.as_str()) || known.contains(&k.as_str()))
        .map(|(k, v)| (k.clone(), v.clone()))
        .collect();
    if p.get("mchNo") != Some(&sim.merchant.mch_no) || p.get("appId") != Some(&sim.merchant.app_id)
    {
        return Simulator::fail("商户信息不存在");
    }
    let expected = signature::sign(
        p.iter().map(|(k, v)| (k.as_str(), v.as_str())),
        &sim.merchant.secret,
    );
    let given = all.get("sign").map(String::as_str).unwrap_or_default();
    if !expected.eq_ignore_ascii_case(given) {
        return Simulator::fail("验签失败");
    }
    let req_time = p.get("reqTime").and_then(|t| t.parse::<i128>().ok());
    let now_ms = now.unix_timestamp_nanos() / 1_000_000;
    let fresh = match req_time {
        Some(t) if t < 10_000_000_000 => (now_ms - t * 1000).abs() <= SKEW_MS,
        Some(t) => (now_ms - t).abs() <= SKEW_MS,
        None => false,
    };
    if !fresh {
        return Simulator::fail("reqTime is missing or more than 5 minutes off");
    }
    let _call = match (group.as_str(), operation.as_str()) {
        ("pay", "query" | "close") => {
            let order = p
                .get("mchOrderNo")
                .or_else(|| p.get("payOrderId"))
                .cloned()
                .unwrap_or_default();
            Some(sandbox.order_call(Gateway::Pass2Pay, &order).await)
        }
        _ => None,
    };
    let now = sandbox.now();
    let op = match (group.as_str(), operation.as_str()) {
        ("pay", "unifiedOrder" | "cashierOrder") => Operation::Create,
        ("pay", "query") => Operation::Query,
        ("pay", "close") => Operation::Close,
        ("refund", "refundOrder") => Operation::Refund,
        _ => Operation::RefundQuery,
    };
    let forced = sandbox.forced(Gateway::Pass2Pay, op);
    let forced = forced.as_deref();
    // `code ≠ 0`: a refusal, with no data and so no sign.
    if let Some(code) = forced.and_then(|f| f.parse::<i64>().ok()) {
        return Json(json!({ "code": code, "msg": "sandbox: forced refusal" })).into_response();
    }
    let answer = answer(&sandbox, sim, &group, &operation, &p, now, forced).await;
    if forced == Some("unsigned") {
        return unsigned(answer).await;
    }
    answer
}

/// Whether `next` may set `answer` for `op`: a `code` other than 0 (e.g. `"9999"`), `unsigned`
/// (the answer's data without its sign); for create also `codeImgUrl` (a QR picture's URL),
/// `paid` (paid at once, `orderState` 2 with `payOrderInfo`) and `failed` (`orderState` 3 with
/// `errCode`/`errMsg`); for refund_query `another_refund`.
pub fn knows(op: Operation, answer: &str) -> bool {
    answer.parse::<i64>().is_ok_and(|c| c != 0)
        || answer == "unsigned"
        || (op == Operation::Create && matches!(answer, "codeImgUrl" | "paid" | "failed"))
        || (op == Operation::RefundQuery && answer == ANOTHER_REFUND)
}

/// `next` on refund_query: a signed `failed` answer naming another refund.
pub const ANOTHER_REFUND: &str = "another_refund";

/// The same answer without `sign` (a forged or broken gateway: the merchant must refuse it).
async fn unsigned(answer: Response) -> Response {
    let Ok(bytes) = axum::body::to_bytes(answer.into_body(), 1 << 20).await else {
        return StatusCode::INTERNAL_SERVER_ERROR.into_response();
    };
    match serde_json::from_slice::<Value>(&bytes) {
        Ok(mut v) => {
            if let Some(o) = v.as_object_mut() {
                o.remove("sign");
            }
            Json(v).into_response()
        }
        Err(_) => StatusCode::INTERNAL_SERVER_ERROR.into_response(),
    }
}

async fn answer(
    sandbox: &Sandbox,
    sim: &Simulator,
    group: &str,
    operation: &str,
    p: &Params,
    now: OffsetDateTime,
    forced: Option<&str>,
) -> Response {
    let sandbox = sandbox.clone();
    let p = p.clone();
    match (group, operation) {
        ("pay", "unifiedOrder") => sim.create(&sandbox, &p, false, now, forced),
        ("pay", "cashierOrder") => sim.create(&sandbox, &p, true, now, forced),
        ("pay", "query") => sim.query(&sandbox, &p, now),
        ("pay", "close") => sim.close(&sandbox, &p, now),
        ("refund", "refundOrder") => {
            // Done at once, answered late: a merchant that dies meanwhile never hears of it.
            let answer = sim.refund(&sandbox, &p, now);
            sandbox.slow(Gateway::Pass2Pay).await;
            answer
        }
        _ => sim.refund_query(&sandbox, &p, forced),
    }
}

/// `GET /sandbox/pass2pay/cashier/{payOrderId}`: the hosted cashier, which leads to the wallet page.
pub async fn cashier(State(sandbox): State<Sandbox>, Path(token): Path<String>) -> Response {
    match sandbox.payment(&token) {
        Some(p) if p.gateway == Gateway::Pass2Pay => {
            Redirect::to(&format!("/sandbox/wallet/{}", p.id)).into_response()
        }
        _ => (StatusCode::NOT_FOUND, "unknown cashier token").into_response(),
    }
}
