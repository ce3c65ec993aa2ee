//! The one place connectors send HTTP: maps timeouts, transport failures and 5xx to `GatewayError`,
//! and keeps URLs (which may carry ids) out of error messages.

use reqwest::header::HeaderMap;
use reqwest::RequestBuilder;

use super::GatewayError;

/// A gateway's answer that came back with a non-5xx status.
#[derive(Debug)]
pub struct Answer {
    pub status: reqwest::StatusCode,
    pub headers: HeaderMap,
    pub body: String,
}

fn classify(e: reqwest::Error) -> GatewayError {
    if e.is_timeout() {
        GatewayError::Timeout
    } else {
        GatewayError::Transport(e.without_url().to_string())
    }
}

/// Sends `request`; an HTTP 5xx (a gateway or its load balancer failing) is a `BadResponse`.
pub async fn send(request: RequestBuilder) -> Result<Answer, GatewayError> {
    let response = request.send().await.map_err(classify)?;
    let status = response.status();
    let headers = response.headers().clone();
    let body = response.text().await.map_err(classify)?;
    if status.is_server_error() {
        return Err(GatewayError::BadResponse(format!("HTTP {status}")));
    }
    if status == reqwest::StatusCode::TOO_MANY_REQUESTS {
        return Err(GatewayError::declined(
            "429",
            "rate limited by the gateway",
            super::Refusal::Transient,
        ));
    }
    Ok(Answer {
        status,
        headers,
        body,
    })
}
