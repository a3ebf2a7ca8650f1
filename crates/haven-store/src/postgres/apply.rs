//! Writes: one changeset, applied inside one transaction, in the same order as
//! `sqlite/apply.rs`.

use haven_domain::Timestamp;
use haven_domain::clock::to_ms;
use haven_domain::ids::TimerId;
use haven_domain::ledger::{Entry, Posting};
use haven_domain::policy::{Policy, PolicyVersion};
use sqlx::PgConnection;

use super::{OUTBOX_LOCK, PgQuery, backend_err, json_err, on_constraint};
use crate::{
    Changeset, Conflict, ConversationWrite, DisputeWrite, EvidenceFile, IdempotencyRecord,
    OrderWrite, StockChange, StoreError, StoreResult, UserWrite,
};

fn json<T: serde::Serialize>(value: &T) -> StoreResult<String> {
    serde_json::to_string(value).map_err(json_err)
}

/// An enum's serde name (`"pre_sale"`), for the plain TEXT columns that
/// SQLite fills with the JSON string minus its quotes.
fn name<T: serde::Serialize>(value: &T) -> StoreResult<String> {
    match serde_json::to_value(value).map_err(json_err)? {
        serde_json::Value::String(name) => Ok(name),
        other => Err(StoreError::Backend(format!("not a plain name: {other}"))),
    }
}

/// The version a versioned row gets from this write (`expected + 1`, or 1
/// for a new row), and the row's JSON with that version set in it too.
fn versioned<T: Clone + serde::Serialize>(
    value: &T,
    expected: Option<i64>,
    set_version: impl FnOnce(&mut T, i64),
) -> StoreResult<(i64, String)> {
    let next = expected.map_or(1, |v| v + 1);
    let mut stored = value.clone();
    set_version(&mut stored, next);
    Ok((next, json(&stored)?))
}

/// A guarded write must have touched exactly one row, else it lost to
/// `conflict` (and the whole changeset rolls back).
fn one_row(changed: u64, conflict: Conflict) -> StoreResult<()> {
    match changed {
        1 => Ok(()),
        _ => Err(StoreError::Conflict(conflict)),
    }
}

/// Run one statement and return how many rows it touched.
async fn exec(
    conn: &mut PgConnection,
    query: PgQuery<'_>,
    on_err: impl FnOnce(sqlx::Error) -> StoreError,
) -> StoreResult<u64> {
    query
        .execute(conn)
        .await
        .map(|done| done.rows_affected())
        .map_err(on_err)
}

pub(super) async fn apply(conn: &mut PgConnection, cs: &Changeset) -> StoreResult<()> {
    if let Some(timer_id) = cs.complete_timer {
        let query =
            sqlx::query("DELETE FROM scheduled_actions WHERE id = $1").bind(timer_id.to_string());
        one_row(exec(conn, query, backend_err).await?, Conflict::TimerGone)?;
    }
    if let Some(record) = &cs.idempotency {
        save_idempotency(conn, record).await?;
    }
    apply_accounts(conn, cs).await?;
    apply_catalog(conn, cs).await?;
    // Every transaction locks listings in one global order, so concurrent
    // carts cannot deadlock. The sort is stable: one listing's changes keep
    // their order, and the outcome is the same as applying them as given.
    let mut stock: Vec<&StockChange> = cs.stock.iter().collect();
    stock.sort_by_key(|change| change.listing_id);
    for change in stock {
        take_stock(conn, change).await?;
    }
    for write in &cs.orders {
        write_order(conn, write).await?;
    }
    apply_disputes(conn, cs).await?;
    mark_delivered(conn, cs).await?;
    apply_account_security(conn, cs).await?;
    apply_messaging(conn, cs).await?;
    apply_shipping_and_payouts(conn, cs).await?;
    for entry in &cs.entries {
        write_entry(conn, entry).await?;
    }
    apply_timers_and_outbox(conn, cs).await
}

async fn save_idempotency(conn: &mut PgConnection, record: &IdempotencyRecord) -> StoreResult<()> {
    let query = sqlx::query(
        "INSERT INTO idempotency_keys (user_id, key, request_hash, resource, created_at_ms) VALUES ($1, $2, $3, $4, $5)",
    )
    .bind(record.user_id.to_string())
    .bind(&record.key)
    .bind(&record.request_hash)
    .bind(&record.resource)
    .bind(to_ms(record.created_at));
    exec(
        conn,
        query,
        on_constraint(Conflict::DuplicateIdempotencyKey),
    )
    .await?;
    Ok(())
}

async fn apply_accounts(conn: &mut PgConnection, cs: &Changeset) -> StoreResult<()> {
    for user in &cs.users {
        // A new user is version 1, whatever the caller set.
        let mut stored = user.clone();
        stored.version = 1;
        let query = sqlx::query(
            "INSERT INTO users (id, email, data, created_at_ms, version, identity_status) VALUES ($1, $2, $3, $4, 1, $5)",
        )
        .bind(user.id.to_string())
        .bind(user.email.as_str())
        .bind(json(&stored)?)
        .bind(to_ms(user.created_at))
        .bind(name(&stored.identity.status)?);
        exec(conn, query, on_constraint(Conflict::EmailTaken)).await?;
    }
    for session in &cs.sessions {
        let query = sqlx::query(
            "INSERT INTO sessions (token_hash, user_id, kind, created_at_ms, expires_at_ms, user_agent, ip, last_seen_ms, reauth_ms)
             VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9)",
        )
        .bind(&session.token_hash)
        .bind(session.user_id.to_string())
        .bind(json(&session.kind)?)
        .bind(to_ms(session.created_at))
        .bind(to_ms(session.expires_at))
        .bind(&session.user_agent)
        .bind(&session.ip)
        .bind(to_ms(session.last_seen_at))
        .bind(to_ms(session.reauthenticated_at));
        exec(conn, query, backend_err).await?;
    }
    for token_hash in &cs.delete_sessions {
        let query = sqlx::query("DELETE FROM sessions WHERE token_hash = $1").bind(token_hash);
        exec(conn, query, backend_err).await?;
    }
    Ok(())
}

async fn apply_catalog(conn: &mut PgConnection, cs: &Changeset) -> StoreResult<()> {
    for shop in &cs.shops {
        let query = sqlx::query(
            "INSERT INTO shops (id, owner_id, data, created_at_ms) VALUES ($1, $2, $3, $4)",
        )
        .bind(shop.id.to_string())
        .bind(shop.owner_id.to_string())
        .bind(json(shop)?)
        .bind(to_ms(shop.created_at));
        exec(conn, query, on_constraint(Conflict::StoreAlreadyOpened)).await?;
    }
    for media in &cs.media {
        let query = sqlx::query(
            "INSERT INTO media (hash, content_type, bytes) VALUES ($1, $2, $3) ON CONFLICT DO NOTHING",
        )
        .bind(&media.hash)
        .bind(&media.content_type)
        .bind(&media.bytes);
        exec(conn, query, backend_err).await?;
    }
    for listing in &cs.listings {
        let query = sqlx::query(
            "INSERT INTO listings (id, store_id, category, stock, data, created_at_ms) VALUES ($1, $2, $3, $4, $5, $6)",
        )
        .bind(listing.id.to_string())
        .bind(listing.store_id.to_string())
        .bind(&listing.category)
        .bind(listing.stock)
        .bind(json(listing)?)
        .bind(to_ms(listing.created_at));
        exec(conn, query, backend_err).await?;
    }
    Ok(())
}

/// Take or return stock. The guard is re-evaluated on the newest row version
/// after waiting for a concurrent buyer, so stock never goes negative.
async fn take_stock(conn: &mut PgConnection, change: &StockChange) -> StoreResult<()> {
    let query =
        sqlx::query("UPDATE listings SET stock = stock + $2 WHERE id = $1 AND stock + $2 >= 0")
            .bind(change.listing_id.to_string())
            .bind(change.delta);
    if exec(conn, query, backend_err).await? == 0 {
        return Err(StoreError::Conflict(Conflict::OutOfStock));
    }
    Ok(())
}

async fn write_order(conn: &mut PgConnection, write: &OrderWrite) -> StoreResult<()> {
    let order = &write.order;
    let (next_version, data) = versioned(order, write.expected_version, |o, v| o.version = v)?;
    let query = match write.expected_version {
        None => sqlx::query(
            "INSERT INTO orders (id, buyer_id, store_id, state, total_minor, version, data, created_at_ms) VALUES ($1, $2, $3, $4, $5, $6, $7, $8)",
        )
        .bind(order.id.to_string())
        .bind(order.buyer_id.to_string())
        .bind(order.store_id.to_string())
        .bind(order.state.as_str())
        .bind(order.total.amount_minor)
        .bind(next_version)
        .bind(data)
        .bind(to_ms(order.created_at)),
        Some(expected) => sqlx::query(
            "UPDATE orders SET state = $2, version = $3, data = $4, total_minor = $6 WHERE id = $1 AND version = $5",
        )
        .bind(order.id.to_string())
        .bind(order.state.as_str())
        .bind(next_version)
        .bind(data)
        .bind(expected)
        .bind(order.total.amount_minor),
    };
    let changed = exec(conn, query, on_constraint(Conflict::StaleOrder)).await?;
    one_row(changed, Conflict::StaleOrder)
}

async fn mark_delivered(conn: &mut PgConnection, cs: &Changeset) -> StoreResult<()> {
    for (seq, at) in &cs.outbox_delivered {
        let query = sqlx::query(
            "UPDATE outbox SET delivered_at_ms = $2 WHERE seq = $1 AND delivered_at_ms IS NULL",
        )
        .bind(*seq)
        .bind(to_ms(*at));
        exec(conn, query, backend_err).await?;
    }
    Ok(())
}

/// Disputes, their evidence, files, the audit trail and strikes, in the
/// order of `sqlite/apply.rs` (`apply_disputes`).
async fn apply_disputes(conn: &mut PgConnection, cs: &Changeset) -> StoreResult<()> {
    for write in &cs.disputes {
        write_dispute(conn, write).await?;
    }
    for entry in &cs.evidence {
        // A concurrent writer appending the same (dispute, seq) makes this
        // wait for it, then fail on the primary key: one append wins.
        let query = sqlx::query(
            "INSERT INTO evidence_log (dispute_id, seq, at_ms, data, hash) VALUES ($1, $2, $3, $4, $5)",
        )
        .bind(entry.dispute_id.to_string())
        .bind(entry.seq)
        .bind(to_ms(entry.at))
        .bind(json(entry)?)
        .bind(&entry.hash);
        exec(conn, query, on_constraint(Conflict::EvidenceRace)).await?;
    }
    // Files are content-addressed and shared between disputes; inserting them
    // in one global order (stable: for one hash the first given still wins)
    // keeps concurrent uploads of the same files from deadlocking.
    let mut files: Vec<&EvidenceFile> = cs.evidence_files.iter().collect();
    files.sort_by(|a, b| a.hash.cmp(&b.hash));
    for file in files {
        let query = sqlx::query(
            "INSERT INTO evidence_files (hash, content_type, size_bytes, created_at_ms) VALUES ($1, $2, $3, $4) ON CONFLICT DO NOTHING",
        )
        .bind(&file.hash)
        .bind(&file.content_type)
        .bind(file.size_bytes)
        .bind(to_ms(file.created_at));
        exec(conn, query, backend_err).await?;
    }
    for record in &cs.audit {
        let query = sqlx::query(
            "INSERT INTO audit_log (id, order_id, at_ms, data) VALUES ($1, $2, $3, $4)",
        )
        .bind(record.id.to_string())
        .bind(record.order_id.to_string())
        .bind(to_ms(record.at))
        .bind(json(record)?);
        exec(conn, query, backend_err).await?;
    }
    for strike in &cs.strikes {
        let query =
            sqlx::query("INSERT INTO strikes (id, store_id, at_ms, data) VALUES ($1, $2, $3, $4)")
                .bind(strike.id.to_string())
                .bind(strike.store_id.to_string())
                .bind(to_ms(strike.at))
                .bind(json(strike)?);
        exec(conn, query, backend_err).await?;
    }
    Ok(())
}

/// Insert a dispute, or update it if its stored version is still the
/// expected one (then storing `expected + 1`). A second open dispute on one
/// order breaks `disputes_one_open_per_order`; a concurrent opener waits for
/// the first to commit and then fails on it.
async fn write_dispute(conn: &mut PgConnection, write: &DisputeWrite) -> StoreResult<()> {
    let dispute = &write.dispute;
    let (next_version, data) = versioned(dispute, write.expected_version, |d, v| d.version = v)?;
    let is_open = dispute.state.is_open();
    let escalated_ms = dispute.escalated_at.map(to_ms);
    let query = match write.expected_version {
        None => sqlx::query(
            "INSERT INTO disputes (id, order_id, buyer_id, store_id, state, is_open, escalated_at_ms, version, data, created_at_ms)
             VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10)",
        )
        .bind(dispute.id.to_string())
        .bind(dispute.order_id.to_string())
        .bind(dispute.buyer_id.to_string())
        .bind(dispute.store_id.to_string())
        .bind(dispute.state.as_str())
        .bind(is_open)
        .bind(escalated_ms)
        .bind(next_version)
        .bind(data)
        .bind(to_ms(dispute.opened_at)),
        Some(expected) => sqlx::query(
            "UPDATE disputes SET state = $2, is_open = $3, escalated_at_ms = $4, version = $5, data = $6 WHERE id = $1 AND version = $7",
        )
        .bind(dispute.id.to_string())
        .bind(dispute.state.as_str())
        .bind(is_open)
        .bind(escalated_ms)
        .bind(next_version)
        .bind(data)
        .bind(expected),
    };
    let changed = exec(conn, query, on_constraint(Conflict::DisputeAlreadyOpen)).await?;
    one_row(changed, Conflict::StaleDispute)
}

/// User updates, session revocations and touches, one-time tokens and
/// security flags, in the order of `sqlite/apply.rs`
/// (`apply_account_security`).
async fn apply_account_security(conn: &mut PgConnection, cs: &Changeset) -> StoreResult<()> {
    for write in &cs.user_updates {
        update_user(conn, write).await?;
    }
    for (user, except) in &cs.delete_user_sessions {
        // Every session of the user but `except` (all of them without one).
        let query = sqlx::query(
            "DELETE FROM sessions WHERE user_id = $1 AND token_hash IS DISTINCT FROM $2",
        )
        .bind(user.to_string())
        .bind(except.as_deref());
        exec(conn, query, backend_err).await?;
    }
    for touch in &cs.session_touches {
        let query = sqlx::query(
            "UPDATE sessions SET last_seen_ms = $2, reauth_ms = COALESCE($3, reauth_ms) WHERE token_hash = $1",
        )
        .bind(&touch.token_hash)
        .bind(to_ms(touch.last_seen_at))
        .bind(touch.reauthenticated_at.map(to_ms));
        exec(conn, query, backend_err).await?;
    }
    apply_tokens(conn, cs).await?;
    for flag in &cs.security_flags {
        let query = sqlx::query(
            "INSERT INTO security_flags (id, kind, subject, created_at_ms, data) VALUES ($1, $2, $3, $4, $5)",
        )
        .bind(flag.id.to_string())
        .bind(&flag.kind)
        .bind(&flag.subject)
        .bind(to_ms(flag.created_at))
        .bind(json(flag)?);
        exec(conn, query, backend_err).await?;
    }
    Ok(())
}

/// Update a user if its stored version is still the expected one (then
/// storing `expected + 1`). Taking another user's e-mail breaks the unique
/// index: `EmailTaken`.
async fn update_user(conn: &mut PgConnection, write: &UserWrite) -> StoreResult<()> {
    let user = &write.user;
    let (next_version, data) = versioned(user, Some(write.expected_version), |u, v| u.version = v)?;
    let query = sqlx::query(
        "UPDATE users SET email = $2, data = $3, version = $4, identity_status = $5 WHERE id = $1 AND version = $6",
    )
    .bind(user.id.to_string())
    .bind(user.email.as_str())
    .bind(data)
    .bind(next_version)
    .bind(name(&user.identity.status)?)
    .bind(write.expected_version);
    let changed = exec(conn, query, on_constraint(Conflict::EmailTaken)).await?;
    one_row(changed, Conflict::StaleUser)
}

/// Issue tokens, then use tokens. Using one is a guarded update that a
/// concurrent user of the same token re-checks after waiting on it, so a
/// token is used at most once; a used or unknown token fails the changeset.
async fn apply_tokens(conn: &mut PgConnection, cs: &Changeset) -> StoreResult<()> {
    for token in &cs.tokens {
        let query = sqlx::query(
            "INSERT INTO one_time_tokens (token_hash, kind, user_id, created_at_ms, expires_at_ms, used_at_ms, data)
             VALUES ($1, $2, $3, $4, $5, NULL, $6)",
        )
        .bind(&token.token_hash)
        .bind(token.kind.as_str())
        .bind(token.user_id.to_string())
        .bind(to_ms(token.created_at))
        .bind(to_ms(token.expires_at))
        .bind(json(&token.data)?);
        exec(conn, query, backend_err).await?;
    }
    for (token_hash, at) in &cs.use_tokens {
        let query = sqlx::query(
            "UPDATE one_time_tokens SET used_at_ms = $2 WHERE token_hash = $1 AND used_at_ms IS NULL",
        )
        .bind(token_hash)
        .bind(to_ms(*at));
        one_row(exec(conn, query, backend_err).await?, Conflict::TokenUsed)?;
    }
    for (user, kind, at) in &cs.void_tokens {
        let query = sqlx::query(
            "UPDATE one_time_tokens SET used_at_ms = $3 WHERE user_id = $1 AND kind = $2 AND used_at_ms IS NULL",
        )
        .bind(user.to_string())
        .bind(kind.as_str())
        .bind(to_ms(*at));
        exec(conn, query, backend_err).await?;
    }
    Ok(())
}

/// Conversations, messages and read marks, in the order of `sqlite/apply.rs`
/// (`apply_messaging`).
async fn apply_messaging(conn: &mut PgConnection, cs: &Changeset) -> StoreResult<()> {
    for write in &cs.conversations {
        write_conversation(conn, write).await?;
    }
    for message in &cs.messages {
        // A concurrent sender taking the same (conversation, seq) makes this
        // wait for it, then fail on the primary key: one message wins.
        let query = sqlx::query(
            "INSERT INTO messages (conversation_id, seq, sender_id, delivery, created_at_ms, data) VALUES ($1, $2, $3, $4, $5, $6)",
        )
        .bind(message.conversation_id.to_string())
        .bind(message.seq)
        .bind(message.sender_id.to_string())
        .bind(name(&message.delivery)?)
        .bind(to_ms(message.created_at))
        .bind(json(message)?);
        exec(conn, query, on_constraint(Conflict::MessageRace)).await?;
    }
    for (conversation, user, seq) in &cs.reads {
        // Read marks only move forward.
        let query = sqlx::query(
            "INSERT INTO conversation_reads (conversation_id, user_id, last_read_seq) VALUES ($1, $2, $3)
             ON CONFLICT (conversation_id, user_id)
             DO UPDATE SET last_read_seq = GREATEST(conversation_reads.last_read_seq, EXCLUDED.last_read_seq)",
        )
        .bind(conversation.to_string())
        .bind(user.to_string())
        .bind(*seq);
        exec(conn, query, backend_err).await?;
    }
    Ok(())
}

/// Insert a conversation, or update it if its stored version is still the
/// expected one (then storing `expected + 1`). A second conversation for one
/// order, or a second pre-sale one for a buyer and listing, breaks a unique
/// index: `ConversationExists`.
async fn write_conversation(conn: &mut PgConnection, write: &ConversationWrite) -> StoreResult<()> {
    let conversation = &write.conversation;
    let (next_version, data) =
        versioned(conversation, write.expected_version, |c, v| c.version = v)?;
    // Lists order by the last message the other side could see, so a
    // blocked message does not move a conversation up its recipient's list.
    let last_ms = to_ms(
        conversation
            .last_delivered_at
            .unwrap_or(conversation.created_at),
    );
    let query = match write.expected_version {
        None => sqlx::query(
            "INSERT INTO conversations (id, kind, order_id, listing_id, buyer_id, store_id, flagged, last_message_ms, version, data, created_at_ms)
             VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11)",
        )
        .bind(conversation.id.to_string())
        .bind(name(&conversation.kind)?)
        .bind(conversation.order_id.map(|id| id.to_string()))
        .bind(conversation.listing_id.to_string())
        .bind(conversation.buyer_id.to_string())
        .bind(conversation.store_id.to_string())
        .bind(conversation.flagged)
        .bind(last_ms)
        .bind(next_version)
        .bind(data)
        .bind(to_ms(conversation.created_at)),
        Some(expected) => sqlx::query(
            "UPDATE conversations SET flagged = $2, last_message_ms = $3, version = $4, data = $5 WHERE id = $1 AND version = $6",
        )
        .bind(conversation.id.to_string())
        .bind(conversation.flagged)
        .bind(last_ms)
        .bind(next_version)
        .bind(data)
        .bind(expected),
    };
    let changed = exec(conn, query, on_constraint(Conflict::ConversationExists)).await?;
    one_row(changed, Conflict::StaleConversation)
}

async fn apply_shipping_and_payouts(conn: &mut PgConnection, cs: &Changeset) -> StoreResult<()> {
    for (carrier, number, order_id) in &cs.tracking_claims {
        let query = sqlx::query(
            "INSERT INTO tracking_numbers (carrier, tracking_number, order_id) VALUES ($1, $2, $3)",
        )
        .bind(carrier)
        .bind(number)
        .bind(order_id.to_string());
        exec(conn, query, on_constraint(Conflict::TrackingNumberTaken)).await?;
    }
    for event in &cs.tracking_events {
        let query = sqlx::query(
            "INSERT INTO tracking_events (carrier, tracking_number, status, occurred_at_ms, location, received_at_ms) VALUES ($1, $2, $3, $4, $5, $6) ON CONFLICT DO NOTHING",
        )
        .bind(&event.carrier)
        .bind(&event.tracking_number)
        .bind(&event.status)
        .bind(to_ms(event.occurred_at))
        .bind(&event.location)
        .bind(to_ms(event.received_at));
        exec(conn, query, backend_err).await?;
    }
    for payout in &cs.payouts {
        let query = sqlx::query(
            "INSERT INTO payouts (id, store_id, amount_minor, currency, state, created_at_ms) VALUES ($1, $2, $3, $4, $5, $6)",
        )
        .bind(payout.id.to_string())
        .bind(payout.store_id.to_string())
        .bind(payout.amount.amount_minor)
        .bind(payout.amount.currency.as_str())
        .bind(&payout.state)
        .bind(to_ms(payout.created_at));
        exec(conn, query, backend_err).await?;
    }
    Ok(())
}

async fn write_entry(conn: &mut PgConnection, entry: &Entry) -> StoreResult<()> {
    // Asserted again here so a bug upstream can never write half a transfer.
    entry
        .assert_balanced()
        .map_err(|e| StoreError::Backend(format!("refusing unbalanced entry: {e}")))?;
    let seq: i64 = sqlx::query_scalar(
        "INSERT INTO ledger_entries (id, idempotency_key, kind, order_id, payout_id, created_at_ms) VALUES ($1, $2, $3, $4, $5, $6) RETURNING seq",
    )
    .bind(entry.id.to_string())
    .bind(&entry.idempotency_key)
    .bind(entry.kind.as_str())
    .bind(entry.order_id.map(|id| id.to_string()))
    .bind(entry.payout_id.map(|id| id.to_string()))
    .bind(to_ms(entry.created_at))
    .fetch_one(&mut *conn)
    .await
    .map_err(on_constraint(Conflict::DuplicateEntry))?;
    for posting in &entry.postings {
        let query = sqlx::query(
            "INSERT INTO ledger_postings (entry_seq, account, currency, amount_minor) VALUES ($1, $2, $3, $4)",
        )
        .bind(seq)
        .bind(posting.account.to_string())
        .bind(posting.amount.currency.as_str())
        .bind(posting.amount.amount_minor);
        exec(conn, query, backend_err).await?;
    }
    // Balance rows are locked in one global order so that concurrent entries
    // cannot deadlock. Stable sort: each account sees its postings in entry
    // order, so whether any account dips below zero is unchanged.
    let mut postings: Vec<&Posting> = entry.postings.iter().collect();
    postings.sort_by(|a, b| (&a.account, a.amount.currency).cmp(&(&b.account, b.amount.currency)));
    for posting in postings {
        add_to_balance(conn, posting).await?;
    }
    Ok(())
}

async fn add_to_balance(conn: &mut PgConnection, posting: &Posting) -> StoreResult<()> {
    let balance: i64 = sqlx::query_scalar(
        "INSERT INTO account_balances (account, currency, balance_minor) VALUES ($1, $2, $3)
         ON CONFLICT (account, currency) DO UPDATE SET balance_minor = account_balances.balance_minor + EXCLUDED.balance_minor
         RETURNING balance_minor",
    )
    .bind(posting.account.to_string())
    .bind(posting.amount.currency.as_str())
    .bind(posting.amount.amount_minor)
    .fetch_one(&mut *conn)
    .await
    .map_err(backend_err)?;
    if balance < 0 && posting.account.must_stay_non_negative() {
        return Err(StoreError::Conflict(Conflict::InsufficientFunds));
    }
    Ok(())
}

async fn apply_timers_and_outbox(conn: &mut PgConnection, cs: &Changeset) -> StoreResult<()> {
    for (order_id, kind) in &cs.unschedule {
        let query = sqlx::query("DELETE FROM scheduled_actions WHERE order_id = $1 AND kind = $2")
            .bind(order_id.to_string())
            .bind(kind.as_str());
        exec(conn, query, backend_err).await?;
    }
    for timer in &cs.schedule {
        // Re-arming a kind replaces the row (and its id), so a worker still
        // holding the old one finds it gone and writes nothing.
        let query = sqlx::query(
            "INSERT INTO scheduled_actions (id, order_id, kind, due_at_ms) VALUES ($1, $2, $3, $4)
             ON CONFLICT (order_id, kind) DO UPDATE SET id = EXCLUDED.id, due_at_ms = EXCLUDED.due_at_ms, lease_until_ms = 0, attempts = 0",
        )
        .bind(TimerId::new().to_string())
        .bind(timer.order_id.to_string())
        .bind(timer.kind.as_str())
        .bind(to_ms(timer.due_at));
        exec(conn, query, backend_err).await?;
    }
    if cs.outbox.is_empty() {
        return Ok(());
    }
    // Held until COMMIT: outbox seqs become visible in the order they were
    // allocated, so a reader following `seq > last` never skips an event
    // whose transaction committed late. Taken last, after every row lock.
    let query = sqlx::query("SELECT pg_advisory_xact_lock($1)").bind(OUTBOX_LOCK);
    exec(conn, query, backend_err).await?;
    for event in &cs.outbox {
        let query = sqlx::query(
            "INSERT INTO outbox (id, topic, payload, created_at_ms) VALUES ($1, $2, $3, $4)",
        )
        .bind(uuid::Uuid::now_v7().to_string())
        .bind(&event.topic)
        .bind(json(&event.payload)?)
        .bind(to_ms(event.created_at));
        exec(conn, query, backend_err).await?;
    }
    Ok(())
}

pub(super) async fn ensure_policy(
    conn: &mut PgConnection,
    policy: &Policy,
    now: Timestamp,
) -> StoreResult<PolicyVersion> {
    let latest: Option<(i64, String)> =
        sqlx::query_as("SELECT version, data FROM policy_versions ORDER BY version DESC LIMIT 1")
            .fetch_optional(&mut *conn)
            .await
            .map_err(backend_err)?;
    if let Some((version, data)) = &latest {
        let stored: Policy = serde_json::from_str(data).map_err(json_err)?;
        if &stored == policy {
            return Ok(*version);
        }
    }
    let next = latest.map_or(1, |(v, _)| v + 1);
    let query = sqlx::query(
        "INSERT INTO policy_versions (version, data, created_at_ms) VALUES ($1, $2, $3)",
    )
    .bind(next)
    .bind(json(policy)?)
    .bind(to_ms(now));
    exec(conn, query, backend_err).await?;
    Ok(next)
}
