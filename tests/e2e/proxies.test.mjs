//! The same-origin topology as the README's "Connect your shop" writes it: one production server behind a
//! real nginx, then behind a real Caddy, each configured with the README's block (read from the README);
//! the shop's page on the proxy's origin with the widget's default endpoint; the gateway (the sandbox, a
//! process of its own) notifies the proxy's address, which the block sends on to the server. And a
//! production server pointed at that sandbox the README's way, AlphaPay's key read from the sandbox.
import { test, before, after } from "node:test";
import assert from "node:assert/strict";
import { spawn, execFileSync } from "node:child_process";
import { generateKeyPairSync } from "node:crypto";
import { mkdtempSync, mkdirSync, readFileSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join, resolve } from "node:path";
import * as harness from "./harness.mjs";
import { launchBrowser, watchErrors, freePort, pay, lastSegment, required } from "./harness.mjs";

const ROOT = resolve(import.meta.dirname, "../..");
const TOKEN = "e2e-admin-token-0123456789-abcdefghij";
const P2P = "e2e-proxies-pass2pay-secret-0123456789";
// The merchant's AlphaPay key: the server signs with it, the sandbox checks with its public half.
const AP_KEY = generateKeyPairSync("rsa", { modulusLength: 2048, privateKeyEncoding: { type: "pkcs8", format: "pem" }, publicKeyEncoding: { type: "spki", format: "pem" } }).privateKey;
const ap = (base) => `[gateways.alphapay]
base_url = "${base}"
merchant_code = "E2EPX1"
private_key_env = "WC_E2E_AP_KEY"
gateway_public_key_env = "WC_E2E_AP_PUBLIC"
`;
const dir = mkdtempSync(join(tmpdir(), "wallet-checkout-proxies-"));
const children = [];
let browser, gateway;

async function startProcess(program, args, env, name) {
  const started = await harness.startProcess(program, args, env, name);
  children.push(started.child);
  return started;
}

/** The README's same-origin blocks, from "Connect your shop": `nginx` or `caddy`. */
function readmeBlock(kind) {
  const readme = readFileSync(join(ROOT, "README.md"), "utf8");
  const section = readme.split("\n## Connect your shop")[1].split("\n## ")[0];
  const blocks = [...section.matchAll(new RegExp("```" + kind + "\\n([\\s\\S]*?)```", "g"))].map((m) => m[1]);
  assert.equal(blocks.length, 1, `"Connect your shop" shows one ${kind} block`);
  assert.ok(blocks[0].includes("127.0.0.1:8080"), "it names the server's address");
  return blocks[0];
}

const p2p = (base) => `[gateways.pass2pay]
base_url = "${base}"
mch_no = "M1700000001"
app_id = "64a0c0ffee0000000000abcd"
secret_env = "WC_E2E_P2P"
`;

before(async () => {
  const gatewayPort = await freePort();
  // The gateway: the demo binary's sandbox alone (the README's `--sandbox` on a shop's file, with its
  // merchant ids and secrets), reached by the servers directly.
  writeFileSync(join(dir, "gateway.toml"), `listen = "127.0.0.1:${gatewayPort}"
public_url = "http://127.0.0.1:${gatewayPort}"
store = "memory"
${p2p("https://api.pass2pay.example")}${ap("https://openapi.alphapay.example")}`);
  gateway = await startProcess(required("WALLET_CHECKOUT_DEMO"), ["--config", join(dir, "gateway.toml"), "--sandbox"], { WC_E2E_P2P: P2P, WC_E2E_AP_KEY: AP_KEY }, "the gateway");
  browser = await launchBrowser();
});

after(async () => {
  await browser?.close();
  for (const c of children) c.kill();
});

/** One production server whose `public_url` is `front` (the proxy), the README's way. */
async function serverBehind(name, front) {
  const port = await freePort();
  writeFileSync(join(dir, `${name}.toml`), `listen = "127.0.0.1:${port}"
public_url = "${front}"
store = "sqlite://${join(dir, `${name}.db`)}"
[routing]
alipay = "pass2pay"
[admin]
token_env = "WC_E2E_ADMIN"
[limits]
trusted_proxies = ["127.0.0.1"]
${p2p(`${gateway.base}/sandbox/pass2pay`)}`);
  const started = await startProcess(required("WALLET_CHECKOUT_SERVER"), ["--config", join(dir, `${name}.toml`)],
    { WC_E2E_ADMIN: TOKEN, WC_E2E_P2P: P2P }, `the server behind ${name}`);
  return { ...started, addr: `127.0.0.1:${port}` };
}

/** The shop's checkout page for a new order (PUT through the server's own address, as a backend
 * does), with the tags of `dist/snippet.html` and the order's client secret, in `pages/`. */
async function checkoutPage(server, name) {
  const reference = `PX${name.toUpperCase()}${Date.now()}`;
  const res = await fetch(`${server.base}/admin/orders/${reference}`, {
    method: "PUT", headers: { authorization: `Bearer ${TOKEN}`, "content-type": "application/json" },
    body: JSON.stringify({ amount: { value: 1234, currency: "CNY" }, description: "Tea" }),
  });
  assert.equal(res.status, 201);
  const { client_secret: secret } = await res.json();
  const snippet = readFileSync(join(required("WALLET_CHECKOUT_SITE"), "snippet.html"), "utf8");
  const tag = snippet.match(/<script[^>]*><\/script>/)[0];
  const pages = join(dir, `pages-${name}`);
  mkdirSync(pages, { recursive: true });
  writeFileSync(join(pages, "checkout.html"), `<!doctype html><html lang="en"><head><meta charset="utf-8"><title>Shop</title>${tag}</head>
<body><wallet-checkout order="${reference}" client-secret="${secret}" flow="qr"></wallet-checkout></body></html>`);
  return { pages, reference };
}

async function waitUp(url) {
  for (let i = 0; ; i++) {
    const up = await fetch(url).then((r) => r.status, () => 0);
    if (up) return;
    if (i > 100) throw new Error(`${url} did not come up`);
    await new Promise((r) => setTimeout(r, 100));
  }
}

/** The shopper pays on `front`'s checkout page; the notification comes through the proxy. */
async function payThrough(front, server) {
  const context = await browser.newContext({ viewport: { width: 1280, height: 900 } });
  const page = await context.newPage();
  const errors = watchErrors(page);
  await page.goto(`${front}/checkout.html`);
  const created = page.waitForResponse((r) => r.url() === `${front}/api/checkout/sessions` && r.request().method() === "POST");
  await page.getByRole("button", { name: "Alipay", exact: true }).click();
  const answer = await created;
  assert.equal(answer.status(), 201, "the create went through the proxy on the page's own origin");
  const session = await answer.json();
  await page.locator("wallet-checkout svg.wc-qr").waitFor();
  const stats = async () => (await (await fetch(`${gateway.base}/sandbox/stats`)).json()).ack_us.length;
  const acked = await stats();
  await pay(gateway.base, lastSegment(session.action.content ?? session.action.url));
  await page.locator("wallet-checkout").getByRole("status").filter({ hasText: "Payment successful" }).waitFor({ timeout: 20_000 });
  assert.ok((await stats()) > acked, "the gateway's notification, sent to public_url, was acknowledged through the proxy");
  const held = await (await fetch(`${server.base}/api/checkout/sessions/${session.id}`)).json();
  assert.equal(held.status, "succeeded");
  assert.deepEqual(errors, []);
  await context.close();
}

test("one instance behind nginx with the README's block: the shop's page pays on its own origin", { timeout: 90_000 }, async () => {
  const port = await freePort();
  const front = `http://127.0.0.1:${port}`;
  const server = await serverBehind("nginx", front);
  const { pages } = await checkoutPage(server, "nginx");
  const nginxDir = join(dir, "nginx");
  for (const d of ["body", "proxy", "fastcgi", "uwsgi", "scgi"]) mkdirSync(join(nginxDir, d), { recursive: true });
  const conf = join(nginxDir, "nginx.conf");
  writeFileSync(conf, `${process.getuid?.() === 0 ? "user root;\n" : ""}worker_processes 1;
daemon off;
pid ${nginxDir}/nginx.pid;
error_log ${nginxDir}/error.log warn;
events { worker_connections 256; }
http {
  include /etc/nginx/mime.types;
  access_log ${nginxDir}/access.log;
  client_body_temp_path ${nginxDir}/body; proxy_temp_path ${nginxDir}/proxy; fastcgi_temp_path ${nginxDir}/fastcgi;
  uwsgi_temp_path ${nginxDir}/uwsgi; scgi_temp_path ${nginxDir}/scgi;
  server {
    listen 127.0.0.1:${port};
${readmeBlock("nginx").replaceAll("127.0.0.1:8080", server.addr)}
    location = /checkout.html { root ${pages}; }
    location = /favicon.ico { return 204; }
    location / { root ${required("WALLET_CHECKOUT_SITE")}; }
  }
}
`);
  execFileSync(required("WALLET_CHECKOUT_NGINX"), ["-t", "-c", conf, "-p", nginxDir], { stdio: ["ignore", "ignore", "inherit"] });
  children.push(spawn(required("WALLET_CHECKOUT_NGINX"), ["-c", conf, "-p", nginxDir], { stdio: ["ignore", "inherit", "inherit"] }));
  await waitUp(`${front}/checkout.html`);
  await payThrough(front, server);
});

test("one instance behind Caddy with the README's block: the shop's page pays on its own origin", { timeout: 90_000 }, async () => {
  const port = await freePort();
  const front = `http://127.0.0.1:${port}`;
  const server = await serverBehind("caddy", front);
  const { pages } = await checkoutPage(server, "caddy");
  const caddyDir = join(dir, "caddy");
  mkdirSync(caddyDir, { recursive: true });
  const conf = join(caddyDir, "Caddyfile");
  writeFileSync(conf, `{
	admin off
	auto_https off
	storage file_system ${caddyDir}/data
}
${front} {
${readmeBlock("caddy").replaceAll("127.0.0.1:8080", server.addr)}
	handle /favicon.ico {
		respond 204
	}
	handle /checkout.html {
		root * ${pages}
		file_server
	}
	handle {
		root * ${required("WALLET_CHECKOUT_SITE")}
		file_server
	}
}
`);
  execFileSync(required("WALLET_CHECKOUT_CADDY"), ["validate", "--config", conf, "--adapter", "caddyfile"], { stdio: ["ignore", "ignore", "inherit"], env: { ...process.env, HOME: caddyDir, XDG_DATA_HOME: caddyDir, XDG_CONFIG_HOME: caddyDir } });
  children.push(spawn(required("WALLET_CHECKOUT_CADDY"), ["run", "--config", conf, "--adapter", "caddyfile"],
    { stdio: ["ignore", "ignore", "inherit"], env: { ...process.env, HOME: caddyDir, XDG_DATA_HOME: caddyDir, XDG_CONFIG_HOME: caddyDir } }));
  await waitUp(`${front}/checkout.html`);
  await payThrough(front, server);
});

test("a production server pointed at the sandbox the README's way: AlphaPay answers verify with the key the sandbox publishes", { timeout: 60_000 }, async () => {
  const published = await fetch(`${gateway.base}/sandbox/alphapay/public-key`);
  assert.equal(published.status, 200);
  const publicKey = await published.text();
  assert.match(publicKey, /^-----BEGIN PUBLIC KEY-----/);
  const port = await freePort();
  writeFileSync(join(dir, "staging.toml"), `listen = "127.0.0.1:${port}"
public_url = "http://127.0.0.1:${port}"
store = "sqlite://${join(dir, "staging.db")}"
[routing]
wechat_pay = "alphapay"
[admin]
token_env = "WC_E2E_ADMIN"
${ap(`${gateway.base}/sandbox/alphapay`)}`);
  const server = await startProcess(required("WALLET_CHECKOUT_SERVER"), ["--config", join(dir, "staging.toml")],
    { WC_E2E_ADMIN: TOKEN, WC_E2E_AP_KEY: AP_KEY, WC_E2E_AP_PUBLIC: publicKey }, "the staging server");
  const reference = `STG${Date.now()}`;
  const put = await fetch(`${server.base}/admin/orders/${reference}`, {
    method: "PUT", headers: { authorization: `Bearer ${TOKEN}`, "content-type": "application/json" },
    body: JSON.stringify({ amount: { value: 1234, currency: "CAD" }, description: "Tea" }),
  });
  assert.equal(put.status, 201);
  const { client_secret } = await put.json();
  const created = await fetch(`${server.base}/api/checkout/sessions`, {
    method: "POST", headers: { "content-type": "application/json" },
    body: JSON.stringify({ order: reference, client_secret, wallet: "wechat_pay", flow: "qr" }),
  });
  const session = await created.json();
  assert.equal(created.status, 201, `the signed answer verified: ${JSON.stringify(session)}`);
  await pay(gateway.base, lastSegment(session.action.content ?? session.action.url));
  const done = await (await fetch(`${server.base}/api/checkout/sessions/${session.id}?wait=20&status=pending`)).json();
  assert.equal(done.status, "succeeded", "the sandbox's signed notification verified too");
});
