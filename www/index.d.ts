//! Type declarations for the npm package entry `wallet-checkout` (index.js) and the `<wallet-checkout>` element.

/** A wallet the shopper can pay with. */
export type Wallet = "alipay" | "wechat_pay" | "unionpay";

/** How the shopper reaches the wallet: a QR code, the wallet's page, the in-app bridge, or
 * (`"payment_code"`) a cashier's screen scanning the shopper's payment code (the server must allow it). */
export type Flow = "qr" | "redirect" | "wechat_in_app" | "alipay_in_app" | "payment_code";

/** The widget's language: the built-in ones, or any language tag. */
export type Locale = "en" | "zh-CN" | "zh-TW" | "fr" | "ja" | "ko" | "de" | "es" | "it" | "nl" | (string & {});

/** A session's status on the server: `pending` moves to exactly one final status. */
export type SessionStatus = "pending" | "succeeded" | "failed" | "expired" | "cancelled";

/** An amount in the currency's minor unit: `{ value: 1234, currency: "CAD" }` is 12.34 CAD. */
export interface Money {
  /** Integer count of minor units (cents, fen); never a float. */
  value: number;
  /** ISO 4217 code, such as `"CNY"`. */
  currency: string;
}

/** Parameters for WeChat's `getBrandWCPayRequest` (camelCase, as WeChat names them). */
export interface WechatJsapiParams {
  appId: string;
  timeStamp: string;
  nonceStr: string;
  package: string;
  signType: string;
  paySign: string;
}

/** What the widget does to let the shopper pay (present while the session is `pending`). */
export type Action =
  | { type: "qr"; content: string; image?: string; url?: string }
  | { type: "redirect"; url: string }
  | { type: "form"; url: string; fields: Record<string, string> }
  | { type: "wechat_jsapi"; params: WechatJsapiParams }
  | { type: "alipay_jsapi"; trade_no: string };

/** One attempt to pay one order with one wallet, as the merchant server answered it. */
export interface Session {
  id: string;
  order: string;
  status: SessionStatus;
  wallet: Wallet;
  flow: Flow;
  /** Opaque; names the gateway for the merchant's logs. */
  gateway: string;
  amount: Money;
  description: string;
  /** RFC 3339, UTC. */
  created_at: string;
  /** RFC 3339, UTC: the gateway's own expiry. */
  expires_at: string;
  action?: Action;
}

/** The state the widget reports: its own steps, a session's final status, or `error`. */
export type WidgetState =
  | "choosing"
  | "creating"
  | "confirming"
  | "pending"
  | "cancelling"
  | "renewing"
  | "succeeded"
  | "failed"
  | "expired"
  | "cancelled"
  | "error";

/** Why the widget is in `error` (`load`: the WebAssembly or the iframe could not start). */
export type ErrorKind = "network" | "api" | "misconfigured" | "unsupported" | "load";

/** The server's error code (`unknown` for a code this build does not know). */
export type ErrorCode =
  | "invalid_request"
  | "order_not_found"
  | "order_already_paid"
  | "wallet_unavailable"
  | "flow_unavailable"
  | "session_not_found"
  | "gateway_error"
  | "gateway_timeout"
  | "rate_limited"
  | "internal"
  | "unknown";

/** What every callback receives and every `wallet-checkout:*` event carries as `detail`. */
export interface CheckoutEventDetail {
  state: WidgetState;
  /** The session the state is about, once there is one. */
  session?: Session;
  /** Only when `state` is `"error"`. */
  kind?: ErrorKind;
  /** Only when `state` is `"error"`: the server's code, or `null` when there was none. */
  code?: ErrorCode | null;
  /** Only when `state` is `"error"`: for developers' logs, not for shoppers. */
  message?: string;
}

/** A callback for one of the widget's events. */
export type CheckoutCallback = (detail: CheckoutEventDetail) => void;

/** Options for `mount()`. */
export interface CheckoutOptions {
  /** The merchant's order reference (at most 128 characters); the server decides the amount. */
  order: string;
  /** The order's client secret, from the shop's backend (the reference server's order answer):
   * only its holder can pay the order. Required unless the server sets `require_client_secret = false`.
   * Never put it in a URL. */
  clientSecret?: string;
  /** Base of the merchant's checkout API (default `"/api/checkout"`). */
  endpoint?: string;
  /** Wallets offered, in this order (default: all three). */
  wallets?: Wallet[];
  /** Forces a flow instead of detecting it from the device. */
  flow?: Flow;
  locale?: Locale;
  /** Absolute http(s) URL the wallet returns to after a redirect (default: this page). */
  returnUrl?: string;
  /** A QR on a cashier's screen (flow `"qr"`): the gateway's in-store QR where it has one. */
  inStore?: boolean;
  /** The payment succeeded. */
  onSuccess?: CheckoutCallback;
  /** The payment failed. */
  onFailure?: CheckoutCallback;
  /** The session expired unpaid. */
  onExpire?: CheckoutCallback;
  /** The shopper cancelled. */
  onCancel?: CheckoutCallback;
  /** The widget could not go on (see `kind`, `code`, `message`). */
  onError?: CheckoutCallback;
  /** Every change of `state`. */
  onStateChange?: CheckoutCallback;
  /** `"inline"` (default) runs the widget in this page; `"iframe"` in a frame served by the merchant server. */
  mode?: "inline" | "iframe";
  /** Iframe mode: URL of the frame page (default `${endpoint}/frame`). */
  frame?: string;
  /** Iframe mode: the iframe's accessible title (default `"Payment"`). */
  title?: string;
}

/** A mounted widget. */
export interface CheckoutHandle {
  /** Settles when the widget is on screen; rejects if it could not start (bad options, no wasm). Replaced by each `update()`. */
  readonly ready: Promise<void>;
  /** Removes the widget and stops every request and timer. */
  unmount(): void;
  /** Remounts with these options merged over the current ones; resolves like `ready`. */
  update(options: Partial<CheckoutOptions>): Promise<void>;
}

/** Mounts a checkout into `element` and returns at once; throws a `TypeError` only if `element` is not an element. */
export function mount(element: Element, options: CheckoutOptions): CheckoutHandle;

/** Fetches and starts the WebAssembly ahead of the first `mount()` (resolves with the wasm-bindgen module). */
export function load(): Promise<unknown>;

/** Registers the custom element as `name` (default `"wallet-checkout"`); does nothing without custom elements. */
export function defineElement(name?: string): void;

/** `<wallet-checkout>`: each property mirrors its attribute (`returnUrl` is `return-url`, `clientSecret` is `client-secret`); it mounts once `order` is set. */
export interface WalletCheckoutElement extends HTMLElement {
  order: string | null;
  /** The `client-secret` attribute. */
  clientSecret: string | null;
  endpoint: string | null;
  /** The `wallets` attribute, space- or comma-separated. */
  wallets: Wallet[] | null;
  flow: Flow | null;
  locale: Locale | null;
  returnUrl: string | null;
  /** The `in-store` attribute (present: a QR on a cashier's screen). */
  inStore: string | null;
  mode: "inline" | "iframe" | null;
  frame: string | null;
}

/** The DOM events the widget dispatches on its element (they bubble and cross shadow roots). */
export interface WalletCheckoutEventMap {
  "wallet-checkout:success": CustomEvent<CheckoutEventDetail>;
  "wallet-checkout:failure": CustomEvent<CheckoutEventDetail>;
  "wallet-checkout:expire": CustomEvent<CheckoutEventDetail>;
  "wallet-checkout:cancel": CustomEvent<CheckoutEventDetail>;
  "wallet-checkout:error": CustomEvent<CheckoutEventDetail>;
  "wallet-checkout:statechange": CustomEvent<CheckoutEventDetail>;
}

declare global {
  interface HTMLElementTagNameMap {
    "wallet-checkout": WalletCheckoutElement;
  }
  interface HTMLElementEventMap extends WalletCheckoutEventMap {}
}
