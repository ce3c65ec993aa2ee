//! Embedding the checkout in your own axum app, with your own order database: the checkout's router
//! nested beside your routes, orders from an async `OrderSource`. Run it with
//! `cargo run -p wallet-checkout-server --example embed` (it answers on 127.0.0.1:3001; no gateway is
//! configured here, so a create answers `wallet_unavailable`: add connectors as `main.rs` does).

use std::collections::HashMap;
use std::sync::Arc;

use axum::routing::get;
use axum::Router;
use wallet_checkout_protocol::Money;
use wallet_checkout_server::clock::SystemClock;
use wallet_checkout_server::orders::{Order, OrderSource};
use wallet_checkout_server::store::MemoryStore;
use wallet_checkout_server::{app, AppState, Inner};

/// Your database (a map here); `order` may await a query.
struct Catalogue(HashMap<String, (u64, &'static str)>);

#[async_trait::async_trait]
impl OrderSource for Catalogue {
    async fn order(&self, reference: &str) -> Result<Option<Order>, String> {
        let Some((value, description)) = self.0.get(reference) else {
            return Ok(None);
        };
        Ok(Some(Order {
            reference: reference.to_string(),
            amount: Money::new(*value, "CAD").map_err(|e| e.to_string())?,
            description: (*description).to_string(),
        }))
    }
}

#[tokio::main]
async fn main() -> Result<(), String> {
    let orders = Catalogue(HashMap::from([(
        "A1001".to_string(),
        (1234, "Green tea ×2"),
    )]));
    let state = AppState::new(Inner::new(
        Arc::new(MemoryStore::default()),
        Arc::new(orders),
        Arc::new(SystemClock),
        "http://127.0.0.1:3001",
    ));
    let shop = Router::new()
        .route("/", get(|| async { "your shop's own pages" }))
        .merge(app(state));
    let listener = tokio::net::TcpListener::bind("127.0.0.1:3001")
        .await
        .map_err(|e| e.to_string())?;
    println!("embedded checkout at http://127.0.0.1:3001/api/checkout/");
    axum::serve(listener, shop).await.map_err(|e| e.to_string())
}
