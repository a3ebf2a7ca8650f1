-- Migration 5, PostgreSQL dialect: as sqlite/schema5.sql.
ALTER TABLE idempotency_keys DROP COLUMN IF EXISTS status;
ALTER TABLE idempotency_keys DROP COLUMN IF EXISTS body;
ALTER TABLE idempotency_keys ADD COLUMN IF NOT EXISTS resource TEXT NOT NULL DEFAULT '';
