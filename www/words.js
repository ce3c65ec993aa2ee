//! Generated from src/i18n.rs and src/marks.rs by their tests: do not edit (rewrite it with
//! `WALLET_CHECKOUT_UPDATE_WORDS=1 cargo test -p wallet-checkout i18n`). What the embedding code
//! paints before the wasm runs: the first screen's words in English (the other languages' are in
//! their tables, `locales/<tag>.json`), and the wallets' marks (viewBox, then [fill, path] shapes),
//! which only the embedding code draws.
export const ENGLISH = {
  choose: "Choose how to pay",
  alipay: "Alipay",
  wechat_pay: "WeChat Pay",
  unionpay: "UnionPay",
  server_error: "The payment could not be started.",
  retry: "Retry",
};
export const ENTRIES = 44;
export const TAGS = ["en", "zh-CN", "zh-TW", "fr", "ja", "ko", "de", "es", "it", "nl"];
export const MARKS = {
  alipay: ["0 0 24 24", [["#1677FF", "M19.7 15.1c3.4 1.2 4.2 1.2 4.2 1.2V3.8c0-2.1-1.7-3.8-3.8-3.8H3.9C1.8 0 .1 1.7 .1 3.8v16.3c0 2.1 1.7 3.8 3.8 3.8h16.2c2.1 0 3.8-1.7 3.8-3.8v-.2s-6.2-2.6-9.3-4.1c-2.1 2.6-4.8 4.2-7.6 4.2-4.8 0-6.4-4.2-4.1-6.9 .5-.6 1.3-1.2 2.6-1.5 2-.5 5.2 .3 8.3 1.3a16.8 16.8 0 0 0 1.3-3.3H5.8v-1h4.8V7H4.8v-1h5.8V3.6s0-.4 .4-.4h2.3v2.8h5.7v1h-5.7v1.7h4.7a19.5 19.5 0 0 1-2 5.1c1.4 .5 2.7 1 3.7 1.3m-13.8-2c-.6 .1-1.7 .3-2.3 .9-1.8 1.6-.7 4.5 3 4.5 2.2 0 4.3-1.4 6-3.6-2.4-1.2-4.4-2-6.6-1.8"]]],
  wechat_pay: ["0 0 24 24", [["#07C160", "M8.7 2.2C3.9 2.2 0 5.5 0 9.5c0 2.2 1.2 4.2 3 5.5a.6 .6 0 0 1 .2 .7l-.4 1.5c0 .1 0 .1 0 .2 0 .2 .1 .3 .3 .3a.3 .3 0 0 0 .2-.1l1.9-1.1a.9 .9 0 0 1 .7-.1 10.2 10.2 0 0 0 2.8 .4c.3 0 .5 0 .8-.1-.9-2.6 .2-5 1.9-6.4 1.7-1.4 3.9-2 5.9-1.8-.6-3.6-4.2-6.3-8.6-6.3zM5.8 6c.6 0 1.2 .5 1.2 1.2a1.2 1.2 0 0 1-1.2 1.2A1.2 1.2 0 0 1 4.6 7.2c0-.7 .5-1.2 1.2-1.2zm5.8 0c.6 0 1.2 .5 1.2 1.2a1.2 1.2 0 0 1-1.2 1.2 1.2 1.2 0 0 1-1.2-1.2c0-.7 .5-1.2 1.2-1.2zm5.3 2.9c-1.8-.1-3.7 .5-5.3 1.8-1.7 1.4-2.7 3.7-1.8 6.2 .9 2.5 3.7 4.2 6.9 4.2 .8 0 1.6-.1 2.4-.3a.7 .7 0 0 1 .6 .1l1.6 .9a.3 .3 0 0 0 .1 0c.1 0 .2-.1 .2-.2 0-.1 0-.1 0-.2l-.3-1.2a.6 .6 0 0 1 0-.2 .5 .5 0 0 1 .2-.4C23 18.5 24 16.8 24 15c0-3.2-2.9-5.8-6.7-6.1V8.9c-.1 0-.3 0-.4 0zm-2.5 3.3c.5 0 1 .4 1 1a1 1 0 0 1-1 1 1 1 0 0 1-1-1c0-.5 .4-1 1-1zm4.8 0c.5 0 1 .4 1 1a1 1 0 0 1-1 1 1 1 0 0 1-1-1c0-.5 .4-1 1-1z"]]],
  unionpay: ["100 40 580 420", [["#D10429", "m216 70h142c20 0 32 16 28 36l-66 287c-5 20-25 36-44 36h-142c-20 0-32-16-28-36l66-287c5-20 25-36 44-36z"], ["#022E64", "m346 70h164c20 0 11 16 6 36l-66 287c-5 20-3 36-23 36h-164c-20 0-32-16-28-36l66-287c5-20 25-36 44-36z"], ["#076F74", "m504 70h142c20 0 32 16 28 36l-66 287c-5 20-25 36-44 36h-142c-20 0-32-16-28-36l66-287c5-20 25-36 44-36z"]]],
};
