-- Migration 7, PostgreSQL dialect: as sqlite/schema7.sql.
CREATE TABLE IF NOT EXISTS gateway_journal (
    key TEXT COLLATE "C" PRIMARY KEY,
    kind TEXT NOT NULL,
    body TEXT NOT NULL,
    version BIGINT NOT NULL,
    created_at_ms BIGINT NOT NULL
);
CREATE INDEX IF NOT EXISTS gateway_journal_by_kind ON gateway_journal(kind, created_at_ms, key COLLATE "C");
