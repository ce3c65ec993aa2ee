//! `ServiceError`: how the checkout service says no, in its own words (a kind, the contract's code
//! and a message), never in HTTP's. The HTTP edge (`error.rs`) is the one place a kind becomes a status code.

use wallet_checkout_protocol::ErrorCode;

/// What kind of "no" it is; the HTTP edge picks the status code for each.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Kind {
    /// The request cannot be right as sent (a bad field, an unknown key, an amount that does not fit).
    Invalid,
    /// What it names does not exist.
    NotFound,
    /// It conflicts with what is already so (paid, locked, not refundable, changed meanwhile).
    Conflict,
    /// Understood, but the payment provider or the setup cannot take it (a wallet not offered).
    Unprocessable,
    /// Too many requests from one address: try again after `retry_after`.
    RateLimited,
    /// A party upstream (the gateway, the shop's order source) failed or refused.
    Upstream,
    /// The gateway did not answer in time.
    UpstreamTimeout,
    /// The store cannot be reached now: the same request may be made again after `retry_after`.
    Unavailable,
    /// A bug or a broken setup.
    Internal,
}

/// The service's refusal: the kind, the contract's code and a message for whoever asked.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ServiceError {
    pub kind: Kind,
    pub code: ErrorCode,
    pub message: String,
    /// Seconds the caller should wait before trying again.
    pub retry_after: Option<u64>,
}

impl ServiceError {
    pub fn new(kind: Kind, code: ErrorCode, message: impl Into<String>) -> ServiceError {
        ServiceError {
            kind,
            code,
            message: message.into(),
            retry_after: None,
        }
    }

    /// `Invalid` with the contract's `invalid_request`.
    pub fn invalid(message: impl Into<String>) -> ServiceError {
        ServiceError::new(Kind::Invalid, ErrorCode::InvalidRequest, message)
    }

    /// `Internal` with the contract's `internal`.
    pub fn internal(message: impl Into<String>) -> ServiceError {
        ServiceError::new(Kind::Internal, ErrorCode::Internal, message)
    }

    pub fn session_not_found() -> ServiceError {
        ServiceError::new(
            Kind::NotFound,
            ErrorCode::SessionNotFound,
            "no such session",
        )
    }

    /// `RateLimited`, to try again after `secs` (at least 1).
    pub fn rate_limited(secs: u64, message: impl Into<String>) -> ServiceError {
        ServiceError {
            retry_after: Some(secs.max(1)),
            ..ServiceError::new(Kind::RateLimited, ErrorCode::RateLimited, message)
        }
    }
}

impl std::fmt::Display for ServiceError {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "{}: {}", self.code.as_str(), self.message)
    }
}

impl std::error::Error for ServiceError {}
