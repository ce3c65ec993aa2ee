//! The shop's backend through the merchant API: it PUTs an order, the shopper pays it with the
//! widget's API against the sandbox, the backend reads it back paid; the amount locks once a session exists.

use serde_json::json;

use super::*;

#[tokio::test]
async fn an_order_put_by_the_shop_is_paid_and_read_back_paid() {
    let d = demo_with(|o| o.admin(ADMIN_TOKEN)).await;
    let url = format!("{}/admin/orders/A1001", d.base);
    let order = json!({ "amount": { "value": 1234, "currency": "CAD" }, "description": "Green tea ×2",
        "customer": { "id": "C200492312", "name": "张三" }, "metadata": { "cart": "88123" } });
    let (status, body) = admin(reqwest::Method::PUT, &url, Some(order.clone())).await;
    assert_eq!(status, StatusCode::CREATED, "{body}");
    assert_eq!(body["status"], "open");
    assert_eq!(body["metadata"]["cart"], "88123");
    let (status, _) = admin(reqwest::Method::PUT, &url, Some(order.clone())).await;
    assert_eq!(status, StatusCode::OK, "a second PUT updates");

    let (status, s) = create_session(&d.base, "A1001", None).await;
    assert_eq!(status, StatusCode::CREATED, "{s}");
    assert_eq!(
        s["amount"],
        json!({ "value": 1234, "currency": "CAD" }),
        "the shop's amount"
    );
    let mut more = order.clone();
    more["amount"]["value"] = json!(999);
    let (status, body) = admin(reqwest::Method::PUT, &url, Some(more)).await;
    assert_error(status, &body, 409, "order_locked");
    let mut renamed = order.clone();
    renamed["description"] = json!("Oolong ×2");
    let (status, body) = admin(reqwest::Method::PUT, &url, Some(renamed)).await;
    assert_eq!(
        (status, body["description"].as_str()),
        (StatusCode::OK, Some("Oolong ×2"))
    );

    shopper(&d.base, &gateway_id(&s), true).await;
    let id = s["id"].as_str().expect("id");
    assert_eq!(
        wait_change(&d.base, id, "pending").await["status"],
        "succeeded"
    );
    let (status, body) = admin(reqwest::Method::GET, &url, None).await;
    assert_eq!(status, StatusCode::OK, "{body}");
    assert_eq!(body["status"], "paid");
    assert_eq!(body["amount"]["value"], 1234);
    assert_eq!(body["refunded"], json!({ "value": 0, "currency": "CAD" }));
    let sessions = body["sessions"].as_array().expect("sessions");
    assert_eq!(sessions.len(), 1);
    assert_eq!(sessions[0]["id"], id);
    assert_eq!(sessions[0]["status"], "succeeded");
    assert!(sessions[0]["gateway_ref"]
        .as_str()
        .is_some_and(|g| !g.is_empty()));

    // Refunded in part: still "paid", with the sum; in full: "refunded".
    let refunds = format!("{}/admin/sessions/{id}/refunds", d.base);
    let status_after = |value: Option<u64>| {
        let (refunds, url) = (refunds.clone(), url.clone());
        async move {
            let body = match value {
                Some(v) => json!({ "amount": v }),
                None => json!({}),
            };
            let (status, r) = admin(reqwest::Method::POST, &refunds, Some(body)).await;
            assert_eq!(status, StatusCode::CREATED, "{r}");
            // The refund settles within seconds (asked about at once).
            for _ in 0..50 {
                let (_, listed) = admin(reqwest::Method::GET, &refunds, None).await;
                let settled = listed
                    .as_array()
                    .is_some_and(|l| l.iter().all(|x| x["status"] == "succeeded"));
                if settled {
                    return admin(reqwest::Method::GET, &url, None).await.1;
                }
                tokio::time::sleep(std::time::Duration::from_millis(100)).await;
            }
            panic!("the refund did not settle");
        }
    };
    let part = status_after(Some(234)).await;
    assert_eq!(
        (part["status"].as_str(), part["refunded"]["value"].as_u64()),
        (Some("paid"), Some(234))
    );
    let full = status_after(None).await;
    assert_eq!(
        (full["status"].as_str(), full["refunded"]["value"].as_u64()),
        (Some("refunded"), Some(1234))
    );

    let (status, body) = admin(
        reqwest::Method::GET,
        &format!("{}/admin/orders/B1", d.base),
        None,
    )
    .await;
    assert_error(status, &body, 404, "order_not_found");
}

#[tokio::test]
async fn bad_orders_are_refused_with_400_naming_the_field_and_nothing_is_stored() {
    let d = demo_with(|o| o.admin(ADMIN_TOKEN)).await;
    let put_raw = |reference: &str, body: &str| {
        let url = format!("{}/admin/orders/{reference}", d.base);
        let body = body.to_string();
        async move {
            let res = reqwest::Client::new()
                .put(url)
                .header("authorization", format!("Bearer {ADMIN_TOKEN}"))
                .header("content-type", "application/json")
                .body(body)
                .send()
                .await
                .expect("sent");
            let status = res.status();
            (status, res.json::<Value>().await.unwrap_or(Value::Null))
        }
    };
    let long_ref = "A".repeat(65);
    let long_description = format!(
        r#"{{"amount":{{"value":1,"currency":"CAD"}},"description":"{}"}}"#,
        "x".repeat(10_000)
    );
    let cases: Vec<(&str, String, &str)> = vec![
        (
            "A1",
            r#"{"amount":{"value":12.5,"currency":"CAD"},"description":"T"}"#.into(),
            "value",
        ),
        (
            "A1",
            r#"{"amount":{"value":0,"currency":"CAD"},"description":"T"}"#.into(),
            "amount.value",
        ),
        (
            "A1",
            r#"{"amount":{"value":-5,"currency":"CAD"},"description":"T"}"#.into(),
            "value",
        ),
        (
            "A1",
            r#"{"amount":{"value":1,"currency":"cad"},"description":"T"}"#.into(),
            "currency",
        ),
        (
            "A1",
            r#"{"amount":{"value":1,"currency":"CADD"},"description":"T"}"#.into(),
            "currency",
        ),
        ("A1", long_description, "description"),
        (
            "A1",
            r#"{"amount":{"value":1,"currency":"CAD"},"description":"T","price":1}"#.into(),
            "price",
        ),
        ("A1", "not json".into(), "not valid"),
        (
            &long_ref,
            r#"{"amount":{"value":1,"currency":"CAD"},"description":"T"}"#.into(),
            "reference",
        ),
        (
            "A1:2%2F3",
            r#"{"amount":{"value":1,"currency":"CAD"},"description":"T"}"#.into(),
            "reference",
        ),
    ];
    for (reference, body, needle) in &cases {
        let (status, answer) = put_raw(reference, body).await;
        assert_error_says(status, &answer, 400, "invalid_request", needle);
    }
    let (status, body) = admin(
        reqwest::Method::GET,
        &format!("{}/admin/orders/A1", d.base),
        None,
    )
    .await;
    assert_error(status, &body, 404, "order_not_found");
    // Without the token, and from a browser: refused.
    let res = reqwest::Client::new()
        .put(format!("{}/admin/orders/A1", d.base))
        .json(&json!({ "amount": { "value": 1, "currency": "CAD" }, "description": "T" }))
        .send()
        .await
        .expect("sent");
    assert_eq!(res.status(), StatusCode::UNAUTHORIZED);
}

#[tokio::test]
async fn pass2pay_hears_the_orders_customer_and_a_guest_is_never_a_session_id() {
    let d = demo_with(|o| {
        o.admin(ADMIN_TOKEN);
        o.route_all_to("pass2pay");
    })
    .await;
    let customer = json!({ "id": "C200492312", "registered_at": "2021-05-26T08:09:32Z",
        "name": "张三", "phone": "13812341234", "id_number": "320681198603213312" });
    let with = json!({ "amount": { "value": 1234, "currency": "CNY" }, "description": "Tea", "customer": customer });
    let (status, _) = admin(
        reqwest::Method::PUT,
        &format!("{}/admin/orders/P1", d.base),
        Some(with),
    )
    .await;
    assert_eq!(status, StatusCode::CREATED);
    let guest = json!({ "amount": { "value": 1234, "currency": "CNY" }, "description": "Tea" });
    let (status, _) = admin(
        reqwest::Method::PUT,
        &format!("{}/admin/orders/P2", d.base),
        Some(guest),
    )
    .await;
    assert_eq!(status, StatusCode::CREATED);
    for (order, want) in [
        (
            "P1",
            [
                ("custNo", "C200492312"),
                ("registerTime", "1622016572000"),
                ("userName", "张三"),
                ("mbrTel", "13812341234"),
                ("idNo", "320681198603213312"),
            ],
        ),
        (
            "P2",
            [
                ("custNo", "guest-P2"),
                ("registerTime", ""),
                ("userName", ""),
                ("mbrTel", ""),
                ("idNo", ""),
            ],
        ),
    ] {
        let (status, s) = create_for(&d.base, order, "unionpay", "qr", None).await;
        assert_eq!(status, StatusCode::CREATED, "{s}");
        let payment = d
            .sandbox
            .payment(&gateway_id(&s))
            .expect("the sandbox has it");
        for (field, value) in want {
            let got = payment.extra.get(field).cloned().unwrap_or_default();
            if field == "registerTime" && value.is_empty() {
                assert!(!got.is_empty(), "{order}: a guest is registered now");
            } else {
                assert_eq!(got, value, "{order}: {field}");
            }
        }
        assert_ne!(
            payment.extra.get("custNo"),
            Some(&s["id"].as_str().unwrap_or_default().to_string())
        );
    }
}
