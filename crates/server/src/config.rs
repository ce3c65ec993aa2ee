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
}

#[derive(Debug, Clone, Default, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Gateways {
    pub alphapay: Option<AlphaPayConfig>,
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
}

#[derive(Debug, Clone, Default, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Demo {
    #[serde(default)]
    pub orders: bool,
}

fn default_listen() -> String {
    "127.0.0.1:8080".into()
}
fn default_store() -> String {
    "memory".into()
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
    std::env::var(var).map_err(|_| ConfigError::MissingEnv(var.to_string()))
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
