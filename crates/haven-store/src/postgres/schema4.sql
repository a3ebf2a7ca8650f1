-- Migration 4, PostgreSQL dialect: account security and messaging. The same
-- columns, indexes and constraints as sqlite/schema4.sql, with the
-- conventions of schema.sql: instants are Unix milliseconds (BIGINT), JSON is
-- TEXT, and ids used for keyset pagination are COLLATE "C" so they sort
-- bytewise, as SQLite does. `flagged` is a BOOLEAN (0/1 in SQLite). Every
-- statement is IF NOT EXISTS, so the script is safe to run again.
ALTER TABLE users ADD COLUMN IF NOT EXISTS version BIGINT NOT NULL DEFAULT 1;
ALTER TABLE users ADD COLUMN IF NOT EXISTS identity_status TEXT NOT NULL DEFAULT 'none';
CREATE INDEX IF NOT EXISTS users_identity_pending ON users(identity_status, created_at_ms) WHERE identity_status = 'pending';
ALTER TABLE sessions ADD COLUMN IF NOT EXISTS user_agent TEXT NOT NULL DEFAULT '';
ALTER TABLE sessions ADD COLUMN IF NOT EXISTS ip TEXT NOT NULL DEFAULT '';
ALTER TABLE sessions ADD COLUMN IF NOT EXISTS last_seen_ms BIGINT NOT NULL DEFAULT 0;
ALTER TABLE sessions ADD COLUMN IF NOT EXISTS reauth_ms BIGINT NOT NULL DEFAULT 0;
CREATE INDEX IF NOT EXISTS sessions_by_user ON sessions(user_id, created_at_ms);
CREATE TABLE IF NOT EXISTS one_time_tokens (
    token_hash TEXT PRIMARY KEY,
    kind TEXT NOT NULL,
    user_id TEXT NOT NULL,
    created_at_ms BIGINT NOT NULL,
    expires_at_ms BIGINT NOT NULL,
    used_at_ms BIGINT,
    data TEXT NOT NULL
);
CREATE TABLE IF NOT EXISTS conversations (
    id TEXT COLLATE "C" PRIMARY KEY,
    kind TEXT NOT NULL,
    order_id TEXT,
    listing_id TEXT NOT NULL,
    buyer_id TEXT NOT NULL,
    store_id TEXT NOT NULL,
    flagged BOOLEAN NOT NULL,
    last_message_ms BIGINT NOT NULL,
    version BIGINT NOT NULL,
    data TEXT NOT NULL,
    created_at_ms BIGINT NOT NULL
);
-- One conversation per order, and one pre-sale conversation per buyer and
-- listing: a concurrent opener waits for the first and then fails on it.
CREATE UNIQUE INDEX IF NOT EXISTS conversations_one_per_order ON conversations(order_id) WHERE order_id IS NOT NULL;
CREATE UNIQUE INDEX IF NOT EXISTS conversations_one_presale ON conversations(listing_id, buyer_id) WHERE kind = 'pre_sale';
CREATE INDEX IF NOT EXISTS conversations_by_buyer ON conversations(buyer_id, last_message_ms DESC, id DESC);
CREATE INDEX IF NOT EXISTS conversations_by_store ON conversations(store_id, last_message_ms DESC, id DESC);
CREATE INDEX IF NOT EXISTS conversations_flagged ON conversations(last_message_ms DESC, id DESC) WHERE flagged;
CREATE TABLE IF NOT EXISTS messages (
    conversation_id TEXT NOT NULL,
    seq BIGINT NOT NULL,
    sender_id TEXT NOT NULL,
    delivery TEXT NOT NULL,
    created_at_ms BIGINT NOT NULL,
    data TEXT NOT NULL,
    PRIMARY KEY (conversation_id, seq)
);
CREATE TABLE IF NOT EXISTS conversation_reads (
    conversation_id TEXT NOT NULL,
    user_id TEXT NOT NULL,
    last_read_seq BIGINT NOT NULL,
    PRIMARY KEY (conversation_id, user_id)
);
CREATE TABLE IF NOT EXISTS security_flags (
    id TEXT COLLATE "C" PRIMARY KEY,
    kind TEXT NOT NULL,
    subject TEXT NOT NULL,
    created_at_ms BIGINT NOT NULL,
    data TEXT NOT NULL
);
CREATE INDEX IF NOT EXISTS security_flags_by_created ON security_flags(created_at_ms DESC, id DESC);
