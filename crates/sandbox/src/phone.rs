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

fn page(title: &str, head: &str, body: &str) -> Html<String> {
    Html(format!(
        r#"<!doctype html><html lang="en"><head><meta charset="utf-8"><meta name="viewport" content="width=device-width,initial-scale=1">
<title>{title}</title>{head}<style>
body{{font:16px/1.5 system-ui,sans-serif;margin:0;background:#f4f5f7;color:#1d1f23}}
main{{max-width:26rem;margin:2rem auto;background:#fff;border-radius:12px;padding:1.5rem;box-shadow:0 1px 4px #0002;overflow-wrap:anywhere}}
.tag{{display:inline-block;font-size:.75rem;background:#ffe8a3;border-radius:4px;padding:0 .4rem}}
.code{{font:600 1.6rem/1.2 ui-monospace,monospace;letter-spacing:.08em;margin:.75rem 0}}
svg{{width:100%;height:auto;background:#fff}}
label{{display:block;margin:.5rem 0}} select,button{{font:inherit;padding:.5rem;border-radius:8px}}
button{{background:#1677ff;color:#fff;border:1px solid #1677ff;padding:.6rem 1.4rem;margin-top:.5rem}}
</style></head><body><main>{body}</main></body></html>"#
    ))
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
<button type="submit">Show payment code</button></form>"#,
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
