//! Wakes long polls (and, later, event streams) when a session changes.
//!
//! A waiter subscribes *before* reading the session, so a change between the read and the wait is never missed.

use std::collections::HashMap;
use std::sync::{Arc, Mutex};

use tokio::sync::watch;

#[derive(Default, Clone)]
pub struct Hub {
    channels: Arc<Mutex<HashMap<String, watch::Sender<u64>>>>,
}

impl Hub {
    /// Starts waiting on `session`; the channel is released when the returned `Waiter` drops.
    pub fn subscribe(&self, session: &str) -> Waiter {
        let mut map = self.channels.lock().unwrap_or_else(|p| p.into_inner());
        let rx = map
            .entry(session.to_string())
            .or_insert_with(|| watch::channel(0).0)
            .subscribe();
        Waiter {
            hub: self.clone(),
            session: session.to_string(),
            rx: Some(rx),
        }
    }

    /// Tells every waiter on `session` that it changed.
    pub fn changed(&self, session: &str) {
        let map = self.channels.lock().unwrap_or_else(|p| p.into_inner());
        if let Some(tx) = map.get(session) {
            tx.send_modify(|v| *v += 1);
        }
    }

    /// Removes the session's channel once nobody listens (called by `Waiter::drop`).
    fn release(&self, session: &str) {
        let mut map = self.channels.lock().unwrap_or_else(|p| p.into_inner());
        if map.get(session).is_some_and(|tx| tx.receiver_count() == 0) {
            map.remove(session);
        }
    }

    /// Sessions with a channel (waiters, or a change not yet released); for tests and metrics.
    pub fn len(&self) -> usize {
        self.channels
            .lock()
            .unwrap_or_else(|p| p.into_inner())
            .len()
    }

    pub fn is_empty(&self) -> bool {
        self.len() == 0
    }
}

/// One waiter on one session.
pub struct Waiter {
    hub: Hub,
    session: String,
    rx: Option<watch::Receiver<u64>>,
}

impl Waiter {
    /// Resolves when the session changes.
    pub async fn changed(&mut self) {
        if let Some(rx) = self.rx.as_mut() {
            let _ = rx.changed().await;
        }
    }

    pub fn has_changed(&self) -> bool {
        self.rx
            .as_ref()
            .is_some_and(|rx| rx.has_changed().unwrap_or(false))
    }
}

impl Drop for Waiter {
    fn drop(&mut self) {
        self.rx.take();
        self.hub.release(&self.session);
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn channels_go_away_when_their_last_waiter_leaves() {
        let hub = Hub::default();
        let a = hub.subscribe("s");
        let b = hub.subscribe("s");
        drop(a);
        assert_eq!(hub.len(), 1, "b still waits");
        hub.changed("s");
        assert!(b.has_changed());
        drop(b);
        assert!(hub.is_empty());
        hub.changed("nobody"); // no waiter: nothing to do, nothing kept
        assert!(hub.is_empty());
    }
}
