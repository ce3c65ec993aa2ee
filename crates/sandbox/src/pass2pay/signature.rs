//! The sandbox's own Jeepay/Pass2Pay MD5 signature (deliberately not shared with the server's connector).

use md5::{Digest, Md5};

/// Java's `String.CASE_INSENSITIVE_ORDER`: char by char, upper-cased then lower-cased.
fn java_case_insensitive(a: &str, b: &str) -> std::cmp::Ordering {
    let fold = |c: char| {
        let u = c.to_uppercase().next().unwrap_or(c);
        u.to_lowercase().next().unwrap_or(u)
    };
    let mut x = a.encode_utf16();
    let mut y = b.encode_utf16();
    loop {
        match (x.next(), y.next()) {
            (None, None) => return std::cmp::Ordering::Equal,
            (None, Some(_)) => return std::cmp::Ordering::Less,
            (Some(_), None) => return std::cmp::Ordering::Greater,
            (Some(c1), Some(c2)) if c1 == c2 => continue,
            (Some(c1), Some(c2)) => {
                let f1 = char::from_u32(u32::from(c1))
                    .map(fold)
                    .map(u32::from)
                    .unwrap_or(u32::from(c1));
                let f2 = char::from_u32(u32::from(c2))
                    .map(fold)
                    .map(u32::from)
                    .unwrap_or(u32::from(c2));
                if f1 != f2 {
                    return f1.cmp(&f2);
                }
            }
        }
    }
}

/// `MD5(sorted "k=v&"… + "key=" + secret)`, upper-case hex; empty values and `sign` are left out.
pub fn sign<'a>(params: impl IntoIterator<Item = (&'a str, &'a str)>, secret: &str) -> String {
    let mut parts: Vec<String> = params
        .into_iter()
        .filter(|(k, v)| !v.is_empty() && *k != "sign")
        .map(|(k, v)| format!("{k}={v}&"))
        .collect();
    parts.sort_by(|a, b| java_case_insensitive(a, b));
    let mut text = parts.concat();
    text.push_str("key=");
    text.push_str(secret);
    crate::hex(&Md5::digest(text.as_bytes())).to_uppercase()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn public_jeepay_vector() {
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
    fn gateways_md_vectors() {
        let key = "p2p-test-secret-0001";
        let order = [
            ("amount", "1000"),
            ("appId", "64a0c0ffee0000000000abcd"),
            ("body", "0"),
            ("channelExtra", r#"{"payDataType":"codeImgUrl"}"#),
            ("clientIp", "210.73.10.148"),
            ("currency", "cny"),
            ("custNo", "C0001"),
            ("expiredTime", "1800"),
            ("mchNo", "M1700000001"),
            ("mchOrderNo", "ORD20240102000001"),
            ("notifyUrl", "https://merchant.example/p2p/notify"),
            ("registerTime", "1704164645000"),
            ("reqTime", "1704164645123"),
            ("returnUrl", "https://merchant.example/return"),
            ("signType", "MD5"),
            ("subject", "商品"),
            ("version", "1.1"),
            ("wayCode", "ALI_QR"),
            ("extParam", ""),
        ];
        assert_eq!(sign(order, key), "95D7A45F1CFABA2B0EA6B6A08444F993");
        assert_eq!(sign([], key), "5C1C98D7BEFECC1C88AB7E4DCAEE0EBC");
    }

    #[test]
    fn sort_compares_the_whole_pair_case_insensitively() {
        assert_eq!(
            java_case_insensitive("a1=x&", "a=x&"),
            std::cmp::Ordering::Less
        );
        assert_eq!(
            java_case_insensitive("mch_no=1&", "mchNo=1&"),
            std::cmp::Ordering::Less
        );
        assert_eq!(
            java_case_insensitive("B=1&", "a=1&"),
            std::cmp::Ordering::Greater
        );
    }
}
