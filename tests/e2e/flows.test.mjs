//! The widget's flows on every device, end to end in headless Chromium against the real demo server
//! and its sandbox: phone redirect and return, back/forward cache, WeChat and Alipay in-app bridges
//! (fakes injected by the test: the apps cannot run here), Alipay inside WeChat, expiry and a new
//! code, a server restart mid-wait, request counting, hidden tabs, callbacks, languages.
import { test, before, after } from "node:test";
import assert from "node:assert/strict";
import { mkdtempSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { startServer, sandboxConfig, launchBrowser, decodeQrOnScreen, watchErrors, devices, freePort, axeFindings, SHOTS, pay, lastSegment,
  shot, openShop, choose, status, noAxe, WECHAT_UA, ALIPAY_UA } from "./harness.mjs";

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

const IPHONE = devices["iPhone 13"];

/** Records the widget's DOM events (they bubble out of the host) from the page's first script on. */
function recordEvents(context) {
  return context.addInitScript(() => {
    window.__events = [];
    for (const name of ["statechange", "success", "failure", "expire", "cancel", "error"]) {
      document.addEventListener(`wallet-checkout:${name}`, (e) => window.__events.push([name, e.detail.state]));
    }
    window.__shows = [];
    addEventListener("pageshow", (e) => window.__shows.push(e.persisted));
  });
}




test("core: iPhone: Alipay hands over to the wallet page, the shopper pays, comes back, and sees success", async () => {
  const context = await browser.newContext({ ...IPHONE });
  await recordEvents(context);
  const { page, errors } = await openShop(context, server.base);
  const shop = page.url();
  assert.match(shop, /\?order=/, "the demo keeps its order in the address, so the return finds it");
  const order = new URL(shop).searchParams.get("order");
  const session = await choose(page, "Alipay");
  assert.equal(session.flow, "redirect", "a phone browser asks for the redirect flow");
  assert.equal(session.action.type, "redirect");

  // The widget leaves for the wallet's page by itself, remembering the session for this order.
  await page.waitForURL((u) => u.pathname.startsWith("/sandbox/"));
  const kept = await page.evaluate((o) => sessionStorage.getItem(`wallet-checkout:/api/checkout:${o}`), order);
  assert.equal(kept, session.id);
  await page.getByRole("button", { name: "Pay", exact: true }).click();
  await page.getByText("Payment complete").waitFor();

  // The sandbox sends the shopper back to return_url: the page this widget was on.
  await page.waitForURL(shop, { timeout: 15_000 });
  await status(page, "Payment successful");
  const states = await page.evaluate(() => window.__events.filter(([n]) => n === "statechange").map(([, s]) => s));
  assert.deepEqual(states, ["choosing", "confirming", "succeeded"], "resumed by itself: Confirming payment…, then the outcome");
  assert.equal(await page.evaluate((o) => sessionStorage.getItem(`wallet-checkout:/api/checkout:${o}`), order), null, "forgotten once final");
  const focused = await page.evaluate(() => document.activeElement?.textContent);
  assert.equal(focused, "Payment successful", "focus moves to the outcome");
  await noAxe(page, "succeeded (phone)");
  await shot(page, "phone-en-success");
  assert.deepEqual(errors, []);
  await context.close();
});

test("core: iPhone: back from the wallet page through the back/forward cache checks the status at once", async () => {
  const context = await browser.newContext({ ...IPHONE });
  await recordEvents(context);
  const { page, errors } = await openShop(context, server.base, "?locale=zh-CN");
  const session = await choose(page, "Alipay");
  await page.waitForURL((u) => u.pathname.startsWith("/sandbox/"));
  const checked = page.waitForRequest((r) => r.url().includes(`/sessions/${session.id}`));
  await page.goBack({ waitUntil: "commit" });
  await checked;
  assert.deepEqual(await page.evaluate(() => window.__shows), [false, true], "the page came back from the back/forward cache");
  await status(page, "正在确认支付结果");
  const link = page.getByRole("link", { name: "前往 支付宝" });
  assert.equal(await link.getAttribute("href"), session.action.url, "the shopper can go back to the wallet");
  await noAxe(page, "pending, back from the wallet (zh-CN)");
  await shot(page, "phone-zh-confirming");
  await pay(server.base, lastSegment(session.action.url));
  await status(page, "支付成功");
  await shot(page, "phone-zh-success");
  assert.deepEqual(errors, []);
  await context.close();
});

test("core: WeChat in-app: the widget waits for WeixinJSBridge, a closed sheet offers Pay again, the server decides", async () => {
  const own = await startServer(["--config", sandboxConfig(`[routing]\nwechat_pay = "alphapay"\n`)]);
  try {
    const context = await browser.newContext({ ...IPHONE, userAgent: WECHAT_UA });
    await recordEvents(context);
    const { page, errors } = await openShop(context, own.base);
    const session = await choose(page, "WeChat Pay");
    assert.equal(session.flow, "wechat_in_app");
    assert.equal(session.action.type, "wechat_jsapi");
    // WeChat injects its bridge late and fires WeixinJSBridgeReady: so does this fake.
    await page.waitForTimeout(300);
    await page.evaluate(() => {
      window.__calls = [];
      window.WeixinJSBridge = {
        invoke(name, params, cb) {
          window.__calls.push({ name, params });
          if (window.__calls.length === 1) return setTimeout(() => cb({ err_msg: "get_brand_wcpay_request:cancel" }), 50);
          const id = params.package.replace("prepay_id=", "");
          fetch(`/sandbox/wallet/${id}/pay`, { method: "POST" }).then(() => cb({ err_msg: "get_brand_wcpay_request:ok" }));
        },
      };
      document.dispatchEvent(new Event("WeixinJSBridgeReady"));
    });
    await page.getByText("The payment was not completed in WeChat Pay.").waitFor();
    const calls = await page.evaluate(() => window.__calls);
    assert.deepEqual(calls, [{ name: "getBrandWCPayRequest", params: session.action.params }]);
    await noAxe(page, "pending, bridge closed");
    await shot(page, "wechat-en-bridge-closed");
    await page.getByRole("button", { name: "Pay with WeChat Pay" }).click();
    await status(page, "Payment successful");
    assert.equal((await page.evaluate(() => window.__calls)).length, 2);
    assert.deepEqual(errors, []);
    await context.close();
  } finally {
    await own.stop();
  }
});

test("core: Alipay in-app: tradePay through AlipayJSBridge, success from the server", async () => {
  const context = await browser.newContext({ ...IPHONE, userAgent: ALIPAY_UA });
  await context.addInitScript(() => {
    window.__calls = [];
    window.AlipayJSBridge = {
      call(name, args, cb) {
        window.__calls.push({ name, args });
        fetch(`/sandbox/wallet/${args.tradeNO}/pay`, { method: "POST" }).then(() => cb({ resultCode: "9000" }));
      },
    };
  });
  const { page, errors } = await openShop(context, server.base, "?locale=zh-TW");
  const session = await choose(page, "Alipay");
  assert.equal(session.flow, "alipay_in_app");
  assert.equal(session.action.type, "alipay_jsapi");
  await status(page, "付款成功");
  assert.deepEqual(await page.evaluate(() => window.__calls), [{ name: "tradePay", args: { tradeNO: session.action.trade_no } }]);
  assert.deepEqual(errors, []);
  await context.close();
});

test("Alipay chosen inside WeChat: how to open the browser, the QR to save, and a Copy link that works", async () => {
  const context = await browser.newContext({ ...IPHONE, userAgent: WECHAT_UA, permissions: ["clipboard-read", "clipboard-write"] });
  const { page, errors } = await openShop(context, server.base);
  const session = await choose(page, "Alipay");
  assert.equal(session.action.type, "qr", "Alipay's pages are blocked in WeChat: the server offers the QR");
  await page.getByText("Alipay does not open inside WeChat").waitFor();
  await page.getByRole("img", { name: /QR code/ }).waitFor();
  assert.equal(await decodeQrOnScreen(page), session.action.content);
  assert.equal(await page.getByRole("link", { name: "Open Alipay" }).count(), 0, "no link that WeChat would block");
  await page.getByRole("button", { name: "Copy payment link" }).click();
  await page.getByText("Link copied").waitFor();
  assert.equal(await page.evaluate(() => navigator.clipboard.readText()), session.action.url ?? session.action.content);
  await noAxe(page, "pending, Alipay inside WeChat");
  await shot(page, "wechat-en-alipay-guidance");

  // Without the Clipboard API (older WebViews, iOS quirks) the selection fallback still copies.
  await page.evaluate(async () => {
    window.__clipboard = navigator.clipboard;
    await navigator.clipboard.writeText("something else");
    Object.defineProperty(navigator, "clipboard", { value: undefined, configurable: true });
  });
  await page.getByRole("button", { name: "Copy payment link" }).click();
  await page.waitForFunction((want) => window.__clipboard.readText().then((t) => t === want), session.action.url ?? session.action.content);
  assert.deepEqual(errors, []);
  await context.close();
});

test("core: expiry: the countdown follows the gateway, Get a new code cancels the old session, the new one pays", async () => {
  const control = (body) => fetch(`${server.base}/sandbox/control`, { method: "POST", headers: { "content-type": "application/json" }, body: JSON.stringify(body) });
  assert.equal((await control({ expiry_secs: 4 })).status, 200);
  const context = await browser.newContext({ viewport: { width: 1280, height: 800 } });
  await recordEvents(context);
  const { page, errors } = await openShop(context, server.base, "?locale=fr");
  const first = await choose(page, "Alipay");
  assert.equal((await control({})).status, 200);
  const remaining = (Date.parse(first.expires_at) - Date.parse(first.created_at)) / 1000;
  assert.ok(remaining <= 5, `the session carries the gateway's short expiry (${remaining} s)`);
  await page.getByRole("timer").waitFor();
  await status(page, "Code QR expiré");
  const renew = page.getByRole("button", { name: "Obtenir un nouveau code" });
  await noAxe(page, "expired (fr)");
  await shot(page, "desktop-fr-expired");
  const created = page.waitForResponse((r) => r.url().endsWith("/api/checkout/sessions") && r.request().method() === "POST");
  await renew.click();
  const second = await (await created).json();
  assert.notEqual(second.id, first.id);
  const old = await (await fetch(`${server.base}/api/checkout/sessions/${first.id}`)).json();
  assert.ok(["cancelled", "expired"].includes(old.status), `the old session is closed: ${old.status}`);
  await page.getByRole("img", { name: /Code QR/ }).waitFor();
  await pay(server.base, lastSegment(second.action.content));
  await status(page, "Paiement réussi");
  assert.deepEqual(errors, []);
  await context.close();
});

test("the server stops in the middle of a wait and starts again: the widget recovers without a reload", async () => {
  const port = await freePort();
  const dir = mkdtempSync(join(tmpdir(), "wallet-checkout-restart-"));
  const config = sandboxConfig("", { port, dir });
  let own = await startServer(["--config", config], { port });
  try {
    const context = await browser.newContext({ viewport: { width: 1280, height: 800 } });
    const page = await context.newPage();
    await page.goto(`${own.base}/`);
    const session = await choose(page, "Alipay");
    await page.getByRole("img", { name: /QR code/ }).waitFor();
    const lost = page.waitForEvent("requestfailed", (r) => r.url().includes(`/sessions/${session.id}`));
    await own.stop();
    await lost;
    await page.waitForTimeout(1500);
    own = await startServer(["--config", config], { port });
    // Back on the same SQLite file: the widget reconnects on its own and still shows the QR.
    await page.waitForResponse((r) => r.url().includes(`/sessions/${session.id}`) && r.status() === 200, { timeout: 30_000 });
    assert.equal(await page.getByRole("button", { name: "Retry" }).count(), 0, "no error shown for a short outage");
    await page.getByRole("img", { name: /QR code/ }).waitFor();
    await page.getByRole("button", { name: "Cancel" }).click();
    await status(page, "Payment cancelled");
    await noAxe(page, "cancelled");
    await shot(page, "desktop-en-cancelled");
    await context.close();
  } finally {
    await own.stop();
  }
});

/** Counts the widget's status requests (fetch GETs and event streams under /api/checkout/sessions/)
 * inside the page, and the most that were ever open at once. A stream counts until it is closed. */
function countStatusRequests(context) {
  return context.addInitScript(() => {
    const net = (window.__net = { total: 0, inFlight: 0, max: 0, urls: [], at: [] });
    const up = (url) => {
      if (!String(url).includes("/api/checkout/sessions/")) return false;
      net.total += 1;
      net.inFlight += 1;
      net.max = Math.max(net.max, net.inFlight);
      net.urls.push(String(url));
      net.at.push(Date.now());
      return true;
    };
    const down = () => { net.inFlight -= 1; };
    const fetch = window.fetch;
    window.fetch = function (input, init) {
      const url = typeof input === "string" ? input : input.url;
      const method = (init && init.method) || (typeof input === "string" ? "GET" : input.method);
      const answer = fetch.apply(this, arguments);
      if (method === "GET" && up(url)) answer.then(down, down);
      return answer;
    };
    const Source = window.EventSource;
    window.EventSource = class extends Source {
      constructor(url, options) {
        super(url, options);
        this.counted = up(url);
        this.addEventListener("error", () => {
          if (this.readyState === Source.CLOSED && this.counted) { this.counted = false; down(); }
        });
      }
      close() {
        if (this.counted) { this.counted = false; down(); }
        super.close();
      }
    };
  });
}

const requests = (page) => page.evaluate(() => window.__net);

test("no event stream: long poll, never two status requests at once", async () => {
  const context = await browser.newContext({ viewport: { width: 1280, height: 800 } });
  await countStatusRequests(context);
  const { page, errors } = await openShop(context, server.base);
  await page.route("**/events", (route) => route.fulfill({ status: 404, contentType: "application/json", body: '{"error":{"code":"invalid_request","message":"no streams here"}}' }));
  const session = await choose(page, "Alipay");
  await page.waitForRequest((r) => r.url().includes("wait=25&status=pending"));
  await page.waitForTimeout(3000);
  await pay(server.base, lastSegment(session.action.content));
  await status(page, "Payment successful");
  const seen = await requests(page);
  assert.equal(seen.max, 1, `never two in flight: ${seen.urls.join(" ")}`);
  const polls = seen.urls.filter((u) => u.includes("wait=25"));
  assert.ok(polls.length >= 1 && polls.length <= 2, `one held long poll, woken by the payment: ${seen.urls.join(" ")}`);
  assert.deepEqual(errors.filter((e) => !/404|EventSource/.test(e)), []);
  await context.close();
});

test("a server that does not hold long polls is polled every 2 s, one request at a time", async () => {
  const context = await browser.newContext({ viewport: { width: 1280, height: 800 } });
  await countStatusRequests(context);
  const { page } = await openShop(context, server.base);
  await page.route("**/events", (route) => route.abort());
  // A merchant server that ignores ?wait: answers at once.
  await page.route(/\/sessions\/[^/]+\?wait=/, (route) => route.continue({ url: route.request().url().split("?")[0] }));
  const session = await choose(page, "UnionPay");
  await page.waitForFunction(() => window.__net.total >= 5, null, { timeout: 30_000 });
  const seen = await requests(page);
  // The stream (refused), one long poll (answered at once), then plain polls.
  const gaps = seen.at.slice(2).map((t, i) => t - seen.at[i + 1]);
  assert.ok(gaps.every((g) => g >= 1900), `polls are at least 2 s apart once polling: ${gaps}`);
  assert.equal(seen.max, 1, `never two in flight: ${seen.urls.join(" ")}`);
  await pay(server.base, lastSegment(session.action.content));
  await status(page, "Payment successful");
  await context.close();
});

test("a hidden tab asks nothing; visible again, it checks at once", async () => {
  const context = await browser.newContext({ viewport: { width: 1280, height: 800 } });
  await countStatusRequests(context);
  const { page, errors } = await openShop(context, server.base);
  const session = await choose(page, "Alipay");
  await page.waitForFunction((id) => window.__net.urls.some((u) => u.includes(`/sessions/${id}/events`)), session.id);
  await page.waitForTimeout(300);
  const before = (await requests(page)).total;
  const setVisibility = (state) => page.evaluate((s) => {
    Object.defineProperty(document, "visibilityState", { value: s, configurable: true });
    document.dispatchEvent(new Event("visibilitychange"));
  }, state);
  await setVisibility("hidden");
  await page.waitForTimeout(2500);
  assert.equal((await requests(page)).total, before, "nothing asked while hidden");
  await pay(server.base, lastSegment(session.action.content));
  await page.waitForTimeout(500);
  assert.equal(await page.getByText("Payment successful").count(), 0, "not heard while hidden");
  await setVisibility("visible");
  await status(page, "Payment successful");
  assert.equal((await requests(page)).total, before + 1, "one check when visible again");
  assert.deepEqual(errors, []);
  await context.close();
});

test("callbacks and DOM events tell the merchant every state and outcome", async () => {
  const context = await browser.newContext({ viewport: { width: 1280, height: 800 } });
  const { page } = await openShop(context, server.base);
  const order = new URL(page.url()).searchParams.get("order");
  await page.evaluate((o) => {
    window.demoCheckout.unmount();
    window.__calls = [];
    const slot = document.getElementById("checkout");
    const log = (name) => (d) => window.__calls.push([name, d.state, d.session?.status ?? d.kind ?? null]);
    slot.addEventListener("wallet-checkout:success", (e) => window.__calls.push(["event:success", e.detail.state, e.detail.session.amount.value]));
    window.mine = window.WalletCheckout.mount(slot, {
      order: o,
      clientSecret: sessionStorage.getItem(`wallet-checkout-demo:${o}`), // where the demo shop keeps it
      onStateChange: log("state"),
      onSuccess: log("success"),
      onError: log("error"),
      onCancel: log("cancel"),
    });
    const other = document.body.appendChild(document.createElement("div"));
    other.id = "broken";
    window.broken = window.WalletCheckout.mount(other, {
      order: "NO-SUCH-ORDER",
      onError: log("error"),
    });
  }, order);
  const created = page.waitForResponse((r) => r.url().endsWith("/api/checkout/sessions"));
  await page.locator("#checkout").getByRole("button", { name: "Alipay", exact: true }).click();
  const session = await (await created).json();
  await pay(server.base, lastSegment(session.action.content));
  await page.locator("#checkout").getByRole("status").filter({ hasText: "Payment successful" }).waitFor();
  await page.locator("#broken").getByRole("button", { name: "UnionPay" }).click();
  await page.locator("#broken").getByRole("button", { name: "Retry" }).waitFor();
  const calls = await page.evaluate(() => window.__calls);
  assert.deepEqual(calls, [
    ["state", "choosing", null],
    ["state", "creating", null],
    ["state", "pending", "pending"],
    ["state", "succeeded", "succeeded"],
    ["success", "succeeded", "succeeded"],
    ["event:success", "succeeded", 1234],
    ["error", "error", "misconfigured"],
  ]);
  await context.close();
});

for (const [locale, waiting, name] of [
  ["en", "Waiting for payment…", "English"],
  ["zh-CN", "等待支付…", "Simplified Chinese"],
  ["zh-TW", "等待付款…", "Traditional Chinese"],
  ["fr", "En attente du paiement…", "French"],
  ["ja", "お支払いをお待ちしています…", "Japanese"],
  ["ko", "결제를 기다리는 중…", "Korean"],
  ["de", "Warten auf Zahlung…", "German"],
  ["es", "Esperando el pago…", "Spanish"],
  ["it", "In attesa del pagamento…", "Italian"],
  ["nl", "Wachten op betaling…", "Dutch"],
]) {
  test(`${name} (${locale}): words, amount formatted for the language and currency`, async () => {
    const context = await browser.newContext({ viewport: { width: 1280, height: 800 }, locale: locale === "en" ? "en-US" : "de-DE" });
    const { page, errors } = await openShop(context, server.base, locale === "en" ? "" : `?locale=${locale}`);
    await choose(page, "Alipay");
    await status(page, waiting);
    assert.equal(await page.locator(".wc").getAttribute("lang"), locale);
    const expected = await page.evaluate((l) => new Intl.NumberFormat(l, { style: "currency", currency: "CAD" }).format("12.34"), locale);
    assert.equal(await page.locator(".wc-amount").innerText(), expected);
    await noAxe(page, `pending (${locale})`);
    await shot(page, `desktop-${locale}-qr`);
    assert.deepEqual(errors, []);
    await context.close();
  });
}

test("the browser's languages pick the widget's when no option says", async () => {
  const context = await browser.newContext({ viewport: { width: 1280, height: 800 }, locale: "fr-CA" });
  const { page } = await openShop(context, server.base);
  assert.equal(await page.getByRole("group").getAttribute("aria-label"), "Choisissez votre moyen de paiement");
  await noAxe(page, "choosing (fr)");
  await context.close();
  const japanese = await browser.newContext({ viewport: { width: 1280, height: 800 }, locale: "ja-JP" });
  const { page: ja } = await openShop(japanese, server.base);
  assert.equal(await ja.getByRole("group").getAttribute("aria-label"), "お支払い方法を選択してください");
  assert.deepEqual(await ja.locator("button.wc-wallet").allInnerTexts(), ["アリペイ", "WeChat Pay", "銀聯"]);
  await japanese.close();
});

test("a page that supports dark gets dark defaults (a theme still overrides), one that does not stays light; asked for no motion, nothing moves", async () => {
  const context = await browser.newContext({ viewport: { width: 1280, height: 800 }, colorScheme: "dark", reducedMotion: "reduce" });
  const { page } = await openShop(context, server.base);
  const look = () => page.evaluate(() => {
    const wc = getComputedStyle(document.querySelector(".wc"));
    const button = getComputedStyle(document.querySelector(".wc-wallet"));
    return { text: wc.color, background: button.backgroundColor };
  });
  assert.deepEqual(await look(), { text: "rgb(232, 234, 237)", background: "rgb(31, 35, 40)" });
  await noAxe(page, "choosing (dark)");
  // The demo declares `color-scheme: light dark`; a page that declares only light keeps the light widget.
  await page.evaluate(() => { document.documentElement.style.colorScheme = "light"; });
  assert.deepEqual(await look(), { text: "rgb(29, 33, 39)", background: "rgb(255, 255, 255)" });
  await page.evaluate(() => { document.documentElement.style.colorScheme = ""; });
  await page.evaluate(() => document.querySelector("#checkout").style.setProperty("--wallet-checkout-surface", "rgb(1, 2, 3)"));
  assert.equal((await look()).background, "rgb(1, 2, 3)", "the merchant's property wins over the dark default");
  const session = await choose(page, "Alipay");
  await pay(server.base, lastSegment(session.action.content));
  await status(page, "Payment successful");
  const tick = await page.evaluate(() => getComputedStyle(document.querySelector(".wc-check path")).animationName);
  assert.equal(tick, "none", "the success tick is not drawn in motion");
  await shot(page, "desktop-dark-success");
  await context.close();
  const moving = await browser.newContext({ viewport: { width: 1280, height: 800 } });
  const { page: light } = await openShop(moving, server.base);
  const paid = await choose(light, "Alipay");
  await pay(server.base, lastSegment(paid.action.content));
  await status(light, "Payment successful");
  assert.equal(await light.evaluate(() => getComputedStyle(document.querySelector(".wc-check path")).animationName), "wc-draw");
  await moving.close();
});

test("declined in the wallet: Payment failed, and Try again starts a new session", async () => {
  const context = await browser.newContext({ viewport: { width: 1280, height: 800 } });
  await recordEvents(context);
  const { page, errors } = await openShop(context, server.base, "?locale=zh-CN");
  const first = await choose(page, "WeChat Pay");
  const declined = await fetch(`${server.base}/sandbox/wallet/${lastSegment(first.action.content)}/decline`, { method: "POST", redirect: "manual" });
  assert.equal(declined.status, 303);
  await status(page, "支付失败");
  await noAxe(page, "failed (zh-CN)");
  await shot(page, "desktop-zh-CN-failed");
  const again = await choose(page, "重试"); // Try again
  assert.notEqual(again.id, first.id);
  assert.equal(again.wallet, "wechat_pay");
  await page.getByRole("img", { name: /二维码/ }).waitFor();
  assert.deepEqual(await page.evaluate(() => window.__events.filter(([n]) => n === "failure").length), 1);
  assert.deepEqual(errors, []);
  await context.close();
});

test("a reload resumes the same session: same QR, the server's countdown, no second order", async () => {
  const context = await browser.newContext({ viewport: { width: 1280, height: 800 } });
  const { page, errors } = await openShop(context, server.base);
  const session = await choose(page, "Alipay");
  await page.getByRole("img", { name: /QR code/ }).waitFor();
  await page.waitForTimeout(2200);
  let posts = 0;
  page.on("request", (r) => { if (r.method() === "POST" && r.url().endsWith("/api/checkout/sessions")) posts += 1; });
  await page.reload();
  await page.getByRole("img", { name: /QR code/ }).waitFor();
  assert.equal(await decodeQrOnScreen(page), session.action.content, "the same QR after the reload");
  const timer = await page.getByRole("timer").innerText();
  const [, mm, ss] = timer.match(/(\d\d):(\d\d)/);
  const left = Number(mm) * 60 + Number(ss);
  const total = (Date.parse(session.expires_at) - Date.parse(session.created_at)) / 1000;
  assert.ok(left < total, `the countdown kept running through the reload (${timer} of ${total} s)`);
  assert.equal(posts, 0, "no new session was created");
  await pay(server.base, lastSegment(session.action.content));
  await status(page, "Payment successful");
  assert.deepEqual(errors, []);
  await context.close();
});
