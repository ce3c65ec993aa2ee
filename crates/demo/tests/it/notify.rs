//! `POST /notify/alphapay`: only a correctly signed, fresh notification for a known payment with the
//! stored amount and currency moves a session, and only forward.

use wallet_checkout_protocol::{Action, Flow, Money, Session, Status};
use wallet_checkout_server::gateway::alphapay::sign;
use wallet_checkout_server::store::SessionRecord;

use super::*;

const PAYMENT_ID: &str = "1234567890123456789012345";

/// A server trusting the KAT key as AlphaPay's, with one pending 12.34 CAD session.
async fn setup() -> (String, AppState) {
    let (base, state) =
        server_with_gateway("http://127.0.0.1:9", kat_key().to_public_key(), 1000).await;
    state
        .store()
        .insert(
            SessionRecord {
                session: Session {
                    id: "cs_n".into(),
                    order: "A1".into(),
                    status: Status::Pending,
                    wallet: Wallet::Alipay,
                    flow: Flow::Qr,
                    gateway: "alphapay".into(),
                    amount: Money::new(1234, "CAD").expect("money"),
                    description: "Tea".into(),
                    created_at: "2026-01-01T00:00:00Z".into(),
                    expires_at: "2999-01-01T00:00:00Z".into(),
                    action: Some(Action::Qr {
                        content: Some("x".into()),
                        matrix: None,
                        image: None,
                        url: None,
                    }),
                    failure: None,
                },
                gateway_ref: PAYMENT_ID.into(),
                merchant_ref: "cs_n".into(),
                idempotency_key: None,
                return_url: None,
                close_as: None,
                gateway_result: None,
            },
            wallet_checkout_server::checkout::Writer::for_tests(),
        )
        .await
        .expect("inserted");
    (base, state)
}

fn body(status: &str, value: &str, currency: &str) -> String {
    json!({
        "scenarioCode": "ONLINE_QRCODE", "paymentRequestId": "cs_n", "paymentId": PAYMENT_ID,
        "order": { "orderAmount": { "value": value, "currency": currency }, "description": "Tea" },
        "paymentStatus": status, "paymentTime": "2026-01-01T00:01:00+00:00"
    })
    .to_string()
}

struct Signed {
    key: RsaPrivateKey,
    merchant: &'static str,
    time: String,
}

impl Default for Signed {
    fn default() -> Signed {
        Signed {
            key: kat_key(),
            merchant: "TESTMC",
            time: sign::format_time(time::OffsetDateTime::now_utc()),
        }
    }
}

async fn send(base: &str, body: &str, signed: Option<Signed>) -> (u16, String) {
    send_altered(base, body, body, signed).await
}

/// Signs `signed_body` but sends `sent_body` (a body changed in transit).
async fn send_altered(
    base: &str,
    signed_body: &str,
    sent_body: &str,
    signed: Option<Signed>,
) -> (u16, String) {
    let mut req = reqwest::Client::new()
        .post(format!("{base}/notify/alphapay"))
        .body(sent_body.to_string());
    if let Some(s) = signed {
        let nonce = "0123456789abcdef0123456789abcdef";
        let content = sign::content(
            "POST",
            "/notify/alphapay",
            s.merchant,
            &s.time,
            nonce,
            signed_body,
        );
        req = req
            .header("Merchant-Code", s.merchant)
            .header("Request-Time", s.time)
            .header("Nonce", nonce)
            .header(
                "Signature",
                sign::header_value(&sign::sign(&s.key, &content)),
            );
    }
    let res = req.send().await.expect("sent");
    (res.status().as_u16(), res.text().await.unwrap_or_default())
}

async fn status_of(state: &AppState) -> Status {
    state
        .store()
        .get(&SessionId::from("cs_n"))
        .await
        .expect("store")
        .expect("session")
        .session
        .status
}

#[tokio::test]
async fn a_valid_notification_marks_the_session_paid_and_duplicates_change_nothing() {
    let (base, state) = setup().await;
    let changes = state.hub.subscribe("cs_n").expect("room");
    let (code, ack) = send(
        &base,
        &body("SUCCESS", "1234", "CAD"),
        Some(Signed::default()),
    )
    .await;
    assert_eq!(code, 200);
    assert!(ack.contains(r#""resultCode":"SUCCESS""#), "{ack}");
    assert_eq!(status_of(&state).await, Status::Succeeded);
    assert!(changes.has_changed(), "long polls were woken");
    for _ in 0..3 {
        let (code, _) = send(
            &base,
            &body("SUCCESS", "1234", "CAD"),
            Some(Signed::default()),
        )
        .await;
        assert_eq!(code, 200, "duplicates are acknowledged");
    }
    // A late FAILED or CLOSED never undoes a payment.
    for late in ["FAILED", "CLOSED", "PAYMENT_IN_PROCESS"] {
        send(&base, &body(late, "1234", "CAD"), Some(Signed::default())).await;
        assert_eq!(status_of(&state).await, Status::Succeeded, "{late}");
    }
}

#[tokio::test]
async fn forged_stale_and_mismatched_notifications_are_refused() {
    let (base, state) = setup().await;
    let other_key = RsaPrivateKey::new(&mut rand::thread_rng(), 1024).expect("key");
    let old = sign::format_time(time::OffsetDateTime::now_utc() - time::Duration::minutes(10));
    let future = sign::format_time(time::OffsetDateTime::now_utc() + time::Duration::minutes(10));
    let cases: Vec<(&str, String, Option<Signed>)> = vec![
        ("unsigned", body("SUCCESS", "1234", "CAD"), None),
        (
            "signed by another key",
            body("SUCCESS", "1234", "CAD"),
            Some(Signed {
                key: other_key,
                ..Signed::default()
            }),
        ),
        (
            "stale",
            body("SUCCESS", "1234", "CAD"),
            Some(Signed {
                time: old,
                ..Signed::default()
            }),
        ),
        (
            "from the future",
            body("SUCCESS", "1234", "CAD"),
            Some(Signed {
                time: future,
                ..Signed::default()
            }),
        ),
        (
            "another merchant",
            body("SUCCESS", "1234", "CAD"),
            Some(Signed {
                merchant: "OTHER",
                ..Signed::default()
            }),
        ),
        (
            "amount too low",
            body("SUCCESS", "1", "CAD"),
            Some(Signed::default()),
        ),
        (
            "other currency",
            body("SUCCESS", "1234", "USD"),
            Some(Signed::default()),
        ),
        ("not json", "{oops".to_string(), Some(Signed::default())),
    ];
    for (name, b, signed) in cases {
        let (code, ack) = send(&base, &b, signed).await;
        assert_eq!(code, 400, "{name}: {ack}");
        assert!(ack.contains(r#""resultStatus":"F""#), "{name}: {ack}");
        assert_eq!(
            status_of(&state).await,
            Status::Pending,
            "{name} moved the session"
        );
    }
    // Signed correctly, but the body was changed in transit.
    let good = body("SUCCESS", "1234", "CAD");
    let (code, _) = send_altered(
        &base,
        &good,
        &good.replace("1234", "1235"),
        Some(Signed::default()),
    )
    .await;
    assert_eq!(code, 400);
    assert_eq!(status_of(&state).await, Status::Pending);
}

#[tokio::test]
async fn notifications_for_unknown_gateways_or_payments_are_refused() {
    let (base, state) = setup().await;
    let res = reqwest::Client::new()
        .post(format!("{base}/notify/paypal"))
        .body("{}")
        .send()
        .await
        .expect("sent");
    assert_eq!(res.status().as_u16(), 404);
    let unknown = body("SUCCESS", "1234", "CAD").replace(PAYMENT_ID, "999");
    let (code, _) = send(&base, &unknown, Some(Signed::default())).await;
    assert_eq!(code, 400);
    assert_eq!(status_of(&state).await, Status::Pending);
}

#[tokio::test]
async fn a_signed_refund_notification_for_no_refund_of_ours_is_refused() {
    let (base, _state) = setup().await;
    let refund = json!({
        "refundId": "9876543210", "paymentId": PAYMENT_ID, "refundRequestId": "rf_not_ours",
        "refund": { "refundAmount": { "value": "100", "currency": "CAD" } },
        "refundTime": "2026-01-01T00:02:00+00:00", "refundStatus": "SUCCESS"
    })
    .to_string();
    let (code, ack) = send(&base, &refund, Some(Signed::default())).await;
    assert_eq!(code, 400, "{ack}");
    // Unsigned, it is refused before anything in it is read.
    let (code, _) = send(&base, &refund, None).await;
    assert_eq!(code, 400);
}
