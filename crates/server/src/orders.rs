//! Where the server learns what an order costs. The browser never says; `OrderSource` does.
//!
//! A merchant plugs their own database in through `OrderSource` (the demo's book of demo orders
//! is `wallet-checkout-demo`'s).

use wallet_checkout_protocol::Money;

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
