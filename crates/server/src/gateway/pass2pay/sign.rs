//! Pass2Pay (Jeepay) MD5 signing: drop empty values, sort `k=v&` pairs with Java's
//! case-insensitive order, append `key=<secret>`, MD5, upper-case hex.
//!
//! Pure functions, checked against the public Jeepay vector and the vectors of `gateways.md` §2.2.
//! The sandbox has its own implementation.

use std::cmp::Ordering;

use md5::{Digest, Md5};

/// Java `String.CASE_INSENSITIVE_ORDER` over UTF-16 units (upper- then lower-case folding).
pub fn case_insensitive(a: &str, b: &str) -> Ordering {
    fn fold(u: u16) -> u32 {
        char::from_u32(u32::from(u))
            .map(|c| {
                let up = c.to_uppercase().next().unwrap_or(c);
                u32::from(up.to_lowercase().next().unwrap_or(up))
            })
            .unwrap_or(u32::from(u))
    }
    let (mut x, mut y) = (a.encode_utf16(), b.encode_utf16());
    loop {
        match (x.next(), y.next()) {
            (None, None) => return Ordering::Equal,
            (None, Some(_)) => return Ordering::Less,
            (Some(_), None) => return Ordering::Greater,
            (Some(p), Some(q)) => {
                let (p, q) = (fold(p), fold(q));
                if p != q {
                    return p.cmp(&q);
                }
            }
        }
    }
}

/// The string that gets hashed (without the secret, so it can be shown in tests).
pub fn string_to_sign<'a>(params: impl IntoIterator<Item = (&'a str, &'a str)>) -> String {
    let mut parts: Vec<String> = params
        .into_iter()
        .filter(|(k, v)| !v.is_empty() && *k != "sign")
        .map(|(k, v)| format!("{k}={v}&"))
        .collect();
    parts.sort_by(|a, b| case_insensitive(a, b));
    parts.concat()
}

/// The `sign` value.
pub fn sign<'a>(params: impl IntoIterator<Item = (&'a str, &'a str)>, secret: &str) -> String {
    let mut text = string_to_sign(params);
    text.push_str("key=");
    text.push_str(secret);
    super::super::hex(&Md5::digest(text.as_bytes())).to_ascii_uppercase()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn public_jeepay_php_sdk_vector() {
        let p = [
            ("platId", "1000"),
            ("mchOrderNo", "P0123456789101"),
            ("amount", "10000"),
            ("clientIp", "192.168.0.111"),
            ("returnUrl", "https://www.baidu.com"),
            ("notifyUrl", "https://www.baidu.com"),
            ("reqTime", "20190723141000"),
            ("version", "1.0"),
        ];
        assert_eq!(
            sign(p, "EWEFD123RGSRETYDFNGFGFGSHDFGH"),
            "84E1CA56F984502BBAC06EA6707157F5"
        );
    }

    #[test]
    fn maxpay_page_vector() {
        let p = [
            ("money", "2.0"),
            ("outTradeNo", "P12312321123"),
            ("type", "wechat"),
            ("userId", "test01"),
        ];
        assert_eq!(
            sign(p, "EWEFD123RGSRETYDFNGFGFGSHDFGH"),
            "5E0AA05DD4BB4FE5AB65608123EBA591"
        );
    }

    #[test]
    fn gateways_md_self_computed_vectors() {
        let key = "p2p-test-secret-0001";
        let data = [
            ("mchOrderNo", "ORD20240102000001"),
            ("orderState", "1"),
            ("payData", "https://pay.example/qr/abc.png"),
            ("payDataType", "codeImgUrl"),
            ("payOrderId", "P1790000000000000001"),
        ];
        assert_eq!(sign(data, key), "EDDAA7011E92B31837DBF47169650D14");
        let notify = [
            ("amount", "1000"),
            ("appId", "64a0c0ffee0000000000abcd"),
            ("body", "0"),
            ("channelOrderNo", "2024010222001400001"),
            ("clientIp", "210.73.10.148"),
            ("createdAt", "1704164645000"),
            ("currency", "cny"),
            ("ifCode", "alipay"),
            ("mchNo", "M1700000001"),
            ("mchOrderNo", "ORD20240102000001"),
            ("payOrderId", "P1790000000000000001"),
            ("reqTime", "1704164701000"),
            ("state", "2"),
            ("subject", "商品"),
            ("successTime", "1704164700000"),
            ("wayCode", "ALI_QR"),
        ];
        assert_eq!(sign(notify, key), "48A2A4A62BBBF7C52BE116C4F930A011");
        assert_eq!(sign([], key), "5C1C98D7BEFECC1C88AB7E4DCAEE0EBC");
    }

    #[test]
    fn our_own_vectors_checked_with_python_hashlib() {
        // fixtures/pass2pay-vectors.json, computed by tests/fixtures/vectors.py (hashlib) — see there.
        let fixtures: serde_json::Value = serde_json::from_str(include_str!(
            "../../../tests/fixtures/pass2pay-vectors.json"
        ))
        .expect("fixture parses");
        let cases = fixtures.as_array().expect("array");
        assert!(!cases.is_empty());
        for case in cases {
            let params: Vec<(String, String)> = case["params"]
                .as_object()
                .expect("params")
                .iter()
                .map(|(k, v)| (k.clone(), v.as_str().unwrap_or_default().to_string()))
                .collect();
            let got = sign(
                params.iter().map(|(k, v)| (k.as_str(), v.as_str())),
                case["secret"].as_str().unwrap_or_default(),
            );
            assert_eq!(got, case["sign"].as_str().unwrap_or_default(), "{case}");
        }
    }
}
