//! The demo: the merchant server and the sandbox on one port, demo orders on, every gateway pointed
//! at its simulator. The connectors are built exactly as the production server builds them (each
//! gateway's config section and `connect`), from sections pointed at the sandbox and secrets made
//! up at start (or taken from a config being rehearsed). The server still talks to the sandbox over
//! real HTTP with real signatures.

pub mod orders;

use std::collections::BTreeMap;
use std::path::PathBuf;
use std::sync::Arc;
use std::time::Duration;

use axum::Router;
use rsa::pkcs8::{EncodePrivateKey, EncodePublicKey, LineEnding};
use rsa::RsaPrivateKey;
use tower_http::services::{ServeDir, ServeFile};
use wallet_checkout_protocol::Wallet;
use wallet_checkout_sandbox::{
    AlphaPayMerchant, Pass2PayMerchant, Sandbox, SandboxOptions, YabandPayMerchant,
};
use wallet_checkout_server::clock::Clock;
use wallet_checkout_server::config::{Gateways, SecretMap};
use wallet_checkout_server::domain::random_id;
use wallet_checkout_server::gateway::alphapay::AlphaPayConfig;
use wallet_checkout_server::gateway::pass2pay::{default_client_ip, Pass2PayConfig};
use wallet_checkout_server::gateway::yabandpay::YabandPayConfig;
use wallet_checkout_server::gateway::Connector;
use wallet_checkout_server::orders::{NoOrders, OrderSource};
use wallet_checkout_server::reconcile::ReconcileConfig;
use wallet_checkout_server::store::{MemoryStore, Store};
use wallet_checkout_server::{app, frame, AppState, Inner};

pub use orders::DemoOrders;

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

/// The names the demo's made-up secrets go by (the sections name them as a config names env vars).
const ALPHAPAY_KEY: &str = "DEMO_ALPHAPAY_PRIVATE_KEY";
const ALPHAPAY_GATEWAY_KEY: &str = "DEMO_ALPHAPAY_PUBLIC_KEY";
const PASS2PAY_SECRET: &str = "DEMO_PASS2PAY_SECRET";
const YABANDPAY_SECRET: &str = "DEMO_YABANDPAY_SECRET";

/// Every gateway's section as the demo runs it; `build` points them at the sandbox and fills in
/// the credentials. AlphaPay's `wechat_jsapi` is on: the sandbox needs no openid, so the widget's
/// `WeixinJSBridge` hand-over can be played inside a (fake) WeChat. Both H5 switches are on.
pub fn default_gateways() -> Gateways {
    Gateways {
        alphapay: Some(AlphaPayConfig {
            base_url: String::new(),
            merchant_code: String::new(),
            private_key_env: ALPHAPAY_KEY.into(),
            gateway_public_key_env: ALPHAPAY_GATEWAY_KEY.into(),
            desktop_page: false,
            wechat_jsapi: true,
        }),
        pass2pay: Some(Pass2PayConfig {
            base_url: String::new(),
            mch_no: String::new(),
            app_id: String::new(),
            secret_env: PASS2PAY_SECRET.into(),
            client_ip: default_client_ip(),
            wechat_h5: true,
            desktop_page: false,
        }),
        yabandpay: Some(YabandPayConfig {
            base_url: String::new(),
            user: String::new(),
            secret_env: YABANDPAY_SECRET.into(),
            wechat_h5: true,
        }),
    }
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
    /// The gateways' sections: their switches are used as given; base URLs, merchant ids and
    /// secret names are the sandbox's and the credentials'. A gateway without a section is not offered.
    pub gateways: Gateways,
    /// Real connectors instead of the sandbox (`[demo] sandbox = false`): nothing is simulated.
    pub real_gateways: Option<BTreeMap<String, Arc<dyn Connector>>>,
    /// `POST /demo/orders` and the book behind it (`[demo] orders`).
    pub demo_orders: bool,
    /// Webhooks to a shop (`[webhooks]`), delivered every `webhook_tick`.
    pub webhooks: Option<Arc<wallet_checkout_server::webhooks::Webhooks>>,
    pub webhook_tick: Duration,
    /// Order lookup at a shop (`[orders] lookup_url`).
    pub lookup: Option<wallet_checkout_server::orders::Lookup>,
    /// `[limits]`; without the section, the defaults with no create limit (one person plays).
    pub limits: wallet_checkout_server::limits::Limits,
    /// `[checkout] return_origins` (empty: `public_url`'s origin).
    pub return_origins: Vec<String>,
    /// `[admin] listen` is set: the admin API is `Demo::admin`, not part of `Demo::router`.
    pub admin_apart: bool,
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
            gateways: default_gateways(),
            real_gateways: None,
            demo_orders: true,
            webhooks: None,
            webhook_tick: Duration::from_millis(250),
            lookup: None,
            limits: wallet_checkout_server::limits::Limits::without_create_limit(),
            return_origins: Vec::new(),
            admin_apart: false,
        })
    }
}

/// The demo: its router, the server's state and the sandbox (tests reach into both).
pub struct Demo {
    pub router: Router,
    /// The admin API alone, when `admin_apart` (to serve on `[admin] listen`).
    pub admin: Option<Router>,
    pub state: AppState,
    /// `None` only with real gateways.
    pub sandbox: Option<Sandbox>,
    /// The demo orders' book, when on.
    pub orders: Option<Arc<DemoOrders>>,
    /// The reconciliation task, if one was started.
    pub reconciler: Option<tokio::task::JoinHandle<()>>,
    /// The webhook delivery task, with `[webhooks]`.
    pub webhooks: Option<tokio::task::JoinHandle<()>>,
}

/// The sections pointed at the sandbox with the credentials, and the secrets they name.
fn sandboxed(o: &DemoOptions, sandbox: &Sandbox) -> Result<(Gateways, SecretMap), String> {
    let c = &o.credentials;
    let base = |g: &str| format!("{}/sandbox/{g}", o.public_url);
    let mut secrets = BTreeMap::new();
    let mut gateways = o.gateways.clone();
    if let Some(a) = gateways.alphapay.as_mut() {
        a.base_url = base("alphapay");
        a.merchant_code = c.alphapay_merchant_code.clone();
        a.private_key_env = ALPHAPAY_KEY.into();
        a.gateway_public_key_env = ALPHAPAY_GATEWAY_KEY.into();
        let private = c
            .alphapay_key
            .to_pkcs8_pem(LineEnding::LF)
            .map_err(|e| e.to_string())?;
        let public = sandbox
            .alphapay_public_key()
            .ok_or("the sandbox has no AlphaPay")?
            .to_public_key_pem(LineEnding::LF)
            .map_err(|e| e.to_string())?;
        secrets.insert(ALPHAPAY_KEY.to_string(), private.to_string());
        secrets.insert(ALPHAPAY_GATEWAY_KEY.to_string(), public);
    }
    if let Some(p) = gateways.pass2pay.as_mut() {
        p.base_url = base("pass2pay");
        p.mch_no = c.pass2pay_mch_no.clone();
        p.app_id = c.pass2pay_app_id.clone();
        p.secret_env = PASS2PAY_SECRET.into();
        secrets.insert(PASS2PAY_SECRET.to_string(), c.pass2pay_secret.clone());
    }
    if let Some(y) = gateways.yabandpay.as_mut() {
        y.base_url = base("yabandpay");
        y.user = c.yabandpay_user.clone();
        y.secret_env = YABANDPAY_SECRET.into();
        secrets.insert(YABANDPAY_SECRET.to_string(), c.yabandpay_secret.clone());
    }
    Ok((gateways, SecretMap(secrets)))
}

pub fn build(mut o: DemoOptions) -> Result<Demo, String> {
    let (connectors, sandbox) = match o.real_gateways.take() {
        Some(real) => (real, None),
        None => {
            let sandbox = match o.sandbox.take() {
                Some(s) => s,
                None => new_sandbox(&o)?,
            };
            let (gateways, secrets) = sandboxed(&o, &sandbox)?;
            let http = reqwest::Client::builder()
                .timeout(o.gateway_timeout)
                .build()
                .map_err(|e| e.to_string())?;
            let config = wallet_checkout_server::config::Config {
                listen: String::new(),
                public_url: o.public_url.clone(),
                store: String::new(),
                routing: BTreeMap::new(),
                gateways,
                demo: None,
                admin: None,
                frame: None,
                webhooks: None,
                orders: None,
                checkout: None,
                limits: None,
            };
            let connectors = config
                .connectors(&secrets, o.clock.clone(), http)
                .map_err(|e| e.to_string())?;
            (connectors, Some(sandbox))
        }
    };
    for (wallet, gateway) in &o.routing {
        if !connectors.contains_key(gateway) {
            return Err(format!(
                "[routing] sends {wallet} to {gateway:?}, which has no [gateways.{gateway}] section"
            ));
        }
    }
    let book = o.demo_orders.then(|| Arc::new(DemoOrders::default()));
    let orders: Arc<dyn OrderSource> = match &book {
        Some(b) => b.clone(),
        None => Arc::new(NoOrders),
    };
    let state = AppState::new(Inner {
        store: o.store,
        orders,
        connectors,
        routing: o.routing,
        clock: o.clock,
        hub: wallet_checkout_server::hub::Hub::with_cap(o.limits.streams_per_session),
        public_url: o.public_url,
        idempotency_locks: Default::default(),
        admin_token: o.admin_token,
        webhooks: o.webhooks,
        lookup: o.lookup,
        limits: o.limits,
        return_origins: o.return_origins,
    });
    wallet_checkout_server::watch_store(&state);
    let reconciler = o
        .reconcile
        .map(|config| wallet_checkout_server::reconcile::spawn(state.clone(), config));
    let webhooks = wallet_checkout_server::webhooks::spawn(state.clone(), o.webhook_tick);
    let (mut router, admin) = if o.admin_apart {
        (
            wallet_checkout_server::public_app(state.clone()),
            Some(wallet_checkout_server::admin_app(state.clone())),
        )
    } else {
        (app(state.clone()), None)
    };
    if let Some(b) = &book {
        router = router.merge(orders::router(b.clone()));
    }
    if let Some(s) = &sandbox {
        router = router.merge(s.router());
    }
    if let Some(dir) = o.site {
        router = router.merge(frame::router(frame::FramePage {
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
        admin,
        state,
        sandbox,
        orders: book,
        reconciler,
        webhooks,
    })
}

fn new_sandbox(o: &DemoOptions) -> Result<Sandbox, String> {
    let c = &o.credentials;
    let clock = o.clock.clone();
    Sandbox::new(SandboxOptions {
        public_url: o.public_url.clone(),
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
        clock: Arc::new(move || clock.now()),
        time_scale: o.time_scale,
    })
    .map_err(|e| e.to_string())
}
