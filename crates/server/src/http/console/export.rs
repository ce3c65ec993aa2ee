//! `GET /console/export.csv?from=YYYY-MM-DD&to=YYYY-MM-DD`: one row per session created in the days
//! `from` to `to` (UTC, both included), newest first, written page by page as the body streams (the
//! `csv` crate), so a range of ten years holds one page in memory, never the whole file.

use std::sync::Arc;

use axum::body::{Body, Bytes};
use axum::extract::{Query, State};
use axum::http::{header, HeaderMap, StatusCode};
use axum::response::{IntoResponse, Response};
use axum::Extension;
use serde::Deserialize;

use super::Console;
use crate::checkout::{self, ExportRow};
use crate::AppState;

/// The contract's columns (amounts in minor units, as in the API).
pub const HEADER: [&str; 10] = [
    "order",
    "session",
    "amount",
    "currency",
    "wallet",
    "gateway",
    "status",
    "created_at",
    "paid_at",
    "refunded",
];
/// Sessions read per page of the export.
const ROWS_PER_PAGE: usize = 500;

#[derive(Debug, Default, Deserialize)]
pub(super) struct Range {
    from: Option<String>,
    to: Option<String>,
}

/// `[from 00:00:00Z, the day after to 00:00:00Z)`, or what is wrong with the range.
fn bounds(range: &Range) -> Result<(String, String, String), &'static str> {
    let format = time::macros::format_description!("[year]-[month]-[day]");
    let day = |s: &Option<String>| {
        s.as_deref()
            .and_then(|s| time::Date::parse(s.trim(), &format).ok())
    };
    let (Some(from), Some(to)) = (day(&range.from), day(&range.to)) else {
        return Err("from and to must be dates: YYYY-MM-DD");
    };
    if from > to {
        return Err("from must not be after to");
    }
    let after = to.next_day().ok_or("to is the last day there is")?;
    Ok((
        format!("{from}T00:00:00Z"),
        format!("{after}T00:00:00Z"),
        format!("payments-{from}-to-{to}.csv"),
    ))
}

fn record(row: &ExportRow) -> [String; 10] {
    let s = &row.record.session;
    [
        s.order.clone(),
        s.id.clone(),
        s.amount.value.to_string(),
        s.amount.currency.clone(),
        s.wallet.as_str().to_string(),
        s.gateway.clone(),
        s.status.as_str().to_string(),
        s.created_at.clone(),
        row.paid_at.clone().unwrap_or_default(),
        row.refunded.to_string(),
    ]
}

/// One page of rows as CSV text (`header` first on the first page).
fn chunk(rows: &[ExportRow], header: bool) -> Result<Bytes, csv::Error> {
    let mut w = csv::Writer::from_writer(Vec::with_capacity(rows.len() * 128));
    if header {
        w.write_record(HEADER)?;
    }
    for r in rows {
        w.write_record(record(r))?;
    }
    let bytes = w
        .into_inner()
        .map_err(|e| csv::Error::from(e.into_error()))?;
    Ok(Bytes::from(bytes))
}

/// Where the stream is: the next page starts after `before`; `None` once done.
struct Cursor {
    state: AppState,
    from: String,
    until: String,
    before: Option<(String, String)>,
    first: bool,
}

async fn next_chunk(
    cursor: Option<Cursor>,
) -> Option<(Result<Bytes, std::io::Error>, Option<Cursor>)> {
    let mut c = cursor?;
    let page = checkout::export_page(
        &c.state,
        c.from.clone(),
        c.until.clone(),
        c.before.clone(),
        ROWS_PER_PAGE,
    )
    .await;
    let rows = match page {
        Ok(rows) => rows,
        Err(e) => {
            // The download ends broken (no silent short file): the browser reports it failed.
            tracing::error!(error = %e.message, "CSV export cut short: the store failed");
            return Some((Err(std::io::Error::other("store failed")), None));
        }
    };
    let bytes = match chunk(&rows, c.first) {
        Ok(b) => b,
        Err(e) => return Some((Err(std::io::Error::other(e.to_string())), None)),
    };
    let more = rows.len() == ROWS_PER_PAGE;
    c.first = false;
    c.before = rows.last().map(|r| {
        (
            r.record.session.created_at.clone(),
            r.record.session.id.clone(),
        )
    });
    Some((Ok(bytes), more.then_some(c)))
}

pub(super) async fn csv(
    State(state): State<AppState>,
    Extension(console): Extension<Arc<Console>>,
    headers: HeaderMap,
    query: Result<Query<Range>, axum::extract::rejection::QueryRejection>,
) -> Response {
    if console
        .keys
        .signed_in(&headers, super::now_secs(&state))
        .is_none()
    {
        return super::redirect("/console/");
    }
    let range = query.map(|Query(r)| r).unwrap_or_default();
    let (from, until, filename) = match bounds(&range) {
        Ok(b) => b,
        Err(why) => return (StatusCode::BAD_REQUEST, why).into_response(),
    };
    let cursor = Cursor {
        state,
        from,
        until,
        before: None,
        first: true,
    };
    let stream = futures_util::stream::unfold(Some(cursor), next_chunk);
    (
        [
            (header::CONTENT_TYPE, "text/csv; charset=utf-8".to_string()),
            (
                header::CONTENT_DISPOSITION,
                format!("attachment; filename=\"{filename}\""),
            ),
        ],
        Body::from_stream(stream),
    )
        .into_response()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn ranges_are_whole_utc_days_both_included() {
        let r = |from: &str, to: &str| Range {
            from: Some(from.into()),
            to: Some(to.into()),
        };
        assert_eq!(
            bounds(&r("2026-12-01", "2026-12-06")),
            Ok((
                "2026-12-01T00:00:00Z".into(),
                "2026-12-07T00:00:00Z".into(),
                "payments-2026-12-01-to-2026-12-06.csv".into()
            ))
        );
        assert!(bounds(&r("2016-12-07", "2026-12-06")).is_ok(), "ten years");
        for (from, to) in [
            ("2026-12-07", "2026-12-06"),
            ("2026-13-01", "2026-12-06"),
            ("yesterday", "2026-12-06"),
            ("2026-12-01'; DROP TABLE sessions; --", "2026-12-06"),
            ("", ""),
        ] {
            assert!(bounds(&r(from, to)).is_err(), "{from} {to}");
        }
        assert!(bounds(&Range::default()).is_err());
    }
}
