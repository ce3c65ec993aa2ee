//! The checkout service: the one writer of order, session and refund state. It creates sessions (closing an
//! order's earlier attempts first), cancels them, closes them at the gateway, applies what
//! notifications and queries say, expires them, and refunds them. It is the only caller of
//! `Store::transition` and the only place that wakes the hub; `api`, `notify`, `reconcile` and
//! `admin` extract, call one function here, and respond.
//!
//! Every rule is testable without HTTP: the functions take the state and plain values.

use std::collections::HashMap;
use std::sync::{Arc, Mutex};

use wallet_checkout_protocol::{ErrorCode, Flow, Money, Session, Status, Wallet};

use crate::core::clock::rfc3339;
use crate::core::error::{Kind, ServiceError};
use crate::core::ids::{OrderRef, RefundId, SessionId};
use crate::core::payment_code::PaymentCode;
use crate::gateway::{
    Connector, CreatePayment, GatewayError, GatewayPayment, IncomingNotification, Notification,
    NotifyError, Observed, PaymentRef, RefundRequest, Refusal, Said,
};
use crate::orders::{Order, OrderView, PutOrder, SessionView};
use crate::store::{
    random_id, EventRecord, EventsFor, NewEvent, OrderRecord, Put, RefundRecord, RefundStatus,
    SessionRecord, StoreError,
};
use crate::AppState;

/// The right to change a status: only this module makes one (its field is private), so only the
/// service can call `Store::transition` and `Store::update_refund`.
pub struct Writer(());

impl Writer {
    /// The store conformance suite's writer: test code only.
    #[cfg(any(test, feature = "conformance"))]
    pub fn for_tests() -> Writer {
        Writer(())
    }
}

/// One async lock per idempotency key, so two concurrent retries cannot both reach the gateway.
#[derive(Default)]
pub struct KeyLocks {
    locks: Mutex<HashMap<String, Arc<tokio::sync::Mutex<()>>>>,
}

impl KeyLocks {
    fn lock_for(&self, key: &str) -> Arc<tokio::sync::Mutex<()>> {
        let mut map = self.locks.lock().unwrap_or_else(|p| p.into_inner());
        map.retain(|_, l| Arc::strong_count(l) > 1);
        map.entry(key.to_string()).or_default().clone()
    }
}

/// How long a close the API makes keeps reconciliation off its session: longer than a gateway call.
const CLOSE_LEASE_MS: i64 = 60_000;
/// After a close failed, how long until the API or reconciliation calls the gateway again for it.
const CLOSE_RETRY_MS: i64 = 15_000;

/// The closes this instance is making, and those that failed lately (until when they wait).
#[derive(Default)]
pub struct Closing {
    sessions: Mutex<HashMap<String, Option<time::OffsetDateTime>>>,
}

/// A close under way; dropping it ends it (a failed one stays, to wait out its retry).
pub struct CloseTurn<'a> {
    closing: &'a Closing,
    id: String,
}

impl Closing {
    fn begin(&self, id: &SessionId, now: time::OffsetDateTime) -> Option<CloseTurn<'_>> {
        let mut map = self.sessions.lock().unwrap_or_else(|p| p.into_inner());
        map.retain(|_, until| until.is_none_or(|u| u > now));
        if map.contains_key(id.as_str()) {
            return None;
        }
        map.insert(id.to_string(), None);
        Some(CloseTurn {
            closing: self,
            id: id.to_string(),
        })
    }

    fn failed(&self, id: &SessionId, now: time::OffsetDateTime) {
        let mut map = self.sessions.lock().unwrap_or_else(|p| p.into_inner());
        map.insert(
            id.to_string(),
            Some(now + time::Duration::milliseconds(CLOSE_RETRY_MS)),
        );
    }
}

impl Drop for CloseTurn<'_> {
    fn drop(&mut self) {
        let mut map = self
            .closing
            .sessions
            .lock()
            .unwrap_or_else(|p| p.into_inner());
        // Still `None`: it ended without failing.
        if matches!(map.get(&self.id), Some(None)) {
            map.remove(&self.id);
        }
    }
}

/// Longest `Idempotency-Key` accepted.
pub const MAX_KEY_LEN: usize = 255;
/// Longest `return_url` accepted.
pub const MAX_RETURN_URL: usize = 2048;

impl From<StoreError> for ServiceError {
    /// A store that cannot be reached is `503` with `Retry-After` (the request may be made again
    /// as it was: nothing was half-written); anything else reaching here is a bug, `500`.
    fn from(e: StoreError) -> ServiceError {
        tracing::error!(error = %e, "store failure");
        match e {
            StoreError::Unavailable(_) => ServiceError {
                retry_after: Some(1),
                ..ServiceError::new(
                    Kind::Unavailable,
                    ErrorCode::Internal,
                    "session store unavailable; try again",
                )
            },
            // Only outside text can hold what PostgreSQL refuses (a NUL byte).
            StoreError::Invalid => {
                ServiceError::invalid("the request holds text that cannot be stored")
            }
            _ => ServiceError::internal("session store unavailable"),
        }
    }
}

impl From<GatewayError> for ServiceError {
    fn from(e: GatewayError) -> ServiceError {
        tracing::warn!(error = %e, "gateway call failed");
        match e {
            GatewayError::Refused(m) => ServiceError::invalid(m),
            GatewayError::Timeout => ServiceError::new(
                Kind::UpstreamTimeout,
                ErrorCode::GatewayTimeout,
                "gateway timed out",
            ),
            // What the gateway said stays in the log: a shopper (or whoever made the request)
            // hears only that the payment provider failed.
            GatewayError::Transport(_) | GatewayError::BadResponse(_) => ServiceError::new(
                Kind::Upstream,
                ErrorCode::GatewayError,
                "the payment provider could not be reached",
            ),
            // The contract's "Gateway refusals → codes": each connector's table says which kind.
            GatewayError::Declined { refusal, .. } => match refusal {
                Refusal::Order => ServiceError::new(
                    Kind::Unprocessable,
                    ErrorCode::GatewayRefused,
                    "the payment provider refused this order; another wallet may take it",
                ),
                Refusal::Wallet => ServiceError::new(
                    Kind::Unprocessable,
                    ErrorCode::WalletUnavailable,
                    "the payment provider has not enabled this wallet for the shop",
                ),
                Refusal::Paid => ServiceError::new(
                    Kind::Conflict,
                    ErrorCode::OrderAlreadyPaid,
                    "the payment provider says this order is already paid",
                ),
                Refusal::Transient | Refusal::Setup | Refusal::Unknown => ServiceError::new(
                    Kind::Upstream,
                    ErrorCode::GatewayError,
                    "the payment provider refused this request; try again",
                ),
            },
            GatewayError::Unsettled { .. } => ServiceError::new(
                Kind::Upstream,
                ErrorCode::GatewayError,
                "the payment provider could not say whether the order was made; try again",
            ),
        }
    }
}

pub(crate) fn key_error() -> ServiceError {
    ServiceError::invalid(format!(
        "Idempotency-Key must be 1 to {MAX_KEY_LEN} printable ASCII characters"
    ))
}

/// The contract's key: 1 to 255 printable ASCII characters (a tab, another control or a non-ASCII
/// byte is refused; HTTP lets a tab through a header).
fn check_key(key: Option<&str>) -> Result<(), ServiceError> {
    match key {
        Some(k)
            if k.is_empty()
                || k.len() > MAX_KEY_LEN
                || !k.bytes().all(|b| (0x20..=0x7e).contains(&b)) =>
        {
            Err(key_error())
        }
        _ => Ok(()),
    }
}

/// A request for a session, as the API extracted it.
#[derive(Debug, Clone)]
pub struct NewSession {
    pub order: String,
    /// Required but for flow `payment_code`, whose code tells it.
    pub wallet: Option<Wallet>,
    pub flow: Flow,
    /// Flow `payment_code`: the shopper's code as given (checked here; never logged or kept).
    pub payment_code: Option<PaymentCode>,
    /// A QR on a cashier's screen.
    pub in_store: bool,
    pub return_url: Option<String>,
    pub idempotency_key: Option<String>,
    /// The shopper's address as the merchant's proxy reported it (some gateways want it).
    pub client_ip: Option<String>,
    /// The order's secret, as the shop's page handed it to the widget.
    pub client_secret: Option<String>,
}

/// A session made now, or the one an earlier request with the same idempotency key made.
#[derive(Debug, Clone)]
pub enum Created {
    New(Session),
    Replayed(Session),
}

/// The session as the widget sees it: no action once final. Expiry is the reconciler's to decide,
/// after it closed the gateway order.
pub fn present(mut record: SessionRecord) -> Session {
    if record.session.status.is_final() {
        record.session.action = None;
    } else {
        // A session made before the server encoded QR codes gets its matrix here.
        record.session.action = crate::core::qr::drawn(record.session.action.take());
    }
    // Why it failed, only once it has (a failure noted just before the transition).
    if record.session.status != Status::Failed {
        record.session.failure = None;
    }
    record.session
}

fn payment(record: &SessionRecord) -> PaymentRef<'_> {
    PaymentRef {
        gateway_ref: &record.gateway_ref,
        merchant_ref: &record.merchant_ref,
        amount: &record.session.amount,
    }
}

/// Creates a session: the amount from `OrderSource`, the order's earlier pending attempts closed
/// first, one gateway order per idempotency key.
pub async fn create(state: &AppState, req: NewSession) -> Result<Created, ServiceError> {
    check_key(req.idempotency_key.as_deref())?;
    // The same rule as a PUT's: anything else cannot be an order, and never reaches a lock, the
    // shop's lookup or a log.
    if !crate::orders::valid_reference(&req.order) {
        return Err(ServiceError::invalid(
            "order must be 1 to 64 letters, digits, '-', '_', '.' or ':'",
        ));
    }
    // The wallet, and for a counter the shopper's code, checked before anything is read or asked.
    let (wallet, code) = asked_wallet(state, &req)?;
    let client = req
        .client_ip
        .as_deref()
        .and_then(|ip| ip.parse::<std::net::IpAddr>().ok());
    // A retry with the key of a session already made is answered with it (a read, no lock): the key
    // is as secret as the session it made, and the order may since be gone from its source.
    if let Some(replayed) = replay(state, &req, wallet).await? {
        return Ok(replayed);
    }
    // Only the holder of the order's secret goes further: before any lock, close, store write,
    // stored lookup or gateway call (docs/protocol.md, "Client secrets").
    let mut counted = false;
    let looked = if state.require_client_secret {
        authorize(
            state,
            &OrderRef::from(&req.order),
            req.client_secret.as_deref(),
            client,
            &mut counted,
        )
        .await?
    } else {
        None
    };
    // Client keys live in their own namespace: `order:…` and `refund:…` are the server's locks.
    let _guard = match &req.idempotency_key {
        Some(k) => Some(
            state
                .idempotency_locks
                .lock_for(&format!("key:{k}"))
                .lock_owned()
                .await,
        ),
        None => None,
    };
    // Again under the key's lock: a concurrent retry may have made it meanwhile.
    if let Some(replayed) = replay(state, &req, wallet).await? {
        return Ok(replayed);
    }
    // After the replay: a widget retrying with its key gets its session, never a 429.
    if !counted {
        count_create(state, client)?;
    }
    // Checked, then stored and sent in its parsed form: what the gateway gets is what was checked.
    let checked_return = match &req.return_url {
        Some(url) => Some(check_return_url(state, url)?),
        None => None,
    };
    // One order, one payment: under the order's lock from reading its amount to storing the
    // session, so a PUT cannot change the amount in between, and earlier attempts close first.
    let _order_guard = state
        .idempotency_locks
        .lock_for(&format!("order:{}", req.order))
        .lock_owned()
        .await;
    // And across instances sharing the store: two creates for one order never overlap, so the
    // second closes the first's session before making its own.
    let _order_hold = state.store.hold_order(&OrderRef::from(&req.order)).await?;
    // Another instance may have made this key's session while this one waited for the order.
    if let Some(replayed) = replay(state, &req, wallet).await? {
        return Ok(replayed);
    }
    let (order, customer) = order_for(state, &OrderRef::from(&req.order), looked).await?;
    let unavailable = || {
        ServiceError::new(
            Kind::Unprocessable,
            ErrorCode::WalletUnavailable,
            format!("{wallet} is not offered"),
        )
    };
    let gateway_name = state.routing.get(&wallet).ok_or_else(unavailable)?;
    let connector = state.connectors.get(gateway_name).ok_or_else(|| {
        tracing::error!(gateway = %gateway_name, "routing names a gateway that is not configured");
        unavailable()
    })?;
    // Before anything is closed: a counter's code needs a gateway with a payment-code API.
    if code.is_some() && !connector.takes_payment_codes() {
        return Err(ServiceError::new(
            Kind::Unprocessable,
            ErrorCode::FlowUnavailable,
            format!("{wallet}'s gateway takes no payment codes"),
        ));
    }
    close_earlier_attempts(state, &OrderRef::from(&order.reference)).await?;

    let id = format!("cs_{}", random_id(24));
    let notify_url = format!(
        "{}/notify/{}",
        state.public_url.trim_end_matches('/'),
        connector.name()
    );
    let now = state.clock.now();
    // Where the wallet sends the shopper back: the page that asked, else the shop's front page.
    let return_url = checked_return
        .clone()
        .unwrap_or_else(|| format!("{}/", state.public_url.trim_end_matches('/')));
    let created = connector
        .create(CreatePayment {
            merchant_ref: &id,
            amount: &order.amount,
            description: &order.description,
            wallet,
            flow: req.flow,
            notify_url: &notify_url,
            return_url: Some(return_url.as_str()),
            client_ip: req.client_ip.as_deref(),
            order: &order.reference,
            customer: customer.as_ref(),
            payment_code: code.as_ref(),
            in_store: req.in_store,
        })
        .await;
    // The code is needed for this one call only.
    drop(code);
    // A counter's wait for the shopper is the shop's, not the gateway's order lifetime.
    let counter = (req.flow == Flow::PaymentCode)
        .then_some(state.payment_code_wait)
        .flatten()
        .map(|w| now + w);
    let made = match created {
        Ok(made) => made,
        // A code may have been charged though the answer was lost or unreadable: the session is
        // stored as any other, waiting, and asked about (never a second create), then cancelled
        // at the wait's end.
        Err(e) if counter.is_some() && unknown_outcome(&e) => {
            tracing::warn!(order = %order.reference, error = %e, "a payment code's create has no clear answer; the session waits and the gateway is asked");
            let gateway_ref = match &e {
                GatewayError::Unsettled { gateway_ref, .. } => gateway_ref.clone(),
                _ => String::new(),
            };
            GatewayPayment {
                said: e.said(),
                ..GatewayPayment::pending(
                    gateway_ref,
                    req.flow,
                    wallet_checkout_protocol::Action::Wait,
                    now,
                )
            }
        }
        Err(GatewayError::Unsettled {
            gateway_ref,
            code,
            message,
        }) => {
            // An order the gateway made in a state it could not say: kept (never shown), so
            // reconciliation closes it and asks what it became; the shopper retries.
            let record = new_record(
                &id,
                &order,
                wallet,
                req.flow,
                connector.name(),
                now,
                now + time::Duration::minutes(15),
                None,
                gateway_ref.clone(),
                None,
                checked_return.clone(),
            );
            let e = GatewayError::Unsettled {
                gateway_ref,
                code,
                message,
            };
            keep_unsettled(state, &record, &e).await;
            return Err(e.into());
        }
        Err(e) => return Err(e.into()),
    };
    let mut record = new_record(
        &id,
        &order,
        wallet,
        made.flow,
        connector.name(),
        now,
        counter.unwrap_or_else(|| sane_expiry(now, made.expires_at)),
        // The QR encoded once, here, and kept with the session.
        crate::core::qr::drawn(made.action),
        made.gateway_ref,
        req.idempotency_key,
        checked_return,
    );
    // Why it failed, stored with it, so whichever moves it to `failed` (this create, or the
    // gateway's notification racing it) reports it; shown only once it has failed.
    record.session.failure = made
        .failure
        .map(|code| wallet_checkout_protocol::Failure { code });
    match state.store.insert(record.clone(), Writer(())).await {
        Ok(()) => count_session(&record.session, None),
        // Another instance stored a session under the same key meanwhile (the key's lock is one
        // process's): that one is the answer, and this gateway order is closed.
        Err(StoreError::Conflict) if record.idempotency_key.is_some() => {
            let key = record.idempotency_key.as_deref().unwrap_or_default();
            if let Some(existing) = state.store.by_idempotency_key(key).await? {
                close_at_gateway(state, &record, Status::Cancelled).await;
                return Ok(Created::Replayed(present(existing)));
            }
            return Err(StoreError::Conflict.into());
        }
        // The order's amount changed on another instance while the gateway was asked.
        Err(StoreError::Locked) => {
            close_at_gateway(state, &record, Status::Cancelled).await;
            return Err(ServiceError::new(
                Kind::Conflict,
                ErrorCode::OrderUnavailable,
                "the order changed while the session was made; try again",
            ));
        }
        Err(e) => return Err(e.into()),
    }
    tracing::info!(session = %record.session.id, order = %record.session.order, gateway = %record.session.gateway, "session created");
    if let Some(said) = &made.said {
        note_said(state, &record.id(), said).await;
    }
    Ok(Created::New(
        settle_at_create(state, record, made.settled).await,
    ))
}

/// A gateway error after which a payment may still have been made: no answer, or one that could
/// not be read or trusted, or an order of unknown state.
fn unknown_outcome(e: &GatewayError) -> bool {
    matches!(
        e,
        GatewayError::Timeout
            | GatewayError::Transport(_)
            | GatewayError::BadResponse(_)
            | GatewayError::Unsettled { .. }
    )
}

fn code_invalid(message: &str) -> ServiceError {
    ServiceError::new(
        Kind::Invalid,
        ErrorCode::PaymentCodeInvalid,
        message.to_string(),
    )
}

/// The wallet a create is for and, at a counter, the shopper's code checked (docs/protocol.md,
/// "Scan the shopper's payment code"): all before any lock, read or gateway call.
fn asked_wallet(
    state: &AppState,
    req: &NewSession,
) -> Result<(Wallet, Option<PaymentCode>), ServiceError> {
    if req.flow == Flow::PaymentCode {
        if state.payment_code_wait.is_none() {
            return Err(ServiceError::new(
                Kind::Unprocessable,
                ErrorCode::FlowUnavailable,
                "this checkout takes no payment codes ([checkout] payment_code)",
            ));
        }
        let given = req
            .payment_code
            .clone()
            .ok_or_else(|| code_invalid("payment_code is required with flow payment_code"))?;
        let (code, wallet) = given.check(req.wallet).map_err(code_invalid)?;
        if req.idempotency_key.is_none() {
            return Err(ServiceError::invalid(
                "flow payment_code needs an Idempotency-Key header (a retry without one could charge the code twice)",
            ));
        }
        return Ok((wallet, Some(code)));
    }
    if req.payment_code.is_some() {
        return Err(ServiceError::invalid(
            "payment_code goes only with flow payment_code",
        ));
    }
    if req.in_store && req.flow != Flow::Qr {
        return Err(ServiceError::invalid("in_store goes only with flow qr"));
    }
    let wallet = req
        .wallet
        .ok_or_else(|| ServiceError::invalid("wallet is required"))?;
    Ok((wallet, None))
}

/// The session an earlier create with this request's key made, if any; the key with another order
/// or wallet is `400`.
async fn replay(
    state: &AppState,
    req: &NewSession,
    wallet: Wallet,
) -> Result<Option<Created>, ServiceError> {
    let Some(k) = &req.idempotency_key else {
        return Ok(None);
    };
    let Some(existing) = state.store.by_idempotency_key(k).await? else {
        return Ok(None);
    };
    if existing.session.order != req.order || existing.session.wallet != wallet {
        return Err(ServiceError::invalid(
            "Idempotency-Key was already used for another request",
        ));
    }
    Ok(Some(Created::Replayed(present(existing))))
}

/// One more create from `client` (`[limits] creates_per_minute_per_ip`), or `429`.
fn count_create(state: &AppState, client: Option<std::net::IpAddr>) -> Result<(), ServiceError> {
    state.limits.check_create(client).map_err(|wait| {
        ServiceError::rate_limited(
            wait,
            "too many new sessions from this address; try again shortly",
        )
    })
}

/// An order this server cannot or may not pay: one answer, byte for byte, whether the reference is
/// unknown or the secret missing or wrong.
fn no_such_order() -> ServiceError {
    ServiceError::new(Kind::NotFound, ErrorCode::OrderNotFound, "no such order")
}

/// A create refused by `authorize`, said in the log (never the secret), so a developer whose page
/// forgot `client-secret` sees why, while the answer stays the unknown order's.
fn refused_create(reference: &OrderRef, given: Option<&str>) {
    let why = match given {
        None => "no client_secret in the create (the page's element needs client-secret)",
        Some(g) if !crate::core::domain::valid_client_secret(g) => {
            "a client_secret that is not 32 to 255 characters of [A-Za-z0-9_-]"
        }
        Some(_) => "an unknown order, or a client_secret that is not the order's",
    };
    tracing::info!(order = ?reference.as_str(), why, "create answered order_not_found");
}

/// Equal secrets, compared in constant time (their digests, so the length says nothing either).
fn same_secret(kept: &str, given: &str) -> bool {
    use sha2::Digest;
    use subtle::ConstantTimeEq;
    let a = sha2::Sha256::digest(kept.as_bytes());
    let b = sha2::Sha256::digest(given.as_bytes());
    a.ct_eq(&b).into()
}

/// Lets a create go on only with the order's secret. A refusal is counted against the create
/// limit and answers as an unknown order does. Reads only: the stored order, else the shop's
/// lookup (counted before it is asked; its answer kept for the create to store once locked, and
/// nothing stored when the secret does not match), else the order source.
async fn authorize(
    state: &AppState,
    reference: &OrderRef,
    given: Option<&str>,
    client: Option<std::net::IpAddr>,
    counted: &mut bool,
) -> Result<Option<PutOrder>, ServiceError> {
    let refuse = |counted: bool| -> ServiceError {
        refused_create(reference, given);
        if !counted {
            if let Err(limited) = count_create(state, client) {
                return limited;
            }
        }
        no_such_order()
    };
    let Some(given) = given.filter(|g| crate::core::domain::valid_client_secret(g)) else {
        return Err(refuse(false));
    };
    if let Some(kept) = state.store.get_order(reference).await? {
        return match same_secret(&kept.client_secret, given) {
            true => Ok(None),
            false => Err(refuse(false)),
        };
    }
    if let Some(lookup) = &state.lookup {
        // Asking the shop is counted as a create, so a stranger cannot make it ask without end.
        count_create(state, client)?;
        *counted = true;
        return match lookup
            .ask(reference, state.clock.now().unix_timestamp())
            .await
        {
            crate::orders::Looked::Found(body) => match body.client_secret.as_deref() {
                Some(kept) if same_secret(kept, given) => Ok(Some(*body)),
                Some(_) => {
                    refused_create(reference, Some(given));
                    Err(no_such_order())
                }
                None => {
                    tracing::warn!(order = ?reference.as_str(), "the shop's lookup answer has no client_secret; the order is treated as not found");
                    Err(no_such_order())
                }
            },
            crate::orders::Looked::NotFound => Err(no_such_order()),
            crate::orders::Looked::Unavailable(why) => Err(lookup_failed(reference, &why)),
        };
    }
    match state.orders.order(reference).await {
        Ok(Some(o)) => match o.client_secret.as_deref() {
            Some(kept) if same_secret(kept, given) => Ok(None),
            Some(_) => Err(refuse(false)),
            None => {
                tracing::warn!(order = ?reference.as_str(), "the order source gave an order without a client secret; it is treated as not found");
                Err(refuse(false))
            }
        },
        Ok(None) => Err(refuse(false)),
        Err(why) => Err(source_failed(reference, &why)),
    }
}

fn source_failed(reference: &OrderRef, why: &str) -> ServiceError {
    tracing::warn!(order = ?reference.as_str(), why = %crate::core::printable::printable(&format!("{why:?}")), "the order source failed");
    ServiceError::new(
        Kind::Upstream,
        ErrorCode::OrderUnavailable,
        "the order source could not say what this order costs; try again",
    )
}

fn lookup_failed(reference: &OrderRef, why: &str) -> ServiceError {
    tracing::warn!(order = ?reference.as_str(), why = %crate::core::printable::printable(&format!("{why:?}")), "order lookup failed");
    ServiceError::new(
        Kind::Upstream,
        ErrorCode::OrderUnavailable,
        "the shop could not say what this order costs; try again",
    )
}

/// One order, one payment: every earlier attempt that could still be paid is closed at the gateway
/// first; an order already paid gets no new session.
async fn close_earlier_attempts(state: &AppState, order: &OrderRef) -> Result<(), ServiceError> {
    for earlier in state.store.by_order(order).await? {
        if earlier.session.status == Status::Pending {
            close_at_gateway(state, &earlier, Status::Cancelled).await;
        }
    }
    let paid = |r: &SessionRecord| r.session.status == Status::Succeeded;
    if state.store.by_order(order).await?.iter().any(paid) {
        return Err(ServiceError::new(
            Kind::Conflict,
            ErrorCode::OrderAlreadyPaid,
            "this order is already paid",
        ));
    }
    Ok(())
}

/// A session final at once (Pass2Pay paid or failed at create) moves on as a notification would,
/// events and webhooks included; a success said at create counts only once a signed query
/// confirms it, amount included (unconfirmed, the session stays pending for the notification and
/// reconciliation). Answers the session as the widget sees it.
async fn settle_at_create(
    state: &AppState,
    record: SessionRecord,
    settled: Option<Status>,
) -> Session {
    let settled = match settled {
        Some(Status::Succeeded) => match confirm_paid(state, &record).await {
            Some(true) => Some(Status::Succeeded),
            _ => {
                tracing::warn!(session = %record.session.id, "the gateway said paid at create but a query did not confirm it; the session stays pending");
                None
            }
        },
        other => other,
    };
    if let Some(status) = settled {
        if let Ok(Some((after, _))) = apply(state, &record.id(), status, "create").await {
            return present(after);
        }
    }
    present(record)
}

/// What an order costs and who the shopper is: the shop's own orders (PUT) first, then its lookup,
/// then whatever source the server was given.
async fn order_for(
    state: &AppState,
    reference: &OrderRef,
    looked: Option<PutOrder>,
) -> Result<(Order, Option<crate::core::domain::Customer>), ServiceError> {
    let mut stored = state.store.get_order(reference).await?;
    if stored.is_none() {
        stored = match looked {
            // Asked (and the secret matched) before the lock: stored now, under it.
            Some(body) => Some(store_looked(state, reference, body).await?),
            None => look_up(state, reference).await?,
        };
    }
    if let Some(o) = stored {
        let order = Order {
            reference: o.reference,
            amount: o.amount,
            description: o.description,
            client_secret: Some(o.client_secret),
        };
        return Ok((order, o.customer));
    }
    match state.orders.order(reference).await {
        Ok(Some(o)) => Ok((o, None)),
        Ok(None) => Err(no_such_order()),
        Err(why) => Err(source_failed(reference, &why)),
    }
}

/// Stores the order a lookup answered, as if PUT.
async fn store_looked(
    state: &AppState,
    reference: &OrderRef,
    body: PutOrder,
) -> Result<OrderRecord, ServiceError> {
    let record = body.into_record(reference, rfc3339(state.clock.now()));
    match state.store.put_order(record).await? {
        Put::Created(o) | Put::Updated(o) => Ok(o),
    }
}

/// Keeps a gateway order of unknown state (never shown) for reconciliation to close and ask
/// about; one that cannot be kept is closed at the gateway at once.
async fn keep_unsettled(state: &AppState, record: &SessionRecord, e: &GatewayError) {
    let id = record.id();
    match state.store.insert(record.clone(), Writer(())).await {
        Ok(()) => {
            count_session(&record.session, None);
            note_refusal(state, &id, e).await;
            if let Err(err) = state.store.request_close(&id, Status::Cancelled).await {
                tracing::error!(session = %id, error = %err, "store failure marking a close");
            }
        }
        Err(err) => {
            tracing::error!(session = %id, error = %err, "cannot keep a gateway order of unknown state; closing it at the gateway");
            close_at_gateway(state, record, Status::Cancelled).await;
        }
    }
}

/// A new session's record, still `pending`: the order's amount and description, what the gateway
/// made (its id, flow, expiry and action; none for an order of unknown state, never shown).
#[allow(clippy::too_many_arguments)]
fn new_record(
    id: &str,
    order: &Order,
    wallet: Wallet,
    flow: Flow,
    gateway: &str,
    now: time::OffsetDateTime,
    expires_at: time::OffsetDateTime,
    action: Option<wallet_checkout_protocol::Action>,
    gateway_ref: String,
    idempotency_key: Option<String>,
    return_url: Option<String>,
) -> SessionRecord {
    SessionRecord {
        session: Session {
            id: id.to_string(),
            order: order.reference.clone(),
            status: Status::Pending,
            wallet,
            flow,
            gateway: gateway.to_string(),
            amount: order.amount.clone(),
            description: order.description.clone(),
            created_at: rfc3339(now),
            expires_at: rfc3339(expires_at),
            action,
            failure: None,
        },
        gateway_ref,
        merchant_ref: id.to_string(),
        idempotency_key,
        return_url,
        close_as: None,
        gateway_result: None,
    }
}

/// A `return_url` is where the wallet sends the shopper after paying: only to an origin the shop
/// listed (`[checkout] return_origins`, default `public_url`'s), never to whoever made the session.
fn check_return_url(state: &AppState, url: &str) -> Result<String, ServiceError> {
    let parsed = url::Url::parse(url)
        .ok()
        .filter(|u| matches!(u.scheme(), "https" | "http") && url.len() <= MAX_RETURN_URL)
        .ok_or_else(|| ServiceError::invalid("return_url must be an absolute http(s) URL"))?;
    let origin = parsed.origin().ascii_serialization();
    let allowed = if state.return_origins.is_empty() {
        crate::urls::origin_of(&state.public_url)
            .map(|o| vec![o])
            .unwrap_or_default()
    } else {
        state.return_origins.clone()
    };
    if allowed.iter().any(|a| a.eq_ignore_ascii_case(&origin)) {
        Ok(parsed.to_string())
    } else {
        Err(ServiceError::invalid(
            "return_url's origin is not one of [checkout] return_origins",
        ))
    }
}

/// Keeps what a gateway said when it refused something about a session, for the shop's order view
/// (`gateway_result`); transport failures and timeouts are not the gateway's words and are not kept.
async fn note_refusal(state: &AppState, session: &SessionId, e: &GatewayError) {
    if let Some(said) = e.said() {
        note_said(state, session, &said).await;
    }
}

/// Keeps the gateway's own words about a session for the shop's order view (`gateway_result`).
async fn note_said(state: &AppState, session: &SessionId, said: &Said) {
    let result = crate::core::domain::GatewayResult {
        code: crate::core::printable::printable(&said.code),
        message: crate::core::printable::printable(&said.message),
    };
    if let Err(e) = state.store.note_gateway_result(session, result).await {
        tracing::error!(session = %session, error = %e, "cannot keep the gateway's answer");
    }
}

/// A gateway's expiry held between now and a day from now: a year-9999 or past time from a gateway
/// (or one in between) cannot keep a session pending forever or end it before it starts.
fn sane_expiry(now: time::OffsetDateTime, given: time::OffsetDateTime) -> time::OffsetDateTime {
    let latest = now + time::Duration::days(1);
    if given < now || given > latest {
        tracing::warn!(given = %rfc3339(given), "the gateway's expiry is out of range; held to a day at most");
    }
    given.clamp(now, latest)
}

/// The session by id, as the widget sees it.
pub async fn read(state: &AppState, id: &SessionId) -> Result<Session, ServiceError> {
    state
        .store
        .get(id)
        .await?
        .map(present)
        .ok_or_else(ServiceError::session_not_found)
}

/// The shopper gave up: a pending session is closed at the gateway (or found paid).
pub async fn cancel(state: &AppState, id: &SessionId) -> Result<Session, ServiceError> {
    let record = state
        .store
        .get(id)
        .await?
        .ok_or_else(ServiceError::session_not_found)?;
    if record.session.status == Status::Pending {
        close_at_gateway(state, &record, Status::Cancelled).await;
    }
    read(state, id).await
}

/// Closes a pending session's gateway order, then moves the session to what the gateway says:
/// `succeeded` if it was paid meanwhile, else `closed_as`. If the gateway cannot be reached the
/// session stays `pending` (its QR may still be paid) and is marked for reconciliation, which
/// retries the close until the gateway confirms it or the gateway's own expiry has passed.
async fn close_at_gateway(state: &AppState, record: &SessionRecord, closed_as: Status) {
    // What the close is for is written first, so a notification of the closed order that comes
    // before the answer ends the session the same way (`apply`), and whoever holds the session
    // (below) closes it as meant.
    if let Err(e) = state.store.request_close(&record.id(), closed_as).await {
        tracing::error!(session = %record.session.id, error = %e, "store failure marking a close");
    }
    // One close of a session at a time within this instance: a cancel while another close of it
    // runs here, or within `CLOSE_RETRY_MS` of one that failed, leaves it to that one (and to
    // reconciliation, which retries `close_as`) instead of calling the gateway again.
    let Some(_closing) = state.closing.begin(&record.id(), state.clock.now()) else {
        return;
    };
    // Reconciliation on every instance keeps off the session while this close runs: its lease,
    // under this instance's own name, taken best effort (a shopper's cancel never waits for a
    // query another instance is making: a close is idempotent at every gateway).
    let holder = format!("close:{}", state.instance);
    let now_ms = crate::core::clock::unix_ms(state.clock.now());
    let _ = state
        .store
        .lease(
            &record.id(),
            &holder,
            now_ms,
            now_ms.saturating_add(CLOSE_LEASE_MS),
        )
        .await;
    let outcome = match state.connectors.get(&record.session.gateway) {
        Some(connector) => connector.close(payment(record)).await,
        None => Ok(closed_as),
    };
    // The close has answered: reconciliation may take the session again at once; after a failed
    // one, only once `CLOSE_RETRY_MS` has passed (so cancels cannot hammer a failing gateway).
    let done_ms = crate::core::clock::unix_ms(state.clock.now());
    let free_at = match &outcome {
        Ok(_) => done_ms,
        Err(_) => {
            state.closing.failed(&record.id(), state.clock.now());
            done_ms.saturating_add(CLOSE_RETRY_MS)
        }
    };
    let _ = state
        .store
        .lease(&record.id(), &holder, done_ms, free_at)
        .await;
    let next = match outcome {
        // Found paid (AlphaPay `ORDER_PAID`): it counts only once a query confirms the amount.
        Ok(Status::Succeeded) => match confirm_paid(state, record).await {
            Some(true) => Status::Succeeded,
            Some(false) => closed_as,
            None => return,
        },
        Ok(Status::Failed) => Status::Failed,
        Ok(_) => closed_as,
        Err(e) => {
            note_refusal(state, &record.id(), &e).await;
            // `close_as` is on record: reconciliation retries the close.
            tracing::warn!(session = %record.session.id, error = %e, "could not close the gateway order; it stays pending and reconciliation retries the close");
            return;
        }
    };
    apply(state, &record.id(), next, "close").await.ok();
}

/// Applies a status learned from a gateway (notification, query, close) if it moves the session
/// forward, records the events it reports in the same transaction, and wakes the session's
/// waiters. The only caller of `Store::transition`. Answers the record after the change and whether
/// it changed; `Ok(None)` for an unknown session.
pub(crate) async fn apply(
    state: &AppState,
    id: &SessionId,
    status: Status,
    source: &'static str,
) -> Result<Option<(SessionRecord, bool)>, StoreError> {
    let Some(record) = state.store.get(id).await? else {
        return Ok(None);
    };
    // A close we asked for ends as we meant it, whoever tells of it first: the gateway's own
    // notification of the closed order (which says "closed", read as expired) may come before the
    // close call's answer.
    let status = match (status, record.close_as) {
        (Status::Expired | Status::Cancelled, Some(meant)) => meant,
        _ => status,
    };
    // A repeat (a duplicate notification, a query that finds what is known): nothing to write and
    // no order to read. Safe on a stale read too: a later status can become no more than this one.
    if !record.session.status.may_become(status) {
        return Ok(Some((record, false)));
    }
    let stamp = EventStamp::now(state, &record.order_ref()).await?;
    let events: EventsFor = Box::new(move |after, paid_before| {
        let data = stamp.data(after, None);
        let kinds: &[&'static str] = match after.session.status {
            Status::Succeeded if paid_before => {
                tracing::warn!(session = %after.session.id, order = %after.session.order, "ALERT: a second session of this order was paid (order.paid_twice); the shop decides what to refund");
                &["session.succeeded", "order.paid_twice"]
            }
            Status::Succeeded => &["session.succeeded"],
            Status::Failed => &["session.failed"],
            Status::Expired => &["session.expired"],
            Status::Cancelled => &["session.cancelled"],
            Status::Pending => &[],
        };
        kinds
            .iter()
            .map(|kind| stamp.event(kind, data.clone()))
            .collect()
    });
    let result = state.store.transition(id, status, events, Writer(())).await;
    match &result {
        Ok(Some((after, true))) => {
            tracing::info!(session = %id, status = status.as_str(), source, "session updated");
            // Ended once: a late payment of an expired session is a change, not a second end.
            if record.session.status == Status::Pending {
                count_session(&after.session, Some(after.session.status));
            }
            state.hub.changed(id);
            wake_webhooks(state);
        }
        Ok(_) => {}
        Err(e) => {
            tracing::error!(session = %id, error = %e, source, "store failure on a status change")
        }
    }
    result
}

/// Counts a session made (`ended: None`) or ended, by its wallet, gateway and flow.
fn count_session(s: &Session, ended: Option<Status>) {
    let m = crate::core::metrics::metrics();
    let (wallet, gateway, flow) = (
        s.wallet.as_str().to_string(),
        s.gateway.clone(),
        s.flow.as_str().to_string(),
    );
    match ended {
        None => m
            .sessions_created
            .get_or_create(&crate::core::metrics::SessionLabels {
                wallet,
                gateway,
                flow,
            })
            .inc(),
        Some(status) => m
            .sessions_ended
            .get_or_create(&crate::core::metrics::EndedLabels {
                wallet,
                gateway,
                flow,
                status: status.as_str().to_string(),
            })
            .inc(),
    };
}

/// `apply` for the integration tests (the `conformance` feature only; never in a release).
#[cfg(feature = "conformance")]
pub async fn apply_for_tests(
    state: &AppState,
    id: &SessionId,
    status: Status,
) -> Result<Option<(SessionRecord, bool)>, StoreError> {
    apply(state, id, status, "test").await
}

/// Every change that records an event rings the webhook worker (a final status always does; a
/// spurious ring only makes it look once more).
fn wake_webhooks(state: &AppState) {
    if let Some(hooks) = &state.webhooks {
        hooks.wake();
    }
}

/// What every event of one change shares: when, when to first deliver it, and its order's metadata.
struct EventStamp {
    created_at: String,
    /// `None` without `[webhooks]`: the event is only listed.
    first_attempt_ms: Option<i64>,
    metadata: std::collections::BTreeMap<String, String>,
}

impl EventStamp {
    async fn now(state: &AppState, order: &OrderRef) -> Result<EventStamp, StoreError> {
        Ok(EventStamp {
            created_at: rfc3339(state.clock.now()),
            first_attempt_ms: state
                .webhooks
                .is_some()
                .then(|| crate::core::clock::unix_ms(state.clock.now())),
            metadata: state
                .store
                .get_order(order)
                .await?
                .map(|o| o.metadata)
                .unwrap_or_default(),
        })
    }

    /// `{ order: { reference, metadata }, session, refund? }`: the whole current session, always.
    fn data(&self, session: &SessionRecord, refund: Option<&RefundRecord>) -> serde_json::Value {
        let mut data = serde_json::json!({
            "order": { "reference": session.session.order, "metadata": self.metadata },
            "session": present(session.clone()),
        });
        if let (Some(r), Some(map)) = (refund, data.as_object_mut()) {
            map.insert("refund".into(), serde_json::json!(r));
        }
        data
    }

    fn event(&self, kind: &'static str, data: serde_json::Value) -> NewEvent {
        NewEvent {
            kind,
            created_at: self.created_at.clone(),
            first_attempt_ms: self.first_attempt_ms,
            data,
        }
    }
}

/// The event a refund that ends sends (`refund.succeeded` or `refund.failed`).
async fn refund_event(
    state: &AppState,
    session: &SessionRecord,
    refund: &RefundRecord,
) -> Result<Option<NewEvent>, StoreError> {
    let kind = match refund.status {
        RefundStatus::Succeeded => "refund.succeeded",
        RefundStatus::Failed => "refund.failed",
        RefundStatus::Processing => return Ok(None),
    };
    let stamp = EventStamp::now(state, &session.order_ref()).await?;
    Ok(Some(stamp.event(kind, stamp.data(session, Some(refund)))))
}

/// What to tell a gateway about its notification.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Verdict {
    /// Verified and applied (or nothing to do): stop sending it.
    Accepted,
    /// Not verified, not ours, or not what we asked for: changes nothing.
    Refused,
    /// We could not record it: send it again later.
    Retry,
}

/// A gateway's notification: verified over the raw body, checked against the stored session
/// (gateway, payment id, amount and currency), then applied.
pub async fn notified(
    state: &AppState,
    connector: &dyn Connector,
    incoming: IncomingNotification<'_>,
) -> Verdict {
    let gateway = connector.name();
    let (verdict, reason) = judge(state, connector, incoming).await;
    let outcome = match verdict {
        Verdict::Accepted => "accepted",
        Verdict::Refused => "refused",
        Verdict::Retry => "retry",
    };
    crate::core::metrics::metrics().notification(gateway, outcome, reason);
    verdict
}

/// `notified`'s verdict and its reason (a metric's label: our own words only).
async fn judge(
    state: &AppState,
    connector: &dyn Connector,
    incoming: IncomingNotification<'_>,
) -> (Verdict, &'static str) {
    let gateway = connector.name();
    let notification = match connector.verify_notification(incoming) {
        Ok(n) => n,
        Err(e) => {
            // Only the reason is logged: never the body, a signature or a string-to-sign.
            tracing::warn!(gateway, reason = %e, "notification rejected");
            let reason = match e {
                NotifyError::Header(_) => "header",
                NotifyError::Signature => "signature",
                NotifyError::Stale => "stale",
                NotifyError::Body(_) => "body",
            };
            return (Verdict::Refused, reason);
        }
    };
    let (gateway_ref, merchant_ref, status, amount) = match notification {
        Notification::Payment {
            gateway_ref,
            merchant_ref,
            status,
            amount,
        } => (gateway_ref, merchant_ref, status, amount),
        Notification::Refund {
            gateway_ref,
            refund_ref,
            gateway_refund_ref,
            status,
            amount,
        } => {
            let pushed = PushedRefund {
                gateway,
                gateway_ref: &gateway_ref,
                refund_ref: &refund_ref,
                gateway_refund_ref: gateway_refund_ref.as_deref(),
                status,
                amount: amount.as_ref(),
            };
            return (refund_notified(state, pushed).await, "refund");
        }
        Notification::Other => return (Verdict::Accepted, "other"),
    };
    let record = match state.store.get(&SessionId::from(&merchant_ref)).await {
        // Ours by id, and the gateway's id as it answered the create; none kept (a counter's
        // create whose answer was lost): ours, signed by the gateway, is enough.
        Ok(Some(r))
            if r.session.gateway == gateway
                && (r.gateway_ref == gateway_ref || r.gateway_ref.is_empty()) =>
        {
            r
        }
        Ok(_) => {
            tracing::warn!(gateway, "notification for an unknown payment");
            return (Verdict::Refused, "unknown_payment");
        }
        Err(e) => {
            tracing::error!(error = %e, "store failure on notify");
            return (Verdict::Retry, "store");
        }
    };
    if record.session.amount != amount {
        // Never fulfil on a mismatch: this is exactly what a forged or confused notification looks like.
        tracing::error!(session = %record.session.id, expected = %record.session.amount, got = %amount, "notification amount mismatch");
        return (Verdict::Refused, "amount_mismatch");
    }
    match apply(state, &record.id(), status, "notification").await {
        Ok(Some(_)) => (Verdict::Accepted, "payment"),
        Ok(None) => (Verdict::Refused, "unknown_payment"),
        Err(_) => (Verdict::Retry, "store"),
    }
}

/// A `succeeded` from the gateway counts only for the amount we asked for.
fn trustworthy(record: &SessionRecord, observed: &Observed) -> bool {
    match (&observed.status, &observed.amount) {
        (Some(Status::Succeeded), Some(amount)) if *amount != record.session.amount => {
            tracing::error!(session = %record.session.id, expected = %record.session.amount, got = %amount, "ALERT: gateway reports a payment of another amount");
            false
        }
        // A success is believed only with its amount (an unsigned answer may have lost it on the way).
        (Some(Status::Succeeded), None) => {
            tracing::warn!(session = %record.session.id, "the gateway said paid without an amount; not believed, asked again later");
            false
        }
        _ => true,
    }
}

/// A close answered "paid": a query confirms it, amount included. `None`: the query failed or
/// found the order still open, so the close is tried again later.
async fn confirm_paid(state: &AppState, record: &SessionRecord) -> Option<bool> {
    let connector = state.connectors.get(&record.session.gateway)?;
    match connector.query(payment(record)).await {
        Ok(o) if !trustworthy(record, &o) => Some(false),
        Ok(o) => match o.status {
            Some(Status::Succeeded) => Some(true),
            Some(s) if s.is_final() => Some(false),
            // Still open at the gateway: nothing is decided; the close is retried later.
            _ => None,
        },
        Err(e) => {
            tracing::warn!(session = %record.session.id, error = %e, "query after close failed");
            None
        }
    }
}

/// Reconciliation's question: asks the gateway about a pending session and applies a final answer.
pub async fn query(state: &AppState, record: &SessionRecord) {
    let Some(connector) = state.connectors.get(&record.session.gateway) else {
        return;
    };
    match connector.query(payment(record)).await {
        Ok(observed) if trustworthy(record, &observed) => {
            if let Some(status) = observed.status.filter(|s| s.is_final()) {
                apply(state, &record.id(), status, "query").await.ok();
            }
        }
        Ok(_) => {}
        Err(e) => {
            note_refusal(state, &record.id(), &e).await;
            tracing::warn!(session = %record.session.id, error = %e, "reconciliation query failed")
        }
    }
}

/// At expiry, or for a close that failed before (`close_as`): closes the gateway order (a close
/// that finds it paid is confirmed by a query, amount included) and ends the session `close_as`,
/// else `expired`. `give_up`: the gateway stayed unreachable past expiry and the grace, so the
/// order can no longer be paid there either; end it here.
pub async fn expire(state: &AppState, record: &SessionRecord, give_up: bool) {
    let id = &record.id();
    let closed = record.close_as.unwrap_or(Status::Expired);
    let Some(connector) = state.connectors.get(&record.session.gateway) else {
        apply(state, id, closed, "expiry").await.ok();
        return;
    };
    let next = match connector.close(payment(record)).await {
        // Paid just before expiry: confirm the amount before fulfilling.
        Ok(Status::Succeeded) => match confirm_paid(state, record).await {
            Some(true) => Some((Status::Succeeded, "close found it paid")),
            Some(false) => Some((closed, "close")),
            // Past expiry and the grace: ended here; a payment that lands later still wins.
            None if give_up => {
                tracing::warn!(session = %id, "ALERT: the gateway said paid but no query confirmed it by the end of the grace; ended here, a later notification still moves it");
                Some((closed, "expiry without confirmation"))
            }
            None => None,
        },
        Ok(Status::Failed) => Some((Status::Failed, "close")),
        Ok(_) => Some((closed, "close")),
        Err(e) if give_up => {
            note_refusal(state, id, &e).await;
            tracing::warn!(session = %id, error = %e, "gateway order could not be closed; past its expiry, ending the session here");
            Some((closed, "expiry without gateway"))
        }
        Err(e) => {
            note_refusal(state, id, &e).await;
            tracing::warn!(session = %id, error = %e, "closing an expired order failed; will retry");
            None
        }
    };
    if let Some((status, source)) = next {
        apply(state, id, status, source).await.ok();
    }
}

/// Refunds part (`amount` in minor units) or all of a succeeded session, never beyond what was
/// paid. The refund is on record before the gateway is asked, so a lost answer loses nothing.
pub async fn refund(
    state: &AppState,
    id: &SessionId,
    amount: Option<u64>,
    reason: Option<String>,
    idempotency_key: Option<String>,
) -> Result<RefundRecord, ServiceError> {
    check_key(idempotency_key.as_deref())?;
    // One refund at a time per session, so two requests cannot both fit under the paid amount.
    let _guard = state
        .idempotency_locks
        .lock_for(&format!("refund:{id}"))
        .lock_owned()
        .await;
    if let Some(k) = &idempotency_key {
        if let Some(existing) = state.store.refund_by_key(k).await? {
            if existing.session_id != id.as_str()
                || amount.is_some_and(|a| a != existing.amount.value)
            {
                return Err(ServiceError::invalid(
                    "Idempotency-Key was already used for another refund",
                ));
            }
            return Ok(existing);
        }
    }
    let record = state
        .store
        .get(id)
        .await?
        .ok_or_else(ServiceError::session_not_found)?;
    if record.session.status != Status::Succeeded {
        return Err(ServiceError::new(
            Kind::Conflict,
            ErrorCode::InvalidRequest,
            "only a succeeded session can be refunded",
        ));
    }
    let paid = record.session.amount.value;
    let so_far: Vec<(u64, RefundStatus)> = state
        .store
        .refunds(id)
        .await?
        .iter()
        .map(|r| (r.amount.value, r.status))
        .collect();
    let value =
        amount.unwrap_or_else(|| crate::core::rules::refund_left(paid, so_far.iter().copied()));
    // Asked here before the gateway, and again by the store, atomically, as the refund is written.
    let over = |left: u64| {
        let money = |value| Money {
            value,
            currency: record.session.amount.currency.clone(),
        };
        ServiceError::invalid(if left == 0 {
            format!(
                "nothing is left to refund: the session's {} is refunded in full (or its refunds are still processing)",
                money(paid)
            )
        } else {
            format!(
                "a refund must be at least 1 and at most what is left to refund ({}), in minor units",
                money(left)
            )
        })
    };
    crate::core::rules::refund_fits(value, paid, so_far).map_err(over)?;
    let connector = state
        .connectors
        .get(&record.session.gateway)
        .ok_or_else(|| ServiceError::internal("the session's gateway is not configured"))?;
    let amount = Money {
        value,
        currency: record.session.amount.currency.clone(),
    };
    let reason = reason.unwrap_or_else(|| "Refund".into());
    let mut refund = RefundRecord {
        id: format!("rf_{}", random_id(20)),
        session_id: id.to_string(),
        amount: amount.clone(),
        reason: reason.chars().take(128).collect(),
        status: RefundStatus::Processing,
        gateway_ref: None,
        created_at: rfc3339(state.clock.now()),
        idempotency_key,
    };
    // Persist first: if the gateway call's outcome is lost, the refund is still on record.
    match state
        .store
        .insert_refund(refund.clone(), record.session.amount.value, Writer(()))
        .await
    {
        Ok(()) => {}
        Err(StoreError::OverRefund { left }) => return Err(over(left)),
        Err(e) => return Err(e.into()),
    }
    let outcome = connector
        .refund(
            payment(&record),
            RefundRequest {
                refund_ref: &refund.id,
                amount: &amount,
                reason: &refund.reason,
                notify_url: &format!("{}/notify/{}", state.public_url, record.session.gateway),
            },
        )
        .await;
    match outcome {
        Ok(o) => {
            if let Some(said) = &o.said {
                note_said(state, id, said).await;
            }
            refund.status = o.status;
            refund.gateway_ref = o.gateway_ref.clone();
            let event = refund_event(state, &record, &refund).await?;
            record_refund(
                state,
                &RefundId::from(&refund.id),
                o.status,
                o.gateway_ref.as_deref(),
                event,
            )
            .await?;
            tracing::info!(session = %id, refund = %refund.id, amount = %amount, status = o.status.as_str(), "refund made");
            if o.status == RefundStatus::Processing {
                let findable = state
                    .connectors
                    .get(&record.session.gateway)
                    .is_some_and(|c| c.finds_refunds_by_ours());
                if o.gateway_ref.is_none() && !findable {
                    tracing::error!(refund = %refund.id, session = %record.session.id, gateway = %record.session.gateway, "ALERT: the gateway answered this refund without its id and cannot be asked about it by ours; only its own notification can settle it now: if it stays processing, check it in the gateway's portal");
                }
                follow_refund(state, &refund);
            }
            Ok(refund)
        }
        // The gateway failed (or said something this build does not know): the refund may still
        // have been made, so it stays `processing` on record and is asked about; never `failed`,
        // which would invite a second one.
        Err(GatewayError::Declined {
            code,
            message,
            refusal: Refusal::Transient | Refusal::Unknown,
        }) => {
            note_said(state, id, &Said { code, message }).await;
            tracing::warn!(session = %id, refund = %refund.id, "the gateway failed on a refund; it stays processing and is asked about");
            follow_refund(state, &refund);
            Ok(refund)
        }
        Err(GatewayError::Declined { code, message, .. }) => {
            note_said(
                state,
                id,
                &Said {
                    code: code.clone(),
                    message: message.clone(),
                },
            )
            .await;
            refund.status = RefundStatus::Failed;
            let event = refund_event(state, &record, &refund).await?;
            record_refund(
                state,
                &RefundId::from(&refund.id),
                RefundStatus::Failed,
                None,
                event,
            )
            .await?;
            Err(ServiceError::new(
                Kind::Upstream,
                ErrorCode::GatewayError,
                format!(
                    "the gateway refused the refund: {}: {}",
                    crate::core::printable::printable(&code),
                    crate::core::printable::printable(&message)
                ),
            ))
        }
        // Timed out or unreadable: the refund may or may not exist; it stays `processing` on record
        // and is asked about soon.
        Err(e) => {
            follow_refund(state, &refund);
            Err(e.into())
        }
    }
}

/// A refund's new status through the store, which records its event in the same transaction; the
/// webhook worker is rung when there is one.
async fn record_refund(
    state: &AppState,
    id: &RefundId,
    status: RefundStatus,
    gateway_ref: Option<&str>,
    event: Option<NewEvent>,
) -> Result<(), StoreError> {
    let rings = event.is_some();
    state
        .store
        .update_refund(id, status, gateway_ref, event, Writer(()))
        .await?;
    if rings {
        wake_webhooks(state);
    }
    Ok(())
}

/// A session's refunds, oldest first.
pub async fn refunds(
    state: &AppState,
    session_id: &SessionId,
) -> Result<Vec<RefundRecord>, ServiceError> {
    state
        .store
        .get(session_id)
        .await?
        .ok_or_else(ServiceError::session_not_found)?;
    Ok(state.store.refunds(session_id).await?)
}

/// A refund by id; one still `processing` is asked about at the gateway first.
pub async fn refund_status(
    state: &AppState,
    refund_id: &RefundId,
) -> Result<RefundRecord, ServiceError> {
    let not_found =
        || ServiceError::new(Kind::NotFound, ErrorCode::InvalidRequest, "no such refund");
    let mut refund = state
        .store
        .get_refund(refund_id)
        .await?
        .ok_or_else(not_found)?;
    if refund.status == RefundStatus::Processing {
        if let Some(record) = state
            .store
            .get(&SessionId::from(&refund.session_id))
            .await?
        {
            if let Some(connector) = state.connectors.get(&record.session.gateway) {
                // Without the gateway's id (its answer was lost or named none) it is asked by ours.
                let asked = crate::gateway::RefundAsked {
                    refund_ref: &refund.id,
                    gateway_refund_ref: refund.gateway_ref.as_deref(),
                    amount: &refund.amount,
                };
                let status = connector.refund_status(payment(&record), asked).await?;
                refund.status = status;
                let event = refund_event(state, &record, &refund).await?;
                record_refund(state, &RefundId::from(&refund.id), status, None, event).await?;
            }
        }
    }
    Ok(refund)
}

/// When a refund just made is still `processing`, asks the gateway about it soon (after 0.5, 2 and
/// 5 s), so the shop hears `refund.succeeded` within a second or two rather than at the next
/// background round.
fn follow_refund(state: &AppState, refund: &RefundRecord) {
    let (state, id) = (state.clone(), RefundId::from(&refund.id));
    tokio::spawn(async move {
        for wait_ms in [500, 1_500, 3_000] {
            tokio::time::sleep(std::time::Duration::from_millis(wait_ms)).await;
            match refund_status(&state, &id).await {
                Ok(r) if r.status != RefundStatus::Processing => return,
                Ok(_) => {}
                Err(e) => {
                    tracing::debug!(refund = %id, code = e.code.as_str(), "refund status not known yet")
                }
            }
        }
    });
}

/// `PUT /admin/orders/{reference}`: stores or updates the shop's order. Answers whether it was new.
/// Under the order's lock, so a create cannot read an amount a concurrent PUT is changing.
pub async fn put_order(
    state: &AppState,
    reference: &OrderRef,
    body: PutOrder,
) -> Result<(bool, OrderView), ServiceError> {
    if !crate::orders::valid_reference(reference) {
        return Err(ServiceError::invalid(
            "the reference must match ^[A-Za-z0-9][A-Za-z0-9_.:-]{0,63}$",
        ));
    }
    if body.client_secret.is_some() {
        return Err(ServiceError::invalid(
            "client_secret is made by the server: read it from this answer",
        ));
    }
    body.check().map_err(ServiceError::invalid)?;
    let _order_guard = state
        .idempotency_locks
        .lock_for(&format!("order:{reference}"))
        .lock_owned()
        .await;
    let record = body.into_record(reference, rfc3339(state.clock.now()));
    let (created, stored) = match state.store.put_order(record).await {
        Ok(Put::Created(o)) => (true, o),
        Ok(Put::Updated(o)) => (false, o),
        Err(StoreError::Locked) => {
            return Err(ServiceError::new(
                Kind::Conflict,
                ErrorCode::OrderLocked,
                "the order has a session: its amount can no longer change (other fields can)",
            ))
        }
        Err(e) => return Err(e.into()),
    };
    tracing::info!(order = %stored.reference, amount = %stored.amount, created, "order put");
    Ok((created, view(state, stored).await?))
}

/// `GET /admin/orders/{reference}`.
/// The longest text the console's search takes (an order reference is at most 64, an id less).
const MAX_SEARCH: usize = 128;

/// The console's payments list (issue 32): sessions newest first, a page of 1 to 100 after
/// `query.before`, an exact search (trimmed; empty is none) and a status filter.
pub async fn payments(
    state: &AppState,
    mut query: crate::store::SessionQuery,
) -> Result<Vec<SessionRecord>, ServiceError> {
    if !(1..=100).contains(&query.limit) {
        return Err(ServiceError::invalid("limit must be 1 to 100"));
    }
    query.search = query
        .search
        .map(|s| s.trim().to_string())
        .filter(|s| !s.is_empty());
    if query.search.as_ref().is_some_and(|s| s.len() > MAX_SEARCH) {
        return Err(ServiceError::invalid(format!(
            "a search is at most {MAX_SEARCH} characters"
        )));
    }
    Ok(state.store.sessions_page(&query).await?)
}

/// One session as the console shows it: its events (the timeline), its refunds, what is left to
/// refund (`core::rules::refund_left`; 0 unless it succeeded).
#[derive(Debug, Clone)]
pub struct SessionDetail {
    pub record: SessionRecord,
    pub events: Vec<EventRecord>,
    pub refunds: Vec<RefundRecord>,
    pub left: u64,
}

/// An order as the console shows it: the stored order when the shop `PUT` it (an order from
/// elsewhere has only its sessions), and every session, oldest first.
#[derive(Debug, Clone)]
pub struct OrderDetail {
    pub order: Option<OrderRecord>,
    pub sessions: Vec<SessionDetail>,
}

/// The console's order page: `NotFound` when neither an order nor a session has the reference.
pub async fn order_detail(
    state: &AppState,
    reference: &OrderRef,
) -> Result<OrderDetail, ServiceError> {
    let order = state.store.get_order(reference).await?;
    let mut sessions = Vec::new();
    for record in state.store.by_order(reference).await? {
        let id = record.id();
        let refunds = state.store.refunds(&id).await?;
        let left = if record.session.status == Status::Succeeded {
            crate::core::rules::refund_left(
                record.session.amount.value,
                refunds.iter().map(|r| (r.amount.value, r.status)),
            )
        } else {
            0
        };
        sessions.push(SessionDetail {
            events: state.store.events_for_session(&id).await?,
            record,
            refunds,
            left,
        });
    }
    if order.is_none() && sessions.is_empty() {
        return Err(no_such_order());
    }
    Ok(OrderDetail { order, sessions })
}

/// One row of the CSV export: a session, when it was paid (its `session.succeeded` event), and
/// what its refunds took back (those `succeeded`).
#[derive(Debug, Clone)]
pub struct ExportRow {
    pub record: SessionRecord,
    pub paid_at: Option<String>,
    pub refunded: u64,
}

/// A page of the export: sessions created in `[from, until)`, newest first, after `before`.
pub async fn export_page(
    state: &AppState,
    from: String,
    until: String,
    before: Option<(String, String)>,
    limit: usize,
) -> Result<Vec<ExportRow>, ServiceError> {
    let q = crate::store::SessionQuery {
        from: Some(from),
        until: Some(until),
        before,
        limit,
        ..Default::default()
    };
    let records = state.store.sessions_page(&q).await?;
    let ids: Vec<SessionId> = records.iter().map(SessionRecord::id).collect();
    let mut extras = state.store.paid_and_refunded(&ids).await?;
    Ok(records
        .into_iter()
        .map(|record| {
            let found = extras.remove(&record.session.id).unwrap_or_default();
            ExportRow {
                record,
                paid_at: found.paid_at,
                refunded: found.refunded,
            }
        })
        .collect())
}

/// The console's webhooks list, newest first (`Store::events_page`).
pub async fn webhook_events(
    state: &AppState,
    before: Option<&str>,
    limit: usize,
) -> Result<Vec<EventRecord>, ServiceError> {
    Ok(state.store.events_page(before, limit).await?)
}

/// Seconds since the oldest event still to be delivered was recorded (0: none).
pub async fn oldest_undelivered_age(
    state: &AppState,
    now: time::OffsetDateTime,
) -> Result<i64, ServiceError> {
    let oldest = state.store.oldest_undelivered().await?;
    Ok(oldest
        .as_deref()
        .and_then(crate::core::clock::parse_rfc3339)
        .map_or(0, |t| (now - t).whole_seconds().max(0)))
}

/// "Retry now": the event's next attempt is now (its `webhook-id` kept), and the worker is rung;
/// `false` when it was delivered meanwhile or is unknown.
pub async fn retry_webhook(state: &AppState, id: &str) -> Result<bool, ServiceError> {
    // Without `[webhooks]` nothing would send it: nothing to schedule.
    let Some(hooks) = &state.webhooks else {
        return Ok(false);
    };
    let now = crate::core::clock::unix_ms(state.clock.now());
    let hold_until = now.saturating_add(i64::try_from(hooks.hold_ms()).unwrap_or(i64::MAX));
    let scheduled = state.store.retry_event(id, now, hold_until).await?;
    if scheduled {
        tracing::info!(event = %crate::core::printable::printable(id), "webhook retry asked in the console");
        wake_webhooks(state);
    }
    Ok(scheduled)
}

pub async fn order(state: &AppState, reference: &OrderRef) -> Result<OrderView, ServiceError> {
    let stored = state.store.get_order(reference).await?.ok_or_else(|| {
        ServiceError::new(Kind::NotFound, ErrorCode::OrderNotFound, "no such order")
    })?;
    view(state, stored).await
}

async fn view(state: &AppState, o: OrderRecord) -> Result<OrderView, ServiceError> {
    let sessions = state.store.by_order(&OrderRef::from(&o.reference)).await?;
    let mut refunded = 0u64;
    for s in &sessions {
        for r in state.store.refunds(&s.id()).await? {
            if r.status == RefundStatus::Succeeded {
                refunded = refunded.saturating_add(r.amount.value);
            }
        }
    }
    let paid: u64 = sessions
        .iter()
        .filter(|s| s.session.status == Status::Succeeded)
        .map(|s| s.session.amount.value)
        .fold(0, u64::saturating_add);
    Ok(OrderView {
        refunded: Money {
            value: refunded,
            currency: o.amount.currency.clone(),
        },
        reference: o.reference,
        amount: o.amount,
        description: o.description,
        customer: o.customer,
        metadata: o.metadata,
        client_secret: o.client_secret,
        // Refunded in full once the refunds that succeeded cover every paid session; partly: `paid`.
        status: match (paid, refunded) {
            (0, _) => "open",
            (p, r) if r >= p => "refunded",
            _ => "paid",
        },
        created_at: o.created_at,
        updated_at: o.updated_at,
        sessions: sessions
            .into_iter()
            .map(|r| SessionView {
                gateway_ref: r.gateway_ref.clone(),
                gateway_result: r.gateway_result.clone(),
                session: present(r),
            })
            .collect(),
    })
}

/// One event as `GET /admin/events` lists it.
#[derive(Debug, Clone, serde::Serialize)]
pub struct EventView {
    pub id: String,
    #[serde(rename = "type")]
    pub kind: String,
    pub created_at: String,
    pub data: serde_json::Value,
    pub delivered: bool,
    pub attempts: u32,
}

/// `GET /admin/events`'s answer.
#[derive(Debug, Clone, serde::Serialize)]
pub struct EventPage {
    pub events: Vec<EventView>,
    pub has_more: bool,
}

/// Events oldest first after `after` (the last id the shop has seen), at most `limit` (1 to 100).
pub async fn events(
    state: &AppState,
    after: Option<&str>,
    limit: usize,
) -> Result<EventPage, ServiceError> {
    if !(1..=100).contains(&limit) {
        return Err(ServiceError::invalid("limit must be 1 to 100"));
    }
    let mut page = state
        .store
        .events_after(after, limit + 1)
        .await?
        .ok_or_else(|| ServiceError::invalid("after names no event"))?;
    let has_more = page.len() > limit;
    page.truncate(limit);
    Ok(EventPage {
        events: page
            .into_iter()
            .map(|e| EventView {
                id: e.id,
                kind: e.kind,
                created_at: e.created_at,
                data: e.data,
                delivered: e.delivered,
                attempts: e.attempts,
            })
            .collect(),
        has_more,
    })
}

/// Asks the shop's backend about an order it did not PUT (`[orders] lookup_url`); an answered
/// order is stored as if PUT. `Ok(None)`: no lookup configured.
async fn look_up(
    state: &AppState,
    reference: &OrderRef,
) -> Result<Option<OrderRecord>, ServiceError> {
    let Some(lookup) = &state.lookup else {
        return Ok(None);
    };
    if !crate::orders::valid_reference(reference) {
        return Err(no_such_order());
    }
    match lookup
        .ask(reference, state.clock.now().unix_timestamp())
        .await
    {
        crate::orders::Looked::Found(body) => {
            Ok(Some(store_looked(state, reference, *body).await?))
        }
        crate::orders::Looked::NotFound => Err(no_such_order()),
        crate::orders::Looked::Unavailable(why) => Err(lookup_failed(reference, &why)),
    }
}

/// A refund's status a gateway pushed, verified.
struct PushedRefund<'a> {
    gateway: &'a str,
    gateway_ref: &'a str,
    refund_ref: &'a str,
    gateway_refund_ref: Option<&'a str>,
    status: RefundStatus,
    amount: Option<&'a Money>,
}

/// A refund's end pushed by its gateway: believed for our refund of that gateway's payment (its
/// gateway id and amount, where said, the refund's), recorded with its event if it ends it here. A
/// refund answered without the gateway's id is settled this way even where it cannot be asked about.
async fn refund_notified(state: &AppState, pushed: PushedRefund<'_>) -> Verdict {
    let refund = match state
        .store
        .get_refund(&RefundId::from(pushed.refund_ref))
        .await
    {
        Ok(Some(r)) => r,
        Ok(None) => {
            tracing::warn!(
                gateway = pushed.gateway,
                "refund notification for an unknown refund"
            );
            return Verdict::Refused;
        }
        Err(e) => {
            tracing::error!(error = %e, "store failure on a refund notification");
            return Verdict::Retry;
        }
    };
    let record = match state.store.get(&SessionId::from(&refund.session_id)).await {
        Ok(Some(r))
            if r.session.gateway == pushed.gateway && r.gateway_ref == pushed.gateway_ref =>
        {
            r
        }
        Ok(_) => {
            tracing::warn!(gateway = pushed.gateway, refund = %refund.id, "refund notification for another payment");
            return Verdict::Refused;
        }
        Err(e) => {
            tracing::error!(error = %e, "store failure on a refund notification");
            return Verdict::Retry;
        }
    };
    let other_id = matches!((refund.gateway_ref.as_deref(), pushed.gateway_refund_ref), (Some(kept), Some(said)) if kept != said);
    if other_id || pushed.amount.is_some_and(|a| *a != refund.amount) {
        tracing::error!(refund = %refund.id, "ALERT: a refund notification names another refund id or amount; not believed");
        return Verdict::Refused;
    }
    if refund.status != RefundStatus::Processing || pushed.status == RefundStatus::Processing {
        return Verdict::Accepted;
    }
    let mut ended = refund.clone();
    ended.status = pushed.status;
    let event = match refund_event(state, &record, &ended).await {
        Ok(e) => e,
        Err(_) => return Verdict::Retry,
    };
    match record_refund(
        state,
        &RefundId::from(&refund.id),
        pushed.status,
        pushed.gateway_refund_ref,
        event,
    )
    .await
    {
        Ok(()) => {
            tracing::info!(refund = %refund.id, status = pushed.status.as_str(), "refund ended by the gateway's notification");
            Verdict::Accepted
        }
        Err(_) => Verdict::Retry,
    }
}

/// Reconciliation's refunds: asks the gateway about each refund still `processing`; one that ended
/// is recorded with its event (`refund.succeeded` or `refund.failed`).
pub async fn settle_refunds(state: &AppState) {
    let waiting = match state.store.processing_refunds().await {
        Ok(w) => w,
        Err(e) => {
            tracing::error!(error = %e, "refund reconciliation cannot read the store");
            return;
        }
    };
    for refund in waiting {
        if let Err(e) = refund_status(state, &RefundId::from(&refund.id)).await {
            tracing::warn!(refund = %refund.id, code = e.code.as_str(), "refund status query failed; will retry");
        }
    }
}
