//! The effect runtime: feeds events to `machine::step`, stores the state in a signal, turns effects
//! into orders for the JS shell (requests, the event stream, navigation, bridges, sessionStorage),
//! reads the shell's reports back into events, and tells the merchant. Never two requests in flight:
//! each new one gets a new sequence number and answers to older ones are dropped.

use std::cell::{Cell, RefCell};
use std::rc::Rc;

use js_sys::{Object, Reflect};
use leptos::prelude::*;
use wallet_checkout_protocol::{Action, CreateSession, Flow};
use wasm_bindgen::prelude::*;

use super::options::Options;
use super::safe_url;
use super::shell::{Kind, Shell};
use super::{decode, net};
use crate::device;
use crate::i18n::{Locale, Texts, EN};
use crate::machine::{
    self, BridgeOutcome, Context, Effect, Event, Failure, State, Transport, LONG_POLL_SECS,
};
use crate::seam::Notice;
use crate::time;

/// Give up on a request that has not answered in this long (the long poll adds its hold).
const REQUEST_TIMEOUT_MS: u32 = 20_000;
/// The server sends a stream's first event at once; none within this long means a proxy buffers
/// the stream, so the widget falls back to long poll.
const FIRST_EVENT_MS: u32 = 5_000;

type Deliver = Closure<dyn Fn(u32, u32, JsValue)>;

/// Reads an in-app bridge's raw answer.
type BridgeReader = fn(&JsValue) -> BridgeOutcome;

thread_local! {
    /// The languages decoded so far on this page: each once, however many widgets mount.
    static LANGUAGES: RefCell<Vec<(Locale, &'static Texts)>> = const { RefCell::new(Vec::new()) };
}

/// The words for `locale`: English is built in; any other is the table the embedding code fetched
/// for it (`shell.words(tag)`), checked whole. A table missing (the embedding code said why) or not
/// valid leaves the widget in English.
fn words(locale: Locale, shell: &Shell) -> (Locale, &'static Texts) {
    if locale == Locale::En {
        return (locale, &EN);
    }
    if let Some(known) =
        LANGUAGES.with_borrow(|l| l.iter().find(|(l, _)| *l == locale).map(|e| e.1))
    {
        return (locale, known);
    }
    let table = shell.words(locale.tag());
    // An array in `Texts::KEYS`' order.
    let read = js_sys::Array::is_array(&table)
        .then(|| Texts::from_table(|i, _| Reflect::get_u32(&table, i).ok()?.as_string()))
        .flatten();
    match read {
        Some(texts) => {
            let texts: &'static Texts = Box::leak(Box::new(texts));
            LANGUAGES.with_borrow_mut(|l| l.push((locale, texts)));
            (locale, texts)
        }
        None => {
            if !table.is_undefined() {
                shell.warn(
                    &format!(
                        "the words for {} are not a whole table; showing English",
                        locale.tag()
                    ),
                    &JsValue::UNDEFINED,
                );
            }
            (Locale::En, &EN)
        }
    }
}

/// Which link was copied, and whether it worked (the view shows "Link copied" for that link).
pub type Copied = RwSignal<Option<(String, bool)>>;

pub struct Runtime {
    pub options: Options,
    pub flow: Flow,
    pub locale: Locale,
    pub texts: &'static Texts,
    shell: Shell,
    deliver: RefCell<Option<Deliver>>,
    state: Cell<Option<RwSignal<State>>>,
    copied: Cell<Option<Copied>>,
    alive: Cell<bool>,
    serial: Cell<u32>,
    /// Random per widget: idempotency keys are `{instance}-{attempt}`.
    instance: String,
    /// The page to come back to after a redirect.
    return_url: Option<String>,
    /// Which request or stream is current; answers to superseded ones are dropped.
    request_seq: Cell<u32>,
    /// What the current request asked (its answer becomes the matching event).
    asked: RefCell<Option<Effect>>,
    /// How to read the answer of the bridge called last.
    bridge_read: Cell<Option<BridgeReader>>,
    /// The page is an Alipay mini program's `<web-view>`: `tradePay` is the mini program's to call.
    mini_program: bool,
    /// The counter: the code being paid (digits), sent with its create and that create's retries.
    code: RefCell<Option<String>>,
}

pub fn now_ms() -> i64 {
    js_sys::Date::now() as i64
}

fn set(obj: &Object, key: &str, value: &JsValue) {
    let _ = Reflect::set(obj, &JsValue::from_str(key), value);
}

fn get_string(obj: &JsValue, key: &str) -> String {
    Reflect::get(obj, &JsValue::from_str(key))
        .ok()
        .and_then(|v| {
            v.as_string()
                .or_else(|| js_sys::JSON::stringify(&v).ok().map(String::from))
        })
        .unwrap_or_default()
}

/// `WeixinJSBridge`'s answer, read by `machine::wechat_answer`.
fn read_wechat(res: &JsValue) -> BridgeOutcome {
    crate::machine::wechat_answer(&get_string(res, "err_msg"))
}

/// `AlipayJSBridge`'s answer, read by `machine::alipay_answer`.
fn read_alipay(res: &JsValue) -> BridgeOutcome {
    crate::machine::alipay_answer(&get_string(res, "resultCode"))
}

impl Runtime {
    pub fn new(options: Options, shell: Shell) -> Rc<Runtime> {
        let window = web_sys::window();
        let navigator = window.as_ref().map(|w| w.navigator());
        let ua = navigator
            .as_ref()
            .and_then(|n| n.user_agent().ok())
            .unwrap_or_default();
        let mini_program = device::alipay_mini_program(&ua);
        let flow = options.flow.unwrap_or_else(|| {
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
        // The embedding code picked the language (the option, then `navigator.languages`) to fetch
        // its table beside the wasm: the widget takes that one.
        let tag = shell.language();
        let picked = Locale::ALL.into_iter().find(|l| l.tag() == tag);
        let (locale, texts) = words(picked.unwrap_or(Locale::En), &shell);
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
            texts,
            instance: shell.nonce(),
            shell,
            deliver: RefCell::new(None),
            state: Cell::new(None),
            copied: Cell::new(None),
            alive: Cell::new(true),
            serial: Cell::new(0),
            return_url,
            request_seq: Cell::new(0),
            asked: RefCell::new(None),
            bridge_read: Cell::new(None),
            mini_program,
            code: RefCell::new(None),
        })
    }

    /// The counter: a scanned or typed code. Whitespace and control characters around it (a
    /// scanner's newline) are dropped; a code no wallet issues is said here and never sent.
    pub fn enter_code(self: &Rc<Self>, raw: &str) {
        let digits = raw.trim();
        let wallet = wallet_checkout_protocol::payment_code_wallet(digits)
            .filter(|_| self.flow == Flow::PaymentCode);
        if wallet.is_none() {
            self.shell.field(self.locale.tag(), "invalid");
        }
        if let Some(w) = wallet {
            *self.code.borrow_mut() = Some(digits.to_string());
            self.dispatch(Event::WalletChosen(w));
        }
    }

    /// Binds the signals created inside the view's owner.
    pub fn attach(&self, state: RwSignal<State>, copied: Copied) {
        self.state.set(Some(state));
        self.copied.set(Some(copied));
    }

    /// Where a hand-over for this order is remembered across the redirect.
    fn storage_key(&self) -> String {
        format!(
            "wallet-checkout:{}:{}",
            self.options.endpoint, self.options.order
        )
    }

    /// Starts the shell (the clock, the page's visibility and back/forward cache) and resumes a
    /// remembered hand-over for this order.
    pub fn start(self: &Rc<Self>) {
        let weak = Rc::downgrade(self);
        let deliver = Deliver::new(move |kind, seq, data| {
            if let (Some(rt), Some(kind)) = (weak.upgrade(), Kind::from_u32(kind)) {
                rt.on_report(kind, seq, data);
            }
        });
        self.shell.start(deliver.as_ref());
        *self.deliver.borrow_mut() = Some(deliver);

        let remembered = self.shell.store(&self.storage_key(), &JsValue::UNDEFINED);
        self.announce(None);
        if self.flow == Flow::PaymentCode {
            self.shell.field(self.locale.tag(), "");
        }
        if let Some(id) = remembered.filter(|id| !id.is_empty() && id.len() <= 128) {
            self.dispatch(Event::Resume { id });
        }
    }

    /// Stops everything: no more events, the request in flight aborted, the stream closed, the
    /// clock cleared, page listeners removed.
    pub fn stop(&self) {
        self.alive.set(false);
        self.shell.stop();
        self.deliver.borrow_mut().take();
        self.state.set(None);
        self.copied.set(None);
    }

    pub fn state(&self) -> Option<State> {
        self.state.get().and_then(|s| s.try_get_untracked())
    }

    /// A report from the shell, turned into the machine's event (or dropped if it is stale).
    fn on_report(self: &Rc<Self>, kind: Kind, seq: u32, data: JsValue) {
        if !self.alive.get() {
            return;
        }
        let event = match kind {
            Kind::Answer => {
                if !self.current(seq) {
                    return;
                }
                let Some(asked) = self.asked.borrow_mut().take() else {
                    return;
                };
                match (asked, net::answer(&data)) {
                    (Effect::CreateSession { .. }, Ok((session, _))) => {
                        // The code has done its work: not kept a moment longer.
                        self.code.borrow_mut().take();
                        Event::SessionCreated(session)
                    }
                    (Effect::CreateSession { .. }, Err(f)) => Event::CreateFailed(f),
                    (Effect::Watch { .. }, Ok((session, held_ms))) => {
                        Event::PollAnswered { session, held_ms }
                    }
                    (_, Ok((session, _))) => Event::SessionUpdated(session),
                    (_, Err(f)) => Event::WatchFailed(f),
                }
            }
            Kind::Message | Kind::Ended => {
                if !self.current(seq) {
                    return;
                }
                let text = data.as_string().unwrap_or_default();
                let read = if kind == Kind::Message {
                    net::session_from_event(&text)
                } else {
                    Err(Failure::network(text))
                };
                match read {
                    Ok(session) => Event::SessionUpdated(session),
                    Err(f) => {
                        self.stop_watching();
                        Event::WatchFailed(f)
                    }
                }
            }
            Kind::Tick => {
                if !matches!(self.state(), Some(State::Pending(_))) {
                    return;
                }
                Event::Tick { now_ms: now_ms() }
            }
            Kind::Hidden => Event::Hidden,
            Kind::Visible => Event::Visible,
            Kind::Bridge => Event::BridgeAnswered(match self.bridge_read.get() {
                Some(read) if !data.is_null() && !data.is_undefined() => read(&data),
                _ => BridgeOutcome::Unavailable,
            }),
            Kind::Copied => {
                if let (Some(copied), Some(text)) = (self.copied.get(), data.as_string()) {
                    copied.try_set(Some((text, seq == 1)));
                }
                return;
            }
            Kind::Scanned => {
                // Only while a new code is wanted (not while one is being paid).
                if matches!(
                    self.state(),
                    Some(State::Choosing | State::Done(_) | State::Error { .. })
                ) {
                    self.enter_code(&data.as_string().unwrap_or_default());
                }
                return;
            }
        };
        self.dispatch(event);
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
            self.shell.warn(
                &format!("{} error: {}", failure.kind.as_str(), failure.detail),
                &JsValue::UNDEFINED,
            );
        }
        let changed = before != next;
        // While a session is pending the clock ticks on its expiry's second boundaries (so the shown
        // second changes when the remaining whole second does); otherwise it is still.
        self.shell.clock(match &next {
            State::Pending(p) => Some(time::next_tick_ms(p.expires_at_ms, now_ms())),
            _ => None,
        });
        let outcome = matches!(next, State::Done(_) | State::Error { .. });
        // The status line takes the focus at an outcome (a screen reader reads it), but at a
        // counter that did not pay, the field keeps it for the next scan.
        let rescan = self.flow == Flow::PaymentCode && next.name() != "succeeded";
        // At a counter: the camera is released once a code is being paid; the field is cleared
        // and focused whenever a new code is wanted.
        let wants_code = matches!(next, State::Choosing | State::Done(_) | State::Error { .. });
        if self.flow == Flow::PaymentCode && changed {
            if wants_code {
                let note = crate::screen::counter_note(&next);
                self.shell.field(self.locale.tag(), note);
            } else {
                self.shell.scan();
            }
        }
        if changed {
            signal.set(next);
            self.announce(Some(&before));
            if outcome && !rescan {
                self.shell.focus();
            }
        }
        for effect in effects {
            self.run(effect);
        }
    }

    /// Tells the merchant: `onStateChange` and `wallet-checkout:statechange` when the state's name
    /// changes, and the outcome's own callback and event (`success`, `failure`, `expire`,
    /// `cancel`, `error`). The shell calls the callbacks (one that throws is logged, never fatal).
    fn announce(&self, before: Option<&State>) {
        let Some(state) = self.state() else { return };
        let (changed, outcome) = crate::machine::notices(before, &state);
        if !changed {
            return;
        }
        let detail = Object::new();
        set(&detail, "state", &JsValue::from_str(state.name()));
        if let Some(session) = state.session() {
            set(&detail, "session", &decode::session_to_js(session));
        }
        self.shell.emit(Notice::StateChange.event(), &detail);
        if let State::Error { failure, .. } = &state {
            set(&detail, "kind", &JsValue::from_str(failure.kind.as_str()));
            set(
                &detail,
                "code",
                &failure
                    .code
                    .map_or(JsValue::NULL, |c| JsValue::from_str(c.as_str())),
            );
            set(&detail, "message", &JsValue::from_str(&failure.detail));
        }
        if let Some(notice) = outcome {
            self.shell.emit(notice.event(), &detail);
        }
    }

    /// Ends whatever is listening or asking: the request in flight, the event stream, and a request
    /// not sent yet (its sequence number goes stale).
    fn stop_watching(&self) {
        self.next_seq();
        self.asked.borrow_mut().take();
        self.shell.halt();
    }

    fn next_seq(&self) -> u32 {
        let seq = self.request_seq.get().wrapping_add(1);
        self.request_seq.set(seq);
        seq
    }

    /// Whether the answer to request `seq` still matters.
    fn current(&self, seq: u32) -> bool {
        self.alive.get() && self.request_seq.get() == seq
    }

    fn run(self: &Rc<Self>, effect: Effect) {
        // A merchant callback may have unmounted the widget meanwhile: nothing leaves a stopped one.
        if !self.alive.get() {
            return;
        }
        match effect {
            Effect::StopWatching => self.stop_watching(),
            Effect::Unbridge => self.shell.unbridge(),
            Effect::HandOver(action) => self.hand_over(action),
            Effect::Remember { id } => {
                self.shell
                    .store(&self.storage_key(), &JsValue::from_str(&id));
            }
            Effect::Forget => {
                self.shell.store(&self.storage_key(), &JsValue::NULL);
            }
            ask => self.ask(ask),
        }
    }

    /// Asks the server (create, watch, read, cancel) after the effect's delay plus jitter, through
    /// the shell; the answer comes back as a report. A `Watch` over events opens the stream instead.
    fn ask(&self, ask: Effect) {
        let delay_ms = match &ask {
            Effect::Watch { delay_ms, .. } | Effect::Read { delay_ms, .. } => *delay_ms,
            _ => 0,
        };
        // Jitter spreads the retries of many widgets after a server hiccup.
        let delay_ms = delay_ms.saturating_add(machine::jitter_ms(
            delay_ms,
            js_sys::Math::random().to_bits(),
        ));
        let endpoint = &self.options.endpoint;
        let request = match &ask {
            Effect::CreateSession {
                wallet,
                flow,
                attempt,
            } => {
                let body = CreateSession {
                    order: self.options.order.clone(),
                    client_secret: self.options.client_secret.clone(),
                    wallet: Some(*wallet),
                    flow: *flow,
                    payment_code: if *flow == Flow::PaymentCode {
                        self.code.borrow().clone()
                    } else {
                        None
                    },
                    in_store: self.options.in_store && *flow == Flow::Qr,
                    return_url: self.return_url.clone(),
                    locale: Some(self.locale.tag().to_string()),
                };
                net::create_session(endpoint, &body, format!("{}-{attempt}", self.instance))
            }
            Effect::Watch {
                id,
                transport: Transport::Events,
                ..
            } => {
                let seq = self.next_seq();
                self.asked.borrow_mut().take();
                let url = net::events_url(endpoint, id);
                self.shell.stream(seq, delay_ms, &url, FIRST_EVENT_MS);
                return;
            }
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
        let seq = self.next_seq();
        let request = match request {
            Ok(request) => request,
            Err(f) => {
                // Nothing to send: the failure is the answer (reported from a later task, like any).
                *self.asked.borrow_mut() = Some(ask);
                self.shell.fail(seq, &f.detail);
                return;
            }
        };
        // A long poll is held by the server for up to its wait.
        let hold = match &ask {
            Effect::Watch {
                transport: Transport::LongPoll,
                ..
            } => LONG_POLL_SECS * 1000,
            _ => 0,
        };
        *self.asked.borrow_mut() = Some(ask);
        self.shell.request(
            seq,
            delay_ms,
            request.method,
            &request.url,
            request.body,
            request.key,
            REQUEST_TIMEOUT_MS + hold,
        );
    }

    /// Sends the shopper to the wallet: the top window to the page (also from an iframe), a form
    /// built from fields (never the gateway's HTML), or the in-app bridge.
    fn hand_over(&self, action: Action) {
        match action {
            Action::Redirect { url } if safe_url(&url) => {
                if !self.shell.go(&url) {
                    // A sandboxed iframe may not navigate the top: the view's link still works.
                    self.shell.warn(
                        "could not open the wallet's page; the Continue link remains",
                        &JsValue::UNDEFINED,
                    );
                }
            }
            Action::Form { url, fields } if safe_url(&url) => {
                let object = Object::new();
                for (name, value) in &fields {
                    set(&object, name, &JsValue::from_str(value));
                }
                self.shell.submit(&url, &object);
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
                self.bridge_read.set(Some(read_wechat));
                self.shell
                    .bridge("WeixinJSBridge", "invoke", "getBrandWCPayRequest", &args);
            }
            Action::AlipayJsapi { trade_no } => {
                let args = Object::new();
                set(&args, "tradeNO", &JsValue::from_str(&trade_no));
                self.bridge_read.set(Some(read_alipay));
                if self.mini_program {
                    // A web-view cannot pay by itself: the mini program calls `my.tradePay` and
                    // posts its result back (README "Alipay mini programs").
                    set(
                        &args,
                        "type",
                        &JsValue::from_str("wallet-checkout:tradePay"),
                    );
                    self.shell.mini_program(&args);
                } else {
                    self.shell
                        .bridge("AlipayJSBridge", "call", "tradePay", &args);
                }
            }
            other => self.shell.warn(
                "refused to open an unsafe or unknown action:",
                &decode::action_to_js(&other),
            ),
        }
    }

    /// Copies `text` to the clipboard; the view learns whether it worked through `copied`.
    pub fn copy(&self, text: &str) {
        self.shell.copy(text);
    }
}
