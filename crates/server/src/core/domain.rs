//! The server's own records, below the store and the connectors: a session with what only the server
//! knows of it, a refund, a refund's status, and random ids. Imports nothing from `gateway` or `store`.

use rand::Rng;
use wallet_checkout_protocol::{Money, Session};

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
    /// A close was asked for (the shopper's cancel, a newer attempt) but the gateway could not be
    /// reached: the session stays `pending`, since its QR may still be paid, and reconciliation
    /// retries the close; this is the status it then ends in.
    pub close_as: Option<wallet_checkout_protocol::Status>,
    /// The gateway's last refusal about this session (a query, a close or a refund it declined), as
    /// it said it; shown to the shop (`GET /admin/orders/{reference}`), never to the shopper.
    pub gateway_result: Option<GatewayResult>,
}

impl SessionRecord {
    /// The session's id, as the type the service and the store pass.
    pub fn id(&self) -> crate::core::ids::SessionId {
        crate::core::ids::SessionId::from(&self.session.id)
    }

    /// Its order's reference.
    pub fn order_ref(&self) -> crate::core::ids::OrderRef {
        crate::core::ids::OrderRef::from(&self.session.order)
    }
}

/// A gateway's own code and message, already made printable.
#[derive(Debug, Clone, PartialEq, Eq, serde::Serialize)]
pub struct GatewayResult {
    pub code: String,
    pub message: String,
}

/// Where a refund stands, at the gateway and here.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum RefundStatus {
    Processing,
    Succeeded,
    Failed,
}

impl RefundStatus {
    pub const ALL: [RefundStatus; 3] = [
        RefundStatus::Processing,
        RefundStatus::Succeeded,
        RefundStatus::Failed,
    ];

    pub fn as_str(self) -> &'static str {
        match self {
            RefundStatus::Processing => "processing",
            RefundStatus::Succeeded => "succeeded",
            RefundStatus::Failed => "failed",
        }
    }

    pub fn parse(s: &str) -> Option<RefundStatus> {
        RefundStatus::ALL.into_iter().find(|r| r.as_str() == s)
    }
}

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
    /// The admin request's `Idempotency-Key`: a retry with it gets this refund, never a second one.
    #[serde(skip)]
    pub idempotency_key: Option<String>,
}

fn refund_status_str<S: serde::Serializer>(s: &RefundStatus, ser: S) -> Result<S::Ok, S::Error> {
    ser.serialize_str(s.as_str())
}

/// A random lowercase alphanumeric id of `len` characters (session ids, nonces).
pub fn random_id(len: usize) -> String {
    const ALPHABET: &[u8] = b"abcdefghijklmnopqrstuvwxyz0123456789";
    let mut rng = rand::thread_rng();
    (0..len)
        .map(|_| ALPHABET[rng.gen_range(0..ALPHABET.len())] as char)
        .collect()
}

/// The shopper as the shop knows them (`PUT /admin/orders`' `customer`); some gateways want it
/// (Pass2Pay's `custNo`, `registerTime`, `userName`, `mbrTel`, `idNo`).
#[derive(Debug, Clone, PartialEq, Eq, serde::Serialize, serde::Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Customer {
    pub id: String,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub registered_at: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub name: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub phone: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub id_number: Option<String>,
}

/// An order the shop told us (`PUT /admin/orders/{reference}`), or that a lookup answered.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct OrderRecord {
    pub reference: String,
    pub amount: Money,
    pub description: String,
    pub customer: Option<Customer>,
    pub metadata: std::collections::BTreeMap<String, String>,
    /// What only the shop's page holds (docs/protocol.md, "Client secrets"): a create must carry it.
    /// The same for the life of the order: a later PUT keeps the stored one. Never logged.
    pub client_secret: String,
    /// RFC 3339.
    pub created_at: String,
    pub updated_at: String,
}

/// A new order's client secret: 40 random characters of 36 (206 bits), within the contract's
/// 32 to 255 characters of `[A-Za-z0-9_-]`.
pub fn new_client_secret() -> String {
    format!("sec_{}", random_id(40))
}

/// The contract's client secret: 32 to 255 characters of `[A-Za-z0-9_-]`.
pub fn valid_client_secret(s: &str) -> bool {
    (32..=255).contains(&s.len())
        && s.bytes()
            .all(|b| b.is_ascii_alphanumeric() || b == b'_' || b == b'-')
}

/// An event to record with the change it reports (a webhook to the shop, and `/admin/events`).
#[derive(Debug, Clone, PartialEq)]
pub struct NewEvent {
    /// `session.succeeded`, `refund.failed`, `order.paid_twice`, …
    pub kind: &'static str,
    /// RFC 3339.
    pub created_at: String,
    /// Unix milliseconds of the first delivery attempt (now), or `None` with no webhook configured.
    pub first_attempt_ms: Option<i64>,
    pub data: serde_json::Value,
}

impl NewEvent {
    /// The session the event tells of (`data.session.id`): every event has one, and the stores keep
    /// it in a column of its own for an order's timeline.
    pub fn session_id(&self) -> Option<&str> {
        self.data.pointer("/session/id").and_then(|v| v.as_str())
    }
}

/// An event as stored: its delivery so far.
#[derive(Debug, Clone, PartialEq)]
pub struct EventRecord {
    /// `evt_…`, the same `webhook-id` on every attempt.
    pub id: String,
    pub kind: String,
    pub created_at: String,
    pub data: serde_json::Value,
    pub delivered: bool,
    pub attempts: u32,
    /// Unix milliseconds of the next attempt; `None` once delivered or given up.
    pub next_attempt_ms: Option<i64>,
    /// The HTTP status of the last attempt's answer; `None` before any, or when none came (a
    /// timeout, a refused connection).
    pub last_status: Option<u16>,
}

/// Builds the events a status change reports, given the session after the change and whether
/// another session of the same order had already succeeded; called only when the status changed,
/// inside the store's transaction.
pub type EventsFor = Box<dyn FnOnce(&SessionRecord, bool) -> Vec<NewEvent> + Send>;
