//! The cashier's screen (`flow="payment_code"`) on the demo's till (`/cashier.html`), in Chromium,
//! Firefox and WebKit: the focused "Payment code" field takes a scanner's keystrokes and Enter; a code
//! the shopper confirms on their phone waits, then pays; a declined code says so and the field is
//! cleared and focused for the next scan; a text that is no payment code is refused in the widget,
//! with no request. The camera button only where `BarcodeDetector` exists (Chromium, stubbed).
import { test, before, after } from "node:test";
import assert from "node:assert/strict";
import { startServer, launchBrowser, watchErrors } from "./harness.mjs";
import { forEachEngine, waitFor, statusIs, widgetText } from "./engines.mjs";

let server;
before(async () => { server = await startServer(); });
after(async () => { await server?.stop(); });

/** A code the sandbox issues for `wallet` that plays `outcome`: { code, wallet_page }. */
async function code(wallet, outcome) {
  const res = await fetch(`${server.base}/sandbox/payment_codes`, {
    method: "POST", headers: { "content-type": "application/json" }, body: JSON.stringify({ wallet, outcome }),
  });
  assert.equal(res.status, 201);
  return res.json();
}

/** The element that has the focus, through open shadow roots: its tag, label and value. */
const focused = () => {
  let a = document.activeElement;
  while (a?.shadowRoot?.activeElement) a = a.shadowRoot.activeElement;
  return a && { tag: a.tagName, label: a.closest("label")?.textContent.trim() ?? "", value: a.value ?? "" };
};

/** How many creates the page has sent. */
const creates = () => performance.getEntriesByType("resource").filter((e) => e.name.endsWith("/api/checkout/sessions")).length;

/** Opens the till and presses Charge: the widget's "Payment code" field gets the focus. */
async function charge(page) {
  await page.goto(`${server.base}/cashier.html`);
  await page.click("Charge");
  await waitFor(page, () => {
    let a = document.activeElement;
    while (a?.shadowRoot?.activeElement) a = a.shadowRoot.activeElement;
    return a?.tagName === "INPUT" && a.closest("label")?.textContent.trim().startsWith("Payment code");
  }, null, { what: "the Payment code field to have the focus" });
}

forEachEngine((engine) => {
  test(`${engine.name}: a code confirmed on the phone waits, then pays; success is large`, { timeout: 90_000 }, async () => {
    const page = await engine.newPage();
    await charge(page);
    const text = await page.eval(widgetText);
    assert.deepEqual(text.wallets, [], "no wallet buttons at a counter");
    const { code: c, wallet_page } = await code("alipay", "confirm");
    await page.type(c);
    await statusIs(page, "Waiting for the customer to confirm on their phone");
    // The customer confirms on the sandbox's phone.
    const opened = await fetch(`${server.base}${wallet_page}`, { redirect: "manual" });
    assert.equal(opened.status, 303);
    const payment = opened.headers.get("location").split("/").pop();
    const paid = await fetch(`${server.base}/sandbox/wallet/${payment}/pay`, { method: "POST", redirect: "manual" });
    assert.equal(paid.status, 303);
    await statusIs(page, "Payment successful");
    const large = await page.eval(() => {
      const walk = (root) => [...root.querySelectorAll("*")].flatMap((el) => [el, ...(el.shadowRoot ? walk(el.shadowRoot) : [])]);
      return walk(document).some((el) => el.classList.contains("wc-large") && !el.hidden);
    });
    assert.equal(large, true, "the success is drawn large");
    assert.deepEqual(page.errors, []);
    await page.close();
  });

  test(`${engine.name}: a declined code says so and the field is ready again; no code is refused here; then paid at once`, { timeout: 90_000 }, async () => {
    const page = await engine.newPage();
    await charge(page);
    // The demo routes WeChat Pay to YabandPay, which takes no payment codes: Alipay (AlphaPay).
    const { code: declined } = await code("alipay", "declined");
    await page.type(declined);
    await waitFor(page, () => {
      const walk = (root) => [...root.querySelectorAll("*")].flatMap((el) => [el, ...(el.shadowRoot ? walk(el.shadowRoot) : [])]);
      return walk(document).some((el) => el.classList.contains("wc-hint") && el.textContent.includes("Code declined"));
    }, null, { what: "the declined note" });
    const after = await waitFor(page, focused, null, { what: "the focus" });
    assert.equal(after.tag, "INPUT", "the field has the focus again");
    assert.equal(after.value, "", "and is empty");

    const sent = await page.eval(creates);
    await page.type("12345");
    await waitFor(page, () => {
      const walk = (root) => [...root.querySelectorAll("*")].flatMap((el) => [el, ...(el.shadowRoot ? walk(el.shadowRoot) : [])]);
      return walk(document).some((el) => el.classList.contains("wc-hint") && el.textContent.includes("Not a payment code"));
    }, null, { what: "the not-a-code note" });
    assert.equal(await page.eval(creates), sent, "no request for a text that is no payment code");

    const { code: good } = await code("unionpay", "paid");
    await page.type(good);
    await statusIs(page, "Payment successful");
    assert.deepEqual(page.errors, []);
    await page.close();
  });
});

test("chromium: the camera button is there only with BarcodeDetector, and a code it reads pays", { timeout: 60_000 }, async () => {
  const browser = await launchBrowser();
  try {
    // Without the API (Chromium on Linux has none): no button. And a shopper's online checkout
    // never fetches the counter's code; the till does, once.
    const plain = await browser.newContext();
    const p = await plain.newPage();
    const fetched = [];
    p.on("request", (r) => fetched.push(new URL(r.url()).pathname));
    await p.goto(`${server.base}/`);
    await p.locator('button.wc-wallet[data-wallet="alipay"]').waitFor();
    assert.ok(!fetched.some((f) => f.startsWith("/wallet-checkout-counter.")), `online: ${fetched.join(" ")}`);
    await p.goto(`${server.base}/cashier.html`);
    await p.getByRole("button", { name: "Charge" }).click();
    await p.getByRole("textbox", { name: "Payment code" }).waitFor();
    assert.equal(await p.getByRole("button", { name: "Scan with camera" }).count(), 0);
    assert.equal(fetched.filter((f) => f.startsWith("/wallet-checkout-counter.")).length, 1, "the till fetched it once");
    await plain.close();

    // With it (stubbed, with a fake camera): the button reads a code, and the camera is released.
    const { code: c } = await code("alipay", "paid");
    const context = await browser.newContext();
    await context.addInitScript((text) => {
      window.__tracks = [];
      window.BarcodeDetector = class {
        async detect() { return [{ rawValue: text, format: "code_128" }]; }
      };
      navigator.mediaDevices.getUserMedia = async () => {
        const canvas = document.createElement("canvas");
        canvas.width = 64;
        canvas.height = 48;
        canvas.getContext("2d").fillRect(0, 0, 64, 48);
        const stream = canvas.captureStream(5);
        window.__tracks.push(...stream.getTracks());
        return stream;
      };
    }, c);
    const page = await context.newPage();
    const errors = watchErrors(page);
    await page.goto(`${server.base}/cashier.html`);
    await page.getByRole("button", { name: "Charge" }).click();
    await page.getByRole("button", { name: "Scan with camera" }).click();
    await page.getByRole("status").filter({ hasText: "Payment successful" }).waitFor({ timeout: 20_000 });
    const live = await page.evaluate(() => window.__tracks.filter((t) => t.readyState === "live").length);
    assert.equal(live, 0, "the camera is released");
    assert.deepEqual(errors, []);
    await context.close();
  } finally {
    await browser.close();
  }
});
