//! The console's sign-in: a signed, stateless session cookie (so every instance sharing the admin
//! token accepts it), the CSRF token each sign-in carries, the `Origin` check on every POST, and the
//! per-address limit on sign-in tries. The admin token itself never leaves the request that signs in.

use std::net::IpAddr;

use axum::http::HeaderMap;
use base64::Engine;
use hmac::{Hmac, Mac};
use sha2::{Digest, Sha256};

/// The cookie's name; its path is `/console/`.
pub const COOKIE: &str = "wc_console";
/// A sign-in lasts 12 hours.
pub const LIFETIME_SECS: i64 = 12 * 3600;
/// Sign-in tries allowed per address per minute (then refused until the minute refills).
pub const TRIES_PER_MINUTE: u32 = 5;

type SignInLimiter = governor::DefaultKeyedRateLimiter<IpAddr>;

/// The key the cookies are signed with (derived from the admin token: a new token signs everyone
/// out) and the sign-in limiter.
pub struct Keys {
    mac_key: [u8; 32],
    token_digest: [u8; 32],
    tries: SignInLimiter,
}

impl std::fmt::Debug for Keys {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("Keys")
    }
}

/// A valid sign-in, read from its cookie.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct SignedIn {
    /// The per-sign-in token every form carries.
    pub csrf: String,
}

impl Keys {
    pub fn new(admin_token: &str) -> Keys {
        let mut mac_key = [0u8; 32];
        mac_key.copy_from_slice(&Sha256::digest(
            format!("wallet-checkout console cookie\0{admin_token}").as_bytes(),
        ));
        let mut token_digest = [0u8; 32];
        token_digest.copy_from_slice(&Sha256::digest(admin_token.as_bytes()));
        let quota = governor::Quota::per_minute(
            std::num::NonZeroU32::new(TRIES_PER_MINUTE).unwrap_or(std::num::NonZeroU32::MIN),
        );
        Keys {
            mac_key,
            token_digest,
            tries: governor::RateLimiter::keyed(quota),
        }
    }

    /// One sign-in try from `ip` (counted whatever its outcome): `false` past the limit. Tries
    /// from no known address share one allowance.
    pub fn may_try(&self, ip: Option<IpAddr>) -> bool {
        self.tries.retain_recent();
        let ip = ip.unwrap_or(IpAddr::V4(std::net::Ipv4Addr::UNSPECIFIED));
        self.tries
            .check_key(&crate::http::limits::Limits::key(ip))
            .is_ok()
    }

    /// Whether `given` is the admin token (digests compared without an early exit).
    pub fn is_token(&self, given: &str) -> bool {
        crate::gateway::constant_time_eq(&Sha256::digest(given.as_bytes()), &self.token_digest)
    }

    fn mac(&self, payload: &str) -> Hmac<Sha256> {
        let mut mac =
            <Hmac<Sha256> as Mac>::new_from_slice(&self.mac_key).unwrap_or_else(|_| unreachable!());
        mac.update(payload.as_bytes());
        mac
    }

    /// A new sign-in's cookie value, valid until `now + LIFETIME_SECS`: `v1.{expiry}.{csrf}.{mac}`.
    pub fn issue(&self, now_secs: i64) -> (String, SignedIn) {
        let csrf = crate::core::domain::random_id(32);
        let payload = format!("v1.{}.{csrf}", now_secs.saturating_add(LIFETIME_SECS));
        let tag = self.mac(&payload).finalize().into_bytes();
        let value = format!(
            "{payload}.{}",
            base64::engine::general_purpose::URL_SAFE_NO_PAD.encode(tag)
        );
        (value, SignedIn { csrf })
    }

    /// The sign-in a request's cookie proves, if its signature holds and it has not expired.
    pub fn signed_in(&self, headers: &HeaderMap, now_secs: i64) -> Option<SignedIn> {
        let value = cookie(headers, COOKIE)?;
        let (payload, tag) = value.rsplit_once('.')?;
        let tag = base64::engine::general_purpose::URL_SAFE_NO_PAD
            .decode(tag)
            .ok()?;
        self.mac(payload).verify_slice(&tag).ok()?;
        let mut parts = payload.split('.');
        let (Some("v1"), Some(expiry), Some(csrf), None) =
            (parts.next(), parts.next(), parts.next(), parts.next())
        else {
            return None;
        };
        let expiry: i64 = expiry.parse().ok()?;
        (now_secs < expiry).then(|| SignedIn {
            csrf: csrf.to_string(),
        })
    }
}

/// A cookie's value by name (the first of that name).
fn cookie<'a>(headers: &'a HeaderMap, name: &str) -> Option<&'a str> {
    headers
        .get_all("cookie")
        .iter()
        .filter_map(|v| v.to_str().ok())
        .flat_map(|v| v.split(';'))
        .find_map(|pair| {
            let (k, v) = pair.trim().split_once('=')?;
            (k == name).then_some(v)
        })
}

/// Whether the request reached us over plain http on a loopback host (the only case where the
/// cookie may go without `Secure`, since a browser would never send it back otherwise).
pub fn plain_loopback(headers: &HeaderMap) -> bool {
    let https = headers
        .get("x-forwarded-proto")
        .and_then(|v| v.to_str().ok())
        .is_some_and(|p| p.eq_ignore_ascii_case("https"));
    let host = headers
        .get("host")
        .and_then(|v| v.to_str().ok())
        .unwrap_or_default();
    // The server's one loopback rule; a host that is no URL's is not loopback (the cookie keeps `Secure`).
    !https && crate::urls::is_loopback(&format!("http://{host}/"))
}

/// The `Set-Cookie` value for a sign-in (`value` empty: the one that ends it).
pub fn set_cookie(value: &str, secure: bool) -> String {
    let max_age = if value.is_empty() { 0 } else { LIFETIME_SECS };
    format!(
        "{COOKIE}={value}; Path=/console/; Max-Age={max_age}; HttpOnly; SameSite=Strict{}",
        if secure { "; Secure" } else { "" }
    )
}

/// A POST's `Origin` names this very host (a browser sends it on every POST; a form from another
/// site, or a request without one, is refused), and `Sec-Fetch-Site`, when sent, says so too.
pub fn same_origin(headers: &HeaderMap) -> bool {
    let host = headers.get("host").and_then(|v| v.to_str().ok());
    let origin = headers.get("origin").and_then(|v| v.to_str().ok());
    let site_ok = headers
        .get("sec-fetch-site")
        .and_then(|v| v.to_str().ok())
        .is_none_or(|s| s == "same-origin");
    match (host, origin) {
        (Some(host), Some(origin)) => {
            site_ok
                && origin
                    .strip_prefix("https://")
                    .or_else(|| origin.strip_prefix("http://"))
                    .is_some_and(|authority| authority.eq_ignore_ascii_case(host))
        }
        _ => false,
    }
}

/// Whether a form's CSRF token is this sign-in's (compared without an early exit).
pub fn csrf_matches(signed: &SignedIn, given: &str) -> bool {
    crate::gateway::constant_time_eq(signed.csrf.as_bytes(), given.as_bytes())
}

#[cfg(test)]
mod tests {
    use super::*;

    fn with_cookie(value: &str) -> HeaderMap {
        let mut h = HeaderMap::new();
        h.insert(
            "cookie",
            format!("other=1; {COOKIE}={value}")
                .parse()
                .expect("header"),
        );
        h
    }

    #[test]
    fn a_cookie_holds_only_while_signed_unexpired_and_by_this_token() {
        let keys = Keys::new("t".repeat(40).as_str());
        let (value, signed) = keys.issue(1_000);
        assert_eq!(keys.signed_in(&with_cookie(&value), 1_001), Some(signed));
        assert_eq!(
            keys.signed_in(&with_cookie(&value), 1_000 + LIFETIME_SECS),
            None
        );
        let other = Keys::new("u".repeat(40).as_str());
        assert_eq!(other.signed_in(&with_cookie(&value), 1_001), None);
        // A longer life or another CSRF token breaks the signature.
        let (payload, tag) = value.rsplit_once('.').expect("tag");
        let longer = payload.replacen(&(1_000 + LIFETIME_SECS).to_string(), "99999999999", 1);
        assert_eq!(
            keys.signed_in(&with_cookie(&format!("{longer}.{tag}")), 1_001),
            None
        );
        for forged in ["", "v1", "v1.1.2", "v1.99999999999.abc.AAAA", "....", "%00"] {
            assert_eq!(
                keys.signed_in(&with_cookie(forged), 1_001),
                None,
                "{forged}"
            );
        }
        assert!(keys.is_token(&"t".repeat(40)));
        assert!(!keys.is_token(&"t".repeat(39)));
    }

    #[test]
    fn posts_come_from_this_origin_only() {
        let h = |host: &str, origin: Option<&str>, site: Option<&str>| {
            let mut m = HeaderMap::new();
            m.insert("host", host.parse().expect("h"));
            if let Some(o) = origin {
                m.insert("origin", o.parse().expect("o"));
            }
            if let Some(s) = site {
                m.insert("sec-fetch-site", s.parse().expect("s"));
            }
            m
        };
        assert!(same_origin(&h(
            "127.0.0.1:9090",
            Some("http://127.0.0.1:9090"),
            None
        )));
        assert!(same_origin(&h(
            "shop.example",
            Some("https://shop.example"),
            Some("same-origin")
        )));
        assert!(!same_origin(&h(
            "shop.example",
            Some("https://evil.example"),
            None
        )));
        assert!(!same_origin(&h(
            "shop.example",
            Some("https://shop.example"),
            Some("cross-site")
        )));
        assert!(!same_origin(&h("shop.example", None, None)));
        assert!(!same_origin(&h("shop.example", Some("null"), None)));
        assert!(plain_loopback(&h("127.0.0.1:9090", None, None)));
        assert!(plain_loopback(&h("localhost", None, None)));
        assert!(!plain_loopback(&h("shop.example", None, None)));
    }

    #[test]
    fn tries_are_limited_per_address() {
        let keys = Keys::new("t".repeat(40).as_str());
        let ip: IpAddr = "192.0.2.7".parse().expect("ip");
        for _ in 0..TRIES_PER_MINUTE {
            assert!(keys.may_try(Some(ip)));
        }
        assert!(!keys.may_try(Some(ip)));
        assert!(keys.may_try(Some("192.0.2.8".parse().expect("ip"))));
    }
}
