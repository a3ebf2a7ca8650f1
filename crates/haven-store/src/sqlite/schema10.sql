-- Migration 10: retention. Idempotency records and published events are
-- purged after their retention period (config: idempotency_retention_hours,
-- event_retention_days); these indexes find the old ones cheaply.
CREATE INDEX IF NOT EXISTS idempotency_by_age ON idempotency_keys(created_at_ms);
CREATE INDEX IF NOT EXISTS outbox_by_age ON outbox(created_at_ms) WHERE pos IS NOT NULL;
