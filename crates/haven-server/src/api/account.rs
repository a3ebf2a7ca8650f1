//! Account security endpoints: second factor, password reset, email
//! verification, sessions, step-up, 2FA setup, identity review, payout
//! account, and the console's security flags.

use std::sync::Arc;

use axum::Json;
use axum::extract::State;
use axum::http::StatusCode;
use haven_domain::account::SessionKind;
use haven_domain::ids::UserId;
use serde::{Deserialize, Serialize};
use utoipa::ToSchema;

use super::extract::{Auth, Client, PageParams, Path, Query, RawBody, parse_json, path_id};
use crate::error::{ApiError, ApiResult, ErrorBody};
use crate::views::{PageView, SessionView, UserView};
use haven_app::{App, LoginOutcome, session_public_id};

type AppState = State<Arc<App>>;

/// A finished login as the API answers it; a pending second factor is a
/// 401 `second_factor_required` whose details carry the challenge.
pub fn session_or_challenge(outcome: LoginOutcome) -> ApiResult<Json<SessionView>> {
    match outcome {
        LoginOutcome::Session { user, token, session } => Ok(Json(SessionView { token, expires_at: session.expires_at.to_string(), user: UserView::from(&*user) })),
        LoginOutcome::SecondFactor { challenge, expires_at } => Err(haven_app::AppError::new(
            haven_app::ErrorKind::SecondFactorRequired,
            "enter the code from your authenticator app (or a recovery code) at /api/v1/auth/login/second-factor",
        )
        .with_details(haven_app::ErrorDetails { challenge: Some(challenge), expires_at: Some(expires_at.to_string()), ..Default::default() })
        .into()),
    }
}

#[derive(Debug, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct SecondFactorRequest {
    pub challenge: String,
    /// A 6-digit code from the authenticator app, or a recovery code.
    pub code: String,
}

#[utoipa::path(post, path = "/api/v1/auth/login/second-factor", tag = "accounts", request_body = SecondFactorRequest,
    responses((status = 200, body = SessionView), (status = 401, body = ErrorBody), (status = 429, body = ErrorBody)))]
pub async fn second_factor(
    State(app): AppState,
    Client(client): Client,
    RawBody(body): RawBody,
) -> ApiResult<Json<SessionView>> {
    let req: SecondFactorRequest = parse_json(&body)?;
    if req.code.len() > 64 || req.challenge.len() > 128 {
        return Err(ApiError::validation("code or challenge too long"));
    }
    session_or_challenge(
        app.login_second_factor(&req.challenge, &req.code, &client)
            .await?,
    )
}

#[derive(Debug, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct EmailRequest {
    pub email: String,
}

#[derive(Debug, Serialize, ToSchema)]
pub struct Accepted {
    pub status: String,
}

#[utoipa::path(post, path = "/api/v1/auth/password-reset", tag = "accounts", request_body = EmailRequest,
    responses((status = 202, description = "The same answer whether or not the account exists", body = Accepted)))]
pub async fn password_reset(
    State(app): AppState,
    RawBody(body): RawBody,
) -> ApiResult<(StatusCode, Json<Accepted>)> {
    let req: EmailRequest = parse_json(&body)?;
    app.request_password_reset(&req.email).await?;
    Ok((
        StatusCode::ACCEPTED,
        Json(Accepted {
            status: "if an account uses this email, a reset link is on its way".into(),
        }),
    ))
}

#[derive(Debug, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct ResetRequest {
    pub token: String,
    pub new_password: String,
}

#[utoipa::path(post, path = "/api/v1/auth/password-reset/confirm", tag = "accounts", request_body = ResetRequest,
    responses((status = 204), (status = 422, description = "invalid, expired or used token; weak password", body = ErrorBody)))]
pub async fn password_reset_confirm(
    State(app): AppState,
    RawBody(body): RawBody,
) -> ApiResult<StatusCode> {
    let req: ResetRequest = parse_json(&body)?;
    app.reset_password(&req.token, &req.new_password).await?;
    Ok(StatusCode::NO_CONTENT)
}

#[derive(Debug, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct TokenRequest {
    pub token: String,
}

#[utoipa::path(post, path = "/api/v1/auth/verify-email", tag = "accounts", request_body = TokenRequest,
    responses((status = 204), (status = 422, body = ErrorBody)))]
pub async fn verify_email(State(app): AppState, RawBody(body): RawBody) -> ApiResult<StatusCode> {
    let req: TokenRequest = parse_json(&body)?;
    app.verify_email(&req.token).await?;
    Ok(StatusCode::NO_CONTENT)
}

#[derive(Debug, Serialize, ToSchema)]
pub struct SessionInfo {
    /// Public id (not the token).
    pub id: String,
    pub kind: String,
    pub device: String,
    pub ip: String,
    pub created_at: String,
    pub last_seen_at: String,
    pub current: bool,
}

#[utoipa::path(get, path = "/api/v1/me/sessions", tag = "accounts", responses((status = 200, body = Vec<SessionInfo>)), security(("bearer" = [])))]
pub async fn sessions(
    State(app): AppState,
    Auth(actor): Auth,
) -> ApiResult<Json<Vec<SessionInfo>>> {
    let current = actor.session.as_ref().map(|s| s.token_hash.clone());
    let sessions = app.sessions(&actor).await?;
    Ok(Json(
        sessions
            .iter()
            .map(|s| SessionInfo {
                id: session_public_id(s),
                kind: if s.kind == SessionKind::Web {
                    "web".into()
                } else {
                    "api".into()
                },
                device: s.user_agent.clone(),
                ip: s.ip.clone(),
                created_at: s.created_at.strftime("%Y-%m-%dT%H:%M:%SZ").to_string(),
                last_seen_at: s.last_seen_at.strftime("%Y-%m-%dT%H:%M:%SZ").to_string(),
                current: Some(&s.token_hash) == current.as_ref(),
            })
            .collect(),
    ))
}

#[utoipa::path(post, path = "/api/v1/me/sessions/{id}/revoke", tag = "accounts", params(("id" = String, Path)),
    responses((status = 204), (status = 404, body = ErrorBody)), security(("bearer" = [])))]
pub async fn revoke_session(
    State(app): AppState,
    Auth(actor): Auth,
    Path(id): Path<String>,
) -> ApiResult<StatusCode> {
    app.revoke_session(&actor, &id).await?;
    Ok(StatusCode::NO_CONTENT)
}

#[utoipa::path(post, path = "/api/v1/me/sessions/revoke-others", tag = "accounts", responses((status = 204)), security(("bearer" = [])))]
pub async fn revoke_others(State(app): AppState, Auth(actor): Auth) -> ApiResult<StatusCode> {
    app.revoke_other_sessions(&actor).await?;
    Ok(StatusCode::NO_CONTENT)
}

#[derive(Debug, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct ReauthRequest {
    pub password: Option<String>,
    /// A 2FA or recovery code, instead of the password.
    pub code: Option<String>,
}

#[utoipa::path(post, path = "/api/v1/me/reauthenticate", tag = "accounts", request_body = ReauthRequest,
    responses((status = 204, description = "Sensitive changes are allowed for the next 10 minutes"), (status = 401, body = ErrorBody),
              (status = 429, description = "Locked after too many wrong answers (shared with login)", body = ErrorBody)), security(("bearer" = [])))]
pub async fn reauthenticate(
    State(app): AppState,
    Auth(actor): Auth,
    RawBody(body): RawBody,
) -> ApiResult<StatusCode> {
    let req: ReauthRequest = parse_json(&body)?;
    app.reauthenticate(&actor, req.password.as_deref(), req.code.as_deref())
        .await?;
    Ok(StatusCode::NO_CONTENT)
}

#[derive(Debug, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct PasswordChangeRequest {
    pub current_password: String,
    pub new_password: String,
}

#[utoipa::path(post, path = "/api/v1/me/password", tag = "accounts", request_body = PasswordChangeRequest,
    responses((status = 204, description = "Changed; other sessions signed out"), (status = 403, description = "step_up_required", body = ErrorBody), (status = 422, body = ErrorBody)), security(("bearer" = [])))]
pub async fn change_password(
    State(app): AppState,
    Auth(actor): Auth,
    RawBody(body): RawBody,
) -> ApiResult<StatusCode> {
    let req: PasswordChangeRequest = parse_json(&body)?;
    app.change_password(&actor, &req.current_password, &req.new_password)
        .await?;
    Ok(StatusCode::NO_CONTENT)
}

#[utoipa::path(post, path = "/api/v1/me/email", tag = "accounts", request_body = EmailRequest,
    responses((status = 204), (status = 403, description = "step_up_required", body = ErrorBody)), security(("bearer" = [])))]
pub async fn change_email(
    State(app): AppState,
    Auth(actor): Auth,
    RawBody(body): RawBody,
) -> ApiResult<StatusCode> {
    let req: EmailRequest = parse_json(&body)?;
    app.change_email(&actor, &req.email).await?;
    Ok(StatusCode::NO_CONTENT)
}

#[utoipa::path(post, path = "/api/v1/me/email/resend-verification", tag = "accounts", responses((status = 204), (status = 409, body = ErrorBody)), security(("bearer" = [])))]
pub async fn resend_verification(State(app): AppState, Auth(actor): Auth) -> ApiResult<StatusCode> {
    app.resend_verification(&actor).await?;
    Ok(StatusCode::NO_CONTENT)
}

#[derive(Debug, Serialize, ToSchema)]
pub struct TotpSetupView {
    /// Base32 secret, for apps that cannot scan.
    pub secret: String,
    pub otpauth_url: String,
}

#[utoipa::path(post, path = "/api/v1/me/2fa/setup", tag = "accounts", responses((status = 200, body = TotpSetupView), (status = 409, body = ErrorBody)), security(("bearer" = [])))]
pub async fn totp_setup(State(app): AppState, Auth(actor): Auth) -> ApiResult<Json<TotpSetupView>> {
    let setup = app.begin_totp_setup(&actor).await?;
    Ok(Json(TotpSetupView {
        secret: setup.secret,
        otpauth_url: setup.otpauth_url,
    }))
}

#[derive(Debug, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct CodeRequest {
    pub code: String,
}

#[derive(Debug, Serialize, ToSchema)]
pub struct RecoveryCodes {
    /// Shown once. Each works once.
    pub recovery_codes: Vec<String>,
}

#[utoipa::path(post, path = "/api/v1/me/2fa/enable", tag = "accounts", request_body = CodeRequest,
    responses((status = 200, body = RecoveryCodes), (status = 422, body = ErrorBody)), security(("bearer" = [])))]
pub async fn totp_enable(
    State(app): AppState,
    Auth(actor): Auth,
    RawBody(body): RawBody,
) -> ApiResult<Json<RecoveryCodes>> {
    let req: CodeRequest = parse_json(&body)?;
    Ok(Json(RecoveryCodes {
        recovery_codes: app.enable_totp(&actor, &req.code).await?,
    }))
}

#[utoipa::path(post, path = "/api/v1/me/2fa/disable", tag = "accounts", request_body = CodeRequest,
    responses((status = 204), (status = 401, body = ErrorBody)), security(("bearer" = [])))]
pub async fn totp_disable(
    State(app): AppState,
    Auth(actor): Auth,
    RawBody(body): RawBody,
) -> ApiResult<StatusCode> {
    let req: CodeRequest = parse_json(&body)?;
    app.disable_totp(&actor, &req.code).await?;
    Ok(StatusCode::NO_CONTENT)
}

#[utoipa::path(post, path = "/api/v1/seller/identity", tag = "accounts",
    request_body(content = Vec<u8>, content_type = "application/octet-stream", description = "A photo (PNG/JPEG/WebP) or PDF of an identity document, up to 8 MiB"),
    responses((status = 202, body = Accepted), (status = 403, description = "Sellers only", body = ErrorBody), (status = 422, body = ErrorBody)), security(("bearer" = [])))]
pub async fn submit_identity(
    State(app): AppState,
    Auth(actor): Auth,
    RawBody(body): RawBody,
) -> ApiResult<(StatusCode, Json<Accepted>)> {
    app.submit_identity_document(&actor, body.to_vec()).await?;
    Ok((
        StatusCode::ACCEPTED,
        Json(Accepted {
            status: "waiting for review".into(),
        }),
    ))
}

#[derive(Debug, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct PayoutAccountRequest {
    pub holder: String,
    pub iban: String,
}

#[derive(Debug, Serialize, ToSchema)]
pub struct PayoutAccountView {
    pub holder: String,
    /// Only the last four characters are ever shown.
    pub account: String,
}

#[utoipa::path(post, path = "/api/v1/seller/payout-account", tag = "payouts", request_body = PayoutAccountRequest,
    responses((status = 200, body = PayoutAccountView), (status = 403, description = "step_up_required", body = ErrorBody), (status = 422, body = ErrorBody)), security(("bearer" = [])))]
pub async fn payout_account(
    State(app): AppState,
    Auth(actor): Auth,
    RawBody(body): RawBody,
) -> ApiResult<Json<PayoutAccountView>> {
    let req: PayoutAccountRequest = parse_json(&body)?;
    let account = app
        .set_payout_account(&actor, &req.holder, &req.iban)
        .await?;
    Ok(Json(PayoutAccountView {
        holder: account.holder.clone(),
        account: account.masked(),
    }))
}

#[derive(Debug, Serialize, ToSchema)]
pub struct IdentityReviewView {
    pub user_id: String,
    pub display_name: String,
    pub email: String,
    pub submitted_at: Option<String>,
    pub document_sha256: Option<String>,
}

#[utoipa::path(get, path = "/api/v1/console/identity-reviews", tag = "console", params(PageParams), responses((status = 200, body = PageView<IdentityReviewView>), (status = 403, body = ErrorBody)), security(("bearer" = [])))]
pub async fn identity_reviews(
    State(app): AppState,
    Auth(actor): Auth,
    Query(params): Query<PageParams>,
) -> ApiResult<Json<PageView<IdentityReviewView>>> {
    app.require_agent(&actor)?;
    let page = app
        .store
        .pending_identity_reviews(&params.request()?)
        .await?;
    Ok(Json(PageView {
        next_cursor: page.next_cursor,
        items: page
            .items
            .iter()
            .map(|u| IdentityReviewView {
                user_id: u.id.to_string(),
                display_name: u.display_name.clone(),
                email: u.email.as_str().to_string(),
                submitted_at: u.identity.submitted_at.map(|t| t.to_string()),
                document_sha256: u.identity.document_sha256.clone(),
            })
            .collect(),
    }))
}

#[derive(Debug, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct IdentityDecision {
    pub approve: bool,
    #[serde(default)]
    pub note: String,
}

#[utoipa::path(post, path = "/api/v1/console/identity-reviews/{user_id}", tag = "console", request_body = IdentityDecision, params(("user_id" = String, Path)),
    responses((status = 200, body = UserView), (status = 403, body = ErrorBody), (status = 409, body = ErrorBody)), security(("bearer" = [])))]
pub async fn review_identity(
    State(app): AppState,
    Auth(actor): Auth,
    Path(user_id): Path<String>,
    RawBody(body): RawBody,
) -> ApiResult<Json<UserView>> {
    let req: IdentityDecision = parse_json(&body)?;
    let user_id: UserId = path_id(&user_id, "user")?;
    Ok(Json(UserView::from(
        &app.review_identity(&actor, user_id, req.approve, &req.note)
            .await?,
    )))
}

#[derive(Debug, Serialize, ToSchema)]
pub struct FlagView {
    pub kind: String,
    pub subject: String,
    pub detail: String,
    pub created_at: String,
}

#[utoipa::path(get, path = "/api/v1/console/flags", tag = "console", params(PageParams), responses((status = 200, body = PageView<FlagView>), (status = 403, body = ErrorBody)), security(("bearer" = [])))]
pub async fn flags(
    State(app): AppState,
    Auth(actor): Auth,
    Query(params): Query<PageParams>,
) -> ApiResult<Json<PageView<FlagView>>> {
    app.require_agent(&actor)?;
    let page = app.store.security_flags(&params.request()?).await?;
    Ok(Json(PageView {
        items: page
            .items
            .iter()
            .map(|f| FlagView {
                kind: f.kind.clone(),
                subject: f.subject.clone(),
                detail: f.detail.clone(),
                created_at: f.created_at.to_string(),
            })
            .collect(),
        next_cursor: page.next_cursor,
    }))
}
