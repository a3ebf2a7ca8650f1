//! Store pages with their trust panel and reviews; the review forms on an
//! order; and the console's held reviews and review-integrity cases.

use askama::Template;
use axum::extract::State;
use axum::response::IntoResponse;
use haven_app::reputation::{ReviewInput, StoreReputation};
use haven_domain::ids::{OrderId, StoreId};
use haven_store::{ListingFilter, PageRequest, ReviewFilter};
use serde::Deserialize;

use super::filters;
use super::i18n::{tr, tr_with};
use super::{
    AppState, Layout, Member, Path, Query, Visitor, WebError, WebResult, parse_form, render,
};
use super::{OrBack, RefusedForms};
use crate::api::extract::{RawBody, path_id};
use crate::api::reviews::{IntegrityCaseView, ReviewView, case_status};
use crate::error::ApiError;
use crate::views::ListingView;

/// One bar of the star distribution.
pub struct StarRow {
    pub stars: u8,
    pub count: i64,
    /// Width of the bar, 0-100.
    pub percent: i64,
}

/// The trust panel, as both the listing and the store page show it.
pub struct TrustView {
    pub store_id: String,
    pub summary: String,
    pub metrics: Vec<(String, String, String)>,
    pub star_rows: Vec<StarRow>,
    pub reviews_counted: i64,
    pub verified: bool,
    pub top_seller: bool,
}

/// A store's age in the page's language: "4 years", "3 months".
fn age_words(days: i64) -> String {
    match days {
        1 => tr_with("{} day", 1),
        d if d < 31 => tr_with("{} days", d),
        d if d < 365 => tr_with("{} months", d / 30),
        d if d < 730 => tr_with("{} year", 1),
        d => tr_with("{} years", d / 365),
    }
}

/// A response time in the page's language: "25 min", "3 h", "2 days".
fn duration_words(seconds: i64) -> String {
    const DAY_S: i64 = 86_400;
    match seconds {
        s if s < 3_600 => tr_with("{} min", (s / 60).max(1)),
        s if s < 2 * DAY_S => tr_with("{} h", (s + 1_800) / 3_600),
        s => tr_with("{} days", (s + DAY_S / 2) / DAY_S),
    }
}

fn percent(bps: i64) -> String {
    format!("{}.{} %", bps / 100, (bps % 100) / 10)
}

/// The line that sums the store up, as the domain's `summary` does, in the
/// page's language: "Open 4 years · 12,300 sold · 97.8 % positive …".
fn summary(m: &haven_domain::reputation::StoreMetrics) -> String {
    use haven_domain::reputation::count_words;
    let mut parts = vec![
        tr_with("Open {}", age_words(m.store_age_days)),
        tr_with("{} sold", count_words(m.items_sold)),
    ];
    parts.push(match m.positive_bps {
        Some(bps) => tr("{} positive ({} reviews)")
            .replacen("{}", &percent(bps), 1)
            .replacen("{}", &count_words(m.positive_reviews_in_window), 1),
        None => tr("no reviews yet"),
    });
    if let Some(s) = m.response_avg_s {
        parts.push(tr_with("answers in ~{}", duration_words(s)));
    }
    if let Some(bps) = m.dispute_bps.filter(|bps| *bps >= 200) {
        parts.push(tr_with("disputes on {} of orders", percent(bps)));
    }
    parts.join(" · ")
}

impl TrustView {
    pub fn new(r: &StoreReputation) -> TrustView {
        let total = r.metrics.reviews_counted.max(1);
        let value = |m: &haven_domain::reputation::Metric| match m.key {
            "store_age" => age_words(r.metrics.store_age_days),
            "response_time" => r
                .metrics
                .response_avg_s
                .map_or_else(|| "—".into(), duration_words),
            _ => m.value.clone().unwrap_or_else(|| "—".into()),
        };
        TrustView {
            store_id: r.store_id.to_string(),
            summary: summary(&r.metrics),
            metrics: r
                .explained
                .iter()
                .map(|m| (tr(m.label), value(m), tr(m.how)))
                .collect(),
            star_rows: (1..=5u8)
                .rev()
                .map(|stars| {
                    let count = r.metrics.star_counts[usize::from(stars - 1)];
                    StarRow {
                        stars,
                        count,
                        percent: count * 100 / total,
                    }
                })
                .collect(),
            reviews_counted: r.metrics.reviews_counted,
            verified: r.verified,
            top_seller: r.top_seller,
        }
    }
}

#[derive(Deserialize, Default)]
pub struct StoreQuery {
    stars: Option<String>,
    photos: Option<String>,
    cursor: Option<String>,
}

#[derive(Template)]
#[template(path = "store.html")]
struct StorePage {
    layout: Layout,
    name: String,
    description: String,
    trust: TrustView,
    listings: Vec<ListingView>,
    reviews: Vec<ReviewView>,
    stars: Option<u8>,
    photos_only: bool,
    next_url: Option<String>,
    /// The viewer runs this store (may reply to reviews).
    is_owner: bool,
    /// Coupons a buyer can claim here now.
    coupons: Vec<crate::api::coupons::CouponView>,
    /// A refused reply (with the review it was for, typed as "review").
    refused: Option<super::RefusedForm>,
}

impl super::RefusedForms for StorePage {
    fn refused(&self) -> Option<&super::RefusedForm> {
        self.refused.as_ref()
    }
}

impl StorePage {
    /// The refusal of the reply to review `review_id`, if that was refused.
    fn reply_error(&self, review_id: &str) -> Option<&str> {
        (self.typed("reply", "review", "") == review_id)
            .then(|| self.error_at("reply", "text"))
            .flatten()
    }
}

pub async fn store_page(
    State(app): AppState,
    Visitor(actor): Visitor,
    Path(id): Path<String>,
    Query(q): Query<StoreQuery>,
) -> WebResult {
    let store: StoreId = path_id(&id, "store")?;
    store_page_with(&app, actor.as_ref(), store, q, None).await
}

async fn store_page_with(
    app: &haven_app::App,
    actor: Option<&haven_app::Actor>,
    store: StoreId,
    q: StoreQuery,
    refused: Option<super::RefusedForm>,
) -> WebResult {
    let shop = app
        .store
        .shop(store)
        .await?
        .ok_or_else(|| ApiError::not_found("store"))?;
    let stars = q
        .stars
        .as_deref()
        .and_then(|s| s.parse::<u8>().ok())
        .filter(|s| (1..=5).contains(s));
    let photos_only = q.photos.as_deref() == Some("1");
    let filter = ReviewFilter {
        stars,
        with_photos: photos_only,
    };
    let reviews = app
        .store_reviews(store, filter, &PageRequest::new(q.cursor, Some(20)))
        .await?;
    let listings = app
        .store
        .listings(
            &ListingFilter {
                category: None,
                store_id: Some(store),
            },
            &PageRequest::new(None, Some(12)),
        )
        .await?;
    let next_url = reviews.next_cursor.map(|cursor| {
        let mut url = format!("/stores/{store}?cursor={cursor}");
        if let Some(s) = stars {
            url.push_str(&format!("&stars={s}"));
        }
        if photos_only {
            url.push_str("&photos=1");
        }
        url
    });
    let reputation = app.store_reputation(store).await?;
    Ok(render(&StorePage {
        layout: Layout::new(app, actor, shop.name.clone()),
        name: shop.name,
        description: shop.description,
        trust: TrustView::new(&reputation),
        listings: listings.items.iter().map(ListingView::from).collect(),
        reviews: reviews
            .items
            .iter()
            .map(|r| ReviewView::new(r, false))
            .collect(),
        stars,
        photos_only,
        next_url,
        is_owner: actor.and_then(|a| a.store_id) == Some(store),
        coupons: app
            .claimable_coupons(Some(store))
            .await?
            .iter()
            .map(crate::api::coupons::CouponView::from)
            .collect(),
        refused,
    }))
}

/// Read one text field of a multipart form.
async fn field_text(field: axum::extract::multipart::Field<'_>) -> Result<String, WebError> {
    Ok(field
        .text()
        .await
        .map_err(|e| ApiError::bad_request(format!("invalid form: {e}")))?)
}

fn stars_field(raw: &str) -> Option<u8> {
    raw.trim().parse().ok()
}

/// The review form: multipart, the CSRF field first, up to 6 photos.
pub async fn leave(
    State(app): AppState,
    Member(actor): Member,
    Path(id): Path<String>,
    mut multipart: axum::extract::Multipart,
) -> WebResult {
    let order_id: OrderId = path_id(&id, "order")?;
    let mut input = ReviewInput::default();
    let mut photo_error = None;
    while let Some(field) = multipart
        .next_field()
        .await
        .map_err(|e| ApiError::bad_request(format!("invalid form: {e}")))?
    {
        match field.name().unwrap_or_default() {
            "rating" => input.rating = stars_field(&field_text(field).await?).unwrap_or(0),
            "text" => input.text = field_text(field).await?,
            "item_as_described" => input.item_as_described = stars_field(&field_text(field).await?),
            "communication" => input.communication = stars_field(&field_text(field).await?),
            "shipping_speed" => input.shipping_speed = stars_field(&field_text(field).await?),
            "photos" => {
                let bytes = field
                    .bytes()
                    .await
                    .map_err(|e| ApiError::bad_request(format!("invalid upload: {e}")))?;
                if bytes.is_empty() {
                    continue; // an empty file input
                }
                if input.photos.len() >= haven_domain::reputation::MAX_REVIEW_PHOTOS {
                    photo_error = Some("at most 6 photos".to_string());
                    continue;
                }
                match app.upload_image(bytes.to_vec()).await {
                    Ok(hash) => input.photos.push(hash),
                    Err(err) => photo_error = Some(err.message),
                }
            }
            _ => {}
        }
    }
    let text = input.text.clone();
    let result = match photo_error {
        Some(message) => Err(haven_app::AppError::invalid_field("photos", message)),
        None => app.leave_review(&actor, order_id, input).await.map(|_| ()),
    };
    let said = "Thank you: your review is in. It is published once the seller has rated you too, or in 7 days.";
    order_outcome(&app, order_id, result, said, |err| {
        super::orders::refused_review_page(&app, &actor, order_id, err, text)
    })
    .await
}

/// Back to the order saying `said`; a refusal the person can correct goes
/// to `refused`, anything else is an error page.
async fn order_outcome<F>(
    app: &haven_app::App,
    order_id: OrderId,
    result: Result<(), haven_app::AppError>,
    said: &str,
    refused: impl FnOnce(haven_app::AppError) -> F,
) -> WebResult
where
    F: std::future::Future<Output = WebResult>,
{
    match result {
        Ok(()) => Ok(super::csrf::redirect_with_flash(
            app,
            &format!("/orders/{order_id}"),
            said,
        )),
        Err(err) if err.kind.is_correctable() => refused(err).await,
        Err(err) => Err(err.into()),
    }
}

#[derive(Deserialize)]
pub struct RatingForm {
    rating: String,
    #[serde(default)]
    note: String,
}

pub async fn rate_buyer(
    State(app): AppState,
    Member(actor): Member,
    Path(id): Path<String>,
    RawBody(body): RawBody,
) -> WebResult {
    let order_id: OrderId = path_id(&id, "order")?;
    let form: RatingForm = parse_form(&body)?;
    let rating = stars_field(&form.rating).unwrap_or(0);
    let result = app.rate_buyer(&actor, order_id, rating, &form.note).await;
    let said = "Your rating of the buyer is in.";
    order_outcome(&app, order_id, result.map(|_| ()), said, |err| {
        let fields = (&["rating", "note"][..], "note");
        super::orders::refused_order_form(&app, &actor, order_id, "rate", fields, err, &body)
    })
    .await
}

#[derive(Deserialize)]
pub struct EditForm {
    rating: String,
    #[serde(default)]
    text: String,
    order_id: String,
}

pub async fn edit(
    State(app): AppState,
    Member(actor): Member,
    Path(id): Path<String>,
    RawBody(body): RawBody,
) -> WebResult {
    let form: EditForm = parse_form(&body)?;
    let order_id: OrderId = path_id(&form.order_id, "order")?;
    let review = uuid::Uuid::parse_str(&id).map_err(|_| ApiError::not_found("review"))?;
    let rating = stars_field(&form.rating).unwrap_or(0);
    let result = app.edit_review(&actor, review, rating, &form.text).await;
    let said = "Your review was updated (the earlier version is kept).";
    order_outcome(&app, order_id, result.map(|_| ()), said, |err| {
        let fields = (&["rating", "text"][..], "text");
        super::orders::refused_order_form(&app, &actor, order_id, "edit", fields, err, &body)
    })
    .await
}

#[derive(Deserialize)]
pub struct ReplyForm {
    text: String,
}

pub async fn reply(
    State(app): AppState,
    Member(actor): Member,
    Path(id): Path<String>,
    RawBody(body): RawBody,
) -> WebResult {
    let form: ReplyForm = parse_form(&body)?;
    let review = uuid::Uuid::parse_str(&id).map_err(|_| ApiError::not_found("review"))?;
    let store = actor
        .store_id
        .ok_or_else(|| ApiError::not_found("review"))?;
    let back = format!("/stores/{store}");
    match app.reply_to_review(&actor, review, &form.text).await {
        Ok(_) => Ok(super::csrf::redirect_with_flash(
            &app,
            &back,
            "Your reply is published.",
        )),
        // About the words, and the review is on the store page's first
        // page: the page again, the reason and the words beside its form.
        Err(err)
            if err.kind == haven_app::ErrorKind::Validation
                && on_first_page(&app, store, review).await? =>
        {
            let err = ApiError::from(err);
            let refusal = super::FormRefusal::on_field("text", err.message.clone());
            let refused =
                super::RefusedForm::new("reply", refusal, &body).with_typed("review", id.as_str());
            let query = StoreQuery::default();
            let page = store_page_with(&app, Some(&actor), store, query, Some(refused)).await?;
            Ok((crate::error::status_of(err.kind), page).into_response())
        }
        Err(err) if err.kind.is_correctable() => Ok(super::csrf::redirect_with_refusal(
            &app,
            &back,
            &format!("Reply not saved: {}", err.message),
        )),
        Err(err) => Err(err.into()),
    }
}

/// Review `review` is among the first page of the store's reviews, where
/// the store page draws its reply form.
async fn on_first_page(
    app: &haven_app::App,
    store: StoreId,
    review: uuid::Uuid,
) -> Result<bool, WebError> {
    let first = app
        .store_reviews(
            store,
            ReviewFilter::default(),
            &PageRequest::new(None, Some(20)),
        )
        .await?;
    Ok(first.items.iter().any(|r| r.id == review))
}

#[derive(Deserialize, Default)]
pub struct CasesQuery {
    status: Option<String>,
    cursor: Option<String>,
}

#[derive(Template)]
#[template(path = "console_reviews.html")]
struct ConsoleReviewsPage {
    layout: Layout,
    held: Vec<ReviewView>,
    /// The store each held review is about, by name (as `held`).
    held_stores: Vec<String>,
    cases: Vec<CaseRow>,
    status: String,
    next_url: Option<String>,
}

/// A brushing case with its store and reviewers named.
struct CaseRow {
    view: IntegrityCaseView,
    store: String,
    /// As `view.reviews`: who wrote each flagged review.
    reviewers: Vec<String>,
}

async fn case_row(
    app: &haven_app::App,
    case: &haven_store::IntegrityCase,
) -> Result<CaseRow, haven_app::AppError> {
    let (_, store) = app.cached_reputation(case.store_id).await?;
    let mut reviewers = Vec::with_capacity(case.reviews.len());
    for review in &case.reviews {
        reviewers.push(super::user_name(app, review.buyer_id).await?);
    }
    Ok(CaseRow {
        view: IntegrityCaseView::from(case),
        store,
        reviewers,
    })
}

pub async fn console(
    State(app): AppState,
    Member(actor): Member,
    Query(q): Query<CasesQuery>,
) -> WebResult {
    let status_raw = q.status.unwrap_or_else(|| "open".into());
    let status = case_status(Some(status_raw.as_str()))?;
    let held = app
        .held_reviews(&actor, &PageRequest::new(None, Some(50)))
        .await?;
    let cases = app
        .integrity_cases(&actor, status, &PageRequest::new(q.cursor, Some(20)))
        .await?;
    let next_url = cases
        .next_cursor
        .map(|c| format!("/console/reviews?status={status_raw}&cursor={c}"));
    let mut rows = Vec::with_capacity(cases.items.len());
    for case in &cases.items {
        rows.push(case_row(&app, case).await?);
    }
    let mut held_stores = Vec::with_capacity(held.items.len());
    for review in &held.items {
        held_stores.push(app.cached_reputation(review.store_id).await?.1);
    }
    Ok(render(&ConsoleReviewsPage {
        layout: Layout::new(&app, Some(&actor), "Review integrity"),
        held: held
            .items
            .iter()
            .map(|r| ReviewView::new(r, true))
            .collect(),
        held_stores,
        cases: rows,
        status: status_raw,
        next_url,
    }))
}

#[derive(Deserialize)]
pub struct DecisionForm {
    decision: String,
    #[serde(default)]
    note: String,
}

pub async fn moderate(
    State(app): AppState,
    Member(actor): Member,
    Path(id): Path<String>,
    RawBody(body): RawBody,
) -> WebResult {
    let form: DecisionForm = parse_form(&body)?;
    let review = uuid::Uuid::parse_str(&id).map_err(|_| ApiError::not_found("review"))?;
    let approve = form.decision == "approve";
    app.moderate_review(&actor, review, approve, &form.note)
        .await
        .or_back("/console/reviews")?;
    let done = if approve {
        "Published."
    } else {
        "Kept hidden."
    };
    Ok(super::csrf::redirect_with_flash(
        &app,
        "/console/reviews",
        done,
    ))
}

pub async fn decide_case(
    State(app): AppState,
    Member(actor): Member,
    Path(id): Path<String>,
    RawBody(body): RawBody,
) -> WebResult {
    let form: DecisionForm = parse_form(&body)?;
    let case = uuid::Uuid::parse_str(&id).map_err(|_| ApiError::not_found("integrity case"))?;
    let uphold = form.decision == "uphold";
    app.decide_integrity_case(&actor, case, uphold, &form.note)
        .await
        .or_back("/console/reviews")?;
    let done = if uphold {
        "Upheld: the reviews stay removed and the strike stands."
    } else {
        "Reversed: the reviews count again and the strike was withdrawn."
    };
    Ok(super::csrf::redirect_with_flash(
        &app,
        "/console/reviews",
        done,
    ))
}

pub async fn run_pass(State(app): AppState, Member(actor): Member) -> WebResult {
    app.require_agent(&actor)?;
    let report = app.run_integrity_pass().await?;
    let message = format!(
        "Detector ran over {} reviews: {} newly removed, {} cases opened or extended.",
        report.reviews_read, report.newly_flagged, report.cases_opened
    );
    Ok(super::csrf::redirect_with_flash(
        &app,
        "/console/reviews",
        &message,
    ))
}

/// The buyer downloads the order's signed protection certificate.
pub async fn certificate(
    State(app): AppState,
    Member(actor): Member,
    Path(id): Path<String>,
) -> WebResult {
    let order: OrderId = path_id(&id, "order")?;
    let signed = app.protection_certificate(&actor, order).await?;
    Ok(crate::api::reviews::certificate_response(&id, signed))
}
