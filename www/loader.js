//! The `<script>` tag entry, kept under 1 KB brotli: defines `window.WalletCheckout` and
//! `<wallet-checkout>`, and only when a widget is mounted fetches the embedding code, the glue and
//! the wasm, each pinned by its sha384 (`cargo xtask dist` fills in `__WALLET_CHECKOUT_ASSETS__`).
import { elementClass } from "./core.js";

const assets = __WALLET_CHECKOUT_ASSETS__;
const base = document.currentScript?.src ?? document.baseURI;
const at = (file) => new URL(file, base).href;
let embed = null;

/** The embedding code (`embed.js`), once; a failure lets the next mount retry. */
const load = () =>
  (embed ??= new Promise((resolve, reject) => {
    const s = document.createElement("script");
    s.src = at(assets.embed[0]);
    s.integrity = assets.embed[1];
    s.crossOrigin = "anonymous";
    s.onload = () => {
      try {
        resolve(self.WalletCheckoutEmbed(at));
      } catch (e) {
        embed = null;
        reject(e);
      }
    };
    s.onerror = () => {
      embed = null;
      s.remove();
      reject(new Error(`wallet-checkout: could not load ${s.src} (network error or integrity mismatch)`));
    };
    document.head.append(s);
  }));

window.WalletCheckout = {
  /** Same contract as the npm package's `mount`: a handle at once, `ready` when on screen. */
  mount(element, options) {
    let inner = null;
    let gone = false;
    const ready = load().then((api) => (gone ? undefined : (inner = api.mount(element, options)).ready));
    ready.catch(() => {});
    return {
      // The inner handle's: a Retry after a failed load, or an update, gives it a new one.
      get ready() {
        return inner ? inner.ready : ready;
      },
      unmount() {
        gone = true;
        inner?.unmount();
      },
      update: (next) => ready.then(() => inner?.update(next)),
    };
  },
};
if (!customElements.get("wallet-checkout")) {
  customElements.define("wallet-checkout", elementClass((el, what) => load().then((api) => api.element(el, what), console.error)));
}
dispatchEvent(new Event("wallet-checkout:loaded"));
