//! The bench's Adyen startup peer: Adyen Web's WeChat Pay QR screen as a merchant's page draws it once
//! its server has answered `/payments` with a QR action (the same import as `adyen-wechat.mjs`, the
//! component registered and mounted from the action). `cargo xtask bench startup` times it beside ours.
import { AdyenCheckout, WeChat } from "@adyen/adyen-web";
import "@adyen/adyen-web/styles/adyen.css";

AdyenCheckout.register(WeChat);
AdyenCheckout({
  clientKey: "test_BENCHCLIENTKEY0000000000000000",
  environment: "test",
  countryCode: "CN",
  locale: "en-US",
  amount: { value: 1234, currency: "CNY" },
  onPaymentCompleted: (result) => console.log(result.resultCode),
}).then((checkout) =>
  checkout
    .createFromAction({
      type: "qrCode",
      paymentMethodType: "wechatpayQR",
      qrCodeData: "weixin://wxpay/bizpayurl?pr=bench00",
      paymentData: "bench-payment-data",
      authorisationToken: "bench-token",
    })
    .mount("#wechat"),
);
