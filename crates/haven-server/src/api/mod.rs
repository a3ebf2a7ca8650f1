//! The JSON API under `/api/v1`, described by OpenAPI at `/api/openapi.json`.
//! Conventions (docs/API.md): one error shape, Idempotency-Key on POSTs,
//! cursor pagination (≤ 100 per page), RFC 3339 UTC times, money as
//! `{"amount_minor","currency"}`.

pub mod account;
pub mod cart;
mod console;
pub mod coupons;
mod disputes;
mod enforcement;
pub mod extract;
pub(crate) mod handlers;
mod listing_risk;
mod messaging;
mod notifications;
pub mod privacy;
pub mod requests;
pub mod reviews;
mod risk;
pub mod search;
mod webhooks;
mod wire;

use std::sync::Arc;

use axum::extract::DefaultBodyLimit;
use axum::routing::{get, post};
use axum::{Json, Router};
use utoipa::openapi::security::{HttpAuthScheme, HttpBuilder, SecurityScheme};
use utoipa::{Modify, OpenApi};

use crate::error::ApiError;
use haven_app::App;

#[derive(OpenApi)]
#[openapi(
    info(title = "Haven API", description = "Marketplace with escrow and buyer protection built in."),
    paths(
        handlers::register, handlers::login, handlers::logout, handlers::me,
        handlers::open_store, handlers::list_stores, handlers::get_store,
        handlers::create_listing, handlers::set_flash_deal, handlers::edit_listing, handlers::my_listings, handlers::list_listings, handlers::get_listing, handlers::upload_media,
        handlers::checkout, handlers::complete_challenge, handlers::list_orders, handlers::get_order, handlers::order_tracking,
        handlers::ship, handlers::confirm, handlers::request_cancel, handlers::respond_cancel, handlers::advance_parcel,
        handlers::balance, handlers::request_payout, handlers::list_payouts, handlers::statement,
        handlers::carrier_webhook, handlers::events,
        disputes::open_dispute, disputes::order_disputes, disputes::list_disputes, disputes::get_dispute,
        disputes::evidence, disputes::add_message, disputes::add_file, disputes::get_file, disputes::export,
        disputes::accept, disputes::counter, disputes::reject, disputes::accept_counter, disputes::decline_counter,
        disputes::escalate, disputes::withdraw, disputes::reopen, disputes::ship_return, disputes::confirm_return,
        disputes::contest_return, disputes::decide, disputes::case_queue, disputes::audit, disputes::gateway_webhook,
        account::second_factor, account::password_reset, account::password_reset_confirm, account::verify_email,
        account::sessions, account::revoke_session, account::revoke_others, account::reauthenticate, account::change_password,
        account::change_email, account::resend_verification, account::totp_setup, account::totp_enable, account::totp_disable,
        account::submit_identity, account::payout_account, account::identity_reviews, account::review_identity, account::flags,
        risk::reviews, risk::review, risk::decide, risk::rules, risk::create_rule, risk::rule, risk::update_rule, risk::dry_run,
        risk::lists, risk::edit_list,
        enforcement::my_standing, enforcement::appeal, enforcement::queue, enforcement::standing, enforcement::strike, enforcement::decide_appeal,
        reviews::leave, reviews::order_state, reviews::rate_buyer, reviews::edit, reviews::reply, reviews::reputation, reviews::store_reviews,
        reviews::held, reviews::moderate, reviews::cases, reviews::case, reviews::decide, reviews::run, reviews::certificate,
        messaging::order_conversation, messaging::presale_conversation, messaging::list, messaging::messages,
        messaging::send, messaging::send_file, messaging::attachment, messaging::unread, messaging::flagged, messaging::report,
        console::dead_letters, console::retry, console::dismiss,
        search::search, search::hold, search::release, search::rebuild,
        listing_risk::held, listing_risk::submit, listing_risk::mine, listing_risk::pending, listing_risk::decide,
        cart::get_cart, cart::put_item, cart::remove_item, cart::quote, cart::checkout, cart::compare, cart::also_bought,
        cart::create_bundle, cart::end_bundle, cart::store_bundles, cart::add_bundle,
        coupons::issue, coupons::issued, coupons::end, coupons::claim, coupons::mine, coupons::of_store, coupons::rewards, coupons::redeem,
        webhooks::create, webhooks::list, webhooks::set_state, webhooks::deliveries, webhooks::resend, webhooks::policy, webhooks::publish_policy,
        notifications::list, notifications::read_all, notifications::email_settings, notifications::set_email_settings,
        privacy::export_json, privacy::close,
    ),
    modifiers(&BearerAuth, &CommonResponses),
    tags((name = "accounts"), (name = "catalog"), (name = "orders"), (name = "cart"), (name = "coupons"), (name = "disputes"), (name = "messaging"), (name = "reviews"), (name = "console"), (name = "admin"), (name = "payouts"), (name = "payments"), (name = "carriers"), (name = "events"))
)]
pub struct ApiDoc;

struct BearerAuth;

impl Modify for BearerAuth {
    fn modify(&self, openapi: &mut utoipa::openapi::OpenApi) {
        let components = openapi.components.get_or_insert_with(Default::default);
        components.add_security_scheme(
            "bearer",
            SecurityScheme::Http(HttpBuilder::new().scheme(HttpAuthScheme::Bearer).build()),
        );
    }
}

/// The answers every route can give besides its own, added from what the
/// route has, so the document lists every status a route can return:
/// - 500 anywhere (a failure on Haven's side);
/// - 401 where a bearer token is needed;
/// - 404 where the path names a resource (an unknown or another user's id);
/// - 400 (unreadable JSON, query or Idempotency-Key), 413 (body too large)
///   and 422 (wrong shape, a control character, a reused key) for every
///   POST, and 409 for an Idempotency-Key still in use;
/// - 400 and 422 for a query string (unreadable, or a control character).
struct CommonResponses;

impl Modify for CommonResponses {
    fn modify(&self, openapi: &mut utoipa::openapi::OpenApi) {
        use utoipa::openapi::path::ParameterIn;
        for (path, item) in openapi.paths.paths.iter_mut() {
            let names_resource = path.contains('{');
            let operations = [
                (false, item.get.as_mut()),
                (true, item.post.as_mut()),
                (false, item.put.as_mut()),
                (false, item.delete.as_mut()),
            ];
            for (is_post, operation) in operations {
                let Some(operation) = operation else {
                    continue;
                };
                let secured = operation.security.as_ref().is_some_and(|s| !s.is_empty());
                let has_query = operation.parameters.as_ref().is_some_and(|ps| {
                    ps.iter()
                        .any(|p| matches!(p.parameter_in, ParameterIn::Query))
                });
                let mut statuses = vec![("500", "Something went wrong on Haven's side")];
                if secured {
                    statuses.push(("401", "No valid bearer token"));
                }
                if names_resource {
                    statuses.push(("404", "No such resource, or not yours to see"));
                }
                if is_post {
                    statuses.extend([
                        ("400", "Unreadable JSON or Idempotency-Key"),
                        (
                            "409",
                            "The state does not allow this, or the Idempotency-Key is in use",
                        ),
                        ("413", "The body is too large"),
                        ("422", "Well-formed input that breaks a rule"),
                    ]);
                }
                if has_query {
                    statuses.extend([
                        ("400", "Unreadable query string or cursor"),
                        ("422", "A control character in the query"),
                    ]);
                }
                for (status, description) in statuses {
                    operation
                        .responses
                        .responses
                        .entry(status.to_string())
                        .or_insert_with(|| error_response(description));
                }
            }
        }
    }
}

fn error_response(description: &str) -> utoipa::openapi::RefOr<utoipa::openapi::Response> {
    use utoipa::openapi::{ContentBuilder, Ref, ResponseBuilder};
    ResponseBuilder::new()
        .description(description)
        .content(
            "application/json",
            ContentBuilder::new()
                .schema(Some(Ref::from_schema_name("ErrorBody")))
                .build(),
        )
        .build()
        .into()
}

pub fn openapi_json() -> serde_json::Value {
    serde_json::to_value(ApiDoc::openapi()).expect("OpenAPI document serialises")
}

async fn openapi() -> Json<serde_json::Value> {
    Json(openapi_json())
}

async fn api_not_found() -> ApiError {
    ApiError::new(haven_app::ErrorKind::NotFound, "no such API endpoint")
}

async fn method_not_allowed() -> ApiError {
    ApiError::new(
        haven_app::ErrorKind::MethodNotAllowed,
        "this endpoint does not take that method",
    )
}

pub fn router(app: Arc<App>) -> Router {
    let max_body = app.config.max_body_bytes;
    // Uploads get their own, larger limit on the route itself, so every
    // route lives in one router with one fallback for wrong methods.
    let image_limit = DefaultBodyLimit::max(haven_app::MAX_IMAGE_BYTES + 1);
    let video_limit = DefaultBodyLimit::max(haven_app::blobs::MAX_VIDEO_BYTES + 1);
    Router::new()
        .route(
            "/api/v1/media",
            post(handlers::upload_media).layer(image_limit),
        )
        .route(
            "/api/v1/disputes/{id}/evidence/files",
            post(disputes::add_file).layer(video_limit),
        )
        .route(
            "/api/v1/conversations/{id}/messages/file",
            post(messaging::send_file).layer(video_limit),
        )
        .route("/api/openapi.json", get(openapi))
        .route("/api/v1/auth/register", post(handlers::register))
        .route("/api/v1/auth/login", post(handlers::login))
        .route("/api/v1/auth/logout", post(handlers::logout))
        .route("/api/v1/me", get(handlers::me))
        .route(
            "/api/v1/stores",
            post(handlers::open_store).get(handlers::list_stores),
        )
        .route("/api/v1/stores/{id}", get(handlers::get_store))
        .route(
            "/api/v1/listings",
            post(handlers::create_listing).get(handlers::list_listings),
        )
        .route(
            "/api/v1/listings/{id}",
            get(handlers::get_listing).patch(handlers::edit_listing),
        )
        .route("/api/v1/seller/listings", get(handlers::my_listings))
        .route("/api/v1/listings/{id}/deal", post(handlers::set_flash_deal))
        .route(
            "/api/v1/orders",
            post(handlers::checkout).get(handlers::list_orders),
        )
        .route("/api/v1/orders/{id}", get(handlers::get_order))
        .route(
            "/api/v1/orders/{id}/tracking",
            get(handlers::order_tracking),
        )
        .route(
            "/api/v1/orders/{id}/challenge",
            post(handlers::complete_challenge),
        )
        .route("/api/v1/orders/{id}/ship", post(handlers::ship))
        .route("/api/v1/orders/{id}/confirm", post(handlers::confirm))
        .route(
            "/api/v1/orders/{id}/cancel-request",
            post(handlers::request_cancel),
        )
        .route(
            "/api/v1/orders/{id}/cancel-response",
            post(handlers::respond_cancel),
        )
        .route(
            "/api/v1/orders/{id}/advance-parcel",
            post(handlers::advance_parcel),
        )
        .route("/api/v1/seller/balance", get(handlers::balance))
        .route("/api/v1/seller/statement", get(handlers::statement))
        .route(
            "/api/v1/seller/payouts",
            post(handlers::request_payout).get(handlers::list_payouts),
        )
        .route(
            "/api/v1/carriers/{carrier}/webhook",
            post(handlers::carrier_webhook),
        )
        .route("/api/v1/events", get(handlers::events))
        .route("/api/v1/console/risk/reviews", get(risk::reviews))
        .route(
            "/api/v1/console/risk/reviews/{order_id}",
            get(risk::review).post(risk::decide),
        )
        .route(
            "/api/v1/console/risk/rules",
            get(risk::rules).post(risk::create_rule),
        )
        .route("/api/v1/console/risk/rules/dry-run", post(risk::dry_run))
        .route(
            "/api/v1/console/risk/rules/{id}",
            get(risk::rule).post(risk::update_rule),
        )
        .route("/api/v1/console/risk/lists", get(risk::lists))
        .route(
            "/api/v1/orders/{id}/review",
            get(reviews::order_state).post(reviews::leave),
        )
        .route(
            "/api/v1/orders/{id}/buyer-rating",
            post(reviews::rate_buyer),
        )
        .route("/api/v1/orders/{id}/certificate", get(reviews::certificate))
        .route("/api/v1/reviews/{id}/edit", post(reviews::edit))
        .route("/api/v1/reviews/{id}/reply", post(reviews::reply))
        .route("/api/v1/stores/{id}/reputation", get(reviews::reputation))
        .route("/api/v1/stores/{id}/reviews", get(reviews::store_reviews))
        .route("/api/v1/console/reviews/held", get(reviews::held))
        .route(
            "/api/v1/console/reviews/{id}/moderate",
            post(reviews::moderate),
        )
        .route("/api/v1/search", get(search::search))
        .route("/api/v1/cart", get(cart::get_cart))
        .route(
            "/api/v1/cart/items/{listing_id}",
            axum::routing::put(cart::put_item).delete(cart::remove_item),
        )
        .route("/api/v1/cart/quote", post(cart::quote))
        .route("/api/v1/cart/bundles", post(cart::add_bundle))
        .route("/api/v1/bundles", post(cart::create_bundle))
        .route("/api/v1/bundles/{id}/end", post(cart::end_bundle))
        .route("/api/v1/stores/{id}/bundles", get(cart::store_bundles))
        .route("/api/v1/cart/checkout", post(cart::checkout))
        .route("/api/v1/listings/{id}/compare", get(cart::compare))
        .route("/api/v1/listings/{id}/also-bought", get(cart::also_bought))
        .route("/api/v1/coupons", get(coupons::issued).post(coupons::issue))
        .route("/api/v1/coupons/{id}/end", post(coupons::end))
        .route("/api/v1/coupons/{id}/claim", post(coupons::claim))
        .route("/api/v1/me/coupons", get(coupons::mine))
        .route("/api/v1/me/rewards", get(coupons::rewards))
        .route("/api/v1/me/rewards/redeem", post(coupons::redeem))
        .route("/api/v1/stores/{id}/coupons", get(coupons::of_store))
        .route("/api/v1/account/export", get(privacy::export_json))
        .route("/api/v1/account/close", post(privacy::close))
        .route("/api/v1/notifications", get(notifications::list))
        .route("/api/v1/notifications/read", post(notifications::read_all))
        .route(
            "/api/v1/account/email-settings",
            get(notifications::email_settings).post(notifications::set_email_settings),
        )
        .route(
            "/api/v1/admin/webhooks",
            get(webhooks::list).post(webhooks::create),
        )
        .route(
            "/api/v1/admin/policy",
            get(webhooks::policy).post(webhooks::publish_policy),
        )
        .route(
            "/api/v1/admin/webhooks/{id}/state",
            post(webhooks::set_state),
        )
        .route(
            "/api/v1/admin/webhooks/{id}/deliveries",
            get(webhooks::deliveries),
        )
        .route(
            "/api/v1/admin/webhooks/deliveries/{id}/resend",
            post(webhooks::resend),
        )
        .route("/api/v1/console/listings/held", get(listing_risk::held))
        .route(
            "/api/v1/stores/me/brands",
            get(listing_risk::mine).post(listing_risk::submit),
        )
        .route("/api/v1/console/brands", get(listing_risk::pending))
        .route(
            "/api/v1/console/brands/{store_id}/{brand}/decision",
            post(listing_risk::decide),
        )
        .route("/api/v1/console/listings/{id}/hold", post(search::hold))
        .route(
            "/api/v1/console/listings/{id}/release",
            post(search::release),
        )
        .route("/api/v1/console/search/rebuild", post(search::rebuild))
        .route("/api/v1/console/integrity", get(reviews::cases))
        .route("/api/v1/console/integrity/run", post(reviews::run))
        .route("/api/v1/console/integrity/{id}", get(reviews::case))
        .route(
            "/api/v1/console/integrity/{id}/decide",
            post(reviews::decide),
        )
        .route("/api/v1/seller/standing", get(enforcement::my_standing))
        .route("/api/v1/seller/standing/appeal", post(enforcement::appeal))
        .route("/api/v1/console/enforcement", get(enforcement::queue))
        .route(
            "/api/v1/console/enforcement/{store_id}",
            get(enforcement::standing),
        )
        .route(
            "/api/v1/console/enforcement/{store_id}/strikes",
            post(enforcement::strike),
        )
        .route(
            "/api/v1/console/enforcement/{store_id}/appeal",
            post(enforcement::decide_appeal),
        )
        .route("/api/v1/console/risk/lists/{name}", post(risk::edit_list))
        .route(
            "/api/v1/orders/{id}/disputes",
            post(disputes::open_dispute).get(disputes::order_disputes),
        )
        .route("/api/v1/orders/{id}/audit", get(disputes::audit))
        .route("/api/v1/disputes", get(disputes::list_disputes))
        .route("/api/v1/disputes/{id}", get(disputes::get_dispute))
        .route("/api/v1/disputes/{id}/evidence", get(disputes::evidence))
        .route(
            "/api/v1/disputes/{id}/evidence/messages",
            post(disputes::add_message),
        )
        .route(
            "/api/v1/disputes/{id}/evidence/files/{hash}",
            get(disputes::get_file),
        )
        .route("/api/v1/disputes/{id}/export", get(disputes::export))
        .route("/api/v1/disputes/{id}/accept", post(disputes::accept))
        .route("/api/v1/disputes/{id}/counter", post(disputes::counter))
        .route(
            "/api/v1/disputes/{id}/counter/accept",
            post(disputes::accept_counter),
        )
        .route(
            "/api/v1/disputes/{id}/counter/decline",
            post(disputes::decline_counter),
        )
        .route("/api/v1/disputes/{id}/reject", post(disputes::reject))
        .route("/api/v1/disputes/{id}/escalate", post(disputes::escalate))
        .route("/api/v1/disputes/{id}/withdraw", post(disputes::withdraw))
        .route("/api/v1/disputes/{id}/reopen", post(disputes::reopen))
        .route(
            "/api/v1/disputes/{id}/return/ship",
            post(disputes::ship_return),
        )
        .route(
            "/api/v1/disputes/{id}/return/confirm",
            post(disputes::confirm_return),
        )
        .route(
            "/api/v1/disputes/{id}/return/contest",
            post(disputes::contest_return),
        )
        .route("/api/v1/disputes/{id}/decide", post(disputes::decide))
        .route("/api/v1/console/cases", get(disputes::case_queue))
        .route(
            "/api/v1/auth/login/second-factor",
            post(account::second_factor),
        )
        .route("/api/v1/auth/password-reset", post(account::password_reset))
        .route(
            "/api/v1/auth/password-reset/confirm",
            post(account::password_reset_confirm),
        )
        .route("/api/v1/auth/verify-email", post(account::verify_email))
        .route("/api/v1/me/sessions", get(account::sessions))
        .route(
            "/api/v1/me/sessions/revoke-others",
            post(account::revoke_others),
        )
        .route(
            "/api/v1/me/sessions/{id}/revoke",
            post(account::revoke_session),
        )
        .route("/api/v1/me/reauthenticate", post(account::reauthenticate))
        .route("/api/v1/me/password", post(account::change_password))
        .route("/api/v1/me/email", post(account::change_email))
        .route(
            "/api/v1/me/email/resend-verification",
            post(account::resend_verification),
        )
        .route("/api/v1/me/2fa/setup", post(account::totp_setup))
        .route("/api/v1/me/2fa/enable", post(account::totp_enable))
        .route("/api/v1/me/2fa/disable", post(account::totp_disable))
        .route("/api/v1/seller/identity", post(account::submit_identity))
        .route(
            "/api/v1/seller/payout-account",
            post(account::payout_account),
        )
        .route(
            "/api/v1/console/identity-reviews",
            get(account::identity_reviews),
        )
        .route(
            "/api/v1/console/identity-reviews/{user_id}",
            post(account::review_identity),
        )
        .route("/api/v1/console/flags", get(account::flags))
        .route("/api/v1/console/commands", get(console::dead_letters))
        .route("/api/v1/console/commands/{id}/retry", post(console::retry))
        .route(
            "/api/v1/console/commands/{id}/dismiss",
            post(console::dismiss),
        )
        .route(
            "/api/v1/orders/{id}/conversation",
            post(messaging::order_conversation),
        )
        .route(
            "/api/v1/listings/{id}/conversation",
            post(messaging::presale_conversation),
        )
        .route("/api/v1/conversations", get(messaging::list))
        .route(
            "/api/v1/conversations/{id}/messages",
            get(messaging::messages).post(messaging::send),
        )
        .route(
            "/api/v1/conversations/{id}/attachments/{hash}",
            get(messaging::attachment),
        )
        .route("/api/v1/conversations/{id}/report", post(messaging::report))
        .route("/api/v1/me/unread", get(messaging::unread))
        .route("/api/v1/console/conversations", get(messaging::flagged))
        .route(
            "/api/v1/gateways/{gateway}/webhook",
            post(disputes::gateway_webhook),
        )
        .route("/api/{*rest}", axum::routing::any(api_not_found))
        .method_not_allowed_fallback(method_not_allowed)
        .layer(DefaultBodyLimit::max(max_body))
        .with_state(app)
}
