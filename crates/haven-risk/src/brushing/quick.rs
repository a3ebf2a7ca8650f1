//! The incremental check: one new review against a little context the
//! server keeps up to date (counts per store and per identifier), for use
//! while the review is written rather than in the nightly batch.

use super::{Flag, Params, ReviewRecord};

/// What the server knows around one new review. All counts exclude the
/// review itself.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct QuickContext {
    /// Seconds between the buyer's account creation and the review.
    pub account_age_secs: Option<i64>,
    /// Distinct stores the buyer reviewed before, this one included if so.
    pub buyer_distinct_stores: u32,
    /// The buyer shares a device, card, address or IP with the store's
    /// owner.
    pub shares_with_owner: bool,
    /// Other recent reviewers of this store sharing an identifier with
    /// this buyer (identifiers used by few accounts only: no carrier NAT).
    pub recent_reviewers_sharing: u32,
    /// The store's reviews in the last `recent_window_secs`.
    pub store_recent_reviews: u32,
    pub recent_window_secs: i64,
    /// The store's usual rate, outside the recent window.
    pub store_baseline_per_day: f64,
    /// Share of 5★ among the store's recent reviews (0 to 1).
    pub store_recent_five_share: f64,
}

/// Flag the review if the context shows collusion (shared identifiers, or
/// a wall of 5★) and at least one more signal. Same signals and reasons as
/// the batch engine, without the graph.
pub fn quick_check(review: &ReviewRecord, context: &QuickContext, params: &Params) -> Option<Flag> {
    let mut reasons = Vec::new();
    let mut signals = 0;
    let mut collusion = false;
    if context.shares_with_owner {
        signals += 1;
        collusion = true;
        reasons.push("reviewer shares an identifier with the store's owner".to_string());
    }
    if context.recent_reviewers_sharing >= 2 {
        signals += 1;
        collusion = true;
        reasons.push(format!(
            "reviewer shares an identifier with {} recent reviewers of this store",
            context.recent_reviewers_sharing
        ));
    }
    let window_days = context.recent_window_secs.max(1) as f64 / 86_400.0;
    let expected = context.store_baseline_per_day * window_days;
    let burst = context.store_recent_reviews + 1 >= params.burst_min_reviews
        && f64::from(context.store_recent_reviews + 1) >= params.burst_ratio * expected.max(1.0);
    if burst {
        signals += 1;
        reasons.push(format!(
            "burst: {} reviews in {:.0} days vs baseline {:.1}/day",
            context.store_recent_reviews + 1,
            window_days.ceil(),
            context.store_baseline_per_day
        ));
        if review.rating == 5 && context.store_recent_five_share >= 0.9 {
            signals += 1;
            collusion = true;
            reasons.push(format!(
                "{:.0}% 5★ among the store's recent reviews",
                context.store_recent_five_share * 100.0
            ));
        }
    }
    let young = context
        .account_age_secs
        .is_some_and(|age| age < params.young_secs);
    if young && context.buyer_distinct_stores <= 1 {
        signals += 1;
        reasons.push(format!(
            "account younger than {} days reviewing only this store",
            params.young_secs / 86_400
        ));
    }
    (collusion && signals >= 2 && review.rating >= 4).then(|| Flag {
        id: review.id.clone(),
        score: (0.5 + 0.1 * f64::from(signals)).min(0.99),
        reasons,
    })
}
