//! The console's pages as `maud` templates: every value escaped by the template, no inline script or
//! style (the CSP forbids both), one stylesheet by its hashed name, forms that work without script.

use maud::{html, Markup, DOCTYPE};
use wallet_checkout_protocol::Status;

use super::words::Words;
use crate::checkout::{OrderDetail, SessionDetail};
use crate::core::domain::{EventRecord, SessionRecord};

/// What every signed-in page's frame needs.
pub struct Frame<'a> {
    pub words: &'static Words,
    pub css: &'a str,
    /// `None`: signed out (the sign-in page).
    pub csrf: Option<&'a str>,
}

/// A page: its `<head>`, the navigation when signed in, and `body` in `<main>`.
pub fn page(frame: &Frame<'_>, heading: &str, body: Markup) -> Markup {
    let w = frame.words;
    html! {
        (DOCTYPE)
        html lang=(w.lang) {
            head {
                meta charset="utf-8";
                meta name="viewport" content="width=device-width, initial-scale=1";
                title { (heading) " · " (w.title) }
                link rel="stylesheet" href=(frame.css);
            }
            body {
                header {
                    p.brand { (w.title) }
                    @if let Some(csrf) = frame.csrf {
                        nav aria-label=(w.nav) {
                            a href="/console/" { (w.payments) }
                            a href="/console/webhooks" { (w.webhooks) }
                            form method="post" action="/console/sign-out" {
                                input type="hidden" name="csrf" value=(csrf);
                                button type="submit" { (w.sign_out) }
                            }
                        }
                    }
                }
                main {
                    h1 { (heading) }
                    (body)
                }
            }
        }
    }
}

/// A message above a page's content (`role="status"` so it is read out).
pub fn note(text: &str, error: bool) -> Markup {
    html! {
        @if error {
            p.note.error role="alert" { (text) }
        } @else {
            p.note role="status" { (text) }
        }
    }
}

pub fn sign_in(words: &'static Words, message: Option<&str>) -> Markup {
    html! {
        @if let Some(m) = message { (note(m, true)) }
        form.sign-in method="post" action="/console/sign-in" {
            label for="token" { (words.admin_token) }
            input #token type="password" name="token" autocomplete="current-password" required;
            button type="submit" { (words.sign_in) }
        }
        p.hint { (words.signed_out_note) }
    }
}

/// The payments list's filters and where its pages lead.
pub struct PaymentsView<'a> {
    pub search: &'a str,
    pub status: Option<Status>,
    pub rows: &'a [SessionRecord],
    /// The link to the next (older) page, when there may be one.
    pub older: Option<String>,
    /// Whether this is a later page (a link back to the newest).
    pub paged: bool,
    pub export_from: &'a str,
    pub export_to: &'a str,
}

pub fn order_link(reference: &str) -> String {
    format!("/console/orders/{}", super::path_segment(reference))
}

pub fn payments(words: &'static Words, v: &PaymentsView<'_>, message: Option<&str>) -> Markup {
    html! {
        @if let Some(m) = message { (note(m, true)) }
        form.filters method="get" action="/console/" role="search" {
            div {
                label for="q" { (words.search) }
                small #q-hint { (words.search_hint) }
                input #q type="search" name="q" value=(v.search) maxlength="128" aria-describedby="q-hint";
            }
            div {
                label for="status" { (words.status) }
                select #status name="status" {
                    option value="" selected[v.status.is_none()] { (words.any_status) }
                    @for s in [Status::Pending, Status::Succeeded, Status::Failed, Status::Expired, Status::Cancelled] {
                        option value=(s.as_str()) selected[v.status == Some(s)] { (words.status_word(s)) }
                    }
                }
            }
            button type="submit" { (words.apply) }
        }
        @if v.rows.is_empty() {
            p { (words.nothing_found) }
        } @else {
            div.table {
                table {
                    caption.visually-hidden { (words.payments) }
                    thead {
                        tr {
                            th scope="col" { (words.order) }
                            th scope="col" { (words.amount) }
                            th scope="col" { (words.wallet) }
                            th scope="col" { (words.gateway) }
                            th scope="col" { (words.status) }
                            th scope="col" { (words.created) }
                        }
                    }
                    tbody {
                        @for r in v.rows {
                            tr {
                                td data-label=(words.order) { a href=(order_link(&r.session.order)) { (r.session.order) } }
                                td.num data-label=(words.amount) { (words.money(&r.session.amount)) }
                                td data-label=(words.wallet) { (words.wallet_word(r.session.wallet)) }
                                td data-label=(words.gateway) { (r.session.gateway) }
                                td data-label=(words.status) { span class={"status " (r.session.status.as_str())} { (words.status_word(r.session.status)) } }
                                td data-label=(words.created) { (words.time(&r.session.created_at)) }
                            }
                        }
                    }
                }
            }
        }
        nav.pages aria-label=(words.payments) {
            @if v.paged { a href="/console/" { (words.first_page) } }
            @if let Some(older) = &v.older { a rel="next" href=(older) { (words.next_page) } }
        }
        p.hint { (words.times_utc) }
        form.export method="get" action="/console/export.csv" {
            h2 { (words.export_csv) }
            div {
                label for="from" { (words.export_from) }
                input #from type="date" name="from" value=(v.export_from) required;
            }
            div {
                label for="to" { (words.export_to) }
                input #to type="date" name="to" value=(v.export_to) required;
            }
            button type="submit" { (words.export_csv) }
        }
    }
}

fn event_list(words: &'static Words, record: &SessionRecord, events: &[EventRecord]) -> Markup {
    html! {
        ol.timeline {
            li { time datetime=(record.session.created_at) { (words.time(&record.session.created_at)) } " session.created" }
            @for e in events {
                li { time datetime=(e.created_at) { (words.time(&e.created_at)) } " " (e.kind) }
            }
        }
    }
}

fn session_block(
    words: &'static Words,
    csrf: &str,
    s: &SessionDetail,
    form_key: &str,
    refund_error: Option<(&str, &str)>,
) -> Markup {
    let r = &s.record;
    let id = &r.session.id;
    let left = wallet_checkout_protocol::Money {
        value: s.left,
        currency: r.session.amount.currency.clone(),
    };
    let error_here = refund_error.filter(|(sid, _)| sid == id).map(|(_, m)| m);
    html! {
        section.session aria-labelledby={"s-" (id)} {
            h2 #{"s-" (id)} { (words.session) " " code { (id) } }
            dl {
                dt { (words.status) } dd { span class={"status " (r.session.status.as_str())} { (words.status_word(r.session.status)) } }
                dt { (words.amount) } dd { (words.money(&r.session.amount)) }
                dt { (words.wallet) } dd { (words.wallet_word(r.session.wallet)) " · " (r.session.flow.as_str()) }
                dt { (words.gateway) } dd { (r.session.gateway) " " code { (r.gateway_ref) } }
                @if let Some(g) = &r.gateway_result {
                    dt { (words.gateway_result) } dd { code { (g.code) } " " (g.message) }
                }
            }
            h3 { (words.timeline) }
            (event_list(words, r, &s.events))
            h3 { (words.refunds) }
            @if s.refunds.is_empty() {
                p { (words.no_refunds) }
            } @else {
                ul.refunds {
                    @for f in &s.refunds {
                        li {
                            (words.money(&f.amount)) " · " (words.refund_word(f.status)) " · " (words.time(&f.created_at))
                            @if !f.reason.is_empty() { " · " (f.reason) }
                        }
                    }
                }
            }
            @if r.session.status == Status::Succeeded && s.left > 0 {
                form.refund method="post" action={"/console/sessions/" (super::path_segment(id)) "/refunds"} {
                    @if let Some(m) = error_here { (note(m, true)) }
                    input type="hidden" name="csrf" value=(csrf);
                    input type="hidden" name="key" value={(form_key) "_" (id)};
                    p { (words.left_to_refund) ": " (words.money(&left)) }
                    div {
                        label for={"amount-" (id)} { (words.amount) " (" (r.session.amount.currency) ")" }
                        small id={"amount-hint-" (id)} { (words.amount_format) }
                        input id={"amount-" (id)} type="text" inputmode="decimal" name="amount" value=(left.to_decimal()) required aria-describedby={"amount-hint-" (id)};
                    }
                    div {
                        label for={"reason-" (id)} { (words.reason) }
                        input id={"reason-" (id)} type="text" name="reason" maxlength="256";
                    }
                    button type="submit" { (words.refund) }
                }
            }
        }
    }
}

/// The order page. `form_key` is the idempotency key its refund forms carry (a double submit of
/// the same page makes one refund); `refund_error` says why a refund of a session was refused.
pub fn order(
    words: &'static Words,
    csrf: &str,
    detail: &OrderDetail,
    form_key: &str,
    notice: Option<&str>,
    refund_error: Option<(&str, &str)>,
) -> Markup {
    html! {
        @if let Some(n) = notice { (note(n, false)) }
        @if let Some(o) = &detail.order {
            dl.order {
                dt { (words.amount) } dd { (words.money(&o.amount)) }
                dt { (words.description) } dd { (o.description) }
                dt { (words.created) } dd { (words.time(&o.created_at)) }
                @if !o.metadata.is_empty() {
                    dt { (words.metadata) }
                    dd { dl.metadata { @for (k, v) in &o.metadata { dt { (k) } dd { (v) } } } }
                }
            }
        } @else {
            p.hint { (words.not_stored) }
            @if let Some(first) = detail.sessions.first() {
                dl.order {
                    dt { (words.amount) } dd { (words.money(&first.record.session.amount)) }
                    dt { (words.description) } dd { (first.record.session.description) }
                }
            }
        }
        @for s in &detail.sessions {
            (session_block(words, csrf, s, form_key, refund_error))
        }
        p.hint { (words.times_utc) }
    }
}

/// The webhooks list.
pub struct WebhooksView<'a> {
    pub events: &'a [EventRecord],
    pub older: Option<String>,
    pub paged: bool,
    /// `[webhooks]` is configured (else no retry buttons: nothing would deliver).
    pub configured: bool,
}

pub fn webhooks(
    words: &'static Words,
    csrf: &str,
    v: &WebhooksView<'_>,
    notice: Option<(&str, bool)>,
) -> Markup {
    html! {
        @if let Some((n, error)) = notice { (note(n, error)) }
        @if !v.configured { p.hint { (words.no_webhooks) } }
        @if v.events.is_empty() {
            p { "—" }
        } @else {
            div.table {
                table {
                    caption.visually-hidden { (words.webhooks) }
                    thead {
                        tr {
                            th scope="col" { (words.event_type) }
                            th scope="col" { (words.order) }
                            th scope="col" { (words.created) }
                            th scope="col" { (words.delivery) }
                            th scope="col" { (words.attempts) }
                            th scope="col" { (words.last_status) }
                            th scope="col" { span.visually-hidden { (words.retry_now) } }
                        }
                    }
                    tbody {
                        @for e in v.events {
                            @let state = if v.configured || e.delivered { delivery(e) } else { "unsent" };
                            tr {
                                td data-label=(words.event_type) { (e.kind) br; small { code { (e.id) } } }
                                td data-label=(words.order) {
                                    @if let Some(reference) = e.data.pointer("/order/reference").and_then(|r| r.as_str()) {
                                        a href=(order_link(reference)) { (reference) }
                                    }
                                }
                                td data-label=(words.created) { (words.time(&e.created_at)) }
                                td data-label=(words.delivery) { span class={"delivery " (state)} { (match state { "delivered" => words.delivered, "pending" => words.pending, "unsent" => words.not_sent, _ => words.failed }) } }
                                td.num data-label=(words.attempts) { (e.attempts) }
                                td.num data-label=(words.last_status) { @if let Some(s) = e.last_status { (s) } @else { "—" } }
                                td {
                                    @if v.configured && !e.delivered {
                                        form method="post" action={"/console/webhooks/" (super::path_segment(&e.id)) "/retry"} {
                                            input type="hidden" name="csrf" value=(csrf);
                                            button type="submit" aria-label={(words.retry_now) " " (e.id)} { (words.retry_now) }
                                        }
                                    }
                                }
                            }
                        }
                    }
                }
            }
        }
        nav.pages aria-label=(words.webhooks) {
            @if v.paged { a href="/console/webhooks" { (words.first_page) } }
            @if let Some(older) = &v.older { a rel="next" href=(older) { (words.next_page) } }
        }
        p.hint { (words.times_utc) }
    }
}

/// `delivered`, `pending` (an attempt is due) or `failed` (given up).
pub fn delivery(e: &EventRecord) -> &'static str {
    if e.delivered {
        "delivered"
    } else if e.next_attempt_ms.is_some() {
        "pending"
    } else {
        "failed"
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::checkout::SessionDetail;
    use crate::core::domain::GatewayResult;

    const HOSTILE: &str = "<script>alert(1)</script>\"><img src=x onerror=alert(2)>";

    #[test]
    fn outside_text_is_only_ever_text() {
        let mut record = crate::store::conformance::sample_record("O-1", 1, None);
        record.session.description = HOSTILE.into();
        record.session.status = Status::Succeeded;
        record.gateway_ref = HOSTILE.into();
        record.gateway_result = Some(GatewayResult {
            code: HOSTILE.into(),
            message: HOSTILE.into(),
        });
        let event = EventRecord {
            id: "evt_1".into(),
            kind: HOSTILE.into(),
            created_at: HOSTILE.into(),
            data: serde_json::json!({ "order": { "reference": HOSTILE } }),
            delivered: false,
            attempts: 1,
            next_attempt_ms: Some(1),
            last_status: Some(500),
        };
        let detail = OrderDetail {
            order: None,
            sessions: vec![SessionDetail {
                record: record.clone(),
                events: vec![event.clone()],
                refunds: Vec::new(),
                left: 1,
            }],
        };
        let csrf = "csrf\"><script>";
        for words in [&super::super::words::EN, &super::super::words::ZH_CN] {
            let frame = Frame {
                words,
                css: "/console/console.css",
                csrf: Some(csrf),
            };
            let pages = [
                page(
                    &frame,
                    HOSTILE,
                    order(
                        words,
                        csrf,
                        &detail,
                        HOSTILE,
                        Some(HOSTILE),
                        Some((&record.session.id, HOSTILE)),
                    ),
                ),
                page(
                    &frame,
                    "w",
                    webhooks(
                        words,
                        csrf,
                        &WebhooksView {
                            events: std::slice::from_ref(&event),
                            older: Some(HOSTILE.into()),
                            paged: true,
                            configured: true,
                        },
                        Some((HOSTILE, true)),
                    ),
                ),
                page(
                    &frame,
                    "p",
                    payments(
                        words,
                        &PaymentsView {
                            search: HOSTILE,
                            status: None,
                            rows: std::slice::from_ref(&record),
                            older: Some(HOSTILE.into()),
                            paged: true,
                            export_from: HOSTILE,
                            export_to: HOSTILE,
                        },
                        Some(HOSTILE),
                    ),
                ),
            ];
            for p in pages {
                let html = p.into_string();
                assert!(
                    !html.contains("<script") && !html.contains("<img"),
                    "{html}"
                );
                assert!(html.contains("&lt;script&gt;"), "shown, escaped");
                assert!(
                    !html.contains(" style=") && !html.contains("<style"),
                    "no inline style (the CSP forbids it)"
                );
            }
        }
    }

    #[test]
    fn without_webhooks_an_event_is_unsent_not_failed() {
        let e = EventRecord {
            id: "evt_1".into(),
            kind: "session.succeeded".into(),
            created_at: "2026-12-06T00:00:00Z".into(),
            data: serde_json::json!({}),
            delivered: false,
            attempts: 0,
            next_attempt_ms: None,
            last_status: None,
        };
        let view = |configured| WebhooksView {
            events: std::slice::from_ref(&e),
            older: None,
            paged: false,
            configured,
        };
        let html = webhooks(&super::super::words::EN, "c", &view(false), None).into_string();
        assert!(
            html.contains("not sent") && !html.contains("Retry now</button>"),
            "{html}"
        );
        let html = webhooks(&super::super::words::EN, "c", &view(true), None).into_string();
        assert!(
            html.contains(">failed<") && html.contains("Retry now</button>"),
            "{html}"
        );
    }
}
