//! The README's webhook snippets, run as written against a real webhook from the demo binary: the
//! Node one with the npm `standardwebhooks`, the Python one with PyPI's (in the venv xtask makes).
//! The PHP one needs Packagist, which this machine cannot reach: it is not run (see the README).
import { test, before, after } from "node:test";
import assert from "node:assert/strict";
import { createServer } from "node:http";
import { once } from "node:events";
import { spawnSync } from "node:child_process";
import { readFileSync } from "node:fs";
import { sandboxConfig, startServer, newOrder, pay, lastSegment, secretOf } from "./harness.mjs";

const SECRET = "whsec_MfKQ9r8GKYqrTwjUPD8ILPZIo2LaLaSw1HUwUGmGK/s=";
const readme = readFileSync("README.md", "utf8");
const snippet = (lang, marker) => {
  // The "Hear the outcome" blocks are the ones that verify.
  const all = [...readme.matchAll(new RegExp("```" + lang + "\\n([\\s\\S]*?)```", "g"))].map((m) => m[1]);
  const found = all.find((b) => b.includes(marker));
  assert.ok(found, `the README's ${lang} webhook snippet`);
  return found.split("\n").map((l) => l.replace(/^ {3}/, "")).join("\n");
};

let server;
let hooks;
const received = [];

before(async () => {
  hooks = createServer((req, res) => {
    const chunks = [];
    req.on("data", (c) => chunks.push(c));
    req.on("end", () => {
      received.push({ body: Buffer.concat(chunks).toString("utf8"), headers: req.headers });
      res.writeHead(204).end();
    });
  });
  hooks.listen(0, "127.0.0.1");
  await once(hooks, "listening");
  process.env.WC_SNIPPET_SECRET = SECRET;
  server = await startServer(["--config", sandboxConfig(`[webhooks]
url = "http://127.0.0.1:${hooks.address().port}/hooks"
secret_env = "WC_SNIPPET_SECRET"
retry_secs = [1]
`)]);
  const order = await newOrder(server.base);
  const res = await fetch(`${server.base}/api/checkout/sessions`, {
    method: "POST", headers: { "content-type": "application/json" },
    body: JSON.stringify({ order, client_secret: secretOf(order), wallet: "alipay", flow: "qr" }),
  });
  const session = await res.json();
  await pay(server.base, lastSegment(session.action.content));
  for (let i = 0; i < 100 && received.length === 0; i++) await new Promise((r) => setTimeout(r, 100));
  assert.ok(received.length > 0, "the demo sent a webhook");
});

after(async () => {
  await server?.stop();
  hooks?.close();
});

const headersOf = (h) => Object.fromEntries(["webhook-id", "webhook-timestamp", "webhook-signature"].map((k) => [k, h[k]]));

test("the README's Python snippet verifies a real webhook with PyPI's standardwebhooks, and refuses a forged one", () => {
  const python = process.env.WALLET_CHECKOUT_PYTHON;
  assert.ok(python, "WALLET_CHECKOUT_PYTHON is set by cargo xtask test");
  const code = snippet("python", "standardwebhooks");
  const program = `import json, os, sys\ngiven = json.load(sys.stdin)\nraw_body = given["body"]\nheaders = given["headers"]\n${code}\nprint(event["type"])\n`;
  const run = (body) => spawnSync(python, ["-c", program], {
    input: JSON.stringify({ body, headers: headersOf(received[0].headers) }),
    encoding: "utf8",
    env: { ...process.env, WALLET_CHECKOUT_WEBHOOK_SECRET: SECRET },
  });
  const good = run(received[0].body);
  assert.equal(good.status, 0, good.stderr);
  assert.equal(good.stdout.trim(), "session.succeeded");
  const forged = run(received[0].body.replace("succeeded", "failed"));
  assert.notEqual(forged.status, 0, "a changed body does not verify");
});

test("the README's Node snippet verifies a real webhook with npm's standardwebhooks", async () => {
  const code = snippet("js", "standardwebhooks").replace(/^import .*$/m, "");
  const { Webhook } = await import("standardwebhooks");
  const marked = [];
  const run = new Function("Webhook", "process", "rawBody", "headers", "markPaid", code + "\nreturn event;");
  const event = run(Webhook, { env: { WALLET_CHECKOUT_WEBHOOK_SECRET: SECRET } }, received[0].body, headersOf(received[0].headers), (...a) => marked.push(a));
  assert.equal(event.type, "session.succeeded");
  assert.equal(marked.length, 1, "markPaid called once");
  assert.throws(() => run(Webhook, { env: { WALLET_CHECKOUT_WEBHOOK_SECRET: SECRET } }, received[0].body.replace("succeeded", "failed"), headersOf(received[0].headers), () => {}));
});
