//! The shopper's payment code (a counter's scanner reads it from their wallet app): which wallet
//! issued it, by the contract's table, and a type that never shows it (`Debug` says only its
//! length), since it is a bearer credential of the shopper's wallet. Pure: no IO.

use wallet_checkout_protocol::Wallet;

/// A payment code as given (not yet checked). Never logged, stored or returned: its `Debug` hides
/// it, and only `expose` hands it to the gateway call.
#[derive(Clone, PartialEq, Eq)]
pub struct PaymentCode(String);

impl std::fmt::Debug for PaymentCode {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "PaymentCode(<{} characters>)", self.0.chars().count())
    }
}

/// The longest text looked at: a code is at most 24 digits, and a scanner's burst a few more.
const MAX_GIVEN: usize = 64;

impl PaymentCode {
    pub fn given(text: String) -> PaymentCode {
        PaymentCode(text)
    }

    /// The code for the gateway's request, and nothing else.
    pub fn expose(&self) -> &str {
        &self.0
    }

    /// Checks the code against the contract's table (docs/protocol.md, "Scan the shopper's payment
    /// code"): leading and trailing whitespace removed, then ASCII digits only; the wallet is told
    /// by its first two digits and its length, and must agree with `wallet` when one is given.
    pub fn check(self, wallet: Option<Wallet>) -> Result<(PaymentCode, Wallet), &'static str> {
        if self.0.len() > MAX_GIVEN {
            return Err("payment_code is not a wallet's payment code (too long)");
        }
        let code = self.0.trim();
        if code.is_empty() || !code.bytes().all(|b| b.is_ascii_digit()) {
            return Err("payment_code must be the digits of the shopper's payment code");
        }
        let issuer = wallet_checkout_protocol::payment_code_wallet(code)
            .ok_or("payment_code is not a payment code any wallet issues")?;
        if wallet.is_some_and(|w| w != issuer) {
            return Err("payment_code belongs to another wallet than the one given");
        }
        Ok((PaymentCode(code.to_string()), issuer))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn check(code: &str, wallet: Option<Wallet>) -> Result<Wallet, &'static str> {
        PaymentCode::given(code.into())
            .check(wallet)
            .map(|(_, w)| w)
    }

    #[test]
    fn each_wallet_is_told_by_its_prefix_and_length() {
        assert_eq!(check("134567890123456789", None), Ok(Wallet::WechatPay));
        assert_eq!(check("286012345678901234", None), Ok(Wallet::Alipay));
        assert_eq!(check("2501234567890123", None), Ok(Wallet::Alipay));
        assert_eq!(check("301234567890123456789012", None), Ok(Wallet::Alipay));
        assert_eq!(check("6212345678901234567", None), Ok(Wallet::Unionpay));
        // A scanner's stray whitespace and newline around the code.
        assert_eq!(
            check(" \t280812820366966512\r\n", Some(Wallet::Alipay)),
            Ok(Wallet::Alipay)
        );
    }

    #[test]
    fn anything_else_is_refused() {
        for bad in [
            "13456789012345678",         // 17 digits with a WeChat Pay prefix (it has 18)
            "2808128203669665120123456", // 25 digits
            "621234567890123456",        // 62 with 18 digits
            "991234567890123456",        // no wallet starts with 99
            "16123456789012345a",        // a letter
            "２８０８１２８２０３６６９６６５１２", // full-width digits
            "2808128203 66966512",       // an inner space
            "",
            "   ",
        ] {
            assert!(check(bad, None).is_err(), "{bad:?}");
        }
        assert!(check(&"1".repeat(300), None).is_err());
        assert_eq!(
            check("134567890123456789", Some(Wallet::Alipay)),
            Err("payment_code belongs to another wallet than the one given")
        );
    }

    #[test]
    fn debug_never_shows_the_code() {
        let c = PaymentCode::given("280812820366966512".into());
        assert_eq!(format!("{c:?}"), "PaymentCode(<18 characters>)");
    }
}
