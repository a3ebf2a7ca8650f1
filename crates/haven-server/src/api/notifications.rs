//! A person's notices (the bell) and which of them are emailed.

use std::sync::Arc;

use axum::Json;
use axum::extract::State;
use haven_domain::notice::NoticeKind;
use serde::{Deserialize, Serialize};
use utoipa::ToSchema;

use super::extract::{Auth, PageParams, Query, RawBody, parse_json};
use crate::error::{ApiError, ApiResult, ErrorBody};
use crate::views::ts;
use haven_app::App;

type AppState = State<Arc<App>>;

#[derive(Debug, Serialize, ToSchema)]
pub struct NotificationView {
    pub id: String,
    /// orders, disputes, payouts or reviews.
    pub kind: String,
    pub title: String,
    pub detail: String,
    /// The page on the site where it is seen or acted on.
    pub link: String,
    pub created_at: String,
    pub read_at: Option<String>,
}

#[derive(Debug, Serialize, ToSchema)]
pub struct NotificationPage {
    pub items: Vec<NotificationView>,
    pub next_cursor: Option<String>,
    /// Unread notices, counted up to 100.
    pub unread: u32,
}

#[utoipa::path(get, path = "/api/v1/notifications", tag = "accounts", params(PageParams),
    responses((status = 200, description = "The caller's notices, newest first, and how many are unread", body = NotificationPage)), security(("bearer" = [])))]
pub async fn list(
    State(app): AppState,
    Auth(actor): Auth,
    Query(params): Query<PageParams>,
) -> ApiResult<Json<NotificationPage>> {
    let page = app.my_notifications(&actor, &params.request()?).await?;
    Ok(Json(NotificationPage {
        items: page
            .items
            .iter()
            .map(|n| NotificationView {
                id: n.id.to_string(),
                kind: n.kind.as_str().to_string(),
                title: n.title.clone(),
                detail: n.detail.clone(),
                link: n.link.clone(),
                created_at: ts(n.created_at),
                read_at: n.read_at.map(ts),
            })
            .collect(),
        next_cursor: page.next_cursor,
        unread: app.unread_notifications(&actor).await?,
    }))
}

#[derive(Debug, Serialize, ToSchema)]
pub struct UnreadView {
    pub unread: u32,
}

#[utoipa::path(post, path = "/api/v1/notifications/read", tag = "accounts",
    responses((status = 200, description = "Every notice of the caller is read", body = UnreadView)), security(("bearer" = [])))]
pub async fn read_all(State(app): AppState, Auth(actor): Auth) -> ApiResult<Json<UnreadView>> {
    app.read_notifications(&actor).await?;
    Ok(Json(UnreadView {
        unread: app.unread_notifications(&actor).await?,
    }))
}

#[derive(Debug, Serialize, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct EmailSettings {
    /// Groups emailed no more (orders, disputes, payouts, reviews); the
    /// notices still appear in the app.
    pub email_off: Vec<String>,
}

#[utoipa::path(get, path = "/api/v1/account/email-settings", tag = "accounts",
    responses((status = 200, body = EmailSettings)), security(("bearer" = [])))]
pub async fn email_settings(Auth(actor): Auth) -> ApiResult<Json<EmailSettings>> {
    Ok(Json(EmailSettings {
        email_off: actor
            .user
            .email_off
            .iter()
            .map(|k| k.as_str().to_string())
            .collect(),
    }))
}

#[utoipa::path(post, path = "/api/v1/account/email-settings", tag = "accounts", request_body = EmailSettings,
    responses((status = 200, body = EmailSettings), (status = 422, body = ErrorBody)), security(("bearer" = [])))]
pub async fn set_email_settings(
    State(app): AppState,
    Auth(actor): Auth,
    RawBody(body): RawBody,
) -> ApiResult<Json<EmailSettings>> {
    let req: EmailSettings = parse_json(&body)?;
    let off = req
        .email_off
        .iter()
        .map(|raw| {
            NoticeKind::parse(raw).ok_or_else(|| {
                ApiError::from(haven_app::AppError::invalid_field(
                    "email_off",
                    format!("{raw:?} is not one of orders, disputes, payouts, reviews"),
                ))
            })
        })
        .collect::<ApiResult<Vec<_>>>()?;
    app.set_email_off(&actor, off.clone()).await?;
    let mut email_off: Vec<String> = off.iter().map(|k| k.as_str().to_string()).collect();
    email_off.sort();
    email_off.dedup();
    Ok(Json(EmailSettings { email_off }))
}
