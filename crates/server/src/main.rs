//! `wallet-checkout-server`: runs the merchant server from `--config PATH`, or the demo (server + sandbox + shop) without one.

use std::net::SocketAddr;
use std::path::PathBuf;
use std::process::ExitCode;
use std::sync::Arc;

use tracing_subscriber::EnvFilter;

const USAGE: &str = "usage: wallet-checkout-server [--config PATH] [--site DIR]

  --config PATH  run against real gateways as configured (see docs/protocol.md)
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
    if let Some(path) = args.config {
        let config =
            wallet_checkout_server::config::Config::load(&path).map_err(|e| e.to_string())?;
        return Err(format!(
            "{}: running against real gateways is not wired up yet (config parsed: listen {}); run without --config for the demo",
            path.display(),
            config.listen
        ));
    }
    run_demo(args.site).await
}

#[cfg(feature = "sandbox")]
async fn run_demo(site: Option<PathBuf>) -> Result<(), String> {
    let port: u16 = match std::env::var("PORT") {
        Ok(p) => p
            .parse()
            .map_err(|_| format!("PORT={p:?} is not a port number"))?,
        Err(_) => 8080,
    };
    let listener = tokio::net::TcpListener::bind(SocketAddr::from(([127, 0, 0, 1], port)))
        .await
        .map_err(|e| format!("cannot listen on 127.0.0.1:{port}: {e}"))?;
    let addr = listener.local_addr().map_err(|e| e.to_string())?;
    let public_url = format!("http://{addr}");
    let clock = Arc::new(wallet_checkout_server::clock::SystemClock);
    let demo = wallet_checkout_server::demo::build(&public_url, clock, site)?;
    // The one line tests and people wait for.
    println!("wallet-checkout demo running at {public_url}/");
    axum::serve(listener, demo)
        .with_graceful_shutdown(async {
            let _ = tokio::signal::ctrl_c().await;
        })
        .await
        .map_err(|e| e.to_string())
}

#[cfg(not(feature = "sandbox"))]
async fn run_demo(_site: Option<PathBuf>) -> Result<(), String> {
    Err("this build has no sandbox (feature `sandbox`); pass --config".into())
}
