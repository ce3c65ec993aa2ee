//! `cargo xtask bench [size|startup|latency|requests|server|all]`: builds what is measured (the release
//! widget, the optimised server, the request-counting example) and runs `bench/bench.mjs`, which writes
//! `bench/results/latest.{json,md}`. Numbers live here, never in timed test assertions.

use std::process::Command;

use crate::run::{root, run, say};
use crate::tools;

pub fn run_bench(args: &[String]) -> Result<(), String> {
    tools::ensure_build_tools()?;
    tools::ensure_browser()?;
    tools::ensure_wrk()?;
    say("building the release widget, the optimised server and the request counter");
    crate::dist::build()?;
    let server = tools::build_demo_with("server-release")?;
    let requests = tools::build_requests_example("release")?;
    let root = root();
    // 10 000 idle connections need more file descriptors than the default 1 024, for both sides.
    let mut cmd = Command::new("sh");
    cmd.arg("-c")
        .arg("ulimit -n 65536 2>/dev/null || ulimit -n 16384; exec node bench/bench.mjs \"$@\"")
        .arg("bench")
        .args(args)
        .current_dir(&root)
        .env("WALLET_CHECKOUT_DEMO", server)
        .env("WALLET_CHECKOUT_SITE", root.join("dist"))
        .env("WALLET_CHECKOUT_REQUESTS_BIN", requests)
        .env("WALLET_CHECKOUT_WASM_UNOPT", tools::unoptimised_wasm())
        .env("CHROMIUM", tools::CHROMIUM);
    run(&mut cmd)?;
    say("wrote bench/results/latest.json and bench/results/latest.md");
    Ok(())
}
