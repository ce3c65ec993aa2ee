//! `[limits]`: connections, waiters per session, session creates per minute per client address,
//! and whose `X-Forwarded-For` is believed; the client's address as those rules decide it.
//!
//! The create limit is `governor`'s keyed GCRA (a burst of the minute's quota, then one every
//! 60/quota s); its memory is trimmed as it goes, so a flood of addresses cannot grow it forever.

use std::net::{IpAddr, SocketAddr};
use std::num::NonZeroU32;
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::Arc;

use axum::http::HeaderMap;
use governor::clock::{Clock as _, DefaultClock};
use serde::Deserialize;

use crate::core::hub::DEFAULT_STREAMS_PER_SESSION;

/// `[limits]` as written; every key has the contract's default.
#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct LimitsConfig {
    #[serde(default = "default_connections")]
    pub max_connections: usize,
    /// Open connections one client address may hold on a listener (an IPv6 one counts by its /64;
    /// a trusted proxy is never capped by it).
    #[serde(default = "default_per_ip")]
    pub connections_per_ip: usize,
    #[serde(default = "default_streams")]
    pub streams_per_session: usize,
    #[serde(default = "default_creates")]
    pub creates_per_minute_per_ip: u32,
    /// Addresses or CIDR ranges of the proxies in front (`"10.0.0.0/8"`, `"127.0.0.1"`).
    #[serde(default)]
    pub trusted_proxies: Vec<String>,
}

impl Default for LimitsConfig {
    fn default() -> LimitsConfig {
        LimitsConfig {
            max_connections: default_connections(),
            connections_per_ip: default_per_ip(),
            streams_per_session: default_streams(),
            creates_per_minute_per_ip: default_creates(),
            trusted_proxies: Vec::new(),
        }
    }
}

fn default_connections() -> usize {
    10_000
}
fn default_per_ip() -> usize {
    256
}
fn default_streams() -> usize {
    DEFAULT_STREAMS_PER_SESSION
}
fn default_creates() -> u32 {
    30
}

type CreateLimiter = governor::DefaultKeyedRateLimiter<IpAddr>;

/// The limits in force.
pub struct Limits {
    pub max_connections: usize,
    pub connections_per_ip: usize,
    pub streams_per_session: usize,
    /// `None`: session creates are not limited (the demo without a `[limits]` section).
    creates: Option<CreateLimiter>,
    trusted: Vec<ipnet::IpNet>,
    checks: AtomicU64,
    /// The untrusted `X-Forwarded-For` warning was logged (once per process).
    warned_forwarded: std::sync::atomic::AtomicBool,
}

impl Default for Limits {
    /// The contract's defaults.
    fn default() -> Limits {
        LimitsConfig::default()
            .checked()
            .unwrap_or_else(|_| Limits::without_create_limit())
    }
}

impl std::fmt::Debug for Limits {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Limits")
            .field("max_connections", &self.max_connections)
            .field("connections_per_ip", &self.connections_per_ip)
            .field("streams_per_session", &self.streams_per_session)
            .field("creates_limited", &self.creates.is_some())
            .field("trusted_proxies", &self.trusted)
            .finish()
    }
}

impl LimitsConfig {
    /// Each value within reason, each proxy a valid address or range; the error names the key.
    pub fn checked(&self) -> Result<Limits, String> {
        if !(1..=1_000_000).contains(&self.max_connections) {
            return Err("[limits] max_connections must be 1 to 1000000".into());
        }
        if !(1..=1_000_000).contains(&self.connections_per_ip) {
            return Err("[limits] connections_per_ip must be 1 to 1000000".into());
        }
        if !(1..=64).contains(&self.streams_per_session) {
            return Err("[limits] streams_per_session must be 1 to 64".into());
        }
        let quota = NonZeroU32::new(self.creates_per_minute_per_ip)
            .filter(|q| q.get() <= 100_000)
            .ok_or("[limits] creates_per_minute_per_ip must be 1 to 100000")?;
        let trusted = self
            .trusted_proxies
            .iter()
            .map(|p| {
                p.parse::<ipnet::IpNet>()
                    .or_else(|_| p.parse::<IpAddr>().map(ipnet::IpNet::from))
                    .map_err(|_| {
                        format!("[limits] trusted_proxies: {p:?} is not an address or CIDR range")
                    })
            })
            .collect::<Result<Vec<_>, _>>()?;
        Ok(Limits {
            max_connections: self.max_connections,
            connections_per_ip: self.connections_per_ip,
            streams_per_session: self.streams_per_session,
            creates: Some(governor::RateLimiter::keyed(governor::Quota::per_minute(
                quota,
            ))),
            trusted,
            checks: AtomicU64::new(0),
            warned_forwarded: Default::default(),
        })
    }
}

impl Limits {
    /// The defaults without the create limit: for a demo one person plays, and for tests.
    pub fn without_create_limit() -> Limits {
        Limits {
            max_connections: default_connections(),
            connections_per_ip: default_per_ip(),
            streams_per_session: default_streams(),
            creates: None,
            trusted: Vec::new(),
            checks: AtomicU64::new(0),
            warned_forwarded: Default::default(),
        }
    }

    /// The client's address: the peer's, unless the peer is a trusted proxy; then the nearest
    /// `X-Forwarded-For` entry that is not itself a trusted proxy (read from the right, since the
    /// left part is whatever the client wrote).
    pub fn client_ip(&self, peer: Option<SocketAddr>, headers: &HeaderMap) -> Option<IpAddr> {
        // `::ffff:10.0.0.5` (an IPv4 peer on a dual-stack listener) is `10.0.0.5`.
        let peer = peer.map(|p| p.ip().to_canonical())?;
        if !self.is_trusted(peer) {
            if headers.contains_key("x-forwarded-for")
                && !self.warned_forwarded.swap(true, Ordering::Relaxed)
            {
                tracing::warn!(peer = %peer, "a request came with X-Forwarded-For from {peer}, which is not in [limits] trusted_proxies: every shopper behind that proxy counts as {peer} (one create quota for all); if it is your proxy, add \"{peer}\" to trusted_proxies (said once)");
            }
            return Some(peer);
        }
        let mut nearest = peer;
        for value in headers.get_all("x-forwarded-for").iter().rev() {
            let Ok(text) = value.to_str() else {
                return Some(nearest);
            };
            for hop in text.rsplit(',') {
                match parse_hop(hop.trim()) {
                    Some(ip) if self.is_trusted(ip) => nearest = ip,
                    Some(ip) => return Some(ip),
                    // A garbled entry: nothing to its left can be believed.
                    None => return Some(nearest),
                }
            }
        }
        Some(nearest)
    }

    /// What the accept loop needs: the caps and who is exempt from the per-address one.
    pub fn caps(&self) -> Caps {
        Caps {
            max_connections: self.max_connections,
            per_ip: self.connections_per_ip,
            exempt: self.trusted.clone(),
        }
    }

    /// The create limit's key: an IPv6 address counts by its /64 (one subscriber's block), else
    /// anyone with a /64 could make 2^64 "addresses".
    pub fn key(ip: IpAddr) -> IpAddr {
        match ip.to_canonical() {
            IpAddr::V6(v6) => {
                let s = v6.segments();
                IpAddr::V6(std::net::Ipv6Addr::new(s[0], s[1], s[2], s[3], 0, 0, 0, 0))
            }
            v4 => v4,
        }
    }

    fn is_trusted(&self, ip: IpAddr) -> bool {
        self.trusted.iter().any(|net| net.contains(&ip))
    }

    /// One session create from `ip`: allowed, or the seconds until the next one is.
    pub fn check_create(&self, ip: Option<IpAddr>) -> Result<(), u64> {
        let (Some(limiter), Some(ip)) = (&self.creates, ip) else {
            return Ok(());
        };
        if self.checks.fetch_add(1, Ordering::Relaxed) % 4096 == 4095 {
            limiter.retain_recent();
            limiter.shrink_to_fit();
        }
        limiter.check_key(&Limits::key(ip)).map_err(|not_until| {
            let wait = not_until.wait_time_from(DefaultClock::default().now());
            wait.as_secs() + u64::from(wait.subsec_nanos() > 0)
        })
    }
}

/// The accept loop's caps: connections per listener, per client address on it (an IPv6 address by
/// its /64), and the trusted proxies, never capped per address (every shopper comes through them).
#[derive(Debug, Clone)]
pub struct Caps {
    pub max_connections: usize,
    pub per_ip: usize,
    pub exempt: Vec<ipnet::IpNet>,
}

/// Open connections per client address on one listener.
#[derive(Debug)]
pub struct PerAddress {
    cap: usize,
    exempt: Vec<ipnet::IpNet>,
    open: std::sync::Mutex<std::collections::HashMap<IpAddr, usize>>,
}

/// One open connection counted against its address; dropping it gives the place back.
#[derive(Debug)]
pub struct Held {
    from: Option<(Arc<PerAddress>, IpAddr)>,
}

impl PerAddress {
    pub fn new(caps: &Caps) -> Arc<PerAddress> {
        Arc::new(PerAddress {
            cap: caps.per_ip.max(1),
            exempt: caps.exempt.clone(),
            open: Default::default(),
        })
    }

    /// A place for a connection from `peer`, or `None` past the cap.
    pub fn take(self: &Arc<Self>, peer: IpAddr) -> Option<Held> {
        let peer = peer.to_canonical();
        if self.exempt.iter().any(|net| net.contains(&peer)) {
            return Some(Held { from: None });
        }
        let key = Limits::key(peer);
        let mut open = self.open.lock().unwrap_or_else(|p| p.into_inner());
        let n = open.entry(key).or_insert(0);
        if *n >= self.cap {
            return None;
        }
        *n += 1;
        Some(Held {
            from: Some((self.clone(), key)),
        })
    }
}

impl Drop for Held {
    fn drop(&mut self) {
        if let Some((table, key)) = self.from.take() {
            let mut open = table.open.lock().unwrap_or_else(|p| p.into_inner());
            if let Some(n) = open.get_mut(&key) {
                *n = n.saturating_sub(1);
                if *n == 0 {
                    open.remove(&key);
                }
            }
        }
    }
}

/// One `X-Forwarded-For` entry: an address, `ip:port`, or `[v6]:port` (some proxies add the port).
fn parse_hop(hop: &str) -> Option<IpAddr> {
    hop.parse::<IpAddr>()
        .ok()
        .or_else(|| hop.parse::<SocketAddr>().ok().map(|s| s.ip()))
        .map(|ip| ip.to_canonical())
}

#[cfg(test)]
mod tests {
    use super::*;

    fn limits(trusted: &[&str]) -> Limits {
        LimitsConfig {
            trusted_proxies: trusted.iter().map(|s| s.to_string()).collect(),
            creates_per_minute_per_ip: 3,
            ..Default::default()
        }
        .checked()
        .expect("valid")
    }

    fn xff(values: &[&str]) -> HeaderMap {
        let mut h = HeaderMap::new();
        for v in values {
            h.append("x-forwarded-for", v.parse().expect("header"));
        }
        h
    }

    fn peer(ip: &str) -> Option<SocketAddr> {
        Some(SocketAddr::new(ip.parse().expect("ip"), 4000))
    }

    #[test]
    fn x_forwarded_for_is_believed_only_from_a_trusted_proxy() {
        let ip = |s: &str| Some(s.parse::<IpAddr>().expect("ip"));
        let none = limits(&[]);
        assert_eq!(
            none.client_ip(peer("203.0.113.9"), &xff(&["1.2.3.4"])),
            ip("203.0.113.9"),
            "no trusted proxy: the header is the client's own words"
        );
        let lb = limits(&["10.0.0.0/8", "127.0.0.1"]);
        assert_eq!(
            lb.client_ip(peer("10.1.1.1"), &xff(&["1.2.3.4"])),
            ip("1.2.3.4")
        );
        assert_eq!(
            lb.client_ip(peer("10.1.1.1"), &xff(&["6.6.6.6, 1.2.3.4, 10.2.2.2"])),
            ip("1.2.3.4"),
            "the nearest untrusted hop, never the forgeable left end"
        );
        assert_eq!(
            lb.client_ip(peer("10.1.1.1"), &xff(&["6.6.6.6", "1.2.3.4"])),
            ip("1.2.3.4"),
            "several headers read as one list"
        );
        assert_eq!(
            lb.client_ip(peer("10.1.1.1"), &xff(&["6.6.6.6, garbage"])),
            ip("10.1.1.1")
        );
        assert_eq!(
            lb.client_ip(peer("203.0.113.9"), &xff(&["1.2.3.4"])),
            ip("203.0.113.9"),
            "a peer that is not a trusted proxy"
        );
        assert_eq!(lb.client_ip(None, &xff(&["1.2.3.4"])), None);
        assert_eq!(
            lb.client_ip(peer("::ffff:10.1.1.1"), &xff(&["1.2.3.4:5678"])),
            ip("1.2.3.4"),
            "an IPv4 proxy on a dual-stack listener, and an entry with its port"
        );
        assert_eq!(
            lb.client_ip(peer("10.1.1.1"), &xff(&["[2001:db8::1]:443"])),
            ip("2001:db8::1")
        );
    }

    #[test]
    fn creates_past_the_quota_wait_and_say_how_long() {
        let l = limits(&[]);
        let a = Some("198.51.100.1".parse().expect("ip"));
        let b = Some("198.51.100.2".parse().expect("ip"));
        for _ in 0..3 {
            assert_eq!(l.check_create(a), Ok(()));
        }
        let wait = l.check_create(a).expect_err("over the quota");
        assert!((1..=20).contains(&wait), "{wait}");
        assert_eq!(
            l.check_create(b),
            Ok(()),
            "another address has its own quota"
        );
        let v6 = |s: &str| Some(s.parse::<IpAddr>().expect("ip"));
        for _ in 0..3 {
            assert_eq!(l.check_create(v6("2001:db8:1:2::1")), Ok(()));
        }
        assert!(
            l.check_create(v6("2001:db8:1:2:ffff::9")).is_err(),
            "one /64 is one quota"
        );
        assert_eq!(Limits::without_create_limit().check_create(a), Ok(()));
    }

    #[test]
    fn bad_limits_name_their_key() {
        for (cfg, key) in [
            (
                LimitsConfig {
                    max_connections: 0,
                    ..Default::default()
                },
                "max_connections",
            ),
            (
                LimitsConfig {
                    streams_per_session: 0,
                    ..Default::default()
                },
                "streams_per_session",
            ),
            (
                LimitsConfig {
                    creates_per_minute_per_ip: 0,
                    ..Default::default()
                },
                "creates_per_minute_per_ip",
            ),
            (
                LimitsConfig {
                    trusted_proxies: vec!["10.0.0.0/99".into()],
                    ..Default::default()
                },
                "trusted_proxies",
            ),
        ] {
            let err = cfg.checked().expect_err("refused");
            assert!(err.contains(key), "{err}");
        }
    }
}
