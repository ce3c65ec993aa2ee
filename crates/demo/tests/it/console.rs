//! The operator's console over real HTTP: sign-in (wrong tokens refused, counted and slowed after
//! five a minute; forged and expired cookies), every POST's `Origin` and CSRF token, the payments
//! search (SQL and LIKE wildcards found literally), an order's page (hostile text shown as text), a
//! refund (too much, not paid, a double submit), "Retry now", the CSV export, `GET /metrics` parsed
//! as Prometheus text, and `[log] format = "json"`.

use std::sync::atomic::{AtomicU16, Ordering};
use std::sync::Arc;

use serde_json::json;

use super::*;

const SECRET: &str = "whsec_MfKQ9r8GKYqrTwjUPD8ILPZIo2LaLaSw1HUwUGmGK/s=";
const HOSTILE: &str = "<script>alert(1)</script><img src=x onerror=alert(2)>";

/// A browser-like client: no redirects followed, cookies kept by hand.
fn client() -> reqwest::Client {
    reqwest::Client::builder()
        .redirect(reqwest::redirect::Policy::none())
        .build()
        .expect("client")
}

struct Console {
    cookie: String,
    csrf: String,
}

fn origin(base: &str) -> String {
    base.to_string()
}

async fn post_form(
    base: &str,
    path: &str,
    cookie: Option<&str>,
    origin: Option<&str>,
    form: &[(&str, &str)],
) -> reqwest::Response {
    let mut req = client()
        .post(format!("{base}{path}"))
        .header("content-type", "application/x-www-form-urlencoded")
        .body(serde_urlencoded::to_string(form).expect("form"));
    if let Some(c) = cookie {
        req = req.header("cookie", c);
    }
    if let Some(o) = origin {
        req = req.header("origin", o);
    }
    req.send().await.expect("sent")
}

async fn page(base: &str, path: &str, cookie: Option<&str>, lang: &str) -> (StatusCode, String) {
    let mut req = client()
        .get(format!("{base}{path}"))
        .header("accept-language", lang);
    if let Some(c) = cookie {
        req = req.header("cookie", c);
    }
    let res = req.send().await.expect("sent");
    let status = res.status();
    if status.is_success() || status.is_client_error() {
        let csp = res
            .headers()
            .get("content-security-policy")
            .and_then(|v| v.to_str().ok())
            .unwrap_or_default()
            .to_string();
        assert!(
            csp.contains("default-src 'self'") && csp.contains("frame-ancestors 'none'"),
            "{path}: {csp}"
        );
    }
    (status, res.text().await.unwrap_or_default())
}

/// Signs in and reads the CSRF token from the payments page's sign-out form.
async fn sign_in(base: &str) -> Console {
    let res = post_form(
        base,
        "/console/sign-in",
        None,
        Some(&origin(base)),
        &[("token", ADMIN_TOKEN)],
    )
    .await;
    assert_eq!(res.status(), StatusCode::SEE_OTHER);
    let set = res
        .headers()
        .get("set-cookie")
        .and_then(|v| v.to_str().ok())
        .expect("a cookie")
        .to_string();
    for part in [
        "HttpOnly",
        "SameSite=Strict",
        "Path=/console/",
        "Max-Age=43200",
    ] {
        assert!(set.contains(part), "{set}");
    }
    assert!(!set.contains("Secure"), "plain-http loopback: {set}");
    assert!(!set.contains(ADMIN_TOKEN), "the token never in the cookie");
    let cookie = set.split(';').next().expect("pair").to_string();
    let (status, html) = page(base, "/console/", Some(&cookie), "en").await;
    assert_eq!(status, StatusCode::OK);
    assert!(html.contains("<h1>Payments</h1>"), "{html}");
    let csrf = html
        .split("name=\"csrf\" value=\"")
        .nth(1)
        .and_then(|s| s.split('"').next())
        .expect("the CSRF token in the sign-out form")
        .to_string();
    Console { cookie, csrf }
}

/// An order the shop PUT, with hostile text, paid through the sandbox: its session id.
async fn paid_order(base: &str, reference: &str) -> String {
    let order = json!({ "amount": { "value": 1234, "currency": "CAD" }, "description": HOSTILE,
        "metadata": { "note": HOSTILE } });
    let (status, body) = admin(
        reqwest::Method::PUT,
        &format!("{base}/admin/orders/{reference}"),
        Some(order),
    )
    .await;
    assert_eq!(status, StatusCode::CREATED, "{body}");
    let (status, s) = create_session(base, reference, None).await;
    assert_eq!(status, StatusCode::CREATED, "{s}");
    shopper(base, &gateway_id(&s), true).await;
    let id = s["id"].as_str().expect("id").to_string();
    assert_eq!(
        wait_change(base, &id, "pending").await["status"],
        "succeeded"
    );
    id
}

async fn refunds_of(base: &str, id: &str) -> Vec<Value> {
    let (status, list) = admin(
        reqwest::Method::GET,
        &format!("{base}/admin/sessions/{id}/refunds"),
        None,
    )
    .await;
    assert_eq!(status, StatusCode::OK);
    list.as_array().cloned().unwrap_or_default()
}

#[tokio::test]
async fn staff_find_a_payment_see_its_order_as_text_and_refund_it_once() {
    let d = demo_with(|o| o.admin(ADMIN_TOKEN)).await;
    let base = d.base.clone();
    let id = paid_order(&base, "C-1001").await;

    // Signed out: the sign-in page, whatever was asked; a POST is refused.
    let (status, html) = page(&base, "/console/", None, "en").await;
    assert_eq!(status, StatusCode::OK);
    assert!(html.contains("Admin token") && html.contains("type=\"password\""));
    let res = client()
        .get(format!("{base}/console/orders/C-1001"))
        .send()
        .await
        .expect("sent");
    assert_eq!(res.status(), StatusCode::SEE_OTHER);
    let c = sign_in(&base).await;

    // Search: exact reference, session id, status; wildcards and SQL found literally; past the end.
    for (query, found) in [
        ("?q=C-1001", true),
        (&format!("?q={id}") as &str, true),
        ("?q=C-1001&status=succeeded", true),
        ("?q=C-1001&status=failed", false),
        ("?q=C-100%25", false),
        ("?q=C-100_", false),
        ("?q=%25", false),
        ("?q=%27%20OR%20%271%27%3D%271", false),
        ("?before_at=2000-01-01T00:00:00Z&before_id=cs_0", false),
    ] {
        let (status, html) = page(&base, &format!("/console/{query}"), Some(&c.cookie), "en").await;
        assert_eq!(status, StatusCode::OK, "{query}");
        assert_eq!(
            html.contains("href=\"/console/orders/C-1001\""),
            found,
            "{query}: {html}"
        );
        assert_eq!(html.contains("No payments match."), !found, "{query}");
    }

    // The order: hostile text escaped, never markup.
    let (status, html) = page(&base, "/console/orders/C-1001", Some(&c.cookie), "en").await;
    assert_eq!(status, StatusCode::OK);
    assert!(
        !html.contains("<script") && !html.contains("<img"),
        "{html}"
    );
    assert!(html.contains("&lt;script&gt;alert(1)&lt;/script&gt;"));
    assert!(html.contains("session.succeeded"), "the timeline");
    assert!(
        html.contains("name=\"amount\"") && html.contains("value=\"12.34\""),
        "default: all that is left"
    );
    let key = html
        .split("name=\"key\" value=\"")
        .nth(1)
        .and_then(|s| s.split('"').next())
        .expect("the form's idempotency key")
        .to_string();
    let path = format!("/console/sessions/{id}/refunds");

    // Refused before anything is written: no CSRF token, another's, another origin, no origin.
    let own = origin(&base);
    for (csrf, from) in [
        ("", Some(own.as_str())),
        ("forged", Some(own.as_str())),
        (c.csrf.as_str(), Some("http://evil.example")),
        (c.csrf.as_str(), None),
    ] {
        let res = post_form(
            &base,
            &path,
            Some(&c.cookie),
            from,
            &[
                ("csrf", csrf),
                ("key", &key),
                ("amount", "1.00"),
                ("reason", "x"),
            ],
        )
        .await;
        assert_eq!(res.status(), StatusCode::FORBIDDEN, "{csrf} {from:?}");
    }
    assert!(refunds_of(&base, &id).await.is_empty(), "nothing written");

    // Too much, and not a number: the page says why; nothing written.
    for (amount, status, says) in [
        (
            "20.00",
            StatusCode::BAD_REQUEST,
            "at most what is left to refund",
        ),
        ("1.234", StatusCode::BAD_REQUEST, "not a valid decimal"),
        ("-1", StatusCode::BAD_REQUEST, "not a valid decimal"),
    ] {
        let res = post_form(
            &base,
            &path,
            Some(&c.cookie),
            Some(&own),
            &[
                ("csrf", &c.csrf),
                ("key", &key),
                ("amount", amount),
                ("reason", ""),
            ],
        )
        .await;
        assert_eq!(res.status(), status, "{amount}");
        let html = res.text().await.expect("page");
        assert!(html.contains(says), "{amount}: {html}");
    }
    assert!(refunds_of(&base, &id).await.is_empty(), "nothing written");

    // Half, submitted twice with the page's key: one refund.
    for _ in 0..2 {
        let res = post_form(
            &base,
            &path,
            Some(&c.cookie),
            Some(&own),
            &[
                ("csrf", &c.csrf),
                ("key", &key),
                ("amount", "6.17"),
                ("reason", HOSTILE),
            ],
        )
        .await;
        assert_eq!(res.status(), StatusCode::SEE_OTHER);
    }
    let refunds = refunds_of(&base, &id).await;
    assert_eq!(refunds.len(), 1, "{refunds:?}");
    assert_eq!(refunds[0]["amount"]["value"], 617);
    let (_, html) = page(
        &base,
        "/console/orders/C-1001?refunded=1",
        Some(&c.cookie),
        "en",
    )
    .await;
    assert!(
        html.contains("Refund recorded.") && html.contains("value=\"6.17\""),
        "what is left"
    );
    assert!(!html.contains("<script"));

    // A session not paid: no form, and a POST says why.
    let (status, _) = admin(
        reqwest::Method::PUT,
        &format!("{base}/admin/orders/C-1002"),
        Some(json!({ "amount": { "value": 500, "currency": "CAD" }, "description": "Tea" })),
    )
    .await;
    assert_eq!(status, StatusCode::CREATED);
    let (_, pending) = create_session(&base, "C-1002", None).await;
    let pending_id = pending["id"].as_str().expect("id");
    let res = post_form(
        &base,
        &format!("/console/sessions/{pending_id}/refunds"),
        Some(&c.cookie),
        Some(&own),
        &[
            ("csrf", &c.csrf),
            ("key", "k2-console-test"),
            ("amount", "1.00"),
        ],
    )
    .await;
    assert_eq!(res.status(), StatusCode::CONFLICT);
    assert!(refunds_of(&base, pending_id).await.is_empty());

    // Chinese: the same page in zh-CN, amounts and times for it.
    let (_, html) = page(&base, "/console/", Some(&c.cookie), "zh-CN,zh;q=0.9").await;
    assert!(
        html.contains("lang=\"zh-CN\"") && html.contains("支付") && html.contains("12.34 加元")
    );

    // The export: the contract's header, one row per session of the range.
    let today = d.clock.now().date();
    let res = client()
        .get(format!("{base}/console/export.csv?from={today}&to={today}"))
        .header("cookie", &c.cookie)
        .send()
        .await
        .expect("sent");
    assert_eq!(res.status(), StatusCode::OK);
    assert!(res
        .headers()
        .get("content-type")
        .and_then(|v| v.to_str().ok())
        .is_some_and(|t| t.starts_with("text/csv")));
    let csv = res.text().await.expect("csv");
    let mut lines = csv.lines();
    assert_eq!(
        lines.next(),
        Some("order,session,amount,currency,wallet,gateway,status,created_at,paid_at,refunded")
    );
    let row = lines
        .clone()
        .find(|l| l.contains(&id))
        .expect("the paid session's row");
    let cells: Vec<&str> = row.split(',').collect();
    assert_eq!(
        &cells[..7],
        [
            "C-1001",
            id.as_str(),
            "1234",
            "CAD",
            "alipay",
            "alphapay",
            "succeeded"
        ]
    );
    assert!(cells[8].starts_with(&today.to_string()), "paid_at: {row}");
    assert_eq!(lines.filter(|l| l.starts_with("C-10")).count(), 2, "{csv}");
    let res = client()
        .get(format!(
            "{base}/console/export.csv?from=2026-12-07&to=2026-12-01"
        ))
        .header("cookie", &c.cookie)
        .send()
        .await
        .expect("sent");
    assert_eq!(res.status(), StatusCode::BAD_REQUEST);

    // A forged cookie and one 13 hours old: signed out.
    let forged = format!("{}x", c.cookie);
    let (_, html) = page(&base, "/console/", Some(&forged), "en").await;
    assert!(html.contains("Admin token"), "forged: signed out");
    d.clock.advance(time::Duration::hours(13));
    let (_, html) = page(&base, "/console/", Some(&c.cookie), "en").await;
    assert!(html.contains("Admin token"), "expired: signed out");
}

#[tokio::test]
async fn wrong_tokens_are_refused_counted_and_slowed_after_five_a_minute() {
    let d = demo_with(|o| o.admin(ADMIN_TOKEN)).await;
    let before = metric(
        &d.base,
        "wallet_checkout_console_sign_in_failures_total",
        &[],
    )
    .await;
    let own = origin(&d.base);
    for _ in 0..5 {
        let res = post_form(
            &d.base,
            "/console/sign-in",
            None,
            Some(&own),
            &[("token", "wrong-token")],
        )
        .await;
        assert_eq!(res.status(), StatusCode::UNAUTHORIZED);
        assert!(res.headers().get("set-cookie").is_none());
        assert!(res
            .text()
            .await
            .expect("page")
            .contains("not the admin token"));
    }
    // The sixth try within the minute, even with the right token, waits.
    let res = post_form(
        &d.base,
        "/console/sign-in",
        None,
        Some(&own),
        &[("token", ADMIN_TOKEN)],
    )
    .await;
    assert_eq!(res.status(), StatusCode::TOO_MANY_REQUESTS);
    assert_eq!(
        res.headers()
            .get("retry-after")
            .and_then(|v| v.to_str().ok()),
        Some("60")
    );
    assert!(res.headers().get("set-cookie").is_none());
    let after = metric(
        &d.base,
        "wallet_checkout_console_sign_in_failures_total",
        &[],
    )
    .await;
    assert!(after >= before + 6.0, "{before} → {after}");
    // A sign-in from another site is refused before the token is read.
    let res = post_form(
        &d.base,
        "/console/sign-in",
        None,
        Some("http://evil.example"),
        &[("token", ADMIN_TOKEN)],
    )
    .await;
    assert_eq!(res.status(), StatusCode::FORBIDDEN);
    // The JSON admin API still refuses a browser.
    let res = client()
        .get(format!("{}/admin/events", d.base))
        .header("authorization", format!("Bearer {ADMIN_TOKEN}"))
        .header("origin", &own)
        .send()
        .await
        .expect("sent");
    assert_eq!(res.status(), StatusCode::FORBIDDEN);
}

/// `GET /metrics` (with the admin token), parsed by a Prometheus text-format parser: the sample
/// named `name` with `labels`, summed (0 when absent).
async fn metric(base: &str, name: &str, labels: &[(&str, &str)]) -> f64 {
    let res = reqwest::Client::new()
        .get(format!("{base}/metrics"))
        .header("authorization", format!("Bearer {ADMIN_TOKEN}"))
        .send()
        .await
        .expect("sent");
    assert_eq!(res.status(), StatusCode::OK);
    let text = res.text().await.expect("text");
    let lines = text.lines().map(|l| Ok(l.to_string()));
    let scrape = prometheus_parse::Scrape::parse(lines).expect("Prometheus text format");
    scrape
        .samples
        .iter()
        .filter(|s| s.metric == name)
        .filter(|s| labels.iter().all(|(k, v)| s.labels.get(k) == Some(*v)))
        .map(|s| match &s.value {
            prometheus_parse::Value::Counter(v)
            | prometheus_parse::Value::Gauge(v)
            | prometheus_parse::Value::Untyped(v) => *v,
            prometheus_parse::Value::Histogram(h) => h.iter().map(|b| b.count).fold(0.0, f64::max),
            prometheus_parse::Value::Summary(_) => 0.0,
        })
        .sum()
}

/// The figures a payment, a refund and a refused webhook move (Alipay through AlphaPay).
async fn moved(base: &str) -> [f64; 5] {
    let created = [
        ("wallet", "alipay"),
        ("gateway", "alphapay"),
        ("flow", "qr"),
    ];
    let ended = [
        ("wallet", "alipay"),
        ("gateway", "alphapay"),
        ("status", "succeeded"),
    ];
    let call = [("gateway", "alphapay"), ("operation", "create")];
    let accepted = [("gateway", "alphapay"), ("outcome", "accepted")];
    [
        metric(base, "wallet_checkout_sessions_created_total", &created).await,
        metric(base, "wallet_checkout_sessions_ended_total", &ended).await,
        metric(
            base,
            "wallet_checkout_gateway_request_duration_seconds_count",
            &call,
        )
        .await,
        metric(base, "wallet_checkout_notifications_total", &accepted).await,
        metric(
            base,
            "wallet_checkout_webhook_deliveries_total",
            &[("outcome", "retrying")],
        )
        .await,
    ]
}

#[tokio::test]
async fn metrics_move_with_a_payment_a_refund_and_a_webhook_and_retry_now_resends() {
    // The shop's backend: 500 until told otherwise, then 204.
    let answer = Arc::new(AtomicU16::new(500));
    let told = answer.clone();
    let hook =
        serve(axum::Router::new().route(
            "/hook",
            axum::routing::post(move || {
                let told = told.clone();
                async move {
                    StatusCode::from_u16(told.load(Ordering::SeqCst)).unwrap_or(StatusCode::OK)
                }
            }),
        ))
        .await;
    let d = demo_with(|o| {
        o.admin(ADMIN_TOKEN);
        o.webhooks(&format!("{hook}/hook"), SECRET, &[3600]);
    })
    .await;
    let base = d.base.clone();
    let before = moved(&base).await;
    let id = paid_order(&base, "M-1").await;
    let (status, _) = admin(
        reqwest::Method::POST,
        &format!("{base}/admin/sessions/{id}/refunds"),
        Some(json!({ "amount": 100 })),
    )
    .await;
    assert_eq!(status, StatusCode::CREATED);
    // The shop answered 500: the event waits for its next attempt, its status kept.
    let c = sign_in(&base).await;
    let mut html = String::new();
    for _ in 0..100 {
        html = page(&base, "/console/webhooks", Some(&c.cookie), "en")
            .await
            .1;
        if html.contains(">500<") {
            break;
        }
        tokio::time::sleep(std::time::Duration::from_millis(100)).await;
    }
    assert!(
        html.contains("session.succeeded") && html.contains(">500<"),
        "{html}"
    );
    assert!(html.contains("Retry now") && html.contains("pending"));
    let after = moved(&base).await;
    for (i, (b, a)) in before.iter().zip(after.iter()).enumerate() {
        assert!(a > b, "metric {i} moved: {b} → {a}");
    }
    assert!(
        metric(
            &base,
            "wallet_checkout_webhook_oldest_undelivered_age_seconds",
            &[]
        )
        .await
            >= 0.0
    );
    let refund_call = [("gateway", "alphapay"), ("operation", "refund")];
    assert!(
        metric(
            &base,
            "wallet_checkout_gateway_request_duration_seconds_count",
            &refund_call
        )
        .await
            >= 1.0
    );

    // "Retry now" on the first event (the payment's): sent again at once with its webhook-id; now 204.
    answer.store(204, Ordering::SeqCst);
    let event = html
        .split("action=\"/console/webhooks/")
        .nth(1)
        .and_then(|s| s.split('/').next())
        .expect("a retry form")
        .to_string();
    let res = post_form(
        &base,
        &format!("/console/webhooks/{event}/retry"),
        Some(&c.cookie),
        None,
        &[("csrf", &c.csrf)],
    )
    .await;
    assert_eq!(res.status(), StatusCode::FORBIDDEN, "no Origin: refused");
    let res = post_form(
        &base,
        &format!("/console/webhooks/{event}/retry"),
        Some(&c.cookie),
        Some(&origin(&base)),
        &[("csrf", &c.csrf)],
    )
    .await;
    assert_eq!(res.status(), StatusCode::SEE_OTHER);
    let mut delivered = false;
    for _ in 0..100 {
        let (status, page) = admin(
            reqwest::Method::GET,
            &format!("{base}/admin/events?limit=100"),
            None,
        )
        .await;
        assert_eq!(status, StatusCode::OK);
        delivered = page["events"]
            .as_array()
            .into_iter()
            .flatten()
            .any(|e| e["id"] == event.as_str() && e["delivered"] == true);
        if delivered {
            break;
        }
        tokio::time::sleep(std::time::Duration::from_millis(100)).await;
    }
    assert!(delivered, "retried at once, not after the hour's wait");
    let (_, html) = page(&base, "/console/webhooks", Some(&c.cookie), "en").await;
    assert!(html.contains(">204<"), "the last answer's status");
    // Without the token, no metrics.
    let res = reqwest::Client::new()
        .get(format!("{base}/metrics"))
        .send()
        .await
        .expect("sent");
    assert_eq!(res.status(), StatusCode::UNAUTHORIZED);
}

#[tokio::test]
async fn json_logs_are_one_object_per_line_with_the_fields_a_pipeline_indexes() {
    let config = config_file(
        "127.0.0.1:0",
        "http://127.0.0.1:0",
        "[log]\nformat = \"json\"\n[demo]\nsandbox = true\n",
    );
    let started = start_demo_binary(
        &[std::ffi::OsStr::new("--config"), config.as_os_str()],
        &[("RUST_LOG", "info")],
    );
    let (status, s) = create_session(&started.base, "nonexistent-order", None).await;
    assert_eq!(status, StatusCode::NOT_FOUND, "{s}");
    let mut lines = Vec::new();
    for _ in 0..50 {
        lines = started
            .stderr
            .lock()
            .map(|s| s.lines().map(str::to_string).collect())
            .unwrap_or_default();
        if !lines.is_empty() {
            break;
        }
        tokio::time::sleep(std::time::Duration::from_millis(100)).await;
    }
    assert!(!lines.is_empty(), "something was logged");
    for line in &lines {
        let v: Value = serde_json::from_str(line).unwrap_or_else(|e| panic!("{e}: {line}"));
        for field in ["timestamp", "level", "target"] {
            assert!(v.get(field).is_some(), "{field} in {line}");
        }
    }
}

#[tokio::test]
async fn a_ten_year_export_streams_every_session_without_building_the_file() {
    let d = demo_with(|o| o.admin(ADMIN_TOKEN)).await;
    // 1 300 sessions over ten years, written straight into the store (three export pages and some).
    let first = time::macros::datetime!(2016-12-10 00:00 UTC);
    for i in 0..1300u32 {
        let mut r =
            wallet_checkout_server::store::conformance::sample_record(&format!("T{i:05}"), 0, None);
        r.session.created_at = wallet_checkout_server::core::clock::rfc3339(
            first + time::Duration::hours(i64::from(i) * 67),
        );
        d.store
            .insert(r, wallet_checkout_server::checkout::Writer::for_tests())
            .await
            .expect("inserted");
    }
    let c = sign_in(&d.base).await;
    let res = client()
        .get(format!(
            "{}/console/export.csv?from=2016-12-06&to=2026-12-06",
            d.base
        ))
        .header("cookie", &c.cookie)
        .send()
        .await
        .expect("sent");
    assert_eq!(res.status(), StatusCode::OK);
    // Streamed as it is read from the store: no length known in advance, so never built whole.
    assert!(res.headers().get("content-length").is_none());
    assert_eq!(
        res.headers()
            .get("transfer-encoding")
            .and_then(|v| v.to_str().ok()),
        Some("chunked")
    );
    let csv = res.text().await.expect("csv");
    let rows: Vec<&str> = csv.lines().skip(1).collect();
    assert_eq!(rows.len(), 1300, "every session once, across the pages");
    let refs: std::collections::HashSet<&str> =
        rows.iter().filter_map(|l| l.split(',').next()).collect();
    assert_eq!(refs.len(), 1300, "no row repeated at a page's edge");
    assert!(rows[0].starts_with("T01299,"), "newest first: {}", rows[0]);
}
