//! The demo till: the cashier types an amount and presses **Charge**; the page asks the server for a
//! demo order of that amount (as a POS backend PUTs its sale) and mounts the widget on the counter's
//! flow (`payment_code`), where the customer's payment code is scanned or typed. The amount is read
//! as a decimal string into minor units: no float holds money.

/** "12.34" → 1234 (two decimals at most); `null` for anything else. */
function minorUnits(text) {
  const m = /^\s*(\d{1,7})(?:[.,](\d{1,2}))?\s*$/.exec(text);
  if (!m) return null;
  const value = Number(m[1]) * 100 + Number((m[2] ?? "").padEnd(2, "0"));
  return value > 0 ? value : null;
}

let handle = null;

async function charge(event) {
  event.preventDefault();
  const error = document.getElementById("sale-error");
  const slot = document.getElementById("checkout");
  error.hidden = true;
  const value = minorUnits(document.getElementById("sale-amount").value);
  const currency = document.getElementById("sale-currency").value;
  if (value === null) {
    error.textContent = "Type an amount such as 12.34.";
    error.hidden = false;
    return;
  }
  let order, clientSecret;
  try {
    const res = await fetch("/demo/orders", {
      method: "POST",
      headers: { "Content-Type": "application/json" },
      body: JSON.stringify({ amount: { value, currency }, description: "Counter sale" }),
    });
    if (!res.ok) throw new Error(`HTTP ${res.status}`);
    ({ order, client_secret: clientSecret } = await res.json());
  } catch (e) {
    error.textContent = `The demo server could not create the sale (${e.message}).`;
    error.hidden = false;
    return;
  }
  document.getElementById("order-ref").textContent = order;
  handle?.unmount();
  const params = new URLSearchParams(location.search);
  const options = { order, clientSecret, endpoint: "/api/checkout", flow: "payment_code" };
  if (params.has("locale")) options.locale = params.get("locale");
  handle = window.WalletCheckout.mount(slot, options);
  window.demoTill = handle;
  handle.ready.catch((e) => {
    slot.textContent = e.message;
  });
}

function start() {
  document.getElementById("sale").addEventListener("submit", charge);
}

// The loader's script tag is `async`: it may run before or after this module.
if (window.WalletCheckout) start();
else addEventListener("wallet-checkout:loaded", start, { once: true });
