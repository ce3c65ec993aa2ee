//! The Vite example's page script: gets an order and its client secret (here from the demo server;
//! in a shop, from the shop's own backend) and mounts the checkout.
import { mount } from "wallet-checkout";
import "wallet-checkout/style.css";

/** `{ order, clientSecret }`. A shop's page gets both from its own backend, which had them from
 * `PUT /admin/orders/{reference}`; the demo server makes a demo order instead. The secret never
 * goes in the page's address. */
async function orderToPay() {
  const answer = await fetch("/demo/orders", {
    method: "POST",
    headers: { "content-type": "application/json" },
    body: JSON.stringify({ amount: { value: 1234, currency: "CAD" }, description: "Green tea ×2" }),
  });
  if (!answer.ok) throw new Error(`POST /demo/orders answered ${answer.status}`);
  const { order, client_secret: clientSecret } = await answer.json();
  return { order, clientSecret };
}

const { order, clientSecret } = await orderToPay();
window.checkout = mount(document.getElementById("checkout"), {
  order,
  clientSecret,
  endpoint: "/api/checkout",
  onSuccess: (d) => {
    document.body.dataset.paid = d.session?.id ?? "";
  },
});
