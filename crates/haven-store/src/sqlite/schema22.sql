-- Migration 22: signed webhooks for integrators. An endpoint is a row of
-- its own (the data column holds it whole); each delivery is a command
-- (`webhook.deliver`) naming its endpoint in `subject_id`, so retries,
-- backoff and the dead-letter queue are the commands' own, and an
-- endpoint's delivery log is one index read.
CREATE TABLE webhook_endpoints (
    id TEXT PRIMARY KEY,
    data TEXT NOT NULL,
    created_at_ms INTEGER NOT NULL
);
ALTER TABLE commands ADD COLUMN subject_id TEXT;
CREATE INDEX commands_by_subject ON commands(subject_id, created_at_ms DESC, id DESC) WHERE subject_id IS NOT NULL;
