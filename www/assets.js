//! Loading the widget from hashed files for the script tag and the iframe page: the classic-script
//! glue (wasm-bindgen `no-modules`, global `wallet_checkout_bindgen`) with its integrity, then the wasm by `fetch` with its integrity,
//! compiled while it streams. One memoised load; a failure clears it so the next mount retries.

export function loadAssets(assets, at) {
  let loading = null;
  const glue = () =>
    new Promise((resolve, reject) => {
      const s = document.createElement("script");
      s.src = at(assets.glue[0]);
      s.integrity = assets.glue[1];
      s.crossOrigin = "anonymous";
      s.onload = resolve;
      s.onerror = () => {
        s.remove();
        reject(new Error(`wallet-checkout: could not load ${s.src} (network error or integrity mismatch)`));
      };
      document.head.append(s);
    });
  return () => {
    if (loading) return loading;
    // The wasm downloads while the glue does: one round trip, not two.
    const wasm = fetch(at(assets.wasm[0]), { integrity: assets.wasm[1], credentials: "same-origin" });
    wasm.catch(() => {}); // reported below, through the glue's init
    return (loading = glue()
      .then(() =>
        wallet_checkout_bindgen({ module_or_path: wasm }).catch((e) => {
          throw new Error(`wallet-checkout: could not load the WebAssembly (${e.message}); the page's CSP needs script-src 'wasm-unsafe-eval', or use mode: "iframe"`);
        }),
      )
      .then(
        () => wallet_checkout_bindgen,
        (e) => {
          loading = null;
          throw e;
        },
      ));
  };
}
