//! `cargo xtask demo | test | dist | bench | e2e`: every automation of the repository, installing what a fresh machine lacks.

mod bench;
mod demo;
mod dist;
mod postgres;
mod run;
mod test;
#[cfg(test)]
mod tidy;
mod tools;

use std::process::ExitCode;

const USAGE: &str = "usage: cargo xtask <command>

  demo   build the widget and serve the demo shop, the merchant server and the sandbox
         at http://127.0.0.1:8080 (PORT overrides); `demo -- --config F` runs a config
         file plus what its [demo] section asks (sandbox = true: against the sandbox)
  test   run every test: lints, native (SQLite, and PostgreSQL where the store matters), the
         widget's wasm tests in Chromium and Firefox, end to end in Chromium, Firefox and WebKit;
         `test --quick`: the native tests and the core scenarios in Chromium (the edit loop)
  bench  measure (size, startup, latency, requests, server, webhooks, or all) into bench/results/latest.{json,md}
         `bench codec`: the JSON codec against serde, into bench/results/codec.md
         `bench smoke`: every part tiny, asserting each figure is measured (CI's second step)
  dist   build the release into dist/: hashed names, sha384 integrity, manifest.json,
         snippet.html (the tags to paste), the iframe page, the npm package (.tgz)
  e2e    only the end-to-end suite (optionally some files: `cargo xtask e2e tests/e2e/flows.test.mjs`)

Both install what is missing first (wasm32 target, wasm-bindgen-cli, npm packages,
and for `test` Debian's chromium, firefox-esr, webkit2gtk-driver, xvfb and the Noto CJK
and emoji fonts, and geckodriver from the crate registry) and say so as they go.";

fn main() -> ExitCode {
    let args: Vec<String> = std::env::args().skip(1).collect();
    let result = match args.first().map(String::as_str) {
        Some("demo") => demo::run(&args[1..]),
        Some("test") => test::run(&args[1..]),
        Some("e2e") => test::e2e(&args[1..]),
        Some("dist") => dist::run_dist(),
        Some("bench") if args.get(1).map(String::as_str) == Some("codec") => bench::codec(),
        Some("bench") if args.get(1).map(String::as_str) == Some("smoke") => bench::smoke(),
        Some("bench") => bench::run_bench(&args[1..]),
        Some("-h" | "--help") => {
            println!("{USAGE}");
            return ExitCode::SUCCESS;
        }
        Some(other) => Err(format!("unknown command {other:?}\n\n{USAGE}")),
        None => Err(USAGE.to_string()),
    };
    match result {
        Ok(()) => ExitCode::SUCCESS,
        Err(e) => {
            eprintln!("xtask: {e}");
            ExitCode::FAILURE
        }
    }
}
