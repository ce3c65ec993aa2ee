//! The scenario catalogue: the core scenarios for Chromium, Firefox and WebKit (`engines.mjs`),
//! one engine per test file (`engines-<engine>.test.mjs`, so the three run side by side), against
//! the real demo server
//! and sandbox: desktop QR to success, phone hand-over and return (and back through the back/forward
//! cache), the WeChat and Alipay in-app bridges (fakes: the apps cannot run here), expiry and a new
//! code, the script tag with integrity and the custom element under a strict CSP, iframe mode under
//! its CSP, axe-core in the main states and in every language, each language's wallet names, the
//! countdown's second boundaries and its spoken text. What WebKit cannot be asked (touch emulation,
//! console errors over classic WebDriver) is said where it is skipped in the assertion, never the test.
import { test, before, after } from "node:test";
import assert from "node:assert/strict";
import { readFileSync } from "node:fs";
import { join, resolve } from "node:path";
import { startServer, sandboxConfig, pay, lastSegment, newOrder, secretOf, freePort, decodeQr, noAxe, WECHAT_UA, ALIPAY_UA } from "./harness.mjs";
import { forEachEngine, IPHONE_UA, waitFor, widgetText, statusIs, hostSite } from "./engines.mjs";

const SITE = process.env.WALLET_CHECKOUT_SITE ?? join(resolve(import.meta.dirname, "../.."), "dist");

/** Every language: its tag, its wallet names (buttons), and its "Choose how to pay". */
export const LANGUAGES = [
  ["en", ["Alipay", "WeChat Pay", "UnionPay"], "Choose how to pay"],
  ["zh-CN", ["支付宝", "微信支付", "银联"], "请选择支付方式"],
  ["zh-TW", ["支付寶", "微信支付", "銀聯"], "請選擇付款方式"],
  ["fr", ["Alipay", "WeChat Pay", "UnionPay"], "Choisissez votre moyen de paiement"],
  ["ja", ["アリペイ", "WeChat Pay", "銀聯"], "お支払い方法を選択してください"],
  ["ko", ["알리페이", "위챗페이", "유니온페이"], "결제 수단을 선택하세요"],
  ["de", ["Alipay", "WeChat Pay", "UnionPay"], "Wählen Sie eine Zahlungsart"],
  ["es", ["Alipay", "WeChat Pay", "UnionPay"], "Elige cómo pagar"],
  ["it", ["Alipay", "WeChat Pay", "UnionPay"], "Scegli come pagare"],
  ["nl", ["Alipay", "WeChat Pay", "UnionPay"], "Kies hoe je wilt betalen"],
];

/** Keeps the last session the widget announced in `window.__session` (DOM events bubble out). */
const listen = () => {
  window.__session = null;
  window.__states = [];
  document.addEventListener("wallet-checkout:statechange", (e) => {
    window.__states.push(e.detail.state);
    if (e.detail.session) window.__session = e.detail.session;
  });
  return true;
};

async function openShop(page, base, query = "") {
  await page.goto(`${base}/${query}`);
  // The wasm's own buttons (the first screen before it is no longer `aria-busy`): a WebDriver click
  // found on the first screen can land after the wasm replaced it.
  await waitFor(page, () => document.querySelectorAll("#checkout .wc:not([aria-busy]) button.wc-wallet").length === 3, null, { what: "the wallets" });
  await page.eval(listen);
}

const control = (base, body) => fetch(`${base}/sandbox/control`, { method: "POST", headers: { "content-type": "application/json" }, body: JSON.stringify(body) });

/** A scenario of the catalogue, registered for the engines it must pass in. Where Chromium runs a
 * richer test of the same scenario (Playwright's own tools: request interception, init scripts,
 * focus, the back/forward cache's events), that test is the Chromium row and is named `core: …`
 * (`flows.test.mjs`, `checkout.test.mjs`), so no scenario runs twice in one engine; `cargo xtask
 * test --quick` runs the Chromium rows of both. */
const OTHERS_THAN_CHROMIUM = ["firefox", "webkit"];
const ALL = ["chromium", "firefox", "webkit"];
function scenario(engine, engines, title, body) {
  if (engines.includes(engine.name)) test(`${engine.name}: ${title}`, body);
}

let server;

/** Registers the catalogue's scenarios for `name` (nothing when `WALLET_CHECKOUT_ENGINES` leaves
 * it out), with a demo server of the file's own. */
export function catalogue(name) {
  before(async () => { server = await startServer(); });
  after(async () => { await server?.stop(); });
  forEachEngine((engine) => register(engine), [name]);
}

function register(engine) {
  const { name } = engine;

  // Chromium: checkout.test.mjs "core: desktop: pay with Alipay by scanning the QR…".
  scenario(engine, OTHERS_THAN_CHROMIUM, "desktop QR, scanned and paid: Payment successful, axe-core clean in each state", async () => {
    const page = await engine.newPage();
    await openShop(page, server.base);
    await noAxe(page, "choosing");
    await page.click("Alipay");
    await waitFor(page, () => window.__session?.action?.content, null, { what: "the session" });
    const session = await page.eval(() => window.__session);
    await waitFor(page, () => !!document.querySelector("svg.wc-qr:not([hidden])"), null, { what: "the QR" });
    // The first frame after the QR appears may not be painted yet: a few looks.
    let seen = null;
    for (let i = 0; i < 10 && seen !== session.action.content; i++) {
      seen = decodeQr(await page.screenshot());
      if (seen !== session.action.content) await new Promise((r) => setTimeout(r, 200));
    }
    assert.equal(seen, session.action.content, "the QR on screen decodes to the session's");
    await noAxe(page, "pending (QR)");
    await pay(server.base, lastSegment(session.action.content));
    await statusIs(page, "Payment successful");
    await noAxe(page, "succeeded");
    assert.deepEqual(page.errors, []);
    await page.close();
  });

  // Chromium: flows.test.mjs "core: iPhone: Alipay hands over…" and "core: iPhone: back from the wallet page…".
  scenario(engine, OTHERS_THAN_CHROMIUM, "phone hand-over to the wallet page and back to success; back from the wallet checks at once", async () => {
    const page = await engine.newPage({ phone: true });
    await openShop(page, server.base);
    const shop = await page.url();
    await page.click("Alipay");
    await waitFor(page, () => location.pathname.startsWith("/sandbox/"), null, { what: "the wallet's page" });
    await page.click("Pay");
    await waitFor(page, () => location.pathname === "/", null, { what: "the return to the shop" });
    assert.equal(await page.url(), shop, "the sandbox sends the shopper back to the page they left");
    await statusIs(page, "Payment successful");

    // A second order: leave for the wallet's page, come back without paying.
    await openShop(page, server.base);
    await page.eval(() => { window.__before_leaving = true; });
    await page.click("Alipay");
    await waitFor(page, () => location.pathname.startsWith("/sandbox/"), null, { what: "the wallet's page" });
    const payment = lastSegment(await page.url());
    await page.back();
    await statusIs(page, "Confirming payment");
    const cached = await page.eval(() => window.__before_leaving === true);
    // Chromium restores the page from the back/forward cache. Firefox driven over WebDriver BiDi
    // and WebKitGTK's MiniBrowser load it again here: then the widget resumes the same session
    // from sessionStorage (paying it below proves it is the same one).
    if (name === "chromium") assert.equal(cached, true, "back from the back/forward cache");
    await pay(server.base, payment);
    await statusIs(page, "Payment successful");
    await page.close();
  });

  // Chromium: flows.test.mjs "core: WeChat in-app: …" and "core: Alipay in-app: …".
  scenario(engine, OTHERS_THAN_CHROMIUM, "in WeChat and Alipay the in-app bridges pay and the server decides", async () => {
    const own = await startServer(["--config", sandboxConfig(`[routing]\nwechat_pay = "alphapay"\n`)]);
    try {
      const wechat = await engine.newPage({ phone: true, userAgent: WECHAT_UA });
      await openShop(wechat, own.base);
      await wechat.click("WeChat Pay");
      // WeChat injects its bridge late and fires WeixinJSBridgeReady: so does this fake.
      await wechat.eval(() => {
        window.__calls = [];
        window.WeixinJSBridge = {
          invoke(api, params, cb) {
            window.__calls.push(api);
            fetch(`/sandbox/wallet/${params.package.replace("prepay_id=", "")}/pay`, { method: "POST" })
              .then(() => cb({ err_msg: "get_brand_wcpay_request:ok" }));
          },
        };
        setTimeout(() => document.dispatchEvent(new Event("WeixinJSBridgeReady")), 100);
        return true;
      });
      await statusIs(wechat, "Payment successful");
      assert.deepEqual(await wechat.eval(() => window.__calls), ["getBrandWCPayRequest"]);
      await wechat.close();

      const alipay = await engine.newPage({ phone: true, userAgent: ALIPAY_UA });
      await openShop(alipay, server.base, "?locale=zh-CN"); // Alipay by the default routing
      await alipay.eval(() => {
        window.__calls = [];
        window.AlipayJSBridge = {
          call(api, args, cb) {
            window.__calls.push(api);
            fetch(`/sandbox/wallet/${args.tradeNO}/pay`, { method: "POST" }).then(() => cb({ resultCode: "9000" }));
          },
        };
        return true;
      });
      await alipay.click("支付宝");
      await statusIs(alipay, "支付成功");
      assert.deepEqual(await alipay.eval(() => window.__calls), ["tradePay"]);
      await alipay.close();
    } finally {
      await own.stop();
    }
  });

  // Chromium: flows.test.mjs "core: expiry: …".
  scenario(engine, OTHERS_THAN_CHROMIUM, "the code expires, Get a new code makes another that pays", async () => {
    assert.equal((await control(server.base, { expiry_secs: 4 })).status, 200);
    const page = await engine.newPage();
    try {
      await openShop(page, server.base);
      await page.click("Alipay");
      await waitFor(page, () => window.__session?.id, null);
    } finally {
      assert.equal((await control(server.base, {})).status, 200);
    }
    const first = await page.eval(() => window.__session.id);
    await statusIs(page, "QR code expired");
    await noAxe(page, "expired");
    await page.click("Get a new code");
    const second = await waitFor(page, (id) => window.__session?.id !== id && window.__session?.action?.content && window.__session, first);
    await waitFor(page, () => !!document.querySelector("svg.wc-qr:not([hidden])"));
    await pay(server.base, lastSegment(second.action.content));
    await statusIs(page, "Payment successful");
    await page.close();
  });

  scenario(engine, ALL, "the countdown changes on each second boundary of the expiry, and never says more time than is left", async () => {
    const page = await engine.newPage();
    await openShop(page, server.base);
    // Every change of the shown time, with when it happened (the page's own clock).
    await page.eval(() => {
      window.__ticks = [];
      const watch = () => {
        const el = document.querySelector("#checkout .wc-time");
        if (!el) return setTimeout(watch, 10);
        new MutationObserver(() => window.__ticks.push([Date.now(), el.textContent])).observe(el, { childList: true, characterData: true, subtree: true });
      };
      watch();
      return true;
    });
    await page.click("Alipay");
    const session = await waitFor(page, () => window.__session?.expires_at && window.__session);
    const ticks = await waitFor(page, () => window.__ticks.length >= 5 && window.__ticks, null, { timeout: 10_000 });
    const expires = Date.parse(session.expires_at);
    // Never early (it would say more than is left); on the boundary, not a phase of the mount: a clock
    // started at mount would lag every change by the same 0–1000 ms. A single late change on a loaded
    // machine is allowed up to 400 ms; the median must sit on the boundary.
    const lags = [];
    for (const [at, shown] of ticks.slice(1)) {
      const [m, s] = shown.split(":").map(Number);
      const boundary = expires - (m * 60 + s) * 1000; // when that whole second starts being left
      lags.push(at - boundary);
      assert.ok(at - boundary >= -5 && at - boundary < 400, `"${shown}" shown ${at - boundary} ms after its second began`);
    }
    const middle = [...lags].sort((a, b) => a - b)[Math.floor(lags.length / 2)];
    assert.ok(middle < 150, `the changes lag their boundaries by ${lags.join(", ")} ms`);
    const { spoken, timer } = await page.eval(widgetText);
    const [m, s] = timer.split(":").map(Number);
    const minutes = Number(spoken.match(/(\d+) minute/)?.[1] ?? 0);
    assert.ok(minutes * 60 <= m * 60 + s, `spoken "${spoken}" at ${timer}: never more than is left`);
    assert.equal(minutes, m >= 5 ? 5 + Math.floor((m * 60 + s - 300) / 180) * 3 : m, `spoken "${spoken}" at ${timer}`);
    await page.close();
  });

  scenario(engine, ALL, "every language: its own wallet names on the buttons, axe-core clean", async () => {
    const page = await engine.newPage();
    for (const [tag, names, choose] of LANGUAGES) {
      await openShop(page, server.base, `?locale=${tag}`);
      const seen = await page.eval(widgetText);
      assert.deepEqual(seen.wallets, names, `${tag}: the buttons`);
      const label = await page.eval(() => document.querySelector("#checkout .wc-wallets").getAttribute("aria-label"));
      assert.equal(label, choose, tag);
      const marks = await page.eval(() => [...document.querySelectorAll("#checkout button.wc-wallet svg.wc-mark")]
        .map((svg) => svg.getAttribute("aria-hidden") === "true" && svg.getBoundingClientRect().width > 10));
      assert.deepEqual(marks, [true, true, true], `${tag}: each button shows its mark, hidden from the accessible name`);
      await noAxe(page, `choosing (${tag})`);
    }
    await page.close();
  });

  scenario(engine, ALL, "the script tag with integrity and <wallet-checkout> under a strict CSP, and iframe mode under its CSP", async () => {
    const manifest = JSON.parse(readFileSync(join(SITE, "manifest.json"), "utf8"));
    const loader = manifest.files.find((f) => f.file === manifest.loader);
    const tag = `<script src="/${manifest.loader}" integrity="${loader.sha384}" crossorigin="anonymous" async></script>`;
    const port = await freePort();
    const own = await startServer(["--config", sandboxConfig(`[checkout]\nreturn_origins = ["http://127.0.0.1:${port}"]\n[frame]\npage = "${join(SITE, "frame.html")}"\nancestors = ["http://127.0.0.1:${port}"]\n`)]);
    const listenScript = `<script src="/shop/listen.js"></script>`;
    try {
      const [inline, framed] = [await newOrder(own.base), await newOrder(own.base)];
      const site = await hostSite(own.base, {
        "/shop/inline.html": { csp: "default-src 'self'; script-src 'self' 'wasm-unsafe-eval'; style-src 'self'",
          body: `${listenScript}<wallet-checkout order="${inline}" client-secret="${secretOf(inline)}" locale="de"></wallet-checkout>${tag}` },
        "/shop/iframe.html": { csp: "default-src 'self'; script-src 'self'",
          body: `${listenScript}<wallet-checkout order="${framed}" client-secret="${secretOf(framed)}" mode="iframe"></wallet-checkout>${tag}` },
        "/shop/listen.js": { type: "text/javascript", raw: `window.__violations = [];
          document.addEventListener("securitypolicyviolation", (e) => window.__violations.push(e.violatedDirective + " " + e.blockedURI));
          window.__session = null;
          document.addEventListener("wallet-checkout:statechange", (e) => { if (e.detail.session) window.__session = e.detail.session; });` },
      }, port);
      try {
        const page = await engine.newPage();
        await page.goto(`${site.origin}/shop/inline.html`);
        await waitFor(page, () => document.querySelector("wallet-checkout")?.shadowRoot?.querySelectorAll(".wc:not([aria-busy]) button.wc-wallet").length === 3, null, { what: "the wasm's wallets" });
        await page.click("UnionPay");
        const session = await waitFor(page, () => window.__session?.action?.content && window.__session);
        await pay(own.base, lastSegment(session.action.content));
        await statusIs(page, "Zahlung erfolgreich");
        assert.deepEqual(await page.eval(() => window.__violations), [], "no CSP violation");

        await page.goto(`${site.origin}/shop/iframe.html`);
        await waitFor(page, () => !!document.querySelector("wallet-checkout")?.shadowRoot?.querySelector("iframe")
          || !!document.querySelector("wallet-checkout iframe"), null, { what: "the frame" });
        const frame = await page.inFrame("iframe");
        await waitFor(frame, () => document.querySelectorAll(".wc:not([aria-busy]) button.wc-wallet").length === 3, null, { what: "the wallets in the frame" });
        await frame.eval(listen);
        await frame.click("Alipay");
        const framedSession = await waitFor(frame, () => window.__session?.action?.content && window.__session);
        await pay(own.base, lastSegment(framedSession.action.content));
        await statusIs(frame, "Payment successful");
        assert.deepEqual(await page.eval(() => window.__violations), [], "the host page's CSP was never violated");
        assert.deepEqual(page.errors, []);
        await page.close();
      } finally {
        await site.close();
      }
    } finally {
      await own.stop();
    }
  });
}
