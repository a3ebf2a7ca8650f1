//! Chargebacks reported by the payment gateway (or, for test card
//! `4000 0000 0000 0259`, by the simulated card network). The order is frozen
//! for good, the card network's money comes out of escrow, or, if it was
//! already released, out of `platform:chargeback_loss` with recovery from
//! the seller's available balance and then reserve. The order's evidence
//! bundle answers the chargeback.

use haven_domain::ids::OrderId;
use haven_domain::ledger::Account;
use haven_domain::order::{OrderEvent, SellerFunds};
use serde::{Deserialize, Serialize};
use sha2::{Digest, Sha256};

use super::{ActorRef, App};
use crate::error::{AppError, AppResult, ErrorKind};

/// What a gateway tells Haven about a chargeback.
#[derive(Debug, Clone, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct ChargebackNotice {
    /// `chargeback.created`.
    #[serde(rename = "type")]
    pub kind: String,
    /// The order id Haven attached to the payment as metadata.
    pub order_id: String,
    pub payment_ref: String,
    pub amount_minor: i64,
    #[serde(default)]
    pub reason: String,
}

impl App {
    pub async fn ingest_chargeback(
        &self,
        notice: ChargebackNotice,
    ) -> AppResult<haven_domain::order::Order> {
        if notice.kind != "chargeback.created" {
            return Err(AppError::validation("unsupported event type"));
        }
        haven_domain::limits::check_amount(
            "amount_minor",
            notice.amount_minor,
            haven_domain::limits::MAX_REFUND_MINOR,
            false,
        )?;
        haven_domain::text::optional_line("reason", &notice.reason, 200)?;
        let order_id: OrderId = notice
            .order_id
            .parse()
            .map_err(|_| AppError::not_found("order"))?;
        let order = self.order(order_id).await?;
        let payment = order
            .payment
            .as_ref()
            .ok_or_else(|| AppError::not_found("payment"))?;
        if payment.payment_ref != notice.payment_ref {
            return Err(AppError::not_found("payment"));
        }
        let reason = if notice.reason.is_empty() {
            "card network chargeback".to_string()
        } else {
            notice.reason.clone()
        };
        self.book_chargeback(order_id, notice.amount_minor, reason)
            .await
    }

    /// Book the chargeback from balances read afresh on every attempt and
    /// guarded in the transaction: if a payout (or anything) moves the
    /// seller's money meanwhile, the commit fails and the recovery is
    /// worked out again, never from a stale figure. In the same
    /// transaction: refunds still queued for the order are cancelled (the
    /// card network already took the money back, so the buyer must not be
    /// paid twice), and the evidence submission is queued.
    async fn book_chargeback(
        &self,
        order_id: OrderId,
        amount_minor: i64,
        reason: String,
    ) -> AppResult<haven_domain::order::Order> {
        for _ in 0..super::MAX_RETRIES {
            let order = self.order(order_id).await?;
            let (seller, guards) = self.seller_funds(&order).await?;
            let event = OrderEvent::Chargeback {
                amount_minor,
                reason: reason.clone(),
                seller,
            };
            let now = self.now();
            let (mut changes, transition) = self
                .order_changes(&order, event, ActorRef::system(), now)
                .await?;
            changes.balance_guards = guards;
            changes.cancel_commands.push((
                order_id,
                crate::commands::GATEWAY_REFUND.to_string(),
                now,
            ));
            if let Some(payment) = &order.payment {
                let request = crate::commands::EvidenceRequest {
                    order_id,
                    payment_ref: payment.payment_ref.clone(),
                };
                changes
                    .commands
                    .push(crate::commands::evidence_command(&request, now));
            }
            match self.store.commit(changes).await {
                Ok(()) => {
                    self.commands_ready.notify_one();
                    self.reassess_quietly(order.store_id).await;
                    let mut charged = transition.order;
                    charged.version = order.version + 1;
                    return Ok(charged);
                }
                Err(haven_store::StoreError::Conflict(
                    haven_store::Conflict::StaleOrder | haven_store::Conflict::StaleBalance,
                )) => continue,
                Err(err) => return Err(err.into()),
            }
        }
        Err(AppError::conflict(
            ErrorKind::ConcurrentUpdate,
            "the order is busy; retry",
        ))
    }

    /// The seller's balances now, and guards that hold the booking to them.
    async fn seller_funds(
        &self,
        order: &haven_domain::order::Order,
    ) -> AppResult<(SellerFunds, Vec<haven_store::BalanceGuard>)> {
        let currency = order.total.currency.as_str();
        let mut guards = Vec::new();
        let mut read = async |account: Account| -> AppResult<i64> {
            let account = account.to_string();
            let balance = self.store.balance(&account, currency).await?;
            guards.push(haven_store::BalanceGuard {
                account,
                currency: currency.to_string(),
                expected_minor: balance,
            });
            Ok(balance)
        };
        let funds = SellerFunds {
            available_minor: read(Account::SellerAvailable(order.store_id)).await?,
            reserve_minor: read(Account::SellerReserve(order.store_id)).await?,
        };
        Ok((funds, guards))
    }

    /// Send the order's evidence bundle to the gateway (the chargeback
    /// evidence command), under a key so a retry is not a second filing.
    pub(crate) async fn submit_chargeback_evidence(
        &self,
        request: &crate::commands::EvidenceRequest,
    ) -> Result<(), String> {
        let order = self.order(request.order_id).await.map_err(|e| e.message)?;
        let bundle = self
            .order_evidence_bundle(&order)
            .await
            .map_err(|e| format!("could not build the evidence bundle: {}", e.message))?;
        let bytes = serde_json::to_vec(&bundle).map_err(|e| e.to_string())?;
        let digest = hex::encode(Sha256::digest(&bytes));
        self.gateway
            .submit_chargeback_evidence(
                &request.payment_ref,
                &bytes,
                &format!("chargeback-evidence:{}", order.id),
            )
            .await
            .map_err(|e| e.to_string())?;
        tracing::info!(order = %order.id, sha256 = %digest, "chargeback evidence submitted");
        Ok(())
    }

    /// The simulated card network files the chargeback it promised for the
    /// test card: the whole card amount.
    pub(crate) async fn simulated_chargeback(&self, order_id: OrderId) -> AppResult<()> {
        let order = self.order(order_id).await?;
        let Some(payment) = &order.payment else {
            return Ok(());
        };
        let notice = ChargebackNotice {
            kind: "chargeback.created".into(),
            order_id: order.id.to_string(),
            payment_ref: payment.payment_ref.clone(),
            amount_minor: order.paid_card_minor.max(1),
            reason: "fraudulent (simulated by the test card network)".into(),
        };
        match self.ingest_chargeback(notice).await {
            Ok(_) => Ok(()),
            // Already recorded, or nothing left on the card: nothing to do.
            Err(err) if err.kind == ErrorKind::InvalidState => Ok(()),
            Err(err) => Err(err),
        }
    }
}
