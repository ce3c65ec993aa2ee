//! Where the server learns what an order costs. The browser never says: the shop's backend does,
//! by `PUT /admin/orders/{reference}` (`PutOrder`, checked here, kept in the store), or a Rust
//! embedder through `OrderSource` (the demo's book of demo orders is `wallet-checkout-demo`'s).
//! `OrderView` is an order as `GET /admin/orders/{reference}` shows it.

use std::collections::BTreeMap;

use wallet_checkout_protocol::Money;

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Order {
    pub reference: String,
    pub amount: Money,
    pub description: String,
    /// What the shop's page hands the widget (docs/protocol.md, "Client secrets"); while the
    /// server requires one, an order without it is not found. Never logged.
    pub client_secret: Option<String>,
}

/// A Rust embedder's own order database (see `examples/embed.rs`). Asked after the orders the
/// shop PUT. `Err` is "cannot say now" (`502 order_unavailable`), `Ok(None)` is `order_not_found`.
#[async_trait::async_trait]
pub trait OrderSource: Send + Sync {
    async fn order(&self, reference: &str) -> Result<Option<Order>, String>;
}

/// Knows no orders (a server run without an order database answers `order_not_found`).
#[derive(Debug, Default)]
pub struct NoOrders;

#[async_trait::async_trait]
impl OrderSource for NoOrders {
    async fn order(&self, _reference: &str) -> Result<Option<Order>, String> {
        Ok(None)
    }
}

/// `PUT /admin/orders/{reference}`'s body. Unknown fields are refused.
#[derive(Debug, Clone, serde::Deserialize)]
#[serde(deny_unknown_fields)]
pub struct PutOrder {
    pub amount: Money,
    pub description: String,
    #[serde(default)]
    pub customer: Option<crate::core::domain::Customer>,
    #[serde(default)]
    pub metadata: Option<BTreeMap<String, String>>,
    /// Only in a lookup's answer: the secret the shop chose for the order. A PUT's answer carries
    /// the one the server made; a PUT body naming one is refused.
    #[serde(default)]
    pub client_secret: Option<String>,
}

/// Limits of `PUT /admin/orders` (docs/protocol.md, "Orders in").
pub const MAX_REFERENCE: usize = 64;
pub const MAX_DESCRIPTION: usize = 256;
pub const MAX_METADATA_KEYS: usize = 20;
pub const MAX_METADATA_KEY: usize = 40;
pub const MAX_METADATA_VALUE: usize = 500;
/// Customer fields are short identifiers and names; this bounds each.
pub const MAX_CUSTOMER_FIELD: usize = 128;

/// `^[A-Za-z0-9][A-Za-z0-9_.:-]{0,63}$`.
pub fn valid_reference(r: &str) -> bool {
    let mut bytes = r.bytes();
    matches!(bytes.next(), Some(b) if b.is_ascii_alphanumeric())
        && r.len() <= MAX_REFERENCE
        && bytes.all(|b| b.is_ascii_alphanumeric() || matches!(b, b'_' | b'.' | b':' | b'-'))
}

impl PutOrder {
    /// The order as stored, first put at `now`: its secret the one the shop chose (a lookup),
    /// else a new one (a PUT; an order already stored keeps its own).
    pub fn into_record(self, reference: &str, now: String) -> crate::core::domain::OrderRecord {
        crate::core::domain::OrderRecord {
            reference: reference.to_string(),
            amount: self.amount,
            description: self.description,
            customer: self.customer,
            metadata: self.metadata.unwrap_or_default(),
            client_secret: self
                .client_secret
                .unwrap_or_else(crate::core::domain::new_client_secret),
            created_at: now.clone(),
            updated_at: now,
        }
    }

    /// Parses the body; a mistake names the field it is in (`amount.value: invalid type …`).
    pub fn parse(body: &[u8]) -> Result<PutOrder, String> {
        let mut de = serde_json::Deserializer::from_slice(body);
        let order: PutOrder = serde_path_to_error::deserialize(&mut de).map_err(|e| {
            let path = e.path().to_string();
            let inner = e.into_inner();
            // serde names its own types ("expected struct Raw"): say what a shop must send instead.
            if inner.to_string().contains("floating point") {
                return format!(
                    "{path}: amounts are integers of the currency's minor unit (1234 for 12.34 CAD), not decimals"
                );
            }
            if path.is_empty() || path == "." {
                format!("the order is not valid: {inner}")
            } else {
                format!("{path}: {inner}")
            }
        })?;
        de.end()
            .map_err(|e| format!("the order is not valid: {e}"))?;
        Ok(order)
    }

    /// Checks every limit; the error names the field (never its value).
    pub fn check(&self) -> Result<(), String> {
        if let Some(secret) = &self.client_secret {
            if !crate::core::domain::valid_client_secret(secret) {
                return Err(
                    "client_secret must be 32 to 255 characters of A-Z, a-z, 0-9, '_' and '-'"
                        .into(),
                );
            }
        }
        if self.amount.value == 0 {
            return Err("amount.value must be an integer of at least 1".into());
        }
        let len = self.description.chars().count();
        if self.description.trim().is_empty() || len > MAX_DESCRIPTION {
            return Err(format!(
                "description must be 1 to {MAX_DESCRIPTION} characters"
            ));
        }
        if let Some(c) = &self.customer {
            let fields = [
                ("customer.id", Some(&c.id)),
                ("customer.registered_at", c.registered_at.as_ref()),
                ("customer.name", c.name.as_ref()),
                ("customer.phone", c.phone.as_ref()),
                ("customer.id_number", c.id_number.as_ref()),
            ];
            for (name, value) in fields {
                if let Some(v) = value {
                    if v.trim().is_empty() || v.chars().count() > MAX_CUSTOMER_FIELD {
                        return Err(format!(
                            "{name} must be 1 to {MAX_CUSTOMER_FIELD} characters"
                        ));
                    }
                }
            }
            if let Some(t) = &c.registered_at {
                if crate::core::clock::parse_rfc3339(t).is_none() {
                    return Err("customer.registered_at must be an RFC 3339 time".into());
                }
            }
        }
        if let Some(m) = &self.metadata {
            if m.len() > MAX_METADATA_KEYS {
                return Err(format!(
                    "metadata may hold at most {MAX_METADATA_KEYS} keys"
                ));
            }
            for (k, v) in m {
                if k.is_empty() || k.chars().count() > MAX_METADATA_KEY {
                    return Err(format!(
                        "metadata keys must be 1 to {MAX_METADATA_KEY} characters"
                    ));
                }
                if v.chars().count() > MAX_METADATA_VALUE {
                    return Err(format!(
                        "metadata values must be at most {MAX_METADATA_VALUE} characters"
                    ));
                }
            }
        }
        Ok(())
    }
}

/// A session as the shop's backend sees it: the widget's session plus the gateway's id for it.
#[derive(Debug, Clone, serde::Serialize)]
pub struct SessionView {
    #[serde(flatten)]
    pub session: wallet_checkout_protocol::Session,
    pub gateway_ref: String,
    /// The gateway's last refusal about this session (`{ code, message }`), or null.
    pub gateway_result: Option<crate::core::domain::GatewayResult>,
}

/// `GET /admin/orders/{reference}`.
#[derive(Debug, Clone, serde::Serialize)]
pub struct OrderView {
    pub reference: String,
    pub amount: Money,
    pub description: String,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub customer: Option<crate::core::domain::Customer>,
    pub metadata: BTreeMap<String, String>,
    /// For the shop's page to hand the widget (`client-secret`).
    pub client_secret: String,
    /// `open`; `paid` once a session succeeded; `refunded` once its refunds cover what was paid.
    pub status: &'static str,
    pub created_at: String,
    pub updated_at: String,
    pub refunded: Money,
    pub sessions: Vec<SessionView>,
}

#[cfg(test)]
mod tests {
    use super::*;

    fn put(json: &str) -> Result<(), String> {
        PutOrder::parse(json.as_bytes())?.check()
    }

    #[test]
    fn references_follow_the_contract() {
        for good in ["A1001", "a", "9-x_y.z:1", &"A".repeat(64)] {
            assert!(valid_reference(good), "{good}");
        }
        for bad in ["", "-A", "A/1", "A 1", &"A".repeat(65), "é", "A%2F"] {
            assert!(!valid_reference(bad), "{bad}");
        }
    }

    #[test]
    fn bad_orders_are_refused_naming_the_field() {
        let ok = r#"{"amount":{"value":1234,"currency":"CAD"},"description":"Tea"}"#;
        assert_eq!(put(ok), Ok(()));
        let cases = [
            (
                r#"{"amount":{"value":12.5,"currency":"CAD"},"description":"Tea"}"#,
                "minor unit",
            ),
            (
                r#"{"amount":{"value":0,"currency":"CAD"},"description":"Tea"}"#,
                "amount.value",
            ),
            (
                r#"{"amount":{"value":-1,"currency":"CAD"},"description":"Tea"}"#,
                "value",
            ),
            (
                r#"{"amount":{"value":1,"currency":"cad"},"description":"Tea"}"#,
                "currency",
            ),
            (
                r#"{"amount":{"value":1,"currency":"CADX"},"description":"Tea"}"#,
                "currency",
            ),
            (
                r#"{"amount":{"value":1,"currency":"CAD"},"description":""}"#,
                "description",
            ),
            (
                r#"{"amount":{"value":1,"currency":"CAD"},"description":"T","tip":1}"#,
                "tip",
            ),
            (
                r#"{"amount":{"value":1,"currency":"CAD"},"description":"T","customer":{"name":"x"}}"#,
                "id",
            ),
            (
                r#"{"amount":{"value":1,"currency":"CAD"},"description":"T","customer":{"id":"1","registered_at":"yesterday"}}"#,
                "registered_at",
            ),
        ];
        for (json, needle) in cases {
            let e = put(json).expect_err(json);
            assert!(e.contains(needle), "{needle:?} not in {e:?} for {json}");
        }
        let long = format!(
            r#"{{"amount":{{"value":1,"currency":"CAD"}},"description":"{}"}}"#,
            "x".repeat(10_000)
        );
        assert!(put(&long).expect_err("long").contains("description"));
        let keys: Vec<String> = (0..21).map(|i| format!(r#""k{i}":"v""#)).collect();
        let many = format!(
            r#"{{"amount":{{"value":1,"currency":"CAD"}},"description":"T","metadata":{{{}}}}}"#,
            keys.join(",")
        );
        assert!(put(&many).expect_err("21 keys").contains("metadata"));
    }
}

/// `[orders]`: where the server asks the shop about an order it does not hold.
#[derive(Debug, Clone, serde::Deserialize)]
#[serde(deny_unknown_fields)]
pub struct OrdersConfig {
    pub lookup_url: Option<String>,
    /// The variable holding the lookups' own signing key (`whsec_…`, as a webhook secret's format,
    /// never the webhook secret: a lookup must never be a valid webhook).
    pub secret_env: Option<String>,
}

impl OrdersConfig {
    /// The lookup, when `lookup_url` is set (it then needs `secret_env`).
    pub fn connect(
        &self,
        secrets: &dyn crate::secrets::Secrets,
    ) -> Result<Option<Lookup>, crate::secrets::ConfigError> {
        use crate::secrets::ConfigError;
        let Some(url) = self.lookup_url.as_deref() else {
            return Ok(None);
        };
        let Some(var) = self.secret_env.as_deref() else {
            return Err(ConfigError::Invalid(
                "[orders] lookup_url needs secret_env: the environment variable holding the lookups' own \"whsec_…\" key (not the webhook secret)".into(),
            ));
        };
        let secret = secrets.secret(var)?;
        let signer = crate::workers::webhooks::signer(&secret)
            .map_err(|e| ConfigError::Invalid(format!("[orders] secret_env: {e} ({var})")))?;
        Lookup::new(url, signer)
            .map(Some)
            .map_err(ConfigError::Invalid)
    }
}

/// How long the shop has to answer a lookup.
pub const LOOKUP_TIMEOUT: std::time::Duration = std::time::Duration::from_secs(5);
/// The largest lookup answer read.
pub const MAX_LOOKUP_BODY: usize = 64 * 1024;

/// Asks the shop's backend for an order: `POST {lookup_url}` with `{"reference": …}`, signed like a
/// webhook with the lookups' own key (`[orders] secret_env`), answered within 5 s.
pub struct Lookup {
    url: reqwest::Url,
    signer: standardwebhooks::Webhook,
    http: reqwest::Client,
}

impl std::fmt::Debug for Lookup {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        // Never the key.
        f.debug_struct("Lookup")
            .field("url", &self.url.as_str())
            .finish()
    }
}

/// What a lookup found.
#[derive(Debug)]
pub enum Looked {
    Found(Box<PutOrder>),
    /// The shop answered 404.
    NotFound,
    /// Anything else: another status, no answer in time, a body that is not an order. Why, for the log.
    Unavailable(String),
}

impl Lookup {
    pub fn new(url: &str, signer: standardwebhooks::Webhook) -> Result<Lookup, String> {
        let url = crate::urls::check_url("[orders] lookup_url", url)?;
        let http = reqwest::Client::builder()
            .timeout(LOOKUP_TIMEOUT)
            .redirect(reqwest::redirect::Policy::none())
            .build()
            .map_err(|e| e.to_string())?;
        Ok(Lookup { url, signer, http })
    }

    pub async fn ask(&self, reference: &str, now_secs: i64) -> Looked {
        let body = serde_json::json!({ "reference": reference }).to_string();
        let id = format!("lkp_{}", crate::core::domain::random_id(24));
        let signature = match self.signer.sign(&id, now_secs, body.as_bytes()) {
            Ok(s) => s,
            Err(e) => return Looked::Unavailable(e.to_string()),
        };
        let sent = self
            .http
            .post(self.url.clone())
            .header("content-type", "application/json")
            .header("webhook-id", &id)
            .header("webhook-timestamp", now_secs.to_string())
            .header("webhook-signature", signature)
            .body(body)
            .send()
            .await;
        let res = match sent {
            Ok(r) => r,
            Err(e) if e.is_timeout() => return Looked::Unavailable("no answer within 5 s".into()),
            Err(_) => return Looked::Unavailable("no answer".into()),
        };
        match res.status().as_u16() {
            200 => {}
            404 => return Looked::NotFound,
            other => return Looked::Unavailable(format!("HTTP {other}")),
        }
        if res
            .content_length()
            .is_some_and(|n| n > MAX_LOOKUP_BODY as u64)
        {
            return Looked::Unavailable("answer too large".into());
        }
        let bytes = match res.bytes().await {
            Ok(b) if b.len() <= MAX_LOOKUP_BODY => b,
            Ok(_) => return Looked::Unavailable("answer too large".into()),
            Err(_) => return Looked::Unavailable("the answer broke off".into()),
        };
        let parsed = PutOrder::parse(&bytes);
        if let Ok(PutOrder {
            client_secret: Some(secret),
            ..
        }) = &parsed
        {
            if !crate::core::domain::valid_client_secret(secret) {
                tracing::warn!(order = ?reference, "the shop's lookup answer has a client_secret that is not 32 to 255 characters of A-Z, a-z, 0-9, '_' and '-'; the order is treated as not found");
                return Looked::NotFound;
            }
        }
        match parsed.and_then(|o| o.check().map(|()| o)) {
            Ok(o) => Looked::Found(Box::new(o)),
            // The error names the field, never echoes the body.
            // Only where it is wrong (the field), never the shop's values.
            Err(e) => Looked::Unavailable(format!(
                "not an order ({})",
                e.split(':')
                    .next()
                    .unwrap_or("body")
                    .chars()
                    .take(80)
                    .collect::<String>()
            )),
        }
    }
}
