//! Money as integer minor units plus an ISO 4217 currency.
//!
//! Every operation is checked: overflow and currency mismatches are errors,
//! never wraps or silent conversions. Fees are basis points, rounded half-up
//! to the minor unit (stated once here so every caller rounds the same way).

use std::fmt;
use std::str::FromStr;

use serde::{Deserialize, Deserializer, Serialize, Serializer};

/// A validated ISO 4217 alphabetic code such as `USD`.
#[derive(Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub struct Currency([u8; 3]);

#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum MoneyError {
    #[error("currency must be three upper-case letters, got {0:?}")]
    BadCurrency(String),
    #[error("currency mismatch: {0} vs {1}")]
    CurrencyMismatch(Currency, Currency),
    #[error("amount overflow")]
    Overflow,
    #[error("amount must not be negative")]
    Negative,
    #[error("not an amount: {0:?}")]
    BadAmount(String),
    #[error("amount is above the maximum of {max_minor} minor units")]
    OutOfRange { max_minor: i64 },
}

impl Currency {
    pub const USD: Currency = Currency(*b"USD");
    pub const EUR: Currency = Currency(*b"EUR");

    pub fn parse(code: &str) -> Result<Self, MoneyError> {
        let bytes = code.as_bytes();
        if bytes.len() == 3 && bytes.iter().all(u8::is_ascii_uppercase) {
            Ok(Currency([bytes[0], bytes[1], bytes[2]]))
        } else {
            Err(MoneyError::BadCurrency(code.chars().take(16).collect()))
        }
    }

    pub fn as_str(&self) -> &str {
        // Only ever built from three ASCII upper-case letters.
        std::str::from_utf8(&self.0).expect("currency is ASCII")
    }

    /// Minor-unit exponent, for display only. Ledger maths never needs it.
    pub fn exponent(&self) -> u32 {
        match self.as_str() {
            "JPY" | "KRW" | "VND" | "CLP" | "ISK" => 0,
            "BHD" | "KWD" | "OMR" | "JOD" | "TND" => 3,
            _ => 2,
        }
    }
}

impl fmt::Display for Currency {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}
impl fmt::Debug for Currency {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}
impl FromStr for Currency {
    type Err = MoneyError;
    fn from_str(s: &str) -> Result<Self, Self::Err> {
        Currency::parse(s)
    }
}
impl Serialize for Currency {
    fn serialize<S: Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        s.serialize_str(self.as_str())
    }
}
impl<'de> Deserialize<'de> for Currency {
    fn deserialize<D: Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        let raw = String::deserialize(d)?;
        Currency::parse(&raw).map_err(serde::de::Error::custom)
    }
}

/// An amount of money. Serialises as `{"amount_minor": 1999, "currency": "USD"}`.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
pub struct Money {
    pub amount_minor: i64,
    pub currency: Currency,
}

impl Money {
    pub const fn new(amount_minor: i64, currency: Currency) -> Self {
        Money {
            amount_minor,
            currency,
        }
    }

    pub const fn zero(currency: Currency) -> Self {
        Money::new(0, currency)
    }

    /// A non-negative amount, as prices, costs and payments must be.
    pub fn non_negative(amount_minor: i64, currency: Currency) -> Result<Self, MoneyError> {
        if amount_minor < 0 {
            return Err(MoneyError::Negative);
        }
        Ok(Money::new(amount_minor, currency))
    }

    pub fn is_zero(&self) -> bool {
        self.amount_minor == 0
    }

    fn same_currency(&self, other: &Money) -> Result<(), MoneyError> {
        if self.currency == other.currency {
            Ok(())
        } else {
            Err(MoneyError::CurrencyMismatch(self.currency, other.currency))
        }
    }

    pub fn checked_add(self, other: Money) -> Result<Money, MoneyError> {
        self.same_currency(&other)?;
        let sum = self
            .amount_minor
            .checked_add(other.amount_minor)
            .ok_or(MoneyError::Overflow)?;
        Ok(Money::new(sum, self.currency))
    }

    pub fn checked_sub(self, other: Money) -> Result<Money, MoneyError> {
        self.same_currency(&other)?;
        let diff = self
            .amount_minor
            .checked_sub(other.amount_minor)
            .ok_or(MoneyError::Overflow)?;
        Ok(Money::new(diff, self.currency))
    }

    pub fn checked_mul(self, factor: i64) -> Result<Money, MoneyError> {
        let product = self
            .amount_minor
            .checked_mul(factor)
            .ok_or(MoneyError::Overflow)?;
        Ok(Money::new(product, self.currency))
    }

    pub fn checked_neg(self) -> Result<Money, MoneyError> {
        let negated = self
            .amount_minor
            .checked_neg()
            .ok_or(MoneyError::Overflow)?;
        Ok(Money::new(negated, self.currency))
    }

    /// `bps` basis points of this amount, rounded half-up (away from zero)
    /// to the minor unit. Computed in i128 so the intermediate product
    /// cannot overflow.
    pub fn basis_points(self, bps: u32) -> Result<Money, MoneyError> {
        let product = i128::from(self.amount_minor) * i128::from(bps);
        let half = 5_000_i128;
        let rounded = if product >= 0 {
            (product + half) / 10_000
        } else {
            (product - half) / 10_000
        };
        let amount_minor = i64::try_from(rounded).map_err(|_| MoneyError::Overflow)?;
        Ok(Money::new(amount_minor, self.currency))
    }
    /// The amount as a plain decimal ("12.34", "-0.05", "500"): for form
    /// fields and filters, which [`Money::parse_decimal`] reads back (when
    /// not negative).
    pub fn decimal(&self) -> String {
        let exponent = self.currency.exponent();
        if exponent == 0 {
            return self.amount_minor.to_string();
        }
        let scale = 10_u64.pow(exponent);
        let abs = self.amount_minor.unsigned_abs();
        let sign = if self.amount_minor < 0 { "-" } else { "" };
        format!(
            "{sign}{}.{:0width$}",
            abs / scale,
            abs % scale,
            width = exponent as usize
        )
    }

    /// Parse a decimal amount such as `12.34` or `12` typed into a form.
    /// More fraction digits than the currency has is an error, not a rounding.
    pub fn parse_decimal(raw: &str, currency: Currency) -> Result<Money, MoneyError> {
        let raw = raw.trim();
        let bad = || MoneyError::BadAmount(raw.chars().take(32).collect());
        let (whole, fraction) = raw.split_once('.').unwrap_or((raw, ""));
        let exponent = currency.exponent() as usize;
        let digits_ok = |s: &str| s.bytes().all(|b| b.is_ascii_digit());
        if whole.is_empty()
            || !digits_ok(whole)
            || !digits_ok(fraction)
            || fraction.len() > exponent
        {
            return Err(bad());
        }
        let scale = 10_i64.pow(exponent as u32);
        let whole_minor = whole
            .parse::<i64>()
            .map_err(|_| MoneyError::Overflow)?
            .checked_mul(scale)
            .ok_or(MoneyError::Overflow)?;
        let fraction_minor = if fraction.is_empty() {
            0
        } else {
            format!("{fraction:0<exponent$}")
                .parse::<i64>()
                .map_err(|_| bad())?
        };
        let amount_minor = whole_minor
            .checked_add(fraction_minor)
            .ok_or(MoneyError::Overflow)?;
        Ok(Money::new(amount_minor, currency))
    }

    /// "12.34 USD" style text for pages and messages.
    /// As English writes it ("$25.00"); see [`crate::locale::Locale::money`]
    /// for the other languages.
    pub fn display(&self) -> String {
        crate::locale::Locale::En.money(*self)
    }
}

impl fmt::Display for Money {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.display())
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use proptest::prelude::*;

    #[test]
    fn currency_parse_rejects_bad_codes() {
        assert!(Currency::parse("USD").is_ok());
        for bad in ["usd", "US", "USDX", "U$D", ""] {
            assert!(Currency::parse(bad).is_err(), "{bad}");
        }
    }

    #[test]
    fn arithmetic_is_checked() {
        let max = Money::new(i64::MAX, Currency::USD);
        assert_eq!(
            max.checked_add(Money::new(1, Currency::USD)),
            Err(MoneyError::Overflow)
        );
        assert!(matches!(
            Money::new(1, Currency::USD).checked_add(Money::new(1, Currency::EUR)),
            Err(MoneyError::CurrencyMismatch(..))
        ));
        assert_eq!(
            Money::new(i64::MIN, Currency::USD).checked_neg(),
            Err(MoneyError::Overflow)
        );
    }

    #[test]
    fn commission_rounds_half_up() {
        // 8% of 1.25 = 0.10; 8% of 0.06 = 0.0048 -> 0.00; 8% of 0.07 = 0.0056 -> 0.01
        let usd = |m| Money::new(m, Currency::USD);
        assert_eq!(usd(125).basis_points(800).unwrap(), usd(10));
        assert_eq!(usd(6).basis_points(800).unwrap(), usd(0));
        assert_eq!(usd(7).basis_points(800).unwrap(), usd(1));
        assert_eq!(usd(i64::MAX).basis_points(10_000).unwrap(), usd(i64::MAX));
    }

    #[test]
    fn decimal_round_trips() {
        for (minor, text) in [(1234, "12.34"), (5, "0.05"), (0, "0.00")] {
            let money = Money::new(minor, Currency::USD);
            assert_eq!(money.decimal(), text);
            assert_eq!(
                Money::parse_decimal(text, Currency::USD),
                Ok(money),
                "{text}"
            );
        }
        // Forms take no negative amounts, but a balance can be one.
        assert_eq!(Money::new(-5, Currency::USD).decimal(), "-0.05");
    }

    #[test]
    fn display_uses_currency_exponent() {
        assert_eq!(Money::new(1999, Currency::USD).display(), "$19.99");
        assert_eq!(Money::new(-5, Currency::USD).display(), "-$0.05");
        assert_eq!(
            Money::new(500, Currency::parse("JPY").unwrap()).display(),
            "¥500"
        );
    }

    #[test]
    fn parses_decimal_amounts() {
        let usd = |m| Money::new(m, Currency::USD);
        assert_eq!(Money::parse_decimal("12.34", Currency::USD), Ok(usd(1234)));
        assert_eq!(Money::parse_decimal("12.3", Currency::USD), Ok(usd(1230)));
        assert_eq!(Money::parse_decimal(" 7 ", Currency::USD), Ok(usd(700)));
        for bad in ["", "-1", "1.234", "1,00", "abc", ".5", "1e3"] {
            assert!(Money::parse_decimal(bad, Currency::USD).is_err(), "{bad}");
        }
        assert_eq!(
            Money::parse_decimal("99999999999999999", Currency::USD),
            Err(MoneyError::Overflow)
        );
        assert_eq!(
            Money::parse_decimal("999999999999999999999", Currency::USD),
            Err(MoneyError::Overflow)
        );
    }

    proptest! {
        #[test]
        fn fee_never_exceeds_amount(amount in 0_i64..i64::MAX / 2, bps in 0_u32..=10_000) {
            let money = Money::new(amount, Currency::USD);
            let fee = money.basis_points(bps).unwrap();
            prop_assert!(fee.amount_minor >= 0);
            prop_assert!(fee.amount_minor <= amount);
        }
    }
}
