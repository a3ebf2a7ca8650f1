//! Seller enforcement over the API: the seller's own standing and appeal;
//! the agents' queue, strikes and appeal decisions.

use axum::Json;
use axum::extract::State;
use haven_app::enforcement::Standing;
use haven_domain::enforcement::StoreEnforcement;
use haven_domain::ids::{OrderId, StoreId};
use serde::{Deserialize, Serialize};
use utoipa::ToSchema;

use super::extract::{Auth, PageParams, Path, Query, RawBody, parse_json, path_id};
use crate::error::{ApiError, ApiResult, ErrorBody};
use crate::views::PageView;

type AppState = State<std::sync::Arc<haven_app::App>>;

#[derive(Debug, Serialize, ToSchema)]
pub struct EnforcementView {
    pub store_id: String,
    /// `good`, `reserve` or `suspended`.
    pub level: String,
    /// Why, in plain words.
    pub reasons: Vec<String>,
    pub since: String,
    pub appeal: Option<String>,
    pub appeal_at: Option<String>,
    /// Every change of level: when, to what, by whom, why.
    #[schema(value_type = Vec<Object>)]
    pub history: Vec<serde_json::Value>,
    /// Set by confirmed fake tracking: releases stay in the reserve until
    /// an agent grants an appeal. Why, in plain words.
    pub releases_frozen: Option<String>,
}

impl From<&StoreEnforcement> for EnforcementView {
    fn from(r: &StoreEnforcement) -> Self {
        EnforcementView {
            store_id: r.store_id.to_string(),
            level: r.level.as_str().into(),
            reasons: r.reasons.clone(),
            since: r.since.to_string(),
            appeal: r.appeal.as_ref().map(|a| a.text.clone()),
            appeal_at: r.appeal.as_ref().map(|a| a.at.to_string()),
            history: r
                .history
                .iter()
                .filter_map(|h| serde_json::to_value(h).ok())
                .collect(),
            releases_frozen: r.releases_frozen.as_ref().map(|f| f.reason.clone()),
        }
    }
}

#[derive(Debug, Serialize, ToSchema)]
pub struct StandingView {
    pub enforcement: EnforcementView,
    /// Paid orders in the last 60 days (since a granted appeal, if later).
    pub orders_60d: i64,
    pub disputes_lost_60d: i64,
    pub chargebacks_60d: i64,
    pub strikes: i64,
    /// Order defect rate in basis points (100 = 1 %).
    pub defect_rate_bps: i64,
}

impl From<&Standing> for StandingView {
    fn from(s: &Standing) -> Self {
        StandingView {
            enforcement: EnforcementView::from(&s.record),
            orders_60d: s.metrics.orders,
            disputes_lost_60d: s.metrics.disputes_lost,
            chargebacks_60d: s.metrics.chargebacks,
            strikes: s.metrics.strikes,
            defect_rate_bps: s.defect_rate_bps,
        }
    }
}

fn own_store(actor: &haven_app::Actor) -> ApiResult<StoreId> {
    actor
        .store_id
        .ok_or_else(|| ApiError::new(haven_app::ErrorKind::Forbidden, "sellers only"))
}

#[utoipa::path(get, path = "/api/v1/seller/standing", tag = "seller",
    responses((status = 200, body = StandingView), (status = 403, body = ErrorBody)), security(("bearer" = [])))]
pub async fn my_standing(State(app): AppState, Auth(actor): Auth) -> ApiResult<Json<StandingView>> {
    let store = own_store(&actor)?;
    Ok(Json(StandingView::from(
        &app.standing(&actor, store).await?,
    )))
}

#[derive(Debug, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct AppealRequest {
    /// Why the enforcement should be lifted (up to 4,000 characters).
    pub text: String,
}

#[utoipa::path(post, path = "/api/v1/seller/standing/appeal", tag = "seller", request_body = AppealRequest,
    responses((status = 200, body = EnforcementView), (status = 403, body = ErrorBody), (status = 409, description = "Good standing, or an appeal already waits", body = ErrorBody), (status = 422, body = ErrorBody)), security(("bearer" = [])))]
pub async fn appeal(
    State(app): AppState,
    Auth(actor): Auth,
    RawBody(body): RawBody,
) -> ApiResult<Json<EnforcementView>> {
    let req: AppealRequest = parse_json(&body)?;
    let record = app.appeal_enforcement(&actor, &req.text).await?;
    Ok(Json(EnforcementView::from(&record)))
}

#[utoipa::path(get, path = "/api/v1/console/enforcement", tag = "console", params(PageParams),
    responses((status = 200, body = PageView<EnforcementView>), (status = 403, body = ErrorBody)), security(("bearer" = [])))]
pub async fn queue(
    State(app): AppState,
    Auth(actor): Auth,
    Query(params): Query<PageParams>,
) -> ApiResult<Json<PageView<EnforcementView>>> {
    let page = app.enforcement_queue(&actor, &params.request()?).await?;
    Ok(Json(PageView {
        items: page.items.iter().map(EnforcementView::from).collect(),
        next_cursor: page.next_cursor,
    }))
}

#[utoipa::path(get, path = "/api/v1/console/enforcement/{store_id}", tag = "console", params(("store_id" = String, Path)),
    responses((status = 200, body = StandingView), (status = 403, body = ErrorBody), (status = 404, body = ErrorBody)), security(("bearer" = [])))]
pub async fn standing(
    State(app): AppState,
    Auth(actor): Auth,
    Path(store_id): Path<String>,
) -> ApiResult<Json<StandingView>> {
    let store: StoreId = path_id(&store_id, "store")?;
    app.require_agent(&actor)?;
    if app.store.shop(store).await?.is_none() {
        return Err(ApiError::not_found("store"));
    }
    Ok(Json(StandingView::from(
        &app.standing(&actor, store).await?,
    )))
}

#[derive(Debug, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct StrikeRequest {
    /// What was confirmed, e.g. "tracking number belongs to another parcel".
    pub reason: String,
    pub order_id: Option<String>,
    /// The strike is confirmed fake tracking: the store's releases are
    /// also frozen (kept in the reserve) until an agent grants an appeal.
    #[serde(default)]
    pub fake_tracking: bool,
}

#[utoipa::path(post, path = "/api/v1/console/enforcement/{store_id}/strikes", tag = "console", params(("store_id" = String, Path)), request_body = StrikeRequest,
    responses((status = 200, description = "Recorded; the store's standing after it", body = StandingView), (status = 403, body = ErrorBody), (status = 404, body = ErrorBody), (status = 422, body = ErrorBody)), security(("bearer" = [])))]
pub async fn strike(
    State(app): AppState,
    Auth(actor): Auth,
    Path(store_id): Path<String>,
    RawBody(body): RawBody,
) -> ApiResult<Json<StandingView>> {
    let req: StrikeRequest = parse_json(&body)?;
    let store: StoreId = path_id(&store_id, "store")?;
    let order: Option<OrderId> = req
        .order_id
        .as_deref()
        .map(|id| path_id(id, "order"))
        .transpose()?;
    let standing = app
        .record_strike(&actor, store, order, &req.reason, req.fake_tracking)
        .await?;
    Ok(Json(StandingView::from(&standing)))
}

#[derive(Debug, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct AppealDecision {
    pub grant: bool,
    #[serde(default)]
    pub note: String,
}

#[utoipa::path(post, path = "/api/v1/console/enforcement/{store_id}/appeal", tag = "console", params(("store_id" = String, Path)), request_body = AppealDecision,
    responses((status = 200, body = EnforcementView), (status = 403, body = ErrorBody), (status = 409, description = "No appeal waiting", body = ErrorBody)), security(("bearer" = [])))]
pub async fn decide_appeal(
    State(app): AppState,
    Auth(actor): Auth,
    Path(store_id): Path<String>,
    RawBody(body): RawBody,
) -> ApiResult<Json<EnforcementView>> {
    let req: AppealDecision = parse_json(&body)?;
    let store: StoreId = path_id(&store_id, "store")?;
    let record = app
        .decide_appeal(&actor, store, req.grant, &req.note)
        .await?;
    Ok(Json(EnforcementView::from(&record)))
}
