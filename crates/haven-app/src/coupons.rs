//! Issuing, claiming and listing coupons. The rules live in
//! `haven_domain::coupon`; redemption happens with the order (see
//! `pricing.rs`), and a cancelled or fully refunded order gives its coupons
//! back in the same transaction (`changeset_for`).

use haven_domain::Timestamp;
use haven_domain::account::{Role, VerificationLevel};
use haven_domain::coupon::{Coupon, CouponValue};
use haven_domain::ids::{CouponId, StoreId};
use haven_domain::money::Currency;
use haven_store::{Changeset, Page, PageRequest, StoredCoupon};

use crate::error::{AppError, AppResult, ErrorKind};
use crate::{Actor, App};

/// A coupon as its issuer describes it.
#[derive(Debug, Clone)]
pub struct NewCoupon {
    /// Issued by the platform (agents and admins), funded by the platform;
    /// otherwise by the caller's store, funded by the seller.
    pub platform: bool,
    pub title: String,
    pub code: Option<String>,
    pub claimable: bool,
    pub currency: Currency,
    pub value: CouponValue,
    pub min_order_minor: i64,
    /// Now when not given.
    pub starts_at: Option<Timestamp>,
    pub ends_at: Timestamp,
    pub total_limit: u32,
    pub per_buyer_limit: u32,
    pub category: Option<String>,
    /// A platform coupon for one store's items.
    pub for_store: Option<StoreId>,
}

impl App {
    /// Issue a coupon. Only verified sellers (identity checked) may fund
    /// coupons, so a throwaway store cannot farm buyers with them.
    pub async fn issue_coupon(&self, actor: &Actor, input: NewCoupon) -> AppResult<Coupon> {
        let store_id = self.coupon_issuer(actor, input.platform).await?;
        let now = self.now();
        let coupon = Coupon {
            id: CouponId::new(),
            title: input.title.trim().to_string(),
            code: input
                .code
                .as_deref()
                .map(haven_domain::coupon::normalise_code)
                .filter(|c| !c.is_empty()),
            claimable: input.claimable,
            store_id,
            currency: input.currency,
            value: input.value,
            min_order_minor: input.min_order_minor,
            starts_at: input.starts_at.unwrap_or(now),
            ends_at: input.ends_at,
            total_limit: input.total_limit,
            per_buyer_limit: input.per_buyer_limit,
            category: input.category.filter(|c| !c.trim().is_empty()),
            for_store: input.for_store.filter(|_| store_id.is_none()),
            created_by: actor.id(),
            created_at: now,
        };
        coupon.validate().map_err(
            |haven_domain::coupon::CouponError::Invalid { field, message }| {
                AppError::invalid_field(field, message)
            },
        )?;
        if coupon.ends_at <= now {
            return Err(AppError::invalid_field(
                "ends_at",
                "the coupon must end in the future",
            ));
        }
        self.store
            .commit(Changeset {
                coupons: vec![coupon.clone()],
                ..Changeset::default()
            })
            .await?;
        Ok(coupon)
    }

    /// Whose coupon this would be: `None` for the platform.
    async fn coupon_issuer(&self, actor: &Actor, platform: bool) -> AppResult<Option<StoreId>> {
        if platform {
            if !(actor.user.has_role(Role::Agent) || actor.user.has_role(Role::Admin)) {
                return Err(AppError::forbidden(
                    "platform coupons are issued by trust-and-safety agents and admins",
                ));
            }
            return Ok(None);
        }
        let store = actor.require_store()?;
        if actor.user.verification_level() != VerificationLevel::IdentityVerified {
            return Err(AppError::forbidden(
                "only verified sellers may issue coupons: verify your identity first",
            ));
        }
        self.refuse_if_suspended(store).await?;
        Ok(Some(store))
    }

    /// End a coupon now (its issuer, or an agent for any coupon).
    pub async fn end_coupon(&self, actor: &Actor, id: CouponId) -> AppResult<Coupon> {
        let stored = self
            .store
            .coupon(id)
            .await?
            .ok_or_else(|| AppError::not_found("coupon"))?;
        let mut coupon = stored.coupon;
        let agent = actor.user.has_role(Role::Agent) || actor.user.has_role(Role::Admin);
        let own = coupon.store_id.is_some() && coupon.store_id == actor.store_id;
        if !(agent || own) {
            return Err(AppError::not_found("coupon"));
        }
        let now = self.now();
        if coupon.ends_at <= now {
            return Ok(coupon);
        }
        coupon.ends_at = now.max(coupon.starts_at + haven_domain::SignedDuration::from_secs(1));
        self.store
            .commit(Changeset {
                coupon_updates: vec![coupon.clone()],
                ..Changeset::default()
            })
            .await?;
        Ok(coupon)
    }

    /// Claim a claimable coupon that is running and has redemptions left.
    /// Claiming twice is harmless.
    pub async fn claim_coupon(&self, actor: &Actor, id: CouponId) -> AppResult<StoredCoupon> {
        let stored = self
            .store
            .coupon(id)
            .await?
            .filter(|c| c.coupon.claimable)
            .ok_or_else(|| AppError::not_found("coupon"))?;
        let now = self.now();
        if now >= stored.coupon.ends_at {
            return Err(AppError::new(
                ErrorKind::CouponNotApplicable,
                "this coupon has expired",
            ));
        }
        if stored.redeemed >= i64::from(stored.coupon.total_limit) {
            return Err(AppError::new(
                ErrorKind::CouponExhausted,
                "this coupon has no redemptions left",
            ));
        }
        self.store
            .commit(Changeset {
                coupon_claims: vec![(id, actor.id(), now)],
                ..Changeset::default()
            })
            .await?;
        Ok(stored)
    }

    /// The coupons a buyer claimed and can still use.
    pub async fn my_coupons(&self, actor: &Actor) -> AppResult<Vec<StoredCoupon>> {
        let now = self.now();
        let claimed = self.store.claimed_coupons(actor.id(), 100).await?;
        let mut usable = Vec::new();
        for stored in claimed {
            let running = stored.coupon.starts_at <= now && now < stored.coupon.ends_at;
            let left = stored.redeemed < i64::from(stored.coupon.total_limit);
            let uses = self.store.coupon_uses(stored.coupon.id, actor.id()).await?;
            if running && left && uses < i64::from(stored.coupon.per_buyer_limit) {
                usable.push(stored);
            }
        }
        Ok(usable)
    }

    /// A store's claimable coupons that are running (the store page), or
    /// the platform's (`None`, the checkout page).
    pub async fn claimable_coupons(&self, store: Option<StoreId>) -> AppResult<Vec<StoredCoupon>> {
        let now = self.now();
        let page = self
            .store
            .coupons_of(store, &PageRequest::new(None, Some(50)))
            .await?;
        Ok(page
            .items
            .into_iter()
            .filter(|c| c.coupon.claimable && c.coupon.starts_at <= now && now < c.coupon.ends_at)
            .filter(|c| c.redeemed < i64::from(c.coupon.total_limit))
            .collect())
    }

    /// The platform's claimable coupons `actor` has not claimed yet.
    pub async fn platform_coupons_to_claim(&self, actor: &Actor) -> AppResult<Vec<StoredCoupon>> {
        let claimed = self.store.claimed_coupons(actor.id(), 100).await?;
        Ok(self
            .claimable_coupons(None)
            .await?
            .into_iter()
            .filter(|c| !claimed.iter().any(|m| m.coupon.id == c.coupon.id))
            .collect())
    }

    /// The coupons an issuer manages: the caller's store's, or (`platform`)
    /// the platform's.
    pub async fn issued_coupons(
        &self,
        actor: &Actor,
        platform: bool,
        page: &PageRequest,
    ) -> AppResult<Page<StoredCoupon>> {
        let store = if platform {
            self.require_agent(actor)?;
            None
        } else {
            Some(actor.require_store()?)
        };
        Ok(self.store.coupons_of(store, page).await?)
    }
}
