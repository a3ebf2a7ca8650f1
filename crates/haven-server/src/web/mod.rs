//! Server-rendered pages (askama): the shop, checkout with the card
//! challenge, buyer orders with the protection countdown, the seller centre,
//! and the demo clock. Pages work without JavaScript and on a phone.
//! Handlers here are as thin as the API's: they call the same `App` methods.

mod account;
mod admin;
mod audit;
mod cart;
mod console;
pub mod csrf;
mod disputes;
pub mod filters;
mod i18n;
mod listing_setup;
mod listings;
mod messages;
mod notices;
mod orders;
mod queues;
mod reviews;
mod risk;
mod search;
mod seller;
mod settings;
mod shop;
mod statement;

use std::sync::Arc;

use askama::Template;
use axum::Router;
use axum::extract::{FromRequestParts, State};
use axum::http::request::Parts;
use axum::http::{StatusCode, header};
use axum::response::{Html, IntoResponse, Redirect, Response};
use axum::routing::{get, post};
use haven_domain::account::Role;
use serde::de::DeserializeOwned;

use crate::api::extract::session_token;
use crate::error::ApiError;
use haven_app::{Actor, App};

type AppState = State<Arc<App>>;

/// Money as the page's language writes it ("$25.00", "25,00 €").
pub(crate) fn shown(money: haven_domain::money::Money) -> String {
    csrf::current_locale().money(money)
}

/// The languages a visitor can pick, each named in itself.
pub const LANGUAGES: &[(&str, &str)] = &[
    ("en", "English"),
    ("es", "Español"),
    ("pt", "Português"),
    ("fr", "Français"),
    ("de", "Deutsch"),
    ("ru", "Русский"),
];

/// Shared page chrome.
pub struct Layout {
    pub title: String,
    /// The CSRF token every POST form on the page echoes.
    pub csrf: String,
    pub user_name: Option<String>,
    pub is_seller: bool,
    pub is_agent: bool,
    pub is_admin: bool,
    /// Unread notices, for the bell.
    pub unread: u32,
    pub demo: bool,
    pub flash: Option<csrf::Flash>,
    /// The page's language tag (`<html lang>`).
    pub lang: &'static str,
    /// Where the language picker comes back to.
    pub here: String,
}

impl Layout {
    pub fn new(app: &App, actor: Option<&Actor>, title: impl Into<String>) -> Layout {
        Layout {
            title: title.into(),
            csrf: csrf::current_token(),
            user_name: actor.map(|a| a.user.display_name.clone()),
            is_seller: actor.is_some_and(|a| a.user.has_role(Role::Seller)),
            is_agent: actor
                .is_some_and(|a| a.user.has_role(Role::Agent) || a.user.has_role(Role::Admin)),
            is_admin: actor.is_some_and(|a| a.user.has_role(Role::Admin)),
            unread: csrf::current_unread(),
            demo: app.config.demo,
            flash: csrf::current_flash(),
            lang: csrf::current_locale().tag(),
            here: safe_next(&csrf::current_path()),
        }
    }
}

/// A paged list's position (`?cursor=`).
#[derive(serde::Deserialize)]
pub struct CursorQuery {
    pub cursor: Option<String>,
}

/// The logged-in visitor, if any.
pub struct Visitor(pub Option<Actor>);

impl FromRequestParts<Arc<App>> for Visitor {
    type Rejection = WebError;

    async fn from_request_parts(
        parts: &mut Parts,
        app: &Arc<App>,
    ) -> Result<Self, Self::Rejection> {
        let Some(token) = session_token(&parts.headers) else {
            return Ok(Visitor(None));
        };
        let actor = app
            .authenticate(&token, haven_domain::account::SessionKind::Web)
            .await?;
        if let Some(actor) = &actor {
            csrf::set_unread(app.unread_notifications(actor).await?);
        }
        Ok(Visitor(actor))
    }
}

/// A page that needs a login: visitors are sent to the login form and back.
pub struct Member(pub Actor);

impl FromRequestParts<Arc<App>> for Member {
    type Rejection = WebError;

    async fn from_request_parts(
        parts: &mut Parts,
        app: &Arc<App>,
    ) -> Result<Self, Self::Rejection> {
        let Visitor(actor) = Visitor::from_request_parts(parts, app).await?;
        let next = parts
            .uri
            .path_and_query()
            .map_or("/", |p| p.as_str())
            .to_string();
        actor
            .map(Member)
            .ok_or_else(|| WebError::Redirect(format!("/login?next={}", urlencode(&next))))
    }
}

/// "2d 3h 4m", "3h 4m", or "4m 5s" in the last hour: the words the
/// countdowns in haven.js keep ticking.
pub fn time_left_words(secs: i64) -> String {
    let s = secs.max(0);
    let (d, h, m) = (s / 86_400, s % 86_400 / 3_600, s % 3_600 / 60);
    match (d, h) {
        (0, 0) => format!("{m}m {}s", s % 60),
        (0, _) => format!("{h}h {m}m"),
        _ => format!("{d}d {h}h {m}m"),
    }
}

/// How long something has waited, in the largest whole unit: "3 days",
/// "1 hour", "12 minutes".
pub fn age_words(secs: i64) -> String {
    let s = secs.max(0);
    let (amount, unit) = match s {
        s if s >= 86_400 => (s / 86_400, "day"),
        s if s >= 3_600 => (s / 3_600, "hour"),
        s => (s / 60, "minute"),
    };
    if amount == 1 {
        format!("1 {unit}")
    } else {
        format!("{amount} {unit}s")
    }
}

pub fn urlencode(raw: &str) -> String {
    serde_urlencoded::to_string([("", raw)])
        .map(|s| s[1..].to_string())
        .unwrap_or_default()
}

/// Only same-site relative paths may be redirect targets (no open redirect).
/// Only plain characters are allowed: browsers drop tabs and newlines and
/// treat `\` as `/`, which would turn `/\t/evil.example` into `//evil.example`.
pub fn safe_next(next: &str) -> String {
    let plain = next
        .bytes()
        .all(|b| b.is_ascii_alphanumeric() || b"/-_.?=&%".contains(&b));
    if plain && next.starts_with('/') && !next.starts_with("//") && next.len() <= 512 {
        next.to_string()
    } else {
        "/".into()
    }
}

/// A refusal shown on a form: next to the field it names, when the form
/// has that field (the API's `address.city` is the form's `city`), else at
/// the top of the form.
#[derive(Debug, Clone, Default)]
pub struct FormRefusal {
    pub general: Option<String>,
    pub field: Option<(String, String)>,
}

impl FormRefusal {
    pub fn general(message: impl Into<String>) -> FormRefusal {
        FormRefusal {
            general: Some(message.into()),
            field: None,
        }
    }

    pub fn on_field(field: &str, message: impl Into<String>) -> FormRefusal {
        FormRefusal {
            general: None,
            field: Some((field.to_string(), message.into())),
        }
    }

    /// `err` placed on one of `fields` if it names one.
    pub fn of(err: &ApiError, fields: &[&str]) -> FormRefusal {
        FormRefusal::of_aliased(err, fields, &[])
    }

    /// As `of`, where the API's name for a field differs from the form's:
    /// `aliases` pairs (API name, form name).
    pub fn of_aliased(err: &ApiError, fields: &[&str], aliases: &[(&str, &str)]) -> FormRefusal {
        let named = err
            .details
            .field
            .as_deref()
            .map(|f| f.rsplit('.').next().unwrap_or(f))
            .map(|f| {
                aliases
                    .iter()
                    .find(|(api, _)| *api == f)
                    .map_or(f, |(_, form)| *form)
            })
            .filter(|f| fields.contains(f));
        match named {
            Some(field) => FormRefusal::on_field(field, err.message.clone()),
            None => FormRefusal::general(err.message.clone()),
        }
    }

    /// `err` on one of `fields` if it names one, else, when it is about
    /// what was typed, on `fallback`. A refusal about the state of things
    /// (already done, not allowed now) stays general: the form may be gone
    /// from the page drawn again.
    pub fn of_or_on(err: &ApiError, fields: &[&str], fallback: &str) -> FormRefusal {
        match FormRefusal::of(err, fields) {
            FormRefusal { field: None, .. } if err.kind == haven_app::ErrorKind::Validation => {
                FormRefusal::on_field(fallback, err.message.clone())
            }
            placed => placed,
        }
    }

    pub fn for_field(&self, name: &str) -> Option<&str> {
        self.field
            .as_ref()
            .filter(|(f, _)| f == name)
            .map(|(_, m)| m.as_str())
    }

    pub fn is_empty(&self) -> bool {
        self.general.is_none() && self.field.is_none()
    }
}

/// A refused form on a page that holds several: which form (`form`), the
/// refusal (on one of its fields when one is to blame) and what was typed,
/// so the page shows the reason beside that field and keeps the text.
pub struct RefusedForm {
    pub form: &'static str,
    pub refusal: FormRefusal,
    typed: Vec<(String, String)>,
}

impl RefusedForm {
    /// `body` is the posted form, kept for `typed`.
    pub fn new(form: &'static str, refusal: FormRefusal, body: &[u8]) -> RefusedForm {
        RefusedForm {
            form,
            refusal,
            typed: serde_urlencoded::from_bytes(body).unwrap_or_default(),
        }
    }

    /// Keep one more value with what was typed (the record a form was
    /// about, when the page repeats the form for many).
    pub fn with_typed(mut self, name: &str, value: impl Into<String>) -> RefusedForm {
        self.typed.push((name.to_string(), value.into()));
        self
    }

    /// The refusal for `field` of `form`, if that is what failed.
    pub fn error_at(&self, form: &str, field: &str) -> Option<&str> {
        (self.form == form)
            .then(|| self.refusal.for_field(field))
            .flatten()
    }

    /// What was typed in `field` of `form`, when `form` was refused.
    pub fn typed(&self, form: &str, field: &str) -> Option<&str> {
        (self.form == form)
            .then(|| self.typed.iter().find(|(name, _)| name == field))
            .flatten()
            .map(|(_, value)| value.as_str())
    }
}

/// Template helpers for a page with an optional `RefusedForm`.
pub trait RefusedForms {
    fn refused(&self) -> Option<&RefusedForm>;

    fn error_at(&self, form: &str, field: &str) -> Option<&str> {
        self.refused().and_then(|r| r.error_at(form, field))
    }

    /// `form` is the one refused.
    fn refused_form(&self, form: &str) -> bool {
        self.refused().is_some_and(|r| r.form == form)
    }

    /// A refusal that names no field, for the top of the page.
    fn general_error(&self) -> Option<&str> {
        self.refused().and_then(|r| r.refusal.general.as_deref())
    }

    /// What was typed in `field` of the refused `form`, else `fallback`.
    fn typed<'a>(&'a self, form: &str, field: &str, fallback: &'a str) -> &'a str {
        self.refused()
            .and_then(|r| r.typed(form, field))
            .unwrap_or(fallback)
    }
}

/// A person's display name for a console page ("Former member" once
/// erased; "an unknown account" if gone).
pub async fn user_name(
    app: &App,
    id: haven_domain::ids::UserId,
) -> Result<String, haven_app::AppError> {
    Ok(app
        .store
        .user(id)
        .await?
        .map_or_else(|| "an unknown account".to_string(), |u| u.display_name))
}

/// The page a form was posted from: the path of the browser's Referer
/// (cross-site posts never get this far, see `same_origin_posts`), for
/// sending a refusal back to it. `None` when the browser sent none.
pub struct CameFrom(pub Option<String>);

impl CameFrom {
    /// Where to go back to, `fallback` when the browser did not say.
    pub fn or(&self, fallback: &str) -> String {
        self.0.clone().unwrap_or_else(|| fallback.to_string())
    }
}

impl<S: Send + Sync> FromRequestParts<S> for CameFrom {
    type Rejection = std::convert::Infallible;

    async fn from_request_parts(parts: &mut Parts, _: &S) -> Result<Self, Self::Rejection> {
        Ok(CameFrom(referer_path(&parts.headers)))
    }
}

/// The path (and query) of the Referer, made safe to redirect to.
pub(crate) fn referer_path(headers: &axum::http::HeaderMap) -> Option<String> {
    let url = headers.get(header::REFERER)?.to_str().ok()?;
    let rest = url.split("://").nth(1)?;
    let path = &rest[rest.find('/')?..];
    Some(safe_next(path))
}

/// A browser says where a form was posted from. A POST whose Origin (or,
/// failing that, Referer) names another host is refused: a page on another
/// site cannot act with the visitor's cookie. Tokens per form come with the
/// account-security work; this check already stops cross-site posts.
async fn same_origin_posts(
    request: axum::extract::Request,
    next: axum::middleware::Next,
) -> Response {
    if request.method() == axum::http::Method::POST {
        let headers = request.headers();
        let host = headers
            .get(header::HOST)
            .and_then(|v| v.to_str().ok())
            .unwrap_or("");
        let claimed = headers
            .get(header::ORIGIN)
            .or_else(|| headers.get(header::REFERER))
            .and_then(|v| v.to_str().ok())
            .filter(|v| *v != "null");
        if let Some(source) = claimed {
            let source_host = source
                .split("://")
                .nth(1)
                .unwrap_or("")
                .split('/')
                .next()
                .unwrap_or("");
            if source_host != host {
                return WebError::Page(ApiError::forbidden(
                    "this form was posted from another site",
                ))
                .into_response();
            }
        }
    }
    next.run(request).await
}

pub enum WebError {
    Redirect(String),
    Page(ApiError),
    /// A refusal the visitor can put right: back to the page it came from,
    /// with the reason as an alert there (never an error page for it).
    Back {
        to: String,
        reason: String,
    },
}

/// Send correctable refusals back to the page they came from (see
/// [`WebError::Back`]); not found, not allowed and failures on Haven's side
/// stay error pages.
pub trait OrBack<T> {
    fn or_back(self, to: &str) -> Result<T, WebError>;
}

impl<T, E: Into<ApiError>> OrBack<T> for Result<T, E> {
    fn or_back(self, to: &str) -> Result<T, WebError> {
        self.map_err(|err| {
            let err: ApiError = err.into();
            if err.kind.is_correctable() {
                WebError::Back {
                    to: to.to_string(),
                    reason: err.message,
                }
            } else {
                WebError::Page(err)
            }
        })
    }
}

impl From<ApiError> for WebError {
    fn from(err: ApiError) -> Self {
        WebError::Page(err)
    }
}

impl From<haven_app::AppError> for WebError {
    fn from(err: haven_app::AppError) -> Self {
        WebError::Page(err.into())
    }
}

impl From<haven_store::StoreError> for WebError {
    fn from(err: haven_store::StoreError) -> Self {
        WebError::Page(err.into())
    }
}

#[derive(Template)]
#[template(path = "error.html")]
struct ErrorPage {
    layout: Layout,
    heading: String,
    message: String,
}

impl IntoResponse for WebError {
    fn into_response(self) -> Response {
        match self {
            WebError::Redirect(to) => Redirect::to(&to).into_response(),
            WebError::Back { to, reason } => {
                let mut response = Redirect::to(&to).into_response();
                response
                    .extensions_mut()
                    .insert(csrf::RefusalForNextPage(reason));
                response
            }
            WebError::Page(err) => {
                let heading = match crate::error::status_of(err.kind) {
                    StatusCode::NOT_FOUND => "Not found",
                    StatusCode::FORBIDDEN => "Not allowed",
                    s if s.is_server_error() => "Something went wrong",
                    _ => "That didn't work",
                };
                let heading = i18n::tr(heading);
                let layout = Layout {
                    title: heading.clone(),
                    csrf: csrf::current_token(),
                    user_name: None,
                    is_seller: false,
                    is_agent: false,
                    is_admin: false,
                    unread: 0,
                    demo: false,
                    flash: None,
                    lang: csrf::current_locale().tag(),
                    here: "/".into(),
                };
                let page = ErrorPage {
                    layout,
                    heading,
                    message: err.message.clone(),
                };
                (crate::error::status_of(err.kind), render(&page)).into_response()
            }
        }
    }
}

pub type WebResult = Result<Response, WebError>;

pub fn render<T: Template>(page: &T) -> Response {
    match page.render() {
        Ok(html) => Html(html).into_response(),
        Err(err) => ApiError::internal(err).into_response(),
    }
}

/// Parse an urlencoded form body; bad forms are a 400 page, and a field
/// with a control character (other than a line break or tab) a 422 page.
pub fn parse_form<T: DeserializeOwned>(body: &[u8]) -> Result<T, WebError> {
    let raw = std::str::from_utf8(body)
        .map_err(|_| WebError::Page(ApiError::bad_request("invalid form: not UTF-8")))?;
    crate::api::extract::decoded_pairs(raw, true)?;
    serde_urlencoded::from_bytes(body)
        .map_err(|e| WebError::Page(ApiError::bad_request(format!("invalid form: {e}"))))
}

/// Path parameters for pages: anything unreadable names no page (404).
pub struct Path<T>(pub T);

impl<T: DeserializeOwned + Send, S: Send + Sync> FromRequestParts<S> for Path<T> {
    type Rejection = WebError;

    async fn from_request_parts(parts: &mut Parts, state: &S) -> Result<Self, Self::Rejection> {
        crate::api::extract::Path::<T>::from_request_parts(parts, state)
            .await
            .map(|crate::api::extract::Path(value)| Path(value))
            .map_err(|_| WebError::Page(ApiError::not_found("page")))
    }
}

/// Query parameters for pages, refused in the page's error shape.
pub struct Query<T>(pub T);

impl<T: DeserializeOwned + Send, S: Send + Sync> FromRequestParts<S> for Query<T> {
    type Rejection = WebError;

    async fn from_request_parts(parts: &mut Parts, state: &S) -> Result<Self, Self::Rejection> {
        crate::api::extract::Query::<T>::from_request_parts(parts, state)
            .await
            .map(|crate::api::extract::Query(value)| Query(value))
            .map_err(WebError::Page)
    }
}

async fn media(State(app): AppState, Path(hash): Path<String>) -> Result<Response, WebError> {
    if hash.len() != 64 || !hash.bytes().all(|b| b.is_ascii_hexdigit()) {
        return Err(ApiError::not_found("image").into());
    }
    let media = app
        .store
        .media(&hash)
        .await?
        .ok_or_else(|| ApiError::not_found("image"))?;
    // Content-addressed, so it never changes; sandboxed so an SVG can never run script.
    Ok((
        [
            (header::CONTENT_TYPE, media.content_type),
            (
                header::CACHE_CONTROL,
                "public, max-age=31536000, immutable".into(),
            ),
            (
                header::CONTENT_SECURITY_POLICY,
                "default-src 'none'; sandbox".into(),
            ),
        ],
        media.bytes,
    )
        .into_response())
}

/// A file built into the binary, cached for an hour.
fn asset(content_type: &'static str, body: &'static str) -> impl IntoResponse {
    (
        [
            (header::CONTENT_TYPE, content_type),
            (header::CACHE_CONTROL, "public, max-age=3600"),
        ],
        body,
    )
}

async fn stylesheet() -> impl IntoResponse {
    asset(
        "text/css; charset=utf-8",
        include_str!("../../static/haven.css"),
    )
}

async fn script() -> impl IntoResponse {
    asset(
        "text/javascript; charset=utf-8",
        include_str!("../../static/haven.js"),
    )
}

async fn favicon() -> impl IntoResponse {
    asset("image/svg+xml", include_str!("../../static/favicon.svg"))
}

async fn not_found() -> WebError {
    WebError::Page(ApiError::not_found("page"))
}

async fn method_not_allowed() -> WebError {
    WebError::Page(ApiError::new(
        haven_app::ErrorKind::MethodNotAllowed,
        "this page does not take that kind of request",
    ))
}

pub fn router(app: Arc<App>) -> Router {
    let max_body = app.config.max_body_bytes;
    // Uploads carry their larger limit on the route itself, so every page
    // lives in one router with one fallback for wrong methods.
    let upload_limit =
        axum::extract::DefaultBodyLimit::max(haven_app::blobs::MAX_VIDEO_BYTES + 64 * 1024);
    Router::new()
        .route(
            "/disputes/{id}/file",
            post(disputes::upload).layer(upload_limit),
        )
        .route(
            "/account/identity",
            post(account::identity_upload).layer(upload_limit),
        )
        .route("/", get(shop::browse))
        .route("/search", get(search::search))
        .route("/listings/{id}", get(shop::listing))
        .route("/listings/{id}/compare", get(cart::compare))
        .route("/cart", get(cart::cart))
        .route("/cart/items", post(cart::put_item))
        .route("/cart/bundles", post(cart::add_bundle))
        .route("/rewards/redeem", post(cart::redeem_rewards))
        .route("/seller/bundles", post(cart::create_bundle))
        .route("/seller/bundles/{id}/end", post(cart::end_bundle))
        .route(
            "/cart/checkout",
            get(cart::checkout_form).post(cart::checkout),
        )
        .route("/coupons/{id}/claim", post(cart::claim))
        .route("/coupons/{id}/end", post(cart::end_coupon))
        .route(
            "/seller/coupons",
            get(cart::seller_coupons).post(cart::issue_seller_coupon),
        )
        .route(
            "/console/coupons",
            get(cart::console_coupons).post(cart::issue_platform_coupon),
        )
        .route(
            "/checkout/{id}",
            get(shop::checkout_form).post(shop::checkout),
        )
        .route(
            "/orders/{id}/verify",
            get(shop::challenge_form).post(shop::challenge),
        )
        .route("/login", get(account::login_form).post(account::login))
        .route(
            "/register",
            get(account::register_form).post(account::register),
        )
        .route("/notifications", get(notices::list))
        .route("/notifications/read", post(notices::mark_read))
        .route("/account/notifications", post(account::email_settings))
        .route("/account/export", get(account::export))
        .route("/logout", post(account::logout))
        .route("/language", post(account::choose_language))
        .route(
            "/login/2fa",
            get(account::second_factor_form).post(account::login_second_factor),
        )
        .route(
            "/forgot-password",
            get(account::forgot_form).post(account::forgot),
        )
        .route(
            "/reset-password",
            get(account::reset_form).post(account::reset),
        )
        .route("/verify-email", get(account::verify_email))
        .route("/account", get(account::security))
        .route("/messages", get(messages::inbox))
        .route(
            "/messages/{id}",
            get(messages::show).post(messages::send).layer(upload_limit),
        )
        .route(
            "/messages/{id}/attachments/{hash}",
            get(messages::attachment),
        )
        .route("/orders/{id}/messages", get(messages::for_order))
        .route(
            "/listings/{id}/ask",
            get(messages::ask_form).post(messages::ask_seller),
        )
        .route("/messages/{id}/report", post(messages::report))
        .route(
            "/console/conversations/{id}/close",
            post(console::close_conversation),
        )
        .route("/account/{action}", post(account::security_action))
        .route("/orders", get(orders::list))
        .route("/orders/{id}", get(orders::detail))
        .route(
            "/orders/{id}/confirm",
            get(orders::confirm_form).post(orders::confirm),
        )
        .route("/orders/{id}/cancel-request", post(orders::request_cancel))
        .route("/orders/{id}/cancel-response", post(orders::respond_cancel))
        .route("/orders/{id}/ship", post(orders::ship))
        .route("/orders/{id}/advance", post(orders::advance))
        .route("/seller", get(seller::centre))
        .route("/seller/store", post(seller::open_store))
        .route("/seller/listings/new", get(seller::new_listing_form))
        .route(
            "/seller/listings",
            get(listings::list).post(seller::create_listing).layer(
                axum::extract::DefaultBodyLimit::max(seller::MAX_LISTING_FORM_BYTES),
            ),
        )
        .route(
            "/seller/listings/{id}/edit",
            get(listings::edit_form).post(listings::save),
        )
        .route("/seller/listings/{id}/pause", post(listings::pause))
        .route(
            "/seller/listings/{id}/photos",
            get(listing_setup::photos)
                .post(listing_setup::add_photos)
                .layer(axum::extract::DefaultBodyLimit::max(
                    seller::MAX_LISTING_FORM_BYTES,
                )),
        )
        .route(
            "/seller/listings/{id}/photos/change",
            post(listing_setup::change_photo),
        )
        .route(
            "/seller/listings/{id}/shipping",
            get(listing_setup::shipping).post(listing_setup::save_rate),
        )
        .route(
            "/seller/listings/{id}/shipping/remove",
            post(listing_setup::remove_rate),
        )
        .route("/seller/payouts", post(seller::payout))
        .route("/seller/statement", get(statement::page))
        .route("/seller/statement.csv", get(statement::csv))
        .route("/seller/disputes", get(disputes::seller_inbox))
        .route(
            "/orders/{id}/dispute",
            get(disputes::new_dispute_form)
                .post(disputes::open_dispute)
                .layer(upload_limit),
        )
        .route("/disputes", get(disputes::my_disputes))
        .route("/disputes/{id}", get(disputes::show))
        .route("/disputes/{id}/accept", post(disputes::accept))
        .route("/disputes/{id}/counter", post(disputes::counter))
        .route(
            "/disputes/{id}/counter/accept",
            post(disputes::accept_counter),
        )
        .route(
            "/disputes/{id}/counter/decline",
            post(disputes::decline_counter),
        )
        .route("/disputes/{id}/reject", post(disputes::reject))
        .route("/disputes/{id}/escalate", post(disputes::escalate))
        .route(
            "/disputes/{id}/withdraw",
            get(disputes::withdraw_form).post(disputes::withdraw),
        )
        .route("/disputes/{id}/reopen", post(disputes::reopen))
        .route("/disputes/{id}/return/ship", post(disputes::ship_return))
        .route(
            "/disputes/{id}/return/confirm",
            post(disputes::confirm_return),
        )
        .route(
            "/disputes/{id}/return/contest",
            post(disputes::contest_return),
        )
        .route("/disputes/{id}/decide", post(disputes::decide))
        .route("/disputes/{id}/message", post(disputes::message))
        .route("/disputes/{id}/files/{hash}", get(disputes::file))
        .route("/disputes/{id}/export", get(disputes::export))
        .route("/console", get(queues::overview))
        .route("/console/audit", get(audit::page))
        .route("/console/safety", get(console::safety))
        .route("/seller/appeal", post(seller::appeal))
        .route(
            "/console/enforcement/{id}/appeal",
            post(console::decide_appeal),
        )
        .route("/stores/{id}", get(reviews::store_page))
        .route(
            "/console/enforcement/{id}/strikes",
            post(console::record_strike),
        )
        .route(
            "/orders/{id}/review",
            post(reviews::leave).layer(upload_limit),
        )
        .route("/orders/{id}/buyer-rating", post(reviews::rate_buyer))
        .route("/orders/{id}/certificate", get(reviews::certificate))
        .route("/reviews/{id}/edit", post(reviews::edit))
        .route("/reviews/{id}/reply", post(reviews::reply))
        .route("/console/reviews", get(reviews::console))
        .route("/console/reviews/run", post(reviews::run_pass))
        .route("/console/listings/{id}/{action}", post(search::hold))
        .route("/console/reviews/{id}/moderate", post(reviews::moderate))
        .route("/console/integrity/{id}", post(reviews::decide_case))
        .route("/console/risk", get(risk::queue))
        .route("/console/risk/reviews/{id}", post(risk::decide))
        .route("/console/risk/rules", get(risk::rules))
        .route("/console/risk/rules/save", post(risk::save))
        .route("/console/risk/lists", post(risk::edit_list))
        .route(
            "/admin/webhooks",
            get(admin::webhooks).post(admin::add_webhook),
        )
        .route("/admin/webhooks/{id}", get(admin::webhook_deliveries))
        .route("/admin/settings", get(settings::show).post(settings::save))
        .route("/admin/settings/brand", post(settings::save_brand))
        .route("/admin/webhooks/{id}/state", post(admin::set_webhook_state))
        .route(
            "/admin/webhooks/deliveries/{id}/resend",
            post(admin::resend_webhook),
        )
        .route("/console/commands", get(console::dead_letters))
        .route(
            "/console/commands/{id}/retry",
            post(console::retry_dead_letter),
        )
        .route(
            "/console/commands/{id}/dismiss",
            post(console::dismiss_dead_letter),
        )
        .route("/console/identity/{id}", post(console::review_identity))
        .route(
            "/console/brands/{store}/{brand}",
            post(console::decide_brand_proof),
        )
        .route("/seller/brands", post(seller::submit_brand_proof))
        .route(
            "/console/identity/{id}/document",
            get(console::identity_document),
        )
        .route("/demo", get(seller::demo_page))
        .route("/demo/clock", post(seller::demo_clock))
        .route("/demo/clock/reset", post(seller::demo_clock_reset))
        .route("/media/{hash}", get(media))
        .route("/static/haven.css", get(stylesheet))
        .route("/static/haven.js", get(script))
        .route("/favicon.svg", get(favicon))
        // Browsers that ask for the old name get the one icon there is.
        .route(
            "/favicon.ico",
            get(|| async { Redirect::permanent("/favicon.svg") }),
        )
        .fallback(not_found)
        .method_not_allowed_fallback(method_not_allowed)
        .layer(axum::extract::DefaultBodyLimit::max(max_body))
        .layer(axum::middleware::from_fn_with_state(
            app.clone(),
            csrf::protect,
        ))
        .layer(axum::middleware::from_fn(same_origin_posts))
        .with_state(app)
}

#[cfg(test)]
mod tests {
    use super::{age_words, header, referer_path};

    #[test]
    fn ages_read_in_their_largest_unit() {
        assert_eq!(age_words(0), "0 minutes");
        assert_eq!(age_words(61), "1 minute");
        assert_eq!(age_words(5 * 3_600 + 59), "5 hours");
        assert_eq!(age_words(86_400), "1 day");
        assert_eq!(age_words(180 * 86_400 + 7), "180 days");
    }

    #[test]
    fn a_refusal_goes_back_to_the_referring_page_only_by_a_safe_path() {
        let path = |referer: &str| {
            let mut headers = axum::http::HeaderMap::new();
            headers.insert(header::REFERER, referer.parse().unwrap());
            referer_path(&headers)
        };
        assert_eq!(
            path("http://shop.example/stores/abc?tab=coupons").as_deref(),
            Some("/stores/abc?tab=coupons")
        );
        assert_eq!(path("https://shop.example").as_deref(), None);
        // Anything odd in the path lands on the home page, never elsewhere.
        assert_eq!(
            path("http://shop.example//evil.example/").as_deref(),
            Some("/")
        );
        assert_eq!(path("http://shop.example/a<b").as_deref(), Some("/"));
        assert_eq!(referer_path(&axum::http::HeaderMap::new()), None);
    }
}
