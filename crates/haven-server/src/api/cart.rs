//! The cart, its quote (everything before paying), its checkout (one
//! payment, one order per store), and compare sellers.

use std::sync::Arc;

use axum::Json;
use axum::extract::State;
use axum::http::{HeaderMap, StatusCode};
use axum::response::Response;
use haven_app::cart::{CartCheckoutInput, CartChoices, CartQuote};
use haven_app::{Actor, App};
use haven_domain::ids::{ListingId, StoreId};
use serde::{Deserialize, Serialize};
use utoipa::{IntoParams, ToSchema};

use super::extract::{
    Auth, Client, Path, Query, RawBody, idempotency, idempotent, parse_json, path_id,
};
use super::requests::CardRequest;
use crate::error::{ApiError, ApiResult, ErrorBody};
use crate::views::{AddressView, DiscountView, ListingView, MoneyView, OrderItemView, OrderView};

type AppState = State<Arc<App>>;

#[derive(Debug, Serialize, ToSchema)]
pub struct CartView {
    /// In the order they were added (at most 50).
    pub lines: Vec<CartLineView>,
}

#[derive(Debug, Serialize, ToSchema)]
pub struct CartLineView {
    pub listing: ListingView,
    pub quantity: u32,
    pub added_at: String,
}

#[derive(Debug, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct CartItemRequest {
    /// 0 takes the item out; at most 1000.
    pub quantity: i64,
}

#[derive(Debug, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct ShippingPick {
    pub store_id: String,
    pub method: String,
}

#[derive(Debug, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct CartQuoteRequest {
    pub address: AddressView,
    /// A shipping method per store; a store left out gets its cheapest.
    #[serde(default)]
    pub shipping: Vec<ShippingPick>,
    /// Coupon codes, or ids of claimed coupons: one platform coupon per
    /// checkout, one seller coupon per store.
    #[serde(default)]
    pub coupons: Vec<String>,
    #[serde(default)]
    pub use_credit: bool,
    #[serde(default)]
    pub accept_regular_price: bool,
}

#[derive(Debug, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct CartCheckoutRequest {
    pub address: AddressView,
    #[serde(default)]
    pub shipping: Vec<ShippingPick>,
    #[serde(default)]
    pub coupons: Vec<String>,
    #[serde(default)]
    pub use_credit: bool,
    #[serde(default)]
    pub accept_regular_price: bool,
    /// Needed unless credit covers the whole total.
    pub card: Option<CardRequest>,
    /// The total the buyer was shown (from the quote): if it changed, the
    /// checkout answers 409 and charges nothing.
    pub expected_total_minor: Option<i64>,
}

#[derive(Debug, Serialize, ToSchema)]
pub struct ShippingOptionView {
    pub method: String,
    pub cost: MoneyView,
    /// Free because the order reaches the method's threshold.
    pub free_by_threshold: bool,
    pub min_transit_days: u32,
    pub max_transit_days: u32,
}

#[derive(Debug, Serialize, ToSchema)]
pub struct StoreQuoteView {
    pub store_id: String,
    pub store_name: String,
    pub items: Vec<OrderItemView>,
    /// Every method that can carry all of this store's items together.
    pub shipping_options: Vec<ShippingOptionView>,
    pub shipping: ShippingOptionView,
    pub discounts: Vec<DiscountView>,
    /// The bundle deal the items make.
    pub bundle: Option<crate::views::BundleDiscountView>,
    /// This store's order: items + shipping − discounts.
    pub total: MoneyView,
    /// The date the on-time guarantee promises delivery by.
    pub promised_delivery_at: String,
}

/// Everything the buyer sees before paying.
#[derive(Debug, Serialize, ToSchema)]
pub struct CartQuoteView {
    /// One order per store.
    pub stores: Vec<StoreQuoteView>,
    pub items: MoneyView,
    pub shipping: MoneyView,
    pub discounts: MoneyView,
    pub credit: MoneyView,
    /// What the card is charged (the figure on the button).
    pub card: MoneyView,
    pub total: MoneyView,
}

#[derive(Debug, Serialize, ToSchema)]
pub struct CartCheckoutView {
    /// One order per store, each with its own escrow and protection.
    pub orders: Vec<OrderView>,
    /// The card needs verification: POST the code to the first order's
    /// `/challenge`.
    pub challenge_required: bool,
}

fn ts(at: haven_domain::Timestamp) -> String {
    at.strftime("%Y-%m-%dT%H:%M:%SZ").to_string()
}

fn option_view(q: &haven_domain::catalog::ShippingQuote) -> ShippingOptionView {
    ShippingOptionView {
        method: q.method.clone(),
        cost: q.cost.into(),
        free_by_threshold: q.free_by_threshold,
        min_transit_days: q.min_transit_days,
        max_transit_days: q.max_transit_days,
    }
}

pub async fn quote_view(app: &App, quote: &CartQuote) -> ApiResult<CartQuoteView> {
    let mut stores = Vec::with_capacity(quote.stores.len());
    for store in &quote.stores {
        let (_, store_name) = app.cached_reputation(store.store_id).await?;
        let currency = store.order.total.currency;
        stores.push(StoreQuoteView {
            store_id: store.store_id.to_string(),
            store_name,
            items: store.items.iter().map(OrderItemView::from).collect(),
            shipping_options: store.shipping_options.iter().map(option_view).collect(),
            shipping: option_view(&store.shipping),
            discounts: store
                .order
                .discounts
                .iter()
                .map(|d| DiscountView::new(d, currency))
                .collect(),
            bundle: store
                .order
                .bundle
                .as_ref()
                .map(|b| crate::views::BundleDiscountView::new(b, currency)),
            total: store.order.total.into(),
            promised_delivery_at: ts(store.order.promised_delivery_at),
        });
    }
    Ok(CartQuoteView {
        stores,
        items: quote.items.into(),
        shipping: quote.shipping.into(),
        discounts: quote.discounts.into(),
        credit: quote.credit.into(),
        card: quote.card.into(),
        total: quote.total.into(),
    })
}

pub async fn cart_view(app: &App, actor: &Actor) -> ApiResult<CartView> {
    let entries = app.cart(actor).await?;
    Ok(CartView {
        lines: entries
            .iter()
            .map(|e| CartLineView {
                listing: ListingView::from(&e.listing),
                quantity: e.quantity,
                added_at: ts(e.added_at),
            })
            .collect(),
    })
}

fn picks(shipping: Vec<ShippingPick>) -> ApiResult<Vec<(StoreId, String)>> {
    if shipping.len() > haven_domain::cart::MAX_CART_STORES {
        return Err(ApiError::validation(
            "one shipping choice per store, at most 10",
        ));
    }
    shipping
        .into_iter()
        .map(|p| Ok((path_id(&p.store_id, "store")?, p.method)))
        .collect()
}

#[utoipa::path(get, path = "/api/v1/cart", tag = "cart",
    responses((status = 200, body = CartView)), security(("bearer" = [])))]
pub async fn get_cart(State(app): AppState, Auth(actor): Auth) -> ApiResult<Json<CartView>> {
    Ok(Json(cart_view(&app, &actor).await?))
}

#[utoipa::path(put, path = "/api/v1/cart/items/{listing_id}", tag = "cart", params(("listing_id" = String, Path)), request_body = CartItemRequest,
    responses((status = 200, body = CartView), (status = 403, body = ErrorBody), (status = 404, body = ErrorBody), (status = 422, body = ErrorBody)), security(("bearer" = [])))]
pub async fn put_item(
    State(app): AppState,
    Auth(actor): Auth,
    Path(id): Path<String>,
    RawBody(body): RawBody,
) -> ApiResult<Json<CartView>> {
    let listing: ListingId = path_id(&id, "listing")?;
    let req: CartItemRequest = parse_json(&body)?;
    app.put_in_cart(&actor, listing, req.quantity).await?;
    Ok(Json(cart_view(&app, &actor).await?))
}

#[utoipa::path(delete, path = "/api/v1/cart/items/{listing_id}", tag = "cart", params(("listing_id" = String, Path)),
    responses((status = 200, body = CartView), (status = 404, body = ErrorBody)), security(("bearer" = [])))]
pub async fn remove_item(
    State(app): AppState,
    Auth(actor): Auth,
    Path(id): Path<String>,
) -> ApiResult<Json<CartView>> {
    let listing: ListingId = path_id(&id, "listing")?;
    app.put_in_cart(&actor, listing, 0).await?;
    Ok(Json(cart_view(&app, &actor).await?))
}

#[utoipa::path(post, path = "/api/v1/cart/quote", tag = "cart", request_body = CartQuoteRequest,
    responses((status = 200, description = "What checkout would charge, per store", body = CartQuoteView),
              (status = 404, body = ErrorBody), (status = 409, body = ErrorBody), (status = 422, body = ErrorBody)), security(("bearer" = [])))]
pub async fn quote(
    State(app): AppState,
    Auth(actor): Auth,
    RawBody(body): RawBody,
) -> ApiResult<Json<CartQuoteView>> {
    let req: CartQuoteRequest = parse_json(&body)?;
    let choices = CartChoices {
        address: req.address.into(),
        shipping: picks(req.shipping)?,
        coupons: req.coupons,
        use_credit: req.use_credit,
        accept_regular_price: req.accept_regular_price,
    };
    let quote = app.quote_cart(&actor, &choices).await?;
    Ok(Json(quote_view(&app, &quote).await?))
}

fn checkout_input(req: CartCheckoutRequest) -> ApiResult<CartCheckoutInput> {
    Ok(CartCheckoutInput {
        choices: CartChoices {
            address: req.address.into(),
            shipping: picks(req.shipping)?,
            coupons: req.coupons,
            use_credit: req.use_credit,
            accept_regular_price: req.accept_regular_price,
        },
        card: req.card.map(super::handlers::card_details),
        expected_total_minor: req.expected_total_minor,
        context: Default::default(),
    })
}

/// The orders of one cart checkout as the buyer sees them.
pub fn checkout_view(
    orders: &[haven_domain::order::Order],
    actor: &Actor,
    now: haven_domain::Timestamp,
) -> CartCheckoutView {
    CartCheckoutView {
        challenge_required: orders.first().is_some_and(|o| {
            o.state == haven_domain::order::OrderState::PendingPayment && o.payment.is_some()
        }),
        orders: orders
            .iter()
            .map(|o| OrderView::seen_by(o, actor, now))
            .collect(),
    }
}

#[utoipa::path(post, path = "/api/v1/cart/checkout", tag = "cart", request_body = CartCheckoutRequest,
    responses((status = 201, description = "Paid: one order per store, each in escrow", body = CartCheckoutView),
              (status = 202, description = "Card needs verification", body = CartCheckoutView),
              (status = 402, body = ErrorBody), (status = 404, body = ErrorBody), (status = 409, body = ErrorBody),
              (status = 422, body = ErrorBody), (status = 502, body = ErrorBody)),
    params(("Idempotency-Key" = Option<String>, Header)), security(("bearer" = [])))]
pub async fn checkout(
    State(app): AppState,
    Auth(actor): Auth,
    Client(client): Client,
    headers: HeaderMap,
    RawBody(body): RawBody,
) -> Response {
    let context = super::extract::checkout_context(&app, &headers, &client);
    let parsed = parse_json::<CartCheckoutRequest>(&body)
        .and_then(checkout_input)
        .map(|input| CartCheckoutInput { context, ..input })
        .and_then(|input| {
            Ok((
                input,
                idempotency(&actor, &headers, "POST /cart/checkout", &body)?,
            ))
        });
    let (input, idem) = match parsed {
        Ok(ok) => ok,
        Err(err) => return axum::response::IntoResponse::into_response(err),
    };
    let idem_ref = idem.clone();
    idempotent(&app, &actor, idem, StatusCode::CREATED, async {
        let outcome = app.checkout_cart(&actor, input, idem_ref.as_ref()).await?;
        let status = if outcome.challenge_required {
            StatusCode::ACCEPTED
        } else {
            StatusCode::CREATED
        };
        Ok((status, checkout_view(&outcome.orders, &actor, app.now())))
    })
    .await
}

#[derive(Debug, Deserialize, IntoParams)]
#[serde(deny_unknown_fields)]
pub struct CompareParams {
    /// The buyer's country (ISO 3166-1 alpha-2): prices include shipping
    /// there and delivery dates are estimated for it.
    pub to: Option<String>,
}

#[derive(Debug, Serialize, ToSchema)]
pub struct OfferView {
    pub listing: ListingView,
    pub store_name: String,
    /// "Open 6 months · 28 sold · 92.8 % positive (28 reviews) · …"
    pub trust_summary: String,
    pub verified_seller: bool,
    pub top_seller: bool,
    /// One unit now (a running flash deal's price).
    pub price: MoneyView,
    /// The cheapest method to `to`; absent when it does not ship there.
    pub shipping: Option<ShippingOptionView>,
    /// Price plus shipping.
    pub delivered_price: Option<MoneyView>,
    /// The latest delivery date promised, ordering now.
    pub arrives_by: Option<String>,
}

#[derive(Debug, Serialize, ToSchema)]
pub struct CompareView {
    /// The product key the offers share (none: the listing names no product).
    pub product_key: Option<String>,
    /// Cheapest delivered first; offers that do not ship to `to` last.
    pub offers: Vec<OfferView>,
}

pub fn offer_view(offer: &haven_app::compare::Offer) -> OfferView {
    OfferView {
        listing: ListingView::from(&offer.listing),
        store_name: offer.store_name.clone(),
        trust_summary: offer.reputation.summary.clone(),
        verified_seller: offer.reputation.verified,
        top_seller: offer.reputation.top_seller,
        price: offer.price.into(),
        shipping: offer.shipping.as_ref().map(option_view),
        delivered_price: offer.delivered.map(Into::into),
        arrives_by: offer.arrives_by.map(ts),
    }
}

#[utoipa::path(get, path = "/api/v1/listings/{id}/compare", tag = "catalog", params(("id" = String, Path), CompareParams),
    responses((status = 200, body = CompareView), (status = 404, body = ErrorBody)))]
pub async fn compare(
    State(app): AppState,
    Path(id): Path<String>,
    Query(params): Query<CompareParams>,
) -> ApiResult<Json<CompareView>> {
    let listing: ListingId = path_id(&id, "listing")?;
    if params.to.as_deref().is_some_and(|c| c.trim().len() != 2) {
        return Err(ApiError::validation("to must be a two-letter country code"));
    }
    let offers = app.compare_sellers(listing, params.to.as_deref()).await?;
    Ok(Json(CompareView {
        product_key: offers.first().and_then(|o| o.listing.product_key.clone()),
        offers: offers.iter().map(offer_view).collect(),
    }))
}

#[derive(Debug, Serialize, ToSchema)]
pub struct AlsoBoughtView {
    /// Most buyers in common first, from completed orders only (orders
    /// whose review integrity removed the review are left out).
    pub listings: Vec<ListingView>,
}

#[utoipa::path(get, path = "/api/v1/listings/{id}/also-bought", tag = "catalog", params(("id" = String, Path)),
    responses((status = 200, description = "Customers who bought this also bought", body = AlsoBoughtView), (status = 404, body = ErrorBody)))]
pub async fn also_bought(
    State(app): AppState,
    Path(id): Path<String>,
) -> ApiResult<Json<AlsoBoughtView>> {
    let listing: ListingId = path_id(&id, "listing")?;
    if app.store.listing(listing).await?.is_none() {
        return Err(ApiError::not_found("listing"));
    }
    let found = app
        .also_bought(listing, haven_app::recommend::MAX_RECOMMENDATIONS)
        .await?;
    Ok(Json(AlsoBoughtView {
        listings: found.iter().map(ListingView::from).collect(),
    }))
}

#[derive(Debug, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct NewBundleRequest {
    pub title: String,
    /// 2-5 of your store's listings; one of each makes a set.
    pub listing_ids: Vec<String>,
    /// What one set costs: below the listings' prices added up.
    pub price: MoneyView,
}

#[derive(Debug, Serialize, ToSchema)]
pub struct BundleView {
    pub id: String,
    pub store_id: String,
    pub title: String,
    pub listing_ids: Vec<String>,
    pub price: MoneyView,
    pub created_at: String,
    pub ended_at: Option<String>,
}

impl From<&haven_domain::bundle::Bundle> for BundleView {
    fn from(b: &haven_domain::bundle::Bundle) -> Self {
        BundleView {
            id: b.id.to_string(),
            store_id: b.store_id.to_string(),
            title: b.title.clone(),
            listing_ids: b.listings.iter().map(ToString::to_string).collect(),
            price: b.price.into(),
            created_at: ts(b.created_at),
            ended_at: b.ended_at.map(ts),
        }
    }
}

#[derive(Debug, Serialize, ToSchema)]
pub struct BundleListView {
    pub items: Vec<BundleView>,
}

#[utoipa::path(post, path = "/api/v1/bundles", tag = "catalog", request_body = NewBundleRequest,
    responses((status = 201, body = BundleView), (status = 403, body = ErrorBody), (status = 422, body = ErrorBody)), security(("bearer" = [])))]
pub async fn create_bundle(
    State(app): AppState,
    Auth(actor): Auth,
    RawBody(body): RawBody,
) -> ApiResult<(StatusCode, Json<BundleView>)> {
    let req: NewBundleRequest = parse_json(&body)?;
    if req.listing_ids.len() > haven_domain::bundle::MAX_LISTINGS {
        return Err(ApiError::validation("a bundle is 2-5 different listings"));
    }
    let listings = req
        .listing_ids
        .iter()
        .map(|raw| {
            raw.parse::<ListingId>()
                .map_err(|_| ApiError::validation(format!("{raw} is not a listing id")))
        })
        .collect::<ApiResult<Vec<_>>>()?;
    let price = super::handlers::money(&req.price)?;
    let bundle = app
        .create_bundle(&actor, &req.title, listings, price)
        .await?;
    Ok((StatusCode::CREATED, Json(BundleView::from(&bundle))))
}

#[utoipa::path(post, path = "/api/v1/bundles/{id}/end", tag = "catalog", params(("id" = String, Path)),
    responses((status = 200, body = BundleView), (status = 403, description = "Sellers only", body = ErrorBody), (status = 404, body = ErrorBody)), security(("bearer" = [])))]
pub async fn end_bundle(
    State(app): AppState,
    Auth(actor): Auth,
    Path(id): Path<String>,
) -> ApiResult<Json<BundleView>> {
    let bundle = app.end_bundle(&actor, path_id(&id, "bundle")?).await?;
    Ok(Json(BundleView::from(&bundle)))
}

#[utoipa::path(get, path = "/api/v1/stores/{id}/bundles", tag = "catalog", params(("id" = String, Path)),
    responses((status = 200, description = "The store's bundles on offer", body = BundleListView), (status = 404, body = ErrorBody)))]
pub async fn store_bundles(
    State(app): AppState,
    Path(id): Path<String>,
) -> ApiResult<Json<BundleListView>> {
    let store: StoreId = path_id(&id, "store")?;
    let bundles = app.active_bundles(store).await?;
    Ok(Json(BundleListView {
        items: bundles.iter().map(BundleView::from).collect(),
    }))
}

#[derive(Debug, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct CartBundleRequest {
    pub store_id: String,
    pub bundle_id: String,
}

#[utoipa::path(post, path = "/api/v1/cart/bundles", tag = "cart", request_body = CartBundleRequest,
    responses((status = 200, description = "One of each of the bundle's listings is in the cart", body = CartView), (status = 404, body = ErrorBody)), security(("bearer" = [])))]
pub async fn add_bundle(
    State(app): AppState,
    Auth(actor): Auth,
    RawBody(body): RawBody,
) -> ApiResult<Json<CartView>> {
    let req: CartBundleRequest = parse_json(&body)?;
    let store: StoreId = path_id(&req.store_id, "store")?;
    app.add_bundle_to_cart(&actor, store, path_id(&req.bundle_id, "bundle")?)
        .await?;
    Ok(Json(cart_view(&app, &actor).await?))
}
