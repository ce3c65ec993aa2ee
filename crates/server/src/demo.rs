//! Demo mode: the merchant server and the sandbox on one port, demo orders on, every gateway
//! pointed at its simulator. The server still talks to the sandbox over real HTTP with real
//! signatures; credentials are made up at start unless the caller (a config file, a test) gives them.

use std::collections::BTreeMap;
use std::path::PathBuf;
use std::sync::Arc;
use std::time::Duration;

use axum::Router;
use rsa::RsaPrivateKey;
use tower_http::services::{ServeDir, ServeFile};
use wallet_checkout_protocol::Wallet;
use wallet_checkout_sandbox::{
    AlphaPayMerchant, Pass2PayMerchant, Sandbox, SandboxOptions, YabandPayMerchant,
};

use crate::clock::Clock;
use crate::gateway::alphapay::AlphaPay;
use crate::gateway::pass2pay::Pass2Pay;
use crate::gateway::yabandpay::YabandPay;
use crate::gateway::Connector;
use crate::orders::DemoOrders;
use crate::reconcile::ReconcileConfig;
use crate::store::{random_id, MemoryStore, Store};
use crate::{api, app, AppState, Inner};

/// The merchant accounts the demo's connectors and the sandbox share.
#[derive(Clone)]
pub struct Credentials {
    pub alphapay_merchant_code: String,
    pub alphapay_key: RsaPrivateKey,
    pub pass2pay_mch_no: String,
    pub pass2pay_app_id: String,
    pub pass2pay_secret: String,
    pub yabandpay_user: String,
    pub yabandpay_secret: String,
}

impl Credentials {
    /// Fresh throwaway credentials.
    pub fn generate() -> Result<Credentials, String> {
        Ok(Credentials {
            alphapay_merchant_code: "DEMOSHOP".into(),
            alphapay_key: RsaPrivateKey::new(&mut rand::thread_rng(), 2048)
                .map_err(|e| e.to_string())?,
            pass2pay_mch_no: "M1700000001".into(),
            pass2pay_app_id: "64a0c0ffee0000000000abcd".into(),
            pass2pay_secret: random_id(32),
            yabandpay_user: "016683".into(),
            yabandpay_secret: random_id(32),
        })
    }
}

/// The contract's example routing: each wallet on its own gateway.
pub fn default_routing() -> BTreeMap<Wallet, String> {
    BTreeMap::from([
        (Wallet::Alipay, "alphapay".to_string()),
        (Wallet::WechatPay, "yabandpay".to_string()),
        (Wallet::Unionpay, "pass2pay".to_string()),
    ])
}

pub struct DemoOptions {
    /// Where the server is reached, e.g. `http://127.0.0.1:8080`.
    pub public_url: String,
    pub clock: Arc<dyn Clock>,
    /// The built demo shop (`cargo xtask dist`'s `dist/`), served at `/`; its `frame.html` is the
    /// iframe page at `/api/checkout/frame`.
    pub site: Option<PathBuf>,
    /// Origins besides this one allowed to frame the iframe page (`[frame] ancestors`).
    pub frame_ancestors: Vec<String>,
    pub routing: BTreeMap<Wallet, String>,
    pub store: Arc<dyn Store>,
    pub admin_token: Option<String>,
    /// `None`: no background reconciliation (tests that drive it themselves).
    pub reconcile: Option<ReconcileConfig>,
    /// Gateway time per real time for the sandbox's notification retries.
    pub time_scale: u32,
    pub credentials: Credentials,
    /// The connectors' HTTP timeout.
    pub gateway_timeout: Duration,
    /// Reuse this sandbox (with the same credentials) instead of starting one: a server restart.
    pub sandbox: Option<Sandbox>,
    /// AlphaPay's `desktop_page` switch (see `config.rs`).
    pub alphapay_desktop_page: bool,
    /// AlphaPay's `wechat_jsapi` switch: on in the demo, whose sandbox needs no openid, so the
    /// widget's `WeixinJSBridge` hand-over can be played inside a (fake) WeChat.
    pub alphapay_wechat_jsapi: bool,
}

impl DemoOptions {
    pub fn new(public_url: &str, clock: Arc<dyn Clock>) -> Result<DemoOptions, String> {
        Ok(DemoOptions {
            public_url: public_url.trim_end_matches('/').to_string(),
            clock,
            site: None,
            frame_ancestors: Vec::new(),
            routing: default_routing(),
            store: Arc::new(MemoryStore::default()),
            admin_token: None,
            reconcile: Some(ReconcileConfig::default()),
            time_scale: 1,
            credentials: Credentials::generate()?,
            gateway_timeout: Duration::from_secs(15),
            sandbox: None,
            alphapay_desktop_page: false,
            alphapay_wechat_jsapi: true,
        })
    }
}

/// The demo: its router, the server's state and the sandbox (tests reach into both).
pub struct Demo {
    pub router: Router,
    pub state: AppState,
    pub sandbox: Sandbox,
    /// The reconciliation task, if one was started.
    pub reconciler: Option<tokio::task::JoinHandle<()>>,
}

pub fn build(o: DemoOptions) -> Result<Demo, String> {
    let c = &o.credentials;
    let sandbox_clock = o.clock.clone();
    let sandbox = match o.sandbox {
        Some(s) => s,
        None => new_sandbox(
            &o.public_url,
            c,
            Arc::new(move || sandbox_clock.now()),
            o.time_scale,
        )?,
    };
    let http = reqwest::Client::builder()
        .timeout(o.gateway_timeout)
        .build()
        .map_err(|e| e.to_string())?;
    let base = |g: &str| format!("{}/sandbox/{g}", o.public_url);
    let mut connectors: BTreeMap<String, Arc<dyn Connector>> = BTreeMap::new();
    connectors.insert(
        "alphapay".into(),
        Arc::new(AlphaPay {
            base_url: base("alphapay"),
            merchant_code: c.alphapay_merchant_code.clone(),
            private_key: c.alphapay_key.clone(),
            gateway_key: sandbox
                .alphapay_public_key()
                .ok_or("the sandbox has no AlphaPay")?,
            http: http.clone(),
            clock: o.clock.clone(),
            desktop_page: o.alphapay_desktop_page,
            wechat_jsapi: o.alphapay_wechat_jsapi,
        }),
    );
    connectors.insert(
        "pass2pay".into(),
        Arc::new(Pass2Pay {
            base_url: base("pass2pay"),
            mch_no: c.pass2pay_mch_no.clone(),
            app_id: c.pass2pay_app_id.clone(),
            secret: c.pass2pay_secret.clone(),
            client_ip: "210.73.10.148".into(),
            wechat_h5: true,
            desktop_page: false,
            http: http.clone(),
            clock: o.clock.clone(),
        }),
    );
    connectors.insert(
        "yabandpay".into(),
        Arc::new(YabandPay {
            base_url: base("yabandpay"),
            user: c.yabandpay_user.clone(),
            secret: c.yabandpay_secret.clone(),
            wechat_h5: true,
            http,
            clock: o.clock.clone(),
        }),
    );
    for (wallet, gateway) in &o.routing {
        if !connectors.contains_key(gateway) {
            return Err(format!(
                "[routing] sends {wallet} to unknown gateway {gateway:?}"
            ));
        }
    }
    let demo_orders = Arc::new(DemoOrders::default());
    let state = AppState::new(Inner {
        store: o.store,
        orders: demo_orders.clone(),
        demo_orders: Some(demo_orders),
        connectors,
        routing: o.routing,
        clock: o.clock,
        hub: Default::default(),
        public_url: o.public_url,
        idempotency_locks: api::KeyLocks::default(),
        admin_token: o.admin_token,
    });
    let reconciler = o
        .reconcile
        .map(|config| crate::reconcile::spawn(state.clone(), config));
    let mut router = app(state.clone()).merge(sandbox.router());
    if let Some(dir) = o.site {
        router = router.merge(crate::frame::router(crate::frame::FramePage {
            page: dir.join("frame.html"),
            ancestors: o.frame_ancestors,
        }));
        // Only through the route, with its CSP: never as a plain file that any site could frame.
        router = router.route(
            "/frame.html",
            axum::routing::get(|| async { axum::http::StatusCode::NOT_FOUND }),
        );
        let index = dir.join("index.html");
        router = router.fallback_service(ServeDir::new(dir).fallback(ServeFile::new(index)));
    }
    Ok(Demo {
        router,
        state,
        sandbox,
        reconciler,
    })
}

fn new_sandbox(
    public_url: &str,
    c: &Credentials,
    clock: wallet_checkout_sandbox::Clock,
    time_scale: u32,
) -> Result<Sandbox, String> {
    Sandbox::new(SandboxOptions {
        public_url: public_url.to_string(),
        alphapay: Some(AlphaPayMerchant {
            merchant_code: c.alphapay_merchant_code.clone(),
            public_key: c.alphapay_key.to_public_key(),
        }),
        pass2pay: Some(Pass2PayMerchant {
            mch_no: c.pass2pay_mch_no.clone(),
            app_id: c.pass2pay_app_id.clone(),
            secret: c.pass2pay_secret.clone(),
        }),
        yabandpay: Some(YabandPayMerchant {
            user: c.yabandpay_user.clone(),
            secret: c.yabandpay_secret.clone(),
        }),
        clock,
        time_scale,
    })
    .map_err(|e| e.to_string())
}
