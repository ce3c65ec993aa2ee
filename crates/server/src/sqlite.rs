//! The default store: SQLite in one file (embedded, nothing to start), durable across restarts.
//!
//! Writes are synchronous (`synchronous=FULL` in WAL mode) so a notification is acknowledged only
//! after its status change is on disk. Status changes are compare-and-set inside a transaction.

use std::path::Path;
use std::sync::Mutex;

use rusqlite::{params, Connection, OptionalExtension, Row};
use wallet_checkout_protocol::{Action, Flow, Money, Session, Status, Wallet};

use crate::gateway::RefundStatus;
use crate::store::{RefundRecord, SessionRecord, Store, StoreError};

pub struct SqliteStore {
    conn: Mutex<Connection>,
}

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
        other => StoreError::Unavailable(other.to_string()),
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
";

const COLUMNS: &str = "id, order_ref, status, wallet, flow, gateway, amount_value, currency, description, created_at, expires_at, action, gateway_ref, merchant_ref, idempotency_key, return_url";

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
        },
        gateway_ref: row.get(12)?,
        merchant_ref: row.get(13)?,
        idempotency_key: row.get(14)?,
        return_url: row.get(15)?,
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
    })
}

fn value_i64(m: &Money) -> Result<i64, StoreError> {
    i64::try_from(m.value).map_err(|_| StoreError::Unavailable("amount too large to store".into()))
}

impl SqliteStore {
    /// Opens (or creates) the database file and its tables.
    pub fn open(path: &Path) -> Result<SqliteStore, StoreError> {
        if let Some(dir) = path.parent().filter(|d| !d.as_os_str().is_empty()) {
            std::fs::create_dir_all(dir)
                .map_err(|e| StoreError::Unavailable(format!("{}: {e}", dir.display())))?;
        }
        let conn = Connection::open(path).map_err(err)?;
        conn.pragma_update(None, "journal_mode", "WAL")
            .map_err(err)?;
        conn.pragma_update(None, "synchronous", "FULL")
            .map_err(err)?;
        conn.pragma_update(None, "foreign_keys", "ON")
            .map_err(err)?;
        conn.busy_timeout(std::time::Duration::from_secs(5))
            .map_err(err)?;
        conn.execute_batch(SCHEMA).map_err(err)?;
        Ok(SqliteStore {
            conn: Mutex::new(conn),
        })
    }

    fn conn(&self) -> std::sync::MutexGuard<'_, Connection> {
        self.conn.lock().unwrap_or_else(|p| p.into_inner())
    }

    fn sessions_where(
        &self,
        clause: &str,
        arg: &[&dyn rusqlite::ToSql],
    ) -> Result<Vec<SessionRecord>, StoreError> {
        let conn = self.conn();
        let mut stmt = conn
            .prepare_cached(&format!("SELECT {COLUMNS} FROM sessions WHERE {clause}"))
            .map_err(err)?;
        let rows = stmt.query_map(arg, session_row).map_err(err)?;
        rows.collect::<Result<Vec<_>, _>>().map_err(err)
    }
}

impl Store for SqliteStore {
    fn insert(&self, r: SessionRecord) -> Result<(), StoreError> {
        let action = match &r.session.action {
            Some(a) => {
                Some(serde_json::to_string(a).map_err(|e| StoreError::Unavailable(e.to_string()))?)
            }
            None => None,
        };
        let s = &r.session;
        self.conn()
            .execute(
                &format!("INSERT INTO sessions ({COLUMNS}) VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9, ?10, ?11, ?12, ?13, ?14, ?15, ?16)"),
                params![
                    s.id, s.order, s.status.as_str(), s.wallet.as_str(), s.flow.as_str(), s.gateway,
                    value_i64(&s.amount)?, s.amount.currency, s.description, s.created_at, s.expires_at,
                    action, r.gateway_ref, r.merchant_ref, r.idempotency_key, r.return_url
                ],
            )
            .map_err(err)?;
        Ok(())
    }

    fn get(&self, id: &str) -> Result<Option<SessionRecord>, StoreError> {
        Ok(self.sessions_where("id = ?1", &[&id])?.into_iter().next())
    }

    fn by_idempotency_key(&self, key: &str) -> Result<Option<SessionRecord>, StoreError> {
        Ok(self
            .sessions_where("idempotency_key = ?1", &[&key])?
            .into_iter()
            .next())
    }

    fn by_gateway_ref(
        &self,
        gateway: &str,
        gateway_ref: &str,
    ) -> Result<Option<SessionRecord>, StoreError> {
        Ok(self
            .sessions_where(
                "gateway = ?1 AND gateway_ref = ?2",
                &[&gateway, &gateway_ref],
            )?
            .into_iter()
            .next())
    }

    fn by_order(&self, order: &str) -> Result<Vec<SessionRecord>, StoreError> {
        self.sessions_where("order_ref = ?1 ORDER BY created_at, rowid", &[&order])
    }

    fn transition(
        &self,
        id: &str,
        next: Status,
    ) -> Result<Option<(SessionRecord, bool)>, StoreError> {
        let mut conn = self.conn();
        let tx = conn.transaction().map_err(err)?;
        let current = tx
            .query_row(
                &format!("SELECT {COLUMNS} FROM sessions WHERE id = ?1"),
                [id],
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
            record.session.status = next;
        }
        tx.commit().map_err(err)?;
        Ok(Some((record, changed)))
    }

    fn pending(&self) -> Result<Vec<SessionRecord>, StoreError> {
        self.sessions_where("status = 'pending'", &[])
    }

    fn insert_refund(&self, r: RefundRecord) -> Result<(), StoreError> {
        self.conn()
            .execute(
                "INSERT INTO refunds (id, session_id, amount_value, currency, reason, status, gateway_ref, created_at) VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8)",
                params![r.id, r.session_id, value_i64(&r.amount)?, r.amount.currency, r.reason, r.status.as_str(), r.gateway_ref, r.created_at],
            )
            .map_err(err)?;
        Ok(())
    }

    fn get_refund(&self, id: &str) -> Result<Option<RefundRecord>, StoreError> {
        self.conn()
            .query_row(
                "SELECT id, session_id, amount_value, currency, reason, status, gateway_ref, created_at FROM refunds WHERE id = ?1",
                [id],
                refund_row,
            )
            .optional()
            .map_err(err)
    }

    fn refunds(&self, session_id: &str) -> Result<Vec<RefundRecord>, StoreError> {
        let conn = self.conn();
        let mut stmt = conn
            .prepare_cached("SELECT id, session_id, amount_value, currency, reason, status, gateway_ref, created_at FROM refunds WHERE session_id = ?1 ORDER BY created_at, rowid")
            .map_err(err)?;
        let rows = stmt.query_map([session_id], refund_row).map_err(err)?;
        rows.collect::<Result<Vec<_>, _>>().map_err(err)
    }

    fn update_refund(
        &self,
        id: &str,
        status: RefundStatus,
        gateway_ref: Option<&str>,
    ) -> Result<(), StoreError> {
        self.conn()
            .execute(
                "UPDATE refunds SET status = ?1, gateway_ref = COALESCE(?2, gateway_ref) WHERE id = ?3",
                params![status.as_str(), gateway_ref, id],
            )
            .map_err(err)?;
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn record(id: &str, key: Option<&str>) -> SessionRecord {
        SessionRecord {
            session: Session {
                id: id.into(),
                order: "A1".into(),
                status: Status::Pending,
                wallet: Wallet::WechatPay,
                flow: Flow::Qr,
                gateway: "pass2pay".into(),
                amount: Money::new(1234, "CNY").expect("money"),
                description: "Tea".into(),
                created_at: "2026-01-01T00:00:00Z".into(),
                expires_at: "2026-01-01T00:15:00Z".into(),
                action: Some(Action::Qr {
                    content: "weixin://wxpay/bizpayurl?pr=x".into(),
                    image: None,
                    url: None,
                }),
            },
            gateway_ref: format!("P-{id}"),
            merchant_ref: id.into(),
            idempotency_key: key.map(String::from),
            return_url: Some("https://shop.example/r".into()),
        }
    }

    #[test]
    fn sessions_and_refunds_survive_reopening_and_only_move_forward() {
        let dir = std::env::temp_dir().join(format!("wc-sqlite-{}", crate::store::random_id(8)));
        let path = dir.join("nested/checkout.db");
        {
            let store = SqliteStore::open(&path).expect("opens");
            store.insert(record("s1", Some("k1"))).expect("insert");
            assert!(matches!(
                store.insert(record("s2", Some("k1"))),
                Err(StoreError::Conflict)
            ));
            assert!(matches!(
                store.insert(record("s1", None)),
                Err(StoreError::Conflict)
            ));
            let (r, changed) = store
                .transition("s1", Status::Succeeded)
                .expect("ok")
                .expect("found");
            assert!(changed && r.session.status == Status::Succeeded);
            let (_, changed) = store
                .transition("s1", Status::Expired)
                .expect("ok")
                .expect("found");
            assert!(!changed, "succeeded never changes");
            store
                .insert_refund(RefundRecord {
                    id: "rf_1".into(),
                    session_id: "s1".into(),
                    amount: Money::new(234, "CNY").expect("money"),
                    reason: "spilt".into(),
                    status: RefundStatus::Processing,
                    gateway_ref: None,
                    created_at: "2026-01-01T00:01:00Z".into(),
                })
                .expect("refund");
            store
                .update_refund("rf_1", RefundStatus::Succeeded, Some("R9"))
                .expect("update");
        }
        let store = SqliteStore::open(&path).expect("reopens");
        let s1 = store.get("s1").expect("ok").expect("kept");
        assert_eq!(s1.session.status, Status::Succeeded);
        assert_eq!(s1, {
            let mut r = record("s1", Some("k1"));
            r.session.status = Status::Succeeded;
            r
        });
        assert_eq!(
            store
                .by_idempotency_key("k1")
                .expect("ok")
                .map(|r| r.session.id),
            Some("s1".into())
        );
        assert_eq!(
            store
                .by_gateway_ref("pass2pay", "P-s1")
                .expect("ok")
                .map(|r| r.session.id),
            Some("s1".into())
        );
        assert!(store.pending().expect("ok").is_empty());
        let refunds = store.refunds("s1").expect("ok");
        assert_eq!(refunds.len(), 1);
        assert_eq!(
            (refunds[0].status, refunds[0].gateway_ref.as_deref()),
            (RefundStatus::Succeeded, Some("R9"))
        );
        let _ = std::fs::remove_dir_all(dir);
    }
}
