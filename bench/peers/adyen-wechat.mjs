//! The bench's Adyen peer: what a merchant writes to show Adyen Web's WeChat Pay QR (its documented
//! tree-shakable import of the core and one component), bundled by `cargo xtask bench` with esbuild.
import { AdyenCheckout, WeChat } from "@adyen/adyen-web";
import "@adyen/adyen-web/styles/adyen.css";

AdyenCheckout({
  clientKey: "test_BENCHCLIENTKEY0000000000000000",
  environment: "test",
  countryCode: "CN",
  amount: { value: 1234, currency: "CNY" },
  onPaymentCompleted: (result) => console.log(result.resultCode),
}).then((checkout) => new WeChat(checkout).mount("#wechat"));
