//! Embedding the checkout in your own axum app, with your own order database: the checkout's router
//! nested beside your routes, orders from an async `OrderSource`. Run it with
//! `cargo run -p wallet-checkout-server --example embed` (it answers on 127.0.0.1:3001; no gateway is
//! configured here, so a create answers `wallet_unavailable`: add `[gateways]` and `[routing]` to the config).

use std::collections::HashMap;
use std::sync::Arc;

use axum::routing::get;
use axum::Router;
use wallet_checkout_protocol::Money;
use wallet_checkout_server::config::{Config, Env};
use wallet_checkout_server::core::clock::SystemClock;
use wallet_checkout_server::orders::{Order, OrderSource};
use wallet_checkout_server::Extras;

/// Your database (a map here); `order` may await a query. Each order has a client secret your page
/// hands the widget (`client-secret`); keep it with the order.
struct Catalogue(HashMap<String, (u64, &'static str, &'static str)>);

#[async_trait::async_trait]
impl OrderSource for Catalogue {
    async fn order(&self, reference: &str) -> Result<Option<Order>, String> {
        let Some((value, description, secret)) = self.0.get(reference) else {
            return Ok(None);
        };
        Ok(Some(Order {
            reference: reference.to_string(),
            amount: Money::new(*value, "CAD").map_err(|e| e.to_string())?,
            description: (*description).to_string(),
            client_secret: Some((*secret).to_string()),
        }))
    }
}

#[tokio::main]
async fn main() -> Result<(), String> {
    let orders = Catalogue(HashMap::from([(
        "A1001".to_string(),
        (
            1234,
            "Green tea ×2",
            "sec_example_only_make_yours_random_per_order",
        ),
    )]));
    // The same composition root as `wallet-checkout-server`: a config (here written in code),
    // secrets from the environment, the clock, and your order source as an extra.
    let config = Config::parse(
        r#"
            public_url = "http://127.0.0.1:3001"
            store = "memory"
        "#,
    )?;
    let checkout = wallet_checkout_server::build(
        &config,
        &Env,
        Arc::new(SystemClock),
        Extras {
            orders: Arc::new(orders),
            ..Extras::default()
        },
    )
    .await?;
    let shop = Router::new()
        .route("/", get(|| async { "your shop's own pages" }))
        .merge(checkout.router);
    let listener = tokio::net::TcpListener::bind("127.0.0.1:3001")
        .await
        .map_err(|e| e.to_string())?;
    println!("embedded checkout at http://127.0.0.1:3001/api/checkout/");
    axum::serve(listener, shop).await.map_err(|e| e.to_string())
}
