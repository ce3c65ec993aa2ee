//! The widget's release files from this server (`[widget] dist`): each file `cargo xtask dist` lists
//! in `manifest.json`, at `/{file}`, checked against the manifest's sha384 at start, served with its
//! type, a year's `immutable` caching (every name carries its content's hash), CORS for any origin
//! (public files a shop's page fetches with `integrity` and `crossorigin`), and the brotli and gzip
//! copies `cargo xtask dist` wrote beside them. Nothing else in the folder is served.

use std::path::{Path, PathBuf};

use axum::http::{header, HeaderValue};
use axum::Router;
use base64::Engine;
use serde::Deserialize;
use sha2::{Digest, Sha384};
use tower_http::services::ServeFile;
use tower_http::set_header::SetResponseHeaderLayer;

/// `[widget]`.
#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct WidgetConfig {
    /// The folder `cargo xtask dist` wrote (its `manifest.json` names the files).
    pub dist: PathBuf,
}

/// The files checked at start, ready to serve.
#[derive(Debug, Clone)]
pub struct WidgetFiles {
    pub dir: PathBuf,
    pub files: Vec<String>,
}

/// A manifest larger than this, or with more files, is not one `cargo xtask dist` wrote.
const MAX_MANIFEST: u64 = 256 * 1024;
const MAX_FILES: usize = 64;
/// One release file at most (the wasm is about 250 KB).
const MAX_FILE: u64 = 16 * 1024 * 1024;

#[derive(Deserialize)]
struct Manifest {
    files: Vec<ManifestFile>,
}

#[derive(Deserialize)]
struct ManifestFile {
    file: String,
    sha384: String,
}

/// A release file's name: `wallet-checkout…` in letters, digits, `.`, `-`, `_`, no path.
fn valid_name(name: &str) -> bool {
    name.starts_with("wallet-checkout")
        && !name.contains("..")
        && name.len() <= 128
        && name
            .chars()
            .all(|c| c.is_ascii_alphanumeric() || matches!(c, '.' | '-' | '_'))
}

impl WidgetConfig {
    /// Reads the manifest and checks every file it lists against its sha384, so a half-copied or
    /// stale folder is refused at start rather than failing in shoppers' browsers (the widget loads
    /// each file with `integrity`).
    pub fn checked(&self) -> Result<WidgetFiles, String> {
        let dir = &self.dist;
        let at = dir.join("manifest.json");
        let say = |what: String| {
            format!(
                "[widget] dist = {:?}: {what} (run `cargo xtask dist` and copy its dist/ folder whole)",
                dir.display()
            )
        };
        let text = read_capped(&at, MAX_MANIFEST)
            .map_err(|e| say(format!("cannot read manifest.json: {e}")))?;
        let manifest: Manifest = serde_json::from_slice(&text).map_err(|e| {
            say(format!(
                "manifest.json is not the one cargo xtask dist writes: {e}"
            ))
        })?;
        if manifest.files.is_empty() || manifest.files.len() > MAX_FILES {
            return Err(say(format!(
                "manifest.json lists {} files",
                manifest.files.len()
            )));
        }
        let mut files = Vec::with_capacity(manifest.files.len());
        for f in manifest.files {
            if !valid_name(&f.file) {
                return Err(say(format!(
                    "manifest.json lists {:?}, not a release file's name",
                    f.file
                )));
            }
            let bytes = read_capped(&dir.join(&f.file), MAX_FILE)
                .map_err(|e| say(format!("cannot read {}: {e}", f.file)))?;
            let digest = base64::engine::general_purpose::STANDARD.encode(Sha384::digest(&bytes));
            if f.sha384 != format!("sha384-{digest}") {
                return Err(say(format!(
                    "{} does not match its sha384 in manifest.json",
                    f.file
                )));
            }
            files.push(f.file);
        }
        Ok(WidgetFiles {
            dir: dir.clone(),
            files,
        })
    }
}

fn read_capped(path: &Path, cap: u64) -> Result<Vec<u8>, String> {
    let meta = std::fs::metadata(path).map_err(|e| e.to_string())?;
    if meta.len() > cap {
        return Err(format!("{} bytes, more than {cap}", meta.len()));
    }
    std::fs::read(path).map_err(|e| e.to_string())
}

/// `GET /{file}` for each release file (HEAD too; other methods `405`).
pub fn router<S: Clone + Send + Sync + 'static>(w: &WidgetFiles) -> Router<S> {
    let mut router = Router::new();
    for file in &w.files {
        let serve = ServeFile::new(w.dir.join(file))
            .precompressed_br()
            .precompressed_gzip();
        router = router.route_service(&format!("/{file}"), serve);
    }
    router
        // Only an answer with the file is kept a year (a 404 is not).
        .layer(SetResponseHeaderLayer::overriding(
            header::CACHE_CONTROL,
            |r: &axum::http::Response<_>| {
                (r.status().is_success() || r.status() == axum::http::StatusCode::NOT_MODIFIED)
                    .then(|| HeaderValue::from_static("public, max-age=31536000, immutable"))
            },
        ))
        .layer(SetResponseHeaderLayer::overriding(
            header::ACCESS_CONTROL_ALLOW_ORIGIN,
            HeaderValue::from_static("*"),
        ))
        .layer(SetResponseHeaderLayer::overriding(
            header::HeaderName::from_static("cross-origin-resource-policy"),
            HeaderValue::from_static("cross-origin"),
        ))
        .layer(SetResponseHeaderLayer::overriding(
            header::X_CONTENT_TYPE_OPTIONS,
            HeaderValue::from_static("nosniff"),
        ))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn only_release_names_are_served() {
        assert!(valid_name("wallet-checkout.0366e19893a1.wasm"));
        assert!(valid_name("wallet-checkout-0.1.0.d53b3f010925.js"));
        assert!(!valid_name("index.html"));
        assert!(!valid_name("wallet-checkout/../../etc/passwd"));
        assert!(!valid_name("wallet-checkout..js"));
        assert!(!valid_name("wallet-checkout x.js"));
    }
}
