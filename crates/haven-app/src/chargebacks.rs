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
        if notice.amount_minor <= 0 {
            return Err(AppError::invalid_field(
                "amount_minor",
                "amount must be positive",
            ));
        }
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
        let amount_minor = notice.amount_minor;
        let store_id = order.store_id;
        let currency = order.total.currency;
        let funds = async {
            let read = |account: Account| async move {
                self.store
                    .balance(&account.to_string(), currency.as_str())
                    .await
            };
            Ok::<_, haven_store::StoreError>(SellerFunds {
                available_minor: read(Account::SellerAvailable(store_id)).await?,
                reserve_minor: read(Account::SellerReserve(store_id)).await?,
            })
        };
        let seller = funds.await?;
        let charged = self
            .apply_event(
                order_id,
                |_| {
                    Ok(OrderEvent::Chargeback {
                        amount_minor,
                        reason: reason.clone(),
                        seller,
                    })
                },
                |_| Ok(()),
                ActorRef::system(),
                None,
            )
            .await?;
        self.answer_chargeback(&charged).await;
        Ok(charged)
    }

    /// Send the order's evidence bundle to the gateway. The chargeback is
    /// already booked; a failed submission is logged for an agent.
    async fn answer_chargeback(&self, order: &haven_domain::order::Order) {
        let Some(payment) = &order.payment else {
            return;
        };
        let bundle = match self.order_evidence_bundle(order).await {
            Ok(bundle) => bundle,
            Err(err) => {
                return tracing::error!(order = %order.id, error = %err.message, "could not build the evidence bundle");
            }
        };
        let bytes = serde_json::to_vec(&bundle).unwrap_or_default();
        let digest = hex::encode(Sha256::digest(&bytes));
        match self
            .gateway
            .submit_chargeback_evidence(&payment.payment_ref, &bytes)
            .await
        {
            Ok(()) => {
                tracing::info!(order = %order.id, sha256 = %digest, "chargeback evidence submitted")
            }
            Err(err) => {
                tracing::error!(order = %order.id, error = %err, "chargeback evidence submission failed")
            }
        }
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
