-- Migration 3: dispatchers find undelivered outbox rows by topic cheaply.
CREATE INDEX IF NOT EXISTS outbox_undelivered ON outbox(topic, seq) WHERE delivered_at_ms IS NULL;
