//! Reconciliation's schedule: notifications get lost, so pending sessions are asked about at the
//! gateway (`checkout::query`) and closed there at expiry (`checkout::expire`).
//!
//! A session still pending `first_query_after` (30 s) after creation is queried, first after 3–5 s,
//! then backing off to at most once a minute. At expiry the gateway order is closed (a close that
//! finds the order paid ends `succeeded`); if the gateway cannot be reached, the session is expired
//! locally once `grace` (2 min) has passed, so every session is final by expiry + 2 minutes. A
//! payment that lands later still moves it to `succeeded` through its notification. A session whose
//! close failed (the gateway was down when the shopper cancelled, or a newer attempt was made)
//! stays pending and its close is retried on the query schedule (`SessionRecord::close_as`).
//!
//! Several instances on one database each run this loop; before a query or a close, an instance
//! takes the session's lease (`Store::lease`, renewed while it keeps working on it, for at least
//! `ReconcileConfig::lease`), so one instance at a time asks the gateway about a session, and when an instance dies
//! its sessions are taken over once their leases run out.

use std::collections::{HashMap, HashSet};
use std::time::Duration;

use rand::Rng;
use time::OffsetDateTime;
use tokio::task::JoinSet;

use crate::checkout;
use crate::core::clock::{parse_rfc3339, unix_ms};
use crate::AppState;

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_far_expiry_saturates_instead_of_panicking() {
        let far = time::macros::datetime!(9999-12-31 23:59:59 UTC);
        assert_eq!(
            later(far, Duration::from_secs(120)),
            time::PrimitiveDateTime::MAX.assume_utc()
        );
        assert_eq!(
            later(far, Duration::MAX),
            time::PrimitiveDateTime::MAX.assume_utc()
        );
        let t = time::macros::datetime!(2026-12-01 00:00 UTC);
        assert_eq!(
            later(t, Duration::from_secs(60)),
            t + time::Duration::minutes(1)
        );
    }
}

/// A payment code's session (the shopper stands at the counter): first asked about this soon after
/// it was made, then this often (jittered ±25%, so always within 5 s), until its wait ends.
const COUNTER_FIRST: Duration = Duration::from_secs(2);
const COUNTER_EVERY: Duration = Duration::from_secs(3);

#[derive(Debug, Clone)]
pub struct ReconcileConfig {
    /// How often the work list is looked at.
    pub tick: Duration,
    /// A session younger than this is left to its notification.
    pub first_query_after: Duration,
    /// The first wait between queries (jittered ±25%); it doubles up to `max_interval`.
    pub first_interval: Duration,
    pub max_interval: Duration,
    /// After expiry, how long a gateway that cannot be reached may keep a session pending.
    pub grace: Duration,
    /// How often refunds still `processing` are asked about at the gateway (so each one that ends
    /// sends its webhook without anyone reading it).
    pub refund_every: Duration,
    /// The shortest lease an instance takes on a session it queries or closes: longer than a close
    /// and the query after it (15 s each) with the store's waits. Another instance takes the
    /// session over this long after a crash.
    pub lease: Duration,
    /// This loop's name in the leases; the same name after a restart renews its own leases at
    /// once. `None`: a random one.
    pub holder: Option<String>,
}

impl Default for ReconcileConfig {
    fn default() -> Self {
        ReconcileConfig {
            tick: Duration::from_secs(1),
            first_query_after: Duration::from_secs(30),
            first_interval: Duration::from_secs(4),
            max_interval: Duration::from_secs(60),
            grace: Duration::from_secs(120),
            refund_every: Duration::from_secs(15),
            lease: Duration::from_secs(60),
            holder: None,
        }
    }
}

/// When a session is next due, and the wait after that.
#[derive(Debug, Clone, Copy)]
struct Next {
    at: OffsetDateTime,
    interval: Duration,
}

fn jitter(d: Duration) -> Duration {
    let ms = u64::try_from(d.as_millis()).unwrap_or(u64::MAX);
    let spread = ms / 4;
    let low = ms.saturating_sub(spread);
    Duration::from_millis(rand::thread_rng().gen_range(low..=ms.saturating_add(spread)))
}

/// `t + d`, saturating at the last representable instant (a stored year-9999 expiry never panics).
fn later(t: OffsetDateTime, d: Duration) -> OffsetDateTime {
    time::Duration::try_from(d)
        .ok()
        .and_then(|d| t.checked_add(d))
        .unwrap_or_else(|| time::PrimitiveDateTime::MAX.assume_utc())
}

/// Runs reconciliation until the server stops.
pub fn spawn(state: AppState, config: ReconcileConfig) -> tokio::task::JoinHandle<()> {
    tokio::spawn(async move {
        // This loop's name in the store's leases: one per process and start.
        let holder = config
            .holder
            .clone()
            .unwrap_or_else(|| format!("rc_{}", crate::core::domain::random_id(12)));
        let mut schedule = HashMap::new();
        let mut refunds_due = tokio::time::Instant::now() + config.refund_every;
        loop {
            tokio::time::sleep(config.tick).await;
            run_once(&state, &config, &holder, &mut schedule).await;
            if tokio::time::Instant::now() >= refunds_due {
                refunds_due = tokio::time::Instant::now() + config.refund_every;
                checkout::settle_refunds(&state).await;
            }
        }
    })
}

enum Job {
    Query,
    Close { give_up: bool },
}

async fn run_once(
    state: &AppState,
    config: &ReconcileConfig,
    holder: &str,
    schedule: &mut HashMap<String, Next>,
) {
    let pending = match state.store.pending().await {
        Ok(p) => p,
        Err(e) => {
            tracing::error!(error = %e, "reconciliation cannot read the store");
            return;
        }
    };
    let ids: HashSet<&str> = pending.iter().map(|r| r.session.id.as_str()).collect();
    schedule.retain(|id, _| ids.contains(id.as_str()));
    let ids_len = ids.len();
    let now = state.clock.now();
    let mut jobs = JoinSet::new();
    for record in pending {
        let (Some(created), Some(expires)) = (
            parse_rfc3339(&record.session.created_at),
            parse_rfc3339(&record.session.expires_at),
        ) else {
            tracing::error!(session = %record.session.id, "stored times do not parse");
            continue;
        };
        let counter = record.session.flow == wallet_checkout_protocol::Flow::PaymentCode;
        let next = schedule
            .entry(record.session.id.clone())
            .or_insert(if counter {
                Next {
                    at: later(created, COUNTER_FIRST),
                    interval: COUNTER_EVERY,
                }
            } else {
                Next {
                    at: later(created, config.first_query_after),
                    interval: config.first_interval,
                }
            });
        let job = if record.close_as.is_some() && now < expires {
            // A close that failed earlier: retried on the query schedule until the gateway answers.
            if now < next.at {
                continue;
            }
            Job::Close { give_up: false }
        } else if now >= expires {
            // Closing is retried every tick-interval after expiry until it works or grace runs out.
            if now < next.at && now < later(expires, config.grace) {
                continue;
            }
            Job::Close {
                give_up: now >= later(expires, config.grace),
            }
        } else if now >= next.at {
            Job::Query
        } else {
            continue;
        };
        let wait = jitter(next.interval);
        next.at = later(now, wait);
        next.interval = if counter {
            COUNTER_EVERY
        } else {
            next.interval.saturating_mul(2).min(config.max_interval)
        };
        let until = later(now, wait.max(config.lease));
        match state
            .store
            .lease(&record.id(), holder, unix_ms(now), unix_ms(until))
            .await
        {
            Ok(true) => {}
            // Another instance is on it; this one looks again at its next turn.
            Ok(false) => continue,
            Err(e) => {
                tracing::error!(error = %e, "reconciliation cannot lease a session");
                continue;
            }
        }
        let state = state.clone();
        jobs.spawn(async move {
            match job {
                Job::Query => checkout::query(&state, &record).await,
                Job::Close { give_up } => checkout::expire(&state, &record, give_up).await,
            }
        });
    }
    while jobs.join_next().await.is_some() {}
    crate::core::metrics::metrics().reconciled(state.clock.now().unix_timestamp(), ids_len);
}
