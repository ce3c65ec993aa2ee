//! Delivers a simulator's notifications on the gateway's retry schedule until acknowledged,
//! honouring the misbehaviour switches and the sandbox's time scale.

use std::time::Duration;

use crate::control::NotifyMode;
use crate::ledger::{Gateway, Payment};
use crate::Sandbox;

/// One HTTP notification, built fresh for every attempt (times and nonces change).
#[derive(Debug, Clone)]
pub struct Outgoing {
    pub url: String,
    pub content_type: &'static str,
    pub headers: Vec<(&'static str, String)>,
    pub body: Vec<u8>,
}

/// Delays before each attempt, in the gateway's own time (divided by the sandbox's time scale).
fn schedule(gateway: Gateway) -> Vec<Duration> {
    const MIN: u64 = 60;
    match gateway {
        // "Pushed at once (up to 3 attempts), then every 30 minutes for up to 24 h."
        Gateway::AlphaPay => {
            let mut v = vec![Duration::ZERO; 3];
            v.extend(std::iter::repeat_n(Duration::from_secs(30 * MIN), 48));
            v
        }
        // Jeepay: 6 attempts, the wait after attempt n being n × 30 s.
        Gateway::Pass2Pay => (0..6u64).map(|n| Duration::from_secs(n * 30)).collect(),
        // Unknown upstream (gateways.md §3.5): a WeChat-like back-off over a day.
        Gateway::YabandPay => [0, 15, 15, 30, 180, 600, 1200, 1800, 3600, 10800, 21600]
            .into_iter()
            .map(Duration::from_secs)
            .collect(),
    }
}

/// Whether the merchant's answer is the gateway's success acknowledgement.
fn acknowledged(gateway: Gateway, status: u16, body: &str) -> bool {
    if !(200..300).contains(&status) {
        return false;
    }
    match gateway {
        Gateway::AlphaPay => body.contains("\"SUCCESS\""),
        // Jeepay compares the text with SUCCESS case-insensitively.
        Gateway::Pass2Pay => body.trim().eq_ignore_ascii_case("success"),
        Gateway::YabandPay => body.trim().eq_ignore_ascii_case("ok"),
    }
}

/// Sends the notification for `payment` in the background, as its gateway would.
pub fn spawn(sandbox: &Sandbox, payment: Payment) {
    if payment.notify_url.is_none() {
        return;
    }
    let behaviour = sandbox.inner.controls.get(payment.gateway);
    if behaviour.notifications == NotifyMode::Drop {
        tracing::info!(payment = %payment.id, "sandbox: notification dropped on request");
        return;
    }
    let sandbox = sandbox.clone();
    tokio::spawn(async move {
        if behaviour.notifications == NotifyMode::Delay {
            tokio::time::sleep(Duration::from_millis(behaviour.delay_ms)).await;
        }
        let corrupt = behaviour.notifications == NotifyMode::Corrupt;
        let copies = if behaviour.notifications == NotifyMode::Duplicate {
            2
        } else {
            1
        };
        for (attempt, delay) in schedule(payment.gateway).into_iter().enumerate() {
            tokio::time::sleep(sandbox.scaled(delay)).await;
            let mut done = false;
            for _ in 0..copies {
                let Some(out) = sandbox.build_notification(&payment, corrupt) else {
                    return;
                };
                done |= deliver(&sandbox, payment.gateway, out, attempt).await;
            }
            if done {
                return;
            }
        }
        tracing::warn!(payment = %payment.id, "sandbox: notification never acknowledged; giving up");
    });
}

/// Sends `out` once in the background (a push the gateway never retries, such as AlphaPay's refund
/// notification); `drop` on the gateway's control sends nothing.
pub fn push_once(sandbox: &Sandbox, gateway: Gateway, out: Outgoing) {
    if sandbox.inner.controls.get(gateway).notifications == NotifyMode::Drop {
        tracing::info!("sandbox: refund notification dropped on request");
        return;
    }
    let sandbox = sandbox.clone();
    tokio::spawn(async move {
        deliver(&sandbox, gateway, out, 0).await;
    });
}

/// `url` with its origin replaced by `origin` (the control switch `notify_origin`).
fn redirected(url: &str, origin: Option<&str>) -> String {
    let (Some(origin), Ok(mut parsed)) = (origin, reqwest::Url::parse(url)) else {
        return url.to_string();
    };
    let Ok(to) = reqwest::Url::parse(origin) else {
        return url.to_string();
    };
    let moved = parsed.set_scheme(to.scheme()).is_ok()
        && parsed.set_host(to.host_str()).is_ok()
        && parsed.set_port(to.port()).is_ok();
    if moved {
        parsed.to_string()
    } else {
        url.to_string()
    }
}

async fn deliver(sandbox: &Sandbox, gateway: Gateway, out: Outgoing, attempt: usize) -> bool {
    let origin = sandbox.inner.controls.get(gateway).notify_origin;
    let url = redirected(&out.url, origin.as_deref());
    let mut req = sandbox
        .inner
        .http
        .post(&url)
        .header("Content-Type", out.content_type)
        .body(out.body);
    for (k, v) in out.headers {
        req = req.header(k, v);
    }
    let started = std::time::Instant::now();
    match req.send().await {
        Ok(r) => {
            let status = r.status().as_u16();
            let text = r.text().await.unwrap_or_default();
            let ok = acknowledged(gateway, status, &text);
            if ok {
                let us = u32::try_from(started.elapsed().as_micros()).unwrap_or(u32::MAX);
                let mut acks = sandbox.inner.acks.lock().unwrap_or_else(|p| p.into_inner());
                if acks.len() < 1_000_000 {
                    acks.push(us);
                }
            }
            if !ok {
                tracing::warn!(
                    gateway = gateway.as_str(),
                    attempt,
                    status,
                    "sandbox: notification not acknowledged"
                );
            }
            ok
        }
        Err(e) => {
            tracing::warn!(gateway = gateway.as_str(), attempt, error = %e.without_url(), "sandbox: notification not delivered");
            false
        }
    }
}

#[cfg(test)]
mod redirect_tests {
    use super::redirected;

    #[test]
    fn a_notification_can_be_sent_to_another_origin_keeping_its_path() {
        let url = "https://shop.example/notify/pass2pay?x=1";
        assert_eq!(redirected(url, None), url);
        assert_eq!(
            redirected(url, Some("http://127.0.0.1:8082")),
            "http://127.0.0.1:8082/notify/pass2pay?x=1"
        );
        assert_eq!(redirected(url, Some("not a url")), url);
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn schedules_follow_the_gateways() {
        let a = schedule(Gateway::AlphaPay);
        assert_eq!(a.len(), 51);
        assert_eq!(a.iter().map(Duration::as_secs).sum::<u64>(), 24 * 3600);
        let p: Vec<u64> = schedule(Gateway::Pass2Pay)
            .iter()
            .map(Duration::as_secs)
            .collect();
        assert_eq!(p, [0, 30, 60, 90, 120, 150]);
    }

    #[test]
    fn acknowledgements_are_each_gateways_own() {
        assert!(acknowledged(Gateway::Pass2Pay, 200, "SUCCESS"));
        assert!(acknowledged(Gateway::Pass2Pay, 200, "success\n"));
        assert!(!acknowledged(Gateway::Pass2Pay, 200, "ok"));
        assert!(acknowledged(Gateway::YabandPay, 200, "ok"));
        assert!(!acknowledged(Gateway::YabandPay, 500, "ok"));
        assert!(acknowledged(
            Gateway::AlphaPay,
            200,
            r#"{"result":{"resultCode":"SUCCESS"}}"#
        ));
        assert!(!acknowledged(Gateway::AlphaPay, 200, "success"));
    }
}
