//! The widget's hands in the page: requests, the event stream, timers, page listeners, the in-app
//! bridges, the clipboard, sessionStorage, navigation and DOM events. The wasm decides everything
//! (`src/web/runtime.rs`); this file only does what it is told and reports what happened through one
//! function, `deliver(kind, seq, data)`, always after the call from the wasm has returned. The
//! merchant's callbacks run in a microtask too, never inside a call from the wasm; once stopped,
//! every method is a no-op, so nothing leaves a widget that was unmounted.
//! Keeping this plumbing in JS keeps the wasm small: each web API used from Rust costs glue and shims.

// What the shell reports; the numbers and every name below are `src/seam.rs`'s table (a host test checks).
const ANSWER = 0; // seq, { status, json, ms } or { failed: message }
const MESSAGE = 1; // seq, the text of one `session` event
const ENDED = 2; // seq, why the stream ended (a message)
const TICK = 3;
const HIDDEN = 4;
const VISIBLE = 5;
const BRIDGE = 6; // 0, the bridge's answer, or null if the bridge is missing
const COPIED = 7; // 1 if it worked else 0, the text
const SCANNED = 8; // 0, the text the counter's field read (typed, a scanner's, or the camera's)

const CALLBACKS = { statechange: "onStateChange", success: "onSuccess", failure: "onFailure", expire: "onExpire", cancel: "onCancel", error: "onError" };
const PREFIX = "wallet-checkout";

/** The shell of one widget in `host`; `options` are the merchant's (their callbacks are called here);
 * `counter()` fetches the counter's field (`counter.js`), for flow `payment_code` only; `language` is
 * `{ tag, table }`, the shopper's words as the embedding code fetched them (`first.js`). */
export function createShell(host, options = {}, counter = null, language = null) {
  let deliver = null;
  let alive = true; // false after stop(): every method below then does nothing
  let pending = null; // the timer of a request not sent yet
  let work = null; // the request in flight or the open stream: { abort() }
  let bridge = null; // a bridge call waiting for its Ready event: { giveUp() }
  let tick = null; // the clock's one timer
  let counterModule = null; // the counter's field, once asked for (flow `payment_code`)
  const undo = [];

  // A microtask: after the wasm's call has returned, and never throttled like a hidden page's timers.
  const tell = (kind, seq, data) => queueMicrotask(() => deliver?.(kind, seq, data));
  const end = () => {
    clearTimeout(pending);
    pending = null;
    work?.abort();
    work = null;
  };
  const listen = (target, name, fn) => {
    target.addEventListener(name, fn);
    undo.push(() => target.removeEventListener(name, fn));
  };

  /** The event stream of `seq`: each `session` message is reported, silence or an error ends it. */
  function listenTo(seq, url, silent) {
    work?.abort();
    work = null;
    let source;
    try {
      source = new EventSource(url);
    } catch {
      tell(ENDED, seq, "EventSource is not available");
      return;
    }
    let heard = false;
    const close = (why) => {
      mine.abort();
      if (work === mine) work = null;
      tell(ENDED, seq, why);
    };
    const timer = setTimeout(() => heard || close("the event stream opened but sent nothing (a buffering proxy?)"), silent);
    const mine = (work = { abort: () => (clearTimeout(timer), source.close()) });
    source.addEventListener("session", (e) => {
      heard = true;
      if (work === mine) tell(MESSAGE, seq, String(e.data));
    });
    // The browser would reconnect on its own; the wasm decides when and how instead.
    source.addEventListener("error", () => work === mine && close("the event stream failed or ended"));
  }

  return {
    /** Starts the page listeners; `fn` is the wasm's delivery function. */
    start(fn) {
      deliver = fn;
      undo.push(() => clearTimeout(tick));
      listen(document, "visibilitychange", () => tell(document.visibilityState === "hidden" ? HIDDEN : VISIBLE, 0, null));
      // Leaving ends the stream (the page may enter the back/forward cache); back from it, check at once.
      listen(window, "pagehide", () => tell(HIDDEN, 0, null));
      listen(window, "pageshow", (e) => e.persisted && tell(VISIBLE, 0, null));
    },

    /** Everything stops: no delivery, request, navigation or callback after this. */
    stop() {
      alive = false;
      deliver = null;
      end();
      bridge?.giveUp();
      counterModule?.then((c) => c?.stop());
      for (const f of undo.splice(0)) f();
    },

    /** The counter: its field (fetched on first use, `counter()`) in `.wc-code`, with `note`
     * ("declined" | "invalid" | ""), cleared and focused for the next code. */
    field(lang, note) {
      (counterModule ??= counter?.().catch((e) => {
        counterModule = null;
        console.warn(`${PREFIX}:`, e.message);
      }))?.then((c) => alive && c?.field(host.querySelector(".wc-code"), lang, note, (text) => tell(SCANNED, 0, text)));
    },

    /** The counter: its camera stops (a code is being paid). */
    scan() {
      counterModule?.then((c) => c?.stop());
    },

    /** One tick in `delay` ms, replacing the one set before (the wasm sets each on the expiry's next
     * second boundary); `undefined` stops the clock. */
    clock(delay) {
      clearTimeout(tick);
      tick = alive && delay != null ? setTimeout(() => deliver?.(TICK, 0, null), delay) : null;
    },

    /** Ends the request in flight or the stream, and a request not sent yet. */
    halt: end,

    /** Sends a request after `delay` ms (superseding one not sent yet), ending whatever is in flight
     * when it goes; aborted after `timeout` ms. `body` (JSON text) comes with its idempotency `key`. */
    request(seq, delay, method, url, body, key, timeout) {
      if (!alive) return;
      clearTimeout(pending);
      pending = setTimeout(async () => {
        pending = null;
        work?.abort();
        const controller = new AbortController();
        let late = false;
        const timer = setTimeout(() => {
          late = true;
          controller.abort();
        }, timeout);
        const mine = (work = { abort: () => (clearTimeout(timer), controller.abort()) });
        const started = Date.now();
        let data;
        try {
          const headers = body == null ? {} : { "Content-Type": "application/json" };
          if (body != null && key != null) headers["Idempotency-Key"] = key;
          const response = await fetch(url, { method, headers, body: body ?? undefined, signal: controller.signal });
          let json;
          try {
            json = await response.json();
          } catch {
            if (late) throw new Error("late");
          }
          data = { status: response.status, json, ms: Date.now() - started };
        } catch (e) {
          const own = location.origin;
          const cross = new URL(url, own).origin === own ? "" : ` (add ${own} to [checkout] allowed_origins)`;
          data = { failed: late ? "the server did not answer in time" : `${url}: ${e?.message}${cross}` };
        }
        clearTimeout(timer);
        if (work === mine) {
          work = null;
          tell(ANSWER, seq, data);
        }
      }, delay);
    },

    /** Answers request `seq` with a failure at once (it could not even be built). */
    fail(seq, why) {
      if (alive) tell(ANSWER, seq, { failed: why });
    },

    /** Opens the session's event stream after `delay` ms (ending whatever is in flight then);
     * silence for `silent` ms means a buffering proxy. */
    stream(seq, delay, url, silent) {
      if (!alive) return;
      clearTimeout(pending);
      pending = setTimeout(() => {
        pending = null;
        listenTo(seq, url, silent);
      }, delay);
    },

    /** Navigates the top window (also from an iframe); false if the page may not. */
    go(url) {
      if (!alive) return false;
      try {
        window.top.location.href = url;
        return true;
      } catch {
        return false;
      }
    },

    /** A POST of hidden `fields` to `url` in the top window (a form built from fields, never HTML). */
    submit(url, fields) {
      if (!alive) return;
      const form = document.createElement("form");
      Object.assign(form, { method: "post", action: url, target: "_top", hidden: true });
      for (const [name, value] of Object.entries(fields)) {
        form.append(Object.assign(document.createElement("input"), { type: "hidden", name, value }));
      }
      document.body.append(form);
      // Through the prototype: a gateway field named `submit` would shadow `form.submit`.
      HTMLFormElement.prototype.submit.call(form);
    },

    /** `window[name][method](api, args, callback)`, waiting up to 5 s for `{name}Ready` if the app
     * has not injected it yet. The answer (or null: no bridge) is delivered as `BRIDGE`. */
    bridge(name, method, api, args) {
      if (!alive) return;
      bridge?.giveUp();
      const call = () => {
        const target = window[name];
        if (typeof target?.[method] !== "function") return tell(BRIDGE, 0, null);
        try {
          target[method](api, args, (res) => tell(BRIDGE, 0, res ?? {}));
        } catch (e) {
          console.error(`${PREFIX}: the ${name} call threw`, e);
          tell(BRIDGE, 0, null);
        }
      };
      if (typeof window[name] === "object" && window[name]) return call();
      const ready = () => {
        giveUp();
        call();
      };
      const timer = setTimeout(() => {
        giveUp();
        tell(BRIDGE, 0, null);
      }, 5000);
      const giveUp = () => {
        clearTimeout(timer);
        document.removeEventListener(`${name}Ready`, ready);
        bridge = null;
      };
      document.addEventListener(`${name}Ready`, ready, { once: true });
      bridge = { giveUp };
    },

    /** Inside an Alipay mini program's web-view: hands `message` (`{ type, tradeNO }`) to the mini
     * program through `my.postMessage` (from its web-view script); the mini program calls
     * `my.tradePay` and posts the result back, delivered as `BRIDGE` (null: no `my` here). */
    miniProgram(message) {
      if (!alive) return;
      bridge?.giveUp();
      const my = window.my;
      if (typeof my?.postMessage !== "function") return tell(BRIDGE, 0, null);
      my.onMessage = (answer) => tell(BRIDGE, 0, answer ?? {});
      try {
        my.postMessage({ ...message });
      } catch (e) {
        console.error(`${PREFIX}: my.postMessage threw`, e);
        tell(BRIDGE, 0, null);
      }
    },

    /** Forgets a bridge call still waiting for its Ready event (the wait is over). */
    unbridge() {
      bridge?.giveUp();
    },

    /** Copies `text`: the async Clipboard API, else a selected textarea and `execCommand("copy")`
     * (older and embedded browsers; iOS needs the explicit range). Delivers `COPIED`. */
    async copy(text) {
      if (!alive) return;
      let ok = false;
      try {
        await navigator.clipboard.writeText(text);
        ok = true;
      } catch {
        const area = Object.assign(document.createElement("textarea"), { value: text, readOnly: true, className: "wc-copy-area" });
        host.append(area);
        area.select();
        area.setSelectionRange(0, text.length);
        try {
          ok = document.execCommand("copy");
        } catch {}
        area.remove();
      }
      tell(COPIED, ok ? 1 : 0, text);
    },

    /** sessionStorage: `value` undefined reads, null removes, a string writes. */
    store(key, value) {
      if (!alive) return undefined;
      try {
        if (value === undefined) return sessionStorage.getItem(key) ?? undefined;
        if (value === null) sessionStorage.removeItem(key);
        else sessionStorage.setItem(key, value);
      } catch {} // storage refused (private mode, sandboxed frame): nothing is remembered
    },

    /** Tells the merchant, in a microtask (never inside the wasm's call, so a callback may unmount
     * or mount again): the callback (one that throws is logged, never fatal), then the DOM event.
     * Nothing is told once the widget stopped, also when a callback just before stopped it. */
    emit(name, detail) {
      if (!alive) return;
      queueMicrotask(() => {
        if (!alive) return;
        const callback = options[CALLBACKS[name]];
        if (typeof callback === "function") {
          try {
            callback(detail);
          } catch (e) {
            console.error(`${PREFIX}: the ${name} callback threw`, e);
          }
        }
        host.dispatchEvent(new CustomEvent(`${PREFIX}:${name}`, { detail, bubbles: true, composed: true }));
      });
    },

    /** Moves focus to the status line once the view has drawn it. */
    focus() {
      if (alive) setTimeout(() => alive && host.querySelector(".wc-status")?.focus(), 0);
    },

    /** A random hex id for this widget's idempotency keys. */
    nonce() {
      return Array.from(crypto.getRandomValues(new Uint8Array(12)), (b) => b.toString(16).padStart(2, "0")).join("");
    },

    /** The shopper's language as the embedding code picked it (`first.js`), or English. */
    language() {
      return language?.tag ?? "en";
    },

    /** The table of words fetched for `tag` (`{ tag, table }` from the embedding code), if it is that one. */
    words(tag) {
      return language && tag === language.tag ? language.table : undefined;
    },

    warn(...args) {
      console.warn(`${PREFIX}:`, ...args.filter((a) => a !== undefined));
    },
  };
}
