//! The HTTP edge of the error policy. Use cases fail with a typed
//! [`AppError`] (crate `haven-app`); this module is the one place that turns
//! an [`ErrorKind`] into a status code and renders the one JSON shape
//! `{"error":{"code","message","details"}}`. Web pages render the same
//! error as a page (see `web::WebError`).

use axum::http::StatusCode;
use axum::response::{IntoResponse, Response};
use haven_app::{AppError, ErrorDetails, ErrorKind};
use serde::Serialize;

/// An error on its way out of the server: a status, a stable code, a
/// sentence, and typed details (`null` when there are none).
#[derive(Debug, Clone, PartialEq)]
pub struct ApiError {
    pub status: StatusCode,
    pub kind: ErrorKind,
    pub message: String,
    pub details: Box<ErrorDetails>,
}

#[derive(Serialize, utoipa::ToSchema)]
pub struct ErrorBody {
    pub error: ErrorDetail,
}

#[derive(Serialize, utoipa::ToSchema)]
pub struct ErrorDetail {
    /// Stable machine-readable code, e.g. `not_found`, `payment_declined`.
    pub code: String,
    /// A sentence for people; may change between versions.
    pub message: String,
    /// `null`, or an object with the fields that apply to this error.
    #[schema(value_type = Option<ErrorDetailsSchema>, required = true)]
    pub details: Option<ErrorDetails>,
}

/// The documented shape of `error.details`. Every field is optional and
/// present only where it applies (see docs/API.md).
#[derive(Serialize, utoipa::ToSchema)]
#[schema(as = ErrorDetails)]
#[allow(dead_code)]
pub struct ErrorDetailsSchema {
    /// The input field that was refused (`validation_failed`).
    field: Option<String>,
    /// Seconds to wait before trying again (`too_many_attempts`).
    retry_after_s: Option<i64>,
    /// The 2FA sign-in to continue with `POST /auth/login/second-factor`
    /// (`second_factor_required`).
    challenge: Option<String>,
    /// When that challenge expires (RFC 3339).
    expires_at: Option<String>,
    /// When escalating becomes possible (`escalation_too_early`, RFC 3339).
    available_at: Option<String>,
    /// Until when a withdrawn dispute can be reopened
    /// (`withdraw_confirmation_required`, RFC 3339).
    reopen_until: Option<String>,
    /// Withdrawing leaves the payment in escrow.
    money_stays_in_escrow: Option<bool>,
    /// Scanner categories that stopped a text (`message_blocked`).
    categories: Option<Vec<String>>,
    /// One plain reason per finding (`message_blocked`, `payment_blocked`).
    reasons: Option<Vec<String>>,
    /// Where a rule expression is wrong, 1-based (`invalid_rule`).
    line: Option<u32>,
    column: Option<u32>,
}

pub type ApiResult<T> = Result<T, ApiError>;

/// The status each kind of failure answers with.
pub fn status_of(kind: ErrorKind) -> StatusCode {
    use ErrorKind as K;
    match kind {
        K::BadRequest => StatusCode::BAD_REQUEST,
        K::Unauthorized
        | K::InvalidCredentials
        | K::WrongSecondFactor
        | K::InvalidChallenge
        | K::SecondFactorRequired
        | K::BadSignature
        | K::StaleSignature => StatusCode::UNAUTHORIZED,
        K::PaymentDeclined | K::PaymentBlocked => StatusCode::PAYMENT_REQUIRED,
        K::Forbidden | K::StepUpRequired | K::CsrfFailed => StatusCode::FORBIDDEN,
        K::NotFound => StatusCode::NOT_FOUND,
        K::InvalidState
        | K::StoreSuspended
        | K::ListingHeld
        | K::DealSoldOut
        | K::CouponExhausted
        | K::CouponLimitReached
        | K::CouponCodeTaken
        | K::ConcurrentUpdate
        | K::OutOfStock
        | K::EmailTaken
        | K::NameTaken
        | K::AccountInUse
        | K::StoreExists
        | K::AlreadyProcessed
        | K::IdempotencyKeyInUse
        | K::InsufficientFunds
        | K::DisputeAlreadyOpen
        | K::TokenUsed
        | K::ConversationExists
        | K::SecondConfirmationRequired
        | K::WithdrawConfirmationRequired
        | K::EscalationTooEarly
        | K::ProtectionWindowEnded
        | K::AutomaticClaim
        | K::AlreadyVerified
        | K::AlreadyEnabled
        | K::NotEnabled
        | K::NoSetup
        | K::NoPayoutAccount
        | K::LogFull
        | K::TooManyFiles => StatusCode::CONFLICT,
        K::TooLarge | K::BodyTooLarge => StatusCode::PAYLOAD_TOO_LARGE,
        K::MethodNotAllowed => StatusCode::METHOD_NOT_ALLOWED,
        K::Overloaded => StatusCode::SERVICE_UNAVAILABLE,
        K::Validation
        | K::InvalidRule
        | K::InvalidSetupCode
        | K::IdempotencyKeyReused
        | K::InvalidToken
        | K::TrackingNumberReused
        | K::TrackingFormatInvalid
        | K::TrackingPredatesOrder
        | K::TrackingRejected
        | K::UnknownCarrier
        | K::MessageBlocked
        | K::CouponNotApplicable => StatusCode::UNPROCESSABLE_ENTITY,
        K::TooManyAttempts => StatusCode::TOO_MANY_REQUESTS,
        K::GatewayUnavailable => StatusCode::BAD_GATEWAY,
        K::Internal => StatusCode::INTERNAL_SERVER_ERROR,
    }
}

impl ApiError {
    pub fn new(kind: ErrorKind, message: impl Into<String>) -> Self {
        ApiError::from(AppError::new(kind, message))
    }

    pub fn bad_request(message: impl Into<String>) -> Self {
        Self::new(ErrorKind::BadRequest, message)
    }

    pub fn validation(message: impl Into<String>) -> Self {
        Self::new(ErrorKind::Validation, message)
    }

    pub fn unauthorized() -> Self {
        AppError::unauthorized().into()
    }

    pub fn forbidden(message: impl Into<String>) -> Self {
        Self::new(ErrorKind::Forbidden, message)
    }

    pub fn not_found(what: &str) -> Self {
        AppError::not_found(what).into()
    }

    pub fn internal(err: impl std::fmt::Display) -> Self {
        AppError::internal(err).into()
    }

    pub fn code(&self) -> &'static str {
        self.kind.code()
    }

    pub fn body_too_large() -> Self {
        Self::new(ErrorKind::BodyTooLarge, "request body is too large")
    }

    pub fn body(&self) -> ErrorBody {
        ErrorBody {
            error: ErrorDetail {
                code: self.code().to_string(),
                message: self.message.clone(),
                details: (!self.details.is_empty()).then(|| (*self.details).clone()),
            },
        }
    }
}

impl From<AppError> for ApiError {
    fn from(err: AppError) -> Self {
        ApiError {
            status: status_of(err.kind),
            kind: err.kind,
            message: err.message,
            details: err.details,
        }
    }
}

impl From<haven_store::StoreError> for ApiError {
    fn from(err: haven_store::StoreError) -> Self {
        AppError::from(err).into()
    }
}

impl IntoResponse for ApiError {
    fn into_response(self) -> Response {
        let mut response = (self.status, axum::Json(self.body())).into_response();
        if let Some(wait_s) = self.details.retry_after_s
            && let Ok(value) = axum::http::HeaderValue::from_str(&wait_s.to_string())
        {
            response
                .headers_mut()
                .insert(axum::http::header::RETRY_AFTER, value);
        }
        response
    }
}
