//! Two instances of the server on one real PostgreSQL database (`conformance::postgres_database`),
//! sharing one sandbox: a change heard by one wakes the waiters of the other; with notifications
//! dropped, one instance at a time asks the gateway about a session; an instance that dies mid-work
//! leaves the other to finish it, nothing lost and nothing done twice.

use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

use axum::body::Bytes;
use axum::http::HeaderMap;
use reqwest::StatusCode;
use serde_json::{json, Value};
use wallet_checkout_demo as demo;
use wallet_checkout_sandbox::control::{Behaviour, NotifyMode};
use wallet_checkout_sandbox::ledger::Gateway;
use wallet_checkout_server::store::{conformance, PgStore, Store};

use super::*;

const SECRET: &str = "whsec_MfKQ9r8GKYqrTwjUPD8ILPZIo2LaLaSw1HUwUGmGK/s=";

/// Instance A (with the sandbox) and instance B (reaching the same sandbox), each with its own
/// pool on the one database, Pass2Pay for every wallet, the admin API on.
async fn two_instances(
    adjust: impl Fn(&mut DemoOptions) + Clone + Send + 'static,
) -> (TestDemo, TestDemo) {
    let url = conformance::postgres_database().await;
    let credentials = demo::Credentials::generate().expect("credentials");
    let store: Arc<dyn Store> = Arc::new(PgStore::connect(&url).await.expect("A connects"));
    let (creds, tweak) = (credentials.clone(), adjust.clone());
    let a = demo_with(move |o| {
        o.route_all_to("pass2pay");
        o.store = Some(store);
        o.credentials = creds;
        o.admin(ADMIN_TOKEN);
        o.demo_orders = false;
        tweak(o);
    })
    .await;
    let store: Arc<dyn Store> = Arc::new(PgStore::connect(&url).await.expect("B connects"));
    let sandbox = a.sandbox.clone();
    let b = demo_with(move |o| {
        o.route_all_to("pass2pay");
        o.store = Some(store);
        o.credentials = credentials;
        o.sandbox = Some(sandbox);
        o.admin(ADMIN_TOKEN);
        o.demo_orders = false;
        adjust(o);
    })
    .await;
    (a, b)
}

/// The shop's backend tells the server of an order (through either instance: one database).
async fn order(base: &str, reference: &str) {
    let (status, body) = admin(
        reqwest::Method::PUT,
        &format!("{base}/admin/orders/{reference}"),
        Some(json!({ "amount": { "value": 1234, "currency": "CNY" }, "description": "Tea" })),
    )
    .await;
    assert_eq!(status, StatusCode::CREATED, "{body}");
}

async fn session_on(base: &str, reference: &str) -> (String, String) {
    order(base, reference).await;
    let (status, s) = create_for(base, reference, "wechat_pay", "qr", None).await;
    assert_eq!(status, StatusCode::CREATED, "{s}");
    (s["id"].as_str().expect("id").to_string(), gateway_id(&s))
}

async fn status_on(base: &str, id: &str) -> String {
    let (status, s) = get(&format!("{base}/api/checkout/sessions/{id}")).await;
    assert_eq!(status, StatusCode::OK, "{s}");
    s["status"].as_str().unwrap_or_default().to_string()
}

/// Polls until the session is not `pending` on `base`, for at most `secs`.
async fn final_on(base: &str, id: &str, secs: u64) -> String {
    let deadline = Instant::now() + Duration::from_secs(secs);
    loop {
        let now = status_on(base, id).await;
        if now != "pending" {
            return now;
        }
        assert!(
            Instant::now() < deadline,
            "{id} still pending after {secs} s"
        );
        tokio::time::sleep(Duration::from_millis(200)).await;
    }
}

#[tokio::test]
async fn a_payment_heard_by_one_instance_wakes_the_long_poll_held_by_the_other() {
    let (a, b) = two_instances(|_| {}).await;
    // Created through A: the gateway's notification goes to A.
    let (id, pay_id) = session_on(&a.base, "MI-1").await;
    let url = format!(
        "{}/api/checkout/sessions/{id}?wait=25&status=pending",
        b.base
    );
    let waiting = tokio::spawn(async move {
        let started = Instant::now();
        let (status, s) = get(&url).await;
        (status, s, started.elapsed())
    });
    tokio::time::sleep(Duration::from_millis(300)).await;
    shopper(&a.base, &pay_id, true).await;
    let (status, s, waited) = waiting.await.expect("long poll");
    assert_eq!(
        (status, s["status"].as_str()),
        (StatusCode::OK, Some("succeeded")),
        "{s}"
    );
    // Woken by the change (LISTEN/NOTIFY), not by the end of its 25 s wait.
    assert!(
        waited < Duration::from_secs(20),
        "B's long poll ran out instead: {waited:?}"
    );
}

#[tokio::test]
async fn with_every_notification_dropped_each_session_is_queried_by_one_instance_at_a_time() {
    // Leases outlast a call (as 30 s outlasts the 15 s gateway timeout in production).
    let (a, b) = two_instances(|o| {
        o.reconcile = Some(
            wallet_checkout_server::workers::reconcile::ReconcileConfig {
                lease: Duration::from_secs(5),
                ..quick_reconcile()
            },
        )
    })
    .await;
    // A slow gateway: each query takes longer than the instances' query interval, so two
    // instances asking about one session at once would overlap at the sandbox.
    a.sandbox.set_behaviour(
        Some(Gateway::Pass2Pay),
        Behaviour {
            notifications: NotifyMode::Drop,
            slow_ms: 1_200,
            expiry_secs: Some(6),
            ..Behaviour::default()
        },
    );
    let mut sessions = Vec::new();
    for (n, base) in [&a.base, &b.base, &a.base, &b.base].into_iter().enumerate() {
        let (id, pay_id) = session_on(base, &format!("MQ-{n}")).await;
        sessions.push((id, pay_id, n % 2 == 0));
    }
    for (_, pay_id, paid) in &sessions {
        if *paid {
            shopper(&a.base, pay_id, true).await;
        }
    }
    // Expiry (6 s) plus the tests' grace (2 s) plus slow calls: final well within a minute.
    for (id, _, paid) in &sessions {
        let end = final_on(&b.base, id, 60).await;
        assert_eq!(end, if *paid { "succeeded" } else { "expired" }, "{id}");
        let record = a
            .store
            .get(&SessionId::from(id))
            .await
            .expect("store")
            .expect("kept");
        let calls = a.sandbox.order_calls(&record.merchant_ref);
        assert!(calls.total >= 1, "{id} was asked about: {calls:?}");
        assert_eq!(
            calls.most_at_once, 1,
            "{id}: two instances asked at once: {calls:?}"
        );
    }
}

/// A shop whose first attempt at each event never answers (the instance making it dies first),
/// and which records each delivery it accepts.
async fn stalling_shop() -> (String, Arc<Mutex<Vec<(String, Value)>>>) {
    let seen: Arc<Mutex<Vec<(String, Value)>>> = Arc::default();
    let tried: Arc<Mutex<Vec<String>>> = Arc::default();
    let s = seen.clone();
    let router = axum::Router::new().route(
        "/hooks",
        axum::routing::post(move |headers: HeaderMap, body: Bytes| {
            let (seen, tried) = (s.clone(), tried.clone());
            async move {
                let verifier = standardwebhooks::Webhook::new(SECRET).expect("secret");
                if verifier.verify(&body, &headers).is_err() {
                    return axum::http::StatusCode::UNAUTHORIZED;
                }
                let id = headers["webhook-id"].to_str().expect("id").to_string();
                let first = {
                    let mut t = tried.lock().expect("lock");
                    let first = !t.contains(&id);
                    t.push(id.clone());
                    first
                };
                if first {
                    tokio::time::sleep(Duration::from_secs(600)).await;
                }
                let value: Value = serde_json::from_slice(&body).expect("json");
                seen.lock().expect("lock").push((id, value));
                axum::http::StatusCode::NO_CONTENT
            }
        }),
    );
    (format!("{}/hooks", serve(router).await), seen)
}

/// A loopback port free a moment ago (a process is about to bind it).
fn free_port() -> u16 {
    std::net::TcpListener::bind("127.0.0.1:0")
        .and_then(|l| l.local_addr())
        .expect("a port")
        .port()
}

const P2P_SECRET: &str = "p2p-instances-test-secret-0123456789ab";

/// A config for the demo binary in `dir`: `gateway` is `None` for the sandbox's host (the
/// "gateway"), or the sandbox's base URL for an instance of the server.
fn binary_config(
    dir: &std::path::Path,
    name: &str,
    port: u16,
    store: &str,
    gateway: Option<&str>,
    extra: &str,
) -> std::path::PathBuf {
    let (base_url, demo) = match gateway {
        Some(g) => (format!("{g}/sandbox/pass2pay"), "[demo]\nsandbox = false\n"),
        None => (
            "https://api.pass2pay.example".to_string(),
            "[demo]\nsandbox = true\n",
        ),
    };
    let file = dir.join(format!("{name}.toml"));
    std::fs::write(
        &file,
        format!(
            r#"listen = "127.0.0.1:{port}"
public_url = "http://127.0.0.1:{port}"
store = "{store}"
[routing]
wechat_pay = "pass2pay"
alipay = "pass2pay"
unionpay = "pass2pay"
[gateways.pass2pay]
base_url = "{base_url}"
mch_no = "M1700000001"
app_id = "64a0c0ffee0000000000abcd"
secret_env = "WC_MI_P2P"
[admin]
token_env = "WC_MI_ADMIN"
{extra}
{demo}"#
        ),
    )
    .expect("config");
    file
}

const ENV: [(&str, &str); 3] = [
    ("WC_MI_P2P", P2P_SECRET),
    ("WC_MI_ADMIN", ADMIN_TOKEN),
    ("WC_MI_HOOKS", SECRET),
];

async fn control(sandbox: &str, body: Value) {
    let res = reqwest::Client::new()
        .post(format!("{sandbox}/sandbox/control"))
        .json(&body)
        .send()
        .await
        .expect("control");
    assert!(res.status().is_success(), "{}", res.status());
}

#[tokio::test]
async fn an_instance_killed_mid_payment_refund_close_and_webhook_leaves_the_other_to_finish_each() {
    let (hook_url, seen) = stalling_shop().await;
    let dir = std::env::temp_dir().join(format!("wc-instances-{}", random_id(8)));
    std::fs::create_dir_all(&dir).expect("dir");
    let database = conformance::postgres_database().await;
    // The gateway: the sandbox alone in a process of its own.
    let (_gateway, gw) = start_binary(
        &binary_config(&dir, "gateway", free_port(), "memory", None, ""),
        &ENV,
    );
    // Orders of the sandbox live 20 s, so a session nobody closes ends within the test.
    control(&gw, json!({ "gateway": "pass2pay", "expiry_secs": 20 })).await;
    let hooks = format!("[webhooks]\nurl = \"{hook_url}\"\nsecret_env = \"WC_MI_HOOKS\"\nretry_secs = [1, 1, 1]\ntimeout_secs = 2\n");
    let (a_port, b_port) = (free_port(), free_port());
    let (a_proc, a) = start_binary(
        &binary_config(&dir, "a", a_port, &database, Some(&gw), &hooks),
        &ENV,
    );
    let (_b_proc, b) = start_binary(
        &binary_config(&dir, "b", b_port, &database, Some(&gw), &hooks),
        &ENV,
    );

    // A webhook in flight: paid through A, whose attempt hangs at the shop.
    let (hooked, hooked_pay) = session_on(&a, "MK-hook").await;
    shopper(&gw, &hooked_pay, true).await;
    assert_eq!(final_on(&a, &hooked, 10).await, "succeeded");
    // A refund in flight: the gateway makes it at once but answers A late.
    let (refunded, refunded_pay) = session_on(&a, "MK-refund").await;
    shopper(&gw, &refunded_pay, true).await;
    assert_eq!(final_on(&a, &refunded, 10).await, "succeeded");
    // A payment in flight: created on A, paid after A is gone (its notification finds no one).
    let (paid_late, paid_late_pay) = session_on(&a, "MK-pay").await;
    // A close in flight: the shopper cancels on A while the gateway is slow.
    let (closed, _) = session_on(&a, "MK-close").await;
    control(
        &gw,
        json!({ "gateway": "pass2pay", "expiry_secs": 20, "slow_ms": 3000 }),
    )
    .await;
    let refund_url = format!("{a}/admin/sessions/{refunded}/refunds");
    let refunding = tokio::spawn(async move {
        admin(
            reqwest::Method::POST,
            &refund_url,
            Some(json!({ "amount": 500 })),
        )
        .await
    });
    let cancel_url = format!("{a}/api/checkout/sessions/{closed}/cancel");
    let cancelling = tokio::spawn(async move {
        reqwest::Client::new()
            .post(cancel_url)
            .header("content-type", "application/json")
            .body("{}")
            .send()
            .await
    });
    tokio::time::sleep(Duration::from_millis(1000)).await;
    drop(a_proc); // SIGKILL
    let _ = refunding.await;
    let _ = cancelling.await;
    control(&gw, json!({ "gateway": "pass2pay", "expiry_secs": 20 })).await;
    shopper(&gw, &paid_late_pay, true).await;

    // B finishes everything: the payment, by querying (A's notification had no one to hear it);
    // reconciliation's first query comes 30 s after creation.
    assert_eq!(final_on(&b, &paid_late, 90).await, "succeeded");
    // The cancel: the gateway never closed the order; B closes it at expiry.
    let end = final_on(&b, &closed, 90).await;
    assert!(end == "cancelled" || end == "expired", "{closed}: {end}");
    // The refund, once: made at the gateway, ended by B's refund query.
    let deadline = Instant::now() + Duration::from_secs(60);
    loop {
        let (status, list) = admin(
            reqwest::Method::GET,
            &format!("{b}/admin/sessions/{refunded}/refunds"),
            None,
        )
        .await;
        assert_eq!(status, StatusCode::OK, "{list}");
        let refunds = list["refunds"]
            .as_array()
            .cloned()
            .or_else(|| list.as_array().cloned())
            .unwrap_or_default();
        assert_eq!(refunds.len(), 1, "one refund: {list}");
        if refunds[0]["status"] == "succeeded" {
            break;
        }
        assert!(
            Instant::now() < deadline,
            "the refund is still {}",
            refunds[0]["status"]
        );
        tokio::time::sleep(Duration::from_millis(500)).await;
    }
    let (_, view) = admin(
        reqwest::Method::GET,
        &format!("{b}/admin/orders/MK-refund"),
        None,
    )
    .await;
    assert_eq!(view["refunded"]["value"], 500, "refunded once: {view}");
    // And the webhook A was sending when it died, delivered by B under the same webhook-id; every
    // event once.
    let deadline = Instant::now() + Duration::from_secs(60);
    loop {
        let got = seen.lock().expect("lock").clone();
        let of = |kind: &str, session: &str| {
            got.iter()
                .filter(|(_, v)| v["type"] == kind && v["data"]["session"]["id"] == session)
                .count()
        };
        if of("session.succeeded", &hooked) == 1
            && of("session.succeeded", &paid_late) == 1
            && of("refund.succeeded", &refunded) == 1
        {
            let mut ids: Vec<&String> = got.iter().map(|(id, _)| id).collect();
            ids.sort();
            ids.dedup();
            assert_eq!(ids.len(), got.len(), "each event delivered once: {got:?}");
            break;
        }
        assert!(
            Instant::now() < deadline,
            "webhooks not all delivered: {got:?}"
        );
        tokio::time::sleep(Duration::from_millis(500)).await;
    }
    let _ = std::fs::remove_dir_all(dir);
}

/// A TCP relay to the database that can be cut (every connection through it ends, new ones are
/// refused) and restored: the database "goes down" for this instance only.
struct Cable {
    port: u16,
    up: tokio::sync::watch::Sender<bool>,
}

impl Cable {
    async fn to(database: &str) -> Cable {
        let target = database
            .trim_start_matches("postgres://")
            .split(['@'])
            .nth(1)
            .and_then(|rest| rest.split('/').next())
            .expect("host:port")
            .to_string();
        let listener = tokio::net::TcpListener::bind("127.0.0.1:0")
            .await
            .expect("bind");
        let port = listener.local_addr().expect("addr").port();
        let (up, watch) = tokio::sync::watch::channel(true);
        tokio::spawn(async move {
            while let Ok((mut inbound, _)) = listener.accept().await {
                if !*watch.borrow() {
                    continue; // dropped: refused
                }
                let (target, mut watch) = (target.clone(), watch.clone());
                tokio::spawn(async move {
                    let Ok(mut outbound) = tokio::net::TcpStream::connect(&target).await else {
                        return;
                    };
                    tokio::select! {
                        _ = tokio::io::copy_bidirectional(&mut inbound, &mut outbound) => {}
                        _ = watch.wait_for(|up| !*up) => {}
                    }
                });
            }
        });
        Cable { port, up }
    }

    /// The database URL through the cable.
    fn url(&self, database: &str) -> String {
        let (_, db) = database.rsplit_once('/').expect("db");
        format!("postgres://postgres@127.0.0.1:{}/{db}", self.port)
    }
}

#[tokio::test]
async fn a_database_down_while_running_answers_503_and_everything_resumes_when_it_returns() {
    let database = conformance::postgres_database().await;
    let cable = Cable::to(&database).await;
    let store: Arc<dyn Store> = Arc::new(
        PgStore::connect(&cable.url(&database))
            .await
            .expect("connects"),
    );
    let d = demo_with(move |o| {
        o.route_all_to("pass2pay");
        o.store = Some(store);
        o.admin(ADMIN_TOKEN);
        o.demo_orders = false;
    })
    .await;
    let (id, pay_id) = session_on(&d.base, "MD-1").await;
    order(&d.base, "MD-2").await;
    assert_eq!(get(&format!("{}/healthz", d.base)).await.0, StatusCode::OK);

    cable.up.send_replace(false);
    let (status, body) = get(&format!("{}/healthz", d.base)).await;
    assert_error(status, &body, 503, "internal");
    let (status, body) = get(&format!("{}/api/checkout/sessions/{id}", d.base)).await;
    assert_error(status, &body, 503, "internal");
    let (status, body) = create_for(&d.base, "MD-2", "wechat_pay", "qr", Some("md-2-key")).await;
    assert_error(status, &body, 503, "internal");
    // The gateway's notification of a payment meanwhile is not acknowledged: it will come again.
    shopper(&d.base, &pay_id, true).await;
    tokio::time::sleep(Duration::from_millis(500)).await;

    cable.up.send_replace(true);
    let deadline = Instant::now() + Duration::from_secs(30);
    while get(&format!("{}/healthz", d.base)).await.0 != StatusCode::OK {
        assert!(Instant::now() < deadline, "the store did not come back");
        tokio::time::sleep(Duration::from_millis(200)).await;
    }
    // Nothing half-written: the create refused while down is made whole by its retry.
    let (status, s) = create_for(&d.base, "MD-2", "wechat_pay", "qr", Some("md-2-key")).await;
    assert_eq!(status, StatusCode::CREATED, "{s}");
    // And the payment lands (the gateway's retry, or reconciliation).
    assert_eq!(final_on(&d.base, &id, 90).await, "succeeded");
}

#[test]
fn a_database_down_at_start_is_one_clear_line_and_exit_code_2() {
    let dir = std::env::temp_dir().join(format!("wc-instances-{}", random_id(8)));
    std::fs::create_dir_all(&dir).expect("dir");
    let store = format!("postgres://checkout:s3cret@127.0.0.1:{}/shop", free_port());
    let config = binary_config(
        &dir,
        "down",
        free_port(),
        &store,
        Some("http://127.0.0.1:9"),
        "",
    );
    let out = std::process::Command::new(env!("CARGO_BIN_EXE_wallet-checkout-demo"))
        .arg("--config")
        .arg(&config)
        .envs(ENV)
        .output()
        .expect("runs");
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert_eq!(out.status.code(), Some(2), "{stderr}");
    assert!(stderr.contains("store unavailable"), "{stderr}");
    assert!(
        !stderr.contains("s3cret"),
        "the password is never printed: {stderr}"
    );
    assert!(out.stdout.is_empty(), "nothing was served");
    let _ = std::fs::remove_dir_all(dir);
}

#[tokio::test]
async fn one_idempotency_key_sent_to_both_instances_at_once_makes_one_session() {
    let (a, b) = two_instances(|_| {}).await;
    order(&a.base, "MI-key").await;
    for round in 0..5 {
        let key = format!("mi-key-{round}-{}", random_id(6));
        let (x, y) = tokio::join!(
            create_for(&a.base, "MI-key", "wechat_pay", "qr", Some(&key)),
            create_for(&b.base, "MI-key", "wechat_pay", "qr", Some(&key))
        );
        assert!(x.0.is_success() && y.0.is_success(), "{x:?} {y:?}");
        assert_eq!(x.1["id"], y.1["id"], "one session for one key");
        // Every other gateway order made for the key meanwhile is closed, none left payable.
        let id = x.1["id"].as_str().expect("id");
        let kept = gateway_id(&x.1);
        let open: Vec<_> = a
            .sandbox
            .payments()
            .into_iter()
            .filter(|p| {
                p.id != kept && p.state == wallet_checkout_sandbox::ledger::PayState::Pending
            })
            .filter(|p| p.description == "Tea")
            .collect();
        assert!(
            open.is_empty(),
            "{id}: orphan gateway orders still open: {open:?}"
        );
        // The next round's create closes this one (one order, one payment).
    }
}

#[tokio::test]
async fn two_creates_for_one_order_on_two_instances_at_once_leave_one_payable_session() {
    let (a, b) = two_instances(|_| {}).await;
    order(&a.base, "MI-race").await;
    for round in 0..4 {
        let (x, y) = tokio::join!(
            create_for(&a.base, "MI-race", "wechat_pay", "qr", None),
            create_for(&b.base, "MI-race", "wechat_pay", "qr", None)
        );
        assert!(x.0.is_success() && y.0.is_success(), "{x:?} {y:?}");
        // The order's creates ran one after the other: the later closed the earlier first.
        let sessions = sessions_of(&a.base, "MI-race").await;
        assert_eq!(
            sessions.len(),
            2 * (round + 1),
            "round {round}: both made one"
        );
        let ours: Vec<&str> = sessions.iter().filter_map(|s| s["id"].as_str()).collect();
        let payable: Vec<_> = a
            .sandbox
            .payments()
            .into_iter()
            .filter(|p| p.state == wallet_checkout_sandbox::ledger::PayState::Pending)
            .filter(|p| ours.contains(&p.merchant_ref.as_str()))
            .collect();
        assert_eq!(
            payable.len(),
            1,
            "round {round}: one payable gateway order: {payable:?}"
        );
        let pending: Vec<_> = sessions
            .into_iter()
            .filter(|s| s["status"] == "pending")
            .collect();
        assert_eq!(
            pending.len(),
            1,
            "round {round}: one pending session: {pending:?}"
        );
    }
}
