//! Seller enforcement: what a store's record says about it, and what
//! follows. Pure: the store counts, this decides.
//!
//! - **Order defect rate** over the last 60 days: disputes the seller lost
//!   (resolved with money back to the buyer), chargebacks, and (once
//!   reviews exist) 1-2 star reviews, over the store's paid orders.
//! - **Strikes**: confirmed counterfeits, fake tracking, brushing.
//! - Levels: above 1 % defects, releases go to the reserve for the
//!   policy's hold; 3 strikes suspend the store (listings hidden, new
//!   orders refused; existing orders complete or refund as usual).
//! - A granted appeal forgives what was counted up to then; only what
//!   happens after it counts again.

use serde::{Deserialize, Serialize};

use crate::Timestamp;
use crate::ids::StoreId;

pub const ODR_WINDOW_DAYS: i64 = 60;
/// 1 %, in basis points.
pub const ODR_LIMIT_BPS: i64 = 100;
pub const STRIKES_TO_SUSPEND: i64 = 3;
/// Changes kept in a store's enforcement history.
pub const MAX_HISTORY: usize = 100;

/// What the store counted for one seller.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct SellerMetrics {
    /// Paid orders created in the window.
    pub orders: i64,
    pub disputes_lost: i64,
    pub chargebacks: i64,
    pub low_ratings: i64,
    /// Strikes ever (the appeal's forgiveness is applied by [`assess`]).
    pub strikes: i64,
}

impl SellerMetrics {
    pub fn defects(&self) -> i64 {
        self.disputes_lost + self.chargebacks + self.low_ratings
    }

    /// Defects per 10,000 orders.
    pub fn defect_rate_bps(&self) -> i64 {
        if self.orders <= 0 {
            return 0;
        }
        self.defects().saturating_mul(10_000) / self.orders
    }
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum EnforcementLevel {
    Good,
    /// Releases go to the reserve and are paid out after the hold.
    Reserve,
    /// Listings hidden, new orders refused.
    Suspended,
}

impl EnforcementLevel {
    pub fn as_str(self) -> &'static str {
        match self {
            EnforcementLevel::Good => "good",
            EnforcementLevel::Reserve => "reserve",
            EnforcementLevel::Suspended => "suspended",
        }
    }

    /// The level in words, for the console.
    pub fn label(self) -> &'static str {
        match self {
            EnforcementLevel::Good => "In good standing",
            EnforcementLevel::Reserve => "Releases held in reserve",
            EnforcementLevel::Suspended => "Suspended",
        }
    }
}

/// One change of level, kept on the record: the audit of enforcement.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct EnforcementChange {
    pub at: Timestamp,
    pub level: EnforcementLevel,
    /// `system`, or the agent who decided an appeal.
    pub by: String,
    pub reasons: Vec<String>,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Appeal {
    pub text: String,
    pub at: Timestamp,
}

/// A store's enforcement record.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct StoreEnforcement {
    pub store_id: StoreId,
    pub level: EnforcementLevel,
    pub reasons: Vec<String>,
    pub since: Timestamp,
    /// An appeal waiting for an agent.
    pub appeal: Option<Appeal>,
    /// Strikes a granted appeal forgave.
    pub forgiven_strikes: i64,
    /// Defects before this time were forgiven by a granted appeal.
    pub defects_forgiven_before: Option<Timestamp>,
    pub history: Vec<EnforcementChange>,
    /// Set by confirmed fake tracking: every release goes to the reserve
    /// and stays there until an agent grants the store's appeal.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub releases_frozen: Option<ReleaseFreeze>,
}

/// Why and since when a store's releases are frozen.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct ReleaseFreeze {
    pub reason: String,
    pub at: Timestamp,
    /// The agent who confirmed it.
    pub by: String,
}

impl StoreEnforcement {
    pub fn new(store_id: StoreId, now: Timestamp) -> StoreEnforcement {
        StoreEnforcement {
            store_id,
            level: EnforcementLevel::Good,
            reasons: Vec::new(),
            since: now,
            appeal: None,
            forgiven_strikes: 0,
            defects_forgiven_before: None,
            history: Vec::new(),
            releases_frozen: None,
        }
    }

    /// The level this record's metrics call for: [`assess`], except that
    /// frozen releases keep the store in the reserve at least.
    pub fn assess(&self, metrics: &SellerMetrics) -> (EnforcementLevel, Vec<String>) {
        let (level, mut reasons) = assess(metrics, self.forgiven_strikes);
        let Some(freeze) = &self.releases_frozen else {
            return (level, reasons);
        };
        reasons.push(format!(
            "releases frozen since {}: {} (until an agent grants an appeal)",
            freeze.at.strftime("%Y-%m-%d"),
            freeze.reason
        ));
        match level {
            EnforcementLevel::Good => (EnforcementLevel::Reserve, reasons),
            other => (other, reasons),
        }
    }

    /// Move to `level` for `reasons`, recording the change.
    pub fn set(&mut self, level: EnforcementLevel, reasons: Vec<String>, by: &str, now: Timestamp) {
        self.level = level;
        self.reasons = reasons.clone();
        self.since = now;
        self.history.push(EnforcementChange {
            at: now,
            level,
            by: by.into(),
            reasons,
        });
        if self.history.len() > MAX_HISTORY {
            let excess = self.history.len() - MAX_HISTORY;
            self.history.drain(..excess);
        }
    }

    /// A granted appeal: back to good standing, forgiving what counted.
    pub fn grant_appeal(&mut self, strikes: i64, agent: &str, note: &str, now: Timestamp) {
        self.forgiven_strikes = strikes;
        self.defects_forgiven_before = Some(now);
        self.appeal = None;
        self.releases_frozen = None;
        let reason = if note.trim().is_empty() {
            "appeal granted".to_string()
        } else {
            format!("appeal granted: {}", note.trim())
        };
        self.set(EnforcementLevel::Good, vec![reason], agent, now);
    }
}

/// The level a store's metrics call for, with the reasons in words.
pub fn assess(metrics: &SellerMetrics, forgiven_strikes: i64) -> (EnforcementLevel, Vec<String>) {
    let strikes = (metrics.strikes - forgiven_strikes).max(0);
    if strikes >= STRIKES_TO_SUSPEND {
        return (
            EnforcementLevel::Suspended,
            vec![format!(
                "{strikes} strikes (confirmed counterfeit, fake tracking or fake reviews); \
                 {STRIKES_TO_SUSPEND} suspend a store"
            )],
        );
    }
    let rate = metrics.defect_rate_bps();
    if rate > ODR_LIMIT_BPS {
        return (
            EnforcementLevel::Reserve,
            vec![format!(
                "order defect rate {}.{:02} % over {ODR_WINDOW_DAYS} days ({} of {} orders: {} disputes lost, {} chargebacks, {} low ratings); above 1 % releases wait in reserve",
                rate / 100,
                rate % 100,
                metrics.defects(),
                metrics.orders,
                metrics.disputes_lost,
                metrics.chargebacks,
                metrics.low_ratings
            )],
        );
    }
    (EnforcementLevel::Good, Vec::new())
}

#[cfg(test)]
mod tests {
    use super::*;

    fn metrics(orders: i64, lost: i64, chargebacks: i64, strikes: i64) -> SellerMetrics {
        SellerMetrics {
            orders,
            disputes_lost: lost,
            chargebacks,
            low_ratings: 0,
            strikes,
        }
    }

    #[test]
    fn frozen_releases_keep_a_store_in_reserve_until_an_appeal_is_granted() {
        let now = Timestamp::from_second(1_800_000_000).unwrap();
        let mut record = StoreEnforcement::new(StoreId::new(), now);
        let clean = metrics(500, 0, 0, 1);
        assert_eq!(record.assess(&clean).0, EnforcementLevel::Good);
        record.releases_frozen = Some(ReleaseFreeze {
            reason: "confirmed fake tracking".into(),
            at: now,
            by: "agent".into(),
        });
        let (level, reasons) = record.assess(&clean);
        assert_eq!(level, EnforcementLevel::Reserve);
        assert!(
            reasons[0].contains("confirmed fake tracking"),
            "{reasons:?}"
        );
        assert_eq!(
            record.assess(&metrics(500, 0, 0, 3)).0,
            EnforcementLevel::Suspended,
            "suspension still wins"
        );
        record.grant_appeal(1, "agent", "", now);
        assert_eq!(record.assess(&clean).0, EnforcementLevel::Good);
    }

    #[test]
    fn a_clean_record_is_in_good_standing() {
        assert_eq!(
            assess(&metrics(500, 5, 0, 2), 0).0,
            EnforcementLevel::Good,
            "exactly 1 % is not above it"
        );
        assert_eq!(assess(&metrics(0, 0, 0, 0), 0).0, EnforcementLevel::Good);
    }

    #[test]
    fn defects_above_one_percent_route_releases_to_reserve() {
        let (level, reasons) = assess(&metrics(500, 4, 2, 0), 0);
        assert_eq!(level, EnforcementLevel::Reserve);
        assert!(reasons[0].contains("1.20 %"), "{reasons:?}");
        assert!(
            reasons[0].contains("4 disputes lost, 2 chargebacks"),
            "{reasons:?}"
        );
    }

    #[test]
    fn three_strikes_suspend_and_a_granted_appeal_forgives_them() {
        let (level, reasons) = assess(&metrics(10, 0, 0, 3), 0);
        assert_eq!(level, EnforcementLevel::Suspended);
        assert!(reasons[0].starts_with("3 strikes"));
        assert_eq!(assess(&metrics(10, 0, 0, 3), 3).0, EnforcementLevel::Good);
        assert_eq!(
            assess(&metrics(10, 0, 0, 6), 3).0,
            EnforcementLevel::Suspended
        );
    }

    #[test]
    fn the_history_keeps_every_change_up_to_its_bound() {
        let now = crate::clock::from_ms(0);
        let mut record = StoreEnforcement::new(StoreId::new(), now);
        for _ in 0..(MAX_HISTORY + 5) {
            record.set(EnforcementLevel::Reserve, vec!["r".into()], "system", now);
        }
        assert_eq!(record.history.len(), MAX_HISTORY);
        record.grant_appeal(3, "agent", "proof accepted", now);
        assert_eq!(record.level, EnforcementLevel::Good);
        assert_eq!(record.forgiven_strikes, 3);
        assert_eq!(
            record.history.last().unwrap().reasons[0],
            "appeal granted: proof accepted"
        );
    }
}
