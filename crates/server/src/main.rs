//! `wallet-checkout-server --config FILE`: the production merchant server. It has no sandbox and no
//! demo code; a config with a `[demo]` section is refused (that is `wallet-checkout-demo`'s).

use std::path::PathBuf;
use std::process::ExitCode;
use std::sync::Arc;
use std::time::Duration;

use tracing_subscriber::EnvFilter;
use wallet_checkout_server::clock::{Clock, SystemClock};
use wallet_checkout_server::config::{Config, Env};
use wallet_checkout_server::hub::Hub;
use wallet_checkout_server::reconcile::{self, ReconcileConfig};
use wallet_checkout_server::{
    admin_app, app, orders, public_app, serve, store, webhooks, AppState, Inner,
};

const USAGE: &str = "usage: wallet-checkout-server --config FILE

  --config FILE  run as FILE says (TOML; see docs/protocol.md, \"The reference server's
                 configuration\"); secrets come from the environment variables it names

This is the production server: it talks to real gateways only. The demo shop and the
gateway sandbox are the separate binary wallet-checkout-demo (cargo xtask demo).";

/// Parses the arguments: the config's path, or what is wrong (empty: print the usage only).
fn parse_args(args: impl IntoIterator<Item = String>) -> Result<PathBuf, String> {
    let mut config = None;
    let mut it = args.into_iter();
    while let Some(a) = it.next() {
        match a.as_str() {
            "--config" => config = Some(it.next().ok_or("--config needs a file")?.into()),
            "-h" | "--help" => return Err(String::new()),
            other => return Err(format!("unknown argument {:?}", other)),
        }
    }
    config.ok_or_else(String::new)
}

#[tokio::main]
async fn main() -> ExitCode {
    tracing_subscriber::fmt()
        .with_env_filter(
            EnvFilter::try_from_default_env().unwrap_or_else(|_| EnvFilter::new("info")),
        )
        .with_writer(std::io::stderr)
        .init();
    let path = match parse_args(std::env::args().skip(1)) {
        Ok(p) => p,
        Err(e) => {
            if e.is_empty() {
                eprintln!("{USAGE}");
            } else {
                eprintln!("error: {e} (--help for usage)");
            }
            return ExitCode::from(2);
        }
    };
    // Everything that can be wrong with the config is found before anything is bound.
    let (state, listeners, holder) = match start(&path).await {
        Ok(s) => s,
        Err(e) => {
            eprintln!("error: {e}");
            return ExitCode::from(2);
        }
    };
    wallet_checkout_server::watch_store(&state);
    reconcile::spawn(
        state.clone(),
        ReconcileConfig {
            holder: Some(holder),
            ..ReconcileConfig::default()
        },
    );
    webhooks::spawn(state.clone(), Duration::from_millis(250));
    serve::until_signal(state, listeners).await;
    ExitCode::SUCCESS
}

/// The state, the listeners, and this instance's name in reconciliation's leases (its listening
/// address on this host: a restart takes its own leases back at once).
async fn start(path: &std::path::Path) -> Result<(AppState, Vec<serve::Listener>, String), String> {
    let config = Config::load(path).map_err(|e| e.to_string())?;
    let clock: Arc<dyn Clock> = Arc::new(SystemClock);
    let http = reqwest::Client::builder()
        .timeout(Duration::from_secs(15))
        .build()
        .map_err(|e| e.to_string())?;
    let connectors = config
        .connectors(&Env, clock.clone(), http)
        .map_err(|e| e.to_string())?;
    let admin_token = config.admin_token().map_err(|e| e.to_string())?;
    let routing = config.routing_table().map_err(|e| e.to_string())?;
    let frame = config.frame.as_ref().map(|f| f.checked()).transpose()?;
    let (webhooks, lookup) = config.shop_links(&Env).map_err(|e| e.to_string())?;
    let limits = config.limits()?;
    let return_origins = config.return_origins()?;
    let store = store::open(&config.store)
        .await
        .map_err(|e| e.to_string())?;
    let state = AppState::new(Inner {
        store,
        // Orders come from the shop's backend (`PUT /admin/orders/{reference}`, kept in the store).
        orders: Arc::new(orders::NoOrders),
        connectors,
        routing,
        clock,
        hub: Hub::with_cap(limits.streams_per_session),
        public_url: config.public_url.trim_end_matches('/').to_string(),
        idempotency_locks: Default::default(),
        admin_token,
        webhooks,
        lookup,
        limits,
        return_origins,
    });
    let admin_listen = config.admin.as_ref().and_then(|a| a.listen.clone());
    let mut router = match &admin_listen {
        Some(_) => public_app(state.clone()),
        None => app(state.clone()),
    };
    if let Some(frame) = frame {
        router = router.merge(wallet_checkout_server::frame::router(frame));
    }
    let mut listeners = Vec::new();
    if let Some(addr) = &admin_listen {
        let admin = tokio::net::TcpListener::bind(addr)
            .await
            .map_err(|e| format!("[admin] cannot listen on {addr}: {e}"))?;
        let bound = admin.local_addr().map_err(|e| e.to_string())?;
        println!("wallet-checkout admin API at http://{bound}/admin/");
        listeners.push(serve::Listener {
            listener: admin,
            router: admin_app(state.clone()),
        });
    }
    let listener = tokio::net::TcpListener::bind(&config.listen)
        .await
        .map_err(|e| format!("cannot listen on {}: {e}", config.listen))?;
    let addr = listener.local_addr().map_err(|e| e.to_string())?;
    println!("wallet-checkout server running at http://{addr}/");
    listeners.push(serve::Listener { listener, router });
    let host = std::fs::read_to_string("/proc/sys/kernel/hostname")
        .map(|h| h.trim().to_string())
        .unwrap_or_else(|_| "host".into());
    Ok((state, listeners, format!("{}@{host}", config.listen)))
}
