//! The store conformance suite: what every `Store` must do, run against each implementation
//! (memory, SQLite and PostgreSQL), and `check_shared` for two stores on one database (two
//! instances). Ids are random per run.

use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::Arc;

use wallet_checkout_protocol::{Action, Flow, Money, Session, Status, Wallet};

/// The service's right to write a status, as the suite holds it.
fn w() -> crate::checkout::Writer {
    crate::checkout::Writer::for_tests()
}

use super::{
    random_id, Attempt, Customer, EventsFor, GatewayResult, NewEvent, OrderRecord, Put,
    RefundRecord, RefundStatus, SessionRecord, Store, StoreError,
};
use crate::core::ids::{OrderRef, RefundId, SessionId};

const STATUSES: [Status; 5] = [
    Status::Pending,
    Status::Succeeded,
    Status::Failed,
    Status::Expired,
    Status::Cancelled,
];

/// A pending session of `order`, created at second `second` of a fixed minute.
pub fn sample_record(order: &str, second: u32, key: Option<&str>) -> SessionRecord {
    let id = format!("cs_{}", random_id(16));
    SessionRecord {
        session: Session {
            id: id.clone(),
            order: order.into(),
            status: Status::Pending,
            wallet: Wallet::WechatPay,
            flow: Flow::Qr,
            gateway: "pass2pay".into(),
            amount: Money::new(1234, "CNY").unwrap_or_else(|e| panic!("{e}")),
            description: "Green tea ×2".into(),
            created_at: format!("2026-01-01T00:00:{second:02}Z"),
            expires_at: "2026-01-01T00:15:00Z".into(),
            action: Some(Action::Qr {
                content: Some("weixin://wxpay/bizpayurl?pr=x".into()),
                matrix: None,
                image: None,
                url: Some("https://pay.example/x".into()),
            }),
            failure: None,
        },
        gateway_ref: format!("P-{id}"),
        merchant_ref: id,
        idempotency_key: key.map(String::from),
        return_url: Some("https://shop.example/r".into()),
        close_as: None,
        gateway_result: None,
    }
}

fn refund(session: &str, value: u64, at: u32) -> RefundRecord {
    RefundRecord {
        id: format!("rf_{}", random_id(16)),
        session_id: session.into(),
        amount: Money::new(value, "CNY").unwrap_or_else(|e| panic!("{e}")),
        reason: "spilt".into(),
        status: RefundStatus::Processing,
        gateway_ref: None,
        created_at: format!("2026-01-01T00:01:{at:02}Z"),
        idempotency_key: None,
    }
}

/// No events for a change (the store suite's own transitions).
fn none() -> EventsFor {
    Box::new(|_, _| Vec::new())
}

fn must<T>(what: &str, r: Result<T, StoreError>) -> T {
    r.unwrap_or_else(|e| panic!("{what}: {e}"))
}

/// Runs every check against `store`; panics (a test failure) naming the first that does not hold.
pub async fn check_store(store: &dyn Store) {
    inserts_reads_and_refuses_duplicates(store).await;
    transitions_follow_may_become(store).await;
    concurrent_transitions_change_once(store).await;
    pending_lists_only_pending(store).await;
    refunds_are_kept_in_order(store).await;
    orders_are_put_read_and_locked_once_a_session_exists(store).await;
    events_come_with_their_change_and_their_deliveries_are_kept(store).await;
    a_close_to_retry_is_kept_on_pending_sessions_only(store).await;
    why_a_session_failed_is_kept_and_reported_with_its_event(store).await;
    the_consoles_pages_are_newest_first_searched_exactly_and_keyset_paged(store).await;
    the_consoles_events_are_found_listed_and_retried(store).await;
    refunds_never_exceed_what_was_paid(store).await;
    leases_go_to_one_holder_at_a_time(store, store).await;
    a_key_with_a_nul_byte_names_nothing(store).await;
    must("ping", store.ping().await);
}

/// A session stored with why it would fail keeps it; the event of its move to `failed` (made from
/// the record in the transition) carries it; a session stored without one reads none.
async fn why_a_session_failed_is_kept_and_reported_with_its_event(store: &dyn Store) {
    use wallet_checkout_protocol::{Failure, FailureCode};
    let order = format!("O{}", random_id(8));
    let declined_code = Some(Failure {
        code: FailureCode::PaymentCodeDeclined,
    });
    let mut declined = sample_record(&order, 1, None);
    declined.session.failure = declined_code.clone();
    let plain = sample_record(&order, 2, None);
    let (d, p) = (
        SessionId::from(&declined.session.id),
        SessionId::from(&plain.session.id),
    );
    must("insert", store.insert(declined.clone(), w()).await);
    must("insert", store.insert(plain.clone(), w()).await);
    let seen = std::sync::Arc::new(std::sync::Mutex::new(None));
    let into = seen.clone();
    let events: EventsFor = Box::new(move |r, _| {
        if let Ok(mut s) = into.lock() {
            *s = Some(r.session.failure.clone());
        }
        Vec::new()
    });
    let (after, changed) = must(
        "failed",
        store.transition(&d, Status::Failed, events, w()).await,
    )
    .unwrap_or_else(|| panic!("the session is there"));
    assert!(changed);
    assert_eq!(after.session.failure, declined_code);
    assert_eq!(
        seen.lock().ok().and_then(|s| s.clone()),
        Some(declined_code.clone()),
        "the event is made from the record with its failure"
    );
    let read = must("get", store.get(&d).await).unwrap_or_else(|| panic!("stored"));
    assert_eq!(read.session.failure, declined_code);
    let other = must("get", store.get(&p).await).unwrap_or_else(|| panic!("stored"));
    assert_eq!(other.session.failure, None);
}

/// The console's list: newest first, a page after another never repeats or skips a row, a search is
/// an exact order reference, session id or gateway id (SQL and LIKE wildcards are found literally,
/// which is nothing here), a status narrows it, and past the end is an empty page.
async fn the_consoles_pages_are_newest_first_searched_exactly_and_keyset_paged(store: &dyn Store) {
    use super::SessionQuery;
    let order = format!("P{}", random_id(8));
    let mut made = Vec::new();
    for second in 0..5 {
        // Times far in the future, so no other test's session sorts between them.
        let mut r = sample_record(&order, second, None);
        r.session.created_at = format!("2999-01-01T00:00:{second:02}Z");
        must("insert", store.insert(r.clone(), w()).await);
        made.push(r);
    }
    // Two in the same second: the id breaks the tie.
    let mut twin = sample_record(&order, 4, None);
    twin.session.created_at = made[4].session.created_at.clone();
    must("insert", store.insert(twin.clone(), w()).await);
    made.push(twin);
    let none: EventsFor = Box::new(|_, _| Vec::new());
    must(
        "paid",
        store
            .transition(&made[2].id(), Status::Succeeded, none, w())
            .await,
    );
    let mut expected: Vec<&SessionRecord> = made.iter().collect();
    expected.sort_by(|a, b| {
        (&b.session.created_at, &b.session.id).cmp(&(&a.session.created_at, &a.session.id))
    });
    let ids = |v: &[SessionRecord]| v.iter().map(|r| r.session.id.clone()).collect::<Vec<_>>();
    let want: Vec<String> = expected.iter().map(|r| r.session.id.clone()).collect();

    let mut seen = Vec::new();
    let mut before = None;
    loop {
        let q = SessionQuery {
            search: Some(order.clone()),
            status: None,
            before: before.clone(),
            limit: 4,
            ..Default::default()
        };
        let page = must("page", store.sessions_page(&q).await);
        if page.is_empty() {
            break;
        }
        before = page
            .last()
            .map(|r| (r.session.created_at.clone(), r.session.id.clone()));
        seen.extend(ids(&page));
        assert!(seen.len() <= want.len(), "paging repeats rows: {seen:?}");
    }
    assert_eq!(seen, want, "newest first, every row once, across pages");

    let by = |search: &str, status: Option<Status>| SessionQuery {
        search: Some(search.to_string()),
        status,
        before: None,
        limit: 50,
        ..Default::default()
    };
    let paid = must(
        "paid",
        store
            .sessions_page(&by(&order, Some(Status::Succeeded)))
            .await,
    );
    assert_eq!(ids(&paid), vec![made[2].session.id.clone()]);
    let one = must(
        "by id",
        store.sessions_page(&by(&made[1].session.id, None)).await,
    );
    assert_eq!(ids(&one), vec![made[1].session.id.clone()]);
    let gw = must(
        "by gateway id",
        store.sessions_page(&by(&made[3].gateway_ref, None)).await,
    );
    assert_eq!(ids(&gw), vec![made[3].session.id.clone()]);
    for literal in ["%", "_", "P%", "' OR '1'='1", &format!("{}%", &order[..3])] {
        let found = must("literal", store.sessions_page(&by(literal, None)).await);
        assert!(found.is_empty(), "{literal:?} found {:?}", ids(&found));
    }
    let all = must(
        "no search",
        store
            .sessions_page(&SessionQuery {
                limit: 3,
                ..Default::default()
            })
            .await,
    );
    assert_eq!(all.len(), 3, "without a search, the newest of every order");
    // The export's range: created at or after `from`, before `until`.
    let (from, until) = ("2999-01-01T00:00:02Z", "2999-01-01T00:00:04Z");
    let ranged = must(
        "range",
        store
            .sessions_page(&SessionQuery {
                search: Some(order.clone()),
                from: Some(from.into()),
                until: Some(until.into()),
                limit: 50,
                ..Default::default()
            })
            .await,
    );
    let in_range: Vec<String> = expected
        .iter()
        .filter(|r| r.session.created_at.as_str() >= from && r.session.created_at.as_str() < until)
        .map(|r| r.session.id.clone())
        .collect();
    assert!(!in_range.is_empty(), "the sample has sessions in the range");
    assert_eq!(ids(&ranged), in_range);
}

/// The console's webhooks: an event is found by its session, listed newest first with keyset
/// paging, keeps its last answer's status, and "Retry now" makes an undelivered one due at once.
async fn the_consoles_events_are_found_listed_and_retried(store: &dyn Store) {
    let order_ref = format!("O{}", random_id(8));
    let (a, b) = (
        sample_record(&order_ref, 1, None),
        sample_record(&order_ref, 2, None),
    );
    must("insert", store.insert(a.clone(), w()).await);
    must("insert", store.insert(b.clone(), w()).await);
    let about = |r: &SessionRecord, kind: &'static str, at: &str, first: Option<i64>| NewEvent {
        kind,
        created_at: at.into(),
        first_attempt_ms: first,
        data: serde_json::json!({ "order": { "reference": r.session.order }, "session": { "id": r.session.id } }),
    };
    let ea = about(&a, "session.succeeded", "2000-01-01T00:00:00Z", Some(1_000));
    let eb = about(&b, "session.expired", "2026-01-01T00:00:09Z", None);
    let paid: EventsFor = Box::new(move |_, _| vec![ea]);
    let expired: EventsFor = Box::new(move |_, _| vec![eb]);
    must(
        "pay",
        store
            .transition(&a.id(), Status::Succeeded, paid, w())
            .await,
    );
    must(
        "expire",
        store
            .transition(&b.id(), Status::Expired, expired, w())
            .await,
    );

    let of_a = must("a's", store.events_for_session(&a.id()).await);
    assert_eq!(
        of_a.iter().map(|e| e.kind.as_str()).collect::<Vec<_>>(),
        ["session.succeeded"]
    );
    let of_b = must("b's", store.events_for_session(&b.id()).await);
    assert_eq!(of_b.len(), 1);
    assert!(must(
        "none",
        store.events_for_session(&SessionId::from("cs_none")).await
    )
    .is_empty());

    let newest = must("page", store.events_page(None, 2).await);
    assert_eq!(
        newest.iter().map(|e| e.id.clone()).collect::<Vec<_>>(),
        [of_b[0].id.clone(), of_a[0].id.clone()],
        "newest first"
    );
    let next = must("next", store.events_page(Some(&of_b[0].id), 1).await);
    assert_eq!(next.first().map(|e| e.id.clone()), Some(of_a[0].id.clone()));
    assert!(must("unknown", store.events_page(Some("evt_none"), 5).await).is_empty());
    assert!(must("nul", store.events_page(Some("evt_\0"), 5).await).is_empty());

    assert_eq!(
        must("oldest", store.oldest_undelivered().await).as_deref(),
        Some("2000-01-01T00:00:00Z"),
        "a's event is the oldest still to deliver (b's has no delivery)"
    );
    let report = |before, delivered, next, status| Attempt {
        event: of_a[0].id.clone(),
        attempts_before: before,
        delivered,
        next_attempt_ms: next,
        status,
    };
    must(
        "a 500",
        store
            .record_attempts(&[report(0, false, Some(900_000), Some(500))])
            .await,
    );
    let kept = must("a's", store.events_for_session(&a.id()).await);
    assert_eq!((kept[0].attempts, kept[0].last_status), (1, Some(500)));
    assert!(must(
        "retry",
        store.retry_event(&of_a[0].id, 2_000, 22_000).await
    ));
    let due = must("due", store.claim_due(2_000, 3_000, 100_000).await);
    assert!(
        due.iter().any(|e| e.id == of_a[0].id),
        "due at once after Retry now"
    );
    // Retry now while that attempt is in flight (held until 3 000): left held, never sent twice.
    assert!(must(
        "retry in flight",
        store.retry_event(&of_a[0].id, 2_500, 22_500).await
    ));
    let again = must("due", store.claim_due(2_500, 3_500, 100_000).await);
    assert!(
        !again.iter().any(|e| e.id == of_a[0].id),
        "an attempt in flight is not taken again"
    );
    must(
        "no answer",
        store.record_attempts(&[report(1, false, None, None)]).await,
    );
    let given_up = must("a's", store.events_for_session(&a.id()).await);
    assert_eq!(
        (given_up[0].last_status, given_up[0].next_attempt_ms),
        (None, None),
        "no answer: no status; given up"
    );
    assert!(
        must(
            "retry a given-up event",
            store.retry_event(&of_a[0].id, 4_000, 24_000).await
        ),
        "a given-up event can be retried"
    );
    must(
        "delivered",
        store
            .record_attempts(&[report(2, true, None, Some(204))])
            .await,
    );
    let done = must("a's", store.events_for_session(&a.id()).await);
    assert_eq!((done[0].delivered, done[0].last_status), (true, Some(204)));
    assert!(!must(
        "retry delivered",
        store.retry_event(&of_a[0].id, 5_000, 25_000).await
    ));
    assert!(!must(
        "retry unknown",
        store.retry_event("evt_none", 5_000, 25_000).await
    ));
    assert_ne!(
        must("oldest", store.oldest_undelivered().await).as_deref(),
        Some("2000-01-01T00:00:00Z"),
        "delivered: no longer the backlog"
    );

    // The export's extras: when a session was paid and what its succeeded refunds took.
    let mut ok = refund(&a.session.id, 100, 1);
    ok.status = RefundStatus::Succeeded;
    let mut lost = refund(&a.session.id, 50, 2);
    lost.status = RefundStatus::Failed;
    must("refund", store.insert_refund(ok, 1234, w()).await);
    must("refund", store.insert_refund(lost, 1234, w()).await);
    let extras = must(
        "extras",
        store
            .paid_and_refunded(&[a.id(), b.id(), SessionId::from("cs_none")])
            .await,
    );
    assert_eq!(
        extras.get(&a.session.id),
        Some(&super::PaidAndRefunded {
            paid_at: Some("2000-01-01T00:00:00Z".into()),
            refunded: 100,
        })
    );
    assert_eq!(
        extras.get(&b.session.id),
        None,
        "expired, never paid or refunded"
    );
    assert_eq!(extras.len(), 1);
    assert!(must("none", store.paid_and_refunded(&[]).await).is_empty());
}

/// Outside text reaches lookups as it came (`/sessions/%00`): it finds nothing, never an error.
async fn a_key_with_a_nul_byte_names_nothing(store: &dyn Store) {
    let nul = "cs_\0x";
    assert!(must("get", store.get(&SessionId::from(nul)).await).is_none());
    assert!(must("key", store.by_idempotency_key(nul).await).is_none());
    assert!(must("order", store.get_order(&OrderRef::from(nul)).await).is_none());
    assert!(must("by order", store.by_order(&OrderRef::from(nul)).await).is_empty());
    assert!(must("refund", store.get_refund(&RefundId::from(nul)).await).is_none());
    assert!(must("refunds", store.refunds(&SessionId::from(nul)).await).is_empty());
    assert!(must("refund key", store.refund_by_key(nul).await).is_none());
    assert!(must("events", store.events_after(Some(nul), 10).await).is_none());
}

/// What two stores on one database (two instances) must do together: one change wins, one lease
/// holder, disjoint webhook claims, refunds summed across both.
pub async fn check_shared(a: &dyn Store, b: &dyn Store) {
    leases_go_to_one_holder_at_a_time(a, b).await;
    // A change made through one is read through the other, and racing changes win once.
    let record = sample_record(&format!("O{}", random_id(8)), 0, None);
    let id = record.session.id.clone();
    must("insert", a.insert(record, w()).await);
    let id_0 = SessionId::from(&id);
    let (x, y) = tokio::join!(
        a.transition(
            &id_0,
            Status::Succeeded,
            events_for("session.succeeded"),
            w()
        ),
        b.transition(
            &id_0,
            Status::Succeeded,
            events_for("session.succeeded"),
            w()
        )
    );
    let changed = [x, y]
        .into_iter()
        .filter(|r| matches!(r, Ok(Some((_, true)))))
        .count();
    assert_eq!(changed, 1, "one of two instances moves the session");
    assert_eq!(
        must("read", b.get(&SessionId::from(&id)).await).map(|r| r.session.status),
        Some(Status::Succeeded)
    );
    // Claims made at once through both never take the same event.
    for _ in 0..20 {
        let r = sample_record(&format!("O{}", random_id(8)), 0, None);
        let rid = r.session.id.clone();
        must("insert", a.insert(r, w()).await);
        must(
            "pay",
            a.transition(
                &SessionId::from(&rid),
                Status::Succeeded,
                events_for("session.succeeded"),
                w(),
            )
            .await,
        );
    }
    let (one, two) = tokio::join!(
        a.claim_due(i64::MAX - 1, i64::MAX, 15),
        b.claim_due(i64::MAX - 1, i64::MAX, 15)
    );
    let (one, two) = (must("claim", one), must("claim", two));
    assert!(one.len() + two.len() >= 21, "{} + {}", one.len(), two.len());
    assert!(
        one.iter().all(|e| !two.iter().any(|f| f.id == e.id)),
        "an event was claimed by both"
    );
    // Refunds through both, for more than was paid between them: one is written.
    let paid = sample_record(&format!("O{}", random_id(8)), 0, None);
    let pid = paid.session.id.clone();
    must("insert", a.insert(paid, w()).await);
    let (x, y) = tokio::join!(
        a.insert_refund(refund(&pid, 700, 1), 1000, w()),
        b.insert_refund(refund(&pid, 700, 2), 1000, w())
    );
    assert_eq!(
        usize::from(x.is_ok()) + usize::from(y.is_ok()),
        1,
        "{x:?} {y:?}"
    );
    // The refund ends once, and tells of it once, whichever instance asks.
    let kept = must("list", b.refunds(&SessionId::from(&pid)).await);
    let before = must("events", a.events_after(None, 10_000).await)
        .unwrap_or_default()
        .len();
    let id_0 = RefundId::from(&kept[0].id);
    let (x, y) = tokio::join!(
        a.update_refund(
            &id_0,
            RefundStatus::Succeeded,
            Some("G1"),
            Some(refund_event()),
            w()
        ),
        b.update_refund(
            &id_0,
            RefundStatus::Succeeded,
            Some("G1"),
            Some(refund_event()),
            w()
        )
    );
    must("end", x);
    must("end", y);
    let after = must("events", b.events_after(None, 10_000).await)
        .unwrap_or_default()
        .len();
    assert_eq!(after, before + 1, "one refund.succeeded event");
}

fn events_for(kind: &'static str) -> EventsFor {
    Box::new(move |r, _| {
        vec![NewEvent {
            kind,
            created_at: "2026-01-01T00:00:00Z".into(),
            data: serde_json::json!({ "session": r.session.id }),
            first_attempt_ms: Some(0),
        }]
    })
}

fn refund_event() -> NewEvent {
    NewEvent {
        kind: "refund.succeeded",
        created_at: "2026-01-01T00:02:00Z".into(),
        data: serde_json::json!({}),
        first_attempt_ms: Some(0),
    }
}

/// `a` and `b` may be one store or two on one database.
async fn leases_go_to_one_holder_at_a_time(a: &dyn Store, b: &dyn Store) {
    let record = sample_record(&format!("O{}", random_id(8)), 0, None);
    let id = record.session.id.clone();
    must("insert", a.insert(record, w()).await);
    let id_0 = SessionId::from(&id);
    let (x, y) = tokio::join!(
        a.lease(&id_0, "A", 1_000, 5_000),
        b.lease(&id_0, "B", 1_000, 5_000)
    );
    let (x, y) = (must("lease", x), must("lease", y));
    assert!(x ^ y, "one holder: {x} {y}");
    let (holder, other) = if x { ("A", "B") } else { ("B", "A") };
    assert!(
        !must(
            "lease",
            b.lease(&SessionId::from(&id), other, 4_999, 9_000).await
        ),
        "held until 5000"
    );
    assert!(
        must(
            "lease",
            b.lease(&SessionId::from(&id), holder, 4_000, 9_000).await
        ),
        "the holder renews"
    );
    assert!(
        must(
            "lease",
            a.lease(&SessionId::from(&id), other, 9_000, 12_000).await
        ),
        "a lease runs out and another takes it"
    );
    must(
        "end",
        a.transition(&SessionId::from(&id), Status::Expired, none(), w())
            .await,
    );
    assert!(
        !must(
            "lease",
            a.lease(&SessionId::from(&id), other, 20_000, 30_000).await
        ),
        "only pending sessions"
    );
    assert!(!must(
        "lease",
        a.lease(&SessionId::from("cs_nobody"), "A", 0, 1).await
    ));
}

async fn refunds_never_exceed_what_was_paid(store: &dyn Store) {
    let paid = |n| sample_record(&format!("O{}", random_id(8)), n, None);
    let (one, two) = (paid(1), paid(2));
    must("insert", store.insert(one.clone(), w()).await);
    must("insert", store.insert(two.clone(), w()).await);
    let session = one.session.id.clone();
    must(
        "first",
        store
            .insert_refund(refund(&session, 600, 1), 1000, w())
            .await,
    );
    assert!(
        matches!(
            store
                .insert_refund(refund(&session, 500, 2), 1000, w())
                .await,
            Err(StoreError::OverRefund { left: 400 })
        ),
        "600 + 500 > 1000"
    );
    let mut failed = refund(&session, 400, 3);
    failed.status = RefundStatus::Failed;
    must(
        "a failed one is on record",
        store.insert_refund(failed, u64::MAX, w()).await,
    );
    must(
        "the rest",
        store
            .insert_refund(refund(&session, 400, 4), 1000, w())
            .await,
    );
    assert!(matches!(
        store.insert_refund(refund(&session, 1, 5), 1000, w()).await,
        Err(StoreError::OverRefund { left: 0 })
    ));
    // Two at once for more than is left between them: exactly one is written.
    let other = two.session.id.clone();
    let (a, b) = tokio::join!(
        store.insert_refund(refund(&other, 700, 1), 1000, w()),
        store.insert_refund(refund(&other, 700, 2), 1000, w())
    );
    assert_eq!(
        usize::from(a.is_ok()) + usize::from(b.is_ok()),
        1,
        "{a:?} {b:?}"
    );
    let kept = must("list", store.refunds(&SessionId::from(&other)).await);
    assert_eq!(kept.len(), 1);
}

async fn a_close_to_retry_is_kept_on_pending_sessions_only(store: &dyn Store) {
    let order = format!("O{}", random_id(8));
    let (open, done) = (
        sample_record(&order, 1, None),
        sample_record(&order, 2, None),
    );
    must("insert", store.insert(open.clone(), w()).await);
    must("insert", store.insert(done.clone(), w()).await);
    let none: EventsFor = Box::new(|_, _| Vec::new());
    must(
        "paid",
        store
            .transition(
                &SessionId::from(&done.session.id),
                Status::Succeeded,
                none,
                w(),
            )
            .await,
    );
    must(
        "mark",
        store
            .request_close(&SessionId::from(&open.session.id), Status::Cancelled)
            .await,
    );
    must(
        "mark",
        store
            .request_close(&SessionId::from(&done.session.id), Status::Cancelled)
            .await,
    );
    must(
        "mark",
        store
            .request_close(&SessionId::from("cs_nobody"), Status::Cancelled)
            .await,
    );
    let read = |id: String| async move {
        must("get", store.get(&SessionId::from(&id)).await).expect("kept")
    };
    let marked = read(open.session.id.clone()).await;
    assert_eq!(
        (marked.session.status, marked.close_as),
        (Status::Pending, Some(Status::Cancelled)),
        "still pending, its close to retry on record"
    );
    assert!(
        must("pending", store.pending().await)
            .iter()
            .any(|r| r.session.id == open.session.id && r.close_as == Some(Status::Cancelled)),
        "reconciliation's list carries the mark"
    );
    assert_eq!(
        read(done.session.id.clone()).await.close_as,
        None,
        "a paid session is left alone"
    );
    let said = |code: &str| GatewayResult {
        code: code.into(),
        message: format!("{code} said"),
    };
    must(
        "note",
        store
            .note_gateway_result(&SessionId::from(&done.session.id), said("A"))
            .await,
    );
    must(
        "note",
        store
            .note_gateway_result(&SessionId::from(&done.session.id), said("B"))
            .await,
    );
    assert_eq!(
        read(done.session.id.clone()).await.gateway_result,
        Some(said("B")),
        "the gateway's last word is kept"
    );
    assert_eq!(read(open.session.id.clone()).await.gateway_result, None);
}

fn event(kind: &'static str, marker: &str, first_attempt_ms: Option<i64>) -> NewEvent {
    NewEvent {
        kind,
        created_at: "2026-01-01T00:00:00Z".into(),
        first_attempt_ms,
        data: serde_json::json!({ "marker": marker }),
    }
}

async fn events_come_with_their_change_and_their_deliveries_are_kept(store: &dyn Store) {
    let marker = random_id(12);
    let order_ref = format!("O{}", random_id(8));
    let first = sample_record(&order_ref, 1, None);
    let second = sample_record(&order_ref, 2, None);
    must("insert", store.insert(first.clone(), w()).await);
    must("insert", store.insert(second.clone(), w()).await);
    let m = marker.clone();
    let seen = Arc::new(AtomicBool::new(true));
    let s2 = seen.clone();
    let made: EventsFor = Box::new(move |after, paid_before| {
        assert_eq!(
            after.session.status,
            Status::Succeeded,
            "the session after the change"
        );
        s2.store(paid_before, Ordering::SeqCst);
        vec![event("session.succeeded", &m, Some(1_000))]
    });
    must(
        "pay",
        store
            .transition(
                &SessionId::from(&first.session.id),
                Status::Succeeded,
                made,
                w(),
            )
            .await,
    );
    assert!(
        !seen.load(Ordering::SeqCst),
        "no other session was paid before"
    );
    let called = Arc::new(AtomicBool::new(false));
    let c2 = called.clone();
    let unchanged: EventsFor = Box::new(move |_, _| {
        c2.store(true, Ordering::SeqCst);
        vec![event("session.expired", "never", Some(0))]
    });
    must(
        "no move",
        store
            .transition(
                &SessionId::from(&first.session.id),
                Status::Expired,
                unchanged,
                w(),
            )
            .await,
    );
    assert!(!called.load(Ordering::SeqCst), "no change, no event");
    let m = marker.clone();
    let s2 = seen.clone();
    let twice: EventsFor = Box::new(move |_, paid_before| {
        s2.store(paid_before, Ordering::SeqCst);
        vec![
            event("session.succeeded", &m, Some(1_000)),
            event("order.paid_twice", &m, Some(1_000)),
        ]
    });
    must(
        "pay again",
        store
            .transition(
                &SessionId::from(&second.session.id),
                Status::Succeeded,
                twice,
                w(),
            )
            .await,
    );
    assert!(
        seen.load(Ordering::SeqCst),
        "the order was paid before by the other session"
    );

    let mut refund = refund(&second.session.id, 100, 1);
    refund.status = RefundStatus::Processing;
    must(
        "refund",
        store.insert_refund(refund.clone(), u64::MAX, w()).await,
    );
    let ends = Some(event("refund.succeeded", &marker, None));
    must(
        "ends",
        store
            .update_refund(
                &RefundId::from(&refund.id),
                RefundStatus::Succeeded,
                None,
                ends,
                w(),
            )
            .await,
    );
    let again = Some(event("refund.succeeded", "twice", None));
    must(
        "again",
        store
            .update_refund(
                &RefundId::from(&refund.id),
                RefundStatus::Succeeded,
                None,
                again,
                w(),
            )
            .await,
    );

    let all = must("events", store.events_after(None, 100_000).await).expect("from the start");
    let mine: Vec<_> = all
        .iter()
        .filter(|e| e.data["marker"] == marker.as_str())
        .collect();
    let kinds: Vec<&str> = mine.iter().map(|e| e.kind.as_str()).collect();
    assert_eq!(
        kinds,
        [
            "session.succeeded",
            "session.succeeded",
            "order.paid_twice",
            "refund.succeeded"
        ],
        "in the order of their changes, once each"
    );
    assert!(!all
        .iter()
        .any(|e| e.data["marker"] == "never" || e.data["marker"] == "twice"));
    assert!(mine
        .iter()
        .all(|e| e.id.starts_with("evt_") && !e.delivered && e.attempts == 0));
    let after_first =
        must("page", store.events_after(Some(&mine[0].id), 2).await).expect("known id");
    assert_eq!(after_first.len(), 2);
    assert_eq!(
        after_first[0].id, mine[1].id,
        "after= starts after that event"
    );
    assert!(must("page", store.events_after(Some("evt_unknown"), 10).await).is_none());

    let id = mine[0].id.clone();
    // Due: not delivered, its next attempt at or before `now` (what `claim_due` takes), read
    // without taking anything.
    let due = |now: i64| async move {
        must("events", store.events_after(None, 100_000).await)
            .unwrap_or_default()
            .into_iter()
            .filter(|e| !e.delivered && e.next_attempt_ms.is_some_and(|at| at <= now))
            .collect::<Vec<_>>()
    };
    assert!(
        !due(999).await.iter().any(|e| e.id == id),
        "not due before its time"
    );
    assert!(
        due(1_000).await.iter().any(|e| e.id == id),
        "due at its time"
    );
    assert!(
        !due(i64::MAX).await.iter().any(|e| e.id == mine[3].id),
        "no webhook: never due"
    );
    let claim = |now| async move { must("claim", store.claim_due(now, 60_000, 100_000).await) };
    assert!(
        !claim(999).await.iter().any(|e| e.id == id),
        "not claimed before its time"
    );
    let taken = claim(1_000).await;
    let e = taken
        .iter()
        .find(|e| e.id == id)
        .expect("claimed at its time");
    assert_eq!((e.attempts, e.delivered), (0, false));
    assert!(
        !claim(1_000).await.iter().any(|e| e.id == id),
        "claimed once: a second sender finds it held"
    );
    assert!(
        !due(59_999).await.iter().any(|e| e.id == id),
        "held while in flight"
    );
    assert!(
        claim(60_000).await.iter().any(|e| e.id == id),
        "an attempt that never reported (a crash) is due again when the hold ends"
    );
    let report = |before, delivered, next| {
        vec![Attempt {
            event: id.clone(),
            attempts_before: before,
            delivered,
            next_attempt_ms: next,
            status: None,
        }]
    };
    must(
        "fail",
        store.record_attempts(&report(0, false, Some(5_000))).await,
    );
    must(
        "a stale report (its claim ran out and another attempt counted first)",
        store.record_attempts(&report(0, false, Some(1))).await,
    );
    assert!(!due(4_999).await.iter().any(|e| e.id == id));
    let again = due(5_000).await;
    let e = again.iter().find(|e| e.id == id).expect("due again");
    assert_eq!((e.attempts, e.delivered), (1, false));
    must(
        "deliver",
        store.record_attempts(&report(1, true, Some(9_000))).await,
    );
    assert!(
        !due(i64::MAX).await.iter().any(|e| e.id == id),
        "delivered: never due again"
    );
    must(
        "late report",
        store.record_attempts(&report(2, false, Some(1))).await,
    );
    assert!(
        !due(i64::MAX).await.iter().any(|e| e.id == id),
        "a late failure never undoes a delivery"
    );
    let listed = must("events", store.events_after(None, 100_000).await).expect("all");
    let e = listed.iter().find(|e| e.id == id).expect("still listed");
    assert_eq!(
        (e.attempts, e.delivered, e.next_attempt_ms),
        (2, true, None)
    );
    must(
        "give up",
        store
            .record_attempts(&[Attempt {
                event: mine[1].id.clone(),
                attempts_before: 0,
                delivered: false,
                next_attempt_ms: None,
                status: None,
            }])
            .await,
    );
    assert!(
        !due(i64::MAX).await.iter().any(|e| e.id == mine[1].id),
        "given up: never due"
    );
}

fn order(reference: &str, value: u64) -> OrderRecord {
    OrderRecord {
        reference: reference.into(),
        amount: Money::new(value, "CNY").unwrap_or_else(|e| panic!("{e}")),
        description: "Green tea ×2".into(),
        customer: Some(Customer {
            id: "C200492312".into(),
            registered_at: Some("2021-05-26T08:09:32Z".into()),
            name: Some("张三".into()),
            phone: None,
            id_number: None,
        }),
        metadata: [("cart".to_string(), "88123".to_string())].into(),
        client_secret: crate::core::domain::new_client_secret(),
        created_at: "2026-01-01T00:00:00Z".into(),
        updated_at: "2026-01-01T00:00:00Z".into(),
    }
}

async fn orders_are_put_read_and_locked_once_a_session_exists(store: &dyn Store) {
    let reference = format!("O{}", random_id(8));
    let first = order(&reference, 1234);
    assert_eq!(
        must("put", store.put_order(first.clone()).await),
        Put::Created(first.clone())
    );
    assert_eq!(
        must("get", store.get_order(&OrderRef::from(&reference)).await),
        Some(first.clone())
    );
    let mut changed = order(&reference, 999);
    changed.customer = None;
    changed.metadata.clear();
    changed.created_at = "2026-02-02T00:00:00Z".into();
    changed.updated_at = "2026-02-02T00:00:00Z".into();
    // A later put brings a secret of its own (a PUT makes one): the order keeps its first.
    assert_ne!(changed.client_secret, first.client_secret);
    let kept = OrderRecord {
        created_at: first.created_at.clone(),
        client_secret: first.client_secret.clone(),
        ..changed.clone()
    };
    assert_eq!(
        must("update", store.put_order(changed).await),
        Put::Updated(kept.clone()),
        "without a session everything may change; created_at and the client secret stay"
    );
    assert_eq!(
        must("get", store.get_order(&OrderRef::from(&reference)).await),
        Some(kept.clone())
    );
    // A session for an amount the order no longer has (a PUT on another instance came between
    // the read and the write) is refused, and nothing is written.
    let stale = sample_record(&reference, 0, None);
    assert!(
        matches!(
            store.insert(stale.clone(), w()).await,
            Err(StoreError::Locked)
        ),
        "1234 is not the order's 999"
    );
    assert_eq!(
        must("get", store.get(&SessionId::from(&stale.session.id)).await),
        None
    );
    let mut session = sample_record(&reference, 0, None);
    session.session.amount = kept.amount.clone();
    must("session", store.insert(session, w()).await);
    assert!(
        matches!(
            store.put_order(order(&reference, 1000)).await,
            Err(StoreError::Locked)
        ),
        "a session locks the amount"
    );
    assert_eq!(
        must("get", store.get_order(&OrderRef::from(&reference)).await),
        Some(kept.clone()),
        "a locked put writes nothing"
    );
    let mut same_amount = kept.clone();
    same_amount.description = "Oolong".into();
    assert!(matches!(
        must("update", store.put_order(same_amount).await),
        Put::Updated(o) if o.description == "Oolong"
    ));
    assert_eq!(
        must("get", store.get_order(&OrderRef::from("O-missing")).await),
        None
    );
}

async fn inserts_reads_and_refuses_duplicates(store: &dyn Store) {
    let order = format!("O{}", random_id(8));
    let key = format!("k-{}", random_id(8));
    let first = sample_record(&order, 1, Some(&key));
    must("insert", store.insert(first.clone(), w()).await);
    assert_eq!(
        must("get", store.get(&SessionId::from(&first.session.id)).await),
        Some(first.clone()),
        "a session reads back exactly as written"
    );
    assert_eq!(
        must("get", store.get(&SessionId::from("cs_missing")).await),
        None
    );
    let mut same_id = sample_record(&order, 2, None);
    same_id.session.id = first.session.id.clone();
    assert!(
        matches!(store.insert(same_id, w()).await, Err(StoreError::Conflict)),
        "a second session with the same id is a conflict"
    );
    assert!(
        matches!(
            store
                .insert(sample_record(&order, 3, Some(&key)), w())
                .await,
            Err(StoreError::Conflict)
        ),
        "a second session with the same idempotency key is a conflict"
    );
    assert_eq!(
        must("by key", store.by_idempotency_key(&key).await).map(|r| r.session.id),
        Some(first.session.id.clone())
    );
    // Written out of order; read back oldest first.
    let later = sample_record(&order, 9, None);
    let earlier = sample_record(&order, 5, None);
    must("insert", store.insert(later.clone(), w()).await);
    must("insert", store.insert(earlier.clone(), w()).await);
    let ids: Vec<String> = must("by order", store.by_order(&OrderRef::from(&order)).await)
        .into_iter()
        .map(|r| r.session.id)
        .collect();
    assert_eq!(
        ids,
        [first.session.id, earlier.session.id, later.session.id],
        "by_order is oldest first"
    );
}

async fn transitions_follow_may_become(store: &dyn Store) {
    for from in STATUSES {
        for to in STATUSES {
            let record = sample_record(&format!("O{}", random_id(8)), 0, None);
            let id = record.session.id.clone();
            must("insert", store.insert(record, w()).await);
            if from != Status::Pending {
                must(
                    "setup",
                    store
                        .transition(&SessionId::from(&id), from, none(), w())
                        .await,
                );
            }
            let (after, changed) = must(
                "transition",
                store
                    .transition(&SessionId::from(&id), to, none(), w())
                    .await,
            )
            .unwrap_or_else(|| panic!("{id} vanished"));
            assert_eq!(
                changed,
                from.may_become(to),
                "{from:?} → {to:?} changed = {changed}"
            );
            let want = if changed { to } else { from };
            assert_eq!(after.session.status, want, "{from:?} → {to:?}");
            let read =
                must("get", store.get(&SessionId::from(&id)).await).map(|r| r.session.status);
            assert_eq!(read, Some(want), "{from:?} → {to:?} as read back");
        }
    }
    assert!(must(
        "transition",
        store
            .transition(
                &SessionId::from("cs_missing"),
                Status::Succeeded,
                none(),
                w()
            )
            .await
    )
    .is_none());
}

async fn concurrent_transitions_change_once(store: &dyn Store) {
    let record = sample_record(&format!("O{}", random_id(8)), 0, None);
    let id = record.session.id.clone();
    must("insert", store.insert(record, w()).await);
    let id_0 = SessionId::from(&id);
    let (a, b, c) = tokio::join!(
        store.transition(&id_0, Status::Expired, none(), w()),
        store.transition(&id_0, Status::Cancelled, none(), w()),
        store.transition(&id_0, Status::Failed, none(), w()),
    );
    let changed = [a, b, c]
        .into_iter()
        .map(|r| r.ok().flatten().is_some_and(|(_, changed)| changed))
        .filter(|c| *c)
        .count();
    assert_eq!(
        changed, 1,
        "exactly one of three racing final statuses wins"
    );
}

async fn pending_lists_only_pending(store: &dyn Store) {
    let waiting = sample_record(&format!("O{}", random_id(8)), 0, None);
    let paid = sample_record(&format!("O{}", random_id(8)), 0, None);
    must("insert", store.insert(waiting.clone(), w()).await);
    must("insert", store.insert(paid.clone(), w()).await);
    must(
        "pay",
        store
            .transition(
                &SessionId::from(&paid.session.id),
                Status::Succeeded,
                none(),
                w(),
            )
            .await,
    );
    let pending = must("pending", store.pending().await);
    assert!(pending.iter().all(|r| r.session.status == Status::Pending));
    assert!(pending.iter().any(|r| r.session.id == waiting.session.id));
    assert!(!pending.iter().any(|r| r.session.id == paid.session.id));
}

async fn refunds_are_kept_in_order(store: &dyn Store) {
    let record = sample_record(&format!("O{}", random_id(8)), 0, None);
    let id = record.session.id.clone();
    must("insert", store.insert(record, w()).await);
    let second = refund(&id, 200, 7);
    let first = refund(&id, 100, 3);
    must(
        "refund",
        store.insert_refund(second.clone(), u64::MAX, w()).await,
    );
    must(
        "refund",
        store.insert_refund(first.clone(), u64::MAX, w()).await,
    );
    assert!(
        matches!(
            store.insert_refund(first.clone(), u64::MAX, w()).await,
            Err(StoreError::Conflict)
        ),
        "a refund id is unique"
    );
    let key = format!("rk-{}", random_id(8));
    let keyed = RefundRecord {
        idempotency_key: Some(key.clone()),
        ..refund(&id, 50, 9)
    };
    must(
        "keyed",
        store.insert_refund(keyed.clone(), u64::MAX, w()).await,
    );
    assert_eq!(
        must("by key", store.refund_by_key(&key).await),
        Some(keyed.clone())
    );
    let again = RefundRecord {
        idempotency_key: Some(key.clone()),
        ..refund(&id, 50, 9)
    };
    assert!(
        matches!(
            store.insert_refund(again, u64::MAX, w()).await,
            Err(StoreError::Conflict)
        ),
        "one refund per idempotency key"
    );
    assert_eq!(
        must("by key", store.refund_by_key("rk-missing").await),
        None
    );
    let processing = must("processing", store.processing_refunds().await);
    assert!(
        processing.iter().any(|r| r.id == first.id) && processing.iter().any(|r| r.id == second.id)
    );
    let listed: Vec<String> = must("refunds", store.refunds(&SessionId::from(&id)).await)
        .into_iter()
        .map(|r| r.id)
        .collect();
    assert_eq!(
        listed,
        [first.id.clone(), second.id.clone(), keyed.id.clone()],
        "oldest first"
    );
    must(
        "update",
        store
            .update_refund(
                &RefundId::from(&first.id),
                RefundStatus::Processing,
                Some("R9"),
                None,
                w(),
            )
            .await,
    );
    must(
        "update",
        store
            .update_refund(
                &RefundId::from(&first.id),
                RefundStatus::Succeeded,
                None,
                None,
                w(),
            )
            .await,
    );
    let got = must(
        "get refund",
        store.get_refund(&RefundId::from(&first.id)).await,
    )
    .unwrap_or_else(|| panic!("refund {} vanished", first.id));
    assert!(
        !must("processing", store.processing_refunds().await)
            .iter()
            .any(|r| r.id == first.id),
        "an ended refund is no longer processing"
    );
    assert_eq!(
        (got.status, got.gateway_ref.as_deref()),
        (RefundStatus::Succeeded, Some("R9")),
        "a later update without a gateway ref keeps the earlier one"
    );
    assert_eq!(
        must(
            "get refund",
            store.get_refund(&RefundId::from("rf_missing")).await
        ),
        None
    );
}

/// What `write_sample` wrote, for `check_sample` after a reopen.
#[derive(Debug)]
pub struct Sample {
    pub session: SessionRecord,
    pub refund: RefundRecord,
}

/// Writes a paid session with a refund (durability checks reopen the store afterwards).
pub async fn write_sample(store: &dyn Store) -> Sample {
    let mut session = sample_record(&format!("O{}", random_id(8)), 0, Some(&random_id(12)));
    must("insert", store.insert(session.clone(), w()).await);
    must(
        "pay",
        store
            .transition(
                &SessionId::from(&session.session.id),
                Status::Succeeded,
                none(),
                w(),
            )
            .await,
    );
    session.session.status = Status::Succeeded;
    let mut refund = refund(&session.session.id, 234, 1);
    must(
        "refund",
        store.insert_refund(refund.clone(), u64::MAX, w()).await,
    );
    must(
        "update",
        store
            .update_refund(
                &RefundId::from(&refund.id),
                RefundStatus::Succeeded,
                Some("R9"),
                None,
                w(),
            )
            .await,
    );
    refund.status = RefundStatus::Succeeded;
    refund.gateway_ref = Some("R9".into());
    Sample { session, refund }
}

/// Everything `write_sample` wrote reads back the same.
pub async fn check_sample(store: &dyn Store, sample: &Sample) {
    let id = &sample.session.session.id;
    assert_eq!(
        must("get", store.get(&SessionId::from(id)).await).as_ref(),
        Some(&sample.session)
    );
    assert_eq!(
        must("refunds", store.refunds(&SessionId::from(id)).await),
        std::slice::from_ref(&sample.refund)
    );
    let key = sample
        .session
        .idempotency_key
        .as_deref()
        .unwrap_or_default();
    assert_eq!(
        must("by key", store.by_idempotency_key(key).await).map(|r| r.session.id),
        Some(id.clone())
    );
}

/// A fresh, empty database on the tests' PostgreSQL cluster, as a store URL. The cluster's address
/// is `WALLET_CHECKOUT_TEST_POSTGRES` (`postgres://user@host:port`), which `cargo xtask test` sets
/// after starting a throwaway cluster; without it this fails: a database that cannot start is a
/// failure, never a skip.
pub async fn postgres_database() -> String {
    let base = std::env::var("WALLET_CHECKOUT_TEST_POSTGRES").unwrap_or_else(|_| {
        panic!(
            "WALLET_CHECKOUT_TEST_POSTGRES is not set: run the tests through `cargo xtask test`, \
             which starts a throwaway PostgreSQL (or point it at a cluster you own)"
        )
    });
    let base = base.trim_end_matches('/');
    let (client, connection) =
        tokio_postgres::connect(&format!("{base}/postgres"), tokio_postgres::NoTls)
            .await
            .unwrap_or_else(|e| panic!("the test PostgreSQL at {base} cannot be reached: {e}"));
    let driver = tokio::spawn(connection);
    let name = format!("wc_{}", random_id(12));
    client
        .batch_execute(&format!("CREATE DATABASE {name}"))
        .await
        .unwrap_or_else(|e| panic!("CREATE DATABASE: {e}"));
    drop(client);
    let _ = driver.await;
    format!("{base}/{name}")
}
