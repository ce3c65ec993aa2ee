//! Serving on the open internet: the accept loop both binaries run (HTTP/1.1 by hyper, with its
//! timer), the connection cap, the body limit and deadline every router gets, and the graceful
//! shutdown on SIGTERM or Ctrl-C.
//!
//! - Request headers must arrive within `HEADER_TIMEOUT` (10 s). hyper times the wait for the next
//!   request's headers on a kept-alive connection with the same timer, so an idle connection is
//!   closed after 10 s too (well inside the contract's 60 s).
//! - A body must arrive whole within `BODY_TIMEOUT` (30 s, `408`) and hold at most `MAX_BODY`
//!   (64 KiB, `413`); both answer the contract's error shape.
//! - Past `[limits] max_connections`, or past `connections_per_ip` from one address (an IPv6 one by
//!   its /64; trusted proxies exempt), a connection gets a canned `429 rate_limited` with
//!   `Retry-After` and is closed, without reading its request.
//! - Shutdown: stop accepting, end every event stream and long poll (the hub's close), let
//!   in-flight requests finish for up to `DRAIN`, then return so the caller drops the store.

use std::convert::Infallible;
use std::future::Future;
use std::net::SocketAddr;
use std::sync::Arc;
use std::time::Duration;

use axum::body::Body;
use axum::extract::{ConnectInfo, Request};
use axum::http::{header, StatusCode};
use axum::middleware::Next;
use axum::response::{IntoResponse, Response};
use axum::Router;
use hyper_util::rt::{TokioIo, TokioTimer};
use tokio::io::AsyncWriteExt;
use tokio::net::TcpListener;
use tokio::sync::Semaphore;
use tower::ServiceExt;
use wallet_checkout_protocol::ErrorCode;

use crate::core::hub::Hub;
use crate::http::error::ApiError;

pub const HEADER_TIMEOUT: Duration = Duration::from_secs(10);
pub const BODY_TIMEOUT: Duration = Duration::from_secs(30);
pub const MAX_BODY: usize = 64 * 1024;
/// How long in-flight requests may take to finish after a shutdown signal.
pub const DRAIN: Duration = Duration::from_secs(10);

/// The body limit and deadline, as a layer for any router: the whole body is read first (at most
/// `MAX_BODY` bytes, within `BODY_TIMEOUT`), so no handler ever waits on a slow client.
pub fn bounded(router: Router) -> Router {
    router.layer(axum::middleware::from_fn(read_body))
}

async fn read_body(req: Request, next: Next) -> Response {
    let declared = req
        .headers()
        .get(header::CONTENT_LENGTH)
        .and_then(|v| v.to_str().ok())
        .and_then(|v| v.parse::<u64>().ok());
    if declared.is_some_and(|n| n > MAX_BODY as u64) {
        return too_large().into_response();
    }
    let (parts, body) = req.into_parts();
    let bytes = match tokio::time::timeout(BODY_TIMEOUT, axum::body::to_bytes(body, MAX_BODY)).await
    {
        Ok(Ok(b)) => b,
        Ok(Err(e)) => {
            let limit = std::error::Error::source(&e)
                .is_some_and(|s| s.is::<http_body_util::LengthLimitError>());
            return if limit {
                too_large().into_response()
            } else {
                ApiError::invalid("the request body could not be read").into_response()
            };
        }
        Err(_) => {
            return ApiError::new(
                StatusCode::REQUEST_TIMEOUT,
                ErrorCode::InvalidRequest,
                "the request body did not arrive within 30 s",
            )
            .into_response()
        }
    };
    next.run(Request::from_parts(parts, Body::from(bytes)))
        .await
}

fn too_large() -> ApiError {
    ApiError::new(
        StatusCode::PAYLOAD_TOO_LARGE,
        ErrorCode::InvalidRequest,
        "the request body is over 64 KiB",
    )
}

/// What to serve on one listener.
pub struct Listener {
    pub listener: TcpListener,
    pub router: Router,
}

/// Serves every listener until `shutdown` resolves, then drains (see the module's comment).
pub async fn run(
    listeners: Vec<Listener>,
    caps: crate::http::limits::Caps,
    hub: Hub,
    shutdown: impl Future<Output = ()>,
) {
    let max_connections = fit_file_limit(caps.max_connections, listeners.len());
    let graceful = Arc::new(hyper_util::server::graceful::GracefulShutdown::new());
    let (stop_tx, stop_rx) = tokio::sync::watch::channel(false);
    let mut loops = Vec::new();
    for l in listeners {
        // Each listener has its own slots: a flood on the public port leaves `[admin] listen` room.
        let slots = Arc::new(Semaphore::new(max_connections.max(1)));
        let per_address = crate::http::limits::PerAddress::new(&caps);
        let mut stop = stop_rx.clone();
        let graceful = graceful.clone();
        loops.push(tokio::spawn(async move {
            loop {
                let (stream, peer) = tokio::select! {
                    accepted = l.listener.accept() => match accepted {
                        Ok(a) => a,
                        Err(e) => {
                            // Out of file descriptors and the like: wait a little, keep serving.
                            tracing::warn!(error = %e, "accept failed");
                            tokio::time::sleep(Duration::from_millis(50)).await;
                            continue;
                        }
                    },
                    _ = stop.changed() => break,
                };
                // One address first: a client holding its share cannot take the listener's.
                let Some(place) = per_address.take(peer.ip()) else {
                    tokio::spawn(refuse(stream));
                    continue;
                };
                let Ok(slot) = slots.clone().try_acquire_owned() else {
                    tokio::spawn(refuse(stream));
                    continue;
                };
                let _ = stream.set_nodelay(true);
                // A peer that vanished (a phone changing networks) is found within about a minute,
                // so its event stream gives back its place on the session and its slot.
                let keepalive = socket2::TcpKeepalive::new()
                    .with_time(Duration::from_secs(30))
                    .with_interval(Duration::from_secs(10))
                    .with_retries(3);
                let _ = socket2::SockRef::from(&stream).set_tcp_keepalive(&keepalive);
                let router = l.router.clone();
                let service =
                    hyper::service::service_fn(move |mut req: Request<hyper::body::Incoming>| {
                        req.extensions_mut().insert(ConnectInfo(peer));
                        let router = router.clone();
                        async move {
                            Ok::<_, Infallible>(
                                router
                                    .oneshot(req.map(Body::new))
                                    .await
                                    .unwrap_or_else(|never| match never {}),
                            )
                        }
                    });
                let conn = hyper::server::conn::http1::Builder::new()
                    .timer(TokioTimer::new())
                    .header_read_timeout(HEADER_TIMEOUT)
                    .max_buf_size(64 * 1024)
                    .serve_connection(TokioIo::new(stream), service);
                let conn = graceful.watch(conn);
                tokio::spawn(async move {
                    let _ = conn.await;
                    drop(slot);
                    drop(place);
                });
            }
        }));
    }
    shutdown.await;
    tracing::info!("shutting down: no new connections; ending streams; finishing requests");
    let _ = stop_tx.send(true);
    for l in loops {
        let _ = l.await;
    }
    hub.close();
    // Every accept loop has ended, so this is the last handle.
    let Ok(graceful) = Arc::try_unwrap(graceful) else {
        return;
    };
    if tokio::time::timeout(DRAIN, graceful.shutdown())
        .await
        .is_err()
    {
        tracing::warn!("requests still running after {DRAIN:?}; stopping anyway");
    }
}

/// The answer to a connection past the cap: written at once, the request never read.
async fn refuse(mut stream: tokio::net::TcpStream) {
    let body =
        r#"{"error":{"code":"rate_limited","message":"too many connections; try again shortly"}}"#;
    let answer = format!(
        "HTTP/1.1 429 Too Many Requests\r\ncontent-type: application/json\r\nretry-after: 1\r\nconnection: close\r\ncontent-length: {}\r\n\r\n{body}",
        body.len()
    );
    let _ = tokio::time::timeout(Duration::from_secs(2), async {
        let _ = stream.write_all(answer.as_bytes()).await;
        let _ = stream.shutdown().await;
        // A lingering close: what the client already sent is read and dropped, so closing does not
        // reset the connection before the client has read the 429.
        let mut sink = [0u8; 4096];
        while matches!(tokio::io::AsyncReadExt::read(&mut stream, &mut sink).await, Ok(n) if n > 0)
        {
        }
    })
    .await;
}

/// Raises the open-file limit to its hard maximum and keeps `max_connections` per listener within
/// it (with room for the store, gateway and webhook calls): past the limit `accept` would fail and
/// new shoppers would wait in the backlog instead of hearing `429`.
fn fit_file_limit(max_connections: usize, listeners: usize) -> usize {
    let limit = rlimit::increase_nofile_limit(u64::MAX).unwrap_or(1024);
    let room = usize::try_from(limit)
        .unwrap_or(usize::MAX)
        .saturating_sub(256)
        / listeners.max(1);
    if max_connections > room {
        tracing::warn!(
            max_connections,
            open_files = limit,
            "[limits] max_connections is more than the open-file limit allows; using {room} per listener (raise LimitNOFILE / ulimit -n)"
        );
        room.max(1)
    } else {
        max_connections
    }
}

/// What both binaries do once everything is bound: serve until SIGTERM or Ctrl-C with the state's
/// limits, drain, then drop the state (the store closes, SQLite checkpoints, as its last handle goes).
pub async fn until_signal(state: crate::AppState, listeners: Vec<Listener>) {
    run(listeners, state.limits.caps(), state.hub.clone(), signal()).await;
    drop(state);
}

/// Resolves on SIGTERM or Ctrl-C.
pub async fn signal() {
    let ctrl_c = async {
        let _ = tokio::signal::ctrl_c().await;
    };
    #[cfg(unix)]
    let term = async {
        match tokio::signal::unix::signal(tokio::signal::unix::SignalKind::terminate()) {
            Ok(mut s) => {
                s.recv().await;
            }
            Err(_) => std::future::pending::<()>().await,
        }
    };
    #[cfg(not(unix))]
    let term = std::future::pending::<()>();
    tokio::select! {
        _ = ctrl_c => {}
        _ = term => {}
    }
}

/// The peer's address a request came from, when served by `run`.
pub fn peer(extensions: &axum::http::Extensions) -> Option<SocketAddr> {
    extensions
        .get::<ConnectInfo<SocketAddr>>()
        .map(|ConnectInfo(a)| *a)
}
