//! The core: what the checkout is, with no HTTP, no TOML and no gateway wire in it. The records
//! (`domain`), the rules about money and endings (`rules`), the clock, and the service's own error
//! (`error`), which the HTTP edge (`crate::error`) turns into the contract's answers. The tidy test
//! holds this folder to importing no `axum`, `reqwest`, `hyper` or `toml`.

pub mod clock;
pub mod domain;
pub mod error;
pub mod rules;
