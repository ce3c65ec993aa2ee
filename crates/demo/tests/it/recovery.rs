//! Recovery: a server restart in the middle of a payment (SQLite file), every notification lost or
//! corrupted (reconciliation settles every session), and gateways failing on create.

use std::sync::Arc;

use wallet_checkout_sandbox::control::{ApiMode, Behaviour, NotifyMode};
use wallet_checkout_sandbox::ledger::PayState;
use wallet_checkout_server::store::SqliteStore;

use super::*;

fn temp_db(name: &str) -> std::path::PathBuf {
    let dir = std::env::temp_dir().join(format!(
        "wallet-checkout-it-{}-{}",
        std::process::id(),
        wallet_checkout_server::store::random_id(8)
    ));
    dir.join(name)
}

#[tokio::test]
async fn a_payment_started_before_a_restart_is_read_paid_and_notified_after_it() {
    for gateway in GATEWAYS {
        let db = temp_db("checkout.db");
        let credentials = demo::Credentials::generate().expect("credentials");
        let store = Arc::new(SqliteStore::open(&db).expect("sqlite"));
        let creds = credentials.clone();
        let first = demo_with(move |o| {
            o.route_all_to(gateway);
            o.store = Some(store);
            o.credentials = creds;
        })
        .await;
        let order = demo_order(&first.base, 1234, currency_for(gateway)).await;
        let (_, s) = create_for(&first.base, &order, "wechat_pay", "qr", Some("key-1")).await;
        let id = s["id"].as_str().expect("id").to_string();
        let (base, sandbox, clock) = first.crash().await;

        // A new process: a fresh handle on the same file, the same port, the same gateway.
        let addr = base.trim_start_matches("http://").to_string();
        let store = Arc::new(SqliteStore::open(&db).expect("sqlite reopens"));
        let second = demo_at(&addr, clock, move |o| {
            o.route_all_to(gateway);
            o.store = Some(store);
            o.credentials = credentials;
            o.sandbox = Some(sandbox);
        })
        .await;
        // Demo orders live in memory; the session (with its amount) is on disk.
        let (status, read) = get(&format!("{base}/api/checkout/sessions/{id}")).await;
        assert_eq!(
            (status, read["status"].as_str()),
            (StatusCode::OK, Some("pending")),
            "{gateway}: {read}"
        );
        assert_eq!(
            read["action"], s["action"],
            "{gateway}: the action survives"
        );
        assert_eq!(
            read["amount"],
            json!({ "value": 1234, "currency": currency_for(gateway) })
        );
        // The retry of the create before the crash gets the same session, not a second order.
        let (status, again) = create_for(&base, &order, "wechat_pay", "qr", Some("key-1")).await;
        assert_eq!(
            (status, &again["id"]),
            (StatusCode::OK, &s["id"]),
            "{gateway}: {again}"
        );
        shopper(&base, &gateway_id(&s), true).await;
        let paid = wait_change(&base, &id, "pending").await;
        assert_eq!(paid["status"], "succeeded", "{gateway}");
        drop(second);
        let _ = std::fs::remove_dir_all(db.parent().expect("dir"));
    }
}

#[tokio::test]
async fn with_every_notification_dropped_reconciliation_settles_every_session() {
    let d = demo_with(|o| o.reconcile = Some(quick_reconcile())).await;
    d.sandbox.set_behaviour(
        None,
        Behaviour {
            notifications: NotifyMode::Drop,
            ..Behaviour::default()
        },
    );
    let mut paid = Vec::new();
    let mut declined = Vec::new();
    let mut unpaid = Vec::new();
    for gateway in GATEWAYS {
        for (wallet, list) in [
            ("alipay", &mut paid),
            ("alipay", &mut declined),
            ("alipay", &mut unpaid),
        ] {
            let _ = wallet;
            let order = demo_order(&d.base, 1234, currency_for(gateway)).await;
            let s = {
                let mut routed = None;
                for w in ["alipay", "wechat_pay", "unionpay"] {
                    if d.state
                        .routing
                        .get(&Wallet::parse(w).expect("wallet"))
                        .map(String::as_str)
                        == Some(gateway)
                    {
                        routed = Some(create_for(&d.base, &order, w, "qr", None).await.1);
                    }
                }
                routed.expect("each gateway has a wallet in the default routing")
            };
            list.push((gateway, s));
        }
    }
    for (_, s) in &paid {
        shopper(&d.base, &gateway_id(s), true).await;
    }
    for (_, s) in &declined {
        shopper(&d.base, &gateway_id(s), false).await;
    }
    for (gateway, s) in &paid {
        let after = wait_change(&d.base, s["id"].as_str().expect("id"), "pending").await;
        assert_eq!(after["status"], "succeeded", "{gateway}: found by query");
    }
    for (gateway, s) in &declined {
        let after = wait_change(&d.base, s["id"].as_str().expect("id"), "pending").await;
        assert_eq!(after["status"], "failed", "{gateway}: found by query");
    }
    // The unpaid ones run out of time: their gateway orders are closed, the sessions expire.
    d.clock.advance(time::Duration::days(2));
    for (gateway, s) in &unpaid {
        let after = wait_change(&d.base, s["id"].as_str().expect("id"), "pending").await;
        assert_eq!(after["status"], "expired", "{gateway}");
        let order = d.sandbox.payment(&gateway_id(s)).expect("order");
        assert!(
            matches!(order.state, PayState::Cancelled | PayState::Expired),
            "{gateway}: {:?}",
            order.state
        );
    }
    assert!(d.store.pending().await.expect("store").is_empty());
}

#[tokio::test]
async fn corrupted_notifications_are_refused_and_the_payment_is_found_anyway() {
    let d = demo_with(|o| o.reconcile = Some(quick_reconcile())).await;
    d.sandbox.set_behaviour(
        None,
        Behaviour {
            notifications: NotifyMode::Corrupt,
            ..Behaviour::default()
        },
    );
    for (wallet, gateway) in [
        ("alipay", "alphapay"),
        ("wechat_pay", "yabandpay"),
        ("unionpay", "pass2pay"),
    ] {
        let order = demo_order(&d.base, 1234, currency_for(gateway)).await;
        let (_, s) = create_for(&d.base, &order, wallet, "qr", None).await;
        assert_eq!(s["gateway"], gateway);
        shopper(&d.base, &gateway_id(&s), true).await;
        let after = wait_change(&d.base, s["id"].as_str().expect("id"), "pending").await;
        assert_eq!(after["status"], "succeeded", "{gateway}");
    }
}

#[tokio::test]
async fn a_gateway_answering_500_or_nothing_on_create_leaves_no_half_made_order() {
    for gateway in GATEWAYS {
        let d = demo_with(|o| {
            o.route_all_to(gateway);
            o.gateway_timeout = std::time::Duration::from_millis(500);
        })
        .await;
        let g = wallet_checkout_sandbox::ledger::Gateway::parse(gateway);
        d.sandbox.set_behaviour(
            g,
            Behaviour {
                api: ApiMode::Error500,
                ..Behaviour::default()
            },
        );
        let order = demo_order(&d.base, 1234, currency_for(gateway)).await;
        let (status, body) = create_for(&d.base, &order, "alipay", "qr", None).await;
        assert_error(status, &body, 502, "gateway_error");
        d.sandbox.set_behaviour(
            g,
            Behaviour {
                api: ApiMode::Timeout,
                ..Behaviour::default()
            },
        );
        let (status, body) = create_for(&d.base, &order, "alipay", "qr", None).await;
        assert_error(status, &body, 504, "gateway_timeout");
        assert!(
            d.state
                .store()
                .by_order(&OrderRef::from(&order))
                .await
                .expect("store")
                .is_empty(),
            "{gateway}: nothing stored"
        );
        // Back to normal, the same order goes through.
        d.sandbox.set_behaviour(g, Behaviour::default());
        let (status, body) = create_for(&d.base, &order, "alipay", "qr", None).await;
        assert_eq!(status, StatusCode::CREATED, "{gateway}: {body}");
    }
}

#[tokio::test]
async fn a_close_that_fails_keeps_the_session_open_and_reconciliation_closes_it_later() {
    for gateway in GATEWAYS {
        let d = demo_with(|o| {
            o.route_all_to(gateway);
            o.gateway_timeout = std::time::Duration::from_millis(500);
            o.reconcile = Some(quick_reconcile());
        })
        .await;
        let g = wallet_checkout_sandbox::ledger::Gateway::parse(gateway);
        let broken = |api| Behaviour {
            api,
            ..Behaviour::default()
        };
        // The shopper cancels while the gateway is down: the QR may still be paid, so the session
        // is not called cancelled.
        let order = demo_order(&d.base, 1234, currency_for(gateway)).await;
        let (_, s) = create_for(&d.base, &order, "alipay", "qr", None).await;
        let id = s["id"].as_str().expect("id").to_string();
        d.sandbox.set_behaviour(g, broken(ApiMode::Error500));
        let (status, after) = post(
            &format!("{}/api/checkout/sessions/{id}/cancel", d.base),
            "{}",
            None,
        )
        .await;
        assert_eq!(status, StatusCode::OK, "{gateway}: {after}");
        assert_eq!(
            after["status"], "pending",
            "{gateway}: not closed at the gateway"
        );
        // The gateway comes back: reconciliation retries the close, and it ends as asked.
        d.sandbox.set_behaviour(g, Behaviour::default());
        assert_eq!(
            wait_change(&d.base, &id, "pending").await["status"],
            "cancelled",
            "{gateway}"
        );

        // The same, but the old QR is paid before the close gets through: it is a payment, seen.
        let order = demo_order(&d.base, 1234, currency_for(gateway)).await;
        let (_, s) = create_for(&d.base, &order, "alipay", "qr", None).await;
        let id = s["id"].as_str().expect("id").to_string();
        d.sandbox.set_behaviour(g, broken(ApiMode::Error500));
        post(
            &format!("{}/api/checkout/sessions/{id}/cancel", d.base),
            "{}",
            None,
        )
        .await;
        shopper(&d.base, &gateway_id(&s), true).await;
        d.sandbox.set_behaviour(g, Behaviour::default());
        assert_eq!(
            wait_change(&d.base, &id, "pending").await["status"],
            "succeeded",
            "{gateway}: a payment after a failed close is never lost"
        );
    }
}
