//! The deadline worker. Due rows are claimed in bounded batches with a lease;
//! each is handled in a transaction that also deletes the row, so a deadline
//! fires exactly once even with several workers or a crash mid-batch (an
//! unfinished claim simply becomes due again when its lease runs out).

use std::sync::Arc;
use std::time::Duration;

use futures::StreamExt;

use haven_domain::dispute::DisputeEvent;
use haven_domain::order::OrderEvent;
use haven_domain::timer::TimerKind;
use haven_domain::{SignedDuration, Timestamp};
use haven_store::{Changeset, Conflict, StoreError, Timer};

use super::{ActorRef, App};
use crate::error::AppResult;

const LEASE_S: i64 = 60;
/// How often the worker drops login-defence counts no window looks at.
const PURGE_EVERY_S: u64 = 60;

#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct TickReport {
    /// Deadlines that changed an order.
    pub fired: u32,
    /// Deadlines that no longer applied (the order had moved on).
    pub obsolete: u32,
    /// Deadlines another worker handled first, or that hit an error.
    pub skipped: u32,
    /// Commands (emails, gateway calls) carried out, or to retry.
    pub commands: crate::commands::DispatchReport,
}

/// What a deadline does: an order event, a dispute event, or (for the test
/// card network) a chargeback.
enum Due {
    Order(OrderEvent),
    Dispute(DisputeEvent),
    Chargeback,
    /// Free a release held in the seller's reserve (needs the balance now).
    Reserve,
    /// Publish an order's review and buyer rating (the blind period ended).
    Reviews,
}

fn due_for(kind: TimerKind) -> Due {
    match kind {
        TimerKind::UnpaidExpiry => Due::Order(OrderEvent::PaymentExpired),
        TimerKind::ShipBy => Due::Order(OrderEvent::ShipByMissed),
        TimerKind::CancelRequestTimeout => Due::Order(OrderEvent::CancelRequestTimedOut),
        TimerKind::ProtectionEnd => Due::Order(OrderEvent::ProtectionWindowEnded),
        TimerKind::OnTimeGuarantee => Due::Order(OrderEvent::GuaranteeDue),
        TimerKind::DisputeSellerResponse => Due::Dispute(DisputeEvent::SellerResponseTimeout),
        TimerKind::DisputeAutoEscalate => Due::Dispute(DisputeEvent::AutoEscalate),
        TimerKind::ReturnWarning => Due::Dispute(DisputeEvent::ReturnWarning),
        TimerKind::ReturnShipBy => Due::Dispute(DisputeEvent::ReturnShipByMissed),
        TimerKind::ReturnCheck => Due::Dispute(DisputeEvent::ReturnCheckTimeout),
        TimerKind::SimulatedChargeback => Due::Chargeback,
        TimerKind::ReserveRelease => Due::Reserve,
        TimerKind::ReviewPublish => Due::Reviews,
    }
}

enum Outcome {
    Fired,
    Obsolete,
    Skipped,
}

/// Events published per round.
const PUBLISH_BATCH: u32 = 10_000;

/// Orders whose deadlines fire at once.
const FIRE_CONCURRENCY: usize = 64;

/// Claimed timers grouped by order, each group in due order, the groups in
/// the order of their first deadline.
fn by_order(due: Vec<Timer>) -> Vec<Vec<Timer>> {
    let mut groups: Vec<Vec<Timer>> = Vec::new();
    let mut index: std::collections::HashMap<haven_domain::ids::OrderId, usize> =
        std::collections::HashMap::new();
    for timer in due {
        match index.get(&timer.order_id) {
            Some(&i) => groups[i].push(timer),
            None => {
                index.insert(timer.order_id, groups.len());
                groups.push(vec![timer]);
            }
        }
    }
    groups
}

impl App {
    /// The reserve hold of an order ends: move what it put in the seller's
    /// reserve (as much as a chargeback left there) to the available
    /// balance, guarded against the balance moving meanwhile.
    async fn reserve_release_changes(
        &self,
        order: &haven_domain::order::Order,
        now: Timestamp,
    ) -> AppResult<(Changeset, Option<haven_domain::order::Transition>)> {
        let account = haven_domain::ledger::Account::SellerReserve(order.store_id).to_string();
        let currency = order.total.currency.as_str().to_string();
        let balance = self.store.balance(&account, &currency).await?;
        let event = OrderEvent::ReserveReleased {
            reserve_balance_minor: balance,
        };
        let (mut changes, transition) = self
            .order_changes(order, event, ActorRef::system(), now)
            .await?;
        changes.balance_guards.push(haven_store::BalanceGuard {
            account,
            currency,
            expected_minor: balance,
        });
        Ok((changes, Some(transition)))
    }

    /// Fire every deadline due at `now`, one bounded batch after another,
    /// then carry out the commands they (and requests) queued.
    pub async fn tick(&self, now: Timestamp) -> AppResult<TickReport> {
        self.refresh_policy().await?;
        let mut report = self.fire_due_timers(now).await?;
        report.commands = self.dispatch_commands(now).await;
        self.publish_events().await?;
        Ok(report)
    }

    /// Give committed business events their published positions, so the
    /// events feed and its relays see them (in commit order).
    pub async fn publish_events(&self) -> AppResult<()> {
        Ok(self.store.sequence_outbox(PUBLISH_BATCH).await?)
    }

    /// Fire every deadline due at `now`, one bounded batch after another.
    pub async fn fire_due_timers(&self, now: Timestamp) -> AppResult<TickReport> {
        let mut report = TickReport::default();
        loop {
            let lease_until = now + SignedDuration::from_secs(LEASE_S);
            let due = self
                .store
                .claim_due_timers(now, lease_until, self.config.timer_batch)
                .await?;
            if due.is_empty() {
                return Ok(report);
            }
            // Different orders fire concurrently, so their commits share a
            // group commit (SQLite) or the connection pool (PostgreSQL);
            // one order's deadlines fire in due order, one after another.
            let outcomes: Vec<Vec<AppResult<Outcome>>> =
                futures::stream::iter(by_order(due))
                    .map(|timers| async move {
                        let mut outcomes = Vec::with_capacity(timers.len());
                        for timer in &timers {
                            let outcome = self.fire(timer, now).await;
                            if let Err(err) = &outcome {
                                tracing::warn!(timer = %timer.id, error = %err.message, "timer failed; it retries after its lease");
                            }
                            outcomes.push(outcome);
                        }
                        outcomes
                    })
                    .buffer_unordered(FIRE_CONCURRENCY)
                    .collect()
                    .await;
            for outcome in outcomes.into_iter().flatten() {
                match outcome {
                    Ok(Outcome::Fired) => report.fired += 1,
                    Ok(Outcome::Obsolete) => report.obsolete += 1,
                    Ok(Outcome::Skipped) | Err(_) => report.skipped += 1,
                }
            }
        }
    }

    async fn fire(&self, timer: &Timer, now: Timestamp) -> AppResult<Outcome> {
        for _ in 0..super::MAX_RETRIES {
            let Some(order) = self.store.order(timer.order_id).await? else {
                return self.complete_only(timer).await;
            };
            let built = match due_for(timer.kind) {
                // One payment paid the whole group: it expires as one.
                Due::Order(OrderEvent::PaymentExpired) if !order.paid_with.is_empty() => {
                    if order.state != haven_domain::order::OrderState::PendingPayment {
                        return self.complete_only(timer).await;
                    }
                    let group = self.order_group(&order).await?;
                    self.close_group_changes(&group, OrderEvent::PaymentExpired, now)
                        .await
                        .map(|(c, t)| (c, t.into_iter().next()))
                }
                Due::Order(event) => self
                    .order_changes(&order, event, ActorRef::system(), now)
                    .await
                    .map(|(c, t)| (c, Some(t))),
                Due::Dispute(event) => {
                    let Some(open) = order.open_dispute else {
                        return self.complete_only(timer).await;
                    };
                    let dispute = self.dispute(open.id).await?;
                    self.dispute_changes(&dispute, &order, event, ActorRef::system(), None, &[])
                        .await
                        .map(|(c, _, t)| (c, t))
                }
                Due::Reserve if self.releases_frozen(order.store_id).await? => {
                    return self.postpone(timer, now).await;
                }
                Due::Reserve => self.reserve_release_changes(&order, now).await,
                Due::Reviews => self
                    .review_publish_changes(&order, now)
                    .await
                    .map(|c| (c, None)),
                Due::Chargeback => {
                    // Idempotent on its own: a second filing finds the chargeback recorded.
                    self.simulated_chargeback(order.id).await?;
                    return self.complete_only(timer).await.map(|_| Outcome::Fired);
                }
            };
            let (mut changes, transition) = match built {
                Ok(built) => built,
                // The order or dispute moved on: the deadline no longer applies.
                Err(err) if err.kind.means_moved_on() => return self.complete_only(timer).await,
                Err(err) => return Err(err),
            };
            changes.complete_timer = Some(timer.id);
            match self.store.commit(changes).await {
                Ok(()) => {
                    if let Some(transition) = &transition {
                        self.after_commit(transition).await;
                    }
                    return Ok(Outcome::Fired);
                }
                Err(err) if super::is_race(&err) => continue,
                Err(StoreError::Conflict(Conflict::TimerGone)) => return Ok(Outcome::Skipped),
                Err(err) => return Err(err.into()),
            }
        }
        Ok(Outcome::Skipped)
    }

    /// Frozen releases: the reserve deadline comes back a day later (the
    /// re-armed row replaces this one), until an agent lifts the freeze.
    async fn postpone(&self, timer: &Timer, now: Timestamp) -> AppResult<Outcome> {
        let changes = Changeset {
            schedule: vec![haven_store::NewTimer {
                order_id: timer.order_id,
                kind: timer.kind,
                due_at: now + haven_domain::SignedDuration::from_hours(24),
            }],
            ..Default::default()
        };
        self.store.commit(changes).await?;
        Ok(Outcome::Skipped)
    }

    async fn complete_only(&self, timer: &Timer) -> AppResult<Outcome> {
        match self
            .store
            .commit(Changeset {
                complete_timer: Some(timer.id),
                ..Default::default()
            })
            .await
        {
            Ok(()) => Ok(Outcome::Obsolete),
            Err(StoreError::Conflict(Conflict::TimerGone)) => Ok(Outcome::Skipped),
            Err(err) => Err(err.into()),
        }
    }
}

impl App {
    /// Hand the published events on to the people and systems that follow
    /// them: queue webhook deliveries, and write notices with their emails;
    /// then remind people of the deadlines due within a day.
    /// Run on the worker's interval, not on every wake-up: the worker wakes
    /// for each checkout's capture, and following the outbox once per order
    /// would cost a write transaction each where one per interval carries a
    /// whole batch.
    pub async fn follow_outbox(&self) -> AppResult<()> {
        let webhooks = self.fan_out_webhooks().await?;
        let notices = self.fan_out_notifications().await?;
        let reminders = self.send_deadline_reminders().await?;
        if webhooks + notices + reminders > 0 {
            self.commands_ready.notify_one();
        }
        Ok(())
    }
}

async fn follow_outbox(app: Arc<App>, interval: Duration) {
    loop {
        if let Err(err) = app.follow_outbox().await {
            tracing::warn!(error = %err.message, "following the outbox (webhooks, notifications) failed");
        }
        tokio::time::sleep(interval).await;
    }
}

/// Keep this node's search index following the outbox, in a task of its
/// own: a rebuild (at start with an in-memory index, or after a gap) takes
/// seconds per million listings, and deadlines must not wait for it.
async fn follow_search(app: Arc<App>, interval: Duration) {
    loop {
        if let Err(err) = app.sync_search().await {
            tracing::warn!(error = %err.message, "search index catch-up failed");
        }
        tokio::time::sleep(interval).await;
    }
}

/// Run the timer worker and the command dispatcher until the process stops:
/// every interval, or at once when a request queued gateway work.
pub async fn run_worker(app: Arc<App>) {
    let interval = Duration::from_millis(app.config.timer_interval_ms.max(50));
    let mut last_purge = std::time::Instant::now();
    let mut last_reconcile = std::time::Instant::now();
    let reconcile_every = Duration::from_secs(app.config.reconcile_interval_s.max(10));
    let mut last_integrity = std::time::Instant::now();
    let integrity_every = Duration::from_secs(app.config.integrity_interval_s.max(60));
    tokio::spawn(follow_search(app.clone(), interval));
    tokio::spawn(follow_outbox(app.clone(), interval));
    loop {
        if let Err(err) = app.tick(app.now()).await {
            tracing::warn!(error = %err.message, "timer tick failed");
        }
        if last_purge.elapsed() >= Duration::from_secs(PURGE_EVERY_S) {
            last_purge = std::time::Instant::now();
            if let Err(err) = app.purge_login_defence(app.wall_now()).await {
                tracing::warn!(error = %err.message, "purging login-defence counts failed");
            }
            if let Err(err) = app.purge_expired(app.now()).await {
                tracing::warn!(error = %err.message, "retention purge failed");
            }
        }
        if last_reconcile.elapsed() >= reconcile_every {
            last_reconcile = std::time::Instant::now();
            app.reconcile_recent().await;
        }
        if last_integrity.elapsed() >= integrity_every {
            last_integrity = std::time::Instant::now();
            match app.run_integrity_pass().await {
                Ok(report) if report.newly_flagged > 0 => {
                    tracing::warn!(
                        flagged = report.newly_flagged,
                        cases = report.cases_opened,
                        "review integrity pass"
                    )
                }
                Ok(_) => {}
                Err(err) => tracing::warn!(error = %err.message, "review integrity pass failed"),
            }
        }
        tokio::select! {
            _ = tokio::time::sleep(interval) => {}
            _ = app.commands_ready.notified() => {}
        }
    }
}
