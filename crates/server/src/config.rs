//! The server's configuration file (`--config PATH`, TOML) and the secrets it names in the
//! environment. Each gateway's section is its own folder's (`gateway/<name>/config.rs`).
//!
//! Secrets are never written in the file and never logged: the file names the environment variable.

use std::collections::BTreeMap;
use std::path::Path;
use std::sync::Arc;

use serde::Deserialize;
use wallet_checkout_protocol::Wallet;

use crate::core::clock::Clock;
pub use crate::gateway::registry::Gateways;
use crate::gateway::Connector;
pub use crate::secrets::{secret_from_env, ConfigError, Env, SecretMap, Secrets};
pub use crate::urls::{check_url, origin_of};

#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Config {
    #[serde(default = "default_listen")]
    pub listen: String,
    /// Builds notify URLs: `{public_url}/notify/{gateway}`.
    pub public_url: String,
    /// `sqlite://PATH`, `postgres://…` or `memory`. The production server requires it (empty: not
    /// given); the demo binary runs on memory without it.
    #[serde(default)]
    pub store: String,
    /// Wallet (`alipay`, `wechat_pay`, `unionpay`) → gateway name.
    #[serde(default)]
    pub routing: BTreeMap<String, String>,
    #[serde(default)]
    pub gateways: Gateways,
    /// The demo binary's own section (`wallet-checkout-demo`); kept raw here so that binary reads
    /// it, and `Config::parse` refuses a file that has one.
    #[serde(default)]
    pub demo: Option<toml::Value>,
    pub admin: Option<Admin>,
    /// The iframe page (iframe mode), served at `/api/checkout/frame`.
    pub frame: Option<FrameConfig>,
    /// The widget's release files, served by this server.
    pub widget: Option<crate::http::widget::WidgetConfig>,
    /// Webhooks to the shop's backend.
    pub webhooks: Option<crate::workers::webhooks::WebhooksConfig>,
    /// Order lookup at the shop's backend.
    pub orders: Option<crate::orders::OrdersConfig>,
    /// What the checkout API accepts from a shopper's browser.
    pub checkout: Option<CheckoutSection>,
    /// Connections, waiters per session, creates per address, trusted proxies.
    pub limits: Option<crate::http::limits::LimitsConfig>,
    /// How the server logs.
    #[serde(default)]
    pub log: LogSection,
}

/// `[log]`: `format = "text"` (the default, for a person) or `"json"` (one object per line, for a
/// log pipeline).
#[derive(Debug, Clone, Default, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct LogSection {
    #[serde(default)]
    pub format: LogFormat,
}

#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum LogFormat {
    #[default]
    Text,
    Json,
}

/// `[checkout]`.
#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct CheckoutSection {
    /// The origins a `return_url` may have (default: `public_url`'s).
    #[serde(default)]
    pub return_origins: Vec<String>,
    /// A create must carry the order's client secret (default `true`).
    #[serde(default = "yes")]
    pub require_client_secret: bool,
    /// The exact origins of the shop's pages when they are not `public_url`'s: the checkout API
    /// answers CORS for them (and only them).
    #[serde(default)]
    pub allowed_origins: Vec<String>,
    /// Flow `payment_code` (a counter scanning the shopper's code); off by default: the public
    /// checkout takes no payment codes.
    #[serde(default)]
    pub payment_code: bool,
    /// How long a payment code's session waits for the shopper to confirm before it is cancelled
    /// at the gateway and `expired`.
    #[serde(default = "default_payment_code_wait")]
    pub payment_code_wait_secs: u64,
}

fn yes() -> bool {
    true
}

fn default_payment_code_wait() -> u64 {
    60
}

impl Default for CheckoutSection {
    /// As an empty `[checkout]` section reads: secrets required.
    fn default() -> CheckoutSection {
        CheckoutSection {
            return_origins: Vec::new(),
            require_client_secret: true,
            allowed_origins: Vec::new(),
            payment_code: false,
            payment_code_wait_secs: default_payment_code_wait(),
        }
    }
}

impl Config {
    /// The webhooks and the order lookup (which signs with a key of its own).
    #[allow(clippy::type_complexity)]
    pub fn shop_links(
        &self,
        secrets: &dyn Secrets,
    ) -> Result<
        (
            Option<Arc<crate::workers::webhooks::Webhooks>>,
            Option<crate::orders::Lookup>,
        ),
        ConfigError,
    > {
        let hooks = match &self.webhooks {
            Some(w) => Some(Arc::new(w.connect(secrets)?)),
            None => None,
        };
        let lookup = match &self.orders {
            Some(o) => o.connect(secrets)?,
            None => None,
        };
        Ok((hooks, lookup))
    }
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
    pub fn checked(&self) -> Result<crate::http::frame::FramePage, String> {
        if let Some(bad) = self
            .ancestors
            .iter()
            .find(|a| !crate::http::frame::valid_origin(a))
        {
            return Err(format!(
                "[frame] ancestors: {bad:?} is not an origin such as \"https://shop.example\""
            ));
        }
        Ok(crate::http::frame::FramePage {
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
    /// Serve the admin API only on this address (e.g. `127.0.0.1:9090`), not on `listen`.
    pub listen: Option<String>,
}

fn default_listen() -> String {
    "127.0.0.1:8080".into()
}

/// The longest config file read (a config is a few hundred bytes; this is a mistake's limit).
pub const MAX_CONFIG_BYTES: u64 = 1 << 20;

/// The shortest admin token accepted (`[admin] token_env`): 32 characters.
pub const MIN_ADMIN_TOKEN: usize = 32;

/// A TOML error on one line: where, and what.
fn one_line(text: &str, e: &toml::de::Error) -> String {
    let message = e.message().trim().replace('\n', " ");
    match e.span() {
        Some(span) => {
            let end = span.start.min(text.len());
            let line = text.as_bytes()[..end]
                .iter()
                .filter(|b| **b == b'\n')
                .count()
                + 1;
            format!("line {line}: {message}")
        }
        None => message,
    }
}

impl Config {
    /// Reads and parses the production server's config (see `parse`).
    pub fn load(path: &Path) -> Result<Config, ConfigError> {
        Config::read(path, Config::parse)
    }

    /// Reads a file of at most `MAX_CONFIG_BYTES` and parses it with `parse`.
    pub fn read(
        path: &Path,
        parse: fn(&str) -> Result<Config, String>,
    ) -> Result<Config, ConfigError> {
        let shown = path.display().to_string();
        let read = |source| ConfigError::Read {
            path: shown.clone(),
            source,
        };
        let size = std::fs::metadata(path).map_err(read)?.len();
        if size > MAX_CONFIG_BYTES {
            return Err(ConfigError::Parse {
                path: shown,
                message: format!("larger than {MAX_CONFIG_BYTES} bytes"),
            });
        }
        let text = std::fs::read_to_string(path).map_err(read)?;
        parse(&text).map_err(|message| ConfigError::Parse {
            path: shown,
            message,
        })
    }

    /// The production server's config: a `[demo]` section is refused, naming it.
    pub fn parse(text: &str) -> Result<Config, String> {
        let config = Config::parse_with_demo(text)?;
        if config.demo.is_some() {
            return Err("[demo] is for wallet-checkout-demo; the production server refuses it (remove the section)".into());
        }
        config.require_store()?;
        Ok(config)
    }

    /// `store` given (the production server and a rehearsal require it).
    pub fn require_store(&self) -> Result<(), String> {
        if self.store.is_empty() {
            return Err("store is required: store = \"sqlite://data/checkout.db\" (one file), \"postgres://user@host/db?sslmode=verify-full\" (several instances), or \"memory\" (every payment lost at restart)".into());
        }
        Ok(())
    }

    /// Any config, `[demo]` kept raw in `demo` (the demo binary reads it). Errors are one line.
    pub fn parse_with_demo(text: &str) -> Result<Config, String> {
        let config: Config = toml::from_str(text).map_err(|e| one_line(text, &e))?;
        config.routing_table().map_err(|e| e.to_string())?;
        config.check_urls()?;
        config.limits()?;
        config.allowed_origins()?;
        config.return_origins()?;
        config.payment_code_wait()?;
        Ok(config)
    }

    /// Every URL the file names is `https`, or `http` to a loopback host.
    fn check_urls(&self) -> Result<(), String> {
        check_url("public_url", &self.public_url)?;
        let mut bases = self.gateways.base_urls();
        bases.extend([
            (
                "[webhooks] url".to_string(),
                self.webhooks.as_ref().map(|w| &w.url),
            ),
            (
                "[orders] lookup_url".to_string(),
                self.orders.as_ref().and_then(|o| o.lookup_url.as_ref()),
            ),
        ]);
        for (key, url) in bases {
            if let Some(url) = url {
                check_url(&key, url)?;
            }
        }
        Ok(())
    }

    /// `[limits]`, checked; the contract's defaults without the section.
    pub fn limits(&self) -> Result<crate::http::limits::Limits, String> {
        self.limits.clone().unwrap_or_default().checked()
    }

    /// `[checkout] allowed_origins`: exact origins (scheme, host, port), never a path or `*`.
    pub fn allowed_origins(&self) -> Result<Vec<String>, String> {
        let listed = self
            .checkout
            .as_ref()
            .map(|c| c.allowed_origins.clone())
            .unwrap_or_default();
        listed
            .iter()
            .map(|o| {
                if !crate::http::frame::valid_origin(o) {
                    return Err(format!(
                        "[checkout] allowed_origins: {o:?} is not an exact origin such as \"https://shop.example\" (no path, no *: the checkout API takes no wildcard)"
                    ));
                }
                crate::urls::check_url("[checkout] allowed_origins", o)?;
                origin_of(o)
            })
            .collect()
    }

    /// `[checkout] return_origins`, each an origin; without it `public_url`'s origin and the
    /// `allowed_origins` (a shop on another origin sends its shoppers back to its own pages).
    pub fn return_origins(&self) -> Result<Vec<String>, String> {
        let listed = self
            .checkout
            .as_ref()
            .map(|c| c.return_origins.clone())
            .unwrap_or_default();
        if let Some(bad) = listed.iter().find(|o| !crate::http::frame::valid_origin(o)) {
            return Err(format!(
                "[checkout] return_origins: {bad:?} is not an origin such as \"https://shop.example\""
            ));
        }
        if listed.is_empty() {
            let mut origins = vec![origin_of(&self.public_url)?];
            for o in self.allowed_origins()? {
                if !origins.contains(&o) {
                    origins.push(o);
                }
            }
            return Ok(origins);
        }
        // As a parsed URL writes them (`https://shop.example:443` is `https://shop.example`), so
        // they compare equal to a return_url's origin.
        listed.iter().map(|o| origin_of(o)).collect()
    }

    /// `[checkout] require_client_secret` (default `true`).
    /// How long a payment code waits for the shopper (`[checkout] payment_code_wait_secs`, 10 to
    /// 600), or `None` when the flow is off.
    pub fn payment_code_wait(&self) -> Result<Option<std::time::Duration>, String> {
        let Some(c) = self.checkout.as_ref().filter(|c| c.payment_code) else {
            return Ok(None);
        };
        if !(10..=600).contains(&c.payment_code_wait_secs) {
            return Err("[checkout] payment_code_wait_secs must be 10 to 600".into());
        }
        Ok(Some(std::time::Duration::from_secs(
            c.payment_code_wait_secs,
        )))
    }

    pub fn require_client_secret(&self) -> bool {
        self.checkout
            .as_ref()
            .is_none_or(|c| c.require_client_secret)
    }

    /// The connectors the file configures, secrets resolved by `secrets`; `[routing]` must name
    /// only configured gateways.
    pub fn connectors(
        &self,
        secrets: &dyn Secrets,
        clock: Arc<dyn Clock>,
        http: reqwest::Client,
    ) -> Result<BTreeMap<String, Arc<dyn Connector>>, ConfigError> {
        let out = self.gateways.connect(secrets, clock, http)?;
        for (wallet, gateway) in self.routing_table()? {
            if !out.contains_key(&gateway) {
                return Err(ConfigError::Invalid(format!(
                    "[routing] sends {wallet} to {gateway:?}, which has no [gateways.{gateway}] section"
                )));
            }
        }
        Ok(out)
    }

    /// The admin token, from the secret `[admin]` names.
    pub fn admin_token(&self, secrets: &dyn Secrets) -> Result<Option<String>, ConfigError> {
        match &self.admin {
            None => Ok(None),
            Some(a) => {
                let t = secrets.secret(&a.token_env)?;
                if t.len() < MIN_ADMIN_TOKEN {
                    return Err(ConfigError::Invalid(format!(
                        "{} must hold at least {MIN_ADMIN_TOKEN} characters",
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
        assert!(c.demo.is_none());
    }

    #[test]
    fn a_demo_section_is_refused_by_name_and_kept_for_the_demo() {
        let text = "public_url = \"https://shop.example\"\n[demo]\norders = true\n";
        let e = Config::parse(text).expect_err("refused");
        assert!(e.contains("[demo]") && !e.contains('\n'), "{e}");
        let c = Config::parse_with_demo(text).expect("the demo reads it");
        assert!(c.demo.is_some());
    }

    #[test]
    fn every_url_is_https_or_loopback_http_and_the_error_names_the_key() {
        for good in [
            "https://shop.example",
            "http://127.0.0.1:8080",
            "http://[::1]:9000/x",
            "http://localhost/",
        ] {
            assert!(check_url("public_url", good).is_ok(), "{good}");
        }
        for bad in [
            "http://shop.example",
            "http://127.0.0.1.evil.example",
            "ftp://shop.example",
            "shop.example",
            "",
            "https://",
        ] {
            let e = check_url("[webhooks] url", bad).expect_err(bad);
            assert!(e.starts_with("[webhooks] url"), "{e}");
        }
        let base = |key: &str, line: &str| {
            let text = format!("public_url = \"https://shop.example\"\n{line}");
            let e = Config::parse(&text).expect_err(&text);
            assert!(e.contains(key) && !e.contains('\n'), "{e}");
        };
        let e = Config::parse("public_url = \"http://shop.example\"\n").expect_err("plain http");
        assert!(e.starts_with("public_url") && e.contains("https"), "{e}");
        base(
            "[gateways.yabandpay] base_url",
            "[gateways.yabandpay]\nbase_url = \"http://gw.example\"\nuser = \"u\"\nsecret_env = \"S\"\n",
        );
        base(
            "[webhooks] url",
            "[webhooks]\nurl = \"garbage\"\nsecret_env = \"S\"\n",
        );
        base(
            "[orders] lookup_url",
            "[orders]\nlookup_url = \"http://shop.example/lookup\"\n",
        );
        base(
            "return_origins",
            "[checkout]\nreturn_origins = [\"https://shop.example/path\"]\n",
        );
        base(
            "trusted_proxies",
            "[limits]\ntrusted_proxies = [\"nope\"]\n",
        );
        for bad in [
            "*",
            "https://shop.example/checkout",
            "https://*.shop.example",
            "shop.example",
            "http://shop.example",
        ] {
            let e = Config::parse(&format!(
                "public_url = \"https://pay.example\"\nstore = \"memory\"\n[checkout]\nallowed_origins = [\"{bad}\"]\n"
            ))
            .expect_err(bad);
            assert!(e.contains("allowed_origins"), "{bad}: {e}");
        }
        let c = Config::parse(
            "public_url = \"https://pay.example\"\nstore = \"memory\"\n[checkout]\nallowed_origins = [\"https://shop.example:443\"]\n",
        )
        .expect("valid");
        assert_eq!(
            c.allowed_origins().expect("origins"),
            vec!["https://shop.example"]
        );
        assert_eq!(
            c.return_origins().expect("origins"),
            vec!["https://pay.example", "https://shop.example"],
            "the shop's own origin is a return origin by default"
        );
        let c = Config::parse(
            "public_url = \"https://pay.example\"\nstore = \"memory\"\n[checkout]\nreturn_origins = [\"https://shop.example:443\", \"http://127.0.0.1:3000\"]\n",
        )
        .expect("valid");
        assert_eq!(
            c.return_origins().expect("origins"),
            vec!["https://shop.example", "http://127.0.0.1:3000"],
            "written as a parsed URL's origin, so they compare equal"
        );
    }

    #[test]
    fn errors_are_one_line_with_where() {
        let e = Config::parse("public_url = \"x\"\n[nonsense]\nx = 1\n").expect_err("refused");
        assert!(
            e.starts_with("line 2:") && e.contains("nonsense") && !e.contains('\n'),
            "{e}"
        );
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
