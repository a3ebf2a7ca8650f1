//! The dispute centre's state machine. A dispute is opened by the buyer (or
//! by Haven itself when the window ends without a delivery scan) and moves
//! through [`DISPUTE_TRANSITIONS`]. Like the order, [`Dispute::apply`] is
//! pure: it returns the new dispute plus what the caller must do with it (a
//! settlement for the order, deadlines, events, a strike).
//!
//! Buyer protection rules encoded here:
//! - the seller's silence grants the buyer's request;
//! - a withdrawal needs an explicit confirmation and can be reopened;
//! - escalation is open to the buyer from day 3 and automatic at day 15;
//! - a confirmed counterfeit on a Guaranteed Genuine listing is a full
//!   refund, shipping included, and a seller strike.

use jiff::{SignedDuration, Timestamp};
use serde::{Deserialize, Serialize};

use crate::events::EventType;
use crate::ids::{DisputeId, OrderId, StoreId, UserId};
use crate::order::{Address, DomainEvent, Order, OrderState, Shipment};
use crate::policy::{Policy, PolicyVersion};
use crate::timer::{TimerKind, TimerRequest};

#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum DisputeReason {
    NotReceived,
    NotAsDescribed,
    Damaged,
    Counterfeit,
    WrongItem,
    MissingParts,
}

impl DisputeReason {
    pub const ALL: [DisputeReason; 6] = [
        DisputeReason::NotReceived,
        DisputeReason::NotAsDescribed,
        DisputeReason::Damaged,
        DisputeReason::Counterfeit,
        DisputeReason::WrongItem,
        DisputeReason::MissingParts,
    ];

    pub fn as_str(&self) -> &'static str {
        match self {
            DisputeReason::NotReceived => "not_received",
            DisputeReason::NotAsDescribed => "not_as_described",
            DisputeReason::Damaged => "damaged",
            DisputeReason::Counterfeit => "counterfeit",
            DisputeReason::WrongItem => "wrong_item",
            DisputeReason::MissingParts => "missing_parts",
        }
    }

    pub fn label(&self) -> &'static str {
        match self {
            DisputeReason::NotReceived => "I did not receive it",
            DisputeReason::NotAsDescribed => "Not as described",
            DisputeReason::Damaged => "Arrived damaged",
            DisputeReason::Counterfeit => "Counterfeit",
            DisputeReason::WrongItem => "Wrong item",
            DisputeReason::MissingParts => "Parts missing",
        }
    }

    pub fn parse(raw: &str) -> Option<Self> {
        DisputeReason::ALL.into_iter().find(|r| r.as_str() == raw)
    }
}

/// What the buyer asks for.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(tag = "type", rename_all = "snake_case")]
pub enum RequestedOutcome {
    FullRefund,
    /// Refund this much; the buyer keeps the item.
    PartialRefund {
        amount_minor: i64,
    },
    ReturnAndRefund,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum DisputeState {
    /// The seller has a deadline to accept, counter or reject.
    AwaitingSeller,
    /// The seller offered a partial refund; the buyer accepts or declines.
    CounterOffered,
    /// The parties disagree; the buyer may escalate (automatic at day 15).
    Unresolved,
    /// Return accepted: the buyer ships it back with tracking.
    AwaitingReturn,
    ReturnShipped,
    /// The return arrived: the seller confirms or contests.
    ReturnDelivered,
    /// In the trust-and-safety case queue.
    Escalated,
    Resolved,
    Withdrawn,
    /// The return was not shipped in time.
    Lapsed,
    /// A chargeback took over the money.
    Superseded,
}

impl DisputeState {
    pub const ALL: [DisputeState; 11] = [
        DisputeState::AwaitingSeller,
        DisputeState::CounterOffered,
        DisputeState::Unresolved,
        DisputeState::AwaitingReturn,
        DisputeState::ReturnShipped,
        DisputeState::ReturnDelivered,
        DisputeState::Escalated,
        DisputeState::Resolved,
        DisputeState::Withdrawn,
        DisputeState::Lapsed,
        DisputeState::Superseded,
    ];

    /// Whose move it is: the party the dispute waits on (`None` while it
    /// waits on a carrier, or once closed).
    pub fn waiting_on(&self) -> Option<Party> {
        match self {
            DisputeState::AwaitingSeller | DisputeState::ReturnDelivered => Some(Party::Seller),
            DisputeState::CounterOffered
            | DisputeState::Unresolved
            | DisputeState::AwaitingReturn => Some(Party::Buyer),
            DisputeState::Escalated => Some(Party::Agent),
            _ => None,
        }
    }

    pub fn is_open(&self) -> bool {
        !matches!(
            self,
            DisputeState::Resolved
                | DisputeState::Withdrawn
                | DisputeState::Lapsed
                | DisputeState::Superseded
        )
    }

    pub fn as_str(&self) -> &'static str {
        match self {
            DisputeState::AwaitingSeller => "awaiting_seller",
            DisputeState::CounterOffered => "counter_offered",
            DisputeState::Unresolved => "unresolved",
            DisputeState::AwaitingReturn => "awaiting_return",
            DisputeState::ReturnShipped => "return_shipped",
            DisputeState::ReturnDelivered => "return_delivered",
            DisputeState::Escalated => "escalated",
            DisputeState::Resolved => "resolved",
            DisputeState::Withdrawn => "withdrawn",
            DisputeState::Lapsed => "lapsed",
            DisputeState::Superseded => "superseded",
        }
    }

    pub fn parse(raw: &str) -> Option<Self> {
        DisputeState::ALL.into_iter().find(|s| s.as_str() == raw)
    }

    /// The state in words, for sentences people read.
    pub fn label(&self) -> &'static str {
        match self {
            DisputeState::AwaitingSeller => "waiting for the seller",
            DisputeState::CounterOffered => "waiting for an answer to an offer",
            DisputeState::Unresolved => "unresolved",
            DisputeState::AwaitingReturn => "waiting for the return",
            DisputeState::ReturnShipped => "waiting for the return to arrive",
            DisputeState::ReturnDelivered => "waiting for the seller to check the return",
            DisputeState::Escalated => "with a Haven agent",
            DisputeState::Resolved => "resolved",
            DisputeState::Withdrawn => "withdrawn",
            DisputeState::Lapsed => "lapsed",
            DisputeState::Superseded => "closed by a chargeback",
        }
    }
}

/// Who acts on a dispute.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Party {
    Buyer,
    Seller,
    Agent,
    /// Haven itself: timers, carriers, the card network.
    System,
}

impl Party {
    pub fn as_str(&self) -> &'static str {
        match self {
            Party::Buyer => "buyer",
            Party::Seller => "seller",
            Party::Agent => "agent",
            Party::System => "system",
        }
    }
}

/// An agent's (or the parties') final word on the money.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(tag = "type", rename_all = "snake_case")]
pub enum Decision {
    FullRefund,
    PartialRefund { amount_minor: i64 },
    NoRefund,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Resolution {
    pub decision: Decision,
    pub refund_minor: i64,
    pub decided_by: Party,
    pub reasons: String,
    pub counterfeit_confirmed: bool,
    pub at: Timestamp,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Dispute {
    pub id: DisputeId,
    pub order_id: OrderId,
    pub buyer_id: UserId,
    pub store_id: StoreId,
    pub reason: DisputeReason,
    pub requested: RequestedOutcome,
    pub description: String,
    pub state: DisputeState,
    /// Opened by Haven (the not-received claim when no delivery scan came).
    pub automatic: bool,
    pub opened_at: Timestamp,
    pub seller_respond_by: Option<Timestamp>,
    pub counter_offer_minor: Option<i64>,
    pub seller_response: Option<String>,
    /// Scam categories the message scanner found in the description, and
    /// in the seller's latest response: shown to the other side as
    /// warnings, as in chat.
    #[serde(default)]
    pub description_warnings: Vec<String>,
    #[serde(default)]
    pub seller_response_warnings: Vec<String>,
    pub return_address: Option<Address>,
    pub return_ship_by: Option<Timestamp>,
    pub return_shipment: Option<Shipment>,
    pub return_delivered_at: Option<Timestamp>,
    pub return_check_by: Option<Timestamp>,
    pub escalated_at: Option<Timestamp>,
    pub escalation_reason: Option<String>,
    pub resolution: Option<Resolution>,
    pub closed_at: Option<Timestamp>,
    pub reopened_from: Option<DisputeId>,
    pub policy_version: PolicyVersion,
    pub version: i64,
}

/// The buyer's request when opening a dispute.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct OpenRequest {
    pub reason: DisputeReason,
    pub requested: RequestedOutcome,
    pub description: String,
}

pub const MAX_TEXT_CHARS: usize = 5_000;

#[derive(Debug, Clone, PartialEq, Eq)]
pub enum DisputeEvent {
    SellerAccept {
        return_address: Option<Address>,
    },
    SellerCounter {
        amount_minor: i64,
        message: String,
    },
    SellerReject {
        explanation: String,
    },
    BuyerAcceptCounter,
    BuyerDeclineCounter,
    BuyerEscalate,
    BuyerWithdraw {
        confirmed: bool,
    },
    ReturnShipped {
        carrier: String,
        tracking_number: String,
    },
    ReturnDelivered {
        at: Timestamp,
    },
    SellerConfirmReturn,
    SellerContestReturn {
        explanation: String,
    },
    AgentDecide {
        decision: Decision,
        reasons: String,
        counterfeit_confirmed: bool,
    },
    SellerResponseTimeout,
    AutoEscalate,
    ReturnWarning,
    ReturnShipByMissed,
    ReturnCheckTimeout,
    /// A chargeback took the money: the card network decides now.
    Supersede,
    /// The buyer confirmed receipt: the automatic not-received claim is moot.
    BuyerConfirmedReceipt,
    /// A delivery scan arrived during the automatic claim: an agent weighs it.
    DeliveryScan,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum DisputeEventKind {
    SellerAccept,
    SellerCounter,
    SellerReject,
    BuyerAcceptCounter,
    BuyerDeclineCounter,
    BuyerEscalate,
    BuyerWithdraw,
    ReturnShipped,
    ReturnDelivered,
    SellerConfirmReturn,
    SellerContestReturn,
    AgentDecide,
    SellerResponseTimeout,
    AutoEscalate,
    ReturnWarning,
    ReturnShipByMissed,
    ReturnCheckTimeout,
    Supersede,
    BuyerConfirmedReceipt,
    DeliveryScan,
}

impl DisputeEventKind {
    /// What the event does, as the end of "this dispute can't …".
    pub fn phrase(&self) -> &'static str {
        use DisputeEventKind as K;
        match self {
            K::SellerAccept => "be accepted",
            K::SellerCounter => "take a counter-offer",
            K::SellerReject => "be rejected",
            K::BuyerAcceptCounter | K::BuyerDeclineCounter => "have an offer answered",
            K::BuyerEscalate | K::AutoEscalate => "be sent to Haven",
            K::BuyerWithdraw => "be withdrawn",
            K::ReturnShipped => "take a return shipment",
            K::ReturnDelivered => "take a return delivery",
            K::SellerConfirmReturn | K::SellerContestReturn => "have its return checked",
            K::AgentDecide => "be decided",
            K::SellerResponseTimeout => "time out",
            K::ReturnWarning | K::ReturnShipByMissed | K::ReturnCheckTimeout => {
                "pass a return deadline"
            }
            K::Supersede => "be closed by a chargeback",
            K::BuyerConfirmedReceipt => "close on confirmed receipt",
            K::DeliveryScan => "take a delivery scan",
        }
    }
}

impl DisputeEvent {
    pub fn kind(&self) -> DisputeEventKind {
        use DisputeEventKind as K;
        match self {
            DisputeEvent::SellerAccept { .. } => K::SellerAccept,
            DisputeEvent::SellerCounter { .. } => K::SellerCounter,
            DisputeEvent::SellerReject { .. } => K::SellerReject,
            DisputeEvent::BuyerAcceptCounter => K::BuyerAcceptCounter,
            DisputeEvent::BuyerDeclineCounter => K::BuyerDeclineCounter,
            DisputeEvent::BuyerEscalate => K::BuyerEscalate,
            DisputeEvent::BuyerWithdraw { .. } => K::BuyerWithdraw,
            DisputeEvent::ReturnShipped { .. } => K::ReturnShipped,
            DisputeEvent::ReturnDelivered { .. } => K::ReturnDelivered,
            DisputeEvent::SellerConfirmReturn => K::SellerConfirmReturn,
            DisputeEvent::SellerContestReturn { .. } => K::SellerContestReturn,
            DisputeEvent::AgentDecide { .. } => K::AgentDecide,
            DisputeEvent::SellerResponseTimeout => K::SellerResponseTimeout,
            DisputeEvent::AutoEscalate => K::AutoEscalate,
            DisputeEvent::ReturnWarning => K::ReturnWarning,
            DisputeEvent::ReturnShipByMissed => K::ReturnShipByMissed,
            DisputeEvent::ReturnCheckTimeout => K::ReturnCheckTimeout,
            DisputeEvent::Supersede => K::Supersede,
            DisputeEvent::BuyerConfirmedReceipt => K::BuyerConfirmedReceipt,
            DisputeEvent::DeliveryScan => K::DeliveryScan,
        }
    }
}

impl DisputeEventKind {
    /// The only party that may cause this event.
    pub fn party(&self) -> Party {
        use DisputeEventKind as K;
        match self {
            K::SellerAccept
            | K::SellerCounter
            | K::SellerReject
            | K::SellerConfirmReturn
            | K::SellerContestReturn => Party::Seller,
            K::BuyerAcceptCounter
            | K::BuyerDeclineCounter
            | K::BuyerEscalate
            | K::BuyerWithdraw
            | K::ReturnShipped
            | K::BuyerConfirmedReceipt => Party::Buyer,
            K::AgentDecide => Party::Agent,
            K::SellerResponseTimeout
            | K::AutoEscalate
            | K::ReturnWarning
            | K::ReturnShipByMissed
            | K::ReturnCheckTimeout
            | K::ReturnDelivered
            | K::Supersede
            | K::DeliveryScan => Party::System,
        }
    }
}

use DisputeEventKind as K;
use DisputeState as D;

/// Every legal dispute transition. Anything not listed is refused.
pub const DISPUTE_TRANSITIONS: &[(DisputeState, DisputeEventKind, DisputeState)] = &[
    (D::AwaitingSeller, K::SellerAccept, D::Resolved),
    (D::AwaitingSeller, K::SellerAccept, D::AwaitingReturn),
    (D::AwaitingSeller, K::SellerCounter, D::CounterOffered),
    (D::AwaitingSeller, K::SellerReject, D::Unresolved),
    (D::AwaitingSeller, K::SellerReject, D::Escalated),
    (D::AwaitingSeller, K::SellerResponseTimeout, D::Resolved),
    (
        D::AwaitingSeller,
        K::SellerResponseTimeout,
        D::AwaitingReturn,
    ),
    (D::AwaitingSeller, K::BuyerEscalate, D::Escalated),
    (D::AwaitingSeller, K::AutoEscalate, D::Escalated),
    (D::AwaitingSeller, K::BuyerWithdraw, D::Withdrawn),
    (D::AwaitingSeller, K::BuyerConfirmedReceipt, D::Resolved),
    (D::AwaitingSeller, K::DeliveryScan, D::Escalated),
    (D::CounterOffered, K::BuyerAcceptCounter, D::Resolved),
    (D::CounterOffered, K::BuyerDeclineCounter, D::Unresolved),
    (D::CounterOffered, K::BuyerEscalate, D::Escalated),
    (D::CounterOffered, K::AutoEscalate, D::Escalated),
    (D::CounterOffered, K::BuyerWithdraw, D::Withdrawn),
    (D::Unresolved, K::SellerAccept, D::Resolved),
    (D::Unresolved, K::SellerAccept, D::AwaitingReturn),
    (D::Unresolved, K::BuyerEscalate, D::Escalated),
    (D::Unresolved, K::AutoEscalate, D::Escalated),
    (D::Unresolved, K::BuyerWithdraw, D::Withdrawn),
    (D::AwaitingReturn, K::ReturnShipped, D::ReturnShipped),
    (D::AwaitingReturn, K::ReturnWarning, D::AwaitingReturn),
    (D::AwaitingReturn, K::ReturnShipByMissed, D::Lapsed),
    (D::AwaitingReturn, K::BuyerEscalate, D::Escalated),
    (D::AwaitingReturn, K::BuyerWithdraw, D::Withdrawn),
    (D::ReturnShipped, K::ReturnDelivered, D::ReturnDelivered),
    (D::ReturnShipped, K::SellerConfirmReturn, D::Resolved),
    (D::ReturnShipped, K::BuyerEscalate, D::Escalated),
    (D::ReturnDelivered, K::SellerConfirmReturn, D::Resolved),
    (D::ReturnDelivered, K::SellerContestReturn, D::Escalated),
    (D::ReturnDelivered, K::ReturnCheckTimeout, D::Resolved),
    (D::ReturnDelivered, K::BuyerEscalate, D::Escalated),
    (D::Escalated, K::AgentDecide, D::Resolved),
    (D::Escalated, K::BuyerWithdraw, D::Withdrawn),
    (D::Escalated, K::BuyerConfirmedReceipt, D::Resolved),
    (D::AwaitingSeller, K::Supersede, D::Superseded),
    (D::CounterOffered, K::Supersede, D::Superseded),
    (D::Unresolved, K::Supersede, D::Superseded),
    (D::AwaitingReturn, K::Supersede, D::Superseded),
    (D::ReturnShipped, K::Supersede, D::Superseded),
    (D::ReturnDelivered, K::Supersede, D::Superseded),
    (D::Escalated, K::Supersede, D::Superseded),
];

fn is_listed(from: DisputeState, kind: DisputeEventKind, to: DisputeState) -> bool {
    DISPUTE_TRANSITIONS.contains(&(from, kind, to))
}

fn any_listed(from: DisputeState, kind: DisputeEventKind) -> bool {
    DISPUTE_TRANSITIONS
        .iter()
        .any(|(f, k, _)| *f == from && *k == kind)
}

#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum DisputeError {
    #[error("this dispute is {}, so it can't {} now", .from.label(), .event.phrase())]
    NotAllowed {
        from: DisputeState,
        event: DisputeEventKind,
    },
    #[error("only the {0} can do this")]
    WrongParty(&'static str),
    #[error("disputes can be opened once the order has shipped")]
    NotShipped,
    #[error("the buyer protection window for this order has ended")]
    WindowEnded,
    #[error("this order already has an open dispute")]
    AlreadyOpen,
    #[error("a partial refund must be between 0.01 and the {max_minor} held for the order")]
    BadAmount { max_minor: i64 },
    #[error("text must be at most 5000 characters")]
    TextTooLong,
    #[error("text must not contain control characters")]
    ControlCharacters,
    #[error("an explanation is required")]
    ExplanationRequired,
    #[error("a return needs the seller's return address")]
    ReturnAddressRequired,
    #[error("you can escalate from {available_at}")]
    EscalationTooEarly { available_at: Timestamp },
    #[error("withdrawing needs an explicit confirmation")]
    WithdrawConfirmationRequired,
    #[error("only a withdrawn dispute can be reopened")]
    NotWithdrawn,
    #[error(
        "the automatic not-received claim cannot be withdrawn; confirm receipt if the item arrived"
    )]
    AutomaticClaim,
}

/// What the caller must do besides storing the new dispute.
#[derive(Debug, Clone, Default)]
pub struct DisputeEffects {
    /// Refund this much and release the rest: closes the order.
    pub settle_refund_minor: Option<i64>,
    /// The dispute closed without money moving: resume the order's window.
    pub resume_order: bool,
    pub schedule: Vec<TimerRequest>,
    pub unschedule: Vec<TimerKind>,
    pub events: Vec<DomainEvent>,
    /// Record a strike against the seller's store, with this reason.
    pub strike: Option<String>,
    /// A line for the evidence log describing the change.
    pub log: serde_json::Value,
}

#[derive(Debug, Clone)]
pub struct DisputeTransition {
    pub dispute: Dispute,
    pub effects: DisputeEffects,
}

/// Facts about the order a dispute decision needs.
#[derive(Debug, Clone, Copy)]
pub struct OrderFacts {
    /// What escrow holds: the most any refund can be.
    pub held_minor: i64,
    pub guaranteed_genuine: bool,
}

impl OrderFacts {
    pub fn of(order: &Order) -> OrderFacts {
        OrderFacts {
            held_minor: order.escrow_minor(),
            guaranteed_genuine: order.guaranteed_genuine,
        }
    }
}

fn after_days(at: Timestamp, days: i64) -> Timestamp {
    at.checked_add(SignedDuration::from_hours(days * 24))
        .expect("deadline within range")
}

fn check_text(text: &str) -> Result<(), DisputeError> {
    if text.chars().count() > MAX_TEXT_CHARS {
        return Err(DisputeError::TextTooLong);
    }
    crate::text::optional_block("text", text, MAX_TEXT_CHARS)
        .map(|_| ())
        .map_err(|_| DisputeError::ControlCharacters)
}

impl Dispute {
    /// A buyer opens a dispute, under the policy the order was sold with.
    /// The order re-checks the window when `DisputeOpened` is applied to it.
    pub fn open(
        order: &Order,
        request: OpenRequest,
        policy: &Policy,
        now: Timestamp,
    ) -> Result<Dispute, DisputeError> {
        if !matches!(order.state, OrderState::Shipped | OrderState::Delivered) {
            return Err(if order.state.is_closed() {
                DisputeError::WindowEnded
            } else {
                DisputeError::NotShipped
            });
        }
        if order.open_dispute.is_some() {
            return Err(DisputeError::AlreadyOpen);
        }
        if !order.window_open_at(now) {
            return Err(DisputeError::WindowEnded);
        }
        check_text(&request.description)?;
        if let RequestedOutcome::PartialRefund { amount_minor } = request.requested {
            let max_minor = order.escrow_minor();
            if amount_minor <= 0 || amount_minor > max_minor {
                return Err(DisputeError::BadAmount { max_minor });
            }
        }
        Ok(Dispute::new(order, request, false, policy, now))
    }

    /// Haven's own not-received claim when the window ends without a scan.
    pub fn automatic_not_received(order: &Order, policy: &Policy, now: Timestamp) -> Dispute {
        let request = OpenRequest {
            reason: DisputeReason::NotReceived,
            requested: RequestedOutcome::FullRefund,
            description: "The protection window ended without a delivery scan from the carrier. Haven opened this claim \
                          for the buyer: the buyer is refunded unless the seller proves delivery."
                .into(),
        };
        Dispute::new(order, request, true, policy, now)
    }

    fn new(
        order: &Order,
        request: OpenRequest,
        automatic: bool,
        policy: &Policy,
        now: Timestamp,
    ) -> Dispute {
        let respond_days = if automatic {
            policy.no_scan_proof_days
        } else {
            policy.dispute_seller_response_days
        };
        Dispute {
            id: DisputeId::new(),
            order_id: order.id,
            buyer_id: order.buyer_id,
            store_id: order.store_id,
            reason: request.reason,
            requested: request.requested,
            description: request.description,
            state: DisputeState::AwaitingSeller,
            automatic,
            opened_at: now,
            seller_respond_by: Some(after_days(now, respond_days)),
            counter_offer_minor: None,
            seller_response: None,
            description_warnings: Vec::new(),
            seller_response_warnings: Vec::new(),
            return_address: None,
            return_ship_by: None,
            return_shipment: None,
            return_delivered_at: None,
            return_check_by: None,
            escalated_at: None,
            escalation_reason: None,
            resolution: None,
            closed_at: None,
            reopened_from: None,
            policy_version: order.policy_version,
            version: 0,
        }
    }

    /// A withdrawn dispute, reopened as a new one while the window lasts.
    pub fn reopen(
        &self,
        order: &Order,
        policy: &Policy,
        now: Timestamp,
    ) -> Result<Dispute, DisputeError> {
        if self.state != DisputeState::Withdrawn {
            return Err(DisputeError::NotWithdrawn);
        }
        let request = OpenRequest {
            reason: self.reason,
            requested: self.requested,
            description: self.description.clone(),
        };
        let mut reopened = Dispute::open(order, request, policy, now)?;
        reopened.reopened_from = Some(self.id);
        Ok(reopened)
    }

    /// Deadlines armed when the dispute opens. The automatic claim does not
    /// auto-escalate: the seller's proof, if any, already goes to an agent.
    pub fn initial_deadlines(&self, policy: &Policy) -> Vec<TimerRequest> {
        let mut timers = Vec::new();
        if let Some(due_at) = self.seller_respond_by {
            timers.push(TimerRequest {
                kind: TimerKind::DisputeSellerResponse,
                due_at,
            });
        }
        if !self.automatic {
            timers.push(TimerRequest {
                kind: TimerKind::DisputeAutoEscalate,
                due_at: after_days(self.opened_at, policy.dispute_auto_escalate_days),
            });
        }
        timers
    }

    /// When the buyer may escalate.
    pub fn escalation_available_at(&self, policy: &Policy) -> Timestamp {
        after_days(self.opened_at, policy.dispute_buyer_escalate_after_days)
    }

    pub fn event(&self, topic: EventType) -> DomainEvent {
        DomainEvent {
            topic,
            payload: serde_json::json!({
                "dispute_id": self.id,
                "order_id": self.order_id,
                "state": self.state,
                "reason": self.reason,
                "buyer_id": self.buyer_id,
                "store_id": self.store_id,
            }),
        }
    }

    /// Apply one event by one party. Pure.
    pub fn apply(
        &self,
        event: DisputeEvent,
        by: Party,
        facts: OrderFacts,
        policy: &Policy,
        now: Timestamp,
    ) -> Result<DisputeTransition, DisputeError> {
        let kind = event.kind();
        if !any_listed(self.state, kind) {
            return Err(DisputeError::NotAllowed {
                from: self.state,
                event: kind,
            });
        }
        if kind.party() != by {
            return Err(DisputeError::WrongParty(kind.party().as_str()));
        }
        let mut next = self.clone();
        let mut fx = DisputeEffects::default();
        next.step(event, facts, policy, now, &mut fx)?;
        if !is_listed(self.state, kind, next.state) {
            return Err(DisputeError::NotAllowed {
                from: self.state,
                event: kind,
            });
        }
        fx.log = serde_json::json!({ "event": format!("{kind:?}"), "by": by, "from": self.state, "to": next.state });
        let mut event = next.event(match next.state {
            DisputeState::Escalated if self.state != DisputeState::Escalated => {
                EventType::DisputeEscalated
            }
            s if !s.is_open() => EventType::DisputeResolved,
            _ => EventType::DisputeUpdated,
        });
        // Which step it was, so each party is told what happened in words.
        event.payload["step"] = format!("{kind:?}").into();
        fx.events.push(event);
        Ok(DisputeTransition {
            dispute: next,
            effects: fx,
        })
    }

    fn step(
        &mut self,
        event: DisputeEvent,
        facts: OrderFacts,
        policy: &Policy,
        now: Timestamp,
        fx: &mut DisputeEffects,
    ) -> Result<(), DisputeError> {
        match event {
            DisputeEvent::SellerAccept { return_address } => {
                self.on_seller_accept(return_address, facts, policy, now, fx)
            }
            DisputeEvent::SellerCounter {
                amount_minor,
                message,
            } => {
                check_text(&message)?;
                if amount_minor <= 0 || amount_minor > facts.held_minor {
                    return Err(DisputeError::BadAmount {
                        max_minor: facts.held_minor,
                    });
                }
                self.counter_offer_minor = Some(amount_minor);
                self.seller_response = Some(message);
                self.seller_response_warnings.clear();
                self.state = DisputeState::CounterOffered;
                fx.unschedule.push(TimerKind::DisputeSellerResponse);
                Ok(())
            }
            DisputeEvent::SellerReject { explanation } => {
                self.require_explanation(&explanation)?;
                self.seller_response = Some(explanation);
                self.seller_response_warnings.clear();
                fx.unschedule.push(TimerKind::DisputeSellerResponse);
                if self.automatic {
                    // The seller's proof of delivery goes to an agent.
                    self.escalate("seller submitted proof of delivery", now, fx);
                } else {
                    self.state = DisputeState::Unresolved;
                }
                Ok(())
            }
            DisputeEvent::BuyerAcceptCounter => {
                let amount = self.counter_offer_minor.unwrap_or(0).min(facts.held_minor);
                self.resolve(
                    Decision::PartialRefund {
                        amount_minor: amount,
                    },
                    amount,
                    Party::Buyer,
                    "buyer accepted the seller's offer",
                    now,
                    fx,
                );
                Ok(())
            }
            DisputeEvent::BuyerDeclineCounter => {
                self.state = DisputeState::Unresolved;
                Ok(())
            }
            DisputeEvent::BuyerEscalate => {
                let available_at = self.escalation_available_at(policy);
                if now < available_at {
                    return Err(DisputeError::EscalationTooEarly { available_at });
                }
                self.escalate("the buyer asked Haven to step in", now, fx);
                Ok(())
            }
            DisputeEvent::AutoEscalate => {
                self.escalate(
                    "still unresolved at the automatic escalation deadline",
                    now,
                    fx,
                );
                Ok(())
            }
            DisputeEvent::BuyerWithdraw { confirmed } => {
                if self.automatic {
                    return Err(DisputeError::AutomaticClaim);
                }
                if !confirmed {
                    return Err(DisputeError::WithdrawConfirmationRequired);
                }
                self.close(DisputeState::Withdrawn, now, fx);
                fx.resume_order = true;
                Ok(())
            }
            event => self.step_return_and_system(event, facts, policy, now, fx),
        }
    }

    fn step_return_and_system(
        &mut self,
        event: DisputeEvent,
        facts: OrderFacts,
        policy: &Policy,
        now: Timestamp,
        fx: &mut DisputeEffects,
    ) -> Result<(), DisputeError> {
        match event {
            DisputeEvent::ReturnShipped {
                carrier,
                tracking_number,
            } => {
                self.return_shipment = Some(Shipment {
                    carrier,
                    tracking_number,
                    shipped_at: now,
                });
                self.state = DisputeState::ReturnShipped;
                fx.unschedule
                    .extend([TimerKind::ReturnWarning, TimerKind::ReturnShipBy]);
            }
            DisputeEvent::ReturnDelivered { at } => {
                self.return_delivered_at = Some(at);
                let check_by = after_days(now, policy.return_check_days);
                self.return_check_by = Some(check_by);
                self.state = DisputeState::ReturnDelivered;
                fx.schedule.push(TimerRequest {
                    kind: TimerKind::ReturnCheck,
                    due_at: check_by,
                });
            }
            DisputeEvent::SellerConfirmReturn | DisputeEvent::ReturnCheckTimeout => {
                let why = if event == DisputeEvent::SellerConfirmReturn {
                    "seller confirmed the return"
                } else {
                    "seller did not check the return in time"
                };
                self.resolve(
                    Decision::FullRefund,
                    facts.held_minor,
                    Party::Seller,
                    why,
                    now,
                    fx,
                );
            }
            DisputeEvent::SellerContestReturn { explanation } => {
                self.require_explanation(&explanation)?;
                self.seller_response = Some(explanation);
                self.seller_response_warnings.clear();
                self.escalate("the seller contested the returned item", now, fx);
            }
            DisputeEvent::AgentDecide {
                decision,
                reasons,
                counterfeit_confirmed,
            } => {
                self.on_agent_decision(decision, reasons, counterfeit_confirmed, facts, now, fx)?;
            }
            DisputeEvent::SellerResponseTimeout => self.on_seller_silence(facts, policy, now, fx),
            DisputeEvent::ReturnWarning => {}
            DisputeEvent::ReturnShipByMissed => {
                // The buyer did not send the item back: no refund, and the
                // order continues where it was (its window resumes).
                self.close(DisputeState::Lapsed, now, fx);
                fx.resume_order = true;
            }
            DisputeEvent::Supersede => self.close(DisputeState::Superseded, now, fx),
            DisputeEvent::BuyerConfirmedReceipt => {
                self.resolution = Some(Resolution {
                    decision: Decision::NoRefund,
                    refund_minor: 0,
                    decided_by: Party::Buyer,
                    reasons: "the buyer confirmed receipt".into(),
                    counterfeit_confirmed: false,
                    at: now,
                });
                self.close(DisputeState::Resolved, now, fx);
            }
            DisputeEvent::DeliveryScan => {
                self.escalate("a delivery scan arrived after the window ended", now, fx)
            }
            other => {
                return Err(DisputeError::NotAllowed {
                    from: self.state,
                    event: other.kind(),
                });
            }
        }
        Ok(())
    }

    fn require_explanation(&self, text: &str) -> Result<(), DisputeError> {
        check_text(text)?;
        if text.trim().is_empty() {
            Err(DisputeError::ExplanationRequired)
        } else {
            Ok(())
        }
    }

    fn on_seller_accept(
        &mut self,
        return_address: Option<Address>,
        facts: OrderFacts,
        policy: &Policy,
        now: Timestamp,
        fx: &mut DisputeEffects,
    ) -> Result<(), DisputeError> {
        fx.unschedule.push(TimerKind::DisputeSellerResponse);
        match self.requested {
            RequestedOutcome::FullRefund => {
                self.resolve(
                    Decision::FullRefund,
                    facts.held_minor,
                    Party::Seller,
                    "seller accepted",
                    now,
                    fx,
                );
            }
            RequestedOutcome::PartialRefund { amount_minor } => {
                let amount = amount_minor.min(facts.held_minor);
                self.resolve(
                    Decision::PartialRefund {
                        amount_minor: amount,
                    },
                    amount,
                    Party::Seller,
                    "seller accepted",
                    now,
                    fx,
                );
            }
            RequestedOutcome::ReturnAndRefund => {
                let address = return_address.ok_or(DisputeError::ReturnAddressRequired)?;
                let address =
                    Address::parse(address).map_err(|_| DisputeError::ReturnAddressRequired)?;
                self.start_return(address, policy, now, fx);
            }
        }
        Ok(())
    }

    fn start_return(
        &mut self,
        address: Address,
        policy: &Policy,
        now: Timestamp,
        fx: &mut DisputeEffects,
    ) {
        self.return_address = Some(address);
        let ship_by = after_days(now, policy.return_ship_days);
        self.return_ship_by = Some(ship_by);
        self.state = DisputeState::AwaitingReturn;
        fx.schedule.push(TimerRequest {
            kind: TimerKind::ReturnWarning,
            due_at: after_days(now, policy.return_warning_days),
        });
        fx.schedule.push(TimerRequest {
            kind: TimerKind::ReturnShipBy,
            due_at: ship_by,
        });
    }

    /// Silence grants the request. A return with no address from the seller
    /// cannot happen, so the buyer is refunded and keeps the item.
    fn on_seller_silence(
        &mut self,
        facts: OrderFacts,
        _policy: &Policy,
        now: Timestamp,
        fx: &mut DisputeEffects,
    ) {
        let (decision, refund) = match self.requested {
            RequestedOutcome::PartialRefund { amount_minor } => {
                let amount = amount_minor.min(facts.held_minor);
                (
                    Decision::PartialRefund {
                        amount_minor: amount,
                    },
                    amount,
                )
            }
            RequestedOutcome::FullRefund | RequestedOutcome::ReturnAndRefund => {
                (Decision::FullRefund, facts.held_minor)
            }
        };
        let why = if self.automatic {
            "the seller did not prove delivery in time"
        } else {
            "the seller did not respond in time"
        };
        self.resolve(decision, refund, Party::System, why, now, fx);
    }

    fn on_agent_decision(
        &mut self,
        decision: Decision,
        reasons: String,
        counterfeit_confirmed: bool,
        facts: OrderFacts,
        now: Timestamp,
        fx: &mut DisputeEffects,
    ) -> Result<(), DisputeError> {
        self.require_explanation(&reasons)?;
        // A confirmed fake on a Guaranteed Genuine listing is always a full
        // refund, shipping included, whatever else was chosen.
        let decision = if counterfeit_confirmed && facts.guaranteed_genuine {
            Decision::FullRefund
        } else {
            decision
        };
        let refund = match decision {
            Decision::FullRefund => facts.held_minor,
            Decision::PartialRefund { amount_minor } => {
                if amount_minor <= 0 || amount_minor > facts.held_minor {
                    return Err(DisputeError::BadAmount {
                        max_minor: facts.held_minor,
                    });
                }
                amount_minor
            }
            Decision::NoRefund => 0,
        };
        if counterfeit_confirmed {
            fx.strike = Some(format!(
                "counterfeit confirmed by an agent on order {}",
                self.order_id
            ));
        }
        self.resolve(decision, refund, Party::Agent, &reasons, now, fx);
        if let Some(resolution) = &mut self.resolution {
            resolution.counterfeit_confirmed = counterfeit_confirmed;
        }
        Ok(())
    }

    fn escalate(&mut self, why: &str, now: Timestamp, fx: &mut DisputeEffects) {
        self.state = DisputeState::Escalated;
        self.escalated_at = Some(now);
        self.escalation_reason = Some(why.to_string());
        fx.unschedule.extend(TimerKind::DISPUTE);
    }

    fn resolve(
        &mut self,
        decision: Decision,
        refund_minor: i64,
        by: Party,
        reasons: &str,
        now: Timestamp,
        fx: &mut DisputeEffects,
    ) {
        self.resolution = Some(Resolution {
            decision,
            refund_minor,
            decided_by: by,
            reasons: reasons.to_string(),
            counterfeit_confirmed: false,
            at: now,
        });
        self.close(DisputeState::Resolved, now, fx);
        fx.settle_refund_minor = Some(refund_minor);
    }

    fn close(&mut self, state: DisputeState, now: Timestamp, fx: &mut DisputeEffects) {
        self.state = state;
        self.closed_at = Some(now);
        fx.unschedule.extend(TimerKind::DISPUTE);
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::ids::{ListingId, StoreId, UserId};
    use crate::money::{Currency, Money};
    use crate::order::{NewOrder, OrderEvent, PaymentInfo, ShippingChoice};

    fn t0() -> Timestamp {
        Timestamp::from_second(1_800_000_000).unwrap()
    }

    fn shipped_order(genuine: bool) -> Order {
        let policy = Policy::default();
        let new = NewOrder {
            buyer_id: UserId::new(),
            store_id: StoreId::new(),
            listing_id: ListingId::new(),
            listing_title: "Watch".into(),
            guaranteed_genuine: genuine,
            quantity: 1,
            unit_price: Money::new(10_000, Currency::USD),
            flash_deal: false,
            shipping: ShippingChoice {
                method: "Std".into(),
                cost: Money::new(1_000, Currency::USD),
                min_transit_days: 1,
                max_transit_days: 5,
                country: "US".into(),
            },
            address: Address {
                name: "A".into(),
                line1: "1".into(),
                line2: String::new(),
                city: "C".into(),
                postal_code: "1".into(),
                country: "US".into(),
            },
            ship_by_days: 2,
            more_items: Vec::new(),
            discounts: Vec::new(),
            bundle: None,
        };
        let (order, _) = Order::checkout(new, &policy, 1, t0()).unwrap();
        let payment = PaymentInfo {
            gateway: "testcard".into(),
            payment_ref: "p".into(),
            card_last4: "4242".into(),
        };
        let order = order
            .apply(
                OrderEvent::PaymentCaptured {
                    payment,
                    credit_minor: 0,
                },
                &policy,
                t0(),
            )
            .unwrap()
            .order;
        order
            .apply(
                OrderEvent::Ship {
                    carrier: "simpost".into(),
                    tracking_number: "X".into(),
                },
                &policy,
                t0(),
            )
            .unwrap()
            .order
    }

    fn open(order: &Order, reason: DisputeReason, requested: RequestedOutcome) -> Dispute {
        let request = OpenRequest {
            reason,
            requested,
            description: "broken".into(),
        };
        Dispute::open(order, request, &Policy::default(), t0()).unwrap()
    }

    fn days(n: i64) -> Timestamp {
        after_days(t0(), n)
    }

    #[test]
    fn seller_silence_grants_the_request() {
        let order = shipped_order(false);
        let dispute = open(
            &order,
            DisputeReason::Damaged,
            RequestedOutcome::PartialRefund {
                amount_minor: 2_500,
            },
        );
        assert_eq!(dispute.seller_respond_by, Some(days(5)));
        let t = dispute
            .apply(
                DisputeEvent::SellerResponseTimeout,
                Party::System,
                OrderFacts::of(&order),
                &Policy::default(),
                days(5),
            )
            .unwrap();
        assert_eq!(t.dispute.state, DisputeState::Resolved);
        assert_eq!(t.effects.settle_refund_minor, Some(2_500));
        // A return nobody gave an address for becomes a refund the buyer keeps.
        let dispute = open(
            &order,
            DisputeReason::WrongItem,
            RequestedOutcome::ReturnAndRefund,
        );
        let t = dispute
            .apply(
                DisputeEvent::SellerResponseTimeout,
                Party::System,
                OrderFacts::of(&order),
                &Policy::default(),
                days(5),
            )
            .unwrap();
        assert_eq!(t.effects.settle_refund_minor, Some(11_000));
    }

    #[test]
    fn counter_offer_declined_then_escalation_from_day_three() {
        let order = shipped_order(false);
        let policy = Policy::default();
        let facts = OrderFacts::of(&order);
        let dispute = open(
            &order,
            DisputeReason::NotAsDescribed,
            RequestedOutcome::FullRefund,
        );
        let err = dispute.apply(
            DisputeEvent::SellerCounter {
                amount_minor: 20_000,
                message: String::new(),
            },
            Party::Seller,
            facts,
            &policy,
            t0(),
        );
        assert!(matches!(
            err,
            Err(DisputeError::BadAmount { max_minor: 11_000 })
        ));
        assert!(matches!(
            dispute.apply(
                DisputeEvent::BuyerAcceptCounter,
                Party::Buyer,
                facts,
                &policy,
                t0()
            ),
            Err(DisputeError::NotAllowed { .. })
        ));
        let countered = dispute
            .apply(
                DisputeEvent::SellerCounter {
                    amount_minor: 3_000,
                    message: "30 off".into(),
                },
                Party::Seller,
                facts,
                &policy,
                t0(),
            )
            .unwrap()
            .dispute;
        assert!(matches!(
            countered.apply(
                DisputeEvent::BuyerDeclineCounter,
                Party::Seller,
                facts,
                &policy,
                t0()
            ),
            Err(DisputeError::WrongParty("buyer"))
        ));
        let declined = countered
            .apply(
                DisputeEvent::BuyerDeclineCounter,
                Party::Buyer,
                facts,
                &policy,
                t0(),
            )
            .unwrap()
            .dispute;
        assert_eq!(declined.state, DisputeState::Unresolved);
        let early = declined.apply(
            DisputeEvent::BuyerEscalate,
            Party::Buyer,
            facts,
            &policy,
            days(2),
        );
        assert!(matches!(
            early,
            Err(DisputeError::EscalationTooEarly { .. })
        ));
        let escalated = declined
            .apply(
                DisputeEvent::BuyerEscalate,
                Party::Buyer,
                facts,
                &policy,
                days(3),
            )
            .unwrap();
        assert_eq!(escalated.dispute.state, DisputeState::Escalated);
        assert_eq!(
            escalated.effects.events[0].topic,
            EventType::DisputeEscalated
        );
        let decided = escalated.dispute.apply(
            DisputeEvent::AgentDecide {
                decision: Decision::PartialRefund {
                    amount_minor: 6_000,
                },
                reasons: "photos show the scratch".into(),
                counterfeit_confirmed: false,
            },
            Party::Agent,
            facts,
            &policy,
            days(4),
        );
        assert_eq!(decided.unwrap().effects.settle_refund_minor, Some(6_000));
    }

    #[test]
    fn withdrawal_needs_confirmation_and_can_be_reopened() {
        let order = shipped_order(false);
        let policy = Policy::default();
        let facts = OrderFacts::of(&order);
        let dispute = open(
            &order,
            DisputeReason::NotReceived,
            RequestedOutcome::FullRefund,
        );
        let unconfirmed = dispute.apply(
            DisputeEvent::BuyerWithdraw { confirmed: false },
            Party::Buyer,
            facts,
            &policy,
            t0(),
        );
        assert!(matches!(
            unconfirmed,
            Err(DisputeError::WithdrawConfirmationRequired)
        ));
        let withdrawn = dispute
            .apply(
                DisputeEvent::BuyerWithdraw { confirmed: true },
                Party::Buyer,
                facts,
                &policy,
                t0(),
            )
            .unwrap();
        assert!(withdrawn.effects.resume_order);
        assert_eq!(withdrawn.effects.settle_refund_minor, None);
        let reopened = withdrawn.dispute.reopen(&order, &policy, days(1)).unwrap();
        assert_eq!(reopened.reopened_from, Some(dispute.id));
        assert_eq!(reopened.state, DisputeState::AwaitingSeller);
        assert!(matches!(
            dispute.reopen(&order, &policy, days(1)),
            Err(DisputeError::NotWithdrawn)
        ));
    }

    #[test]
    fn guaranteed_genuine_counterfeit_is_full_refund_and_a_strike() {
        let order = shipped_order(true);
        let policy = Policy::default();
        let facts = OrderFacts::of(&order);
        let dispute = open(
            &order,
            DisputeReason::Counterfeit,
            RequestedOutcome::PartialRefund {
                amount_minor: 1_000,
            },
        );
        let escalated = dispute
            .apply(
                DisputeEvent::AutoEscalate,
                Party::System,
                facts,
                &policy,
                days(15),
            )
            .unwrap()
            .dispute;
        let decide = |reasons: &str| DisputeEvent::AgentDecide {
            decision: Decision::NoRefund,
            reasons: reasons.into(),
            counterfeit_confirmed: true,
        };
        assert!(matches!(
            escalated.apply(decide(" "), Party::Agent, facts, &policy, days(16)),
            Err(DisputeError::ExplanationRequired)
        ));
        assert!(matches!(
            escalated.apply(decide("fake"), Party::Seller, facts, &policy, days(16)),
            Err(DisputeError::WrongParty("agent"))
        ));
        let t = escalated
            .apply(
                decide("serial number is fake"),
                Party::Agent,
                facts,
                &policy,
                days(16),
            )
            .unwrap();
        assert_eq!(
            t.effects.settle_refund_minor,
            Some(11_000),
            "shipping included"
        );
        assert!(t.effects.strike.is_some());
        assert!(t.dispute.resolution.unwrap().counterfeit_confirmed);
    }

    #[test]
    fn return_and_refund_flow() {
        let order = shipped_order(false);
        let policy = Policy::default();
        let facts = OrderFacts::of(&order);
        let dispute = open(
            &order,
            DisputeReason::WrongItem,
            RequestedOutcome::ReturnAndRefund,
        );
        let no_address = dispute.apply(
            DisputeEvent::SellerAccept {
                return_address: None,
            },
            Party::Seller,
            facts,
            &policy,
            t0(),
        );
        assert!(matches!(
            no_address,
            Err(DisputeError::ReturnAddressRequired)
        ));
        let address = Address {
            name: "Shop".into(),
            line1: "2 Dock".into(),
            line2: String::new(),
            city: "Port".into(),
            postal_code: "9".into(),
            country: "US".into(),
        };
        let accepted = dispute
            .apply(
                DisputeEvent::SellerAccept {
                    return_address: Some(address),
                },
                Party::Seller,
                facts,
                &policy,
                t0(),
            )
            .unwrap();
        assert_eq!(accepted.dispute.state, DisputeState::AwaitingReturn);
        assert!(
            accepted
                .effects
                .schedule
                .iter()
                .any(|t| t.kind == TimerKind::ReturnShipBy && t.due_at == days(10))
        );
        let lapsed = accepted
            .dispute
            .apply(
                DisputeEvent::ReturnShipByMissed,
                Party::System,
                facts,
                &policy,
                days(10),
            )
            .unwrap();
        assert_eq!(lapsed.dispute.state, DisputeState::Lapsed);
        assert!(lapsed.effects.resume_order);

        let shipped = accepted
            .dispute
            .apply(
                DisputeEvent::ReturnShipped {
                    carrier: "simpost".into(),
                    tracking_number: "R".into(),
                },
                Party::Buyer,
                facts,
                &policy,
                days(2),
            )
            .unwrap()
            .dispute;
        let delivered = shipped
            .apply(
                DisputeEvent::ReturnDelivered { at: days(4) },
                Party::System,
                facts,
                &policy,
                days(4),
            )
            .unwrap();
        assert_eq!(delivered.dispute.return_check_by, Some(days(9)));
        let contested = delivered
            .dispute
            .apply(
                DisputeEvent::SellerContestReturn {
                    explanation: "box was empty".into(),
                },
                Party::Seller,
                facts,
                &policy,
                days(5),
            )
            .unwrap();
        assert_eq!(contested.dispute.state, DisputeState::Escalated);
        let silent = delivered
            .dispute
            .apply(
                DisputeEvent::ReturnCheckTimeout,
                Party::System,
                facts,
                &policy,
                days(9),
            )
            .unwrap();
        assert_eq!(silent.effects.settle_refund_minor, Some(11_000));
    }

    #[test]
    fn automatic_claim_goes_to_an_agent_on_proof_and_cannot_be_withdrawn() {
        let order = shipped_order(false);
        let policy = Policy::default();
        let facts = OrderFacts::of(&order);
        let claim = Dispute::automatic_not_received(&order, &policy, t0());
        assert_eq!(claim.seller_respond_by, Some(days(5)));
        assert!(
            claim
                .initial_deadlines(&policy)
                .iter()
                .all(|t| t.kind != TimerKind::DisputeAutoEscalate)
        );
        assert!(matches!(
            claim.apply(
                DisputeEvent::BuyerWithdraw { confirmed: true },
                Party::Buyer,
                facts,
                &policy,
                t0()
            ),
            Err(DisputeError::AutomaticClaim)
        ));
        let proof = claim
            .apply(
                DisputeEvent::SellerReject {
                    explanation: "signed POD attached".into(),
                },
                Party::Seller,
                facts,
                &policy,
                t0(),
            )
            .unwrap();
        assert_eq!(proof.dispute.state, DisputeState::Escalated);
        let silence = claim
            .apply(
                DisputeEvent::SellerResponseTimeout,
                Party::System,
                facts,
                &policy,
                days(5),
            )
            .unwrap();
        assert_eq!(silence.effects.settle_refund_minor, Some(11_000));
    }

    #[test]
    fn disputes_need_a_shipped_order_in_its_window() {
        let policy = Policy::default();
        let order = shipped_order(false);
        let request = || OpenRequest {
            reason: DisputeReason::Damaged,
            requested: RequestedOutcome::FullRefund,
            description: String::new(),
        };
        let too_late = order.protection_ends_at.unwrap();
        assert!(matches!(
            Dispute::open(&order, request(), &policy, too_late),
            Err(DisputeError::WindowEnded)
        ));
        let long = OpenRequest {
            description: "x".repeat(5_001),
            ..request()
        };
        assert!(matches!(
            Dispute::open(&order, long, &policy, t0()),
            Err(DisputeError::TextTooLong)
        ));
        let bad = OpenRequest {
            requested: RequestedOutcome::PartialRefund { amount_minor: 0 },
            ..request()
        };
        assert!(matches!(
            Dispute::open(&order, bad, &policy, t0()),
            Err(DisputeError::BadAmount { .. })
        ));
    }
}
