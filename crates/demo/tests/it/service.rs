//! The checkout service called directly, without the checkout API in between: the rules of
//! `checkout.rs` (the one writer) against the real sandbox.

use wallet_checkout_protocol::{ErrorCode, Flow, Status, Wallet};
use wallet_checkout_server::checkout::{self, Created, NewSession};

use super::*;

fn asked(order: &str, key: Option<&str>, wallet: Wallet) -> NewSession {
    NewSession {
        order: order.into(),
        wallet: Some(wallet),
        flow: Flow::Qr,
        payment_code: None,
        in_store: false,
        return_url: None,
        idempotency_key: key.map(String::from),
        client_ip: None,
        // Demo orders' references are random: the one kept for it, whichever server made it.
        client_secret: secret_for("", order)
            .or_else(|| Some("sec_a_well_formed_secret_of_no_order_here".into())),
    }
}

/// An Alipay QR session for `order`, made through the service (`what` names it in a failure).
async fn create(state: &AppState, order: &str, what: &str) -> wallet_checkout_protocol::Session {
    made(
        checkout::create(state, asked(order, None, Wallet::Alipay))
            .await
            .expect(what),
    )
    .1
}

fn made(c: Created) -> (bool, wallet_checkout_protocol::Session) {
    match c {
        Created::New(s) => (true, s),
        Created::Replayed(s) => (false, s),
    }
}

#[tokio::test]
async fn create_takes_the_amount_from_the_order_and_replays_a_key() {
    let d = demo_with(|_| {}).await;
    let order = demo_order(&d.base, 777, "CAD").await;
    let (fresh, s) = made(
        checkout::create(&d.state, asked(&order, Some("svc-1"), Wallet::Alipay))
            .await
            .expect("created"),
    );
    assert!(fresh);
    assert_eq!((s.amount.value, s.amount.currency.as_str()), (777, "CAD"));
    assert_eq!(s.status, Status::Pending);
    let (fresh, again) = made(
        checkout::create(&d.state, asked(&order, Some("svc-1"), Wallet::Alipay))
            .await
            .expect("replayed"),
    );
    assert!(!fresh, "the same key is the same session");
    assert_eq!(again.id, s.id);
    let e = checkout::create(&d.state, asked(&order, Some("svc-1"), Wallet::WechatPay))
        .await
        .expect_err("a key names one request");
    assert_eq!(e.code, ErrorCode::InvalidRequest);
    let e = checkout::create(&d.state, asked("no-such-order", None, Wallet::Alipay))
        .await
        .expect_err("unknown order");
    assert_eq!(e.code, ErrorCode::OrderNotFound);
}

#[tokio::test]
async fn a_new_attempt_closes_the_earlier_one_and_a_paid_order_takes_none() {
    let d = demo_with(|_| {}).await;
    let order = demo_order(&d.base, 1234, "CAD").await;
    let first = create(&d.state, &order, "first").await;
    let second = create(&d.state, &order, "second").await;
    let first = checkout::read(&d.state, &SessionId::from(&first.id))
        .await
        .expect("read");
    assert_eq!(first.status, Status::Cancelled, "closed before the new one");
    assert!(first.action.is_none(), "no action once final");
    shopper(
        &d.base,
        &gateway_id(&serde_json::to_value(&second).expect("json")),
        true,
    )
    .await;
    let paid = wait_change(&d.base, &second.id, "pending").await;
    assert_eq!(paid["status"], "succeeded");
    let e = checkout::create(&d.state, asked(&order, None, Wallet::Alipay))
        .await
        .expect_err("paid already");
    assert_eq!(e.code, ErrorCode::OrderAlreadyPaid);
}

#[tokio::test]
async fn apply_moves_only_forward_and_wakes_waiters_only_on_a_change() {
    let d = demo_with(|_| {}).await;
    let order = demo_order(&d.base, 500, "CAD").await;
    let s = create(&d.state, &order, "created").await;
    let waiter = d.state.hub.subscribe(&s.id).expect("room");
    let (_, changed) =
        checkout::apply_for_tests(&d.state, &SessionId::from(&s.id), Status::Expired)
            .await
            .expect("store")
            .expect("known");
    assert!(changed && waiter.has_changed(), "a change wakes the waiter");
    drop(waiter);
    // On PostgreSQL the change is also heard back through LISTEN, a moment later: let that
    // wake-up land before the next waiter comes, so what it sees is the next call's alone.
    tokio::time::sleep(std::time::Duration::from_millis(500)).await;
    let waiter = d.state.hub.subscribe(&s.id).expect("room");
    let (record, changed) =
        checkout::apply_for_tests(&d.state, &SessionId::from(&s.id), Status::Cancelled)
            .await
            .expect("store")
            .expect("known");
    assert!(
        !changed && !waiter.has_changed(),
        "no move back, no wake-up"
    );
    assert_eq!(record.session.status, Status::Expired);
    let (record, changed) =
        checkout::apply_for_tests(&d.state, &SessionId::from(&s.id), Status::Succeeded)
            .await
            .expect("store")
            .expect("known");
    assert!(changed && waiter.has_changed(), "a late payment still wins");
    assert_eq!(record.session.status, Status::Succeeded);
    assert!(
        checkout::apply_for_tests(&d.state, &SessionId::from("cs_none"), Status::Succeeded)
            .await
            .expect("store")
            .is_none()
    );
}

#[tokio::test]
async fn refunds_never_exceed_what_was_paid() {
    let d = demo_with(|_| {}).await;
    let order = demo_order(&d.base, 1000, "CAD").await;
    let s = create(&d.state, &order, "created").await;
    let e = checkout::refund(&d.state, &SessionId::from(&s.id), None, None, None)
        .await
        .expect_err("not paid yet");
    assert_eq!(e.kind, Kind::Conflict, "409");
    shopper(
        &d.base,
        &gateway_id(&serde_json::to_value(&s).expect("json")),
        true,
    )
    .await;
    wait_change(&d.base, &s.id, "pending").await;
    let part = checkout::refund(
        &d.state,
        &SessionId::from(&s.id),
        Some(600),
        Some("spilt".into()),
        Some("rk-1".into()),
    )
    .await
    .expect("refunded in part");
    assert_eq!(part.amount.value, 600);
    let retried = checkout::refund(
        &d.state,
        &SessionId::from(&s.id),
        Some(600),
        Some("spilt".into()),
        Some("rk-1".into()),
    )
    .await
    .expect("the same key");
    assert_eq!(
        retried.id, part.id,
        "a retry gets the same refund, never a second one"
    );
    let e = checkout::refund(
        &d.state,
        &SessionId::from(&s.id),
        Some(100),
        None,
        Some("rk-1".into()),
    )
    .await
    .expect_err("the key named another amount");
    assert_eq!(e.code, ErrorCode::InvalidRequest);
    let e = checkout::refund(&d.state, &SessionId::from(&s.id), Some(401), None, None)
        .await
        .expect_err("only 400 left");
    assert!(e.message.contains("4.00"), "{}", e.message);
    let rest = checkout::refund(&d.state, &SessionId::from(&s.id), None, None, None)
        .await
        .expect("the rest");
    assert_eq!(rest.amount.value, 400);
    let e = checkout::refund(&d.state, &SessionId::from(&s.id), None, None, None)
        .await
        .expect_err("nothing left");
    assert!(
        e.message.starts_with("nothing is left to refund"),
        "{}",
        e.message
    );
    assert_eq!(
        checkout::refunds(&d.state, &SessionId::from(&s.id))
            .await
            .expect("listed")
            .len(),
        2
    );
}

#[tokio::test]
async fn a_client_key_that_looks_like_a_server_lock_does_not_hang() {
    // Regression: client keys shared the lock names of the server's own `order:…` locks, so this
    // create locked its own order twice and waited forever.
    let d = demo_with(|_| {}).await;
    let order = demo_order(&d.base, 300, "CAD").await;
    let key = format!("order:{order}");
    let made = tokio::time::timeout(
        std::time::Duration::from_secs(10),
        checkout::create(&d.state, asked(&order, Some(&key), Wallet::Alipay)),
    )
    .await
    .expect("no deadlock")
    .expect("created");
    assert!(matches!(made, Created::New(_)));
}

/// An embedder's order source that cannot answer.
struct Down;

#[async_trait::async_trait]
impl wallet_checkout_server::orders::OrderSource for Down {
    async fn order(
        &self,
        _reference: &str,
    ) -> Result<Option<wallet_checkout_server::orders::Order>, String> {
        Err("database down".into())
    }
}

#[tokio::test]
async fn an_order_source_that_cannot_answer_is_order_unavailable_and_no_gateway_is_asked() {
    let d = demo_with(|_| {}).await;
    let state = wallet_checkout_server::build(
        &demo::demo_config(&d.base),
        &SecretMap::default(),
        d.state.clock.clone(),
        Extras {
            orders: Arc::new(Down),
            store: Some(Arc::new(MemoryStore::default())),
            connectors: Some(d.state.connectors.clone()),
            reconcile: None,
            ..Extras::default()
        },
    )
    .await
    .expect("builds")
    .state;
    let e = checkout::create(&state, asked("A1", None, Wallet::Alipay))
        .await
        .expect_err("unavailable");
    assert_eq!(e.code, ErrorCode::OrderUnavailable);
    assert!(d.sandbox.payments().is_empty(), "no gateway order");
}

#[tokio::test]
async fn the_consoles_payments_are_searched_exactly_and_bounded() {
    use wallet_checkout_server::store::SessionQuery;
    let d = demo_with(|_| {}).await;
    let order = demo_order(&d.base, 500, "CAD").await;
    let s = create(&d.state, &order, "created").await;
    let q = |search: &str, limit: usize| SessionQuery {
        search: Some(search.to_string()),
        limit,
        ..Default::default()
    };
    let found = checkout::payments(&d.state, q(&format!("  {order}\n"), 10))
        .await
        .expect("found");
    assert_eq!(found.len(), 1);
    assert_eq!(found[0].session.id, s.id);
    assert_eq!(
        checkout::payments(&d.state, q(&s.id, 10))
            .await
            .expect("by id")
            .len(),
        1
    );
    // An empty search is none: the newest sessions.
    assert!(!checkout::payments(&d.state, q("   ", 10))
        .await
        .expect("all")
        .is_empty());
    for (search, limit) in [("x", 0), ("x", 101)] {
        let e = checkout::payments(&d.state, q(search, limit))
            .await
            .expect_err("limit");
        assert_eq!(e.kind, Kind::Invalid);
    }
    let e = checkout::payments(&d.state, q(&"A".repeat(129), 10))
        .await
        .expect_err("too long");
    assert_eq!(e.kind, Kind::Invalid);
}
