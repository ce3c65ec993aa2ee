//! The composition root: `build` makes the whole server from a `Config`, its secrets, a clock and
//! optional extras. `wallet-checkout-server`, `wallet-checkout-demo` and the integration tests all
//! call it, so the wiring the tests exercise is the wiring production runs.

use std::collections::BTreeMap;
use std::sync::Arc;
use std::time::Duration;

use axum::Router;

use crate::config::{Config, Secrets};
use crate::core::clock::Clock;
use crate::core::hub::Hub;
use crate::gateway::Connector;
use crate::http::serve;
use crate::orders::{NoOrders, OrderSource};
use crate::store::Store;
use crate::workers::reconcile::ReconcileConfig;
use crate::{AppState, Inner};

/// What a binary or a test adds to what the config says. `Extras::default()` is the production
/// server's: nothing added.
pub struct Extras {
    /// Where orders come from besides the store (the shop's `PUT`s): an embedder's database, the
    /// demo's book. Default: nowhere.
    pub orders: Arc<dyn OrderSource>,
    /// Routes served beside the server's own on the public listener (the demo's sandbox, its
    /// orders and its shop). A router with a fallback is the public listener's fallback.
    pub routes: Router,
    /// This store instead of opening `config.store` (two test instances sharing one database).
    pub store: Option<Arc<dyn Store>>,
    /// These connectors instead of the ones `config.gateways` makes (a test's gateway on a port).
    pub connectors: Option<BTreeMap<String, Arc<dyn Connector>>>,
    /// Background reconciliation; `None`: none (tests that drive it themselves).
    pub reconcile: Option<ReconcileConfig>,
    /// How often the webhook worker looks for due deliveries.
    pub webhook_tick: Duration,
    /// The gateways' HTTP timeout.
    pub gateway_timeout: Duration,
    /// These limits instead of the config's (the demo without `[limits]`: no create limit, one
    /// person plays).
    pub limits: Option<crate::http::limits::Limits>,
}

impl Default for Extras {
    fn default() -> Extras {
        Extras {
            orders: Arc::new(NoOrders),
            routes: Router::new(),
            store: None,
            connectors: None,
            reconcile: Some(ReconcileConfig::default()),
            webhook_tick: Duration::from_millis(250),
            gateway_timeout: Duration::from_secs(15),
            limits: None,
        }
    }
}

/// A built server, not yet listening, its background work not started.
pub struct App {
    pub state: AppState,
    /// The public listener's routes (with the admin API unless `[admin] listen` is set).
    pub router: Router,
    /// The admin API alone, for `[admin] listen`.
    pub admin: Option<Router>,
    /// The background work, started by `start` once the server listens.
    background: Option<(Option<ReconcileConfig>, Duration)>,
}

impl App {
    /// Starts the background work: other instances' changes heard (`watch_store`), reconciliation
    /// and webhook delivery. Call it once the listeners are bound, so a server that cannot bind
    /// never claims a webhook or a lease. Answers the tasks (aborting them is a crash); a second
    /// call starts nothing.
    pub fn start(&mut self) -> Vec<tokio::task::JoinHandle<()>> {
        let Some((reconcile, webhook_tick)) = self.background.take() else {
            return Vec::new();
        };
        crate::watch_store(&self.state);
        let mut tasks = Vec::new();
        if let Some(r) = reconcile {
            tasks.push(crate::workers::reconcile::spawn(self.state.clone(), r));
        }
        tasks.extend(crate::workers::webhooks::spawn(
            self.state.clone(),
            webhook_tick,
        ));
        tasks
    }
}

/// Logs to stderr as `[log] format` says: text for a person, or one JSON object per line for a log
/// pipeline (`timestamp`, `level`, `target`, the message and the event's fields at the top level:
/// `session`, `order`, `gateway`, …; never a secret or a payment code, which no event carries).
/// `RUST_LOG` filters as usual (default `info`).
pub fn init_logging(format: crate::config::LogFormat) {
    use tracing_subscriber::EnvFilter;
    let filter = EnvFilter::try_from_default_env().unwrap_or_else(|_| EnvFilter::new("info"));
    let builder = tracing_subscriber::fmt()
        .with_env_filter(filter)
        .with_writer(std::io::stderr);
    match format {
        crate::config::LogFormat::Text => builder.init(),
        crate::config::LogFormat::Json => builder
            .json()
            .flatten_event(true)
            .with_current_span(false)
            .init(),
    }
}

/// What the config says that needs the secrets but neither the store nor a gateway, checked:
/// `build` takes it from `check`, and a binary that binds before it builds calls `check` first.
pub struct Checked {
    pub routing: BTreeMap<wallet_checkout_protocol::Wallet, String>,
    pub admin_token: Option<String>,
    pub frame: Option<crate::http::frame::FramePage>,
    pub widget: Option<crate::http::widget::WidgetFiles>,
    pub webhooks: Option<Arc<crate::workers::webhooks::Webhooks>>,
    pub lookup: Option<crate::orders::Lookup>,
    pub limits: crate::http::limits::Limits,
    pub return_origins: Vec<String>,
    pub require_client_secret: bool,
    pub allowed_origins: Vec<String>,
    pub payment_code_wait: Option<std::time::Duration>,
}

/// What a shop's config leaves out that it most likely meant to have, each a line saying what
/// follows and what to add; the production server logs them at start (a rehearsal too).
pub fn warnings(config: &Config) -> Vec<String> {
    let mut out = Vec::new();
    if config.routing.is_empty() {
        out.push("no [routing]: every wallet answers wallet_unavailable (\"not offered\"); add e.g. [routing] alipay = \"alphapay\" naming a configured [gateways.…] section".into());
    }
    if config.webhooks.is_none() {
        out.push("no [webhooks]: the shop's backend hears of no payment (GET /admin/events still lists every event); add [webhooks] url and secret_env".into());
    }
    if crate::urls::is_loopback(&config.public_url) {
        out.push(format!(
            "public_url {:?} is this machine: gateways cannot notify it and wallets cannot send shoppers back to it; set the https address the internet reaches",
            config.public_url
        ));
    }
    out
}

/// The routing's wallets, the admin token, `[frame]`, the webhooks and the order lookup, the limits
/// and the return origins, checked and made.
pub fn check(config: &Config, secrets: &dyn Secrets) -> Result<Checked, String> {
    let (webhooks, lookup) = config.shop_links(secrets).map_err(|e| e.to_string())?;
    let widget = config.widget.as_ref().map(|w| w.checked()).transpose()?;
    // With the widget's files here and no `[frame]`, the iframe page is the same folder's.
    let frame = match (&config.frame, &widget) {
        (Some(f), _) => Some(f.checked()?),
        (None, Some(w)) => Some(crate::http::frame::FramePage {
            page: w.dir.join("frame.html"),
            ancestors: Vec::new(),
        }),
        (None, None) => None,
    };
    Ok(Checked {
        routing: config.routing_table().map_err(|e| e.to_string())?,
        admin_token: config.admin_token(secrets).map_err(|e| e.to_string())?,
        frame,
        widget,
        webhooks,
        lookup,
        limits: config.limits()?,
        return_origins: config.return_origins()?,
        require_client_secret: config.require_client_secret(),
        allowed_origins: config.allowed_origins()?,
        payment_code_wait: config.payment_code_wait()?,
    })
}

/// Builds the server `config` describes: every check of the config, the store, the connectors,
/// the shop's links, then the state and the routers. Nothing is bound and nothing runs yet
/// (`App::start`).
pub async fn build(
    config: &Config,
    secrets: &dyn Secrets,
    clock: Arc<dyn Clock>,
    extras: Extras,
) -> Result<App, String> {
    let connectors = match extras.connectors {
        Some(c) => c,
        None => {
            let http =
                crate::gateway::http_client(extras.gateway_timeout).map_err(|e| e.to_string())?;
            config
                .connectors(secrets, clock.clone(), http)
                .map_err(|e| e.to_string())?
        }
    };
    // Every gateway call timed and its failures counted, whichever connector it is.
    let connectors: BTreeMap<String, Arc<dyn Connector>> = connectors
        .into_iter()
        .map(|(name, c)| {
            let metered: Arc<dyn Connector> = Arc::new(crate::gateway::metered::Metered(c));
            (name, metered)
        })
        .collect();
    let Checked {
        routing,
        admin_token,
        frame,
        widget,
        webhooks,
        lookup,
        limits,
        return_origins,
        require_client_secret,
        allowed_origins,
        payment_code_wait,
    } = check(config, secrets)?;
    if !require_client_secret {
        tracing::warn!("[checkout] require_client_secret = false: anyone who knows an order's reference can create sessions for it, closing the shopper's live one");
    }
    for (wallet, gateway) in &routing {
        if !connectors.contains_key(gateway) {
            return Err(format!(
                "[routing] sends {wallet} to {gateway:?}, which has no [gateways.{gateway}] section"
            ));
        }
    }
    let limits = extras.limits.unwrap_or(limits);
    let store = match extras.store {
        Some(s) => s,
        None => {
            if config.store == "memory" {
                tracing::warn!("store = \"memory\": every session, order, refund and undelivered webhook is lost at restart, and a later notification of a paid order is refused as unknown; use sqlite://PATH or postgres://… for a shop");
            }
            crate::store::open(&config.store)
                .await
                .map_err(|e| e.to_string())?
        }
    };
    let state = AppState::new(Inner {
        store,
        orders: extras.orders,
        connectors,
        routing,
        clock,
        hub: Hub::with_cap(limits.streams_per_session),
        public_url: config.public_url.trim_end_matches('/').to_string(),
        idempotency_locks: Default::default(),
        closing: Default::default(),
        instance: format!("in_{}", crate::core::domain::random_id(12)),
        admin_token,
        webhooks,
        lookup,
        limits,
        return_origins,
        require_client_secret,
        payment_code_wait,
        allowed_origins: crate::http::cors::AllowedOrigins(Arc::new(allowed_origins)),
    });
    let apart = config.admin.as_ref().is_some_and(|a| a.listen.is_some());
    let (mut router, admin) = if apart {
        (
            crate::http::public_app(state.clone()),
            Some(crate::http::admin_app(state.clone())),
        )
    } else {
        (crate::http::app(state.clone()), None)
    };
    if let Some(frame) = frame {
        router = router.merge(crate::http::frame::router(frame));
    }
    if let Some(widget) = &widget {
        router = router.merge(crate::http::widget::router(widget));
    }
    router = router.merge(extras.routes);
    Ok(App {
        state,
        router,
        admin,
        background: Some((extras.reconcile, extras.webhook_tick)),
    })
}

/// The listeners a built server is served on: `main` (bound by the caller, which may need its
/// address before building) with `router`, and `[admin] listen`, bound here, with `admin`. Prints
/// where the admin API answers.
pub async fn listeners(
    config: &Config,
    main: tokio::net::TcpListener,
    router: Router,
    admin: Option<Router>,
) -> Result<Vec<serve::Listener>, String> {
    let mut out = Vec::new();
    let admin_listen = config.admin.as_ref().and_then(|a| a.listen.clone());
    if let (Some(addr), Some(router)) = (admin_listen, admin) {
        let bound = tokio::net::TcpListener::bind(&addr)
            .await
            .map_err(|e| format!("[admin] cannot listen on {addr}: {e}"))?;
        let at = bound.local_addr().map_err(|e| e.to_string())?;
        println!("wallet-checkout admin API at http://{at}/admin/");
        out.push(serve::Listener {
            listener: bound,
            router,
        });
    }
    out.push(serve::Listener {
        listener: main,
        router,
    });
    Ok(out)
}
