//! `[gateways.alphapay]`: the section's fields and `connect`, the one way an AlphaPay connector is
//! built (the production server from the environment, the demo pointed at its sandbox).

use std::sync::Arc;

use rsa::pkcs8::{DecodePrivateKey, DecodePublicKey};
use serde::Deserialize;

use super::AlphaPay;
use crate::core::clock::Clock;
use crate::secrets::{ConfigError, Secrets};

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

impl AlphaPayConfig {
    /// The merchant's private key, read from the variable the section names.
    pub fn private_key(&self, secrets: &dyn Secrets) -> Result<rsa::RsaPrivateKey, ConfigError> {
        let pem = secrets.secret(&self.private_key_env)?;
        rsa::RsaPrivateKey::from_pkcs8_pem(&pem).map_err(|_| {
            ConfigError::Invalid(format!(
                "{} does not hold a PKCS#8 PEM RSA private key",
                self.private_key_env
            ))
        })
    }

    pub fn connect(
        &self,
        secrets: &dyn Secrets,
        http: reqwest::Client,
        clock: Arc<dyn Clock>,
    ) -> Result<AlphaPay, ConfigError> {
        let private_key = self.private_key(secrets)?;
        let public = secrets.secret(&self.gateway_public_key_env)?;
        let gateway_key = rsa::RsaPublicKey::from_public_key_pem(&public).map_err(|_| {
            ConfigError::Invalid(format!(
                "{} does not hold a SubjectPublicKeyInfo PEM RSA key",
                self.gateway_public_key_env
            ))
        })?;
        Ok(AlphaPay {
            base_url: self.base_url.clone(),
            merchant_code: self.merchant_code.clone(),
            private_key,
            gateway_key,
            http,
            clock,
            desktop_page: self.desktop_page,
            wechat_jsapi: self.wechat_jsapi,
        })
    }
}
