//! The order lifecycle: one explicit state machine whose legal transitions
//! are listed in [`TRANSITIONS`]. [`Order::apply`] is pure: it returns the new
//! order plus the effects (ledger entries, timers, outbox events, a dispute
//! to open) that the caller must write in the same database transaction.
//!
//! Disputes are an overlay: while one is open the order keeps its state, its
//! escrow is frozen and its protection window is paused. The dispute's own
//! state machine lives in [`crate::dispute`].

use jiff::{SignedDuration, Timestamp};
use serde::{Deserialize, Serialize};

use crate::dispute::Dispute;
use crate::events::EventType;
use crate::ids::{DisputeId, ListingId, OrderId, StoreId, UserId};
use crate::ledger::{Account, Entry, EntryError, EntryHeader, EntryKind, Posting};
use crate::money::{Money, MoneyError};
use crate::policy::{Policy, PolicyVersion};
use crate::timer::{TimerKind, TimerRequest};

#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum OrderState {
    PendingPayment,
    Paid,
    Shipped,
    Delivered,
    Completed,
    Cancelled,
    Refunded,
    PartiallyRefunded,
}

/// An order's short number, as people quote it: "#" and the last eight
/// hex digits of its id, upper case ("#1A2B3C4D").
pub fn short_number(id: &str) -> String {
    let hex = id.replace('-', "");
    format!("#{}", crate::text::last_chars(&hex, 8).to_ascii_uppercase())
}

/// `raw` read as a short number ("#1a2b3c4d", "1A2B3C4D"): the eight hex
/// digits in lower case, as they end the id.
pub fn parse_short_number(raw: &str) -> Option<String> {
    let digits = raw.trim().trim_start_matches('#');
    (digits.len() == 8 && digits.chars().all(|c| c.is_ascii_hexdigit()))
        .then(|| digits.to_ascii_lowercase())
}

/// The steps of an order on its way, as the buyer's tracker shows them.
pub const TRACKER_STEPS: [&str; 4] = ["Paid", "Shipped", "Delivered", "Completed"];

impl OrderState {
    pub const ALL: [OrderState; 8] = [
        OrderState::PendingPayment,
        OrderState::Paid,
        OrderState::Shipped,
        OrderState::Delivered,
        OrderState::Completed,
        OrderState::Cancelled,
        OrderState::Refunded,
        OrderState::PartiallyRefunded,
    ];

    /// How many steps of the buyer's tracker ([`TRACKER_STEPS`]) are done;
    /// `None` once the order left the track (cancelled or refunded).
    pub fn tracker_steps_done(self) -> Option<usize> {
        match self {
            OrderState::PendingPayment => Some(0),
            OrderState::Paid => Some(1),
            OrderState::Shipped => Some(2),
            OrderState::Delivered => Some(3),
            OrderState::Completed => Some(4),
            OrderState::Cancelled | OrderState::Refunded | OrderState::PartiallyRefunded => None,
        }
    }

    /// Closed orders hold no money in escrow.
    pub fn is_closed(&self) -> bool {
        matches!(
            self,
            OrderState::Completed
                | OrderState::Cancelled
                | OrderState::Refunded
                | OrderState::PartiallyRefunded
        )
    }

    pub fn as_str(&self) -> &'static str {
        match self {
            OrderState::PendingPayment => "pending_payment",
            OrderState::Paid => "paid",
            OrderState::Shipped => "shipped",
            OrderState::Delivered => "delivered",
            OrderState::Completed => "completed",
            OrderState::Cancelled => "cancelled",
            OrderState::Refunded => "refunded",
            OrderState::PartiallyRefunded => "partially_refunded",
        }
    }

    pub fn parse(raw: &str) -> Option<Self> {
        OrderState::ALL.into_iter().find(|s| s.as_str() == raw)
    }

    /// The state in words, for sentences people read.
    pub fn label(&self) -> &'static str {
        match self {
            OrderState::PendingPayment => "waiting for payment",
            OrderState::Paid => "paid and waiting to ship",
            OrderState::Shipped => "on its way",
            OrderState::Delivered => "delivered",
            OrderState::Completed => "completed",
            OrderState::Cancelled => "cancelled",
            OrderState::Refunded => "refunded",
            OrderState::PartiallyRefunded => "partially refunded",
        }
    }
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum TrackingStatus {
    InTransit,
    OutForDelivery,
    Delivered,
    Exception,
}

impl TrackingStatus {
    pub fn as_str(&self) -> &'static str {
        match self {
            TrackingStatus::InTransit => "in_transit",
            TrackingStatus::OutForDelivery => "out_for_delivery",
            TrackingStatus::Delivered => "delivered",
            TrackingStatus::Exception => "exception",
        }
    }
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Address {
    pub name: String,
    pub line1: String,
    #[serde(default)]
    pub line2: String,
    pub city: String,
    pub postal_code: String,
    /// ISO 3166-1 alpha-2, upper case.
    pub country: String,
}

impl Address {
    /// Parse, don't validate: once built, an address is known to be sane.
    pub fn parse(raw: Address) -> Result<Address, crate::limits::InvalidField> {
        use crate::text::{line, optional_line};
        let address = Address {
            name: line("address.name", &raw.name, 200)?,
            line1: line("address.line1", &raw.line1, 200)?,
            line2: optional_line("address.line2", &raw.line2, 200)?,
            city: line("address.city", &raw.city, 200)?,
            postal_code: line("address.postal_code", &raw.postal_code, 32)?,
            country: line("address.country", &raw.country, 2)?.to_ascii_uppercase(),
        };
        if address.country.len() != 2 || !address.country.bytes().all(|b| b.is_ascii_uppercase()) {
            return Err(crate::limits::InvalidField::new(
                "address.country",
                "address.country must be a two-letter ISO 3166 code",
            ));
        }
        Ok(address)
    }
}

/// The shipping method the buyer chose, frozen into the order.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct ShippingChoice {
    pub method: String,
    pub cost: Money,
    pub min_transit_days: u32,
    pub max_transit_days: u32,
    pub country: String,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct PaymentInfo {
    pub gateway: String,
    pub payment_ref: String,
    pub card_last4: String,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Shipment {
    pub carrier: String,
    pub tracking_number: String,
    pub shipped_at: Timestamp,
}

/// The dispute currently open on the order, if any.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
pub struct OpenDispute {
    pub id: DisputeId,
    /// Opened by Haven itself (the automatic not-received claim).
    pub automatic: bool,
}

/// Why an order closed. Stored and shown by its snake_case name.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum CloseReason {
    /// The buyer never finished paying (the challenge was abandoned, or
    /// the gateway never confirmed the payment).
    PaymentNotCompleted,
    /// The card was declined.
    PaymentDeclined,
    BuyerConfirmed,
    AutoConfirmed,
    /// The seller accepted (or ignored) the buyer's cancellation request.
    CancelRequest,
    ShipByMissed,
    Chargeback,
    /// A dispute settled the money (by agreement, a decision or a return).
    DisputeResolved,
    DisputeLapsed,
    DisputeWithdrawn,
    DisputeSuperseded,
    /// An agent refused a payment held by fraud checks.
    RiskRefused,
}

impl CloseReason {
    pub fn as_str(self) -> &'static str {
        match self {
            CloseReason::PaymentNotCompleted => "payment_not_completed",
            CloseReason::PaymentDeclined => "payment_declined",
            CloseReason::BuyerConfirmed => "buyer_confirmed",
            CloseReason::AutoConfirmed => "auto_confirmed",
            CloseReason::CancelRequest => "cancel_request",
            CloseReason::ShipByMissed => "ship_by_missed",
            CloseReason::Chargeback => "chargeback",
            CloseReason::DisputeResolved => "dispute_resolved",
            CloseReason::DisputeLapsed => "dispute_lapsed",
            CloseReason::DisputeWithdrawn => "dispute_withdrawn",
            CloseReason::DisputeSuperseded => "dispute_superseded",
            CloseReason::RiskRefused => "risk_refused",
        }
    }

    /// Why the order closed, in words for its buyer and seller alike.
    pub fn explanation(self) -> &'static str {
        match self {
            CloseReason::PaymentNotCompleted => {
                "The payment was never completed, so nothing was charged."
            }
            CloseReason::PaymentDeclined => "The card was declined, so nothing was charged.",
            CloseReason::BuyerConfirmed => "The buyer confirmed that the item arrived.",
            CloseReason::AutoConfirmed => {
                "Buyer protection ended after the delivery scan with no dispute, so the order completed by itself."
            }
            CloseReason::CancelRequest => "Cancelled at the buyer's request, before shipment.",
            CloseReason::ShipByMissed => {
                "The seller did not ship by the ship-by date, so Haven cancelled the order."
            }
            CloseReason::Chargeback => {
                "The card holder's bank took the payment back (a chargeback)."
            }
            CloseReason::DisputeResolved => "A dispute settled the order.",
            CloseReason::DisputeLapsed => {
                "The return was not shipped in time, so the dispute closed and the seller was paid."
            }
            CloseReason::DisputeWithdrawn => {
                "The buyer withdrew the dispute, and the order completed."
            }
            CloseReason::DisputeSuperseded => "A later dispute replaced the first one.",
            CloseReason::RiskRefused => "Haven's payment check refused the payment.",
        }
    }

    /// The reason a dispute that ended in `state` gives the order it settles.
    pub fn after_dispute(state: crate::dispute::DisputeState) -> CloseReason {
        use crate::dispute::DisputeState as S;
        match state {
            S::Lapsed => CloseReason::DisputeLapsed,
            S::Withdrawn => CloseReason::DisputeWithdrawn,
            S::Superseded => CloseReason::DisputeSuperseded,
            _ => CloseReason::DisputeResolved,
        }
    }
}

impl std::fmt::Display for CloseReason {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(self.as_str())
    }
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct ChargebackRecord {
    pub at: Timestamp,
    pub amount_minor: i64,
    pub reason: String,
    /// What the platform absorbed because the money had already been released.
    pub platform_loss_minor: i64,
    /// What was recovered from the seller towards that loss.
    pub recovered_minor: i64,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Order {
    pub id: OrderId,
    pub buyer_id: UserId,
    pub store_id: StoreId,
    pub listing_id: ListingId,
    pub listing_title: String,
    #[serde(default)]
    pub guaranteed_genuine: bool,
    pub quantity: u32,
    pub unit_price: Money,
    /// Sold at a flash deal's price.
    #[serde(default)]
    pub flash_deal: bool,
    pub shipping: ShippingChoice,
    pub total: Money,
    /// How the total was paid: card plus buyer credit.
    #[serde(default)]
    pub paid_card_minor: i64,
    #[serde(default)]
    pub paid_credit_minor: i64,
    pub address: Address,
    pub state: OrderState,
    pub policy_version: PolicyVersion,
    pub created_at: Timestamp,
    pub ship_by_at: Timestamp,
    pub promised_delivery_at: Timestamp,
    pub paid_at: Option<Timestamp>,
    pub protection_ends_at: Option<Timestamp>,
    /// The window's clock is stopped while a dispute is open.
    #[serde(default)]
    pub window_paused_at: Option<Timestamp>,
    #[serde(default)]
    pub window_paused_total_s: i64,
    pub payment: Option<PaymentInfo>,
    pub shipment: Option<Shipment>,
    pub tracking_status: Option<TrackingStatus>,
    pub delivered_at: Option<Timestamp>,
    pub cancel_requested_at: Option<Timestamp>,
    /// Set when the window ended with no delivery scan (automatic not-received claim).
    pub not_received_claim_at: Option<Timestamp>,
    #[serde(default)]
    pub open_dispute: Option<OpenDispute>,
    pub closed_at: Option<Timestamp>,
    pub close_reason: Option<CloseReason>,
    pub released_minor: i64,
    pub commission_minor: i64,
    pub refunded_minor: i64,
    /// Of the refunds, how much went back to the card (the rest to credit).
    #[serde(default)]
    pub refunded_card_minor: i64,
    /// On-time guarantee credit paid to the buyer for this order.
    #[serde(default)]
    pub compensated_minor: i64,
    /// Of that credit, what was taken back when the order was refunded in
    /// full, and what the buyer had already spent by then.
    #[serde(default)]
    pub compensation_reversed_minor: i64,
    #[serde(default)]
    pub compensation_spent_minor: i64,
    #[serde(default)]
    pub chargeback: Option<ChargebackRecord>,
    /// The payment's risk assessment, and whether it waits for an agent.
    #[serde(default)]
    pub risk: Option<RiskNote>,
    /// Set by the app when the store's defect rate is above the limit: a
    /// release goes to the seller's reserve for this many days.
    #[serde(default)]
    pub reserve_hold_days: Option<i64>,
    /// Of the seller's share, what waits in reserve.
    #[serde(default)]
    pub reserve_held_minor: i64,
    /// Disputes and non-delivery claims ever opened on the order (the
    /// store's dispute rate counts orders with one).
    #[serde(default)]
    pub disputes_opened: u32,
    /// The store's metrics and the protection terms as the buyer saw them
    /// at checkout (the signed protection certificate's content).
    #[serde(default)]
    pub trust_snapshot: Option<crate::reputation::TrustSnapshot>,
    /// The order's other items, after the first (a cart's items from one
    /// store are one order and ship together).
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub more_items: Vec<OrderItem>,
    /// The other orders the same payment paid (one cart checkout is one
    /// capture split into an order per store): they are paid, or cancelled,
    /// together.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub paid_with: Vec<OrderId>,
    /// Which flash deal the first item was sold at (its start).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub flash_deal_started_at: Option<Timestamp>,
    /// Bought from the buyer's cart: its lines leave the cart when paid.
    #[serde(default, skip_serializing_if = "std::ops::Not::not")]
    pub from_cart: bool,
    /// Coupons taken off the items (already out of `total`).
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub discounts: Vec<crate::coupon::OrderDiscount>,
    /// A bundle deal the order's items made (seller-funded, already out of
    /// `total`).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub bundle: Option<crate::bundle::BundleDiscount>,
    /// Rewards the buyer earned on this order (1 % of what it kept), and
    /// of those, what a later refund took back or found already spent.
    #[serde(default)]
    pub rewards_earned_minor: i64,
    #[serde(default)]
    pub rewards_reversed_minor: i64,
    #[serde(default)]
    pub rewards_spent_minor: i64,
    /// The platform-funded part of the discounts, paid to the seller from
    /// the platform's promotions account with the release.
    #[serde(default)]
    pub promotion_paid_minor: i64,
    /// Optimistic-concurrency version; the store bumps it on every write.
    pub version: i64,
}

/// One listing in an order, at the price it was bought for.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct OrderItem {
    pub listing_id: ListingId,
    pub listing_title: String,
    #[serde(default)]
    pub guaranteed_genuine: bool,
    pub quantity: u32,
    pub unit_price: Money,
    #[serde(default)]
    pub flash_deal: bool,
    /// When the flash deal it was sold at started (which deal it was).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub deal_started_at: Option<Timestamp>,
}

impl OrderItem {
    pub fn line_total(&self) -> Result<Money, MoneyError> {
        self.unit_price.checked_mul(i64::from(self.quantity))
    }
}

/// What checkout knows when it creates an order.
#[derive(Debug, Clone)]
pub struct NewOrder {
    pub buyer_id: UserId,
    pub store_id: StoreId,
    pub listing_id: ListingId,
    pub listing_title: String,
    pub guaranteed_genuine: bool,
    pub quantity: u32,
    pub unit_price: Money,
    /// Sold at a flash deal's price: its units are taken with the stock.
    pub flash_deal: bool,
    pub shipping: ShippingChoice,
    pub address: Address,
    pub ship_by_days: u32,
    /// Items after the first, from the same store (a cart).
    pub more_items: Vec<OrderItem>,
    /// Coupons applied (validated by the caller; at most what the items cost).
    pub discounts: Vec<crate::coupon::OrderDiscount>,
    pub bundle: Option<crate::bundle::BundleDiscount>,
}

pub const MAX_QUANTITY: u32 = 1_000;

/// Rewards: a buyer earns this share of what a completed order kept (one
/// point is one minor unit of credit).
pub const REWARD_BPS: u32 = 100;

/// Balances a chargeback on a released order can recover from.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub struct SellerFunds {
    pub available_minor: i64,
    pub reserve_minor: i64,
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub enum OrderEvent {
    /// Payment completed: `credit_minor` of the total comes from the buyer's
    /// credit, the rest from the card.
    PaymentCaptured {
        payment: PaymentInfo,
        credit_minor: i64,
    },
    PaymentFailed,
    PaymentExpired,
    Ship {
        carrier: String,
        tracking_number: String,
    },
    RequestCancel,
    AcceptCancel,
    DeclineCancel,
    CancelRequestTimedOut,
    ShipByMissed,
    Tracking {
        status: TrackingStatus,
        at: Timestamp,
    },
    Delivered {
        at: Timestamp,
    },
    /// `second_confirmation` must be true when there is no delivery scan yet.
    ConfirmReceipt {
        second_confirmation: bool,
    },
    ProtectionWindowEnded,
    /// The promised date arrived: compensate if not delivered.
    GuaranteeDue,
    /// A buyer opened a dispute: freeze escrow, pause the window.
    DisputeOpened {
        dispute_id: DisputeId,
    },
    /// The dispute closed without settling money: resume the window.
    DisputeEnded,
    /// A dispute settled: refund this much (to card first), release the rest.
    Settle {
        refund_minor: i64,
        reason: CloseReason,
    },
    /// The card network took money back.
    Chargeback {
        amount_minor: i64,
        reason: String,
        seller: SellerFunds,
    },
    /// An agent released an order held by fraud checks.
    RiskApproved,
    /// An agent refused it: everything goes back to the buyer.
    RiskRefused,
    /// The reserve hold ended: what is still in the seller's reserve
    /// (`reserve_balance_minor`, read now) becomes available, up to what
    /// this order put there.
    ReserveReleased {
        reserve_balance_minor: i64,
    },
}

/// Event names used in the transition table.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum EventKind {
    PaymentCaptured,
    PaymentFailed,
    PaymentExpired,
    Ship,
    RequestCancel,
    AcceptCancel,
    DeclineCancel,
    CancelRequestTimedOut,
    ShipByMissed,
    Tracking,
    Delivered,
    ConfirmReceipt,
    ProtectionWindowEnded,
    GuaranteeDue,
    DisputeOpened,
    DisputeEnded,
    Settle,
    Chargeback,
    RiskApproved,
    RiskRefused,
    ReserveReleased,
}

impl EventKind {
    /// What the event does, as the end of "this order can't …".
    pub fn phrase(&self) -> &'static str {
        match self {
            EventKind::PaymentCaptured => "be paid",
            EventKind::PaymentFailed | EventKind::PaymentExpired => "be cancelled for non-payment",
            EventKind::Ship => "be marked as shipped",
            EventKind::RequestCancel => "be cancelled",
            EventKind::AcceptCancel | EventKind::DeclineCancel => {
                "have its cancel request answered"
            }
            EventKind::CancelRequestTimedOut => "be cancelled automatically",
            EventKind::ShipByMissed => "be cancelled for shipping late",
            EventKind::Tracking | EventKind::Delivered => "take a tracking update",
            EventKind::ConfirmReceipt => "be confirmed as received",
            EventKind::ProtectionWindowEnded => "close its protection window",
            EventKind::GuaranteeDue => "earn the on-time credit",
            EventKind::DisputeOpened => "have a dispute opened",
            EventKind::DisputeEnded => "end a dispute",
            EventKind::Settle => "be settled",
            EventKind::Chargeback => "take a chargeback",
            EventKind::RiskApproved | EventKind::RiskRefused => "have its payment review decided",
            EventKind::ReserveReleased => "release its reserve",
        }
    }
}

impl OrderEvent {
    pub fn kind(&self) -> EventKind {
        match self {
            OrderEvent::PaymentCaptured { .. } => EventKind::PaymentCaptured,
            OrderEvent::PaymentFailed => EventKind::PaymentFailed,
            OrderEvent::PaymentExpired => EventKind::PaymentExpired,
            OrderEvent::Ship { .. } => EventKind::Ship,
            OrderEvent::RequestCancel => EventKind::RequestCancel,
            OrderEvent::AcceptCancel => EventKind::AcceptCancel,
            OrderEvent::DeclineCancel => EventKind::DeclineCancel,
            OrderEvent::CancelRequestTimedOut => EventKind::CancelRequestTimedOut,
            OrderEvent::ShipByMissed => EventKind::ShipByMissed,
            OrderEvent::Tracking { .. } => EventKind::Tracking,
            OrderEvent::Delivered { .. } => EventKind::Delivered,
            OrderEvent::ConfirmReceipt { .. } => EventKind::ConfirmReceipt,
            OrderEvent::ProtectionWindowEnded => EventKind::ProtectionWindowEnded,
            OrderEvent::GuaranteeDue => EventKind::GuaranteeDue,
            OrderEvent::DisputeOpened { .. } => EventKind::DisputeOpened,
            OrderEvent::DisputeEnded => EventKind::DisputeEnded,
            OrderEvent::Settle { .. } => EventKind::Settle,
            OrderEvent::Chargeback { .. } => EventKind::Chargeback,
            OrderEvent::RiskApproved => EventKind::RiskApproved,
            OrderEvent::RiskRefused => EventKind::RiskRefused,
            OrderEvent::ReserveReleased { .. } => EventKind::ReserveReleased,
        }
    }
}

use EventKind as E;
use OrderState as S;

/// Every legal transition, in one place. Anything not listed is refused.
/// Where one event has several rows (settling, chargebacks), the target
/// depends on the amounts and must be one of the listed rows.
pub const TRANSITIONS: &[(OrderState, EventKind, OrderState)] = &[
    (S::PendingPayment, E::PaymentCaptured, S::Paid),
    (S::PendingPayment, E::PaymentFailed, S::Cancelled),
    (S::PendingPayment, E::PaymentExpired, S::Cancelled),
    (S::Paid, E::Ship, S::Shipped),
    (S::Paid, E::RequestCancel, S::Paid),
    (S::Paid, E::DeclineCancel, S::Paid),
    (S::Paid, E::AcceptCancel, S::Cancelled),
    (S::Paid, E::CancelRequestTimedOut, S::Cancelled),
    (S::Paid, E::ShipByMissed, S::Cancelled),
    (S::Paid, E::GuaranteeDue, S::Paid),
    (S::Paid, E::RiskApproved, S::Paid),
    (S::Paid, E::RiskRefused, S::Cancelled),
    (S::Shipped, E::Tracking, S::Shipped),
    (S::Shipped, E::Delivered, S::Delivered),
    (S::Shipped, E::ConfirmReceipt, S::Completed),
    (S::Delivered, E::ConfirmReceipt, S::Completed),
    (S::Shipped, E::GuaranteeDue, S::Shipped),
    (S::Delivered, E::ProtectionWindowEnded, S::Completed),
    // No delivery scan when the window ends: never release; open a claim.
    (S::Shipped, E::ProtectionWindowEnded, S::Shipped),
    (S::Shipped, E::DisputeOpened, S::Shipped),
    (S::Delivered, E::DisputeOpened, S::Delivered),
    (S::Shipped, E::DisputeEnded, S::Shipped),
    (S::Delivered, E::DisputeEnded, S::Delivered),
    (S::Shipped, E::Settle, S::Refunded),
    (S::Shipped, E::Settle, S::PartiallyRefunded),
    (S::Shipped, E::Settle, S::Completed),
    (S::Delivered, E::Settle, S::Refunded),
    (S::Delivered, E::Settle, S::PartiallyRefunded),
    (S::Delivered, E::Settle, S::Completed),
    (S::Paid, E::Chargeback, S::Refunded),
    (S::Shipped, E::Chargeback, S::Refunded),
    (S::Delivered, E::Chargeback, S::Refunded),
    (S::Completed, E::Chargeback, S::Completed),
    (S::PartiallyRefunded, E::Chargeback, S::PartiallyRefunded),
    // Already refunded: recorded (and answered with evidence) but nothing
    // is left on the card to take back.
    (S::Refunded, E::Chargeback, S::Refunded),
    (S::Cancelled, E::Chargeback, S::Cancelled),
    // A reserve hold ends whatever happened since (a chargeback may have
    // taken some of it).
    (S::Completed, E::ReserveReleased, S::Completed),
    (
        S::PartiallyRefunded,
        E::ReserveReleased,
        S::PartiallyRefunded,
    ),
    (S::Refunded, E::ReserveReleased, S::Refunded),
];

/// The first listed target for (state, event).
pub fn next_state(from: OrderState, event: EventKind) -> Option<OrderState> {
    TRANSITIONS
        .iter()
        .find(|(f, e, _)| *f == from && *e == event)
        .map(|(_, _, to)| *to)
}

fn is_listed(from: OrderState, event: EventKind, to: OrderState) -> bool {
    TRANSITIONS.contains(&(from, event, to))
}

#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum TransitionError {
    #[error("this order is {}, so it can't {} now", .from.label(), .event.phrase())]
    NotAllowed { from: OrderState, event: EventKind },
    #[error("no delivery scan yet: confirming receipt needs an explicit second confirmation")]
    SecondConfirmationRequired,
    #[error("there is no pending cancel request")]
    NoCancelRequest,
    #[error("a cancel request is already pending")]
    CancelAlreadyRequested,
    #[error("the payment is held for a fraud review; wait for the decision before shipping")]
    HeldForReview,
    #[error("this order is not waiting for a payment review")]
    NotHeldForReview,
    #[error("the protection window has not ended yet")]
    WindowStillOpen,
    #[error("the protection window has ended")]
    WindowEnded,
    #[error("a dispute is open on this order")]
    DisputeOpen,
    #[error("no dispute is open on this order")]
    NoDisputeOpen,
    #[error("the order was delivered on time")]
    DeliveredOnTime,
    #[error("the on-time guarantee was already paid for this order")]
    AlreadyCompensated,
    #[error("a chargeback was already recorded for this order")]
    ChargebackRecorded,
    #[error("refund of {requested_minor} exceeds the {available_minor} held for this order")]
    RefundTooLarge {
        requested_minor: i64,
        available_minor: i64,
    },
    #[error(transparent)]
    Money(#[from] MoneyError),
    #[error(transparent)]
    Entry(#[from] EntryError),
}

/// What fraud checks made of an order's payment, as buyer, seller and
/// agent are shown it.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct RiskNote {
    /// 0-99.
    pub score: u8,
    /// `allow`, `request_verification` or `review`.
    pub decision: String,
    /// The reasons, in words a person understands.
    pub reasons: Vec<String>,
    /// The rule (name and version) that decided, if one did.
    pub rule: Option<String>,
    /// Set when the order was held for an agent.
    pub review: Option<ReviewStatus>,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum ReviewStatus {
    Pending,
    Approved,
    Refused,
}

/// A domain event for the outbox.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct DomainEvent {
    pub topic: crate::events::EventType,
    pub payload: serde_json::Value,
}

/// Everything a transition asks the store to write atomically with the order.
#[derive(Debug, Clone, Default)]
pub struct Effects {
    pub entries: Vec<Entry>,
    pub schedule: Vec<TimerRequest>,
    pub unschedule: Vec<TimerKind>,
    pub events: Vec<DomainEvent>,
    /// Put every item's units back on its listing's stock.
    pub restock: bool,
    /// A tracking number this order now owns (unique across orders).
    pub claim_tracking: Option<(String, String)>,
    /// A dispute Haven opens by itself (the automatic not-received claim).
    pub new_dispute: Option<Dispute>,
    /// A delivery scan arrived while a dispute is open: its record belongs
    /// in the evidence log, and an automatic claim goes to an agent.
    pub scan_during_dispute: bool,
    /// The open dispute this transition ended (the buyer confirmed receipt
    /// during an automatic claim, or a chargeback took over).
    pub close_dispute: Option<DisputeId>,
}

#[derive(Debug, Clone)]
pub struct Transition {
    pub order: Order,
    pub effects: Effects,
}

/// The idempotency-key suffix of a take-back entry (the guarantee's keeps
/// its historical name).
fn reversal_key(kind: EntryKind) -> &'static str {
    match kind {
        EntryKind::CompensationReversal => "guarantee_reversal",
        _ => "reward_reversal",
    }
}

fn days(n: i64) -> SignedDuration {
    SignedDuration::from_hours(n * 24)
}

fn add(at: Timestamp, by: SignedDuration) -> Timestamp {
    // Deadlines are at most years away; an overflow here would be a corrupt
    // policy, which Policy::validate already refuses.
    at.checked_add(by).expect("deadline within timestamp range")
}

/// A seller needs the buyer's address to ship and, for a while, to handle
/// a late return; after this many days from the order's close it is
/// hidden from them again.
pub const SELLER_ADDRESS_DAYS_AFTER_CLOSE: i64 = 90;

impl Order {
    /// Whether the seller may still see the shipping address at `now`.
    pub fn address_visible_to_seller(&self, now: Timestamp) -> bool {
        let Some(closed_at) = self.closed_at else {
            return true;
        };
        let hidden_from = closed_at
            .checked_add(SignedDuration::from_hours(
                24 * SELLER_ADDRESS_DAYS_AFTER_CLOSE,
            ))
            .unwrap_or(closed_at);
        now < hidden_from
    }

    /// Every item of the order, the first one included.
    pub fn items(&self) -> Vec<OrderItem> {
        let first = OrderItem {
            listing_id: self.listing_id,
            listing_title: self.listing_title.clone(),
            guaranteed_genuine: self.guaranteed_genuine,
            quantity: self.quantity,
            unit_price: self.unit_price,
            flash_deal: self.flash_deal,
            deal_started_at: self.flash_deal_started_at,
        };
        std::iter::once(first)
            .chain(self.more_items.iter().cloned())
            .collect()
    }

    /// Units across all items.
    pub fn units(&self) -> u32 {
        self.more_items
            .iter()
            .fold(self.quantity, |n, item| n.saturating_add(item.quantity))
    }

    /// Create an order at checkout. It starts unpaid with an expiry timer;
    /// the promised delivery date is fixed here and never moves.
    pub fn checkout(
        new: NewOrder,
        policy: &Policy,
        policy_version: PolicyVersion,
        now: Timestamp,
    ) -> Result<(Order, Effects), MoneyError> {
        let mut items = new.unit_price.checked_mul(i64::from(new.quantity))?;
        for item in &new.more_items {
            items = items.checked_add(item.line_total()?)?;
        }
        let bundle_minor = new.bundle.as_ref().map_or(0, |b| b.amount_minor);
        let discount = crate::coupon::total_discount(&new.discounts, items.currency)?
            .checked_add(Money::new(bundle_minor, items.currency))?;
        if discount.amount_minor >= items.amount_minor && discount.amount_minor > 0 {
            return Err(MoneyError::OutOfRange {
                max_minor: items.amount_minor - 1,
            });
        }
        let total = items
            .checked_sub(discount)?
            .checked_add(new.shipping.cost)?;
        if total.amount_minor > crate::limits::MAX_ORDER_TOTAL_MINOR {
            return Err(MoneyError::OutOfRange {
                max_minor: crate::limits::MAX_ORDER_TOTAL_MINOR,
            });
        }
        let ship_by_at = add(now, days(i64::from(new.ship_by_days)));
        let promised_delivery_at = add(ship_by_at, days(i64::from(new.shipping.max_transit_days)));
        let order = Order {
            id: OrderId::new(),
            buyer_id: new.buyer_id,
            store_id: new.store_id,
            listing_id: new.listing_id,
            listing_title: new.listing_title,
            guaranteed_genuine: new.guaranteed_genuine,
            quantity: new.quantity,
            unit_price: new.unit_price,
            flash_deal: new.flash_deal,
            shipping: new.shipping,
            total,
            paid_card_minor: 0,
            paid_credit_minor: 0,
            address: new.address,
            state: OrderState::PendingPayment,
            policy_version,
            created_at: now,
            ship_by_at,
            promised_delivery_at,
            paid_at: None,
            protection_ends_at: None,
            window_paused_at: None,
            window_paused_total_s: 0,
            payment: None,
            shipment: None,
            tracking_status: None,
            delivered_at: None,
            cancel_requested_at: None,
            not_received_claim_at: None,
            open_dispute: None,
            closed_at: None,
            close_reason: None,
            released_minor: 0,
            commission_minor: 0,
            refunded_minor: 0,
            refunded_card_minor: 0,
            compensated_minor: 0,
            compensation_reversed_minor: 0,
            compensation_spent_minor: 0,
            chargeback: None,
            risk: None,
            reserve_hold_days: None,
            reserve_held_minor: 0,
            disputes_opened: 0,
            trust_snapshot: None,
            more_items: new.more_items,
            paid_with: Vec::new(),
            discounts: new.discounts,
            bundle: new.bundle,
            rewards_earned_minor: 0,
            rewards_reversed_minor: 0,
            rewards_spent_minor: 0,
            promotion_paid_minor: 0,
            flash_deal_started_at: None,
            from_cart: false,
            version: 0,
        };
        let effects = Effects {
            schedule: vec![TimerRequest {
                kind: TimerKind::UnpaidExpiry,
                due_at: add(now, SignedDuration::from_mins(policy.unpaid_expiry_minutes)),
            }],
            ..Effects::default()
        };
        Ok((order, effects))
    }

    pub fn escrow_account(&self) -> Account {
        Account::Escrow(self.id)
    }

    fn gateway_account(&self) -> Account {
        Account::Gateway(
            self.payment
                .as_ref()
                .map(|p| p.gateway.clone())
                .unwrap_or_else(|| "none".into()),
        )
    }

    /// Money still held for this order.
    pub fn escrow_minor(&self) -> i64 {
        if self.paid_at.is_none() {
            return 0;
        }
        let chargeback_from_escrow = self
            .chargeback
            .as_ref()
            .map_or(0, |c| c.amount_minor - c.platform_loss_minor);
        self.total.amount_minor
            - self.released_minor
            - self.commission_minor
            - self.refunded_minor
            - chargeback_from_escrow
    }

    /// Card money not yet returned (by refund or chargeback): the most a
    /// chargeback can take, so a dispute refund and a chargeback never pay
    /// the same money twice.
    pub fn card_refundable_minor(&self) -> i64 {
        let charged_back = self.chargeback.as_ref().map_or(0, |c| c.amount_minor);
        self.paid_card_minor - self.refunded_card_minor - charged_back
    }

    /// The window's end as it stands, counting paused time.
    fn window_end(&self, policy: &Policy) -> Timestamp {
        let base = match self.delivered_at {
            Some(at) => add(at, days(policy.protection_days_after_delivery)),
            None => add(
                self.promised_delivery_at,
                days(policy.protection_days_after_promised),
            ),
        };
        add(base, SignedDuration::from_secs(self.window_paused_total_s))
    }

    /// Is the buyer still protected at `now` (ignoring an open dispute)?
    pub fn window_open_at(&self, now: Timestamp) -> bool {
        match (self.window_paused_at, self.protection_ends_at) {
            (Some(_), _) => true,
            (None, Some(end)) => now < end,
            (None, None) => false,
        }
    }

    /// Seconds of protection left, frozen while paused.
    pub fn protection_remaining_s(&self, now: Timestamp) -> Option<i64> {
        let end = self.protection_ends_at?;
        let reference = self.window_paused_at.unwrap_or(now);
        Some((end - reference).get_seconds().max(0))
    }

    /// Apply one event. Pure: same inputs, same outputs.
    pub fn apply(
        &self,
        event: OrderEvent,
        policy: &Policy,
        now: Timestamp,
    ) -> Result<Transition, TransitionError> {
        let kind = event.kind();
        let to = next_state(self.state, kind).ok_or(TransitionError::NotAllowed {
            from: self.state,
            event: kind,
        })?;
        let mut next = self.clone();
        next.state = to;
        let mut effects = Effects::default();
        match event {
            OrderEvent::PaymentCaptured {
                payment,
                credit_minor,
            } => next.on_paid(payment, credit_minor, policy, now, &mut effects)?,
            OrderEvent::PaymentFailed => {
                next.on_unpaid_cancel(CloseReason::PaymentDeclined, now, &mut effects)
            }
            OrderEvent::PaymentExpired => {
                next.on_unpaid_cancel(CloseReason::PaymentNotCompleted, now, &mut effects)
            }
            OrderEvent::Ship {
                carrier,
                tracking_number,
            } => {
                if self.held_for_review() {
                    return Err(TransitionError::HeldForReview);
                }
                next.on_ship(carrier, tracking_number, now, &mut effects)
            }
            OrderEvent::RequestCancel => next.on_cancel_request(policy, now, &mut effects)?,
            OrderEvent::DeclineCancel => next.on_cancel_declined(&mut effects)?,
            OrderEvent::AcceptCancel | OrderEvent::CancelRequestTimedOut => {
                if next.cancel_requested_at.is_none() {
                    return Err(TransitionError::NoCancelRequest);
                }
                next.refund_all(CloseReason::CancelRequest, now, &mut effects)?;
            }
            OrderEvent::ShipByMissed => {
                next.refund_all(CloseReason::ShipByMissed, now, &mut effects)?
            }
            OrderEvent::Tracking { status, .. } => next.tracking_status = Some(status),
            OrderEvent::Delivered { at } => next.on_delivered(at, policy, &mut effects),
            OrderEvent::ConfirmReceipt {
                second_confirmation,
            } => next.on_confirm(second_confirmation, policy, now, &mut effects)?,
            OrderEvent::ProtectionWindowEnded => next.on_window_end(policy, now, &mut effects)?,
            OrderEvent::GuaranteeDue => next.on_guarantee_due(policy, now, &mut effects)?,
            OrderEvent::DisputeOpened { dispute_id } => {
                next.on_dispute_opened(dispute_id, now, &mut effects)?
            }
            OrderEvent::DisputeEnded => next.on_dispute_ended(policy, now, &mut effects)?,
            OrderEvent::Settle {
                refund_minor,
                reason,
            } => next.on_settle(refund_minor, reason, policy, now, &mut effects)?,
            OrderEvent::Chargeback {
                amount_minor,
                reason,
                seller,
            } => next.on_chargeback(amount_minor, reason, seller, now, &mut effects)?,
            OrderEvent::RiskApproved => next.on_risk_approved(now, &mut effects)?,
            OrderEvent::ReserveReleased {
                reserve_balance_minor,
            } => next.on_reserve_released(reserve_balance_minor, now, &mut effects)?,
            OrderEvent::RiskRefused => {
                next.decide_review(ReviewStatus::Refused)?;
                next.refund_all(CloseReason::RiskRefused, now, &mut effects)?;
            }
        }
        debug_assert!(
            is_listed(self.state, kind, next.state),
            "{:?} -{kind:?}-> {:?} is not in TRANSITIONS",
            self.state,
            next.state
        );
        if !is_listed(self.state, kind, next.state) {
            return Err(TransitionError::NotAllowed {
                from: self.state,
                event: kind,
            });
        }
        Ok(Transition {
            order: next,
            effects,
        })
    }

    fn header(&self, kind: EntryKind, now: Timestamp) -> EntryHeader {
        EntryHeader {
            idempotency_key: format!("order:{}:{}", self.id, kind.as_str()),
            kind,
            order_id: Some(self.id),
            payout_id: None,
            created_at: now,
        }
    }

    fn event(&self, topic: EventType) -> DomainEvent {
        DomainEvent {
            topic,
            payload: serde_json::json!({
                "order_id": self.id,
                "state": self.state,
                "buyer_id": self.buyer_id,
                "store_id": self.store_id,
                "listing_id": self.listing_id,
                "total": self.total,
            }),
        }
    }

    fn on_paid(
        &mut self,
        payment: PaymentInfo,
        credit_minor: i64,
        policy: &Policy,
        now: Timestamp,
        fx: &mut Effects,
    ) -> Result<(), TransitionError> {
        let currency = self.total.currency;
        if credit_minor < 0 || credit_minor > self.total.amount_minor {
            return Err(TransitionError::RefundTooLarge {
                requested_minor: credit_minor,
                available_minor: self.total.amount_minor,
            });
        }
        self.paid_credit_minor = credit_minor;
        self.paid_card_minor = self.total.amount_minor - credit_minor;
        self.payment = Some(payment);
        let postings = vec![
            Posting {
                account: self.gateway_account(),
                amount: Money::new(-self.paid_card_minor, currency),
            },
            Posting {
                account: Account::BuyerCredit(self.buyer_id),
                amount: Money::new(-credit_minor, currency),
            },
            Posting {
                account: self.escrow_account(),
                amount: self.total,
            },
        ];
        fx.entries.push(Entry::from_postings(
            self.header(EntryKind::Capture, now),
            postings,
        )?);
        self.paid_at = Some(now);
        self.protection_ends_at = Some(self.window_end(policy));
        fx.unschedule.push(TimerKind::UnpaidExpiry);
        fx.schedule.push(TimerRequest {
            kind: TimerKind::ShipBy,
            due_at: self.ship_by_at,
        });
        fx.schedule.push(TimerRequest {
            kind: TimerKind::ProtectionEnd,
            due_at: self.window_end(policy),
        });
        fx.schedule.push(TimerRequest {
            kind: TimerKind::OnTimeGuarantee,
            due_at: self.promised_delivery_at,
        });
        fx.events.push(self.event(EventType::OrderPaid));
        if self.held_for_review() {
            fx.events.push(self.event(EventType::OrderHeldForReview));
        }
        Ok(())
    }

    /// Is the order held by fraud checks, waiting for an agent?
    pub fn held_for_review(&self) -> bool {
        self.risk
            .as_ref()
            .is_some_and(|r| r.review == Some(ReviewStatus::Pending))
    }

    fn decide_review(&mut self, decision: ReviewStatus) -> Result<(), TransitionError> {
        if !self.held_for_review() {
            return Err(TransitionError::NotHeldForReview);
        }
        if let Some(risk) = self.risk.as_mut() {
            risk.review = Some(decision);
        }
        Ok(())
    }

    /// Released by an agent: the seller gets back the handling time the
    /// review took, so a slow review never makes them late.
    fn on_risk_approved(
        &mut self,
        now: Timestamp,
        fx: &mut Effects,
    ) -> Result<(), TransitionError> {
        self.decide_review(ReviewStatus::Approved)?;
        let handling = self
            .ship_by_at
            .duration_since(self.paid_at.unwrap_or(self.created_at));
        let ship_by = add(now, handling);
        if ship_by > self.ship_by_at {
            self.ship_by_at = ship_by;
            fx.schedule.push(TimerRequest {
                kind: TimerKind::ShipBy,
                due_at: ship_by,
            });
        }
        fx.events.push(self.event(EventType::OrderReviewApproved));
        Ok(())
    }

    fn on_unpaid_cancel(&mut self, reason: CloseReason, now: Timestamp, fx: &mut Effects) {
        self.close(now, reason);
        fx.restock = true;
        fx.unschedule.push(TimerKind::UnpaidExpiry);
        fx.events.push(self.event(EventType::OrderCancelled));
    }

    fn on_ship(
        &mut self,
        carrier: String,
        tracking_number: String,
        now: Timestamp,
        fx: &mut Effects,
    ) {
        fx.claim_tracking = Some((carrier.clone(), tracking_number.clone()));
        self.shipment = Some(Shipment {
            carrier,
            tracking_number,
            shipped_at: now,
        });
        self.cancel_requested_at = None;
        fx.unschedule
            .extend([TimerKind::ShipBy, TimerKind::CancelRequestTimeout]);
        fx.events.push(self.event(EventType::OrderShipped));
    }

    fn on_cancel_request(
        &mut self,
        policy: &Policy,
        now: Timestamp,
        fx: &mut Effects,
    ) -> Result<(), TransitionError> {
        if self.cancel_requested_at.is_some() {
            return Err(TransitionError::CancelAlreadyRequested);
        }
        self.cancel_requested_at = Some(now);
        let due_at = add(
            now,
            SignedDuration::from_hours(policy.cancel_request_timeout_hours),
        );
        fx.schedule.push(TimerRequest {
            kind: TimerKind::CancelRequestTimeout,
            due_at,
        });
        fx.events.push(self.event(EventType::OrderCancelRequested));
        Ok(())
    }

    fn on_cancel_declined(&mut self, fx: &mut Effects) -> Result<(), TransitionError> {
        if self.cancel_requested_at.take().is_none() {
            return Err(TransitionError::NoCancelRequest);
        }
        fx.unschedule.push(TimerKind::CancelRequestTimeout);
        fx.events.push(self.event(EventType::OrderCancelDeclined));
        Ok(())
    }

    fn on_delivered(&mut self, at: Timestamp, policy: &Policy, fx: &mut Effects) {
        self.delivered_at = Some(at);
        self.tracking_status = Some(TrackingStatus::Delivered);
        let window_end = self.window_end(policy);
        self.protection_ends_at = Some(window_end);
        if self.open_dispute.is_some() {
            // The window stays paused; it resumes from the new end when the
            // dispute closes.
            fx.scan_during_dispute = true;
        } else {
            fx.schedule.push(TimerRequest {
                kind: TimerKind::ProtectionEnd,
                due_at: window_end,
            });
        }
        fx.events.push(self.event(EventType::OrderDelivered));
    }

    fn on_confirm(
        &mut self,
        second_confirmation: bool,
        policy: &Policy,
        now: Timestamp,
        fx: &mut Effects,
    ) -> Result<(), TransitionError> {
        if self.open_dispute.is_some_and(|d| !d.automatic) {
            // Closing the dispute is the buyer's explicit choice (withdraw),
            // never a side effect of another button.
            return Err(TransitionError::DisputeOpen);
        }
        if self.delivered_at.is_none() && !second_confirmation {
            return Err(TransitionError::SecondConfirmationRequired);
        }
        self.release(CloseReason::BuyerConfirmed, policy, now, fx)
    }

    fn on_window_end(
        &mut self,
        policy: &Policy,
        now: Timestamp,
        fx: &mut Effects,
    ) -> Result<(), TransitionError> {
        if self.open_dispute.is_some() {
            return Err(TransitionError::DisputeOpen);
        }
        if self.protection_ends_at.is_some_and(|end| now < end) {
            return Err(TransitionError::WindowStillOpen);
        }
        if self.delivered_at.is_some() {
            return self.release(CloseReason::AutoConfirmed, policy, now, fx);
        }
        // No delivery scan: Haven opens a not-received claim on the buyer's
        // behalf. The seller has a few days to prove delivery (to an agent);
        // silence refunds the buyer.
        let claim = Dispute::automatic_not_received(self, policy, now);
        self.not_received_claim_at = Some(now);
        self.disputes_opened = self.disputes_opened.saturating_add(1);
        self.open_dispute = Some(OpenDispute {
            id: claim.id,
            automatic: true,
        });
        self.window_paused_at = Some(now);
        fx.schedule.extend(claim.initial_deadlines(policy));
        fx.new_dispute = Some(claim);
        fx.events
            .push(self.event(EventType::OrderNotReceivedClaimOpened));
        Ok(())
    }

    fn on_guarantee_due(
        &mut self,
        policy: &Policy,
        now: Timestamp,
        fx: &mut Effects,
    ) -> Result<(), TransitionError> {
        if self
            .delivered_at
            .is_some_and(|at| at <= self.promised_delivery_at)
        {
            return Err(TransitionError::DeliveredOnTime);
        }
        if self.compensated_minor > 0 {
            return Err(TransitionError::AlreadyCompensated);
        }
        let percent = self.total.basis_points(policy.guarantee_bps)?;
        let floor = Money::new(policy.guarantee_min_minor, self.total.currency);
        let credit = if percent.amount_minor < floor.amount_minor {
            floor
        } else {
            percent
        };
        let header = EntryHeader {
            idempotency_key: format!("order:{}:guarantee", self.id),
            ..self.header(EntryKind::Compensation, now)
        };
        fx.entries.push(Entry::transfer(
            header,
            Account::PlatformCompensation,
            Account::BuyerCredit(self.buyer_id),
            credit,
        )?);
        self.compensated_minor += credit.amount_minor;
        let mut event = self.event(EventType::GuaranteeCompensated);
        event.payload["credit"] = serde_json::json!(credit);
        fx.events.push(event);
        Ok(())
    }

    /// A buyer refunded in full for an order that also paid on-time credit
    /// would be paid twice for one failure; that credit is taken back.
    /// Rewards on what the order kept, once: never on an order refunded in
    /// full.
    fn earn_reward(&mut self, now: Timestamp, fx: &mut Effects) -> Result<(), TransitionError> {
        if self.rewards_earned_minor > 0 {
            return Ok(());
        }
        let kept = (self.total.amount_minor - self.refunded_minor).max(0);
        let reward = Money::new(kept, self.total.currency).basis_points(REWARD_BPS)?;
        if reward.amount_minor <= 0 {
            return Ok(());
        }
        self.rewards_earned_minor = reward.amount_minor;
        let header = EntryHeader {
            idempotency_key: format!("order:{}:reward", self.id),
            ..self.header(EntryKind::Reward, now)
        };
        fx.entries.push(Entry::transfer(
            header,
            Account::PlatformRewards,
            Account::BuyerRewards(self.buyer_id),
            reward,
        )?);
        Ok(())
    }

    /// A completed order whose money went back to the buyer afterwards (a
    /// chargeback, a refund) owes back the rewards it earned.
    pub fn owes_reward_reversal(&self) -> bool {
        self.rewards_earned_minor > 0
            && self.rewards_reversed_minor == 0
            && self.rewards_spent_minor == 0
            && (self.state == OrderState::Refunded || self.chargeback.is_some())
    }

    /// Take back the order's rewards: what is still in the buyer's rewards
    /// balance (`available_minor`) returns to the platform; what they
    /// already turned into credit is recorded, not clawed back.
    pub fn reverse_reward(
        &mut self,
        available_minor: i64,
        now: Timestamp,
    ) -> Result<Option<Entry>, TransitionError> {
        if !self.owes_reward_reversal() {
            return Ok(None);
        }
        let (reversed, entry) = self.take_back(
            self.rewards_earned_minor,
            available_minor,
            EntryKind::RewardReversal,
            Account::BuyerRewards(self.buyer_id),
            Account::PlatformRewards,
            now,
        )?;
        self.rewards_reversed_minor = reversed;
        self.rewards_spent_minor = self.rewards_earned_minor - reversed;
        Ok(entry)
    }

    /// Give back what of `granted` is still in `from` (`available_minor`),
    /// to `to`: how much, and the entry if anything moves.
    fn take_back(
        &self,
        granted_minor: i64,
        available_minor: i64,
        kind: EntryKind,
        from: Account,
        to: Account,
        now: Timestamp,
    ) -> Result<(i64, Option<Entry>), TransitionError> {
        let reversed = granted_minor.min(available_minor.max(0));
        if reversed == 0 {
            return Ok((0, None));
        }
        let header = EntryHeader {
            idempotency_key: format!("order:{}:{}", self.id, reversal_key(kind)),
            ..self.header(kind, now)
        };
        let amount = Money::new(reversed, self.total.currency);
        Ok((reversed, Some(Entry::transfer(header, from, to, amount)?)))
    }

    pub fn owes_compensation_reversal(&self) -> bool {
        self.state == OrderState::Refunded
            && self.compensated_minor > 0
            && self.compensation_reversed_minor == 0
            && self.compensation_spent_minor == 0
    }

    /// Take back the order's on-time credit from a buyer refunded in full:
    /// what is still in their credit balance (`available_credit_minor`)
    /// returns to the platform; what they already spent is recorded, not
    /// clawed back. The entry, if anything moves.
    pub fn reverse_compensation(
        &mut self,
        available_credit_minor: i64,
        now: Timestamp,
    ) -> Result<Option<Entry>, TransitionError> {
        if !self.owes_compensation_reversal() {
            return Ok(None);
        }
        let (reversed, entry) = self.take_back(
            self.compensated_minor,
            available_credit_minor,
            EntryKind::CompensationReversal,
            Account::BuyerCredit(self.buyer_id),
            Account::PlatformCompensation,
            now,
        )?;
        self.compensation_reversed_minor = reversed;
        self.compensation_spent_minor = self.compensated_minor - reversed;
        Ok(entry)
    }

    fn on_dispute_opened(
        &mut self,
        dispute_id: DisputeId,
        now: Timestamp,
        fx: &mut Effects,
    ) -> Result<(), TransitionError> {
        if self.open_dispute.is_some() {
            return Err(TransitionError::DisputeOpen);
        }
        if !self.window_open_at(now) {
            return Err(TransitionError::WindowEnded);
        }
        self.disputes_opened = self.disputes_opened.saturating_add(1);
        self.open_dispute = Some(OpenDispute {
            id: dispute_id,
            automatic: false,
        });
        self.window_paused_at = Some(now);
        fx.unschedule.push(TimerKind::ProtectionEnd);
        Ok(())
    }

    /// Resume the window, extended by the time the dispute kept it paused.
    fn on_dispute_ended(
        &mut self,
        policy: &Policy,
        now: Timestamp,
        fx: &mut Effects,
    ) -> Result<(), TransitionError> {
        if self.open_dispute.take().is_none() {
            return Err(TransitionError::NoDisputeOpen);
        }
        if let Some(paused_at) = self.window_paused_at.take() {
            self.window_paused_total_s += (now - paused_at).get_seconds().max(0);
        }
        let end = self.window_end(policy);
        self.protection_ends_at = Some(end);
        fx.unschedule.extend(TimerKind::DISPUTE);
        fx.schedule.push(TimerRequest {
            kind: TimerKind::ProtectionEnd,
            due_at: end.max(now),
        });
        Ok(())
    }

    /// Refund `refund_minor` and release whatever else escrow holds to the
    /// seller (minus commission), in one entry. Closes the order.
    fn on_settle(
        &mut self,
        refund_minor: i64,
        reason: CloseReason,
        policy: &Policy,
        now: Timestamp,
        fx: &mut Effects,
    ) -> Result<(), TransitionError> {
        let held = self.escrow_minor();
        if refund_minor < 0 || refund_minor > held {
            return Err(TransitionError::RefundTooLarge {
                requested_minor: refund_minor,
                available_minor: held,
            });
        }
        let currency = self.total.currency;
        let released = Money::new(held - refund_minor, currency);
        let commission = released.basis_points(policy.commission_bps)?;
        let seller_share = released.checked_sub(commission)?;
        let (to_card, to_credit) = self.refund_split(refund_minor);
        let seller_account = if held > 0 {
            self.seller_release_account(seller_share.amount_minor, now, fx)
        } else {
            Account::SellerAvailable(self.store_id)
        };
        let mut postings = vec![
            Posting {
                account: self.escrow_account(),
                amount: Money::new(-held, currency),
            },
            Posting {
                account: self.gateway_account(),
                amount: Money::new(to_card, currency),
            },
            Posting {
                account: Account::BuyerCredit(self.buyer_id),
                amount: Money::new(to_credit, currency),
            },
            Posting {
                account: seller_account.clone(),
                amount: seller_share,
            },
            Posting {
                account: Account::PlatformCommission,
                amount: commission,
            },
        ];
        postings.extend(self.promotion_postings(&seller_account, seller_share.amount_minor));
        if held > 0 {
            fx.entries.push(Entry::from_postings(
                self.header(EntryKind::Settlement, now),
                postings,
            )?);
        }
        self.refunded_minor += refund_minor;
        self.refunded_card_minor += to_card;
        self.released_minor += seller_share.amount_minor;
        self.commission_minor += commission.amount_minor;
        self.state = match (refund_minor, held) {
            (r, h) if r == h => OrderState::Refunded,
            (0, _) => OrderState::Completed,
            _ => OrderState::PartiallyRefunded,
        };
        if self.state != OrderState::Refunded {
            self.earn_reward(now, fx)?;
        }
        self.open_dispute = None;
        self.window_paused_at = None;
        self.close(now, reason);
        fx.unschedule
            .extend([TimerKind::ProtectionEnd, TimerKind::OnTimeGuarantee]);
        fx.unschedule.extend(TimerKind::DISPUTE);
        fx.events.push(self.event(if refund_minor > 0 {
            EventType::OrderRefunded
        } else {
            EventType::OrderCompleted
        }));
        Ok(())
    }

    /// Refunds go back to the card first, then to credit.
    fn refund_split(&self, refund_minor: i64) -> (i64, i64) {
        let to_card = refund_minor.min(self.card_refundable_minor().max(0));
        (to_card, refund_minor - to_card)
    }

    fn on_chargeback(
        &mut self,
        amount_minor: i64,
        reason: String,
        seller: SellerFunds,
        now: Timestamp,
        fx: &mut Effects,
    ) -> Result<(), TransitionError> {
        if self.chargeback.is_some() {
            return Err(TransitionError::ChargebackRecorded);
        }
        // Never more than the card money still out: a refund already paid is
        // not paid again.
        let amount_minor = amount_minor.clamp(0, self.card_refundable_minor().max(0));
        let currency = self.total.currency;
        let from_escrow = amount_minor.min(self.escrow_minor());
        let loss = amount_minor - from_escrow;
        let from_available = loss.min(seller.available_minor.max(0));
        let from_reserve = (loss - from_available).min(seller.reserve_minor.max(0));
        let recovered = from_available + from_reserve;
        let money = |m| Money::new(m, currency);
        let postings = vec![
            Posting {
                account: self.escrow_account(),
                amount: money(-from_escrow),
            },
            Posting {
                account: Account::PlatformChargebackLoss,
                amount: money(-loss),
            },
            Posting {
                account: self.gateway_account(),
                amount: money(amount_minor),
            },
            Posting {
                account: Account::SellerAvailable(self.store_id),
                amount: money(-from_available),
            },
            Posting {
                account: Account::SellerReserve(self.store_id),
                amount: money(-from_reserve),
            },
            Posting {
                account: Account::PlatformChargebackLoss,
                amount: money(recovered),
            },
        ];
        if amount_minor > 0 {
            fx.entries.push(Entry::from_postings(
                self.header(EntryKind::Chargeback, now),
                postings,
            )?);
        }
        self.chargeback = Some(ChargebackRecord {
            at: now,
            amount_minor,
            reason,
            platform_loss_minor: loss,
            recovered_minor: recovered,
        });
        if self.closed_at.is_none() {
            // An open order is frozen for good: what escrow still holds after
            // the chargeback (credit-paid money) goes back to the buyer's credit.
            let rest = self.escrow_minor();
            if rest > 0 {
                let header = EntryHeader {
                    idempotency_key: format!("order:{}:chargeback_rest", self.id),
                    ..self.header(EntryKind::Refund, now)
                };
                fx.entries.push(Entry::transfer(
                    header,
                    self.escrow_account(),
                    Account::BuyerCredit(self.buyer_id),
                    money(rest),
                )?);
                self.refunded_minor += rest;
            }
            fx.close_dispute = self.open_dispute.take().map(|d| d.id);
            self.window_paused_at = None;
            self.close(now, CloseReason::Chargeback);
            fx.unschedule.extend([
                TimerKind::ShipBy,
                TimerKind::CancelRequestTimeout,
                TimerKind::ProtectionEnd,
                TimerKind::OnTimeGuarantee,
            ]);
            fx.unschedule.extend(TimerKind::DISPUTE);
        }
        let mut event = self.event(EventType::ChargebackOpened);
        event.payload["amount"] = serde_json::json!(money(amount_minor));
        fx.events.push(event);
        Ok(())
    }

    /// Pay the seller: what escrow holds, minus commission.
    fn release(
        &mut self,
        reason: CloseReason,
        policy: &Policy,
        now: Timestamp,
        fx: &mut Effects,
    ) -> Result<(), TransitionError> {
        let held = Money::new(self.escrow_minor(), self.total.currency);
        let commission = held.basis_points(policy.commission_bps)?;
        let seller_share = held.checked_sub(commission)?;
        let seller_account = self.seller_release_account(seller_share.amount_minor, now, fx);
        let mut postings = vec![
            Posting {
                account: self.escrow_account(),
                amount: held.checked_neg()?,
            },
            Posting {
                account: seller_account.clone(),
                amount: seller_share,
            },
            Posting {
                account: Account::PlatformCommission,
                amount: commission,
            },
        ];
        postings.extend(self.promotion_postings(&seller_account, seller_share.amount_minor));
        fx.entries.push(Entry::from_postings(
            self.header(EntryKind::Release, now),
            postings,
        )?);
        self.released_minor += seller_share.amount_minor;
        self.commission_minor += commission.amount_minor;
        self.earn_reward(now, fx)?;
        fx.close_dispute = self.open_dispute.take().map(|d| d.id);
        self.window_paused_at = None;
        self.close(now, reason);
        fx.unschedule
            .extend([TimerKind::ProtectionEnd, TimerKind::OnTimeGuarantee]);
        fx.unschedule.extend(TimerKind::DISPUTE);
        fx.events.push(self.event(EventType::OrderCompleted));
        Ok(())
    }

    /// The platform-funded part of the order's discounts.
    pub fn platform_discount_minor(&self) -> i64 {
        self.discounts
            .iter()
            .filter(|d| d.funded_by == crate::coupon::Funder::Platform)
            .map(|d| d.amount_minor)
            .sum()
    }

    /// A platform coupon's discount is the platform's cost, not the
    /// seller's: it is paid to the seller, once, with a release that gives
    /// the seller something. An order refunded in full costs nobody the
    /// discount (the buyer gets back what they paid).
    fn promotion_postings(
        &mut self,
        seller_account: &Account,
        seller_gets_minor: i64,
    ) -> Vec<Posting> {
        let owed = self.platform_discount_minor() - self.promotion_paid_minor;
        if owed <= 0 || seller_gets_minor <= 0 {
            return Vec::new();
        }
        self.promotion_paid_minor += owed;
        if matches!(seller_account, Account::SellerReserve(_)) {
            self.reserve_held_minor += owed;
        }
        let currency = self.total.currency;
        vec![
            Posting {
                account: Account::PlatformPromotions,
                amount: Money::new(-owed, currency),
            },
            Posting {
                account: seller_account.clone(),
                amount: Money::new(owed, currency),
            },
        ]
    }

    /// Where the seller's share of a release goes: the available balance,
    /// or the reserve (with a timer to free it) while the store's defect
    /// rate is above the limit.
    fn seller_release_account(
        &mut self,
        share_minor: i64,
        now: Timestamp,
        fx: &mut Effects,
    ) -> Account {
        match self.reserve_hold_days.filter(|days| *days > 0) {
            Some(days) if share_minor > 0 => {
                self.reserve_held_minor += share_minor;
                fx.schedule.push(TimerRequest {
                    kind: TimerKind::ReserveRelease,
                    due_at: add(now, self::days(days)),
                });
                Account::SellerReserve(self.store_id)
            }
            _ => Account::SellerAvailable(self.store_id),
        }
    }

    fn on_reserve_released(
        &mut self,
        reserve_balance_minor: i64,
        now: Timestamp,
        fx: &mut Effects,
    ) -> Result<(), TransitionError> {
        let amount = self.reserve_held_minor.min(reserve_balance_minor).max(0);
        self.reserve_held_minor = 0;
        if amount > 0 {
            fx.entries.push(Entry::split(
                self.header(EntryKind::ReserveRelease, now),
                Account::SellerReserve(self.store_id),
                vec![(
                    Account::SellerAvailable(self.store_id),
                    Money::new(amount, self.total.currency),
                )],
            )?);
        }
        Ok(())
    }

    /// Return everything still in escrow: card money to the card, credit to credit.
    fn refund_all(
        &mut self,
        reason: CloseReason,
        now: Timestamp,
        fx: &mut Effects,
    ) -> Result<(), TransitionError> {
        let held = self.escrow_minor();
        let (to_card, to_credit) = self.refund_split(held);
        let currency = self.total.currency;
        let postings = vec![
            Posting {
                account: self.escrow_account(),
                amount: Money::new(-held, currency),
            },
            Posting {
                account: self.gateway_account(),
                amount: Money::new(to_card, currency),
            },
            Posting {
                account: Account::BuyerCredit(self.buyer_id),
                amount: Money::new(to_credit, currency),
            },
        ];
        fx.entries.push(Entry::from_postings(
            self.header(EntryKind::Refund, now),
            postings,
        )?);
        self.refunded_minor += held;
        self.refunded_card_minor += to_card;
        if self.shipment.is_none() {
            fx.restock = true;
        }
        self.close(now, reason);
        fx.unschedule.extend([
            TimerKind::ShipBy,
            TimerKind::CancelRequestTimeout,
            TimerKind::ProtectionEnd,
            TimerKind::OnTimeGuarantee,
        ]);
        fx.events.push(self.event(EventType::OrderRefunded));
        Ok(())
    }

    fn close(&mut self, now: Timestamp, reason: CloseReason) {
        if self.closed_at.is_none() {
            self.closed_at = Some(now);
            self.close_reason = Some(reason);
        }
        self.cancel_requested_at = None;
    }
}

#[cfg(test)]
mod short_number_tests {
    use super::*;

    #[test]
    fn a_short_number_is_the_ids_last_eight_hex_digits_and_reads_back() {
        let id = "01931c2e-7a4b-7c3d-9e8f-00a1b2c3d4e5";
        assert_eq!(short_number(id), "#B2C3D4E5");
        let digits = parse_short_number(&short_number(id)).unwrap();
        assert!(id.replace('-', "").ends_with(&digits));
        assert_eq!(
            parse_short_number(" b2c3d4e5 ").as_deref(),
            Some("b2c3d4e5")
        );
        assert_eq!(parse_short_number("#B2C3D4E"), None, "seven digits");
        assert_eq!(parse_short_number("#B2C3D4EZ"), None, "not hex");
    }
}
