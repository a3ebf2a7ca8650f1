-- Migration 11: relays. Each relay (e.g. the NATS JetStream relay) keeps
-- the outbox position up to which it has handed events on; published
-- events past the lowest relay position are never purged.
CREATE TABLE IF NOT EXISTS relay_cursors (
    name TEXT PRIMARY KEY,
    position BIGINT NOT NULL
);
