//! The iframe page's script (iframe mode): waits for the host's options by `postMessage` from its
//! parent, mounts the widget, and reports its height and every `wallet-checkout:*` event back to
//! that parent's exact origin. The page's own CSP (set by the merchant server) allows the wasm.
import { loadAssets, counterFrom, wordsOf } from "./assets.js";
import { createShell } from "./shell.js";
import { handover, pickLocale } from "./first.js";

const assets = __WALLET_CHECKOUT_ASSETS__;
const base = document.currentScript?.src ?? document.baseURI;
const at = (file) => new URL(file, base).href;
const load = loadAssets(assets, at);
const words = wordsOf(assets, at);
const slot = document.getElementById("wallet-checkout");
const ALLOWED = (document.querySelector('meta[name="wallet-checkout-ancestors"]')?.content ?? "").split(" ").filter(Boolean);
const NAMES = ["success", "failure", "expire", "cancel", "error", "statechange"];
let host = null;
let handle = null;

function tell(message) {
  if (host) parent.postMessage(message, host);
}

addEventListener("message", (event) => {
  // Only the embedding page, once; its origin is where every answer goes.
  if (event.source !== parent || parent === window || handle || host) return;
  // Served by the route, the page lists the origins that may embed it (besides its own); served as
  // a plain file, the list is empty and only a same-origin parent is heard.
  if (event.origin !== location.origin && !ALLOWED.includes(event.origin)) return;
  const msg = event.data;
  if (!msg || msg.wc !== "options" || typeof msg.options !== "object") return;
  host = event.origin;
  // The host's font, colour and theme variables, set through CSSOM (allowed by the page's style-src).
  for (const [k, v] of Object.entries(msg.style ?? {})) {
    if (/^(font-family|font-size|color|--wallet-checkout-[a-z]+)$/.test(k) && typeof v === "string") {
      document.documentElement.style.setProperty(k, v);
    }
  }
  for (const name of NAMES) {
    slot.addEventListener(`wallet-checkout:${name}`, (e) => tell({ wc: "event", name, detail: JSON.parse(JSON.stringify(e.detail ?? null)) }));
  }
  // The body's own height (not scrollHeight, which never drops below the frame's): the frame shrinks too.
  new ResizeObserver(() => tell({ wc: "size", height: Math.ceil(document.body.getBoundingClientRect().height) })).observe(document.body);
  start(msg.options);
});

/** The first screen at once (the page's styles are in its head), the wasm and the shopper's language
 * beside each other, then the widget over the first screen; a load that fails offers Retry. */
function start(options) {
  const tag = pickLocale(options.locale);
  const boot = handover(slot, options, tag, words, load, {
    mountWasm: (glue, table) => {
      try {
        handle = glue.mount(slot, options, createShell(slot, options, counterFrom(assets, at), { tag, table }));
      } catch (e) {
        slot.textContent = e.message; // the options were refused: said as text
        throw e;
      }
    },
    retry: () => {
      boot.cancel();
      start(options);
    },
    bare: (e) => (slot.textContent = e.message),
  });
  boot.done.then(
    () => tell({ wc: "mounted" }),
    (e) => tell({ wc: "event", name: "error", detail: { state: "error", kind: "load", code: null, message: String(e.message) } }),
  );
}

if (parent !== window) parent.postMessage({ wc: "ready" }, "*");
