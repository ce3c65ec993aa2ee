//! The in-memory store: tests and `store = "memory"`. Everything is lost when the process ends.

use std::collections::HashMap;
use std::sync::Mutex;

use wallet_checkout_protocol::Status;

use super::{
    random_id, Attempt, EventRecord, EventsFor, GatewayResult, NewEvent, OrderRecord, OrderRef,
    PaidAndRefunded, Put, RefundId, RefundRecord, RefundStatus, SessionId, SessionQuery,
    SessionRecord, Store, StoreError, Writer,
};
use crate::core::rules;

#[derive(Debug, Default)]
pub struct MemoryStore {
    inner: Mutex<HashMap<String, SessionRecord>>,
    refunds: Mutex<Vec<RefundRecord>>,
    orders: Mutex<HashMap<String, OrderRecord>>,
    /// Oldest first, each with the session it tells of. Locked last, after any other lock.
    events: Mutex<Vec<(Option<String>, EventRecord)>>,
    /// Session id → reconciliation lease (holder, end in ms).
    leases: Mutex<HashMap<String, (String, i64)>>,
}

fn stored(e: NewEvent) -> (Option<String>, EventRecord) {
    let session = e.session_id().map(str::to_string);
    let record = EventRecord {
        id: format!("evt_{}", random_id(24)),
        kind: e.kind.to_string(),
        created_at: e.created_at,
        data: e.data,
        delivered: false,
        attempts: 0,
        next_attempt_ms: e.first_attempt_ms,
        last_status: None,
    };
    (session, record)
}

impl MemoryStore {
    fn lock(&self) -> std::sync::MutexGuard<'_, HashMap<String, SessionRecord>> {
        self.inner.lock().unwrap_or_else(|p| p.into_inner())
    }

    fn events(&self) -> std::sync::MutexGuard<'_, Vec<(Option<String>, EventRecord)>> {
        self.events.lock().unwrap_or_else(|p| p.into_inner())
    }
}

#[async_trait::async_trait]
impl Store for MemoryStore {
    async fn insert(&self, record: SessionRecord, _: Writer) -> Result<(), StoreError> {
        // Sessions, then orders: the same lock order as `put_order`.
        let mut map = self.lock();
        let orders = self.orders.lock().unwrap_or_else(|p| p.into_inner());
        if orders
            .get(&record.session.order)
            .is_some_and(|o| rules::amount_locked(&o.amount, &record.session.amount, true))
        {
            return Err(StoreError::Locked);
        }
        drop(orders);
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

    async fn get(&self, id: &SessionId) -> Result<Option<SessionRecord>, StoreError> {
        let id = id.as_str();
        Ok(self.lock().get(id).cloned())
    }

    async fn by_idempotency_key(&self, key: &str) -> Result<Option<SessionRecord>, StoreError> {
        Ok(self
            .lock()
            .values()
            .find(|r| r.idempotency_key.as_deref() == Some(key))
            .cloned())
    }

    async fn by_order(&self, order: &OrderRef) -> Result<Vec<SessionRecord>, StoreError> {
        let order = order.as_str();
        let mut v: Vec<_> = self
            .lock()
            .values()
            .filter(|r| r.session.order == order)
            .cloned()
            .collect();
        v.sort_by(|a, b| a.session.created_at.cmp(&b.session.created_at));
        Ok(v)
    }

    async fn transition(
        &self,
        id: &SessionId,
        next: Status,
        events: EventsFor,
        _: Writer,
    ) -> Result<Option<(SessionRecord, bool)>, StoreError> {
        let id = id.as_str();
        let mut map = self.lock();
        let Some(current) = map.get(id).cloned() else {
            return Ok(None);
        };
        let changed = current.session.status.may_become(next);
        if !changed {
            return Ok(Some((current, false)));
        }
        let paid_before = rules::paid_twice(
            next,
            map.values()
                .filter(|r| {
                    r.session.id != current.session.id && r.session.order == current.session.order
                })
                .map(|r| r.session.status),
        );
        let mut after = current;
        after.session.status = next;
        map.insert(id.to_string(), after.clone());
        let made = events(&after, paid_before);
        self.events().extend(made.into_iter().map(stored));
        Ok(Some((after, true)))
    }

    async fn request_close(&self, id: &SessionId, status: Status) -> Result<(), StoreError> {
        let id = id.as_str();
        if let Some(r) = self.lock().get_mut(id) {
            if r.session.status == Status::Pending {
                r.close_as = Some(status);
            }
        }
        Ok(())
    }

    async fn note_gateway_result(
        &self,
        id: &SessionId,
        result: GatewayResult,
    ) -> Result<(), StoreError> {
        let id = id.as_str();
        if let Some(r) = self.lock().get_mut(id) {
            r.gateway_result = Some(result);
        }
        Ok(())
    }

    async fn sessions_page(&self, q: &SessionQuery) -> Result<Vec<SessionRecord>, StoreError> {
        let mut v: Vec<SessionRecord> = self
            .lock()
            .values()
            .filter(|r| {
                q.search
                    .as_deref()
                    .is_none_or(|s| r.session.order == s || r.session.id == s || r.gateway_ref == s)
            })
            .filter(|r| q.status.is_none_or(|st| r.session.status == st))
            .filter(|r| {
                q.from
                    .as_deref()
                    .is_none_or(|f| r.session.created_at.as_str() >= f)
            })
            .filter(|r| {
                q.until
                    .as_deref()
                    .is_none_or(|u| r.session.created_at.as_str() < u)
            })
            .filter(|r| {
                q.before.as_ref().is_none_or(|(at, id)| {
                    (r.session.created_at.as_str(), r.session.id.as_str())
                        < (at.as_str(), id.as_str())
                })
            })
            .cloned()
            .collect();
        v.sort_by(|a, b| {
            (&b.session.created_at, &b.session.id).cmp(&(&a.session.created_at, &a.session.id))
        });
        v.truncate(q.limit);
        Ok(v)
    }

    async fn pending(&self) -> Result<Vec<SessionRecord>, StoreError> {
        Ok(self
            .lock()
            .values()
            .filter(|r| r.session.status == Status::Pending)
            .cloned()
            .collect())
    }

    async fn insert_refund(
        &self,
        refund: RefundRecord,
        paid: u64,
        _: Writer,
    ) -> Result<(), StoreError> {
        let mut v = self.refunds.lock().unwrap_or_else(|p| p.into_inner());
        if v.iter().any(|r| {
            r.id == refund.id
                || (refund.idempotency_key.is_some() && r.idempotency_key == refund.idempotency_key)
        }) {
            return Err(StoreError::Conflict);
        }
        let mine = v
            .iter()
            .filter(|r| r.session_id == refund.session_id)
            .map(|r| (r.amount.value, r.status));
        rules::refund_fits(refund.amount.value, paid, mine)
            .map_err(|left| StoreError::OverRefund { left })?;
        v.push(refund);
        Ok(())
    }

    async fn get_refund(&self, id: &RefundId) -> Result<Option<RefundRecord>, StoreError> {
        let id = id.as_str();
        let v = self.refunds.lock().unwrap_or_else(|p| p.into_inner());
        Ok(v.iter().find(|r| r.id == id).cloned())
    }

    async fn refunds(&self, session_id: &SessionId) -> Result<Vec<RefundRecord>, StoreError> {
        let session_id = session_id.as_str();
        let v = self.refunds.lock().unwrap_or_else(|p| p.into_inner());
        let mut mine: Vec<RefundRecord> = v
            .iter()
            .filter(|r| r.session_id == session_id)
            .cloned()
            .collect();
        // Oldest first, as the trait says (a stable sort keeps insertion order for equal times).
        mine.sort_by(|a, b| a.created_at.cmp(&b.created_at));
        Ok(mine)
    }

    async fn refund_by_key(&self, key: &str) -> Result<Option<RefundRecord>, StoreError> {
        let v = self.refunds.lock().unwrap_or_else(|p| p.into_inner());
        Ok(v.iter()
            .find(|r| r.idempotency_key.as_deref() == Some(key))
            .cloned())
    }

    async fn processing_refunds(&self) -> Result<Vec<RefundRecord>, StoreError> {
        let v = self.refunds.lock().unwrap_or_else(|p| p.into_inner());
        Ok(v.iter()
            .filter(|r| r.status == RefundStatus::Processing)
            .cloned()
            .collect())
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
        let mut v = self.refunds.lock().unwrap_or_else(|p| p.into_inner());
        // Only a refund still processing moves: an ended one never changes again.
        if let Some(r) = v
            .iter_mut()
            .find(|r| r.id == id && rules::refund_may_become(r.status, status))
        {
            let ends = rules::refund_ends(r.status, status);
            r.status = status;
            if let Some(g) = gateway_ref {
                r.gateway_ref = Some(g.to_string());
            }
            if let (true, Some(e)) = (ends, event) {
                self.events().push(stored(e));
            }
        }
        Ok(())
    }

    async fn put_order(&self, order: OrderRecord) -> Result<Put, StoreError> {
        // Sessions first, then orders: the same lock order everywhere.
        let sessions = self.lock();
        let mut orders = self.orders.lock().unwrap_or_else(|p| p.into_inner());
        match orders.get(&order.reference) {
            None => {
                orders.insert(order.reference.clone(), order.clone());
                Ok(Put::Created(order))
            }
            Some(old) => {
                let has_session = sessions
                    .values()
                    .any(|r| r.session.order == order.reference);
                if rules::amount_locked(&old.amount, &order.amount, has_session) {
                    return Err(StoreError::Locked);
                }
                let updated = OrderRecord {
                    created_at: old.created_at.clone(),
                    client_secret: old.client_secret.clone(),
                    ..order
                };
                orders.insert(updated.reference.clone(), updated.clone());
                Ok(Put::Updated(updated))
            }
        }
    }

    async fn get_order(&self, reference: &OrderRef) -> Result<Option<OrderRecord>, StoreError> {
        let reference = reference.as_str();
        let orders = self.orders.lock().unwrap_or_else(|p| p.into_inner());
        Ok(orders.get(reference).cloned())
    }

    async fn events_after(
        &self,
        after: Option<&str>,
        limit: usize,
    ) -> Result<Option<Vec<EventRecord>>, StoreError> {
        let events = self.events();
        let start = match after {
            None => 0,
            Some(a) => match events.iter().position(|(_, e)| e.id == a) {
                Some(i) => i + 1,
                None => return Ok(None),
            },
        };
        Ok(Some(
            events
                .iter()
                .skip(start)
                .take(limit)
                .map(|(_, e)| e.clone())
                .collect(),
        ))
    }

    async fn events_for_session(&self, id: &SessionId) -> Result<Vec<EventRecord>, StoreError> {
        Ok(self
            .events()
            .iter()
            .filter(|(s, _)| s.as_deref() == Some(id.as_str()))
            .map(|(_, e)| e.clone())
            .collect())
    }

    async fn events_page(
        &self,
        before: Option<&str>,
        limit: usize,
    ) -> Result<Vec<EventRecord>, StoreError> {
        let events = self.events();
        let end = match before {
            None => events.len(),
            Some(b) => match events.iter().position(|(_, e)| e.id == b) {
                Some(i) => i,
                None => return Ok(Vec::new()),
            },
        };
        Ok(events[..end]
            .iter()
            .rev()
            .take(limit)
            .map(|(_, e)| e.clone())
            .collect())
    }

    async fn retry_event(
        &self,
        id: &str,
        now_ms: i64,
        hold_until_ms: i64,
    ) -> Result<bool, StoreError> {
        let mut events = self.events();
        match events.iter_mut().find(|(_, e)| e.id == id && !e.delivered) {
            Some((_, e)) => {
                if e.next_attempt_ms.is_none_or(|t| t > hold_until_ms) {
                    e.next_attempt_ms = Some(now_ms);
                }
                Ok(true)
            }
            None => Ok(false),
        }
    }

    async fn paid_and_refunded(
        &self,
        ids: &[SessionId],
    ) -> Result<HashMap<String, PaidAndRefunded>, StoreError> {
        let wanted: std::collections::HashSet<&str> = ids.iter().map(|i| i.as_str()).collect();
        let mut out: HashMap<String, PaidAndRefunded> = HashMap::new();
        for (session, e) in self.events().iter() {
            if let Some(s) = session.as_deref().filter(|s| wanted.contains(s)) {
                if e.kind == "session.succeeded" {
                    let entry = out.entry(s.to_string()).or_default();
                    if entry.paid_at.as_ref().is_none_or(|p| e.created_at < *p) {
                        entry.paid_at = Some(e.created_at.clone());
                    }
                }
            }
        }
        let refunds = self.refunds.lock().unwrap_or_else(|p| p.into_inner());
        for r in refunds.iter() {
            if wanted.contains(r.session_id.as_str()) && r.status == RefundStatus::Succeeded {
                let entry = out.entry(r.session_id.clone()).or_default();
                entry.refunded = entry.refunded.saturating_add(r.amount.value);
            }
        }
        Ok(out)
    }

    async fn oldest_undelivered(&self) -> Result<Option<String>, StoreError> {
        Ok(self
            .events()
            .iter()
            .filter(|(_, e)| !e.delivered && e.next_attempt_ms.is_some())
            .map(|(_, e)| e.created_at.clone())
            .min())
    }

    async fn claim_due(
        &self,
        now_ms: i64,
        hold_until_ms: i64,
        limit: usize,
    ) -> Result<Vec<EventRecord>, StoreError> {
        let mut events = self.events();
        Ok(events
            .iter_mut()
            .map(|(_, e)| e)
            .filter(|e| !e.delivered && e.next_attempt_ms.is_some_and(|t| t <= now_ms))
            .take(limit)
            .map(|e| {
                let claimed = e.clone();
                e.next_attempt_ms = Some(hold_until_ms);
                claimed
            })
            .collect())
    }

    async fn lease(
        &self,
        id: &SessionId,
        holder: &str,
        now_ms: i64,
        until_ms: i64,
    ) -> Result<bool, StoreError> {
        let id = id.as_str();
        let pending = self
            .lock()
            .get(id)
            .is_some_and(|r| r.session.status == Status::Pending);
        let mut leases = self.leases.lock().unwrap_or_else(|p| p.into_inner());
        let held = leases
            .get(id)
            .is_some_and(|(who, t)| who != holder && *t > now_ms);
        if !pending || held {
            return Ok(false);
        }
        leases.insert(id.to_string(), (holder.to_string(), until_ms));
        Ok(true)
    }

    async fn ping(&self) -> Result<(), StoreError> {
        Ok(())
    }

    async fn record_attempts(&self, attempts: &[Attempt]) -> Result<(), StoreError> {
        let mut events = self.events();
        for a in attempts {
            if let Some((_, e)) = events
                .iter_mut()
                .find(|(_, e)| e.id == a.event && !e.delivered && e.attempts == a.attempts_before)
            {
                e.attempts = e.attempts.saturating_add(1);
                e.last_status = a.status;
                e.delivered = a.delivered;
                e.next_attempt_ms = if a.delivered { None } else { a.next_attempt_ms };
            }
        }
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    #[tokio::test]
    async fn passes_the_store_conformance_suite() {
        super::super::conformance::check_store(&super::MemoryStore::default()).await;
    }
}
