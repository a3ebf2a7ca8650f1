//! Writes, all run on the writer thread inside a savepoint.

use haven_domain::Timestamp;
use haven_domain::clock::to_ms;
use haven_domain::ledger::Entry;
use haven_domain::policy::{Policy, PolicyVersion};
use rusqlite::{Connection, ErrorCode, OptionalExtension, params};

use super::backend_err;
use crate::{Changeset, Conflict, DisputeWrite, OrderWrite, StoreError, StoreResult, Timer};

const MIGRATIONS: &[(i64, &str)] = &[
    (1, include_str!("schema.sql")),
    (2, include_str!("schema2.sql")),
    (3, include_str!("schema3.sql")),
    (4, include_str!("schema4.sql")),
    (5, include_str!("schema5.sql")),
];

pub(super) fn migrate(conn: &Connection) -> StoreResult<()> {
    conn.execute_batch(
        "CREATE TABLE IF NOT EXISTS schema_migrations (version INTEGER PRIMARY KEY, applied_at_ms INTEGER NOT NULL)",
    )
    .map_err(backend_err)?;
    for (version, sql) in MIGRATIONS {
        let applied: Option<i64> = conn
            .query_row(
                "SELECT version FROM schema_migrations WHERE version = ?1",
                [version],
                |r| r.get(0),
            )
            .optional()
            .map_err(backend_err)?;
        if applied.is_none() {
            conn.execute_batch(sql).map_err(backend_err)?;
            conn.execute(
                "INSERT INTO schema_migrations (version, applied_at_ms) VALUES (?1, ?2)",
                params![version, to_ms(Timestamp::now())],
            )
            .map_err(backend_err)?;
        }
    }
    Ok(())
}

/// Map a uniqueness or CHECK violation to the conflict the caller expects.
/// Other constraint failures (a foreign key naming a missing row) are bugs
/// upstream, reported as backend errors exactly as PostgreSQL reports them.
fn on_constraint(conflict: Conflict) -> impl Fn(rusqlite::Error) -> StoreError {
    const UNIQUE: i32 = rusqlite::ffi::SQLITE_CONSTRAINT_UNIQUE;
    const PRIMARY_KEY: i32 = rusqlite::ffi::SQLITE_CONSTRAINT_PRIMARYKEY;
    const CHECK: i32 = rusqlite::ffi::SQLITE_CONSTRAINT_CHECK;
    move |err| match &err {
        rusqlite::Error::SqliteFailure(e, _)
            if e.code == ErrorCode::ConstraintViolation
                && matches!(e.extended_code, UNIQUE | PRIMARY_KEY | CHECK) =>
        {
            StoreError::Conflict(conflict)
        }
        _ => backend_err(err),
    }
}

fn json<T: serde::Serialize>(value: &T) -> StoreResult<String> {
    serde_json::to_string(value).map_err(backend_err)
}

pub(super) fn apply(conn: &Connection, cs: &Changeset) -> StoreResult<()> {
    if let Some(timer_id) = cs.complete_timer {
        let gone = conn
            .prepare_cached("DELETE FROM scheduled_actions WHERE id = ?1")
            .and_then(|mut s| s.execute([timer_id.to_string()]))
            .map_err(backend_err)?;
        if gone == 0 {
            return Err(StoreError::Conflict(Conflict::TimerGone));
        }
    }
    if let Some(record) = &cs.idempotency {
        conn.prepare_cached(
            "INSERT INTO idempotency_keys (user_id, key, request_hash, resource, created_at_ms) VALUES (?1, ?2, ?3, ?4, ?5)",
        )
        .and_then(|mut s| {
            s.execute(params![
                record.user_id.to_string(),
                record.key,
                record.request_hash,
                record.resource,
                to_ms(record.created_at)
            ])
        })
        .map_err(on_constraint(Conflict::DuplicateIdempotencyKey))?;
    }
    apply_accounts_and_catalog(conn, cs)?;
    for change in &cs.stock {
        let changed = conn
            .prepare_cached(
                "UPDATE listings SET stock = stock + ?2 WHERE id = ?1 AND stock + ?2 >= 0",
            )
            .and_then(|mut s| s.execute(params![change.listing_id.to_string(), change.delta]))
            .map_err(backend_err)?;
        if changed == 0 {
            return Err(StoreError::Conflict(Conflict::OutOfStock));
        }
    }
    for write in &cs.orders {
        write_order(conn, write)?;
    }
    apply_disputes(conn, cs)?;
    mark_delivered(conn, cs)?;
    apply_account_security(conn, cs)?;
    apply_messaging(conn, cs)?;
    for (carrier, number, order_id) in &cs.tracking_claims {
        conn.prepare_cached(
            "INSERT INTO tracking_numbers (carrier, tracking_number, order_id) VALUES (?1, ?2, ?3)",
        )
        .and_then(|mut s| s.execute(params![carrier, number, order_id.to_string()]))
        .map_err(on_constraint(Conflict::TrackingNumberTaken))?;
    }
    for event in &cs.tracking_events {
        conn.prepare_cached(
            "INSERT OR IGNORE INTO tracking_events (carrier, tracking_number, status, occurred_at_ms, location, received_at_ms) VALUES (?1, ?2, ?3, ?4, ?5, ?6)",
        )
        .and_then(|mut s| {
            s.execute(params![
                event.carrier,
                event.tracking_number,
                event.status,
                to_ms(event.occurred_at),
                event.location,
                to_ms(event.received_at)
            ])
        })
        .map_err(backend_err)?;
    }
    for payout in &cs.payouts {
        conn.prepare_cached(
            "INSERT INTO payouts (id, store_id, amount_minor, currency, state, created_at_ms) VALUES (?1, ?2, ?3, ?4, ?5, ?6)",
        )
        .and_then(|mut s| {
            s.execute(params![
                payout.id.to_string(),
                payout.store_id.to_string(),
                payout.amount.amount_minor,
                payout.amount.currency.as_str(),
                payout.state,
                to_ms(payout.created_at)
            ])
        })
        .map_err(backend_err)?;
    }
    for entry in &cs.entries {
        write_entry(conn, entry)?;
    }
    apply_timers_and_outbox(conn, cs)
}

fn apply_accounts_and_catalog(conn: &Connection, cs: &Changeset) -> StoreResult<()> {
    for user in &cs.users {
        // A new user is version 1, whatever the caller set.
        let mut stored = user.clone();
        stored.version = 1;
        let data = json(&stored)?;
        let identity = json(&stored.identity.status)?;
        conn.prepare_cached(
            "INSERT INTO users (id, email, data, created_at_ms, version, identity_status) VALUES (?1, ?2, ?3, ?4, 1, ?5)",
        )
        .and_then(|mut s| {
            s.execute(params![
                user.id.to_string(),
                user.email.as_str(),
                data,
                to_ms(user.created_at),
                identity.trim_matches('"')
            ])
        })
        .map_err(on_constraint(Conflict::EmailTaken))?;
    }
    for session in &cs.sessions {
        let kind = json(&session.kind)?;
        conn.prepare_cached(
            "INSERT INTO sessions (token_hash, user_id, kind, created_at_ms, expires_at_ms, user_agent, ip, last_seen_ms, reauth_ms)
             VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9)",
        )
        .and_then(|mut s| {
            s.execute(params![
                session.token_hash,
                session.user_id.to_string(),
                kind,
                to_ms(session.created_at),
                to_ms(session.expires_at),
                session.user_agent,
                session.ip,
                to_ms(session.last_seen_at),
                to_ms(session.reauthenticated_at)
            ])
        })
        .map_err(backend_err)?;
    }
    for token_hash in &cs.delete_sessions {
        conn.prepare_cached("DELETE FROM sessions WHERE token_hash = ?1")
            .and_then(|mut s| s.execute([token_hash]))
            .map_err(backend_err)?;
    }
    for shop in &cs.shops {
        let data = json(shop)?;
        conn.prepare_cached(
            "INSERT INTO shops (id, owner_id, data, created_at_ms) VALUES (?1, ?2, ?3, ?4)",
        )
        .and_then(|mut s| {
            s.execute(params![
                shop.id.to_string(),
                shop.owner_id.to_string(),
                data,
                to_ms(shop.created_at)
            ])
        })
        .map_err(on_constraint(Conflict::StoreAlreadyOpened))?;
    }
    for media in &cs.media {
        conn.prepare_cached(
            "INSERT OR IGNORE INTO media (hash, content_type, bytes) VALUES (?1, ?2, ?3)",
        )
        .and_then(|mut s| s.execute(params![media.hash, media.content_type, media.bytes]))
        .map_err(backend_err)?;
    }
    for listing in &cs.listings {
        let data = json(listing)?;
        conn.prepare_cached(
            "INSERT INTO listings (id, store_id, category, stock, data, created_at_ms) VALUES (?1, ?2, ?3, ?4, ?5, ?6)",
        )
        .and_then(|mut s| {
            s.execute(params![
                listing.id.to_string(),
                listing.store_id.to_string(),
                listing.category,
                listing.stock,
                data,
                to_ms(listing.created_at)
            ])
        })
        .map_err(backend_err)?;
    }
    Ok(())
}

fn write_order(conn: &Connection, write: &OrderWrite) -> StoreResult<()> {
    let order = &write.order;
    let next_version = write.expected_version.map_or(1, |v| v + 1);
    let mut stored = order.clone();
    stored.version = next_version;
    let data = json(&stored)?;
    let changed = match write.expected_version {
        None => conn
            .prepare_cached(
                "INSERT INTO orders (id, buyer_id, store_id, state, total_minor, version, data, created_at_ms) VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8)",
            )
            .and_then(|mut s| {
                s.execute(params![
                    order.id.to_string(),
                    order.buyer_id.to_string(),
                    order.store_id.to_string(),
                    order.state.as_str(),
                    order.total.amount_minor,
                    next_version,
                    data,
                    to_ms(order.created_at)
                ])
            }),
        Some(expected) => conn
            .prepare_cached("UPDATE orders SET state = ?2, version = ?3, data = ?4, total_minor = ?6 WHERE id = ?1 AND version = ?5")
            .and_then(|mut s| s.execute(params![order.id.to_string(), order.state.as_str(), next_version, data, expected, order.total.amount_minor])),
    }
    .map_err(on_constraint(Conflict::StaleOrder))?;
    if changed == 1 {
        Ok(())
    } else {
        Err(StoreError::Conflict(Conflict::StaleOrder))
    }
}

fn write_entry(conn: &Connection, entry: &Entry) -> StoreResult<()> {
    // Asserted again here so a bug upstream can never write half a transfer.
    entry
        .assert_balanced()
        .map_err(|e| StoreError::Backend(format!("refusing unbalanced entry: {e}")))?;
    let seq: i64 = conn
        .prepare_cached(
            "INSERT INTO ledger_entries (id, idempotency_key, kind, order_id, payout_id, created_at_ms) VALUES (?1, ?2, ?3, ?4, ?5, ?6) RETURNING seq",
        )
        .and_then(|mut s| {
            s.query_row(
                params![
                    entry.id.to_string(),
                    entry.idempotency_key,
                    entry.kind.as_str(),
                    entry.order_id.map(|id| id.to_string()),
                    entry.payout_id.map(|id| id.to_string()),
                    to_ms(entry.created_at)
                ],
                |row| row.get(0),
            )
        })
        .map_err(on_constraint(Conflict::DuplicateEntry))?;
    for posting in &entry.postings {
        let account = posting.account.to_string();
        let currency = posting.amount.currency.as_str();
        conn.prepare_cached("INSERT INTO ledger_postings (entry_seq, account, currency, amount_minor) VALUES (?1, ?2, ?3, ?4)")
            .and_then(|mut s| s.execute(params![seq, account, currency, posting.amount.amount_minor]))
            .map_err(backend_err)?;
        let balance: i64 = conn
            .prepare_cached(
                "INSERT INTO account_balances (account, currency, balance_minor) VALUES (?1, ?2, ?3)
                 ON CONFLICT (account, currency) DO UPDATE SET balance_minor = balance_minor + excluded.balance_minor
                 RETURNING balance_minor",
            )
            .and_then(|mut s| s.query_row(params![account, currency, posting.amount.amount_minor], |row| row.get(0)))
            .map_err(backend_err)?;
        if balance < 0 && posting.account.must_stay_non_negative() {
            return Err(StoreError::Conflict(Conflict::InsufficientFunds));
        }
    }
    Ok(())
}

fn apply_timers_and_outbox(conn: &Connection, cs: &Changeset) -> StoreResult<()> {
    for (order_id, kind) in &cs.unschedule {
        conn.prepare_cached("DELETE FROM scheduled_actions WHERE order_id = ?1 AND kind = ?2")
            .and_then(|mut s| s.execute(params![order_id.to_string(), kind.as_str()]))
            .map_err(backend_err)?;
    }
    for timer in &cs.schedule {
        // Re-arming a kind replaces the row (and its id), so a worker still
        // holding the old one finds it gone and writes nothing.
        conn.prepare_cached(
            "INSERT INTO scheduled_actions (id, order_id, kind, due_at_ms) VALUES (?1, ?2, ?3, ?4)
             ON CONFLICT (order_id, kind) DO UPDATE SET id = excluded.id, due_at_ms = excluded.due_at_ms, lease_until_ms = 0, attempts = 0",
        )
        .and_then(|mut s| {
            s.execute(params![
                haven_domain::ids::TimerId::new().to_string(),
                timer.order_id.to_string(),
                timer.kind.as_str(),
                to_ms(timer.due_at)
            ])
        })
        .map_err(backend_err)?;
    }
    for event in &cs.outbox {
        let payload = json(&event.payload)?;
        conn.prepare_cached(
            "INSERT INTO outbox (id, topic, payload, created_at_ms) VALUES (?1, ?2, ?3, ?4)",
        )
        .and_then(|mut s| {
            s.execute(params![
                uuid::Uuid::now_v7().to_string(),
                event.topic,
                payload,
                to_ms(event.created_at)
            ])
        })
        .map_err(backend_err)?;
    }
    Ok(())
}

pub(super) fn claim_due(
    conn: &Connection,
    now: Timestamp,
    lease_until: Timestamp,
    limit: u32,
) -> StoreResult<Vec<Timer>> {
    let mut stmt = conn
        .prepare_cached(
            "UPDATE scheduled_actions SET lease_until_ms = ?2, attempts = attempts + 1
             WHERE id IN (SELECT id FROM scheduled_actions WHERE due_at_ms <= ?1 AND lease_until_ms <= ?1 ORDER BY due_at_ms LIMIT ?3)
             RETURNING id, order_id, kind, due_at_ms, attempts",
        )
        .map_err(backend_err)?;
    let rows = stmt
        .query_map(
            params![to_ms(now), to_ms(lease_until), limit],
            super::read::timer_from_row,
        )
        .map_err(backend_err)?;
    rows.collect::<Result<Vec<_>, _>>().map_err(backend_err)
}

pub(super) fn ensure_policy(
    conn: &Connection,
    policy: &Policy,
    now: Timestamp,
) -> StoreResult<PolicyVersion> {
    let latest: Option<(i64, String)> = conn
        .query_row(
            "SELECT version, data FROM policy_versions ORDER BY version DESC LIMIT 1",
            [],
            |r| Ok((r.get(0)?, r.get(1)?)),
        )
        .optional()
        .map_err(backend_err)?;
    if let Some((version, data)) = &latest {
        let stored: Policy = serde_json::from_str(data).map_err(backend_err)?;
        if &stored == policy {
            return Ok(*version);
        }
    }
    let next = latest.map_or(1, |(v, _)| v + 1);
    conn.execute(
        "INSERT INTO policy_versions (version, data, created_at_ms) VALUES (?1, ?2, ?3)",
        params![next, json(policy)?, to_ms(now)],
    )
    .map_err(backend_err)?;
    Ok(next)
}

fn mark_delivered(conn: &Connection, cs: &Changeset) -> StoreResult<()> {
    for (seq, at) in &cs.outbox_delivered {
        conn.prepare_cached(
            "UPDATE outbox SET delivered_at_ms = ?2 WHERE seq = ?1 AND delivered_at_ms IS NULL",
        )
        .and_then(|mut s| s.execute(params![seq, to_ms(*at)]))
        .map_err(backend_err)?;
    }
    Ok(())
}

fn apply_disputes(conn: &Connection, cs: &Changeset) -> StoreResult<()> {
    for write in &cs.disputes {
        write_dispute(conn, write)?;
    }
    for entry in &cs.evidence {
        let data = json(entry)?;
        conn.prepare_cached("INSERT INTO evidence_log (dispute_id, seq, at_ms, data, hash) VALUES (?1, ?2, ?3, ?4, ?5)")
            .and_then(|mut s| s.execute(params![entry.dispute_id.to_string(), entry.seq, to_ms(entry.at), data, entry.hash]))
            .map_err(on_constraint(Conflict::EvidenceRace))?;
    }
    for file in &cs.evidence_files {
        conn.prepare_cached("INSERT OR IGNORE INTO evidence_files (hash, content_type, size_bytes, created_at_ms) VALUES (?1, ?2, ?3, ?4)")
            .and_then(|mut s| s.execute(params![file.hash, file.content_type, file.size_bytes, to_ms(file.created_at)]))
            .map_err(backend_err)?;
    }
    for record in &cs.audit {
        let data = json(record)?;
        conn.prepare_cached(
            "INSERT INTO audit_log (id, order_id, at_ms, data) VALUES (?1, ?2, ?3, ?4)",
        )
        .and_then(|mut s| {
            s.execute(params![
                record.id.to_string(),
                record.order_id.to_string(),
                to_ms(record.at),
                data
            ])
        })
        .map_err(backend_err)?;
    }
    for strike in &cs.strikes {
        let data = json(strike)?;
        conn.prepare_cached(
            "INSERT INTO strikes (id, store_id, at_ms, data) VALUES (?1, ?2, ?3, ?4)",
        )
        .and_then(|mut s| {
            s.execute(params![
                strike.id.to_string(),
                strike.store_id.to_string(),
                to_ms(strike.at),
                data
            ])
        })
        .map_err(backend_err)?;
    }
    Ok(())
}

fn write_dispute(conn: &Connection, write: &DisputeWrite) -> StoreResult<()> {
    let dispute = &write.dispute;
    let next_version = write.expected_version.map_or(1, |v| v + 1);
    let mut stored = dispute.clone();
    stored.version = next_version;
    let data = json(&stored)?;
    let is_open = i64::from(dispute.state.is_open());
    let escalated_ms = dispute.escalated_at.map(to_ms);
    let changed = match write.expected_version {
        None => conn
            .prepare_cached(
                "INSERT INTO disputes (id, order_id, buyer_id, store_id, state, is_open, escalated_at_ms, version, data, created_at_ms)
                 VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9, ?10)",
            )
            .and_then(|mut s| {
                s.execute(params![
                    dispute.id.to_string(),
                    dispute.order_id.to_string(),
                    dispute.buyer_id.to_string(),
                    dispute.store_id.to_string(),
                    dispute.state.as_str(),
                    is_open,
                    escalated_ms,
                    next_version,
                    data,
                    to_ms(dispute.opened_at)
                ])
            })
            .map_err(on_constraint(Conflict::DisputeAlreadyOpen))?,
        Some(expected) => conn
            .prepare_cached(
                "UPDATE disputes SET state = ?2, is_open = ?3, escalated_at_ms = ?4, version = ?5, data = ?6 WHERE id = ?1 AND version = ?7",
            )
            .and_then(|mut s| s.execute(params![dispute.id.to_string(), dispute.state.as_str(), is_open, escalated_ms, next_version, data, expected]))
            .map_err(on_constraint(Conflict::DisputeAlreadyOpen))?,
    };
    if changed == 1 {
        Ok(())
    } else {
        Err(StoreError::Conflict(Conflict::StaleDispute))
    }
}

fn apply_account_security(conn: &Connection, cs: &Changeset) -> StoreResult<()> {
    for write in &cs.user_updates {
        let mut stored = write.user.clone();
        stored.version = write.expected_version + 1;
        let data = json(&stored)?;
        let identity = json(&stored.identity.status)?;
        let changed = conn
            .prepare_cached("UPDATE users SET email = ?2, data = ?3, version = ?4, identity_status = ?5 WHERE id = ?1 AND version = ?6")
            .and_then(|mut s| {
                s.execute(params![
                    stored.id.to_string(),
                    stored.email.as_str(),
                    data,
                    stored.version,
                    identity.trim_matches('"'),
                    write.expected_version
                ])
            })
            .map_err(on_constraint(Conflict::EmailTaken))?;
        if changed != 1 {
            return Err(StoreError::Conflict(Conflict::StaleUser));
        }
    }
    for (user, except) in &cs.delete_user_sessions {
        conn.prepare_cached(
            "DELETE FROM sessions WHERE user_id = ?1 AND token_hash != COALESCE(?2, '')",
        )
        .and_then(|mut s| s.execute(params![user.to_string(), except]))
        .map_err(backend_err)?;
    }
    for touch in &cs.session_touches {
        conn.prepare_cached("UPDATE sessions SET last_seen_ms = ?2, reauth_ms = COALESCE(?3, reauth_ms) WHERE token_hash = ?1")
            .and_then(|mut s| s.execute(params![touch.token_hash, to_ms(touch.last_seen_at), touch.reauthenticated_at.map(to_ms)]))
            .map_err(backend_err)?;
    }
    for token in &cs.tokens {
        let data = json(&token.data)?;
        conn.prepare_cached(
            "INSERT INTO one_time_tokens (token_hash, kind, user_id, created_at_ms, expires_at_ms, used_at_ms, data) VALUES (?1, ?2, ?3, ?4, ?5, NULL, ?6)",
        )
        .and_then(|mut s| s.execute(params![token.token_hash, token.kind.as_str(), token.user_id.to_string(), to_ms(token.created_at), to_ms(token.expires_at), data]))
        .map_err(backend_err)?;
    }
    for (token_hash, at) in &cs.use_tokens {
        let used = conn
            .prepare_cached("UPDATE one_time_tokens SET used_at_ms = ?2 WHERE token_hash = ?1 AND used_at_ms IS NULL")
            .and_then(|mut s| s.execute(params![token_hash, to_ms(*at)]))
            .map_err(backend_err)?;
        if used != 1 {
            return Err(StoreError::Conflict(Conflict::TokenUsed));
        }
    }
    for (user, kind, at) in &cs.void_tokens {
        conn.prepare_cached("UPDATE one_time_tokens SET used_at_ms = ?3 WHERE user_id = ?1 AND kind = ?2 AND used_at_ms IS NULL")
            .and_then(|mut s| s.execute(params![user.to_string(), kind.as_str(), to_ms(*at)]))
            .map_err(backend_err)?;
    }
    for flag in &cs.security_flags {
        let data = json(flag)?;
        conn.prepare_cached("INSERT INTO security_flags (id, kind, subject, created_at_ms, data) VALUES (?1, ?2, ?3, ?4, ?5)")
            .and_then(|mut s| s.execute(params![flag.id.to_string(), flag.kind, flag.subject, to_ms(flag.created_at), data]))
            .map_err(backend_err)?;
    }
    Ok(())
}

fn apply_messaging(conn: &Connection, cs: &Changeset) -> StoreResult<()> {
    for write in &cs.conversations {
        write_conversation(conn, write)?;
    }
    for message in &cs.messages {
        let data = json(message)?;
        let delivery = json(&message.delivery)?;
        conn.prepare_cached("INSERT INTO messages (conversation_id, seq, sender_id, delivery, created_at_ms, data) VALUES (?1, ?2, ?3, ?4, ?5, ?6)")
            .and_then(|mut s| {
                s.execute(params![
                    message.conversation_id.to_string(),
                    message.seq,
                    message.sender_id.to_string(),
                    delivery.trim_matches('"'),
                    to_ms(message.created_at),
                    data
                ])
            })
            .map_err(on_constraint(Conflict::MessageRace))?;
    }
    for (conversation, user, seq) in &cs.reads {
        conn.prepare_cached(
            "INSERT INTO conversation_reads (conversation_id, user_id, last_read_seq) VALUES (?1, ?2, ?3)
             ON CONFLICT (conversation_id, user_id) DO UPDATE SET last_read_seq = MAX(last_read_seq, excluded.last_read_seq)",
        )
        .and_then(|mut s| s.execute(params![conversation.to_string(), user.to_string(), seq]))
        .map_err(backend_err)?;
    }
    Ok(())
}

fn write_conversation(conn: &Connection, write: &crate::ConversationWrite) -> StoreResult<()> {
    let conversation = &write.conversation;
    let next_version = write.expected_version.map_or(1, |v| v + 1);
    let mut stored = conversation.clone();
    stored.version = next_version;
    let data = json(&stored)?;
    let kind = json(&conversation.kind)?;
    // Lists order by the last message the other side could see, so a
    // blocked message does not move a conversation up its recipient's list.
    let last_ms = to_ms(
        conversation
            .last_delivered_at
            .unwrap_or(conversation.created_at),
    );
    let changed = match write.expected_version {
        None => conn
            .prepare_cached(
                "INSERT INTO conversations (id, kind, order_id, listing_id, buyer_id, store_id, flagged, last_message_ms, version, data, created_at_ms)
                 VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9, ?10, ?11)",
            )
            .and_then(|mut s| {
                s.execute(params![
                    conversation.id.to_string(),
                    kind.trim_matches('"'),
                    conversation.order_id.map(|id| id.to_string()),
                    conversation.listing_id.to_string(),
                    conversation.buyer_id.to_string(),
                    conversation.store_id.to_string(),
                    conversation.flagged,
                    last_ms,
                    next_version,
                    data,
                    to_ms(conversation.created_at)
                ])
            })
            .map_err(on_constraint(Conflict::ConversationExists))?,
        Some(expected) => conn
            .prepare_cached("UPDATE conversations SET flagged = ?2, last_message_ms = ?3, version = ?4, data = ?5 WHERE id = ?1 AND version = ?6")
            .and_then(|mut s| s.execute(params![conversation.id.to_string(), conversation.flagged, last_ms, next_version, data, expected]))
            .map_err(backend_err)?,
    };
    if changed == 1 {
        Ok(())
    } else {
        Err(StoreError::Conflict(Conflict::StaleConversation))
    }
}
