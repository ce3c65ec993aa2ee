//! `wallet-checkout-server --config FILE`: the production merchant server. It has no sandbox and no
//! demo code; a config with a `[demo]` section is refused (that is `wallet-checkout-demo`'s).

use std::path::PathBuf;
use std::process::ExitCode;
use std::sync::Arc;

use wallet_checkout_server::config::{Config, Env};
use wallet_checkout_server::core::clock::SystemClock;
use wallet_checkout_server::http::serve;
use wallet_checkout_server::workers::reconcile::ReconcileConfig;
use wallet_checkout_server::{app, AppState, Extras};

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
    let config = match Config::load(&path) {
        Ok(c) => c,
        Err(e) => {
            eprintln!("error: {e}");
            return ExitCode::from(2);
        }
    };
    app::init_logging(config.log.format);
    // Everything that can be wrong with the config is found before anything is bound.
    let (state, listeners) = match start(config).await {
        Ok(s) => s,
        Err(e) => {
            eprintln!("error: {e}");
            return ExitCode::from(2);
        }
    };
    serve::until_signal(state, listeners).await;
    ExitCode::SUCCESS
}

/// The server `path` configures, built by the composition root (`wallet_checkout_server::build`),
/// and its listeners. Reconciliation's leases name this instance by its listening address on this
/// host, so a restart takes its own leases back at once.
async fn start(config: Config) -> Result<(AppState, Vec<serve::Listener>), String> {
    let host = std::fs::read_to_string("/proc/sys/kernel/hostname")
        .map(|h| h.trim().to_string())
        .unwrap_or_else(|_| "host".into());
    let extras = Extras {
        reconcile: Some(ReconcileConfig {
            holder: Some(format!("{}@{host}", config.listen)),
            ..ReconcileConfig::default()
        }),
        ..Extras::default()
    };
    let mut app =
        wallet_checkout_server::build(&config, &Env, Arc::new(SystemClock), extras).await?;
    // Only a config that starts is worth a warning: a bad one is its one line of error.
    for warning in app::warnings(&config) {
        tracing::warn!("{warning}");
    }
    let listener = tokio::net::TcpListener::bind(&config.listen)
        .await
        .map_err(|e| format!("cannot listen on {}: {e}", config.listen))?;
    let addr = listener.local_addr().map_err(|e| e.to_string())?;
    let listeners = app::listeners(&config, listener, app.router.clone(), app.admin.take()).await?;
    // Bound: now the background work may claim webhooks and leases.
    app.start();
    println!("wallet-checkout server running at http://{addr}/");
    Ok((app.state, listeners))
}
