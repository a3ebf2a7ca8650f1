-- Migration 12: payment risk.
-- One row per payment attempt that reached scoring: its keys (account,
-- card fingerprint, device, IP, shipping address), amount, score, the
-- decision's outcome and the whole assessment (features, reasons, rule
-- and rule version) as JSON. Velocity and link counts are read from here,
-- so scoring agrees across restarts and nodes.
CREATE TABLE IF NOT EXISTS risk_attempts (
    id TEXT COLLATE "C" PRIMARY KEY,
    at_ms BIGINT NOT NULL,
    buyer_id TEXT NOT NULL,
    order_id TEXT,
    card_fp TEXT,
    device_id TEXT,
    ip TEXT,
    address_key TEXT NOT NULL,
    amount_minor BIGINT NOT NULL,
    currency TEXT NOT NULL,
    -- allowed | verification | review | blocked | declined | unpaid | approved | refused
    outcome TEXT NOT NULL,
    score BIGINT NOT NULL,
    assessment TEXT NOT NULL
);
CREATE INDEX IF NOT EXISTS risk_attempts_by_buyer ON risk_attempts(buyer_id, at_ms);
CREATE INDEX IF NOT EXISTS risk_attempts_by_card ON risk_attempts(card_fp, at_ms) WHERE card_fp IS NOT NULL;
CREATE INDEX IF NOT EXISTS risk_attempts_by_device ON risk_attempts(device_id, at_ms) WHERE device_id IS NOT NULL;
CREATE INDEX IF NOT EXISTS risk_attempts_by_ip ON risk_attempts(ip, at_ms) WHERE ip IS NOT NULL;
CREATE INDEX IF NOT EXISTS risk_attempts_by_address ON risk_attempts(address_key, at_ms);
CREATE INDEX IF NOT EXISTS risk_attempts_by_order ON risk_attempts(order_id) WHERE order_id IS NOT NULL;
-- Only the review queue reads attempts by outcome.
CREATE INDEX IF NOT EXISTS risk_attempts_in_review ON risk_attempts(at_ms, id) WHERE outcome = 'review';
CREATE INDEX IF NOT EXISTS risk_attempts_by_age ON risk_attempts(at_ms, id);
-- Operator rules: the version in force, and every version ever saved
-- (a decision names the version that made it).
CREATE TABLE IF NOT EXISTS risk_rules (
    id TEXT COLLATE "C" PRIMARY KEY,
    version BIGINT NOT NULL,
    name TEXT NOT NULL,
    action TEXT NOT NULL,
    expression TEXT NOT NULL,
    enabled BIGINT NOT NULL,
    updated_at_ms BIGINT NOT NULL,
    updated_by TEXT
);
CREATE TABLE IF NOT EXISTS risk_rule_versions (
    id TEXT NOT NULL,
    version BIGINT NOT NULL,
    name TEXT NOT NULL,
    action TEXT NOT NULL,
    expression TEXT NOT NULL,
    enabled BIGINT NOT NULL,
    updated_at_ms BIGINT NOT NULL,
    updated_by TEXT,
    PRIMARY KEY (id, version)
);
-- The brief's defaults: review at 65, block at 75.
INSERT INTO risk_rules VALUES ('default-review', 1, 'Review risky payments', 'review', 'risk_score >= 65', 1, 0, NULL) ON CONFLICT DO NOTHING;
INSERT INTO risk_rules VALUES ('default-block', 1, 'Block very risky payments', 'block', 'risk_score >= 75', 1, 0, NULL) ON CONFLICT DO NOTHING;
INSERT INTO risk_rule_versions SELECT * FROM risk_rules WHERE true ON CONFLICT DO NOTHING;
-- Named lists rules refer to as @name.
CREATE TABLE IF NOT EXISTS risk_lists (
    name TEXT NOT NULL,
    value TEXT NOT NULL,
    added_at_ms BIGINT NOT NULL,
    added_by TEXT,
    PRIMARY KEY (name, value)
);
