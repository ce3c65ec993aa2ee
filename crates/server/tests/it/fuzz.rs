//! Every parser of outside input, fuzzed on stable Rust with `proptest` (bounded case counts, so a
//! run fits in `cargo xtask test`): the three gateways' notification decoders (also behind a valid
//! signature, so the parsing after the check is reached), their API answers over real loopback HTTP,
//! RFC 3339 and the gateways' own time and encoding helpers, and the config. Nothing may panic;
//! each input ends in `Ok` or a clear error.

use std::collections::BTreeMap;
use std::sync::{Arc, Mutex};

use axum::http::{HeaderMap, HeaderValue};
use proptest::prelude::*;
use rsa::pkcs8::{EncodePrivateKey, EncodePublicKey, LineEnding};
use rsa::RsaPrivateKey;
use wallet_checkout_protocol::Money;
use wallet_checkout_server::config::{Config, SecretMap};
use wallet_checkout_server::core::clock::{Clock, OffsetClock};
use wallet_checkout_server::gateway::alphapay::sign as alpha;
use wallet_checkout_server::gateway::pass2pay::sign as p2p;
use wallet_checkout_server::gateway::yabandpay::sign as yb;
use wallet_checkout_server::gateway::{Connector, IncomingNotification, NotifyError, PaymentRef};

const P2P_SECRET: &str = "fuzz-pass2pay-secret";
const YB_SECRET: &str = "fuzz-yabandpay-secret";

/// What every test needs once: RSA keys (slow to make), a fake gateway answering whatever the
/// current case put in `answer`, the three connectors pointed at it.
struct World {
    runtime: tokio::runtime::Runtime,
    gateway_key: RsaPrivateKey,
    answer: Arc<Mutex<(String, HeaderMap)>>,
    connectors: BTreeMap<String, Arc<dyn Connector>>,
    clock: Arc<OffsetClock>,
}

fn world() -> &'static World {
    static WORLD: std::sync::OnceLock<World> = std::sync::OnceLock::new();
    WORLD.get_or_init(|| {
        let runtime = tokio::runtime::Builder::new_multi_thread()
            .worker_threads(1)
            .enable_all()
            .build()
            .expect("runtime");
        let mut rng = rand::thread_rng();
        let merchant_key = RsaPrivateKey::new(&mut rng, 2048).expect("key");
        let gateway_key = RsaPrivateKey::new(&mut rng, 2048).expect("key");
        let answer: Arc<Mutex<(String, HeaderMap)>> = Arc::default();
        let served = answer.clone();
        let base = runtime.block_on(async move {
            let router = axum::Router::new().fallback(move || {
                let served = served.clone();
                async move {
                    let (body, headers) = served.lock().expect("lock").clone();
                    (headers, body)
                }
            });
            let listener = tokio::net::TcpListener::bind("127.0.0.1:0")
                .await
                .expect("bind");
            let addr = listener.local_addr().expect("addr");
            tokio::spawn(async move { axum::serve(listener, router).await });
            format!("http://{addr}")
        });
        let config = Config::parse(&format!(
            "public_url = \"https://shop.example\"\nstore = \"memory\"\n\
             [gateways.alphapay]\nbase_url = \"{base}\"\nmerchant_code = \"FUZZ\"\n\
             private_key_env = \"A_KEY\"\ngateway_public_key_env = \"A_PUB\"\n\
             [gateways.pass2pay]\nbase_url = \"{base}\"\nmch_no = \"M1\"\napp_id = \"app1\"\nsecret_env = \"P_SECRET\"\n\
             [gateways.yabandpay]\nbase_url = \"{base}\"\nuser = \"u1\"\nsecret_env = \"Y_SECRET\"\n"
        ))
        .expect("config");
        let secrets = SecretMap(BTreeMap::from([
            (
                "A_KEY".to_string(),
                merchant_key
                    .to_pkcs8_pem(LineEnding::LF)
                    .expect("pem")
                    .to_string(),
            ),
            (
                "A_PUB".to_string(),
                gateway_key
                    .to_public_key()
                    .to_public_key_pem(LineEnding::LF)
                    .expect("pem"),
            ),
            ("P_SECRET".to_string(), P2P_SECRET.to_string()),
            ("Y_SECRET".to_string(), YB_SECRET.to_string()),
        ]));
        let clock = Arc::new(OffsetClock::default());
        let http = reqwest::Client::builder()
            .timeout(std::time::Duration::from_secs(5))
            .build()
            .expect("client");
        let connectors = config
            .connectors(&secrets, clock.clone(), http)
            .expect("connectors");
        World {
            runtime,
            gateway_key,
            answer,
            connectors,
            clock,
        }
    })
}

fn notify(
    gateway: &str,
    path: &str,
    headers: &HeaderMap,
    body: &[u8],
) -> Result<wallet_checkout_server::gateway::Notification, NotifyError> {
    let w = world();
    w.connectors[gateway].verify_notification(IncomingNotification {
        path,
        headers,
        body,
        now: w.clock.now(),
    })
}

/// A body signed right must get past the signature check, so the fuzzing reaches what follows.
fn past_the_signature(
    r: Result<wallet_checkout_server::gateway::Notification, NotifyError>,
) -> Result<(), TestCaseError> {
    prop_assert!(!matches!(r, Err(NotifyError::Signature)), "{r:?}");
    Ok(())
}

/// A JSON value of any shape, small.
fn json() -> impl Strategy<Value = serde_json::Value> {
    let leaf = prop_oneof![
        Just(serde_json::Value::Null),
        any::<bool>().prop_map(serde_json::Value::from),
        any::<i64>().prop_map(serde_json::Value::from),
        any::<f64>().prop_map(serde_json::Value::from),
        "\\PC{0,12}".prop_map(serde_json::Value::from),
        proptest::sample::select(vec![
            "SUCCESS",
            "PAY_SUCCESS",
            "FAIL",
            "2",
            "3",
            "paid",
            "pending",
            "CNY",
            "CAD",
            "0",
            "-1",
            "99999999999999999999",
            "2026-12-01 00:00:00",
            "",
        ])
        .prop_map(serde_json::Value::from),
    ];
    leaf.prop_recursive(3, 24, 6, |inner| {
        prop_oneof![
            proptest::collection::vec(inner.clone(), 0..4).prop_map(serde_json::Value::from),
            proptest::collection::btree_map(
                proptest::sample::select(vec![
                    "code",
                    "msg",
                    "data",
                    "status",
                    "state",
                    "amount",
                    "currency",
                    "paymentId",
                    "resultCode",
                    "payOrderId",
                    "mchOrderNo",
                    "orderState",
                    "trade_id",
                    "order_id",
                    "sign",
                    "url",
                    "type",
                    "user",
                    "payment_expire_time",
                    "paymentExpireTime",
                    "refundId",
                    "refundStatus",
                    "totalAmount",
                    "codeUrl",
                    "payData",
                    "x",
                ])
                .prop_map(String::from),
                inner,
                0..6,
            )
            .prop_map(|m| serde_json::Value::Object(m.into_iter().collect())),
        ]
    })
}

proptest! {
    // No regression files in the tree: a failure prints its minimal input instead.
    #![proptest_config(ProptestConfig { cases: 300, failure_persistence: None, ..ProptestConfig::default() })]

    #[test]
    fn notifications_of_any_bytes_never_panic(body in proptest::collection::vec(any::<u8>(), 0..512), path in "\\PC{0,40}") {
        let mut headers = HeaderMap::new();
        for (name, value) in [("signature", "algorithm=RSA2048,signature=AAAA"), ("request-time", "x"), ("nonce", "1")] {
            headers.insert(name, HeaderValue::from_static(value));
        }
        for gateway in ["alphapay", "pass2pay", "yabandpay"] {
            let _ = notify(gateway, &path, &headers, &body);
        }
    }

    #[test]
    fn alphapay_notifications_signed_right_never_panic(value in json(), nonce in "[0-9a-z]{0,12}") {
        let w = world();
        let body = value.to_string();
        let time = alpha::format_time(w.clock.now());
        let content = alpha::content("POST", "/notify/alphapay", "FUZZ", &time, &nonce, &body);
        let signature = alpha::header_value(&alpha::sign(&w.gateway_key, &content));
        let mut headers = HeaderMap::new();
        for (name, v) in [("signature", signature), ("request-time", time), ("nonce", nonce)] {
            if let Ok(v) = HeaderValue::from_str(&v) {
                headers.insert(name, v);
            }
        }
        past_the_signature(notify("alphapay", "/notify/alphapay", &headers, body.as_bytes()))?;
    }

    #[test]
    fn pass2pay_notifications_signed_right_never_panic(
        fields in proptest::collection::btree_map(
            proptest::sample::select(vec!["mchNo", "appId", "reqTime", "state", "amount", "currency", "payOrderId", "mchOrderNo", "refundOrderId", "x"]).prop_map(String::from),
            prop_oneof!["\\PC{0,16}", "-?[0-9]{1,40}", Just("M1".to_string()), Just("app1".to_string())],
            0..10,
        )
    ) {
        let sign = p2p::sign(fields.iter().map(|(k, v)| (k.as_str(), v.as_str())), P2P_SECRET);
        let mut pairs: Vec<(String, String)> = fields.into_iter().collect();
        pairs.push(("sign".into(), sign));
        let body = serde_urlencoded::to_string(&pairs).unwrap_or_default();
        past_the_signature(notify("pass2pay", "/notify/pass2pay", &HeaderMap::new(), body.as_bytes()))?;
    }

    #[test]
    fn yabandpay_notifications_signed_right_never_panic(data in json()) {
        let serde_json::Value::Object(map) = &data else { return Ok(()) };
        // A float's text does not survive serde_json's round trip exactly; the gateway signs its own text.
        prop_assume!(map.values().all(|v| !v.is_f64()));
        let text = |v: &serde_json::Value| match v {
            serde_json::Value::String(s) => Some(s.clone()),
            serde_json::Value::Number(n) => Some(n.to_string()),
            serde_json::Value::Null => Some(String::new()),
            _ => None,
        };
        let fields: Vec<(String, String)> = map.iter().filter_map(|(k, v)| Some((k.clone(), text(v)?))).collect();
        let sign = yb::sign(fields.iter().map(|(k, v)| (k.as_str(), v.as_str())), YB_SECRET);
        let body = serde_json::json!({ "sign": sign, "data": data }).to_string();
        past_the_signature(notify("yabandpay", "/notify/yabandpay", &HeaderMap::new(), body.as_bytes()))?;
    }

    #[test]
    fn gateway_answers_of_any_shape_never_panic(value in json(), raw in "\\PC{0,64}", signed in any::<bool>()) {
        let w = world();
        let amount = Money::new(1234, "CNY").expect("money");
        let payment = PaymentRef { gateway_ref: "G1", merchant_ref: "cs_fuzz", amount: &amount };
        for body in [value.to_string(), raw.clone()] {
            let mut headers = HeaderMap::new();
            if signed {
                let time = alpha::format_time(w.clock.now());
                let content = alpha::content("POST", "/api/v2.0/payments/query", "FUZZ", &time, "n1", &body);
                let signature = alpha::header_value(&alpha::sign(&w.gateway_key, &content));
                for (name, v) in [("signature", signature), ("response-time", time), ("nonce", "n1".to_string())] {
                    if let Ok(v) = HeaderValue::from_str(&v) {
                        headers.insert(name, v);
                    }
                }
            }
            *w.answer.lock().expect("lock") = (body, headers);
            w.runtime.block_on(async {
                for c in w.connectors.values() {
                    let _ = c.query(payment).await;
                    let _ = c.close(payment).await;
                    let _ = c.refund_status(payment, wallet_checkout_server::gateway::RefundAsked { refund_ref: "rf_1", gateway_refund_ref: Some("R1"), amount: &amount }).await;
                }
            });
        }
    }

    #[test]
    fn times_and_encodings_of_any_text_never_panic(s in "\\PC{0,64}|[0-9:TZ+.\\- ]{0,40}") {
        let _ = wallet_checkout_server::core::clock::parse_rfc3339(&s);
        let _ = alpha::parse_time(&s);
        let _ = alpha::url_decode(&s);
        let _ = alpha::parse_header(&s);
        let _ = wallet_checkout_server::gateway::form::parse(&s);
    }

    #[test]
    fn configs_of_any_text_never_panic(s in "\\PC{0,200}") {
        let _ = Config::parse(&s);
        let _ = Config::parse_with_demo(&s);
    }

    #[test]
    fn configs_of_toml_shaped_text_never_panic(
        lines in proptest::collection::vec(
            prop_oneof![
                proptest::sample::select(vec![
                    "[limits]", "[checkout]", "[webhooks]", "[admin]", "[orders]", "[frame]", "[demo]",
                    "[routing]", "[gateways.alphapay]", "[gateways.pass2pay]", "[gateways.yabandpay]",
                ]).prop_map(String::from),
                (
                    proptest::sample::select(vec![
                        "public_url", "listen", "store", "max_connections", "streams_per_session",
                        "creates_per_minute_per_ip", "trusted_proxies", "return_origins", "url",
                        "secret_env", "retry_secs", "timeout_secs", "token_env", "lookup_url", "base_url",
                        "alipay", "page", "ancestors",
                    ]),
                    proptest::sample::select(vec![
                        "\"https://shop.example\"", "\"http://x\"", "0", "-1", "99999999999999999999",
                        "[]", "[\"10.0.0.0/99\"]", "[\"https://a.example\"]", "[0]", "\"alphapay\"",
                        "\"\"", "true", "1.5",
                    ]),
                ).prop_map(|(k, v)| format!("{k} = {v}")),
            ],
            0..12,
        )
    ) {
        let _ = Config::parse(&lines.join("\n"));
    }
}

/// A Pass2Pay notification signed right, sent `age` ago (as Jeepay would: `reqTime` in ms).
fn pass2pay_sent(
    age: time::Duration,
) -> Result<wallet_checkout_server::gateway::Notification, NotifyError> {
    let w = world();
    let sent = (w.clock.now() - age).unix_timestamp_nanos() / 1_000_000;
    let mut fields = BTreeMap::from([
        ("mchNo", "M1".to_string()),
        ("appId", "app1".to_string()),
        ("reqTime", sent.to_string()),
        ("state", "2".to_string()),
        ("amount", "1234".to_string()),
        ("currency", "cny".to_string()),
        ("payOrderId", "P1".to_string()),
        ("mchOrderNo", "cs_1".to_string()),
    ]);
    let sign = p2p::sign(fields.iter().map(|(k, v)| (*k, v.as_str())), P2P_SECRET);
    fields.insert("sign", sign);
    let body = serde_urlencoded::to_string(&fields).expect("form");
    notify(
        "pass2pay",
        "/notify/pass2pay",
        &HeaderMap::new(),
        body.as_bytes(),
    )
}

#[test]
fn pass2pay_notifications_are_fresh_for_ten_minutes_not_a_day() {
    assert!(
        pass2pay_sent(time::Duration::minutes(9)).is_ok(),
        "within Jeepay's retries and some skew"
    );
    for stale in [
        time::Duration::minutes(11),
        time::Duration::hours(23),
        time::Duration::minutes(-11),
    ] {
        assert!(
            matches!(pass2pay_sent(stale), Err(NotifyError::Stale)),
            "{stale}"
        );
    }
}
