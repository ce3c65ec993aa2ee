//! AlphaPay v2 JSON as it travels: request bodies, responses, notifications, and the status table.

use serde::{Deserialize, Serialize};
use wallet_checkout_protocol::Status;

pub const PAY: &str = "/api/v2.0/payments/pay";
pub const INQUIRY: &str = "/api/v2.0/payments/inquiryPayment";
pub const CANCEL: &str = "/api/v2.0/payments/cancel";
pub const REFUND: &str = "/api/v2.0/payments/refund";
pub const INQUIRY_REFUND: &str = "/api/v2.0/payments/inquiryRefund";

/// `{paymentId}`: the body of inquiry and cancel.
#[derive(Debug, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct ByPaymentId<'a> {
    pub payment_id: &'a str,
}

#[derive(Debug, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct RefundRequest<'a> {
    pub payment_id: &'a str,
    pub refund_request_id: &'a str,
    pub refund: RefundDetail<'a>,
}

#[derive(Debug, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct RefundDetail<'a> {
    pub refund_amount: Amount,
    pub description: &'a str,
    /// Where AlphaPay pushes the refund's notification (once, on success).
    pub notify_url: &'a str,
}

#[derive(Debug, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct InquiryRefundRequest<'a> {
    /// AlphaPay's id; absent when its refund answer gave none (then ours finds it).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub refund_id: Option<&'a str>,
    pub refund_request_id: &'a str,
}

/// Answers of inquiry, cancel, refund and inquiryRefund: only the fields we read.
#[derive(Debug, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct Answer {
    #[serde(default)]
    pub result: ResultInfo,
    pub payment_id: Option<String>,
    pub payment_status: Option<PaymentStatus>,
    pub order: Option<OrderEcho>,
    pub refund_id: Option<String>,
    pub refund_request_id: Option<String>,
    pub refund_status: Option<String>,
}

/// Field order matters: the body is signed exactly as serialised (fastjson omits nulls; so do we).
#[derive(Debug, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct PayRequest<'a> {
    pub scenario_code: &'a str,
    pub payment_request_id: &'a str,
    pub order: OrderRequest<'a>,
    /// None for `OFFLINE_QRCODE` ("offline pay can not set payment method").
    #[serde(skip_serializing_if = "Option::is_none")]
    pub payment_method: Option<PaymentMethod<'a>>,
}

#[derive(Debug, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct OrderRequest<'a> {
    pub order_amount: Amount,
    pub description: &'a str,
    pub notify_url: &'a str,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub redirect_url: Option<&'a str>,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Amount {
    /// Minor units as a string, `^\d{1,7}$`.
    pub value: String,
    pub currency: String,
}

#[derive(Serialize)]
#[serde(rename_all = "camelCase")]
pub struct PaymentMethod<'a> {
    pub payment_method_type: &'a str,
    /// `OFFLINE` only: the shopper's payment code (never shown by `Debug`).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub payment_code: Option<&'a str>,
}

impl std::fmt::Debug for PaymentMethod<'_> {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("PaymentMethod")
            .field("payment_method_type", &self.payment_method_type)
            .field("payment_code", &self.payment_code.map(|_| "<hidden>"))
            .finish()
    }
}

#[derive(Debug, Default, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct ResultInfo {
    #[serde(default)]
    pub result_code: String,
    #[serde(default)]
    pub result_status: String,
    #[serde(default)]
    pub result_message: String,
}

#[derive(Debug, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct PayResponse {
    #[serde(default)]
    pub result: ResultInfo,
    pub payment_id: Option<String>,
    pub payment_request_id: Option<String>,
    pub payment_expire_time: Option<String>,
    #[serde(default)]
    pub payment_info: PaymentInfo,
    /// `OFFLINE`: `SUCCESS` when the code was charged at once (the create's answer may say so).
    pub payment_status: Option<String>,
}

#[derive(Debug, Default, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct PaymentInfo {
    pub payment_url: Option<String>,
    #[serde(rename = "paymentQRImage")]
    pub payment_qr_image: Option<String>,
    pub pay_url: Option<String>,
    /// `NATIVE_JSAPI`: what the in-app bridge needs.
    pub sdk_params: Option<serde_json::Map<String, serde_json::Value>>,
}

#[derive(Debug, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct OrderEcho {
    pub order_amount: Amount,
}

/// A refund notification: the refund-inquiry response without `result`.
#[derive(Debug, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct RefundNotification {
    pub refund_id: String,
    pub payment_id: String,
    pub refund_request_id: String,
    pub refund_status: String,
    pub refund: Option<RefundEcho>,
}

#[derive(Debug, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct RefundEcho {
    pub refund_amount: Amount,
}

/// A payment notification: the inquiry response without `result`.
#[derive(Debug, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct PaymentNotification {
    pub payment_id: String,
    pub payment_request_id: String,
    pub payment_status: PaymentStatus,
    pub order: OrderEcho,
}

/// `paymentStatus`, with an arm for values this build does not know (it never fails to parse).
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum PaymentStatus {
    InProcess,
    Success,
    Failed,
    Closed,
    PartialRefund,
    FullRefund,
    Unknown(String),
}

impl PaymentStatus {
    pub fn parse(s: &str) -> PaymentStatus {
        match s {
            // The docs' status list labels the pending state OFFLINE_QRCODE; accept both.
            "PAYMENT_IN_PROCESS" | "OFFLINE_QRCODE" => PaymentStatus::InProcess,
            "SUCCESS" => PaymentStatus::Success,
            "FAILED" => PaymentStatus::Failed,
            "CLOSED" => PaymentStatus::Closed,
            "PARTIAL_REFUND" => PaymentStatus::PartialRefund,
            "FULL_REFUND" => PaymentStatus::FullRefund,
            other => PaymentStatus::Unknown(other.to_string()),
        }
    }

    /// The one table from AlphaPay's statuses to the contract's. A refund implies the order was paid.
    pub fn to_status(&self) -> Option<Status> {
        match self {
            PaymentStatus::InProcess => Some(Status::Pending),
            PaymentStatus::Success | PaymentStatus::PartialRefund | PaymentStatus::FullRefund => {
                Some(Status::Succeeded)
            }
            PaymentStatus::Failed => Some(Status::Failed),
            PaymentStatus::Closed => Some(Status::Expired),
            PaymentStatus::Unknown(_) => None,
        }
    }
}

impl<'de> Deserialize<'de> for PaymentStatus {
    fn deserialize<D: serde::Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        Ok(PaymentStatus::parse(&String::deserialize(d)?))
    }
}

/// The acknowledgement body (AlphaPay's exact expected text is undocumented; this is what integrations send).
pub fn ack_body(accepted: bool) -> &'static str {
    if accepted {
        r#"{"result":{"resultCode":"SUCCESS","resultStatus":"S","resultMessage":"success"}}"#
    } else {
        r#"{"result":{"resultCode":"FAIL","resultStatus":"F","resultMessage":"rejected"}}"#
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_pay_request_serialises_exactly_like_the_known_answer_body() {
        let body = serde_json::to_string(&PayRequest {
            scenario_code: "ONLINE_QRCODE",
            payment_request_id: "TEST-0001",
            order: OrderRequest {
                order_amount: Amount {
                    value: "100".into(),
                    currency: "CAD".into(),
                },
                description: "Test order",
                notify_url: "https://merchant.example/notify",
                redirect_url: None,
            },
            payment_method: Some(PaymentMethod {
                payment_method_type: "Alipay",
                payment_code: None,
            }),
        })
        .expect("serialises");
        assert_eq!(
            body,
            r#"{"scenarioCode":"ONLINE_QRCODE","paymentRequestId":"TEST-0001","order":{"orderAmount":{"value":"100","currency":"CAD"},"description":"Test order","notifyUrl":"https://merchant.example/notify"},"paymentMethod":{"paymentMethodType":"Alipay"}}"#
        );
    }

    #[test]
    fn statuses_map_through_one_table_and_unknown_never_fails() {
        let check = |s: &str, want: Option<Status>| {
            assert_eq!(PaymentStatus::parse(s).to_status(), want, "{s}")
        };
        check("PAYMENT_IN_PROCESS", Some(Status::Pending));
        check("OFFLINE_QRCODE", Some(Status::Pending));
        check("SUCCESS", Some(Status::Succeeded));
        check("PARTIAL_REFUND", Some(Status::Succeeded));
        check("FULL_REFUND", Some(Status::Succeeded));
        check("FAILED", Some(Status::Failed));
        check("CLOSED", Some(Status::Expired));
        check("SOMETHING_NEW", None);
        let n: PaymentStatus = serde_json::from_str("\"SOMETHING_NEW\"").expect("parses");
        assert_eq!(n, PaymentStatus::Unknown("SOMETHING_NEW".into()));
    }
}
