//! Marketplace policy. Every number is a default the operator may change; an
//! order keeps the policy version it was sold under, so a later change never
//! rewrites an existing order's deadlines.

use serde::{Deserialize, Serialize};

/// Identifies one stored policy snapshot.
pub type PolicyVersion = i64;

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(default, deny_unknown_fields)]
pub struct Policy {
    /// An order not paid within this many minutes is cancelled.
    pub unpaid_expiry_minutes: i64,
    /// Bounds and default for a listing's ship-by days.
    pub ship_by_days_min: u32,
    pub ship_by_days_max: u32,
    pub ship_by_days_default: u32,
    /// A buyer's cancel request is granted if the seller stays silent this long.
    pub cancel_request_timeout_hours: i64,
    /// The protection window ends this many days after a delivery scan...
    pub protection_days_after_delivery: i64,
    /// ...or, without a scan, this many days after the promised date.
    pub protection_days_after_promised: i64,
    /// After an automatic not-received claim, the seller has this long to prove delivery.
    pub no_scan_proof_days: i64,
    /// Commission on item price plus shipping, taken on release.
    pub commission_bps: u32,
    /// On-time guarantee compensation and its floor.
    pub guarantee_bps: u32,
    pub guarantee_min_minor: i64,
    /// Hold on releases for sellers under enforcement.
    pub reserve_hold_days: i64,
    /// Disputes: the seller must answer within this many days (silence grants the request).
    pub dispute_seller_response_days: i64,
    /// The buyer may escalate to the platform from this day of the dispute.
    pub dispute_buyer_escalate_after_days: i64,
    /// A dispute still open this many days after opening escalates by itself.
    pub dispute_auto_escalate_days: i64,
    /// Return and refund: the buyer ships the return within this many days...
    pub return_ship_days: i64,
    /// ...and is warned this many days in.
    pub return_warning_days: i64,
    /// The seller confirms or contests a delivered return within this many days.
    pub return_check_days: i64,
}

impl Default for Policy {
    fn default() -> Self {
        Policy {
            unpaid_expiry_minutes: 30,
            ship_by_days_min: 1,
            ship_by_days_max: 10,
            ship_by_days_default: 5,
            cancel_request_timeout_hours: 48,
            protection_days_after_delivery: 15,
            protection_days_after_promised: 15,
            no_scan_proof_days: 5,
            commission_bps: 800,
            guarantee_bps: 1_000,
            guarantee_min_minor: 100,
            reserve_hold_days: 14,
            dispute_seller_response_days: 5,
            dispute_buyer_escalate_after_days: 3,
            dispute_auto_escalate_days: 15,
            return_ship_days: 10,
            return_warning_days: 7,
            return_check_days: 5,
        }
    }
}

#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("invalid policy: {0}")]
pub struct PolicyError(pub String);

impl Policy {
    /// Reject policies that would break invariants (a commission above 100 %,
    /// a window of zero days, ship-by bounds the wrong way round).
    pub fn validate(&self) -> Result<(), PolicyError> {
        let fail = |why: &str| Err(PolicyError(why.to_string()));
        if self.commission_bps > 10_000 || self.guarantee_bps > 10_000 {
            return fail("basis points must be at most 10000");
        }
        if !(1..=self.ship_by_days_max).contains(&self.ship_by_days_min)
            || !(self.ship_by_days_min..=self.ship_by_days_max).contains(&self.ship_by_days_default)
        {
            return fail("ship-by days must satisfy 1 <= min <= default <= max");
        }
        const MAX_DAYS: i64 = 3_650;
        let in_range = |value: i64, max: i64| (1..=max).contains(&value);
        let days = [
            self.protection_days_after_delivery,
            self.protection_days_after_promised,
            self.no_scan_proof_days,
            self.dispute_seller_response_days,
            self.dispute_auto_escalate_days,
            self.return_ship_days,
            self.return_check_days,
        ];
        if !days.iter().all(|d| in_range(*d, MAX_DAYS))
            || !in_range(self.cancel_request_timeout_hours, MAX_DAYS * 24)
            || !in_range(self.unpaid_expiry_minutes, MAX_DAYS * 24 * 60)
            || !(0..=MAX_DAYS).contains(&self.reserve_hold_days)
        {
            return fail("durations must be positive and at most ten years, each in its own unit");
        }
        if self.dispute_buyer_escalate_after_days < 0
            || self.dispute_buyer_escalate_after_days > self.dispute_auto_escalate_days
            || !(1..self.return_ship_days).contains(&self.return_warning_days)
        {
            return fail("escalation and return-warning days must fall inside their windows");
        }
        if self.guarantee_min_minor < 0 || self.reserve_hold_days < 0 {
            return fail("amounts and holds must not be negative");
        }
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn default_policy_is_valid_and_matches_brief() {
        let policy = Policy::default();
        policy.validate().unwrap();
        assert_eq!(policy.commission_bps, 800);
        assert_eq!(policy.protection_days_after_delivery, 15);
    }

    #[test]
    fn rejects_nonsense() {
        let policy = Policy {
            commission_bps: 10_001,
            ..Policy::default()
        };
        assert!(policy.validate().is_err());
        let policy = Policy {
            ship_by_days_default: 11,
            ..Policy::default()
        };
        assert!(policy.validate().is_err());
    }
}
