-- Migration 21: the payment-risk counts read only these indexes. Each count
-- reads a key's latest 100 attempts; with the columns it needs in the index,
-- it can answer from the index alone (an index-only scan), never visiting the
-- table rows, whose assessment JSON makes them large.
DROP INDEX IF EXISTS risk_attempts_by_buyer;
DROP INDEX IF EXISTS risk_attempts_by_card;
DROP INDEX IF EXISTS risk_attempts_by_device;
DROP INDEX IF EXISTS risk_attempts_by_ip;
DROP INDEX IF EXISTS risk_attempts_by_address;
CREATE INDEX IF NOT EXISTS risk_attempts_by_buyer ON risk_attempts(buyer_id, at_ms) INCLUDE (outcome, card_fp, amount_minor, currency);
CREATE INDEX IF NOT EXISTS risk_attempts_by_card ON risk_attempts(card_fp, at_ms) INCLUDE (outcome, buyer_id) WHERE card_fp IS NOT NULL;
CREATE INDEX IF NOT EXISTS risk_attempts_by_device ON risk_attempts(device_id, at_ms) INCLUDE (outcome, card_fp, buyer_id) WHERE device_id IS NOT NULL;
CREATE INDEX IF NOT EXISTS risk_attempts_by_ip ON risk_attempts(ip, at_ms) INCLUDE (outcome, card_fp, buyer_id) WHERE ip IS NOT NULL;
CREATE INDEX IF NOT EXISTS risk_attempts_by_address ON risk_attempts(address_key, at_ms) INCLUDE (outcome, card_fp, buyer_id);
