//! The effect runtime: feeds events to `machine::step`, stores the state in a signal, carries out
//! effects (requests, the event stream, timers, navigation, bridges, sessionStorage) and tells the
//! merchant (callbacks and DOM events). Never two requests in flight: a new one ends the previous.

use std::cell::{Cell, RefCell};
use std::rc::Rc;

use js_sys::{Function, Object, Reflect};
use leptos::prelude::*;
use wallet_checkout_protocol::{Action, CreateSession, Flow, Session, Status};
use wasm_bindgen::prelude::*;
use wasm_bindgen::JsCast;
use web_sys::{AbortController, EventSource, HtmlElement};

use super::net;
use super::options::Options;
use super::safe_url;
use crate::device;
use crate::i18n::{texts, Locale, Texts};
use crate::machine::{
    self, BridgeOutcome, Context, Effect, Event, Failure, State, Transport, LONG_POLL_SECS,
};

/// Give up on a request that has not answered in this long (the long poll adds its hold).
const REQUEST_TIMEOUT_MS: u32 = 20_000;
/// How long to wait for `WeixinJSBridgeReady` / `AlipayJSBridgeReady` before calling it missing.
const BRIDGE_READY_MS: i32 = 5_000;
/// The server sends a stream's first event at once; none within this long means a proxy buffers
/// the stream, so the widget falls back to long poll.
const FIRST_EVENT_MS: i32 = 5_000;

type Listener = Closure<dyn FnMut(web_sys::Event)>;

/// What a timeout does (see `Runtime::after`).
enum Timer {
    /// A request took too long.
    Abort(AbortController),
    /// The event stream of request `seq` has said nothing yet.
    Silent(u32),
    /// Focus the outcome once the view has drawn it.
    Focus,
}

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
    /// The page to come back to after a redirect.
    return_url: Option<String>,
    in_flight: RefCell<Option<AbortController>>,
    stream: RefCell<Option<(EventSource, Listener, Listener)>>,
    /// Whether the current stream has delivered an event.
    stream_heard: Cell<bool>,
    /// Which request or stream is current; answers to superseded ones are dropped.
    request_seq: Cell<u32>,
    ticker: RefCell<Option<Closure<dyn FnMut()>>>,
    ticker_id: Cell<Option<i32>>,
    /// Page listeners (visibility, pageshow, pagehide), removed on `stop`.
    listeners: RefCell<Vec<(web_sys::EventTarget, &'static str, Listener)>>,
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

fn session_storage() -> Option<web_sys::Storage> {
    web_sys::window()?.session_storage().ok().flatten()
}

/// A JS object for the merchant: the session as plain JSON-like data.
fn to_js(session: &Session) -> JsValue {
    super::decode::session_to_js(session)
}

fn set(obj: &Object, key: &str, value: &JsValue) {
    let _ = Reflect::set(obj, &JsValue::from_str(key), value);
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
        let mut tags: Vec<String> = options.locale.iter().cloned().collect();
        if let Some(n) = &navigator {
            tags.extend(n.languages().iter().filter_map(|l| l.as_string()));
        }
        let locale = Locale::pick(tags.iter().map(String::as_str));
        // By default the shopper comes back to this very page (without its fragment).
        let return_url = options.return_url.clone().or_else(|| {
            let href = window.as_ref()?.location().href().ok()?;
            let href = href.split('#').next().unwrap_or_default().to_string();
            (href.starts_with("https://") || href.starts_with("http://")).then_some(href)
        });
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
            return_url,
            in_flight: RefCell::new(None),
            stream: RefCell::new(None),
            stream_heard: Cell::new(false),
            request_seq: Cell::new(0),
            ticker: RefCell::new(None),
            ticker_id: Cell::new(None),
            listeners: RefCell::new(Vec::new()),
        })
    }

    /// Binds the state signal created inside the view's owner.
    pub fn attach(&self, state: RwSignal<State>) {
        self.state.set(Some(state));
    }

    /// Where a hand-over for this order is remembered across the redirect.
    fn storage_key(&self) -> String {
        format!(
            "wallet-checkout:{}:{}",
            self.options.endpoint, self.options.order
        )
    }

    /// Starts the clock, listens to the page's visibility and back/forward cache, and resumes a
    /// remembered hand-over for this order.
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

        if let Some(document) = window.document() {
            let weak = Rc::downgrade(self);
            let doc = document.clone();
            self.listen(document.into(), "visibilitychange", move |_| {
                if let Some(rt) = weak.upgrade() {
                    let hidden = doc.visibility_state() == web_sys::VisibilityState::Hidden;
                    rt.dispatch(if hidden {
                        Event::Hidden
                    } else {
                        Event::Visible
                    });
                }
            });
        }
        // Leaving the page ends the stream (so the page can enter the back/forward cache);
        // coming back from that cache checks the status at once.
        let weak = Rc::downgrade(self);
        self.listen(window.clone().into(), "pagehide", move |_| {
            if let Some(rt) = weak.upgrade() {
                rt.dispatch(Event::Hidden);
            }
        });
        let weak = Rc::downgrade(self);
        self.listen(window.into(), "pageshow", move |e| {
            let persisted = e
                .dyn_ref::<web_sys::PageTransitionEvent>()
                .is_some_and(|p| p.persisted());
            if let Some(rt) = weak.upgrade() {
                if persisted {
                    rt.dispatch(Event::Visible);
                }
            }
        });

        let remembered = session_storage().and_then(|s| s.get_item(&self.storage_key()).ok()?);
        self.announce(None);
        if let Some(id) = remembered.filter(|id| !id.is_empty() && id.len() <= 128) {
            self.dispatch(Event::Resume { id });
        }
    }

    fn listen(
        &self,
        target: web_sys::EventTarget,
        name: &'static str,
        f: impl FnMut(web_sys::Event) + 'static,
    ) {
        let closure = Listener::new(f);
        if target
            .add_event_listener_with_callback(name, closure.as_ref().unchecked_ref())
            .is_ok()
        {
            self.listeners.borrow_mut().push((target, name, closure));
        }
    }

    /// Stops everything: no more events, the request in flight aborted, the stream closed, the
    /// clock cleared, page listeners removed.
    pub fn stop(&self) {
        self.alive.set(false);
        self.stop_watching();
        if let (Some(id), Some(w)) = (self.ticker_id.take(), web_sys::window()) {
            w.clear_interval_with_handle(id);
        }
        self.ticker.borrow_mut().take();
        for (target, name, closure) in self.listeners.borrow_mut().drain(..) {
            let _ =
                target.remove_event_listener_with_callback(name, closure.as_ref().unchecked_ref());
        }
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
        let before = current.clone();
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
        let changed = before != next;
        // Nothing listens once the wait is over (the stream ends, a stale poll is dropped).
        if !matches!(next, State::Pending(_)) && matches!(before, State::Pending(_)) {
            self.stop_watching();
        }
        let outcome = matches!(next, State::Done(_) | State::Error { .. });
        if changed {
            signal.set(next);
            self.announce(Some(&before));
            if outcome {
                self.focus_outcome();
            }
        }
        for effect in effects {
            self.run(effect);
        }
    }

    /// Tells the merchant: `onStateChange` and `wallet-checkout:statechange` when the state's name
    /// changes, and the outcome's own callback and event (`success`, `failure`, `expire`,
    /// `cancel`, `error`). A callback that throws is logged, never fatal.
    fn announce(&self, before: Option<&State>) {
        let Some(state) = self.state() else { return };
        let name = state.name();
        if before.is_some_and(|b| b.name() == name) {
            return;
        }
        let detail = Object::new();
        set(&detail, "state", &JsValue::from_str(name));
        if let Some(session) = state.session() {
            set(&detail, "session", &to_js(session));
        }
        let cb = &self.options.callbacks;
        self.emit("statechange", cb.on_state_change.as_ref(), &detail);
        let outcome = match &state {
            State::Done(s) => match s.status {
                Status::Succeeded => Some(("success", cb.on_success.as_ref())),
                Status::Failed => Some(("failure", cb.on_failure.as_ref())),
                Status::Expired => Some(("expire", cb.on_expire.as_ref())),
                Status::Cancelled => Some(("cancel", cb.on_cancel.as_ref())),
                Status::Pending => None,
            },
            State::Error { failure, .. } => {
                set(&detail, "kind", &JsValue::from_str(failure.kind.as_str()));
                set(
                    &detail,
                    "code",
                    &failure
                        .code
                        .map_or(JsValue::NULL, |c| JsValue::from_str(c.as_str())),
                );
                set(&detail, "message", &JsValue::from_str(&failure.detail));
                Some(("error", cb.on_error.as_ref()))
            }
            _ => None,
        };
        if let Some((event, callback)) = outcome {
            self.emit(event, callback, &detail);
        }
    }

    fn emit(&self, name: &str, callback: Option<&Function>, detail: &Object) {
        if let Some(f) = callback {
            if let Err(e) = f.call1(&JsValue::NULL, detail) {
                web_sys::console::error_2(
                    &format!("wallet-checkout: the {name} callback threw").into(),
                    &e,
                );
            }
        }
        let init = web_sys::CustomEventInit::new();
        init.set_bubbles(true);
        init.set_composed(true);
        init.set_detail(detail);
        if let Ok(ev) = web_sys::CustomEvent::new_with_event_init_dict(
            &format!("wallet-checkout:{name}"),
            &init,
        ) {
            let _ = self.host.dispatch_event(&ev);
        }
    }

    /// Moves keyboard focus to the outcome (the status line) once the view has drawn it.
    fn focus_outcome(self: &Rc<Self>) {
        self.after(0, Timer::Focus);
    }

    /// Runs `timer` after `ms`: one closure type for every timeout keeps the wasm small.
    fn after(self: &Rc<Self>, ms: i32, timer: Timer) {
        let weak = Rc::downgrade(self);
        let run = Closure::once_into_js(move || {
            if let Some(rt) = weak.upgrade() {
                rt.on_timer(timer);
            }
        });
        if let Some(w) = web_sys::window() {
            let _ =
                w.set_timeout_with_callback_and_timeout_and_arguments_0(run.unchecked_ref(), ms);
        }
    }

    fn on_timer(self: &Rc<Self>, timer: Timer) {
        match timer {
            Timer::Abort(controller) => controller.abort(),
            Timer::Focus => {
                if let Some(el) = self
                    .host
                    .query_selector(".wc-status")
                    .ok()
                    .flatten()
                    .and_then(|e| e.dyn_into::<HtmlElement>().ok())
                {
                    let _ = el.focus();
                }
            }
            Timer::Silent(seq) => {
                if self.current(seq) && !self.stream_heard.get() {
                    self.stop_watching();
                    self.dispatch(Event::WatchFailed(Failure::network(
                        "the event stream opened but sent nothing (a buffering proxy?)",
                    )));
                }
            }
        }
    }

    /// Ends whatever is listening or asking: the request in flight, the event stream, and any
    /// delayed check (its sequence number goes stale).
    fn stop_watching(&self) {
        self.request_seq.set(self.request_seq.get().wrapping_add(1));
        if let Some(c) = self.in_flight.borrow_mut().take() {
            c.abort();
        }
        if let Some((source, _, _)) = self.stream.borrow_mut().take() {
            source.close();
        }
    }

    /// A fresh abort signal for the next request; ends the previous one (never two in flight).
    fn begin_request(self: &Rc<Self>, timeout_ms: u32) -> Option<(web_sys::AbortSignal, u32)> {
        self.stop_watching();
        let controller = AbortController::new().ok()?;
        let seq = self.request_seq.get();
        *self.in_flight.borrow_mut() = Some(controller.clone());
        let signal = controller.signal();
        self.after(timeout_ms as i32, Timer::Abort(controller));
        Some((signal, seq))
    }

    /// Whether the answer to request `seq` still matters.
    fn current(&self, seq: u32) -> bool {
        self.alive.get() && self.request_seq.get() == seq
    }

    /// Waits `delay_ms` plus jitter; false if something else started meanwhile.
    async fn pause(&self, delay_ms: u32) -> bool {
        if delay_ms == 0 {
            return self.alive.get();
        }
        let seq = self.request_seq.get();
        // Jitter spreads the retries of many widgets after a server hiccup.
        let jitter = machine::jitter_ms(delay_ms, js_sys::Math::random().to_bits());
        net::sleep(delay_ms + jitter).await;
        self.current(seq)
    }

    fn run(self: &Rc<Self>, effect: Effect) {
        match effect {
            Effect::StopWatching => self.stop_watching(),
            Effect::HandOver(action) => self.hand_over(action),
            Effect::Remember { id } => {
                if let Some(s) = session_storage() {
                    let _ = s.set_item(&self.storage_key(), &id);
                }
            }
            Effect::Forget => {
                if let Some(s) = session_storage() {
                    let _ = s.remove_item(&self.storage_key());
                }
            }
            // The rest ask the server.
            ask => leptos::task::spawn_local(self.clone().ask(ask)),
        }
    }

    /// Carries out an effect that asks the server (create, watch, read, cancel) after its delay
    /// (plus jitter) and dispatches the answer: the one task every request runs in. A `Watch` over
    /// events opens the stream instead.
    async fn ask(self: Rc<Self>, ask: Effect) {
        let delay_ms = match &ask {
            Effect::Watch { delay_ms, .. } | Effect::Read { delay_ms, .. } => *delay_ms,
            _ => 0,
        };
        if !self.pause(delay_ms).await {
            return;
        }
        let endpoint = &self.options.endpoint;
        let request = match &ask {
            Effect::CreateSession {
                wallet,
                flow,
                attempt,
            } => {
                let body = CreateSession {
                    order: self.options.order.clone(),
                    wallet: *wallet,
                    flow: *flow,
                    return_url: self.return_url.clone(),
                    locale: Some(self.locale.tag().to_string()),
                };
                net::create_session(endpoint, &body, &format!("{}-{attempt}", self.instance))
            }
            Effect::Watch {
                id,
                transport: Transport::Events,
                ..
            } => return self.open_stream(id),
            Effect::Watch {
                id,
                status,
                transport,
                ..
            } => {
                let wait = (*transport == Transport::LongPoll).then_some((LONG_POLL_SECS, *status));
                Ok(net::read_session(endpoint, id, wait))
            }
            Effect::Read { id, .. } => Ok(net::read_session(endpoint, id, None)),
            Effect::Cancel { id } => Ok(net::cancel_session(endpoint, id)),
            _ => return,
        };
        // A long poll is held by the server for up to its wait.
        let hold = match &ask {
            Effect::Watch {
                transport: Transport::LongPoll,
                ..
            } => LONG_POLL_SECS * 1000,
            _ => 0,
        };
        let Some((signal, seq)) = self.begin_request(REQUEST_TIMEOUT_MS + hold) else {
            return;
        };
        let started = now_ms();
        let result = match request {
            Ok((url, init)) => net::send(&url, init, &signal).await,
            Err(f) => Err(f),
        };
        if !self.current(seq) {
            return;
        }
        let result = result.map_err(|f| timeout_aware(f, &signal));
        self.dispatch(match (ask, result) {
            (Effect::CreateSession { .. }, Ok(session)) => Event::SessionCreated(session),
            (Effect::CreateSession { .. }, Err(f)) => Event::CreateFailed(f),
            (Effect::Watch { .. }, Ok(session)) => Event::PollAnswered {
                session,
                held_ms: now_ms()
                    .saturating_sub(started)
                    .clamp(0, i64::from(u32::MAX)) as u32,
            },
            (_, Ok(session)) => Event::SessionUpdated(session),
            (_, Err(f)) => Event::WatchFailed(f),
        });
    }

    /// Opens the session's event stream: each `session` message is an update; an error (no
    /// stream here, or the connection dropped) closes it and is reported once.
    fn open_stream(self: &Rc<Self>, id: &str) {
        self.stop_watching();
        let seq = self.request_seq.get();
        let url = net::events_url(&self.options.endpoint, id);
        let Ok(source) = EventSource::new(&url) else {
            self.dispatch(Event::WatchFailed(Failure::network(
                "EventSource is not available",
            )));
            return;
        };
        self.stream_heard.set(false);
        let weak = Rc::downgrade(self);
        let on_session = Listener::new(move |e: web_sys::Event| {
            let Some(rt) = weak.upgrade() else { return };
            if !rt.current(seq) {
                return;
            }
            rt.stream_heard.set(true);
            let data = e
                .dyn_ref::<web_sys::MessageEvent>()
                .and_then(|m| m.data().as_string())
                .unwrap_or_default();
            match net::session_from_event(&data) {
                Ok(session) => rt.dispatch(Event::SessionUpdated(session)),
                Err(f) => {
                    rt.stop_watching();
                    rt.dispatch(Event::WatchFailed(f));
                }
            }
        });
        let weak = Rc::downgrade(self);
        let on_error = Listener::new(move |_| {
            let Some(rt) = weak.upgrade() else { return };
            if !rt.current(seq) {
                return;
            }
            // The browser would reconnect on its own; the machine decides when and how instead.
            rt.stop_watching();
            rt.dispatch(Event::WatchFailed(Failure::network(
                "the event stream failed or ended",
            )));
        });
        let _ =
            source.add_event_listener_with_callback("session", on_session.as_ref().unchecked_ref());
        let _ = source.add_event_listener_with_callback("error", on_error.as_ref().unchecked_ref());
        *self.stream.borrow_mut() = Some((source, on_session, on_error));
        self.after(FIRST_EVENT_MS, Timer::Silent(seq));
    }

    /// Sends the shopper to the wallet: the top window to the page (also from an iframe), a form
    /// built from fields (never the gateway's HTML), or the in-app bridge.
    fn hand_over(self: &Rc<Self>, action: Action) {
        match action {
            Action::Redirect { url } if safe_url(&url) => {
                let top = web_sys::window().and_then(|w| w.top().ok().flatten());
                let navigated = top
                    .map(|t| t.location().set_href(&url).is_ok())
                    .unwrap_or(false);
                if !navigated {
                    // A sandboxed iframe may not navigate the top: the view's link still works.
                    web_sys::console::warn_1(
                        &"wallet-checkout: could not open the wallet's page; the Continue link remains".into(),
                    );
                }
            }
            Action::Form { url, fields } if safe_url(&url) => {
                let form = web_sys::window()
                    .and_then(|w| w.document())
                    .and_then(|d| build_form(&d, &url, &fields));
                if let Some(form) = form {
                    form.submit().ok();
                }
            }
            Action::WechatJsapi { params } => {
                let args = Object::new();
                for (k, v) in [
                    ("appId", &params.app_id),
                    ("timeStamp", &params.time_stamp),
                    ("nonceStr", &params.nonce_str),
                    ("package", &params.package),
                    ("signType", &params.sign_type),
                    ("paySign", &params.pay_sign),
                ] {
                    set(&args, k, &JsValue::from_str(v));
                }
                self.call_bridge(
                    "WeixinJSBridge",
                    "invoke",
                    "getBrandWCPayRequest",
                    args,
                    |res| {
                        let msg = Reflect::get(res, &"err_msg".into())
                            .ok()
                            .and_then(|v| v.as_string())
                            .unwrap_or_default();
                        if msg.ends_with(":ok") {
                            BridgeOutcome::Ok
                        } else if msg.ends_with(":cancel") {
                            BridgeOutcome::Cancelled
                        } else {
                            BridgeOutcome::Failed
                        }
                    },
                );
            }
            Action::AlipayJsapi { trade_no } => {
                let args = Object::new();
                set(&args, "tradeNO", &JsValue::from_str(&trade_no));
                self.call_bridge("AlipayJSBridge", "call", "tradePay", args, |res| {
                    let code = Reflect::get(res, &"resultCode".into())
                        .ok()
                        .and_then(|v| {
                            v.as_string()
                                .or_else(|| js_sys::JSON::stringify(&v).ok().map(String::from))
                        })
                        .unwrap_or_default();
                    match code.as_str() {
                        // 9000 paid; 8000 and 6004: processing, the server will tell.
                        "9000" | "8000" | "6004" => BridgeOutcome::Ok,
                        "6001" => BridgeOutcome::Cancelled,
                        _ => BridgeOutcome::Failed,
                    }
                });
            }
            other => web_sys::console::error_2(
                &"wallet-checkout: refused to open an unsafe or unknown action:".into(),
                &super::decode::action_to_js(&other).into(),
            ),
        }
    }

    /// `window[bridge][method](name, args, callback)`, waiting up to 5 s for `{bridge}Ready` if the
    /// bridge is not there yet. The callback's answer is only a hint for the view.
    fn call_bridge(
        self: &Rc<Self>,
        bridge: &'static str,
        method: &'static str,
        name: &'static str,
        args: Object,
        read: fn(&JsValue) -> BridgeOutcome,
    ) {
        let Some(window) = web_sys::window() else {
            return;
        };
        let still_pending = {
            let weak = Rc::downgrade(self);
            move || {
                weak.upgrade().is_some_and(|rt| {
                    rt.alive.get() && matches!(rt.state(), Some(State::Pending(_)))
                })
            }
        };
        let weak = Rc::downgrade(self);
        let callback = Closure::once_into_js(move |res: JsValue| {
            if let Some(rt) = weak.upgrade() {
                rt.dispatch(Event::BridgeAnswered(read(&res)));
            }
        });
        let invoke = move || -> bool {
            let Some(window) = web_sys::window() else {
                return false;
            };
            let target = Reflect::get(&window, &bridge.into()).unwrap_or(JsValue::UNDEFINED);
            let f = Reflect::get(&target, &method.into())
                .ok()
                .and_then(|f| f.dyn_into::<Function>().ok());
            match f {
                Some(f) => f
                    .call3(&target, &name.into(), &args, &callback)
                    .map_err(|e| {
                        web_sys::console::error_2(&"wallet-checkout: bridge call threw".into(), &e)
                    })
                    .is_ok(),
                None => false,
            }
        };
        let bridge_present = Reflect::get(&window, &bridge.into())
            .map(|b| b.is_object())
            .unwrap_or(false);
        if bridge_present {
            if !invoke() {
                self.dispatch(Event::BridgeAnswered(BridgeOutcome::Unavailable));
            }
            return;
        }
        // Not ready yet: the app fires `{bridge}Ready` on the document when it is.
        let Some(document) = window.document() else {
            return;
        };
        let pending = Rc::new(RefCell::new(Some(invoke)));
        let weak = Rc::downgrade(self);
        let ready_pending = pending.clone();
        let on_ready = Closure::once_into_js(move || {
            // Cancelled or unmounted while waiting: no payment sheet any more.
            if !still_pending() {
                ready_pending.borrow_mut().take();
                return;
            }
            if let Some(invoke) = ready_pending.borrow_mut().take() {
                let ok = invoke();
                if let (false, Some(rt)) = (ok, weak.upgrade()) {
                    rt.dispatch(Event::BridgeAnswered(BridgeOutcome::Unavailable));
                }
            }
        });
        let ready_event = format!("{bridge}Ready");
        let options = web_sys::AddEventListenerOptions::new();
        options.set_once(true);
        let _ = document.add_event_listener_with_callback_and_add_event_listener_options(
            &ready_event,
            on_ready.unchecked_ref(),
            &options,
        );
        let weak = Rc::downgrade(self);
        let give_up = Closure::once_into_js(move || {
            if pending.borrow_mut().take().is_some() {
                if let Some(rt) = weak.upgrade() {
                    rt.dispatch(Event::BridgeAnswered(BridgeOutcome::Unavailable));
                }
            }
        });
        let _ = window.set_timeout_with_callback_and_timeout_and_arguments_0(
            give_up.unchecked_ref(),
            BRIDGE_READY_MS,
        );
    }

    /// Copies `text` to the clipboard: the async Clipboard API, else a selected textarea and
    /// `execCommand("copy")` (iOS Safari needs the explicit selection range). True if it worked.
    pub async fn copy(&self, text: &str) -> bool {
        let Some(window) = web_sys::window() else {
            return false;
        };
        // Looked up, not assumed: older and embedded browsers have no `navigator.clipboard`.
        let clipboard = Reflect::get(&window.navigator(), &"clipboard".into()).unwrap_or_default();
        let write = Reflect::get(&clipboard, &"writeText".into())
            .ok()
            .and_then(|f| f.dyn_into::<Function>().ok());
        if let Some(write) = write {
            if let Some(promise) = write
                .call1(&clipboard, &text.into())
                .ok()
                .and_then(|p| p.dyn_into::<js_sys::Promise>().ok())
            {
                if wasm_bindgen_futures::JsFuture::from(promise).await.is_ok() {
                    return true;
                }
            }
        }
        let Some(document) = window.document() else {
            return false;
        };
        let Some(area) = document
            .create_element("textarea")
            .ok()
            .and_then(|e| e.dyn_into::<web_sys::HtmlTextAreaElement>().ok())
        else {
            return false;
        };
        area.set_value(text);
        let _ = area.set_attribute("readonly", "");
        // A class, not a style attribute: a strict `style-src` (the iframe page's) blocks those.
        let _ = area.set_attribute("class", "wc-copy-area");
        let _ = self.host.append_child(&area);
        area.select();
        let _ = area.set_selection_range(0, text.len() as u32);
        let copied = document
            .dyn_ref::<web_sys::HtmlDocument>()
            .and_then(|d| d.exec_command("copy").ok())
            .unwrap_or(false);
        area.remove();
        copied
    }
}

/// A POST form to `url` with hidden inputs, appended to the body, targeting the top window.
fn build_form(
    document: &web_sys::Document,
    url: &str,
    fields: &std::collections::BTreeMap<String, String>,
) -> Option<web_sys::HtmlFormElement> {
    let form: web_sys::HtmlFormElement = document.create_element("form").ok()?.dyn_into().ok()?;
    form.set_method("post");
    form.set_action(url);
    form.set_target("_top");
    form.set_hidden(true);
    for (name, value) in fields {
        let input: web_sys::HtmlInputElement =
            document.create_element("input").ok()?.dyn_into().ok()?;
        input.set_type("hidden");
        input.set_name(name);
        input.set_value(value);
        form.append_child(&input).ok()?;
    }
    document.body()?.append_child(&form).ok()?;
    Some(form)
}

fn timeout_aware(f: Failure, signal: &web_sys::AbortSignal) -> Failure {
    if signal.aborted() {
        Failure::network("the server did not answer in time")
    } else {
        f
    }
}
