//! The wallet-checkout widget: asks the merchant's server for a session, shows the way to pay, follows the status.
//!
//! The pure parts (state machine, device detection, QR, time, texts) build and test on the host;
//! `web` (Leptos, and the orders for the JS shell that does fetch and timers) builds only for `wasm32`. The widget knows wallets, never gateways,
//! and never holds a key or decides an amount.

pub mod device;
pub mod i18n;
pub mod machine;
/// The wallets' marks: drawn by the embedding code (`www/words.js` is generated from them), not the wasm.
#[cfg(not(target_arch = "wasm32"))]
pub mod marks;
pub mod qr;
pub mod screen;
pub mod seam;
pub mod time;

#[cfg(target_arch = "wasm32")]
mod web;

#[cfg(target_arch = "wasm32")]
pub use web::{mount, shell::Shell, WidgetHandle};
