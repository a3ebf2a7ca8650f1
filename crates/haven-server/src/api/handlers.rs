//! Thin handlers: parse, authorise, call the service, render.

use std::sync::Arc;

use axum::Json;
use axum::extract::State;
use axum::http::{HeaderMap, StatusCode};
use axum::response::{IntoResponse, Response};
use haven_domain::account::{Role, SessionKind};
use haven_domain::catalog::{ComplianceCertificate, ShippingMethod, ShippingRate};
use haven_domain::dispute::Party;
use haven_domain::ids::{ListingId, StoreId};
use haven_domain::money::{Currency, Money};
use haven_store::ListingFilter;
use serde::Serialize;
use utoipa::ToSchema;

use super::extract::{
    Auth, Client, OrderAction, PageParams, Path, Query, RawBody, idempotency, idempotent,
    parse_json, path_id,
};
use super::requests::*;
use crate::error::{ApiError, ApiResult, ErrorBody};
use crate::views::*;
use haven_app::payments::CardDetails;
use haven_app::{App, CheckoutInput, NewListingInput, Registration};

type AppState = State<Arc<App>>;

pub(super) fn money(view: &MoneyView) -> ApiResult<Money> {
    let currency =
        Currency::parse(&view.currency).map_err(|e| ApiError::validation(e.to_string()))?;
    Ok(Money::new(view.amount_minor, currency))
}

fn page_view<T, V>(page: haven_store::Page<T>) -> PageView<V>
where
    V: for<'a> From<&'a T>,
{
    PageView {
        items: page.items.iter().map(V::from).collect(),
        next_cursor: page.next_cursor,
    }
}

#[utoipa::path(post, path = "/api/v1/auth/register", tag = "accounts", request_body = RegisterRequest,
    responses((status = 201, body = UserView), (status = 409, body = ErrorBody), (status = 422, body = ErrorBody)))]
pub async fn register(
    State(app): AppState,
    RawBody(body): RawBody,
) -> ApiResult<(StatusCode, Json<UserView>)> {
    let req: RegisterRequest = parse_json(&body)?;
    let roles = req.roles().map_err(ApiError::validation)?;
    let user = app
        .register(Registration {
            email: req.email,
            password: req.password,
            display_name: req.display_name,
            roles,
        })
        .await?;
    Ok((StatusCode::CREATED, Json(UserView::from(&user))))
}

#[utoipa::path(post, path = "/api/v1/auth/login", tag = "accounts", request_body = LoginRequest,
    responses((status = 200, body = SessionView), (status = 401, description = "Wrong email or password, or a second factor is needed (details.challenge)", body = ErrorBody),
              (status = 429, description = "Too many attempts: the account or this network must wait (details.retry_after_s, and a Retry-After header)", body = ErrorBody)))]
pub async fn login(
    State(app): AppState,
    super::extract::Client(client): super::extract::Client,
    RawBody(body): RawBody,
) -> ApiResult<Json<SessionView>> {
    let req: LoginRequest = parse_json(&body)?;
    if req.password.len() > haven_app::auth::MAX_PASSWORD_BYTES || req.email.len() > 254 {
        return Err(ApiError::validation("email or password too long"));
    }
    let code = req.code.as_deref().filter(|c| !c.is_empty());
    super::account::session_or_challenge(
        app.login(&req.email, &req.password, code, SessionKind::Api, &client)
            .await?,
    )
}

#[utoipa::path(post, path = "/api/v1/auth/logout", tag = "accounts", responses((status = 204)), security(("bearer" = [])))]
pub async fn logout(
    State(app): AppState,
    _auth: Auth,
    headers: HeaderMap,
) -> ApiResult<StatusCode> {
    if let Some(token) = super::extract::bearer_token(&headers) {
        app.logout(&token).await?;
    }
    Ok(StatusCode::NO_CONTENT)
}

#[derive(Serialize, ToSchema)]
pub struct MeView {
    pub user: UserView,
    pub store: Option<StoreView>,
}

#[utoipa::path(get, path = "/api/v1/me", tag = "accounts", responses((status = 200, body = MeView), (status = 401, body = ErrorBody)), security(("bearer" = [])))]
pub async fn me(State(app): AppState, Auth(actor): Auth) -> ApiResult<Json<MeView>> {
    let store = match actor.store_id {
        Some(id) => match app.store.shop(id).await? {
            Some(shop) => Some(StoreView::load(&app, &shop).await?),
            None => None,
        },
        None => None,
    };
    Ok(Json(MeView {
        user: UserView::from(&actor.user),
        store,
    }))
}

#[utoipa::path(post, path = "/api/v1/stores", tag = "catalog", request_body = OpenStoreRequest,
    responses((status = 201, description = "Opened; a buyer account becomes a seller account", body = StoreView), (status = 403, description = "Staff accounts never sell", body = ErrorBody), (status = 409, description = "The account already has a store", body = ErrorBody)), security(("bearer" = [])))]
pub async fn open_store(
    State(app): AppState,
    Auth(actor): Auth,
    headers: HeaderMap,
    RawBody(body): RawBody,
) -> Response {
    let req: OpenStoreRequest = match parse_json(&body) {
        Ok(req) => req,
        Err(err) => return err.into_response(),
    };
    let idem = match idempotency(&actor, &headers, "POST /stores", &body) {
        Ok(idem) => idem,
        Err(err) => return err.into_response(),
    };
    let idem_ref = idem.clone();
    idempotent(&app, &actor, idem, StatusCode::CREATED, async {
        let shop = app
            .open_store(&actor, &req.name, &req.description, idem_ref.as_ref())
            .await?;
        Ok((StatusCode::CREATED, StoreView::load(&app, &shop).await?))
    })
    .await
}

#[utoipa::path(get, path = "/api/v1/stores", tag = "catalog", params(PageParams), responses((status = 200, body = PageView<StoreView>)))]
pub async fn list_stores(
    State(app): AppState,
    Query(params): Query<PageParams>,
) -> ApiResult<Json<PageView<StoreView>>> {
    let page = app.store.shops(&params.request()?).await?;
    let mut items = Vec::with_capacity(page.items.len());
    for shop in &page.items {
        items.push(StoreView::load(&app, shop).await?);
    }
    Ok(Json(PageView {
        items,
        next_cursor: page.next_cursor,
    }))
}

#[utoipa::path(get, path = "/api/v1/stores/{id}", tag = "catalog", responses((status = 200, body = StoreView), (status = 404, body = ErrorBody)))]
pub async fn get_store(State(app): AppState, Path(id): Path<String>) -> ApiResult<Json<StoreView>> {
    let id: StoreId = path_id(&id, "store")?;
    let shop = app
        .store
        .shop(id)
        .await?
        .ok_or_else(|| ApiError::not_found("store"))?;
    Ok(Json(StoreView::load(&app, &shop).await?))
}

/// Shipping methods as the API writes them, in the domain's terms.
fn shipping_methods(methods: Vec<ShippingMethodView>) -> ApiResult<Vec<ShippingMethod>> {
    let mut shipping = Vec::with_capacity(methods.len());
    for method in methods {
        let mut rates = Vec::with_capacity(method.rates.len());
        for rate in method.rates {
            rates.push(ShippingRate {
                country: rate.country.trim().to_ascii_uppercase(),
                cost: money(&rate.cost)?,
                min_transit_days: rate.min_transit_days,
                max_transit_days: rate.max_transit_days,
            });
        }
        shipping.push(ShippingMethod {
            name: method.name,
            rates,
            free_over: method.free_over.as_ref().map(money).transpose()?,
        });
    }
    Ok(shipping)
}

fn listing_input(req: NewListingRequest) -> ApiResult<NewListingInput> {
    let price = money(&req.price)?;
    let shipping = shipping_methods(req.shipping)?;
    Ok(NewListingInput {
        title: req.title,
        description: req.description,
        category: req.category,
        price,
        stock: req.stock,
        ship_by_days: req.ship_by_days,
        images: req.images,
        shipping,
        guaranteed_genuine: req.guaranteed_genuine,
        ships_from: req.ships_from,
        product: req.product,
        brand: req.brand,
        certificates: req
            .certificates
            .into_iter()
            .map(|c| ComplianceCertificate {
                kind: c.kind,
                number: c.number,
                issuer: c.issuer,
                checked_by: None,
                checked_at: None,
            })
            .collect(),
    })
}

#[utoipa::path(post, path = "/api/v1/listings", tag = "catalog", request_body = NewListingRequest,
    responses((status = 201, body = ListingView), (status = 403, body = ErrorBody), (status = 422, body = ErrorBody)), security(("bearer" = [])))]
pub async fn create_listing(
    State(app): AppState,
    Auth(actor): Auth,
    headers: HeaderMap,
    RawBody(body): RawBody,
) -> Response {
    let parsed = parse_json::<NewListingRequest>(&body).and_then(listing_input);
    let (input, idem) = match parsed.and_then(|input| {
        Ok((
            input,
            idempotency(&actor, &headers, "POST /listings", &body)?,
        ))
    }) {
        Ok(ok) => ok,
        Err(err) => return err.into_response(),
    };
    let idem_ref = idem.clone();
    idempotent(&app, &actor, idem, StatusCode::CREATED, async {
        let listing = app.create_listing(&actor, input, idem_ref.as_ref()).await?;
        Ok((StatusCode::CREATED, ListingView::from(&listing)))
    })
    .await
}

#[derive(Debug, serde::Deserialize, utoipa::ToSchema)]
#[serde(deny_unknown_fields)]
pub struct FlashDealRequest {
    /// Below the listing's price.
    pub price: MoneyView,
    /// Units at the deal price (at most the stock).
    pub quantity: u32,
    /// RFC 3339; default now.
    pub starts_at: Option<String>,
    /// RFC 3339; at most 7 days after the start.
    pub ends_at: String,
}

pub(super) fn instant(raw: &str, field: &str) -> ApiResult<haven_domain::Timestamp> {
    raw.parse()
        .map_err(|_| ApiError::validation(format!("{field} must be an RFC 3339 time")))
}

#[utoipa::path(post, path = "/api/v1/listings/{id}/deal", tag = "catalog", params(("id" = String, Path)), request_body = FlashDealRequest,
    responses((status = 200, body = ListingView), (status = 404, body = ErrorBody), (status = 409, description = "A deal is still running", body = ErrorBody), (status = 422, body = ErrorBody)), security(("bearer" = [])))]
pub async fn set_flash_deal(
    State(app): AppState,
    Auth(actor): Auth,
    Path(id): Path<String>,
    RawBody(body): RawBody,
) -> ApiResult<Json<ListingView>> {
    let req: FlashDealRequest = parse_json(&body)?;
    let listing: ListingId = path_id(&id, "listing")?;
    let deal = haven_domain::catalog::FlashDeal {
        price: money(&req.price)?,
        quantity: req.quantity,
        remaining: req.quantity,
        starts_at: match &req.starts_at {
            Some(raw) => instant(raw, "starts_at")?,
            None => app.now(),
        },
        ends_at: instant(&req.ends_at, "ends_at")?,
    };
    let listing = app.set_flash_deal(&actor, listing, deal).await?;
    Ok(Json(ListingView::from(&listing)))
}

/// A seller's change to a listing; fields left out stay as they are.
#[derive(Debug, serde::Deserialize, utoipa::ToSchema)]
#[serde(deny_unknown_fields)]
pub struct ListingEditRequest {
    pub title: Option<String>,
    pub description: Option<String>,
    /// In the listing's currency; above any flash deal not yet ended.
    pub price: Option<MoneyView>,
    pub ship_by_days: Option<u32>,
    /// The new stock, with `stock_seen`: the stock as you last read it.
    /// If orders took units since, nothing changes (409) and you see the
    /// current figure.
    pub stock: Option<i64>,
    pub stock_seen: Option<i64>,
    /// `true` takes the listing out of browse and search and stops new
    /// orders; `false` puts it back on sale.
    pub paused: Option<bool>,
    /// The photos, in order (the first is the main one): hashes from
    /// `POST /api/v1/media`. Replaces the whole list.
    pub images: Option<Vec<String>>,
    /// The shipping methods; replaces the whole list. Orders already
    /// placed keep the shipping they were bought with.
    pub shipping: Option<Vec<ShippingMethodView>>,
}

impl ListingEditRequest {
    fn into_edit(self) -> ApiResult<haven_domain::catalog::ListingEdit> {
        let stock = match (self.stock, self.stock_seen) {
            (None, None) => None,
            (Some(new), Some(seen)) => Some(haven_domain::catalog::StockEdit { seen, new }),
            _ => {
                return Err(ApiError::validation(
                    "send stock together with stock_seen, the stock as you last read it",
                ));
            }
        };
        Ok(haven_domain::catalog::ListingEdit {
            title: self.title,
            description: self.description,
            price: self.price.as_ref().map(money).transpose()?,
            ship_by_days: self.ship_by_days,
            stock,
            paused: self.paused,
            images: self.images,
            shipping: self.shipping.map(shipping_methods).transpose()?,
        })
    }
}

#[utoipa::path(patch, path = "/api/v1/listings/{id}", tag = "catalog", params(("id" = String, Path)), request_body = ListingEditRequest,
    responses((status = 200, body = ListingView), (status = 404, body = ErrorBody), (status = 409, description = "Orders took stock since it was read, or the listing changed", body = ErrorBody), (status = 422, body = ErrorBody)), security(("bearer" = [])))]
pub async fn edit_listing(
    State(app): AppState,
    Auth(actor): Auth,
    Path(id): Path<String>,
    RawBody(body): RawBody,
) -> ApiResult<Json<ListingView>> {
    let req: ListingEditRequest = parse_json(&body)?;
    let listing: ListingId = path_id(&id, "listing")?;
    let listing = app.edit_listing(&actor, listing, req.into_edit()?).await?;
    Ok(Json(ListingView::from(&listing)))
}

#[utoipa::path(get, path = "/api/v1/seller/listings", tag = "catalog", params(PageParams),
    responses((status = 200, description = "The store's listings, held and paused ones included, newest first", body = PageView<ListingView>), (status = 403, body = ErrorBody)), security(("bearer" = [])))]
pub async fn my_listings(
    State(app): AppState,
    Auth(actor): Auth,
    Query(params): Query<PageParams>,
) -> ApiResult<Json<PageView<ListingView>>> {
    let page = params.request()?;
    Ok(Json(page_view(app.my_listings(&actor, &page).await?)))
}

#[utoipa::path(get, path = "/api/v1/listings", tag = "catalog", params(ListingQuery), responses((status = 200, body = PageView<ListingView>)))]
pub async fn list_listings(
    State(app): AppState,
    Query(q): Query<ListingQuery>,
) -> ApiResult<Json<PageView<ListingView>>> {
    let store_id = match &q.store_id {
        Some(raw) => Some(
            raw.parse::<StoreId>()
                .map_err(|_| ApiError::bad_request("store_id is not an id"))?,
        ),
        None => None,
    };
    let page = PageParams {
        cursor: q.cursor,
        limit: q.limit,
    }
    .request()?;
    let filter = ListingFilter {
        category: q.category,
        store_id,
    };
    Ok(Json(page_view(app.store.listings(&filter, &page).await?)))
}

#[utoipa::path(get, path = "/api/v1/listings/{id}", tag = "catalog", responses((status = 200, body = ListingView), (status = 404, body = ErrorBody)))]
pub async fn get_listing(
    State(app): AppState,
    Path(id): Path<String>,
) -> ApiResult<Json<ListingView>> {
    let id: ListingId = path_id(&id, "listing")?;
    let listing = app
        .store
        .listing(id)
        .await?
        .ok_or_else(|| ApiError::not_found("listing"))?;
    Ok(Json(ListingView::from(&listing)))
}

#[derive(Serialize, ToSchema)]
pub struct MediaView {
    pub hash: String,
    pub url: String,
}

#[utoipa::path(post, path = "/api/v1/media", tag = "catalog", request_body(content = Vec<u8>, content_type = "application/octet-stream"),
    responses((status = 201, body = MediaView), (status = 403, description = "Sellers only", body = ErrorBody), (status = 413, body = ErrorBody), (status = 422, body = ErrorBody)), security(("bearer" = [])))]
pub async fn upload_media(
    State(app): AppState,
    Auth(actor): Auth,
    RawBody(body): RawBody,
) -> ApiResult<(StatusCode, Json<MediaView>)> {
    actor.require_role(Role::Seller)?;
    let hash = app.upload_image(body.to_vec()).await?;
    Ok((
        StatusCode::CREATED,
        Json(MediaView {
            url: format!("/media/{hash}"),
            hash,
        }),
    ))
}

pub(super) fn card_details(card: CardRequest) -> CardDetails {
    CardDetails {
        number: card.number,
        exp_month: card.exp_month,
        exp_year: card.exp_year,
        cvc: card.cvc,
    }
}

fn checkout_input(req: CheckoutRequest) -> ApiResult<CheckoutInput> {
    Ok(CheckoutInput {
        listing_id: path_id(&req.listing_id, "listing")?,
        quantity: req.quantity,
        shipping_method: req.shipping_method,
        address: req.address.into(),
        card: req.card.map(card_details),
        use_credit: req.use_credit,
        accept_regular_price: req.accept_regular_price,
        coupons: req.coupons,
        expected_total_minor: req.expected_total_minor,
        context: Default::default(),
    })
}

#[utoipa::path(post, path = "/api/v1/orders", tag = "orders", request_body = CheckoutRequest,
    responses((status = 201, description = "Paid; money held in escrow", body = OrderView),
              (status = 202, description = "Card needs verification: POST the code to /orders/{id}/challenge", body = OrderView),
              (status = 402, body = ErrorBody), (status = 404, description = "No such listing", body = ErrorBody),
              (status = 409, body = ErrorBody), (status = 422, body = ErrorBody), (status = 502, description = "The payment gateway could not be reached; nothing was charged", body = ErrorBody)),
    params(("Idempotency-Key" = Option<String>, Header)), security(("bearer" = [])))]
pub async fn checkout(
    State(app): AppState,
    Auth(actor): Auth,
    Client(client): Client,
    headers: HeaderMap,
    RawBody(body): RawBody,
) -> Response {
    let context = super::extract::checkout_context(&app, &headers, &client);
    let parsed = parse_json::<CheckoutRequest>(&body)
        .and_then(checkout_input)
        .map(|input| CheckoutInput { context, ..input });
    let (input, idem) = match parsed
        .and_then(|input| Ok((input, idempotency(&actor, &headers, "POST /orders", &body)?)))
    {
        Ok(ok) => ok,
        Err(err) => return err.into_response(),
    };
    let idem_ref = idem.clone();
    idempotent(&app, &actor, idem, StatusCode::CREATED, async {
        let outcome = app.checkout(&actor, input, idem_ref.as_ref()).await?;
        let status = if outcome.challenge_required {
            StatusCode::ACCEPTED
        } else {
            StatusCode::CREATED
        };
        Ok((
            status,
            OrderView::seen_by(&outcome.order, &actor, app.now()),
        ))
    })
    .await
}

#[utoipa::path(post, path = "/api/v1/orders/{id}/challenge", tag = "orders", params(("id" = String, Path, description = "Order id")), request_body = ChallengeRequest,
    responses((status = 200, body = OrderView), (status = 402, body = ErrorBody), (status = 404, body = ErrorBody)), security(("bearer" = [])))]
pub async fn complete_challenge(action: OrderAction<ChallengeRequest>) -> Response {
    action
        .run(|app, actor, id, req, idem| async move {
            app.complete_challenge(&actor, id, &req.code, idem.as_ref())
                .await
        })
        .await
}

#[utoipa::path(post, path = "/api/v1/orders/{id}/ship", tag = "orders", params(("id" = String, Path, description = "Order id")), request_body = ShipRequest,
    responses((status = 200, body = OrderView), (status = 404, body = ErrorBody), (status = 409, body = ErrorBody), (status = 422, body = ErrorBody)), security(("bearer" = [])))]
pub async fn ship(action: OrderAction<ShipRequest>) -> Response {
    action
        .run(|app, actor, id, req, idem| async move {
            app.ship(
                &actor,
                id,
                &req.carrier,
                &req.tracking_number,
                idem.as_ref(),
            )
            .await
        })
        .await
}

#[utoipa::path(post, path = "/api/v1/orders/{id}/confirm", tag = "orders", params(("id" = String, Path, description = "Order id")), request_body = ConfirmRequest,
    responses((status = 200, body = OrderView), (status = 409, description = "second_confirmation_required before a delivery scan", body = ErrorBody)), security(("bearer" = [])))]
pub async fn confirm(action: OrderAction<ConfirmRequest>) -> Response {
    action
        .run(|app, actor, id, req, idem| async move {
            app.confirm_receipt(&actor, id, req.second_confirmation, idem.as_ref())
                .await
        })
        .await
}

#[derive(serde::Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct Empty {}

#[utoipa::path(post, path = "/api/v1/orders/{id}/cancel-request", tag = "orders", params(("id" = String, Path, description = "Order id")),
    responses((status = 200, description = "Granted automatically if the seller does not answer within 48 h", body = OrderView), (status = 409, body = ErrorBody)), security(("bearer" = [])))]
pub async fn request_cancel(action: OrderAction<Empty>) -> Response {
    action
        .run(|app, actor, id, _, idem| async move {
            app.request_cancel(&actor, id, idem.as_ref()).await
        })
        .await
}

#[utoipa::path(post, path = "/api/v1/orders/{id}/cancel-response", tag = "orders", params(("id" = String, Path, description = "Order id")), request_body = CancelResponseRequest,
    responses((status = 200, body = OrderView), (status = 409, body = ErrorBody)), security(("bearer" = [])))]
pub async fn respond_cancel(action: OrderAction<CancelResponseRequest>) -> Response {
    action
        .run(|app, actor, id, req, idem| async move {
            app.respond_cancel(&actor, id, req.accept, idem.as_ref())
                .await
        })
        .await
}

#[utoipa::path(post, path = "/api/v1/orders/{id}/advance-parcel", tag = "orders",
    responses((status = 200, description = "Demo mode only: the simulated carrier posts the next scan", body = OrderView), (status = 403, body = ErrorBody)), security(("bearer" = [])))]
pub async fn advance_parcel(
    State(app): AppState,
    Auth(actor): Auth,
    Path(id): Path<String>,
) -> ApiResult<Json<OrderView>> {
    let order = app.order_for(&actor, path_id(&id, "order")?).await?;
    let advanced = app.advance_parcel(&order).await?.unwrap_or(order);
    Ok(Json(OrderView::seen_by(&advanced, &actor, app.now())))
}

#[utoipa::path(get, path = "/api/v1/orders", tag = "orders", params(OrderQuery), responses((status = 200, body = PageView<OrderView>)), security(("bearer" = [])))]
pub async fn list_orders(
    State(app): AppState,
    Auth(actor): Auth,
    Query(q): Query<OrderQuery>,
) -> ApiResult<Json<PageView<OrderView>>> {
    let page = PageParams {
        cursor: q.cursor,
        limit: q.limit,
    }
    .request()?;
    let result = match q.role.as_deref() {
        None | Some("buyer") => app.store.orders_for_buyer(actor.id(), &page).await?,
        Some("seller") => {
            app.store
                .orders_for_store(actor.require_store()?, &page)
                .await?
        }
        Some(_) => return Err(ApiError::bad_request("role must be buyer or seller")),
    };
    Ok(Json(PageView {
        items: result
            .items
            .iter()
            .map(|o| OrderView::seen_by(o, &actor, app.now()))
            .collect(),
        next_cursor: result.next_cursor,
    }))
}

#[utoipa::path(get, path = "/api/v1/orders/{id}", tag = "orders", responses((status = 200, body = OrderView), (status = 404, body = ErrorBody)), security(("bearer" = [])))]
pub async fn get_order(
    State(app): AppState,
    Auth(actor): Auth,
    Path(id): Path<String>,
) -> ApiResult<Json<OrderView>> {
    let order = app.order_for(&actor, path_id(&id, "order")?).await?;
    Ok(Json(OrderView::seen_by(&order, &actor, app.now())))
}

#[utoipa::path(get, path = "/api/v1/orders/{id}/tracking", tag = "orders", responses((status = 200, body = Vec<TrackingEventView>), (status = 404, body = ErrorBody)), security(("bearer" = [])))]
pub async fn order_tracking(
    State(app): AppState,
    Auth(actor): Auth,
    Path(id): Path<String>,
) -> ApiResult<Json<Vec<TrackingEventView>>> {
    let order = app.order_for(&actor, path_id(&id, "order")?).await?;
    Ok(Json(
        app.order_scans(&order)
            .await?
            .iter()
            .map(TrackingEventView::from)
            .collect(),
    ))
}

#[utoipa::path(get, path = "/api/v1/seller/balance", tag = "payouts", responses((status = 200, body = BalanceView), (status = 403, body = ErrorBody)), security(("bearer" = [])))]
pub async fn balance(State(app): AppState, Auth(actor): Auth) -> ApiResult<Json<BalanceView>> {
    Ok(Json(app.balances(actor.require_store()?).await?.into()))
}

#[utoipa::path(post, path = "/api/v1/seller/payouts", tag = "payouts", request_body = PayoutRequest,
    responses((status = 201, body = PayoutView), (status = 403, description = "Sellers with a store only", body = ErrorBody), (status = 409, body = ErrorBody), (status = 422, body = ErrorBody)), security(("bearer" = [])))]
pub async fn request_payout(
    State(app): AppState,
    Auth(actor): Auth,
    headers: HeaderMap,
    RawBody(body): RawBody,
) -> Response {
    let prepared = parse_json::<PayoutRequest>(&body).and_then(|req| {
        Ok((
            req,
            idempotency(&actor, &headers, "POST /seller/payouts", &body)?,
        ))
    });
    let (req, idem) = match prepared {
        Ok(ok) => ok,
        Err(err) => return err.into_response(),
    };
    let idem_ref = idem.clone();
    idempotent(&app, &actor, idem, StatusCode::CREATED, async {
        Ok((
            StatusCode::CREATED,
            PayoutView::from(
                &app.request_payout(&actor, req.amount_minor, idem_ref.as_ref())
                    .await?,
            ),
        ))
    })
    .await
}

#[utoipa::path(get, path = "/api/v1/seller/payouts", tag = "payouts", params(PageParams), responses((status = 200, body = PageView<PayoutView>)), security(("bearer" = [])))]
pub async fn list_payouts(
    State(app): AppState,
    Auth(actor): Auth,
    Query(params): Query<PageParams>,
) -> ApiResult<Json<PageView<PayoutView>>> {
    let page = app
        .store
        .payouts(actor.require_store()?, &params.request()?)
        .await?;
    Ok(Json(page_view(page)))
}

#[derive(Debug, serde::Deserialize, utoipa::IntoParams)]
pub struct StatementQuery {
    /// `available` (default), `reserve` or `payout`.
    pub account: Option<String>,
    /// `next_cursor` from the previous page.
    pub cursor: Option<String>,
    /// 1-5000, default 50.
    pub limit: Option<u32>,
}

impl StatementQuery {
    pub fn parse(
        &self,
    ) -> ApiResult<(
        haven_app::StatementAccount,
        Option<haven_app::StatementCursor>,
        u32,
    )> {
        let account = match self.account.as_deref() {
            None | Some("") => haven_app::StatementAccount::Available,
            Some(raw) => haven_app::StatementAccount::parse(raw).ok_or_else(|| {
                ApiError::validation("account must be available, reserve or payout")
            })?,
        };
        let cursor = match self.cursor.as_deref() {
            None | Some("") => None,
            Some(raw) => Some(
                haven_app::StatementCursor::parse(raw)
                    .ok_or_else(|| ApiError::bad_request("cursor is not one this API gave"))?,
            ),
        };
        let limit = self.limit.unwrap_or(50);
        if !(1..=haven_app::MAX_STATEMENT_LINES).contains(&limit) {
            return Err(ApiError::validation(format!(
                "limit must be 1-{}",
                haven_app::MAX_STATEMENT_LINES
            )));
        }
        Ok((account, cursor, limit))
    }
}

#[utoipa::path(get, path = "/api/v1/seller/statement", tag = "payouts", params(StatementQuery),
    responses((status = 200, description = "One of the store's accounts, newest first, with the balance after each line", body = StatementView), (status = 403, body = ErrorBody), (status = 422, body = ErrorBody)), security(("bearer" = [])))]
pub async fn statement(
    State(app): AppState,
    Auth(actor): Auth,
    Query(q): Query<StatementQuery>,
) -> ApiResult<Json<StatementView>> {
    let (account, cursor, limit) = q.parse()?;
    let statement = app.statement(&actor, account, cursor, limit).await?;
    Ok(Json(StatementView::from(&statement)))
}

#[derive(Serialize, ToSchema)]
pub struct WebhookAck {
    pub accepted: bool,
    /// The order the scan belongs to, if Haven knows the number.
    pub order: Option<OrderView>,
}

#[utoipa::path(post, path = "/api/v1/carriers/{carrier}/webhook", tag = "carriers", request_body = super::wire::ScanPayloadSchema,
    params(("Haven-Signature" = String, Header, description = "t=<unix seconds>,v1=<hex HMAC-SHA256 of \"t.body\">")),
    responses((status = 200, body = WebhookAck), (status = 401, body = ErrorBody), (status = 422, body = ErrorBody)))]
pub async fn carrier_webhook(
    State(app): AppState,
    Path(carrier): Path<String>,
    headers: HeaderMap,
    RawBody(body): RawBody,
) -> ApiResult<Json<WebhookAck>> {
    let signature = headers
        .get(haven_app::carrier::SIGNATURE_HEADER)
        .and_then(|v| v.to_str().ok());
    let order = app.carrier_webhook(&carrier, signature, &body).await?;
    Ok(Json(WebhookAck {
        accepted: true,
        order: order
            .as_ref()
            .map(|o| OrderView::for_party(o, Party::System, app.now())),
    }))
}

#[utoipa::path(get, path = "/api/v1/events", tag = "events", params(EventQuery),
    responses((status = 200, description = "Business events in commit order, for agents and admins (see docs/API.md for each type's data)", body = EventPage),
              (status = 403, body = ErrorBody)), security(("bearer" = [])))]
pub async fn events(
    State(app): AppState,
    Auth(actor): Auth,
    Query(q): Query<EventQuery>,
) -> ApiResult<Json<EventPage>> {
    if !(actor.user.has_role(Role::Agent) || actor.user.has_role(Role::Admin)) {
        return Err(ApiError::forbidden("events are for agents and admins"));
    }
    let limit = q.limit.unwrap_or(100).clamp(1, haven_store::MAX_PAGE);
    app.publish_events().await?;
    let rows = app.store.outbox_after(q.after.unwrap_or(0), limit).await?;
    let next_after = (rows.len() == limit as usize)
        .then(|| rows.last().map(|e| e.seq))
        .flatten();
    Ok(Json(EventPage {
        items: rows.iter().filter_map(EventView::from_row).collect(),
        next_after,
    }))
}
