//! The sandbox: gateway simulators that speak each gateway's real wire format and signatures, and the wallet page.
//!
//! Everything lives under `/sandbox/…` so it can share a port with the merchant server in demo mode.
//! It shares no signing code with the server's connectors: both are checked against the same
//! known-answer vectors, so a signing bug cannot agree with itself.

pub mod alphapay;
mod page;

use std::sync::Arc;

use axum::routing::{get, post};
use axum::Router;
use rsa::{RsaPrivateKey, RsaPublicKey};
use time::OffsetDateTime;

/// The sandbox's "now"; tests can shift it.
pub type Clock = Arc<dyn Fn() -> OffsetDateTime + Send + Sync>;

pub struct SandboxOptions {
    /// Origin the sandbox is reached at (QR contents and wallet links start with it), e.g. `http://127.0.0.1:8080`.
    pub public_url: String,
    /// The AlphaPay merchant the sandbox knows, and the public key that merchant "uploaded".
    pub alphapay_merchant_code: String,
    pub alphapay_merchant_key: RsaPublicKey,
    pub clock: Clock,
}

#[derive(Clone)]
pub struct Sandbox {
    pub(crate) inner: Arc<Inner>,
}

pub(crate) struct Inner {
    pub public_url: String,
    pub clock: Clock,
    pub http: reqwest::Client,
    pub alphapay: alphapay::Simulator,
}

impl Sandbox {
    /// Creates the simulators; each generates its own gateway key pair.
    pub fn new(options: SandboxOptions) -> Result<Sandbox, rsa::Error> {
        let mut rng = rand::thread_rng();
        let alphapay_key = RsaPrivateKey::new(&mut rng, 2048)?;
        let http = reqwest::Client::builder()
            .timeout(std::time::Duration::from_secs(10))
            .build()
            .unwrap_or_default();
        Ok(Sandbox {
            inner: Arc::new(Inner {
                public_url: options.public_url.trim_end_matches('/').to_string(),
                clock: options.clock,
                http,
                alphapay: alphapay::Simulator::new(
                    options.alphapay_merchant_code,
                    options.alphapay_merchant_key,
                    alphapay_key,
                ),
            }),
        })
    }

    /// AlphaPay's public key, as a merchant would download it from the dashboard.
    pub fn alphapay_public_key(&self) -> RsaPublicKey {
        self.inner.alphapay.public_key()
    }

    /// All sandbox routes, under `/sandbox`.
    pub fn router(&self) -> Router {
        Router::new()
            .route(
                "/sandbox/alphapay/api/v2.0/payments/{operation}",
                post(alphapay::api),
            )
            .route("/sandbox/wallet/{payment}", get(page::wallet))
            .route("/sandbox/wallet/{payment}/pay", post(page::pay))
            .route("/sandbox/wallet/{payment}/decline", post(page::decline))
            .with_state(self.clone())
    }

    pub(crate) fn now(&self) -> OffsetDateTime {
        (self.inner.clock)()
    }

    pub(crate) fn wallet_url(&self, payment: &str) -> String {
        format!("{}/sandbox/wallet/{}", self.inner.public_url, payment)
    }
}

/// Minimal HTML escaping for text and attribute values.
pub(crate) fn escape(s: &str) -> String {
    let mut out = String::with_capacity(s.len());
    for c in s.chars() {
        match c {
            '&' => out.push_str("&amp;"),
            '<' => out.push_str("&lt;"),
            '>' => out.push_str("&gt;"),
            '"' => out.push_str("&quot;"),
            '\'' => out.push_str("&#39;"),
            c => out.push(c),
        }
    }
    out
}
