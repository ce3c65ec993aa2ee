//! The checkout state machine: one closed enum of states, `step(state, event) -> (state, effects)`.
//!
//! No IO and no clock: time arrives as `Event::Tick`, answers as events, and the runtime
//! (`web/runtime.rs`) carries out the effects. Components only render a `State` and send `Event`s.
//! The server's status decides every outcome; bridge callbacks and the countdown are only hints.

use wallet_checkout_protocol::{Action, ErrorCode, Flow, Session, Status, Wallet};

use crate::time::parse_rfc3339_ms;

/// Consecutive failed status checks tolerated (with backoff) before showing an error.
pub const WATCH_RETRY_BUDGET: u32 = 5;
/// Long-poll hold the widget asks for (`?wait=25`).
pub const LONG_POLL_SECS: u32 = 25;
/// A long poll answered unchanged sooner than this was not held: the server does not long-poll.
pub const NOT_HELD_MS: u32 = 1_000;
/// Plain polling: every 2 s for the first minute, then every 10 s.
pub const POLL_FAST_MS: u32 = 2_000;
pub const POLL_SLOW_MS: u32 = 10_000;
pub const POLL_FAST_FOR_MS: i64 = 60_000;

#[derive(Debug, Clone, PartialEq, Eq)]
pub enum State {
    /// The shopper picks a wallet.
    Choosing,
    /// A session is being created; `attempt` keys the idempotency of retries.
    Creating { wallet: Wallet, attempt: u32 },
    /// Back on the page after a hand-over (return from a redirect, a reload): reading the
    /// remembered session before showing anything else.
    Confirming { id: String, failures: u32 },
    /// Waiting for the shopper to pay.
    Pending(Pending),
    /// **Cancel** pressed: the server is closing the order.
    Cancelling(Pending),
    /// **Get a new code** pressed while the old session was still open: it is cancelled first.
    Renewing { old: Pending, attempt: u32 },
    /// A final status from the server.
    Done(Session),
    /// Something went wrong; `retry` says what **Retry** does.
    Error { failure: Failure, retry: Retry },
}

impl State {
    /// The name the merchant sees in `onStateChange` and DOM events.
    pub fn name(&self) -> &'static str {
        match self {
            State::Choosing => "choosing",
            State::Creating { .. } => "creating",
            State::Confirming { .. } => "confirming",
            State::Pending(_) => "pending",
            State::Cancelling(_) => "cancelling",
            State::Renewing { .. } => "renewing",
            State::Done(s) => s.status.as_str(),
            State::Error { .. } => "error",
        }
    }

    /// The session this state is about, if any.
    pub fn session(&self) -> Option<&Session> {
        match self {
            State::Pending(p) | State::Cancelling(p) | State::Renewing { old: p, .. } => {
                Some(&p.session)
            }
            State::Done(s) => Some(s),
            State::Error {
                retry: Retry::Watch(p) | Retry::Cancel(p),
                ..
            } => Some(&p.session),
            _ => None,
        }
    }
}

/// How the widget hears about status changes, best first.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Transport {
    /// `GET …/events` (Server-Sent Events): one connection for the whole wait.
    Events,
    /// `GET …?wait=25&status=pending`.
    LongPoll,
    /// `GET …` every 2 s, every 10 s after a minute.
    Poll,
}

/// What an in-app bridge's callback said. A hint: the server's status decides.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum BridgeOutcome {
    Ok,
    Cancelled,
    Failed,
    /// No bridge on this page (not really inside the app, or it never became ready).
    Unavailable,
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Pending {
    pub session: Session,
    /// `expires_at` in ms since the epoch, if it parsed.
    pub expires_at_ms: Option<i64>,
    /// The last time the runtime told us (ms since the epoch).
    pub now_ms: i64,
    /// When following started (polling slows down after a minute).
    pub since_ms: i64,
    /// Consecutive failed status checks.
    pub failures: u32,
    pub transport: Transport,
    /// The event stream has delivered at least once: the server has it, so a failure is an outage.
    pub events_work: bool,
    /// The tab is hidden: nothing is asked until it is visible again.
    pub paused: bool,
    /// The shopper came back from the wallet (redirect return): "Confirming payment…".
    pub returned: bool,
    /// The in-app bridge's last word.
    pub bridge: Option<BridgeOutcome>,
}

impl Pending {
    /// Whole seconds until expiry (rounded up), if the expiry is known.
    pub fn remaining_secs(&self) -> Option<u64> {
        self.expires_at_ms.map(|exp| {
            let ms = exp.saturating_sub(self.now_ms).max(0);
            (ms as u64).div_ceil(1000)
        })
    }

    /// The countdown reached zero; the server has the last word (a late payment still succeeds).
    pub fn expired_locally(&self) -> bool {
        self.remaining_secs() == Some(0)
    }

    fn watch(&self, delay_ms: u32) -> Effect {
        Effect::Watch {
            id: self.session.id.clone(),
            status: self.session.status,
            transport: self.transport,
            delay_ms,
        }
    }

    fn poll_delay(&self) -> u32 {
        if self.now_ms.saturating_sub(self.since_ms) < POLL_FAST_FOR_MS {
            POLL_FAST_MS
        } else {
            POLL_SLOW_MS
        }
    }
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum ErrorKind {
    /// No answer, or an answer that is not the contract's JSON.
    Network,
    /// The server answered with the contract's error shape.
    Api,
    /// The merchant's setup is wrong (unknown order, wallet not routed).
    Misconfigured,
    /// The device or page cannot do what is needed.
    Unsupported,
}

impl ErrorKind {
    pub fn as_str(self) -> &'static str {
        match self {
            ErrorKind::Network => "network",
            ErrorKind::Api => "api",
            ErrorKind::Misconfigured => "misconfigured",
            ErrorKind::Unsupported => "unsupported",
        }
    }
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Failure {
    pub kind: ErrorKind,
    pub code: Option<ErrorCode>,
    /// For developers (console, `onError`); people see translated text.
    pub detail: String,
}

impl Failure {
    pub fn network(detail: impl Into<String>) -> Failure {
        Failure {
            kind: ErrorKind::Network,
            code: None,
            detail: detail.into(),
        }
    }
    pub fn api(code: ErrorCode, detail: impl Into<String>) -> Failure {
        let kind = match code {
            ErrorCode::OrderNotFound
            | ErrorCode::WalletUnavailable
            | ErrorCode::FlowUnavailable => ErrorKind::Misconfigured,
            _ => ErrorKind::Api,
        };
        Failure {
            kind,
            code: Some(code),
            detail: detail.into(),
        }
    }
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Retry {
    /// Create again with the same attempt (same idempotency key: never a second gateway order).
    Create { wallet: Wallet, attempt: u32 },
    /// Resume following this session.
    Watch(Box<Pending>),
    /// Read the remembered session again.
    Resume(String),
    /// Ask the server to cancel again.
    Cancel(Box<Pending>),
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Event {
    WalletChosen(Wallet),
    SessionCreated(Session),
    CreateFailed(Failure),
    /// A session from the server: an event-stream message, a plain read, a cancel's answer.
    SessionUpdated(Session),
    /// A long poll or poll answer, with how long the server held it.
    PollAnswered {
        session: Session,
        held_ms: u32,
    },
    /// A status check, read or cancel failed.
    WatchFailed(Failure),
    Tick {
        now_ms: i64,
    },
    RetryPressed,
    /// **Get a new code** / **Try again**.
    NewCodePressed,
    CancelPressed,
    /// **Pay in WeChat/Alipay** again after a bridge was closed, or **Continue to …** (a redirect
    /// or a form) pressed.
    PayPressed,
    /// At start: a hand-over for this order was remembered (back from a redirect, or a reload).
    Resume {
        id: String,
    },
    /// The tab was hidden (`visibilitychange`).
    Hidden,
    /// The tab is visible again, or the page came back from the back/forward cache.
    Visible,
    BridgeAnswered(BridgeOutcome),
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Effect {
    /// `POST /sessions` with the idempotency key of (`wallet`, `attempt`).
    CreateSession {
        wallet: Wallet,
        flow: Flow,
        attempt: u32,
    },
    /// Follow the session after `delay_ms` (plus jitter): open the event stream, or ask once
    /// (long poll until it is no longer `status`, or a plain read).
    Watch {
        id: String,
        status: Status,
        transport: Transport,
        delay_ms: u32,
    },
    /// `GET /sessions/{id}` once, after `delay_ms`; the answer is `SessionUpdated`.
    Read { id: String, delay_ms: u32 },
    /// Close the stream, abort the request in flight, forget pending timers.
    StopWatching,
    /// `POST /sessions/{id}/cancel`; the answer is `SessionUpdated`.
    Cancel { id: String },
    /// Send the shopper to the wallet: navigate the top window, submit the form, or call the bridge.
    HandOver(Action),
    /// Keep the session id for this order (sessionStorage) so the page resumes after the redirect.
    Remember { id: String },
    /// Drop what `Remember` kept.
    Forget,
    /// Forget an in-app bridge still waiting for its app (its answer no longer means anything).
    Unbridge,
}

/// Backoff before the n-th retry of a failed status check: 1 s, 2 s, 4 s, … capped at 16 s.
pub fn backoff_ms(failures: u32) -> u32 {
    1000u32.saturating_mul(1 << failures.saturating_sub(1).min(4))
}

/// Up to 30% of `delay_ms`, picked by `entropy` (any random bits), in integers.
pub fn jitter_ms(delay_ms: u32, entropy: u64) -> u32 {
    let span = u64::from(delay_ms) * 3 / 10 + 1;
    (entropy % span) as u32
}

/// The machine's configuration: what it needs from the options.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Context {
    pub flow: Flow,
    pub now_ms: i64,
    /// A number the runtime never repeats within one widget; new attempts take it.
    pub serial: u32,
}

/// One step: the next state and what the runtime must do. Leaving `Pending` always ends what was
/// listening (the stream, a request in flight, a bridge still waiting for its app), whatever the
/// event: `StopWatching` and `Unbridge` come first.
pub fn step(state: State, event: Event, ctx: Context) -> (State, Vec<Effect>) {
    let was_pending = matches!(state, State::Pending(_));
    let (next, mut effects) = transition(state, event, ctx);
    if was_pending && !matches!(next, State::Pending(_)) {
        let at = match effects.first() {
            Some(Effect::StopWatching) => 1,
            _ => {
                effects.insert(0, Effect::StopWatching);
                1
            }
        };
        effects.insert(at, Effect::Unbridge);
    }
    (next, effects)
}

/// In-app bridges' answers, read into what they mean. `WeixinJSBridge` answers `err_msg` ending in
/// `:ok`, `:cancel` or anything else (failed).
pub fn wechat_answer(err_msg: &str) -> BridgeOutcome {
    if err_msg.ends_with(":ok") {
        BridgeOutcome::Ok
    } else if err_msg.ends_with(":cancel") {
        BridgeOutcome::Cancelled
    } else {
        BridgeOutcome::Failed
    }
}

/// `AlipayJSBridge`'s `resultCode`: 9000 paid; 8000 and 6004 processing (the server will tell, so
/// both are "ok, wait"); 6001 cancelled; anything else failed.
pub fn alipay_answer(result_code: &str) -> BridgeOutcome {
    match result_code {
        "9000" | "8000" | "6004" => BridgeOutcome::Ok,
        "6001" => BridgeOutcome::Cancelled,
        _ => BridgeOutcome::Failed,
    }
}

/// What the merchant hears after a step from `before` to `after`: whether the state changed name
/// (`statechange`), and the outcome's own notice (`success`, `failure`, `expire`, `cancel`,
/// `error`) when `after` is one and is new.
pub fn notices(before: Option<&State>, after: &State) -> (bool, Option<crate::seam::Notice>) {
    use crate::seam::Notice;
    if before.is_some_and(|b| b.name() == after.name()) {
        return (false, None);
    }
    let outcome = match after {
        State::Done(s) => match s.status {
            Status::Succeeded => Some(Notice::Success),
            Status::Failed => Some(Notice::Failure),
            Status::Expired => Some(Notice::Expire),
            Status::Cancelled => Some(Notice::Cancel),
            Status::Pending => None,
        },
        State::Error { .. } => Some(Notice::Error),
        _ => None,
    };
    (true, outcome)
}

fn transition(state: State, event: Event, ctx: Context) -> (State, Vec<Effect>) {
    use Event as E;
    use State as S;
    match (state, event) {
        (S::Choosing | S::Done(_) | S::Error { .. }, E::WalletChosen(wallet)) => {
            create(wallet, ctx.serial, ctx)
        }
        // Another wallet while waiting: a new session (the server closes the old one first).
        (S::Pending(p), E::WalletChosen(wallet)) if wallet != p.session.wallet => {
            let (s, mut effects) = create(wallet, ctx.serial, ctx);
            effects.insert(0, Effect::StopWatching);
            (s, effects)
        }

        (S::Creating { .. }, E::SessionCreated(session)) => {
            let (s, mut effects) = follow(session, ctx.now_ms, false);
            if let S::Pending(p) = &s {
                effects.splice(0..0, hand_over(&p.session));
            }
            (s, effects)
        }
        (S::Creating { wallet, attempt }, E::CreateFailed(failure)) => (
            S::Error {
                failure,
                retry: Retry::Create { wallet, attempt },
            },
            vec![],
        ),

        // Back from the wallet: read the remembered session, then carry on from what it says.
        (S::Choosing, E::Resume { id }) => {
            let effect = Effect::Read {
                id: id.clone(),
                delay_ms: 0,
            };
            (S::Confirming { id, failures: 0 }, vec![effect])
        }
        (S::Confirming { id, .. }, E::SessionUpdated(session)) if session.id == id => {
            follow(session, ctx.now_ms, true)
        }
        (S::Confirming { .. }, E::WatchFailed(f)) if f.code == Some(ErrorCode::SessionNotFound) => {
            (S::Choosing, vec![Effect::Forget])
        }
        (S::Confirming { id, failures }, E::WatchFailed(failure)) => {
            let failures = failures + 1;
            if failures > WATCH_RETRY_BUDGET {
                (
                    S::Error {
                        failure,
                        retry: Retry::Resume(id),
                    },
                    vec![],
                )
            } else {
                let effect = Effect::Read {
                    id: id.clone(),
                    delay_ms: backoff_ms(failures),
                };
                (S::Confirming { id, failures }, vec![effect])
            }
        }

        (S::Pending(p), E::SessionUpdated(session)) if session.id == p.session.id => {
            updated(p, session, None)
        }
        (S::Pending(p), E::PollAnswered { session, held_ms }) if session.id == p.session.id => {
            updated(p, session, Some(held_ms))
        }
        (S::Pending(mut p), E::WatchFailed(failure)) if !p.paused => {
            // No event stream here (the merchant's server may not have one): long poll instead,
            // at once and without counting it as a failure.
            if p.transport == Transport::Events && !p.events_work {
                p.transport = Transport::LongPoll;
                let effect = p.watch(0);
                return (S::Pending(p), vec![effect]);
            }
            p.failures += 1;
            // A stream that keeps dropping: long poll is as quick and survives such proxies.
            if p.transport == Transport::Events && p.failures > 2 {
                p.transport = Transport::LongPoll;
            }
            if p.failures > WATCH_RETRY_BUDGET {
                p.failures = 0;
                (
                    S::Error {
                        failure,
                        retry: Retry::Watch(Box::new(p)),
                    },
                    vec![],
                )
            } else {
                let effect = p.watch(backoff_ms(p.failures));
                (S::Pending(p), vec![effect])
            }
        }
        (S::Pending(mut p), E::Tick { now_ms }) => {
            p.now_ms = now_ms;
            (S::Pending(p), vec![])
        }
        (S::Pending(mut p), E::Hidden) if !p.paused => {
            p.paused = true;
            (S::Pending(p), vec![Effect::StopWatching])
        }
        // Visible again, or back from the back/forward cache: one check at once. After a
        // hand-over to the wallet's page this is the shopper coming back: "Confirming payment…".
        (S::Pending(mut p), E::Visible) => {
            p.paused = false;
            if matches!(
                p.session.action,
                Some(Action::Redirect { .. } | Action::Form { .. })
            ) {
                p.returned = true;
            }
            p.now_ms = ctx.now_ms;
            let effect = p.watch(0);
            (S::Pending(p), vec![effect])
        }
        (S::Pending(mut p), E::BridgeAnswered(outcome)) => {
            p.bridge = Some(outcome);
            (S::Pending(p), vec![])
        }
        (S::Pending(mut p), E::PayPressed) => match p.session.action.clone() {
            // Remembered since it was created: only the hand-over again.
            Some(action) => {
                p.bridge = None;
                (S::Pending(p), vec![Effect::HandOver(action)])
            }
            None => (S::Pending(p), vec![]),
        },
        (S::Pending(p), E::CancelPressed) => {
            let effect = Effect::Cancel {
                id: p.session.id.clone(),
            };
            (S::Cancelling(p), vec![Effect::StopWatching, effect])
        }
        (S::Pending(p), E::NewCodePressed) => {
            let effect = Effect::Cancel {
                id: p.session.id.clone(),
            };
            (
                S::Renewing {
                    old: p,
                    attempt: ctx.serial,
                },
                vec![Effect::StopWatching, effect],
            )
        }

        // The cancel's answer: `cancelled`, or `succeeded` if the payment won the race.
        (S::Cancelling(p), E::SessionUpdated(session)) if session.id == p.session.id => {
            follow(session, ctx.now_ms, p.returned)
        }
        (S::Cancelling(p), E::WatchFailed(failure)) => (
            S::Error {
                failure,
                retry: Retry::Cancel(Box::new(p)),
            },
            vec![],
        ),

        // The old session is closed: paid meanwhile → success; otherwise a new session.
        (S::Renewing { old, attempt }, E::SessionUpdated(session))
            if session.id == old.session.id =>
        {
            if session.status == Status::Succeeded {
                (S::Done(session), vec![Effect::Forget])
            } else {
                create(old.session.wallet, attempt, ctx)
            }
        }
        // The cancel failed: create anyway; the server closes the order's earlier sessions first
        // and answers `order_already_paid` if one was paid.
        (S::Renewing { old, attempt }, E::WatchFailed(_)) => {
            create(old.session.wallet, attempt, ctx)
        }

        // A new code or another try after a final status: the old session may still have been paid
        // (a late payment wins), so ask the server through cancel first, as for an open session.
        (S::Done(s), E::NewCodePressed) if s.status != Status::Succeeded => {
            let effect = Effect::Cancel { id: s.id.clone() };
            let old = follow_parts(s, ctx.now_ms);
            (
                S::Renewing {
                    old,
                    attempt: ctx.serial,
                },
                vec![effect],
            )
        }
        // A payment that lands after `expired`, `failed` or `cancelled` still wins.
        (S::Done(old), E::SessionUpdated(session))
            if session.id == old.id && old.status.may_become(session.status) =>
        {
            (S::Done(session), vec![Effect::Forget])
        }

        (S::Error { retry, .. }, E::RetryPressed) => match retry {
            Retry::Create { wallet, attempt } => create(wallet, attempt, ctx),
            Retry::Watch(mut p) => {
                p.now_ms = ctx.now_ms;
                let effect = p.watch(0);
                (S::Pending(*p), vec![effect])
            }
            Retry::Resume(id) => {
                let effect = Effect::Read {
                    id: id.clone(),
                    delay_ms: 0,
                };
                (S::Confirming { id, failures: 0 }, vec![effect])
            }
            Retry::Cancel(p) => {
                let effect = Effect::Cancel {
                    id: p.session.id.clone(),
                };
                (S::Cancelling(*p), vec![effect])
            }
        },

        // Anything else is stale (an answer for a session we left) or meaningless here.
        (state, _) => (state, vec![]),
    }
}

fn create(wallet: Wallet, attempt: u32, ctx: Context) -> (State, Vec<Effect>) {
    (
        State::Creating { wallet, attempt },
        vec![Effect::CreateSession {
            wallet,
            flow: ctx.flow,
            attempt,
        }],
    )
}

/// What starts the shopper paying for a fresh session: nothing for a QR (it is drawn), the wallet's
/// page or bridge otherwise. A page the shopper leaves for is remembered, so the return resumes.
/// Every session is remembered (a reload or the return from the wallet's page resumes it, and the
/// countdown keeps the server's expiry); the wallet's page or bridge is opened for all but a QR.
fn hand_over(session: &Session) -> Vec<Effect> {
    let remember = Effect::Remember {
        id: session.id.clone(),
    };
    match &session.action {
        Some(Action::Qr { .. } | Action::Wait) | None => vec![remember],
        Some(action) => vec![remember, Effect::HandOver(action.clone())],
    }
}

/// Starts following `session`, or ends in `Done` if it is final.
fn follow(session: Session, now_ms: i64, returned: bool) -> (State, Vec<Effect>) {
    if session.status.is_final() {
        return (State::Done(session), vec![Effect::Forget]);
    }
    let mut p = follow_parts(session, now_ms);
    p.returned = returned;
    let effect = p.watch(0);
    (State::Pending(p), vec![effect])
}

/// A session followed from `now_ms`: over the event stream first, nothing failed yet.
pub(crate) fn follow_parts(session: Session, now_ms: i64) -> Pending {
    let expires_at_ms = parse_rfc3339_ms(&session.expires_at);
    Pending {
        session,
        expires_at_ms,
        now_ms,
        since_ms: now_ms,
        failures: 0,
        transport: Transport::Events,
        events_work: false,
        paused: false,
        returned: false,
        bridge: None,
    }
}

/// A status answer while pending: final → done; unchanged → keep listening (the stream stays
/// open; a poll asks again, and a long poll that was not held means the server only polls).
fn updated(mut p: Pending, session: Session, held_ms: Option<u32>) -> (State, Vec<Effect>) {
    if session.status.is_final() {
        return (State::Done(session), vec![Effect::Forget]);
    }
    // A poll answer ends a run of failures; a stream that delivers one snapshot and drops again
    // keeps counting (see `WatchFailed`), so it cannot reconnect every second for ever.
    if held_ms.is_some() {
        p.failures = 0;
    }
    // A pending answer without an action (a merchant's server may leave it out) keeps the old one.
    let action = session.action.clone().or(p.session.action.take());
    p.session = Session { action, ..session };
    let Some(held_ms) = held_ms else {
        p.events_work = true;
        return (State::Pending(p), vec![]);
    };
    if p.paused {
        return (State::Pending(p), vec![]);
    }
    let near_expiry = p.remaining_secs().is_some_and(|s| s <= 2);
    if p.transport == Transport::LongPoll && held_ms < NOT_HELD_MS && !near_expiry {
        p.transport = Transport::Poll;
    }
    // Near or past the expiry a quick answer is expected; still never ask back to back.
    let delay = match p.transport {
        Transport::Poll => p.poll_delay(),
        _ if held_ms < NOT_HELD_MS => p.poll_delay(),
        _ => 0,
    };
    let effect = p.watch(delay);
    (State::Pending(p), vec![effect])
}

/// Sessions for the host tests of this module and of `screen`.
#[cfg(test)]
pub(crate) mod fixtures {
    use wallet_checkout_protocol::{Action, Flow, Money, Session, Status, Wallet};

    /// A 12.34 CAD session created at 2023-11-14T22:13:20Z that expires five minutes later; a final
    /// status carries no action.
    pub fn session(id: &str, wallet: Wallet, status: Status, action: Option<Action>) -> Session {
        Session {
            id: id.into(),
            order: "A1".into(),
            status,
            wallet,
            flow: Flow::Qr,
            gateway: "g".into(),
            amount: Money::new(1234, "CAD").expect("valid"),
            description: "Tea".into(),
            created_at: "2023-11-14T22:13:20Z".into(),
            expires_at: "2023-11-14T22:18:20Z".into(),
            action: if status.is_final() { None } else { action },
            failure: None,
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use wallet_checkout_protocol::WechatJsapiParams;

    /// 2023-11-14T22:13:20Z, the sessions' `created_at`; they expire 300 s later.
    const T0: i64 = 1_700_000_000_000;

    fn ctx(now_ms: i64) -> Context {
        Context {
            flow: Flow::Qr,
            now_ms,
            serial: 7,
        }
    }

    fn qr() -> Action {
        Action::Qr {
            content: Some("https://x".into()),
            matrix: None,
            image: None,
            url: None,
        }
    }

    fn redirect() -> Action {
        Action::Redirect {
            url: "https://pay.example/h5".into(),
        }
    }

    fn wechat() -> Action {
        Action::WechatJsapi {
            params: WechatJsapiParams {
                app_id: "wx1".into(),
                time_stamp: "1".into(),
                nonce_str: "n".into(),
                package: "prepay_id=P1".into(),
                sign_type: "RSA".into(),
                pay_sign: "s".into(),
            },
        }
    }

    fn with(id: &str, status: Status, action: Option<Action>) -> Session {
        fixtures::session(id, Wallet::Alipay, status, action)
    }

    fn s(status: Status) -> Session {
        with("cs_1", status, Some(qr()))
    }

    fn other(status: Status) -> Session {
        with("cs_2", status, Some(qr()))
    }

    /// Following `cs_1` over the event stream, as right after it was created.
    fn pending() -> State {
        follow(s(Status::Pending), T0, false).0
    }

    fn pending_with(adjust: impl FnOnce(&mut Pending)) -> State {
        match pending() {
            State::Pending(mut p) => {
                adjust(&mut p);
                State::Pending(p)
            }
            other => other,
        }
    }

    fn done(status: Status) -> State {
        State::Done(s(status))
    }

    fn polled(status: Status, held_ms: u32) -> Event {
        Event::PollAnswered {
            session: s(status),
            held_ms,
        }
    }

    fn net() -> Event {
        Event::WatchFailed(Failure::network("down"))
    }

    /// Effects in a short form a table can hold.
    fn short(e: &Effect) -> String {
        match e {
            Effect::CreateSession {
                wallet, attempt, ..
            } => format!("create {} {attempt}", wallet.as_str()),
            Effect::Watch {
                id,
                transport,
                delay_ms,
                ..
            } => format!("watch {id} {transport:?} {delay_ms}"),
            Effect::Read { id, delay_ms } => format!("read {id} {delay_ms}"),
            Effect::StopWatching => "stop".into(),
            Effect::Cancel { id } => format!("cancel {id}"),
            Effect::HandOver(a) => match a {
                Action::Qr { .. } => "handover qr",
                Action::Redirect { .. } => "handover redirect",
                Action::Form { .. } => "handover form",
                Action::WechatJsapi { .. } => "handover wechat",
                Action::AlipayJsapi { .. } => "handover alipay",
                Action::Wait => "handover wait",
            }
            .into(),
            Effect::Remember { id } => format!("remember {id}"),
            Effect::Forget => "forget".into(),
            Effect::Unbridge => "unbridge".into(),
        }
    }

    #[test]
    fn bridge_answers_mean_paid_waiting_cancelled_or_failed() {
        for (err_msg, want) in [
            ("get_brand_wcpay_request:ok", BridgeOutcome::Ok),
            ("get_brand_wcpay_request:cancel", BridgeOutcome::Cancelled),
            ("get_brand_wcpay_request:fail", BridgeOutcome::Failed),
            ("", BridgeOutcome::Failed),
            ("ok", BridgeOutcome::Failed),
        ] {
            assert_eq!(wechat_answer(err_msg), want, "{err_msg:?}");
        }
        for (code, want) in [
            ("9000", BridgeOutcome::Ok),
            ("8000", BridgeOutcome::Ok),
            ("6004", BridgeOutcome::Ok),
            ("6001", BridgeOutcome::Cancelled),
            ("4000", BridgeOutcome::Failed),
            ("", BridgeOutcome::Failed),
            ("\"9000\"", BridgeOutcome::Failed),
        ] {
            assert_eq!(alipay_answer(code), want, "{code:?}");
        }
    }

    #[test]
    fn the_merchant_hears_each_new_state_and_each_outcome_once() {
        use crate::seam::Notice;
        let error = State::Error {
            failure: Failure::network("down"),
            retry: Retry::Create {
                wallet: Wallet::Alipay,
                attempt: 1,
            },
        };
        type Case = (Option<State>, State, (bool, Option<Notice>));
        let cases: Vec<Case> = vec![
            (None, State::Choosing, (true, None)),
            (Some(State::Choosing), State::Choosing, (false, None)),
            (Some(pending()), pending(), (false, None)),
            (Some(State::Choosing), pending(), (true, None)),
            (
                Some(pending()),
                done(Status::Succeeded),
                (true, Some(Notice::Success)),
            ),
            (
                Some(pending()),
                done(Status::Failed),
                (true, Some(Notice::Failure)),
            ),
            (
                Some(pending()),
                done(Status::Expired),
                (true, Some(Notice::Expire)),
            ),
            (
                Some(pending()),
                done(Status::Cancelled),
                (true, Some(Notice::Cancel)),
            ),
            (
                Some(State::Choosing),
                error.clone(),
                (true, Some(Notice::Error)),
            ),
            (Some(error.clone()), error, (false, None)),
            (
                Some(done(Status::Succeeded)),
                done(Status::Succeeded),
                (false, None),
            ),
        ];
        for (before, after, want) in cases {
            assert_eq!(
                notices(before.as_ref(), &after),
                want,
                "{:?} → {}",
                before.as_ref().map(State::name),
                after.name()
            );
        }
    }

    #[test]
    fn leaving_pending_always_stops_watching_and_forgets_the_bridge_first() {
        let (next, effects) = step(
            pending(),
            Event::SessionUpdated(s(Status::Succeeded)),
            ctx(T0),
        );
        assert_eq!(next.name(), "succeeded");
        let shown: Vec<String> = effects.iter().map(short).collect();
        assert_eq!(&shown[..2], ["stop", "unbridge"], "{shown:?}");
        assert_eq!(
            shown.iter().filter(|e| *e == "stop").count(),
            1,
            "stopped once: {shown:?}"
        );
        // Another wallet while pending: the transition's own stop comes first, once.
        let (next, effects) = step(pending(), Event::WalletChosen(Wallet::WechatPay), ctx(T0));
        assert_eq!(next.name(), "creating");
        let shown: Vec<String> = effects.iter().map(short).collect();
        assert_eq!(&shown[..2], ["stop", "unbridge"], "{shown:?}");
        assert_eq!(
            shown.iter().filter(|e| *e == "stop").count(),
            1,
            "{shown:?}"
        );
        // Staying pending: nothing is stopped.
        let (next, effects) = step(pending(), Event::Tick { now_ms: T0 + 1000 }, ctx(T0 + 1000));
        assert_eq!(next.name(), "pending");
        assert!(!effects.iter().any(|e| matches!(e, Effect::Unbridge)));
    }

    struct Case {
        name: &'static str,
        from: State,
        events: Vec<Event>,
        /// `State::name()` at the end, and for `Done` the session it ended with.
        want: &'static str,
        effects: &'static [&'static str],
    }

    fn case(
        name: &'static str,
        from: State,
        events: Vec<Event>,
        want: &'static str,
        effects: &'static [&'static str],
    ) -> Case {
        Case {
            name,
            from,
            events,
            want,
            effects,
        }
    }

    fn run(from: State, events: Vec<Event>) -> (State, Vec<String>) {
        let mut state = from;
        let mut all = vec![];
        for (i, e) in events.into_iter().enumerate() {
            // The fake clock: one second per event.
            let (next, effects) = step(state, e, ctx(T0 + 1000 * i as i64));
            all.extend(effects.iter().map(short));
            state = next;
        }
        (state, all)
    }

    #[test]
    fn every_transition() {
        use Event as E;
        use Status::*;
        let cases = vec![
            case(
                "choose → create",
                State::Choosing,
                vec![E::WalletChosen(Wallet::Alipay)],
                "creating",
                &["create alipay 7"],
            ),
            case(
                "created QR → follow over the event stream",
                State::Creating {
                    wallet: Wallet::Alipay,
                    attempt: 7,
                },
                vec![E::SessionCreated(s(Pending))],
                "pending",
                &["remember cs_1", "watch cs_1 Events 0"],
            ),
            case(
                "created redirect → remember, hand over, follow",
                State::Creating {
                    wallet: Wallet::Alipay,
                    attempt: 7,
                },
                vec![E::SessionCreated(with("cs_1", Pending, Some(redirect())))],
                "pending",
                &["remember cs_1", "handover redirect", "watch cs_1 Events 0"],
            ),
            case(
                "created wechat jsapi → remember, call the bridge",
                State::Creating {
                    wallet: Wallet::WechatPay,
                    attempt: 7,
                },
                vec![E::SessionCreated(with("cs_1", Pending, Some(wechat())))],
                "pending",
                &["remember cs_1", "handover wechat", "watch cs_1 Events 0"],
            ),
            case(
                "created already final → done",
                State::Creating {
                    wallet: Wallet::Alipay,
                    attempt: 7,
                },
                vec![E::SessionCreated(s(Succeeded))],
                "succeeded",
                &["forget"],
            ),
            case(
                "create fails → error",
                State::Creating {
                    wallet: Wallet::Alipay,
                    attempt: 7,
                },
                vec![E::CreateFailed(Failure::network("x"))],
                "error",
                &[],
            ),
            case(
                "create fails, retry → same attempt",
                State::Creating {
                    wallet: Wallet::Alipay,
                    attempt: 3,
                },
                vec![E::CreateFailed(Failure::network("x")), E::RetryPressed],
                "creating",
                &["create alipay 3"],
            ),
            case(
                "stream says pending → keep listening",
                pending(),
                vec![E::SessionUpdated(s(Pending))],
                "pending",
                &[],
            ),
            case(
                "stream says succeeded → done",
                pending(),
                vec![E::SessionUpdated(s(Succeeded))],
                "succeeded",
                &["stop", "unbridge", "forget"],
            ),
            case(
                "duplicate success → still one outcome",
                pending(),
                vec![
                    E::SessionUpdated(s(Succeeded)),
                    E::SessionUpdated(s(Succeeded)),
                ],
                "succeeded",
                &["stop", "unbridge", "forget"],
            ),
            case(
                "out of order: pending after succeeded is ignored",
                pending(),
                vec![
                    E::SessionUpdated(s(Succeeded)),
                    E::SessionUpdated(s(Pending)),
                ],
                "succeeded",
                &["stop", "unbridge", "forget"],
            ),
            case(
                "another session's answer is ignored",
                pending(),
                vec![E::SessionUpdated(other(Succeeded))],
                "pending",
                &[],
            ),
            case(
                "no event stream → long poll at once, not a failure",
                pending(),
                vec![net()],
                "pending",
                &["watch cs_1 LongPoll 0"],
            ),
            case(
                "stream worked, then fails → backoff on the stream",
                pending(),
                vec![E::SessionUpdated(s(Pending)), net()],
                "pending",
                &["watch cs_1 Events 1000"],
            ),
            case(
                "long poll held and unchanged → ask again at once",
                pending_with(|p| p.transport = Transport::LongPoll),
                vec![polled(Pending, 25_000)],
                "pending",
                &["watch cs_1 LongPoll 0"],
            ),
            case(
                "long poll not held → plain polling every 2 s",
                pending_with(|p| p.transport = Transport::LongPoll),
                vec![polled(Pending, 40)],
                "pending",
                &["watch cs_1 Poll 2000"],
            ),
            case(
                "polling slows to 10 s after a minute",
                pending_with(|p| {
                    p.transport = Transport::Poll;
                    p.since_ms = T0 - 61_000;
                }),
                vec![polled(Pending, 40)],
                "pending",
                &["watch cs_1 Poll 10000"],
            ),
            case(
                "poll answer final → done",
                pending_with(|p| p.transport = Transport::Poll),
                vec![polled(Failed, 5)],
                "failed",
                &["stop", "unbridge", "forget"],
            ),
            case(
                "error budget exhausted → error with retry",
                pending_with(|p| {
                    p.transport = Transport::LongPoll;
                }),
                vec![net(), net(), net(), net(), net(), net()],
                "error",
                &[
                    "watch cs_1 LongPoll 1000",
                    "watch cs_1 LongPoll 2000",
                    "watch cs_1 LongPoll 4000",
                    "watch cs_1 LongPoll 8000",
                    "watch cs_1 LongPoll 16000",
                    "stop",
                    "unbridge",
                ],
            ),
            case(
                "retry after the budget → follow again",
                pending_with(|p| {
                    p.transport = Transport::LongPoll;
                }),
                vec![net(), net(), net(), net(), net(), net(), E::RetryPressed],
                "pending",
                &[
                    "watch cs_1 LongPoll 1000",
                    "watch cs_1 LongPoll 2000",
                    "watch cs_1 LongPoll 4000",
                    "watch cs_1 LongPoll 8000",
                    "watch cs_1 LongPoll 16000",
                    "stop",
                    "unbridge",
                    "watch cs_1 LongPoll 0",
                ],
            ),
            case(
                "an answer resets the failure count",
                pending_with(|p| {
                    p.transport = Transport::LongPoll;
                }),
                vec![net(), net(), polled(Pending, 25_000), net()],
                "pending",
                &[
                    "watch cs_1 LongPoll 1000",
                    "watch cs_1 LongPoll 2000",
                    "watch cs_1 LongPoll 0",
                    "watch cs_1 LongPoll 1000",
                ],
            ),
            case(
                "hidden → stop; visible → one check at once",
                pending(),
                vec![E::Hidden, E::Visible],
                "pending",
                &["stop", "watch cs_1 Events 0"],
            ),
            case(
                "hidden twice → stopped once",
                pending(),
                vec![E::Hidden, E::Hidden],
                "pending",
                &["stop"],
            ),
            case(
                "a late failure while hidden is ignored",
                pending(),
                vec![E::Hidden, net()],
                "pending",
                &["stop"],
            ),
            case(
                "back/forward cache return → check at once",
                pending(),
                vec![E::Visible],
                "pending",
                &["watch cs_1 Events 0"],
            ),
            case(
                "payment after local expiry still succeeds",
                pending(),
                vec![
                    E::Tick {
                        now_ms: T0 + 400_000,
                    },
                    E::SessionUpdated(s(Succeeded)),
                ],
                "succeeded",
                &["stop", "unbridge", "forget"],
            ),
            case(
                "server says expired → done expired",
                pending(),
                vec![E::SessionUpdated(s(Expired))],
                "expired",
                &["stop", "unbridge", "forget"],
            ),
            case(
                "payment landing after expired → success",
                done(Expired),
                vec![E::SessionUpdated(s(Succeeded))],
                "succeeded",
                &["forget"],
            ),
            case(
                "expired never goes back to pending",
                done(Expired),
                vec![E::SessionUpdated(s(Pending))],
                "expired",
                &[],
            ),
            case(
                "success never changes",
                done(Succeeded),
                vec![E::SessionUpdated(s(Failed))],
                "succeeded",
                &[],
            ),
            case(
                "new code after expired → ask the server, then a new session",
                done(Expired),
                vec![E::NewCodePressed, E::SessionUpdated(s(Expired))],
                "creating",
                &["cancel cs_1", "create alipay 7"],
            ),
            case(
                "new code after expired, but it was paid late → success",
                done(Expired),
                vec![E::NewCodePressed, E::SessionUpdated(s(Succeeded))],
                "succeeded",
                &["cancel cs_1", "forget"],
            ),
            case(
                "a stream that keeps dropping after a snapshot → long poll, not endless reconnects",
                pending(),
                vec![
                    E::SessionUpdated(s(Pending)),
                    net(),
                    E::SessionUpdated(s(Pending)),
                    net(),
                    E::SessionUpdated(s(Pending)),
                    net(),
                ],
                "pending",
                &[
                    "watch cs_1 Events 1000",
                    "watch cs_1 Events 2000",
                    "watch cs_1 LongPoll 4000",
                ],
            ),
            case(
                "past the expiry an unheld long poll still waits before asking again",
                pending_with(|p| {
                    p.transport = Transport::LongPoll;
                    p.now_ms = T0 + 400_000;
                }),
                vec![polled(Pending, 5)],
                "pending",
                &["watch cs_1 LongPoll 10000"],
            ),
            case(
                "no new code after success",
                done(Succeeded),
                vec![E::NewCodePressed],
                "succeeded",
                &[],
            ),
            case(
                "new code while open → cancel the old, then create",
                pending(),
                vec![E::NewCodePressed, E::SessionUpdated(s(Cancelled))],
                "creating",
                &["stop", "unbridge", "cancel cs_1", "create alipay 7"],
            ),
            case(
                "new code but the old was paid meanwhile → success, nothing created",
                pending(),
                vec![E::NewCodePressed, E::SessionUpdated(s(Succeeded))],
                "succeeded",
                &["stop", "unbridge", "cancel cs_1", "forget"],
            ),
            case(
                "new code, the cancel fails → create anyway (server closes the old)",
                pending(),
                vec![E::NewCodePressed, net()],
                "creating",
                &["stop", "unbridge", "cancel cs_1", "create alipay 7"],
            ),
            case(
                "cancel → cancelled",
                pending(),
                vec![E::CancelPressed, E::SessionUpdated(s(Cancelled))],
                "cancelled",
                &["stop", "unbridge", "cancel cs_1", "forget"],
            ),
            case(
                "cancel racing a payment → the payment wins",
                pending(),
                vec![E::CancelPressed, E::SessionUpdated(s(Succeeded))],
                "succeeded",
                &["stop", "unbridge", "cancel cs_1", "forget"],
            ),
            case(
                "a stream message racing the cancel is ignored until the answer",
                pending(),
                vec![
                    E::CancelPressed,
                    E::PollAnswered {
                        session: s(Pending),
                        held_ms: 1,
                    },
                ],
                "cancelling",
                &["stop", "unbridge", "cancel cs_1"],
            ),
            case(
                "cancel fails → error; retry cancels again",
                pending(),
                vec![E::CancelPressed, net(), E::RetryPressed],
                "cancelling",
                &["stop", "unbridge", "cancel cs_1", "cancel cs_1"],
            ),
            case(
                "resume after a redirect → read, then follow",
                State::Choosing,
                vec![
                    E::Resume { id: "cs_1".into() },
                    E::SessionUpdated(with("cs_1", Pending, Some(redirect()))),
                ],
                "pending",
                &["read cs_1 0", "watch cs_1 Events 0"],
            ),
            case(
                "resume finds it paid → success at once",
                State::Choosing,
                vec![
                    E::Resume { id: "cs_1".into() },
                    E::SessionUpdated(s(Succeeded)),
                ],
                "succeeded",
                &["read cs_1 0", "forget"],
            ),
            case(
                "resume of a session the server lost → choose again",
                State::Choosing,
                vec![
                    E::Resume { id: "cs_1".into() },
                    E::WatchFailed(Failure::api(ErrorCode::SessionNotFound, "x")),
                ],
                "choosing",
                &["read cs_1 0", "forget"],
            ),
            case(
                "resume while the server is down → retries, then an error",
                State::Choosing,
                vec![
                    E::Resume { id: "cs_1".into() },
                    net(),
                    net(),
                    net(),
                    net(),
                    net(),
                    net(),
                ],
                "error",
                &[
                    "read cs_1 0",
                    "read cs_1 1000",
                    "read cs_1 2000",
                    "read cs_1 4000",
                    "read cs_1 8000",
                    "read cs_1 16000",
                ],
            ),
            case(
                "resume retry → read again",
                State::Error {
                    failure: Failure::network("x"),
                    retry: Retry::Resume("cs_1".into()),
                },
                vec![E::RetryPressed],
                "confirming",
                &["read cs_1 0"],
            ),
            case(
                "bridge cancelled → pay again calls it again",
                follow(with("cs_1", Pending, Some(wechat())), T0, false).0,
                vec![E::BridgeAnswered(BridgeOutcome::Cancelled), E::PayPressed],
                "pending",
                &["handover wechat"],
            ),
            case(
                "bridge ok is a hint: still pending until the server says",
                follow(with("cs_1", Pending, Some(wechat())), T0, false).0,
                vec![E::BridgeAnswered(BridgeOutcome::Ok)],
                "pending",
                &[],
            ),
            case(
                "continue again on a redirect → hand over again",
                follow(with("cs_1", Pending, Some(redirect())), T0, false).0,
                vec![E::PayPressed],
                "pending",
                &["handover redirect"],
            ),
            case(
                "another wallet while waiting → stop and create",
                pending(),
                vec![E::WalletChosen(Wallet::WechatPay)],
                "creating",
                &["stop", "unbridge", "create wechat_pay 7"],
            ),
            case(
                "the same wallet while waiting → nothing",
                pending(),
                vec![E::WalletChosen(Wallet::Alipay)],
                "pending",
                &[],
            ),
            case(
                "a wallet click while creating → nothing",
                State::Creating {
                    wallet: Wallet::Alipay,
                    attempt: 7,
                },
                vec![E::WalletChosen(Wallet::WechatPay)],
                "creating",
                &[],
            ),
            case(
                "a stale create answer after leaving is ignored",
                State::Choosing,
                vec![E::SessionCreated(s(Pending))],
                "choosing",
                &[],
            ),
            case(
                "retry does nothing outside an error",
                pending(),
                vec![E::RetryPressed],
                "pending",
                &[],
            ),
        ];
        let mut failed = vec![];
        for c in cases {
            let (state, effects) = run(c.from, c.events);
            if state.name() != c.want || effects != c.effects {
                failed.push(format!(
                    "{}: got {} {:?}, want {} {:?}",
                    c.name,
                    state.name(),
                    effects,
                    c.want,
                    c.effects
                ));
            }
        }
        assert!(failed.is_empty(), "\n{}", failed.join("\n"));
    }

    #[test]
    fn the_returned_flag_and_bridge_hint_are_kept() {
        let (state, _) = run(
            State::Choosing,
            vec![
                Event::Resume { id: "cs_1".into() },
                Event::SessionUpdated(s(Status::Pending)),
            ],
        );
        assert!(matches!(state, State::Pending(ref p) if p.returned));
        let (state, _) = run(
            follow(with("cs_1", Status::Pending, Some(redirect())), T0, false).0,
            vec![Event::Hidden, Event::Visible],
        );
        assert!(matches!(state, State::Pending(ref p) if p.returned && !p.paused));
        let (state, _) = run(pending(), vec![Event::Hidden, Event::Visible]);
        assert!(
            matches!(state, State::Pending(ref p) if !p.returned),
            "a QR page was never left"
        );
        let (state, _) = run(
            follow(with("cs_1", Status::Pending, Some(wechat())), T0, false).0,
            vec![Event::BridgeAnswered(BridgeOutcome::Cancelled)],
        );
        assert!(
            matches!(state, State::Pending(ref p) if p.bridge == Some(BridgeOutcome::Cancelled))
        );
    }

    #[test]
    fn a_pending_answer_without_an_action_keeps_the_old_one() {
        let (state, _) = run(
            pending(),
            vec![Event::SessionUpdated(with("cs_1", Status::Pending, None))],
        );
        assert_eq!(state.session().and_then(|s| s.action.clone()), Some(qr()));
    }

    #[test]
    fn ticks_count_down_to_the_servers_expiry() {
        let s0 = pending();
        let State::Pending(p) = &s0 else {
            panic!("pending")
        };
        assert_eq!(p.remaining_secs(), Some(300));
        let (s1, _) = step(
            s0,
            Event::Tick {
                now_ms: T0 + 299_001,
            },
            ctx(T0),
        );
        let State::Pending(p) = &s1 else {
            panic!("pending")
        };
        assert_eq!(p.remaining_secs(), Some(1));
        assert!(!p.expired_locally());
        let (s2, effects) = step(
            s1,
            Event::Tick {
                now_ms: T0 + 400_000,
            },
            ctx(T0),
        );
        let State::Pending(p) = &s2 else {
            panic!("pending")
        };
        assert_eq!(p.remaining_secs(), Some(0));
        assert!(
            p.expired_locally(),
            "the countdown shows expiry; the server still decides"
        );
        assert!(effects.is_empty());
    }

    #[test]
    fn long_polls_stay_within_forty_requests_in_fifteen_minutes() {
        // A held long poll answers after 25 s: 15 minutes is 36 requests, and Adyen's 2 s/10 s makes ~114.
        let mut state = pending_with(|p| p.transport = Transport::LongPoll);
        let mut requests = 1;
        let mut now = T0;
        while now < T0 + 15 * 60_000 {
            now += i64::from(LONG_POLL_SECS) * 1000;
            let (next, effects) = step(
                state,
                polled(Status::Pending, LONG_POLL_SECS * 1000),
                ctx(now),
            );
            requests += effects.len();
            state = next;
        }
        assert!(requests <= 40, "{requests}");
    }

    #[test]
    fn backoff_doubles_to_a_cap_and_jitter_stays_within_thirty_percent() {
        assert_eq!(
            (1..=7).map(backoff_ms).collect::<Vec<_>>(),
            vec![1000, 2000, 4000, 8000, 16000, 16000, 16000]
        );
        for e in [0u64, 1, 299, 300, 301, u64::MAX] {
            assert!(jitter_ms(1000, e) <= 300, "{e}");
        }
        assert_eq!(jitter_ms(0, 12345), 0);
    }

    #[test]
    fn errors_say_whose_fault_they_are() {
        assert_eq!(
            Failure::api(ErrorCode::OrderNotFound, "").kind,
            ErrorKind::Misconfigured
        );
        assert_eq!(
            Failure::api(ErrorCode::GatewayError, "").kind,
            ErrorKind::Api
        );
        assert_eq!(Failure::network("").kind, ErrorKind::Network);
    }
}
