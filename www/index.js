//! The npm package's entry (`import { mount } from "wallet-checkout"`): side-effect free and safe to
//! import without a DOM (server-side rendering); the wasm is fetched on the first `mount()`.
import { createWalletCheckout } from "./core.js";
import { wordsFrom } from "./first.js";

let loading = null;

/** Fetches and starts the wasm once (later calls share it; a failure lets the next call retry). */
export function load() {
  loading ??= import("./pkg/wallet_checkout.js")
    .then(async (glue) => {
      await glue.default({ module_or_path: new URL("./pkg/wallet_checkout_bg.wasm", import.meta.url) });
      return glue;
    })
    .catch((e) => {
      loading = null;
      throw new Error(`wallet-checkout: could not load the WebAssembly (${e.message})`);
    });
  return loading;
}

let api = null;
const surface = () =>
  (api ??= createWalletCheckout({
    load,
    // The shopper's one language, beside the wasm (English is in the wasm).
    words: wordsFrom((tag, signal) => fetch(new URL(`./locales/${tag}.json`, import.meta.url), { signal })),
    css: { href: new URL("./wallet-checkout.css", import.meta.url).href },
    counter: () => import("./counter.js"),
  }));

/** Mounts a checkout into `element`; see `index.d.ts` for the options. */
export function mount(element, options) {
  return surface().mount(element, options);
}

/** Registers `<wallet-checkout>` (or `name`); does nothing where there are no custom elements. */
export function defineElement(name) {
  surface().define(name);
}
