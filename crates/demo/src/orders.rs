//! Demo orders: the in-memory book behind `POST /demo/orders`, so the demo shop and tests have an
//! order without a merchant database. The demo binary only; the production server has none.

use std::collections::HashMap;
use std::sync::{Arc, Mutex};

use axum::extract::State;
use axum::http::StatusCode;
use axum::routing::post;
use axum::{Json, Router};
use wallet_checkout_protocol::{CreateDemoOrder, DemoOrder, Money};
use wallet_checkout_server::core::domain::random_id;
use wallet_checkout_server::http::error::{ApiError, ApiJson};
use wallet_checkout_server::orders::{Order, OrderSource};

#[derive(Debug, Default)]
pub struct DemoOrders {
    orders: Mutex<HashMap<String, Order>>,
}

/// The most orders kept; the oldest half goes when it is reached (a public demo must not grow).
const MAX_ORDERS: usize = 100_000;

impl DemoOrders {
    pub fn create(&self, amount: Money, description: String) -> Order {
        let reference = format!("D{}", random_id(10).to_uppercase());
        let order = Order {
            reference: reference.clone(),
            amount,
            description,
            client_secret: Some(wallet_checkout_server::core::domain::new_client_secret()),
        };
        let mut book = self.orders.lock().unwrap_or_else(|p| p.into_inner());
        if book.len() >= MAX_ORDERS {
            let drop: Vec<String> = book.keys().take(MAX_ORDERS / 2).cloned().collect();
            for k in drop {
                book.remove(&k);
            }
        }
        book.insert(reference, order.clone());
        order
    }
}

#[async_trait::async_trait]
impl OrderSource for DemoOrders {
    async fn order(&self, reference: &str) -> Result<Option<Order>, String> {
        Ok(self
            .orders
            .lock()
            .unwrap_or_else(|p| p.into_inner())
            .get(reference)
            .cloned())
    }
}

/// `POST /demo/orders`.
pub fn router(book: Arc<DemoOrders>) -> Router {
    Router::new()
        .route("/demo/orders", post(create_demo_order))
        .route("/demo/webhooks", post(receive_webhook))
        .with_state(book)
}

/// `POST /demo/webhooks`: the demo's stand-in for a shop's backend, so the console's Webhooks page
/// shows deliveries (a real shop verifies the signature: `examples/shop-node`, `examples/shop-python`).
async fn receive_webhook() -> StatusCode {
    StatusCode::NO_CONTENT
}

/// Longest description a demo order may carry (gateways truncate further).
const MAX_DESCRIPTION: usize = 256;

async fn create_demo_order(
    State(book): State<Arc<DemoOrders>>,
    ApiJson(req): ApiJson<CreateDemoOrder>,
) -> Result<(StatusCode, Json<DemoOrder>), ApiError> {
    if req.amount.value == 0 {
        return Err(ApiError::invalid("amount.value must be at least 1"));
    }
    if req.description.trim().is_empty() || req.description.chars().count() > MAX_DESCRIPTION {
        return Err(ApiError::invalid(format!(
            "description must be 1 to {MAX_DESCRIPTION} characters"
        )));
    }
    let order = book.create(req.amount, req.description);
    Ok((
        StatusCode::CREATED,
        Json(DemoOrder {
            order: order.reference,
            client_secret: order.client_secret.unwrap_or_default(),
        }),
    ))
}
