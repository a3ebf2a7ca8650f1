-- Migration 23: in-app notifications (the bell). One row per business
-- event and person it concerns, unique on both, so reading an outbox batch
-- twice notifies nobody twice. The data column holds the notice whole.
CREATE TABLE IF NOT EXISTS notifications (
    id TEXT COLLATE "C" PRIMARY KEY,
    user_id TEXT COLLATE "C" NOT NULL,
    event_id TEXT COLLATE "C" NOT NULL,
    data TEXT NOT NULL,
    created_at_ms BIGINT NOT NULL,
    read_at_ms BIGINT,
    UNIQUE (event_id, user_id)
);
CREATE INDEX IF NOT EXISTS notifications_by_user ON notifications(user_id, created_at_ms DESC, id DESC);
CREATE INDEX IF NOT EXISTS notifications_unread ON notifications(user_id) WHERE read_at_ms IS NULL;
