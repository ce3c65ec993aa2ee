//! The tidy test (part of `cargo test --workspace`, so of `cargo xtask test`): what ARCHITECTURE.md
//! promises that code can check. Every source file opens with its `//!` line; the widget (`src/`,
//! `www/`) names no gateway; `protocol` has no IO and no gateway names; the production server does
//! not depend on the sandbox; the server's layers (its core and service speak no HTTP and read no
//! config, nothing below the composition root imports the config, the store knows no gateway); the
//! code map names every crate and every server module, and every path it names exists.

use std::path::{Path, PathBuf};
use std::process::Command;

use crate::run::root;

const GATEWAYS: [&str; 4] = ["alphapay", "pass2pay", "yabandpay", "jeepay"];

/// Files under `dir` (relative to the root) ending in one of `exts`, skipping what is built or installed.
fn files(dir: &str, exts: &[&str]) -> Vec<PathBuf> {
    fn walk(p: &Path, exts: &[&str], out: &mut Vec<PathBuf>) {
        let Ok(entries) = std::fs::read_dir(p) else {
            return;
        };
        for e in entries.flatten() {
            let path = e.path();
            let name = e.file_name().to_string_lossy().into_owned();
            if path.is_dir() {
                if !matches!(
                    name.as_str(),
                    "node_modules" | "target" | "dist" | "pkg" | ".git"
                ) {
                    walk(&path, exts, out);
                }
            } else if exts.iter().any(|x| name.ends_with(x)) {
                out.push(path);
            }
        }
    }
    let mut out = Vec::new();
    walk(&root().join(dir), exts, &mut out);
    out.sort();
    out
}

fn read(p: &Path) -> String {
    std::fs::read_to_string(p).unwrap_or_else(|e| panic!("{}: {e}", p.display()))
}

fn shown(p: &Path) -> String {
    p.strip_prefix(root()).unwrap_or(p).display().to_string()
}

#[test]
fn every_source_file_opens_with_what_it_owns() {
    let mut bad = Vec::new();
    for dir in [
        "src", "www", "crates", "xtask", "tests", "bench", "examples",
    ] {
        for f in files(dir, &[".rs", ".js", ".mjs", ".ts"]) {
            let text = read(&f);
            // An executable script's `#!` line comes first; the line after it says what it owns.
            let first = text
                .lines()
                .find(|l| !l.starts_with("#!"))
                .unwrap_or_default();
            let ok = first.starts_with("//!")
                || (f.to_string_lossy().ends_with(".ts") && first.starts_with("/**"));
            if !ok || first.trim_start_matches("//!").trim().is_empty() {
                bad.push(shown(&f));
            }
        }
    }
    assert!(
        bad.is_empty(),
        "files without an opening `//!` line: {bad:?}"
    );
}

#[test]
fn the_widget_names_no_gateway() {
    let mut bad = Vec::new();
    for dir in ["src", "www"] {
        for f in files(
            dir,
            &[".rs", ".js", ".mjs", ".ts", ".css", ".html", ".json"],
        ) {
            let text = read(&f).to_ascii_lowercase();
            for g in GATEWAYS {
                if text.contains(g) {
                    bad.push(format!("{} names {g}", shown(&f)));
                }
            }
        }
    }
    assert!(bad.is_empty(), "{bad:?}");
}

#[test]
fn protocol_has_no_io_and_no_gateway_names() {
    let io = [
        "std::fs",
        "std::net",
        "std::io",
        "std::process",
        "std::env",
        "std::thread",
        "tokio",
        "reqwest",
        "axum",
        "web_sys",
        "js_sys",
        "wasm_bindgen",
    ];
    let mut bad = Vec::new();
    for f in files("crates/protocol/src", &[".rs"]) {
        let text = read(&f);
        let lower = text.to_ascii_lowercase();
        for g in GATEWAYS {
            if lower.contains(g) {
                bad.push(format!("{} names {g}", shown(&f)));
            }
        }
        for word in io {
            if text.contains(word) {
                bad.push(format!("{} uses {word}", shown(&f)));
            }
        }
    }
    let manifest = read(&root().join("crates/protocol/Cargo.toml"));
    let deps = manifest
        .split("[dependencies]")
        .nth(1)
        .and_then(|d| d.split("\n[").next())
        .unwrap_or_default();
    for line in deps.lines().filter(|l| l.contains('=')) {
        let name = line.split('=').next().unwrap_or_default().trim();
        if name != "serde" {
            bad.push(format!("crates/protocol depends on {name}"));
        }
    }
    assert!(bad.is_empty(), "{bad:?}");
}

#[test]
fn the_production_server_does_not_link_the_sandbox() {
    let out = Command::new(env!("CARGO"))
        .args([
            "tree",
            "--offline",
            "--package",
            "wallet-checkout-server",
            "--edges",
            "normal,build,dev",
            "--prefix",
            "none",
        ])
        .current_dir(root())
        .output()
        .expect("cargo tree runs");
    assert!(
        out.status.success(),
        "cargo tree failed: {}",
        String::from_utf8_lossy(&out.stderr)
    );
    let tree = String::from_utf8_lossy(&out.stdout);
    assert!(
        tree.lines()
            .any(|l| l.starts_with("wallet-checkout-server ")),
        "{tree}"
    );
    let linked: Vec<&str> = tree
        .lines()
        .filter(|l| {
            l.starts_with("wallet-checkout-sandbox") || l.starts_with("wallet-checkout-demo")
        })
        .collect();
    assert!(
        linked.is_empty(),
        "wallet-checkout-server depends on {linked:?}"
    );
}

#[test]
fn the_code_map_names_every_crate_and_server_module() {
    let map = read(&root().join("ARCHITECTURE.md"));
    let mut missing = Vec::new();
    for krate in [
        "crates/protocol",
        "crates/server",
        "crates/sandbox",
        "crates/demo",
        "xtask",
    ] {
        if !map.contains(&format!("`{krate}`")) && !map.contains(&format!("`{krate}/`")) {
            missing.push(krate.to_string());
        }
    }
    for f in files("crates/server/src", &[".rs"]) {
        let rel = shown(&f);
        let name = f
            .file_name()
            .map(|n| n.to_string_lossy().into_owned())
            .unwrap_or_default();
        // `gateway/<name>/…` files are covered by the folder's entry; every other file is named.
        if rel.contains("/gateway/") && rel.matches('/').count() > 4 {
            continue;
        }
        if !map.contains(&format!("`{name}`")) && !map.contains(&name) {
            missing.push(rel);
        }
    }
    assert!(
        missing.is_empty(),
        "ARCHITECTURE.md's code map lacks {missing:?}"
    );
}

/// The words a file's text must not contain, for each file under `dir` (relative to the root).
fn forbid(dir: &str, only: Option<&str>, words: &[&str], bad: &mut Vec<String>) {
    for f in files(dir, &[".rs"]) {
        if only.is_some_and(|o| !shown(&f).ends_with(o)) {
            continue;
        }
        // Code only: a comment may name what the code must not use.
        let text: String = read(&f)
            .lines()
            .filter(|l| !l.trim_start().starts_with("//"))
            .collect::<Vec<_>>()
            .join("\n");
        for w in words {
            if text.contains(w) {
                bad.push(format!("{} uses {w}", shown(&f)));
            }
        }
    }
}

#[test]
fn the_server_is_in_layers() {
    let mut bad = Vec::new();
    // The core and the service speak no HTTP, read no TOML and no config, and call no HTTP client.
    let edge = [
        "axum",
        "hyper",
        "tower",
        "reqwest",
        "toml",
        "StatusCode",
        "crate::config",
        "crate::http::error",
        "crate::http::api",
        "crate::http::admin",
    ];
    forbid("crates/server/src/core", None, &edge, &mut bad);
    forbid(
        "crates/server/src",
        Some("src/checkout.rs"),
        &edge,
        &mut bad,
    );
    // The core is below everything: it imports nothing of the server but itself.
    for f in files("crates/server/src/core", &[".rs"]) {
        for line in read(&f)
            .lines()
            .filter(|l| l.contains("crate::") && !l.trim_start().starts_with("//"))
        {
            let rest = line.split("crate::").skip(1);
            for r in rest {
                if !r.starts_with("core::") {
                    bad.push(format!("{} imports crate::{r}", shown(&f)));
                }
            }
        }
    }
    // The config is on top: only the composition root and the binaries read it.
    for f in files("crates/server/src", &[".rs"]) {
        let rel = shown(&f);
        if ["src/config.rs", "src/app.rs", "src/main.rs", "src/lib.rs"]
            .iter()
            .any(|ok| rel.ends_with(ok))
        {
            continue;
        }
        let code = read(&f)
            .lines()
            .filter(|l| !l.trim_start().starts_with("//"))
            .any(|l| l.contains("crate::config"));
        if code {
            bad.push(format!("{rel} imports crate::config"));
        }
    }
    // The config asks the gateway registry (`gateway/registry.rs`) and names no gateway itself.
    let config = read(&root().join("crates/server/src/config.rs"));
    let code = config.split("#[cfg(test)]").next().unwrap_or_default();
    for g in GATEWAYS {
        if code.to_ascii_lowercase().contains(g) {
            bad.push(format!("crates/server/src/config.rs names {g}"));
        }
    }
    // The store keeps records; it knows no gateway.
    forbid(
        "crates/server/src/store",
        None,
        &["crate::gateway"],
        &mut bad,
    );
    assert!(bad.is_empty(), "{bad:?}");
}

#[test]
fn every_path_the_code_map_names_exists() {
    let map = read(&root().join("ARCHITECTURE.md"));
    let tops = [
        "src/",
        "www/",
        "crates/",
        "xtask/",
        "tests/",
        "bench/",
        "docs/",
        "examples/",
        ".ci/",
        ".cargo/",
    ];
    let mut missing = Vec::new();
    for token in map.split('`').skip(1).step_by(2) {
        let path = token.trim_end_matches([',', ':', ';']);
        if path.contains(char::is_whitespace)
            || path.contains(['<', '{', '*', '…'])
            || !tops.iter().any(|t| path.starts_with(t))
        {
            continue;
        }
        if !root().join(path).exists() {
            missing.push(path.to_string());
        }
    }
    assert!(
        missing.is_empty(),
        "ARCHITECTURE.md names paths that do not exist: {missing:?}"
    );
}
