//! The cart, coupon and compare-sellers queries of the
//! [`Store`](crate::Store) trait, written once.

use haven_domain::catalog::Listing;
use haven_domain::ids::{CouponId, ListingId, StoreId, UserId};

use super::read::{all, listing_row, one};
use super::{Backend, Core, Row, sql};
use crate::{CartLine, Page, PageRequest, StoreResult, StoredCoupon, make_page, params};

fn coupon_row(r: &Row) -> StoreResult<StoredCoupon> {
    Ok(StoredCoupon {
        coupon: r.json(0)?,
        redeemed: r.int(1)?,
    })
}

impl<B: Backend> Core<B> {
    pub(super) async fn product_listings(
        &self,
        key: &str,
        limit: u32,
    ) -> StoreResult<Vec<Listing>> {
        all(
            self.rows(sql::LISTINGS_FOR_PRODUCT, params![key, limit])
                .await?,
            listing_row,
        )
    }

    pub(super) async fn cart_lines(&self, buyer: UserId) -> StoreResult<Vec<CartLine>> {
        let limit = haven_domain::cart::MAX_CART_LINES as i64 + 1;
        all(
            self.rows(sql::CART_LINES, params![buyer.0, limit]).await?,
            |r| {
                Ok(CartLine {
                    buyer_id: UserId(r.uuid(0)?),
                    listing_id: ListingId(r.uuid(1)?),
                    quantity: u32::try_from(r.int(2)?).unwrap_or(0),
                    added_at: r.time(3)?,
                })
            },
        )
    }

    pub(super) async fn coupon_row_by_id(&self, id: CouponId) -> StoreResult<Option<StoredCoupon>> {
        one(
            self.first(sql::COUPON_BY_ID, params![id.0]).await?,
            coupon_row,
        )
    }

    pub(super) async fn coupon_row_by_code(&self, code: &str) -> StoreResult<Option<StoredCoupon>> {
        one(
            self.first(sql::COUPON_BY_CODE, params![code]).await?,
            coupon_row,
        )
    }

    pub(super) async fn coupon_page(
        &self,
        store: Option<StoreId>,
        page: &PageRequest,
    ) -> StoreResult<Page<StoredCoupon>> {
        let (ms, id) = match page.position() {
            Some((ms, id)) => (ms, id.to_string()),
            None => (i64::MAX, String::new()),
        };
        let params = params![ms, id, store.map(|s| s.0.to_string()), page.limit + 1];
        let rows = all(self.rows(sql::COUPONS_OF_STORE, params).await?, coupon_row)?;
        Ok(make_page(rows, page.limit, |c: &StoredCoupon| {
            (c.coupon.created_at, c.coupon.id.0)
        }))
    }

    pub(super) async fn claimed(
        &self,
        buyer: UserId,
        limit: u32,
    ) -> StoreResult<Vec<StoredCoupon>> {
        all(
            self.rows(sql::CLAIMED_COUPONS, params![buyer.0, limit])
                .await?,
            coupon_row,
        )
    }

    pub(super) async fn redeemers_sharing(
        &self,
        coupon: CouponId,
        buyer: UserId,
        card_fp: Option<&str>,
        device_id: Option<&str>,
        address_key: &str,
    ) -> StoreResult<i64> {
        let params = params![
            coupon.0,
            buyer.0,
            card_fp.map(String::from),
            device_id.map(String::from),
            address_key
        ];
        let row = self.first(sql::COUPON_REDEEMERS_SHARING, params).await?;
        Ok(one(row, |r| r.int(0))?.unwrap_or(0))
    }

    pub(super) async fn store_bundles(
        &self,
        store: StoreId,
    ) -> StoreResult<Vec<haven_domain::bundle::Bundle>> {
        all(self.rows(sql::BUNDLES_OF, params![store.0]).await?, |r| {
            r.json(0)
        })
    }

    pub(super) async fn co_purchases(
        &self,
        listing: ListingId,
        limit: u32,
    ) -> StoreResult<Vec<(ListingId, i64)>> {
        all(
            self.rows(sql::ALSO_BOUGHT, params![listing.0, limit])
                .await?,
            |r| Ok((ListingId(r.uuid(0)?), r.int(1)?)),
        )
    }

    pub(super) async fn uses(&self, coupon: CouponId, buyer: UserId) -> StoreResult<i64> {
        let row = self
            .first(sql::COUPON_USES, params![coupon.0, buyer.0])
            .await?;
        Ok(one(row, |r| r.int(0))?.unwrap_or(0))
    }
}
