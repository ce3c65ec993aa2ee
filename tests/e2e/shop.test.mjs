//! The sample shops (`examples/shop-node/`, plain Node, and `examples/shop-python/`, Python's standard
//! library) against the real demo server and sandbox, each with its own server: the shop PUTs an
//! order, the shopper pays by QR in headless Chromium on the shop's page, the shop's own database says
//! paid from a webhook it verified with the `standardwebhooks` package (npm's, PyPI's); a refund from
//! the admin API reaches it as `refund.succeeded`.
import { test, describe, before, after } from "node:test";
import assert from "node:assert/strict";
import { spawn } from "node:child_process";
import { createInterface } from "node:readline";
import { mkdtempSync } from "node:fs";
import { tmpdir } from "node:os";
import { join, resolve } from "node:path";
import { startServer, launchBrowser, watchErrors, pay, lastSegment, sandboxConfig, freePort } from "./harness.mjs";

const ROOT = resolve(import.meta.dirname, "../..");
const TOKEN = "e2e-admin-token-0123456789-abcdefghij";
const SECRET = "whsec_MfKQ9r8GKYqrTwjUPD8ILPZIo2LaLaSw1HUwUGmGK/s=";
/** How each sample shop is started: the program and its file. */
const SHOPS = {
  node: [process.execPath, join(ROOT, "examples/shop-node/shop.mjs")],
  // The venv `cargo xtask` made with PyPI's standardwebhooks (the README's Python lines use it too).
  python: [process.env.WALLET_CHECKOUT_PYTHON ?? "python3", join(ROOT, "examples/shop-python/shop.py")],
};

/** Starts the sample shop `kind` on `port` against `serverUrl`; resolves with { base, stop }. */
async function startShop(kind, port, serverUrl) {
  const dir = mkdtempSync(join(tmpdir(), "wallet-checkout-shop-"));
  const [program, file] = SHOPS[kind];
  const child = spawn(program, [file], {
    env: { ...process.env, PORT: String(port), WALLET_CHECKOUT_URL: serverUrl, WALLET_CHECKOUT_ADMIN_TOKEN: TOKEN,
      WALLET_CHECKOUT_WEBHOOK_SECRET: SECRET, SHOP_DB: join(dir, "db.json") },
    stdio: ["ignore", "pipe", "inherit"],
  });
  const lines = createInterface({ input: child.stdout });
  const base = await new Promise((ok, fail) => {
    const timer = setTimeout(() => fail(new Error("the sample shop did not start")), 20_000);
    child.once("exit", (code) => fail(new Error(`the sample shop exited (${code})`)));
    lines.on("line", (l) => {
      const m = l.match(/running at (http:\/\/\S+?)\/?$/);
      if (m) (clearTimeout(timer), ok(m[1]));
    });
  });
  return { base, stop: () => child.kill() };
}

for (const kind of Object.keys(SHOPS)) describe(`the ${kind} sample shop`, () => {
let server, shop, browser;

before(async () => {
  const [serverPort, shopPort] = [await freePort(), await freePort()];
  process.env.WC_E2E_ADMIN_TOKEN = TOKEN;
  process.env.WC_E2E_WEBHOOK_SECRET = SECRET;
  const config = sandboxConfig(`[admin]
token_env = "WC_E2E_ADMIN_TOKEN"
[webhooks]
url = "http://127.0.0.1:${shopPort}/hooks/wallet-checkout"
secret_env = "WC_E2E_WEBHOOK_SECRET"
retry_secs = [1, 1, 1]
timeout_secs = 5
[checkout]
return_origins = ["http://127.0.0.1:${shopPort}"]
`, { port: serverPort });
  server = await startServer(["--config", config], { port: serverPort });
  shop = await startShop(kind, shopPort, server.base);
  browser = await launchBrowser();
});

after(async () => {
  await browser?.close();
  shop?.stop();
  server?.stop();
});

const admin = (path, init = {}) =>
  fetch(`${server.base}${path}`, { ...init, headers: { authorization: `Bearer ${TOKEN}`, "content-type": "application/json", ...init.headers } });

async function until(what, check, ms = 10_000) {
  const end = Date.now() + ms;
  for (;;) {
    const v = await check();
    if (v) return v;
    if (Date.now() > end) throw new Error(`timed out waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 100));
  }
}

test(`the ${kind} sample shop takes a payment and a refund, told by verified webhooks`, async () => {
  const context = await browser.newContext({ viewport: { width: 1280, height: 900 } });
  const page = await context.newPage();
  const errors = watchErrors(page);
  await page.goto(`${shop.base}/`); // the shop PUTs a new order and shows its checkout page
  const reference = new URL(page.url()).pathname.split("/").pop();
  assert.match(reference, /^S[0-9A-F]{10}$/);
  const held = await (await admin(`/admin/orders/${reference}`)).json();
  assert.deepEqual([held.status, held.amount], ["open", { value: 1234, currency: "CAD" }], "the server holds the shop's order");
  assert.match(held.client_secret, /^[A-Za-z0-9_-]{32,255}$/);
  assert.equal(await page.locator("wallet-checkout").getAttribute("client-secret"), held.client_secret, "the shop hands its page the order's secret");
  assert.ok(!page.url().includes(held.client_secret), "never in the address");

  const created = page.waitForResponse((r) => r.url().endsWith("/api/checkout/sessions") && r.request().method() === "POST");
  await page.getByRole("button", { name: "Alipay", exact: true }).click();
  const session = await (await created).json();
  await page.locator("wallet-checkout svg.wc-qr").waitFor();
  await pay(server.base, lastSegment(session.action.content));
  await page.locator("wallet-checkout").getByRole("status").filter({ hasText: "Payment successful" }).waitFor();

  const paid = await until("the shop's database to say paid", async () => {
    const o = await (await fetch(`${shop.base}/orders/${reference}`)).json();
    return o?.status === "paid" && o;
  });
  assert.equal(paid.session, session.id, "from the webhook's session");
  assert.equal(paid.client_secret, undefined, "the shop's order page shows no secret");

  const refund = await (await admin(`/admin/sessions/${session.id}/refunds`, { method: "POST", body: JSON.stringify({ amount: 234 }) })).json();
  assert.equal(refund.amount.value, 234);
  await admin(`/admin/refunds/${refund.id}`); // AlphaPay says how a refund ended only when asked
  const refunded = await until("the shop to hear of the refund", async () => {
    const o = await (await fetch(`${shop.base}/orders/${reference}`)).json();
    return o?.refunded === 234 && o;
  });
  assert.equal(refunded.status, "paid");

  // The shop applies an event before it answers; the server marks it delivered once the answer is in.
  const mine = await until("both events marked delivered", async () => {
    const events = await (await admin("/admin/events?limit=100")).json();
    const of = events.events.filter((e) => e.data.order.reference === reference);
    return of.length === 2 && of.every((e) => e.delivered) && of;
  });
  assert.deepEqual(mine.map((e) => [e.type, e.delivered]), [["session.succeeded", true], ["refund.succeeded", true]]);
  assert.deepEqual(errors, []);
  await context.close();
});

test(`a forged or replayed webhook changes nothing in the ${kind} shop`, async () => {
  const forged = await fetch(`${shop.base}/hooks/wallet-checkout`, {
    method: "POST",
    headers: { "content-type": "application/json", "webhook-id": "evt_forged", "webhook-timestamp": String(Math.floor(Date.now() / 1000)),
      "webhook-signature": "v1,AAAA" },
    body: JSON.stringify({ type: "session.succeeded", data: { order: { reference: "S0000000000" }, session: { id: "cs_x" } } }),
  });
  assert.equal(forged.status, 400, "the standardwebhooks package refuses a bad signature");
});
});
