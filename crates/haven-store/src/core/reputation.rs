//! The reputation queries of the [`Store`](crate::Store) trait, written once.

use haven_domain::Timestamp;
use haven_domain::ids::{ConversationId, ListingId, OrderId, StoreId, UserId};
use haven_domain::messaging::Conversation;
use haven_domain::order::Order;
use haven_domain::reputation::{BuyerRating, Review, ReviewId, STAT_COLUMNS, StatCounters};

use super::read::{all, one};
use super::{Backend, Core, Row, sql};
use crate::{
    CaseStatus, IntegrityCase, Page, PageRequest, ReviewFilter, ReviewSignal, StoreResult,
    make_page, params,
};

fn review_row(r: &Row) -> StoreResult<Review> {
    let mut review: Review = r.json(0)?;
    review.version = r.int(1)?;
    Ok(review)
}

fn case_row(r: &Row) -> StoreResult<IntegrityCase> {
    let mut case: IntegrityCase = r.json(0)?;
    case.version = r.int(1)?;
    Ok(case)
}

fn signal_row(r: &Row) -> StoreResult<ReviewSignal> {
    let rating = r.int(5)?;
    Ok(ReviewSignal {
        review_id: r.uuid(0)?,
        order_id: OrderId(r.uuid(1)?),
        buyer_id: UserId(r.uuid(2)?),
        store_id: StoreId(r.uuid(3)?),
        listing_id: ListingId(r.uuid(4)?),
        rating: u8::try_from(rating).unwrap_or(0),
        created_at: r.time(6)?,
        buyer_created_at: r.time(7)?,
        device: r.opt_text(8)?,
        ip: r.opt_text(9)?,
        address: r.opt_text(10)?,
        card: r.opt_text(11)?,
        already_flagged: r.int(12)? != 0,
    })
}

fn stats_row(r: &Row) -> StoreResult<(i32, StatCounters)> {
    let month = i32::try_from(r.int(0)?).unwrap_or_default();
    let mut values = [0_i64; STAT_COLUMNS.len()];
    for (i, value) in values.iter_mut().enumerate() {
        *value = r.int(i + 1)?;
    }
    Ok((month, StatCounters::from_array(values)))
}

fn after_id(after: Option<uuid::Uuid>) -> String {
    after.map(|id| id.to_string()).unwrap_or_default()
}

impl<B: Backend> Core<B> {
    pub(super) async fn review_by(
        &self,
        statement: super::Sql,
        id: uuid::Uuid,
    ) -> StoreResult<Option<Review>> {
        one(self.first(statement, params![id]).await?, review_row)
    }

    pub(super) async fn reviews_of_store(
        &self,
        store: StoreId,
        filter: ReviewFilter,
        page: &PageRequest,
    ) -> StoreResult<Page<Review>> {
        let stars = i64::from(filter.stars.unwrap_or(0));
        self.page(
            sql::REVIEWS_FOR_STORE,
            params![store.0, stars, i64::from(filter.with_photos)],
            page,
            review_row,
            |r: &Review| (r.created_at, r.id),
        )
        .await
    }

    pub(super) async fn reviews_held(&self, page: &PageRequest) -> StoreResult<Page<Review>> {
        let (ms, id) = crate::queue_position(page);
        let rows = self
            .rows(sql::REVIEWS_HELD, params![ms, id, page.limit + 1])
            .await?;
        let rows = all(rows, review_row)?;
        Ok(make_page(rows, page.limit, |r: &Review| {
            (r.created_at, r.id)
        }))
    }

    pub(super) async fn rating_for_order(
        &self,
        order: OrderId,
    ) -> StoreResult<Option<BuyerRating>> {
        one(
            self.first(sql::BUYER_RATING_BY_ORDER, params![order.0])
                .await?,
            |r| r.json(0),
        )
    }

    pub(super) async fn rating_summary(&self, buyer: UserId) -> StoreResult<(i64, i64)> {
        let row = self
            .first(sql::BUYER_RATING_SUMMARY, params![buyer.0])
            .await?;
        Ok(one(row, |r| Ok((r.int(0)?, r.int(1)?)))?.unwrap_or((0, 0)))
    }

    pub(super) async fn stats_of(&self, store: StoreId) -> StoreResult<Vec<(i32, StatCounters)>> {
        all(
            self.rows(sql::STORE_STATS_FOR_STORE, params![store.0])
                .await?,
            stats_row,
        )
    }

    pub(super) async fn regulars(&self, store: StoreId, since: Timestamp) -> StoreResult<i64> {
        let row = self
            .first(sql::REGULAR_BUYERS, params![store.0, since])
            .await?;
        Ok(one(row, |r| r.int(0))?.unwrap_or(0))
    }

    pub(super) async fn signals(
        &self,
        since: Timestamp,
        after: Option<ReviewId>,
        limit: u32,
    ) -> StoreResult<Vec<ReviewSignal>> {
        let rows = self
            .rows(sql::REVIEW_SIGNALS, params![since, after_id(after), limit])
            .await?;
        all(rows, signal_row)
    }

    pub(super) async fn signals_for(
        &self,
        store: Option<StoreId>,
        buyer: Option<UserId>,
        since: Timestamp,
        limit: u32,
    ) -> StoreResult<Vec<ReviewSignal>> {
        let store = store.map(|s| s.0.to_string()).unwrap_or_default();
        let buyer = buyer.map(|b| b.0.to_string()).unwrap_or_default();
        let rows = self
            .rows(sql::REVIEW_SIGNALS_FOR, params![store, buyer, since, limit])
            .await?;
        all(rows, signal_row)
    }

    pub(super) async fn owner_identifiers(
        &self,
        store: Option<StoreId>,
        since: Timestamp,
        limit: u32,
    ) -> StoreResult<Vec<crate::OwnerIdentifiers>> {
        let store = store.map(|s| s.0.to_string()).unwrap_or_default();
        let rows = self
            .rows(sql::STORE_OWNER_IDENTIFIERS, params![since, store, limit])
            .await?;
        all(rows, |r| {
            Ok(crate::OwnerIdentifiers {
                store_id: StoreId(r.uuid(0)?),
                device: r.opt_text(1)?,
                card: r.opt_text(2)?,
                address: r.opt_text(3)?,
                ip: r.opt_text(4)?,
            })
        })
    }

    pub(super) async fn case_by_id(&self, id: uuid::Uuid) -> StoreResult<Option<IntegrityCase>> {
        one(
            self.first(sql::INTEGRITY_CASE_BY_ID, params![id]).await?,
            case_row,
        )
    }

    pub(super) async fn open_case_of(&self, store: StoreId) -> StoreResult<Option<IntegrityCase>> {
        one(
            self.first(sql::INTEGRITY_CASE_OPEN_FOR_STORE, params![store.0])
                .await?,
            case_row,
        )
    }

    pub(super) async fn cases(
        &self,
        status: Option<CaseStatus>,
        page: &PageRequest,
    ) -> StoreResult<Page<IntegrityCase>> {
        if status == Some(CaseStatus::Open) {
            return self
                .queue_page(sql::INTEGRITY_CASES_OPEN, page, case_row, |c| {
                    (c.created_at, c.id)
                })
                .await;
        }
        let status = status.map(CaseStatus::as_str).unwrap_or_default();
        self.page(
            sql::INTEGRITY_CASES_PAGE,
            params![status],
            page,
            case_row,
            |c: &IntegrityCase| (c.created_at, c.id),
        )
        .await
    }

    pub(super) async fn orders_in_id_order(
        &self,
        after: Option<OrderId>,
        limit: u32,
    ) -> StoreResult<Vec<Order>> {
        let rows = self
            .rows(
                sql::ORDERS_SCAN_FULL,
                params![after_id(after.map(|o| o.0)), limit],
            )
            .await?;
        all(rows, |r| {
            let mut order: Order = r.json(0)?;
            order.version = r.int(1)?;
            Ok(order)
        })
    }

    pub(super) async fn reviews_in_id_order(
        &self,
        after: Option<ReviewId>,
        limit: u32,
    ) -> StoreResult<Vec<Review>> {
        let rows = self
            .rows(sql::REVIEWS_SCAN, params![after_id(after), limit])
            .await?;
        all(rows, review_row)
    }

    pub(super) async fn conversations_in_id_order(
        &self,
        after: Option<ConversationId>,
        limit: u32,
    ) -> StoreResult<Vec<Conversation>> {
        let rows = self
            .rows(
                sql::CONVERSATIONS_SCAN,
                params![after_id(after.map(|c| c.0)), limit],
            )
            .await?;
        all(rows, |r| {
            let mut conversation: Conversation = r.json(0)?;
            conversation.version = r.int(1)?;
            Ok(conversation)
        })
    }
}
