//! `cargo xtask test`: lint, native tests (the integration tests twice: the default store, then a
//! throwaway PostgreSQL), the widget's tests in headless Chromium and Firefox, the end-to-end suite
//! (in Chromium, Firefox and WebKit; two instances behind nginx among them).
//!
//! Any failure stops with a non-zero exit. A browser suite that ran no test is a failure, not a skip.

use std::process::Command;

use crate::run::{root, run as exec, run_capture, say, Counts};
use crate::tools;

pub fn run() -> Result<(), String> {
    let root = root();
    tools::ensure_build_tools()?;
    tools::ensure_browser()?;
    let geckodriver = tools::ensure_geckodriver()?;
    tools::ensure_wrk()?;
    let trunk = tools::ensure_trunk()?;
    tools::ensure_nginx()?;
    // Up for the whole run: the store suite, the server's tests and the multi-instance ones use it.
    let postgres = crate::postgres::Cluster::start()?;
    std::env::set_var(crate::postgres::ENV, &postgres.url);
    let mut total = Counts::default();

    say("1/6 formatting and lints");
    exec(
        Command::new("cargo")
            .args(["fmt", "--all", "--check"])
            .current_dir(&root),
    )?;
    exec(
        Command::new("cargo")
            .args([
                "clippy",
                "--workspace",
                "--all-targets",
                "--quiet",
                "--",
                "-D",
                "warnings",
            ])
            .current_dir(&root),
    )?;
    exec(
        Command::new("cargo")
            .args([
                "clippy",
                "--package",
                "wallet-checkout",
                "--target",
                "wasm32-unknown-unknown",
                "--all-targets",
                "--quiet",
                "--",
                "-D",
                "warnings",
            ])
            .current_dir(&root),
    )?;

    say("2/6 native tests of every crate");
    let native = run_capture(
        Command::new("cargo")
            .args(["test", "--workspace"])
            .current_dir(&root),
    )?;
    total.add(require_tests("native tests", Counts::scan(&native))?);
    say("2/6 the server's integration tests again, on the throwaway PostgreSQL");
    let on_postgres = run_capture(
        Command::new("cargo")
            .args(["test", "--package", "wallet-checkout-demo", "--test", "it"])
            .current_dir(&root)
            .env("WALLET_CHECKOUT_IT_STORE", "postgres"),
    )?;
    total.add(require_tests(
        "integration tests on PostgreSQL",
        Counts::scan(&on_postgres),
    )?);

    for (engine, driver, path) in [
        (
            "Chromium",
            "CHROMEDRIVER",
            std::path::PathBuf::from(tools::CHROMEDRIVER),
        ),
        ("Firefox", "GECKODRIVER", geckodriver.clone()),
    ] {
        say(&format!(
            "3/6 the widget's wasm-bindgen tests in headless {engine}"
        ));
        let mut cmd = Command::new("cargo");
        cmd.args([
            "test",
            "--package",
            "wallet-checkout",
            "--target",
            "wasm32-unknown-unknown",
        ])
        .current_dir(&root)
        .env("PATH", tools::tool_path())
        .env_remove("CHROMEDRIVER")
        .env_remove("GECKODRIVER")
        .env(driver, path)
        .env("WASM_BINDGEN_TEST_TIMEOUT", "60");
        let wasm = run_capture(&mut cmd)?;
        total.add(require_tests(
            &format!("wasm-bindgen tests in {engine}"),
            Counts::scan(&wasm),
        )?);
    }

    say("4/6 `trunk build`: the `trunk serve` loop of Trunk.toml still builds the widget from index.html");
    trunk_build(&trunk)?;

    say("5/6 building the demo for the end-to-end suite");
    say("6/6 end to end in Chromium, Firefox and WebKit");
    total.add(end_to_end(&[])?);

    println!(
        "xtask test: {} passed, {} failed",
        total.passed, total.failed
    );
    Ok(())
}

/// `trunk build` as `trunk serve` runs it, then checks the page it wrote loads the widget it built.
fn trunk_build(trunk: &std::path::Path) -> Result<(), String> {
    let root = root();
    exec(
        Command::new(trunk)
            .args(["build", "--offline"])
            .current_dir(&root)
            .env("PATH", tools::tool_path()),
    )?;
    let out = tools::target_dir().join("trunk");
    let page = std::fs::read_to_string(out.join("index.html"))
        .map_err(|e| format!("trunk wrote no index.html: {e}"))?;
    let files: Vec<String> = std::fs::read_dir(&out)
        .map_err(|e| e.to_string())?
        .flatten()
        .map(|e| e.file_name().to_string_lossy().into_owned())
        .collect();
    let wasm = files
        .iter()
        .find(|f| f.ends_with("_bg.wasm"))
        .ok_or_else(|| format!("trunk built no wasm: {files:?}"))?;
    if !page.contains(wasm.as_str()) || !page.contains("TrunkApplicationStarted") {
        return Err(format!("trunk's index.html does not start {wasm}"));
    }
    for needed in [
        "trunk.js",
        "core.js",
        "shell.js",
        "wallet-checkout.css",
        "demo.js",
        "demo.css",
    ] {
        if !files.iter().any(|f| f == needed) {
            return Err(format!("trunk did not copy {needed}"));
        }
    }
    Ok(())
}

/// Builds the demo and runs the end-to-end suite (or only the files in `only`).
fn end_to_end(only: &[String]) -> Result<Counts, String> {
    let root = root();
    crate::dist::build()?;
    let server = tools::build_demo()?;
    let production = tools::build_server()?;
    let requests = tools::build_requests_example("dev")?;
    let peer = tools::build_axum_peer("dev")?;
    let floor = tools::build_leptos_counter()?;
    let mut args = vec!["--test".to_string(), "--test-concurrency=1".to_string()];
    if only.is_empty() {
        args.push("tests/e2e/".into());
    } else {
        args.extend(only.iter().cloned());
    }
    let python = tools::ensure_python_webhooks()?;
    let e2e = run_capture(
        Command::new("node")
            .args(&args)
            .current_dir(&root)
            .env("WALLET_CHECKOUT_PYTHON", python)
            .env("WALLET_CHECKOUT_DEMO", server)
            .env("WALLET_CHECKOUT_SERVER", production)
            .env("WALLET_CHECKOUT_NGINX", tools::NGINX)
            .env("WALLET_CHECKOUT_SITE", root.join("dist"))
            .env("WALLET_CHECKOUT_REQUESTS_BIN", requests)
            .env("WALLET_CHECKOUT_AXUM_PEER", peer)
            .env("WALLET_CHECKOUT_LEPTOS_FLOOR", floor)
            .env("WALLET_CHECKOUT_WASM_UNOPT", tools::unoptimised_wasm())
            .env("CHROMIUM", tools::CHROMIUM)
            .env("FIREFOX", tools::FIREFOX)
            .env("WEBKITWEBDRIVER", tools::WEBKITWEBDRIVER)
            .env("MINIBROWSER", tools::MINIBROWSER),
    )?;
    require_tests("end-to-end tests", Counts::scan(&e2e))
}

/// `cargo xtask e2e [FILE…]`: only the end-to-end suite, for working on the widget.
pub fn e2e(only: &[String]) -> Result<(), String> {
    tools::ensure_build_tools()?;
    tools::ensure_browser()?;
    tools::ensure_wrk()?;
    tools::ensure_nginx()?;
    let postgres = crate::postgres::Cluster::start()?;
    std::env::set_var(crate::postgres::ENV, &postgres.url);
    let counts = end_to_end(only)?;
    println!(
        "xtask e2e: {} passed, {} failed",
        counts.passed, counts.failed
    );
    Ok(())
}

/// A suite that printed no passing test did not really run: that is a failure.
fn require_tests(name: &str, counts: Counts) -> Result<Counts, String> {
    if counts.failed > 0 {
        return Err(format!("{name}: {} failed", counts.failed));
    }
    if counts.passed == 0 {
        return Err(format!(
            "{name}: no test ran (a browser that cannot start is a failure, not a skip)"
        ));
    }
    Ok(counts)
}
