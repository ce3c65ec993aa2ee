//! The JS shell's interface (`www/shell.js`): what the runtime asks the page to do, and the kinds of
//! report it sends back through the one delivery function. The shell decides nothing.

use wasm_bindgen::prelude::*;

/// What a delivery reports (the numbers are the constants at the top of `www/shell.js`).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Kind {
    /// The answer to request `seq`: `{ status, json, ms }`, or `{ failed }` with why it has none.
    Answer,
    /// One `session` event of stream `seq` (its text).
    Message,
    /// Stream `seq` ended or failed (why).
    Ended,
    /// The 1 s clock.
    Tick,
    Hidden,
    Visible,
    /// The in-app bridge answered (its raw answer), or is missing (null).
    Bridge,
    /// A copy finished: `seq` is 1 if it worked, `data` the text.
    Copied,
}

impl Kind {
    pub fn from_u32(n: u32) -> Option<Kind> {
        use Kind::*;
        [
            Answer, Message, Ended, Tick, Hidden, Visible, Bridge, Copied,
        ]
        .get(n as usize)
        .copied()
    }
}

#[wasm_bindgen]
extern "C" {
    /// One widget's shell, made by `createShell(host, options)` and passed to `mount`.
    #[derive(Debug, Clone)]
    pub type Shell;

    #[wasm_bindgen(method)]
    pub fn start(this: &Shell, deliver: &JsValue);
    #[wasm_bindgen(method)]
    pub fn stop(this: &Shell);
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
    #[wasm_bindgen(method)]
    pub fn copy(this: &Shell, text: &str);
    #[wasm_bindgen(method)]
    pub fn store(this: &Shell, key: &str, value: &JsValue) -> Option<String>;
    #[wasm_bindgen(method)]
    pub fn emit(this: &Shell, name: &str, detail: &JsValue);
    #[wasm_bindgen(method)]
    pub fn focus(this: &Shell);
    #[wasm_bindgen(method)]
    pub fn nonce(this: &Shell) -> String;
    #[wasm_bindgen(method)]
    pub fn warn(this: &Shell, message: &str, detail: &JsValue);
}
