//! The trust-and-safety side of the console: security flags (credential
//! stuffing, scam messages), conversations flagged for repeated scam
//! messages, and sellers' identity documents waiting for review.

use super::{CursorQuery, Path, Query};
use askama::Template;
use axum::extract::State;
use axum::response::IntoResponse;
use haven_domain::ids::UserId;
use haven_domain::messaging::SecurityFlag;
use haven_store::PageRequest;
use serde::Deserialize;

use super::{AppState, Layout, Member, WebResult, filters, parse_form, render};
use crate::api::extract::{RawBody, path_id};
use crate::views::ConversationView;

pub struct ReviewRow {
    pub user_id: String,
    pub name: String,
    pub email: String,
    pub document: Option<String>,
}

struct FlaggedConversation {
    view: ConversationView,
    /// What its parties reported, in words.
    reports: Vec<String>,
}

#[derive(Template)]
#[template(path = "safety.html")]
struct SafetyPage {
    layout: Layout,
    flags: Vec<SecurityFlag>,
    conversations: Vec<FlaggedConversation>,
    reviews: Vec<ReviewRow>,
    next_flags: Option<String>,
    /// Stores in reserve or suspended, or with an appeal waiting.
    enforced: Vec<haven_domain::enforcement::StoreEnforcement>,
    /// Listings held by the listing checks or by agents.
    held_listings: Vec<crate::views::ListingView>,
    /// Brand proofs waiting for an agent.
    brand_proofs: Vec<crate::views::BrandProofView>,
}

#[derive(Deserialize)]
pub struct SafetyQuery {
    flags_cursor: Option<String>,
}

pub async fn safety(
    State(app): AppState,
    Member(actor): Member,
    Query(q): Query<SafetyQuery>,
) -> WebResult {
    app.require_agent(&actor)?;
    let flags = app
        .store
        .security_flags(&PageRequest::new(q.flags_cursor, Some(25)))
        .await?;
    let conversations = app
        .flagged_conversations(&actor, &PageRequest::new(None, Some(25)))
        .await?;
    let reviews = app
        .store
        .pending_identity_reviews(&PageRequest::new(None, Some(50)))
        .await?
        .items;
    let enforced = app
        .enforcement_queue(&actor, &PageRequest::new(None, Some(50)))
        .await?
        .items;
    let held_listings = app
        .held_listings(&actor, &PageRequest::new(None, Some(50)))
        .await?
        .items
        .iter()
        .map(crate::views::ListingView::from)
        .collect();
    let brand_proofs = app
        .pending_brand_proofs(&actor, &PageRequest::new(None, Some(50)))
        .await?
        .items
        .iter()
        .map(crate::views::BrandProofView::from)
        .collect();
    Ok(render(&SafetyPage {
        layout: Layout::new(&app, Some(&actor), "Trust and safety"),
        enforced,
        held_listings,
        brand_proofs,
        flags: flags.items,
        conversations: ConversationView::all_named(&app, &conversations.items)
            .await?
            .into_iter()
            .zip(&conversations.items)
            .map(|(view, c)| FlaggedConversation {
                view,
                reports: c
                    .reports
                    .iter()
                    .map(|r| {
                        format!(
                            "The {} reported: {}",
                            haven_domain::wire_name(&r.party),
                            r.reason
                        )
                    })
                    .collect(),
            })
            .collect(),
        reviews: reviews
            .iter()
            .map(|u| ReviewRow {
                user_id: u.id.to_string(),
                name: u.display_name.clone(),
                email: u.email.as_str().to_string(),
                document: u.identity.document_sha256.clone(),
            })
            .collect(),
        next_flags: flags
            .next_cursor
            .map(|c| format!("/console/safety?flags_cursor={c}")),
    }))
}

#[derive(Deserialize)]
pub struct ReviewForm {
    decision: String,
    #[serde(default)]
    note: String,
}

pub async fn review_identity(
    State(app): AppState,
    Member(actor): Member,
    Path(id): Path<String>,
    RawBody(body): RawBody,
) -> WebResult {
    let user_id: UserId = path_id(&id, "user")?;
    let form: ReviewForm = parse_form(&body)?;
    let approve = form.decision == "approve";
    app.review_identity(&actor, user_id, approve, &form.note)
        .await?;
    let said = if approve {
        "Identity approved: the seller gets an email, and their store shows the Verified badge."
    } else {
        "Identity not approved: the seller gets an email with your note."
    };
    Ok(super::csrf::redirect_with_flash(
        &app,
        "/console/safety",
        said,
    ))
}

/// An identity document, for agents only.
pub async fn identity_document(
    State(app): AppState,
    Member(actor): Member,
    Path(id): Path<String>,
) -> WebResult {
    app.require_agent(&actor)?;
    let user_id: UserId = path_id(&id, "user")?;
    let user = app
        .store
        .user(user_id)
        .await?
        .ok_or_else(|| crate::error::ApiError::not_found("user"))?;
    let hash = user
        .identity
        .document_sha256
        .ok_or_else(|| crate::error::ApiError::not_found("document"))?;
    let bytes = app.blobs.get(&hash).await?;
    let content_type = if bytes.starts_with(b"%PDF-") {
        "application/pdf"
    } else {
        haven_app::sniff_image_type(&bytes).unwrap_or("application/octet-stream")
    };
    // Uploaded by a user: never rendered as a page of ours.
    let headers = [
        (axum::http::header::CONTENT_TYPE, content_type),
        (axum::http::header::CONTENT_DISPOSITION, "attachment"),
        (
            axum::http::header::CONTENT_SECURITY_POLICY,
            "sandbox; default-src 'none'",
        ),
    ];
    Ok((headers, bytes).into_response())
}

#[derive(Template)]
#[template(path = "commands.html")]
struct CommandsPage {
    layout: Layout,
    commands: Vec<crate::views::CommandView>,
    next: Option<String>,
}

/// The dead-letter queue.
pub async fn dead_letters(
    State(app): AppState,
    Member(actor): Member,
    Query(q): Query<CursorQuery>,
) -> WebResult {
    let page = app
        .dead_letters(&actor, &PageRequest::new(q.cursor, Some(50)))
        .await?;
    Ok(render(&CommandsPage {
        layout: Layout::new(&app, Some(&actor), "Dead letters"),
        commands: page
            .items
            .iter()
            .map(crate::views::CommandView::from)
            .collect(),
        next: page
            .next_cursor
            .map(|c| format!("/console/commands?cursor={c}")),
    }))
}

fn command_id(raw: &str) -> Result<uuid::Uuid, crate::error::ApiError> {
    raw.parse()
        .map_err(|_| crate::error::ApiError::not_found("command"))
}

pub async fn retry_dead_letter(
    State(app): AppState,
    Member(actor): Member,
    Path(id): Path<String>,
) -> WebResult {
    app.retry_dead_letter(&actor, command_id(&id)?).await?;
    Ok(super::csrf::redirect_with_flash(
        &app,
        "/console/commands",
        "Sent again; it is back in the queue.",
    ))
}

#[derive(Deserialize)]
pub struct DismissForm {
    note: String,
}

pub async fn dismiss_dead_letter(
    State(app): AppState,
    Member(actor): Member,
    Path(id): Path<String>,
    RawBody(body): RawBody,
) -> WebResult {
    let form: DismissForm = parse_form(&body)?;
    app.dismiss_dead_letter(&actor, command_id(&id)?, &form.note)
        .await?;
    Ok(super::csrf::redirect_with_flash(
        &app,
        "/console/commands",
        "Dismissed, with your note.",
    ))
}

#[derive(Deserialize)]
pub struct AppealDecisionForm {
    decision: String,
    #[serde(default)]
    note: String,
}

pub async fn decide_appeal(
    State(app): AppState,
    Member(actor): Member,
    Path(id): Path<String>,
    RawBody(body): RawBody,
) -> WebResult {
    let store: haven_domain::ids::StoreId = path_id(&id, "store")?;
    let form: AppealDecisionForm = parse_form(&body)?;
    let grant = form.decision == "grant";
    app.decide_appeal(&actor, store, grant, &form.note).await?;
    let message = if grant {
        "Appeal granted: the store is back in good standing."
    } else {
        "Appeal refused."
    };
    Ok(super::csrf::redirect_with_flash(
        &app,
        "/console/safety",
        message,
    ))
}

#[derive(Deserialize)]
pub struct BrandDecisionForm {
    decision: String,
    #[serde(default)]
    note: String,
}

/// An agent approves or refuses a store's brand proof.
pub async fn decide_brand_proof(
    State(app): AppState,
    Member(actor): Member,
    Path((store, brand)): Path<(String, String)>,
    RawBody(body): RawBody,
) -> WebResult {
    let form: BrandDecisionForm = parse_form(&body)?;
    let store_id = path_id(&store, "store")?;
    let approve = match form.decision.as_str() {
        "approve" => true,
        "refuse" => false,
        _ => {
            return Err(crate::error::ApiError::validation("choose approve or refuse").into());
        }
    };
    let decided = app
        .decide_brand_proof(&actor, store_id, &brand, approve, &form.note)
        .await?;
    let done = format!(
        "{} proof {}.",
        decided.brand,
        if approve { "approved" } else { "refused" }
    );
    Ok(super::csrf::redirect_with_flash(
        &app,
        "/console/safety#brand-proofs",
        &done,
    ))
}

#[derive(Deserialize)]
pub struct StrikeForm {
    reason: String,
    #[serde(default)]
    order_id: String,
    /// "true" when the strike is confirmed fake tracking.
    #[serde(default)]
    fake_tracking: String,
}

/// An agent records a confirmed strike (fake tracking, say) from the
/// store's page.
pub async fn record_strike(
    State(app): AppState,
    Member(actor): Member,
    Path(id): Path<String>,
    RawBody(body): RawBody,
) -> WebResult {
    let store: haven_domain::ids::StoreId = path_id(&id, "store")?;
    let form: StrikeForm = parse_form(&body)?;
    let order = match form.order_id.trim() {
        "" => None,
        raw => Some(path_id(raw, "order")?),
    };
    let standing = app
        .record_strike(
            &actor,
            store,
            order,
            &form.reason,
            form.fake_tracking == "true",
        )
        .await?;
    use haven_domain::enforcement::EnforcementLevel;
    let message = match standing.record.level {
        EnforcementLevel::Suspended => "Strike recorded: the store is now suspended.",
        _ if standing.record.releases_frozen.is_some() => {
            "Strike recorded: the store's releases are frozen in its reserve until an appeal is granted."
        }
        EnforcementLevel::Reserve => "Strike recorded: the store's releases go to its reserve.",
        EnforcementLevel::Good => "Strike recorded: the store is still in good standing.",
    };
    Ok(super::csrf::redirect_with_flash(
        &app,
        &format!("/stores/{store}"),
        message,
    ))
}
