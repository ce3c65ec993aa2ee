//! Demo mode: the merchant server and the sandbox on one port, fresh keys, demo orders on, every wallet routed to the sandbox.
//!
//! The server still talks to the sandbox over real HTTP with real signatures; only the keys are made up at start.

use std::collections::BTreeMap;
use std::path::PathBuf;
use std::sync::Arc;

use axum::Router;
use rsa::RsaPrivateKey;
use tower_http::services::{ServeDir, ServeFile};
use wallet_checkout_protocol::Wallet;
use wallet_checkout_sandbox::{Sandbox, SandboxOptions};

use crate::clock::Clock;
use crate::gateway::alphapay::AlphaPay;
use crate::gateway::Connector;
use crate::orders::DemoOrders;
use crate::store::MemoryStore;
use crate::{api, app, AppState, Inner};

pub const DEMO_MERCHANT_CODE: &str = "DEMOSHOP";

/// Builds the demo for a server reachable at `public_url` (e.g. `http://127.0.0.1:8080`).
/// `site` is the built demo shop (Trunk's `dist/`), served at `/`.
pub fn build(
    public_url: &str,
    clock: Arc<dyn Clock>,
    site: Option<PathBuf>,
) -> Result<Router, String> {
    let merchant_key =
        RsaPrivateKey::new(&mut rand::thread_rng(), 2048).map_err(|e| e.to_string())?;
    let sandbox_clock = clock.clone();
    let sandbox = Sandbox::new(SandboxOptions {
        public_url: public_url.to_string(),
        alphapay_merchant_code: DEMO_MERCHANT_CODE.to_string(),
        alphapay_merchant_key: merchant_key.to_public_key(),
        clock: Arc::new(move || sandbox_clock.now()),
    })
    .map_err(|e| e.to_string())?;
    let http = reqwest::Client::builder()
        .timeout(std::time::Duration::from_secs(15))
        .build()
        .map_err(|e| e.to_string())?;
    let alphapay: Arc<dyn Connector> = Arc::new(AlphaPay {
        base_url: format!("{}/sandbox/alphapay", public_url.trim_end_matches('/')),
        merchant_code: DEMO_MERCHANT_CODE.to_string(),
        private_key: merchant_key,
        gateway_key: sandbox.alphapay_public_key(),
        http,
        clock: clock.clone(),
    });
    let demo_orders = Arc::new(DemoOrders::default());
    let mut connectors = BTreeMap::new();
    connectors.insert("alphapay".to_string(), alphapay);
    // Every wallet goes to AlphaPay until the Pass2Pay and YabandPay connectors land.
    let routing = Wallet::ALL
        .into_iter()
        .map(|w| (w, "alphapay".to_string()))
        .collect();
    let state = AppState::new(Inner {
        store: Arc::new(MemoryStore::default()),
        orders: demo_orders.clone(),
        demo_orders: Some(demo_orders),
        connectors,
        routing,
        clock,
        hub: Default::default(),
        public_url: public_url.to_string(),
        idempotency_locks: api::KeyLocks::default(),
    });
    let mut router = app(state).merge(sandbox.router());
    if let Some(dir) = site {
        let index = dir.join("index.html");
        router = router.fallback_service(ServeDir::new(dir).fallback(ServeFile::new(index)));
    }
    Ok(router)
}
