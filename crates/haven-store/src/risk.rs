//! What the store keeps for payment risk: attempts (the features' source,
//! and the review queue), operator rules with every version, named lists.

use haven_domain::Timestamp;
use haven_domain::ids::{OrderId, UserId};
use serde::{Deserialize, Serialize};

/// One payment attempt that reached scoring.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct RiskAttempt {
    pub id: uuid::Uuid,
    pub at: Timestamp,
    pub buyer_id: UserId,
    /// None for a blocked attempt: no order was created.
    pub order_id: Option<OrderId>,
    pub card_fp: Option<String>,
    pub device_id: Option<String>,
    pub ip: Option<String>,
    /// A normalised digest of the shipping address.
    pub address_key: String,
    pub amount_minor: i64,
    pub currency: String,
    pub outcome: RiskOutcome,
    pub score: i64,
    /// The app's whole assessment (features, reasons, decision) as JSON.
    pub assessment: serde_json::Value,
}

/// Where an attempt ended up.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum RiskOutcome {
    Allowed,
    /// Waiting for the buyer's challenge.
    Verification,
    /// Held for an agent.
    Review,
    Blocked,
    /// The card network declined it.
    Declined,
    /// The buyer never finished (abandoned challenge, expiry).
    Unpaid,
    Approved,
    Refused,
}

impl RiskOutcome {
    pub fn as_str(self) -> &'static str {
        match self {
            RiskOutcome::Allowed => "allowed",
            RiskOutcome::Verification => "verification",
            RiskOutcome::Review => "review",
            RiskOutcome::Blocked => "blocked",
            RiskOutcome::Declined => "declined",
            RiskOutcome::Unpaid => "unpaid",
            RiskOutcome::Approved => "approved",
            RiskOutcome::Refused => "refused",
        }
    }

    pub fn parse(text: &str) -> Option<RiskOutcome> {
        use RiskOutcome::*;
        [
            Allowed,
            Verification,
            Review,
            Blocked,
            Declined,
            Unpaid,
            Approved,
            Refused,
        ]
        .into_iter()
        .find(|o| o.as_str() == text)
    }
}

/// A key attempts are counted by.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum RiskKey {
    Account(UserId),
    Card(String),
    Device(String),
    Ip(String),
    Address(String),
}

/// Attempts with one key before now (see [`crate::Store::risk_key_counts`]).
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct RiskKeyCounts {
    pub last_hour: i64,
    pub last_day: i64,
    /// Declined, blocked or refused in the last day.
    pub failed_last_day: i64,
    /// Cards other than the current one, and accounts other than the
    /// current buyer, seen with this key in the window.
    pub other_cards: i64,
    pub other_accounts: i64,
}

/// The windows counts are taken over, and who is asking.
#[derive(Debug, Clone)]
pub struct RiskWindow {
    pub hour_ago: Timestamp,
    pub day_ago: Timestamp,
    pub month_ago: Timestamp,
    pub buyer_id: UserId,
    pub card_fp: Option<String>,
}

/// What [`crate::Store::risk_payment_counts`] is asked: the window (with
/// the buyer and the card) and the payment's other keys.
#[derive(Debug, Clone)]
pub struct RiskCountsRequest {
    pub window: RiskWindow,
    pub address_key: String,
    pub device_id: Option<String>,
    pub ip: Option<String>,
    /// The currency the buyer's paid history is summed in.
    pub currency: String,
}

/// Everything a payment's score reads from the store. A key the payment
/// lacks (no card fingerprint, device or IP) reads as zero counts.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct RiskPaymentCounts {
    pub account: RiskKeyCounts,
    pub card: RiskKeyCounts,
    pub address: RiskKeyCounts,
    pub device: RiskKeyCounts,
    pub ip: RiskKeyCounts,
    /// The buyer's paid attempts among their latest 100, and their sum.
    pub paid_history: (i64, i64),
    /// The buyer used this device before (among its latest 500 attempts).
    pub device_seen: bool,
}

/// An account that shares a key with an attempt (for the review queue).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct LinkedAccount {
    pub buyer_id: UserId,
    /// `device`, `card`, `ip` or `address`.
    pub via: String,
    pub attempts: i64,
}

/// One version of an operator rule.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct RiskRule {
    pub id: String,
    pub version: i64,
    pub name: String,
    pub action: String,
    pub expression: String,
    pub enabled: bool,
    pub updated_at: Timestamp,
    pub updated_by: Option<UserId>,
}

/// Save a rule: a new one (`expected_version: None`) or the next version
/// of one (compare-and-swap on its version). Every version is kept.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct RiskRuleWrite {
    pub rule: RiskRule,
    pub expected_version: Option<i64>,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct RiskListEntry {
    pub name: String,
    pub value: String,
    pub added_at: Timestamp,
    pub added_by: Option<UserId>,
}

/// Save a store's enforcement record: the first one (`expected_version:
/// None`) or the next version of it (compare-and-swap).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct EnforcementWrite {
    pub record: haven_domain::enforcement::StoreEnforcement,
    pub expected_version: Option<i64>,
    pub at: Timestamp,
}
