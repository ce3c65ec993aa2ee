//! The widget's iframe page (`GET /api/checkout/frame`, iframe mode): `dist/frame.html` served with
//! its own strict Content-Security-Policy, so the host page needs no `'wasm-unsafe-eval'`.

use std::path::PathBuf;
use std::sync::Arc;

use axum::http::{header, HeaderValue, StatusCode};
use axum::response::{IntoResponse, Response};
use axum::routing::get;
use axum::Router;

/// Where the page is and which origins may embed it (`'self'` always may).
#[derive(Debug, Clone)]
pub struct FramePage {
    /// `frame.html` as `cargo xtask dist` wrote it.
    pub page: PathBuf,
    /// Exact origins (`https://shop.example`) allowed to frame the page, besides this server.
    pub ancestors: Vec<String>,
}

impl FramePage {
    /// The page's policy: wasm may compile here and nothing else is loosened. Scripts, styles and
    /// the API come from this origin; QR images may be data URLs or the gateway's https images;
    /// a gateway form posts to https (or this origin: the sandbox).
    pub fn policy(&self) -> String {
        let mut ancestors = String::from("'self'");
        for a in &self.ancestors {
            ancestors.push(' ');
            ancestors.push_str(a);
        }
        format!(
            "default-src 'none'; script-src 'self' 'wasm-unsafe-eval'; style-src 'self'; \
             img-src 'self' data: https:; connect-src 'self'; form-action 'self' https:; \
             base-uri 'none'; frame-ancestors {ancestors}"
        )
    }
}

/// Checks `[frame] ancestors`: each must be a bare origin, so the policy cannot be widened by a typo.
pub fn valid_origin(origin: &str) -> bool {
    let rest = origin
        .strip_prefix("https://")
        .or_else(|| origin.strip_prefix("http://"));
    rest.is_some_and(|host| {
        !host.is_empty()
            && host
                .chars()
                .all(|c| c.is_ascii_alphanumeric() || matches!(c, '.' | '-' | ':'))
    })
}

pub fn router<S: Clone + Send + Sync + 'static>(frame: FramePage) -> Router<S> {
    let frame = Arc::new(frame);
    Router::new().route(
        "/api/checkout/frame",
        get(move || {
            let frame = frame.clone();
            async move { page(&frame).await }
        }),
    )
}

async fn page(frame: &FramePage) -> Response {
    let Ok(html) = tokio::fs::read_to_string(&frame.page).await else {
        tracing::error!(page = %frame.page.display(), "the iframe page is missing: run `cargo xtask dist`");
        return (StatusCode::NOT_FOUND, "the iframe page is not built").into_response();
    };
    // The page's script hears only these parents (and its own origin): the same list as the policy.
    let html = html.replacen(
        r#"<meta name="wallet-checkout-ancestors" content="">"#,
        &format!(
            r#"<meta name="wallet-checkout-ancestors" content="{}">"#,
            frame.ancestors.join(" ")
        ),
        1,
    );
    let Ok(policy) = HeaderValue::from_str(&frame.policy()) else {
        return StatusCode::INTERNAL_SERVER_ERROR.into_response();
    };
    (
        [
            (
                header::CONTENT_TYPE,
                HeaderValue::from_static("text/html; charset=utf-8"),
            ),
            (header::CONTENT_SECURITY_POLICY, policy),
            (
                header::X_CONTENT_TYPE_OPTIONS,
                HeaderValue::from_static("nosniff"),
            ),
            (
                header::REFERRER_POLICY,
                HeaderValue::from_static("strict-origin-when-cross-origin"),
            ),
            (header::CACHE_CONTROL, HeaderValue::from_static("no-cache")),
        ],
        html,
    )
        .into_response()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn policy_allows_wasm_and_only_the_named_ancestors() {
        let f = FramePage {
            page: PathBuf::from("frame.html"),
            ancestors: vec!["https://shop.example".into()],
        };
        let p = f.policy();
        assert!(p.contains("script-src 'self' 'wasm-unsafe-eval';"));
        assert!(p.ends_with("frame-ancestors 'self' https://shop.example"));
        assert!(!p.contains("unsafe-inline"));
    }

    #[test]
    fn ancestors_must_be_bare_origins() {
        assert!(valid_origin("https://shop.example"));
        assert!(valid_origin("http://127.0.0.1:8080"));
        assert!(!valid_origin("https://shop.example/path"));
        assert!(!valid_origin("*"));
        assert!(!valid_origin("https://a; script-src *"));
        assert!(!valid_origin("shop.example"));
    }
}
