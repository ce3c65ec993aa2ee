//! `cargo xtask test [--quick]`: lint, native tests (the integration tests on SQLite, and those that
//! rest on the store again on a throwaway PostgreSQL), the widget's tests in headless Chromium and
//! Firefox, the end-to-end suite (in Chromium, Firefox and WebKit; two instances behind nginx among
//! them), files side by side. `--quick`, for the edit loop: the native tests and the core scenarios
//! in Chromium. The bench's smoke run is `cargo xtask bench smoke`, its own step of `.ci/run`.
//!
//! Any failure stops with a non-zero exit. A browser suite that ran no test is a failure, not a skip.

use std::process::Command;

use crate::run::{root, run as exec, run_capture, say, Counts};
use crate::tools;

/// The integration modules whose behaviour rests on the store (sessions, orders, refunds and
/// events written and read back, restarts; each gateway's pay, query and refund): run a second time
/// on PostgreSQL. The others (limits and abuse, gateways' refusal codes and failures, other
/// gateways' notifications, secrets in logs) and the multi-instance ones (already on PostgreSQL)
/// run once.
const ON_BOTH_STORES: [&str; 7] = [
    "flow::",
    "gateways::",
    "merchant::",
    "notify::",
    "recovery::",
    "service::",
    "webhooks::",
];

/// Integration tests run at once in one binary: most of their time is spent waiting on servers,
/// timers and the sandbox, not on the two cores (the longest, a killed instance's work finished by
/// the other on real reconciliation timers, takes about a minute by itself).
const TEST_THREADS: &str = "8";

/// End-to-end files run at once: each starts its own servers on free ports, and most of their time
/// is spent waiting on timers, so two cores carry three.
const E2E_CONCURRENCY: &str = "3";

pub fn run(args: &[String]) -> Result<(), String> {
    let quick = match args {
        [] => false,
        [q] if q == "--quick" => true,
        other => return Err(format!("cargo xtask test [--quick], not {other:?}")),
    };
    let root = root();
    tools::ensure_build_tools()?;
    tools::ensure_browser()?;
    // The full run's own tools: geckodriver for the wasm tests in Firefox, trunk for `trunk build`.
    let full_tools = if quick {
        None
    } else {
        Some((tools::ensure_geckodriver()?, tools::ensure_trunk()?))
    };
    tools::ensure_nginx()?;
    tools::ensure_caddy()?;
    // Up for the whole run: the store suite, the server's tests and the multi-instance ones use it;
    // the second, with TLS, the store's TLS cases.
    let postgres = crate::postgres::Cluster::start()?;
    std::env::set_var(crate::postgres::ENV, &postgres.url);
    let postgres_tls = crate::postgres::Cluster::start_tls()?;
    std::env::set_var(crate::postgres::TLS_ENV, &postgres_tls.url);
    std::env::set_var(crate::postgres::CA_ENV, postgres_tls.ca_file());
    std::env::set_var(crate::postgres::OTHER_CA_ENV, postgres_tls.other_ca_file());
    let mut total = Counts::default();
    let steps = if quick { 3 } else { 6 };
    let step = |n: usize, what: &str| say(&format!("{n}/{steps} {what}"));

    if !quick {
        step(1, "formatting and lints");
        lint(&root)?;
    }

    step(
        if quick { 1 } else { 2 },
        "native tests of every crate (the integration tests on SQLite; the multi-instance ones and, \
         unless --quick, the store-dependent ones on PostgreSQL, side by side)",
    );
    total.add(native_tests(&root, quick)?);
    if let Some((geckodriver, trunk)) = &full_tools {
        for (engine, driver, path) in [
            (
                "Chromium",
                "CHROMEDRIVER",
                std::path::PathBuf::from(tools::CHROMEDRIVER),
            ),
            ("Firefox", "GECKODRIVER", geckodriver.clone()),
        ] {
            step(
                3,
                &format!("the widget's wasm-bindgen tests in headless {engine}"),
            );
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

        step(4, "`trunk build`: the `trunk serve` loop of Trunk.toml still builds the widget from index.html");
        trunk_build(trunk)?;
    }

    if quick {
        step(2, "building the demo for the end-to-end suite");
        step(3, "the core scenarios in Chromium");
        // The catalogue's Chromium rows: its own scenarios in Chromium and the `core: …` tests.
        total.add(end_to_end(
            &[
                "--test-name-pattern=^(core: |chromium)".to_string(),
                "tests/e2e/engines-chromium.test.mjs".to_string(),
                "tests/e2e/flows.test.mjs".to_string(),
                "tests/e2e/checkout.test.mjs".to_string(),
            ],
            Some("chromium"),
        )?);
    } else {
        step(5, "building the demo for the end-to-end suite");
        step(6, "end to end in Chromium, Firefox and WebKit");
        total.add(end_to_end(&[], None)?);
    }

    println!(
        "xtask test{}: {} passed, {} failed",
        if quick { " --quick" } else { "" },
        total.passed,
        total.failed
    );
    Ok(())
}

/// `cargo fmt --check` and clippy with warnings denied, for the host and for the widget's wasm.
fn lint(root: &std::path::Path) -> Result<(), String> {
    exec(
        Command::new("cargo")
            .args(["fmt", "--all", "--check"])
            .current_dir(root),
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
            .current_dir(root),
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
            .current_dir(root),
    )
}

/// The native tests in three processes side by side, after one build: every crate's tests but the
/// multi-instance ones (`cargo test`, on SQLite), the demo's multi-instance tests (its `it` binary
/// run directly: they wait about a minute on real reconciliation timers), and unless `quick` the
/// store-dependent modules again on PostgreSQL (the same binary with `WALLET_CHECKOUT_IT_STORE`).
/// Each runs `TEST_THREADS` tests at a time; a failure in any is the step's failure.
fn native_tests(root: &std::path::Path, quick: bool) -> Result<Counts, String> {
    // Built once, quietly (the JSON names the binaries; diagnostics still reach stderr).
    say("$ cargo test --workspace --no-run --message-format=json-render-diagnostics");
    let built = Command::new("cargo")
        .args([
            "test",
            "--workspace",
            "--no-run",
            "--message-format=json-render-diagnostics",
        ])
        .current_dir(root)
        .stderr(std::process::Stdio::inherit())
        .output()
        .map_err(|e| format!("cannot start cargo: {e}"))?;
    if !built.status.success() {
        return Err(format!("the native tests do not build ({})", built.status));
    }
    let lines: Vec<String> = String::from_utf8_lossy(&built.stdout)
        .lines()
        .map(str::to_string)
        .collect();
    let it = demo_integration_binary(&lines)?;
    let demo_dir = root.join("crates/demo");
    let mut passes: Vec<(&str, Command)> = Vec::new();
    let mut main = Command::new("cargo");
    main.args(["test", "--workspace", "--", "--skip", "instances::"])
        .current_dir(root)
        .env("RUST_TEST_THREADS", TEST_THREADS);
    passes.push(("native tests", main));
    let mut instances = Command::new(&it);
    instances
        .arg("instances::")
        .current_dir(&demo_dir)
        .env("RUST_TEST_THREADS", TEST_THREADS);
    passes.push(("the multi-instance integration tests", instances));
    if !quick {
        let mut on_postgres = Command::new(&it);
        on_postgres
            .args(ON_BOTH_STORES)
            .current_dir(&demo_dir)
            .env("RUST_TEST_THREADS", TEST_THREADS)
            .env("WALLET_CHECKOUT_IT_STORE", "postgres");
        passes.push(("integration tests on PostgreSQL", on_postgres));
    }
    let results: Vec<(&str, Result<Vec<String>, String>)> = std::thread::scope(|scope| {
        let running: Vec<_> = passes
            .into_iter()
            .map(|(name, mut cmd)| (name, scope.spawn(move || run_capture(&mut cmd))))
            .collect();
        running
            .into_iter()
            .map(|(name, h)| {
                (
                    name,
                    h.join()
                        .unwrap_or_else(|_| Err(format!("{name}: the runner panicked"))),
                )
            })
            .collect()
    });
    let mut total = Counts::default();
    for (name, result) in results {
        total.add(require_tests(name, Counts::scan(&result?))?);
    }
    Ok(total)
}

/// The demo's integration test binary, from `cargo test --no-run --message-format=json`'s lines.
fn demo_integration_binary(lines: &[String]) -> Result<std::path::PathBuf, String> {
    lines
        .iter()
        .filter(|l| {
            l.contains("\"reason\":\"compiler-artifact\"")
                && l.contains("crates/demo/Cargo.toml")
                && l.contains("\"name\":\"it\"")
        })
        .find_map(|l| {
            let rest = l.split("\"executable\":\"").nth(1)?;
            Some(std::path::PathBuf::from(rest.split('"').next()?))
        })
        .ok_or_else(|| "cargo built no integration test binary for crates/demo".to_string())
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

/// Builds the demo and runs the end-to-end suite (or only the files and `node --test` options in
/// `only`; only the engines `engines` names in the engine catalogue), files side by side.
fn end_to_end(only: &[String], engines: Option<&str>) -> Result<Counts, String> {
    let root = root();
    crate::dist::build()?;
    let server = tools::build_demo()?;
    let production = tools::build_server()?;
    let mut args = vec![
        "--test".to_string(),
        format!("--test-concurrency={E2E_CONCURRENCY}"),
    ];
    if only.iter().all(|a| a.starts_with("--")) {
        args.extend(only.iter().cloned());
        args.push("tests/e2e/".into());
    } else {
        args.extend(only.iter().cloned());
    }
    let python = tools::ensure_python_webhooks()?;
    let mut cmd = Command::new("node");
    cmd.args(&args)
        .current_dir(&root)
        .env("WALLET_CHECKOUT_PYTHON", python)
        .env("WALLET_CHECKOUT_DEMO", server)
        .env("WALLET_CHECKOUT_SERVER", production)
        .env("WALLET_CHECKOUT_NGINX", tools::NGINX)
        .env("WALLET_CHECKOUT_CADDY", tools::CADDY)
        .env("WALLET_CHECKOUT_SITE", root.join("dist"))
        .env("CHROMIUM", tools::CHROMIUM)
        .env("FIREFOX", tools::FIREFOX)
        .env("WEBKITWEBDRIVER", tools::WEBKITWEBDRIVER)
        .env("MINIBROWSER", tools::MINIBROWSER);
    if let Some(e) = engines {
        cmd.env("WALLET_CHECKOUT_ENGINES", e);
    }
    let e2e = run_capture(&mut cmd)?;
    require_tests("end-to-end tests", Counts::scan(&e2e))
}

/// `cargo xtask e2e [FILE…]`: only the end-to-end suite, for working on the widget.
pub fn e2e(only: &[String]) -> Result<(), String> {
    tools::ensure_build_tools()?;
    tools::ensure_browser()?;
    tools::ensure_wrk()?;
    tools::ensure_nginx()?;
    tools::ensure_caddy()?;
    let postgres = crate::postgres::Cluster::start()?;
    std::env::set_var(crate::postgres::ENV, &postgres.url);
    let counts = end_to_end(only, None)?;
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
