//! The checkout API from another origin, as a shop deploys it when its pages and the server have
//! different addresses: the shop's page (a small HTTP server of the test's, `http://localhost:…`)
//! serves the released widget files itself, with a strict CSP whose `connect-src` names the server,
//! and the element's `endpoint` is the server's absolute URL (`http://127.0.0.1:…`), which lists the
//! shop in `[checkout] allowed_origins`. A second shop, not listed, is refused by the browser. And a
//! shop that serves nothing of ours: its script tag loads the widget from the server (`[widget] dist`).
import { test, before, after } from "node:test";
import assert from "node:assert/strict";
import { createServer } from "node:http";
import { once } from "node:events";
import { readFileSync } from "node:fs";
import { join } from "node:path";
import { startServer, sandboxConfig, launchBrowser, watchErrors, newOrder, secretOf, pay, lastSegment } from "./harness.mjs";

const site = process.env.WALLET_CHECKOUT_SITE;
const manifest = JSON.parse(readFileSync(join(site, "manifest.json"), "utf8"));
const loader = manifest.files.find((f) => f.file === manifest.loader);
const TYPES = { js: "text/javascript", css: "text/css", wasm: "application/wasm", json: "application/json" };

let server;
let browser;
let SHOP;
let STRANGER;
const shops = [];

/** A shop's own web server: `/checkout.html?order=…` (the secret from the shop's own records) and
 * the widget's released files, as a shop with no proxy in front of the payment server serves them. */
async function startShop() {
  const http = createServer((req, res) => {
    const url = new URL(req.url, "http://localhost");
    if (url.pathname === "/checkout.html" || url.pathname === "/remote.html") {
      // remote.html: the README's topology (b) with `[widget] dist`, every file from the server.
      const from = url.pathname === "/remote.html" ? server.base : "";
      const order = (url.searchParams.get("order") ?? "").replace(/[^A-Z0-9]/g, "");
      res.writeHead(200, {
        "content-type": "text/html; charset=utf-8",
        "content-security-policy": `default-src 'self'; script-src 'self' ${from} 'wasm-unsafe-eval'; style-src 'self' ${from}; img-src 'self' data:; connect-src 'self' ${server.base}`,
      });
      res.end(`<!doctype html><html lang="en"><head><meta charset="utf-8"><title>Shop</title></head><body>
<wallet-checkout endpoint="${server.base}/api/checkout" order="${order}" client-secret="${secretOf(order) ?? ""}" flow="qr"></wallet-checkout>
<script src="${from}/${manifest.loader}" integrity="${loader.sha384}" crossorigin="anonymous" async></script></body></html>`);
      return;
    }
    const file = manifest.files.find((f) => `/${f.file}` === url.pathname);
    if (!file) {
      res.writeHead(url.pathname === "/favicon.ico" ? 204 : 404).end();
      return;
    }
    res.writeHead(200, { "content-type": TYPES[file.file.split(".").pop()] ?? "application/octet-stream" });
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
  server = await startServer(["--config", sandboxConfig(`[checkout]\nallowed_origins = ["${SHOP}"]\n[widget]\ndist = "${site}"\n`)]);
  browser = await launchBrowser();
});
after(async () => {
  await browser?.close();
  await server?.stop();
  for (const s of shops) s.close();
});

test("a shop on another origin listed in allowed_origins pays through the server's absolute endpoint", { timeout: 60_000 }, async () => {
  const context = await browser.newContext({ viewport: { width: 1280, height: 900 } });
  const page = await context.newPage();
  const errors = watchErrors(page);
  const order = await newOrder(server.base);
  await page.goto(`${SHOP}/checkout.html?order=${order}`);
  const created = page.waitForResponse((r) => r.url() === `${server.base}/api/checkout/sessions` && r.request().method() === "POST");
  await page.getByRole("button", { name: "Alipay", exact: true }).click();
  const answer = await created;
  assert.equal(answer.status(), 201);
  assert.equal(answer.headers()["access-control-allow-origin"], SHOP);
  const session = await answer.json();
  await page.locator("wallet-checkout svg.wc-qr").waitFor();
  await pay(server.base, lastSegment(session.action.content));
  await page.locator("wallet-checkout").getByRole("status").filter({ hasText: "Payment successful" }).waitFor();
  assert.deepEqual(errors, []);
  await context.close();
});

test("a shop on an origin the server does not list cannot reach the checkout API from its page", { timeout: 60_000 }, async () => {
  const context = await browser.newContext({ viewport: { width: 1280, height: 900 } });
  const page = await context.newPage();
  const logged = [];
  page.on("console", (m) => logged.push(m.text()));
  const failed = [];
  page.on("requestfailed", (r) => failed.push(`${r.method()} ${r.url()}`));
  const order = await newOrder(server.base);
  await page.goto(`${STRANGER}/checkout.html?order=${order}`);
  await page.getByRole("button", { name: "Alipay", exact: true }).click();
  // The browser withholds the answer: the widget shows its network failure, and no QR.
  await page.locator("wallet-checkout").getByText("We could not reach the shop's server.").waitFor({ timeout: 20_000 });
  assert.equal(await page.locator("wallet-checkout svg.wc-qr:visible").count(), 0, "no QR shown");
  assert.deepEqual(failed, [`POST ${server.base}/api/checkout/sessions`], "the browser refused the create");
  assert.ok(logged.some((l) => /CORS|Access-Control-Allow-Origin/i.test(l)), `the browser said why: ${logged.join("\n")}`);
  const ours = logged.find((l) => l.startsWith("wallet-checkout: network error"));
  assert.ok(ours?.includes(`${server.base}/api/checkout/sessions: `), `the widget names the endpoint: ${ours}`);
  assert.ok(ours?.includes(`add ${STRANGER} to [checkout] allowed_origins`), `and what to do: ${ours}`);
  assert.ok(!ours?.includes("undefined"), ours);
  await context.close();
});

test("a shop that serves none of the widget's files: the script tag loads them from the server ([widget] dist)", { timeout: 60_000 }, async () => {
  const context = await browser.newContext({ viewport: { width: 1280, height: 900 } });
  const page = await context.newPage();
  const errors = watchErrors(page);
  const fetched = [];
  page.on("response", (r) => fetched.push(r));
  const order = await newOrder(server.base);
  await page.goto(`${SHOP}/remote.html?order=${order}`);
  const created = page.waitForResponse((r) => r.url() === `${server.base}/api/checkout/sessions` && r.request().method() === "POST");
  await page.getByRole("button", { name: "Alipay", exact: true }).click();
  const session = await (await created).json();
  await page.locator("wallet-checkout svg.wc-qr").waitFor();
  await pay(server.base, lastSegment(session.action.content));
  await page.locator("wallet-checkout").getByRole("status").filter({ hasText: "Payment successful" }).waitFor();
  assert.deepEqual(errors, []);
  // Every widget file came from the server, none from the shop; the wasm compressed and immutable.
  const ours = manifest.files.filter((f) => f.widget).map((f) => f.file);
  for (const file of ours) {
    assert.ok(fetched.some((r) => r.url() === `${server.base}/${file}` && r.status() === 200), `${file} from the server`);
    assert.ok(!fetched.some((r) => r.url() === `${SHOP}/${file}`), `${file} not from the shop`);
  }
  const wasm = fetched.find((r) => r.url().startsWith(server.base) && r.url().endsWith(".wasm"));
  const headers = await wasm.allHeaders();
  assert.equal(headers["cache-control"], "public, max-age=31536000, immutable");
  assert.equal(headers["content-type"], "application/wasm");
  assert.ok(["br", "gzip"].includes(headers["content-encoding"]), `sent compressed: ${headers["content-encoding"]}`);
  await context.close();
});
