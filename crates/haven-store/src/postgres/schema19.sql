-- Migration 19: bundle deals, one row per bundle (its definition as JSON).
CREATE TABLE IF NOT EXISTS bundles (
    id TEXT COLLATE "C" PRIMARY KEY,
    store_id TEXT COLLATE "C" NOT NULL,
    data TEXT NOT NULL,
    created_at_ms BIGINT NOT NULL
);
CREATE INDEX IF NOT EXISTS bundles_by_store ON bundles(store_id, created_at_ms DESC, id DESC);
