//! A person's own data, as one JSON document they can download: their
//! profile, sign-ins, orders as a buyer, disputes, conversations with their
//! messages, and notices. Everything is shown as the API shows it to them,
//! so the export holds nothing they could not already see (no other
//! party's email, no seller's commission, no risk scores).

use std::sync::Arc;

use axum::extract::State;
use axum::http::header;
use axum::response::{IntoResponse, Response};
use haven_store::{Page, PageRequest};
use serde_json::{Value, json};

use axum::Json;
use serde::{Deserialize, Serialize};
use utoipa::ToSchema;

use super::extract::{Auth, RawBody, parse_json};
use crate::error::{ApiResult, ErrorBody};
use crate::views::{ConversationView, DisputeView, MessageView, OrderView, ts};
use haven_app::{Actor, App};

type AppState = State<Arc<App>>;

/// The most of each list an export holds.
const MAX_ITEMS: usize = 10_000;
const PAGE: u32 = 100;
/// The most messages exported per conversation.
const MAX_MESSAGES: u32 = 1_000;

/// Read every page of a list, up to [`MAX_ITEMS`].
async fn every<T, F, Fut>(mut read: F) -> ApiResult<Vec<T>>
where
    F: FnMut(PageRequest) -> Fut,
    Fut: std::future::Future<Output = Result<Page<T>, haven_store::StoreError>>,
{
    let mut items = Vec::new();
    let mut cursor = None;
    loop {
        let page = read(PageRequest::new(cursor, Some(PAGE))).await?;
        items.extend(page.items);
        match page.next_cursor {
            Some(next) if items.len() < MAX_ITEMS => cursor = Some(next),
            _ => return Ok(items),
        }
    }
}

fn profile(actor: &Actor) -> Value {
    let user = &actor.user;
    json!({
        "id": user.id.to_string(),
        "email": user.email.as_str(),
        "display_name": user.display_name,
        "roles": user.roles,
        "created_at": ts(user.created_at),
        "email_verified_at": user.email_verified_at.map(ts),
        "two_factor_enabled": user.totp.is_some(),
        "identity_status": user.identity.status,
        "payout_account": user.payout_account.as_ref().map(|a| json!({"holder": a.holder, "iban": a.masked()})),
        "email_off": user.email_off,
    })
}

async fn export(app: &App, actor: &Actor) -> ApiResult<Value> {
    let me = actor.id();
    let now = app.now();
    let sessions: Vec<Value> = app
        .store
        .sessions_for_user(me)
        .await?
        .iter()
        .map(|s| json!({"device": s.user_agent, "ip": s.ip, "created_at": ts(s.created_at), "last_seen_at": ts(s.last_seen_at)}))
        .collect();
    let orders = every(|page| async move { app.store.orders_for_buyer(me, &page).await }).await?;
    let orders: Vec<OrderView> = orders
        .iter()
        .map(|o| OrderView::seen_by(o, actor, now))
        .collect();
    let policy = app.current_policy().1;
    let disputes =
        every(|page| async move { app.store.disputes_for_buyer(me, &page).await }).await?;
    let disputes: Vec<DisputeView> = disputes
        .iter()
        .map(|d| DisputeView::of(d, &policy))
        .collect();
    let conversations =
        every(|page| async move { app.store.conversations_for_buyer(me, &page).await }).await?;
    let mut threads = Vec::with_capacity(conversations.len());
    for conversation in &conversations {
        let messages: Vec<MessageView> = app
            .store
            .messages(conversation.id, 0, MAX_MESSAGES)
            .await?
            .iter()
            .map(|m| MessageView::for_reader(m, me))
            .collect();
        threads.push(
            json!({"conversation": ConversationView::named(app, conversation).await?, "messages": messages}),
        );
    }
    let notices = every(|page| async move { app.store.notifications_for(me, &page).await }).await?;
    let notices: Vec<Value> = notices
        .iter()
        .map(|n| json!({"title": n.title, "detail": n.detail, "link": n.link, "created_at": ts(n.created_at), "read_at": n.read_at.map(ts)}))
        .collect();
    Ok(json!({
        "exported_at": ts(now),
        "profile": profile(actor),
        "sessions": sessions,
        "orders": orders,
        "disputes": disputes,
        "conversations": threads,
        "notifications": notices,
    }))
}

/// The download: JSON, named for the day, never cached.
pub async fn download(app: &App, actor: &Actor) -> ApiResult<Response> {
    let body = export(app, actor).await?;
    let name = format!(
        "attachment; filename=\"haven-data-{}.json\"",
        app.now().strftime("%Y-%m-%d")
    );
    Ok((
        [
            (header::CONTENT_TYPE, "application/json".to_string()),
            (header::CONTENT_DISPOSITION, name),
            (header::CACHE_CONTROL, "no-store".to_string()),
        ],
        serde_json::to_vec_pretty(&body).unwrap_or_default(),
    )
        .into_response())
}

#[utoipa::path(get, path = "/api/v1/account/export", tag = "accounts",
    responses((status = 200, description = "Everything Haven holds about the caller that the caller may see, as one JSON document: profile, sign-ins, orders, disputes, conversations with messages, notifications", content_type = "application/json"), (status = 401, body = ErrorBody)), security(("bearer" = [])))]
pub async fn export_json(State(app): AppState, Auth(actor): Auth) -> ApiResult<Response> {
    download(&app, &actor).await
}

#[derive(Debug, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct CloseAccountRequest {
    /// The account's password, typed again.
    pub password: String,
}

#[derive(Debug, Serialize, ToSchema)]
pub struct AccountClosedView {
    pub closed: bool,
    /// Orders whose shipping address was erased.
    pub orders_erased: usize,
}

#[utoipa::path(post, path = "/api/v1/account/close", tag = "accounts", request_body = CloseAccountRequest,
    responses((status = 200, description = "Closed: personal data erased or pseudonymised, every session signed out; the ledger, audit trail and dispute evidence are kept", body = AccountClosedView),
              (status = 401, body = ErrorBody), (status = 403, description = "step_up_required", body = ErrorBody),
              (status = 409, description = "account_in_use: orders in progress, an open dispute, unspent credit or a store; the message says which", body = ErrorBody)),
    security(("bearer" = [])))]
pub async fn close(
    State(app): AppState,
    Auth(actor): Auth,
    RawBody(body): RawBody,
) -> ApiResult<Json<AccountClosedView>> {
    let req: CloseAccountRequest = parse_json(&body)?;
    let report = app.close_account(&actor, &req.password).await?;
    Ok(Json(AccountClosedView {
        closed: true,
        orders_erased: report.orders_erased,
    }))
}
