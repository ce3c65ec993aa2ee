//! The operator's console (`/console/`) in real browsers against the demo, which prints its URL and
//! a fresh admin token: in Chromium the whole round (sign in, a payment found by search, its order
//! with hostile text shown as text, half refunded once, the refund's webhook listed, Retry now, the
//! CSV downloaded, Chinese pages, sign out), axe-core clean on every page; in Firefox and WebKit the
//! sign-in, search, refund and export. The pages run no script: every step is a form.
import { test, before, after } from "node:test";
import assert from "node:assert/strict";
import { startServer, launchBrowser, axeFindings, shot, pay, lastSegment } from "./harness.mjs";
import { forEachEngine, waitFor } from "./engines.mjs";

const HOSTILE = "Tea <script>window.__pwned=1</script><img src=x onerror=window.__pwned=2>";
const HEADER = "order,session,amount,currency,wallet,gateway,status,created_at,paid_at,refunded";

let server;
before(async () => {
  server = await startServer();
  assert.ok(server.console, "the demo prints `console: URL token: TOKEN`");
  assert.equal(server.console.url, `${server.base}/console/`);
  assert.match(server.console.token, /^[A-Za-z0-9_-]{32,}$/);
});
after(async () => { await server?.stop(); });

const sleep = (ms) => new Promise((r) => setTimeout(r, ms));

/** A demo order described with `description`, paid by Alipay through the sandbox: { order, session }. */
async function paidPayment(description = "Green tea ×2") {
  const made = await fetch(`${server.base}/demo/orders`, {
    method: "POST", headers: { "content-type": "application/json" },
    body: JSON.stringify({ amount: { value: 1234, currency: "CAD" }, description }),
  });
  assert.equal(made.status, 201);
  const { order, client_secret } = await made.json();
  const res = await fetch(`${server.base}/api/checkout/sessions`, {
    method: "POST", headers: { "content-type": "application/json" },
    body: JSON.stringify({ order, client_secret, wallet: "alipay", flow: "qr" }),
  });
  assert.equal(res.status, 201);
  const session = await res.json();
  await pay(server.base, lastSegment(session.action.content));
  for (let i = 0; i < 150; i++) {
    const now = await (await fetch(`${server.base}/api/checkout/sessions/${session.id}`)).json();
    if (now.status === "succeeded") return { order, session: session.id };
    await sleep(100);
  }
  throw new Error("the payment did not land");
}

/** Fills the named fields of the page's form and presses `button` (a real click). */
async function submit(page, fields, button) {
  await page.eval((f) => {
    for (const [name, value] of Object.entries(f)) document.querySelector(`[name="${name}"]`).value = value;
  }, fields);
  await page.click(button);
}

const heading = () => document.querySelector("h1")?.textContent.trim() ?? "";
const text = () => document.body.innerText;

async function signIn(page) {
  await page.goto(server.console.url);
  await waitFor(page, heading, null, { what: "the sign-in page" });
  assert.equal(await page.eval(heading), "Sign in");
  await submit(page, { token: server.console.token }, "Sign in");
  await waitFor(page, () => document.querySelector("h1")?.textContent.trim() === "Payments", null, { what: "Payments after sign-in" });
}

async function search(page, reference) {
  await submit(page, { q: reference }, "Show");
  await waitFor(page, (r) => [...document.querySelectorAll("td a")].some((a) => a.textContent === r), reference, { what: `${reference} found` });
}

/** The export's text, fetched by the page itself (its cookie, its origin), with its type. */
const exported = (range) => fetch(`/console/export.csv?${range}`).then(async (r) => ({
  status: r.status, type: r.headers.get("content-type"), body: await r.text(),
}));

forEachEngine((engine) => {
  test(`${engine.name}: sign in, find a payment, refund half, export the day`, { timeout: 120_000 }, async () => {
    const { order, session } = await paidPayment();
    const page = await engine.newPage();
    await signIn(page);
    await search(page, order);
    await page.click(order);
    await waitFor(page, (o) => document.querySelector("h1")?.textContent.includes(o), order, { what: "the order page" });
    assert.equal(await page.eval(() => document.querySelector('[name="amount"]').value), "12.34", "default: all of it");
    await submit(page, { amount: "6.17", reason: "one cup returned" }, "Refund");
    await waitFor(page, () => document.body.innerText.includes("Refund recorded."), null, { what: "the refund recorded" });
    assert.equal(await page.eval(() => document.querySelector('[name="amount"]').value), "6.17", "what is left");
    const listed = await (await fetch(`${server.base}/admin/sessions/${session}/refunds`, {
      headers: { authorization: `Bearer ${server.console.token}` },
    })).json();
    assert.equal(listed.length, 1);
    assert.equal(listed[0].amount.value, 617);
    const today = new Date().toISOString().slice(0, 10);
    const csv = await page.eval(exported, `from=${today}&to=${today}`);
    assert.equal(csv.status, 200);
    assert.match(csv.type, /^text\/csv/);
    const lines = csv.body.trim().split(/\r?\n/);
    assert.equal(lines[0], HEADER);
    const row = lines.find((l) => l.includes(session));
    assert.ok(row?.startsWith(`${order},${session},1234,CAD,alipay,alphapay,succeeded,`), row);
    assert.deepEqual(page.errors, []);
    await page.close();
  });
}, ["firefox", "webkit"]);

test("chromium: the whole round, axe-clean on every page, in English and Chinese", { timeout: 120_000 }, async () => {
  const { order, session } = await paidPayment(HOSTILE);
  const browser = await launchBrowser();
  try {
    const context = await browser.newContext({ viewport: { width: 1280, height: 900 }, acceptDownloads: true });
    const page = await context.newPage();
    const errors = [];
    page.on("pageerror", (e) => errors.push(e.message));
    page.on("console", (m) => { if (m.type() === "error") errors.push(m.text()); });
    // axe-core is injected as a script, which the console's CSP forbids: it reads each page in a
    // second context that bypasses the CSP, with the same cookie (the page under test keeps it).
    const audit = await browser.newContext({ viewport: { width: 1280, height: 900 }, bypassCSP: true });
    const auditPage = await audit.newPage();
    const clean = async (what, replay = (p) => p.goto(page.url())) => {
      await audit.clearCookies();
      await audit.addCookies(await context.cookies());
      await replay(auditPage);
      assert.deepEqual(await axeFindings(auditPage, "html"), [], `axe-core: ${what}`);
    };

    await page.goto(server.console.url);
    await page.getByRole("heading", { name: "Sign in" }).waitFor();
    await clean("sign-in");
    await page.getByLabel("Admin token").fill("not-the-token");
    await page.getByRole("button", { name: "Sign in" }).click();
    await page.getByRole("alert").filter({ hasText: "not the admin token" }).waitFor();
    assert.ok(!page.url().includes("token"), "the token never in a URL");
    await clean("a wrong token", async (p) => {
      await p.goto(server.console.url);
      await p.getByLabel("Admin token").fill("not-the-token");
      await p.getByRole("button", { name: "Sign in" }).click();
      await p.getByRole("alert").waitFor();
    });
    await page.getByLabel("Admin token").fill(server.console.token);
    await page.getByRole("button", { name: "Sign in" }).click();
    await page.getByRole("heading", { name: "Payments" }).waitFor();
    const cookie = (await context.cookies()).find((c) => c.name === "wc_console");
    assert.ok(cookie?.httpOnly && cookie.sameSite === "Strict", JSON.stringify(cookie));
    assert.ok(cookie.expires * 1000 - Date.now() > 11.9 * 3600_000, "12 hours");
    await clean("payments");
    await shot(page, "console-payments");

    await page.getByLabel("Search").fill(order);
    await page.getByRole("button", { name: "Show" }).click();
    await page.getByRole("link", { name: order }).click();
    await page.getByRole("heading", { name: `Order ${order}` }).waitFor();
    assert.equal(await page.evaluate(() => window.__pwned), undefined, "the description ran nothing");
    assert.ok((await page.textContent("main")).includes("<script>window.__pwned=1</script>"), "shown as text");
    await clean("an order");
    await page.getByLabel("Amount (CAD)").fill("6.17");
    await page.getByLabel("Reason").fill("one cup returned");
    // Pressed twice: the page's idempotency key makes the second the same refund.
    await page.getByRole("button", { name: "Refund" }).dblclick();
    await page.getByRole("status").filter({ hasText: "Refund recorded." }).waitFor();
    await clean("an order after its refund");
    await shot(page, "console-order");
    const refunds = await (await fetch(`${server.base}/admin/sessions/${session}/refunds`, {
      headers: { authorization: `Bearer ${server.console.token}` },
    })).json();
    assert.equal(refunds.length, 1, "a double submit makes one refund");

    await page.getByRole("link", { name: "Webhooks" }).click();
    await page.getByRole("heading", { name: "Webhooks" }).waitFor();
    for (let i = 0; i < 100 && !(await page.textContent("main")).includes("refund."); i++) {
      await sleep(100);
      await page.reload();
    }
    const main = await page.textContent("main");
    assert.ok(main.includes("session.succeeded") && main.includes("refund."), main);
    await clean("webhooks");
    await shot(page, "console-webhooks");

    await page.getByRole("link", { name: "Payments" }).click();
    const [download] = await Promise.all([
      page.waitForEvent("download"),
      page.getByRole("button", { name: "Export CSV" }).click(),
    ]);
    const body = await (await import("node:fs/promises")).readFile(await download.path(), "utf8");
    assert.equal(body.split(/\r?\n/)[0], HEADER);
    assert.ok(body.includes(`${order},${session},1234,CAD,alipay,alphapay,succeeded,`));

    // Chinese, on a phone's screen.
    const zh = await browser.newContext({ viewport: { width: 390, height: 844 }, locale: "zh-CN", bypassCSP: true, extraHTTPHeaders: { "accept-language": "zh-CN,zh;q=0.9" } });
    await zh.addCookies([cookie]);
    const zhPage = await zh.newPage();
    await zhPage.goto(server.console.url);
    await zhPage.getByRole("heading", { name: "支付" }).waitFor();
    assert.equal(await zhPage.getAttribute("html", "lang"), "zh-CN");
    assert.deepEqual(await axeFindings(zhPage, "html"), [], "axe-core: payments in Chinese");
    await shot(zhPage, "console-payments-zh-phone");
    await zhPage.goto(`${server.base}/console/orders/${order}`);
    await zhPage.getByRole("heading", { name: `订单 ${order}` }).waitFor();
    assert.ok((await zhPage.textContent("main")).includes("加元"));
    assert.deepEqual(await axeFindings(zhPage, "html"), [], "axe-core: an order in Chinese");
    await zh.close();

    await page.getByRole("button", { name: "Sign out" }).click();
    await page.getByRole("heading", { name: "Sign in" }).waitFor();
    assert.equal((await context.cookies()).find((c) => c.name === "wc_console"), undefined, "signed out");
    // The wrong token's 401 is the one failed load expected.
    const unexpected = errors.filter((e) => !e.includes("status of 401"));
    assert.deepEqual(unexpected, [], "no script or CSP errors (the pages run no script; a blocked style would show here)");
  } finally {
    await browser.close();
  }
});
