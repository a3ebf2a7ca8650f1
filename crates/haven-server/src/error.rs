//! One error policy:
//! - `anyhow` outside requests (start-up, CLI);
//! - `StoreError` inside storage;
//! - [`ApiError`] for anything a user can cause, rendered in one place as
//!   `{"error":{"code","message","details"}}` with a 4xx/5xx status.

use axum::http::StatusCode;
use axum::response::{IntoResponse, Response};
use haven_domain::order::TransitionError;
use haven_store::{Conflict, StoreError};
use serde::Serialize;
use serde_json::Value;

#[derive(Debug, Clone, PartialEq)]
pub struct ApiError {
    pub status: StatusCode,
    pub code: &'static str,
    pub message: String,
    pub details: Value,
}

#[derive(Serialize, utoipa::ToSchema)]
pub struct ErrorBody {
    pub error: ErrorDetail,
}

#[derive(Serialize, utoipa::ToSchema)]
pub struct ErrorDetail {
    /// Stable machine-readable code, e.g. `not_found`, `payment_declined`.
    pub code: String,
    pub message: String,
    #[schema(value_type = Object)]
    pub details: Value,
}

pub type ApiResult<T> = Result<T, ApiError>;

impl ApiError {
    pub fn new(status: StatusCode, code: &'static str, message: impl Into<String>) -> Self {
        ApiError {
            status,
            code,
            message: message.into(),
            details: Value::Null,
        }
    }

    pub fn with_details(mut self, details: Value) -> Self {
        self.details = details;
        self
    }

    pub fn bad_request(message: impl Into<String>) -> Self {
        Self::new(StatusCode::BAD_REQUEST, "bad_request", message)
    }

    pub fn validation(message: impl Into<String>) -> Self {
        Self::new(
            StatusCode::UNPROCESSABLE_ENTITY,
            "validation_failed",
            message,
        )
    }

    pub fn unauthorized() -> Self {
        Self::new(StatusCode::UNAUTHORIZED, "unauthorized", "log in first")
    }

    pub fn forbidden(message: impl Into<String>) -> Self {
        Self::new(StatusCode::FORBIDDEN, "forbidden", message)
    }

    pub fn not_found(what: &str) -> Self {
        Self::new(
            StatusCode::NOT_FOUND,
            "not_found",
            format!("{what} not found"),
        )
    }

    pub fn conflict(code: &'static str, message: impl Into<String>) -> Self {
        Self::new(StatusCode::CONFLICT, code, message)
    }

    pub fn payment_declined(message: impl Into<String>) -> Self {
        Self::new(StatusCode::PAYMENT_REQUIRED, "payment_declined", message)
    }

    pub fn internal(err: impl std::fmt::Display) -> Self {
        tracing::error!(error = %err, "internal error");
        Self::new(
            StatusCode::INTERNAL_SERVER_ERROR,
            "internal",
            "something went wrong on our side",
        )
    }

    pub fn body(&self) -> ErrorBody {
        ErrorBody {
            error: ErrorDetail {
                code: self.code.to_string(),
                message: self.message.clone(),
                details: self.details.clone(),
            },
        }
    }
}

impl IntoResponse for ApiError {
    fn into_response(self) -> Response {
        (self.status, axum::Json(self.body())).into_response()
    }
}

impl From<StoreError> for ApiError {
    fn from(err: StoreError) -> Self {
        match err {
            StoreError::Conflict(conflict) => conflict_error(conflict),
            StoreError::Backend(msg) => ApiError::internal(msg),
        }
    }
}

fn conflict_error(conflict: Conflict) -> ApiError {
    let (code, message) = match conflict {
        Conflict::StaleOrder => (
            "concurrent_update",
            "the order changed while this request ran; retry",
        ),
        Conflict::OutOfStock => ("out_of_stock", "not enough stock for that quantity"),
        Conflict::EmailTaken => ("email_taken", "an account with that email already exists"),
        Conflict::StoreAlreadyOpened => ("store_exists", "you already have a store"),
        Conflict::TrackingNumberTaken => (
            "tracking_number_reused",
            "tracking number is already used on another order",
        ),
        Conflict::DuplicateEntry => (
            "already_processed",
            "this money movement was already recorded",
        ),
        Conflict::DuplicateIdempotencyKey => (
            "idempotency_key_in_use",
            "a request with this Idempotency-Key is being processed",
        ),
        Conflict::TimerGone => ("already_processed", "this deadline was already handled"),
        Conflict::InsufficientFunds => ("insufficient_funds", "not enough balance"),
        Conflict::DisputeAlreadyOpen => (
            "dispute_already_open",
            "this order already has an open dispute",
        ),
        Conflict::StaleUser | Conflict::StaleConversation | Conflict::MessageRace => (
            "concurrent_update",
            "this changed while the request ran; retry",
        ),
        Conflict::TokenUsed => ("token_used", "this link or code was already used"),
        Conflict::ConversationExists => ("conversation_exists", "that conversation already exists"),
        Conflict::StaleDispute | Conflict::EvidenceRace => (
            "concurrent_update",
            "the dispute changed while this request ran; retry",
        ),
    };
    ApiError::conflict(code, message)
}

impl From<TransitionError> for ApiError {
    fn from(err: TransitionError) -> Self {
        match err {
            TransitionError::SecondConfirmationRequired => ApiError::new(
                StatusCode::CONFLICT,
                "second_confirmation_required",
                "The carrier has not confirmed delivery yet. Confirming now releases the payment to the seller \
                 and ends your protection for this order. Only confirm if you have the item in your hands; \
                 resend with second_confirmation=true.",
            ),
            TransitionError::Money(e) => ApiError::internal(e),
            TransitionError::Entry(e) => ApiError::internal(e),
            other => ApiError::conflict("invalid_state", other.to_string()),
        }
    }
}
