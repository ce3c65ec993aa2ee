//! The rules for the URLs the server calls or gives out: https, or http to a loopback host only;
//! and an origin as a browser writes it.

/// Whether `url`'s host is this machine (a loopback address or `localhost`).
pub fn is_loopback(url: &str) -> bool {
    match reqwest::Url::parse(url)
        .ok()
        .as_ref()
        .and_then(|u| u.host())
    {
        Some(url::Host::Ipv4(ip)) => ip.is_loopback(),
        Some(url::Host::Ipv6(ip)) => ip.is_loopback(),
        Some(url::Host::Domain(d)) => d.eq_ignore_ascii_case("localhost"),
        None => false,
    }
}

/// A URL the server calls or gives out: `https`, or `http` to a loopback host only (a gateway's
/// unsigned answer over plain HTTP could be forged by anyone on the path). The error names `key`.
pub fn check_url(key: &str, url: &str) -> Result<reqwest::Url, String> {
    let bad = |why: &str| format!("{key} {url:?} {why}");
    let parsed = reqwest::Url::parse(url).map_err(|e| bad(&format!("is not a URL ({e})")))?;
    let loopback = match parsed.host() {
        Some(url::Host::Ipv4(ip)) => ip.is_loopback(),
        Some(url::Host::Ipv6(ip)) => ip.is_loopback(),
        Some(url::Host::Domain(d)) => d.eq_ignore_ascii_case("localhost"),
        None => return Err(bad("has no host")),
    };
    match parsed.scheme() {
        "https" => Ok(parsed),
        "http" if loopback => Ok(parsed),
        "http" => Err(bad("must be https (http only to a loopback host)")),
        _ => Err(bad("must be an https URL")),
    }
}

/// `scheme://host[:port]` of a URL.
pub fn origin_of(url: &str) -> Result<String, String> {
    reqwest::Url::parse(url)
        .map(|u| u.origin().ascii_serialization())
        .map_err(|e| format!("{url:?} is not a URL ({e})"))
}
