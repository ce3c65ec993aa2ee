//! Two production servers on one real PostgreSQL, behind a real nginx configured exactly as the README's
//! "Running several instances" says (its nginx blocks are read from the README), with the sample shop and
//! the widget behind it, and the gateway (the sandbox) in a process of its own. In headless Chromium: the
//! widget's event stream is held by one instance while the gateway's notification lands on the other;
//! a phone's hand-over and return; with every notification dropped, one instance at a time asks the
//! gateway and each session ends; one instance is killed while the widget waits, and the widget
//! carries on through the other.
import { test, before, after } from "node:test";
import assert from "node:assert/strict";
import { spawn, execFileSync } from "node:child_process";
import { mkdtempSync, readFileSync, writeFileSync, mkdirSync } from "node:fs";
import { tmpdir } from "node:os";
import { join, resolve } from "node:path";
import { once } from "node:events";
import * as harness from "./harness.mjs";
import { launchBrowser, watchErrors, pay, lastSegment, freePort, devices, required } from "./harness.mjs";

const ROOT = resolve(import.meta.dirname, "../..");
const TOKEN = "e2e-instances-admin-token-0123456789-abc";
const SECRET = "whsec_MfKQ9r8GKYqrTwjUPD8ILPZIo2LaLaSw1HUwUGmGK/s=";
const P2P = "e2e-instances-pass2pay-secret-0123456789";
const dir = mkdtempSync(join(tmpdir(), "wallet-checkout-instances-"));
const children = [];
let browser, nginx, gateway, instances, shopPort, front;

/** `startProcess`, stopped after the suite. */
async function startProcess(program, args, env, name) {
  const started = await harness.startProcess(program, args, env, name);
  children.push(started.child);
  return started;
}

/** A fresh database on the suite's PostgreSQL (`psql`, from the same Debian package). */
function database() {
  const cluster = required("WALLET_CHECKOUT_TEST_POSTGRES");
  const name = `wc_e2e_${Math.random().toString(36).slice(2, 10)}`;
  execFileSync("psql", [`${cluster}/postgres`, "-qc", `CREATE DATABASE ${name}`], { stdio: ["ignore", "ignore", "inherit"] });
  return `${cluster}/${name}`;
}

const common = (port, store) => `listen = "127.0.0.1:${port}"
public_url = "${front}"
store = "${store}"
[routing]
wechat_pay = "pass2pay"
alipay = "pass2pay"
unionpay = "pass2pay"
[admin]
token_env = "WC_E2E_ADMIN"
`;

/** The README's nginx blocks: the upstream (http level) and the locations (server level). */
function readmeNginx() {
  const readme = readFileSync(join(ROOT, "README.md"), "utf8");
  const section = readme.split("## Running several instances")[1]?.split("\n## ")[0] ?? "";
  const blocks = [...section.matchAll(/```nginx\n([\s\S]*?)```/g)].map((m) => m[1]);
  assert.equal(blocks.length, 2, "the README shows an upstream block and a locations block");
  return blocks;
}

before(async () => {
  const env = { WC_E2E_ADMIN: TOKEN, WC_E2E_P2P: P2P, WC_E2E_HOOKS: SECRET };
  const [frontPort, gatewayPort, aPort, bPort] = [await freePort(), await freePort(), await freePort(), await freePort()];
  shopPort = await freePort();
  front = `http://127.0.0.1:${frontPort}`;
  const p2p = (base) => `[gateways.pass2pay]
base_url = "${base}"
mch_no = "M1700000001"
app_id = "64a0c0ffee0000000000abcd"
secret_env = "WC_E2E_P2P"
`;
  // The gateway: the demo binary's sandbox alone, its pages reached through the same nginx.
  writeFileSync(join(dir, "gateway.toml"), `${common(gatewayPort, "memory")}${p2p("https://api.pass2pay.example")}[demo]
sandbox = true
via_public_url = true
`);
  gateway = await startProcess(required("WALLET_CHECKOUT_DEMO"), ["--config", join(dir, "gateway.toml")], env, "the gateway");
  gateway.direct = `http://127.0.0.1:${gatewayPort}`;

  const store = database();
  instances = [];
  for (const [name, port] of [["a", aPort], ["b", bPort]]) {
    writeFileSync(join(dir, `${name}.toml`), `${common(port, store)}${p2p(`${gateway.direct}/sandbox/pass2pay`)}[webhooks]
url = "http://127.0.0.1:${shopPort}/hooks/wallet-checkout"
secret_env = "WC_E2E_HOOKS"
retry_secs = [1, 1, 1]
timeout_secs = 5
[limits]
trusted_proxies = ["127.0.0.1/32"]
`);
    const started = await startProcess(required("WALLET_CHECKOUT_SERVER"), ["--config", join(dir, `${name}.toml`)], env, `instance ${name}`);
    instances.push({ ...started, name, addr: `127.0.0.1:${port}` });
  }

  // nginx: the README's blocks, plus what only this test needs (its own files, the sandbox's pages,
  // the sample shop's pages, and which instance answered, for the assertions).
  const [upstream, locations] = readmeNginx();
  const conf = join(dir, "nginx.conf");
  for (const d of ["body", "proxy", "fastcgi", "uwsgi", "scgi"]) mkdirSync(join(dir, d), { recursive: true });
  writeFileSync(conf, `${process.getuid?.() === 0 ? "user root;\n" : ""}worker_processes 1;
daemon off;
pid ${dir}/nginx.pid;
error_log ${dir}/nginx-error.log warn;
events { worker_connections 512; }
http {
  include /etc/nginx/mime.types;
  access_log ${dir}/nginx-access.log;
  client_body_temp_path ${dir}/body; proxy_temp_path ${dir}/proxy; fastcgi_temp_path ${dir}/fastcgi;
  uwsgi_temp_path ${dir}/uwsgi; scgi_temp_path ${dir}/scgi;
${upstream.replace("127.0.0.1:8081", instances[0].addr).replace("127.0.0.1:8082", instances[1].addr)}
  server {
    listen 127.0.0.1:${frontPort};
    add_header X-Upstream $upstream_addr always;
${locations}
    location /sandbox/ { proxy_pass ${gateway.direct}; proxy_buffering off; }
    location = /favicon.ico { return 204; }
    location = / { proxy_pass http://127.0.0.1:${shopPort}; }
    location /checkout/ { proxy_pass http://127.0.0.1:${shopPort}; }
    location / { root ${required("WALLET_CHECKOUT_SITE")}; }
  }
}
`);
  execFileSync(required("WALLET_CHECKOUT_NGINX"), ["-t", "-c", conf, "-p", dir], { stdio: ["ignore", "ignore", "inherit"] });
  nginx = spawn(required("WALLET_CHECKOUT_NGINX"), ["-c", conf, "-p", dir], { stdio: ["ignore", "inherit", "inherit"] });
  children.push(nginx);
  for (let i = 0; ; i++) {
    const up = await fetch(`${front}/healthz`).then((r) => r.status, () => 0);
    if (up === 404 || up === 200) break; // nginx answers (the health endpoint is the instances', not proxied here)
    if (i > 100) throw new Error("nginx did not start");
    await new Promise((r) => setTimeout(r, 100));
  }

  // The sample shop: its backend talks to the servers through nginx (the admin location), the shopper
  // reaches its pages through nginx too.
  const shopDb = join(dir, "shop.json");
  const shop = await startProcess(process.execPath, [join(ROOT, "examples/shop-node/shop.mjs")], {
    PORT: String(shopPort), WALLET_CHECKOUT_URL: front, WALLET_CHECKOUT_ADMIN_TOKEN: TOKEN,
    WALLET_CHECKOUT_WEBHOOK_SECRET: SECRET, SHOP_DB: shopDb,
  }, "the sample shop");
  assert.equal(shop.base, `http://127.0.0.1:${shopPort}`);
  browser = await launchBrowser();
});

after(async () => {
  await browser?.close();
  for (const c of children.reverse()) {
    if (c.exitCode === null && c.signalCode === null) {
      c.kill("SIGTERM");
      await Promise.race([once(c, "exit"), new Promise((r) => setTimeout(r, 15_000))]);
    }
  }
});

async function control(behaviour) {
  const res = await fetch(`${gateway.direct}/sandbox/control`, {
    method: "POST", headers: { "content-type": "application/json" },
    body: JSON.stringify({ gateway: "pass2pay", ...behaviour }),
  });
  assert.ok(res.ok, `sandbox control: ${res.status}`);
}

/** Opens the shop (a new order), chooses WeChat Pay, waits for the QR; returns the page, the session and
 * the instance that holds the widget's event stream. */
async function checkoutOnDesktop(context) {
  const page = await context.newPage();
  const errors = watchErrors(page);
  page.on("response", (r) => { if (r.status() >= 400) errors.push(`${r.status()} ${r.url()}`); });
  await page.goto(`${front}/`);
  assert.match(new URL(page.url()).pathname, /^\/checkout\/S[0-9A-F]{10}$/, "the shop made an order and shows its checkout");
  const created = page.waitForResponse((r) => r.url().endsWith("/api/checkout/sessions") && r.request().method() === "POST");
  const stream = page.waitForResponse((r) => /\/api\/checkout\/sessions\/[^/]+\/events$/.test(new URL(r.url()).pathname));
  await page.getByRole("button", { name: "WeChat Pay", exact: true }).click();
  const session = await (await created).json();
  await page.locator("wallet-checkout svg.wc-qr").waitFor();
  const held = (await stream).headers()["x-upstream"];
  const holder = instances.find((i) => held?.includes(i.addr));
  assert.ok(holder, `the event stream came from an instance (${held})`);
  return { page, errors, session, holder };
}

const success = (page, timeout) =>
  page.locator("wallet-checkout").getByRole("status").filter({ hasText: "Payment successful" }).waitFor({ timeout });

async function shopSaysPaid(reference) {
  for (let i = 0; i < 150; i++) {
    const o = await (await fetch(`http://127.0.0.1:${shopPort}/orders/${reference}`)).json();
    if (o?.status === "paid") return o;
    await new Promise((r) => setTimeout(r, 100));
  }
  throw new Error(`the shop never heard that ${reference} was paid`);
}

test("through nginx: the stream on one instance hears of a payment notified to the other", async () => {
  const context = await browser.newContext({ viewport: { width: 1280, height: 900 } });
  const { page, errors, session, holder } = await checkoutOnDesktop(context);
  const other = instances.find((i) => i !== holder);
  // The gateway notifies the instance that does not hold the stream.
  await control({ notify_origin: other.base });
  try {
    await pay(gateway.direct, lastSegment(session.action.content));
    // LISTEN/NOTIFY: the holder's stream is woken by the other's write (no poll would be this quick).
    await success(page, 5_000);
  } finally {
    await control({ notify_origin: null });
  }
  const paid = await shopSaysPaid(session.order);
  assert.equal(paid.session, session.id, "the shop's webhook came from one of the instances");
  const health = await Promise.all(instances.map((i) => fetch(`${i.base}/healthz`).then((r) => r.json())));
  assert.deepEqual(health, [{ status: "ok" }, { status: "ok" }]);
  assert.deepEqual(errors, []);
  await context.close();
});

test("through nginx on an iPhone: the hand-over to the wallet's page and the return, across both instances", async () => {
  const context = await browser.newContext({ ...devices["iPhone 13"] });
  const page = await context.newPage();
  const errors = watchErrors(page);
  await page.goto(`${front}/`);
  const shopPage = page.url();
  // The widget leaves at once: the answer is read on its way (the page may be gone before it could be).
  let resolve;
  const created = new Promise((r) => { resolve = r; });
  await page.route("**/api/checkout/sessions", async (route) => {
    const response = await route.fetch();
    resolve(await response.json());
    await route.fulfill({ response });
  });
  await page.getByRole("button", { name: "Alipay", exact: true }).click();
  const session = await created;
  assert.equal(session.flow, "redirect", "a phone is handed over");
  assert.ok(session.action.url.startsWith(`${front}/sandbox/`), "the wallet's page, through the shop's origin");
  await page.waitForURL((u) => u.pathname.startsWith("/sandbox/"));
  await page.getByRole("button", { name: "Pay", exact: true }).click();
  await page.waitForURL(shopPage, { timeout: 15_000 });
  await success(page, 15_000);
  await shopSaysPaid(session.order);
  assert.deepEqual(errors, []);
  await context.close();
});

test("through nginx, every notification dropped: one instance at a time asks the gateway, and each session ends", async () => {
  // Slow answers, so two instances asking about one order at once would overlap at the gateway.
  await control({ notifications: "drop", slow_ms: 1500, expiry_secs: 20 });
  try {
    const context = await browser.newContext({ viewport: { width: 1280, height: 900 } });
    const { page, errors, session: paid } = await checkoutOnDesktop(context);
    // A second order whose shopper never pays, created through nginx as the widget would.
    const made = await fetch(`${front}/`, { redirect: "manual" });
    const reference = made.headers.get("location").split("/").pop();
    // The secret the shop rendered into that order's page, as the widget reads it.
    const page2 = await (await fetch(`${front}/checkout/${reference}`)).text();
    const secret = page2.match(/client-secret="([A-Za-z0-9_-]+)"/)?.[1];
    assert.ok(secret, "the shop's page carries the order's client secret");
    const res = await fetch(`${front}/api/checkout/sessions`, {
      method: "POST", headers: { "content-type": "application/json" },
      body: JSON.stringify({ order: reference, client_secret: secret, wallet: "wechat_pay", flow: "qr" }),
    });
    assert.equal(res.status, 201);
    const unpaid = await res.json();
    await pay(gateway.direct, lastSegment(paid.action.content));
    // No notification comes: reconciliation queries from 30 s after creation; the unpaid one is
    // closed at its expiry (20 s here). Both within expiry plus 2 minutes.
    await success(page, 150_000);
    let end;
    for (let i = 0; i < 300; i++) {
      end = (await (await fetch(`${front}/api/checkout/sessions/${unpaid.id}`)).json()).status;
      if (end !== "pending") break;
      await new Promise((r) => setTimeout(r, 500));
    }
    assert.equal(end, "expired");
    const { calls } = await (await fetch(`${gateway.direct}/sandbox/stats`)).json();
    for (const s of [paid, unpaid]) {
      assert.ok(calls[s.id]?.total >= 1, `${s.id} was asked about: ${JSON.stringify(calls[s.id])}`);
      assert.equal(calls[s.id].most_at_once, 1, `two instances asked about ${s.id} at once`);
    }
    await shopSaysPaid(paid.order);
    assert.deepEqual(errors, []);
    await context.close();
  } finally {
    await control({});
  }
});

test("through nginx: an instance killed while the widget waits, and the widget carries on through the other", async () => {
  const context = await browser.newContext({ viewport: { width: 1280, height: 900 } });
  const { page, errors, session, holder } = await checkoutOnDesktop(context);
  const survivor = instances.find((i) => i !== holder);
  const reconnected = page.waitForResponse(
    (r) => r.url().includes(`/sessions/${session.id}`) && r.headers()["x-upstream"]?.includes(survivor.addr),
    { timeout: 30_000 },
  );
  holder.child.kill("SIGKILL");
  await once(holder.child, "exit");
  await reconnected; // the widget's stream (or a read) answered by the survivor, without a reload
  await pay(gateway.direct, lastSegment(session.action.content)); // notified through nginx: the survivor
  await success(page, 15_000);
  await shopSaysPaid(session.order);
  const dead = await fetch(`${holder.base}/healthz`).then(() => "up", () => "down");
  assert.equal(dead, "down");
  // The page never reloaded and showed no error; the browser does log the stream the kill cut short.
  assert.deepEqual(errors.filter((e) => !e.endsWith("net::ERR_INCOMPLETE_CHUNKED_ENCODING")), []);
  await context.close();
});
