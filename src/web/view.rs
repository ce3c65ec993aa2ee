//! The Leptos view: one fixed template bound to the state's `Screen` (words and controls chosen in
//! `screen.rs`); it sends `Event`s and has no logic of its own. Bindings go through type-erased
//! signals made by three helpers, so the template costs one instantiation per kind of value.

use std::rc::Rc;

use leptos::prelude::*;
use wallet_checkout_protocol::Money;
use wasm_bindgen::JsValue;

use super::runtime::{Copied, Runtime};
use super::safe_url;
use crate::machine::{Event, State};
use crate::qr::{self, QrPath};
use crate::screen::{screen, Look, Screen};

/// Sends events to the runtime from view closures (which must be `Send`; the runtime is not).
#[derive(Clone, Copy)]
struct Sender(StoredValue<Rc<Runtime>, LocalStorage>);

impl Sender {
    fn send(self, event: Event) {
        if let Some(rt) = self.0.try_get_value() {
            rt.dispatch(event);
        }
    }

    /// Copies `text`; the runtime records in `copied` which link it was and whether it worked.
    fn copy(self, text: &str) {
        if let Some(rt) = self.0.try_get_value() {
            rt.copy(text);
        }
    }
}

fn text(screen: Memo<Screen>, f: fn(&Screen) -> String) -> Signal<String> {
    Signal::derive(move || screen.with(f))
}

fn flag(screen: Memo<Screen>, f: fn(&Screen) -> bool) -> Signal<bool> {
    Signal::derive(move || screen.with(f))
}

fn attr(screen: Memo<Screen>, f: fn(&Screen) -> Option<String>) -> Signal<Option<String>> {
    Signal::derive(move || screen.with(f))
}

pub fn checkout(rt: Rc<Runtime>, state: RwSignal<State>, copied: Copied) -> impl IntoView {
    let texts = rt.texts;
    let look = Look {
        texts,
        lang: rt.locale.tag(),
        flow: rt.flow,
        amount: amount_text,
        safe_url,
    };
    let tx = Sender(StoredValue::new_local(rt.clone()));
    let screen = Memo::new(move |_| state.with(|s| screen(s, &look)));
    // The QR is drawn once per matrix, not on every tick of the countdown.
    let content = Memo::new(move |_| screen.with(|s| s.qr.clone()));
    let picture: Memo<Option<QrPath>> =
        Memo::new(move |_| content.with(|c| c.as_ref().and_then(qr::path)));

    let buttons = rt
        .options
        .wallets
        .iter()
        .map(|&w| {
            // Its mark is drawn by the embedding code (`www/first.js`), which paints it first.
            view! {
                <button type="button" class="wc-wallet" part="wallet" data-wallet=w.as_str()
                    aria-pressed=Signal::derive(move || (screen.with(|s| s.chosen) == Some(w)).to_string())
                    disabled=flag(screen, |s| s.busy)
                    on:click=move |_| tx.send(Event::WalletChosen(w))>
                    <span>{texts.name(w)}</span>
                </button>
            }
        })
        .collect_view();
    let press = move |_| {
        if let Some((_, p)) = screen.with_untracked(|s| s.primary.clone()) {
            tx.send(p.event());
        }
    };
    let follow = move |_| {
        if screen.with_untracked(|s| s.link.as_ref().is_some_and(|l| l.pays)) {
            tx.send(Event::PayPressed);
        }
    };
    let copy = move |_| {
        if let Some(link) = screen.with_untracked(|s| s.copy.clone()) {
            tx.copy(&link);
        }
    };
    // "Link copied" belongs to the link it copied: a new code clears it.
    let copied_text = Signal::derive(move || {
        let current = screen.with(|s| s.copy.clone());
        match copied.get() {
            Some((link, ok)) if Some(&link) == current.as_ref() => {
                if ok { texts.copied } else { texts.copy_failed }.to_string()
            }
            _ => String::new(),
        }
    });
    let no_picture = Signal::derive(move || picture.with(Option::is_none));
    // Absent, not empty, while there is no code: an empty `viewBox` is an error in the console.
    let view_box = Signal::derive(move || {
        picture.with(|p| p.as_ref().map(|p| format!("0 0 {0} {0}", p.size)))
    });
    let path = Signal::derive(move || picture.with(|p| p.as_ref().map(|p| p.d.clone())));
    // The gateway's own picture only when the payload is too long to draw here.
    let image = Signal::derive(move || {
        if picture.with(Option::is_some) {
            None
        } else {
            screen.with(|s| s.qr_image.clone())
        }
    });

    view! {
        <div class="wc" part="root" lang=look.lang>
            <div class="wc-wallets" role="group" aria-label=texts.choose hidden=flag(screen, |s| s.wallets_hidden)>{buttons}</div>
            // The counter's field: `www/counter.js` builds it here (`Runtime::enter_code` reads it).
            <div class="wc-code" part="code" hidden=flag(screen, |s| !s.code)></div>
            <div class="wc-body">
                <div class=text(screen, |s| s.body.to_string()) hidden=flag(screen, |s| s.body.is_empty())>
                    <svg class="wc-check" viewBox="0 0 24 24" aria-hidden="true" hidden=flag(screen, |s| !s.tick)><path d="M4 12.5l5 5L20 6.5"/></svg>
                    <p class="wc-amount" part="amount" hidden=flag(screen, |s| s.amount.is_none())>{text(screen, |s| s.amount.clone().unwrap_or_default())}</p>
                    <svg class=text(screen, |s| if s.qr_big { "wc-qr wc-qr-big" } else { "wc-qr" }.to_string()) part="qr" role="img"
                        aria-label=text(screen, |s| s.qr_label.clone()) viewBox=view_box shape-rendering="crispEdges" hidden=no_picture>
                        <rect width="100%" height="100%" fill="#fff"/>
                        <path d=path fill="#000"/>
                    </svg>
                    <img class="wc-qr" part="qr" src=image alt=text(screen, |s| s.qr_label.clone()) hidden=Signal::derive(move || image.with(Option::is_none))/>
                    <p class="wc-hint" hidden=flag(screen, |s| s.hint.is_none())>{text(screen, |s| s.hint.clone().unwrap_or_default())}</p>
                    <a class="wc-primary wc-continue" part="button" target="_top" rel="noopener"
                        href=attr(screen, |s| s.link.as_ref().map(|l| l.href.clone()))
                        hidden=flag(screen, |s| s.link.is_none()) on:click=follow>
                        {text(screen, |s| s.link.as_ref().map(|l| l.text.clone()).unwrap_or_default())}
                    </a>
                    <button type="button" class="wc-secondary" part="button secondary" hidden=flag(screen, |s| s.copy.is_none()) on:click=copy>{texts.copy_link}</button>
                    <p class="wc-hint" aria-live="polite" hidden=flag(screen, |s| s.copy.is_none())>{copied_text}</p>
                    <button type="button" part="button" on:click=press
                        class=text(screen, |s| match &s.primary {
                            Some((_, crate::screen::Press::Pay)) => "wc-primary wc-continue",
                            _ => "wc-primary",
                        }.to_string())
                        hidden=flag(screen, |s| s.primary.is_none())>
                        {text(screen, |s| s.primary.as_ref().map(|p| p.0.clone()).unwrap_or_default())}
                    </button>
                    <p class="wc-timer" role="timer" aria-live="off" hidden=flag(screen, |s| s.timer.is_none())>
                        {texts.expires_in}" "<span class="wc-time">{text(screen, |s| s.timer.as_ref().map(|t| t.0.clone()).unwrap_or_default())}</span>
                    </p>
                    <p class="wc-sr" aria-live="polite" hidden=flag(screen, |s| s.timer.is_none())>{text(screen, |s| s.timer.as_ref().map(|t| t.1.clone()).unwrap_or_default())}</p>
                    <button type="button" class="wc-link" part="link" hidden=flag(screen, |s| !s.cancel) on:click=move |_| tx.send(Event::CancelPressed)>{texts.cancel}</button>
                </div>
            </div>
            <p class="wc-status" part="status" role="status" aria-live="polite" tabindex="-1">{text(screen, |s| s.status.clone())}</p>
        </div>
    }
}

#[wasm_bindgen::prelude::wasm_bindgen]
extern "C" {
    /// `Intl.NumberFormat`, bound directly (no `Reflect::construct` in the wasm).
    #[wasm_bindgen(js_namespace = Intl)]
    type NumberFormat;
    /// Throws a `RangeError` for a currency the browser does not know: caught.
    #[wasm_bindgen(constructor, js_namespace = Intl, catch)]
    fn new(locales: &str, options: &js_sys::Object) -> Result<NumberFormat, JsValue>;
    #[wasm_bindgen(method, catch)]
    fn format(this: &NumberFormat, value: &str) -> Result<String, JsValue>;
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
    NumberFormat::new(lang, &options)
        .and_then(|nf| nf.format(&money.to_decimal()))
        .unwrap_or_else(|_| money.to_string())
}
