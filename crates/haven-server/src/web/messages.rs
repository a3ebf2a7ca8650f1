//! Messages between buyers and sellers: the inbox, a conversation with
//! scam warnings shown to the recipient, and "blocked" told to the sender.

use super::{Path, Query};
use askama::Template;
use axum::extract::{Multipart, State};
use axum::response::{IntoResponse, Redirect};
use haven_domain::ids::{ConversationId, ListingId, OrderId};
use haven_store::PageRequest;
use serde::Deserialize;

use super::disputes::read_multipart;
use super::{AppState, Layout, Member, WebResult, filters, render};
use crate::api::extract::path_id;
use crate::views::{ConversationView, MessageView};
use haven_app::blobs::Upload;
use haven_app::{Actor, App, NewAttachment};

#[derive(Template)]
#[template(path = "messages.html")]
struct InboxPage {
    layout: Layout,
    as_seller: bool,
    is_seller: bool,
    unread: i64,
    conversations: Vec<ConversationView>,
    next_url: Option<String>,
}

#[derive(Deserialize)]
pub struct InboxQuery {
    #[serde(rename = "as")]
    as_role: Option<String>,
    cursor: Option<String>,
}

pub async fn inbox(
    State(app): AppState,
    Member(actor): Member,
    Query(q): Query<InboxQuery>,
) -> WebResult {
    let as_seller = q.as_role.as_deref() == Some("seller");
    let page = app
        .my_conversations(&actor, as_seller, &PageRequest::new(q.cursor, Some(25)))
        .await?;
    let role = if as_seller { "seller" } else { "buyer" };
    Ok(render(&InboxPage {
        layout: Layout::new(&app, Some(&actor), "Messages"),
        as_seller,
        is_seller: actor.store_id.is_some(),
        unread: app.unread_messages(&actor).await?,
        conversations: page.items.iter().map(ConversationView::of).collect(),
        next_url: page
            .next_cursor
            .map(|c| format!("/messages?as={role}&cursor={c}")),
    }))
}

#[derive(Template)]
#[template(path = "conversation.html")]
struct ConversationPage {
    layout: Layout,
    conversation: ConversationView,
    messages: Vec<MessageView>,
    other_side: &'static str,
    can_write: bool,
    error: Option<String>,
}

async fn conversation_page(
    app: &App,
    actor: &Actor,
    id: ConversationId,
    error: Option<crate::error::ApiError>,
) -> WebResult {
    // The page shows the conversation from the start, up to 1,000 messages.
    let mut page = app
        .read_messages(actor, id, 0, haven_app::MAX_MESSAGES_PAGE)
        .await?;
    let conversation = page.conversation.clone();
    let mut messages = Vec::new();
    for pages_left in (0..5).rev() {
        messages.extend(
            page.messages
                .iter()
                .map(|m| MessageView::for_reader(m, actor.id())),
        );
        let Some(next) = page.next_after.filter(|_| pages_left > 0) else {
            break;
        };
        page = app
            .read_messages(actor, id, next, haven_app::MAX_MESSAGES_PAGE)
            .await?;
    }
    let is_buyer = conversation.buyer_id == actor.id();
    let can_write = is_buyer || Some(conversation.store_id) == actor.store_id;
    let status = error
        .as_ref()
        .map_or(axum::http::StatusCode::OK, |e| e.status);
    let error = error.map(|e| e.message);
    let page = ConversationPage {
        layout: Layout::new(app, Some(actor), conversation.subject.clone()),
        conversation: ConversationView::of(&conversation),
        messages,
        other_side: if is_buyer { "the seller" } else { "the buyer" },
        can_write,
        error,
    };
    Ok((status, render(&page)).into_response())
}

pub async fn show(
    State(app): AppState,
    Member(actor): Member,
    Path(id): Path<String>,
) -> WebResult {
    let id: ConversationId = path_id(&id, "conversation")?;
    conversation_page(&app, &actor, id, None).await
}

/// Text and an optional photo or video, as a multipart form (`?csrf=`).
pub async fn send(
    State(app): AppState,
    Member(actor): Member,
    Path(id): Path<String>,
    multipart: Multipart,
) -> WebResult {
    let id: ConversationId = path_id(&id, "conversation")?;
    let mut parts = read_multipart(multipart, &app).await?;
    let sent = match parts.file.take().transpose() {
        Ok(stored) => {
            let files = stored
                .map(|stored| NewAttachment {
                    upload: Upload::Stored(stored),
                })
                .into_iter()
                .collect();
            app.send_message(&actor, id, parts.get("text"), files).await
        }
        Err(refused) => Err(refused),
    };
    match sent {
        Ok(_) => Ok(Redirect::to(&format!("/messages/{id}#latest")).into_response()),
        Err(err) => conversation_page(&app, &actor, id, Some(err.into())).await,
    }
}

pub async fn for_order(
    State(app): AppState,
    Member(actor): Member,
    Path(id): Path<String>,
) -> WebResult {
    let order_id: OrderId = path_id(&id, "order")?;
    let conversation = app.order_conversation(&actor, order_id).await?;
    Ok(Redirect::to(&format!("/messages/{}", conversation.id)).into_response())
}

pub async fn ask_seller(
    State(app): AppState,
    Member(actor): Member,
    Path(id): Path<String>,
) -> WebResult {
    let listing_id: ListingId = path_id(&id, "listing")?;
    let conversation = app.presale_conversation(&actor, listing_id).await?;
    Ok(Redirect::to(&format!("/messages/{}", conversation.id)).into_response())
}

pub async fn attachment(
    State(app): AppState,
    Member(actor): Member,
    Path((id, hash)): Path<(String, String)>,
) -> WebResult {
    let id: ConversationId = path_id(&id, "conversation")?;
    let (file, bytes) = app.message_attachment(&actor, id, &hash).await?;
    Ok((
        [(axum::http::header::CONTENT_TYPE, file.content_type)],
        bytes,
    )
        .into_response())
}
