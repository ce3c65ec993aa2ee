//! The customer's phone at a counter: `POST /sandbox/payment_codes` issues a payment code with the
//! outcome a test chooses; `/sandbox/phone` lets a person do the same and shows the code as its
//! number and a Code 128 barcode (to type, or to scan from a second screen);
//! `/sandbox/wallet/code/{code}` waits for the cashier, then opens that order's wallet page.

use axum::extract::{Path, State};
use axum::http::StatusCode;
use axum::response::{Html, IntoResponse, Redirect, Response};
use axum::{Form, Json};
use serde::Deserialize;
use serde_json::json;

use crate::codes::Outcome;
use crate::{escape, Sandbox};

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Ask {
    wallet: String,
    outcome: Outcome,
}

/// `POST /sandbox/payment_codes` `{ "wallet", "outcome" }` → `{ "code", "wallet_page" }`.
pub async fn issue(State(sandbox): State<Sandbox>, Json(ask): Json<Ask>) -> Response {
    match sandbox.inner.codes.issue(&ask.wallet, ask.outcome) {
        Some(code) => (
            StatusCode::CREATED,
            Json(json!({ "code": code, "wallet_page": format!("/sandbox/wallet/code/{code}") })),
        )
            .into_response(),
        None => (
            StatusCode::BAD_REQUEST,
            Json(json!({ "error": "wallet must be alipay, wechat_pay or unionpay" })),
        )
            .into_response(),
    }
}

/// The phone's own rules over the sandbox pages' frame (`page::page_with`).
const STYLE: &str =
    ".code{font:600 1.6rem/1.2 ui-monospace,monospace;letter-spacing:.08em;margin:.75rem 0}\
svg{width:100%;height:auto;background:#fff}\
label{display:block;margin:.5rem 0} select{font:inherit;padding:.5rem;border-radius:8px}";

fn page(title: &str, head: &str, body: &str) -> Html<String> {
    crate::page::page_with(title, head, STYLE, body)
}

/// `GET /sandbox/phone`: choose a wallet and what the payment will do, then "Show payment code".
pub async fn phone() -> Html<String> {
    page(
        "The customer's phone",
        "",
        r#"<p><span class="tag">SANDBOX</span> The customer's phone</p><h1>Pay at a counter</h1>
<form method="post" action="/sandbox/phone">
<label>Wallet <select name="wallet"><option value="alipay">Alipay</option><option value="wechat_pay">WeChat Pay</option><option value="unionpay">UnionPay</option></select></label>
<label>Then <select name="outcome"><option value="confirm">I confirm on this phone</option><option value="paid">paid at once</option><option value="declined">the code is refused</option><option value="never">I never confirm</option></select></label>
<button class="pay" type="submit">Show payment code</button></form>"#,
    )
}

/// `POST /sandbox/phone` (the form): a new code, shown on its page.
pub async fn phone_issue(State(sandbox): State<Sandbox>, Form(ask): Form<Ask>) -> Response {
    match sandbox.inner.codes.issue(&ask.wallet, ask.outcome) {
        Some(code) => Redirect::to(&format!("/sandbox/wallet/code/{code}")).into_response(),
        None => (StatusCode::BAD_REQUEST, "unknown wallet").into_response(),
    }
}

/// The code as a Code 128 barcode (character set B: any digits), as SVG.
fn barcode(code: &str) -> Option<String> {
    use barcoders::generators::svg::SVG;
    use barcoders::sym::code128::Code128;
    let encoded = Code128::new(format!("Ɓ{code}")).ok()?.encode();
    SVG::new(80).xdim(2).generate(encoded).ok()
}

/// `GET /sandbox/wallet/code/{code}`: the code to scan until a cashier sends it, then that
/// order's wallet page (where the shopper confirms).
pub async fn code_page(State(sandbox): State<Sandbox>, Path(code): Path<String>) -> Response {
    match sandbox.inner.codes.payment_of(&code) {
        None => (
            StatusCode::NOT_FOUND,
            page(
                "Unknown code",
                "",
                "<h1>Unknown code</h1><p>The sandbox did not issue this code.</p>",
            ),
        )
            .into_response(),
        Some(Some(payment)) => Redirect::to(&format!("/sandbox/wallet/{payment}")).into_response(),
        Some(None) => {
            let shown = escape(&code);
            let bars = barcode(&code).unwrap_or_default();
            page(
                "Payment code",
                r#"<meta http-equiv="refresh" content="2">"#,
                &format!(
                    r#"<p><span class="tag">SANDBOX</span> The customer's phone</p><h1>Payment code</h1>
<div role="img" aria-label="Barcode of the payment code">{bars}</div>
<p class="code" id="payment-code">{shown}</p>
<p role="status">Waiting for the cashier to scan this code.</p>"#
                ),
            )
            .into_response()
        }
    }
}
