-- Migration 24: sweeps over upcoming deadlines (the day-before reminders).
-- A sweep walks the scheduled deadlines in (due time, id) order and keeps
-- the last one it handled, so each deadline is looked at once however
-- many share the same millisecond. The deadline index gains the id so the
-- walk reads in index order instead of sorting a day's worth of rows.
CREATE TABLE IF NOT EXISTS sweep_cursors (
    name TEXT COLLATE "C" PRIMARY KEY,
    due_at_ms BIGINT NOT NULL,
    after_id TEXT COLLATE "C" NOT NULL
);
CREATE INDEX IF NOT EXISTS scheduled_actions_due_id ON scheduled_actions(due_at_ms, id);
DROP INDEX IF EXISTS scheduled_actions_due;
-- Sent emails are purged after their retention (the address and text of
-- a message already handed on are kept no longer): found by when they
-- were sent.
CREATE INDEX IF NOT EXISTS commands_sent_emails ON commands(done_at_ms) WHERE kind = 'email' AND state = 'done';
