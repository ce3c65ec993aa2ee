//! A rehearsal is production (`wallet-checkout-demo --config FILE --sandbox`): the file's `[limits]`
//! (the defaults without the section), its store required, the gateways' notifications through
//! `public_url` (a proxy here) when it reaches the rehearsal, the bound address said otherwise.

use std::sync::Mutex;

use axum::body::Bytes;
use axum::extract::State;
use axum::http::{HeaderMap, Method, Uri};

use super::*;

fn rehearse(file: &std::path::Path, flags: &[&str]) -> Started {
    let mut args = vec![std::ffi::OsStr::new("--config"), file.as_os_str()];
    args.extend(flags.iter().map(std::ffi::OsStr::new));
    start_demo_binary(&args, &[])
}

fn free_port() -> u16 {
    std::net::TcpListener::bind("127.0.0.1:0")
        .and_then(|l| l.local_addr())
        .map(|a| a.port())
        .expect("a free port")
}

/// The proxy's backend, what it saw, and its client.
type Proxy = (String, Arc<Mutex<Vec<String>>>, reqwest::Client);

/// A reverse proxy in front of `backend` that notes each request's method and path.
async fn proxy(backend: String) -> (String, Arc<Mutex<Vec<String>>>) {
    let seen = Arc::new(Mutex::new(Vec::new()));
    let http = reqwest::Client::builder()
        .redirect(reqwest::redirect::Policy::none())
        .build()
        .expect("client");
    let state = (backend, seen.clone(), http);
    async fn forward(
        State((backend, seen, http)): State<Proxy>,
        method: Method,
        uri: Uri,
        headers: HeaderMap,
        body: Bytes,
    ) -> (StatusCode, HeaderMap, Bytes) {
        let path = uri.path_and_query().map(|p| p.as_str()).unwrap_or("/");
        if let Ok(mut s) = seen.lock() {
            s.push(format!("{method} {}", uri.path()));
        }
        let mut req = http.request(method, format!("{backend}{path}")).body(body);
        for (k, v) in &headers {
            if k != "host" && k != "content-length" {
                req = req.header(k, v);
            }
        }
        match req.send().await {
            Ok(res) => {
                let status = res.status();
                let mut out = res.headers().clone();
                out.remove("content-length");
                out.remove("transfer-encoding");
                (status, out, res.bytes().await.unwrap_or_default())
            }
            Err(_) => (StatusCode::BAD_GATEWAY, HeaderMap::new(), Bytes::new()),
        }
    }
    let router = axum::Router::new().fallback(forward).with_state(state);
    (serve(router).await, seen)
}

/// Pays a new demo order's Alipay QR on the sandbox; answers the session as it ends.
async fn pay_one(base: &str) -> Value {
    let order = demo_order(base, 1234, "CAD").await;
    let (status, session) = create_session(base, &order, None).await;
    assert_eq!(status, StatusCode::CREATED, "{session}");
    shopper(base, &gateway_id(&session), true).await;
    let id = session["id"].as_str().expect("id");
    // Reconciliation would ask only from 30 s: within 20 s only the notification can have done it.
    wait_change(base, id, "pending").await
}

// Two threads: the proxy answers the rehearsal's probe while the test waits for it to start.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn notifications_go_through_public_url_when_it_reaches_the_rehearsal() {
    let port = free_port();
    let (front, seen) = proxy(format!("http://127.0.0.1:{port}")).await;
    let file = config_file(&format!("127.0.0.1:{port}"), &front, "");
    let s = rehearse(&file, &["--sandbox", "--orders"]);
    assert_eq!(s.base, front, "the rehearsal says it runs at public_url");
    let session = pay_one(&s.base).await;
    assert_eq!(session["status"], "succeeded", "{session}");
    let seen = seen.lock().map(|s| s.clone()).unwrap_or_default();
    assert!(
        seen.iter()
            .any(|r| r.starts_with("POST /notify/") && !r.contains("rehearsal-probe")),
        "the gateway's notification came through the proxy: {seen:?}"
    );
    assert!(seen.contains(&"GET /notify/rehearsal-probe".to_string()));
    let said = s.stderr.lock().map(|e| e.clone()).unwrap_or_default();
    assert!(!said.contains("does not reach"), "{said}");
}

#[tokio::test]
async fn an_unreachable_public_url_is_said_and_the_bound_address_is_notified() {
    let file = config_file("127.0.0.1:0", "http://127.0.0.1:9", "");
    let s = rehearse(&file, &["--sandbox", "--orders"]);
    assert_ne!(s.base, "http://127.0.0.1:9");
    let said = s.stderr.lock().map(|e| e.clone()).unwrap_or_default();
    assert!(
        said.contains("public_url \"http://127.0.0.1:9\" does not reach this rehearsal")
            && said.contains(&format!("the sandbox notifies {}", s.base)),
        "{said}"
    );
    let session = pay_one(&s.base).await;
    assert_eq!(session["status"], "succeeded", "{session}");
}

#[tokio::test]
async fn a_rehearsal_without_limits_applies_the_production_create_limit() {
    let file = config_file("127.0.0.1:0", "http://127.0.0.1:9", "");
    let s = rehearse(&file, &["--sandbox"]);
    let http = reqwest::Client::new();
    let mut answers = Vec::new();
    for _ in 0..31 {
        let res = http
            .post(format!("{}/api/checkout/sessions", s.base))
            .header("content-type", "application/json")
            .body(
                json!({ "order": "A1001", "client_secret": "sec_guess", "wallet": "alipay", "flow": "qr" })
                    .to_string(),
            )
            .send()
            .await
            .expect("answered");
        answers.push(res.status().as_u16());
    }
    // The contract's default: 30 a minute from one address (a guess counts like any create).
    assert!(answers[..30].iter().all(|s| *s == 404), "{answers:?}");
    assert_eq!(answers[30], 429, "{answers:?}");
    // No demo orders without --orders.
    let (status, _) = post(&format!("{}/demo/orders", s.base), "{}", None).await;
    assert_eq!(status, StatusCode::NOT_FOUND);
}

#[test]
fn a_rehearsal_needs_a_store_and_the_flags_need_a_file() {
    let dir = std::env::temp_dir().join(format!("wc-rehearse-{}", random_id(8)));
    std::fs::create_dir_all(&dir).expect("dir");
    let file = dir.join("checkout.toml");
    std::fs::write(
        &file,
        "listen = \"127.0.0.1:0\"\npublic_url = \"http://127.0.0.1:9\"\n",
    )
    .expect("config");
    let run = |args: &[&std::ffi::OsStr]| {
        let out = std::process::Command::new(env!("CARGO_BIN_EXE_wallet-checkout-demo"))
            .args(args)
            .output()
            .expect("runs");
        (
            out.status.code(),
            String::from_utf8_lossy(&out.stderr).to_string(),
        )
    };
    let (code, err) = run(&["--config".as_ref(), file.as_os_str(), "--sandbox".as_ref()]);
    assert_eq!(code, Some(2), "{err}");
    assert!(err.contains("store is required"), "{err}");
    let (code, err) = run(&["--sandbox".as_ref()]);
    assert_eq!(code, Some(2), "{err}");
    assert!(
        err.contains("--sandbox and --orders go with --config FILE"),
        "{err}"
    );
}

#[tokio::test]
async fn the_sandbox_publishes_the_alphapay_key_it_signs_with() {
    let d = demo_with(|_| {}).await;
    let res = reqwest::get(format!("{}/sandbox/alphapay/public-key", d.base))
        .await
        .expect("answered");
    assert_eq!(res.status(), StatusCode::OK);
    let pem = res.text().await.expect("pem");
    use rsa::pkcs8::DecodePublicKey;
    let key = rsa::RsaPublicKey::from_public_key_pem(&pem).expect("a public key PEM");
    assert_eq!(Some(key), d.sandbox.alphapay_public_key());
}
