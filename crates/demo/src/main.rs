//! `wallet-checkout-demo [--config FILE] [--site DIR]`: the demo shop, the merchant server and the
//! gateway sandbox on one port. With a config: that config, plus what its `[demo]` section asks.

use std::net::SocketAddr;
use std::path::PathBuf;
use std::process::ExitCode;
use std::sync::Arc;
use std::time::Duration;

use serde::Deserialize;
use tracing_subscriber::EnvFilter;
use wallet_checkout_demo::{Credentials, DemoOptions};
use wallet_checkout_server::clock::{Clock, SystemClock};
use wallet_checkout_server::config::{Config, Env};
use wallet_checkout_server::{serve, store};

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
        Some(path) => Some(Config::read(path, Config::parse_with_demo).map_err(|e| e.to_string())?),
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
    // Check everything the config says before binding.
    let prepared = match &config {
        None => None,
        Some(c) => Some(prepare(c, &section, clock.clone()).await?),
    };
    let listener = tokio::net::TcpListener::bind(&listen)
        .await
        .map_err(|e| format!("cannot listen on {listen}: {e}"))?;
    let addr = listener.local_addr().map_err(|e| e.to_string())?;
    let bound = format!("http://{addr}");
    let mut options = DemoOptions::new(&bound, clock)?;
    options.site = args.site;
    if let (Some(c), Some(p)) = (&config, prepared) {
        p.apply(c, &mut options);
    }
    let url = options.public_url.clone();
    let demo = wallet_checkout_demo::build(options)?;
    let mut listeners = Vec::new();
    let admin_listen = config
        .as_ref()
        .and_then(|c| c.admin.as_ref())
        .and_then(|a| a.listen.clone());
    if let (Some(addr), Some(admin)) = (admin_listen, demo.admin) {
        let bound = tokio::net::TcpListener::bind(&addr)
            .await
            .map_err(|e| format!("[admin] cannot listen on {addr}: {e}"))?;
        let at = bound.local_addr().map_err(|e| e.to_string())?;
        println!("wallet-checkout admin API at http://{at}/admin/");
        listeners.push(serve::Listener {
            listener: bound,
            router: admin,
        });
    }
    listeners.push(serve::Listener {
        listener,
        router: demo.router,
    });
    Ok((listeners, demo.state, url))
}

/// What a config changes in the demo, read and checked before anything is bound.
struct Prepared {
    store: Arc<dyn store::Store>,
    admin_token: Option<String>,
    frame_ancestors: Vec<String>,
    routing: std::collections::BTreeMap<wallet_checkout_protocol::Wallet, String>,
    /// With `sandbox = true`: the config's merchant ids and secrets, for both sides.
    credentials: Option<Credentials>,
    /// Without it: the real gateways.
    real: Option<
        std::collections::BTreeMap<String, Arc<dyn wallet_checkout_server::gateway::Connector>>,
    >,
    orders: bool,
    /// `[demo] via_public_url`.
    via_public_url: bool,
    webhooks: Option<Arc<wallet_checkout_server::webhooks::Webhooks>>,
    lookup: Option<wallet_checkout_server::orders::Lookup>,
    /// `Some` only when the config has a `[limits]` section.
    limits: Option<wallet_checkout_server::limits::Limits>,
    return_origins: Vec<String>,
    admin_apart: bool,
}

async fn prepare(
    c: &Config,
    section: &DemoSection,
    clock: Arc<dyn Clock>,
) -> Result<Prepared, String> {
    let fail = |e: wallet_checkout_server::config::ConfigError| e.to_string();
    let routing = c.routing_table().map_err(fail)?;
    let frame_ancestors = match &c.frame {
        Some(f) => f.checked()?.ancestors,
        None => Vec::new(),
    };
    let (credentials, real) = if section.sandbox {
        (Some(credentials_from(c, Credentials::generate()?)?), None)
    } else {
        let http = reqwest::Client::builder()
            .timeout(Duration::from_secs(15))
            .build()
            .map_err(|e| e.to_string())?;
        (None, Some(c.connectors(&Env, clock, http).map_err(fail)?))
    };
    let (webhooks, lookup) = c.shop_links(&Env).map_err(fail)?;
    Ok(Prepared {
        store: store::open(&c.store).await.map_err(|e| e.to_string())?,
        admin_token: c.admin_token().map_err(fail)?,
        frame_ancestors,
        routing,
        credentials,
        real,
        orders: section.orders,
        via_public_url: section.via_public_url,
        webhooks,
        lookup,
        limits: c.limits.is_some().then(|| c.limits()).transpose()?,
        return_origins: match &c.checkout {
            Some(_) => c.return_origins()?,
            None => Vec::new(),
        },
        admin_apart: c.admin.as_ref().is_some_and(|a| a.listen.is_some()),
    })
}

impl Prepared {
    fn apply(self, c: &Config, o: &mut DemoOptions) {
        o.store = self.store;
        o.admin_token = self.admin_token;
        o.frame_ancestors = self.frame_ancestors;
        if !self.routing.is_empty() {
            o.routing = self.routing;
        }
        o.demo_orders = self.orders;
        o.webhooks = self.webhooks;
        o.lookup = self.lookup;
        if let Some(limits) = self.limits {
            o.limits = limits;
        }
        o.return_origins = self.return_origins;
        o.admin_apart = self.admin_apart;
        if let Some(creds) = self.credentials {
            o.credentials = creds;
            // `[demo] via_public_url`: behind a proxy, the sandbox's pages and the connectors'
            // calls go through the public URL instead of the bound address.
            if self.via_public_url {
                o.public_url = c.public_url.trim_end_matches('/').to_string();
            }
            // The config's switches; every gateway stays offered so any routing can be rehearsed.
            let g = &c.gateways;
            if let (Some(mine), Some(theirs)) = (o.gateways.alphapay.as_mut(), &g.alphapay) {
                mine.desktop_page = theirs.desktop_page;
                mine.wechat_jsapi = theirs.wechat_jsapi;
            }
            if let (Some(mine), Some(theirs)) = (o.gateways.pass2pay.as_mut(), &g.pass2pay) {
                mine.client_ip = theirs.client_ip.clone();
                mine.wechat_h5 = theirs.wechat_h5;
                mine.desktop_page = theirs.desktop_page;
            }
            if let (Some(mine), Some(theirs)) = (o.gateways.yabandpay.as_mut(), &g.yabandpay) {
                mine.wechat_h5 = theirs.wechat_h5;
            }
        } else {
            // Real gateways: notifications go to the config's public URL, not the bound address.
            o.public_url = c.public_url.trim_end_matches('/').to_string();
            o.real_gateways = self.real;
        }
    }
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
