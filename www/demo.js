// The demo shop: asks the server for a demo order (the server, not the page, owns the amount),
// then mounts the widget for it. `?locale=zh-CN` and `?flow=qr` pass through as options.
const ORDER = { amount: { value: 1234, currency: "CAD" }, description: "Green tea ×2" };

async function start() {
  const slot = document.getElementById("checkout");
  let order;
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
  document.getElementById("order-ref").textContent = order;
  const params = new URLSearchParams(location.search);
  const options = { order, endpoint: "/api/checkout" };
  for (const key of ["locale", "flow"]) if (params.has(key)) options[key] = params.get(key);
  window.demoCheckout = window.wasmBindings.mount(slot, options);
}

if (window.wasmBindings) start();
else addEventListener("TrunkApplicationStarted", start, { once: true });
