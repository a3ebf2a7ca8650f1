//! The listing-risk queries of the [`Store`](crate::Store) trait, written
//! once: held listings, the category price reference, fingerprint
//! candidates and brand proofs.

use haven_domain::catalog::{BrandApproval, Listing};
use haven_domain::ids::{ListingId, StoreId};

use super::read::{all, listing_row, one};
use super::{Backend, Core, sql};
use crate::{FingerprintMatch, Page, PageRequest, StoreResult, params};

impl<B: Backend> Core<B> {
    pub(super) async fn held_page(&self, page: &PageRequest) -> StoreResult<Page<Listing>> {
        self.queue_page(sql::LISTINGS_HELD, page, listing_row, |l| {
            (l.created_at, l.id.0)
        })
        .await
    }

    pub(super) async fn store_listings_page(
        &self,
        store: StoreId,
        page: &PageRequest,
    ) -> StoreResult<Page<Listing>> {
        self.page(
            sql::LISTINGS_OF_STORE,
            params![store.0],
            page,
            listing_row,
            |l| (l.created_at, l.id.0),
        )
        .await
    }

    pub(super) async fn price_reference(&self, category: &str) -> StoreResult<Option<(i64, i64)>> {
        let count = one(
            self.first(sql::CATEGORY_VISIBLE_COUNT, params![category])
                .await?,
            |r| r.int(0),
        )?
        .unwrap_or(0);
        if count == 0 {
            return Ok(None);
        }
        let median = one(
            self.first(sql::CATEGORY_PRICE_AT, params![category, count / 2])
                .await?,
            |r| r.int(0),
        )?;
        Ok(median.map(|m| (m, count)))
    }

    pub(super) async fn band_matches(
        &self,
        kind: &str,
        bands: &[(u8, i64)],
        store: StoreId,
        limit: u32,
    ) -> StoreResult<Vec<FingerprintMatch>> {
        let mut found: Vec<FingerprintMatch> = Vec::new();
        for (band, value) in bands {
            let params = params![kind, i64::from(*band), *value, store.0, limit];
            let rows = all(self.rows(sql::FINGERPRINT_MATCHES, params).await?, |r| {
                Ok(FingerprintMatch {
                    listing_id: ListingId(r.uuid(0)?),
                    store_id: StoreId(r.uuid(1)?),
                    signature: r.text(2)?,
                })
            })?;
            for row in rows {
                if !found.iter().any(|f| f.listing_id == row.listing_id) {
                    found.push(row);
                }
            }
        }
        Ok(found)
    }

    pub(super) async fn approval(
        &self,
        store: StoreId,
        brand_key: &str,
    ) -> StoreResult<Option<BrandApproval>> {
        one(
            self.first(sql::BRAND_APPROVAL, params![store.0, brand_key])
                .await?,
            |r| r.json(0),
        )
    }

    pub(super) async fn approvals_of(&self, store: StoreId) -> StoreResult<Vec<BrandApproval>> {
        all(
            self.rows(sql::BRAND_APPROVALS_OF, params![store.0]).await?,
            |r| r.json(0),
        )
    }

    pub(super) async fn pending_approvals(
        &self,
        page: &PageRequest,
    ) -> StoreResult<Page<BrandApproval>> {
        self.page(
            sql::BRAND_APPROVALS_PENDING,
            Vec::new(),
            page,
            |r| r.json(0),
            |a: &BrandApproval| (a.submitted_at, a.store_id.0),
        )
        .await
    }
}
