//! The sandbox's own AlphaPay signature code (deliberately not shared with the server's connector).

use base64::engine::general_purpose::STANDARD as B64;
use base64::Engine;
use rsa::pkcs1v15::{Signature, SigningKey, VerifyingKey};
use rsa::sha2::Sha256;
use rsa::signature::{SignatureEncoding, Signer, Verifier};
use rsa::{RsaPrivateKey, RsaPublicKey};

/// `"POST <uri>\n<merchant>.<time>.<nonce>.<body>"`, written out independently of the connector.
pub fn string_to_sign(uri: &str, merchant: &str, time: &str, nonce: &str, body: &[u8]) -> Vec<u8> {
    let mut out = Vec::with_capacity(uri.len() + body.len() + 96);
    out.extend_from_slice(b"POST ");
    out.extend_from_slice(uri.as_bytes());
    out.push(b'\n');
    for part in [merchant, time, nonce] {
        out.extend_from_slice(part.as_bytes());
        out.push(b'.');
    }
    out.extend_from_slice(body);
    out
}

/// The full `Signature` header value for `message`.
pub fn signature_header(key: &RsaPrivateKey, message: &[u8]) -> String {
    let b64 = B64.encode(
        SigningKey::<Sha256>::new(key.clone())
            .sign(message)
            .to_vec(),
    );
    let encoded = b64
        .replace('+', "%2B")
        .replace('/', "%2F")
        .replace('=', "%3D");
    format!("algorithm=RS256,keyVersion=1,signature={encoded}")
}

/// Checks a `Signature` header the way AlphaPay would; any malformation is a failure.
pub fn check(key: &RsaPublicKey, header: &str, message: &[u8]) -> bool {
    let Some(raw) = header
        .split(',')
        .filter_map(|kv| kv.trim().strip_prefix("signature="))
        .next()
    else {
        return false;
    };
    let decoded = raw
        .replace("%2B", "+")
        .replace("%2F", "/")
        .replace("%3D", "=");
    let Ok(bytes) = B64.decode(decoded) else {
        return false;
    };
    let Ok(sig) = Signature::try_from(bytes.as_slice()) else {
        return false;
    };
    VerifyingKey::<Sha256>::new(key.clone())
        .verify(message, &sig)
        .is_ok()
}

#[cfg(test)]
mod tests {
    use super::*;
    use rsa::pkcs8::DecodePrivateKey;

    const KEY: &str = include_str!("../../testdata/alphapay-kat-key.b64");
    const BODY: &str = r#"{"scenarioCode":"ONLINE_QRCODE","paymentRequestId":"TEST-0001","order":{"orderAmount":{"value":"100","currency":"CAD"},"description":"Test order","notifyUrl":"https://merchant.example/notify"},"paymentMethod":{"paymentMethodType":"Alipay"}}"#;
    const HEADER: &str = "algorithm=RS256,keyVersion=1,signature=eVqjUGvzncMdsD5sJoxC2W7QLwvzpSjtJCkijRXMgThWZm9SJl6ULOHaA3fcy44nPurJNhWGrg47C3ncycpUPF%2BVWeBZGsJZQUQwCEkLvt4vp%2FDNHEmyGhAZq%2BghdNFu0HuijyIHlBAChSiU07drJnOwNTxbWjq%2FtY%2BSZeSInUxiATewhhqvjllVb%2BeTifLeHNWBXkK5xVtO5LwT9GYSQzh38Me0EhIqBoISuEDQeCUp%2FzJ069Da3yPTRvDnwAYGFSdjyAcQdZDz7Ws%2FnV6uI8i9yCKBiAbt324VavAeGw8oOkz5nZZLC4UxHLJTCd03P8L3AgxhCMfBsOAWKBM7Lg%3D%3D";

    #[test]
    fn known_answer_vector_of_gateways_md() {
        let key =
            RsaPrivateKey::from_pkcs8_der(&B64.decode(KEY.trim()).expect("b64")).expect("pkcs8");
        let msg = string_to_sign(
            "/api/v2.0/payments/pay",
            "TESTMC",
            "2024-01-02T03:04:05+00:00",
            "0123456789abcdef0123456789abcdef",
            BODY.as_bytes(),
        );
        assert_eq!(signature_header(&key, &msg), HEADER);
        assert!(check(&key.to_public_key(), HEADER, &msg));
        assert!(check(
            &key.to_public_key(),
            &HEADER.replace(',', ", "),
            &msg
        ));
        let mut tampered = msg.clone();
        tampered.push(b' ');
        assert!(!check(&key.to_public_key(), HEADER, &tampered));
        assert!(!check(&key.to_public_key(), "algorithm=RS256", &msg));
    }
}
