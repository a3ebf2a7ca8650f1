//! One error policy for the application layer:
//! - `anyhow` outside requests (start-up, CLI);
//! - `StoreError` inside storage, `TransitionError`/`DisputeError` inside the
//!   domain;
//! - [`AppError`] for anything a use case refuses. It is typed: an
//!   [`ErrorKind`] with a stable code, a sentence for people, and typed
//!   [`ErrorDetails`]. It knows nothing about HTTP; the server maps each
//!   kind to a status and renders the one JSON shape (or a page) there.
//!
//! Callers branch on `kind`, never on message text or on a status.

use haven_domain::Timestamp;
use haven_domain::order::TransitionError;
use haven_domain::text::TextError;
use haven_store::{Conflict, StoreError};
use serde::Serialize;

/// What went wrong, as a closed set. Each kind has one stable wire code.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum ErrorKind {
    /// The request itself is unreadable (bad cursor, bad query string).
    BadRequest,
    /// Well-formed input that breaks a rule.
    Validation,
    /// No valid session.
    Unauthorized,
    /// Wrong email or password (or a wrong current password).
    InvalidCredentials,
    /// A wrong one-time code while signing in or proving it is you.
    WrongSecondFactor,
    /// A wrong code while turning 2FA on (nothing to lock out).
    InvalidSetupCode,
    /// The 2FA sign-in expired or was used.
    InvalidChallenge,
    /// Password accepted; a second factor is needed (details.challenge).
    SecondFactorRequired,
    /// A webhook signature that does not verify.
    BadSignature,
    /// A webhook signature that is too old to trust.
    StaleSignature,
    PaymentDeclined,
    /// Fraud checks stopped the payment before the card was charged
    /// (details.reasons).
    PaymentBlocked,
    /// An operator rule that does not compile (details.line, column).
    InvalidRule,
    /// The store is suspended: it takes no new orders (details.reasons).
    StoreSuspended,
    /// Trust and safety holds the listing: it takes no orders.
    ListingHeld,
    /// The flash deal's units ran out before this order took any.
    DealSoldOut,
    /// The coupon does not apply to this order (window, scope, minimum,
    /// stacking).
    CouponNotApplicable,
    /// The coupon has no redemptions left.
    CouponExhausted,
    /// The buyer has used the coupon as often as it allows.
    CouponLimitReached,
    /// Another coupon already has this code.
    CouponCodeTaken,
    Forbidden,
    /// A sensitive change needs a recent password or 2FA proof.
    StepUpRequired,
    NotFound,
    /// The action does not apply in the record's current state.
    InvalidState,
    /// Another request changed the record first; retry.
    ConcurrentUpdate,
    OutOfStock,
    EmailTaken,
    /// A display name that looks like another account's.
    NameTaken,
    /// Something still in flight keeps the account open (details in the message).
    AccountInUse,
    StoreExists,
    TrackingNumberReused,
    AlreadyProcessed,
    IdempotencyKeyInUse,
    IdempotencyKeyReused,
    InsufficientFunds,
    DisputeAlreadyOpen,
    TokenUsed,
    ConversationExists,
    SecondConfirmationRequired,
    WithdrawConfirmationRequired,
    EscalationTooEarly,
    ProtectionWindowEnded,
    AutomaticClaim,
    AlreadyVerified,
    AlreadyEnabled,
    NotEnabled,
    NoSetup,
    NoPayoutAccount,
    /// An evidence log or a conversation is full.
    LogFull,
    TooManyFiles,
    TooLarge,
    /// An emailed link that is invalid, expired or used.
    InvalidToken,
    TrackingFormatInvalid,
    TrackingPredatesOrder,
    TrackingRejected,
    UnknownCarrier,
    /// The message scanner refused the text (details.categories).
    MessageBlocked,
    TooManyAttempts,
    /// The payment gateway could not be reached; nothing was charged.
    GatewayUnavailable,
    Internal,
    /// Refusals of the HTTP edge itself, listed here so every code lives
    /// in one closed set: an oversized body, a wrong method, a missing or
    /// wrong CSRF token, an overloaded server.
    BodyTooLarge,
    MethodNotAllowed,
    CsrfFailed,
    Overloaded,
}

impl ErrorKind {
    /// The stable machine-readable code clients match on.
    pub fn code(self) -> &'static str {
        use ErrorKind as K;
        match self {
            K::BadRequest => "bad_request",
            K::Validation => "validation_failed",
            K::Unauthorized => "unauthorized",
            K::InvalidCredentials => "invalid_credentials",
            K::WrongSecondFactor | K::InvalidSetupCode => "invalid_code",
            K::InvalidChallenge => "invalid_challenge",
            K::SecondFactorRequired => "second_factor_required",
            K::BadSignature => "bad_signature",
            K::StaleSignature => "stale_signature",
            K::PaymentDeclined => "payment_declined",
            K::PaymentBlocked => "payment_blocked",
            K::InvalidRule => "invalid_rule",
            K::StoreSuspended => "store_suspended",
            K::ListingHeld => "listing_held",
            K::DealSoldOut => "deal_sold_out",
            K::CouponNotApplicable => "coupon_not_applicable",
            K::CouponExhausted => "coupon_exhausted",
            K::CouponLimitReached => "coupon_limit_reached",
            K::CouponCodeTaken => "coupon_code_taken",
            K::Forbidden => "forbidden",
            K::StepUpRequired => "step_up_required",
            K::NotFound => "not_found",
            K::InvalidState => "invalid_state",
            K::ConcurrentUpdate => "concurrent_update",
            K::OutOfStock => "out_of_stock",
            K::EmailTaken => "email_taken",
            K::NameTaken => "display_name_taken",
            K::AccountInUse => "account_in_use",
            K::StoreExists => "store_exists",
            K::TrackingNumberReused => "tracking_number_reused",
            K::AlreadyProcessed => "already_processed",
            K::IdempotencyKeyInUse => "idempotency_key_in_use",
            K::IdempotencyKeyReused => "idempotency_key_reused",
            K::InsufficientFunds => "insufficient_funds",
            K::DisputeAlreadyOpen => "dispute_already_open",
            K::TokenUsed => "token_used",
            K::ConversationExists => "conversation_exists",
            K::SecondConfirmationRequired => "second_confirmation_required",
            K::WithdrawConfirmationRequired => "withdraw_confirmation_required",
            K::EscalationTooEarly => "escalation_too_early",
            K::ProtectionWindowEnded => "protection_window_ended",
            K::AutomaticClaim => "automatic_claim",
            K::AlreadyVerified => "already_verified",
            K::AlreadyEnabled => "already_enabled",
            K::NotEnabled => "not_enabled",
            K::NoSetup => "no_setup",
            K::NoPayoutAccount => "no_payout_account",
            K::LogFull => "log_full",
            K::TooManyFiles => "too_many_files",
            K::TooLarge => "too_large",
            K::InvalidToken => "invalid_token",
            K::TrackingFormatInvalid => "tracking_format_invalid",
            K::TrackingPredatesOrder => "tracking_predates_order",
            K::TrackingRejected => "tracking_rejected",
            K::UnknownCarrier => "unknown_carrier",
            K::MessageBlocked => "message_blocked",
            K::TooManyAttempts => "too_many_attempts",
            K::GatewayUnavailable => "gateway_unavailable",
            K::Internal => "internal",
            K::BodyTooLarge => "body_too_large",
            K::MethodNotAllowed => "method_not_allowed",
            K::CsrfFailed => "csrf_failed",
            K::Overloaded => "overloaded",
        }
    }

    /// The record moved on since the action was planned (a deadline for an
    /// order that shipped, a scan for an order already closed): the action
    /// no longer applies, and there is nothing to retry.
    pub fn means_moved_on(self) -> bool {
        matches!(
            self,
            ErrorKind::InvalidState
                | ErrorKind::DisputeAlreadyOpen
                | ErrorKind::ProtectionWindowEnded
                | ErrorKind::AutomaticClaim
                | ErrorKind::AlreadyProcessed
        )
    }

    /// A refusal the person can fix by changing what they sent (as opposed
    /// to "not found", "not allowed" or a failure on Haven's side). Forms
    /// show these next to the input and keep what was typed.
    pub fn is_correctable(self) -> bool {
        !matches!(
            self,
            ErrorKind::NotFound
                | ErrorKind::Forbidden
                | ErrorKind::Unauthorized
                | ErrorKind::Internal
        )
    }
}

/// Structured context for an error. Every field is optional; the JSON
/// `details` is `null` when none is set.
#[derive(Debug, Clone, Default, PartialEq, Serialize)]
pub struct ErrorDetails {
    /// The input field that was refused.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub field: Option<String>,
    /// Seconds to wait before trying again (`too_many_attempts`).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub retry_after_s: Option<i64>,
    /// The 2FA sign-in to continue (`second_factor_required`).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub challenge: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub expires_at: Option<String>,
    /// When escalation becomes possible (`escalation_too_early`).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub available_at: Option<String>,
    /// Until when a withdrawn dispute can be reopened.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub reopen_until: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub money_stays_in_escrow: Option<bool>,
    /// Scanner categories that stopped a text (`message_blocked`).
    #[serde(skip_serializing_if = "Vec::is_empty")]
    pub categories: Vec<String>,
    /// Plain reasons for the refusal, one per finding.
    #[serde(skip_serializing_if = "Vec::is_empty")]
    pub reasons: Vec<String>,
    /// Where a rule expression is wrong (1-based).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub line: Option<u32>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub column: Option<u32>,
}

impl ErrorDetails {
    pub fn is_empty(&self) -> bool {
        *self == ErrorDetails::default()
    }
}

#[derive(Debug, Clone, PartialEq, thiserror::Error)]
#[error("{message}")]
pub struct AppError {
    pub kind: ErrorKind,
    pub message: String,
    /// Boxed: most errors have none, and a small error keeps every
    /// `Result` in the use cases small.
    pub details: Box<ErrorDetails>,
}

pub type AppResult<T> = Result<T, AppError>;

impl AppError {
    pub fn new(kind: ErrorKind, message: impl Into<String>) -> Self {
        AppError {
            kind,
            message: message.into(),
            details: Box::default(),
        }
    }

    pub fn with_details(mut self, details: ErrorDetails) -> Self {
        self.details = Box::new(details);
        self
    }

    pub fn code(&self) -> &'static str {
        self.kind.code()
    }

    pub fn bad_request(message: impl Into<String>) -> Self {
        Self::new(ErrorKind::BadRequest, message)
    }

    pub fn validation(message: impl Into<String>) -> Self {
        Self::new(ErrorKind::Validation, message)
    }

    /// A refused input, naming the field.
    pub fn invalid_field(field: &str, message: impl Into<String>) -> Self {
        Self::new(ErrorKind::Validation, message).with_details(ErrorDetails {
            field: Some(field.to_string()),
            ..ErrorDetails::default()
        })
    }

    pub fn unauthorized() -> Self {
        Self::new(ErrorKind::Unauthorized, "log in first")
    }

    pub fn forbidden(message: impl Into<String>) -> Self {
        Self::new(ErrorKind::Forbidden, message)
    }

    pub fn not_found(what: &str) -> Self {
        Self::new(ErrorKind::NotFound, format!("{what} not found"))
    }

    pub fn invalid_state(message: impl Into<String>) -> Self {
        Self::new(ErrorKind::InvalidState, message)
    }

    pub fn conflict(kind: ErrorKind, message: impl Into<String>) -> Self {
        Self::new(kind, message)
    }

    pub fn payment_declined(message: impl Into<String>) -> Self {
        Self::new(ErrorKind::PaymentDeclined, message)
    }

    pub fn too_large(message: impl Into<String>) -> Self {
        Self::new(ErrorKind::TooLarge, message)
    }

    pub fn too_many_attempts(until: Timestamp, now: Timestamp) -> Self {
        let wait_s = until.duration_since(now).as_secs().max(1);
        let minutes = (wait_s + 59) / 60;
        Self::new(
            ErrorKind::TooManyAttempts,
            format!("too many attempts; try again in {minutes} minute(s)"),
        )
        .with_details(ErrorDetails {
            retry_after_s: Some(wait_s),
            ..ErrorDetails::default()
        })
    }

    /// A failure on Haven's side: logged in full, shown to people in
    /// general terms only.
    pub fn internal(err: impl std::fmt::Display) -> Self {
        tracing::error!(error = %err, "internal error");
        Self::new(ErrorKind::Internal, "something went wrong on our side")
    }
}

impl From<TextError> for AppError {
    fn from(err: TextError) -> Self {
        AppError::invalid_field(err.field(), err.to_string())
    }
}

impl From<haven_domain::limits::InvalidField> for AppError {
    fn from(err: haven_domain::limits::InvalidField) -> Self {
        AppError::invalid_field(&err.field, err.message)
    }
}

impl From<StoreError> for AppError {
    fn from(err: StoreError) -> Self {
        match err {
            StoreError::Conflict(conflict) => conflict_error(conflict),
            StoreError::Backend(msg) => AppError::internal(msg),
        }
    }
}

fn conflict_error(conflict: Conflict) -> AppError {
    use ErrorKind as K;
    let (kind, message) = match conflict {
        Conflict::StaleOrder => (
            K::ConcurrentUpdate,
            "the order changed while this request ran; retry",
        ),
        Conflict::OutOfStock => (K::OutOfStock, "not enough stock for that quantity"),
        Conflict::EmailTaken => (K::EmailTaken, "that email cannot be used"),
        Conflict::NameTaken => (
            K::NameTaken,
            "that display name is too close to another account's; choose another",
        ),
        Conflict::StoreAlreadyOpened => (K::StoreExists, "you already have a store"),
        Conflict::TrackingNumberTaken => (
            K::TrackingNumberReused,
            "tracking number is already used on another order",
        ),
        Conflict::DuplicateEntry => (
            K::AlreadyProcessed,
            "this money movement was already recorded",
        ),
        Conflict::DuplicateIdempotencyKey => (
            K::IdempotencyKeyInUse,
            "a request with this Idempotency-Key is being processed",
        ),
        Conflict::TimerGone => (K::AlreadyProcessed, "this deadline was already handled"),
        Conflict::InsufficientFunds => (K::InsufficientFunds, "not enough balance"),
        Conflict::DisputeAlreadyOpen => (
            K::DisputeAlreadyOpen,
            "this order already has an open dispute",
        ),
        Conflict::StaleUser | Conflict::StaleConversation | Conflict::MessageRace => (
            K::ConcurrentUpdate,
            "this changed while the request ran; retry",
        ),
        Conflict::TokenUsed => (K::TokenUsed, "this link or code was already used"),
        Conflict::ConversationExists => (K::ConversationExists, "that conversation already exists"),
        Conflict::StaleBalance => (
            K::ConcurrentUpdate,
            "a balance changed while this request ran; retry",
        ),
        Conflict::StaleJournal => (
            K::ConcurrentUpdate,
            "the payment changed while this request ran; retry",
        ),
        Conflict::CommandGone => (
            K::ConcurrentUpdate,
            "this was finished or cancelled by someone else",
        ),
        Conflict::StaleReview => (
            K::ConcurrentUpdate,
            "the review changed while this request ran (or the order has one); reload",
        ),
        Conflict::BuyerAlreadyRated => (K::InvalidState, "this buyer has already been rated"),
        Conflict::DealSoldOut => (
            K::DealSoldOut,
            "the flash deal has fewer units left than this order asks for: buy fewer, or accept the regular price",
        ),
        Conflict::CouponExhausted => (
            K::CouponExhausted,
            "this coupon has no redemptions left (or has ended); nothing was bought",
        ),
        Conflict::CouponLimitReached => (
            K::CouponLimitReached,
            "you have already used this coupon as often as it allows; nothing was bought",
        ),
        Conflict::CouponCodeTaken => (K::CouponCodeTaken, "another coupon already has this code"),
        Conflict::StaleListing => (
            K::ConcurrentUpdate,
            "the listing changed while this request ran (held, released or edited); reload and try again",
        ),
        Conflict::PayoutNotPending => (K::InvalidState, "this payout is not waiting for the bank"),
        Conflict::StaleIntegrityCase => (
            K::ConcurrentUpdate,
            "the integrity case changed while this request ran; reload",
        ),
        Conflict::StaleEnforcement => (
            K::ConcurrentUpdate,
            "the store's standing changed while this request ran; retry",
        ),
        Conflict::StaleRiskRule => (
            K::ConcurrentUpdate,
            "the rule was changed by someone else (or its id is taken); reload it",
        ),
        Conflict::StaleDispute | Conflict::EvidenceRace => (
            K::ConcurrentUpdate,
            "the dispute changed while this request ran; retry",
        ),
    };
    AppError::new(kind, message)
}

impl From<TransitionError> for AppError {
    fn from(err: TransitionError) -> Self {
        match err {
            TransitionError::SecondConfirmationRequired => AppError::new(
                ErrorKind::SecondConfirmationRequired,
                "The carrier has not confirmed delivery yet. Confirming now releases the payment to the seller \
                 and ends your protection for this order. Only confirm if you have the item in your hands; \
                 resend with second_confirmation=true.",
            ),
            TransitionError::Money(e) => AppError::internal(e),
            TransitionError::Entry(e) => AppError::internal(e),
            other => AppError::invalid_state(other.to_string()),
        }
    }
}
