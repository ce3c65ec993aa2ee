//! The first screen before the wasm (`www/first.js`), and the shopper's one language: in Chromium,
//! Firefox and WebKit the embedding code paints the choosing screen and the wasm takes over in the
//! same boxes with the same words; in Chromium (whose requests the test can hold or break) the bad
//! inputs: a language table that fails or does not match its integrity (English), a press before the
//! wasm is ready (kept and replayed), a wasm that cannot load (the load error state, then Retry),
//! `update` to a language not downloaded yet (English at once, then that language), and only the
//! shopper's one table downloaded.
import { test, before, after } from "node:test";
import assert from "node:assert/strict";
import { readFileSync } from "node:fs";
import { join, resolve } from "node:path";
import { startServer, launchBrowser, newOrder as orderOn, secretOf } from "./harness.mjs";
import { forEachEngine, hostSite, waitFor } from "./engines.mjs";

const ROOT = resolve(import.meta.dirname, "../..");
const SITE = process.env.WALLET_CHECKOUT_SITE ?? join(ROOT, "dist");
const manifest = JSON.parse(readFileSync(join(SITE, "manifest.json"), "utf8"));
const fileOf = (pattern) => manifest.files.find((f) => pattern.test(f.file)).file;
const WASM = fileOf(/\.wasm$/);
const TABLE = (tag) => fileOf(new RegExp(`^wallet-checkout-words-${tag}\\.`));

test("the embedding code picks the language as src/i18n.rs's Locale::pick says (its cases)", async () => {
  const { pickLocale } = await import("../../www/first.js");
  const pick = (option, languages = []) => {
    Object.defineProperty(globalThis, "navigator", { value: { languages }, configurable: true });
    return pickLocale(option);
  };
  for (const [tag, want] of [
    ["zh-CN", "zh-CN"], ["zh-Hans-CN", "zh-CN"], ["zh", "zh-CN"], ["zh-TW", "zh-TW"], ["zh-Hant-HK", "zh-TW"],
    ["zh_HK", "zh-TW"], ["fr-CA", "fr"], ["FR", "fr"], ["en-CA", "en"], ["de-DE", "de"], ["de-AT", "de"],
    ["ja-JP", "ja"], ["ko", "ko"], ["es-419", "es"], ["it-CH", "it"], ["nl-BE", "nl"], ["pt-BR", "en"], ["", "en"],
  ]) {
    assert.equal(pick(tag), want, tag);
  }
  // The option first, then the browser's languages in order; English when none is the widget's.
  assert.equal(pick("pt-PT", ["fr-FR", "en"]), "fr");
  assert.equal(pick(undefined, ["pt-PT", "ko-KR"]), "ko");
  assert.equal(pick("pt-PT"), "en");
  assert.equal(pick(42, ["ja"]), "ja", "a locale that is not a string is skipped (the wasm refuses the mount)");
});

test("the npm package carries every other language as a module, the same table the script tag fetches", async () => {
  const { TAGS, ENTRIES } = await import("../../www/words.js");
  for (const tag of TAGS.filter((t) => t !== "en")) {
    const { default: table } = await import(join(SITE, "npm/locales", `${tag}.js`));
    assert.equal(table.length, ENTRIES, tag);
    assert.deepEqual(table, JSON.parse(readFileSync(join(ROOT, "www/locales", `${tag}.json`), "utf8")), tag);
  }
});

let server;
before(async () => {
  server = await startServer();
});
after(async () => {
  await server?.stop();
});

/** Records the widget's boxes and words when the first screen appears and when the wasm's replaces
 * it (its buttons with their marks, `aria-busy` gone), then mounts `options` into `#slot`. */
const RECORD = `
  const slot = document.getElementById("slot");
  const look = () => {
    const root = slot.querySelector(".wc");
    const box = (e) => { const r = e.getBoundingClientRect(); return [r.x, r.y, r.width, r.height].map(Math.round).join(","); };
    return {
      lang: root.getAttribute("lang"),
      label: root.querySelector(".wc-wallets").getAttribute("aria-label"),
      names: [...root.querySelectorAll(".wc-wallet")].map((b) => b.textContent.trim()),
      marks: [...root.querySelectorAll(".wc-wallet .wc-mark")].map((m) => m.getAttribute("viewBox")),
      boxes: [root, ...root.querySelectorAll(".wc-wallets, .wc-wallet, .wc-mark, .wc-wallet span, .wc-status")].map(box),
    };
  };
  window.__first = null;
  window.__final = null;
  new MutationObserver(() => {
    if (!window.__first && slot.querySelector(".wc[aria-busy] .wc-wallet")) window.__first = look();
    if (!window.__final && slot.querySelector(".wc:not([aria-busy]) .wc-wallet .wc-mark")) window.__final = look();
  }).observe(slot, { subtree: true, childList: true, attributes: true });
`;

const page = (order, options) => ({
  body: `<div id="slot" style="max-width: 480px"></div>
    <script>${RECORD}
      addEventListener("wallet-checkout:loaded", () => {
        window.__handle = WalletCheckout.mount(slot, ${JSON.stringify({ order, clientSecret: secretOf(order), ...options })});
      });
    </script>
    <script src="/${manifest.loader}" integrity="${manifest.files.find((f) => f.file === manifest.loader).sha384}" crossorigin="anonymous" async></script>`,
});

forEachEngine((engine) => {
  const { name } = engine;
  for (const [locale, phone, names] of [["en", false, ["Alipay", "WeChat Pay", "UnionPay"]], ["zh-CN", true, ["支付宝", "微信支付", "银联"]]]) {
    test(`${name}: the first screen (${locale}, ${phone ? "phone" : "desktop"}) is painted before the wasm, which takes over in the same boxes`, async () => {
      const order = await orderOn(server.base);
      // The wasm comes 300 ms late (a slow network, which the first screen is for), so the first
      // screen is always there to be seen before it, in every engine.
      const site = await hostSite(server.base, {
        "/first.html": page(order, { locale }),
        [`/${WASM}`]: { type: "application/wasm", raw: readFileSync(join(SITE, WASM)), delay: 300 },
      });
      const p = await engine.newPage({ phone });
      try {
        await p.goto(`${site.origin}/first.html`);
        await waitFor(p, () => window.__final !== null, undefined, { what: "the wasm's widget" });
        const { first, final } = await p.eval(() => ({ first: window.__first, final: window.__final }));
        assert.ok(first, "the first screen was painted before the wasm's");
        assert.deepEqual(first.names, names);
        assert.deepEqual(first.marks.length, 3);
        assert.equal(first.lang, locale);
        // The same words and marks, in the same boxes: nothing moves when the wasm takes over.
        assert.deepEqual(final, first);
        assert.deepEqual(p.errors ?? [], []);
      } finally {
        await p.close?.();
        await site.close();
      }
    });
  }
});

// ---------------------------------------------------------------------------- Chromium: bad inputs

let browser;
before(async () => {
  browser = await launchBrowser();
});
after(async () => {
  await browser?.close();
});

/** A Chromium page on the server's own origin with the widget mounted by `options` after `prepare`
 * (which may hold or break requests); resolves with the page and the files it fetched. */
async function open(options, prepare = async () => {}, viewport = { width: 1024, height: 800 }) {
  const order = await orderOn(server.base);
  const context = await browser.newContext({ viewport });
  await prepare(context);
  const p = await context.newPage();
  const fetched = [];
  const warnings = [];
  p.on("request", (r) => fetched.push(new URL(r.url()).pathname.slice(1)));
  p.on("console", (m) => m.type() === "warning" && warnings.push(m.text()));
  const { body } = page(order, options);
  await p.route(`${server.base}/first.html`, (route) =>
    route.fulfill({ contentType: "text/html", body: `<!doctype html><html lang="en"><head><meta charset="utf-8"><title>Shop</title></head><body>${body}</body></html>` }));
  await p.goto(`${server.base}/first.html`);
  return { context, page: p, fetched, warnings, order };
}

const finalLook = (p) => p.waitForFunction(() => window.__final).then((h) => h.jsonValue());

test("only the shopper's one language is downloaded, beside the wasm; English downloads none", async () => {
  const ja = await open({ locale: "ja" });
  const look = await finalLook(ja.page);
  assert.equal(look.lang, "ja");
  assert.deepEqual(look.names, ["アリペイ", "WeChat Pay", "銀聯"]);
  assert.deepEqual(ja.fetched.filter((f) => f.startsWith("wallet-checkout-words-")), [TABLE("ja")]);
  await ja.context.close();
  const en = await open({ locale: "en-GB" });
  assert.equal((await finalLook(en.page)).lang, "en");
  assert.deepEqual(en.fetched.filter((f) => f.startsWith("wallet-checkout-words-")), []);
  await en.context.close();
});

for (const [what, breakIt] of [
  ["fails to load", (route) => route.abort()],
  ["does not match its integrity", async (route) => {
    const real = await route.fetch();
    const table = JSON.parse(await real.text());
    table[0] = "Tampered";
    await route.fulfill({ response: real, body: JSON.stringify(table) });
  }],
  ["is not a whole table", (route) => route.fulfill({ status: 200, contentType: "application/json", body: "[]" })],
  ["is an object, not the table's array", (route) => route.fulfill({ status: 200, contentType: "application/json", body: '{"choose": "Choisissez"}' })],
]) {
  test(`a language table that ${what}: the widget in English, no error, ready resolves`, async () => {
    const { context, page: p, warnings } = await open({ locale: "fr" }, (c) => c.route(`**/${TABLE("fr")}`, breakIt));
    const look = await finalLook(p);
    assert.equal(look.lang, "en");
    assert.deepEqual(look.names, ["Alipay", "WeChat Pay", "UnionPay"]);
    assert.equal(look.label, "Choose how to pay");
    assert.equal(await p.evaluate(() => window.__handle.ready.then(() => "ready")), "ready");
    assert.ok(warnings.some((w) => /the fr words did not load/.test(w)), warnings.join("\n"));
    // Still a checkout: a press makes a session.
    const created = p.waitForResponse((r) => r.url().endsWith("/api/checkout/sessions") && r.request().method() === "POST");
    await p.getByRole("button", { name: "Alipay", exact: true }).click();
    assert.equal((await created).status(), 201);
    await context.close();
  });
}

test("a press on the first screen before the wasm is ready is kept, and pays with that wallet once it is", async () => {
  let release;
  const held = new Promise((r) => (release = r));
  const { context, page: p, fetched } = await open({ locale: "en" }, (c) => c.route(`**/${WASM}`, async (route) => {
    await held;
    await route.continue();
  }));
  const first = p.locator("#slot .wc[aria-busy] .wc-wallet[data-wallet='wechat_pay']");
  await first.waitFor();
  assert.equal(await p.evaluate(() => window.__final), null, "the wasm is held back");
  await first.click();
  assert.equal(await first.getAttribute("aria-pressed"), "true");
  const created = p.waitForResponse((r) => r.url().endsWith("/api/checkout/sessions") && r.request().method() === "POST");
  release();
  const response = await created;
  assert.equal(JSON.parse(response.request().postData()).wallet, "wechat_pay");
  await p.locator("#slot svg.wc-qr:not([hidden])").waitFor();
  // The press was replayed once: one session, for that wallet.
  await p.waitForTimeout(300);
  assert.equal(fetched.filter((f) => f === "api/checkout/sessions").length, 1);
  assert.equal(await p.locator("#slot .wc-wallet[data-wallet='wechat_pay'][aria-pressed='true']").count(), 1);
  await context.close();
});

test("a wasm that cannot load turns the first screen into the load error state, and Retry loads it", async () => {
  let broken = true;
  const { context, page: p } = await open({ locale: "de" }, (c) => c.route(`**/${WASM}`, (route) => (broken ? route.abort() : route.continue())));
  const alert = p.locator("#slot .wc-status[role='alert']");
  await alert.waitFor();
  assert.equal(await alert.textContent(), "Die Zahlung konnte nicht gestartet werden.");
  const state = await p.evaluate(() => ({
    busy: document.querySelector("#slot .wc").hasAttribute("aria-busy"),
    wallets: document.querySelector("#slot .wc-wallets").hidden,
  }));
  assert.deepEqual(state, { busy: false, wallets: true }, "no dead buttons: the wallets are gone, Retry is offered");
  assert.match(await p.evaluate(() => window.__handle.ready.then(() => "mounted", (e) => e.message)), /could not load the WebAssembly/);
  broken = false;
  await p.getByRole("button", { name: "Wiederholen" }).click();
  await p.locator("#slot .wc:not([aria-busy]) .wc-wallet .wc-mark").first().waitFor();
  assert.equal(await p.evaluate(() => window.__handle.ready.then(() => "mounted")), "mounted");
  await p.getByRole("button", { name: "Alipay", exact: true }).click();
  await p.locator("#slot svg.wc-qr:not([hidden])").waitFor();
  await context.close();
});

test("update to a language not downloaded yet: English at once, then that language once its table is here", async () => {
  let release;
  const held = new Promise((r) => (release = r));
  const { context, page: p, fetched } = await open({ locale: "en" }, (c) => c.route(`**/${TABLE("ko")}`, async (route) => {
    await held;
    await route.continue();
  }));
  await finalLook(p);
  await p.evaluate(() => {
    window.__first = window.__final = null;
    window.__updated = window.__handle.update({ locale: "ko" }).then(() => "updated");
  });
  const meanwhile = await p.waitForFunction(() => window.__first).then((h) => h.jsonValue());
  assert.equal(meanwhile.lang, "en");
  assert.deepEqual(meanwhile.names, ["Alipay", "WeChat Pay", "UnionPay"]);
  release();
  assert.equal(await p.evaluate(() => window.__updated), "updated");
  const look = await finalLook(p);
  assert.equal(look.lang, "ko");
  assert.deepEqual(look.names, ["알리페이", "위챗페이", "유니온페이"]);
  assert.ok(fetched.includes(TABLE("ko")));
  await context.close();
});

test("iframe mode: the frame paints the first screen before its wasm, then the widget in the same boxes, and the host's frame is sized from the first", async () => {
  let release;
  const held = new Promise((r) => (release = r));
  const order = await orderOn(server.base);
  const context = await browser.newContext({ viewport: { width: 1024, height: 800 } });
  await context.route(`**/${WASM}`, async (route) => {
    await held;
    await route.continue();
  });
  const p = await context.newPage();
  await p.route(`${server.base}/frame-host.html`, (route) => route.fulfill({
    contentType: "text/html",
    body: `<!doctype html><html lang="en"><head><meta charset="utf-8"><title>Shop</title></head><body>
      <wallet-checkout order="${order}" client-secret="${secretOf(order)}" mode="iframe" locale="zh-CN"></wallet-checkout>
      <script src="/${manifest.loader}" integrity="${manifest.files.find((f) => f.file === manifest.loader).sha384}" crossorigin="anonymous" async></script></body></html>`,
  }));
  await p.goto(`${server.base}/frame-host.html`);
  const frame = p.frameLocator("wallet-checkout iframe");
  const boxes = (root) => root.evaluate((r) => [r, ...r.querySelectorAll(".wc-wallet, .wc-mark")].map((e) => {
    const b = e.getBoundingClientRect();
    return [b.x, b.y, b.width, b.height].map(Math.round).join(",");
  }));
  const first = frame.locator(".wc[aria-busy]");
  await first.waitFor();
  assert.deepEqual(await first.locator(".wc-wallet").allTextContents(), ["支付宝", "微信支付", "银联"]);
  const before = await boxes(first);
  // The host already sized its frame to the first screen.
  const height = await p.locator("wallet-checkout iframe").evaluate((f) => f.getBoundingClientRect().height);
  assert.ok(height > 40, `the frame is ${height} px high while the wasm loads`);
  release();
  const live = frame.locator(".wc:not([aria-busy])");
  await live.locator(".wc-wallet .wc-mark").first().waitFor();
  assert.deepEqual(await boxes(live), before);
  await frame.getByRole("button", { name: "支付宝", exact: true }).click();
  await frame.locator("svg.wc-qr:not([hidden])").waitFor();
  await context.close();
});
