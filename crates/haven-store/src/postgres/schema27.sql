-- Migration 27: the audit log searchable by agent (see the SQLite
-- migration of the same number).
ALTER TABLE audit_log ADD COLUMN IF NOT EXISTS agent_id TEXT;
UPDATE audit_log SET agent_id = data::jsonb ->> 'actor_id'
    WHERE data::jsonb ->> 'actor' = 'agent';
CREATE INDEX IF NOT EXISTS audit_by_agent ON audit_log(agent_id, seq) WHERE agent_id IS NOT NULL;
