//! The console's dead-letter queue: gateway calls and emails that gave up
//! after their last retry, and reconciliation findings. Agents retry or
//! dismiss them.

use std::sync::Arc;

use axum::Json;
use axum::extract::State;
use serde::Deserialize;
use utoipa::ToSchema;

use super::extract::{Auth, PageParams, Path, Query, RawBody, parse_json};
use crate::error::{ApiError, ApiResult, ErrorBody};
use crate::views::{CommandView, PageView};
use haven_app::App;

type AppState = State<Arc<App>>;

fn command_id(raw: &str) -> ApiResult<uuid::Uuid> {
    raw.parse().map_err(|_| ApiError::not_found("command"))
}

#[utoipa::path(get, path = "/api/v1/console/commands", tag = "console", params(PageParams),
    responses((status = 200, description = "Dead-lettered commands, newest first", body = PageView<CommandView>), (status = 403, body = ErrorBody)), security(("bearer" = [])))]
pub async fn dead_letters(
    State(app): AppState,
    Auth(actor): Auth,
    Query(params): Query<PageParams>,
) -> ApiResult<Json<PageView<CommandView>>> {
    let page = app.dead_letters(&actor, &params.request()?).await?;
    Ok(Json(PageView {
        items: page.items.iter().map(CommandView::from).collect(),
        next_cursor: page.next_cursor,
    }))
}

#[utoipa::path(post, path = "/api/v1/console/commands/{id}/retry", tag = "console", params(("id" = String, Path, description = "Command id")),
    responses((status = 200, description = "Pending again, from its first attempt", body = CommandView), (status = 403, body = ErrorBody), (status = 409, body = ErrorBody)), security(("bearer" = [])))]
pub async fn retry(
    State(app): AppState,
    Auth(actor): Auth,
    Path(id): Path<String>,
) -> ApiResult<Json<CommandView>> {
    let command = app.retry_dead_letter(&actor, command_id(&id)?).await?;
    Ok(Json(CommandView::from(&command)))
}

#[derive(Debug, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct DismissRequest {
    /// What the agent did instead (1-500 characters).
    pub note: String,
}

#[utoipa::path(post, path = "/api/v1/console/commands/{id}/dismiss", tag = "console", params(("id" = String, Path, description = "Command id")), request_body = DismissRequest,
    responses((status = 200, description = "Closed without being sent", body = CommandView), (status = 403, body = ErrorBody), (status = 409, body = ErrorBody)), security(("bearer" = [])))]
pub async fn dismiss(
    State(app): AppState,
    Auth(actor): Auth,
    Path(id): Path<String>,
    RawBody(body): RawBody,
) -> ApiResult<Json<CommandView>> {
    let req: DismissRequest = parse_json(&body)?;
    let command = app
        .dismiss_dead_letter(&actor, command_id(&id)?, &req.note)
        .await?;
    Ok(Json(CommandView::from(&command)))
}
