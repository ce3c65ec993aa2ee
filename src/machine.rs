//! The checkout state machine: one closed enum of states, `step(state, event) -> (state, effects)`.
//!
//! No IO and no clock: time arrives as `Event::Tick`, responses as events, and the runtime
//! (`runtime.rs`) carries out the effects. Components only render a `State` and send `Event`s.

use wallet_checkout_protocol::{ErrorCode, Flow, Session, Status, Wallet};

use crate::time::parse_rfc3339_ms;

/// Consecutive failed status checks tolerated (with backoff) before showing an error.
pub const WATCH_RETRY_BUDGET: u32 = 5;
/// Long-poll hold the widget asks for (`?wait=25`).
pub const LONG_POLL_SECS: u32 = 25;

#[derive(Debug, Clone, PartialEq, Eq)]
pub enum State {
    /// The shopper picks a wallet.
    Choosing,
    /// A session is being created; `attempt` keys the idempotency of retries.
    Creating { wallet: Wallet, attempt: u32 },
    /// Waiting for the shopper to pay.
    Pending(Pending),
    /// A final status from the server.
    Done(Session),
    /// Something went wrong; `retry` says what **Retry** does.
    Error { failure: Failure, retry: Retry },
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Pending {
    pub session: Session,
    /// `expires_at` in ms since the epoch, if it parsed.
    pub expires_at_ms: Option<i64>,
    /// The last time the runtime told us (ms since the epoch).
    pub now_ms: i64,
    /// Consecutive failed status checks.
    pub failures: u32,
}

impl Pending {
    /// Whole seconds until expiry (rounded up), if the expiry is known.
    pub fn remaining_secs(&self) -> Option<u64> {
        self.expires_at_ms.map(|exp| {
            let ms = exp.saturating_sub(self.now_ms).max(0);
            (ms as u64).div_ceil(1000)
        })
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
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Event {
    WalletChosen(Wallet),
    SessionCreated(Session),
    CreateFailed(Failure),
    SessionUpdated(Session),
    WatchFailed(Failure),
    Tick { now_ms: i64 },
    RetryPressed,
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Effect {
    /// `POST /sessions` with the idempotency key of (`wallet`, `attempt`).
    CreateSession {
        wallet: Wallet,
        flow: Flow,
        attempt: u32,
    },
    /// Ask for the session once it is no longer `status` (long poll), after `delay_ms` (plus jitter).
    Watch {
        id: String,
        status: Status,
        delay_ms: u32,
    },
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

pub fn step(state: State, event: Event, ctx: Context) -> (State, Vec<Effect>) {
    use Event as E;
    use State as S;
    match (state, event) {
        (S::Choosing | S::Done(_) | S::Error { .. }, E::WalletChosen(wallet)) => {
            create(wallet, ctx.serial, ctx)
        }
        // Another wallet while waiting: a new session (the old one simply expires at the gateway).
        (S::Pending(p), E::WalletChosen(wallet)) if wallet != p.session.wallet => {
            create(wallet, ctx.serial, ctx)
        }

        (S::Creating { .. }, E::SessionCreated(session)) => follow(session, ctx.now_ms),
        (S::Creating { wallet, attempt }, E::CreateFailed(failure)) => (
            S::Error {
                failure,
                retry: Retry::Create { wallet, attempt },
            },
            vec![],
        ),

        (S::Pending(p), E::SessionUpdated(session)) if session.id == p.session.id => {
            let now = p.now_ms;
            follow(session, now)
        }
        (S::Pending(mut p), E::WatchFailed(failure)) => {
            p.failures += 1;
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
                let effect = Effect::Watch {
                    id: p.session.id.clone(),
                    status: p.session.status,
                    delay_ms: backoff_ms(p.failures),
                };
                (S::Pending(p), vec![effect])
            }
        }
        (S::Pending(mut p), E::Tick { now_ms }) => {
            p.now_ms = now_ms;
            (S::Pending(p), vec![])
        }

        (S::Error { retry, .. }, E::RetryPressed) => match retry {
            Retry::Create { wallet, attempt } => create(wallet, attempt, ctx),
            Retry::Watch(p) => {
                let effect = Effect::Watch {
                    id: p.session.id.clone(),
                    status: p.session.status,
                    delay_ms: 0,
                };
                (S::Pending(*p), vec![effect])
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

fn follow(session: Session, now_ms: i64) -> (State, Vec<Effect>) {
    if session.status.is_final() {
        return (State::Done(session), vec![]);
    }
    let effect = Effect::Watch {
        id: session.id.clone(),
        status: session.status,
        delay_ms: 0,
    };
    let expires_at_ms = parse_rfc3339_ms(&session.expires_at);
    (
        State::Pending(Pending {
            session,
            expires_at_ms,
            now_ms,
            failures: 0,
        }),
        vec![effect],
    )
}

#[cfg(test)]
mod tests {
    use super::*;
    use wallet_checkout_protocol::{Action, Money};

    const CTX: Context = Context {
        flow: Flow::Qr,
        now_ms: 1_700_000_000_000,
        serial: 7,
    };

    fn session(status: Status) -> Session {
        Session {
            id: "cs_1".into(),
            order: "A1".into(),
            status,
            wallet: Wallet::Alipay,
            flow: Flow::Qr,
            gateway: "g".into(),
            amount: Money::new(1234, "CAD").expect("valid"),
            description: "Tea".into(),
            created_at: "2023-11-14T22:13:20Z".into(),
            expires_at: "2023-11-14T22:18:20Z".into(),
            action: Some(Action::Qr {
                content: "https://x".into(),
                image: None,
                url: None,
            }),
        }
    }

    /// Runs events from `state`, returning the final state and every effect.
    fn run(state: State, events: impl IntoIterator<Item = Event>) -> (State, Vec<Effect>) {
        let mut all = vec![];
        let mut s = state;
        for e in events {
            let (next, effects) = step(s, e, CTX);
            all.extend(effects);
            s = next;
        }
        (s, all)
    }

    #[test]
    fn choosing_a_wallet_creates_then_follows_the_session() {
        let (s, effects) = run(
            State::Choosing,
            [
                Event::WalletChosen(Wallet::Alipay),
                Event::SessionCreated(session(Status::Pending)),
            ],
        );
        assert!(matches!(s, State::Pending(ref p) if p.session.id == "cs_1"));
        assert_eq!(
            effects,
            vec![
                Effect::CreateSession {
                    wallet: Wallet::Alipay,
                    flow: Flow::Qr,
                    attempt: 7
                },
                Effect::Watch {
                    id: "cs_1".into(),
                    status: Status::Pending,
                    delay_ms: 0
                },
            ]
        );
    }

    #[test]
    fn a_final_status_ends_following() {
        let start = run(
            State::Choosing,
            [
                Event::WalletChosen(Wallet::Alipay),
                Event::SessionCreated(session(Status::Pending)),
            ],
        )
        .0;
        let (s, effects) = run(start, [Event::SessionUpdated(session(Status::Succeeded))]);
        assert_eq!(s, State::Done(session(Status::Succeeded)));
        assert!(effects.is_empty());
    }

    #[test]
    fn an_unchanged_long_poll_answer_polls_again() {
        let start = follow(session(Status::Pending), 0).0;
        let (_, effects) = run(start, [Event::SessionUpdated(session(Status::Pending))]);
        assert_eq!(
            effects,
            vec![Effect::Watch {
                id: "cs_1".into(),
                status: Status::Pending,
                delay_ms: 0
            }]
        );
    }

    #[test]
    fn answers_for_another_session_are_ignored() {
        let start = follow(session(Status::Pending), 0).0;
        let mut other = session(Status::Succeeded);
        other.id = "cs_other".into();
        let (s, effects) = run(start.clone(), [Event::SessionUpdated(other)]);
        assert_eq!((s, effects), (start, vec![]));
    }

    #[test]
    fn a_failed_create_retries_with_the_same_attempt() {
        let (s, _) = run(
            State::Choosing,
            [
                Event::WalletChosen(Wallet::Alipay),
                Event::CreateFailed(Failure::network("down")),
            ],
        );
        assert!(matches!(
            s,
            State::Error {
                retry: Retry::Create { attempt: 7, .. },
                ..
            }
        ));
        let (s, effects) = run(s, [Event::RetryPressed]);
        assert_eq!(
            s,
            State::Creating {
                wallet: Wallet::Alipay,
                attempt: 7
            }
        );
        assert_eq!(
            effects,
            vec![Effect::CreateSession {
                wallet: Wallet::Alipay,
                flow: Flow::Qr,
                attempt: 7
            }]
        );
    }

    #[test]
    fn status_check_failures_back_off_then_surface_as_an_error() {
        let mut s = follow(session(Status::Pending), 0).0;
        let mut delays = vec![];
        for _ in 0..WATCH_RETRY_BUDGET {
            let (next, effects) = step(s, Event::WatchFailed(Failure::network("x")), CTX);
            match effects.as_slice() {
                [Effect::Watch { delay_ms, .. }] => delays.push(*delay_ms),
                other => panic!("expected one watch, got {other:?}"),
            }
            s = next;
        }
        assert_eq!(delays, vec![1000, 2000, 4000, 8000, 16000]);
        let (s, effects) = step(s, Event::WatchFailed(Failure::network("x")), CTX);
        assert!(
            matches!(
                s,
                State::Error {
                    retry: Retry::Watch(_),
                    ..
                }
            ),
            "{s:?}"
        );
        assert!(effects.is_empty());
        let (s, effects) = step(s, Event::RetryPressed, CTX);
        assert!(matches!(s, State::Pending(ref p) if p.failures == 0));
        assert_eq!(effects.len(), 1);
    }

    #[test]
    fn ticks_count_down_to_the_servers_expiry() {
        let (s, _) = follow(session(Status::Pending), 1_700_000_000_000);
        let State::Pending(p) = s.clone() else {
            panic!("pending")
        };
        assert_eq!(p.remaining_secs(), Some(300));
        let (s, _) = step(
            s,
            Event::Tick {
                now_ms: 1_700_000_000_000 + 299_001,
            },
            CTX,
        );
        let State::Pending(p) = s.clone() else {
            panic!("pending")
        };
        assert_eq!(p.remaining_secs(), Some(1));
        let (s, _) = step(
            s,
            Event::Tick {
                now_ms: 1_700_000_400_000,
            },
            CTX,
        );
        let State::Pending(p) = s else {
            panic!("pending")
        };
        assert_eq!(p.remaining_secs(), Some(0));
    }

    #[test]
    fn a_new_code_after_expiry_is_a_new_session() {
        let (s, effects) = run(
            State::Done(session(Status::Expired)),
            [Event::WalletChosen(Wallet::Alipay)],
        );
        assert_eq!(
            s,
            State::Creating {
                wallet: Wallet::Alipay,
                attempt: 7
            }
        );
        assert_eq!(effects.len(), 1);
    }

    #[test]
    fn another_wallet_while_waiting_starts_over_and_the_same_one_is_ignored() {
        let start = follow(session(Status::Pending), 0).0;
        let (s, effects) = step(start.clone(), Event::WalletChosen(Wallet::Alipay), CTX);
        assert_eq!((s, effects), (start.clone(), vec![]));
        let (s, effects) = step(start, Event::WalletChosen(Wallet::WechatPay), CTX);
        assert_eq!(
            s,
            State::Creating {
                wallet: Wallet::WechatPay,
                attempt: 7
            }
        );
        assert_eq!(effects.len(), 1);
    }

    #[test]
    fn jitter_stays_within_thirty_percent() {
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
