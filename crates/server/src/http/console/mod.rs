//! The operator's console at `/console/` on the admin listener: server-rendered pages for a shop's
//! staff (payments, an order with its refunds, webhooks, the CSV export), signed in with the admin
//! token. Handlers check the sign-in (`auth.rs`), call one service function, and render
//! (`pages.rs`, in the language of `words.rs`); `export.rs` streams the CSV. Every page has a strict
//! CSP and no script; every POST checks `Origin` and the sign-in's CSRF token.

mod auth;
mod export;
mod pages;
pub mod words;

use std::sync::Arc;

use axum::body::Bytes;
use axum::extract::{Path, Query, State};
use axum::http::{header, HeaderMap, HeaderValue, StatusCode};
use axum::response::{IntoResponse, Response};
use axum::routing::{get, post};
use axum::{Extension, Router};
use maud::Markup;
use serde::Deserialize;
use sha2::Digest;
use wallet_checkout_protocol::{Money, Status};

use crate::checkout;
use crate::core::ids::{OrderRef, SessionId};
use crate::AppState;
use pages::Frame;
use words::Words;

const CSS: &str = include_str!("console.css");
const CSP: &str = "default-src 'self'; frame-ancestors 'none'; form-action 'self'; base-uri 'none'; object-src 'none'";
/// Rows per page of payments and of webhooks.
const PAGE: usize = 50;

/// What the console's handlers share: the sign-in keys and the stylesheet's hashed path.
struct Console {
    keys: auth::Keys,
    css_path: String,
}

impl Console {
    /// A page's frame in `words`, with the navigation and sign-out form when `csrf` is a sign-in's.
    fn frame<'a>(&'a self, words: &'static Words, csrf: Option<&'a str>) -> Frame<'a> {
        Frame {
            words,
            css: &self.css_path,
            csrf,
        }
    }
}

/// Keeps the first `PAGE` of `rows` (read one more than a page, to know whether an older page
/// exists) and answers the older page's link, made from the last row kept.
fn older_page<T>(rows: &mut Vec<T>, link: impl FnOnce(&T) -> String) -> Option<String> {
    if rows.len() <= PAGE {
        return None;
    }
    rows.truncate(PAGE);
    rows.last().map(link)
}

/// The console's routes, or `None` without an admin token (no console, as no admin API).
pub fn router(admin_token: Option<&str>) -> Option<Router<AppState>> {
    let token = admin_token?;
    let hash = sha2::Sha256::digest(CSS.as_bytes());
    let css_path = format!(
        "/console/console.{}.css",
        hash.iter()
            .take(8)
            .map(|b| format!("{b:02x}"))
            .collect::<String>()
    );
    let console = Arc::new(Console {
        keys: auth::Keys::new(token),
        css_path: css_path.clone(),
    });
    Some(
        Router::new()
            .route("/console", get(|| async { redirect("/console/") }))
            .route("/console/", get(payments_page))
            .route("/console/sign-in", post(sign_in))
            .route("/console/sign-out", post(sign_out))
            .route("/console/orders/{reference}", get(order_page))
            .route("/console/sessions/{id}/refunds", post(refund))
            .route("/console/webhooks", get(webhooks_page))
            .route("/console/webhooks/{id}/retry", post(retry))
            .route("/console/export.csv", get(export::csv))
            .route(&css_path, get(stylesheet))
            .layer(axum::middleware::from_fn(headers))
            .layer(Extension(console)),
    )
}

/// Every console answer: the CSP, no sniffing, no referrer to other sites, never framed, never cached (the stylesheet, named by
/// its hash, sets its own caching).
async fn headers(req: axum::extract::Request, next: axum::middleware::Next) -> Response {
    let mut res = next.run(req).await;
    let h = res.headers_mut();
    for (name, value) in [
        (header::CONTENT_SECURITY_POLICY, CSP),
        (header::X_CONTENT_TYPE_OPTIONS, "nosniff"),
        // Not `no-referrer`: under it Firefox and WebKit send `Origin: null` on the forms' POSTs.
        (header::REFERRER_POLICY, "same-origin"),
        (header::X_FRAME_OPTIONS, "DENY"),
        (header::CACHE_CONTROL, "no-store"),
    ] {
        if !h.contains_key(&name) {
            h.insert(name, HeaderValue::from_static(value));
        }
    }
    res
}

async fn stylesheet() -> Response {
    (
        [
            (header::CONTENT_TYPE, "text/css; charset=utf-8"),
            (header::CACHE_CONTROL, "public, max-age=31536000, immutable"),
        ],
        CSS,
    )
        .into_response()
}

/// What a path segment keeps as it is: the unreserved characters, and `:`.
const SEGMENT: &percent_encoding::AsciiSet = &percent_encoding::NON_ALPHANUMERIC
    .remove(b'-')
    .remove(b'_')
    .remove(b'.')
    .remove(b'~')
    .remove(b':');

/// A path segment with everything else percent-encoded.
pub(crate) fn path_segment(text: &str) -> String {
    percent_encoding::utf8_percent_encode(text, SEGMENT).to_string()
}

fn redirect(to: &str) -> Response {
    (StatusCode::SEE_OTHER, [(header::LOCATION, to.to_string())]).into_response()
}

fn html(status: StatusCode, markup: Markup) -> Response {
    (
        status,
        [(header::CONTENT_TYPE, "text/html; charset=utf-8")],
        markup.into_string(),
    )
        .into_response()
}

fn words_for(headers: &HeaderMap) -> &'static Words {
    words::pick(
        headers
            .get(header::ACCEPT_LANGUAGE)
            .and_then(|v| v.to_str().ok()),
    )
}

fn now_secs(state: &AppState) -> i64 {
    state.clock.now().unix_timestamp()
}

/// The sign-in page, with a message and status when a try failed.
fn sign_in_page(
    console: &Console,
    w: &'static Words,
    status: StatusCode,
    message: Option<&str>,
) -> Response {
    let frame = console.frame(w, None);
    html(
        status,
        pages::page(&frame, w.sign_in_heading, pages::sign_in(w, message)),
    )
}

/// The refusal of a POST that is not from this console's own page (another origin, no or another
/// CSRF token, no sign-in): nothing was changed.
fn refused(console: &Console, w: &'static Words) -> Response {
    sign_in_page(console, w, StatusCode::FORBIDDEN, Some(w.refused_form))
}

/// A form body, parsed (an unreadable one is an empty form: every field then missing).
fn form<T: for<'de> Deserialize<'de> + Default>(body: &Bytes) -> T {
    serde_urlencoded::from_bytes(body).unwrap_or_default()
}

/// A POST's sign-in, `Origin` and CSRF token, all checked: the sign-in, or `None` (then the
/// answer is `refused`).
fn check_post(
    state: &AppState,
    console: &Console,
    headers: &HeaderMap,
    csrf: &str,
) -> Option<auth::SignedIn> {
    let signed = console.keys.signed_in(headers, now_secs(state))?;
    if !auth::same_origin(headers) || !auth::csrf_matches(&signed, csrf) {
        tracing::warn!("console POST refused: another origin or a wrong CSRF token");
        return None;
    }
    Some(signed)
}

#[derive(Debug, Default, Deserialize)]
struct SignInForm {
    #[serde(default)]
    token: String,
}

async fn sign_in(
    State(state): State<AppState>,
    Extension(console): Extension<Arc<Console>>,
    extensions: axum::http::Extensions,
    headers: HeaderMap,
    body: Bytes,
) -> Response {
    let w = words_for(&headers);
    if !auth::same_origin(&headers) {
        return refused(&console, w);
    }
    let ip = state
        .limits
        .client_ip(crate::http::serve::peer(&extensions), &headers);
    let metrics = crate::core::metrics::metrics();
    if !console.keys.may_try(ip) {
        metrics.console_sign_in_failures.inc();
        tracing::warn!(client = ?ip, "console sign-in refused: too many tries from this address");
        let mut res = sign_in_page(
            &console,
            w,
            StatusCode::TOO_MANY_REQUESTS,
            Some(w.too_many_tries),
        );
        res.headers_mut()
            .insert(header::RETRY_AFTER, HeaderValue::from_static("60"));
        return res;
    }
    let f: SignInForm = form(&body);
    if !console.keys.is_token(&f.token) {
        metrics.console_sign_in_failures.inc();
        tracing::warn!(client = ?ip, "console sign-in with a wrong token");
        return sign_in_page(&console, w, StatusCode::UNAUTHORIZED, Some(w.wrong_token));
    }
    let (value, _) = console.keys.issue(now_secs(&state));
    tracing::info!(client = ?ip, "console signed in");
    home_with_cookie(&value, &headers)
}

/// `303` to `/console/` setting the sign-in cookie to `value` (empty: the one that ends it).
fn home_with_cookie(value: &str, headers: &HeaderMap) -> Response {
    let cookie = auth::set_cookie(value, !auth::plain_loopback(headers));
    let mut res = redirect("/console/");
    if let Ok(v) = HeaderValue::from_str(&cookie) {
        res.headers_mut().insert(header::SET_COOKIE, v);
    }
    res
}

#[derive(Debug, Default, Deserialize)]
struct CsrfForm {
    #[serde(default)]
    csrf: String,
}

async fn sign_out(
    State(state): State<AppState>,
    Extension(console): Extension<Arc<Console>>,
    headers: HeaderMap,
    body: Bytes,
) -> Response {
    let f: CsrfForm = form(&body);
    if check_post(&state, &console, &headers, &f.csrf).is_none() {
        return refused(&console, words_for(&headers));
    }
    home_with_cookie("", &headers)
}

#[derive(Debug, Default, Deserialize)]
struct PaymentsQuery {
    q: Option<String>,
    status: Option<String>,
    before_at: Option<String>,
    before_id: Option<String>,
}

/// Today and 30 days before it, as the export form's defaults (`YYYY-MM-DD`, UTC).
fn export_defaults(state: &AppState) -> (String, String) {
    let today = state.clock.now().to_offset(time::UtcOffset::UTC).date();
    let from = today.checked_sub(time::Duration::days(30)).unwrap_or(today);
    (from.to_string(), today.to_string())
}

async fn payments_page(
    State(state): State<AppState>,
    Extension(console): Extension<Arc<Console>>,
    headers: HeaderMap,
    query: Result<Query<PaymentsQuery>, axum::extract::rejection::QueryRejection>,
) -> Response {
    let w = words_for(&headers);
    let Some(signed) = console.keys.signed_in(&headers, now_secs(&state)) else {
        return sign_in_page(&console, w, StatusCode::OK, None);
    };
    let q = query.map(|Query(q)| q).unwrap_or_default();
    let search = q.q.unwrap_or_default();
    let status = q.status.as_deref().and_then(Status::parse);
    let before = q.before_at.zip(q.before_id);
    let paged = before.is_some();
    let asked = crate::store::SessionQuery {
        search: Some(search.clone()),
        status,
        before,
        limit: PAGE + 1,
        ..Default::default()
    };
    let (mut rows, message) = match checkout::payments(&state, asked).await {
        Ok(rows) => (rows, None),
        Err(e) => (Vec::new(), Some(e.message)),
    };
    let older = older_page(&mut rows, |last| {
        let mut link = url::form_urlencoded::Serializer::new(String::new());
        if !search.trim().is_empty() {
            link.append_pair("q", search.trim());
        }
        if let Some(s) = status {
            link.append_pair("status", s.as_str());
        }
        link.append_pair("before_at", &last.session.created_at);
        link.append_pair("before_id", &last.session.id);
        format!("/console/?{}", link.finish())
    });
    let (export_from, export_to) = export_defaults(&state);
    let view = pages::PaymentsView {
        search: &search,
        status,
        rows: &rows,
        older,
        paged,
        export_from: &export_from,
        export_to: &export_to,
    };
    let frame = console.frame(w, Some(&signed.csrf));
    let status = if message.is_some() {
        StatusCode::BAD_REQUEST
    } else {
        StatusCode::OK
    };
    html(
        status,
        pages::page(
            &frame,
            w.payments,
            pages::payments(w, &view, message.as_deref()),
        ),
    )
}

#[derive(Debug, Default, Deserialize)]
struct OrderQuery {
    refunded: Option<String>,
}

async fn order_page(
    State(state): State<AppState>,
    Extension(console): Extension<Arc<Console>>,
    Path(reference): Path<String>,
    headers: HeaderMap,
    query: Result<Query<OrderQuery>, axum::extract::rejection::QueryRejection>,
) -> Response {
    let w = words_for(&headers);
    let Some(signed) = console.keys.signed_in(&headers, now_secs(&state)) else {
        return redirect("/console/");
    };
    let notice = query
        .ok()
        .and_then(|Query(q)| q.refunded)
        .map(|_| w.refund_done);
    render_order(&state, &console, w, &signed, &reference, notice, None).await
}

/// The order page for `reference`, with a notice or a refund's refusal (then `409`/`400`).
async fn render_order(
    state: &AppState,
    console: &Console,
    w: &'static Words,
    signed: &auth::SignedIn,
    reference: &str,
    notice: Option<&str>,
    refund_error: Option<(&str, &str, StatusCode)>,
) -> Response {
    let frame = console.frame(w, Some(&signed.csrf));
    let heading = format!("{} {reference}", w.order);
    let detail = match checkout::order_detail(state, &OrderRef::from(reference)).await {
        Ok(d) => d,
        Err(e) => {
            let status = crate::http::error::ApiError::from(e).status;
            let body = pages::note(w.no_such_order, true);
            return html(status, pages::page(&frame, &heading, body));
        }
    };
    let key = format!("console_{}", crate::core::domain::random_id(24));
    let status = refund_error.map_or(StatusCode::OK, |(_, _, s)| s);
    let error = refund_error.map(|(id, m, _)| (id, m));
    html(
        status,
        pages::page(
            &frame,
            &heading,
            pages::order(w, &signed.csrf, &detail, &key, notice, error),
        ),
    )
}

#[derive(Debug, Default, Deserialize)]
struct RefundForm {
    #[serde(default)]
    csrf: String,
    #[serde(default)]
    key: String,
    #[serde(default)]
    amount: String,
    #[serde(default)]
    reason: String,
}

/// A refund from the order page: the same service call and `Idempotency-Key` rules as
/// `POST /admin/sessions/{id}/refunds` (the form's key, made when the page was drawn, so a double
/// submit makes one refund). Refused: the order page again, saying why; nothing written.
async fn refund(
    State(state): State<AppState>,
    Extension(console): Extension<Arc<Console>>,
    Path(id): Path<String>,
    headers: HeaderMap,
    body: Bytes,
) -> Response {
    let w = words_for(&headers);
    let f: RefundForm = form(&body);
    let Some(signed) = check_post(&state, &console, &headers, &f.csrf) else {
        return refused(&console, w);
    };
    let session_id = SessionId::from(id.as_str());
    let record = match checkout::read(&state, &session_id).await {
        Ok(s) => s,
        Err(e) => {
            let status = crate::http::error::ApiError::from(e).status;
            let frame = console.frame(w, Some(&signed.csrf));
            return html(
                status,
                pages::page(&frame, w.refund, pages::note(w.no_such_order, true)),
            );
        }
    };
    let reference = record.order.clone();
    let amount = match Money::from_decimal(f.amount.trim(), &record.amount.currency) {
        Ok(m) => m.value,
        Err(e) => {
            let why = e.to_string();
            let error = Some((id.as_str(), why.as_str(), StatusCode::BAD_REQUEST));
            return render_order(&state, &console, w, &signed, &reference, None, error).await;
        }
    };
    let reason = Some(f.reason.trim().to_string()).filter(|r| !r.is_empty());
    match checkout::refund(&state, &session_id, Some(amount), reason, Some(f.key)).await {
        Ok(_) => redirect(&format!("{}?refunded=1", pages::order_link(&reference))),
        Err(e) => {
            let api = crate::http::error::ApiError::from(e);
            let error = Some((id.as_str(), api.message.as_str(), api.status));
            render_order(&state, &console, w, &signed, &reference, None, error).await
        }
    }
}

#[derive(Debug, Default, Deserialize)]
struct WebhooksQuery {
    before: Option<String>,
    retried: Option<String>,
}

async fn webhooks_page(
    State(state): State<AppState>,
    Extension(console): Extension<Arc<Console>>,
    headers: HeaderMap,
    query: Result<Query<WebhooksQuery>, axum::extract::rejection::QueryRejection>,
) -> Response {
    let w = words_for(&headers);
    let Some(signed) = console.keys.signed_in(&headers, now_secs(&state)) else {
        return redirect("/console/");
    };
    let q = query.map(|Query(q)| q).unwrap_or_default();
    let notice = match q.retried.as_deref() {
        Some("1") => Some((w.retry_done, false)),
        Some(_) => Some((w.retry_gone, true)),
        None => None,
    };
    let frame = console.frame(w, Some(&signed.csrf));
    let before = q.before.filter(|b| b.len() <= 64);
    let mut events = match checkout::webhook_events(&state, before.as_deref(), PAGE + 1).await {
        Ok(e) => e,
        Err(e) => {
            let api = crate::http::error::ApiError::from(e);
            return html(
                api.status,
                pages::page(&frame, w.webhooks, pages::note(&api.message, true)),
            );
        }
    };
    let older = older_page(&mut events, |last| {
        let mut link = url::form_urlencoded::Serializer::new(String::new());
        link.append_pair("before", &last.id);
        format!("/console/webhooks?{}", link.finish())
    });
    let view = pages::WebhooksView {
        events: &events,
        older,
        paged: before.is_some(),
        configured: state.webhooks.is_some(),
    };
    html(
        StatusCode::OK,
        pages::page(
            &frame,
            w.webhooks,
            pages::webhooks(w, &signed.csrf, &view, notice),
        ),
    )
}

async fn retry(
    State(state): State<AppState>,
    Extension(console): Extension<Arc<Console>>,
    Path(id): Path<String>,
    headers: HeaderMap,
    body: Bytes,
) -> Response {
    let f: CsrfForm = form(&body);
    if check_post(&state, &console, &headers, &f.csrf).is_none() {
        return refused(&console, words_for(&headers));
    }
    match checkout::retry_webhook(&state, &id).await {
        Ok(true) => redirect("/console/webhooks?retried=1"),
        Ok(false) => redirect("/console/webhooks?retried=0"),
        Err(e) => {
            let api = crate::http::error::ApiError::from(e);
            (api.status, api.message).into_response()
        }
    }
}
