//! Queries (straight on the pool, outside any transaction) and the `Store` impl.

use async_trait::async_trait;
use haven_domain::Timestamp;
use haven_domain::account::{OneTimeToken, Session, TokenKind, User};
use haven_domain::catalog::{Listing, Shop};
use haven_domain::clock::{from_ms, to_ms};
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
use sqlx::Row;
use sqlx::postgres::PgRow;

use super::{PgQuery, PgStore, backend_err, json_err};
use crate::{
    BalanceRow, Changeset, EvidenceFile, IdempotencyRecord, ListingFilter, MAX_EVIDENCE_ENTRIES,
    Media, OrderSummary, OutboxEvent, Page, PageRequest, PartyHistory, Payout, Store, StoreError,
    StoreResult, StoredEntry, Strike, Timer, TrackingEvent, make_page, queue_position,
};

fn corrupt(what: impl std::fmt::Display) -> StoreError {
    StoreError::Backend(format!("corrupt row: {what}"))
}

fn col<'r, T>(row: &'r PgRow, idx: usize) -> StoreResult<T>
where
    T: sqlx::Decode<'r, sqlx::Postgres> + sqlx::Type<sqlx::Postgres>,
{
    row.try_get(idx).map_err(backend_err)
}

fn uuid_col(row: &PgRow, idx: usize) -> StoreResult<uuid::Uuid> {
    uuid::Uuid::parse_str(col(row, idx)?).map_err(corrupt)
}

fn json_col<T: serde::de::DeserializeOwned>(row: &PgRow, idx: usize) -> StoreResult<T> {
    serde_json::from_str(col(row, idx)?).map_err(json_err)
}

fn time_col(row: &PgRow, idx: usize) -> StoreResult<Timestamp> {
    Ok(from_ms(col(row, idx)?))
}

const TIMER_COLUMNS: &str = "id, order_id, kind, due_at_ms, attempts";

fn timer_from_row(row: &PgRow) -> StoreResult<Timer> {
    let kind: &str = col(row, 2)?;
    Ok(Timer {
        id: TimerId(uuid_col(row, 0)?),
        order_id: OrderId(uuid_col(row, 1)?),
        kind: TimerKind::parse(kind).ok_or_else(|| corrupt(format!("timer kind {kind}")))?,
        due_at: time_col(row, 3)?,
        attempts: col(row, 4)?,
    })
}

fn order_from_row(row: &PgRow) -> StoreResult<Order> {
    let mut order: Order = json_col(row, 0)?;
    order.version = col(row, 1)?;
    Ok(order)
}

fn dispute_from_row(row: &PgRow) -> StoreResult<Dispute> {
    let mut dispute: Dispute = json_col(row, 0)?;
    dispute.version = col(row, 1)?;
    Ok(dispute)
}

fn user_from_row(row: &PgRow) -> StoreResult<User> {
    let mut user: User = json_col(row, 0)?;
    user.version = col(row, 1)?;
    Ok(user)
}

fn conversation_from_row(row: &PgRow) -> StoreResult<Conversation> {
    let mut conversation: Conversation = json_col(row, 0)?;
    conversation.version = col(row, 1)?;
    Ok(conversation)
}

const SESSION_COLUMNS: &str = "token_hash, user_id, kind, created_at_ms, expires_at_ms, user_agent, ip, last_seen_ms, reauth_ms";

fn session_from_row(row: &PgRow) -> StoreResult<Session> {
    Ok(Session {
        token_hash: col(row, 0)?,
        user_id: UserId(uuid_col(row, 1)?),
        kind: json_col(row, 2)?,
        created_at: time_col(row, 3)?,
        expires_at: time_col(row, 4)?,
        user_agent: col(row, 5)?,
        ip: col(row, 6)?,
        last_seen_at: time_col(row, 7)?,
        reauthenticated_at: time_col(row, 8)?,
    })
}

fn token_from_row(row: &PgRow) -> StoreResult<OneTimeToken> {
    let kind: &str = col(row, 1)?;
    let used_ms: Option<i64> = col(row, 5)?;
    Ok(OneTimeToken {
        token_hash: col(row, 0)?,
        kind: TokenKind::parse(kind).ok_or_else(|| corrupt(format!("token kind {kind}")))?,
        user_id: UserId(uuid_col(row, 2)?),
        created_at: time_col(row, 3)?,
        expires_at: time_col(row, 4)?,
        used_at: used_ms.map(from_ms),
        data: json_col(row, 6)?,
    })
}

fn listing_from_row(row: &PgRow) -> StoreResult<Listing> {
    let mut listing: Listing = json_col(row, 0)?;
    listing.stock = col(row, 1)?;
    Ok(listing)
}

fn money_cols(row: &PgRow, amount: usize, currency: usize) -> StoreResult<Money> {
    let currency = Currency::parse(col(row, currency)?).map_err(corrupt)?;
    Ok(Money::new(col(row, amount)?, currency))
}

const ENTRY_COLUMNS: &str = "seq, id, idempotency_key, kind, order_id, payout_id, created_at_ms";

fn entry_header(row: &PgRow) -> StoreResult<StoredEntry> {
    let kind: &str = col(row, 3)?;
    let order_id: Option<&str> = col(row, 4)?;
    let payout_id: Option<&str> = col(row, 5)?;
    Ok(StoredEntry {
        seq: col(row, 0)?,
        entry: Entry {
            id: EntryId(uuid_col(row, 1)?),
            idempotency_key: col(row, 2)?,
            kind: EntryKind::parse(kind).ok_or_else(|| corrupt(format!("entry kind {kind}")))?,
            order_id: order_id.and_then(OrderId::parse),
            payout_id: payout_id.and_then(PayoutId::parse),
            created_at: time_col(row, 6)?,
            postings: Vec::new(),
        },
    })
}

/// Keyset position for pagination (newest first); the start sorts after all.
fn keyset(page: &PageRequest) -> (i64, String) {
    match page.position() {
        Some((ms, id)) => (ms, id.to_string()),
        None => (i64::MAX, String::new()),
    }
}

/// `LIMIT` for a page: one extra row tells whether there is a next page.
fn page_limit(page: &PageRequest) -> i64 {
    i64::from(page.limit) + 1
}

impl PgStore {
    async fn fetch_all<T>(
        &self,
        query: PgQuery<'_>,
        map: impl Fn(&PgRow) -> StoreResult<T>,
    ) -> StoreResult<Vec<T>> {
        let rows = query.fetch_all(&self.pool).await.map_err(backend_err)?;
        rows.iter().map(map).collect()
    }

    async fn fetch_opt<T>(
        &self,
        query: PgQuery<'_>,
        map: impl FnOnce(&PgRow) -> StoreResult<T>,
    ) -> StoreResult<Option<T>> {
        let row = query
            .fetch_optional(&self.pool)
            .await
            .map_err(backend_err)?;
        row.as_ref().map(map).transpose()
    }

    /// Fill in the postings of `entries`, in insertion order.
    async fn with_postings(&self, mut entries: Vec<StoredEntry>) -> StoreResult<Vec<StoredEntry>> {
        if entries.is_empty() {
            return Ok(entries);
        }
        let seqs: Vec<i64> = entries.iter().map(|e| e.seq).collect();
        let query = sqlx::query(
            "SELECT entry_seq, account, currency, amount_minor FROM ledger_postings WHERE entry_seq = ANY($1) ORDER BY entry_seq, id",
        )
        .bind(seqs);
        let postings = self
            .fetch_all(query, |r| {
                let account = col::<&str>(r, 1)?.parse().map_err(corrupt)?;
                let posting = Posting {
                    account,
                    amount: money_cols(r, 3, 2)?,
                };
                Ok((col::<i64>(r, 0)?, posting))
            })
            .await?;
        for (seq, posting) in postings {
            if let Ok(index) = entries.binary_search_by_key(&seq, |e| e.seq) {
                entries[index].entry.postings.push(posting);
            }
        }
        Ok(entries)
    }

    async fn orders_page(
        &self,
        column: &'static str,
        owner: String,
        page: &PageRequest,
    ) -> StoreResult<Page<Order>> {
        let (ms, id) = keyset(page);
        let sql = format!(
            "SELECT data, version FROM orders WHERE {column} = $1 AND (created_at_ms, id) < ($2, $3)
             ORDER BY created_at_ms DESC, id DESC LIMIT $4"
        );
        let query = sqlx::query(&sql)
            .bind(owner)
            .bind(ms)
            .bind(id)
            .bind(page_limit(page));
        let rows = self.fetch_all(query, order_from_row).await?;
        Ok(make_page(rows, page.limit, |o: &Order| {
            (o.created_at, o.id.0)
        }))
    }

    async fn disputes_page(
        &self,
        column: &'static str,
        owner: String,
        page: &PageRequest,
    ) -> StoreResult<Page<Dispute>> {
        let (ms, id) = keyset(page);
        let sql = format!(
            "SELECT data, version FROM disputes WHERE {column} = $1 AND (created_at_ms, id) < ($2, $3)
             ORDER BY created_at_ms DESC, id DESC LIMIT $4"
        );
        let query = sqlx::query(&sql)
            .bind(owner)
            .bind(ms)
            .bind(id)
            .bind(page_limit(page));
        let rows = self.fetch_all(query, dispute_from_row).await?;
        Ok(make_page(rows, page.limit, |d: &Dispute| {
            (d.opened_at, d.id.0)
        }))
    }

    /// Conversations matching `filter`, most recently active first. The
    /// filter's own parameter, if any, is `$4` (bound from `key`).
    async fn conversations_page(
        &self,
        filter: &'static str,
        key: Option<String>,
        page: &PageRequest,
    ) -> StoreResult<Page<Conversation>> {
        let (ms, id) = keyset(page);
        let sql = format!(
            "SELECT data, version FROM conversations WHERE {filter} AND (last_message_ms, id) < ($1, $2)
             ORDER BY last_message_ms DESC, id DESC LIMIT $3"
        );
        let mut query = sqlx::query(&sql).bind(ms).bind(id).bind(page_limit(page));
        if let Some(key) = key {
            query = query.bind(key);
        }
        let rows = self.fetch_all(query, conversation_from_row).await?;
        Ok(make_page(rows, page.limit, |c: &Conversation| {
            (c.last_message_at.unwrap_or(c.created_at), c.id.0)
        }))
    }

    async fn claim_due(
        &self,
        now: Timestamp,
        lease_until: Timestamp,
        limit: u32,
    ) -> StoreResult<Vec<Timer>> {
        // SKIP LOCKED: a row another server is claiming right now is left to
        // it; once its claim commits the lease no longer matches, so each due
        // timer is handed to exactly one worker per lease.
        let sql = format!(
            "UPDATE scheduled_actions SET lease_until_ms = $2, attempts = attempts + 1
             WHERE id IN (SELECT id FROM scheduled_actions WHERE due_at_ms <= $1 AND lease_until_ms <= $1
                          ORDER BY due_at_ms LIMIT $3 FOR UPDATE SKIP LOCKED)
             RETURNING {TIMER_COLUMNS}"
        );
        let query = sqlx::query(&sql)
            .bind(to_ms(now))
            .bind(to_ms(lease_until))
            .bind(i64::from(limit));
        let mut timers = self.fetch_all(query, timer_from_row).await?;
        timers.sort_by_key(|t| (t.due_at, t.id));
        Ok(timers)
    }
}

fn outbox_from_row(r: &sqlx::postgres::PgRow) -> StoreResult<OutboxEvent> {
    Ok(OutboxEvent {
        seq: col(r, 0)?,
        id: uuid_col(r, 1)?,
        topic: col(r, 2)?,
        payload: json_col(r, 3)?,
        created_at: time_col(r, 4)?,
    })
}

#[async_trait]
impl Store for PgStore {
    fn backend(&self) -> &'static str {
        "postgres"
    }

    async fn migrate(&self) -> StoreResult<()> {
        self.run_migrations().await
    }

    async fn commit(&self, changes: Changeset) -> StoreResult<()> {
        self.commit_changes(&changes).await
    }

    async fn latest_policy(&self) -> StoreResult<Option<(PolicyVersion, Policy)>> {
        let query =
            sqlx::query("SELECT version, data FROM policy_versions ORDER BY version DESC LIMIT 1");
        self.fetch_opt(query, |r| Ok((col(r, 0)?, json_col(r, 1)?)))
            .await
    }

    async fn policy(&self, version: PolicyVersion) -> StoreResult<Option<Policy>> {
        let query =
            sqlx::query("SELECT data FROM policy_versions WHERE version = $1").bind(version);
        self.fetch_opt(query, |r| json_col(r, 0)).await
    }

    async fn ensure_policy(&self, policy: &Policy, now: Timestamp) -> StoreResult<PolicyVersion> {
        self.store_policy(policy, now).await
    }

    async fn user(&self, id: UserId) -> StoreResult<Option<User>> {
        let query =
            sqlx::query("SELECT data, version FROM users WHERE id = $1").bind(id.to_string());
        self.fetch_opt(query, user_from_row).await
    }

    async fn user_by_email(&self, email: &str) -> StoreResult<Option<User>> {
        let query = sqlx::query("SELECT data, version FROM users WHERE email = $1")
            .bind(email.trim().to_lowercase());
        self.fetch_opt(query, user_from_row).await
    }

    async fn session(&self, token_hash: &str) -> StoreResult<Option<Session>> {
        let sql = format!("SELECT {SESSION_COLUMNS} FROM sessions WHERE token_hash = $1");
        let query = sqlx::query(&sql).bind(token_hash);
        self.fetch_opt(query, session_from_row).await
    }

    async fn sessions_for_user(&self, user: UserId) -> StoreResult<Vec<Session>> {
        let sql = format!(
            "SELECT {SESSION_COLUMNS} FROM sessions WHERE user_id = $1 ORDER BY created_at_ms DESC, token_hash COLLATE \"C\" DESC LIMIT 100"
        );
        let query = sqlx::query(&sql).bind(user.to_string());
        self.fetch_all(query, session_from_row).await
    }

    async fn token(&self, token_hash: &str) -> StoreResult<Option<OneTimeToken>> {
        let query = sqlx::query(
            "SELECT token_hash, kind, user_id, created_at_ms, expires_at_ms, used_at_ms, data FROM one_time_tokens WHERE token_hash = $1",
        )
        .bind(token_hash);
        self.fetch_opt(query, token_from_row).await
    }

    async fn pending_identity_reviews(&self, page: &PageRequest) -> StoreResult<Page<User>> {
        let (ms, id) = keyset(page);
        let query = sqlx::query(
            "SELECT data, version FROM users WHERE identity_status = 'pending' AND (created_at_ms, id) < ($1, $2)
             ORDER BY created_at_ms DESC, id DESC LIMIT $3",
        )
        .bind(ms)
        .bind(id)
        .bind(page_limit(page));
        let rows = self.fetch_all(query, user_from_row).await?;
        Ok(make_page(rows, page.limit, |u: &User| {
            (u.created_at, u.id.0)
        }))
    }

    async fn shop(&self, id: StoreId) -> StoreResult<Option<Shop>> {
        let query = sqlx::query("SELECT data FROM shops WHERE id = $1").bind(id.to_string());
        self.fetch_opt(query, |r| json_col(r, 0)).await
    }

    async fn shop_by_owner(&self, owner: UserId) -> StoreResult<Option<Shop>> {
        let query =
            sqlx::query("SELECT data FROM shops WHERE owner_id = $1").bind(owner.to_string());
        self.fetch_opt(query, |r| json_col(r, 0)).await
    }

    async fn shops(&self, page: &PageRequest) -> StoreResult<Page<Shop>> {
        let (ms, id) = keyset(page);
        let query = sqlx::query(
            "SELECT data FROM shops WHERE (created_at_ms, id) < ($1, $2) ORDER BY created_at_ms DESC, id DESC LIMIT $3",
        )
        .bind(ms)
        .bind(id)
        .bind(page_limit(page));
        let rows = self.fetch_all(query, |r| json_col(r, 0)).await?;
        Ok(make_page(rows, page.limit, |s: &Shop| {
            (s.created_at, s.id.0)
        }))
    }

    async fn listing(&self, id: ListingId) -> StoreResult<Option<Listing>> {
        let query =
            sqlx::query("SELECT data, stock FROM listings WHERE id = $1").bind(id.to_string());
        self.fetch_opt(query, listing_from_row).await
    }

    async fn listings(
        &self,
        filter: &ListingFilter,
        page: &PageRequest,
    ) -> StoreResult<Page<Listing>> {
        let (ms, id) = keyset(page);
        // Only the filters actually given go into the SQL, so each shape gets
        // a plan that can use its own index.
        let mut sql =
            String::from("SELECT data, stock FROM listings WHERE (created_at_ms, id) < ($1, $2)");
        let mut args = Vec::new();
        if let Some(category) = &filter.category {
            args.push(category.clone());
            sql.push_str(&format!(" AND category = ${}", args.len() + 2));
        }
        if let Some(store) = filter.store_id {
            args.push(store.to_string());
            sql.push_str(&format!(" AND store_id = ${}", args.len() + 2));
        }
        sql.push_str(&format!(
            " ORDER BY created_at_ms DESC, id DESC LIMIT ${}",
            args.len() + 3
        ));
        let mut query = sqlx::query(&sql).bind(ms).bind(id);
        for arg in args {
            query = query.bind(arg);
        }
        let rows = self
            .fetch_all(query.bind(page_limit(page)), listing_from_row)
            .await?;
        Ok(make_page(rows, page.limit, |l: &Listing| {
            (l.created_at, l.id.0)
        }))
    }

    async fn media(&self, hash: &str) -> StoreResult<Option<Media>> {
        let query =
            sqlx::query("SELECT hash, content_type, bytes FROM media WHERE hash = $1").bind(hash);
        self.fetch_opt(query, |r| {
            Ok(Media {
                hash: col(r, 0)?,
                content_type: col(r, 1)?,
                bytes: col(r, 2)?,
            })
        })
        .await
    }

    async fn order(&self, id: OrderId) -> StoreResult<Option<Order>> {
        let query =
            sqlx::query("SELECT data, version FROM orders WHERE id = $1").bind(id.to_string());
        self.fetch_opt(query, order_from_row).await
    }

    async fn orders_for_buyer(
        &self,
        buyer: UserId,
        page: &PageRequest,
    ) -> StoreResult<Page<Order>> {
        self.orders_page("buyer_id", buyer.to_string(), page).await
    }

    async fn orders_for_store(
        &self,
        store: StoreId,
        page: &PageRequest,
    ) -> StoreResult<Page<Order>> {
        self.orders_page("store_id", store.to_string(), page).await
    }

    async fn tracking_owner(&self, carrier: &str, number: &str) -> StoreResult<Option<OrderId>> {
        let query = sqlx::query(
            "SELECT order_id FROM tracking_numbers WHERE carrier = $1 AND tracking_number = $2",
        )
        .bind(carrier)
        .bind(number);
        self.fetch_opt(query, |r| Ok(OrderId(uuid_col(r, 0)?)))
            .await
    }

    async fn tracking_events(
        &self,
        carrier: &str,
        number: &str,
    ) -> StoreResult<Vec<TrackingEvent>> {
        let query = sqlx::query(
            "SELECT carrier, tracking_number, status, occurred_at_ms, location, received_at_ms FROM tracking_events
             WHERE carrier = $1 AND tracking_number = $2 ORDER BY occurred_at_ms LIMIT 200",
        )
        .bind(carrier)
        .bind(number);
        self.fetch_all(query, |r| {
            Ok(TrackingEvent {
                carrier: col(r, 0)?,
                tracking_number: col(r, 1)?,
                status: col(r, 2)?,
                occurred_at: time_col(r, 3)?,
                location: col(r, 4)?,
                received_at: time_col(r, 5)?,
            })
        })
        .await
    }

    async fn balance(&self, account: &str, currency: &str) -> StoreResult<i64> {
        let query = sqlx::query(
            "SELECT balance_minor FROM account_balances WHERE account = $1 AND currency = $2",
        )
        .bind(account)
        .bind(currency);
        Ok(self.fetch_opt(query, |r| col(r, 0)).await?.unwrap_or(0))
    }

    async fn entries_for_order(&self, order: OrderId) -> StoreResult<Vec<StoredEntry>> {
        let sql = format!(
            "SELECT {ENTRY_COLUMNS} FROM ledger_entries WHERE order_id = $1 ORDER BY seq LIMIT 100"
        );
        let query = sqlx::query(&sql).bind(order.to_string());
        let headers = self.fetch_all(query, entry_header).await?;
        self.with_postings(headers).await
    }

    async fn payouts(&self, store: StoreId, page: &PageRequest) -> StoreResult<Page<Payout>> {
        let (ms, id) = keyset(page);
        let query = sqlx::query(
            "SELECT id, store_id, amount_minor, currency, state, created_at_ms FROM payouts
             WHERE store_id = $1 AND (created_at_ms, id) < ($2, $3) ORDER BY created_at_ms DESC, id DESC LIMIT $4",
        )
        .bind(store.to_string())
        .bind(ms)
        .bind(id)
        .bind(page_limit(page));
        let rows = self
            .fetch_all(query, |r| {
                Ok(Payout {
                    id: PayoutId(uuid_col(r, 0)?),
                    store_id: StoreId(uuid_col(r, 1)?),
                    amount: money_cols(r, 2, 3)?,
                    state: col(r, 4)?,
                    created_at: time_col(r, 5)?,
                })
            })
            .await?;
        Ok(make_page(rows, page.limit, |p: &Payout| {
            (p.created_at, p.id.0)
        }))
    }

    async fn payout(&self, id: PayoutId) -> StoreResult<Option<Payout>> {
        let query = sqlx::query(
            "SELECT id, store_id, amount_minor, currency, state, created_at_ms FROM payouts WHERE id = $1",
        )
        .bind(id.to_string());
        self.fetch_opt(query, |r| {
            Ok(Payout {
                id: PayoutId(uuid_col(r, 0)?),
                store_id: StoreId(uuid_col(r, 1)?),
                amount: money_cols(r, 2, 3)?,
                state: col(r, 4)?,
                created_at: time_col(r, 5)?,
            })
        })
        .await
    }

    async fn claim_due_timers(
        &self,
        now: Timestamp,
        lease_until: Timestamp,
        limit: u32,
    ) -> StoreResult<Vec<Timer>> {
        self.claim_due(now, lease_until, limit).await
    }

    async fn pending_timers(&self, order: OrderId) -> StoreResult<Vec<Timer>> {
        let sql = format!(
            "SELECT {TIMER_COLUMNS} FROM scheduled_actions WHERE order_id = $1 ORDER BY due_at_ms"
        );
        let query = sqlx::query(&sql).bind(order.to_string());
        self.fetch_all(query, timer_from_row).await
    }

    async fn outbox_after(&self, after_seq: i64, limit: u32) -> StoreResult<Vec<OutboxEvent>> {
        let query = sqlx::query(
            "SELECT seq, id, topic, payload, created_at_ms FROM outbox WHERE seq > $1 ORDER BY seq LIMIT $2",
        )
        .bind(after_seq)
        .bind(i64::from(limit));
        self.fetch_all(query, outbox_from_row).await
    }

    async fn undelivered_outbox(&self, topic: &str, limit: u32) -> StoreResult<Vec<OutboxEvent>> {
        let query = sqlx::query(
            "SELECT seq, id, topic, payload, created_at_ms FROM outbox WHERE topic = $1 AND delivered_at_ms IS NULL ORDER BY seq LIMIT $2",
        )
        .bind(topic.to_string())
        .bind(i64::from(limit));
        self.fetch_all(query, outbox_from_row).await
    }

    async fn idempotency(&self, user: UserId, key: &str) -> StoreResult<Option<IdempotencyRecord>> {
        let query = sqlx::query(
            "SELECT user_id, key, request_hash, resource, created_at_ms FROM idempotency_keys WHERE user_id = $1 AND key = $2",
        )
        .bind(user.to_string())
        .bind(key);
        self.fetch_opt(query, |r| {
            Ok(IdempotencyRecord {
                user_id: UserId(uuid_col(r, 0)?),
                key: col(r, 1)?,
                request_hash: col(r, 2)?,
                resource: col(r, 3)?,
                created_at: time_col(r, 4)?,
            })
        })
        .await
    }

    async fn dispute(&self, id: DisputeId) -> StoreResult<Option<Dispute>> {
        let query =
            sqlx::query("SELECT data, version FROM disputes WHERE id = $1").bind(id.to_string());
        self.fetch_opt(query, dispute_from_row).await
    }

    async fn disputes_for_order(&self, order: OrderId) -> StoreResult<Vec<Dispute>> {
        let query = sqlx::query(
            "SELECT data, version FROM disputes WHERE order_id = $1 ORDER BY created_at_ms, id LIMIT 100",
        )
        .bind(order.to_string());
        self.fetch_all(query, dispute_from_row).await
    }

    async fn disputes_for_buyer(
        &self,
        buyer: UserId,
        page: &PageRequest,
    ) -> StoreResult<Page<Dispute>> {
        self.disputes_page("buyer_id", buyer.to_string(), page)
            .await
    }

    async fn disputes_for_store(
        &self,
        store: StoreId,
        page: &PageRequest,
    ) -> StoreResult<Page<Dispute>> {
        self.disputes_page("store_id", store.to_string(), page)
            .await
    }

    async fn escalated_disputes(&self, page: &PageRequest) -> StoreResult<Page<Dispute>> {
        let (ms, id) = queue_position(page);
        let query = sqlx::query(
            "SELECT data, version FROM disputes WHERE state = 'escalated' AND (escalated_at_ms, id) > ($1, $2)
             ORDER BY escalated_at_ms, id LIMIT $3",
        )
        .bind(ms)
        .bind(id)
        .bind(page_limit(page));
        let rows = self.fetch_all(query, dispute_from_row).await?;
        Ok(make_page(rows, page.limit, |d: &Dispute| {
            (d.escalated_at.unwrap_or(d.opened_at), d.id.0)
        }))
    }

    async fn evidence(&self, dispute: DisputeId) -> StoreResult<Vec<EvidenceEntry>> {
        let query = sqlx::query(
            "SELECT data FROM evidence_log WHERE dispute_id = $1 ORDER BY seq LIMIT $2",
        )
        .bind(dispute.to_string())
        .bind(i64::from(MAX_EVIDENCE_ENTRIES));
        self.fetch_all(query, |r| json_col(r, 0)).await
    }

    async fn last_evidence(&self, dispute: DisputeId) -> StoreResult<Option<EvidenceEntry>> {
        let query = sqlx::query(
            "SELECT data FROM evidence_log WHERE dispute_id = $1 ORDER BY seq DESC LIMIT 1",
        )
        .bind(dispute.to_string());
        self.fetch_opt(query, |r| json_col(r, 0)).await
    }

    async fn evidence_file(&self, hash: &str) -> StoreResult<Option<EvidenceFile>> {
        let query = sqlx::query(
            "SELECT hash, content_type, size_bytes, created_at_ms FROM evidence_files WHERE hash = $1",
        )
        .bind(hash);
        self.fetch_opt(query, |r| {
            Ok(EvidenceFile {
                hash: col(r, 0)?,
                content_type: col(r, 1)?,
                size_bytes: col(r, 2)?,
                created_at: time_col(r, 3)?,
            })
        })
        .await
    }

    async fn audit_for_order(&self, order: OrderId) -> StoreResult<Vec<AuditRecord>> {
        let query =
            sqlx::query("SELECT data FROM audit_log WHERE order_id = $1 ORDER BY seq LIMIT 500")
                .bind(order.to_string());
        self.fetch_all(query, |r| json_col(r, 0)).await
    }

    async fn strikes_for_store(&self, store: StoreId) -> StoreResult<Vec<Strike>> {
        // `seq` breaks ties in insertion order, as SQLite's rowid does.
        let query = sqlx::query(
            "SELECT data FROM strikes WHERE store_id = $1 ORDER BY at_ms, seq LIMIT 500",
        )
        .bind(store.to_string());
        self.fetch_all(query, |r| json_col(r, 0)).await
    }

    async fn party_history(&self, buyer: UserId, store: StoreId) -> StoreResult<PartyHistory> {
        // One statement, so the five counts come from one snapshot.
        let query = sqlx::query(
            "SELECT (SELECT COUNT(*) FROM orders WHERE buyer_id = $1),
                    (SELECT COUNT(*) FROM disputes WHERE buyer_id = $1),
                    (SELECT COUNT(*) FROM orders WHERE store_id = $2),
                    (SELECT COUNT(*) FROM disputes WHERE store_id = $2),
                    (SELECT COUNT(*) FROM strikes WHERE store_id = $2)",
        )
        .bind(buyer.to_string())
        .bind(store.to_string());
        let found = self
            .fetch_opt(query, |r| {
                Ok(PartyHistory {
                    buyer_orders: col(r, 0)?,
                    buyer_disputes: col(r, 1)?,
                    store_orders: col(r, 2)?,
                    store_disputes: col(r, 3)?,
                    store_strikes: col(r, 4)?,
                })
            })
            .await?;
        Ok(found.unwrap_or_default())
    }

    async fn conversation(&self, id: ConversationId) -> StoreResult<Option<Conversation>> {
        let query = sqlx::query("SELECT data, version FROM conversations WHERE id = $1")
            .bind(id.to_string());
        self.fetch_opt(query, conversation_from_row).await
    }

    async fn order_conversation(&self, order: OrderId) -> StoreResult<Option<Conversation>> {
        let query = sqlx::query("SELECT data, version FROM conversations WHERE order_id = $1")
            .bind(order.to_string());
        self.fetch_opt(query, conversation_from_row).await
    }

    async fn presale_conversation(
        &self,
        listing: ListingId,
        buyer: UserId,
    ) -> StoreResult<Option<Conversation>> {
        let query = sqlx::query(
            "SELECT data, version FROM conversations WHERE listing_id = $1 AND buyer_id = $2 AND kind = 'pre_sale'",
        )
        .bind(listing.to_string())
        .bind(buyer.to_string());
        self.fetch_opt(query, conversation_from_row).await
    }

    async fn conversations_for_buyer(
        &self,
        buyer: UserId,
        page: &PageRequest,
    ) -> StoreResult<Page<Conversation>> {
        self.conversations_page("buyer_id = $4", Some(buyer.to_string()), page)
            .await
    }

    async fn conversations_for_store(
        &self,
        store: StoreId,
        page: &PageRequest,
    ) -> StoreResult<Page<Conversation>> {
        self.conversations_page("store_id = $4", Some(store.to_string()), page)
            .await
    }

    async fn flagged_conversations(&self, page: &PageRequest) -> StoreResult<Page<Conversation>> {
        self.conversations_page("flagged", None, page).await
    }

    async fn messages(
        &self,
        conversation: ConversationId,
        after_seq: i64,
        limit: u32,
    ) -> StoreResult<Vec<Message>> {
        let query = sqlx::query(
            "SELECT data FROM messages WHERE conversation_id = $1 AND seq > $2 ORDER BY seq LIMIT $3",
        )
        .bind(conversation.to_string())
        .bind(after_seq)
        .bind(i64::from(limit));
        self.fetch_all(query, |r| json_col(r, 0)).await
    }

    async fn unread_count(&self, user: UserId, store: Option<StoreId>) -> StoreResult<i64> {
        // Without a store, `store_id = ''` matches no conversation.
        let store = store.map(|s| s.to_string()).unwrap_or_default();
        let query = sqlx::query(
            "SELECT COUNT(*) FROM conversations c
             JOIN messages m ON m.conversation_id = c.id
             LEFT JOIN conversation_reads r ON r.conversation_id = c.id AND r.user_id = $1
             WHERE (c.buyer_id = $1 OR c.store_id = $2) AND m.sender_id <> $1 AND m.delivery <> 'blocked'
               AND m.seq > COALESCE(r.last_read_seq, 0)",
        )
        .bind(user.to_string())
        .bind(store);
        Ok(self.fetch_opt(query, |r| col(r, 0)).await?.unwrap_or(0))
    }

    async fn security_flags(&self, page: &PageRequest) -> StoreResult<Page<SecurityFlag>> {
        let (ms, id) = keyset(page);
        let query = sqlx::query(
            "SELECT data FROM security_flags WHERE (created_at_ms, id) < ($1, $2) ORDER BY created_at_ms DESC, id DESC LIMIT $3",
        )
        .bind(ms)
        .bind(id)
        .bind(page_limit(page));
        let rows = self.fetch_all(query, |r| json_col(r, 0)).await?;
        Ok(make_page(rows, page.limit, |f: &SecurityFlag| {
            (f.created_at, f.id.0)
        }))
    }

    async fn scan_evidence(
        &self,
        after: Option<(DisputeId, i64)>,
        limit: u32,
    ) -> StoreResult<Vec<EvidenceEntry>> {
        let (dispute, seq) = after.map_or((String::new(), 0), |(d, s)| (d.to_string(), s));
        let query = sqlx::query(
            "SELECT data FROM evidence_log WHERE (dispute_id, seq) > ($1, $2) ORDER BY dispute_id, seq LIMIT $3",
        )
        .bind(dispute)
        .bind(seq)
        .bind(i64::from(limit));
        self.fetch_all(query, |r| json_col(r, 0)).await
    }

    async fn scan_entries(&self, after_seq: i64, limit: u32) -> StoreResult<Vec<StoredEntry>> {
        let sql = format!(
            "SELECT {ENTRY_COLUMNS} FROM ledger_entries WHERE seq > $1 ORDER BY seq LIMIT $2"
        );
        let query = sqlx::query(&sql).bind(after_seq).bind(i64::from(limit));
        let headers = self.fetch_all(query, entry_header).await?;
        self.with_postings(headers).await
    }

    async fn scan_balances(
        &self,
        after: Option<(String, String)>,
        limit: u32,
    ) -> StoreResult<Vec<BalanceRow>> {
        let (account, currency) = after.unwrap_or_default();
        let query = sqlx::query(
            "SELECT account, currency, balance_minor FROM account_balances
             WHERE (account, currency) > ($1, $2) ORDER BY account, currency LIMIT $3",
        )
        .bind(account)
        .bind(currency)
        .bind(i64::from(limit));
        self.fetch_all(query, |r| {
            Ok(BalanceRow {
                account: col(r, 0)?,
                currency: col(r, 1)?,
                balance_minor: col(r, 2)?,
            })
        })
        .await
    }

    async fn scan_orders(
        &self,
        after: Option<OrderId>,
        limit: u32,
    ) -> StoreResult<Vec<OrderSummary>> {
        let after = after.map(|id| id.to_string()).unwrap_or_default();
        let query = sqlx::query(
            "SELECT id, state, total_minor FROM orders WHERE id > $1 ORDER BY id LIMIT $2",
        )
        .bind(after)
        .bind(i64::from(limit));
        self.fetch_all(query, |r| {
            let state: &str = col(r, 1)?;
            Ok(OrderSummary {
                id: OrderId(uuid_col(r, 0)?),
                state: OrderState::parse(state).ok_or_else(|| corrupt(format!("state {state}")))?,
                total_minor: col(r, 2)?,
            })
        })
        .await
    }
}
