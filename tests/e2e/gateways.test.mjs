//! Each gateway end to end, chosen by configuration alone: a config file routes every wallet to one
//! gateway, the real server runs it against that gateway's sandbox (real wire format, real
//! signatures), and the widget in headless Chromium goes from the QR to "Payment successful".
import { test, before, after } from "node:test";
import assert from "node:assert/strict";
import { startServer, sandboxConfig, launchBrowser, decodeQrOnScreen, watchErrors, SHOTS } from "./harness.mjs";

let browser;
before(async () => { browser = await launchBrowser(); });
after(async () => { await browser?.close(); });

function configRoutingAllTo(gateway) {
  return sandboxConfig(`
[routing]
alipay = "${gateway}"
wechat_pay = "${gateway}"
unionpay = "${gateway}"
`);
}

for (const [gateway, wallet] of [["alphapay", "WeChat Pay"], ["pass2pay", "Alipay"], ["yabandpay", "UnionPay"]]) {
  test(`${gateway}: every wallet routed to it by config; ${wallet} pays to Payment successful`, async () => {
    const server = await startServer(["--config", configRoutingAllTo(gateway)]);
    try {
      const context = await browser.newContext({ viewport: { width: 1280, height: 800 } });
      const page = await context.newPage();
      const errors = watchErrors(page);
      await page.goto(`${server.base}/?flow=qr`);
      const created = page.waitForResponse((r) => r.url().endsWith("/api/checkout/sessions") && r.request().method() === "POST");
      await page.getByRole("button", { name: wallet, exact: true }).click();
      const session = await (await created).json();
      assert.equal(session.gateway, gateway);
      assert.equal(session.action.type, "qr");
      await page.getByRole("img", { name: /QR code/ }).waitFor();
      const decoded = await decodeQrOnScreen(page);
      assert.equal(decoded, session.action.content, "the QR on screen encodes the session's content");

      const wallet_page = await context.newPage();
      await wallet_page.goto(decoded);
      await wallet_page.getByText(`via ${{ alphapay: "AlphaPay", pass2pay: "Pass2Pay", yabandpay: "YabandPay" }[gateway]}`).waitFor();
      await wallet_page.getByRole("button", { name: "Pay", exact: true }).click();
      await wallet_page.getByText("Payment complete").waitFor();

      await page.getByRole("status").filter({ hasText: "Payment successful" }).waitFor({ timeout: 15_000 });
      if (SHOTS) await page.screenshot({ path: `${SHOTS}/desktop-success-${gateway}.png`, fullPage: true });
      assert.deepEqual(errors, []);
      await context.close();
    } finally {
      await server.stop();
    }
  });
}
