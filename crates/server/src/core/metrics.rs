//! What the server counts for whoever keeps it running: one process-wide registry
//! (`prometheus-client`), the families every layer adds to (`metrics()`), and the text the admin
//! listener's `GET /metrics` answers (`encode`). Labels are only our own words (wallets, gateways,
//! flows, statuses, operations, kinds of error), never text from outside, so no input can grow
//! them without bound.

use std::sync::atomic::{AtomicI64, Ordering};
use std::sync::LazyLock;

use prometheus_client::encoding::EncodeLabelSet;
use prometheus_client::metrics::counter::Counter;
use prometheus_client::metrics::family::Family;
use prometheus_client::metrics::gauge::Gauge;
use prometheus_client::metrics::histogram::{exponential_buckets, Histogram};
use prometheus_client::registry::Registry;

#[derive(Clone, Debug, Hash, PartialEq, Eq, EncodeLabelSet)]
pub struct SessionLabels {
    pub wallet: String,
    pub gateway: String,
    pub flow: String,
}

#[derive(Clone, Debug, Hash, PartialEq, Eq, EncodeLabelSet)]
pub struct EndedLabels {
    pub wallet: String,
    pub gateway: String,
    pub flow: String,
    pub status: String,
}

#[derive(Clone, Debug, Hash, PartialEq, Eq, EncodeLabelSet)]
pub struct CallLabels {
    pub gateway: String,
    pub operation: String,
}

#[derive(Clone, Debug, Hash, PartialEq, Eq, EncodeLabelSet)]
pub struct CallErrorLabels {
    pub gateway: String,
    pub operation: String,
    pub code: String,
}

#[derive(Clone, Debug, Hash, PartialEq, Eq, EncodeLabelSet)]
pub struct NotificationLabels {
    pub gateway: String,
    pub outcome: String,
    pub reason: String,
}

#[derive(Clone, Debug, Hash, PartialEq, Eq, EncodeLabelSet)]
pub struct OutcomeLabels {
    pub outcome: String,
}

#[derive(Clone, Debug, Hash, PartialEq, Eq, EncodeLabelSet)]
pub struct StoreLabels {
    pub store: String,
}

/// Every family, registered once.
pub struct Metrics {
    registry: Registry,
    pub sessions_created: Family<SessionLabels, Counter>,
    pub sessions_ended: Family<EndedLabels, Counter>,
    pub gateway_seconds: Family<CallLabels, Histogram>,
    pub gateway_errors: Family<CallErrorLabels, Counter>,
    pub notifications: Family<NotificationLabels, Counter>,
    pub webhook_deliveries: Family<OutcomeLabels, Counter>,
    pub webhook_oldest_undelivered: Gauge,
    pub reconcile_pending: Gauge,
    pub reconcile_lag: Gauge,
    pub store_errors: Family<StoreLabels, Counter>,
    pub console_sign_in_failures: Counter,
    /// Unix seconds of the end of reconciliation's last pass (0: none yet).
    reconciled_at: AtomicI64,
}

impl std::fmt::Debug for Metrics {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("Metrics")
    }
}

fn new_histogram() -> Histogram {
    // 5 ms to about 20 s.
    Histogram::new(exponential_buckets(0.005, 2.0, 13))
}

impl Metrics {
    fn new() -> Metrics {
        let mut registry = Registry::with_prefix("wallet_checkout");
        let sessions_created = Family::<SessionLabels, Counter>::default();
        registry.register(
            "sessions_created",
            "Sessions created, by wallet, gateway and flow",
            sessions_created.clone(),
        );
        let sessions_ended = Family::<EndedLabels, Counter>::default();
        registry.register(
            "sessions_ended",
            "Sessions that reached a final status, by wallet, gateway, flow and status",
            sessions_ended.clone(),
        );
        let gateway_seconds =
            Family::<CallLabels, Histogram>::new_with_constructor(new_histogram as fn() -> _);
        registry.register(
            "gateway_request_duration_seconds",
            "Time a gateway call took, by gateway and operation (create, query, close, refund, refund_status)",
            gateway_seconds.clone(),
        );
        let gateway_errors = Family::<CallErrorLabels, Counter>::default();
        registry.register(
            "gateway_errors",
            "Gateway calls that failed, by gateway, operation and kind (timeout, transport, bad_response, refused, declined, unsettled)",
            gateway_errors.clone(),
        );
        let notifications = Family::<NotificationLabels, Counter>::default();
        registry.register(
            "notifications",
            "Gateway notifications, by gateway, outcome (accepted, refused, retry) and reason",
            notifications.clone(),
        );
        let webhook_deliveries = Family::<OutcomeLabels, Counter>::default();
        registry.register(
            "webhook_deliveries",
            "Webhook delivery attempts, by outcome (delivered, retrying, given_up)",
            webhook_deliveries.clone(),
        );
        let webhook_oldest_undelivered = Gauge::default();
        registry.register(
            "webhook_oldest_undelivered_age_seconds",
            "Age of the oldest event still to be delivered to the shop (0: none)",
            webhook_oldest_undelivered.clone(),
        );
        let reconcile_pending = Gauge::default();
        registry.register(
            "reconcile_pending_sessions",
            "Sessions still pending, which reconciliation asks the gateways about",
            reconcile_pending.clone(),
        );
        let reconcile_lag = Gauge::default();
        registry.register(
            "reconcile_lag_seconds",
            "Seconds since reconciliation last finished a pass over the pending sessions (0: no pass yet)",
            reconcile_lag.clone(),
        );
        let store_errors = Family::<StoreLabels, Counter>::default();
        registry.register(
            "store_errors",
            "Store operations that failed, by store (sqlite, postgres)",
            store_errors.clone(),
        );
        let console_sign_in_failures = Counter::default();
        registry.register(
            "console_sign_in_failures",
            "Console sign-ins refused (a wrong token, or too many tries)",
            console_sign_in_failures.clone(),
        );
        Metrics {
            registry,
            sessions_created,
            sessions_ended,
            gateway_seconds,
            gateway_errors,
            notifications,
            webhook_deliveries,
            webhook_oldest_undelivered,
            reconcile_pending,
            reconcile_lag,
            store_errors,
            console_sign_in_failures,
            reconciled_at: AtomicI64::new(0),
        }
    }

    /// A notification's outcome and why.
    pub fn notification(&self, gateway: &str, outcome: &str, reason: &str) {
        self.notifications
            .get_or_create(&NotificationLabels {
                gateway: gateway.to_string(),
                outcome: outcome.to_string(),
                reason: reason.to_string(),
            })
            .inc();
    }

    /// A store operation failed.
    pub fn store_error(&self, store: &str) {
        self.store_errors
            .get_or_create(&StoreLabels {
                store: store.to_string(),
            })
            .inc();
    }

    /// Reconciliation finished a pass at `now_secs` with `pending` sessions to watch.
    pub fn reconciled(&self, now_secs: i64, pending: usize) {
        self.reconciled_at.store(now_secs, Ordering::Relaxed);
        self.reconcile_pending
            .set(i64::try_from(pending).unwrap_or(i64::MAX));
    }

    /// The exposition text, with the lag gauge brought up to `now_secs` first.
    pub fn encode(&self, now_secs: i64) -> Result<String, std::fmt::Error> {
        let at = self.reconciled_at.load(Ordering::Relaxed);
        self.reconcile_lag.set(if at == 0 {
            0
        } else {
            now_secs.saturating_sub(at)
        });
        let mut out = String::new();
        prometheus_client::encoding::text::encode(&mut out, &self.registry)?;
        Ok(out)
    }
}

static METRICS: LazyLock<Metrics> = LazyLock::new(Metrics::new);

/// The process's metrics (one registry, as Prometheus scrapes a process).
pub fn metrics() -> &'static Metrics {
    &METRICS
}
