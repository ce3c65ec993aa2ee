//! The gateways this build knows, in one place: the `[gateways]` section (one optional table per
//! gateway), the connectors it makes and the base URLs to check. The config asks here and names no
//! gateway; a new gateway is a folder beside the others and a line in each list below.

use std::collections::BTreeMap;
use std::sync::Arc;

use serde::Deserialize;

use super::alphapay::AlphaPayConfig;
use super::pass2pay::Pass2PayConfig;
use super::yabandpay::YabandPayConfig;
use super::Connector;
use crate::core::clock::Clock;
use crate::secrets::{ConfigError, Secrets};

/// `[gateways]`: each gateway's own section, by its name.
#[derive(Debug, Clone, Default, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Gateways {
    pub alphapay: Option<AlphaPayConfig>,
    pub pass2pay: Option<Pass2PayConfig>,
    pub yabandpay: Option<YabandPayConfig>,
}

impl Gateways {
    /// A connector for each section present, by gateway name, its secrets resolved by `secrets`.
    pub fn connect(
        &self,
        secrets: &dyn Secrets,
        clock: Arc<dyn Clock>,
        http: reqwest::Client,
    ) -> Result<BTreeMap<String, Arc<dyn Connector>>, ConfigError> {
        let mut out: BTreeMap<String, Arc<dyn Connector>> = BTreeMap::new();
        if let Some(a) = &self.alphapay {
            out.insert(
                "alphapay".into(),
                Arc::new(a.connect(secrets, http.clone(), clock.clone())?),
            );
        }
        if let Some(p) = &self.pass2pay {
            out.insert(
                "pass2pay".into(),
                Arc::new(p.connect(secrets, http.clone(), clock.clone())?),
            );
        }
        if let Some(y) = &self.yabandpay {
            out.insert(
                "yabandpay".into(),
                Arc::new(y.connect(secrets, http, clock)?),
            );
        }
        Ok(out)
    }

    /// Each section's `base_url`, named as the file writes it, for the config's URL check.
    pub fn base_urls(&self) -> Vec<(String, Option<&String>)> {
        vec![
            (
                "[gateways.alphapay] base_url".into(),
                self.alphapay.as_ref().map(|a| &a.base_url),
            ),
            (
                "[gateways.pass2pay] base_url".into(),
                self.pass2pay.as_ref().map(|p| &p.base_url),
            ),
            (
                "[gateways.yabandpay] base_url".into(),
                self.yabandpay.as_ref().map(|y| &y.base_url),
            ),
        ]
    }
}
