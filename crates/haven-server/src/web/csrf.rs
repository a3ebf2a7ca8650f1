//! What every page request shares, set up by one middleware:
//!
//! - **CSRF protection**: a random token in an `HttpOnly`, `SameSite=Lax`
//!   cookie, which every POST must echo in a `csrf` form field. A page on
//!   another site can make the browser send the cookie but cannot read it,
//!   so it cannot echo it. For a file upload (`multipart/form-data`) the
//!   field must come first: the middleware reads only that first part, then
//!   hands the body on as a stream, so a 50 MiB video is never held whole
//!   and the token never travels in a URL. The token is replaced at every
//!   login and logout, so one planted before sign-in is worthless after.
//! - **Flash messages**: an action answers with a redirect (POST, then
//!   redirect, then GET, so a reload never repeats it) and leaves a short
//!   message in a cookie, shown once on the next page.
//! - **No caching** of pages a signed-in visitor sees.
//!
//! The token and the message reach templates through a task-local, so every
//! page's `Layout` carries them without threading them by hand.

use std::sync::Arc;

use axum::body::{Body, Bytes};
use axum::extract::{Request, State};
use axum::http::{HeaderMap, HeaderValue, Method, header};
use axum::middleware::Next;
use axum::response::{IntoResponse, Response};
use futures::StreamExt;
use haven_app::App;

use super::WebError;
use crate::error::ApiError;

pub const COOKIE: &str = "haven_csrf";
pub const FLASH_COOKIE: &str = "haven_flash";
/// The longest first part (the token field) read before giving up.
const MAX_FIRST_PART_BYTES: usize = 8 * 1024;
const MAX_FLASH_CHARS: usize = 300;

#[derive(Clone, Default)]
struct PageContext {
    csrf: String,
    flash: Option<Flash>,
    /// The visitor's unread notices, for the bell: set once the visitor is
    /// known (the extractor runs inside this context).
    unread: Arc<std::sync::atomic::AtomicU32>,
    /// The language the page is written in (the visitor's choice, else
    /// `Accept-Language`).
    locale: haven_domain::locale::Locale,
    /// The page's own path and query, for forms that come back to it.
    here: String,
}

tokio::task_local! {
    static CONTEXT: PageContext;
}

/// The token for forms on the page being rendered.
pub fn current_token() -> String {
    CONTEXT.try_with(|c| c.csrf.clone()).unwrap_or_default()
}

/// The signed-in visitor's unread notices (0 for anyone else).
pub fn current_unread() -> u32 {
    CONTEXT
        .try_with(|c| c.unread.load(std::sync::atomic::Ordering::Relaxed))
        .unwrap_or(0)
}

/// The language of the page being rendered (English outside a page).
pub fn current_locale() -> haven_domain::locale::Locale {
    CONTEXT.try_with(|c| c.locale).unwrap_or_default()
}

/// The path (and query) of the page being rendered.
pub fn current_path() -> String {
    CONTEXT.try_with(|c| c.here.clone()).unwrap_or_default()
}

pub fn set_unread(count: u32) {
    let _ = CONTEXT.try_with(|c| c.unread.store(count, std::sync::atomic::Ordering::Relaxed));
}

/// A one-time message from the action before this page: what it did, or
/// why it was refused (drawn as an alert, not as a success).
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Flash {
    pub message: String,
    pub refusal: bool,
}

/// Marks a refusal inside the flash cookie.
const REFUSAL_MARK: &str = "r|";

/// Set on a response (by [`super::WebError::Back`]) that should carry a
/// refusal to the page it redirects to; the middleware turns it into the
/// cookie, as only it knows the cookie attributes.
#[derive(Clone)]
pub struct RefusalForNextPage(pub String);

/// The message an earlier action left for this page, if any.
pub fn current_flash() -> Option<Flash> {
    CONTEXT.try_with(|c| c.flash.clone()).ok().flatten()
}

/// The cookie a visitor's language choice is kept in.
pub const LANGUAGE_COOKIE: &str = "haven_lang";

/// The visitor's own choice of language, else the best their browser asks
/// for (`Accept-Language`), else English.
fn page_locale(headers: &HeaderMap) -> haven_domain::locale::Locale {
    cookie_value(headers, LANGUAGE_COOKIE)
        .and_then(|tag| haven_domain::locale::Locale::parse(&tag))
        .or_else(|| {
            headers
                .get(header::ACCEPT_LANGUAGE)
                .and_then(|v| v.to_str().ok())
                .map(haven_domain::locale::Locale::from_accept_language)
        })
        .unwrap_or_default()
}

pub(crate) fn cookie_value(headers: &HeaderMap, name: &str) -> Option<String> {
    let cookies = headers.get(header::COOKIE)?.to_str().ok()?;
    cookies.split(';').find_map(|pair| {
        let (key, value) = pair.trim().split_once('=')?;
        (key == name).then(|| value.to_string())
    })
}

fn cookie_token(headers: &HeaderMap) -> Option<String> {
    cookie_value(headers, COOKIE)
        .filter(|value| value.len() == 64 && value.bytes().all(|b| b.is_ascii_hexdigit()))
}

fn read_flash(headers: &HeaderMap) -> Option<Flash> {
    let raw = cookie_value(headers, FLASH_COOKIE)?;
    let decoded: Vec<(String, String)> = serde_urlencoded::from_str(&format!("m={raw}")).ok()?;
    let (_, message) = decoded.into_iter().next()?;
    let (message, refusal) = match message.strip_prefix(REFUSAL_MARK) {
        Some(rest) => (rest.to_string(), true),
        None => (message, false),
    };
    let message: String = message.chars().take(MAX_FLASH_CHARS).collect();
    (!message.is_empty()).then_some(Flash { message, refusal })
}

fn same(a: &str, b: &str) -> bool {
    a.len() == b.len()
        && a.bytes()
            .zip(b.bytes())
            .fold(0_u8, |acc, (x, y)| acc | (x ^ y))
            == 0
}

fn field(pairs: &str, name: &str) -> Option<String> {
    serde_urlencoded::from_str::<Vec<(String, String)>>(pairs)
        .ok()?
        .into_iter()
        .find(|(k, _)| k == name)
        .map(|(_, v)| v)
}

fn refused() -> Response {
    WebError::Page(ApiError::new(
        haven_app::ErrorKind::CsrfFailed,
        "This form has expired or did not come from Haven. Go back, reload the page and try again.",
    ))
    .into_response()
}

fn secure_suffix(app: &App) -> &'static str {
    if app.config.secure_cookies {
        "; Secure"
    } else {
        ""
    }
}

/// A fresh CSRF cookie: set at login and logout, so a token an attacker
/// planted (or read) before sign-in is worthless after it.
pub fn rotated_cookie(app: &App) -> String {
    let token = haven_app::auth::new_token().0;
    format!(
        "{COOKIE}={token}; Path=/; HttpOnly; SameSite=Lax{}",
        secure_suffix(app)
    )
}

/// The listings this browser viewed, newest first (at most
/// [`RECENT_MAX`]), as the listing page writes them.
pub const RECENT_COOKIE: &str = "haven_recent";
pub const RECENT_MAX: usize = 8;

pub fn recently_viewed(headers: &HeaderMap) -> Vec<haven_domain::ids::ListingId> {
    cookie_value(headers, RECENT_COOKIE)
        .unwrap_or_default()
        .split('.')
        .filter_map(haven_domain::ids::ListingId::parse)
        .take(RECENT_MAX)
        .collect()
}

/// `viewed` first, then the others it had, for 30 days.
pub fn recent_cookie(
    app: &App,
    viewed: haven_domain::ids::ListingId,
    before: &[haven_domain::ids::ListingId],
) -> String {
    let ids: Vec<String> = std::iter::once(viewed)
        .chain(before.iter().copied().filter(|id| *id != viewed))
        .take(RECENT_MAX)
        .map(|id| id.to_string())
        .collect();
    format!(
        "{RECENT_COOKIE}={}; Path=/; HttpOnly; SameSite=Lax; Max-Age=2592000{}",
        ids.join("."),
        secure_suffix(app)
    )
}

/// A one-time message for the next page the visitor sees.
pub fn flash_cookie(app: &App, message: &str) -> String {
    flash_cookie_of(app, message, false)
}

fn flash_cookie_of(app: &App, message: &str, refusal: bool) -> String {
    let mark = if refusal { REFUSAL_MARK } else { "" };
    let short: String = std::iter::once(mark)
        .flat_map(str::chars)
        .chain(message.chars().take(MAX_FLASH_CHARS))
        .collect();
    let encoded = serde_urlencoded::to_string([("m", short.as_str())]).unwrap_or_default();
    format!(
        "{FLASH_COOKIE}={}; Path=/; HttpOnly; SameSite=Lax; Max-Age=120{}",
        encoded.trim_start_matches("m="),
        secure_suffix(app)
    )
}

/// Redirect after an action, leaving `message` for the next page.
pub fn redirect_with_flash(app: &App, to: &str, message: &str) -> Response {
    let mut response = axum::response::Redirect::to(to).into_response();
    if let Ok(value) = HeaderValue::from_str(&flash_cookie(app, message)) {
        response.headers_mut().append(header::SET_COOKIE, value);
    }
    response
}

/// Redirect after a refused action, back to where it can be put right,
/// with the reason shown there as an alert.
pub fn redirect_with_refusal(app: &App, to: &str, reason: &str) -> Response {
    let mut response = axum::response::Redirect::to(to).into_response();
    if let Ok(value) = HeaderValue::from_str(&flash_cookie_of(app, reason, true)) {
        response.headers_mut().append(header::SET_COOKIE, value);
    }
    response
}

fn is_page(response: &Response) -> bool {
    response
        .headers()
        .get(header::CONTENT_TYPE)
        .and_then(|v| v.to_str().ok())
        .is_some_and(|v| v.starts_with("text/html"))
}

fn sets_cookie(response: &Response, name: &str) -> bool {
    let prefix = format!("{name}=");
    response
        .headers()
        .get_all(header::SET_COOKIE)
        .iter()
        .filter_map(|v| v.to_str().ok())
        .any(|v| v.starts_with(&prefix))
}

pub async fn protect(State(app): State<Arc<App>>, request: Request, next: Next) -> Response {
    let existing = cookie_token(request.headers());
    let flash = read_flash(request.headers());
    let signed_in = cookie_value(request.headers(), crate::api::extract::SESSION_COOKIE).is_some();
    let has_device = cookie_value(request.headers(), crate::api::extract::DEVICE_COOKIE).is_some();
    let token = existing
        .clone()
        .unwrap_or_else(|| haven_app::auth::new_token().0);
    let request = if request.method() == Method::POST {
        match check(request, existing.as_deref(), app.config.max_body_bytes).await {
            Ok(request) => request,
            Err(response) => return response,
        }
    } else {
        request
    };
    let locale = page_locale(request.headers());
    // A page drawn in answer to a POST (a refused form) is the page the
    // form was on: switching language from it goes back there, not to a
    // path that only takes POSTs.
    let here = if request.method() == Method::POST {
        super::referer_path(request.headers()).unwrap_or_else(|| "/".into())
    } else {
        request
            .uri()
            .path_and_query()
            .map(|p| p.as_str().to_string())
            .unwrap_or_default()
    };
    let context = PageContext {
        csrf: token.clone(),
        flash: flash.clone(),
        unread: Arc::default(),
        locale,
        here,
    };
    let mut response = CONTEXT.scope(context, next.run(request)).await;
    if let Some(RefusalForNextPage(reason)) = response.extensions_mut().remove()
        && let Ok(value) = HeaderValue::from_str(&flash_cookie_of(&app, &reason, true))
    {
        response.headers_mut().append(header::SET_COOKIE, value);
    }
    response.headers_mut().append(
        header::VARY,
        header::HeaderValue::from_static("accept-language, cookie"),
    );
    finish(
        &app,
        &mut response,
        existing.is_none(),
        &token,
        flash.is_some(),
        signed_in,
    );
    if !has_device {
        set_device_cookie(&app, &mut response);
    }
    response
}

/// A long-lived, random device id for the fraud checks (many cards or
/// accounts from one browser). It identifies a browser, not a person, and
/// carries nothing else.
fn set_device_cookie(app: &App, response: &mut Response) {
    let cookie = format!(
        "{}={}; Path=/; HttpOnly; SameSite=Lax; Max-Age=31536000{}",
        crate::api::extract::DEVICE_COOKIE,
        uuid::Uuid::new_v4().simple(),
        secure_suffix(app)
    );
    if let Ok(value) = HeaderValue::from_str(&cookie) {
        response.headers_mut().append(header::SET_COOKIE, value);
    }
}

/// Cookies and cache headers on the way out.
fn finish(
    app: &App,
    response: &mut Response,
    new_token: bool,
    token: &str,
    had_flash: bool,
    signed_in: bool,
) {
    let mut cookies = Vec::new();
    // Only a page can carry the token in a form. A picture or stylesheet
    // that set one too would race the page it belongs to: a browser with
    // no cookie yet fetches both, and whichever answer lands last wins, so
    // the page's forms could carry a token the cookie no longer holds.
    if new_token && is_page(response) && !sets_cookie(response, COOKIE) {
        cookies.push(format!(
            "{COOKIE}={token}; Path=/; HttpOnly; SameSite=Lax{}",
            secure_suffix(app)
        ));
    }
    // Shown once: a page that used the message clears it.
    if had_flash && !sets_cookie(response, FLASH_COOKIE) && !response.status().is_redirection() {
        cookies.push(format!(
            "{FLASH_COOKIE}=; Path=/; HttpOnly; SameSite=Lax; Max-Age=0{}",
            secure_suffix(app)
        ));
    }
    for cookie in cookies {
        if let Ok(value) = HeaderValue::from_str(&cookie) {
            response.headers_mut().append(header::SET_COOKIE, value);
        }
    }
    let signs_in = sets_cookie(response, crate::api::extract::SESSION_COOKIE);
    if (signed_in || signs_in) && !response.headers().contains_key(header::CACHE_CONTROL) {
        response
            .headers_mut()
            .insert(header::CACHE_CONTROL, HeaderValue::from_static("no-store"));
    }
}

/// The POST must carry the cookie's token: in the body of a form, or as the
/// first part of a file upload. Anything else is refused.
async fn check(
    request: Request,
    expected: Option<&str>,
    max_body: usize,
) -> Result<Request, Response> {
    let expected = expected.ok_or_else(refused)?;
    let content_type = request
        .headers()
        .get(header::CONTENT_TYPE)
        .and_then(|v| v.to_str().ok())
        .unwrap_or("")
        .to_string();
    if content_type.starts_with("application/x-www-form-urlencoded") {
        return check_form(request, expected, max_body).await;
    }
    if let Some(boundary) = multipart_boundary(&content_type) {
        return check_multipart(request, expected, &boundary).await;
    }
    Err(refused())
}

async fn check_form(
    request: Request,
    expected: &str,
    max_body: usize,
) -> Result<Request, Response> {
    let (parts, body) = request.into_parts();
    let bytes = axum::body::to_bytes(body, max_body).await.map_err(|_| {
        WebError::Page(ApiError::new(
            haven_app::ErrorKind::BodyTooLarge,
            "that form is too large",
        ))
        .into_response()
    })?;
    let given = field(std::str::from_utf8(&bytes).unwrap_or(""), "csrf").ok_or_else(refused)?;
    if !same(&given, expected) {
        return Err(refused());
    }
    Ok(Request::from_parts(parts, Body::from(bytes)))
}

fn multipart_boundary(content_type: &str) -> Option<String> {
    let rest = content_type.strip_prefix("multipart/form-data")?;
    rest.split(';').find_map(|param| {
        let (key, value) = param.trim().split_once('=')?;
        (key.eq_ignore_ascii_case("boundary"))
            .then(|| value.trim_matches('"').to_string())
            .filter(|b| !b.is_empty() && b.len() <= 200)
    })
}

/// What the first part of a multipart body says, once enough has arrived:
/// `Some(Ok((name, value)))`, `Some(Err(()))` when it cannot be a field, or
/// `None` to read more.
fn first_part(head: &[u8], boundary: &str) -> Option<Result<(String, String), ()>> {
    let opening = format!("--{boundary}\r\n");
    if head.len() < opening.len() {
        return None;
    }
    if !head.starts_with(opening.as_bytes()) {
        return Some(Err(()));
    }
    let rest = &head[opening.len()..];
    let headers_end = find(rest, b"\r\n\r\n")?;
    let headers = std::str::from_utf8(&rest[..headers_end])
        .map_err(|_| ())
        .ok()?;
    let value_start = headers_end + 4;
    let closing = format!("\r\n--{boundary}");
    let value_len = find(&rest[value_start..], closing.as_bytes())?;
    let value = std::str::from_utf8(&rest[value_start..value_start + value_len]).ok()?;
    let name = headers.lines().find_map(|line| {
        let lower = line.to_ascii_lowercase();
        lower.starts_with("content-disposition:").then(|| {
            line.split(';').find_map(|p| {
                p.trim()
                    .strip_prefix("name=")
                    .map(|n| n.trim_matches('"').to_string())
            })
        })?
    });
    Some(name.map(|n| (n, value.to_string())).ok_or(()))
}

fn find(haystack: &[u8], needle: &[u8]) -> Option<usize> {
    haystack.windows(needle.len()).position(|w| w == needle)
}

async fn check_multipart(
    request: Request,
    expected: &str,
    boundary: &str,
) -> Result<Request, Response> {
    let (parts, body) = request.into_parts();
    let mut stream = body.into_data_stream();
    let mut head: Vec<u8> = Vec::new();
    let verdict = loop {
        if let Some(verdict) = first_part(&head, boundary) {
            break verdict;
        }
        if head.len() > MAX_FIRST_PART_BYTES {
            break Err(());
        }
        match stream.next().await {
            Some(Ok(chunk)) => head.extend_from_slice(&chunk),
            _ => break Err(()),
        }
    };
    match verdict {
        Ok((name, value)) if name == "csrf" && same(&value, expected) => {}
        _ => return Err(refused()),
    }
    let replay = futures::stream::once(async move { Ok::<Bytes, axum::Error>(Bytes::from(head)) });
    let body = Body::from_stream(replay.chain(stream));
    Ok(Request::from_parts(parts, body))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_first_multipart_field_is_read_when_it_has_arrived() {
        let body = b"--XyZ\r\nContent-Disposition: form-data; name=\"csrf\"\r\n\r\nabc123\r\n--XyZ\r\nContent-Disposition: form-data; name=\"file\"; filename=\"a.png\"\r\n\r\n...";
        assert_eq!(
            first_part(body, "XyZ"),
            Some(Ok(("csrf".to_string(), "abc123".to_string())))
        );
        assert_eq!(first_part(&body[..20], "XyZ"), None, "needs more bytes");
        assert_eq!(first_part(b"--Other\r\n...", "XyZ"), Some(Err(())));
        assert_eq!(
            multipart_boundary("multipart/form-data; boundary=\"XyZ\""),
            Some("XyZ".into())
        );
        assert_eq!(multipart_boundary("text/plain"), None);
    }

    #[test]
    fn flash_messages_survive_the_cookie_round_trip() {
        let mut headers = HeaderMap::new();
        let message = "Payout requested: $12.00 is on its way; café";
        let encoded = serde_urlencoded::to_string([("m", message)]).unwrap();
        let cookie = format!("{FLASH_COOKIE}={}", encoded.trim_start_matches("m="));
        headers.insert(header::COOKIE, HeaderValue::from_str(&cookie).unwrap());
        let flash = read_flash(&headers).unwrap();
        assert_eq!((flash.message.as_str(), flash.refusal), (message, false));
    }

    #[test]
    fn a_refusal_comes_back_marked_as_one() {
        let app_cookie = |refusal| {
            let encoded = serde_urlencoded::to_string([(
                "m",
                format!(
                    "{}Not enough stock",
                    if refusal { REFUSAL_MARK } else { "" }
                ),
            )])
            .unwrap();
            let mut headers = HeaderMap::new();
            let cookie = format!("{FLASH_COOKIE}={}", encoded.trim_start_matches("m="));
            headers.insert(header::COOKIE, HeaderValue::from_str(&cookie).unwrap());
            read_flash(&headers).unwrap()
        };
        assert!(app_cookie(true).refusal);
        assert_eq!(app_cookie(true).message, "Not enough stock");
        assert!(!app_cookie(false).refusal);
    }
}
