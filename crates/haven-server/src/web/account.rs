//! Log in (with a second factor when 2FA is on), register, log out, reset a
//! forgotten password, confirm an email, and the account security page:
//! sessions, 2FA, password, email and (for sellers) the payout account and
//! identity document. Sensitive changes need a recent "confirm it's you".

use super::Query;
use askama::Template;
use axum::extract::State;
use axum::http::header;
use axum::response::{IntoResponse, Redirect, Response};
use haven_domain::account::{IdentityStatus, Role, Session, SessionKind};
use serde::Deserialize;

use super::OrBack;
use super::{
    AppState, Layout, Member, WebError, WebResult, filters, parse_form, render, safe_next,
};
use crate::api::extract::{Client, RawBody, SESSION_COOKIE, session_token};
use crate::error::ApiError;
use haven_app::{Actor, App, ClientInfo, LoginOutcome, Registration, session_public_id};

#[derive(Template)]
#[template(path = "auth.html")]
struct AuthPage {
    layout: Layout,
    heading: &'static str,
    action: &'static str,
    register: bool,
    next: String,
    email: String,
    /// Registration only: the name typed.
    display_name: String,
    error: Option<String>,
    /// A registration refused about one field, shown next to it.
    field_error: Option<(String, String)>,
    /// This network is blocked: an account with 2FA may still sign in with
    /// its code.
    ask_code: bool,
}

#[derive(Deserialize)]
pub struct NextQuery {
    next: Option<String>,
}

fn page(app: &App, register: bool, next: String, email: String, error: Option<String>) -> AuthPage {
    let (heading, action) = if register {
        ("Create your account", "/register")
    } else {
        ("Log in", "/login")
    };
    AuthPage {
        layout: Layout::new(app, None, heading),
        heading,
        action,
        register,
        next,
        email,
        display_name: String::new(),
        error,
        field_error: None,
        ask_code: false,
    }
}

impl AuthPage {
    fn error_for(&self, name: &str) -> Option<&str> {
        self.field_error
            .as_ref()
            .filter(|(f, _)| f == name)
            .map(|(_, m)| m.as_str())
    }
}

pub async fn login_form(State(app): AppState, Query(q): Query<NextQuery>) -> WebResult {
    let next = safe_next(q.next.as_deref().unwrap_or("/"));
    Ok(render(&page(&app, false, next, String::new(), None)))
}

pub async fn register_form(State(app): AppState, Query(q): Query<NextQuery>) -> WebResult {
    let next = safe_next(q.next.as_deref().unwrap_or("/"));
    Ok(render(&page(&app, true, next, String::new(), None)))
}

#[derive(Deserialize)]
pub struct LoginForm {
    email: String,
    password: String,
    /// Only asked for when this network is blocked for too many failures.
    #[serde(default)]
    code: String,
    #[serde(default)]
    next: String,
}

/// The 2FA sign-in waiting for its code lives in this cookie, never in a
/// URL or a page: `POST /login` sets it and redirects to `/login/2fa`.
const CHALLENGE_COOKIE: &str = "haven_2fa";
const CHALLENGE_COOKIE_S: i64 = 300;

fn secure(app: &App) -> &'static str {
    if app.config.secure_cookies {
        "; Secure"
    } else {
        ""
    }
}

fn session_cookie(app: &App, token: &str, max_age_s: i64) -> String {
    format!(
        "{SESSION_COOKIE}={token}; Path=/; HttpOnly; SameSite=Lax; Max-Age={max_age_s}{}",
        secure(app)
    )
}

fn challenge_cookie(app: &App, challenge: &str, max_age_s: i64) -> String {
    format!(
        "{CHALLENGE_COOKIE}={challenge}; Path=/login; HttpOnly; SameSite=Lax; Max-Age={max_age_s}{}",
        secure(app)
    )
}

fn with_cookies(mut response: Response, cookies: &[String]) -> Response {
    for cookie in cookies {
        if let Ok(value) = axum::http::HeaderValue::from_str(cookie) {
            response.headers_mut().append(header::SET_COOKIE, value);
        }
    }
    response
}

/// A finished login: the session cookie, a fresh CSRF token, and on to
/// where the visitor was going.
fn signed_in(app: &App, token: &str, session: &Session, next: &str) -> Response {
    let max_age_s = (session.expires_at - session.created_at).get_seconds();
    with_cookies(
        Redirect::to(&safe_next(next)).into_response(),
        &[
            session_cookie(app, token, max_age_s),
            super::csrf::rotated_cookie(app),
            challenge_cookie(app, "", 0),
        ],
    )
}

#[derive(Template)]
#[template(path = "login_2fa.html")]
struct SecondFactorPage {
    layout: Layout,
    next: String,
    error: Option<String>,
}

/// A finished login sets the cookie; a login that needs 2FA keeps the
/// challenge in a short-lived cookie and redirects to the code form.
fn after_login(app: &App, outcome: LoginOutcome, next: &str) -> Response {
    match outcome {
        LoginOutcome::Session { token, session, .. } => signed_in(app, &token, &session, next),
        LoginOutcome::SecondFactor { challenge, .. } => {
            let to = format!("/login/2fa?next={}", super::urlencode(&safe_next(next)));
            with_cookies(
                Redirect::to(&to).into_response(),
                &[challenge_cookie(app, &challenge, CHALLENGE_COOKIE_S)],
            )
        }
    }
}

async fn start_session(
    app: &App,
    form: &LoginForm,
    next: &str,
    client: &ClientInfo,
) -> Result<Response, ApiError> {
    let code = Some(form.code.trim()).filter(|c| !c.is_empty());
    let outcome = app
        .login(&form.email, &form.password, code, SessionKind::Web, client)
        .await?;
    Ok(after_login(app, outcome, next))
}

pub async fn login(
    State(app): AppState,
    Client(client): Client,
    RawBody(body): RawBody,
) -> WebResult {
    let form: LoginForm = parse_form(&body)?;
    match start_session(&app, &form, &form.next, &client).await {
        Ok(response) => Ok(response),
        Err(err) => {
            let blocked = err.kind == haven_app::ErrorKind::TooManyAttempts;
            let mut page = page(
                &app,
                false,
                safe_next(&form.next),
                form.email,
                Some(err.message),
            );
            page.ask_code = blocked;
            Ok((crate::error::status_of(err.kind), render(&page)).into_response())
        }
    }
}

pub async fn second_factor_form(
    State(app): AppState,
    headers: axum::http::HeaderMap,
    Query(q): Query<NextQuery>,
) -> WebResult {
    let next = safe_next(q.next.as_deref().unwrap_or("/"));
    if challenge_from(&headers).is_none() {
        return Err(WebError::Redirect(format!(
            "/login?next={}",
            super::urlencode(&next)
        )));
    }
    Ok(render(&SecondFactorPage {
        layout: Layout::new(&app, None, "Two-factor authentication"),
        next,
        error: None,
    }))
}

fn challenge_from(headers: &axum::http::HeaderMap) -> Option<String> {
    let cookies = headers.get(header::COOKIE)?.to_str().ok()?;
    cookies.split(';').find_map(|pair| {
        let (name, value) = pair.trim().split_once('=')?;
        (name == CHALLENGE_COOKIE && value.len() == 64).then(|| value.to_string())
    })
}

#[derive(Deserialize)]
pub struct SecondFactorForm {
    code: String,
    #[serde(default)]
    next: String,
}

pub async fn login_second_factor(
    State(app): AppState,
    Client(client): Client,
    headers: axum::http::HeaderMap,
    RawBody(body): RawBody,
) -> WebResult {
    let form: SecondFactorForm = parse_form(&body)?;
    let next = safe_next(&form.next);
    let Some(challenge) = challenge_from(&headers) else {
        return Err(WebError::Redirect(format!(
            "/login?next={}",
            super::urlencode(&next)
        )));
    };
    match app
        .login_second_factor(&challenge, &form.code, &client)
        .await
    {
        Ok(outcome) => Ok(after_login(&app, outcome, &next)),
        // A wrong code keeps the challenge; an expired one starts over.
        Err(err) if err.kind == haven_app::ErrorKind::WrongSecondFactor => Ok((
            crate::error::status_of(err.kind),
            render(&SecondFactorPage {
                layout: Layout::new(&app, None, "Two-factor authentication"),
                next,
                error: Some(err.message),
            }),
        )
            .into_response()),
        Err(err) => {
            let page = page(&app, false, next, String::new(), Some(err.message));
            Ok(with_cookies(
                (crate::error::status_of(err.kind), render(&page)).into_response(),
                &[challenge_cookie(&app, "", 0)],
            ))
        }
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

pub async fn register(
    State(app): AppState,
    Client(client): Client,
    RawBody(body): RawBody,
) -> WebResult {
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
        let status = crate::error::status_of(err.kind);
        let refusal = super::FormRefusal::of(&err.into(), &["display_name", "email", "password"]);
        let mut page = page(
            &app,
            true,
            safe_next(&form.next),
            form.email,
            refusal.general,
        );
        page.field_error = refusal.field;
        page.display_name = form.display_name;
        return Ok((status, render(&page)).into_response());
    }
    let next = if form.role == "seller" {
        "/seller"
    } else {
        form.next.as_str()
    };
    let login = LoginForm {
        email: form.email,
        password: form.password,
        code: String::new(),
        next: next.to_string(),
    };
    Ok(start_session(&app, &login, next, &client).await?)
}

pub async fn logout(State(app): AppState, headers: axum::http::HeaderMap) -> WebResult {
    if let Some(token) = session_token(&headers) {
        app.logout(&token).await?;
    }
    Ok(with_cookies(
        super::csrf::redirect_with_flash(&app, "/", "You are logged out."),
        &[
            session_cookie(&app, "", 0),
            super::csrf::rotated_cookie(&app),
        ],
    ))
}

/// A one-screen message: "check your email", "done", "that link expired".
#[derive(Template)]
#[template(path = "notice.html")]
struct NoticePage {
    layout: Layout,
    heading: String,
    message: String,
    good: bool,
    /// Show the form for a new password, with this token.
    reset_token: Option<String>,
    /// Show the "email me a reset link" form.
    ask_email: bool,
    /// Why the new password was refused, shown beside it.
    password_error: Option<String>,
}

fn notice(app: &App, heading: &str, message: &str, good: bool) -> NoticePage {
    NoticePage {
        layout: Layout::new(app, None, heading),
        heading: heading.into(),
        message: message.into(),
        good,
        reset_token: None,
        ask_email: false,
        password_error: None,
    }
}

#[derive(Deserialize)]
pub struct SentQuery {
    #[serde(default)]
    sent: bool,
}

pub async fn forgot_form(State(app): AppState, Query(q): Query<SentQuery>) -> WebResult {
    if q.sent {
        let message = "If that email has an account, a reset link is on its way. It works once, for 30 minutes.";
        return Ok(render(&notice(&app, "Check your email", message, true)));
    }
    let mut page = notice(
        &app,
        "Forgot your password?",
        "We'll email you a link to set a new one.",
        true,
    );
    page.ask_email = true;
    Ok(render(&page))
}

#[derive(Deserialize)]
pub struct EmailForm {
    email: String,
}

pub async fn forgot(State(app): AppState, RawBody(body): RawBody) -> WebResult {
    let form: EmailForm = parse_form(&body)?;
    app.request_password_reset(&form.email).await?;
    Ok(Redirect::to("/forgot-password?sent=true").into_response())
}

#[derive(Deserialize)]
pub struct TokenQuery {
    #[serde(default)]
    token: String,
}

pub async fn reset_form(State(app): AppState, Query(q): Query<TokenQuery>) -> WebResult {
    let mut page = notice(
        &app,
        "Set a new password",
        "Choose a new password. Your other sessions will be signed out.",
        true,
    );
    page.reset_token = Some(q.token);
    Ok(render(&page))
}

#[derive(Deserialize)]
pub struct ResetForm {
    token: String,
    password: String,
}

pub async fn reset(State(app): AppState, RawBody(body): RawBody) -> WebResult {
    let form: ResetForm = parse_form(&body)?;
    match app.reset_password(&form.token, &form.password).await {
        Ok(()) => Ok(super::csrf::redirect_with_flash(
            &app,
            "/login",
            "Password changed. Log in with your new password.",
        )),
        Err(err) if err.kind == haven_app::ErrorKind::Validation => {
            let mut page = notice(
                &app,
                "Set a new password",
                "Choose a new password. Your other sessions will be signed out.",
                true,
            );
            page.reset_token = Some(form.token);
            page.password_error = Some(err.message);
            Ok((crate::error::status_of(err.kind), render(&page)).into_response())
        }
        Err(err) => Ok((
            crate::error::status_of(err.kind),
            render(&notice(&app, "That link didn't work", &err.message, false)),
        )
            .into_response()),
    }
}

pub async fn verify_email(State(app): AppState, Query(q): Query<TokenQuery>) -> WebResult {
    match app.verify_email(&q.token).await {
        Ok(()) => Ok(render(&notice(
            &app,
            "Email confirmed",
            "Thank you: your email is confirmed.",
            true,
        ))),
        Err(err) => Ok((
            crate::error::status_of(err.kind),
            render(&notice(&app, "That link didn't work", &err.message, false)),
        )
            .into_response()),
    }
}

pub struct SessionRow {
    pub id: String,
    pub device: String,
    pub ip: String,
    pub last_seen_at: jiff::Timestamp,
    pub current: bool,
}

#[derive(Template)]
#[template(path = "security.html")]
struct SecurityPage {
    layout: Layout,
    email: String,
    email_verified: bool,
    totp_enabled: bool,
    recovery_codes_left: usize,
    step_up_fresh: bool,
    sessions: Vec<SessionRow>,
    is_seller: bool,
    payout_account: Option<String>,
    identity_status: &'static str,
    /// Shown while 2FA is being set up: QR code, key and recovery codes.
    totp_setup: Option<haven_app::TotpSetup>,
    /// Each group of notices, and whether it is emailed.
    email_settings: Vec<EmailSetting>,
    error: Option<String>,
    /// A refusal shown next to the input it is about: (input id, message).
    field_error: Option<(&'static str, String)>,
}

impl SecurityPage {
    fn error_for(&self, input: &str) -> Option<&str> {
        self.field_error
            .as_ref()
            .filter(|(id, _)| *id == input)
            .map(|(_, m)| m.as_str())
    }
}

/// The input on the account page a refused `action` is about: the field
/// the error names, else the form's main input (a wrong code is about the
/// code box even when the error names no field). None for buttons alone.
fn input_for(action: &str, field: Option<&str>) -> Option<&'static str> {
    Some(match (action, field) {
        ("2fa-disable", _) => "disable-code",
        ("2fa-enable", _) => "enable-code",
        ("password", Some("new_password" | "password")) => "new_password",
        ("password", _) => "current_password",
        ("email", _) => "new-email",
        ("payout-account", Some("holder")) => "holder",
        ("payout-account", _) => "iban",
        ("reauthenticate", _) => "reauth-password",
        ("close", Some("understood")) => "close-understood",
        ("close", _) => "close-password",
        ("identity", _) => "document",
        _ => return None,
    })
}

pub struct EmailSetting {
    pub key: &'static str,
    pub label: &'static str,
    pub on: bool,
}

fn identity_label(status: IdentityStatus) -> &'static str {
    match status {
        IdentityStatus::None => "not submitted",
        IdentityStatus::Pending => "waiting for review",
        IdentityStatus::Approved => "verified",
        IdentityStatus::Rejected => "not approved: upload a clearer document",
    }
}

async fn security_page(app: &App, actor: &Actor) -> Result<SecurityPage, WebError> {
    let current = actor.session.as_ref().map(|s| s.token_hash.clone());
    let sessions = app
        .sessions(actor)
        .await?
        .iter()
        .map(|s| SessionRow {
            id: session_public_id(s),
            device: s.user_agent.clone(),
            ip: s.ip.clone(),
            last_seen_at: s.last_seen_at,
            current: Some(&s.token_hash) == current.as_ref(),
        })
        .collect();
    let user = &actor.user;
    Ok(SecurityPage {
        layout: Layout::new(app, Some(actor), "Account security"),
        email: user.email.as_str().to_string(),
        email_verified: user.email_verified_at.is_some(),
        totp_enabled: user.totp.is_some(),
        recovery_codes_left: user.recovery_code_hashes.len(),
        step_up_fresh: app.require_step_up(actor).is_ok(),
        sessions,
        is_seller: user.has_role(Role::Seller),
        payout_account: user
            .payout_account
            .as_ref()
            .map(|a| format!("{} · {}", a.holder, a.masked())),
        identity_status: identity_label(user.identity.status),
        totp_setup: app.totp_setup(user)?,
        email_settings: haven_domain::notice::NoticeKind::ALL
            .into_iter()
            .map(|kind| EmailSetting {
                key: kind.as_str(),
                label: kind.label(),
                on: !user.email_off.contains(&kind),
            })
            .collect(),
        error: None,
        field_error: None,
    })
}

/// After an action: on success, back to the account page with a message
/// (POST, redirect, GET: a reload never repeats the action); on a refusal,
/// the page again with the reason, keeping its status.
async fn show_outcome(
    app: &App,
    actor: &Actor,
    action: &str,
    outcome: Result<String, ApiError>,
) -> WebResult {
    match outcome {
        Ok(message) => Ok(super::csrf::redirect_with_flash(app, "/account", &message)),
        Err(err) => {
            let mut page = security_page(app, actor).await?;
            // A conflict (say, an order still in progress) is about the
            // account, not about what was typed.
            let field = err.details.field.as_deref();
            let input = if err.status == axum::http::StatusCode::CONFLICT && field.is_none() {
                None
            } else {
                input_for(action, field)
            };
            match input {
                Some(input) => page.field_error = Some((input, err.message)),
                None => page.error = Some(err.message),
            }
            Ok((err.status, render(&page)).into_response())
        }
    }
}

pub async fn security(State(app): AppState, Member(actor): Member) -> WebResult {
    Ok(render(&security_page(&app, &actor).await?))
}

#[derive(Deserialize, Default)]
#[serde(default)]
pub struct SecurityForm {
    password: String,
    current_password: String,
    new_password: String,
    email: String,
    code: String,
    session: String,
    holder: String,
    iban: String,
    /// The "I understand" box on the close-account form.
    understood: String,
}

/// Every security form posts here with an `action`; one handler keeps the
/// redirect-and-message logic in one place.
pub async fn security_action(
    State(app): AppState,
    Member(actor): Member,
    super::Path(action): super::Path<String>,
    RawBody(body): RawBody,
) -> WebResult {
    let form: SecurityForm = parse_form(&body)?;
    if action == "close" {
        return close_account(&app, &actor, &form).await;
    }
    let outcome = run_action(&app, &actor, &action, &form).await;
    show_outcome(&app, &actor, &action, outcome).await
}

async fn run_action(
    app: &App,
    actor: &Actor,
    action: &str,
    form: &SecurityForm,
) -> Result<String, ApiError> {
    match action {
        "reauthenticate" => {
            let (password, code) = if form.code.is_empty() {
                (Some(form.password.as_str()), None)
            } else {
                (None, Some(form.code.as_str()))
            };
            app.reauthenticate(actor, password, code).await?;
            Ok("Confirmed. You can change sensitive settings for the next 10 minutes.".into())
        }
        "password" => {
            app.change_password(actor, &form.current_password, &form.new_password)
                .await?;
            Ok("Password changed. Your other sessions were signed out.".into())
        }
        "email" => {
            app.change_email(actor, &form.email).await?;
            Ok("Email changed. Check your new inbox for the confirmation link.".into())
        }
        "2fa-setup" => {
            app.begin_totp_setup(actor).await?;
            Ok(
                "Scan the code below with your authenticator app and save your recovery codes."
                    .into(),
            )
        }
        "2fa-enable" => {
            app.enable_totp(actor, &form.code).await?;
            Ok("Two-factor authentication is on. Keep your recovery codes somewhere safe.".into())
        }
        "2fa-disable" => {
            app.disable_totp(actor, &form.code).await?;
            Ok("Two-factor authentication is off.".into())
        }
        "sessions-revoke" => {
            app.revoke_session(actor, &form.session).await?;
            Ok("That session was signed out.".into())
        }
        "sessions-revoke-others" => {
            app.revoke_other_sessions(actor).await?;
            Ok("Every other session was signed out.".into())
        }
        "resend-verification" => {
            app.resend_verification(actor).await?;
            Ok("A new confirmation link is on its way.".into())
        }
        "payout-account" => {
            let account = app
                .set_payout_account(actor, &form.holder, &form.iban)
                .await?;
            Ok(format!("Payouts now go to {}.", account.masked()))
        }
        _ => Err(ApiError::not_found("action")),
    }
}

/// Close the account; on success the person is signed out, so they see a
/// plain page rather than their (now gone) account.
async fn close_account(app: &App, actor: &Actor, form: &SecurityForm) -> WebResult {
    let outcome = if form.understood.is_empty() {
        Err(ApiError::from(haven_app::error::AppError::invalid_field(
            "understood",
            "tick the box to confirm you understand that a closed account cannot be reopened",
        )))
    } else {
        app.close_account(actor, &form.password)
            .await
            .map_err(ApiError::from)
    };
    match outcome {
        Ok(_) => Ok(render(&notice(
            app,
            "Your account is closed",
            "Your personal data has been erased, and you have been signed out everywhere. Records the law requires Haven to keep (payments, and evidence in past disputes) stay, no longer linked to your name or email.",
            true,
        ))),
        Err(err) => show_outcome(app, actor, "close", Err(err)).await,
    }
}

/// The identity document comes as the raw body (`?csrf=` in the URL),
/// like the dispute evidence upload.
pub async fn identity_upload(
    State(app): AppState,
    Member(actor): Member,
    mut multipart: axum::extract::Multipart,
) -> WebResult {
    let mut bytes = Vec::new();
    while let Some(field) = multipart
        .next_field()
        .await
        .map_err(|e| ApiError::bad_request(format!("invalid upload: {e}")))?
    {
        if field.name() == Some("document") {
            bytes = field
                .bytes()
                .await
                .map_err(|e| ApiError::bad_request(format!("invalid upload: {e}")))?
                .to_vec();
        }
    }
    let outcome = app
        .submit_identity_document(&actor, bytes)
        .await
        .map(|()| "Thank you: an agent will review your document.".to_string())
        .map_err(ApiError::from);
    show_outcome(&app, &actor, "identity", outcome).await
}

/// The account page's email settings: a ticked box is an email wanted.
pub async fn email_settings(
    State(app): AppState,
    Member(actor): Member,
    RawBody(body): RawBody,
) -> WebResult {
    let fields: Vec<(String, String)> = parse_form(&body)?;
    let off = haven_domain::notice::NoticeKind::ALL
        .into_iter()
        .filter(|kind| !fields.iter().any(|(name, _)| name == kind.as_str()))
        .collect();
    app.set_email_off(&actor, off)
        .await
        .or_back("/account#emails")?;
    Ok(super::csrf::redirect_with_flash(
        &app,
        "/account#emails",
        "Email settings saved.",
    ))
}

/// "Download my data": the API's export, as a file.
pub async fn export(State(app): AppState, Member(actor): Member) -> WebResult {
    Ok(crate::api::privacy::download(&app, &actor).await?)
}

#[derive(serde::Deserialize)]
pub struct LanguageForm {
    lang: String,
    /// The page to go back to (a local path only).
    #[serde(default)]
    back: String,
}

/// The visitor picks the language of the pages: kept in a cookie for a
/// year, ahead of what the browser asks for. An unknown tag forgets the
/// choice, so the browser's own preference applies again.
pub async fn choose_language(State(app): AppState, RawBody(body): RawBody) -> WebResult {
    let form: LanguageForm = parse_form(&body)?;
    let (value, max_age_s) = match haven_domain::locale::Locale::parse(&form.lang) {
        Some(locale) => (locale.tag(), 31_536_000),
        None => ("", 0),
    };
    let back = safe_next(&form.back);
    let cookie = format!(
        "{}={value}; Path=/; SameSite=Lax; Max-Age={max_age_s}{}",
        super::csrf::LANGUAGE_COOKIE,
        secure(&app)
    );
    Ok(with_cookies(Redirect::to(&back).into_response(), &[cookie]))
}
