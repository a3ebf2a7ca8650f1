//! The order lifecycle: one explicit state machine whose legal transitions
//! are listed in [`TRANSITIONS`]. [`Order::apply`] is pure: it returns the new
//! order plus the effects (ledger entries, timers, outbox events) that the
//! caller must write in the same database transaction.

use jiff::{SignedDuration, Timestamp};
use serde::{Deserialize, Serialize};

use crate::ids::{ListingId, OrderId, StoreId, UserId};
use crate::ledger::{Account, Entry, EntryError, EntryHeader, EntryKind};
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

    /// Closed orders hold no money in escrow and accept no further events.
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
    pub fn parse(raw: Address) -> Result<Address, String> {
        let trim = |s: &str| s.trim().to_string();
        let address = Address {
            name: trim(&raw.name),
            line1: trim(&raw.line1),
            line2: trim(&raw.line2),
            city: trim(&raw.city),
            postal_code: trim(&raw.postal_code),
            country: raw.country.trim().to_ascii_uppercase(),
        };
        let required = [
            ("name", &address.name),
            ("line1", &address.line1),
            ("city", &address.city),
            ("postal_code", &address.postal_code),
        ];
        for (field, value) in required {
            if value.is_empty() || value.chars().count() > 200 {
                return Err(format!("address.{field} must be 1-200 characters"));
            }
        }
        if address.line2.chars().count() > 200 {
            return Err("address.line2 must be at most 200 characters".into());
        }
        if address.country.len() != 2 || !address.country.bytes().all(|b| b.is_ascii_uppercase()) {
            return Err("address.country must be a two-letter ISO 3166 code".into());
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

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Order {
    pub id: OrderId,
    pub buyer_id: UserId,
    pub store_id: StoreId,
    pub listing_id: ListingId,
    pub listing_title: String,
    pub quantity: u32,
    pub unit_price: Money,
    pub shipping: ShippingChoice,
    pub total: Money,
    pub address: Address,
    pub state: OrderState,
    pub policy_version: PolicyVersion,
    pub created_at: Timestamp,
    pub ship_by_at: Timestamp,
    pub promised_delivery_at: Timestamp,
    pub paid_at: Option<Timestamp>,
    pub protection_ends_at: Option<Timestamp>,
    pub payment: Option<PaymentInfo>,
    pub shipment: Option<Shipment>,
    pub tracking_status: Option<TrackingStatus>,
    pub delivered_at: Option<Timestamp>,
    pub cancel_requested_at: Option<Timestamp>,
    /// Set when the window ended with no delivery scan (automatic not-received claim).
    pub not_received_claim_at: Option<Timestamp>,
    pub closed_at: Option<Timestamp>,
    pub close_reason: Option<String>,
    pub released_minor: i64,
    pub commission_minor: i64,
    pub refunded_minor: i64,
    /// Optimistic-concurrency version; the store bumps it on every write.
    pub version: i64,
}

/// What checkout knows when it creates an order.
#[derive(Debug, Clone)]
pub struct NewOrder {
    pub buyer_id: UserId,
    pub store_id: StoreId,
    pub listing_id: ListingId,
    pub listing_title: String,
    pub quantity: u32,
    pub unit_price: Money,
    pub shipping: ShippingChoice,
    pub address: Address,
    pub ship_by_days: u32,
}

pub const MAX_QUANTITY: u32 = 1_000;

#[derive(Debug, Clone, PartialEq, Eq)]
pub enum OrderEvent {
    PaymentCaptured {
        payment: PaymentInfo,
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
    NoScanClaimExpired,
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
    NoScanClaimExpired,
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
            OrderEvent::NoScanClaimExpired => EventKind::NoScanClaimExpired,
        }
    }
}

use EventKind as E;
use OrderState as S;

/// Every legal transition, in one place. Anything not listed is refused.
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
    (S::Shipped, E::Tracking, S::Shipped),
    (S::Shipped, E::Delivered, S::Delivered),
    (S::Shipped, E::ConfirmReceipt, S::Completed),
    (S::Delivered, E::ConfirmReceipt, S::Completed),
    (S::Delivered, E::ProtectionWindowEnded, S::Completed),
    // No delivery scan when the window ends: never release, open a claim.
    (S::Shipped, E::ProtectionWindowEnded, S::Shipped),
    (S::Shipped, E::NoScanClaimExpired, S::Refunded),
];

pub fn next_state(from: OrderState, event: EventKind) -> Option<OrderState> {
    TRANSITIONS
        .iter()
        .find(|(f, e, _)| *f == from && *e == event)
        .map(|(_, _, to)| *to)
}

#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum TransitionError {
    #[error("an order that is {from} cannot {event}")]
    NotAllowed { from: &'static str, event: String },
    #[error("no delivery scan yet: confirming receipt needs an explicit second confirmation")]
    SecondConfirmationRequired,
    #[error("there is no pending cancel request")]
    NoCancelRequest,
    #[error("a cancel request is already pending")]
    CancelAlreadyRequested,
    #[error("the not-received claim is not open")]
    ClaimNotOpen,
    #[error("the protection window has not ended yet")]
    WindowStillOpen,
    #[error(transparent)]
    Money(#[from] MoneyError),
    #[error(transparent)]
    Entry(#[from] EntryError),
}

/// A domain event for the outbox.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct DomainEvent {
    pub topic: &'static str,
    pub payload: serde_json::Value,
}

/// Everything a transition asks the store to write atomically with the order.
#[derive(Debug, Clone, Default)]
pub struct Effects {
    pub entries: Vec<Entry>,
    pub schedule: Vec<TimerRequest>,
    pub unschedule: Vec<TimerKind>,
    pub events: Vec<DomainEvent>,
    /// Units to put back on the listing's stock.
    pub restock: Option<u32>,
    /// A tracking number this order now owns (unique across orders).
    pub claim_tracking: Option<(String, String)>,
}

#[derive(Debug, Clone)]
pub struct Transition {
    pub order: Order,
    pub effects: Effects,
}

fn days(n: i64) -> SignedDuration {
    SignedDuration::from_hours(n * 24)
}

fn add(at: Timestamp, by: SignedDuration) -> Timestamp {
    // Deadlines are at most years away; a Timestamp overflow here would be a
    // corrupt policy, which Policy::validate already refuses.
    at.checked_add(by).expect("deadline within timestamp range")
}

impl Order {
    /// Create an order at checkout. It starts unpaid with an expiry timer;
    /// the promised delivery date is fixed here and never moves.
    pub fn checkout(
        new: NewOrder,
        policy: &Policy,
        policy_version: PolicyVersion,
        now: Timestamp,
    ) -> Result<(Order, Effects), MoneyError> {
        let items = new.unit_price.checked_mul(i64::from(new.quantity))?;
        let total = items.checked_add(new.shipping.cost)?;
        let ship_by_at = add(now, days(i64::from(new.ship_by_days)));
        let promised_delivery_at = add(ship_by_at, days(i64::from(new.shipping.max_transit_days)));
        let order = Order {
            id: OrderId::new(),
            buyer_id: new.buyer_id,
            store_id: new.store_id,
            listing_id: new.listing_id,
            listing_title: new.listing_title,
            quantity: new.quantity,
            unit_price: new.unit_price,
            shipping: new.shipping,
            total,
            address: new.address,
            state: OrderState::PendingPayment,
            policy_version,
            created_at: now,
            ship_by_at,
            promised_delivery_at,
            paid_at: None,
            protection_ends_at: None,
            payment: None,
            shipment: None,
            tracking_status: None,
            delivered_at: None,
            cancel_requested_at: None,
            not_received_claim_at: None,
            closed_at: None,
            close_reason: None,
            released_minor: 0,
            commission_minor: 0,
            refunded_minor: 0,
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

    /// Money still held for this order.
    pub fn escrow_minor(&self) -> i64 {
        if self.paid_at.is_none() {
            return 0;
        }
        self.total.amount_minor - self.released_minor - self.commission_minor - self.refunded_minor
    }

    /// Apply one event. Pure: same inputs, same outputs.
    pub fn apply(
        &self,
        event: OrderEvent,
        policy: &Policy,
        now: Timestamp,
    ) -> Result<Transition, TransitionError> {
        let to =
            next_state(self.state, event.kind()).ok_or_else(|| TransitionError::NotAllowed {
                from: self.state.as_str(),
                event: format!("{:?}", event.kind()),
            })?;
        let mut next = self.clone();
        next.state = to;
        let mut effects = Effects::default();
        match event {
            OrderEvent::PaymentCaptured { payment } => {
                next.on_paid(payment, policy, now, &mut effects)?
            }
            OrderEvent::PaymentFailed | OrderEvent::PaymentExpired => {
                next.on_unpaid_cancel(now, &mut effects)
            }
            OrderEvent::Ship {
                carrier,
                tracking_number,
            } => next.on_ship(carrier, tracking_number, now, &mut effects),
            OrderEvent::RequestCancel => next.on_cancel_request(policy, now, &mut effects)?,
            OrderEvent::DeclineCancel => next.on_cancel_declined(&mut effects)?,
            OrderEvent::AcceptCancel | OrderEvent::CancelRequestTimedOut => {
                if next.cancel_requested_at.is_none() {
                    return Err(TransitionError::NoCancelRequest);
                }
                next.refund_all("cancel_request", now, &mut effects)?;
            }
            OrderEvent::ShipByMissed => next.refund_all("ship_by_missed", now, &mut effects)?,
            OrderEvent::Tracking { status, .. } => next.tracking_status = Some(status),
            OrderEvent::Delivered { at } => next.on_delivered(at, policy, &mut effects),
            OrderEvent::ConfirmReceipt {
                second_confirmation,
            } => {
                if self.delivered_at.is_none() && !second_confirmation {
                    return Err(TransitionError::SecondConfirmationRequired);
                }
                next.release("buyer_confirmed", policy, now, &mut effects)?;
            }
            OrderEvent::ProtectionWindowEnded => next.on_window_end(policy, now, &mut effects)?,
            OrderEvent::NoScanClaimExpired => {
                if next.not_received_claim_at.is_none() {
                    return Err(TransitionError::ClaimNotOpen);
                }
                next.refund_all("not_received_no_proof", now, &mut effects)?;
            }
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

    fn event(&self, topic: &'static str) -> DomainEvent {
        DomainEvent {
            topic,
            payload: serde_json::json!({
                "order_id": self.id,
                "state": self.state,
                "buyer_id": self.buyer_id,
                "store_id": self.store_id,
                "total": self.total,
            }),
        }
    }

    fn on_paid(
        &mut self,
        payment: PaymentInfo,
        policy: &Policy,
        now: Timestamp,
        fx: &mut Effects,
    ) -> Result<(), TransitionError> {
        let gateway = Account::Gateway(payment.gateway.clone());
        fx.entries.push(Entry::transfer(
            self.header(EntryKind::Capture, now),
            gateway,
            self.escrow_account(),
            self.total,
        )?);
        self.paid_at = Some(now);
        self.payment = Some(payment);
        let window_end = add(
            self.promised_delivery_at,
            days(policy.protection_days_after_promised),
        );
        self.protection_ends_at = Some(window_end);
        fx.unschedule.push(TimerKind::UnpaidExpiry);
        fx.schedule.push(TimerRequest {
            kind: TimerKind::ShipBy,
            due_at: self.ship_by_at,
        });
        fx.schedule.push(TimerRequest {
            kind: TimerKind::ProtectionEnd,
            due_at: window_end,
        });
        fx.events.push(self.event("order.paid"));
        Ok(())
    }

    fn on_unpaid_cancel(&mut self, now: Timestamp, fx: &mut Effects) {
        self.close(now, "payment_not_completed");
        fx.restock = Some(self.quantity);
        fx.unschedule.push(TimerKind::UnpaidExpiry);
        fx.events.push(self.event("order.cancelled"));
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
        fx.events.push(self.event("order.shipped"));
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
        fx.events.push(self.event("order.cancel_requested"));
        Ok(())
    }

    fn on_cancel_declined(&mut self, fx: &mut Effects) -> Result<(), TransitionError> {
        if self.cancel_requested_at.take().is_none() {
            return Err(TransitionError::NoCancelRequest);
        }
        fx.unschedule.push(TimerKind::CancelRequestTimeout);
        fx.events.push(self.event("order.cancel_declined"));
        Ok(())
    }

    fn on_delivered(&mut self, at: Timestamp, policy: &Policy, fx: &mut Effects) {
        self.delivered_at = Some(at);
        self.tracking_status = Some(TrackingStatus::Delivered);
        // A late scan ends an automatic not-received claim: the buyer gets a
        // fresh window from the scan, so protection is never shortened.
        self.not_received_claim_at = None;
        fx.unschedule.push(TimerKind::NoScanRefund);
        let window_end = add(at, days(policy.protection_days_after_delivery));
        self.protection_ends_at = Some(window_end);
        fx.schedule.push(TimerRequest {
            kind: TimerKind::ProtectionEnd,
            due_at: window_end,
        });
        fx.events.push(self.event("order.delivered"));
    }

    fn on_window_end(
        &mut self,
        policy: &Policy,
        now: Timestamp,
        fx: &mut Effects,
    ) -> Result<(), TransitionError> {
        if self.protection_ends_at.is_some_and(|end| now < end) {
            return Err(TransitionError::WindowStillOpen);
        }
        if self.delivered_at.is_some() {
            return self.release("auto_confirmed", policy, now, fx);
        }
        if self.not_received_claim_at.is_some() {
            return Err(TransitionError::NotAllowed {
                from: "in a not-received claim",
                event: "ProtectionWindowEnded".into(),
            });
        }
        self.not_received_claim_at = Some(now);
        let due_at = add(now, days(policy.no_scan_proof_days));
        fx.schedule.push(TimerRequest {
            kind: TimerKind::NoScanRefund,
            due_at,
        });
        fx.events
            .push(self.event("order.not_received_claim_opened"));
        Ok(())
    }

    /// Pay the seller: total minus commission to their available balance.
    fn release(
        &mut self,
        reason: &str,
        policy: &Policy,
        now: Timestamp,
        fx: &mut Effects,
    ) -> Result<(), TransitionError> {
        let held = crate::money::Money::new(self.escrow_minor(), self.total.currency);
        let commission = held.basis_points(policy.commission_bps)?;
        let seller_share = held.checked_sub(commission)?;
        fx.entries.push(Entry::split(
            self.header(EntryKind::Release, now),
            self.escrow_account(),
            vec![
                (Account::SellerAvailable(self.store_id), seller_share),
                (Account::PlatformCommission, commission),
            ],
        )?);
        self.released_minor += seller_share.amount_minor;
        self.commission_minor += commission.amount_minor;
        self.close(now, reason);
        fx.unschedule
            .extend([TimerKind::ProtectionEnd, TimerKind::NoScanRefund]);
        fx.events.push(self.event("order.completed"));
        Ok(())
    }

    /// Return everything still in escrow to the card it came from.
    fn refund_all(
        &mut self,
        reason: &str,
        now: Timestamp,
        fx: &mut Effects,
    ) -> Result<(), TransitionError> {
        let held = crate::money::Money::new(self.escrow_minor(), self.total.currency);
        let gateway = self
            .payment
            .as_ref()
            .map(|p| p.gateway.clone())
            .unwrap_or_default();
        fx.entries.push(Entry::transfer(
            self.header(EntryKind::Refund, now),
            self.escrow_account(),
            Account::Gateway(gateway),
            held,
        )?);
        self.refunded_minor += held.amount_minor;
        if self.shipment.is_none() {
            fx.restock = Some(self.quantity);
        }
        self.close(now, reason);
        fx.unschedule.extend([
            TimerKind::ShipBy,
            TimerKind::CancelRequestTimeout,
            TimerKind::ProtectionEnd,
            TimerKind::NoScanRefund,
        ]);
        fx.events.push(self.event("order.refunded"));
        Ok(())
    }

    fn close(&mut self, now: Timestamp, reason: &str) {
        self.closed_at = Some(now);
        self.close_reason = Some(reason.to_string());
        self.cancel_requested_at = None;
    }
}
