//! Misbehaviour on request: `POST /sandbox/control` makes a simulator drop, duplicate, delay or
//! corrupt its notifications, answer 500 or never answer, expire orders sooner, or answer its
//! next calls with one of the gateway's own codes (`next`).
//!
//! Tests use it to prove recovery; a person can use it from the command line in the demo.

use std::collections::{BTreeMap, HashMap};
use std::sync::Mutex;

use axum::extract::State;
use axum::http::StatusCode;
use axum::response::{IntoResponse, Response};
use axum::Json;
use serde::{Deserialize, Serialize};

use crate::ledger::Gateway;
use crate::Sandbox;

#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum NotifyMode {
    #[default]
    Normal,
    /// Never send: the merchant must reconcile by querying.
    Drop,
    /// Send every attempt twice.
    Duplicate,
    /// Wait `delay_ms` before the first attempt.
    Delay,
    /// Change the amount after signing, so the signature no longer matches.
    Corrupt,
}

#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum ApiMode {
    #[default]
    Normal,
    /// Every API call answers HTTP 500 with an HTML body, as a broken load balancer does.
    Error500,
    /// Every API call hangs (the merchant's client must time out).
    Timeout,
    /// A create is carried out (the order made, a payment code charged as issued) but its answer
    /// never comes: the merchant's client times out not knowing what happened.
    LostCreate,
}

/// How one simulator behaves; the default is faithful.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(default, deny_unknown_fields)]
pub struct Behaviour {
    pub notifications: NotifyMode,
    pub delay_ms: u64,
    pub api: ApiMode,
    /// Overrides the gateway's default lifetime of new orders, in seconds.
    pub expiry_secs: Option<u64>,
    /// Every query and close of an order takes this long to answer (a slow gateway), so calls
    /// made at once on one order overlap, and `Sandbox::order_calls` sees it; a refund is made at
    /// once and answered this late.
    pub slow_ms: u64,
    /// Sends notifications to this origin (`http://host:port`) instead of the notify URL's own,
    /// keeping its path: e.g. to one instance of several behind a load balancer.
    pub notify_origin: Option<String>,
    /// The next answer per operation (`create`, `query`, `close`, `refund`, `refund_query`): one
    /// of the gateway's own codes or answer shapes (each simulator's `ANSWERS`; README "Sandbox").
    pub next: BTreeMap<Operation, String>,
    /// Keep answering `next` until the control is set again; by default each is used once.
    pub repeat: bool,
}

/// The calls `next` can answer, in every gateway's API.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Operation {
    Create,
    Query,
    Close,
    Refund,
    RefundQuery,
}

/// `POST /sandbox/control` body: a behaviour, for one gateway or (without `gateway`) all of them.
#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct ControlRequest {
    pub gateway: Option<String>,
    #[serde(flatten)]
    pub behaviour: Behaviour,
}

#[derive(Debug, Default)]
pub struct Controls {
    by_gateway: Mutex<HashMap<Gateway, Behaviour>>,
}

impl Controls {
    pub fn get(&self, gateway: Gateway) -> Behaviour {
        self.by_gateway
            .lock()
            .unwrap_or_else(|p| p.into_inner())
            .get(&gateway)
            .cloned()
            .unwrap_or_default()
    }

    /// The answer set for the next `op` call, used up unless `repeat`.
    pub fn take_next(&self, gateway: Gateway, op: Operation) -> Option<String> {
        let mut map = self.by_gateway.lock().unwrap_or_else(|p| p.into_inner());
        let b = map.get_mut(&gateway)?;
        if b.repeat {
            b.next.get(&op).cloned()
        } else {
            b.next.remove(&op)
        }
    }

    pub fn set(&self, gateway: Option<Gateway>, behaviour: Behaviour) {
        let mut map = self.by_gateway.lock().unwrap_or_else(|p| p.into_inner());
        match gateway {
            Some(g) => {
                map.insert(g, behaviour);
            }
            None => {
                for g in Gateway::ALL {
                    map.insert(g, behaviour.clone());
                }
            }
        }
    }
}

pub async fn post(
    State(sandbox): State<Sandbox>,
    body: Result<Json<ControlRequest>, axum::extract::rejection::JsonRejection>,
) -> Response {
    let Json(req) = match body {
        Ok(b) => b,
        Err(e) => return (StatusCode::BAD_REQUEST, e.body_text()).into_response(),
    };
    let gateway = match req.gateway.as_deref() {
        None => None,
        Some(name) => match Gateway::parse(name) {
            Some(g) => Some(g),
            None => {
                return (StatusCode::BAD_REQUEST, format!("unknown gateway {name:?}"))
                    .into_response()
            }
        },
    };
    // Every forced answer must be one the gateway can give (a typo answers 400, not a surprise).
    for g in gateway.map_or(Gateway::ALL.to_vec(), |g| vec![g]) {
        for (op, answer) in &req.behaviour.next {
            if !crate::knows_answer(g, *op, answer) {
                return (
                    StatusCode::BAD_REQUEST,
                    format!(
                        "{} cannot answer {answer:?} to {op:?}; see the README's sandbox section",
                        g.as_str()
                    ),
                )
                    .into_response();
            }
        }
    }
    sandbox.inner.controls.set(gateway, req.behaviour);
    get(State(sandbox)).await
}

pub async fn get(State(sandbox): State<Sandbox>) -> Response {
    let all: std::collections::BTreeMap<&str, Behaviour> = Gateway::ALL
        .into_iter()
        .map(|g| (g.as_str(), sandbox.inner.controls.get(g)))
        .collect();
    Json(all).into_response()
}

/// `GET /sandbox/stats`: acknowledgement times of delivered notifications, in microseconds, and per
/// merchant order id the queries and closes made of it (`calls`: `{ total, most_at_once }`).
pub async fn stats(State(sandbox): State<Sandbox>) -> Response {
    let acks = sandbox
        .inner
        .acks
        .lock()
        .unwrap_or_else(|p| p.into_inner())
        .clone();
    let calls: serde_json::Map<String, serde_json::Value> = sandbox
        .inner
        .calls
        .lock()
        .unwrap_or_else(|p| p.into_inner())
        .iter()
        .map(|(order, c)| {
            (
                order.clone(),
                serde_json::json!({ "total": c.total, "most_at_once": c.most_at_once }),
            )
        })
        .collect();
    Json(serde_json::json!({ "ack_us": acks, "calls": calls })).into_response()
}

/// Forgets the recorded acknowledgement times (`DELETE /sandbox/stats`).
pub async fn reset_stats(State(sandbox): State<Sandbox>) -> Response {
    sandbox
        .inner
        .acks
        .lock()
        .unwrap_or_else(|p| p.into_inner())
        .clear();
    StatusCode::NO_CONTENT.into_response()
}
