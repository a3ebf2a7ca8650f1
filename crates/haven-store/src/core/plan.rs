//! The planner: one [`Changeset`] into an ordered list of [`Op`]s, the same
//! for both databases.
//!
//! The order matters, and this is the only place it is decided:
//! - the fired timer and the idempotency key first: a changeset that lost
//!   either race stops before it has taken any lock worth holding;
//! - versioned rows (orders, disputes, users, conversations) with their
//!   compare-and-swap, then the rows only this changeset writes (entries,
//!   postings, timers, commands, audit);
//! - the hot rows last: stock sorted by listing, then the stores' monthly
//!   reputation counters by (store, month, shard), then each account's cached
//!   balance once (the changeset's postings summed), sorted by account, so
//!   two concurrent changesets on PostgreSQL never wait on each other
//!   crosswise, and a popular listing or `gateway:*` balance is locked
//!   only for the last statements and the COMMIT;
//! - the outbox very last, so its lock is held for the shortest time.

use haven_domain::account::User;
use haven_domain::ids::StoreId;
use haven_domain::ledger::Entry;
use haven_domain::reputation::StatCounters;
use haven_domain::text::skeleton;

use super::sql;
use super::{Expect, Op, Value};
use crate::{
    Changeset, CommandUpdate, Conflict, ConversationWrite, DisputeWrite, OrderWrite, ReviewWrite,
    StoreError, StoreResult, UserWrite, params,
};

/// `pg_advisory_xact_lock` key the outbox sequencer holds, so one
/// sequencer at a time publishes positions (see `postgres/mod.rs`).
pub const OUTBOX_LOCK: i64 = 0x4841_5645_4e00_0003;
pub const POLICY_LOCK: i64 = 0x4841_5645_4e00_0002;

fn json<T: serde::Serialize>(value: &T) -> StoreResult<String> {
    serde_json::to_string(value).map_err(|e| StoreError::Backend(format!("json: {e}")))
}

/// An enum's serde name (`"pre_sale"`), for plain TEXT columns.
fn name<T: serde::Serialize>(value: &T) -> StoreResult<String> {
    match serde_json::to_value(value).map_err(|e| StoreError::Backend(format!("json: {e}")))? {
        serde_json::Value::String(name) => Ok(name),
        other => Err(StoreError::Backend(format!("not a plain name: {other}"))),
    }
}

/// Turn a changeset into the statements that apply it.
pub fn plan(cs: &Changeset) -> StoreResult<Vec<Op>> {
    let mut ops = Vec::new();
    plan_guards(cs, &mut ops);
    plan_accounts(cs, &mut ops)?;
    plan_catalog(cs, &mut ops)?;
    for write in &cs.orders {
        ops.push(order_op(write)?);
    }
    plan_disputes(cs, &mut ops)?;
    plan_messaging(cs, &mut ops)?;
    plan_shipping_and_payouts(cs, &mut ops);
    plan_commands(cs, &mut ops)?;
    plan_risk(cs, &mut ops)?;
    plan_reputation(cs, &mut ops)?;
    for entry in &cs.entries {
        plan_entry_rows(entry, &mut ops)?;
    }
    plan_timers(cs, &mut ops)?;
    // Hot rows last, each taken once, in one global order (stock by
    // listing, then balances by account), so on PostgreSQL they are held
    // only for the last few statements and the COMMIT, and two changesets
    // never wait on each other crosswise.
    plan_stock(cs, &mut ops);
    plan_coupon_counters(cs, &mut ops);
    plan_store_stats(cs, &mut ops);
    plan_balances(cs, &mut ops);
    plan_outbox(cs, &mut ops)?;
    Ok(ops)
}

fn plan_reputation(cs: &Changeset, ops: &mut Vec<Op>) -> StoreResult<()> {
    for write in &cs.reviews {
        ops.push(review_op(write)?);
    }
    for write in &cs.buyer_ratings {
        let r = &write.rating;
        let fields = params![
            r.order_id.0,
            r.store_id.0,
            r.buyer_id.0,
            i64::from(r.rating.get()),
            r.created_at,
            r.published_at,
            json(r)?
        ];
        ops.push(if write.insert {
            Op::exec(sql::BUYER_RATING_INSERT, fields).on_violation(Conflict::BuyerAlreadyRated)
        } else {
            Op::exec(sql::BUYER_RATING_PUBLISH, fields)
                .expect(Expect::One(Conflict::BuyerAlreadyRated))
        });
    }
    for write in &cs.integrity_cases {
        let c = &write.case;
        let fields = params![
            c.id,
            c.store_id.0,
            c.status.as_str(),
            c.created_at,
            json(c)?
        ];
        let op = match write.expected_version {
            None => Op::exec(sql::INTEGRITY_CASE_INSERT, fields),
            Some(version) => {
                let mut update = fields;
                update.push(version.into());
                Op::exec(sql::INTEGRITY_CASE_UPDATE, update)
            }
        };
        ops.push(
            op.expect(Expect::One(Conflict::StaleIntegrityCase))
                .on_violation(Conflict::StaleIntegrityCase),
        );
    }
    for strike in &cs.remove_strikes {
        ops.push(Op::exec(sql::STRIKE_DELETE, params![strike.0]));
    }
    Ok(())
}

fn review_op(write: &ReviewWrite) -> StoreResult<Op> {
    let r = &write.review;
    let held = !r.moderation.is_clear()
        || r.reply
            .as_ref()
            .is_some_and(|reply| !reply.moderation.is_clear());
    let mut fields = params![
        r.id,
        r.order_id.0,
        r.store_id.0,
        r.listing_id.0,
        r.buyer_id.0,
        i64::from(r.rating.get()),
        i64::from(r.is_public()),
        i64::from(r.counts()),
        i64::from(r.is_removed()),
        i64::from(held),
        i64::from(r.has_photos()),
        r.created_at,
        r.published_at,
        json(r)?
    ];
    let op = match write.expected_version {
        None => Op::exec(sql::REVIEW_INSERT, fields),
        Some(version) => {
            fields.push(version.into());
            Op::exec(sql::REVIEW_UPDATE, fields)
        }
    };
    Ok(op
        .expect(Expect::One(Conflict::StaleReview))
        .on_violation(Conflict::StaleReview))
}

/// The store counters: emptied first by a rebuild, then each (store,
/// month, shard) row once, in key order like the other hot rows.
fn plan_store_stats(cs: &Changeset, ops: &mut Vec<Op>) {
    if cs.reset_reputation {
        ops.push(Op::exec(sql::STORE_STATS_RESET, params![]));
        ops.push(Op::exec(sql::STORE_BUYERS_RESET, params![]));
    }
    let mut merged: std::collections::BTreeMap<(StoreId, i32, i64), StatCounters> =
        std::collections::BTreeMap::new();
    for delta in &cs.stat_deltas {
        merged
            .entry((delta.store_id, delta.month, delta.shard))
            .or_default()
            .add_scaled(&delta.counters, 1);
    }
    for ((store, month, shard), counters) in merged {
        if counters.is_zero() {
            continue;
        }
        let mut values = params![store.0, month, shard];
        values.extend(counters.to_array().into_iter().map(Value::from));
        ops.push(Op::exec(sql::STORE_STATS_ADD, values));
    }
    let mut completions: Vec<_> = cs.buyer_completions.iter().collect();
    completions.sort_by_key(|c| (c.store_id, c.buyer_id, c.completed_at));
    for c in completions {
        ops.push(Op::exec(
            sql::STORE_BUYER_COMPLETED,
            params![c.store_id.0, c.buyer_id.0, c.completed_at],
        ));
    }
}

fn plan_guards(cs: &Changeset, ops: &mut Vec<Op>) {
    if let Some(timer_id) = cs.complete_timer {
        ops.push(
            Op::exec(sql::TIMER_COMPLETE, params![timer_id.0])
                .expect(Expect::One(Conflict::TimerGone)),
        );
    }
    if let Some(record) = &cs.idempotency {
        ops.push(
            Op::exec(
                sql::IDEMPOTENCY_INSERT,
                params![
                    record.user_id.0,
                    &record.key,
                    &record.request_hash,
                    &record.resource,
                    record.created_at
                ],
            )
            .on_violation(Conflict::DuplicateIdempotencyKey),
        );
    }
}

/// The two skeletons stored with a user, so a look-alike email or display
/// name is refused by a unique index, whatever process registers it. A
/// closed account gives its name up (every closed account is called the
/// same), keeping a placeholder unique to it.
fn user_skeletons(user: &User) -> (String, String) {
    let name = if user.is_closed() {
        format!("closed:{}", user.id)
    } else {
        skeleton(&user.display_name)
    };
    (skeleton(user.email.as_str()), name)
}

const USER_UNIQUES: &[(&str, Conflict)] = &[("name_skeleton", Conflict::NameTaken)];

fn plan_accounts(cs: &Changeset, ops: &mut Vec<Op>) -> StoreResult<()> {
    for user in &cs.users {
        let mut stored = user.clone();
        stored.version = 1;
        let (email_skel, name_skel) = user_skeletons(user);
        ops.push(
            Op::exec(
                sql::USER_INSERT,
                params![
                    user.id.0,
                    user.email.as_str(),
                    json(&stored)?,
                    user.created_at,
                    name(&stored.identity.status)?,
                    email_skel,
                    name_skel
                ],
            )
            .on_violation_by(Conflict::EmailTaken, USER_UNIQUES),
        );
    }
    for write in &cs.user_updates {
        ops.push(user_update_op(write)?);
    }
    for session in &cs.sessions {
        ops.push(Op::exec(
            sql::SESSION_INSERT,
            params![
                &session.token_hash,
                session.user_id.0,
                json(&session.kind)?,
                session.created_at,
                session.expires_at,
                &session.user_agent,
                &session.ip,
                session.last_seen_at,
                session.reauthenticated_at
            ],
        ));
    }
    for token_hash in &cs.delete_sessions {
        ops.push(Op::exec(sql::SESSION_DELETE, params![token_hash]));
    }
    for (user, except) in &cs.delete_user_sessions {
        ops.push(Op::exec(
            sql::SESSIONS_DELETE_FOR_USER,
            params![user.0, except.clone()],
        ));
    }
    for touch in &cs.session_touches {
        ops.push(Op::exec(
            sql::SESSION_TOUCH,
            params![
                &touch.token_hash,
                touch.last_seen_at,
                touch.reauthenticated_at
            ],
        ));
    }
    for token in &cs.tokens {
        ops.push(Op::exec(
            sql::TOKEN_INSERT,
            params![
                &token.token_hash,
                token.kind.as_str(),
                token.user_id.0,
                token.created_at,
                token.expires_at,
                json(&token.data)?
            ],
        ));
    }
    for (token_hash, at) in &cs.use_tokens {
        ops.push(
            Op::exec(sql::TOKEN_USE, params![token_hash, *at])
                .expect(Expect::One(Conflict::TokenUsed)),
        );
    }
    for (user, kind, at) in &cs.void_tokens {
        ops.push(Op::exec(
            sql::TOKENS_VOID,
            params![user.0, kind.as_str(), *at],
        ));
    }
    for flag in &cs.security_flags {
        ops.push(Op::exec(
            sql::FLAG_INSERT,
            params![
                flag.id.0,
                &flag.kind,
                &flag.subject,
                flag.created_at,
                json(flag)?
            ],
        ));
    }
    plan_throttles(cs, ops);
    Ok(())
}

fn user_update_op(write: &UserWrite) -> StoreResult<Op> {
    let mut stored = write.user.clone();
    stored.version = write.expected_version + 1;
    let (email_skel, name_skel) = user_skeletons(&stored);
    Ok(Op::exec(
        sql::USER_UPDATE,
        params![
            stored.id.0,
            stored.email.as_str(),
            json(&stored)?,
            stored.version,
            name(&stored.identity.status)?,
            email_skel,
            name_skel,
            write.expected_version
        ],
    )
    .expect(Expect::One(Conflict::StaleUser))
    .on_violation_by(Conflict::EmailTaken, USER_UNIQUES))
}

fn plan_throttles(cs: &Changeset, ops: &mut Vec<Op>) {
    for event in &cs.throttle_events {
        ops.push(Op::exec(
            sql::THROTTLE_INSERT,
            params![&event.scope, &event.subject, &event.detail, event.at],
        ));
    }
    for (scope, subject, until) in &cs.throttle_blocks {
        ops.push(Op::exec(
            sql::THROTTLE_BLOCK_UPSERT,
            params![scope, subject, *until],
        ));
    }
    if let Some(purge) = cs.purge_idempotency {
        ops.push(Op::exec(
            sql::IDEMPOTENCY_PURGE,
            params![purge.before, purge.limit],
        ));
    }
    if let Some(purge) = cs.purge_events {
        ops.push(Op::exec(
            sql::EVENTS_PURGE,
            params![purge.before, purge.limit],
        ));
    }
    if let Some(purge) = cs.purge_risk_attempts {
        ops.push(Op::exec(
            sql::RISK_ATTEMPTS_PURGE,
            params![purge.before, purge.limit],
        ));
    }
    if let Some(purge) = cs.purge_sent_emails {
        ops.push(Op::exec(
            sql::SENT_EMAILS_PURGE,
            params![purge.before, purge.limit],
        ));
    }
    if let Some(before) = cs.purge_throttle_before {
        ops.push(Op::exec(sql::THROTTLE_PURGE, params![before]));
        ops.push(Op::exec(sql::THROTTLE_BLOCKS_PURGE, params![before]));
    }
}

fn plan_catalog(cs: &Changeset, ops: &mut Vec<Op>) -> StoreResult<()> {
    for shop in &cs.shops {
        ops.push(
            Op::exec(
                sql::SHOP_INSERT,
                params![shop.id.0, shop.owner_id.0, json(shop)?, shop.created_at],
            )
            .on_violation(Conflict::StoreAlreadyOpened),
        );
    }
    for update in &cs.listing_updates {
        let listing = &update.listing;
        let mut stored = listing.clone();
        stored.revision = listing.revision + 1;
        ops.push(
            Op::exec(
                sql::LISTING_UPDATE,
                params![
                    listing.id.0,
                    json(&stored)?,
                    &listing.category,
                    listing.visibility() as i64,
                    i64::from(update.was_held),
                    Value::opt_int(update.deal_remaining),
                    Value::opt_text(listing.product_key.clone()),
                    listing.revision,
                    listing.price.amount_minor,
                    Value::opt_int(update.set_stock.map(|s| s.new)),
                    Value::opt_int(update.set_stock.map(|s| s.seen))
                ],
            )
            .expect(Expect::One(Conflict::StaleListing)),
        );
    }
    for media in &cs.media {
        ops.push(Op::exec(
            sql::MEDIA_INSERT,
            params![&media.hash, &media.content_type, media.bytes.clone()],
        ));
    }
    for listing in &cs.listings {
        ops.push(Op::exec(
            sql::LISTING_INSERT,
            params![
                listing.id.0,
                listing.store_id.0,
                &listing.category,
                listing.stock,
                json(listing)?,
                listing.created_at,
                Value::opt_text(listing.product_key.clone()),
                listing.visibility() as i64,
                listing.price.amount_minor
            ],
        ));
    }
    for print in &cs.listing_fingerprints {
        for (band, value) in &print.bands {
            ops.push(Op::exec(
                sql::FINGERPRINT_INSERT,
                params![
                    &print.kind,
                    i64::from(*band),
                    *value,
                    print.listing_id.0,
                    print.store_id.0,
                    &print.signature
                ],
            ));
        }
    }
    for approval in &cs.brand_approvals {
        let key = haven_domain::catalog::brand_key(&approval.brand).unwrap_or_default();
        ops.push(Op::exec(
            sql::BRAND_APPROVAL_PUT,
            params![
                approval.store_id.0,
                key,
                approval.status.as_str(),
                json(approval)?,
                approval.decided_at.unwrap_or(approval.submitted_at)
            ],
        ));
    }
    for notice in &cs.notifications {
        ops.push(Op::exec(
            sql::NOTIFICATION_INSERT,
            params![
                notice.id,
                notice.user_id.0,
                notice.event_id,
                json(notice)?,
                notice.created_at
            ],
        ));
    }
    for (user, at) in &cs.notifications_read {
        ops.push(Op::exec(sql::NOTIFICATIONS_READ, params![user.0, *at]));
    }
    for endpoint in &cs.webhook_endpoints {
        ops.push(Op::exec(
            sql::WEBHOOK_ENDPOINT_PUT,
            params![endpoint.id, json(endpoint)?, endpoint.created_at],
        ));
    }
    for line in &cs.cart_puts {
        ops.push(Op::exec(
            sql::CART_PUT,
            params![
                line.buyer_id.0,
                line.listing_id.0,
                i64::from(line.quantity),
                line.added_at
            ],
        ));
    }
    for (buyer, listing) in &cs.cart_removes {
        ops.push(Op::exec(sql::CART_REMOVE, params![buyer.0, listing.0]));
    }
    plan_coupons(cs, ops)
}

fn plan_coupons(cs: &Changeset, ops: &mut Vec<Op>) -> StoreResult<()> {
    for coupon in &cs.coupons {
        ops.push(
            Op::exec(
                sql::COUPON_INSERT,
                params![
                    coupon.id.0,
                    Value::opt_text(coupon.code.clone()),
                    Value::opt_text(coupon.store_id.map(|s| s.0.to_string())),
                    json(coupon)?,
                    i64::from(coupon.total_limit),
                    coupon.starts_at,
                    coupon.ends_at,
                    i64::from(coupon.claimable),
                    coupon.created_at
                ],
            )
            .on_violation(Conflict::CouponCodeTaken),
        );
    }
    for coupon in &cs.coupon_updates {
        ops.push(Op::exec(
            sql::COUPON_UPDATE,
            params![
                coupon.id.0,
                json(coupon)?,
                i64::from(coupon.total_limit),
                coupon.starts_at,
                coupon.ends_at,
                i64::from(coupon.claimable)
            ],
        ));
    }
    for (coupon, buyer, at) in &cs.coupon_claims {
        ops.push(Op::exec(sql::COUPON_CLAIM, params![coupon.0, buyer.0, *at]));
    }
    for bundle in &cs.bundles {
        ops.push(Op::exec(
            sql::BUNDLE_PUT,
            params![
                bundle.id.0,
                bundle.store_id.0,
                json(bundle)?,
                bundle.created_at
            ],
        ));
    }
    for order in &cs.purchase_removals {
        ops.push(Op::exec(sql::PURCHASE_DELETE, params![order.0]));
    }
    for (order, listing, buyer) in &cs.purchases {
        ops.push(Op::exec(
            sql::PURCHASE_INSERT,
            params![order.0, listing.0, buyer.0],
        ));
    }
    Ok(())
}

/// Coupon counters are hot rows (a popular coupon): taken near the end,
/// each coupon's row first so a buyer's per-buyer count is read under it.
fn plan_coupon_counters(cs: &Changeset, ops: &mut Vec<Op>) {
    for (order, at) in &cs.coupon_releases {
        ops.push(Op::exec(sql::COUPON_GIVE_BACK, params![order.0]));
        ops.push(Op::exec(sql::COUPON_RELEASE, params![order.0, *at]));
    }
    let mut redemptions: Vec<&crate::CouponRedemption> = cs.coupon_redemptions.iter().collect();
    redemptions.sort_by_key(|r| (r.coupon_id, r.order_id));
    for r in redemptions {
        ops.push(
            Op::exec(sql::COUPON_TAKE, params![r.coupon_id.0, r.at])
                .expect(Expect::One(Conflict::CouponExhausted)),
        );
        ops.push(
            Op::exec(
                sql::COUPON_REDEEM,
                params![
                    r.coupon_id.0,
                    r.order_id.0,
                    r.buyer_id.0,
                    r.at,
                    i64::from(r.per_buyer_limit)
                ],
            )
            .expect(Expect::One(Conflict::CouponLimitReached)),
        );
    }
}

/// Stock in listing order (stable: one listing's changes keep their order).
fn plan_stock(cs: &Changeset, ops: &mut Vec<Op>) {
    let mut stock: Vec<_> = cs.stock.iter().collect();
    stock.sort_by_key(|change| change.listing_id);
    for change in stock {
        if change.deal_delta != 0 {
            ops.push(
                Op::exec(
                    sql::DEAL_CLAIM,
                    params![change.listing_id.0, change.deal_delta],
                )
                .expect(Expect::One(Conflict::DealSoldOut)),
            );
        }
        ops.push(
            Op::exec(
                sql::STOCK_CHANGE,
                params![change.listing_id.0, change.delta],
            )
            .expect(Expect::One(Conflict::OutOfStock))
            .on_violation(Conflict::OutOfStock),
        );
        if let Some(started) = change.deal_return.filter(|_| change.delta > 0) {
            // The deal's start as its JSON holds it (serde's form).
            let started = serde_json::to_value(started)
                .ok()
                .and_then(|v| v.as_str().map(String::from))
                .unwrap_or_default();
            ops.push(Op::exec(
                sql::DEAL_RETURN,
                params![change.listing_id.0, change.delta, started],
            ));
        }
    }
}

fn order_op(write: &OrderWrite) -> StoreResult<Op> {
    let order = &write.order;
    let next_version = write.expected_version.map_or(1, |v| v + 1);
    let mut stored = order.clone();
    stored.version = next_version;
    let data = json(&stored)?;
    Ok(match write.expected_version {
        None => Op::exec(
            sql::ORDER_INSERT,
            params![
                order.id.0,
                order.buyer_id.0,
                order.store_id.0,
                order.state.as_str(),
                order.total.amount_minor,
                next_version,
                data,
                order.created_at
            ],
        )
        .on_violation(Conflict::StaleOrder),
        Some(expected) => Op::exec(
            sql::ORDER_UPDATE,
            params![
                order.id.0,
                order.state.as_str(),
                next_version,
                data,
                order.total.amount_minor,
                expected
            ],
        )
        .expect(Expect::One(Conflict::StaleOrder)),
    })
}

fn plan_disputes(cs: &Changeset, ops: &mut Vec<Op>) -> StoreResult<()> {
    for write in &cs.disputes {
        ops.push(dispute_op(write)?);
    }
    for entry in &cs.evidence {
        ops.push(
            Op::exec(
                sql::EVIDENCE_INSERT,
                params![
                    entry.dispute_id.0,
                    entry.seq,
                    entry.at,
                    json(entry)?,
                    &entry.hash
                ],
            )
            .on_violation(Conflict::EvidenceRace),
        );
    }
    let mut files: Vec<_> = cs.evidence_files.iter().collect();
    files.sort_by(|a, b| a.hash.cmp(&b.hash));
    for file in files {
        ops.push(Op::exec(
            sql::EVIDENCE_FILE_INSERT,
            params![
                &file.hash,
                &file.content_type,
                file.size_bytes,
                file.created_at
            ],
        ));
    }
    for record in &cs.audit {
        ops.push(Op::exec(
            sql::AUDIT_INSERT,
            params![
                record.id,
                // "" files a platform action under no order.
                Value::Text(record.order_id.map_or_else(String::new, |o| o.to_string())),
                record.at,
                json(record)?,
                Value::opt_text(
                    record
                        .actor_id
                        .filter(|_| record.actor == haven_domain::dispute::Party::Agent)
                        .map(|id| id.to_string())
                )
            ],
        ));
    }
    for strike in &cs.strikes {
        ops.push(Op::exec(
            sql::STRIKE_INSERT,
            params![strike.id.0, strike.store_id.0, strike.at, json(strike)?],
        ));
    }
    Ok(())
}

fn dispute_op(write: &DisputeWrite) -> StoreResult<Op> {
    let dispute = &write.dispute;
    let next_version = write.expected_version.map_or(1, |v| v + 1);
    let mut stored = dispute.clone();
    stored.version = next_version;
    let data = json(&stored)?;
    let is_open = dispute.state.is_open();
    Ok(match write.expected_version {
        None => Op::exec(
            sql::DISPUTE_INSERT,
            params![
                dispute.id.0,
                dispute.order_id.0,
                dispute.buyer_id.0,
                dispute.store_id.0,
                dispute.state.as_str(),
                is_open,
                dispute.escalated_at,
                next_version,
                data,
                dispute.opened_at
            ],
        )
        .on_violation(Conflict::DisputeAlreadyOpen),
        Some(expected) => Op::exec(
            sql::DISPUTE_UPDATE,
            params![
                dispute.id.0,
                dispute.state.as_str(),
                is_open,
                dispute.escalated_at,
                next_version,
                data,
                expected
            ],
        )
        .expect(Expect::One(Conflict::StaleDispute))
        .on_violation(Conflict::DisputeAlreadyOpen),
    })
}

fn plan_messaging(cs: &Changeset, ops: &mut Vec<Op>) -> StoreResult<()> {
    for write in &cs.conversations {
        ops.push(conversation_op(write)?);
    }
    for message in &cs.messages {
        ops.push(
            Op::exec(
                sql::MESSAGE_INSERT,
                params![
                    message.conversation_id.0,
                    message.seq,
                    message.sender_id.0,
                    name(&message.delivery)?,
                    message.created_at,
                    json(message)?
                ],
            )
            .on_violation(Conflict::MessageRace),
        );
    }
    for (conversation, user, seq) in &cs.reads {
        ops.push(Op::exec(
            sql::READ_UPSERT,
            params![conversation.0, user.0, *seq],
        ));
    }
    Ok(())
}

fn conversation_op(write: &ConversationWrite) -> StoreResult<Op> {
    let conversation = &write.conversation;
    let next_version = write.expected_version.map_or(1, |v| v + 1);
    let mut stored = conversation.clone();
    stored.version = next_version;
    let data = json(&stored)?;
    // Lists order by the last message the other side could see, so a
    // blocked message does not move a conversation up its recipient's list.
    let last = conversation
        .last_delivered_at
        .unwrap_or(conversation.created_at);
    Ok(match write.expected_version {
        None => Op::exec(
            sql::CONVERSATION_INSERT,
            params![
                conversation.id.0,
                name(&conversation.kind)?,
                Value::opt_text(conversation.order_id.map(|id| id.to_string())),
                conversation.listing_id.0,
                conversation.buyer_id.0,
                conversation.store_id.0,
                conversation.flagged,
                last,
                next_version,
                data,
                conversation.created_at
            ],
        )
        .on_violation(Conflict::ConversationExists),
        Some(expected) => Op::exec(
            sql::CONVERSATION_UPDATE,
            params![
                conversation.id.0,
                conversation.flagged,
                last,
                next_version,
                data,
                expected
            ],
        )
        .expect(Expect::One(Conflict::StaleConversation)),
    })
}

fn plan_shipping_and_payouts(cs: &Changeset, ops: &mut Vec<Op>) {
    for (carrier, number, order_id) in &cs.tracking_claims {
        ops.push(
            Op::exec(sql::TRACKING_CLAIM, params![carrier, number, order_id.0])
                .on_violation(Conflict::TrackingNumberTaken),
        );
    }
    for event in &cs.tracking_events {
        ops.push(Op::exec(
            sql::TRACKING_EVENT_INSERT,
            params![
                &event.carrier,
                &event.tracking_number,
                &event.status,
                event.occurred_at,
                &event.location,
                event.received_at
            ],
        ));
    }
    for settled in &cs.payout_settlements {
        ops.push(
            Op::exec(
                sql::PAYOUT_SETTLE,
                params![settled.id.0, settled.at, &settled.bank_reference],
            )
            .expect(Expect::One(Conflict::PayoutNotPending)),
        );
    }
    for payout in &cs.payouts {
        ops.push(Op::exec(
            sql::PAYOUT_INSERT,
            params![
                payout.id.0,
                payout.store_id.0,
                payout.amount.amount_minor,
                payout.amount.currency.as_str(),
                &payout.state,
                payout.created_at
            ],
        ));
    }
}

fn plan_risk(cs: &Changeset, ops: &mut Vec<Op>) -> StoreResult<()> {
    for a in &cs.risk_attempts {
        ops.push(Op::exec(
            sql::RISK_ATTEMPT_INSERT,
            params![
                a.id,
                a.at,
                a.buyer_id.0,
                a.order_id.map(|o| o.0.to_string()),
                a.card_fp.clone(),
                a.device_id.clone(),
                a.ip.clone(),
                &a.address_key,
                a.amount_minor,
                &a.currency,
                a.outcome.as_str(),
                a.score,
                json(&a.assessment)?
            ],
        ));
    }
    for (order_id, outcome) in &cs.risk_outcomes {
        ops.push(Op::exec(
            sql::RISK_OUTCOME_UPDATE,
            params![order_id.0, outcome.as_str()],
        ));
    }
    for write in &cs.risk_rules {
        let r = &write.rule;
        let fields = params![
            &r.id,
            r.version,
            &r.name,
            &r.action,
            &r.expression,
            i64::from(r.enabled),
            r.updated_at,
            r.updated_by.map(|u| u.0.to_string())
        ];
        let op = match write.expected_version {
            None => Op::exec(sql::RISK_RULE_INSERT, fields.clone()),
            Some(expected) => {
                let mut update = fields.clone();
                update.push(expected.into());
                Op::exec(sql::RISK_RULE_UPDATE, update)
            }
        };
        ops.push(op.expect(Expect::One(Conflict::StaleRiskRule)));
        ops.push(
            Op::exec(sql::RISK_RULE_VERSION_INSERT, fields).on_violation(Conflict::StaleRiskRule),
        );
    }
    for entry in &cs.risk_list_adds {
        ops.push(Op::exec(
            sql::RISK_LIST_ADD,
            params![
                &entry.name,
                &entry.value,
                entry.added_at,
                entry.added_by.map(|u| u.0.to_string())
            ],
        ));
    }
    for (name, value) in &cs.risk_list_removes {
        ops.push(Op::exec(sql::RISK_LIST_REMOVE, params![name, value]));
    }
    for write in &cs.enforcement {
        let r = &write.record;
        let appeal = i64::from(r.appeal.is_some());
        let op = match write.expected_version {
            None => Op::exec(
                sql::ENFORCEMENT_INSERT,
                params![r.store_id.0, r.level.as_str(), json(r)?, appeal, write.at],
            ),
            Some(version) => Op::exec(
                sql::ENFORCEMENT_UPDATE,
                params![
                    r.store_id.0,
                    r.level.as_str(),
                    json(r)?,
                    appeal,
                    write.at,
                    version
                ],
            ),
        };
        ops.push(op.expect(Expect::One(Conflict::StaleEnforcement)));
    }
    Ok(())
}

fn plan_commands(cs: &Changeset, ops: &mut Vec<Op>) -> StoreResult<()> {
    for (order, kind, at) in &cs.cancel_commands {
        ops.push(Op::exec(sql::COMMANDS_CANCEL, params![order.0, kind, *at]));
    }
    for command in &cs.commands {
        ops.push(Op::exec(
            sql::COMMAND_INSERT,
            params![
                command.id,
                &command.kind,
                &command.dedupe_key,
                json(&command.payload)?,
                command.not_before,
                Value::opt_text(command.order_id.map(|id| id.to_string())),
                command.created_at,
                if command.dead_letter.is_some() {
                    "dead"
                } else {
                    "pending"
                },
                command.dead_letter.clone().unwrap_or_default(),
                command.dead_letter.as_ref().map(|_| command.created_at),
                Value::opt_text(command.subject_id.map(|id| id.to_string()))
            ],
        ));
    }
    for update in &cs.command_updates {
        ops.push(
            match update {
                CommandUpdate::Finished {
                    id,
                    lease_until,
                    state,
                    at,
                    error,
                    redacted_payload,
                } => Op::exec(
                    sql::COMMAND_FINISH,
                    params![
                        *id,
                        state.as_str(),
                        *at,
                        error,
                        *lease_until,
                        redacted_payload.as_ref().map(|p| p.to_string())
                    ],
                ),
                CommandUpdate::RetryAt {
                    id,
                    lease_until,
                    next_attempt_at,
                    error,
                } => Op::exec(
                    sql::COMMAND_RETRY_LATER,
                    params![*id, *next_attempt_at, error, *lease_until],
                ),
                CommandUpdate::Revived { id, at } => {
                    Op::exec(sql::COMMAND_REVIVE, params![*id, *at])
                }
                CommandUpdate::Dismissed { id, at, note } => {
                    Op::exec(sql::COMMAND_DISMISS, params![*id, *at, note])
                }
                CommandUpdate::Settled { id, at } => {
                    ops.push(Op::exec(sql::COMMAND_SETTLE, params![*id, *at]));
                    continue;
                }
                CommandUpdate::Deferred {
                    id,
                    next_attempt_at,
                    now,
                } => {
                    ops.push(Op::exec(
                        sql::COMMAND_DEFER,
                        params![*id, *next_attempt_at, *now],
                    ));
                    continue;
                }
            }
            .expect(Expect::One(Conflict::CommandGone)),
        );
    }
    for write in &cs.journal {
        let body = json(&write.body)?;
        ops.push(match write.expected_version {
            None => Op::exec(
                sql::JOURNAL_INSERT,
                params![&write.key, &write.kind, body, write.at],
            )
            .on_violation(Conflict::StaleJournal),
            Some(version) => Op::exec(sql::JOURNAL_UPDATE, params![&write.key, body, version])
                .expect(Expect::One(Conflict::StaleJournal)),
        });
    }
    Ok(())
}

/// One balanced entry: the header and its postings (its balances are
/// applied with every other entry's, in `plan_balances`).
fn plan_entry_rows(entry: &Entry, ops: &mut Vec<Op>) -> StoreResult<()> {
    // Asserted again here so a bug upstream can never write half a transfer.
    entry
        .assert_balanced()
        .map_err(|e| StoreError::Backend(format!("refusing unbalanced entry: {e}")))?;
    ops.push(
        Op::exec(
            sql::ENTRY_INSERT,
            params![
                entry.id.0,
                &entry.idempotency_key,
                entry.kind.as_str(),
                Value::opt_text(entry.order_id.map(|id| id.to_string())),
                Value::opt_text(entry.payout_id.map(|id| id.to_string())),
                entry.created_at
            ],
        )
        .on_violation(Conflict::DuplicateEntry),
    );
    for posting in &entry.postings {
        ops.push(Op::exec(
            sql::POSTING_INSERT,
            params![
                entry.id.0,
                posting.account.to_string(),
                posting.amount.currency.as_str(),
                posting.amount.amount_minor
            ],
        ));
    }
    Ok(())
}

/// The guarded balances first (unchanged since they were read), then every
/// account's cached balance moved once by the sum of the changeset's
/// postings to it; an account that holds someone's money may not end
/// below zero.
fn plan_balances(cs: &Changeset, ops: &mut Vec<Op>) {
    let mut guards: Vec<_> = cs.balance_guards.iter().collect();
    guards.sort_by(|a, b| (&a.account, &a.currency).cmp(&(&b.account, &b.currency)));
    for guard in guards {
        ops.push(
            Op::exec(
                sql::BALANCE_GUARD,
                params![&guard.account, &guard.currency, guard.expected_minor],
            )
            .expect(Expect::Zero(Conflict::StaleBalance)),
        );
    }
    let mut deltas: std::collections::BTreeMap<(String, &str), (i64, bool)> =
        std::collections::BTreeMap::new();
    for posting in cs.entries.iter().flat_map(|e| &e.postings) {
        let key = (
            posting.account.to_string(),
            posting.amount.currency.as_str(),
        );
        let slot = deltas
            .entry(key)
            .or_insert((0, posting.account.must_stay_non_negative()));
        // Entries are bounded (limits.rs), so one changeset's sum fits.
        slot.0 = slot.0.saturating_add(posting.amount.amount_minor);
    }
    // Shared accounts (`gateway:*`, `platform:*`) take one of their shards,
    // picked by this changeset's first entry (random bits of a UUIDv7).
    let shard = cs
        .entries
        .first()
        .map_or(0, |e| i64::from(e.id.0.as_bytes()[15] % BALANCE_SHARDS));
    for ((account, currency), (delta, guarded)) in deltas {
        ops.push(if guarded {
            Op::exec(sql::BALANCE_ADD, params![account, currency, delta])
                .expect(Expect::NonNegative(Conflict::InsufficientFunds))
        } else {
            Op::exec(
                sql::BALANCE_SHARD_ADD,
                params![account, currency, shard, delta],
            )
        });
    }
}

/// Partial sums a shared account is kept in.
const BALANCE_SHARDS: u8 = 16;

fn plan_timers(cs: &Changeset, ops: &mut Vec<Op>) -> StoreResult<()> {
    for (seq, at) in &cs.outbox_delivered {
        ops.push(Op::exec(sql::OUTBOX_DELIVERED, params![*seq, *at]));
    }
    let mut unschedule: Vec<(haven_domain::ids::OrderId, Vec<&str>)> = Vec::new();
    for (order_id, kind) in &cs.unschedule {
        match unschedule.iter_mut().find(|(id, _)| id == order_id) {
            Some((_, kinds)) => kinds.push(kind.as_str()),
            None => unschedule.push((*order_id, vec![kind.as_str()])),
        }
    }
    for (order_id, kinds) in unschedule {
        ops.push(Op::exec(
            sql::TIMER_UNSCHEDULE,
            params![order_id.0, json(&kinds)?],
        ));
    }
    for timer in &cs.schedule {
        ops.push(Op::exec(
            sql::TIMER_SCHEDULE,
            params![
                haven_domain::ids::TimerId::new().0,
                timer.order_id.0,
                timer.kind.as_str(),
                timer.due_at
            ],
        ));
    }
    Ok(())
}

fn plan_outbox(cs: &Changeset, ops: &mut Vec<Op>) -> StoreResult<()> {
    // No lock: events are published (given their position) later, by the
    // sequencer, in the order their commits became visible.
    for event in &cs.outbox {
        ops.push(Op::exec(
            sql::OUTBOX_INSERT,
            params![
                uuid::Uuid::now_v7(),
                &event.topic,
                json(&event.payload)?,
                event.created_at
            ],
        ));
    }
    Ok(())
}
