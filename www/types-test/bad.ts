//! Type test: six wrong uses of `wallet-checkout`; `tsc -p tsconfig.bad.json` must fail once per `expect-error` line.
import { mount } from "wallet-checkout";

const el = document.createElement("div");
const handle = mount(el, { order: "A1" });

// expect-error: `order` is required
mount(el, { endpoint: "/api/checkout" });
// expect-error: "paypal" is not a Wallet
mount(el, { order: "A1", wallets: ["paypal"] });
// expect-error: "popup" is not a Flow
mount(el, { order: "A1", flow: "popup" });
// expect-error: a callback must be a function, not a string
mount(el, { order: "A1", onSuccess: "yes" });
// expect-error: `order` is the merchant's reference string, not a number
mount(el, { order: 1001 });
// expect-error: mode is "inline" or "iframe"
void handle.update({ mode: "modal" });
