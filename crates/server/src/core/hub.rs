//! Wakes long polls and event streams when a session changes, caps how many wait on one session
//! (`[limits] streams_per_session`), and tells them all to finish when the server shuts down.
//!
//! A waiter subscribes *before* reading the session, so a change between the read and the wait is never missed.

use std::collections::HashMap;
use std::sync::{Arc, Mutex};

use tokio::sync::watch;

/// The contract's default for `[limits] streams_per_session`.
pub const DEFAULT_STREAMS_PER_SESSION: usize = 4;

#[derive(Clone)]
pub struct Hub {
    channels: Arc<Mutex<HashMap<String, watch::Sender<u64>>>>,
    /// Event streams and long polls allowed on one session at once.
    cap: usize,
    /// Set once at shutdown: every waiter returns, every stream ends.
    closing: Arc<watch::Sender<bool>>,
}

impl Default for Hub {
    fn default() -> Hub {
        Hub::with_cap(DEFAULT_STREAMS_PER_SESSION)
    }
}

/// The session already has as many waiters as `[limits] streams_per_session` allows.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Full;

impl Hub {
    pub fn with_cap(cap: usize) -> Hub {
        Hub {
            channels: Arc::default(),
            cap: cap.max(1),
            closing: Arc::new(watch::channel(false).0),
        }
    }

    /// Starts waiting on `session`; the place is released when the returned `Waiter` drops.
    pub fn subscribe(&self, session: &str) -> Result<Waiter, Full> {
        let mut map = self.channels.lock().unwrap_or_else(|p| p.into_inner());
        let tx = map
            .entry(session.to_string())
            .or_insert_with(|| watch::channel(0).0);
        if tx.receiver_count() >= self.cap {
            return Err(Full);
        }
        let rx = tx.subscribe();
        Ok(Waiter {
            hub: self.clone(),
            session: session.to_string(),
            rx: Some(rx),
            closing: self.closing.subscribe(),
        })
    }

    /// Tells every waiter on `session` that it changed.
    pub fn changed(&self, session: &str) {
        let map = self.channels.lock().unwrap_or_else(|p| p.into_inner());
        if let Some(tx) = map.get(session) {
            tx.send_modify(|v| *v += 1);
        }
    }

    /// Tells every waiter on every session to read the store again (changes may have gone unheard).
    pub fn changed_all(&self) {
        let map = self.channels.lock().unwrap_or_else(|p| p.into_inner());
        for tx in map.values() {
            tx.send_modify(|v| *v += 1);
        }
    }

    /// Shutdown: every waiter returns now and every later wait returns at once.
    pub fn close(&self) {
        self.closing.send_replace(true);
    }

    pub fn is_closing(&self) -> bool {
        *self.closing.borrow()
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
    closing: watch::Receiver<bool>,
}

impl Waiter {
    /// Resolves when the session changes, or when the server shuts down.
    pub async fn changed(&mut self) {
        if *self.closing.borrow() {
            return;
        }
        let Some(rx) = self.rx.as_mut() else { return };
        tokio::select! {
            _ = rx.changed() => {}
            _ = self.closing.changed() => {}
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
        let a = hub.subscribe("s").expect("room");
        let b = hub.subscribe("s").expect("room");
        drop(a);
        assert_eq!(hub.len(), 1, "b still waits");
        hub.changed("s");
        assert!(b.has_changed());
        drop(b);
        assert!(hub.is_empty());
        hub.changed("nobody"); // no waiter: nothing to do, nothing kept
        assert!(hub.is_empty());
    }

    #[test]
    fn a_session_takes_no_more_waiters_than_its_cap() {
        let hub = Hub::with_cap(2);
        let a = hub.subscribe("s").expect("first");
        let _b = hub.subscribe("s").expect("second");
        assert_eq!(hub.subscribe("s").err(), Some(Full));
        let _other = hub
            .subscribe("t")
            .expect("another session has its own room");
        drop(a);
        assert!(hub.subscribe("s").is_ok(), "a place freed is free again");
    }

    #[tokio::test]
    async fn closing_wakes_every_waiter_and_every_later_wait() {
        let hub = Hub::default();
        let mut w = hub.subscribe("s").expect("room");
        let waiting = tokio::spawn(async move { w.changed().await });
        tokio::task::yield_now().await;
        hub.close();
        tokio::time::timeout(std::time::Duration::from_secs(1), waiting)
            .await
            .expect("woken by the shutdown")
            .expect("joined");
        let mut late = hub.subscribe("s").expect("room");
        tokio::time::timeout(std::time::Duration::from_secs(1), late.changed())
            .await
            .expect("returns at once after close");
        assert!(hub.is_closing());
    }
}
