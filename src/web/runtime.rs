//! The effect runtime: feeds events to `machine::step`, stores the state in a signal, and carries out effects
//! (requests, timers). Never two requests in flight: a new one aborts the previous one.

use std::cell::{Cell, RefCell};
use std::rc::Rc;

use leptos::prelude::*;
use wallet_checkout_protocol::{CreateSession, Flow};
use wasm_bindgen::prelude::*;
use wasm_bindgen::JsCast;
use web_sys::{AbortController, HtmlElement};

use super::net;
use super::options::Options;
use crate::device;
use crate::i18n::{texts, Locale, Texts};
use crate::machine::{self, Context, Effect, Event, Failure, State, LONG_POLL_SECS};

/// Give up on a request that has not answered in this long (the long poll adds its hold).
const REQUEST_TIMEOUT_MS: u32 = 20_000;

pub struct Runtime {
    pub options: Options,
    pub flow: Flow,
    pub locale: Locale,
    pub texts: &'static Texts,
    host: HtmlElement,
    state: Cell<Option<RwSignal<State>>>,
    alive: Cell<bool>,
    serial: Cell<u32>,
    /// Random per widget: idempotency keys are `{instance}-{attempt}`.
    instance: String,
    in_flight: RefCell<Option<AbortController>>,
    /// Which request is current; answers to superseded ones are dropped.
    request_seq: Cell<u32>,
    ticker: RefCell<Option<Closure<dyn FnMut()>>>,
    ticker_id: Cell<Option<i32>>,
}

pub fn now_ms() -> i64 {
    js_sys::Date::now() as i64
}

fn random_hex(bytes: usize) -> String {
    let mut buf = vec![0u8; bytes];
    let filled = web_sys::window()
        .and_then(|w| w.crypto().ok())
        .and_then(|c| c.get_random_values_with_u8_array(&mut buf).ok())
        .is_some();
    if !filled {
        // No Web Crypto (very old browser): time and Math.random still make collisions unlikely.
        let seed = js_sys::Math::random().to_bits() ^ now_ms() as u64;
        for (i, b) in buf.iter_mut().enumerate() {
            *b = (seed >> ((i % 8) * 8)) as u8 ^ i as u8;
        }
    }
    buf.iter().map(|b| format!("{b:02x}")).collect()
}

impl Runtime {
    pub fn new(options: Options, host: HtmlElement) -> Rc<Runtime> {
        let window = web_sys::window();
        let navigator = window.as_ref().map(|w| w.navigator());
        let flow = options.flow.unwrap_or_else(|| {
            let ua = navigator
                .as_ref()
                .and_then(|n| n.user_agent().ok())
                .unwrap_or_default();
            let touch = navigator
                .as_ref()
                .map(|n| n.max_touch_points() > 0)
                .unwrap_or(false);
            let width = window
                .as_ref()
                .and_then(|w| w.inner_width().ok())
                .and_then(|v| v.as_f64())
                .map(|w| w as u32)
                .unwrap_or(1024);
            device::detect(device::Hints {
                user_agent: &ua,
                touch,
                width,
            })
        });
        let locale = Locale::from_tag(
            &options
                .locale
                .clone()
                .or_else(|| navigator.as_ref().and_then(|n| n.language()))
                .unwrap_or_default(),
        );
        Rc::new(Runtime {
            options,
            flow,
            locale,
            texts: texts(locale),
            host,
            state: Cell::new(None),
            alive: Cell::new(true),
            serial: Cell::new(0),
            instance: random_hex(12),
            in_flight: RefCell::new(None),
            request_seq: Cell::new(0),
            ticker: RefCell::new(None),
            ticker_id: Cell::new(None),
        })
    }

    /// Binds the state signal created inside the view's owner.
    pub fn attach(&self, state: RwSignal<State>) {
        self.state.set(Some(state));
    }

    /// Starts the one-second clock that drives the countdown.
    pub fn start(self: &Rc<Self>) {
        let Some(window) = web_sys::window() else {
            return;
        };
        let weak = Rc::downgrade(self);
        let tick = Closure::<dyn FnMut()>::new(move || {
            if let Some(rt) = weak.upgrade() {
                if matches!(rt.state(), Some(State::Pending(_))) {
                    rt.dispatch(Event::Tick { now_ms: now_ms() });
                }
            }
        });
        if let Ok(id) = window.set_interval_with_callback_and_timeout_and_arguments_0(
            tick.as_ref().unchecked_ref(),
            1000,
        ) {
            self.ticker_id.set(Some(id));
        }
        *self.ticker.borrow_mut() = Some(tick);
    }

    /// Stops everything: no more events, the request in flight aborted, the clock cleared.
    pub fn stop(&self) {
        self.alive.set(false);
        if let Some(c) = self.in_flight.borrow_mut().take() {
            c.abort();
        }
        if let (Some(id), Some(w)) = (self.ticker_id.take(), web_sys::window()) {
            w.clear_interval_with_handle(id);
        }
        self.ticker.borrow_mut().take();
        self.state.set(None);
    }

    pub fn state(&self) -> Option<State> {
        self.state.get().and_then(|s| s.try_get_untracked())
    }

    pub fn dispatch(self: &Rc<Self>, event: Event) {
        if !self.alive.get() {
            return;
        }
        let (Some(signal), Some(current)) = (self.state.get(), self.state()) else {
            return;
        };
        let serial = self.serial.get().wrapping_add(1);
        self.serial.set(serial);
        let (next, effects) = machine::step(
            current,
            event,
            Context {
                flow: self.flow,
                now_ms: now_ms(),
                serial,
            },
        );
        if let State::Error { failure, .. } = &next {
            web_sys::console::warn_1(
                &format!(
                    "wallet-checkout: {} error: {}",
                    failure.kind.as_str(),
                    failure.detail
                )
                .into(),
            );
        }
        signal.set(next);
        self.announce();
        for effect in effects {
            self.run(effect);
        }
    }

    /// Tells the host page: a `wallet-checkout:statechange` DOM event with the state's name.
    fn announce(&self) {
        let Some(state) = self.state() else { return };
        let name = match &state {
            State::Choosing => "choosing",
            State::Creating { .. } => "creating",
            State::Pending(_) => "pending",
            State::Done(s) => s.status.as_str(),
            State::Error { .. } => "error",
        };
        let init = web_sys::CustomEventInit::new();
        init.set_bubbles(true);
        init.set_composed(true);
        init.set_detail(&JsValue::from_str(name));
        if let Ok(ev) =
            web_sys::CustomEvent::new_with_event_init_dict("wallet-checkout:statechange", &init)
        {
            let _ = self.host.dispatch_event(&ev);
        }
    }

    /// A fresh abort signal for the next request; aborts the previous one (never two in flight).
    fn begin_request(&self, timeout_ms: u32) -> Option<(web_sys::AbortSignal, u32)> {
        let controller = AbortController::new().ok()?;
        let seq = self.request_seq.get().wrapping_add(1);
        self.request_seq.set(seq);
        if let Some(previous) = self.in_flight.borrow_mut().replace(controller.clone()) {
            previous.abort();
        }
        let signal = controller.signal();
        let abort = Closure::once_into_js(move || controller.abort());
        if let Some(w) = web_sys::window() {
            let _ = w.set_timeout_with_callback_and_timeout_and_arguments_0(
                abort.unchecked_ref(),
                timeout_ms as i32,
            );
        }
        Some((signal, seq))
    }

    /// Whether the answer to request `seq` still matters.
    fn current(&self, seq: u32) -> bool {
        self.alive.get() && self.request_seq.get() == seq
    }

    fn run(self: &Rc<Self>, effect: Effect) {
        let rt = self.clone();
        match effect {
            Effect::CreateSession {
                wallet,
                flow,
                attempt,
            } => leptos::task::spawn_local(async move {
                let Some((signal, seq)) = rt.begin_request(REQUEST_TIMEOUT_MS) else {
                    return;
                };
                let body = CreateSession {
                    order: rt.options.order.clone(),
                    wallet,
                    flow,
                    return_url: rt.options.return_url.clone(),
                    locale: Some(rt.locale.tag().to_string()),
                };
                let key = format!("{}-{attempt}", rt.instance);
                let result = net::create_session(&rt.options.endpoint, &body, &key, &signal).await;
                if !rt.current(seq) {
                    return;
                }
                rt.dispatch(match result {
                    Ok(session) => Event::SessionCreated(session),
                    Err(f) => Event::CreateFailed(timeout_aware(f, &signal)),
                });
            }),
            Effect::Watch {
                id,
                status,
                delay_ms,
            } => leptos::task::spawn_local(async move {
                if delay_ms > 0 {
                    // Jitter spreads retries of many widgets after a server hiccup.
                    let jitter =
                        crate::machine::jitter_ms(delay_ms, js_sys::Math::random().to_bits());
                    net::sleep(delay_ms + jitter).await;
                }
                if !rt.alive.get() {
                    return;
                }
                let Some((signal, seq)) =
                    rt.begin_request(REQUEST_TIMEOUT_MS + LONG_POLL_SECS * 1000)
                else {
                    return;
                };
                let result =
                    net::read_session(&rt.options.endpoint, &id, LONG_POLL_SECS, status, &signal)
                        .await;
                if !rt.current(seq) {
                    return;
                }
                rt.dispatch(match result {
                    Ok(session) => Event::SessionUpdated(session),
                    Err(f) => Event::WatchFailed(timeout_aware(f, &signal)),
                });
            }),
        }
    }
}

fn timeout_aware(f: Failure, signal: &web_sys::AbortSignal) -> Failure {
    if signal.aborted() {
        Failure::network("the server did not answer in time")
    } else {
        f
    }
}
