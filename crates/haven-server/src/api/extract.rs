//! Request plumbing shared by all handlers: authentication, raw bodies and
//! JSON parsing whose failures use the one error shape, Idempotency-Key
//! handling, and pagination parameters.

use std::future::Future;
use std::sync::Arc;

use axum::Json;
use axum::body::Bytes;
use axum::extract::{FromRequest, FromRequestParts, Request};
use axum::http::request::Parts;
use axum::http::{HeaderMap, HeaderValue, StatusCode};
use axum::response::{IntoResponse, Response};
use serde::de::DeserializeOwned;
use serde::{Deserialize, Serialize};
use sha2::{Digest, Sha256};

use crate::error::{ApiError, ApiResult};
use haven_app::{Actor, App, Idem, Resource};

pub const SESSION_COOKIE: &str = "haven_session";
const MAX_IDEMPOTENCY_KEY_LEN: usize = 255;

/// The session cookie of a page request, if any. Pages never take an
/// `Authorization` header, as the API never takes the cookie.
pub fn session_token(headers: &HeaderMap) -> Option<String> {
    let cookies = headers.get("cookie")?.to_str().ok()?;
    cookies.split(';').find_map(|pair| {
        let (name, value) = pair.trim().split_once('=')?;
        (name == SESSION_COOKIE).then(|| value.to_string())
    })
}

/// The bearer token of an API request. The API ignores cookies on purpose:
/// a browser attaches cookies to cross-site requests, never an
/// Authorization header, so API calls cannot be forged from another site.
pub fn bearer_token(headers: &HeaderMap) -> Option<String> {
    let auth = headers.get("authorization")?.to_str().ok()?;
    auth.strip_prefix("Bearer ").map(|t| t.trim().to_string())
}

/// The authenticated API caller; rejects with 401 in the one error shape.
pub struct Auth(pub Actor);

impl FromRequestParts<Arc<App>> for Auth {
    type Rejection = ApiError;

    async fn from_request_parts(
        parts: &mut Parts,
        app: &Arc<App>,
    ) -> Result<Self, Self::Rejection> {
        let token = bearer_token(&parts.headers).ok_or_else(ApiError::unauthorized)?;
        app.authenticate(&token, haven_domain::account::SessionKind::Api)
            .await?
            .map(Auth)
            .ok_or_else(ApiError::unauthorized)
    }
}

/// The browser's device-id cookie (set by the page middleware).
pub const DEVICE_COOKIE: &str = "haven_device";
/// The API client's device id.
pub const DEVICE_HEADER: &str = "haven-device-id";

/// Device, IP and (from a trusted proxy) the IP's country, for the fraud
/// checks on a payment.
pub fn payment_context(
    headers: &axum::http::HeaderMap,
    client: &haven_app::ClientInfo,
    config: &haven_app::config::Config,
    device: Option<&str>,
) -> haven_app::risk::PaymentContext {
    let country = config
        .ip_country_header
        .as_deref()
        .filter(|_| config.trust_proxy)
        .and_then(|name| headers.get(name))
        .and_then(|v| v.to_str().ok());
    haven_app::risk::PaymentContext::new(device, Some(&client.ip), country)
}

/// Where the request comes from. Behind a proxy (`trust_proxy`), the
/// first X-Forwarded-For address; otherwise the connection's peer.
pub struct Client(pub haven_app::ClientInfo);

impl FromRequestParts<Arc<App>> for Client {
    type Rejection = ApiError;

    async fn from_request_parts(
        parts: &mut Parts,
        app: &Arc<App>,
    ) -> Result<Self, Self::Rejection> {
        Ok(Client(client_info(parts, app.config.trust_proxy)))
    }
}

pub fn client_info(parts: &Parts, trust_proxy: bool) -> haven_app::ClientInfo {
    let forwarded = trust_proxy
        .then(|| {
            parts
                .headers
                .get("x-forwarded-for")
                .and_then(|v| v.to_str().ok())
        })
        .flatten()
        // The proxy appends the address it saw; anything to the left of it
        // was written by the client and proves nothing.
        .and_then(|v| v.rsplit(',').next())
        .map(|ip| ip.trim().chars().take(64).collect::<String>())
        .filter(|ip| !ip.is_empty());
    let peer = parts
        .extensions
        .get::<axum::extract::ConnectInfo<std::net::SocketAddr>>()
        .map(|info| info.0.ip().to_string());
    let user_agent = parts
        .headers
        .get("user-agent")
        .and_then(|v| v.to_str().ok())
        .unwrap_or("unknown client");
    haven_app::ClientInfo {
        ip: forwarded.or(peer).unwrap_or_else(|| "unknown".into()),
        user_agent: user_agent.chars().take(200).collect(),
    }
}

/// The raw body, with size-limit and read failures in the one error shape.
pub struct RawBody(pub Bytes);

impl<S: Send + Sync> FromRequest<S> for RawBody {
    type Rejection = ApiError;

    async fn from_request(req: Request, state: &S) -> Result<Self, Self::Rejection> {
        Bytes::from_request(req, state)
            .await
            .map(RawBody)
            .map_err(|rejection| {
                let status = rejection.status();
                if status == StatusCode::PAYLOAD_TOO_LARGE {
                    ApiError::body_too_large()
                } else {
                    ApiError::bad_request(rejection.body_text())
                }
            })
    }
}

/// A file upload's body, streamed into the blob store as it arrives and
/// never held whole. A declared length past the largest accepted file is
/// refused before a byte is read; an undeclared one is cut off at the
/// file type's limit while streaming.
pub struct UploadBody(pub haven_app::blobs::Upload);

impl<S: Send + Sync> FromRequest<S> for UploadBody {
    type Rejection = ApiError;

    async fn from_request(req: Request, _state: &S) -> Result<Self, Self::Rejection> {
        let declared = req
            .headers()
            .get(axum::http::header::CONTENT_LENGTH)
            .and_then(|v| v.to_str().ok())
            .and_then(|v| v.parse::<u64>().ok());
        if declared.is_some_and(|len| len > haven_app::blobs::MAX_VIDEO_BYTES as u64) {
            return Err(ApiError::body_too_large());
        }
        use futures::TryStreamExt;
        let chunks = req
            .into_body()
            .into_data_stream()
            .map_err(std::io::Error::other);
        Ok(UploadBody(haven_app::blobs::Upload::Stream(Box::pin(
            chunks,
        ))))
    }
}

/// Parse JSON; malformed JSON is 400, well-formed JSON of the wrong shape
/// 422, and so is any string (or key) holding a control character other
/// than a newline or a tab: nothing a database could refuse, or that could
/// hide text from a reader, gets past the edge. Fields that must be a
/// single line are checked again, stricter, by the domain.
pub fn parse_json<T: DeserializeOwned>(body: &[u8]) -> ApiResult<T> {
    let body = if body.is_empty() {
        b"{}".as_slice()
    } else {
        body
    };
    let value: serde_json::Value = serde_json::from_slice(body)
        .map_err(|err| ApiError::bad_request(format!("malformed JSON: {err}")))?;
    let mut path = String::new();
    if let Some((field, c)) = first_control_char(&value, &mut path) {
        return Err(control_char_error(&field, c));
    }
    serde_json::from_value(value).map_err(|err| ApiError::validation(err.to_string()))
}

pub fn control_char_error(field: &str, c: char) -> ApiError {
    let field = if field.is_empty() { "body" } else { field };
    haven_app::AppError::invalid_field(
        field,
        format!(
            "{field} must not contain control characters (U+{:04X})",
            u32::from(c)
        ),
    )
    .into()
}

/// The first string in `value` with a forbidden character, and its path.
fn first_control_char(value: &serde_json::Value, path: &mut String) -> Option<(String, char)> {
    use serde_json::Value as J;
    match value {
        J::String(s) => haven_domain::text::forbidden_char(s, true).map(|c| (path.clone(), c)),
        J::Array(items) => items.iter().enumerate().find_map(|(i, item)| {
            let len = path.len();
            path.push_str(&format!("[{i}]"));
            let found = first_control_char(item, path);
            path.truncate(len);
            found
        }),
        J::Object(map) => map.iter().find_map(|(key, item)| {
            let len = path.len();
            if !path.is_empty() {
                path.push('.');
            }
            path.push_str(key);
            let found = haven_domain::text::forbidden_char(key, false)
                .map(|c| (path.clone(), c))
                .or_else(|| first_control_char(item, path));
            path.truncate(len);
            found
        }),
        _ => None,
    }
}

/// Decoded `name=value` pairs of a query string or form, refusing control
/// characters (a query is one line; a form field may hold lines).
pub fn decoded_pairs(raw: &str, multiline: bool) -> ApiResult<Vec<(String, String)>> {
    let pairs: Vec<(String, String)> = serde_urlencoded::from_str(raw)
        .map_err(|e| ApiError::bad_request(format!("invalid query string: {e}")))?;
    for (name, value) in &pairs {
        if let Some(c) = haven_domain::text::forbidden_char(name, false)
            .or_else(|| haven_domain::text::forbidden_char(value, multiline))
        {
            return Err(control_char_error(name, c));
        }
    }
    Ok(pairs)
}

/// The Idempotency-Key context for this request, if the header was sent.
pub fn idempotency(
    actor: &Actor,
    headers: &HeaderMap,
    route: &str,
    body: &[u8],
) -> ApiResult<Option<Idem>> {
    let Some(raw) = headers.get("idempotency-key") else {
        return Ok(None);
    };
    let key = raw
        .to_str()
        .map_err(|_| ApiError::bad_request("Idempotency-Key must be visible ASCII"))?;
    if key.is_empty() || key.len() > MAX_IDEMPOTENCY_KEY_LEN {
        return Err(ApiError::bad_request(
            "Idempotency-Key must be 1-255 characters",
        ));
    }
    let mut hasher = Sha256::new();
    hasher.update(route.as_bytes());
    hasher.update([0]);
    hasher.update(body);
    Ok(Some(Idem {
        user_id: actor.id(),
        key: key.to_string(),
        request_hash: hex::encode(hasher.finalize()),
    }))
}

/// The resource a replayed request produced, rendered as it is now.
async fn render_resource(
    app: &App,
    viewer: &Actor,
    resource: Resource,
    success: StatusCode,
) -> ApiResult<(StatusCode, Response)> {
    Ok(match resource {
        Resource::Order(id) => {
            // A checkout whose first run died after the gateway took the
            // money is finished here, so the retry sees its paid order.
            let order = app.order_for_replay(id).await?;
            let checkout = success == StatusCode::CREATED;
            if checkout
                && order.close_reason == Some(haven_domain::order::CloseReason::PaymentDeclined)
            {
                return Err(haven_app::AppError::payment_declined(
                    "the card was declined for this checkout",
                )
                .into());
            }
            // A checkout that still waits (for the card challenge, or the
            // gateway) was 202.
            let status =
                if checkout && order.state == haven_domain::order::OrderState::PendingPayment {
                    StatusCode::ACCEPTED
                } else {
                    success
                };
            let view = crate::views::OrderView::seen_by(&order, viewer, app.now());
            (status, Json(view).into_response())
        }
        Resource::Cart(id) => {
            let first = app.order_for_replay(id).await?;
            if first.close_reason == Some(haven_domain::order::CloseReason::PaymentDeclined) {
                return Err(haven_app::AppError::payment_declined(
                    "the card was declined for this checkout",
                )
                .into());
            }
            let orders = app.order_group(&first).await?;
            let view = super::cart::checkout_view(&orders, viewer, app.now());
            let status = if view.challenge_required
                || first.state == haven_domain::order::OrderState::PendingPayment
            {
                StatusCode::ACCEPTED
            } else {
                success
            };
            (status, Json(view).into_response())
        }
        Resource::Dispute(id) => {
            let dispute = app.dispute(id).await?;
            let order = app.order(dispute.order_id).await?;
            let policy = app.policy(order.policy_version).await?;
            let view =
                crate::views::DisputeView::seen_by(&dispute, &order, &policy, viewer, app.now());
            (success, Json(view).into_response())
        }
        Resource::Payout(id) => {
            let view = crate::views::PayoutView::from(&app.payout(id).await?);
            (success, Json(view).into_response())
        }
        Resource::Store(id) => {
            let shop = app
                .store
                .shop(id)
                .await?
                .ok_or_else(|| ApiError::not_found("store"))?;
            let view = crate::views::StoreView::load(app, &shop).await?;
            (success, Json(view).into_response())
        }
        Resource::Listing(id) => {
            let listing = app
                .store
                .listing(id)
                .await?
                .ok_or_else(|| ApiError::not_found("listing"))?;
            let view = crate::views::ListingView::from(&listing);
            (success, Json(view).into_response())
        }
    })
}

/// Answer a replayed request with what its first run produced, as that
/// resource is now, marked `Idempotent-Replayed: true`.
async fn replayed(app: &App, viewer: &Actor, resource: Resource, success: StatusCode) -> Response {
    match render_resource(app, viewer, resource, success).await {
        Ok((status, mut response)) => {
            *response.status_mut() = status;
            response
                .headers_mut()
                .insert("idempotent-replayed", HeaderValue::from_static("true"));
            response
        }
        Err(err) => err.into_response(),
    }
}

/// Run an action once per Idempotency-Key: a replay gets the resource the
/// first run produced (with the status a success answers, `success`), and
/// a request that lost a race to its own twin gets the twin's result.
/// The fraud checks' view of a checkout request: its device header, its
/// client address and (behind a trusted proxy) that address's country.
pub fn checkout_context(
    app: &App,
    headers: &HeaderMap,
    client: &haven_app::ClientInfo,
) -> haven_app::risk::PaymentContext {
    let device = headers.get(DEVICE_HEADER).and_then(|v| v.to_str().ok());
    payment_context(headers, client, &app.config, device)
}

pub async fn idempotent<T, F>(
    app: &App,
    viewer: &Actor,
    idem: Option<Idem>,
    success: StatusCode,
    action: F,
) -> Response
where
    T: Serialize,
    F: Future<Output = ApiResult<(StatusCode, T)>>,
{
    if let Some(idem) = &idem {
        match app.idempotent_replay(idem).await {
            Ok(Some(resource)) => return replayed(app, viewer, resource, success).await,
            Ok(None) => {}
            Err(err) => return ApiError::from(err).into_response(),
        }
    }
    match action.await {
        Ok((status, value)) => (status, Json(value)).into_response(),
        Err(err) => {
            if let (Some(idem), StatusCode::CONFLICT) = (&idem, err.status)
                && let Ok(Some(resource)) = app.idempotent_replay(idem).await
            {
                return replayed(app, viewer, resource, success).await;
            }
            err.into_response()
        }
    }
}

#[derive(Debug, Deserialize, utoipa::IntoParams)]
pub struct PageParams {
    /// Opaque cursor from the previous page's `next_cursor`.
    pub cursor: Option<String>,
    /// 1-100, default 20.
    pub limit: Option<u32>,
}

impl PageParams {
    pub fn request(&self) -> ApiResult<haven_store::PageRequest> {
        if let Some(cursor) = &self.cursor {
            let page = haven_store::PageRequest::new(Some(cursor.clone()), self.limit);
            if page.position().is_none() {
                return Err(ApiError::bad_request("invalid cursor"));
            }
        }
        if self
            .limit
            .is_some_and(|l| l == 0 || l > haven_store::MAX_PAGE)
        {
            return Err(ApiError::bad_request("limit must be 1-100"));
        }
        Ok(haven_store::PageRequest::new(
            self.cursor.clone(),
            self.limit,
        ))
    }
}

/// Everything an order action needs: the caller, the order id from the path,
/// the parsed body and the Idempotency-Key context. Any failure to build it
/// is answered in the one error shape before the action runs.
pub struct OrderAction<Req> {
    pub app: Arc<App>,
    pub actor: Actor,
    pub order_id: haven_domain::ids::OrderId,
    pub body: Req,
    pub idem: Option<Idem>,
}

impl<Req: DeserializeOwned + Send> FromRequest<Arc<App>> for OrderAction<Req> {
    type Rejection = ApiError;

    async fn from_request(req: Request, app: &Arc<App>) -> Result<Self, Self::Rejection> {
        let (mut parts, body) = req.into_parts();
        let Auth(actor) = Auth::from_request_parts(&mut parts, app).await?;
        let path = parts.uri.path().to_string();
        let raw_id = path
            .trim_start_matches("/api/v1/orders/")
            .split('/')
            .next()
            .unwrap_or_default();
        let order_id = path_id(raw_id, "order")?;
        let RawBody(bytes) =
            RawBody::from_request(Request::from_parts(parts.clone(), body), app).await?;
        let parsed = parse_json(&bytes)?;
        let idem = idempotency(&actor, &parts.headers, &format!("POST {path}"), &bytes)?;
        Ok(OrderAction {
            app: app.clone(),
            actor,
            order_id,
            body: parsed,
            idem,
        })
    }
}

impl<Req> OrderAction<Req> {
    /// Run the action once per Idempotency-Key and render the order.
    pub async fn run<F, Fut, E>(self, action: F) -> Response
    where
        F: FnOnce(Arc<App>, Actor, haven_domain::ids::OrderId, Req, Option<Idem>) -> Fut,
        Fut: Future<Output = Result<haven_domain::order::Order, E>>,
        E: Into<ApiError>,
    {
        let OrderAction {
            app,
            actor,
            order_id,
            body,
            idem,
        } = self;
        let replay_key = idem.clone();
        let worker = app.clone();
        let viewer = actor.clone();
        let now_of = app.clone();
        idempotent(&app, &viewer, replay_key, StatusCode::OK, async move {
            let order = action(worker, actor.clone(), order_id, body, idem)
                .await
                .map_err(Into::into)?;
            let view = crate::views::OrderView::seen_by(&order, &actor, now_of.now());
            Ok((StatusCode::OK, view))
        })
        .await
    }
}

/// Query-string parameters whose parse failures use the one error shape.
pub struct Query<T>(pub T);

impl<T: DeserializeOwned, S: Send + Sync> FromRequestParts<S> for Query<T> {
    type Rejection = ApiError;

    async fn from_request_parts(parts: &mut Parts, _state: &S) -> Result<Self, Self::Rejection> {
        let raw = parts.uri.query().unwrap_or("");
        decoded_pairs(raw, false)?;
        serde_urlencoded::from_str(raw)
            .map(Query)
            .map_err(|e| ApiError::bad_request(format!("invalid query string: {e}")))
    }
}

/// Path parameters whose failures (invalid UTF-8 in a `%`-escape, a
/// control character, a wrong type) answer 404 in the one error shape:
/// such a path names nothing that exists.
pub struct Path<T>(pub T);

impl<T: DeserializeOwned + Send, S: Send + Sync> FromRequestParts<S> for Path<T> {
    type Rejection = ApiError;

    async fn from_request_parts(parts: &mut Parts, state: &S) -> Result<Self, Self::Rejection> {
        let axum::extract::Path(raw) =
            axum::extract::Path::<Vec<(String, String)>>::from_request_parts(parts, state)
                .await
                .map_err(|_| ApiError::not_found("resource"))?;
        if raw
            .iter()
            .any(|(_, v)| haven_domain::text::forbidden_char(v, false).is_some())
        {
            return Err(ApiError::not_found("resource"));
        }
        axum::extract::Path::<T>::from_request_parts(parts, state)
            .await
            .map(|axum::extract::Path(value)| Path(value))
            .map_err(|_| ApiError::not_found("resource"))
    }
}

/// The same for dispute actions: caller, dispute id, parsed body, key.
pub struct DisputeCall<Req> {
    pub app: Arc<App>,
    pub actor: Actor,
    pub dispute_id: haven_domain::ids::DisputeId,
    pub body: Req,
    pub idem: Option<Idem>,
}

impl<Req: DeserializeOwned + Send> FromRequest<Arc<App>> for DisputeCall<Req> {
    type Rejection = ApiError;

    async fn from_request(req: Request, app: &Arc<App>) -> Result<Self, Self::Rejection> {
        let (mut parts, body) = req.into_parts();
        let Auth(actor) = Auth::from_request_parts(&mut parts, app).await?;
        let path = parts.uri.path().to_string();
        let raw_id = path
            .trim_start_matches("/api/v1/disputes/")
            .split('/')
            .next()
            .unwrap_or_default();
        let dispute_id = path_id(raw_id, "dispute")?;
        let RawBody(bytes) =
            RawBody::from_request(Request::from_parts(parts.clone(), body), app).await?;
        let parsed = parse_json(&bytes)?;
        let idem = idempotency(&actor, &parts.headers, &format!("POST {path}"), &bytes)?;
        Ok(DisputeCall {
            app: app.clone(),
            actor,
            dispute_id,
            body: parsed,
            idem,
        })
    }
}

impl<Req> DisputeCall<Req> {
    /// Run the action once per Idempotency-Key and render the dispute.
    pub async fn run<F, Fut, E>(self, status: StatusCode, action: F) -> Response
    where
        F: FnOnce(Arc<App>, Actor, haven_domain::ids::DisputeId, Req, Option<Idem>) -> Fut,
        Fut: Future<Output = Result<haven_domain::dispute::Dispute, E>>,
        E: Into<ApiError>,
    {
        let DisputeCall {
            app,
            actor,
            dispute_id,
            body,
            idem,
        } = self;
        let replay_key = idem.clone();
        let worker = app.clone();
        let viewer = actor.clone();
        idempotent(&app, &viewer, replay_key, status, async move {
            let dispute = action(worker.clone(), actor.clone(), dispute_id, body, idem)
                .await
                .map_err(Into::into)?;
            let order = worker.order(dispute.order_id).await?;
            let policy = worker.policy(order.policy_version).await?;
            let view =
                crate::views::DisputeView::seen_by(&dispute, &order, &policy, &actor, worker.now());
            Ok((status, view))
        })
        .await
    }
}

/// Parse a path id, answering 404 (not 400) for ids that cannot exist.
pub fn path_id<T: std::str::FromStr>(raw: &str, what: &str) -> ApiResult<T> {
    raw.parse().map_err(|_| ApiError::not_found(what))
}
