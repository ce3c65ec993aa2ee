//! `wallet-checkout-demo [--config FILE] [--site DIR]`: the demo shop, the merchant server and the
//! gateway sandbox on one port. With a config: that config, plus what its `[demo]` section asks.

use std::net::SocketAddr;
use std::path::PathBuf;
use std::process::ExitCode;
use std::sync::Arc;

use serde::Deserialize;
use tracing_subscriber::EnvFilter;
use wallet_checkout_demo::{Credentials, DemoOptions};
use wallet_checkout_server::app;
use wallet_checkout_server::config::{Config, Env};
use wallet_checkout_server::core::clock::{Clock, SystemClock};
use wallet_checkout_server::http::serve;

const USAGE: &str = "usage: wallet-checkout-demo [--config FILE] [--site DIR]

  --config FILE  run FILE (see docs/protocol.md) plus what its [demo] section asks:
                 orders = true   POST /demo/orders
                 sandbox = true  every gateway is the built-in sandbox, with the file's
                                 merchant ids and secrets (rehearse a real config)
                 via_public_url = true  the sandbox's pages at public_url, not the bound
                                 address (behind a proxy)
  --site DIR     serve this folder at / (the demo shop: cargo xtask dist's dist/)

Without --config: every gateway in the sandbox, demo orders on, throwaway credentials,
listening on 127.0.0.1:$PORT (default 8080; 0 picks a free port).";

/// `[demo]`.
#[derive(Debug, Default, Deserialize)]
#[serde(deny_unknown_fields)]
struct DemoSection {
    #[serde(default)]
    orders: bool,
    #[serde(default)]
    sandbox: bool,
    #[serde(default)]
    via_public_url: bool,
}

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
            "--config" => args.config = Some(it.next().ok_or("--config needs a file")?.into()),
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
            if e.is_empty() {
                eprintln!("{USAGE}");
            } else {
                eprintln!("error: {e} (--help for usage)");
            }
            return ExitCode::from(2);
        }
    };
    let (listeners, state, url) = match start(args).await {
        Ok(s) => s,
        Err(e) => {
            eprintln!("error: {e}");
            return ExitCode::from(2);
        }
    };
    // The one line tests and people wait for.
    println!("wallet-checkout demo running at {url}/");
    serve::until_signal(state, listeners).await;
    ExitCode::SUCCESS
}

async fn start(
    args: Args,
) -> Result<
    (
        Vec<serve::Listener>,
        wallet_checkout_server::AppState,
        String,
    ),
    String,
> {
    let config = match &args.config {
        Some(path) => {
            let mut c = Config::read(path, Config::parse_with_demo).map_err(|e| e.to_string())?;
            // A rehearsal without `store` plays on memory (the production server refuses that).
            if c.store.is_empty() {
                c.store = "memory".into();
            }
            Some(c)
        }
        None => None,
    };
    let section: DemoSection = match config.as_ref().and_then(|c| c.demo.clone()) {
        Some(v) => v
            .try_into()
            .map_err(|e: toml::de::Error| format!("[demo]: {}", e.message().trim()))?,
        None => DemoSection::default(),
    };
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
    let clock: Arc<dyn Clock> = Arc::new(SystemClock);
    // In sandbox mode the config's merchant ids and secrets (from the environment) are used on
    // both sides; read before anything is bound.
    let credentials = match &config {
        Some(c) if section.sandbox => Some(credentials_from(c, Credentials::generate()?)?),
        _ => None,
    };
    // Everything else the config says is checked before binding too, the store opened and, with
    // real gateways, the connectors made (then handed to the build).
    let (store, real) = match &config {
        Some(c) => {
            app::check(c, &Env)?;
            let real = if section.sandbox {
                None
            } else {
                let http = wallet_checkout_server::gateway::http_client(
                    std::time::Duration::from_secs(15),
                )
                .map_err(|e| e.to_string())?;
                Some(
                    c.connectors(&Env, clock.clone(), http)
                        .map_err(|e| e.to_string())?,
                )
            };
            let store = wallet_checkout_server::store::open(&c.store)
                .await
                .map_err(|e| e.to_string())?;
            (Some(store), real)
        }
        None => (None, None),
    };
    let listener = tokio::net::TcpListener::bind(&listen)
        .await
        .map_err(|e| format!("cannot listen on {listen}: {e}"))?;
    let addr = listener.local_addr().map_err(|e| e.to_string())?;
    let bound = format!("http://{addr}");
    let mut options = DemoOptions::new(&bound, clock)?;
    options.site = args.site;
    if let Some(mut c) = config {
        // The config's store (opened above), orders only if `[demo] orders`.
        options.store = store;
        options.demo_orders = section.orders;
        if c.routing.is_empty() {
            c.routing = options.config.routing.clone();
        }
        match credentials {
            Some(creds) => {
                options.credentials = creds;
                // The sandbox's pages and the connectors' calls go to the bound address, or, with
                // `[demo] via_public_url` (behind a proxy), through the public URL.
                if !section.via_public_url {
                    c.public_url = bound.clone();
                }
            }
            // Real gateways: notifications go to the config's public URL.
            None => options.real_gateways = real,
        }
        options.config = c;
    }
    let url = options.config.public_url.trim_end_matches('/').to_string();
    let demo = wallet_checkout_demo::build(options).await?;
    let listeners = app::listeners(&demo.config, listener, demo.router, demo.admin).await?;
    Ok((listeners, demo.state, url))
}

/// In sandbox mode the config's merchant ids and secrets (from the environment) are used on both
/// sides, so a config meant for real gateways can be rehearsed against the sandbox.
fn credentials_from(c: &Config, mut creds: Credentials) -> Result<Credentials, String> {
    if let Some(a) = &c.gateways.alphapay {
        creds.alphapay_merchant_code = a.merchant_code.clone();
        creds.alphapay_key = a.private_key(&Env).map_err(|e| e.to_string())?;
    }
    if let Some(p) = &c.gateways.pass2pay {
        creds.pass2pay_mch_no = p.mch_no.clone();
        creds.pass2pay_app_id = p.app_id.clone();
        creds.pass2pay_secret = env_secret(&p.secret_env)?;
    }
    if let Some(y) = &c.gateways.yabandpay {
        creds.yabandpay_user = y.user.clone();
        creds.yabandpay_secret = env_secret(&y.secret_env)?;
    }
    Ok(creds)
}

fn env_secret(name: &str) -> Result<String, String> {
    use wallet_checkout_server::config::Secrets;
    Env.secret(name).map_err(|e| e.to_string())
}
