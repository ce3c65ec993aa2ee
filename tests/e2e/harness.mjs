// End-to-end harness: starts the real demo server (merchant server + sandbox + shop) on a free
// loopback port and launches Debian's headless Chromium. Nothing here is mocked.
import { spawn } from "node:child_process";
import { once } from "node:events";
import { createInterface } from "node:readline";
import { chromium, devices } from "playwright-core";
import jsQR from "jsqr";
import { PNG } from "pngjs";

export { devices };

function required(name) {
  const v = process.env[name];
  if (!v) throw new Error(`${name} is not set: run the suite through \`cargo xtask test\``);
  return v;
}

/** Starts the demo server on port 0 (extra arguments such as `--config F` allowed) and resolves with { base, stop }. */
export async function startServer(extra = []) {
  const child = spawn(required("WALLET_CHECKOUT_SERVER"), ["--site", required("WALLET_CHECKOUT_SITE"), ...extra], {
    env: { ...process.env, PORT: "0", RUST_LOG: process.env.RUST_LOG ?? "warn" },
    stdio: ["ignore", "pipe", "inherit"],
  });
  const lines = createInterface({ input: child.stdout });
  const base = await new Promise((resolve, reject) => {
    const timer = setTimeout(() => reject(new Error("the demo server did not start within 60 s")), 60_000);
    child.once("exit", (code) => reject(new Error(`the demo server exited early (${code})`)));
    lines.on("line", (line) => {
      const m = line.match(/running at (http:\/\/[^\s]+?)\/?$/);
      if (m) {
        clearTimeout(timer);
        resolve(m[1]);
      }
    });
  });
  return {
    base,
    async stop() {
      if (child.exitCode === null) {
        child.kill("SIGTERM");
        await once(child, "exit");
      }
    },
  };
}

/** Launches headless Chromium; failing to start is a test failure, never a skip. */
export async function launchBrowser() {
  return chromium.launch({
    executablePath: process.env.CHROMIUM ?? "/usr/bin/chromium",
    headless: true,
    args: ["--no-sandbox", "--disable-gpu", "--disable-dev-shm-usage", "--disable-background-networking",
      "--disable-component-update", "--disable-sync", "--no-first-run", "--disable-quic"],
  });
}

/** Decodes the QR code visible on the page from a real screenshot. */
export async function decodeQrOnScreen(page) {
  const png = PNG.sync.read(await page.screenshot({ fullPage: true }));
  const data = new Uint8ClampedArray(png.data.buffer, png.data.byteOffset, png.data.length);
  const code = jsQR(data, png.width, png.height);
  return code ? code.data : null;
}

/** Collects page errors and console errors so a test can assert there were none. */
export function watchErrors(page) {
  const errors = [];
  page.on("pageerror", (e) => errors.push(`pageerror: ${e.message}`));
  page.on("console", (m) => { if (m.type() === "error") errors.push(`console: ${m.text()}`); });
  return errors;
}

export const SHOTS = process.env.WALLET_CHECKOUT_SHOTS; // a folder to save screenshots into, if set
