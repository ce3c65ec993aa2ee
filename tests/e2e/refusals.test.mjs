//! Gateways saying no, end to end in headless Chromium against the demo and its sandbox (told what
//! to answer through `POST /sandbox/control`): for each kind of refusal the shopper reads what
//! happened and is offered the right next step; a QR given only as a picture (Pass2Pay
//! `codeImgUrl`) is shown and paid; YabandPay's mini-program pay succeeds inside the Alipay app
//! (a fake `AlipayJSBridge`) and inside a mini program's web-view (a fake `my`).
import { test, before, after } from "node:test";
import assert from "node:assert/strict";
import { startServer, sandboxConfig, launchBrowser, watchErrors, devices, axeFindings, SHOTS, shot, openShop, chooseAnswer as choose, status, ALIPAY_UA } from "./harness.mjs";

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
const MINI_PROGRAM_UA = `${IPHONE.userAgent} ChannelId(0) Nebula AlipayDefined(nt:WIFI) AliApp(AP/10.5.96) AlipayClient/10.5.96.6000 Language/zh-Hans MiniProgram`;

/** The next answer of `gateway` to `op`, as a person would set it from the command line. */
async function force(base, gateway, op, answer) {
  const res = await fetch(`${base}/sandbox/control`, {
    method: "POST",
    headers: { "Content-Type": "application/json" },
    body: JSON.stringify({ gateway, next: { [op]: answer } }),
  });
  assert.equal(res.status, 200, await res.text());
}

/** Page errors, leaving out the browser's own line for each refused request (the refusals under test). */
function unexpected(errors) {
  return errors.filter((e) => !e.includes("Failed to load resource"));
}

const qr = (page) => page.getByRole("img", { name: /QR code/ }).first();

const RETRY = "The payment could not be started.";
const REFUSED = "This payment method cannot take this order. Please choose another.";
const WALLET_OFF = "This payment method is not available right now. Please choose another.";

// [gateway, wallet it serves in the demo, forced answer, contract code, words, next step]
const KINDS = [
  ["alphapay", "Alipay", "SYSTEMERROR", "gateway_error", RETRY, "retry"],
  ["alphapay", "Alipay", "SIGN_TIMEOUT", "gateway_error", RETRY, "retry"],
  ["yabandpay", "WeChat Pay", "-1000", "gateway_error", RETRY, "retry"],
  ["alphapay", "Alipay", "PARAM_INVALID", "gateway_refused", REFUSED, "another"],
  ["yabandpay", "WeChat Pay", "-3001", "gateway_refused", REFUSED, "another"],
  ["pass2pay", "UnionPay", "9999", "gateway_refused", REFUSED, "another"],
  ["alphapay", "Alipay", "INVALID_METHOD_TYPE", "wallet_unavailable", WALLET_OFF, "another"],
  ["yabandpay", "WeChat Pay", "-4011", "wallet_unavailable", WALLET_OFF, "another"],
  ["alphapay", "Alipay", "ORDER_PAID", "order_already_paid", "This order is already paid.", "none"],
];

for (const [gateway, wallet, answer, code, words, next] of KINDS) {
  test(`${gateway} ${answer}: the shopper reads "${words}" and is offered ${next === "retry" ? "Retry" : next === "another" ? "another wallet" : "nothing to redo"}`, async () => {
    const context = await browser.newContext();
    const { page, errors } = await openShop(context, server.base);
    await force(server.base, gateway, "create", answer);
    const created = await choose(page, wallet);
    assert.equal(created.body.error?.code, code, JSON.stringify(created.body));
    await status(page, words);
    assert.ok(!(await page.getByRole("status").textContent()).includes(answer), "the gateway's code stays out of sight");
    const retry = page.getByRole("button", { name: "Retry", exact: true });
    // The wallets stay: another can be chosen whatever happened.
    for (const w of ["Alipay", "WeChat Pay", "UnionPay"]) {
      assert.ok(await page.getByRole("button", { name: w, exact: true }).isVisible(), `${w} is still offered`);
    }
    if (next === "retry") {
      await retry.click();
      await qr(page).waitFor();
    } else if (next === "another") {
      assert.equal(await retry.count(), 0, "no Retry: the same again would fail the same way");
      const other = wallet === "UnionPay" ? "WeChat Pay" : "UnionPay";
      const again = await choose(page, other);
      assert.equal(again.status, 201, JSON.stringify(again.body));
      await qr(page).waitFor();
    }
    assert.deepEqual(await axeFindings(page), [], `axe-core after ${answer}`);
    if (answer === "PARAM_INVALID" || answer === "SYSTEMERROR") await shot(page, `refused-${code}`);
    assert.deepEqual(unexpected(errors), []);
    await context.close();
  });
}

test("Pass2Pay codeImgUrl: the gateway's picture of the QR is shown, and paying it succeeds", async () => {
  const context = await browser.newContext();
  const { page, errors } = await openShop(context, server.base);
  await force(server.base, "pass2pay", "create", "codeImgUrl");
  const created = await choose(page, "UnionPay");
  assert.equal(created.status, 201, JSON.stringify(created.body));
  const action = created.body.action;
  assert.equal(action.type, "qr");
  assert.equal(action.content, undefined, "no text to draw");
  const img = page.locator("img.wc-qr");
  await img.waitFor();
  assert.equal(await img.getAttribute("src"), action.image);
  await page.waitForFunction(() => document.querySelector("img.wc-qr")?.naturalWidth > 0);
  assert.ok(await page.getByRole("img", { name: /QR code/ }).isVisible(), "the picture has the QR's accessible name");
  await shot(page, "pass2pay-code-img-url");
  const payment = new URL(action.image).pathname.split("/").pop();
  const res = await fetch(`${server.base}/sandbox/wallet/${payment}/pay`, { method: "POST", redirect: "manual" });
  assert.equal(res.status, 303);
  await status(page, "Payment successful");
  assert.deepEqual(unexpected(errors), []);
  await context.close();
});

test("Pass2Pay paid at create: the shopper sees success at once", async () => {
  const context = await browser.newContext();
  const { page, errors } = await openShop(context, server.base);
  await force(server.base, "pass2pay", "create", "paid");
  const created = await choose(page, "UnionPay");
  assert.equal(created.body.status, "succeeded", JSON.stringify(created.body));
  await status(page, "Payment successful");
  assert.deepEqual(unexpected(errors), []);
  await context.close();
});

test("YabandPay mini-program pay, inside the Alipay app and inside a mini program's web-view", async () => {
  // Alipay on YabandPay, as a shop that routes it there would configure.
  const own = await startServer(["--config", sandboxConfig('[routing]\nalipay = "yabandpay"\nwechat_pay = "yabandpay"\nunionpay = "pass2pay"\n')]);
  try {
    // Inside the Alipay app: the page calls tradePay itself.
    {
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
      const { page, errors } = await openShop(context, own.base);
      const { body: session } = await choose(page, "Alipay");
      assert.equal(session.gateway, "yabandpay");
      assert.equal(session.flow, "alipay_in_app");
      assert.equal(session.action.type, "alipay_jsapi");
      await status(page, "Payment successful");
      assert.deepEqual(await page.evaluate(() => window.__calls), [{ name: "tradePay", args: { tradeNO: session.action.trade_no } }]);
      assert.deepEqual(unexpected(errors), []);
      await context.close();
    }
    // Inside a mini program's web-view: the trade number goes to the mini program (`my.postMessage`),
    // which pays with my.tradePay and posts the result back; the server's status decides.
    {
      const context = await browser.newContext({ ...IPHONE, userAgent: MINI_PROGRAM_UA });
      await context.addInitScript(() => {
        window.__posted = [];
        window.my = {
          postMessage(message) {
            window.__posted.push(message);
            // The mini program's side: my.tradePay({ tradeNO }), then webViewContext.postMessage(result).
            fetch(`/sandbox/wallet/${message.tradeNO}/pay`, { method: "POST" })
              .then(() => setTimeout(() => window.my.onMessage?.({ resultCode: "9000" }), 50));
          },
        };
      });
      const { page, errors } = await openShop(context, own.base);
      const { body: session } = await choose(page, "Alipay");
      assert.equal(session.action.type, "alipay_jsapi");
      await status(page, "Payment successful");
      assert.deepEqual(await page.evaluate(() => window.__posted), [{ type: "wallet-checkout:tradePay", tradeNO: session.action.trade_no }]);
      await shot(page, "alipay-mini-program-success");
      assert.deepEqual(unexpected(errors), []);
      await context.close();
    }
    // A web-view whose page lacks the mini program's script: the shopper is told, not left waiting.
    {
      const context = await browser.newContext({ ...IPHONE, userAgent: MINI_PROGRAM_UA });
      const { page, errors } = await openShop(context, own.base);
      await choose(page, "Alipay");
      await page.getByRole("button", { name: "Pay with Alipay" }).waitFor();
      assert.deepEqual(unexpected(errors), []);
      await context.close();
    }
  } finally {
    await own.stop();
  }
});
