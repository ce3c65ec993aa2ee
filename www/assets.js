//! Loading the widget from hashed files for the script tag and the iframe page: the classic-script
//! glue (wasm-bindgen `no-modules`, global `wallet_checkout_bindgen`) with its integrity, then the wasm by `fetch` with its integrity,
//! compiled while it streams. One memoised load; a failure clears it so the next mount retries. The
//! shopper's language table the same way, beside them.
import { json, wordsFrom } from "./first.js";

/** A classic script `[file, integrity]` (at `at(file)`), pinned by its sha384. */
export const script = ([file, integrity], at) =>
  new Promise((resolve, reject) => {
    const s = document.createElement("script");
    s.src = at(file);
    s.integrity = integrity;
    s.crossOrigin = "anonymous";
    s.onload = resolve;
    s.onerror = () => {
      s.remove();
      reject(new Error(`wallet-checkout: could not load ${s.src} (network error or integrity mismatch)`));
    };
    document.head.append(s);
  });

/** One language's table (`assets.words[tag]`: its name's hash and its integrity), fetched with its
 * integrity; `first.js` memoises it. */
export const wordsOf = (assets, at) =>
  wordsFrom((tag, signal) => {
    const [hash, integrity] = assets.words?.[tag] ?? [];
    if (!hash) throw new Error("no such table in this release");
    return fetch(at(`wallet-checkout-words-${tag}.${hash}.json`), { integrity, credentials: "same-origin", signal }).then(json);
  });

/** The counter's field (flow `payment_code` only), fetched on first use with its integrity. */
export const counterFrom = (assets, at) => () => script(assets.counter, at).then(() => self.WalletCheckoutCounter);

export function loadAssets(assets, at) {
  let loading = null;
  const glue = () => script(assets.glue, at);
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
