//! Reviews, buyer ratings and store metrics. The rules are pure
//! (`haven_domain::reputation`); this module loads what they need, commits
//! what they decide, and keeps the store counters moving in the same
//! transaction as each fact.
//!
//! - **Blind**: a review or buyer rating waits until the other side's is in,
//!   or [`BLIND_DAYS`] after the first one (a `review_publish` deadline).
//! - **Held**: review text and seller replies go through the message
//!   scanner; one that takes buyers off the platform, to a lookalike link
//!   or to an invented fee waits for an agent.
//! - **Counted**: only public reviews not removed by review integrity count
//!   in the store's numbers.

use haven_domain::Timestamp;
use haven_domain::events::EventType;
use haven_domain::ids::{OrderId, StoreId};
use haven_domain::messaging::Conversation;
use haven_domain::order::Order;
use haven_domain::reputation::{
    self, BuyerRating, DetailedRatings, MAX_REPLY_TEXT_CHARS, MAX_REVIEW_PHOTOS,
    MAX_REVIEW_TEXT_CHARS, Moderation, Review, ReviewId, Revision, SellerReply, Stars, StatDelta,
    StoreMetrics,
};
use haven_domain::timer::TimerKind;
use haven_risk::scanner::{Category, Sender, Stage};
use haven_store::{
    BuyerRatingWrite, Changeset, NewOutboxEvent, NewTimer, Page, PageRequest, ReviewFilter,
    ReviewWrite, StoreError,
};
use serde::Serialize;

use crate::App;
use crate::accounts::Actor;
use crate::error::{AppError, AppResult, ErrorKind};

/// What a buyer writes.
#[derive(Debug, Clone, Default)]
pub struct ReviewInput {
    pub rating: u8,
    pub text: String,
    /// Hashes of images uploaded with `POST /api/v1/media`.
    pub photos: Vec<String>,
    pub item_as_described: Option<u8>,
    pub communication: Option<u8>,
    pub shipping_speed: Option<u8>,
}

/// A store's reputation as the trust panel shows it.
#[derive(Debug, Clone, Serialize)]
pub struct StoreReputation {
    pub store_id: StoreId,
    pub metrics: StoreMetrics,
    pub explained: Vec<reputation::Metric>,
    pub summary: String,
    pub verified: bool,
    pub top_seller: bool,
}

/// What the order page needs about reviewing it.
#[derive(Debug, Clone, Default)]
pub struct OrderReviewState {
    /// The buyer may leave a review now, until this time.
    pub can_review_until: Option<Timestamp>,
    pub review: Option<Review>,
    /// The seller may rate the buyer now.
    pub can_rate_buyer: bool,
    /// The seller's rating of the buyer, shown once published.
    pub buyer_rating: Option<BuyerRating>,
    /// For the seller: the buyer's published ratings from every seller,
    /// as (how many, sum of stars).
    pub buyer_summary: Option<(i64, i64)>,
}

/// What `haven reputation rebuild` did.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Serialize)]
pub struct RebuildReport {
    pub orders: u64,
    pub reviews: u64,
    pub conversations: u64,
    pub counter_rows: u64,
    pub buyer_rows: u64,
}

/// Categories that hold a review: the ones that move money or contact off
/// the platform (pressure categories make no sense in a review).
fn holds_review(category: Category) -> bool {
    matches!(
        category,
        Category::OffPlatformContact
            | Category::OffPlatformPayment
            | Category::PhishingLink
            | Category::ExtraFee
    )
}

fn stars(field: &str, value: u8) -> AppResult<Stars> {
    Stars::new(value).ok_or_else(|| AppError::invalid_field(field, "give 1 to 5 stars"))
}

fn optional_stars(field: &str, value: Option<u8>) -> AppResult<Option<Stars>> {
    value.map(|v| stars(field, v)).transpose()
}

fn ineligible(err: reputation::Ineligible) -> AppError {
    use reputation::Ineligible as I;
    match err {
        I::NotYourOrder => AppError::not_found("order"),
        I::OwnStore => AppError::forbidden(err.to_string()),
        _ => AppError::invalid_state(err.to_string()),
    }
}

/// Order facts as counter deltas, keyed by the order's shard.
pub(crate) fn order_stat_changes(before: Option<&Order>, after: &Order, changes: &mut Changeset) {
    let before_facts = before.map(reputation::order_facts).unwrap_or_default();
    let shard = reputation::order_shard(after.id);
    changes.stat_deltas.extend(reputation::delta(
        after.store_id,
        shard,
        &before_facts,
        &reputation::order_facts(after),
    ));
    changes
        .buyer_completions
        .extend(reputation::completion(before, after));
}

/// A conversation's facts as counter deltas.
pub(crate) fn conversation_stat_changes(
    before: &Conversation,
    after: &Conversation,
    changes: &mut Changeset,
) {
    changes.stat_deltas.extend(reputation::delta(
        after.store_id,
        0,
        &reputation::conversation_facts(before),
        &reputation::conversation_facts(after),
    ));
}

fn review_deltas(before: Option<&Review>, after: &Review) -> Vec<StatDelta> {
    let before = before.map(reputation::review_facts).unwrap_or_default();
    reputation::delta(after.store_id, 0, &before, &reputation::review_facts(after))
}

fn published_event(review: &Review, now: Timestamp) -> NewOutboxEvent {
    NewOutboxEvent {
        topic: EventType::ReviewPublished.to_string(),
        payload: serde_json::json!({
            "review_id": review.id,
            "order_id": review.order_id,
            "store_id": review.store_id,
            "listing_id": review.listing_id,
            "rating": review.rating.get(),
        }),
        created_at: now,
    }
}

impl App {
    fn review_moderation(&self, text: &str, sender: Sender) -> Moderation {
        let scan = self.scanner_now().scan(text, Stage::AfterDelivery, sender);
        if scan.categories.iter().any(|c| holds_review(*c)) {
            Moderation::Held {
                reasons: scan.reasons,
            }
        } else {
            Moderation::Clear
        }
    }

    async fn check_photos(&self, photos: &[String]) -> AppResult<Vec<String>> {
        if photos.len() > MAX_REVIEW_PHOTOS {
            return Err(AppError::invalid_field(
                "photos",
                format!("at most {MAX_REVIEW_PHOTOS} photos"),
            ));
        }
        let mut out: Vec<String> = Vec::with_capacity(photos.len());
        for hash in photos {
            let known = hash.len() <= 128 && self.store.media(hash).await?.is_some();
            if !known {
                return Err(AppError::invalid_field(
                    "photos",
                    "upload each photo with POST /api/v1/media first",
                ));
            }
            if !out.contains(hash) {
                out.push(hash.clone());
            }
        }
        Ok(out)
    }

    /// The buyer reviews a completed order (one review per order line;
    /// orders have one line).
    pub async fn leave_review(
        &self,
        actor: &Actor,
        order_id: OrderId,
        input: ReviewInput,
    ) -> AppResult<Review> {
        let order = self.order(order_id).await?;
        if order.buyer_id != actor.id() && actor.store_id != Some(order.store_id) {
            return Err(AppError::not_found("order"));
        }
        let owner = self.shop_owner(order.store_id).await?;
        let existing = self.store.review_for_order(order_id).await?;
        let now = self.now();
        let deadline = reputation::may_review(&order, actor.id(), owner, existing.is_some(), now)
            .map_err(ineligible)?;
        let text = haven_domain::text::optional_block("text", &input.text, MAX_REVIEW_TEXT_CHARS)?;
        let review = Review {
            id: uuid::Uuid::now_v7(),
            order_id,
            buyer_id: order.buyer_id,
            store_id: order.store_id,
            listing_id: order.listing_id,
            listing_title: order.listing_title.clone(),
            rating: stars("rating", input.rating)?,
            moderation: self.review_moderation(&text, Sender::Buyer),
            text,
            photos: self.check_photos(&input.photos).await?,
            detailed: DetailedRatings {
                item_as_described: optional_stars("item_as_described", input.item_as_described)?,
                communication: optional_stars("communication", input.communication)?,
                shipping_speed: optional_stars("shipping_speed", input.shipping_speed)?,
            },
            created_at: now,
            published_at: None,
            editable_until: deadline,
            revisions: Vec::new(),
            reply: None,
            integrity: None,
            version: 1,
        };
        let counterpart = self.store.buyer_rating(order_id).await?;
        let mut changes = Changeset::default();
        let review = self.blind_publish(review, counterpart, &mut changes, now);
        changes.reviews.push(ReviewWrite {
            review: review.clone(),
            expected_version: None,
        });
        self.commit_review_changes(changes).await?;
        self.integrity_check_new_review(&review).await;
        Ok(review)
    }

    /// Publish `review` with the buyer rating if that is in; otherwise arm
    /// the blind deadline.
    fn blind_publish(
        &self,
        mut review: Review,
        counterpart: Option<BuyerRating>,
        changes: &mut Changeset,
        now: Timestamp,
    ) -> Review {
        match counterpart {
            Some(mut rating) => {
                review.published_at = Some(now);
                changes.stat_deltas.extend(review_deltas(None, &review));
                if review.is_public() {
                    changes.outbox.push(published_event(&review, now));
                }
                if rating.published_at.is_none() {
                    rating.published_at = Some(now);
                    changes.buyer_ratings.push(BuyerRatingWrite {
                        rating,
                        insert: false,
                    });
                    changes
                        .unschedule
                        .push((review.order_id, TimerKind::ReviewPublish));
                }
            }
            None => changes.schedule.push(NewTimer {
                order_id: review.order_id,
                kind: TimerKind::ReviewPublish,
                due_at: reputation::blind_until(now),
            }),
        }
        review
    }

    async fn commit_review_changes(&self, changes: Changeset) -> AppResult<()> {
        match self.store.commit(changes).await {
            Ok(()) => Ok(()),
            Err(StoreError::Conflict(haven_store::Conflict::StaleReview)) => {
                Err(AppError::conflict(
                    ErrorKind::ConcurrentUpdate,
                    "the review changed meanwhile (or the order was reviewed twice); reload",
                ))
            }
            Err(err) => Err(err.into()),
        }
    }

    async fn shop_owner(&self, store: StoreId) -> AppResult<haven_domain::ids::UserId> {
        Ok(self
            .store
            .shop(store)
            .await?
            .ok_or_else(|| AppError::not_found("store"))?
            .owner_id)
    }

    /// The seller rates the buyer of a completed order (blind, once).
    pub async fn rate_buyer(
        &self,
        actor: &Actor,
        order_id: OrderId,
        rating: u8,
        note: &str,
    ) -> AppResult<BuyerRating> {
        let order = self.order(order_id).await?;
        if actor.store_id != Some(order.store_id) {
            return Err(AppError::not_found("order"));
        }
        let now = self.now();
        let already = self.store.buyer_rating(order_id).await?.is_some();
        reputation::may_rate_buyer(&order, already, now).map_err(ineligible)?;
        let mut buyer_rating = BuyerRating {
            order_id,
            store_id: order.store_id,
            buyer_id: order.buyer_id,
            rating: stars("rating", rating)?,
            note: haven_domain::text::optional_block("note", note, MAX_REPLY_TEXT_CHARS)?,
            created_at: now,
            published_at: None,
        };
        let mut changes = Changeset::default();
        match self.store.review_for_order(order_id).await? {
            Some(review) => {
                buyer_rating.published_at = Some(now);
                if review.published_at.is_none() {
                    self.publish_review(&review, now, &mut changes);
                    changes
                        .unschedule
                        .push((order_id, TimerKind::ReviewPublish));
                }
            }
            None => changes.schedule.push(NewTimer {
                order_id,
                kind: TimerKind::ReviewPublish,
                due_at: reputation::blind_until(now),
            }),
        }
        changes.buyer_ratings.push(BuyerRatingWrite {
            rating: buyer_rating.clone(),
            insert: true,
        });
        match self.store.commit(changes).await {
            Err(StoreError::Conflict(haven_store::Conflict::BuyerAlreadyRated)) => {
                Err(AppError::invalid_state("you have already rated this buyer"))
            }
            other => other.map(|()| buyer_rating).map_err(Into::into),
        }
    }

    fn publish_review(&self, review: &Review, now: Timestamp, changes: &mut Changeset) {
        let mut published = review.clone();
        published.published_at = Some(now);
        changes
            .stat_deltas
            .extend(review_deltas(Some(review), &published));
        if published.is_public() {
            changes.outbox.push(published_event(&published, now));
        }
        changes.reviews.push(ReviewWrite {
            expected_version: Some(review.version),
            review: published,
        });
    }

    /// The blind period ended: publish what is in.
    pub(crate) async fn review_publish_changes(
        &self,
        order: &Order,
        now: Timestamp,
    ) -> AppResult<Changeset> {
        let mut changes = Changeset::default();
        if let Some(review) = self.store.review_for_order(order.id).await?
            && review.published_at.is_none()
        {
            self.publish_review(&review, now, &mut changes);
        }
        if let Some(mut rating) = self.store.buyer_rating(order.id).await?
            && rating.published_at.is_none()
        {
            rating.published_at = Some(now);
            changes.buyer_ratings.push(BuyerRatingWrite {
                rating,
                insert: false,
            });
        }
        Ok(changes)
    }

    async fn own_review(&self, actor: &Actor, id: ReviewId) -> AppResult<Review> {
        let review = self
            .store
            .review(id)
            .await?
            .ok_or_else(|| AppError::not_found("review"))?;
        if review.buyer_id != actor.id() {
            return Err(AppError::not_found("review"));
        }
        Ok(review)
    }

    /// The buyer's one edit, within the review window; the earlier
    /// version is kept.
    pub async fn edit_review(
        &self,
        actor: &Actor,
        id: ReviewId,
        rating: u8,
        text: &str,
    ) -> AppResult<Review> {
        let before = self.own_review(actor, id).await?;
        let now = self.now();
        reputation::may_edit(&before, now).map_err(ineligible)?;
        let text = haven_domain::text::optional_block("text", text, MAX_REVIEW_TEXT_CHARS)?;
        let mut after = before.clone();
        after.revisions.push(Revision {
            rating: before.rating,
            text: before.text.clone(),
            at: now,
        });
        after.rating = stars("rating", rating)?;
        after.moderation = self.review_moderation(&text, Sender::Buyer);
        after.text = text;
        let changes = Changeset {
            stat_deltas: review_deltas(Some(&before), &after),
            reviews: vec![ReviewWrite {
                review: after.clone(),
                expected_version: Some(before.version),
            }],
            ..Changeset::default()
        };
        self.commit_review_changes(changes).await?;
        after.version += 1;
        Ok(after)
    }

    /// The seller's one public reply to a published review.
    pub async fn reply_to_review(
        &self,
        actor: &Actor,
        id: ReviewId,
        text: &str,
    ) -> AppResult<Review> {
        let before = self
            .store
            .review(id)
            .await?
            .filter(|r| actor.store_id == Some(r.store_id))
            .ok_or_else(|| AppError::not_found("review"))?;
        if before.reply.is_some() {
            return Err(ineligible(reputation::Ineligible::AlreadyReplied));
        }
        if before.published_at.is_none() {
            return Err(AppError::invalid_state(
                "the review is not published yet: reviews are blind until both sides are in or 7 days pass",
            ));
        }
        let text = haven_domain::text::block("text", text, MAX_REPLY_TEXT_CHARS)?;
        if text.trim().is_empty() {
            return Err(AppError::invalid_field("text", "write a reply"));
        }
        let mut after = before.clone();
        after.reply = Some(SellerReply {
            moderation: self.review_moderation(&text, Sender::Seller),
            text,
            at: self.now(),
        });
        self.commit_review_changes(Changeset {
            reviews: vec![ReviewWrite {
                review: after.clone(),
                expected_version: Some(before.version),
            }],
            ..Changeset::default()
        })
        .await?;
        after.version += 1;
        Ok(after)
    }

    /// An agent decides a held review or reply: publish it, or keep it
    /// hidden for good.
    pub async fn moderate_review(
        &self,
        actor: &Actor,
        id: ReviewId,
        approve: bool,
        note: &str,
    ) -> AppResult<Review> {
        self.require_agent(actor)?;
        let before = self
            .store
            .review(id)
            .await?
            .ok_or_else(|| AppError::not_found("review"))?;
        let decided = if approve {
            Moderation::Clear
        } else {
            Moderation::Rejected {
                by: actor.id(),
                at: self.now(),
                note: haven_domain::text::optional_line("note", note, 500)?,
            }
        };
        let mut after = before.clone();
        let mut touched = false;
        if matches!(after.moderation, Moderation::Held { .. }) {
            after.moderation = decided.clone();
            touched = true;
        }
        if let Some(reply) = after.reply.as_mut()
            && matches!(reply.moderation, Moderation::Held { .. })
        {
            reply.moderation = decided;
            touched = true;
        }
        if !touched {
            return Err(AppError::invalid_state("nothing in this review is held"));
        }
        let mut changes = Changeset {
            stat_deltas: review_deltas(Some(&before), &after),
            reviews: vec![ReviewWrite {
                review: after.clone(),
                expected_version: Some(before.version),
            }],
            ..Changeset::default()
        };
        if after.is_public() && !before.is_public() {
            changes.outbox.push(published_event(&after, self.now()));
        }
        self.commit_review_changes(changes).await?;
        after.version += 1;
        Ok(after)
    }

    /// Reviews or replies the scanner held, oldest first (agents).
    pub async fn held_reviews(&self, actor: &Actor, page: &PageRequest) -> AppResult<Page<Review>> {
        self.require_agent(actor)?;
        Ok(self.store.held_reviews(page).await?)
    }

    /// What an order's page shows about reviewing it, for its buyer or
    /// seller.
    pub async fn order_review_state(
        &self,
        actor: &Actor,
        order: &Order,
    ) -> AppResult<OrderReviewState> {
        let now = self.now();
        let review = self.store.review_for_order(order.id).await?;
        let rating = self.store.buyer_rating(order.id).await?;
        let mut state = OrderReviewState::default();
        if actor.id() == order.buyer_id {
            let owner = self.shop_owner(order.store_id).await?;
            state.can_review_until =
                reputation::may_review(order, actor.id(), owner, review.is_some(), now).ok();
            state.buyer_rating = rating.filter(|r| r.published_at.is_some());
            state.review = review;
        } else if actor.store_id == Some(order.store_id) {
            state.can_rate_buyer = reputation::may_rate_buyer(order, rating.is_some(), now).is_ok();
            state.buyer_rating = rating;
            state.buyer_summary = Some(self.store.buyer_rating_summary(order.buyer_id).await?);
            state.review = review.filter(|r| r.is_public());
        }
        Ok(state)
    }

    /// A store's public reviews, newest first, optionally by stars or only
    /// with photos.
    pub async fn store_reviews(
        &self,
        store: StoreId,
        filter: ReviewFilter,
        page: &PageRequest,
    ) -> AppResult<Page<Review>> {
        if filter.stars.is_some_and(|s| Stars::new(s).is_none()) {
            return Err(AppError::invalid_field("stars", "1 to 5"));
        }
        Ok(self.store.store_reviews(store, filter, page).await?)
    }

    /// A store's metrics, summary and badges, from its counters.
    pub async fn store_reputation(&self, store: StoreId) -> AppResult<StoreReputation> {
        let shop = self
            .store
            .shop(store)
            .await?
            .ok_or_else(|| AppError::not_found("store"))?;
        let now = self.now();
        let months = self.store.store_stats(store).await?;
        let year_ago = now - haven_domain::SignedDuration::from_hours(24 * 365);
        let regular = self.store.regular_buyers(store, year_ago).await?;
        let metrics = reputation::compute_metrics(shop.created_at, &months, regular, now);
        let verified = self.store.user(shop.owner_id).await?.is_some_and(|u| {
            u.verification_level() == haven_domain::account::VerificationLevel::IdentityVerified
        });
        Ok(StoreReputation {
            store_id: store,
            explained: metrics.explained(),
            summary: metrics.summary(),
            top_seller: reputation::top_seller(&metrics),
            verified,
            metrics,
        })
    }

    /// Recompute every store counter from the orders, reviews and
    /// conversations, replacing what the incremental path wrote.
    pub async fn rebuild_reputation(&self) -> AppResult<RebuildReport> {
        let mut report = RebuildReport::default();
        let mut counters: std::collections::BTreeMap<
            (StoreId, i32, i64),
            reputation::StatCounters,
        > = Default::default();
        let mut add = |deltas: Vec<StatDelta>| {
            for d in deltas {
                counters
                    .entry((d.store_id, d.month, d.shard))
                    .or_default()
                    .add_scaled(&d.counters, 1);
            }
        };
        let mut latest: std::collections::HashMap<
            (StoreId, haven_domain::ids::UserId),
            Vec<Timestamp>,
        > = Default::default();
        let mut after = None;
        loop {
            let orders = self.store.scan_full_orders(after, 1_000).await?;
            let Some(last) = orders.last() else { break };
            after = Some(last.id);
            for order in &orders {
                report.orders += 1;
                let shard = reputation::order_shard(order.id);
                add(reputation::delta(
                    order.store_id,
                    shard,
                    &Vec::new(),
                    &reputation::order_facts(order),
                ));
                if let Some(done) = reputation::completion(None, order) {
                    let times = latest.entry((done.store_id, done.buyer_id)).or_default();
                    times.push(done.completed_at);
                    times.sort_unstable_by(|a, b| b.cmp(a));
                    times.truncate(2);
                }
            }
        }
        let mut after = None;
        loop {
            let reviews = self.store.scan_reviews(after, 1_000).await?;
            let Some(last) = reviews.last() else { break };
            after = Some(last.id);
            for review in &reviews {
                report.reviews += 1;
                add(review_deltas(None, review));
            }
        }
        let mut after = None;
        loop {
            let conversations = self.store.scan_conversations(after, 1_000).await?;
            let Some(last) = conversations.last() else {
                break;
            };
            after = Some(last.id);
            for c in &conversations {
                report.conversations += 1;
                add(reputation::delta(
                    c.store_id,
                    0,
                    &Vec::new(),
                    &reputation::conversation_facts(c),
                ));
            }
        }
        let mut changes = Changeset {
            reset_reputation: true,
            ..Changeset::default()
        };
        for ((store_id, month, shard), counters) in counters {
            report.counter_rows += 1;
            changes.stat_deltas.push(StatDelta {
                store_id,
                month,
                shard,
                counters,
            });
        }
        for ((store_id, buyer_id), mut times) in latest {
            report.buyer_rows += 1;
            times.reverse(); // oldest first: the second becomes `last`
            for completed_at in times {
                changes.buyer_completions.push(reputation::BuyerCompletion {
                    store_id,
                    buyer_id,
                    completed_at,
                });
            }
        }
        self.store.commit(changes).await?;
        Ok(report)
    }
}
