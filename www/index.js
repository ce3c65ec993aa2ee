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

// Each language's table (generated at packing from `locales/<tag>.json`): one static `import()` each,
// which webpack, Rollup and Vite all split into a chunk of its own.
const LANGUAGES = {
  "zh-CN": () => import("./locales/zh-CN.js"),
  "zh-TW": () => import("./locales/zh-TW.js"),
  fr: () => import("./locales/fr.js"),
  ja: () => import("./locales/ja.js"),
  ko: () => import("./locales/ko.js"),
  de: () => import("./locales/de.js"),
  es: () => import("./locales/es.js"),
  it: () => import("./locales/it.js"),
  nl: () => import("./locales/nl.js"),
};

let api = null;
const surface = () =>
  (api ??= createWalletCheckout({
    load,
    // The shopper's one language, beside the wasm (English is in the wasm): a module the bundler
    // splits off, so no fetch (and no `connect-src`) and no asset inlined as a data: URL.
    words: wordsFrom((tag) => {
      if (!Object.hasOwn(LANGUAGES, tag)) throw new Error("no such table in this package");
      return LANGUAGES[tag]().then((m) => m.default);
    }),
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
