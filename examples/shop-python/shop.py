"""A sample shop's backend in Python (standard library plus PyPI's `standardwebhooks`), beside the
wallet-checkout server: it tells the server its orders (PUT /admin/orders/{reference}), keeps each
order's client secret and hands it to that order's checkout page only, serves the page with the
widget, proxies the widget's files and API to the server (one origin for the browser), hears about
payments and refunds through webhooks it verifies, and keeps its own orders in a JSON file.

Environment: WALLET_CHECKOUT_URL (the server, e.g. http://127.0.0.1:8080), WALLET_CHECKOUT_ADMIN_TOKEN,
WALLET_CHECKOUT_WEBHOOK_SECRET (whsec_...), PORT (default 3000), SHOP_DB (default ./shop-db.json).
"""

import html
import json
import os
import re
import secrets
import sys
import threading
import urllib.error
import urllib.request
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

from standardwebhooks.webhooks import Webhook


def need(name):
    value = os.environ.get(name)
    if not value:
        print(f"shop: set {name}", file=sys.stderr)
        sys.exit(2)
    return value


SERVER = need("WALLET_CHECKOUT_URL").rstrip("/")
TOKEN = need("WALLET_CHECKOUT_ADMIN_TOKEN")
HOOKS = Webhook(need("WALLET_CHECKOUT_WEBHOOK_SECRET"))
PORT = int(os.environ.get("PORT", "3000"))
DB = os.environ.get("SHOP_DB", os.path.join(os.path.dirname(os.path.abspath(__file__)), "shop-db.json"))
MAX_BODY = 64 * 1024

lock = threading.Lock()
db = {"orders": {}, "seen": []}
if os.path.exists(DB):
    with open(DB, encoding="utf-8") as f:
        db = json.load(f)


def save():
    """The whole file, written then renamed: never half a file."""
    with open(DB + ".tmp", "w", encoding="utf-8") as f:
        json.dump(db, f, indent=2)
    os.replace(DB + ".tmp", DB)


def put_order(order):
    """Tells the server what the order costs (the browser never does); returns its client secret."""
    body = json.dumps({
        "amount": order["amount"],
        "description": order["description"],
        "metadata": {"shop_order": order["reference"]},
    }).encode()
    req = urllib.request.Request(
        f"{SERVER}/admin/orders/{order['reference']}",
        data=body,
        method="PUT",
        headers={"authorization": f"Bearer {TOKEN}", "content-type": "application/json"},
    )
    with urllib.request.urlopen(req, timeout=5) as res:
        return json.load(res)["client_secret"]


def on_webhook(headers, body):
    """Verified (signature and time), then applied once; each event carries the whole session."""
    try:
        event = HOOKS.verify(body, headers)
    except Exception:
        return 400
    event_id = headers.get("webhook-id")
    with lock:
        if event_id in db["seen"]:
            return 204  # a retry, already applied
        order = db["orders"].get(((event.get("data") or {}).get("order") or {}).get("reference"))
        if order is None:
            return 204  # not ours to track
        kind = event.get("type")
        if kind == "session.succeeded":
            order["status"] = "paid"
            order["session"] = event["data"]["session"]["id"]
        elif kind == "refund.succeeded":
            order["refunded"] = order.get("refunded", 0) + event["data"]["refund"]["amount"]["value"]
        elif kind == "order.paid_twice":
            order["needs_attention"] = "paid twice: refund one session"
        db["seen"].append(event_id)
        save()
    return 204


def checkout_page(order):
    # The exact script tag (with its integrity hash) of the widget build the server serves.
    with urllib.request.urlopen(f"{SERVER}/snippet.html", timeout=5) as res:
        snippet = res.read().decode()
    tag = re.search(r"<script[^>]*></script>", snippet)
    amount = order["amount"]
    e = lambda s: html.escape(str(s), quote=True)  # noqa: E731
    return f"""<!doctype html><html lang="en"><head><meta charset="utf-8"><title>Sample shop · {e(order['reference'])}</title>
<meta name="viewport" content="width=device-width, initial-scale=1">{tag.group(0) if tag else ""}</head>
<body><h1>Order {e(order['reference'])}</h1><p>{e(order['description'])}: {amount['value'] // 100}.{amount['value'] % 100:02d} {e(amount['currency'])}</p>
<wallet-checkout order="{e(order['reference'])}" client-secret="{e(order['client_secret'])}"></wallet-checkout></body></html>"""


class Shop(BaseHTTPRequestHandler):
    protocol_version = "HTTP/1.1"

    def log_message(self, *args):
        pass  # quiet: the shop's own log is its orders

    def send(self, status, body=b"", kind="text/plain; charset=utf-8", extra=None):
        self.send_response(status)
        self.send_header("content-type", kind)
        self.send_header("content-length", str(len(body)))
        for k, v in (extra or {}).items():
            self.send_header(k, v)
        self.end_headers()
        self.wfile.write(body)

    def body(self):
        length = int(self.headers.get("content-length") or 0)
        if length > MAX_BODY:
            raise ValueError("body too large")
        return self.rfile.read(length)

    def proxy(self):
        """The widget's files and API, the gateways' notifications: to the server, as a proxy would."""
        data = self.body() if self.command == "POST" else None
        headers = {k: v for k, v in self.headers.items() if k.lower() not in ("host", "connection", "content-length")}
        req = urllib.request.Request(SERVER + self.path, data=data, method=self.command, headers=headers)
        try:
            res = urllib.request.urlopen(req, timeout=40)
        except urllib.error.HTTPError as err:
            res = err
        with res:
            status = res.status if hasattr(res, "status") else res.code
            if (res.headers.get("content-type") or "").startswith("text/event-stream"):
                # An event stream: passed on as it comes, until either side ends it.
                self.send_response(status)
                for k, v in res.headers.items():
                    if k.lower() not in ("connection", "transfer-encoding", "content-length"):
                        self.send_header(k, v)
                self.send_header("connection", "close")
                self.end_headers()
                self.close_connection = True
                while chunk := res.read1(4096):
                    self.wfile.write(chunk)
                    self.wfile.flush()
                return
            payload = res.read()
            extra = {k: v for k, v in res.headers.items()
                     if k.lower() not in ("connection", "transfer-encoding", "content-length", "content-type")}
            self.send(status, payload, res.headers.get("content-type") or "application/octet-stream", extra)

    def do_GET(self):
        try:
            path = self.path.split("?")[0]
            if path == "/":
                # A new order for the demo: Green tea ×2, 12.34 CAD.
                reference = "S" + secrets.token_hex(5).upper()
                order = {"reference": reference, "amount": {"value": 1234, "currency": "CAD"},
                         "description": "Green tea ×2", "status": "open"}
                order["client_secret"] = put_order(order)
                with lock:
                    db["orders"][reference] = order
                    save()
                self.send(303, extra={"location": f"/checkout/{reference}"})
            elif path.startswith("/checkout/"):
                order = db["orders"].get(path[len("/checkout/"):])
                if order is None:
                    return self.send(404, b"no such order")
                self.send(200, checkout_page(order).encode(), "text/html; charset=utf-8")
            elif path.startswith("/orders/"):
                order = db["orders"].get(path[len("/orders/"):])
                # The order's status for whoever asks; its client secret only on its checkout page.
                shown = {k: v for k, v in (order or {}).items() if k != "client_secret"} if order else None
                self.send(200 if order else 404, json.dumps(shown).encode(), "application/json")
            else:
                self.proxy()
        except (urllib.error.URLError, OSError, ValueError) as err:
            print(f"shop: {err}", file=sys.stderr)
            self.send(502, b"the checkout server is not reachable")

    def do_POST(self):
        try:
            if self.path == "/hooks/wallet-checkout":
                body = self.body().decode("utf-8")
                headers = {k.lower(): v for k, v in self.headers.items()}
                self.send(on_webhook(headers, body))
            else:
                self.proxy()
        except (urllib.error.URLError, OSError, ValueError) as err:
            print(f"shop: {err}", file=sys.stderr)
            self.send(502, b"the checkout server is not reachable")


if __name__ == "__main__":
    server = ThreadingHTTPServer(("127.0.0.1", PORT), Shop)
    print(f"sample shop running at http://127.0.0.1:{server.server_address[1]}/", flush=True)
    server.serve_forever()
