//! The contract's JSON, read and written once, over any JSON tree: the widget runs it on the
//! browser's own parse (`JsValue`, no JSON parser or serde in the wasm), the host tests run the same
//! code on `serde_json::Value` and check it against the serde types message by message.
//!
//! Strict where the contract is closed (a session needs every field, a known status, wallet, flow
//! and action type, an integer amount); lenient where it is open (unknown fields, unknown error codes).

use std::collections::BTreeMap;

use crate::{
    Action, CreateSession, ErrorCode, Failure, FailureCode, Flow, Money, QrMatrix, Session, Status,
    Wallet, WechatJsapiParams,
};

/// A parsed JSON value as the codec reads it.
pub trait JsonIn: Sized {
    /// `key` of an object; `None` when this is no object, or the key is missing, undefined or null.
    fn field(&self, key: &str) -> Option<Self>;
    fn string(&self) -> Option<String>;
    fn number(&self) -> Option<f64>;
    fn is_object(&self) -> bool;
    /// An object's own keys, in its order.
    fn keys(&self) -> Vec<String>;
}

/// A JSON value as the codec builds it.
pub trait JsonOut: Sized {
    fn object() -> Self;
    fn string(s: &str) -> Self;
    fn number(n: f64) -> Self;
    fn boolean(b: bool) -> Self;
    /// Sets `key` on an object.
    fn set(&mut self, key: &str, value: Self);
}

pub type Parsed<T> = Result<T, String>;

fn string<J: JsonIn>(obj: &J, key: &str) -> Parsed<String> {
    obj.field(key)
        .and_then(|v| v.string())
        .ok_or_else(|| format!("`{key}` is not a string"))
}

fn optional_string<J: JsonIn>(obj: &J, key: &str) -> Parsed<Option<String>> {
    match obj.field(key) {
        None => Ok(None),
        Some(v) => v
            .string()
            .map(Some)
            .ok_or_else(|| format!("`{key}` is not a string")),
    }
}

fn named<J: JsonIn, T>(obj: &J, key: &str, parse: impl Fn(&str) -> Option<T>) -> Parsed<T> {
    let text = string(obj, key)?;
    parse(&text).ok_or_else(|| format!("`{key}` has an unknown value \"{text}\""))
}

/// The largest integer a JSON number (an IEEE double) holds exactly: 2^53 - 1.
const MAX_EXACT: u64 = 9_007_199_254_740_991;

/// An amount: `{ value: <integer of minor units>, currency: "CAD" }`. A fraction, a negative
/// number or anything past 2^53 is refused (a JSON number is exact only up to there).
pub fn money<J: JsonIn>(amount: &J) -> Parsed<Money> {
    let value = amount
        .field("value")
        .and_then(|v| v.number())
        .ok_or("`amount.value` is not a number")?;
    #[allow(clippy::float_arithmetic)] // reason: checking the parsed number is a whole one
    let whole = value.fract() == 0.0;
    if !(whole && (0.0..=MAX_EXACT as f64).contains(&value)) {
        return Err("`amount.value` is not an integer of minor units".into());
    }
    let currency = string(amount, "currency")?;
    Money::new(value as u64, &currency).map_err(|e| e.to_string())
}

pub fn action<J: JsonIn>(v: &J) -> Parsed<Action> {
    Ok(match string(v, "type")?.as_str() {
        "qr" => {
            let content = optional_string(v, "content")?;
            let image = optional_string(v, "image")?;
            if content.is_none() && image.is_none() {
                return Err("a `qr` action has neither `content` nor `image`".into());
            }
            let matrix = match v.field("matrix") {
                None => None,
                Some(m) => {
                    let size = m.field("size").and_then(|n| n.number()).unwrap_or(0.0);
                    // A whole number in range (21.5 is not 21); anything else fails `is_valid`.
                    let whole = (21.0..=177.0).contains(&size) && f64::from(size as u16) == size;
                    let matrix = QrMatrix {
                        size: if whole { size as u16 } else { 0 },
                        dark: string(&m, "dark")?,
                    };
                    if !matrix.is_valid() {
                        return Err("`matrix` is not a QR code's modules".into());
                    }
                    Some(matrix)
                }
            };
            Action::Qr {
                content,
                matrix,
                image,
                url: optional_string(v, "url")?,
            }
        }
        "redirect" => Action::Redirect {
            url: string(v, "url")?,
        },
        "form" => {
            let raw = v
                .field("fields")
                .filter(JsonIn::is_object)
                .ok_or("`fields` is not an object")?;
            let mut fields = BTreeMap::new();
            for key in raw.keys() {
                let value = string(&raw, &key)?;
                fields.insert(key, value);
            }
            Action::Form {
                url: string(v, "url")?,
                fields,
            }
        }
        "wechat_jsapi" => {
            let p = v
                .field("params")
                .filter(JsonIn::is_object)
                .ok_or("`params` is not an object")?;
            Action::WechatJsapi {
                params: WechatJsapiParams {
                    app_id: string(&p, "appId")?,
                    time_stamp: string(&p, "timeStamp")?,
                    nonce_str: string(&p, "nonceStr")?,
                    package: string(&p, "package")?,
                    sign_type: string(&p, "signType")?,
                    pay_sign: string(&p, "paySign")?,
                },
            }
        }
        "alipay_jsapi" => Action::AlipayJsapi {
            trade_no: string(v, "trade_no")?,
        },
        "wait" => Action::Wait,
        other => return Err(format!("unknown action type \"{other}\"")),
    })
}

/// A session as the contract shapes it.
pub fn session<J: JsonIn>(v: &J) -> Parsed<Session> {
    if !v.is_object() {
        return Err("not an object".into());
    }
    let amount = v.field("amount").ok_or("`amount` is missing")?;
    Ok(Session {
        id: string(v, "id")?,
        order: string(v, "order")?,
        status: named(v, "status", Status::parse)?,
        wallet: named(v, "wallet", Wallet::parse)?,
        flow: named(v, "flow", Flow::parse)?,
        gateway: string(v, "gateway")?,
        amount: money(&amount)?,
        description: string(v, "description")?,
        created_at: string(v, "created_at")?,
        expires_at: string(v, "expires_at")?,
        action: match v.field("action") {
            None => None,
            Some(a) => Some(action(&a)?),
        },
        failure: match v.field("failure") {
            None => None,
            Some(f) => Some(Failure {
                code: FailureCode::parse(&string(&f, "code")?),
            }),
        },
    })
}

/// The contract's error body, `{ error: { code, message } }`; an unknown code is kept as `Unknown`.
pub fn error_body<J: JsonIn>(v: &J) -> Parsed<(ErrorCode, String)> {
    let error = v.field("error").ok_or("`error` is missing")?;
    let code = string(&error, "code")?;
    Ok((ErrorCode::parse(&code), string(&error, "message")?))
}

fn put<J: JsonOut>(obj: &mut J, key: &str, value: &str) {
    obj.set(key, J::string(value));
}

fn put_optional<J: JsonOut>(obj: &mut J, key: &str, value: &Option<String>) {
    if let Some(v) = value {
        put(obj, key, v);
    }
}

/// `POST /sessions`'s body.
pub fn create_body<J: JsonOut>(body: &CreateSession) -> J {
    let mut obj = J::object();
    put(&mut obj, "order", &body.order);
    put_optional(&mut obj, "client_secret", &body.client_secret);
    if let Some(w) = body.wallet {
        put(&mut obj, "wallet", w.as_str());
    }
    put(&mut obj, "flow", body.flow.as_str());
    put_optional(&mut obj, "payment_code", &body.payment_code);
    if body.in_store {
        obj.set("in_store", J::boolean(true));
    }
    put_optional(&mut obj, "return_url", &body.return_url);
    put_optional(&mut obj, "locale", &body.locale);
    obj
}

pub fn money_out<J: JsonOut>(m: &Money) -> J {
    let mut amount = J::object();
    // Exact: amounts past 2^53 are refused when read, and no gateway holds one.
    amount.set("value", J::number(m.value.min(MAX_EXACT) as f64));
    put(&mut amount, "currency", &m.currency);
    amount
}

pub fn action_out<J: JsonOut>(action: &Action) -> J {
    let mut obj = J::object();
    match action {
        Action::Qr {
            content,
            matrix,
            image,
            url,
        } => {
            put(&mut obj, "type", "qr");
            put_optional(&mut obj, "content", content);
            if let Some(m) = matrix {
                let mut out = J::object();
                out.set("size", J::number(f64::from(m.size)));
                put(&mut out, "dark", &m.dark);
                obj.set("matrix", out);
            }
            put_optional(&mut obj, "image", image);
            put_optional(&mut obj, "url", url);
        }
        Action::Redirect { url } => {
            put(&mut obj, "type", "redirect");
            put(&mut obj, "url", url);
        }
        Action::Form { url, fields } => {
            put(&mut obj, "type", "form");
            put(&mut obj, "url", url);
            let mut f = J::object();
            for (k, v) in fields {
                put(&mut f, k, v);
            }
            obj.set("fields", f);
        }
        Action::WechatJsapi { params } => {
            put(&mut obj, "type", "wechat_jsapi");
            let mut p = J::object();
            put(&mut p, "appId", &params.app_id);
            put(&mut p, "timeStamp", &params.time_stamp);
            put(&mut p, "nonceStr", &params.nonce_str);
            put(&mut p, "package", &params.package);
            put(&mut p, "signType", &params.sign_type);
            put(&mut p, "paySign", &params.pay_sign);
            obj.set("params", p);
        }
        Action::AlipayJsapi { trade_no } => {
            put(&mut obj, "type", "alipay_jsapi");
            put(&mut obj, "trade_no", trade_no);
        }
        Action::Wait => put(&mut obj, "type", "wait"),
    }
    obj
}

/// The session in the contract's own shape (the merchant's callbacks and events get it).
pub fn session_out<J: JsonOut>(s: &Session) -> J {
    let mut obj = J::object();
    put(&mut obj, "id", &s.id);
    put(&mut obj, "order", &s.order);
    put(&mut obj, "status", s.status.as_str());
    put(&mut obj, "wallet", s.wallet.as_str());
    put(&mut obj, "flow", s.flow.as_str());
    put(&mut obj, "gateway", &s.gateway);
    obj.set("amount", money_out(&s.amount));
    put(&mut obj, "description", &s.description);
    put(&mut obj, "created_at", &s.created_at);
    put(&mut obj, "expires_at", &s.expires_at);
    if let Some(a) = &s.action {
        obj.set("action", action_out(a));
    }
    if let Some(f) = &s.failure {
        let mut failure = J::object();
        put(&mut failure, "code", f.code.as_str());
        obj.set("failure", failure);
    }
    obj
}

/// The codec on `serde_json::Value`, checked against the serde types of every message both ways.
#[cfg(all(test, feature = "serde"))]
mod tests {
    use super::*;
    use serde_json::{json, Value};

    impl JsonIn for Value {
        fn field(&self, key: &str) -> Option<Value> {
            self.get(key).filter(|v| !v.is_null()).cloned()
        }
        fn string(&self) -> Option<String> {
            self.as_str().map(str::to_string)
        }
        fn number(&self) -> Option<f64> {
            self.as_f64()
        }
        fn is_object(&self) -> bool {
            self.is_object()
        }
        fn keys(&self) -> Vec<String> {
            self.as_object()
                .map(|o| o.keys().cloned().collect())
                .unwrap_or_default()
        }
    }

    impl JsonOut for Value {
        fn object() -> Value {
            Value::Object(Default::default())
        }
        fn string(s: &str) -> Value {
            Value::String(s.to_string())
        }
        fn boolean(b: bool) -> Value {
            Value::Bool(b)
        }
        fn number(n: f64) -> Value {
            // Whole numbers only reach here (amounts); keep them integers as serde writes them.
            if n.fract() == 0.0 && n >= 0.0 {
                json!(n as u64)
            } else {
                json!(n)
            }
        }
        fn set(&mut self, key: &str, value: Value) {
            if let Some(o) = self.as_object_mut() {
                o.insert(key.to_string(), value);
            }
        }
    }

    fn money(v: u64, c: &str) -> Money {
        Money::new(v, c).expect("money")
    }

    /// A session with each action the contract has, and one without.
    fn sessions() -> Vec<Session> {
        let base = Session {
            id: "cs_1".into(),
            order: "A1001".into(),
            status: Status::Pending,
            wallet: Wallet::Alipay,
            flow: Flow::Qr,
            gateway: "gw".into(),
            amount: money(1234, "CAD"),
            description: "Green tea ×2".into(),
            created_at: "2026-01-01T00:00:00Z".into(),
            expires_at: "2026-01-01T00:15:00Z".into(),
            action: None,
            failure: None,
        };
        let actions = [
            Action::Wait,
            Action::Qr {
                content: Some("https://qr.example/x".into()),
                matrix: None,
                image: Some("data:image/png;base64,AA".into()),
                url: Some("https://pay.example".into()),
            },
            Action::Qr {
                content: Some("weixin://x".into()),
                matrix: Some(QrMatrix {
                    size: 21,
                    dark: "f8".repeat(56),
                }),
                image: None,
                url: None,
            },
            Action::Qr {
                content: None,
                matrix: None,
                image: Some("https://pay.example/qr.png".into()),
                url: None,
            },
            Action::Redirect {
                url: "https://h5.example/pay".into(),
            },
            Action::Form {
                url: "https://pc.example/gateway.do".into(),
                fields: BTreeMap::from([
                    ("biz_content".to_string(), "{\"a\":1}".to_string()),
                    ("sign".to_string(), "abc==".to_string()),
                ]),
            },
            Action::WechatJsapi {
                params: WechatJsapiParams {
                    app_id: "wx1".into(),
                    time_stamp: "1700000000".into(),
                    nonce_str: "n".into(),
                    package: "prepay_id=wx2".into(),
                    sign_type: "RSA".into(),
                    pay_sign: "s".into(),
                },
            },
            Action::AlipayJsapi {
                trade_no: "2026".into(),
            },
        ];
        let mut declined = base.clone();
        declined.status = Status::Failed;
        declined.flow = Flow::PaymentCode;
        declined.failure = Some(Failure {
            code: FailureCode::PaymentCodeDeclined,
        });
        let mut all = vec![base.clone(), declined];
        for (i, a) in actions.into_iter().enumerate() {
            let mut s = base.clone();
            s.status =
                Status::parse(["pending", "succeeded", "failed", "expired", "cancelled"][i % 5])
                    .expect("status");
            s.wallet = Wallet::ALL[i % 3];
            s.flow = Flow::ALL[i % 5];
            s.amount = money(i as u64 * 1000 + 1, ["CAD", "CNY", "JPY", "EUR"][i % 4]);
            s.action = Some(a);
            all.push(s);
        }
        all
    }

    #[test]
    fn every_session_reads_as_serde_wrote_it_and_writes_as_serde_reads_it() {
        for s in sessions() {
            let by_serde = serde_json::to_value(&s).expect("serde writes");
            assert_eq!(
                session(&by_serde).as_ref(),
                Ok(&s),
                "codec reads {by_serde}"
            );
            let by_codec: Value = session_out(&s);
            assert_eq!(by_codec, by_serde, "codec writes what serde writes");
            let back: Session = serde_json::from_value(by_codec).expect("serde reads");
            assert_eq!(back, s);
        }
    }

    #[test]
    fn the_create_body_is_what_the_server_reads() {
        for body in [
            CreateSession {
                order: "A1".into(),
                client_secret: Some("sec_0123456789abcdefghijklmnopqrstuvwxyz".into()),
                wallet: Some(Wallet::WechatPay),
                flow: Flow::WechatInApp,
                payment_code: None,
                in_store: false,
                return_url: Some("https://shop.example/r".into()),
                locale: Some("zh-CN".into()),
            },
            CreateSession {
                order: "A2".into(),
                client_secret: None,
                wallet: Some(Wallet::Unionpay),
                flow: Flow::Qr,
                payment_code: None,
                in_store: true,
                return_url: None,
                locale: None,
            },
            CreateSession {
                order: "A3".into(),
                client_secret: None,
                wallet: None,
                flow: Flow::PaymentCode,
                payment_code: Some("286012345678901234".into()),
                in_store: false,
                return_url: None,
                locale: None,
            },
        ] {
            let by_codec: Value = create_body(&body);
            assert_eq!(by_codec, serde_json::to_value(&body).expect("serde"));
            let back: CreateSession =
                serde_json::from_value(by_codec).expect("the server reads it");
            assert_eq!(back, body);
        }
    }

    #[test]
    fn every_error_code_reads_as_serde_wrote_it() {
        for code in [
            "invalid_request",
            "order_not_found",
            "order_already_paid",
            "wallet_unavailable",
            "flow_unavailable",
            "session_not_found",
            "gateway_error",
            "gateway_timeout",
            "gateway_refused",
            "rate_limited",
            "internal",
            "order_locked",
            "order_unavailable",
        ] {
            let body = crate::ErrorBody {
                error: crate::ErrorDetail {
                    code: ErrorCode::parse(code),
                    message: "m".into(),
                },
            };
            assert_ne!(body.error.code, ErrorCode::Unknown, "{code}");
            let v = serde_json::to_value(&body).expect("serde");
            assert_eq!(v["error"]["code"], code);
            assert_eq!(error_body(&v), Ok((body.error.code, "m".to_string())));
        }
        let newer = json!({ "error": { "code": "from_the_future", "message": "m" } });
        assert_eq!(
            error_body(&newer),
            Ok((ErrorCode::Unknown, "m".to_string()))
        );
    }

    #[test]
    fn what_the_contract_closes_is_refused_and_what_it_leaves_open_is_not() {
        let good = serde_json::to_value(&sessions()[3]).expect("serde"); // a pending QR
        let with = |path: &[&str], value: Value| {
            let mut v = good.clone();
            let mut at = &mut v;
            for p in &path[..path.len() - 1] {
                at = &mut at[*p];
            }
            at[path[path.len() - 1]] = value;
            v
        };
        for (path, value) in [
            (&["status"][..], json!("paid")),
            (&["wallet"][..], json!("paypal")),
            (&["flow"][..], json!("nfc")),
            (&["id"][..], json!(1)),
            (&["amount", "value"][..], json!(12.5)),
            (&["amount", "value"][..], json!(-1)),
            (&["amount", "value"][..], json!(9_007_199_254_740_993u64)),
            (&["amount", "value"][..], json!("1234")),
            (&["amount", "currency"][..], json!("cad")),
            (&["action", "type"][..], json!("nfc")),
            (&["action", "content"][..], json!(5)),
            (
                &["action", "matrix"][..],
                json!({ "size": 22, "dark": "00" }),
            ),
            (
                &["action", "matrix"][..],
                json!({ "size": 21, "dark": "0".repeat(110) }),
            ),
            (
                &["action", "matrix"][..],
                json!({ "size": 21, "dark": "G".repeat(112) }),
            ),
            (
                &["action", "matrix"][..],
                json!({ "size": "21", "dark": "0".repeat(112) }),
            ),
            (&["action", "matrix"][..], json!("f8f8")),
            (
                &["action", "matrix"][..],
                json!({ "size": 21.5, "dark": "0".repeat(112) }),
            ),
        ] {
            assert!(
                session(&with(path, value.clone())).is_err(),
                "{path:?} = {value}"
            );
        }
        for missing in [
            "id",
            "order",
            "status",
            "amount",
            "created_at",
            "expires_at",
        ] {
            let mut v = good.clone();
            v.as_object_mut().expect("object").remove(missing);
            assert!(session(&v).is_err(), "without {missing}");
        }
        // A QR needs something to show: its text, or the gateway's picture.
        let mut bare = good.clone();
        if let Some(a) = bare["action"].as_object_mut() {
            a.remove("content");
            a.remove("image");
        }
        assert!(session(&bare).is_err(), "a qr without content or image");
        // Open: unknown fields anywhere are ignored; a null action is no action.
        let extra = with(&["action", "newer"], json!(true));
        assert!(session(&with(&["newer"], json!({ "x": 1 }))).is_ok());
        assert!(session(&extra).is_ok());
        assert_eq!(
            session(&with(&["action"], Value::Null)).map(|s| s.action),
            Ok(None)
        );
        assert!(session(&json!([1, 2])).is_err());
    }
}
