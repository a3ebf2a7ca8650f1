-- Migration 13: seller enforcement. One row per store that has ever been
-- assessed: its level (good | reserve | suspended) as a column, so listing
-- pages can hide suspended stores, and the record (reasons, appeal,
-- forgiveness, history of changes) as JSON. Compare-and-swap on version.
CREATE TABLE store_enforcement (
    store_id TEXT PRIMARY KEY,
    level TEXT NOT NULL,
    data TEXT NOT NULL,
    version INTEGER NOT NULL,
    appeal_pending INTEGER NOT NULL DEFAULT 0,
    updated_at_ms INTEGER NOT NULL
);
CREATE INDEX store_enforcement_by_level ON store_enforcement(level);
CREATE INDEX store_enforcement_appeals ON store_enforcement(appeal_pending, updated_at_ms, store_id);
CREATE INDEX ledger_entries_by_kind ON ledger_entries(kind, created_at_ms);
