//! The server's only source of "now", passed in so tests can move time.

use std::sync::Mutex;

use time::{Duration, OffsetDateTime};

pub trait Clock: Send + Sync {
    fn now(&self) -> OffsetDateTime;
}

/// The wall clock.
#[derive(Debug, Default)]
pub struct SystemClock;

impl Clock for SystemClock {
    fn now(&self) -> OffsetDateTime {
        OffsetDateTime::now_utc()
    }
}

/// Wall clock plus an offset that tests can advance (expiry without waiting).
#[derive(Debug, Default)]
pub struct OffsetClock {
    offset: Mutex<Duration>,
}

impl OffsetClock {
    pub fn advance(&self, by: Duration) {
        if let Ok(mut o) = self.offset.lock() {
            *o += by;
        }
    }
}

impl Clock for OffsetClock {
    fn now(&self) -> OffsetDateTime {
        let offset = self.offset.lock().map(|o| *o).unwrap_or_default();
        OffsetDateTime::now_utc() + offset
    }
}

/// RFC 3339 in UTC with whole seconds, as the contract prints times.
pub fn rfc3339(t: OffsetDateTime) -> String {
    let t = t.to_offset(time::UtcOffset::UTC);
    format!(
        "{:04}-{:02}-{:02}T{:02}:{:02}:{:02}Z",
        t.year(),
        u8::from(t.month()),
        t.day(),
        t.hour(),
        t.minute(),
        t.second()
    )
}

pub fn parse_rfc3339(s: &str) -> Option<OffsetDateTime> {
    OffsetDateTime::parse(s, &time::format_description::well_known::Rfc3339).ok()
}

/// Unix milliseconds (the store's leases and webhook times), saturating.
pub fn unix_ms(t: time::OffsetDateTime) -> i64 {
    i64::try_from(t.unix_timestamp_nanos() / 1_000_000).unwrap_or(i64::MAX)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn rfc3339_round_trips_in_utc() {
        let t = time::macros::datetime!(2026-11-21 12:00:05 +08:00);
        assert_eq!(rfc3339(t), "2026-11-21T04:00:05Z");
        assert_eq!(parse_rfc3339("2026-11-21T04:00:05Z"), Some(t));
    }
}
