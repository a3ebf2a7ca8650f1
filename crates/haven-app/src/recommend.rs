//! Recommendations: "customers who bought this also bought", from the
//! co-purchase graph of completed orders only (an order refunded later
//! leaves it, and orders whose review integrity removed the review are
//! left out, so a brushing ring cannot buy its way into recommendations).

use haven_domain::catalog::Listing;
use haven_domain::ids::ListingId;

use crate::App;
use crate::error::AppResult;

/// Recommendations shown at most.
pub const MAX_RECOMMENDATIONS: u32 = 12;

impl App {
    /// Listings other buyers of `listing` also bought, most buyers first;
    /// held listings and suspended stores are left out.
    pub async fn also_bought(&self, listing: ListingId, limit: u32) -> AppResult<Vec<Listing>> {
        let limit = limit.clamp(1, MAX_RECOMMENDATIONS);
        // Ask for more than shown: some may be held or their store suspended.
        let candidates = self.store.also_bought(listing, limit * 2).await?;
        let mut found = Vec::new();
        for (id, _buyers) in candidates {
            let Some(other) = self.store.listing(id).await? else {
                continue;
            };
            if !other.is_offered() || self.refuse_if_suspended(other.store_id).await.is_err() {
                continue;
            }
            found.push(other);
            if found.len() == limit as usize {
                break;
            }
        }
        Ok(found)
    }
}
