//! The application layer: every use case (register, checkout, ship, confirm,
//! dispute, decide, payout, timers…) as a method on [`App`]. The JSON API and
//! the web pages (crate `haven-server`) call these and stay thin; this crate
//! knows nothing about HTTP. Business rules come from `haven-domain`; this
//! layer loads state, checks who is asking, applies a pure transition and
//! commits the resulting changeset in one transaction, together with its
//! audit record and evidence-log entries. Failures are typed
//! ([`error::AppError`]); the server maps them to statuses.

mod accounts;
pub mod audit;
pub mod auth;
pub mod blobs;
pub mod bundles;
pub mod carrier;
pub mod cart;
mod catalog;
pub mod certificate;
mod chargebacks;
mod checkout;
pub mod closure;
pub mod commands;
pub mod compare;
pub mod config;
pub mod coupons;
mod defence;
mod disputes;
pub mod enforcement;
pub mod error;
pub mod failpoints;
mod fulfilment;
pub mod guard;
pub mod images;
pub mod integrity;
pub mod listing_risk;
pub mod mail;
mod messaging;
mod money;
pub mod notify;
pub mod payments;
pub mod payouts;
pub mod pricing;
pub mod recommend;
pub mod reconcile;
pub mod relay;
pub mod reputation;
pub mod rewards;
pub mod risk;
pub mod screening;
pub mod search;
pub mod signature;
mod timers;
pub mod webhooks;

use std::collections::HashMap;
use std::sync::{Arc, RwLock};

use haven_domain::Timestamp;
use haven_domain::clock::{Clock, OffsetClock};
use haven_domain::dispute::{Dispute, DisputeEvent, OrderFacts, Party};
use haven_domain::events::EventType;
use haven_domain::evidence::{EvidenceEntry, EvidenceKind};
use haven_domain::ids::{DisputeId, OrderId, UserId};
use haven_domain::ledger::EntryKind;
use haven_domain::order::{CloseReason, EventKind, Order, OrderEvent, OrderState, Transition};
use haven_domain::policy::{Policy, PolicyVersion};
use haven_domain::trail::AuditRecord;
use haven_store::{
    Changeset, Conflict, DisputeWrite, DynStore, IdempotencyRecord, NewOutboxEvent, NewTimer,
    OrderWrite, StockChange, StoreError,
};

pub use accounts::{
    Actor, ClientInfo, LoginOutcome, Registration, Relation, STEP_UP_WINDOW_MIN, TotpSetup,
    session_public_id,
};
pub use catalog::{MAX_IMAGE_BYTES, NewListingInput, sniff_image_type};
pub use chargebacks::ChargebackNotice;
pub use checkout::{CheckoutInput, CheckoutOutcome};
pub use config::Config;
pub use disputes::{DisputeAction, DisputeDetail, EvidenceBundle, Role};
pub use error::{AppError, AppResult, ErrorDetails, ErrorKind};
pub use fulfilment::CarrierScan;
pub use messaging::{MAX_MESSAGES_PAGE, MessagePage, NewAttachment};
pub use money::{
    Balances, MAX_STATEMENT_LINES, Statement, StatementAccount, StatementCursor, StatementRow,
    VerifyReport, verify_ledger,
};
pub use timers::{TickReport, run_worker};

use crate::blobs::BlobStore;
use crate::payments::PaymentGateway;

pub struct App {
    pub store: DynStore,
    pub clock: Arc<dyn Clock>,
    pub gateway: Arc<dyn PaymentGateway>,
    pub blobs: BlobStore,
    pub config: Config,
    /// Present in demo mode: lets visitors fast-forward time.
    pub demo_clock: Option<OffsetClock>,
    pub(crate) mailer: mail::Mailer,
    /// The message scanner, compiled from the brand and domains in config
    /// and the operator's `carrier_domains` and `marketplace_domains` lists;
    /// recompiled when they change (see `App::scanner`).
    pub(crate) scanner: std::sync::RwLock<messaging::CurrentScanner>,
    /// Signalled when a request queues gateway work (or the demo clock
    /// jumps), so the worker runs at once instead of at its next round.
    pub commands_ready: tokio::sync::Notify,
    /// Crash points for tests (see `failpoints.rs`); none armed normally.
    pub failpoints: failpoints::Failpoints,
    /// Orders this process placed since it started (for `/metrics`).
    orders_placed: std::sync::atomic::AtomicU64,
    /// The version new orders are sold under: set at start, by an admin's
    /// change, or by another node's (adopted on the next tick).
    current_policy: RwLock<PolicyVersion>,
    policies: RwLock<HashMap<PolicyVersion, Arc<Policy>>>,
    /// The operator's risk rules and lists, compiled (see `risk.rs`).
    pub(crate) risk_rules_cache: risk::RuleCache,
    /// Store reputations as checkout freezes them, a few seconds old at
    /// most (see `certificate.rs`), so a checkout does not re-read them.
    pub(crate) trust_cache: certificate::TrustCache,
    /// This node's catalog search index (see `search.rs`).
    pub search: search::CatalogIndex,
}

/// The Idempotency-Key context of one request.
#[derive(Debug, Clone)]
pub struct Idem {
    pub user_id: UserId,
    pub key: String,
    /// SHA-256 over method, path and body.
    pub request_hash: String,
}

/// Who caused a change, for the audit trail and the evidence log.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct ActorRef {
    pub party: Party,
    pub user_id: Option<UserId>,
}

impl ActorRef {
    pub fn system() -> ActorRef {
        ActorRef {
            party: Party::System,
            user_id: None,
        }
    }

    pub fn user(party: Party, actor: &Actor) -> ActorRef {
        ActorRef {
            party,
            user_id: Some(actor.id()),
        }
    }
}

/// How many times an action re-reads and retries after losing a race.
const MAX_RETRIES: usize = 5;

/// Races another writer can win; the action re-reads and tries again.
fn is_race(err: &StoreError) -> bool {
    matches!(
        err,
        StoreError::Conflict(
            Conflict::StaleOrder
                | Conflict::StaleDispute
                | Conflict::EvidenceRace
                | Conflict::StaleBalance
        )
    )
}

impl App {
    /// Build the application over a store. Migrates it and records the
    /// configured policy as a new version if it differs from the latest.
    pub async fn new(
        store: DynStore,
        clock: Arc<dyn Clock>,
        gateway: Arc<dyn PaymentGateway>,
        blobs: BlobStore,
        config: Config,
        demo_clock: Option<OffsetClock>,
    ) -> anyhow::Result<Arc<App>> {
        config.policy.validate()?;
        store.migrate().await?;
        // A file that sets a policy wins at start; with the defaults, the
        // latest version (an admin's change) stands.
        let latest = store.latest_policy().await?;
        let (current_policy, policy) = match latest {
            Some((version, latest)) if config.policy == Policy::default() => (version, latest),
            _ => (
                store
                    .ensure_policy(&config.policy, clock.now(), None)
                    .await?,
                config.policy.clone(),
            ),
        };
        let mut policies = HashMap::new();
        policies.insert(current_policy, Arc::new(policy));
        let mailer = mail::Mailer::from_config(&config)?;
        let scanner = std::sync::RwLock::new(messaging::CurrentScanner::compile(
            &config,
            Default::default(),
        ));
        let search_index = match &config.search_index_dir {
            Some(dir) => haven_search::SearchIndex::open_dir(std::path::Path::new(dir))?,
            None => haven_search::SearchIndex::in_memory(),
        };
        Ok(Arc::new(App {
            store,
            clock,
            gateway,
            blobs,
            config,
            demo_clock,
            mailer,
            scanner,
            commands_ready: tokio::sync::Notify::new(),
            failpoints: failpoints::Failpoints::from_env(),
            orders_placed: std::sync::atomic::AtomicU64::new(0),
            current_policy: RwLock::new(current_policy),
            policies: RwLock::new(policies),
            risk_rules_cache: risk::RuleCache::default(),
            trust_cache: certificate::TrustCache::default(),
            search: search::CatalogIndex::new(search_index),
        }))
    }

    pub fn orders_placed(&self) -> u64 {
        self.orders_placed
            .load(std::sync::atomic::Ordering::Relaxed)
    }

    pub(crate) fn count_order_placed(&self) {
        self.orders_placed
            .fetch_add(1, std::sync::atomic::Ordering::Relaxed);
    }

    pub fn now(&self) -> Timestamp {
        self.clock.now()
    }

    pub fn current_policy(&self) -> (PolicyVersion, Arc<Policy>) {
        let version = *self.current_policy.read().expect("current policy");
        let policy = self
            .policies
            .read()
            .expect("policy cache")
            .get(&version)
            .cloned();
        (
            version,
            policy.expect("the current policy is cached before it becomes current"),
        )
    }

    /// An admin publishes new policy defaults as a new version: orders
    /// placed from now on follow it; orders already placed keep theirs.
    pub async fn publish_policy(&self, admin: &Actor, policy: Policy) -> AppResult<PolicyVersion> {
        admin.require_role(haven_domain::account::Role::Admin)?;
        policy.validate().map_err(|e| AppError::validation(e.0))?;
        let version = self
            .store
            .ensure_policy(&policy, self.now(), Some(admin.id()))
            .await?;
        self.adopt_policy(version, policy);
        tracing::info!(version, admin = %admin.id(), "policy published");
        Ok(version)
    }

    /// Published policy versions, newest first, before `before` (admins).
    pub async fn policy_history(
        &self,
        admin: &Actor,
        before: Option<PolicyVersion>,
        limit: u32,
    ) -> AppResult<Vec<haven_store::PolicyRecord>> {
        admin.require_role(haven_domain::account::Role::Admin)?;
        Ok(self.store.policy_history(before, limit.min(100)).await?)
    }

    fn adopt_policy(&self, version: PolicyVersion, policy: Policy) {
        self.policies
            .write()
            .expect("policy cache")
            .insert(version, Arc::new(policy));
        let mut current = self.current_policy.write().expect("current policy");
        if version > *current {
            *current = version;
        }
    }

    /// Take up a version another node published (the worker asks each tick).
    pub async fn refresh_policy(&self) -> AppResult<()> {
        if let Some((version, policy)) = self.store.latest_policy().await?
            && version > self.current_policy().0
        {
            self.adopt_policy(version, policy);
        }
        Ok(())
    }

    /// The policy an order was sold under (cached; versions never change).
    pub async fn policy(&self, version: PolicyVersion) -> AppResult<Arc<Policy>> {
        if let Some(found) = self.policies.read().expect("policy cache").get(&version) {
            return Ok(found.clone());
        }
        let policy = self
            .store
            .policy(version)
            .await?
            .ok_or_else(|| AppError::internal(format!("policy version {version} missing")))?;
        let policy = Arc::new(policy);
        self.policies
            .write()
            .expect("policy cache")
            .insert(version, policy.clone());
        Ok(policy)
    }

    pub async fn order(&self, id: OrderId) -> AppResult<Order> {
        self.store
            .order(id)
            .await?
            .ok_or_else(|| AppError::not_found("order"))
    }

    pub async fn dispute(&self, id: DisputeId) -> AppResult<Dispute> {
        self.store
            .dispute(id)
            .await?
            .ok_or_else(|| AppError::not_found("dispute"))
    }

    /// Apply `event` to the order and commit the result. `guard` runs on the
    /// freshly read order (authorisation, extra checks) before each attempt;
    /// a lost race re-reads and retries, so the guard always sees the truth.
    pub(crate) async fn apply_event<G>(
        &self,
        order_id: OrderId,
        make_event: impl Fn(&Order) -> AppResult<OrderEvent>,
        guard: G,
        by: ActorRef,
        idem: Option<&Idem>,
    ) -> AppResult<Order>
    where
        G: Fn(&Order) -> AppResult<()>,
    {
        for _ in 0..MAX_RETRIES {
            let order = self.order(order_id).await?;
            guard(&order)?;
            let event = make_event(&order)?;
            let (mut changes, transition) =
                self.order_changes(&order, event, by, self.now()).await?;
            let mut updated = transition.order.clone();
            updated.version = order.version + 1;
            attach_idem(&mut changes, idem, Resource::Order(order_id), self.now());
            match self.store.commit(changes).await {
                Ok(()) => {
                    self.after_commit(&transition).await;
                    return Ok(updated);
                }
                Err(err) if is_race(&err) => continue,
                Err(err) => return Err(err.into()),
            }
        }
        Err(AppError::conflict(
            ErrorKind::ConcurrentUpdate,
            "the order is busy; retry",
        ))
    }

    /// Everything one order transition writes: the order, its effects, its
    /// audit record, and what it does to the order's dispute.
    pub(crate) async fn order_changes(
        &self,
        order: &Order,
        event: OrderEvent,
        by: ActorRef,
        now: Timestamp,
    ) -> AppResult<(Changeset, Transition)> {
        let policy = self.policy(order.policy_version).await?;
        let kind = event.kind();
        let held_back = self.reserve_hold_for(order, kind, &policy).await?;
        let order = held_back.as_ref().unwrap_or(order);
        let mut transition = order.apply(event, &policy, now)?;
        let guard = self.take_back_compensation(&mut transition, now).await?;
        let rewards_guard = self.take_back_rewards(&mut transition, now).await?;
        let mut changes = changeset_for(&transition, Some(order), now);
        changes.balance_guards.extend(guard);
        changes.balance_guards.extend(rewards_guard);
        changes
            .audit
            .push(audit_order(order, &transition.order, kind, by, now));
        self.dispute_side_effects(&mut changes, order, &transition, kind, &policy, now)
            .await?;
        Ok((changes, transition))
    }

    /// A full refund takes back the order's unspent on-time credit, from
    /// the buyer's credit balance as it is at commit (guarded).
    async fn take_back_compensation(
        &self,
        transition: &mut Transition,
        now: Timestamp,
    ) -> AppResult<Option<haven_store::BalanceGuard>> {
        if !transition.order.owes_compensation_reversal() {
            return Ok(None);
        }
        let account = haven_domain::ledger::Account::BuyerCredit(transition.order.buyer_id);
        self.take_back(transition, account, now, Order::reverse_compensation)
            .await
            .map(Some)
    }

    /// An order refunded or charged back after it completed takes back its
    /// rewards, from the buyer's rewards balance as it is at commit
    /// (guarded).
    async fn take_back_rewards(
        &self,
        transition: &mut Transition,
        now: Timestamp,
    ) -> AppResult<Option<haven_store::BalanceGuard>> {
        if !transition.order.owes_reward_reversal() {
            return Ok(None);
        }
        let account = haven_domain::ledger::Account::BuyerRewards(transition.order.buyer_id);
        self.take_back(transition, account, now, Order::reverse_reward)
            .await
            .map(Some)
    }

    /// Read `account`'s balance, let `reverse` take back what it can from
    /// it, and guard the commit on that balance.
    async fn take_back(
        &self,
        transition: &mut Transition,
        account: haven_domain::ledger::Account,
        now: Timestamp,
        reverse: fn(
            &mut Order,
            i64,
            Timestamp,
        ) -> Result<
            Option<haven_domain::ledger::Entry>,
            haven_domain::order::TransitionError,
        >,
    ) -> AppResult<haven_store::BalanceGuard> {
        let account = account.to_string();
        let currency = transition.order.total.currency.as_str().to_string();
        let available = self.store.balance(&account, &currency).await?;
        if let Some(entry) = reverse(&mut transition.order, available, now)? {
            transition.effects.entries.push(entry);
        }
        Ok(haven_store::BalanceGuard {
            account,
            currency,
            expected_minor: available,
        })
    }

    async fn dispute_side_effects(
        &self,
        changes: &mut Changeset,
        before: &Order,
        transition: &Transition,
        kind: EventKind,
        policy: &Policy,
        now: Timestamp,
    ) -> AppResult<()> {
        if let Some(claim) = &transition.effects.new_dispute {
            let scans = self.order_scans(before).await?;
            changes.merge(opened_dispute_changes(
                claim,
                ActorRef::system(),
                &scans,
                now,
            ));
        }
        if let Some(dispute_id) = transition.effects.close_dispute {
            let event = if kind == EventKind::Chargeback {
                DisputeEvent::Supersede
            } else {
                DisputeEvent::BuyerConfirmedReceipt
            };
            let party = if kind == EventKind::Chargeback {
                Party::System
            } else {
                Party::Buyer
            };
            let dispute = self.dispute(dispute_id).await?;
            let by = ActorRef {
                party,
                user_id: (party == Party::Buyer).then_some(before.buyer_id),
            };
            let dt = dispute.apply(event, party, OrderFacts::of(before), policy, now)?;
            let mut log = self.log_for(dispute_id).await?;
            log.push(by, EvidenceKind::StateChange, dt.effects.log.clone(), now);
            changes.merge(dispute_record_changes(
                &dispute,
                &dt.dispute,
                &dt.effects.events,
                by,
                now,
            ));
            changes.evidence.extend(log.entries);
        }
        if transition.effects.scan_during_dispute {
            self.log_scan_during_dispute(changes, before, transition, policy, now)
                .await?;
        }
        Ok(())
    }

    /// A delivery scan during a dispute goes into its evidence log; during
    /// the automatic claim it is the seller's proof, so an agent weighs it.
    async fn log_scan_during_dispute(
        &self,
        changes: &mut Changeset,
        before: &Order,
        transition: &Transition,
        policy: &Policy,
        now: Timestamp,
    ) -> AppResult<()> {
        let Some(open) = before.open_dispute else {
            return Ok(());
        };
        let dispute = self.dispute(open.id).await?;
        let mut log = self.log_for(dispute.id).await?;
        let body = serde_json::json!({ "status": "delivered", "at": transition.order.delivered_at, "tracking": before.shipment });
        log.push(ActorRef::system(), EvidenceKind::Tracking, body, now);
        if dispute.automatic {
            let dt = dispute.apply(
                DisputeEvent::DeliveryScan,
                Party::System,
                OrderFacts::of(before),
                policy,
                now,
            )?;
            log.push(
                ActorRef::system(),
                EvidenceKind::StateChange,
                dt.effects.log.clone(),
                now,
            );
            changes.merge(dispute_record_changes(
                &dispute,
                &dt.dispute,
                &dt.effects.events,
                ActorRef::system(),
                now,
            ));
        }
        changes.evidence.extend(log.entries);
        Ok(())
    }

    /// An appender positioned after the dispute's last evidence entry.
    pub(crate) async fn log_for(&self, dispute_id: DisputeId) -> AppResult<LogAppender> {
        Ok(LogAppender {
            dispute_id,
            last: self.store.last_evidence(dispute_id).await?,
            entries: Vec::new(),
        })
    }

    /// After a committed transition, wake the dispatcher for the gateway
    /// commands it queued (refunds, a void); nothing here waits on the
    /// gateway.
    pub(crate) async fn after_commit(&self, transition: &Transition) {
        let queued_gateway_work = !gateway_commands(transition, self.now()).is_empty();
        if queued_gateway_work {
            self.commands_ready.notify_one();
        }
    }

    /// What an earlier request with this Idempotency-Key produced, if it
    /// was seen. The same key with a different request is refused.
    pub async fn idempotent_replay(&self, idem: &Idem) -> AppResult<Option<Resource>> {
        match self.store.idempotency(idem.user_id, &idem.key).await? {
            Some(record) if record.request_hash != idem.request_hash => Err(AppError::new(
                ErrorKind::IdempotencyKeyReused,
                "this Idempotency-Key was used with a different request",
            )),
            Some(record) => Resource::parse(&record.resource).map(Some).ok_or_else(|| {
                AppError::new(
                    ErrorKind::IdempotencyKeyInUse,
                    "this Idempotency-Key was used by a request that cannot be replayed",
                )
            }),
            None => Ok(None),
        }
    }
}

/// Builds evidence entries that chain onto what is already stored.
pub(crate) struct LogAppender {
    dispute_id: DisputeId,
    last: Option<EvidenceEntry>,
    pub entries: Vec<EvidenceEntry>,
}

impl LogAppender {
    pub fn new_log(dispute_id: DisputeId) -> LogAppender {
        LogAppender {
            dispute_id,
            last: None,
            entries: Vec::new(),
        }
    }

    pub fn push(
        &mut self,
        by: ActorRef,
        kind: EvidenceKind,
        body: serde_json::Value,
        now: Timestamp,
    ) {
        let previous = self.entries.last().or(self.last.as_ref());
        let entry = EvidenceEntry::append(
            previous,
            self.dispute_id,
            now,
            by.party,
            by.user_id,
            kind,
            body,
        );
        self.entries.push(entry);
    }

    /// How many entries the log will hold after this append.
    pub fn len(&self) -> i64 {
        self.entries
            .last()
            .or(self.last.as_ref())
            .map_or(0, |e| e.seq)
    }
}

/// The rows a newly opened dispute writes: itself, its first evidence
/// entries (the claim and the parcel's scans so far), audit and event.
pub(crate) fn opened_dispute_changes(
    dispute: &Dispute,
    by: ActorRef,
    scans: &[haven_store::TrackingEvent],
    now: Timestamp,
) -> Changeset {
    let mut log = LogAppender::new_log(dispute.id);
    let body = serde_json::json!({
        "reason": dispute.reason,
        "requested": dispute.requested,
        "description": dispute.description,
        "categories": dispute.description_warnings,
        "automatic": dispute.automatic,
        "reopened_from": dispute.reopened_from,
    });
    log.push(by, EvidenceKind::Opened, body, now);
    for scan in scans {
        let body = serde_json::json!({ "status": scan.status, "at": scan.occurred_at, "location": scan.location, "tracking_number": scan.tracking_number });
        log.push(ActorRef::system(), EvidenceKind::Tracking, body, now);
    }
    Changeset {
        disputes: vec![DisputeWrite {
            dispute: dispute.clone(),
            expected_version: None,
        }],
        evidence: log.entries,
        audit: vec![audit_dispute(None, dispute, "open", by, now)],
        outbox: vec![NewOutboxEvent {
            topic: EventType::DisputeOpened.to_string(),
            payload: dispute.event(EventType::DisputeOpened).payload,
            created_at: now,
        }],
        ..Changeset::default()
    }
}

/// The dispute's own rows for one transition: the new version, its audit
/// record and its outbox events.
pub(crate) fn dispute_record_changes(
    before: &Dispute,
    after: &Dispute,
    events: &[haven_domain::order::DomainEvent],
    by: ActorRef,
    now: Timestamp,
) -> Changeset {
    Changeset {
        disputes: vec![DisputeWrite {
            dispute: after.clone(),
            expected_version: Some(before.version),
        }],
        audit: vec![audit_dispute(Some(before), after, "update", by, now)],
        outbox: events
            .iter()
            .map(|e| NewOutboxEvent {
                topic: e.topic.to_string(),
                payload: e.payload.clone(),
                created_at: now,
            })
            .collect(),
        ..Changeset::default()
    }
}

pub(crate) fn audit_order(
    before: &Order,
    after: &Order,
    kind: EventKind,
    by: ActorRef,
    now: Timestamp,
) -> AuditRecord {
    AuditRecord {
        id: uuid::Uuid::now_v7(),
        at: now,
        order_id: Some(after.id),
        subject: "order".into(),
        subject_id: after.id.0,
        actor: by.party,
        actor_id: by.user_id,
        action: format!("{kind:?}"),
        from_state: before.state.as_str().into(),
        to_state: after.state.as_str().into(),
        reason: after
            .close_reason
            .filter(|_| after.state.is_closed() && !before.state.is_closed())
            .map(|reason| reason.as_str().to_string())
            .unwrap_or_default(),
        policy_version: after.policy_version,
    }
}

fn audit_dispute(
    before: Option<&Dispute>,
    after: &Dispute,
    action: &str,
    by: ActorRef,
    now: Timestamp,
) -> AuditRecord {
    let reason = match (&after.resolution, &after.escalation_reason) {
        (Some(resolution), _) => resolution.reasons.clone(),
        (None, Some(why)) if after.state == haven_domain::dispute::DisputeState::Escalated => {
            why.clone()
        }
        _ => String::new(),
    };
    AuditRecord {
        id: uuid::Uuid::now_v7(),
        at: now,
        order_id: Some(after.order_id),
        subject: "dispute".into(),
        subject_id: after.id.0,
        actor: by.party,
        actor_id: by.user_id,
        action: action.into(),
        from_state: before.map_or("", |d| d.state.as_str()).into(),
        to_state: after.state.as_str().into(),
        reason,
        policy_version: after.policy_version,
    }
}

/// Gateway commands a transition needs, written in the same transaction as
/// its entries: a refund for every card amount the ledger sent back, and a
/// void for an authorisation whose challenge was never completed.
fn gateway_commands(transition: &Transition, now: Timestamp) -> Vec<haven_store::NewCommand> {
    let order = &transition.order;
    let Some(payment) = &order.payment else {
        return Vec::new();
    };
    let gateway = haven_domain::ledger::Account::Gateway(payment.gateway.clone());
    let mut commands: Vec<_> = transition
        .effects
        .entries
        .iter()
        .filter(|e| matches!(e.kind, EntryKind::Refund | EntryKind::Settlement))
        .filter_map(|entry| {
            let amount_minor = entry.inflow_to(&gateway);
            let request = commands::RefundRequest {
                payment_ref: payment.payment_ref.clone(),
                amount_minor,
                currency: order.total.currency.to_string(),
                key: entry.idempotency_key.clone(),
            };
            (amount_minor > 0).then(|| commands::refund_command(&request, Some(order.id), now))
        })
        .collect();
    let unpaid_close = matches!(
        order.close_reason,
        Some(CloseReason::PaymentNotCompleted | CloseReason::PaymentDeclined)
    ) && order.paid_at.is_none();
    if unpaid_close {
        let request = commands::VoidRequest {
            payment_ref: payment.payment_ref.clone(),
        };
        commands.push(commands::void_command(&request, order.id, now));
    }
    commands
}

/// What a request produced, so that a replay of its Idempotency-Key can be
/// answered with the same resource (as it is now) instead of acting twice.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Resource {
    Order(OrderId),
    /// A cart checkout: its first order (the others are linked to it).
    Cart(OrderId),
    Dispute(DisputeId),
    Payout(haven_domain::ids::PayoutId),
    Store(haven_domain::ids::StoreId),
    Listing(haven_domain::ids::ListingId),
}

impl Resource {
    pub fn as_ref_string(&self) -> String {
        match self {
            Resource::Order(id) => format!("order:{id}"),
            Resource::Cart(id) => format!("cart:{id}"),
            Resource::Dispute(id) => format!("dispute:{id}"),
            Resource::Payout(id) => format!("payout:{id}"),
            Resource::Store(id) => format!("store:{id}"),
            Resource::Listing(id) => format!("listing:{id}"),
        }
    }

    pub fn parse(raw: &str) -> Option<Resource> {
        let (kind, id) = raw.split_once(':')?;
        Some(match kind {
            "order" => Resource::Order(id.parse().ok()?),
            "cart" => Resource::Cart(id.parse().ok()?),
            "dispute" => Resource::Dispute(id.parse().ok()?),
            "payout" => Resource::Payout(id.parse().ok()?),
            "store" => Resource::Store(id.parse().ok()?),
            "listing" => Resource::Listing(id.parse().ok()?),
            _ => return None,
        })
    }
}

/// Record what `idem` produced, in the same transaction as the action.
/// Only a reference is kept, not a copy of the response.
pub(crate) fn attach_idem(
    changes: &mut Changeset,
    idem: Option<&Idem>,
    resource: Resource,
    now: Timestamp,
) {
    if let Some(idem) = idem {
        changes.idempotency = Some(IdempotencyRecord {
            user_id: idem.user_id,
            key: idem.key.clone(),
            request_hash: idem.request_hash.clone(),
            resource: resource.as_ref_string(),
            created_at: now,
        });
    }
}

/// Turn a pure transition into the rows to write with it.
pub(crate) fn changeset_for(
    transition: &Transition,
    before: Option<&Order>,
    now: Timestamp,
) -> Changeset {
    let expected_version = before.map(|b| b.version);
    let order = &transition.order;
    let effects = &transition.effects;
    let mut changes = Changeset {
        orders: vec![OrderWrite {
            order: order.clone(),
            expected_version,
        }],
        entries: effects.entries.clone(),
        schedule: effects
            .schedule
            .iter()
            .map(|t| NewTimer {
                order_id: order.id,
                kind: t.kind,
                due_at: t.due_at,
            })
            .collect(),
        unschedule: effects
            .unschedule
            .iter()
            .map(|kind| (order.id, *kind))
            .collect(),
        outbox: effects
            .events
            .iter()
            .map(|e| NewOutboxEvent {
                topic: e.topic.to_string(),
                payload: e.payload.clone(),
                created_at: now,
            })
            .collect(),
        commands: gateway_commands(transition, now),
        stock: if effects.restock {
            order
                .items()
                .iter()
                .map(|item| StockChange {
                    listing_id: item.listing_id,
                    delta: i64::from(item.quantity),
                    deal_delta: 0,
                    // An unpaid order's deal units go back to the same deal
                    // (never to a later one). After payment they are not
                    // given back: a deal may undersell, never oversell.
                    deal_return: item
                        .deal_started_at
                        .filter(|_| item.flash_deal && order.paid_at.is_none()),
                })
                .collect()
        } else {
            Vec::new()
        },
        tracking_claims: effects
            .claim_tracking
            .iter()
            .map(|(carrier, number)| (carrier.clone(), number.clone(), order.id))
            .collect(),
        ..Changeset::default()
    };
    // The store's reputation counters move with the order, in its transaction.
    reputation::order_stat_changes(before, order, &mut changes);
    // A completed order joins the co-purchase graph; refunded later, it leaves.
    let completed = |o: &Order| o.state == OrderState::Completed;
    match before {
        Some(b) if !completed(b) && completed(order) => changes.purchases.extend(
            order
                .items()
                .iter()
                .map(|i| (order.id, i.listing_id, order.buyer_id)),
        ),
        Some(b) if completed(b) && !completed(order) => changes.purchase_removals.push(order.id),
        _ => {}
    }
    // Coupons come back with an order cancelled or refunded in full.
    let gone = |state: OrderState| matches!(state, OrderState::Cancelled | OrderState::Refunded);
    if !order.discounts.is_empty() && gone(order.state) && before.is_some_and(|b| !gone(b.state)) {
        changes.coupon_releases.push((order.id, now));
    }
    changes
}
