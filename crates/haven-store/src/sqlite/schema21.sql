-- Migration 21: the payment-risk counts read only these indexes. Each count
-- reads a key's latest 100 attempts; with the columns it needs in the index,
-- it never visits the table rows (whose assessment JSON makes them large), so
-- scoring a payment reads a few index pages instead of hundreds of rows.
DROP INDEX risk_attempts_by_buyer;
DROP INDEX risk_attempts_by_card;
DROP INDEX risk_attempts_by_device;
DROP INDEX risk_attempts_by_ip;
DROP INDEX risk_attempts_by_address;
CREATE INDEX risk_attempts_by_buyer ON risk_attempts(buyer_id, at_ms, outcome, card_fp, amount_minor, currency);
CREATE INDEX risk_attempts_by_card ON risk_attempts(card_fp, at_ms, outcome, buyer_id) WHERE card_fp IS NOT NULL;
CREATE INDEX risk_attempts_by_device ON risk_attempts(device_id, at_ms, outcome, card_fp, buyer_id) WHERE device_id IS NOT NULL;
CREATE INDEX risk_attempts_by_ip ON risk_attempts(ip, at_ms, outcome, card_fp, buyer_id) WHERE ip IS NOT NULL;
CREATE INDEX risk_attempts_by_address ON risk_attempts(address_key, at_ms, outcome, card_fp, buyer_id);
