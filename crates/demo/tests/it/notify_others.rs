//! Pass2Pay and YabandPay notifications: signed by the sandbox's own signer, sent over HTTP.
//! Bad signature, tampered amount with a valid signature, unknown order, stale time, replay,
//! duplicate and reordered notifications are refused or harmless; all three YabandPay transports work.

use std::collections::BTreeMap;

use super::*;

async fn form(url: &str, fields: &BTreeMap<String, String>) -> (u16, String) {
    let body = serde_urlencoded::to_string(fields).expect("form");
    raw(url, "application/x-www-form-urlencoded", body).await
}

async fn raw(url: &str, content_type: &str, body: String) -> (u16, String) {
    let res = reqwest::Client::new()
        .post(url)
        .header("content-type", content_type)
        .body(body)
        .send()
        .await
        .expect("sent");
    (res.status().as_u16(), res.text().await.unwrap_or_default())
}

async fn pending_session(
    d: &TestDemo,
    gateway: &str,
) -> (String, wallet_checkout_sandbox::ledger::Payment) {
    let order = demo_order(&d.base, 1234, currency_for(gateway)).await;
    let (_, s) = create_for(&d.base, &order, "alipay", "qr", None).await;
    let p = d.sandbox.payment(&gateway_id(&s)).expect("sandbox order");
    (s["id"].as_str().expect("id").to_string(), p)
}

async fn status_of(d: &TestDemo, id: &str) -> String {
    let (_, s) = get(&format!("{}/api/checkout/sessions/{id}", d.base)).await;
    s["status"].as_str().unwrap_or_default().to_string()
}

#[tokio::test]
async fn pass2pay_notifications_are_checked_before_they_count() {
    let d = demo_with(|o| {
        o.route_all_to("pass2pay");
        o.reconcile = None;
    })
    .await;
    let sim = d.sandbox.pass2pay().expect("pass2pay");
    let url = format!("{}/notify/pass2pay", d.base);
    let (id, p) = pending_session(&d, "pass2pay").await;
    let now_ms = (d.clock.now().unix_timestamp_nanos() / 1_000_000).to_string();
    let fields = |state: &str, amount: &str, order: &str, req_time: &str| {
        let mut f = BTreeMap::from([
            ("payOrderId".to_string(), p.id.clone()),
            ("mchNo".to_string(), "M1700000001".to_string()),
            ("appId".to_string(), "64a0c0ffee0000000000abcd".to_string()),
            ("mchOrderNo".to_string(), order.to_string()),
            ("amount".to_string(), amount.to_string()),
            ("currency".to_string(), "cny".to_string()),
            ("state".to_string(), state.to_string()),
            ("wayCode".to_string(), "ALI_QR".to_string()),
            ("reqTime".to_string(), req_time.to_string()),
        ]);
        let sign = sim.sign(&f);
        f.insert("sign".to_string(), sign);
        f
    };
    // A bad signature.
    let mut forged = fields("2", "1234", &id, &now_ms);
    forged.insert("sign".into(), "0".repeat(32));
    assert_eq!(form(&url, &forged).await, (400, "fail".into()));
    // Tampered after signing.
    let mut tampered = fields("2", "1234", &id, &now_ms);
    tampered.insert("amount".into(), "1".into());
    assert_eq!(form(&url, &tampered).await.1, "fail");
    // Validly signed, but for another amount: never fulfilled.
    assert_eq!(form(&url, &fields("2", "1", &id, &now_ms)).await.1, "fail");
    // An order we never made.
    assert_eq!(
        form(&url, &fields("2", "1234", "cs_unknown", &now_ms))
            .await
            .1,
        "fail"
    );
    // Stale: signed more than a day ago.
    let old = (d.clock.now().unix_timestamp_nanos() / 1_000_000 - 25 * 3600 * 1000).to_string();
    assert_eq!(form(&url, &fields("2", "1234", &id, &old)).await.1, "fail");
    // Not a form at all.
    assert_eq!(raw(&url, "application/json", "{}".into()).await.1, "fail");
    assert_eq!(
        status_of(&d, &id).await,
        "pending",
        "nothing above moved the session"
    );
    // The real one counts, and is acknowledged with `success`.
    let paid = fields("2", "1234", &id, &now_ms);
    assert_eq!(form(&url, &paid).await, (200, "success".into()));
    assert_eq!(status_of(&d, &id).await, "succeeded");
    // A replay, a late "paying" and a late "closed" are acknowledged and change nothing.
    assert_eq!(form(&url, &paid).await.1, "success");
    assert_eq!(
        form(&url, &fields("1", "1234", &id, &now_ms)).await.1,
        "success"
    );
    assert_eq!(
        form(&url, &fields("6", "1234", &id, &now_ms)).await.1,
        "success"
    );
    assert_eq!(status_of(&d, &id).await, "succeeded");
}

#[tokio::test]
async fn yabandpay_notifications_are_checked_before_they_count_in_every_transport() {
    let d = demo_with(|o| {
        o.route_all_to("yabandpay");
        o.reconcile = None;
    })
    .await;
    let sim = d.sandbox.yabandpay().expect("yabandpay");
    let url = format!("{}/notify/yabandpay", d.base);
    let envelope =
        |p: &wallet_checkout_sandbox::ledger::Payment, order: &str, state: &str, amount: &str| {
            let data = BTreeMap::from([
                ("type".to_string(), "payment".to_string()),
                ("user".to_string(), "016683".to_string()),
                ("order_id".to_string(), order.to_string()),
                ("trade_id".to_string(), p.id.clone()),
                ("amount".to_string(), amount.to_string()),
                ("currency".to_string(), "EUR".to_string()),
                ("state".to_string(), state.to_string()),
                ("demo".to_string(), String::new()),
            ]);
            json!({ "sign": sim.sign(&data), "data": data })
        };
    let (id, p) = pending_session(&d, "yabandpay").await;
    let mut forged = envelope(&p, &id, "paid", "12.34");
    forged["sign"] = json!("0".repeat(64));
    assert_eq!(
        raw(&url, "application/json", forged.to_string()).await,
        (400, "bad".into())
    );
    let mut tampered = envelope(&p, &id, "paid", "12.34");
    tampered["data"]["amount"] = json!("0.01");
    assert_eq!(
        raw(&url, "application/json", tampered.to_string()).await.1,
        "bad"
    );
    assert_eq!(
        raw(
            &url,
            "application/json",
            envelope(&p, &id, "paid", "0.01").to_string()
        )
        .await
        .1,
        "bad"
    );
    assert_eq!(
        raw(
            &url,
            "application/json",
            envelope(&p, "cs_unknown", "paid", "12.34").to_string()
        )
        .await
        .1,
        "bad"
    );
    assert_eq!(
        raw(&url, "application/json", "not json".into()).await.1,
        "bad"
    );
    assert_eq!(status_of(&d, &id).await, "pending");
    // Raw JSON.
    let paid = envelope(&p, &id, "Paid", "12.34").to_string();
    assert_eq!(
        raw(&url, "application/json", paid.clone()).await,
        (200, "ok".into())
    );
    assert_eq!(status_of(&d, &id).await, "succeeded");
    // Replay and a late, reordered "pending" or "expired": harmless.
    assert_eq!(raw(&url, "application/json", paid).await.1, "ok");
    assert_eq!(
        raw(
            &url,
            "application/json",
            envelope(&p, &id, "pending", "12.34").to_string()
        )
        .await
        .1,
        "ok"
    );
    assert_eq!(
        raw(
            &url,
            "application/json",
            envelope(&p, &id, "expired", "12.34").to_string()
        )
        .await
        .1,
        "ok"
    );
    assert_eq!(status_of(&d, &id).await, "succeeded");

    // `resultData=` followed by raw JSON, and a URL-encoded `resultData` form field.
    for transport in ["prefix", "form"] {
        let (id, p) = pending_session(&d, "yabandpay").await;
        let json = envelope(&p, &id, "paid", "12.34").to_string();
        let (ct, body) = match transport {
            "prefix" => ("text/plain", format!("resultData={json}")),
            _ => (
                "application/x-www-form-urlencoded",
                serde_urlencoded::to_string([("resultData", json.as_str())]).expect("form"),
            ),
        };
        assert_eq!(raw(&url, ct, body).await, (200, "ok".into()), "{transport}");
        assert_eq!(status_of(&d, &id).await, "succeeded", "{transport}");
    }
}

#[tokio::test]
async fn duplicated_and_delayed_sandbox_notifications_are_harmless() {
    use wallet_checkout_sandbox::control::{Behaviour, NotifyMode};
    for gateway in GATEWAYS {
        let d = demo_with(|o| {
            o.route_all_to(gateway);
            o.reconcile = None;
        })
        .await;
        d.sandbox.set_behaviour(
            None,
            Behaviour {
                notifications: NotifyMode::Duplicate,
                ..Behaviour::default()
            },
        );
        let (id, p) = pending_session(&d, gateway).await;
        shopper(&d.base, &p.id, true).await;
        assert_eq!(
            wait_change(&d.base, &id, "pending").await["status"],
            "succeeded",
            "{gateway}"
        );
        d.sandbox.set_behaviour(
            None,
            Behaviour {
                notifications: NotifyMode::Delay,
                delay_ms: 300,
                ..Behaviour::default()
            },
        );
        let (id, p) = pending_session(&d, gateway).await;
        shopper(&d.base, &p.id, true).await;
        assert_eq!(
            wait_change(&d.base, &id, "pending").await["status"],
            "succeeded",
            "{gateway}"
        );
    }
}
