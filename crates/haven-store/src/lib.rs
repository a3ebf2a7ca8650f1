//! Storage behind one narrow trait, [`Store`], with two implementations:
//! SQLite (rusqlite on a single group-commit writer thread) and PostgreSQL
//! (sqlx). Both pass the same conformance suite in [`conformance`].
//!
//! Writes are expressed as a [`Changeset`]: everything one business action
//! changes (order state, stock, ledger entry, timers, outbox events, the
//! idempotency record) committed atomically or not at all. Business rules live
//! in `haven-domain`; the stores only apply changesets and answer queries.

pub mod conformance;
pub mod core;
pub mod postgres;
pub mod reputation;
pub mod risk;
pub mod sqlite;

pub use reputation::{
    BuyerRatingWrite, CaseReview, CaseStatus, IntegrityCase, IntegrityCaseWrite, ReviewFilter,
    ReviewSignal, ReviewWrite,
};
pub use risk::{
    EnforcementWrite, LinkedAccount, RiskAttempt, RiskCountsRequest, RiskKey, RiskKeyCounts,
    RiskListEntry, RiskOutcome, RiskPaymentCounts, RiskRule, RiskRuleWrite, RiskWindow,
};

use std::sync::Arc;

use async_trait::async_trait;
use haven_domain::Timestamp;
use haven_domain::account::{OneTimeToken, Session, User};
use haven_domain::catalog::{Listing, Shop};
use haven_domain::dispute::Dispute;
use haven_domain::evidence::EvidenceEntry;
use haven_domain::ids::{
    ConversationId, CouponId, DisputeId, ListingId, OrderId, PayoutId, StoreId, StrikeId, TimerId,
    UserId,
};
use haven_domain::ledger::Entry;
use haven_domain::messaging::{Conversation, Message, SecurityFlag};
use haven_domain::money::Money;
use haven_domain::order::{Order, OrderState};
use haven_domain::policy::{Policy, PolicyVersion};
use haven_domain::timer::TimerKind;
use haven_domain::trail::AuditRecord;
use serde::{Deserialize, Serialize};

pub type DynStore = Arc<dyn Store>;

#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum StoreError {
    /// The changeset lost a race or broke a uniqueness rule; nothing was written.
    #[error("conflict: {0:?}")]
    Conflict(Conflict),
    #[error("storage failure: {0}")]
    Backend(String),
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Conflict {
    /// The order changed since it was read (optimistic concurrency).
    StaleOrder,
    OutOfStock,
    EmailTaken,
    /// A display name that looks like another account's (same skeleton).
    NameTaken,
    StoreAlreadyOpened,
    TrackingNumberTaken,
    /// A ledger entry with this idempotency key already exists.
    DuplicateEntry,
    /// The same (user, Idempotency-Key) was committed concurrently.
    DuplicateIdempotencyKey,
    /// The timer was already completed by another worker.
    TimerGone,
    InsufficientFunds,
    /// The order already has an open dispute.
    DisputeAlreadyOpen,
    /// The dispute changed since it was read.
    StaleDispute,
    /// Another writer appended to the evidence log first.
    EvidenceRace,
    /// The user changed since it was read.
    StaleUser,
    /// A single-use token was already used (or never existed).
    TokenUsed,
    /// The order (or buyer and listing) already has a conversation.
    ConversationExists,
    StaleConversation,
    /// Another message took this sequence number first.
    MessageRace,
    /// The command was finished, cancelled or re-leased by someone else.
    CommandGone,
    /// A gateway-journal row changed (or was created) since it was read.
    StaleJournal,
    /// A guarded balance changed since it was read.
    StaleBalance,
    /// The risk rule was saved by someone else since it was read (or a new
    /// rule's id is taken).
    StaleRiskRule,
    /// The store's enforcement record changed since it was read.
    StaleEnforcement,
    /// The review changed since it was read, or the order already has one.
    StaleReview,
    /// The seller already rated this order's buyer.
    BuyerAlreadyRated,
    /// The integrity case changed since it was read.
    StaleIntegrityCase,
    /// The listing was held or released since it was read (or is gone).
    StaleListing,
    /// A payout settled already (or never existed).
    PayoutNotPending,
    /// The flash deal has fewer units left than the order asked for.
    DealSoldOut,
    /// The coupon has no redemptions left (or is no longer running).
    CouponExhausted,
    /// The buyer has used the coupon as often as it allows.
    CouponLimitReached,
    /// Another coupon already has this code.
    CouponCodeTaken,
}

/// A balance a changeset's amounts were computed from: the commit fails
/// with [`Conflict::StaleBalance`] unless it still holds (and the row is
/// locked until the commit on PostgreSQL).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct BalanceGuard {
    pub account: String,
    pub currency: String,
    pub expected_minor: i64,
}

pub type StoreResult<T> = Result<T, StoreError>;

/// One published policy version.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct PolicyRecord {
    pub version: PolicyVersion,
    pub policy: Policy,
    pub published_at: Timestamp,
    /// The admin who published it; none for a version a server started with.
    pub published_by: Option<UserId>,
}

/// What a request with an `Idempotency-Key` produced. Only a reference to
/// the resource is kept (`order:<id>`, `dispute:<id>` …), not a copy of the
/// response: a replay answers with that resource as it is now.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct IdempotencyRecord {
    pub user_id: UserId,
    pub key: String,
    /// SHA-256 of method, path and body: the same key with a different
    /// request is refused instead of answered with the wrong response.
    pub request_hash: String,
    pub resource: String,
    pub created_at: Timestamp,
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct StockChange {
    pub listing_id: ListingId,
    /// Negative takes stock and fails with `OutOfStock` if there is not enough.
    pub delta: i64,
    /// Negative takes flash-deal units and fails with `DealSoldOut` if
    /// there are not enough.
    pub deal_delta: i64,
    /// Give the (positive) `delta` back to the flash deal that started at
    /// this time, if it is still the listing's deal (an unpaid order's
    /// units; a later deal never gets units it did not sell).
    pub deal_return: Option<Timestamp>,
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct OrderWrite {
    pub order: Order,
    /// `None` inserts a new order; `Some(v)` updates only if the stored
    /// version is still `v`, then stores `v + 1`.
    pub expected_version: Option<i64>,
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct NewTimer {
    pub order_id: OrderId,
    pub kind: TimerKind,
    pub due_at: Timestamp,
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Timer {
    pub id: TimerId,
    pub order_id: OrderId,
    pub kind: TimerKind,
    pub due_at: Timestamp,
    pub attempts: i32,
}

/// How far a sweep over deadlines got: the last one it handled, by due
/// time and then id (ids break ties between deadlines due together).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct SweepCursor {
    pub due_at: Timestamp,
    pub after_id: String,
}

impl SweepCursor {
    /// Before every deadline due after `at`.
    pub fn at(at: Timestamp) -> SweepCursor {
        SweepCursor {
            due_at: at,
            after_id: String::new(),
        }
    }

    /// Just past `timer`.
    pub fn past(timer: &Timer) -> SweepCursor {
        SweepCursor {
            due_at: timer.due_at,
            after_id: timer.id.0.to_string(),
        }
    }
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct OutboxEvent {
    pub seq: i64,
    pub id: uuid::Uuid,
    pub topic: String,
    pub payload: serde_json::Value,
    pub created_at: Timestamp,
}

impl OutboxEvent {
    /// The payload's id under `key` (`order_id`, `store_id` …), if any.
    pub fn payload_id(&self, key: &str) -> Option<uuid::Uuid> {
        self.payload
            .get(key)
            .and_then(|v| v.as_str())
            .and_then(|s| uuid::Uuid::parse_str(s).ok())
    }
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct NewOutboxEvent {
    pub topic: String,
    pub payload: serde_json::Value,
    pub created_at: Timestamp,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct TrackingEvent {
    pub carrier: String,
    pub tracking_number: String,
    pub status: String,
    pub occurred_at: Timestamp,
    pub location: String,
    pub received_at: Timestamp,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Payout {
    pub id: PayoutId,
    pub store_id: StoreId,
    pub amount: Money,
    pub state: String,
    pub created_at: Timestamp,
    /// When the bank confirmed it (state `paid`).
    #[serde(default)]
    pub settled_at: Option<Timestamp>,
    /// The bank's reference for the transfer, for the seller's records.
    #[serde(default)]
    pub bank_reference: Option<String>,
}

/// The bank confirmed a payout: `requested` becomes `paid`, only once.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct PayoutSettlement {
    pub id: PayoutId,
    pub at: Timestamp,
    pub bank_reference: String,
}

/// One posting to an account, with its entry: a line of a statement.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct StatementLine {
    /// The entry's commit sequence number (the statement's cursor).
    pub seq: i64,
    pub kind: haven_domain::ledger::EntryKind,
    pub order_id: Option<OrderId>,
    pub payout_id: Option<PayoutId>,
    pub created_at: Timestamp,
    /// Into the account (positive) or out of it (negative).
    pub amount: Money,
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct UserWrite {
    pub user: User,
    /// Updates only if the stored version is still this one.
    pub expected_version: i64,
}

/// A session's activity: when it was last used, and the last time its owner
/// re-proved who they are.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct SessionTouch {
    pub token_hash: String,
    pub last_seen_at: Timestamp,
    pub reauthenticated_at: Option<Timestamp>,
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ConversationWrite {
    pub conversation: Conversation,
    /// `None` inserts; `Some(v)` updates only if the stored version is `v`.
    pub expected_version: Option<i64>,
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct DisputeWrite {
    pub dispute: Dispute,
    /// `None` inserts; `Some(v)` updates only if the stored version is `v`.
    pub expected_version: Option<i64>,
}

/// A recorded strike against a seller's store.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Strike {
    pub id: StrikeId,
    pub store_id: StoreId,
    pub order_id: Option<OrderId>,
    pub dispute_id: Option<DisputeId>,
    pub reason: String,
    pub at: Timestamp,
}

/// Metadata of a file in the blob store (the bytes live there, by hash).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct EvidenceFile {
    pub hash: String,
    pub content_type: String,
    pub size_bytes: i64,
    pub created_at: Timestamp,
}

/// Counts an agent weighs when deciding a case.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct PartyHistory {
    pub buyer_orders: i64,
    pub buyer_disputes: i64,
    pub store_orders: i64,
    pub store_disputes: i64,
    pub store_strikes: i64,
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Media {
    pub hash: String,
    pub content_type: String,
    pub bytes: Vec<u8>,
}

/// Where a command stands.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum CommandState {
    /// Waiting to be carried out (or retried).
    Pending,
    Done,
    /// Gave up after the last attempt; an agent looks at it.
    Dead,
    /// No longer wanted (a chargeback took the money back first).
    Cancelled,
}

impl CommandState {
    pub fn as_str(&self) -> &'static str {
        match self {
            CommandState::Pending => "pending",
            CommandState::Done => "done",
            CommandState::Dead => "dead",
            CommandState::Cancelled => "cancelled",
        }
    }

    pub fn parse(raw: &str) -> Option<CommandState> {
        [
            CommandState::Pending,
            CommandState::Done,
            CommandState::Dead,
            CommandState::Cancelled,
        ]
        .into_iter()
        .find(|s| s.as_str() == raw)
    }
}

/// A side effect outside the database (an email, a gateway refund),
/// queued in the same transaction as its cause and carried out by a
/// dispatcher that leases it, retries it with backoff, and finally
/// dead-letters it.
#[derive(Debug, Clone, PartialEq)]
pub struct Command {
    pub id: uuid::Uuid,
    /// `email`, `gateway.refund`, …
    pub kind: String,
    /// At most one command per key, ever.
    pub dedupe_key: String,
    pub payload: serde_json::Value,
    pub state: CommandState,
    /// Attempts made so far (a claim counts as one).
    pub attempts: i32,
    pub next_attempt_at: Timestamp,
    /// Set while a dispatcher holds it; a finish must name the same lease.
    pub lease_until: Timestamp,
    pub last_error: String,
    pub order_id: Option<OrderId>,
    pub created_at: Timestamp,
    pub done_at: Option<Timestamp>,
}

#[derive(Debug, Clone, PartialEq)]
pub struct NewCommand {
    pub id: uuid::Uuid,
    pub kind: String,
    pub dedupe_key: String,
    pub payload: serde_json::Value,
    pub order_id: Option<OrderId>,
    pub created_at: Timestamp,
    /// The first attempt waits until then (`created_at` unless deferred).
    pub not_before: Timestamp,
    /// Set for a command born dead-lettered: a finding for an agent (say,
    /// a paid order the gateway has no capture for), with this error.
    pub dead_letter: Option<String>,
    /// What the command belongs to besides an order (a webhook endpoint),
    /// for listing them by it ([`Store::commands_for_subject`]).
    pub subject_id: Option<uuid::Uuid>,
}

impl NewCommand {
    pub fn new(
        kind: &str,
        dedupe_key: String,
        payload: serde_json::Value,
        order_id: Option<OrderId>,
        created_at: Timestamp,
    ) -> NewCommand {
        NewCommand {
            id: uuid::Uuid::now_v7(),
            kind: kind.to_string(),
            dedupe_key,
            payload,
            order_id,
            created_at,
            not_before: created_at,
            dead_letter: None,
            subject_id: None,
        }
    }

    /// File it under `subject` (see [`Store::commands_for_subject`]).
    pub fn for_subject(mut self, subject: uuid::Uuid) -> NewCommand {
        self.subject_id = Some(subject);
        self
    }

    /// Queue it straight into the dead-letter queue, for an agent.
    pub fn dead_lettered(mut self, error: &str) -> NewCommand {
        self.dead_letter = Some(error.to_string());
        self
    }

    /// Wait until `at` before the first attempt.
    pub fn not_before(mut self, at: Timestamp) -> NewCommand {
        self.not_before = at;
        self
    }
}

/// What a dispatcher records after an attempt. The update applies only if
/// the command is still pending under the same lease.
#[derive(Debug, Clone, PartialEq)]
pub enum CommandUpdate {
    Finished {
        id: uuid::Uuid,
        lease_until: Timestamp,
        state: CommandState,
        at: Timestamp,
        error: String,
        /// Replaces the payload (an email's body, with its links, is not
        /// kept once delivered).
        redacted_payload: Option<serde_json::Value>,
    },
    RetryAt {
        id: uuid::Uuid,
        lease_until: Timestamp,
        next_attempt_at: Timestamp,
        error: String,
    },
    /// The request that queued the command did its work itself (a
    /// checkout whose capture went through): done, if still pending, with
    /// no lease needed. Whatever the command guards is protected by its own
    /// compare-and-swap (the order's version), so a dispatcher that holds a
    /// lease at the same moment finds the work already recorded.
    Settled { id: uuid::Uuid, at: Timestamp },
    /// Not before `next_attempt_at` (a checkout waiting for its card
    /// challenge looks again when the challenge expires). Only while
    /// pending and not leased.
    Deferred {
        id: uuid::Uuid,
        next_attempt_at: Timestamp,
        now: Timestamp,
    },
    /// An agent sends a dead-lettered command again: pending, attempts
    /// reset, due at `at`. Only while dead.
    Revived { id: uuid::Uuid, at: Timestamp },
    /// An agent closes a dead-lettered command without sending it (handled
    /// by hand, or a finding reviewed): cancelled, with the agent's note.
    Dismissed {
        id: uuid::Uuid,
        at: Timestamp,
        note: String,
    },
}

/// A bounded deletion of rows older than `before` (retention).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Purge {
    pub before: Timestamp,
    pub limit: u32,
}

/// Gauges for monitoring, read in one query.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct OpsSnapshot {
    /// Money held in escrow across every order, in minor units.
    pub escrow_minor: i64,
    pub timers_pending: i64,
    /// How long the oldest due deadline has waited (0 when none is due).
    pub timer_lag_ms: i64,
    pub commands_pending: i64,
    pub commands_dead: i64,
    /// Committed events not yet published.
    pub events_unpublished: i64,
}

/// One row of the simulated card network's books: a payment, or the
/// payment an idempotency key produced. See `gateway_journal`.
#[derive(Debug, Clone, PartialEq)]
pub struct JournalRecord {
    pub key: String,
    pub kind: String,
    pub body: serde_json::Value,
    /// 1 when created; each write must name the version it read.
    pub version: i64,
    pub created_at: Timestamp,
}

/// Create (`expected_version: None`) or replace a journal row; either
/// fails with [`Conflict::StaleJournal`] if another writer got there first.
#[derive(Debug, Clone, PartialEq)]
pub struct JournalWrite {
    pub key: String,
    pub kind: String,
    pub body: serde_json::Value,
    pub expected_version: Option<i64>,
    pub at: Timestamp,
}

/// One counted login-defence event: a login attempt from an address, a
/// failure on an email, a reset email sent.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ThrottleEvent {
    pub scope: String,
    pub subject: String,
    /// What varied (the email an address failed on); `COUNT(DISTINCT)`
    /// over it finds one address trying many accounts.
    pub detail: String,
    pub at: Timestamp,
}

/// Counts of a scope and subject's events since some instant.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct ThrottleCount {
    pub events: i64,
    pub distinct_details: i64,
    pub last_at: Option<Timestamp>,
}

/// Everything one action writes, applied in one transaction.
#[derive(Debug, Clone, Default)]
pub struct Changeset {
    pub users: Vec<User>,
    pub user_updates: Vec<UserWrite>,
    pub sessions: Vec<Session>,
    pub delete_sessions: Vec<String>,
    /// End every session of a user, except the one with this token hash.
    pub delete_user_sessions: Vec<(UserId, Option<String>)>,
    pub session_touches: Vec<SessionTouch>,
    pub tokens: Vec<OneTimeToken>,
    /// Mark tokens used; each must be unused, or nothing is written.
    pub use_tokens: Vec<(String, Timestamp)>,
    /// Retire every unused token of a kind for a user (applied after
    /// `use_tokens`): one reset or password change kills the other links.
    pub void_tokens: Vec<(UserId, haven_domain::account::TokenKind, Timestamp)>,
    pub conversations: Vec<ConversationWrite>,
    pub messages: Vec<Message>,
    /// (conversation, reader, last seq read); only ever moves forward.
    pub reads: Vec<(ConversationId, UserId, i64)>,
    pub security_flags: Vec<SecurityFlag>,
    pub shops: Vec<Shop>,
    pub listings: Vec<Listing>,
    pub listing_updates: Vec<ListingUpdate>,
    pub media: Vec<Media>,
    pub stock: Vec<StockChange>,
    pub orders: Vec<OrderWrite>,
    pub entries: Vec<Entry>,
    /// Balances `entries` were computed from; checked before they post.
    pub balance_guards: Vec<BalanceGuard>,
    pub schedule: Vec<NewTimer>,
    pub unschedule: Vec<(OrderId, TimerKind)>,
    /// The timer this changeset fires; it must still exist or nothing is written.
    pub complete_timer: Option<TimerId>,
    pub outbox: Vec<NewOutboxEvent>,
    /// Outbox rows (by seq) a dispatcher has delivered, and when.
    pub outbox_delivered: Vec<(i64, Timestamp)>,
    /// (carrier, tracking number, order) claims; a number belongs to one order.
    pub tracking_claims: Vec<(String, String, OrderId)>,
    pub tracking_events: Vec<TrackingEvent>,
    pub payouts: Vec<Payout>,
    pub payout_settlements: Vec<PayoutSettlement>,
    pub disputes: Vec<DisputeWrite>,
    /// Appended to their disputes' logs; (dispute, seq) must be new.
    pub evidence: Vec<EvidenceEntry>,
    pub evidence_files: Vec<EvidenceFile>,
    pub audit: Vec<AuditRecord>,
    pub strikes: Vec<Strike>,
    pub commands: Vec<NewCommand>,
    pub command_updates: Vec<CommandUpdate>,
    /// Cancel an order's pending, unleased commands of a kind, at this time.
    pub cancel_commands: Vec<(OrderId, String, Timestamp)>,
    pub journal: Vec<JournalWrite>,
    pub throttle_events: Vec<ThrottleEvent>,
    /// (scope, subject, until): a block lasts until the latest `until`.
    pub throttle_blocks: Vec<(String, String, Timestamp)>,
    /// Drop login-defence events and blocks older than this.
    pub purge_throttle_before: Option<Timestamp>,
    /// Drop up to `limit` idempotency records created before `before`.
    pub purge_idempotency: Option<Purge>,
    /// Drop up to `limit` published events created before `before`.
    pub purge_events: Option<Purge>,
    /// Payment risk attempts older than `before` (a bounded batch), except
    /// those still waiting in the review queue.
    pub purge_risk_attempts: Option<Purge>,
    /// Emails sent before `before` (a bounded batch): the address and text
    /// of a message already handed to the relay are kept no longer.
    pub purge_sent_emails: Option<Purge>,
    pub idempotency: Option<IdempotencyRecord>,
    pub risk_attempts: Vec<RiskAttempt>,
    /// (order, outcome): where an order's payment attempt ended up.
    pub risk_outcomes: Vec<(OrderId, RiskOutcome)>,
    pub risk_rules: Vec<RiskRuleWrite>,
    pub risk_list_adds: Vec<RiskListEntry>,
    /// (list, value)
    pub risk_list_removes: Vec<(String, String)>,
    pub enforcement: Vec<EnforcementWrite>,
    pub reviews: Vec<ReviewWrite>,
    pub buyer_ratings: Vec<BuyerRatingWrite>,
    /// Added to the store's monthly counters (hot rows: taken last).
    pub stat_deltas: Vec<haven_domain::reputation::StatDelta>,
    pub buyer_completions: Vec<haven_domain::reputation::BuyerCompletion>,
    /// Empty the counters first (`haven reputation rebuild`).
    pub reset_reputation: bool,
    pub integrity_cases: Vec<IntegrityCaseWrite>,
    /// Strikes withdrawn (a reversed integrity case).
    pub remove_strikes: Vec<StrikeId>,
    /// Set a cart line's quantity (added if new).
    pub cart_puts: Vec<CartLine>,
    /// (buyer, listing) lines to take out of the cart.
    pub cart_removes: Vec<(UserId, ListingId)>,
    pub coupons: Vec<haven_domain::coupon::Coupon>,
    /// Rewrite a coupon's definition (ending it early); its counters stay.
    pub coupon_updates: Vec<haven_domain::coupon::Coupon>,
    /// (coupon, buyer, when); claiming twice is harmless.
    pub coupon_claims: Vec<(CouponId, UserId, Timestamp)>,
    /// Each takes one of the coupon's redemptions and one of the buyer's,
    /// or fails with `CouponExhausted` / `CouponLimitReached` (hot rows:
    /// taken last).
    pub coupon_redemptions: Vec<CouponRedemption>,
    /// Orders whose coupons are given back (cancelled or refunded in full).
    pub coupon_releases: Vec<(OrderId, Timestamp)>,
    /// (order, listing, buyer) bought in a completed order: the
    /// co-purchase graph recommendations read.
    pub purchases: Vec<(OrderId, ListingId, UserId)>,
    /// Completed orders refunded later: out of the co-purchase graph.
    pub purchase_removals: Vec<OrderId>,
    /// Bundles offered, or rewritten (ended).
    pub bundles: Vec<haven_domain::bundle::Bundle>,
    /// Fingerprints of new listings' text and pictures.
    pub listing_fingerprints: Vec<ListingFingerprint>,
    /// Brand proofs submitted or decided (one row per store and brand).
    pub brand_approvals: Vec<haven_domain::catalog::BrandApproval>,
    /// Webhook endpoints added or changed (the whole row).
    pub webhook_endpoints: Vec<WebhookEndpoint>,
    /// Notices for people (a repeat of an event and person is ignored).
    pub notifications: Vec<Notification>,
    /// (user, at): every unread notice of the user is read as of `at`.
    pub notifications_read: Vec<(UserId, Timestamp)>,
}

/// A notice in someone's bell.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Notification {
    pub id: uuid::Uuid,
    pub user_id: UserId,
    /// The business event it tells of.
    pub event_id: uuid::Uuid,
    pub kind: haven_domain::notice::NoticeKind,
    pub title: String,
    pub detail: String,
    pub link: String,
    pub created_at: Timestamp,
    #[serde(default)]
    pub read_at: Option<Timestamp>,
}

/// Where an integrator receives Haven's business events, signed with the
/// endpoint's own secret.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct WebhookEndpoint {
    pub id: uuid::Uuid,
    pub url: String,
    /// The HMAC-SHA256 key (shown to the admin once, when made).
    pub secret: String,
    /// Event types sent; empty means every type.
    pub topics: Vec<String>,
    pub description: String,
    pub enabled: bool,
    /// The outbox position when it was made or last resumed: it is sent
    /// only events published after it.
    pub starts_after_seq: i64,
    pub created_at: Timestamp,
    pub created_by: UserId,
    pub updated_at: Timestamp,
}

/// One set of identifiers a store's owner used (empty fields unknown).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct OwnerIdentifiers {
    pub store_id: StoreId,
    pub device: Option<String>,
    pub card: Option<String>,
    pub address: Option<String>,
    pub ip: Option<String>,
}

/// One fingerprint of a listing, with the bands the store indexes.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ListingFingerprint {
    pub listing_id: ListingId,
    pub store_id: StoreId,
    /// "text" or "image".
    pub kind: String,
    /// (band, value) pairs; a near-copy shares at least one.
    pub bands: Vec<(u8, i64)>,
    /// The whole fingerprint, encoded, for the caller to compare.
    pub signature: String,
}

/// A stored fingerprint that shares a band with the one asked about.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct FingerprintMatch {
    pub listing_id: ListingId,
    pub store_id: StoreId,
    pub signature: String,
}

/// A line of a buyer's cart.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct CartLine {
    pub buyer_id: UserId,
    pub listing_id: ListingId,
    pub quantity: u32,
    pub added_at: Timestamp,
}

/// A coupon with how many redemptions it has given.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct StoredCoupon {
    pub coupon: haven_domain::coupon::Coupon,
    pub redeemed: i64,
}

/// One coupon taken by one order, within the coupon's limits.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct CouponRedemption {
    pub coupon_id: CouponId,
    pub order_id: OrderId,
    pub buyer_id: UserId,
    pub per_buyer_limit: u32,
    pub at: Timestamp,
}

impl Changeset {
    /// Fold `other` into this changeset (one transaction for both).
    pub fn merge(&mut self, other: Changeset) {
        self.users.extend(other.users);
        self.user_updates.extend(other.user_updates);
        self.sessions.extend(other.sessions);
        self.delete_sessions.extend(other.delete_sessions);
        self.delete_user_sessions.extend(other.delete_user_sessions);
        self.session_touches.extend(other.session_touches);
        self.tokens.extend(other.tokens);
        self.use_tokens.extend(other.use_tokens);
        self.void_tokens.extend(other.void_tokens);
        self.conversations.extend(other.conversations);
        self.messages.extend(other.messages);
        self.reads.extend(other.reads);
        self.security_flags.extend(other.security_flags);
        self.shops.extend(other.shops);
        self.listings.extend(other.listings);
        self.media.extend(other.media);
        self.stock.extend(other.stock);
        self.orders.extend(other.orders);
        self.entries.extend(other.entries);
        self.balance_guards.extend(other.balance_guards);
        self.schedule.extend(other.schedule);
        self.unschedule.extend(other.unschedule);
        self.complete_timer = self.complete_timer.or(other.complete_timer);
        self.outbox.extend(other.outbox);
        self.outbox_delivered.extend(other.outbox_delivered);
        self.tracking_claims.extend(other.tracking_claims);
        self.tracking_events.extend(other.tracking_events);
        self.payouts.extend(other.payouts);
        self.disputes.extend(other.disputes);
        self.evidence.extend(other.evidence);
        self.evidence_files.extend(other.evidence_files);
        self.audit.extend(other.audit);
        self.strikes.extend(other.strikes);
        self.commands.extend(other.commands);
        self.command_updates.extend(other.command_updates);
        self.cancel_commands.extend(other.cancel_commands);
        self.journal.extend(other.journal);
        self.throttle_events.extend(other.throttle_events);
        self.throttle_blocks.extend(other.throttle_blocks);
        self.purge_throttle_before = self.purge_throttle_before.or(other.purge_throttle_before);
        self.purge_idempotency = self.purge_idempotency.or(other.purge_idempotency);
        self.purge_events = self.purge_events.or(other.purge_events);
        self.purge_risk_attempts = self.purge_risk_attempts.or(other.purge_risk_attempts);
        self.purge_sent_emails = self.purge_sent_emails.or(other.purge_sent_emails);
        self.idempotency = self.idempotency.take().or(other.idempotency);
        self.risk_attempts.extend(other.risk_attempts);
        self.risk_outcomes.extend(other.risk_outcomes);
        self.risk_rules.extend(other.risk_rules);
        self.risk_list_adds.extend(other.risk_list_adds);
        self.risk_list_removes.extend(other.risk_list_removes);
        self.enforcement.extend(other.enforcement);
        self.reviews.extend(other.reviews);
        self.buyer_ratings.extend(other.buyer_ratings);
        self.stat_deltas.extend(other.stat_deltas);
        self.buyer_completions.extend(other.buyer_completions);
        self.reset_reputation |= other.reset_reputation;
        self.integrity_cases.extend(other.integrity_cases);
        self.remove_strikes.extend(other.remove_strikes);
        self.cart_puts.extend(other.cart_puts);
        self.cart_removes.extend(other.cart_removes);
        self.coupons.extend(other.coupons);
        self.coupon_updates.extend(other.coupon_updates);
        self.coupon_claims.extend(other.coupon_claims);
        self.coupon_redemptions.extend(other.coupon_redemptions);
        self.coupon_releases.extend(other.coupon_releases);
        self.purchases.extend(other.purchases);
        self.purchase_removals.extend(other.purchase_removals);
        self.bundles.extend(other.bundles);
        self.listing_fingerprints.extend(other.listing_fingerprints);
        self.brand_approvals.extend(other.brand_approvals);
        self.webhook_endpoints.extend(other.webhook_endpoints);
        self.notifications.extend(other.notifications);
        self.notifications_read.extend(other.notifications_read);
    }

    pub fn is_empty(&self) -> bool {
        self.users.is_empty()
            && self.user_updates.is_empty()
            && self.sessions.is_empty()
            && self.delete_sessions.is_empty()
            && self.delete_user_sessions.is_empty()
            && self.session_touches.is_empty()
            && self.tokens.is_empty()
            && self.use_tokens.is_empty()
            && self.void_tokens.is_empty()
            && self.conversations.is_empty()
            && self.messages.is_empty()
            && self.reads.is_empty()
            && self.security_flags.is_empty()
            && self.shops.is_empty()
            && self.listings.is_empty()
            && self.media.is_empty()
            && self.stock.is_empty()
            && self.orders.is_empty()
            && self.entries.is_empty()
            && self.schedule.is_empty()
            && self.unschedule.is_empty()
            && self.complete_timer.is_none()
            && self.outbox.is_empty()
            && self.outbox_delivered.is_empty()
            && self.tracking_claims.is_empty()
            && self.tracking_events.is_empty()
            && self.payouts.is_empty()
            && self.disputes.is_empty()
            && self.evidence.is_empty()
            && self.evidence_files.is_empty()
            && self.audit.is_empty()
            && self.strikes.is_empty()
            && self.commands.is_empty()
            && self.command_updates.is_empty()
            && self.cancel_commands.is_empty()
            && self.journal.is_empty()
            && self.balance_guards.is_empty()
            && self.throttle_events.is_empty()
            && self.throttle_blocks.is_empty()
            && self.purge_throttle_before.is_none()
            && self.purge_idempotency.is_none()
            && self.purge_events.is_none()
            && self.purge_risk_attempts.is_none()
            && self.purge_sent_emails.is_none()
            && self.idempotency.is_none()
            && self.risk_attempts.is_empty()
            && self.risk_outcomes.is_empty()
            && self.risk_rules.is_empty()
            && self.risk_list_adds.is_empty()
            && self.risk_list_removes.is_empty()
            && self.enforcement.is_empty()
            && self.reviews.is_empty()
            && self.buyer_ratings.is_empty()
            && self.stat_deltas.is_empty()
            && self.buyer_completions.is_empty()
            && !self.reset_reputation
            && self.integrity_cases.is_empty()
            && self.remove_strikes.is_empty()
            && self.cart_puts.is_empty()
            && self.cart_removes.is_empty()
            && self.coupons.is_empty()
            && self.coupon_updates.is_empty()
            && self.coupon_claims.is_empty()
            && self.coupon_redemptions.is_empty()
            && self.coupon_releases.is_empty()
            && self.purchases.is_empty()
            && self.purchase_removals.is_empty()
            && self.bundles.is_empty()
            && self.listing_fingerprints.is_empty()
            && self.brand_approvals.is_empty()
            && self.webhook_endpoints.is_empty()
            && self.notifications.is_empty()
            && self.notifications_read.is_empty()
    }
}

/// The most webhook endpoints a deployment may have.
pub const MAX_WEBHOOK_ENDPOINTS: u32 = 20;

/// A page of results and the cursor for the next one, if any.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Page<T> {
    pub items: Vec<T>,
    pub next_cursor: Option<String>,
}

/// Keyset pagination: newest first, strictly after `cursor`.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct PageRequest {
    pub cursor: Option<String>,
    pub limit: u32,
}

pub const MAX_PAGE: u32 = 100;
/// An evidence log holds at most this many entries (files, messages, scans).
pub const MAX_EVIDENCE_ENTRIES: u32 = 1_000;

impl PageRequest {
    pub fn new(cursor: Option<String>, limit: Option<u32>) -> Self {
        PageRequest {
            cursor,
            limit: limit.unwrap_or(20).clamp(1, MAX_PAGE),
        }
    }

    /// Decode `<created_ms>_<uuid>`; a malformed cursor is treated as the start.
    pub fn position(&self) -> Option<(i64, uuid::Uuid)> {
        let (ms, id) = self.cursor.as_deref()?.split_once('_')?;
        Some((ms.parse().ok()?, uuid::Uuid::parse_str(id).ok()?))
    }
}

pub fn cursor_for(created_at: Timestamp, id: uuid::Uuid) -> String {
    format!("{}_{}", created_at.as_millisecond(), id)
}

/// Decode an ascending cursor for the case queue; malformed means the start.
pub fn queue_position(page: &PageRequest) -> (i64, String) {
    page.position()
        .map_or((i64::MIN, String::new()), |(ms, id)| (ms, id.to_string()))
}

/// Build a page from `limit + 1` rows fetched newest first.
pub fn make_page<T>(
    mut rows: Vec<T>,
    limit: u32,
    key: impl Fn(&T) -> (Timestamp, uuid::Uuid),
) -> Page<T> {
    let has_more = rows.len() > limit as usize;
    rows.truncate(limit as usize);
    let next_cursor = if has_more {
        rows.last().map(|row| {
            let (at, id) = key(row);
            cursor_for(at, id)
        })
    } else {
        None
    };
    Page {
        items: rows,
        next_cursor,
    }
}

/// Rewrite a listing (its stock column aside), if its hold is as read.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ListingUpdate {
    pub listing: Listing,
    pub was_held: bool,
    /// Set the flash-deal counter (a new deal); `None` leaves it.
    pub deal_remaining: Option<i64>,
    /// Set the stock column, only if it still holds what the seller saw;
    /// `None` leaves it (it otherwise moves only with orders).
    pub set_stock: Option<haven_domain::catalog::StockEdit>,
}

/// A listing with what search ranks it by.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct SearchRow {
    pub listing: Listing,
    /// Units its orders took and kept.
    pub units_sold: i64,
    /// Stars of its public, counted reviews: (sum, count).
    pub rating_sum: i64,
    pub rating_count: i64,
}

#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct ListingFilter {
    pub category: Option<String>,
    pub store_id: Option<StoreId>,
}

/// One ledger entry as stored, with its commit sequence number.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct StoredEntry {
    pub seq: i64,
    pub entry: Entry,
}

/// A raw cached balance row, for `verify`.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct BalanceRow {
    pub account: String,
    pub currency: String,
    pub balance_minor: i64,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct OrderSummary {
    pub id: OrderId,
    pub state: OrderState,
    pub total_minor: i64,
}

#[async_trait]
pub trait Store: Send + Sync + 'static {
    /// Which backend this is ("sqlite" or "postgres").
    fn backend(&self) -> &'static str;

    /// Create or upgrade the schema. Safe to run repeatedly.
    async fn migrate(&self) -> StoreResult<()>;

    /// Apply a changeset atomically. On any error nothing was written.
    async fn commit(&self, changes: Changeset) -> StoreResult<()>;

    // Policy versions: an order stores the version it was sold under.
    async fn latest_policy(&self) -> StoreResult<Option<(PolicyVersion, Policy)>>;
    async fn policy(&self, version: PolicyVersion) -> StoreResult<Option<Policy>>;
    /// Store `policy` as a new version unless it equals the latest one;
    /// `published_by` is the admin who published it (none at start-up).
    async fn ensure_policy(
        &self,
        policy: &Policy,
        now: Timestamp,
        published_by: Option<UserId>,
    ) -> StoreResult<PolicyVersion>;
    /// Policy versions newest first, older than `before`.
    async fn policy_history(
        &self,
        before: Option<PolicyVersion>,
        limit: u32,
    ) -> StoreResult<Vec<PolicyRecord>>;

    // Accounts.
    async fn user(&self, id: UserId) -> StoreResult<Option<User>>;
    async fn user_by_email(&self, email: &str) -> StoreResult<Option<User>>;
    /// Accounts whose email or display name has this skeleton (at most 2).
    async fn users_looking_like(
        &self,
        email_skeleton: &str,
        name_skeleton: &str,
    ) -> StoreResult<Vec<User>>;
    async fn session(&self, token_hash: &str) -> StoreResult<Option<Session>>;
    /// A session with its user and the id of the store the user owns, in
    /// one read (every authenticated request needs all three).
    async fn session_with_user(
        &self,
        token_hash: &str,
    ) -> StoreResult<Option<(Session, User, Option<StoreId>)>>;

    /// A user's sessions, newest first (bounded).
    async fn sessions_for_user(&self, user: UserId) -> StoreResult<Vec<Session>>;
    async fn token(&self, token_hash: &str) -> StoreResult<Option<OneTimeToken>>;
    /// Sellers waiting for an agent to review their identity document.
    /// Sellers whose identity document waits for review, newest account first.
    async fn pending_identity_reviews(&self, page: &PageRequest) -> StoreResult<Page<User>>;

    // Catalog.
    async fn shop(&self, id: StoreId) -> StoreResult<Option<Shop>>;
    async fn shop_by_owner(&self, owner: UserId) -> StoreResult<Option<Shop>>;
    async fn shops(&self, page: &PageRequest) -> StoreResult<Page<Shop>>;
    async fn listing(&self, id: ListingId) -> StoreResult<Option<Listing>>;
    async fn listings(
        &self,
        filter: &ListingFilter,
        page: &PageRequest,
    ) -> StoreResult<Page<Listing>>;
    async fn media(&self, hash: &str) -> StoreResult<Option<Media>>;
    /// Listings for the search index, held ones included, in id order
    /// after `after` (optionally one store's).
    async fn search_rows(
        &self,
        after: Option<ListingId>,
        store: Option<StoreId>,
        limit: u32,
    ) -> StoreResult<Vec<SearchRow>>;
    async fn search_row(&self, id: ListingId) -> StoreResult<Option<SearchRow>>;
    /// Listings (not held, store not suspended) that share a product key,
    /// oldest first.
    async fn listings_for_product(&self, key: &str, limit: u32) -> StoreResult<Vec<Listing>>;

    // Cart and coupons.
    /// A buyer's cart, in the order lines were added.
    async fn cart(&self, buyer: UserId) -> StoreResult<Vec<CartLine>>;
    async fn coupon(&self, id: CouponId) -> StoreResult<Option<StoredCoupon>>;
    async fn coupon_by_code(&self, code: &str) -> StoreResult<Option<StoredCoupon>>;
    /// A store's coupons (`None`: the platform's), newest first.
    async fn coupons_of(
        &self,
        store: Option<StoreId>,
        page: &PageRequest,
    ) -> StoreResult<Page<StoredCoupon>>;
    /// Coupons the buyer claimed, newest claim first.
    async fn claimed_coupons(&self, buyer: UserId, limit: u32) -> StoreResult<Vec<StoredCoupon>>;
    /// Listings bought, in completed orders, by the buyers of `listing`
    /// (orders whose review integrity removed the review left out), with
    /// how many such buyers each; most first.
    async fn also_bought(
        &self,
        listing: ListingId,
        limit: u32,
    ) -> StoreResult<Vec<(ListingId, i64)>>;
    /// Listings trust and safety holds (by an agent or by the listing
    /// checks), newest first.
    async fn held_listings(&self, page: &PageRequest) -> StoreResult<Page<Listing>>;
    /// A seller or payout account's postings, newest first, before entry
    /// `before_seq` (`None`: from the newest). Only `seller:` and `payout:`
    /// accounts have the index this needs.
    async fn account_statement(
        &self,
        account: &str,
        before_seq: Option<i64>,
        limit: u32,
    ) -> StoreResult<Vec<StatementLine>>;
    /// One store's listings, held and paused ones included, newest first
    /// (the seller centre's list).
    async fn store_listings(
        &self,
        store: StoreId,
        page: &PageRequest,
    ) -> StoreResult<Page<Listing>>;
    /// The median price (minor units) of a category's visible listings,
    /// and how many there are; `None` when there are none.
    async fn category_price_reference(&self, category: &str) -> StoreResult<Option<(i64, i64)>>;
    /// Fingerprints of `kind` from stores other than `store` that share a
    /// band with `bands` (at most `limit` per band, each listing once).
    async fn fingerprint_matches(
        &self,
        kind: &str,
        bands: &[(u8, i64)],
        store: StoreId,
        limit: u32,
    ) -> StoreResult<Vec<FingerprintMatch>>;
    /// The store's proof for a brand (by [`brand_key`](haven_domain::catalog::brand_key)).
    async fn brand_approval(
        &self,
        store: StoreId,
        brand_key: &str,
    ) -> StoreResult<Option<haven_domain::catalog::BrandApproval>>;
    /// A store's brand proofs, latest first (at most 100).
    async fn brand_approvals_of(
        &self,
        store: StoreId,
    ) -> StoreResult<Vec<haven_domain::catalog::BrandApproval>>;
    /// Brand proofs waiting for an agent, newest first.
    async fn pending_brand_approvals(
        &self,
        page: &PageRequest,
    ) -> StoreResult<Page<haven_domain::catalog::BrandApproval>>;
    /// A store's bundles, newest first (at most 100).
    async fn bundles_of(&self, store: StoreId) -> StoreResult<Vec<haven_domain::bundle::Bundle>>;
    /// The buyer's redemptions of a coupon that still count.
    async fn coupon_uses(&self, coupon: CouponId, buyer: UserId) -> StoreResult<i64>;
    /// Other accounts that redeemed `coupon` in an order paid from this
    /// card or device, or shipped to this address (coupon farming).
    async fn coupon_redeemers_sharing(
        &self,
        coupon: CouponId,
        buyer: UserId,
        card_fp: Option<&str>,
        device_id: Option<&str>,
        address_key: &str,
    ) -> StoreResult<i64>;

    // Orders.
    async fn order(&self, id: OrderId) -> StoreResult<Option<Order>>;
    async fn orders_for_buyer(&self, buyer: UserId, page: &PageRequest)
    -> StoreResult<Page<Order>>;
    /// The store's paid orders (not yet shipped, cancelled or refunded),
    /// oldest first, at most `limit`: the seller centre's to-do list.
    async fn orders_to_ship(&self, store: StoreId, limit: u32) -> StoreResult<Vec<Order>>;
    /// The store's open disputes, oldest first, at most `limit`.
    async fn open_disputes_for_store(
        &self,
        store: StoreId,
        limit: u32,
    ) -> StoreResult<Vec<Dispute>>;
    async fn orders_for_store(
        &self,
        store: StoreId,
        page: &PageRequest,
    ) -> StoreResult<Page<Order>>;
    /// Orders whose id ends with `digits` (lower-case hex, an order's
    /// short number), at most `limit`.
    async fn orders_numbered(&self, digits: &str, limit: u32) -> StoreResult<Vec<OrderId>>;

    // Shipping.
    async fn tracking_owner(&self, carrier: &str, number: &str) -> StoreResult<Option<OrderId>>;
    async fn tracking_events(&self, carrier: &str, number: &str)
    -> StoreResult<Vec<TrackingEvent>>;

    // Ledger.
    async fn balance(&self, account: &str, currency: &str) -> StoreResult<i64>;
    /// Money held in escrow for a store's open (paid, shipped, delivered)
    /// orders, and how many of them hold any: (minor units, orders).
    async fn store_escrow(&self, store: StoreId, currency: &str) -> StoreResult<(i64, i64)>;
    async fn entries_for_order(&self, order: OrderId) -> StoreResult<Vec<StoredEntry>>;
    async fn payouts(&self, store: StoreId, page: &PageRequest) -> StoreResult<Page<Payout>>;
    async fn payout(&self, id: PayoutId) -> StoreResult<Option<Payout>>;

    // Timers: claim due rows (leased until `lease_until`) in a bounded batch.
    async fn claim_due_timers(
        &self,
        now: Timestamp,
        lease_until: Timestamp,
        limit: u32,
    ) -> StoreResult<Vec<Timer>>;
    async fn pending_timers(&self, order: OrderId) -> StoreResult<Vec<Timer>>;
    /// Pending deadlines after `after` in (due, id) order, due by `until`,
    /// at most `limit`: a sweep's next batch.
    async fn timers_after(
        &self,
        after: &SweepCursor,
        until: Timestamp,
        limit: u32,
    ) -> StoreResult<Vec<Timer>>;
    /// Where the sweep `name` stopped (`None`: it never ran).
    async fn sweep_cursor(&self, name: &str) -> StoreResult<Option<SweepCursor>>;
    /// Move the sweep `name` from `from` (`None`: never ran) to `to`. False
    /// when another node moved it first.
    async fn advance_sweep(
        &self,
        name: &str,
        from: Option<&SweepCursor>,
        to: &SweepCursor,
    ) -> StoreResult<bool>;
    /// Deadlines not yet fired, across all orders (for monitoring).
    async fn count_pending_timers(&self) -> StoreResult<i64>;
    /// What `/metrics` reports about the marketplace as a whole, at `now`.
    async fn ops_snapshot(&self, now: Timestamp) -> StoreResult<OpsSnapshot>;

    // Events and idempotency.
    /// Published events after position `after_seq`, in published order.
    async fn outbox_after(&self, after_seq: i64, limit: u32) -> StoreResult<Vec<OutboxEvent>>;
    /// Publish up to `limit` committed events: give them the next
    /// positions, in one transaction under the outbox lock.
    async fn sequence_outbox(&self, limit: u32) -> StoreResult<()>;
    /// The newest published position (0 when nothing is published).
    async fn outbox_head(&self) -> StoreResult<i64>;
    /// The outbox position up to which `relay` has handed events on (0:
    /// none yet). Published events past the lowest relay position are
    /// kept whatever their age.
    async fn relay_position(&self, relay: &str) -> StoreResult<i64>;

    // Payment risk.
    /// Attempts with `key` before now: in the last hour and day, failed in
    /// the last day, and the other cards and accounts seen with it since
    /// `window.month_ago`.
    async fn risk_key_counts(
        &self,
        key: &RiskKey,
        window: &RiskWindow,
    ) -> StoreResult<RiskKeyCounts>;
    /// (count, total) of the buyer's attempts in `currency` that went
    /// through (allowed or approved, not declined since).
    async fn risk_paid_history(&self, buyer: UserId, currency: &str) -> StoreResult<(i64, i64)>;
    /// Every count a payment's score reads (each key's, the buyer's paid
    /// history, whether the device was seen), in one statement.
    async fn risk_payment_counts(&self, ask: &RiskCountsRequest) -> StoreResult<RiskPaymentCounts>;
    /// Has the buyer made an attempt from this device before?
    async fn risk_device_seen(&self, buyer: UserId, device_id: &str) -> StoreResult<bool>;
    async fn risk_attempt_for_order(&self, order: OrderId) -> StoreResult<Option<RiskAttempt>>;
    async fn risk_attempt(&self, id: uuid::Uuid) -> StoreResult<Option<RiskAttempt>>;
    /// Attempts held for review, newest first.
    async fn risk_attempts_in_review(&self, page: &PageRequest) -> StoreResult<Page<RiskAttempt>>;
    /// The most recent attempts, newest first (for dry runs).
    async fn recent_risk_attempts(&self, limit: u32) -> StoreResult<Vec<RiskAttempt>>;
    /// Other accounts sharing a device, card, IP or address with `attempt`.
    async fn risk_linked_accounts(
        &self,
        attempt: &RiskAttempt,
        limit: u32,
    ) -> StoreResult<Vec<LinkedAccount>>;
    /// The version in force of every rule, oldest rule first.
    async fn risk_rules(&self) -> StoreResult<Vec<RiskRule>>;
    /// Every saved version of one rule, newest first.
    async fn risk_rule_versions(&self, id: &str) -> StoreResult<Vec<RiskRule>>;
    async fn risk_lists(&self) -> StoreResult<Vec<RiskListEntry>>;

    // Seller enforcement.
    /// A store's record and its version.
    async fn store_enforcement(
        &self,
        store: StoreId,
    ) -> StoreResult<Option<(haven_domain::enforcement::StoreEnforcement, i64)>>;
    /// What enforcement weighs, for orders and defects since `since`.
    async fn seller_metrics(
        &self,
        store: StoreId,
        since: Timestamp,
    ) -> StoreResult<haven_domain::enforcement::SellerMetrics>;
    /// Stores not in good standing, or with an appeal waiting; the longest
    /// waiting (oldest change) first.
    async fn enforced_stores(
        &self,
        page: &PageRequest,
    ) -> StoreResult<Page<haven_domain::enforcement::StoreEnforcement>>;

    // Reputation.
    async fn review(
        &self,
        id: haven_domain::reputation::ReviewId,
    ) -> StoreResult<Option<haven_domain::reputation::Review>>;
    async fn review_for_order(
        &self,
        order: OrderId,
    ) -> StoreResult<Option<haven_domain::reputation::Review>>;
    /// A store's public reviews (integrity-removed ones included, to be
    /// shown as removed), newest first.
    async fn store_reviews(
        &self,
        store: StoreId,
        filter: ReviewFilter,
        page: &PageRequest,
    ) -> StoreResult<Page<haven_domain::reputation::Review>>;
    /// Reviews or replies the scanner held, oldest first.
    async fn held_reviews(
        &self,
        page: &PageRequest,
    ) -> StoreResult<Page<haven_domain::reputation::Review>>;
    async fn buyer_rating(
        &self,
        order: OrderId,
    ) -> StoreResult<Option<haven_domain::reputation::BuyerRating>>;
    /// Published ratings sellers gave a buyer: (count, sum of stars).
    async fn buyer_rating_summary(&self, buyer: UserId) -> StoreResult<(i64, i64)>;
    /// A store's monthly counters, shards summed, oldest month first.
    async fn store_stats(
        &self,
        store: StoreId,
    ) -> StoreResult<Vec<(i32, haven_domain::reputation::StatCounters)>>;
    /// Buyers whose two latest completed orders at the store are both at
    /// or after `since`.
    async fn regular_buyers(&self, store: StoreId, since: Timestamp) -> StoreResult<i64>;
    /// Reviews as the brushing detector reads them, created at or after
    /// `since`, in id order after `after`.
    async fn review_signals(
        &self,
        since: Timestamp,
        after: Option<haven_domain::reputation::ReviewId>,
        limit: u32,
    ) -> StoreResult<Vec<ReviewSignal>>;
    /// The same for one store's recent reviews and for one buyer's.
    async fn review_signals_for(
        &self,
        store: Option<StoreId>,
        buyer: Option<UserId>,
        since: Timestamp,
        limit: u32,
    ) -> StoreResult<Vec<ReviewSignal>>;
    /// Identifiers of store owners since `since` (one store's, or every
    /// store's when `None`), at most `limit` rows: what the owner paid with
    /// as a buyer and the IPs they signed in from.
    async fn store_owner_identifiers(
        &self,
        store: Option<StoreId>,
        since: Timestamp,
        limit: u32,
    ) -> StoreResult<Vec<OwnerIdentifiers>>;
    async fn integrity_case(&self, id: uuid::Uuid) -> StoreResult<Option<IntegrityCase>>;
    /// The store's newest case still open, if any.
    async fn open_integrity_case(&self, store: StoreId) -> StoreResult<Option<IntegrityCase>>;
    /// Cases with this status (all when `None`), newest first.
    async fn integrity_cases(
        &self,
        status: Option<CaseStatus>,
        page: &PageRequest,
    ) -> StoreResult<Page<IntegrityCase>>;
    /// Full scans for `haven reputation rebuild`, in id order.
    async fn scan_full_orders(&self, after: Option<OrderId>, limit: u32)
    -> StoreResult<Vec<Order>>;
    async fn scan_reviews(
        &self,
        after: Option<haven_domain::reputation::ReviewId>,
        limit: u32,
    ) -> StoreResult<Vec<haven_domain::reputation::Review>>;
    async fn scan_conversations(
        &self,
        after: Option<ConversationId>,
        limit: u32,
    ) -> StoreResult<Vec<Conversation>>;

    /// Move `relay` from position `from` to `to`. False when another node
    /// moved it first (the caller re-reads and carries on from there).
    async fn advance_relay(&self, relay: &str, from: i64, to: i64) -> StoreResult<bool>;
    /// Events of one topic not yet marked delivered, oldest first.
    async fn undelivered_outbox(&self, topic: &str, limit: u32) -> StoreResult<Vec<OutboxEvent>>;
    async fn idempotency(&self, user: UserId, key: &str) -> StoreResult<Option<IdempotencyRecord>>;

    // Commands (side effects outside the database).
    /// Lease due pending commands until `lease_until`, oldest due first.
    async fn claim_commands(
        &self,
        now: Timestamp,
        lease_until: Timestamp,
        limit: u32,
    ) -> StoreResult<Vec<Command>>;
    async fn command(&self, id: uuid::Uuid) -> StoreResult<Option<Command>>;
    async fn commands_for_order(&self, order: OrderId) -> StoreResult<Vec<Command>>;
    /// Dead-lettered commands, newest first.
    async fn dead_commands(&self, page: &PageRequest) -> StoreResult<Page<Command>>;
    /// Commands filed under `subject` (an endpoint's deliveries), newest
    /// first.
    async fn commands_for_subject(
        &self,
        subject: uuid::Uuid,
        page: &PageRequest,
    ) -> StoreResult<Page<Command>>;
    /// A user's notices, newest first.
    async fn notifications_for(
        &self,
        user: UserId,
        page: &PageRequest,
    ) -> StoreResult<Page<Notification>>;
    /// How many of a user's notices are unread, counted up to `cap`.
    async fn unread_notifications(&self, user: UserId, cap: u32) -> StoreResult<u32>;
    /// Every webhook endpoint, oldest first (an operator has a handful;
    /// at most [`MAX_WEBHOOK_ENDPOINTS`] are read).
    async fn webhook_endpoints(&self) -> StoreResult<Vec<WebhookEndpoint>>;
    /// Every command in id order, strictly after `after`, for `verify`.
    async fn scan_commands(
        &self,
        after: Option<uuid::Uuid>,
        limit: u32,
    ) -> StoreResult<Vec<Command>>;

    /// A row of the simulated card network's books.
    async fn journal(&self, key: &str) -> StoreResult<Option<JournalRecord>>;
    /// Journal rows of one kind in (created_at, key) order, strictly after
    /// `after`, from `since` on.
    async fn journal_scan(
        &self,
        kind: &str,
        since: Timestamp,
        after: Option<(Timestamp, String)>,
        limit: u32,
    ) -> StoreResult<Vec<JournalRecord>>;

    // Login defence, shared by every server process.
    async fn throttle_count(
        &self,
        scope: &str,
        subject: &str,
        since: Timestamp,
    ) -> StoreResult<ThrottleCount>;
    async fn throttle_block(&self, scope: &str, subject: &str) -> StoreResult<Option<Timestamp>>;

    // Disputes.
    async fn dispute(&self, id: DisputeId) -> StoreResult<Option<Dispute>>;
    /// Every dispute of an order, oldest first (bounded: one order has few).
    async fn disputes_for_order(&self, order: OrderId) -> StoreResult<Vec<Dispute>>;
    async fn disputes_for_buyer(
        &self,
        buyer: UserId,
        page: &PageRequest,
    ) -> StoreResult<Page<Dispute>>;
    async fn disputes_for_store(
        &self,
        store: StoreId,
        page: &PageRequest,
    ) -> StoreResult<Page<Dispute>>;
    /// The case queue: escalated disputes, longest waiting first. The cursor
    /// moves forward in time (`<escalated_ms>_<id>` of the last item).
    async fn escalated_disputes(&self, page: &PageRequest) -> StoreResult<Page<Dispute>>;
    /// A dispute's evidence log in order (at most `MAX_EVIDENCE_ENTRIES`).
    async fn evidence(&self, dispute: DisputeId) -> StoreResult<Vec<EvidenceEntry>>;
    async fn last_evidence(&self, dispute: DisputeId) -> StoreResult<Option<EvidenceEntry>>;
    async fn evidence_file(&self, hash: &str) -> StoreResult<Option<EvidenceFile>>;
    /// The audit trail of an order and its disputes, oldest first (bounded).
    async fn audit_for_order(&self, order: OrderId) -> StoreResult<Vec<AuditRecord>>;
    /// Audit records newest first, before sequence `before` (`None`: from
    /// the newest), with their sequence numbers for paging; only one
    /// agent's decisions when `agent` is given.
    async fn audit_page(
        &self,
        agent: Option<UserId>,
        before: Option<i64>,
        limit: u32,
    ) -> StoreResult<Vec<(i64, AuditRecord)>>;
    async fn strikes_for_store(&self, store: StoreId) -> StoreResult<Vec<Strike>>;
    async fn party_history(&self, buyer: UserId, store: StoreId) -> StoreResult<PartyHistory>;

    // Messaging.
    async fn conversation(&self, id: ConversationId) -> StoreResult<Option<Conversation>>;
    async fn order_conversation(&self, order: OrderId) -> StoreResult<Option<Conversation>>;
    async fn presale_conversation(
        &self,
        listing: ListingId,
        buyer: UserId,
    ) -> StoreResult<Option<Conversation>>;
    /// A buyer's conversations, most recently active first.
    async fn conversations_for_buyer(
        &self,
        buyer: UserId,
        page: &PageRequest,
    ) -> StoreResult<Page<Conversation>>;
    async fn conversations_for_store(
        &self,
        store: StoreId,
        page: &PageRequest,
    ) -> StoreResult<Page<Conversation>>;
    async fn flagged_conversations(&self, page: &PageRequest) -> StoreResult<Page<Conversation>>;
    /// Messages after `after_seq`, oldest first.
    async fn messages(
        &self,
        conversation: ConversationId,
        after_seq: i64,
        limit: u32,
    ) -> StoreResult<Vec<Message>>;
    /// Delivered messages from others the user has not read yet, across the
    /// conversations where they are the buyer or (with `store`) the seller.
    async fn unread_count(&self, user: UserId, store: Option<StoreId>) -> StoreResult<i64>;
    async fn security_flags(&self, page: &PageRequest) -> StoreResult<Page<SecurityFlag>>;

    // Full scans for `haven verify`, in bounded pages.
    /// Evidence entries ordered by (dispute, seq), strictly after `after`.
    async fn scan_evidence(
        &self,
        after: Option<(DisputeId, i64)>,
        limit: u32,
    ) -> StoreResult<Vec<EvidenceEntry>>;
    async fn scan_entries(&self, after_seq: i64, limit: u32) -> StoreResult<Vec<StoredEntry>>;
    async fn scan_balances(
        &self,
        after: Option<(String, String)>,
        limit: u32,
    ) -> StoreResult<Vec<BalanceRow>>;
    async fn scan_orders(
        &self,
        after: Option<OrderId>,
        limit: u32,
    ) -> StoreResult<Vec<OrderSummary>>;
}
