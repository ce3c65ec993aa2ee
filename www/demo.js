//! The demo shop: asks the server for a demo order (the server, not the page, owns the amount),
//! then mounts the widget for it through the script tag's `window.WalletCheckout`. The order stays in
//! the address (`?order=…`), so coming back from a wallet's page resumes the same order.
//! `?locale=zh-CN`, `?flow=qr` and `?mode=iframe` pass through as options.
const ORDER = { amount: { value: 1234, currency: "CAD" }, description: "Green tea ×2" };

async function start() {
  const slot = document.getElementById("checkout");
  const params = new URLSearchParams(location.search);
  let order = params.get("order");
  if (!order) {
    try {
      const res = await fetch("/demo/orders", {
        method: "POST",
        headers: { "Content-Type": "application/json" },
        body: JSON.stringify(ORDER),
      });
      if (!res.ok) throw new Error(`HTTP ${res.status}`);
      ({ order } = await res.json());
    } catch (e) {
      slot.textContent = `The demo server could not create an order (${e.message}).`;
      return;
    }
    params.set("order", order);
    history.replaceState(null, "", `${location.pathname}?${params}`);
  }
  document.getElementById("order-ref").textContent = order;
  const options = { order, endpoint: "/api/checkout" };
  for (const key of ["locale", "flow", "mode"]) if (params.has(key)) options[key] = params.get(key);
  if (options.locale) document.documentElement.lang = options.locale;
  window.demoCheckout = window.WalletCheckout.mount(slot, options);
  window.demoCheckout.ready.catch((e) => {
    slot.textContent = e.message;
  });
}

// The loader's script tag is `async`: it may run before or after this module.
if (window.WalletCheckout) start();
else addEventListener("wallet-checkout:loaded", start, { once: true });
