//! `trunk serve` only: `window.WalletCheckout` over the widget Trunk built and started
//! (`window.wasmBindings`), through the same `core.js` the script tag and the npm package use, so
//! the demo page (`index.html`, `demo.js`) runs unchanged with hot reload. Not part of any release.
import { createWalletCheckout } from "./core.js";
import { json, wordsFrom } from "./first.js";

const started = new Promise((resolve) => {
  if (window.wasmBindings) resolve(window.wasmBindings);
  else addEventListener("TrunkApplicationStarted", () => resolve(window.wasmBindings), { once: true });
});

window.WalletCheckout = createWalletCheckout({
  load: () => started,
  words: wordsFrom((tag, signal) => fetch(`/locales/${tag}.json`, { signal }).then(json)),
  css: { href: "/wallet-checkout.css" },
  headCss: true,
  counter: () => import("/counter.js"),
});
dispatchEvent(new Event("wallet-checkout:loaded"));
