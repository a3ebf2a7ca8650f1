//! The seller centre (store, orders, balance, payouts, new listings) and the
//! demo clock page.

use super::Query;
use askama::Template;
use axum::extract::State;
use axum::response::IntoResponse;
use haven_domain::account::Role;
use haven_domain::catalog::{CATEGORIES, ShippingMethod, ShippingRate};
use haven_domain::money::Money;
use haven_store::PageRequest;
use serde::Deserialize;

use super::{
    AppState, CursorQuery, Layout, Member, RefusedForms, WebError, WebResult, filters, parse_form,
    render,
};
use crate::api::extract::RawBody;
use crate::error::ApiError;
use crate::views::{BalanceView, OrderView, PayoutView, StoreView};
use haven_app::{Actor, App, NewListingInput};

#[derive(Template)]
#[template(path = "seller.html")]
struct SellerPage {
    layout: Layout,
    store: Option<StoreView>,
    /// What waits on the store, soonest deadline first.
    to_do: Vec<ToDoRow>,
    balance: Option<BalanceView>,
    orders: Vec<OrderView>,
    payouts: Vec<PayoutView>,
    next_url: Option<String>,
    commission_percent: String,
    has_payout_account: bool,
    /// The store's standing when it is not good (reserve, suspension).
    standing: Option<haven_app::enforcement::Standing>,
    /// The store's brand proofs (Guaranteed Genuine rests on them).
    brands: Vec<crate::views::BrandProofView>,
    refused: Option<super::RefusedForm>,
    /// The store's metrics as buyers see them, and its order defect rate
    /// (basis points, the last 60 days) that enforcement watches.
    trust: Option<super::reviews::TrustView>,
    defect_rate_bps: i64,
}

impl super::RefusedForms for SellerPage {
    fn refused(&self) -> Option<&super::RefusedForm> {
        self.refused.as_ref()
    }
}

/// The seller centre again with `err` beside the field of `form` it names
/// (else beside `fallback_field`), and the text that was typed.
async fn refused_on_centre(
    app: &App,
    actor: &Actor,
    form: &'static str,
    fields: &[&str],
    fallback_field: &str,
    err: ApiError,
    body: &[u8],
) -> WebResult {
    if !err.kind.is_correctable() {
        return Err(err.into());
    }
    // The payout button is always on the page, so its refusal is too.
    let refusal = if form == "payout" {
        super::FormRefusal::on_field("payout", err.message.clone())
    } else {
        super::FormRefusal::of_or_on(&err, fields, fallback_field)
    };
    let status = crate::error::status_of(err.kind);
    let refused = super::RefusedForm::new(form, refusal, body);
    let page = centre_page(app, actor, None, Some(refused)).await?;
    Ok((status, page).into_response())
}

/// One line of the seller's to-do list.
struct ToDoRow {
    text: String,
    link: String,
    /// RFC 3339, for the `when` filter.
    due: Option<String>,
}

impl From<&haven_domain::todo::ToDo> for ToDoRow {
    fn from(todo: &haven_domain::todo::ToDo) -> Self {
        use haven_domain::todo::ToDoKind as K;
        let order = format!("/orders/{}", todo.order_id);
        let dispute = todo
            .dispute_id
            .map_or_else(|| order.clone(), |id| format!("/disputes/{id}"));
        let (text, link) = match todo.kind {
            K::Ship => (format!("Ship {}", todo.item), order),
            K::AnswerCancellation => (
                format!("Answer the buyer's request to cancel {}", todo.item),
                order,
            ),
            K::WaitForPaymentCheck => (
                format!("Do not ship {} yet: a payment check holds it", todo.item),
                order,
            ),
            K::AnswerDispute => (format!("Answer the dispute about {}", todo.item), dispute),
            K::CheckReturn => (format!("Check the returned {}", todo.item), dispute),
        };
        ToDoRow {
            text,
            link,
            due: todo.due.map(crate::views::ts),
        }
    }
}

async fn centre_page(
    app: &App,
    actor: &Actor,
    cursor: Option<String>,
    refused: Option<super::RefusedForm>,
) -> WebResult {
    // A buyer sees the form to open a store (and so become a seller);
    // staff never sell.
    if !actor.user.has_role(Role::Seller)
        && (actor.user.has_role(Role::Agent) || actor.user.has_role(Role::Admin))
    {
        actor.require_role(Role::Seller)?;
    }
    let (_, policy) = app.current_policy();
    let mut page = SellerPage {
        layout: Layout::new(app, Some(actor), "Seller centre"),
        store: None,
        to_do: Vec::new(),
        balance: None,
        orders: Vec::new(),
        payouts: Vec::new(),
        next_url: None,
        commission_percent: format!("{}", f64::from(policy.commission_bps) / 100.0),
        has_payout_account: actor.user.payout_account.is_some(),
        standing: None,
        brands: Vec::new(),
        refused,
        trust: None,
        defect_rate_bps: 0,
    };
    if let Some(store_id) = actor.store_id {
        page.store = match app.store.shop(store_id).await? {
            Some(shop) => Some(StoreView::load(app, &shop).await?),
            None => None,
        };
        page.to_do = app
            .seller_to_do(actor)
            .await?
            .iter()
            .map(ToDoRow::from)
            .collect();
        page.balance = Some(app.balances(store_id).await?.into());
        let standing = app.standing(actor, store_id).await?;
        page.defect_rate_bps = standing.defect_rate_bps;
        let reputation = app.store_reputation(store_id).await?;
        page.trust = Some(super::reviews::TrustView::new(&reputation));
        if standing.record.level != haven_domain::enforcement::EnforcementLevel::Good
            || standing.record.appeal.is_some()
        {
            page.standing = Some(standing);
        }
        let orders = app
            .store
            .orders_for_store(store_id, &PageRequest::new(cursor, Some(25)))
            .await?;
        page.next_url = orders.next_cursor.map(|c| format!("/seller?cursor={c}"));
        page.orders = orders
            .items
            .iter()
            .map(|o| OrderView::seen_by(o, actor, app.now()))
            .collect();
        let payouts = app
            .store
            .payouts(store_id, &PageRequest::new(None, Some(10)))
            .await?;
        page.payouts = payouts.items.iter().map(PayoutView::from).collect();
        page.brands = app
            .my_brand_proofs(actor)
            .await?
            .iter()
            .map(crate::views::BrandProofView::from)
            .collect();
    }
    Ok(render(&page))
}

#[derive(Deserialize)]
pub struct BrandProofForm {
    brand: String,
    proof: String,
}

/// The seller sends proof for a brand from the seller centre.
pub async fn submit_brand_proof(
    State(app): AppState,
    Member(actor): Member,
    RawBody(body): RawBody,
) -> WebResult {
    let form: BrandProofForm = parse_form(&body)?;
    match app
        .submit_brand_proof(&actor, &form.brand, &form.proof, None)
        .await
    {
        Ok(proof) => Ok(super::csrf::redirect_with_flash(
            &app,
            "/seller#brands",
            &format!(
                "Proof for {} sent. An agent checks it; Guaranteed Genuine on {} is possible once it is approved.",
                proof.brand, proof.brand
            ),
        )),
        Err(err) => {
            let fields = ["brand", "proof"];
            refused_on_centre(&app, &actor, "brand", &fields, "proof", err.into(), &body).await
        }
    }
}

pub async fn centre(
    State(app): AppState,
    Member(actor): Member,
    Query(q): Query<CursorQuery>,
) -> WebResult {
    centre_page(&app, &actor, q.cursor, None).await
}

#[derive(Deserialize)]
pub struct StoreForm {
    name: String,
    #[serde(default)]
    description: String,
}

pub async fn open_store(
    State(app): AppState,
    Member(actor): Member,
    RawBody(body): RawBody,
) -> WebResult {
    let form: StoreForm = parse_form(&body)?;
    match app
        .open_store(&actor, &form.name, &form.description, None)
        .await
    {
        Ok(shop) => Ok(super::csrf::redirect_with_flash(
            &app,
            "/seller",
            &format!(
                "Your store “{}” is open. Add your first listing, and a payout account so sales can reach your bank.",
                shop.name
            ),
        )),
        Err(err) => {
            let fields = ["name", "description"];
            refused_on_centre(&app, &actor, "store", &fields, "name", err.into(), &body).await
        }
    }
}

pub async fn payout(State(app): AppState, Member(actor): Member) -> WebResult {
    match app.request_payout(&actor, None, None).await {
        Ok(payout) => Ok(super::csrf::redirect_with_flash(
            &app,
            "/seller",
            &format!(
                "Payout of {} requested. It is on its way to your bank.",
                super::shown(payout.amount)
            ),
        )),
        Err(err) => refused_on_centre(&app, &actor, "payout", &[], "payout", err.into(), &[]).await,
    }
}

#[derive(Template)]
#[template(path = "new_listing.html")]
struct NewListingPage {
    layout: Layout,
    categories: Vec<&'static str>,
    ship_by_min: u32,
    ship_by_max: u32,
    max_photos: usize,
    /// What was typed (a fresh form's defaults the first time).
    form: ListingForm,
    refusal: super::FormRefusal,
}

impl NewListingPage {
    fn error_for(&self, name: &str) -> Option<&str> {
        self.refusal.for_field(name)
    }
}

/// The new-listing form's fields, for placing a refusal next to its field.
const LISTING_FIELDS: &[&str] = &[
    "title",
    "description",
    "category",
    "price",
    "stock",
    "ship_by_days",
    "brand",
    "product",
    "certificate_kind",
    "certificate_number",
    "certificate_issuer",
    "ships_from",
    "ship_country",
    "ship_cost",
    "free_over",
    "min_days",
    "max_days",
    "photo",
];

fn new_listing_page(
    app: &App,
    actor: &Actor,
    form: Option<ListingForm>,
    refusal: super::FormRefusal,
) -> WebResult {
    let (_, policy) = app.current_policy();
    let form = form.unwrap_or_else(|| ListingForm {
        stock: "10".into(),
        ship_by_days: policy.ship_by_days_default.to_string(),
        ship_country: "US".into(),
        ship_cost: "5.00".into(),
        min_days: "3".into(),
        max_days: "7".into(),
        ..ListingForm::default()
    });
    Ok(render(&NewListingPage {
        layout: Layout::new(app, Some(actor), "New listing"),
        categories: CATEGORIES.to_vec(),
        ship_by_min: policy.ship_by_days_min,
        ship_by_max: policy.ship_by_days_max,
        max_photos: MAX_PHOTOS,
        form,
        refusal,
    }))
}

pub async fn new_listing_form(State(app): AppState, Member(actor): Member) -> WebResult {
    actor.require_store()?;
    new_listing_page(&app, &actor, None, super::FormRefusal::default())
}

#[derive(Deserialize, Default, Clone)]
pub struct ListingForm {
    title: String,
    #[serde(default)]
    description: String,
    category: String,
    price: String,
    stock: String,
    ship_by_days: String,
    ship_country: String,
    ship_cost: String,
    min_days: String,
    max_days: String,
    #[serde(default)]
    guaranteed_genuine: String,
    #[serde(default)]
    ships_from: String,
    #[serde(default)]
    product: String,
    /// Items total from which standard shipping is free (blank: never).
    #[serde(default)]
    free_over: String,
    #[serde(default)]
    brand: String,
    /// One compliance certificate (all three blank: none).
    #[serde(default)]
    certificate_kind: String,
    #[serde(default)]
    certificate_number: String,
    #[serde(default)]
    certificate_issuer: String,
}

fn listing_input(app: &App, form: ListingForm) -> Result<NewListingInput, ApiError> {
    let currency = app.currency();
    // `what` names the field as the form does, so the refusal sits there.
    let refuse = |field: &'static str, why: String| {
        ApiError::from(haven_app::error::AppError::invalid_field(field, why))
    };
    let amount = |raw: &str, what: &'static str| {
        Money::parse_decimal(raw, currency)
            .map_err(|_| refuse(what, "Write an amount like 19.99.".into()))
    };
    let number = |raw: &str, what: &'static str| {
        raw.trim()
            .parse::<i64>()
            .map_err(|_| refuse(what, "Write a whole number.".into()))
    };
    let days = |raw: &str, what: &'static str| {
        raw.trim()
            .parse::<u32>()
            .map_err(|_| refuse(what, "Write a whole number of days.".into()))
    };
    let rate = ShippingRate {
        country: match form.ship_country.trim() {
            "*" => haven_domain::catalog::REST_OF_WORLD.to_string(),
            code => code.to_ascii_uppercase(),
        },
        cost: amount(&form.ship_cost, "ship_cost")?,
        min_transit_days: days(&form.min_days, "min_days")?,
        max_transit_days: days(&form.max_days, "max_days")?,
    };
    Ok(NewListingInput {
        title: form.title,
        description: form.description,
        category: form.category,
        price: amount(&form.price, "price")?,
        stock: number(&form.stock, "stock")?,
        ship_by_days: Some(days(&form.ship_by_days, "ship_by_days")?),
        images: Vec::new(),
        shipping: vec![ShippingMethod {
            name: "Standard".into(),
            rates: vec![rate],
            free_over: match form.free_over.trim() {
                "" => None,
                raw => Some(amount(raw, "free_over")?),
            },
        }],
        guaranteed_genuine: form.guaranteed_genuine == "true",
        ships_from: Some(form.ships_from),
        product: Some(form.product).filter(|p| !p.trim().is_empty()),
        brand: Some(form.brand).filter(|b| !b.trim().is_empty()),
        certificates: certificate_of(
            form.certificate_kind,
            form.certificate_number,
            form.certificate_issuer,
        ),
    })
}

/// The form's certificate row; left blank, none.
fn certificate_of(
    kind: String,
    number: String,
    issuer: String,
) -> Vec<haven_domain::catalog::ComplianceCertificate> {
    if [&kind, &number, &issuer]
        .iter()
        .all(|f| f.trim().is_empty())
    {
        return Vec::new();
    }
    vec![haven_domain::catalog::ComplianceCertificate {
        kind,
        number,
        issuer,
        checked_by: None,
        checked_at: None,
    }]
}

/// Photos one listing form takes at most.
const MAX_PHOTOS: usize = 8;
/// The form's body: its photos at their largest, and the text fields.
pub const MAX_LISTING_FORM_BYTES: usize =
    MAX_PHOTOS * (haven_app::MAX_IMAGE_BYTES + 1024) + 64 * 1024;

/// The new-listing form, with its photos (multipart: the CSRF token first,
/// checked by the middleware; the text fields go through the same checks
/// as any form).
pub async fn create_listing(
    State(app): AppState,
    Member(actor): Member,
    mut multipart: axum::extract::Multipart,
) -> WebResult {
    let mut fields: Vec<(String, String)> = Vec::new();
    let mut photos: Vec<Vec<u8>> = Vec::new();
    while let Some(field) = multipart
        .next_field()
        .await
        .map_err(|e| ApiError::bad_request(format!("invalid upload: {e}")))?
    {
        let name = field.name().unwrap_or_default().to_string();
        let is_file = field.file_name().is_some();
        let bytes = field
            .bytes()
            .await
            .map_err(|e| ApiError::bad_request(format!("invalid upload: {e}")))?;
        if name == "photo" && is_file {
            // A file input left empty still sends one empty part.
            if !bytes.is_empty() {
                photos.push(bytes.to_vec());
            }
        } else if name != "csrf" {
            let value = String::from_utf8(bytes.to_vec())
                .map_err(|_| ApiError::bad_request("invalid form: not UTF-8"))?;
            fields.push((name, value));
        }
    }
    let encoded = serde_urlencoded::to_string(&fields)
        .map_err(|e| ApiError::bad_request(format!("invalid form: {e}")))?;
    let form: ListingForm = parse_form(encoded.as_bytes())?;
    let had_photos = !photos.is_empty();
    let result = async {
        if photos.len() > MAX_PHOTOS {
            return Err(ApiError::from(haven_app::error::AppError::invalid_field(
                "photo",
                format!("at most {MAX_PHOTOS} photos per listing"),
            )));
        }
        let (title, category) = (form.title.clone(), form.category.clone());
        let mut input = listing_input(&app, form.clone())?;
        input.images = Vec::with_capacity(photos.len().max(1));
        for photo in photos {
            input.images.push(app.upload_image(photo).await?);
        }
        if input.images.is_empty() {
            input.images.push(
                app.store_media(
                    "image/svg+xml",
                    haven_app::images::product_svg(&title, &category),
                )
                .await?,
            );
        }
        Ok::<_, ApiError>(app.create_listing(&actor, input, None).await?)
    }
    .await;
    match result {
        Ok(listing) => {
            let said = if listing.hold.is_some() {
                "Listing saved. Haven's checks are reviewing it first: it cannot be bought until an agent releases it."
            } else {
                "Listing published: buyers can find it and buy it now."
            };
            Ok(super::csrf::redirect_with_flash(
                &app,
                &format!("/listings/{}", listing.id),
                said,
            ))
        }
        Err(err) if err.kind.is_correctable() => {
            let mut refusal = super::FormRefusal::of(&err, LISTING_FIELDS);
            // A browser never refills a file input: say so.
            if had_photos && refusal.for_field("photo").is_none() {
                refusal.field = refusal.field.or(Some((
                    "photo".into(),
                    "Choose your photos again: a browser does not keep them.".into(),
                )));
            }
            new_listing_page(&app, &actor, Some(form), refusal)
        }
        Err(err) => Err(WebError::Page(err)),
    }
}

#[derive(Template)]
#[template(path = "demo.html")]
struct DemoPage {
    layout: Layout,
    now: String,
    offset_days: String,
}

fn demo_clock_of(app: &App) -> Result<&haven_domain::clock::OffsetClock, WebError> {
    app.demo_clock
        .as_ref()
        .ok_or_else(|| WebError::Page(ApiError::not_found("page")))
}

pub async fn demo_page(State(app): AppState, super::Visitor(actor): super::Visitor) -> WebResult {
    let clock = demo_clock_of(&app)?;
    Ok(render(&DemoPage {
        layout: Layout::new(&app, actor.as_ref(), "Demo clock"),
        now: app.now().to_string(),
        offset_days: format!("{:.1}", clock.offset_s() as f64 / 86_400.0),
    }))
}

#[derive(Deserialize)]
pub struct ClockForm {
    days: i64,
}

pub async fn demo_clock(State(app): AppState, RawBody(body): RawBody) -> WebResult {
    let clock = demo_clock_of(&app)?;
    let form: ClockForm = parse_form(&body)?;
    if !(1..=30).contains(&form.days) {
        return Err(ApiError::validation("days must be 1-30").into());
    }
    let before = app.store.outbox_head().await?;
    clock.advance_s(form.days * 86_400);
    // Fire what just fell due now, so the page can say what happened; the
    // worker takes any the tick leaves (the claims keep each once).
    let report = app.tick(app.now()).await?;
    app.commands_ready.notify_one();
    let days = if form.days == 1 {
        "1 day".to_string()
    } else {
        format!("{} days", form.days)
    };
    let what = what_happened(&app, before).await?;
    let message = format!(
        "Moved {days} ahead. {} deadlines fired (orders and disputes moved on), {} no longer applied, and {} emails, refunds and payouts were carried out.{what}",
        report.fired, report.obsolete, report.commands.done
    );
    Ok(super::csrf::redirect_with_flash(&app, "/demo", &message))
}

/// What the events published after `seq` say happened, item by item
/// ("Walnut desk lamp: order completed"), at most ten of them.
async fn what_happened(app: &App, seq: i64) -> Result<String, WebError> {
    const SHOWN: usize = 10;
    let events = app.store.outbox_after(seq, 200).await?;
    let mut lines: Vec<String> = Vec::new();
    // An order's events come together: its title is read once.
    let mut titles: std::collections::HashMap<uuid::Uuid, Option<String>> = Default::default();
    for event in &events {
        let what = event.topic.replace(['.', '_'], " ");
        let title = match event.payload_id("order_id") {
            Some(id) => match titles.get(&id) {
                Some(known) => known.clone(),
                None => {
                    let order = app.store.order(haven_domain::ids::OrderId(id)).await?;
                    let title = order.map(|o| o.listing_title);
                    titles.insert(id, title.clone());
                    title
                }
            },
            None => None,
        };
        let line = match title {
            Some(title) => format!("{title}: {what}"),
            None => what,
        };
        if !lines.contains(&line) {
            lines.push(line);
        }
    }
    Ok(match lines.len() {
        0 => String::new(),
        n if n <= SHOWN => format!(" What happened: {}.", lines.join("; ")),
        n => format!(
            " What happened: {}; and {} more.",
            lines[..SHOWN].join("; "),
            n - SHOWN
        ),
    })
}

/// Put the demo's clock back to real time. What fired stays fired; the
/// deadlines set during the jump fire when real time reaches them.
pub async fn demo_clock_reset(State(app): AppState) -> WebResult {
    let clock = demo_clock_of(&app)?;
    if clock.offset_s() == 0 {
        return Err(WebError::Back {
            to: "/demo".into(),
            reason: "The demo clock already shows real time.".into(),
        });
    }
    clock.set_offset_s(0);
    Ok(super::csrf::redirect_with_flash(
        &app,
        "/demo",
        "The demo clock is back to real time. What happened during the jump stays as it was, and the deadlines set then fire when real time reaches them. To start the whole demo over, stop it and delete ./haven-data.",
    ))
}

#[derive(Deserialize)]
pub struct AppealForm {
    text: String,
}

pub async fn appeal(
    State(app): AppState,
    Member(actor): Member,
    RawBody(body): RawBody,
) -> WebResult {
    let form: AppealForm = parse_form(&body)?;
    match app.appeal_enforcement(&actor, &form.text).await {
        Ok(_) => Ok(super::csrf::redirect_with_flash(
            &app,
            "/seller",
            "Your appeal was sent. An agent will answer it here.",
        )),
        Err(err) => {
            refused_on_centre(&app, &actor, "appeal", &["text"], "text", err.into(), &body).await
        }
    }
}
