//! Listing risk for trust and safety and sellers: listings held by the
//! checks or by agents, and the brand proofs Guaranteed Genuine rests on.

use axum::Json;
use axum::extract::State;
use axum::http::StatusCode;
use haven_domain::ids::StoreId;

use super::extract::{Auth, PageParams, Path, Query, RawBody, parse_json, path_id};
use super::requests::{BrandDecisionRequest, BrandProofRequest};
use crate::error::{ApiResult, ErrorBody};
use crate::views::{BrandProofView, ListingView, PageView};

type AppState = State<std::sync::Arc<haven_app::App>>;

#[utoipa::path(get, path = "/api/v1/console/listings/held", tag = "console", params(PageParams),
    responses((status = 200, description = "Held listings with their reasons, newest first", body = PageView<ListingView>), (status = 403, body = ErrorBody)), security(("bearer" = [])))]
pub async fn held(
    State(app): AppState,
    Auth(actor): Auth,
    Query(params): Query<PageParams>,
) -> ApiResult<Json<PageView<ListingView>>> {
    let page = app.held_listings(&actor, &params.request()?).await?;
    Ok(Json(PageView {
        items: page.items.iter().map(ListingView::from).collect(),
        next_cursor: page.next_cursor,
    }))
}

#[utoipa::path(post, path = "/api/v1/stores/me/brands", tag = "catalog", request_body = BrandProofRequest,
    responses((status = 201, description = "Sent; an agent approves or refuses it", body = BrandProofView), (status = 403, body = ErrorBody), (status = 409, description = "Already approved", body = ErrorBody), (status = 422, body = ErrorBody)), security(("bearer" = [])))]
pub async fn submit(
    State(app): AppState,
    Auth(actor): Auth,
    RawBody(body): RawBody,
) -> ApiResult<(StatusCode, Json<BrandProofView>)> {
    let req: BrandProofRequest = parse_json(&body)?;
    let approval = app
        .submit_brand_proof(&actor, &req.brand, &req.proof, req.document)
        .await?;
    Ok((StatusCode::CREATED, Json(BrandProofView::from(&approval))))
}

#[utoipa::path(get, path = "/api/v1/stores/me/brands", tag = "catalog",
    responses((status = 200, description = "The store's brand proofs, latest first (at most 100)", body = Vec<BrandProofView>), (status = 403, body = ErrorBody)), security(("bearer" = [])))]
pub async fn mine(State(app): AppState, Auth(actor): Auth) -> ApiResult<Json<Vec<BrandProofView>>> {
    let proofs = app.my_brand_proofs(&actor).await?;
    Ok(Json(proofs.iter().map(BrandProofView::from).collect()))
}

#[utoipa::path(get, path = "/api/v1/console/brands", tag = "console", params(PageParams),
    responses((status = 200, description = "Brand proofs waiting for an agent", body = PageView<BrandProofView>), (status = 403, body = ErrorBody)), security(("bearer" = [])))]
pub async fn pending(
    State(app): AppState,
    Auth(actor): Auth,
    Query(params): Query<PageParams>,
) -> ApiResult<Json<PageView<BrandProofView>>> {
    let page = app.pending_brand_proofs(&actor, &params.request()?).await?;
    Ok(Json(PageView {
        items: page.items.iter().map(BrandProofView::from).collect(),
        next_cursor: page.next_cursor,
    }))
}

#[utoipa::path(post, path = "/api/v1/console/brands/{store_id}/{brand}/decision", tag = "console",
    params(("store_id" = String, Path), ("brand" = String, Path, description = "The brand as submitted (case and punctuation ignored)")),
    request_body = BrandDecisionRequest,
    responses((status = 200, body = BrandProofView), (status = 403, body = ErrorBody), (status = 404, body = ErrorBody), (status = 409, description = "Already decided", body = ErrorBody), (status = 422, body = ErrorBody)), security(("bearer" = [])))]
pub async fn decide(
    State(app): AppState,
    Auth(actor): Auth,
    Path((store_id, brand)): Path<(String, String)>,
    RawBody(body): RawBody,
) -> ApiResult<Json<BrandProofView>> {
    let req: BrandDecisionRequest = parse_json(&body)?;
    let store: StoreId = path_id(&store_id, "store")?;
    let approval = app
        .decide_brand_proof(&actor, store, &brand, req.approve, &req.note)
        .await?;
    Ok(Json(BrandProofView::from(&approval)))
}
