-- Migration 4: account security and messaging.
ALTER TABLE users ADD COLUMN version INTEGER NOT NULL DEFAULT 1;
ALTER TABLE users ADD COLUMN identity_status TEXT NOT NULL DEFAULT 'none';
CREATE INDEX users_identity_pending ON users(identity_status, created_at_ms) WHERE identity_status = 'pending';
ALTER TABLE sessions ADD COLUMN user_agent TEXT NOT NULL DEFAULT '';
ALTER TABLE sessions ADD COLUMN ip TEXT NOT NULL DEFAULT '';
ALTER TABLE sessions ADD COLUMN last_seen_ms INTEGER NOT NULL DEFAULT 0;
ALTER TABLE sessions ADD COLUMN reauth_ms INTEGER NOT NULL DEFAULT 0;
CREATE INDEX sessions_by_user ON sessions(user_id, created_at_ms);
CREATE TABLE one_time_tokens (
    token_hash TEXT PRIMARY KEY,
    kind TEXT NOT NULL,
    user_id TEXT NOT NULL,
    created_at_ms INTEGER NOT NULL,
    expires_at_ms INTEGER NOT NULL,
    used_at_ms INTEGER,
    data TEXT NOT NULL
);
CREATE TABLE conversations (
    id TEXT PRIMARY KEY,
    kind TEXT NOT NULL,
    order_id TEXT,
    listing_id TEXT NOT NULL,
    buyer_id TEXT NOT NULL,
    store_id TEXT NOT NULL,
    flagged INTEGER NOT NULL,
    last_message_ms INTEGER NOT NULL,
    version INTEGER NOT NULL,
    data TEXT NOT NULL,
    created_at_ms INTEGER NOT NULL
);
CREATE UNIQUE INDEX conversations_one_per_order ON conversations(order_id) WHERE order_id IS NOT NULL;
CREATE UNIQUE INDEX conversations_one_presale ON conversations(listing_id, buyer_id) WHERE kind = 'pre_sale';
CREATE INDEX conversations_by_buyer ON conversations(buyer_id, last_message_ms DESC, id DESC);
CREATE INDEX conversations_by_store ON conversations(store_id, last_message_ms DESC, id DESC);
CREATE INDEX conversations_flagged ON conversations(last_message_ms DESC, id DESC) WHERE flagged = 1;
CREATE TABLE messages (
    conversation_id TEXT NOT NULL,
    seq INTEGER NOT NULL,
    sender_id TEXT NOT NULL,
    delivery TEXT NOT NULL,
    created_at_ms INTEGER NOT NULL,
    data TEXT NOT NULL,
    PRIMARY KEY (conversation_id, seq)
);
CREATE TABLE conversation_reads (
    conversation_id TEXT NOT NULL,
    user_id TEXT NOT NULL,
    last_read_seq INTEGER NOT NULL,
    PRIMARY KEY (conversation_id, user_id)
);
CREATE TABLE security_flags (
    id TEXT PRIMARY KEY,
    kind TEXT NOT NULL,
    subject TEXT NOT NULL,
    created_at_ms INTEGER NOT NULL,
    data TEXT NOT NULL
);
CREATE INDEX security_flags_by_created ON security_flags(created_at_ms DESC, id DESC);
