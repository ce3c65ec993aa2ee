//! `cargo xtask test`: lint, native tests, the widget's tests in headless Chromium, the end-to-end suite.
//!
//! Any failure stops with a non-zero exit. A browser suite that ran no test is a failure, not a skip.

use std::process::Command;

use crate::run::{root, run as exec, run_capture, say, Counts};
use crate::tools;

pub fn run() -> Result<(), String> {
    let root = root();
    tools::ensure_build_tools()?;
    tools::ensure_browser()?;
    tools::ensure_wrk()?;
    let mut total = Counts::default();

    say("1/5 formatting and lints");
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

    say("2/5 native tests of every crate");
    let native = run_capture(
        Command::new("cargo")
            .args(["test", "--workspace"])
            .current_dir(&root),
    )?;
    total.add(require_tests("native tests", Counts::scan(&native))?);

    say("3/5 the widget's wasm-bindgen tests in headless Chromium");
    let wasm = run_capture(
        Command::new("cargo")
            .args([
                "test",
                "--package",
                "wallet-checkout",
                "--target",
                "wasm32-unknown-unknown",
            ])
            .current_dir(&root)
            .env("PATH", tools::tool_path())
            .env("CHROMEDRIVER", tools::CHROMEDRIVER)
            .env("WASM_BINDGEN_TEST_TIMEOUT", "60"),
    )?;
    total.add(require_tests("wasm-bindgen tests", Counts::scan(&wasm))?);

    say("4/5 building the demo for the end-to-end suite");
    say("5/5 end to end in headless Chromium");
    total.add(end_to_end(&[])?);

    println!(
        "xtask test: {} passed, {} failed",
        total.passed, total.failed
    );
    Ok(())
}

/// Builds the demo and runs the end-to-end suite (or only the files in `only`).
fn end_to_end(only: &[String]) -> Result<Counts, String> {
    let root = root();
    crate::dist::build()?;
    let server = tools::build_demo()?;
    let requests = tools::build_requests_example("dev")?;
    let mut args = vec!["--test".to_string(), "--test-concurrency=1".to_string()];
    if only.is_empty() {
        args.push("tests/e2e/".into());
    } else {
        args.extend(only.iter().cloned());
    }
    let e2e = run_capture(
        Command::new("node")
            .args(&args)
            .current_dir(&root)
            .env("WALLET_CHECKOUT_DEMO", server)
            .env("WALLET_CHECKOUT_SITE", root.join("dist"))
            .env("WALLET_CHECKOUT_REQUESTS_BIN", requests)
            .env("WALLET_CHECKOUT_WASM_UNOPT", tools::unoptimised_wasm())
            .env("CHROMIUM", tools::CHROMIUM),
    )?;
    require_tests("end-to-end tests", Counts::scan(&e2e))
}

/// `cargo xtask e2e [FILE…]`: only the end-to-end suite, for working on the widget.
pub fn e2e(only: &[String]) -> Result<(), String> {
    tools::ensure_build_tools()?;
    tools::ensure_browser()?;
    tools::ensure_wrk()?;
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
