//! YabandPay's return codes (the four its mini-program page lists beside `200`) and what each
//! means here. An answer is refused when `status` is anything but `true` (the page spells the
//! failure `fales`; any non-true value counts).

use super::super::Refusal;

/// Every failure code YabandPay documents.
pub const ALL: [&str; 4] = ["-1000", "-3001", "-403", "-4011"];

/// What a refused call's code means (the contract's "Gateway refusals → codes").
pub fn refusal(code: &str) -> Refusal {
    match code {
        // Internal error.
        "-1000" => Refusal::Transient,
        // A required field is missing: this order's data.
        "-3001" => Refusal::Order,
        // The signature: the merchant's secret.
        "-403" => Refusal::Setup,
        // The payment method is not enabled for the account.
        "-4011" => Refusal::Wallet,
        _ => Refusal::Unknown,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn every_documented_code_has_a_kind_and_an_unknown_one_is_unknown() {
        assert_eq!(refusal("-1000"), Refusal::Transient);
        assert_eq!(refusal("-3001"), Refusal::Order);
        assert_eq!(refusal("-403"), Refusal::Setup);
        assert_eq!(refusal("-4011"), Refusal::Wallet);
        for code in ALL {
            assert_ne!(refusal(code), Refusal::Unknown, "{code}");
        }
        assert_eq!(refusal("-9999"), Refusal::Unknown);
        assert_eq!(refusal(""), Refusal::Unknown);
    }
}
