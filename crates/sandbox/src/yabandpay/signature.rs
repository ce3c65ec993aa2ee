//! The sandbox's own YabandPay HMAC-SHA256 signature (deliberately not shared with the server's connector).

use hmac::{Hmac, Mac};
use sha2::Sha256;

/// `hash_hmac('sha256', ksort-ed "k=v" joined by "&", secret)`, lower-case hex.
pub fn sign<'a>(fields: impl IntoIterator<Item = (&'a str, &'a str)>, secret: &str) -> String {
    let mut pairs: Vec<(&str, &str)> = fields.into_iter().filter(|(k, _)| *k != "sign").collect();
    pairs.sort_by(|a, b| a.0.as_bytes().cmp(b.0.as_bytes()));
    let text = pairs
        .iter()
        .map(|(k, v)| format!("{k}={v}"))
        .collect::<Vec<_>>()
        .join("&");
    let Ok(mut mac) = Hmac::<Sha256>::new_from_slice(secret.as_bytes()) else {
        return String::new();
    };
    mac.update(text.as_bytes());
    crate::hex(&mac.finalize().into_bytes())
}

#[cfg(test)]
mod tests {
    use super::*;

    const SECRET: &str = "yb-test-secret-0001";

    #[test]
    fn gateways_md_vectors() {
        let mini = [
            ("amount", "1"),
            ("currency", "EUR"),
            ("description", "YabandPay test"),
            ("method", "v3.CreatePaymentsAlipayMiniPay"),
            ("notify_url", "https://www.yabandpay.com/notify"),
            ("order_id", "20180902014018888"),
            ("pay_method", "online"),
            ("redirect_url", "https://www.yabandpay.com"),
            ("sub_pay_method", "Alipay"),
            ("time", "1546588959"),
            ("timeout", "0"),
            ("user", "016683"),
        ];
        assert_eq!(
            sign(mini, SECRET),
            "58b4de477476600835c59f10a0d70871dd43ef40dcc3d6bf2563298f98953da1"
        );
        let query = [
            ("method", "v3.QueryOrder"),
            ("time", "1546588959"),
            ("trade_id", "a8d9be05-8b39-a766-dad0-553b0640d06a"),
            ("user", "016683"),
        ];
        assert_eq!(
            sign(query, SECRET),
            "a2088d1dacf706272200c25989a2eea40811d837a5787f34bba2c42b0b701236"
        );
        let notify = [
            ("amount", "1.00"),
            ("currency", "EUR"),
            ("demo", ""),
            ("order_id", "190510140815"),
            ("state", "paid"),
            ("trade_id", "8a8aa7c7-66d7-e2cc-e2a6-fff7c77aaefd"),
            ("transaction_id", "4200000298201905227377147799"),
            ("type", "payment"),
            ("user", "016683"),
        ];
        assert_eq!(
            sign(notify, SECRET),
            "03bb62363f28491a388afda1c60e0346086a189cd0650f5ff50427a12a5630c2"
        );
    }
}
