-- Migration 6, PostgreSQL dialect: as sqlite/schema6.sql.
ALTER TABLE users ADD COLUMN IF NOT EXISTS email_skeleton TEXT;
ALTER TABLE users ADD COLUMN IF NOT EXISTS name_skeleton TEXT;
CREATE TABLE IF NOT EXISTS commands (
    id TEXT COLLATE "C" PRIMARY KEY,
    kind TEXT NOT NULL,
    dedupe_key TEXT NOT NULL UNIQUE,
    payload TEXT NOT NULL,
    state TEXT NOT NULL,
    attempts INTEGER NOT NULL,
    next_attempt_ms BIGINT NOT NULL,
    lease_until_ms BIGINT NOT NULL,
    last_error TEXT NOT NULL,
    order_id TEXT,
    created_at_ms BIGINT NOT NULL,
    done_at_ms BIGINT
);
CREATE INDEX IF NOT EXISTS commands_due ON commands(next_attempt_ms) WHERE state = 'pending';
CREATE INDEX IF NOT EXISTS commands_dead ON commands(created_at_ms DESC, id DESC) WHERE state = 'dead';
CREATE INDEX IF NOT EXISTS commands_by_order ON commands(order_id) WHERE order_id IS NOT NULL;
CREATE TABLE IF NOT EXISTS throttle_events (
    scope TEXT NOT NULL,
    subject TEXT NOT NULL,
    detail TEXT NOT NULL,
    at_ms BIGINT NOT NULL
);
CREATE INDEX IF NOT EXISTS throttle_events_by_subject ON throttle_events(scope, subject, at_ms);
CREATE INDEX IF NOT EXISTS throttle_events_by_age ON throttle_events(at_ms);
CREATE TABLE IF NOT EXISTS throttle_blocks (
    scope TEXT NOT NULL,
    subject TEXT NOT NULL,
    until_ms BIGINT NOT NULL,
    PRIMARY KEY (scope, subject)
);
