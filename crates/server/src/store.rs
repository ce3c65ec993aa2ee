//! Sessions and refunds at rest: the `Store` trait, its in-memory implementation, and `open` for a
//! store URL (`memory` or `sqlite://PATH`, see `sqlite.rs`).
//!
//! Status changes go through `transition`, a compare-and-set that only moves a session
//! forward (`Status::may_become`), so duplicate or out-of-order notifications cannot undo a payment.

use std::collections::HashMap;
use std::sync::Mutex;

use rand::Rng;
use wallet_checkout_protocol::{Money, Session, Status};

use crate::gateway::RefundStatus;

/// A refund as the server keeps it.
#[derive(Debug, Clone, PartialEq, Eq, serde::Serialize)]
pub struct RefundRecord {
    /// Ours (`rf_…`), also sent to the gateway as the merchant refund id.
    pub id: String,
    pub session_id: String,
    pub amount: Money,
    pub reason: String,
    #[serde(serialize_with = "refund_status_str")]
    pub status: RefundStatus,
    /// The gateway's refund id, once it answered.
    #[serde(skip)]
    pub gateway_ref: Option<String>,
    pub created_at: String,
}

fn refund_status_str<S: serde::Serializer>(s: &RefundStatus, ser: S) -> Result<S::Ok, S::Error> {
    ser.serialize_str(s.as_str())
}

/// Opens the store a config names: `memory`, or `sqlite://PATH` (created if missing).
pub fn open(url: &str) -> Result<std::sync::Arc<dyn Store>, StoreError> {
    if url == "memory" {
        return Ok(std::sync::Arc::new(MemoryStore::default()));
    }
    match url.strip_prefix("sqlite://") {
        Some(path) if !path.is_empty() => Ok(std::sync::Arc::new(
            crate::sqlite::SqliteStore::open(std::path::Path::new(path))?,
        )),
        _ => Err(StoreError::Unavailable(format!(
            "store {url:?} is neither \"memory\" nor \"sqlite://PATH\""
        ))),
    }
}

/// A session plus what only the server knows about it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct SessionRecord {
    pub session: Session,
    /// The gateway's own id for the payment (AlphaPay `paymentId`); queries and cancels need it.
    pub gateway_ref: String,
    /// The id we gave the gateway (`paymentRequestId`); unique per gateway order.
    pub merchant_ref: String,
    pub idempotency_key: Option<String>,
    pub return_url: Option<String>,
}

#[derive(Debug, thiserror::Error)]
pub enum StoreError {
    #[error("a session with this id or idempotency key already exists")]
    Conflict,
    #[error("store unavailable: {0}")]
    Unavailable(String),
}

pub trait Store: Send + Sync {
    fn insert(&self, record: SessionRecord) -> Result<(), StoreError>;
    fn get(&self, id: &str) -> Result<Option<SessionRecord>, StoreError>;
    fn by_idempotency_key(&self, key: &str) -> Result<Option<SessionRecord>, StoreError>;
    fn by_gateway_ref(
        &self,
        gateway: &str,
        gateway_ref: &str,
    ) -> Result<Option<SessionRecord>, StoreError>;
    /// Every session of one order, oldest first.
    fn by_order(&self, order: &str) -> Result<Vec<SessionRecord>, StoreError>;
    /// Moves a session to `next` if `Status::may_become` allows it; returns the record after the call
    /// and whether it changed.
    fn transition(
        &self,
        id: &str,
        next: Status,
    ) -> Result<Option<(SessionRecord, bool)>, StoreError>;
    /// Every session still `pending` (reconciliation's work list).
    fn pending(&self) -> Result<Vec<SessionRecord>, StoreError>;
    fn insert_refund(&self, refund: RefundRecord) -> Result<(), StoreError>;
    fn get_refund(&self, id: &str) -> Result<Option<RefundRecord>, StoreError>;
    /// A session's refunds, oldest first.
    fn refunds(&self, session_id: &str) -> Result<Vec<RefundRecord>, StoreError>;
    fn update_refund(
        &self,
        id: &str,
        status: RefundStatus,
        gateway_ref: Option<&str>,
    ) -> Result<(), StoreError>;
}

#[derive(Debug, Default)]
pub struct MemoryStore {
    inner: Mutex<HashMap<String, SessionRecord>>,
    refunds: Mutex<Vec<RefundRecord>>,
}

impl MemoryStore {
    fn lock(&self) -> std::sync::MutexGuard<'_, HashMap<String, SessionRecord>> {
        self.inner.lock().unwrap_or_else(|p| p.into_inner())
    }
}

impl Store for MemoryStore {
    fn insert(&self, record: SessionRecord) -> Result<(), StoreError> {
        let mut map = self.lock();
        let key_taken = record.idempotency_key.is_some()
            && map
                .values()
                .any(|r| r.idempotency_key == record.idempotency_key);
        if map.contains_key(&record.session.id) || key_taken {
            return Err(StoreError::Conflict);
        }
        map.insert(record.session.id.clone(), record);
        Ok(())
    }

    fn get(&self, id: &str) -> Result<Option<SessionRecord>, StoreError> {
        Ok(self.lock().get(id).cloned())
    }

    fn by_idempotency_key(&self, key: &str) -> Result<Option<SessionRecord>, StoreError> {
        Ok(self
            .lock()
            .values()
            .find(|r| r.idempotency_key.as_deref() == Some(key))
            .cloned())
    }

    fn by_gateway_ref(
        &self,
        gateway: &str,
        gateway_ref: &str,
    ) -> Result<Option<SessionRecord>, StoreError> {
        Ok(self
            .lock()
            .values()
            .find(|r| r.session.gateway == gateway && r.gateway_ref == gateway_ref)
            .cloned())
    }

    fn by_order(&self, order: &str) -> Result<Vec<SessionRecord>, StoreError> {
        let mut v: Vec<_> = self
            .lock()
            .values()
            .filter(|r| r.session.order == order)
            .cloned()
            .collect();
        v.sort_by(|a, b| a.session.created_at.cmp(&b.session.created_at));
        Ok(v)
    }

    fn transition(
        &self,
        id: &str,
        next: Status,
    ) -> Result<Option<(SessionRecord, bool)>, StoreError> {
        let mut map = self.lock();
        let Some(rec) = map.get_mut(id) else {
            return Ok(None);
        };
        let changed = rec.session.status.may_become(next);
        if changed {
            rec.session.status = next;
        }
        Ok(Some((rec.clone(), changed)))
    }

    fn pending(&self) -> Result<Vec<SessionRecord>, StoreError> {
        Ok(self
            .lock()
            .values()
            .filter(|r| r.session.status == Status::Pending)
            .cloned()
            .collect())
    }

    fn insert_refund(&self, refund: RefundRecord) -> Result<(), StoreError> {
        let mut v = self.refunds.lock().unwrap_or_else(|p| p.into_inner());
        if v.iter().any(|r| r.id == refund.id) {
            return Err(StoreError::Conflict);
        }
        v.push(refund);
        Ok(())
    }

    fn get_refund(&self, id: &str) -> Result<Option<RefundRecord>, StoreError> {
        let v = self.refunds.lock().unwrap_or_else(|p| p.into_inner());
        Ok(v.iter().find(|r| r.id == id).cloned())
    }

    fn refunds(&self, session_id: &str) -> Result<Vec<RefundRecord>, StoreError> {
        let v = self.refunds.lock().unwrap_or_else(|p| p.into_inner());
        Ok(v.iter()
            .filter(|r| r.session_id == session_id)
            .cloned()
            .collect())
    }

    fn update_refund(
        &self,
        id: &str,
        status: RefundStatus,
        gateway_ref: Option<&str>,
    ) -> Result<(), StoreError> {
        let mut v = self.refunds.lock().unwrap_or_else(|p| p.into_inner());
        if let Some(r) = v.iter_mut().find(|r| r.id == id) {
            r.status = status;
            if let Some(g) = gateway_ref {
                r.gateway_ref = Some(g.to_string());
            }
        }
        Ok(())
    }
}

/// A random lowercase alphanumeric id of `len` characters (session ids, nonces).
pub fn random_id(len: usize) -> String {
    const ALPHABET: &[u8] = b"abcdefghijklmnopqrstuvwxyz0123456789";
    let mut rng = rand::thread_rng();
    (0..len)
        .map(|_| ALPHABET[rng.gen_range(0..ALPHABET.len())] as char)
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;
    use wallet_checkout_protocol::{Flow, Money, Wallet};

    fn record(id: &str, key: Option<&str>) -> SessionRecord {
        SessionRecord {
            session: Session {
                id: id.into(),
                order: "A1".into(),
                status: Status::Pending,
                wallet: Wallet::Alipay,
                flow: Flow::Qr,
                gateway: "alphapay".into(),
                amount: Money::new(100, "CAD").expect("valid"),
                description: "d".into(),
                created_at: "2026-01-01T00:00:00Z".into(),
                expires_at: "2026-01-01T00:05:00Z".into(),
                action: None,
            },
            gateway_ref: format!("ref-{id}"),
            merchant_ref: id.into(),
            idempotency_key: key.map(String::from),
            return_url: None,
        }
    }

    #[test]
    fn transitions_only_move_forward() {
        let store = MemoryStore::default();
        store.insert(record("s1", None)).expect("inserted");
        let (r, changed) = store
            .transition("s1", Status::Succeeded)
            .expect("ok")
            .expect("found");
        assert!(changed);
        assert_eq!(r.session.status, Status::Succeeded);
        for back in [
            Status::Pending,
            Status::Expired,
            Status::Failed,
            Status::Succeeded,
        ] {
            let (r, changed) = store.transition("s1", back).expect("ok").expect("found");
            assert!(!changed, "succeeded moved to {back:?}");
            assert_eq!(r.session.status, Status::Succeeded);
        }
        assert!(store
            .transition("nope", Status::Succeeded)
            .expect("ok")
            .is_none());
    }

    #[test]
    fn ids_and_idempotency_keys_are_unique() {
        let store = MemoryStore::default();
        store.insert(record("s1", Some("k"))).expect("inserted");
        assert!(matches!(
            store.insert(record("s1", None)),
            Err(StoreError::Conflict)
        ));
        assert!(matches!(
            store.insert(record("s2", Some("k"))),
            Err(StoreError::Conflict)
        ));
        assert_eq!(
            store
                .by_idempotency_key("k")
                .expect("ok")
                .map(|r| r.session.id),
            Some("s1".into())
        );
        assert_eq!(
            store
                .by_gateway_ref("alphapay", "ref-s1")
                .expect("ok")
                .map(|r| r.session.id),
            Some("s1".into())
        );
    }
}
