-- Migration 19: bundle deals, one row per bundle (its definition as JSON).
CREATE TABLE bundles (
    id TEXT PRIMARY KEY,
    store_id TEXT NOT NULL,
    data TEXT NOT NULL,
    created_at_ms INTEGER NOT NULL
);
CREATE INDEX bundles_by_store ON bundles(store_id, created_at_ms DESC, id DESC);
