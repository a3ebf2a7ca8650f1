-- Migration 22: signed webhooks for integrators. An endpoint is a row of
-- its own (the data column holds it whole); each delivery is a command
-- (`webhook.deliver`) naming its endpoint in `subject_id`, so retries,
-- backoff and the dead-letter queue are the commands' own, and an
-- endpoint's delivery log is one index read.
CREATE TABLE IF NOT EXISTS webhook_endpoints (
    id TEXT COLLATE "C" PRIMARY KEY,
    data TEXT NOT NULL,
    created_at_ms BIGINT NOT NULL
);
ALTER TABLE commands ADD COLUMN IF NOT EXISTS subject_id TEXT COLLATE "C";
CREATE INDEX IF NOT EXISTS commands_by_subject ON commands(subject_id, created_at_ms DESC, id DESC) WHERE subject_id IS NOT NULL;
