//! The widget's release files from the server (`[widget] dist`): the manifest's files only, with
//! their types, a year's immutable caching, CORS for any origin and their compressed copies; the
//! iframe page from the same folder; a folder that does not match its manifest refused at start.

use std::path::{Path, PathBuf};

use sha2::{Digest, Sha384};
use wallet_checkout_server::http::widget::WidgetConfig;

use super::*;

const WASM: &str = "wallet-checkout.0123456789ab.wasm";
const LOADER: &str = "wallet-checkout-0.1.0.ba9876543210.js";

fn integrity(bytes: &[u8]) -> String {
    format!(
        "sha384-{}",
        base64::engine::general_purpose::STANDARD.encode(Sha384::digest(bytes))
    )
}

/// A folder as `cargo xtask dist` writes it: two release files (the wasm with a `.br` copy), the
/// manifest, the iframe page and a demo page that must not be served.
fn dist(files: &[(&str, &[u8])]) -> PathBuf {
    let dir = std::env::temp_dir().join(format!("wc-widget-{}", random_id(10)));
    std::fs::create_dir_all(&dir).expect("temp dir");
    let mut listed = Vec::new();
    for (name, bytes) in files {
        std::fs::write(dir.join(name), bytes).expect("file");
        listed.push(
            json!({ "file": name, "sha384": integrity(bytes), "purpose": "test", "widget": true }),
        );
    }
    std::fs::write(dir.join(format!("{WASM}.br")), b"pretend-brotli").expect("br");
    std::fs::write(
        dir.join("manifest.json"),
        json!({ "name": "wallet-checkout", "files": listed }).to_string(),
    )
    .expect("manifest");
    std::fs::write(
        dir.join("frame.html"),
        "<!doctype html><title>the frame from dist</title>",
    )
    .expect("frame");
    std::fs::write(dir.join("index.html"), "the demo shop").expect("index");
    dir
}

fn good() -> PathBuf {
    dist(&[
        (WASM, b"\0asm-the-widget"),
        (LOADER, b"window.WalletCheckout={};"),
    ])
}

async fn serving(dir: &Path) -> TestDemo {
    let dir = dir.to_path_buf();
    demo_with(move |o| o.config.widget = Some(WidgetConfig { dist: dir })).await
}

#[tokio::test]
async fn release_files_are_served_immutable_with_their_type_cors_and_compressed_copy() {
    let dir = good();
    let d = serving(&dir).await;
    let http = reqwest::Client::new();

    let res = http
        .get(format!("{}/{WASM}", d.base))
        .send()
        .await
        .expect("answered");
    assert_eq!(res.status(), StatusCode::OK);
    let h = res.headers().clone();
    assert_eq!(h["content-type"], "application/wasm");
    assert_eq!(h["cache-control"], "public, max-age=31536000, immutable");
    assert_eq!(h["access-control-allow-origin"], "*");
    assert_eq!(h["cross-origin-resource-policy"], "cross-origin");
    assert_eq!(h["x-content-type-options"], "nosniff");
    assert!(h.get("content-encoding").is_none());
    assert_eq!(
        res.bytes().await.expect("body").as_ref(),
        b"\0asm-the-widget"
    );

    // A browser that takes brotli gets the copy written beside the file.
    let res = http
        .get(format!("{}/{WASM}", d.base))
        .header("accept-encoding", "gzip, br")
        .send()
        .await
        .expect("answered");
    assert_eq!(res.status(), StatusCode::OK);
    assert_eq!(res.headers()["content-encoding"], "br");
    assert_eq!(res.headers()["content-type"], "application/wasm");
    assert_eq!(res.bytes().await.expect("body").as_ref(), b"pretend-brotli");

    let res = http
        .get(format!("{}/{LOADER}", d.base))
        .send()
        .await
        .expect("answered");
    assert_eq!(res.status(), StatusCode::OK);
    let js = res.headers()["content-type"].to_str().unwrap_or_default();
    assert!(js.starts_with("text/javascript"), "{js}");

    // Nothing else in the folder, and not a year's caching for what is not there.
    for other in [
        "/manifest.json",
        "/index.html",
        "/frame.html",
        &format!("/{WASM}.br"),
    ] {
        let res = http
            .get(format!("{}{other}", d.base))
            .send()
            .await
            .expect("answered");
        assert_eq!(res.status(), StatusCode::NOT_FOUND, "{other}");
        assert!(res
            .headers()
            .get("cache-control")
            .is_none_or(|c| c.to_str().is_ok_and(|c| !c.contains("immutable"))));
    }
    let res = http
        .post(format!("{}/{WASM}", d.base))
        .send()
        .await
        .expect("answered");
    assert_eq!(res.status(), StatusCode::METHOD_NOT_ALLOWED);

    // Without `[frame]`, the iframe page is the folder's, with its policy.
    let res = http
        .get(format!("{}/api/checkout/frame", d.base))
        .send()
        .await
        .expect("answered");
    assert_eq!(res.status(), StatusCode::OK);
    assert!(res.headers()["content-security-policy"]
        .to_str()
        .is_ok_and(|p| p.contains("frame-ancestors 'self'")));
    assert!(res
        .text()
        .await
        .expect("body")
        .contains("the frame from dist"));
}

#[test]
fn a_folder_that_does_not_match_its_manifest_is_refused_naming_what_to_do() {
    let checked = |dir: PathBuf| WidgetConfig { dist: dir }.checked().map(|_| ());

    let missing = std::env::temp_dir().join(format!("wc-widget-none-{}", random_id(10)));
    let e = checked(missing).expect_err("no folder");
    assert!(e.contains("cannot read manifest.json"), "{e}");
    assert!(e.contains("cargo xtask dist"), "{e}");

    let stale = good();
    std::fs::write(stale.join(WASM), b"\0asm-another-build").expect("rewrite");
    let e = checked(stale).expect_err("stale");
    assert!(
        e.contains(&format!("{WASM} does not match its sha384")),
        "{e}"
    );

    let half = good();
    std::fs::remove_file(half.join(LOADER)).expect("remove");
    let e = checked(half).expect_err("half copied");
    assert!(e.contains(&format!("cannot read {LOADER}")), "{e}");

    for name in ["../etc/passwd", "index.html", "wallet-checkout/../x.js"] {
        let dir = dist(&[(WASM, b"w")]);
        std::fs::write(
            dir.join("manifest.json"),
            json!({ "files": [{ "file": name, "sha384": "sha384-x" }] }).to_string(),
        )
        .expect("manifest");
        let e = checked(dir).expect_err("a path");
        assert!(e.contains("not a release file's name"), "{name}: {e}");
    }

    let garbage = good();
    std::fs::write(garbage.join("manifest.json"), "{ not json").expect("manifest");
    let e = checked(garbage).expect_err("garbage");
    assert!(
        e.contains("manifest.json is not the one cargo xtask dist writes"),
        "{e}"
    );
}
