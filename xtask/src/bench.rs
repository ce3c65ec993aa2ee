//! `cargo xtask bench [size|startup|latency|requests|server|webhooks|abuse|instances|console|all]`: builds what is measured (the release
//! widget, the optimised server, the request-counting example) and its peers (a plain axum server, a
//! Leptos counter; Adyen Web comes from npm) and runs `bench/bench.mjs`, which writes
//! `bench/results/latest.{json,md}`. `cargo xtask bench codec` weighs the widget's JSON codec against
//! the serde route in one run (`bench/results/codec.md`). Numbers live here, never in timed test assertions.

use std::process::Command;

use crate::run::{root, run, say};
use crate::tools;

pub fn run_bench(args: &[String]) -> Result<(), String> {
    tools::ensure_build_tools()?;
    tools::ensure_browser()?;
    tools::ensure_wrk()?;
    tools::ensure_sqlite3()?;
    // The `instances` part runs two servers on one PostgreSQL.
    let postgres = crate::postgres::Cluster::start()?;
    std::env::set_var(crate::postgres::ENV, &postgres.url);
    say("building the release widget, the optimised server and the request counter");
    crate::dist::build()?;
    let server = tools::build_demo_with("server-release")?;
    let requests = tools::build_requests_example("release")?;
    let peer = tools::build_axum_peer("server-release")?;
    let floor = tools::build_leptos_counter()?;
    let root = root();
    // 10 000 idle connections need more file descriptors than the default 1 024, for both sides.
    let mut cmd = Command::new("sh");
    cmd.arg("-c")
        .arg("ulimit -n 65536 2>/dev/null || ulimit -n 16384; exec node bench/bench.mjs \"$@\"")
        .arg("bench")
        .args(args)
        .current_dir(&root);
    measured(
        &mut cmd,
        &Built {
            server,
            requests,
            peer,
            floor,
        },
    );
    run(&mut cmd)?;
    say("wrote bench/results/latest.json and bench/results/latest.md");
    Ok(())
}

/// What `bench/bench.mjs` measures and compares, as built.
struct Built {
    server: std::path::PathBuf,
    requests: std::path::PathBuf,
    peer: std::path::PathBuf,
    floor: std::path::PathBuf,
}

/// The environment `bench/bench.mjs` reads: the binaries, the site, the browser.
fn measured(cmd: &mut Command, built: &Built) {
    cmd.env("WALLET_CHECKOUT_DEMO", &built.server)
        .env("WALLET_CHECKOUT_SITE", root().join("dist"))
        .env("WALLET_CHECKOUT_REQUESTS_BIN", &built.requests)
        .env("WALLET_CHECKOUT_AXUM_PEER", &built.peer)
        .env("WALLET_CHECKOUT_LEPTOS_FLOOR", &built.floor)
        .env("WALLET_CHECKOUT_WASM_UNOPT", tools::unoptimised_wasm())
        .env("CHROMIUM", tools::CHROMIUM);
}

/// `cargo xtask bench smoke`: every part of the bench tiny, against the debug server, asserting
/// that each figure and each peer's was measured (`bench/smoke.test.mjs`). `.ci/run` runs it after
/// `cargo xtask test`, so the harness keeps working without the bench's release builds in every
/// test run.
pub fn smoke() -> Result<(), String> {
    tools::ensure_build_tools()?;
    tools::ensure_browser()?;
    tools::ensure_wrk()?;
    tools::ensure_sqlite3()?;
    let postgres = crate::postgres::Cluster::start()?;
    std::env::set_var(crate::postgres::ENV, &postgres.url);
    crate::dist::build()?;
    let server = tools::build_demo()?;
    let requests = tools::build_requests_example("dev")?;
    let peer = tools::build_axum_peer("dev")?;
    let floor = tools::build_leptos_counter()?;
    let mut cmd = Command::new("node");
    cmd.args(["--test", "bench/smoke.test.mjs"])
        .current_dir(root());
    measured(
        &mut cmd,
        &Built {
            server,
            requests,
            peer,
            floor,
        },
    );
    let out = crate::run::run_capture(&mut cmd)?;
    let counts = crate::run::Counts::scan(&out);
    if counts.failed > 0 || counts.passed == 0 {
        return Err(format!(
            "bench smoke: {} passed, {} failed",
            counts.passed, counts.failed
        ));
    }
    println!("xtask bench smoke: {} passed", counts.passed);
    Ok(())
}

/// Builds the release widget twice, with `protocol::codec` and with the `serde-codec` feature, each
/// through wasm-bindgen and `wasm-opt -Oz`, and writes both sizes (raw and brotli 11) side by side.
pub fn codec() -> Result<(), String> {
    tools::ensure_build_tools()?;
    let root = root();
    let mut rows = Vec::new();
    for (label, features) in [
        ("protocol::codec", ""),
        ("serde + serde-wasm-bindgen", "serde-codec"),
    ] {
        say(&format!("building the release widget with {label}"));
        let target = tools::target_dir().join(format!(
            "bench-codec-{}",
            if features.is_empty() {
                "codec"
            } else {
                features
            }
        ));
        let mut build = crate::dist::widget_release_build();
        if !features.is_empty() {
            build.args(["--features", features]);
        }
        run(build.env("CARGO_TARGET_DIR", &target).current_dir(&root))?;
        let out = target.join("codec-out");
        let _ = std::fs::remove_dir_all(&out);
        run(Command::new(tools::cargo_bin().join("wasm-bindgen"))
            .args(["--target", "no-modules", "--no-typescript", "--out-dir"])
            .arg(&out)
            .arg(target.join("wasm32-unknown-unknown/release/wallet_checkout.wasm")))?;
        let opt = out.join("opt.wasm");
        run(Command::new(root.join("node_modules/.bin/wasm-opt"))
            .arg("-Oz")
            .arg(out.join("wallet_checkout_bg.wasm"))
            .arg("-o")
            .arg(&opt))?;
        let sizes = crate::run::run_capture(Command::new("node").arg("-e").arg(
            "const z=require('zlib'),b=require('fs').readFileSync(process.argv[1]);\
             console.log(b.length, z.brotliCompressSync(b,{params:{[z.constants.BROTLI_PARAM_QUALITY]:11}}).length)",
        ).arg(&opt))?;
        let line = sizes.last().cloned().unwrap_or_default();
        let mut it = line
            .split_whitespace()
            .map(|n| n.parse::<u64>().unwrap_or(0));
        rows.push((label, it.next().unwrap_or(0), it.next().unwrap_or(0)));
    }
    let base = rows.first().map(|r| r.2).unwrap_or(1).max(1);
    let mut md = String::from("| the contract's JSON in the wasm through | wasm after wasm-opt -Oz | brotli 11 | vs codec |\n|---|---|---|---|\n");
    for (label, raw, brotli) in &rows {
        // Per mille, printed as a signed percentage with one decimal (integers only).
        let change = (*brotli as i64 - base as i64) * 1000 / base as i64;
        let sign = if change < 0 { "-" } else { "+" };
        md.push_str(&format!(
            "| {label} | {raw} B | {brotli} B | {sign}{}.{}% |\n",
            change.abs() / 10,
            change.abs() % 10
        ));
    }
    std::fs::create_dir_all(root.join("bench/results")).map_err(|e| e.to_string())?;
    std::fs::write(root.join("bench/results/codec.md"), &md).map_err(|e| e.to_string())?;
    print!("{md}");
    say("wrote bench/results/codec.md (without dist's panic cut and metadce, the same for both)");
    Ok(())
}
