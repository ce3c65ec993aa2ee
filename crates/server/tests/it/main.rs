//! Integration tests of the production binary `wallet-checkout-server`, run as a real process (the
//! flows against the sandbox are `wallet-checkout-demo`'s tests: this crate has no sandbox).

mod cli;
mod fuzz;
