//! The [`Store`] trait over any [`Backend`]: every query, and the decoders
//! from rows to domain types, written once for both databases.

use async_trait::async_trait;
use haven_domain::Timestamp;
use haven_domain::account::{OneTimeToken, Session, TokenKind, User};
use haven_domain::catalog::{Listing, Shop};
use haven_domain::dispute::Dispute;
use haven_domain::evidence::EvidenceEntry;
use haven_domain::ids::{
    ConversationId, DisputeId, EntryId, ListingId, OrderId, PayoutId, StoreId, TimerId, UserId,
};
use haven_domain::ledger::{Entry, EntryKind, Posting};
use haven_domain::messaging::{Conversation, Message, SecurityFlag};
use haven_domain::money::{Currency, Money};
use haven_domain::order::{Order, OrderState};
use haven_domain::policy::{Policy, PolicyVersion};
use haven_domain::timer::TimerKind;
use haven_domain::trail::AuditRecord;

use super::plan::{POLICY_LOCK, plan};
use super::{Backend, Core, Expect, Op, Row, Value, sql};
use crate::{
    BalanceRow, Changeset, Command, CommandState, EvidenceFile, IdempotencyRecord, JournalRecord,
    ListingFilter, Media, OpsSnapshot, OrderSummary, OutboxEvent, Page, PageRequest, PartyHistory,
    Payout, PolicyRecord, Store, StoreError, StoreResult, StoredEntry, Strike, SweepCursor,
    ThrottleCount, Timer, TrackingEvent, make_page, params,
};

use haven_domain::reputation::{BuyerRating, Review, ReviewId, StatCounters};

fn corrupt(what: String) -> StoreError {
    StoreError::Backend(format!("unreadable row: {what}"))
}

/// `(created_ms, id)` of the keyset position, newest first.
fn keyset(page: &PageRequest) -> (i64, String) {
    match page.position() {
        Some((ms, id)) => (ms, id.to_string()),
        None => (i64::MAX, String::new()),
    }
}

/// A row of `(data, version)` as a versioned document.
fn versioned<T: serde::de::DeserializeOwned>(
    row: &Row,
    set: impl FnOnce(&mut T, i64),
) -> StoreResult<T> {
    let mut value: T = row.json(0)?;
    set(&mut value, row.int(1)?);
    Ok(value)
}

fn user_row(row: &Row) -> StoreResult<User> {
    versioned(row, |u: &mut User, v| u.version = v)
}

fn order_row(row: &Row) -> StoreResult<Order> {
    versioned(row, |o: &mut Order, v| o.version = v)
}

fn dispute_row(row: &Row) -> StoreResult<Dispute> {
    versioned(row, |d: &mut Dispute, v| d.version = v)
}

fn conversation_row(row: &Row) -> StoreResult<Conversation> {
    versioned(row, |c: &mut Conversation, v| c.version = v)
}

/// `data, stock, deal_remaining`: the two counters are the row's.
pub(super) fn listing_row(row: &Row) -> StoreResult<Listing> {
    let mut listing: Listing = row.json(0)?;
    listing.stock = row.int(1)?;
    if let Some(deal) = &mut listing.deal {
        deal.remaining = u32::try_from(row.int(2)?).unwrap_or(0);
    }
    Ok(listing)
}

fn search_row(row: &Row) -> StoreResult<crate::SearchRow> {
    Ok(crate::SearchRow {
        listing: listing_row(row)?,
        units_sold: row.int(3)?,
        rating_sum: row.int(4)?,
        rating_count: row.int(5)?,
    })
}

fn session_row(r: &Row) -> StoreResult<Session> {
    Ok(Session {
        token_hash: r.text(0)?,
        user_id: UserId(r.uuid(1)?),
        kind: r.json(2)?,
        created_at: r.time(3)?,
        expires_at: r.time(4)?,
        user_agent: r.text(5)?,
        ip: r.text(6)?,
        last_seen_at: r.time(7)?,
        reauthenticated_at: r.time(8)?,
    })
}

fn token_row(r: &Row) -> StoreResult<OneTimeToken> {
    let kind = r.text(1)?;
    Ok(OneTimeToken {
        token_hash: r.text(0)?,
        kind: TokenKind::parse(&kind).ok_or_else(|| corrupt(format!("token kind {kind}")))?,
        user_id: UserId(r.uuid(2)?),
        created_at: r.time(3)?,
        expires_at: r.time(4)?,
        used_at: r.opt_time(5)?,
        data: r.json(6)?,
    })
}

fn timer_row(r: &Row) -> StoreResult<Timer> {
    let kind = r.text(2)?;
    Ok(Timer {
        id: TimerId(r.uuid(0)?),
        order_id: OrderId(r.uuid(1)?),
        kind: TimerKind::parse(&kind).ok_or_else(|| corrupt(format!("timer kind {kind}")))?,
        due_at: r.time(3)?,
        attempts: i32::try_from(r.int(4)?).unwrap_or(i32::MAX),
    })
}

fn outbox_row(r: &Row) -> StoreResult<OutboxEvent> {
    Ok(OutboxEvent {
        seq: r.int(0)?,
        id: r.uuid(1)?,
        topic: r.text(2)?,
        payload: r.json(3)?,
        created_at: r.time(4)?,
    })
}

fn money(r: &Row, amount: usize, currency: usize) -> StoreResult<Money> {
    let code = r.text(currency)?;
    let currency = Currency::parse(&code).map_err(|e| corrupt(format!("currency {code}: {e}")))?;
    Ok(Money::new(r.int(amount)?, currency))
}

fn payout_row(r: &Row) -> StoreResult<Payout> {
    Ok(Payout {
        id: PayoutId(r.uuid(0)?),
        store_id: StoreId(r.uuid(1)?),
        amount: money(r, 2, 3)?,
        state: r.text(4)?,
        created_at: r.time(5)?,
        settled_at: r.opt_time(6)?,
        bank_reference: r.opt_text(7)?,
    })
}

fn statement_row(r: &Row) -> StoreResult<crate::StatementLine> {
    let kind = r.text(1)?;
    Ok(crate::StatementLine {
        seq: r.int(0)?,
        kind: haven_domain::ledger::EntryKind::parse(&kind)
            .ok_or_else(|| corrupt(format!("entry kind {kind}")))?,
        order_id: r.opt_uuid(2)?.map(OrderId),
        payout_id: r.opt_uuid(3)?.map(PayoutId),
        created_at: r.time(4)?,
        amount: money(r, 6, 5)?,
    })
}

fn command_row(r: &Row) -> StoreResult<Command> {
    let state = r.text(4)?;
    Ok(Command {
        id: r.uuid(0)?,
        kind: r.text(1)?,
        dedupe_key: r.text(2)?,
        payload: r.json(3)?,
        state: CommandState::parse(&state)
            .ok_or_else(|| corrupt(format!("command state {state}")))?,
        attempts: i32::try_from(r.int(5)?).unwrap_or(i32::MAX),
        next_attempt_at: r.time(6)?,
        last_error: r.text(7)?,
        order_id: r.opt_text(8)?.as_deref().and_then(OrderId::parse),
        created_at: r.time(9)?,
        done_at: r.opt_time(10)?,
        lease_until: r.time(11)?,
    })
}

fn journal_row(r: &Row) -> StoreResult<JournalRecord> {
    Ok(JournalRecord {
        key: r.text(0)?,
        kind: r.text(1)?,
        body: r.json(2)?,
        version: r.int(3)?,
        created_at: r.time(4)?,
    })
}

fn entry_header(row: &Row) -> StoreResult<(i64, Entry)> {
    let kind = row.text(3)?;
    Ok((
        row.int(0)?,
        Entry {
            id: EntryId(row.uuid(1)?),
            idempotency_key: row.text(2)?,
            kind: EntryKind::parse(&kind).ok_or_else(|| corrupt(format!("entry kind {kind}")))?,
            order_id: row.opt_text(4)?.as_deref().and_then(OrderId::parse),
            payout_id: row.opt_text(5)?.as_deref().and_then(PayoutId::parse),
            created_at: row.time(6)?,
            postings: Vec::new(),
        },
    ))
}

/// Attach postings (rows of `entry_seq, account, currency, amount`) to the
/// entries they belong to.
fn with_postings(headers: Vec<(i64, Entry)>, postings: &[Row]) -> StoreResult<Vec<StoredEntry>> {
    let mut out: Vec<StoredEntry> = headers
        .into_iter()
        .map(|(seq, entry)| StoredEntry { seq, entry })
        .collect();
    for row in postings {
        let seq = row.int(0)?;
        let Ok(index) = out.binary_search_by_key(&seq, |e| e.seq) else {
            continue;
        };
        let account = row
            .text(1)?
            .parse()
            .map_err(|e| corrupt(format!("account: {e}")))?;
        out[index].entry.postings.push(Posting {
            account,
            amount: money(row, 3, 2)?,
        });
    }
    Ok(out)
}

pub(super) fn all<T>(
    rows: Vec<Row>,
    decode: impl Fn(&Row) -> StoreResult<T>,
) -> StoreResult<Vec<T>> {
    rows.iter().map(decode).collect()
}

pub(super) fn one<T>(
    row: Option<Row>,
    decode: impl Fn(&Row) -> StoreResult<T>,
) -> StoreResult<Option<T>> {
    row.as_ref().map(decode).transpose()
}

impl<B: Backend> Core<B> {
    /// Accounts made before look-alike names were refused get their
    /// skeletons here, oldest first. A later account whose skeleton an
    /// earlier one already has keeps a unique placeholder instead: it stays
    /// usable, and the unique indexes (created last) can exist.
    async fn backfill_skeletons(&self) -> StoreResult<()> {
        loop {
            let users = all(
                self.rows(sql::USERS_WITHOUT_SKELETON, Vec::new()).await?,
                user_row,
            )?;
            if users.is_empty() {
                break;
            }
            for user in users {
                let email = haven_domain::text::skeleton(user.email.as_str());
                let name = haven_domain::text::skeleton(&user.display_name);
                let taken = self
                    .rows(
                        sql::USERS_LOOKING_LIKE,
                        params![email.clone(), name.clone()],
                    )
                    .await?;
                let email_taken = taken
                    .iter()
                    .any(|r| r.text(2).ok().as_deref() == Some(email.as_str()));
                let name_taken = taken
                    .iter()
                    .any(|r| r.text(3).ok().as_deref() == Some(name.as_str()));
                let placeholder = format!("legacy:{}", user.id);
                let set = Op::exec(
                    sql::USER_SET_SKELETONS,
                    params![
                        user.id.0,
                        if email_taken {
                            placeholder.clone()
                        } else {
                            email
                        },
                        if name_taken { placeholder } else { name }
                    ],
                );
                self.backend.run(vec![set]).await?;
            }
        }
        for index in [
            sql::USERS_EMAIL_SKELETON_INDEX,
            sql::USERS_NAME_SKELETON_INDEX,
        ] {
            self.backend.run(vec![Op::exec(index, Vec::new())]).await?;
        }
        Ok(())
    }

    pub(super) async fn page<T>(
        &self,
        sql: super::Sql,
        mut leading: Vec<Value>,
        page: &PageRequest,
        decode: impl Fn(&Row) -> StoreResult<T>,
        key: impl Fn(&T) -> (Timestamp, uuid::Uuid),
    ) -> StoreResult<Page<T>> {
        let (ms, id) = keyset(page);
        leading.extend(params![ms, id, page.limit + 1]);
        let rows = all(self.rows(sql, leading).await?, decode)?;
        Ok(make_page(rows, page.limit, key))
    }

    /// As [`Core::page`], for a work queue read oldest first (the case
    /// waiting longest comes first; `sql` pages with `> (?, ?)`).
    pub(super) async fn queue_page<T>(
        &self,
        sql: super::Sql,
        page: &PageRequest,
        decode: impl Fn(&Row) -> StoreResult<T>,
        key: impl Fn(&T) -> (Timestamp, uuid::Uuid),
    ) -> StoreResult<Page<T>> {
        let (ms, id) = crate::queue_position(page);
        let rows = self.rows(sql, params![ms, id, page.limit + 1]).await?;
        Ok(make_page(all(rows, decode)?, page.limit, key))
    }

    async fn plan_and_run(&self, changes: &Changeset) -> StoreResult<()> {
        let ops = plan(changes)?;
        if ops.is_empty() {
            return Ok(());
        }
        self.backend.run(ops).await.map(|_| ())
    }
}

#[async_trait]
impl<B: Backend> Store for Core<B> {
    fn backend(&self) -> &'static str {
        self.backend.name()
    }

    async fn migrate(&self) -> StoreResult<()> {
        self.backend.migrate().await?;
        self.backfill_skeletons().await
    }

    async fn commit(&self, changes: Changeset) -> StoreResult<()> {
        self.plan_and_run(&changes).await
    }

    async fn latest_policy(&self) -> StoreResult<Option<(PolicyVersion, Policy)>> {
        let row = self.first(sql::POLICY_LATEST, Vec::new()).await?;
        one(row, |r| Ok((r.int(0)?, r.json(1)?)))
    }

    async fn policy(&self, version: PolicyVersion) -> StoreResult<Option<Policy>> {
        let row = self.first(sql::POLICY_BY_VERSION, params![version]).await?;
        one(row, |r| r.json(0))
    }

    /// Store `policy` as a new version unless it equals the latest. Under a
    /// lock on PostgreSQL, so two servers starting at once agree on one
    /// version; the insert's key makes a lost race fail rather than fork.
    async fn ensure_policy(
        &self,
        policy: &Policy,
        now: Timestamp,
        published_by: Option<UserId>,
    ) -> StoreResult<PolicyVersion> {
        for _ in 0..3 {
            if let Some((version, latest)) = self.latest_policy().await?
                && &latest == policy
            {
                return Ok(version);
            }
            let next = self.latest_policy().await?.map_or(1, |(v, _)| v + 1);
            let data = serde_json::to_string(policy)
                .map_err(|e| StoreError::Backend(format!("json: {e}")))?;
            let publisher = Value::opt_text(published_by.map(|id| id.to_string()));
            let insert = Op::exec(sql::POLICY_INSERT, params![next, data, now, publisher])
                .on_violation(crate::Conflict::DuplicateEntry);
            match self.backend.run(vec![Op::Lock(POLICY_LOCK), insert]).await {
                Ok(_) => return Ok(next),
                Err(StoreError::Conflict(_)) => continue,
                Err(err) => return Err(err),
            }
        }
        Err(StoreError::Backend(
            "could not record the policy version".into(),
        ))
    }

    async fn policy_history(
        &self,
        before: Option<PolicyVersion>,
        limit: u32,
    ) -> StoreResult<Vec<PolicyRecord>> {
        let before = before.unwrap_or(PolicyVersion::MAX);
        let rows = self
            .rows(sql::POLICY_HISTORY, params![before, i64::from(limit)])
            .await?;
        rows.iter()
            .map(|r| {
                Ok(PolicyRecord {
                    version: r.int(0)?,
                    policy: r.json(1)?,
                    published_at: r.time(2)?,
                    published_by: r.opt_uuid(3)?.map(UserId),
                })
            })
            .collect()
    }

    async fn user(&self, id: UserId) -> StoreResult<Option<User>> {
        one(self.first(sql::USER_BY_ID, params![id.0]).await?, user_row)
    }

    async fn user_by_email(&self, email: &str) -> StoreResult<Option<User>> {
        let email = email.trim().to_lowercase();
        one(
            self.first(sql::USER_BY_EMAIL, params![email]).await?,
            user_row,
        )
    }

    async fn users_looking_like(
        &self,
        email_skeleton: &str,
        name_skeleton: &str,
    ) -> StoreResult<Vec<User>> {
        let rows = self
            .rows(
                sql::USERS_LOOKING_LIKE,
                params![email_skeleton, name_skeleton],
            )
            .await?;
        all(rows, user_row)
    }

    async fn session_with_user(
        &self,
        token_hash: &str,
    ) -> StoreResult<Option<(Session, User, Option<StoreId>)>> {
        let row = self
            .first(sql::SESSION_WITH_USER, params![token_hash])
            .await?;
        one(row, |r| {
            let session = session_row(r)?;
            let mut user: User = r.json(9)?;
            user.version = r.int(10)?;
            let store = r.opt_text(11)?.as_deref().and_then(StoreId::parse);
            Ok((session, user, store))
        })
    }

    async fn session(&self, token_hash: &str) -> StoreResult<Option<Session>> {
        one(
            self.first(sql::SESSION_BY_HASH, params![token_hash])
                .await?,
            session_row,
        )
    }

    async fn sessions_for_user(&self, user: UserId) -> StoreResult<Vec<Session>> {
        all(
            self.rows(sql::SESSIONS_FOR_USER, params![user.0]).await?,
            session_row,
        )
    }

    async fn token(&self, token_hash: &str) -> StoreResult<Option<OneTimeToken>> {
        one(
            self.first(sql::TOKEN_BY_HASH, params![token_hash]).await?,
            token_row,
        )
    }

    async fn pending_identity_reviews(&self, page: &PageRequest) -> StoreResult<Page<User>> {
        self.queue_page(sql::USERS_PENDING_IDENTITY, page, user_row, |u| {
            (u.created_at, u.id.0)
        })
        .await
    }

    async fn shop(&self, id: StoreId) -> StoreResult<Option<Shop>> {
        one(self.first(sql::SHOP_BY_ID, params![id.0]).await?, |r| {
            r.json(0)
        })
    }

    async fn shop_by_owner(&self, owner: UserId) -> StoreResult<Option<Shop>> {
        one(
            self.first(sql::SHOP_BY_OWNER, params![owner.0]).await?,
            |r| r.json(0),
        )
    }

    async fn shops(&self, page: &PageRequest) -> StoreResult<Page<Shop>> {
        self.page(
            sql::SHOPS_PAGE,
            Vec::new(),
            page,
            |r| r.json(0),
            |s: &Shop| (s.created_at, s.id.0),
        )
        .await
    }

    async fn listing(&self, id: ListingId) -> StoreResult<Option<Listing>> {
        one(
            self.first(sql::LISTING_BY_ID, params![id.0]).await?,
            listing_row,
        )
    }

    async fn listings(
        &self,
        filter: &ListingFilter,
        page: &PageRequest,
    ) -> StoreResult<Page<Listing>> {
        let (ms, id) = keyset(page);
        let params = params![
            ms,
            id,
            filter.category.clone(),
            filter.store_id.map(|s| s.to_string()),
            page.limit + 1
        ];
        let rows = all(self.rows(sql::LISTINGS_PAGE, params).await?, listing_row)?;
        Ok(make_page(rows, page.limit, |l: &Listing| {
            (l.created_at, l.id.0)
        }))
    }

    async fn search_rows(
        &self,
        after: Option<ListingId>,
        store: Option<StoreId>,
        limit: u32,
    ) -> StoreResult<Vec<crate::SearchRow>> {
        // Ids are UUID text: the empty string sorts before all of them.
        let after = after.map(|id| id.0.to_string()).unwrap_or_default();
        let params = params![after, store.map(|s| s.to_string()), limit];
        all(self.rows(sql::SEARCH_ROWS, params).await?, search_row)
    }

    async fn search_row(&self, id: ListingId) -> StoreResult<Option<crate::SearchRow>> {
        one(
            self.first(sql::SEARCH_ROW, params![id.0]).await?,
            search_row,
        )
    }

    async fn media(&self, hash: &str) -> StoreResult<Option<Media>> {
        one(self.first(sql::MEDIA_BY_HASH, params![hash]).await?, |r| {
            Ok(Media {
                hash: r.text(0)?,
                content_type: r.text(1)?,
                bytes: r.blob(2)?,
            })
        })
    }

    async fn order(&self, id: OrderId) -> StoreResult<Option<Order>> {
        one(
            self.first(sql::ORDER_BY_ID, params![id.0]).await?,
            order_row,
        )
    }

    async fn orders_for_buyer(
        &self,
        buyer: UserId,
        page: &PageRequest,
    ) -> StoreResult<Page<Order>> {
        self.page(
            sql::ORDERS_FOR_BUYER,
            params![buyer.0],
            page,
            order_row,
            |o| (o.created_at, o.id.0),
        )
        .await
    }

    async fn orders_to_ship(&self, store: StoreId, limit: u32) -> StoreResult<Vec<Order>> {
        all(
            self.rows(sql::ORDERS_TO_SHIP, params![store.0, limit])
                .await?,
            order_row,
        )
    }

    async fn open_disputes_for_store(
        &self,
        store: StoreId,
        limit: u32,
    ) -> StoreResult<Vec<Dispute>> {
        all(
            self.rows(sql::DISPUTES_OPEN_FOR_STORE, params![store.0, limit])
                .await?,
            dispute_row,
        )
    }

    async fn orders_numbered(&self, digits: &str, limit: u32) -> StoreResult<Vec<OrderId>> {
        // Only hex digits reach the pattern, so no LIKE wildcard can.
        if digits.is_empty() || !digits.chars().all(|c| c.is_ascii_hexdigit()) {
            return Ok(Vec::new());
        }
        let pattern = format!("%{}", digits.to_ascii_lowercase());
        let rows = self
            .rows(sql::ORDER_IDS_ENDING, params![pattern, i64::from(limit)])
            .await?;
        rows.iter().map(|r| Ok(OrderId(r.uuid(0)?))).collect()
    }

    async fn orders_for_store(
        &self,
        store: StoreId,
        page: &PageRequest,
    ) -> StoreResult<Page<Order>> {
        self.page(
            sql::ORDERS_FOR_STORE,
            params![store.0],
            page,
            order_row,
            |o| (o.created_at, o.id.0),
        )
        .await
    }

    async fn tracking_owner(&self, carrier: &str, number: &str) -> StoreResult<Option<OrderId>> {
        let row = self
            .first(sql::TRACKING_OWNER, params![carrier, number])
            .await?;
        one(row, |r| Ok(OrderId(r.uuid(0)?)))
    }

    async fn tracking_events(
        &self,
        carrier: &str,
        number: &str,
    ) -> StoreResult<Vec<TrackingEvent>> {
        let rows = self
            .rows(sql::TRACKING_EVENTS, params![carrier, number])
            .await?;
        all(rows, |r| {
            Ok(TrackingEvent {
                carrier: r.text(0)?,
                tracking_number: r.text(1)?,
                status: r.text(2)?,
                occurred_at: r.time(3)?,
                location: r.text(4)?,
                received_at: r.time(5)?,
            })
        })
    }

    async fn store_escrow(&self, store: StoreId, currency: &str) -> StoreResult<(i64, i64)> {
        let row = self
            .first(sql::STORE_ESCROW, params![store.0, currency])
            .await?;
        Ok(one(row, |r| Ok((r.int(0)?, r.int(1)?)))?.unwrap_or((0, 0)))
    }

    async fn balance(&self, account: &str, currency: &str) -> StoreResult<i64> {
        let row = self
            .first(sql::BALANCE_GET, params![account, currency])
            .await?;
        Ok(one(row, |r| r.int(0))?.unwrap_or(0))
    }

    async fn entries_for_order(&self, order: OrderId) -> StoreResult<Vec<StoredEntry>> {
        let headers = all(
            self.rows(sql::ENTRIES_FOR_ORDER, params![order.0]).await?,
            entry_header,
        )?;
        if headers.is_empty() {
            return Ok(Vec::new());
        }
        let postings = self.rows(sql::POSTINGS_FOR_ORDER, params![order.0]).await?;
        with_postings(headers, &postings)
    }

    async fn payouts(&self, store: StoreId, page: &PageRequest) -> StoreResult<Page<Payout>> {
        self.page(sql::PAYOUTS_PAGE, params![store.0], page, payout_row, |p| {
            (p.created_at, p.id.0)
        })
        .await
    }

    async fn payout(&self, id: PayoutId) -> StoreResult<Option<Payout>> {
        one(
            self.first(sql::PAYOUT_BY_ID, params![id.0]).await?,
            payout_row,
        )
    }

    async fn claim_due_timers(
        &self,
        now: Timestamp,
        lease_until: Timestamp,
        limit: u32,
    ) -> StoreResult<Vec<Timer>> {
        let claim =
            Op::exec(sql::TIMERS_CLAIM, params![now, lease_until, limit]).expect(Expect::Rows);
        let rows = self.backend.run(vec![claim]).await?;
        let mut timers = all(rows.into_iter().flatten().collect(), timer_row)?;
        timers.sort_by_key(|t| (t.due_at, t.id));
        Ok(timers)
    }

    async fn ops_snapshot(&self, now: Timestamp) -> StoreResult<OpsSnapshot> {
        let row = self.first(sql::OPS_SNAPSHOT, params![now]).await?;
        Ok(one(row, |r| {
            Ok(OpsSnapshot {
                escrow_minor: r.int(0)?,
                timers_pending: r.int(1)?,
                timer_lag_ms: r.int(2)?.max(0),
                commands_pending: r.int(3)?,
                commands_dead: r.int(4)?,
                events_unpublished: r.int(5)?,
            })
        })?
        .unwrap_or_default())
    }

    async fn count_pending_timers(&self) -> StoreResult<i64> {
        let row = self.first(sql::TIMERS_COUNT, Vec::new()).await?;
        Ok(one(row, |r| r.int(0))?.unwrap_or(0))
    }

    async fn pending_timers(&self, order: OrderId) -> StoreResult<Vec<Timer>> {
        all(
            self.rows(sql::TIMERS_FOR_ORDER, params![order.0]).await?,
            timer_row,
        )
    }

    async fn timers_after(
        &self,
        after: &SweepCursor,
        until: Timestamp,
        limit: u32,
    ) -> StoreResult<Vec<Timer>> {
        let rows = self
            .rows(
                sql::TIMERS_AFTER,
                params![after.due_at, after.after_id.clone(), until, limit],
            )
            .await?;
        all(rows, timer_row)
    }

    async fn sweep_cursor(&self, name: &str) -> StoreResult<Option<SweepCursor>> {
        let row = self.first(sql::SWEEP_CURSOR, params![name]).await?;
        one(row, |r| {
            Ok(SweepCursor {
                due_at: r.time(0)?,
                after_id: r.text(1)?,
            })
        })
    }

    async fn advance_sweep(
        &self,
        name: &str,
        from: Option<&SweepCursor>,
        to: &SweepCursor,
    ) -> StoreResult<bool> {
        // A sweep never seen before has no row: the insert wins, and the
        // WHERE of the update is never consulted.
        let (from_ms, from_id) = from.map_or((Timestamp::UNIX_EPOCH, String::new()), |c| {
            (c.due_at, c.after_id.clone())
        });
        let advance = Op::exec(
            sql::SWEEP_ADVANCE,
            params![name, from_ms, from_id, to.due_at, to.after_id.clone()],
        )
        .expect(Expect::Rows);
        let rows = self.backend.run(vec![advance]).await?;
        Ok(rows.iter().any(|rows| !rows.is_empty()))
    }

    async fn sequence_outbox(&self, limit: u32) -> StoreResult<()> {
        let ops = vec![
            Op::Lock(super::plan::OUTBOX_LOCK),
            Op::exec(sql::OUTBOX_SEQUENCE, params![limit]),
        ];
        self.backend.run(ops).await.map(|_| ())
    }

    async fn outbox_after(&self, after_seq: i64, limit: u32) -> StoreResult<Vec<OutboxEvent>> {
        all(
            self.rows(sql::OUTBOX_AFTER, params![after_seq, limit])
                .await?,
            outbox_row,
        )
    }

    async fn risk_key_counts(
        &self,
        key: &crate::RiskKey,
        window: &crate::RiskWindow,
    ) -> StoreResult<crate::RiskKeyCounts> {
        self.risk_counts(key, window).await
    }

    async fn risk_payment_counts(
        &self,
        ask: &crate::RiskCountsRequest,
    ) -> StoreResult<crate::RiskPaymentCounts> {
        self.payment_counts(ask).await
    }

    async fn risk_paid_history(&self, buyer: UserId, currency: &str) -> StoreResult<(i64, i64)> {
        self.risk_history(buyer, currency).await
    }

    async fn risk_device_seen(&self, buyer: UserId, device_id: &str) -> StoreResult<bool> {
        self.risk_seen(buyer, device_id).await
    }

    async fn risk_attempt_for_order(
        &self,
        order: OrderId,
    ) -> StoreResult<Option<crate::RiskAttempt>> {
        self.risk_by_order(order).await
    }

    async fn risk_attempt(&self, id: uuid::Uuid) -> StoreResult<Option<crate::RiskAttempt>> {
        self.risk_by_id(id).await
    }

    async fn risk_attempts_in_review(
        &self,
        page: &PageRequest,
    ) -> StoreResult<Page<crate::RiskAttempt>> {
        self.risk_in_review(page).await
    }

    async fn recent_risk_attempts(&self, limit: u32) -> StoreResult<Vec<crate::RiskAttempt>> {
        self.risk_recent(limit).await
    }

    async fn risk_linked_accounts(
        &self,
        attempt: &crate::RiskAttempt,
        limit: u32,
    ) -> StoreResult<Vec<crate::LinkedAccount>> {
        self.risk_linked(attempt, limit).await
    }

    async fn risk_rules(&self) -> StoreResult<Vec<crate::RiskRule>> {
        self.rules().await
    }

    async fn risk_rule_versions(&self, id: &str) -> StoreResult<Vec<crate::RiskRule>> {
        self.rule_versions(id).await
    }

    async fn risk_lists(&self) -> StoreResult<Vec<crate::RiskListEntry>> {
        self.lists().await
    }

    async fn listings_for_product(&self, key: &str, limit: u32) -> StoreResult<Vec<Listing>> {
        self.product_listings(key, limit).await
    }

    async fn cart(&self, buyer: UserId) -> StoreResult<Vec<crate::CartLine>> {
        self.cart_lines(buyer).await
    }

    async fn coupon(
        &self,
        id: haven_domain::ids::CouponId,
    ) -> StoreResult<Option<crate::StoredCoupon>> {
        self.coupon_row_by_id(id).await
    }

    async fn coupon_by_code(&self, code: &str) -> StoreResult<Option<crate::StoredCoupon>> {
        self.coupon_row_by_code(code).await
    }

    async fn coupons_of(
        &self,
        store: Option<StoreId>,
        page: &PageRequest,
    ) -> StoreResult<Page<crate::StoredCoupon>> {
        self.coupon_page(store, page).await
    }

    async fn claimed_coupons(
        &self,
        buyer: UserId,
        limit: u32,
    ) -> StoreResult<Vec<crate::StoredCoupon>> {
        self.claimed(buyer, limit).await
    }

    async fn coupon_uses(
        &self,
        coupon: haven_domain::ids::CouponId,
        buyer: UserId,
    ) -> StoreResult<i64> {
        self.uses(coupon, buyer).await
    }

    async fn held_listings(&self, page: &PageRequest) -> StoreResult<Page<Listing>> {
        self.held_page(page).await
    }

    async fn account_statement(
        &self,
        account: &str,
        before_seq: Option<i64>,
        limit: u32,
    ) -> StoreResult<Vec<crate::StatementLine>> {
        let before = before_seq.unwrap_or(i64::MAX);
        all(
            self.rows(sql::ACCOUNT_STATEMENT, params![account, before, limit])
                .await?,
            statement_row,
        )
    }

    async fn store_listings(
        &self,
        store: StoreId,
        page: &PageRequest,
    ) -> StoreResult<Page<Listing>> {
        self.store_listings_page(store, page).await
    }

    async fn category_price_reference(&self, category: &str) -> StoreResult<Option<(i64, i64)>> {
        self.price_reference(category).await
    }

    async fn fingerprint_matches(
        &self,
        kind: &str,
        bands: &[(u8, i64)],
        store: StoreId,
        limit: u32,
    ) -> StoreResult<Vec<crate::FingerprintMatch>> {
        self.band_matches(kind, bands, store, limit).await
    }

    async fn brand_approval(
        &self,
        store: StoreId,
        brand_key: &str,
    ) -> StoreResult<Option<haven_domain::catalog::BrandApproval>> {
        self.approval(store, brand_key).await
    }

    async fn brand_approvals_of(
        &self,
        store: StoreId,
    ) -> StoreResult<Vec<haven_domain::catalog::BrandApproval>> {
        self.approvals_of(store).await
    }

    async fn pending_brand_approvals(
        &self,
        page: &PageRequest,
    ) -> StoreResult<Page<haven_domain::catalog::BrandApproval>> {
        self.pending_approvals(page).await
    }

    async fn bundles_of(&self, store: StoreId) -> StoreResult<Vec<haven_domain::bundle::Bundle>> {
        self.store_bundles(store).await
    }

    async fn also_bought(
        &self,
        listing: ListingId,
        limit: u32,
    ) -> StoreResult<Vec<(ListingId, i64)>> {
        self.co_purchases(listing, limit).await
    }

    async fn coupon_redeemers_sharing(
        &self,
        coupon: haven_domain::ids::CouponId,
        buyer: UserId,
        card_fp: Option<&str>,
        device_id: Option<&str>,
        address_key: &str,
    ) -> StoreResult<i64> {
        self.redeemers_sharing(coupon, buyer, card_fp, device_id, address_key)
            .await
    }

    async fn store_enforcement(
        &self,
        store: StoreId,
    ) -> StoreResult<Option<(haven_domain::enforcement::StoreEnforcement, i64)>> {
        self.enforcement(store).await
    }

    async fn seller_metrics(
        &self,
        store: StoreId,
        since: Timestamp,
    ) -> StoreResult<haven_domain::enforcement::SellerMetrics> {
        self.metrics(store, since).await
    }

    async fn enforced_stores(
        &self,
        page: &PageRequest,
    ) -> StoreResult<Page<haven_domain::enforcement::StoreEnforcement>> {
        self.enforced(page).await
    }

    async fn review(&self, id: ReviewId) -> StoreResult<Option<Review>> {
        self.review_by(sql::REVIEW_BY_ID, id).await
    }

    async fn review_for_order(&self, order: OrderId) -> StoreResult<Option<Review>> {
        self.review_by(sql::REVIEW_BY_ORDER, order.0).await
    }

    async fn store_reviews(
        &self,
        store: StoreId,
        filter: crate::ReviewFilter,
        page: &PageRequest,
    ) -> StoreResult<Page<Review>> {
        self.reviews_of_store(store, filter, page).await
    }

    async fn held_reviews(&self, page: &PageRequest) -> StoreResult<Page<Review>> {
        self.reviews_held(page).await
    }

    async fn buyer_rating(&self, order: OrderId) -> StoreResult<Option<BuyerRating>> {
        self.rating_for_order(order).await
    }

    async fn buyer_rating_summary(&self, buyer: UserId) -> StoreResult<(i64, i64)> {
        self.rating_summary(buyer).await
    }

    async fn store_stats(&self, store: StoreId) -> StoreResult<Vec<(i32, StatCounters)>> {
        self.stats_of(store).await
    }

    async fn regular_buyers(&self, store: StoreId, since: Timestamp) -> StoreResult<i64> {
        self.regulars(store, since).await
    }

    async fn review_signals(
        &self,
        since: Timestamp,
        after: Option<ReviewId>,
        limit: u32,
    ) -> StoreResult<Vec<crate::ReviewSignal>> {
        self.signals(since, after, limit).await
    }

    async fn review_signals_for(
        &self,
        store: Option<StoreId>,
        buyer: Option<UserId>,
        since: Timestamp,
        limit: u32,
    ) -> StoreResult<Vec<crate::ReviewSignal>> {
        self.signals_for(store, buyer, since, limit).await
    }

    async fn store_owner_identifiers(
        &self,
        store: Option<StoreId>,
        since: Timestamp,
        limit: u32,
    ) -> StoreResult<Vec<crate::OwnerIdentifiers>> {
        self.owner_identifiers(store, since, limit).await
    }

    async fn integrity_case(&self, id: uuid::Uuid) -> StoreResult<Option<crate::IntegrityCase>> {
        self.case_by_id(id).await
    }

    async fn open_integrity_case(
        &self,
        store: StoreId,
    ) -> StoreResult<Option<crate::IntegrityCase>> {
        self.open_case_of(store).await
    }

    async fn integrity_cases(
        &self,
        status: Option<crate::CaseStatus>,
        page: &PageRequest,
    ) -> StoreResult<Page<crate::IntegrityCase>> {
        self.cases(status, page).await
    }

    async fn scan_full_orders(
        &self,
        after: Option<OrderId>,
        limit: u32,
    ) -> StoreResult<Vec<Order>> {
        self.orders_in_id_order(after, limit).await
    }

    async fn scan_reviews(&self, after: Option<ReviewId>, limit: u32) -> StoreResult<Vec<Review>> {
        self.reviews_in_id_order(after, limit).await
    }

    async fn scan_conversations(
        &self,
        after: Option<ConversationId>,
        limit: u32,
    ) -> StoreResult<Vec<Conversation>> {
        self.conversations_in_id_order(after, limit).await
    }

    async fn outbox_head(&self) -> StoreResult<i64> {
        let row = self.first(sql::OUTBOX_HEAD, params![]).await?;
        Ok(one(row, |r| r.int(0))?.unwrap_or(0))
    }

    async fn relay_position(&self, relay: &str) -> StoreResult<i64> {
        let row = self.first(sql::RELAY_POSITION, params![relay]).await?;
        Ok(one(row, |r| r.int(0))?.unwrap_or(0))
    }

    async fn advance_relay(&self, relay: &str, from: i64, to: i64) -> StoreResult<bool> {
        let advance = Op::exec(sql::RELAY_ADVANCE, params![relay, from, to]).expect(Expect::Rows);
        let rows = self.backend.run(vec![advance]).await?;
        Ok(rows.iter().any(|rows| !rows.is_empty()))
    }

    async fn undelivered_outbox(&self, topic: &str, limit: u32) -> StoreResult<Vec<OutboxEvent>> {
        all(
            self.rows(sql::OUTBOX_UNDELIVERED, params![topic, limit])
                .await?,
            outbox_row,
        )
    }

    async fn idempotency(&self, user: UserId, key: &str) -> StoreResult<Option<IdempotencyRecord>> {
        let row = self
            .first(sql::IDEMPOTENCY_GET, params![user.0, key])
            .await?;
        one(row, |r| {
            Ok(IdempotencyRecord {
                user_id: UserId(r.uuid(0)?),
                key: r.text(1)?,
                request_hash: r.text(2)?,
                resource: r.text(3)?,
                created_at: r.time(4)?,
            })
        })
    }

    async fn claim_commands(
        &self,
        now: Timestamp,
        lease_until: Timestamp,
        limit: u32,
    ) -> StoreResult<Vec<Command>> {
        let claim =
            Op::exec(sql::COMMANDS_CLAIM, params![now, lease_until, limit]).expect(Expect::Rows);
        let rows = self.backend.run(vec![claim]).await?;
        let mut commands = all(rows.into_iter().flatten().collect(), command_row)?;
        commands.sort_by_key(|c| (c.next_attempt_at, c.id));
        Ok(commands)
    }

    async fn command(&self, id: uuid::Uuid) -> StoreResult<Option<Command>> {
        one(
            self.first(sql::COMMAND_BY_ID, params![id]).await?,
            command_row,
        )
    }

    async fn commands_for_order(&self, order: OrderId) -> StoreResult<Vec<Command>> {
        all(
            self.rows(sql::COMMANDS_FOR_ORDER, params![order.0]).await?,
            command_row,
        )
    }

    async fn dead_commands(&self, page: &PageRequest) -> StoreResult<Page<Command>> {
        self.queue_page(sql::COMMANDS_DEAD_PAGE, page, command_row, |c| {
            (c.created_at, c.id)
        })
        .await
    }

    async fn commands_for_subject(
        &self,
        subject: uuid::Uuid,
        page: &PageRequest,
    ) -> StoreResult<Page<Command>> {
        self.page(
            sql::COMMANDS_FOR_SUBJECT_PAGE,
            params![subject],
            page,
            command_row,
            |c| (c.created_at, c.id),
        )
        .await
    }

    async fn notifications_for(
        &self,
        user: UserId,
        page: &PageRequest,
    ) -> StoreResult<Page<crate::Notification>> {
        self.page(
            sql::NOTIFICATIONS_PAGE,
            params![user.0],
            page,
            |r| {
                let mut notice: crate::Notification = r.json(0)?;
                notice.read_at = r.opt_time(1)?;
                Ok(notice)
            },
            |n| (n.created_at, n.id),
        )
        .await
    }

    async fn unread_notifications(&self, user: UserId, cap: u32) -> StoreResult<u32> {
        let row = self
            .first(sql::NOTIFICATIONS_UNREAD, params![user.0, cap])
            .await?;
        Ok(row
            .map_or(Ok(0), |r| r.int(0))?
            .try_into()
            .unwrap_or(u32::MAX))
    }

    async fn webhook_endpoints(&self) -> StoreResult<Vec<crate::WebhookEndpoint>> {
        all(
            self.rows(
                sql::WEBHOOK_ENDPOINTS,
                params![crate::MAX_WEBHOOK_ENDPOINTS],
            )
            .await?,
            |r| r.json(0),
        )
    }

    async fn scan_commands(
        &self,
        after: Option<uuid::Uuid>,
        limit: u32,
    ) -> StoreResult<Vec<Command>> {
        let after = after.map(|id| id.to_string()).unwrap_or_default();
        all(
            self.rows(sql::COMMANDS_SCAN, params![after, limit]).await?,
            command_row,
        )
    }

    async fn journal(&self, key: &str) -> StoreResult<Option<JournalRecord>> {
        one(
            self.first(sql::JOURNAL_GET, params![key]).await?,
            journal_row,
        )
    }

    async fn journal_scan(
        &self,
        kind: &str,
        since: Timestamp,
        after: Option<(Timestamp, String)>,
        limit: u32,
    ) -> StoreResult<Vec<JournalRecord>> {
        let (after_at, after_key) = after.unwrap_or((Timestamp::UNIX_EPOCH, String::new()));
        let after_ms = if after_key.is_empty() {
            -1
        } else {
            after_at.as_millisecond()
        };
        all(
            self.rows(
                sql::JOURNAL_SCAN,
                params![kind, since, after_ms, after_key, limit],
            )
            .await?,
            journal_row,
        )
    }

    async fn throttle_count(
        &self,
        scope: &str,
        subject: &str,
        since: Timestamp,
    ) -> StoreResult<ThrottleCount> {
        let row = self
            .first(sql::THROTTLE_COUNT, params![scope, subject, since])
            .await?;
        Ok(one(row, |r| {
            let last_ms = r.int(2)?;
            Ok(ThrottleCount {
                events: r.int(0)?,
                distinct_details: r.int(1)?,
                last_at: (last_ms > 0).then(|| haven_domain::clock::from_ms(last_ms)),
            })
        })?
        .unwrap_or_default())
    }

    async fn throttle_block(&self, scope: &str, subject: &str) -> StoreResult<Option<Timestamp>> {
        let row = self
            .first(sql::THROTTLE_BLOCK_GET, params![scope, subject])
            .await?;
        one(row, |r| r.time(0))
    }

    async fn dispute(&self, id: DisputeId) -> StoreResult<Option<Dispute>> {
        one(
            self.first(sql::DISPUTE_BY_ID, params![id.0]).await?,
            dispute_row,
        )
    }

    async fn disputes_for_order(&self, order: OrderId) -> StoreResult<Vec<Dispute>> {
        all(
            self.rows(sql::DISPUTES_FOR_ORDER, params![order.0]).await?,
            dispute_row,
        )
    }

    async fn disputes_for_buyer(
        &self,
        buyer: UserId,
        page: &PageRequest,
    ) -> StoreResult<Page<Dispute>> {
        self.page(
            sql::DISPUTES_FOR_BUYER,
            params![buyer.0],
            page,
            dispute_row,
            |d| (d.opened_at, d.id.0),
        )
        .await
    }

    async fn disputes_for_store(
        &self,
        store: StoreId,
        page: &PageRequest,
    ) -> StoreResult<Page<Dispute>> {
        self.page(
            sql::DISPUTES_FOR_STORE,
            params![store.0],
            page,
            dispute_row,
            |d| (d.opened_at, d.id.0),
        )
        .await
    }

    async fn escalated_disputes(&self, page: &PageRequest) -> StoreResult<Page<Dispute>> {
        let (ms, id) = crate::queue_position(page);
        let rows = self
            .rows(sql::DISPUTES_ESCALATED, params![ms, id, page.limit + 1])
            .await?;
        let rows = all(rows, dispute_row)?;
        Ok(make_page(rows, page.limit, |d: &Dispute| {
            (d.escalated_at.unwrap_or(d.opened_at), d.id.0)
        }))
    }

    async fn evidence(&self, dispute: DisputeId) -> StoreResult<Vec<EvidenceEntry>> {
        let rows = self
            .rows(
                sql::EVIDENCE_FOR_DISPUTE,
                params![dispute.0, crate::MAX_EVIDENCE_ENTRIES],
            )
            .await?;
        all(rows, |r| r.json(0))
    }

    async fn last_evidence(&self, dispute: DisputeId) -> StoreResult<Option<EvidenceEntry>> {
        one(
            self.first(sql::EVIDENCE_LAST, params![dispute.0]).await?,
            |r| r.json(0),
        )
    }

    async fn evidence_file(&self, hash: &str) -> StoreResult<Option<EvidenceFile>> {
        one(
            self.first(sql::EVIDENCE_FILE_GET, params![hash]).await?,
            |r| {
                Ok(EvidenceFile {
                    hash: r.text(0)?,
                    content_type: r.text(1)?,
                    size_bytes: r.int(2)?,
                    created_at: r.time(3)?,
                })
            },
        )
    }

    async fn audit_for_order(&self, order: OrderId) -> StoreResult<Vec<AuditRecord>> {
        all(
            self.rows(sql::AUDIT_FOR_ORDER, params![order.0]).await?,
            |r| r.json(0),
        )
    }

    async fn audit_page(
        &self,
        agent: Option<UserId>,
        before: Option<i64>,
        limit: u32,
    ) -> StoreResult<Vec<(i64, AuditRecord)>> {
        let before = before.unwrap_or(i64::MAX);
        let rows = match agent {
            Some(agent) => {
                self.rows(
                    sql::AUDIT_BY_AGENT,
                    params![agent.to_string(), before, limit],
                )
                .await?
            }
            None => self.rows(sql::AUDIT_RECENT, params![before, limit]).await?,
        };
        all(rows, |r| Ok((r.int(0)?, r.json(1)?)))
    }

    async fn strikes_for_store(&self, store: StoreId) -> StoreResult<Vec<Strike>> {
        all(
            self.rows(sql::STRIKES_FOR_STORE, params![store.0]).await?,
            |r| r.json(0),
        )
    }

    async fn party_history(&self, buyer: UserId, store: StoreId) -> StoreResult<PartyHistory> {
        let row = self
            .first(sql::PARTY_HISTORY, params![buyer.0, store.0])
            .await?;
        Ok(one(row, |r| {
            Ok(PartyHistory {
                buyer_orders: r.int(0)?,
                buyer_disputes: r.int(1)?,
                store_orders: r.int(2)?,
                store_disputes: r.int(3)?,
                store_strikes: r.int(4)?,
            })
        })?
        .unwrap_or_default())
    }

    async fn conversation(&self, id: ConversationId) -> StoreResult<Option<Conversation>> {
        one(
            self.first(sql::CONVERSATION_BY_ID, params![id.0]).await?,
            conversation_row,
        )
    }

    async fn order_conversation(&self, order: OrderId) -> StoreResult<Option<Conversation>> {
        one(
            self.first(sql::CONVERSATION_FOR_ORDER, params![order.0])
                .await?,
            conversation_row,
        )
    }

    async fn presale_conversation(
        &self,
        listing: ListingId,
        buyer: UserId,
    ) -> StoreResult<Option<Conversation>> {
        let row = self
            .first(sql::CONVERSATION_PRESALE, params![listing.0, buyer.0])
            .await?;
        one(row, conversation_row)
    }

    async fn conversations_for_buyer(
        &self,
        buyer: UserId,
        page: &PageRequest,
    ) -> StoreResult<Page<Conversation>> {
        self.page(
            sql::CONVERSATIONS_FOR_BUYER,
            params![buyer.0],
            page,
            conversation_row,
            |c| (c.last_message_at.unwrap_or(c.created_at), c.id.0),
        )
        .await
    }

    async fn conversations_for_store(
        &self,
        store: StoreId,
        page: &PageRequest,
    ) -> StoreResult<Page<Conversation>> {
        self.page(
            sql::CONVERSATIONS_FOR_STORE,
            params![store.0],
            page,
            conversation_row,
            |c| (c.last_message_at.unwrap_or(c.created_at), c.id.0),
        )
        .await
    }

    async fn flagged_conversations(&self, page: &PageRequest) -> StoreResult<Page<Conversation>> {
        self.queue_page(sql::CONVERSATIONS_FLAGGED, page, conversation_row, |c| {
            (c.last_message_at.unwrap_or(c.created_at), c.id.0)
        })
        .await
    }

    async fn messages(
        &self,
        conversation: ConversationId,
        after_seq: i64,
        limit: u32,
    ) -> StoreResult<Vec<Message>> {
        let rows = self
            .rows(
                sql::MESSAGES_AFTER,
                params![conversation.0, after_seq, limit],
            )
            .await?;
        all(rows, |r| r.json(0))
    }

    async fn unread_count(&self, user: UserId, store: Option<StoreId>) -> StoreResult<i64> {
        let store = store.map(|s| s.to_string()).unwrap_or_default();
        let row = self
            .first(sql::UNREAD_COUNT, params![user.0, store])
            .await?;
        Ok(one(row, |r| r.int(0))?.unwrap_or(0))
    }

    async fn security_flags(&self, page: &PageRequest) -> StoreResult<Page<SecurityFlag>> {
        self.page(
            sql::FLAGS_PAGE,
            Vec::new(),
            page,
            |r| r.json(0),
            |f: &SecurityFlag| (f.created_at, f.id.0),
        )
        .await
    }

    async fn scan_evidence(
        &self,
        after: Option<(DisputeId, i64)>,
        limit: u32,
    ) -> StoreResult<Vec<EvidenceEntry>> {
        let (dispute, seq) = after.map_or((String::new(), 0), |(d, s)| (d.to_string(), s));
        all(
            self.rows(sql::EVIDENCE_SCAN, params![dispute, seq, limit])
                .await?,
            |r| r.json(0),
        )
    }

    async fn scan_entries(&self, after_seq: i64, limit: u32) -> StoreResult<Vec<StoredEntry>> {
        let headers = all(
            self.rows(sql::ENTRIES_SCAN, params![after_seq, limit])
                .await?,
            entry_header,
        )?;
        let (Some(first), Some(last)) = (headers.first().map(|h| h.0), headers.last().map(|h| h.0))
        else {
            return Ok(Vec::new());
        };
        let postings = self
            .rows(sql::POSTINGS_IN_RANGE, params![first, last])
            .await?;
        with_postings(headers, &postings)
    }

    async fn scan_balances(
        &self,
        after: Option<(String, String)>,
        limit: u32,
    ) -> StoreResult<Vec<BalanceRow>> {
        let (account, currency) = after.unwrap_or_default();
        let rows = self
            .rows(sql::BALANCES_SCAN, params![account, currency, limit])
            .await?;
        all(rows, |r| {
            Ok(BalanceRow {
                account: r.text(0)?,
                currency: r.text(1)?,
                balance_minor: r.int(2)?,
            })
        })
    }

    async fn scan_orders(
        &self,
        after: Option<OrderId>,
        limit: u32,
    ) -> StoreResult<Vec<OrderSummary>> {
        let after = after.map(|id| id.to_string()).unwrap_or_default();
        let rows = self.rows(sql::ORDERS_SCAN, params![after, limit]).await?;
        all(rows, |r| {
            let state = r.text(1)?;
            Ok(OrderSummary {
                id: OrderId(r.uuid(0)?),
                state: OrderState::parse(&state)
                    .ok_or_else(|| corrupt(format!("state {state}")))?,
                total_minor: r.int(2)?,
            })
        })
    }
}
