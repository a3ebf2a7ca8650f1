-- Migration 9: the outbox is published in the order a sequencer sees
-- commits, not the order rows were inserted, so writers need no global
-- lock. `pos` is the published position (NULL until sequenced); `seq`
-- stays the row's identity.
ALTER TABLE outbox ADD COLUMN pos INTEGER;
UPDATE outbox SET pos = seq;
CREATE UNIQUE INDEX outbox_by_pos ON outbox(pos);
CREATE INDEX outbox_unsequenced ON outbox(seq) WHERE pos IS NULL;
