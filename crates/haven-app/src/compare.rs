//! Compare sellers: listings of the same product (the product key sellers
//! give, brand and model or a GTIN) from different stores, side by side
//! with what each costs delivered to the buyer's country, when it would
//! arrive and each store's trust summary.

use haven_domain::Timestamp;
use haven_domain::catalog::{Listing, ShippingQuote};
use haven_domain::ids::ListingId;
use haven_domain::money::Money;

use crate::App;
use crate::error::{AppError, AppResult};
use crate::reputation::StoreReputation;

/// Offers compared at most.
const MAX_OFFERS: u32 = 50;

/// One store's offer of the product.
#[derive(Debug, Clone)]
pub struct Offer {
    pub listing: Listing,
    pub store_name: String,
    pub reputation: StoreReputation,
    /// The price of one unit now (a running flash deal's).
    pub price: Money,
    /// The cheapest way to the buyer's country; `None` when the listing
    /// does not ship there (or no country was given).
    pub shipping: Option<ShippingQuote>,
    /// Price plus shipping, when it ships there.
    pub delivered: Option<Money>,
    /// The latest date delivery is promised for, ordering now.
    pub arrives_by: Option<Timestamp>,
}

impl App {
    /// Every offer of the product `listing` sells (itself included),
    /// cheapest delivered first; offers that do not ship to `country` last.
    /// A listing without a product key is compared with nothing.
    pub async fn compare_sellers(
        &self,
        listing: ListingId,
        country: Option<&str>,
    ) -> AppResult<Vec<Offer>> {
        let listing = self
            .store
            .listing(listing)
            .await?
            .ok_or_else(|| AppError::not_found("listing"))?;
        let listings = match &listing.product_key {
            Some(key) => self.store.listings_for_product(key, MAX_OFFERS).await?,
            None => vec![listing],
        };
        let country = country.map(|c| c.trim().to_ascii_uppercase());
        let mut offers = Vec::with_capacity(listings.len());
        for listing in listings {
            offers.push(self.offer(listing, country.as_deref()).await?);
        }
        offers.sort_by_key(|o| {
            (
                o.delivered.is_none(),
                o.delivered.map_or(o.price.amount_minor, |d| d.amount_minor),
                o.arrives_by,
            )
        });
        Ok(offers)
    }

    async fn offer(&self, listing: Listing, country: Option<&str>) -> AppResult<Offer> {
        let now = self.now();
        let (reputation, store_name) = self.cached_reputation(listing.store_id).await?;
        let (price, _) = listing.price_at(now, 1, true);
        let shipping = country.and_then(|c| listing.quotes_to(c, price).into_iter().next());
        let delivered = shipping
            .as_ref()
            .and_then(|q| price.checked_add(q.cost).ok());
        let arrives_by = shipping.as_ref().map(|q| {
            let days = i64::from(listing.ship_by_days) + i64::from(q.max_transit_days);
            now + haven_domain::SignedDuration::from_hours(24 * days)
        });
        Ok(Offer {
            listing,
            store_name,
            reputation,
            price,
            shipping,
            delivered,
            arrives_by,
        })
    }
}
