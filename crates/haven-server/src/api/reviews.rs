//! Reviews and reputation over the API: buyers review completed orders,
//! sellers rate buyers and reply, anyone reads a store's trust panel and
//! reviews; agents moderate held reviews and decide review-integrity cases.

use axum::Json;
use axum::extract::State;
use axum::http::StatusCode;
use haven_app::reputation::{OrderReviewState, ReviewInput, StoreReputation};
use haven_domain::ids::{OrderId, StoreId};
use haven_domain::reputation::{BuyerRating, Moderation, Review};
use haven_store::{CaseStatus, IntegrityCase, ReviewFilter};
use serde::{Deserialize, Serialize};
use utoipa::{IntoParams, ToSchema};

use super::extract::{Auth, PageParams, Path, Query, RawBody, parse_json, path_id};
use crate::error::{ApiError, ApiResult, ErrorBody};
use crate::views::PageView;

type AppState = State<std::sync::Arc<haven_app::App>>;

#[derive(Debug, Serialize, ToSchema)]
pub struct ReplyView {
    pub text: String,
    pub at: String,
}

#[derive(Debug, Serialize, ToSchema)]
pub struct RevisionView {
    pub rating: u8,
    pub text: String,
    /// When it was replaced by the edit.
    pub replaced_at: String,
}

/// A review. `status` is `published`, `pending` (blind: waiting for the
/// seller's rating or 7 days), `held` (an agent must look at it first),
/// `rejected`, or `removed` (by review integrity: kept but not counted;
/// its text and photos are not shown to others).
#[derive(Debug, Serialize, ToSchema)]
pub struct ReviewView {
    pub id: String,
    pub order_id: String,
    pub store_id: String,
    pub listing_id: String,
    pub listing_title: String,
    pub status: String,
    pub rating: u8,
    pub text: String,
    /// Photo URLs.
    pub photos: Vec<String>,
    pub item_as_described: Option<u8>,
    pub communication: Option<u8>,
    pub shipping_speed: Option<u8>,
    pub verified_purchase: bool,
    pub created_at: String,
    pub published_at: Option<String>,
    pub editable_until: String,
    /// Earlier versions (the buyer may edit once).
    pub revisions: Vec<RevisionView>,
    pub reply: Option<ReplyView>,
    /// Why it was removed or held, for its author and agents.
    pub reasons: Vec<String>,
}

pub fn review_status(r: &Review) -> &'static str {
    if r.is_removed() && r.is_public() {
        return "removed";
    }
    match (&r.moderation, r.published_at) {
        (Moderation::Held { .. }, _) => "held",
        (Moderation::Rejected { .. }, _) => "rejected",
        (Moderation::Clear, Some(_)) => "published",
        (Moderation::Clear, None) => "pending",
    }
}

impl ReviewView {
    /// `full`: the author's or an agent's view (reasons, held text).
    pub fn new(r: &Review, full: bool) -> ReviewView {
        let status = review_status(r);
        let hide = status == "removed" && !full;
        let mut reasons = Vec::new();
        if full {
            if let Moderation::Held { reasons: held } = &r.moderation {
                reasons.extend(held.iter().cloned());
            }
            if let Some(flag) = r.integrity.as_ref() {
                reasons.extend(flag.reasons.iter().cloned());
            }
        }
        let reply = r
            .reply
            .as_ref()
            .filter(|reply| full || reply.moderation.is_clear())
            .map(|reply| ReplyView {
                text: reply.text.clone(),
                at: reply.at.to_string(),
            });
        ReviewView {
            id: r.id.to_string(),
            order_id: r.order_id.to_string(),
            store_id: r.store_id.to_string(),
            listing_id: r.listing_id.to_string(),
            listing_title: r.listing_title.clone(),
            status: status.into(),
            rating: r.rating.get(),
            text: if hide { String::new() } else { r.text.clone() },
            photos: if hide {
                Vec::new()
            } else {
                r.photos.iter().map(|h| format!("/media/{h}")).collect()
            },
            item_as_described: r.detailed.item_as_described.map(|s| s.get()),
            communication: r.detailed.communication.map(|s| s.get()),
            shipping_speed: r.detailed.shipping_speed.map(|s| s.get()),
            verified_purchase: true,
            created_at: r.created_at.to_string(),
            published_at: r.published_at.map(|t| t.to_string()),
            editable_until: r.editable_until.to_string(),
            revisions: r
                .revisions
                .iter()
                .map(|v| RevisionView {
                    rating: v.rating.get(),
                    text: if hide { String::new() } else { v.text.clone() },
                    replaced_at: v.at.to_string(),
                })
                .collect(),
            reply,
            reasons,
        }
    }
}

#[derive(Debug, Serialize, ToSchema)]
pub struct BuyerRatingView {
    pub order_id: String,
    pub rating: u8,
    pub note: String,
    pub created_at: String,
    /// Unset while blind.
    pub published_at: Option<String>,
}

impl From<&BuyerRating> for BuyerRatingView {
    fn from(r: &BuyerRating) -> Self {
        BuyerRatingView {
            order_id: r.order_id.to_string(),
            rating: r.rating.get(),
            note: r.note.clone(),
            created_at: r.created_at.to_string(),
            published_at: r.published_at.map(|t| t.to_string()),
        }
    }
}

/// Where reviewing an order stands, for its buyer or seller.
#[derive(Debug, Serialize, ToSchema)]
pub struct OrderReviewView {
    /// Set while the buyer may still leave a review.
    pub can_review_until: Option<String>,
    pub review: Option<ReviewView>,
    pub can_rate_buyer: bool,
    pub buyer_rating: Option<BuyerRatingView>,
    /// For the seller only: how sellers rated this buyer (published
    /// ratings), e.g. "4.8★ from 12 sellers' ratings".
    pub buyer_summary: Option<BuyerSummaryView>,
}

#[derive(Debug, Serialize, ToSchema)]
pub struct BuyerSummaryView {
    pub ratings: i64,
    /// Average stars to one decimal; unset without ratings.
    pub average: Option<f64>,
    /// In words, for people.
    pub text: String,
}

impl BuyerSummaryView {
    pub fn new((ratings, stars): (i64, i64)) -> Self {
        let average = (ratings > 0).then(|| (stars * 10 / ratings) as f64 / 10.0);
        let text = match average {
            Some(avg) => format!(
                "Sellers rated this buyer {avg:.1}★ on average ({ratings} rating{})",
                if ratings == 1 { "" } else { "s" }
            ),
            None => "No seller has rated this buyer yet".to_string(),
        };
        BuyerSummaryView {
            ratings,
            average,
            text,
        }
    }
}

impl OrderReviewView {
    fn new(state: &OrderReviewState, author: bool) -> Self {
        OrderReviewView {
            can_review_until: state.can_review_until.map(|t| t.to_string()),
            review: state.review.as_ref().map(|r| ReviewView::new(r, author)),
            can_rate_buyer: state.can_rate_buyer,
            buyer_rating: state.buyer_rating.as_ref().map(BuyerRatingView::from),
            buyer_summary: state.buyer_summary.map(BuyerSummaryView::new),
        }
    }
}

#[derive(Debug, Serialize, ToSchema)]
pub struct MetricView {
    pub key: String,
    pub label: String,
    /// In words; unset when there is nothing to compute it from yet.
    pub value: Option<String>,
    /// How it is computed.
    pub how: String,
}

/// A store's trust panel.
#[derive(Debug, Serialize, ToSchema)]
pub struct ReputationView {
    pub store_id: String,
    /// Combines the signals, never rating alone.
    pub summary: String,
    pub metrics: Vec<MetricView>,
    /// Counted reviews by star, 1★ first.
    pub star_counts: Vec<i64>,
    pub reviews_counted: i64,
    /// 4-5★ share over the trailing 6 months, in basis points.
    pub positive_bps: Option<i64>,
    pub badges: Vec<String>,
}

impl From<&StoreReputation> for ReputationView {
    fn from(r: &StoreReputation) -> Self {
        let mut badges = Vec::new();
        if r.verified {
            badges.push("verified".into());
        }
        if r.top_seller {
            badges.push("top_seller".into());
        }
        ReputationView {
            store_id: r.store_id.to_string(),
            summary: r.summary.clone(),
            metrics: r
                .explained
                .iter()
                .map(|m| MetricView {
                    key: m.key.into(),
                    label: m.label.into(),
                    value: m.value.clone(),
                    how: m.how.into(),
                })
                .collect(),
            star_counts: r.metrics.star_counts.to_vec(),
            reviews_counted: r.metrics.reviews_counted,
            positive_bps: r.metrics.positive_bps,
            badges,
        }
    }
}

#[derive(Debug, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct ReviewRequest {
    /// 1 to 5.
    pub rating: u8,
    /// Up to 2,000 characters.
    #[serde(default)]
    pub text: String,
    /// Up to 6 image hashes from `POST /api/v1/media`.
    #[serde(default)]
    pub photos: Vec<String>,
    pub item_as_described: Option<u8>,
    pub communication: Option<u8>,
    pub shipping_speed: Option<u8>,
}

fn order_path(id: &str) -> ApiResult<OrderId> {
    path_id(id, "order")
}

fn review_path(id: &str) -> ApiResult<uuid::Uuid> {
    uuid::Uuid::parse_str(id).map_err(|_| ApiError::not_found("review"))
}

#[utoipa::path(post, path = "/api/v1/orders/{id}/review", tag = "reviews", params(("id" = String, Path)), request_body = ReviewRequest,
    responses((status = 201, body = ReviewView), (status = 403, description = "A seller reviewing its own store", body = ErrorBody), (status = 409, description = "Not completed, too late, or reviewed already", body = ErrorBody), (status = 422, body = ErrorBody)), security(("bearer" = [])))]
pub async fn leave(
    State(app): AppState,
    Auth(actor): Auth,
    Path(id): Path<String>,
    RawBody(body): RawBody,
) -> ApiResult<(StatusCode, Json<ReviewView>)> {
    let req: ReviewRequest = parse_json(&body)?;
    let order = order_path(&id)?;
    let input = ReviewInput {
        rating: req.rating,
        text: req.text,
        photos: req.photos,
        item_as_described: req.item_as_described,
        communication: req.communication,
        shipping_speed: req.shipping_speed,
    };
    let review = app.leave_review(&actor, order, input).await?;
    Ok((StatusCode::CREATED, Json(ReviewView::new(&review, true))))
}

#[utoipa::path(get, path = "/api/v1/orders/{id}/review", tag = "reviews", params(("id" = String, Path)),
    responses((status = 200, body = OrderReviewView)), security(("bearer" = [])))]
pub async fn order_state(
    State(app): AppState,
    Auth(actor): Auth,
    Path(id): Path<String>,
) -> ApiResult<Json<OrderReviewView>> {
    let order = app.order(order_path(&id)?).await?;
    let author = order.buyer_id == actor.id();
    if !author && actor.store_id != Some(order.store_id) {
        return Err(ApiError::not_found("order"));
    }
    let state = app.order_review_state(&actor, &order).await?;
    Ok(Json(OrderReviewView::new(&state, author)))
}

#[derive(Debug, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct BuyerRatingRequest {
    pub rating: u8,
    #[serde(default)]
    pub note: String,
}

#[utoipa::path(post, path = "/api/v1/orders/{id}/buyer-rating", tag = "reviews", params(("id" = String, Path)), request_body = BuyerRatingRequest,
    responses((status = 201, body = BuyerRatingView), (status = 409, body = ErrorBody), (status = 422, body = ErrorBody)), security(("bearer" = [])))]
pub async fn rate_buyer(
    State(app): AppState,
    Auth(actor): Auth,
    Path(id): Path<String>,
    RawBody(body): RawBody,
) -> ApiResult<(StatusCode, Json<BuyerRatingView>)> {
    let req: BuyerRatingRequest = parse_json(&body)?;
    let rating = app
        .rate_buyer(&actor, order_path(&id)?, req.rating, &req.note)
        .await?;
    Ok((StatusCode::CREATED, Json(BuyerRatingView::from(&rating))))
}

#[derive(Debug, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct EditRequest {
    pub rating: u8,
    #[serde(default)]
    pub text: String,
}

#[utoipa::path(post, path = "/api/v1/reviews/{id}/edit", tag = "reviews", params(("id" = String, Path)), request_body = EditRequest,
    responses((status = 200, body = ReviewView), (status = 409, description = "Edited already, or the window closed", body = ErrorBody), (status = 422, body = ErrorBody)), security(("bearer" = [])))]
pub async fn edit(
    State(app): AppState,
    Auth(actor): Auth,
    Path(id): Path<String>,
    RawBody(body): RawBody,
) -> ApiResult<Json<ReviewView>> {
    let req: EditRequest = parse_json(&body)?;
    let review = app
        .edit_review(&actor, review_path(&id)?, req.rating, &req.text)
        .await?;
    Ok(Json(ReviewView::new(&review, true)))
}

#[derive(Debug, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct ReplyRequest {
    /// Up to 1,000 characters; one reply per review.
    pub text: String,
}

#[utoipa::path(post, path = "/api/v1/reviews/{id}/reply", tag = "reviews", params(("id" = String, Path)), request_body = ReplyRequest,
    responses((status = 200, body = ReviewView), (status = 409, body = ErrorBody), (status = 422, body = ErrorBody)), security(("bearer" = [])))]
pub async fn reply(
    State(app): AppState,
    Auth(actor): Auth,
    Path(id): Path<String>,
    RawBody(body): RawBody,
) -> ApiResult<Json<ReviewView>> {
    let req: ReplyRequest = parse_json(&body)?;
    let review = app
        .reply_to_review(&actor, review_path(&id)?, &req.text)
        .await?;
    Ok(Json(ReviewView::new(&review, false)))
}

#[utoipa::path(get, path = "/api/v1/stores/{id}/reputation", tag = "reviews", params(("id" = String, Path)),
    responses((status = 200, body = ReputationView), (status = 404, body = ErrorBody)))]
pub async fn reputation(
    State(app): AppState,
    Path(id): Path<String>,
) -> ApiResult<Json<ReputationView>> {
    let store: StoreId = path_id(&id, "store")?;
    Ok(Json(ReputationView::from(
        &app.store_reputation(store).await?,
    )))
}

#[derive(Debug, Deserialize, IntoParams)]
#[serde(deny_unknown_fields)]
pub struct ReviewsQuery {
    /// Only reviews with this many stars (1-5).
    pub stars: Option<u8>,
    /// Only reviews with photos.
    #[serde(default)]
    pub with_photos: bool,
    pub cursor: Option<String>,
    pub limit: Option<u32>,
}

#[utoipa::path(get, path = "/api/v1/stores/{id}/reviews", tag = "reviews", params(("id" = String, Path), ReviewsQuery),
    responses((status = 200, body = PageView<ReviewView>), (status = 404, body = ErrorBody)))]
pub async fn store_reviews(
    State(app): AppState,
    Path(id): Path<String>,
    Query(q): Query<ReviewsQuery>,
) -> ApiResult<Json<PageView<ReviewView>>> {
    let store: StoreId = path_id(&id, "store")?;
    if app.store.shop(store).await?.is_none() {
        return Err(ApiError::not_found("store"));
    }
    let page = PageParams {
        cursor: q.cursor,
        limit: q.limit,
    }
    .request()?;
    let filter = ReviewFilter {
        stars: q.stars,
        with_photos: q.with_photos,
    };
    let page = app.store_reviews(store, filter, &page).await?;
    Ok(Json(PageView {
        items: page
            .items
            .iter()
            .map(|r| ReviewView::new(r, false))
            .collect(),
        next_cursor: page.next_cursor,
    }))
}

#[utoipa::path(get, path = "/api/v1/console/reviews/held", tag = "console", params(PageParams),
    responses((status = 200, body = PageView<ReviewView>), (status = 403, body = ErrorBody)), security(("bearer" = [])))]
pub async fn held(
    State(app): AppState,
    Auth(actor): Auth,
    Query(params): Query<PageParams>,
) -> ApiResult<Json<PageView<ReviewView>>> {
    let page = app.held_reviews(&actor, &params.request()?).await?;
    Ok(Json(PageView {
        items: page
            .items
            .iter()
            .map(|r| ReviewView::new(r, true))
            .collect(),
        next_cursor: page.next_cursor,
    }))
}

#[derive(Debug, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct ModerationRequest {
    /// true publishes the held text; false keeps it hidden.
    pub approve: bool,
    #[serde(default)]
    pub note: String,
}

#[utoipa::path(post, path = "/api/v1/console/reviews/{id}/moderate", tag = "console", params(("id" = String, Path)), request_body = ModerationRequest,
    responses((status = 200, body = ReviewView), (status = 403, body = ErrorBody), (status = 409, description = "Nothing held", body = ErrorBody)), security(("bearer" = [])))]
pub async fn moderate(
    State(app): AppState,
    Auth(actor): Auth,
    Path(id): Path<String>,
    RawBody(body): RawBody,
) -> ApiResult<Json<ReviewView>> {
    let req: ModerationRequest = parse_json(&body)?;
    let review = app
        .moderate_review(&actor, review_path(&id)?, req.approve, &req.note)
        .await?;
    Ok(Json(ReviewView::new(&review, true)))
}

#[derive(Debug, Serialize, ToSchema)]
pub struct CaseReviewView {
    pub review_id: String,
    pub buyer_id: String,
    pub score: f64,
    pub reasons: Vec<String>,
}

/// A review-integrity case: what the brushing detector found at a store.
#[derive(Debug, Serialize, ToSchema)]
pub struct IntegrityCaseView {
    pub id: String,
    pub store_id: String,
    /// `open` (reviews removed, strike given), `upheld` or `reversed`.
    pub status: String,
    pub created_at: String,
    pub evidence: Vec<String>,
    pub reviews: Vec<CaseReviewView>,
    pub strike_id: Option<String>,
    pub decided_by: Option<String>,
    pub decided_at: Option<String>,
    pub note: String,
}

impl From<&IntegrityCase> for IntegrityCaseView {
    fn from(c: &IntegrityCase) -> Self {
        IntegrityCaseView {
            id: c.id.to_string(),
            store_id: c.store_id.to_string(),
            status: c.status.as_str().into(),
            created_at: c.created_at.to_string(),
            evidence: c.evidence.clone(),
            reviews: c
                .reviews
                .iter()
                .map(|r| CaseReviewView {
                    review_id: r.review_id.to_string(),
                    buyer_id: r.buyer_id.to_string(),
                    score: r.score,
                    reasons: r.reasons.clone(),
                })
                .collect(),
            strike_id: c.strike_id.map(|s| s.to_string()),
            decided_by: c.decided_by.map(|u| u.to_string()),
            decided_at: c.decided_at.map(|t| t.to_string()),
            note: c.note.clone(),
        }
    }
}

#[derive(Debug, Deserialize, IntoParams)]
#[serde(deny_unknown_fields)]
pub struct CasesQuery {
    /// `open`, `upheld` or `reversed`; all when absent.
    pub status: Option<String>,
    pub cursor: Option<String>,
    pub limit: Option<u32>,
}

pub fn case_status(raw: Option<&str>) -> ApiResult<Option<CaseStatus>> {
    match raw {
        None | Some("") => Ok(None),
        Some("open") => Ok(Some(CaseStatus::Open)),
        Some("upheld") => Ok(Some(CaseStatus::Upheld)),
        Some("reversed") => Ok(Some(CaseStatus::Reversed)),
        Some(_) => Err(ApiError::bad_request("status is open, upheld or reversed")),
    }
}

#[utoipa::path(get, path = "/api/v1/console/integrity", tag = "console", params(CasesQuery),
    responses((status = 200, body = PageView<IntegrityCaseView>), (status = 403, body = ErrorBody)), security(("bearer" = [])))]
pub async fn cases(
    State(app): AppState,
    Auth(actor): Auth,
    Query(q): Query<CasesQuery>,
) -> ApiResult<Json<PageView<IntegrityCaseView>>> {
    let status = case_status(q.status.as_deref())?;
    let page = PageParams {
        cursor: q.cursor,
        limit: q.limit,
    }
    .request()?;
    let page = app.integrity_cases(&actor, status, &page).await?;
    Ok(Json(PageView {
        items: page.items.iter().map(IntegrityCaseView::from).collect(),
        next_cursor: page.next_cursor,
    }))
}

fn case_path(id: &str) -> ApiResult<uuid::Uuid> {
    uuid::Uuid::parse_str(id).map_err(|_| ApiError::not_found("integrity case"))
}

#[utoipa::path(get, path = "/api/v1/console/integrity/{id}", tag = "console", params(("id" = String, Path)),
    responses((status = 200, body = IntegrityCaseView), (status = 403, body = ErrorBody)), security(("bearer" = [])))]
pub async fn case(
    State(app): AppState,
    Auth(actor): Auth,
    Path(id): Path<String>,
) -> ApiResult<Json<IntegrityCaseView>> {
    let case = app.integrity_case(&actor, case_path(&id)?).await?;
    Ok(Json(IntegrityCaseView::from(&case)))
}

#[derive(Debug, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct CaseDecision {
    /// true confirms the brushing; false reverses it (the reviews count
    /// again and the strike is withdrawn).
    pub uphold: bool,
    #[serde(default)]
    pub note: String,
}

#[utoipa::path(post, path = "/api/v1/console/integrity/{id}/decide", tag = "console", params(("id" = String, Path)), request_body = CaseDecision,
    responses((status = 200, body = IntegrityCaseView), (status = 403, body = ErrorBody), (status = 409, description = "Decided already", body = ErrorBody)), security(("bearer" = [])))]
pub async fn decide(
    State(app): AppState,
    Auth(actor): Auth,
    Path(id): Path<String>,
    RawBody(body): RawBody,
) -> ApiResult<Json<IntegrityCaseView>> {
    let req: CaseDecision = parse_json(&body)?;
    let case = app
        .decide_integrity_case(&actor, case_path(&id)?, req.uphold, &req.note)
        .await?;
    Ok(Json(IntegrityCaseView::from(&case)))
}

#[derive(Debug, Serialize, ToSchema)]
pub struct IntegrityRunView {
    pub reviews_read: usize,
    pub newly_flagged: usize,
    pub cases_opened: usize,
}

#[utoipa::path(post, path = "/api/v1/console/integrity/run", tag = "console",
    responses((status = 200, body = IntegrityRunView), (status = 403, body = ErrorBody)), security(("bearer" = [])))]
pub async fn run(State(app): AppState, Auth(actor): Auth) -> ApiResult<Json<IntegrityRunView>> {
    app.require_agent(&actor)?;
    let report = app.run_integrity_pass().await?;
    Ok(Json(IntegrityRunView {
        reviews_read: report.reviews_read,
        newly_flagged: report.newly_flagged,
        cases_opened: report.cases_opened,
    }))
}

/// A protection certificate: `payload` (JSON text) signed with Ed25519.
#[derive(Debug, Serialize, ToSchema)]
pub struct CertificateView {
    /// The signed bytes: order, listing, total, and the frozen trust
    /// snapshot (store metrics as shown, protection terms, policy version).
    pub payload: String,
    pub algorithm: String,
    /// Hex.
    pub signature: String,
    /// The platform's public key, hex.
    pub public_key: String,
}

#[utoipa::path(get, path = "/api/v1/orders/{id}/certificate", tag = "orders", params(("id" = String, Path)),
    responses((status = 200, description = "Check offline with `haven certificate verify`", body = CertificateView), (status = 409, description = "Placed before certificates existed", body = ErrorBody)), security(("bearer" = [])))]
pub async fn certificate(
    State(app): AppState,
    Auth(actor): Auth,
    Path(id): Path<String>,
) -> ApiResult<impl axum::response::IntoResponse> {
    let signed = app.protection_certificate(&actor, order_path(&id)?).await?;
    Ok(certificate_response(&id, signed))
}

/// The certificate as a JSON download.
pub fn certificate_response(
    order_id: &str,
    signed: haven_app::certificate::SignedCertificate,
) -> axum::response::Response {
    use axum::response::IntoResponse;
    let disposition = format!("attachment; filename=\"haven-certificate-{order_id}.json\"");
    (
        [(axum::http::header::CONTENT_DISPOSITION, disposition)],
        Json(CertificateView {
            payload: signed.payload,
            algorithm: signed.algorithm,
            signature: signed.signature,
            public_key: signed.public_key,
        }),
    )
        .into_response()
}
