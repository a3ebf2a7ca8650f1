//! Browse, listing detail, checkout and the card challenge.

use super::OrBack;
use super::filters;
use super::{Path, Query};
use askama::Template;
use axum::extract::State;
use axum::response::{IntoResponse, Redirect};
use haven_domain::catalog::CATEGORIES;
use haven_domain::ids::{ListingId, StoreId};
use haven_store::{ListingFilter, PageRequest};
use serde::Deserialize;

use super::{AppState, Layout, Member, Visitor, WebResult, parse_form, render};
use crate::api::extract::{Client, RawBody, path_id};
use crate::error::ApiError;
use crate::views::{ListingView, OrderView};
use haven_app::payments::CardDetails;
use haven_app::{App, CheckoutInput, Idem};

#[derive(Deserialize)]
pub struct BrowseQuery {
    category: Option<String>,
    store: Option<String>,
    cursor: Option<String>,
}

#[derive(Template)]
#[template(path = "browse.html")]
struct BrowsePage {
    layout: Layout,
    category: Option<String>,
    categories: Vec<&'static str>,
    listings: Vec<ListingView>,
    next_url: Option<String>,
    /// The home page's extras: only on the first page of everything.
    home: Option<Home>,
}

/// What the home page shows above the newest listings.
struct Home {
    deals: Vec<DealCard>,
    tiles: Vec<CategoryTile>,
    /// The demo clock's lead over real time, for the countdowns.
    clock_offset_ms: i64,
}

struct DealCard {
    id: String,
    title: String,
    picture: Option<String>,
    deal_price: String,
    regular_price: String,
    /// RFC 3339, for the countdown.
    ends_at: String,
    /// Time left in words, for a page without script.
    time_left: String,
    left: u32,
}

struct CategoryTile {
    key: &'static str,
    label: &'static str,
    examples: &'static str,
}

const HOME_DEALS: usize = 8;

/// The home page's category tiles, with a few words on what each holds.
fn category_tiles() -> Vec<CategoryTile> {
    let examples = |key: &str| match key {
        "electronics" => "Chargers, earbuds, speakers",
        "home" => "Lamps, candles, baskets",
        "fashion" => "Belts, beanies, scarves",
        "toys" => "Plush, puzzles, blocks",
        "sports" => "Yoga mats, bottles, bands",
        "beauty" => "Soaps, balms, brushes",
        "books" => "Novels, guides, notebooks",
        "garden" => "Seeds, pots, tools",
        _ => "",
    };
    CATEGORIES
        .iter()
        .map(|key| CategoryTile {
            key,
            label: category_label(key),
            examples: examples(key),
        })
        .collect()
}

fn category_label(key: &str) -> &'static str {
    match key {
        "electronics" => "Electronics",
        "home" => "Home",
        "fashion" => "Fashion",
        "toys" => "Toys",
        "sports" => "Sports",
        "beauty" => "Beauty",
        "books" => "Books",
        "garden" => "Garden",
        _ => "Other",
    }
}

async fn home(app: &App) -> Result<Home, haven_app::AppError> {
    let now = app.now();
    let deals = app
        .deals_now(HOME_DEALS)
        .await?
        .iter()
        .filter_map(|l| {
            let deal = l.deal.as_ref()?;
            Some(DealCard {
                id: l.id.to_string(),
                title: l.title.clone(),
                picture: l.images.first().map(|h| format!("/media/{h}")),
                deal_price: super::shown(deal.price),
                regular_price: super::shown(l.price),
                ends_at: deal.ends_at.to_string(),
                time_left: super::time_left_words(deal.ends_at.duration_since(now).as_secs()),
                left: deal.remaining,
            })
            .filter(|_| deal.ends_at > now)
        })
        .collect();
    Ok(Home {
        deals,
        tiles: category_tiles(),
        clock_offset_ms: super::orders::demo_clock_offset_ms(app),
    })
}

pub async fn browse(
    State(app): AppState,
    Visitor(actor): Visitor,
    Query(q): Query<BrowseQuery>,
) -> WebResult {
    let category = q.category.filter(|c| CATEGORIES.contains(&c.as_str()));
    let store_id = q.store.as_deref().and_then(StoreId::parse);
    let is_home = category.is_none() && store_id.is_none() && q.cursor.is_none();
    let filter = ListingFilter {
        category: category.clone(),
        store_id,
    };
    let page = app
        .store
        .listings(&filter, &PageRequest::new(q.cursor, Some(24)))
        .await?;
    let next_url = page.next_cursor.map(|cursor| {
        let mut url = format!("/?cursor={cursor}");
        if let Some(c) = &category {
            url.push_str(&format!("&category={c}"));
        }
        if let Some(s) = store_id {
            url.push_str(&format!("&store={s}"));
        }
        url
    });
    let home = if is_home {
        Some(home(&app).await?)
    } else {
        None
    };
    let title = category.clone().unwrap_or_else(|| "Shop".into());
    Ok(render(&BrowsePage {
        layout: Layout::new(&app, actor.as_ref(), title),
        category,
        categories: CATEGORIES.to_vec(),
        listings: page.items.iter().map(ListingView::from).collect(),
        next_url,
        home,
    }))
}

#[derive(Template)]
#[template(path = "listing.html")]
struct ListingPage {
    layout: Layout,
    listing: ListingView,
    store: Option<crate::views::StoreView>,
    trust: super::reviews::TrustView,
    /// The destination the estimates are for.
    to: String,
    estimates: Vec<DeliveryEstimate>,
    /// The flash deal on sale now, and how long it has left.
    deal: Option<crate::views::FlashDealView>,
    /// A deal is running but its units are gone: buying is at the regular
    /// price, and the page says so.
    deal_sold_out: bool,
    deal_left: String,
    clock_offset_ms: i64,
    /// Other stores' listings of the same product (compare sellers).
    other_offers: usize,
    /// Customers who bought this also bought.
    also_bought: Vec<ListingView>,
    /// The store's bundle deals with this listing in them.
    bundles: Vec<BundleOffer>,
    /// This browser's recently viewed listings, this one left out.
    recently_viewed: Vec<ListingView>,
    /// The viewer is the listing's seller or an agent: they see why it is
    /// held and the certificates still waiting for a check.
    staff_view: bool,
}

/// One method's price and dates to the buyer's country, if ordered now.
/// The latest date is the one checkout promises (the on-time guarantee).
pub struct DeliveryEstimate {
    pub method: String,
    pub cost: String,
    /// "Free from $100.00" when the method has a threshold not reached.
    pub note: String,
    pub earliest: String,
    pub latest: String,
}

fn delivery_estimates(
    listing: &haven_domain::catalog::Listing,
    country: &str,
    now: jiff::Timestamp,
) -> Vec<DeliveryEstimate> {
    let day =
        |days: u32| (now + jiff::SignedDuration::from_hours(24 * i64::from(days))).to_string();
    let (unit_price, _) = listing.price_at(now, 1, false);
    listing
        .quotes_to(country, unit_price)
        .into_iter()
        .map(|quote| {
            let threshold = listing
                .shipping
                .iter()
                .find(|m| m.name == quote.method)
                .and_then(|m| m.free_over);
            let note = match threshold {
                Some(over) if quote.cost.amount_minor > 0 => {
                    format!("free from {}", super::shown(over))
                }
                _ => String::new(),
            };
            DeliveryEstimate {
                cost: if quote.cost.amount_minor == 0 {
                    "Free".into()
                } else {
                    super::shown(quote.cost)
                },
                note,
                earliest: day(listing.ship_by_days + quote.min_transit_days),
                latest: day(listing.ship_by_days + quote.max_transit_days),
                method: quote.method,
            }
        })
        .collect()
}

#[derive(Deserialize, Default)]
pub struct ListingQuery {
    /// The buyer's country for the delivery estimate.
    to: Option<String>,
}

/// A bundle deal as the listing page offers it.
pub struct BundleOffer {
    pub id: String,
    pub store_id: String,
    pub title: String,
    pub items: Vec<String>,
    pub price: String,
    pub separately: String,
}

async fn bundle_offers(
    app: &App,
    listing: &haven_domain::catalog::Listing,
) -> Result<Vec<BundleOffer>, ApiError> {
    let mut offers = Vec::new();
    for bundle in app.active_bundles(listing.store_id).await? {
        if !bundle.listings.contains(&listing.id) {
            continue;
        }
        let mut items = Vec::new();
        let mut separately = haven_domain::money::Money::new(0, bundle.price.currency);
        for id in &bundle.listings {
            if let Some(other) = app.store.listing(*id).await? {
                separately = separately.checked_add(other.price).unwrap_or(separately);
                items.push(other.title);
            }
        }
        offers.push(BundleOffer {
            id: bundle.id.to_string(),
            store_id: bundle.store_id.to_string(),
            title: bundle.title,
            items,
            price: super::shown(bundle.price),
            separately: super::shown(separately),
        });
    }
    Ok(offers)
}

/// Listings by id, in order, leaving out the missing and the held.
async fn listings_by_id(app: &App, ids: &[ListingId]) -> Result<Vec<ListingView>, ApiError> {
    let mut found = Vec::with_capacity(ids.len());
    for id in ids {
        if let Some(listing) = app.store.listing(*id).await?
            && listing.is_offered()
        {
            found.push(ListingView::from(&listing));
        }
    }
    Ok(found)
}

pub async fn listing(
    State(app): AppState,
    Visitor(actor): Visitor,
    Path(id): Path<String>,
    Query(q): Query<ListingQuery>,
    headers: axum::http::HeaderMap,
) -> WebResult {
    let id: ListingId = path_id(&id, "listing")?;
    let listing = app
        .store
        .listing(id)
        .await?
        .ok_or_else(|| ApiError::not_found("listing"))?;
    let store = match app.store.shop(listing.store_id).await? {
        Some(shop) => Some(crate::views::StoreView::load(&app, &shop).await?),
        None => None,
    };
    // The same short-lived cache checkout uses: a busy listing page does
    // not recompute the store's metrics on every view.
    let (reputation, _) = app.cached_reputation(listing.store_id).await?;
    let trust = super::reviews::TrustView::new(&reputation);
    let other_offers = match &listing.product_key {
        Some(key) => app
            .store
            .listings_for_product(key, 50)
            .await?
            .len()
            .saturating_sub(1),
        None => 0,
    };
    let to =
        q.to.map(|c| c.trim().to_ascii_uppercase())
            .filter(|c| haven_domain::catalog::is_country_code(c))
            .unwrap_or_else(|| "US".into());
    let now = app.now();
    let view = ListingView::from(&listing);
    let deal = view.open_deal(now).cloned();
    let deal_sold_out = deal.is_none() && listing.deal.as_ref().is_some_and(|d| d.is_live(now));
    let deal_left = listing
        .deal
        .as_ref()
        .map(|d| super::time_left_words(d.ends_at.duration_since(now).as_secs()))
        .unwrap_or_default();
    let staff_view = actor.as_ref().is_some_and(|a| {
        app.require_agent(a).is_ok() || a.require_store().ok() == Some(listing.store_id)
    });
    let recent_before = super::csrf::recently_viewed(&headers);
    let remember = super::csrf::recent_cookie(&app, id, &recent_before);
    let mut page = render(&ListingPage {
        layout: Layout::new(&app, actor.as_ref(), listing.title.clone()),
        deal,
        deal_sold_out,
        deal_left,
        clock_offset_ms: super::orders::demo_clock_offset_ms(&app),
        other_offers,
        bundles: bundle_offers(&app, &listing).await?,
        also_bought: app
            .also_bought(id, 6)
            .await?
            .iter()
            .map(ListingView::from)
            .collect(),
        recently_viewed: listings_by_id(&app, &recent_before)
            .await?
            .into_iter()
            .filter(|l| l.id != id.to_string())
            .take(6)
            .collect(),
        estimates: delivery_estimates(&listing, &to, app.now()),
        to,
        listing: view,
        store,
        trust,
        staff_view,
    });
    if let Ok(value) = axum::http::HeaderValue::from_str(&remember) {
        page.headers_mut()
            .append(axum::http::header::SET_COOKIE, value);
    }
    Ok(page)
}

/// What the buyer typed, echoed back when the form needs fixing. The card
/// number is never echoed.
#[derive(Deserialize, Default, Clone)]
pub struct CheckoutForm {
    #[serde(default)]
    idempotency_key: String,
    #[serde(default)]
    quantity: String,
    #[serde(default)]
    method: String,
    #[serde(default)]
    name: String,
    #[serde(default)]
    line1: String,
    #[serde(default)]
    line2: String,
    #[serde(default)]
    city: String,
    #[serde(default)]
    postal_code: String,
    #[serde(default)]
    country: String,
    #[serde(default)]
    card_number: String,
    #[serde(default)]
    exp: String,
    #[serde(default)]
    cvc: String,
    #[serde(default)]
    use_credit: String,
    /// "true" once the buyer saw the flash deal sold out and buys at the
    /// regular price.
    #[serde(default, alias = "regular")]
    accept_regular_price: String,
    /// A coupon code (or a claimed coupon's id).
    #[serde(default)]
    coupon: String,
    /// The total the page showed (checkout refuses a different one).
    #[serde(default)]
    expected_total_minor: String,
    /// Set once the page's own form comes back (its checkboxes then say
    /// what the buyer chose; before, credit is used by default).
    #[serde(default)]
    seen: String,
}

#[derive(Template)]
#[template(path = "checkout.html")]
struct CheckoutPage {
    layout: Layout,
    listing: ListingView,
    quantity: String,
    method: String,
    countries: Vec<String>,
    /// The method ships to the rest of the world: any country code.
    any_country: bool,
    /// The totals for the country in the form (none if it cannot be
    /// bought as filled in; the error says why).
    quote: Option<crate::api::cart::CartQuoteView>,
    idempotency_key: String,
    form: CheckoutForm,
    /// The buyer's Haven credit (on-time guarantee compensation).
    credit_minor: i64,
    credit: String,
    refusal: super::FormRefusal,
}

impl CheckoutPage {
    fn error_for(&self, name: &str) -> Option<&str> {
        self.refusal.for_field(name)
    }
}

/// The checkout forms' fields, for placing a refusal next to its field.
pub(super) const CHECKOUT_FIELDS: &[&str] = &[
    "name",
    "line1",
    "line2",
    "city",
    "postal_code",
    "country",
    "coupon",
    "card_number",
    "exp",
    "cvc",
];

async fn checkout_page(
    app: &crate::App,
    actor: &haven_app::Actor,
    listing_id: ListingId,
    mut form: CheckoutForm,
    refusal: super::FormRefusal,
) -> WebResult {
    let listing = app
        .store
        .listing(listing_id)
        .await?
        .ok_or_else(|| ApiError::not_found("listing"))?;
    let method = listing
        .shipping
        .iter()
        .find(|m| m.name == form.method)
        .or(listing.shipping.first())
        .map(|m| m.name.clone())
        .unwrap_or_default();
    let countries: Vec<String> = listing
        .shipping
        .iter()
        .find(|m| m.name == method)
        .map(|m| m.rates.iter().map(|r| r.country.clone()).collect())
        .unwrap_or_default();
    // A rest-of-world line ships anywhere: the buyer types their country.
    let any_country = countries
        .iter()
        .any(|c| c == haven_domain::catalog::REST_OF_WORLD);
    let countries: Vec<String> = countries
        .into_iter()
        .filter(|c| c != haven_domain::catalog::REST_OF_WORLD)
        .collect();
    let quantity = form
        .quantity
        .parse::<i64>()
        .unwrap_or(1)
        .clamp(1, listing.stock.max(1));
    // The price a checkout now would charge: a flash deal's while it lasts.
    let (unit_price, _) = listing.price_at(
        app.now(),
        u32::try_from(quantity).unwrap_or(1),
        form.accept_regular_price == "true",
    );
    let _ = unit_price;
    let (quote, refusal) = match buy_now_quote(app, actor, &listing, &form, quantity, &method).await
    {
        Ok(quote) => (Some(quote), refusal),
        Err(err) if err.status.is_client_error() && refusal.is_empty() => {
            (None, super::FormRefusal::of(&err, CHECKOUT_FIELDS))
        }
        Err(err) if err.status.is_client_error() => (None, refusal),
        Err(err) => return Err(err.into()),
    };
    let idempotency_key = if form.idempotency_key.is_empty() {
        uuid::Uuid::now_v7().to_string()
    } else {
        form.idempotency_key.clone()
    };
    form.card_number.clear();
    form.cvc.clear();
    let credit_account = haven_domain::ledger::Account::BuyerCredit(actor.id()).to_string();
    let credit_minor = app
        .store
        .balance(&credit_account, app.currency().as_str())
        .await?;
    let credit = super::shown(haven_domain::money::Money::new(
        credit_minor,
        app.currency(),
    ));
    Ok(render(&CheckoutPage {
        credit_minor,
        credit,
        layout: Layout::new(app, Some(actor), "Checkout"),
        listing: ListingView::from(&listing),
        quantity: quantity.to_string(),
        method,
        countries,
        any_country,
        quote,
        idempotency_key,
        form,
        refusal,
    }))
}

/// What this checkout would charge for the country in the form (the
/// address may still be half typed: blanks are priced as placeholders).
async fn buy_now_quote(
    app: &crate::App,
    actor: &haven_app::Actor,
    listing: &haven_domain::catalog::Listing,
    form: &CheckoutForm,
    quantity: i64,
    method: &str,
) -> Result<crate::api::cart::CartQuoteView, ApiError> {
    let filled = |v: &str| {
        if v.trim().is_empty() {
            "-".to_string()
        } else {
            v.to_string()
        }
    };
    let input = CheckoutInput {
        listing_id: listing.id,
        quantity,
        shipping_method: method.to_string(),
        address: haven_domain::order::Address {
            name: filled(&form.name),
            line1: filled(&form.line1),
            line2: form.line2.clone(),
            city: filled(&form.city),
            postal_code: filled(&form.postal_code),
            country: form.country.trim().to_ascii_uppercase(),
        },
        card: None,
        use_credit: form.use_credit == "true",
        accept_regular_price: form.accept_regular_price == "true",
        coupons: coupon_list(&form.coupon),
        expected_total_minor: None,
        context: Default::default(),
    };
    let quote = app.quote_buy_now(actor, &input).await?;
    crate::api::cart::quote_view(app, &quote).await
}

pub async fn checkout_form(
    State(app): AppState,
    Member(actor): Member,
    Path(id): Path<String>,
    Query(mut form): Query<CheckoutForm>,
) -> WebResult {
    if form.country.trim().is_empty() {
        form.country = "US".into();
    }
    if form.seen.is_empty() {
        form.use_credit = "true".into();
    }
    checkout_page(
        &app,
        &actor,
        path_id(&id, "listing")?,
        form,
        super::FormRefusal::default(),
    )
    .await
}

pub(crate) fn parse_expiry(raw: &str) -> Option<(u8, u16)> {
    let (month, year) = raw.trim().split_once('/')?;
    let month: u8 = month.trim().parse().ok()?;
    let year: u16 = year.trim().parse().ok()?;
    Some((month, if year < 100 { 2000 + year } else { year }))
}

pub async fn checkout(
    State(app): AppState,
    Member(actor): Member,
    Path(id): Path<String>,
    Client(client): Client,
    headers: axum::http::HeaderMap,
    RawBody(body): RawBody,
) -> WebResult {
    let device = crate::web::csrf::cookie_value(&headers, crate::api::extract::DEVICE_COOKIE);
    let context =
        crate::api::extract::payment_context(&headers, &client, &app.config, device.as_deref());
    let listing_id: ListingId = path_id(&id, "listing")?;
    let form: CheckoutForm = parse_form(&body)?;
    let use_credit = form.use_credit == "true";
    let card_given = !form.card_number.trim().is_empty();
    let expiry = if card_given {
        parse_expiry(&form.exp)
    } else {
        Some((0, 0))
    };
    let Some((exp_month, exp_year)) = expiry else {
        return checkout_page(
            &app,
            &actor,
            listing_id,
            form,
            super::FormRefusal::on_field("exp", "Expiry must look like 12/30."),
        )
        .await;
    };
    let input = CheckoutInput {
        listing_id,
        quantity: form.quantity.trim().parse().unwrap_or(0),
        shipping_method: form.method.clone(),
        address: haven_domain::order::Address {
            name: form.name.clone(),
            line1: form.line1.clone(),
            line2: form.line2.clone(),
            city: form.city.clone(),
            postal_code: form.postal_code.clone(),
            country: form.country.trim().to_ascii_uppercase(),
        },
        card: card_given.then(|| CardDetails {
            number: form.card_number.clone(),
            exp_month,
            exp_year,
            cvc: form.cvc.clone(),
        }),
        use_credit,
        accept_regular_price: form.accept_regular_price == "true",
        coupons: coupon_list(&form.coupon),
        expected_total_minor: form.expected_total_minor.trim().parse().ok(),
        context,
    };
    // A double-clicked Pay button sends the same key twice: one order.
    let idem =
        (!form.idempotency_key.is_empty() && form.idempotency_key.len() <= 64).then(|| Idem {
            user_id: actor.id(),
            key: format!("web-checkout:{}", form.idempotency_key),
            request_hash: format!("web-checkout:{listing_id}"),
        });
    if let Some(idem) = &idem
        && let Some(haven_app::Resource::Order(order_id)) = app.idempotent_replay(idem).await?
    {
        return Ok(Redirect::to(&format!("/orders/{order_id}")).into_response());
    }
    match app.checkout(&actor, input, idem.as_ref()).await {
        Ok(outcome) if outcome.challenge_required => {
            Ok(Redirect::to(&format!("/orders/{}/verify", outcome.order.id)).into_response())
        }
        Ok(outcome) => Ok(super::csrf::redirect_with_flash(
            &app,
            &format!("/orders/{}", outcome.order.id),
            &super::cart::paid_message(&outcome.orders),
        )),
        Err(err) if err.kind.is_correctable() => {
            let refusal = super::FormRefusal::of(&err.into(), CHECKOUT_FIELDS);
            checkout_page(&app, &actor, listing_id, form, refusal).await
        }
        Err(err) => Err(err.into()),
    }
}

#[derive(Template)]
#[template(path = "challenge.html")]
struct ChallengePage {
    layout: Layout,
    order: OrderView,
    error: Option<String>,
}

pub async fn challenge_form(
    State(app): AppState,
    Member(actor): Member,
    Path(id): Path<String>,
) -> WebResult {
    let order = app.order_for(&actor, path_id(&id, "order")?).await?;
    if !OrderView::seen_by(&order, &actor, app.now()).payment_challenge_required {
        return Ok(Redirect::to(&format!("/orders/{}", order.id)).into_response());
    }
    Ok(render(&ChallengePage {
        layout: Layout::new(&app, Some(&actor), "Verify payment"),
        order: OrderView::seen_by(&order, &actor, app.now()),
        error: None,
    }))
}

#[derive(Deserialize)]
pub struct ChallengeForm {
    code: String,
}

pub async fn challenge(
    State(app): AppState,
    Member(actor): Member,
    Path(id): Path<String>,
    RawBody(body): RawBody,
) -> WebResult {
    let order_id = path_id(&id, "order")?;
    let form: ChallengeForm = parse_form(&body)?;
    match app
        .complete_challenge(&actor, order_id, &form.code, None)
        .await
    {
        Ok(order) => Ok(super::csrf::redirect_with_flash(
            &app,
            &format!("/orders/{}", order.id),
            &format!(
                "Verified. {}",
                super::cart::paid_message(std::slice::from_ref(&order))
            ),
        )),
        Err(err) if err.kind == haven_app::ErrorKind::PaymentDeclined => {
            let order = app.order_for(&actor, order_id).await?;
            let error = Some("Your bank did not accept that code. Try again.".to_string());
            Ok(render(&ChallengePage {
                layout: Layout::new(&app, Some(&actor), "Verify payment"),
                order: OrderView::seen_by(&order, &actor, app.now()),
                error,
            }))
        }
        Err(err) => Err(err).or_back(&format!("/orders/{order_id}")),
    }
}

/// The coupon box: codes separated by commas or spaces.
pub(crate) fn coupon_list(raw: &str) -> Vec<String> {
    raw.split(|c: char| c == ',' || c.is_whitespace())
        .filter(|c| !c.is_empty())
        .take(4)
        .map(str::to_string)
        .collect()
}
