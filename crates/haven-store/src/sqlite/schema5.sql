-- Migration 5: an idempotency record keeps a reference to what the request
-- produced (`order:<id>` …), not a copy of the whole response.
ALTER TABLE idempotency_keys DROP COLUMN status;
ALTER TABLE idempotency_keys DROP COLUMN body;
ALTER TABLE idempotency_keys ADD COLUMN resource TEXT NOT NULL DEFAULT '';
