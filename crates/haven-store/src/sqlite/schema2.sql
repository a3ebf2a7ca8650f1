-- Migration 2: the dispute centre.
CREATE TABLE disputes (
    id TEXT PRIMARY KEY,
    order_id TEXT NOT NULL REFERENCES orders(id),
    buyer_id TEXT NOT NULL,
    store_id TEXT NOT NULL,
    state TEXT NOT NULL,
    is_open INTEGER NOT NULL,
    escalated_at_ms INTEGER,
    version INTEGER NOT NULL,
    data TEXT NOT NULL,
    created_at_ms INTEGER NOT NULL
);
-- One open dispute per order, enforced by the database as well.
CREATE UNIQUE INDEX disputes_one_open_per_order ON disputes(order_id) WHERE is_open = 1;
CREATE INDEX disputes_by_order ON disputes(order_id, created_at_ms);
CREATE INDEX disputes_by_buyer ON disputes(buyer_id, created_at_ms DESC, id DESC);
CREATE INDEX disputes_by_store ON disputes(store_id, created_at_ms DESC, id DESC);
CREATE INDEX disputes_queue ON disputes(escalated_at_ms, id) WHERE state = 'escalated';
CREATE TABLE evidence_log (
    dispute_id TEXT NOT NULL,
    seq INTEGER NOT NULL,
    at_ms INTEGER NOT NULL,
    data TEXT NOT NULL,
    hash TEXT NOT NULL,
    PRIMARY KEY (dispute_id, seq)
);
CREATE TABLE evidence_files (
    hash TEXT PRIMARY KEY,
    content_type TEXT NOT NULL,
    size_bytes INTEGER NOT NULL,
    created_at_ms INTEGER NOT NULL
);
CREATE TABLE audit_log (
    seq INTEGER PRIMARY KEY AUTOINCREMENT,
    id TEXT NOT NULL UNIQUE,
    order_id TEXT NOT NULL,
    at_ms INTEGER NOT NULL,
    data TEXT NOT NULL
);
CREATE INDEX audit_by_order ON audit_log(order_id, seq);
CREATE TABLE strikes (
    id TEXT PRIMARY KEY,
    store_id TEXT NOT NULL,
    at_ms INTEGER NOT NULL,
    data TEXT NOT NULL
);
CREATE INDEX strikes_by_store ON strikes(store_id, at_ms);
