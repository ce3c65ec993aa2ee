//! The checkout contract (`docs/protocol.md`): one Rust type per JSON message, no IO, no gateway names.
//!
//! Builds for `wasm32-unknown-unknown` (the widget) and the host (the server, tests).
//! Every enum that arrives from the network either is closed by the contract
//! (wallet, flow, status) or has an `Unknown` arm so that parsing never fails
//! on a value a newer peer adds (error codes).

pub mod codec;
mod money;

use std::collections::BTreeMap;
use std::fmt;

#[cfg(feature = "serde")]
use serde::{Deserialize, Serialize};

pub use money::{currency_exponent, Money, MoneyError};

/// What the shopper pays with. The widget knows wallets; only the server knows gateways.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
#[cfg_attr(feature = "serde", derive(Serialize, Deserialize))]
#[cfg_attr(feature = "serde", serde(rename_all = "snake_case"))]
pub enum Wallet {
    Alipay,
    WechatPay,
    Unionpay,
}

impl Wallet {
    pub const ALL: [Wallet; 3] = [Wallet::Alipay, Wallet::WechatPay, Wallet::Unionpay];

    /// The contract's spelling (`alipay`, `wechat_pay`, `unionpay`).
    pub fn as_str(self) -> &'static str {
        match self {
            Wallet::Alipay => "alipay",
            Wallet::WechatPay => "wechat_pay",
            Wallet::Unionpay => "unionpay",
        }
    }

    pub fn parse(s: &str) -> Option<Wallet> {
        Wallet::ALL.into_iter().find(|w| w.as_str() == s)
    }
}

impl fmt::Display for Wallet {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

/// The wallet that issued a shopper's payment code (docs/protocol.md, "Scan the shopper's payment
/// code"): ASCII digits only (trim first), told by the first two digits and the length: WeChat Pay
/// 10–15 and 18 digits, Alipay 25–30 and 16–24, UnionPay 62 and 19. `None`: no wallet's code.
pub fn payment_code_wallet(code: &str) -> Option<Wallet> {
    let b = code.as_bytes();
    if !b.iter().all(u8::is_ascii_digit) {
        return None;
    }
    let prefix = (b.first()? - b'0') * 10 + (b.get(1)? - b'0');
    match (prefix, b.len()) {
        (10..=15, 18) => Some(Wallet::WechatPay),
        (25..=30, 16..=24) => Some(Wallet::Alipay),
        (62, 19) => Some(Wallet::Unionpay),
        _ => None,
    }
}

/// How the shopper reaches the wallet.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
#[cfg_attr(feature = "serde", derive(Serialize, Deserialize))]
#[cfg_attr(feature = "serde", serde(rename_all = "snake_case"))]
pub enum Flow {
    Qr,
    Redirect,
    WechatInApp,
    AlipayInApp,
    /// At a counter: the cashier scans the shopper's payment code (docs/protocol.md, "In-store
    /// payments").
    PaymentCode,
}

impl Flow {
    pub const ALL: [Flow; 5] = [
        Flow::Qr,
        Flow::Redirect,
        Flow::WechatInApp,
        Flow::AlipayInApp,
        Flow::PaymentCode,
    ];

    pub fn as_str(self) -> &'static str {
        match self {
            Flow::Qr => "qr",
            Flow::Redirect => "redirect",
            Flow::WechatInApp => "wechat_in_app",
            Flow::AlipayInApp => "alipay_in_app",
            Flow::PaymentCode => "payment_code",
        }
    }

    pub fn parse(s: &str) -> Option<Flow> {
        Flow::ALL.into_iter().find(|f| f.as_str() == s)
    }
}

/// A session's status. `pending` moves to exactly one final status, which never changes.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
#[cfg_attr(feature = "serde", derive(Serialize, Deserialize))]
#[cfg_attr(feature = "serde", serde(rename_all = "snake_case"))]
pub enum Status {
    Pending,
    Succeeded,
    Failed,
    Expired,
    Cancelled,
}

impl Status {
    pub fn as_str(self) -> &'static str {
        match self {
            Status::Pending => "pending",
            Status::Succeeded => "succeeded",
            Status::Failed => "failed",
            Status::Expired => "expired",
            Status::Cancelled => "cancelled",
        }
    }

    pub fn parse(s: &str) -> Option<Status> {
        [
            Status::Pending,
            Status::Succeeded,
            Status::Failed,
            Status::Expired,
            Status::Cancelled,
        ]
        .into_iter()
        .find(|st| st.as_str() == s)
    }

    pub fn is_final(self) -> bool {
        self != Status::Pending
    }

    /// Whether a session in `self` may move to `next`: only forward, from `pending`,
    /// except that a payment landing after expiry or cancellation still counts
    /// (the money has moved; the shopper must not be told otherwise).
    pub fn may_become(self, next: Status) -> bool {
        match (self, next) {
            (a, b) if a == b => false,
            (Status::Pending, _) => true,
            (Status::Expired | Status::Cancelled | Status::Failed, Status::Succeeded) => true,
            _ => false,
        }
    }
}

/// `POST /sessions` body. There is no amount, on purpose: the server decides what is owed.
#[derive(Debug, Clone, PartialEq, Eq)]
#[cfg_attr(feature = "serde", derive(Serialize, Deserialize))]
#[cfg_attr(feature = "serde", serde(deny_unknown_fields))]
pub struct CreateSession {
    pub order: String,
    /// The order's secret, handed to the page by the shop's backend: only its holder may pay or
    /// disturb the order.
    #[cfg_attr(
        feature = "serde",
        serde(default, skip_serializing_if = "Option::is_none")
    )]
    pub client_secret: Option<String>,
    /// Required but for `payment_code`, whose code tells the wallet (given, it must agree).
    #[cfg_attr(
        feature = "serde",
        serde(default, skip_serializing_if = "Option::is_none")
    )]
    pub wallet: Option<Wallet>,
    pub flow: Flow,
    /// The shopper's payment code (flow `payment_code` only): never logged, stored or returned.
    #[cfg_attr(
        feature = "serde",
        serde(default, skip_serializing_if = "Option::is_none")
    )]
    pub payment_code: Option<String>,
    /// A QR on a cashier's screen (the gateway's in-store QR where it has one).
    #[cfg_attr(
        feature = "serde",
        serde(default, skip_serializing_if = "std::ops::Not::not")
    )]
    pub in_store: bool,
    #[cfg_attr(
        feature = "serde",
        serde(default, skip_serializing_if = "Option::is_none")
    )]
    pub return_url: Option<String>,
    #[cfg_attr(
        feature = "serde",
        serde(default, skip_serializing_if = "Option::is_none")
    )]
    pub locale: Option<String>,
}

/// One attempt to pay one order with one wallet: the answer of every checkout endpoint.
#[derive(Debug, Clone, PartialEq, Eq)]
#[cfg_attr(feature = "serde", derive(Serialize, Deserialize))]
pub struct Session {
    pub id: String,
    pub order: String,
    pub status: Status,
    pub wallet: Wallet,
    pub flow: Flow,
    /// Opaque to the widget; named so a merchant's logs can tell gateways apart.
    pub gateway: String,
    pub amount: Money,
    pub description: String,
    /// RFC 3339, UTC.
    pub created_at: String,
    /// RFC 3339, UTC: the gateway's own expiry, which the countdown follows.
    pub expires_at: String,
    /// Present while `pending`: what the widget must do next.
    #[cfg_attr(
        feature = "serde",
        serde(default, skip_serializing_if = "Option::is_none")
    )]
    pub action: Option<Action>,
    /// Why a `failed` session failed, when the contract has a word for it.
    #[cfg_attr(
        feature = "serde",
        serde(default, skip_serializing_if = "Option::is_none")
    )]
    pub failure: Option<Failure>,
}

/// `failure` of a failed session.
#[derive(Debug, Clone, PartialEq, Eq)]
#[cfg_attr(feature = "serde", derive(Serialize, Deserialize))]
pub struct Failure {
    pub code: FailureCode,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
#[cfg_attr(feature = "serde", derive(Serialize, Deserialize))]
#[cfg_attr(feature = "serde", serde(rename_all = "snake_case"))]
pub enum FailureCode {
    /// The gateway refused the shopper's payment code (invalid, expired, already used).
    PaymentCodeDeclined,
    /// The wallet or its bank declined the payment.
    Declined,
    /// A code this build does not know yet.
    #[cfg_attr(feature = "serde", serde(other))]
    Unknown,
}

impl FailureCode {
    pub fn as_str(self) -> &'static str {
        match self {
            FailureCode::PaymentCodeDeclined => "payment_code_declined",
            FailureCode::Declined => "declined",
            FailureCode::Unknown => "unknown",
        }
    }

    /// The code for `s`; one this build does not know is `Unknown`.
    pub fn parse(s: &str) -> FailureCode {
        [FailureCode::PaymentCodeDeclined, FailureCode::Declined]
            .into_iter()
            .find(|c| c.as_str() == s)
            .unwrap_or(FailureCode::Unknown)
    }
}

/// A QR code's modules as the server encoded them: `size` a side (no quiet zone), `dark` one bit per
/// module row by row from the top left (1 dark, the most significant bit first) as lowercase hex,
/// padded with 0 bits to a whole byte. The widget draws it, so no shopper downloads a QR encoder.
#[derive(Debug, Clone, PartialEq, Eq)]
#[cfg_attr(feature = "serde", derive(Serialize, Deserialize))]
pub struct QrMatrix {
    pub size: u16,
    pub dark: String,
}

impl QrMatrix {
    /// Whether this is a QR's matrix: a size QR versions 1–40 have (21–177, in steps of 4) and
    /// exactly the hex digits its modules need.
    pub fn is_valid(&self) -> bool {
        let size = usize::from(self.size);
        (21..=177).contains(&size)
            && (size - 17) % 4 == 0
            && self.dark.len() == (size * size).div_ceil(8) * 2
            && self
                .dark
                .bytes()
                .all(|b| b.is_ascii_digit() || (b'a'..=b'f').contains(&b))
    }

    /// Whether module (`x`, `y`) is dark (false outside a valid matrix).
    pub fn is_dark(&self, x: usize, y: usize) -> bool {
        let size = usize::from(self.size);
        if x >= size || y >= size {
            return false;
        }
        let bit = y * size + x;
        let digit = self
            .dark
            .as_bytes()
            .get(bit / 4)
            .and_then(|&b| char::from(b).to_digit(16))
            .unwrap_or(0);
        digit & (8 >> (bit % 4)) != 0
    }
}

/// What the widget does to let the shopper pay.
#[derive(Debug, Clone, PartialEq, Eq)]
#[cfg_attr(feature = "serde", derive(Serialize, Deserialize))]
#[cfg_attr(feature = "serde", serde(tag = "type", rename_all = "snake_case"))]
pub enum Action {
    /// Draw a QR from `content`; `image` (a data URL) only as a fallback.
    Qr {
        /// The text to draw; absent when the gateway gives only a picture (`image`).
        #[cfg_attr(
            feature = "serde",
            serde(default, skip_serializing_if = "Option::is_none")
        )]
        content: Option<String>,
        /// `content` encoded by the server, which the widget draws; absent only when `content`
        /// is too long for a QR (or absent).
        #[cfg_attr(
            feature = "serde",
            serde(default, skip_serializing_if = "Option::is_none")
        )]
        matrix: Option<QrMatrix>,
        #[cfg_attr(
            feature = "serde",
            serde(default, skip_serializing_if = "Option::is_none")
        )]
        image: Option<String>,
        #[cfg_attr(
            feature = "serde",
            serde(default, skip_serializing_if = "Option::is_none")
        )]
        url: Option<String>,
    },
    /// Navigate the top window.
    Redirect { url: String },
    /// POST `fields` to `url` (a gateway that answers with an HTML form).
    Form {
        url: String,
        fields: BTreeMap<String, String>,
    },
    /// `WeixinJSBridge.invoke('getBrandWCPayRequest', params, cb)`.
    WechatJsapi { params: WechatJsapiParams },
    /// `AlipayJSBridge.call('tradePay', { tradeNO }, cb)`.
    AlipayJsapi { trade_no: String },
    /// Nothing to show: the shopper confirms on their own phone (a payment code at a counter).
    Wait,
}

#[derive(Debug, Clone, PartialEq, Eq)]
#[cfg_attr(feature = "serde", derive(Serialize, Deserialize))]
#[cfg_attr(feature = "serde", serde(rename_all = "camelCase"))]
pub struct WechatJsapiParams {
    pub app_id: String,
    pub time_stamp: String,
    pub nonce_str: String,
    pub package: String,
    pub sign_type: String,
    pub pay_sign: String,
}

/// `POST /demo/orders` body (demo mode only).
#[derive(Debug, Clone, PartialEq, Eq)]
#[cfg_attr(feature = "serde", derive(Serialize, Deserialize))]
#[cfg_attr(feature = "serde", serde(deny_unknown_fields))]
pub struct CreateDemoOrder {
    pub amount: Money,
    pub description: String,
}

#[derive(Debug, Clone, PartialEq, Eq)]
#[cfg_attr(feature = "serde", derive(Serialize, Deserialize))]
pub struct DemoOrder {
    pub order: String,
    /// For the page to hand the widget (`client-secret`).
    pub client_secret: String,
}

/// The error shape every endpoint uses: `{ "error": { "code", "message" } }`.
#[derive(Debug, Clone, PartialEq, Eq)]
#[cfg_attr(feature = "serde", derive(Serialize, Deserialize))]
pub struct ErrorBody {
    pub error: ErrorDetail,
}

#[derive(Debug, Clone, PartialEq, Eq)]
#[cfg_attr(feature = "serde", derive(Serialize, Deserialize))]
pub struct ErrorDetail {
    pub code: ErrorCode,
    /// For developers' logs; the widget shows its own text for the code.
    pub message: String,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
#[cfg_attr(feature = "serde", derive(Serialize, Deserialize))]
#[cfg_attr(feature = "serde", serde(rename_all = "snake_case"))]
pub enum ErrorCode {
    InvalidRequest,
    OrderNotFound,
    OrderAlreadyPaid,
    WalletUnavailable,
    FlowUnavailable,
    SessionNotFound,
    GatewayError,
    GatewayTimeout,
    /// The gateway refused this order (its data): retrying it the same way fails the same way.
    GatewayRefused,
    RateLimited,
    Internal,
    /// The merchant API's: a PUT would change the amount of an order that has a session.
    OrderLocked,
    /// The shop's order lookup did not answer with an order.
    OrderUnavailable,
    /// A payment code that no wallet issues, or that disagrees with the `wallet` given.
    PaymentCodeInvalid,
    /// The merchant API's: no bearer token, or not the configured one. The widget never meets it,
    /// so its wasm (built without `serde`) does not carry it.
    #[cfg(feature = "serde")]
    Unauthorized,
    /// A code this build does not know yet.
    #[cfg_attr(feature = "serde", serde(other))]
    Unknown,
}

impl ErrorCode {
    pub fn as_str(self) -> &'static str {
        match self {
            ErrorCode::InvalidRequest => "invalid_request",
            ErrorCode::OrderNotFound => "order_not_found",
            ErrorCode::OrderAlreadyPaid => "order_already_paid",
            ErrorCode::WalletUnavailable => "wallet_unavailable",
            ErrorCode::FlowUnavailable => "flow_unavailable",
            ErrorCode::SessionNotFound => "session_not_found",
            ErrorCode::GatewayError => "gateway_error",
            ErrorCode::GatewayTimeout => "gateway_timeout",
            ErrorCode::GatewayRefused => "gateway_refused",
            ErrorCode::RateLimited => "rate_limited",
            ErrorCode::Internal => "internal",
            ErrorCode::OrderLocked => "order_locked",
            ErrorCode::OrderUnavailable => "order_unavailable",
            ErrorCode::PaymentCodeInvalid => "payment_code_invalid",
            #[cfg(feature = "serde")]
            ErrorCode::Unauthorized => "unauthorized",
            ErrorCode::Unknown => "unknown",
        }
    }

    /// The code for `s`; a code this build does not know is `Unknown`, never an error.
    pub fn parse(s: &str) -> ErrorCode {
        let known = [
            ErrorCode::InvalidRequest,
            ErrorCode::OrderNotFound,
            ErrorCode::OrderAlreadyPaid,
            ErrorCode::WalletUnavailable,
            ErrorCode::FlowUnavailable,
            ErrorCode::SessionNotFound,
            ErrorCode::GatewayError,
            ErrorCode::GatewayTimeout,
            ErrorCode::GatewayRefused,
            ErrorCode::RateLimited,
            ErrorCode::Internal,
            ErrorCode::OrderLocked,
            ErrorCode::OrderUnavailable,
            ErrorCode::PaymentCodeInvalid,
        ]
        .into_iter()
        .find(|c| c.as_str() == s);
        #[cfg(feature = "serde")]
        if s == "unauthorized" {
            return ErrorCode::Unauthorized;
        }
        known.unwrap_or(ErrorCode::Unknown)
    }
}

/// Longest long poll the contract allows (`?wait=S`, at most 30).
pub const MAX_WAIT_SECS: u64 = 30;

#[cfg(all(test, feature = "serde"))]
mod tests {
    use super::*;

    fn roundtrip<T: Serialize + for<'de> Deserialize<'de> + PartialEq + fmt::Debug>(
        json: &str,
    ) -> T {
        let v: T = serde_json::from_str(json).expect("parses");
        let again: T =
            serde_json::from_str(&serde_json::to_string(&v).expect("prints")).expect("reparses");
        assert_eq!(v, again);
        v
    }

    #[test]
    fn session_from_the_contract_example_parses() {
        let s: Session = roundtrip(
            r#"{ "id": "cs_2f6c", "order": "A1001", "status": "pending",
                 "wallet": "alipay", "flow": "qr", "gateway": "gw",
                 "amount": { "value": 1234, "currency": "CAD" },
                 "description": "Order A1001",
                 "created_at": "2026-11-21T12:00:00Z", "expires_at": "2026-11-21T12:05:00Z",
                 "action": { "type": "qr", "content": "https://qr.alipay.com/bax0", "url": "https://x/cashier" } }"#,
        );
        assert_eq!(s.amount, Money::new(1234, "CAD").expect("valid"));
        assert_eq!(
            s.action,
            Some(Action::Qr {
                content: Some("https://qr.alipay.com/bax0".into()),
                matrix: None,
                image: None,
                url: Some("https://x/cashier".into())
            })
        );
    }

    #[test]
    fn every_action_shape_parses() {
        let _: Action = roundtrip(r#"{"type":"redirect","url":"https://a"}"#);
        let _: Action = roundtrip(r#"{"type":"form","url":"https://a","fields":{"k":"v"}}"#);
        let _: Action = roundtrip(r#"{"type":"alipay_jsapi","trade_no":"T1"}"#);
        let _: Action = roundtrip(
            r#"{"type":"wechat_jsapi","params":{"appId":"a","timeStamp":"1","nonceStr":"n","package":"p","signType":"RSA","paySign":"s"}}"#,
        );
    }

    #[test]
    fn create_request_refuses_an_amount() {
        let err = serde_json::from_str::<CreateSession>(
            r#"{"order":"A1","wallet":"alipay","flow":"qr","amount":{"value":1,"currency":"CAD"}}"#,
        );
        assert!(err.is_err(), "a browser must not be able to send an amount");
    }

    #[test]
    fn unknown_error_codes_still_parse() {
        let e: ErrorBody = serde_json::from_str(r#"{"error":{"code":"brand_new","message":"m"}}"#)
            .expect("parses");
        assert_eq!(e.error.code, ErrorCode::Unknown);
    }

    #[test]
    fn final_statuses_never_go_back() {
        use Status::*;
        for s in [Succeeded, Failed, Expired, Cancelled] {
            assert!(!s.may_become(Pending), "{s:?} -> pending");
        }
        for s in [Failed, Expired, Cancelled, Pending] {
            assert!(!Succeeded.may_become(s), "succeeded -> {s:?}");
        }
        assert!(
            Expired.may_become(Succeeded),
            "a payment after expiry still succeeds"
        );
        assert!(Pending.may_become(Succeeded));
        assert!(!Pending.may_become(Pending));
    }

    #[test]
    fn names_round_trip() {
        for w in Wallet::ALL {
            assert_eq!(Wallet::parse(w.as_str()), Some(w));
            assert_eq!(
                serde_json::to_string(&w).expect("prints"),
                format!("\"{}\"", w.as_str())
            );
        }
        for f in Flow::ALL {
            assert_eq!(Flow::parse(f.as_str()), Some(f));
        }
    }
}
