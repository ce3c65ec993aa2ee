//! Type test: correct uses of the `wallet-checkout` package; `tsc -p tsconfig.json` must pass.
import { defineElement, load, mount } from "wallet-checkout";
import type { CheckoutEventDetail, CheckoutHandle, Session } from "wallet-checkout";
import "wallet-checkout/register";

const el = document.createElement("div");

mount(el, { order: "A1001" });

const report = (detail: CheckoutEventDetail): void => {
  const cents: number | undefined = detail.session?.amount.value;
  console.log(detail.state, cents, detail.kind, detail.code, detail.message);
};

const handle: CheckoutHandle = mount(el, {
  order: "A1002",
  endpoint: "/api/checkout",
  wallets: ["alipay", "wechat_pay", "unionpay"],
  flow: "qr",
  locale: "zh-CN",
  returnUrl: "https://shop.example/thanks",
  mode: "iframe",
  frame: "https://shop.example/api/checkout/frame",
  title: "Pay for your order",
  onSuccess: (d) => console.log(d.session?.amount.value, d.session?.amount.currency),
  onFailure: report,
  onExpire: report,
  onCancel: report,
  onError: (d) => console.log(d.kind, d.code ?? "no code", d.message),
  onStateChange: (d) => {
    if (d.session?.action?.type === "wechat_jsapi") console.log(d.session.action.params.appId);
  },
});

async function main(): Promise<void> {
  await load();
  await handle.ready;
  await handle.update({ locale: "fr", wallets: ["unionpay"] });
  handle.unmount();
}
void main();

const element = document.createElement("wallet-checkout");
element.order = "A1";
element.wallets = ["alipay"];
element.addEventListener("wallet-checkout:success", (e) => {
  const session: Session | undefined = e.detail.session;
  console.log(session?.id);
});

defineElement("my-checkout");
