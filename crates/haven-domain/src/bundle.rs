//! Bundle deals: a store sells a set of its listings (one of each) at a
//! bundle price. An order with complete sets takes the difference off,
//! once per set; the seller funds it (it is simply a lower price).

use serde::{Deserialize, Serialize};

use crate::Timestamp;
use crate::ids::{BundleId, ListingId, StoreId};
use crate::money::{Money, MoneyError};
use crate::order::OrderItem;

pub const MIN_LISTINGS: usize = 2;
pub const MAX_LISTINGS: usize = 5;
pub const MAX_TITLE_CHARS: usize = 80;

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Bundle {
    pub id: BundleId,
    pub store_id: StoreId,
    pub title: String,
    /// One of each makes a set.
    pub listings: Vec<ListingId>,
    /// What one set costs.
    pub price: Money,
    pub created_at: Timestamp,
    /// Ended by the seller: no longer applies to new orders.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub ended_at: Option<Timestamp>,
}

/// The bundle an order took.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct BundleDiscount {
    pub bundle_id: BundleId,
    pub title: String,
    /// Complete sets in the order.
    pub sets: u32,
    pub amount_minor: i64,
}

impl Bundle {
    /// The rules a bundle must follow to be offered: 2-5 different
    /// listings, a title, and a price below what they cost separately.
    pub fn validate(&self, separately: Money) -> Result<(), String> {
        let chars = self.title.trim().chars().count();
        if chars == 0 || chars > MAX_TITLE_CHARS {
            return Err("title must be 1-80 characters".into());
        }
        let mut distinct = self.listings.clone();
        distinct.sort();
        distinct.dedup();
        if distinct.len() != self.listings.len()
            || !(MIN_LISTINGS..=MAX_LISTINGS).contains(&self.listings.len())
        {
            return Err("a bundle is 2-5 different listings".into());
        }
        if self.price.currency != separately.currency {
            return Err("the bundle price must be in the listings' currency".into());
        }
        if self.price.amount_minor <= 0 || self.price.amount_minor >= separately.amount_minor {
            return Err(format!(
                "the bundle price must be above zero and below {} (the listings bought separately)",
                separately.display()
            ));
        }
        Ok(())
    }

    /// What the bundle takes off these items (one store's order): per
    /// complete set, the set at the order's unit prices less the bundle
    /// price. `None` without a complete set or with nothing to save (a
    /// flash deal may already price the set below the bundle).
    pub fn discount_for(&self, items: &[OrderItem]) -> Option<Result<BundleDiscount, MoneyError>> {
        if self.ended_at.is_some() {
            return None;
        }
        let mut sets = u32::MAX;
        let mut set_price = Money::new(0, self.price.currency);
        for listing in &self.listings {
            let item = items.iter().find(|i| i.listing_id == *listing)?;
            sets = sets.min(item.quantity);
            set_price = match set_price.checked_add(item.unit_price) {
                Ok(sum) => sum,
                Err(err) => return Some(Err(err)),
            };
        }
        let saving = set_price.amount_minor - self.price.amount_minor;
        if sets == 0 || saving <= 0 {
            return None;
        }
        Some(
            Money::new(saving, self.price.currency)
                .checked_mul(i64::from(sets))
                .map(|amount| BundleDiscount {
                    bundle_id: self.id,
                    title: self.title.clone(),
                    sets,
                    amount_minor: amount.amount_minor,
                }),
        )
    }
}

/// The one bundle that saves an order the most (bundles do not stack).
pub fn best_bundle(
    bundles: &[Bundle],
    items: &[OrderItem],
) -> Result<Option<BundleDiscount>, MoneyError> {
    let mut best: Option<BundleDiscount> = None;
    for bundle in bundles {
        if let Some(found) = bundle.discount_for(items) {
            let found = found?;
            if best
                .as_ref()
                .is_none_or(|b| found.amount_minor > b.amount_minor)
            {
                best = Some(found);
            }
        }
    }
    Ok(best)
}
