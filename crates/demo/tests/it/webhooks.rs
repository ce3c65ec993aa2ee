//! Webhooks to a shop over real loopback HTTP, verified with the `standardwebhooks` crate: a payment
//! and a refund arrive signed; a failing endpoint gets the same `webhook-id` until it answers; a
//! server that crashes before delivering (in process, and the binary killed with SIGKILL mid-attempt)
//! delivers after its restart; `/admin/events` pages.

use std::sync::{Arc, Mutex};
use std::time::Duration;

use axum::body::Bytes;
use axum::http::HeaderMap;
use serde_json::{json, Value};
use wallet_checkout_server::store::SqliteStore;

use super::*;

/// 32 random bytes, as a shop's dashboard would make them.
const SECRET: &str = "whsec_MfKQ9r8GKYqrTwjUPD8ILPZIo2LaLaSw1HUwUGmGK/s=";
/// The lookups' own key (`[orders] secret_env`): a lookup is never a valid webhook.
const LOOKUP_SECRET: &str = "whsec_C2FVsBQIhrscChlQIMV+b5sSYspob7oD";
/// The secret the lookup shop chose for L200.
const L200_SECRET: &str = "shop-chosen_secret_for_L200_0123456789";

/// What the shop's endpoint received: (webhook-id, verified body).
type Seen = Arc<Mutex<Vec<(String, Value)>>>;

/// A shop endpoint that fails the first `failures` requests with 500, then verifies and keeps each.
async fn shop(failures: usize) -> (String, Seen) {
    let seen: Seen = Arc::default();
    let left = Arc::new(Mutex::new(failures));
    let (s, l) = (seen.clone(), left.clone());
    let router = axum::Router::new().route(
        "/hooks",
        axum::routing::post(move |headers: HeaderMap, body: Bytes| {
            let (seen, left) = (s.clone(), l.clone());
            async move {
                {
                    let mut n = left.lock().expect("lock");
                    if *n > 0 {
                        *n -= 1;
                        return axum::http::StatusCode::INTERNAL_SERVER_ERROR;
                    }
                }
                let verifier = standardwebhooks::Webhook::new(SECRET).expect("secret");
                if verifier.verify(&body, &headers).is_err() {
                    return axum::http::StatusCode::UNAUTHORIZED;
                }
                let id = headers["webhook-id"].to_str().expect("id").to_string();
                let value: Value = serde_json::from_slice(&body).expect("json");
                seen.lock().expect("lock").push((id, value));
                axum::http::StatusCode::NO_CONTENT
            }
        }),
    );
    (format!("{}/hooks", serve(router).await), seen)
}

async fn put_order(base: &str, reference: &str, value: u64) {
    let res = reqwest::Client::new()
        .put(format!("{base}/admin/orders/{reference}"))
        .header("authorization", format!("Bearer {ADMIN_TOKEN}"))
        .json(
            &json!({ "amount": { "value": value, "currency": "CAD" }, "description": "Tea",
                       "metadata": { "cart": "c-1" } }),
        )
        .send()
        .await
        .expect("put");
    assert_eq!(res.status(), StatusCode::CREATED);
    let body: Value = res.json().await.expect("order");
    keep_secret_of(&format!("{base}/admin/orders/{reference}"), &body);
}

async fn events(base: &str, query: &str) -> Value {
    let res = reqwest::Client::new()
        .get(format!("{base}/admin/events{query}"))
        .header("authorization", format!("Bearer {ADMIN_TOKEN}"))
        .send()
        .await
        .expect("events");
    assert_eq!(res.status(), StatusCode::OK);
    res.json().await.expect("json")
}

/// Waits up to `secs` for the shop to have `n` deliveries.
async fn wait_for(seen: &Seen, n: usize, secs: u64) -> Vec<(String, Value)> {
    for _ in 0..secs * 10 {
        if seen.lock().expect("lock").len() >= n {
            break;
        }
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
    let got = seen.lock().expect("lock").clone();
    assert!(
        got.len() >= n,
        "the shop got {} of {n} webhooks: {got:?}",
        got.len()
    );
    got
}

#[tokio::test]
async fn a_payment_and_a_refund_reach_the_shop_signed_and_are_listed() {
    let (url, seen) = shop(0).await;
    let d = demo_with(|o| {
        o.admin(ADMIN_TOKEN);
        o.webhooks(&url, SECRET, &[1]);
        o.webhook_tick = Duration::from_millis(50);
        o.reconcile = Some(
            wallet_checkout_server::workers::reconcile::ReconcileConfig {
                tick: Duration::from_millis(100),
                refund_every: Duration::from_millis(300),
                ..Default::default()
            },
        );
    })
    .await;
    put_order(&d.base, "W1", 1000).await;
    let (status, s) = create_session(&d.base, "W1", None).await;
    assert_eq!(status, StatusCode::CREATED, "{s}");
    let id = s["id"].as_str().expect("id").to_string();
    shopper(&d.base, &gateway_id(&s), true).await;
    let got = wait_for(&seen, 1, 5).await;
    let (hook_id, body) = &got[0];
    assert!(hook_id.starts_with("evt_"));
    assert_eq!(body["type"], "session.succeeded");
    assert_eq!(
        body["data"]["order"],
        json!({ "reference": "W1", "metadata": { "cart": "c-1" } })
    );
    assert_eq!(body["data"]["session"]["id"], id.as_str());
    assert_eq!(body["data"]["session"]["status"], "succeeded");
    assert_eq!(body["data"]["session"]["amount"]["value"], 1000);

    let res = reqwest::Client::new()
        .post(format!("{}/admin/sessions/{id}/refunds", d.base))
        .header("authorization", format!("Bearer {ADMIN_TOKEN}"))
        .json(&json!({ "amount": 300 }))
        .send()
        .await
        .expect("refund");
    assert_eq!(res.status().as_u16(), 201);
    // AlphaPay's refund answer has no status: reconciliation asks how it ended, nobody reads it.
    let refund: Value = res.json().await.expect("json");
    assert_eq!(refund["status"], "processing");
    let got = wait_for(&seen, 2, 5).await;
    assert_eq!(got[1].1["type"], "refund.succeeded");
    assert_eq!(got[1].1["data"]["refund"]["amount"]["value"], 300);

    let page = events(&d.base, "?limit=1").await;
    assert_eq!(page["has_more"], true);
    let first = &page["events"][0];
    assert_eq!(
        (first["id"].as_str(), first["type"].as_str()),
        (Some(hook_id.as_str()), Some("session.succeeded"))
    );
    assert_eq!(
        (first["delivered"].as_bool(), first["attempts"].as_u64()),
        (Some(true), Some(1))
    );
    let rest = events(&d.base, &format!("?after={hook_id}&limit=100")).await;
    assert_eq!(rest["has_more"], false);
    assert_eq!(rest["events"].as_array().map(Vec::len), Some(1));
    assert_eq!(rest["events"][0]["type"], "refund.succeeded");
    let res = reqwest::Client::new()
        .get(format!("{}/admin/events?after=evt_nope", d.base))
        .header("authorization", format!("Bearer {ADMIN_TOKEN}"))
        .send()
        .await
        .expect("events");
    assert_eq!(res.status().as_u16(), 400);
}

#[tokio::test]
async fn a_failing_endpoint_gets_the_same_webhook_id_until_it_answers() {
    let (url, seen) = shop(3).await;
    let d = demo_with(|o| {
        o.admin(ADMIN_TOKEN);
        o.webhooks(&url, SECRET, &[1, 1, 1, 1]);
        o.webhook_tick = Duration::from_millis(50);
    })
    .await;
    put_order(&d.base, "W2", 500).await;
    let (_, s) = create_session(&d.base, "W2", None).await;
    shopper(&d.base, &gateway_id(&s), true).await;
    let got = wait_for(&seen, 1, 10).await;
    assert_eq!(got.len(), 1, "delivered once, on the fourth attempt");
    // The shop has its answer before the server records the attempt: read until it is recorded.
    let mut page = events(&d.base, "").await;
    for _ in 0..100 {
        if page["events"][0]["delivered"].as_bool() == Some(true) {
            break;
        }
        tokio::time::sleep(Duration::from_millis(50)).await;
        page = events(&d.base, "").await;
    }
    let e = &page["events"][0];
    assert_eq!(
        e["id"].as_str(),
        Some(got[0].0.as_str()),
        "the same webhook-id throughout"
    );
    assert_eq!(
        (e["attempts"].as_u64(), e["delivered"].as_bool()),
        (Some(4), Some(true))
    );
}

#[tokio::test]
async fn an_event_not_yet_delivered_at_a_crash_is_delivered_after_the_restart() {
    let (url, seen) = shop(usize::MAX).await; // refuses everything until the restart
    let dir = std::env::temp_dir().join(format!("wc-hooks-{}", random_id(8)));
    let db = dir.join("checkout.db");
    let credentials = demo::Credentials::generate().expect("credentials");
    let (store, creds, first_url) = (
        Arc::new(SqliteStore::open(&db).expect("sqlite")),
        credentials.clone(),
        url.clone(),
    );
    let first = demo_with(move |o| {
        o.admin(ADMIN_TOKEN);
        o.store = Some(store);
        o.credentials = creds;
        o.webhooks(&first_url, SECRET, &[30]);
        o.webhook_tick = Duration::from_millis(50);
    })
    .await;
    put_order(&first.base, "W3", 700).await;
    let (_, s) = create_session(&first.base, "W3", None).await;
    let id = s["id"].as_str().expect("id").to_string();
    shopper(&first.base, &gateway_id(&s), true).await;
    wait_change(&first.base, &id, "pending").await;
    tokio::time::sleep(Duration::from_millis(300)).await; // the first attempt fails
    let (base, sandbox, clock) = first.crash().await;

    let (url2, seen2) = shop(0).await;
    let addr = base.trim_start_matches("http://").to_string();
    let store = Arc::new(SqliteStore::open(&db).expect("reopens"));
    let second = demo_at(&addr, clock.clone(), move |o| {
        o.admin(ADMIN_TOKEN);
        o.store = Some(store);
        o.credentials = credentials;
        o.sandbox = Some(sandbox);
        o.webhooks(&url2, SECRET, &[30]);
        o.webhook_tick = Duration::from_millis(50);
    })
    .await;
    // Its retry is due in 30 s; move the clock there instead of waiting.
    clock.advance(time::Duration::seconds(40));
    let got = wait_for(&seen2, 1, 5).await;
    assert_eq!(got[0].1["type"], "session.succeeded");
    assert_eq!(got[0].1["data"]["session"]["id"], id.as_str());
    assert!(seen.lock().expect("lock").is_empty());
    let page = events(&second.base, "").await;
    assert_eq!(
        page["events"][0]["attempts"], 2,
        "one failed before the crash, one after"
    );
    let _ = std::fs::remove_dir_all(dir);
}

/// A shop's lookup endpoint: verifies the signature with the lookups' key (and refuses one the
/// webhook secret also verifies), then answers by reference.
async fn lookup_shop() -> String {
    let router = axum::Router::new().route(
        "/lookup",
        axum::routing::post(|headers: HeaderMap, body: Bytes| async move {
            use axum::response::IntoResponse;
            let verifier = standardwebhooks::Webhook::new(LOOKUP_SECRET).expect("secret");
            if verifier.verify(&body, &headers).is_err() {
                return (axum::http::StatusCode::UNAUTHORIZED, "bad signature").into_response();
            }
            let as_webhook = standardwebhooks::Webhook::new(SECRET).expect("secret");
            if as_webhook.verify(&body, &headers).is_ok() {
                return (axum::http::StatusCode::IM_A_TEAPOT, "a lookup that is a webhook")
                    .into_response();
            }
            let asked: Value = serde_json::from_slice(&body).expect("json");
            let order = |value: Value| {
                axum::Json(json!({ "amount": { "value": value, "currency": "CAD" }, "description": "Looked up",
                                   "client_secret": L200_SECRET }))
                    .into_response()
            };
            match asked["reference"].as_str().unwrap_or_default() {
                "L200" => order(json!(4321)),
                "L404" => axum::http::StatusCode::NOT_FOUND.into_response(),
                "L500" => axum::http::StatusCode::INTERNAL_SERVER_ERROR.into_response(),
                "LHTML" => axum::response::Html("<h1>Login</h1>").into_response(),
                "LNEG" => order(json!(-1)),
                "LNOAMOUNT" => axum::Json(json!({ "description": "x" })).into_response(),
                "LNOSECRET" => axum::Json(
                    json!({ "amount": { "value": 1, "currency": "CAD" }, "description": "x" }),
                )
                .into_response(),
                "LBADSECRET" => axum::Json(
                    json!({ "amount": { "value": 1, "currency": "CAD" }, "description": "x",
                            "client_secret": "short and spaced" }),
                )
                .into_response(),
                "LSLOW" => {
                    tokio::time::sleep(Duration::from_secs(7)).await;
                    order(json!(1))
                }
                _ => axum::http::StatusCode::NOT_FOUND.into_response(),
            }
        }),
    );
    format!("{}/lookup", serve(router).await)
}

async fn stored(base: &str, reference: &str) -> StatusCode {
    reqwest::Client::new()
        .get(format!("{base}/admin/orders/{reference}"))
        .header("authorization", format!("Bearer {ADMIN_TOKEN}"))
        .send()
        .await
        .expect("get")
        .status()
}

#[tokio::test]
async fn orders_are_looked_up_at_the_shop_and_a_bad_answer_stores_nothing() {
    let lookup = lookup_shop().await;
    let d = demo_with(|o| {
        o.admin(ADMIN_TOKEN);
        o.webhooks("http://127.0.0.1:9/unused", SECRET, &[1]);
        o.config.orders = Some(wallet_checkout_server::orders::OrdersConfig {
            lookup_url: Some(lookup),
            secret_env: Some("LOOKUP_SECRET".into()),
        });
        o.secrets
            .0
            .insert("LOOKUP_SECRET".into(), LOOKUP_SECRET.into());
    })
    .await;
    // A stranger's secret for an order the server must ask about: the shop is asked, nothing is
    // stored, and the answer is the unknown order's.
    keep_secret(&d.base, "L200", "sec_a_strangers_guess_0123456789abcdef");
    let (status, stranger) = create_session(&d.base, "L200", None).await;
    assert_error(status, &stranger, 404, "order_not_found");
    assert_eq!(stored(&d.base, "L200").await, StatusCode::NOT_FOUND);
    keep_secret(&d.base, "L200", L200_SECRET);
    let (status, s) = create_session(&d.base, "L200", None).await;
    assert_eq!(status, StatusCode::CREATED, "{s}");
    assert_eq!(
        s["amount"],
        json!({ "value": 4321, "currency": "CAD" }),
        "the shop's amount"
    );
    assert_eq!(
        stored(&d.base, "L200").await,
        StatusCode::OK,
        "stored as if PUT"
    );
    let (_, view) = admin(
        reqwest::Method::GET,
        &format!("{}/admin/orders/L200", d.base),
        None,
    )
    .await;
    assert_eq!(
        view["client_secret"], L200_SECRET,
        "the shop's own secret kept"
    );
    let (status, body) = create_session(&d.base, "L404", None).await;
    assert_error(status, &body, 404, "order_not_found");
    assert_eq!(
        body, stranger,
        "an unknown order answers as a wrong secret does"
    );
    for reference in ["LNOSECRET", "LBADSECRET"] {
        keep_secret(&d.base, reference, "sec_whatever_the_page_has_0123456789");
        let (status, body) = create_session(&d.base, reference, None).await;
        assert_error(status, &body, 404, "order_not_found");
        assert_eq!(
            stored(&d.base, reference).await,
            StatusCode::NOT_FOUND,
            "{reference}"
        );
    }
    for reference in ["L500", "LHTML", "LNEG", "LNOAMOUNT", "LSLOW"] {
        keep_secret(&d.base, reference, "sec_whatever_the_page_has_0123456789");
        let (status, body) = create_session(&d.base, reference, None).await;
        assert_error(status, &body, 502, "order_unavailable");
        assert_eq!(
            stored(&d.base, reference).await,
            StatusCode::NOT_FOUND,
            "{reference}: nothing stored"
        );
    }
    assert!(
        d.sandbox.payments().len() == 1,
        "no gateway call for a failed lookup"
    );
}

#[tokio::test]
async fn a_server_killed_between_the_notification_and_the_delivery_delivers_after_its_restart() {
    // The shop's endpoint takes the first attempt and never answers it: the server is killed with
    // SIGKILL while that attempt is in flight. Every later attempt is answered.
    let first_id: Arc<Mutex<Option<String>>> = Arc::default();
    let seen: Seen = Arc::default();
    let (f, s) = (first_id.clone(), seen.clone());
    let router = axum::Router::new().route(
        "/hooks",
        axum::routing::post(move |headers: HeaderMap, body: Bytes| {
            let (first, seen) = (f.clone(), s.clone());
            async move {
                let id = headers["webhook-id"].to_str().expect("id").to_string();
                let hang = {
                    let mut first = first.lock().expect("lock");
                    let hang = first.is_none();
                    first.get_or_insert(id.clone());
                    hang
                };
                if hang {
                    std::future::pending::<()>().await;
                }
                let verifier = standardwebhooks::Webhook::new(SECRET).expect("secret");
                if verifier.verify(&body, &headers).is_err() {
                    return axum::http::StatusCode::UNAUTHORIZED;
                }
                let value: Value = serde_json::from_slice(&body).expect("json");
                seen.lock().expect("lock").push((id, value));
                axum::http::StatusCode::NO_CONTENT
            }
        }),
    );
    let url = format!("{}/hooks", serve(router).await);
    let config = config_file(
        "127.0.0.1:0",
        "http://127.0.0.1",
        &format!(
            "\n[admin]\ntoken_env = \"WC_KILL_ADMIN\"\n\n\
             [webhooks]\nurl = \"{url}\"\nsecret_env = \"WC_KILL_HOOKS\"\nretry_secs = [300]\ntimeout_secs = 1\n\n\
             [demo]\nsandbox = true\n"
        ),
    );
    let dir = config.parent().expect("its folder").to_path_buf();

    let (mut first, base) = start_binary(
        &config,
        &[("WC_KILL_ADMIN", ADMIN_TOKEN), ("WC_KILL_HOOKS", SECRET)],
    );
    put_order(&base, "K1", 900).await;
    let (status, s) = create_session(&base, "K1", None).await;
    assert_eq!(status, StatusCode::CREATED, "{s}");
    let id = s["id"].as_str().expect("id").to_string();
    shopper(&base, &gateway_id(&s), true).await;
    let mut waited = 0;
    while first_id.lock().expect("lock").is_none() {
        assert!(waited < 100, "no first attempt within 10 s of the payment");
        tokio::time::sleep(Duration::from_millis(100)).await;
        waited += 1;
    }
    first.0.kill().expect("SIGKILL"); // std's kill is SIGKILL on Unix
    first.0.wait().expect("reaped");

    // The attempt the kill cut off holds the event for its timeout and a margin (1 + 5 s), then
    // the restarted server delivers it: the same event, under the same webhook-id.
    let (second, _) = start_binary(
        &config,
        &[("WC_KILL_ADMIN", ADMIN_TOKEN), ("WC_KILL_HOOKS", SECRET)],
    );
    let got = wait_for(&seen, 1, 20).await;
    drop(second);
    let _ = std::fs::remove_dir_all(&dir);
    assert_eq!(got[0].1["type"], "session.succeeded");
    assert_eq!(got[0].1["data"]["session"]["id"], id.as_str());
    assert_eq!(
        Some(got[0].0.clone()),
        first_id.lock().expect("lock").clone(),
        "the same webhook-id as the attempt the kill cut off"
    );
}
