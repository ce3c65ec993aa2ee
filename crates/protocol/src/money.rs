//! Money as an integer of minor units plus an ISO 4217 code; exact decimal formatting, no floats.

use std::fmt;

#[cfg(feature = "serde")]
use serde::{Deserialize, Deserializer, Serialize};

/// An amount in the currency's minor unit (`1234` CAD is 12.34 CAD).
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
#[cfg_attr(feature = "serde", derive(Serialize))]
pub struct Money {
    pub value: u64,
    pub currency: String,
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub enum MoneyError {
    /// Not three ASCII capital letters.
    BadCurrency(String),
    /// The decimal text is not a valid amount for the currency's exponent.
    BadDecimal(String),
}

impl fmt::Display for MoneyError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            MoneyError::BadCurrency(c) => write!(
                f,
                "currency {c:?} is not an ISO 4217 code (three capital letters)"
            ),
            MoneyError::BadDecimal(d) => {
                write!(f, "amount {d:?} is not a valid decimal for its currency")
            }
        }
    }
}

impl std::error::Error for MoneyError {}

/// Digits after the decimal point for a currency (ISO 4217); 2 unless listed.
pub fn currency_exponent(currency: &str) -> u32 {
    match currency {
        "BIF" | "CLP" | "DJF" | "GNF" | "ISK" | "JPY" | "KMF" | "KRW" | "PYG" | "RWF" | "UGX"
        | "UYI" | "VND" | "VUV" | "XAF" | "XOF" | "XPF" => 0,
        "BHD" | "IQD" | "JOD" | "KWD" | "LYD" | "OMR" | "TND" => 3,
        _ => 2,
    }
}

impl Money {
    pub fn new(value: u64, currency: &str) -> Result<Money, MoneyError> {
        if currency.len() == 3 && currency.bytes().all(|b| b.is_ascii_uppercase()) {
            Ok(Money {
                value,
                currency: currency.to_string(),
            })
        } else {
            Err(MoneyError::BadCurrency(currency.to_string()))
        }
    }

    /// The amount as a major-unit decimal string: `1234` CAD → `"12.34"`, `500` JPY → `"500"`.
    pub fn to_decimal(&self) -> String {
        let exp = currency_exponent(&self.currency);
        if exp == 0 {
            return self.value.to_string();
        }
        let scale = 10u64.pow(exp);
        format!(
            "{}.{:0width$}",
            self.value / scale,
            self.value % scale,
            width = exp as usize
        )
    }

    /// Parses a major-unit decimal exactly (`"24.99"` EUR → 2499); refuses more digits than the exponent.
    pub fn from_decimal(text: &str, currency: &str) -> Result<Money, MoneyError> {
        let exp = currency_exponent(currency) as usize;
        let bad = || MoneyError::BadDecimal(text.to_string());
        let (int, frac) = match text.split_once('.') {
            Some((i, f)) => (i, f),
            None => (text, ""),
        };
        if int.is_empty()
            || !int.bytes().all(|b| b.is_ascii_digit())
            || !frac.bytes().all(|b| b.is_ascii_digit())
        {
            return Err(bad());
        }
        if frac.len() > exp || (text.contains('.') && frac.is_empty()) {
            return Err(bad());
        }
        let mut digits = String::with_capacity(int.len() + exp);
        digits.push_str(int);
        digits.push_str(frac);
        digits.extend(std::iter::repeat_n('0', exp - frac.len()));
        let value = digits.parse::<u64>().map_err(|_| bad())?;
        Money::new(value, currency)
    }
}

impl fmt::Display for Money {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{} {}", self.to_decimal(), self.currency)
    }
}

#[cfg(feature = "serde")]
impl<'de> Deserialize<'de> for Money {
    fn deserialize<D: Deserializer<'de>>(d: D) -> Result<Money, D::Error> {
        #[derive(Deserialize)]
        #[serde(deny_unknown_fields)]
        struct Raw {
            value: u64,
            currency: String,
        }
        let raw = Raw::deserialize(d)?;
        Money::new(raw.value, &raw.currency).map_err(serde::de::Error::custom)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn check(value: u64, currency: &str, decimal: &str) {
        let m = Money::new(value, currency).expect("valid");
        assert_eq!(m.to_decimal(), decimal);
        assert_eq!(Money::from_decimal(decimal, currency), Ok(m));
    }

    #[test]
    fn decimals_are_exact_for_each_exponent() {
        check(1234, "CAD", "12.34");
        check(5, "EUR", "0.05");
        check(500, "JPY", "500");
        check(1005, "KWD", "1.005");
        check(0, "CNY", "0.00");
        check(u64::MAX, "JPY", &u64::MAX.to_string());
    }

    #[test]
    fn short_fractions_are_padded_and_long_ones_refused() {
        assert_eq!(Money::from_decimal("1.5", "EUR").map(|m| m.value), Ok(150));
        assert_eq!(Money::from_decimal("1", "EUR").map(|m| m.value), Ok(100));
        for bad in ["1.234", "1.", ".5", "-1", "1e3", "", " 1", "1,00", "12.5"] {
            let currency = if bad == "12.5" { "JPY" } else { "EUR" };
            assert!(
                Money::from_decimal(bad, currency).is_err(),
                "{bad:?} accepted"
            );
        }
    }

    #[cfg(feature = "serde")]
    #[test]
    fn json_needs_an_integer_and_a_currency_code() {
        assert!(serde_json::from_str::<Money>(r#"{"value":12.5,"currency":"CAD"}"#).is_err());
        assert!(serde_json::from_str::<Money>(r#"{"value":-1,"currency":"CAD"}"#).is_err());
        assert!(serde_json::from_str::<Money>(r#"{"value":1,"currency":"cad"}"#).is_err());
        assert!(serde_json::from_str::<Money>(r#"{"value":"1","currency":"CAD"}"#).is_err());
        assert_eq!(
            serde_json::from_str::<Money>(r#"{"value":1,"currency":"CAD"}"#).ok(),
            Money::new(1, "CAD").ok()
        );
    }
}
