//! Log in, register, log out (cookie sessions).

use askama::Template;
use axum::extract::{Query, State};
use axum::http::header;
use axum::response::{IntoResponse, Redirect};
use haven_domain::account::{Role, SessionKind};
use serde::Deserialize;

use super::{AppState, Layout, WebResult, parse_form, render, safe_next};
use crate::api::extract::{RawBody, SESSION_COOKIE, session_token};
use crate::service::Registration;

#[derive(Template)]
#[template(path = "auth.html")]
struct AuthPage {
    layout: Layout,
    heading: &'static str,
    action: &'static str,
    register: bool,
    next: String,
    email: String,
    error: Option<String>,
}

#[derive(Deserialize)]
pub struct NextQuery {
    next: Option<String>,
}

fn page(
    app: &crate::App,
    register: bool,
    next: String,
    email: String,
    error: Option<String>,
) -> axum::response::Response {
    let (heading, action) = if register {
        ("Create your account", "/register")
    } else {
        ("Log in", "/login")
    };
    render(&AuthPage {
        layout: Layout::new(app, None, heading),
        heading,
        action,
        register,
        next,
        email,
        error,
    })
}

pub async fn login_form(State(app): AppState, Query(q): Query<NextQuery>) -> WebResult {
    Ok(page(
        &app,
        false,
        safe_next(q.next.as_deref().unwrap_or("/")),
        String::new(),
        None,
    ))
}

pub async fn register_form(State(app): AppState, Query(q): Query<NextQuery>) -> WebResult {
    Ok(page(
        &app,
        true,
        safe_next(q.next.as_deref().unwrap_or("/")),
        String::new(),
        None,
    ))
}

#[derive(Deserialize)]
pub struct LoginForm {
    email: String,
    password: String,
    #[serde(default)]
    next: String,
}

fn session_cookie(app: &crate::App, token: &str, max_age_s: i64) -> String {
    let secure = if app.config.secure_cookies {
        "; Secure"
    } else {
        ""
    };
    format!("{SESSION_COOKIE}={token}; Path=/; HttpOnly; SameSite=Lax; Max-Age={max_age_s}{secure}")
}

async fn start_session(
    app: &crate::App,
    email: &str,
    password: &str,
    next: &str,
) -> Result<axum::response::Response, crate::error::ApiError> {
    let (_, token, session) = app.login(email, password, SessionKind::Web).await?;
    let max_age_s = (session.expires_at - session.created_at).get_seconds();
    let cookie = session_cookie(app, &token, max_age_s);
    Ok((
        [(header::SET_COOKIE, cookie)],
        Redirect::to(&safe_next(next)),
    )
        .into_response())
}

pub async fn login(State(app): AppState, RawBody(body): RawBody) -> WebResult {
    let form: LoginForm = parse_form(&body)?;
    match start_session(&app, &form.email, &form.password, &form.next).await {
        Ok(response) => Ok(response),
        Err(err) => Ok((
            err.status,
            page(
                &app,
                false,
                safe_next(&form.next),
                form.email,
                Some(err.message),
            ),
        )
            .into_response()),
    }
}

#[derive(Deserialize)]
pub struct RegisterForm {
    email: String,
    password: String,
    display_name: String,
    #[serde(default)]
    role: String,
    #[serde(default)]
    next: String,
}

pub async fn register(State(app): AppState, RawBody(body): RawBody) -> WebResult {
    let form: RegisterForm = parse_form(&body)?;
    let roles = if form.role == "seller" {
        vec![Role::Buyer, Role::Seller]
    } else {
        vec![Role::Buyer]
    };
    let registration = Registration {
        email: form.email.clone(),
        password: form.password.clone(),
        display_name: form.display_name.clone(),
        roles,
    };
    if let Err(err) = app.register(registration).await {
        return Ok((
            err.status,
            page(
                &app,
                true,
                safe_next(&form.next),
                form.email,
                Some(err.message),
            ),
        )
            .into_response());
    }
    let next = if form.role == "seller" {
        "/seller".to_string()
    } else {
        form.next.clone()
    };
    Ok(start_session(&app, &form.email, &form.password, &next).await?)
}

pub async fn logout(State(app): AppState, headers: axum::http::HeaderMap) -> WebResult {
    if let Some(token) = session_token(&headers) {
        app.logout(&token).await?;
    }
    let expired = session_cookie(&app, "", 0);
    Ok(([(header::SET_COOKIE, expired)], Redirect::to("/")).into_response())
}
