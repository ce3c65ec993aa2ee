//! The three browser engines behind one small page interface, for the scenarios that must hold in
//! each: Debian's Chromium and Firefox ESR through Playwright (Firefox over WebDriver BiDi, through
//! `firefox-bidi.mjs`), and WebKitGTK's MiniBrowser through classic WebDriver (`WebKitWebDriver`,
//! selenium-webdriver) under its own Xvfb display. An engine that cannot start is a failure.
//! Also a merchant's host site: a loopback proxy that serves the test's pages (with their CSP) and
//! passes everything else through to the real demo server, so the pages are same-origin with it.
import { spawn } from "node:child_process";
import { describe, before, after } from "node:test";
import { createServer, request as httpRequest } from "node:http";
import { once } from "node:events";
import { resolve } from "node:path";
import { firefox, devices } from "playwright-core";
import { Builder, Key } from "selenium-webdriver";
import { PNG } from "pngjs";
import { launchBrowser, freePort } from "./harness.mjs";

/** All three; `WALLET_CHECKOUT_ENGINES=webkit` (a comma list) narrows a run while working on one. */
export const ENGINES = (process.env.WALLET_CHECKOUT_ENGINES ?? "chromium,firefox,webkit").split(",");
export const IPHONE_UA = devices["iPhone 13"].userAgent;
const FIREFOX_BIDI = resolve(import.meta.dirname, "firefox-bidi.mjs");
const MINIBROWSER = process.env.MINIBROWSER ?? "/usr/lib/x86_64-linux-gnu/webkit2gtk-4.1/MiniBrowser";
const WEBKITDRIVER = process.env.WEBKITWEBDRIVER ?? "/usr/bin/WebKitWebDriver";

/** One `describe` per engine (of `ENGINES`, narrowed to `only`), the engine started before its
 * tests and closed after: `body(engine)` gets an object whose `name` is set at once and whose
 * `newPage` works inside the tests. */
export function forEachEngine(body, only = ENGINES) {
  for (const name of ENGINES.filter((n) => only.includes(n))) {
    describe(name, () => {
      let started = null;
      before(async () => { started = await openEngine(name); });
      after(async () => { await started?.close(); });
      body({ name, newPage: (options) => started.newPage(options) });
    });
  }
}

/** Starts `name`; resolves with { name, newPage(options), close() }. */
export async function openEngine(name) {
  if (name === "chromium") return playwrightEngine(name, await launchBrowser());
  if (name === "firefox") {
    const browser = await firefox.launch({ channel: "moz-firefox", executablePath: FIREFOX_BIDI, headless: true, timeout: 60_000 });
    return playwrightEngine(name, browser);
  }
  if (name === "webkit") return webkitEngine();
  throw new Error(`no such engine: ${name}`);
}

// ---------------------------------------------------------------------------------------- Playwright

function playwrightEngine(name, browser) {
  return {
    name,
    /** A page in a fresh context: `phone` emulates an iPhone's screen (and UA unless `userAgent`). */
    async newPage({ phone = false, userAgent, width = 1280, height = 900 } = {}) {
      const viewport = phone ? { width: 390, height: 844 } : { width, height };
      const options = { viewport, userAgent: userAgent ?? (phone ? IPHONE_UA : undefined) };
      // Firefox over BiDi takes no touch or scale emulation: the UA and the viewport say "phone".
      if (phone && name === "chromium") Object.assign(options, { isMobile: true, hasTouch: true, deviceScaleFactor: 3 });
      const context = await browser.newContext(options);
      const page = await context.newPage();
      const errors = [];
      page.on("pageerror", (e) => errors.push(`pageerror: ${e.message}`));
      page.on("console", (m) => { if (m.type() === "error") errors.push(`console: ${m.text()}`); });
      return new PlaywrightPage(page, page, errors, async () => context.close());
    },
    close: () => browser.close(),
  };
}

class PlaywrightPage {
  constructor(page, frame, errors, close) {
    Object.assign(this, { page, frame, errors, closeContext: close });
  }
  goto(url) { return this.page.goto(url); }
  url() { return this.page.url(); }
  /** Runs `fn(arg)` in the page (or its frame) and resolves with what it returns (awaited). */
  eval(fn, arg) { return this.frame.evaluate(fn, arg); }
  /** Keystrokes into whatever has the focus, then Enter: what a keyboard-wedge scanner sends. */
  async type(text) {
    await this.page.keyboard.type(text);
    await this.page.keyboard.press("Enter");
  }
  async back() { await this.page.goBack({ waitUntil: "commit" }); }
  /** Runs a whole script (axe-core's, say) in the page. */
  addScript(source) { return this.frame.addScriptTag({ content: source }); }
  /** A real click on the first visible button or link whose text is `text` (open shadow roots included). */
  async click(text) {
    await this.frame.locator("button:visible, a:visible", { hasText: text }).filter({ hasText: new RegExp(`^\\s*${escape(text)}\\s*$`) }).first().click();
  }
  /** A PNG of the element matched by `selector` (shadow roots pierced). */
  async shotOf(selector) {
    await this.frame.evaluate(() => new Promise((done) => requestAnimationFrame(() => requestAnimationFrame(done))));
    return this.frame.locator(selector).first().screenshot({ animations: "disabled" });
  }
  screenshot() { return this.page.screenshot(); }
  /** The same page, operating inside the iframe matched by `selector`. */
  async inFrame(selector) {
    const handle = await this.page.locator(selector).elementHandle();
    return new PlaywrightPage(this.page, await handle.contentFrame(), this.errors, this.closeContext);
  }
  close() { return this.closeContext(); }
}

const escape = (s) => s.replace(/[.*+?^${}()|[\]\\]/g, "\\$&");

// ------------------------------------------------------------------------------------------ WebKit

/** WebKitWebDriver on a free port, once it answers. */
async function startWebkitDriver(display) {
  const port = await freePort();
  const driver = spawn(WEBKITDRIVER, [`--port=${port}`], {
    env: { ...process.env, DISPLAY: display, LANG: "en_US.UTF-8" },
    stdio: ["ignore", "ignore", "inherit"],
  });
  let gone = false;
  const exited = once(driver, "exit").then(() => { gone = true; });
  const deadline = Date.now() + 30_000;
  for (;;) {
    try {
      if ((await fetch(`http://127.0.0.1:${port}/status`)).ok) break;
    } catch {
      // not listening yet
    }
    if (gone) throw new Error("WebKitWebDriver exited before it answered");
    if (Date.now() > deadline) throw new Error("WebKitWebDriver did not answer within 30 s");
    await Promise.race([new Promise((r) => setTimeout(r, 100)), exited]);
  }
  return { driver, port };
}

/** `promise`, or an error after `ms`. */
function within(promise, ms, what) {
  promise.catch(() => {}); // a late failure of the abandoned attempt is not this test's
  return Promise.race([promise, new Promise((_, reject) => setTimeout(() => reject(new Error(what)), ms))]);
}

async function webkitEngine() {
  const { display, stop: stopX } = await startXvfb();
  let { driver, port } = await startWebkitDriver(display);
  const sessions = new Set();
  return {
    name: "webkit",
    /** A new MiniBrowser session: the UA is the browser's (an argument); no touch emulation exists. */
    async newPage({ phone = false, userAgent, width = 1280, height = 900 } = {}) {
      // WebKitWebDriver holds one session at a time: a page a failed test left open goes first.
      for (const s of sessions) await s.quit().catch(() => {});
      sessions.clear();
      const args = ["--automation"];
      const ua = userAgent ?? (phone ? IPHONE_UA : undefined);
      if (ua) args.push(`--user-agent=${ua}`);
      const start = () => new Builder()
        .usingServer(`http://127.0.0.1:${port}`)
        .withCapabilities({ browserName: "MiniBrowser", "webkitgtk:browserOptions": { binary: MINIBROWSER, args } })
        .build();
      let session;
      try {
        session = await within(start(), 60_000, "MiniBrowser did not start within 60 s");
      } catch {
        // A MiniBrowser that never came up leaves WebKitWebDriver waiting for ever (seen once on a
        // cold machine): a new driver, and one more try.
        driver.kill();
        ({ driver, port } = await startWebkitDriver(display));
        session = await within(start(), 60_000, "MiniBrowser did not start within 60 s, twice");
      }
      sessions.add(session);
      // MiniBrowser's window is at least 447 px wide: a phone is as narrow as it gets.
      await session.manage().window().setRect(phone ? { width: 390, height: 844 } : { width, height });
      return new WebKitPage(session, () => { sessions.delete(session); return session.quit(); });
    },
    async close() {
      for (const s of sessions) await s.quit().catch(() => {});
      driver.kill();
      stopX();
    },
  };
}

/** Xvfb on the first free display (it says which on a pipe). */
async function startXvfb() {
  const x = spawn("Xvfb", ["-displayfd", "3", "-screen", "0", "1400x1000x24", "-nolisten", "tcp"], {
    stdio: ["ignore", "ignore", "inherit", "pipe"],
  });
  const number = await new Promise((resolve, reject) => {
    let text = "";
    x.stdio[3].on("data", (d) => {
      text += d;
      if (text.includes("\n")) resolve(text.trim());
    });
    x.once("exit", (code) => reject(new Error(`Xvfb exited (${code})`)));
    setTimeout(() => reject(new Error("Xvfb did not start within 20 s")), 20_000);
  });
  return { display: `:${number}`, stop: () => x.kill() };
}

/** Finds the first visible button or link whose trimmed text is `text`, through open shadow roots. */
const FIND_CONTROL = `const text = arguments[0];
  const seen = [];
  const walk = (root) => {
    for (const el of root.querySelectorAll("*")) {
      if ((el.tagName === "BUTTON" || el.tagName === "A") && el.textContent.trim() === text && el.getClientRects().length) seen.push(el);
      if (el.shadowRoot) walk(el.shadowRoot);
    }
  };
  walk(document);
  return seen[0] ?? null;`;

const FIND_SELECTOR = `const sel = arguments[0];
  const walk = (root) => {
    const hit = root.querySelector(sel);
    if (hit) return hit;
    for (const el of root.querySelectorAll("*")) if (el.shadowRoot) { const h = walk(el.shadowRoot); if (h) return h; }
    return null;
  };
  return walk(document);`;

class WebKitPage {
  constructor(session, close, frameSelector = null) {
    Object.assign(this, { session, closeSession: close, frameSelector, errors: [] });
  }
  async enter() {
    await this.session.switchTo().defaultContent();
    if (this.frameSelector) {
      const frame = await this.session.executeScript(FIND_SELECTOR, this.frameSelector);
      await this.session.switchTo().frame(frame);
    }
  }
  async goto(url) {
    await this.session.get(url);
  }
  url() { return this.session.getCurrentUrl(); }
  async eval(fn, arg) {
    await this.enter();
    return this.session.executeScript(`return (${fn.toString()})(arguments[0]);`, arg ?? null);
  }
  async back() { await this.session.navigate().back(); }
  /** Keystrokes into whatever has the focus, then Enter: what a keyboard-wedge scanner sends. */
  async type(text) {
    await this.enter();
    await this.session.actions().sendKeys(text, Key.ENTER).perform();
  }
  async addScript(source) {
    await this.enter();
    await this.session.executeScript(`${source}\n;return true;`);
  }
  async click(text) {
    await this.enter();
    const deadline = Date.now() + 15_000;
    for (;;) {
      const el = await this.session.executeScript(FIND_CONTROL, text);
      if (el) return el.click();
      if (Date.now() > deadline) throw new Error(`no visible button or link "${text}"`);
      await new Promise((r) => setTimeout(r, 100));
    }
  }
  /** WebKitGTK's element screenshots come from the wrong place: the viewport's, cropped here to
   * the element's box (it is scrolled to the top first; device pixels as the screenshot has them). */
  async shotOf(selector) {
    await this.enter();
    const box = await this.session.executeScript(`${FIND_SELECTOR}`.replace("return walk(document);", `
      const el = walk(document);
      if (!el) return null;
      el.scrollIntoView({ block: "start" });
      return new Promise((done) => requestAnimationFrame(() => requestAnimationFrame(() => {
        const r = el.getBoundingClientRect(), k = devicePixelRatio;
        done({ x: Math.round(r.x * k), y: Math.round(r.y * k), width: Math.round(r.width * k), height: Math.round(r.height * k) });
      })));`), selector);
    if (!box) throw new Error(`nothing matches ${selector}`);
    const full = PNG.sync.read(Buffer.from(await this.session.takeScreenshot(), "base64"));
    const width = Math.min(box.width, full.width - box.x);
    const height = Math.min(box.height, full.height - box.y);
    const out = new PNG({ width, height });
    PNG.bitblt(full, out, box.x, box.y, width, height, 0, 0);
    return PNG.sync.write(out);
  }
  async screenshot() {
    await this.session.switchTo().defaultContent();
    return Buffer.from(await this.session.takeScreenshot(), "base64");
  }
  async inFrame(selector) {
    const page = new WebKitPage(this.session, this.closeSession, selector);
    page.errors = this.errors;
    return page;
  }
  close() { return this.closeSession(); }
}

// ------------------------------------------------------------------------------ the same for every engine

/** Polls `fn(arg)` in the page until it returns something truthy (within `timeout` ms); resolves with it. */
export async function waitFor(page, fn, arg, { timeout = 15_000, what = fn.toString().slice(0, 80) } = {}) {
  const deadline = Date.now() + timeout;
  let last;
  for (;;) {
    try {
      last = await page.eval(fn, arg);
      if (last) return last;
    } catch (e) {
      last = e.message; // a navigation in between: ask again
    }
    if (Date.now() > deadline) throw new Error(`waited ${timeout} ms for ${what} (last: ${JSON.stringify(last)})`);
    await new Promise((r) => setTimeout(r, 100));
  }
}

/** The widget's text parts (through open shadow roots and in this frame): status, hint, button
 * names, the spoken countdown. */
export const widgetText = () => {
  const all = [];
  const walk = (root) => {
    for (const el of root.querySelectorAll("*")) {
      all.push(el);
      if (el.shadowRoot) walk(el.shadowRoot);
    }
  };
  walk(document);
  const pick = (sel) => all.filter((el) => el.matches(sel));
  const visible = (el) => el.getClientRects().length > 0;
  return {
    status: pick("[role=status]").map((e) => e.textContent.trim()).join(" "),
    wallets: pick("button.wc-wallet").filter(visible).map((e) => e.textContent.trim()),
    controls: pick(".wc button, .wc a").filter(visible).map((e) => e.textContent.trim()).filter(Boolean),
    hint: pick(".wc-hint").filter(visible).map((e) => e.textContent.trim()).join(" "),
    timer: pick(".wc-time").filter(visible).map((e) => e.textContent.trim()).join(""),
    spoken: pick(".wc-sr").map((e) => e.textContent.trim()).join(" "),
    qr: pick("svg.wc-qr").some(visible),
  };
};

/** Waits until the widget's status contains `text`. */
export const statusIs = (page, text, timeout = 20_000) =>
  waitFor(page, (t) => {
    const walk = (root) => [...root.querySelectorAll("*")].flatMap((el) => [el, ...(el.shadowRoot ? walk(el.shadowRoot) : [])]);
    return walk(document).some((el) => el.getAttribute("role") === "status" && el.textContent.includes(t));
  }, text, { timeout, what: `status "${text}"` });

/** A merchant's site on loopback `port` (0: any): `pages` maps a path to { body, head, csp } (HTML
 * served with that Content-Security-Policy) or { type, raw, delay? } (a file, after `delay` ms); every other request is passed
 * through to `base` unchanged (streams included), so the widget's assets and API are same-origin
 * with the pages. */
export async function hostSite(base, pages, port = 0) {
  const upstream = new URL(base);
  const server = createServer((req, res) => {
    const page = pages[new URL(req.url, "http://x").pathname];
    if (page?.raw !== undefined) {
      // `delay` ms first: a slow network for that file.
      setTimeout(() => {
        res.writeHead(200, { "content-type": page.type, "cache-control": "no-store" });
        res.end(page.raw);
      }, page.delay ?? 0);
      return;
    }
    if (page) {
      const headers = { "content-type": "text/html; charset=utf-8", "cache-control": "no-store" };
      if (page.csp) headers["content-security-policy"] = page.csp;
      res.writeHead(200, headers);
      res.end(`<!doctype html><html lang="en"><head><meta charset="utf-8"><title>Shop</title>${page.head ?? ""}</head><body>${page.body}</body></html>`);
      return;
    }
    const out = httpRequest({ host: upstream.hostname, port: upstream.port, method: req.method, path: req.url,
      headers: { ...req.headers, host: upstream.host } }, (answer) => {
      res.writeHead(answer.statusCode, answer.headers);
      answer.pipe(res);
    });
    out.on("error", () => res.destroy());
    req.pipe(out);
    res.on("close", () => out.destroy());
  });
  server.listen(port, "127.0.0.1");
  await once(server, "listening");
  return {
    origin: `http://127.0.0.1:${server.address().port}`,
    close: () => new Promise((r) => { server.closeAllConnections(); server.close(r); }),
  };
}
