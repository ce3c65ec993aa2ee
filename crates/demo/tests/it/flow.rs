//! The QR flow against the real AlphaPay sandbox: create, long poll, pay, expiry, idempotency, bad input.

use std::time::Duration;

use serde_json::json;

use super::*;

#[tokio::test]
async fn a_qr_payment_goes_from_create_to_succeeded_through_a_signed_notification() {
    let (base, _) = demo().await;
    let order = demo_order(&base, 1234, "CAD").await;
    let (status, session) = create_session(&base, &order, Some("key-1")).await;
    assert_eq!(status, StatusCode::CREATED, "{session}");
    assert_eq!(session["status"], "pending");
    assert_eq!(
        session["amount"],
        json!({ "value": 1234, "currency": "CAD" })
    );
    assert_eq!(session["gateway"], "alphapay");
    let id = session["id"].as_str().expect("id").to_string();
    let content = session["action"]["content"]
        .as_str()
        .expect("qr content")
        .to_string();
    assert!(
        content.starts_with(&format!("{base}/sandbox/wallet/")),
        "{content}"
    );

    let waiting = tokio::spawn({
        let url = format!("{base}/api/checkout/sessions/{id}?wait=25&status=pending");
        async move { get(&url).await }
    });
    tokio::time::sleep(Duration::from_millis(200)).await;
    assert!(!waiting.is_finished(), "the long poll holds while pending");

    let paid = reqwest::Client::builder()
        .redirect(reqwest::redirect::Policy::none())
        .build()
        .expect("client");
    let res = paid
        .post(format!("{content}/pay"))
        .send()
        .await
        .expect("pay");
    assert_eq!(res.status(), StatusCode::SEE_OTHER);

    let (status, after) = tokio::time::timeout(Duration::from_secs(10), waiting)
        .await
        .expect("woken")
        .expect("joined");
    assert_eq!(status, StatusCode::OK);
    assert_eq!(after["status"], "succeeded");
    assert!(
        after.get("action").is_none(),
        "no action once final: {after}"
    );

    let (status, body) = create_session(&base, &order, Some("key-2")).await;
    assert_error(status, &body, 409, "order_already_paid");
}

#[tokio::test]
async fn the_same_idempotency_key_gets_the_same_session() {
    let (base, _) = demo().await;
    let order = demo_order(&base, 500, "CAD").await;
    let (s1, first) = create_session(&base, &order, Some("same")).await;
    let (s2, second) = create_session(&base, &order, Some("same")).await;
    assert_eq!((s1, s2), (StatusCode::CREATED, StatusCode::OK));
    assert_eq!(first["id"], second["id"]);
    assert_eq!(first["action"], second["action"], "no second gateway order");
    let other = demo_order(&base, 700, "CAD").await;
    let (status, body) = create_session(&base, &other, Some("same")).await;
    assert_error(status, &body, 400, "invalid_request");
    let (_, third) = create_session(&base, &order, Some("different")).await;
    assert_ne!(third["id"], first["id"]);
}

#[tokio::test]
async fn a_long_poll_answers_at_once_when_the_status_already_differs() {
    let (base, _) = demo().await;
    let order = demo_order(&base, 500, "CAD").await;
    let (_, session) = create_session(&base, &order, None).await;
    let id = session["id"].as_str().expect("id");
    let quick = tokio::time::timeout(
        Duration::from_secs(10),
        get(&format!(
            "{base}/api/checkout/sessions/{id}?wait=25&status=succeeded"
        )),
    )
    .await
    .expect("answers at once, not after 25 s");
    assert_eq!(quick.1["status"], "pending");
    let (status, held) = get(&format!(
        "{base}/api/checkout/sessions/{id}?wait=1&status=pending"
    ))
    .await;
    assert_eq!(
        (status, held["status"].as_str()),
        (StatusCode::OK, Some("pending"))
    );
}

#[tokio::test]
async fn a_session_expires_at_the_gateways_time_and_loses_its_action() {
    let (base, clock) = demo().await;
    let order = demo_order(&base, 500, "CAD").await;
    let (_, session) = create_session(&base, &order, None).await;
    let id = session["id"].as_str().expect("id");
    let created = wallet_checkout_server::core::clock::parse_rfc3339(
        session["created_at"].as_str().expect("created"),
    );
    let expires = wallet_checkout_server::core::clock::parse_rfc3339(
        session["expires_at"].as_str().expect("expires"),
    );
    assert_eq!(
        expires.zip(created).map(|(e, c)| (e - c).whole_minutes()),
        Some(5),
        "AlphaPay's 5 minutes"
    );
    clock.advance(time::Duration::minutes(6));
    // Reconciliation closes the order at the gateway and expires the session; the long poll wakes.
    let after = wait_change(&base, id, "pending").await;
    assert_eq!(after["status"], "expired");
    assert!(after.get("action").is_none());
    // The sandbox wallet page agrees, and paying now is refused.
    let content = session["action"]["content"].as_str().expect("content");
    let page = reqwest::get(content)
        .await
        .expect("page")
        .text()
        .await
        .expect("text");
    assert!(page.contains("expired"), "{page}");
}

#[tokio::test]
async fn malformed_requests_get_the_contracts_error_shape() {
    let (base, _) = demo().await;
    let order = demo_order(&base, 500, "CAD").await;
    let url = format!("{base}/api/checkout/sessions");
    let cases = [
        "{not json".to_string(),
        "[]".to_string(),
        json!({ "order": 5, "wallet": "alipay", "flow": "qr" }).to_string(),
        json!({ "wallet": "alipay", "flow": "qr" }).to_string(),
        json!({ "order": order, "client_secret": secret_for(&base, &order), "wallet": "paypal", "flow": "qr" }).to_string(),
        json!({ "order": order, "client_secret": secret_for(&base, &order), "wallet": "alipay", "flow": "fax" }).to_string(),
        json!({ "order": order, "client_secret": secret_for(&base, &order), "wallet": "alipay", "flow": "qr", "amount": { "value": 1, "currency": "CAD" } }).to_string(),
        json!({ "order": order, "client_secret": secret_for(&base, &order), "wallet": "alipay", "flow": "qr", "return_url": "javascript:alert(1)" }).to_string(),
    ];
    for body in cases {
        let (status, answer) = post(&url, &body, None).await;
        let want = if status.as_u16() == 422 { 422 } else { 400 }; // 422: valid JSON of the wrong shape
        assert_error(status, &answer, want, "invalid_request");
    }
    let res = reqwest::Client::new()
        .post(&url)
        .header("content-type", "text/plain")
        .body("{}")
        .send()
        .await
        .expect("sent");
    assert_eq!(res.status().as_u16(), 415);
    let answer: serde_json::Value =
        serde_json::from_str(&res.text().await.expect("text")).expect("json error");
    assert_eq!(answer["error"]["code"], "invalid_request");

    let (status, answer) = get(&format!("{base}/api/checkout/sessions/cs_nope")).await;
    assert_error(status, &answer, 404, "session_not_found");
    let (_, session) = create_session(&base, &order, None).await;
    let id = session["id"].as_str().expect("id");
    for q in ["wait=abc", "status=paid", "wait=-1"] {
        let (status, answer) = get(&format!("{base}/api/checkout/sessions/{id}?{q}")).await;
        assert_error(status, &answer, 400, "invalid_request");
    }
    let (status, answer) = get(&format!("{base}/api/checkout/nowhere")).await;
    assert_error(status, &answer, 404, "invalid_request");
    let (status, answer) = post(
        &format!("{base}/demo/orders"),
        r#"{"amount":{"value":12.5,"currency":"CAD"},"description":"x"}"#,
        None,
    )
    .await;
    assert_error(status, &answer, 422, "invalid_request");
}

#[tokio::test]
async fn orders_the_gateway_cannot_take_are_refused_before_any_gateway_call() {
    let (base, _) = demo().await;
    let (status, body) = create_session(&base, "NO-SUCH-ORDER", None).await;
    assert_error(status, &body, 404, "order_not_found");
    let too_big = demo_order(&base, 10_000_000, "CAD").await;
    let (status, body) = create_session(&base, &too_big, None).await;
    assert_error_says(status, &body, 400, "invalid_request", "9999999");
    let euros = demo_order(&base, 500, "EUR").await;
    let (status, body) = create_session(&base, &euros, None).await;
    assert_error(status, &body, 400, "invalid_request");
}

#[tokio::test]
async fn cancelling_a_pending_session_ends_it() {
    let (base, _) = demo().await;
    let order = demo_order(&base, 500, "CAD").await;
    let (_, session) = create_session(&base, &order, None).await;
    let id = session["id"].as_str().expect("id");
    let (status, cancelled) = post(
        &format!("{base}/api/checkout/sessions/{id}/cancel"),
        "",
        None,
    )
    .await;
    assert_eq!(
        (status, cancelled["status"].as_str()),
        (StatusCode::OK, Some("cancelled"))
    );
    let (status, body) = post(
        &format!("{base}/api/checkout/sessions/cs_missing/cancel"),
        "",
        None,
    )
    .await;
    assert_error(status, &body, 404, "session_not_found");
}

/// Reads Server-Sent Events from `res` until one `session` event is complete; `None` once the stream ends.
async fn next_session_event(
    res: &mut reqwest::Response,
    buf: &mut String,
) -> Option<serde_json::Value> {
    loop {
        if let Some(end) = buf.find("\n\n") {
            let frame: String = buf.drain(..end + 2).collect();
            if frame.lines().any(|l| l == "event: session") {
                let data: String = frame
                    .lines()
                    .filter_map(|l| l.strip_prefix("data: "))
                    .collect();
                return Some(serde_json::from_str(&data).expect("event data is a session"));
            }
            continue; // a keep-alive comment
        }
        let chunk = tokio::time::timeout(Duration::from_secs(10), res.chunk())
            .await
            .expect("the stream answers within 10 s")
            .expect("stream readable")?;
        buf.push_str(std::str::from_utf8(&chunk).expect("utf-8"));
    }
}

#[tokio::test]
async fn the_event_stream_sends_the_session_then_each_change_then_ends() {
    let (base, _) = demo().await;
    let order = demo_order(&base, 1234, "CAD").await;
    let (_, session) = create_session(&base, &order, None).await;
    let id = session["id"].as_str().expect("id");
    let mut res = reqwest::get(format!("{base}/api/checkout/sessions/{id}/events"))
        .await
        .expect("events");
    assert_eq!(res.status(), StatusCode::OK);
    assert_eq!(
        res.headers()["content-type"].to_str().ok(),
        Some("text/event-stream")
    );
    assert_eq!(
        res.headers()
            .get("x-accel-buffering")
            .and_then(|v| v.to_str().ok()),
        Some("no"),
        "proxies are told not to buffer"
    );
    let mut buf = String::new();
    let first = next_session_event(&mut res, &mut buf)
        .await
        .expect("first event");
    assert_eq!(
        (first["id"].as_str(), first["status"].as_str()),
        (Some(id), Some("pending"))
    );
    assert_eq!(
        first["action"]["type"], "qr",
        "the first event carries the action"
    );

    shopper(&base, &gateway_id(&session), true).await;
    let paid = next_session_event(&mut res, &mut buf)
        .await
        .expect("a change");
    assert_eq!(paid["status"], "succeeded");
    assert!(paid.get("action").is_none());
    assert!(
        next_session_event(&mut res, &mut buf).await.is_none(),
        "the stream ends after a final status"
    );

    // A final session: one event, then the end.
    let mut res = reqwest::get(format!("{base}/api/checkout/sessions/{id}/events"))
        .await
        .expect("events");
    let mut buf = String::new();
    let only = next_session_event(&mut res, &mut buf)
        .await
        .expect("one event");
    assert_eq!(only["status"], "succeeded");
    assert!(next_session_event(&mut res, &mut buf).await.is_none());

    let (status, body) = get(&format!("{base}/api/checkout/sessions/cs_missing/events")).await;
    assert_error(status, &body, 404, "session_not_found");
}
