//! The deadline worker. Due rows are claimed in bounded batches with a lease;
//! each is handled in a transaction that also deletes the row, so a deadline
//! fires exactly once even with several workers or a crash mid-batch (an
//! unfinished claim simply becomes due again when its lease runs out).

use std::sync::Arc;
use std::time::Duration;

use haven_domain::order::OrderEvent;
use haven_domain::timer::TimerKind;
use haven_domain::{SignedDuration, Timestamp};
use haven_store::{Changeset, Conflict, StoreError, Timer};

use super::{App, changeset_for};
use crate::error::ApiResult;

const LEASE_S: i64 = 60;

#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct TickReport {
    /// Deadlines that changed an order.
    pub fired: u32,
    /// Deadlines that no longer applied (the order had moved on).
    pub obsolete: u32,
    /// Deadlines another worker handled first, or that hit an error.
    pub skipped: u32,
}

fn event_for(kind: TimerKind) -> OrderEvent {
    match kind {
        TimerKind::UnpaidExpiry => OrderEvent::PaymentExpired,
        TimerKind::ShipBy => OrderEvent::ShipByMissed,
        TimerKind::CancelRequestTimeout => OrderEvent::CancelRequestTimedOut,
        TimerKind::ProtectionEnd => OrderEvent::ProtectionWindowEnded,
        TimerKind::NoScanRefund => OrderEvent::NoScanClaimExpired,
    }
}

enum Outcome {
    Fired,
    Obsolete,
    Skipped,
}

impl App {
    /// Fire every deadline due at `now`, one bounded batch after another.
    pub async fn tick(&self, now: Timestamp) -> ApiResult<TickReport> {
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
            for timer in due {
                match self.fire(&timer, now).await {
                    Ok(Outcome::Fired) => report.fired += 1,
                    Ok(Outcome::Obsolete) => report.obsolete += 1,
                    Ok(Outcome::Skipped) => report.skipped += 1,
                    Err(err) => {
                        tracing::warn!(timer = %timer.id, error = %err.message, "timer failed; it retries after its lease");
                        report.skipped += 1;
                    }
                }
            }
        }
    }

    async fn fire(&self, timer: &Timer, now: Timestamp) -> ApiResult<Outcome> {
        for _ in 0..super::MAX_RETRIES {
            let Some(order) = self.store.order(timer.order_id).await? else {
                return self.complete_only(timer).await;
            };
            let policy = self.policy(order.policy_version).await?;
            let Ok(transition) = order.apply(event_for(timer.kind), &policy, now) else {
                return self.complete_only(timer).await;
            };
            let mut changes = changeset_for(&transition, Some(order.version), now);
            changes.complete_timer = Some(timer.id);
            match self.store.commit(changes).await {
                Ok(()) => {
                    self.after_commit(&transition).await;
                    return Ok(Outcome::Fired);
                }
                Err(StoreError::Conflict(Conflict::StaleOrder)) => continue,
                Err(StoreError::Conflict(Conflict::TimerGone)) => return Ok(Outcome::Skipped),
                Err(err) => return Err(err.into()),
            }
        }
        Ok(Outcome::Skipped)
    }

    async fn complete_only(&self, timer: &Timer) -> ApiResult<Outcome> {
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

/// Run the timer worker until the process stops.
pub async fn run_worker(app: Arc<App>) {
    let interval = Duration::from_millis(app.config.timer_interval_ms.max(50));
    loop {
        if let Err(err) = app.tick(app.now()).await {
            tracing::warn!(error = %err.message, "timer tick failed");
        }
        tokio::time::sleep(interval).await;
    }
}
