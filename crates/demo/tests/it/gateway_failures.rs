//! A gateway that answers 500, answers unsigned or badly signed, answers nothing, or is not there:
//! a clear `gateway_error` / `gateway_timeout`, and no session stored.

use std::time::Duration;

use axum::routing::post as route_post;
use axum::Router;

use super::*;

async fn fake_gateway(router: Router) -> String {
    serve(router).await
}

async fn attempt(gateway_url: &str, timeout_ms: u64) -> (StatusCode, Value, AppState) {
    let (base, state) =
        server_with_gateway(gateway_url, kat_key().to_public_key(), timeout_ms).await;
    let order = demo_order(&base, 500, "CAD").await;
    let (status, body) = create_session(&base, &order, Some("k")).await;
    (status, body, state)
}

#[tokio::test]
async fn a_gateway_answering_500_is_a_gateway_error() {
    let url = fake_gateway(Router::new().route(
        "/api/v2.0/payments/pay",
        route_post(|| async { (axum::http::StatusCode::INTERNAL_SERVER_ERROR, "boom") }),
    ))
    .await;
    let (status, body, state) = attempt(&url, 2000).await;
    assert_error(status, &body, 502, "gateway_error");
    assert!(
        state
            .store()
            .by_idempotency_key("k")
            .await
            .expect("store")
            .is_none(),
        "nothing stored"
    );
}

#[tokio::test]
async fn an_unsigned_answer_is_refused_not_trusted() {
    let answer = r#"{"result":{"resultCode":"PAYMENT_IN_PROCESS","resultStatus":"U"},"paymentId":"1","paymentRequestId":"x","paymentInfo":{"paymentUrl":"https://evil.example"}}"#;
    let url = fake_gateway(Router::new().route(
        "/api/v2.0/payments/pay",
        route_post(move || async move { answer }),
    ))
    .await;
    let (status, body, _) = attempt(&url, 2000).await;
    assert_error(status, &body, 502, "gateway_error");
    assert!(
        !body.to_string().contains("evil.example"),
        "nothing of the answer reaches the shopper: {body}"
    );
}

#[tokio::test]
async fn a_badly_signed_answer_is_refused() {
    let answer = || async {
        (
            [
                ("Signature", "algorithm=RS256,keyVersion=1,signature=AAAA"),
                ("Response-Time", "2024-01-02T03:04:05+00:00"),
                ("Nonce", "n"),
            ],
            r#"{"result":{"resultCode":"PAYMENT_IN_PROCESS"}}"#,
        )
    };
    let url = fake_gateway(Router::new().route("/api/v2.0/payments/pay", route_post(answer))).await;
    let (status, body, _) = attempt(&url, 2000).await;
    assert_error(status, &body, 502, "gateway_error");
}

#[tokio::test]
async fn the_gateways_own_words_never_reach_the_shopper() {
    use wallet_checkout_server::gateway::alphapay::sign;
    // A real refusal, signed right, whose message a shopper must not read (and a log must escape).
    let answer = || async {
        let body = r#"{"result":{"resultCode":"MERCHANT_BLOCKED","resultStatus":"F","resultMessage":"merchant 8812 blocked\nINFO forged: call +1 555 0100"}}"#;
        let time = "2024-01-02T03:04:05+00:00";
        let content = sign::content("POST", "/api/v2.0/payments/pay", "TESTMC", time, "n1", body);
        let signature = sign::header_value(&sign::sign(&kat_key(), &content));
        (
            [
                ("Signature", signature),
                ("Response-Time", time.to_string()),
                ("Nonce", "n1".to_string()),
            ],
            body,
        )
    };
    let url = fake_gateway(Router::new().route("/api/v2.0/payments/pay", route_post(answer))).await;
    let (status, body, _) = attempt(&url, 2000).await;
    assert_error(status, &body, 502, "gateway_error");
    let text = body.to_string();
    assert!(
        !text.contains("8812") && !text.contains("MERCHANT_BLOCKED") && !text.contains("555"),
        "the shopper hears only that the provider refused: {text}"
    );
}

#[tokio::test]
async fn a_gateway_that_never_answers_times_out() {
    let url = fake_gateway(Router::new().route(
        "/api/v2.0/payments/pay",
        route_post(|| async {
            tokio::time::sleep(Duration::from_secs(30)).await;
            "late"
        }),
    ))
    .await;
    let (status, body, _) = attempt(&url, 300).await;
    assert_error(status, &body, 504, "gateway_timeout");
}

#[tokio::test]
async fn an_unreachable_gateway_is_a_gateway_error() {
    // Bind then drop: nothing listens on this port any more.
    let port = std::net::TcpListener::bind("127.0.0.1:0")
        .expect("bind")
        .local_addr()
        .expect("addr")
        .port();
    let (status, body, _) = attempt(&format!("http://127.0.0.1:{port}"), 2000).await;
    assert_error(status, &body, 502, "gateway_error");
}

#[tokio::test]
async fn a_redirect_to_http_is_not_followed_and_the_signed_body_goes_nowhere_else() {
    // Where a hijacked gateway would send the signed request in clear.
    let reached = Arc::new(std::sync::atomic::AtomicUsize::new(0));
    let seen = reached.clone();
    let elsewhere = fake_gateway(Router::new().fallback(move || {
        seen.fetch_add(1, std::sync::atomic::Ordering::SeqCst);
        async { "{}" }
    }))
    .await;
    let to = format!("{elsewhere}/api/v2.0/payments/pay");
    let url = fake_gateway(Router::new().route(
        "/api/v2.0/payments/pay",
        route_post(move || {
            let to = to.clone();
            async move {
                (
                    axum::http::StatusCode::TEMPORARY_REDIRECT,
                    [(axum::http::header::LOCATION, to)],
                )
            }
        }),
    ))
    .await;
    let (status, body, state) = attempt(&url, 2000).await;
    assert_error(status, &body, 502, "gateway_error");
    assert_eq!(
        reached.load(std::sync::atomic::Ordering::SeqCst),
        0,
        "the redirect was not followed"
    );
    assert!(
        state
            .store()
            .by_idempotency_key("k")
            .await
            .expect("store")
            .is_none(),
        "nothing stored"
    );
}
