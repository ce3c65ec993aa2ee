//! Sessions and refunds at rest: the async `Store` trait, `open` for a store URL (`memory`,
//! `sqlite://PATH` or `postgres://…`), and (test code only) the conformance suite every
//! implementation passes.
//!
//! Status changes go through `transition`, a compare-and-set that only moves a session forward
//! (`Status::may_become`), so duplicate or out-of-order notifications cannot undo a payment. Only the
//! checkout service (`checkout.rs`) can call it and `update_refund`: both take a `Writer`, which
//! only that module can make (so do `insert` and `insert_refund`, which write a status too).

/// The suite every store passes, and a throwaway PostgreSQL database for tests: test code only
/// (`cfg(test)`, or the `conformance` feature the integration tests turn on), never in a release.
#[cfg(any(test, feature = "conformance"))]
pub mod conformance;
mod memory;
mod postgres;
pub mod postgres_tls;
mod sqlite;

use std::sync::Arc;

use wallet_checkout_protocol::Status;

pub use crate::checkout::Writer;
pub use crate::core::ids::{OrderRef, RefundId, SessionId};

pub use crate::core::domain::{
    random_id, Customer, EventRecord, EventsFor, GatewayResult, NewEvent, OrderRecord,
    RefundRecord, RefundStatus, SessionRecord,
};
pub use memory::MemoryStore;
pub use postgres::PgStore;
pub use sqlite::SqliteStore;

/// Opens the store a config names: `memory`, `sqlite://PATH` (created if missing), or
/// `postgres://user@host:port/database` (the password from the URL or `PGPASSWORD`), which must be
/// reachable now: a database that is down at start is an error, not a later surprise.
pub async fn open(url: &str) -> Result<Arc<dyn Store>, StoreError> {
    if url == "memory" {
        return Ok(Arc::new(MemoryStore::default()));
    }
    if url.starts_with("postgres://") || url.starts_with("postgresql://") {
        return Ok(Arc::new(PgStore::connect(url).await?));
    }
    match url.strip_prefix("sqlite://") {
        Some(path) if !path.is_empty() => {
            Ok(Arc::new(SqliteStore::open(std::path::Path::new(path))?))
        }
        // Never the URL itself: a mistyped postgres URL may hold a password.
        _ => Err(StoreError::Unavailable(
            "store is neither \"memory\", \"sqlite://PATH\" nor \"postgres://…\"".into(),
        )),
    }
}

/// What `Store::hold_order` hands back: whatever keeps the hold (a database connection holding a
/// lock), released when dropped.
pub struct OrderHold(pub Option<Box<dyn Send + Sync>>);

impl std::fmt::Debug for OrderHold {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("OrderHold")
    }
}

/// Called with a session id when a change to it may have been made by another instance, and with
/// `None` when changes may have gone unheard (a lost connection was re-established): then every
/// waiter reads the store again.
pub type Wake = Arc<dyn Fn(Option<&str>) + Send + Sync>;

#[derive(Debug, thiserror::Error)]
pub enum StoreError {
    #[error("a session with this id or idempotency key already exists")]
    Conflict,
    #[error("store unavailable: {0}")]
    Unavailable(String),
    /// The refund would take the session's refunds past what was paid; `left` is what remains.
    #[error("the refunds would exceed what was paid ({left} left)")]
    OverRefund { left: u64 },
    /// Text the store cannot hold (PostgreSQL refuses a NUL byte): the caller's input is wrong.
    #[error("the text cannot be stored (a NUL byte)")]
    Invalid,
    /// The order has a session, so its amount may no longer change.
    #[error("the order has a session; its amount can no longer change")]
    Locked,
}

/// One webhook delivery attempt's outcome.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Attempt {
    pub event: String,
    /// The attempts the event had made when this one was claimed: a report that comes after the
    /// claim ran out and another attempt started changes nothing (compare-and-set).
    pub attempts_before: u32,
    pub delivered: bool,
    pub next_attempt_ms: Option<i64>,
    /// The answer's HTTP status, when one came.
    pub status: Option<u16>,
}

/// A page of the console's payments list (`Store::sessions_page`): newest first, by `created_at`
/// then id, only those after `before` (the last row of the previous page: keyset paging, so a page
/// costs the same at the millionth row as at the first).
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct SessionQuery {
    /// An order reference, a session id or the gateway's id, matched exactly (never as a pattern).
    pub search: Option<String>,
    pub status: Option<Status>,
    /// `(created_at, id)` of the last session already shown.
    pub before: Option<(String, String)>,
    /// Only sessions created at or after this RFC 3339 time (the CSV export's range).
    pub from: Option<String>,
    /// Only sessions created before this RFC 3339 time.
    pub until: Option<String>,
    pub limit: usize,
}

/// `Store::paid_and_refunded`'s answer for one session.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct PaidAndRefunded {
    pub paid_at: Option<String>,
    /// Minor units.
    pub refunded: u64,
}

/// Whether a page's query needs the range's end `until`: not when the page starts below it (the
/// keyset bound `created_at <= before` is then the tighter one, and the only one a planner needs).
pub(crate) fn until_needed(until: &str, before: &Option<(String, String)>) -> bool {
    before.as_ref().is_none_or(|(at, _)| at.as_str() >= until)
}

/// What `put_order` did.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Put {
    Created(OrderRecord),
    Updated(OrderRecord),
}

/// Every method is async: a networked database drops in behind it, and SQLite does its work on
/// tokio's blocking pool, never on a worker thread.
#[async_trait::async_trait]
pub trait Store: Send + Sync {
    /// Held for the whole of a create for `reference`, so two creates for one order never run at
    /// once, across every instance sharing the store (dropping it lets the next one in). One
    /// process's lock is enough for a store only one process opens: the default holds nothing.
    async fn hold_order(&self, _reference: &OrderRef) -> Result<OrderHold, StoreError> {
        Ok(OrderHold(None))
    }
    /// Stores a new session; `Locked` (nothing written) when its order is stored with another
    /// amount (the order changed after the session's amount was read: checked and written in one step).
    async fn insert(&self, record: SessionRecord, writer: Writer) -> Result<(), StoreError>;
    async fn get(&self, id: &SessionId) -> Result<Option<SessionRecord>, StoreError>;
    async fn by_idempotency_key(&self, key: &str) -> Result<Option<SessionRecord>, StoreError>;
    /// Every session of one order, oldest first.
    async fn by_order(&self, order: &OrderRef) -> Result<Vec<SessionRecord>, StoreError>;
    /// Moves a session to `next` if `Status::may_become` allows it; returns the record after the call
    /// and whether it changed. When it changed, the events `events` makes are recorded in the same
    /// transaction (so no crash loses the webhook of a change, and no event tells of a change that
    /// did not happen).
    ///
    /// `Writer` is the service's: no code outside `checkout.rs` can make one, so no other code can
    /// change a status.
    async fn transition(
        &self,
        id: &SessionId,
        next: Status,
        events: EventsFor,
        writer: Writer,
    ) -> Result<Option<(SessionRecord, bool)>, StoreError>;
    /// Marks a `pending` session for reconciliation to close as `status` (see
    /// `SessionRecord::close_as`); a session no longer pending is left as it is.
    async fn request_close(&self, id: &SessionId, status: Status) -> Result<(), StoreError>;
    /// Keeps the gateway's last refusal about a session (`SessionRecord::gateway_result`).
    async fn note_gateway_result(
        &self,
        id: &SessionId,
        result: GatewayResult,
    ) -> Result<(), StoreError>;
    /// The console's payments list: see `SessionQuery`.
    async fn sessions_page(&self, q: &SessionQuery) -> Result<Vec<SessionRecord>, StoreError>;
    /// Every session still `pending` (reconciliation's work list).
    async fn pending(&self) -> Result<Vec<SessionRecord>, StoreError>;
    /// Takes (or renews) a pending session for reconciliation by `holder` until `until_ms`, unless
    /// another holder's lease is still running at `now_ms`: `true` if taken. Of several instances,
    /// one queries or closes a session at a time, and a killed instance's lease runs out so
    /// another takes the session over.
    async fn lease(
        &self,
        id: &SessionId,
        holder: &str,
        now_ms: i64,
        until_ms: i64,
    ) -> Result<bool, StoreError>;
    /// Stores a refund only if, with every refund of its session not `failed`, it stays within
    /// `paid` (minor units): checked and written in one transaction (`OverRefund` otherwise), so
    /// two requests, or two instances, can never both fit under the paid amount.
    async fn insert_refund(
        &self,
        refund: RefundRecord,
        paid: u64,
        writer: Writer,
    ) -> Result<(), StoreError>;
    async fn get_refund(&self, id: &RefundId) -> Result<Option<RefundRecord>, StoreError>;
    /// A session's refunds, oldest first.
    async fn refunds(&self, session_id: &SessionId) -> Result<Vec<RefundRecord>, StoreError>;
    /// The refund an admin request with this `Idempotency-Key` made.
    async fn refund_by_key(&self, key: &str) -> Result<Option<RefundRecord>, StoreError>;
    /// Every refund still `processing` (reconciliation asks the gateway how each ended).
    async fn processing_refunds(&self) -> Result<Vec<RefundRecord>, StoreError>;
    /// Sets the status of a refund still `processing` (and the gateway's id, when given); an ended
    /// refund never changes again. `event` is recorded in the same transaction if it ends here.
    async fn update_refund(
        &self,
        id: &RefundId,
        status: RefundStatus,
        gateway_ref: Option<&str>,
        event: Option<NewEvent>,
        writer: Writer,
    ) -> Result<(), StoreError>;
    /// Stores an order, or updates it keeping its `created_at`. Once a session of the order exists,
    /// a different amount is `Locked` and nothing is written (checked and written in one step).
    async fn put_order(&self, order: OrderRecord) -> Result<Put, StoreError>;
    async fn get_order(&self, reference: &OrderRef) -> Result<Option<OrderRecord>, StoreError>;
    /// Events oldest first, after the one with id `after` (from the first without); `None` if
    /// `after` names no event.
    async fn events_after(
        &self,
        after: Option<&str>,
        limit: usize,
    ) -> Result<Option<Vec<EventRecord>>, StoreError>;
    /// Takes up to `limit` due events for one delivery attempt each, oldest first, in one step:
    /// their next attempt moves to `hold_until_ms` (in case an attempt never reports, e.g. a crash),
    /// so a second worker, or a second instance, never takes them at the same time.
    async fn claim_due(
        &self,
        now_ms: i64,
        hold_until_ms: i64,
        limit: usize,
    ) -> Result<Vec<EventRecord>, StoreError>;
    /// Delivery attempts made, written together: each delivered, or its next attempt's time
    /// (`None`: given up). A report for an event already delivered changes nothing.
    async fn record_attempts(&self, attempts: &[Attempt]) -> Result<(), StoreError>;
    /// The events of one session (`NewEvent::session_id`), oldest first: an order's timeline.
    async fn events_for_session(&self, id: &SessionId) -> Result<Vec<EventRecord>, StoreError>;
    /// The console's webhooks list: events newest first, only those recorded before the event
    /// `before` (keyset paging; an unknown `before` is an empty page).
    async fn events_page(
        &self,
        before: Option<&str>,
        limit: usize,
    ) -> Result<Vec<EventRecord>, StoreError>;
    /// Schedules an undelivered event (still retrying or given up) for an attempt at `now_ms`,
    /// keeping its id: `true` when it is now due. An event whose next attempt is already at or
    /// before `hold_until_ms` (due, or claimed by a sender now in flight: its hold ends then) is
    /// left as it is, so it is never sent twice at once; that is `true` too. `false`: delivered or
    /// unknown.
    async fn retry_event(
        &self,
        id: &str,
        now_ms: i64,
        hold_until_ms: i64,
    ) -> Result<bool, StoreError>;
    /// For the CSV export, of each of `ids` that has either: when it was paid (its first
    /// `session.succeeded` event) and the sum of its `succeeded` refunds, in two reads for a page.
    async fn paid_and_refunded(
        &self,
        ids: &[SessionId],
    ) -> Result<std::collections::HashMap<String, PaidAndRefunded>, StoreError>;
    /// `created_at` of the oldest event still to be delivered (not given up): the backlog's age.
    async fn oldest_undelivered(&self) -> Result<Option<String>, StoreError>;
    /// Answers only when the store can be read (`/healthz`).
    async fn ping(&self) -> Result<(), StoreError>;
    /// Starts telling `wake` of changes other processes make (PostgreSQL's `LISTEN`). A store one
    /// process owns hears nothing it did not do itself: the default does nothing.
    fn watch(&self, wake: Wake) {
        let _ = wake;
    }
}
