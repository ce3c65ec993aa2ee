//! Each connector against its sandbox over loopback HTTP: create per flow, pay on the wallet page,
//! notification, query, cancel, refund in part and in full, never beyond what was paid.

use wallet_checkout_protocol::{Money, Status};
use wallet_checkout_server::gateway::PaymentRef;

use super::*;

/// (wallet, flow asked, flow served, action type) per gateway, as the demo configures them.
fn flows(gateway: &str) -> Vec<(&'static str, &'static str, &'static str, &'static str)> {
    match gateway {
        "alphapay" => vec![
            ("alipay", "qr", "qr", "qr"),
            ("alipay", "redirect", "redirect", "redirect"),
            ("alipay", "alipay_in_app", "alipay_in_app", "alipay_jsapi"),
            // The demo turns `wechat_jsapi` on (its sandbox needs no openid).
            (
                "wechat_pay",
                "wechat_in_app",
                "wechat_in_app",
                "wechat_jsapi",
            ),
            ("alipay", "wechat_in_app", "qr", "qr"),
            ("unionpay", "qr", "qr", "qr"),
        ],
        "pass2pay" => vec![
            ("alipay", "qr", "qr", "qr"),
            ("alipay", "redirect", "redirect", "redirect"),
            ("wechat_pay", "qr", "qr", "qr"),
            ("wechat_pay", "redirect", "redirect", "redirect"),
            ("wechat_pay", "wechat_in_app", "qr", "qr"),
            ("unionpay", "qr", "qr", "qr"),
            ("unionpay", "redirect", "redirect", "redirect"),
        ],
        _ => vec![
            ("alipay", "qr", "qr", "qr"),
            ("alipay", "redirect", "redirect", "redirect"),
            // The mini-program pay: a trade number for `tradePay`.
            ("alipay", "alipay_in_app", "alipay_in_app", "alipay_jsapi"),
            ("wechat_pay", "qr", "qr", "qr"),
            ("wechat_pay", "redirect", "redirect", "redirect"),
            ("wechat_pay", "wechat_in_app", "wechat_in_app", "redirect"),
            ("unionpay", "redirect", "redirect", "redirect"),
        ],
    }
}

#[tokio::test]
async fn every_gateway_creates_each_flow_and_its_links_lead_to_the_sandbox_wallet() {
    for gateway in GATEWAYS {
        let d = demo_with(|o| o.route_all_to(gateway)).await;
        for (wallet, asked, served, action) in flows(gateway) {
            let order = demo_order(&d.base, 1234, currency_for(gateway)).await;
            let (status, s) = create_for(&d.base, &order, wallet, asked, None).await;
            assert_eq!(
                status,
                StatusCode::CREATED,
                "{gateway} {wallet} {asked}: {s}"
            );
            assert_eq!(s["gateway"], gateway);
            assert_eq!(s["flow"], served, "{gateway} {wallet} {asked}: {s}");
            assert_eq!(
                s["action"]["type"], action,
                "{gateway} {wallet} {asked}: {s}"
            );
            let id = gateway_id(&s);
            let p = d
                .sandbox
                .payment(&id)
                .unwrap_or_else(|| panic!("{gateway}: {s}"));
            assert_eq!(p.amount_minor, 1234);
            assert_eq!(p.merchant_ref, s["id"].as_str().expect("id"));
        }
    }
}

#[tokio::test]
async fn alphapay_inside_wechat_opens_the_cashier_page_unless_wechat_jsapi_is_on() {
    let d = demo_with(|o| {
        o.route_all_to("alphapay");
        if let Some(a) = o.config.gateways.alphapay.as_mut() {
            a.wechat_jsapi = false;
        }
    })
    .await;
    let order = demo_order(&d.base, 1234, "CAD").await;
    let (_, s) = create_for(&d.base, &order, "wechat_pay", "wechat_in_app", None).await;
    assert_eq!(
        (s["flow"].as_str(), s["action"]["type"].as_str()),
        (Some("wechat_in_app"), Some("redirect")),
        "{s}"
    );
}

#[tokio::test]
async fn every_gateway_pays_notifies_answers_queries_and_refunds_within_what_was_paid() {
    for gateway in GATEWAYS {
        let d = demo_with(|o| {
            o.route_all_to(gateway);
            o.admin(ADMIN_TOKEN);
        })
        .await;
        let base = &d.base;
        let currency = currency_for(gateway);
        let order = demo_order(base, 1234, currency).await;
        let (_, s) = create_for(base, &order, "alipay", "qr", None).await;
        let id = s["id"].as_str().expect("id").to_string();
        // Not paid yet: refunds are refused.
        let (status, body) = admin(
            reqwest::Method::POST,
            &format!("{base}/admin/sessions/{id}/refunds"),
            Some(json!({})),
        )
        .await;
        assert_eq!(status.as_u16(), 409, "{gateway}: {body}");

        shopper(base, &gateway_id(&s), true).await;
        let paid = wait_change(base, &id, "pending").await;
        assert_eq!(paid["status"], "succeeded", "{gateway}: {paid}");
        assert!(paid.get("action").is_none());

        // The gateway agrees when asked.
        let record = d
            .state
            .store()
            .get(&SessionId::from(&id))
            .await
            .expect("store")
            .expect("record");
        let observed = d.state.connectors[gateway]
            .query(PaymentRef {
                gateway_ref: &record.gateway_ref,
                merchant_ref: &record.merchant_ref,
                amount: &record.session.amount,
            })
            .await
            .expect("query");
        assert_eq!(observed.status, Some(Status::Succeeded), "{gateway}");
        assert_eq!(
            observed.amount,
            Some(Money::new(1234, currency).expect("money"))
        );

        // A partial refund, then the rest, then nothing more.
        let url = format!("{base}/admin/sessions/{id}/refunds");
        let (status, r1) = admin(
            reqwest::Method::POST,
            &url,
            Some(json!({ "amount": 234, "reason": "one cup spilt" })),
        )
        .await;
        assert_eq!(status, StatusCode::CREATED, "{gateway}: {r1}");
        assert_eq!(r1["amount"]["value"], 234);
        // AlphaPay's refund answer carries no status (ask inquiryRefund); the others say at once.
        assert!(
            matches!(r1["status"].as_str(), Some("processing" | "succeeded")),
            "{gateway}: {r1}"
        );
        let r1_id = r1["id"].as_str().expect("refund id");
        let (_, r1_read) = admin(
            reqwest::Method::GET,
            &format!("{base}/admin/refunds/{r1_id}"),
            None,
        )
        .await;
        assert_eq!(r1_read["status"], "succeeded", "{gateway}: {r1_read}");
        let (status, too_much) =
            admin(reqwest::Method::POST, &url, Some(json!({ "amount": 1001 }))).await;
        assert_error(status, &too_much, 400, "invalid_request");
        let (status, r2) = admin(reqwest::Method::POST, &url, Some(json!({}))).await;
        assert_eq!(status, StatusCode::CREATED, "{gateway}: {r2}");
        assert_eq!(r2["amount"]["value"], 1000, "the rest: {r2}");
        let (status, none_left) =
            admin(reqwest::Method::POST, &url, Some(json!({ "amount": 1 }))).await;
        assert_error(status, &none_left, 400, "invalid_request");
        let rid = r2["id"].as_str().expect("refund id");
        let (status, read) = admin(
            reqwest::Method::GET,
            &format!("{base}/admin/refunds/{rid}"),
            None,
        )
        .await;
        assert_eq!(
            (status, read["status"].as_str()),
            (StatusCode::OK, Some("succeeded")),
            "{gateway}: {read}"
        );
        let (_, list) = admin(reqwest::Method::GET, &url, None).await;
        assert_eq!(list.as_array().map(Vec::len), Some(2), "{list}");
        let p = d.sandbox.payment(&gateway_id(&s)).expect("sandbox order");
        assert_eq!(
            p.refunded_minor(),
            1234,
            "{gateway}: the gateway refunded exactly what was paid"
        );
        // The session stays succeeded for the widget.
        let (_, after) = get(&format!("{base}/api/checkout/sessions/{id}")).await;
        assert_eq!(after["status"], "succeeded");
    }
}

#[tokio::test]
async fn cancelling_closes_the_order_at_every_gateway() {
    for gateway in GATEWAYS {
        let d = demo_with(|o| o.route_all_to(gateway)).await;
        let order = demo_order(&d.base, 1234, currency_for(gateway)).await;
        let (_, s) = create_for(&d.base, &order, "alipay", "qr", None).await;
        let id = s["id"].as_str().expect("id");
        let (status, c) = post(
            &format!("{}/api/checkout/sessions/{id}/cancel", d.base),
            "",
            None,
        )
        .await;
        assert_eq!(
            (status, c["status"].as_str()),
            (StatusCode::OK, Some("cancelled")),
            "{gateway}: {c}"
        );
        let p = d.sandbox.payment(&gateway_id(&s)).expect("sandbox order");
        assert_eq!(
            p.state,
            wallet_checkout_sandbox::ledger::PayState::Cancelled,
            "{gateway}"
        );
        // The shopper can no longer pay it.
        shopper(&d.base, &gateway_id(&s), true).await;
        let (_, again) = get(&format!("{}/api/checkout/sessions/{id}", d.base)).await;
        assert_eq!(again["status"], "cancelled");
    }
}

#[tokio::test]
async fn a_new_session_for_the_same_order_closes_the_old_one_first() {
    for gateway in GATEWAYS {
        let d = demo_with(|o| o.route_all_to(gateway)).await;
        let order = demo_order(&d.base, 1234, currency_for(gateway)).await;
        let (_, first) = create_for(&d.base, &order, "alipay", "qr", None).await;
        let (status, second) = create_for(&d.base, &order, "alipay", "qr", None).await;
        assert_eq!(status, StatusCode::CREATED, "{second}");
        assert_ne!(first["id"], second["id"]);
        let old = d.sandbox.payment(&gateway_id(&first)).expect("old order");
        assert_eq!(
            old.state,
            wallet_checkout_sandbox::ledger::PayState::Cancelled,
            "{gateway}"
        );
        let (_, old_session) = get(&format!(
            "{}/api/checkout/sessions/{}",
            d.base,
            first["id"].as_str().expect("id")
        ))
        .await;
        assert_eq!(old_session["status"], "cancelled");
        // Paying the new one works, and a third attempt is refused: the order is paid.
        shopper(&d.base, &gateway_id(&second), true).await;
        let paid = wait_change(&d.base, second["id"].as_str().expect("id"), "pending").await;
        assert_eq!(paid["status"], "succeeded");
        let (status, third) = create_for(&d.base, &order, "alipay", "qr", None).await;
        assert_error(status, &third, 409, "order_already_paid");
    }
}

#[tokio::test]
async fn the_admin_api_wants_its_token_and_refuses_browsers() {
    let d = demo_with(|o| o.admin(ADMIN_TOKEN)).await;
    let url = format!("{}/admin/sessions/cs_x/refunds", d.base);
    let client = reqwest::Client::new();
    let res = client
        .post(&url)
        .json(&json!({}))
        .send()
        .await
        .expect("sent");
    assert_eq!(res.status().as_u16(), 401);
    let res = client
        .post(&url)
        .header("authorization", "Bearer wrong-token-wrong-token")
        .json(&json!({}))
        .send()
        .await
        .expect("sent");
    assert_eq!(res.status().as_u16(), 401);
    let body: Value = res.json().await.expect("error shape");
    assert_eq!(body["error"]["code"], "unauthorized", "{body}");
    // Even with the token, a request a browser sends (Origin, Sec-Fetch-*) is refused.
    let res = client
        .post(&url)
        .header("authorization", format!("Bearer {ADMIN_TOKEN}"))
        .header("origin", d.base.clone())
        .json(&json!({}))
        .send()
        .await
        .expect("sent");
    assert_eq!(res.status().as_u16(), 403);
    for (header, value) in [
        ("sec-fetch-site", "same-origin"),
        ("sec-fetch-dest", "empty"),
    ] {
        let res = client
            .post(&url)
            .header("authorization", format!("Bearer {ADMIN_TOKEN}"))
            .header(header, value)
            .json(&json!({}))
            .send()
            .await
            .expect("sent");
        assert_eq!(res.status().as_u16(), 403, "{header}");
    }
    // A shop's Node backend using the built-in fetch sends `sec-fetch-mode: cors` only: allowed.
    let res = client
        .post(&url)
        .header("authorization", format!("Bearer {ADMIN_TOKEN}"))
        .header("sec-fetch-mode", "cors")
        .json(&json!({}))
        .send()
        .await
        .expect("sent");
    assert_ne!(
        res.status().as_u16(),
        403,
        "Node's fetch is a backend, not a browser"
    );
    // Without a configured token the API does not exist.
    let plain = demo_with(|_| {}).await;
    let res = client
        .post(format!("{}/admin/sessions/cs_x/refunds", plain.base))
        .header("authorization", format!("Bearer {ADMIN_TOKEN}"))
        .json(&json!({}))
        .send()
        .await
        .expect("sent");
    assert_eq!(res.status().as_u16(), 404);
}

#[tokio::test]
async fn amounts_a_gateway_cannot_take_are_refused_before_any_call() {
    // YabandPay's EUR minimum is 0.10; AlphaPay's maximum is 9 999 999 minor units.
    for (gateway, value, currency) in [
        ("yabandpay", 9, "EUR"),
        ("alphapay", 10_000_000, "CAD"),
        ("pass2pay", 500, "JPY"),
    ] {
        let d = demo_with(|o| o.route_all_to(gateway)).await;
        let order = demo_order(&d.base, value, currency).await;
        let (status, body) = create_for(&d.base, &order, "alipay", "qr", None).await;
        assert_error(status, &body, 400, "invalid_request");
        assert!(
            d.sandbox.payments().is_empty(),
            "{gateway}: no gateway order was made"
        );
    }
}
