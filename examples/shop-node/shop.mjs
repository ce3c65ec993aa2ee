//! A sample shop's backend in plain Node (no framework), beside the wallet-checkout server: it tells
//! the server its orders (`PUT /admin/orders/{reference}`), serves a checkout page with the widget,
//! hears about payments and refunds through webhooks verified by the npm `standardwebhooks` package,
//! and keeps its own orders in a JSON file. Run: see README.md next to this file.
//!
//! Environment: WALLET_CHECKOUT_URL (the server, e.g. http://127.0.0.1:8080), WALLET_CHECKOUT_ADMIN_TOKEN,
//! WALLET_CHECKOUT_WEBHOOK_SECRET (whsec_…), PORT (default 3000), SHOP_DB (default ./shop-db.json).
import { createServer, request } from "node:http";
import { readFileSync, writeFileSync, renameSync, existsSync } from "node:fs";
import { randomBytes } from "node:crypto";
import { Webhook } from "standardwebhooks";

const SERVER = new URL(need("WALLET_CHECKOUT_URL"));
const TOKEN = need("WALLET_CHECKOUT_ADMIN_TOKEN");
const hooks = new Webhook(need("WALLET_CHECKOUT_WEBHOOK_SECRET"));
const PORT = Number(process.env.PORT ?? 3000);
const DB = process.env.SHOP_DB ?? new URL("./shop-db.json", import.meta.url).pathname;

function need(name) {
  const v = process.env[name];
  if (!v) {
    console.error(`shop: set ${name}`);
    process.exit(2);
  }
  return v;
}

// The shop's own database: one JSON file, written whole (write, then rename: never half a file).
const db = existsSync(DB) ? JSON.parse(readFileSync(DB, "utf8")) : { orders: {}, seen: [] };
function save() {
  writeFileSync(`${DB}.tmp`, JSON.stringify(db, null, 2));
  renameSync(`${DB}.tmp`, DB);
}

/** Tells the checkout server what the order costs (the browser never does); resolves with the
 * order's client secret, which only this order's checkout page is given. */
async function putOrder(order) {
  const res = await fetch(new URL(`/admin/orders/${order.reference}`, SERVER), {
    method: "PUT",
    headers: { authorization: `Bearer ${TOKEN}`, "content-type": "application/json" },
    body: JSON.stringify({ amount: order.amount, description: order.description, metadata: { shop_order: order.reference } }),
    signal: AbortSignal.timeout(5000),
  });
  if (!res.ok) throw new Error(`the checkout server answered ${res.status}: ${await res.text()}`);
  return (await res.json()).client_secret;
}

/** A webhook: verified (signature and time), then applied once. Each event carries the whole
 * session, so a repeat or an out-of-order arrival cannot undo a payment. */
function onWebhook(headers, body) {
  let event;
  try {
    event = hooks.verify(body, headers);
  } catch {
    return 400;
  }
  const id = headers["webhook-id"];
  if (db.seen.includes(id)) return 204; // already applied: a retry
  const order = db.orders[event.data?.order?.reference];
  if (!order) return 204; // not ours to track
  if (event.type === "session.succeeded") {
    order.status = "paid";
    order.session = event.data.session.id;
  } else if (event.type === "refund.succeeded") {
    order.refunded = (order.refunded ?? 0) + event.data.refund.amount.value;
  } else if (event.type === "order.paid_twice") {
    order.needs_attention = "paid twice: refund one session";
  }
  db.seen.push(id);
  save();
  return 204;
}

/** Everything else goes to the checkout server: the widget's files and its API, as a reverse proxy
 * would (one origin for the shopper's browser, so the page's CSP stays 'self'). */
function proxy(req, res) {
  const upstream = request(new URL(req.url, SERVER), { method: req.method, headers: { ...req.headers, host: SERVER.host } }, (up) => {
    res.writeHead(up.statusCode ?? 502, up.headers);
    up.pipe(res);
  });
  upstream.on("error", () => {
    if (!res.headersSent) res.writeHead(502);
    res.end();
  });
  req.pipe(upstream);
}

const escape = (s) => String(s).replace(/[&<>"']/g, (c) => `&#${c.charCodeAt(0)};`);

async function checkoutPage(order) {
  // The exact script tag (with its integrity hash) of the widget build the server serves.
  const snippet = await (await fetch(new URL("/snippet.html", SERVER))).text();
  const tag = snippet.match(/<script[^>]*><\/script>/)?.[0] ?? "";
  return `<!doctype html><html lang="en"><head><meta charset="utf-8"><title>Sample shop · ${order.reference}</title>
<meta name="viewport" content="width=device-width, initial-scale=1">${tag}</head>
<body><h1>Order ${escape(order.reference)}</h1><p>${escape(order.description)}: ${(order.amount.value / 100).toFixed(2)} ${escape(order.amount.currency)}</p>
<wallet-checkout order="${escape(order.reference)}" client-secret="${escape(order.client_secret)}"></wallet-checkout></body></html>`;
}

const server = createServer(async (req, res) => {
  const url = new URL(req.url, "http://shop");
  try {
    if (req.method === "POST" && url.pathname === "/hooks/wallet-checkout") {
      const chunks = [];
      for await (const c of req) chunks.push(c);
      res.writeHead(onWebhook(req.headers, Buffer.concat(chunks).toString("utf8"))).end();
    } else if (req.method === "GET" && url.pathname === "/") {
      // A new order for the demo: Green tea ×2, 12.34 CAD.
      const reference = `S${randomBytes(5).toString("hex").toUpperCase()}`;
      const order = { reference, amount: { value: 1234, currency: "CAD" }, description: "Green tea ×2", status: "open" };
      order.client_secret = await putOrder(order);
      db.orders[reference] = order;
      save();
      res.writeHead(303, { location: `/checkout/${reference}` }).end();
    } else if (req.method === "GET" && url.pathname.startsWith("/checkout/")) {
      const order = db.orders[url.pathname.slice("/checkout/".length)];
      if (!order) return res.writeHead(404).end("no such order");
      res.writeHead(200, { "content-type": "text/html; charset=utf-8" }).end(await checkoutPage(order));
    } else if (req.method === "GET" && url.pathname.startsWith("/orders/")) {
      const order = db.orders[url.pathname.slice("/orders/".length)];
      // The order's status for whoever asks; its client secret only ever on its checkout page.
      const { client_secret: _, ...shown } = order ?? {};
      res.writeHead(order ? 200 : 404, { "content-type": "application/json" }).end(JSON.stringify(order ? shown : null));
    } else {
      proxy(req, res);
    }
  } catch (e) {
    console.error("shop:", e.message);
    if (!res.headersSent) res.writeHead(502).end("the checkout server is not reachable");
  }
});
server.listen(PORT, "127.0.0.1", () => console.log(`sample shop running at http://127.0.0.1:${server.address().port}/`));
