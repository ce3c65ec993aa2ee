//! The JS shell's interface (`www/shell.js`): what the runtime asks the page to do, and the kinds of
//! report it sends back through the one delivery function. The shell decides nothing.

use wasm_bindgen::prelude::*;

/// What a delivery reports: the seam's one table (`crate::seam`), checked against `www/shell.js`.
pub use crate::seam::Report as Kind;

#[wasm_bindgen]
extern "C" {
    /// One widget's shell, made by `createShell(host, options)` and passed to `mount`.
    #[derive(Debug, Clone)]
    pub type Shell;

    #[wasm_bindgen(method)]
    pub fn start(this: &Shell, deliver: &JsValue);
    #[wasm_bindgen(method)]
    pub fn stop(this: &Shell);
    /// One tick in `delay_ms` (replacing the one set before); `None` stops the clock.
    #[wasm_bindgen(method)]
    pub fn clock(this: &Shell, delay_ms: Option<u32>);
    #[wasm_bindgen(method)]
    pub fn halt(this: &Shell);
    #[wasm_bindgen(method)]
    #[allow(clippy::too_many_arguments)]
    pub fn request(
        this: &Shell,
        seq: u32,
        delay_ms: u32,
        method: &str,
        url: &str,
        body: Option<String>,
        key: Option<String>,
        timeout_ms: u32,
    );
    #[wasm_bindgen(method)]
    pub fn stream(this: &Shell, seq: u32, delay_ms: u32, url: &str, silent_ms: u32);
    #[wasm_bindgen(method)]
    pub fn fail(this: &Shell, seq: u32, why: &str);
    #[wasm_bindgen(method)]
    pub fn go(this: &Shell, url: &str) -> bool;
    #[wasm_bindgen(method)]
    pub fn submit(this: &Shell, url: &str, fields: &JsValue);
    #[wasm_bindgen(method)]
    pub fn bridge(this: &Shell, name: &str, method: &str, api: &str, args: &JsValue);
    #[wasm_bindgen(method)]
    pub fn unbridge(this: &Shell);
    #[wasm_bindgen(method, js_name = miniProgram)]
    pub fn mini_program(this: &Shell, message: &JsValue);
    #[wasm_bindgen(method)]
    pub fn copy(this: &Shell, text: &str);
    #[wasm_bindgen(method)]
    pub fn store(this: &Shell, key: &str, value: &JsValue) -> Option<String>;
    #[wasm_bindgen(method)]
    pub fn emit(this: &Shell, name: &str, detail: &JsValue);
    #[wasm_bindgen(method)]
    pub fn focus(this: &Shell);
    /// The counter's field (`www/counter.js`, fetched on first use) with `note` (`"declined"`,
    /// `"invalid"` or `""`), cleared and focused: a new code is wanted. What it reads is
    /// delivered as `SCANNED`.
    #[wasm_bindgen(method)]
    pub fn field(this: &Shell, lang: &str, note: &str);
    /// The counter's camera stops (a code is being paid).
    #[wasm_bindgen(method)]
    pub fn scan(this: &Shell);
    #[wasm_bindgen(method)]
    pub fn nonce(this: &Shell) -> String;
    /// The language the embedding code picked for the shopper (`www/first.js`, `pickLocale`): a tag
    /// of `Locale::ALL`, `"en"` when it was given none.
    #[wasm_bindgen(method)]
    pub fn language(this: &Shell) -> String;
    /// The table of words the embedding code fetched for `tag` (`www/locales/<tag>.json`), or
    /// `undefined` if it has none (it failed to load, or another language was picked there).
    #[wasm_bindgen(method)]
    pub fn words(this: &Shell, tag: &str) -> JsValue;
    #[wasm_bindgen(method)]
    pub fn warn(this: &Shell, message: &str, detail: &JsValue);
}
