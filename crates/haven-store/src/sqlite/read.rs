//! Queries (on pooled read-only connections) and the `Store` impl.

use async_trait::async_trait;
use haven_domain::Timestamp;
use haven_domain::account::{OneTimeToken, Session, TokenKind, User};
use haven_domain::catalog::{Listing, Shop};
use haven_domain::clock::from_ms;
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
use rusqlite::types::Type;
use rusqlite::{Connection, OptionalExtension, Row, params};

use super::{SqliteStore, apply, backend_err};
use crate::{
    BalanceRow, Changeset, EvidenceFile, IdempotencyRecord, ListingFilter, Media, OrderSummary,
    OutboxEvent, Page, PageRequest, PartyHistory, Payout, Store, StoreResult, StoredEntry, Strike,
    Timer, TrackingEvent, make_page,
};

fn conversion(idx: usize, err: impl std::error::Error + Send + Sync + 'static) -> rusqlite::Error {
    rusqlite::Error::FromSqlConversionFailure(idx, Type::Text, Box::new(err))
}

fn uuid_col(row: &Row, idx: usize) -> rusqlite::Result<uuid::Uuid> {
    let raw: String = row.get(idx)?;
    uuid::Uuid::parse_str(&raw).map_err(|e| conversion(idx, e))
}

fn json_col<T: serde::de::DeserializeOwned>(row: &Row, idx: usize) -> rusqlite::Result<T> {
    let raw: String = row.get(idx)?;
    serde_json::from_str(&raw).map_err(|e| conversion(idx, e))
}

#[derive(Debug, thiserror::Error)]
#[error("{0}")]
struct Corrupt(String);

pub(super) fn timer_from_row(row: &Row) -> rusqlite::Result<Timer> {
    let kind: String = row.get(2)?;
    Ok(Timer {
        id: TimerId(uuid_col(row, 0)?),
        order_id: OrderId(uuid_col(row, 1)?),
        kind: TimerKind::parse(&kind)
            .ok_or_else(|| conversion(2, Corrupt(format!("timer kind {kind}"))))?,
        due_at: from_ms(row.get(3)?),
        attempts: row.get(4)?,
    })
}

fn order_from_row(row: &Row) -> rusqlite::Result<Order> {
    let mut order: Order = json_col(row, 0)?;
    order.version = row.get(1)?;
    Ok(order)
}

/// `WHERE` fragment and bound values for keyset pagination (newest first).
fn keyset(page: &PageRequest) -> (i64, String) {
    match page.position() {
        Some((ms, id)) => (ms, id.to_string()),
        None => (i64::MAX, String::new()),
    }
}

fn query_vec<T>(
    conn: &Connection,
    sql: &str,
    params: impl rusqlite::Params,
    map: impl FnMut(&Row) -> rusqlite::Result<T>,
) -> StoreResult<Vec<T>> {
    let mut stmt = conn.prepare_cached(sql).map_err(backend_err)?;
    let rows = stmt.query_map(params, map).map_err(backend_err)?;
    rows.collect::<Result<Vec<_>, _>>().map_err(backend_err)
}

fn query_opt<T>(
    conn: &Connection,
    sql: &str,
    params: impl rusqlite::Params,
    map: impl FnOnce(&Row) -> rusqlite::Result<T>,
) -> StoreResult<Option<T>> {
    let mut stmt = conn.prepare_cached(sql).map_err(backend_err)?;
    stmt.query_row(params, map).optional().map_err(backend_err)
}

fn entries_with_postings(
    conn: &Connection,
    headers: Vec<(i64, Entry)>,
) -> StoreResult<Vec<StoredEntry>> {
    let (Some(first), Some(last)) = (headers.first().map(|h| h.0), headers.last().map(|h| h.0))
    else {
        return Ok(Vec::new());
    };
    let postings = query_vec(
        conn,
        "SELECT entry_seq, account, currency, amount_minor FROM ledger_postings WHERE entry_seq BETWEEN ?1 AND ?2 ORDER BY entry_seq, rowid",
        params![first, last],
        |row| {
            Ok((
                row.get::<_, i64>(0)?,
                row.get::<_, String>(1)?,
                row.get::<_, String>(2)?,
                row.get::<_, i64>(3)?,
            ))
        },
    )?;
    let mut out: Vec<StoredEntry> = headers
        .into_iter()
        .map(|(seq, entry)| StoredEntry { seq, entry })
        .collect();
    for (seq, account, currency, amount_minor) in postings {
        let Ok(index) = out.binary_search_by_key(&seq, |e| e.seq) else {
            continue;
        };
        let account = account.parse().map_err(backend_err)?;
        let currency = Currency::parse(&currency).map_err(backend_err)?;
        out[index].entry.postings.push(Posting {
            account,
            amount: Money::new(amount_minor, currency),
        });
    }
    Ok(out)
}

const ENTRY_COLUMNS: &str = "seq, id, idempotency_key, kind, order_id, payout_id, created_at_ms";

fn entry_header(row: &Row) -> rusqlite::Result<(i64, Entry)> {
    let kind: String = row.get(3)?;
    let order_id: Option<String> = row.get(4)?;
    let payout_id: Option<String> = row.get(5)?;
    Ok((
        row.get(0)?,
        Entry {
            id: EntryId(uuid_col(row, 1)?),
            idempotency_key: row.get(2)?,
            kind: EntryKind::parse(&kind)
                .ok_or_else(|| conversion(3, Corrupt(format!("entry kind {kind}"))))?,
            order_id: order_id.as_deref().and_then(OrderId::parse),
            payout_id: payout_id.as_deref().and_then(PayoutId::parse),
            created_at: from_ms(row.get(6)?),
            postings: Vec::new(),
        },
    ))
}

#[async_trait]
impl Store for SqliteStore {
    fn backend(&self) -> &'static str {
        "sqlite"
    }

    async fn migrate(&self) -> StoreResult<()> {
        self.write(apply::migrate).await
    }

    async fn commit(&self, changes: Changeset) -> StoreResult<()> {
        self.write(move |conn| apply::apply(conn, &changes)).await
    }

    async fn latest_policy(&self) -> StoreResult<Option<(PolicyVersion, Policy)>> {
        self.read(|c| {
            query_opt(
                c,
                "SELECT version, data FROM policy_versions ORDER BY version DESC LIMIT 1",
                [],
                |r| Ok((r.get(0)?, json_col(r, 1)?)),
            )
        })
        .await
    }

    async fn policy(&self, version: PolicyVersion) -> StoreResult<Option<Policy>> {
        self.read(move |c| {
            query_opt(
                c,
                "SELECT data FROM policy_versions WHERE version = ?1",
                [version],
                |r| json_col(r, 0),
            )
        })
        .await
    }

    async fn ensure_policy(&self, policy: &Policy, now: Timestamp) -> StoreResult<PolicyVersion> {
        let policy = policy.clone();
        self.write(move |c| apply::ensure_policy(c, &policy, now))
            .await
    }

    async fn user(&self, id: UserId) -> StoreResult<Option<User>> {
        self.read(move |c| {
            query_opt(
                c,
                "SELECT data, version FROM users WHERE id = ?1",
                [id.to_string()],
                user_from_row,
            )
        })
        .await
    }

    async fn user_by_email(&self, email: &str) -> StoreResult<Option<User>> {
        let email = email.trim().to_lowercase();
        self.read(move |c| {
            query_opt(
                c,
                "SELECT data, version FROM users WHERE email = ?1",
                [email],
                user_from_row,
            )
        })
        .await
    }

    async fn session(&self, token_hash: &str) -> StoreResult<Option<Session>> {
        let token_hash = token_hash.to_string();
        self.read(move |c| {
            query_opt(
                c,
                &format!("SELECT {SESSION_COLUMNS} FROM sessions WHERE token_hash = ?1"),
                [token_hash],
                session_from_row,
            )
        })
        .await
    }

    async fn shop(&self, id: StoreId) -> StoreResult<Option<Shop>> {
        self.read(move |c| {
            query_opt(
                c,
                "SELECT data FROM shops WHERE id = ?1",
                [id.to_string()],
                |r| json_col(r, 0),
            )
        })
        .await
    }

    async fn shop_by_owner(&self, owner: UserId) -> StoreResult<Option<Shop>> {
        self.read(move |c| {
            query_opt(
                c,
                "SELECT data FROM shops WHERE owner_id = ?1",
                [owner.to_string()],
                |r| json_col(r, 0),
            )
        })
        .await
    }

    async fn shops(&self, page: &PageRequest) -> StoreResult<Page<Shop>> {
        let (ms, id) = keyset(page);
        let limit = page.limit;
        self.read(move |c| {
            let rows: Vec<Shop> = query_vec(
                c,
                "SELECT data FROM shops WHERE (created_at_ms, id) < (?1, ?2) ORDER BY created_at_ms DESC, id DESC LIMIT ?3",
                params![ms, id, limit + 1],
                |r| json_col(r, 0),
            )?;
            Ok(make_page(rows, limit, |s: &Shop| (s.created_at, s.id.0)))
        })
        .await
    }

    async fn listing(&self, id: ListingId) -> StoreResult<Option<Listing>> {
        self.read(move |c| {
            query_opt(
                c,
                "SELECT data, stock FROM listings WHERE id = ?1",
                [id.to_string()],
                |r| {
                    let mut listing: Listing = json_col(r, 0)?;
                    listing.stock = r.get(1)?;
                    Ok(listing)
                },
            )
        })
        .await
    }

    async fn listings(
        &self,
        filter: &ListingFilter,
        page: &PageRequest,
    ) -> StoreResult<Page<Listing>> {
        let (ms, id) = keyset(page);
        let limit = page.limit;
        let category = filter.category.clone();
        let store = filter.store_id.map(|s| s.to_string());
        self.read(move |c| {
            let rows: Vec<Listing> = query_vec(
                c,
                "SELECT data, stock FROM listings
                 WHERE (created_at_ms, id) < (?1, ?2) AND (?3 IS NULL OR category = ?3) AND (?4 IS NULL OR store_id = ?4)
                 ORDER BY created_at_ms DESC, id DESC LIMIT ?5",
                params![ms, id, category, store, limit + 1],
                |r| {
                    let mut listing: Listing = json_col(r, 0)?;
                    listing.stock = r.get(1)?;
                    Ok(listing)
                },
            )?;
            Ok(make_page(rows, limit, |l: &Listing| (l.created_at, l.id.0)))
        })
        .await
    }

    async fn media(&self, hash: &str) -> StoreResult<Option<Media>> {
        let hash = hash.to_string();
        self.read(move |c| {
            query_opt(
                c,
                "SELECT hash, content_type, bytes FROM media WHERE hash = ?1",
                [hash],
                |r| {
                    Ok(Media {
                        hash: r.get(0)?,
                        content_type: r.get(1)?,
                        bytes: r.get(2)?,
                    })
                },
            )
        })
        .await
    }

    async fn order(&self, id: OrderId) -> StoreResult<Option<Order>> {
        self.read(move |c| {
            query_opt(
                c,
                "SELECT data, version FROM orders WHERE id = ?1",
                [id.to_string()],
                order_from_row,
            )
        })
        .await
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
        let (carrier, number) = (carrier.to_string(), number.to_string());
        self.read(move |c| {
            query_opt(
                c,
                "SELECT order_id FROM tracking_numbers WHERE carrier = ?1 AND tracking_number = ?2",
                params![carrier, number],
                |r| Ok(OrderId(uuid_col(r, 0)?)),
            )
        })
        .await
    }

    async fn tracking_events(
        &self,
        carrier: &str,
        number: &str,
    ) -> StoreResult<Vec<TrackingEvent>> {
        let (carrier, number) = (carrier.to_string(), number.to_string());
        self.read(move |c| {
            query_vec(
                c,
                "SELECT carrier, tracking_number, status, occurred_at_ms, location, received_at_ms FROM tracking_events
                 WHERE carrier = ?1 AND tracking_number = ?2 ORDER BY occurred_at_ms LIMIT 200",
                params![carrier, number],
                |r| {
                    Ok(TrackingEvent {
                        carrier: r.get(0)?,
                        tracking_number: r.get(1)?,
                        status: r.get(2)?,
                        occurred_at: from_ms(r.get(3)?),
                        location: r.get(4)?,
                        received_at: from_ms(r.get(5)?),
                    })
                },
            )
        })
        .await
    }

    async fn balance(&self, account: &str, currency: &str) -> StoreResult<i64> {
        let (account, currency) = (account.to_string(), currency.to_string());
        self.read(move |c| {
            let found = query_opt(
                c,
                "SELECT balance_minor FROM account_balances WHERE account = ?1 AND currency = ?2",
                params![account, currency],
                |r| r.get(0),
            )?;
            Ok(found.unwrap_or(0))
        })
        .await
    }

    async fn entries_for_order(&self, order: OrderId) -> StoreResult<Vec<StoredEntry>> {
        self.read(move |c| {
            let headers = query_vec(
                c,
                &format!("SELECT {ENTRY_COLUMNS} FROM ledger_entries WHERE order_id = ?1 ORDER BY seq LIMIT 100"),
                [order.to_string()],
                entry_header,
            )?;
            let mut out = Vec::new();
            // Entries of one order are few but not contiguous in seq; fetch each.
            for header in headers {
                out.extend(entries_with_postings(c, vec![header])?);
            }
            Ok(out)
        })
        .await
    }

    async fn payouts(&self, store: StoreId, page: &PageRequest) -> StoreResult<Page<Payout>> {
        let (ms, id) = keyset(page);
        let limit = page.limit;
        self.read(move |c| {
            let rows = query_vec(
                c,
                "SELECT id, store_id, amount_minor, currency, state, created_at_ms FROM payouts
                 WHERE store_id = ?1 AND (created_at_ms, id) < (?2, ?3) ORDER BY created_at_ms DESC, id DESC LIMIT ?4",
                params![store.to_string(), ms, id, limit + 1],
                |r| {
                    let currency: String = r.get(3)?;
                    Ok(Payout {
                        id: PayoutId(uuid_col(r, 0)?),
                        store_id: StoreId(uuid_col(r, 1)?),
                        amount: Money::new(r.get(2)?, Currency::parse(&currency).map_err(|e| conversion(3, e))?),
                        state: r.get(4)?,
                        created_at: from_ms(r.get(5)?),
                    })
                },
            )?;
            Ok(make_page(rows, limit, |p: &Payout| (p.created_at, p.id.0)))
        })
        .await
    }

    async fn payout(&self, id: PayoutId) -> StoreResult<Option<Payout>> {
        self.read(move |c| {
            query_opt(
                c,
                "SELECT id, store_id, amount_minor, currency, state, created_at_ms FROM payouts WHERE id = ?1",
                params![id.to_string()],
                |r| {
                    let currency: String = r.get(3)?;
                    Ok(Payout {
                        id: PayoutId(uuid_col(r, 0)?),
                        store_id: StoreId(uuid_col(r, 1)?),
                        amount: Money::new(r.get(2)?, Currency::parse(&currency).map_err(|e| conversion(3, e))?),
                        state: r.get(4)?,
                        created_at: from_ms(r.get(5)?),
                    })
                },
            )
        })
        .await
    }

    async fn claim_due_timers(
        &self,
        now: Timestamp,
        lease_until: Timestamp,
        limit: u32,
    ) -> StoreResult<Vec<Timer>> {
        self.write(move |c| apply::claim_due(c, now, lease_until, limit))
            .await
    }

    async fn pending_timers(&self, order: OrderId) -> StoreResult<Vec<Timer>> {
        self.read(move |c| {
            query_vec(
                c,
                "SELECT id, order_id, kind, due_at_ms, attempts FROM scheduled_actions WHERE order_id = ?1 ORDER BY due_at_ms",
                [order.to_string()],
                timer_from_row,
            )
        })
        .await
    }

    async fn outbox_after(&self, after_seq: i64, limit: u32) -> StoreResult<Vec<OutboxEvent>> {
        self.read(move |c| {
            query_vec(
                c,
                "SELECT seq, id, topic, payload, created_at_ms FROM outbox WHERE seq > ?1 ORDER BY seq LIMIT ?2",
                params![after_seq, limit],
                outbox_from_row,
            )
        })
        .await
    }

    async fn undelivered_outbox(&self, topic: &str, limit: u32) -> StoreResult<Vec<OutboxEvent>> {
        let topic = topic.to_string();
        self.read(move |c| {
            query_vec(
                c,
                "SELECT seq, id, topic, payload, created_at_ms FROM outbox WHERE topic = ?1 AND delivered_at_ms IS NULL ORDER BY seq LIMIT ?2",
                params![topic, limit],
                outbox_from_row,
            )
        })
        .await
    }

    async fn idempotency(&self, user: UserId, key: &str) -> StoreResult<Option<IdempotencyRecord>> {
        let key = key.to_string();
        self.read(move |c| {
            query_opt(
                c,
                "SELECT user_id, key, request_hash, resource, created_at_ms FROM idempotency_keys WHERE user_id = ?1 AND key = ?2",
                params![user.to_string(), key],
                |r| {
                    Ok(IdempotencyRecord {
                        user_id: UserId(uuid_col(r, 0)?),
                        key: r.get(1)?,
                        request_hash: r.get(2)?,
                        resource: r.get(3)?,
                        created_at: from_ms(r.get(4)?),
                    })
                },
            )
        })
        .await
    }

    async fn dispute(&self, id: DisputeId) -> StoreResult<Option<Dispute>> {
        self.read(move |c| {
            query_opt(
                c,
                "SELECT data, version FROM disputes WHERE id = ?1",
                [id.to_string()],
                dispute_from_row,
            )
        })
        .await
    }

    async fn disputes_for_order(&self, order: OrderId) -> StoreResult<Vec<Dispute>> {
        self.read(move |c| {
            query_vec(
                c,
                "SELECT data, version FROM disputes WHERE order_id = ?1 ORDER BY created_at_ms, id LIMIT 100",
                [order.to_string()],
                dispute_from_row,
            )
        })
        .await
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
        let (ms, id) = crate::queue_position(page);
        let limit = page.limit;
        self.read(move |c| {
            let rows = query_vec(
                c,
                "SELECT data, version FROM disputes WHERE state = 'escalated' AND (escalated_at_ms, id) > (?1, ?2)
                 ORDER BY escalated_at_ms, id LIMIT ?3",
                params![ms, id, limit + 1],
                dispute_from_row,
            )?;
            Ok(make_page(rows, limit, |d: &Dispute| (d.escalated_at.unwrap_or(d.opened_at), d.id.0)))
        })
        .await
    }

    async fn evidence(&self, dispute: DisputeId) -> StoreResult<Vec<EvidenceEntry>> {
        self.read(move |c| {
            query_vec(
                c,
                "SELECT data FROM evidence_log WHERE dispute_id = ?1 ORDER BY seq LIMIT ?2",
                params![dispute.to_string(), crate::MAX_EVIDENCE_ENTRIES],
                |r| json_col(r, 0),
            )
        })
        .await
    }

    async fn last_evidence(&self, dispute: DisputeId) -> StoreResult<Option<EvidenceEntry>> {
        self.read(move |c| {
            query_opt(
                c,
                "SELECT data FROM evidence_log WHERE dispute_id = ?1 ORDER BY seq DESC LIMIT 1",
                [dispute.to_string()],
                |r| json_col(r, 0),
            )
        })
        .await
    }

    async fn evidence_file(&self, hash: &str) -> StoreResult<Option<EvidenceFile>> {
        let hash = hash.to_string();
        self.read(move |c| {
            query_opt(c, "SELECT hash, content_type, size_bytes, created_at_ms FROM evidence_files WHERE hash = ?1", [hash], |r| {
                Ok(EvidenceFile { hash: r.get(0)?, content_type: r.get(1)?, size_bytes: r.get(2)?, created_at: from_ms(r.get(3)?) })
            })
        })
        .await
    }

    async fn audit_for_order(&self, order: OrderId) -> StoreResult<Vec<AuditRecord>> {
        self.read(move |c| {
            query_vec(
                c,
                "SELECT data FROM audit_log WHERE order_id = ?1 ORDER BY seq LIMIT 500",
                [order.to_string()],
                |r| json_col(r, 0),
            )
        })
        .await
    }

    async fn strikes_for_store(&self, store: StoreId) -> StoreResult<Vec<Strike>> {
        self.read(move |c| {
            query_vec(
                c,
                "SELECT data FROM strikes WHERE store_id = ?1 ORDER BY at_ms LIMIT 500",
                [store.to_string()],
                |r| json_col(r, 0),
            )
        })
        .await
    }

    async fn party_history(&self, buyer: UserId, store: StoreId) -> StoreResult<PartyHistory> {
        self.read(move |c| {
            let count = |sql: &str, key: String| -> StoreResult<i64> {
                query_opt(c, sql, [key], |r| r.get(0)).map(|n| n.unwrap_or(0))
            };
            Ok(PartyHistory {
                buyer_orders: count(
                    "SELECT COUNT(*) FROM orders WHERE buyer_id = ?1",
                    buyer.to_string(),
                )?,
                buyer_disputes: count(
                    "SELECT COUNT(*) FROM disputes WHERE buyer_id = ?1",
                    buyer.to_string(),
                )?,
                store_orders: count(
                    "SELECT COUNT(*) FROM orders WHERE store_id = ?1",
                    store.to_string(),
                )?,
                store_disputes: count(
                    "SELECT COUNT(*) FROM disputes WHERE store_id = ?1",
                    store.to_string(),
                )?,
                store_strikes: count(
                    "SELECT COUNT(*) FROM strikes WHERE store_id = ?1",
                    store.to_string(),
                )?,
            })
        })
        .await
    }

    async fn scan_evidence(
        &self,
        after: Option<(DisputeId, i64)>,
        limit: u32,
    ) -> StoreResult<Vec<EvidenceEntry>> {
        let (dispute, seq) = after.map_or((String::new(), 0), |(d, s)| (d.to_string(), s));
        self.read(move |c| {
            query_vec(
                c,
                "SELECT data FROM evidence_log WHERE (dispute_id, seq) > (?1, ?2) ORDER BY dispute_id, seq LIMIT ?3",
                params![dispute, seq, limit],
                |r| json_col(r, 0),
            )
        })
        .await
    }

    async fn sessions_for_user(&self, user: UserId) -> StoreResult<Vec<Session>> {
        self.read(move |c| {
            query_vec(
                c,
                &format!("SELECT {SESSION_COLUMNS} FROM sessions WHERE user_id = ?1 ORDER BY created_at_ms DESC, token_hash DESC LIMIT 100"),
                [user.to_string()],
                session_from_row,
            )
        })
        .await
    }

    async fn token(&self, token_hash: &str) -> StoreResult<Option<OneTimeToken>> {
        let token_hash = token_hash.to_string();
        self.read(move |c| {
            query_opt(
                c,
                "SELECT token_hash, kind, user_id, created_at_ms, expires_at_ms, used_at_ms, data FROM one_time_tokens WHERE token_hash = ?1",
                [token_hash],
                |r| {
                    let kind: String = r.get(1)?;
                    let used: Option<i64> = r.get(5)?;
                    Ok(OneTimeToken {
                        token_hash: r.get(0)?,
                        kind: TokenKind::parse(&kind).ok_or_else(|| conversion(1, Corrupt(format!("token kind {kind}"))))?,
                        user_id: UserId(uuid_col(r, 2)?),
                        created_at: from_ms(r.get(3)?),
                        expires_at: from_ms(r.get(4)?),
                        used_at: used.map(from_ms),
                        data: json_col(r, 6)?,
                    })
                },
            )
        })
        .await
    }

    async fn pending_identity_reviews(&self, page: &PageRequest) -> StoreResult<Page<User>> {
        let (ms, id) = keyset(page);
        let limit = page.limit;
        self.read(move |c| {
            let rows: Vec<User> = query_vec(
                c,
                "SELECT data, version FROM users WHERE identity_status = 'pending' AND (created_at_ms, id) < (?1, ?2)
                 ORDER BY created_at_ms DESC, id DESC LIMIT ?3",
                params![ms, id, limit + 1],
                user_from_row,
            )?;
            Ok(make_page(rows, limit, |u: &User| (u.created_at, u.id.0)))
        })
        .await
    }

    async fn conversation(&self, id: ConversationId) -> StoreResult<Option<Conversation>> {
        self.read(move |c| {
            query_opt(
                c,
                "SELECT data, version FROM conversations WHERE id = ?1",
                [id.to_string()],
                conversation_from_row,
            )
        })
        .await
    }

    async fn order_conversation(&self, order: OrderId) -> StoreResult<Option<Conversation>> {
        self.read(move |c| {
            query_opt(
                c,
                "SELECT data, version FROM conversations WHERE order_id = ?1",
                [order.to_string()],
                conversation_from_row,
            )
        })
        .await
    }

    async fn presale_conversation(
        &self,
        listing: ListingId,
        buyer: UserId,
    ) -> StoreResult<Option<Conversation>> {
        self.read(move |c| {
            query_opt(
                c,
                "SELECT data, version FROM conversations WHERE listing_id = ?1 AND buyer_id = ?2 AND kind = 'pre_sale'",
                params![listing.to_string(), buyer.to_string()],
                conversation_from_row,
            )
        })
        .await
    }

    async fn conversations_for_buyer(
        &self,
        buyer: UserId,
        page: &PageRequest,
    ) -> StoreResult<Page<Conversation>> {
        self.conversations_page("buyer_id = ?1", buyer.to_string(), page)
            .await
    }

    async fn conversations_for_store(
        &self,
        store: StoreId,
        page: &PageRequest,
    ) -> StoreResult<Page<Conversation>> {
        self.conversations_page("store_id = ?1", store.to_string(), page)
            .await
    }

    async fn flagged_conversations(&self, page: &PageRequest) -> StoreResult<Page<Conversation>> {
        self.conversations_page("flagged = 1 AND ?1 = ?1", String::new(), page)
            .await
    }

    async fn messages(
        &self,
        conversation: ConversationId,
        after_seq: i64,
        limit: u32,
    ) -> StoreResult<Vec<Message>> {
        self.read(move |c| {
            query_vec(
                c,
                "SELECT data FROM messages WHERE conversation_id = ?1 AND seq > ?2 ORDER BY seq LIMIT ?3",
                params![conversation.to_string(), after_seq, limit],
                |r| json_col(r, 0),
            )
        })
        .await
    }

    async fn unread_count(&self, user: UserId, store: Option<StoreId>) -> StoreResult<i64> {
        let store = store.map(|s| s.to_string()).unwrap_or_default();
        self.read(move |c| {
            let found = query_opt(
                c,
                "SELECT COUNT(*) FROM conversations c
                 JOIN messages m ON m.conversation_id = c.id
                 LEFT JOIN conversation_reads r ON r.conversation_id = c.id AND r.user_id = ?1
                 WHERE (c.buyer_id = ?1 OR c.store_id = ?2) AND m.sender_id != ?1 AND m.delivery != 'blocked'
                   AND m.seq > COALESCE(r.last_read_seq, 0)",
                params![user.to_string(), store],
                |r| r.get(0),
            )?;
            Ok(found.unwrap_or(0))
        })
        .await
    }

    async fn security_flags(&self, page: &PageRequest) -> StoreResult<Page<SecurityFlag>> {
        let (ms, id) = keyset(page);
        let limit = page.limit;
        self.read(move |c| {
            let rows: Vec<SecurityFlag> = query_vec(
                c,
                "SELECT data FROM security_flags WHERE (created_at_ms, id) < (?1, ?2) ORDER BY created_at_ms DESC, id DESC LIMIT ?3",
                params![ms, id, limit + 1],
                |r| json_col(r, 0),
            )?;
            Ok(make_page(rows, limit, |f: &SecurityFlag| (f.created_at, f.id.0)))
        })
        .await
    }

    async fn scan_entries(&self, after_seq: i64, limit: u32) -> StoreResult<Vec<StoredEntry>> {
        self.read(move |c| {
            let headers = query_vec(
                c,
                &format!("SELECT {ENTRY_COLUMNS} FROM ledger_entries WHERE seq > ?1 ORDER BY seq LIMIT ?2"),
                params![after_seq, limit],
                entry_header,
            )?;
            entries_with_postings(c, headers)
        })
        .await
    }

    async fn scan_balances(
        &self,
        after: Option<(String, String)>,
        limit: u32,
    ) -> StoreResult<Vec<BalanceRow>> {
        let (account, currency) = after.unwrap_or_default();
        self.read(move |c| {
            query_vec(
                c,
                "SELECT account, currency, balance_minor FROM account_balances WHERE (account, currency) > (?1, ?2) ORDER BY account, currency LIMIT ?3",
                params![account, currency, limit],
                |r| Ok(BalanceRow { account: r.get(0)?, currency: r.get(1)?, balance_minor: r.get(2)? }),
            )
        })
        .await
    }

    async fn scan_orders(
        &self,
        after: Option<OrderId>,
        limit: u32,
    ) -> StoreResult<Vec<OrderSummary>> {
        let after = after.map(|id| id.to_string()).unwrap_or_default();
        self.read(move |c| {
            query_vec(
                c,
                "SELECT id, state, total_minor FROM orders WHERE id > ?1 ORDER BY id LIMIT ?2",
                params![after, limit],
                |r| {
                    let state: String = r.get(1)?;
                    Ok(OrderSummary {
                        id: OrderId(uuid_col(r, 0)?),
                        state: OrderState::parse(&state)
                            .ok_or_else(|| conversion(1, Corrupt(format!("state {state}"))))?,
                        total_minor: r.get(2)?,
                    })
                },
            )
        })
        .await
    }
}

const SESSION_COLUMNS: &str = "token_hash, user_id, kind, created_at_ms, expires_at_ms, user_agent, ip, last_seen_ms, reauth_ms";

fn session_from_row(r: &Row) -> rusqlite::Result<Session> {
    let kind: String = r.get(2)?;
    Ok(Session {
        token_hash: r.get(0)?,
        user_id: UserId(uuid_col(r, 1)?),
        kind: serde_json::from_str(&kind).map_err(|e| conversion(2, e))?,
        created_at: from_ms(r.get(3)?),
        expires_at: from_ms(r.get(4)?),
        user_agent: r.get(5)?,
        ip: r.get(6)?,
        last_seen_at: from_ms(r.get(7)?),
        reauthenticated_at: from_ms(r.get(8)?),
    })
}

fn user_from_row(r: &Row) -> rusqlite::Result<User> {
    let mut user: User = json_col(r, 0)?;
    user.version = r.get(1)?;
    Ok(user)
}

fn conversation_from_row(r: &Row) -> rusqlite::Result<Conversation> {
    let mut conversation: Conversation = json_col(r, 0)?;
    conversation.version = r.get(1)?;
    Ok(conversation)
}

fn outbox_from_row(r: &Row) -> rusqlite::Result<OutboxEvent> {
    Ok(OutboxEvent {
        seq: r.get(0)?,
        id: uuid_col(r, 1)?,
        topic: r.get(2)?,
        payload: json_col(r, 3)?,
        created_at: from_ms(r.get(4)?),
    })
}

fn dispute_from_row(row: &Row) -> rusqlite::Result<Dispute> {
    let mut dispute: Dispute = json_col(row, 0)?;
    dispute.version = row.get(1)?;
    Ok(dispute)
}

impl SqliteStore {
    async fn conversations_page(
        &self,
        filter: &'static str,
        key: String,
        page: &PageRequest,
    ) -> StoreResult<Page<Conversation>> {
        let (ms, id) = keyset(page);
        let limit = page.limit;
        self.read(move |c| {
            let sql = format!(
                "SELECT data, version FROM conversations WHERE {filter} AND (last_message_ms, id) < (?2, ?3)
                 ORDER BY last_message_ms DESC, id DESC LIMIT ?4"
            );
            let rows = query_vec(c, &sql, params![key, ms, id, limit + 1], conversation_from_row)?;
            Ok(make_page(rows, limit, |c: &Conversation| (c.last_message_at.unwrap_or(c.created_at), c.id.0)))
        })
        .await
    }

    async fn disputes_page(
        &self,
        column: &'static str,
        owner: String,
        page: &PageRequest,
    ) -> StoreResult<Page<Dispute>> {
        let (ms, id) = keyset(page);
        let limit = page.limit;
        self.read(move |c| {
            let sql = format!(
                "SELECT data, version FROM disputes WHERE {column} = ?1 AND (created_at_ms, id) < (?2, ?3)
                 ORDER BY created_at_ms DESC, id DESC LIMIT ?4"
            );
            let rows = query_vec(c, &sql, params![owner, ms, id, limit + 1], dispute_from_row)?;
            Ok(make_page(rows, limit, |d: &Dispute| (d.opened_at, d.id.0)))
        })
        .await
    }

    async fn orders_page(
        &self,
        column: &'static str,
        owner: String,
        page: &PageRequest,
    ) -> StoreResult<Page<Order>> {
        let (ms, id) = keyset(page);
        let limit = page.limit;
        self.read(move |c| {
            let sql = format!(
                "SELECT data, version FROM orders WHERE {column} = ?1 AND (created_at_ms, id) < (?2, ?3)
                 ORDER BY created_at_ms DESC, id DESC LIMIT ?4"
            );
            let rows = query_vec(c, &sql, params![owner, ms, id, limit + 1], order_from_row)?;
            Ok(make_page(rows, limit, |o: &Order| (o.created_at, o.id.0)))
        })
        .await
    }
}
