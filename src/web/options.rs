//! `mount()` options: raw JS values checked into `Options`, or an error that names the field and the expected shape.

use js_sys::{Array, Reflect};
use wallet_checkout_protocol::{Flow, Wallet};
use wasm_bindgen::{JsCast, JsValue};

use crate::seam;

#[derive(Debug, Clone)]
pub struct Options {
    /// Base of the merchant's checkout API (default `/api/checkout`).
    pub endpoint: String,
    /// The merchant's order reference; the server decides the amount from it.
    pub order: String,
    /// The order's client secret (from the shop's backend), sent with each create.
    pub client_secret: Option<String>,
    /// Wallets offered, in order (default: all three).
    pub wallets: Vec<Wallet>,
    /// Forces a flow instead of detecting it from the device.
    pub flow: Option<Flow>,
    pub return_url: Option<String>,
    /// A QR on a cashier's screen (`inStore: true`, or the `in-store` attribute).
    pub in_store: bool,
}

const SHAPE: &str = "{ order: \"A1001\", clientSecret?, endpoint?: \"/api/checkout\", wallets?: [\"alipay\", \"wechat_pay\", \"unionpay\"], flow?: \"qr\" | \"redirect\" | \"wechat_in_app\" | \"alipay_in_app\" | \"payment_code\", inStore?: true, locale?: \"en\" | \"zh-CN\" | \"zh-TW\" | \"fr\" | \"ja\" | \"ko\" | \"de\" | \"es\" | \"it\" | \"nl\", returnUrl?: \"https://…\", onSuccess?, onFailure?, onExpire?, onCancel?, onError?, onStateChange?: (detail) => void }";

/// A callback is checked here and called by the shell (`www/shell.js`), which holds the options.
fn optional_function(obj: &JsValue, field: &str) -> Result<(), String> {
    let v = Reflect::get(obj, &JsValue::from_str(field)).unwrap_or(JsValue::UNDEFINED);
    if v.is_undefined() || v.is_null() || v.is_function() {
        return Ok(());
    }
    Err(bad(field, "a function", &v))
}

fn type_name(v: &JsValue) -> String {
    if v.is_undefined() {
        "undefined".into()
    } else if v.is_null() {
        "null".into()
    } else if Array::is_array(v) {
        "an array".into()
    } else if let Some(s) = v.as_string() {
        format!("the string \"{s}\"")
    } else if v.as_f64().is_some() {
        // The browser prints the number: no float formatting in the wasm.
        format!(
            "the number {}",
            String::from(js_sys::JSON::stringify(v).unwrap_or_default())
        )
    } else if v.as_bool().is_some() {
        "a boolean".into()
    } else if v.is_function() {
        "a function".into()
    } else {
        "an object".into()
    }
}

fn bad(field: &str, expected: &str, got: &JsValue) -> String {
    format!(
        "wallet-checkout: options.{field} must be {expected}, got {}. Expected options: {SHAPE}",
        type_name(got)
    )
}

fn optional_string(obj: &JsValue, field: &str, expected: &str) -> Result<Option<String>, String> {
    let v = Reflect::get(obj, &JsValue::from_str(field)).unwrap_or(JsValue::UNDEFINED);
    if v.is_undefined() || v.is_null() {
        return Ok(None);
    }
    match v.as_string() {
        Some(s) if !s.trim().is_empty() => Ok(Some(s)),
        _ => Err(bad(field, expected, &v)),
    }
}

pub fn parse(raw: &JsValue) -> Result<Options, String> {
    if !raw.is_object() || Array::is_array(raw) || raw.is_function() {
        return Err(format!(
            "wallet-checkout: options must be an object, got {}. Expected options: {SHAPE}",
            type_name(raw)
        ));
    }
    let object: &js_sys::Object = raw.unchecked_ref();
    for key in js_sys::Object::keys(object).iter() {
        let key = key.as_string().unwrap_or_default();
        if !seam::OPTIONS.iter().any(|(name, _)| *name == key.as_str()) {
            return Err(format!(
                "wallet-checkout: unknown option \"{key}\" (known: {}). Expected options: {SHAPE}",
                seam::OPTIONS.map(|(name, _)| name).join(", ")
            ));
        }
    }
    let order = optional_string(
        raw,
        "order",
        "a non-empty string (the merchant's order reference)",
    )?
    .ok_or_else(|| {
        bad(
            "order",
            "a non-empty string (the merchant's order reference)",
            &JsValue::UNDEFINED,
        )
    })?;
    if order.len() > 128 {
        return Err(bad(
            "order",
            "at most 128 characters",
            &JsValue::from_str(&order),
        ));
    }
    // Passed through as given: the server checks it (and answers a wrong one as an unknown order).
    let client_secret = optional_string(raw, "clientSecret", "a string")?;
    let endpoint = optional_string(
        raw,
        "endpoint",
        "a URL or path string such as \"/api/checkout\"",
    )?
    .unwrap_or_else(|| "/api/checkout".into());
    let endpoint = endpoint.trim_end_matches('/').to_string();
    let wallets_raw =
        Reflect::get(raw, &JsValue::from_str("wallets")).unwrap_or(JsValue::UNDEFINED);
    let wallets = if wallets_raw.is_undefined() || wallets_raw.is_null() {
        Wallet::ALL.to_vec()
    } else {
        let expected = "a non-empty array of \"alipay\", \"wechat_pay\", \"unionpay\"";
        let items: Vec<JsValue> = if let Some(s) = wallets_raw.as_string() {
            s.split_whitespace().map(JsValue::from_str).collect()
        } else if Array::is_array(&wallets_raw) {
            Array::from(&wallets_raw).iter().collect()
        } else {
            return Err(bad("wallets", expected, &wallets_raw));
        };
        let mut wallets = Vec::new();
        for item in items {
            let w = item
                .as_string()
                .and_then(|s| Wallet::parse(&s))
                .ok_or_else(|| bad("wallets", expected, &item))?;
            if !wallets.contains(&w) {
                wallets.push(w);
            }
        }
        if wallets.is_empty() {
            return Err(bad("wallets", expected, &wallets_raw));
        }
        wallets
    };
    let flow_expected =
        "one of \"qr\", \"redirect\", \"wechat_in_app\", \"alipay_in_app\", \"payment_code\"";
    let flow = match optional_string(raw, "flow", flow_expected)? {
        None => None,
        Some(f) => Some(
            Flow::parse(&f).ok_or_else(|| bad("flow", flow_expected, &JsValue::from_str(&f)))?,
        ),
    };
    // Checked here; the embedding code picks the language from it (`www/first.js`).
    optional_string(raw, "locale", "a language tag such as \"en\" or \"zh-CN\"")?;
    let return_url = optional_string(raw, "returnUrl", "an absolute http(s) URL")?;
    if let Some(u) = &return_url {
        if !(u.starts_with("https://") || u.starts_with("http://")) {
            return Err(bad(
                "returnUrl",
                "an absolute http(s) URL",
                &JsValue::from_str(u),
            ));
        }
    }
    // `true`, or the `in-store` attribute present (any text but "false").
    let raw_store = Reflect::get(raw, &JsValue::from_str("inStore")).unwrap_or(JsValue::UNDEFINED);
    let in_store = if raw_store.is_undefined() || raw_store.is_null() {
        false
    } else {
        raw_store
            .as_bool()
            .or_else(|| raw_store.as_string().map(|s| s != "false"))
            .ok_or_else(|| bad("inStore", "true or false", &raw_store))?
    };
    for (callback, reach) in seam::OPTIONS {
        if reach == seam::Reach::Callback {
            optional_function(raw, callback)?;
        }
    }
    Ok(Options {
        endpoint,
        order,
        client_secret,
        wallets,
        flow,
        return_url,
        in_store,
    })
}
