//! What the store keeps for reputation: reviews, sellers' ratings of
//! buyers, review-integrity cases, and the rows the detector reads.

use haven_domain::Timestamp;
use haven_domain::ids::{OrderId, StoreId, StrikeId, UserId};
use haven_domain::reputation::{BuyerRating, Review, ReviewId};
use serde::{Deserialize, Serialize};

#[derive(Debug, Clone, PartialEq)]
pub struct ReviewWrite {
    pub review: Review,
    /// `None` inserts (one review per order); `Some(v)` updates only if the
    /// stored version is `v`.
    pub expected_version: Option<i64>,
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct BuyerRatingWrite {
    pub rating: BuyerRating,
    /// Insert (once per order) or update the publication.
    pub insert: bool,
}

/// Which of a store's public reviews to list.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct ReviewFilter {
    pub stars: Option<u8>,
    pub with_photos: bool,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum CaseStatus {
    /// Flagged reviews are excluded and the store has its strike.
    Open,
    /// An agent confirmed it.
    Upheld,
    /// An agent reversed it: the reviews count again, the strike is gone.
    Reversed,
}

impl CaseStatus {
    pub fn as_str(self) -> &'static str {
        match self {
            CaseStatus::Open => "open",
            CaseStatus::Upheld => "upheld",
            CaseStatus::Reversed => "reversed",
        }
    }
}

/// One flagged review in a case, with the detector's reasons for it.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct CaseReview {
    pub review_id: ReviewId,
    pub buyer_id: UserId,
    pub score: f64,
    pub reasons: Vec<String>,
}

/// A review-integrity case: what the brushing detector found at a store.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct IntegrityCase {
    pub id: uuid::Uuid,
    pub store_id: StoreId,
    pub status: CaseStatus,
    pub created_at: Timestamp,
    /// The block's evidence in words (density, shared identifiers, bursts).
    pub evidence: Vec<String>,
    pub reviews: Vec<CaseReview>,
    pub strike_id: Option<StrikeId>,
    pub decided_by: Option<UserId>,
    pub decided_at: Option<Timestamp>,
    pub note: String,
    pub version: i64,
}

#[derive(Debug, Clone, PartialEq)]
pub struct IntegrityCaseWrite {
    pub case: IntegrityCase,
    pub expected_version: Option<i64>,
}

/// One review as the brushing detector reads it: who, where, when, and the
/// identifiers of the payment behind it (absent when none was scored).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ReviewSignal {
    pub review_id: ReviewId,
    pub order_id: OrderId,
    pub buyer_id: UserId,
    pub store_id: StoreId,
    pub listing_id: haven_domain::ids::ListingId,
    pub rating: u8,
    pub created_at: Timestamp,
    pub buyer_created_at: Timestamp,
    pub device: Option<String>,
    pub ip: Option<String>,
    pub address: Option<String>,
    pub card: Option<String>,
    pub already_flagged: bool,
}
