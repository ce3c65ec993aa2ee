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
    pub fn subscribe(&self, session: &str) -> watch::Receiver<u64> {
        let mut map = self.channels.lock().unwrap_or_else(|p| p.into_inner());
        map.entry(session.to_string())
            .or_insert_with(|| watch::channel(0).0)
            .subscribe()
    }

    /// Tells every waiter on `session` that it changed.
    pub fn changed(&self, session: &str) {
        let mut map = self.channels.lock().unwrap_or_else(|p| p.into_inner());
        if let Some(tx) = map.get(session) {
            tx.send_modify(|v| *v += 1);
            if tx.receiver_count() == 0 {
                map.remove(session);
            }
        }
    }

    /// Drops channels nobody listens to any more.
    pub fn prune(&self) {
        let mut map = self.channels.lock().unwrap_or_else(|p| p.into_inner());
        map.retain(|_, tx| tx.receiver_count() > 0);
    }
}
