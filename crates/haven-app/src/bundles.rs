//! Bundle deals: a store offers 2-5 of its listings together at a bundle
//! price (the rules are `haven_domain::bundle`). Pricing applies the best
//! bundle an order's items make; the cart can take a whole bundle at once.

use haven_domain::bundle::Bundle;
use haven_domain::ids::{BundleId, ListingId, StoreId};
use haven_domain::money::Money;
use haven_store::Changeset;

use crate::error::{AppError, AppResult};
use crate::{Actor, App};

impl App {
    /// Offer a bundle of the caller's store's listings.
    pub async fn create_bundle(
        &self,
        actor: &Actor,
        title: &str,
        listings: Vec<ListingId>,
        price: Money,
    ) -> AppResult<Bundle> {
        let store = actor.require_store()?;
        let mut separately = Money::new(0, price.currency);
        for id in listings.iter().take(haven_domain::bundle::MAX_LISTINGS + 1) {
            let listing = self
                .store
                .listing(*id)
                .await?
                .filter(|l| l.store_id == store)
                .ok_or_else(|| {
                    AppError::invalid_field(
                        "listing_ids",
                        format!("{id} is not a listing of your store"),
                    )
                })?;
            separately = separately
                .checked_add(listing.price)
                .map_err(|e| AppError::validation(e.to_string()))?;
        }
        let bundle = Bundle {
            id: BundleId::new(),
            store_id: store,
            title: title.trim().to_string(),
            listings,
            price,
            created_at: self.now(),
            ended_at: None,
        };
        bundle.validate(separately).map_err(AppError::validation)?;
        self.save_bundle(&bundle).await?;
        Ok(bundle)
    }

    /// Stop offering a bundle (orders already placed keep theirs).
    pub async fn end_bundle(&self, actor: &Actor, id: BundleId) -> AppResult<Bundle> {
        let store = actor.require_store()?;
        let mut bundle = self
            .store
            .bundles_of(store)
            .await?
            .into_iter()
            .find(|b| b.id == id)
            .ok_or_else(|| AppError::not_found("bundle"))?;
        if bundle.ended_at.is_none() {
            bundle.ended_at = Some(self.now());
            self.save_bundle(&bundle).await?;
        }
        Ok(bundle)
    }

    async fn save_bundle(&self, bundle: &Bundle) -> AppResult<()> {
        let changes = Changeset {
            bundles: vec![bundle.clone()],
            ..Changeset::default()
        };
        Ok(self.store.commit(changes).await?)
    }

    /// A store's bundles on offer now.
    pub async fn active_bundles(&self, store: StoreId) -> AppResult<Vec<Bundle>> {
        Ok(self
            .store
            .bundles_of(store)
            .await?
            .into_iter()
            .filter(|b| b.ended_at.is_none())
            .collect())
    }

    /// Put one of each of a bundle's listings in the cart (lines already
    /// there keep their quantity).
    pub async fn add_bundle_to_cart(
        &self,
        actor: &Actor,
        store: StoreId,
        id: BundleId,
    ) -> AppResult<Bundle> {
        let bundle = self
            .active_bundles(store)
            .await?
            .into_iter()
            .find(|b| b.id == id)
            .ok_or_else(|| AppError::not_found("bundle"))?;
        let cart = self.store.cart(actor.id()).await?;
        for listing in &bundle.listings {
            if !cart.iter().any(|l| l.listing_id == *listing) {
                self.put_in_cart(actor, *listing, 1).await?;
            }
        }
        Ok(bundle)
    }
}
