//! Which actions exist for whom, decided once, here. The API lists them in
//! the order and dispute views (`available_actions`) and the web pages
//! show exactly those buttons, so a page can never offer what the state
//! machine would refuse, nor hide what it allows.

use serde::Serialize;

use crate::Timestamp;
use crate::dispute::{Dispute, DisputeState, Party};
use crate::order::{Order, OrderState};
use crate::policy::Policy;

#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum OrderAction {
    /// Buyer: enter the card issuer's one-time code.
    CompleteChallenge,
    /// Buyer: ask to cancel before the order ships.
    RequestCancel,
    /// Seller: answer the buyer's cancellation request.
    AcceptCancel,
    DeclineCancel,
    /// Seller: hand the parcel to a carrier, with its tracking number.
    Ship,
    /// Buyer: confirm the item arrived (pays the seller).
    ConfirmReceipt,
    /// Buyer: open a dispute while protection lasts.
    OpenDispute,
}

impl OrderAction {
    pub fn as_str(self) -> &'static str {
        match self {
            OrderAction::CompleteChallenge => "complete_challenge",
            OrderAction::RequestCancel => "request_cancel",
            OrderAction::AcceptCancel => "accept_cancel",
            OrderAction::DeclineCancel => "decline_cancel",
            OrderAction::Ship => "ship",
            OrderAction::ConfirmReceipt => "confirm_receipt",
            OrderAction::OpenDispute => "open_dispute",
        }
    }
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum DisputeAction {
    /// Either party, or an agent: add a message or file to the log.
    AddEvidence,
    /// Seller: grant what the buyer asked for.
    Accept,
    /// Seller: offer a partial refund.
    Counter,
    /// Seller: refuse, with evidence.
    Reject,
    /// Buyer: take or leave the seller's offer.
    AcceptCounter,
    DeclineCounter,
    /// Buyer: send the item back, with tracking.
    ShipReturn,
    /// Seller: the return arrived as expected / not as expected.
    ConfirmReturn,
    ContestReturn,
    /// Buyer: ask Haven to decide.
    Escalate,
    /// Buyer: close the dispute (their protection keeps running).
    Withdraw,
    /// Buyer: open a withdrawn dispute again while protection lasts.
    Reopen,
    /// Agent: decide an escalated case and move the money.
    Decide,
}

impl DisputeAction {
    pub fn as_str(self) -> &'static str {
        match self {
            DisputeAction::AddEvidence => "add_evidence",
            DisputeAction::Accept => "accept",
            DisputeAction::Counter => "counter",
            DisputeAction::Reject => "reject",
            DisputeAction::AcceptCounter => "accept_counter",
            DisputeAction::DeclineCounter => "decline_counter",
            DisputeAction::ShipReturn => "ship_return",
            DisputeAction::ConfirmReturn => "confirm_return",
            DisputeAction::ContestReturn => "contest_return",
            DisputeAction::Escalate => "escalate",
            DisputeAction::Withdraw => "withdraw",
            DisputeAction::Reopen => "reopen",
            DisputeAction::Decide => "decide",
        }
    }
}

impl Order {
    /// What `party` may do with this order at `now`. A charged-back order
    /// is frozen: nobody may do anything.
    pub fn available_actions(&self, party: Party, now: Timestamp) -> Vec<OrderAction> {
        if self.chargeback.is_some() {
            return Vec::new();
        }
        let mut actions = Vec::new();
        let sent = matches!(self.state, OrderState::Shipped | OrderState::Delivered);
        match party {
            Party::Buyer => {
                if self.state == OrderState::PendingPayment && self.payment.is_some() {
                    actions.push(OrderAction::CompleteChallenge);
                }
                if self.state == OrderState::Paid && self.cancel_requested_at.is_none() {
                    actions.push(OrderAction::RequestCancel);
                }
                // The buyer's own dispute is closed only by withdrawing it.
                if sent && self.open_dispute.is_none_or(|d| d.automatic) {
                    actions.push(OrderAction::ConfirmReceipt);
                }
                if sent && self.open_dispute.is_none() && self.window_open_at(now) {
                    actions.push(OrderAction::OpenDispute);
                }
            }
            Party::Seller => {
                if self.state == OrderState::Paid {
                    if !self.held_for_review() {
                        actions.push(OrderAction::Ship);
                    }
                    if self.cancel_requested_at.is_some() {
                        actions.extend([OrderAction::AcceptCancel, OrderAction::DeclineCancel]);
                    }
                }
            }
            Party::Agent | Party::System => {}
        }
        actions
    }
}

impl Dispute {
    /// What `party` may do with this dispute at `now`, given its order and
    /// the policy it was opened under.
    pub fn available_actions(
        &self,
        party: Party,
        order: &Order,
        policy: &Policy,
        now: Timestamp,
    ) -> Vec<DisputeAction> {
        use DisputeAction as A;
        use DisputeState as S;
        let open = self.state.is_open();
        let mut actions = Vec::new();
        match party {
            Party::Seller if open => {
                if matches!(self.state, S::AwaitingSeller | S::Unresolved) {
                    actions.push(A::Accept);
                }
                if self.state == S::AwaitingSeller {
                    actions.extend([A::Counter, A::Reject]);
                }
                if matches!(self.state, S::ReturnShipped | S::ReturnDelivered) {
                    actions.push(A::ConfirmReturn);
                }
                if self.state == S::ReturnDelivered {
                    actions.push(A::ContestReturn);
                }
                actions.push(A::AddEvidence);
            }
            Party::Buyer => {
                if self.state == S::CounterOffered {
                    actions.extend([A::AcceptCounter, A::DeclineCounter]);
                }
                if self.state == S::AwaitingReturn {
                    actions.push(A::ShipReturn);
                }
                let may_escalate = now >= self.escalation_available_at(policy);
                if open && !self.automatic && self.state != S::Escalated && may_escalate {
                    actions.push(A::Escalate);
                }
                if open && !self.automatic {
                    actions.push(A::Withdraw);
                }
                let reopenable = order.open_dispute.is_none()
                    && matches!(order.state, OrderState::Shipped | OrderState::Delivered)
                    && order.window_open_at(now);
                if self.state == S::Withdrawn && reopenable {
                    actions.push(A::Reopen);
                }
                if open {
                    actions.push(A::AddEvidence);
                }
            }
            Party::Agent if open => {
                if self.state == S::Escalated {
                    actions.push(A::Decide);
                }
                actions.push(A::AddEvidence);
            }
            _ => {}
        }
        actions
    }
}
