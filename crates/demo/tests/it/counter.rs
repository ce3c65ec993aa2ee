//! At the counter (docs/protocol.md, "In-store payments"): the cashier's server sends the shopper's
//! payment code; each outcome the gateways give (paid at once, confirmed on the phone, declined,
//! never confirmed, lost answers), bad codes refused before any gateway call, one gateway order per
//! key, and the code in no answer, event or log line. Against the real AlphaPay and Pass2Pay
//! simulators over loopback HTTP.

use std::time::Duration;

use super::*;

/// A demo on `gateway` for every wallet, with the admin API and reconciliation.
async fn counter_on(gateway: &str) -> TestDemo {
    let gateway = gateway.to_string();
    demo_with(move |o| {
        o.route_all_to(&gateway);
        o.admin(ADMIN_TOKEN);
        o.gateway_timeout = Duration::from_secs(2);
    })
    .await
}

/// A code the sandbox issues for `wallet` that plays `outcome`.
async fn code(base: &str, wallet: &str, outcome: &str) -> (String, String) {
    let (status, body) = post(
        &format!("{base}/sandbox/payment_codes"),
        &json!({ "wallet": wallet, "outcome": outcome }).to_string(),
        None,
    )
    .await;
    assert_eq!(status, StatusCode::CREATED, "{body}");
    (
        body["code"].as_str().expect("code").to_string(),
        body["wallet_page"].as_str().expect("page").to_string(),
    )
}

/// `POST /api/checkout/sessions` with flow `payment_code` (the demo order's secret included).
async fn scan(
    base: &str,
    order: &str,
    code: &str,
    wallet: Option<&str>,
    key: &str,
) -> (StatusCode, Value) {
    let mut body = json!({ "order": order, "client_secret": secret_for(base, order),
                           "flow": "payment_code", "payment_code": code });
    if let Some(w) = wallet {
        body["wallet"] = json!(w);
    }
    post(
        &format!("{base}/api/checkout/sessions"),
        &body.to_string(),
        Some(key),
    )
    .await
}

async fn order_for(d: &TestDemo, gateway: &str) -> String {
    demo_order(&d.base, 1234, currency_for(gateway)).await
}

/// A code for `wallet` that plays `outcome`, scanned for a new order on `gateway` (its own key):
/// the create's answer, and the code's page on the customer's phone.
async fn scan_new(
    d: &TestDemo,
    gateway: &str,
    wallet: &str,
    outcome: &str,
) -> (StatusCode, Value, String) {
    let (c, page) = code(&d.base, wallet, outcome).await;
    let order = order_for(d, gateway).await;
    let (status, s) = scan(&d.base, &order, &c, None, &format!("k-{order}")).await;
    (status, s, page)
}

/// The sandbox's order with our session's id.
fn gateway_order(d: &TestDemo, session: &str) -> Option<wallet_checkout_sandbox::ledger::Payment> {
    d.sandbox
        .payments()
        .into_iter()
        .find(|p| p.merchant_ref == session)
}

/// Moves the clock on `secs` seconds, one at a time, letting reconciliation run between steps.
async fn pass(d: &TestDemo, secs: u64) {
    for _ in 0..secs {
        d.clock.advance(time::Duration::seconds(1));
        tokio::time::sleep(Duration::from_millis(60)).await;
    }
}

async fn settled(base: &str, id: &str) -> Value {
    wait_change(base, id, "pending").await
}

#[tokio::test]
async fn each_wallet_is_told_by_its_code_and_paid_at_once() {
    for gateway in ["alphapay", "pass2pay"] {
        let d = counter_on(gateway).await;
        for (wallet, given) in [
            ("alipay", None),
            ("wechat_pay", Some("wechat_pay")),
            ("unionpay", None),
        ] {
            let (c, _) = code(&d.base, wallet, "paid").await;
            let order = order_for(&d, gateway).await;
            let (status, s) = scan(&d.base, &order, &c, given, &format!("k-{order}")).await;
            assert_eq!(status, StatusCode::CREATED, "{gateway} {wallet}: {s}");
            assert_eq!(s["status"], "succeeded", "{gateway} {wallet}: {s}");
            assert_eq!(s["wallet"], wallet);
            assert_eq!(s["flow"], "payment_code");
            assert!(
                s.get("action").is_none() && s.get("failure").is_none(),
                "{s}"
            );
            let made = gateway_order(&d, s["id"].as_str().expect("id")).expect("an order");
            let expected = match gateway {
                "alphapay" => "OFFLINE",
                _ => ["ALI_BAR", "WX_BAR", "YSF_BAR"][["alipay", "wechat_pay", "unionpay"]
                    .iter()
                    .position(|w| *w == wallet)
                    .expect("wallet")],
            };
            assert_eq!(made.method, expected, "{gateway} {wallet}");
        }
    }
}

#[tokio::test]
async fn a_code_confirmed_on_the_phone_waits_then_succeeds() {
    for gateway in ["alphapay", "pass2pay"] {
        let d = counter_on(gateway).await;
        let (status, s, page) = scan_new(&d, gateway, "alipay", "confirm").await;
        assert_eq!(status, StatusCode::CREATED, "{s}");
        assert_eq!(s["status"], "pending", "{s}");
        assert_eq!(s["action"], json!({ "type": "wait" }), "{s}");
        // The phone's page now leads to that order's wallet page, where the shopper confirms.
        let res = reqwest::Client::builder()
            .redirect(reqwest::redirect::Policy::none())
            .build()
            .expect("client")
            .get(format!("{}{page}", d.base))
            .send()
            .await
            .expect("page");
        assert_eq!(res.status(), StatusCode::SEE_OTHER);
        let to = res.headers()["location"]
            .to_str()
            .expect("location")
            .to_string();
        shopper(&d.base, to.rsplit('/').next().expect("payment"), true).await;
        let done = settled(&d.base, s["id"].as_str().expect("id")).await;
        assert_eq!(done["status"], "succeeded", "{gateway}: {done}");
    }
}

#[tokio::test]
async fn a_declined_or_unknown_code_fails_with_its_reason() {
    for gateway in ["alphapay", "pass2pay"] {
        let d = counter_on(gateway).await;
        let (c, _) = code(&d.base, "wechat_pay", "declined").await;
        // A well-formed code the wallet never issued is refused by the gateway, not by us.
        for given in [c.as_str(), "134567890123456789"] {
            let order = order_for(&d, gateway).await;
            let (status, s) = scan(&d.base, &order, given, None, &format!("k-{order}")).await;
            assert_eq!(status, StatusCode::CREATED, "{gateway}: {s}");
            assert_eq!(s["status"], "failed", "{gateway}: {s}");
            assert_eq!(
                s["failure"],
                json!({ "code": "payment_code_declined" }),
                "{s}"
            );
            let (_, read) = get(&format!(
                "{}/api/checkout/sessions/{}",
                d.base,
                s["id"].as_str().expect("id")
            ))
            .await;
            assert_eq!(read["failure"]["code"], "payment_code_declined", "{read}");
        }
    }
}

#[tokio::test]
async fn a_code_never_confirmed_is_cancelled_at_the_gateway_when_the_wait_ends() {
    for gateway in ["alphapay", "pass2pay"] {
        let d = counter_on(gateway).await;
        let (_, s, _) = scan_new(&d, gateway, "unionpay", "never").await;
        let id = s["id"].as_str().expect("id").to_string();
        assert_eq!(s["status"], "pending", "{s}");
        let waited = parse(&s["expires_at"]) - parse(&s["created_at"]);
        assert_eq!(waited, time::Duration::seconds(60), "the default wait: {s}");
        pass(&d, 62).await;
        let done = settled(&d.base, &id).await;
        assert_eq!(done["status"], "expired", "{gateway}: {done}");
        let made = gateway_order(&d, &id).expect("order");
        assert_eq!(
            made.state,
            wallet_checkout_sandbox::ledger::PayState::Cancelled,
            "{gateway}: cancelled at the gateway"
        );
    }
}

fn parse(v: &Value) -> time::OffsetDateTime {
    time::OffsetDateTime::parse(
        v.as_str().expect("time"),
        &time::format_description::well_known::Rfc3339,
    )
    .expect("rfc3339")
}

#[tokio::test]
async fn with_notifications_lost_a_query_finds_it_and_a_payment_at_the_close_counts() {
    for gateway in ["alphapay", "pass2pay"] {
        let d = counter_on(gateway).await;
        let drop = json!({ "notifications": "drop" });
        d.sandbox
            .set_behaviour(None, serde_json::from_value(drop).expect("behaviour"));
        // Found by the queries the counter's sessions get every few seconds.
        let (_, s, _) = scan_new(&d, gateway, "alipay", "confirm").await;
        let id = s["id"].as_str().expect("id").to_string();
        let payment = gateway_order(&d, &id).expect("order").id;
        shopper(&d.base, &payment, true).await;
        pass(&d, 6).await;
        let done = settled(&d.base, &id).await;
        assert_eq!(
            done["status"], "succeeded",
            "{gateway}: found by a query: {done}"
        );

        // Paid, unheard, and the wait over before any query (the clock jumps past it at once):
        // the cancel at the wait's end finds it paid.
        let (_, s, _) = scan_new(&d, gateway, "alipay", "confirm").await;
        let id = s["id"].as_str().expect("id").to_string();
        let payment = gateway_order(&d, &id).expect("order").id;
        shopper(&d.base, &payment, true).await;
        d.clock.advance(time::Duration::seconds(61));
        let done = settled(&d.base, &id).await;
        assert_eq!(
            done["status"], "succeeded",
            "{gateway}: paid at the close: {done}"
        );
    }
}

#[tokio::test]
async fn bad_codes_and_the_flow_off_are_refused_before_any_gateway_call() {
    let d = counter_on("pass2pay").await;
    let order = order_for(&d, "pass2pay").await;
    let before = d.sandbox.payments().len();
    for bad in [
        "13456789012345678",                    // 17 digits, a WeChat Pay prefix
        "2808128203669665120123456",            // 25 digits
        "621234567890123456",                   // 62 with 18 digits
        "991234567890123456",                   // 99
        "28081282036696651a",                   // a letter
        "２８０８１２８２０３６６９６６５１２", // full-width digits
        "2808128203 66966512",                  // an inner space
        "",
    ] {
        let (status, s) = scan(&d.base, &order, bad, None, "k-bad").await;
        assert_error(status, &s, 400, "payment_code_invalid");
        assert!(
            !s.to_string().contains(bad) || bad.is_empty(),
            "the code is not echoed: {s}"
        );
    }
    let long = "1".repeat(300);
    let (status, s) = scan(&d.base, &order, &long, None, "k-bad").await;
    assert_error(status, &s, 400, "payment_code_invalid");
    // A wallet that disagrees with the code.
    let (status, s) = scan(
        &d.base,
        &order,
        "134567890123456789",
        Some("alipay"),
        "k-bad",
    )
    .await;
    assert_error(status, &s, 400, "payment_code_invalid");
    // No key: a retry could charge twice.
    let (status, s) = post(
        &format!("{}/api/checkout/sessions", d.base),
        &json!({ "order": order, "client_secret": secret_for(&d.base, &order),
                 "flow": "payment_code", "payment_code": "134567890123456789" })
        .to_string(),
        None,
    )
    .await;
    assert_error(status, &s, 400, "invalid_request");
    assert_eq!(
        d.sandbox.payments().len(),
        before,
        "no gateway order was made"
    );

    // YabandPay has no payment-code API; and a checkout with the flow off takes none.
    let y = counter_on("yabandpay").await;
    let order = order_for(&y, "yabandpay").await;
    let (status, s) = scan(&y.base, &order, "134567890123456789", None, "k-y").await;
    assert_error(status, &s, 422, "flow_unavailable");
    assert!(y.sandbox.payments().is_empty());
    let off = demo_with(|o| o.config.checkout = None).await;
    let order = demo_order(&off.base, 1234, "CAD").await;
    let (status, s) = scan(&off.base, &order, "134567890123456789", None, "k-off").await;
    assert_error(status, &s, 422, "flow_unavailable");
    assert!(off.sandbox.payments().is_empty());
}

#[tokio::test]
async fn one_key_sent_twice_makes_one_gateway_order() {
    let d = counter_on("alphapay").await;
    let (c, _) = code(&d.base, "alipay", "confirm").await;
    let order = order_for(&d, "alphapay").await;
    let (a, b) = tokio::join!(
        scan(&d.base, &order, &c, None, "k-twice"),
        scan(&d.base, &order, &c, None, "k-twice")
    );
    let (c2, s2) = scan(&d.base, &order, &c, None, "k-twice").await;
    assert_eq!(a.1["id"], b.1["id"], "{a:?} {b:?}");
    assert_eq!(s2["id"], a.1["id"]);
    assert_eq!(c2, StatusCode::OK, "a replay");
    let orders = d
        .sandbox
        .payments()
        .into_iter()
        .filter(|p| p.merchant_ref == a.1["id"].as_str().unwrap_or_default())
        .count();
    assert_eq!(orders, 1);
    assert_eq!(d.sandbox.payments().len(), 1, "one gateway order in all");
}

#[tokio::test]
async fn a_lost_create_answer_is_asked_about_and_never_charged_twice() {
    let d = counter_on("pass2pay").await;
    let lost = json!({ "api": "lost_create" });
    d.sandbox.set_behaviour(
        Some(wallet_checkout_sandbox::ledger::Gateway::Pass2Pay),
        serde_json::from_value(lost).expect("behaviour"),
    );
    let (c, _) = code(&d.base, "wechat_pay", "paid").await;
    let order = order_for(&d, "pass2pay").await;
    let (status, s) = scan(&d.base, &order, &c, None, "k-lost").await;
    assert_eq!(status, StatusCode::CREATED, "{s}");
    assert_eq!(s["status"], "pending", "kept waiting, not failed: {s}");
    assert_eq!(s["action"], json!({ "type": "wait" }));
    let id = s["id"].as_str().expect("id").to_string();
    d.sandbox.set_behaviour(None, Default::default());
    // The cashier's retry gets the same session; the gateway holds one order, paid.
    let (again, same) = scan(&d.base, &order, &c, None, "k-lost").await;
    assert_eq!((again, &same["id"]), (StatusCode::OK, &s["id"]));
    pass(&d, 6).await;
    let done = settled(&d.base, &id).await;
    assert_eq!(done["status"], "succeeded", "found by a query: {done}");
    assert_eq!(d.sandbox.payments().len(), 1);
}

#[tokio::test]
async fn an_in_store_qr_is_alphapays_offline_qrcode() {
    let d = counter_on("alphapay").await;
    let order = order_for(&d, "alphapay").await;
    let (status, s) = post(
        &format!("{}/api/checkout/sessions", d.base),
        &json!({ "order": order, "client_secret": secret_for(&d.base, &order),
                 "wallet": "wechat_pay", "flow": "qr", "in_store": true })
        .to_string(),
        Some("k-qr"),
    )
    .await;
    assert_eq!(status, StatusCode::CREATED, "{s}");
    assert!(s["action"]["content"].is_string(), "{s}");
    let made = gateway_order(&d, s["id"].as_str().expect("id")).expect("order");
    assert_eq!(made.method, "OFFLINE_QRCODE");
    shopper(&d.base, &made.id, true).await;
    assert_eq!(
        settled(&d.base, s["id"].as_str().expect("id")).await["status"],
        "succeeded"
    );
}

#[tokio::test]
async fn the_code_is_in_no_answer_event_or_log_line() {
    let config = config_file(
        "127.0.0.1:0",
        "http://127.0.0.1:0",
        "[routing]\nalipay = \"alphapay\"\nwechat_pay = \"pass2pay\"\n\
         [admin]\ntoken_env = \"WC_COUNTER_ADMIN\"\n[checkout]\npayment_code = true\n",
    );
    let dir = config.parent().expect("its folder").to_path_buf();
    let s = start_demo_binary(
        &[
            std::ffi::OsStr::new("--config"),
            config.as_os_str(),
            std::ffi::OsStr::new("--sandbox"),
            std::ffi::OsStr::new("--orders"),
        ],
        &[("WC_COUNTER_ADMIN", ADMIN_TOKEN), ("RUST_LOG", "trace")],
    );
    let base = s.base.clone();
    let mut codes = Vec::new();
    let mut answers = Vec::new();
    for (wallet, outcome) in [
        ("alipay", "paid"),
        ("alipay", "declined"),
        ("wechat_pay", "paid"),
        ("wechat_pay", "declined"),
        ("wechat_pay", "confirm"),
    ] {
        let (c, _) = code(&base, wallet, outcome).await;
        let order = demo_order(&base, 1234, if wallet == "alipay" { "CAD" } else { "CNY" }).await;
        let (_, answer) = scan(&base, &order, &c, None, &format!("k-{order}")).await;
        answers.push(answer.to_string());
        codes.push(c);
    }
    let order = demo_order(&base, 1234, "CAD").await;
    let (_, answer) = scan(&base, &order, "991234567890123456", None, "k-bad").await;
    answers.push(answer.to_string());
    codes.push("991234567890123456".into());
    let (_, events) = admin(
        reqwest::Method::GET,
        &format!("{base}/admin/events?limit=100"),
        None,
    )
    .await;
    tokio::time::sleep(Duration::from_millis(500)).await;
    let log = s.stderr.lock().map(|l| l.clone()).unwrap_or_default();
    assert!(
        log.contains("session created"),
        "the log is there to search: {log}"
    );
    for c in &codes {
        assert!(!log.contains(c.as_str()), "the log has the code {c}");
        assert!(
            !events.to_string().contains(c.as_str()),
            "an event has the code {c}"
        );
        for a in &answers {
            assert!(!a.contains(c.as_str()), "an answer has the code {c}: {a}");
        }
    }
    for file in ["checkout.db", "checkout.db-wal"] {
        let db = std::fs::read(dir.join(file)).unwrap_or_default();
        for c in &codes {
            assert!(
                !db.windows(c.len()).any(|w| w == c.as_bytes()),
                "{file} has the code {c}"
            );
        }
    }
}

#[tokio::test]
async fn an_answer_of_unknown_outcome_is_asked_about_never_taken_as_failed() {
    let d = counter_on("alphapay").await;
    // AlphaPay answers `U` (the order made, its state unsaid): the session waits and is asked about.
    let forced = json!({ "gateway": "alphapay", "next": { "create": "U:SYSTEMERROR" } });
    let (status, _) = post(
        &format!("{}/sandbox/control", d.base),
        &forced.to_string(),
        None,
    )
    .await;
    assert_eq!(status, StatusCode::OK);
    let (c, _) = code(&d.base, "alipay", "confirm").await;
    let order = order_for(&d, "alphapay").await;
    let (status, s) = scan(&d.base, &order, &c, None, "k-unknown").await;
    assert_eq!(status, StatusCode::CREATED, "{s}");
    assert_eq!(s["status"], "pending", "{s}");
    assert_eq!(s["action"], json!({ "type": "wait" }));
    let id = s["id"].as_str().expect("id").to_string();
    let payment = gateway_order(&d, &id).expect("the order was made").id;
    shopper(&d.base, &payment, true).await;
    pass(&d, 6).await;
    assert_eq!(settled(&d.base, &id).await["status"], "succeeded");
}
