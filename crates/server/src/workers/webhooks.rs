//! Webhooks to the shop ([Standard Webhooks](https://www.standardwebhooks.com)): the `[webhooks]`
//! section, the signer (the `standardwebhooks` crate), and the delivery worker.
//!
//! Events are written by the one writer in the same transaction as the change they report; this
//! worker only reads the due ones, POSTs each (`webhook-id`, `webhook-timestamp`,
//! `webhook-signature`), and records the attempt: delivered on a 2xx within `timeout_secs`, else
//! retried after each `retry_secs` entry in turn (±10 % jitter), then given up (still listed in
//! `/admin/events`). Redirects are not followed. After a restart the due events are simply due.

use std::sync::Arc;
use std::time::Duration;

use rand::Rng;
use serde::Deserialize;

use crate::core::domain::EventRecord;
use crate::secrets::{ConfigError, Secrets};
use crate::store::Attempt;
use crate::AppState;

/// About three days, as the contract's default.
pub const DEFAULT_RETRY_SECS: [u64; 8] = [5, 300, 1800, 7200, 18000, 36000, 36000, 36000];

/// `[webhooks]`.
#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct WebhooksConfig {
    pub url: String,
    /// Environment variable holding `whsec_` + base64 of 24 to 64 random bytes.
    pub secret_env: String,
    #[serde(default = "default_retry")]
    pub retry_secs: Vec<u64>,
    #[serde(default = "default_timeout")]
    pub timeout_secs: u64,
}

fn default_retry() -> Vec<u64> {
    DEFAULT_RETRY_SECS.to_vec()
}
fn default_timeout() -> u64 {
    15
}

/// The delivery settings, checked.
pub struct Webhooks {
    url: reqwest::Url,
    signer: standardwebhooks::Webhook,
    retry_ms: Vec<u64>,
    http: reqwest::Client,
    /// How long a claimed attempt holds its event: the timeout and a margin (a crash mid-attempt
    /// makes it due again after this).
    hold_ms: u64,
    /// Rung by the one writer when it records an event, so its first attempt does not wait a tick.
    recorded: tokio::sync::Notify,
}

impl std::fmt::Debug for Webhooks {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        // Never the secret.
        f.debug_struct("Webhooks")
            .field("url", &self.url.as_str())
            .finish()
    }
}

impl WebhooksConfig {
    pub fn connect(&self, secrets: &dyn Secrets) -> Result<Webhooks, ConfigError> {
        let secret = secrets.secret(&self.secret_env)?;
        Webhooks::new(&self.url, &secret, &self.retry_secs, self.timeout_secs)
            .map_err(|e| ConfigError::Invalid(format!("[webhooks] {e} ({})", self.secret_env)))
    }
}

/// A Standard Webhooks signer from `whsec_` + base64 of 24 to 64 bytes (webhooks and lookups).
pub fn signer(secret: &str) -> Result<standardwebhooks::Webhook, String> {
    let key = secret
        .strip_prefix("whsec_")
        .and_then(|b| {
            use base64::Engine;
            base64::engine::general_purpose::STANDARD.decode(b).ok()
        })
        .filter(|k| (24..=64).contains(&k.len()))
        .ok_or("the secret must be \"whsec_\" + base64 of 24 to 64 random bytes")?;
    standardwebhooks::Webhook::from_bytes(key).map_err(|e| e.to_string())
}

impl Webhooks {
    /// `secret` is `whsec_` + base64 of 24 to 64 bytes; `retry_secs` 1 to 20 waits of at most a week;
    /// `timeout_secs` 1 to 60.
    pub fn new(
        url: &str,
        secret: &str,
        retry_secs: &[u64],
        timeout_secs: u64,
    ) -> Result<Webhooks, String> {
        let url = crate::urls::check_url("url", url)?;
        let signer = signer(secret)?;
        if retry_secs.is_empty()
            || retry_secs.len() > 20
            || retry_secs.iter().any(|s| *s == 0 || *s > 7 * 86_400)
        {
            return Err("retry_secs must hold 1 to 20 waits of 1 s to 7 days".into());
        }
        if !(1..=60).contains(&timeout_secs) {
            return Err("timeout_secs must be 1 to 60".into());
        }
        let http = reqwest::Client::builder()
            .timeout(Duration::from_secs(timeout_secs))
            .redirect(reqwest::redirect::Policy::none())
            .build()
            .map_err(|e| e.to_string())?;
        Ok(Webhooks {
            url,
            signer,
            retry_ms: retry_secs.iter().map(|s| s * 1000).collect(),
            http,
            hold_ms: (timeout_secs + 5) * 1000,
            recorded: tokio::sync::Notify::new(),
        })
    }

    /// How long a claimed attempt holds its event (the timeout and a margin).
    pub fn hold_ms(&self) -> u64 {
        self.hold_ms
    }

    /// An event was just recorded: the worker looks now instead of at its next tick.
    pub fn wake(&self) {
        self.recorded.notify_one();
    }

    /// When attempt number `attempts + 1` failed: the next one's time, or `None` to give up.
    fn next_attempt(&self, attempts: u32, now_ms: i64) -> Option<i64> {
        let wait = *self.retry_ms.get(attempts as usize)?;
        let spread = wait / 10;
        let jittered = rand::thread_rng().gen_range(wait - spread..=wait + spread);
        Some(now_ms.saturating_add(i64::try_from(jittered).unwrap_or(i64::MAX)))
    }

    /// `v1,<base64>` over `{id}.{timestamp}.{body}` with the secret.
    pub fn sign(&self, id: &str, timestamp: i64, body: &str) -> Result<String, String> {
        self.signer
            .sign(id, timestamp, body.as_bytes())
            .map_err(|e| e.to_string())
    }

    /// The body of an event's POST.
    pub fn body(event: &EventRecord) -> String {
        serde_json::json!({ "type": event.kind, "timestamp": event.created_at, "data": event.data })
            .to_string()
    }

    /// One attempt: the answer's status, if one came, and whether it was a 2xx.
    async fn attempt(
        &self,
        event: &EventRecord,
        now_secs: i64,
    ) -> (Option<u16>, Result<(), String>) {
        let body = Webhooks::body(event);
        let signature = match self.signer.sign(&event.id, now_secs, body.as_bytes()) {
            Ok(s) => s,
            Err(e) => return (None, Err(e.to_string())),
        };
        let sent = self
            .http
            .post(self.url.clone())
            .header("content-type", "application/json")
            .header("webhook-id", &event.id)
            .header("webhook-timestamp", now_secs.to_string())
            .header("webhook-signature", signature)
            .body(body)
            .send()
            .await;
        let res = match sent {
            Ok(res) => res,
            Err(e) if e.is_timeout() => return (None, Err("timed out".into())),
            Err(_) => return (None, Err("no answer".into())),
        };
        let status = res.status().as_u16();
        if res.status().is_success() {
            (Some(status), Ok(()))
        } else {
            (Some(status), Err(format!("HTTP {status}")))
        }
    }
}

/// Unix milliseconds of the server's clock.
fn now_ms(state: &AppState) -> i64 {
    crate::core::clock::unix_ms(state.clock.now())
}

/// Attempts in flight at once; due events beyond it wait for the next look.
const IN_FLIGHT: usize = 256;

/// Delivers due events until the server stops: at once when the writer records one, and every
/// `tick` for retries and for what a restart left due. Claims are taken, and outcomes written, in
/// batches (one store transaction each), so a busy shop costs a few writes per tick, not two per event.
pub fn spawn(state: AppState, tick: Duration) -> Option<tokio::task::JoinHandle<()>> {
    let hooks = state.webhooks.clone()?;
    let (outcomes, rx) = tokio::sync::mpsc::unbounded_channel();
    tokio::spawn(record_outcomes(state.clone(), rx));
    let slots = Arc::new(tokio::sync::Semaphore::new(IN_FLIGHT));
    Some(tokio::spawn(async move {
        loop {
            deliver_due(&state, &hooks, &slots, &outcomes).await;
            tokio::select! {
                _ = tokio::time::sleep(tick) => {}
                _ = hooks.recorded.notified() => {}
            }
        }
    }))
}

async fn deliver_due(
    state: &AppState,
    hooks: &Arc<Webhooks>,
    slots: &Arc<tokio::sync::Semaphore>,
    outcomes: &tokio::sync::mpsc::UnboundedSender<Attempt>,
) {
    let free = slots.available_permits();
    if free == 0 {
        return;
    }
    let now = now_ms(state);
    let hold = now.saturating_add(i64::try_from(hooks.hold_ms).unwrap_or(i64::MAX));
    // Claimed in the store first: an event being sent is never taken again at the same time.
    let claimed = match state.store.claim_due(now, hold, free).await {
        Ok(c) => c,
        Err(e) => {
            tracing::error!(error = %e, "webhooks cannot read the store");
            return;
        }
    };
    for event in claimed {
        let Ok(slot) = slots.clone().try_acquire_owned() else {
            break; // held until its claim ends, then due again
        };
        let (state, hooks, outcomes) = (state.clone(), hooks.clone(), outcomes.clone());
        tokio::spawn(async move {
            let now = state.clock.now().unix_timestamp();
            let (status, outcome) = hooks.attempt(&event, now).await;
            drop(slot);
            let (delivered, next) = match &outcome {
                Ok(()) => (true, None),
                Err(_) => (false, hooks.next_attempt(event.attempts, now_ms(&state))),
            };
            let counted = match (&outcome, next) {
                (Ok(()), _) => "delivered",
                (Err(_), Some(_)) => "retrying",
                (Err(_), None) => "given_up",
            };
            crate::core::metrics::metrics()
                .webhook_deliveries
                .get_or_create(&crate::core::metrics::OutcomeLabels {
                    outcome: counted.to_string(),
                })
                .inc();
            match &outcome {
                Ok(()) => {
                    tracing::info!(event = %event.id, kind = %event.kind, "webhook delivered")
                }
                Err(why) if next.is_some() => {
                    tracing::warn!(event = %event.id, kind = %event.kind, why = %why, attempt = event.attempts + 1, "webhook not delivered; will retry")
                }
                Err(why) => {
                    tracing::error!(event = %event.id, kind = %event.kind, why = %why, "webhook given up after its last retry")
                }
            }
            let _ = outcomes.send(Attempt {
                event: event.id,
                attempts_before: event.attempts,
                delivered,
                next_attempt_ms: next,
                status,
            });
        });
    }
}

/// Writes attempts' outcomes as they come, all that are waiting in one transaction. One that cannot
/// be written leaves its event held, then due again: sent twice at worst, under the same id.
async fn record_outcomes(state: AppState, mut rx: tokio::sync::mpsc::UnboundedReceiver<Attempt>) {
    let mut batch = Vec::new();
    while rx.recv_many(&mut batch, 512).await > 0 {
        if let Err(e) = state.store.record_attempts(&batch).await {
            tracing::error!(error = %e, attempts = batch.len(), "cannot record webhook attempts");
        }
        batch.clear();
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    const GOOD: &str = "whsec_MfKQ9r8GKYqrTwjUPD8ILPZIo2LaLaSw1HUwUGmGK/s=";

    #[test]
    fn settings_are_checked() {
        assert!(Webhooks::new("https://shop.example/h", GOOD, &DEFAULT_RETRY_SECS, 15).is_ok());
        for (url, secret, retry, timeout) in [
            ("ftp://shop.example/h", GOOD, &[5u64][..], 15),
            ("not a url", GOOD, &[5][..], 15),
            (
                "https://shop.example/h",
                "MfKQ9r8GKYqrTwjUPD8ILPZIo2LaLaSw1HUwUGmGK/s=",
                &[5][..],
                15,
            ),
            ("https://shop.example/h", "whsec_c2hvcnQ=", &[5][..], 15),
            ("https://shop.example/h", "whsec_!!!", &[5][..], 15),
            ("https://shop.example/h", GOOD, &[][..], 15),
            ("https://shop.example/h", GOOD, &[0][..], 15),
            ("https://shop.example/h", GOOD, &[5][..], 0),
            ("https://shop.example/h", GOOD, &[5][..], 61),
        ] {
            assert!(
                Webhooks::new(url, secret, retry, timeout).is_err(),
                "{url} {secret} {retry:?} {timeout}"
            );
        }
    }

    #[test]
    fn retries_follow_the_schedule_with_ten_percent_jitter_then_give_up() {
        let w = Webhooks::new("https://shop.example/h", GOOD, &[10, 300], 15).expect("ok");
        for _ in 0..100 {
            let t = w.next_attempt(0, 1_000).expect("first retry");
            assert!((1_000 + 9_000..=1_000 + 11_000).contains(&t), "{t}");
            let t = w.next_attempt(1, 0).expect("second retry");
            assert!((270_000..=330_000).contains(&t), "{t}");
        }
        assert_eq!(w.next_attempt(2, 0), None, "after the last wait: given up");
    }

    #[test]
    fn the_signature_verifies_with_the_standard_webhooks_crate() {
        let w = Webhooks::new("https://shop.example/h", GOOD, &[5], 15).expect("ok");
        let body = br#"{"type":"session.succeeded"}"#;
        let sig = w.signer.sign("evt_1", 1_700_000_000, body).expect("signs");
        let verifier = standardwebhooks::Webhook::new(GOOD).expect("secret");
        // The shop's side computes the same `v1,` signature from the same secret (its `verify` also
        // checks the timestamp against now; the end-to-end tests verify live deliveries with it).
        assert_eq!(
            verifier.sign("evt_1", 1_700_000_000, body).expect("signs"),
            sig
        );
        assert!(sig.starts_with("v1,"));
    }
}
