-- Migration 27: the audit log searchable by agent. Agents' records carry
-- the agent's id in a column with a partial index, so looking up what one
-- agent decided reads only agents' records, and the buyers' and sellers'
-- own steps (every checkout writes some) pay nothing for it.
ALTER TABLE audit_log ADD COLUMN agent_id TEXT;
UPDATE audit_log SET agent_id = json_extract(data, '$.actor_id')
    WHERE json_extract(data, '$.actor') = 'agent';
CREATE INDEX audit_by_agent ON audit_log(agent_id, seq) WHERE agent_id IS NOT NULL;
