//! The browser side: `mount()` for JS, options checking, HTTP, the effect runtime and the Leptos view.

#[cfg(not(feature = "serde-codec"))]
pub mod decode;
#[cfg(feature = "serde-codec")]
#[path = "decode_serde.rs"]
pub mod decode;
pub mod net;
pub mod options;
pub mod runtime;
pub mod shell;
pub mod view;

use std::any::Any;
use std::rc::Rc;

use leptos::prelude::*;
use wasm_bindgen::prelude::*;

use crate::machine::State;
use runtime::Runtime;

/// What `mount()` returns to JS: `unmount()` removes the widget and stops every request and timer.
#[wasm_bindgen]
pub struct WidgetHandle {
    view: Option<Box<dyn Any>>,
    runtime: Option<Rc<Runtime>>,
}

/// Freed from JS (`free()`, `using`) without `unmount()`: stop everything all the same, so no timer or
/// listener calls into dropped closures.
impl Drop for WidgetHandle {
    fn drop(&mut self) {
        self.unmount();
    }
}

#[wasm_bindgen]
impl WidgetHandle {
    /// Removes the widget's DOM, aborts requests in flight, clears timers. Safe to call twice.
    pub fn unmount(&mut self) {
        if let Some(rt) = self.runtime.take() {
            rt.stop();
        }
        self.view.take();
    }
}

/// Mounts the checkout into `element` with `options` (`{ order, endpoint?, wallets?, flow?, locale?,
/// returnUrl?, on…? }`); `shell` is `createShell(element, options)` from `www/shell.js`, which does
/// the page's side of every effect.
///
/// Throws a `TypeError` naming the bad field and the expected shape if the options are wrong.
#[wasm_bindgen]
pub fn mount(
    element: web_sys::HtmlElement,
    options: JsValue,
    shell: shell::Shell,
) -> Result<WidgetHandle, JsValue> {
    let options =
        options::parse(&options).map_err(|msg| JsValue::from(js_sys::TypeError::new(&msg)))?;
    let runtime = Runtime::new(options, shell);
    let rt = runtime.clone();
    let view = leptos::mount::mount_to(element, move || {
        let state = RwSignal::new(State::Choosing);
        let copied = RwSignal::new(None);
        rt.attach(state, copied);
        view::checkout(rt.clone(), state, copied)
    });
    runtime.start();
    Ok(WidgetHandle {
        view: Some(Box::new(view)),
        runtime: Some(runtime),
    })
}

/// Whether the widget may send the shopper to `url`: https anywhere, or this page's own origin
/// (the demo's sandbox). Everything the server sends is untrusted.
pub fn safe_url(url: &str) -> bool {
    if url.starts_with("https://") {
        return true;
    }
    let origin = web_sys::window().and_then(|w| w.location().origin().ok());
    origin.is_some_and(|o| url.starts_with(&format!("{o}/")))
}
