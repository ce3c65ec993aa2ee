//! The Leptos view: renders a `State` and sends `Event`s; no logic of its own.

use std::rc::Rc;

use leptos::prelude::*;
use wallet_checkout_protocol::{Action, Session, Status, Wallet};

use super::runtime::Runtime;
use crate::i18n::Texts;
use crate::machine::{Event, Pending, State};
use crate::qr;
use crate::time::countdown;

/// Sends events to the runtime from view closures (which must be `Send`; the runtime is not).
#[derive(Clone, Copy)]
struct Sender(StoredValue<Rc<Runtime>, LocalStorage>);

impl Sender {
    fn send(self, event: Event) {
        if let Some(rt) = self.0.try_get_value() {
            rt.dispatch(event);
        }
    }
}

pub fn checkout(rt: Rc<Runtime>, state: RwSignal<State>) -> impl IntoView {
    let texts = rt.texts;
    let lang = rt.locale.tag();
    let wallets = rt.options.wallets.clone();
    let tx = Sender(StoredValue::new_local(rt));
    let busy = move || matches!(state.get(), State::Creating { .. });
    let paid = move || matches!(state.get(), State::Done(ref s) if s.status == Status::Succeeded);
    let chosen = move || match state.get() {
        State::Creating { wallet, .. } => Some(wallet),
        State::Pending(p) => Some(p.session.wallet),
        State::Done(s) => Some(s.wallet),
        _ => None,
    };
    let buttons = wallets
        .into_iter()
        .map(|w| {
            view! {
                <button type="button" class="wc-wallet" data-wallet=w.as_str()
                    aria-pressed=move || (chosen() == Some(w)).to_string()
                    disabled=busy
                    on:click=move |_| tx.send(Event::WalletChosen(w))>
                    {w.display_name()}
                </button>
            }
        })
        .collect_view();
    view! {
        <div class="wc" lang=lang>
            <div class="wc-wallets" role="group" aria-label=texts.choose hidden=paid>{buttons}</div>
            <div class="wc-body">{move || body(state.get(), texts, tx)}</div>
            <p class="wc-status" role="status" aria-live="polite">{move || status_text(&state.get(), texts)}</p>
        </div>
    }
}

fn status_text(state: &State, texts: &'static Texts) -> String {
    match state {
        State::Choosing => String::new(),
        State::Creating { .. } => texts.preparing.into(),
        State::Pending(_) => texts.waiting.into(),
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

fn body(state: State, texts: &'static Texts, tx: Sender) -> AnyView {
    match state {
        State::Choosing | State::Creating { .. } => ().into_any(),
        State::Pending(p) => pending(p, texts),
        State::Done(s) if s.status == Status::Succeeded => view! {
            <div class="wc-done wc-success">
                <svg class="wc-check" viewBox="0 0 24 24" aria-hidden="true"><path d="M4 12.5l5 5L20 6.5"/></svg>
                <p class="wc-amount">{s.amount.to_string()}</p>
            </div>
        }
        .into_any(),
        State::Done(s) => {
            let wallet = s.wallet;
            let label = if s.status == Status::Expired { texts.new_code } else { texts.try_again };
            view! {
                <div class="wc-done">
                    <button type="button" class="wc-primary" on:click=move |_| tx.send(Event::WalletChosen(wallet))>{label}</button>
                </div>
            }
            .into_any()
        }
        State::Error { .. } => view! {
            <div class="wc-error">
                <button type="button" class="wc-primary" on:click=move |_| tx.send(Event::RetryPressed)>{texts.retry}</button>
            </div>
        }
        .into_any(),
    }
}

fn pending(p: Pending, texts: &'static Texts) -> AnyView {
    let s: &Session = &p.session;
    let wallet: Wallet = s.wallet;
    let timer = p.remaining_secs().map(|secs| {
        view! { <p class="wc-timer" role="timer" aria-live="off">{texts.expires_in}" "<span class="wc-time">{countdown(secs)}</span></p> }
    });
    let amount = s.amount.to_string();
    let drawn = match &s.action {
        Some(Action::Qr { content, image, .. }) => match qr::encode(content) {
            Some(code) => {
                let label = format!("{} {} · {}", texts.qr_label, amount, wallet.display_name());
                let view_box = format!("0 0 {0} {0}", code.size);
                Some(view! {
                    <svg class="wc-qr" role="img" aria-label=label viewBox=view_box shape-rendering="crispEdges">
                        <rect width="100%" height="100%" fill="#fff"/>
                        <path d=code.d fill="#000"/>
                    </svg>
                }
                .into_any())
            }
            // A payload too long to draw: the gateway's own image, if it is a safe data URL.
            None => image
                .clone()
                .filter(|i| i.starts_with("data:image/png;base64,") || i.starts_with("data:image/jpeg;base64,") || i.starts_with("data:image/gif;base64,"))
                .map(|src| view! { <img class="wc-qr" src=src alt=format!("{} {}", texts.qr_label, amount)/> }.into_any()),
        },
        // Hand-over to the gateway's page: a link the shopper follows (the automatic hand-over and
        // the resume on return come with the widget-flows work). Only https or this page's origin.
        Some(Action::Redirect { url }) if safe_url(url) => Some(
            view! { <a class="wc-primary wc-continue" href=url.clone() target="_top" rel="noopener">{texts.continue_to}" "{wallet.display_name()}</a> }
                .into_any(),
        ),
        // A gateway's HTML form, rebuilt from fields: its HTML never reaches the page.
        Some(Action::Form { url, fields }) if safe_url(url) => {
            let inputs = fields
                .iter()
                .map(|(k, v)| view! { <input type="hidden" name=k.clone() value=v.clone()/> })
                .collect::<Vec<_>>();
            Some(
                view! {
                    <form class="wc-form" method="post" action=url.clone() target="_top">
                        {inputs}
                        <button type="submit" class="wc-primary wc-continue">{texts.continue_to}" "{wallet.display_name()}</button>
                    </form>
                }
                .into_any(),
            )
        }
        _ => None,
    };
    let hint = match &s.action {
        Some(Action::Qr { .. }) | None => texts.scan_with,
        Some(Action::Redirect { .. } | Action::Form { .. }) => "",
        _ => texts.open_in_app,
    };
    let hint = (!hint.is_empty())
        .then(|| view! { <p class="wc-hint">{hint}" "{wallet.display_name()}</p> });
    view! {
        <div class="wc-pending">
            <p class="wc-amount">{amount.clone()}</p>
            {drawn}
            {hint}
            {timer}
        </div>
    }
    .into_any()
}

/// Whether the widget may send the shopper to `url`: https anywhere, or this page's own origin
/// (the demo's sandbox). Everything the server sends is untrusted.
fn safe_url(url: &str) -> bool {
    if url.starts_with("https://") {
        return true;
    }
    let origin = web_sys::window().and_then(|w| w.location().origin().ok());
    origin.is_some_and(|o| url.starts_with(&format!("{o}/")))
}
