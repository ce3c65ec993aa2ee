//! The sandbox wallet page, where a person or a test plays the shopper: **Pay** or **Decline**.

use axum::extract::{Path, State};
use axum::http::{header, StatusCode};
use axum::response::{Html, IntoResponse, Redirect, Response};

use crate::alphapay::{spawn_notification, Order, OrderState};
use crate::{escape, Sandbox};

fn amount_text(order: &Order) -> String {
    // AlphaPay amounts are minor units; CAD, USD and CNY all have two decimals.
    let v: u64 = order.amount_value.parse().unwrap_or(0);
    format!("{}.{:02} {}", v / 100, v % 100, order.currency)
}

fn page(title: &str, body: &str) -> Html<String> {
    Html(format!(
        r#"<!doctype html><html lang="en"><head><meta charset="utf-8"><meta name="viewport" content="width=device-width,initial-scale=1">
<title>{title}</title><style>
body{{font:16px/1.5 system-ui,sans-serif;margin:0;background:#f4f5f7;color:#1d1f23}}
main{{max-width:26rem;margin:2rem auto;background:#fff;border-radius:12px;padding:1.5rem;box-shadow:0 1px 4px #0002}}
.tag{{display:inline-block;font-size:.75rem;background:#ffe8a3;border-radius:4px;padding:0 .4rem}}
.amount{{font-size:2rem;font-weight:600;margin:.5rem 0}}
form{{display:inline}} button{{font:inherit;padding:.6rem 1.4rem;border-radius:8px;border:1px solid #888;margin:.25rem .5rem .25rem 0;cursor:pointer}}
button.pay{{background:#1677ff;color:#fff;border-color:#1677ff}}
</style></head><body><main>{body}</main></body></html>"#
    ))
}

pub async fn wallet(State(sandbox): State<Sandbox>, Path(payment): Path<String>) -> Response {
    let Some(order) = sandbox.inner.alphapay.order(&payment, sandbox.now()) else {
        return (
            StatusCode::NOT_FOUND,
            page(
                "Unknown payment",
                "<h1>Unknown payment</h1><p>This code is not known to the sandbox.</p>",
            ),
        )
            .into_response();
    };
    let head = format!(
        r#"<p><span class="tag">SANDBOX</span> {method} via AlphaPay</p><h1>{desc}</h1><p class="amount">{amount}</p>"#,
        method = escape(&order.method_type),
        desc = escape(&order.description),
        amount = escape(&amount_text(&order)),
    );
    let id = escape(&order.payment_id);
    let tail = match order.state {
        OrderState::InProcess => format!(
            r#"<p>Play the shopper: approve or refuse this payment.</p>
<form method="post" action="/sandbox/wallet/{id}/pay"><button class="pay" type="submit">Pay</button></form>
<form method="post" action="/sandbox/wallet/{id}/decline"><button type="submit">Decline</button></form>"#
        ),
        OrderState::Success => {
            "<p role=\"status\">Payment complete. You can return to the shop.</p>".to_string()
        }
        OrderState::Failed => "<p role=\"status\">Payment declined.</p>".to_string(),
        OrderState::Closed => "<p role=\"status\">This payment has expired.</p>".to_string(),
    };
    let back = match (&order.redirect_url, order.state) {
        (Some(url), OrderState::Success | OrderState::Failed) if url.starts_with("http") => {
            format!(r#"<p><a href="{}">Return to the shop</a></p>"#, escape(url))
        }
        _ => String::new(),
    };
    page("Sandbox wallet", &format!("{head}{tail}{back}")).into_response()
}

async fn settle(sandbox: Sandbox, payment: String, pay: bool) -> Response {
    match sandbox.inner.alphapay.settle(&payment, pay, sandbox.now()) {
        Some(order) => spawn_notification(&sandbox, order),
        None if sandbox
            .inner
            .alphapay
            .order(&payment, sandbox.now())
            .is_none() =>
        {
            return (StatusCode::NOT_FOUND, "unknown payment").into_response();
        }
        None => {}
    }
    // Post/redirect/get: the page shows the outcome, and a reload does not pay twice.
    (
        [(header::CACHE_CONTROL, "no-store")],
        Redirect::to(&format!("/sandbox/wallet/{}", payment)),
    )
        .into_response()
}

pub async fn pay(State(sandbox): State<Sandbox>, Path(payment): Path<String>) -> Response {
    settle(sandbox, payment, true).await
}

pub async fn decline(State(sandbox): State<Sandbox>, Path(payment): Path<String>) -> Response {
    settle(sandbox, payment, false).await
}
