-- Migration 9, PostgreSQL dialect: as sqlite/schema9.sql.
ALTER TABLE outbox ADD COLUMN IF NOT EXISTS pos BIGINT;
UPDATE outbox SET pos = seq WHERE pos IS NULL;
CREATE UNIQUE INDEX IF NOT EXISTS outbox_by_pos ON outbox(pos);
CREATE INDEX IF NOT EXISTS outbox_unsequenced ON outbox(seq) WHERE pos IS NULL;
