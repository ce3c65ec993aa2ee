//! Where the server learns what an order costs. The browser never says; `OrderSource` does.
//!
//! `DemoOrders` is the in-memory book behind `POST /demo/orders` (demo mode only);
//! a merchant plugs their own database in through `OrderSource`.

use std::collections::HashMap;
use std::sync::Mutex;

use axum::extract::State;
use axum::http::StatusCode;
use axum::routing::post;
use axum::{Json, Router};
use wallet_checkout_protocol::{CreateDemoOrder, DemoOrder, Money};

use crate::error::{ApiError, ApiJson};
use crate::AppState;

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Order {
    pub reference: String,
    pub amount: Money,
    pub description: String,
}

pub trait OrderSource: Send + Sync {
    fn order(&self, reference: &str) -> Option<Order>;
}

/// Knows no orders (a server run without an order database answers `order_not_found`).
#[derive(Debug, Default)]
pub struct NoOrders;

impl OrderSource for NoOrders {
    fn order(&self, _reference: &str) -> Option<Order> {
        None
    }
}

#[derive(Debug, Default)]
pub struct DemoOrders {
    orders: Mutex<HashMap<String, Order>>,
}

impl DemoOrders {
    pub fn create(&self, amount: Money, description: String) -> Order {
        let reference = format!("D{}", crate::store::random_id(10).to_uppercase());
        let order = Order {
            reference: reference.clone(),
            amount,
            description,
        };
        self.orders
            .lock()
            .unwrap_or_else(|p| p.into_inner())
            .insert(reference, order.clone());
        order
    }
}

impl OrderSource for DemoOrders {
    fn order(&self, reference: &str) -> Option<Order> {
        self.orders
            .lock()
            .unwrap_or_else(|p| p.into_inner())
            .get(reference)
            .cloned()
    }
}

pub fn demo_router() -> Router<AppState> {
    Router::new().route("/demo/orders", post(create_demo_order))
}

/// Longest description a demo order may carry (gateways truncate further).
const MAX_DESCRIPTION: usize = 256;

async fn create_demo_order(
    State(state): State<AppState>,
    ApiJson(req): ApiJson<CreateDemoOrder>,
) -> Result<(StatusCode, Json<DemoOrder>), ApiError> {
    let Some(book) = &state.demo_orders else {
        return Err(ApiError::invalid("demo orders are disabled"));
    };
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
        }),
    ))
}
