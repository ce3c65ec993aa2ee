//! The widget as each engine draws it: the choosing and QR states in Simplified Chinese, Japanese and
//! German (CJK needs Debian's fonts-noto-cjk, which `cargo xtask test` installs), compared with the
//! screenshots kept in `tests/e2e/screens/` with a tolerance (pixelmatch). The QR and the seconds
//! change every run, so they are hidden before the picture; everything else must match.
//! After a deliberate change of look: `WALLET_CHECKOUT_UPDATE_SCREENS=1 cargo xtask e2e tests/e2e/screens.test.mjs`
//! writes them again (look at them before committing). The first screen's layout is measured too: every
//! wallet's mark beside its name in English and Chinese, desktop and phone, and no empty room on a phone.
import { test, before, after } from "node:test";
import assert from "node:assert/strict";
import { existsSync, mkdirSync, readFileSync, writeFileSync } from "node:fs";
import { join, resolve } from "node:path";
import pixelmatch from "pixelmatch";
import { PNG } from "pngjs";
import { startServer, SHOTS } from "./harness.mjs";
import { forEachEngine, waitFor } from "./engines.mjs";

const DIR = resolve(import.meta.dirname, "screens");
const UPDATE = process.env.WALLET_CHECKOUT_UPDATE_SCREENS === "1";
/** Pixels may differ by pixelmatch's colour threshold; at most this share of them beyond it. */
const MAX_DIFFERENT = 0.01;

function compare(name, png) {
  const file = join(DIR, `${name}.png`);
  if (SHOTS) writeFileSync(join(SHOTS, `${name}.png`), png);
  if (UPDATE) {
    mkdirSync(DIR, { recursive: true });
    writeFileSync(file, png);
    return;
  }
  assert.ok(existsSync(file), `no kept screenshot ${file}: run WALLET_CHECKOUT_UPDATE_SCREENS=1 cargo xtask e2e tests/e2e/screens.test.mjs`);
  const [want, got] = [PNG.sync.read(readFileSync(file)), PNG.sync.read(png)];
  assert.deepEqual([got.width, got.height], [want.width, want.height], `${name}: the same size as the kept one`);
  const diff = new PNG({ width: want.width, height: want.height });
  const different = pixelmatch(want.data, got.data, diff.data, want.width, want.height, { threshold: 0.1 });
  const share = different / (want.width * want.height);
  if (share > MAX_DIFFERENT && SHOTS) writeFileSync(join(SHOTS, `${name}-diff.png`), PNG.sync.write(diff));
  assert.ok(share <= MAX_DIFFERENT, `${name}: ${(share * 100).toFixed(2)}% of pixels differ from the kept screenshot`);
}

let server;
before(async () => { server = await startServer(); });
after(async () => { await server?.stop(); });

forEachEngine((engine) => {
  const { name } = engine;

  for (const [locale, wallet] of [["zh-CN", "支付宝"], ["ja", "アリペイ"], ["de", "Alipay"]]) {
    test(`${name}: choosing and the QR in ${locale} look as kept`, async () => {
      const page = await engine.newPage({ width: 1280, height: 900 });
      await page.goto(`${server.base}/?locale=${locale}`);
      // The wasm's widget (it replaces the first screen in the same boxes; a click must reach it).
      await waitFor(page, () => document.querySelectorAll("#checkout .wc:not([aria-busy]) button.wc-wallet").length === 3 && document.fonts.status === "loaded");
      compare(`${name}-${locale}-choosing`, await page.shotOf("#checkout"));
      await page.click(wallet);
      await waitFor(page, () => !!document.querySelector("#checkout svg.wc-qr:not([hidden])") && !!document.querySelector("#checkout .wc-time")?.textContent);
      await page.eval(() => {
        for (const sel of ["svg.wc-qr", ".wc-time"]) document.querySelector(`#checkout ${sel}`).style.visibility = "hidden";
        document.activeElement?.blur();
        return true;
      });
      compare(`${name}-${locale}-qr`, await page.shotOf("#checkout"));
      await page.close();
    });
  }

  for (const [locale, phone] of [["en", false], ["zh-CN", false], ["en", true], ["zh-CN", true]]) {
    const where = phone ? "phone" : "desktop";
    test(`${name}: the first screen in ${locale} on a ${where}: every mark beside its name, no room kept for what the flow never shows`, async () => {
      const page = await engine.newPage({ phone, width: 1280, height: 900 });
      await page.goto(`${server.base}/?locale=${locale}`);
      await waitFor(page, () => document.querySelectorAll("#checkout .wc:not([aria-busy]) button.wc-wallet").length === 3 && document.fonts.status === "loaded");
      const layout = await page.eval(() => {
        const buttons = [...document.querySelectorAll("#checkout button.wc-wallet")].map((b) => {
          const mark = b.querySelector(".wc-mark").getBoundingClientRect();
          const text = b.querySelector("span");
          const range = document.createRange();
          range.selectNodeContents(text);
          const words = range.getClientRects();
          const box = text.getBoundingClientRect();
          return { name: text.textContent.trim(), lines: new Set([...words].map((r) => Math.round(r.top))).size,
            markMiddle: mark.top + mark.height / 2, textMiddle: box.top + box.height / 2, markRight: mark.right,
            textLeft: Math.min(...[...words].map((r) => r.left)) };
        });
        const slot = document.querySelector("#checkout").getBoundingClientRect().height;
        const widget = document.querySelector("#checkout .wc").getBoundingClientRect().height;
        return { buttons, slot, widget };
      });
      for (const b of layout.buttons) {
        assert.ok(b.markRight <= b.textLeft + 1, `${b.name}: the mark before its name, on its line: ${JSON.stringify(b)}`);
        assert.ok(Math.abs(b.markMiddle - b.textMiddle) <= 4, `${b.name}: the mark beside its name, not above it: ${JSON.stringify(b)}`);
        assert.ok(b.lines <= 2, `${b.name}: a long name wraps beside its mark, at most once: ${JSON.stringify(b)}`);
      }
      if (phone) {
        // A phone hands over to the wallet's page: no QR comes, so no room is kept for one.
        assert.ok(layout.slot - layout.widget <= 24, `the phone's slot holds the widget and no empty area: ${JSON.stringify(layout)}`);
      }
      await page.close();
    });
  }
});
