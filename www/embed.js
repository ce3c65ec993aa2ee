//! The embedding code the loader fetches on the first mount (script tag only): handles, the custom
//! element's work, the iframe host, the first screen, and the load of the glue, the wasm and the
//! shopper's language.
import { createWalletCheckout } from "./core.js";
import { loadAssets, counterFrom, wordsOf } from "./assets.js";

const assets = __WALLET_CHECKOUT_ASSETS__;

self.WalletCheckoutEmbed = (at) =>
  createWalletCheckout({
    load: loadAssets(assets, at),
    words: wordsOf(assets, at),
    css: { href: at(assets.css[0]), integrity: assets.css[1] },
    headCss: true,
    counter: counterFrom(assets, at),
  });
