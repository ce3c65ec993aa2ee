//! The first screen before the wasm, and the shopper's one language: picks the language as the wasm
//! does (the `locale` option, then `navigator.languages`), fetches only that table (`wordsFrom`), and
//! paints the choosing screen the wasm will paint (same elements, same classes: the same boxes) so the
//! shopper sees the checkout while the glue and the wasm load. The skeleton is `aria-busy`; a press on
//! it is kept and replayed on the real button; if the wasm cannot load it becomes the load error state
//! with **Retry**. The wallets' marks are drawn here only, on the skeleton and on the wasm's buttons.
//! `handover` runs it all, for `core.js` (inline, `<wallet-checkout>`) and `frame.js` (the iframe
//! page). It never touches the DOM at import.
import { ENGLISH, ENTRIES, MARKS, TAGS } from "./words.js";

const WALLETS = ["alipay", "wechat_pay", "unionpay"];
const SVG = "http://www.w3.org/2000/svg";
/** How long a language table may take before the widget shows English instead. */
const WORDS_TIMEOUT_MS = 5_000;

/** One BCP 47 tag to a language the widget has (`Locale::from_tag` in `src/i18n.rs`), or null. */
function fromTag(tag) {
  // Anything but a string reads as no tag: its text is never one of ours.
  const t = String(tag ?? "").trim().toLowerCase().replaceAll("_", "-");
  const primary = t.split("-")[0];
  if (primary === "zh") return /-(tw|hk|mo|hant)/.test(t) ? "zh-TW" : "zh-CN";
  return TAGS.includes(primary) ? primary : null;
}

/** The first language the widget has among the option and the browser's, else English (`Locale::pick`). */
export function pickLocale(option) {
  const tags = [option, ...(globalThis.navigator?.languages ?? [])];
  for (const tag of tags) {
    const found = fromTag(tag);
    if (found) return found;
  }
  return "en";
}

/** A fetched table's JSON, or why not. */
export const json = (r) => {
  if (!r.ok) throw new Error(`HTTP ${r.status}`);
  return r.json();
};

/**
 * `words(tag)`: the table for `tag` through `loadTable(tag, signal)` (each entry's own way: fetched,
 * hashed and pinned by integrity for the script tag and the iframe page; a module of the npm package
 * its bundler splits off), once per tag; it never rejects: English (`undefined`) when the table fails
 * to load, is not the table or takes over 5 s (said in the console), and the next mount tries again.
 */
export function wordsFrom(loadTable) {
  const tables = new Map();
  return (tag) => {
    if (tag === "en") return Promise.resolve();
    let table = tables.get(tag);
    if (!table) {
      table = Promise.resolve()
        .then(() => {
          // `AbortSignal.timeout` is younger than some browsers the widget runs in.
          const abort = new AbortController();
          setTimeout(() => abort.abort(new Error("timed out")), WORDS_TIMEOUT_MS);
          return loadTable(tag, abort.signal);
        })
        .then((t) => {
          // An array of the widget's words, in `Texts::KEYS`' order (src/i18n.rs).
          if (!Array.isArray(t) || t.length !== ENTRIES) throw new Error("not a table");
          return t;
        })
        .catch((e) => {
          tables.delete(tag);
          console.warn(`wallet-checkout: the ${tag} words did not load (${e?.message ?? e}); showing English`);
          return undefined;
        });
      tables.set(tag, table);
    }
    return table;
  };
}

/** The wallets the wasm will show (`options::parse`), or nothing where it would refuse them. */
function walletsOf(options) {
  const raw = options.wallets ?? WALLETS;
  const items = typeof raw === "string" ? raw.split(/\s+/).filter(Boolean) : raw;
  if (!Array.isArray(items) || items.some((w) => !WALLETS.includes(w))) return null;
  const wallets = [...new Set(items)];
  return wallets.length && wallets;
}

/** Whether the wasm will open on another screen than the choosing one: the counter's field, or a
 * hand-over it resumes (its sessionStorage key, as `Runtime::storage_key` writes it). */
function opensElsewhere(options) {
  if (options.flow === "payment_code") return true;
  const endpoint = String(options.endpoint ?? "/api/checkout").replace(/\/+$/, "");
  try {
    return Boolean(sessionStorage.getItem(`wallet-checkout:${endpoint}:${options.order}`));
  } catch {
    return false;
  }
}

/** A wallet's mark, decorative beside its name. */
function mark(wallet) {
  const [viewBox, shapes] = MARKS[wallet];
  return el("svg", { class: "wc-mark", viewBox, "aria-hidden": "true", focusable: "false" }, ...shapes.map(([fill, d]) => el("path", { fill, d })));
}

/** Each wallet button of the widget just mounted in `element` gets its mark before its name (the wasm
 * draws none). */
function drawMarks(element) {
  for (const button of element.querySelectorAll(".wc-wallet[data-wallet]")) {
    const wallet = button.getAttribute("data-wallet");
    if (Object.hasOwn(MARKS, wallet)) button.prepend(mark(wallet));
  }
}

function el(name, attrs = {}, ...children) {
  const node = name === "svg" || name === "path" ? document.createElementNS(SVG, name) : document.createElement(name);
  for (const [k, v] of Object.entries(attrs)) node.setAttribute(k, v);
  node.append(...children);
  return node;
}

/**
 * Paints the choosing screen into `element` in language `tag` (its words from `table`, the fetched
 * table, or English without one) and returns its controller, or null when the wasm will not open on it
 * (the counter, a resumed hand-over, options it will refuse). `take()` removes it and says which
 * wallet was pressed and which had the focus; `fail(retry)` turns it into the load error state.
 */
function paint(element, options, tag, table) {
  const wallets = walletsOf(options);
  if (!wallets || typeof options.order !== "string" || !options.order.trim() || opensElsewhere(options)) return null;
  // The wasm checks a table whole and falls back to English: so does the first screen. A table
  // lists the first screen's words first, in `ENGLISH`'s order.
  const mine = table && Object.fromEntries(Object.keys(ENGLISH).map((k, i) => [k, table[i]]));
  const whole = mine && Object.values(mine).every((w) => typeof w === "string" && w.trim());
  const words = whole ? mine : ENGLISH;
  if (!whole) tag = "en";
  let pressed = null;
  const buttons = wallets.map((w) => {
    const button = el("button", { type: "button", class: "wc-wallet", part: "wallet", "data-wallet": w, "aria-pressed": "false" }, mark(w), el("span", {}, words[w]));
    button.addEventListener("click", () => {
      pressed = w;
      for (const b of buttons) b.setAttribute("aria-pressed", String(b === button));
    });
    return button;
  });
  const group = el("div", { class: "wc-wallets", role: "group", "aria-label": words.choose }, ...buttons);
  const body = el("div", { hidden: "" });
  const status = el("p", { class: "wc-status", part: "status" });
  // The wasm's elements that take a box on this screen (its hidden ones take none).
  const root = el("div", { class: "wc", part: "root", lang: tag, "aria-busy": "true" }, group, el("div", { class: "wc-body" }, body), status);
  element.append(root);
  return {
    take() {
      // Inside a shadow root (`<wallet-checkout>`) the document's active element is the host.
      const active = root.getRootNode().activeElement;
      const focused = root.contains(active) && active.dataset?.wallet;
      root.remove();
      return { pressed, focused };
    },
    fail(again) {
      root.removeAttribute("aria-busy");
      group.hidden = true;
      const button = el("button", { type: "button", class: "wc-primary", part: "button" }, words.retry);
      button.addEventListener("click", again, { once: true });
      const hadFocus = group.contains(root.getRootNode().activeElement);
      body.className = "wc-error";
      body.replaceChildren(button);
      body.hidden = false;
      status.setAttribute("role", "alert");
      status.textContent = words.server_error;
      if (hadFocus) button.focus(); // not lost to the page with the hidden wallets
    },
  };
}

/** After the wasm mounted over a skeleton: the focus and the press the shopper gave it, on the real buttons. */
function replay(element, { pressed, focused }) {
  const button = (w) => (w ? element.querySelector(`.wc-wallet[data-wallet="${w}"]`) : null);
  button(focused)?.focus();
  button(pressed)?.click();
}

/**
 * The first screen, then the widget over it, for one mount of `options` into `element` (inline, or
 * the iframe page's): the language `tag` and its table from `words`, the wasm from `load`; the first
 * screen once `styled` (the widget's stylesheet, if one is loading) and, unless `replacing` a widget
 * (`update`: English until the table comes),
 * the table have settled, and never after the wasm was handed the options; once the wasm (`load()`)
 * and the table are here, the first screen goes, `mountWasm(glue, table)` mounts (it may throw: the
 * options were refused), the marks are drawn and the press and focus replayed. A load that fails
 * turns the first screen (now, or when it is painted) into the load error state whose Retry calls
 * `retry`; `bare(error)` says it where no first screen is painted (the counter, a resumed hand-over).
 * `done` settles with the mount; `cancel()` removes the first screen and ends every later step.
 */
export function handover(element, options, tag, words, load, { mountWasm, retry, bare, styled, replacing }) {
  const table = words(tag); // never rejects: English if it cannot load
  let got; // the table, once it is here (an `update` paints before, in English)
  table.then((t) => (got = t));
  let state = 0; // 0 loading, 1 the wasm was handed the options, 2 cancelled
  let skeleton; // undefined until the first screen's turn; null if it painted nothing
  let failure = null;
  const failNow = () => (skeleton ? skeleton.fail(retry) : bare?.(failure));
  Promise.all([styled, replacing || table]).then(() => {
    if (state) return;
    skeleton = paint(element, options, tag, got);
    if (failure) failNow();
  });
  const done = Promise.all([load(), table]).then(
    ([glue, t]) => {
      if (state) return;
      state = 1;
      const kept = skeleton?.take();
      skeleton = null;
      mountWasm(glue, t);
      drawMarks(element);
      if (kept) replay(element, kept);
    },
    (e) => {
      if (!state) {
        failure = e;
        if (skeleton !== undefined) failNow();
      }
      throw e;
    },
  );
  return {
    done,
    cancel() {
      state = 2;
      skeleton?.take();
      skeleton = null;
    },
  };
}
