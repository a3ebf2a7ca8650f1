//! CSRF protection for the web pages: a random token in an `HttpOnly`,
//! `SameSite=Lax` cookie, which every POST must echo in a `csrf` form field
//! (or, for file uploads, the `csrf` query parameter). A page on another
//! site can make the browser send the cookie but cannot read it, so it
//! cannot echo it. The token reaches templates through a task-local, so
//! every page's `Layout` carries it without threading it by hand.

use std::sync::Arc;

use axum::body::Body;
use axum::extract::{Request, State};
use axum::http::{HeaderValue, Method, header};
use axum::middleware::Next;
use axum::response::{IntoResponse, Response};

use super::WebError;
use crate::error::ApiError;
use haven_app::App;

pub const COOKIE: &str = "haven_csrf";

tokio::task_local! {
    static TOKEN: String;
}

/// The token for forms on the page being rendered.
pub fn current_token() -> String {
    TOKEN.try_with(Clone::clone).unwrap_or_default()
}

fn cookie_token(request: &Request) -> Option<String> {
    let cookies = request.headers().get(header::COOKIE)?.to_str().ok()?;
    cookies.split(';').find_map(|pair| {
        let (name, value) = pair.trim().split_once('=')?;
        (name == COOKIE && value.len() == 64 && value.bytes().all(|b| b.is_ascii_hexdigit()))
            .then(|| value.to_string())
    })
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

pub async fn protect(State(app): State<Arc<App>>, request: Request, next: Next) -> Response {
    let existing = cookie_token(&request);
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
    let mut response = TOKEN.scope(token.clone(), next.run(request)).await;
    if existing.is_none() {
        let secure = if app.config.secure_cookies {
            "; Secure"
        } else {
            ""
        };
        let cookie = format!("{COOKIE}={token}; Path=/; HttpOnly; SameSite=Lax{secure}");
        if let Ok(value) = HeaderValue::from_str(&cookie) {
            response.headers_mut().append(header::SET_COOKIE, value);
        }
    }
    response
}

/// The POST must carry the cookie's token; the body is read (bounded) and
/// handed on untouched.
async fn check(
    request: Request,
    expected: Option<&str>,
    max_body: usize,
) -> Result<Request, Response> {
    let expected = expected.ok_or_else(refused)?;
    if let Some(given) = request.uri().query().and_then(|q| field(q, "csrf")) {
        return if same(&given, expected) {
            Ok(request)
        } else {
            Err(refused())
        };
    }
    let is_form = request
        .headers()
        .get(header::CONTENT_TYPE)
        .and_then(|v| v.to_str().ok())
        .is_some_and(|v| v.starts_with("application/x-www-form-urlencoded"));
    if !is_form {
        return Err(refused());
    }
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
