//! The reference merchant server: the checkout API of `docs/protocol.md`, gateway notifications,
//! reconciliation, refunds. No sandbox and no demo: those are `wallet-checkout-demo`'s.
//!
//! `build` (in `app.rs`, the composition root) makes the whole server from a `Config`, its secrets,
//! a clock and extras: both binaries, the examples and the integration tests call it.
//! The widget never talks to a gateway; this crate is the only place that holds keys and signs.

pub mod app;
pub mod checkout;
pub mod config;
pub mod core;
pub mod gateway;
pub mod http;
pub mod orders;
pub mod secrets;
pub mod store;
pub mod urls;
pub mod workers;

use std::collections::BTreeMap;
use std::sync::Arc;

use wallet_checkout_protocol::Wallet;

use crate::core::clock::Clock;
use crate::core::hub::Hub;
use crate::gateway::Connector;
use crate::orders::OrderSource;
use crate::store::Store;

pub use app::{build, App, Extras};

/// Everything a request handler needs; cheap to clone.
#[derive(Clone)]
pub struct AppState {
    pub inner: Arc<Inner>,
}

pub struct Inner {
    /// Only this crate reaches the store; the service is the only writer of a status.
    pub(crate) store: Arc<dyn Store>,
    pub orders: Arc<dyn OrderSource>,
    /// Gateway name → connector.
    pub connectors: BTreeMap<String, Arc<dyn Connector>>,
    /// Wallet → gateway name (`[routing]`).
    pub routing: BTreeMap<Wallet, String>,
    pub clock: Arc<dyn Clock>,
    pub hub: Hub,
    /// `{public_url}/notify/{gateway}` is where gateways send notifications.
    pub public_url: String,
    pub idempotency_locks: checkout::KeyLocks,
    /// The gateway closes this instance is making (one per session at a time).
    pub closing: checkout::Closing,
    /// This instance's name in the store's leases (random per start).
    pub instance: String,
    /// Bearer token of the admin API (orders, refunds, events); the API answers 404 without one.
    pub admin_token: Option<String>,
    /// Where events go (`[webhooks]`); without it they are only listed at `/admin/events`.
    pub webhooks: Option<Arc<workers::webhooks::Webhooks>>,
    /// Asks the shop about orders it did not PUT (`[orders] lookup_url`).
    pub lookup: Option<orders::Lookup>,
    /// `[limits]`: the create rate per client address and whose `X-Forwarded-For` is believed.
    pub limits: http::limits::Limits,
    /// The origins a `return_url` may have (`[checkout] return_origins`; default `public_url`'s).
    pub return_origins: Vec<String>,
    /// A create must carry the order's client secret (`[checkout] require_client_secret`).
    pub require_client_secret: bool,
    /// Flow `payment_code`'s wait for the shopper (`[checkout] payment_code_wait_secs`); `None`:
    /// the flow is off (`[checkout] payment_code`).
    pub payment_code_wait: Option<std::time::Duration>,
    /// The shop's origins the checkout API answers CORS for (`[checkout] allowed_origins`).
    pub allowed_origins: http::cors::AllowedOrigins,
}

impl Inner {
    /// The store, to read (every write of a status takes the service's `Writer`).
    pub fn store(&self) -> &dyn Store {
        self.store.as_ref()
    }
}

impl AppState {
    /// Only the composition root (`app::build`) makes a state.
    pub(crate) fn new(inner: Inner) -> AppState {
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

/// Wakes this instance's long polls and event streams when another instance changes a session
/// (PostgreSQL's `LISTEN`; a store one process owns has nothing to hear).
pub(crate) fn watch_store(state: &AppState) {
    let hub = state.hub.clone();
    state
        .store
        .watch(Arc::new(move |session: Option<&str>| match session {
            Some(id) => hub.changed(id),
            None => hub.changed_all(),
        }));
}
