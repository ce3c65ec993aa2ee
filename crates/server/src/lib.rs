//! The reference merchant server: the checkout API of `docs/protocol.md`, gateway notifications,
//! reconciliation, refunds, demo orders.
//!
//! `app(state)` builds the whole router so tests can drive it over a real socket or with `oneshot`.
//! The widget never talks to a gateway; this crate is the only place that holds keys and signs.

pub mod admin;
pub mod api;
pub mod clock;
pub mod config;
#[cfg(feature = "sandbox")]
pub mod demo;
pub mod error;
pub mod frame;
pub mod gateway;
pub mod hub;
pub mod notify;
pub mod orders;
pub mod reconcile;
pub mod sqlite;
pub mod store;

use std::collections::BTreeMap;
use std::sync::Arc;

use axum::Router;
use wallet_checkout_protocol::Wallet;

use crate::clock::Clock;
use crate::gateway::Connector;
use crate::hub::Hub;
use crate::orders::OrderSource;
use crate::store::Store;

/// Everything a request handler needs; cheap to clone.
#[derive(Clone)]
pub struct AppState {
    pub inner: Arc<Inner>,
}

pub struct Inner {
    pub store: Arc<dyn Store>,
    pub orders: Arc<dyn OrderSource>,
    /// Demo orders are created through `POST /demo/orders` only when this is set.
    pub demo_orders: Option<Arc<orders::DemoOrders>>,
    /// Gateway name → connector.
    pub connectors: BTreeMap<String, Arc<dyn Connector>>,
    /// Wallet → gateway name (`[routing]`).
    pub routing: BTreeMap<Wallet, String>,
    pub clock: Arc<dyn Clock>,
    pub hub: Hub,
    /// `{public_url}/notify/{gateway}` is where gateways send notifications.
    pub public_url: String,
    pub idempotency_locks: api::KeyLocks,
    /// Bearer token of the admin API (refunds); the API answers 404 without one.
    pub admin_token: Option<String>,
}

impl AppState {
    pub fn new(inner: Inner) -> AppState {
        AppState {
            inner: Arc::new(inner),
        }
    }
}

impl std::ops::Deref for AppState {
    type Target = Inner;
    fn deref(&self) -> &Inner {
        &self.inner
    }
}

/// The merchant server's routes: `/api/checkout/…`, `/notify/{gateway}`, and `/demo/orders` in demo mode.
pub fn app(state: AppState) -> Router {
    let mut router = Router::new()
        .nest("/api/checkout", api::router())
        .merge(notify::router())
        .merge(admin::router());
    if state.demo_orders.is_some() {
        router = router.merge(orders::demo_router());
    }
    router.with_state(state)
}
