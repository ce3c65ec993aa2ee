//! The embedding layer shared by the script tag, the npm package and the iframe page: handles,
//! the `<wallet-checkout>` custom element and the iframe host. It never touches the DOM at import.
//!
//! `load()` (given by each entry) resolves with the wasm-bindgen module once the wasm is running;
//! `words(tag)` with the table of one language (`first.js`'s `wordsFrom`), fetched beside it;
//! `css` is `{ href, integrity? }` of the widget's stylesheet. Inline, the first screen is painted at
//! once (`first.js`) and the wasm mounts over it.

import { createShell } from "./shell.js";
import { handover, pickLocale } from "./first.js";

const PREFIX = "wallet-checkout";
const FRAME_ONLY = ["mode", "frame", "title"];
const EVENTS = { success: "onSuccess", failure: "onFailure", expire: "onExpire", cancel: "onCancel", error: "onError", statechange: "onStateChange" };
// attribute → option
const ATTRIBUTES = { endpoint: "endpoint", order: "order", "client-secret": "clientSecret", wallets: "wallets", flow: "flow", locale: "locale", "return-url": "returnUrl", "in-store": "inStore", mode: "mode", frame: "frame" };

const THEME = ["accent", "text", "muted", "radius", "success", "danger"];
const fail = (message) => new TypeError(`${PREFIX}: ${message}`);

/** A `<link rel=stylesheet>` for the widget's CSS (no inline style anywhere: a strict `style-src` holds). */
export function stylesheet(css) {
  const link = document.createElement("link");
  // When it has loaded (or failed): the first screen waits for its styles.
  link.loaded = new Promise((resolve) => {
    link.onload = link.onerror = resolve;
  });
  link.rel = "stylesheet";
  link.href = css.href;
  if (css.integrity) {
    link.integrity = css.integrity;
    link.crossOrigin = "anonymous";
  }
  return link;
}

/** Posts only to `origin`, and only what structured clone can carry (callbacks stay behind). */
function plain(options) {
  const out = {};
  for (const [k, v] of Object.entries(options)) if (typeof v !== "function" && !FRAME_ONLY.includes(k)) out[k] = v;
  return out;
}

/** What the frame cannot inherit across the document boundary: the host's font and colour and the
 * `--wallet-checkout-*` theme variables, as computed on the element. */
function look(element) {
  const cs = getComputedStyle(element);
  const style = { "font-family": cs.fontFamily, "font-size": cs.fontSize, color: cs.color };
  for (const name of THEME) {
    const v = cs.getPropertyValue(`--wallet-checkout-${name}`).trim();
    if (v) style[`--wallet-checkout-${name}`] = v;
  }
  return style;
}

/** Iframe mode: the widget runs in a frame served by the merchant server; this side only talks. */
function mountFrame(element, options, done) {
  const endpoint = String(options.endpoint ?? "/api/checkout").replace(/\/+$/, "");
  const src = new URL(options.frame ?? `${endpoint}/frame`, document.baseURI);
  if (!/^https?:$/.test(src.protocol)) throw fail(`frame must be an http(s) URL, got ${src.href}`);
  const origin = src.origin;
  const frame = document.createElement("iframe");
  frame.src = src.href;
  frame.title = options.title ?? "Payment";
  frame.allow = "clipboard-write";
  // CSSOM, not a style attribute: allowed under a strict style-src.
  Object.assign(frame.style, { border: "0", width: "100%", height: "0", display: "block", colorScheme: "normal" });
  frame.setAttribute("part", "frame");
  let loadFailed = false;
  const listener = (event) => {
    if (event.origin !== origin || event.source !== frame.contentWindow) return;
    const msg = event.data;
    if (!msg || typeof msg !== "object" || typeof msg.wc !== "string") return;
    if (msg.wc === "ready") {
      frame.contentWindow.postMessage({ wc: "options", options: { returnUrl: location.href, ...plain(options) }, style: look(element) }, origin);
    } else if (msg.wc === "size" && Number.isFinite(msg.height)) {
      frame.style.height = `${Math.ceil(msg.height)}px`;
    } else if (msg.wc === "mounted") {
      // After the frame's Retry recovered from a failed load, the handle's `ready` is a new one.
      if (loadFailed) done.recovered();
      else done.resolve();
    } else if (msg.wc === "event" && typeof msg.name === "string" && Object.hasOwn(EVENTS, msg.name)) {
      if (msg.name === "error" && msg.detail?.kind === "load") {
        loadFailed = true;
        done.reject(new Error(msg.detail.message));
      }
      element.dispatchEvent(new CustomEvent(`${PREFIX}:${msg.name}`, { detail: msg.detail, bubbles: true, composed: true }));
      const callback = options[EVENTS[msg.name]];
      if (typeof callback === "function") {
        try {
          callback(msg.detail);
        } catch (e) {
          console.error(`${PREFIX}: ${EVENTS[msg.name]} threw`, e);
        }
      }
    }
  };
  addEventListener("message", listener);
  element.append(frame);
  // A frame that never says it mounted (404, refused by frame-ancestors, offline) fails `ready`.
  const timer = setTimeout(() => done.reject(fail(`the iframe page ${src.href} did not start within 20 s`)), 20_000);
  return {
    unmount() {
      clearTimeout(timer);
      removeEventListener("message", listener);
      frame.remove();
    },
    timer,
  };
}

/**
 * The public surface for one way of loading: `mount(element, options)` returns a handle at once
 * (`ready` settles when the widget is on screen), `define()` registers `<wallet-checkout>`.
 */
export function createWalletCheckout({ load, words, css, headCss = false, counter = null }) {
  let headLink = null;
  // The element a custom element mounts into → its shadow root's stylesheet link.
  const slotLinks = new WeakMap();

  /** Every mistake (element, options, loading) rejects `ready`; nothing throws, nothing half-mounts. */
  function mount(element, options) {
    let current = options;
    let inner = null;
    let boot = null; // the first screen, then the wasm over it (`first.js`'s `handover`)
    let generation = 0;

    const start = (replacing = false) => {
      const mine = ++generation;
      if (typeof Element === "undefined" || !(element instanceof Element)) {
        return Promise.reject(fail("mount(element, options) needs a DOM element"));
      }
      if (current === null || typeof current !== "object" || Array.isArray(current)) {
        return Promise.reject(fail(`options must be an object, got ${current === null ? "null" : typeof current}`));
      }
      if (current.mode !== undefined && current.mode !== "inline" && current.mode !== "iframe") {
        return Promise.reject(fail(`mode must be "inline" or "iframe", got ${JSON.stringify(current.mode)}`));
      }
      if (current.mode === "iframe") {
        let done;
        const ready = new Promise((resolve, reject) => (done = { resolve, reject }));
        done.recovered = () => {
          if (mine === generation) handle.ready = Promise.resolve();
        };
        try {
          inner = mountFrame(element, current, done);
        } catch (e) {
          return Promise.reject(e);
        }
        return ready.finally(() => clearTimeout(inner?.timer));
      }
      if (headCss && css && !headLink && element.getRootNode() === document) {
        headLink = stylesheet(css);
        document.head.append(headLink);
      }
      const rest = { ...current };
      for (const k of FRAME_ONLY) delete rest[k];
      const tag = pickLocale(rest.locale);
      const link = slotLinks.get(element) ?? (element.getRootNode() === document ? headLink : null);
      boot = handover(element, rest, tag, words, load, {
        styled: link?.loaded,
        replacing,
        mountWasm: (glue, table) => {
          inner = glue.mount(element, rest, createShell(element, rest, counter, { tag, table }));
        },
        // The wasm did not load: Retry is a new load.
        retry: () => {
          stop();
          handle.ready = start();
          handle.ready.catch(() => {});
        },
      });
      return boot.done;
    };

    const stop = () => {
      generation++;
      boot?.cancel();
      boot = null;
      if (inner) {
        inner.unmount();
        inner.free?.();
        inner = null;
      }
    };

    const handle = {
      ready: start(),
      unmount: stop,
      update(next) {
        stop();
        current = { ...current, ...next };
        handle.ready = start(true);
        return handle.ready;
      },
    };
    handle.ready.catch(() => {}); // the caller may not await; errors stay on `ready`
    return handle;
  }

  // One record per `<wallet-checkout>`: its shadow root's slot and the handle mounted there.
  const records = new WeakMap();

  function render(el, r) {
    if (!r.slot) {
      const root = el.shadowRoot ?? el.attachShadow({ mode: "open" });
      r.slot = document.createElement("div");
      r.slot.setAttribute("part", "container");
      const link = css ? stylesheet(css) : null;
      if (link) slotLinks.set(r.slot, link);
      root.append(...(link ? [link] : []), r.slot);
    }
    const options = {};
    for (const [attr, key] of Object.entries(ATTRIBUTES)) {
      const v = el.getAttribute(attr);
      if (v !== null) options[key] = key === "wallets" ? v.split(/[\s,]+/).filter(Boolean) : v;
    }
    const key = JSON.stringify(options);
    if (r.handle && key === r.key) return; // reconnected after a move, nothing changed
    r.handle?.unmount();
    r.handle = null;
    r.key = key;
    if (!options.order) return; // nothing to pay yet
    r.handle = mount(r.slot, options);
    r.handle.ready.catch((e) => {
      console.error(e);
      el.dispatchEvent(new CustomEvent(`${PREFIX}:error`, {
        detail: { state: "error", kind: "load", code: null, message: String(e?.message ?? e) },
        bubbles: true,
        composed: true,
      }));
    });
  }

  /** What a `<wallet-checkout>` does on `connected`, `disconnected` or `changed` (attributes). */
  function element(el, what) {
    let r = records.get(el);
    if (!r) records.set(el, (r = { slot: null, handle: null, key: null, queued: false }));
    if (what === "disconnected") {
      // A move in the DOM is a disconnect then a connect: keep the checkout (and its session) then.
      queueMicrotask(() => {
        if (el.isConnected) return;
        r.handle?.unmount();
        r.handle = null;
        r.key = null;
      });
      return;
    }
    if (r.queued || !el.isConnected) return;
    r.queued = true; // one render for a burst of attribute changes
    queueMicrotask(() => {
      r.queued = false;
      if (el.isConnected) render(el, r);
    });
  }

  function define(name = PREFIX) {
    if (typeof customElements === "undefined" || customElements.get(name)) return;
    customElements.define(name, elementClass((el, what) => element(el, what)));
  }

  return { mount, define, element };
}

/** The `<wallet-checkout>` class: attributes and properties map to the options; `on` does the work. */
export function elementClass(on) {
  class WalletCheckoutElement extends HTMLElement {
    static observedAttributes = Object.keys(ATTRIBUTES);
    connectedCallback() {
      on(this, "connected");
    }
    disconnectedCallback() {
      on(this, "disconnected");
    }
    attributeChangedCallback() {
      on(this, "changed");
    }
  }
  for (const [attr, key] of Object.entries(ATTRIBUTES)) {
    Object.defineProperty(WalletCheckoutElement.prototype, key, {
      get() {
        const v = this.getAttribute(attr);
        return key === "wallets" && v !== null ? v.split(/[\s,]+/).filter(Boolean) : v;
      },
      set(v) {
        if (v == null) this.removeAttribute(attr);
        else this.setAttribute(attr, Array.isArray(v) ? v.join(" ") : String(v));
      },
    });
  }
  return WalletCheckoutElement;
}
