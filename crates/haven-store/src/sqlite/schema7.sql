-- Migration 7: the simulated card network's books.
-- The testcard gateway keeps its payments here (one row per payment and
-- one per idempotency key), so its answers survive restarts and agree on
-- every node, as a real gateway's would. Each row is versioned: every
-- change is a compare-and-swap.
CREATE TABLE gateway_journal (
    key TEXT PRIMARY KEY,
    kind TEXT NOT NULL,
    body TEXT NOT NULL,
    version INTEGER NOT NULL,
    created_at_ms INTEGER NOT NULL
);
CREATE INDEX gateway_journal_by_kind ON gateway_journal(kind, created_at_ms, key);
