//! Catalog search, and trust and safety's listing holds and index rebuild.

use axum::Json;
use axum::extract::State;
use haven_app::search::CatalogResults;
use haven_domain::ids::{ListingId, StoreId};
use haven_domain::money::{Currency, Money};
use haven_search::{CountryCode, SearchQuery, Sort};
use serde::{Deserialize, Serialize};
use utoipa::{IntoParams, ToSchema};

use super::extract::{Auth, Path, Query, RawBody, parse_json, path_id};
use crate::error::{ApiError, ApiResult, ErrorBody};
use crate::views::{ListingView, MoneyView};

type AppState = State<std::sync::Arc<haven_app::App>>;

/// The search a buyer can ask for; the web page reads the same parameters
/// (and writes them back into its links).
#[derive(Debug, Deserialize, Serialize, IntoParams, Default, Clone)]
#[serde(deny_unknown_fields)]
pub struct SearchParams {
    /// Words (at most 200 characters). Typos and word forms are forgiven.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub q: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub category: Option<String>,
    /// Only this store's listings.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub store: Option<String>,
    /// Decimal amounts, e.g. `10.00`.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub price_min: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub price_max: Option<String>,
    /// ISO country the parcel leaves from.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub ships_from: Option<String>,
    /// The buyer's country: only listings that ship there, with delivery
    /// times and free shipping judged for it.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub to: Option<String>,
    /// Delivered within this many days (needs `to`).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub max_days: Option<u32>,
    /// Only Guaranteed Genuine listings.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub genuine: Option<bool>,
    /// Only sellers whose identity was verified.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub verified: Option<bool>,
    /// Only listings with a free shipping method (to `to`, if given).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub free_shipping: Option<bool>,
    /// Average stars at least this, e.g. `4.5`.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub min_rating: Option<String>,
    /// `best_match` (default), `orders`, `price_asc`, `price_desc`,
    /// `rating`, `newest`.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub sort: Option<String>,
    /// 0-1000.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub offset: Option<usize>,
    /// 1-100, default 24.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub limit: Option<usize>,
}

/// A parameter's text, if it says anything (an empty form field does not).
fn given(raw: &Option<String>) -> Option<&str> {
    raw.as_deref().map(str::trim).filter(|s| !s.is_empty())
}

fn country(raw: &Option<String>, field: &str) -> ApiResult<Option<CountryCode>> {
    let Some(raw) = given(raw) else {
        return Ok(None);
    };
    CountryCode::parse(&raw.to_ascii_uppercase())
        .map(Some)
        .ok_or_else(|| ApiError::validation(format!("{field} must be a two-letter country code")))
}

fn amount(raw: &Option<String>, field: &str, currency: Currency) -> ApiResult<Option<u64>> {
    let Some(raw) = given(raw) else {
        return Ok(None);
    };
    Money::parse_decimal(raw, currency)
        .ok()
        .and_then(|m| u64::try_from(m.amount_minor).ok())
        .map(Some)
        .ok_or_else(|| ApiError::validation(format!("{field} must be an amount like 19.99")))
}

fn stars_x100(raw: &Option<String>) -> ApiResult<Option<u32>> {
    let Some(raw) = given(raw) else {
        return Ok(None);
    };
    raw.parse::<f64>()
        .ok()
        .filter(|stars| (1.0..=5.0).contains(stars))
        .map(|stars| Some((stars * 100.0).round() as u32))
        .ok_or_else(|| ApiError::validation("min_rating must be 1-5 stars"))
}

impl SearchParams {
    pub fn to_query(&self, currency: Currency) -> ApiResult<SearchQuery> {
        let text = self.q.clone().unwrap_or_default();
        if text.chars().count() > haven_search::MAX_QUERY_CHARS {
            return Err(ApiError::validation("q must be at most 200 characters"));
        }
        let category = self.category.clone().filter(|c| !c.is_empty());
        if let Some(c) = &category
            && !haven_domain::catalog::CATEGORIES.contains(&c.as_str())
        {
            return Err(ApiError::validation(format!("unknown category '{c}'")));
        }
        let store_id = match self.store.as_deref().filter(|s| !s.is_empty()) {
            Some(raw) => Some(
                StoreId::parse(raw)
                    .ok_or_else(|| ApiError::validation("store must be a store id"))?
                    .0,
            ),
            None => None,
        };
        let sort = match self.sort.as_deref().filter(|s| !s.is_empty()) {
            None => Sort::BestMatch,
            Some(raw) => Sort::parse(raw).ok_or_else(|| {
                ApiError::validation(
                    "sort must be best_match, orders, price_asc, price_desc, rating or newest",
                )
            })?,
        };
        let offset = self.offset.unwrap_or(0);
        if offset > haven_search::MAX_OFFSET {
            return Err(ApiError::validation("offset must be 0-1000"));
        }
        let limit = self.limit.unwrap_or(24);
        if !(1..=haven_search::MAX_PAGE).contains(&limit) {
            return Err(ApiError::validation("limit must be 1-100"));
        }
        let deliver_to = country(&self.to, "to")?;
        if self.max_days.is_some() && deliver_to.is_none() {
            return Err(ApiError::validation(
                "max_days needs the destination country (to)",
            ));
        }
        Ok(SearchQuery {
            text,
            category,
            store_id,
            price_min_minor: amount(&self.price_min, "price_min", currency)?,
            price_max_minor: amount(&self.price_max, "price_max", currency)?,
            ships_from: country(&self.ships_from, "ships_from")?,
            deliver_to,
            max_delivery_days: self.max_days,
            guaranteed_genuine: self.genuine.unwrap_or(false),
            verified_seller: self.verified.unwrap_or(false),
            free_shipping: self.free_shipping.unwrap_or(false),
            min_rating_x100: stars_x100(&self.min_rating)?,
            sort,
            offset,
            limit,
        })
    }
}

#[derive(Debug, Serialize, ToSchema)]
pub struct CountView {
    pub value: String,
    pub count: u64,
}

#[derive(Debug, Serialize, ToSchema)]
pub struct PriceBucketView {
    pub min: MoneyView,
    /// Exclusive; absent for the open top bucket.
    pub max: Option<MoneyView>,
    pub count: u64,
}

#[derive(Debug, Serialize, ToSchema)]
pub struct ThresholdView {
    /// Days (delivery) or stars (rating).
    pub at: f64,
    pub count: u64,
}

/// How many of the matches each further choice would leave.
#[derive(Debug, Serialize, ToSchema)]
pub struct FacetsView {
    pub categories: Vec<CountView>,
    pub ships_from: Vec<CountView>,
    pub price: Vec<PriceBucketView>,
    /// Delivered within N days to `to` (empty without `to`).
    pub delivery_within_days: Vec<ThresholdView>,
    pub guaranteed_genuine: u64,
    pub verified_seller: u64,
    pub free_shipping: u64,
    /// Rated at least N stars.
    pub rating_at_least: Vec<ThresholdView>,
}

impl FacetsView {
    pub fn new(f: &haven_search::Facets, currency: Currency) -> FacetsView {
        let money = |minor: u64| MoneyView::from(Money::new(minor as i64, currency));
        let counts = |list: &[(String, u64)]| {
            list.iter()
                .map(|(value, count)| CountView {
                    value: value.clone(),
                    count: *count,
                })
                .collect()
        };
        FacetsView {
            categories: counts(&f.categories),
            ships_from: counts(&f.ships_from),
            price: f
                .price
                .iter()
                .map(|b| PriceBucketView {
                    min: money(b.min_minor),
                    max: b.max_minor.map(money),
                    count: b.count,
                })
                .collect(),
            delivery_within_days: f
                .delivery_within
                .iter()
                .map(|(days, count)| ThresholdView {
                    at: f64::from(*days),
                    count: *count,
                })
                .collect(),
            guaranteed_genuine: f.guaranteed_genuine,
            verified_seller: f.verified_seller,
            free_shipping: f.free_shipping,
            rating_at_least: f
                .rating_at_least
                .iter()
                .map(|(x100, count)| ThresholdView {
                    at: f64::from(*x100) / 100.0,
                    count: *count,
                })
                .collect(),
        }
    }
}

#[derive(Debug, Serialize, ToSchema)]
pub struct SearchView {
    /// Listings matching the words and every filter.
    pub total: u64,
    pub listings: Vec<ListingView>,
    /// Pass as `offset` for the next page; absent on the last page.
    pub next_offset: Option<usize>,
    pub facets: FacetsView,
}

impl SearchView {
    pub fn new(results: &CatalogResults, query: &SearchQuery, currency: Currency) -> SearchView {
        let next = query.offset + query.limit;
        SearchView {
            total: results.total,
            listings: results.listings.iter().map(ListingView::from).collect(),
            next_offset: (u64::try_from(next).unwrap_or(u64::MAX) < results.total
                && next <= haven_search::MAX_OFFSET)
                .then_some(next),
            facets: FacetsView::new(&results.facets, currency),
        }
    }
}

#[utoipa::path(get, path = "/api/v1/search", tag = "catalog", params(SearchParams),
    responses((status = 200, body = SearchView), (status = 422, body = ErrorBody)))]
pub async fn search(
    State(app): AppState,
    Query(params): Query<SearchParams>,
) -> ApiResult<Json<SearchView>> {
    let query = params.to_query(app.currency())?;
    let results = app.search_catalog(query.clone()).await?;
    Ok(Json(SearchView::new(&results, &query, app.currency())))
}

#[derive(Debug, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct HoldRequest {
    /// Required to hold; shown to the seller.
    #[serde(default)]
    pub reason: String,
}

#[utoipa::path(post, path = "/api/v1/console/listings/{id}/hold", tag = "console", params(("id" = String, Path)), request_body = HoldRequest,
    responses((status = 200, body = ListingView), (status = 403, body = ErrorBody), (status = 409, description = "Already held", body = ErrorBody)), security(("bearer" = [])))]
pub async fn hold(
    State(app): AppState,
    Auth(actor): Auth,
    Path(id): Path<String>,
    RawBody(body): RawBody,
) -> ApiResult<Json<ListingView>> {
    set_hold(&app, &actor, &id, &body, true).await
}

#[utoipa::path(post, path = "/api/v1/console/listings/{id}/release", tag = "console", params(("id" = String, Path)), request_body = HoldRequest,
    responses((status = 200, body = ListingView), (status = 403, body = ErrorBody), (status = 409, description = "Not held", body = ErrorBody)), security(("bearer" = [])))]
pub async fn release(
    State(app): AppState,
    Auth(actor): Auth,
    Path(id): Path<String>,
    RawBody(body): RawBody,
) -> ApiResult<Json<ListingView>> {
    set_hold(&app, &actor, &id, &body, false).await
}

async fn set_hold(
    app: &haven_app::App,
    actor: &haven_app::Actor,
    id: &str,
    body: &[u8],
    hold: bool,
) -> ApiResult<Json<ListingView>> {
    let req: HoldRequest = parse_json(body)?;
    let id: ListingId = path_id(id, "listing")?;
    let listing = app.set_listing_hold(actor, id, hold, &req.reason).await?;
    Ok(Json(ListingView::from(&listing)))
}

#[derive(Debug, Serialize, ToSchema)]
pub struct RebuildView {
    /// Listings now in this node's index.
    pub indexed: u64,
    /// The outbox position the index reflects.
    pub position: i64,
}

#[utoipa::path(post, path = "/api/v1/console/search/rebuild", tag = "console",
    responses((status = 200, body = RebuildView), (status = 403, body = ErrorBody)), security(("bearer" = [])))]
pub async fn rebuild(State(app): AppState, Auth(actor): Auth) -> ApiResult<Json<RebuildView>> {
    app.require_agent(&actor)?;
    let report = app.rebuild_search().await?;
    Ok(Json(RebuildView {
        indexed: report.rebuilt.unwrap_or(0),
        position: report.position,
    }))
}
