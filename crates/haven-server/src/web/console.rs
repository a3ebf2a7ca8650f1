//! The trust-and-safety side of the console: security flags (credential
//! stuffing, scam messages), conversations flagged for repeated scam
//! messages, and sellers' identity documents waiting for review.

use super::{CursorQuery, Path, Query};
use super::{OrBack, WebError};
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
    /// When the document was sent (the account's creation if unknown).
    pub waiting_since: haven_domain::Timestamp,
}

/// A held listing with its store named.
struct HeldListing {
    view: crate::views::ListingView,
    store: String,
}

/// A store under enforcement, named.
struct EnforcedStore {
    record: haven_domain::enforcement::StoreEnforcement,
    store: String,
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
    enforced: Vec<EnforcedStore>,
    /// Listings held by the listing checks or by agents.
    held_listings: Vec<HeldListing>,
    /// Brand proofs waiting for an agent, with the store named.
    brand_proofs: Vec<(crate::views::BrandProofView, String)>,
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
    let mut enforced = Vec::new();
    for record in app
        .enforcement_queue(&actor, &PageRequest::new(None, Some(50)))
        .await?
        .items
    {
        let (_, store) = app.cached_reputation(record.store_id).await?;
        enforced.push(EnforcedStore { record, store });
    }
    let mut held_listings = Vec::new();
    for listing in app
        .held_listings(&actor, &PageRequest::new(None, Some(50)))
        .await?
        .items
    {
        let (_, store) = app.cached_reputation(listing.store_id).await?;
        held_listings.push(HeldListing {
            view: crate::views::ListingView::from(&listing),
            store,
        });
    }
    let mut brand_proofs = Vec::new();
    for proof in app
        .pending_brand_proofs(&actor, &PageRequest::new(None, Some(50)))
        .await?
        .items
    {
        let (_, store) = app.cached_reputation(proof.store_id).await?;
        brand_proofs.push((crate::views::BrandProofView::from(&proof), store));
    }
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
                waiting_since: u.identity.submitted_at.unwrap_or(u.created_at),
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
        .await
        .or_back("/console/safety")?;
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
    commands: Vec<DeadLetterRow>,
    next: Option<String>,
}

/// A dead-lettered command in words an agent reads.
struct DeadLetterRow {
    id: String,
    what: &'static str,
    details: String,
    order_id: Option<String>,
    item: Option<String>,
    /// The order's buyer and store, by name.
    parties: Option<String>,
    last_error: String,
    attempts: i32,
    since: haven_domain::Timestamp,
    /// A finding is dismissed, never retried.
    retry: bool,
    /// Retrying sends money: the agent ticks that they checked first.
    moves_money: bool,
}

fn command_in_words(kind: &str) -> &'static str {
    use haven_app::commands as c;
    match kind {
        c::EMAIL => "Email",
        c::GATEWAY_REFUND => "Refund to the buyer's card",
        c::GATEWAY_VOID => "Release of a card hold",
        c::GATEWAY_CAPTURE => "Card payment at checkout",
        c::CHARGEBACK_EVIDENCE => "Evidence for a chargeback",
        haven_app::reconcile::MISSING_CAPTURE => "Paid order the gateway shows no payment for",
        haven_app::webhooks::WEBHOOK_DELIVER => "Webhook delivery",
        haven_app::payouts::PAYOUT_SEND => "Payout to a seller's bank",
        haven_app::notify::MESSAGE_DIGEST => "New-messages email",
        _ => "Other task",
    }
}

/// What a command carries, briefly: an email's recipient and subject, a
/// payment's amount; otherwise nothing (the raw task is on the API).
fn command_details(command: &haven_store::Command) -> String {
    let p = &command.payload;
    if command.kind == haven_app::commands::EMAIL {
        return format!(
            "To {}: {}",
            p["to"].as_str().unwrap_or("?"),
            p["subject"].as_str().unwrap_or("")
        );
    }
    let amount = p["amount_minor"].as_i64().zip(
        p["currency"]
            .as_str()
            .and_then(|c| haven_domain::money::Currency::parse(c).ok()),
    );
    match amount {
        Some((minor, currency)) => super::shown(haven_domain::money::Money::new(minor, currency)),
        None => String::new(),
    }
}

async fn dead_letter_row(
    app: &haven_app::App,
    command: &haven_store::Command,
) -> Result<DeadLetterRow, haven_app::AppError> {
    use haven_app::commands as c;
    let order = match command.order_id {
        Some(order) => app.store.order(order).await?,
        None => None,
    };
    let parties = match &order {
        Some(o) => {
            let buyer = super::user_name(app, o.buyer_id).await?;
            let (_, store) = app.cached_reputation(o.store_id).await?;
            Some(format!("{buyer}, buying from {store}"))
        }
        None => None,
    };
    let item = order.map(|o| o.listing_title);
    Ok(DeadLetterRow {
        id: command.id.to_string(),
        what: command_in_words(&command.kind),
        details: command_details(command),
        order_id: command.order_id.map(|o| o.to_string()),
        item,
        parties,
        last_error: command.last_error.clone(),
        attempts: command.attempts,
        since: command.created_at,
        retry: command.kind != haven_app::reconcile::MISSING_CAPTURE,
        moves_money: [
            c::GATEWAY_REFUND,
            c::GATEWAY_CAPTURE,
            haven_app::payouts::PAYOUT_SEND,
        ]
        .contains(&command.kind.as_str()),
    })
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
    let mut commands = Vec::with_capacity(page.items.len());
    for command in &page.items {
        commands.push(dead_letter_row(&app, command).await?);
    }
    Ok(render(&CommandsPage {
        layout: Layout::new(&app, Some(&actor), "Dead letters"),
        commands,
        next: page
            .next_cursor
            .map(|c| format!("/console/commands?cursor={c}")),
    }))
}

fn command_id(raw: &str) -> Result<uuid::Uuid, crate::error::ApiError> {
    raw.parse()
        .map_err(|_| crate::error::ApiError::not_found("command"))
}

#[derive(Deserialize)]
pub struct RetryForm {
    /// "yes": the agent checked the money did not already move.
    #[serde(default)]
    checked: String,
}

pub async fn retry_dead_letter(
    State(app): AppState,
    Member(actor): Member,
    Path(id): Path<String>,
    RawBody(body): RawBody,
) -> WebResult {
    let form: RetryForm = parse_form(&body)?;
    app.require_agent(&actor)?;
    let command = app
        .store
        .command(command_id(&id)?)
        .await?
        .ok_or_else(|| crate::error::ApiError::not_found("command"))?;
    if dead_letter_row(&app, &command).await?.moves_money && form.checked != "yes" {
        return Err(WebError::Back {
            to: format!("/console/commands#command-{id}"),
            reason: "This sends money: tick that you checked it has not already gone, then retry."
                .into(),
        });
    }
    app.retry_dead_letter(&actor, command_id(&id)?)
        .await
        .or_back("/console/commands")?;
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
        .await
        .or_back("/console/commands")?;
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
    app.decide_appeal(&actor, store, grant, &form.note)
        .await
        .or_back("/console/safety")?;
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
            return Err(WebError::Back {
                to: "/console/safety#brand-proofs".into(),
                reason: "Choose approve or refuse.".into(),
            });
        }
    };
    let decided = app
        .decide_brand_proof(&actor, store_id, &brand, approve, &form.note)
        .await
        .or_back("/console/safety#brand-proofs")?;
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
    let back = format!("/stores/{store}");
    let order = app
        .store_order_named(&actor, store, &form.order_id)
        .await
        .or_back(&back)?;
    let standing = app
        .record_strike(
            &actor,
            store,
            order,
            &form.reason,
            form.fake_tracking == "true",
        )
        .await
        .or_back(&back)?;
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

#[derive(Deserialize)]
pub struct CloseConversationForm {
    #[serde(default)]
    note: String,
}

/// An agent takes a dealt-with conversation out of the queue.
pub async fn close_conversation(
    State(app): AppState,
    Member(actor): Member,
    Path(id): Path<String>,
    RawBody(body): RawBody,
) -> WebResult {
    let form: CloseConversationForm = parse_form(&body)?;
    let back = "/console/safety#flagged-conversations";
    app.close_flagged_conversation(&actor, path_id(&id, "conversation")?, &form.note)
        .await
        .or_back(back)?;
    Ok(super::csrf::redirect_with_flash(
        &app,
        back,
        "Closed: it left the queue, and your note is kept.",
    ))
}
