//! AlphaPay's `resultCode`s (all sixteen in its "Keys and Parameters" page) and what each means
//! here: the kind of refusal on create, cancel and inquiry, and the refund outcome on refund.

use super::super::{RefundStatus, Refusal};

/// Every `resultCode` AlphaPay documents, in its order.
pub const ALL: [&str; 16] = [
    "PAYMENT_IN_PROCESS",
    "ORDER_MISMATCH",
    "ORDER_PAID",
    "SYSTEMERROR",
    "INVALID_MERCHANT_CODE",
    "SIGN_TIMEOUT",
    "INVALID_SIGN",
    "PARAM_INVALID",
    "INVALID_METHOD_TYPE",
    "EXIST_PROCESSING_REFUND",
    "REFUND_VALID_DATE_EXCEED",
    "REFUND_NEED_REVIEW",
    "INVALID_REFUND_AMOUNT",
    "REFUND_NOT_ENOUGH_BALANCE",
    "FULL_REFUND_COMPLETED",
    "INVALID_PAYMENT_CODE",
];

/// A refusal of the shopper's payment code itself (scenario `OFFLINE`): the session fails with
/// `payment_code_declined`, and the cashier scans a fresh code. The documents name one code for
/// it; any other refusal is read as the table says (an error, nothing charged).
pub fn declines_the_code(code: &str) -> bool {
    code == "INVALID_PAYMENT_CODE"
}

/// What a refused call's code means (the contract's "Gateway refusals → codes").
pub fn refusal(code: &str) -> Refusal {
    match code {
        // "Payment is processing" as a refusal: the gateway could not finish; a new attempt may.
        "SYSTEMERROR" | "PAYMENT_IN_PROCESS" => Refusal::Transient,
        "INVALID_SIGN" | "SIGN_TIMEOUT" | "INVALID_MERCHANT_CODE" => Refusal::Setup,
        // Refund codes reaching a payment call, and a scan-to-pay code we never send, are about
        // this order's data too: retrying it the same way fails the same way.
        "PARAM_INVALID"
        | "ORDER_MISMATCH"
        | "INVALID_PAYMENT_CODE"
        | "EXIST_PROCESSING_REFUND"
        | "REFUND_VALID_DATE_EXCEED"
        | "REFUND_NEED_REVIEW"
        | "INVALID_REFUND_AMOUNT"
        | "REFUND_NOT_ENOUGH_BALANCE"
        | "FULL_REFUND_COMPLETED" => Refusal::Order,
        "INVALID_METHOD_TYPE" => Refusal::Wallet,
        "ORDER_PAID" => Refusal::Paid,
        _ => Refusal::Unknown,
    }
}

/// A refund call answered `F` with `code`: `Some` when the refund is not failed for all that.
pub fn refund_outcome(code: &str) -> Option<RefundStatus> {
    match code {
        // Submitted and waiting for AlphaPay's review, or one already on its way: not failed;
        // asked about later.
        "REFUND_NEED_REVIEW" | "EXIST_PROCESSING_REFUND" => Some(RefundStatus::Processing),
        // The order's money is back with the shopper already (a retry of ours that went through,
        // or a refund made in AlphaPay's portal): nothing more to send.
        "FULL_REFUND_COMPLETED" => Some(RefundStatus::Succeeded),
        _ => None,
    }
}

/// What the admin reads when `SIGN_TIMEOUT` or another setup code is logged.
pub fn setup_hint(code: &str) -> &'static str {
    match code {
        "SIGN_TIMEOUT" => "this server's clock is more than 5 minutes off AlphaPay's: check NTP",
        "INVALID_SIGN" => "AlphaPay refused our signature: check the merchant private key",
        "INVALID_MERCHANT_CODE" => "AlphaPay does not know merchant_code: check the configuration",
        _ => "check the AlphaPay account",
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn every_documented_code_has_a_kind_and_an_unknown_one_is_unknown() {
        for code in ALL {
            assert_ne!(refusal(code), Refusal::Unknown, "{code}");
        }
        assert_eq!(refusal("SOMETHING_NEW"), Refusal::Unknown);
        assert_eq!(refusal("SYSTEMERROR"), Refusal::Transient);
        assert_eq!(refusal("SIGN_TIMEOUT"), Refusal::Setup);
        assert_eq!(refusal("ORDER_MISMATCH"), Refusal::Order);
        assert_eq!(refusal("INVALID_METHOD_TYPE"), Refusal::Wallet);
        assert_eq!(refusal("ORDER_PAID"), Refusal::Paid);
    }

    #[test]
    fn refunds_under_review_or_already_complete_are_not_failed() {
        assert_eq!(
            refund_outcome("REFUND_NEED_REVIEW"),
            Some(RefundStatus::Processing)
        );
        assert_eq!(
            refund_outcome("EXIST_PROCESSING_REFUND"),
            Some(RefundStatus::Processing)
        );
        assert_eq!(
            refund_outcome("FULL_REFUND_COMPLETED"),
            Some(RefundStatus::Succeeded)
        );
        for failed in [
            "REFUND_VALID_DATE_EXCEED",
            "INVALID_REFUND_AMOUNT",
            "REFUND_NOT_ENOUGH_BALANCE",
        ] {
            assert_eq!(refund_outcome(failed), None, "{failed}");
        }
    }
}
