//! End-to-end harness: starts the real demo server (merchant server + sandbox + shop) on a free
//! loopback port and launches Debian's headless Chromium. Nothing here is mocked.
import assert from "node:assert/strict";
import { spawn } from "node:child_process";
import { once } from "node:events";
import { createInterface } from "node:readline";
import { createServer } from "node:net";
import { createRequire } from "node:module";
import { mkdtempSync, readFileSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { chromium, devices } from "playwright-core";
import jsQR from "jsqr";
import { PNG } from "pngjs";

export { devices };

/** The value of the environment variable `name`, which `cargo xtask test` sets. */
export function required(name) {
  const v = process.env[name];
  if (!v) throw new Error(`${name} is not set: run the suite through \`cargo xtask test\``);
  return v;
}

/** A config file for the server in sandbox mode with demo orders and a SQLite file in `dir` (fresh by
 * default), the create limit raised (a rehearsal applies `[limits]`); `extra` is more TOML (routing, frame, …). Returns its path, for `startServer(["--config", path])`. */
export function sandboxConfig(extra = "", { port = 0, dir = mkdtempSync(join(tmpdir(), "wallet-checkout-e2e-")) } = {}) {
  const file = join(dir, "checkout.toml");
  writeFileSync(file, `listen = "127.0.0.1:${port}"
public_url = "http://127.0.0.1:${port}"
store = "sqlite://${join(dir, "checkout.db")}"
${extra}
${extra.includes("[limits]") ? "" : "[limits]\ncreates_per_minute_per_ip = 100000 # a suite's sessions all come from 127.0.0.1\n"}
[demo]
orders = true
sandbox = true
`);
  return file;
}

/** A loopback port that was free a moment ago (for a server that must come back on the same port). */
export async function freePort() {
  const probe = createServer();
  await new Promise((resolve) => probe.listen(0, "127.0.0.1", resolve));
  const { port } = probe.address();
  await new Promise((resolve) => probe.close(resolve));
  return port;
}

/** Starts `program args` with `env` added; resolves with { child, base, console } once it prints
 * `… running at URL` (within 60 s; exiting first is an error naming `name`). `console` is the demo's
 * `console: URL token: TOKEN` line read as { url, token }, when it printed one. */
export async function startProcess(program, args, env = {}, name = program) {
  const child = spawn(program, args, {
    env: { ...process.env, RUST_LOG: process.env.RUST_LOG ?? "warn", ...env },
    stdio: ["ignore", "pipe", "inherit"],
  });
  const lines = createInterface({ input: child.stdout });
  let operator = null;
  const base = await new Promise((resolve, reject) => {
    const timer = setTimeout(() => reject(new Error(`${name} did not start within 60 s`)), 60_000);
    child.once("exit", (code) => reject(new Error(`${name} exited early (${code})`)));
    lines.on("line", (line) => {
      const c = line.match(/^console: (\S+) token: (\S+)$/);
      if (c) operator = { url: c[1], token: c[2] };
      const m = line.match(/running at (http:\/\/[^\s]+?)\/?$/);
      if (m) {
        clearTimeout(timer);
        resolve(m[1]);
      }
    });
  });
  return { child, base, console: operator };
}

/** Starts the demo server (extra arguments such as `--config F` allowed; `port` 0 picks one) and resolves with { base, stop }. */
export async function startServer(extra = [], { port = 0 } = {}) {
  const { child, base, console } = await startProcess(required("WALLET_CHECKOUT_DEMO"), ["--site", required("WALLET_CHECKOUT_SITE"), ...extra],
    { PORT: String(port) }, "the demo server");
  return {
    base,
    console,
    async stop() {
      if (child.exitCode === null) {
        child.kill("SIGTERM");
        await once(child, "exit");
      }
    },
  };
}

/** Launches headless Chromium; failing to start is a test failure, never a skip. The back/forward
 * cache stays on (Playwright turns it off by default), as in a shopper's browser. */
export async function launchBrowser() {
  return chromium.launch({
    executablePath: process.env.CHROMIUM ?? "/usr/bin/chromium",
    headless: true,
    ignoreDefaultArgs: ["--disable-back-forward-cache"],
    args: ["--no-sandbox", "--disable-gpu", "--disable-dev-shm-usage", "--disable-background-networking",
      "--disable-component-update", "--disable-sync", "--no-first-run", "--disable-quic"],
  });
}

/** The text of the QR code in a PNG screenshot, or null. */
export function decodeQr(shot) {
  const png = PNG.sync.read(shot);
  const data = new Uint8ClampedArray(png.data.buffer, png.data.byteOffset, png.data.length);
  const code = jsQR(data, png.width, png.height);
  return code ? code.data : null;
}

/** Decodes the QR code visible on the page from a real screenshot. */
export async function decodeQrOnScreen(page) {
  return decodeQr(await page.screenshot({ fullPage: true }));
}

/** Collects page errors and console errors so a test can assert there were none. */
export function watchErrors(page) {
  const errors = [];
  page.on("pageerror", (e) => errors.push(`pageerror: ${e.message}`));
  page.on("console", (m) => { if (m.type() === "error") errors.push(`console: ${m.text()}`); });
  return errors;
}

export const SHOTS = process.env.WALLET_CHECKOUT_SHOTS; // a folder to save screenshots into, if set

const AXE_PATH = createRequire(import.meta.url).resolve("axe-core/axe.min.js");
let axeSource = null;

/** Runs axe-core over `selector` and returns its serious and critical findings (none is the goal).
 * `page` is a Playwright page or an engine page of `engines.mjs` (`eval`, `addScript`). */
export async function axeFindings(page, selector = "#checkout") {
  const engine = typeof page.evaluate !== "function";
  const run = (fn, arg) => (engine ? page.eval(fn, arg) : page.evaluate(fn, arg));
  if (!(await run(() => typeof window.axe === "object"))) {
    if (engine) {
      axeSource ??= readFileSync(AXE_PATH, "utf8");
      await page.addScript(axeSource);
    } else {
      await page.addScriptTag({ path: AXE_PATH });
    }
  }
  const violations = await run(async (sel) => {
    const result = await window.axe.run(sel, { resultTypes: ["violations"] });
    return result.violations.map((v) => ({ id: v.id, impact: v.impact, nodes: v.nodes.map((n) => n.target.join(" ")) }));
  }, selector);
  return violations.filter((v) => v.impact === "serious" || v.impact === "critical");
}

/** Asserts axe-core finds nothing serious in `state`. */
export async function noAxe(page, state) {
  assert.deepEqual(await axeFindings(page), [], `axe-core, ${state}`);
}

/** Saves a full-page screenshot as `name` when `WALLET_CHECKOUT_SHOTS` names a folder. */
export async function shot(page, name) {
  if (SHOTS) await page.screenshot({ path: `${SHOTS}/${name}.png`, fullPage: true });
}

/** Opens the demo shop at `base` (with `query`) in a new page of `context`, waiting for the wallets;
 * resolves with the page and the errors it logs. */
export async function openShop(context, base, query = "") {
  const page = await context.newPage();
  const errors = watchErrors(page);
  await page.goto(`${base}/${query}`);
  await page.locator('button.wc-wallet[data-wallet="alipay"]').waitFor();
  return { page, errors };
}

/** The wallets' English names (what the tests say) to their keys (what every language's button carries). */
const WALLET_KEYS = { Alipay: "alipay", "WeChat Pay": "wechat_pay", UnionPay: "unionpay" };

/** Clicks a wallet (by its English name, in any language) or another button ("Try again"), and
 * resolves with the server's answer to the create, { status, body }, read in flight (a widget that
 * navigates away at once cannot lose it). */
export async function chooseAnswer(page, wallet) {
  let resolve;
  const created = new Promise((r) => { resolve = r; });
  const pattern = "**/api/checkout/sessions";
  const handler = async (route) => {
    let response = null;
    try {
      response = await route.fetch();
      const text = await response.text();
      let body;
      try { body = JSON.parse(text); } catch { body = text; } // not JSON: the test sees the text
      resolve({ status: response.status(), body });
    } catch (e) {
      resolve({ status: 0, body: `the create failed: ${e.message}` });
    }
    // Always answered, so the widget never waits on a request the test holds.
    await (response ? route.fulfill({ response }) : route.abort()).catch(() => {});
  };
  await page.route(pattern, handler);
  const button = WALLET_KEYS[wallet]
    ? page.locator(`button.wc-wallet[data-wallet="${WALLET_KEYS[wallet]}"]`)
    : page.getByRole("button", { name: wallet, exact: true });
  await button.click();
  const answer = await created;
  await page.unroute(pattern, handler);
  return answer;
}

/** `chooseAnswer`'s session. */
export const choose = async (page, wallet) => (await chooseAnswer(page, wallet)).body;

/** Waits (15 s at most) for the widget's status line to say `text`. */
export const status = (page, text) => page.getByRole("status").filter({ hasText: text }).waitFor({ timeout: 15_000 });

export const IPHONE_UA = devices["iPhone 13"].userAgent;
export const WECHAT_UA = `${IPHONE_UA} MicroMessenger/8.0.47(0x18002f2c) NetType/WIFI Language/zh_CN`;
export const ALIPAY_UA = `${IPHONE_UA} AlipayClient/10.5.96.6000 Language/zh-Hans`;

/** The client secrets of the orders `newOrder` made: what a shop's backend hands its page. */
const SECRETS = new Map();

/** The client secret of an order `newOrder` made (`client-secret`, `clientSecret`). */
export const secretOf = (order) => SECRETS.get(order);

/** `{ order, clientSecret }`: the mount options that pay an order `newOrder` made. */
export const withSecret = (order) => ({ order, clientSecret: secretOf(order) });

/** A demo order (12.34 CAD) created on the server at `base`; resolves with its reference (its
 * client secret: `secretOf`). */
export async function newOrder(base) {
  const res = await fetch(`${base}/demo/orders`, {
    method: "POST",
    headers: { "Content-Type": "application/json" },
    body: JSON.stringify({ amount: { value: 1234, currency: "CAD" }, description: "Green tea ×2" }),
  });
  const { order, client_secret: secret } = await res.json();
  SECRETS.set(order, secret);
  return order;
}

/** Presses Pay on the sandbox's wallet page for `paymentId`, as a shopper would. */
export async function pay(base, paymentId) {
  const res = await fetch(`${base}/sandbox/wallet/${paymentId}/pay`, { method: "POST", redirect: "manual" });
  assert.equal(res.status, 303, "the sandbox took the payment");
}

/** The last path segment of a URL (the sandbox payment id in a QR's content). */
export const lastSegment = (url) => new URL(url).pathname.split("/").pop();
