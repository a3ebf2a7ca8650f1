//! The cart page, the cart checkout (every total before paying, the final
//! one on the button), compare sellers, and coupons: claiming them on a
//! store page, issuing them in the seller centre and the console.

use std::collections::HashMap;

use askama::Template;
use axum::extract::State;
use axum::response::{IntoResponse, Redirect};
use haven_app::cart::{CartCheckoutInput, CartChoices, CartEntry};
use haven_app::payments::CardDetails;
use haven_app::{Actor, App, Idem};
use haven_domain::ids::{CouponId, ListingId, StoreId};
use haven_domain::money::Money;
use serde::Deserialize;

use super::filters;
use super::{
    AppState, Layout, Member, Path, Query, RefusedForms, Visitor, WebResult, parse_form, render,
};
use super::{CameFrom, OrBack};
use crate::api::cart::{CartQuoteView, CompareView, OfferView, offer_view, quote_view};
use crate::api::coupons::{CouponView, coupon_view};
use crate::api::extract::{Client, RawBody, path_id};
use crate::error::ApiError;

/// One store's lines in the cart.
pub struct CartGroup {
    pub store_name: String,
    pub lines: Vec<CartLineRow>,
}

pub struct CartLineRow {
    pub listing_id: String,
    pub title: String,
    pub price: String,
    pub quantity: u32,
    /// Why this line cannot be bought now, if it cannot.
    pub problem: Option<String>,
}

#[derive(Template)]
#[template(path = "cart.html")]
struct CartPage {
    layout: Layout,
    groups: Vec<CartGroup>,
}

async fn cart_groups(app: &App, entries: Vec<CartEntry>) -> Result<Vec<CartGroup>, ApiError> {
    let keyed: Vec<(StoreId, CartEntry)> = entries
        .into_iter()
        .map(|e| (e.listing.store_id, e))
        .collect();
    let mut groups = Vec::new();
    for (store, entries) in haven_domain::cart::group_by_store(keyed) {
        let (_, store_name) = app.cached_reputation(store).await?;
        let lines = entries
            .into_iter()
            .map(|e| CartLineRow {
                listing_id: e.listing.id.to_string(),
                problem: if e.listing.is_held() {
                    Some("Trust and safety is reviewing this listing.".into())
                } else if e.listing.is_paused() {
                    Some("The seller has paused this listing.".into())
                } else if e.listing.stock < i64::from(e.quantity) {
                    Some(format!("Only {} left.", e.listing.stock))
                } else {
                    None
                },
                price: super::shown(e.listing.price_at(app.now(), e.quantity, true).0),
                title: e.listing.title,
                quantity: e.quantity,
            })
            .collect();
        groups.push(CartGroup { store_name, lines });
    }
    Ok(groups)
}

pub async fn cart(State(app): AppState, Member(actor): Member) -> WebResult {
    let groups = cart_groups(&app, app.cart(&actor).await?).await?;
    Ok(render(&CartPage {
        layout: Layout::new(&app, Some(&actor), "Cart"),
        groups,
    }))
}

#[derive(Deserialize)]
pub struct CartItemForm {
    listing_id: String,
    #[serde(default)]
    quantity: String,
    /// Where to go afterwards: "cart" (default) or "listing".
    #[serde(default)]
    back: String,
}

/// Add to the cart (from a listing page), or change a line's quantity (0
/// takes it out).
pub async fn put_item(
    State(app): AppState,
    Member(actor): Member,
    RawBody(body): RawBody,
) -> WebResult {
    let form: CartItemForm = parse_form(&body)?;
    let listing: ListingId = path_id(&form.listing_id, "listing")?;
    let to = match form.back.as_str() {
        "listing" => format!("/listings/{listing}"),
        _ => "/cart".to_string(),
    };
    let quantity = form.quantity.trim().parse::<i64>().map_err(|_| {
        haven_app::AppError::invalid_field("quantity", "quantity must be a whole number")
    });
    let removed = matches!(quantity, Ok(0));
    let put = match quantity {
        Ok(quantity) => app.put_in_cart(&actor, listing, quantity).await,
        Err(err) => Err(err),
    };
    match put {
        Ok(()) => {}
        // A refusal (a full cart, a quantity out of range) goes back to the
        // page the form was on, saying why, rather than to an error page.
        Err(err) if err.kind.is_correctable() => {
            let said = format!("Your cart was not changed: {}.", err.message);
            return Ok(super::csrf::redirect_with_refusal(&app, &to, &said));
        }
        Err(err) => return Err(err.into()),
    }
    let said = match (form.back.as_str(), removed) {
        ("listing", _) => "Added to your cart.",
        (_, true) => "Removed from your cart.",
        _ => "Cart updated.",
    };
    Ok(super::csrf::redirect_with_flash(&app, &to, said))
}

/// What the checkout page's form carries (as a GET to update the totals,
/// or a POST to pay). Per-store shipping arrives as `ship_<store id>`.
#[derive(Deserialize, Default, Clone)]
#[serde(default)]
pub struct CartCheckoutForm {
    name: String,
    line1: String,
    line2: String,
    city: String,
    postal_code: String,
    country: String,
    coupon: String,
    use_credit: String,
    card_number: String,
    exp: String,
    cvc: String,
    expected_total_minor: String,
    idempotency_key: String,
    #[serde(flatten)]
    rest: HashMap<String, String>,
}

impl CartCheckoutForm {
    /// The coupons typed, then the claimed ones ticked (`claimed_<id>`),
    /// each once.
    fn coupons(&self) -> Vec<String> {
        let mut coupons = super::shop::coupon_list(&self.coupon);
        let mut ticked: Vec<&str> = self
            .rest
            .iter()
            .filter(|(_, v)| v.as_str() == "true")
            .filter_map(|(k, _)| k.strip_prefix("claimed_"))
            .collect();
        ticked.sort_unstable();
        for id in ticked {
            if !coupons.iter().any(|c| c == id) {
                coupons.push(id.to_string());
            }
        }
        coupons
    }

    /// The claimed coupon `id` is ticked.
    fn claimed(&self, id: &str) -> bool {
        self.rest
            .get(&format!("claimed_{id}"))
            .is_some_and(|v| v == "true")
    }

    fn choices(&self) -> CartChoices {
        let shipping = self
            .rest
            .iter()
            .filter_map(|(k, v)| {
                let store = k.strip_prefix("ship_")?.parse::<StoreId>().ok()?;
                (!v.is_empty()).then(|| (store, v.clone()))
            })
            .take(haven_domain::cart::MAX_CART_STORES)
            .collect();
        CartChoices {
            address: haven_domain::order::Address {
                name: self.name.clone(),
                line1: self.line1.clone(),
                line2: self.line2.clone(),
                city: self.city.clone(),
                postal_code: self.postal_code.clone(),
                country: self.country.trim().to_ascii_uppercase(),
            },
            shipping,
            coupons: self.coupons(),
            use_credit: self.use_credit == "true",
            accept_regular_price: true,
        }
    }
}

#[derive(Template)]
#[template(path = "cart_checkout.html")]
struct CartCheckoutPage {
    layout: Layout,
    form: CartCheckoutForm,
    quote: Option<CartQuoteView>,
    credit_available: String,
    has_credit: bool,
    rewards: String,
    has_rewards: bool,
    my_coupons: Vec<CouponView>,
    /// The platform's coupons the buyer can still claim.
    to_claim: Vec<CouponView>,
    idempotency_key: String,
    refusal: super::FormRefusal,
}

impl CartCheckoutPage {
    fn error_for(&self, name: &str) -> Option<&str> {
        self.refusal.for_field(name)
    }

    fn chosen(&self, store_id: &str, method: &str) -> bool {
        self.quote.as_ref().is_some_and(|q| {
            q.stores
                .iter()
                .any(|s| s.store_id == store_id && s.shipping.method == method)
        })
    }
}

async fn checkout_page(
    app: &App,
    actor: &Actor,
    mut form: CartCheckoutForm,
    refusal: super::FormRefusal,
) -> WebResult {
    if form.country.trim().is_empty() {
        form.country = "US".into();
    }
    // Until an address is typed, price with a placeholder one so the
    // buyer sees the totals for the country.
    let mut choices = form.choices();
    let placeholder = |v: &mut String| {
        if v.trim().is_empty() {
            *v = "-".into();
        }
    };
    placeholder(&mut choices.address.name);
    placeholder(&mut choices.address.line1);
    placeholder(&mut choices.address.city);
    placeholder(&mut choices.address.postal_code);
    let (quote, refusal) = match app.quote_cart(actor, &choices).await {
        Ok(quote) => (Some(quote_view(app, &quote).await?), refusal),
        Err(err) if err.kind.is_correctable() && refusal.is_empty() => (
            None,
            super::FormRefusal::of(&err.into(), super::shop::CHECKOUT_FIELDS),
        ),
        Err(err) if err.kind.is_correctable() => (None, refusal),
        Err(err) => return Err(err.into()),
    };
    let account = haven_domain::ledger::Account::BuyerCredit(actor.id()).to_string();
    let credit_minor = app.store.balance(&account, app.currency().as_str()).await?;
    form.card_number.clear();
    form.cvc.clear();
    let rewards = app.rewards_balance(actor).await?;
    let my_coupons = app
        .my_coupons(actor)
        .await?
        .iter()
        .map(CouponView::from)
        .collect();
    let to_claim = app
        .platform_coupons_to_claim(actor)
        .await?
        .iter()
        .map(CouponView::from)
        .collect();
    Ok(render(&CartCheckoutPage {
        layout: Layout::new(app, Some(actor), "Checkout"),
        idempotency_key: match form.idempotency_key.as_str() {
            "" => uuid::Uuid::now_v7().to_string(),
            key => key.to_string(),
        },
        form,
        quote,
        credit_available: super::shown(Money::new(credit_minor, app.currency())),
        has_credit: credit_minor > 0,
        rewards: super::shown(rewards),
        has_rewards: rewards.amount_minor > 0,
        my_coupons,
        to_claim,
        refusal,
    }))
}

pub async fn checkout_form(
    State(app): AppState,
    Member(actor): Member,
    Query(form): Query<CartCheckoutForm>,
) -> WebResult {
    checkout_page(&app, &actor, form, super::FormRefusal::default()).await
}

pub async fn checkout(
    State(app): AppState,
    Member(actor): Member,
    Client(client): Client,
    headers: axum::http::HeaderMap,
    RawBody(body): RawBody,
) -> WebResult {
    let form: CartCheckoutForm = parse_form(&body)?;
    let device = super::csrf::cookie_value(&headers, crate::api::extract::DEVICE_COOKIE);
    let context =
        crate::api::extract::payment_context(&headers, &client, &app.config, device.as_deref());
    let card_given = !form.card_number.trim().is_empty();
    let expiry = match card_given {
        true => super::shop::parse_expiry(&form.exp),
        false => Some((0, 0)),
    };
    let Some((exp_month, exp_year)) = expiry else {
        return checkout_page(
            &app,
            &actor,
            form,
            super::FormRefusal::on_field("exp", "Expiry must look like 12/30."),
        )
        .await;
    };
    let input = CartCheckoutInput {
        choices: form.choices(),
        card: card_given.then(|| CardDetails {
            number: form.card_number.clone(),
            exp_month,
            exp_year,
            cvc: form.cvc.clone(),
        }),
        expected_total_minor: form.expected_total_minor.trim().parse().ok(),
        context,
    };
    // A double-clicked Pay button sends the same key twice: one payment.
    let idem =
        (!form.idempotency_key.is_empty() && form.idempotency_key.len() <= 64).then(|| Idem {
            user_id: actor.id(),
            key: format!("web-cart:{}", form.idempotency_key),
            request_hash: "web-cart".into(),
        });
    if let Some(idem) = &idem
        && let Some(haven_app::Resource::Cart(first)) = app.idempotent_replay(idem).await?
    {
        return Ok(Redirect::to(&format!("/orders/{first}")).into_response());
    }
    match app.checkout_cart(&actor, input, idem.as_ref()).await {
        Ok(outcome) if outcome.challenge_required => {
            Ok(Redirect::to(&format!("/orders/{}/verify", outcome.order.id)).into_response())
        }
        Ok(outcome) => Ok(super::csrf::redirect_with_flash(
            &app,
            "/orders",
            &paid_message(&outcome.orders),
        )),
        Err(err) if err.kind.is_correctable() => {
            let refusal = super::FormRefusal::of(&err.into(), super::shop::CHECKOUT_FIELDS);
            checkout_page(&app, &actor, form, refusal).await
        }
        Err(err) => Err(err.into()),
    }
}

#[derive(Template)]
#[template(path = "compare.html")]
struct ComparePage {
    layout: Layout,
    title: String,
    listing_id: String,
    to: String,
    compare: CompareView,
}

#[derive(Deserialize, Default)]
pub struct CompareQuery {
    to: Option<String>,
}

pub async fn compare(
    State(app): AppState,
    Visitor(actor): Visitor,
    Path(id): Path<String>,
    Query(q): Query<CompareQuery>,
) -> WebResult {
    let listing: ListingId = path_id(&id, "listing")?;
    let to =
        q.to.map(|c| c.trim().to_ascii_uppercase())
            .filter(|c| haven_domain::catalog::is_country_code(c))
            .unwrap_or_else(|| "US".into());
    let offers = app.compare_sellers(listing, Some(&to)).await?;
    let title = offers
        .iter()
        .find(|o| o.listing.id == listing)
        .map(|o| o.listing.title.clone())
        .unwrap_or_default();
    let offers: Vec<OfferView> = offers.iter().map(offer_view).collect();
    Ok(render(&ComparePage {
        layout: Layout::new(&app, actor.as_ref(), format!("Compare sellers: {title}")),
        title,
        listing_id: listing.to_string(),
        to,
        compare: CompareView {
            product_key: None,
            offers,
        },
    }))
}

/// What a buyer is told once checkout has taken the money.
pub(crate) fn paid_message(orders: &[haven_domain::order::Order]) -> String {
    if orders.iter().any(|o| o.held_for_review()) {
        return "Paid. Trust and safety checks every new payment like this one before the seller ships; your money stays in escrow meanwhile.".into();
    }
    match orders.len() {
        1 => "Paid. Your money is held in escrow until you confirm delivery.".to_string(),
        n => format!("Paid once for {n} orders, one per store, each held in its own escrow."),
    }
}

/// Where a coupon claimed from the cart's checkout goes back to: the
/// checkout with what the buyer had typed (never the card).
fn checkout_again(body: &[u8]) -> String {
    const KEPT_OUT: [&str; 6] = [
        "csrf",
        "card_number",
        "exp",
        "cvc",
        "idempotency_key",
        "expected_total_minor",
    ];
    let pairs: Vec<(String, String)> = serde_urlencoded::from_bytes(body).unwrap_or_default();
    let kept: Vec<(String, String)> = pairs
        .into_iter()
        .filter(|(k, _)| !KEPT_OUT.contains(&k.as_str()))
        .collect();
    match serde_urlencoded::to_string(&kept) {
        Ok(query) if !query.is_empty() => format!("/cart/checkout?{query}"),
        _ => "/cart/checkout".into(),
    }
}

pub async fn claim(
    State(app): AppState,
    Member(actor): Member,
    came_from: CameFrom,
    Path(id): Path<String>,
    RawBody(body): RawBody,
) -> WebResult {
    let id: CouponId = path_id(&id, "coupon")?;
    let stored = app
        .claim_coupon(&actor, id)
        .await
        .or_back(&came_from.or("/cart"))?;
    // A store's coupon is claimed on its page; the platform's at checkout,
    // whose form comes along so nothing typed is lost.
    let back = match stored.coupon.store_id {
        Some(store) => format!("/stores/{store}"),
        None if came_from.or("/cart").starts_with("/cart/checkout") => checkout_again(&body),
        None => came_from.or("/cart"),
    };
    Ok(super::csrf::redirect_with_flash(
        &app,
        &back,
        "Coupon claimed: pick it at checkout.",
    ))
}

#[derive(Template)]
#[template(path = "coupons.html")]
struct CouponsPage {
    layout: Layout,
    platform: bool,
    coupons: Vec<CouponView>,
    can_issue: bool,
    refused: Option<super::RefusedForm>,
    /// The seller's bundles, and the listings a new one can hold.
    bundles: Vec<crate::api::cart::BundleView>,
    own_listings: Vec<(String, String)>,
}

/// The issuer's coupons: the seller centre's, or (`platform`) the console's.
async fn coupons_page(
    app: &App,
    actor: &Actor,
    platform: bool,
    refused: Option<super::RefusedForm>,
) -> WebResult {
    let page = haven_store::PageRequest::new(None, Some(100));
    let coupons = app.issued_coupons(actor, platform, &page).await?;
    let can_issue = platform
        || actor.user.verification_level()
            == haven_domain::account::VerificationLevel::IdentityVerified;
    let (bundles, own_listings) = match (platform, actor.store_id) {
        (false, Some(store)) => {
            let filter = haven_store::ListingFilter {
                store_id: Some(store),
                category: None,
            };
            let listings = app.store.listings(&filter, &page).await?;
            (
                app.store.bundles_of(store).await?,
                listings
                    .items
                    .into_iter()
                    .map(|l| (l.id.to_string(), l.title))
                    .collect(),
            )
        }
        _ => (Vec::new(), Vec::new()),
    };
    Ok(render(&CouponsPage {
        layout: Layout::new(app, Some(actor), "Coupons and bundles"),
        platform,
        coupons: coupons.items.iter().map(CouponView::from).collect(),
        can_issue,
        refused,
        bundles: bundles
            .iter()
            .map(crate::api::cart::BundleView::from)
            .collect(),
        own_listings,
    }))
}

pub async fn seller_coupons(State(app): AppState, Member(actor): Member) -> WebResult {
    coupons_page(&app, &actor, false, None).await
}

pub async fn console_coupons(State(app): AppState, Member(actor): Member) -> WebResult {
    coupons_page(&app, &actor, true, None).await
}

impl super::RefusedForms for CouponsPage {
    fn refused(&self) -> Option<&super::RefusedForm> {
        self.refused.as_ref()
    }
}

const COUPON_FIELDS: &[&str] = &[
    "title",
    "code",
    "amount",
    "percent",
    "cap",
    "min_order",
    "days",
    "total_limit",
    "per_buyer_limit",
    "category",
    "price",
    "listing",
];

/// The API's names for the coupon form's fields.
const COUPON_ALIASES: &[(&str, &str)] = &[
    ("amount_off", "amount"),
    ("percent_off", "percent"),
    ("max_off", "cap"),
    ("ends_at", "days"),
    ("listing_ids", "listing"),
];

/// The coupons page again with `err` beside the field of `form` it names.
async fn refused_on_coupons(
    app: &App,
    actor: &Actor,
    platform: bool,
    form: &'static str,
    err: ApiError,
    body: &[u8],
) -> WebResult {
    let refusal = super::FormRefusal::of_aliased(&err, COUPON_FIELDS, COUPON_ALIASES);
    let status = crate::error::status_of(err.kind);
    let refused = super::RefusedForm::new(form, refusal, body);
    let page = coupons_page(app, actor, platform, Some(refused)).await?;
    Ok((status, page).into_response())
}

#[derive(Deserialize)]
pub struct CouponForm {
    title: String,
    #[serde(default)]
    code: String,
    #[serde(default)]
    claimable: String,
    /// "fixed" or "percent".
    kind: String,
    #[serde(default)]
    amount: String,
    #[serde(default)]
    percent: String,
    #[serde(default)]
    cap: String,
    min_order: String,
    days: String,
    total_limit: String,
    #[serde(default)]
    per_buyer_limit: String,
    #[serde(default)]
    category: String,
}

fn coupon_input(
    app: &App,
    form: CouponForm,
    platform: bool,
) -> Result<haven_app::coupons::NewCoupon, ApiError> {
    let currency = app.currency();
    let refused = |field: &str, message: String| {
        ApiError::from(haven_app::AppError::invalid_field(field, message))
    };
    let amount = |raw: &str, field: &str, what: &str| {
        Money::parse_decimal(raw.trim(), currency)
            .map(|m| m.amount_minor)
            .map_err(|_| refused(field, format!("Write {what} as an amount like 3.00.")))
    };
    let whole = |raw: &str, field: &str, what: &str| {
        raw.trim()
            .parse::<u32>()
            .map_err(|_| refused(field, format!("Write {what} as a whole number.")))
    };
    let value = match form.kind.as_str() {
        "percent" => haven_domain::coupon::CouponValue::Percent {
            percent: whole(&form.percent, "percent", "the percent")?,
            cap_minor: amount(&form.cap, "cap", "the cap")?,
        },
        _ => haven_domain::coupon::CouponValue::Fixed {
            off_minor: amount(&form.amount, "amount", "the amount off")?,
        },
    };
    let days = whole(&form.days, "days", "the number of days")?.clamp(1, 366);
    Ok(haven_app::coupons::NewCoupon {
        platform,
        title: form.title,
        code: Some(form.code).filter(|c| !c.trim().is_empty()),
        claimable: form.claimable == "true",
        currency,
        value,
        min_order_minor: amount(&form.min_order, "min_order", "the minimum order")?,
        starts_at: None,
        ends_at: app.now() + haven_domain::SignedDuration::from_hours(24 * i64::from(days)),
        total_limit: whole(&form.total_limit, "total_limit", "the total uses")?,
        per_buyer_limit: match form.per_buyer_limit.trim() {
            "" => 1,
            raw => whole(raw, "per_buyer_limit", "the uses per buyer")?,
        },
        category: Some(form.category).filter(|c| !c.trim().is_empty()),
        for_store: None,
    })
}

async fn issue(app: &App, actor: &Actor, body: &[u8], platform: bool) -> WebResult {
    let form: CouponForm = parse_form(body)?;
    let back = if platform {
        "/console/coupons"
    } else {
        "/seller/coupons"
    };
    let issued = match coupon_input(app, form, platform) {
        Ok(input) => app.issue_coupon(actor, input).await.map_err(ApiError::from),
        Err(err) => Err(err),
    };
    match issued {
        Ok(coupon) => Ok(super::csrf::redirect_with_flash(
            app,
            back,
            &format!("Coupon issued: {}.", coupon_view(&coupon, 0).terms),
        )),
        Err(err)
            if err.status.is_client_error() && err.status != axum::http::StatusCode::FORBIDDEN =>
        {
            refused_on_coupons(app, actor, platform, "coupon", err, body).await
        }
        Err(err) => Err(err.into()),
    }
}

pub async fn issue_seller_coupon(
    State(app): AppState,
    Member(actor): Member,
    RawBody(body): RawBody,
) -> WebResult {
    issue(&app, &actor, &body, false).await
}

pub async fn issue_platform_coupon(
    State(app): AppState,
    Member(actor): Member,
    RawBody(body): RawBody,
) -> WebResult {
    issue(&app, &actor, &body, true).await
}

pub async fn end_coupon(
    State(app): AppState,
    Member(actor): Member,
    came_from: CameFrom,
    Path(id): Path<String>,
) -> WebResult {
    let id: CouponId = path_id(&id, "coupon")?;
    let coupon = app
        .end_coupon(&actor, id)
        .await
        .or_back(&came_from.or("/seller/coupons"))?;
    let back = if coupon.store_id.is_some() {
        "/seller/coupons"
    } else {
        "/console/coupons"
    };
    Ok(super::csrf::redirect_with_flash(
        &app,
        back,
        "Coupon ended.",
    ))
}

#[derive(Deserialize)]
pub struct CartBundleForm {
    store_id: String,
    bundle_id: String,
}

pub async fn add_bundle(
    State(app): AppState,
    Member(actor): Member,
    came_from: CameFrom,
    RawBody(body): RawBody,
) -> WebResult {
    let form: CartBundleForm = parse_form(&body)?;
    let store: StoreId = path_id(&form.store_id, "store")?;
    let bundle = app
        .add_bundle_to_cart(&actor, store, path_id(&form.bundle_id, "bundle")?)
        .await
        .or_back(&came_from.or(&format!("/stores/{store}")))?;
    Ok(super::csrf::redirect_with_flash(
        &app,
        "/cart",
        &format!(
            "{} is in your cart: the bundle price applies at checkout.",
            bundle.title
        ),
    ))
}

pub async fn create_bundle(
    State(app): AppState,
    Member(actor): Member,
    RawBody(body): RawBody,
) -> WebResult {
    // Checkboxes repeat their name (`listing=<id>&listing=<id>`).
    let raw =
        std::str::from_utf8(&body).map_err(|_| ApiError::bad_request("invalid form: not UTF-8"))?;
    let pairs = crate::api::extract::decoded_pairs(raw, false)?;
    let field = |name: &str| {
        pairs
            .iter()
            .find(|(k, _)| k == name)
            .map(|(_, v)| v.clone())
            .unwrap_or_default()
    };
    let listings = pairs
        .iter()
        .filter(|(k, _)| k == "listing")
        .take(haven_domain::bundle::MAX_LISTINGS + 1)
        .map(|(_, raw)| path_id::<ListingId>(raw, "listing"))
        .collect::<Result<Vec<_>, _>>()?;
    let price = Money::parse_decimal(field("price").trim(), app.currency()).map_err(|_| {
        haven_app::AppError::invalid_field(
            "price",
            "Write the bundle price as an amount like 25.00.",
        )
    });
    let created = match price {
        Ok(price) => {
            app.create_bundle(&actor, &field("title"), listings, price)
                .await
        }
        Err(err) => Err(err),
    };
    match created {
        Ok(bundle) => Ok(super::csrf::redirect_with_flash(
            &app,
            "/seller/coupons",
            &format!("Bundle {} offered.", bundle.title),
        )),
        Err(err) if err.kind.is_correctable() => {
            refused_on_coupons(&app, &actor, false, "bundle", err.into(), &body).await
        }
        Err(err) => Err(err.into()),
    }
}

/// The seller ends a bundle deal: it is no longer offered, and carts that
/// hold it are priced item by item again.
pub async fn end_bundle(
    State(app): AppState,
    Member(actor): Member,
    Path(id): Path<String>,
) -> WebResult {
    let id: haven_domain::ids::BundleId = path_id(&id, "bundle")?;
    let bundle = app
        .end_bundle(&actor, id)
        .await
        .or_back("/seller/coupons#bundles")?;
    Ok(super::csrf::redirect_with_flash(
        &app,
        "/seller/coupons#bundles",
        &format!("Bundle {} ended: buyers no longer see it.", bundle.title),
    ))
}

/// Turn every reward into credit, then back to the checkout.
pub async fn redeem_rewards(
    State(app): AppState,
    Member(actor): Member,
    came_from: CameFrom,
) -> WebResult {
    let redeemed = app
        .redeem_rewards(&actor, None)
        .await
        .or_back(&came_from.or("/cart/checkout"))?;
    Ok(super::csrf::redirect_with_flash(
        &app,
        "/cart/checkout",
        &format!(
            "{} of rewards is now credit: tick Use my Haven credit to spend it.",
            super::shown(redeemed)
        ),
    ))
}
