//! Reputation: reviews and their rules, and the store metrics buyers choose
//! by. Pure: the store keeps the rows, this decides who may review what,
//! when a review becomes public, and what every fact adds to a store's
//! numbers.
//!
//! **Metrics are sums of facts.** Each order, review and conversation has
//! [`facts`](order_facts): counters in the calendar month (UTC) they belong
//! to. A change adds `facts(after) - facts(before)` to the store's monthly
//! rows in the same transaction (incremental), and `haven reputation
//! rebuild` sums `facts` over every row from scratch; both use these
//! functions, so they cannot disagree on a definition.

use serde::{Deserialize, Serialize};

use crate::Timestamp;
use crate::ids::{ListingId, OrderId, StoreId, UserId};
use crate::messaging::Conversation;
use crate::order::{Order, OrderState};

/// A buyer may review a completed order for this long after it closed.
pub const REVIEW_WINDOW_DAYS: i64 = 30;
/// A review waits for the other side's at most this long (blind reviews).
pub const BLIND_DAYS: i64 = 7;
pub const MAX_REVIEW_TEXT_CHARS: usize = 2_000;
pub const MAX_REPLY_TEXT_CHARS: usize = 1_000;
pub const MAX_REVIEW_PHOTOS: usize = 6;
/// Positive feedback is counted over this many months (this one included).
pub const POSITIVE_WINDOW_MONTHS: i32 = 6;
/// Every other rate is counted over this many months.
pub const METRIC_WINDOW_MONTHS: i32 = 12;
/// A seller answering a buyer's first message within this counts as a
/// response for the response rate.
pub const RESPONSE_WINDOW_S: i64 = 24 * 3600;
/// Shards per store and month for order facts, so concurrent checkouts at
/// one store do not queue on one counter row (PostgreSQL).
pub const STAT_SHARDS: i64 = 8;

const DAY_S: i64 = 86_400;

/// A review's id (UUIDv7 as text on the wire).
pub type ReviewId = uuid::Uuid;

/// 1 to 5 stars.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize)]
#[serde(try_from = "u8", into = "u8")]
pub struct Stars(u8);

impl Stars {
    pub fn new(value: u8) -> Option<Stars> {
        (1..=5).contains(&value).then_some(Stars(value))
    }
    pub fn get(self) -> u8 {
        self.0
    }
}

impl TryFrom<u8> for Stars {
    type Error = String;
    fn try_from(value: u8) -> Result<Self, Self::Error> {
        Stars::new(value).ok_or_else(|| format!("{value} is not 1 to 5 stars"))
    }
}

impl From<Stars> for u8 {
    fn from(stars: Stars) -> u8 {
        stars.0
    }
}

/// The detailed seller ratings, each optional.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct DetailedRatings {
    pub item_as_described: Option<Stars>,
    pub communication: Option<Stars>,
    pub shipping_speed: Option<Stars>,
}

/// Whether an agent must look at a text first.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case", tag = "status")]
pub enum Moderation {
    Clear,
    /// The scanner held it: nobody but its author and agents sees it.
    Held {
        reasons: Vec<String>,
    },
    /// An agent kept it hidden.
    Rejected {
        by: UserId,
        at: Timestamp,
        note: String,
    },
}

impl Moderation {
    pub fn is_clear(&self) -> bool {
        matches!(self, Moderation::Clear)
    }
}

/// The review-integrity verdict on a review (brushing).
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct IntegrityFlag {
    pub at: Timestamp,
    pub score: f64,
    pub reasons: Vec<String>,
    /// An agent reversed the flag: the review counts again.
    pub reversed: Option<Reversal>,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Reversal {
    pub by: UserId,
    pub at: Timestamp,
    pub note: String,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Revision {
    pub rating: Stars,
    pub text: String,
    pub at: Timestamp,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct SellerReply {
    pub text: String,
    pub at: Timestamp,
    pub moderation: Moderation,
}

/// A buyer's review of one order line.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Review {
    pub id: ReviewId,
    pub order_id: OrderId,
    pub buyer_id: UserId,
    pub store_id: StoreId,
    pub listing_id: ListingId,
    pub listing_title: String,
    pub rating: Stars,
    pub text: String,
    /// Content addresses of the photos in the blob store.
    pub photos: Vec<String>,
    pub detailed: DetailedRatings,
    pub created_at: Timestamp,
    /// When it became public (both sides in, or the blind period over).
    pub published_at: Option<Timestamp>,
    /// The last day the buyer may still edit it.
    pub editable_until: Timestamp,
    /// Earlier versions, oldest first (one edit is allowed).
    pub revisions: Vec<Revision>,
    pub moderation: Moderation,
    pub reply: Option<SellerReply>,
    pub integrity: Option<IntegrityFlag>,
    pub version: i64,
}

impl Review {
    /// Public: published and not held by moderation.
    pub fn is_public(&self) -> bool {
        self.published_at.is_some() && self.moderation.is_clear()
    }

    /// Flagged by review integrity, and not reversed.
    pub fn is_removed(&self) -> bool {
        self.integrity
            .as_ref()
            .is_some_and(|f| f.reversed.is_none())
    }

    /// Whether it counts in the store's scores.
    pub fn counts(&self) -> bool {
        self.is_public() && !self.is_removed()
    }

    pub fn has_photos(&self) -> bool {
        !self.photos.is_empty()
    }
}

/// The seller's rating of the buyer for one order (blind like the review).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct BuyerRating {
    pub order_id: OrderId,
    pub store_id: StoreId,
    pub buyer_id: UserId,
    pub rating: Stars,
    pub note: String,
    pub created_at: Timestamp,
    pub published_at: Option<Timestamp>,
}

/// Why a review or rating is refused.
#[derive(Debug, Clone, Copy, PartialEq, Eq, thiserror::Error)]
pub enum Ineligible {
    #[error("this is not your order")]
    NotYourOrder,
    #[error("a seller cannot review its own store")]
    OwnStore,
    #[error("only a completed order can be reviewed")]
    NotCompleted,
    #[error("the {REVIEW_WINDOW_DAYS}-day review window has closed")]
    WindowClosed,
    #[error("this order has already been reviewed")]
    AlreadyReviewed,
    #[error("the review can no longer be edited")]
    EditClosed,
    #[error("the review has already been edited once")]
    AlreadyEdited,
    #[error("the store has already replied to this review")]
    AlreadyReplied,
}

/// Completed: closed with money released to the seller (a partial refund
/// after a dispute included); a refunded or cancelled order is not.
pub fn is_completed(order: &Order) -> bool {
    matches!(
        order.state,
        OrderState::Completed | OrderState::PartiallyRefunded
    ) && order.released_minor > 0
}

/// The last moment a completed order can be reviewed.
pub fn review_deadline(order: &Order) -> Option<Timestamp> {
    let closed = order.closed_at?;
    is_completed(order)
        .then(|| closed + crate::SignedDuration::from_secs(REVIEW_WINDOW_DAYS * DAY_S))
}

/// May `buyer` review `order` now? `store_owner` is who runs the store.
pub fn may_review(
    order: &Order,
    buyer: UserId,
    store_owner: UserId,
    already_reviewed: bool,
    now: Timestamp,
) -> Result<Timestamp, Ineligible> {
    if buyer == store_owner {
        return Err(Ineligible::OwnStore);
    }
    if order.buyer_id != buyer {
        return Err(Ineligible::NotYourOrder);
    }
    let deadline = review_deadline(order).ok_or(Ineligible::NotCompleted)?;
    if already_reviewed {
        return Err(Ineligible::AlreadyReviewed);
    }
    if now > deadline {
        return Err(Ineligible::WindowClosed);
    }
    Ok(deadline)
}

/// May the seller rate the buyer of `order` now (same window, once)?
pub fn may_rate_buyer(
    order: &Order,
    already_rated: bool,
    now: Timestamp,
) -> Result<(), Ineligible> {
    let deadline = review_deadline(order).ok_or(Ineligible::NotCompleted)?;
    if already_rated {
        return Err(Ineligible::AlreadyReviewed);
    }
    if now > deadline {
        return Err(Ineligible::WindowClosed);
    }
    Ok(())
}

/// The one edit a buyer has: before the review window closes.
pub fn may_edit(review: &Review, now: Timestamp) -> Result<(), Ineligible> {
    if !review.revisions.is_empty() {
        return Err(Ineligible::AlreadyEdited);
    }
    if now > review.editable_until {
        return Err(Ineligible::EditClosed);
    }
    Ok(())
}

/// When the blind period of the first side in ends.
pub fn blind_until(first_in_at: Timestamp) -> Timestamp {
    first_in_at + crate::SignedDuration::from_secs(BLIND_DAYS * DAY_S)
}

/// A month as a number (`year * 12 + month - 1`, UTC), so windows are
/// subtraction.
pub fn month_of(at: Timestamp) -> i32 {
    let date = at.to_zoned(jiff::tz::TimeZone::UTC).date();
    i32::from(date.year()) * 12 + i32::from(date.month()) - 1
}

/// Counters one fact adds to a store's month. All are counts or sums, so
/// they add and subtract.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct StatCounters {
    pub orders_paid: i64,
    pub orders_disputed: i64,
    pub shipped: i64,
    pub shipped_on_time: i64,
    pub orders_completed: i64,
    pub items_sold: i64,
    /// Counted reviews by star, 1★ first.
    pub stars: [i64; 5],
    pub described_sum: i64,
    pub described_count: i64,
    pub communication_sum: i64,
    pub communication_count: i64,
    pub shipping_sum: i64,
    pub shipping_count: i64,
    /// Conversations a buyer started.
    pub questions: i64,
    /// Of those, answered by the seller (ever), and within a day.
    pub answered: i64,
    pub answered_in_day: i64,
    pub answer_s_sum: i64,
}

impl StatCounters {
    pub fn is_zero(&self) -> bool {
        *self == StatCounters::default()
    }

    /// `self + sign * other`, field by field.
    pub fn add_scaled(&mut self, other: &StatCounters, sign: i64) {
        let mut mine = self.to_array();
        for (value, theirs) in mine.iter_mut().zip(other.to_array()) {
            *value = value.saturating_add(theirs.saturating_mul(sign));
        }
        *self = StatCounters::from_array(mine);
    }

    /// The counters in [`STAT_COLUMNS`] order (how the store keeps them).
    pub fn to_array(&self) -> [i64; STAT_COLUMNS.len()] {
        let [s1, s2, s3, s4, s5] = self.stars;
        [
            self.orders_paid,
            self.orders_disputed,
            self.shipped,
            self.shipped_on_time,
            self.orders_completed,
            self.items_sold,
            s1,
            s2,
            s3,
            s4,
            s5,
            self.described_sum,
            self.described_count,
            self.communication_sum,
            self.communication_count,
            self.shipping_sum,
            self.shipping_count,
            self.questions,
            self.answered,
            self.answered_in_day,
            self.answer_s_sum,
        ]
    }

    pub fn from_array(values: [i64; STAT_COLUMNS.len()]) -> StatCounters {
        let [
            orders_paid,
            orders_disputed,
            shipped,
            shipped_on_time,
            orders_completed,
            items_sold,
            s1,
            s2,
            s3,
            s4,
            s5,
            described_sum,
            described_count,
            communication_sum,
            communication_count,
            shipping_sum,
            shipping_count,
            questions,
            answered,
            answered_in_day,
            answer_s_sum,
        ] = values;
        StatCounters {
            orders_paid,
            orders_disputed,
            shipped,
            shipped_on_time,
            orders_completed,
            items_sold,
            stars: [s1, s2, s3, s4, s5],
            described_sum,
            described_count,
            communication_sum,
            communication_count,
            shipping_sum,
            shipping_count,
            questions,
            answered,
            answered_in_day,
            answer_s_sum,
        }
    }
}

/// The counter columns of the store's monthly rows, in array order.
pub const STAT_COLUMNS: [&str; 21] = [
    "orders_paid",
    "orders_disputed",
    "shipped",
    "shipped_on_time",
    "orders_completed",
    "items_sold",
    "stars_1",
    "stars_2",
    "stars_3",
    "stars_4",
    "stars_5",
    "described_sum",
    "described_count",
    "communication_sum",
    "communication_count",
    "shipping_sum",
    "shipping_count",
    "questions",
    "answered",
    "answered_in_day",
    "answer_s_sum",
];

/// Counters for one store, month and shard.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
pub struct StatDelta {
    pub store_id: StoreId,
    pub month: i32,
    pub shard: i64,
    pub counters: StatCounters,
}

/// One fact's counters, before they are keyed by store and shard.
type MonthCounters = Vec<(i32, StatCounters)>;

fn counters_at(facts: &mut MonthCounters, at: Timestamp) -> &mut StatCounters {
    let month = month_of(at);
    if let Some(i) = facts.iter().position(|(m, _)| *m == month) {
        return &mut facts[i].1;
    }
    facts.push((month, StatCounters::default()));
    &mut facts.last_mut().expect("just pushed").1
}

/// What an order adds to its store's months: paid and disputed in the month
/// it was paid (so the dispute rate compares like with like), shipped (and
/// on time: before the ship-by deadline) in the month it shipped, sold in
/// the month it completed.
pub fn order_facts(order: &Order) -> MonthCounters {
    let mut facts = MonthCounters::new();
    let Some(paid_at) = order.paid_at else {
        return facts;
    };
    let paid = counters_at(&mut facts, paid_at);
    paid.orders_paid = 1;
    paid.orders_disputed = i64::from(order.disputes_opened > 0);
    if let Some(shipment) = &order.shipment {
        let shipped = counters_at(&mut facts, shipment.shipped_at);
        shipped.shipped = 1;
        shipped.shipped_on_time = i64::from(shipment.shipped_at <= order.ship_by_at);
    }
    if let (true, Some(closed_at)) = (is_completed(order), order.closed_at) {
        let done = counters_at(&mut facts, closed_at);
        done.orders_completed = 1;
        done.items_sold = i64::from(order.quantity);
    }
    facts
}

/// What a review adds: its stars and detailed ratings in the month it was
/// published, while it counts (public, not removed by integrity).
pub fn review_facts(review: &Review) -> MonthCounters {
    let mut facts = MonthCounters::new();
    let (true, Some(published_at)) = (review.counts(), review.published_at) else {
        return facts;
    };
    let c = counters_at(&mut facts, published_at);
    c.stars[usize::from(review.rating.get() - 1)] = 1;
    let d = &review.detailed;
    for (stars, sum, count) in [
        (
            d.item_as_described,
            &mut c.described_sum,
            &mut c.described_count,
        ),
        (
            d.communication,
            &mut c.communication_sum,
            &mut c.communication_count,
        ),
        (d.shipping_speed, &mut c.shipping_sum, &mut c.shipping_count),
    ] {
        if let Some(stars) = stars {
            *sum = i64::from(stars.get());
            *count = 1;
        }
    }
    facts
}

/// What a conversation adds: a question in the month the buyer first
/// wrote, when the buyer wrote first, and the seller's first answer to it.
pub fn conversation_facts(conversation: &Conversation) -> MonthCounters {
    let mut facts = MonthCounters::new();
    let Some(asked_at) = conversation.first_buyer_message_at else {
        return facts;
    };
    if conversation
        .first_seller_message_at
        .is_some_and(|seller_at| seller_at < asked_at)
    {
        return facts; // the seller started it: not a question to answer
    }
    let c = counters_at(&mut facts, asked_at);
    c.questions = 1;
    if let Some(answered_at) = conversation.first_seller_message_at {
        let answer_s = answered_at.duration_since(asked_at).as_secs().max(0);
        c.answered = 1;
        c.answered_in_day = i64::from(answer_s <= RESPONSE_WINDOW_S);
        c.answer_s_sum = answer_s;
    }
    facts
}

/// `after - before` as deltas for `store`, empty months dropped.
pub fn delta(
    store_id: StoreId,
    shard: i64,
    before: &MonthCounters,
    after: &MonthCounters,
) -> Vec<StatDelta> {
    let mut out: Vec<StatDelta> = Vec::new();
    for (facts, sign) in [(after, 1), (before, -1)] {
        for (month, counters) in facts {
            let at = match out.iter().position(|d| d.month == *month) {
                Some(i) => i,
                None => {
                    out.push(StatDelta {
                        store_id,
                        month: *month,
                        shard,
                        counters: StatCounters::default(),
                    });
                    out.len() - 1
                }
            };
            out[at].counters.add_scaled(counters, sign);
        }
    }
    out.retain(|d| !d.counters.is_zero());
    out
}

/// The shard an order's facts go to.
pub fn order_shard(order_id: OrderId) -> i64 {
    (order_id.0.as_u128() % STAT_SHARDS as u128) as i64
}

/// Who last completed orders at a store: the two latest completions per
/// buyer are what "regular buyer" needs.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct BuyerCompletion {
    pub store_id: StoreId,
    pub buyer_id: UserId,
    pub completed_at: Timestamp,
}

/// The completion an order transition adds, if it just completed.
pub fn completion(before: Option<&Order>, after: &Order) -> Option<BuyerCompletion> {
    let was = before.is_some_and(is_completed);
    (!was && is_completed(after)).then(|| BuyerCompletion {
        store_id: after.store_id,
        buyer_id: after.buyer_id,
        completed_at: after.closed_at.unwrap_or(after.created_at),
    })
}

/// One metric as shown: its value in words, and how it is computed.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Metric {
    pub key: &'static str,
    pub label: &'static str,
    /// `None` when there is nothing to compute it from yet.
    pub value: Option<String>,
    pub how: &'static str,
}

/// A store's numbers at `now`, computed from its monthly counters.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
pub struct StoreMetrics {
    pub store_age_days: i64,
    pub items_sold: i64,
    /// All counted reviews by star, 1★ first.
    pub star_counts: [i64; 5],
    pub reviews_counted: i64,
    /// 4–5★ share of the trailing window's reviews, in basis points.
    pub positive_bps: Option<i64>,
    pub positive_reviews_in_window: i64,
    pub average_stars_x100: Option<i64>,
    /// Detailed seller ratings, averages ×100.
    pub described_x100: Option<i64>,
    pub communication_x100: Option<i64>,
    pub shipping_x100: Option<i64>,
    pub regular_buyers: i64,
    pub on_time_bps: Option<i64>,
    pub dispute_bps: Option<i64>,
    pub response_bps: Option<i64>,
    pub response_avg_s: Option<i64>,
}

fn ratio_bps(part: i64, whole: i64) -> Option<i64> {
    (whole > 0).then(|| part.saturating_mul(10_000) / whole)
}

fn average_x100(sum: i64, count: i64) -> Option<i64> {
    (count > 0).then(|| sum.saturating_mul(100) / count)
}

/// Sum the months inside a trailing window of `months` ending at `now`.
fn window_sum(months: &[(i32, StatCounters)], now: Timestamp, months_back: i32) -> StatCounters {
    let newest = month_of(now);
    let oldest = newest - months_back + 1;
    let mut total = StatCounters::default();
    for (month, counters) in months {
        if (oldest..=newest).contains(month) {
            total.add_scaled(counters, 1);
        }
    }
    total
}

/// The metrics from the store's monthly counters (shards summed).
pub fn compute_metrics(
    store_created_at: Timestamp,
    months: &[(i32, StatCounters)],
    regular_buyers: i64,
    now: Timestamp,
) -> StoreMetrics {
    let mut all = StatCounters::default();
    for (_, counters) in months {
        all.add_scaled(counters, 1);
    }
    let recent = window_sum(months, now, POSITIVE_WINDOW_MONTHS);
    let year = window_sum(months, now, METRIC_WINDOW_MONTHS);
    let recent_reviews: i64 = recent.stars.iter().sum();
    let reviews: i64 = all.stars.iter().sum();
    let star_points: i64 = all
        .stars
        .iter()
        .enumerate()
        .map(|(i, n)| (i as i64 + 1) * n)
        .sum();
    StoreMetrics {
        store_age_days: (now.duration_since(store_created_at).as_secs() / DAY_S).max(0),
        items_sold: all.items_sold,
        star_counts: all.stars,
        reviews_counted: reviews,
        positive_bps: ratio_bps(recent.stars[3] + recent.stars[4], recent_reviews),
        positive_reviews_in_window: recent_reviews,
        average_stars_x100: average_x100(star_points, reviews),
        described_x100: average_x100(year.described_sum, year.described_count),
        communication_x100: average_x100(year.communication_sum, year.communication_count),
        shipping_x100: average_x100(year.shipping_sum, year.shipping_count),
        regular_buyers,
        on_time_bps: ratio_bps(year.shipped_on_time, year.shipped),
        dispute_bps: ratio_bps(year.orders_disputed, year.orders_paid),
        response_bps: ratio_bps(year.answered_in_day, year.questions),
        response_avg_s: (year.answered > 0).then(|| year.answer_s_sum / year.answered),
    }
}

fn percent(bps: i64) -> String {
    format!("{}.{} %", bps / 100, (bps % 100) / 10)
}

fn stars_text(x100: i64) -> String {
    format!("{}.{} / 5", x100 / 100, (x100 % 100) / 10)
}

/// "3 h", "2 days", "25 min": a duration as a person says it.
pub fn duration_words(seconds: i64) -> String {
    match seconds {
        s if s < 3600 => format!("{} min", (s / 60).max(1)),
        s if s < 2 * DAY_S => format!("{} h", (s + 1800) / 3600),
        s => format!("{} days", (s + DAY_S / 2) / DAY_S),
    }
}

/// A store's age as a person says it.
pub fn age_words(days: i64) -> String {
    match days {
        d if d < 31 => format!("{} day{}", d, if d == 1 { "" } else { "s" }),
        d if d < 365 => format!("{} months", d / 30),
        d => {
            let years = d / 365;
            format!("{} year{}", years, if years == 1 { "" } else { "s" })
        }
    }
}

/// A count with thousands separators: 12,300.
pub fn count_words(n: i64) -> String {
    let digits = n.abs().to_string();
    let mut out = String::new();
    for (i, ch) in digits.chars().enumerate() {
        if i > 0 && (digits.len() - i).is_multiple_of(3) {
            out.push(',');
        }
        out.push(ch);
    }
    if n < 0 { format!("-{out}") } else { out }
}

impl StoreMetrics {
    /// Every metric with how it is computed, in the brief's order.
    pub fn explained(&self) -> Vec<Metric> {
        vec![
            Metric {
                key: "store_age",
                label: "Store age",
                value: Some(age_words(self.store_age_days)),
                how: "Time since the store was opened.",
            },
            Metric {
                key: "items_sold",
                label: "Items sold",
                value: Some(count_words(self.items_sold)),
                how: "Units in completed orders (paid out to the seller), all time.",
            },
            Metric {
                key: "positive_feedback",
                label: "Positive feedback",
                value: self.positive_bps.map(percent),
                how: "Share of 4–5★ reviews among the reviews published in the last 6 calendar months (this one included); reviews removed by review integrity are not counted.",
            },
            Metric {
                key: "item_as_described",
                label: "Item as described",
                value: self.described_x100.map(stars_text),
                how: "Average of buyers' detailed ratings over the last 12 months.",
            },
            Metric {
                key: "communication",
                label: "Communication",
                value: self.communication_x100.map(stars_text),
                how: "Average of buyers' detailed ratings over the last 12 months.",
            },
            Metric {
                key: "shipping_speed",
                label: "Shipping speed",
                value: self.shipping_x100.map(stars_text),
                how: "Average of buyers' detailed ratings over the last 12 months.",
            },
            Metric {
                key: "regular_buyers",
                label: "Regular buyers",
                value: Some(count_words(self.regular_buyers)),
                how: "Buyers with 2 or more completed orders at this store in the last 12 months.",
            },
            Metric {
                key: "on_time_shipping",
                label: "On-time shipping",
                value: self.on_time_bps.map(percent),
                how: "Orders shipped before their ship-by deadline, among orders shipped in the last 12 months.",
            },
            Metric {
                key: "dispute_rate",
                label: "Dispute rate",
                value: self.dispute_bps.map(percent),
                how: "Orders paid in the last 12 months on which a dispute or non-delivery claim was opened.",
            },
            Metric {
                key: "response_rate",
                label: "Response rate",
                value: self.response_bps.map(percent),
                how: "Conversations a buyer started in the last 12 months that the seller answered within 24 hours.",
            },
            Metric {
                key: "response_time",
                label: "Response time",
                value: self.response_avg_s.map(duration_words),
                how: "Average time from a buyer's first message to the seller's first answer, last 12 months.",
            },
        ]
    }

    /// The plain-language line that combines the signals, never rating
    /// alone: "Open 4 years · 12,300 sold · 97.8 % positive · answers in ~3 h".
    pub fn summary(&self) -> String {
        let mut parts = vec![format!("Open {}", age_words(self.store_age_days))];
        parts.push(format!("{} sold", count_words(self.items_sold)));
        match self.positive_bps {
            Some(bps) => parts.push(format!(
                "{} positive ({} reviews)",
                percent(bps),
                count_words(self.positive_reviews_in_window)
            )),
            None => parts.push("no reviews yet".into()),
        }
        if let Some(s) = self.response_avg_s {
            parts.push(format!("answers in ~{}", duration_words(s)));
        }
        if let Some(bps) = self.dispute_bps.filter(|bps| *bps >= 200) {
            parts.push(format!("disputes on {} of orders", percent(bps)));
        }
        parts.join(" · ")
    }
}

/// The badges a store earns. Verified comes from the seller's identity
/// check; top seller needs volume, age and clean numbers together.
pub fn top_seller(metrics: &StoreMetrics) -> bool {
    metrics.store_age_days >= 90
        && metrics.items_sold >= 100
        && metrics.positive_reviews_in_window >= 20
        && metrics.positive_bps.is_some_and(|bps| bps >= 9_500)
        && metrics.dispute_bps.is_none_or(|bps| bps <= 100)
        && metrics.on_time_bps.is_none_or(|bps| bps >= 9_500)
}

/// The protection a buyer was promised at checkout.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct ProtectionTerms {
    /// Escrow holds the money until receipt is confirmed or this many days
    /// after the delivery scan.
    pub protection_days_after_delivery: i64,
    /// The on-time guarantee: not delivered by this date, the buyer gets
    /// `guarantee_bps` of the total back as credit (at least the minimum).
    pub promised_delivery_at: Timestamp,
    pub guarantee_bps: i64,
    pub guarantee_min_minor: i64,
    /// A confirmed fake is a full refund, shipping included.
    pub guaranteed_genuine: bool,
}

/// What a buyer was shown and promised when they paid, frozen into the
/// order: later ratings, brushing findings or policy changes never alter it.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct TrustSnapshot {
    pub taken_at: Timestamp,
    pub store_name: String,
    pub summary: String,
    /// (label, value) of every store metric as shown.
    pub metrics: Vec<(String, Option<String>)>,
    pub verified_seller: bool,
    pub protection: ProtectionTerms,
    pub policy_version: crate::policy::PolicyVersion,
}
