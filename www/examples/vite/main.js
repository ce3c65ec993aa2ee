//! The Vite example's page script: gets an order (from `?order=` or the demo server) and mounts the checkout.
import { mount } from "wallet-checkout";
import "wallet-checkout/style.css";

async function orderReference() {
  const given = new URLSearchParams(location.search).get("order");
  if (given) return given;
  const answer = await fetch("/demo/orders", {
    method: "POST",
    headers: { "content-type": "application/json" },
    body: JSON.stringify({ amount: { value: 1234, currency: "CAD" }, description: "Green tea ×2" }),
  });
  if (!answer.ok) throw new Error(`POST /demo/orders answered ${answer.status}`);
  const { order } = await answer.json();
  return order;
}

const order = await orderReference();
window.checkout = mount(document.getElementById("checkout"), {
  order,
  endpoint: "/api/checkout",
  onSuccess: (d) => {
    document.body.dataset.paid = d.session?.id ?? "";
  },
});
