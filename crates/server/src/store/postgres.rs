//! The store for several instances: PostgreSQL (`store = "postgres://…"`), through a pool of
//! `tokio-postgres` connections (`deadpool-postgres`), and one more connection that `LISTEN`s so
//! every instance hears of every status change.
//!
//! What one SQLite writer gave for free is said here in SQL, because several processes write:
//! - a status change takes the order's advisory lock, then the session's row (`FOR UPDATE`), so
//!   two payments of one order always see each other (`order.paid_twice`);
//! - an event is written under one advisory lock held to commit, so `seq` grows in commit order and
//!   the catch-up (`events_after`) never skips an event that commits late;
//! - webhook claims skip rows another instance holds (`FOR UPDATE SKIP LOCKED`), reconciliation
//!   leases sessions (`lease_until_ms`), a refund's total is read and written under the session's
//!   advisory lock;
//! - each change is published (`pg_notify`) in its transaction, so it is heard only once committed.
//!
//! The schema is created under an advisory lock, so instances starting together do it once.

use std::str::FromStr;
use std::time::Duration;

use deadpool_postgres::{Manager, ManagerConfig, Pool, RecyclingMethod, Runtime};
use futures_util::StreamExt;
use tokio_postgres::{AsyncMessage, Row};
use tokio_postgres_rustls::MakeRustlsConnect;
use wallet_checkout_protocol::{Action, Flow, Money, Session, Status, Wallet};

use crate::core::rules;

use super::{
    random_id, Attempt, Customer, EventRecord, EventsFor, GatewayResult, NewEvent, OrderRecord,
    OrderRef, Put, RefundId, RefundRecord, RefundStatus, SessionId, SessionQuery, SessionRecord,
    Store, StoreError, Wake, Writer,
};

/// The channel status changes are published on (the payload is the session id).
const CHANNEL: &str = "wallet_checkout_session";
/// Advisory lock keys (any two constants; only this program takes them).
const SCHEMA_LOCK: i64 = 0x5741_4c4c_4554_0001;
const EVENTS_LOCK: i64 = 0x5741_4c4c_4554_0002;
/// Connections in the pool of one instance.
const POOL_SIZE: usize = 16;
/// Waiting for a pooled connection, making one, a statement: each has a limit.
const WAIT: Duration = Duration::from_secs(5);
const CONNECT: Duration = Duration::from_secs(5);
const STATEMENT_TIMEOUT_MS: u32 = 10_000;

pub struct PgStore {
    pool: Pool,
    /// For the listening connection, made apart from the pool.
    config: tokio_postgres::Config,
    /// The URL's `sslmode` and roots (`postgres_tls`), for it too.
    tls: MakeRustlsConnect,
}

impl std::fmt::Debug for PgStore {
    // Never the config: it may hold the password.
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("PgStore")
    }
}

fn err(e: tokio_postgres::Error) -> StoreError {
    use tokio_postgres::error::SqlState;
    if e.code() == Some(&SqlState::UNIQUE_VIOLATION) {
        return StoreError::Conflict;
    }
    // Text PostgreSQL cannot hold (a NUL byte): the input's fault, not the store's.
    if matches!(
        e.code(),
        Some(&SqlState::CHARACTER_NOT_IN_REPERTOIRE | &SqlState::UNTRANSLATABLE_CHARACTER)
    ) {
        return StoreError::Invalid;
    }
    crate::core::metrics::metrics().store_error("postgres");
    // With its causes: "error performing TLS handshake" says nothing until the certificate's
    // own error follows it. No cause holds the URL or the password.
    let mut said = format!("postgres: {e}");
    let mut cause = std::error::Error::source(&e);
    while let Some(c) = cause {
        said.push_str(&format!(": {c}"));
        cause = c.source();
    }
    StoreError::Unavailable(said)
}

fn pool_err(e: deadpool_postgres::PoolError) -> StoreError {
    match e {
        deadpool_postgres::PoolError::Backend(e) => err(e),
        other => {
            crate::core::metrics::metrics().store_error("postgres");
            StoreError::Unavailable(format!("postgres: {other}"))
        }
    }
}

/// PostgreSQL's text holds no NUL byte: a key with one names nothing stored (as on SQLite), and is
/// never sent, where it would be an error.
fn holds_nul(keys: &[&str]) -> bool {
    keys.iter().any(|k| k.contains('\0'))
}

fn bad(what: &str) -> StoreError {
    StoreError::Unavailable(format!("stored {what} is not valid"))
}

const SCHEMA: &str = "
CREATE TABLE IF NOT EXISTS sessions (
    seq BIGINT GENERATED ALWAYS AS IDENTITY UNIQUE,
    id TEXT PRIMARY KEY,
    order_ref TEXT NOT NULL,
    status TEXT NOT NULL,
    wallet TEXT NOT NULL,
    flow TEXT NOT NULL,
    gateway TEXT NOT NULL,
    amount_value BIGINT NOT NULL CHECK (amount_value >= 0),
    currency TEXT NOT NULL,
    description TEXT NOT NULL,
    created_at TEXT NOT NULL,
    expires_at TEXT NOT NULL,
    action TEXT,
    gateway_ref TEXT NOT NULL,
    merchant_ref TEXT NOT NULL,
    idempotency_key TEXT UNIQUE,
    return_url TEXT,
    close_as TEXT,
    gateway_code TEXT,
    gateway_message TEXT,
    lease_holder TEXT,
    lease_until_ms BIGINT
);
CREATE INDEX IF NOT EXISTS sessions_order ON sessions(order_ref);
CREATE INDEX IF NOT EXISTS sessions_gateway_ref ON sessions(gateway, gateway_ref);
CREATE INDEX IF NOT EXISTS sessions_pending ON sessions(status) WHERE status = 'pending';
CREATE INDEX IF NOT EXISTS sessions_newest ON sessions(created_at, id);
CREATE INDEX IF NOT EXISTS sessions_status_newest ON sessions(status, created_at, id);
CREATE INDEX IF NOT EXISTS sessions_gateway_id ON sessions(gateway_ref);
CREATE TABLE IF NOT EXISTS refunds (
    seq BIGINT GENERATED ALWAYS AS IDENTITY UNIQUE,
    id TEXT PRIMARY KEY,
    session_id TEXT NOT NULL REFERENCES sessions(id),
    amount_value BIGINT NOT NULL CHECK (amount_value > 0),
    currency TEXT NOT NULL,
    reason TEXT NOT NULL,
    status TEXT NOT NULL,
    gateway_ref TEXT,
    created_at TEXT NOT NULL,
    idempotency_key TEXT UNIQUE
);
CREATE INDEX IF NOT EXISTS refunds_session ON refunds(session_id);
CREATE INDEX IF NOT EXISTS refunds_processing ON refunds(status) WHERE status = 'processing';
CREATE TABLE IF NOT EXISTS orders (
    reference TEXT PRIMARY KEY,
    amount_value BIGINT NOT NULL CHECK (amount_value > 0),
    currency TEXT NOT NULL,
    description TEXT NOT NULL,
    customer TEXT,
    metadata TEXT NOT NULL,
    created_at TEXT NOT NULL,
    updated_at TEXT NOT NULL
);
CREATE TABLE IF NOT EXISTS events (
    seq BIGINT GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
    id TEXT NOT NULL UNIQUE,
    kind TEXT NOT NULL,
    created_at TEXT NOT NULL,
    data TEXT NOT NULL,
    delivered BOOLEAN NOT NULL DEFAULT FALSE,
    attempts INTEGER NOT NULL DEFAULT 0 CHECK (attempts >= 0),
    next_attempt_ms BIGINT
);
CREATE INDEX IF NOT EXISTS events_due ON events(next_attempt_ms) WHERE NOT delivered;
ALTER TABLE orders ADD COLUMN IF NOT EXISTS client_secret TEXT;
ALTER TABLE sessions ADD COLUMN IF NOT EXISTS failure TEXT;
ALTER TABLE events ADD COLUMN IF NOT EXISTS session_id TEXT;
ALTER TABLE events ADD COLUMN IF NOT EXISTS last_status INTEGER;
CREATE INDEX IF NOT EXISTS events_session ON events(session_id, seq);
UPDATE events SET session_id = data::jsonb #>> '{session,id}' WHERE session_id IS NULL;
UPDATE orders SET client_secret = replace(gen_random_uuid()::text, '-', '') || replace(gen_random_uuid()::text, '-', '')
    WHERE client_secret IS NULL;
";

const COLUMNS: &str = "id, order_ref, status, wallet, flow, gateway, amount_value, currency, description, created_at, expires_at, action, gateway_ref, merchant_ref, idempotency_key, return_url, close_as, gateway_code, gateway_message, failure";
const REFUND_COLUMNS: &str =
    "id, session_id, amount_value, currency, reason, status, gateway_ref, created_at, idempotency_key";
const ORDER_COLUMNS: &str =
    "reference, amount_value, currency, description, customer, metadata, created_at, updated_at, client_secret";
const EVENT_COLUMNS: &str =
    "id, kind, created_at, data, delivered, attempts, next_attempt_ms, last_status";

fn get<'a, T: tokio_postgres::types::FromSql<'a>>(row: &'a Row, i: usize) -> Result<T, StoreError> {
    row.try_get(i).map_err(|_| bad("column"))
}

fn money(value: i64, currency: &str) -> Result<Money, StoreError> {
    Money::new(u64::try_from(value).map_err(|_| bad("amount"))?, currency)
        .map_err(|_| bad("currency"))
}

fn session_row(row: &Row) -> Result<SessionRecord, StoreError> {
    let status: String = get(row, 2)?;
    let wallet: String = get(row, 3)?;
    let flow: String = get(row, 4)?;
    let currency: String = get(row, 7)?;
    let action = match get::<Option<String>>(row, 11)? {
        Some(a) => Some(serde_json::from_str::<Action>(&a).map_err(|_| bad("action"))?),
        None => None,
    };
    Ok(SessionRecord {
        session: Session {
            id: get(row, 0)?,
            order: get(row, 1)?,
            status: Status::parse(&status).ok_or_else(|| bad("status"))?,
            wallet: Wallet::parse(&wallet).ok_or_else(|| bad("wallet"))?,
            flow: Flow::parse(&flow).ok_or_else(|| bad("flow"))?,
            gateway: get(row, 5)?,
            amount: money(get(row, 6)?, &currency)?,
            description: get(row, 8)?,
            created_at: get(row, 9)?,
            expires_at: get(row, 10)?,
            action,
            failure: get::<Option<String>>(row, 19)?.map(|c| wallet_checkout_protocol::Failure {
                code: wallet_checkout_protocol::FailureCode::parse(&c),
            }),
        },
        gateway_ref: get(row, 12)?,
        merchant_ref: get(row, 13)?,
        idempotency_key: get(row, 14)?,
        return_url: get(row, 15)?,
        close_as: match get::<Option<String>>(row, 16)? {
            Some(s) => Some(Status::parse(&s).ok_or_else(|| bad("close_as"))?),
            None => None,
        },
        gateway_result: match (
            get::<Option<String>>(row, 17)?,
            get::<Option<String>>(row, 18)?,
        ) {
            (Some(code), message) => Some(GatewayResult {
                code,
                message: message.unwrap_or_default(),
            }),
            _ => None,
        },
    })
}

fn refund_row(row: &Row) -> Result<RefundRecord, StoreError> {
    let currency: String = get(row, 3)?;
    let status: String = get(row, 5)?;
    Ok(RefundRecord {
        id: get(row, 0)?,
        session_id: get(row, 1)?,
        amount: money(get(row, 2)?, &currency)?,
        reason: get(row, 4)?,
        status: RefundStatus::parse(&status).ok_or_else(|| bad("refund status"))?,
        gateway_ref: get(row, 6)?,
        created_at: get(row, 7)?,
        idempotency_key: get(row, 8)?,
    })
}

fn order_row(row: &Row) -> Result<OrderRecord, StoreError> {
    let currency: String = get(row, 2)?;
    let customer = match get::<Option<String>>(row, 4)? {
        Some(c) => Some(serde_json::from_str::<Customer>(&c).map_err(|_| bad("customer"))?),
        None => None,
    };
    let metadata: String = get(row, 5)?;
    Ok(OrderRecord {
        reference: get(row, 0)?,
        amount: money(get(row, 1)?, &currency)?,
        description: get(row, 3)?,
        customer,
        metadata: serde_json::from_str(&metadata).map_err(|_| bad("metadata"))?,
        created_at: get(row, 6)?,
        updated_at: get(row, 7)?,
        client_secret: get(row, 8)?,
    })
}

fn event_row(row: &Row) -> Result<EventRecord, StoreError> {
    let data: String = get(row, 3)?;
    let attempts: i32 = get(row, 5)?;
    Ok(EventRecord {
        id: get(row, 0)?,
        kind: get(row, 1)?,
        created_at: get(row, 2)?,
        data: serde_json::from_str(&data).map_err(|_| bad("event data"))?,
        delivered: get(row, 4)?,
        attempts: u32::try_from(attempts).map_err(|_| bad("attempts"))?,
        next_attempt_ms: get(row, 6)?,
        last_status: get::<Option<i32>>(row, 7)?
            .map(|s| u16::try_from(s).map_err(|_| bad("last status")))
            .transpose()?,
    })
}

fn rows<T>(rows: &[Row], f: fn(&Row) -> Result<T, StoreError>) -> Result<Vec<T>, StoreError> {
    rows.iter().map(f).collect()
}

fn value_i64(m: &Money) -> Result<i64, StoreError> {
    i64::try_from(m.value).map_err(|_| StoreError::Unavailable("amount too large to store".into()))
}

fn json_text<T: serde::Serialize>(v: &T) -> Result<String, StoreError> {
    serde_json::to_string(v).map_err(|e| StoreError::Unavailable(e.to_string()))
}

/// Writes `events` inside the caller's transaction, under the events lock (held to commit), so
/// their `seq` follows commit order.
async fn insert_events(
    tx: &deadpool_postgres::Transaction<'_>,
    events: Vec<NewEvent>,
) -> Result<(), StoreError> {
    if events.is_empty() {
        return Ok(());
    }
    tx.execute("SELECT pg_advisory_xact_lock($1)", &[&EVENTS_LOCK])
        .await
        .map_err(err)?;
    let stmt = tx
        .prepare_cached(
            "INSERT INTO events (id, kind, created_at, data, next_attempt_ms, session_id) VALUES ($1, $2, $3, $4, $5, $6)",
        )
        .await
        .map_err(err)?;
    for e in events {
        let id = format!("evt_{}", random_id(24));
        let data = json_text(&e.data)?;
        tx.execute(
            &stmt,
            &[
                &id,
                &e.kind,
                &e.created_at,
                &data,
                &e.first_attempt_ms,
                &e.session_id(),
            ],
        )
        .await
        .map_err(err)?;
    }
    Ok(())
}

/// How long a create waits for another instance's create of the same order.
const HOLD_WAIT: Duration = Duration::from_secs(30);

/// An order's create lock (`hold_order`): unlocked on drop, on the connection that took it, before
/// that connection goes back to the pool.
struct Held {
    client: Option<deadpool_postgres::Object>,
    key: String,
}

impl Drop for Held {
    fn drop(&mut self) {
        let (Some(client), key) = (self.client.take(), std::mem::take(&mut self.key)) else {
            return;
        };
        let unlock = async move {
            let unlocked = client
                .execute(
                    "SELECT pg_advisory_unlock(hashtextextended($1, 0))",
                    &[&key],
                )
                .await;
            if unlocked.is_err() {
                // Never back to the pool with the lock possibly held: closing it releases it.
                drop(deadpool_postgres::Object::take(client));
            }
        };
        // Without a runtime (the process is ending) the connection closes, and the lock with it.
        if let Ok(rt) = tokio::runtime::Handle::try_current() {
            rt.spawn(unlock);
        }
    }
}

/// Takes an advisory lock named by `key` until the transaction ends.
async fn lock(tx: &deadpool_postgres::Transaction<'_>, key: &str) -> Result<(), StoreError> {
    tx.execute(
        "SELECT pg_advisory_xact_lock(hashtextextended($1, 0))",
        &[&key],
    )
    .await
    .map_err(err)?;
    Ok(())
}

/// Parses a `postgres://` URL; the password comes from the URL or `PGPASSWORD`.
fn parse(url: &str) -> Result<tokio_postgres::Config, StoreError> {
    // The parser's message could quote the URL, and the URL may hold a password: never repeat it.
    let mut config = tokio_postgres::Config::from_str(url).map_err(|_| {
        StoreError::Unavailable(
            "the store URL is not a valid postgres://user@host:port/database URL".into(),
        )
    })?;
    if config.get_password().is_none() {
        if let Ok(password) = std::env::var("PGPASSWORD") {
            config.password(password);
        }
    }
    if config.get_connect_timeout().is_none() {
        config.connect_timeout(CONNECT);
    }
    if config.get_application_name().is_none() {
        config.application_name("wallet-checkout");
    }
    if config.get_options().is_none() {
        config.options(format!(
            "-c statement_timeout={STATEMENT_TIMEOUT_MS} -c lock_timeout={STATEMENT_TIMEOUT_MS} -c idle_in_transaction_session_timeout=30000"
        ));
    }
    // A database that vanished without a word (a failover, a cut cable) is noticed within about a
    // minute, by the pool's connections and the listening one alike: keepalive probes every 10 s
    // after 30 s idle, 3 unanswered ones, and unacknowledged data given up after 30 s.
    config.keepalives(true);
    config.keepalives_idle(Duration::from_secs(30));
    config.keepalives_interval(Duration::from_secs(10));
    config.keepalives_retries(3);
    config.tcp_user_timeout(Duration::from_secs(30));
    Ok(config)
}

impl PgStore {
    /// Connects, and creates or migrates the schema; a database that cannot be reached is an error
    /// now, not at the first request.
    pub async fn connect(url: &str) -> Result<PgStore, StoreError> {
        let asked = super::postgres_tls::split(url)?;
        let mut config = parse(&asked.rest)?;
        let mode = super::postgres_tls::mode_for(asked.mode, &config)?;
        let (ssl_mode, tls) = super::postgres_tls::connector(mode, asked.root.as_ref())?;
        config.ssl_mode(ssl_mode);
        let manager = Manager::from_config(
            config.clone(),
            tls.clone(),
            ManagerConfig {
                recycling_method: RecyclingMethod::Fast,
            },
        );
        let pool = Pool::builder(manager)
            .max_size(POOL_SIZE)
            .runtime(Runtime::Tokio1)
            .wait_timeout(Some(WAIT))
            .create_timeout(Some(CONNECT))
            .recycle_timeout(Some(WAIT))
            .build()
            .map_err(|e| StoreError::Unavailable(format!("postgres pool: {e}")))?;
        let store = PgStore { pool, config, tls };
        store.migrate().await?;
        Ok(store)
    }

    async fn migrate(&self) -> Result<(), StoreError> {
        let mut client = self.pool.get().await.map_err(pool_err)?;
        let tx = client.transaction().await.map_err(err)?;
        // Instances starting together wait here for the first to finish.
        tx.execute("SELECT pg_advisory_xact_lock($1)", &[&SCHEMA_LOCK])
            .await
            .map_err(err)?;
        tx.batch_execute(SCHEMA).await.map_err(err)?;
        tx.commit().await.map_err(err)
    }

    async fn client(&self) -> Result<deadpool_postgres::Object, StoreError> {
        self.pool.get().await.map_err(pool_err)
    }

    async fn sessions_where(
        &self,
        clause: &str,
        args: &[&(dyn tokio_postgres::types::ToSql + Sync)],
    ) -> Result<Vec<SessionRecord>, StoreError> {
        let client = self.client().await?;
        let stmt = client
            .prepare_cached(&format!("SELECT {COLUMNS} FROM sessions WHERE {clause}"))
            .await
            .map_err(err)?;
        rows(&client.query(&stmt, args).await.map_err(err)?, session_row)
    }

    async fn one_session(
        &self,
        clause: &str,
        args: &[&(dyn tokio_postgres::types::ToSql + Sync)],
    ) -> Result<Option<SessionRecord>, StoreError> {
        Ok(self.sessions_where(clause, args).await?.into_iter().next())
    }

    async fn refunds_where(
        &self,
        clause: &str,
        args: &[&(dyn tokio_postgres::types::ToSql + Sync)],
    ) -> Result<Vec<RefundRecord>, StoreError> {
        let client = self.client().await?;
        let stmt = client
            .prepare_cached(&format!(
                "SELECT {REFUND_COLUMNS} FROM refunds WHERE {clause}"
            ))
            .await
            .map_err(err)?;
        rows(&client.query(&stmt, args).await.map_err(err)?, refund_row)
    }
}

/// Listens on `CHANNEL` for as long as the process runs: each notification wakes the session's
/// waiters; after a lost connection, every waiter re-reads the store (`wake(None)`), since changes
/// made while nobody listened were not heard.
async fn listen(config: tokio_postgres::Config, tls: MakeRustlsConnect, wake: Wake) {
    let mut backoff = Duration::from_millis(250);
    let mut first = true;
    loop {
        match listening_connection(&config, tls.clone()).await {
            Ok((client, mut messages)) => {
                match client.batch_execute(&format!("LISTEN {CHANNEL}")).await {
                    Ok(()) => {
                        backoff = Duration::from_millis(250);
                        if !first {
                            tracing::info!("listening for status changes again");
                        }
                        // Whatever changed before LISTEN took effect is read again.
                        wake(None);
                        first = false;
                        while let Some(message) = messages.recv().await {
                            match message {
                                Ok(AsyncMessage::Notification(n)) => wake(Some(n.payload())),
                                Ok(_) => {}
                                Err(e) => {
                                    tracing::warn!(error = %e, "the listening connection failed");
                                    break;
                                }
                            }
                        }
                    }
                    Err(e) => tracing::warn!(error = %e, "cannot LISTEN for status changes"),
                }
            }
            Err(e) => tracing::warn!(error = %e, "cannot connect to listen for status changes"),
        }
        tokio::time::sleep(backoff).await;
        backoff = (backoff * 2).min(Duration::from_secs(5));
    }
}

/// Connects apart from the pool and drives the connection in a task; its asynchronous messages
/// (notifications) come out of the returned channel, which closes when the connection ends.
async fn listening_connection(
    config: &tokio_postgres::Config,
    tls: MakeRustlsConnect,
) -> Result<
    (
        tokio_postgres::Client,
        tokio::sync::mpsc::UnboundedReceiver<Result<AsyncMessage, tokio_postgres::Error>>,
    ),
    tokio_postgres::Error,
> {
    let (client, mut connection) = config.connect(tls).await?;
    let (tx, rx) = tokio::sync::mpsc::unbounded_channel();
    tokio::spawn(async move {
        let mut messages = futures_util::stream::poll_fn(move |cx| connection.poll_message(cx));
        while let Some(m) = messages.next().await {
            let end = m.is_err();
            if tx.send(m).is_err() || end {
                break;
            }
        }
    });
    Ok((client, rx))
}

#[async_trait::async_trait]
impl Store for PgStore {
    /// A session-level advisory lock (`create:{reference}`) on a connection of its own, tried every
    /// 50 ms for up to `HOLD_WAIT` (a create holds it through one gateway call); released, and the
    /// connection given back, when the hold is dropped.
    async fn hold_order(&self, reference: &OrderRef) -> Result<super::OrderHold, StoreError> {
        let key = format!("create:{}", reference.as_str());
        if holds_nul(&[&key]) {
            return Err(StoreError::Invalid);
        }
        let client = self.client().await?;
        let deadline = tokio::time::Instant::now() + HOLD_WAIT;
        loop {
            let row = client
                .query_one(
                    "SELECT pg_try_advisory_lock(hashtextextended($1, 0))",
                    &[&key],
                )
                .await
                .map_err(err)?;
            if get::<bool>(&row, 0)? {
                return Ok(super::OrderHold(Some(Box::new(Held {
                    client: Some(client),
                    key,
                }))));
            }
            if tokio::time::Instant::now() >= deadline {
                return Err(StoreError::Unavailable(
                    "another instance is still making a session for this order".into(),
                ));
            }
            tokio::time::sleep(Duration::from_millis(50)).await;
        }
    }

    async fn insert(&self, r: SessionRecord, _: Writer) -> Result<(), StoreError> {
        let action = r.session.action.as_ref().map(json_text).transpose()?;
        let value = value_i64(&r.session.amount)?;
        let s = &r.session;
        let mut client = self.client().await?;
        let tx = client.transaction().await.map_err(err)?;
        // Under the order's lock, the amount the session was made for must still be the order's:
        // a PUT on another instance between the read and this write is `Locked`, never a session
        // for an amount the order no longer has (`put_order` takes the same lock).
        lock(&tx, &format!("order:{}", s.order)).await?;
        if let Some(row) = tx
            .query_opt(
                "SELECT amount_value, currency FROM orders WHERE reference = $1",
                &[&s.order],
            )
            .await
            .map_err(err)?
        {
            let (stored, currency): (i64, String) = (get(&row, 0)?, get(&row, 1)?);
            let current = Money {
                value: u64::try_from(stored).unwrap_or(u64::MAX),
                currency,
            };
            if rules::amount_locked(&current, &s.amount, true) {
                return Err(StoreError::Locked);
            }
        }
        let stmt = tx
            .prepare_cached(&format!("INSERT INTO sessions ({COLUMNS}) VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12, $13, $14, $15, $16, $17, $18, $19, $20)"))
            .await
            .map_err(err)?;
        tx.execute(
            &stmt,
            &[
                &s.id,
                &s.order,
                &s.status.as_str(),
                &s.wallet.as_str(),
                &s.flow.as_str(),
                &s.gateway,
                &value,
                &s.amount.currency,
                &s.description,
                &s.created_at,
                &s.expires_at,
                &action,
                &r.gateway_ref,
                &r.merchant_ref,
                &r.idempotency_key,
                &r.return_url,
                &r.close_as.map(Status::as_str),
                &r.gateway_result.as_ref().map(|g| g.code.as_str()),
                &r.gateway_result.as_ref().map(|g| g.message.as_str()),
                &s.failure.as_ref().map(|f| f.code.as_str()),
            ],
        )
        .await
        .map_err(err)?;
        tx.commit().await.map_err(err)
    }

    async fn get(&self, id: &SessionId) -> Result<Option<SessionRecord>, StoreError> {
        let id = id.as_str();
        if holds_nul(&[id]) {
            return Ok(None);
        }
        self.one_session("id = $1", &[&id]).await
    }

    async fn by_idempotency_key(&self, key: &str) -> Result<Option<SessionRecord>, StoreError> {
        if holds_nul(&[key]) {
            return Ok(None);
        }
        self.one_session("idempotency_key = $1", &[&key]).await
    }

    async fn by_order(&self, order: &OrderRef) -> Result<Vec<SessionRecord>, StoreError> {
        let order = order.as_str();
        if holds_nul(&[order]) {
            return Ok(Vec::new());
        }
        self.sessions_where("order_ref = $1 ORDER BY created_at, seq", &[&order])
            .await
    }

    async fn transition(
        &self,
        id: &SessionId,
        next: Status,
        events: EventsFor,
        _: Writer,
    ) -> Result<Option<(SessionRecord, bool)>, StoreError> {
        let id = id.as_str();
        let mut client = self.client().await?;
        let tx = client.transaction().await.map_err(err)?;
        let Some(order) = tx
            .query_opt("SELECT order_ref FROM sessions WHERE id = $1", &[&id])
            .await
            .map_err(err)?
        else {
            return Ok(None);
        };
        let order: String = get(&order, 0)?;
        // The order first: two sessions of one order paid at once are told apart (paid_twice).
        lock(&tx, &format!("order:{order}")).await?;
        let row = tx
            .query_one(
                &format!("SELECT {COLUMNS} FROM sessions WHERE id = $1 FOR UPDATE"),
                &[&id],
            )
            .await
            .map_err(err)?;
        let mut record = session_row(&row)?;
        let changed = record.session.status.may_become(next);
        if changed {
            tx.execute(
                "UPDATE sessions SET status = $1 WHERE id = $2",
                &[&next.as_str(), &id],
            )
            .await
            .map_err(err)?;
            let mut others = Vec::new();
            for row in tx
                .query(
                    "SELECT status FROM sessions WHERE order_ref = $1 AND id <> $2",
                    &[&order, &id],
                )
                .await
                .map_err(err)?
            {
                let status: String = get(&row, 0)?;
                others.extend(Status::parse(&status));
            }
            let paid_before = rules::paid_twice(next, others);
            record.session.status = next;
            insert_events(&tx, events(&record, paid_before)).await?;
            tx.execute("SELECT pg_notify($1, $2)", &[&CHANNEL, &id])
                .await
                .map_err(err)?;
        }
        tx.commit().await.map_err(err)?;
        Ok(Some((record, changed)))
    }

    async fn request_close(&self, id: &SessionId, status: Status) -> Result<(), StoreError> {
        let id = id.as_str();
        let client = self.client().await?;
        client
            .execute(
                "UPDATE sessions SET close_as = $2 WHERE id = $1 AND status = 'pending'",
                &[&id, &status.as_str()],
            )
            .await
            .map_err(err)?;
        Ok(())
    }

    async fn sessions_page(&self, q: &SessionQuery) -> Result<Vec<SessionRecord>, StoreError> {
        // Only the clauses asked for (so the newest-first index serves the page), every value a
        // parameter: the search is matched exactly, never as a pattern.
        let status = q.status.map(|s| s.as_str().to_string());
        let limit = i64::try_from(q.limit).unwrap_or(i64::MAX);
        let mut clauses = vec!["TRUE".to_string()];
        let mut args: Vec<&(dyn tokio_postgres::types::ToSql + Sync)> = Vec::new();
        if let Some(s) = &q.search {
            args.push(s);
            let n = args.len();
            clauses.push(format!(
                "(order_ref = ${n} OR id = ${n} OR gateway_ref = ${n})"
            ));
        }
        if let Some(st) = &status {
            args.push(st);
            clauses.push(format!("status = ${}", args.len()));
        }
        if let Some(from) = &q.from {
            args.push(from);
            clauses.push(format!("created_at >= ${}", args.len()));
        }
        if let Some(until) = q
            .until
            .as_ref()
            .filter(|u| super::until_needed(u, &q.before))
        {
            args.push(until);
            clauses.push(format!("created_at < ${}", args.len()));
        }
        if let Some((at, id)) = &q.before {
            args.push(at);
            args.push(id);
            let n = args.len();
            clauses.push(format!(
                "created_at <= ${} AND (created_at, id) < (${}, ${n})",
                n - 1,
                n - 1
            ));
        }
        args.push(&limit);
        let clause = format!(
            "{} ORDER BY created_at DESC, id DESC LIMIT ${}",
            clauses.join(" AND "),
            args.len()
        );
        self.sessions_where(&clause, &args).await
    }

    async fn note_gateway_result(
        &self,
        id: &SessionId,
        result: GatewayResult,
    ) -> Result<(), StoreError> {
        let id = id.as_str();
        let client = self.client().await?;
        client
            .execute(
                "UPDATE sessions SET gateway_code = $2, gateway_message = $3 WHERE id = $1",
                &[&id, &result.code, &result.message],
            )
            .await
            .map_err(err)?;
        Ok(())
    }

    async fn pending(&self) -> Result<Vec<SessionRecord>, StoreError> {
        self.sessions_where("status = 'pending' ORDER BY seq", &[])
            .await
    }

    async fn lease(
        &self,
        id: &SessionId,
        holder: &str,
        now_ms: i64,
        until_ms: i64,
    ) -> Result<bool, StoreError> {
        let id = id.as_str();
        let client = self.client().await?;
        // One UPDATE: the row lock makes two instances' attempts one after the other.
        let n = client
            .execute(
                "UPDATE sessions SET lease_holder = $2, lease_until_ms = $4 WHERE id = $1 AND status = 'pending' AND (lease_holder IS NULL OR lease_holder = $2 OR lease_until_ms <= $3)",
                &[&id, &holder, &now_ms, &until_ms],
            )
            .await
            .map_err(err)?;
        Ok(n == 1)
    }

    async fn insert_refund(&self, r: RefundRecord, paid: u64, _: Writer) -> Result<(), StoreError> {
        let value = value_i64(&r.amount)?;
        let mut client = self.client().await?;
        let tx = client.transaction().await.map_err(err)?;
        // Two refunds of one session, on any instances, are summed one after the other.
        lock(&tx, &format!("refunds:{}", r.session_id)).await?;
        let mut taken = Vec::new();
        for row in tx
            .query(
                "SELECT amount_value, status FROM refunds WHERE session_id = $1",
                &[&r.session_id],
            )
            .await
            .map_err(err)?
        {
            let (value, status): (i64, String) = (get(&row, 0)?, get(&row, 1)?);
            let status = RefundStatus::parse(&status)
                .ok_or_else(|| StoreError::Unavailable(format!("a refund's status {status:?}")))?;
            taken.push((u64::try_from(value).unwrap_or(0), status));
        }
        rules::refund_fits(r.amount.value, paid, taken)
            .map_err(|left| StoreError::OverRefund { left })?;
        tx.execute(
            &format!("INSERT INTO refunds ({REFUND_COLUMNS}) VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9)"),
            &[
                &r.id,
                &r.session_id,
                &value,
                &r.amount.currency,
                &r.reason,
                &r.status.as_str(),
                &r.gateway_ref,
                &r.created_at,
                &r.idempotency_key,
            ],
        )
        .await
        .map_err(err)?;
        tx.commit().await.map_err(err)
    }

    async fn get_refund(&self, id: &RefundId) -> Result<Option<RefundRecord>, StoreError> {
        let id = id.as_str();
        if holds_nul(&[id]) {
            return Ok(None);
        }
        Ok(self
            .refunds_where("id = $1", &[&id])
            .await?
            .into_iter()
            .next())
    }

    async fn refunds(&self, session_id: &SessionId) -> Result<Vec<RefundRecord>, StoreError> {
        let session_id = session_id.as_str();
        if holds_nul(&[session_id]) {
            return Ok(Vec::new());
        }
        self.refunds_where("session_id = $1 ORDER BY created_at, seq", &[&session_id])
            .await
    }

    async fn refund_by_key(&self, key: &str) -> Result<Option<RefundRecord>, StoreError> {
        if holds_nul(&[key]) {
            return Ok(None);
        }
        Ok(self
            .refunds_where("idempotency_key = $1", &[&key])
            .await?
            .into_iter()
            .next())
    }

    async fn processing_refunds(&self) -> Result<Vec<RefundRecord>, StoreError> {
        self.refunds_where("status = 'processing' ORDER BY created_at, seq", &[])
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
        let id = id.as_str();
        let mut client = self.client().await?;
        let tx = client.transaction().await.map_err(err)?;
        // The row is locked by the read: a second instance's update waits, then finds it ended.
        let Some(row) = tx
            .query_opt(
                "SELECT status FROM refunds WHERE id = $1 FOR UPDATE",
                &[&id],
            )
            .await
            .map_err(err)?
        else {
            return Ok(());
        };
        let current: String = get(&row, 0)?;
        let Some(current) = RefundStatus::parse(&current) else {
            return Ok(());
        };
        if !rules::refund_may_become(current, status) {
            return Ok(());
        }
        tx.execute(
            "UPDATE refunds SET status = $1, gateway_ref = COALESCE($2, gateway_ref) WHERE id = $3",
            &[&status.as_str(), &gateway_ref, &id],
        )
        .await
        .map_err(err)?;
        if rules::refund_ends(current, status) {
            insert_events(&tx, event.into_iter().collect()).await?;
        }
        tx.commit().await.map_err(err)
    }

    async fn put_order(&self, order: OrderRecord) -> Result<Put, StoreError> {
        let value = value_i64(&order.amount)?;
        let customer = order.customer.as_ref().map(json_text).transpose()?;
        let metadata = json_text(&order.metadata)?;
        let mut client = self.client().await?;
        let tx = client.transaction().await.map_err(err)?;
        lock(&tx, &format!("order:{}", order.reference)).await?;
        let old = tx
            .query_opt(
                &format!("SELECT {ORDER_COLUMNS} FROM orders WHERE reference = $1"),
                &[&order.reference],
            )
            .await
            .map_err(err)?
            .map(|r| order_row(&r))
            .transpose()?;
        let put = match old {
            None => {
                tx.execute(
                    &format!("INSERT INTO orders ({ORDER_COLUMNS}) VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9)"),
                    &[
                        &order.reference,
                        &value,
                        &order.amount.currency,
                        &order.description,
                        &customer,
                        &metadata,
                        &order.created_at,
                        &order.updated_at,
                        &order.client_secret,
                    ],
                )
                .await
                .map_err(err)?;
                Put::Created(order)
            }
            Some(old) => {
                let has_session: bool = get(
                    &tx.query_one(
                        "SELECT EXISTS (SELECT 1 FROM sessions WHERE order_ref = $1)",
                        &[&order.reference],
                    )
                    .await
                    .map_err(err)?,
                    0,
                )?;
                if rules::amount_locked(&old.amount, &order.amount, has_session) {
                    return Err(StoreError::Locked);
                }
                tx.execute(
                    "UPDATE orders SET amount_value = $2, currency = $3, description = $4, customer = $5, metadata = $6, updated_at = $7 WHERE reference = $1",
                    &[
                        &order.reference,
                        &value,
                        &order.amount.currency,
                        &order.description,
                        &customer,
                        &metadata,
                        &order.updated_at,
                    ],
                )
                .await
                .map_err(err)?;
                Put::Updated(OrderRecord {
                    created_at: old.created_at,
                    client_secret: old.client_secret,
                    ..order
                })
            }
        };
        tx.commit().await.map_err(err)?;
        Ok(put)
    }

    async fn get_order(&self, reference: &OrderRef) -> Result<Option<OrderRecord>, StoreError> {
        let reference = reference.as_str();
        if holds_nul(&[reference]) {
            return Ok(None);
        }
        let client = self.client().await?;
        let stmt = client
            .prepare_cached(&format!(
                "SELECT {ORDER_COLUMNS} FROM orders WHERE reference = $1"
            ))
            .await
            .map_err(err)?;
        client
            .query_opt(&stmt, &[&reference])
            .await
            .map_err(err)?
            .map(|r| order_row(&r))
            .transpose()
    }

    async fn events_after(
        &self,
        after: Option<&str>,
        limit: usize,
    ) -> Result<Option<Vec<EventRecord>>, StoreError> {
        if after.is_some_and(|a| holds_nul(&[a])) {
            return Ok(None);
        }
        let limit = i64::try_from(limit).unwrap_or(i64::MAX);
        let client = self.client().await?;
        let from: i64 = match after {
            None => 0,
            Some(a) => match client
                .query_opt("SELECT seq FROM events WHERE id = $1", &[&a])
                .await
                .map_err(err)?
            {
                Some(row) => get(&row, 0)?,
                None => return Ok(None),
            },
        };
        let stmt = client
            .prepare_cached(&format!(
                "SELECT {EVENT_COLUMNS} FROM events WHERE seq > $1 ORDER BY seq LIMIT $2"
            ))
            .await
            .map_err(err)?;
        Ok(Some(rows(
            &client.query(&stmt, &[&from, &limit]).await.map_err(err)?,
            event_row,
        )?))
    }

    async fn events_for_session(&self, id: &SessionId) -> Result<Vec<EventRecord>, StoreError> {
        let id = id.as_str();
        if holds_nul(&[id]) {
            return Ok(Vec::new());
        }
        let client = self.client().await?;
        let stmt = client
            .prepare_cached(&format!(
                "SELECT {EVENT_COLUMNS} FROM events WHERE session_id = $1 ORDER BY seq"
            ))
            .await
            .map_err(err)?;
        rows(&client.query(&stmt, &[&id]).await.map_err(err)?, event_row)
    }

    async fn events_page(
        &self,
        before: Option<&str>,
        limit: usize,
    ) -> Result<Vec<EventRecord>, StoreError> {
        if before.is_some_and(|b| holds_nul(&[b])) {
            return Ok(Vec::new());
        }
        let limit = i64::try_from(limit).unwrap_or(i64::MAX);
        let client = self.client().await?;
        let until: i64 = match before {
            None => i64::MAX,
            Some(b) => match client
                .query_opt("SELECT seq FROM events WHERE id = $1", &[&b])
                .await
                .map_err(err)?
            {
                Some(row) => get(&row, 0)?,
                None => return Ok(Vec::new()),
            },
        };
        let stmt = client
            .prepare_cached(&format!(
                "SELECT {EVENT_COLUMNS} FROM events WHERE seq < $1 ORDER BY seq DESC LIMIT $2"
            ))
            .await
            .map_err(err)?;
        rows(
            &client.query(&stmt, &[&until, &limit]).await.map_err(err)?,
            event_row,
        )
    }

    async fn retry_event(
        &self,
        id: &str,
        now_ms: i64,
        hold_until_ms: i64,
    ) -> Result<bool, StoreError> {
        if holds_nul(&[id]) {
            return Ok(false);
        }
        let client = self.client().await?;
        client
            .execute(
                "UPDATE events SET next_attempt_ms = $2 WHERE id = $1 AND NOT delivered AND (next_attempt_ms IS NULL OR next_attempt_ms > $3)",
                &[&id, &now_ms, &hold_until_ms],
            )
            .await
            .map_err(err)?;
        let due = client
            .query_opt(
                "SELECT 1 FROM events WHERE id = $1 AND NOT delivered AND next_attempt_ms <= $2",
                &[&id, &hold_until_ms],
            )
            .await
            .map_err(err)?;
        Ok(due.is_some())
    }

    async fn paid_and_refunded(
        &self,
        ids: &[SessionId],
    ) -> Result<std::collections::HashMap<String, super::PaidAndRefunded>, StoreError> {
        let ids: Vec<&str> = ids
            .iter()
            .map(|i| i.as_str())
            .filter(|i| !holds_nul(&[i]))
            .collect();
        let mut out: std::collections::HashMap<String, super::PaidAndRefunded> =
            std::collections::HashMap::new();
        let client = self.client().await?;
        let paid = client
            .query(
                "SELECT session_id, min(created_at) FROM events WHERE session_id = ANY($1) AND kind = 'session.succeeded' GROUP BY session_id",
                &[&ids],
            )
            .await
            .map_err(err)?;
        for row in &paid {
            let id: String = get(row, 0)?;
            out.entry(id).or_default().paid_at = Some(get(row, 1)?);
        }
        let refunded = client
            .query(
                "SELECT session_id, sum(amount_value)::BIGINT FROM refunds WHERE session_id = ANY($1) AND status = 'succeeded' GROUP BY session_id",
                &[&ids],
            )
            .await
            .map_err(err)?;
        for row in &refunded {
            let id: String = get(row, 0)?;
            let sum: i64 = get(row, 1)?;
            out.entry(id).or_default().refunded = u64::try_from(sum).unwrap_or(0);
        }
        Ok(out)
    }

    async fn oldest_undelivered(&self) -> Result<Option<String>, StoreError> {
        let client = self.client().await?;
        let row = client
            .query_one(
                "SELECT min(created_at) FROM events WHERE NOT delivered AND next_attempt_ms IS NOT NULL",
                &[],
            )
            .await
            .map_err(err)?;
        get(&row, 0)
    }

    async fn claim_due(
        &self,
        now_ms: i64,
        hold_until_ms: i64,
        limit: usize,
    ) -> Result<Vec<EventRecord>, StoreError> {
        let limit = i64::try_from(limit).unwrap_or(i64::MAX);
        let client = self.client().await?;
        // Rows another instance is claiming are skipped, not waited for; each claimed row comes
        // back as it was before the hold (like the other stores), oldest first.
        let stmt = client
            .prepare_cached(
                "WITH due AS (
                    SELECT seq, next_attempt_ms AS was FROM events
                    WHERE NOT delivered AND next_attempt_ms <= $1
                    ORDER BY seq LIMIT $3 FOR UPDATE SKIP LOCKED
                 )
                 UPDATE events e SET next_attempt_ms = $2 FROM due WHERE e.seq = due.seq
                 RETURNING e.id, e.kind, e.created_at, e.data, e.delivered, e.attempts, due.was, e.last_status, e.seq",
            )
            .await
            .map_err(err)?;
        let mut claimed = client
            .query(&stmt, &[&now_ms, &hold_until_ms, &limit])
            .await
            .map_err(err)?
            .iter()
            .map(|row| Ok((get::<i64>(row, 8)?, event_row(row)?)))
            .collect::<Result<Vec<_>, StoreError>>()?;
        claimed.sort_by_key(|(seq, _)| *seq);
        Ok(claimed.into_iter().map(|(_, e)| e).collect())
    }

    async fn record_attempts(&self, attempts: &[Attempt]) -> Result<(), StoreError> {
        let mut client = self.client().await?;
        let tx = client.transaction().await.map_err(err)?;
        let stmt = tx
            .prepare_cached(
                "UPDATE events SET attempts = attempts + 1, delivered = $2, next_attempt_ms = $3, last_status = $5 WHERE id = $1 AND NOT delivered AND attempts = $4",
            )
            .await
            .map_err(err)?;
        for a in attempts {
            let next = if a.delivered { None } else { a.next_attempt_ms };
            let before = i32::try_from(a.attempts_before).unwrap_or(i32::MAX);
            let status = a.status.map(i32::from);
            tx.execute(&stmt, &[&a.event, &a.delivered, &next, &before, &status])
                .await
                .map_err(err)?;
        }
        tx.commit().await.map_err(err)
    }

    async fn ping(&self) -> Result<(), StoreError> {
        let client = self.client().await?;
        client.execute("SELECT 1", &[]).await.map_err(err)?;
        Ok(())
    }

    fn watch(&self, wake: Wake) {
        tokio::spawn(listen(self.config.clone(), self.tls.clone(), wake));
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_bad_url_is_refused_without_repeating_it() {
        let e = parse("postgres://user:s3cret@[::1").expect_err("not a URL");
        assert!(!e.to_string().contains("s3cret"), "{e}");
    }

    #[test]
    fn the_password_may_come_from_the_environment() {
        let c = parse("postgres://checkout@127.0.0.1:5432/shop").expect("parses");
        assert_eq!(c.get_user(), Some("checkout"));
        assert_eq!(c.get_dbname(), Some("shop"));
        assert_eq!(c.get_connect_timeout(), Some(&CONNECT));
        assert!(c
            .get_options()
            .is_some_and(|o| o.contains("statement_timeout")));
    }
}

#[cfg(test)]
mod cluster_tests {
    //! Against the real PostgreSQL `cargo xtask test` starts (`conformance::postgres_database`).
    use std::sync::Arc;

    use super::super::conformance;
    use super::*;

    #[tokio::test]
    async fn passes_the_store_conformance_suite() {
        let url = conformance::postgres_database().await;
        let store = PgStore::connect(&url).await.expect("connects");
        conformance::check_store(&store).await;
    }

    #[tokio::test]
    async fn two_instances_on_one_database_do_each_thing_once() {
        let url = conformance::postgres_database().await;
        // Started together: the schema is made once, neither fails.
        let (a, b) = tokio::join!(PgStore::connect(&url), PgStore::connect(&url));
        let (a, b) = (a.expect("a connects"), b.expect("b connects"));
        conformance::check_shared(&a, &b).await;
    }

    #[tokio::test]
    async fn what_was_written_survives_reconnecting() {
        let url = conformance::postgres_database().await;
        let written = {
            let store = PgStore::connect(&url).await.expect("connects");
            conformance::write_sample(&store).await
        };
        let store = PgStore::connect(&url).await.expect("reconnects");
        conformance::check_sample(&store, &written).await;
    }

    #[tokio::test]
    async fn a_database_that_cannot_be_reached_is_an_error_at_start() {
        // A port nothing listens on (bound, then released).
        let port = std::net::TcpListener::bind("127.0.0.1:0")
            .and_then(|l| l.local_addr())
            .expect("a port")
            .port();
        let started = std::time::Instant::now();
        let e = PgStore::connect(&format!("postgres://checkout:s3cret@127.0.0.1:{port}/shop"))
            .await
            .expect_err("nothing listens");
        assert!(matches!(e, StoreError::Unavailable(_)), "{e}");
        assert!(!e.to_string().contains("s3cret"), "{e}");
        assert!(
            started.elapsed() < Duration::from_secs(30),
            "within its timeouts"
        );
    }

    /// Collects what `watch` reports.
    fn recorder() -> (Wake, tokio::sync::mpsc::UnboundedReceiver<Option<String>>) {
        let (tx, rx) = tokio::sync::mpsc::unbounded_channel();
        let wake: Wake = Arc::new(move |s: Option<&str>| {
            let _ = tx.send(s.map(str::to_string));
        });
        (wake, rx)
    }

    async fn next_wake(
        rx: &mut tokio::sync::mpsc::UnboundedReceiver<Option<String>>,
        want: Option<&str>,
    ) {
        let deadline = tokio::time::Instant::now() + Duration::from_secs(10);
        loop {
            let got = tokio::time::timeout_at(deadline, rx.recv())
                .await
                .unwrap_or_else(|_| panic!("no wake-up for {want:?} within 10 s"))
                .expect("the watcher runs");
            if got.as_deref() == want {
                return;
            }
        }
    }

    /// A new session on `store`, moved to `to`; answers its id.
    async fn changed_on(
        store: &PgStore,
        second: u32,
        to: wallet_checkout_protocol::Status,
    ) -> String {
        let record = conformance::sample_record("O-listen", second, None);
        let id = record.session.id.clone();
        store
            .insert(record, crate::checkout::Writer::for_tests())
            .await
            .expect("insert");
        store
            .transition(
                &SessionId::from(&id),
                to,
                Box::new(|_, _| Vec::new()),
                crate::checkout::Writer::for_tests(),
            )
            .await
            .expect("transition");
        id
    }

    #[tokio::test]
    async fn a_change_on_one_instance_wakes_the_other_even_after_a_lost_connection() {
        let url = conformance::postgres_database().await;
        let a = PgStore::connect(&url).await.expect("a");
        let b = PgStore::connect(&url).await.expect("b");
        let (wake, mut heard) = recorder();
        a.watch(wake);
        // Listening: the first report is "read everything again".
        next_wake(&mut heard, None).await;
        let id = changed_on(&b, 0, wallet_checkout_protocol::Status::Succeeded).await;
        next_wake(&mut heard, Some(&id)).await;

        // The database drops the listening connection: it is made again, and since changes may
        // have gone unheard meanwhile, everyone is told to read again.
        let client = b.client().await.expect("client");
        let ended = client
            .execute(
                "SELECT pg_terminate_backend(pid) FROM pg_stat_activity WHERE datname = current_database() AND query LIKE 'LISTEN%'",
                &[],
            )
            .await
            .expect("terminate");
        assert_eq!(ended, 1, "one listening connection");
        next_wake(&mut heard, None).await;
        let again_id = changed_on(&b, 1, wallet_checkout_protocol::Status::Cancelled).await;
        next_wake(&mut heard, Some(&again_id)).await;
    }
}
