//! Every way in, end to end: the script tag (right and wrong integrity), `<wallet-checkout>` with a
//! theme and events, inline mode and iframe mode under strict host CSPs, two widgets on one page,
//! mount/unmount/mount without leaks, the packed npm package in Node and in a Vite build, its
//! TypeScript declarations, and the size budget. The host pages are ours (a merchant's page); the
//! server, assets, API and sandbox are the real ones.
import { test, before, after } from "node:test";
import assert from "node:assert/strict";
import { execFileSync, spawnSync } from "node:child_process";
import { cpSync, existsSync, mkdtempSync, readFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join, resolve } from "node:path";
import { pathToFileURL } from "node:url";
import { startServer, launchBrowser, watchErrors, newOrder as orderOn, pay as payOn, lastSegment, secretOf, withSecret } from "./harness.mjs";

const ROOT = resolve(import.meta.dirname, "../..");
const SITE = process.env.WALLET_CHECKOUT_SITE ?? join(ROOT, "dist");
const manifest = JSON.parse(readFileSync(join(SITE, "manifest.json"), "utf8"));
const loader = manifest.files.find((f) => f.file === manifest.loader);

/** The inline widget's whole download (loader, embedding code, glue, wasm, CSS, and the shopper's
 * language table when it is not English), brotli. The issue's
 * budget is 60 KB and its aim 45 KB; today's build is above both (see the README's size section), so
 * this is a ceiling that only moves down: it fails the suite if the widget grows. It was 92 KiB; it
 * rose by what the six languages of issue 19 cost (3.8 KiB) and the wallets' marks, names and dark
 * defaults (1.7 KiB), each measured by a build without it (README); issue 20's 64 KiB wasm stack
 * took it to 99,518 B, so the ceiling was 97.3 KiB. Issue 28 moved what the runtime decided (the
 * bridges' answers, the merchant's notices, the stop on leaving pending) into the pure machine, as
 * host-tested functions and effects, and the options into one table: 99,679 B (+161 B), so 97.4 KiB.
 * Issue 29's client secret (one option, passed through to the create: +34 B) and issue 30's network
 * failure naming the endpoint and, across origins, the origin to allow (+45 B): 99,758 B. Issue 31's
 * counter, within its budget of 2 KiB for shoppers who never see it: the contract's new words (flow,
 * `wait`, `failure`, the code's wallet table), the machine's and screen's counter states, one status
 * in ten languages and the shell's hook for the counter's field, whose code and words are fetched
 * only on that flow (`wallet-checkout-counter.*.js`): 101,774 B measured (101,654 B once the code's
 * prefix was read from its two bytes), under 99,758 + 2,048. Issue 33 asked for ≤ 92 KiB (94,208 B)
 * for a shopper's whole download, every language still there: the nine other languages left the wasm
 * (one table fetched beside it, and now counted: the largest, German, 728 B), the QR encoder left
 * for the server (the session carries the matrix), the marks and the first screen moved to the
 * embedding code, `Intl.NumberFormat` bound directly, the panic locations zeroed: 92,843 B for an
 * English reader, 93,566 B with the largest table (after one shared handover: 92,833 B and 93,561 B). */
const CEILING_BROTLI = 93_566;
const LOADER_BROTLI = 1024;

let server;
let browser;
before(async () => {
  server = await startServer();
  browser = await launchBrowser();
});
after(async () => {
  await browser?.close();
  await server?.stop();
});

const newOrder = () => orderOn(server.base);
const pay = (paymentId) => payOn(server.base, paymentId);

const scriptTag = (integrity = loader.sha384) =>
  `<script src="/${manifest.loader}" integrity="${integrity}" crossorigin="anonymous" async></script>`;

/** A merchant page at `path` on the real server's origin, with `csp` as its header if given; every
 * CSP violation is recorded in `window.__violations`. */
async function hostPage(context, path, body, { csp = null, head = "", files = {} } = {}) {
  const page = await context.newPage();
  for (const [file, [contentType, text]] of Object.entries(files)) {
    await page.route(`${server.base}${file}`, (route) => route.fulfill({ contentType, body: text }));
  }
  await page.addInitScript(() => {
    window.__violations = [];
    document.addEventListener("securitypolicyviolation", (e) =>
      window.__violations.push(`${e.violatedDirective} ${e.blockedURI}`));
  });
  const headers = { "content-type": "text/html; charset=utf-8" };
  if (csp) headers["content-security-policy"] = csp;
  await page.route(`${server.base}${path}`, (route) =>
    route.fulfill({ status: 200, headers, body: `<!doctype html><html lang="en"><head><meta charset="utf-8"><title>Shop</title>${head}</head><body>${body}</body></html>` }));
  const errors = watchErrors(page);
  await page.goto(`${server.base}${path}`);
  return { page, errors };
}

/** The session the widget creates on the next wallet press, read from the real response. */
const nextSession = (page) =>
  page.waitForResponse((r) => r.url().endsWith("/api/checkout/sessions") && r.request().method() === "POST").then((r) => r.json());

test("size: the loader is at most 1 KB and the inline widget stays under its ceiling (brotli)", () => {
  assert.ok(loader.brotli <= LOADER_BROTLI, `loader ${loader.brotli} B brotli > ${LOADER_BROTLI}`);
  const widget = manifest.files.filter((f) => f.widget);
  assert.deepEqual(widget.map((f) => f.file.split(".").pop()).sort(), ["css", "js", "js", "js", "wasm"]);
  const total = widget.reduce((n, f) => n + f.brotli, 0);
  assert.equal(total, manifest.inline_widget_brotli);
  // A shopper who reads another language than English downloads its table too: the largest counts.
  const tables = manifest.files.filter((f) => f.language);
  assert.equal(tables.length, 9);
  const largest = Math.max(...tables.map((f) => f.brotli));
  assert.deepEqual(manifest.largest_language.brotli, largest);
  assert.ok(total + largest <= CEILING_BROTLI, `inline widget ${total} B + its largest language ${largest} B brotli > ceiling ${CEILING_BROTLI}`);
  for (const f of manifest.files) {
    assert.match(f.file, /\.[0-9a-f]{12}\.(js|wasm|css|json)$/, "content-hashed name");
    assert.match(f.sha384, /^sha384-[A-Za-z0-9+/]{64}$/);
    assert.ok(f.purpose.length > 10, `${f.file} says what it is for`);
  }
  assert.ok(readFileSync(join(SITE, "snippet.html"), "utf8").includes(manifest.script_tag));
});

test("custom element: attributes, a theme override, ::part, style isolation both ways, DOM events to success", async () => {
  const context = await browser.newContext({ viewport: { width: 1280, height: 900 } });
  const order = await newOrder();
  const { page, errors } = await hostPage(context, "/shop/element.html",
    `<p class="wc-status" id="outside">A page paragraph with the widget's class name</p>
     <wallet-checkout endpoint="/api/checkout" order="${order}" client-secret="${secretOf(order)}" wallets="alipay wechat_pay" locale="zh-CN"></wallet-checkout>
     <script src="/shop/listen.js"></script>
     ${scriptTag()}`,
    { head: `<link rel="stylesheet" href="/shop/theme.css">`, files: {
      "/shop/theme.css": ["text/css", `wallet-checkout { --wallet-checkout-accent: rgb(200, 0, 100); }
        wallet-checkout::part(wallet) { text-transform: uppercase; }
        button { color: rgb(255, 0, 0) !important; }`],
      "/shop/listen.js": ["text/javascript", `window.__events = [];
        for (const n of ["statechange", "success"]) document.querySelector("wallet-checkout")
          .addEventListener("wallet-checkout:" + n, (e) => window.__events.push([n, e.detail.state]));`],
    } });
  await page.getByRole("button", { name: "支付宝", exact: true }).waitFor();
  const look = await page.evaluate(() => {
    const host = document.querySelector("wallet-checkout");
    const root = host.shadowRoot;
    const wallet = root.querySelector(".wc-wallet");
    return {
      shadow: !!root,
      lightChildren: host.children.length,
      wallets: [...root.querySelectorAll(".wc-wallet")].map((b) => b.dataset.wallet),
      lang: root.querySelector(".wc").getAttribute("lang"),
      accent: getComputedStyle(root.querySelector(".wc")).getPropertyValue("--wc-accent").trim(),
      part: getComputedStyle(wallet).textTransform,
      walletColor: getComputedStyle(wallet).color,
      outsideWeight: getComputedStyle(document.getElementById("outside")).fontWeight,
      inlineStyles: root.querySelectorAll("[style]").length,
      order: host.order,
      walletsProp: host.wallets,
    };
  });
  assert.equal(look.shadow, true);
  assert.equal(look.lightChildren, 0, "nothing is added to the light DOM");
  assert.deepEqual(look.wallets, ["alipay", "wechat_pay"]);
  assert.equal(look.lang, "zh-CN");
  assert.equal(look.accent, "rgb(200, 0, 100)", "the theme variable reaches the shadow root");
  assert.equal(look.part, "uppercase", "::part(wallet) styles the wallet buttons");
  assert.notEqual(look.walletColor, "rgb(255, 0, 0)", "page button styles do not leak in");
  assert.equal(look.outsideWeight, "400", "widget styles do not leak out");
  assert.equal(look.inlineStyles, 0, "no inline style attribute");
  assert.equal(look.order, order);
  assert.deepEqual(look.walletsProp, ["alipay", "wechat_pay"]);

  const created = nextSession(page);
  await page.getByRole("button", { name: "支付宝", exact: true }).click();
  const session = await created;
  await page.locator("wallet-checkout svg.wc-qr").waitFor();
  await pay(lastSegment(session.action.content));
  await page.getByRole("status").filter({ hasText: "支付成功" }).waitFor();
  const events = await page.evaluate(() => window.__events);
  assert.deepEqual(events.at(-1), ["success", "succeeded"]);
  assert.ok(events.some(([n, s]) => n === "statechange" && s === "pending"), JSON.stringify(events));

  // A property change re-renders with the new options.
  await page.evaluate(() => { document.querySelector("wallet-checkout").locale = "fr"; });
  await page.waitForFunction(() => document.querySelector("wallet-checkout").shadowRoot.querySelector(".wc")?.getAttribute("lang") === "fr");
  assert.deepEqual(errors, []);
  await context.close();
});

test("script tag with a wrong integrity hash: the browser refuses it, nothing is half-mounted", async () => {
  const context = await browser.newContext();
  const order = await newOrder();
  const bad = `sha384-${Buffer.alloc(48, 7).toString("base64")}`;
  const { page, errors } = await hostPage(context, "/shop/tampered.html",
    `<wallet-checkout order="${order}" client-secret="${secretOf(order)}"></wallet-checkout>${scriptTag(bad)}`);
  await page.waitForLoadState("load");
  const state = await page.evaluate(() => ({
    api: typeof window.WalletCheckout,
    defined: !!customElements.get("wallet-checkout"),
    shadow: !!document.querySelector("wallet-checkout").shadowRoot,
  }));
  assert.deepEqual(state, { api: "undefined", defined: false, shadow: false });
  assert.ok(errors.some((e) => /integrity/i.test(e)), `the console says why: ${errors}`);
  await context.close();
});

test("a tampered wasm is refused by its integrity: `ready` rejects with a clear error, the first screen says so", async () => {
  const context = await browser.newContext();
  const wasm = manifest.files.find((f) => f.file.endsWith(".wasm")).file;
  await context.route(`**/${wasm}`, async (route) => {
    const real = await route.fetch();
    const body = Buffer.from(await real.body());
    body[body.length - 1] ^= 0xff;
    await route.fulfill({ response: real, body });
  });
  const order = await newOrder();
  const { page } = await hostPage(context, "/shop/tampered-wasm.html", `<div id="slot"></div>${scriptTag()}`);
  await page.waitForFunction(() => window.WalletCheckout);
  const outcome = await page.evaluate(async (o) => {
    const slot = document.getElementById("slot");
    try {
      await window.WalletCheckout.mount(slot, { order: o }).ready;
      return "mounted";
    } catch (e) {
      // The first screen (painted before the wasm) turns into the load error state: no dead buttons.
      await new Promise((r) => setTimeout(r, 100));
      return {
        message: e.message,
        alert: slot.querySelector(".wc-status[role='alert']")?.textContent,
        retry: slot.querySelector(".wc-error .wc-primary")?.textContent,
        wallets: slot.querySelector(".wc-wallets")?.hidden,
      };
    }
  }, order);
  assert.match(outcome.message, /wallet-checkout: could not load the WebAssembly/);
  assert.deepEqual({ ...outcome, message: undefined }, { message: undefined, alert: "The payment could not be started.", retry: "Retry", wallets: true });
  await context.close();
});

// Inline mode under a strict CSP is the scenario catalogue's (catalogue.mjs, all three engines).

test("iframe mode under default-src 'self'; script-src 'self' (no wasm allowed on the host): no violation, pays, resizes, events reach the host", async () => {
  const context = await browser.newContext({ viewport: { width: 1280, height: 900 } });
  const order = await newOrder();
  const csp = "default-src 'self'; script-src 'self'";
  const { page, errors } = await hostPage(context, "/shop/iframe-csp.html",
    `<wallet-checkout order="${order}" client-secret="${secretOf(order)}" mode="iframe"></wallet-checkout>
     <script src="/shop/listen.js"></script>${scriptTag()}`, { csp, head: `<link rel="stylesheet" href="/shop/theme.css">`, files: {
      "/shop/theme.css": ["text/css", `wallet-checkout { --wallet-checkout-accent: rgb(200, 0, 100); font-family: monospace; }`],
      "/shop/listen.js": ["text/javascript", `window.__events = [];
        document.querySelector("wallet-checkout").addEventListener("wallet-checkout:success", (e) => window.__events.push(e.detail.session.amount.value));`],
    } });
  const frame = page.frameLocator("wallet-checkout iframe");
  const created = nextSession(page);
  await frame.getByRole("button", { name: "Alipay", exact: true }).click();
  const session = await created;
  await frame.locator("svg.wc-qr").waitFor();
  const look = await frame.locator(".wc").evaluate((el) => ({
    accent: getComputedStyle(el).getPropertyValue("--wc-accent").trim(),
    font: getComputedStyle(el).fontFamily,
  }));
  assert.deepEqual(look, { accent: "rgb(200, 0, 100)", font: "monospace" }, "the host's theme and font reach the frame");
  const height = await page.locator("wallet-checkout iframe").evaluate((f) => f.getBoundingClientRect().height);
  assert.ok(height > 250, `the frame grew to its content (${height}px)`);
  await pay(lastSegment(session.action.content));
  await frame.getByRole("status").filter({ hasText: "Payment successful" }).waitFor();
  await page.waitForFunction(() => window.__events.length > 0);
  assert.deepEqual(await page.evaluate(() => window.__events), [1234]);
  assert.deepEqual(await page.evaluate(() => window.__violations), [], "the host page's CSP was never violated");
  assert.equal(await page.evaluate(() => !!document.querySelector("script[src*='glue']")), false, "the host page never loads the glue");
  assert.equal((await fetch(`${server.base}/frame.html`)).status, 404, "the page is served only with its CSP");
  const policy = (await fetch(`${server.base}/api/checkout/frame`)).headers.get("content-security-policy");
  assert.match(policy, /frame-ancestors 'self'/);
  assert.doesNotMatch(policy, /'unsafe-inline'|'unsafe-eval'/);
  assert.deepEqual(errors, []);
  await context.close();
});

test("the iframe page ignores messages from anyone but its parent, and the host ignores other origins", async () => {
  const context = await browser.newContext();
  const order = await newOrder();
  const { page } = await hostPage(context, "/shop/iframe-origin.html",
    `<wallet-checkout order="${order}" client-secret="${secretOf(order)}" mode="iframe"></wallet-checkout>${scriptTag()}`);
  const frame = page.frameLocator("wallet-checkout iframe");
  await frame.getByRole("button", { name: "Alipay", exact: true }).waitFor();
  // A message that claims to be the frame but comes from the page itself changes nothing.
  const before = await page.locator("wallet-checkout iframe").evaluate((f) => f.style.height);
  await page.evaluate(() => window.postMessage({ wc: "size", height: 5 }, "*"));
  await page.waitForTimeout(200);
  assert.equal(await page.locator("wallet-checkout iframe").evaluate((f) => f.style.height), before);
  await context.close();
});

test("two widgets on one page work independently", async () => {
  const context = await browser.newContext({ viewport: { width: 1280, height: 1400 } });
  const [a, b] = [await newOrder(), await newOrder()];
  const { page, errors } = await hostPage(context, "/shop/two.html",
    `<wallet-checkout id="a" order="${a}" client-secret="${secretOf(a)}"></wallet-checkout><wallet-checkout id="b" order="${b}" client-secret="${secretOf(b)}" locale="fr"></wallet-checkout>${scriptTag()}`);
  const first = page.locator("#a");
  const second = page.locator("#b");
  let created = nextSession(page);
  await first.getByRole("button", { name: "Alipay", exact: true }).click();
  const sa = await created;
  created = nextSession(page);
  await second.getByRole("button", { name: "UnionPay", exact: true }).click();
  const sb = await created;
  assert.notEqual(sa.id, sb.id);
  assert.deepEqual([sa.order, sb.order], [a, b]);
  // Moving an element in the DOM keeps its checkout: same QR, no new session.
  const posts = [];
  page.on("request", (r) => { if (r.method() === "POST") posts.push(r.url()); });
  const qrBefore = await first.locator("svg.wc-qr path").getAttribute("d");
  await page.evaluate(() => document.body.append(document.getElementById("a")));
  await page.waitForTimeout(300);
  assert.equal(await first.locator("svg.wc-qr path").getAttribute("d"), qrBefore);
  assert.deepEqual(posts, []);
  await pay(lastSegment(sb.action.content));
  await second.getByRole("status").filter({ hasText: "Paiement réussi" }).waitFor();
  assert.equal(await first.getByRole("img", { name: /QR code/ }).count(), 1, "the first widget still waits with its QR");
  await pay(lastSegment(sa.action.content));
  await first.getByRole("status").filter({ hasText: "Payment successful" }).waitFor();
  assert.deepEqual(errors, []);
  await context.close();
});

/** An init script that keeps, in `window.__live`, what the page has running: intervals and timeouts
 * not yet fired nor cleared, open event streams, and with `listeners` the window's and document's
 * listeners, with `asks` every request and stream to `/api/checkout/`. */
function trackLive({ listeners, asks }) {
  const live = (window.__live = { listeners: 0, asks: 0, intervals: new Set(), timers: new Set(), streams: 0 });
  if (listeners) {
    for (const target of [window, document]) {
      const add = target.addEventListener.bind(target);
      const remove = target.removeEventListener.bind(target);
      const seen = new Set();
      target.addEventListener = (type, fn, opts) => {
        const key = `${type}`;
        if (typeof fn === "function" && !seen.has(fn)) { seen.add(fn); live.listeners++; fn.__key = key; }
        return add(type, fn, opts);
      };
      target.removeEventListener = (type, fn, opts) => {
        if (seen.delete(fn)) live.listeners--;
        return remove(type, fn, opts);
      };
    }
  }
  if (asks) {
    const f = window.fetch.bind(window);
    window.fetch = (input, init) => {
      if (String(input.url ?? input).includes("/api/checkout/")) live.asks++;
      return f(input, init);
    };
  }
  const setI = window.setInterval.bind(window);
  const clearI = window.clearInterval.bind(window);
  window.setInterval = (...a) => { const id = setI(...a); live.intervals.add(id); return id; };
  window.clearInterval = (id) => { live.intervals.delete(id); return clearI(id); };
  // Timeouts not yet fired nor cleared (the widget's clock is one, set again on each second).
  const setT = window.setTimeout.bind(window);
  const clearT = window.clearTimeout.bind(window);
  window.setTimeout = (fn, ms, ...a) => {
    const id = setT((...b) => { live.timers.delete(id); if (typeof fn === "function") fn(...b); }, ms, ...a);
    live.timers.add(id);
    return id;
  };
  window.clearTimeout = (id) => { live.timers.delete(id); return clearT(id); };
  const ES = window.EventSource;
  window.EventSource = class extends ES {
    constructor(...a) { super(...a); if (asks) live.asks++; live.streams++; }
    close() { if (this.readyState !== 2) live.streams--; super.close(); }
  };
}

test("mount, unmount and mount again: no listener, timer or event stream is left behind", async () => {
  const context = await browser.newContext({ viewport: { width: 1280, height: 900 } });
  const order = await newOrder();
  const page = await context.newPage();
  await page.addInitScript(trackLive, { listeners: true, asks: false });
  const errors = watchErrors(page);
  await page.route(`${server.base}/shop/leaks.html`, (r) => r.fulfill({ contentType: "text/html",
    body: `<!doctype html><html lang="en"><head><title>Shop</title></head><body><div id="slot"></div>${scriptTag()}</body></html>` }));
  await page.goto(`${server.base}/shop/leaks.html`);
  await page.waitForFunction(() => window.WalletCheckout);
  const count = () => page.evaluate(() => ({ listeners: window.__live.listeners, intervals: window.__live.intervals.size, timers: window.__live.timers.size, streams: window.__live.streams }));
  const baseline = await count();
  for (let round = 0; round < 2; round++) {
    await page.evaluate(async (o) => { window.h = window.WalletCheckout.mount(document.getElementById("slot"), o); await window.h.ready; }, withSecret(order));
    if (round === 0) {
      const created = nextSession(page);
      await page.getByRole("button", { name: "Alipay", exact: true }).click();
      await created;
    } // the second mount resumes the same pending session (remembered per order): no new POST
    await page.locator("#slot svg.wc-qr").waitFor();
    await page.waitForFunction(() => window.__live.streams === 1);
    const busy = await count();
    assert.ok(busy.timers > baseline.timers && busy.listeners > baseline.listeners, `the widget was live: ${JSON.stringify(busy)}`);
    await page.evaluate(() => window.h.unmount());
    assert.equal(await page.locator("#slot").innerHTML(), "");
    // The loader's first mount adds its own once-only listeners (the glue); compare after round 1.
    if (round === 0) Object.assign(baseline, { listeners: (await count()).listeners });
    assert.deepEqual(await count(), baseline, `round ${round + 1}: everything the widget started is stopped`);
  }
  assert.deepEqual(errors, []);
  await context.close();
});

test("callbacks that unmount, throw, or mount again: the widget stays consistent and a stopped one asks nothing", async () => {
  const context = await browser.newContext({ viewport: { width: 1280, height: 900 } });
  const page = await context.newPage();
  await page.addInitScript(trackLive, { listeners: false, asks: true });
  const errors = watchErrors(page);
  await page.route(`${server.base}/shop/callbacks.html`, (r) => r.fulfill({ contentType: "text/html",
    body: `<!doctype html><html lang="en"><head><title>Shop</title></head><body><div id="slot"></div>${scriptTag()}</body></html>` }));
  await page.goto(`${server.base}/shop/callbacks.html`);
  await page.waitForFunction(() => window.WalletCheckout);

  // 1. onStateChange unmounts as soon as the session is pending: nothing is asked afterwards.
  const first = await newOrder();
  await page.evaluate(async ({ order, clientSecret }) => {
    window.seen = [];
    window.h = window.WalletCheckout.mount(document.getElementById("slot"), { order, clientSecret, onStateChange: (d) => {
      window.seen.push(d.state);
      if (d.state === "pending") {
        window.h.unmount();
        window.__asksAtUnmount = window.__live.asks;
      }
    } });
    await window.h.ready;
  }, withSecret(first));
  await page.getByRole("button", { name: "Alipay", exact: true }).click();
  await page.waitForFunction(() => window.__asksAtUnmount !== undefined);
  await page.waitForTimeout(2500); // a poll, a retry or a delayed stream would have gone by now
  const after = await page.evaluate(() => ({ asks: window.__live.asks, at: window.__asksAtUnmount, intervals: window.__live.intervals.size, timers: window.__live.timers.size,
    streams: window.__live.streams, html: document.getElementById("slot").innerHTML, seen: window.seen }));
  assert.equal(after.html, "", "unmounted from inside its own callback");
  assert.equal(after.asks, after.at, `no request or stream after the unmount: ${JSON.stringify(after)}`);
  assert.equal(after.streams, 0, "the event stream is closed");
  assert.equal(after.intervals + after.timers, 0, `the clock and every timer are cleared: ${JSON.stringify(after)}`);
  assert.deepEqual(after.seen.slice(-1), ["pending"], "no notice after the unmount");

  // 2. A callback that throws is logged; the widget goes on to its QR.
  const second = await newOrder();
  await page.evaluate(async ({ order, clientSecret }) => {
    window.h = window.WalletCheckout.mount(document.getElementById("slot"), { order, clientSecret, onStateChange: () => { throw new Error("merchant bug"); } });
    await window.h.ready;
  }, withSecret(second));
  await page.getByRole("button", { name: "Alipay", exact: true }).click();
  await page.locator("#slot svg.wc-qr").waitFor();
  await page.evaluate(() => window.h.unmount());
  assert.ok(errors.length > 0 && errors.every((e) => e.includes("callback threw")), errors.join("\n"));
  errors.length = 0;

  // 3. A callback that unmounts and mounts again: the new widget resumes the pending session.
  const third = await newOrder();
  await page.evaluate(async ({ order, clientSecret }) => {
    window.remounted = false;
    const again = (d) => {
      if (d.state !== "pending" || window.remounted) return;
      window.remounted = true;
      window.h.unmount();
      window.h = window.WalletCheckout.mount(document.getElementById("slot"), { order, clientSecret });
    };
    window.h = window.WalletCheckout.mount(document.getElementById("slot"), { order, clientSecret, onStateChange: again });
    await window.h.ready;
  }, withSecret(third));
  await page.getByRole("button", { name: "Alipay", exact: true }).click();
  await page.waitForFunction(() => window.remounted);
  await page.evaluate(() => window.h.ready);
  await page.locator("#slot svg.wc-qr").waitFor();
  assert.equal(await page.locator("#slot svg.wc-qr").count(), 1, "one widget, showing the resumed QR");
  await page.waitForFunction(() => window.__live.streams === 1);
  await page.evaluate(() => window.h.unmount());
  await page.waitForFunction(() => window.__live.streams === 0 && window.__live.intervals.size === 0 && window.__live.timers.size === 0);
  assert.deepEqual(errors, []);
  await context.close();
});

test("npm package: importing it in Node (no DOM) does not throw, and mount() explains what it needs", async () => {
  const pkg = join(SITE, "npm");
  const mod = await import(pathToFileURL(join(pkg, "index.js")).href);
  assert.equal(typeof mod.mount, "function");
  assert.equal(typeof mod.load, "function");
  assert.doesNotThrow(() => mod.defineElement());
  await import(pathToFileURL(join(pkg, "register.js")).href);
  const handle = mod.mount(null, { order: "A1" });
  await assert.rejects(handle.ready, /needs a DOM element/);
  const exports = JSON.parse(readFileSync(join(pkg, "package.json"), "utf8")).exports;
  assert.deepEqual(Object.keys(exports).sort(), [".", "./package.json", "./register", "./style.css"]);
});

test("TypeScript: the declarations accept correct calls and reject wrong ones", () => {
  const tsc = join(ROOT, "node_modules/.bin/tsc");
  const cwd = join(ROOT, "www/types-test");
  const good = spawnSync(tsc, ["-p", "tsconfig.json"], { cwd, encoding: "utf8" });
  assert.equal(good.status, 0, good.stdout + good.stderr);
  const bad = spawnSync(tsc, ["-p", "tsconfig.bad.json"], { cwd, encoding: "utf8" });
  assert.notEqual(bad.status, 0, "the file of wrong calls must not type-check");
  const lines = readFileSync(join(cwd, "bad.ts"), "utf8").split("\n");
  const expected = lines.flatMap((l, i) => (l.trim().startsWith("// expect-error") ? [i + 2] : []));
  const got = [...bad.stdout.matchAll(/^bad\.ts\((\d+),\d+\): error/gm)].map((m) => Number(m[1]));
  assert.equal(expected.length, 6);
  assert.deepEqual(got, expected, bad.stdout);
});

test("the Vite example builds from the packed tarball, takes a payment and speaks Japanese from its split-off table", async () => {
  const tarball = join(SITE, `wallet-checkout-${manifest.version}.tgz`);
  assert.ok(existsSync(tarball), "cargo xtask dist packs the npm package");
  const app = mkdtempSync(join(tmpdir(), "wallet-checkout-vite-"));
  cpSync(join(ROOT, "www/examples/vite"), app, { recursive: true, filter: (p) => !/node_modules|dist$/.test(p) });
  // Only the tarball is installed here; Vite itself comes from the repository's pinned dev tools.
  execFileSync("npm", ["install", "--omit=dev", "--no-audit", "--no-fund", "--no-package-lock", tarball], { cwd: app, stdio: "pipe" });
  execFileSync("node", [join(ROOT, "node_modules/vite/bin/vite.js"), "build", "--logLevel", "warn"], { cwd: app, stdio: "pipe" });
  const shop = await startServer(["--site", join(app, "dist")]);
  try {
    const context = await browser.newContext({ viewport: { width: 1280, height: 900 } });
    const page = await context.newPage();
    const errors = watchErrors(page);
    await page.goto(`${shop.base}/`);
    const created = page.waitForResponse((r) => r.url().endsWith("/api/checkout/sessions")).then((r) => r.json());
    await page.getByRole("button", { name: "WeChat Pay", exact: true }).click();
    const session = await created;
    await page.locator("svg.wc-qr").waitFor();
    await payOn(shop.base, lastSegment(session.action.content));
    await page.getByRole("status").filter({ hasText: "Payment successful" }).waitFor();
    assert.equal(await page.evaluate(() => document.body.dataset.paid), session.id);
    // Another language through the bundle: the package's table is a chunk Vite split off.
    await page.evaluate(() => window.checkout.update({ locale: "ja" }));
    await page.locator(".wc:not([aria-busy]) .wc-wallet").filter({ hasText: "アリペイ" }).waitFor();
    assert.deepEqual(errors, []);
    await context.close();
  } finally {
    await shop.stop();
  }
});
