//! The application layer: every use case (register, checkout, ship, confirm,
//! payout, timers…) as a method on [`App`]. HTTP handlers and web pages call
//! these and stay thin. Business rules come from `haven-domain`; this layer
//! loads state, applies a pure transition and commits the resulting
//! changeset in one transaction.

mod accounts;
mod catalog;
mod checkout;
mod fulfilment;
mod money;
mod timers;

use std::collections::HashMap;
use std::sync::{Arc, RwLock};

use haven_domain::clock::{Clock, OffsetClock};
use haven_domain::ids::{OrderId, UserId};
use haven_domain::order::{Order, OrderEvent, Transition};
use haven_domain::policy::{Policy, PolicyVersion};
use haven_store::{
    Changeset, Conflict, DynStore, IdempotencyRecord, NewOutboxEvent, NewTimer, OrderWrite,
    StockChange, StoreError,
};
use serde::Serialize;

pub use accounts::{Actor, Registration};
pub use catalog::{MAX_IMAGE_BYTES, NewListingInput, sniff_image_type};
pub use checkout::{CheckoutInput, CheckoutOutcome};
pub use fulfilment::CarrierScan;
pub use money::{VerifyReport, verify_ledger};
pub use timers::{TickReport, run_worker};

use crate::config::Config;
use crate::error::{ApiError, ApiResult};
use crate::payments::PaymentGateway;

pub struct App {
    pub store: DynStore,
    pub clock: Arc<dyn Clock>,
    pub gateway: Arc<dyn PaymentGateway>,
    pub config: Config,
    /// Present in demo mode: lets visitors fast-forward time.
    pub demo_clock: Option<OffsetClock>,
    current_policy: PolicyVersion,
    policies: RwLock<HashMap<PolicyVersion, Arc<Policy>>>,
}

/// The Idempotency-Key context of one request.
#[derive(Debug, Clone)]
pub struct Idem {
    pub user_id: UserId,
    pub key: String,
    /// SHA-256 over method, path and body.
    pub request_hash: String,
}

/// How many times an action re-reads and retries after losing a race.
const MAX_RETRIES: usize = 5;

impl App {
    /// Build the application over a migrated store. Records the configured
    /// policy as a new version if it differs from the latest.
    pub async fn new(
        store: DynStore,
        clock: Arc<dyn Clock>,
        gateway: Arc<dyn PaymentGateway>,
        config: Config,
        demo_clock: Option<OffsetClock>,
    ) -> anyhow::Result<Arc<App>> {
        config.policy.validate()?;
        store.migrate().await?;
        let current_policy = store.ensure_policy(&config.policy, clock.now()).await?;
        let mut policies = HashMap::new();
        policies.insert(current_policy, Arc::new(config.policy.clone()));
        Ok(Arc::new(App {
            store,
            clock,
            gateway,
            config,
            demo_clock,
            current_policy,
            policies: RwLock::new(policies),
        }))
    }

    pub fn now(&self) -> haven_domain::Timestamp {
        self.clock.now()
    }

    pub fn current_policy(&self) -> (PolicyVersion, Arc<Policy>) {
        let policy = self
            .policies
            .read()
            .expect("policy cache")
            .get(&self.current_policy)
            .cloned();
        (
            self.current_policy,
            policy.expect("current policy is cached at start-up"),
        )
    }

    /// The policy an order was sold under (cached; versions never change).
    pub async fn policy(&self, version: PolicyVersion) -> ApiResult<Arc<Policy>> {
        if let Some(found) = self.policies.read().expect("policy cache").get(&version) {
            return Ok(found.clone());
        }
        let policy = self
            .store
            .policy(version)
            .await?
            .ok_or_else(|| ApiError::internal(format!("policy version {version} missing")))?;
        let policy = Arc::new(policy);
        self.policies
            .write()
            .expect("policy cache")
            .insert(version, policy.clone());
        Ok(policy)
    }

    pub async fn order(&self, id: OrderId) -> ApiResult<Order> {
        self.store
            .order(id)
            .await?
            .ok_or_else(|| ApiError::not_found("order"))
    }

    /// Apply `event` to the order and commit the result. `guard` runs on the
    /// freshly read order (authorisation, extra checks) before each attempt;
    /// a lost race re-reads and retries, so the guard always sees the truth.
    pub(crate) async fn apply_event<G>(
        &self,
        order_id: OrderId,
        make_event: impl Fn(&Order) -> ApiResult<OrderEvent>,
        guard: G,
        idem: Option<&Idem>,
    ) -> ApiResult<Order>
    where
        G: Fn(&Order) -> ApiResult<()>,
    {
        for _ in 0..MAX_RETRIES {
            let order = self.order(order_id).await?;
            guard(&order)?;
            let policy = self.policy(order.policy_version).await?;
            let event = make_event(&order)?;
            let transition = order.apply(event, &policy, self.now())?;
            let mut changes = changeset_for(&transition, Some(order.version), self.now());
            let mut updated = transition.order.clone();
            updated.version = order.version + 1;
            attach_idem(
                &mut changes,
                idem,
                200,
                &crate::views::OrderView::from(&updated),
                self.now(),
            )?;
            match self.store.commit(changes).await {
                Ok(()) => {
                    self.after_commit(&transition).await;
                    return Ok(updated);
                }
                Err(StoreError::Conflict(Conflict::StaleOrder)) => continue,
                Err(err) => return Err(err.into()),
            }
        }
        Err(ApiError::conflict(
            "concurrent_update",
            "the order is busy; retry",
        ))
    }

    /// Gateway side effects that follow a committed transition. The ledger is
    /// already right; a failed refund call is logged for the operator.
    pub(crate) async fn after_commit(&self, transition: &Transition) {
        let Some(payment) = &transition.order.payment else {
            return;
        };
        for entry in &transition.effects.entries {
            if entry.kind != haven_domain::ledger::EntryKind::Refund {
                continue;
            }
            let amount = haven_domain::money::Money::new(
                entry.outflow_from(&transition.order.escrow_account()),
                transition.order.total.currency,
            );
            if let Err(err) = self
                .gateway
                .refund(&payment.payment_ref, amount, &entry.idempotency_key)
                .await
            {
                tracing::error!(order = %transition.order.id, error = %err, "gateway refund failed; ledger already records it");
            }
        }
    }

    /// A saved response for this Idempotency-Key, if the request was seen.
    pub async fn idempotent_replay(&self, idem: &Idem) -> ApiResult<Option<IdempotencyRecord>> {
        match self.store.idempotency(idem.user_id, &idem.key).await? {
            Some(record) if record.request_hash != idem.request_hash => Err(ApiError::new(
                axum::http::StatusCode::UNPROCESSABLE_ENTITY,
                "idempotency_key_reused",
                "this Idempotency-Key was used with a different request",
            )),
            found => Ok(found),
        }
    }
}

/// Save `view` as the response for `idem` in the same transaction.
pub(crate) fn attach_idem<T: Serialize>(
    changes: &mut Changeset,
    idem: Option<&Idem>,
    status: u16,
    view: &T,
    now: haven_domain::Timestamp,
) -> ApiResult<()> {
    if let Some(idem) = idem {
        changes.idempotency = Some(IdempotencyRecord {
            user_id: idem.user_id,
            key: idem.key.clone(),
            request_hash: idem.request_hash.clone(),
            status,
            body: serde_json::to_string(view).map_err(ApiError::internal)?,
            created_at: now,
        });
    }
    Ok(())
}

/// Turn a pure transition into the rows to write with it.
pub(crate) fn changeset_for(
    transition: &Transition,
    expected_version: Option<i64>,
    now: haven_domain::Timestamp,
) -> Changeset {
    let order = &transition.order;
    let effects = &transition.effects;
    Changeset {
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
        stock: effects
            .restock
            .map(|qty| StockChange {
                listing_id: order.listing_id,
                delta: i64::from(qty),
            })
            .into_iter()
            .collect(),
        tracking_claims: effects
            .claim_tracking
            .iter()
            .map(|(carrier, number)| (carrier.clone(), number.clone(), order.id))
            .collect(),
        ..Changeset::default()
    }
}
