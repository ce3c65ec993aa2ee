//! The shell's hand-over form in headless Chromium: a gateway's fields go out as a real POST in the
//! top window, even fields named like the form's own properties (`submit`, `action`, `method`).
import { test, after } from "node:test";
import assert from "node:assert/strict";
import { createServer } from "node:http";
import { once } from "node:events";
import { readFileSync } from "node:fs";
import { launchBrowser } from "./harness.mjs";

const posted = [];
const http = createServer((req, res) => {
  if (req.url === "/shell.js") {
    res.writeHead(200, { "content-type": "text/javascript" }).end(readFileSync("www/shell.js"));
  } else if (req.url === "/") {
    res.writeHead(200, { "content-type": "text/html" }).end(`<!doctype html><div id="w"></div>
<script type="module">
import { createShell } from "/shell.js";
window.handOver = () => createShell(document.getElementById("w")).submit("/gateway", { submit: "go", action: "x", method: "get", amount: "12.34" });
</script>`);
  } else if (req.url === "/gateway") {
    let body = "";
    req.on("data", (c) => (body += c));
    req.on("end", () => {
      posted.push({ method: req.method, body });
      res.writeHead(200, { "content-type": "text/html" }).end("<p id=landed>gateway</p>");
    });
  } else {
    res.writeHead(404).end();
  }
});
http.listen(0, "127.0.0.1");
await once(http, "listening");
const base = `http://127.0.0.1:${http.address().port}`;
const browser = await launchBrowser();
after(async () => {
  await browser.close();
  http.close();
});

test("a gateway field named submit, action or method still hands over by POST", async () => {
  const page = await browser.newPage();
  await page.goto(`${base}/`);
  await page.waitForFunction(() => typeof window.handOver === "function");
  await Promise.all([page.waitForURL(`${base}/gateway`), page.evaluate(() => window.handOver())]);
  await page.locator("#landed").waitFor();
  assert.equal(posted.length, 1);
  assert.equal(posted[0].method, "POST");
  assert.deepEqual(Object.fromEntries(new URLSearchParams(posted[0].body)), { submit: "go", action: "x", method: "get", amount: "12.34" });
});
