-- Haven schema, PostgreSQL dialect: the same tables, columns, indexes and
-- constraints as sqlite/schema.sql. Instants in indexed columns are Unix
-- milliseconds (BIGINT); nested details are JSON text in `data`, kept as TEXT
-- so what is read back is byte-for-byte what was written. Ids stay TEXT like
-- in SQLite. Columns used for ordering or keyset pagination are
-- COLLATE "C" so they sort bytewise, as SQLite does, whatever the database
-- locale.
CREATE TABLE policy_versions (
    version BIGINT PRIMARY KEY,
    data TEXT NOT NULL,
    created_at_ms BIGINT NOT NULL
);
CREATE TABLE users (
    id TEXT PRIMARY KEY,
    email TEXT NOT NULL UNIQUE,
    data TEXT NOT NULL,
    created_at_ms BIGINT NOT NULL
);
CREATE TABLE sessions (
    token_hash TEXT PRIMARY KEY,
    user_id TEXT NOT NULL REFERENCES users(id),
    kind TEXT NOT NULL,
    created_at_ms BIGINT NOT NULL,
    expires_at_ms BIGINT NOT NULL
);
CREATE TABLE shops (
    id TEXT COLLATE "C" PRIMARY KEY,
    owner_id TEXT NOT NULL UNIQUE REFERENCES users(id),
    data TEXT NOT NULL,
    created_at_ms BIGINT NOT NULL
);
CREATE INDEX shops_by_created ON shops(created_at_ms DESC, id DESC);
CREATE TABLE listings (
    id TEXT COLLATE "C" PRIMARY KEY,
    store_id TEXT NOT NULL REFERENCES shops(id),
    category TEXT NOT NULL,
    stock BIGINT NOT NULL CHECK (stock >= 0),
    data TEXT NOT NULL,
    created_at_ms BIGINT NOT NULL
);
CREATE INDEX listings_by_created ON listings(created_at_ms DESC, id DESC);
CREATE INDEX listings_by_category ON listings(category, created_at_ms DESC, id DESC);
CREATE INDEX listings_by_store ON listings(store_id, created_at_ms DESC, id DESC);
CREATE TABLE media (
    hash TEXT PRIMARY KEY,
    content_type TEXT NOT NULL,
    bytes BYTEA NOT NULL
);
CREATE TABLE orders (
    id TEXT COLLATE "C" PRIMARY KEY,
    buyer_id TEXT NOT NULL REFERENCES users(id),
    store_id TEXT NOT NULL REFERENCES shops(id),
    state TEXT NOT NULL,
    total_minor BIGINT NOT NULL,
    version BIGINT NOT NULL,
    data TEXT NOT NULL,
    created_at_ms BIGINT NOT NULL
);
CREATE INDEX orders_by_buyer ON orders(buyer_id, created_at_ms DESC, id DESC);
CREATE INDEX orders_by_store ON orders(store_id, created_at_ms DESC, id DESC);
CREATE TABLE ledger_entries (
    seq BIGSERIAL PRIMARY KEY,
    id TEXT NOT NULL UNIQUE,
    idempotency_key TEXT NOT NULL UNIQUE,
    kind TEXT NOT NULL,
    order_id TEXT,
    payout_id TEXT,
    created_at_ms BIGINT NOT NULL
);
CREATE INDEX ledger_entries_by_order ON ledger_entries(order_id) WHERE order_id IS NOT NULL;
-- `id` stands in for SQLite's rowid: postings read back in insertion order.
CREATE TABLE ledger_postings (
    id BIGSERIAL PRIMARY KEY,
    entry_seq BIGINT NOT NULL REFERENCES ledger_entries(seq),
    account TEXT NOT NULL,
    currency TEXT NOT NULL,
    amount_minor BIGINT NOT NULL
);
CREATE INDEX ledger_postings_by_entry ON ledger_postings(entry_seq, id);
CREATE TABLE account_balances (
    account TEXT COLLATE "C" NOT NULL,
    currency TEXT COLLATE "C" NOT NULL,
    balance_minor BIGINT NOT NULL,
    PRIMARY KEY (account, currency)
);
CREATE TABLE scheduled_actions (
    id TEXT PRIMARY KEY,
    order_id TEXT NOT NULL,
    kind TEXT NOT NULL,
    due_at_ms BIGINT NOT NULL,
    lease_until_ms BIGINT NOT NULL DEFAULT 0,
    attempts INTEGER NOT NULL DEFAULT 0,
    UNIQUE (order_id, kind)
);
CREATE INDEX scheduled_actions_due ON scheduled_actions(due_at_ms);
CREATE TABLE outbox (
    seq BIGSERIAL PRIMARY KEY,
    id TEXT NOT NULL UNIQUE,
    topic TEXT NOT NULL,
    payload TEXT NOT NULL,
    created_at_ms BIGINT NOT NULL,
    delivered_at_ms BIGINT
);
CREATE TABLE tracking_numbers (
    carrier TEXT NOT NULL,
    tracking_number TEXT NOT NULL,
    order_id TEXT NOT NULL,
    PRIMARY KEY (carrier, tracking_number)
);
CREATE TABLE tracking_events (
    carrier TEXT NOT NULL,
    tracking_number TEXT NOT NULL,
    status TEXT NOT NULL,
    occurred_at_ms BIGINT NOT NULL,
    location TEXT NOT NULL,
    received_at_ms BIGINT NOT NULL,
    PRIMARY KEY (carrier, tracking_number, status, occurred_at_ms)
);
CREATE TABLE payouts (
    id TEXT COLLATE "C" PRIMARY KEY,
    store_id TEXT NOT NULL,
    amount_minor BIGINT NOT NULL,
    currency TEXT NOT NULL,
    state TEXT NOT NULL,
    created_at_ms BIGINT NOT NULL
);
CREATE INDEX payouts_by_store ON payouts(store_id, created_at_ms DESC, id DESC);
CREATE TABLE idempotency_keys (
    user_id TEXT NOT NULL,
    key TEXT NOT NULL,
    request_hash TEXT NOT NULL,
    status INTEGER NOT NULL,
    body TEXT NOT NULL,
    created_at_ms BIGINT NOT NULL,
    PRIMARY KEY (user_id, key)
);
