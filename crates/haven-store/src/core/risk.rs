//! The risk queries of the [`Store`](crate::Store) trait, written once.

use haven_domain::ids::{OrderId, UserId};

use super::read::{all, one};
use super::{Backend, Core, Row, sql};
use crate::{
    LinkedAccount, Page, PageRequest, RiskAttempt, RiskKey, RiskKeyCounts, RiskListEntry,
    RiskOutcome, RiskRule, RiskWindow, StoreError, StoreResult, params,
};

/// A counts row: column 0 is the part's tag, 1–5 the counts.
/// The parameters every per-key count shares (?1-?5, see `risk_counts!`),
/// then `sixth`.
fn window_params(window: &RiskWindow, sixth: super::Value) -> Vec<super::Value> {
    let mut params = params![
        window.hour_ago,
        window.day_ago,
        window.month_ago,
        window.card_fp.clone().unwrap_or_default(),
        window.buyer_id.0
    ];
    params.push(sixth);
    params
}

fn counts_row(r: &Row) -> StoreResult<RiskKeyCounts> {
    Ok(RiskKeyCounts {
        last_hour: r.int(1)?,
        last_day: r.int(2)?,
        failed_last_day: r.int(3)?,
        other_cards: r.int(4)?,
        other_accounts: r.int(5)?,
    })
}

fn attempt_row(r: &Row) -> StoreResult<RiskAttempt> {
    let outcome = r.text(10)?;
    Ok(RiskAttempt {
        id: r.uuid(0)?,
        at: r.time(1)?,
        buyer_id: UserId(r.uuid(2)?),
        order_id: r.opt_uuid(3)?.map(OrderId),
        card_fp: r.opt_text(4)?,
        device_id: r.opt_text(5)?,
        ip: r.opt_text(6)?,
        address_key: r.text(7)?,
        amount_minor: r.int(8)?,
        currency: r.text(9)?,
        outcome: RiskOutcome::parse(&outcome)
            .ok_or_else(|| StoreError::Backend(format!("unknown risk outcome {outcome}")))?,
        score: r.int(11)?,
        assessment: r.json(12)?,
    })
}

fn rule_row(r: &Row) -> StoreResult<RiskRule> {
    Ok(RiskRule {
        id: r.text(0)?,
        version: r.int(1)?,
        name: r.text(2)?,
        action: r.text(3)?,
        expression: r.text(4)?,
        enabled: r.int(5)? != 0,
        updated_at: r.time(6)?,
        updated_by: r.opt_uuid(7)?.map(UserId),
    })
}

impl<B: Backend> Core<B> {
    pub(super) async fn enforcement(
        &self,
        store: haven_domain::ids::StoreId,
    ) -> StoreResult<Option<(haven_domain::enforcement::StoreEnforcement, i64)>> {
        one(
            self.first(sql::ENFORCEMENT_BY_STORE, params![store.0])
                .await?,
            |r| Ok((r.json(0)?, r.int(1)?)),
        )
    }

    pub(super) async fn metrics(
        &self,
        store: haven_domain::ids::StoreId,
        since: haven_domain::Timestamp,
    ) -> StoreResult<haven_domain::enforcement::SellerMetrics> {
        let row = self
            .first(sql::SELLER_METRICS, params![store.0, since])
            .await?;
        Ok(one(row, |r| {
            Ok(haven_domain::enforcement::SellerMetrics {
                orders: r.int(0)?,
                disputes_lost: r.int(1)?,
                chargebacks: r.int(2)?,
                low_ratings: r.int(4)?,
                strikes: r.int(3)?,
            })
        })?
        .unwrap_or_default())
    }

    pub(super) async fn enforced(
        &self,
        page: &PageRequest,
    ) -> StoreResult<Page<haven_domain::enforcement::StoreEnforcement>> {
        // Oldest change first: the store waiting longest is seen first.
        let (ms, id) = crate::queue_position(page);
        let rows = self
            .rows(sql::ENFORCEMENT_PAGE, params![ms, id, page.limit + 1])
            .await?;
        let items = all(rows, |r| {
            let record: haven_domain::enforcement::StoreEnforcement = r.json(0)?;
            Ok((record, r.int(2)?))
        })?;
        let page = crate::make_page(items, page.limit, |(record, at_ms): &(_, i64)| {
            (haven_domain::clock::from_ms(*at_ms), record_store(record))
        });
        Ok(Page {
            items: page.items.into_iter().map(|(record, _)| record).collect(),
            next_cursor: page.next_cursor,
        })
    }

    pub(super) async fn risk_counts(
        &self,
        key: &RiskKey,
        window: &RiskWindow,
    ) -> StoreResult<RiskKeyCounts> {
        let (statement, value) = match key {
            RiskKey::Account(id) => (sql::RISK_COUNTS_BY_BUYER, id.0.to_string()),
            RiskKey::Card(fp) => (sql::RISK_COUNTS_BY_CARD, fp.clone()),
            RiskKey::Device(id) => (sql::RISK_COUNTS_BY_DEVICE, id.clone()),
            RiskKey::Ip(ip) => (sql::RISK_COUNTS_BY_IP, ip.clone()),
            RiskKey::Address(key) => (sql::RISK_COUNTS_BY_ADDRESS, key.clone()),
        };
        let row = self
            .first(statement, window_params(window, value.into()))
            .await?;
        Ok(one(row, counts_row)?.unwrap_or_default())
    }

    /// One combined statement where statements cost round trips
    /// (PostgreSQL: 403 against 276 orders/s with risk on in `haven bench
    /// checkout`), separate reads side by side in process (SQLite: 1,213
    /// against 1,117-1,144; the combined statement runs on one core).
    pub(super) async fn payment_counts(
        &self,
        ask: &crate::RiskCountsRequest,
    ) -> StoreResult<crate::RiskPaymentCounts> {
        if !self.backend.reads_cost_round_trips() {
            return self.payment_counts_apart(ask).await;
        }
        let window = &ask.window;
        let params = params![
            window.hour_ago,
            window.day_ago,
            window.month_ago,
            window.card_fp.clone().unwrap_or_default(),
            window.buyer_id.0,
            super::Value::opt_text(window.card_fp.clone()),
            ask.address_key.clone(),
            super::Value::opt_text(ask.device_id.clone()),
            super::Value::opt_text(ask.ip.clone()),
            ask.currency.clone()
        ];
        let mut counts = crate::RiskPaymentCounts::default();
        for row in self.rows(sql::RISK_PAYMENT_COUNTS, params).await? {
            match row.int(0)? {
                0 => counts.account = counts_row(&row)?,
                1 => counts.card = counts_row(&row)?,
                2 => counts.address = counts_row(&row)?,
                3 => counts.device = counts_row(&row)?,
                4 => counts.ip = counts_row(&row)?,
                5 => counts.paid_history = (row.int(1)?, row.int(2)?),
                _ => counts.device_seen = row.int(1)? > 0,
            }
        }
        Ok(counts)
    }

    async fn payment_counts_apart(
        &self,
        ask: &crate::RiskCountsRequest,
    ) -> StoreResult<crate::RiskPaymentCounts> {
        let window = &ask.window;
        let optional = |key: Option<RiskKey>| async move {
            match key {
                Some(key) => self.risk_counts(&key, window).await,
                None => Ok(RiskKeyCounts::default()),
            }
        };
        let ((account, paid_history), card, address, device, ip, device_seen) = tokio::try_join!(
            self.risk_buyer_counts(ask),
            optional(window.card_fp.clone().map(RiskKey::Card)),
            optional(Some(RiskKey::Address(ask.address_key.clone()))),
            optional(ask.device_id.clone().map(RiskKey::Device)),
            optional(ask.ip.clone().map(RiskKey::Ip)),
            async {
                match &ask.device_id {
                    Some(device) => self.risk_seen(window.buyer_id, device).await,
                    None => Ok(false),
                }
            },
        )?;
        Ok(crate::RiskPaymentCounts {
            account,
            card,
            address,
            device,
            ip,
            paid_history,
            device_seen,
        })
    }

    /// The buyer's own counts and paid history in one read.
    async fn risk_buyer_counts(
        &self,
        ask: &crate::RiskCountsRequest,
    ) -> StoreResult<(RiskKeyCounts, (i64, i64))> {
        let window = &ask.window;
        let row = self
            .first(
                sql::RISK_BUYER_COUNTS_AND_HISTORY,
                window_params(window, ask.currency.clone().into()),
            )
            .await?;
        let both = |r: &Row| Ok((counts_row(r)?, (r.int(6)?, r.int(7)?)));
        Ok(one(row, both)?.unwrap_or_default())
    }

    pub(super) async fn risk_history(
        &self,
        buyer: UserId,
        currency: &str,
    ) -> StoreResult<(i64, i64)> {
        let row = self
            .first(sql::RISK_PAID_HISTORY, params![buyer.0, currency])
            .await?;
        Ok(one(row, |r| Ok((r.int(1)?, r.int(2)?)))?.unwrap_or((0, 0)))
    }

    pub(super) async fn risk_seen(&self, buyer: UserId, device_id: &str) -> StoreResult<bool> {
        let row = self
            .first(sql::RISK_DEVICE_SEEN, params![buyer.0, device_id])
            .await?;
        Ok(one(row, |r| r.int(1))?.unwrap_or(0) > 0)
    }

    pub(super) async fn risk_by_order(&self, order: OrderId) -> StoreResult<Option<RiskAttempt>> {
        one(
            self.first(sql::RISK_ATTEMPT_BY_ORDER, params![order.0])
                .await?,
            attempt_row,
        )
    }

    pub(super) async fn risk_by_id(&self, id: uuid::Uuid) -> StoreResult<Option<RiskAttempt>> {
        one(
            self.first(sql::RISK_ATTEMPT_BY_ID, params![id]).await?,
            attempt_row,
        )
    }

    pub(super) async fn risk_in_review(
        &self,
        page: &PageRequest,
    ) -> StoreResult<Page<RiskAttempt>> {
        self.queue_page(sql::RISK_ATTEMPTS_IN_REVIEW, page, attempt_row, |a| {
            (a.at, a.id)
        })
        .await
    }

    pub(super) async fn risk_recent(&self, limit: u32) -> StoreResult<Vec<RiskAttempt>> {
        all(
            self.rows(sql::RISK_ATTEMPTS_RECENT, params![limit]).await?,
            attempt_row,
        )
    }

    pub(super) async fn risk_linked(
        &self,
        attempt: &RiskAttempt,
        limit: u32,
    ) -> StoreResult<Vec<LinkedAccount>> {
        // A key the attempt lacks matches nothing ('' is never stored).
        let key = |value: &Option<String>| value.clone().unwrap_or_default();
        let rows = self
            .rows(
                sql::RISK_LINKED_ACCOUNTS,
                params![
                    attempt.buyer_id.0,
                    key(&attempt.device_id),
                    key(&attempt.card_fp),
                    key(&attempt.ip),
                    &attempt.address_key,
                    limit
                ],
            )
            .await?;
        all(rows, |r| {
            Ok(LinkedAccount {
                buyer_id: UserId(r.uuid(0)?),
                via: r.text(1)?,
                attempts: r.int(2)?,
            })
        })
    }

    pub(super) async fn rules(&self) -> StoreResult<Vec<RiskRule>> {
        all(self.rows(sql::RISK_RULES, Vec::new()).await?, rule_row)
    }

    pub(super) async fn rule_versions(&self, id: &str) -> StoreResult<Vec<RiskRule>> {
        all(
            self.rows(sql::RISK_RULE_VERSIONS, params![id]).await?,
            rule_row,
        )
    }

    pub(super) async fn lists(&self) -> StoreResult<Vec<RiskListEntry>> {
        all(self.rows(sql::RISK_LISTS, Vec::new()).await?, |r| {
            Ok(RiskListEntry {
                name: r.text(0)?,
                value: r.text(1)?,
                added_at: r.time(2)?,
                added_by: r.opt_uuid(3)?.map(UserId),
            })
        })
    }
}

fn record_store(record: &haven_domain::enforcement::StoreEnforcement) -> uuid::Uuid {
    record.store_id.0
}
