//! Coupons: issued by verified sellers or the platform, claimed by buyers,
//! redeemed at checkout (see `cart.rs` and `POST /api/v1/orders`).

use std::sync::Arc;

use axum::Json;
use axum::extract::State;
use axum::http::StatusCode;
use haven_app::App;
use haven_app::coupons::NewCoupon;
use haven_domain::coupon::{Coupon, CouponValue};
use haven_domain::ids::{CouponId, StoreId};
use haven_domain::money::{Currency, Money};
use haven_store::StoredCoupon;
use serde::{Deserialize, Serialize};
use utoipa::{IntoParams, ToSchema};

use super::extract::{Auth, PageParams, Path, Query, RawBody, parse_json, path_id};
use super::handlers::{instant, money};
use crate::error::{ApiError, ApiResult, ErrorBody};
use crate::views::{MoneyView, PageView};

type AppState = State<Arc<App>>;

#[derive(Debug, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct NewCouponRequest {
    /// Issue a platform coupon (agents and admins; the platform funds it).
    /// Otherwise the caller's store issues it and funds it (verified
    /// sellers only).
    #[serde(default)]
    pub platform: bool,
    pub title: String,
    /// 4-24 letters, digits or dashes (stored upper case). Without a code
    /// the coupon must be claimable.
    pub code: Option<String>,
    /// Buyers can claim it from the store page and pick it at checkout.
    #[serde(default)]
    pub claimable: bool,
    /// A fixed amount off the covered items ...
    pub amount_off: Option<MoneyView>,
    /// ... or a percent (1-90) off them, capped at `max_off`.
    pub percent_off: Option<u32>,
    pub max_off: Option<MoneyView>,
    /// The covered items must come to at least this ("3.00 off 20.00").
    pub min_order: MoneyView,
    /// RFC 3339; now when absent.
    pub starts_at: Option<String>,
    pub ends_at: String,
    /// Redemptions in all (1-1,000,000).
    pub total_limit: u32,
    /// Redemptions per buyer (1-100).
    #[serde(default = "one")]
    pub per_buyer_limit: u32,
    /// Only items of this category count.
    pub category: Option<String>,
    /// A platform coupon for one store's items only.
    pub for_store: Option<String>,
}

fn one() -> u32 {
    1
}

#[derive(Debug, Serialize, ToSchema)]
pub struct CouponView {
    pub id: String,
    pub title: String,
    pub code: Option<String>,
    pub claimable: bool,
    /// platform or seller
    pub funded_by: String,
    pub store_id: Option<String>,
    /// "3.00 off 20.00", "10% off (up to 5.00) from 30.00"
    pub terms: String,
    pub min_order: MoneyView,
    pub starts_at: String,
    pub ends_at: String,
    pub total_limit: u32,
    pub per_buyer_limit: u32,
    /// Redemptions that count (released ones do not).
    pub redeemed: i64,
    pub category: Option<String>,
    pub for_store: Option<String>,
}

fn ts(at: haven_domain::Timestamp) -> String {
    at.strftime("%Y-%m-%dT%H:%M:%SZ").to_string()
}

pub fn coupon_view(c: &Coupon, redeemed: i64) -> CouponView {
    CouponView {
        id: c.id.to_string(),
        title: c.title.clone(),
        code: c.code.clone(),
        claimable: c.claimable,
        funded_by: haven_domain::wire_name(&c.funder()),
        store_id: c.store_id.map(|s| s.to_string()),
        terms: c.describe(),
        min_order: Money::new(c.min_order_minor, c.currency).into(),
        starts_at: ts(c.starts_at),
        ends_at: ts(c.ends_at),
        total_limit: c.total_limit,
        per_buyer_limit: c.per_buyer_limit,
        redeemed,
        category: c.category.clone(),
        for_store: c.for_store.map(|s| s.to_string()),
    }
}

impl From<&StoredCoupon> for CouponView {
    fn from(s: &StoredCoupon) -> Self {
        coupon_view(&s.coupon, s.redeemed)
    }
}

fn value_of(req: &NewCouponRequest, currency: Currency) -> ApiResult<CouponValue> {
    let in_currency = |view: &MoneyView| -> ApiResult<i64> {
        let amount = money(view)?;
        if amount.currency != currency {
            return Err(ApiError::validation("all amounts must be in one currency"));
        }
        Ok(amount.amount_minor)
    };
    match (&req.amount_off, req.percent_off, &req.max_off) {
        (Some(off), None, None) => Ok(CouponValue::Fixed {
            off_minor: in_currency(off)?,
        }),
        (None, Some(percent), Some(cap)) => Ok(CouponValue::Percent {
            percent,
            cap_minor: in_currency(cap)?,
        }),
        _ => Err(ApiError::validation(
            "give amount_off, or percent_off with max_off",
        )),
    }
}

pub fn new_coupon(req: NewCouponRequest) -> ApiResult<NewCoupon> {
    let min_order = money(&req.min_order)?;
    let value = value_of(&req, min_order.currency)?;
    Ok(NewCoupon {
        platform: req.platform,
        title: req.title,
        code: req.code,
        claimable: req.claimable,
        currency: min_order.currency,
        value,
        min_order_minor: min_order.amount_minor,
        starts_at: req
            .starts_at
            .as_deref()
            .map(|raw| instant(raw, "starts_at"))
            .transpose()?,
        ends_at: instant(&req.ends_at, "ends_at")?,
        total_limit: req.total_limit,
        per_buyer_limit: req.per_buyer_limit,
        category: req.category,
        for_store: req
            .for_store
            .as_deref()
            .map(|raw| path_id::<StoreId>(raw, "store"))
            .transpose()?,
    })
}

#[utoipa::path(post, path = "/api/v1/coupons", tag = "coupons", request_body = NewCouponRequest,
    responses((status = 201, body = CouponView), (status = 403, description = "Not a verified seller (or not an agent, for a platform coupon)", body = ErrorBody),
              (status = 409, description = "The code is taken", body = ErrorBody), (status = 422, body = ErrorBody)), security(("bearer" = [])))]
pub async fn issue(
    State(app): AppState,
    Auth(actor): Auth,
    RawBody(body): RawBody,
) -> ApiResult<(StatusCode, Json<CouponView>)> {
    let req: NewCouponRequest = parse_json(&body)?;
    let coupon = app.issue_coupon(&actor, new_coupon(req)?).await?;
    Ok((StatusCode::CREATED, Json(coupon_view(&coupon, 0))))
}

#[derive(Debug, Deserialize, IntoParams)]
pub struct IssuedParams {
    /// The platform's coupons (agents) instead of the caller's store's.
    #[serde(default)]
    pub platform: bool,
    pub cursor: Option<String>,
    pub limit: Option<u32>,
}

#[utoipa::path(get, path = "/api/v1/coupons", tag = "coupons", params(IssuedParams),
    responses((status = 200, body = PageView<CouponView>), (status = 403, body = ErrorBody)), security(("bearer" = [])))]
pub async fn issued(
    State(app): AppState,
    Auth(actor): Auth,
    Query(params): Query<IssuedParams>,
) -> ApiResult<Json<PageView<CouponView>>> {
    let page = PageParams {
        cursor: params.cursor,
        limit: params.limit,
    }
    .request()?;
    let found = app.issued_coupons(&actor, params.platform, &page).await?;
    Ok(Json(PageView {
        items: found.items.iter().map(CouponView::from).collect(),
        next_cursor: found.next_cursor,
    }))
}

#[utoipa::path(post, path = "/api/v1/coupons/{id}/end", tag = "coupons", params(("id" = String, Path)),
    responses((status = 200, body = CouponView), (status = 404, body = ErrorBody)), security(("bearer" = [])))]
pub async fn end(
    State(app): AppState,
    Auth(actor): Auth,
    Path(id): Path<String>,
) -> ApiResult<Json<CouponView>> {
    let id: CouponId = path_id(&id, "coupon")?;
    let coupon = app.end_coupon(&actor, id).await?;
    let redeemed = app.store.coupon(id).await?.map_or(0, |c| c.redeemed);
    Ok(Json(coupon_view(&coupon, redeemed)))
}

#[utoipa::path(post, path = "/api/v1/coupons/{id}/claim", tag = "coupons", params(("id" = String, Path)),
    responses((status = 200, body = CouponView), (status = 404, body = ErrorBody), (status = 409, body = ErrorBody), (status = 422, body = ErrorBody)), security(("bearer" = [])))]
pub async fn claim(
    State(app): AppState,
    Auth(actor): Auth,
    Path(id): Path<String>,
) -> ApiResult<Json<CouponView>> {
    let id: CouponId = path_id(&id, "coupon")?;
    let stored = app.claim_coupon(&actor, id).await?;
    Ok(Json(CouponView::from(&stored)))
}

#[derive(Debug, Serialize, ToSchema)]
pub struct CouponListView {
    pub items: Vec<CouponView>,
}

#[utoipa::path(get, path = "/api/v1/me/coupons", tag = "coupons",
    responses((status = 200, description = "Claimed coupons still usable", body = CouponListView)), security(("bearer" = [])))]
pub async fn mine(State(app): AppState, Auth(actor): Auth) -> ApiResult<Json<CouponListView>> {
    let found = app.my_coupons(&actor).await?;
    Ok(Json(CouponListView {
        items: found.iter().map(CouponView::from).collect(),
    }))
}

#[utoipa::path(get, path = "/api/v1/stores/{id}/coupons", tag = "coupons", params(("id" = String, Path)),
    responses((status = 200, description = "The store's claimable coupons, running now", body = CouponListView), (status = 404, body = ErrorBody)))]
pub async fn of_store(
    State(app): AppState,
    Path(id): Path<String>,
) -> ApiResult<Json<CouponListView>> {
    let store: StoreId = path_id(&id, "store")?;
    let found = app.claimable_coupons(Some(store)).await?;
    Ok(Json(CouponListView {
        items: found.iter().map(CouponView::from).collect(),
    }))
}

#[derive(Debug, Serialize, ToSchema)]
pub struct RewardsView {
    /// Rewards not yet turned into credit (1 point = 1 minor unit).
    pub balance: MoneyView,
    /// Buyer credit, which checkout spends with `use_credit`.
    pub credit: MoneyView,
}

async fn rewards_view(app: &App, actor: &haven_app::Actor) -> ApiResult<RewardsView> {
    let balance = app.rewards_balance(actor).await?;
    let account = haven_domain::ledger::Account::BuyerCredit(actor.id()).to_string();
    let credit = app
        .store
        .balance(&account, balance.currency.as_str())
        .await?;
    Ok(RewardsView {
        balance: balance.into(),
        credit: Money::new(credit, balance.currency).into(),
    })
}

#[utoipa::path(get, path = "/api/v1/me/rewards", tag = "coupons",
    responses((status = 200, body = RewardsView)), security(("bearer" = [])))]
pub async fn rewards(State(app): AppState, Auth(actor): Auth) -> ApiResult<Json<RewardsView>> {
    Ok(Json(rewards_view(&app, &actor).await?))
}

#[derive(Debug, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct RedeemRequest {
    /// How much to turn into credit; all of it when absent.
    pub amount_minor: Option<i64>,
}

#[utoipa::path(post, path = "/api/v1/me/rewards/redeem", tag = "coupons", request_body = RedeemRequest,
    responses((status = 200, description = "Turned into buyer credit", body = RewardsView), (status = 409, description = "More than the balance", body = ErrorBody), (status = 422, body = ErrorBody)), security(("bearer" = [])))]
pub async fn redeem(
    State(app): AppState,
    Auth(actor): Auth,
    RawBody(body): RawBody,
) -> ApiResult<Json<RewardsView>> {
    let req: RedeemRequest = parse_json(&body)?;
    app.redeem_rewards(&actor, req.amount_minor).await?;
    Ok(Json(rewards_view(&app, &actor).await?))
}
