//! `[gateways.yabandpay]`: the section's fields and `connect`, the one way a YabandPay connector is
//! built (the production server from the environment, the demo pointed at its sandbox).

use std::sync::Arc;

use serde::Deserialize;

use super::YabandPay;
use crate::core::clock::Clock;
use crate::secrets::{ConfigError, Secrets};

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

impl YabandPayConfig {
    pub fn connect(
        &self,
        secrets: &dyn Secrets,
        http: reqwest::Client,
        clock: Arc<dyn Clock>,
    ) -> Result<YabandPay, ConfigError> {
        Ok(YabandPay {
            base_url: self.base_url.clone(),
            user: self.user.clone(),
            secret: secrets.secret(&self.secret_env)?,
            wechat_h5: self.wechat_h5,
            http,
            clock,
        })
    }
}
