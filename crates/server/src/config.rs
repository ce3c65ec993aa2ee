//! The server's configuration file (`--config PATH`, TOML) and the secrets it names in the environment.
//!
//! Secrets are never written in the file and never logged: the file names the environment variable.

use std::collections::BTreeMap;
use std::path::Path;

use serde::Deserialize;
use wallet_checkout_protocol::Wallet;

#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Config {
    #[serde(default = "default_listen")]
    pub listen: String,
    /// Builds notify URLs: `{public_url}/notify/{gateway}`.
    pub public_url: String,
    /// `sqlite://PATH` or `memory`.
    #[serde(default = "default_store")]
    pub store: String,
    /// Wallet (`alipay`, `wechat_pay`, `unionpay`) → gateway name.
    #[serde(default)]
    pub routing: BTreeMap<String, String>,
    #[serde(default)]
    pub gateways: Gateways,
    #[serde(default)]
    pub demo: Demo,
    pub admin: Option<Admin>,
    /// The iframe page (iframe mode), served at `/api/checkout/frame`.
    pub frame: Option<FrameConfig>,
}

/// `[frame]`: where `cargo xtask dist` wrote `frame.html`, and the exact origins that may embed it.
#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct FrameConfig {
    pub page: std::path::PathBuf,
    #[serde(default)]
    pub ancestors: Vec<String>,
}

impl FrameConfig {
    pub fn checked(&self) -> Result<crate::frame::FramePage, String> {
        if let Some(bad) = self
            .ancestors
            .iter()
            .find(|a| !crate::frame::valid_origin(a))
        {
            return Err(format!(
                "[frame] ancestors: {bad:?} is not an origin such as \"https://shop.example\""
            ));
        }
        Ok(crate::frame::FramePage {
            page: self.page.clone(),
            ancestors: self.ancestors.clone(),
        })
    }
}

/// The admin API (refunds); it exists only when this section names its token's variable.
#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Admin {
    /// Environment variable holding the bearer token.
    pub token_env: String,
}

#[derive(Debug, Clone, Default, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Gateways {
    pub alphapay: Option<AlphaPayConfig>,
    pub pass2pay: Option<Pass2PayConfig>,
    pub yabandpay: Option<YabandPayConfig>,
}

#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Pass2PayConfig {
    pub base_url: String,
    pub mch_no: String,
    pub app_id: String,
    /// Environment variable holding the MD5 key.
    pub secret_env: String,
    /// A mainland-China IPv4 to send as `clientIp` when the shopper's is unknown.
    #[serde(default = "default_client_ip")]
    pub client_ip: String,
    /// WeChat H5 is enrolled; without it phones get the WeChat QR.
    #[serde(default)]
    pub wechat_h5: bool,
    /// Desktop Alipay shoppers go to Alipay's PC cashier (`ALI_PC`) instead of a QR.
    #[serde(default)]
    pub desktop_page: bool,
}

#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct YabandPayConfig {
    pub base_url: String,
    pub user: String,
    /// Environment variable holding the HMAC secret.
    pub secret_env: String,
    /// WeChat H5 is enabled; without it phones get the WeChat QR.
    #[serde(default)]
    pub wechat_h5: bool,
}

#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct AlphaPayConfig {
    pub base_url: String,
    pub merchant_code: String,
    /// Environment variable holding the merchant's RSA private key, PKCS#8 PEM.
    pub private_key_env: String,
    /// Environment variable holding AlphaPay's public key, SubjectPublicKeyInfo PEM.
    pub gateway_public_key_env: String,
    /// Desktop shoppers go to AlphaPay's web cashier (`ONLINE_WEB`) instead of seeing a QR.
    #[serde(default)]
    pub desktop_page: bool,
    /// Inside WeChat, `NATIVE_JSAPI` and the widget's `WeixinJSBridge` call instead of the cashier page.
    #[serde(default)]
    pub wechat_jsapi: bool,
}

#[derive(Debug, Clone, Default, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Demo {
    #[serde(default)]
    pub orders: bool,
    /// Point every gateway at the built-in sandbox on the same port (the demo with this file's
    /// routing, store and admin settings). Never in production.
    #[serde(default)]
    pub sandbox: bool,
}

fn default_listen() -> String {
    "127.0.0.1:8080".into()
}
fn default_store() -> String {
    "memory".into()
}
fn default_client_ip() -> String {
    // Documented in Pass2Pay's own examples; replace with one your account accepts.
    "210.73.10.148".into()
}

#[derive(Debug, thiserror::Error)]
pub enum ConfigError {
    #[error("cannot read {path}: {source}")]
    Read {
        path: String,
        source: std::io::Error,
    },
    #[error("{path}: {message}")]
    Parse { path: String, message: String },
    #[error("environment variable {0} is not set (it should hold a secret named in the config)")]
    MissingEnv(String),
    #[error("{0}")]
    Invalid(String),
}

impl Config {
    pub fn load(path: &Path) -> Result<Config, ConfigError> {
        let shown = path.display().to_string();
        let text = std::fs::read_to_string(path).map_err(|source| ConfigError::Read {
            path: shown.clone(),
            source,
        })?;
        Config::parse(&text).map_err(|message| ConfigError::Parse {
            path: shown,
            message,
        })
    }

    pub fn parse(text: &str) -> Result<Config, String> {
        let config: Config = toml::from_str(text).map_err(|e| e.to_string())?;
        config.routing_table().map_err(|e| e.to_string())?;
        Ok(config)
    }

    /// The real connectors, secrets read from the environment variables the file names.
    pub fn connectors(
        &self,
        clock: std::sync::Arc<dyn crate::clock::Clock>,
        http: reqwest::Client,
    ) -> Result<BTreeMap<String, std::sync::Arc<dyn crate::gateway::Connector>>, ConfigError> {
        use rsa::pkcs8::{DecodePrivateKey, DecodePublicKey};
        use std::sync::Arc;
        let mut out: BTreeMap<String, Arc<dyn crate::gateway::Connector>> = BTreeMap::new();
        if let Some(a) = &self.gateways.alphapay {
            let key = secret_from_env(&a.private_key_env)?;
            let private_key = rsa::RsaPrivateKey::from_pkcs8_pem(&key).map_err(|_| {
                ConfigError::Invalid(format!(
                    "{} does not hold a PKCS#8 PEM RSA private key",
                    a.private_key_env
                ))
            })?;
            let public = secret_from_env(&a.gateway_public_key_env)?;
            let gateway_key = rsa::RsaPublicKey::from_public_key_pem(&public).map_err(|_| {
                ConfigError::Invalid(format!(
                    "{} does not hold a SubjectPublicKeyInfo PEM RSA key",
                    a.gateway_public_key_env
                ))
            })?;
            out.insert(
                "alphapay".into(),
                Arc::new(crate::gateway::alphapay::AlphaPay {
                    base_url: a.base_url.clone(),
                    merchant_code: a.merchant_code.clone(),
                    private_key,
                    gateway_key,
                    http: http.clone(),
                    clock: clock.clone(),
                    desktop_page: a.desktop_page,
                    wechat_jsapi: a.wechat_jsapi,
                }),
            );
        }
        if let Some(p) = &self.gateways.pass2pay {
            out.insert(
                "pass2pay".into(),
                Arc::new(crate::gateway::pass2pay::Pass2Pay {
                    base_url: p.base_url.clone(),
                    mch_no: p.mch_no.clone(),
                    app_id: p.app_id.clone(),
                    secret: secret_from_env(&p.secret_env)?,
                    client_ip: p.client_ip.clone(),
                    wechat_h5: p.wechat_h5,
                    desktop_page: p.desktop_page,
                    http: http.clone(),
                    clock: clock.clone(),
                }),
            );
        }
        if let Some(y) = &self.gateways.yabandpay {
            out.insert(
                "yabandpay".into(),
                Arc::new(crate::gateway::yabandpay::YabandPay {
                    base_url: y.base_url.clone(),
                    user: y.user.clone(),
                    secret: secret_from_env(&y.secret_env)?,
                    wechat_h5: y.wechat_h5,
                    http: http.clone(),
                    clock: clock.clone(),
                }),
            );
        }
        for (wallet, gateway) in self.routing_table()? {
            if !out.contains_key(&gateway) {
                return Err(ConfigError::Invalid(format!(
                    "[routing] sends {wallet} to {gateway:?}, which has no [gateways.{gateway}] section"
                )));
            }
        }
        Ok(out)
    }

    /// The admin token, from the variable `[admin]` names.
    pub fn admin_token(&self) -> Result<Option<String>, ConfigError> {
        match &self.admin {
            None => Ok(None),
            Some(a) => {
                let t = secret_from_env(&a.token_env)?;
                if t.len() < 16 {
                    return Err(ConfigError::Invalid(format!(
                        "{} must hold at least 16 characters",
                        a.token_env
                    )));
                }
                Ok(Some(t))
            }
        }
    }

    /// `[routing]` with wallet names checked.
    pub fn routing_table(&self) -> Result<BTreeMap<Wallet, String>, ConfigError> {
        self.routing
            .iter()
            .map(|(wallet, gateway)| {
                Wallet::parse(wallet)
                    .map(|w| (w, gateway.clone()))
                    .ok_or_else(|| ConfigError::Invalid(format!("[routing]: unknown wallet {wallet:?} (expected alipay, wechat_pay or unionpay)")))
            })
            .collect()
    }
}

/// Reads a secret from the environment variable the config names.
pub fn secret_from_env(var: &str) -> Result<String, ConfigError> {
    match std::env::var(var) {
        Ok(v) if !v.trim().is_empty() => Ok(v),
        _ => Err(ConfigError::MissingEnv(var.to_string())),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_contract_example_parses() {
        let c = Config::parse(
            r#"
listen = "127.0.0.1:8080"
public_url = "https://shop.example"
store = "sqlite://data/checkout.db"
[routing]
alipay = "alphapay"
[gateways.alphapay]
base_url = "https://openapi.alphapay.ca"
merchant_code = "CXVJIU"
private_key_env = "ALPHAPAY_PRIVATE_KEY"
gateway_public_key_env = "ALPHAPAY_PUBLIC_KEY"
[demo]
orders = true
"#,
        )
        .expect("parses");
        assert_eq!(
            c.routing_table()
                .expect("valid")
                .get(&Wallet::Alipay)
                .map(String::as_str),
            Some("alphapay")
        );
        assert!(c.demo.orders);
    }

    #[test]
    fn unknown_wallets_and_keys_are_named() {
        let e = Config::parse("public_url = \"x\"\n[routing]\npaypal = \"alphapay\"\n")
            .expect_err("refused");
        assert!(e.contains("paypal"), "{e}");
        let e = Config::parse("public_url = \"x\"\nsecret = \"hunter2\"\n").expect_err("refused");
        assert!(e.contains("secret"), "{e}");
    }
}
