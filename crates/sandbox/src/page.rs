//! The sandbox wallet page, where a person or a test plays the shopper: **Pay** or **Decline**.
//!
//! One page for every simulated gateway; after paying in a redirect flow it sends the shopper back
//! to the merchant's return URL, as the wallets do.

use axum::extract::{Path, State};
use axum::http::{header, StatusCode};
use axum::response::{Html, IntoResponse, Redirect, Response};
use wallet_checkout_protocol::currency_exponent;

use crate::ledger::{decimal, Change, PayState, Payment};
use crate::{escape, Sandbox};

fn amount_text(p: &Payment) -> String {
    format!(
        "{} {}",
        decimal(p.amount_minor, currency_exponent(&p.currency)),
        p.currency
    )
}

/// A sandbox page: `head` (a refresh) and `style` (the page's own rules) added to the shared frame.
pub(crate) fn page_with(title: &str, head: &str, style: &str, body: &str) -> Html<String> {
    Html(format!(
        r#"<!doctype html><html lang="en"><head><meta charset="utf-8"><meta name="viewport" content="width=device-width,initial-scale=1">
<title>{title}</title>{head}<style>
body{{font:16px/1.5 system-ui,sans-serif;margin:0;background:#f4f5f7;color:#1d1f23}}
main{{max-width:26rem;margin:2rem auto;background:#fff;border-radius:12px;padding:1.5rem;box-shadow:0 1px 4px #0002;overflow-wrap:anywhere}}
.tag{{display:inline-block;font-size:.75rem;background:#ffe8a3;border-radius:4px;padding:0 .4rem}}
.amount{{font-size:2rem;font-weight:600;margin:.5rem 0}}
form{{display:inline}} button{{font:inherit;padding:.6rem 1.4rem;border-radius:8px;border:1px solid #888;margin:.25rem .5rem .25rem 0;cursor:pointer}}
button.pay{{background:#1677ff;color:#fff;border-color:#1677ff}}
{style}</style></head><body><main>{body}</main></body></html>"#
    ))
}

fn page(title: &str, head: &str, body: &str) -> Html<String> {
    page_with(title, head, "", body)
}

fn safe_return(p: &Payment) -> Option<&str> {
    p.return_url
        .as_deref()
        .filter(|u| u.starts_with("https://") || u.starts_with("http://"))
}

pub async fn wallet(State(sandbox): State<Sandbox>, Path(payment): Path<String>) -> Response {
    let Some(p) = sandbox.payment(&payment) else {
        return (
            StatusCode::NOT_FOUND,
            page(
                "Unknown payment",
                "",
                "<h1>Unknown payment</h1><p>This code is not known to the sandbox.</p>",
            ),
        )
            .into_response();
    };
    let intro = format!(
        r#"<p><span class="tag">SANDBOX</span> {wallet} via {gateway}</p><h1>{desc}</h1><p class="amount">{amount}</p>"#,
        wallet = escape(&p.wallet),
        gateway = p.gateway.display_name(),
        desc = escape(&p.description),
        amount = escape(&amount_text(&p)),
    );
    let id = escape(&p.id);
    let tail = match p.state {
        PayState::Pending => format!(
            r#"<p>Play the shopper: approve or refuse this payment.</p>
<form method="post" action="/sandbox/wallet/{id}/pay"><button class="pay" type="submit">Pay</button></form>
<form method="post" action="/sandbox/wallet/{id}/decline"><button type="submit">Decline</button></form>"#
        ),
        PayState::Paid => {
            "<p role=\"status\">Payment complete. You can return to the shop.</p>".to_string()
        }
        PayState::Failed => "<p role=\"status\">Payment declined.</p>".to_string(),
        PayState::Expired => "<p role=\"status\">This payment has expired.</p>".to_string(),
        PayState::Cancelled => "<p role=\"status\">This payment was cancelled.</p>".to_string(),
    };
    let settled = matches!(p.state, PayState::Paid | PayState::Failed);
    let (head, back) = match safe_return(&p) {
        Some(url) if settled => {
            let url = escape(url);
            // Redirect flows hand the shopper back to the shop, as the wallet apps do.
            let refresh = if p.redirect {
                format!(r#"<meta http-equiv="refresh" content="1;url={url}">"#)
            } else {
                String::new()
            };
            (
                refresh,
                format!(r#"<p><a id="return" href="{url}">Return to the shop</a></p>"#),
            )
        }
        _ => (String::new(), String::new()),
    };
    // At a counter the shopper shows a code instead: a new one, from the customer's phone.
    let counter = r#"<p><a href="/sandbox/phone">Show payment code</a> (pay at a counter)</p>"#;
    page(
        "Sandbox wallet",
        &head,
        &format!("{intro}{tail}{back}{counter}"),
    )
    .into_response()
}

async fn settle(sandbox: Sandbox, payment: String, pay: bool) -> Response {
    // By the order's id, or by the trade number an in-app bridge was handed.
    let payment = sandbox.inner.ledger.resolve(&payment).unwrap_or(payment);
    match sandbox.inner.ledger.settle(&payment, pay, sandbox.now()) {
        Some((Change::Moved, p)) => sandbox.state_changed(p),
        Some((Change::NotAllowed(_), _)) => {}
        None => return (StatusCode::NOT_FOUND, "unknown payment").into_response(),
    }
    // Post/redirect/get: the page shows the outcome, and a reload does not pay twice.
    (
        [(header::CACHE_CONTROL, "no-store")],
        Redirect::to(&format!("/sandbox/wallet/{payment}")),
    )
        .into_response()
}

pub async fn pay(State(sandbox): State<Sandbox>, Path(payment): Path<String>) -> Response {
    settle(sandbox, payment, true).await
}

pub async fn decline(State(sandbox): State<Sandbox>, Path(payment): Path<String>) -> Response {
    settle(sandbox, payment, false).await
}

/// `POST /sandbox/wallet/{payment}/open`: where a gateway's HTML form posts the shopper.
pub async fn open(Path(payment): Path<String>) -> Response {
    Redirect::to(&format!("/sandbox/wallet/{payment}")).into_response()
}

/// `GET /sandbox/qr/{payment}`: the payment's QR as a picture (SVG), for gateways that answer a
/// QR image URL (Pass2Pay `codeImgUrl`) instead of the text to encode.
pub async fn qr_image(State(sandbox): State<Sandbox>, Path(payment): Path<String>) -> Response {
    use qrcodegen::{QrCode, QrCodeEcc};
    let Some(p) = sandbox.payment(&payment) else {
        return (StatusCode::NOT_FOUND, "unknown payment").into_response();
    };
    let Ok(code) = QrCode::encode_text(&sandbox.wallet_url(&p.id), QrCodeEcc::Medium) else {
        return (StatusCode::INTERNAL_SERVER_ERROR, "cannot encode").into_response();
    };
    let size = code.size();
    let mut d = String::new();
    for y in 0..size {
        for x in 0..size {
            if code.get_module(x, y) {
                d.push_str(&format!("M{},{}h1v1h-1z", x + 4, y + 4));
            }
        }
    }
    let side = size + 8;
    let svg = format!(
        r##"<svg xmlns="http://www.w3.org/2000/svg" viewBox="0 0 {side} {side}" shape-rendering="crispEdges"><rect width="100%" height="100%" fill="#fff"/><path d="{d}" fill="#000"/></svg>"##
    );
    (
        [
            (header::CONTENT_TYPE, "image/svg+xml"),
            (header::X_CONTENT_TYPE_OPTIONS, "nosniff"),
            (header::CACHE_CONTROL, "no-store"),
        ],
        svg,
    )
        .into_response()
}
