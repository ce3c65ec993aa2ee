//! Iframe mode across origins, as a merchant deploys it: the shop page on its own origin (a small
//! HTTP server of the test's, reached as `http://localhost:…`), the iframe page on the merchant server's
//! (`http://127.0.0.1:…`), allowed by `[frame] ancestors` in the server's config. (Both are real
//! loopback servers: Chrome's local-network checks refuse a page that is not on one framing one that is.) Checks the exact-origin handshake, events crossing back,
//! the frame's CSP refusing a shop it does not list, and a phone's hand-over navigating the top window
//! from inside the cross-origin frame (Chrome allows it after the shopper's press).
import { test, before, after } from "node:test";
import assert from "node:assert/strict";
import { createServer } from "node:http";
import { once } from "node:events";
import { readFileSync } from "node:fs";
import { join } from "node:path";
import { startServer, sandboxConfig, launchBrowser, watchErrors, newOrder, pay, lastSegment, secretOf } from "./harness.mjs";

const site = process.env.WALLET_CHECKOUT_SITE;
const manifest = JSON.parse(readFileSync(join(site, "manifest.json"), "utf8"));
const loader = manifest.files.find((f) => f.file === manifest.loader);

let server;
let browser;
let SHOP;
let STRANGER;
const shops = [];

/** A shop's own web server: its checkout page (the order in the query, its client secret from the
 * shop's own records, never from the address) with a strict CSP that
 * allows only the merchant server's frame, and the released loader and embedding code, pinned by
 * their integrity, served as the merchant would serve them. */
async function startShop() {
  const http = createServer((req, res) => {
    const url = new URL(req.url, "http://localhost");
    if (url.pathname === "/checkout.html" || url.pathname === "/counter.html") {
      // counter.html: the cashier's screen (flow payment_code) in the frame.
      const flow = url.pathname === "/counter.html" ? ' flow="payment_code"' : "";
      res.writeHead(200, {
        "content-type": "text/html; charset=utf-8",
        "content-security-policy": `default-src 'self'; script-src 'self'; frame-src ${server.base}`,
      });
      const order = (url.searchParams.get("order") ?? "").replace(/[^A-Z0-9]/g, "");
      res.end(`<!doctype html><html lang="en"><head><meta charset="utf-8"><title>Shop</title></head><body>
<wallet-checkout order="${order}" client-secret="${secretOf(order) ?? ""}" mode="iframe" frame="${server.base}/api/checkout/frame"${flow}></wallet-checkout>
<script src="/${manifest.loader}" integrity="${loader.sha384}" crossorigin="anonymous" async></script></body></html>`);
      return;
    }
    const file = manifest.files.find((f) => `/${f.file}` === url.pathname && /\.(js|css)$/.test(f.file));
    if (!file) {
      res.writeHead(url.pathname === "/favicon.ico" ? 204 : 404).end();
      return;
    }
    res.writeHead(200, { "content-type": file.file.endsWith(".css") ? "text/css" : "text/javascript" });
    res.end(readFileSync(join(site, file.file)));
  });
  http.listen(0, "127.0.0.1");
  await once(http, "listening");
  shops.push(http);
  return `http://localhost:${http.address().port}`;
}

before(async () => {
  SHOP = await startShop();
  STRANGER = await startShop();
  const config = sandboxConfig(`
[frame]
page = "${join(site, "frame.html")}"
ancestors = ["${SHOP}"]
[checkout]
return_origins = ["${SHOP}"]
payment_code = true
`);
  server = await startServer(["--config", config]);
  browser = await launchBrowser();
});
after(async () => {
  await browser?.close();
  await server?.stop();
  for (const s of shops) s.close();
});

/** The shop at `origin` opened on its checkout page (or `path`) for `order`; CSP violations and the widget's
 * events are recorded on the page. */
async function shopPage(context, origin, order, path = "/checkout.html") {
  const page = await context.newPage();
  await page.addInitScript(() => {
    window.__events = [];
    window.__violations = [];
    document.addEventListener("securitypolicyviolation", (e) => window.__violations.push(`${e.violatedDirective} ${e.blockedURI}`));
    addEventListener("DOMContentLoaded", () => {
      for (const name of ["statechange", "success"]) {
        document.querySelector("wallet-checkout")?.addEventListener(`wallet-checkout:${name}`, (e) => window.__events.push(`${name}:${e.detail.state}`));
      }
    });
  });
  const errors = watchErrors(page);
  await page.goto(`${origin}${path}?order=${order}`);
  return { page, errors };
}

test("a shop on another origin listed in [frame] ancestors: the frame mounts, pays, and its events reach the shop", { timeout: 60_000 }, async () => {
  const context = await browser.newContext({ viewport: { width: 1280, height: 900 } });
  const order = await newOrder(server.base);
  const { page, errors } = await shopPage(context, SHOP, order);
  const frame = page.frameLocator("wallet-checkout iframe");
  const created = page.waitForResponse((r) => r.url().endsWith("/api/checkout/sessions") && r.request().method() === "POST").then((r) => r.json());
  await frame.getByRole("button", { name: "Alipay", exact: true }).click();
  const session = await created;
  await frame.locator("svg.wc-qr").waitFor();
  assert.equal(new URL(page.frames()[1].url()).origin, server.base, "the widget runs on the server's origin");
  await pay(server.base, lastSegment(session.action.content));
  await frame.getByRole("status").filter({ hasText: "Payment successful" }).waitFor();
  await page.waitForFunction(() => window.__events.includes("success:succeeded"));
  assert.deepEqual(await page.evaluate(() => window.__events),
    ["statechange:choosing", "statechange:creating", "statechange:pending", "statechange:succeeded", "success:succeeded"],
    "every event crossed from the frame's origin to the shop's, in order");
  assert.deepEqual(await page.evaluate(() => window.__violations), [], "the shop's CSP was never violated");
  assert.deepEqual(errors, []);
  await context.close();
});

test("a shop the server does not list cannot frame the checkout: the frame's CSP refuses it and nothing crosses back", { timeout: 60_000 }, async () => {
  const context = await browser.newContext();
  const order = await newOrder(server.base);
  const refused = new Promise((resolve) => {
    context.on("console", (m) => /frame-ancestors/.test(m.text()) && resolve(m.text()));
  });
  const { page } = await shopPage(context, STRANGER, order);
  assert.match(await refused, /frame-ancestors 'self' http:\/\/localhost:\d+"/);
  await page.waitForTimeout(500);
  assert.equal(await page.frameLocator("wallet-checkout iframe").getByRole("button", { name: "Alipay", exact: true }).count(), 0,
    "no checkout inside a refused frame");
  assert.deepEqual(await page.evaluate(() => window.__events), [], "nothing crossed back");
  await context.close();
});

test("on a phone, the hand-over inside a cross-origin frame takes the top window to the wallet's page", { timeout: 60_000 }, async () => {
  const context = await browser.newContext({
    viewport: { width: 390, height: 844 },
    isMobile: true,
    hasTouch: true,
    userAgent: "Mozilla/5.0 (iPhone; CPU iPhone OS 17_0 like Mac OS X) AppleWebKit/605.1.15 (KHTML, like Gecko) Version/17.0 Mobile/15E148 Safari/604.1",
  });
  const order = await newOrder(server.base);
  const { page } = await shopPage(context, SHOP, order);
  const frame = page.frameLocator("wallet-checkout iframe");
  await frame.getByRole("button", { name: "WeChat Pay", exact: true }).click();
  await page.waitForURL(`${server.base}/sandbox/**`, { timeout: 15_000 });
  assert.match(page.url(), /\/sandbox\/wallet\//, "the top window is on the wallet's page, not just the frame");
  await context.close();
});

test("the cashier's screen in the frame: its field (fetched by the frame, with its integrity) takes a code, and it pays", { timeout: 60_000 }, async () => {
  const context = await browser.newContext({ viewport: { width: 1280, height: 900 } });
  const order = await newOrder(server.base);
  const { page, errors } = await shopPage(context, SHOP, order, "/counter.html");
  const frame = page.frameLocator("wallet-checkout iframe");
  const field = frame.getByRole("textbox", { name: "Payment code" });
  await field.waitFor();
  const issued = await (await fetch(`${server.base}/sandbox/payment_codes`, {
    method: "POST", headers: { "content-type": "application/json" }, body: JSON.stringify({ wallet: "alipay", outcome: "paid" }),
  })).json();
  await field.fill(issued.code);
  await field.press("Enter");
  await frame.getByRole("status").filter({ hasText: "Payment successful" }).waitFor();
  await page.waitForFunction(() => window.__events.includes("success:succeeded"));
  assert.deepEqual(await page.evaluate(() => window.__violations), [], "the shop's CSP was never violated");
  assert.deepEqual(errors, []);
  await context.close();
});
