//! Conversations between buyers and sellers, scanned before delivery.

use std::sync::Arc;

use axum::Json;
use axum::extract::State;
use axum::http::{StatusCode, header};
use axum::response::{IntoResponse, Response};
use haven_domain::ids::{ConversationId, ListingId, OrderId};
use serde::{Deserialize, Serialize};
use utoipa::{IntoParams, ToSchema};

use super::extract::{Auth, PageParams, Path, Query, RawBody, UploadBody, parse_json, path_id};
use crate::error::{ApiResult, ErrorBody};
use crate::views::{ConversationView, MessageView, PageView};
use haven_app::{App, NewAttachment};

type AppState = State<Arc<App>>;

#[utoipa::path(post, path = "/api/v1/orders/{id}/conversation", tag = "messaging",
    params(("id" = String, Path, description = "Order id")),
    responses((status = 200, description = "The order's conversation, started on first use", body = ConversationView), (status = 404, body = ErrorBody)),
    security(("bearer" = [])))]
pub async fn order_conversation(
    State(app): AppState,
    Auth(actor): Auth,
    Path(id): Path<String>,
) -> ApiResult<Json<ConversationView>> {
    let order_id: OrderId = path_id(&id, "order")?;
    let conversation = app.order_conversation(&actor, order_id).await?;
    Ok(Json(ConversationView::named(&app, &conversation).await?))
}

#[utoipa::path(post, path = "/api/v1/listings/{id}/conversation", tag = "messaging",
    params(("id" = String, Path, description = "Listing id")),
    responses((status = 200, description = "The buyer's pre-sale conversation about this listing", body = ConversationView), (status = 404, body = ErrorBody), (status = 422, body = ErrorBody)),
    security(("bearer" = [])))]
pub async fn presale_conversation(
    State(app): AppState,
    Auth(actor): Auth,
    Path(id): Path<String>,
) -> ApiResult<Json<ConversationView>> {
    let listing_id: ListingId = path_id(&id, "listing")?;
    let conversation = app.presale_conversation(&actor, listing_id).await?;
    Ok(Json(ConversationView::named(&app, &conversation).await?))
}

#[derive(Debug, Deserialize, IntoParams)]
#[serde(deny_unknown_fields)]
pub struct ConversationListQuery {
    /// `buyer` (default) or `seller` (the conversations of your store).
    #[serde(rename = "as")]
    pub as_role: Option<String>,
    pub cursor: Option<String>,
    pub limit: Option<u32>,
}

#[utoipa::path(get, path = "/api/v1/conversations", tag = "messaging", params(ConversationListQuery),
    responses((status = 200, body = PageView<ConversationView>), (status = 400, body = ErrorBody)), security(("bearer" = [])))]
pub async fn list(
    State(app): AppState,
    Auth(actor): Auth,
    Query(q): Query<ConversationListQuery>,
) -> ApiResult<Json<PageView<ConversationView>>> {
    let as_seller = match q.as_role.as_deref() {
        None | Some("buyer") => false,
        Some("seller") => true,
        Some(_) => {
            return Err(crate::error::ApiError::bad_request(
                "as must be buyer or seller",
            ));
        }
    };
    let page = PageParams {
        cursor: q.cursor,
        limit: q.limit,
    }
    .request()?;
    let page = app.my_conversations(&actor, as_seller, &page).await?;
    Ok(Json(PageView {
        items: ConversationView::all_named(&app, &page.items).await?,
        next_cursor: page.next_cursor,
    }))
}

#[derive(Debug, Deserialize, IntoParams)]
#[serde(deny_unknown_fields)]
pub struct MessagesQuery {
    /// Only messages after this sequence number (0 for the start).
    pub after: Option<i64>,
    /// 1-200, default 50.
    pub limit: Option<u32>,
}

#[derive(Debug, Serialize, ToSchema)]
pub struct MessagesPage {
    pub conversation: ConversationView,
    pub messages: Vec<MessageView>,
    /// Pass as `after` for the next page; absent at the end.
    pub next_after: Option<i64>,
}

#[utoipa::path(get, path = "/api/v1/conversations/{id}/messages", tag = "messaging",
    params(("id" = String, Path, description = "Conversation id"), MessagesQuery),
    responses((status = 200, description = "Messages as you may see them; reading marks them read", body = MessagesPage), (status = 404, body = ErrorBody)),
    security(("bearer" = [])))]
pub async fn messages(
    State(app): AppState,
    Auth(actor): Auth,
    Path(id): Path<String>,
    Query(q): Query<MessagesQuery>,
) -> ApiResult<Json<MessagesPage>> {
    let id: ConversationId = path_id(&id, "conversation")?;
    let limit = q.limit.unwrap_or(50);
    if limit == 0 || limit > haven_app::MAX_MESSAGES_PAGE {
        return Err(crate::error::ApiError::bad_request("limit must be 1-200"));
    }
    let page = app
        .read_messages(&actor, id, q.after.unwrap_or(0), limit)
        .await?;
    Ok(Json(MessagesPage {
        conversation: ConversationView::named(&app, &page.conversation).await?,
        messages: page
            .messages
            .iter()
            .map(|m| MessageView::for_reader(m, actor.id()))
            .collect(),
        next_after: page.next_after,
    }))
}

#[derive(Debug, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct SendMessageRequest {
    /// 1-4000 characters; no control characters except line breaks and tabs.
    pub text: String,
}

#[utoipa::path(post, path = "/api/v1/conversations/{id}/messages", tag = "messaging", request_body = SendMessageRequest,
    params(("id" = String, Path, description = "Conversation id")),
    responses((status = 201, description = "Scanned and stored: `delivery` says whether it was delivered, delivered with a warning, or blocked (and why)", body = MessageView),
              (status = 404, body = ErrorBody), (status = 422, body = ErrorBody)),
    security(("bearer" = [])))]
pub async fn send(
    State(app): AppState,
    Auth(actor): Auth,
    Path(id): Path<String>,
    RawBody(body): RawBody,
) -> ApiResult<(StatusCode, Json<MessageView>)> {
    let id: ConversationId = path_id(&id, "conversation")?;
    let req: SendMessageRequest = parse_json(&body)?;
    let message = app.send_message(&actor, id, &req.text, Vec::new()).await?;
    Ok((
        StatusCode::CREATED,
        Json(MessageView::for_reader(&message, actor.id())),
    ))
}

#[derive(Debug, Deserialize, IntoParams)]
#[serde(deny_unknown_fields)]
pub struct FileMessageQuery {
    /// The message text that goes with the file.
    pub text: String,
}

#[utoipa::path(post, path = "/api/v1/conversations/{id}/messages/file", tag = "messaging",
    request_body(content = Vec<u8>, content_type = "application/octet-stream", description = "One attachment with the same rules as dispute evidence: a PNG, JPEG or WebP image (8 MiB) or an MP4, MOV or WebM video (50 MiB)"),
    params(("id" = String, Path, description = "Conversation id"), FileMessageQuery),
    responses((status = 201, body = MessageView), (status = 413, body = ErrorBody), (status = 422, body = ErrorBody)), security(("bearer" = [])))]
pub async fn send_file(
    State(app): AppState,
    Auth(actor): Auth,
    Path(id): Path<String>,
    Query(q): Query<FileMessageQuery>,
    UploadBody(upload): UploadBody,
) -> ApiResult<(StatusCode, Json<MessageView>)> {
    let id: ConversationId = path_id(&id, "conversation")?;
    let files = vec![NewAttachment { upload }];
    let message = app.send_message(&actor, id, &q.text, files).await?;
    Ok((
        StatusCode::CREATED,
        Json(MessageView::for_reader(&message, actor.id())),
    ))
}

#[utoipa::path(get, path = "/api/v1/conversations/{id}/attachments/{hash}", tag = "messaging",
    params(("id" = String, Path, description = "Conversation id"), ("hash" = String, Path, description = "SHA-256 of the file")),
    responses((status = 200, description = "The file"), (status = 404, body = ErrorBody)), security(("bearer" = [])))]
pub async fn attachment(
    State(app): AppState,
    Auth(actor): Auth,
    Path((id, hash)): Path<(String, String)>,
) -> ApiResult<Response> {
    let id: ConversationId = path_id(&id, "conversation")?;
    let (file, bytes) = app.message_attachment(&actor, id, &hash).await?;
    Ok((
        [
            (header::CONTENT_TYPE, file.content_type),
            (header::CONTENT_DISPOSITION, "attachment".to_string()),
        ],
        bytes,
    )
        .into_response())
}

#[derive(Debug, Serialize, ToSchema)]
pub struct UnreadView {
    pub unread: i64,
}

#[utoipa::path(get, path = "/api/v1/me/unread", tag = "messaging", responses((status = 200, body = UnreadView)), security(("bearer" = [])))]
pub async fn unread(State(app): AppState, Auth(actor): Auth) -> ApiResult<Json<UnreadView>> {
    Ok(Json(UnreadView {
        unread: app.unread_messages(&actor).await?,
    }))
}

#[utoipa::path(get, path = "/api/v1/console/conversations", tag = "messaging", params(PageParams),
    responses((status = 200, description = "Conversations flagged for repeated scam messages", body = PageView<ConversationView>), (status = 403, body = ErrorBody)),
    security(("bearer" = [])))]
pub async fn flagged(
    State(app): AppState,
    Auth(actor): Auth,
    Query(params): Query<PageParams>,
) -> ApiResult<Json<PageView<ConversationView>>> {
    let page = app
        .flagged_conversations(&actor, &params.request()?)
        .await?;
    Ok(Json(PageView {
        items: ConversationView::all_named(&app, &page.items).await?,
        next_cursor: page.next_cursor,
    }))
}

#[derive(Debug, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct ReportRequest {
    /// What is wrong, for the agent (1-1000 characters; the other party
    /// never sees it).
    pub reason: String,
}

#[utoipa::path(post, path = "/api/v1/conversations/{id}/report", tag = "messaging",
    params(("id" = String, Path, description = "Conversation id")), request_body = ReportRequest,
    responses((status = 200, description = "Reported: the conversation is in the console with the reason", body = ConversationView), (status = 404, body = ErrorBody), (status = 409, description = "You reported it already", body = ErrorBody), (status = 422, body = ErrorBody)),
    security(("bearer" = [])))]
pub async fn report(
    State(app): AppState,
    Auth(actor): Auth,
    Path(id): Path<String>,
    RawBody(body): RawBody,
) -> ApiResult<Json<ConversationView>> {
    let id: ConversationId = path_id(&id, "conversation")?;
    let req: ReportRequest = parse_json(&body)?;
    let conversation = app.report_conversation(&actor, id, &req.reason).await?;
    Ok(Json(ConversationView::named(&app, &conversation).await?))
}
