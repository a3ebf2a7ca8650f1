//! Payouts reach the seller's bank.
//!
//! A payout request moves the seller's available money to the store's
//! payout account and queues one `payout.send` command in the same
//! transaction. The command waits `payout_settle_hours` (a bank's working
//! day), hands the transfer to the bank, and books the bank's confirmation:
//! the money leaves for `bank:simulated`, the payout becomes `paid` with the
//! bank's reference, and the seller hears of it (`payout.paid`), all in one
//! transaction. Haven ships a simulated bank that accepts every transfer; a
//! real payout rail would take its place in [`App::send_payout`]. A command
//! carried out twice (a crash after the bank call) books nothing twice: the
//! payout settles only from `requested`, and the entry's key is the
//! payout's.

use haven_domain::events::EventType;
use haven_domain::ids::PayoutId;
use haven_domain::ledger::{Account, Entry, EntryHeader, EntryKind};
use haven_domain::{SignedDuration, Timestamp};
use haven_store::{
    Changeset, Command, Conflict, NewCommand, NewOutboxEvent, Payout, PayoutSettlement, StoreError,
};
use serde::{Deserialize, Serialize};

use crate::App;

pub const PAYOUT_SEND: &str = "payout.send";
/// The ledger's name for the bank payouts leave through.
pub const BANK: &str = "simulated";

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct PayoutRequest {
    pub payout_id: PayoutId,
}

/// The command that pays `payout` out, due once the bank's day has passed.
pub fn payout_command(payout: &Payout, settle_after: SignedDuration) -> NewCommand {
    let request = PayoutRequest {
        payout_id: payout.id,
    };
    let mut command = NewCommand::new(
        PAYOUT_SEND,
        format!("payout:{}", payout.id),
        serde_json::to_value(&request).expect("payout requests serialise"),
        None,
        payout.created_at,
    );
    command.not_before = payout.created_at + settle_after;
    command.subject_id = Some(payout.id.0);
    command
}

/// The simulated bank's reference for a transfer: the same for the same
/// payout, as a real rail's idempotent answer would be. From the id's
/// random tail (its head is the time, shared by ids made together).
fn simulated_bank_reference(id: PayoutId) -> String {
    let digits = id.0.simple().to_string().to_uppercase();
    format!("SIM-{}", &digits[digits.len() - 12..])
}

impl App {
    pub(crate) async fn send_payout(&self, command: &Command) -> Result<(), String> {
        let request: PayoutRequest = serde_json::from_value(command.payload.clone())
            .map_err(|e| format!("unreadable payout request: {e}"))?;
        let payout = self
            .store
            .payout(request.payout_id)
            .await
            .map_err(|e| e.to_string())?
            .ok_or_else(|| format!("payout {} not found", request.payout_id))?;
        if payout.state != "requested" {
            return Ok(());
        }
        let reference = simulated_bank_reference(payout.id);
        match self
            .store
            .commit(settlement(&payout, reference, self.now())?)
            .await
        {
            Ok(())
            | Err(StoreError::Conflict(
                Conflict::PayoutNotPending
                | Conflict::DuplicateEntry
                | Conflict::DuplicateIdempotencyKey,
            )) => Ok(()),
            Err(err) => Err(err.to_string()),
        }
    }
}

/// The bank's confirmation as one transaction: the money out, the payout
/// `paid`, and the event the seller's notice comes from.
fn settlement(payout: &Payout, reference: String, now: Timestamp) -> Result<Changeset, String> {
    let header = EntryHeader {
        idempotency_key: format!("payout-settled:{}", payout.id),
        kind: EntryKind::PayoutSettled,
        order_id: None,
        payout_id: Some(payout.id),
        created_at: now,
    };
    let entry = Entry::transfer(
        header,
        Account::Payout(payout.store_id),
        Account::Bank(BANK.into()),
        payout.amount,
    )
    .map_err(|e| e.to_string())?;
    Ok(Changeset {
        entries: vec![entry],
        payout_settlements: vec![PayoutSettlement {
            id: payout.id,
            at: now,
            bank_reference: reference.clone(),
        }],
        outbox: vec![NewOutboxEvent {
            topic: EventType::PayoutPaid.to_string(),
            payload: serde_json::json!({
                "payout_id": payout.id,
                "store_id": payout.store_id,
                "amount": payout.amount,
                "state": "paid",
                "bank_reference": reference,
            }),
            created_at: now,
        }],
        ..Default::default()
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_bank_reference_is_the_same_for_the_same_payout() {
        let id = PayoutId::new();
        assert_eq!(simulated_bank_reference(id), simulated_bank_reference(id));
        assert_ne!(
            simulated_bank_reference(id),
            simulated_bank_reference(PayoutId::new())
        );
        assert!(simulated_bank_reference(id).starts_with("SIM-"));
    }
}
