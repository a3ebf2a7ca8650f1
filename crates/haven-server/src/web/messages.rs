//! Messages between buyers and sellers: the inbox, a conversation with
//! scam warnings shown to the recipient, and "blocked" told to the sender.

use super::{Path, Query};
use askama::Template;
use axum::extract::{Multipart, State};
use axum::response::{IntoResponse, Redirect};
use haven_domain::ids::{ConversationId, ListingId, OrderId};
use haven_domain::messaging::Delivery;
use haven_store::PageRequest;
use serde::Deserialize;

use super::disputes::read_multipart;
use super::{AppState, Layout, Member, WebResult, filters, parse_form, render};
use crate::api::extract::{RawBody, path_id};
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
    // A seller's inbox opens on the store's conversations: that is where
    // buyers are waiting for answers.
    let as_seller = match q.as_role.as_deref() {
        Some(role) => role == "seller",
        None => actor.store_id.is_some(),
    };
    let page = app
        .my_conversations(&actor, as_seller, &PageRequest::new(q.cursor, Some(25)))
        .await?;
    let role = if as_seller { "seller" } else { "buyer" };
    Ok(render(&InboxPage {
        layout: Layout::new(&app, Some(&actor), "Messages"),
        as_seller,
        is_seller: actor.store_id.is_some(),
        unread: app.unread_messages(&actor).await?,
        conversations: ConversationView::all_named(&app, &page.items).await?,
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
    /// Who the reader writes to: the store's or the buyer's name.
    other_name: String,
    can_write: bool,
    /// The reader reported this conversation already.
    reported: bool,
    error: Option<String>,
    /// The refused message's text, back in the box to be put right.
    typed: String,
}

async fn conversation_page(
    app: &App,
    actor: &Actor,
    id: ConversationId,
    error: Option<crate::error::ApiError>,
    typed: &str,
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
    let view = ConversationView::named(app, &conversation).await?;
    let page = ConversationPage {
        layout: Layout::new(app, Some(actor), conversation.subject.clone()),
        other_name: if is_buyer {
            view.store_name.clone()
        } else {
            view.buyer_name.clone()
        },
        conversation: view,
        messages,
        can_write,
        reported: conversation.reports.iter().any(|r| r.by == actor.id()),
        error,
        typed: typed.to_string(),
    };
    Ok((status, render(&page)).into_response())
}

pub async fn show(
    State(app): AppState,
    Member(actor): Member,
    Path(id): Path<String>,
) -> WebResult {
    let id: ConversationId = path_id(&id, "conversation")?;
    conversation_page(&app, &actor, id, None, "").await
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
        Ok(message) if message.delivery == Delivery::Blocked => {
            Ok(super::csrf::redirect_with_refusal(
                &app,
                &format!("/messages/{id}#latest"),
                NOT_DELIVERED,
            ))
        }
        Ok(_) => Ok(super::csrf::redirect_with_flash(
            &app,
            &format!("/messages/{id}#latest"),
            "Message sent.",
        )),
        Err(err) => conversation_page(&app, &actor, id, Some(err.into()), parts.get("text")).await,
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

#[derive(Template)]
#[template(path = "ask_seller.html")]
struct AskPage {
    layout: Layout,
    listing_id: String,
    title: String,
    store_name: String,
    text: String,
    error: Option<String>,
}

async fn ask_page(
    app: &App,
    actor: &Actor,
    listing_id: ListingId,
    text: String,
    error: Option<String>,
) -> WebResult {
    let listing = app
        .store
        .listing(listing_id)
        .await?
        .ok_or_else(|| haven_app::AppError::not_found("listing"))?;
    let (_, store_name) = app.cached_reputation(listing.store_id).await?;
    let status = if error.is_some() {
        axum::http::StatusCode::UNPROCESSABLE_ENTITY
    } else {
        axum::http::StatusCode::OK
    };
    let page = AskPage {
        layout: Layout::new(app, Some(actor), format!("Ask {store_name}")),
        listing_id: listing.id.to_string(),
        title: listing.title,
        store_name,
        text,
        error,
    };
    Ok((status, render(&page)).into_response())
}

/// "Ask the seller": the conversation so far if there is one, otherwise a
/// form; nothing is created until a message is sent.
pub async fn ask_form(
    State(app): AppState,
    Member(actor): Member,
    Path(id): Path<String>,
) -> WebResult {
    let listing_id: ListingId = path_id(&id, "listing")?;
    if let Some(found) = app
        .store
        .presale_conversation(listing_id, actor.id())
        .await?
    {
        return Ok(Redirect::to(&format!("/messages/{}#latest", found.id)).into_response());
    }
    ask_page(&app, &actor, listing_id, String::new(), None).await
}

#[derive(Deserialize)]
pub struct AskForm {
    #[serde(default)]
    text: String,
}

/// Said after a message the scanner stopped; the reasons are under it.
const NOT_DELIVERED: &str =
    "Your message was not delivered. The reasons are shown under it, so you can rewrite it.";

pub async fn ask_seller(
    State(app): AppState,
    Member(actor): Member,
    Path(id): Path<String>,
    RawBody(body): RawBody,
) -> WebResult {
    let listing_id: ListingId = path_id(&id, "listing")?;
    let form: AskForm = parse_form(&body)?;
    match app.ask_seller(&actor, listing_id, &form.text).await {
        Ok((conversation, message)) if message.delivery == Delivery::Blocked => {
            Ok(super::csrf::redirect_with_refusal(
                &app,
                &format!("/messages/{}#latest", conversation.id),
                NOT_DELIVERED,
            ))
        }
        Ok((conversation, _)) => Ok(super::csrf::redirect_with_flash(
            &app,
            &format!("/messages/{}#latest", conversation.id),
            "Question sent: the seller's answer appears here, and you get a notification.",
        )),
        Err(err) if err.kind.is_correctable() => {
            ask_page(&app, &actor, listing_id, form.text, Some(err.message)).await
        }
        Err(err) => Err(err.into()),
    }
}

#[derive(Deserialize)]
pub struct ReportForm {
    #[serde(default)]
    reason: String,
}

/// A party sends the conversation to trust and safety.
pub async fn report(
    State(app): AppState,
    Member(actor): Member,
    Path(id): Path<String>,
    RawBody(body): RawBody,
) -> WebResult {
    let id: ConversationId = path_id(&id, "conversation")?;
    let form: ReportForm = parse_form(&body)?;
    match app.report_conversation(&actor, id, &form.reason).await {
        Ok(_) => Ok(super::csrf::redirect_with_flash(
            &app,
            &format!("/messages/{id}"),
            "Thank you. An agent will read this conversation. Meanwhile, never pay or share your details outside Haven.",
        )),
        Err(err) if err.kind.is_correctable() => {
            conversation_page(&app, &actor, id, Some(err.into()), "").await
        }
        Err(err) => Err(err.into()),
    }
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
