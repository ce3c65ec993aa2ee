//! The core: what the checkout is, with no HTTP, no TOML and no gateway wire in it. The records
//! (`domain`) and their ids (`ids`), the rules about money and endings (`rules`), the clock, outside text made printable, the metrics, QR codes encoded for the widget (`qr`),
//! and the service's own error (`error`), which the HTTP edge turns into the contract's answers. The
//! tidy test holds this folder to no HTTP or TOML crate and to nothing of the server but itself.

pub mod clock;
pub mod domain;
pub mod error;
pub mod hub;
pub mod ids;
pub mod metrics;
pub mod payment_code;
pub mod printable;
pub mod qr;
pub mod rules;
