//! The contract's JSON as the browser parsed it (`Response.json()`, `JSON.parse`), mapped by hand into
//! protocol types and back: no JSON parser and no serde in the wasm.
//!
//! Strict where the contract is closed (a session needs every field, a known status, wallet, flow and
//! action type, an integer amount); lenient where it is open (unknown fields, unknown error codes).

use js_sys::{Object, Reflect};
use wallet_checkout_protocol::{
    Action, CreateSession, ErrorCode, Flow, Money, Session, Status, Wallet, WechatJsapiParams,
};
use wasm_bindgen::{JsCast, JsValue};

type Parsed<T> = Result<T, String>;

fn field(obj: &JsValue, key: &str) -> JsValue {
    if !obj.is_object() {
        return JsValue::UNDEFINED;
    }
    Reflect::get(obj, &JsValue::from_str(key)).unwrap_or(JsValue::UNDEFINED)
}

fn string(obj: &JsValue, key: &str) -> Parsed<String> {
    field(obj, key)
        .as_string()
        .ok_or_else(|| format!("`{key}` is not a string"))
}

fn optional_string(obj: &JsValue, key: &str) -> Parsed<Option<String>> {
    let v = field(obj, key);
    if v.is_undefined() || v.is_null() {
        return Ok(None);
    }
    v.as_string()
        .map(Some)
        .ok_or_else(|| format!("`{key}` is not a string"))
}

fn named<T>(obj: &JsValue, key: &str, parse: impl Fn(&str) -> Option<T>) -> Parsed<T> {
    let text = string(obj, key)?;
    parse(&text).ok_or_else(|| format!("`{key}` has an unknown value \"{text}\""))
}

/// An amount: `{ value: <integer of minor units>, currency: "CAD" }`. A fraction, a negative
/// number or anything past 2^53 is refused (a JS number is exact only up to there).
fn money(obj: &JsValue) -> Parsed<Money> {
    let amount = field(obj, "amount");
    let value = field(&amount, "value")
        .as_f64()
        .ok_or("`amount.value` is not a number")?;
    const MAX_EXACT: f64 = 9_007_199_254_740_991.0;
    #[allow(clippy::float_arithmetic)] // reason: checking the browser's number is a whole one
    let whole = value.fract() == 0.0;
    if !(whole && (0.0..=MAX_EXACT).contains(&value)) {
        return Err("`amount.value` is not an integer of minor units".into());
    }
    let currency = string(&amount, "currency")?;
    Money::new(value as u64, &currency).map_err(|e| e.to_string())
}

fn action(v: &JsValue) -> Parsed<Action> {
    Ok(match string(v, "type")?.as_str() {
        "qr" => Action::Qr {
            content: string(v, "content")?,
            image: optional_string(v, "image")?,
            url: optional_string(v, "url")?,
        },
        "redirect" => Action::Redirect {
            url: string(v, "url")?,
        },
        "form" => {
            let raw = field(v, "fields");
            if !raw.is_object() {
                return Err("`fields` is not an object".into());
            }
            let mut fields = std::collections::BTreeMap::new();
            for key in Object::keys(raw.unchecked_ref::<Object>()).iter() {
                let key = key.as_string().unwrap_or_default();
                fields.insert(key.clone(), string(&raw, &key)?);
            }
            Action::Form {
                url: string(v, "url")?,
                fields,
            }
        }
        "wechat_jsapi" => {
            let p = field(v, "params");
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
        other => return Err(format!("unknown action type \"{other}\"")),
    })
}

/// A session as the contract shapes it.
pub fn session(v: &JsValue) -> Parsed<Session> {
    if !v.is_object() {
        return Err("not an object".into());
    }
    let raw_action = field(v, "action");
    Ok(Session {
        id: string(v, "id")?,
        order: string(v, "order")?,
        status: named(v, "status", Status::parse)?,
        wallet: named(v, "wallet", Wallet::parse)?,
        flow: named(v, "flow", Flow::parse)?,
        gateway: string(v, "gateway")?,
        amount: money(v)?,
        description: string(v, "description")?,
        created_at: string(v, "created_at")?,
        expires_at: string(v, "expires_at")?,
        action: if raw_action.is_undefined() || raw_action.is_null() {
            None
        } else {
            Some(action(&raw_action)?)
        },
    })
}

/// The contract's error body, `{ error: { code, message } }`; an unknown code is kept as `Unknown`.
pub fn error_body(v: &JsValue) -> Parsed<(ErrorCode, String)> {
    let error = field(v, "error");
    let code = string(&error, "code")?;
    Ok((ErrorCode::parse(&code), string(&error, "message")?))
}

fn set(obj: &Object, key: &str, value: impl Into<JsValue>) {
    let _ = Reflect::set(obj, &JsValue::from_str(key), &value.into());
}

fn set_optional(obj: &Object, key: &str, value: &Option<String>) {
    if let Some(v) = value {
        set(obj, key, v.as_str());
    }
}

/// `POST /sessions`'s body as JSON text.
pub fn create_body(body: &CreateSession) -> Option<String> {
    let obj = Object::new();
    set(&obj, "order", body.order.as_str());
    set(&obj, "wallet", body.wallet.as_str());
    set(&obj, "flow", body.flow.as_str());
    set_optional(&obj, "return_url", &body.return_url);
    set_optional(&obj, "locale", &body.locale);
    js_sys::JSON::stringify(&obj).ok()?.as_string()
}

pub fn action_to_js(action: &Action) -> Object {
    let obj = Object::new();
    match action {
        Action::Qr {
            content,
            image,
            url,
        } => {
            set(&obj, "type", "qr");
            set(&obj, "content", content.as_str());
            set_optional(&obj, "image", image);
            set_optional(&obj, "url", url);
        }
        Action::Redirect { url } => {
            set(&obj, "type", "redirect");
            set(&obj, "url", url.as_str());
        }
        Action::Form { url, fields } => {
            set(&obj, "type", "form");
            set(&obj, "url", url.as_str());
            let f = Object::new();
            for (k, v) in fields {
                set(&f, k, v.as_str());
            }
            set(&obj, "fields", f);
        }
        Action::WechatJsapi { params } => {
            set(&obj, "type", "wechat_jsapi");
            let p = Object::new();
            set(&p, "appId", params.app_id.as_str());
            set(&p, "timeStamp", params.time_stamp.as_str());
            set(&p, "nonceStr", params.nonce_str.as_str());
            set(&p, "package", params.package.as_str());
            set(&p, "signType", params.sign_type.as_str());
            set(&p, "paySign", params.pay_sign.as_str());
            set(&obj, "params", p);
        }
        Action::AlipayJsapi { trade_no } => {
            set(&obj, "type", "alipay_jsapi");
            set(&obj, "trade_no", trade_no.as_str());
        }
    }
    obj
}

/// The session for the merchant's callbacks and events, in the contract's own shape.
pub fn session_to_js(s: &Session) -> JsValue {
    let obj = Object::new();
    set(&obj, "id", s.id.as_str());
    set(&obj, "order", s.order.as_str());
    set(&obj, "status", s.status.as_str());
    set(&obj, "wallet", s.wallet.as_str());
    set(&obj, "flow", s.flow.as_str());
    set(&obj, "gateway", s.gateway.as_str());
    let amount = Object::new();
    set(&amount, "value", s.amount.value as f64);
    set(&amount, "currency", s.amount.currency.as_str());
    set(&obj, "amount", amount);
    set(&obj, "description", s.description.as_str());
    set(&obj, "created_at", s.created_at.as_str());
    set(&obj, "expires_at", s.expires_at.as_str());
    if let Some(a) = &s.action {
        set(&obj, "action", action_to_js(a));
    }
    obj.into()
}
