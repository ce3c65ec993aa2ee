//! The default store: SQLite in one file (embedded, nothing to start), durable across restarts.
//!
//! Writes are synchronous (`synchronous=FULL` in WAL mode) so a notification is acknowledged only
//! after its status change is on disk. Status changes are compare-and-set inside a transaction.
//! Every write runs on tokio's blocking pool (`spawn_blocking`), so an fsync never stalls a worker.
//! A session read by id (the widget's status read, the hot path) runs on the worker itself with a
//! reader connection of its own: in WAL mode a reader never waits for the writer, a read by primary
//! key takes microseconds, and a handoff to the blocking pool per read cost more than the read (64
//! readers on one core spent most of their time waking threads and contending for one mutex). A
//! reader that would wait (`SQLITE_BUSY`) or fails in any way gives the read back to the pool path.

use std::path::Path;
use std::sync::{Arc, Mutex};

use rusqlite::{params, Connection, OptionalExtension, Row};
use wallet_checkout_protocol::{Action, Flow, Money, Session, Status, Wallet};

use crate::core::rules;

use super::{
    random_id, Attempt, Customer, EventRecord, EventsFor, GatewayResult, NewEvent, OrderRecord,
    OrderRef, Put, RefundId, RefundRecord, RefundStatus, SessionId, SessionQuery, SessionRecord,
    Store, StoreError, Writer,
};

pub struct SqliteStore {
    conn: Arc<Mutex<Connection>>,
    path: std::path::PathBuf,
    /// Idle reader connections for reads on the worker (at most `READERS` kept).
    readers: Mutex<Vec<Connection>>,
}

/// Reader connections kept open: one per worker that reads at the same moment is enough.
const READERS: usize = 8;

impl std::fmt::Debug for SqliteStore {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("SqliteStore")
    }
}

fn err(e: rusqlite::Error) -> StoreError {
    match e {
        rusqlite::Error::SqliteFailure(f, _)
            if f.code == rusqlite::ErrorCode::ConstraintViolation =>
        {
            StoreError::Conflict
        }
        other => {
            crate::core::metrics::metrics().store_error("sqlite");
            StoreError::Unavailable(other.to_string())
        }
    }
}

const SCHEMA: &str = "
CREATE TABLE IF NOT EXISTS sessions (
    id TEXT PRIMARY KEY,
    order_ref TEXT NOT NULL,
    status TEXT NOT NULL,
    wallet TEXT NOT NULL,
    flow TEXT NOT NULL,
    gateway TEXT NOT NULL,
    amount_value INTEGER NOT NULL CHECK (amount_value >= 0),
    currency TEXT NOT NULL,
    description TEXT NOT NULL,
    created_at TEXT NOT NULL,
    expires_at TEXT NOT NULL,
    action TEXT,
    gateway_ref TEXT NOT NULL,
    merchant_ref TEXT NOT NULL,
    idempotency_key TEXT UNIQUE,
    return_url TEXT
);
CREATE INDEX IF NOT EXISTS sessions_order ON sessions(order_ref);
CREATE INDEX IF NOT EXISTS sessions_gateway_ref ON sessions(gateway, gateway_ref);
CREATE INDEX IF NOT EXISTS sessions_status ON sessions(status);
CREATE INDEX IF NOT EXISTS sessions_newest ON sessions(created_at, id);
CREATE INDEX IF NOT EXISTS sessions_status_newest ON sessions(status, created_at, id);
CREATE INDEX IF NOT EXISTS sessions_gateway_id ON sessions(gateway_ref);
CREATE TABLE IF NOT EXISTS refunds (
    id TEXT PRIMARY KEY,
    session_id TEXT NOT NULL REFERENCES sessions(id),
    amount_value INTEGER NOT NULL CHECK (amount_value > 0),
    currency TEXT NOT NULL,
    reason TEXT NOT NULL,
    status TEXT NOT NULL,
    gateway_ref TEXT,
    created_at TEXT NOT NULL
);
CREATE INDEX IF NOT EXISTS refunds_session ON refunds(session_id);
CREATE TABLE IF NOT EXISTS orders (
    reference TEXT PRIMARY KEY,
    amount_value INTEGER NOT NULL CHECK (amount_value > 0),
    currency TEXT NOT NULL,
    description TEXT NOT NULL,
    customer TEXT,
    metadata TEXT NOT NULL,
    created_at TEXT NOT NULL,
    updated_at TEXT NOT NULL
);
CREATE TABLE IF NOT EXISTS events (
    seq INTEGER PRIMARY KEY AUTOINCREMENT,
    id TEXT NOT NULL UNIQUE,
    kind TEXT NOT NULL,
    created_at TEXT NOT NULL,
    data TEXT NOT NULL,
    delivered INTEGER NOT NULL DEFAULT 0,
    attempts INTEGER NOT NULL DEFAULT 0 CHECK (attempts >= 0),
    next_attempt_ms INTEGER,
    session_id TEXT,
    last_status INTEGER
);
CREATE INDEX IF NOT EXISTS events_due ON events(next_attempt_ms) WHERE delivered = 0;
";

/// Brings a file made by an older version up to `SCHEMA` (columns added since; idempotent).
/// Creates the file `0600` if it is missing, and narrows an existing one to that.
fn owner_only(path: &Path) -> Result<(), StoreError> {
    let fail = |e: std::io::Error| StoreError::Unavailable(format!("{}: {e}", path.display()));
    #[cfg(unix)]
    {
        use std::os::unix::fs::{OpenOptionsExt, PermissionsExt};
        std::fs::OpenOptions::new()
            .create(true)
            .append(true)
            .mode(0o600)
            .open(path)
            .map_err(fail)?;
        // A file owned by another user (a shared deployment) keeps its mode: say so, go on.
        if let Err(e) = std::fs::set_permissions(path, std::fs::Permissions::from_mode(0o600)) {
            tracing::warn!(file = %path.display(), error = %e, "cannot make the store file owner-only (0600)");
        }
    }
    #[cfg(not(unix))]
    let _ = fail;
    Ok(())
}

fn migrate(conn: &Connection) -> Result<(), StoreError> {
    let has = |table: &str, column: &str| -> Result<bool, StoreError> {
        let mut stmt = conn
            .prepare(&format!(
                "SELECT 1 FROM pragma_table_info('{table}') WHERE name = ?1"
            ))
            .map_err(err)?;
        stmt.exists([column]).map_err(err)
    };
    for column in ["gateway_code", "gateway_message", "failure"] {
        if !has("sessions", column)? {
            conn.execute_batch(&format!("ALTER TABLE sessions ADD COLUMN {column} TEXT"))
                .map_err(err)?;
        }
    }
    if !has("sessions", "close_as")? {
        conn.execute_batch("ALTER TABLE sessions ADD COLUMN close_as TEXT")
            .map_err(err)?;
    }
    if !has("sessions", "lease_until_ms")? {
        conn.execute_batch(
            "ALTER TABLE sessions ADD COLUMN lease_holder TEXT; ALTER TABLE sessions ADD COLUMN lease_until_ms INTEGER",
        )
        .map_err(err)?;
    }
    if !has("events", "session_id")? {
        conn.execute_batch(
            "ALTER TABLE events ADD COLUMN session_id TEXT; ALTER TABLE events ADD COLUMN last_status INTEGER;
             UPDATE events SET session_id = json_extract(data, '$.session.id')",
        )
        .map_err(err)?;
    }
    conn.execute_batch("CREATE INDEX IF NOT EXISTS events_session ON events(session_id, seq)")
        .map_err(err)?;
    if !has("refunds", "idempotency_key")? {
        conn.execute_batch("ALTER TABLE refunds ADD COLUMN idempotency_key TEXT")
            .map_err(err)?;
    }
    conn.execute_batch(
        "CREATE UNIQUE INDEX IF NOT EXISTS refunds_idempotency_key ON refunds(idempotency_key)",
    )
    .map_err(err)?;
    // Orders kept before client secrets get one each (48 hex characters, 192 random bits): the
    // shop reads it with GET /admin/orders/{reference}.
    if !has("orders", "client_secret")? {
        conn.execute_batch(
            "ALTER TABLE orders ADD COLUMN client_secret TEXT; UPDATE orders SET client_secret = lower(hex(randomblob(24))) WHERE client_secret IS NULL",
        )
        .map_err(err)?;
    }
    Ok(())
}

const COLUMNS: &str = "id, order_ref, status, wallet, flow, gateway, amount_value, currency, description, created_at, expires_at, action, gateway_ref, merchant_ref, idempotency_key, return_url, close_as, gateway_code, gateway_message, failure";

fn bad(column: usize, what: &str) -> rusqlite::Error {
    rusqlite::Error::FromSqlConversionFailure(
        column,
        rusqlite::types::Type::Text,
        format!("stored {what} is not valid").into(),
    )
}

fn session_row(row: &Row<'_>) -> rusqlite::Result<SessionRecord> {
    let status: String = row.get(2)?;
    let wallet: String = row.get(3)?;
    let flow: String = row.get(4)?;
    let value: i64 = row.get(6)?;
    let currency: String = row.get(7)?;
    let action: Option<String> = row.get(11)?;
    let action = match action {
        Some(a) => Some(serde_json::from_str::<Action>(&a).map_err(|_| bad(11, "action"))?),
        None => None,
    };
    Ok(SessionRecord {
        session: Session {
            id: row.get(0)?,
            order: row.get(1)?,
            status: Status::parse(&status).ok_or_else(|| bad(2, "status"))?,
            wallet: Wallet::parse(&wallet).ok_or_else(|| bad(3, "wallet"))?,
            flow: Flow::parse(&flow).ok_or_else(|| bad(4, "flow"))?,
            gateway: row.get(5)?,
            amount: Money::new(
                u64::try_from(value).map_err(|_| bad(6, "amount"))?,
                &currency,
            )
            .map_err(|_| bad(7, "currency"))?,
            description: row.get(8)?,
            created_at: row.get(9)?,
            expires_at: row.get(10)?,
            action,
            failure: row
                .get::<_, Option<String>>(19)?
                .map(|c| wallet_checkout_protocol::Failure {
                    code: wallet_checkout_protocol::FailureCode::parse(&c),
                }),
        },
        gateway_ref: row.get(12)?,
        merchant_ref: row.get(13)?,
        idempotency_key: row.get(14)?,
        return_url: row.get(15)?,
        close_as: match row.get::<_, Option<String>>(16)? {
            Some(s) => Some(Status::parse(&s).ok_or_else(|| bad(16, "close_as"))?),
            None => None,
        },
        gateway_result: match (
            row.get::<_, Option<String>>(17)?,
            row.get::<_, Option<String>>(18)?,
        ) {
            (Some(code), message) => Some(GatewayResult {
                code,
                message: message.unwrap_or_default(),
            }),
            _ => None,
        },
    })
}

fn refund_row(row: &Row<'_>) -> rusqlite::Result<RefundRecord> {
    let value: i64 = row.get(2)?;
    let currency: String = row.get(3)?;
    let status: String = row.get(5)?;
    Ok(RefundRecord {
        id: row.get(0)?,
        session_id: row.get(1)?,
        amount: Money::new(
            u64::try_from(value).map_err(|_| bad(2, "amount"))?,
            &currency,
        )
        .map_err(|_| bad(3, "currency"))?,
        reason: row.get(4)?,
        status: RefundStatus::parse(&status).ok_or_else(|| bad(5, "refund status"))?,
        gateway_ref: row.get(6)?,
        created_at: row.get(7)?,
        idempotency_key: row.get(8)?,
    })
}

fn value_i64(m: &Money) -> Result<i64, StoreError> {
    i64::try_from(m.value).map_err(|_| StoreError::Unavailable("amount too large to store".into()))
}

impl SqliteStore {
    /// Opens (or creates) the database file and its tables.
    /// Opens (or creates) the file; it is readable by its owner only (`0600`), and SQLite gives its
    /// `-wal` and `-shm` files the same mode.
    pub fn open(path: &Path) -> Result<SqliteStore, StoreError> {
        if let Some(dir) = path.parent().filter(|d| !d.as_os_str().is_empty()) {
            std::fs::create_dir_all(dir)
                .map_err(|e| StoreError::Unavailable(format!("{}: {e}", dir.display())))?;
        }
        owner_only(path)?;
        let conn = Connection::open(path).map_err(err)?;
        conn.pragma_update(None, "journal_mode", "WAL")
            .map_err(err)?;
        conn.pragma_update(None, "synchronous", "FULL")
            .map_err(err)?;
        conn.pragma_update(None, "foreign_keys", "ON")
            .map_err(err)?;
        conn.busy_timeout(std::time::Duration::from_secs(5))
            .map_err(err)?;
        // Schema and migrations in one IMMEDIATE transaction: two processes starting on one old
        // file never both add the same column.
        conn.execute_batch("BEGIN IMMEDIATE").map_err(err)?;
        let made = conn
            .execute_batch(SCHEMA)
            .map_err(err)
            .and_then(|()| migrate(&conn));
        match made {
            Ok(()) => conn.execute_batch("COMMIT").map_err(err)?,
            Err(e) => {
                let _ = conn.execute_batch("ROLLBACK");
                return Err(e);
            }
        }
        Ok(SqliteStore {
            conn: Arc::new(Mutex::new(conn)),
            path: path.to_path_buf(),
            readers: Mutex::new(Vec::new()),
        })
    }

    /// A reader for reads on the worker: never waits for a lock (rusqlite gives every connection a
    /// 5 s busy timeout; this one has none), writes nothing, and never creates the file.
    fn reader(&self) -> Option<Connection> {
        if let Some(conn) = self.readers.lock().ok()?.pop() {
            return Some(conn);
        }
        let flags = rusqlite::OpenFlags::SQLITE_OPEN_READ_WRITE
            | rusqlite::OpenFlags::SQLITE_OPEN_NO_MUTEX
            | rusqlite::OpenFlags::SQLITE_OPEN_URI;
        let conn = Connection::open_with_flags(&self.path, flags).ok()?;
        conn.busy_timeout(std::time::Duration::ZERO).ok()?;
        conn.pragma_update(None, "query_only", "ON").ok()?;
        Some(conn)
    }

    /// One session by id on the calling thread; `None` when the reader could not answer at once
    /// (busy, or any error), and the caller reads on the blocking pool instead.
    fn get_here(&self, id: &str) -> Option<Option<SessionRecord>> {
        let conn = self.reader()?;
        static BY_ID: std::sync::LazyLock<String> =
            std::sync::LazyLock::new(|| format!("SELECT {COLUMNS} FROM sessions WHERE id = ?1"));
        let found = conn
            .prepare_cached(&BY_ID)
            .and_then(|mut stmt| stmt.query_row(params![id], session_row).optional())
            .ok()?;
        if let Ok(mut idle) = self.readers.lock() {
            if idle.len() < READERS {
                idle.push(conn);
            }
        }
        Some(found)
    }

    /// Runs `f` with the connection on the blocking pool.
    async fn with<T: Send + 'static>(
        &self,
        f: impl FnOnce(&mut Connection) -> Result<T, StoreError> + Send + 'static,
    ) -> Result<T, StoreError> {
        let conn = self.conn.clone();
        tokio::task::spawn_blocking(move || {
            let mut guard = conn.lock().unwrap_or_else(|p| p.into_inner());
            f(&mut guard)
        })
        .await
        .map_err(|e| StoreError::Unavailable(format!("store task ended: {e}")))?
    }

    async fn sessions_where(
        &self,
        clause: &'static str,
        args: Vec<String>,
    ) -> Result<Vec<SessionRecord>, StoreError> {
        self.with(move |conn| {
            let mut stmt = conn
                .prepare_cached(&format!("SELECT {COLUMNS} FROM sessions WHERE {clause}"))
                .map_err(err)?;
            let rows = stmt
                .query_map(rusqlite::params_from_iter(args.iter()), session_row)
                .map_err(err)?;
            rows.collect::<Result<Vec<_>, _>>().map_err(err)
        })
        .await
    }
}

const ORDER_COLUMNS: &str =
    "reference, amount_value, currency, description, customer, metadata, created_at, updated_at, client_secret";

fn order_row(row: &Row<'_>) -> rusqlite::Result<OrderRecord> {
    let value: i64 = row.get(1)?;
    let currency: String = row.get(2)?;
    let customer: Option<String> = row.get(4)?;
    let metadata: String = row.get(5)?;
    Ok(OrderRecord {
        reference: row.get(0)?,
        amount: Money::new(
            u64::try_from(value).map_err(|_| bad(1, "amount"))?,
            &currency,
        )
        .map_err(|_| bad(2, "currency"))?,
        description: row.get(3)?,
        customer: match customer {
            Some(c) => Some(serde_json::from_str::<Customer>(&c).map_err(|_| bad(4, "customer"))?),
            None => None,
        },
        metadata: serde_json::from_str(&metadata).map_err(|_| bad(5, "metadata"))?,
        created_at: row.get(6)?,
        updated_at: row.get(7)?,
        client_secret: row.get(8)?,
    })
}

fn json_text<T: serde::Serialize>(v: &T) -> Result<String, StoreError> {
    serde_json::to_string(v).map_err(|e| StoreError::Unavailable(e.to_string()))
}

const EVENT_COLUMNS: &str =
    "id, kind, created_at, data, delivered, attempts, next_attempt_ms, last_status";

fn event_row(row: &Row<'_>) -> rusqlite::Result<EventRecord> {
    let data: String = row.get(3)?;
    let attempts: i64 = row.get(5)?;
    Ok(EventRecord {
        id: row.get(0)?,
        kind: row.get(1)?,
        created_at: row.get(2)?,
        data: serde_json::from_str(&data).map_err(|_| bad(3, "event data"))?,
        delivered: row.get(4)?,
        attempts: u32::try_from(attempts).map_err(|_| bad(5, "attempts"))?,
        next_attempt_ms: row.get(6)?,
        last_status: row
            .get::<_, Option<i64>>(7)?
            .map(|s| u16::try_from(s).map_err(|_| bad(7, "last status")))
            .transpose()?,
    })
}

/// Records `e` inside the caller's transaction.
fn insert_event(tx: &rusqlite::Transaction<'_>, e: NewEvent) -> Result<(), StoreError> {
    tx.execute(
        "INSERT INTO events (id, kind, created_at, data, next_attempt_ms, session_id) VALUES (?1, ?2, ?3, ?4, ?5, ?6)",
        params![
            format!("evt_{}", random_id(24)),
            e.kind,
            e.created_at,
            json_text(&e.data)?,
            e.first_attempt_ms,
            e.session_id()
        ],
    )
    .map_err(err)?;
    Ok(())
}

const REFUND_COLUMNS: &str =
    "id, session_id, amount_value, currency, reason, status, gateway_ref, created_at, idempotency_key";

/// A session's refunds as (amount, status), for `rules::refund_fits`.
fn refund_amounts(
    tx: &rusqlite::Transaction<'_>,
    session_id: &str,
) -> Result<Vec<(u64, RefundStatus)>, StoreError> {
    let mut stmt = tx
        .prepare_cached("SELECT amount_value, status FROM refunds WHERE session_id = ?1")
        .map_err(err)?;
    let rows = stmt
        .query_map([session_id], |r| {
            Ok((r.get::<_, i64>(0)?, r.get::<_, String>(1)?))
        })
        .map_err(err)?;
    let mut out = Vec::new();
    for row in rows {
        let (value, status) = row.map_err(err)?;
        let status = RefundStatus::parse(&status)
            .ok_or_else(|| StoreError::Unavailable(format!("a refund's status {status:?}")))?;
        out.push((u64::try_from(value).unwrap_or(0), status));
    }
    Ok(out)
}

#[async_trait::async_trait]
impl Store for SqliteStore {
    async fn insert(&self, r: SessionRecord, _: Writer) -> Result<(), StoreError> {
        let action = match &r.session.action {
            Some(a) => {
                Some(serde_json::to_string(a).map_err(|e| StoreError::Unavailable(e.to_string()))?)
            }
            None => None,
        };
        let value = value_i64(&r.session.amount)?;
        self.with(move |conn| {
            let s = &r.session;
            // IMMEDIATE: the order's amount is read and the session written under one write lock.
            let tx = conn
                .transaction_with_behavior(rusqlite::TransactionBehavior::Immediate)
                .map_err(err)?;
            let order: Option<(i64, String)> = tx
                .query_row(
                    "SELECT amount_value, currency FROM orders WHERE reference = ?1",
                    [&s.order],
                    |row| Ok((row.get(0)?, row.get(1)?)),
                )
                .optional()
                .map_err(err)?;
            let locked = order.is_some_and(|(v, currency)| {
                let current = Money {
                    value: u64::try_from(v).unwrap_or(u64::MAX),
                    currency,
                };
                rules::amount_locked(&current, &s.amount, true)
            });
            if locked {
                return Err(StoreError::Locked);
            }
            tx.execute(
                &format!("INSERT INTO sessions ({COLUMNS}) VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9, ?10, ?11, ?12, ?13, ?14, ?15, ?16, ?17, ?18, ?19, ?20)"),
                params![
                    s.id, s.order, s.status.as_str(), s.wallet.as_str(), s.flow.as_str(), s.gateway,
                    value, s.amount.currency, s.description, s.created_at, s.expires_at,
                    action, r.gateway_ref, r.merchant_ref, r.idempotency_key, r.return_url,
                    r.close_as.map(Status::as_str),
                    r.gateway_result.as_ref().map(|g| g.code.as_str()),
                    r.gateway_result.as_ref().map(|g| g.message.as_str()),
                    s.failure.as_ref().map(|f| f.code.as_str())
                ],
            )
            .map_err(err)?;
            tx.commit().map_err(err)
        })
        .await
    }

    async fn request_close(&self, id: &SessionId, status: Status) -> Result<(), StoreError> {
        let id = id.to_string();
        self.with(move |conn| {
            conn.execute(
                "UPDATE sessions SET close_as = ?2 WHERE id = ?1 AND status = 'pending'",
                params![id, status.as_str()],
            )
            .map_err(err)?;
            Ok(())
        })
        .await
    }

    async fn note_gateway_result(
        &self,
        id: &SessionId,
        result: GatewayResult,
    ) -> Result<(), StoreError> {
        let id = id.to_string();
        self.with(move |conn| {
            conn.execute(
                "UPDATE sessions SET gateway_code = ?2, gateway_message = ?3 WHERE id = ?1",
                params![id, result.code, result.message],
            )
            .map_err(err)?;
            Ok(())
        })
        .await
    }

    async fn get(&self, id: &SessionId) -> Result<Option<SessionRecord>, StoreError> {
        let id = id.as_str();
        if let Some(found) = self.get_here(id) {
            return Ok(found);
        }
        Ok(self
            .sessions_where("id = ?1", vec![id.to_string()])
            .await?
            .into_iter()
            .next())
    }

    async fn by_idempotency_key(&self, key: &str) -> Result<Option<SessionRecord>, StoreError> {
        Ok(self
            .sessions_where("idempotency_key = ?1", vec![key.to_string()])
            .await?
            .into_iter()
            .next())
    }

    async fn by_order(&self, order: &OrderRef) -> Result<Vec<SessionRecord>, StoreError> {
        let order = order.as_str();
        self.sessions_where(
            "order_ref = ?1 ORDER BY created_at, rowid",
            vec![order.to_string()],
        )
        .await
    }

    async fn transition(
        &self,
        id: &SessionId,
        next: Status,
        events: EventsFor,
        _: Writer,
    ) -> Result<Option<(SessionRecord, bool)>, StoreError> {
        let id = id.to_string();
        self.with(move |conn| {
            let tx = conn
                .transaction_with_behavior(rusqlite::TransactionBehavior::Immediate)
                .map_err(err)?;
            let current = tx
                .query_row(
                    &format!("SELECT {COLUMNS} FROM sessions WHERE id = ?1"),
                    [&id],
                    session_row,
                )
                .optional()
                .map_err(err)?;
            let Some(mut record) = current else {
                return Ok(None);
            };
            let changed = record.session.status.may_become(next);
            if changed {
                tx.execute(
                    "UPDATE sessions SET status = ?1 WHERE id = ?2 AND status = ?3",
                    params![next.as_str(), id, record.session.status.as_str()],
                )
                .map_err(err)?;
                let others = {
                    let mut stmt = tx
                        .prepare_cached(
                            "SELECT status FROM sessions WHERE order_ref = ?1 AND id <> ?2",
                        )
                        .map_err(err)?;
                    let rows = stmt
                        .query_map(params![record.session.order, id], |r| r.get::<_, String>(0))
                        .map_err(err)?;
                    rows.collect::<Result<Vec<_>, _>>().map_err(err)?
                };
                let paid_before =
                    rules::paid_twice(next, others.iter().filter_map(|s| Status::parse(s)));
                record.session.status = next;
                for e in events(&record, paid_before) {
                    insert_event(&tx, e)?;
                }
            }
            tx.commit().map_err(err)?;
            Ok(Some((record, changed)))
        })
        .await
    }

    async fn pending(&self) -> Result<Vec<SessionRecord>, StoreError> {
        self.sessions_where("status = 'pending'", Vec::new()).await
    }

    async fn sessions_page(&self, q: &SessionQuery) -> Result<Vec<SessionRecord>, StoreError> {
        let q = q.clone();
        self.with(move |conn| {
            // Only the clauses asked for (so the newest-first index serves the page), every value
            // a parameter: the search is matched exactly, never as a pattern.
            let mut clauses = vec!["1 = 1".to_string()];
            let mut args: Vec<rusqlite::types::Value> = Vec::new();
            if let Some(s) = &q.search {
                args.push(s.clone().into());
                let n = args.len();
                clauses.push(format!("(order_ref = ?{n} OR id = ?{n} OR gateway_ref = ?{n})"));
            }
            if let Some(st) = q.status {
                args.push(st.as_str().to_string().into());
                clauses.push(format!("status = ?{}", args.len()));
            }
            if let Some(from) = &q.from {
                args.push(from.clone().into());
                clauses.push(format!("created_at >= ?{}", args.len()));
            }
            // After a page, `created_at <= before` already bounds the range from above, and a
            // second upper bound makes SQLite scan from the range's end on every page.
            if let Some(until) = q.until.as_ref().filter(|u| super::until_needed(u, &q.before)) {
                args.push(until.clone().into());
                clauses.push(format!("created_at < ?{}", args.len()));
            }
            if let Some((at, id)) = &q.before {
                args.push(at.clone().into());
                args.push(id.clone().into());
                let n = args.len();
                // The plain bound too: with the export's range SQLite's planner scans the index
                // from the range's end otherwise (every page read what the pages before it did).
                clauses.push(format!(
                    "created_at <= ?{} AND (created_at, id) < (?{}, ?{n})",
                    n - 1,
                    n - 1
                ));
            }
            args.push(i64::try_from(q.limit).unwrap_or(i64::MAX).into());
            let sql = format!(
                "SELECT {COLUMNS} FROM sessions WHERE {} ORDER BY created_at DESC, id DESC LIMIT ?{}",
                clauses.join(" AND "),
                args.len()
            );
            let mut stmt = conn.prepare_cached(&sql).map_err(err)?;
            let rows = stmt
                .query_map(rusqlite::params_from_iter(args.iter()), session_row)
                .map_err(err)?;
            rows.collect::<Result<Vec<_>, _>>().map_err(err)
        })
        .await
    }

    async fn lease(
        &self,
        id: &SessionId,
        holder: &str,
        now_ms: i64,
        until_ms: i64,
    ) -> Result<bool, StoreError> {
        let (id, holder) = (id.to_string(), holder.to_string());
        self.with(move |conn| {
            let n = conn
                .execute(
                    "UPDATE sessions SET lease_holder = ?2, lease_until_ms = ?4 WHERE id = ?1 AND status = 'pending' AND (lease_holder IS NULL OR lease_holder = ?2 OR lease_until_ms <= ?3)",
                    params![id, holder, now_ms, until_ms],
                )
                .map_err(err)?;
            Ok(n == 1)
        })
        .await
    }

    async fn ping(&self) -> Result<(), StoreError> {
        self.with(|conn| conn.query_row("SELECT 1", [], |_| Ok(())).map_err(err))
            .await
    }

    async fn insert_refund(&self, r: RefundRecord, paid: u64, _: Writer) -> Result<(), StoreError> {
        let value = value_i64(&r.amount)?;
        self.with(move |conn| {
            // IMMEDIATE: the write lock is taken before the sum is read, so nothing slips between.
            let tx = conn
                .transaction_with_behavior(rusqlite::TransactionBehavior::Immediate)
                .map_err(err)?;
            let taken = refund_amounts(&tx, &r.session_id)?;
            rules::refund_fits(r.amount.value, paid, taken)
                .map_err(|left| StoreError::OverRefund { left })?;
            tx.execute(
                &format!("INSERT INTO refunds ({REFUND_COLUMNS}) VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9)"),
                params![r.id, r.session_id, value, r.amount.currency, r.reason, r.status.as_str(), r.gateway_ref, r.created_at, r.idempotency_key],
            )
            .map_err(err)?;
            tx.commit().map_err(err)
        })
        .await
    }

    async fn get_refund(&self, id: &RefundId) -> Result<Option<RefundRecord>, StoreError> {
        let id = id.to_string();
        self.with(move |conn| {
            conn.query_row(
                &format!("SELECT {REFUND_COLUMNS} FROM refunds WHERE id = ?1"),
                [id],
                refund_row,
            )
            .optional()
            .map_err(err)
        })
        .await
    }

    async fn refunds(&self, session_id: &SessionId) -> Result<Vec<RefundRecord>, StoreError> {
        let session_id = session_id.to_string();
        self.with(move |conn| {
            let mut stmt = conn
                .prepare_cached(&format!("SELECT {REFUND_COLUMNS} FROM refunds WHERE session_id = ?1 ORDER BY created_at, rowid"))
                .map_err(err)?;
            let rows = stmt.query_map([session_id], refund_row).map_err(err)?;
            rows.collect::<Result<Vec<_>, _>>().map_err(err)
        })
        .await
    }

    async fn refund_by_key(&self, key: &str) -> Result<Option<RefundRecord>, StoreError> {
        let key = key.to_string();
        self.with(move |conn| {
            conn.query_row(
                &format!("SELECT {REFUND_COLUMNS} FROM refunds WHERE idempotency_key = ?1"),
                [key],
                refund_row,
            )
            .optional()
            .map_err(err)
        })
        .await
    }

    async fn processing_refunds(&self) -> Result<Vec<RefundRecord>, StoreError> {
        self.with(move |conn| {
            let mut stmt = conn
                .prepare_cached(&format!(
                    "SELECT {REFUND_COLUMNS} FROM refunds WHERE status = 'processing' ORDER BY created_at, rowid"
                ))
                .map_err(err)?;
            let rows = stmt.query_map([], refund_row).map_err(err)?;
            rows.collect::<Result<Vec<_>, _>>().map_err(err)
        })
        .await
    }

    async fn update_refund(
        &self,
        id: &RefundId,
        status: RefundStatus,
        gateway_ref: Option<&str>,
        event: Option<NewEvent>,
        _: Writer,
    ) -> Result<(), StoreError> {
        let id = id.to_string();
        let gateway_ref = gateway_ref.map(str::to_string);
        self.with(move |conn| {
            let tx = conn
                .transaction_with_behavior(rusqlite::TransactionBehavior::Immediate)
                .map_err(err)?;
            let current: Option<String> = tx
                .query_row("SELECT status FROM refunds WHERE id = ?1", [&id], |r| r.get(0))
                .optional()
                .map_err(err)?;
            let Some(current) = current.as_deref().and_then(RefundStatus::parse) else {
                return Ok(());
            };
            if !rules::refund_may_become(current, status) {
                return Ok(());
            }
            tx.execute(
                "UPDATE refunds SET status = ?1, gateway_ref = COALESCE(?2, gateway_ref) WHERE id = ?3",
                params![status.as_str(), gateway_ref, id],
            )
            .map_err(err)?;
            // Only the update that ended it tells of it.
            let ends = rules::refund_ends(current, status);
            if let (true, Some(e)) = (ends, event) {
                insert_event(&tx, e)?;
            }
            tx.commit().map_err(err)?;
            Ok(())
        })
        .await
    }

    async fn put_order(&self, order: OrderRecord) -> Result<Put, StoreError> {
        let value = value_i64(&order.amount)?;
        let customer = order.customer.as_ref().map(json_text).transpose()?;
        let metadata = json_text(&order.metadata)?;
        self.with(move |conn| {
            // IMMEDIATE: the check and the write hold the write lock together.
            let tx = conn
                .transaction_with_behavior(rusqlite::TransactionBehavior::Immediate)
                .map_err(err)?;
            let old = tx
                .query_row(
                    &format!("SELECT {ORDER_COLUMNS} FROM orders WHERE reference = ?1"),
                    [&order.reference],
                    order_row,
                )
                .optional()
                .map_err(err)?;
            let put = match old {
                None => {
                    tx.execute(
                        &format!("INSERT INTO orders ({ORDER_COLUMNS}) VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9)"),
                        params![order.reference, value, order.amount.currency, order.description, customer, metadata, order.created_at, order.updated_at, order.client_secret],
                    )
                    .map_err(err)?;
                    Put::Created(order)
                }
                Some(old) => {
                    let has_session: bool = tx
                        .query_row(
                            "SELECT EXISTS (SELECT 1 FROM sessions WHERE order_ref = ?1)",
                            [&order.reference],
                            |r| r.get(0),
                        )
                        .map_err(err)?;
                    if rules::amount_locked(&old.amount, &order.amount, has_session) {
                        return Err(StoreError::Locked);
                    }
                    tx.execute(
                        "UPDATE orders SET amount_value = ?2, currency = ?3, description = ?4, customer = ?5, metadata = ?6, updated_at = ?7 WHERE reference = ?1",
                        params![order.reference, value, order.amount.currency, order.description, customer, metadata, order.updated_at],
                    )
                    .map_err(err)?;
                    Put::Updated(OrderRecord {
                        created_at: old.created_at,
                        client_secret: old.client_secret,
                        ..order
                    })
                }
            };
            tx.commit().map_err(err)?;
            Ok(put)
        })
        .await
    }

    async fn get_order(&self, reference: &OrderRef) -> Result<Option<OrderRecord>, StoreError> {
        let reference = reference.to_string();
        self.with(move |conn| {
            conn.query_row(
                &format!("SELECT {ORDER_COLUMNS} FROM orders WHERE reference = ?1"),
                [reference],
                order_row,
            )
            .optional()
            .map_err(err)
        })
        .await
    }

    async fn events_after(
        &self,
        after: Option<&str>,
        limit: usize,
    ) -> Result<Option<Vec<EventRecord>>, StoreError> {
        let after = after.map(str::to_string);
        let limit = i64::try_from(limit).unwrap_or(i64::MAX);
        self.with(move |conn| {
            let from: i64 = match &after {
                None => 0,
                Some(a) => match conn
                    .query_row("SELECT seq FROM events WHERE id = ?1", [a], |r| r.get(0))
                    .optional()
                    .map_err(err)?
                {
                    Some(seq) => seq,
                    None => return Ok(None),
                },
            };
            let mut stmt = conn
                .prepare_cached(&format!(
                    "SELECT {EVENT_COLUMNS} FROM events WHERE seq > ?1 ORDER BY seq LIMIT ?2"
                ))
                .map_err(err)?;
            let rows = stmt
                .query_map(params![from, limit], event_row)
                .map_err(err)?;
            Ok(Some(rows.collect::<Result<Vec<_>, _>>().map_err(err)?))
        })
        .await
    }

    async fn events_for_session(&self, id: &SessionId) -> Result<Vec<EventRecord>, StoreError> {
        let id = id.to_string();
        self.with(move |conn| {
            let mut stmt = conn
                .prepare_cached(&format!(
                    "SELECT {EVENT_COLUMNS} FROM events WHERE session_id = ?1 ORDER BY seq"
                ))
                .map_err(err)?;
            let rows = stmt.query_map([id], event_row).map_err(err)?;
            rows.collect::<Result<Vec<_>, _>>().map_err(err)
        })
        .await
    }

    async fn events_page(
        &self,
        before: Option<&str>,
        limit: usize,
    ) -> Result<Vec<EventRecord>, StoreError> {
        let before = before.map(str::to_string);
        let limit = i64::try_from(limit).unwrap_or(i64::MAX);
        self.with(move |conn| {
            let until: i64 = match &before {
                None => i64::MAX,
                Some(b) => match conn
                    .query_row("SELECT seq FROM events WHERE id = ?1", [b], |r| r.get(0))
                    .optional()
                    .map_err(err)?
                {
                    Some(seq) => seq,
                    None => return Ok(Vec::new()),
                },
            };
            let mut stmt = conn
                .prepare_cached(&format!(
                    "SELECT {EVENT_COLUMNS} FROM events WHERE seq < ?1 ORDER BY seq DESC LIMIT ?2"
                ))
                .map_err(err)?;
            let rows = stmt
                .query_map(params![until, limit], event_row)
                .map_err(err)?;
            rows.collect::<Result<Vec<_>, _>>().map_err(err)
        })
        .await
    }

    async fn retry_event(
        &self,
        id: &str,
        now_ms: i64,
        hold_until_ms: i64,
    ) -> Result<bool, StoreError> {
        let id = id.to_string();
        self.with(move |conn| {
            conn.execute(
                "UPDATE events SET next_attempt_ms = ?2 WHERE id = ?1 AND delivered = 0 AND (next_attempt_ms IS NULL OR next_attempt_ms > ?3)",
                params![id, now_ms, hold_until_ms],
            )
            .map_err(err)?;
            conn.prepare_cached(
                "SELECT 1 FROM events WHERE id = ?1 AND delivered = 0 AND next_attempt_ms <= ?2",
            )
            .map_err(err)?
            .exists(params![id, hold_until_ms])
            .map_err(err)
        })
        .await
    }

    async fn paid_and_refunded(
        &self,
        ids: &[SessionId],
    ) -> Result<std::collections::HashMap<String, super::PaidAndRefunded>, StoreError> {
        let ids: Vec<String> = ids.iter().map(|i| i.to_string()).collect();
        self.with(move |conn| {
            let mut out: std::collections::HashMap<String, super::PaidAndRefunded> =
                std::collections::HashMap::new();
            // At most SQLite's 32 766 parameters per statement; a page is 500.
            for chunk in ids.chunks(10_000) {
                let marks = vec!["?"; chunk.len()].join(", ");
                let mut paid = conn
                    .prepare(&format!(
                        "SELECT session_id, min(created_at) FROM events WHERE session_id IN ({marks}) AND kind = 'session.succeeded' GROUP BY session_id"
                    ))
                    .map_err(err)?;
                let rows = paid
                    .query_map(rusqlite::params_from_iter(chunk.iter()), |r| {
                        Ok((r.get::<_, String>(0)?, r.get::<_, String>(1)?))
                    })
                    .map_err(err)?;
                for row in rows {
                    let (id, at) = row.map_err(err)?;
                    out.entry(id).or_default().paid_at = Some(at);
                }
                let mut refunded = conn
                    .prepare(&format!(
                        "SELECT session_id, sum(amount_value) FROM refunds WHERE session_id IN ({marks}) AND status = 'succeeded' GROUP BY session_id"
                    ))
                    .map_err(err)?;
                let rows = refunded
                    .query_map(rusqlite::params_from_iter(chunk.iter()), |r| {
                        Ok((r.get::<_, String>(0)?, r.get::<_, i64>(1)?))
                    })
                    .map_err(err)?;
                for row in rows {
                    let (id, sum) = row.map_err(err)?;
                    out.entry(id).or_default().refunded = u64::try_from(sum).unwrap_or(0);
                }
            }
            Ok(out)
        })
        .await
    }

    async fn oldest_undelivered(&self) -> Result<Option<String>, StoreError> {
        self.with(|conn| {
            conn.query_row(
                "SELECT min(created_at) FROM events WHERE delivered = 0 AND next_attempt_ms IS NOT NULL",
                [],
                |r| r.get(0),
            )
            .map_err(err)
        })
        .await
    }

    async fn claim_due(
        &self,
        now_ms: i64,
        hold_until_ms: i64,
        limit: usize,
    ) -> Result<Vec<EventRecord>, StoreError> {
        let limit = i64::try_from(limit).unwrap_or(i64::MAX);
        self.with(move |conn| {
            // IMMEDIATE: the write lock before the read, so two writers never both upgrade.
            let tx = conn
                .transaction_with_behavior(rusqlite::TransactionBehavior::Immediate)
                .map_err(err)?;
            let claimed = {
                let mut stmt = tx
                    .prepare_cached(&format!(
                        "SELECT {EVENT_COLUMNS} FROM events WHERE delivered = 0 AND next_attempt_ms <= ?1 ORDER BY seq LIMIT ?2"
                    ))
                    .map_err(err)?;
                let rows = stmt.query_map(params![now_ms, limit], event_row).map_err(err)?;
                rows.collect::<Result<Vec<_>, _>>().map_err(err)?
            };
            {
                let mut hold = tx
                    .prepare_cached("UPDATE events SET next_attempt_ms = ?2 WHERE id = ?1")
                    .map_err(err)?;
                for e in &claimed {
                    hold.execute(params![e.id, hold_until_ms]).map_err(err)?;
                }
            }
            tx.commit().map_err(err)?;
            Ok(claimed)
        })
        .await
    }

    async fn record_attempts(&self, attempts: &[Attempt]) -> Result<(), StoreError> {
        let attempts = attempts.to_vec();
        self.with(move |conn| {
            let tx = conn.transaction().map_err(err)?;
            {
                let mut stmt = tx
                    .prepare_cached(
                        "UPDATE events SET attempts = attempts + 1, delivered = ?2, next_attempt_ms = ?3, last_status = ?5 WHERE id = ?1 AND delivered = 0 AND attempts = ?4",
                    )
                    .map_err(err)?;
                for a in &attempts {
                    let next = if a.delivered { None } else { a.next_attempt_ms };
                    stmt.execute(params![a.event, a.delivered, next, i64::from(a.attempts_before), a.status])
                        .map_err(err)?;
                }
            }
            tx.commit().map_err(err)
        })
        .await
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn temp_db() -> (std::path::PathBuf, std::path::PathBuf) {
        let dir = std::env::temp_dir().join(format!("wc-sqlite-{}", super::super::random_id(8)));
        let path = dir.join("nested/checkout.db");
        (dir, path)
    }

    #[tokio::test]
    async fn passes_the_store_conformance_suite() {
        let (dir, path) = temp_db();
        let store = SqliteStore::open(&path).expect("opens");
        super::super::conformance::check_store(&store).await;
        let _ = std::fs::remove_dir_all(dir);
    }

    #[tokio::test]
    async fn a_read_by_id_sees_only_committed_writes_and_never_waits_for_a_lock() {
        let (dir, path) = temp_db();
        let store = SqliteStore::open(&path).expect("opens");
        let record = super::super::conformance::sample_record("R1", 1, None);
        let id = record.session.id.clone();
        store
            .insert(record, crate::checkout::Writer::for_tests())
            .await
            .expect("writes");
        // Another connection in the middle of a write: the reader answers at once with what was
        // committed, not with the write in progress.
        let other = Connection::open(&path).expect("opens a second connection");
        other.execute_batch("BEGIN IMMEDIATE").expect("begins");
        other
            .execute(
                "UPDATE sessions SET status = 'succeeded' WHERE id = ?1",
                params![id],
            )
            .expect("writes, uncommitted");
        let here = store.get_here(&id).expect("answered on this thread");
        assert_eq!(here.map(|r| r.session.status), Some(Status::Pending));
        assert_eq!(store.get_here("cs_missing"), Some(None));
        other.execute_batch("ROLLBACK").expect("rolls back");
        assert_eq!(
            store.readers.lock().map(|r| r.len()).unwrap_or(0),
            1,
            "the reader is kept"
        );
        // The reader never sleeps on a lock (rusqlite gives a new connection a 5 s busy timeout):
        // busy, it answers `None` at once and `get` reads on the blocking pool.
        let reader = store.reader().expect("a reader");
        let timeout: i64 = reader
            .query_row("PRAGMA busy_timeout", [], |r| r.get(0))
            .expect("reads its busy timeout");
        assert_eq!(timeout, 0);
        assert!(
            reader
                .execute("UPDATE sessions SET description = 'x'", [])
                .is_err(),
            "a reader writes nothing"
        );
        drop(other);
        let pooled = store.get(&SessionId::from(&id)).await.expect("reads");
        assert_eq!(pooled.map(|r| r.session.id), Some(id));
        let _ = std::fs::remove_dir_all(dir);
    }

    #[cfg(unix)]
    #[tokio::test]
    async fn the_file_is_readable_by_its_owner_only() {
        use std::os::unix::fs::PermissionsExt;
        let (dir, path) = temp_db();
        let store = SqliteStore::open(&path).expect("opens");
        store
            .insert(
                super::super::conformance::sample_record("P1", 1, None),
                crate::checkout::Writer::for_tests(),
            )
            .await
            .expect("writes");
        for file in [path.clone(), path.with_extension("db-wal")] {
            let mode = std::fs::metadata(&file)
                .expect("exists")
                .permissions()
                .mode()
                & 0o777;
            assert_eq!(mode, 0o600, "{}", file.display());
        }
        drop(store);
        std::fs::set_permissions(&path, std::fs::Permissions::from_mode(0o644)).expect("chmod");
        let _again = SqliteStore::open(&path).expect("reopens");
        let mode = std::fs::metadata(&path)
            .expect("exists")
            .permissions()
            .mode()
            & 0o777;
        assert_eq!(mode, 0o600, "an existing file is narrowed");
        let _ = std::fs::remove_dir_all(dir);
    }

    #[tokio::test]
    async fn what_was_written_survives_reopening() {
        let (dir, path) = temp_db();
        let written = {
            let store = SqliteStore::open(&path).expect("opens");
            super::super::conformance::write_sample(&store).await
        };
        let store = SqliteStore::open(&path).expect("reopens");
        super::super::conformance::check_sample(&store, &written).await;
        let _ = std::fs::remove_dir_all(dir);
    }

    #[tokio::test]
    async fn a_file_from_before_refund_idempotency_keys_is_migrated_at_open() {
        let (dir, path) = temp_db();
        if let Some(parent) = path.parent() {
            std::fs::create_dir_all(parent).expect("dir");
        }
        {
            let old = Connection::open(&path).expect("old file");
            old.execute_batch(
                "CREATE TABLE refunds (id TEXT PRIMARY KEY, session_id TEXT NOT NULL, amount_value INTEGER NOT NULL,
                 currency TEXT NOT NULL, reason TEXT NOT NULL, status TEXT NOT NULL, gateway_ref TEXT, created_at TEXT NOT NULL);
                 INSERT INTO refunds VALUES ('rf_old', 'cs_old', 100, 'CAD', 'r', 'succeeded', NULL, '2026-01-01T00:00:00Z');",
            )
            .expect("old schema");
        }
        let store = SqliteStore::open(&path).expect("opens and migrates");
        let old = store
            .get_refund(&RefundId::from("rf_old"))
            .await
            .expect("ok")
            .expect("kept");
        assert_eq!((old.amount.value, old.idempotency_key), (100, None));
        drop(store);
        let store = SqliteStore::open(&path).expect("a second open changes nothing");
        super::super::conformance::check_store(&store).await;
        let _ = std::fs::remove_dir_all(dir);
    }
}
