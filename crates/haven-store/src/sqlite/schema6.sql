-- Migration 6: look-alike names, commands, login defence.
-- The skeletons (UTS #39) of each account's email and display name; their
-- unique indexes are created after the backfill (core/read.rs).
ALTER TABLE users ADD COLUMN email_skeleton TEXT;
ALTER TABLE users ADD COLUMN name_skeleton TEXT;
-- Side effects outside the database (emails, gateway calls), queued with
-- their cause and leased by one dispatcher at a time.
CREATE TABLE commands (
    id TEXT PRIMARY KEY,
    kind TEXT NOT NULL,
    dedupe_key TEXT NOT NULL UNIQUE,
    payload TEXT NOT NULL,
    state TEXT NOT NULL,
    attempts INTEGER NOT NULL,
    next_attempt_ms INTEGER NOT NULL,
    lease_until_ms INTEGER NOT NULL,
    last_error TEXT NOT NULL,
    order_id TEXT,
    created_at_ms INTEGER NOT NULL,
    done_at_ms INTEGER
);
CREATE INDEX commands_due ON commands(next_attempt_ms) WHERE state = 'pending';
CREATE INDEX commands_dead ON commands(created_at_ms DESC, id DESC) WHERE state = 'dead';
CREATE INDEX commands_by_order ON commands(order_id) WHERE order_id IS NOT NULL;
-- Login defence that holds across processes and restarts.
CREATE TABLE throttle_events (
    scope TEXT NOT NULL,
    subject TEXT NOT NULL,
    detail TEXT NOT NULL,
    at_ms INTEGER NOT NULL
);
CREATE INDEX throttle_events_by_subject ON throttle_events(scope, subject, at_ms);
CREATE INDEX throttle_events_by_age ON throttle_events(at_ms);
CREATE TABLE throttle_blocks (
    scope TEXT NOT NULL,
    subject TEXT NOT NULL,
    until_ms INTEGER NOT NULL,
    PRIMARY KEY (scope, subject)
);
