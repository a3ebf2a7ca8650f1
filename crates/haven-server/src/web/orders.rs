//! Order pages: the buyer's list and detail (with the protection countdown),
//! and the actions both sides take from the detail page.

use super::{CursorQuery, Path, Query, RefusedForms};
use askama::Template;
use axum::extract::State;
use axum::response::{IntoResponse, Redirect};
use haven_domain::ids::OrderId;
use haven_domain::order::Order;
use haven_risk::tracking::Carrier;
use haven_store::PageRequest;
use serde::Deserialize;

use super::{AppState, Layout, Member, WebError, WebResult, filters, parse_form, render};
use crate::api::extract::{RawBody, path_id};
use crate::views::{OrderView, TrackingEventView};
use haven_app::{Actor, App};

#[derive(Template)]
#[template(path = "orders.html")]
struct OrdersPage {
    layout: Layout,
    orders: Vec<OrderCard>,
    next_url: Option<String>,
}

/// One order in "My orders": what it is, from whom, where it is on its way,
/// what the buyer has until when, and what they can do next.
struct OrderCard {
    order: OrderView,
    /// A short number to quote to support ("#1F3A9C2D").
    number: String,
    image: Option<String>,
    store_name: String,
    /// The tracker's steps with their state: `done`, `current` or empty.
    steps: Vec<(&'static str, &'static str)>,
    /// The deadline or state in words.
    status: String,
    /// (label, link, primary) for the next steps open to the buyer.
    actions: Vec<(&'static str, String, bool)>,
}

pub async fn list(
    State(app): AppState,
    Member(actor): Member,
    Query(q): Query<CursorQuery>,
) -> WebResult {
    let page = app
        .store
        .orders_for_buyer(actor.id(), &PageRequest::new(q.cursor, Some(25)))
        .await?;
    let mut stores = std::collections::HashMap::new();
    let mut orders = Vec::with_capacity(page.items.len());
    for order in &page.items {
        orders.push(order_card(&app, &actor, order, &mut stores).await?);
    }
    Ok(render(&OrdersPage {
        layout: Layout::new(&app, Some(&actor), "My orders"),
        orders,
        next_url: page.next_cursor.map(|c| format!("/orders?cursor={c}")),
    }))
}

async fn order_card(
    app: &App,
    actor: &Actor,
    order: &Order,
    stores: &mut std::collections::HashMap<haven_domain::ids::StoreId, String>,
) -> Result<OrderCard, WebError> {
    let image = app
        .store
        .listing(order.listing_id)
        .await?
        .and_then(|l| l.images.first().map(|hash| format!("/media/{hash}")));
    let store_name = match stores.get(&order.store_id) {
        Some(name) => name.clone(),
        None => {
            let name = app
                .store
                .shop(order.store_id)
                .await?
                .map_or_else(|| "a store".to_string(), |shop| shop.name);
            stores.insert(order.store_id, name.clone());
            name
        }
    };
    let view = OrderView::seen_by(order, actor, app.now());
    let steps = match order.state.tracker_steps_done() {
        Some(done) => haven_domain::order::TRACKER_STEPS
            .iter()
            .enumerate()
            .map(|(i, step)| {
                let state = if i < done {
                    "done"
                } else if i == done {
                    "current"
                } else {
                    ""
                };
                (*step, state)
            })
            .collect(),
        None => Vec::new(),
    };
    Ok(OrderCard {
        number: view.number(),
        status: card_status(app, order),
        actions: card_actions(&view),
        order: view,
        image,
        store_name,
        steps,
    })
}

/// The one line that tells the buyer where things stand and until when,
/// in the page's language.
fn card_status(app: &App, order: &Order) -> String {
    use super::i18n::{tr, tr_with};
    use haven_domain::order::OrderState as S;
    let day = |at: haven_domain::Timestamp| super::i18n::day(at, false);
    match order.state {
        S::PendingPayment => tr("Waiting for your payment to be confirmed"),
        S::Paid => tr_with("The seller ships by {}", day(order.ship_by_at)),
        S::Shipped | S::Delivered if order.open_dispute.is_some() => {
            tr("A dispute is open: protection is paused and your payment stays in escrow")
        }
        S::Shipped | S::Delivered => match (order.protection_ends_at, time_left(app, order)) {
            (Some(ends), left) if !left.is_empty() => {
                tr_with("Protection ends in {}", format!("{left} ({})", day(ends)))
            }
            _ => tr("Buyer protection has ended"),
        },
        S::Completed => match order.closed_at {
            Some(at) => tr_with("Completed on {}", day(at)),
            None => tr("Completed"),
        },
        S::Cancelled | S::Refunded | S::PartiallyRefunded => {
            let state = match order.state {
                S::Cancelled => tr("Cancelled."),
                S::Refunded => tr("Refunded."),
                _ => tr("Partly refunded."),
            };
            match order.close_reason {
                Some(reason) => format!("{state} {}", tr(reason.explanation())),
                None => state,
            }
        }
    }
}

fn card_actions(view: &OrderView) -> Vec<(&'static str, String, bool)> {
    let order = format!("/orders/{}", view.id);
    let mut actions = Vec::new();
    if view.can("complete_challenge") {
        actions.push(("Verify your payment", order.clone(), true));
    }
    if view.can("confirm_receipt") {
        actions.push(("Confirm receipt", format!("{order}#confirm-receipt"), true));
    }
    if let Some(dispute) = &view.open_dispute_id {
        actions.push(("Go to the dispute", format!("/disputes/{dispute}"), true));
    } else if view.can("open_dispute") {
        actions.push(("Open a dispute", format!("{order}/dispute"), false));
    }
    if view.shipment.is_some() {
        actions.push(("Track", format!("{order}#tracking"), false));
    }
    actions
}

#[derive(Template)]
#[template(path = "order.html")]
struct OrderPage {
    layout: Layout,
    order: OrderView,
    is_buyer: bool,
    is_seller: bool,
    closed: bool,
    demo: bool,
    protection_left: String,
    clock_offset_ms: i64,
    scans: Vec<TrackingEventView>,
    carriers: Vec<(&'static str, &'static str)>,
    suggested_tracking: String,
    /// The buyer may open a dispute now.
    error: Option<String>,
    reviewing: ReviewSection,
    /// A refused review: what was typed, and why, next to its field.
    review_refusal: Option<ReviewRefusal>,
    /// A refused shipment: why, next to the tracking number typed.
    ship_refusal: Option<ShipRefusal>,
    /// A refused review edit ("edit") or buyer rating ("rate").
    refused: Option<super::RefusedForm>,
}

impl super::RefusedForms for OrderPage {
    fn refused(&self) -> Option<&super::RefusedForm> {
        self.refused.as_ref()
    }
}

/// A shipment the seller must correct, as typed.
pub(super) struct ShipRefusal {
    carrier: String,
    tracking_number: String,
    message: String,
}

/// What a refused action puts on the order page.
#[derive(Default)]
struct Refusals {
    /// About the order as a whole, at the top.
    error: Option<String>,
    review: Option<ReviewRefusal>,
    ship: Option<ShipRefusal>,
    form: Option<super::RefusedForm>,
}

/// A review the buyer must correct: the field the refusal is about (none
/// for one about the order, like "too late"), the reason, and the text typed.
pub(super) struct ReviewRefusal {
    pub field: Option<String>,
    pub message: String,
    pub text: String,
}

impl OrderPage {
    fn review_error_for(&self, field: &str) -> Option<&str> {
        self.review_refusal
            .as_ref()
            .filter(|r| r.field.as_deref() == Some(field))
            .map(|r| r.message.as_str())
    }

    /// A refusal about the review as a whole, shown at the top of its form.
    fn review_error(&self) -> Option<&str> {
        const FIELDS: [&str; 6] = [
            "rating",
            "text",
            "photos",
            "item_as_described",
            "communication",
            "shipping_speed",
        ];
        self.review_refusal
            .as_ref()
            .filter(|r| r.field.as_deref().is_none_or(|f| !FIELDS.contains(&f)))
            .map(|r| r.message.as_str())
    }

    fn ship_error(&self) -> Option<&str> {
        self.ship_refusal.as_ref().map(|r| r.message.as_str())
    }

    fn carrier_chosen(&self, carrier: &str) -> bool {
        self.ship_refusal
            .as_ref()
            .is_some_and(|r| r.carrier == carrier)
    }

    fn review_text(&self) -> &str {
        self.review_refusal.as_ref().map_or("", |r| r.text.as_str())
    }
}

/// Reviewing this order: the buyer's review form or review, the seller's
/// rating of the buyer.
struct ReviewSection {
    can_review_until: Option<String>,
    review: Option<crate::api::reviews::ReviewView>,
    can_edit: bool,
    can_rate_buyer: bool,
    buyer_rating: Option<crate::api::reviews::BuyerRatingView>,
    /// For the seller: how sellers rated this buyer, in words.
    buyer_summary: Option<String>,
}

async fn review_section(
    app: &App,
    actor: &Actor,
    order: &Order,
) -> Result<ReviewSection, WebError> {
    let state = app.order_review_state(actor, order).await?;
    let author = order.buyer_id == actor.id();
    let now = app.now();
    Ok(ReviewSection {
        can_review_until: state.can_review_until.map(|t| t.to_string()),
        can_edit: author
            && state
                .review
                .as_ref()
                .is_some_and(|r| haven_domain::reputation::may_edit(r, now).is_ok()),
        review: state
            .review
            .as_ref()
            .map(|r| crate::api::reviews::ReviewView::new(r, author)),
        can_rate_buyer: state.can_rate_buyer,
        buyer_rating: state
            .buyer_rating
            .as_ref()
            .map(crate::api::reviews::BuyerRatingView::from),
        buyer_summary: state
            .buyer_summary
            .map(|s| crate::api::reviews::BuyerSummaryView::new(s).text),
    })
}

/// "12d 4h 10m" of protection left (frozen while a dispute pauses it).
/// How far the marketplace clock runs ahead of real time (the demo's
/// fast-forward), in whole milliseconds, so the page's countdown script
/// counts on the same clock as the server.
pub fn demo_clock_offset_ms(app: &App) -> i64 {
    let offset = app.now().duration_since(haven_domain::Timestamp::now());
    i64::try_from(offset.as_millis()).unwrap_or(0)
}

fn time_left(app: &App, order: &Order) -> String {
    match order.protection_remaining_s(app.now()) {
        Some(secs) if secs > 0 => super::time_left_words(secs),
        _ => String::new(),
    }
}

async fn order_page(app: &App, actor: &Actor, order: Order, error: Option<String>) -> WebResult {
    let refusals = Refusals {
        error,
        ..Refusals::default()
    };
    order_page_with(app, actor, order, refusals).await
}

/// The order page again after a refused review, the reason next to its
/// field and the text as typed.
pub(super) async fn refused_review_page(
    app: &App,
    actor: &Actor,
    order_id: OrderId,
    err: haven_app::AppError,
    text: String,
) -> WebResult {
    let order = app.order_for(actor, order_id).await?;
    let status = crate::error::status_of(err.kind);
    let refusal = ReviewRefusal {
        field: err.details.field.clone(),
        message: err.message,
        text,
    };
    let refusals = Refusals {
        review: Some(refusal),
        ..Refusals::default()
    };
    let page = order_page_with(app, actor, order, refusals).await?;
    Ok((status, page).into_response())
}

/// The order page again after `form` on it was refused: the reason on the
/// field of `fields` it names (else on `fallback`), the text as typed.
pub(super) async fn refused_order_form(
    app: &App,
    actor: &Actor,
    order_id: OrderId,
    form: &'static str,
    (fields, fallback): (&[&str], &str),
    err: haven_app::AppError,
    body: &[u8],
) -> WebResult {
    let err = crate::error::ApiError::from(err);
    let order = app.order_for(actor, order_id).await?;
    let refusal = super::FormRefusal::of_or_on(&err, fields, fallback);
    let refusals = Refusals {
        form: Some(super::RefusedForm::new(form, refusal, body)),
        ..Refusals::default()
    };
    let page = order_page_with(app, actor, order, refusals).await?;
    Ok((crate::error::status_of(err.kind), page).into_response())
}

async fn order_page_with(app: &App, actor: &Actor, order: Order, refusals: Refusals) -> WebResult {
    let scans = app
        .order_scans(&order)
        .await?
        .iter()
        .map(TrackingEventView::from)
        .collect();
    let clock_offset_ms = demo_clock_offset_ms(app);
    let suggested_tracking = match &refusals.ship {
        Some(refused) => refused.tracking_number.clone(),
        None if app.config.demo => haven_app::carrier::simulated_tracking_number(),
        None => String::new(),
    };
    Ok(render(&OrderPage {
        layout: Layout::new(app, Some(actor), order.listing_title.clone()),
        is_buyer: order.buyer_id == actor.id(),
        is_seller: Some(order.store_id) == actor.store_id,
        closed: order.state.is_closed(),
        demo: app.config.demo,
        protection_left: time_left(app, &order),
        clock_offset_ms,
        scans,
        carriers: Carrier::ALL
            .iter()
            .map(|c| (c.as_str(), c.display_name()))
            .collect(),
        suggested_tracking,
        error: refusals.error,
        reviewing: review_section(app, actor, &order).await?,
        order: OrderView::seen_by(&order, actor, app.now()),
        review_refusal: refusals.review,
        ship_refusal: refusals.ship,
        refused: refusals.form,
    }))
}

pub async fn detail(
    State(app): AppState,
    Member(actor): Member,
    Path(id): Path<String>,
) -> WebResult {
    let order = app.order_for(&actor, path_id(&id, "order")?).await?;
    order_page(&app, &actor, order, None).await
}

/// Run an order action: on success, back to the order with a message saying
/// what happened (`said`, from the order as it is now); a refused action
/// re-renders the page with the reason.
async fn act(
    app: &App,
    actor: &Actor,
    order_id: OrderId,
    result: Result<Order, haven_app::AppError>,
    said: impl FnOnce(&Order) -> String,
) -> WebResult {
    match result {
        Ok(order) => Ok(super::csrf::redirect_with_flash(
            app,
            &format!("/orders/{}", order.id),
            &said(&order),
        )),
        Err(err) if err.kind.is_correctable() => {
            let order = app.order_for(actor, order_id).await?;
            Ok((
                crate::error::status_of(err.kind),
                order_page(app, actor, order, Some(err.message)).await?,
            )
                .into_response())
        }
        Err(err) => Err(err.into()),
    }
}

#[derive(Template)]
#[template(path = "confirm.html")]
struct ConfirmPage {
    layout: Layout,
    order: OrderView,
}

#[derive(Deserialize)]
pub struct ConfirmForm {
    #[serde(default)]
    second_confirmation: Option<String>,
}

pub async fn confirm(
    State(app): AppState,
    Member(actor): Member,
    Path(id): Path<String>,
    RawBody(body): RawBody,
) -> WebResult {
    let order_id = path_id(&id, "order")?;
    let form: ConfirmForm = parse_form(&body)?;
    let second = form.second_confirmation.as_deref() == Some("true");
    match app.confirm_receipt(&actor, order_id, second, None).await {
        // The question is a page of its own (GET), so a reload never posts.
        Err(err) if err.kind == haven_app::ErrorKind::SecondConfirmationRequired => {
            Ok(Redirect::to(&format!("/orders/{order_id}/confirm")).into_response())
        }
        result => {
            act(&app, &actor, order_id, result, |_| {
                "Receipt confirmed: the order is complete and the seller is paid.".into()
            })
            .await
        }
    }
}

/// "Are you sure?" before a confirmation without a delivery scan.
pub async fn confirm_form(
    State(app): AppState,
    Member(actor): Member,
    Path(id): Path<String>,
) -> WebResult {
    let order_id = path_id(&id, "order")?;
    let order = app.order_for(&actor, order_id).await?;
    Ok(render(&ConfirmPage {
        layout: Layout::new(&app, Some(&actor), "Confirm receipt"),
        order: OrderView::seen_by(&order, &actor, app.now()),
    }))
}

pub async fn request_cancel(
    State(app): AppState,
    Member(actor): Member,
    Path(id): Path<String>,
) -> WebResult {
    let order_id = path_id(&id, "order")?;
    let result = app.request_cancel(&actor, order_id, None).await;
    act(&app, &actor, order_id, result, |_| {
        "Cancellation requested. If the seller accepts, or does not answer in time, the order is cancelled and your money refunded.".into()
    })
    .await
}

#[derive(Deserialize)]
pub struct CancelResponseForm {
    accept: String,
}

pub async fn respond_cancel(
    State(app): AppState,
    Member(actor): Member,
    Path(id): Path<String>,
    RawBody(body): RawBody,
) -> WebResult {
    let order_id = path_id(&id, "order")?;
    let form: CancelResponseForm = parse_form(&body)?;
    let accept = form.accept == "true";
    let result = app.respond_cancel(&actor, order_id, accept, None).await;
    act(&app, &actor, order_id, result, |_| {
        if accept {
            "Cancellation accepted: the order is cancelled and the buyer refunded.".into()
        } else {
            "Cancellation declined: ship the order by its ship-by date.".into()
        }
    })
    .await
}

#[derive(Deserialize)]
pub struct ShipForm {
    carrier: String,
    tracking_number: String,
}

pub async fn ship(
    State(app): AppState,
    Member(actor): Member,
    Path(id): Path<String>,
    RawBody(body): RawBody,
) -> WebResult {
    let order_id = path_id(&id, "order")?;
    let form: ShipForm = parse_form(&body)?;
    let result = app
        .ship(&actor, order_id, &form.carrier, &form.tracking_number, None)
        .await;
    if let Err(err) = &result
        && err.kind.is_correctable()
    {
        let order = app.order_for(&actor, order_id).await?;
        let refusals = Refusals {
            ship: Some(ShipRefusal {
                carrier: form.carrier.clone(),
                tracking_number: form.tracking_number.clone(),
                message: err.message.clone(),
            }),
            ..Refusals::default()
        };
        let page = order_page_with(&app, &actor, order, refusals).await?;
        return Ok((crate::error::status_of(err.kind), page).into_response());
    }
    act(&app, &actor, order_id, result, |order| {
        let number = order
            .shipment
            .as_ref()
            .map_or(form.tracking_number.trim(), |s| s.tracking_number.as_str());
        format!("Marked as shipped with tracking number {number}: the buyer can follow the parcel.")
    })
    .await
}

pub async fn advance(
    State(app): AppState,
    Member(actor): Member,
    Path(id): Path<String>,
) -> WebResult {
    let order_id = path_id(&id, "order")?;
    let order = app.order_for(&actor, order_id).await?;
    let result = app
        .advance_parcel(&order)
        .await
        .map(|advanced| advanced.unwrap_or(order));
    act(&app, &actor, order_id, result, |order| {
        let scan = order
            .tracking_status
            .map_or("recorded".to_string(), |s| s.as_str().replace('_', " "));
        format!("Demo: the carrier's next scan is in: {scan}.")
    })
    .await
}
