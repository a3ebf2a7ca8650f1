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
    /// The seller did not prove delivery after a not-received claim: refund.
    NoScanRefund,
}

impl TimerKind {
    pub const ALL: [TimerKind; 5] = [
        TimerKind::UnpaidExpiry,
        TimerKind::ShipBy,
        TimerKind::CancelRequestTimeout,
        TimerKind::ProtectionEnd,
        TimerKind::NoScanRefund,
    ];

    pub fn as_str(&self) -> &'static str {
        match self {
            TimerKind::UnpaidExpiry => "unpaid_expiry",
            TimerKind::ShipBy => "ship_by",
            TimerKind::CancelRequestTimeout => "cancel_request_timeout",
            TimerKind::ProtectionEnd => "protection_end",
            TimerKind::NoScanRefund => "no_scan_refund",
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
