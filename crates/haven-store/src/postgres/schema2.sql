-- Migration 2, PostgreSQL dialect: the dispute centre. The same tables,
-- columns and indexes as sqlite/schema2.sql, with the conventions of
-- schema.sql: instants are Unix milliseconds (BIGINT), JSON is TEXT (the
-- evidence hashes are computed over serde_json output, and TEXT gives back
-- exactly the bytes written, where JSONB would reorder keys), and columns
-- used for ordering or keyset pagination are COLLATE "C" so they sort
-- bytewise, as SQLite does.
CREATE TABLE disputes (
    id TEXT COLLATE "C" PRIMARY KEY,
    order_id TEXT NOT NULL REFERENCES orders(id),
    buyer_id TEXT NOT NULL,
    store_id TEXT NOT NULL,
    state TEXT NOT NULL,
    is_open BOOLEAN NOT NULL,
    escalated_at_ms BIGINT,
    version BIGINT NOT NULL,
    data TEXT NOT NULL,
    created_at_ms BIGINT NOT NULL
);
-- One open dispute per order, enforced by the database as well.
CREATE UNIQUE INDEX disputes_one_open_per_order ON disputes(order_id) WHERE is_open;
CREATE INDEX disputes_by_order ON disputes(order_id, created_at_ms);
CREATE INDEX disputes_by_buyer ON disputes(buyer_id, created_at_ms DESC, id DESC);
CREATE INDEX disputes_by_store ON disputes(store_id, created_at_ms DESC, id DESC);
CREATE INDEX disputes_queue ON disputes(escalated_at_ms, id) WHERE state = 'escalated';
CREATE TABLE evidence_log (
    dispute_id TEXT COLLATE "C" NOT NULL,
    seq BIGINT NOT NULL,
    at_ms BIGINT NOT NULL,
    data TEXT NOT NULL,
    hash TEXT NOT NULL,
    PRIMARY KEY (dispute_id, seq)
);
CREATE TABLE evidence_files (
    hash TEXT PRIMARY KEY,
    content_type TEXT NOT NULL,
    size_bytes BIGINT NOT NULL,
    created_at_ms BIGINT NOT NULL
);
CREATE TABLE audit_log (
    seq BIGSERIAL PRIMARY KEY,
    id TEXT NOT NULL UNIQUE,
    order_id TEXT NOT NULL,
    at_ms BIGINT NOT NULL,
    data TEXT NOT NULL
);
CREATE INDEX audit_by_order ON audit_log(order_id, seq);
-- `seq` stands in for SQLite's rowid, as in ledger_postings: strikes with the
-- same `at_ms` read back in insertion order, as they do on SQLite.
CREATE TABLE strikes (
    seq BIGSERIAL NOT NULL,
    id TEXT PRIMARY KEY,
    store_id TEXT NOT NULL,
    at_ms BIGINT NOT NULL,
    data TEXT NOT NULL
);
CREATE INDEX strikes_by_store ON strikes(store_id, at_ms, seq);
