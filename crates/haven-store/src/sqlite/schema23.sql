-- Migration 23: in-app notifications (the bell). One row per business
-- event and person it concerns, unique on both, so reading an outbox batch
-- twice notifies nobody twice. The data column holds the notice whole.
CREATE TABLE notifications (
    id TEXT PRIMARY KEY,
    user_id TEXT NOT NULL,
    event_id TEXT NOT NULL,
    data TEXT NOT NULL,
    created_at_ms INTEGER NOT NULL,
    read_at_ms INTEGER,
    UNIQUE (event_id, user_id)
);
CREATE INDEX notifications_by_user ON notifications(user_id, created_at_ms DESC, id DESC);
CREATE INDEX notifications_unread ON notifications(user_id) WHERE read_at_ms IS NULL;
