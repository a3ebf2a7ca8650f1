//! The statement catalogue: every statement Haven runs, written once.
//!
//! Shared statements use SQLite's `?N` placeholders and SQL both databases
//! accept (`ON CONFLICT … DO UPDATE`, `RETURNING`, row-value comparisons,
//! `excluded.`). A `Split` statement carries a text per dialect where they
//! cannot agree. Columns and their meaning are described in each backend's
//! schema files, which create the same tables.

use super::Sql;
use super::Sql::{Shared, Split};

// Policy versions.
pub const POLICY_LATEST: Sql =
    Shared("SELECT version, data FROM policy_versions ORDER BY version DESC LIMIT 1");
pub const POLICY_BY_VERSION: Sql = Shared("SELECT data FROM policy_versions WHERE version = ?1");
pub const POLICY_INSERT: Sql = Shared(
    "INSERT INTO policy_versions (version, data, created_at_ms, published_by) VALUES (?1, ?2, ?3, ?4)",
);
pub const POLICY_HISTORY: Sql = Shared(
    "SELECT version, data, created_at_ms, published_by FROM policy_versions \
     WHERE version < ?1 ORDER BY version DESC LIMIT ?2",
);

// Users, sessions, one-time tokens, security flags.
pub const USER_INSERT: Sql = Shared(
    "INSERT INTO users (id, email, data, created_at_ms, version, identity_status, email_skeleton, name_skeleton)
     VALUES (?1, ?2, ?3, ?4, 1, ?5, ?6, ?7)",
);
pub const USER_UPDATE: Sql = Shared(
    "UPDATE users SET email = ?2, data = ?3, version = ?4, identity_status = ?5, email_skeleton = ?6, name_skeleton = ?7
     WHERE id = ?1 AND version = ?8",
);
pub const USER_BY_ID: Sql = Shared("SELECT data, version FROM users WHERE id = ?1");
pub const USER_BY_EMAIL: Sql = Shared("SELECT data, version FROM users WHERE email = ?1");
pub const USERS_LOOKING_LIKE: Sql = Shared(
    "SELECT data, version, email_skeleton, name_skeleton FROM users WHERE email_skeleton = ?1 OR name_skeleton = ?2 LIMIT 2",
);
pub const USERS_WITHOUT_SKELETON: Sql = Shared(
    "SELECT data, version FROM users WHERE email_skeleton IS NULL ORDER BY created_at_ms, id LIMIT 500",
);
pub const USER_SET_SKELETONS: Sql =
    Shared("UPDATE users SET email_skeleton = ?2, name_skeleton = ?3 WHERE id = ?1");
/// Created after the backfill, so an old database with look-alikes can
/// migrate. Both dialects take the same statement.
pub const USERS_EMAIL_SKELETON_INDEX: Sql = Shared(
    "CREATE UNIQUE INDEX IF NOT EXISTS users_by_email_skeleton ON users(email_skeleton) WHERE email_skeleton IS NOT NULL",
);
pub const USERS_NAME_SKELETON_INDEX: Sql = Shared(
    "CREATE UNIQUE INDEX IF NOT EXISTS users_by_name_skeleton ON users(name_skeleton) WHERE name_skeleton IS NOT NULL",
);
pub const USERS_PENDING_IDENTITY: Sql = Shared(
    "SELECT data, version FROM users WHERE identity_status = 'pending' AND (created_at_ms, id) > (?1, ?2)
     ORDER BY created_at_ms, id LIMIT ?3",
);
pub const SESSION_INSERT: Sql = Shared(
    "INSERT INTO sessions (token_hash, user_id, kind, created_at_ms, expires_at_ms, user_agent, ip, last_seen_ms, reauth_ms)
     VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9)",
);
pub const SESSION_DELETE: Sql = Shared("DELETE FROM sessions WHERE token_hash = ?1");
pub const SESSIONS_DELETE_FOR_USER: Sql =
    Shared("DELETE FROM sessions WHERE user_id = ?1 AND token_hash != COALESCE(?2, '')");
pub const SESSION_TOUCH: Sql = Shared(
    "UPDATE sessions SET last_seen_ms = ?2, reauth_ms = COALESCE(?3, reauth_ms) WHERE token_hash = ?1",
);
/// Everything a request's authentication needs, in one read: the session,
/// its user, and the store they own (if any).
pub const SESSION_WITH_USER: Sql = Shared(
    "SELECT s.token_hash, s.user_id, s.kind, s.created_at_ms, s.expires_at_ms, s.user_agent, s.ip, s.last_seen_ms, s.reauth_ms,
            u.data, u.version, (SELECT sh.id FROM shops sh WHERE sh.owner_id = u.id)
     FROM sessions s JOIN users u ON u.id = s.user_id WHERE s.token_hash = ?1",
);
pub const SESSION_BY_HASH: Sql = Shared(
    "SELECT token_hash, user_id, kind, created_at_ms, expires_at_ms, user_agent, ip, last_seen_ms, reauth_ms FROM sessions WHERE token_hash = ?1",
);
pub const SESSIONS_FOR_USER: Sql = Shared(
    "SELECT token_hash, user_id, kind, created_at_ms, expires_at_ms, user_agent, ip, last_seen_ms, reauth_ms FROM sessions WHERE user_id = ?1 ORDER BY created_at_ms DESC, token_hash DESC LIMIT 100",
);
pub const TOKEN_INSERT: Sql = Shared(
    "INSERT INTO one_time_tokens (token_hash, kind, user_id, created_at_ms, expires_at_ms, used_at_ms, data)
     VALUES (?1, ?2, ?3, ?4, ?5, NULL, ?6)",
);
pub const TOKEN_USE: Sql = Shared(
    "UPDATE one_time_tokens SET used_at_ms = ?2 WHERE token_hash = ?1 AND used_at_ms IS NULL",
);
pub const TOKENS_VOID: Sql = Shared(
    "UPDATE one_time_tokens SET used_at_ms = ?3 WHERE user_id = ?1 AND kind = ?2 AND used_at_ms IS NULL",
);
pub const TOKEN_BY_HASH: Sql = Shared(
    "SELECT token_hash, kind, user_id, created_at_ms, expires_at_ms, used_at_ms, data FROM one_time_tokens WHERE token_hash = ?1",
);
pub const FLAG_INSERT: Sql = Shared(
    "INSERT INTO security_flags (id, kind, subject, created_at_ms, data) VALUES (?1, ?2, ?3, ?4, ?5)",
);
pub const FLAGS_PAGE: Sql = Shared(
    "SELECT data FROM security_flags WHERE (created_at_ms, id) < (?1, ?2) ORDER BY created_at_ms DESC, id DESC LIMIT ?3",
);

// Login defence: counted events and blocks.
pub const THROTTLE_INSERT: Sql =
    Shared("INSERT INTO throttle_events (scope, subject, detail, at_ms) VALUES (?1, ?2, ?3, ?4)");
pub const THROTTLE_COUNT: Sql = Shared(
    "SELECT COUNT(*), COUNT(DISTINCT detail), COALESCE(MAX(at_ms), 0) FROM throttle_events
     WHERE scope = ?1 AND subject = ?2 AND at_ms >= ?3",
);
pub const THROTTLE_BLOCK_UPSERT: Sql = Shared(
    "INSERT INTO throttle_blocks (scope, subject, until_ms) VALUES (?1, ?2, ?3)
     ON CONFLICT (scope, subject) DO UPDATE SET until_ms =
       CASE WHEN excluded.until_ms > throttle_blocks.until_ms THEN excluded.until_ms ELSE throttle_blocks.until_ms END",
);
pub const THROTTLE_BLOCK_GET: Sql =
    Shared("SELECT until_ms FROM throttle_blocks WHERE scope = ?1 AND subject = ?2");
/// Retention: old idempotency records and published events, a bounded
/// number at a time.
pub const IDEMPOTENCY_PURGE: Sql = Shared(
    "DELETE FROM idempotency_keys WHERE (user_id, key) IN
       (SELECT user_id, key FROM idempotency_keys WHERE created_at_ms < ?1 LIMIT ?2)",
);
pub const EVENTS_PURGE: Sql = Shared(
    "DELETE FROM outbox WHERE seq IN
       (SELECT seq FROM outbox WHERE pos IS NOT NULL AND created_at_ms < ?1
          AND pos < (SELECT MAX(pos) FROM outbox)
          AND pos <= COALESCE((SELECT MIN(position) FROM relay_cursors), pos) LIMIT ?2)",
);
/// Payment attempts no risk window reads any more; those waiting for an
/// agent's review stay until decided.
pub const RISK_ATTEMPTS_PURGE: Sql = Shared(
    "DELETE FROM risk_attempts WHERE id IN
       (SELECT id FROM risk_attempts WHERE at_ms < ?1 AND outcome <> 'review' ORDER BY at_ms, id LIMIT ?2)",
);
/// Sent emails past their retention (`commands_sent_emails`, migration 24).
pub const SENT_EMAILS_PURGE: Sql = Shared(
    "DELETE FROM commands WHERE id IN
       (SELECT id FROM commands WHERE kind = 'email' AND state = 'done' AND done_at_ms < ?1 LIMIT ?2)",
);
pub const THROTTLE_PURGE: Sql = Shared("DELETE FROM throttle_events WHERE at_ms < ?1");
pub const THROTTLE_BLOCKS_PURGE: Sql = Shared("DELETE FROM throttle_blocks WHERE until_ms < ?1");

// Catalog.
pub const SHOP_INSERT: Sql =
    Shared("INSERT INTO shops (id, owner_id, data, created_at_ms) VALUES (?1, ?2, ?3, ?4)");
pub const SHOP_BY_ID: Sql = Shared("SELECT data FROM shops WHERE id = ?1");
pub const SHOP_BY_OWNER: Sql = Shared("SELECT data FROM shops WHERE owner_id = ?1");
pub const SHOPS_PAGE: Sql = Shared(
    "SELECT data FROM shops WHERE (created_at_ms, id) < (?1, ?2) ORDER BY created_at_ms DESC, id DESC LIMIT ?3",
);
pub const MEDIA_INSERT: Sql = Shared(
    "INSERT INTO media (hash, content_type, bytes) VALUES (?1, ?2, ?3) ON CONFLICT DO NOTHING",
);
pub const MEDIA_BY_HASH: Sql =
    Shared("SELECT hash, content_type, bytes FROM media WHERE hash = ?1");
pub const LISTING_INSERT: Sql = Shared(
    "INSERT INTO listings (id, store_id, category, stock, data, created_at_ms, product_key, held, price_minor)
     VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9)",
);
pub const LISTING_BY_ID: Sql =
    Shared("SELECT data, stock, deal_remaining FROM listings WHERE id = ?1");
pub const LISTINGS_PAGE: Sql = Shared(
    "SELECT data, stock, deal_remaining FROM listings
     WHERE (created_at_ms, id) < (?1, ?2) AND (?3 IS NULL OR category = ?3) AND (?4 IS NULL OR store_id = ?4)
       AND held = 0 AND store_id NOT IN (SELECT store_id FROM store_enforcement WHERE level = 'suspended')
     ORDER BY created_at_ms DESC, id DESC LIMIT ?5",
);
/// Takes stock only if enough is left; returns it with a positive delta.
/// Stock only moves for orders, so what it loses is what was sold (and
/// what comes back was not).
pub const STOCK_CHANGE: Sql = Shared(
    "UPDATE listings SET stock = stock + ?2, units_sold = units_sold - ?2 WHERE id = ?1 AND stock + ?2 >= 0",
);
/// A listing's description, hold and pause change, if it is still held or
/// not as read (?5) and at the revision read (?8). A new flash deal also
/// sets its units (?6; NULL keeps the counter). The stock column changes
/// only when ?10 is given, and only if it still holds ?11 (what the seller
/// saw), so a sale in between is never written over.
/// Rewrites a listing only if its hold and its revision are as read.
pub const LISTING_UPDATE: Sql = Split {
    sqlite: "UPDATE listings SET data = ?2, category = ?3, held = ?4, deal_remaining = COALESCE(?6, deal_remaining), product_key = ?7, price_minor = ?9,
       stock = COALESCE(?10, stock)
     WHERE id = ?1 AND (held = 1) = (?5 = 1) AND COALESCE(json_extract(data, '$.revision'), 0) = ?8
       AND (?11 IS NULL OR stock = ?11)",
    postgres: "UPDATE listings SET data = $2, category = $3, held = $4, deal_remaining = COALESCE($6, deal_remaining), product_key = $7, price_minor = $9,
       stock = COALESCE($10::bigint, stock)
     WHERE id = $1 AND (held = 1) = ($5 = 1) AND COALESCE((data::jsonb ->> 'revision')::bigint, 0) = $8
       AND ($11::bigint IS NULL OR stock = $11::bigint)",
};
// Listing risk.
/// One store's listings, whatever buyers can see of them, newest first.
pub const LISTINGS_OF_STORE: Sql = Shared(
    "SELECT data, stock, deal_remaining FROM listings WHERE store_id = ?1 AND (created_at_ms, id) < (?2, ?3)
     ORDER BY created_at_ms DESC, id DESC LIMIT ?4",
);
pub const LISTINGS_HELD: Sql = Shared(
    "SELECT data, stock, deal_remaining FROM listings WHERE held = 1 AND (created_at_ms, id) > (?1, ?2)
     ORDER BY created_at_ms, id LIMIT ?3",
);
pub const CATEGORY_VISIBLE_COUNT: Sql = Shared(
    "SELECT COUNT(*) FROM listings WHERE category = ?1 AND held = 0 AND price_minor IS NOT NULL",
);
pub const CATEGORY_PRICE_AT: Sql = Shared(
    "SELECT price_minor FROM listings WHERE category = ?1 AND held = 0 AND price_minor IS NOT NULL
     ORDER BY price_minor LIMIT 1 OFFSET ?2",
);
pub const FINGERPRINT_INSERT: Sql = Shared(
    "INSERT INTO listing_fingerprints (kind, band, band_value, listing_id, store_id, signature)
     VALUES (?1, ?2, ?3, ?4, ?5, ?6) ON CONFLICT DO NOTHING",
);
pub const FINGERPRINT_MATCHES: Sql = Shared(
    "SELECT listing_id, store_id, signature FROM listing_fingerprints
     WHERE kind = ?1 AND band = ?2 AND band_value = ?3 AND store_id <> ?4 LIMIT ?5",
);
pub const BRAND_APPROVAL_PUT: Sql = Shared(
    "INSERT INTO brand_approvals (store_id, brand_key, status, data, updated_at_ms) VALUES (?1, ?2, ?3, ?4, ?5)
     ON CONFLICT (store_id, brand_key) DO UPDATE
     SET status = excluded.status, data = excluded.data, updated_at_ms = excluded.updated_at_ms",
);
pub const BRAND_APPROVAL: Sql =
    Shared("SELECT data FROM brand_approvals WHERE store_id = ?1 AND brand_key = ?2");
pub const BRAND_APPROVALS_OF: Sql = Shared(
    "SELECT data FROM brand_approvals WHERE store_id = ?1 ORDER BY updated_at_ms DESC, brand_key LIMIT 100",
);
pub const BRAND_APPROVALS_PENDING: Sql = Shared(
    "SELECT data FROM brand_approvals WHERE status = 'pending' AND (updated_at_ms, store_id) < (?1, ?2)
     ORDER BY updated_at_ms DESC, store_id DESC LIMIT ?3",
);
pub const LISTINGS_FOR_PRODUCT: Sql = Shared(
    "SELECT data, stock, deal_remaining FROM listings
     WHERE product_key = ?1 AND held = 0
       AND store_id NOT IN (SELECT store_id FROM store_enforcement WHERE level = 'suspended')
     ORDER BY created_at_ms, id LIMIT ?2",
);

// Cart.
pub const CART_PUT: Sql = Shared(
    "INSERT INTO cart_lines (buyer_id, listing_id, quantity, added_at_ms) VALUES (?1, ?2, ?3, ?4)
     ON CONFLICT (buyer_id, listing_id) DO UPDATE SET quantity = excluded.quantity",
);
pub const CART_REMOVE: Sql =
    Shared("DELETE FROM cart_lines WHERE buyer_id = ?1 AND listing_id = ?2");
pub const CART_LINES: Sql = Shared(
    "SELECT buyer_id, listing_id, quantity, added_at_ms FROM cart_lines WHERE buyer_id = ?1
     ORDER BY added_at_ms, listing_id LIMIT ?2",
);

// Coupons.
pub const COUPON_INSERT: Sql = Shared(
    "INSERT INTO coupons (id, code, store_id, data, total_limit, starts_at_ms, ends_at_ms, claimable, created_at_ms)
     VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9)",
);
pub const COUPON_UPDATE: Sql = Shared(
    "UPDATE coupons SET data = ?2, total_limit = ?3, starts_at_ms = ?4, ends_at_ms = ?5, claimable = ?6 WHERE id = ?1",
);
pub const COUPON_BY_ID: Sql = Shared("SELECT data, redeemed FROM coupons WHERE id = ?1");
pub const COUPON_BY_CODE: Sql = Shared("SELECT data, redeemed FROM coupons WHERE code = ?1");
pub const COUPONS_OF_STORE: Sql = Shared(
    "SELECT data, redeemed, created_at_ms, id FROM coupons
     WHERE ((?3 IS NULL AND store_id IS NULL) OR store_id = ?3) AND (created_at_ms, id) < (?1, ?2)
     ORDER BY created_at_ms DESC, id DESC LIMIT ?4",
);
pub const COUPON_CLAIM: Sql = Shared(
    "INSERT INTO coupon_claims (coupon_id, buyer_id, claimed_at_ms) VALUES (?1, ?2, ?3)
     ON CONFLICT (coupon_id, buyer_id) DO NOTHING",
);
pub const CLAIMED_COUPONS: Sql = Shared(
    "SELECT c.data, c.redeemed FROM coupon_claims k JOIN coupons c ON c.id = k.coupon_id
     WHERE k.buyer_id = ?1 ORDER BY k.claimed_at_ms DESC, k.coupon_id LIMIT ?2",
);
/// Takes one redemption, only while the coupon runs and has some left.
pub const COUPON_TAKE: Sql = Shared(
    "UPDATE coupons SET redeemed = redeemed + 1
     WHERE id = ?1 AND redeemed < total_limit AND starts_at_ms <= ?2 AND ends_at_ms > ?2",
);
/// Records the order's redemption, only while the buyer is under the
/// per-buyer limit (the coupon's row, locked just before, serialises this).
pub const COUPON_REDEEM: Sql = Shared(
    "INSERT INTO coupon_redemptions (coupon_id, order_id, buyer_id, redeemed_at_ms)
     SELECT ?1, ?2, ?3, ?4
     WHERE (SELECT COUNT(*) FROM coupon_redemptions
            WHERE coupon_id = ?1 AND buyer_id = ?3 AND released_at_ms IS NULL) < ?5",
);
pub const COUPON_GIVE_BACK: Sql = Shared(
    "UPDATE coupons SET redeemed = redeemed - 1
     WHERE id IN (SELECT coupon_id FROM coupon_redemptions WHERE order_id = ?1 AND released_at_ms IS NULL)",
);
pub const COUPON_RELEASE: Sql = Shared(
    "UPDATE coupon_redemptions SET released_at_ms = ?2 WHERE order_id = ?1 AND released_at_ms IS NULL",
);
pub const COUPON_REDEEMERS_SHARING: Sql = Shared(
    "SELECT COUNT(DISTINCT r.buyer_id) FROM coupon_redemptions r JOIN risk_attempts a ON a.order_id = r.order_id
     WHERE r.coupon_id = ?1 AND r.buyer_id <> ?2
       AND (a.card_fp = ?3 OR a.device_id = ?4 OR a.address_key = ?5)",
);
// Bundles.
pub const BUNDLE_PUT: Sql = Shared(
    "INSERT INTO bundles (id, store_id, data, created_at_ms) VALUES (?1, ?2, ?3, ?4)
     ON CONFLICT (id) DO UPDATE SET data = excluded.data",
);
pub const BUNDLES_OF: Sql = Shared(
    "SELECT data FROM bundles WHERE store_id = ?1 ORDER BY created_at_ms DESC, id DESC LIMIT 100",
);

// Recommendations.
pub const PURCHASE_INSERT: Sql = Shared(
    "INSERT INTO purchases (order_id, listing_id, buyer_id) VALUES (?1, ?2, ?3) ON CONFLICT DO NOTHING",
);
pub const PURCHASE_DELETE: Sql = Shared("DELETE FROM purchases WHERE order_id = ?1");
pub const ALSO_BOUGHT: Sql = Shared(
    "SELECT b.listing_id, COUNT(DISTINCT b.buyer_id) AS buyers
     FROM purchases a JOIN purchases b ON b.buyer_id = a.buyer_id AND b.listing_id <> a.listing_id
     WHERE a.listing_id = ?1
       AND NOT EXISTS (SELECT 1 FROM reviews r WHERE r.order_id = a.order_id AND r.removed = 1)
       AND NOT EXISTS (SELECT 1 FROM reviews r WHERE r.order_id = b.order_id AND r.removed = 1)
     GROUP BY b.listing_id ORDER BY buyers DESC, b.listing_id LIMIT ?2",
);
pub const COUPON_USES: Sql = Shared(
    "SELECT COUNT(*) FROM coupon_redemptions WHERE coupon_id = ?1 AND buyer_id = ?2 AND released_at_ms IS NULL",
);
/// Takes flash-deal units only if enough are left.
pub const DEAL_CLAIM: Sql = Shared(
    "UPDATE listings SET deal_remaining = deal_remaining + ?2 WHERE id = ?1 AND deal_remaining + ?2 >= 0",
);
/// Gives units back to the deal that started at ?3, only if it is still
/// the listing's deal.
pub const DEAL_RETURN: Sql = Split {
    sqlite: "UPDATE listings SET deal_remaining = deal_remaining + ?2 WHERE id = ?1 AND json_extract(data, '$.deal.starts_at') = ?3",
    postgres: "UPDATE listings SET deal_remaining = deal_remaining + $2 WHERE id = $1 AND (data::jsonb -> 'deal' ->> 'starts_at') = $3",
};
/// What search indexes about listings, in id order after ?1 (optionally
/// one store's), with their counted public reviews. Held listings are
/// included: the caller decides what is visible.
pub const SEARCH_ROWS: Sql = Shared(
    "SELECT l.data, l.stock, l.deal_remaining, l.units_sold,
            (SELECT CAST(COALESCE(SUM(r.rating), 0) AS BIGINT) FROM reviews r WHERE r.listing_id = l.id AND r.is_public = 1 AND r.counted = 1),
            (SELECT COUNT(*) FROM reviews r WHERE r.listing_id = l.id AND r.is_public = 1 AND r.counted = 1)
     FROM listings l WHERE l.id > ?1 AND (?2 IS NULL OR l.store_id = ?2) ORDER BY l.id LIMIT ?3",
);
pub const SEARCH_ROW: Sql = Shared(
    "SELECT l.data, l.stock, l.deal_remaining, l.units_sold,
            (SELECT CAST(COALESCE(SUM(r.rating), 0) AS BIGINT) FROM reviews r WHERE r.listing_id = l.id AND r.is_public = 1 AND r.counted = 1),
            (SELECT COUNT(*) FROM reviews r WHERE r.listing_id = l.id AND r.is_public = 1 AND r.counted = 1)
     FROM listings l WHERE l.id = ?1",
);

// Orders.
pub const ORDER_INSERT: Sql = Shared(
    "INSERT INTO orders (id, buyer_id, store_id, state, total_minor, version, data, created_at_ms)
     VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8)",
);
pub const ORDER_UPDATE: Sql = Shared(
    "UPDATE orders SET state = ?2, version = ?3, data = ?4, total_minor = ?5 WHERE id = ?1 AND version = ?6",
);
pub const ORDER_BY_ID: Sql = Shared("SELECT data, version FROM orders WHERE id = ?1");
/// Orders whose id ends with ?1 (an order's short number, lower case), newest
/// id first. A scan of the ids: for an agent's search, not a hot path.
pub const ORDER_IDS_ENDING: Sql =
    Shared("SELECT id FROM orders WHERE id LIKE ?1 ORDER BY id DESC LIMIT ?2");
pub const ORDERS_FOR_BUYER: Sql = Shared(
    "SELECT data, version FROM orders WHERE buyer_id = ?1 AND (created_at_ms, id) < (?2, ?3)
     ORDER BY created_at_ms DESC, id DESC LIMIT ?4",
);
pub const ORDERS_FOR_STORE: Sql = Shared(
    "SELECT data, version FROM orders WHERE store_id = ?1 AND (created_at_ms, id) < (?2, ?3)
     ORDER BY created_at_ms DESC, id DESC LIMIT ?4",
);
/// A store's paid orders, oldest first (`orders_to_ship`, migration 25).
pub const ORDERS_TO_SHIP: Sql = Shared(
    "SELECT data, version FROM orders WHERE store_id = ?1 AND state = 'paid'
     ORDER BY created_at_ms, id LIMIT ?2",
);
/// The escrow of a store's open orders: money paid and not yet released.
pub const STORE_ESCROW: Sql = Shared(
    "SELECT CAST(COALESCE(SUM(b.balance_minor), 0) AS BIGINT), COUNT(b.balance_minor)
     FROM orders o JOIN account_balances b
       ON b.account = 'escrow:order:' || o.id AND b.currency = ?2 AND b.balance_minor <> 0
     WHERE o.store_id = ?1 AND o.state IN ('paid', 'shipped', 'delivered')",
);
pub const ORDERS_SCAN: Sql =
    Shared("SELECT id, state, total_minor FROM orders WHERE id > ?1 ORDER BY id LIMIT ?2");

// The ledger.
pub const ENTRY_INSERT: Sql = Shared(
    "INSERT INTO ledger_entries (id, idempotency_key, kind, order_id, payout_id, created_at_ms) VALUES (?1, ?2, ?3, ?4, ?5, ?6)",
);
/// The entry's sequence number comes from its id, so a plan needs no value
/// handed from one step to the next.
pub const POSTING_INSERT: Sql = Shared(
    "INSERT INTO ledger_postings (entry_seq, account, currency, amount_minor)
     VALUES ((SELECT seq FROM ledger_entries WHERE id = ?1), ?2, ?3, ?4)",
);
pub const BALANCE_ADD: Sql = Shared(
    "INSERT INTO account_balances (account, currency, balance_minor) VALUES (?1, ?2, ?3)
     ON CONFLICT (account, currency) DO UPDATE SET balance_minor = account_balances.balance_minor + excluded.balance_minor
     RETURNING balance_minor",
);
/// Lock a balance row (creating it at zero) and return how far it is from
/// what the caller read: zero means unchanged.
pub const BALANCE_GUARD: Sql = Shared(
    "INSERT INTO account_balances (account, currency, balance_minor) VALUES (?1, ?2, 0)
     ON CONFLICT (account, currency) DO UPDATE SET balance_minor = account_balances.balance_minor
     RETURNING balance_minor - ?3",
);
/// Add to one of a shared account's shards (see schema8.sql).
pub const BALANCE_SHARD_ADD: Sql = Shared(
    "INSERT INTO balance_shards (account, currency, shard, balance_minor) VALUES (?1, ?2, ?3, ?4)
     ON CONFLICT (account, currency, shard) DO UPDATE SET balance_minor = balance_shards.balance_minor + excluded.balance_minor
     RETURNING balance_minor",
);
/// An account's balance: its row plus its shards.
pub const BALANCE_GET: Sql = Shared(
    "SELECT CAST(COALESCE((SELECT balance_minor FROM account_balances WHERE account = ?1 AND currency = ?2), 0)
          + COALESCE((SELECT SUM(balance_minor) FROM balance_shards WHERE account = ?1 AND currency = ?2), 0) AS BIGINT)",
);
pub const ENTRIES_FOR_ORDER: Sql = Shared(
    "SELECT seq, id, idempotency_key, kind, order_id, payout_id, created_at_ms FROM ledger_entries WHERE order_id = ?1 ORDER BY seq LIMIT 100",
);
pub const ENTRIES_SCAN: Sql = Shared(
    "SELECT seq, id, idempotency_key, kind, order_id, payout_id, created_at_ms FROM ledger_entries WHERE seq > ?1 ORDER BY seq LIMIT ?2",
);
/// Postings in the order they were written: SQLite's rowid, PostgreSQL's
/// serial `id`.
pub const POSTINGS_FOR_ORDER: Sql = Split {
    sqlite: "SELECT entry_seq, account, currency, amount_minor FROM ledger_postings
             WHERE entry_seq IN (SELECT seq FROM ledger_entries WHERE order_id = ?1) ORDER BY entry_seq, rowid",
    postgres: "SELECT entry_seq, account, currency, amount_minor FROM ledger_postings
               WHERE entry_seq IN (SELECT seq FROM ledger_entries WHERE order_id = $1) ORDER BY entry_seq, id",
};
pub const POSTINGS_IN_RANGE: Sql = Split {
    sqlite: "SELECT entry_seq, account, currency, amount_minor FROM ledger_postings
             WHERE entry_seq BETWEEN ?1 AND ?2 ORDER BY entry_seq, rowid",
    postgres: "SELECT entry_seq, account, currency, amount_minor FROM ledger_postings
               WHERE entry_seq BETWEEN $1 AND $2 ORDER BY entry_seq, id",
};
pub const BALANCES_SCAN: Sql = Shared(
    "SELECT account, currency, CAST(SUM(balance_minor) AS BIGINT) FROM (
         SELECT account, currency, balance_minor FROM account_balances WHERE (account, currency) > (?1, ?2)
         UNION ALL
         SELECT account, currency, balance_minor FROM balance_shards WHERE (account, currency) > (?1, ?2)
     ) AS b GROUP BY account, currency ORDER BY account, currency LIMIT ?3",
);
pub const PAYOUT_INSERT: Sql = Shared(
    "INSERT INTO payouts (id, store_id, amount_minor, currency, state, created_at_ms) VALUES (?1, ?2, ?3, ?4, ?5, ?6)",
);
pub const PAYOUTS_PAGE: Sql = Shared(
    "SELECT id, store_id, amount_minor, currency, state, created_at_ms, settled_at_ms, bank_reference FROM payouts
     WHERE store_id = ?1 AND (created_at_ms, id) < (?2, ?3) ORDER BY created_at_ms DESC, id DESC LIMIT ?4",
);
pub const PAYOUT_BY_ID: Sql = Shared(
    "SELECT id, store_id, amount_minor, currency, state, created_at_ms, settled_at_ms, bank_reference FROM payouts WHERE id = ?1",
);
pub const PAYOUT_SETTLE: Sql = Shared(
    "UPDATE payouts SET state = 'paid', settled_at_ms = ?2, bank_reference = ?3 WHERE id = ?1 AND state = 'requested'",
);
/// The `substr` term is the partial index's own condition (migration 26),
/// repeated so both databases know the index applies.
pub const ACCOUNT_STATEMENT: Sql = Shared(
    "SELECT e.seq, e.kind, e.order_id, e.payout_id, e.created_at_ms, p.currency, p.amount_minor
     FROM ledger_postings p JOIN ledger_entries e ON e.seq = p.entry_seq
     WHERE p.account = ?1 AND substr(p.account, 1, 7) IN ('seller:', 'payout:') AND p.entry_seq < ?2
     ORDER BY p.entry_seq DESC LIMIT ?3",
);

// Timers.
pub const TIMER_COMPLETE: Sql = Shared("DELETE FROM scheduled_actions WHERE id = ?1");
/// Cancel several kinds of one order's deadlines in one statement (the
/// kinds as a JSON array of names).
pub const TIMER_UNSCHEDULE: Sql = Split {
    sqlite: "DELETE FROM scheduled_actions WHERE order_id = ?1 AND kind IN (SELECT value FROM json_each(?2))",
    postgres: "DELETE FROM scheduled_actions WHERE order_id = $1 AND kind IN (SELECT jsonb_array_elements_text($2::jsonb))",
};
/// Re-arming a kind replaces the row and its id, so a worker still holding
/// the old one finds it gone and writes nothing.
pub const TIMER_SCHEDULE: Sql = Shared(
    "INSERT INTO scheduled_actions (id, order_id, kind, due_at_ms) VALUES (?1, ?2, ?3, ?4)
     ON CONFLICT (order_id, kind) DO UPDATE SET id = excluded.id, due_at_ms = excluded.due_at_ms, lease_until_ms = 0, attempts = 0",
);
/// Lease due timers. On PostgreSQL, SKIP LOCKED leaves a row another server
/// is claiming right now to it; once that claim commits its lease no longer
/// matches, so each due timer goes to exactly one worker per lease.
pub const TIMERS_CLAIM: Sql = Split {
    sqlite: "UPDATE scheduled_actions SET lease_until_ms = ?2, attempts = attempts + 1
             WHERE id IN (SELECT id FROM scheduled_actions WHERE due_at_ms <= ?1 AND lease_until_ms <= ?1 ORDER BY due_at_ms LIMIT ?3)
             RETURNING id, order_id, kind, due_at_ms, attempts",
    postgres: "UPDATE scheduled_actions SET lease_until_ms = $2, attempts = attempts + 1
               WHERE id IN (SELECT id FROM scheduled_actions WHERE due_at_ms <= $1 AND lease_until_ms <= $1
                            ORDER BY due_at_ms LIMIT $3 FOR UPDATE SKIP LOCKED)
               RETURNING id, order_id, kind, due_at_ms, attempts",
};
pub const TIMERS_FOR_ORDER: Sql = Shared(
    "SELECT id, order_id, kind, due_at_ms, attempts FROM scheduled_actions WHERE order_id = ?1 ORDER BY due_at_ms",
);

/// Deadlines after the cursor (?1 ms, ?2 id) and due by ?3, in (due, id)
/// order: what a sweep over upcoming deadlines looks at next.
pub const TIMERS_AFTER: Sql = Shared(
    "SELECT id, order_id, kind, due_at_ms, attempts FROM scheduled_actions
     WHERE due_at_ms >= ?1 AND due_at_ms <= ?3 AND (due_at_ms > ?1 OR id > ?2)
     ORDER BY due_at_ms, id LIMIT ?4",
);
pub const SWEEP_CURSOR: Sql =
    Shared("SELECT due_at_ms, after_id FROM sweep_cursors WHERE name = ?1");
/// Move a sweep from (?2, ?3) to (?4, ?5), only if no other node moved it
/// first (a sweep never seen before moves from anywhere); returns the row
/// when it moved.
pub const SWEEP_ADVANCE: Sql = Shared(
    "INSERT INTO sweep_cursors (name, due_at_ms, after_id) VALUES (?1, ?4, ?5)
     ON CONFLICT (name) DO UPDATE SET due_at_ms = excluded.due_at_ms, after_id = excluded.after_id
     WHERE sweep_cursors.due_at_ms = ?2 AND sweep_cursors.after_id = ?3
     RETURNING due_at_ms",
);

// The outbox (business events) and idempotency keys.
pub const OUTBOX_INSERT: Sql =
    Shared("INSERT INTO outbox (id, topic, payload, created_at_ms) VALUES (?1, ?2, ?3, ?4)");
pub const OUTBOX_DELIVERED: Sql =
    Shared("UPDATE outbox SET delivered_at_ms = ?2 WHERE pos = ?1 AND delivered_at_ms IS NULL");
/// Published events after a position, in published order.
pub const OUTBOX_AFTER: Sql = Shared(
    "SELECT pos, id, topic, payload, created_at_ms FROM outbox WHERE pos > ?1 ORDER BY pos LIMIT ?2",
);
/// Publish committed, unsequenced events: positions continue from the
/// highest one, in row order. Run under the outbox lock by one sequencer
/// at a time, so positions become visible in order.
pub const OUTBOX_SEQUENCE: Sql = Shared(
    "UPDATE outbox SET pos = (SELECT COALESCE(MAX(pos), 0) FROM outbox) + todo.n
     FROM (SELECT seq, ROW_NUMBER() OVER (ORDER BY seq) AS n FROM outbox WHERE pos IS NULL ORDER BY seq LIMIT ?1) AS todo
     WHERE outbox.seq = todo.seq",
);
/// The newest published position (0: none).
pub const OUTBOX_HEAD: Sql = Shared("SELECT COALESCE(MAX(pos), 0) FROM outbox");
pub const RELAY_POSITION: Sql = Shared("SELECT position FROM relay_cursors WHERE name = ?1");
/// Move a relay's position from ?2 to ?3, only if no other node moved it
/// first; returns the row when it moved.
pub const RELAY_ADVANCE: Sql = Shared(
    "INSERT INTO relay_cursors (name, position) VALUES (?1, ?3)
     ON CONFLICT (name) DO UPDATE SET position = excluded.position WHERE relay_cursors.position = ?2
     RETURNING position",
);
pub const OUTBOX_UNDELIVERED: Sql = Shared(
    "SELECT pos, id, topic, payload, created_at_ms FROM outbox WHERE topic = ?1 AND delivered_at_ms IS NULL AND pos IS NOT NULL ORDER BY pos LIMIT ?2",
);
pub const IDEMPOTENCY_INSERT: Sql = Shared(
    "INSERT INTO idempotency_keys (user_id, key, request_hash, resource, created_at_ms) VALUES (?1, ?2, ?3, ?4, ?5)",
);
pub const IDEMPOTENCY_GET: Sql = Shared(
    "SELECT user_id, key, request_hash, resource, created_at_ms FROM idempotency_keys WHERE user_id = ?1 AND key = ?2",
);

pub const TIMERS_COUNT: Sql = Shared("SELECT COUNT(*) FROM scheduled_actions");
/// Monitoring gauges (escrow accounts sort between `escrow:` and `escrow;`).
pub const OPS_SNAPSHOT: Sql = Shared(
    "SELECT
       CAST(COALESCE((SELECT SUM(balance_minor) FROM account_balances WHERE account >= 'escrow:' AND account < 'escrow;'), 0) AS BIGINT),
       (SELECT COUNT(*) FROM scheduled_actions),
       CAST(COALESCE(?1 - (SELECT MIN(due_at_ms) FROM scheduled_actions WHERE due_at_ms <= ?1), 0) AS BIGINT),
       (SELECT COUNT(*) FROM commands WHERE state = 'pending'),
       (SELECT COUNT(*) FROM commands WHERE state = 'dead'),
       (SELECT COUNT(*) FROM outbox WHERE pos IS NULL)",
);

// Commands: side effects outside the database (email, gateway calls).
/// A command is queued once per dedupe key: a retried request that queues
/// "refund entry X" again finds it there.
pub const COMMAND_INSERT: Sql = Shared(
    "INSERT INTO commands (id, kind, dedupe_key, payload, state, attempts, next_attempt_ms, lease_until_ms, last_error, order_id, created_at_ms, done_at_ms, subject_id)
     VALUES (?1, ?2, ?3, ?4, ?8, 0, ?5, 0, ?9, ?6, ?7, ?10, ?11) ON CONFLICT (dedupe_key) DO NOTHING",
);
/// Finish (done, dead) only a command that is still pending and still
/// leased by this claim: a command cancelled meanwhile stays cancelled.
pub const COMMAND_FINISH: Sql = Shared(
    "UPDATE commands SET state = ?2, done_at_ms = ?3, last_error = ?4, lease_until_ms = 0, payload = COALESCE(?6, payload)
     WHERE id = ?1 AND state = 'pending' AND lease_until_ms = ?5",
);
pub const COMMAND_RETRY_LATER: Sql = Shared(
    "UPDATE commands SET next_attempt_ms = ?2, last_error = ?3, lease_until_ms = 0
     WHERE id = ?1 AND state = 'pending' AND lease_until_ms = ?4",
);
/// Cancel the pending, unleased commands of a kind for an order (a
/// chargeback that took the money back makes a queued refund moot). A
/// leased one may be in flight: it is left alone.
pub const COMMANDS_CANCEL: Sql = Shared(
    "UPDATE commands SET state = 'cancelled', done_at_ms = ?3
     WHERE order_id = ?1 AND kind = ?2 AND state = 'pending' AND lease_until_ms < ?3",
);
pub const COMMAND_SETTLE: Sql = Shared(
    "UPDATE commands SET state = 'done', done_at_ms = ?2, lease_until_ms = 0 WHERE id = ?1 AND state = 'pending'",
);
pub const COMMAND_DEFER: Sql = Shared(
    "UPDATE commands SET next_attempt_ms = ?2 WHERE id = ?1 AND state = 'pending' AND lease_until_ms < ?3",
);
pub const COMMAND_REVIVE: Sql = Shared(
    "UPDATE commands SET state = 'pending', attempts = 0, next_attempt_ms = ?2, lease_until_ms = 0, done_at_ms = NULL
     WHERE id = ?1 AND state = 'dead'",
);
pub const COMMAND_DISMISS: Sql = Shared(
    "UPDATE commands SET state = 'cancelled', done_at_ms = ?2, last_error = ?3 WHERE id = ?1 AND state = 'dead'",
);
pub const COMMANDS_CLAIM: Sql = Split {
    sqlite: "UPDATE commands SET lease_until_ms = ?2, attempts = attempts + 1
             WHERE id IN (SELECT id FROM commands WHERE state = 'pending' AND next_attempt_ms <= ?1 AND lease_until_ms <= ?1
                          ORDER BY next_attempt_ms LIMIT ?3)
             RETURNING id, kind, dedupe_key, payload, state, attempts, next_attempt_ms, last_error, order_id, created_at_ms, done_at_ms, lease_until_ms",
    postgres: "UPDATE commands SET lease_until_ms = $2, attempts = attempts + 1
               WHERE id IN (SELECT id FROM commands WHERE state = 'pending' AND next_attempt_ms <= $1 AND lease_until_ms <= $1
                            ORDER BY next_attempt_ms LIMIT $3 FOR UPDATE SKIP LOCKED)
               RETURNING id, kind, dedupe_key, payload, state, attempts, next_attempt_ms, last_error, order_id, created_at_ms, done_at_ms, lease_until_ms",
};
pub const COMMAND_BY_ID: Sql = Shared(
    "SELECT id, kind, dedupe_key, payload, state, attempts, next_attempt_ms, last_error, order_id, created_at_ms, done_at_ms, lease_until_ms FROM commands WHERE id = ?1",
);
pub const COMMANDS_FOR_ORDER: Sql = Shared(
    "SELECT id, kind, dedupe_key, payload, state, attempts, next_attempt_ms, last_error, order_id, created_at_ms, done_at_ms, lease_until_ms FROM commands WHERE order_id = ?1 ORDER BY created_at_ms, id LIMIT 200",
);
pub const COMMANDS_DEAD_PAGE: Sql = Shared("SELECT id, kind, dedupe_key, payload, state, attempts, next_attempt_ms, last_error, order_id, created_at_ms, done_at_ms, lease_until_ms FROM commands WHERE state = 'dead' AND (created_at_ms, id) > (?1, ?2)
     ORDER BY created_at_ms, id LIMIT ?3");
pub const COMMANDS_FOR_SUBJECT_PAGE: Sql = Shared("SELECT id, kind, dedupe_key, payload, state, attempts, next_attempt_ms, last_error, order_id, created_at_ms, done_at_ms, lease_until_ms FROM commands WHERE subject_id = ?1 AND (created_at_ms, id) < (?2, ?3)
     ORDER BY created_at_ms DESC, id DESC LIMIT ?4");
pub const NOTIFICATION_INSERT: Sql = Shared(
    "INSERT INTO notifications (id, user_id, event_id, data, created_at_ms) VALUES (?1, ?2, ?3, ?4, ?5)
     ON CONFLICT (event_id, user_id) DO NOTHING",
);
pub const NOTIFICATIONS_READ: Sql =
    Shared("UPDATE notifications SET read_at_ms = ?2 WHERE user_id = ?1 AND read_at_ms IS NULL");
pub const NOTIFICATIONS_PAGE: Sql = Shared(
    "SELECT data, read_at_ms FROM notifications WHERE user_id = ?1 AND (created_at_ms, id) < (?2, ?3)
     ORDER BY created_at_ms DESC, id DESC LIMIT ?4",
);
pub const NOTIFICATIONS_UNREAD: Sql = Shared(
    "SELECT COUNT(*) FROM (SELECT 1 FROM notifications WHERE user_id = ?1 AND read_at_ms IS NULL LIMIT ?2) AS unread",
);
pub const WEBHOOK_ENDPOINT_PUT: Sql = Shared(
    "INSERT INTO webhook_endpoints (id, data, created_at_ms) VALUES (?1, ?2, ?3)
     ON CONFLICT (id) DO UPDATE SET data = excluded.data",
);
pub const WEBHOOK_ENDPOINTS: Sql =
    Shared("SELECT data FROM webhook_endpoints ORDER BY created_at_ms, id LIMIT ?1");
pub const COMMANDS_SCAN: Sql = Shared(
    "SELECT id, kind, dedupe_key, payload, state, attempts, next_attempt_ms, last_error, order_id, created_at_ms, done_at_ms, lease_until_ms FROM commands WHERE id > ?1 ORDER BY id LIMIT ?2",
);

// The simulated card network's books.
pub const JOURNAL_INSERT: Sql = Shared(
    "INSERT INTO gateway_journal (key, kind, body, version, created_at_ms) VALUES (?1, ?2, ?3, 1, ?4)",
);
pub const JOURNAL_UPDATE: Sql = Shared(
    "UPDATE gateway_journal SET body = ?2, version = version + 1 WHERE key = ?1 AND version = ?3",
);
pub const JOURNAL_GET: Sql =
    Shared("SELECT key, kind, body, version, created_at_ms FROM gateway_journal WHERE key = ?1");
pub const JOURNAL_SCAN: Sql = Shared(
    "SELECT key, kind, body, version, created_at_ms FROM gateway_journal
     WHERE kind = ?1 AND created_at_ms >= ?2 AND (created_at_ms, key) > (?3, ?4)
     ORDER BY created_at_ms, key LIMIT ?5",
);

// Shipping.
pub const TRACKING_CLAIM: Sql =
    Shared("INSERT INTO tracking_numbers (carrier, tracking_number, order_id) VALUES (?1, ?2, ?3)");
pub const TRACKING_EVENT_INSERT: Sql = Shared(
    "INSERT INTO tracking_events (carrier, tracking_number, status, occurred_at_ms, location, received_at_ms)
     VALUES (?1, ?2, ?3, ?4, ?5, ?6) ON CONFLICT DO NOTHING",
);
pub const TRACKING_OWNER: Sql =
    Shared("SELECT order_id FROM tracking_numbers WHERE carrier = ?1 AND tracking_number = ?2");
pub const TRACKING_EVENTS: Sql = Shared(
    "SELECT carrier, tracking_number, status, occurred_at_ms, location, received_at_ms FROM tracking_events
     WHERE carrier = ?1 AND tracking_number = ?2 ORDER BY occurred_at_ms LIMIT 200",
);

// Disputes, evidence, audit, strikes.
pub const DISPUTE_INSERT: Sql = Shared(
    "INSERT INTO disputes (id, order_id, buyer_id, store_id, state, is_open, escalated_at_ms, version, data, created_at_ms)
     VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9, ?10)",
);
pub const DISPUTE_UPDATE: Sql = Shared(
    "UPDATE disputes SET state = ?2, is_open = ?3, escalated_at_ms = ?4, version = ?5, data = ?6 WHERE id = ?1 AND version = ?7",
);
pub const DISPUTE_BY_ID: Sql = Shared("SELECT data, version FROM disputes WHERE id = ?1");
pub const DISPUTES_FOR_ORDER: Sql = Shared(
    "SELECT data, version FROM disputes WHERE order_id = ?1 ORDER BY created_at_ms, id LIMIT 100",
);
pub const DISPUTES_FOR_BUYER: Sql = Shared(
    "SELECT data, version FROM disputes WHERE buyer_id = ?1 AND (created_at_ms, id) < (?2, ?3)
     ORDER BY created_at_ms DESC, id DESC LIMIT ?4",
);
pub const DISPUTES_FOR_STORE: Sql = Shared(
    "SELECT data, version FROM disputes WHERE store_id = ?1 AND (created_at_ms, id) < (?2, ?3)
     ORDER BY created_at_ms DESC, id DESC LIMIT ?4",
);
/// A store's open disputes, oldest first (`disputes_open_by_store`).
pub const DISPUTES_OPEN_FOR_STORE: Sql = Split {
    sqlite: "SELECT data, version FROM disputes WHERE store_id = ?1 AND is_open = 1
             ORDER BY created_at_ms, id LIMIT ?2",
    postgres: "SELECT data, version FROM disputes WHERE store_id = $1 AND is_open
               ORDER BY created_at_ms, id LIMIT $2",
};
pub const DISPUTES_ESCALATED: Sql = Shared(
    "SELECT data, version FROM disputes WHERE state = 'escalated' AND (escalated_at_ms, id) > (?1, ?2)
     ORDER BY escalated_at_ms, id LIMIT ?3",
);
pub const EVIDENCE_INSERT: Sql = Shared(
    "INSERT INTO evidence_log (dispute_id, seq, at_ms, data, hash) VALUES (?1, ?2, ?3, ?4, ?5)",
);
pub const EVIDENCE_FOR_DISPUTE: Sql =
    Shared("SELECT data FROM evidence_log WHERE dispute_id = ?1 ORDER BY seq LIMIT ?2");
pub const EVIDENCE_LAST: Sql =
    Shared("SELECT data FROM evidence_log WHERE dispute_id = ?1 ORDER BY seq DESC LIMIT 1");
pub const EVIDENCE_SCAN: Sql = Shared(
    "SELECT data FROM evidence_log WHERE (dispute_id, seq) > (?1, ?2) ORDER BY dispute_id, seq LIMIT ?3",
);
pub const EVIDENCE_FILE_INSERT: Sql = Shared(
    "INSERT INTO evidence_files (hash, content_type, size_bytes, created_at_ms) VALUES (?1, ?2, ?3, ?4) ON CONFLICT DO NOTHING",
);
pub const EVIDENCE_FILE_GET: Sql = Shared(
    "SELECT hash, content_type, size_bytes, created_at_ms FROM evidence_files WHERE hash = ?1",
);
pub const AUDIT_INSERT: Sql = Shared(
    "INSERT INTO audit_log (id, order_id, at_ms, data, agent_id) VALUES (?1, ?2, ?3, ?4, ?5)",
);
/// The newest records first, before `seq` ?1.
pub const AUDIT_RECENT: Sql =
    Shared("SELECT seq, data FROM audit_log WHERE seq < ?1 ORDER BY seq DESC LIMIT ?2");
/// One agent's decisions, newest first (migration 27's partial index).
pub const AUDIT_BY_AGENT: Sql = Shared(
    "SELECT seq, data FROM audit_log WHERE agent_id = ?1 AND seq < ?2 ORDER BY seq DESC LIMIT ?3",
);
pub const AUDIT_FOR_ORDER: Sql =
    Shared("SELECT data FROM audit_log WHERE order_id = ?1 ORDER BY seq LIMIT 500");
pub const STRIKE_INSERT: Sql =
    Shared("INSERT INTO strikes (id, store_id, at_ms, data) VALUES (?1, ?2, ?3, ?4)");
pub const STRIKES_FOR_STORE: Sql =
    Shared("SELECT data FROM strikes WHERE store_id = ?1 ORDER BY at_ms LIMIT 500");
pub const PARTY_HISTORY: Sql = Shared(
    "SELECT (SELECT COUNT(*) FROM orders WHERE buyer_id = ?1),
            (SELECT COUNT(*) FROM disputes WHERE buyer_id = ?1),
            (SELECT COUNT(*) FROM orders WHERE store_id = ?2),
            (SELECT COUNT(*) FROM disputes WHERE store_id = ?2),
            (SELECT COUNT(*) FROM strikes WHERE store_id = ?2)",
);

// Messaging.
pub const CONVERSATION_INSERT: Sql = Shared(
    "INSERT INTO conversations (id, kind, order_id, listing_id, buyer_id, store_id, flagged, last_message_ms, version, data, created_at_ms)
     VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9, ?10, ?11)",
);
pub const CONVERSATION_UPDATE: Sql = Shared(
    "UPDATE conversations SET flagged = ?2, last_message_ms = ?3, version = ?4, data = ?5 WHERE id = ?1 AND version = ?6",
);
pub const MESSAGE_INSERT: Sql = Shared(
    "INSERT INTO messages (conversation_id, seq, sender_id, delivery, created_at_ms, data) VALUES (?1, ?2, ?3, ?4, ?5, ?6)",
);
/// A read marker only moves forward.
pub const READ_UPSERT: Sql = Shared(
    "INSERT INTO conversation_reads (conversation_id, user_id, last_read_seq) VALUES (?1, ?2, ?3)
     ON CONFLICT (conversation_id, user_id) DO UPDATE SET last_read_seq =
       CASE WHEN excluded.last_read_seq > conversation_reads.last_read_seq
            THEN excluded.last_read_seq ELSE conversation_reads.last_read_seq END",
);
pub const CONVERSATION_BY_ID: Sql = Shared("SELECT data, version FROM conversations WHERE id = ?1");
pub const CONVERSATION_FOR_ORDER: Sql =
    Shared("SELECT data, version FROM conversations WHERE order_id = ?1");
pub const CONVERSATION_PRESALE: Sql = Shared(
    "SELECT data, version FROM conversations WHERE listing_id = ?1 AND buyer_id = ?2 AND kind = 'pre_sale'",
);
pub const CONVERSATIONS_FOR_BUYER: Sql = Shared(
    "SELECT data, version FROM conversations WHERE buyer_id = ?1 AND (last_message_ms, id) < (?2, ?3)
     ORDER BY last_message_ms DESC, id DESC LIMIT ?4",
);
pub const CONVERSATIONS_FOR_STORE: Sql = Shared(
    "SELECT data, version FROM conversations WHERE store_id = ?1 AND (last_message_ms, id) < (?2, ?3)
     ORDER BY last_message_ms DESC, id DESC LIMIT ?4",
);
/// `flagged` is 0/1 in SQLite (matching its partial index) and a BOOLEAN
/// in PostgreSQL.
pub const CONVERSATIONS_FLAGGED: Sql = Split {
    sqlite: "SELECT data, version FROM conversations WHERE flagged = 1 AND (last_message_ms, id) > (?1, ?2)
             ORDER BY last_message_ms, id LIMIT ?3",
    postgres: "SELECT data, version FROM conversations WHERE flagged AND (last_message_ms, id) > ($1, $2)
               ORDER BY last_message_ms, id LIMIT $3",
};
pub const MESSAGES_AFTER: Sql = Shared(
    "SELECT data FROM messages WHERE conversation_id = ?1 AND seq > ?2 ORDER BY seq LIMIT ?3",
);
pub const UNREAD_COUNT: Sql = Shared(
    "SELECT COUNT(*) FROM conversations c
     JOIN messages m ON m.conversation_id = c.id
     LEFT JOIN conversation_reads r ON r.conversation_id = c.id AND r.user_id = ?1
     WHERE (c.buyer_id = ?1 OR c.store_id = ?2) AND m.sender_id != ?1 AND m.delivery != 'blocked'
       AND m.seq > COALESCE(r.last_read_seq, 0)",
);

// Payment risk.
pub const RISK_ATTEMPT_INSERT: Sql = Shared(
    "INSERT INTO risk_attempts (id, at_ms, buyer_id, order_id, card_fp, device_id, ip, address_key, amount_minor, currency, outcome, score, assessment)
     VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9, ?10, ?11, ?12, ?13)",
);
pub const RISK_OUTCOME_UPDATE: Sql =
    Shared("UPDATE risk_attempts SET outcome = ?2 WHERE order_id = ?1");
/// Counts for one key, `$key` the key's parameter; the others are shared:
/// ?1 an hour ago, ?2 a day ago, ?3 the start of the link window, ?4 the
/// current card (or ''), ?5 the buyer. Only the key's latest 100 attempts
/// are read (from a covering index, migration 21), so a key everyone shares
/// (a forwarder's address, a carrier-grade NAT) costs the same as any
/// other; the counts saturate there, far above any tier.
macro_rules! risk_counts {
    ($tag:literal, $column:literal, $key:literal) => {
        concat!(
            "SELECT CAST(", $tag, " AS BIGINT),
                    CAST(COALESCE(SUM(CASE WHEN at_ms >= ?1 THEN 1 ELSE 0 END), 0) AS BIGINT),
                    CAST(COALESCE(SUM(CASE WHEN at_ms >= ?2 THEN 1 ELSE 0 END), 0) AS BIGINT),
                    CAST(COALESCE(SUM(CASE WHEN at_ms >= ?2 AND outcome IN ('declined', 'blocked', 'refused') THEN 1 ELSE 0 END), 0) AS BIGINT),
                    CAST(COUNT(DISTINCT CASE WHEN card_fp <> ?4 THEN card_fp END) AS BIGINT),
                    CAST(COUNT(DISTINCT CASE WHEN buyer_id <> ?5 THEN buyer_id END) AS BIGINT)
             FROM (SELECT at_ms, outcome, card_fp, buyer_id FROM risk_attempts WHERE ",
            $column,
            " = ",
            $key,
            " AND at_ms >= ?3 ORDER BY at_ms DESC LIMIT 100) recent"
        )
    };
}
pub const RISK_COUNTS_BY_BUYER: Sql = Shared(risk_counts!("0", "buyer_id", "?6"));
pub const RISK_COUNTS_BY_CARD: Sql = Shared(risk_counts!("0", "card_fp", "?6"));
pub const RISK_COUNTS_BY_DEVICE: Sql = Shared(risk_counts!("0", "device_id", "?6"));
pub const RISK_COUNTS_BY_IP: Sql = Shared(risk_counts!("0", "ip", "?6"));
pub const RISK_COUNTS_BY_ADDRESS: Sql = Shared(risk_counts!("0", "address_key", "?6"));
/// The buyer's paid attempts among their latest 100 (as the counts, the
/// history saturates there: far above any tier, and a fixed read however
/// busy the account).
macro_rules! risk_history {
    ($buyer:literal, $currency:literal) => {
        concat!(
            "SELECT CAST(5 AS BIGINT), CAST(COUNT(*) AS BIGINT), CAST(COALESCE(SUM(amount_minor), 0) AS BIGINT),
                    CAST(0 AS BIGINT), CAST(0 AS BIGINT), CAST(0 AS BIGINT) FROM
               (SELECT amount_minor, outcome, currency FROM risk_attempts WHERE buyer_id = ",
            $buyer,
            " ORDER BY at_ms DESC LIMIT 100) recent
             WHERE currency = ",
            $currency,
            " AND outcome IN ('allowed', 'approved')"
        )
    };
}
/// Columns 1 and 2: paid attempts and their sum.
pub const RISK_PAID_HISTORY: Sql = Shared(risk_history!("?1", "?2"));
/// The buyer's counts (columns 1-5, as `risk_counts!`, parameters ?1-?5)
/// and paid history in ?6 (columns 6 and 7) from one pass over the
/// buyer's latest 100 attempts. Both read the same index; the month's
/// window is applied inside, which counts the same rows as taking the
/// latest 100 within the month (newest first, the month's rows come first).
pub const RISK_BUYER_COUNTS_AND_HISTORY: Sql = Shared(
    "SELECT CAST(0 AS BIGINT),
            CAST(COALESCE(SUM(CASE WHEN at_ms >= ?1 THEN 1 ELSE 0 END), 0) AS BIGINT),
            CAST(COALESCE(SUM(CASE WHEN at_ms >= ?2 THEN 1 ELSE 0 END), 0) AS BIGINT),
            CAST(COALESCE(SUM(CASE WHEN at_ms >= ?2 AND outcome IN ('declined', 'blocked', 'refused') THEN 1 ELSE 0 END), 0) AS BIGINT),
            CAST(COUNT(DISTINCT CASE WHEN at_ms >= ?3 AND card_fp <> ?4 THEN card_fp END) AS BIGINT),
            CAST(0 AS BIGINT),
            CAST(COALESCE(SUM(CASE WHEN currency = ?6 AND outcome IN ('allowed', 'approved') THEN 1 ELSE 0 END), 0) AS BIGINT),
            CAST(COALESCE(SUM(CASE WHEN currency = ?6 AND outcome IN ('allowed', 'approved') THEN amount_minor ELSE 0 END), 0) AS BIGINT)
     FROM (SELECT at_ms, outcome, card_fp, amount_minor, currency FROM risk_attempts
           WHERE buyer_id = ?5 ORDER BY at_ms DESC LIMIT 100) recent",
);
/// Among the device's latest 500 attempts, one by this buyer?
macro_rules! risk_device_seen {
    ($buyer:literal, $device:literal) => {
        concat!(
            "SELECT CAST(6 AS BIGINT), CAST(COUNT(*) AS BIGINT), CAST(0 AS BIGINT), CAST(0 AS BIGINT), CAST(0 AS BIGINT), CAST(0 AS BIGINT)
             FROM (SELECT buyer_id FROM risk_attempts WHERE device_id = ",
            $device,
            " ORDER BY at_ms DESC LIMIT 500) recent WHERE buyer_id = ",
            $buyer
        )
    };
}
/// Column 1: how many of them (0 or more).
pub const RISK_DEVICE_SEEN: Sql = Shared(risk_device_seen!("?1", "?2"));
/// Everything a payment's score reads, in one statement (one round trip,
/// one reader hand-off): a row per part, tagged in column 0. Shared
/// parameters as in `risk_counts!`; ?6 the card (NULL: none), ?7 the
/// address key, ?8 the device (NULL: none), ?9 the IP (NULL: none), ?10
/// the currency. 0 account, 1 card, 2 address, 3 device, 4 IP, 5 the
/// paid history, 6 whether the device was seen with this buyer.
pub const RISK_PAYMENT_COUNTS: Sql = Shared(concat!(
    risk_counts!("0", "buyer_id", "?5"),
    " UNION ALL ",
    risk_counts!("1", "card_fp", "?6"),
    " UNION ALL ",
    risk_counts!("2", "address_key", "?7"),
    " UNION ALL ",
    risk_counts!("3", "device_id", "?8"),
    " UNION ALL ",
    risk_counts!("4", "ip", "?9"),
    " UNION ALL ",
    risk_history!("?5", "?10"),
    " UNION ALL ",
    risk_device_seen!("?5", "?8")
));
pub const RISK_ATTEMPT_BY_ORDER: Sql = Shared(concat!(
    "SELECT id, at_ms, buyer_id, order_id, card_fp, device_id, ip, address_key, amount_minor, currency, outcome, score, assessment",
    " FROM risk_attempts WHERE order_id = ?1 ORDER BY at_ms DESC LIMIT 1"
));
pub const RISK_ATTEMPT_BY_ID: Sql = Shared(concat!(
    "SELECT id, at_ms, buyer_id, order_id, card_fp, device_id, ip, address_key, amount_minor, currency, outcome, score, assessment",
    " FROM risk_attempts WHERE id = ?1"
));
/// The review queue: a literal outcome, so the partial index serves it.
pub const RISK_ATTEMPTS_IN_REVIEW: Sql = Shared(concat!(
    "SELECT id, at_ms, buyer_id, order_id, card_fp, device_id, ip, address_key, amount_minor, currency, outcome, score, assessment",
    " FROM risk_attempts WHERE outcome = 'review' AND (at_ms, id) > (?1, ?2) ORDER BY at_ms, id LIMIT ?3"
));
pub const RISK_ATTEMPTS_RECENT: Sql = Shared(concat!(
    "SELECT id, at_ms, buyer_id, order_id, card_fp, device_id, ip, address_key, amount_minor, currency, outcome, score, assessment",
    " FROM risk_attempts ORDER BY at_ms DESC, id DESC LIMIT ?1"
));
/// ?1 buyer, ?2 device, ?3 card, ?4 ip, ?5 address, ?6 limit; each key's
/// latest 200 attempts by others.
pub const RISK_LINKED_ACCOUNTS: Sql = Shared(
    "SELECT buyer_id, via, COUNT(*) FROM (
        SELECT buyer_id, 'device' AS via FROM (SELECT buyer_id FROM risk_attempts WHERE device_id = ?2 AND buyer_id <> ?1 ORDER BY at_ms DESC LIMIT 200) d
        UNION ALL SELECT buyer_id, 'card' AS via FROM (SELECT buyer_id FROM risk_attempts WHERE card_fp = ?3 AND buyer_id <> ?1 ORDER BY at_ms DESC LIMIT 200) c
        UNION ALL SELECT buyer_id, 'ip' AS via FROM (SELECT buyer_id FROM risk_attempts WHERE ip = ?4 AND buyer_id <> ?1 ORDER BY at_ms DESC LIMIT 200) i
        UNION ALL SELECT buyer_id, 'address' AS via FROM (SELECT buyer_id FROM risk_attempts WHERE address_key = ?5 AND buyer_id <> ?1 ORDER BY at_ms DESC LIMIT 200) a
     ) linked GROUP BY buyer_id, via ORDER BY COUNT(*) DESC, buyer_id, via LIMIT ?6",
);
pub const RISK_RULE_INSERT: Sql = Shared(
    "INSERT INTO risk_rules (id, version, name, action, expression, enabled, updated_at_ms, updated_by)
     VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8) ON CONFLICT (id) DO NOTHING",
);
pub const RISK_RULE_UPDATE: Sql = Shared(
    "UPDATE risk_rules SET version = ?2, name = ?3, action = ?4, expression = ?5, enabled = ?6, updated_at_ms = ?7, updated_by = ?8
     WHERE id = ?1 AND version = ?9",
);
pub const RISK_RULE_VERSION_INSERT: Sql = Shared(
    "INSERT INTO risk_rule_versions (id, version, name, action, expression, enabled, updated_at_ms, updated_by)
     VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8)",
);
pub const RISK_RULES: Sql = Shared(
    "SELECT r.id, r.version, r.name, r.action, r.expression, r.enabled, r.updated_at_ms, r.updated_by
     FROM risk_rules r JOIN risk_rule_versions first ON first.id = r.id AND first.version = 1
     ORDER BY first.updated_at_ms, r.id",
);
pub const RISK_RULE_VERSIONS: Sql = Shared(
    "SELECT id, version, name, action, expression, enabled, updated_at_ms, updated_by
     FROM risk_rule_versions WHERE id = ?1 ORDER BY version DESC LIMIT 100",
);
pub const RISK_LIST_ADD: Sql = Shared(
    "INSERT INTO risk_lists (name, value, added_at_ms, added_by) VALUES (?1, ?2, ?3, ?4) ON CONFLICT (name, value) DO NOTHING",
);
pub const RISK_LIST_REMOVE: Sql = Shared("DELETE FROM risk_lists WHERE name = ?1 AND value = ?2");
pub const RISK_LISTS: Sql = Shared(
    "SELECT name, value, added_at_ms, added_by FROM risk_lists ORDER BY name, value LIMIT 10000",
);

// Seller enforcement.
pub const ENFORCEMENT_INSERT: Sql = Shared(
    "INSERT INTO store_enforcement (store_id, level, data, version, appeal_pending, updated_at_ms)
     VALUES (?1, ?2, ?3, 1, ?4, ?5) ON CONFLICT (store_id) DO NOTHING",
);
pub const ENFORCEMENT_UPDATE: Sql = Shared(
    "UPDATE store_enforcement SET level = ?2, data = ?3, version = version + 1, appeal_pending = ?4, updated_at_ms = ?5
     WHERE store_id = ?1 AND version = ?6",
);
pub const ENFORCEMENT_BY_STORE: Sql =
    Shared("SELECT data, version FROM store_enforcement WHERE store_id = ?1");
pub const ENFORCEMENT_PAGE: Sql = Shared(
    "SELECT data, version, updated_at_ms, store_id FROM store_enforcement
     WHERE (level <> 'good' OR appeal_pending = 1) AND (updated_at_ms, store_id) > (?1, ?2)
     ORDER BY updated_at_ms, store_id LIMIT ?3",
);
/// ?1 store, ?2 window start: paid orders, disputes lost (resolved with
/// money back to the buyer), chargebacks that took money, strikes.
pub const SELLER_METRICS: Sql = Shared(
    "SELECT (SELECT COUNT(*) FROM orders WHERE store_id = ?1 AND created_at_ms >= ?2
               AND state NOT IN ('pending_payment', 'cancelled')),
            (SELECT COUNT(*) FROM disputes d JOIN orders o ON o.id = d.order_id
              WHERE d.store_id = ?1 AND d.created_at_ms >= ?2 AND d.state = 'resolved'
                AND o.state IN ('refunded', 'partially_refunded')),
            (SELECT COUNT(DISTINCT e.order_id) FROM ledger_entries e JOIN orders o ON o.id = e.order_id
              WHERE o.store_id = ?1 AND e.kind = 'chargeback' AND e.created_at_ms >= ?2),
            (SELECT COUNT(*) FROM strikes WHERE store_id = ?1),
            (SELECT COUNT(*) FROM reviews WHERE store_id = ?1 AND counted = 1 AND rating <= 2
               AND published_at_ms >= ?2)",
);

// Reputation.
pub const REVIEW_INSERT: Sql = Shared(
    "INSERT INTO reviews (id, order_id, store_id, listing_id, buyer_id, rating, is_public, counted, removed, held,
                          has_photos, created_at_ms, published_at_ms, data, version)
     VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9, ?10, ?11, ?12, ?13, ?14, 1)",
);
pub const REVIEW_UPDATE: Sql = Shared(
    "UPDATE reviews SET rating = ?6, is_public = ?7, counted = ?8, removed = ?9, held = ?10, has_photos = ?11,
                        published_at_ms = ?13, data = ?14, version = version + 1
     WHERE id = ?1 AND order_id = ?2 AND store_id = ?3 AND listing_id = ?4 AND buyer_id = ?5
       AND created_at_ms = ?12 AND version = ?15",
);
pub const REVIEW_BY_ID: Sql = Shared("SELECT data, version FROM reviews WHERE id = ?1");
pub const REVIEW_BY_ORDER: Sql = Shared("SELECT data, version FROM reviews WHERE order_id = ?1");
pub const REVIEWS_FOR_STORE: Sql = Shared(
    "SELECT data, version FROM reviews
     WHERE store_id = ?1 AND is_public = 1 AND (?2 = 0 OR rating = ?2) AND (?3 = 0 OR has_photos = 1)
       AND (created_at_ms, id) < (?4, ?5)
     ORDER BY created_at_ms DESC, id DESC LIMIT ?6",
);
pub const REVIEWS_HELD: Sql = Shared(
    "SELECT data, version FROM reviews WHERE held = 1 AND (created_at_ms, id) > (?1, ?2)
     ORDER BY created_at_ms, id LIMIT ?3",
);
pub const REVIEWS_SCAN: Sql =
    Shared("SELECT data, version FROM reviews WHERE id > ?1 ORDER BY id LIMIT ?2");
pub const ORDERS_SCAN_FULL: Sql =
    Shared("SELECT data, version FROM orders WHERE id > ?1 ORDER BY id LIMIT ?2");
pub const CONVERSATIONS_SCAN: Sql =
    Shared("SELECT data, version FROM conversations WHERE id > ?1 ORDER BY id LIMIT ?2");
pub const BUYER_RATING_INSERT: Sql = Shared(
    "INSERT INTO buyer_ratings (order_id, store_id, buyer_id, rating, created_at_ms, published_at_ms, data)
     VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7)",
);
pub const BUYER_RATING_PUBLISH: Sql = Shared(
    "UPDATE buyer_ratings SET published_at_ms = ?6, data = ?7
     WHERE order_id = ?1 AND store_id = ?2 AND buyer_id = ?3 AND rating = ?4 AND created_at_ms = ?5",
);
pub const BUYER_RATING_BY_ORDER: Sql = Shared("SELECT data FROM buyer_ratings WHERE order_id = ?1");
pub const BUYER_RATING_SUMMARY: Sql = Shared(
    "SELECT COUNT(*), COALESCE(CAST(SUM(rating) AS BIGINT), 0) FROM buyer_ratings
     WHERE buyer_id = ?1 AND published_at_ms IS NOT NULL",
);
pub const STORE_STATS_ADD: Sql = Shared(
    "INSERT INTO store_stats (store_id, month, shard, orders_paid, orders_disputed, shipped, shipped_on_time, orders_completed, items_sold, stars_1, stars_2, stars_3, stars_4, stars_5, described_sum, described_count, communication_sum, communication_count, shipping_sum, shipping_count, questions, answered, answered_in_day, answer_s_sum)
     VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9, ?10, ?11, ?12, ?13, ?14, ?15, ?16, ?17, ?18, ?19, ?20, ?21, ?22, ?23, ?24)
     ON CONFLICT (store_id, month, shard) DO UPDATE SET
         orders_paid = store_stats.orders_paid + excluded.orders_paid,
         orders_disputed = store_stats.orders_disputed + excluded.orders_disputed,
         shipped = store_stats.shipped + excluded.shipped,
         shipped_on_time = store_stats.shipped_on_time + excluded.shipped_on_time,
         orders_completed = store_stats.orders_completed + excluded.orders_completed,
         items_sold = store_stats.items_sold + excluded.items_sold,
         stars_1 = store_stats.stars_1 + excluded.stars_1,
         stars_2 = store_stats.stars_2 + excluded.stars_2,
         stars_3 = store_stats.stars_3 + excluded.stars_3,
         stars_4 = store_stats.stars_4 + excluded.stars_4,
         stars_5 = store_stats.stars_5 + excluded.stars_5,
         described_sum = store_stats.described_sum + excluded.described_sum,
         described_count = store_stats.described_count + excluded.described_count,
         communication_sum = store_stats.communication_sum + excluded.communication_sum,
         communication_count = store_stats.communication_count + excluded.communication_count,
         shipping_sum = store_stats.shipping_sum + excluded.shipping_sum,
         shipping_count = store_stats.shipping_count + excluded.shipping_count,
         questions = store_stats.questions + excluded.questions,
         answered = store_stats.answered + excluded.answered,
         answered_in_day = store_stats.answered_in_day + excluded.answered_in_day,
         answer_s_sum = store_stats.answer_s_sum + excluded.answer_s_sum",
);
pub const STORE_STATS_FOR_STORE: Sql = Shared(
    "SELECT month, CAST(SUM(orders_paid) AS BIGINT), CAST(SUM(orders_disputed) AS BIGINT), CAST(SUM(shipped) AS BIGINT), CAST(SUM(shipped_on_time) AS BIGINT), CAST(SUM(orders_completed) AS BIGINT), CAST(SUM(items_sold) AS BIGINT), CAST(SUM(stars_1) AS BIGINT), CAST(SUM(stars_2) AS BIGINT), CAST(SUM(stars_3) AS BIGINT), CAST(SUM(stars_4) AS BIGINT), CAST(SUM(stars_5) AS BIGINT), CAST(SUM(described_sum) AS BIGINT), CAST(SUM(described_count) AS BIGINT), CAST(SUM(communication_sum) AS BIGINT), CAST(SUM(communication_count) AS BIGINT), CAST(SUM(shipping_sum) AS BIGINT), CAST(SUM(shipping_count) AS BIGINT), CAST(SUM(questions) AS BIGINT), CAST(SUM(answered) AS BIGINT), CAST(SUM(answered_in_day) AS BIGINT), CAST(SUM(answer_s_sum) AS BIGINT)
     FROM store_stats WHERE store_id = ?1 GROUP BY month ORDER BY month",
);
pub const STORE_STATS_RESET: Sql = Shared("DELETE FROM store_stats");
pub const STORE_BUYERS_RESET: Sql = Shared("DELETE FROM store_buyers");
/// Keeps each buyer's two latest completions, whatever order they come in.
pub const STORE_BUYER_COMPLETED: Sql = Shared(
    "INSERT INTO store_buyers (store_id, buyer_id, last_completed_ms, prev_completed_ms) VALUES (?1, ?2, ?3, NULL)
     ON CONFLICT (store_id, buyer_id) DO UPDATE SET
         prev_completed_ms = CASE
             WHEN excluded.last_completed_ms >= store_buyers.last_completed_ms THEN store_buyers.last_completed_ms
             WHEN store_buyers.prev_completed_ms IS NULL OR excluded.last_completed_ms > store_buyers.prev_completed_ms
                 THEN excluded.last_completed_ms
             ELSE store_buyers.prev_completed_ms END,
         last_completed_ms = CASE
             WHEN excluded.last_completed_ms >= store_buyers.last_completed_ms THEN excluded.last_completed_ms
             ELSE store_buyers.last_completed_ms END",
);
pub const REGULAR_BUYERS: Sql =
    Shared("SELECT COUNT(*) FROM store_buyers WHERE store_id = ?1 AND prev_completed_ms >= ?2");
pub const REVIEW_SIGNALS: Sql = Shared(
    "SELECT r.id, r.order_id, r.buyer_id, r.store_id, r.listing_id, r.rating, r.created_at_ms, u.created_at_ms,
            a.device_id, a.ip, a.address_key, a.card_fp, r.removed
     FROM reviews r JOIN users u ON u.id = r.buyer_id
     LEFT JOIN risk_attempts a ON a.id = (SELECT x.id FROM risk_attempts x WHERE x.order_id = r.order_id LIMIT 1)
     WHERE r.created_at_ms >= ?1 AND r.id > ?2 ORDER BY r.id LIMIT ?3",
);
pub const REVIEW_SIGNALS_FOR: Sql = Shared(
    "SELECT r.id, r.order_id, r.buyer_id, r.store_id, r.listing_id, r.rating, r.created_at_ms, u.created_at_ms,
            a.device_id, a.ip, a.address_key, a.card_fp, r.removed
     FROM reviews r JOIN users u ON u.id = r.buyer_id
     LEFT JOIN risk_attempts a ON a.id = (SELECT x.id FROM risk_attempts x WHERE x.order_id = r.order_id LIMIT 1)
     WHERE (r.store_id = ?1 OR r.buyer_id = ?2) AND r.created_at_ms >= ?3
     ORDER BY r.created_at_ms DESC, r.id DESC LIMIT ?4",
);
/// Identifiers of stores' owners, for the brushing detector's "shared with
/// the store" signal: what the owner paid with as a buyer (device, card,
/// address, IP) and the IPs they signed in from, since ?1; one store's
/// owner when ?2 is not '' (then at most ?3 rows).
pub const STORE_OWNER_IDENTIFIERS: Sql = Shared(
    "SELECT s.id, a.device_id, a.card_fp, a.address_key, a.ip FROM shops s JOIN risk_attempts a ON a.buyer_id = s.owner_id
     WHERE a.at_ms >= ?1 AND (?2 = '' OR s.id = ?2)
     UNION ALL
     SELECT s.id, NULL, NULL, NULL, x.ip FROM shops s JOIN sessions x ON x.user_id = s.owner_id
     WHERE x.created_at_ms >= ?1 AND x.ip <> '' AND (?2 = '' OR s.id = ?2)
     LIMIT ?3",
);
pub const STRIKE_DELETE: Sql = Shared("DELETE FROM strikes WHERE id = ?1");
pub const INTEGRITY_CASE_INSERT: Sql = Shared(
    "INSERT INTO integrity_cases (id, store_id, status, created_at_ms, data, version) VALUES (?1, ?2, ?3, ?4, ?5, 1)",
);
pub const INTEGRITY_CASE_UPDATE: Sql = Shared(
    "UPDATE integrity_cases SET status = ?3, data = ?5, version = version + 1
     WHERE id = ?1 AND store_id = ?2 AND created_at_ms = ?4 AND version = ?6",
);
pub const INTEGRITY_CASE_BY_ID: Sql =
    Shared("SELECT data, version FROM integrity_cases WHERE id = ?1");
pub const INTEGRITY_CASE_OPEN_FOR_STORE: Sql = Shared(
    "SELECT data, version FROM integrity_cases WHERE store_id = ?1 AND status = 'open'
     ORDER BY created_at_ms DESC, id DESC LIMIT 1",
);
/// The open cases, a work queue: the longest-waiting first.
pub const INTEGRITY_CASES_OPEN: Sql = Shared(
    "SELECT data, version FROM integrity_cases WHERE status = 'open' AND (created_at_ms, id) > (?1, ?2)
     ORDER BY created_at_ms, id LIMIT ?3",
);
pub const INTEGRITY_CASES_PAGE: Sql = Shared(
    "SELECT data, version FROM integrity_cases WHERE (?1 = '' OR status = ?1) AND (created_at_ms, id) < (?2, ?3)
     ORDER BY created_at_ms DESC, id DESC LIMIT ?4",
);
