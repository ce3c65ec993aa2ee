//! The HTTP edge: the routers (`/api/checkout/…` for shoppers, `/notify/{gateway}` for gateways,
//! `/admin/…` and `/metrics` for the shop's backend and its monitoring, `/console/` for its staff,
//! `/healthz`, the iframe page), the extractors and limits, the
//! accept loop, and `error.rs`, the one place a service error becomes an HTTP answer. Handlers
//! extract, call one service function (or read the store), and respond.

pub mod admin;
pub mod api;
pub mod console;
pub mod cors;
pub mod error;
pub mod frame;
pub mod health;
pub mod limits;
pub mod notify;
pub mod serve;
pub mod widget;

use axum::Router;

use crate::AppState;

/// The merchant server's routes: `/api/checkout/…`, `/notify/{gateway}`, `/admin/…`, each body
/// bounded (`serve::bounded`: 64 KiB within 30 s).
pub(crate) fn app(state: AppState) -> Router {
    serve::bounded(public_routes(state.clone()).merge(admin_routes(state)))
}

/// The routes shoppers and gateways reach: `/api/checkout/…`, `/notify/{gateway}`.
pub(crate) fn public_app(state: AppState) -> Router {
    serve::bounded(public_routes(state))
}

/// The shop's backend's routes, `/admin/…` (alone on `[admin] listen` when it is set).
pub(crate) fn admin_app(state: AppState) -> Router {
    serve::bounded(admin_routes(state))
}

fn public_routes(state: AppState) -> Router {
    let mut checkout = api::router();
    if !state.allowed_origins.0.is_empty() {
        checkout = checkout.layer(axum::middleware::from_fn_with_state(
            state.allowed_origins.clone(),
            cors::cors,
        ));
    }
    Router::new()
        .nest("/api/checkout", checkout)
        .merge(health::router())
        .merge(notify::router())
        .with_state(state)
}

/// The admin API (with `/metrics`) and the operator's console, when an admin token is set.
fn admin_routes(state: AppState) -> Router {
    let mut routes = admin::router(state.clone());
    if let Some(console) = console::router(state.admin_token.as_deref()) {
        routes = routes.merge(console);
    }
    routes.with_state(state)
}
