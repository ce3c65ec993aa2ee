//! The widget in headless Chromium (wasm-bindgen-test): mount, draw the QR from a session, unmount, bad options.
//!
//! The page's `fetch` answers with the contract's JSON here, so these tests exercise the widget alone;
//! the end-to-end suite (`tests/e2e`) runs it against the real server and sandbox.
#![cfg(target_arch = "wasm32")]

use wasm_bindgen::prelude::*;
use wasm_bindgen::JsCast;
use wasm_bindgen_futures::JsFuture;
use wasm_bindgen_test::*;

wasm_bindgen_test_configure!(run_in_browser);

#[wasm_bindgen(inline_js = r#"
export function serve(createStatus, createBody) {
  sessionStorage.clear(); // each test starts without a remembered session from the one before
  window.__requests = [];
  window.fetch = async (input, init) => {
    const url = typeof input === "string" ? input : input.url;
    const method = (init && init.method) || (typeof input === "string" ? "GET" : input.method);
    window.__requests.push(method + " " + url);
    if (method === "POST") {
      return new Response(createBody, { status: createStatus, headers: { "content-type": "application/json" } });
    }
    return new Promise(() => {}); // the long poll holds
  };
}
export function requests() { return window.__requests.join("\n"); }
"#)]
extern "C" {
    fn serve(create_status: u16, create_body: &str);
    fn requests() -> String;
}

/// A pending QR session; its matrix (as the server sends it) is 21 modules a side, the first row
/// dark in runs of four (`f0` repeated).
fn session_json(expires_at: &str) -> String {
    let dark = "f0".repeat(56);
    format!(
        r#"{{"id":"cs_test","order":"A1","status":"pending","wallet":"alipay","flow":"qr","gateway":"sandbox",
            "amount":{{"value":1234,"currency":"CAD"}},"description":"Tea","created_at":"2026-01-01T00:00:00Z",
            "expires_at":"{expires_at}","action":{{"type":"qr","content":"https://example.com/pay/123",
            "matrix":{{"size":21,"dark":"{dark}"}}}}}}"#
    )
}

fn container() -> web_sys::HtmlElement {
    let doc = web_sys::window()
        .and_then(|w| w.document())
        .expect("document");
    let div: web_sys::HtmlElement = doc
        .create_element("div")
        .expect("div")
        .dyn_into()
        .expect("html element");
    doc.body()
        .expect("body")
        .append_child(&div)
        .expect("appended");
    div
}

#[wasm_bindgen(module = "/www/shell.js")]
extern "C" {
    /// The same shell the package and the script tag pass to `mount`.
    #[wasm_bindgen(js_name = createShell)]
    fn create_shell(host: &web_sys::HtmlElement, options: &JsValue) -> wallet_checkout::Shell;
}

/// `mount` as the embedding code calls it: options parsed from `json`, with the page's shell.
fn mount(div: &web_sys::HtmlElement, json: &str) -> Result<wallet_checkout::WidgetHandle, JsValue> {
    let options = js_sys::JSON::parse(json).expect("json");
    wallet_checkout::mount(div.clone(), options.clone(), create_shell(div, &options))
}

async fn sleep(ms: i32) {
    let p = js_sys::Promise::new(&mut |resolve, _| {
        let _ = web_sys::window()
            .expect("window")
            .set_timeout_with_callback_and_timeout_and_arguments_0(resolve.unchecked_ref(), ms);
    });
    let _ = JsFuture::from(p).await;
}

/// Whether `el` is shown: neither it nor an ancestor has `hidden` (the template hides the parts a
/// state does not use).
fn shown(el: &web_sys::Element) -> bool {
    let mut node = Some(el.clone());
    while let Some(e) = node {
        if e.has_attribute("hidden") {
            return false;
        }
        node = e.parent_element();
    }
    true
}

/// Waits up to 3 s for a shown element matching `selector` inside `root`.
async fn wait_for(root: &web_sys::HtmlElement, selector: &str) -> web_sys::Element {
    for _ in 0..60 {
        if let Ok(list) = root.query_selector_all(selector) {
            for i in 0..list.length() {
                if let Some(el) = list
                    .item(i)
                    .and_then(|n| n.dyn_into::<web_sys::Element>().ok())
                {
                    if shown(&el) {
                        return el;
                    }
                }
            }
        }
        sleep(50).await;
    }
    panic!("{selector} did not appear; DOM: {}", root.inner_html());
}

fn click(root: &web_sys::HtmlElement, selector: &str) {
    let el: web_sys::HtmlElement = root
        .query_selector(selector)
        .expect("query")
        .expect(selector)
        .dyn_into()
        .expect("html");
    el.click();
}

fn in_five_minutes() -> String {
    let in_five = (js_sys::Date::now() as i64).saturating_add(300_000);
    let d = js_sys::Date::new(&JsValue::from(in_five as f64));
    d.to_iso_string().as_string().expect("iso string")
}

#[wasm_bindgen_test]
async fn mount_draws_the_qr_from_the_session_and_unmount_removes_everything() {
    serve(201, &session_json(&in_five_minutes()));
    let div = container();
    let mut handle = mount(&div, r#"{"order":"A1","flow":"qr","locale":"en"}"#).expect("mounts");
    let names: Vec<String> = (0..3)
        .filter_map(|i| {
            div.query_selector_all("button.wc-wallet")
                .ok()?
                .item(i)?
                .text_content()
        })
        .collect();
    assert_eq!(names, ["Alipay", "WeChat Pay", "UnionPay"]);

    click(&div, "button[data-wallet=alipay]");
    let svg = wait_for(&div, "svg[role=img]").await;
    assert!(svg
        .get_attribute("aria-label")
        .unwrap_or_default()
        .contains("QR code"));
    let modules = svg
        .query_selector("path[fill='#000']")
        .expect("query")
        .and_then(|p| p.get_attribute("d"))
        .unwrap_or_default();
    assert!(
        modules.starts_with("M4 4h4v1h-4zM12 4h4v1h-4z"),
        "the server's matrix drawn as runs of dark modules: {}",
        &modules[..modules.len().min(40)]
    );
    let timer = wait_for(&div, "[role=timer]")
        .await
        .text_content()
        .unwrap_or_default();
    assert!(
        timer.contains("04:5") || timer.contains("05:00"),
        "countdown follows expires_at: {timer}"
    );
    let live = div
        .query_selector("[role=status]")
        .expect("query")
        .expect("live region");
    assert_eq!(live.text_content().as_deref(), Some("Waiting for payment…"));
    // The test server has no event stream: the widget falls back to one long poll.
    for _ in 0..60 {
        if requests().lines().count() >= 2 {
            break;
        }
        sleep(50).await;
    }
    sleep(200).await;
    let reqs = requests();
    let lines: Vec<&str> = reqs.lines().collect();
    assert_eq!(
        lines.len(),
        2,
        "one create, then one long poll in flight: {reqs}"
    );
    assert!(
        lines[0].starts_with("POST ") && lines[0].ends_with("/api/checkout/sessions"),
        "{reqs}"
    );
    assert!(
        lines[1].starts_with("GET ")
            && lines[1].contains("/api/checkout/sessions/cs_test?wait=25&status=pending"),
        "{reqs}"
    );

    handle.unmount();
    assert_eq!(div.inner_html(), "", "unmount removes everything");
    handle.unmount(); // twice is harmless
}

#[wasm_bindgen_test]
async fn malformed_json_gives_an_error_with_retry_not_a_blank_box() {
    serve(200, "{not json");
    let div = container();
    let mut handle = mount(&div, r#"{"order":"A1","flow":"qr","locale":"en"}"#).expect("mounts");
    click(&div, "button[data-wallet=wechat_pay]");
    let retry = wait_for(&div, ".wc-error button").await;
    assert_eq!(retry.text_content().as_deref(), Some("Retry"));
    let live = div
        .query_selector("[role=status]")
        .expect("query")
        .expect("live region");
    assert!(live
        .text_content()
        .unwrap_or_default()
        .contains("could not reach"));
    handle.unmount();
}

#[wasm_bindgen_test]
fn bad_options_throw_a_type_error_naming_the_field() {
    let div = container();
    let message = |json: &str| match mount(&div, json) {
        Ok(_) => "mounted".to_string(),
        Err(e) => {
            assert!(e.is_instance_of::<js_sys::TypeError>(), "a TypeError");
            js_sys::Error::from(e)
                .message()
                .as_string()
                .unwrap_or_default()
        }
    };
    assert!(message(r#"{}"#).contains("options.order must be a non-empty string"));
    assert!(message(r#"{"order":""}"#).contains("options.order"));
    assert!(message(r#"{"order":"A1","wallets":[]}"#).contains("options.wallets"));
    assert!(
        message(r#"{"order":"A1","returnUrl":"javascript:alert(1)"}"#)
            .contains("options.returnUrl")
    );
    assert!(message(r#"[1]"#).contains("options must be an object"));
    assert_eq!(div.inner_html(), "", "nothing half-mounted");
}
