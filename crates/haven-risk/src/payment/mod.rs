//! Payment risk: the features of one payment attempt, the score (0-99,
//! with reasons a person can read) and the operator's CEL rules that turn
//! score and features into a decision.
//!
//! Everything here is pure. The app reads the counts from the store (so
//! they hold across restarts and nodes), builds [`PaymentFeatures`], and
//! asks [`score`] and [`rules::RuleSet::decide`] what to do.

pub mod disposable;
pub mod rules;
mod score;

pub use score::{Reason, RiskScore, score};

use serde::{Deserialize, Serialize};

/// What the store counted for one key (an account, card, device, IP or
/// shipping address) before this attempt.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct KeyCounts {
    pub last_hour: u32,
    pub last_day: u32,
    /// Attempts declined by the card network or blocked, in the last day.
    pub failed_last_day: u32,
    /// Cards other than this payment's, and accounts other than this
    /// buyer, seen with this key in the last 30 days.
    pub distinct_cards_30d: u32,
    pub distinct_accounts_30d: u32,
}

/// The account's earlier payments that went through.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct PaidHistory {
    pub paid_count: u32,
    pub paid_total_minor: i64,
}

/// Everything the app knows about an attempt, before it becomes features.
#[derive(Debug, Clone, Default)]
pub struct AttemptFacts {
    pub amount_minor: i64,
    pub currency: String,
    pub account_age_s: i64,
    pub email_domain: String,
    pub card_fingerprint: Option<String>,
    pub card_bin: Option<String>,
    pub card_country: Option<String>,
    pub ip: Option<String>,
    pub ip_country: Option<String>,
    pub shipping_country: String,
    pub device_id: Option<String>,
    pub account: KeyCounts,
    pub card: Option<KeyCounts>,
    pub device: Option<KeyCounts>,
    pub ip_counts: Option<KeyCounts>,
    pub address: KeyCounts,
    pub history: PaidHistory,
    /// Has this account paid from this device before? `None` without a
    /// device id.
    pub device_seen_before: Option<bool>,
    /// Other accounts that redeemed a coupon this payment uses, from the
    /// same device, card or address (coupon farming). `None` without a
    /// coupon.
    pub coupon_shared_accounts: Option<u32>,
}

/// The attributes rules see (besides `risk_score`), flat and named as in
/// [`ATTRIBUTES`]. `None` is *missing*: a rule comparing it never fires.
/// Velocity and distinct counts include this attempt (its card, its buyer).
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
pub struct PaymentFeatures {
    pub amount_minor: i64,
    pub currency: String,
    pub account_age_hours: i64,
    pub account_paid_orders: i64,
    pub amount_to_average_pct: Option<i64>,
    pub account_payments_1h: i64,
    pub account_payments_24h: i64,
    pub account_failed_24h: i64,
    pub account_cards_30d: i64,
    pub card_payments_1h: Option<i64>,
    pub card_payments_24h: Option<i64>,
    pub card_failed_24h: Option<i64>,
    pub card_accounts_30d: Option<i64>,
    pub device_payments_1h: Option<i64>,
    pub device_payments_24h: Option<i64>,
    pub device_failed_24h: Option<i64>,
    pub device_cards_30d: Option<i64>,
    pub device_accounts_30d: Option<i64>,
    pub ip_payments_1h: Option<i64>,
    pub ip_payments_24h: Option<i64>,
    pub ip_accounts_30d: Option<i64>,
    pub address_payments_1h: i64,
    pub address_payments_24h: i64,
    pub card_country: Option<String>,
    pub ip_country: Option<String>,
    pub shipping_country: String,
    pub card_ip_country_mismatch: Option<bool>,
    pub card_shipping_country_mismatch: Option<bool>,
    pub ip_shipping_country_mismatch: Option<bool>,
    pub is_new_device: Option<bool>,
    pub is_disposable_email: bool,
    pub email_domain: String,
    pub device_id: Option<String>,
    pub ip: Option<String>,
    pub card_fingerprint: Option<String>,
    pub card_bin: Option<String>,
    #[serde(default)]
    pub coupon_shared_accounts: Option<i64>,
}

/// The type of an attribute, for validation and the console's help.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "lowercase")]
pub enum AttributeType {
    Int,
    Bool,
    String,
}

/// Every attribute a rule may name, with its type and meaning.
pub const ATTRIBUTES: &[(&str, AttributeType, &str)] = &[
    (
        "risk_score",
        AttributeType::Int,
        "the payment's risk score, 0-99",
    ),
    (
        "amount_minor",
        AttributeType::Int,
        "the amount charged, in minor units",
    ),
    ("currency", AttributeType::String, "ISO 4217 code"),
    (
        "account_age_hours",
        AttributeType::Int,
        "hours since the buyer registered",
    ),
    (
        "account_paid_orders",
        AttributeType::Int,
        "the buyer's earlier payments that went through",
    ),
    (
        "amount_to_average_pct",
        AttributeType::Int,
        "this amount as a percentage of the buyer's average paid amount (missing without history)",
    ),
    (
        "account_payments_1h",
        AttributeType::Int,
        "payment attempts by this account in the last hour",
    ),
    (
        "account_payments_24h",
        AttributeType::Int,
        "payment attempts by this account in the last 24 hours",
    ),
    (
        "account_failed_24h",
        AttributeType::Int,
        "declined or blocked attempts by this account in the last 24 hours",
    ),
    (
        "account_cards_30d",
        AttributeType::Int,
        "different cards this account used in 30 days",
    ),
    (
        "card_payments_1h",
        AttributeType::Int,
        "attempts with this card in the last hour",
    ),
    (
        "card_payments_24h",
        AttributeType::Int,
        "attempts with this card in the last 24 hours",
    ),
    (
        "card_failed_24h",
        AttributeType::Int,
        "declined or blocked attempts with this card in 24 hours",
    ),
    (
        "card_accounts_30d",
        AttributeType::Int,
        "different accounts that used this card in 30 days",
    ),
    (
        "device_payments_1h",
        AttributeType::Int,
        "attempts from this device in the last hour",
    ),
    (
        "device_payments_24h",
        AttributeType::Int,
        "attempts from this device in the last 24 hours",
    ),
    (
        "device_failed_24h",
        AttributeType::Int,
        "declined or blocked attempts from this device in 24 hours",
    ),
    (
        "device_cards_30d",
        AttributeType::Int,
        "different cards used from this device in 30 days",
    ),
    (
        "device_accounts_30d",
        AttributeType::Int,
        "different accounts that paid from this device in 30 days",
    ),
    (
        "coupon_shared_accounts",
        AttributeType::Int,
        "other accounts that used a coupon of this payment from the same device, card or address",
    ),
    (
        "ip_payments_1h",
        AttributeType::Int,
        "attempts from this IP address in the last hour",
    ),
    (
        "ip_payments_24h",
        AttributeType::Int,
        "attempts from this IP address in the last 24 hours",
    ),
    (
        "ip_accounts_30d",
        AttributeType::Int,
        "different accounts that paid from this IP in 30 days",
    ),
    (
        "address_payments_1h",
        AttributeType::Int,
        "attempts shipping to this address in the last hour",
    ),
    (
        "address_payments_24h",
        AttributeType::Int,
        "attempts shipping to this address in the last 24 hours",
    ),
    (
        "card_country",
        AttributeType::String,
        "the card issuer's country (from the BIN)",
    ),
    (
        "ip_country",
        AttributeType::String,
        "the country of the buyer's IP address",
    ),
    (
        "shipping_country",
        AttributeType::String,
        "the shipping address's country",
    ),
    (
        "card_ip_country_mismatch",
        AttributeType::Bool,
        "card and IP countries differ",
    ),
    (
        "card_shipping_country_mismatch",
        AttributeType::Bool,
        "card and shipping countries differ",
    ),
    (
        "ip_shipping_country_mismatch",
        AttributeType::Bool,
        "IP and shipping countries differ",
    ),
    (
        "is_new_device",
        AttributeType::Bool,
        "the buyer has paid before, never from this device",
    ),
    (
        "is_disposable_email",
        AttributeType::Bool,
        "the buyer's email is at a throwaway domain",
    ),
    (
        "email_domain",
        AttributeType::String,
        "the domain of the buyer's email",
    ),
    ("device_id", AttributeType::String, "the device identifier"),
    ("ip", AttributeType::String, "the client IP address"),
    (
        "card_fingerprint",
        AttributeType::String,
        "a stable, non-reversible id of the card",
    ),
    (
        "card_bin",
        AttributeType::String,
        "the card's first six digits",
    ),
];

/// Attribute values as rules see them.
#[derive(Debug, Clone, PartialEq)]
pub enum AttributeValue {
    Int(i64),
    Bool(bool),
    String(String),
}

fn ratio_pct(amount_minor: i64, history: PaidHistory) -> Option<i64> {
    if history.paid_count == 0 || history.paid_total_minor <= 0 {
        return None;
    }
    let average = history.paid_total_minor / i64::from(history.paid_count);
    (average > 0).then(|| amount_minor.saturating_mul(100) / average)
}

fn differ(a: &Option<String>, b: &Option<String>) -> Option<bool> {
    Some(a.as_ref()? != b.as_ref()?)
}

/// This attempt counts too: the store's counts are of the attempts before.
fn plus_one(count: u32) -> i64 {
    i64::from(count) + 1
}

impl PaymentFeatures {
    pub fn from_facts(facts: &AttemptFacts) -> PaymentFeatures {
        let shipping = Some(facts.shipping_country.clone());
        let card = facts.card;
        let device = facts.device;
        let ip = facts.ip_counts;
        PaymentFeatures {
            amount_minor: facts.amount_minor,
            currency: facts.currency.clone(),
            account_age_hours: facts.account_age_s.max(0) / 3600,
            account_paid_orders: i64::from(facts.history.paid_count),
            amount_to_average_pct: ratio_pct(facts.amount_minor, facts.history),
            account_payments_1h: plus_one(facts.account.last_hour),
            account_payments_24h: plus_one(facts.account.last_day),
            account_failed_24h: i64::from(facts.account.failed_last_day),
            account_cards_30d: i64::from(facts.account.distinct_cards_30d) + 1,
            card_payments_1h: card.map(|c| plus_one(c.last_hour)),
            card_payments_24h: card.map(|c| plus_one(c.last_day)),
            card_failed_24h: card.map(|c| i64::from(c.failed_last_day)),
            card_accounts_30d: card.map(|c| i64::from(c.distinct_accounts_30d) + 1),
            device_payments_1h: device.map(|c| plus_one(c.last_hour)),
            device_payments_24h: device.map(|c| plus_one(c.last_day)),
            device_failed_24h: device.map(|c| i64::from(c.failed_last_day)),
            device_cards_30d: device.map(|c| i64::from(c.distinct_cards_30d) + 1),
            device_accounts_30d: device.map(|c| i64::from(c.distinct_accounts_30d) + 1),
            ip_payments_1h: ip.map(|c| plus_one(c.last_hour)),
            ip_payments_24h: ip.map(|c| plus_one(c.last_day)),
            ip_accounts_30d: ip.map(|c| i64::from(c.distinct_accounts_30d) + 1),
            address_payments_1h: plus_one(facts.address.last_hour),
            address_payments_24h: plus_one(facts.address.last_day),
            card_ip_country_mismatch: differ(&facts.card_country, &facts.ip_country),
            card_shipping_country_mismatch: differ(&facts.card_country, &shipping),
            ip_shipping_country_mismatch: differ(&facts.ip_country, &shipping),
            card_country: facts.card_country.clone(),
            ip_country: facts.ip_country.clone(),
            shipping_country: facts.shipping_country.clone(),
            is_new_device: facts
                .device_seen_before
                .map(|seen| !seen && facts.history.paid_count > 0),
            is_disposable_email: disposable::is_disposable(&facts.email_domain),
            email_domain: facts.email_domain.clone(),
            device_id: facts.device_id.clone(),
            ip: facts.ip.clone(),
            card_fingerprint: facts.card_fingerprint.clone(),
            card_bin: facts.card_bin.clone(),
            coupon_shared_accounts: facts.coupon_shared_accounts.map(i64::from),
        }
    }

    /// The attributes present, by name (missing ones are left out), with
    /// the score.
    pub fn attributes(&self, risk_score: u8) -> Vec<(&'static str, AttributeValue)> {
        use AttributeValue as V;
        let int = |name, v: Option<i64>| v.map(|v| (name, V::Int(v)));
        let boolean = |name, v: Option<bool>| v.map(|v| (name, V::Bool(v)));
        let text = |name, v: Option<&String>| v.map(|v| (name, V::String(v.clone())));
        [
            int("risk_score", Some(i64::from(risk_score))),
            int("amount_minor", Some(self.amount_minor)),
            text("currency", Some(&self.currency)),
            int("account_age_hours", Some(self.account_age_hours)),
            int("account_paid_orders", Some(self.account_paid_orders)),
            int("amount_to_average_pct", self.amount_to_average_pct),
            int("account_payments_1h", Some(self.account_payments_1h)),
            int("account_payments_24h", Some(self.account_payments_24h)),
            int("account_failed_24h", Some(self.account_failed_24h)),
            int("account_cards_30d", Some(self.account_cards_30d)),
            int("card_payments_1h", self.card_payments_1h),
            int("card_payments_24h", self.card_payments_24h),
            int("card_failed_24h", self.card_failed_24h),
            int("card_accounts_30d", self.card_accounts_30d),
            int("device_payments_1h", self.device_payments_1h),
            int("device_payments_24h", self.device_payments_24h),
            int("device_failed_24h", self.device_failed_24h),
            int("device_cards_30d", self.device_cards_30d),
            int("device_accounts_30d", self.device_accounts_30d),
            int("coupon_shared_accounts", self.coupon_shared_accounts),
            int("ip_payments_1h", self.ip_payments_1h),
            int("ip_payments_24h", self.ip_payments_24h),
            int("ip_accounts_30d", self.ip_accounts_30d),
            int("address_payments_1h", Some(self.address_payments_1h)),
            int("address_payments_24h", Some(self.address_payments_24h)),
            text("card_country", self.card_country.as_ref()),
            text("ip_country", self.ip_country.as_ref()),
            text("shipping_country", Some(&self.shipping_country)),
            boolean("card_ip_country_mismatch", self.card_ip_country_mismatch),
            boolean(
                "card_shipping_country_mismatch",
                self.card_shipping_country_mismatch,
            ),
            boolean(
                "ip_shipping_country_mismatch",
                self.ip_shipping_country_mismatch,
            ),
            boolean("is_new_device", self.is_new_device),
            boolean("is_disposable_email", Some(self.is_disposable_email)),
            text("email_domain", Some(&self.email_domain)),
            text("device_id", self.device_id.as_ref()),
            text("ip", self.ip.as_ref()),
            text("card_fingerprint", self.card_fingerprint.as_ref()),
            text("card_bin", self.card_bin.as_ref()),
        ]
        .into_iter()
        .flatten()
        .collect()
    }
}
