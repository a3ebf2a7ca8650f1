//! Webhook endpoints for admins: register one (its signing secret is in
//! that answer only), pause or resume it, read its delivery log, and send a
//! delivery again. How a receiver checks a signature: docs/WEBHOOKS.md.

use std::sync::Arc;

use axum::Json;
use axum::extract::State;
use axum::http::StatusCode;
use serde::{Deserialize, Serialize};
use utoipa::ToSchema;

use super::extract::{Auth, PageParams, Path, Query, RawBody, parse_json, path_id};
use crate::error::{ApiResult, ErrorBody};
use crate::views::{CommandView, PageView, ts};
use haven_app::App;
use haven_store::WebhookEndpoint;

type AppState = State<Arc<App>>;

#[derive(Debug, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct WebhookEndpointRequest {
    /// Where to POST events: https://, or http:// to this machine.
    pub url: String,
    /// Event types to send (as in the events API); empty or absent: all.
    #[serde(default)]
    pub topics: Vec<String>,
    #[serde(default)]
    pub description: String,
}

#[derive(Debug, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct WebhookStateRequest {
    /// False pauses it: nothing is sent, and what is published meanwhile
    /// is never sent. True resumes it from the next event.
    pub enabled: bool,
}

#[derive(Debug, Serialize, ToSchema)]
pub struct WebhookEndpointView {
    pub id: String,
    pub url: String,
    pub topics: Vec<String>,
    pub description: String,
    pub enabled: bool,
    /// The signing secret in full when the endpoint is made; afterwards
    /// only its last four characters.
    pub secret: String,
    pub created_at: String,
    pub updated_at: String,
}

impl WebhookEndpointView {
    fn masked(e: &WebhookEndpoint) -> Self {
        WebhookEndpointView {
            secret: format!("whsec_…{}", haven_domain::text::last_chars(&e.secret, 4)),
            ..Self::revealed(e)
        }
    }

    fn revealed(e: &WebhookEndpoint) -> Self {
        WebhookEndpointView {
            id: e.id.to_string(),
            url: e.url.clone(),
            topics: e.topics.clone(),
            description: e.description.clone(),
            enabled: e.enabled,
            secret: e.secret.clone(),
            created_at: ts(e.created_at),
            updated_at: ts(e.updated_at),
        }
    }
}

#[utoipa::path(post, path = "/api/v1/admin/webhooks", tag = "admin", request_body = WebhookEndpointRequest,
    responses((status = 201, description = "Registered; the answer holds the signing secret, shown this once", body = WebhookEndpointView), (status = 403, body = ErrorBody), (status = 422, body = ErrorBody)), security(("bearer" = [])))]
pub async fn create(
    State(app): AppState,
    Auth(actor): Auth,
    RawBody(body): RawBody,
) -> ApiResult<(StatusCode, Json<WebhookEndpointView>)> {
    let req: WebhookEndpointRequest = parse_json(&body)?;
    let endpoint = app
        .create_webhook_endpoint(
            &actor,
            haven_app::webhooks::NewEndpoint {
                url: req.url,
                topics: req.topics,
                description: req.description,
            },
        )
        .await?;
    Ok((
        StatusCode::CREATED,
        Json(WebhookEndpointView::revealed(&endpoint)),
    ))
}

#[utoipa::path(get, path = "/api/v1/admin/webhooks", tag = "admin",
    responses((status = 200, description = "Every endpoint, oldest first (at most 20), secrets masked", body = Vec<WebhookEndpointView>), (status = 403, body = ErrorBody)), security(("bearer" = [])))]
pub async fn list(
    State(app): AppState,
    Auth(actor): Auth,
) -> ApiResult<Json<Vec<WebhookEndpointView>>> {
    let endpoints = app.webhook_endpoints(&actor).await?;
    Ok(Json(
        endpoints.iter().map(WebhookEndpointView::masked).collect(),
    ))
}

#[utoipa::path(post, path = "/api/v1/admin/webhooks/{id}/state", tag = "admin", params(("id" = String, Path, description = "Endpoint id")),
    request_body = WebhookStateRequest,
    responses((status = 200, body = WebhookEndpointView), (status = 403, body = ErrorBody)), security(("bearer" = [])))]
pub async fn set_state(
    State(app): AppState,
    Auth(actor): Auth,
    Path(id): Path<String>,
    RawBody(body): RawBody,
) -> ApiResult<Json<WebhookEndpointView>> {
    let req: WebhookStateRequest = parse_json(&body)?;
    let id = path_id(&id, "webhook endpoint")?;
    let endpoint = app
        .set_webhook_endpoint_enabled(&actor, id, req.enabled)
        .await?;
    Ok(Json(WebhookEndpointView::masked(&endpoint)))
}

#[utoipa::path(get, path = "/api/v1/admin/webhooks/{id}/deliveries", tag = "admin", params(("id" = String, Path, description = "Endpoint id"), PageParams),
    responses((status = 200, description = "The endpoint's deliveries, newest first: pending (with the next attempt's time), done, or dead after the last retry", body = PageView<CommandView>), (status = 403, body = ErrorBody)), security(("bearer" = [])))]
pub async fn deliveries(
    State(app): AppState,
    Auth(actor): Auth,
    Path(id): Path<String>,
    Query(params): Query<PageParams>,
) -> ApiResult<Json<PageView<CommandView>>> {
    let id = path_id(&id, "webhook endpoint")?;
    let page = app
        .webhook_deliveries(&actor, id, &params.request()?)
        .await?;
    Ok(Json(PageView {
        items: page.items.iter().map(CommandView::from).collect(),
        next_cursor: page.next_cursor,
    }))
}

#[utoipa::path(post, path = "/api/v1/admin/webhooks/deliveries/{id}/resend", tag = "admin", params(("id" = String, Path, description = "Delivery id")),
    responses((status = 201, description = "Queued as a new delivery of the same event", body = CommandView), (status = 403, body = ErrorBody), (status = 409, description = "The endpoint is paused", body = ErrorBody)), security(("bearer" = [])))]
pub async fn resend(
    State(app): AppState,
    Auth(actor): Auth,
    Path(id): Path<String>,
) -> ApiResult<(StatusCode, Json<CommandView>)> {
    let id = path_id(&id, "webhook delivery")?;
    let command = app.resend_webhook_delivery(&actor, id).await?;
    Ok((StatusCode::CREATED, Json(CommandView::from(&command))))
}

/// The live policy: its version and every default (durations in the unit
/// their name says, rates in basis points).
#[derive(Serialize, ToSchema)]
pub struct PolicyView {
    pub version: i64,
    #[schema(value_type = Object)]
    pub policy: serde_json::Value,
}

fn policy_view(app: &App) -> ApiResult<PolicyView> {
    let (version, policy) = app.current_policy();
    Ok(PolicyView {
        version,
        policy: serde_json::to_value(policy.as_ref())
            .map_err(|e| crate::error::ApiError::from(haven_app::AppError::internal(e)))?,
    })
}

#[utoipa::path(get, path = "/api/v1/admin/policy", tag = "admin",
    responses((status = 200, body = PolicyView), (status = 403, body = ErrorBody)), security(("bearer" = [])))]
pub async fn policy(State(app): AppState, Auth(actor): Auth) -> ApiResult<Json<PolicyView>> {
    actor.require_role(haven_domain::account::Role::Admin)?;
    Ok(Json(policy_view(&app)?))
}

#[utoipa::path(post, path = "/api/v1/admin/policy", tag = "admin",
    request_body(content = Object, description = "Every policy field (as GET shows them); fields left out take the built-in default"),
    responses((status = 201, description = "Published as a new version (or the same version when nothing changed)", body = PolicyView), (status = 403, body = ErrorBody), (status = 422, body = ErrorBody)),
    security(("bearer" = [])))]
pub async fn publish_policy(
    State(app): AppState,
    Auth(actor): Auth,
    RawBody(body): RawBody,
) -> ApiResult<(StatusCode, Json<PolicyView>)> {
    let policy: haven_domain::policy::Policy = parse_json(&body)?;
    app.publish_policy(&actor, policy).await?;
    Ok((StatusCode::CREATED, Json(policy_view(&app)?)))
}
