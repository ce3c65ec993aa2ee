//! `wallet-checkout-server`: runs the merchant server from `--config PATH`, or the demo (server + sandbox + shop) without one.

use std::net::SocketAddr;
use std::path::PathBuf;
use std::process::ExitCode;
use std::sync::Arc;

use std::time::Duration;

use tracing_subscriber::EnvFilter;
use wallet_checkout_server::clock::{Clock, SystemClock};
use wallet_checkout_server::config::Config;
use wallet_checkout_server::reconcile::{self, ReconcileConfig};
use wallet_checkout_server::{app, orders, store, AppState, Inner};

const USAGE: &str = "usage: wallet-checkout-server [--config PATH] [--site DIR]

  --config PATH  run as configured (see docs/protocol.md); with [demo] sandbox = true
                 every gateway is the built-in sandbox
  --site DIR     serve this folder at / (the demo shop; demo mode only)

Without --config the server runs the demo: the sandbox gateways on the same port,
demo orders enabled, listening on 127.0.0.1:$PORT (default 8080; 0 picks a free port).";

struct Args {
    config: Option<PathBuf>,
    site: Option<PathBuf>,
}

fn parse_args() -> Result<Args, String> {
    let mut args = Args {
        config: None,
        site: None,
    };
    let mut it = std::env::args().skip(1);
    while let Some(a) = it.next() {
        match a.as_str() {
            "--config" => args.config = Some(it.next().ok_or("--config needs a path")?.into()),
            "--site" => args.site = Some(it.next().ok_or("--site needs a folder")?.into()),
            "-h" | "--help" => return Err(String::new()),
            other => return Err(format!("unknown argument {other:?}")),
        }
    }
    Ok(args)
}

#[tokio::main]
async fn main() -> ExitCode {
    tracing_subscriber::fmt()
        .with_env_filter(
            EnvFilter::try_from_default_env().unwrap_or_else(|_| EnvFilter::new("info")),
        )
        .with_writer(std::io::stderr)
        .init();
    let args = match parse_args() {
        Ok(a) => a,
        Err(e) => {
            if !e.is_empty() {
                eprintln!("error: {e}\n");
            }
            eprintln!("{USAGE}");
            return ExitCode::from(2);
        }
    };
    match run(args).await {
        Ok(()) => ExitCode::SUCCESS,
        Err(e) => {
            eprintln!("error: {e}");
            ExitCode::FAILURE
        }
    }
}

async fn run(args: Args) -> Result<(), String> {
    match args.config {
        None => run_demo(None, args.site).await,
        Some(path) => {
            let config = Config::load(&path).map_err(|e| e.to_string())?;
            if config.demo.sandbox {
                return run_demo(Some(config), args.site).await;
            }
            if args.site.is_some() {
                return Err("--site is for the demo only".into());
            }
            run_configured(config).await
        }
    }
}

async fn serve(listener: tokio::net::TcpListener, router: axum::Router) -> Result<(), String> {
    axum::serve(listener, router)
        .with_graceful_shutdown(async {
            let _ = tokio::signal::ctrl_c().await;
        })
        .await
        .map_err(|e| e.to_string())
}

/// Against real gateways, exactly as the config says.
async fn run_configured(config: Config) -> Result<(), String> {
    let clock: Arc<dyn Clock> = Arc::new(SystemClock);
    let http = reqwest::Client::builder()
        .timeout(Duration::from_secs(15))
        .build()
        .map_err(|e| e.to_string())?;
    let connectors = config
        .connectors(clock.clone(), http)
        .map_err(|e| e.to_string())?;
    let store = store::open(&config.store).map_err(|e| e.to_string())?;
    let demo_orders = config
        .demo
        .orders
        .then(|| Arc::new(orders::DemoOrders::default()));
    let order_source: Arc<dyn orders::OrderSource> = match &demo_orders {
        Some(d) => d.clone(),
        None => {
            tracing::warn!("no order source: this binary knows demo orders only; embed the library with your own OrderSource");
            Arc::new(orders::NoOrders)
        }
    };
    let state = AppState::new(Inner {
        store,
        orders: order_source,
        demo_orders,
        connectors,
        routing: config.routing_table().map_err(|e| e.to_string())?,
        clock,
        hub: Default::default(),
        public_url: config.public_url.trim_end_matches('/').to_string(),
        idempotency_locks: Default::default(),
        admin_token: config.admin_token().map_err(|e| e.to_string())?,
    });
    reconcile::spawn(state.clone(), ReconcileConfig::default());
    let listener = tokio::net::TcpListener::bind(&config.listen)
        .await
        .map_err(|e| format!("cannot listen on {}: {e}", config.listen))?;
    let addr = listener.local_addr().map_err(|e| e.to_string())?;
    println!("wallet-checkout server running at http://{addr}/");
    let mut router = app(state);
    if let Some(frame) = &config.frame {
        router = router.merge(wallet_checkout_server::frame::router(frame.checked()?));
    }
    serve(listener, router).await
}

#[cfg(feature = "sandbox")]
async fn run_demo(config: Option<Config>, site: Option<PathBuf>) -> Result<(), String> {
    use wallet_checkout_server::demo::{self, DemoOptions};
    let listen = match (&config, std::env::var("PORT")) {
        (Some(c), _) => c.listen.clone(),
        (None, Ok(p)) => {
            let port: u16 = p
                .parse()
                .map_err(|_| format!("PORT={p:?} is not a port number"))?;
            SocketAddr::from(([127, 0, 0, 1], port)).to_string()
        }
        (None, Err(_)) => "127.0.0.1:8080".to_string(),
    };
    let listener = tokio::net::TcpListener::bind(&listen)
        .await
        .map_err(|e| format!("cannot listen on {listen}: {e}"))?;
    let addr = listener.local_addr().map_err(|e| e.to_string())?;
    let public_url = format!("http://{addr}");
    let clock: Arc<dyn Clock> = Arc::new(SystemClock);
    let mut options = DemoOptions::new(&public_url, clock)?;
    options.site = site;
    if let Some(c) = &config {
        let routing = c.routing_table().map_err(|e| e.to_string())?;
        if !routing.is_empty() {
            options.routing = routing;
        }
        options.store = store::open(&c.store).map_err(|e| e.to_string())?;
        options.admin_token = c.admin_token().map_err(|e| e.to_string())?;
        if let Some(frame) = &c.frame {
            options.frame_ancestors = frame.checked()?.ancestors;
        }
        options.credentials = credentials_from(c, options.credentials)?;
        if let Some(a) = &c.gateways.alphapay {
            options.alphapay_desktop_page = a.desktop_page;
            options.alphapay_wechat_jsapi = a.wechat_jsapi;
        }
    }
    let demo = demo::build(options)?;
    // The one line tests and people wait for.
    println!("wallet-checkout demo running at {public_url}/");
    serve(listener, demo.router).await
}

/// In sandbox mode the config's merchant ids and secrets (from the environment) are used on both
/// sides, so a config meant for real gateways can be rehearsed against the sandbox.
#[cfg(feature = "sandbox")]
fn credentials_from(
    c: &Config,
    mut creds: wallet_checkout_server::demo::Credentials,
) -> Result<wallet_checkout_server::demo::Credentials, String> {
    use rsa::pkcs8::DecodePrivateKey;
    use wallet_checkout_server::config::secret_from_env;
    if let Some(a) = &c.gateways.alphapay {
        creds.alphapay_merchant_code = a.merchant_code.clone();
        let pem = secret_from_env(&a.private_key_env).map_err(|e| e.to_string())?;
        creds.alphapay_key = rsa::RsaPrivateKey::from_pkcs8_pem(&pem).map_err(|_| {
            format!(
                "{} does not hold a PKCS#8 PEM RSA private key",
                a.private_key_env
            )
        })?;
    }
    if let Some(p) = &c.gateways.pass2pay {
        creds.pass2pay_mch_no = p.mch_no.clone();
        creds.pass2pay_app_id = p.app_id.clone();
        creds.pass2pay_secret = secret_from_env(&p.secret_env).map_err(|e| e.to_string())?;
    }
    if let Some(y) = &c.gateways.yabandpay {
        creds.yabandpay_user = y.user.clone();
        creds.yabandpay_secret = secret_from_env(&y.secret_env).map_err(|e| e.to_string())?;
    }
    Ok(creds)
}

#[cfg(not(feature = "sandbox"))]
async fn run_demo(_config: Option<Config>, _site: Option<PathBuf>) -> Result<(), String> {
    Err(
        "this build has no sandbox (feature `sandbox`); pass --config without [demo] sandbox"
            .into(),
    )
}
