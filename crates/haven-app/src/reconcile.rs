//! Reconciliation: does the gateway's record of captured money agree with
//! Haven's orders?
//!
//! - A capture with no paid order behind it (the order was cancelled, or
//!   never recorded the payment, and no capture command is still working on
//!   it) is refunded in full, by a refund command keyed by the payment so a
//!   second run queues nothing new.
//! - A paid order whose payment the gateway does not show as captured is
//!   flagged for an agent: a dead-lettered `reconcile.missing_capture`
//!   command, which the console's queue lists.
//!
//! `haven reconcile` runs it once; the worker runs it periodically over a
//! recent window. Runs on several nodes at once are harmless (every
//! action is keyed).

use haven_domain::Timestamp;
use haven_domain::ids::OrderId;
use haven_domain::order::{Order, OrderState};
use haven_store::{Changeset, NewCommand};

use crate::App;
use crate::commands::{GATEWAY_CAPTURE, RefundRequest, refund_command};
use crate::error::AppResult;
use crate::payments::GatewayPayment;

/// A paid order the gateway shows no capture for.
pub const MISSING_CAPTURE: &str = "reconcile.missing_capture";
const PAGE: u32 = 200;

/// What a reconciliation run found and did.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct ReconcileReport {
    pub captures_checked: u64,
    pub orders_checked: u64,
    /// Captures whose paid order agrees.
    pub matched: u64,
    /// Captures a pending checkout is still finishing (left to its command).
    pub in_flight: u64,
    /// Captures with no paid order: refunds queued (payment refs).
    pub refunded: Vec<String>,
    /// Paid orders with no capture at the gateway: flagged for an agent.
    pub flagged: Vec<OrderId>,
}

/// The smallest v7 id made at `at`: order ids sort by creation time, so
/// the orders of a window start after it.
fn first_id_at(at: Timestamp) -> OrderId {
    let millis = u64::try_from(at.as_millisecond()).unwrap_or(0);
    OrderId(uuid::Builder::from_unix_timestamp_millis(millis, &[0; 10]).into_uuid())
}

fn paid_by(order: &Order, payment_ref: &str) -> bool {
    order.paid_at.is_some()
        && order
            .payment
            .as_ref()
            .is_some_and(|p| p.payment_ref == payment_ref)
}

impl App {
    /// The worker's periodic run over the configured window; findings are
    /// logged (and flagged orders queued for an agent).
    pub async fn reconcile_recent(&self) {
        let window = haven_domain::SignedDuration::from_hours(self.config.reconcile_window_hours);
        match self.reconcile(self.now() - window).await {
            Ok(report) if report.refunded.is_empty() && report.flagged.is_empty() => {
                tracing::debug!(captures = report.captures_checked, "reconciled")
            }
            Ok(report) => tracing::warn!(
                refunded = report.refunded.len(),
                flagged = report.flagged.len(),
                "reconciliation found captures and orders that disagree"
            ),
            Err(err) => tracing::warn!(error = %err.message, "reconciliation failed"),
        }
    }

    /// Reconcile captures and orders created at or after `since`.
    pub async fn reconcile(&self, since: Timestamp) -> AppResult<ReconcileReport> {
        let mut report = ReconcileReport::default();
        let mut cursor = None;
        loop {
            let page = self
                .gateway
                .captures(since, cursor.take(), PAGE)
                .await
                .map_err(crate::checkout::gateway_error)?;
            for capture in &page.items {
                report.captures_checked += 1;
                self.reconcile_capture(capture, &mut report).await?;
            }
            match page.next {
                Some(next) => cursor = Some(next),
                None => break,
            }
        }
        self.flag_uncaptured_orders(since, &mut report).await?;
        if !report.refunded.is_empty() {
            self.commands_ready.notify_one();
        }
        Ok(report)
    }

    async fn reconcile_capture(
        &self,
        capture: &GatewayPayment,
        report: &mut ReconcileReport,
    ) -> AppResult<()> {
        let order = match capture.order_ref.parse::<OrderId>() {
            Ok(id) => self.store.order(id).await?,
            Err(_) => None,
        };
        if let Some(order) = &order {
            if paid_by(order, &capture.payment_ref) {
                report.matched += 1;
                return Ok(());
            }
            if order.state == OrderState::PendingPayment && self.capture_pending(order.id).await? {
                report.in_flight += 1;
                return Ok(());
            }
        }
        let refundable = capture.captured_minor - capture.refunded_minor;
        if refundable <= 0 {
            return Ok(());
        }
        let request = RefundRequest {
            payment_ref: capture.payment_ref.clone(),
            amount_minor: refundable,
            currency: capture.amount.currency.to_string(),
            key: format!("unrecorded:{}", capture.payment_ref),
        };
        let changes = Changeset {
            commands: vec![refund_command(
                &request,
                order.as_ref().map(|o| o.id),
                self.now(),
            )],
            ..Changeset::default()
        };
        self.store.commit(changes).await?;
        tracing::warn!(payment = %capture.payment_ref, "capture with no paid order: refund queued");
        report.refunded.push(capture.payment_ref.clone());
        Ok(())
    }

    async fn capture_pending(&self, order: OrderId) -> AppResult<bool> {
        Ok(self
            .store
            .commands_for_order(order)
            .await?
            .iter()
            .any(|c| c.kind == GATEWAY_CAPTURE && c.state == haven_store::CommandState::Pending))
    }

    /// Paid orders of the window whose card payment the gateway does not
    /// show as captured.
    async fn flag_uncaptured_orders(
        &self,
        since: Timestamp,
        report: &mut ReconcileReport,
    ) -> AppResult<()> {
        let mut after = Some(first_id_at(since));
        loop {
            let page = self.store.scan_orders(after, PAGE).await?;
            let Some(last) = page.last() else {
                return Ok(());
            };
            after = Some(last.id);
            for summary in &page {
                if summary.state == OrderState::PendingPayment {
                    continue;
                }
                let Some(order) = self.store.order(summary.id).await? else {
                    continue;
                };
                report.orders_checked += 1;
                self.check_order_capture(&order, report).await?;
            }
        }
    }

    async fn check_order_capture(
        &self,
        order: &Order,
        report: &mut ReconcileReport,
    ) -> AppResult<()> {
        let Some(payment) = order.payment.as_ref().filter(|_| order.paid_at.is_some()) else {
            return Ok(());
        };
        if payment.gateway != self.gateway.name() || order.paid_card_minor == 0 {
            return Ok(());
        }
        let found = self
            .gateway
            .payment(&payment.payment_ref)
            .await
            .map_err(crate::checkout::gateway_error)?;
        if found.is_some_and(|p| p.captured_minor > 0) {
            return Ok(());
        }
        let flag = NewCommand::new(
            MISSING_CAPTURE,
            format!("missing-capture:{}", order.id),
            serde_json::json!({ "order_id": order.id, "payment_ref": payment.payment_ref }),
            Some(order.id),
            self.now(),
        )
        .dead_lettered("the order is paid but the gateway shows no capture for its payment");
        let changes = Changeset {
            commands: vec![flag],
            ..Changeset::default()
        };
        self.store.commit(changes).await?;
        tracing::error!(order = %order.id, payment = %payment.payment_ref, "paid order with no capture at the gateway");
        report.flagged.push(order.id);
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_first_id_of_a_window_sorts_before_every_later_order() {
        let at: Timestamp = "2026-03-01T00:00:00Z".parse().unwrap();
        let floor = first_id_at(at);
        let later = OrderId(
            uuid::Builder::from_unix_timestamp_millis(
                u64::try_from(at.as_millisecond()).unwrap() + 1,
                &[0; 10],
            )
            .into_uuid(),
        );
        assert!(floor.0.to_string() < later.0.to_string());
        let earlier = first_id_at(at - haven_domain::SignedDuration::from_secs(1));
        assert!(earlier.0.to_string() < floor.0.to_string());
    }
}
