//! The checkout API from another origin (`[checkout] allowed_origins`): the listed shop's preflight
//! and requests get CORS headers, event streams included; any other origin, `null` too, gets none;
//! credentials are never allowed; the admin API never answers CORS.

use reqwest::header::HeaderMap;

use super::*;

const SHOP: &str = "https://shop.example";

async fn cross_origin_demo() -> TestDemo {
    demo_with(|o| {
        o.admin(ADMIN_TOKEN);
        o.config.checkout = Some(wallet_checkout_server::config::CheckoutSection {
            allowed_origins: vec![SHOP.into()],
            ..Default::default()
        });
    })
    .await
}

fn cors_headers(h: &HeaderMap) -> Vec<String> {
    h.keys()
        .map(|k| k.as_str().to_string())
        .filter(|k| k.starts_with("access-control-"))
        .collect()
}

async fn preflight(base: &str, origin: &str, method: &str, headers: &str) -> reqwest::Response {
    reqwest::Client::new()
        .request(
            reqwest::Method::OPTIONS,
            format!("{base}/api/checkout/sessions"),
        )
        .header("origin", origin)
        .header("access-control-request-method", method)
        .header("access-control-request-headers", headers)
        .send()
        .await
        .expect("answered")
}

#[tokio::test]
async fn the_listed_shop_gets_cors_and_no_one_else_does() {
    let d = cross_origin_demo().await;
    let res = preflight(&d.base, SHOP, "POST", "content-type,idempotency-key").await;
    assert_eq!(res.status(), StatusCode::NO_CONTENT);
    let h = res.headers();
    assert_eq!(h["access-control-allow-origin"], SHOP);
    assert_eq!(h["access-control-allow-methods"], "GET, POST");
    assert_eq!(
        h["access-control-allow-headers"],
        "content-type, idempotency-key"
    );
    assert!(h.contains_key("access-control-max-age"));
    assert!(
        !h.contains_key("access-control-allow-credentials"),
        "credentials are never allowed"
    );
    assert_eq!(h["vary"], "Origin");

    for stranger in [
        "https://evil.example",
        "null",
        "https://shop.example.evil.example",
        "http://shop.example",
    ] {
        let res = preflight(&d.base, stranger, "POST", "content-type").await;
        assert_eq!(
            cors_headers(res.headers()),
            Vec::<String>::new(),
            "{stranger}"
        );
        assert!(!res.status().is_success(), "{stranger}: {}", res.status());
    }
    // A header the widget never sends is not allowed.
    let res = preflight(&d.base, SHOP, "POST", "authorization").await;
    assert!(!res.status().is_success());
    assert!(!res.headers().contains_key("access-control-allow-methods"));

    // The create itself, then its event stream, answer the shop's origin.
    let order = demo_order(&d.base, 1234, "CAD").await;
    let res = reqwest::Client::new()
        .post(format!("{}/api/checkout/sessions", d.base))
        .header("origin", SHOP)
        .header("content-type", "application/json")
        .body(
            json!({ "order": order, "client_secret": secret_for(&d.base, &order), "wallet": "alipay", "flow": "qr",
                    "return_url": format!("{SHOP}/checkout") })
            .to_string(),
        )
        .send()
        .await
        .expect("create");
    assert_eq!(
        res.status(),
        StatusCode::CREATED,
        "the shop's origin is a return origin by default"
    );
    assert_eq!(res.headers()["access-control-allow-origin"], SHOP);
    assert!(!res
        .headers()
        .contains_key("access-control-allow-credentials"));
    let s: Value = res.json().await.expect("session");
    let id = s["id"].as_str().expect("id");
    let stream = reqwest::Client::new()
        .get(format!("{}/api/checkout/sessions/{id}/events", d.base))
        .header("origin", SHOP)
        .send()
        .await
        .expect("stream");
    assert_eq!(
        stream.headers()["access-control-allow-origin"],
        SHOP,
        "EventSource too"
    );
    let read = reqwest::Client::new()
        .get(format!("{}/api/checkout/sessions/{id}", d.base))
        .header("origin", "https://evil.example")
        .send()
        .await
        .expect("read");
    assert_eq!(
        read.status(),
        StatusCode::OK,
        "a read from elsewhere answers (the browser withholds it)"
    );
    assert_eq!(cors_headers(read.headers()), Vec::<String>::new());

    // The admin API never answers CORS, even to the shop's origin.
    let res = reqwest::Client::new()
        .request(
            reqwest::Method::OPTIONS,
            format!("{}/admin/orders/A1", d.base),
        )
        .header("origin", SHOP)
        .header("access-control-request-method", "PUT")
        .send()
        .await
        .expect("admin preflight");
    assert_eq!(cors_headers(res.headers()), Vec::<String>::new());
    let res = reqwest::Client::new()
        .get(format!("{}/admin/orders/A1", d.base))
        .header("origin", SHOP)
        .header("authorization", format!("Bearer {ADMIN_TOKEN}"))
        .send()
        .await
        .expect("admin");
    assert_eq!(res.status(), StatusCode::FORBIDDEN);
    assert_eq!(cors_headers(res.headers()), Vec::<String>::new());
}

#[tokio::test]
async fn without_allowed_origins_the_checkout_api_answers_no_cors() {
    let d = demo_with(|_| {}).await;
    let res = preflight(&d.base, SHOP, "POST", "content-type").await;
    assert_eq!(cors_headers(res.headers()), Vec::<String>::new());
}
