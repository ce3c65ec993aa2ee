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
use rsa::pkcs8::{EncodePrivateKey, LineEnding};
use rsa::RsaPrivateKey;
use tower_http::services::{ServeDir, ServeFile};
use wallet_checkout_protocol::Wallet;
use wallet_checkout_sandbox::{
    AlphaPayMerchant, Pass2PayMerchant, Sandbox, SandboxOptions, YabandPayMerchant,
};
use wallet_checkout_server::config::{Admin, Config, FrameConfig, Gateways, SecretMap};
use wallet_checkout_server::core::clock::Clock;
use wallet_checkout_server::core::domain::random_id;
use wallet_checkout_server::gateway::alphapay::AlphaPayConfig;
use wallet_checkout_server::gateway::pass2pay::{default_client_ip, Pass2PayConfig};
use wallet_checkout_server::gateway::yabandpay::YabandPayConfig;
use wallet_checkout_server::orders::{NoOrders, OrderSource};
use wallet_checkout_server::store::{MemoryStore, Store};
use wallet_checkout_server::workers::reconcile::ReconcileConfig;
use wallet_checkout_server::workers::webhooks::WebhooksConfig;
use wallet_checkout_server::{AppState, Extras};

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

/// The name the demo's admin token goes by when a test or the demo sets one (`DemoOptions::admin`).
pub const ADMIN_TOKEN_ENV: &str = "DEMO_ADMIN_TOKEN";
/// The name the webhook secret goes by when a test sets one (`DemoOptions::webhooks`).
pub const WEBHOOK_SECRET_ENV: &str = "DEMO_WEBHOOK_SECRET";

/// The server's config for a demo at `public_url`: the contract's example routing, every gateway's
/// section (pointed at the sandbox by `build`), the store in memory, and no `[limits]` (the demo
/// then has no create limit: one person plays; a `[limits]` section in a rehearsed config puts it
/// back).
pub fn demo_config(public_url: &str) -> Config {
    Config {
        listen: String::new(),
        public_url: public_url.trim_end_matches('/').to_string(),
        store: "memory".into(),
        routing: default_routing()
            .into_iter()
            .map(|(w, g)| (w.as_str().to_string(), g))
            .collect(),
        gateways: default_gateways(),
        demo: None,
        admin: None,
        frame: None,
        widget: None,
        webhooks: None,
        log: Default::default(),
        orders: None,
        // The counter's flow on: the demo's cashier page scans payment codes.
        checkout: Some(wallet_checkout_server::config::CheckoutSection {
            payment_code: true,
            ..Default::default()
        }),
        limits: None,
    }
}

pub struct DemoOptions {
    /// The server's config, as a file would give it: the composition root builds the server from
    /// it exactly as `wallet-checkout-server` does. Unless `real_gateways`, `build` points its
    /// gateway sections at the sandbox and fills in the credentials.
    pub config: Config,
    /// Secrets the config names, held in memory (the environment for any other name).
    pub secrets: SecretMap,
    pub clock: Arc<dyn Clock>,
    /// The built demo shop (`cargo xtask dist`'s `dist/`), served at `/`; its `frame.html` is the
    /// iframe page at `/api/checkout/frame`.
    pub site: Option<PathBuf>,
    /// This store instead of the config's (two instances sharing one database, a restart).
    pub store: Option<Arc<dyn Store>>,
    /// `None`: no background reconciliation (tests that drive it themselves).
    pub reconcile: Option<ReconcileConfig>,
    /// Gateway time per real time for the sandbox's notification retries.
    pub time_scale: u32,
    pub credentials: Credentials,
    /// The connectors' HTTP timeout.
    pub gateway_timeout: Duration,
    /// Reuse this sandbox (with the same credentials) instead of starting one: a server restart.
    pub sandbox: Option<Sandbox>,
    /// Real connectors, made from the config's gateways (`[demo] sandbox = false`): nothing is
    /// simulated.
    pub real_gateways:
        Option<BTreeMap<String, Arc<dyn wallet_checkout_server::gateway::Connector>>>,
    /// `POST /demo/orders` and the book behind it (`[demo] orders`).
    pub demo_orders: bool,
    /// How often due webhooks are looked for.
    pub webhook_tick: Duration,
    /// Where the sandbox's pages and API are (the shopper's browser opens them, the connectors
    /// call them); `None`: the config's `public_url`. A rehearsal keeps its `public_url` for the
    /// notifications (through the shop's proxy) and the sandbox at the bound address.
    pub sandbox_url: Option<String>,
    /// `[limits]` as production applies it, the contract's defaults when the section is absent (a
    /// rehearsal); otherwise a demo without the section has no create limit (one person plays).
    pub production_limits: bool,
}

impl DemoOptions {
    pub fn new(public_url: &str, clock: Arc<dyn Clock>) -> Result<DemoOptions, String> {
        Ok(DemoOptions {
            config: demo_config(public_url),
            secrets: SecretMap::default(),
            clock,
            site: None,
            store: Some(Arc::new(MemoryStore::default())),
            reconcile: Some(ReconcileConfig::default()),
            time_scale: 1,
            credentials: Credentials::generate()?,
            gateway_timeout: Duration::from_secs(15),
            sandbox: None,
            real_gateways: None,
            demo_orders: true,
            webhook_tick: Duration::from_millis(250),
            sandbox_url: None,
            production_limits: false,
        })
    }

    /// The admin API on, with this bearer token (`[admin] token_env`).
    pub fn admin(&mut self, token: &str) {
        self.config.admin = Some(Admin {
            token_env: ADMIN_TOKEN_ENV.into(),
            listen: None,
        });
        self.secrets
            .0
            .insert(ADMIN_TOKEN_ENV.into(), token.to_string());
    }

    /// Webhooks to `url`, signed with `secret`, retried after `retry_secs` (`[webhooks]`).
    pub fn webhooks(&mut self, url: &str, secret: &str, retry_secs: &[u64]) {
        self.config.webhooks = Some(WebhooksConfig {
            url: url.to_string(),
            secret_env: WEBHOOK_SECRET_ENV.into(),
            retry_secs: retry_secs.to_vec(),
            timeout_secs: 5,
        });
        self.secrets
            .0
            .insert(WEBHOOK_SECRET_ENV.into(), secret.to_string());
    }

    /// Every wallet on one gateway (`[routing]`).
    pub fn route_all_to(&mut self, gateway: &str) {
        self.config.routing = Wallet::ALL
            .into_iter()
            .map(|w| (w.as_str().to_string(), gateway.to_string()))
            .collect();
    }
}

/// The demo: the built server (its routers, state and background work) and the sandbox.
pub struct Demo {
    /// The public listener's routes: the server's, the sandbox's, the demo orders' and the shop.
    pub router: Router,
    /// The admin API alone, with `[admin] listen`.
    pub admin: Option<Router>,
    pub state: AppState,
    /// `None` only with real gateways.
    pub sandbox: Option<Sandbox>,
    /// The demo orders' book, when on.
    pub orders: Option<Arc<DemoOrders>>,
    /// Reconciliation and webhook delivery, as started. Aborting them is a crash.
    pub tasks: Vec<tokio::task::JoinHandle<()>>,
    /// The config the server was built from (the gateways pointed at the sandbox).
    pub config: Config,
}

/// The config's gateway sections pointed at the sandbox with the credentials, and the secrets
/// they name. Every gateway is offered (any routing can be rehearsed); a rehearsed config's
/// switches are kept.
fn sandboxed(o: &DemoOptions, sandbox: &Sandbox) -> Result<(Gateways, SecretMap), String> {
    let c = &o.credentials;
    let at = sandbox_url(o);
    let base = |g: &str| format!("{at}/sandbox/{g}");
    let mut secrets = o.secrets.clone();
    let mut gateways = default_gateways();
    let theirs = &o.config.gateways;
    if let (Some(mine), Some(theirs)) = (gateways.alphapay.as_mut(), &theirs.alphapay) {
        mine.desktop_page = theirs.desktop_page;
        mine.wechat_jsapi = theirs.wechat_jsapi;
    }
    if let (Some(mine), Some(theirs)) = (gateways.pass2pay.as_mut(), &theirs.pass2pay) {
        mine.client_ip = theirs.client_ip.clone();
        mine.wechat_h5 = theirs.wechat_h5;
        mine.desktop_page = theirs.desktop_page;
    }
    if let (Some(mine), Some(theirs)) = (gateways.yabandpay.as_mut(), &theirs.yabandpay) {
        mine.wechat_h5 = theirs.wechat_h5;
    }
    if let Some(a) = gateways.alphapay.as_mut() {
        a.base_url = base("alphapay");
        a.merchant_code = c.alphapay_merchant_code.clone();
        let private = c
            .alphapay_key
            .to_pkcs8_pem(LineEnding::LF)
            .map_err(|e| e.to_string())?;
        let public = sandbox
            .alphapay_public_key_pem()
            .ok_or("the sandbox has no AlphaPay key")?;
        secrets
            .0
            .insert(ALPHAPAY_KEY.to_string(), private.to_string());
        secrets.0.insert(ALPHAPAY_GATEWAY_KEY.to_string(), public);
    }
    if let Some(p) = gateways.pass2pay.as_mut() {
        p.base_url = base("pass2pay");
        p.mch_no = c.pass2pay_mch_no.clone();
        p.app_id = c.pass2pay_app_id.clone();
        secrets
            .0
            .insert(PASS2PAY_SECRET.to_string(), c.pass2pay_secret.clone());
    }
    if let Some(y) = gateways.yabandpay.as_mut() {
        y.base_url = base("yabandpay");
        y.user = c.yabandpay_user.clone();
        secrets
            .0
            .insert(YABANDPAY_SECRET.to_string(), c.yabandpay_secret.clone());
    }
    Ok((gateways, secrets))
}

/// Builds the demo through the composition root (`wallet_checkout_server::build`): the config,
/// with the sandbox's routes, the demo orders and the shop as extras.
pub async fn build(mut o: DemoOptions) -> Result<Demo, String> {
    let real = o.real_gateways.take();
    let (mut config, secrets, sandbox) = if real.is_some() {
        (o.config.clone(), o.secrets.clone(), None)
    } else {
        let sandbox = match o.sandbox.take() {
            Some(s) => s,
            None => new_sandbox(&o)?,
        };
        let (gateways, secrets) = sandboxed(&o, &sandbox)?;
        let mut config = o.config.clone();
        config.gateways = gateways;
        (config, secrets, Some(sandbox))
    };
    let book = o.demo_orders.then(|| Arc::new(DemoOrders::default()));
    let orders: Arc<dyn OrderSource> = match &book {
        Some(b) => b.clone(),
        None => Arc::new(NoOrders),
    };
    let mut routes = Router::new();
    if let Some(b) = &book {
        routes = routes.merge(orders::router(b.clone()));
    }
    if let Some(s) = &sandbox {
        routes = routes.merge(s.router());
    }
    if let Some(dir) = &o.site {
        // The shop's iframe page, with the config's ancestors.
        let ancestors = config
            .frame
            .as_ref()
            .map(|f| f.ancestors.clone())
            .unwrap_or_default();
        config.frame = Some(FrameConfig {
            page: dir.join("frame.html"),
            ancestors,
        });
        // Only through the route, with its CSP: never as a plain file that any site could frame.
        routes = routes.route(
            "/frame.html",
            axum::routing::get(|| async { axum::http::StatusCode::NOT_FOUND }),
        );
        let index = dir.join("index.html");
        // The compressed copies `cargo xtask dist` writes beside each release file, as a shop's
        // static host would send them.
        routes = routes.fallback_service(
            ServeDir::new(dir)
                .precompressed_br()
                .precompressed_gzip()
                .fallback(ServeFile::new(index)),
        );
    }
    // Without `[limits]`: the contract's defaults, but no create limit (unless a rehearsal).
    let limits = (!o.production_limits && config.limits.is_none())
        .then(wallet_checkout_server::http::limits::Limits::without_create_limit);
    let extras = Extras {
        limits,
        orders,
        routes,
        store: o.store.take(),
        connectors: real,
        reconcile: o.reconcile.take(),
        webhook_tick: o.webhook_tick,
        gateway_timeout: o.gateway_timeout,
    };
    let mut app = wallet_checkout_server::build(&config, &secrets, o.clock.clone(), extras).await?;
    // The demo's address is bound before it is built (the sandbox's links need it).
    let tasks = app.start();
    Ok(Demo {
        router: app.router,
        admin: app.admin,
        state: app.state,
        sandbox,
        orders: book,
        tasks,
        config,
    })
}

fn sandbox_url(o: &DemoOptions) -> String {
    o.sandbox_url
        .as_deref()
        .unwrap_or(&o.config.public_url)
        .trim_end_matches('/')
        .to_string()
}

fn new_sandbox(o: &DemoOptions) -> Result<Sandbox, String> {
    let c = &o.credentials;
    let clock = o.clock.clone();
    Sandbox::new(SandboxOptions {
        public_url: sandbox_url(o),
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
