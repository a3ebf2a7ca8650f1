//! The cart: items a buyer collects from several stores and pays for at
//! once. Checkout turns it into one order per store (each with its own
//! escrow, shipping, deadlines and protection) paid by a single capture;
//! this module holds the pure rules for that split.

use crate::ids::StoreId;

/// Lines a cart may hold (one per listing).
pub const MAX_CART_LINES: usize = 50;

/// Stores one cart checkout may split into.
pub const MAX_CART_STORES: usize = 10;

/// How one order of a cart is paid.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct OrderFunding {
    pub credit_minor: i64,
    pub card_minor: i64,
}

/// Divide the buyer's credit over the orders of one checkout, first order
/// first, and leave the rest of each order to the card. No cent is created
/// or lost: each order's credit and card shares add up to its total, and
/// the credit used is exactly `min(available, sum of totals)`.
///
/// Totals must be non-negative; a negative available credit counts as none.
pub fn split_funding(totals_minor: &[i64], available_credit_minor: i64) -> Vec<OrderFunding> {
    let mut credit_left = available_credit_minor.max(0);
    totals_minor
        .iter()
        .map(|&total| {
            let total = total.max(0);
            let credit_minor = credit_left.min(total);
            credit_left -= credit_minor;
            OrderFunding {
                credit_minor,
                card_minor: total - credit_minor,
            }
        })
        .collect()
}

/// Group lines by store, keeping the order in which each store first
/// appears (so the buyer sees the stores in the order they shopped).
pub fn group_by_store<T>(lines: Vec<(StoreId, T)>) -> Vec<(StoreId, Vec<T>)> {
    let mut groups: Vec<(StoreId, Vec<T>)> = Vec::new();
    for (store, line) in lines {
        match groups.iter_mut().find(|(s, _)| *s == store) {
            Some((_, items)) => items.push(line),
            None => groups.push((store, vec![line])),
        }
    }
    groups
}

/// The shipping methods one store can send all of `listings` by, together
/// in one parcel, to `country`: a method every listing offers there. The
/// parcel costs what its dearest item's rate costs (not the sum: it is one
/// parcel), free-shipping thresholds count the whole order's items, and it
/// takes as long as the slowest item. Cheapest first, then fastest.
pub fn ship_together(
    listings: &[&crate::catalog::Listing],
    country: &str,
    items: crate::money::Money,
) -> Vec<crate::catalog::ShippingQuote> {
    let Some(first) = listings.first() else {
        return Vec::new();
    };
    let mut options: Vec<crate::catalog::ShippingQuote> = first
        .quotes_to(country, items)
        .into_iter()
        .filter_map(|quote| {
            listings[1..].iter().try_fold(quote, |parcel, listing| {
                let other = listing.quote(&parcel.method, country, items)?;
                Some(combine(parcel, other))
            })
        })
        .collect();
    options.sort_by_key(|q| (q.cost.amount_minor, q.max_transit_days));
    options
}

fn combine(
    a: crate::catalog::ShippingQuote,
    b: crate::catalog::ShippingQuote,
) -> crate::catalog::ShippingQuote {
    let dearer = if b.cost.amount_minor > a.cost.amount_minor {
        &b
    } else {
        &a
    };
    crate::catalog::ShippingQuote {
        method: a.method.clone(),
        cost: dearer.cost,
        list_cost: if b.list_cost.amount_minor > a.list_cost.amount_minor {
            b.list_cost
        } else {
            a.list_cost
        },
        free_by_threshold: a.free_by_threshold && b.free_by_threshold,
        min_transit_days: a.min_transit_days.max(b.min_transit_days),
        max_transit_days: a.max_transit_days.max(b.max_transit_days),
        rest_of_world: a.rest_of_world || b.rest_of_world,
    }
}
