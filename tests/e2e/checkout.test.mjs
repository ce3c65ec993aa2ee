//! The walking skeleton, end to end in headless Chromium: demo shop → widget (wasm) → merchant server →
//! AlphaPay sandbox (signed HTTP) → sandbox wallet page → signed notification → long poll → success.
import { test, before, after } from "node:test";
import assert from "node:assert/strict";
import { startServer, launchBrowser, decodeQrOnScreen, watchErrors, devices, axeFindings, SHOTS, shot, openShop, noAxe } from "./harness.mjs";

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

test("core: desktop: pay with Alipay by scanning the QR, see Payment successful", async () => {
  const context = await browser.newContext({ viewport: { width: 1280, height: 800 } });
  const { page, errors } = await openShop(context, server.base);
  for (const name of ["Alipay", "WeChat Pay", "UnionPay"]) {
    await page.getByRole("button", { name, exact: true }).waitFor();
  }
  await noAxe(page, "choosing");

  const created = page.waitForResponse((r) => r.url().endsWith("/api/checkout/sessions") && r.request().method() === "POST");
  await page.getByRole("button", { name: "Alipay", exact: true }).click();
  const session = await (await created).json();
  assert.equal(session.status, "pending");
  assert.equal(session.gateway, "alphapay");
  assert.deepEqual(session.amount, { value: 1234, currency: "CAD" }, "the server decided the amount");
  assert.equal(session.action.type, "qr");

  const qr = page.getByRole("img", { name: /QR code/ });
  await qr.waitFor();
  await page.getByRole("timer").waitFor();
  assert.match(await page.getByRole("timer").innerText(), /\d\d:\d\d/);
  const decoded = await decodeQrOnScreen(page);
  assert.equal(decoded, session.action.content, "the QR on screen encodes the session's content");
  const link = page.getByRole("link", { name: "Open the QR's page" });
  await link.waitFor();
  assert.equal(await link.getAttribute("href"), session.action.content, "the demo offers the QR's page as a link");
  await noAxe(page, "pending (QR)");
  await shot(page, "desktop-qr");

  // The shopper "scans": opens the QR's URL on their phone and presses Pay.
  const phone = await browser.newContext({ ...devices["iPhone 13"] });
  const wallet = await phone.newPage();
  await wallet.goto(decoded);
  await wallet.getByRole("button", { name: "Pay", exact: true }).click();
  await wallet.getByText("Payment complete").waitFor();
  await shot(wallet, "sandbox-wallet-paid");

  await page.getByRole("status").filter({ hasText: "Payment successful" }).waitFor({ timeout: 10_000 });
  assert.equal(await page.getByRole("img", { name: /QR code/ }).count(), 0, "the QR is gone once paid");
  await noAxe(page, "succeeded");
  await shot(page, "desktop-success");
  assert.deepEqual(errors, []);
  await phone.close();
  await context.close();
});

test("phone: the widget fits the screen and its QR decodes to the session", async () => {
  const context = await browser.newContext({ ...devices["iPhone 13"] });
  const { page, errors } = await openShop(context, server.base, "?locale=zh-CN&flow=qr");
  const created = page.waitForResponse((r) => r.url().endsWith("/api/checkout/sessions"));
  await page.getByRole("button", { name: "支付宝", exact: true }).click();
  const session = await (await created).json();
  await page.getByRole("img", { name: /二维码/ }).waitFor();
  assert.equal(await decodeQrOnScreen(page), session.action.content);
  await page.getByRole("status").filter({ hasText: "等待支付" }).waitFor();
  const overflow = await page.evaluate(() => document.documentElement.scrollWidth > window.innerWidth);
  assert.equal(overflow, false, "no horizontal scrolling on a phone");
  await shot(page, "phone-qr-zh");
  assert.deepEqual(errors, []);
  await context.close();
});

test("a server error shows Retry, and Retry recovers without a second order", async () => {
  const context = await browser.newContext();
  const { page } = await openShop(context, server.base);
  let calls = 0;
  const keys = [];
  await page.route("**/api/checkout/sessions", async (route) => {
    calls += 1;
    keys.push(route.request().headers()["idempotency-key"]);
    if (calls === 1) await route.fulfill({ status: 500, contentType: "text/plain", body: "upstream exploded" });
    else if (calls === 2) await route.fulfill({ status: 200, contentType: "application/json", body: "{not json" });
    else await route.continue();
  });
  await page.getByRole("button", { name: "Alipay", exact: true }).click();
  const retry = page.getByRole("button", { name: "Retry" });
  await retry.waitFor();
  assert.match(await page.getByRole("status").innerText(), /could not reach/);
  assert.deepEqual(await axeFindings(page), [], "axe-core, state error");
  await shot(page, "desktop-error");
  await retry.click();
  await retry.waitFor(); // malformed JSON: still a clear error, never a blank box
  await retry.click();
  await page.getByRole("img", { name: /QR code/ }).waitFor();
  assert.equal(calls, 3);
  assert.ok(keys[0] && keys.every((k) => k === keys[0]), `retries reuse the idempotency key: ${keys}`);
  await context.close();
});

test("a contract error from the server is shown as text, not a blank box", async () => {
  const context = await browser.newContext();
  const { page } = await openShop(context, server.base);
  // Mount a second widget for an order the server does not know.
  await page.evaluate(() => {
    const el = document.createElement("div");
    el.id = "second";
    document.body.append(el);
    window.second = window.WalletCheckout.mount(el, { order: "NO-SUCH-ORDER" });
  });
  await page.locator("#second").getByRole("button", { name: "UnionPay" }).click();
  await page.locator("#second").getByRole("button", { name: "Retry" }).waitFor();
  assert.match(await page.locator("#second").getByRole("status").innerText(), /not set up correctly/);
  await page.evaluate(() => window.second.unmount());
  assert.equal(await page.locator("#second").innerHTML(), "", "unmount removes everything");
  await context.close();
});

test("bad mount options reject `ready` with an error naming the field and the expected shape", async () => {
  const context = await browser.newContext();
  const { page } = await openShop(context, server.base);
  const attempt = (opts) =>
    page.evaluate(async (o) => {
      try {
        await window.WalletCheckout.mount(document.createElement("div"), o).ready;
        return "mounted";
      } catch (e) {
        return `${e.name}: ${e.message}`;
      }
    }, opts);
  assert.match(await attempt({ order: 5 }), /^TypeError: .*options\.order must be a non-empty string.*got the number 5.*Expected options: \{ order:/);
  assert.match(await attempt({ order: "A1", wallets: ["paypal"] }), /options\.wallets must be .*"alipay".*got the string "paypal"/);
  assert.match(await attempt({ order: "A1", flow: "fax" }), /options\.flow must be one of/);
  assert.match(await attempt({ order: "A1", oder: "typo" }), /unknown option "oder"/);
  assert.match(await attempt(null), /options must be an object, got null/);
  assert.equal(await attempt({ order: "A1", wallets: "alipay wechat_pay" }), "mounted");
  await context.close();
});
