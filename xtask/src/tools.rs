//! Installs what a fresh machine lacks, each step said out loud and skipped when already there.
//!
//! Pins: wasm-bindgen-cli equals the `wasm-bindgen = "=X"` of the root Cargo.toml; wasm-opt from npm
//! `binaryen` (Debian's 108 silently breaks Leptos output); esbuild, TypeScript and Vite from npm.

use std::path::{Path, PathBuf};
use std::process::Command;

use crate::run::{output, root, run, say};

pub const BINARYEN_VERSION: &str = "132";

/// `~/.cargo/bin` (or `$CARGO_HOME/bin`), where `cargo install` puts tools.
pub fn cargo_bin() -> PathBuf {
    let home = std::env::var_os("CARGO_HOME")
        .map(PathBuf::from)
        .or_else(|| std::env::var_os("HOME").map(|h| PathBuf::from(h).join(".cargo")))
        .unwrap_or_else(|| PathBuf::from(".cargo"));
    home.join("bin")
}

/// PATH with npm's `.bin` and cargo's bin first, so tools find binaryen 132, never Debian's wasm-opt.
pub fn tool_path() -> std::ffi::OsString {
    let mut dirs = vec![root().join("node_modules/.bin"), cargo_bin()];
    if let Some(p) = std::env::var_os("PATH") {
        dirs.extend(std::env::split_paths(&p));
    }
    std::env::join_paths(dirs).unwrap_or_default()
}

/// The exact wasm-bindgen version pinned in the root Cargo.toml.
pub fn wasm_bindgen_version() -> Result<String, String> {
    let manifest = std::fs::read_to_string(root().join("Cargo.toml"))
        .map_err(|e| format!("Cargo.toml: {e}"))?;
    manifest
        .lines()
        .find_map(|l| {
            let l = l.trim();
            let rest = l
                .strip_prefix("wasm-bindgen")?
                .trim_start()
                .strip_prefix('=')?
                .trim();
            rest.strip_prefix("\"=")?
                .split('"')
                .next()
                .map(str::to_string)
        })
        .ok_or_else(|| {
            "Cargo.toml must pin wasm-bindgen exactly (wasm-bindgen = \"=X.Y.Z\")".to_string()
        })
}

fn ensure_wasm_target() -> Result<(), String> {
    let installed = output("rustup", &["target", "list", "--installed"]).unwrap_or_default();
    if installed
        .lines()
        .any(|l| l.trim() == "wasm32-unknown-unknown")
    {
        return Ok(());
    }
    say("installing the Rust target wasm32-unknown-unknown");
    run(Command::new("rustup").args(["target", "add", "wasm32-unknown-unknown"]))
}

fn has_version(bin: &Path, version: &str) -> bool {
    output(&bin.to_string_lossy(), &["--version"])
        .is_some_and(|v| v.split_whitespace().any(|w| w == version))
}

/// `debug`: built without optimisation, for a tool the tests run a few times (trunk, geckodriver):
/// it compiles in a third of the time, which is most of a cold run's wait.
fn ensure_cargo_tool(
    bin: &str,
    krate: &str,
    version: &str,
    locked: bool,
    debug: bool,
    minutes: u32,
) -> Result<(), String> {
    if has_version(&cargo_bin().join(bin), version) {
        return Ok(());
    }
    say(&format!(
        "installing {krate} {version} with cargo (about {minutes} minutes on 2 cores, once)"
    ));
    let mut cmd = Command::new("cargo");
    cmd.args(["install", krate, "--version", version]);
    if locked {
        cmd.arg("--locked");
    }
    if debug {
        cmd.arg("--debug");
    }
    run(&mut cmd)
}

fn ensure_npm_packages() -> Result<(), String> {
    let root = root();
    let lock = std::fs::read(root.join("package-lock.json"))
        .map_err(|e| format!("package-lock.json: {e}"))?;
    let stamp = root.join("node_modules/.xtask-installed-lock");
    let wasm_opt = root.join("node_modules/.bin/wasm-opt");
    if std::fs::read(&stamp).ok().as_deref() == Some(lock.as_slice()) && wasm_opt.exists() {
        return Ok(());
    }
    say("installing npm packages from package-lock.json (binaryen, esbuild, typescript, vite, playwright-core, selenium-webdriver, ws, axe-core, jsqr, pngjs, pixelmatch)");
    run(Command::new("npm")
        // Not `npm ci`: this registry lists only some of rollup's optional platform packages, which
        // `npm ci` calls a lockfile mismatch; `npm install` keeps the locked versions all the same.
        .args(["install", "--no-audit", "--no-fund"])
        .current_dir(&root))?;
    let version = output(&wasm_opt.to_string_lossy(), &["--version"]).unwrap_or_default();
    if !version.contains(&format!("version {BINARYEN_VERSION}")) {
        return Err(format!(
            "node_modules/.bin/wasm-opt is {version:?}, expected binaryen {BINARYEN_VERSION}"
        ));
    }
    std::fs::write(&stamp, lock).map_err(|e| e.to_string())
}

/// Everything the widget build needs.
pub fn ensure_build_tools() -> Result<(), String> {
    ensure_wasm_target()?;
    let wb = wasm_bindgen_version()?;
    // Not --locked: its lockfile pins a webpki-roots the registry here lacks (see ARCHITECTURE.md).
    ensure_cargo_tool("wasm-bindgen", "wasm-bindgen-cli", &wb, false, false, 4)?;
    ensure_npm_packages()
}

/// Trunk for `trunk serve` (0.22 needs Rust 1.96; 0.21.14 builds here with its own lockfile).
pub const TRUNK_VERSION: &str = "0.21.14";

pub fn ensure_trunk() -> Result<PathBuf, String> {
    ensure_cargo_tool("trunk", "trunk", TRUNK_VERSION, true, true, 4)?;
    Ok(cargo_bin().join("trunk"))
}

pub const CHROMIUM: &str = "/usr/bin/chromium";
pub const CHROMEDRIVER: &str = "/usr/bin/chromedriver";
pub const FIREFOX: &str = "/usr/bin/firefox-esr";
pub const WEBKITWEBDRIVER: &str = "/usr/bin/WebKitWebDriver";
pub const MINIBROWSER: &str = "/usr/lib/x86_64-linux-gnu/webkit2gtk-4.1/MiniBrowser";
pub const XVFB: &str = "/usr/bin/Xvfb";
/// Noto CJK: without it Chinese, Japanese and Korean are empty boxes in screenshots.
const CJK_FONT: &str = "/usr/share/fonts/opentype/noto/NotoSansCJK-Regular.ttc";
const EMOJI_FONT: &str = "/usr/share/fonts/truetype/noto/NotoColorEmoji.ttf";

/// Debian's three engines for every browser test (chromium with chromium-driver, firefox-esr,
/// webkit2gtk-driver's WebKitWebDriver and MiniBrowser, xvfb for MiniBrowser's window) and the
/// fonts the screenshots need (Noto CJK, Noto Color Emoji).
pub fn ensure_browser() -> Result<(), String> {
    let needed = [
        CHROMIUM,
        CHROMEDRIVER,
        FIREFOX,
        WEBKITWEBDRIVER,
        MINIBROWSER,
        XVFB,
        CJK_FONT,
        EMOJI_FONT,
    ];
    if needed.iter().all(|f| Path::new(f).exists()) {
        return Ok(());
    }
    say("installing Debian's chromium, chromium-driver, firefox-esr, webkit2gtk-driver, xvfb, fonts-noto-cjk and fonts-noto-color-emoji with apt-get");
    apt_install(&[
        "chromium",
        "chromium-driver",
        "firefox-esr",
        "webkit2gtk-driver",
        "xvfb",
        "xauth",
        "fonts-noto-cjk",
        "fonts-noto-color-emoji",
    ])?;
    match needed.iter().find(|f| !Path::new(f).exists()) {
        None => Ok(()),
        Some(missing) => Err(format!("apt-get finished but {missing} is missing")),
    }
}

/// geckodriver from the crate registry, for the widget's wasm-bindgen tests in Firefox.
pub const GECKODRIVER_VERSION: &str = "0.37.0";

pub fn ensure_geckodriver() -> Result<PathBuf, String> {
    ensure_cargo_tool(
        "geckodriver",
        "geckodriver",
        GECKODRIVER_VERSION,
        true,
        true,
        2,
    )?;
    Ok(cargo_bin().join("geckodriver"))
}

/// The `standardwebhooks` version from PyPI the README's Python snippet is tested with.
pub const PY_STANDARDWEBHOOKS: &str = "1.1.0";

/// A Python virtual environment in `target/` with PyPI's `standardwebhooks`, for the README's
/// Python snippet; answers its interpreter. Made once (Debian's `python3-venv` if venv is missing).
pub fn ensure_python_webhooks() -> Result<PathBuf, String> {
    let venv = target_dir().join("py-webhooks");
    let python = venv.join("bin/python");
    let ready = |python: &Path| {
        Command::new(python)
            .args(["-c", "import standardwebhooks"])
            .output()
            .is_ok_and(|o| o.status.success())
    };
    if ready(&python) {
        return Ok(python);
    }
    say(&format!(
        "installing PyPI's standardwebhooks {PY_STANDARDWEBHOOKS} into {} (the README's Python snippet is tested with it)",
        venv.display()
    ));
    let make = |venv: &Path| run(Command::new("python3").args(["-m", "venv"]).arg(venv));
    if make(&venv).is_err() {
        apt_install(&["python3-venv"])?;
        make(&venv)?;
    }
    run(Command::new(&python).args([
        "-m",
        "pip",
        "install",
        "-q",
        &format!("standardwebhooks=={PY_STANDARDWEBHOOKS}"),
    ]))?;
    if ready(&python) {
        Ok(python)
    } else {
        Err("pip finished but standardwebhooks does not import".into())
    }
}

pub const WRK: &str = "/usr/bin/wrk";

/// Debian's `wrk`, the load generator of the server benchmark.
pub fn ensure_wrk() -> Result<(), String> {
    if Path::new(WRK).exists() {
        return Ok(());
    }
    say("installing Debian's wrk with apt-get");
    apt_install(&["wrk"])?;
    if Path::new(WRK).exists() {
        Ok(())
    } else {
        Err(format!("apt-get finished but {WRK} is missing"))
    }
}

/// Debian's `sqlite3`, which writes the console bench's million sessions into a store's file.
pub const SQLITE3: &str = "/usr/bin/sqlite3";

pub fn ensure_sqlite3() -> Result<(), String> {
    if Path::new(SQLITE3).exists() {
        return Ok(());
    }
    say("installing Debian's sqlite3 with apt-get");
    apt_install(&["sqlite3"])?;
    if Path::new(SQLITE3).exists() {
        Ok(())
    } else {
        Err(format!("apt-get finished but {SQLITE3} is missing"))
    }
}

/// Debian's nginx, the load balancer of the multi-instance end-to-end tests.
pub const NGINX: &str = "/usr/sbin/nginx";

pub fn ensure_nginx() -> Result<(), String> {
    if Path::new(NGINX).exists() {
        return Ok(());
    }
    say("installing Debian's nginx with apt-get");
    apt_install(&["nginx"])?;
    // The package starts a system nginx on port 80; the tests run their own.
    let _ = Command::new("systemctl")
        .args(["disable", "--now", "nginx"])
        .status();
    if Path::new(NGINX).exists() {
        Ok(())
    } else {
        Err(format!("apt-get finished but {NGINX} is missing"))
    }
}

pub const CADDY: &str = "/usr/bin/caddy";

/// Debian's Caddy (the README's same-origin Caddyfile is tested with it), installed if missing; the
/// package's own service stays stopped.
pub fn ensure_caddy() -> Result<(), String> {
    if Path::new(CADDY).exists() {
        return Ok(());
    }
    say("installing Debian's caddy with apt-get");
    apt_install_quiet_services(&["caddy"])?;
    let _ = Command::new("systemctl")
        .args(["disable", "--now", "caddy"])
        .status();
    if Path::new(CADDY).exists() {
        Ok(())
    } else {
        Err(format!("apt-get finished but {CADDY} is missing"))
    }
}

/// `apt_install` without letting the packages start their own services (Debian's `policy-rc.d`
/// convention): postgresql's cluster on 5432 and nginx on port 80 stay stopped, and a busy port
/// cannot fail the install. The tests run their own.
pub fn apt_install_quiet_services(packages: &[&str]) -> Result<(), String> {
    let policy = Path::new("/usr/sbin/policy-rc.d");
    let ours = !policy.exists()
        && std::fs::write(
            policy,
            "#!/bin/sh\n# written by cargo xtask for one apt-get install\nexit 101\n",
        )
        .is_ok();
    if ours {
        use std::os::unix::fs::PermissionsExt;
        let _ = std::fs::set_permissions(policy, std::fs::Permissions::from_mode(0o755));
    }
    let installed = apt_install(packages);
    if ours {
        let _ = std::fs::remove_file(policy);
    }
    installed
}

pub fn apt_install(packages: &[&str]) -> Result<(), String> {
    let is_root = output("id", &["-u"]).is_some_and(|u| u.trim() == "0");
    let apt = |args: &[&str]| {
        let mut cmd = if is_root {
            Command::new("apt-get")
        } else {
            Command::new("sudo")
        };
        if !is_root {
            cmd.args(["-n", "apt-get"]);
        }
        cmd.args(args).env("DEBIAN_FRONTEND", "noninteractive");
        run(&mut cmd)
    };
    apt(&["update", "-q"])?;
    let mut install = vec!["install", "-y", "-q"];
    install.extend_from_slice(packages);
    apt(&install)
}

pub fn target_dir() -> PathBuf {
    std::env::var_os("CARGO_TARGET_DIR")
        .map(PathBuf::from)
        .unwrap_or_else(|| root().join("target"))
}

/// `cargo build --profile PROFILE --package PACKAGE --bin|--example NAME` for the host; returns the
/// path of what it built.
fn build_host(profile: &str, package: &str, kind: &str, name: &str) -> Result<PathBuf, String> {
    run(Command::new("cargo")
        .args([
            "build",
            "--profile",
            profile,
            "--package",
            package,
            kind,
            name,
        ])
        .current_dir(root()))?;
    let dir = target_dir().join(if profile == "dev" { "debug" } else { profile });
    Ok(if kind == "--example" {
        dir.join("examples").join(name)
    } else {
        dir.join(name)
    })
}

/// Builds the demo binary (the merchant server with the sandbox and demo orders) and returns its
/// path: the debug build, or with `profile = "server-release"` the optimised one the benchmarks measure.
pub fn build_demo_with(profile: &str) -> Result<PathBuf, String> {
    build_host(
        profile,
        "wallet-checkout-demo",
        "--bin",
        "wallet-checkout-demo",
    )
}

/// Builds the production server binary (no sandbox, no demo) and returns its path.
pub fn build_server() -> Result<PathBuf, String> {
    build_host(
        "dev",
        "wallet-checkout-server",
        "--bin",
        "wallet-checkout-server",
    )
}

pub fn build_demo() -> Result<PathBuf, String> {
    build_demo_with("dev")
}

/// Builds the bench's plain axum peer (`crates/server/examples/axum_peer.rs`) and returns its path.
pub fn build_axum_peer(profile: &str) -> Result<PathBuf, String> {
    build_host(profile, "wallet-checkout-server", "--example", "axum_peer")
}

/// Builds the bench's floor, `examples/leptos_counter.rs`, with the widget's release profile and runs
/// wasm-bindgen on it (`--target web`); returns the directory with `leptos_counter.js` and
/// `leptos_counter_bg.wasm` (the bench runs wasm-opt and minifies the glue as `dist` does).
pub fn build_leptos_counter() -> Result<PathBuf, String> {
    run(crate::dist::wasm_release_build()
        .args(["--example", "leptos_counter"])
        .current_dir(root()))?;
    let out = target_dir().join("bench-floor");
    let _ = std::fs::remove_dir_all(&out);
    run(Command::new(cargo_bin().join("wasm-bindgen"))
        .args(["--target", "web", "--no-typescript", "--out-dir"])
        .arg(&out)
        .arg(target_dir().join("wasm32-unknown-unknown/release/examples/leptos_counter.wasm")))?;
    Ok(out)
}

/// Builds `examples/requests.rs` (the widget's state machine counting requests) and returns its path.
pub fn build_requests_example(profile: &str) -> Result<PathBuf, String> {
    build_host(profile, "wallet-checkout", "--example", "requests")
}

/// The widget's wasm before wasm-opt (it still has its function names): the size breakdown reads it.
pub fn unoptimised_wasm() -> PathBuf {
    target_dir().join("wasm32-unknown-unknown/release/wallet_checkout.wasm")
}
