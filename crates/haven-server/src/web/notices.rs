//! The bell's page: a person's notices, newest first, with the unread ones
//! marked, and one button to mark them all read.

use askama::Template;
use axum::extract::State;
use haven_store::PageRequest;

use super::{AppState, CursorQuery, Layout, Member, Query, WebResult, filters, render};

pub struct NoticeRow {
    pub title: String,
    pub detail: String,
    pub link: String,
    pub at: jiff::Timestamp,
    pub unread: bool,
}

#[derive(Template)]
#[template(path = "notifications.html")]
struct NotificationsPage {
    layout: Layout,
    notices: Vec<NoticeRow>,
    next: Option<String>,
}

pub async fn list(
    State(app): AppState,
    Member(actor): Member,
    Query(q): Query<CursorQuery>,
) -> WebResult {
    let page = app
        .my_notifications(&actor, &PageRequest::new(q.cursor, Some(30)))
        .await?;
    Ok(render(&NotificationsPage {
        layout: Layout::new(&app, Some(&actor), "Notifications"),
        notices: page
            .items
            .into_iter()
            .map(|n| NoticeRow {
                unread: n.read_at.is_none(),
                title: n.title,
                detail: n.detail,
                link: n.link,
                at: n.created_at,
            })
            .collect(),
        next: page
            .next_cursor
            .map(|c| format!("/notifications?cursor={c}")),
    }))
}

pub async fn mark_read(State(app): AppState, Member(actor): Member) -> WebResult {
    app.read_notifications(&actor).await?;
    Ok(super::csrf::redirect_with_flash(
        &app,
        "/notifications",
        "All notifications marked as read.",
    ))
}
