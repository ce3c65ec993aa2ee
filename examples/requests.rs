//! Requests a widget makes while a shopper looks at a QR for 15 minutes without paying, per transport,
//! counted by running the widget's own state machine (`machine::step`) on a simulated clock.
//!
//! `cargo run --release --example requests` prints JSON; `cargo xtask bench requests` reports it.

use wallet_checkout::machine::{step, Context, Effect, Event, State, Transport, LONG_POLL_SECS};
use wallet_checkout_protocol::{Action, Flow, Money, Session, Status, Wallet};

const WAIT_MS: i64 = 15 * 60 * 1000;
const T0: i64 = 1_700_000_000_000;

fn session() -> Option<Session> {
    Some(Session {
        id: "cs_bench".into(),
        order: "B1".into(),
        status: Status::Pending,
        wallet: Wallet::Alipay,
        flow: Flow::Qr,
        gateway: "sandbox".into(),
        amount: Money::new(1234, "CAD").ok()?,
        description: "bench".into(),
        created_at: "2023-11-14T22:13:20Z".into(),
        // Long enough that the wait ends first (as with a 15-minute gateway expiry).
        expires_at: "2023-11-14T22:33:20Z".into(),
        action: Some(Action::Qr {
            content: Some("https://example.com/qr".into()),
            matrix: None,
            image: None,
            url: None,
        }),
        failure: None,
    })
}

/// Counts requests over a 15-minute wait when the server answers as `transport` does.
fn count(transport: Transport) -> Option<u32> {
    let ctx = |now_ms| Context {
        flow: Flow::Qr,
        now_ms,
        serial: 1,
    };
    let (mut state, mut effects) = step(
        State::Creating {
            wallet: Wallet::Alipay,
            attempt: 1,
        },
        Event::SessionCreated(session()?),
        ctx(T0),
    );
    let mut now = T0;
    let mut requests = 0u32;
    // The widget starts on the event stream; force the fallbacks as a server without them would.
    while now < T0 + WAIT_MS {
        let Some(Effect::Watch {
            transport: asked,
            delay_ms,
            ..
        }) = effects
            .iter()
            .find(|e| matches!(e, Effect::Watch { .. }))
            .cloned()
        else {
            break;
        };
        now += i64::from(delay_ms);
        if now >= T0 + WAIT_MS {
            break;
        }
        requests += 1;
        let event = match (asked, transport) {
            // One stream for the whole wait.
            (Transport::Events, Transport::Events) => return Some(requests),
            // No stream here: it fails at once.
            (Transport::Events, _) => {
                Event::WatchFailed(wallet_checkout::machine::Failure::network("no stream"))
            }
            (Transport::LongPoll, Transport::LongPoll) => {
                now += i64::from(LONG_POLL_SECS) * 1000;
                Event::PollAnswered {
                    session: session()?,
                    held_ms: LONG_POLL_SECS * 1000,
                }
            }
            // A server that ignores `?wait` answers at once.
            (_, _) => {
                now += 20;
                Event::PollAnswered {
                    session: session()?,
                    held_ms: 20,
                }
            }
        };
        let (next, next_effects) = step(state, Event::Tick { now_ms: now }, ctx(now));
        let (next, more) = step(next, event, ctx(now));
        state = next;
        effects = next_effects.into_iter().chain(more).collect();
    }
    Some(requests)
}

/// Adyen's QRLoader schedule: every 2 s for a minute, then every 10 s, each after the previous answer.
fn adyen() -> u32 {
    let mut now = 0i64;
    let mut n = 0;
    while now < WAIT_MS {
        n += 1;
        now += if now < 60_000 { 2_000 } else { 10_000 };
    }
    n
}

fn main() {
    let figure = |t| count(t).map_or("null".to_string(), |n| n.to_string());
    println!(
        "{{\"wait_minutes\":15,\"sse\":{},\"long_poll\":{},\"polling\":{},\"adyen_schedule\":{}}}",
        figure(Transport::Events),
        figure(Transport::LongPoll),
        figure(Transport::Poll),
        adyen()
    );
}
