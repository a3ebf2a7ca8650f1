//! Seller enforcement: a store's standing is assessed from what the store
//! counted (order defects over 60 days, strikes) and changed only by this
//! module, with reasons, a history entry and an outbox event each time.
//!
//! - A **suspended** store's listings are hidden and new orders to it are
//!   refused; its existing orders complete or refund as usual.
//! - A store in **reserve** has each release's seller share routed to
//!   its reserve, freed by a deadline after the policy's hold.
//! - The seller may **appeal**; an agent grants (back to good standing,
//!   forgiving what counted so far) or refuses it.

use haven_domain::enforcement::{
    Appeal, EnforcementLevel, ODR_WINDOW_DAYS, SellerMetrics, StoreEnforcement,
};
use haven_domain::events::EventType;
use haven_domain::ids::StoreId;
use haven_store::{Changeset, EnforcementWrite, NewOutboxEvent, Page, PageRequest};
use serde::Serialize;

use crate::App;
use crate::accounts::Actor;
use crate::error::{AppError, AppResult, ErrorDetails, ErrorKind};

const MAX_APPEAL_CHARS: usize = 4_000;

/// A store's standing, as its seller and agents see it.
#[derive(Debug, Clone, Serialize)]
pub struct Standing {
    pub record: StoreEnforcement,
    pub metrics: SellerMetrics,
    /// Order defect rate, in basis points.
    pub defect_rate_bps: i64,
}

impl App {
    async fn enforcement_record(
        &self,
        store: StoreId,
    ) -> AppResult<(StoreEnforcement, Option<i64>)> {
        Ok(match self.store.store_enforcement(store).await? {
            Some((record, version)) => (record, Some(version)),
            None => (StoreEnforcement::new(store, self.now()), None),
        })
    }

    async fn metrics_for(&self, record: &StoreEnforcement) -> AppResult<SellerMetrics> {
        let window = self.now() - haven_domain::SignedDuration::from_hours(24 * ODR_WINDOW_DAYS);
        let since = record
            .defects_forgiven_before
            .map_or(window, |forgiven| forgiven.max(window));
        Ok(self.store.seller_metrics(record.store_id, since).await?)
    }

    /// Recompute a store's level from its record; write a change only when
    /// the level moves. Safe to call after anything that may change it.
    pub async fn reassess_store(&self, store: StoreId) -> AppResult<Standing> {
        for _ in 0..crate::MAX_RETRIES {
            let (mut record, version) = self.enforcement_record(store).await?;
            let metrics = self.metrics_for(&record).await?;
            let (level, reasons) = record.assess(&metrics);
            let standing = |record| Standing {
                record,
                metrics,
                defect_rate_bps: metrics.defect_rate_bps(),
            };
            if level == record.level {
                return Ok(standing(record));
            }
            record.set(level, reasons, "system", self.now());
            match self.save_enforcement(&record, version).await {
                Ok(()) => {
                    tracing::warn!(store = %store, level = level.as_str(), reasons = ?record.reasons, "store enforcement changed");
                    return Ok(standing(record));
                }
                Err(err) if err.kind == ErrorKind::ConcurrentUpdate => continue,
                Err(err) => return Err(err),
            }
        }
        Err(AppError::conflict(
            ErrorKind::ConcurrentUpdate,
            "the store is busy; retry",
        ))
    }

    /// For an event that may release escrow to a store in reserve: the
    /// order with its release routed to the reserve for the policy's hold.
    pub(crate) async fn reserve_hold_for(
        &self,
        order: &haven_domain::order::Order,
        kind: haven_domain::order::EventKind,
        policy: &haven_domain::policy::Policy,
    ) -> AppResult<Option<haven_domain::order::Order>> {
        use haven_domain::order::EventKind as E;
        if !matches!(
            kind,
            E::ConfirmReceipt | E::ProtectionWindowEnded | E::Settle
        ) {
            return Ok(None);
        }
        let in_reserve = matches!(
            self.store.store_enforcement(order.store_id).await?,
            Some((record, _)) if record.level == EnforcementLevel::Reserve
        );
        if !in_reserve || policy.reserve_hold_days <= 0 {
            return Ok(None);
        }
        let mut held = order.clone();
        held.reserve_hold_days = Some(policy.reserve_hold_days);
        Ok(Some(held))
    }

    /// Reassess after a change that may move a store's standing; a failure
    /// is logged, never the caller's failure (the next change retries it).
    pub(crate) async fn reassess_quietly(&self, store: StoreId) {
        if let Err(err) = self.reassess_store(store).await {
            tracing::error!(store = %store, error = %err.message, "reassessing a store's standing failed");
        }
    }

    async fn save_enforcement(
        &self,
        record: &StoreEnforcement,
        version: Option<i64>,
    ) -> AppResult<()> {
        let now = self.now();
        let changes = Changeset {
            enforcement: vec![EnforcementWrite {
                record: record.clone(),
                expected_version: version,
                at: now,
            }],
            outbox: vec![NewOutboxEvent {
                topic: EventType::StoreEnforcementChanged.to_string(),
                payload: serde_json::json!({
                    "store_id": record.store_id,
                    "level": record.level.as_str(),
                    "reasons": record.reasons,
                    "appeal_pending": record.appeal.is_some(),
                }),
                created_at: now,
            }],
            ..Changeset::default()
        };
        Ok(self.store.commit(changes).await?)
    }

    /// New orders to a suspended store are refused, with the reason.
    pub(crate) async fn refuse_if_suspended(&self, store: StoreId) -> AppResult<()> {
        if let Some((record, _)) = self.store.store_enforcement(store).await?
            && record.level == EnforcementLevel::Suspended
        {
            return Err(AppError::new(
                ErrorKind::StoreSuspended,
                "this store is suspended and takes no new orders",
            )
            .with_details(ErrorDetails {
                reasons: record.reasons,
                ..ErrorDetails::default()
            }));
        }
        Ok(())
    }

    /// The seller's own standing, or an agent's view of any store.
    pub async fn standing(&self, actor: &Actor, store: StoreId) -> AppResult<Standing> {
        if actor.store_id != Some(store) {
            self.require_agent(actor)?;
        }
        let (record, _) = self.enforcement_record(store).await?;
        let metrics = self.metrics_for(&record).await?;
        Ok(Standing {
            record,
            defect_rate_bps: metrics.defect_rate_bps(),
            metrics,
        })
    }

    /// The seller appeals the enforcement on their store.
    pub async fn appeal_enforcement(
        &self,
        actor: &Actor,
        text: &str,
    ) -> AppResult<StoreEnforcement> {
        let store = actor
            .store_id
            .ok_or_else(|| AppError::forbidden("only a store's owner can appeal"))?;
        let text = haven_domain::text::block("text", text, MAX_APPEAL_CHARS)?;
        if text.trim().is_empty() {
            return Err(AppError::invalid_field("text", "say why you appeal"));
        }
        let (mut record, version) = self.enforcement_record(store).await?;
        if record.level == EnforcementLevel::Good {
            return Err(AppError::invalid_state(
                "your store is in good standing: nothing to appeal",
            ));
        }
        if record.appeal.is_some() {
            return Err(AppError::invalid_state(
                "an appeal is already waiting for an agent",
            ));
        }
        record.appeal = Some(Appeal {
            text,
            at: self.now(),
        });
        self.save_enforcement(&record, version).await?;
        Ok(record)
    }

    /// An agent decides a waiting appeal.
    pub async fn decide_appeal(
        &self,
        actor: &Actor,
        store: StoreId,
        grant: bool,
        note: &str,
    ) -> AppResult<StoreEnforcement> {
        self.require_agent(actor)?;
        if note.chars().count() > MAX_APPEAL_CHARS {
            return Err(AppError::invalid_field("note", "the note is too long"));
        }
        let (mut record, version) = self.enforcement_record(store).await?;
        if record.appeal.is_none() {
            return Err(AppError::invalid_state(
                "no appeal is waiting for this store",
            ));
        }
        if grant {
            let metrics = self.metrics_for(&record).await?;
            record.grant_appeal(
                metrics.strikes,
                &format!("agent:{}", actor.id()),
                note,
                self.now(),
            );
        } else {
            record.appeal = None;
            let mut reasons = record.reasons.clone();
            reasons.push(format!("appeal refused: {}", note.trim()));
            let level = record.level;
            record.set(level, reasons, &format!("agent:{}", actor.id()), self.now());
        }
        self.save_enforcement(&record, version).await?;
        Ok(record)
    }

    /// The store's order an agent names by its id or its short number
    /// ("#1A2B3C4D"); none for "".
    pub async fn store_order_named(
        &self,
        actor: &Actor,
        store: StoreId,
        raw: &str,
    ) -> AppResult<Option<haven_domain::ids::OrderId>> {
        self.require_agent(actor)?;
        let raw = raw.trim();
        if raw.is_empty() {
            return Ok(None);
        }
        if let Ok(id) = raw.parse::<haven_domain::ids::OrderId>() {
            return Ok(Some(id));
        }
        let refused = || {
            AppError::invalid_field(
                "order_id",
                "write the order's number as its page shows it (#1A2B3C4D): this store has no such order",
            )
        };
        let digits = haven_domain::order::parse_short_number(raw).ok_or_else(refused)?;
        for id in self.store.orders_numbered(&digits, 5).await? {
            if self.order(id).await?.store_id == store {
                return Ok(Some(id));
            }
        }
        Err(refused())
    }

    /// An agent records a confirmed violation (fake tracking, brushing, a
    /// counterfeit found outside a dispute) as a strike; the store is
    /// reassessed at once.
    /// An agent records a confirmed strike. Confirmed fake tracking also
    /// freezes the store's releases: each goes to the reserve and stays
    /// there until an agent grants the store's appeal.
    pub async fn record_strike(
        &self,
        actor: &Actor,
        store: StoreId,
        order: Option<haven_domain::ids::OrderId>,
        reason: &str,
        fake_tracking: bool,
    ) -> AppResult<Standing> {
        self.require_agent(actor)?;
        let reason = haven_domain::text::line("reason", reason, 500)?;
        if reason.trim().is_empty() {
            return Err(AppError::invalid_field("reason", "say what was confirmed"));
        }
        if self.store.shop(store).await?.is_none() {
            return Err(AppError::not_found("store"));
        }
        if let Some(order_id) = order {
            let order = self.order(order_id).await?;
            if order.store_id != store {
                return Err(AppError::invalid_field(
                    "order_id",
                    "that order is not from this store",
                ));
            }
        }
        let changes = Changeset {
            strikes: vec![haven_store::Strike {
                id: haven_domain::ids::StrikeId::new(),
                store_id: store,
                order_id: order,
                dispute_id: None,
                reason: format!("{reason} (confirmed by agent {})", actor.id()),
                at: self.now(),
            }],
            ..Changeset::default()
        };
        self.store.commit(changes).await?;
        if fake_tracking {
            self.freeze_releases(store, &reason, actor).await?;
        }
        self.reassess_store(store).await
    }

    async fn freeze_releases(&self, store: StoreId, reason: &str, agent: &Actor) -> AppResult<()> {
        for _ in 0..crate::MAX_RETRIES {
            let (mut record, version) = self.enforcement_record(store).await?;
            record.releases_frozen = Some(haven_domain::enforcement::ReleaseFreeze {
                reason: format!("confirmed fake tracking: {reason}"),
                at: self.now(),
                by: agent.id().to_string(),
            });
            match self.save_enforcement(&record, version).await {
                Err(err) if err.kind == ErrorKind::ConcurrentUpdate => continue,
                other => return other,
            }
        }
        Err(AppError::conflict(
            ErrorKind::ConcurrentUpdate,
            "the store is busy; retry",
        ))
    }

    /// Whether the store's releases are frozen (its reserve deadlines wait).
    pub(crate) async fn releases_frozen(&self, store: StoreId) -> AppResult<bool> {
        Ok(matches!(
            self.store.store_enforcement(store).await?,
            Some((record, _)) if record.releases_frozen.is_some()
        ))
    }

    /// Stores under enforcement or with an appeal waiting.
    pub async fn enforcement_queue(
        &self,
        actor: &Actor,
        page: &PageRequest,
    ) -> AppResult<Page<StoreEnforcement>> {
        self.require_agent(actor)?;
        Ok(self.store.enforced_stores(page).await?)
    }
}
