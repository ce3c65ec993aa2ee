//! Secrets come from the environment variables the config names and never reach a log: the real
//! binary runs a payment and a refund at TRACE level, and its whole log is searched for them.

use std::io::Read;
use std::process::{Command, Stdio};

use rsa::pkcs8::{EncodePrivateKey, LineEnding};

use super::*;

#[tokio::test]
async fn no_key_secret_or_token_appears_in_the_logs() {
    let dir = std::env::temp_dir().join(format!("wallet-checkout-secrets-{}", std::process::id()));
    std::fs::create_dir_all(&dir).expect("dir");
    let key = rsa::RsaPrivateKey::new(&mut rand::thread_rng(), 2048).expect("key");
    let pem = key.to_pkcs8_pem(LineEnding::LF).expect("pem").to_string();
    let p2p_secret = "p2p-Secret-Do-Not-Log-4f1c9a";
    let yb_secret = "yb-Secret-Do-Not-Log-8e2d7b";
    let admin_token = "admin-Token-Do-Not-Log-77aa1-0123456789";
    let config = dir.join("checkout.toml");
    std::fs::write(
        &config,
        format!(
            r#"listen = "127.0.0.1:0"
public_url = "http://127.0.0.1"
store = "sqlite://{db}"
[routing]
alipay = "alphapay"
wechat_pay = "yabandpay"
unionpay = "pass2pay"
[admin]
token_env = "WC_TEST_ADMIN_TOKEN"
[gateways.alphapay]
base_url = "https://gateway.example"
merchant_code = "CXVJIU"
private_key_env = "WC_TEST_ALPHAPAY_KEY"
gateway_public_key_env = "WC_TEST_ALPHAPAY_PUBLIC"
[gateways.pass2pay]
base_url = "https://gateway.example"
mch_no = "M1623984572"
app_id = "60cc09bce4b0f1c0b83761c9"
secret_env = "WC_TEST_P2P_SECRET"
[gateways.yabandpay]
base_url = "https://gateway.example"
user = "016683"
secret_env = "WC_TEST_YB_SECRET"
[demo]
orders = true
sandbox = true
"#,
            db = dir.join("checkout.db").display()
        ),
    )
    .expect("config");
    let mut child = Command::new(env!("CARGO_BIN_EXE_wallet-checkout-demo"))
        .arg("--config")
        .arg(&config)
        .env("RUST_LOG", "trace")
        .env("WC_TEST_ALPHAPAY_KEY", &pem)
        .env("WC_TEST_P2P_SECRET", p2p_secret)
        .env("WC_TEST_YB_SECRET", yb_secret)
        .env("WC_TEST_ADMIN_TOKEN", admin_token)
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .expect("server starts");
    let mut stdout = child.stdout.take().expect("stdout");
    let base = tokio::task::spawn_blocking(move || {
        let mut seen = Vec::new();
        let mut byte = [0u8; 1];
        while stdout.read(&mut byte).map(|n| n == 1).unwrap_or(false) {
            seen.push(byte[0]);
            let text = String::from_utf8_lossy(&seen);
            if let Some(line) = text.lines().find(|l| l.contains("running at ")) {
                if text.ends_with('\n') {
                    return line
                        .rsplit("running at ")
                        .next()
                        .map(|u| u.trim_end_matches('/').to_string());
                }
            }
        }
        None
    })
    .await
    .expect("join")
    .expect("the server printed its address");

    for (wallet, currency) in [
        ("alipay", "CAD"),
        ("wechat_pay", "EUR"),
        ("unionpay", "CNY"),
    ] {
        let order = demo_order(&base, 1234, currency).await;
        let (status, s) = create_for(&base, &order, wallet, "qr", None).await;
        assert_eq!(status, StatusCode::CREATED, "{s}");
        shopper(&base, &gateway_id(&s), true).await;
        let id = s["id"].as_str().expect("id");
        assert_eq!(
            wait_change(&base, id, "pending").await["status"],
            "succeeded",
            "{wallet}"
        );
        let res = reqwest::Client::new()
            .post(format!("{base}/admin/sessions/{id}/refunds"))
            .header("authorization", format!("Bearer {admin_token}"))
            .json(&json!({ "amount": 100 }))
            .send()
            .await
            .expect("refund");
        assert_eq!(res.status().as_u16(), 201);
    }
    // A forged notification and a wrong admin token are logged as such, without the secrets.
    let _ = reqwest::Client::new()
        .post(format!("{base}/notify/pass2pay"))
        .header("content-type", "application/x-www-form-urlencoded")
        .body("mchNo=M1623984572&sign=00")
        .send()
        .await;
    let _ = reqwest::Client::new()
        .post(format!("{base}/admin/sessions/x/refunds"))
        .header("authorization", "Bearer nope")
        .send()
        .await;
    let _ = child.kill();
    let mut log = String::new();
    child
        .stderr
        .take()
        .expect("stderr")
        .read_to_string(&mut log)
        .expect("log");
    let _ = child.wait();
    assert!(
        log.contains("session updated"),
        "the log is the server's, at TRACE: {}",
        &log[..log.len().min(2000)]
    );
    let pem_body: String = pem.lines().filter(|l| !l.starts_with("-----")).collect();
    for secret in [
        p2p_secret,
        yb_secret,
        admin_token,
        &pem_body[..60],
        &pem_body[pem_body.len() - 60..],
    ] {
        assert!(!log.contains(secret), "a secret reached the log: {secret}");
    }
    // Nor any string-to-sign (they end in the secret).
    assert!(
        !log.contains("key=p2p-"),
        "a Pass2Pay string-to-sign reached the log"
    );
    let _ = std::fs::remove_dir_all(&dir);
}
