//! `wallet-checkout-demo [--config FILE] [--site DIR]`: the demo shop, the merchant server and the
//! gateway sandbox on one port. With a config: that config, plus what its `[demo]` section asks.

use std::net::SocketAddr;
use std::path::PathBuf;
use std::process::ExitCode;
use std::sync::Arc;

use serde::Deserialize;
use wallet_checkout_demo::{Credentials, DemoOptions};
use wallet_checkout_server::app;
use wallet_checkout_server::config::{Config, Env};
use wallet_checkout_server::core::clock::{Clock, SystemClock};
use wallet_checkout_server::http::serve;

const USAGE: &str =
    "usage: wallet-checkout-demo [--config FILE [--sandbox] [--orders]] [--site DIR]

  --config FILE  run FILE (see docs/protocol.md) as the production server would (its store,
                 [limits], public_url for the notifications), plus what these ask:
  --sandbox      every gateway is the built-in sandbox, with the file's merchant ids and
                 secrets from the environment (rehearse a shop's real file unchanged);
                 the same as [demo] sandbox = true
  --orders       POST /demo/orders (a shop that PUTs its orders does not need it);
                 the same as [demo] orders = true
                 [demo] via_public_url = true: the sandbox's pages at public_url too, not
                 the bound address (a rehearsal reached only through a proxy)
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
    sandbox: bool,
    orders: bool,
}

fn parse_args() -> Result<Args, String> {
    let mut args = Args {
        config: None,
        site: None,
        sandbox: false,
        orders: false,
    };
    let mut it = std::env::args().skip(1);
    while let Some(a) = it.next() {
        match a.as_str() {
            "--config" => args.config = Some(it.next().ok_or("--config needs a file")?.into()),
            "--site" => args.site = Some(it.next().ok_or("--site needs a folder")?.into()),
            "--sandbox" => args.sandbox = true,
            "--orders" => args.orders = true,
            "-h" | "--help" => return Err(String::new()),
            other => return Err(format!("unknown argument {other:?}")),
        }
    }
    Ok(args)
}

#[tokio::main]
async fn main() -> ExitCode {
    let args = match parse_args() {
        Ok(a) if a.config.is_none() && (a.sandbox || a.orders) => {
            eprintln!("error: --sandbox and --orders go with --config FILE (without a file the demo is all sandbox) (--help for usage)");
            return ExitCode::from(2);
        }
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
    // The shop's file, read once: its `[log]` as the production server reads it, then the rest.
    let config = match read_config(&args) {
        Ok(c) => c,
        Err(e) => {
            eprintln!("error: {e}");
            return ExitCode::from(2);
        }
    };
    app::init_logging(config.as_ref().map(|c| c.log.format).unwrap_or_default());
    let (listeners, state, url) = match start(args, config).await {
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

/// `--config FILE` read and checked as the production server does (`store` required); `None`
/// without one (the demo alone).
fn read_config(args: &Args) -> Result<Option<Config>, String> {
    let Some(path) = &args.config else {
        return Ok(None);
    };
    let c = Config::read(path, Config::parse_with_demo).map_err(|e| e.to_string())?;
    Config::require_store(&c).map_err(|e| format!("{}: {e}", path.display()))?;
    Ok(Some(c))
}

async fn start(
    args: Args,
    config: Option<Config>,
) -> Result<
    (
        Vec<serve::Listener>,
        wallet_checkout_server::AppState,
        String,
    ),
    String,
> {
    // The demo alone, no file of the shop's: it gets the console and a webhook receiver of its own.
    let alone = config.is_none();
    let mut section: DemoSection = match config.as_ref().and_then(|c| c.demo.clone()) {
        Some(v) => v
            .try_into()
            .map_err(|e: toml::de::Error| format!("[demo]: {}", e.message().trim()))?,
        None => DemoSection::default(),
    };
    section.sandbox |= args.sandbox;
    section.orders |= args.orders;
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
    // A rehearsal's gateways notify `public_url` when it reaches this process (the `/notify`
    // route through the shop's proxy, as in production); otherwise the bound address, said.
    let (listener, notify_here) = match &config {
        // `public_url` naming the listen address itself (`127.0.0.1:0` too): the bound address.
        Some(c)
            if section.sandbox
                && !section.via_public_url
                && c.public_url.trim_end_matches('/') == format!("http://{listen}") =>
        {
            (listener, Some(bound.clone()))
        }
        Some(c) if section.sandbox && !section.via_public_url => {
            let (listener, reached) = probe_public_url(listener, &c.public_url).await?;
            if let Err(why) = &reached {
                tracing::warn!(
                    "public_url {:?} does not reach this rehearsal ({why}): the sandbox notifies {bound} instead, so the /notify route through your proxy is not exercised",
                    c.public_url
                );
            }
            let public = c.public_url.clone();
            (
                listener,
                Some(if reached.is_ok() {
                    public
                } else {
                    bound.clone()
                }),
            )
        }
        _ => (listener, None),
    };
    let mut options = DemoOptions::new(&bound, clock)?;
    options.site = args.site;
    if let Some(mut c) = config {
        // The config's store (opened above), its limits, orders only if asked.
        options.store = store;
        options.production_limits = true;
        options.demo_orders = section.orders;
        if c.routing.is_empty() {
            c.routing = options.config.routing.clone();
        }
        match credentials {
            Some(creds) => {
                options.credentials = creds;
                // The sandbox's pages (the shopper's browser) and API (the connectors) at the
                // bound address, or, with `[demo] via_public_url`, through the public URL.
                if section.via_public_url {
                    options.sandbox_url = Some(c.public_url.clone());
                } else {
                    options.sandbox_url = Some(bound.clone());
                    if let Some(at) = notify_here {
                        c.public_url = at;
                    }
                }
            }
            // Real gateways: notifications go to the config's public URL.
            None => options.real_gateways = real,
        }
        options.config = c;
    }
    let url = options.config.public_url.trim_end_matches('/').to_string();
    // The console on, with a token made for this start.
    let console_token = alone.then(|| {
        let token = format!("demo_{}", wallet_checkout_server::store::random_id(40));
        options.admin(&token);
        // And webhooks to the demo's own receiver, so the console lists their deliveries.
        let key: [u8; 32] = rand::random();
        let secret = format!(
            "whsec_{}",
            base64::Engine::encode(&base64::engine::general_purpose::STANDARD, key)
        );
        options.webhooks(&format!("{bound}/demo/webhooks"), &secret, &[5, 60, 600]);
        token
    });
    let demo = wallet_checkout_demo::build(options).await?;
    if let Some(token) = console_token {
        println!("console: {url}/console/ token: {token}");
    }
    let listeners = app::listeners(&demo.config, listener, demo.router, demo.admin).await?;
    Ok((listeners, demo.state, url))
}

/// The path the probe asks for: under `/notify/`, which the README's proxy blocks forward.
const PROBE: &str = "/notify/rehearsal-probe";

/// Asks `{public_url}/notify/rehearsal-probe` while a throwaway server on the same socket answers
/// it with a random word: `Ok` only if this process answered. The listener comes back unserved.
async fn probe_public_url(
    listener: tokio::net::TcpListener,
    public_url: &str,
) -> Result<(tokio::net::TcpListener, Result<(), String>), String> {
    let word = wallet_checkout_server::core::domain::random_id(24);
    let socket = listener.into_std().map_err(|e| e.to_string())?;
    let twin = tokio::net::TcpListener::from_std(socket.try_clone().map_err(|e| e.to_string())?)
        .map_err(|e| e.to_string())?;
    let (stop, stopped) = tokio::sync::oneshot::channel::<()>();
    let answer = word.clone();
    let server = tokio::spawn(std::future::IntoFuture::into_future(
        axum::serve(
            twin,
            axum::Router::new().route(PROBE, axum::routing::get(move || async move { answer })),
        )
        .with_graceful_shutdown(async move {
            let _ = stopped.await;
        }),
    ));
    let url = format!("{}{PROBE}", public_url.trim_end_matches('/'));
    let reached = async {
        let http = reqwest::Client::builder()
            .timeout(std::time::Duration::from_secs(3))
            .redirect(reqwest::redirect::Policy::none())
            .build()
            .map_err(|e| e.to_string())?;
        let res = http.get(&url).send().await.map_err(|e| {
            let mut why = e.to_string();
            let mut source = std::error::Error::source(&e);
            while let Some(s) = source {
                why = format!("{why}: {s}");
                source = s.source();
            }
            why
        })?;
        let status = res.status();
        let text = res.text().await.unwrap_or_default();
        if status.is_success() && text == word {
            Ok(())
        } else {
            Err(format!(
                "GET {url} answered {status}, not from this process"
            ))
        }
    }
    .await;
    let _ = stop.send(());
    let _ = tokio::time::timeout(std::time::Duration::from_secs(2), server).await;
    let listener = tokio::net::TcpListener::from_std(socket).map_err(|e| e.to_string())?;
    Ok((listener, reached))
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
