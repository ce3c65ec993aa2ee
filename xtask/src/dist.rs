//! `cargo xtask dist`: the release build into `dist/` — cargo (release profile), wasm-bindgen for
//! both glues, then `xtask/dist.mjs` for dead-export removal, wasm-opt (npm binaryen), bundling, hashing
//! and the manifest.

use std::path::PathBuf;
use std::process::Command;

use crate::run::{root, run, say};
use crate::tools;

pub fn run_dist() -> Result<(), String> {
    tools::ensure_build_tools()?;
    build()?;
    say("dist/ is ready: paste the tags in dist/snippet.html; the inventory is dist/manifest.json");
    Ok(())
}

/// `cargo build` of the release widget (wasm32, the library only); callers add features or a target dir.
pub fn widget_release_build() -> Command {
    let mut build = wasm_release_build();
    build.arg("--lib");
    build
}

/// `cargo build --release` of the widget's package for wasm32; callers name the target (`--lib`,
/// `--example …`).
pub fn wasm_release_build() -> Command {
    let mut build = Command::new("cargo");
    build.args([
        "build",
        "--release",
        "--target",
        "wasm32-unknown-unknown",
        "--package",
        "wallet-checkout",
    ]);
    build
}

/// Builds the widget and writes `dist/`; returns its path.
pub fn build() -> Result<PathBuf, String> {
    let root = root();
    say("building the widget (Leptos → wasm, release) and writing dist/");
    run(widget_release_build().current_dir(&root))?;
    let work = tools::target_dir().join("dist-work");
    let _ = std::fs::remove_dir_all(&work);
    let wasm = tools::unoptimised_wasm();
    for target in ["no-modules", "web"] {
        let mut cmd = Command::new(tools::cargo_bin().join("wasm-bindgen"));
        if target == "no-modules" {
            // Our own global, so another wasm-bindgen app on the page cannot collide with it.
            cmd.args(["--no-modules-global", "wallet_checkout_bindgen"]);
        }
        run(cmd
            .arg("--target")
            .arg(target)
            .arg("--no-typescript")
            .arg("--out-dir")
            .arg(work.join(target))
            .arg(&wasm))?;
    }
    let dist = root.join("dist");
    run(Command::new("node")
        .arg(root.join("xtask/dist.mjs"))
        .arg(work.join("no-modules"))
        .arg(work.join("web"))
        .arg(&dist)
        .current_dir(&root))?;
    Ok(dist)
}
