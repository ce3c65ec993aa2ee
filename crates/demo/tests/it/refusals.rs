//! Every answer a gateway documents, not only the happy ones, over loopback against its sandbox:
//! each code of AlphaPay's and YabandPay's tables and each Pass2Pay answer shape reaches the widget
//! as the contract's code, refunds end as the gateway means them, AlphaPay's `U` is asked about
//! before anything moves, and YabandPay's mini-program pay hands over a trade number.

use super::*;

/// `next` on the sandbox's control, over HTTP, as a person would from the command line.
async fn force(base: &str, gateway: &str, op: &str, answer: &str) {
    let body = json!({ "gateway": gateway, "next": { op: answer } });
    assert_eq!(control(base, &body).await, StatusCode::OK, "{body}");
}

/// The same for every such call until the control says otherwise (`"repeat": true`).
async fn force_repeat(base: &str, gateway: &str, op: &str, answer: &str) {
    let body = json!({ "gateway": gateway, "next": { op: answer }, "repeat": true });
    assert_eq!(control(base, &body).await, StatusCode::OK, "{body}");
}

/// `POST /sandbox/control` with `body`; its status.
async fn control(base: &str, body: &serde_json::Value) -> StatusCode {
    reqwest::Client::new()
        .post(format!("{base}/sandbox/control"))
        .json(body)
        .send()
        .await
        .expect("control")
        .status()
}

/// A shop order through the merchant API (the admin order view needs one).
async fn shop_order(base: &str, reference: &str, currency: &str) {
    let (status, body) = admin(
        reqwest::Method::PUT,
        &format!("{base}/admin/orders/{reference}"),
        Some(json!({ "amount": { "value": 1234, "currency": currency }, "description": "Tea" })),
    )
    .await;
    assert_eq!(status, StatusCode::CREATED, "{body}");
}

async fn demo_on(gateway: &str) -> TestDemo {
    demo_with(|o| {
        o.route_all_to(gateway);
        o.admin(ADMIN_TOKEN);
        o.reconcile = Some(quick_reconcile());
    })
    .await
}

/// Each code, forced on create, and what the widget must get for it.
fn create_table(gateway: &str) -> Vec<(&'static str, u16, &'static str)> {
    match gateway {
        "alphapay" => vec![
            ("SYSTEMERROR", 502, "gateway_error"),
            ("PAYMENT_IN_PROCESS", 502, "gateway_error"),
            ("INVALID_SIGN", 502, "gateway_error"),
            ("SIGN_TIMEOUT", 502, "gateway_error"),
            ("INVALID_MERCHANT_CODE", 502, "gateway_error"),
            ("PARAM_INVALID", 422, "gateway_refused"),
            ("ORDER_MISMATCH", 422, "gateway_refused"),
            ("INVALID_PAYMENT_CODE", 422, "gateway_refused"),
            ("EXIST_PROCESSING_REFUND", 422, "gateway_refused"),
            ("REFUND_VALID_DATE_EXCEED", 422, "gateway_refused"),
            ("REFUND_NEED_REVIEW", 422, "gateway_refused"),
            ("INVALID_REFUND_AMOUNT", 422, "gateway_refused"),
            ("REFUND_NOT_ENOUGH_BALANCE", 422, "gateway_refused"),
            ("FULL_REFUND_COMPLETED", 422, "gateway_refused"),
            ("INVALID_METHOD_TYPE", 422, "wallet_unavailable"),
            ("ORDER_PAID", 409, "order_already_paid"),
        ],
        "yabandpay" => vec![
            ("-1000", 502, "gateway_error"),
            ("-403", 502, "gateway_error"),
            ("-3001", 422, "gateway_refused"),
            ("-4011", 422, "wallet_unavailable"),
        ],
        // Pass2Pay documents no code list: any `code ≠ 0` refuses the order.
        _ => vec![
            ("9999", 422, "gateway_refused"),
            ("11", 422, "gateway_refused"),
            ("-1", 422, "gateway_refused"),
        ],
    }
}

#[tokio::test]
async fn every_documented_code_on_create_reaches_the_widget_as_its_contract_code() {
    for gateway in GATEWAYS {
        let d = demo_on(gateway).await;
        let table = create_table(gateway);
        if gateway == "alphapay" {
            // Every one of AlphaPay's sixteen codes is named here.
            let named: Vec<&str> = table.iter().map(|(c, _, _)| *c).collect();
            for code in wallet_checkout_server::gateway::alphapay::codes::ALL {
                assert!(named.contains(&code), "{code} is not tested");
            }
        }
        if gateway == "yabandpay" {
            let named: Vec<&str> = table.iter().map(|(c, _, _)| *c).collect();
            for code in wallet_checkout_server::gateway::yabandpay::codes::ALL {
                assert!(named.contains(&code), "{code} is not tested");
            }
        }
        for (i, (code, status, contract)) in table.into_iter().enumerate() {
            let order = demo_order(&d.base, 1234, currency_for(gateway)).await;
            force(&d.base, gateway, "create", code).await;
            let key = format!("k-{gateway}-{i}");
            let (got, body) = create_for(&d.base, &order, "alipay", "qr", Some(&key)).await;
            assert_error(got, &body, status, contract);
            let text = body.to_string();
            assert!(
                !text.contains(code) && !text.contains("sandbox:"),
                "{gateway} {code}: the gateway's words stay out of the shopper's error: {body}"
            );
            assert!(
                d.state
                    .store()
                    .by_idempotency_key(&key)
                    .await
                    .expect("store")
                    .is_none(),
                "{gateway} {code}: no session kept"
            );
            // Used once: the next attempt is served.
            let (again, s) = create_for(&d.base, &order, "alipay", "qr", None).await;
            assert_eq!(again, StatusCode::CREATED, "{gateway} {code}: {s}");
        }
    }
}

#[tokio::test]
async fn a_code_forced_on_query_or_close_is_kept_for_the_admin_view_and_nothing_moves() {
    for (gateway, code) in [
        ("alphapay", "SYSTEMERROR"),
        ("yabandpay", "-1000"),
        ("pass2pay", "9999"),
    ] {
        let d = demo_on(gateway).await;
        let reference = format!("Q-{gateway}");
        shop_order(&d.base, &reference, currency_for(gateway)).await;
        let (_, s) = create_for(&d.base, &reference, "alipay", "qr", None).await;
        let id = s["id"].as_str().expect("id").to_string();
        force(&d.base, gateway, "close", code).await;
        let (status, after) = post(
            &format!("{}/api/checkout/sessions/{id}/cancel", d.base),
            "",
            None,
        )
        .await;
        assert_eq!(status, StatusCode::OK, "{after}");
        assert_eq!(
            after["status"], "pending",
            "{gateway}: a refused close changes nothing"
        );
        // The close that met the forced code is the cancel's, or reconciliation's when it held the
        // session at that moment (one close at a time): either way the code is kept.
        let mut kept = Value::Null;
        for _ in 0..50 {
            kept = sessions_of(&d.base, &reference).await[0]["gateway_result"]["code"].clone();
            if kept != Value::Null {
                break;
            }
            tokio::time::sleep(std::time::Duration::from_millis(100)).await;
        }
        assert_eq!(kept, code, "{gateway}");
        // Reconciliation retries the close, which now works.
        let done = wait_change(&d.base, &id, "pending").await;
        assert_eq!(done["status"], "cancelled", "{gateway}: {done}");
    }
}

#[tokio::test]
async fn alphapay_u_on_create_keeps_the_payment_id_so_reconciliation_closes_it() {
    let d = demo_on("alphapay").await;
    shop_order(&d.base, "U-1", "CAD").await;
    force(&d.base, "alphapay", "create", "U:SYSTEMERROR").await;
    let (status, body) = create_for(&d.base, "U-1", "alipay", "qr", Some("ku")).await;
    assert_error(status, &body, 502, "gateway_error");
    // Not shown, but kept: the gateway order it names is closed and asked about.
    let sessions = sessions_of(&d.base, "U-1").await;
    assert_eq!(sessions.len(), 1, "{sessions:?}");
    let kept = &sessions[0];
    assert_eq!(kept["gateway_result"]["code"], "SYSTEMERROR", "{kept}");
    let gateway_ref = kept["gateway_ref"].as_str().expect("paymentId kept");
    assert!(
        d.sandbox.payment(gateway_ref).is_some(),
        "the sandbox made it"
    );
    let id = kept["id"].as_str().expect("id");
    let closed = wait_change(&d.base, id, "pending").await;
    assert_eq!(closed["status"], "cancelled", "{closed}");
    assert_ne!(
        d.sandbox.payment(gateway_ref).expect("order").state,
        wallet_checkout_sandbox::ledger::PayState::Pending,
        "closed at the gateway too"
    );
    // The shopper's Retry makes a new session that can be paid.
    let (status, s) = create_for(&d.base, "U-1", "alipay", "qr", Some("ku")).await;
    assert_eq!(status, StatusCode::CREATED, "{s}");
    assert_eq!(s["action"]["type"], "qr");
}

#[tokio::test]
async fn alphapay_cancel_answered_u_or_order_paid_is_confirmed_by_a_query_first() {
    let d = demo_on("alphapay").await;
    // U: the cancel went through; only the query says so, and then the session moves.
    let order = demo_order(&d.base, 1234, "CAD").await;
    let (_, s) = create_session(&d.base, &order, None).await;
    let id = s["id"].as_str().expect("id").to_string();
    force(&d.base, "alphapay", "close", "U:SYSTEMERROR").await;
    let (_, after) = post(
        &format!("{}/api/checkout/sessions/{id}/cancel", d.base),
        "",
        None,
    )
    .await;
    assert_eq!(after["status"], "cancelled", "{after}");

    // ORDER_PAID on an order that is not paid: the query finds it open, so nothing is fulfilled
    // and nothing is closed on the gateway's word alone.
    let order = demo_order(&d.base, 1234, "CAD").await;
    let (_, s) = create_session(&d.base, &order, None).await;
    let id = s["id"].as_str().expect("id").to_string();
    // Every close says ORDER_PAID (repeat): the server's own later close attempts for the same
    // session must not close the order before the shopper pays.
    force_repeat(&d.base, "alphapay", "close", "ORDER_PAID").await;
    let (_, after) = post(
        &format!("{}/api/checkout/sessions/{id}/cancel", d.base),
        "",
        None,
    )
    .await;
    assert_eq!(after["status"], "pending", "{after}");
    // ORDER_PAID on an order that is paid: succeeded, the amount checked by the query.
    shopper(&d.base, &gateway_id(&s), true).await;
    let paid = wait_change(&d.base, &id, "pending").await;
    assert_eq!(paid["status"], "succeeded", "{paid}");
}

/// A paid AlphaPay session of order `reference`, and its refunds URL.
async fn paid_session(d: &TestDemo, reference: &str) -> (String, String) {
    shop_order(&d.base, reference, "CAD").await;
    let (_, s) = create_for(&d.base, reference, "alipay", "qr", None).await;
    let id = s["id"].as_str().expect("id").to_string();
    shopper(&d.base, &gateway_id(&s), true).await;
    assert_eq!(
        wait_change(&d.base, &id, "pending").await["status"],
        "succeeded"
    );
    let url = format!("{}/admin/sessions/{id}/refunds", d.base);
    (id, url)
}

async fn refund_read(base: &str, refund: &Value) -> Value {
    let rid = refund["id"].as_str().expect("refund id");
    let (status, r) = admin(
        reqwest::Method::GET,
        &format!("{base}/admin/refunds/{rid}"),
        None,
    )
    .await;
    assert_eq!(status, StatusCode::OK, "{r}");
    r
}

#[tokio::test]
async fn alphapay_refund_outcomes_are_what_the_gateway_means() {
    let d = demo_on("alphapay").await;
    let refund = |url: String| async move {
        admin(
            reqwest::Method::POST,
            &url,
            Some(json!({ "amount": 100, "reason": "spilt" })),
        )
        .await
    };

    // Under review: processing (never failed), the code in the admin view; the review ends.
    let (_, url) = paid_session(&d, "R-review").await;
    force(&d.base, "alphapay", "refund", "REFUND_NEED_REVIEW").await;
    let (status, r) = refund(url).await;
    assert_eq!(status, StatusCode::CREATED, "{r}");
    assert_eq!(r["status"], "processing", "{r}");
    assert_eq!(
        sessions_of(&d.base, "R-review").await[0]["gateway_result"]["code"],
        "REFUND_NEED_REVIEW"
    );
    assert_eq!(refund_read(&d.base, &r).await["status"], "processing");
    force(&d.base, "alphapay", "refund_query", "SUCCESS").await;
    assert_eq!(refund_read(&d.base, &r).await["status"], "succeeded");

    // Another refund in progress: processing, then the gateway has no such refund: failed.
    let (_, url) = paid_session(&d, "R-busy").await;
    force(&d.base, "alphapay", "refund", "EXIST_PROCESSING_REFUND").await;
    let (status, r) = refund(url).await;
    assert_eq!(
        (status, r["status"].as_str()),
        (StatusCode::CREATED, Some("processing")),
        "{r}"
    );
    assert_eq!(refund_read(&d.base, &r).await["status"], "failed");

    // Already refunded in full at the gateway: not failed.
    let (_, url) = paid_session(&d, "R-full").await;
    force(&d.base, "alphapay", "refund", "FULL_REFUND_COMPLETED").await;
    let (status, r) = refund(url).await;
    assert_eq!(
        (status, r["status"].as_str()),
        (StatusCode::CREATED, Some("succeeded")),
        "{r}"
    );

    // The gateway failed (SYSTEMERROR): the refund may exist, so processing, never failed at once.
    let (_, url) = paid_session(&d, "R-transient").await;
    force(&d.base, "alphapay", "refund", "SYSTEMERROR").await;
    let (status, r) = refund(url).await;
    assert_eq!(
        (status, r["status"].as_str()),
        (StatusCode::CREATED, Some("processing")),
        "{r}"
    );
    assert_eq!(
        sessions_of(&d.base, "R-transient").await[0]["gateway_result"]["code"],
        "SYSTEMERROR"
    );

    // Answered without a refundId: processing, found by our id, then succeeded.
    let (_, url) = paid_session(&d, "R-noid").await;
    force(&d.base, "alphapay", "refund", "NO_REFUND_ID").await;
    let (status, r) = refund(url).await;
    assert_eq!(
        (status, r["status"].as_str()),
        (StatusCode::CREATED, Some("processing")),
        "{r}"
    );
    assert_eq!(refund_read(&d.base, &r).await["status"], "succeeded");

    // Answered U: processing until the gateway says.
    let (_, url) = paid_session(&d, "R-unknown").await;
    force(&d.base, "alphapay", "refund", "U:SYSTEMERROR").await;
    let (status, r) = refund(url).await;
    assert_eq!(
        (status, r["status"].as_str()),
        (StatusCode::CREATED, Some("processing")),
        "{r}"
    );
    force(&d.base, "alphapay", "refund_query", "SUCCESS").await;
    assert_eq!(refund_read(&d.base, &r).await["status"], "succeeded");

    // Beyond a limit: failed, the gateway's reason in the admin view.
    for code in [
        "REFUND_VALID_DATE_EXCEED",
        "INVALID_REFUND_AMOUNT",
        "REFUND_NOT_ENOUGH_BALANCE",
    ] {
        let reference = format!("R-{code}");
        let (id, url) = paid_session(&d, &reference).await;
        force(&d.base, "alphapay", "refund", code).await;
        let (status, body) = refund(url.clone()).await;
        assert_error(status, &body, 502, "gateway_error");
        let (_, list) = admin(reqwest::Method::GET, &url, None).await;
        assert_eq!(list[0]["status"], "failed", "{code}: {list}");
        let sessions = sessions_of(&d.base, &reference).await;
        let s = sessions
            .iter()
            .find(|s| s["id"] == id.as_str())
            .expect("session");
        assert_eq!(s["gateway_result"]["code"], code);
    }
}

#[tokio::test]
async fn pass2pay_answer_shapes_unsigned_empty_close_picture_qr_and_settled_at_create() {
    let d = demo_on("pass2pay").await;
    // An empty answer carries no sign (as the seed says): a close that worked.
    let order = demo_order(&d.base, 1234, "CNY").await;
    let (_, s) = create_for(&d.base, &order, "alipay", "qr", None).await;
    let id = s["id"].as_str().expect("id").to_string();
    let (_, after) = post(
        &format!("{}/api/checkout/sessions/{id}/cancel", d.base),
        "",
        None,
    )
    .await;
    assert_eq!(after["status"], "cancelled", "{after}");

    // A non-empty answer without its sign is never trusted.
    let order = demo_order(&d.base, 1234, "CNY").await;
    force(&d.base, "pass2pay", "create", "unsigned").await;
    let (status, body) = create_for(&d.base, &order, "alipay", "qr", None).await;
    assert_error(status, &body, 502, "gateway_error");

    // codeImgUrl: a picture of the QR, no text to encode; the picture is there.
    let order = demo_order(&d.base, 1234, "CNY").await;
    force(&d.base, "pass2pay", "create", "codeImgUrl").await;
    let (status, s) = create_for(&d.base, &order, "alipay", "qr", None).await;
    assert_eq!(status, StatusCode::CREATED, "{s}");
    assert_eq!(s["action"]["type"], "qr");
    assert!(s["action"].get("content").is_none(), "{s}");
    let image = s["action"]["image"].as_str().expect("image URL");
    assert!(
        image.starts_with(&format!("{}/sandbox/qr/", d.base)),
        "{image}"
    );
    let res = reqwest::get(image).await.expect("image");
    assert_eq!(res.headers()["content-type"], "image/svg+xml");

    // Paid at create (orderState 2, payOrderInfo): succeeded at once, its event recorded.
    shop_order(&d.base, "P-paid", "CNY").await;
    force(&d.base, "pass2pay", "create", "paid").await;
    let (status, s) = create_for(&d.base, "P-paid", "unionpay", "qr", None).await;
    assert_eq!(status, StatusCode::CREATED, "{s}");
    assert_eq!(s["status"], "succeeded", "{s}");
    assert!(s.get("action").is_none(), "{s}");
    let (_, events) = admin(
        reqwest::Method::GET,
        &format!("{}/admin/events", d.base),
        None,
    )
    .await;
    assert!(
        events["events"]
            .as_array()
            .expect("events")
            .iter()
            .any(|e| e["type"] == "session.succeeded" && e["data"]["session"]["id"] == s["id"]),
        "{events}"
    );

    // Failed at create (orderState 3): the session failed, errCode/errMsg in the admin view.
    shop_order(&d.base, "P-failed", "CNY").await;
    force(&d.base, "pass2pay", "create", "failed").await;
    let (status, s) = create_for(&d.base, "P-failed", "alipay", "qr", None).await;
    assert_eq!(status, StatusCode::CREATED, "{s}");
    assert_eq!(s["status"], "failed", "{s}");
    let sessions = sessions_of(&d.base, "P-failed").await;
    assert_eq!(
        sessions[0]["gateway_result"]["code"],
        "SANDBOX.CHANNEL_DECLINED"
    );
    assert!(sessions[0]["gateway_result"]["message"]
        .as_str()
        .is_some_and(|m| m.contains("declined")));
}

#[tokio::test]
async fn yabandpay_mini_program_pay_hands_over_alipays_trade_number() {
    let d = demo_on("yabandpay").await;
    let order = demo_order(&d.base, 1234, "EUR").await;
    let (status, s) = create_for(&d.base, &order, "alipay", "alipay_in_app", None).await;
    assert_eq!(status, StatusCode::CREATED, "{s}");
    assert_eq!(s["flow"], "alipay_in_app");
    assert_eq!(s["action"]["type"], "alipay_jsapi", "{s}");
    let trade_no = s["action"]["trade_no"].as_str().expect("trade_no");
    let id = s["id"].as_str().expect("id").to_string();
    let record = d
        .state
        .store()
        .get(&SessionId::from(&id))
        .await
        .expect("store")
        .expect("record");
    let p = d
        .sandbox
        .payment(&record.gateway_ref)
        .expect("sandbox order");
    assert_eq!(p.method, "v3.CreatePaymentsAlipayMiniPay");
    assert_ne!(
        trade_no, record.gateway_ref,
        "the trade number, not YabandPay's trade_id"
    );
    shopper(&d.base, trade_no, true).await;
    assert_eq!(
        wait_change(&d.base, &id, "pending").await["status"],
        "succeeded"
    );
}

#[tokio::test]
async fn the_control_refuses_answers_a_gateway_cannot_give_and_repeat_keeps_one() {
    let d = demo_on("yabandpay").await;
    for body in [
        json!({ "gateway": "alphapay", "next": { "create": "MADE_UP" } }),
        json!({ "gateway": "yabandpay", "next": { "create": "-1" } }),
        json!({ "gateway": "pass2pay", "next": { "query": "paid" } }),
        json!({ "gateway": "alphapay", "next": { "teleport": "SYSTEMERROR" } }),
    ] {
        assert!(control(&d.base, &body).await.is_client_error(), "{body}");
    }
    force_repeat(&d.base, "yabandpay", "create", "-1000").await;
    for _ in 0..2 {
        let order = demo_order(&d.base, 1234, "EUR").await;
        let (status, body) = create_for(&d.base, &order, "wechat_pay", "qr", None).await;
        assert_error(status, &body, 502, "gateway_error");
    }
    // Until reset.
    assert_eq!(
        control(&d.base, &json!({ "gateway": "yabandpay" })).await,
        StatusCode::OK
    );
    let order = demo_order(&d.base, 1234, "EUR").await;
    let (status, s) = create_for(&d.base, &order, "wechat_pay", "qr", None).await;
    assert_eq!(status, StatusCode::CREATED, "{s}");
}

#[tokio::test]
async fn a_query_saying_paid_without_an_amount_moves_nothing() {
    // No reconciliation: only the query below asks the gateway.
    let d = demo_with(|o| o.route_all_to("yabandpay")).await;
    let order = demo_order(&d.base, 2499, "EUR").await;
    let (status, s) = create_for(&d.base, &order, "alipay", "qr", None).await;
    assert_eq!(status, StatusCode::CREATED, "{s}");
    let id = SessionId::from(s["id"].as_str().expect("id"));
    let answer = json!({ "gateway": "yabandpay", "next": { "query": "paid_without_amount" } });
    assert_eq!(control(&d.base, &answer).await, StatusCode::OK);
    let record = d.store.get(&id).await.expect("store").expect("kept");
    wallet_checkout_server::checkout::query(&d.state, &record).await;
    let after = d.store.get(&id).await.expect("store").expect("kept");
    assert_eq!(
        after.session.status,
        wallet_checkout_protocol::Status::Pending,
        "a success without its amount is not believed"
    );
    let (_, controls) = get(&format!("{}/sandbox/control", d.base)).await;
    assert_eq!(
        controls["yabandpay"]["next"],
        json!({}),
        "that query got the forced answer"
    );
    // The same query answered whole still finds it unpaid; paid, it is believed.
    shopper(&d.base, &gateway_id(&s), true).await;
    wallet_checkout_server::checkout::query(&d.state, &after).await;
    let paid = d.store.get(&id).await.expect("store").expect("kept");
    assert_eq!(
        paid.session.status,
        wallet_checkout_protocol::Status::Succeeded
    );
}

#[tokio::test]
async fn a_refund_answer_about_another_refund_moves_nothing() {
    let d = demo_on("pass2pay").await;
    shop_order(&d.base, "R-other", "CNY").await;
    let (_, s) = create_for(&d.base, "R-other", "alipay", "qr", None).await;
    let id = s["id"].as_str().expect("id").to_string();
    shopper(&d.base, &gateway_id(&s), true).await;
    assert_eq!(
        wait_change(&d.base, &id, "pending").await["status"],
        "succeeded"
    );
    // The refund's answer is lost (unsigned) and its notification too: it stays processing,
    // asked about by our id.
    let quiet = |op: &str, answer: &str| json!({ "gateway": "pass2pay", "notifications": "drop", "next": { op: answer } });
    assert_eq!(
        control(&d.base, &quiet("refund", "unsigned")).await,
        StatusCode::OK
    );
    let refunds = format!("{}/admin/sessions/{id}/refunds", d.base);
    let (status, body) = admin(
        reqwest::Method::POST,
        &refunds,
        Some(json!({ "amount": 100, "reason": "spilt" })),
    )
    .await;
    assert_error(status, &body, 502, "gateway_error");
    let (_, list) = admin(reqwest::Method::GET, &refunds, None).await;
    let r = list[0].clone();
    assert_eq!(r["status"], "processing", "{list}");
    // A signed "failed" about another refund: not this one's end, so nothing moves.
    assert_eq!(
        control(&d.base, &quiet("refund_query", "another_refund")).await,
        StatusCode::OK
    );
    let rid = r["id"].as_str().expect("refund id");
    let (status, body) = admin(
        reqwest::Method::GET,
        &format!("{}/admin/refunds/{rid}", d.base),
        None,
    )
    .await;
    assert_error(status, &body, 502, "gateway_error");
    let kept = d
        .store
        .get_refund(&RefundId::from(rid))
        .await
        .expect("store")
        .expect("kept");
    assert_eq!(
        kept.status.as_str(),
        "processing",
        "not failed by another refund's answer"
    );
    // Asked again, the gateway's answer about this refund ends it.
    assert_eq!(refund_read(&d.base, &r).await["status"], "succeeded");
}

#[tokio::test]
async fn a_refund_left_processing_is_asked_about_at_once_not_at_the_next_round() {
    // The default background round (15 s): only the follow-up can settle it within 3 s.
    let d = demo_with(|o| {
        o.route_all_to("alphapay");
        o.admin(ADMIN_TOKEN);
    })
    .await;
    let (_, url) = paid_session(&d, "R-soon").await;
    let (status, r) = admin(
        reqwest::Method::POST,
        &url,
        Some(json!({ "amount": 100, "reason": "spilt" })),
    )
    .await;
    // AlphaPay's refund answer carries no refundStatus: processing until asked.
    assert_eq!(
        (status, r["status"].as_str()),
        (StatusCode::CREATED, Some("processing")),
        "{r}"
    );
    let id = RefundId::from(r["id"].as_str().expect("id"));
    let mut seen = String::new();
    for _ in 0..30 {
        let kept = d.store.get_refund(&id).await.expect("store").expect("kept");
        seen = kept.status.as_str().to_string();
        if seen != "processing" {
            break;
        }
        tokio::time::sleep(std::time::Duration::from_millis(100)).await;
    }
    assert_eq!(seen, "succeeded", "settled within 3 s of the answer");
}

#[tokio::test]
async fn a_refund_answered_without_its_id_is_settled_by_the_gateways_refund_notification() {
    let d = demo_with(|o| {
        o.route_all_to("alphapay");
        o.admin(ADMIN_TOKEN);
    })
    .await;
    let (_, url) = paid_session(&d, "R-pushed").await;
    // AlphaPay's inquiryRefund needs its refundId: without it the refund could never be asked about.
    force(&d.base, "alphapay", "refund", "NO_REFUND_ID").await;
    let (status, r) = admin(
        reqwest::Method::POST,
        &url,
        Some(json!({ "amount": 100, "reason": "spilt" })),
    )
    .await;
    assert_eq!(
        (status, r["status"].as_str()),
        (StatusCode::CREATED, Some("processing")),
        "{r}"
    );
    let id = RefundId::from(r["id"].as_str().expect("id"));
    let kept = with_gateway_id(&d, &id)
        .await
        .expect("the pushed notification gave the refund its gateway id");
    assert_eq!(kept.status.as_str(), "succeeded");
}

#[tokio::test]
async fn a_pass2pay_refund_whose_answer_was_lost_is_settled_by_its_notification() {
    let d = demo_with(|o| {
        o.route_all_to("pass2pay");
        o.admin(ADMIN_TOKEN);
    })
    .await;
    shop_order(&d.base, "R-p2p-push", "CNY").await;
    let (_, s) = create_for(&d.base, "R-p2p-push", "alipay", "qr", None).await;
    let id = s["id"].as_str().expect("id").to_string();
    shopper(&d.base, &gateway_id(&s), true).await;
    assert_eq!(
        wait_change(&d.base, &id, "pending").await["status"],
        "succeeded"
    );
    force(&d.base, "pass2pay", "refund", "unsigned").await;
    let refunds = format!("{}/admin/sessions/{id}/refunds", d.base);
    let (status, body) = admin(
        reqwest::Method::POST,
        &refunds,
        Some(json!({ "amount": 100, "reason": "spilt" })),
    )
    .await;
    assert_error(status, &body, 502, "gateway_error");
    let (_, list) = admin(reqwest::Method::GET, &refunds, None).await;
    let rid = RefundId::from(list[0]["id"].as_str().expect("refund id"));
    let kept = with_gateway_id(&d, &rid)
        .await
        .expect("the signed refund notification gave it Pass2Pay's id");
    assert_eq!(kept.status.as_str(), "succeeded");
}

/// The refund once it holds the gateway's refund id (only a refund notification gives it one here),
/// read from the store for up to 3 s; `None` if it never does.
async fn with_gateway_id(
    d: &TestDemo,
    id: &RefundId,
) -> Option<wallet_checkout_server::store::RefundRecord> {
    for _ in 0..30 {
        let now = d.store.get_refund(id).await.expect("store").expect("kept");
        if now.gateway_ref.is_some() {
            return Some(now);
        }
        tokio::time::sleep(std::time::Duration::from_millis(100)).await;
    }
    None
}
