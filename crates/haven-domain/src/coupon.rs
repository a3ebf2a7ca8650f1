//! Coupons: the rules, free of IO.
//!
//! A coupon is issued by the platform (which funds the discount) or by a
//! verified seller (who does). It takes a fixed amount or a capped percent
//! off the items it covers, from a minimum order, inside a validity
//! window, up to a total and a per-buyer number of redemptions. It is
//! entered as a code or claimed from a store page first. An order carries
//! at most one platform and one seller coupon.
//!
//! The limits themselves are counters the store takes in the order's own
//! transaction (never more than the limit, under any concurrency); the
//! rules here decide whether and how much a coupon discounts one order.

use serde::{Deserialize, Serialize};

use crate::Timestamp;
use crate::ids::{CouponId, StoreId, UserId};
use crate::money::{Currency, Money, MoneyError};

pub const MAX_TITLE_CHARS: usize = 80;
pub const CODE_CHARS: std::ops::RangeInclusive<usize> = 4..=24;
pub const MAX_PERCENT: u32 = 90;
pub const MAX_TOTAL_LIMIT: u32 = 1_000_000;
pub const MAX_PER_BUYER_LIMIT: u32 = 100;
/// A coupon runs for a year at most.
pub const MAX_WINDOW_DAYS: i64 = 366;

/// Who pays for the discount.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Funder {
    Platform,
    Seller,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(tag = "kind", rename_all = "snake_case")]
pub enum CouponValue {
    /// `off_minor` off the covered items.
    Fixed { off_minor: i64 },
    /// `percent` off the covered items, at most `cap_minor`.
    Percent { percent: u32, cap_minor: i64 },
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Coupon {
    pub id: CouponId,
    pub title: String,
    /// Upper-case letters, digits and dashes. A coupon without a code must
    /// be claimable.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub code: Option<String>,
    /// Buyers can claim it (from the store page or the coupon centre) and
    /// then pick it at checkout.
    #[serde(default)]
    pub claimable: bool,
    /// The issuing store; none for a platform coupon.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub store_id: Option<StoreId>,
    pub currency: Currency,
    pub value: CouponValue,
    /// The covered items must come to at least this.
    pub min_order_minor: i64,
    pub starts_at: Timestamp,
    pub ends_at: Timestamp,
    pub total_limit: u32,
    pub per_buyer_limit: u32,
    /// Only items of this category count (and are discounted).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub category: Option<String>,
    /// A platform coupon for one store's items only.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub for_store: Option<StoreId>,
    pub created_by: UserId,
    pub created_at: Timestamp,
}

#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum CouponError {
    /// `field` is the request's name for the input at fault.
    #[error("{message}")]
    Invalid {
        field: &'static str,
        message: &'static str,
    },
}

/// Why a coupon does not apply to an order.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum CouponRefusal {
    #[error("this coupon is not valid yet")]
    NotStarted,
    #[error("this coupon has expired")]
    Expired,
    #[error("this coupon does not cover any item in this order")]
    WrongScope,
    #[error("this coupon needs the items it covers to come to at least {0}")]
    BelowMinimum(String),
    #[error("an order can take one platform coupon and one seller coupon")]
    Stacking,
}

/// An item of an order, as a coupon sees it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct CoveredItem<'a> {
    pub category: &'a str,
    pub line_total: Money,
}

/// A discount an order took, as recorded on the order.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct OrderDiscount {
    pub coupon_id: CouponId,
    pub title: String,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub code: Option<String>,
    pub funded_by: Funder,
    pub amount_minor: i64,
}

/// Normalise a code as typed by a buyer: trimmed, upper case.
pub fn normalise_code(raw: &str) -> String {
    raw.trim().to_ascii_uppercase()
}

impl Coupon {
    pub fn funder(&self) -> Funder {
        match self.store_id {
            Some(_) => Funder::Seller,
            None => Funder::Platform,
        }
    }

    /// The rules a coupon must follow to be issued.
    pub fn validate(&self) -> Result<(), CouponError> {
        let bad = |field, message| Err(CouponError::Invalid { field, message });
        let title_chars = self.title.trim().chars().count();
        if title_chars == 0 || title_chars > MAX_TITLE_CHARS {
            return bad("title", "title must be 1-80 characters");
        }
        match &self.code {
            Some(code) if !valid_code(code) => {
                return bad(
                    "code",
                    "code must be 4-24 upper-case letters, digits or dashes",
                );
            }
            None if !self.claimable => {
                return bad("code", "a coupon needs a code or must be claimable");
            }
            _ => {}
        }
        self.validate_value()?;
        if self.ends_at <= self.starts_at {
            return bad("ends_at", "the coupon must end after it starts");
        }
        let window = self.ends_at.duration_since(self.starts_at);
        if window > jiff::SignedDuration::from_hours(24 * MAX_WINDOW_DAYS) {
            return bad("ends_at", "a coupon may run for a year at most");
        }
        if self.total_limit == 0 || self.total_limit > MAX_TOTAL_LIMIT {
            return bad("total_limit", "total_limit must be 1-1000000");
        }
        if self.per_buyer_limit == 0
            || self.per_buyer_limit > MAX_PER_BUYER_LIMIT
            || self.per_buyer_limit > self.total_limit
        {
            return bad(
                "per_buyer_limit",
                "per_buyer_limit must be 1-100 and at most total_limit",
            );
        }
        if self.store_id.is_some() && self.for_store.is_some() {
            return bad(
                "for_store",
                "a seller coupon always covers its own store only",
            );
        }
        Ok(())
    }

    fn validate_value(&self) -> Result<(), CouponError> {
        let bad = |field, message| Err(CouponError::Invalid { field, message });
        if self.min_order_minor < 0 {
            return bad("min_order", "min_order must not be negative");
        }
        match self.value {
            // The discount stays below what the buyer pays for the items,
            // so no order is ever free or negative.
            CouponValue::Fixed { off_minor } if off_minor <= 0 => {
                bad("amount_off", "the amount off must be positive")
            }
            CouponValue::Fixed { off_minor } if off_minor >= self.min_order_minor => bad(
                "min_order",
                "the minimum order must be more than the amount off (as in 3.00 off 20.00)",
            ),
            CouponValue::Percent { percent, .. } if percent == 0 || percent > MAX_PERCENT => {
                bad("percent_off", "percent must be 1-90")
            }
            CouponValue::Percent { cap_minor, .. } if cap_minor <= 0 => {
                bad("max_off", "a percent coupon needs a positive cap")
            }
            _ => Ok(()),
        }
    }

    /// How much this coupon takes off one order of `store`'s items at
    /// `now`. The limits (total, per buyer) are the store's to enforce.
    pub fn discount_for(
        &self,
        store: StoreId,
        items: &[CoveredItem<'_>],
        now: Timestamp,
    ) -> Result<Money, CouponRefusal> {
        if now < self.starts_at {
            return Err(CouponRefusal::NotStarted);
        }
        if now >= self.ends_at {
            return Err(CouponRefusal::Expired);
        }
        let store_scope = self.store_id.or(self.for_store);
        if store_scope.is_some_and(|s| s != store) {
            return Err(CouponRefusal::WrongScope);
        }
        let covered = self.covered_minor(items).ok_or(CouponRefusal::WrongScope)?;
        if covered == 0 {
            return Err(CouponRefusal::WrongScope);
        }
        if covered < self.min_order_minor {
            let min = Money::new(self.min_order_minor, self.currency);
            return Err(CouponRefusal::BelowMinimum(min.display()));
        }
        let off = match self.value {
            CouponValue::Fixed { off_minor } => off_minor,
            CouponValue::Percent { percent, cap_minor } => {
                // Rounded down: the buyer never gets more than the percent.
                let raw = i128::from(covered) * i128::from(percent) / 100;
                i64::try_from(raw).unwrap_or(i64::MAX).min(cap_minor)
            }
        };
        // Never below one minor unit left to pay for the covered items.
        Ok(Money::new(off.min(covered - 1).max(0), self.currency))
    }

    /// What the covered items come to; `None` when a currency differs.
    fn covered_minor(&self, items: &[CoveredItem<'_>]) -> Option<i64> {
        let mut sum: i64 = 0;
        for item in items {
            if self.category.as_deref().is_some_and(|c| c != item.category) {
                continue;
            }
            if item.line_total.currency != self.currency {
                return None;
            }
            sum = sum.checked_add(item.line_total.amount_minor)?;
        }
        Some(sum)
    }

    /// The discount as the order records it.
    pub fn discount_line(&self, amount: Money) -> OrderDiscount {
        OrderDiscount {
            coupon_id: self.id,
            title: self.title.clone(),
            code: self.code.clone(),
            funded_by: self.funder(),
            amount_minor: amount.amount_minor,
        }
    }

    /// "3.00 off 20.00" / "10% off (up to 5.00) from 30.00".
    pub fn describe(&self) -> String {
        let min = Money::new(self.min_order_minor, self.currency).display();
        match self.value {
            CouponValue::Fixed { off_minor } => {
                format!(
                    "{} off {min}",
                    Money::new(off_minor, self.currency).display()
                )
            }
            CouponValue::Percent { percent, cap_minor } => format!(
                "{percent}% off (up to {}) from {min}",
                Money::new(cap_minor, self.currency).display()
            ),
        }
    }
}

fn valid_code(code: &str) -> bool {
    CODE_CHARS.contains(&code.len())
        && code
            .bytes()
            .all(|b| b.is_ascii_uppercase() || b.is_ascii_digit() || b == b'-')
}

/// At most one platform and one seller coupon on one order.
pub fn check_stacking(coupons: &[&Coupon]) -> Result<(), CouponRefusal> {
    let platform = coupons.iter().filter(|c| c.store_id.is_none()).count();
    let seller = coupons.len() - platform;
    let mut ids: Vec<CouponId> = coupons.iter().map(|c| c.id).collect();
    ids.sort();
    ids.dedup();
    if platform > 1 || seller > 1 || ids.len() != coupons.len() {
        return Err(CouponRefusal::Stacking);
    }
    Ok(())
}

/// Sum of a set of discounts, checked.
pub fn total_discount(
    discounts: &[OrderDiscount],
    currency: Currency,
) -> Result<Money, MoneyError> {
    discounts
        .iter()
        .try_fold(Money::new(0, currency), |sum, d| {
            sum.checked_add(Money::new(d.amount_minor, currency))
        })
}
