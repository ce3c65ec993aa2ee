//! The abuse suite: each attack of the hardening issue against the demo binary (the production
//! server's own accept loop, timeouts and limits) over loopback, bounded in count and time. Each
//! test is named after the finding it holds fixed. A `[demo]` section in a production config is
//! refused by `wallet-checkout-server` itself (`crates/server/tests/it/cli.rs`).

use std::time::{Duration, Instant};

use tokio::io::{AsyncReadExt, AsyncWriteExt};
use tokio::net::TcpStream;

use super::*;

/// The demo binary with `extra` TOML (e.g. a `[limits]` section), on its own SQLite file.
fn binary(extra: &str) -> (Running, String) {
    let config = config_file(
        "127.0.0.1:0",
        "http://127.0.0.1",
        &format!(
            "{extra}\n[admin]\ntoken_env = \"WC_ABUSE_ADMIN\"\n\n[demo]\norders = true\nsandbox = true\n"
        ),
    );
    start_binary(&config, &[("WC_ABUSE_ADMIN", ADMIN_TOKEN)])
}

fn addr(base: &str) -> String {
    base.trim_start_matches("http://").to_string()
}

/// Reads until the peer closes (`Ok(bytes)`) or `limit` passes (`Err`).
async fn read_until_closed(stream: &mut TcpStream, limit: Duration) -> Result<Vec<u8>, ()> {
    let mut got = Vec::new();
    let mut buf = [0u8; 4096];
    let deadline = Instant::now() + limit;
    loop {
        let left = deadline.saturating_duration_since(Instant::now());
        match tokio::time::timeout(left, stream.read(&mut buf)).await {
            Ok(Ok(0)) | Ok(Err(_)) => return Ok(got),
            Ok(Ok(n)) => got.extend_from_slice(&buf[..n]),
            Err(_) => return Err(()),
        }
    }
}

#[tokio::test]
async fn slowloris_headers_and_idle_connections_are_closed_within_ten_seconds() {
    let (_server, base) = binary("");
    // Half a request's headers, then silence.
    let mut slow = TcpStream::connect(addr(&base)).await.expect("connect");
    slow.write_all(b"GET /api/checkout/sessions/cs_x HTTP/1.1\r\nHost: x\r\nX-Slow: 1")
        .await
        .expect("write");
    // A kept-alive connection after one answered request.
    let mut idle = TcpStream::connect(addr(&base)).await.expect("connect");
    idle.write_all(b"GET /api/checkout/sessions/cs_x HTTP/1.1\r\nHost: x\r\n\r\n")
        .await
        .expect("write");
    let started = Instant::now();
    let closed = read_until_closed(&mut slow, Duration::from_secs(15)).await;
    assert!(
        closed.is_ok(),
        "a slowloris connection was still open after 15 s"
    );
    assert!(
        started.elapsed() >= Duration::from_secs(5),
        "closed too early: {:?}",
        started.elapsed()
    );
    let answered = read_until_closed(&mut idle, Duration::from_secs(5)).await;
    let text = String::from_utf8_lossy(answered.as_deref().unwrap_or_default()).to_string();
    assert!(
        answered.is_ok() && text.starts_with("HTTP/1.1 404"),
        "the idle connection was answered, then closed: {text:?}"
    );
}

#[tokio::test]
async fn a_body_over_64_kib_is_refused_with_413() {
    let (_server, base) = binary("");
    let big = "x".repeat(2 * 1024 * 1024);
    let body = format!("{{\"order\":\"{big}\",\"wallet\":\"alipay\"}}");
    let (status, err) = post(&format!("{base}/api/checkout/sessions"), &body, None).await;
    assert_error(status, &err, 413, "invalid_request");
    // The same without a Content-Length (chunked): cut off at 64 KiB as it streams. The server
    // answers and closes while the client still writes, so this is raw TCP.
    let mut c = TcpStream::connect(addr(&base)).await.expect("connect");
    c.write_all(b"POST /notify/alphapay HTTP/1.1\r\nHost: x\r\nTransfer-Encoding: chunked\r\n\r\n")
        .await
        .expect("headers");
    let chunk = format!("8000\r\n{}\r\n", " ".repeat(0x8000));
    for _ in 0..64 {
        if c.write_all(chunk.as_bytes()).await.is_err() {
            break;
        }
    }
    let got = read_until_closed(&mut c, Duration::from_secs(10))
        .await
        .unwrap_or_default();
    let text = String::from_utf8_lossy(&got);
    assert!(text.starts_with("HTTP/1.1 413"), "{text:?}");
}

#[tokio::test]
async fn lock_name_idempotency_keys_cannot_hang_an_order() {
    let (_server, base) = binary("");
    let order = demo_order(&base, 1000, "CAD").await;
    let quick = reqwest::Client::builder()
        .timeout(Duration::from_secs(20))
        .build()
        .expect("client");
    for key in [
        format!("order:{order}"),
        "refund:cs_x".into(),
        "key:x".into(),
    ] {
        let res = quick
            .post(format!("{base}/api/checkout/sessions"))
            .header("content-type", "application/json")
            .header("idempotency-key", &key)
            .body(json!({ "order": order, "client_secret": secret_for(&base, &order), "wallet": "alipay", "flow": "qr" }).to_string())
            .send()
            .await
            .unwrap_or_else(|e| panic!("the create with key {key:?} hung: {e}"));
        assert!(res.status().as_u16() < 500, "{key}: {}", res.status());
    }
    let res = quick
        .post(format!("{base}/api/checkout/sessions"))
        .header("content-type", "application/json")
        .body(json!({ "order": order, "client_secret": secret_for(&base, &order), "wallet": "alipay", "flow": "qr" }).to_string())
        .send()
        .await
        .expect("the shopper's own create still goes through");
    assert_eq!(res.status().as_u16(), 201);
}

/// The contract's key is 1 to 255 printable ASCII characters: HTTP lets a tab through a header
/// value, the server does not (on a create and on a refund alike); a space is printable.
#[tokio::test]
async fn an_idempotency_key_with_a_control_character_is_refused() {
    let d = demo_with(|o| o.admin(ADMIN_TOKEN)).await;
    let order = demo_order(&d.base, 1000, "CAD").await;
    // A tab inside (one at either end is HTTP's optional whitespace, trimmed before the server).
    let (status, body) = create_session(&d.base, &order, Some("a\tb")).await;
    assert_error_says(status, &body, 400, "invalid_request", "printable ASCII");
    let (status, s) = create_session(&d.base, &order, Some("a key with spaces")).await;
    assert_eq!(status, StatusCode::CREATED, "{s}");
    let id = s["id"].as_str().expect("id").to_string();
    shopper(&d.base, &gateway_id(&s), true).await;
    wait_change(&d.base, &id, "pending").await;
    let res = reqwest::Client::new()
        .post(format!("{}/admin/sessions/{id}/refunds", d.base))
        .header("authorization", format!("Bearer {ADMIN_TOKEN}"))
        .header("idempotency-key", "r\t1")
        .json(&json!({ "amount": 100 }))
        .send()
        .await
        .expect("sent");
    let status = res.status();
    let body: Value = res.json().await.unwrap_or(Value::Null);
    assert_error_says(status, &body, 400, "invalid_request", "printable ASCII");
}

/// Opens `n` event streams on `path` over raw TCP; answers the status code each got.
async fn open_streams(base: &str, path: &str, n: usize) -> (Vec<TcpStream>, Vec<u16>) {
    let mut open = Vec::new();
    let mut codes = Vec::new();
    for chunk in 0..n.div_ceil(250) {
        let batch = (chunk * 250..n.min((chunk + 1) * 250)).map(|_| async {
            let mut s = TcpStream::connect(addr(base)).await.expect("connect");
            // `Connection: close`: once a stream ends, the server closes (not kept alive for 10 s).
            s.write_all(
                format!("GET {path} HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n").as_bytes(),
            )
            .await
            .expect("write");
            let mut head = [0u8; 12];
            s.read_exact(&mut head).await.expect("status line");
            let code = std::str::from_utf8(&head[9..12])
                .ok()
                .and_then(|c| c.parse().ok())
                .unwrap_or(0);
            (s, code)
        });
        for (s, code) in futures_util::future::join_all(batch).await {
            open.push(s);
            codes.push(code);
        }
    }
    (open, codes)
}

#[tokio::test]
async fn five_thousand_event_streams_on_one_session_are_refused_past_the_cap() {
    let (_server, base) = binary("");
    let order = demo_order(&base, 1000, "CAD").await;
    let (_, s) = create_session(&base, &order, None).await;
    let id = s["id"].as_str().expect("id").to_string();
    let path = format!("/api/checkout/sessions/{id}/events");
    let (mut streams, codes) = open_streams(&base, &path, 5000).await;
    let ok = codes.iter().filter(|c| **c == 200).count();
    let limited = codes.iter().filter(|c| **c == 429).count();
    assert_eq!(
        (ok, limited),
        (4, 4996),
        "streams_per_session = 4 by default"
    );
    // A long poll counts against the same cap.
    let (status, body) = get(&format!(
        "{base}/api/checkout/sessions/{id}?wait=5&status=pending"
    ))
    .await;
    assert_error(status, &body, 429, "rate_limited");
    // A plain read does not wait, so it is never refused.
    let (status, _) = get(&format!("{base}/api/checkout/sessions/{id}")).await;
    assert_eq!(status, StatusCode::OK);
    // The payment's notification is still taken, and the four streams hear it (read without
    // waiting: a long poll would be past the cap too).
    shopper(&base, &gateway_id(&s), true).await;
    let mut status = Value::Null;
    for _ in 0..100 {
        status = get(&format!("{base}/api/checkout/sessions/{id}")).await.1["status"].clone();
        if status == "succeeded" {
            break;
        }
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
    assert_eq!(status, "succeeded");
    let mut heard = 0;
    for (s, code) in streams.iter_mut().zip(&codes) {
        if *code != 200 {
            continue;
        }
        let got = read_until_closed(s, Duration::from_secs(10))
            .await
            .expect("the stream ends after the final status");
        if String::from_utf8_lossy(&got).contains("\"status\":\"succeeded\"") {
            heard += 1;
        }
    }
    assert_eq!(heard, 4);
}

/// A session create for `order` carrying `X-Forwarded-For: xff`.
async fn create_from(base: &str, order: &str, xff: String) -> reqwest::Response {
    reqwest::Client::new()
        .post(format!("{base}/api/checkout/sessions"))
        .header("content-type", "application/json")
        .header("x-forwarded-for", xff)
        .body(json!({ "order": order, "client_secret": secret_for(base, order), "wallet": "alipay", "flow": "qr" }).to_string())
        .send()
        .await
        .expect("answered")
}

#[tokio::test]
async fn a_create_flood_from_one_address_is_429_with_retry_after() {
    let (_server, base) = binary("[limits]\ncreates_per_minute_per_ip = 5\n");
    let order = demo_order(&base, 1000, "CAD").await;
    let create = |xff: &'static str| create_from(&base, &order, xff.to_string());
    for n in 0..5 {
        assert_eq!(create("198.51.100.1").await.status().as_u16(), 201, "{n}");
    }
    // X-Forwarded-For from a peer that is no trusted proxy changes nothing: still the same address.
    let res = create("203.0.113.77").await;
    assert_eq!(res.status().as_u16(), 429);
    let wait: u64 = res
        .headers()
        .get("retry-after")
        .and_then(|v| v.to_str().ok())
        .and_then(|v| v.parse().ok())
        .expect("Retry-After in seconds");
    assert!((1..=60).contains(&wait), "{wait}");
    let body: Value = res.json().await.expect("json");
    assert_eq!(body["error"]["code"], "rate_limited");
}

#[tokio::test]
async fn a_retry_with_its_idempotency_key_is_never_rate_limited() {
    let (_server, base) = binary("[limits]\ncreates_per_minute_per_ip = 2\n");
    let order = demo_order(&base, 1000, "CAD").await;
    let (first, s) = create_session(&base, &order, Some("retry-1")).await;
    assert_eq!(first, StatusCode::CREATED, "{s}");
    let (second, _) = create_session(&base, &order, Some("retry-2")).await;
    assert_eq!(second, StatusCode::CREATED);
    let (limited, body) = create_session(&base, &order, Some("retry-3")).await;
    assert_error(limited, &body, 429, "rate_limited");
    // The widget's retry of its last request, after a lost answer: its session, not a 429.
    let (again, replayed) = create_session(&base, &order, Some("retry-2")).await;
    assert_eq!(again, StatusCode::OK, "{replayed}");
}

#[tokio::test]
async fn x_forwarded_for_counts_only_from_a_trusted_proxy() {
    let (_server, base) =
        binary("[limits]\ncreates_per_minute_per_ip = 2\ntrusted_proxies = [\"127.0.0.1\"]\n");
    let order = demo_order(&base, 1000, "CAD").await;
    let create = |xff: String| {
        let made = create_from(&base, &order, xff);
        async move { made.await.status().as_u16() }
    };
    // Behind a trusted proxy every shopper has their own quota...
    for shopper in 1..=4 {
        for _ in 0..2 {
            assert_eq!(create(format!("198.51.100.{shopper}")).await, 201);
        }
    }
    // ...and a shopper who forges a left-hand entry is still counted by the proxy's own entry.
    assert_eq!(create("9.9.9.9, 198.51.100.1".into()).await, 429);
}

#[tokio::test]
async fn a_foreign_return_url_is_refused() {
    let (_server, base) = binary("");
    let order = demo_order(&base, 1000, "CAD").await;
    let attempt = |url: String| {
        let (base, order) = (base.clone(), order.clone());
        async move {
            post(
                &format!("{base}/api/checkout/sessions"),
                &json!({ "order": order, "client_secret": secret_for(&base, &order), "wallet": "alipay", "flow": "qr", "return_url": url })
                    .to_string(),
                None,
            )
            .await
        }
    };
    for evil in [
        "https://evil.example/thanks",
        "http://127.0.0.1.evil.example/",
        "javascript:alert(1)",
    ] {
        let (status, body) = attempt(evil.into()).await;
        assert_error(status, &body, 400, "invalid_request");
    }
    let (status, body) = attempt(format!("{base}/shop/return")).await;
    assert_eq!(status, StatusCode::CREATED, "public_url's origin: {body}");
}

#[tokio::test]
async fn a_cross_site_form_cannot_cancel_a_session() {
    let (_server, base) = binary("");
    let order = demo_order(&base, 1000, "CAD").await;
    let (_, s) = create_session(&base, &order, None).await;
    let id = s["id"].as_str().expect("id");
    let url = format!("{base}/api/checkout/sessions/{id}/cancel");
    for (kind, body) in [
        ("application/x-www-form-urlencoded", "a=1"),
        ("text/plain", "{}"),
        ("multipart/form-data; boundary=x", "--x--"),
    ] {
        let res = reqwest::Client::new()
            .post(&url)
            .header("content-type", kind)
            .body(body)
            .send()
            .await
            .expect("answered");
        assert_eq!(res.status().as_u16(), 415, "{kind}");
    }
    let (_, still) = get(&format!("{base}/api/checkout/sessions/{id}")).await;
    assert_eq!(still["status"], "pending");
    let (status, done) = post(&url, "{}", None).await;
    assert_eq!(status, StatusCode::OK, "{done}");
    assert_eq!(done["status"], "cancelled");
}

#[tokio::test]
async fn connections_past_max_connections_get_429_and_are_closed() {
    let (_server, base) = binary("[limits]\nmax_connections = 3\n");
    let mut held = Vec::new();
    for _ in 0..3 {
        held.push(TcpStream::connect(addr(&base)).await.expect("connect"));
    }
    tokio::time::sleep(Duration::from_millis(200)).await;
    let mut extra = TcpStream::connect(addr(&base)).await.expect("connect");
    let got = read_until_closed(&mut extra, Duration::from_secs(5))
        .await
        .expect("answered and closed at once");
    let text = String::from_utf8_lossy(&got);
    assert!(
        text.starts_with("HTTP/1.1 429") && text.contains("retry-after: 1"),
        "{text}"
    );
    drop(held);
    tokio::time::sleep(Duration::from_millis(300)).await;
    let (status, _) = get(&format!("{base}/api/checkout/sessions/cs_none")).await;
    assert_eq!(status, StatusCode::NOT_FOUND, "room again once they left");
}

#[tokio::test]
async fn session_answers_are_never_cached() {
    let (_server, base) = binary("");
    let order = demo_order(&base, 1000, "CAD").await;
    let (_, s) = create_session(&base, &order, None).await;
    let id = s["id"].as_str().expect("id");
    for url in [
        format!("{base}/api/checkout/sessions/{id}"),
        format!("{base}/api/checkout/sessions/cs_missing"),
    ] {
        let res = reqwest::get(&url).await.expect("read");
        assert_eq!(
            res.headers()
                .get("cache-control")
                .and_then(|v| v.to_str().ok()),
            Some("no-store"),
            "{url}"
        );
    }
}

#[tokio::test]
async fn sigterm_ends_streams_with_a_comment_and_exits_cleanly() {
    let (mut server, base) = binary("");
    let order = demo_order(&base, 1000, "CAD").await;
    let (_, s) = create_session(&base, &order, None).await;
    let id = s["id"].as_str().expect("id");
    let (mut streams, codes) =
        open_streams(&base, &format!("/api/checkout/sessions/{id}/events"), 1).await;
    assert_eq!(codes, vec![200]);
    let pid = nix::unistd::Pid::from_raw(i32::try_from(server.0.id()).expect("pid"));
    nix::sys::signal::kill(pid, nix::sys::signal::Signal::SIGTERM).expect("SIGTERM sent");
    let got = read_until_closed(&mut streams[0], Duration::from_secs(15))
        .await
        .expect("the stream ended");
    assert!(
        String::from_utf8_lossy(&got).contains(": closing"),
        "a final comment: {:?}",
        String::from_utf8_lossy(&got)
    );
    let deadline = Instant::now() + Duration::from_secs(15);
    let status = loop {
        if let Some(s) = server.0.try_wait().expect("wait") {
            break s;
        }
        assert!(
            Instant::now() < deadline,
            "still running 15 s after SIGTERM"
        );
        tokio::time::sleep(Duration::from_millis(50)).await;
    };
    assert!(status.success(), "{status:?}");
    assert!(
        TcpStream::connect(addr(&base)).await.is_err(),
        "no longer accepting"
    );
}

/// A create for `order` with `secret` (none: the field left out) from 127.0.0.2, a second address:
/// the status and the body exactly as sent.
async fn stranger_creates(base: &str, order: &str, secret: Option<&str>) -> (u16, String) {
    let from = reqwest::Client::builder()
        .local_address(std::net::IpAddr::from([127, 0, 0, 2]))
        .build()
        .expect("client");
    let mut body = json!({ "order": order, "wallet": "alipay", "flow": "qr" });
    if let Some(s) = secret {
        body["client_secret"] = json!(s);
    }
    let res = from
        .post(format!("{base}/api/checkout/sessions"))
        .header("content-type", "application/json")
        .body(body.to_string())
        .send()
        .await
        .expect("answered");
    (res.status().as_u16(), res.text().await.expect("body"))
}

#[tokio::test]
async fn a_stranger_who_knows_a_reference_can_neither_pay_nor_disturb_the_order() {
    let d = demo_with(|o| o.admin(ADMIN_TOKEN)).await;
    let put = |reference: &'static str, value: u64| {
        let base = d.base.clone();
        async move {
            let (status, body) = admin(
                reqwest::Method::PUT,
                &format!("{base}/admin/orders/{reference}"),
                Some(json!({ "amount": { "value": value, "currency": "CAD" }, "description": "Tea" })),
            )
            .await;
            assert!(status.is_success(), "{body}");
            body["client_secret"].as_str().expect("secret").to_string()
        }
    };
    let mine = put("A1001", 1234).await;
    let other = put("A1002", 1234).await;
    put("A1003", 500).await;
    assert!(
        mine.len() >= 32
            && mine
                .bytes()
                .all(|b| b.is_ascii_alphanumeric() || b == b'_' || b == b'-'),
        "{mine}"
    );
    assert_ne!(mine, other, "a secret per order");
    let (status, shoppers) = create_session(&d.base, "A1001", None).await;
    assert_eq!(status, StatusCode::CREATED, "{shoppers}");
    let id = shoppers["id"].as_str().expect("id");
    let made = d.sandbox.payments().len();
    let (status, unknown) = stranger_creates(
        &d.base,
        "A9999",
        Some("sec_0123456789abcdefghijklmnopqrstuv"),
    )
    .await;
    assert_eq!(status, 404, "{unknown}");
    assert_eq!(
        serde_json::from_str::<Value>(&unknown).expect("json")["error"]["code"],
        "order_not_found"
    );
    let mut same_length_wrong = mine.clone().into_bytes();
    same_length_wrong[10] = if same_length_wrong[10] == b'a' {
        b'b'
    } else {
        b'a'
    };
    let same_length_wrong = String::from_utf8(same_length_wrong).expect("ascii");
    let longer = format!("{mine}0");
    let tries: [(&str, Option<&str>); 6] = [
        ("no secret", None),
        ("a wrong one", Some("sec_0123456789abcdefghijklmnopqrstuv")),
        ("one character off", Some(&same_length_wrong)),
        ("another order's", Some(&other)),
        ("one longer", Some(&longer)),
        (
            "one of bad characters",
            Some("not a secret at all, with spaces and ünïcode"),
        ),
    ];
    for (what, secret) in tries {
        for reference in ["A1001", "A1003"] {
            let (status, body) = stranger_creates(&d.base, reference, secret).await;
            assert_eq!(
                (status, body.as_str()),
                (404, unknown.as_str()),
                "{what} for {reference}: the unknown order's answer, byte for byte"
            );
        }
    }
    let (status, now) = get(&format!("{}/api/checkout/sessions/{id}", d.base)).await;
    assert_eq!(
        (status, now["status"].as_str()),
        (StatusCode::OK, Some("pending"))
    );
    assert_eq!(
        d.sandbox.payments().len(),
        made,
        "no gateway order made for them"
    );
    assert!(
        d.sandbox
            .payments()
            .iter()
            .all(|p| p.state == wallet_checkout_sandbox::ledger::PayState::Pending),
        "and none closed"
    );
    // The order they tried without a real session keeps a changeable amount.
    let (status, body) = admin(
        reqwest::Method::PUT,
        &format!("{}/admin/orders/A1003", d.base),
        Some(json!({ "amount": { "value": 700, "currency": "CAD" }, "description": "Tea" })),
    )
    .await;
    assert_eq!(status, StatusCode::OK, "{body}");
    assert_eq!(body["amount"]["value"], 700);
    // The order's holder still pays it.
    shopper(&d.base, &gateway_id(&shoppers), true).await;
    assert_eq!(
        wait_change(&d.base, id, "pending").await["status"],
        "succeeded"
    );
}

#[tokio::test]
async fn a_strangers_refused_creates_count_against_the_create_limit() {
    let (_server, base) = binary("[limits]\ncreates_per_minute_per_ip = 3\n");
    let order = demo_order(&base, 1000, "CAD").await;
    let mut answers = Vec::new();
    for _ in 0..4 {
        answers.push(
            stranger_creates(&base, &order, Some("sec_0123456789abcdefghijklmnopqrstuv"))
                .await
                .0,
        );
    }
    assert_eq!(answers, [404, 404, 404, 429]);
    let (status, s) = create_session(&base, &order, None).await;
    assert_eq!(
        status,
        StatusCode::CREATED,
        "another address is not limited: {s}"
    );
}

#[tokio::test]
async fn one_address_holding_its_share_of_connections_leaves_room_for_everyone_else() {
    let (_server, base) = binary("[limits]\nconnections_per_ip = 256\n");
    let order = demo_order(&base, 1000, "CAD").await;
    let (status, s) = create_session(&base, &order, None).await;
    assert_eq!(status, StatusCode::CREATED, "{s}");
    // 300 idle connections from 127.0.0.2: the first 256 are held, the rest answered 429 at once.
    let target: std::net::SocketAddr = addr(&base).parse().expect("addr");
    let mut held = Vec::new();
    for _ in 0..300 {
        let socket = tokio::net::TcpSocket::new_v4().expect("socket");
        socket
            .bind(std::net::SocketAddr::from(([127, 0, 0, 2], 0)))
            .expect("bind 127.0.0.2");
        held.push(socket.connect(target).await.expect("connect"));
    }
    let mut refused = 0;
    for stream in held.iter_mut().skip(256) {
        let got = read_until_closed(stream, Duration::from_secs(5))
            .await
            .unwrap_or_default();
        if String::from_utf8_lossy(&got).starts_with("HTTP/1.1 429") {
            refused += 1;
        }
    }
    assert_eq!(refused, 44, "every connection past 256 from that address");
    // Another address (the sandbox's notification, the shopper's reads) is served meanwhile.
    shopper(&base, &gateway_id(&s), true).await;
    let id = s["id"].as_str().expect("id");
    assert_eq!(
        wait_change(&base, id, "pending").await["status"],
        "succeeded",
        "the notification was acknowledged"
    );
    drop(held);
}
