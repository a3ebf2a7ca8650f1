-- Migration 13: seller enforcement. One row per store that has ever been
-- assessed: its level (good | reserve | suspended) as a column, so listing
-- pages can hide suspended stores, and the record (reasons, appeal,
-- forgiveness, history of changes) as JSON. Compare-and-swap on version.
CREATE TABLE IF NOT EXISTS store_enforcement (
    store_id TEXT COLLATE "C" PRIMARY KEY,
    level TEXT NOT NULL,
    data TEXT NOT NULL,
    version BIGINT NOT NULL,
    appeal_pending BIGINT NOT NULL DEFAULT 0,
    updated_at_ms BIGINT NOT NULL
);
CREATE INDEX IF NOT EXISTS store_enforcement_by_level ON store_enforcement(level);
CREATE INDEX IF NOT EXISTS store_enforcement_appeals ON store_enforcement(appeal_pending, updated_at_ms, store_id);
CREATE INDEX IF NOT EXISTS ledger_entries_by_kind ON ledger_entries(kind, created_at_ms);
