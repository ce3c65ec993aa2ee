//! Integration tests of the merchant server over real HTTP on loopback, with the real sandbox where a gateway is needed.

mod abuse;
mod console;
mod cors;
mod counter;
mod flow;
mod gateway_failures;
mod gateways;
mod instances;
mod merchant;
mod notify;
mod notify_others;
mod recovery;
mod refusals;
mod rehearsal;
mod secrets;
mod service;
mod webhooks;
mod widget_files;

use std::collections::BTreeMap;
use std::sync::Arc;

use base64::Engine;
use reqwest::StatusCode;
use rsa::pkcs8::DecodePrivateKey;
use rsa::RsaPrivateKey;
use serde_json::{json, Value};
use wallet_checkout_demo::{self as demo, DemoOptions, DemoOrders};
use wallet_checkout_protocol::Wallet;
use wallet_checkout_server::config::SecretMap;
use wallet_checkout_server::core::clock::{Clock, OffsetClock};
pub use wallet_checkout_server::core::error::Kind;
pub use wallet_checkout_server::core::ids::{OrderRef, RefundId, SessionId};
use wallet_checkout_server::gateway::alphapay::AlphaPay;
use wallet_checkout_server::gateway::Connector;
use wallet_checkout_server::store::{random_id, MemoryStore, SqliteStore, Store};
use wallet_checkout_server::workers::reconcile::ReconcileConfig;
use wallet_checkout_server::{AppState, Extras};

/// The throwaway key of gateways.md §1.2 (never registered anywhere).
pub fn kat_key() -> RsaPrivateKey {
    let b64 = include_str!("../../../sandbox/testdata/alphapay-kat-key.b64");
    let der = base64::engine::general_purpose::STANDARD
        .decode(b64.trim())
        .expect("base64");
    RsaPrivateKey::from_pkcs8_der(&der).expect("pkcs8")
}

/// Serves `router` on a free loopback port; returns its base URL.
pub async fn serve(router: axum::Router) -> String {
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0")
        .await
        .expect("bind");
    let addr = listener.local_addr().expect("addr");
    tokio::spawn(async move {
        let _ = axum::serve(listener, router).await;
    });
    format!("http://{addr}")
}

/// A child process killed (SIGKILL) when dropped, so a failed assertion leaves no server behind.
pub struct Running(pub std::process::Child);

impl Drop for Running {
    fn drop(&mut self) {
        let _ = self.0.kill();
        let _ = self.0.wait();
    }
}

/// `checkout.toml` in a fresh folder with its SQLite file beside it: `listen`, `public_url`, the
/// store, then `rest` (more TOML). Answers the file's path (its folder is the file's parent).
pub fn config_file(listen: &str, public_url: &str, rest: &str) -> std::path::PathBuf {
    let dir = std::env::temp_dir().join(format!("wc-it-{}", random_id(10)));
    std::fs::create_dir_all(&dir).expect("dir");
    let file = dir.join("checkout.toml");
    std::fs::write(
        &file,
        format!(
            "listen = \"{listen}\"\npublic_url = \"{public_url}\"\nstore = \"sqlite://{}\"\n{rest}",
            dir.join("checkout.db").display()
        ),
    )
    .expect("config");
    file
}

/// The demo binary on `config`, with its secrets in the environment (`env`); answers its base URL once it
/// says it runs (at most 60 s).
pub fn start_binary(config: &std::path::Path, env: &[(&str, &str)]) -> (Running, String) {
    let s = start_demo_binary(&[std::ffi::OsStr::new("--config"), config.as_os_str()], env);
    (s.child, s.base)
}

/// The demo binary as started by `start_demo_binary`: its standard error is kept (and echoed).
pub struct Started {
    pub child: Running,
    pub base: String,
    pub stderr: Arc<std::sync::Mutex<String>>,
}

/// The demo binary with `args` and `env`, once it says where it runs (at most 60 s).
pub fn start_demo_binary(args: &[&std::ffi::OsStr], env: &[(&str, &str)]) -> Started {
    use std::io::BufRead;
    let mut child = Running(
        std::process::Command::new(env!("CARGO_BIN_EXE_wallet-checkout-demo"))
            .args(args)
            .env("RUST_LOG", "warn")
            .envs(env.iter().copied())
            .stdout(std::process::Stdio::piped())
            .stderr(std::process::Stdio::piped())
            .spawn()
            .expect("the demo binary starts"),
    );
    let out = child.0.stdout.take().expect("stdout");
    let err = child.0.stderr.take().expect("stderr");
    let stderr = Arc::new(std::sync::Mutex::new(String::new()));
    let kept = stderr.clone();
    std::thread::spawn(move || {
        for line in std::io::BufReader::new(err).lines().map_while(Result::ok) {
            eprintln!("{line}");
            if let Ok(mut k) = kept.lock() {
                k.push_str(&line);
                k.push('\n');
            }
        }
    });
    let (tx, rx) = std::sync::mpsc::channel();
    std::thread::spawn(move || {
        for line in std::io::BufReader::new(out).lines().map_while(Result::ok) {
            if let Some(url) = line.strip_prefix("wallet-checkout demo running at ") {
                let _ = tx.send(url.trim_end_matches('/').to_string());
            }
        }
    });
    let base = rx
        .recv_timeout(std::time::Duration::from_secs(60))
        .expect("the demo binary says where it runs");
    Started {
        child,
        base,
        stderr,
    }
}

/// A running demo: its base URL, the clock tests move, the server's state and the sandbox.
pub struct TestDemo {
    pub base: String,
    /// The store the server runs on, for tests that read what it wrote (only the service writes).
    pub store: Arc<dyn Store>,
    pub clock: Arc<OffsetClock>,
    pub state: AppState,
    pub sandbox: wallet_checkout_sandbox::Sandbox,
    /// The HTTP server and the reconciler; aborting both is a crash.
    pub tasks: Vec<tokio::task::JoinHandle<()>>,
}

impl TestDemo {
    /// Stops the server as a crash would: no goodbye, the port freed.
    pub async fn crash(self) -> (String, wallet_checkout_sandbox::Sandbox, Arc<OffsetClock>) {
        for t in &self.tasks {
            t.abort();
        }
        for t in self.tasks {
            let _ = t.await;
        }
        (self.base, self.sandbox, self.clock)
    }
}

/// Reconciliation paced for tests: the same code, seconds instead of minutes.
pub fn quick_reconcile() -> ReconcileConfig {
    ReconcileConfig {
        tick: std::time::Duration::from_millis(100),
        first_query_after: std::time::Duration::from_millis(300),
        first_interval: std::time::Duration::from_millis(200),
        max_interval: std::time::Duration::from_millis(800),
        grace: std::time::Duration::from_secs(2),
        refund_every: std::time::Duration::from_millis(500),
        lease: std::time::Duration::from_secs(1),
        holder: None,
    }
}

/// The store a test server runs on: a fresh SQLite file, or with `WALLET_CHECKOUT_IT_STORE=postgres`
/// a fresh database on the throwaway PostgreSQL.
pub async fn test_store() -> Arc<dyn Store> {
    if std::env::var("WALLET_CHECKOUT_IT_STORE").as_deref() == Ok("postgres") {
        let url = wallet_checkout_server::store::conformance::postgres_database().await;
        return Arc::new(
            wallet_checkout_server::store::PgStore::connect(&url)
                .await
                .expect("the test database"),
        );
    }
    let dir = std::env::temp_dir().join(format!("wc-it-{}", random_id(12)));
    std::fs::create_dir_all(&dir).expect("a temporary folder");
    Arc::new(SqliteStore::open(&dir.join("store.db")).expect("the test database"))
}

/// The demo (server + sandbox) on a free port, options adjusted by `adjust`.
pub async fn demo_with(adjust: impl FnOnce(&mut DemoOptions)) -> TestDemo {
    demo_at("127.0.0.1:0", Arc::new(OffsetClock::default()), adjust).await
}

/// `demo_with` on a given address (a restart binds the same port again).
pub async fn demo_at(
    addr: &str,
    clock: Arc<OffsetClock>,
    adjust: impl FnOnce(&mut DemoOptions),
) -> TestDemo {
    let listener = tokio::net::TcpListener::bind(addr).await.expect("bind");
    let base = format!("http://{}", listener.local_addr().expect("addr"));
    let mut options = DemoOptions::new(&base, clock.clone()).expect("options");
    // `cargo xtask test` runs the store-dependent modules twice: on SQLite, then on PostgreSQL.
    options.store = Some(test_store().await);
    options.reconcile = Some(ReconcileConfig {
        tick: std::time::Duration::from_millis(100),
        ..ReconcileConfig::default()
    });
    adjust(&mut options);
    let store = options.store.clone().expect("a store");
    let demo = demo::build(options).await.expect("demo builds");
    let router = demo.router;
    let mut tasks = vec![tokio::spawn(async move {
        let _ = axum::serve(listener, router).await;
    })];
    tasks.extend(demo.tasks);
    TestDemo {
        base,
        store,
        clock,
        state: demo.state,
        sandbox: demo.sandbox.expect("the demo runs its sandbox"),
        tasks,
    }
}

/// The demo with its default routing, and a clock tests can move.
pub async fn demo() -> (String, Arc<OffsetClock>) {
    let d = demo_with(|_| {}).await;
    (d.base, d.clock)
}

/// The gateway's id for a session: the last segment of the sandbox URL its action leads to.
pub fn gateway_id(session: &Value) -> String {
    let a = &session["action"];
    let url = a["content"]
        .as_str()
        .or(a["url"].as_str())
        .map(str::to_string)
        .or_else(|| a["trade_no"].as_str().map(|t| format!("/{t}")))
        .or_else(|| {
            a["params"]["package"]
                .as_str()
                .and_then(|p| p.strip_prefix("prepay_id="))
                .map(|t| format!("/{t}"))
        })
        .unwrap_or_else(|| panic!("no sandbox link in {session}"));
    url.rsplit('/').next().unwrap_or_default().to_string()
}

/// Plays the shopper on the sandbox wallet page.
pub async fn shopper(base: &str, gateway_id: &str, pay: bool) {
    let verb = if pay { "pay" } else { "decline" };
    let res = reqwest::Client::builder()
        .redirect(reqwest::redirect::Policy::none())
        .build()
        .expect("client")
        .post(format!("{base}/sandbox/wallet/{gateway_id}/{verb}"))
        .send()
        .await
        .expect("wallet page");
    assert_eq!(res.status(), StatusCode::SEE_OTHER);
}

/// A demo order in a currency the gateway takes.
pub fn currency_for(gateway: &str) -> &'static str {
    match gateway {
        "alphapay" => "CAD",
        "pass2pay" => "CNY",
        _ => "EUR",
    }
}

pub const GATEWAYS: [&str; 3] = ["alphapay", "pass2pay", "yabandpay"];
pub const ADMIN_TOKEN: &str = "test-admin-token-0123456789-abcdefgh";

/// A server whose AlphaPay connector talks to `gateway_url`, signing with the KAT key and trusting `gateway_key`.
pub async fn server_with_gateway(
    gateway_url: &str,
    gateway_key: rsa::RsaPublicKey,
    timeout_ms: u64,
) -> (String, AppState) {
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0")
        .await
        .expect("bind");
    let base = format!("http://{}", listener.local_addr().expect("addr"));
    let clock: Arc<dyn Clock> = Arc::new(OffsetClock::default());
    let connector: Arc<dyn Connector> = Arc::new(AlphaPay {
        base_url: gateway_url.to_string(),
        merchant_code: "TESTMC".into(),
        private_key: kat_key(),
        gateway_key,
        // The production server's own client for gateway calls.
        http: wallet_checkout_server::gateway::http_client(std::time::Duration::from_millis(
            timeout_ms,
        ))
        .expect("client"),
        clock: clock.clone(),
        desktop_page: false,
        wechat_jsapi: false,
    });
    let orders = Arc::new(DemoOrders::default());
    let mut config = demo::demo_config(&base);
    config.gateways = Default::default();
    config.routing = Wallet::ALL
        .into_iter()
        .map(|w| (w.as_str().to_string(), "alphapay".to_string()))
        .collect();
    let built = wallet_checkout_server::build(
        &config,
        &SecretMap::default(),
        clock,
        Extras {
            orders: orders.clone(),
            routes: demo::orders::router(orders),
            store: Some(test_store().await),
            connectors: Some(BTreeMap::from([("alphapay".to_string(), connector)])),
            reconcile: None,
            ..Extras::default()
        },
    )
    .await
    .expect("the server builds");
    let mut built = built;
    built.start();
    let (router, state) = (built.router, built.state);
    tokio::spawn(async move {
        let _ = axum::serve(listener, router).await;
    });
    (base, state)
}

pub async fn post(url: &str, body: &str, key: Option<&str>) -> (StatusCode, Value) {
    let mut req = reqwest::Client::new()
        .post(url)
        .header("content-type", "application/json")
        .body(body.to_string());
    if let Some(k) = key {
        req = req.header("Idempotency-Key", k);
    }
    let res = req.send().await.expect("sent");
    let status = res.status();
    (
        status,
        serde_json::from_str(&res.text().await.unwrap_or_default()).unwrap_or(Value::Null),
    )
}

/// An admin API request with the test token.
pub async fn admin(method: reqwest::Method, url: &str, body: Option<Value>) -> (StatusCode, Value) {
    let mut req = reqwest::Client::new()
        .request(method, url)
        .header("authorization", format!("Bearer {ADMIN_TOKEN}"));
    if let Some(b) = body {
        req = req.json(&b);
    }
    let res = req.send().await.expect("sent");
    let status = res.status();
    let body = res.json().await.unwrap_or(Value::Null);
    keep_secret_of(url, &body);
    (status, body)
}

/// The client secrets the tests' shop was handed, by (server, order): what its page would pass
/// the widget. An order put through one instance and paid through another is found by reference.
static SECRETS: std::sync::LazyLock<std::sync::Mutex<BTreeMap<(String, String), String>>> =
    std::sync::LazyLock::new(Default::default);

pub fn keep_secret(base: &str, order: &str, secret: &str) {
    SECRETS
        .lock()
        .unwrap_or_else(|p| p.into_inner())
        .insert((base.to_string(), order.to_string()), secret.to_string());
}

/// The secret an order answer (`PUT`/`GET /admin/orders/{reference}` at `url`) carries, kept.
pub fn keep_secret_of(url: &str, answer: &Value) {
    if let (Some((base, reference)), Some(secret)) = (
        url.split_once("/admin/orders/"),
        answer["client_secret"].as_str(),
    ) {
        keep_secret(base, reference, secret);
    }
}

/// The secret the shop's page holds for `order` on the server at `base`.
pub fn secret_for(base: &str, order: &str) -> Option<String> {
    let book = SECRETS.lock().unwrap_or_else(|p| p.into_inner());
    book.get(&(base.to_string(), order.to_string()))
        .or_else(|| {
            book.iter()
                .find(|((_, o), _)| o == order)
                .map(|(_, secret)| secret)
        })
        .cloned()
}

pub async fn get(url: &str) -> (StatusCode, Value) {
    let res = reqwest::get(url).await.expect("sent");
    let status = res.status();
    (
        status,
        serde_json::from_str(&res.text().await.unwrap_or_default()).unwrap_or(Value::Null),
    )
}

pub async fn demo_order(base: &str, value: u64, currency: &str) -> String {
    let (status, body) = post(
        &format!("{base}/demo/orders"),
        &json!({ "amount": { "value": value, "currency": currency }, "description": "Green tea ×2" }).to_string(),
        None,
    )
    .await;
    assert_eq!(status, StatusCode::CREATED, "{body}");
    let order = body["order"].as_str().expect("order ref").to_string();
    keep_secret(
        base,
        &order,
        body["client_secret"].as_str().expect("client secret"),
    );
    order
}

pub async fn create_session(base: &str, order: &str, key: Option<&str>) -> (StatusCode, Value) {
    create_for(base, order, "alipay", "qr", key).await
}

pub async fn create_for(
    base: &str,
    order: &str,
    wallet: &str,
    flow: &str,
    key: Option<&str>,
) -> (StatusCode, Value) {
    post(
        &format!("{base}/api/checkout/sessions"),
        &json!({ "order": order, "client_secret": secret_for(base, order), "wallet": wallet, "flow": flow,
                 "return_url": format!("{base}/shop/return") })
        .to_string(),
        key,
    )
    .await
}

/// Long-polls the session until its status is not `from` (at most ~20 s), returning it.
pub async fn wait_change(base: &str, id: &str, from: &str) -> Value {
    for _ in 0..4 {
        let (status, s) = get(&format!(
            "{base}/api/checkout/sessions/{id}?wait=5&status={from}"
        ))
        .await;
        assert_eq!(status, StatusCode::OK, "{s}");
        if s["status"] != from {
            return s;
        }
    }
    panic!("session {id} stayed {from}");
}

/// Asserts the contract's error shape with `code`.
#[track_caller]
pub fn assert_error(status: StatusCode, body: &Value, want_status: u16, code: &str) {
    assert_eq!(status.as_u16(), want_status, "{body}");
    assert_eq!(body["error"]["code"], code, "{body}");
    assert!(
        body["error"]["message"]
            .as_str()
            .is_some_and(|m| !m.is_empty()),
        "{body}"
    );
}

/// `assert_error`, and the developer message names `needle`.
#[track_caller]
pub fn assert_error_says(
    status: StatusCode,
    body: &Value,
    want_status: u16,
    code: &str,
    needle: &str,
) {
    assert_error(status, body, want_status, code);
    let message = body["error"]["message"].as_str().unwrap_or_default();
    assert!(message.contains(needle), "{needle:?} not in {body}");
}

/// The admin order view's sessions.
pub async fn sessions_of(base: &str, reference: &str) -> Vec<Value> {
    let (status, view) = admin(
        reqwest::Method::GET,
        &format!("{base}/admin/orders/{reference}"),
        None,
    )
    .await;
    assert_eq!(status, StatusCode::OK, "{view}");
    view["sessions"].as_array().cloned().unwrap_or_default()
}
