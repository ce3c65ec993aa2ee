//! The demo shop: asks the server for a demo order (the server, not the page, owns the amount),
//! then mounts the widget for it through the script tag's `window.WalletCheckout`. The order stays in
//! the address (`?order=…`), so coming back from a wallet's page resumes the same order. Its client
//! secret, which the server answered with the order, never goes in the address: the tab keeps it
//! (`sessionStorage`), as a shop's page keeps it in what its backend rendered.
//! `?locale=zh-CN`, `?flow=qr` and `?mode=iframe` pass through as options.
const ORDER = { amount: { value: 1234, currency: "CAD" }, description: "Green tea ×2" };

async function start() {
  const slot = document.getElementById("checkout");
  const params = new URLSearchParams(location.search);
  let order = params.get("order");
  const kept = (ref) => {
    try {
      return sessionStorage.getItem(`wallet-checkout-demo:${ref}`);
    } catch {
      return null; // storage refused (a private mode): a new order then
    }
  };
  let clientSecret = order ? kept(order) : null;
  if (!order || !clientSecret) {
    try {
      const res = await fetch("/demo/orders", {
        method: "POST",
        headers: { "Content-Type": "application/json" },
        body: JSON.stringify(ORDER),
      });
      if (!res.ok) throw new Error(`HTTP ${res.status}`);
      ({ order, client_secret: clientSecret } = await res.json());
      try {
        sessionStorage.setItem(`wallet-checkout-demo:${order}`, clientSecret);
      } catch {
        // kept in this page only
      }
    } catch (e) {
      slot.textContent = `The demo server could not create an order (${e.message}).`;
      return;
    }
    params.set("order", order);
    history.replaceState(null, "", `${location.pathname}?${params}`);
  }
  document.getElementById("order-ref").textContent = order;
  const options = { order, clientSecret, endpoint: "/api/checkout" };
  for (const key of ["locale", "flow", "mode"]) if (params.has(key)) options[key] = params.get(key);
  if (options.locale) document.documentElement.lang = options.locale;
  // The sandbox's QR leads to its own wallet page: offered as a link, for a demo without a phone.
  const link = document.getElementById("sandbox-link");
  slot.addEventListener("wallet-checkout:statechange", (e) => {
    const action = e.detail?.session?.action;
    const page = action?.type === "qr" && typeof action.content === "string" ? action.content : "";
    const ours = page.startsWith(`${location.origin}/sandbox/`);
    if (link) link.hidden = !ours;
    if (ours) document.getElementById("sandbox-open").href = page;
  });
  window.demoCheckout = window.WalletCheckout.mount(slot, options);
  window.demoCheckout.ready.catch((e) => {
    slot.textContent = e.message;
  });
}

// The loader's script tag is `async`: it may run before or after this module.
if (window.WalletCheckout) start();
else addEventListener("wallet-checkout:loaded", start, { once: true });
