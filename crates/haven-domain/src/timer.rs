//! Deadline kinds. A timer is a row keyed by (order, kind): scheduling the
//! same kind again moves the deadline instead of adding a second one.

use jiff::Timestamp;
use serde::{Deserialize, Serialize};

#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum TimerKind {
    /// Cancel an order whose payment was never completed.
    UnpaidExpiry,
    /// Cancel and refund an order the seller did not ship in time.
    ShipBy,
    /// Grant a buyer's cancel request the seller ignored.
    CancelRequestTimeout,
    /// The protection window closes: auto-confirm, or open a not-received claim.
    ProtectionEnd,
    /// The promised date: compensate if the parcel has not been delivered.
    OnTimeGuarantee,
    /// The seller's time to answer a dispute ran out: grant the buyer's request.
    DisputeSellerResponse,
    /// A dispute still open at day 15 goes to an agent.
    DisputeAutoEscalate,
    /// Remind the buyer the return must ship soon.
    ReturnWarning,
    /// The return was not shipped in time: the dispute lapses.
    ReturnShipBy,
    /// The seller did not check a delivered return in time: refund.
    ReturnCheck,
    /// The test card network files the chargeback it promised (testcard only).
    SimulatedChargeback,
    /// A release held in the seller's reserve (defect rate above 1 %)
    /// becomes available.
    ReserveRelease,
    /// The blind period of an order's review or buyer rating ends: what is
    /// in is published.
    ReviewPublish,
}

impl TimerKind {
    pub const ALL: [TimerKind; 13] = [
        TimerKind::UnpaidExpiry,
        TimerKind::ShipBy,
        TimerKind::CancelRequestTimeout,
        TimerKind::ProtectionEnd,
        TimerKind::OnTimeGuarantee,
        TimerKind::DisputeSellerResponse,
        TimerKind::DisputeAutoEscalate,
        TimerKind::ReturnWarning,
        TimerKind::ReturnShipBy,
        TimerKind::ReturnCheck,
        TimerKind::SimulatedChargeback,
        TimerKind::ReserveRelease,
        TimerKind::ReviewPublish,
    ];

    /// Deadlines that belong to the order's open dispute.
    pub const DISPUTE: [TimerKind; 5] = [
        TimerKind::DisputeSellerResponse,
        TimerKind::DisputeAutoEscalate,
        TimerKind::ReturnWarning,
        TimerKind::ReturnShipBy,
        TimerKind::ReturnCheck,
    ];

    pub fn as_str(&self) -> &'static str {
        match self {
            TimerKind::UnpaidExpiry => "unpaid_expiry",
            TimerKind::ShipBy => "ship_by",
            TimerKind::CancelRequestTimeout => "cancel_request_timeout",
            TimerKind::ProtectionEnd => "protection_end",
            TimerKind::OnTimeGuarantee => "on_time_guarantee",
            TimerKind::DisputeSellerResponse => "dispute_seller_response",
            TimerKind::DisputeAutoEscalate => "dispute_auto_escalate",
            TimerKind::ReturnWarning => "return_warning",
            TimerKind::ReturnShipBy => "return_ship_by",
            TimerKind::ReturnCheck => "return_check",
            TimerKind::SimulatedChargeback => "simulated_chargeback",
            TimerKind::ReserveRelease => "reserve_release",
            TimerKind::ReviewPublish => "review_publish",
        }
    }

    pub fn parse(raw: &str) -> Option<Self> {
        TimerKind::ALL.into_iter().find(|kind| kind.as_str() == raw)
    }
}

/// A request to (re)arm a deadline for an order.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct TimerRequest {
    pub kind: TimerKind,
    pub due_at: Timestamp,
}
