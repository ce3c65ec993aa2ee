//! `[gateways.pass2pay]`: the section's fields and `connect`, the one way a Pass2Pay connector is
//! built (the production server from the environment, the demo pointed at its sandbox).

use std::sync::Arc;

use serde::Deserialize;

use super::Pass2Pay;
use crate::core::clock::Clock;
use crate::secrets::{ConfigError, Secrets};

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

/// Documented in Pass2Pay's own examples; replace with one your account accepts.
pub fn default_client_ip() -> String {
    "210.73.10.148".into()
}

impl Pass2PayConfig {
    pub fn connect(
        &self,
        secrets: &dyn Secrets,
        http: reqwest::Client,
        clock: Arc<dyn Clock>,
    ) -> Result<Pass2Pay, ConfigError> {
        if self.client_ip.parse::<std::net::Ipv4Addr>().is_err() {
            return Err(ConfigError::Invalid(format!(
                "[gateways.pass2pay] client_ip {:?} is not an IPv4 address",
                self.client_ip
            )));
        }
        Ok(Pass2Pay {
            base_url: self.base_url.clone(),
            mch_no: self.mch_no.clone(),
            app_id: self.app_id.clone(),
            secret: secrets.secret(&self.secret_env)?,
            client_ip: self.client_ip.clone(),
            wechat_h5: self.wechat_h5,
            desktop_page: self.desktop_page,
            http,
            clock,
        })
    }
}
