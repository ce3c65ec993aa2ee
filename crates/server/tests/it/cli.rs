//! Bad starts end at once with a one-line error and exit code 2, before anything is bound; a good
//! config serves the checkout and nothing of the demo or the sandbox.

use std::io::{BufRead, BufReader};
use std::net::TcpListener;
use std::path::PathBuf;
use std::process::{Command, Stdio};
use std::time::{Duration, Instant};

fn server() -> Command {
    let mut c = Command::new(env!("CARGO_BIN_EXE_wallet-checkout-server"));
    c.env_remove("RUST_LOG");
    c
}

fn temp(name: &str, text: &str) -> PathBuf {
    let dir = std::env::temp_dir().join(format!("wc-cli-{}-{name}", std::process::id()));
    std::fs::create_dir_all(&dir).expect("dir");
    let path = dir.join("checkout.toml");
    std::fs::write(&path, text).expect("config");
    path
}

/// A loopback port nobody listens on right now.
fn free_port() -> u16 {
    TcpListener::bind("127.0.0.1:0")
        .and_then(|l| l.local_addr())
        .map(|a| a.port())
        .expect("a free port")
}

/// Runs to the end (at most 20 s): exit code and stderr.
fn run(cmd: &mut Command) -> (Option<i32>, String) {
    let mut child = cmd
        .stdout(Stdio::null())
        .stderr(Stdio::piped())
        .spawn()
        .expect("starts");
    let deadline = Instant::now() + Duration::from_secs(20);
    loop {
        if let Some(status) = child.try_wait().expect("wait") {
            let mut err = String::new();
            if let Some(mut e) = child.stderr.take() {
                let _ = std::io::Read::read_to_string(&mut e, &mut err);
            }
            return (status.code(), err);
        }
        if Instant::now() > deadline {
            let _ = child.kill();
            panic!("the server kept running on a bad start");
        }
        std::thread::sleep(Duration::from_millis(20));
    }
}

/// Exit 2, one line of error naming `needle`, and the config's port still free.
#[track_caller]
fn refused(path_or_args: &[&str], port: Option<u16>, needle: &str) {
    let (code, err) = run(server().args(path_or_args));
    assert_eq!(code, Some(2), "{err}");
    let lines: Vec<&str> = err.lines().filter(|l| !l.trim().is_empty()).collect();
    assert_eq!(lines.len(), 1, "one line: {err:?}");
    assert!(lines[0].contains(needle), "{needle:?} not in {err:?}");
    if let Some(p) = port {
        TcpListener::bind(("127.0.0.1", p)).expect("nothing was bound");
    }
}

const BASE: &str = "public_url = \"https://shop.example\"\nstore = \"memory\"\n";

#[test]
fn without_config_it_prints_its_usage_and_exits_2() {
    let (code, err) = run(&mut server());
    assert_eq!(code, Some(2), "{err}");
    assert!(
        err.starts_with("usage: wallet-checkout-server --config FILE"),
        "{err}"
    );
    let (code, err) = run(server().arg("--sandbox"));
    assert_eq!(code, Some(2));
    assert!(err.contains("--sandbox"), "{err}");
}

#[test]
fn a_missing_file_is_named() {
    let missing = std::env::temp_dir().join("wc-cli-no-such-dir/checkout.toml");
    let shown = missing.display().to_string();
    refused(&["--config", &shown], None, &shown);
}

#[test]
fn a_demo_section_is_refused_by_name_before_binding() {
    let port = free_port();
    let path = temp(
        "demo",
        &format!("listen = \"127.0.0.1:{port}\"\n{BASE}[demo]\nsandbox = true\n"),
    );
    refused(
        &["--config", &path.display().to_string()],
        Some(port),
        "[demo]",
    );
}

#[test]
fn an_unknown_section_or_key_is_named_with_its_line() {
    let port = free_port();
    let path = temp(
        "unknown",
        &format!("listen = \"127.0.0.1:{port}\"\n{BASE}[sandbox]\nx = 1\n"),
    );
    refused(
        &["--config", &path.display().to_string()],
        Some(port),
        "line 4",
    );
    let path = temp("unknown-key", &format!("{BASE}secret = \"hunter2\"\n"));
    refused(&["--config", &path.display().to_string()], None, "secret");
}

#[test]
fn a_missing_secret_is_named_before_binding() {
    let port = free_port();
    let path = temp(
        "secret",
        &format!(
            "listen = \"127.0.0.1:{port}\"\n{BASE}[gateways.yabandpay]\nbase_url = \"https://mapi.example\"\nuser = \"1\"\nsecret_env = \"WC_CLI_UNSET_SECRET\"\n"
        ),
    );
    refused(
        &["--config", &path.display().to_string()],
        Some(port),
        "WC_CLI_UNSET_SECRET",
    );
}

#[test]
fn a_good_config_serves_the_checkout_and_no_sandbox_or_demo() {
    let port = free_port();
    let path = temp("good", &format!("listen = \"127.0.0.1:{port}\"\n{BASE}"));
    let mut child = server()
        .arg("--config")
        .arg(&path)
        .stdout(Stdio::piped())
        .stderr(Stdio::null())
        .spawn()
        .expect("starts");
    let stdout = child.stdout.take().expect("stdout");
    let mut line = String::new();
    BufReader::new(stdout).read_line(&mut line).expect("a line");
    assert!(line.contains(&format!("127.0.0.1:{port}")), "{line}");
    let get = |path: &str| -> u16 {
        let url = format!("http://127.0.0.1:{port}{path}");
        let rt = tokio::runtime::Builder::new_current_thread()
            .enable_all()
            .build()
            .expect("runtime");
        rt.block_on(async {
            reqwest::Client::new()
                .post(url)
                .header("content-type", "application/json")
                .body("{}")
                .send()
                .await
                .expect("answers")
                .status()
                .as_u16()
        })
    };
    assert_eq!(get("/sandbox/control"), 404, "no sandbox in production");
    assert_eq!(get("/demo/orders"), 404, "no demo orders in production");
    assert_eq!(
        get("/api/checkout/sessions"),
        422,
        "the checkout API is there (and refuses an empty body)"
    );
    let _ = child.kill();
    let _ = child.wait();
}

#[test]
fn an_admin_token_shorter_than_32_characters_is_refused() {
    let port = free_port();
    let path = temp(
        "token",
        &format!("listen = \"127.0.0.1:{port}\"\n{BASE}[admin]\ntoken_env = \"WC_CLI_TOKEN\"\n"),
    );
    let (code, err) = run(server()
        .arg("--config")
        .arg(&path)
        .env("WC_CLI_TOKEN", "only-twenty-chars-xx"));
    assert_eq!(code, Some(2), "{err}");
    assert!(err.contains("WC_CLI_TOKEN") && err.contains("32"), "{err}");
    TcpListener::bind(("127.0.0.1", port)).expect("nothing was bound");
}

#[test]
fn admin_listen_keeps_the_admin_api_off_the_public_address() {
    let (public, private) = (free_port(), free_port());
    let path = temp(
        "admin-listen",
        &format!(
            "listen = \"127.0.0.1:{public}\"\n{BASE}[admin]\ntoken_env = \"WC_CLI_ADMIN\"\nlisten = \"127.0.0.1:{private}\"\n"
        ),
    );
    let token = "cli-admin-token-0123456789-abcdefghij";
    let mut child = server()
        .arg("--config")
        .arg(&path)
        .env("WC_CLI_ADMIN", token)
        .stdout(Stdio::piped())
        .stderr(Stdio::null())
        .spawn()
        .expect("starts");
    let mut lines = BufReader::new(child.stdout.take().expect("stdout")).lines();
    let first = lines.next().and_then(Result::ok).unwrap_or_default();
    let second = lines.next().and_then(Result::ok).unwrap_or_default();
    assert!(first.contains(&format!(":{private}/admin/")), "{first}");
    assert!(second.contains("running at"), "{second}");
    let rt = tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()
        .expect("runtime");
    let get = |port: u16| {
        rt.block_on(async {
            let res = reqwest::Client::new()
                .get(format!("http://127.0.0.1:{port}/admin/orders/A1"))
                .header("authorization", format!("Bearer {token}"))
                .send()
                .await
                .expect("answers");
            (res.status().as_u16(), res.text().await.unwrap_or_default())
        })
    };
    let (status, body) = get(private);
    assert_eq!(status, 404);
    assert!(
        body.contains("order_not_found"),
        "the admin API answers there: {body}"
    );
    let (status, body) = get(public);
    assert_eq!(status, 404);
    assert!(
        !body.contains("order_not_found"),
        "and not on the public address: {body}"
    );
    let _ = child.kill();
    let _ = child.wait();
}

#[test]
fn a_config_without_store_is_refused_naming_store() {
    let port = free_port();
    let path = temp(
        "no-store",
        &format!("listen = \"127.0.0.1:{port}\"\npublic_url = \"https://shop.example\"\n"),
    );
    refused(
        &["--config", &path.display().to_string()],
        Some(port),
        "store is required",
    );
}

/// The cluster `cargo xtask test` starts with TLS, and its CA's and an unrelated CA's files.
fn tls_cluster() -> (String, String, String) {
    let var = |name: &str| {
        std::env::var(name).unwrap_or_else(|_| {
            panic!("{name} is not set: run the tests through `cargo xtask test`, which starts a PostgreSQL with TLS")
        })
    };
    (
        var("WALLET_CHECKOUT_TEST_POSTGRES_TLS"),
        var("WALLET_CHECKOUT_TEST_POSTGRES_CA"),
        var("WALLET_CHECKOUT_TEST_POSTGRES_OTHER_CA"),
    )
}

/// A production config on `store`, listening on `port`.
fn on_store(name: &str, port: u16, store: &str) -> String {
    temp(
        name,
        &format!("listen = \"127.0.0.1:{port}\"\npublic_url = \"https://shop.example\"\nstore = \"{store}\"\n"),
    )
    .display()
    .to_string()
}

/// The password put in every store URL below: it must never be printed.
const PASSWORD: &str = "pw-never-printed";

fn with_password(url: &str) -> String {
    url.replacen("postgres@", &format!("postgres:{PASSWORD}@"), 1)
}

#[test]
fn postgres_over_tls_verifies_the_servers_certificate_against_sslrootcert() {
    let (cluster, ca, _) = tls_cluster();
    let port = free_port();
    let store = format!(
        "{}/postgres?sslmode=verify-full&sslrootcert={ca}",
        with_password(&cluster)
    );
    let mut child = server()
        .arg("--config")
        .arg(on_store("tls-good", port, &store))
        .stdout(Stdio::piped())
        .stderr(Stdio::null())
        .spawn()
        .expect("starts");
    let stdout = child.stdout.take().expect("stdout");
    let mut line = String::new();
    BufReader::new(stdout).read_line(&mut line).expect("a line");
    let healthz = tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()
        .expect("runtime")
        .block_on(async {
            let res = reqwest::get(format!("http://127.0.0.1:{port}/healthz"))
                .await
                .expect("answers");
            (res.status().as_u16(), res.text().await.unwrap_or_default())
        });
    let _ = child.kill();
    let _ = child.wait();
    assert!(line.contains(&format!("127.0.0.1:{port}")), "{line}");
    assert_eq!(
        healthz,
        (200, r#"{"status":"ok"}"#.to_string()),
        "the store answers over TLS"
    );
}

/// Exit 2 with one line naming `needle`, and the password nowhere in it.
#[track_caller]
fn store_refused(name: &str, store: &str, needle: &str) {
    let port = free_port();
    let config = on_store(name, port, store);
    let (code, err) = run(server().arg("--config").arg(&config));
    assert_eq!(code, Some(2), "{name}: {err}");
    let lines: Vec<&str> = err.lines().filter(|l| !l.trim().is_empty()).collect();
    assert_eq!(lines.len(), 1, "{name}: one line: {err:?}");
    assert!(
        lines[0].contains(needle),
        "{name}: {needle:?} not in {err:?}"
    );
    assert!(
        !err.contains(PASSWORD),
        "{name}: the password was printed: {err}"
    );
    TcpListener::bind(("127.0.0.1", port)).expect("nothing was bound");
}

#[test]
fn postgres_tls_failures_and_a_remote_host_in_clear_are_one_line_and_exit_2() {
    let (cluster, _, other_ca) = tls_cluster();
    let plain = std::env::var("WALLET_CHECKOUT_TEST_POSTGRES")
        .expect("WALLET_CHECKOUT_TEST_POSTGRES: run the tests through `cargo xtask test`");
    store_refused(
        "tls-other-ca",
        &format!(
            "{}/postgres?sslmode=verify-full&sslrootcert={other_ca}",
            with_password(&cluster)
        ),
        "certificate",
    );
    store_refused(
        "tls-required-not-offered",
        &format!("{}/postgres?sslmode=require", with_password(&plain)),
        "TLS",
    );
    store_refused(
        "tls-remote-in-clear",
        &format!("postgres://checkout:{PASSWORD}@db.invalid:5432/checkout"),
        "sslmode",
    );
    store_refused(
        "tls-bad-mode",
        &format!("postgres://checkout:{PASSWORD}@127.0.0.1:5432/checkout?sslmode=prefer"),
        "sslmode",
    );
}

#[test]
fn what_a_shop_forgot_is_said_at_start_and_an_untrusted_proxy_once() {
    let port = free_port();
    // No [routing], no [webhooks], and a public_url on this machine.
    let path = temp(
        "forgot",
        &format!("listen = \"127.0.0.1:{port}\"\npublic_url = \"http://127.0.0.1:{port}\"\nstore = \"memory\"\n"),
    );
    let mut child = server()
        .arg("--config")
        .arg(&path)
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .expect("starts");
    let stdout = child.stdout.take().expect("stdout");
    let mut line = String::new();
    BufReader::new(stdout).read_line(&mut line).expect("a line");
    let rt = tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()
        .expect("runtime");
    rt.block_on(async {
        for _ in 0..3 {
            let res = reqwest::Client::new()
                .get(format!(
                    "http://127.0.0.1:{port}/api/checkout/sessions/cs_x"
                ))
                .header("x-forwarded-for", "203.0.113.7")
                .send()
                .await
                .expect("answers");
            assert_eq!(res.status().as_u16(), 404);
        }
        // A create reads the client's address (reads do not): three of them.
        for _ in 0..3 {
            let _ = reqwest::Client::new()
                .post(format!("http://127.0.0.1:{port}/api/checkout/sessions"))
                .header("x-forwarded-for", "203.0.113.7")
                .header("content-type", "application/json")
                .body(r#"{"order":"A1","wallet":"alipay","flow":"qr"}"#)
                .send()
                .await
                .expect("answers");
        }
    });
    let _ = child.kill();
    let mut err = String::new();
    if let Some(mut e) = child.stderr.take() {
        let _ = std::io::Read::read_to_string(&mut e, &mut err);
    }
    let _ = child.wait();
    assert!(err.contains("no [routing]"), "{err}");
    assert!(err.contains("no [webhooks]"), "{err}");
    assert!(err.contains("is this machine"), "{err}");
    assert!(
        err.contains("store = \\\"memory\\\"") || err.contains("store = \"memory\""),
        "{err}"
    );
    let told = err.matches("not in [limits] trusted_proxies").count();
    assert_eq!(told, 1, "said once, naming the peer: {err}");
    assert!(
        err.contains("add \\\"127.0.0.1\\\" to trusted_proxies")
            || err.contains("add \"127.0.0.1\" to trusted_proxies"),
        "{err}"
    );
}
