//! The maximum of every amount Haven accepts, in minor units.
//!
//! Bounds keep every sum far from `i64`'s range: an order's total is at most
//! 1,000,000.00 (10⁸ minor units), so a shared account such as
//! `platform:commission` or `gateway:testcard`, which grows with every
//! order, would need about 9.2 × 10¹⁰ orders of the largest size to
//! overflow: about 580 years at 5,000 orders a second. Every sum is checked
//! anyway (`Money::checked_*`), and the stores refuse a balance that leaves
//! the range instead of wrapping it.

/// The most one unit of a listing may cost: 100,000.00.
pub const MAX_UNIT_PRICE_MINOR: i64 = 10_000_000;
/// The most a shipping rate may cost: 10,000.00.
pub const MAX_SHIPPING_MINOR: i64 = 1_000_000;
/// The most one order may total (items plus shipping): 1,000,000.00.
pub const MAX_ORDER_TOTAL_MINOR: i64 = 100_000_000;
/// The most one payout may move: 10,000,000.00.
pub const MAX_PAYOUT_MINOR: i64 = 1_000_000_000;
/// Partial refunds, counter-offers, decisions and chargebacks are bounded
/// by what the order holds, so by [`MAX_ORDER_TOTAL_MINOR`] too.
pub const MAX_REFUND_MINOR: i64 = MAX_ORDER_TOTAL_MINOR;

/// An input a person can correct, naming its field.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("{message}")]
pub struct InvalidField {
    pub field: String,
    pub message: String,
}

impl InvalidField {
    pub fn new(field: impl Into<String>, message: impl Into<String>) -> Self {
        InvalidField {
            field: field.into(),
            message: message.into(),
        }
    }
}

impl From<crate::text::TextError> for InvalidField {
    fn from(err: crate::text::TextError) -> Self {
        InvalidField::new(err.field(), err.to_string())
    }
}

/// `amount` must be 1..=`max` (or 0..=`max` when `zero_ok`).
pub fn check_amount(
    field: &str,
    amount_minor: i64,
    max_minor: i64,
    zero_ok: bool,
) -> Result<(), InvalidField> {
    let min = i64::from(!zero_ok);
    if amount_minor < min || amount_minor > max_minor {
        let whole = max_minor / 100;
        let cents = max_minor % 100;
        let lower = if zero_ok { "0" } else { "more than 0" };
        return Err(InvalidField::new(
            field,
            format!("{field} must be {lower} and at most {whole}.{cents:02}"),
        ));
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_largest_sums_stay_far_inside_i64() {
        let per_order = MAX_ORDER_TOTAL_MINOR;
        assert!(MAX_UNIT_PRICE_MINOR.checked_mul(1_000).is_some());
        // Orders of the largest size before a shared account overflows.
        let orders = i64::MAX / per_order;
        assert!(orders > 90_000_000_000, "{orders}");
    }

    #[test]
    fn amounts_are_checked_against_their_maximum() {
        assert!(check_amount("price", MAX_UNIT_PRICE_MINOR, MAX_UNIT_PRICE_MINOR, false).is_ok());
        let err = check_amount(
            "price",
            MAX_UNIT_PRICE_MINOR + 1,
            MAX_UNIT_PRICE_MINOR,
            false,
        )
        .unwrap_err();
        assert_eq!(err.field, "price");
        assert!(err.message.contains("100000.00"), "{}", err.message);
        assert!(check_amount("price", 0, 10, false).is_err());
        assert!(check_amount("cost", 0, 10, true).is_ok());
        assert!(check_amount("cost", -1, 10, true).is_err());
    }
}
