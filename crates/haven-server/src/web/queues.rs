//! The trust-and-safety console's front page: every queue an agent works,
//! with how many cases wait and how long the oldest has waited, most
//! overdue first; then the escalated disputes with their amount, item,
//! parties and age, the longest-waiting on top.

use askama::Template;
use axum::extract::State;
use haven_domain::Timestamp;
use haven_domain::money::Money;
use haven_store::{CaseStatus, PageRequest};

use super::{AppState, CursorQuery, Layout, Member, Query, WebResult, filters, render};
use haven_app::{Actor, App, AppError};

/// Cases read per queue for its count: more shows as "25+".
const PEEK: u32 = 25;

struct QueueCard {
    title: &'static str,
    what: &'static str,
    link: &'static str,
    id: &'static str,
    count: usize,
    more: bool,
    /// When the oldest case in view started waiting.
    oldest: Option<Timestamp>,
    /// How long that is, in words.
    waiting: String,
}

struct CaseRow {
    dispute_id: String,
    item: String,
    held: String,
    buyer: String,
    store: String,
    reason: String,
    waiting: String,
    since: String,
    no_delivery_scan: bool,
}

#[derive(Template)]
#[template(path = "console.html")]
struct ConsolePage {
    layout: Layout,
    queues: Vec<QueueCard>,
    cases: Vec<CaseRow>,
    next_url: Option<String>,
}

fn card(
    (title, what, link, id): (&'static str, &'static str, &'static str, &'static str),
    times: Vec<Timestamp>,
    more: bool,
    now: Timestamp,
) -> QueueCard {
    let oldest = times.iter().min().copied();
    QueueCard {
        title,
        what,
        link,
        id,
        count: times.len(),
        more,
        oldest,
        waiting: oldest
            .map(|at| super::age_words(now.duration_since(at).as_secs()))
            .unwrap_or_default(),
    }
}

/// The order's buyer and store, by name, for a console row.
pub(super) async fn party_names(
    app: &App,
    order: &haven_domain::order::Order,
) -> Result<(String, String), AppError> {
    let buyer = app
        .store
        .user(order.buyer_id)
        .await?
        .map_or_else(|| "A buyer".to_string(), |u| u.display_name);
    let (_, store) = app.cached_reputation(order.store_id).await?;
    Ok((buyer, store))
}

async fn queues(app: &App, actor: &Actor) -> Result<Vec<QueueCard>, AppError> {
    let peek = || PageRequest::new(None, Some(PEEK));
    let now = app.now();
    let mut cards = Vec::new();
    let disputes = app.store.escalated_disputes(&peek()).await?;
    cards.push(card(
        (
            "Escalated disputes",
            "Buyers and sellers waiting for Haven's decision",
            "#cases",
            "queue-disputes",
        ),
        disputes
            .items
            .iter()
            .map(|d| d.escalated_at.unwrap_or(d.opened_at))
            .collect(),
        disputes.next_cursor.is_some(),
        now,
    ));
    let payments = app.review_queue(actor, &peek()).await?;
    cards.push(card(
        (
            "Held payments",
            "Checkouts the risk engine held for a person to approve",
            "/console/risk",
            "queue-payments",
        ),
        payments.items.iter().map(|p| p.attempt.at).collect(),
        payments.next_cursor.is_some(),
        now,
    ));
    let listings = app.store.held_listings(&peek()).await?;
    cards.push(card(
        (
            "Flagged listings",
            "Held by an agent or by the listing checks",
            "/console/safety#held-listings",
            "queue-listings",
        ),
        listings
            .items
            .iter()
            .map(|l| l.hold.as_ref().map_or(l.created_at, |h| h.at))
            .collect(),
        listings.next_cursor.is_some(),
        now,
    ));
    let chats = app.flagged_conversations(actor, &peek()).await?;
    cards.push(card(
        (
            "Flagged conversations",
            "Reported, or with repeated scam messages",
            "/console/safety#flagged-conversations",
            "queue-conversations",
        ),
        chats
            .items
            .iter()
            // Waiting since the first report, else since the message
            // that flagged it.
            .map(|c| {
                c.reports
                    .iter()
                    .map(|r| r.at)
                    .min()
                    .or(c.last_message_at)
                    .unwrap_or(c.created_at)
            })
            .collect(),
        chats.next_cursor.is_some(),
        now,
    ));
    let brushing = app
        .integrity_cases(actor, Some(CaseStatus::Open), &peek())
        .await?;
    cards.push(card(
        (
            "Brushing cases",
            "Reviews the integrity checks took out of a store's rating",
            "/console/reviews",
            "queue-brushing",
        ),
        brushing.items.iter().map(|c| c.created_at).collect(),
        brushing.next_cursor.is_some(),
        now,
    ));
    let identities = app.store.pending_identity_reviews(&peek()).await?;
    cards.push(card(
        (
            "Identity reviews",
            "Sellers' documents waiting for the Verified badge",
            "/console/safety#identity-reviews",
            "queue-identity",
        ),
        identities
            .items
            .iter()
            .map(|u| u.identity.submitted_at.unwrap_or(u.created_at))
            .collect(),
        identities.next_cursor.is_some(),
        now,
    ));
    let dead = app.dead_letters(actor, &peek()).await?;
    cards.push(card(
        (
            "Dead-lettered commands",
            "Refunds, emails and calls that gave up after their retries",
            "/console/commands",
            "queue-dead-letters",
        ),
        dead.items.iter().map(|c| c.created_at).collect(),
        dead.next_cursor.is_some(),
        now,
    ));
    // The longest wait first; empty queues last.
    cards.sort_by_key(|c| (c.oldest.is_none(), c.oldest));
    Ok(cards)
}

async fn case_rows(
    app: &App,
    disputes: &[haven_domain::dispute::Dispute],
) -> Result<Vec<CaseRow>, AppError> {
    let now = app.now();
    let mut rows = Vec::with_capacity(disputes.len());
    for d in disputes {
        let order = app.order(d.order_id).await?;
        let (buyer, store) = party_names(app, &order).await?;
        let since = d.escalated_at.unwrap_or(d.opened_at);
        rows.push(CaseRow {
            dispute_id: d.id.to_string(),
            item: order.listing_title.clone(),
            held: super::shown(Money::new(order.escrow_minor(), order.total.currency)),
            buyer,
            store,
            reason: d.reason.label().to_string(),
            waiting: super::age_words(now.duration_since(since).as_secs()),
            since: since.to_string(),
            no_delivery_scan: order.delivered_at.is_none(),
        });
    }
    rows.sort_by(|a, b| a.since.cmp(&b.since));
    Ok(rows)
}

pub async fn overview(
    State(app): AppState,
    Member(actor): Member,
    Query(q): Query<CursorQuery>,
) -> WebResult {
    app.require_agent(&actor)?;
    let page = app
        .store
        .escalated_disputes(&PageRequest::new(q.cursor, Some(PEEK)))
        .await?;
    Ok(render(&ConsolePage {
        layout: Layout::new(&app, Some(&actor), "Console"),
        queues: queues(&app, &actor).await?,
        cases: case_rows(&app, &page.items).await?,
        next_url: page.next_cursor.map(|c| format!("/console?cursor={c}")),
    }))
}
