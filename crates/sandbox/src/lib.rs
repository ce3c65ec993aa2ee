//! The sandbox: gateway simulators that speak each gateway's real wire format and signatures, and the wallet page.
//!
//! Everything lives under `/sandbox/…` so it can share a port with the merchant server in demo mode.
//! It shares no signing code with the server's connectors: both are checked against the same
//! known-answer vectors, so a signing bug cannot agree with itself.

pub mod alphapay;
pub mod codes;
pub mod control;
pub mod ledger;
pub mod notifier;
mod page;
pub mod pass2pay;
mod phone;
pub mod yabandpay;

use std::sync::{Arc, Weak};
use std::time::Duration;

use axum::http::StatusCode;
use axum::response::{IntoResponse, Response};
use axum::routing::{get, post};
use axum::Router;
use rsa::{RsaPrivateKey, RsaPublicKey};
use time::OffsetDateTime;

use crate::control::{ApiMode, Controls};
use crate::ledger::{Gateway, Ledger, Payment};
use crate::notifier::Outgoing;

/// The sandbox's "now"; tests can shift it.
pub type Clock = Arc<dyn Fn() -> OffsetDateTime + Send + Sync>;

/// The AlphaPay merchant the sandbox knows, and the public key that merchant "uploaded".
#[derive(Debug, Clone)]
pub struct AlphaPayMerchant {
    pub merchant_code: String,
    pub public_key: RsaPublicKey,
}

/// The Pass2Pay merchant and app the sandbox knows, with their shared MD5 key.
#[derive(Debug, Clone)]
pub struct Pass2PayMerchant {
    pub mch_no: String,
    pub app_id: String,
    pub secret: String,
}

/// The YabandPay cashier account the sandbox knows, with its HMAC secret.
#[derive(Debug, Clone)]
pub struct YabandPayMerchant {
    pub user: String,
    pub secret: String,
}

pub struct SandboxOptions {
    /// Origin the sandbox is reached at (QR contents and wallet links start with it), e.g. `http://127.0.0.1:8080`.
    pub public_url: String,
    pub alphapay: Option<AlphaPayMerchant>,
    pub pass2pay: Option<Pass2PayMerchant>,
    pub yabandpay: Option<YabandPayMerchant>,
    pub clock: Clock,
    /// Gateway time per real time for notification retries: 1 is faithful, 600 turns 30 minutes into 3 s.
    pub time_scale: u32,
}

/// Queries and closes of one order (`Sandbox::order_calls`).
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct OrderCalls {
    pub total: usize,
    /// The most that were being answered at the same moment.
    pub most_at_once: usize,
    now: usize,
}

/// One query or close being answered; its end is counted when it drops.
pub(crate) struct CallGuard {
    sandbox: Sandbox,
    merchant_ref: String,
}

impl Drop for CallGuard {
    fn drop(&mut self) {
        let mut calls = self
            .sandbox
            .inner
            .calls
            .lock()
            .unwrap_or_else(|p| p.into_inner());
        if let Some(c) = calls.get_mut(&self.merchant_ref) {
            c.now = c.now.saturating_sub(1);
        }
    }
}

#[derive(Clone)]
pub struct Sandbox {
    pub(crate) inner: Arc<Inner>,
}

pub(crate) struct Inner {
    pub public_url: String,
    pub clock: Clock,
    pub time_scale: u32,
    pub http: reqwest::Client,
    pub ledger: Ledger,
    /// The payment codes issued to play a shopper at a counter.
    pub codes: codes::Codes,
    pub controls: Controls,
    /// How long the merchant server took to acknowledge each notification (µs), for `cargo xtask bench`.
    pub acks: std::sync::Mutex<Vec<u32>>,
    /// Merchant order id → queries and closes of it: how many, and the most at once.
    pub calls: std::sync::Mutex<std::collections::HashMap<String, OrderCalls>>,
    pub alphapay: Option<alphapay::Simulator>,
    pub pass2pay: Option<pass2pay::Simulator>,
    pub yabandpay: Option<yabandpay::Simulator>,
}

impl Sandbox {
    /// Creates the simulators (AlphaPay generates its own gateway key pair) and, inside a Tokio
    /// runtime, starts the sweeper that expires unpaid orders and notifies where the gateway does.
    pub fn new(options: SandboxOptions) -> Result<Sandbox, rsa::Error> {
        let alphapay = match options.alphapay {
            Some(m) => Some(alphapay::Simulator::new(
                m.merchant_code,
                m.public_key,
                RsaPrivateKey::new(&mut rand::thread_rng(), 2048)?,
            )),
            None => None,
        };
        let http = reqwest::Client::builder()
            .timeout(Duration::from_secs(10))
            .build()
            .unwrap_or_default();
        let sandbox = Sandbox {
            inner: Arc::new(Inner {
                public_url: options.public_url.trim_end_matches('/').to_string(),
                clock: options.clock,
                time_scale: options.time_scale.max(1),
                http,
                ledger: Ledger::default(),
                codes: codes::Codes::default(),
                controls: Controls::default(),
                acks: std::sync::Mutex::new(Vec::new()),
                calls: std::sync::Mutex::default(),
                alphapay,
                pass2pay: options.pass2pay.map(pass2pay::Simulator::new),
                yabandpay: options.yabandpay.map(yabandpay::Simulator::new),
            }),
        };
        if let Ok(handle) = tokio::runtime::Handle::try_current() {
            handle.spawn(sweep(Arc::downgrade(&sandbox.inner)));
        }
        Ok(sandbox)
    }

    /// AlphaPay's public key, as a merchant would download it from the dashboard.
    pub fn alphapay_public_key(&self) -> Option<RsaPublicKey> {
        self.inner.alphapay.as_ref().map(|s| s.public_key())
    }

    /// The key this sandbox signs its AlphaPay answers and notifications with, as the PEM a
    /// server's `gateway_public_key_env` holds (made at start: a production server pointed at this
    /// sandbox reads it from `GET /sandbox/alphapay/public-key`).
    pub fn alphapay_public_key_pem(&self) -> Option<String> {
        use rsa::pkcs8::{EncodePublicKey, LineEnding};
        self.alphapay_public_key()?
            .to_public_key_pem(LineEnding::LF)
            .ok()
    }

    /// All sandbox routes, under `/sandbox`.
    pub fn router(&self) -> Router {
        Router::new()
            .route(
                "/sandbox/alphapay/api/v2.0/payments/{operation}",
                post(alphapay::api),
            )
            .route(
                "/sandbox/pass2pay/api/{group}/{operation}",
                post(pass2pay::api),
            )
            .route("/sandbox/pass2pay/cashier/{token}", get(pass2pay::cashier))
            .route("/sandbox/yabandpay/Payments", post(yabandpay::api))
            .route("/sandbox/alphapay/public-key", get(alphapay_public_key_pem))
            .route("/sandbox/control", get(control::get).post(control::post))
            .route(
                "/sandbox/stats",
                get(control::stats).delete(control::reset_stats),
            )
            .route("/sandbox/payment_codes", post(phone::issue))
            .route("/sandbox/phone", get(phone::phone).post(phone::phone_issue))
            .route("/sandbox/wallet/code/{code}", get(phone::code_page))
            .route("/sandbox/wallet/{payment}", get(page::wallet))
            .route("/sandbox/qr/{payment}", get(page::qr_image))
            .route("/sandbox/wallet/{payment}/pay", post(page::pay))
            .route("/sandbox/wallet/{payment}/decline", post(page::decline))
            .route("/sandbox/wallet/{payment}/open", post(page::open))
            .with_state(self.clone())
    }

    /// The Pass2Pay simulator (tests sign forged or replayed notifications with it).
    pub fn pass2pay(&self) -> Option<&pass2pay::Simulator> {
        self.inner.pass2pay.as_ref()
    }

    /// The YabandPay simulator (tests sign forged or replayed notifications with it).
    pub fn yabandpay(&self) -> Option<&yabandpay::Simulator> {
        self.inner.yabandpay.as_ref()
    }

    /// Sets a misbehaviour switch (the same as `POST /sandbox/control`).
    pub fn set_behaviour(&self, gateway: Option<ledger::Gateway>, behaviour: control::Behaviour) {
        self.inner.controls.set(gateway, behaviour);
    }

    /// The order with this gateway id, as of now (for tests and the wallet page).
    pub fn payment(&self, id: &str) -> Option<Payment> {
        let id = self.inner.ledger.resolve(id)?;
        self.inner.ledger.get(&id, self.now())
    }

    /// Every order the sandbox holds.
    pub fn payments(&self) -> Vec<Payment> {
        self.inner.ledger.all()
    }

    pub(crate) fn now(&self) -> OffsetDateTime {
        (self.inner.clock)()
    }

    pub(crate) fn scaled(&self, d: Duration) -> Duration {
        d / self.inner.time_scale
    }

    pub(crate) fn wallet_url(&self, payment: &str) -> String {
        format!("{}/sandbox/wallet/{}", self.inner.public_url, payment)
    }

    /// The order lifetime for a new order: the switch if set, else the gateway's default.
    pub(crate) fn lifetime(&self, gateway: Gateway, default: time::Duration) -> time::Duration {
        match self.inner.controls.get(gateway).expiry_secs {
            Some(s) => time::Duration::seconds(i64::try_from(s).unwrap_or(i64::MAX)),
            None => default,
        }
    }

    /// Queries and closes made of the order with this merchant id so far.
    pub fn order_calls(&self, merchant_ref: &str) -> OrderCalls {
        self.inner
            .calls
            .lock()
            .unwrap_or_else(|p| p.into_inner())
            .get(merchant_ref)
            .copied()
            .unwrap_or_default()
    }

    /// Counts a query or close of `merchant_ref` while it runs, and holds it for `slow_ms`.
    pub(crate) async fn order_call(&self, gateway: Gateway, merchant_ref: &str) -> CallGuard {
        {
            let mut calls = self.inner.calls.lock().unwrap_or_else(|p| p.into_inner());
            let c = calls.entry(merchant_ref.to_string()).or_default();
            c.total += 1;
            c.now += 1;
            c.most_at_once = c.most_at_once.max(c.now);
        }
        let guard = CallGuard {
            sandbox: self.clone(),
            merchant_ref: merchant_ref.to_string(),
        };
        self.slow(gateway).await;
        guard
    }

    /// Waits `slow_ms` (at most a minute).
    pub(crate) async fn slow(&self, gateway: Gateway) {
        let slow = self.inner.controls.get(gateway).slow_ms;
        if slow > 0 {
            tokio::time::sleep(Duration::from_millis(slow.min(60_000))).await;
        }
    }

    /// With `api: "lost_create"`: a create's answer, already made, is held back until the caller
    /// gives up (it never arrives).
    pub(crate) async fn lose_create_answer(&self, gateway: Gateway, answer: Response) -> Response {
        if self.inner.controls.get(gateway).api == ApiMode::LostCreate {
            tokio::time::sleep(Duration::from_secs(300)).await;
            return StatusCode::GATEWAY_TIMEOUT.into_response();
        }
        answer
    }

    /// Applies the API misbehaviour switch; `Some` is the response to send instead of the real one.
    pub(crate) async fn misbehave(&self, gateway: Gateway) -> Option<Response> {
        match self.inner.controls.get(gateway).api {
            ApiMode::Normal | ApiMode::LostCreate => None,
            ApiMode::Error500 => Some(
                (
                    StatusCode::INTERNAL_SERVER_ERROR,
                    [("content-type", "text/html")],
                    "<html><body><h1>500 Internal Server Error</h1></body></html>",
                )
                    .into_response(),
            ),
            ApiMode::Timeout => {
                tokio::time::sleep(Duration::from_secs(300)).await;
                Some(StatusCode::GATEWAY_TIMEOUT.into_response())
            }
        }
    }

    /// The signed notification for the order's current state, in its gateway's format.
    pub(crate) fn build_notification(&self, payment: &Payment, corrupt: bool) -> Option<Outgoing> {
        match payment.gateway {
            Gateway::AlphaPay => {
                self.inner
                    .alphapay
                    .as_ref()?
                    .notification(payment, self.now(), corrupt)
            }
            Gateway::Pass2Pay => {
                self.inner
                    .pass2pay
                    .as_ref()?
                    .notification(payment, self.now(), corrupt)
            }
            Gateway::YabandPay => self
                .inner
                .yabandpay
                .as_ref()?
                .notification(payment, corrupt),
        }
    }

    /// Whether the gateway notifies this order's current state (AlphaPay: payments only).
    pub(crate) fn notifies(payment: &Payment) -> bool {
        use crate::ledger::PayState;
        match payment.gateway {
            Gateway::AlphaPay => payment.state == PayState::Paid,
            // Since 2024-05: success, close (expiry) and failure.
            Gateway::Pass2Pay => payment.state != PayState::Pending,
            // Every state change.
            Gateway::YabandPay => true,
        }
    }

    pub(crate) fn state_changed(&self, payment: Payment) {
        if Sandbox::notifies(&payment) {
            notifier::spawn(self, payment);
        }
    }
}

/// Whether `gateway`'s simulator can give `answer` to `op` (`POST /sandbox/control`'s `next`).
pub fn knows_answer(gateway: Gateway, op: control::Operation, answer: &str) -> bool {
    match gateway {
        Gateway::AlphaPay => alphapay::knows(op, answer),
        Gateway::Pass2Pay => pass2pay::knows(op, answer),
        Gateway::YabandPay => yabandpay::knows(op, answer),
    }
}

impl Sandbox {
    /// The answer `next` set for this call of `op`, if any (used up unless `repeat`).
    pub(crate) fn forced(&self, gateway: Gateway, op: control::Operation) -> Option<String> {
        self.inner.controls.take_next(gateway, op)
    }
}

/// Expires unpaid orders once a second and sends the notifications the gateways send for that.
async fn sweep(inner: Weak<Inner>) {
    loop {
        tokio::time::sleep(Duration::from_secs(1)).await;
        let Some(inner) = inner.upgrade() else {
            return;
        };
        let sandbox = Sandbox { inner };
        for p in sandbox.inner.ledger.sweep(sandbox.now()) {
            sandbox.state_changed(p);
        }
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

/// Lowercase hex of bytes.
pub(crate) fn hex(bytes: &[u8]) -> String {
    const DIGITS: &[u8; 16] = b"0123456789abcdef";
    let mut s = String::with_capacity(bytes.len() * 2);
    for b in bytes {
        s.push(char::from(DIGITS[usize::from(b >> 4)]));
        s.push(char::from(DIGITS[usize::from(b & 15)]));
    }
    s
}

/// `GET /sandbox/alphapay/public-key`: the sandbox's AlphaPay key (public), as PEM.
async fn alphapay_public_key_pem(
    axum::extract::State(s): axum::extract::State<Sandbox>,
) -> Response {
    match s.alphapay_public_key_pem() {
        Some(pem) => (
            [(axum::http::header::CONTENT_TYPE, "application/x-pem-file")],
            pem,
        )
            .into_response(),
        None => (StatusCode::NOT_FOUND, "this sandbox has no AlphaPay").into_response(),
    }
}
