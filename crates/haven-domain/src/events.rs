//! The business events Haven publishes: a closed, documented list. Each is
//! written to the outbox in the same transaction as the change it reports,
//! and is what `GET /api/v1/events` serves and webhooks deliver. Nothing
//! else goes to the outbox: emails and gateway calls are commands, with
//! their own table, because they carry secrets or are internal work.
//!
//! The payloads are small and typed per family (see docs/API.md):
//! - `order.*`: `order_id`, `state`, `buyer_id`, `store_id`, `listing_id`,
//!   `total` (and `amount` for `chargeback.opened`);
//! - `listing.*`: `listing_id`, `store_id`, `held`;
//! - `dispute.*`: `dispute_id`, `order_id`, `state`, `reason`, `buyer_id`,
//!   `store_id`;
//! - `payout.requested`: `payout_id`, `store_id`, `amount`, `state`;
//! - `security.*`: `user_id` and `ip` (new device), or `ip` and
//!   `accounts_tried` (credential stuffing).

use serde::{Deserialize, Serialize};

#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
pub enum EventType {
    #[serde(rename = "order.paid")]
    OrderPaid,
    #[serde(rename = "order.cancelled")]
    OrderCancelled,
    #[serde(rename = "order.shipped")]
    OrderShipped,
    #[serde(rename = "order.cancel_requested")]
    OrderCancelRequested,
    #[serde(rename = "order.cancel_declined")]
    OrderCancelDeclined,
    #[serde(rename = "order.delivered")]
    OrderDelivered,
    #[serde(rename = "order.not_received_claim_opened")]
    OrderNotReceivedClaimOpened,
    #[serde(rename = "order.completed")]
    OrderCompleted,
    #[serde(rename = "order.refunded")]
    OrderRefunded,
    /// The on-time guarantee paid the buyer a credit (`credit` added).
    #[serde(rename = "guarantee.compensated")]
    GuaranteeCompensated,
    #[serde(rename = "chargeback.opened")]
    ChargebackOpened,
    #[serde(rename = "dispute.opened")]
    DisputeOpened,
    #[serde(rename = "dispute.updated")]
    DisputeUpdated,
    #[serde(rename = "dispute.escalated")]
    DisputeEscalated,
    #[serde(rename = "dispute.resolved")]
    DisputeResolved,
    #[serde(rename = "payout.requested")]
    PayoutRequested,
    /// The bank confirmed a payout (`payout_id`, `store_id`, `amount`,
    /// `bank_reference`).
    #[serde(rename = "payout.paid")]
    PayoutPaid,
    #[serde(rename = "security.new_device_login")]
    SecurityNewDeviceLogin,
    #[serde(rename = "security.credential_stuffing")]
    SecurityCredentialStuffing,
    /// The payment went through but fraud checks hold the order for an
    /// agent: the seller must not ship yet.
    #[serde(rename = "order.held_for_review")]
    OrderHeldForReview,
    /// An agent released a held order: the seller may ship.
    #[serde(rename = "order.review_approved")]
    OrderReviewApproved,
    /// A store's enforcement level changed (reserve, suspension, appeal).
    #[serde(rename = "store.enforcement_changed")]
    StoreEnforcementChanged,
    /// A review became public (both sides in, or the blind period over).
    #[serde(rename = "review.published")]
    ReviewPublished,
    /// Review integrity removed reviews from a store's scores (brushing),
    /// or an agent reversed that.
    #[serde(rename = "review.integrity_changed")]
    ReviewIntegrityChanged,
    /// A listing went on sale (`listing_id`, `store_id`).
    #[serde(rename = "listing.created")]
    ListingCreated,
    /// Trust and safety held a listing or released it (`held`).
    #[serde(rename = "listing.updated")]
    ListingUpdated,
    /// A store owner's verification level changed (identity approved, email
    /// confirmed or changed): the Verified badge may appear or go
    /// (`store_id`, `verification`).
    #[serde(rename = "store.verification_changed")]
    StoreVerificationChanged,
}

impl EventType {
    pub const ALL: [EventType; 27] = [
        EventType::OrderPaid,
        EventType::OrderCancelled,
        EventType::OrderShipped,
        EventType::OrderCancelRequested,
        EventType::OrderCancelDeclined,
        EventType::OrderDelivered,
        EventType::OrderNotReceivedClaimOpened,
        EventType::OrderCompleted,
        EventType::OrderRefunded,
        EventType::GuaranteeCompensated,
        EventType::ChargebackOpened,
        EventType::DisputeOpened,
        EventType::DisputeUpdated,
        EventType::DisputeEscalated,
        EventType::DisputeResolved,
        EventType::PayoutRequested,
        EventType::PayoutPaid,
        EventType::SecurityNewDeviceLogin,
        EventType::SecurityCredentialStuffing,
        EventType::OrderHeldForReview,
        EventType::OrderReviewApproved,
        EventType::StoreEnforcementChanged,
        EventType::ReviewPublished,
        EventType::ReviewIntegrityChanged,
        EventType::ListingCreated,
        EventType::ListingUpdated,
        EventType::StoreVerificationChanged,
    ];

    pub fn as_str(&self) -> &'static str {
        match self {
            EventType::OrderPaid => "order.paid",
            EventType::OrderCancelled => "order.cancelled",
            EventType::OrderShipped => "order.shipped",
            EventType::OrderCancelRequested => "order.cancel_requested",
            EventType::OrderCancelDeclined => "order.cancel_declined",
            EventType::OrderDelivered => "order.delivered",
            EventType::OrderNotReceivedClaimOpened => "order.not_received_claim_opened",
            EventType::OrderCompleted => "order.completed",
            EventType::OrderRefunded => "order.refunded",
            EventType::GuaranteeCompensated => "guarantee.compensated",
            EventType::ChargebackOpened => "chargeback.opened",
            EventType::DisputeOpened => "dispute.opened",
            EventType::DisputeUpdated => "dispute.updated",
            EventType::DisputeEscalated => "dispute.escalated",
            EventType::DisputeResolved => "dispute.resolved",
            EventType::PayoutRequested => "payout.requested",
            EventType::PayoutPaid => "payout.paid",
            EventType::SecurityNewDeviceLogin => "security.new_device_login",
            EventType::SecurityCredentialStuffing => "security.credential_stuffing",
            EventType::OrderHeldForReview => "order.held_for_review",
            EventType::OrderReviewApproved => "order.review_approved",
            EventType::StoreEnforcementChanged => "store.enforcement_changed",
            EventType::ReviewPublished => "review.published",
            EventType::ReviewIntegrityChanged => "review.integrity_changed",
            EventType::ListingCreated => "listing.created",
            EventType::ListingUpdated => "listing.updated",
            EventType::StoreVerificationChanged => "store.verification_changed",
        }
    }

    pub fn parse(raw: &str) -> Option<EventType> {
        EventType::ALL.into_iter().find(|t| t.as_str() == raw)
    }
}

impl std::fmt::Display for EventType {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(self.as_str())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn names_round_trip_and_match_serde() {
        for kind in EventType::ALL {
            assert_eq!(EventType::parse(kind.as_str()), Some(kind));
            assert_eq!(crate::wire_name(&kind), kind.as_str());
        }
        assert_eq!(EventType::parse("email"), None, "emails are not events");
    }
}
