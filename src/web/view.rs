//! The Leptos view: renders a `State` and sends `Event`s; no logic of its own beyond choosing
//! words and controls for the state, the device's flow and the action.

use std::rc::Rc;

use leptos::prelude::*;
use wallet_checkout_protocol::{Action, Flow, Money, Status, Wallet};
use wasm_bindgen::JsCast;

use super::runtime::Runtime;
use super::safe_url;
use crate::i18n::{fill, Texts};
use crate::machine::{BridgeOutcome, Event, Pending, State};
use crate::qr;
use crate::time::{countdown, spoken_mark};

/// Sends events to the runtime from view closures (which must be `Send`; the runtime is not).
#[derive(Clone, Copy)]
struct Sender(StoredValue<Rc<Runtime>, LocalStorage>);

impl Sender {
    fn send(self, event: Event) {
        if let Some(rt) = self.0.try_get_value() {
            rt.dispatch(event);
        }
    }

    /// Copies `text`, then sets `done` to whether it worked.
    fn copy(self, text: String, done: RwSignal<Option<bool>>) {
        if let Some(rt) = self.0.try_get_value() {
            leptos::task::spawn_local(async move {
                let ok = rt.copy(&text).await;
                done.try_set(Some(ok));
            });
        }
    }
}

/// What the view needs besides the state.
#[derive(Clone, Copy)]
struct Ctx {
    texts: &'static Texts,
    lang: &'static str,
    flow: Flow,
    tx: Sender,
}

pub fn checkout(rt: Rc<Runtime>, state: RwSignal<State>) -> impl IntoView {
    let ctx = Ctx {
        texts: rt.texts,
        lang: rt.locale.tag(),
        flow: rt.flow,
        tx: Sender(StoredValue::new_local(rt.clone())),
    };
    let texts = ctx.texts;
    let wallets = rt.options.wallets.clone();
    let busy = move || {
        matches!(
            state.get(),
            State::Creating { .. }
                | State::Confirming { .. }
                | State::Cancelling(_)
                | State::Renewing { .. }
        )
    };
    let settled =
        move || matches!(state.get(), State::Done(ref s) if s.status == Status::Succeeded);
    let chosen = move || {
        state
            .with(|s| s.session().map(|s| s.wallet))
            .or_else(|| match state.get() {
                State::Creating { wallet, .. } => Some(wallet),
                _ => None,
            })
    };
    let buttons = wallets
        .into_iter()
        .map(|w| {
            view! {
                <button type="button" class="wc-wallet" part="wallet" data-wallet=w.as_str()
                    aria-pressed=move || (chosen() == Some(w)).to_string()
                    disabled=busy
                    on:click=move |_| ctx.tx.send(Event::WalletChosen(w))>
                    {w.display_name()}
                </button>
            }
        })
        .collect_view();
    view! {
        <div class="wc" part="root" lang=ctx.lang>
            <div class="wc-wallets" role="group" aria-label=texts.choose hidden=settled>{buttons}</div>
            <div class="wc-body">{move || body(state.get(), ctx)}</div>
            <p class="wc-status" part="status" role="status" aria-live="polite" tabindex="-1">{move || status_text(&state.get(), ctx)}</p>
        </div>
    }
}

fn status_text(state: &State, ctx: Ctx) -> String {
    let texts = ctx.texts;
    match state {
        State::Choosing => String::new(),
        State::Creating { .. } | State::Renewing { .. } => texts.preparing.into(),
        State::Confirming { .. } => texts.confirming.into(),
        State::Cancelling(_) => texts.cancelling.into(),
        State::Pending(p) if p.expired_locally() => texts.expired.into(),
        State::Pending(p) => {
            let wallet = p.session.wallet;
            match (&p.session.action, p.bridge) {
                (_, Some(BridgeOutcome::Ok)) => texts.confirming.into(),
                (Some(Action::Redirect { .. } | Action::Form { .. }), _) if p.returned => {
                    texts.confirming.into()
                }
                (
                    Some(
                        Action::Redirect { .. }
                        | Action::Form { .. }
                        | Action::WechatJsapi { .. }
                        | Action::AlipayJsapi { .. },
                    ),
                    None,
                ) => fill(texts.opening, wallet),
                _ => texts.waiting.into(),
            }
        }
        State::Done(s) => match s.status {
            Status::Succeeded => texts.success.into(),
            Status::Failed => texts.failed.into(),
            Status::Expired => texts.expired.into(),
            Status::Cancelled => texts.cancelled.into(),
            Status::Pending => texts.waiting.into(),
        },
        State::Error { failure, .. } => texts.failure(failure.kind, failure.code).into(),
    }
}

/// The amount in the shopper's language and the currency's own decimals (`Intl.NumberFormat`),
/// from the exact decimal string: no float ever holds money.
fn amount_text(money: &Money, lang: &str) -> String {
    let options = js_sys::Object::new();
    let _ = js_sys::Reflect::set(&options, &"style".into(), &"currency".into());
    let _ = js_sys::Reflect::set(
        &options,
        &"currency".into(),
        &money.currency.as_str().into(),
    );
    let locales = js_sys::Array::of1(&lang.into());
    let formatted = (|| {
        // `new Intl.NumberFormat` throws a RangeError for a currency it does not know.
        let ctor = js_sys::Reflect::get(&js_sys::global(), &"Intl".into())
            .and_then(|intl| js_sys::Reflect::get(&intl, &"NumberFormat".into()))
            .ok()?
            .dyn_into::<js_sys::Function>()
            .ok()?;
        let args = js_sys::Array::of2(&locales, &options);
        let nf = js_sys::Reflect::construct(&ctor, &args).ok()?;
        let format = js_sys::Reflect::get(&nf, &"format".into())
            .ok()?
            .dyn_into::<js_sys::Function>()
            .ok()?;
        format
            .call1(&nf, &money.to_decimal().into())
            .ok()?
            .as_string()
    })();
    formatted.unwrap_or_else(|| money.to_string())
}

fn body(state: State, ctx: Ctx) -> AnyView {
    let texts = ctx.texts;
    let tx = ctx.tx;
    match state {
        State::Choosing
        | State::Creating { .. }
        | State::Confirming { .. }
        | State::Cancelling(_)
        | State::Renewing { .. } => ().into_any(),
        State::Pending(p) => pending(p, ctx),
        State::Done(s) if s.status == Status::Succeeded => view! {
            <div class="wc-done wc-success">
                <svg class="wc-check" viewBox="0 0 24 24" aria-hidden="true"><path d="M4 12.5l5 5L20 6.5"/></svg>
                <p class="wc-amount" part="amount">{amount_text(&s.amount, ctx.lang)}</p>
            </div>
        }
        .into_any(),
        State::Done(s) => {
            let label = if s.status == Status::Expired { texts.new_code } else { texts.try_again };
            view! {
                <div class="wc-done">
                    <button type="button" class="wc-primary" part="button" on:click=move |_| tx.send(Event::NewCodePressed)>{label}</button>
                </div>
            }
            .into_any()
        }
        State::Error { .. } => view! {
            <div class="wc-error">
                <button type="button" class="wc-primary" part="button" on:click=move |_| tx.send(Event::RetryPressed)>{texts.retry}</button>
            </div>
        }
        .into_any(),
    }
}

fn pending(p: Pending, ctx: Ctx) -> AnyView {
    let texts = ctx.texts;
    let tx = ctx.tx;
    let s = &p.session;
    let wallet: Wallet = s.wallet;
    let amount = amount_text(&s.amount, ctx.lang);
    let cancel = view! {
        <button type="button" class="wc-link" part="link" on:click=move |_| tx.send(Event::CancelPressed)>{texts.cancel}</button>
    };
    if p.expired_locally() {
        // The code is dead; the server still has the last word (a late payment wins).
        return view! {
            <div class="wc-pending">
                <p class="wc-amount" part="amount">{amount}</p>
                <button type="button" class="wc-primary" part="button" on:click=move |_| tx.send(Event::NewCodePressed)>{texts.new_code}</button>
            </div>
        }
        .into_any();
    }
    let timer = p.remaining_secs().map(|secs| {
        view! {
            <p class="wc-timer" role="timer" aria-live="off">{texts.expires_in}" "<span class="wc-time">{countdown(secs)}</span></p>
            <p class="wc-sr" aria-live="polite">{texts.spoken(spoken_mark(secs))}</p>
        }
    });
    let on_phone = ctx.flow != Flow::Qr;
    let drawn = match &s.action {
        Some(Action::Qr {
            content,
            image,
            url,
        }) => {
            let label = format!("{} {} · {}", texts.qr_label, amount, wallet.display_name());
            let picture = match qr::encode(content) {
                Some(code) => {
                    let view_box = format!("0 0 {0} {0}", code.size);
                    Some(view! {
                        <svg class="wc-qr" part="qr" class:wc-qr-big=on_phone role="img" aria-label=label viewBox=view_box shape-rendering="crispEdges">
                            <rect width="100%" height="100%" fill="#fff"/>
                            <path d=code.d fill="#000"/>
                        </svg>
                    }
                    .into_any())
                }
                // A payload too long to draw: the gateway's own image, if it is a safe data URL.
                None => image
                    .clone()
                    .filter(|i| {
                        [
                            "data:image/png;base64,",
                            "data:image/jpeg;base64,",
                            "data:image/gif;base64,",
                        ]
                        .iter()
                        .any(|p| i.starts_with(p))
                    })
                    .map(|src| view! { <img class="wc-qr" part="qr" src=src alt=label/> }.into_any()),
            };
            let guidance = if !on_phone {
                view! { <p class="wc-hint">{fill(texts.scan_with, wallet)}</p> }.into_any()
            } else {
                // On a phone a QR needs saving and scanning from the album, or the link.
                let blocked = ctx.flow == Flow::WechatInApp && wallet == Wallet::Alipay;
                let hint = if blocked {
                    texts.blocked_in_wechat.to_string()
                } else {
                    fill(texts.save_and_scan, wallet)
                };
                let copied = RwSignal::new(None::<bool>);
                let link = url
                    .clone()
                    .filter(|u| safe_url(u))
                    .unwrap_or_else(|| content.clone());
                // Alipay's own link is as blocked inside WeChat as its pages: no "Open Alipay" there.
                let open = url.clone().filter(|u| !blocked && safe_url(u)).map(|u| {
                    view! { <a class="wc-primary wc-continue" part="button" href=u target="_top">{fill(texts.open_app, wallet)}</a> }
                });
                view! {
                    <p class="wc-hint">{hint}</p>
                    {open}
                    <button type="button" class="wc-secondary" part="button secondary" on:click=move |_| tx.copy(link.clone(), copied)>{texts.copy_link}</button>
                    <p class="wc-hint" aria-live="polite">{move || match copied.get() {
                        Some(true) => texts.copied,
                        Some(false) => texts.copy_failed,
                        None => "",
                    }}</p>
                }
                .into_any()
            };
            view! { {picture} {guidance} }.into_any()
        }
        // The automatic hand-over already started; the link is there if it was blocked, and for
        // a shopper who came back without paying.
        Some(Action::Redirect { url }) if safe_url(url) => view! {
            <a class="wc-primary wc-continue" part="button" href=url.clone() target="_top" rel="noopener"
                on:click=move |_| tx.send(Event::PayPressed)>{fill(texts.continue_to, wallet)}</a>
        }
        .into_any(),
        // A gateway's HTML form, rebuilt from fields: its HTML never reaches the page.
        Some(Action::Form { url, fields }) if safe_url(url) => {
            let inputs = fields
                .iter()
                .map(|(k, v)| view! { <input type="hidden" name=k.clone() value=v.clone()/> })
                .collect::<Vec<_>>();
            view! {
                <form class="wc-form" method="post" action=url.clone() target="_top">
                    {inputs}
                    <button type="submit" class="wc-primary wc-continue" part="button">{fill(texts.continue_to, wallet)}</button>
                </form>
            }
            .into_any()
        }
        Some(Action::WechatJsapi { .. } | Action::AlipayJsapi { .. }) => {
            let note = match p.bridge {
                Some(BridgeOutcome::Cancelled | BridgeOutcome::Failed) => {
                    Some(fill(texts.bridge_closed, wallet))
                }
                Some(BridgeOutcome::Unavailable) => Some(fill(texts.bridge_missing, wallet)),
                _ => None,
            };
            let again = note.is_some().then(|| view! {
                <button type="button" class="wc-primary wc-continue" part="button" on:click=move |_| tx.send(Event::PayPressed)>{fill(texts.pay_in, wallet)}</button>
            });
            view! { {note.map(|n| view! { <p class="wc-hint">{n}</p> })} {again} }.into_any()
        }
        _ => view! { <p class="wc-hint">{texts.unsupported}</p> }.into_any(),
    };
    view! {
        <div class="wc-pending">
            <p class="wc-amount" part="amount">{amount.clone()}</p>
            {drawn}
            {timer}
            {cancel}
        </div>
    }
    .into_any()
}
