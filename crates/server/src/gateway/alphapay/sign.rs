//! AlphaPay v2 request signing: SHA256withRSA (PKCS#1 v1.5) over `"METHOD URI\nMerchant-Code.Request-Time.Nonce.Body"`.
//!
//! Pure functions; the known-answer vector of `gateways.md` §1.2 is checked byte for byte below.
//! The sandbox has its own, separate implementation, so a bug here cannot agree with itself.

use base64::engine::general_purpose::STANDARD;
use base64::Engine;
use rsa::pkcs1v15::{Signature, SigningKey, VerifyingKey};
use rsa::sha2::Sha256;
use rsa::signature::{RandomizedSigner, SignatureEncoding, Verifier};
use rsa::{RsaPrivateKey, RsaPublicKey};
use time::format_description::FormatItem;
use time::macros::format_description;
use time::OffsetDateTime;

/// The string that gets signed.
pub fn content(
    method: &str,
    uri: &str,
    merchant_code: &str,
    time: &str,
    nonce: &str,
    body: &str,
) -> String {
    format!("{method} {uri}\n{merchant_code}.{time}.{nonce}.{body}")
}

/// Base64 (standard, padded) of the RSA signature. Made with the randomized signer, which blinds
/// the private-key operation (RUSTSEC-2023-0071: the unblinded one leaks timing); PKCS#1 v1.5
/// signatures are deterministic, so the bytes are the same.
pub fn sign(key: &RsaPrivateKey, content: &str) -> String {
    let signer = SigningKey::<Sha256>::new(key.clone());
    let signature = signer.sign_with_rng(&mut rand::thread_rng(), content.as_bytes());
    STANDARD.encode(signature.to_bytes())
}

/// Checks a base64 signature (already URL-decoded).
pub fn verify(key: &RsaPublicKey, content: &str, signature_b64: &str) -> bool {
    let Ok(bytes) = STANDARD.decode(signature_b64.trim()) else {
        return false;
    };
    let Ok(sig) = Signature::try_from(bytes.as_slice()) else {
        return false;
    };
    VerifyingKey::<Sha256>::new(key.clone())
        .verify(content.as_bytes(), &sig)
        .is_ok()
}

/// The `Signature` header: `algorithm=RS256,keyVersion=1,signature=<URL-encoded base64>`.
pub fn header_value(signature_b64: &str) -> String {
    format!(
        "algorithm=RS256,keyVersion=1,signature={}",
        url_encode(signature_b64)
    )
}

/// The base64 signature from a `Signature` header; `k=v` pairs, commas, spaces trimmed, any order.
pub fn parse_header(header: &str) -> Option<String> {
    let mut algorithm_ok = false;
    let mut signature = None;
    for pair in header.split(',') {
        let (k, v) = pair.trim().split_once('=')?;
        match k.trim() {
            "algorithm" => algorithm_ok = v.trim() == "RS256",
            "signature" => signature = Some(url_decode(v.trim())?),
            _ => {}
        }
    }
    if algorithm_ok {
        signature
    } else {
        None
    }
}

/// Java's `URLEncoder.encode(s, "UTF-8")`, which AlphaPay's SDK applies to the base64.
pub fn url_encode(s: &str) -> String {
    let mut out = String::with_capacity(s.len() + 8);
    for b in s.bytes() {
        match b {
            b'A'..=b'Z' | b'a'..=b'z' | b'0'..=b'9' | b'.' | b'-' | b'*' | b'_' => {
                out.push(b as char)
            }
            b' ' => out.push('+'),
            _ => out.push_str(&format!("%{b:02X}")),
        }
    }
    out
}

/// Percent-decoding only: a literal `+` stays `+` (a sender that did not encode its base64 still verifies).
pub fn url_decode(s: &str) -> Option<String> {
    let bytes = s.as_bytes();
    let mut out = Vec::with_capacity(bytes.len());
    let mut i = 0;
    while i < bytes.len() {
        if bytes[i] == b'%' {
            let hex = s.get(i + 1..i + 3)?;
            out.push(u8::from_str_radix(hex, 16).ok()?);
            i += 3;
        } else {
            out.push(bytes[i]);
            i += 1;
        }
    }
    String::from_utf8(out).ok()
}

const REQUEST_TIME: &[FormatItem<'static>] = format_description!(
    "[year]-[month]-[day]T[hour]:[minute]:[second][offset_hour sign:mandatory]:[offset_minute]"
);

/// `Request-Time` as the SDK prints it: `2024-01-02T03:04:05+00:00`.
pub fn format_time(t: OffsetDateTime) -> String {
    t.format(REQUEST_TIME).unwrap_or_default()
}

/// Accepts the SDK's form and RFC 3339 (with `Z` and milliseconds, as some integrations send).
pub fn parse_time(s: &str) -> Option<OffsetDateTime> {
    OffsetDateTime::parse(s, REQUEST_TIME)
        .or_else(|_| OffsetDateTime::parse(s, &time::format_description::well_known::Rfc3339))
        .ok()
}

#[cfg(test)]
mod tests {
    use super::*;
    use rsa::pkcs8::{DecodePrivateKey, EncodePublicKey};
    use sha2::Digest;

    /// `gateways.md` §1.2: a throwaway key, never registered anywhere.
    const KAT_KEY: &str = "MIIEvAIBADANBgkqhkiG9w0BAQEFAASCBKYwggSiAgEAAoIBAQDGgQ7AuIPaTURHovg+G3HzvIZ275kmFFp7/2Zr/b4tlH4438gJ/9UnheYbd1TYd678ncmKz2FQTaPSe3C9hHklW7u7W3aFlZ/b7DcXMI+V1JihxUdDmZ+G1IXGEU5pyd41Q/0R/fqhAuTtVLM3yv6vqNN+BFi6AtqcAy3bI94LkLYuxzU42iBq4GVsGpLwqXTqme3vi00yfTV02Y4kTtp+OiRb1ShPsIPd8LWf81egGg20aq9XSPFBAIL83QZCDDvHMeYL+wa0UwbIvABTaaBa28n04pstP11F0xNYPgZQTM0Qlc9QSP0kusFy+NR6wbVCAzIKbVwIcH0gim3xzmrdAgMBAAECggEADDYiRzQoAFpNKgRaNc/lvwhzqTDCK3fdvSUQEvKlgWj81C4ywH1kNS3lOFQApzRtp7gOjviE/wtXrvojDGBFkkkbZReSVKjIux8ZSyw/Q7NevwzuKQ1z+o0WZwHni1XSKAAKZdH0WiAIdJqHpUCv/EnBgPjEJeVJDNyb3zr3TPS6gUdEXGW3eTcQuPlekkvJm2Wi/cxPizcCITfuO9UYK/jBiONSSRBoSK4IJESreCfbMVOYAo3OBRDMkJMxey5UcjCh2inxrwpJcTusS27Wy4eqGMtcz6UWNSw+Kh5mYMR/I02viT83pNphVCH3D5rP3Je5iWlroiduEVam4AvuAQKBgQD6svGYE7rfXfRd5kcPJtPo6Exts6HgaG7zo5oRlIEwgwe+moJ1EyM5ABWmJ9YVa8djJb6SWr/4Iqq4QqIw3ABQgHtPkBevefGwpJfipZrrQxf3FebcIvjas4/FZkGkGlFZmD7ylsUntrexUueoK0nf/wE2wZvwJ10v8/Bubd/ugQKBgQDKs5QQsGi6i9x5/Bg/bE0OFQTbQvZFpD1fE0KcjuosjHZOtQOCC0FT20ZMLLvZZw7JYl1gWQUjLuCJLKrW20Dg2c90dlsFjOLh+LkGpNMd1wgxEmh/9zYohALKe5y5otMYC/B+Wcw/rWxPD5TariEmmOdN8wPFm1SFMY0NYH3GXQKBgHHQdYA+TNOFeyB6H/6P+Rq/A5u2NqKDpwNzXcnnarNUeVqeGOX/1zjUgf+aDEZTVQT9KMSW8Jo9WtYmYi3eY0Io4lKfrzEaIpC4WMArwOZX4nRpfBKqyeG4LWhH4TsYO6B6TvGhY0aBXGnjooolhPdtdOagBSSFKnhPvfLUbRqBAoGAPgaRakHw6hReFN21NcMYGRUJdWaaIVlOhkdIfMumkJcypIbzWdnD1bslWa3elXnZpnn5BMB4t/liL9eBN1nEEonT11lYJOyliGwpggTxrRHdqdZuL6of4mnyyK7mmE9gtN0CbEdiHqIcoFyuOfRKpJrpPIr+Pnt3c4JkHRHHqukCgYBx0ZV0UVtbB5ftgnoDUqtE9mmYuo+f1011xeIhjwXgGd4amQ9r41goBAHfAmRflYHi8sGIn6R6yK+C7cdqgWliwYGlv4HCykPRfeUlpNRkSF+rw69WPQ8/4wf8JSFcDows5MKmOdlHaya0nZJXapainYbUwX2cRX0U5XRAlF2GyQ==";
    const KAT_BODY: &str = r#"{"scenarioCode":"ONLINE_QRCODE","paymentRequestId":"TEST-0001","order":{"orderAmount":{"value":"100","currency":"CAD"},"description":"Test order","notifyUrl":"https://merchant.example/notify"},"paymentMethod":{"paymentMethodType":"Alipay"}}"#;
    const KAT_SIG: &str = "eVqjUGvzncMdsD5sJoxC2W7QLwvzpSjtJCkijRXMgThWZm9SJl6ULOHaA3fcy44nPurJNhWGrg47C3ncycpUPF+VWeBZGsJZQUQwCEkLvt4vp/DNHEmyGhAZq+ghdNFu0HuijyIHlBAChSiU07drJnOwNTxbWjq/tY+SZeSInUxiATewhhqvjllVb+eTifLeHNWBXkK5xVtO5LwT9GYSQzh38Me0EhIqBoISuEDQeCUp/zJ069Da3yPTRvDnwAYGFSdjyAcQdZDz7Ws/nV6uI8i9yCKBiAbt324VavAeGw8oOkz5nZZLC4UxHLJTCd03P8L3AgxhCMfBsOAWKBM7Lg==";
    const KAT_HEADER: &str = "algorithm=RS256,keyVersion=1,signature=eVqjUGvzncMdsD5sJoxC2W7QLwvzpSjtJCkijRXMgThWZm9SJl6ULOHaA3fcy44nPurJNhWGrg47C3ncycpUPF%2BVWeBZGsJZQUQwCEkLvt4vp%2FDNHEmyGhAZq%2BghdNFu0HuijyIHlBAChSiU07drJnOwNTxbWjq%2FtY%2BSZeSInUxiATewhhqvjllVb%2BeTifLeHNWBXkK5xVtO5LwT9GYSQzh38Me0EhIqBoISuEDQeCUp%2FzJ069Da3yPTRvDnwAYGFSdjyAcQdZDz7Ws%2FnV6uI8i9yCKBiAbt324VavAeGw8oOkz5nZZLC4UxHLJTCd03P8L3AgxhCMfBsOAWKBM7Lg%3D%3D";

    fn kat_key() -> RsaPrivateKey {
        let der = STANDARD.decode(KAT_KEY).expect("base64");
        RsaPrivateKey::from_pkcs8_der(&der).expect("pkcs8")
    }

    fn kat_content() -> String {
        content(
            "POST",
            "/api/v2.0/payments/pay",
            "TESTMC",
            "2024-01-02T03:04:05+00:00",
            "0123456789abcdef0123456789abcdef",
            KAT_BODY,
        )
    }

    #[test]
    fn known_answer_vector_signs_byte_for_byte() {
        let key = kat_key();
        let spki = key.to_public_key().to_public_key_der().expect("spki");
        assert_eq!(
            hex(&sha2::Sha256::digest(spki.as_bytes())),
            "2ada76126ca9f797f8605c6090059d1f0d3e6dacc812c61ae0769c099405c28c"
        );
        let content = kat_content();
        assert_eq!(
            hex(&sha2::Sha256::digest(content.as_bytes())),
            "447d7de68ea5250ae2bbf658d45378761d7273778015839fde2e5ee2b29204b3"
        );
        let sig = sign(&key, &content);
        assert_eq!(sig, KAT_SIG);
        assert_eq!(header_value(&sig), KAT_HEADER);
    }

    #[test]
    fn known_answer_vector_verifies_and_tampering_does_not() {
        let public = kat_key().to_public_key();
        let sig = parse_header(KAT_HEADER).expect("parses");
        assert_eq!(sig, KAT_SIG);
        assert!(verify(&public, &kat_content(), &sig));
        assert!(!verify(
            &public,
            &kat_content().replace("\"100\"", "\"1000\""),
            &sig
        ));
        assert!(!verify(&public, &kat_content(), "AAAA"));
        assert!(!verify(&public, &kat_content(), "not base64!"));
    }

    #[test]
    fn header_parsing_tolerates_spaces_and_refuses_other_algorithms() {
        let spaced = KAT_HEADER.replace(',', ", ");
        assert_eq!(parse_header(&spaced).as_deref(), Some(KAT_SIG));
        assert_eq!(parse_header(&KAT_HEADER.replace("RS256", "HS256")), None);
        assert_eq!(parse_header("garbage"), None);
        assert_eq!(
            parse_header("algorithm=RS256,keyVersion=1,signature=%zz"),
            None
        );
    }

    #[test]
    fn request_time_matches_the_sdk_and_accepts_rfc3339() {
        let t = time::macros::datetime!(2024-01-02 03:04:05 UTC);
        assert_eq!(format_time(t), "2024-01-02T03:04:05+00:00");
        assert_eq!(parse_time("2024-01-02T03:04:05+00:00"), Some(t));
        assert_eq!(parse_time("2024-01-01T22:04:05-05:00"), Some(t));
        assert!(parse_time("2024-01-02T03:04:05.123Z").is_some());
        assert_eq!(parse_time("yesterday"), None);
    }

    fn hex(bytes: &[u8]) -> String {
        bytes.iter().map(|b| format!("{b:02x}")).collect()
    }
}
